#include "cfg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "name.h"
#include "util.h"

#define CFG_MAX_SIZE (64 * 1024)

void cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->registry, sizeof(c->registry), "/var/lib/rjh/registry.db");
	snprintf(c->runtime_dir, sizeof(c->runtime_dir), "/run/rjh");
	c->uid_min = 1900000000u;
	c->uid_max = 1900999999u;
	snprintf(c->host_group, sizeof(c->host_group), "rjh-hosts");
	c->host_gid = 1899999999u;
	c->rsa_min_bits = 3072;
	c->audit = CFG_AUDIT_BEST_EFFORT;
}

const char *cfg_audit_name(enum cfg_audit a)
{
	switch (a) {
	case CFG_AUDIT_REQUIRED:
		return "required";
	case CFG_AUDIT_OFF:
		return "off";
	case CFG_AUDIT_BEST_EFFORT:
		break;
	}
	return "best-effort";
}

static int set_path(char *dst, size_t len, const char *v)
{
	if (v[0] != '/' || strlen(v) >= len || !util_is_printable(v, len) || strstr(v, "/../") ||
	    strchr(v, ' '))
		return -1;
	snprintf(dst, len, "%s", v);
	return 0;
}

static int set_id(uint32_t *dst, const char *v)
{
	uint32_t n;

	/* 0 is root; 65534 is nobody; 4294967295 is (uid_t)-1. */
	if (util_parse_u32(v, &n) < 0 || n < 1000 || n == 65534 || n == UINT32_MAX)
		return -1;
	*dst = n;
	return 0;
}

static int set_hostname(char *dst, size_t len, const char *v)
{
	size_t i, n = strlen(v);

	if (n == 0 || n >= len)
		return -1;
	for (i = 0; i < n; i++) {
		char ch = v[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'))
			return -1;
	}
	if (v[0] == '-' || v[0] == '.')
		return -1;
	snprintf(dst, len, "%s", v);
	return 0;
}

/* Applies one key = value; returns 0 or -1 with *why set. */
static int cfg_set(struct cfg *c, const char *k, const char *v, const char **why)
{
	uint32_t n;

	*why = "invalid value";
	if (!strcmp(k, "registry")) {
		*why = "must be an absolute path without spaces or '..'";
		return set_path(c->registry, sizeof(c->registry), v);
	}
	if (!strcmp(k, "runtime_dir")) {
		*why = "must be an absolute path without spaces or '..'";
		return set_path(c->runtime_dir, sizeof(c->runtime_dir), v);
	}
	if (!strcmp(k, "uid_min") || !strcmp(k, "uid_max") || !strcmp(k, "host_gid")) {
		*why = "must be a number from 1000 to 4294967294, not 65534";
		return set_id(!strcmp(k, "uid_min")   ? &c->uid_min
			      : !strcmp(k, "uid_max") ? &c->uid_max
						      : &c->host_gid,
			      v);
	}
	if (!strcmp(k, "host_group")) {
		*why = "must be a valid group name ([a-z_][a-z0-9_-]*, at most 32 characters)";
		if (!name_is_account(v))
			return -1;
		snprintf(c->host_group, sizeof(c->host_group), "%s", v);
		return 0;
	}
	if (!strcmp(k, "rsa_min_bits")) {
		*why = "must be a number from 2048 to 16384";
		if (util_parse_u32(v, &n) < 0 || n < 2048 || n > 16384)
			return -1;
		c->rsa_min_bits = n;
		return 0;
	}
	if (!strcmp(k, "audit")) {
		*why = "must be one of required, best-effort, off";
		if (!strcmp(v, "required"))
			c->audit = CFG_AUDIT_REQUIRED;
		else if (!strcmp(v, "best-effort"))
			c->audit = CFG_AUDIT_BEST_EFFORT;
		else if (!strcmp(v, "off"))
			c->audit = CFG_AUDIT_OFF;
		else
			return -1;
		return 0;
	}
	if (!strcmp(k, "public_name")) {
		*why = "must be a DNS name or address";
		return set_hostname(c->public_name, sizeof(c->public_name), v);
	}
	*why = NULL;
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

int cfg_parse(const char *name, char *buf, size_t len, struct cfg *c, struct rjh_diag *d)
{
	static const char *const keys[] = {"registry",	   "runtime_dir",  "uid_min",
					   "uid_max",	   "host_group",   "host_gid",
					   "rsa_min_bits", "audit",	   "public_name"};
	unsigned seen = 0, lineno = 0;
	size_t pos = 0, ll;
	char *line;

	if (memchr(buf, '\0', len))
		return diag_set(d, RJH_ECONFIG, "%s: contains a NUL byte", name);
	while ((line = util_next_line(buf, len, &pos, &ll)) != NULL) {
		const char *why;
		char *k, *v, *eq;
		size_t i;

		lineno++;
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq)
			return diag_set(d, RJH_ECONFIG, "%s:%u: expected 'key = value'", name,
					lineno);
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (!strcmp(k, keys[i]))
				break;
		}
		if (i == sizeof(keys) / sizeof(keys[0]))
			return diag_set(d, RJH_ECONFIG, "%s:%u: unknown key '%.40s'", name, lineno,
					k);
		if (seen & (1u << i))
			return diag_set(d, RJH_ECONFIG, "%s:%u: duplicate key '%s'", name, lineno,
					k);
		seen |= 1u << i;
		if (cfg_set(c, k, v, &why) < 0)
			return diag_set(d, RJH_ECONFIG, "%s:%u: %s: %s", name, lineno, k, why);
	}
	if (c->uid_min > c->uid_max)
		return diag_set(d, RJH_ECONFIG, "%s: uid_min %u is above uid_max %u", name,
				c->uid_min, c->uid_max);
	if (c->host_gid >= c->uid_min && c->host_gid <= c->uid_max)
		return diag_set(d, RJH_ECONFIG, "%s: host_gid %u lies inside the uid range", name,
				c->host_gid);
	return RJH_OK;
}

int cfg_load(const char *path, struct cfg *c, struct rjh_diag *d)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	cfg_defaults(c);
	if (!path)
		path = CFG_DEFAULT_PATH;
	rc = util_read_file(path, CFG_MAX_SIZE, true, &buf, &len, &st, d);
	if (rc == RJH_ENOENT)
		return RJH_OK;
	if (rc < 0)
		return rc == RJH_ESYS ? rc : diag_set(d, RJH_ECONFIG, "%s", d ? d->msg : path);
	/* st is the fstat of the descriptor we read: no race with a rename. */
	rc = util_check_trusted(path, st.st_uid, st.st_mode, d);
	if (rc < 0)
		goto out;
	rc = cfg_parse(path, buf, len, c, d);
	if (rc == 0)
		snprintf(c->source, sizeof(c->source), "%s", path);
out:
	free(buf);
	return rc;
}
