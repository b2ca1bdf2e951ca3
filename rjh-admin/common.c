/* What every rjh-admin command shares: messages, options, changes. */
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "admin.h"
#include "name.h"
#include "publish.h"
#include "reg_pg.h"
#include "spool.h"
#include "util.h"

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000 /* Linux 5.8 */
#endif

int admin_exit_code(int err)
{
	switch (err) {
	case RJH_OK:
		return EXIT_OK;
	case RJH_EINVAL:
	case RJH_ECONFIG:
		return EXIT_INVALID;
	case RJH_EEXIST:
	case RJH_ENOENT:
		return EXIT_CONFLICT;
	default:
		return EXIT_SYSTEM;
	}
}

int admin_fail(struct admin *a, int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rjh-admin: %s%s", a->cmd ? a->cmd : "", a->cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return admin_exit_code(err);
}

int admin_fail_diag(struct admin *a, int err, const struct rjh_diag *d)
{
	return admin_fail(a, err, "%s", d->msg[0] ? d->msg : rjh_strerror(err));
}

const struct admin_cmd *admin_find_cmd(const char *name)
{
	const struct admin_cmd *const *c;

	for (c = admin_cmds; *c; c++) {
		if (!strcmp((*c)->name, name))
			return *c;
	}
	return NULL;
}

/* Whether c takes host policy field f. */
static bool takes_field(const struct admin_cmd *c, const struct reg_host_field *f)
{
	return c->policy == ADMIN_POLICY_MODIFY || (c->policy == ADMIN_POLICY_ENROLL && f->enroll);
}

/* c's usage: its arguments, then " [--OPT ARG]" for each policy field it takes. */
static void print_usage(FILE *out, const struct admin_cmd *c)
{
	int i;

	fprintf(out, "%s", c->usage);
	for (i = 0; i < REG_HOST_NPOLICY; i++) {
		const struct reg_host_field *f = &reg_host_fields[i];

		if (!takes_field(c, f))
			continue;
		fprintf(out, " [--%s %s%s%s]", f->opt, f->arg,
			c->policy == ADMIN_POLICY_MODIFY && f->clear[0] ? "|" : "",
			c->policy == ADMIN_POLICY_MODIFY ? f->clear : "");
	}
}

int admin_usage(struct admin *a, const char *why)
{
	const struct admin_cmd *c = admin_find_cmd(a->cmd);

	fprintf(stderr, "rjh-admin: %s: %s\nUsage: rjh-admin [GLOBAL OPTIONS] %s ", a->cmd, why,
		a->cmd);
	print_usage(stderr, c);
	fprintf(stderr, "\nTry 'rjh-admin %s --help'.\n", a->cmd);
	return EXIT_USAGE;
}

int admin_help(struct admin *a)
{
	const struct admin_cmd *c = admin_find_cmd(a->cmd);
	char lhs[64];
	int i;

	printf("Usage: rjh-admin [-c FILE] [--db FILE] %s ", c->name);
	print_usage(stdout, c);
	printf("\n\n%s.\n\n", c->summary);
	if (c->policy != ADMIN_POLICY_NONE)
		printf("Options:\n");
	for (i = 0; i < REG_HOST_NPOLICY; i++) {
		const struct reg_host_field *f = &reg_host_fields[i];

		if (!takes_field(c, f))
			continue;
		snprintf(lhs, sizeof(lhs), "--%s %s", f->opt, f->arg);
		printf("  %-15s  %s", lhs, f->help);
		if (c->policy == ADMIN_POLICY_MODIFY && f->clear[0])
			printf("\n%19s'%s' unsets it", "", f->clear);
		else if (c->policy == ADMIN_POLICY_MODIFY)
			printf("\n%19san empty %s unsets it", "", f->arg);
		printf("\n");
	}
	printf("%s", c->help);
	return EXIT_OK;
}

int admin_args(struct admin *a, int argc, char **argv, const struct admin_opt *opts, int npos_min,
	       int npos_max, int *first)
{
	struct option lo[16];
	int n = 0, opt, idx, npos;
	char why[128];

	for (; opts[n].name; n++) {
		if (n >= (int)(sizeof(lo) / sizeof(lo[0])) - 2)
			return admin_fail(a, RJH_EINVAL, "%s: too many options", a->cmd);
		lo[n].name = opts[n].name;
		lo[n].has_arg = opts[n].value ? required_argument : no_argument;
		lo[n].flag = NULL;
		lo[n].val = 1000 + n;
	}
	lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n] = (struct option){NULL, 0, NULL, 0};
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", lo, &idx)) != -1) {
		if (opt == 'h')
			return admin_help(a);
		if (opt < 1000) {
			snprintf(why, sizeof(why), "unknown or incomplete option '%.40s'",
				 argv[optind - 1]);
			return admin_usage(a, why);
		}
		if (opts[opt - 1000].value)
			*opts[opt - 1000].value = optarg;
		else
			*opts[opt - 1000].flag = true;
	}
	npos = argc - optind;
	if (npos < npos_min || npos > npos_max)
		return admin_usage(a, npos < npos_min ? "missing argument" : "too many arguments");
	*first = optind;
	return -1;
}

bool admin_store_is_pg(const struct admin *a)
{
	return a->cfg.store == CFG_STORE_POSTGRESQL && !a->local;
}

/* The registry a's command works on: PostgreSQL's, or the file. */
static int open_store(struct admin *a, enum reg_mode mode, struct reg **r, struct rjh_diag *d)
{
	if (admin_store_is_pg(a))
		return reg_pg_open(&a->cfg, mode, "rjh-admin", r, d);
	return reg_open(a->cfg.registry, mode, &a->cfg, ADMIN_BUSY_MS, r, d);
}

int admin_open_ro(struct admin *a, struct reg **r)
{
	/*
	 * A registry we may write is opened read-write even to read it: only such
	 * a connection can roll back the journal of a writer that was killed.
	 * PostgreSQL's is read where the conninfo points (a standby will do).
	 */
	enum reg_mode mode =
	    !admin_store_is_pg(a) && access(a->cfg.registry, W_OK) == 0 ? REG_RW : REG_RO;
	struct rjh_diag d = {""};
	int rc = open_store(a, mode, r, &d);

	return rc < 0 ? admin_fail_diag(a, rc, &d) : EXIT_OK;
}

/* Says once, on stderr and in syslog, that a change goes unaudited. */
static void warn_unaudited(struct admin *a)
{
	if (!a->aud.why[0] || a->audit_warned)
		return;
	a->audit_warned = true;
	fprintf(stderr,
		"rjh-admin: %s: warning: %s; the change is recorded in the registry "
		"only\n",
		a->cmd, a->aud.why);
	openlog("rjh-admin", LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_WARNING, "%s: %s; the change is recorded in the registry only", a->cmd,
	       a->aud.why);
	closelog();
}

int admin_change_begin(struct admin *a, struct reg **r)
{
	struct rjh_diag d = {""};
	int rc;

	*r = NULL;
	rc = aud_open(&a->aud, &a->cfg, &d);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	rc = open_store(a, REG_RW, r, &d);
	if (rc == 0)
		rc = reg_begin(*r, &d);
	/* What the login snapshot already has, the policy log may forget. */
	if (rc == 0 && !admin_store_is_pg(a))
		rc = pub_login_prune_log(*r, &a->cfg, &d);
	if (rc < 0) {
		admin_change_abort(a, *r, 0);
		*r = NULL;
	}
	return rc < 0 ? admin_fail_diag(a, rc, &d) : EXIT_OK;
}

/* Records rec (events row + kernel record) inside the change. */
static int admin_change_record(struct admin *a, struct reg *r, const struct aud_rec *rec)
{
	struct rjh_diag d = {""};
	int rc = aud_record(&a->aud, r, rec, &d);

	warn_unaudited(a);
	return rc < 0 ? admin_fail_diag(a, rc, &d) : EXIT_OK;
}

void admin_change_identity(struct admin *a, enum snap_ident_op op, const char *name, uint32_t uid)
{
	a->ident.set = true;
	a->ident.op = op;
	snprintf(a->ident.name, sizeof(a->ident.name), "%s", name ? name : "");
	a->ident.uid = uid;
}

int admin_login_withdrawn(struct admin *a, int err, const struct rjh_diag *why)
{
	struct rjh_diag d = {""};

	if (pub_login_withdraw(&a->cfg, &d) < 0)
		return admin_fail(a, err,
				  "the login snapshot could not be written (%s), nor removed (%s): "
				  "the login path may act on an older policy; run 'rjh-admin "
				  "refresh'",
				  why->msg, d.msg);
	return admin_fail(a, err,
			  "the login snapshot could not be written (%s); it was removed, so "
			  "every host is refused until 'rjh-admin refresh' succeeds",
			  why->msg);
}

/*
 * The snapshots follow the committed registry; they never run ahead of it.
 * The login snapshot is brought up to date after every change, whatever it
 * changed: the policy log (sql/004-policy-log.sql) says which hosts to read
 * again, and after nothing, publishing costs one look at two headers.
 */
static int publish(struct admin *a, struct reg *r, uint64_t gen)
{
	struct rjh_diag d = {""}, nd = {""};
	int rc, nss = RJH_OK;

	if (a->ident.set)
		nss =
		    snap_nss_update(r, &a->cfg, a->ident.op, a->ident.name, a->ident.uid, gen, &nd);
	/* NB. whatever became of the NSS snapshot: a removed host's keys must go now. */
	rc = pub_login(r, &a->cfg, a->rebuild, &d);
	rc = rc < 0 ? admin_login_withdrawn(a, rc, &d) : EXIT_OK;
	/* pam_rjh checks certificates against the registry too: a stale KRL fails no revocation. */
	if ((a->certs || a->rebuild) && pub_certs(r, &a->cfg, &d) < 0) {
		int crc = admin_fail(a, RJH_ESYS,
				     "the change is committed, but sshd's certificate files were "
				     "not rewritten (%s); run 'rjh-admin refresh'",
				     d.msg);

		rc = rc != EXIT_OK ? rc : crc;
	}
	if (nss < 0) {
		int nrc =
		    admin_fail(a, nss,
			       "the change is committed, but the NSS snapshot was not updated "
			       "(%s); run 'rjh-admin refresh'",
			       nd.msg);

		return rc != EXIT_OK ? rc : nrc;
	}
	return rc;
}

int admin_change_commit(struct admin *a, struct reg *r, const struct aud_rec *rec)
{
	static const int stop[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
	struct rjh_diag d = {""};
	sigset_t set, old;
	uint64_t gen = 0;
	int rc = RJH_OK;
	size_t i;

	if (a->ident.set)
		rc = reg_ident_changed(r, &gen, &d);
	/* No ^C between the commit and the snapshots: a revoke takes effect whole. */
	sigemptyset(&set);
	for (i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
		sigaddset(&set, stop[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (rc == 0)
		rc = reg_commit(r, &d);
	else
		reg_rollback(r);
	if (rc < 0) {
		struct aud_rec failed = *rec;

		failed.success = false;
		aud_kernel(&a->aud, &failed, NULL);
		rc = admin_fail_diag(a, rc, &d);
	} else if (!admin_store_is_pg(a)) {
		rc = publish(a, r, gen);
	} /* else each jumphost's rjh-sync brings its snapshots up to date */
	reg_close(r);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void admin_drain_spool(struct admin *a)
{
	struct rjh_diag d = {""};
	int rc, rows = 0;

	/* Only root may write the registry; anyone else reads what is mirrored already. */
	if (access(a->cfg.registry, W_OK) < 0)
		return;
	rc = spool_mirror(&a->cfg, ADMIN_BUSY_MS, &rows, &d);
	if (rc < 0)
		fprintf(stderr, "rjh-admin: %s: warning: spooled audit records not mirrored: %s\n",
			a->cmd, d.msg);
}

int admin_change_finish(struct admin *a, struct reg *r, const struct aud_rec *rec)
{
	int rc = admin_change_record(a, r, rec);

	return rc ? admin_change_abort(a, r, rc) : admin_change_commit(a, r, rec);
}

int admin_change_abort(struct admin *a, struct reg *r, int code)
{
	(void)a;
	if (r) {
		reg_rollback(r);
		reg_close(r);
	}
	return code;
}

int admin_check_host_name(struct admin *a, const char *name)
{
	struct rjh_diag d = {""};
	int rc = name_check_host(name, &d);

	if (rc == 0 && !strcmp(name, a->cfg.host_group))
		rc = diag_set(&d, RJH_EINVAL, "'%s' is the hosts group's name", name);
	if (rc == 0)
		rc = name_check_system(name, a->cfg.uid_min, a->cfg.uid_max, &d);
	return rc < 0 ? admin_fail_diag(a, rc, &d) : EXIT_OK;
}

int admin_is_mount_root(int fd)
{
	struct stat st, up;
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 &&
	    (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
	/* Before Linux 5.8: another device than the parent's (or the root of all). */
	if (fstat(fd, &st) < 0 || fstatat(fd, "..", &up, 0) < 0)
		return -1;
	return st.st_dev != up.st_dev || st.st_ino == up.st_ino;
}

int admin_run_sub(struct admin *a, int argc, char **argv, const struct admin_sub_cmd *subs,
		  const char *which)
{
	const char *name = argc > 1 ? argv[1] : "";

	for (; subs->name; subs++)
		if (!strcmp(name, subs->name))
			return subs->run(a, argc - 1, argv + 1);
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		return admin_help(a);
	return admin_usage(a, which);
}
