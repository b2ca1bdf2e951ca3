/*
 * Certificate logins for hosts: rjh-admin ca init|add|remove|list keeps the
 * user CAs sshd trusts for host logins, rjh-admin sign issues a host's
 * certificate with rjh's own CA, rjh-admin revoke-cert revokes a serial.
 * After each change the trusted CAs and the KRL are published for sshd
 * (lib/pub_certs.c); pam_rjh checks every certificate against the registry
 * as well (serial, CA, principal, host).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "cert.h"
#include "key.h"
#include "name.h"
#include "util.h"

#define OWN_CA_COMMENT "rjh-user-ca"
/* How long a host's certificate is valid unless --validity says otherwise. */
#define SIGN_VALIDITY_DFLT (90 * 86400)

struct own_ca {
	struct reg_user_ca ca;
	bool found;
};

static int find_own(const struct reg_user_ca *ca, void *ctx)
{
	struct own_ca *o = ctx;

	if (!ca->own)
		return 0;
	o->ca = *ca;
	o->found = true;
	return 1;
}

/* Fills *ca from k, the way the registry records a CA. */
static void ca_from_key(struct reg_user_ca *ca, const struct key *k, bool own, const char *comment)
{
	memset(ca, 0, sizeof(*ca));
	snprintf(ca->fp, sizeof(ca->fp), "%s", k->fp);
	snprintf(ca->type, sizeof(ca->type), "%s", k->type);
	snprintf(ca->b64, sizeof(ca->b64), "%s", k->b64);
	snprintf(ca->comment, sizeof(ca->comment), "%s", comment);
	ca->own = own;
	ca->added = (int64_t)time(NULL);
}

/*
 * The own CA's commit failed after its key was linked into place. A commit
 * whose answer was lost (PostgreSQL) may have recorded it: then its private
 * half must stay. Asks the registry again; removes the key only when it
 * surely is not recorded. Returns rc.
 */
static int ca_keep_or_drop(struct admin *a, const struct key *k, int rc)
{
	struct reg_user_ca have;
	struct reg *r = NULL;
	char pub[4100];
	int was = admin_open_ro(a, &r) == 0 ? reg_user_ca_get(r, k->fp, &have, NULL) : RJH_ESYS;

	reg_close(r);
	if (was == RJH_ENOENT) {
		snprintf(pub, sizeof(pub), "%s.pub", a->cfg.user_ca_key);
		unlink(a->cfg.user_ca_key);
		unlink(pub);
		return rc;
	}
	fprintf(stderr, "rjh-admin: ca: %s kept: %s\n", a->cfg.user_ca_key,
		was == 0 ? "the registry recorded its public key after all"
			 : "whether the registry recorded it is unknown; if 'rjh-admin ca list' "
			   "does not show it, remove it and its .pub, then run ca init again");
	return rc;
}

static int ca_record(struct admin *a, const struct key *k, bool own, const char *comment,
		     const char *tmp)
{
	struct aud_rec rec = {
	    .type = AUDIT_USER_MGMT, .op = own ? "rjh-ca-init" : "rjh-ca-add", .success = true};
	struct reg_user_ca ca;
	struct rjh_diag d = {""};
	char detail[200];
	struct reg *r;
	int rc;

	ca_from_key(&ca, k, own, comment);
	rc = admin_change_begin(a, &r);
	if (rc)
		return rc;
	rc = reg_user_ca_add(r, &ca, &d);
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	if (tmp) {
		rc = admin_ca_install(a, tmp, a->cfg.user_ca_key);
		if (rc)
			return admin_change_abort(a, r, rc);
	}
	a->certs = true;
	snprintf(detail, sizeof(detail), "ca=%s ca_type=%s own=%s", k->fp, k->type,
		 own ? "yes" : "no");
	rec.fp = k->fp;
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	if (rc && tmp)
		rc = ca_keep_or_drop(a, k, rc);
	return rc;
}

static int ca_init(struct admin *a, int argc, char **argv)
{
	const struct admin_opt opts[] = {{0}};
	char tmp[ADMIN_CA_TMP_SIZE] = "";
	struct key k = {0};
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	rc = admin_ca_make(a, a->cfg.user_ca_key, OWN_CA_COMMENT, tmp, &k);
	if (rc == 0)
		rc = ca_record(a, &k, true, OWN_CA_COMMENT, tmp);
	if (rc == 0)
		printf("user CA %s %s made; its private key is %s\n"
		       "Issue a host's certificate: rjh-admin sign NAME [KEY.pub]\n",
		       k.type, k.fp, a->cfg.user_ca_key);
	if (tmp[0])
		admin_ca_tmp_remove(tmp);
	key_clear(&k);
	return rc;
}

static int ca_add(struct admin *a, int argc, char **argv)
{
	const char *comment = "";
	const struct admin_opt opts[] = {{"comment", &comment, NULL}, {0}};
	struct key k = {0};
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 1, 1, &first);
	if (rc >= 0)
		return rc;
	if (!util_is_printable(comment, KEY_COMMENT_MAX))
		return admin_fail(a, RJH_EINVAL,
				  "--comment must be printable text of at most %d "
				  "characters",
				  KEY_COMMENT_MAX);
	/* A private key, a certificate, two keys: refused, nothing recorded. */
	rc = admin_read_key(a, argv[first], &k);
	if (rc == 0)
		rc = ca_record(a, &k, false, comment, NULL);
	if (rc == 0)
		printf("user CA %s %s trusted: its certificates log in hosts whose name is their "
		       "only principal\n",
		       k.type, k.fp);
	key_clear(&k);
	return rc;
}

static int ca_remove(struct admin *a, int argc, char **argv)
{
	const struct admin_opt opts[] = {{0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-ca-remove", .success = true};
	struct reg_user_ca ca;
	struct rjh_diag d = {""};
	char detail[200];
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 1, 1, &first);
	if (rc >= 0)
		return rc;
	if (!key_is_fingerprint(argv[first]))
		return admin_fail(a, RJH_EINVAL,
				  "'%.60s' is not a fingerprint (SHA256: and 43 base64 characters, "
				  "as 'rjh-admin ca list' prints it)",
				  argv[first]);
	rc = admin_change_begin(a, &r);
	if (rc)
		return rc;
	rc = reg_user_ca_get(r, argv[first], &ca, &d);
	if (rc == 0)
		rc = reg_user_ca_remove(r, ca.fp, &d);
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	a->certs = true;
	snprintf(detail, sizeof(detail), "ca=%s own=%s", ca.fp, ca.own ? "yes" : "no");
	rec.fp = ca.fp;
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	if (rc == 0)
		printf("user CA %s is no longer trusted%s%s%s\n", ca.fp,
		       ca.own ? "; its private key stays at " : "",
		       ca.own ? a->cfg.user_ca_key : "", ca.own ? " (remove it yourself)" : "");
	return rc;
}

struct ca_rows {
	json_t *arr;
	bool json;
};

static int print_ca(const struct reg_user_ca *ca, void *ctx)
{
	struct ca_rows *o = ctx;
	char t[32];

	if (!o->json) {
		printf("%-51s %-20s %-4s %-20s %s\n", ca->fp, ca->type, ca->own ? "yes" : "no",
		       admin_time(ca->added, t), ca->comment);
		return 0;
	}
	return json_array_append_new(
		   o->arr, json_pack("{s:s,s:s,s:s,s:b,s:o,s:s}", "fingerprint", ca->fp, "type",
				     ca->type, "key", ca->b64, "own", ca->own, "added",
				     admin_json_time(ca->added), "comment", ca->comment)) < 0
		   ? RJH_ENOMEM
		   : 0;
}

static int ca_list(struct admin *a, int argc, char **argv)
{
	bool json = false;
	const struct admin_opt opts[] = {{"json", NULL, &json}, {0}};
	struct ca_rows o = {.json = json};
	struct rjh_diag d = {""};
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	o.json = json;
	rc = admin_open_ro(a, &r);
	if (rc)
		return rc;
	if (json && !(o.arr = json_array())) {
		reg_close(r);
		return admin_fail(a, RJH_ENOMEM, "out of memory");
	}
	if (!json)
		printf("%-51s %-20s %-4s %-20s %s\n", "FINGERPRINT", "TYPE", "OWN", "ADDED",
		       "COMMENT");
	rc = reg_user_cas_each(r, print_ca, &o, &d);
	reg_close(r);
	if (rc < 0) {
		json_decref(o.arr);
		return admin_fail_diag(a, rc, &d);
	}
	return json ? admin_print_json(json_pack("{s:o}", "user_cas", o.arr)) : EXIT_OK;
}

static int cmd_ca(struct admin *a, int argc, char **argv)
{
	static const struct admin_sub_cmd subs[] = {
	    {"init", ca_init}, {"add", ca_add}, {"remove", ca_remove}, {"list", ca_list}, {0}};

	return admin_run_sub(a, argc, argv, subs, "give init, add, remove or list");
}

/* ------------------------------------------------------------------- sign */

/* The key to sign: the file given, or the host's one active key. */
struct sign_key {
	struct key k;
	int active; /* the host's active keys seen */
};

static int only_key(const struct reg_key *rk, void *ctx)
{
	struct sign_key *s = ctx;

	if (rk->revoked)
		return 0;
	if (s->active++ == 0) {
		snprintf(s->k.type, sizeof(s->k.type), "%s", rk->type);
		snprintf(s->k.fp, sizeof(s->k.fp), "%s", rk->fp);
		s->k.b64 = strdup(rk->b64);
		if (!s->k.b64)
			return RJH_ENOMEM;
	}
	return 0;
}

/*
 * What may be signed for host h: a key no other host has and h has not
 * revoked. Without a file, h's one active key. EXIT_OK or the failure.
 */
static int sign_key_check(struct admin *a, struct reg *r, const struct reg_host *h,
			  struct sign_key *s, bool from_file)
{
	struct rjh_diag d = {""};
	struct reg_key rk;
	int rc;

	if (!from_file) {
		rc = reg_keys_each(r, h->id, only_key, s, &d);
		if (rc < 0)
			return admin_fail_diag(a, rc, &d);
		if (s->active != 1)
			return admin_fail(a, RJH_EINVAL,
					  "%s has %d active keys: name the key to sign (rjh-admin "
					  "sign %s KEY.pub)",
					  h->name, s->active, h->name);
		return EXIT_OK;
	}
	rc = reg_key_find(r, s->k.fp, &rk, &d);
	if (rc == RJH_ENOENT)
		return EXIT_OK;
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	if (strcmp(rk.host, h->name))
		return admin_fail(a, RJH_EEXIST, "key %s is %s's, not %s's", s->k.fp, rk.host,
				  h->name);
	if (rk.revoked)
		return admin_fail(a, RJH_EINVAL, "key %s of %s is revoked", s->k.fp, h->name);
	return EXIT_OK;
}

/* The host, if it may get a certificate now: enrolled, active, not expired. */
static int sign_host(struct admin *a, struct reg *r, const char *name, int64_t now,
		     struct reg_host *h)
{
	struct rjh_diag d = {""};
	int rc = reg_host_get(r, name, h, &d);

	if (rc == RJH_ENOENT)
		return admin_fail(a, rc, "no host %s (rjh-admin enroll)", name);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	if (h->disabled)
		return admin_fail(a, RJH_EINVAL, "%s is disabled (rjh-admin enable %s)", name,
				  name);
	if (h->expires && h->expires <= now)
		return admin_fail(a, RJH_EINVAL, "%s has expired (rjh-admin modify %s --expires)",
				  name, name);
	return EXIT_OK;
}

/* rjh's own CA, whose private key must be the one at user_ca_key. */
static int sign_ca(struct admin *a, struct reg *r, struct own_ca *o)
{
	struct rjh_diag d = {""};
	struct key ca = {0};
	int rc = reg_user_cas_each(r, find_own, o, &d);

	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	if (!o->found)
		return admin_fail(a, RJH_ENOENT,
				  "there is no own user CA (rjh-admin ca init); with an external "
				  "CA, sign with it");
	if (geteuid() != 0)
		return admin_fail(a, RJH_ESYS,
				  "must run as root: the CA's private key is root's alone");
	snprintf(ca.type, sizeof(ca.type), "%s", o->ca.type);
	snprintf(ca.fp, sizeof(ca.fp), "%s", o->ca.fp);
	ca.b64 = o->ca.b64;
	return admin_ca_check_private(a, a->cfg.user_ca_key, &ca, "rjh's user CA");
}

/*
 * Runs ssh-keygen -s for h's key with the serial given, valid from 5
 * minutes ago until until (an absolute UTC time, so that the seconds
 * ssh-keygen takes to start never push it past the host's expiry); parses
 * what it wrote.
 */
static int sign_run(struct admin *a, const struct reg_host *h, const struct key *k, uint64_t serial,
		    int64_t until, char *cert, size_t certlen, struct cert *c)
{
	char id[NAME_HOST_SIZE + 16], principal[NAME_HOST_SIZE], valid[40], z[24];
	char src[sizeof(h->cidrs) + 20], line[16384], *b64;
	char I[] = "-I", n[] = "-n", V[] = "-V", Z[] = "-z", O[] = "-O", clear[] = "clear",
	     port[] = "permit-port-forwarding";
	char *opts[] = {I, id, n, principal, V, valid, Z, z, O, clear, O, port, NULL, NULL, NULL};
	struct rjh_diag d = {""};
	time_t t = (time_t)until;
	struct tm tm;
	int rc;

	snprintf(id, sizeof(id), "rjh-host:%s", h->name);
	snprintf(principal, sizeof(principal), "%s", h->name);
	if (!gmtime_r(&t, &tm) || !strftime(valid, sizeof(valid), "-5m:%Y%m%d%H%M%SZ", &tm))
		return admin_fail(a, RJH_EINVAL, "no validity end for %lld", (long long)until);
	snprintf(z, sizeof(z), "%llu", (unsigned long long)serial);
	if (h->cidrs[0]) {
		snprintf(src, sizeof(src), "source-address=%s", h->cidrs);
		opts[12] = O;
		opts[13] = src;
	}
	rc = admin_ca_sign(a, a->cfg.user_ca_key, k, opts, cert, certlen);
	if (rc)
		return rc;
	/* "TYPE BASE64 COMMENT": what was signed is read back, not assumed. */
	snprintf(line, sizeof(line), "%s", cert);
	b64 = strchr(line, ' ');
	if (b64) {
		*b64++ = '\0';
		b64[strcspn(b64, " ")] = '\0';
	}
	rc = b64 ? cert_parse_b64(line, b64, c, &d) : diag_set(&d, RJH_EINVAL, "no base64");
	if (rc == 0 &&
	    (c->serial != serial || c->nprincipals != 1 || strcmp(c->principal, h->name) ||
	     strcmp(c->key_fp, k->fp) || c->valid_before != (uint64_t)until))
		rc = diag_set(&d, RJH_EINVAL, "it is not the certificate asked for");
	return rc < 0 ? admin_fail(a, RJH_ESYS, "ssh-keygen's certificate: %s", d.msg) : EXIT_OK;
}

static int cmd_sign(struct admin *a, int argc, char **argv)
{
	const char *validity_s = NULL;
	const struct admin_opt opts[] = {{"validity", &validity_s, NULL}, {0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-sign", .success = true};
	struct sign_key s;
	struct reg_cert rc_row;
	struct own_ca o = {.found = false};
	struct rjh_diag d = {""};
	struct reg_host h;
	struct cert c;
	char cert[16384], detail[600];
	int64_t validity = SIGN_VALIDITY_DFLT, now = (int64_t)time(NULL);
	struct reg *r = NULL;
	uint64_t serial = 0;
	int rc, first;

	memset(&s, 0, sizeof(s));
	memset(&rc_row, 0, sizeof(rc_row));
	rc = admin_args(a, argc, argv, opts, 1, 2, &first);
	if (rc >= 0)
		return rc;
	rc = admin_check_host_name(a, argv[first]);
	if (rc == 0)
		rc = admin_parse_validity(a, validity_s, &validity);
	/* A private key, a certificate, two keys: refused before anything is opened. */
	if (rc == 0 && first + 1 < argc)
		rc = admin_read_key(a, argv[first + 1], &s.k);
	if (rc)
		goto out;
	rc = admin_change_begin(a, &r);
	if (rc)
		goto out;
	rc = sign_host(a, r, argv[first], now, &h);
	if (rc == 0)
		rc = sign_key_check(a, r, &h, &s, first + 1 < argc);
	if (rc == 0)
		rc = sign_ca(a, r, &o);
	if (rc == 0 && (rc = reg_cert_next_serial(r, o.ca.fp, &serial, &d)) < 0)
		rc = admin_fail_diag(a, rc, &d);
	/* Never beyond the host's own expiry. */
	if (rc == 0 && h.expires && h.expires - now < validity)
		validity = h.expires - now;
	if (rc == 0)
		rc = sign_run(a, &h, &s.k, serial, now + validity, cert, sizeof(cert), &c);
	if (rc)
		goto abort;
	snprintf(rc_row.ca_fp, sizeof(rc_row.ca_fp), "%s", o.ca.fp);
	rc_row.serial = serial;
	snprintf(rc_row.host, sizeof(rc_row.host), "%s", h.name);
	snprintf(rc_row.key_fp, sizeof(rc_row.key_fp), "%s", s.k.fp);
	snprintf(rc_row.key_id, sizeof(rc_row.key_id), "%s", c.key_id);
	rc_row.valid_after = (int64_t)c.valid_after;
	rc_row.valid_before = (int64_t)c.valid_before;
	rc_row.issued = now;
	rc = reg_cert_add(r, &rc_row, &d);
	if (rc < 0) {
		rc = admin_fail_diag(a, rc, &d);
		goto abort;
	}
	snprintf(detail, sizeof(detail), "serial=%llu ca=%s key_id=%s valid_before=%lld",
		 (unsigned long long)serial, o.ca.fp, c.key_id, (long long)c.valid_before);
	rec.host = h.name;
	rec.host_uid = h.uid;
	rec.fp = s.k.fp;
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	if (rc == 0)
		printf("%s\n", cert);
	goto out;
abort:
	admin_change_abort(a, r, rc);
out:
	key_clear(&s.k);
	return rc;
}

/* ------------------------------------------------------------ revoke-cert */

static int parse_serial(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	if (!*s || *s < '0' || *s > '9')
		return RJH_EINVAL;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out == 0 ? RJH_EINVAL : RJH_OK;
}

static int cmd_revoke_cert(struct admin *a, int argc, char **argv)
{
	const char *ca_fp = NULL;
	const struct admin_opt opts[] = {{"ca", &ca_fp, NULL}, {0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-revoke-cert", .success = true};
	struct own_ca o = {.found = false};
	struct rjh_diag d = {""};
	struct reg_cert c;
	struct reg_host h;
	char detail[300], safe[40];
	uint64_t serial;
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 2, 2, &first);
	if (rc >= 0)
		return rc;
	rc = admin_check_host_name(a, argv[first]);
	if (rc)
		return rc;
	if (parse_serial(argv[first + 1], &serial) < 0)
		return admin_fail(a, RJH_EINVAL, "'%s' is not a serial (1 to 2^64-1)",
				  util_safe(argv[first + 1], safe, 24));
	if (ca_fp && !key_is_fingerprint(ca_fp))
		return admin_fail(a, RJH_EINVAL, "--ca '%s' is not a fingerprint",
				  util_safe(ca_fp, safe, 24));
	rc = admin_change_begin(a, &r);
	if (rc)
		return rc;
	rc = ca_fp ? reg_user_ca_get(r, ca_fp, &o.ca, &d) : reg_user_cas_each(r, find_own, &o, &d);
	if (rc >= 0 && !ca_fp && !o.found)
		rc = diag_set(&d, RJH_ENOENT, "there is no own user CA: name the CA with --ca");
	if (rc >= 0)
		rc = reg_cert_revoke(r, o.ca.fp, serial, argv[first], (int64_t)time(NULL), &c, &d);
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	if (rc == 1) {
		printf("serial %llu of %s is already revoked\n", (unsigned long long)serial,
		       o.ca.fp);
		return admin_change_abort(a, r, EXIT_OK);
	}
	a->certs = true;
	snprintf(detail, sizeof(detail), "serial=%llu ca=%s", (unsigned long long)serial, o.ca.fp);
	rec.host = argv[first];
	if (reg_host_get(r, argv[first], &h, NULL) == 0)
		rec.host_uid = h.uid;
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	if (rc == 0)
		printf("revoked certificate serial %llu of %s (%s)\n", (unsigned long long)serial,
		       argv[first], o.ca.fp);
	return rc;
}

const struct admin_cmd admin_cmd_ca = {
    "ca",
    cmd_ca,
    "init | add FILE [--comment TEXT] | remove FINGERPRINT | list [--json]",
    "The user CAs whose certificates hosts log in with",
    "init               makes rjh's own ed25519 user CA at user_ca_key (rjh.conf,\n"
    "                   default /etc/rjh/user_ca, root's, 0600) and trusts it;\n"
    "                   'rjh-admin sign' issues host certificates with it\n"
    "add FILE           trusts an external CA's public key (Vault, step-ca, your\n"
    "                   own): its certificates log in an enrolled, active host\n"
    "                   whose name is their only principal\n"
    "remove FP          trusts the CA no more (an own CA's private key stays)\n"
    "list               the trusted CAs\n\n"
    "sshd reads REGISTRY.user-cas (TrustedUserCAKeys) and REGISTRY.krl\n"
    "(RevokedKeys), which every change rewrites (with store = postgresql, each\n"
    "jumphost's rjh-sync). Raw keys keep working beside certificates. Every\n"
    "change is audited.\n",
    ADMIN_POLICY_NONE};

const struct admin_cmd admin_cmd_sign = {
    "sign",
    cmd_sign,
    "NAME [KEY.pub] [--validity AGE]",
    "Issue a host's certificate with rjh's own user CA",
    "Prints an OpenSSH user certificate for KEY.pub (default: the host's one\n"
    "active key) whose only principal is NAME, key id 'rjh-host:NAME', a serial\n"
    "the registry records, allowing port forwarding only (and only from the\n"
    "host's --from CIDRs, as source-address), valid --validity (default 90d,\n"
    "never past the host's --expires). Install it on the host as KEY-cert.pub\n"
    "beside the private key (ssh offers it after the plain key) or name it in\n"
    "CertificateFile (offered first). Renew the same way before it expires.\n"
    "Refused: a disabled or expired host, a private key, a\n"
    "certificate, a key of another host or a revoked one. Needs root.\n",
    ADMIN_POLICY_NONE};

const struct admin_cmd admin_cmd_revoke_cert = {
    "revoke-cert",
    cmd_revoke_cert,
    "NAME SERIAL [--ca FINGERPRINT]",
    "Revoke one certificate of a host by serial",
    "Revokes serial SERIAL of rjh's own CA (or of the trusted CA --ca names) for\n"
    "host NAME: the KRL sshd reads on every login lists it at once, and pam_rjh\n"
    "refuses it too. Revoking a revoked serial changes nothing and exits 0.\n"
    "'rjh-admin revoke NAME' disables every certificate of a host at once.\n",
    ADMIN_POLICY_NONE};
