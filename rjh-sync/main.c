/*
 * rjh-sync: keeps a jumphost's local files in step with the registry in
 * PostgreSQL (store = postgresql), so that the login path (nss_rjh, the key
 * helper, pam_rjh, rjh-connect) never touches the network.
 *
 * Each cycle, twice a second or at once on a NOTIFY from the primary:
 *  - reads PostgreSQL's policy generation inside one REPEATABLE READ
 *    transaction (a standby will do); if it is newer than the cache's,
 *    reads every host, key, host key and grant in that same snapshot,
 *    stages them beside the cache (temp tables: no lock), then installs
 *    them in one write transaction that changes only the rows that differ,
 *    and brings the NSS and login snapshots along. An older generation (a
 *    standby held behind) is never installed: the cache never goes back.
 *  - stamps the cache current (REGISTRY.synced) when the node it read is
 *    the primary, or a standby that streams and has replayed all it got;
 *    rjh-connect refuses clients once that stamp is older than
 *    max_cache_age.
 *  - mirrors rjh-connect's spool into the cache, then ships what the
 *    jumphost wrote (sessions, events: the outbox) to the primary, each row
 *    keyed by its origin, at least once; entries are forgotten only after
 *    PostgreSQL committed them, so nothing is lost across an outage.
 * Without PostgreSQL it keeps going from the cache and tries again.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "cfg.h"
#include "key.h"
#include "layout.h"
#include "name.h"
#include "presence.h"
#include "publish.h"
#include "reg.h"
#include "reg_pg.h"
#include "snap_write.h"
#include "spool.h"
#include "util.h"
#include "version.h"

/* Exit codes (rjh-sync(8)). */
enum { SYNC_OK = 0, SYNC_USAGE = 1, SYNC_CONFIG = 2, SYNC_FAILED = 4 };

#define SYNC_BUSY_MS 10000
#define SHIP_BATCH   500
#define POLL_MS_DFLT 500
/* How often the jumphost says it is alive and whose tunnels it holds. */
#define REPORT_EVERY_MS 2000

struct sync {
	struct cfg cfg;
	char node[64];
	struct reg *pg;   /* reads: where the conninfo points */
	struct reg *ship; /* writes: the primary, opened when there is something to ship */
	bool listening;
	bool once, verbose;
	int poll_ms;
	int64_t pruned;  /* when the cache's own history was last pruned */
	char said[1100]; /* the last trouble logged, so that a lasting one is said once */
	/*
	 * What the last cycles found, so that a cycle in which nothing changed
	 * opens nothing: the cache file (its identity) and the generation it
	 * holds; and the file as it was when its outbox was last found empty.
	 */
	struct {
		bool valid;
		dev_t dev;
		ino_t ino;
		uint64_t gen;
	} held;
	struct {
		bool valid;
		ino_t ino;
		off_t size;
		struct timespec mtime;
	} shipped;
	/*
	 * What PostgreSQL was last told this jumphost holds (sorted); not
	 * valid: nothing yet, or an answer that was lost, and the next report
	 * replaces all of this jumphost's rows.
	 */
	struct {
		bool valid, started;
		char **v;
		size_t n;
		int64_t at;    /* monotonic ms of the last report */
		int fails;     /* reports failed in a row: the next waits longer */
		char err[512]; /* why the last report failed, or "" */
	} told;
};

static volatile sig_atomic_t stopping, resync;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	resync = 1;
}

static void say(struct sync *s, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(struct sync *s, int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	syslog(prio, "%s", msg);
	if (s->verbose || s->once || prio <= LOG_ERR)
		fprintf(stderr, "rjh-sync: %s\n", msg);
}

/* Says a trouble once while it lasts; "" says it is over. */
static void trouble(struct sync *s, const char *what)
{
	if (!strcmp(what, s->said))
		return;
	if (what[0])
		say(s, LOG_WARNING, "%s", what);
	else
		say(s, LOG_NOTICE, "back in step with PostgreSQL");
	snprintf(s->said, sizeof(s->said), "%s", what);
}

static void drop(struct reg **r)
{
	reg_close(*r);
	*r = NULL;
}

/* ------------------------------------------------------------ reading PG */

/*
 * Every row is checked as rjh-admin checks what an operator gives before it
 * reaches the login path: PostgreSQL is trusted for policy, not for the
 * shape of what the NSS module, the key helper and sshd parse (a row
 * written there by hand, or by a compromised client, must not become a
 * host named "../x" or a key line sshd misreads). One bad row refuses the
 * whole snapshot: nothing is installed.
 */
struct stage {
	struct reg *cache;
	const struct sync *s;
	uint32_t uid_min, uid_max;
	struct rjh_diag *d;
};

static int stage_host(const struct reg_host *h, void *ctx)
{
	const struct stage *st = ctx;
	char canon[sizeof(h->cidrs)], safe[80];

	if (name_check_host(h->name, NULL) < 0 || !strcmp(h->name, st->s->cfg.host_group) ||
	    h->uid < st->uid_min || h->uid > st->uid_max)
		return diag_set(st->d, RJH_EINVAL,
				"PostgreSQL holds a host rjh refuses ('%s', uid %u, outside the "
				"rules or the range %u-%u): nothing installed",
				util_safe(h->name, safe, sizeof(safe)), h->uid, st->uid_min,
				st->uid_max);
	if (h->cidrs[0] &&
	    (util_parse_cidrs(h->cidrs, canon, sizeof(canon), NULL) < 0 || strcmp(canon, h->cidrs)))
		return diag_set(st->d, RJH_EINVAL,
				"PostgreSQL holds host %s with addresses rjh refuses: nothing "
				"installed",
				h->name);
	return reg_cache_stage_host(st->cache, h, st->d);
}

/* A key as PostgreSQL has it parses, and its fingerprint is its own. */
static int check_key(const struct stage *st, const char *what, const char *type, const char *b64,
		     const char *fp)
{
	char line[KEY_B64_MAX + 64];
	struct key k = {0};
	int rc;

	snprintf(line, sizeof(line), "%s %s", type, b64);
	rc = key_parse_line(line, st->s->cfg.rsa_min_bits, &k, NULL);
	if (rc == 0 && (strcmp(k.fp, fp) || strcmp(k.b64, b64) || strcmp(k.type, type)))
		rc = RJH_EINVAL;
	key_clear(&k);
	if (rc < 0)
		return diag_set(st->d, RJH_EINVAL,
				"PostgreSQL holds a %s rjh refuses (%.60s): nothing installed",
				what, key_is_fingerprint(fp) ? fp : "not a fingerprint");
	return RJH_OK;
}

static int stage_key(const struct reg_key *k, void *ctx)
{
	const struct stage *st = ctx;
	int rc = check_key(st, "key", k->type, k->b64, k->fp);

	return rc < 0 ? rc : reg_cache_stage_key(st->cache, k, st->d);
}

static int stage_host_key(const struct reg_host_key *k, void *ctx)
{
	const struct stage *st = ctx;
	int rc = check_key(st, "host key", k->type, k->b64, k->fp);

	return rc < 0 ? rc : reg_cache_stage_host_key(st->cache, k, st->d);
}

static int stage_grant(const struct reg_grant *g, void *ctx)
{
	const struct stage *st = ctx;

	if (name_check_principal(g->principal, NULL) < 0 ||
	    name_check_pattern(g->pattern, NULL) < 0)
		return diag_set(st->d, RJH_EINVAL,
				"PostgreSQL holds a grant rjh refuses: nothing installed");
	return reg_cache_stage_grant(st->cache, g, st->d);
}

/* A CA goes to sshd's REGISTRY.user-cas: it must be a key rjh accepts. */
static int stage_user_ca(const struct reg_user_ca *ca, void *ctx)
{
	const struct stage *st = ctx;
	char line[KEY_B64_MAX + 64];
	struct key k;
	int ok;

	snprintf(line, sizeof(line), "%s %s", ca->type, ca->b64);
	ok = key_parse_line(line, 1024, &k, NULL) == 0 && !strcmp(k.fp, ca->fp) &&
	     util_is_printable(ca->comment, KEY_COMMENT_MAX);
	if (ok)
		key_clear(&k);
	if (!ok)
		return diag_set(st->d, RJH_EINVAL,
				"PostgreSQL holds a user CA rjh refuses: nothing installed");
	return reg_cache_stage_user_ca(st->cache, ca, st->d);
}

static int stage_cert(const struct reg_cert *c, void *ctx)
{
	const struct stage *st = ctx;

	if (!key_is_fingerprint(c->ca_fp) || name_check_host(c->host, NULL) < 0 ||
	    (c->key_fp[0] && !key_is_fingerprint(c->key_fp)) ||
	    !util_is_printable(c->key_id, sizeof(c->key_id) - 1))
		return diag_set(
		    st->d, RJH_EINVAL,
		    "PostgreSQL holds a certificate record rjh refuses: nothing installed");
	return reg_cache_stage_cert(st->cache, c, st->d);
}

/* Opens the cache, or makes it with PostgreSQL's uid range (pg is inside its snapshot). */
static int open_cache(struct sync *s, struct reg **out, bool *made, struct rjh_diag *d)
{
	struct cfg made_cfg = s->cfg;
	uint32_t next;
	int rc;

	*made = false;
	rc = reg_open(s->cfg.registry, REG_RW, &s->cfg, SYNC_BUSY_MS, out, d);
	if (rc == 0 || access(s->cfg.registry, F_OK) == 0 || errno != ENOENT)
		return rc;
	rc = reg_settings(s->pg, &made_cfg.uid_min, &made_cfg.uid_max, &next, made_cfg.host_group,
			  sizeof(made_cfg.host_group), &made_cfg.host_gid, d);
	if (rc == 0)
		rc = reg_open(s->cfg.registry, REG_CREATE, &made_cfg, SYNC_BUSY_MS, out, d);
	*made = rc == 0;
	return rc;
}

static void new_cache_id(char *buf, size_t len)
{
	unsigned char b[8] = {0};
	size_t i;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		snprintf((char *)b, sizeof(b), "%07lx", (unsigned long)time(NULL));
	buf[0] = '\0';
	for (i = 0; i < sizeof(b) && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, len - 2 * i, "%02x", b[i]);
}

/* Whether sshd's certificate files exist (pub_certs). */
static bool certs_published(const struct cfg *c)
{
	char krl[CFG_PATH_MAX + 16], cas[CFG_PATH_MAX + 16];

	return pub_certs_paths(c->registry, krl, cas, sizeof(krl)) == 0 && access(krl, F_OK) == 0 &&
	       access(cas, F_OK) == 0;
}

/*
 * Installs PostgreSQL's snapshot (gen, read by pg inside the open read
 * transaction, which this ends) into the cache, then the snapshots.
 */
static int install(struct sync *s, struct reg *cache, bool made, uint64_t gen, struct rjh_diag *d)
{
	struct reg_cache_install in = {.generation = gen};
	struct stage st = {cache, s, 0, 0, d};
	char id[40];
	bool idents = false;
	uint64_t igen = 0;
	int rc;

	new_cache_id(id, sizeof(id));
	in.id = id;
	rc = reg_settings(s->pg, &in.uid_min, &in.uid_max, &in.next_uid, in.host_group,
			  sizeof(in.host_group), &in.host_gid, d);
	st.uid_min = in.uid_min;
	st.uid_max = in.uid_max;
	if (rc == 0 &&
	    (!name_is_account(in.host_group) || in.uid_min < 1000 || in.uid_min > in.uid_max ||
	     in.uid_max == UINT32_MAX || (in.host_gid >= in.uid_min && in.host_gid <= in.uid_max)))
		rc = diag_set(d, RJH_EINVAL,
			      "PostgreSQL's uid range or hosts group is one rjh refuses: nothing "
			      "installed");
	if (rc == 0)
		rc = reg_cache_stage(cache, d);
	if (rc == 0)
		rc = reg_hosts_each(s->pg, stage_host, &st, d);
	if (rc == 0)
		rc = reg_keys_each(s->pg, 0, stage_key, &st, d);
	if (rc == 0)
		rc = reg_host_keys_each(s->pg, 0, stage_host_key, &st, d);
	if (rc == 0)
		rc = reg_grants_each(s->pg, stage_grant, &st, d);
	if (rc == 0)
		rc = reg_user_cas_each(s->pg, stage_user_ca, &st, d);
	if (rc == 0)
		rc = reg_certs_each(s->pg, NULL, stage_cert, &st, d);
	reg_end_read(s->pg);
	if (rc < 0)
		return rc;
	rc = reg_begin(cache, d);
	if (rc < 0)
		return rc;
	rc = pub_login_prune_log(cache, &s->cfg, d);
	if (rc == 0)
		rc = reg_cache_install(cache, &in, &idents, d);
	if (rc == 0 && (idents || made))
		rc = reg_ident_changed(cache, &igen, d);
	if (rc == 0)
		rc = reg_commit(cache, d);
	else
		reg_rollback(cache);
	if (rc < 0)
		return rc;
	/* The snapshots follow the commit, as after rjh-admin's changes. */
	if (idents || made)
		rc = snap_nss_update(cache, &s->cfg, SNAP_IDENT_REBUILD, NULL, 0, igen, d);
	if (rc == 0)
		rc = pub_login(cache, &s->cfg, made, d);
	if (rc < 0 && pub_login_withdraw(&s->cfg, NULL) == 0)
		say(s, LOG_ERR,
		    "the login snapshot was removed (every host refused) until a "
		    "cycle succeeds");
	/* sshd's certificate files (pam_rjh checks the cache itself: no withdrawal). */
	if (rc == 0)
		rc = pub_certs(cache, &s->cfg, d);
	return rc;
}

/* Remembers that the cache file, as it is now, holds generation gen. */
static void hold(struct sync *s, uint64_t gen)
{
	struct stat st;

	s->held.valid = stat(s->cfg.registry, &st) == 0;
	s->held.dev = st.st_dev;
	s->held.ino = st.st_ino;
	s->held.gen = gen;
}

/* One look at PostgreSQL; installs a newer generation. */
static int pull(struct sync *s, struct rjh_diag *d)
{
	struct reg_cache_state cs = {0};
	struct reg *cache = NULL;
	uint64_t gen, floor = 0;
	int64_t confirmed = 0;
	bool fresh, made = false;
	struct stat st;
	int schema, rc;

	if (!s->pg) {
		bool standby;

		rc = reg_pg_open(&s->cfg, REG_RO, "rjh-sync", &s->pg, d);
		if (rc < 0)
			return rc;
		s->listening = false;
		/* LISTEN works on the primary only; on a standby, polling alone. */
		if (reg_pg_info(s->pg, &schema, &standby, d) == 0 && !standby &&
		    reg_pg_listen(s->pg, d) == 0)
			s->listening = true;
	}
	rc = reg_pg_snapshot(s->pg, &gen, &fresh, d);
	if (rc < 0) {
		drop(&s->pg);
		return rc;
	}
	/* Nothing new, and the cache is the file that holds it: only the stamp. */
	if (s->held.valid && gen == s->held.gen && !resync && stat(s->cfg.registry, &st) == 0 &&
	    st.st_dev == s->held.dev && st.st_ino == s->held.ino) {
		reg_end_read(s->pg);
		rc = fresh ? cache_stamp_touch(&s->cfg, d) : RJH_OK;
		return rc == RJH_ENOENT ? cache_stamp_write(&s->cfg, gen, d) : rc;
	}
	s->held.valid = false;
	/* The stamp outlives a deleted cache: never below what this jumphost had. */
	if (cache_stamp_read(&s->cfg, &floor, &confirmed, NULL) < 0)
		floor = confirmed = 0;
	rc = open_cache(s, &cache, &made, d);
	if (rc == 0 && !made)
		rc = reg_cache_state(cache, &cs, d);
	if (rc < 0)
		goto out;
	if (!made && cs.is_cache && gen == cs.generation && !resync) {
		reg_end_read(s->pg);
		rc = fresh ? cache_stamp_touch(&s->cfg, d) : RJH_OK;
		if (rc == RJH_ENOENT)
			rc = cache_stamp_write(&s->cfg, gen, d);
		if (rc == 0)
			hold(s, gen);
		/* sshd refuses every key while the KRL it names is missing. */
		if (rc == 0 && !certs_published(&s->cfg))
			rc = pub_certs(cache, &s->cfg, d);
		goto out;
	}
	if (gen < floor || (cs.is_cache && gen < cs.generation)) {
		reg_end_read(s->pg);
		rc = diag_set(d, RJH_EINVAL,
			      "PostgreSQL's generation %llu is older than this jumphost's %llu (a "
			      "standby behind?): the cache is kept",
			      (unsigned long long)gen,
			      (unsigned long long)(cs.generation > floor ? cs.generation : floor));
		goto out;
	}
	resync = 0;
	rc = install(s, cache, made || !cs.is_cache, gen, d);
	if (rc < 0 && made) {
		/* A cache made this cycle and refused its first snapshot: leave no empty file. */
		reg_close(cache);
		cache = NULL;
		unlink(s->cfg.registry);
	}
	if (rc == 0 && fresh)
		rc = cache_stamp_write(&s->cfg, gen, d);
	if (rc == 0) {
		hold(s, gen);
		say(s, LOG_INFO, "installed generation %llu", (unsigned long long)gen);
	}
out:
	reg_close(cache);
	if (rc < 0 && s->pg)
		reg_end_read(s->pg);
	return rc;
}

/* ----------------------------------------------------------------- ship */

struct ship_ctx {
	struct sync *s;
	const char *cache_id;
	int64_t upto;
	struct rjh_diag *d;
};

static int ship_row(int64_t outbox_id, const struct reg_session *se, const struct reg_event *e,
		    int64_t row_id, void *ctx)
{
	struct ship_ctx *x = ctx;
	char origin[256];
	int rc = RJH_OK;

	if (se) {
		snprintf(origin, sizeof(origin), "%s:%s:s%lld", x->s->node, x->cache_id,
			 (long long)row_id);
		rc = reg_pg_ship_session(x->s->ship, x->s->node, origin, se, x->d);
	} else if (e) {
		/* A spooled record keeps its own origin (its spool file's nonce and line). */
		if (e->origin)
			snprintf(origin, sizeof(origin), "%s:%s", x->s->node, e->origin);
		else
			snprintf(origin, sizeof(origin), "%s:%s:e%lld", x->s->node, x->cache_id,
				 (long long)row_id);
		rc = reg_pg_ship_event(x->s->ship, x->s->node, origin, e, x->d);
	}
	if (rc == 0)
		x->upto = outbox_id;
	return rc;
}

/* True when rjh-connect left nothing in the spool (or there is none). */
static bool spool_empty(const struct cfg *c)
{
	char dir[CFG_PATH_MAX + 16];
	struct dirent *e;
	bool empty = true;
	DIR *dp;

	if (spool_dir(c->registry, dir, sizeof(dir)) < 0 || !(dp = opendir(dir)))
		return true;
	while (empty && (e = readdir(dp)) != NULL)
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(dp);
	return empty;
}

/*
 * Mirrors the spool into the cache, then ships the outbox, a batch at a
 * time, when pull() reached PostgreSQL: while it is away, a connection
 * attempt to the primary would only hold up the next look (libpq waits
 * connect_timeout per host).
 */
static int push(struct sync *s, struct rjh_diag *d)
{
	struct reg_cache_state cs = {0};
	struct reg *cache = NULL;
	struct ship_ctx x = {s, NULL, 0, d};
	struct stat st;
	int rc, rows, rounds;

	if (stat(s->cfg.registry, &st) < 0)
		return RJH_OK;
	/* Nobody wrote the cache since its outbox was found empty, and no spool: nothing. */
	if (s->shipped.valid && st.st_ino == s->shipped.ino && st.st_size == s->shipped.size &&
	    st.st_mtim.tv_sec == s->shipped.mtime.tv_sec &&
	    st.st_mtim.tv_nsec == s->shipped.mtime.tv_nsec && spool_empty(&s->cfg))
		return RJH_OK;
	s->shipped.valid = false;
	rc = spool_mirror(&s->cfg, SYNC_BUSY_MS, &rows, d);
	if (rc == 0 && !s->pg)
		return RJH_OK;
	if (rc == 0)
		rc = reg_open(s->cfg.registry, REG_RW, &s->cfg, SYNC_BUSY_MS, &cache, d);
	if (rc == 0)
		rc = reg_cache_state(cache, &cs, d);
	if (rc < 0 || !cs.is_cache)
		goto out;
	x.cache_id = cs.id;
	for (rounds = 0; rounds < 100 && !stopping; rounds++) {
		x.upto = 0;
		if (!s->ship) {
			rc = reg_pg_open(&s->cfg, REG_RW, "rjh-sync", &s->ship, d);
			if (rc < 0)
				break;
		}
		rc = reg_begin(s->ship, d);
		if (rc == 0)
			rc = reg_outbox_each(cache, SHIP_BATCH, ship_row, &x, d);
		if (rc == 0 && x.upto == 0) {
			reg_rollback(s->ship);
			/*
			 * Empty: the file as it was before this look needs no
			 * other until someone writes it (a write since, this
			 * cycle's own included, makes the next cycle look).
			 */
			s->shipped.valid = true;
			s->shipped.ino = st.st_ino;
			s->shipped.size = st.st_size;
			s->shipped.mtime = st.st_mtim;
			break; /* nothing (more) to ship */
		}
		if (rc == 0)
			rc = reg_commit(s->ship, d);
		else
			reg_rollback(s->ship);
		if (rc < 0) {
			/* Unknown or failed: shipped again next time, which is harmless. */
			drop(&s->ship);
			break;
		}
		rc = reg_outbox_ack(cache, x.upto, d);
		if (rc < 0)
			break;
	}
out:
	reg_close(cache);
	return rc;
}

/* ---------------------------------------------------------------- presence */

struct names {
	char **v;
	size_t n, cap;
};

static void names_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int cmp_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The hosts whose tunnel this jumphost's kernel has listening now, sorted. */
static int held_now(const struct sync *s, struct names *out, struct rjh_diag *d)
{
	struct pres_listeners l = {0};
	struct dirent *e;
	DIR *dp = NULL;
	int fd, dfd = -1, rc;

	fd = layout_open_hosts_dir(&s->cfg, d);
	if (fd == RJH_ENOENT)
		return RJH_OK; /* no runtime tree: no tunnel */
	if (fd < 0)
		return fd;
	rc = pres_listeners_load(&l, d);
	if (rc == 0) {
		dfd = dup(fd);
		dp = dfd >= 0 ? fdopendir(dfd) : NULL;
		if (!dp) {
			rc = diag_set(d, RJH_ESYS, "%s/hosts: %s", s->cfg.runtime_dir,
				      strerror(errno));
			if (dfd >= 0)
				close(dfd);
		}
	}
	while (dp && (e = readdir(dp)) != NULL) {
		char *name;

		if (!name_is_host(e->d_name) ||
		    pres_socket_state_at(fd, e->d_name, &l) != PRES_SOCK_LISTENING)
			continue;
		if (util_grow(&out->v, &out->cap, out->n + 1, sizeof(*out->v), 64) < 0 ||
		    (name = strdup(e->d_name)) == NULL) {
			rc = diag_set(d, RJH_ENOMEM, "out of memory");
			break;
		}
		out->v[out->n++] = name;
	}
	if (dp)
		closedir(dp);
	close(fd);
	pres_listeners_free(&l);
	if (rc == 0)
		qsort(out->v, out->n, sizeof(*out->v), cmp_name);
	return rc;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Every REPORT_EVERY_MS, when pull() reached PostgreSQL: the heartbeat and
 * what changed in the set of tunnels this jumphost holds (its kernel's
 * word). rjh-admin status and jumphost list count a jumphost's rows only
 * while its heartbeat is younger than presence_ttl, so those of a jumphost
 * that died expire by themselves.
 */
static int report(struct sync *s, struct rjh_diag *d)
{
	struct names now = {0}, gone = {0}, came = {0};
	size_t i = 0, j = 0;
	int64_t t = mono_ms();
	bool replace = !s->told.valid;
	int rc;

	/*
	 * After a failure, 4, 8, then 16 s: connecting to no primary costs
	 * libpq's connect_timeout per host, which the next pull would wait for.
	 */
	if (!s->pg ||
	    (s->told.at && t - s->told.at < (int64_t)REPORT_EVERY_MS
						<< (s->told.fails < 3 ? s->told.fails : 3)))
		return RJH_OK;
	rc = held_now(s, &now, d);
	/* Merge the two sorted lists into what went and what came; the names stay now's. */
	while (rc == 0 && !replace && (i < s->told.n || j < now.n)) {
		int c = i == s->told.n ? 1 : j == now.n ? -1 : strcmp(s->told.v[i], now.v[j]);
		struct names *to = c < 0 ? &gone : &came;

		if (c && util_grow(&to->v, &to->cap, to->n + 1, sizeof(*to->v), 64) < 0) {
			rc = diag_set(d, RJH_ENOMEM, "out of memory");
			break;
		}
		if (c < 0)
			gone.v[gone.n++] = s->told.v[i++];
		else if (c > 0)
			came.v[came.n++] = now.v[j++];
		else
			i++, j++;
	}
	if (rc == 0 && !s->ship)
		rc = reg_pg_open(&s->cfg, REG_RW, "rjh-sync", &s->ship, d);
	if (rc == 0)
		rc = reg_pg_report(s->ship, s->node, !s->told.started, replace,
				   (const char *const *)gone.v, gone.n,
				   (const char *const *)(replace ? now.v : came.v),
				   replace ? now.n : came.n, d);
	free(gone.v);
	free(came.v);
	s->told.at = t;
	snprintf(s->told.err, sizeof(s->told.err), "%s", rc < 0 ? d->msg : "");
	if (rc < 0) {
		if (rc != RJH_ENOMEM)
			drop(&s->ship);
		names_free(now.v, now.n);
		s->told.valid = false;
		s->told.fails++;
		return rc;
	}
	if (replace && s->verbose)
		say(s, LOG_INFO, "reported %zu tunnel%s held here", now.n, now.n == 1 ? "" : "s");
	names_free(s->told.v, s->told.n);
	s->told.v = now.v;
	s->told.n = now.n;
	s->told.valid = s->told.started = true;
	s->told.fails = 0;
	return RJH_OK;
}

/*
 * The cache keeps what pam_rjh and the spool wrote after it was shipped;
 * PostgreSQL has it for good. Once an hour, what is older than retention
 * (rjh.conf) goes, as `rjh-admin prune` does on a single node; a row still
 * in the outbox is never older than that unless PostgreSQL has been away
 * longer, and then it waits (reg_prune keeps open sessions; the outbox is
 * checked first).
 */
#define PRUNE_EVERY 3600
static int prune_cache(struct sync *s, struct rjh_diag *d)
{
	int64_t now = (int64_t)time(NULL), ns = 0, ne = 0;
	struct reg *cache = NULL;
	int rc;

	if (now - s->pruned < PRUNE_EVERY || access(s->cfg.registry, F_OK) < 0)
		return RJH_OK;
	rc = reg_open(s->cfg.registry, REG_RW, &s->cfg, SYNC_BUSY_MS, &cache, d);
	if (rc == 0)
		rc = reg_begin(cache, d);
	if (rc == 0 && reg_count(cache, "outbox") > 0) {
		reg_rollback(cache);
		reg_close(cache);
		return RJH_OK; /* not everything is in PostgreSQL yet */
	}
	if (rc == 0)
		rc = reg_prune(cache, now - s->cfg.retention, &ns, &ne, d);
	if (rc == 0)
		rc = reg_commit(cache, d);
	else if (cache)
		reg_rollback(cache);
	reg_close(cache);
	if (rc == 0) {
		s->pruned = now;
		if (ns || ne)
			say(s, LOG_INFO,
			    "pruned the cache's own history: %lld sessions, %lld events",
			    (long long)ns, (long long)ne);
	}
	return rc;
}

/* ------------------------------------------------------------------ main */

static void cycle(struct sync *s)
{
	struct rjh_diag d = {""}, dp = {""};
	char msg[1100];
	int rc = pull(s, &d), rp = push(s, &dp);

	if (rp == 0)
		rp = prune_cache(s, &dp);
	if (rp == 0)
		report(s, &dp);
	/* A report's trouble lasts until the next report (one in several cycles). */
	if (rp == 0 && s->told.err[0]) {
		rp = RJH_EREGISTRY;
		snprintf(dp.msg, sizeof(dp.msg), "%s", s->told.err);
	}

	if (rc < 0 && rp < 0)
		snprintf(msg, sizeof(msg), "%s; %s", d.msg, dp.msg);
	else
		snprintf(msg, sizeof(msg), "%s", rc < 0 ? d.msg : rp < 0 ? dp.msg : "");
	trouble(s, msg);
}

static void nap(struct sync *s)
{
	struct timespec ts = {s->poll_ms / 1000, (long)(s->poll_ms % 1000) * 1000000L};

	if (s->pg && s->listening) {
		struct rjh_diag d = {""};

		if (reg_pg_wait(s->pg, s->poll_ms, &d) < 0)
			drop(&s->pg);
		return;
	}
	nanosleep(&ts, NULL);
}

static int usage(FILE *f, int code)
{
	fprintf(f, "usage: rjh-sync [-c FILE] [--once] [--interval MS] [--verbose]\n"
		   "       rjh-sync --version | --help\n\n"
		   "Keeps this jumphost's registry cache, NSS and login snapshots in step with\n"
		   "the registry in PostgreSQL (store = postgresql in rjh.conf), and ships its\n"
		   "sessions and audit events there. See rjh-sync(8).\n\n"
		   "  -c FILE        the configuration (default " CFG_DEFAULT_PATH ")\n"
		   "  --once         one cycle, then exit: 0 in step, 4 not\n"
		   "  --interval MS  how often to look without a NOTIFY (default 500)\n"
		   "  --verbose      say on stderr what goes to syslog\n"
		   "  --configured   exit 0 if rjh.conf says store = postgresql, else 1\n"
		   "                 (rjh-sync.service's ExecCondition)\n");
	return code;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"once", no_argument, NULL, 'o'},    {"interval", required_argument, NULL, 'i'},
	    {"verbose", no_argument, NULL, 'v'}, {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},    {NULL, 0, NULL, 0}};
	struct sync s = {.poll_ms = POLL_MS_DFLT};
	const char *conf = NULL;
	bool configured = false;
	struct rjh_diag d = {""};
	struct sigaction sa = {0};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'o':
			s.once = true;
			break;
		case 'i':
			s.poll_ms = atoi(optarg);
			if (s.poll_ms < 10 || s.poll_ms > 60000) {
				fprintf(stderr, "rjh-sync: --interval must be 10 to 60000 ms\n");
				return SYNC_USAGE;
			}
			break;
		case 'v':
			s.verbose = true;
			break;
		case 'C':
			configured = true;
			break;
		case 'V':
			printf("rjh-sync %s\n", RJH_VERSION);
			return SYNC_OK;
		case 'h':
			return usage(stdout, SYNC_OK);
		default:
			return usage(stderr, SYNC_USAGE);
		}
	}
	if (optind != argc)
		return usage(stderr, SYNC_USAGE);
	if (cfg_load(conf, &s.cfg, &d) < 0) {
		fprintf(stderr, "rjh-sync: %s\n", d.msg);
		return SYNC_CONFIG;
	}
	/* The unit's ExecCondition: 0 runs it, 1 skips it (store = sqlite). */
	if (configured)
		return s.cfg.store == CFG_STORE_POSTGRESQL ? SYNC_OK : SYNC_USAGE;
	if (s.cfg.store != CFG_STORE_POSTGRESQL) {
		fprintf(stderr, "rjh-sync: %s: store is %s; rjh-sync is for store = postgresql\n",
			s.cfg.source[0] ? s.cfg.source : CFG_DEFAULT_PATH,
			cfg_store_name(s.cfg.store));
		return SYNC_CONFIG;
	}
	cfg_node_name(&s.cfg, s.node, sizeof(s.node));
	umask(022);
	openlog("rjh-sync", LOG_PID, LOG_DAEMON);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (s.once) {
		cycle(&s);
		drop(&s.pg);
		drop(&s.ship);
		return s.said[0] ? SYNC_FAILED : SYNC_OK;
	}
	say(&s, LOG_NOTICE, "started: node %s, registry cache %s", s.node, s.cfg.registry);
	while (!stopping) {
		cycle(&s);
		if (!stopping)
			nap(&s);
	}
	drop(&s.pg);
	drop(&s.ship);
	names_free(s.told.v, s.told.n);
	say(&s, LOG_NOTICE, "stopped");
	return SYNC_OK;
}
