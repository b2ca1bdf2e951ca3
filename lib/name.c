#include "name.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int name_check_host(const char *s, struct rjh_diag *d)
{
	char safe[NAME_HOST_SIZE];
	size_t i;

	if (!s || !*s)
		return diag_set(d, RJH_EINVAL, "host name is empty");
	if (s[0] < 'a' || s[0] > 'z')
		return diag_set(d, RJH_EINVAL, "host name '%s' must start with a lower-case letter",
				util_safe(s, safe, sizeof(safe)));
	/* One pass: the NSS module calls this for every name it is asked about. */
	for (i = 1; s[i]; i++) {
		if (i >= NAME_HOST_MAX)
			return diag_set(d, RJH_EINVAL, "host name is longer than %d characters",
					NAME_HOST_MAX);
		if (!host_char(s[i]))
			return diag_set(d, RJH_EINVAL,
					"host name may contain only a-z, 0-9, '.', '_' and '-'");
		if (s[i] == '.' && s[i - 1] == '.')
			return diag_set(d, RJH_EINVAL, "host name '%s' contains '..'", s);
	}
	return RJH_OK;
}

/* The same rules as name_check_host without a message: the NSS module's fast path. */
bool name_is_host(const char *s)
{
	size_t i;

	if (!s || s[0] < 'a' || s[0] > 'z')
		return false;
	for (i = 1; s[i]; i++) {
		if (i >= NAME_HOST_MAX || !host_char(s[i]) || (s[i] == '.' && s[i - 1] == '.'))
			return false;
	}
	return true;
}

bool name_is_account(const char *s)
{
	size_t i;

	if (!s || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (i = 1; s[i]; i++) {
		char c = s[i];

		if (i >= NAME_ACCOUNT_MAX || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
					       c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

int name_check_pattern(const char *s, struct rjh_diag *d)
{
	size_t i;

	if (!s || !*s)
		return diag_set(d, RJH_EINVAL, "pattern is empty");
	if (!strpbrk(s, "*?"))
		return name_check_host(s, d);
	for (i = 0; s[i]; i++) {
		if (i >= NAME_PATTERN_MAX)
			return diag_set(d, RJH_EINVAL, "pattern is longer than %d characters",
					NAME_PATTERN_MAX);
		if (!host_char(s[i]) && s[i] != '*' && s[i] != '?')
			return diag_set(
			    d, RJH_EINVAL,
			    "pattern may contain only host-name characters, '*' and '?'");
	}
	if (s[0] == '-' || s[0] == '.' || strstr(s, ".."))
		return diag_set(d, RJH_EINVAL,
				"pattern '%s' must not start with '-' or '.' or contain '..'", s);
	return RJH_OK;
}

int name_check_principal(const char *s, struct rjh_diag *d)
{
	const char *n = (s && s[0] == '@') ? s + 1 : s;
	char safe[41];

	if (!name_is_account(n))
		return diag_set(d, RJH_EINVAL,
				"principal '%s' must be a user name or @group "
				"([a-z_][a-z0-9._-]*, at most 32 characters)",
				util_safe(s, safe, sizeof(safe)));
	return RJH_OK;
}

int name_check_system(const char *s, uint32_t uid_min, uint32_t uid_max, struct rjh_diag *d)
{
	char buf[16384];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;

	if (getpwnam_r(s, &pw, buf, sizeof(buf), &pwp) == 0 && pwp &&
	    (pw.pw_uid < uid_min || pw.pw_uid > uid_max))
		return diag_set(d, RJH_EINVAL, "'%s' is an existing system user (uid %u)", s,
				(unsigned)pw.pw_uid);
	if (getgrnam_r(s, &gr, buf, sizeof(buf), &grp) == 0 && grp)
		return diag_set(d, RJH_EINVAL, "'%s' is an existing system group (gid %u)", s,
				(unsigned)gr.gr_gid);
	return RJH_OK;
}

static int sys_add(struct name_sys *s, size_t *cap, const char *name)
{
	if (util_grow(&s->names, cap, s->n + 1, sizeof(*s->names), 256) < 0)
		return RJH_ENOMEM;
	s->names[s->n] = strdup(name);
	if (!s->names[s->n])
		return RJH_ENOMEM;
	s->n++;
	return RJH_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int name_sys_load(struct name_sys *s, uint32_t uid_min, uint32_t uid_max, struct rjh_diag *d)
{
	struct passwd *pw;
	struct group *gr;
	size_t cap = 0;
	int rc = RJH_OK;

	memset(s, 0, sizeof(*s));
	setpwent();
	while (rc == 0 && (pw = getpwent()) != NULL) {
		if (pw->pw_uid < uid_min || pw->pw_uid > uid_max)
			rc = sys_add(s, &cap, pw->pw_name);
	}
	endpwent();
	setgrent();
	while (rc == 0 && (gr = getgrent()) != NULL)
		rc = sys_add(s, &cap, gr->gr_name);
	endgrent();
	if (rc < 0) {
		name_sys_free(s);
		return diag_set(d, rc, "out of memory");
	}
	if (s->n)
		qsort(s->names, s->n, sizeof(*s->names), cmp_str);
	return RJH_OK;
}

bool name_sys_has(const struct name_sys *s, const char *name)
{
	return s->n && bsearch(&name, s->names, s->n, sizeof(*s->names), cmp_str) != NULL;
}

void name_sys_free(struct name_sys *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	memset(s, 0, sizeof(*s));
}
