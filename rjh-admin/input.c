/*
 * What operators give commands, checked the same way wherever it is given:
 * host key files, the jumphost's name, and the expiry, source addresses and
 * comment of a host or key.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "key.h"
#include "layout.h"
#include "util.h"

int admin_read_host_key(struct admin *a, const char *path, struct key *k)
{
	struct rjh_diag d = {""};
	int rc = key_read_file(path, a->cfg.rsa_min_bits, k, &d);

	/* A missing key file is bad input, not a missing registry object. */
	if (rc == RJH_ENOENT)
		rc = RJH_EINVAL;
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
int admin_server_name(struct admin *a, const char *opt, char *buf, size_t len)
{
	char safe[64];
	size_t n;

	if (opt)
		snprintf(buf, len, "%s", opt);
	else
		layout_public_name(&a->cfg, buf, len);
	n = strlen(buf);
	if (n == 0 || n > ADMIN_SERVER_MAX || (opt && strlen(opt) != n) ||
	    !isalnum((unsigned char)buf[0]) ||
	    strspn(buf, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != n ||
	    strstr(buf, "..") || buf[n - 1] == '.' || buf[n - 1] == '-')
		return admin_fail(a, RJH_EINVAL,
				  "%s '%s' is not a host name (letters, digits, '.' and '-', "
				  "starting with a letter or digit)%s",
				  opt ? "--server" : "the jumphost's name",
				  util_safe(opt ? opt : buf, safe, 40),
				  opt ? "" : "; set public_name in rjh.conf or give --server");
	return EXIT_OK;
}

int admin_check_policy_opts(struct admin *a, struct admin_policy_opts *o)
{
	struct rjh_diag d = {""};
	int rc;

	o->expires = 0;
	o->cidrs[0] = '\0';
	if (o->expires_s && !(o->modify && !strcmp(o->expires_s, "never"))) {
		rc = util_parse_time(o->expires_s, &o->expires, &d);
		if (rc < 0)
			return admin_fail_diag(a, rc, &d);
		if (!o->modify && o->expires <= (int64_t)time(NULL))
			return admin_fail(a, RJH_EINVAL, "--expires %s is in the past",
					  o->expires_s);
		/* NB. 0 is "never" in the registry: the epoch itself must not become that. */
		if (o->expires == 0)
			return admin_fail(a, RJH_EINVAL,
					  "--expires %s is the epoch, which would read as never",
					  o->expires_s);
	}
	if (o->comment && (!util_is_printable(o->comment, KEY_COMMENT_MAX)))
		return admin_fail(a, RJH_EINVAL,
				  "--comment must be at most %d printable ASCII "
				  "characters",
				  KEY_COMMENT_MAX);
	if (o->from_s && !(o->modify && !strcmp(o->from_s, "any"))) {
		rc = util_parse_cidrs(o->from_s, o->cidrs, sizeof(o->cidrs), &d);
		if (rc < 0)
			return admin_fail(a, rc, "--from: %s", d.msg);
	}
	return EXIT_OK;
}
