/*
 * rjh-admin doctor: is this jumphost wired up? One line per check, ok,
 * warn or FAIL, with what is wrong and the command that fixes it. Reads
 * only: the registry is opened read-only and never upgraded.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/magic.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "doctor.h"
#include "key.h"
#include "login.h"
#include "reg_pg.h"

static int add_host(const struct reg_host *h, void *vctx)
{
	struct doc_ctx *x = vctx;

	if (util_grow(&x->hosts, &x->cap, x->nhosts + 1, sizeof(*x->hosts), 64) < 0)
		return RJH_ENOMEM;
	snprintf(x->hosts[x->nhosts].name, sizeof(x->hosts[0].name), "%s", h->name);
	x->hosts[x->nhosts++].uid = h->uid;
	return RJH_OK;
}

/* Reads the enrolled hosts read-only (REG_RO: an old schema is refused, not upgraded). */
static void read_hosts(struct doc_ctx *x)
{
	struct rjh_diag d = {""};
	struct reg *r = NULL;
	int rc;

	rc = reg_open(x->a->cfg.registry, REG_RO, &x->a->cfg, ADMIN_BUSY_MS, &r, &d);
	if (rc == 0)
		rc = reg_begin_read(r, &d);
	if (rc == 0) {
		rc = reg_host_gid(r, &x->host_gid, &d);
		if (rc == 0)
			rc = reg_hosts_each(r, add_host, x, &d);
		reg_end_read(r);
	}
	reg_close(r);
	if (rc < 0) {
		snprintf(x->hosts_why, sizeof(x->hosts_why), "%s",
			 d.msg[0] ? d.msg : rjh_strerror(rc));
		x->nhosts = 0;
	}
}

/* Checks that path is a regular file with exactly uid, gid and mode; says what is off. */
static void check_file(struct doc_result *r, const char *path, uid_t uid, gid_t gid, mode_t mode,
		       const char *owner, const char *fix)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		doc_problem(r, DOC_FAIL, "%s: %s (%s)", path, strerror(errno), fix);
		return;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != uid || st.st_gid != gid ||
	    (st.st_mode & 07777) != mode)
		doc_problem(r, DOC_FAIL, "%s is %s %04o %u:%u, not a file %04o %s (%s)", path,
			    S_ISREG(st.st_mode) ? "file" : "not a file",
			    (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
			    (unsigned)st.st_gid, (unsigned)mode, owner, fix);
}

/*
 * keys: sshd runs the key helper as keys_user, which reads the login
 * snapshot through its group; the registry is root's alone, as init makes it.
 */
static void check_keys(struct doc_ctx *x, struct doc_result *r)
{
	const struct cfg *c = &x->a->cfg;
	char buf[16384], base[CFG_PATH_MAX + 16], delta[CFG_PATH_MAX + 16], owner[48];
	struct passwd pw, *pwp = NULL;
	gid_t gid = 0;

	if (getpwnam_r(c->keys_user, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
		doc_problem(r, DOC_FAIL,
			    "no user '%s' (keys_user, sshd's AuthorizedKeysCommandUser): create it "
			    "with 'adduser --system --group --no-create-home --home /nonexistent "
			    "%s', then run 'rjh-admin refresh'",
			    c->keys_user, c->keys_user);
	else
		gid = pw.pw_gid;
	snprintf(owner, sizeof(owner), "root:%s", pwp ? c->keys_user : "root");
	if (login_paths(c->registry, base, delta, sizeof(base)) == 0) {
		check_file(r, base, 0, gid, 0640, owner, "run 'rjh-admin refresh'");
		check_file(r, delta, 0, gid, 0640, owner, "run 'rjh-admin refresh'");
	}
	check_file(r, c->registry, 0, 0, 0640, "root:root",
		   "as 'rjh-admin init' makes it: chown root:root and chmod 0640 it");
	doc_fine(r, "user %s; login snapshot 0640 root:%s; registry 0640 root:root", c->keys_user,
		 c->keys_user);
}

/* schema: the registry's version is this build's; an older one is upgraded by any change. */
static void check_schema(struct doc_ctx *x, struct doc_result *r)
{
	struct rjh_diag d = {""};
	int ver, want = reg_schema_version();

	if (reg_file_schema(x->a->cfg.registry, ADMIN_BUSY_MS, &ver, &d) < 0)
		doc_problem(r, DOC_FAIL, "%s", d.msg);
	else if (ver < want)
		doc_problem(r, DOC_FAIL,
			    "registry schema %d is older than this rjh's %d: run 'rjh-admin "
			    "refresh' (as root, it upgrades the registry); until then pam_rjh "
			    "refuses every host",
			    ver, want);
	else if (ver > want)
		doc_problem(r, DOC_FAIL,
			    "registry schema %d is newer than this rjh's %d: install the rjh that "
			    "wrote it",
			    ver, want);
	doc_fine(r, "registry schema %d, as this rjh writes", want);
}

/* Checks that name below dirfd is a directory with exactly uid, gid and mode. 0 or -1 (why). */
static int check_dir_at(int dirfd, const char *name, uid_t uid, gid_t gid, mode_t mode, char *why,
			size_t len)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		snprintf(why, len, "%s", strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode) && st.st_uid == uid && st.st_gid == gid &&
	    (st.st_mode & 07777) == mode)
		return 0;
	snprintf(why, len, "%s %04o %u:%u, not a directory %04o %u:%u",
		 S_ISDIR(st.st_mode) ? "directory" : "not a directory",
		 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid,
		 (unsigned)mode, (unsigned)uid, (unsigned)gid);
	return -1;
}

/* The hosts' directories (layout.h): RUNTIME/hosts/NAME root 0755, NAME/sock the host's 0700. */
static void check_host_dirs(struct doc_ctx *x, struct doc_result *r, int hfd)
{
	const char *rt = x->a->cfg.runtime_dir;
	char why[128], first[700] = "", path[64];
	size_t i, bad = 0;

	for (i = 0; i < x->nhosts; i++) {
		const struct doc_host *h = &x->hosts[i];

		snprintf(path, sizeof(path), "%s/sock", h->name);
		if (check_dir_at(hfd, h->name, 0, 0, 0755, why, sizeof(why)) == 0 &&
		    check_dir_at(hfd, path, h->uid, x->host_gid, 0700, why, sizeof(why)) == 0)
			continue;
		if (!bad++)
			snprintf(first, sizeof(first), "%s/hosts/%s: %s", rt, path, why);
	}
	if (bad == 1)
		doc_problem(r, DOC_FAIL, "%s: run 'rjh-admin runtime'", first);
	else if (bad)
		doc_problem(r, DOC_FAIL,
			    "%s, and %zu more hosts' directories: run 'rjh-admin "
			    "runtime'",
			    first, bad - 1);
}

/* runtime: the tree 'rjh-admin runtime' makes, ideally on a tmpfs of its own. */
static void check_runtime(struct doc_ctx *x, struct doc_result *r)
{
	const char *rt = x->a->cfg.runtime_dir;
	char why[128];
	struct statfs sf;
	int fd, hfd;

	fd = open(rt, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		doc_problem(r, DOC_FAIL,
			    "%s: %s: run 'rjh-admin runtime' (the boot-time unit does, before "
			    "sshd)",
			    rt, strerror(errno));
		return;
	}
	if (check_dir_at(fd, ".", 0, 0, 0755, why, sizeof(why)) < 0 ||
	    check_dir_at(fd, "hosts", 0, 0, 0755, why, sizeof(why)) < 0) {
		doc_problem(r, DOC_FAIL, "%s or %s/hosts: %s: run 'rjh-admin runtime'", rt, rt,
			    why);
		close(fd);
		return;
	}
	hfd = openat(fd, "hosts", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (hfd >= 0) {
		check_host_dirs(x, r, hfd);
		close(hfd);
	}
	if (admin_is_mount_root(fd) != 1 || fstatfs(fd, &sf) < 0 || sf.f_type != TMPFS_MAGIC)
		doc_problem(r, DOC_WARN,
			    "%s is not a tmpfs of its own, so a host can fill the filesystem it is "
			    "on: run 'rjh-admin runtime' (without --no-mount)",
			    rt);
	close(fd);
	if (x->hosts_why[0])
		doc_fine(r,
			 "%s and %s/hosts in place (the hosts' directories not checked: the "
			 "registry is unreadable)",
			 rt, rt);
	else
		doc_fine(r, "%s on its own tmpfs, with the directories of %zu host%s", rt,
			 x->nhosts, x->nhosts == 1 ? "" : "s");
}

/* public_name: what host units and client configs name the jumphost by. */
static void check_public_name(struct doc_ctx *x, struct doc_result *r)
{
	if (!x->a->cfg.public_name[0])
		doc_problem(r, DOC_FAIL,
			    "public_name is not set in %s: hosts' units and clients' configs "
			    "would name this machine's hostname; add 'public_name = "
			    "jump.example.com' (the name hosts reach it by)",
			    x->conf);
	doc_fine(r, "%s", x->a->cfg.public_name);
}

/* audit: the kernel takes rjh's records (unless audit = off). */
static void check_audit(struct doc_ctx *x, struct doc_result *r)
{
	enum cfg_audit mode = x->a->cfg.audit;
	struct rjh_diag d = {""};
	int on;

	if (mode == CFG_AUDIT_OFF) {
		doc_fine(r, "audit = off in %s: no kernel records are written, nothing to check",
			 x->conf);
		return;
	}
	on = aud_probe(&d);
	if (on < 0)
		doc_problem(r, DOC_FAIL,
			    "kernel audit is unreachable (%s) and %s says audit = %s: changes %s; "
			    "boot a kernel with audit (audit=1), run auditd, or set audit = off",
			    d.msg, x->conf, cfg_audit_name(mode),
			    mode == CFG_AUDIT_REQUIRED ? "are refused"
						       : "go to the registry's events only");
	else if (on == 0)
		doc_problem(r, mode == CFG_AUDIT_REQUIRED ? DOC_FAIL : DOC_WARN,
			    "kernel audit is disabled: enable it with 'auditctl -e 1'");
	doc_fine(r, "kernel audit reachable and enabled (audit = %s)", cfg_audit_name(mode));
}

struct fleet_look {
	const char *node;
	int registered, up;
	bool me, me_up;
	char me_addr[272];
	char address[256]; /* this jumphost's registered address */
};

static int fleet_row(const struct reg_jumphost *j, void *ctx)
{
	struct fleet_look *f = ctx;

	/* NB. Checked: it goes into doctor's output. */
	if (!admin_is_dial_name(j->name, 63) || !admin_is_dial_name(j->address, ADMIN_SERVER_MAX))
		return RJH_EREGISTRY;
	f->registered++;
	f->up += j->up;
	if (!strcmp(j->name, f->node)) {
		f->me = true;
		f->me_up = j->up;
		snprintf(f->me_addr, sizeof(f->me_addr), "%s:%d", j->address, j->port);
		snprintf(f->address, sizeof(f->address), "%s", j->address);
	}
	return 0;
}

#define DOC_CERT_WARN_DAYS 30

/* One of ssh-keygen -L's "Name: value" lines, value trimmed into buf; NULL if absent. */
static const char *listing_value(const char *out, const char *name, char *buf, size_t len)
{
	const char *p = strstr(out, name);

	if (!p)
		return NULL;
	p += strlen(name);
	snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
	return buf;
}

/* True when the principals of ssh-keygen -L's listing include want. */
static bool listing_principal(const char *out, const char *want)
{
	const char *p = strstr(out, "Principals:"),
		   *end = p ? strstr(p, "Critical Options:") : NULL;
	size_t n = strlen(want);

	for (p = p ? strchr(p, '\n') : NULL; p && end && p < end; p = strchr(p + 1, '\n')) {
		const char *w = p + 1 + strspn(p + 1, " \t");

		if (!strncmp(w, want, n) && (w[n] == '\n' || w[n] == '\0'))
			return true;
	}
	return false;
}

/*
 * The host certificates this jumphost's sshd presents (sshd -T's
 * hostcertificate lines): signed by the fleet's CA, naming the address
 * hosts and clients dial, not expired nor expiring soon. Hosts and clients
 * that pin only the CA cannot reach a jumphost without one.
 */
static void check_host_certs(struct doc_result *r, const struct key *ca, const char *node,
			     const char *address)
{
	char sshd[] = DOC_SSHD, opt_t[] = "-T", keygen[] = "/usr/bin/ssh-keygen", opt_l[] = "-L",
	     opt_f[] = "-f", path[4096], v[512], safe[200];
	char *argv_t[] = {sshd, opt_t, NULL}, *out = NULL, *err = NULL, *p;
	int found = 0, st;

	st = admin_run(argv_t, 10000, &out, &err);
	for (p = out; st == 0 && p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char *argv_l[] = {keygen, opt_l, opt_f, path, NULL}, *lo = NULL, *le = NULL;
		struct tm tm = {0};
		time_t until = 0;

		if (strncmp(p, "hostcertificate ", 16))
			continue;
		snprintf(path, sizeof(path), "%.*s", (int)strcspn(p + 16, "\n"), p + 16);
		found++;
		util_safe(path, safe, sizeof(safe));
		if (admin_run(argv_l, 10000, &lo, &le) != 0 || !strstr(lo, "host certificate"))
			doc_problem(r, DOC_FAIL, "%s is not a host certificate ssh-keygen can read",
				    safe);
		else if (!listing_value(lo, "Signing CA: ", v, sizeof(v)) || !strstr(v, ca->fp))
			doc_problem(
			    r, DOC_FAIL,
			    "%s is not signed by the fleet's host CA (%s): hosts and clients "
			    "refuse it ('rjh-admin host-ca sign %s KEY.pub')",
			    safe, ca->fp, node);
		else if (!listing_principal(lo, address))
			doc_problem(r, DOC_FAIL,
				    "%s does not name %s, the address hosts and clients dial "
				    "('rjh-admin host-ca sign %s KEY.pub')",
				    safe, address, node);
		else if (!listing_value(lo, "Valid: ", v, sizeof(v)) || !strcmp(v, "forever"))
			;
		else if (!strstr(v, " to ") ||
			 !strptime(strstr(v, " to ") + 4, "%Y-%m-%dT%H:%M:%S", &tm) ||
			 (tm.tm_isdst = -1, until = mktime(&tm)) == (time_t)-1)
			doc_problem(r, DOC_WARN, "%s: cannot read its validity (%s)", safe, v);
		else if (until < time(NULL))
			doc_problem(
			    r, DOC_FAIL,
			    "%s expired: hosts and clients that pin the CA refuse this "
			    "jumphost; sign its key again ('rjh-admin host-ca sign %s KEY.pub')",
			    safe, node);
		else if (until < time(NULL) + DOC_CERT_WARN_DAYS * 86400)
			doc_problem(r, DOC_WARN,
				    "%s expires within %d days: sign its key again ('rjh-admin "
				    "host-ca sign %s KEY.pub')",
				    safe, DOC_CERT_WARN_DAYS, node);
		free(lo);
		free(le);
	}
	if (st != 0)
		doc_problem(r, DOC_WARN, "sshd -T failed, so its host certificates went unchecked");
	else if (!found)
		doc_problem(r, DOC_FAIL,
			    "the fleet has a host CA, but sshd presents no host certificate: hosts "
			    "and clients that pin only the CA refuse this jumphost ('rjh-admin "
			    "host-ca sign %s KEY.pub', then HostCertificate in sshd_config)",
			    node);
	free(out);
	free(err);
}

/*
 * store: with store = postgresql, is this jumphost's cache current? Its
 * generation and when rjh-sync last found it current, against
 * PostgreSQL's generation and schema (read where the conninfo points).
 */
static void check_store(struct doc_ctx *x, struct doc_result *r)
{
	const struct cfg *c = &x->a->cfg;
	struct rjh_diag d = {""};
	struct reg *pg = NULL;
	char node[64], fleet[512] = "";
	struct fleet_look f = {.node = node};
	uint64_t cgen = 0, pgen = 0;
	int64_t current = 0, age;
	bool fresh = false, standby = false;
	int schema = 0, rc;

	if (c->store != CFG_STORE_POSTGRESQL) {
		doc_fine(r, "store = sqlite: the registry is %s", c->registry);
		return;
	}
	rc = reg_pg_open(c, REG_RO, "rjh-admin", &pg, &d);
	if (rc == 0)
		rc = reg_pg_info(pg, &schema, &standby, &d);
	if (rc == 0)
		rc = reg_pg_snapshot(pg, &pgen, &fresh, &d);
	/* Several jumphosts: is this one registered, so that hosts and clients use it? */
	cfg_node_name(c, node, sizeof(node));
	if (rc == 0 && schema >= 2 &&
	    reg_pg_jumphosts_each(pg, c->presence_ttl, fleet_row, &f, &d) == 0 && f.registered) {
		if (!f.me)
			doc_problem(r, DOC_WARN,
				    "%d jumphost%s registered, but not this one (node_name %s): "
				    "hosts and clients do not use it ('rjh-admin jumphost add %s "
				    "ADDRESS')",
				    f.registered, f.registered == 1 ? " is" : "s are", node, node);
		else if (!f.me_up)
			doc_problem(r, DOC_WARN,
				    "this jumphost (%s) has sent no presence report within "
				    "presence_ttl: is rjh-sync running?",
				    node);
		snprintf(fleet, sizeof(fleet), "; jumphost %s%s%s of %d registered, %d up", node,
			 f.me ? " at " : "", f.me_addr, f.registered, f.up);
	}
	if (rc == 0 && f.me) {
		struct rjh_diag dc = {""};
		struct key ca = {0};

		if (admin_host_ca_get(x->a, pg, &ca, &dc) == 0) {
			check_host_certs(r, &ca, node, f.address);
			strncat(fleet, ", host certificate checked",
				sizeof(fleet) - strlen(fleet) - 1);
		}
		key_clear(&ca);
	}
	if (pg) {
		reg_end_read(pg);
		reg_close(pg);
	}
	if (rc < 0)
		doc_problem(r, DOC_WARN,
			    "%s: this jumphost serves from its cache meanwhile; check conninfo in "
			    "%s and the database",
			    d.msg, x->conf);
	if (cache_stamp_read(c, &cgen, &current, &d) < 0) {
		doc_problem(r, DOC_FAIL,
			    "no current cache (%s): start rjh-sync ('systemctl enable --now "
			    "rjh-sync'); clients are refused until it has run",
			    d.msg);
		return;
	}
	age = (int64_t)time(NULL) - current;
	if (c->max_cache_age > 0 && age > c->max_cache_age)
		doc_problem(r, DOC_FAIL,
			    "the cache (generation %llu) was last found current %lld s ago, more "
			    "than max_cache_age (%lld s): rjh-connect refuses clients; is rjh-sync "
			    "running ('systemctl status rjh-sync'), can it reach PostgreSQL?",
			    (unsigned long long)cgen, (long long)age, (long long)c->max_cache_age);
	else if (rc == 0 && pgen > cgen && age > 5)
		doc_problem(
		    r, DOC_WARN,
		    "the cache is at generation %llu, PostgreSQL at %llu: rjh-sync is behind "
		    "('systemctl status rjh-sync')",
		    (unsigned long long)cgen, (unsigned long long)pgen);
	doc_fine(r,
		 "store = postgresql; cache at generation %llu, found current %lld s ago "
		 "(max_cache_age %lld s); PostgreSQL at generation %llu, schema %d, %s%s",
		 (unsigned long long)cgen, (long long)age, (long long)c->max_cache_age,
		 (unsigned long long)pgen, schema, standby ? "a standby" : "the primary", fleet);
}

static const struct {
	const char *name;
	void (*run)(struct doc_ctx *x, struct doc_result *r);
} checks[] = {
    {"nss", doc_check_nss},     {"pam", doc_check_pam},
    {"sshd", doc_check_sshd},   {"keys", check_keys},
    {"schema", check_schema},   {"store", check_store},
    {"runtime", check_runtime}, {"public_name", check_public_name},
    {"audit", check_audit},
};
#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

static const char *level_name(enum doc_level l)
{
	return l == DOC_FAIL ? "FAIL" : l == DOC_WARN ? "warn" : "ok";
}

static const char *shown(const struct doc_result *r)
{
	return r->level == DOC_OK ? r->fine : r->detail;
}

static int report(const struct doc_result *res, bool json)
{
	json_t *arr = json ? json_array() : NULL;
	size_t i;

	for (i = 0; i < NCHECKS; i++) {
		if (!json) {
			printf("%-4s %-11s %s\n", level_name(res[i].level), checks[i].name,
			       shown(&res[i]));
			continue;
		}
		if (!arr ||
		    json_array_append_new(
			arr, json_pack("{s:s,s:b,s:s,s:s}", "check", checks[i].name, "ok",
				       res[i].level != DOC_FAIL, "level", level_name(res[i].level),
				       "detail", shown(&res[i]))) < 0) {
			json_decref(arr);
			return EXIT_SYSTEM;
		}
	}
	return json ? admin_print_json(arr) : EXIT_OK;
}

static int cmd_doctor(struct admin *a, int argc, char **argv)
{
	bool json = false;
	const struct admin_opt opts[] = {{"json", NULL, &json}, {0}};
	struct doc_result res[NCHECKS];
	struct doc_ctx x = {.a = a};
	int rc, first;
	size_t i;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	if (geteuid() != 0)
		return admin_fail(a, RJH_ESYS,
				  "must run as root: the registry, the hosts' directories and the "
				  "kernel's audit status are root's to read");
	x.conf =
	    a->cfg.source[0] ? a->cfg.source : (a->conf_path ? a->conf_path : CFG_DEFAULT_PATH);
	read_hosts(&x);
	memset(res, 0, sizeof(res));
	for (i = 0; i < NCHECKS; i++)
		checks[i].run(&x, &res[i]);
	free(x.hosts);
	rc = report(res, json);
	for (i = 0; rc == EXIT_OK && i < NCHECKS; i++)
		rc = res[i].level == DOC_FAIL ? EXIT_SYSTEM : EXIT_OK;
	return rc;
}

const struct admin_cmd admin_cmd_doctor = {
    "doctor",
    cmd_doctor,
    "[--json]",
    "Check that sshd, NSS, PAM, the runtime tree and audit are wired up for rjh",
    "Options:\n"
    "  --json   stable machine output: [{\"check\", \"ok\", \"level\", \"detail\"}, ...]\n\n"
    "One line per check: ok, warn or FAIL, its name, and what is wrong with the\n"
    "command that fixes it. Changes nothing. Needs root. The checks:\n"
    "  nss          passwd and group in /etc/nsswitch.conf list rjh;\n"
    "               libnss_rjh.so.2 loads; glibc resolves an enrolled host\n"
    "               with the registry's uid\n"
    "  pam          /etc/pam.d/sshd (following its includes) has pam_rjh.so\n"
    "               in account and session, and that module loads\n"
    "  sshd         " DOC_DROPIN " is what 'rjh-admin\n"
    "               sshd-config' prints, and 'sshd -T' for an enrolled host\n"
    "               applies its key helper and chroot\n"
    "  keys         keys_user exists; the login snapshot is 0640\n"
    "               root:KEYS_USER; the registry is 0640 root:root\n"
    "  schema       the registry's schema is this rjh's\n"
    "  runtime      the runtime tree 'rjh-admin runtime' makes is in place\n"
    "               (warn: not a tmpfs of its own)\n"
    "  public_name  set in the config\n"
    "  audit        the kernel's audit subsystem answers (passes with audit = off)\n"
    "Exit status 0 when no check fails (warnings allowed), else 4.\n",
    ADMIN_POLICY_NONE};
