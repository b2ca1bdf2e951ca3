/*
 * What operators give commands, checked the same way wherever it is given:
 * host key files, the jumphost's name, a host's policy options (each field of
 * REG_HOST_POLICY) and a key's expiry and comment.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "key.h"
#include "layout.h"
#include "util.h"

/* One public key from path; a missing file is bad input, not a missing registry object. */
static int read_key_file(struct admin *a, const char *path, struct key *k, struct rjh_diag *d)
{
	int rc = key_read_file(path, a->cfg.rsa_min_bits, k, d);

	return rc == RJH_ENOENT ? RJH_EINVAL : rc;
}

int admin_read_key(struct admin *a, const char *path, struct key *k)
{
	struct rjh_diag d = {""};
	int rc = read_key_file(a, path, k, &d);

	return rc < 0 ? admin_fail_diag(a, rc, &d) : EXIT_OK;
}

int admin_read_host_key(struct admin *a, const char *path, struct key *k)
{
	struct rjh_diag d = {""};
	int rc = read_key_file(a, path, k, &d);

	if (rc == 0 && strncmp(k->type, "sk-", 3) == 0) {
		rc = diag_set(&d, RJH_EINVAL,
			      "%s: a %s key lives on a security key and is never an sshd host key",
			      path, k->type);
		key_clear(k);
	}
	return rc < 0 ? admin_fail(a, rc, "host key: %s", d.msg) : EXIT_OK;
}

/*
 * A DNS name or an IPv4 address: letters, digits, '.' and '-', starting with
 * a letter or digit, no "..". Nothing ssh could take for an option, and
 * nothing that ends a config line.
 */
bool admin_is_dial_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && isalnum((unsigned char)s[0]) &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n &&
	       !strstr(s, "..") && s[n - 1] != '.' && s[n - 1] != '-';
}

int admin_server_name(struct admin *a, const char *opt, char *buf, size_t len)
{
	char safe[64];

	if (opt)
		snprintf(buf, len, "%s", opt);
	else
		layout_public_name(&a->cfg, buf, len);
	if ((opt && strlen(opt) != strlen(buf)) || !admin_is_dial_name(buf, ADMIN_SERVER_MAX))
		return admin_fail(a, RJH_EINVAL,
				  "%s '%s' is not a host name (letters, digits, '.' and '-', "
				  "starting with a letter or digit)%s",
				  opt ? "--server" : "the jumphost's name",
				  util_safe(opt ? opt : buf, safe, 40),
				  opt ? "" : "; set public_name in rjh.conf or give --server");
	return EXIT_OK;
}

/* Parses an expiry given as opt: not the epoch (0 reads as never), and not past unless modify. */
static int parse_expiry(struct admin *a, const char *opt, const char *s, bool modify, int64_t *out)
{
	struct rjh_diag d = {""};
	int rc = util_parse_time(s, out, &d);

	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	if (!modify && *out <= (int64_t)time(NULL))
		return admin_fail(a, RJH_EINVAL, "--%s %s is in the past", opt, s);
	/* NB. 0 is "never" in the registry: the epoch itself must not become that. */
	if (*out == 0)
		return admin_fail(a, RJH_EINVAL, "--%s %s is the epoch, which would read as never",
				  opt, s);
	return EXIT_OK;
}

/* Parses the value s of host policy field f into o->host. */
static int parse_field(struct admin *a, struct admin_policy_opts *o, const struct reg_host_field *f,
		       const char *s)
{
	struct rjh_diag d = {""};
	void *v = REG_HOST_AT(&o->host, f);
	int rc;

	if (o->modify && !strcmp(s, f->clear))
		return EXIT_OK; /* unset: zero already */
	switch (f->kind) {
	case REG_FIELD_TIME:
		return parse_expiry(a, f->opt, s, o->modify, v);
	case REG_FIELD_CIDRS:
		rc = util_parse_cidrs(s, v, f->size, &d);
		return rc < 0 ? admin_fail(a, rc, "--%s: %s", f->opt, d.msg) : EXIT_OK;
	case REG_FIELD_TEXT:
		if (!util_is_printable(s, f->size - 1))
			return admin_fail(a, RJH_EINVAL,
					  "--%s must be at most %zu printable ASCII characters",
					  f->opt, f->size - 1);
		snprintf(v, f->size, "%s", s);
		return EXIT_OK;
	}
	return admin_fail(a, RJH_EINVAL, "--%s: unknown kind of field", f->opt);
}

int admin_check_policy_opts(struct admin *a, struct admin_policy_opts *o)
{
	int rc, i;

	memset(&o->host, 0, sizeof(o->host));
	o->key_expires = 0;
	for (i = 0; i < REG_HOST_NPOLICY; i++) {
		if (!o->given[i])
			continue;
		rc = parse_field(a, o, &reg_host_fields[i], o->given[i]);
		if (rc)
			return rc;
	}
	if (o->key_expires_s) {
		rc = parse_expiry(a, "expires", o->key_expires_s, false, &o->key_expires);
		if (rc)
			return rc;
	}
	if (o->comment && (!util_is_printable(o->comment, KEY_COMMENT_MAX)))
		return admin_fail(a, RJH_EINVAL,
				  "--comment must be at most %d printable ASCII "
				  "characters",
				  KEY_COMMENT_MAX);
	return EXIT_OK;
}

void admin_policy_opt_table(struct admin_policy_opts *o, enum admin_policy_use use,
			    struct admin_opt *opts, size_t *n)
{
	int i;

	for (i = 0; i < REG_HOST_NPOLICY; i++)
		if (use == ADMIN_POLICY_MODIFY || reg_host_fields[i].enroll)
			opts[(*n)++] =
			    (struct admin_opt){reg_host_fields[i].opt, &o->given[i], NULL};
}

int admin_policy_given(const struct admin_policy_opts *o)
{
	int i, n = 0;

	for (i = 0; i < REG_HOST_NPOLICY; i++)
		n += o->given[i] != NULL;
	return n;
}

void admin_policy_apply(const struct admin_policy_opts *o, struct reg_host *h)
{
	int i;

	for (i = 0; i < REG_HOST_NPOLICY; i++) {
		const struct reg_host_field *f = &reg_host_fields[i];

		if (o->given[i])
			memcpy(REG_HOST_AT(h, f), REG_HOST_AT_CONST(&o->host, f), f->size);
	}
}

void admin_policy_detail(const struct admin_policy_opts *o, const struct reg_host *h, char *buf,
			 size_t len)
{
	size_t at = 0;
	char v[1100];
	int i, w;

	buf[0] = '\0';
	for (i = 0; i < REG_HOST_NPOLICY && at < len; i++) {
		const struct reg_host_field *f = &reg_host_fields[i];
		const char *p = REG_HOST_AT_CONST(h, f);
		char *nv = NULL;

		if (!o->given[i])
			continue;
		/* Free text as audit writes it (quoted, or hex with spaces or quotes): no forged
		 * field. */
		if (f->kind == REG_FIELD_TEXT && *p)
			nv = audit_encode_nv_string(f->opt, p, 0);
		if (nv)
			w = snprintf(buf + at, len - at, "%s%s", at ? " " : "", nv);
		else
			w = snprintf(buf + at, len - at, "%s%s=%s", at ? " " : "", f->opt,
				     f->kind == REG_FIELD_TEXT && *p
					 ? "?"
					 : admin_policy_value(h, f, true, v, sizeof(v)));
		free(nv);
		if (w < 0)
			break;
		at += (size_t)w;
	}
}
