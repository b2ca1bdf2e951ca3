/*
 * pam_rjh: account and session for rjh hosts, inside sshd.
 *
 *   account  required pam_rjh.so [conf=/etc/rjh/rjh.conf] [audit=...] [debug]
 *   session  required pam_rjh.so [conf=/etc/rjh/rjh.conf] [audit=...] [debug]
 *
 * Account: an enrolled host may log in while it is active, not expired, and
 * PAM_RHOST lies in its source CIDRs (if it has any). Session open: the key
 * sshd accepted (SSH_AUTH_INFO_0) must be one of the host's active keys, or
 * a certificate whose only principal is the host, from a CA the registry
 * trusts, with a serial not revoked (whatever the age of the KRL sshd read);
 * then the host's socket directory is repaired, a presence row written and
 * AUDIT_USER_START op=rjh-tunnel recorded, naming the key or the certificate. Any failure fails the
 * session, and sshd then refuses every forward. Session close ends the row, records AUDIT_USER_END
 * and removes the socket unless a newer tunnel listens on it.
 *
 * Every account that cannot be an rjh host (not a host name, unknown, or a
 * uid outside rjh's range) gets PAM_IGNORE before the registry is opened.
 * The range is the one `rjh-admin init` recorded in the registry, as the
 * login snapshot (lib/login.h) carries it: the one nss_rjh serves, whatever
 * rjh.conf says. The account check reads the login snapshot only; the
 * session, which writes presence anyway, checks again against the registry
 * inside its one write transaction.
 */
#include <errno.h>
#include <libaudit.h>
#include <pwd.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "aud.h"
#include "auth_info.h"
#include "cert.h"
#include "cfg.h"
#include "layout.h"
#include "login.h"
#include "name.h"
#include "policy.h"
#include "presence.h"
#include "reg.h"
#include "snap.h"
#include "util.h"

/*
 * How long the account check waits for the registry lock, and how long a
 * presence write does. A whole fleet reconnecting queues its presence
 * writes one commit after another; failing one would cost that host its
 * forwards until it reconnects, so a writer waits long. sshd puts no limit
 * on the session phase; hosts restart their tunnel anyway.
 */
#define PAM_RJH_READ_BUSY_MS  10000
#define PAM_RJH_WRITE_BUSY_MS 60000
/* Where the open session's id and key wait for close_session. */
#define PAM_RJH_DATA "pam_rjh_session"
/* cert_id=... cert_serial=N cert_ca="SHA256:...": CERT_KEY_ID_MAX hex-encoded at worst. */
#define CERT_DETAIL_SIZE (2 * CERT_KEY_ID_MAX + 128)

struct host_ctx {
	pam_handle_t *pamh;
	struct pam_rjh_args args;
	struct cfg cfg;
	struct login_view lv; /* mapped by classify for a host account */
	bool have_lv;
	bool lv_optional; /* session close: works on without it */
	const char *user;
	struct passwd pw; /* the account's entry, strings in pwbuf */
	char *pwbuf;
	const char *rhost; /* PAM_RHOST, or NULL */
	uid_t uid;
	int64_t now;
	int deny; /* what this phase returns when it refuses */
};

/* What close_session needs from open_session. */
struct open_session {
	int64_t id;
	char fp[KEY_FP_LEN];
	char cert_detail[CERT_DETAIL_SIZE]; /* the certificate's audit fields, or "" */
};

#define DEBUG(x, ...)                                                                              \
	do {                                                                                       \
		if ((x)->args.debug)                                                               \
			pam_syslog((x)->pamh, LOG_DEBUG, __VA_ARGS__);                             \
	} while (0)

/* True when pw is an account nss_rjh serves (its GECOS), whatever rjh.conf says. */
static bool nss_rjh_account(const struct passwd *pw)
{
	return pw->pw_gecos &&
	       strncmp(pw->pw_gecos, SNAP_GECOS_PREFIX, sizeof(SNAP_GECOS_PREFIX) - 1) == 0;
}

/*
 * Looks user up into x->pw. Returns 0, RJH_ENOENT when there is no such
 * account, or RJH_ESYS when the name service failed (it could not say).
 * NB. not pam_modutil_getpwnam: it answers NULL for both, and a failed
 * lookup of a host is no proof that it is not one.
 */
static int lookup_account(struct host_ctx *x)
{
	struct passwd *res = NULL;
	size_t len = 4096;
	char *nb;
	int err;

	for (;;) {
		nb = realloc(x->pwbuf, len);
		if (!nb)
			return RJH_ESYS;
		x->pwbuf = nb;
		err = getpwnam_r(x->user, &x->pw, x->pwbuf, len, &res);
		if (err != ERANGE || len >= (1u << 20))
			break;
		len *= 2;
	}
	if (err == 0 && res)
		return RJH_OK;
	/* getpwnam_r(3): 0, ENOENT, ESRCH, EBADF or EPERM mean "not found". */
	if (err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM)
		return RJH_ENOENT;
	return RJH_ESYS;
}

/*
 * Loads rjh.conf into x->cfg and maps its login snapshot (x->have_lv).
 * Returns cfg_load's answer; *lv_rc is login_open's when it was tried.
 */
static int load_policy(struct host_ctx *x, int *lv_rc, struct rjh_diag *d)
{
	int rc = cfg_load(x->args.conf, &x->cfg, d);

	if (rc == 0) {
		*lv_rc = login_open(&x->cfg, &x->lv, d);
		x->have_lv = *lv_rc == 0;
	}
	return rc;
}

/*
 * The name service did not find x->user (lookup_rc RJH_ENOENT) or failed to
 * look it up: the account is rjh's when the login snapshot names it, and is
 * then denied, as it is when that cannot be told.
 * NB. "not found" is no proof either: glibc skips a module it fails to load
 * (an allocation in nss_module.c's module_load) and reports the other
 * modules' NOTFOUND, with no error at all.
 */
static int lookup_missed(struct host_ctx *x, int lookup_rc)
{
	struct rjh_diag d = {""};
	struct reg_host h;
	int rc, lv_rc = 0;

	rc = load_policy(x, &lv_rc, &d);
	if (rc == 0 && lv_rc == 0) {
		rc = login_host(&x->lv, x->user, &h);
		if (rc == RJH_ENOENT)
			return PAM_IGNORE;
	}
	pam_syslog(x->pamh, LOG_ERR, "host %s refused: the name service %s%s%s", x->user,
		   lookup_rc == RJH_ENOENT ? "does not know it" : "failed to look it up",
		   d.msg[0] ? ": " : "", d.msg);
	return x->deny;
}

/*
 * Decides whether this account is rjh's. Returns PAM_SUCCESS with x filled
 * (and the login snapshot mapped) for a host account, PAM_IGNORE for every
 * other account, or x->deny when it is one of rjh's uids but the module
 * cannot make a decision.
 */
static int classify(struct host_ctx *x, int argc, const char **argv)
{
	const struct passwd *pw;
	const struct snap_hdr *reg;
	const void *item = NULL;
	struct rjh_diag d = {""};
	int bad_args, rc, lv_rc = 0;

	bad_args = pam_rjh_args_parse(argc, argv, &x->args);
	if (pam_get_user(x->pamh, &x->user, NULL) != PAM_SUCCESS || !x->user ||
	    !name_is_host(x->user))
		return PAM_IGNORE;
	rc = lookup_account(x);
	if (rc < 0)
		return lookup_missed(x, rc);
	pw = &x->pw;
	x->uid = pw->pw_uid;
	rc = load_policy(x, &lv_rc, &d);
	if (rc < 0)
		cfg_defaults(&x->cfg);
	if (rc == 0 && lv_rc == 0) {
		/* The registry's range, as every component sees it; rjh.conf's only seeds init. */
		reg = login_settings(&x->lv);
		if (x->uid < reg->uid_min || x->uid > reg->uid_max)
			return PAM_IGNORE;
	} else if (!nss_rjh_account(pw) && (x->uid < x->cfg.uid_min || x->uid > x->cfg.uid_max)) {
		/*
		 * No decision possible, and the account is neither nss_rjh's nor in
		 * the range rjh.conf states (its defaults when rjh.conf itself is
		 * unusable): not ours, stay out of the way.
		 */
		return PAM_IGNORE;
	}
	if (bad_args < 0) {
		pam_syslog(x->pamh, LOG_ERR, "host %s refused: unknown module argument '%s'",
			   x->user, x->args.bad);
		return x->deny;
	}
	if (rc < 0 || (lv_rc < 0 && !x->lv_optional)) {
		pam_syslog(x->pamh, LOG_ERR, "host %s refused: %s", x->user, d.msg);
		return x->deny;
	}
	if (x->args.audit_set)
		x->cfg.audit = x->args.audit;
	if (pam_get_item(x->pamh, PAM_RHOST, &item) == PAM_SUCCESS && item && *(const char *)item)
		x->rhost = item;
	x->now = (int64_t)time(NULL);
	return PAM_SUCCESS;
}

/* What every phase does last: the mapping goes. */
static int done(struct host_ctx *x, int rc)
{
	if (x->have_lv)
		login_close(&x->lv);
	x->have_lv = false;
	free(x->pwbuf);
	x->pwbuf = NULL;
	return rc;
}

/* Opens the registry; on failure logs why and returns NULL. */
static struct reg *open_registry(struct host_ctx *x, enum reg_mode mode)
{
	struct rjh_diag d = {""};
	struct reg *r = NULL;

	if (reg_open(x->cfg.registry, mode, &x->cfg,
		     mode == REG_RO ? PAM_RJH_READ_BUSY_MS : PAM_RJH_WRITE_BUSY_MS, &r, &d) < 0) {
		pam_syslog(x->pamh, LOG_ERR, "host %s refused: registry unavailable: %s", x->user,
			   d.msg);
		return NULL;
	}
	return r;
}

/*
 * Judges host x->user, given what looking it up returned (rc, and h when
 * rc is 0). Returns NULL when it may log in now, or why not.
 */
static const char *judge(const struct host_ctx *x, int rc, const struct reg_host *h)
{
	if (rc == RJH_ENOENT)
		return "not enrolled";
	if (rc < 0)
		return "registry unavailable";
	if (h->uid != x->uid)
		return "uid does not match the registry";
	return policy_host_refusal(h, x->now, x->rhost ? x->rhost : "");
}

/*
 * Writes rec to the kernel, and with r (a read-write registry outside any
 * transaction) to the events table too, in a transaction of its own.
 * Returns 0 or an rjh error code.
 */
static int record(struct host_ctx *x, struct reg *r, const struct aud_rec *rec)
{
	struct rjh_diag d = {""};
	struct aud a;
	int rc;

	rc = aud_open(&a, &x->cfg, &d);
	if (rc == 0 && r)
		rc = reg_begin(r, &d);
	if (rc == 0) {
		rc = aud_record(&a, r, rec, &d);
		if (r)
			rc = rc == 0 ? reg_commit(r, &d) : (reg_rollback(r), rc);
	}
	if (rc < 0)
		pam_syslog(x->pamh, LOG_ERR, "host %s: cannot record %s: %s", x->user, rec->op,
			   d.msg);
	else if (a.why[0] && x->cfg.audit == CFG_AUDIT_BEST_EFFORT)
		DEBUG(x, "audit: %s", a.why);
	aud_close(&a);
	return rc;
}

/* why as one audit token (letters and digits, '-' for every other run), so audit keeps it readable.
 */
static void reason_token(const char *why, char *buf, size_t len)
{
	size_t n = 0;

	for (; *why && n + 1 < len; why++) {
		bool word = (*why >= 'a' && *why <= 'z') || (*why >= 'A' && *why <= 'Z') ||
			    (*why >= '0' && *why <= '9');

		if (word)
			buf[n++] = *why;
		else if (n && buf[n - 1] != '-')
			buf[n++] = '-';
	}
	buf[n] = '\0';
}

/* Logs and audits a refused account, and returns x->deny. */
static int refuse_account(struct host_ctx *x, const struct reg_host *h, const char *why)
{
	struct aud_rec rec = {
	    .type = AUDIT_USER_ACCT,
	    .op = "rjh-login",
	    .host = x->user,
	    .host_uid = (uint32_t)x->uid,
	    .addr = x->rhost,
	    .success = false,
	};
	char token[96], safe[64], *reason;
	struct reg *r;

	pam_syslog(x->pamh, LOG_NOTICE, "host %s from %s refused: %s", x->user,
		   util_safe(x->rhost ? x->rhost : "?", safe, sizeof(safe)), why);
	reason_token(why, token, sizeof(token));
	reason = audit_encode_nv_string("reason", token, 0);
	rec.detail = reason;
	/* The events row only for a host the registry knows: nothing else can flood it. */
	r = h && h->id ? open_registry(x, REG_RW) : NULL;
	record(x, r, &rec);
	reg_close(r);
	free(reason);
	return x->deny;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct host_ctx x = {.pamh = pamh, .deny = PAM_PERM_DENIED};
	struct reg_host h = {0};
	const char *why;
	int rc;

	(void)flags;
	rc = classify(&x, argc, argv);
	if (rc != PAM_SUCCESS)
		return done(&x, rc);
	/* The login snapshot, not the registry: no lock a writer would wait for. */
	rc = login_host(&x.lv, x.user, &h);
	if (rc < 0 && rc != RJH_ENOENT)
		pam_syslog(pamh, LOG_ERR, "host %s: its record in the login snapshot is malformed",
			   x.user);
	why = judge(&x, rc, &h);
	if (why)
		return done(&x, refuse_account(&x, rc == 0 ? &h : NULL, why));
	DEBUG(&x, "host %s from %s: account ok", x.user, x.rhost ? x.rhost : "?");
	return done(&x, PAM_SUCCESS);
}

/* ---------------------------------------------------------------- session */

struct key_match {
	const char *type, *b64;
	int64_t now;
	char fp[KEY_FP_LEN]; /* set when an active key of the host matched */
};

static int match_key(const struct reg_key *k, void *ctx)
{
	struct key_match *m = ctx;

	if (policy_key_presented(k, m->now, NULL, m->type, m->b64))
		snprintf(m->fp, sizeof(m->fp), "%s", k->fp);
	return 0;
}

/* What check_auth_info learns, one key sshd accepted at a time. */
struct auth_check {
	struct reg *r;
	const char *host;
	int64_t host_id, now;
	struct reg_session *se; /* fp and cert of the first key */
	char *cert_detail;      /* CERT_DETAIL_SIZE: the first certificate's audit fields */
	const char *why;        /* set when a key fails: the check stops there */
	int keys;
};

/*
 * Why certificate c may not log in host c->host now, or NULL. sshd checked
 * its signature, validity, principal and the KRL already; this holds
 * whatever the KRL's age: the CA trusted now, the serial not revoked nor
 * another host's, exactly one principal, the host's, and the key in it not
 * revoked nor another host's.
 */
static const char *cert_refused(const struct auth_check *c, const struct cert *ct)
{
	struct reg_user_ca ca;
	struct reg_cert rc;
	struct reg_key k;
	int rc_ca, rc_cert, rc_key;

	if (ct->cert_type != CERT_TYPE_USER)
		return "the certificate is not a user certificate";
	if (ct->nprincipals != 1 || ct->principal_bad || strcmp(ct->principal, c->host) != 0)
		return "the certificate's only principal must be the host's name";
	if (ct->valid_after > (uint64_t)c->now || ct->valid_before <= (uint64_t)c->now)
		return "the certificate is not valid now";
	rc_ca = reg_user_ca_get(c->r, ct->ca_fp, &ca, NULL);
	rc_cert = reg_cert_get(c->r, ct->ca_fp, ct->serial, &rc, NULL);
	rc_key = reg_key_find(c->r, ct->key_fp, &k, NULL);
	if ((rc_ca < 0 && rc_ca != RJH_ENOENT) || (rc_cert < 0 && rc_cert != RJH_ENOENT) ||
	    (rc_key < 0 && rc_key != RJH_ENOENT))
		return "registry unavailable";
	if (rc_ca == RJH_ENOENT)
		return "the certificate's CA is not trusted (rjh-admin ca list)";
	if (rc_cert == 0 && rc.revoked)
		return "the certificate's serial is revoked";
	if (rc_cert == 0 && strcmp(rc.host, c->host) != 0)
		return "the certificate's serial belongs to another host";
	if (rc_key == 0 && (k.revoked || k.host_id != c->host_id))
		return "the certificate's key is revoked or another host's";
	return NULL;
}

/* The audit fields naming certificate ct (the key id encoded as audit needs). */
static void cert_fields(const struct cert *ct, char *buf, size_t len)
{
	char *id = audit_encode_nv_string("cert_id", ct->key_id, 0);

	snprintf(buf, len, "%s cert_serial=%llu cert_ca=\"%s\"", id ? id : "cert_id=?",
		 (unsigned long long)ct->serial, ct->ca_fp);
	free(id);
}

static int check_one_cert(struct auth_check *c, const char *type, const char *b64)
{
	struct cert ct;
	struct rjh_diag d = {""};

	if (cert_parse_b64(type, b64, &ct, &d) < 0) {
		c->why = "the certificate sshd accepted does not parse";
		return 1;
	}
	c->why = cert_refused(c, &ct);
	if (c->why || c->keys++ > 0)
		return c->why ? 1 : 0;
	snprintf(c->se->fp, sizeof(c->se->fp), "%s", ct.key_fp);
	snprintf(c->se->cert, sizeof(c->se->cert), "serial=%llu ca=%s id=%s",
		 (unsigned long long)ct.serial, ct.ca_fp, ct.key_id);
	cert_fields(&ct, c->cert_detail, CERT_DETAIL_SIZE);
	return 0;
}

static int check_one_key(const char *type, const char *b64, void *ctx)
{
	struct auth_check *c = ctx;
	struct key_match m = {.type = type, .b64 = b64, .now = c->now};
	struct rjh_diag d = {""};

	if (cert_type_is_cert(type))
		return check_one_cert(c, type, b64);
	if (reg_keys_each(c->r, c->host_id, match_key, &m, &d) < 0)
		c->why = "registry unavailable";
	else if (!m.fp[0])
		c->why = "the key sshd accepted is not an active key of this host";
	else if (c->keys++ == 0)
		snprintf(c->se->fp, sizeof(c->se->fp), "%s", m.fp);
	return c->why ? 1 : 0;
}

/*
 * Checks the keys sshd accepted (SSH_AUTH_INFO_0: one "publickey TYPE B64"
 * line per key): each must be one of host h's active keys, or a certificate
 * cert_refused lets in, and there must be at least one. Sets se's fp (and
 * cert, and cert_detail, for a certificate) from the first.
 */
static const char *check_auth_info(struct host_ctx *x, struct reg *r, const struct reg_host *h,
				   struct reg_session *se, char *cert_detail)
{
	const char *info = pam_getenv(x->pamh, "SSH_AUTH_INFO_0");
	struct auth_check c = {.r = r,
			       .host = h->name,
			       .host_id = h->id,
			       .now = x->now,
			       .se = se,
			       .cert_detail = cert_detail};

	if (!info || !*info)
		return "no SSH_AUTH_INFO_0 (sshd must run with UsePAM and publickey)";
	switch (pam_rjh_auth_info_each(info, check_one_key, &c)) {
	case RJH_OK:
		return NULL;
	case RJH_ENOMEM:
		return "out of memory";
	case RJH_EINVAL:
		return "malformed SSH_AUTH_INFO_0";
	case RJH_ENOENT:
		return "SSH_AUTH_INFO_0 names no public key";
	default:
		return c.why;
	}
}

/* The host's open sessions: those whose sshd is gone, and how many live. */
struct open_rows {
	int64_t stale[64];
	int nstale, live;
};

static int collect_open(const struct reg_session *s, void *ctx)
{
	struct open_rows *o = ctx;

	if (pres_session_alive(s))
		o->live++;
	else if (o->nstale < (int)(sizeof(o->stale) / sizeof(o->stale[0])))
		o->stale[o->nstale++] = s->id;
	return 0;
}

/*
 * A tunnel record's detail with the certificate's fields (cert_detail, or
 * "" for a raw key) after it: malloc'd, or NULL when out of memory.
 */
static char *with_cert(const char *detail, const char *cert_detail)
{
	size_t n = strlen(detail) + strlen(cert_detail) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", detail, cert_detail[0] ? " " : "", cert_detail);
	return s;
}

/*
 * The session's one write transaction: the host's policy and key checked
 * against the registry, its live sessions counted (max_sessions_per_host),
 * rows of crashed sshds ended as stale, the new row and its events row
 * written. A certificate login's records name the certificate instead of
 * a key: rec's detail becomes *detail_out (the caller frees it). Returns
 * NULL, or why not (*capped when the cap refused it).
 */
static const char *session_txn(struct host_ctx *x, struct reg *r, struct reg_session *se,
			       struct aud_rec *rec, struct open_session *os, char **detail_out,
			       struct open_rows *o, bool *capped, struct rjh_diag *d)
{
	struct reg_host h;
	const char *why;
	int i, rc;

	*capped = false;
	if (reg_begin(r, d) < 0)
		return "registry unavailable";
	rc = reg_host_get(r, x->user, &h, d);
	why = judge(x, rc, &h);
	if (!why)
		why = check_auth_info(x, r, &h, se, os->cert_detail);
	if (!why && os->cert_detail[0]) {
		*detail_out = with_cert(rec->detail, os->cert_detail);
		why = *detail_out ? NULL : "out of memory";
		rec->detail = *detail_out;
		rec->fp = NULL;
	}
	if (!why && reg_sessions_host_each(r, x->user, true, 0, collect_open, o, d) < 0)
		why = "registry unavailable";
	if (!why && o->live >= (int)x->cfg.max_sessions_per_host) {
		*capped = true;
		why = "too many sessions (max_sessions_per_host)";
	}
	for (i = 0, rc = 0; !why && rc == 0 && i < o->nstale; i++) {
		rc = reg_session_end(r, o->stale[i], NULL, 0, x->now, "stale", d);
		if (rc == RJH_ENOENT)
			rc = RJH_OK;
	}
	if (!why && rc == 0)
		rc = reg_session_open(r, se, &os->id, d);
	if (!why && rc == 0)
		rc = aud_event(r, rec, d);
	if (!why && rc == 0)
		rc = reg_commit(r, d);
	if (!why && rc < 0)
		why = "cannot record presence";
	if (why)
		reg_rollback(r);
	return why;
}

/* Audits a tunnel the cap refused (USER_START res=failed reason=max-sessions), and logs it. */
static void refuse_capped(struct host_ctx *x, struct reg *r, const struct aud_rec *start, int live)
{
	struct aud_rec rec = *start;
	char *reason = audit_encode_nv_string("reason", "max-sessions", 0);

	pam_syslog(x->pamh, LOG_NOTICE,
		   "host %s: tunnel refused: %d sessions live, max_sessions_per_host is %u",
		   x->user, live, x->cfg.max_sessions_per_host);
	rec.success = false;
	rec.detail = reason;
	record(x, r, &rec);
	free(reason);
}

static void free_open_session(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	free(data);
}

/* The detail of a tunnel record: socket="PATH", encoded as audit needs. */
static char *socket_detail(const struct host_ctx *x)
{
	char path[CFG_PATH_MAX + 64];

	if (layout_socket_path(&x->cfg, x->user, path, sizeof(path)) < 0)
		return NULL;
	return audit_encode_nv_string("socket", path, 0);
}

/*
 * Removes what the host left in its directories besides sock/ and its
 * ssh.sock (sshd never unlinks a forward's socket; a host can bind any
 * name), never following a link, and says so when there was something.
 */
static void sweep(const struct host_ctx *x)
{
	struct rjh_diag d = {""};
	int n = layout_sweep_host(&x->cfg, x->user, &d);

	if (n < 0)
		pam_syslog(x->pamh, LOG_ERR, "host %s: %s", x->user, d.msg);
	else if (n > 0)
		pam_syslog(x->pamh, LOG_NOTICE,
			   "host %s: removed %d unexpected entries from its directory", x->user, n);
}

/* Opens the session: policy, key, directory, presence, audit. Returns NULL or why not. */
static const char *session_open(struct host_ctx *x, struct reg *r)
{
	struct reg_session se = {.uid = (uint32_t)x->uid, .pid = getpid(), .started = x->now};
	struct aud_rec rec = {.type = AUDIT_USER_START, .op = "rjh-tunnel", .success = true};
	struct open_rows rows = {.nstale = 0};
	struct open_session *os = NULL;
	struct rjh_diag d = {""};
	const char *why;
	char *detail = NULL, *cert_detail = NULL;
	bool capped;
	struct aud a;

	/* The hosts group as the registry recorded it (login_settings). */
	if (layout_prepare_host(&x->cfg, x->user, x->uid, login_settings(&x->lv)->gid, &d) < 0) {
		pam_syslog(x->pamh, LOG_ERR, "host %s: %s", x->user, d.msg);
		return "cannot prepare the socket directory";
	}
	sweep(x);
	snprintf(se.host, sizeof(se.host), "%s", x->user);
	snprintf(se.source, sizeof(se.source), "%s", x->rhost ? x->rhost : "");
	se.pid_start = pres_pid_start(se.pid);
	detail = socket_detail(x);
	os = calloc(1, sizeof(*os));
	rec.host = x->user;
	rec.host_uid = (uint32_t)x->uid;
	rec.fp = se.fp;
	rec.addr = x->rhost;
	rec.detail = detail;
	why = !detail || !os ? "out of memory" : NULL;
	if (!why && aud_open(&a, &x->cfg, &d) < 0)
		why = "audit = required and kernel audit is unavailable";
	else if (!why) {
		why = session_txn(x, r, &se, &rec, os, &cert_detail, &rows, &capped, &d);
		if (capped)
			refuse_capped(x, r, &rec, rows.live);
		else if (!why && aud_kernel(&a, &rec, &d) < 0) {
			why = "cannot write the audit record (audit = required)";
			/* sshd will not close a session it was refused: end the row now. */
			if (reg_begin(r, NULL) == 0) {
				reg_session_end(r, os->id, NULL, 0, x->now, "closed", NULL);
				reg_commit(r, NULL);
			}
		}
		aud_close(&a);
	}
	free(detail);
	free(cert_detail);
	if (!why) {
		snprintf(os->fp, sizeof(os->fp), "%s", se.fp);
		if (pam_set_data(x->pamh, PAM_RJH_DATA, os, free_open_session) == PAM_SUCCESS)
			os = NULL;
		DEBUG(x, "host %s from %s: tunnel session open, key %s%s%s, %d stale rows ended",
		      x->user, se.source, se.fp, se.cert[0] ? ", certificate " : "", se.cert,
		      rows.nstale);
	} else if (d.msg[0]) {
		pam_syslog(x->pamh, LOG_ERR, "host %s: %s", x->user, d.msg);
	}
	free(os);
	return why;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct host_ctx x = {.pamh = pamh, .deny = PAM_SESSION_ERR};
	const char *why;
	struct reg *r;
	int rc;

	(void)flags;
	rc = classify(&x, argc, argv);
	if (rc != PAM_SUCCESS)
		return done(&x, rc);
	r = open_registry(&x, REG_RW);
	why = r ? session_open(&x, r) : "registry unavailable";
	reg_close(r);
	if (!why)
		return done(&x, PAM_SUCCESS);
	pam_syslog(pamh, LOG_NOTICE, "host %s from %s: tunnel refused: %s", x.user,
		   x.rhost ? x.rhost : "?", why);
	return done(&x, PAM_SESSION_ERR);
}

/* Ends this sshd's presence row and writes its events row, in one short transaction. */
static int session_end(struct host_ctx *x, struct reg *r, const struct open_session *os,
		       const struct aud_rec *rec, struct rjh_diag *d)
{
	int rc = reg_begin(r, d);

	if (rc == 0) {
		rc = reg_session_end(r, os ? os->id : 0, x->user, getpid(), x->now, "closed", d);
		if (rc == RJH_ENOENT) /* ended as stale by a newer session, or never opened */
			rc = RJH_OK;
	}
	if (rc == 0)
		rc = aud_event(r, rec, d);
	return rc == 0 ? reg_commit(r, d) : (reg_rollback(r), rc);
}

/* Counts the host's other open sessions whose sshd still runs. */
static int count_live(const struct reg_session *s, void *ctx)
{
	if (pres_session_alive(s))
		++*(int *)ctx;
	return 0;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct host_ctx x = {.pamh = pamh, .deny = PAM_SESSION_ERR};
	struct aud_rec rec = {.type = AUDIT_USER_END, .op = "rjh-tunnel", .success = true};
	const struct open_session *os = NULL;
	struct rjh_diag d = {""};
	int rc, rk, live = 0;
	char *detail;
	struct reg *r;
	struct aud a;

	(void)flags;
	/* A row to end and a record to write, even with the login snapshot gone. */
	x.lv_optional = true;
	rc = classify(&x, argc, argv);
	if (rc != PAM_SUCCESS)
		return done(&x, rc);
	if (pam_get_data(pamh, PAM_RJH_DATA, (const void **)&os) != PAM_SUCCESS)
		os = NULL;
	detail = socket_detail(&x);
	if (detail && os && os->cert_detail[0]) {
		char *with = with_cert(detail, os->cert_detail);

		free(detail);
		detail = with;
	}
	rec.host = x.user;
	rec.host_uid = (uint32_t)x.uid;
	rec.fp = os && os->fp[0] && !os->cert_detail[0] ? os->fp : NULL;
	rec.addr = x.rhost;
	rec.detail = detail;
	/* The row and its events row; then whether another session of the host lives. */
	r = open_registry(&x, REG_RW);
	rc = r ? session_end(&x, r, os, &rec, &d) : RJH_EREGISTRY;
	if (rc < 0 && r)
		pam_syslog(pamh, LOG_ERR, "host %s: cannot end presence: %s", x.user, d.msg);
	if (r && reg_sessions_host_each(r, x.user, true, 0, count_live, &live, NULL) < 0)
		live = 1; /* unknown: keep the socket, a stale one does no harm */
	reg_close(r);
	/*
	 * The host's last session ends: what it left goes, and the socket too
	 * unless a process listens on it (a reconnected host's sshd may have
	 * bound its new socket and not yet be known here as a live session).
	 */
	if (!live) {
		sweep(&x);
		if (pres_remove_stale_socket(&x.cfg, x.user, &d) < 0)
			pam_syslog(pamh, LOG_ERR, "host %s: %s", x.user, d.msg);
	}
	/* The kernel record whatever became of the registry. */
	rk = aud_open(&a, &x.cfg, &d);
	if (rk == 0)
		rk = aud_kernel(&a, &rec, &d);
	if (rk < 0)
		pam_syslog(pamh, LOG_ERR, "host %s: cannot write USER_END: %s", x.user, d.msg);
	aud_close(&a);
	free(detail);
	DEBUG(&x, "host %s: tunnel session closed", x.user);
	return done(&x, rc < 0 || rk < 0 ? PAM_SESSION_ERR : PAM_SUCCESS);
}
