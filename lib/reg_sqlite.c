#include "reg_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migrations.h"
#include "name.h"
#include "policy.h"
#include "reg_cols.h"
#include "util.h"

/* SQLite's named parameters for the policy fields (REG_HOST_POLICY). */
#define HOST_POLICY_SET(m, opt, col, ...)   ", " col " = :" col
#define HOST_POLICY_PARAM(m, opt, col, ...) ", :" col

/* Every statement rjh runs, prepared once per connection. */
enum q {
	Q_SETTING_GET,
	Q_SETTING_PUT,
	Q_HOST_GET,
	Q_HOST_ADD,
	Q_HOST_STATE,
	Q_HOST_POLICY,
	Q_HOST_DEL,
	Q_HOST_ALL,
	Q_GRANT_DEL_EXACT,
	Q_KEY_ADD,
	Q_KEY_OWNER,
	Q_KEY_FIND,
	Q_KEY_REVOKE,
	Q_KEYS_HOST,
	Q_KEYS_ALL,
	Q_GRANT_ADD,
	Q_GRANT_DEL,
	Q_GRANTS,
	Q_SESSION_LAST,
	Q_IDENTS,
	Q_SESSIONS,
	Q_SESSIONS_HOST,
	Q_SESSIONS_OPEN,
	Q_SESSION_OPEN,
	Q_SESSION_END,
	Q_SESSION_END_PID,
	Q_PRESENCE,
	Q_EVENT_ADD,
	Q_EVENTS,
	Q_EVENTS_HOST,
	Q_EVENTS_SINCE,
	Q_HOST_KEY_ADD,
	Q_HOST_KEY_OWNER,
	Q_HOST_KEYS_CLEAR,
	Q_HOST_KEYS_HOST,
	Q_HOST_KEYS_ALL,
	Q_KNOWN_HOSTS,
	Q_KNOWN_HOSTS_MISSING,
	Q_POLICY_GEN,
	Q_POLICY_CHANGES,
	Q_POLICY_PRUNE,
	Q_LOGIN_ALL,
	Q_LOGIN_ONE,
	Q_PRUNE_SESSIONS,
	Q_PRUNE_EVENTS,
	Q_PRUNE_SESSIONS_CACHE,
	Q_PRUNE_EVENTS_CACHE,
	Q_BACKUP_ADD,
	Q_STAGE_HOST,
	Q_STAGE_KEY,
	Q_STAGE_HOST_KEY,
	Q_STAGE_GRANT,
	Q_STAGE_USER_CA,
	Q_STAGE_CERT,
	Q_OUTBOX,
	Q_OUTBOX_ACK,
	Q_USER_CA_ADD,
	Q_USER_CA_DEL,
	Q_USER_CAS,
	Q_USER_CA_GET,
	Q_CERT_NEXT,
	Q_CERT_ADD,
	Q_CERT_GET,
	Q_CERTS,
	Q_CERT_SET_REVOKED,
	Q_CERTS_REVOKE_HOST,
	Q_COUNT_
};

/*
 * The columns row_login reads, in its order: a host, and one of its keys
 * not revoked or NULLs (what the login snapshot holds of a key).
 */
#define LOGIN_COLS                                                                                 \
	HOST_COLS                                                                                  \
	", k.id, k.algorithm, k.blob, k.fingerprint, k.created, k.expires "                        \
	"FROM hosts h LEFT JOIN keys k ON k.host_id = h.id AND k.revoked IS NULL"

/* The cache's staging tables (reg_cache_stage): the connection's own, in temp. */
#define HOST_POLICY_EXCLUDED(m, opt, col, ...) ", " col " = excluded." col
#define HOST_POLICY_DIFFERS(m, opt, col, ...)  " OR hosts." col " IS NOT excluded." col
#define HOST_MIRROR_COLS                       "id, name, uid, state, created, updated" REG_HOST_POLICY(HOST_POLICY_NAME)
#define KEY_MIRROR_COLS                                                                            \
	"id, host_id, algorithm, blob, fingerprint, comment, created, expires, revoked"
#define HOST_KEY_MIRROR_COLS "id, host_id, algorithm, blob, fingerprint, created"
#define CERT_MIRROR_COLS                                                                           \
	"ca, serial, host, key_fp, key_id, valid_after, valid_before, issued, revoked"

/* An outbox entry and its row: a session's SESSION_COLS, then an event's (row_event). */
#define OUTBOX_COLS                                                                                \
	"o.id, o.kind, o.row_id, " SESSION_COLS("s.") ", e.time, e.type, e.op, e.actor_uid, "      \
						      "e.actor_auid, e.host, e.fingerprint, "      \
						      "e.result, e.detail, e.origin"
#define OUTBOX_SESSION_COL 3
#define OUTBOX_EVENT_COL   (OUTBOX_SESSION_COL + SESSION_NCOLS)

static const char *const q_sql[Q_COUNT_] = {
    [Q_STAGE_HOST] = "INSERT INTO temp.s_hosts(" HOST_MIRROR_COLS ") VALUES (:id, :name, :uid, "
		     ":state, :created, :updated" REG_HOST_POLICY(HOST_POLICY_PARAM) ")",
    [Q_STAGE_KEY] = "INSERT INTO temp.s_keys(" KEY_MIRROR_COLS ") VALUES (:id, :host_id, "
		    ":algorithm, :blob, :fp, :comment, :created, :expires, :revoked)",
    [Q_STAGE_HOST_KEY] = "INSERT INTO temp.s_host_keys(" HOST_KEY_MIRROR_COLS ") VALUES (:id, "
			 ":host_id, :algorithm, :blob, :fp, :created)",
    [Q_STAGE_USER_CA] = "INSERT INTO temp.s_user_cas(" USER_CA_COLS ") VALUES (?1, ?2, ?3, ?4, "
			"?5, ?6)",
    [Q_STAGE_CERT] = "INSERT INTO temp.s_certs(" CERT_MIRROR_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, "
		     "?6, ?7, ?8, ?9)",
    [Q_STAGE_GRANT] =
	"INSERT INTO temp.s_grants(principal, pattern, created) VALUES (:principal, :pattern, "
	":created)",
    [Q_OUTBOX] = "SELECT " OUTBOX_COLS " FROM outbox o "
		 "LEFT JOIN sessions s ON o.kind = 'session' AND s.id = o.row_id "
		 "LEFT JOIN events e ON o.kind = 'event' AND e.id = o.row_id "
		 "ORDER BY o.id LIMIT ?1",
    [Q_OUTBOX_ACK] = "DELETE FROM outbox WHERE id <= ?1",
    [Q_SETTING_GET] = "SELECT value FROM settings WHERE name = ?1",
    [Q_SETTING_PUT] = "INSERT INTO settings(name, value) VALUES (?1, ?2) "
		      "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
    [Q_HOST_GET] = "SELECT " HOST_COLS ", " HOST_NKEYS("h.") " FROM hosts h WHERE name = ?1",
    [Q_HOST_ADD] = "INSERT INTO hosts(name, uid, state, created, updated" REG_HOST_POLICY(
	HOST_POLICY_NAME) ") VALUES (:name, :uid, 'active', :now, "
			  ":now" REG_HOST_POLICY(HOST_POLICY_PARAM) ")",
    [Q_HOST_STATE] = "UPDATE hosts SET state = :state, updated = :now WHERE id = :id",
    [Q_HOST_POLICY] =
	"UPDATE hosts SET updated = :now" REG_HOST_POLICY(HOST_POLICY_SET) " WHERE id = :id",
    [Q_HOST_DEL] = "DELETE FROM hosts WHERE id = ?1",
    [Q_HOST_ALL] = "SELECT " HOST_COLS ", " HOST_NKEYS("h.") " FROM hosts h ORDER BY name",
    [Q_GRANT_DEL_EXACT] = "DELETE FROM grants WHERE pattern = ?1",
    [Q_KEY_ADD] = "INSERT INTO keys(host_id, algorithm, blob, fingerprint, comment, created, "
		  "expires) VALUES (:host_id, :algorithm, :blob, :fp, :comment, :now, :expires)",
    [Q_KEY_OWNER] = "SELECT h.name FROM keys k JOIN hosts h ON h.id = k.host_id "
		    "WHERE k.fingerprint = ?1",
    [Q_KEY_FIND] = "SELECT " KEY_COLS " " KEY_FROM " WHERE k.fingerprint = ?1",
    [Q_KEY_REVOKE] = "UPDATE keys SET revoked = ?2 WHERE id = ?1",
    [Q_KEYS_HOST] = "SELECT " KEY_COLS " " KEY_FROM " WHERE k.host_id = ?1 ORDER BY k.id",
    [Q_KEYS_ALL] = "SELECT " KEY_COLS " " KEY_FROM " ORDER BY h.name, k.id",
    [Q_GRANT_ADD] = "INSERT INTO grants(principal, pattern, created) VALUES (?1, ?2, ?3)",
    [Q_GRANT_DEL] = "DELETE FROM grants WHERE principal = ?1 AND pattern = ?2",
    [Q_GRANTS] = "SELECT principal, pattern, created FROM grants ORDER BY principal, pattern",
    [Q_SESSION_LAST] = "SELECT " SESSION_COLS("") " FROM sessions WHERE host = ?1 "
						  "ORDER BY started DESC, id DESC LIMIT 1",
    [Q_IDENTS] = "SELECT name, uid FROM hosts ORDER BY name",
    [Q_SESSIONS] = "SELECT " SESSION_COLS("") " FROM sessions ORDER BY id",
    [Q_SESSIONS_HOST] = "SELECT " SESSION_COLS("") " FROM sessions WHERE host = ?1 "
						   "ORDER BY started DESC, id DESC LIMIT ?2",
    [Q_SESSIONS_OPEN] =
	"SELECT " SESSION_COLS("") " FROM sessions WHERE host = ?1 AND ended IS NULL "
				   "ORDER BY id",
    [Q_SESSION_OPEN] = "INSERT INTO sessions(host, uid, fingerprint, source_addr, sshd_pid, "
		       "sshd_start, started, cert) VALUES (:host, :uid, :fp, :source, :pid, "
		       ":pid_start, :started, :cert)",
    [Q_SESSION_END] = "UPDATE sessions SET ended = :now, end_reason = :reason "
		      "WHERE id = :id AND ended IS NULL",
    [Q_SESSION_END_PID] = "UPDATE sessions SET ended = :now, end_reason = :reason "
			  "WHERE host = :host AND sshd_pid = :pid AND ended IS NULL",
    /* Every host and its newest session: one index probe per host (sessions_host). */
    [Q_PRESENCE] = "SELECT " HOST_COLS ", " HOST_NKEYS("h.") ", " SESSION_COLS(
	"s.") " "
	      "FROM hosts h "
	      "LEFT JOIN sessions s ON s.id = coalesce((SELECT id FROM sessions WHERE "
	      "host = h.name AND ended IS NULL ORDER BY started DESC, id DESC LIMIT "
	      "1), "
	      "(SELECT id FROM sessions WHERE host = h.name ORDER BY started DESC, id "
	      "DESC "
	      "LIMIT 1)) ORDER BY h.name",
    [Q_EVENTS] = "SELECT " EVENT_COLS " FROM events ORDER BY id",
    /* :uid NULL: anyone. The index (host, time) or (time) already yields time, id
       order. */
    [Q_EVENTS_HOST] =
	"SELECT " EVENT_COLS " FROM events WHERE host = :host AND time >= :since "
	"AND (:uid IS NULL OR actor_uid = :uid OR actor_auid = :uid) ORDER BY time, id",
    [Q_EVENTS_SINCE] =
	"SELECT " EVENT_COLS " FROM events WHERE time >= :since "
	"AND (:uid IS NULL OR actor_uid = :uid OR actor_auid = :uid) ORDER BY time, id",
    [Q_HOST_KEY_ADD] = "INSERT INTO host_keys(host_id, algorithm, blob, fingerprint, created) "
		       "VALUES (:host_id, :algorithm, :blob, :fp, :now)",
    [Q_HOST_KEY_OWNER] = "SELECT h.name FROM host_keys hk JOIN hosts h ON h.id = hk.host_id "
			 "WHERE hk.fingerprint = ?1",
    [Q_HOST_KEYS_CLEAR] = "DELETE FROM host_keys WHERE host_id = ?1",
    [Q_HOST_KEYS_HOST] = "SELECT " HOST_KEY_COLS " FROM host_keys hk JOIN hosts h ON "
			 "h.id = hk.host_id WHERE hk.host_id = ?1 ORDER BY hk.id",
    [Q_HOST_KEYS_ALL] = "SELECT " HOST_KEY_COLS " FROM host_keys hk JOIN hosts h ON "
			"h.id = hk.host_id ORDER BY h.name, hk.id",
    /* The hosts policy_host_state calls active at ?1 (POLICY_HOST_ACTIVE_SQL). */
    [Q_KNOWN_HOSTS] = "SELECT " HOST_KEY_COLS " FROM hosts h JOIN host_keys hk ON "
		      "hk.host_id = h.id WHERE " POLICY_HOST_ACTIVE_SQL " ORDER BY h.name, hk.id",
    [Q_KNOWN_HOSTS_MISSING] = "SELECT count(*) FROM hosts h WHERE " POLICY_HOST_ACTIVE_SQL
			      " AND NOT EXISTS (SELECT 1 FROM host_keys hk WHERE "
			      "hk.host_id = h.id)",
    /* The newest policy_log id: pruning keeps the newest row, so ids never go back. */
    [Q_POLICY_GEN] = "SELECT (SELECT max(id) FROM policy_log), "
		     "(SELECT value FROM settings WHERE name = 'policy_log_floor')",
    [Q_POLICY_CHANGES] = "SELECT DISTINCT host FROM policy_log WHERE id > ?1 ORDER BY host",
    [Q_POLICY_PRUNE] = "DELETE FROM policy_log WHERE id <= ?1 AND id < (SELECT max(id) FROM "
		       "policy_log)",
    [Q_LOGIN_ALL] = "SELECT " LOGIN_COLS " ORDER BY h.name, k.id",
    [Q_LOGIN_ONE] = "SELECT " LOGIN_COLS " WHERE h.name = ?1 ORDER BY k.id",
    [Q_EVENT_ADD] = "INSERT INTO events(time, type, op, actor_uid, actor_auid, host, "
		    "fingerprint, result, detail, origin) VALUES (:time, :type, :op, :actor_uid, "
		    ":actor_auid, :host, :fp, :result, :detail, :origin) "
		    "ON CONFLICT(origin) WHERE origin IS NOT NULL DO NOTHING",
    /* Ended rows only, through sessions_ended (schema 6); an open row is never pruned.
     */
    [Q_PRUNE_SESSIONS] = "DELETE FROM sessions WHERE ended IS NOT NULL AND ended < ?1",
    /* Through events_time (schema 3). */
    [Q_PRUNE_EVENTS] = "DELETE FROM events WHERE time < ?1",
    /*
     * A cache ships rows keyed by their id: the newest row of each table
     * stays, so that ids (max + 1) are never handed out again.
     */
    [Q_PRUNE_SESSIONS_CACHE] = "DELETE FROM sessions WHERE ended IS NOT NULL AND ended < ?1 "
			       "AND id < (SELECT max(id) FROM sessions)",
    [Q_PRUNE_EVENTS_CACHE] = "DELETE FROM events WHERE time < ?1 AND id < (SELECT max(id) FROM "
			     "events)",
    [Q_BACKUP_ADD] = "INSERT INTO backups(time, path, bytes, schema, hosts, keys, sessions, "
		     "events) VALUES (:time, :path, :bytes, :schema, :hosts, :keys, :sessions, "
		     ":events)",
    [Q_USER_CA_ADD] = "INSERT INTO user_cas(fingerprint, algorithm, blob, comment, own, added) "
		      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_USER_CA_DEL] = "DELETE FROM user_cas WHERE fingerprint = ?1",
    [Q_USER_CAS] = "SELECT " USER_CA_COLS " FROM user_cas ORDER BY id",
    [Q_USER_CA_GET] = "SELECT " USER_CA_COLS " FROM user_cas WHERE fingerprint = ?1",
    [Q_CERT_NEXT] = "SELECT coalesce(max(serial), 0) FROM certs WHERE ca = ?1",
    [Q_CERT_ADD] = "INSERT INTO certs(" CERT_MIRROR_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
		   "?8, ?9)",
    [Q_CERT_GET] = "SELECT " CERT_COLS " " CERT_FROM " WHERE c.ca = ?1 AND c.serial = ?2",
    [Q_CERTS] = "SELECT " CERT_COLS " " CERT_FROM " WHERE ?1 IS NULL OR c.host = ?1 "
		"ORDER BY c.id DESC",
    [Q_CERT_SET_REVOKED] = "UPDATE certs SET revoked = ?3 WHERE ca = ?1 AND serial = ?2",
    [Q_CERTS_REVOKE_HOST] = "UPDATE certs SET revoked = CAST(strftime('%s', 'now') AS INTEGER) "
			    "WHERE host = ?1 AND revoked IS NULL",
};

struct sqlite_reg {
	struct reg base; /* first: the handle callers hold (reg_store.h) */
	sqlite3 *db;
	char path[CFG_PATH_MAX];
	int busy_ms;
	int ver; /* user_version when opened (check_schema) */
	sqlite3_stmt *st[Q_COUNT_];
	int bind_src;  /* the first failed bind since stmt(), for step() */
	bool write_tx; /* between reg_begin and reg_commit or reg_rollback */
};

/* The SQLite handle behind a caller's struct reg. */
static struct sqlite_reg *sq(struct reg *store)
{
	return (struct sqlite_reg *)(void *)store;
}

static void sq_close(struct reg *store);
static void sq_rollback(struct reg *store);
static int64_t sq_count(struct reg *store, const char *table);
static int sq_policy_generation(struct reg *store, uint64_t *gen_out, uint64_t *floor_out,
				struct rjh_diag *d);

/* Closes r, a handle of this file's (NULL: nothing to close). */
static void close_handle(struct sqlite_reg *r)
{
	if (r)
		sq_close(&r->base);
}

int reg_schema_version(void)
{
	return reg_migrations[reg_migrations_count - 1].version;
}

/* Turns an SQLite failure into an rjh code with a sentence naming the registry. */
static int reg_fail(struct sqlite_reg *r, int src, const char *what, struct rjh_diag *d)
{
	const char *msg = r && r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(src);
	const char *path = r ? r->path : "registry";

	if (src == SQLITE_CONSTRAINT_FOREIGNKEY)
		return diag_set(d, RJH_ENOENT, "%s: it refers to something that does not exist",
				what);
	switch (src & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return diag_set(d, RJH_EREGISTRY,
				"%s: registry is locked by another process (waited %d ms)", path,
				r ? r->busy_ms : 0);
	case SQLITE_CONSTRAINT:
		return diag_set(d, RJH_EEXIST, "%s: %s", what, msg);
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return diag_set(d, RJH_EREGISTRY, "%s: registry is corrupt or not a database",
				path);
	case SQLITE_READONLY:
		return diag_set(d, RJH_EREGISTRY, "%s: registry is read-only (%s)", path, msg);
	case SQLITE_FULL:
		return diag_set(d, RJH_ESYS, "%s: disk full", path);
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return diag_set(d, RJH_EREGISTRY, "%s: cannot open registry (%s)", path, msg);
	case SQLITE_NOMEM:
		return diag_set(d, RJH_ENOMEM, "out of memory");
	default:
		return diag_set(d, RJH_EREGISTRY, "%s: %s: %s", path, what, msg);
	}
}

/*
 * True (with d set) when the write transaction reg_begin opened is gone:
 * SQLite rolls a transaction back by itself after some I/O and
 * out-of-memory errors in a step, and every statement after that would
 * commit on its own, half a change.
 */
static bool tx_lost(struct sqlite_reg *r, struct rjh_diag *d)
{
	if (!r->write_tx || !sqlite3_get_autocommit(r->db))
		return false;
	diag_set(d, RJH_EREGISTRY, "%s: the change was rolled back after an error", r->path);
	return true;
}

static sqlite3_stmt *stmt(struct sqlite_reg *r, enum q id, struct rjh_diag *d, int *rc)
{
	r->bind_src = SQLITE_OK;
	if (tx_lost(r, d)) {
		*rc = RJH_EREGISTRY;
		return NULL;
	}
	if (!r->st[id]) {
		int src = sqlite3_prepare_v3(r->db, q_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					     &r->st[id], NULL);

		if (src != SQLITE_OK) {
			*rc = reg_fail(r, src, "prepare", d);
			return NULL;
		}
	}
	return r->st[id];
}

static void copy_col(char *dst, size_t len, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

/*
 * Binds v to param ("?1", ":name") of s, a statement from stmt(); NULL text
 * binds NULL. A failure (no such parameter, out of memory, too big) is kept
 * and returned by the next step(), so that no statement runs with a value
 * missing.
 */
static void bind_text(struct sqlite_reg *r, sqlite3_stmt *s, const char *param, const char *v)
{
	int idx = sqlite3_bind_parameter_index(s, param);
	int src = idx ? sqlite3_bind_text(s, idx, v, -1, SQLITE_STATIC) : SQLITE_RANGE;

	if (r->bind_src == SQLITE_OK)
		r->bind_src = src;
}

static void bind_int(struct sqlite_reg *r, sqlite3_stmt *s, const char *param, int64_t v)
{
	int idx = sqlite3_bind_parameter_index(s, param);
	int src = idx ? sqlite3_bind_int64(s, idx, v) : SQLITE_RANGE;

	if (r->bind_src == SQLITE_OK)
		r->bind_src = src;
}

/* sqlite3_step, unless a bind since stmt() failed: then that failure. */
static int step(struct sqlite_reg *r, sqlite3_stmt *s)
{
	int src = r->bind_src;

	if (src != SQLITE_OK) {
		r->bind_src = SQLITE_OK;
		return src;
	}
	return sqlite3_step(s);
}

static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/*
 * Steps s (from stmt(), bound) and calls row(s, ctx) for each result row,
 * stopping at its first negative return, which is returned; a failed step
 * is reg_fail(what). Resets s either way.
 */
static int each_row(struct sqlite_reg *r, sqlite3_stmt *s, int (*row)(sqlite3_stmt *s, void *ctx),
		    void *ctx, const char *what, struct rjh_diag *d)
{
	int rc = RJH_OK, src;

	while ((src = step(r, s)) == SQLITE_ROW) {
		rc = row(s, ctx);
		if (rc < 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = reg_fail(r, src, what, d);
	done(s);
	return rc;
}

static int exec(struct sqlite_reg *r, const char *sql, const char *what, struct rjh_diag *d)
{
	int src = sqlite3_exec(r->db, sql, NULL, NULL, NULL);

	return src == SQLITE_OK ? RJH_OK : reg_fail(r, src, what, d);
}

/* Reads the first n columns of sql's one row as ints into out[]. Returns 0 or an rjh code. */
static int read_ints(struct sqlite_reg *r, const char *sql, int *out, int n, struct rjh_diag *d)
{
	sqlite3_stmt *s = NULL;
	int src = sqlite3_prepare_v2(r->db, sql, -1, &s, NULL), i;

	if (src == SQLITE_OK) {
		src = sqlite3_step(s);
		if (src == SQLITE_ROW) {
			for (i = 0; i < n; i++)
				out[i] = sqlite3_column_int(s, i);
			src = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return src == SQLITE_OK ? RJH_OK : reg_fail(r, src, "read schema", d);
}

static int set_setting(struct sqlite_reg *r, const char *name, const char *value,
		       struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_SETTING_PUT, d, &rc);

	if (!s)
		return rc;
	bind_text(r, s, "?1", name);
	bind_text(r, s, "?2", value);
	src = step(r, s);
	done(s);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "write setting", d);
}

static int set_setting_u32(struct sqlite_reg *r, const char *name, uint32_t v, struct rjh_diag *d)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	return set_setting(r, name, buf, d);
}

static int set_setting_u64(struct sqlite_reg *r, const char *name, uint64_t v, struct rjh_diag *d)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return set_setting(r, name, buf, d);
}

/* Applies every migration above the registry's user_version, in one transaction. */
static int migrate(struct sqlite_reg *r, const struct cfg *c, bool create, struct rjh_diag *d)
{
	int rc, ver = 0, i;

	/*
	 * Up to date, or newer and still ours (check_schema read it): no write
	 * lock just to find that out.
	 */
	if (!create && r->ver >= reg_schema_version())
		return RJH_OK;
	rc = exec(r, "BEGIN IMMEDIATE", "begin", d);
	if (rc < 0)
		return rc;
	rc = read_ints(r, "PRAGMA user_version", &ver, 1, d);
	if (rc < 0)
		goto out;
	for (i = 0; i < reg_migrations_count; i++) {
		char sql[64];

		if (reg_migrations[i].version <= ver)
			continue;
		rc = exec(r, reg_migrations[i].sql, reg_migrations[i].name, d);
		if (rc < 0)
			goto out;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", reg_migrations[i].version);
		rc = exec(r, sql, "set schema version", d);
		if (rc < 0)
			goto out;
		/* Which older programs may still use it (check_schema). */
		rc = set_setting_u32(r, "compat_schema", (uint32_t)reg_migrations[i].compat, d);
		if (rc < 0)
			goto out;
	}
	if (create) {
		char sql[64];

		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", REG_APP_ID);
		rc = exec(r, sql, "set application id", d);
		if (rc == 0)
			rc = set_setting_u32(r, "uid_min", c->uid_min, d);
		if (rc == 0)
			rc = set_setting_u32(r, "uid_max", c->uid_max, d);
		if (rc == 0)
			rc = set_setting_u32(r, "next_uid", c->uid_min, d);
		if (rc == 0)
			rc = set_setting(r, "host_group", c->host_group, d);
		if (rc == 0)
			rc = set_setting_u32(r, "host_gid", c->host_gid, d);
		if (rc < 0)
			goto out;
	}
	rc = exec(r, "COMMIT", "commit schema upgrade", d);
out:
	if (rc < 0)
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * Checks that the file is an rjh registry this build understands, and keeps
 * its schema version in r->ver. Both numbers come from one statement: one
 * read lock besides the schema's own (every lock is a round of syscalls, and
 * pam_rjh opens the registry in every login).
 */
static int check_schema(struct sqlite_reg *r, enum reg_mode mode, struct rjh_diag *d)
{
	int ids[2] = {0, 0}; /* application_id, user_version */
	int rc = read_ints(r,
			   "SELECT (SELECT application_id FROM pragma_application_id), "
			   "(SELECT user_version FROM pragma_user_version)",
			   ids, 2, d);

	if (rc < 0)
		return rc;
	r->ver = ids[1];
	if (ids[0] != REG_APP_ID)
		return diag_set(d, RJH_EREGISTRY, "%s: not an rjh registry", r->path);
	if (r->ver > reg_schema_version()) {
		/*
		 * A newer rjh upgraded it. Its migrations say which older programs
		 * still work on it (sql/README): those keep going, so the programs
		 * of a running release that is being upgraded (an sshd's pam_rjh
		 * closing a session) are not refused for the swap.
		 */
		int compat = r->ver;

		rc = read_ints(
		    r,
		    "SELECT coalesce((SELECT CAST(value AS INTEGER) FROM settings "
		    "WHERE name = 'compat_schema'), user_version) FROM pragma_user_version",
		    &compat, 1, d);
		if (rc < 0)
			return rc;
		/* Only root writes it; a value that makes no sense allows nothing. */
		if (compat < 1 || compat > r->ver)
			compat = r->ver;
		if (compat > reg_schema_version())
			return diag_set(d, RJH_ESCHEMA,
					"%s: registry schema %d is newer than this rjh understands "
					"(%d)",
					r->path, r->ver, reg_schema_version());
	}
	if (r->ver < reg_schema_version() && mode == REG_RO)
		return diag_set(
		    d, RJH_EREGISTRY,
		    "%s: registry schema %d needs an upgrade to %d (run rjh-admin as root)",
		    r->path, r->ver, reg_schema_version());
	return RJH_OK;
}

static int create_file(const char *path, struct rjh_diag *d)
{
	int fd, rc;

	/*
	 * The directories must be root's alone, as reg_open checks them. ENOENT
	 * comes only after every directory that exists was found so: make the
	 * missing ones, and check again what was made.
	 */
	rc = util_db_dirs_trusted(path, d);
	if (rc == RJH_ENOENT) {
		rc = util_mkdir_parents(path, 0755, d);
		if (rc == 0)
			rc = util_db_dirs_trusted(path, d);
	}
	if (rc < 0)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0 && errno == EEXIST)
		return diag_set(d, RJH_EEXIST,
				"%s: a registry already exists; refusing to "
				"overwrite it",
				path);
	if (fd < 0)
		return diag_set(d, RJH_ESYS, "cannot create %s: %s", path, strerror(errno));
	/* The umask may have cut the mode; the registry is exactly 0640. */
	if (fchmod(fd, 0640) < 0) {
		rc = diag_set(d, RJH_ESYS, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return rc;
	}
	close(fd);
	return RJH_OK;
}

/* The trust check of an existing registry's path, as reg_open makes it. */
static int path_trusted(const char *path, struct rjh_diag *d)
{
	int rc = util_db_path_trusted(path, d);

	if (rc == RJH_ENOENT)
		return diag_set(d, RJH_EREGISTRY,
				"%s: registry does not exist (run rjh-admin init)", path);
	if (rc < 0)
		return rc == RJH_ETRUST ? rc : RJH_EREGISTRY;
	return RJH_OK;
}

/*
 * Opens the SQLite connection of a new handle (*out, which the caller closes
 * with reg_close also on failure) and configures it; checks nothing.
 */
static int open_handle(const char *path, bool readonly, int busy_ms, struct sqlite_reg **out,
		       struct rjh_diag *d)
{
	int flags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX, src;
	struct sqlite_reg *r;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return diag_set(d, RJH_ENOMEM, "out of memory");
	*out = r;
	r->base.ops = &reg_sqlite_ops;
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->busy_ms = busy_ms;
	flags |= readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	src = sqlite3_open_v2(path, &r->db, flags, NULL);
	if (src != SQLITE_OK)
		return reg_fail(r, src, "open", d);
	sqlite3_extended_result_codes(r->db, 1);
	sqlite3_busy_timeout(r->db, busy_ms);
	return exec(r, "PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF", "configure", d);
}

int reg_file_schema(const char *path, int busy_ms, int *ver_out, struct rjh_diag *d)
{
	int ids[2] = {0, 0}; /* application_id, user_version */
	struct sqlite_reg *r = NULL;
	int rc;

	*ver_out = 0;
	if (strlen(path) >= CFG_PATH_MAX)
		return diag_set(d, RJH_EINVAL, "registry path is too long");
	rc = path_trusted(path, d);
	if (rc == 0)
		rc = open_handle(path, true, busy_ms, &r, d);
	if (rc == 0)
		rc = read_ints(r,
			       "SELECT (SELECT application_id FROM pragma_application_id), "
			       "(SELECT user_version FROM pragma_user_version)",
			       ids, 2, d);
	if (rc == 0 && ids[0] != REG_APP_ID)
		rc = diag_set(d, RJH_EREGISTRY, "%s: not an rjh registry", path);
	if (rc == 0)
		*ver_out = ids[1];
	close_handle(r);
	return rc;
}

int reg_sqlite_open(const char *path, enum reg_mode mode, const struct cfg *c, int busy_ms,
		    struct reg **out, struct rjh_diag *d)
{
	struct sqlite_reg *r = NULL;
	int rc;

	*out = NULL;
	if (strlen(path) >= CFG_PATH_MAX)
		return diag_set(d, RJH_EINVAL, "registry path is too long");
	/*
	 * SQLite opens by name: the file and every directory above it must be
	 * root's alone, so that nobody else can swap what that name opens.
	 */
	if (mode == REG_CREATE) {
		rc = create_file(path, d);
		if (rc < 0)
			return rc;
	} else {
		rc = path_trusted(path, d);
		if (rc < 0)
			return rc;
	}
	rc = open_handle(path, mode == REG_RO, busy_ms, &r, d);
	if (rc < 0)
		goto fail;
	if (mode != REG_CREATE) {
		rc = check_schema(r, mode, d);
		if (rc < 0)
			goto fail;
	}
	if (mode != REG_RO) {
		/* A bulk import touches ~100 MB of pages: keep them off the file until commit. */
		rc = exec(r, "PRAGMA cache_size = -131072", "configure", d);
		if (rc == 0)
			rc = migrate(r, c, mode == REG_CREATE, d);
		if (rc < 0)
			goto fail;
	}
	*out = &r->base;
	return RJH_OK;
fail:
	close_handle(r);
	if (mode == REG_CREATE)
		unlink(path);
	return rc;
}

static void sq_close(struct reg *store)
{
	struct sqlite_reg *r = sq(store);
	int i;

	if (!r)
		return;
	for (i = 0; i < Q_COUNT_; i++)
		sqlite3_finalize(r->st[i]);
	sqlite3_close(r->db);
	free(r);
}

static int sq_begin(struct reg *store, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = exec(r, "BEGIN IMMEDIATE", "begin", d);

	r->write_tx = rc == 0;
	return rc;
}

static int sq_commit(struct reg *store, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = tx_lost(r, d) ? RJH_EREGISTRY : exec(r, "COMMIT", "commit", d);

	if (rc < 0)
		sq_rollback(&r->base);
	r->write_tx = false;
	return rc;
}

static void sq_rollback(struct reg *store)
{
	struct sqlite_reg *r = sq(store);

	r->write_tx = false;
	if (!sqlite3_get_autocommit(r->db))
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_begin_read(struct reg *store, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	return exec(r, "BEGIN", "begin", d);
}

static void sq_end_read(struct reg *store)
{
	struct sqlite_reg *r = sq(store);
	sq_rollback(&r->base);
}

/* Reads setting name into buf: 0, RJH_ENOENT (no such setting, d untouched) or an error. */
static int find_setting(struct sqlite_reg *r, const char *name, char *buf, size_t len,
			struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_SETTING_GET, d, &rc);

	if (!s)
		return rc;
	bind_text(r, s, "?1", name);
	src = step(r, s);
	if (src == SQLITE_ROW) {
		copy_col(buf, len, s, 0);
		rc = RJH_OK;
	} else if (src == SQLITE_DONE) {
		rc = RJH_ENOENT;
	} else {
		rc = reg_fail(r, src, "read setting", d);
	}
	done(s);
	return rc;
}

/* A setting init wrote: its absence means a broken registry. */
static int get_setting(struct sqlite_reg *r, const char *name, char *buf, size_t len,
		       struct rjh_diag *d)
{
	int rc = find_setting(r, name, buf, len, d);

	if (rc == RJH_ENOENT)
		rc = diag_set(d, RJH_EREGISTRY, "%s: setting %s is missing", r->path, name);
	return rc;
}

static int get_setting_u32(struct sqlite_reg *r, const char *name, uint32_t *v, struct rjh_diag *d)
{
	char buf[32];
	char *end;
	unsigned long n;
	int rc = get_setting(r, name, buf, sizeof(buf), d);

	if (rc < 0)
		return rc;
	errno = 0;
	n = strtoul(buf, &end, 10);
	if (errno || *end || n > UINT32_MAX)
		return diag_set(d, RJH_EREGISTRY, "%s: setting %s is corrupt", r->path, name);
	*v = (uint32_t)n;
	return RJH_OK;
}

static int sq_settings(struct reg *store, uint32_t *uid_min, uint32_t *uid_max, uint32_t *next_uid,
		       char *group, size_t grouplen, uint32_t *gid, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = get_setting_u32(r, "uid_min", uid_min, d);

	if (rc == 0)
		rc = get_setting_u32(r, "uid_max", uid_max, d);
	if (rc == 0)
		rc = get_setting_u32(r, "next_uid", next_uid, d);
	if (rc == 0)
		rc = get_setting(r, "host_group", group, grouplen, d);
	if (rc == 0)
		rc = get_setting_u32(r, "host_gid", gid, d);
	return rc;
}

static int sq_host_gid(struct reg *store, uint32_t *gid, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	return get_setting_u32(r, "host_gid", gid, d);
}

/* Reads the HOST_COLS that start at column 0 (nkeys is left 0). */
static void row_host(sqlite3_stmt *s, struct reg_host *h)
{
	const char *state;
	int i;

	memset(h, 0, sizeof(*h));
	h->id = sqlite3_column_int64(s, 0);
	copy_col(h->name, sizeof(h->name), s, 1);
	h->uid = (uint32_t)sqlite3_column_int64(s, 2);
	state = (const char *)sqlite3_column_text(s, 3);
	h->disabled = !state || strcmp(state, "active") != 0; /* unreadable: disabled */
	h->created = sqlite3_column_int64(s, 4);
	h->updated = sqlite3_column_int64(s, 5);
	for (i = 0; i < REG_HOST_NPOLICY; i++) {
		const struct reg_host_field *f = &reg_host_fields[i];

		if (f->kind == REG_FIELD_TIME)
			*(int64_t *)REG_HOST_AT(h, f) =
			    sqlite3_column_int64(s, HOST_FIXED_COLS + i);
		else
			copy_col(REG_HOST_AT(h, f), f->size, s, HOST_FIXED_COLS + i);
	}
}

/* Binds each policy field of h to its :column; an unset one (0, "") stays NULL. */
static void bind_policy(struct sqlite_reg *r, sqlite3_stmt *s, const struct reg_host *h)
{
	char param[64];
	int i;

	for (i = 0; i < REG_HOST_NPOLICY; i++) {
		const struct reg_host_field *f = &reg_host_fields[i];
		const void *v = REG_HOST_AT_CONST(h, f);

		snprintf(param, sizeof(param), ":%s", f->column);
		if (f->kind == REG_FIELD_TIME && *(const int64_t *)v)
			bind_int(r, s, param, *(const int64_t *)v);
		else if (f->kind != REG_FIELD_TIME && *(const char *)v)
			bind_text(r, s, param, v);
	}
}

/* row_host, and the HOST_NKEYS column after the HOST_COLS. */
static void row_host_nkeys(sqlite3_stmt *s, struct reg_host *h)
{
	row_host(s, h);
	h->nkeys = sqlite3_column_int(s, HOST_NCOLS);
}

static int sq_host_get(struct reg *store, const char *name, struct reg_host *out,
		       struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_HOST_GET, d, &rc);

	if (!s)
		return rc;
	bind_text(r, s, "?1", name);
	src = step(r, s);
	if (src == SQLITE_ROW)
		row_host_nkeys(s, out);
	else if (src == SQLITE_DONE)
		rc = diag_set(d, RJH_ENOENT, "host %s is not enrolled", name);
	else
		rc = reg_fail(r, src, "read host", d);
	done(s);
	return rc;
}

static int sq_host_add(struct reg *store, const struct reg_host *in, int64_t now,
		       struct reg_host *out, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	uint32_t uid_max, uid;
	int rc, src;
	sqlite3_stmt *s;

	rc = get_setting_u32(r, "uid_max", &uid_max, d);
	if (rc == 0)
		rc = get_setting_u32(r, "next_uid", &uid, d);
	if (rc < 0)
		return rc;
	if (uid > uid_max || uid == 0)
		return diag_set(d, RJH_EEXIST, "the uid range is exhausted (next uid %u, max %u)",
				uid, uid_max);
	s = stmt(r, Q_HOST_ADD, d, &rc);
	if (!s)
		return rc;
	bind_text(r, s, ":name", in->name);
	bind_int(r, s, ":uid", uid);
	bind_int(r, s, ":now", now);
	bind_policy(r, s, in);
	src = step(r, s);
	done(s);
	if (src == SQLITE_CONSTRAINT_UNIQUE || src == SQLITE_CONSTRAINT_PRIMARYKEY)
		return diag_set(d, RJH_EEXIST, "host %s is already enrolled", in->name);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "add host", d);
	/* next_uid only grows: uid_max + 1 marks the range as used up. */
	rc = set_setting_u32(r, "next_uid", uid + 1, d);
	if (rc < 0)
		return rc;
	if (out) {
		*out = *in;
		out->id = sqlite3_last_insert_rowid(r->db);
		out->uid = uid;
		out->disabled = false;
		out->created = out->updated = now;
		out->nkeys = 0;
	}
	return RJH_OK;
}

static int sq_host_set_disabled(struct reg *store, int64_t host_id, bool disabled, int64_t now,
				struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_HOST_STATE, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, ":id", host_id);
	bind_text(r, s, ":state", disabled ? "disabled" : "active");
	bind_int(r, s, ":now", now);
	src = step(r, s);
	done(s);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "update host", d);
}

static int sq_host_remove(struct reg *store, const struct reg_host *h, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src, grants;
	sqlite3_stmt *s = stmt(r, Q_GRANT_DEL_EXACT, d, &rc);

	if (!s)
		return rc;
	/* A grant naming exactly this host must not carry over to a future namesake. */
	bind_text(r, s, "?1", h->name);
	src = step(r, s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "remove grants", d);
	grants = sqlite3_changes(r->db);
	/* Nor may its certificates: a name enrolled again starts with none. */
	s = stmt(r, Q_CERTS_REVOKE_HOST, d, &rc);
	if (!s)
		return rc;
	bind_text(r, s, "?1", h->name);
	src = step(r, s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "revoke the host's certificates", d);
	s = stmt(r, Q_HOST_DEL, d, &rc);
	if (!s)
		return rc;
	bind_int(r, s, "?1", h->id);
	src = step(r, s);
	done(s);
	return src == SQLITE_DONE ? grants : reg_fail(r, src, "remove host", d);
}

/* Each walk below: the caller's callback and its context, for its row function. */
struct host_walk {
	reg_host_cb cb;
	void *ctx;
};

static int host_row(sqlite3_stmt *s, void *p)
{
	const struct host_walk *w = p;
	struct reg_host h;

	row_host_nkeys(s, &h);
	return w->cb(&h, w->ctx);
}

static int sq_hosts_each(struct reg *store, reg_host_cb cb, void *ctx, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	struct host_walk w = {cb, ctx};
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_HOST_ALL, d, &rc);

	return s ? each_row(r, s, host_row, &w, "list hosts", d) : rc;
}

static int64_t sq_count(struct reg *store, const char *table)
{
	struct sqlite_reg *r = sq(store);
	static const char *const ok[] = {"hosts",  "keys",      "grants", "sessions",
					 "events", "host_keys", "outbox"};
	char sql[64];
	sqlite3_stmt *s = NULL;
	int64_t n = -1;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]) && strcmp(ok[i], table); i++)
		;
	if (i == sizeof(ok) / sizeof(ok[0]))
		return -1;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", ok[i]);
	if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static int sq_key_add(struct reg *store, int64_t host_id, const struct key *k, const char *comment,
		      int64_t expires, int64_t now, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_KEY_ADD, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, ":host_id", host_id);
	bind_text(r, s, ":algorithm", k->type);
	bind_text(r, s, ":blob", k->b64);
	bind_text(r, s, ":fp", k->fp);
	bind_text(r, s, ":comment", comment ? comment : k->comment);
	bind_int(r, s, ":now", now);
	if (expires)
		bind_int(r, s, ":expires", expires);
	src = step(r, s);
	done(s);
	if (src == SQLITE_CONSTRAINT_UNIQUE) {
		char owner[NAME_HOST_SIZE] = "";

		s = stmt(r, Q_KEY_OWNER, d, &rc);
		if (s) {
			bind_text(r, s, "?1", k->fp);
			if (step(r, s) == SQLITE_ROW)
				copy_col(owner, sizeof(owner), s, 0);
			done(s);
		}
		return diag_set(d, RJH_EEXIST, "key %s is already enrolled for host %s", k->fp,
				owner);
	}
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "add key", d);
}

static void row_key(sqlite3_stmt *s, struct reg_key *k)
{
	memset(k, 0, sizeof(*k));
	k->id = sqlite3_column_int64(s, 0);
	k->host_id = sqlite3_column_int64(s, 1);
	copy_col(k->host, sizeof(k->host), s, 2);
	copy_col(k->type, sizeof(k->type), s, 3);
	copy_col(k->b64, sizeof(k->b64), s, 4);
	copy_col(k->fp, sizeof(k->fp), s, 5);
	copy_col(k->comment, sizeof(k->comment), s, 6);
	k->created = sqlite3_column_int64(s, 7);
	k->expires = sqlite3_column_int64(s, 8);
	k->revoked = sqlite3_column_int64(s, 9);
}

static int sq_key_find(struct reg *store, const char *fp, struct reg_key *out, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_KEY_FIND, d, &rc);

	if (!s)
		return rc;
	bind_text(r, s, "?1", fp);
	src = step(r, s);
	if (src == SQLITE_ROW)
		row_key(s, out);
	else if (src == SQLITE_DONE)
		rc = diag_set(d, RJH_ENOENT, "key %s is not enrolled", fp);
	else
		rc = reg_fail(r, src, "find key", d);
	done(s);
	return rc;
}

static int sq_key_revoke(struct reg *store, int64_t key_id, int64_t now, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_KEY_REVOKE, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, "?1", key_id);
	bind_int(r, s, "?2", now);
	src = step(r, s);
	done(s);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "revoke key", d);
}

struct key_walk {
	reg_key_cb cb;
	void *ctx;
	struct reg_key k; /* 8 KiB: the walk is on the heap */
};

static int key_row(sqlite3_stmt *s, void *p)
{
	struct key_walk *w = p;

	row_key(s, &w->k);
	return w->cb(&w->k, w->ctx);
}

static int sq_keys_each(struct reg *store, int64_t host_id, reg_key_cb cb, void *ctx,
			struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	struct key_walk *w;
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, host_id ? Q_KEYS_HOST : Q_KEYS_ALL, d, &rc);

	if (!s)
		return rc;
	w = malloc(sizeof(*w));
	if (!w) {
		done(s);
		return diag_set(d, RJH_ENOMEM, "out of memory");
	}
	w->cb = cb;
	w->ctx = ctx;
	if (host_id)
		bind_int(r, s, "?1", host_id);
	rc = each_row(r, s, key_row, w, "list keys", d);
	free(w);
	return rc;
}

static int sq_grant_add(struct reg *store, const char *principal, const char *pattern, int64_t now,
			struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_GRANT_ADD, d, &rc);

	if (!s)
		return rc;
	bind_text(r, s, "?1", principal);
	bind_text(r, s, "?2", pattern);
	bind_int(r, s, "?3", now);
	src = step(r, s);
	done(s);
	if (src == SQLITE_CONSTRAINT_UNIQUE)
		return diag_set(d, RJH_EEXIST, "%s already has a grant on %s", principal, pattern);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "add grant", d);
}

static int sq_grant_del(struct reg *store, const char *principal, const char *pattern,
			struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_GRANT_DEL, d, &rc);

	if (!s)
		return rc;
	bind_text(r, s, "?1", principal);
	bind_text(r, s, "?2", pattern);
	src = step(r, s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "remove grant", d);
	if (sqlite3_changes(r->db) == 0)
		return diag_set(d, RJH_ENOENT, "%s has no grant on %s", principal, pattern);
	return RJH_OK;
}

struct grant_walk {
	reg_grant_cb cb;
	void *ctx;
};

static int grant_row(sqlite3_stmt *s, void *p)
{
	const struct grant_walk *w = p;
	struct reg_grant g;

	copy_col(g.principal, sizeof(g.principal), s, 0);
	copy_col(g.pattern, sizeof(g.pattern), s, 1);
	g.created = sqlite3_column_int64(s, 2);
	return w->cb(&g, w->ctx);
}

static int sq_grants_each(struct reg *store, reg_grant_cb cb, void *ctx, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	struct grant_walk w = {cb, ctx};
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_GRANTS, d, &rc);

	return s ? each_row(r, s, grant_row, &w, "list grants", d) : rc;
}

static int sq_host_key_add(struct reg *store, int64_t host_id, const struct key *k, int64_t now,
			   struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	char owner[NAME_HOST_SIZE] = "";
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_HOST_KEY_ADD, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, ":host_id", host_id);
	bind_text(r, s, ":algorithm", k->type);
	bind_text(r, s, ":blob", k->b64);
	bind_text(r, s, ":fp", k->fp);
	bind_int(r, s, ":now", now);
	src = step(r, s);
	done(s);
	if (src != SQLITE_CONSTRAINT_UNIQUE)
		return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "add host key", d);
	/* Two UNIQUE constraints: the fingerprint anywhere, or the algorithm on this host. */
	s = stmt(r, Q_HOST_KEY_OWNER, d, &rc);
	if (!s)
		return rc;
	bind_text(r, s, "?1", k->fp);
	if (step(r, s) == SQLITE_ROW)
		copy_col(owner, sizeof(owner), s, 0);
	done(s);
	if (owner[0])
		return diag_set(d, RJH_EEXIST, "host key %s is already recorded for host %s", k->fp,
				owner);
	return diag_set(d, RJH_EEXIST, "the host has a %s host key already", k->type);
}

static int sq_host_keys_clear(struct reg *store, int64_t host_id, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_HOST_KEYS_CLEAR, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, "?1", host_id);
	src = step(r, s);
	done(s);
	return src == SQLITE_DONE ? sqlite3_changes(r->db)
				  : reg_fail(r, src, "remove host keys", d);
}

static void row_host_key(sqlite3_stmt *s, struct reg_host_key *k)
{
	memset(k, 0, sizeof(*k));
	k->id = sqlite3_column_int64(s, 0);
	k->host_id = sqlite3_column_int64(s, 1);
	copy_col(k->host, sizeof(k->host), s, 2);
	copy_col(k->type, sizeof(k->type), s, 3);
	copy_col(k->b64, sizeof(k->b64), s, 4);
	copy_col(k->fp, sizeof(k->fp), s, 5);
	k->created = sqlite3_column_int64(s, 6);
}

/* Steps s (bound by the caller) and calls cb for each host key row. */
struct host_key_walk {
	reg_host_key_cb cb;
	void *ctx;
	struct reg_host_key k; /* 8 KiB: the walk is on the heap */
};

static int host_key_row(sqlite3_stmt *s, void *p)
{
	struct host_key_walk *w = p;

	row_host_key(s, &w->k);
	return w->cb(&w->k, w->ctx);
}

/* Walks s's host key rows (s bound by the caller). */
static int host_keys_walk(struct sqlite_reg *r, sqlite3_stmt *s, reg_host_key_cb cb, void *ctx,
			  struct rjh_diag *d)
{
	struct host_key_walk *w = malloc(sizeof(*w));
	int rc;

	if (!w) {
		done(s);
		return diag_set(d, RJH_ENOMEM, "out of memory");
	}
	w->cb = cb;
	w->ctx = ctx;
	rc = each_row(r, s, host_key_row, w, "list host keys", d);
	free(w);
	return rc;
}

static int sq_host_keys_each(struct reg *store, int64_t host_id, reg_host_key_cb cb, void *ctx,
			     struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, host_id ? Q_HOST_KEYS_HOST : Q_HOST_KEYS_ALL, d, &rc);

	if (!s)
		return rc;
	if (host_id)
		bind_int(r, s, "?1", host_id);
	return host_keys_walk(r, s, cb, ctx, d);
}

static int sq_known_hosts_each(struct reg *store, int64_t now, reg_host_key_cb cb, void *ctx,
			       int64_t *missing_out, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_KNOWN_HOSTS_MISSING, d, &rc);

	*missing_out = 0;
	if (!s)
		return rc;
	bind_int(r, s, "?1", now);
	src = step(r, s);
	if (src == SQLITE_ROW)
		*missing_out = sqlite3_column_int64(s, 0);
	done(s);
	if (src != SQLITE_ROW)
		return reg_fail(r, src, "count hosts without host keys", d);
	s = stmt(r, Q_KNOWN_HOSTS, d, &rc);
	if (!s)
		return rc;
	bind_int(r, s, "?1", now);
	return host_keys_walk(r, s, cb, ctx, d);
}

/* Reads the SESSION_COLS that start at column c0. */
static void row_session(sqlite3_stmt *s, int c0, struct reg_session *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(s, c0);
	copy_col(out->host, sizeof(out->host), s, c0 + 1);
	out->uid = (uint32_t)sqlite3_column_int64(s, c0 + 2);
	copy_col(out->fp, sizeof(out->fp), s, c0 + 3);
	copy_col(out->source, sizeof(out->source), s, c0 + 4);
	out->pid = sqlite3_column_int64(s, c0 + 5);
	out->pid_start = sqlite3_column_int64(s, c0 + 6);
	out->started = sqlite3_column_int64(s, c0 + 7);
	out->ended = sqlite3_column_int64(s, c0 + 8);
	copy_col(out->end_reason, sizeof(out->end_reason), s, c0 + 9);
	copy_col(out->cert, sizeof(out->cert), s, c0 + 10);
}

/* Steps s (bound by the caller) and calls cb for each session row. */
struct session_walk {
	reg_session_cb cb;
	void *ctx;
};

static int session_row(sqlite3_stmt *s, void *p)
{
	const struct session_walk *w = p;
	struct reg_session se;

	row_session(s, 0, &se);
	return w->cb(&se, w->ctx);
}

/* Walks s's session rows (s bound by the caller). */
static int sessions_walk(struct sqlite_reg *r, sqlite3_stmt *s, reg_session_cb cb, void *ctx,
			 struct rjh_diag *d)
{
	struct session_walk w = {cb, ctx};

	return each_row(r, s, session_row, &w, "list sessions", d);
}

static int sq_sessions_host_each(struct reg *store, const char *host, bool open_only, int limit,
				 reg_session_cb cb, void *ctx, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, open_only ? Q_SESSIONS_OPEN : Q_SESSIONS_HOST, d, &rc);

	if (!s)
		return rc;
	bind_text(r, s, "?1", host);
	if (!open_only)
		bind_int(r, s, "?2", limit > 0 ? limit : -1);
	return sessions_walk(r, s, cb, ctx, d);
}

static int sq_session_open(struct reg *store, const struct reg_session *se, int64_t *id_out,
			   struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_SESSION_OPEN, d, &rc);

	*id_out = 0;
	if (!s)
		return rc;
	bind_text(r, s, ":host", se->host);
	bind_int(r, s, ":uid", se->uid);
	if (se->fp[0])
		bind_text(r, s, ":fp", se->fp);
	if (se->source[0])
		bind_text(r, s, ":source", se->source);
	bind_int(r, s, ":pid", se->pid);
	if (se->pid_start)
		bind_int(r, s, ":pid_start", se->pid_start);
	bind_int(r, s, ":started", se->started);
	if (se->cert[0])
		bind_text(r, s, ":cert", se->cert);
	src = step(r, s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "record presence", d);
	*id_out = sqlite3_last_insert_rowid(r->db);
	return RJH_OK;
}

static int sq_session_end(struct reg *store, int64_t id, const char *host, int64_t pid, int64_t now,
			  const char *reason, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, id ? Q_SESSION_END : Q_SESSION_END_PID, d, &rc);

	if (!s)
		return rc;
	if (id) {
		bind_int(r, s, ":id", id);
		bind_int(r, s, ":now", now);
		bind_text(r, s, ":reason", reason);
	} else {
		bind_text(r, s, ":host", host);
		bind_int(r, s, ":pid", pid);
		bind_int(r, s, ":now", now);
		bind_text(r, s, ":reason", reason);
	}
	src = step(r, s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "end presence", d);
	return sqlite3_changes(r->db) > 0 ? RJH_OK : RJH_ENOENT;
}

static int sq_sessions_each(struct reg *store, reg_session_cb cb, void *ctx, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_SESSIONS, d, &rc);

	if (!s)
		return rc;
	return sessions_walk(r, s, cb, ctx, d);
}

static int sq_session_last(struct reg *store, const char *host, struct reg_session *out,
			   struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_SESSION_LAST, d, &rc);

	if (!s)
		return rc;
	bind_text(r, s, "?1", host);
	src = step(r, s);
	if (src == SQLITE_ROW) {
		row_session(s, 0, out);
	} else if (src == SQLITE_DONE) {
		rc = RJH_ENOENT;
	} else {
		rc = reg_fail(r, src, "read sessions", d);
	}
	done(s);
	return rc;
}

struct presence_walk {
	reg_presence_cb cb;
	void *ctx;
};

static int presence_row(sqlite3_stmt *s, void *p)
{
	const struct presence_walk *w = p;
	bool have = sqlite3_column_type(s, HOST_NCOLS + 1) != SQLITE_NULL;
	struct reg_session se;
	struct reg_host h;

	row_host_nkeys(s, &h);
	if (have)
		row_session(s, HOST_NCOLS + 1, &se);
	return w->cb(&h, have ? &se : NULL, w->ctx);
}

static int sq_presence_each(struct reg *store, reg_presence_cb cb, void *ctx, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	struct presence_walk w = {cb, ctx};
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_PRESENCE, d, &rc);

	return s ? each_row(r, s, presence_row, &w, "list presence", d) : rc;
}

static int64_t sq_changes(struct reg *store)
{
	struct sqlite_reg *r = sq(store);
	return sqlite3_changes64(r->db);
}

static int sq_event_add(struct reg *store, const struct reg_event *e, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_EVENT_ADD, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, ":time", e->time);
	bind_text(r, s, ":type", e->type);
	bind_text(r, s, ":op", e->op);
	bind_int(r, s, ":actor_uid", e->actor_uid);
	if (e->actor_auid != (uint32_t)-1)
		bind_int(r, s, ":actor_auid", e->actor_auid);
	if (e->host)
		bind_text(r, s, ":host", e->host);
	if (e->fp)
		bind_text(r, s, ":fp", e->fp);
	bind_text(r, s, ":result", e->success ? "success" : "failed");
	if (e->detail)
		bind_text(r, s, ":detail", e->detail);
	if (e->origin)
		bind_text(r, s, ":origin", e->origin);
	src = step(r, s);
	done(s);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "record event", d);
}

static const char *col_or_null(sqlite3_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s, col);
}

/* Reads the EVENT_COLS of the current row; the strings live until the next step. */
static void row_event(sqlite3_stmt *s, int c0, struct reg_event *e)
{
	const char *result;

	e->time = sqlite3_column_int64(s, c0);
	e->type = col_or_null(s, c0 + 1);
	e->op = col_or_null(s, c0 + 2);
	e->actor_uid = (uint32_t)sqlite3_column_int64(s, c0 + 3);
	e->actor_auid = sqlite3_column_type(s, c0 + 4) == SQLITE_NULL
			    ? (uint32_t)-1
			    : (uint32_t)sqlite3_column_int64(s, c0 + 4);
	e->host = col_or_null(s, c0 + 5);
	e->fp = col_or_null(s, c0 + 6);
	result = col_or_null(s, c0 + 7);
	e->success = result && !strcmp(result, "success");
	e->detail = col_or_null(s, c0 + 8);
	e->origin = NULL;
}

/* Steps s (bound by the caller) and calls cb for each event row. */
struct event_walk {
	reg_event_cb cb;
	void *ctx;
};

static int event_row(sqlite3_stmt *s, void *p)
{
	const struct event_walk *w = p;
	struct reg_event e;

	row_event(s, 0, &e);
	return w->cb(&e, w->ctx);
}

/* Walks s's event rows (s bound by the caller). */
static int events_walk(struct sqlite_reg *r, sqlite3_stmt *s, reg_event_cb cb, void *ctx,
		       struct rjh_diag *d)
{
	struct event_walk w = {cb, ctx};

	return each_row(r, s, event_row, &w, "list events", d);
}

static int sq_events_each(struct reg *store, reg_event_cb cb, void *ctx, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_EVENTS, d, &rc);

	return s ? events_walk(r, s, cb, ctx, d) : rc;
}

static int sq_events_find(struct reg *store, const struct reg_event_filter *f, reg_event_cb cb,
			  void *ctx, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, f->host ? Q_EVENTS_HOST : Q_EVENTS_SINCE, d, &rc);

	if (!s)
		return rc;
	if (f->host)
		bind_text(r, s, ":host", f->host);
	if (f->uid >= 0)
		bind_int(r, s, ":uid", f->uid);
	bind_int(r, s, ":since", f->since);
	return events_walk(r, s, cb, ctx, d);
}

static int sq_policy_generation(struct reg *store, uint64_t *gen_out, uint64_t *floor_out,
				struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_POLICY_GEN, d, &rc);

	*gen_out = *floor_out = 0;
	if (!s)
		return rc;
	src = step(r, s);
	if (src == SQLITE_ROW) {
		*gen_out = (uint64_t)sqlite3_column_int64(s, 0);
		*floor_out = (uint64_t)sqlite3_column_int64(s, 1);
	} else {
		rc = reg_fail(r, src, "read the policy generation", d);
	}
	done(s);
	return rc;
}

struct change_walk {
	int (*cb)(const char *host, void *ctx);
	void *ctx;
};

static int change_row(sqlite3_stmt *s, void *p)
{
	const struct change_walk *w = p;

	return w->cb((const char *)sqlite3_column_text(s, 0), w->ctx);
}

static int sq_policy_changes(struct reg *store, uint64_t since,
			     int (*cb)(const char *host, void *ctx), void *ctx, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	struct change_walk w = {cb, ctx};
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_POLICY_CHANGES, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, "?1", (int64_t)since);
	return each_row(r, s, change_row, &w, "read the policy log", d);
}

static int sq_policy_log_prune(struct reg *store, uint64_t upto, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	uint64_t gen, floor;
	int rc = sq_policy_generation(&r->base, &gen, &floor, d), src;
	sqlite3_stmt *s;

	/* A snapshot ahead of the registry (restored from a backup) is rebuilt, not believed. */
	if (upto > gen)
		upto = gen;
	if (rc < 0 || upto <= floor)
		return rc;
	s = stmt(r, Q_POLICY_PRUNE, d, &rc);
	if (!s)
		return rc;
	bind_int(r, s, "?1", (int64_t)upto);
	src = step(r, s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "prune the policy log", d);
	return set_setting_u64(r, "policy_log_floor", upto, d);
}

/* Reads the LOGIN_COLS of the current row: the host, and its key unless the host has none. */
static bool row_login(sqlite3_stmt *s, struct reg_host *h, struct reg_key *k)
{
	const int c0 = HOST_NCOLS; /* the key's columns */

	row_host(s, h);
	if (sqlite3_column_type(s, c0) == SQLITE_NULL)
		return false;
	/* Field by field: a memset of the whole key (8 KiB) per row cost a rebuild 30%. */
	k->id = sqlite3_column_int64(s, c0);
	k->host_id = h->id;
	memcpy(k->host, h->name, sizeof(k->host));
	copy_col(k->type, sizeof(k->type), s, c0 + 1);
	copy_col(k->b64, sizeof(k->b64), s, c0 + 2);
	copy_col(k->fp, sizeof(k->fp), s, c0 + 3);
	k->created = sqlite3_column_int64(s, c0 + 4);
	k->expires = sqlite3_column_int64(s, c0 + 5);
	k->comment[0] = '\0';
	k->revoked = 0;
	return true;
}

struct login_walk {
	reg_login_cb cb;
	void *ctx;
	struct reg_key k; /* 8 KiB: the walk is on the heap */
};

static int login_row(sqlite3_stmt *s, void *p)
{
	struct login_walk *w = p;
	struct reg_host h;
	bool have_key = row_login(s, &h, &w->k);

	return w->cb(&h, have_key ? &w->k : NULL, w->ctx);
}

static int sq_login_rows(struct reg *store, const char *name, reg_login_cb cb, void *ctx,
			 struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	struct login_walk *w;
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, name ? Q_LOGIN_ONE : Q_LOGIN_ALL, d, &rc);

	if (!s)
		return rc;
	w = malloc(sizeof(*w));
	if (!w) {
		done(s);
		return diag_set(d, RJH_ENOMEM, "out of memory");
	}
	w->cb = cb;
	w->ctx = ctx;
	if (name)
		bind_text(r, s, "?1", name);
	rc = each_row(r, s, login_row, w, "read hosts and keys", d);
	free(w);
	return rc;
}

/* Runs prune statement id for cutoff before; sets *n_out to the rows it deleted. */
static int prune_one(struct sqlite_reg *r, enum q id, int64_t before, int64_t *n_out,
		     const char *what, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, id, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, "?1", before);
	src = step(r, s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, what, d);
	*n_out = sqlite3_changes64(r->db);
	return RJH_OK;
}

static int sq_prune(struct reg *store, int64_t before, int64_t *sessions_out, int64_t *events_out,
		    struct rjh_diag *d)
{
	char buf[64];
	bool cache;
	struct sqlite_reg *r = sq(store);
	int rc;

	*sessions_out = 0;
	*events_out = 0;
	/* Both deletes or neither: the caller commits or rolls back the two together. */
	if (sqlite3_get_autocommit(r->db))
		return diag_set(d, RJH_EINVAL, "prune needs a write transaction (reg_begin)");
	rc = find_setting(r, "cache_of", buf, sizeof(buf), d);
	if (rc < 0 && rc != RJH_ENOENT)
		return rc;
	cache = rc == 0;
	rc = prune_one(r, cache ? Q_PRUNE_SESSIONS_CACHE : Q_PRUNE_SESSIONS, before, sessions_out,
		       "prune sessions", d);
	if (rc == 0)
		rc = prune_one(r, cache ? Q_PRUNE_EVENTS_CACHE : Q_PRUNE_EVENTS, before, events_out,
			       "prune events", d);
	/* A spooled record from before the cutoff, drained later, must not bring its row back. */
	if (rc == 0)
		rc = set_setting_u64(r, "events_pruned_before", (uint64_t)(before > 0 ? before : 0),
				     d);
	return rc;
}

static int sq_events_pruned_before(struct reg *store, int64_t *before_out, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_SETTING_GET, d, &rc);

	*before_out = 0;
	if (!s)
		return rc;
	bind_text(r, s, "?1", "events_pruned_before");
	src = step(r, s);
	if (src == SQLITE_ROW)
		*before_out = sqlite3_column_int64(s, 0);
	else if (src != SQLITE_DONE) /* DONE: never pruned */
		rc = reg_fail(r, src, "read the prune cutoff", d);
	done(s);
	return rc;
}

/* The size of the registry file in bytes. */
static int file_size(struct sqlite_reg *r, int64_t *size_out, struct rjh_diag *d)
{
	struct stat st;

	if (stat(r->path, &st) < 0)
		return diag_set(d, RJH_ESYS, "%s: %s", r->path, strerror(errno));
	*size_out = (int64_t)st.st_size;
	return RJH_OK;
}

static int sq_vacuum(struct reg *store, int64_t *before_out, int64_t *after_out, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc;

	*before_out = 0;
	*after_out = 0;
	if (!sqlite3_get_autocommit(r->db))
		return diag_set(d, RJH_EINVAL, "VACUUM cannot run inside a transaction");
	rc = file_size(r, before_out, d);
	if (rc == 0)
		rc = exec(r, "VACUUM", "vacuum", d);
	if (rc == 0)
		rc = file_size(r, after_out, d);
	return rc;
}

/* How long a backup step that found the registry locked waits before the next. */
#define BACKUP_BUSY_SLEEP_MS 20

/* Steps src into dst until done (reg_backup). Returns 0 or an rjh code naming dest. */
static int backup_copy(struct sqlite_reg *r, struct sqlite_reg *dst, struct reg_backup_info *out,
		       struct rjh_diag *d)
{
	sqlite3_backup *b = sqlite3_backup_init(dst->db, "main", r->db, "main");
	int src = SQLITE_OK, waited = 0, copied = 0, step = REG_BACKUP_PAGES;

	if (!b)
		return reg_fail(dst, sqlite3_extended_errcode(dst->db), "backup", d);
	for (;;) {
		src = sqlite3_backup_step(b, step);
		if (src == SQLITE_DONE)
			break;
		if (src == SQLITE_OK) {
			int total = sqlite3_backup_pagecount(b);
			int now = total - sqlite3_backup_remaining(b);

			/* Progress went back or stood still: a writer committed, the copy
			 * restarted. */
			if (now <= copied && ++out->restarts >= REG_BACKUP_RESTARTS)
				step = -1;
			copied = now;
			continue;
		}
		if ((src & 0xff) != SQLITE_BUSY && (src & 0xff) != SQLITE_LOCKED)
			break;
		if (waited >= r->busy_ms)
			break;
		sqlite3_sleep(BACKUP_BUSY_SLEEP_MS);
		waited += BACKUP_BUSY_SLEEP_MS;
	}
	sqlite3_backup_finish(b);
	if (src == SQLITE_DONE)
		return RJH_OK;
	/* A lock is the registry's; anything else (full, I/O) happened writing the copy. */
	if ((src & 0xff) == SQLITE_BUSY || (src & 0xff) == SQLITE_LOCKED)
		return reg_fail(r, src, "backup", d);
	if ((src & 0xff) == SQLITE_FULL)
		return diag_set(d, RJH_ESYS, "%s: no space left on the file system", dst->path);
	if ((src & 0xff) == SQLITE_IOERR || (src & 0xff) == SQLITE_CANTOPEN ||
	    (src & 0xff) == SQLITE_READONLY)
		return diag_set(d, RJH_ESYS, "%s: cannot write the copy (%s)", dst->path,
				sqlite3_errstr(src));
	return reg_fail(r, src, "backup", d);
}

/* The copy passes integrity_check, is an rjh registry, and says what it holds. */
static int backup_check(struct sqlite_reg *dst, struct reg_backup_info *out, struct rjh_diag *d)
{
	sqlite3_stmt *s = NULL;
	int ids[2] = {0, 0}, src, rc;
	char first[256] = "";

	src = sqlite3_prepare_v2(dst->db, "PRAGMA integrity_check", -1, &s, NULL);
	if (src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
		copy_col(first, sizeof(first), s, 0);
		src = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (src != SQLITE_OK)
		return reg_fail(dst, src, "integrity_check", d);
	if (strcmp(first, "ok") != 0)
		return diag_set(d, RJH_EREGISTRY, "%s: the copy fails integrity_check: %s",
				dst->path, first);
	rc = read_ints(dst,
		       "SELECT (SELECT application_id FROM pragma_application_id), "
		       "(SELECT user_version FROM pragma_user_version)",
		       ids, 2, d);
	if (rc < 0)
		return rc;
	if (ids[0] != REG_APP_ID)
		return diag_set(d, RJH_EREGISTRY, "%s: the copy is not an rjh registry", dst->path);
	out->schema = ids[1];
	out->hosts = sq_count(&dst->base, "hosts");
	out->keys = sq_count(&dst->base, "keys");
	out->sessions = sq_count(&dst->base, "sessions");
	out->events = sq_count(&dst->base, "events");
	if (out->hosts < 0 || out->keys < 0 || out->sessions < 0 || out->events < 0)
		return diag_set(d, RJH_EREGISTRY, "%s: cannot count the copy's rows", dst->path);
	return RJH_OK;
}

static int sq_backup(struct reg *store, const char *dest, struct reg_backup_info *out,
		     struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	struct sqlite_reg dst = {.busy_ms = 0};
	int src, rc;

	memset(out, 0, sizeof(*out));
	if (strlen(dest) >= sizeof(dst.path))
		return diag_set(d, RJH_EINVAL, "backup path is too long");
	snprintf(dst.path, sizeof(dst.path), "%s", dest);
	/* NB. The caller made dest and holds no descriptor of it: closing one would drop our locks.
	 */
	src = sqlite3_open_v2(dest, &dst.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (src != SQLITE_OK) {
		rc = diag_set(d, RJH_ESYS, "%s: cannot open the copy (%s)", dest,
			      sqlite3_errstr(src));
		goto out;
	}
	sqlite3_extended_result_codes(dst.db, 1);
	/* No journal file beside the copy: a failed copy is removed whole anyway. */
	rc =
	    exec(&dst, "PRAGMA journal_mode = MEMORY; PRAGMA trusted_schema = OFF", "configure", d);
	if (rc < 0)
		goto out;
	/* Locked: sleep between steps here, rather than wait inside one for the whole timeout. */
	sqlite3_busy_timeout(r->db, 0);
	rc = backup_copy(r, &dst, out, d);
	sqlite3_busy_timeout(r->db, r->busy_ms);
	if (rc == 0)
		rc = backup_check(&dst, out, d);
out:
	sqlite3_close(dst.db);
	return rc;
}

static int sq_backup_add(struct reg *store, int64_t now, const char *path, int64_t bytes,
			 const struct reg_backup_info *info, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_BACKUP_ADD, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, ":time", now);
	bind_text(r, s, ":path", path);
	bind_int(r, s, ":bytes", bytes);
	bind_int(r, s, ":schema", info->schema);
	bind_int(r, s, ":hosts", info->hosts);
	bind_int(r, s, ":keys", info->keys);
	bind_int(r, s, ":sessions", info->sessions);
	bind_int(r, s, ":events", info->events);
	src = step(r, s);
	done(s);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "record the backup", d);
}

static int sq_host_set_policy(struct reg *store, const struct reg_host *h, int64_t now,
			      struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_HOST_POLICY, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, ":id", h->id);
	bind_policy(r, s, h);
	bind_int(r, s, ":now", now);
	src = step(r, s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "update host", d);
	return sqlite3_changes(r->db) == 1 ? RJH_OK : diag_set(d, RJH_ENOENT, "no such host");
}

static int sq_ident_generation(struct reg *store, uint64_t *gen_out, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	char gbuf[32];
	int rc = find_setting(r, "generation", gbuf, sizeof(gbuf), d);

	*gen_out = 0;
	if (rc == RJH_ENOENT)
		return RJH_OK;
	if (rc < 0)
		return rc;
	*gen_out = strtoull(gbuf, NULL, 10);
	return RJH_OK;
}

static int sq_ident_changed(struct reg *store, uint64_t *gen_out, struct rjh_diag *d)
{
	char gbuf[32];
	uint64_t gen;
	/* NB. never 1 after a generation it failed to read: the snapshots only go forward. */
	int rc = sq_ident_generation(store, &gen, d);

	if (rc < 0)
		return rc;
	snprintf(gbuf, sizeof(gbuf), "%llu", (unsigned long long)gen + 1);
	*gen_out = gen + 1;
	return set_setting(sq(store), "generation", gbuf, d);
}

struct ident_walk {
	reg_ident_cb cb;
	void *ctx;
};

static int ident_row(sqlite3_stmt *s, void *p)
{
	const struct ident_walk *w = p;
	char name[NAME_HOST_SIZE];

	copy_col(name, sizeof(name), s, 0);
	return w->cb(name, (uint32_t)sqlite3_column_int64(s, 1), w->ctx);
}

static int sq_idents_each(struct reg *store, reg_ident_cb cb, void *ctx, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	struct ident_walk w = {cb, ctx};
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_IDENTS, d, &rc);

	return s ? each_row(r, s, ident_row, &w, "read hosts", d) : rc;
}

/* ------------------------------------------------------------- the cache */

static int sq_cache_state(struct reg *store, struct reg_cache_state *out, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	char buf[64];
	int rc = find_setting(r, "cache_of", buf, sizeof(buf), d);

	memset(out, 0, sizeof(*out));
	if (rc == RJH_ENOENT)
		return RJH_OK;
	if (rc < 0)
		return rc;
	out->is_cache = true;
	rc = find_setting(r, "cache_id", out->id, sizeof(out->id), d);
	if (rc == 0)
		rc = find_setting(r, "store_generation", buf, sizeof(buf), d);
	if (rc == 0)
		out->generation = strtoull(buf, NULL, 10);
	return rc == RJH_ENOENT ? RJH_OK : rc;
}

static int sq_cache_stage(struct reg *store, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);

	/*
	 * Keyed as the real tables are, so that the install's joins are index
	 * probes: without, comparing 50,000 hosts took a minute.
	 */
	return exec(
	    r,
	    "PRAGMA temp_store = MEMORY;"
	    "CREATE TEMP TABLE IF NOT EXISTS s_hosts(id INTEGER PRIMARY KEY, name, uid, "
	    "state, created, updated" REG_HOST_POLICY(
		HOST_POLICY_NAME) ");"
				  "CREATE TEMP TABLE IF NOT EXISTS s_keys(id INTEGER PRIMARY KEY, "
				  "host_id, "
				  "algorithm, blob, fingerprint, comment, created, expires, "
				  "revoked);"
				  "CREATE TEMP TABLE IF NOT EXISTS s_host_keys(id INTEGER PRIMARY "
				  "KEY, host_id, "
				  "algorithm, blob, fingerprint, created);"
				  "CREATE TEMP TABLE IF NOT EXISTS s_grants(principal, pattern, "
				  "created, "
				  "PRIMARY KEY (principal, pattern));"
				  "CREATE TEMP TABLE IF NOT EXISTS s_user_cas(fingerprint PRIMARY "
				  "KEY, algorithm, blob, comment, own, added);"
				  "CREATE TEMP TABLE IF NOT EXISTS s_certs(" CERT_MIRROR_COLS
				  ", PRIMARY KEY (ca, serial));"
				  "DELETE FROM temp.s_hosts; DELETE FROM temp.s_keys;"
				  "DELETE FROM temp.s_host_keys; DELETE FROM temp.s_grants;"
				  "DELETE FROM temp.s_user_cas; DELETE FROM temp.s_certs;",
	    "stage the cache", d);
}

static int stage_done(struct sqlite_reg *r, sqlite3_stmt *s, struct rjh_diag *d)
{
	int src = step(r, s);

	done(s);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "stage the cache", d);
}

static int sq_cache_stage_host(struct reg *store, const struct reg_host *h, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_STAGE_HOST, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, ":id", h->id);
	bind_text(r, s, ":name", h->name);
	bind_int(r, s, ":uid", h->uid);
	bind_text(r, s, ":state", h->disabled ? "disabled" : "active");
	bind_int(r, s, ":created", h->created);
	bind_int(r, s, ":updated", h->updated);
	bind_policy(r, s, h);
	return stage_done(r, s, d);
}

static int sq_cache_stage_key(struct reg *store, const struct reg_key *k, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_STAGE_KEY, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, ":id", k->id);
	bind_int(r, s, ":host_id", k->host_id);
	bind_text(r, s, ":algorithm", k->type);
	bind_text(r, s, ":blob", k->b64);
	bind_text(r, s, ":fp", k->fp);
	bind_text(r, s, ":comment", k->comment);
	bind_int(r, s, ":created", k->created);
	if (k->expires)
		bind_int(r, s, ":expires", k->expires);
	if (k->revoked)
		bind_int(r, s, ":revoked", k->revoked);
	return stage_done(r, s, d);
}

static int sq_cache_stage_host_key(struct reg *store, const struct reg_host_key *k,
				   struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_STAGE_HOST_KEY, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, ":id", k->id);
	bind_int(r, s, ":host_id", k->host_id);
	bind_text(r, s, ":algorithm", k->type);
	bind_text(r, s, ":blob", k->b64);
	bind_text(r, s, ":fp", k->fp);
	bind_int(r, s, ":created", k->created);
	return stage_done(r, s, d);
}

static int sq_cache_stage_grant(struct reg *store, const struct reg_grant *g, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_STAGE_GRANT, d, &rc);

	if (!s)
		return rc;
	bind_text(r, s, ":principal", g->principal);
	bind_text(r, s, ":pattern", g->pattern);
	bind_int(r, s, ":created", g->created);
	return stage_done(r, s, d);
}

/*
 * Deletes first (a key that moved, a name enrolled again under a new id),
 * then inserts what is new and updates only what differs, so that the
 * policy_log triggers name exactly the hosts whose policy changed.
 */
static const char cache_apply_sql[] =
    /* Few rows, no one refers to them: replaced whole. */
    "DELETE FROM user_cas; INSERT INTO user_cas(" USER_CA_COLS ") SELECT " USER_CA_COLS
    " FROM temp.s_user_cas;"
    "DELETE FROM certs; INSERT INTO certs(" CERT_MIRROR_COLS ") SELECT " CERT_MIRROR_COLS
    " FROM temp.s_certs;"
    "DELETE FROM keys WHERE id NOT IN (SELECT id FROM temp.s_keys);"
    "DELETE FROM host_keys WHERE id NOT IN (SELECT id FROM temp.s_host_keys);"
    "DELETE FROM grants WHERE NOT EXISTS (SELECT 1 FROM temp.s_grants g WHERE "
    "g.principal = grants.principal AND g.pattern = grants.pattern);"
    "DELETE FROM hosts WHERE id NOT IN (SELECT id FROM temp.s_hosts);"
    "INSERT INTO hosts(" HOST_MIRROR_COLS ") SELECT " HOST_MIRROR_COLS " FROM temp.s_hosts "
    "WHERE true ON CONFLICT(id) DO UPDATE SET name = excluded.name, uid = excluded.uid, "
    "state = excluded.state, created = excluded.created, "
    "updated = excluded.updated" REG_HOST_POLICY(
	HOST_POLICY_EXCLUDED) " WHERE "
			      "hosts.name IS NOT excluded.name OR hosts.uid IS NOT excluded.uid OR "
			      "hosts.state IS NOT "
			      "excluded.state OR hosts.updated IS NOT "
			      "excluded.updated" REG_HOST_POLICY(
				  HOST_POLICY_DIFFERS) ";"
						       "INSERT INTO keys(" KEY_MIRROR_COLS
						       ") SELECT " KEY_MIRROR_COLS
						       " FROM temp.s_keys "
						       "WHERE true ON CONFLICT(id) DO UPDATE SET "
						       "host_id = excluded.host_id, "
						       "algorithm = excluded.algorithm, blob = "
						       "excluded.blob, fingerprint = "
						       "excluded.fingerprint, "
						       "comment = excluded.comment, created = "
						       "excluded.created, expires = "
						       "excluded.expires, "
						       "revoked = excluded.revoked WHERE "
						       "keys.host_id IS NOT excluded.host_id OR "
						       "keys.fingerprint IS NOT "
						       "excluded.fingerprint OR keys.comment IS "
						       "NOT excluded.comment OR "
						       "keys.expires IS NOT excluded.expires OR "
						       "keys.revoked IS NOT excluded.revoked;"
						       "INSERT INTO host_keys(" HOST_KEY_MIRROR_COLS
						       ") SELECT " HOST_KEY_MIRROR_COLS
						       " FROM temp.s_host_keys WHERE true ON "
						       "CONFLICT(id) DO UPDATE SET host_id = "
						       "excluded.host_id, "
						       "algorithm = excluded.algorithm, blob = "
						       "excluded.blob, fingerprint = "
						       "excluded.fingerprint "
						       "WHERE host_keys.fingerprint IS NOT "
						       "excluded.fingerprint OR host_keys.host_id "
						       "IS NOT "
						       "excluded.host_id;"
						       "INSERT INTO grants(principal, pattern, "
						       "created) SELECT principal, pattern, "
						       "created FROM "
						       "temp.s_grants WHERE true ON "
						       "CONFLICT(principal, pattern) DO NOTHING;";

static int sq_cache_install(struct reg *store, const struct reg_cache_install *in, bool *idents_out,
			    struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	struct reg_cache_state st;
	int idents = 0;
	int rc;

	*idents_out = false;
	if (!r->write_tx)
		return diag_set(d, RJH_EINVAL, "installing the cache needs a write transaction");
	rc = sq_cache_state(store, &st, d);
	if (rc < 0)
		return rc;
	if (in->generation < st.generation)
		return diag_set(d, RJH_EINVAL,
				"PostgreSQL's generation %llu is older than the cache's %llu: not "
				"installed",
				(unsigned long long)in->generation,
				(unsigned long long)st.generation);
	rc = read_ints(r,
		       "SELECT (SELECT count(*) FROM hosts h WHERE NOT EXISTS (SELECT 1 FROM "
		       "temp.s_hosts s WHERE s.id = h.id AND s.name = h.name AND s.uid = h.uid)) + "
		       "(SELECT count(*) FROM temp.s_hosts s WHERE NOT EXISTS (SELECT 1 FROM hosts "
		       "h WHERE h.id = s.id))",
		       &idents, 1, d);
	if (rc == 0)
		rc = exec(r, cache_apply_sql, "install the cache", d);
	if (rc == 0)
		rc = set_setting_u32(r, "uid_min", in->uid_min, d);
	if (rc == 0)
		rc = set_setting_u32(r, "uid_max", in->uid_max, d);
	if (rc == 0)
		rc = set_setting_u32(r, "next_uid", in->next_uid, d);
	if (rc == 0)
		rc = set_setting_u32(r, "host_gid", in->host_gid, d);
	if (rc == 0)
		rc = set_setting(r, "host_group", in->host_group, d);
	if (rc == 0)
		rc = set_setting_u64(r, "store_generation", in->generation, d);
	if (rc == 0 && !st.is_cache)
		rc = set_setting(r, "cache_id", in->id, d);
	if (rc == 0 && !st.is_cache)
		rc = set_setting(r, "cache_of", "postgresql", d);
	if (rc == 0)
		*idents_out = idents > 0;
	return rc;
}

struct outbox_walk {
	reg_outbox_cb cb;
	void *ctx;
};

static int outbox_row(sqlite3_stmt *s, void *p)
{
	const struct outbox_walk *w = p;
	const char *kind = col_or_null(s, 1);
	int64_t id = sqlite3_column_int64(s, 0), row = sqlite3_column_int64(s, 2);
	struct reg_session se;
	struct reg_event e;

	if (kind && !strcmp(kind, "session")) {
		if (sqlite3_column_type(s, OUTBOX_SESSION_COL) == SQLITE_NULL)
			return w->cb(id, NULL, NULL, row, w->ctx); /* pruned since */
		row_session(s, OUTBOX_SESSION_COL, &se);
		return w->cb(id, &se, NULL, row, w->ctx);
	}
	if (sqlite3_column_type(s, OUTBOX_EVENT_COL) == SQLITE_NULL)
		return w->cb(id, NULL, NULL, row, w->ctx);
	row_event(s, OUTBOX_EVENT_COL, &e);
	e.origin = col_or_null(s, OUTBOX_EVENT_COL + 9);
	return w->cb(id, NULL, &e, row, w->ctx);
}

static int sq_outbox_each(struct reg *store, int limit, reg_outbox_cb cb, void *ctx,
			  struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	struct outbox_walk w = {cb, ctx};
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_OUTBOX, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, "?1", limit);
	return each_row(r, s, outbox_row, &w, "read the outbox", d);
}

static int sq_outbox_ack(struct reg *store, int64_t upto, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_OUTBOX_ACK, d, &rc);

	if (!s)
		return rc;
	bind_int(r, s, "?1", upto);
	src = step(r, s);
	done(s);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "forget shipped rows", d);
}

/* ------------------------------------------------------------ certificates */

/* ?1..?6: USER_CA_COLS of ca. */
static void bind_user_ca(struct sqlite_reg *r, sqlite3_stmt *s, const struct reg_user_ca *ca)
{
	bind_text(r, s, "?1", ca->fp);
	bind_text(r, s, "?2", ca->type);
	bind_text(r, s, "?3", ca->b64);
	bind_text(r, s, "?4", ca->comment);
	bind_int(r, s, "?5", ca->own);
	bind_int(r, s, "?6", ca->added);
}

static int sq_user_ca_add(struct reg *store, const struct reg_user_ca *ca, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_USER_CA_ADD, d, &rc);

	if (!s)
		return rc;
	bind_user_ca(r, s, ca);
	src = step(r, s);
	done(s);
	if (src == SQLITE_CONSTRAINT_UNIQUE)
		return diag_set(d, RJH_EEXIST, "%s",
				ca->own ? "there is an own CA already"
					: "that key is a trusted CA already");
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "add a user CA", d);
}

static int sq_user_ca_remove(struct reg *store, const char *fp, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_USER_CA_DEL, d, &rc);

	if (!s)
		return rc;
	bind_text(r, s, "?1", fp);
	src = step(r, s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "remove a user CA", d);
	if (sqlite3_changes(r->db) == 0)
		return diag_set(d, RJH_ENOENT, "no trusted CA has fingerprint %s", fp);
	return RJH_OK;
}

struct user_ca_walk {
	reg_user_ca_cb cb;
	void *ctx;
};

static void row_user_ca(sqlite3_stmt *s, struct reg_user_ca *out)
{
	memset(out, 0, sizeof(*out));
	copy_col(out->fp, sizeof(out->fp), s, 0);
	copy_col(out->type, sizeof(out->type), s, 1);
	copy_col(out->b64, sizeof(out->b64), s, 2);
	copy_col(out->comment, sizeof(out->comment), s, 3);
	out->own = sqlite3_column_int64(s, 4) != 0;
	out->added = sqlite3_column_int64(s, 5);
}

static int user_ca_row(sqlite3_stmt *s, void *p)
{
	const struct user_ca_walk *w = p;
	struct reg_user_ca *ca = malloc(sizeof(*ca));
	int rc;

	if (!ca)
		return RJH_ENOMEM;
	row_user_ca(s, ca);
	rc = w->cb(ca, w->ctx);
	free(ca);
	return rc;
}

static int sq_user_cas_each(struct reg *store, reg_user_ca_cb cb, void *ctx, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	struct user_ca_walk w = {cb, ctx};
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_USER_CAS, d, &rc);

	return s ? each_row(r, s, user_ca_row, &w, "list user CAs", d) : rc;
}

static int sq_user_ca_get(struct reg *store, const char *fp, struct reg_user_ca *out,
			  struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_USER_CA_GET, d, &rc);

	if (!s)
		return rc;
	bind_text(r, s, "?1", fp);
	src = step(r, s);
	if (src == SQLITE_ROW)
		row_user_ca(s, out);
	done(s);
	if (src == SQLITE_DONE)
		return diag_set(d, RJH_ENOENT, "no trusted CA has fingerprint %s", fp);
	return src == SQLITE_ROW ? RJH_OK : reg_fail(r, src, "read a user CA", d);
}

static int sq_cert_next_serial(struct reg *store, const char *ca_fp, uint64_t *serial_out,
			       struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	int64_t last = 0;
	sqlite3_stmt *s = stmt(r, Q_CERT_NEXT, d, &rc);

	*serial_out = 0;
	if (!s)
		return rc;
	bind_text(r, s, "?1", ca_fp);
	src = step(r, s);
	if (src == SQLITE_ROW)
		last = sqlite3_column_int64(s, 0);
	done(s);
	if (src != SQLITE_ROW)
		return reg_fail(r, src, "count serials", d);
	if (last < 0 || last == INT64_MAX)
		return diag_set(d, RJH_EINVAL, "the CA's serials are used up");
	*serial_out = (uint64_t)last + 1;
	return RJH_OK;
}

static void bind_opt_text(struct sqlite_reg *r, sqlite3_stmt *s, const char *param, const char *v)
{
	if (v[0])
		bind_text(r, s, param, v);
}

static void bind_opt_int(struct sqlite_reg *r, sqlite3_stmt *s, const char *param, int64_t v)
{
	if (v)
		bind_int(r, s, param, v);
}

/* ?1..?9: CERT_MIRROR_COLS of c; 0 and "" are NULL. */
static void bind_cert(struct sqlite_reg *r, sqlite3_stmt *s, const struct reg_cert *c)
{
	bind_text(r, s, "?1", c->ca_fp);
	bind_int(r, s, "?2", (int64_t)c->serial);
	bind_text(r, s, "?3", c->host);
	bind_opt_text(r, s, "?4", c->key_fp);
	bind_opt_text(r, s, "?5", c->key_id);
	bind_opt_int(r, s, "?6", c->valid_after);
	bind_opt_int(r, s, "?7", c->valid_before);
	bind_opt_int(r, s, "?8", c->issued);
	bind_opt_int(r, s, "?9", c->revoked);
}

static int sq_cert_add(struct reg *store, const struct reg_cert *c, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_CERT_ADD, d, &rc);

	if (!s)
		return rc;
	bind_cert(r, s, c);
	src = step(r, s);
	done(s);
	if (src == SQLITE_CONSTRAINT_UNIQUE)
		return diag_set(d, RJH_EEXIST, "serial %llu of %s is on record already",
				(unsigned long long)c->serial, c->ca_fp);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "record a certificate", d);
}

struct cert_walk {
	reg_cert_cb cb;
	void *ctx;
};

static void row_cert(sqlite3_stmt *s, struct reg_cert *out)
{
	memset(out, 0, sizeof(*out));
	copy_col(out->ca_fp, sizeof(out->ca_fp), s, 0);
	out->serial = (uint64_t)sqlite3_column_int64(s, 1);
	copy_col(out->host, sizeof(out->host), s, 2);
	copy_col(out->key_fp, sizeof(out->key_fp), s, 3);
	copy_col(out->key_id, sizeof(out->key_id), s, 4);
	out->valid_after = sqlite3_column_int64(s, 5);
	out->valid_before = sqlite3_column_int64(s, 6);
	out->issued = sqlite3_column_int64(s, 7);
	out->revoked = sqlite3_column_int64(s, 8);
	out->host_disabled = sqlite3_column_int64(s, 9) != 0;
}

static int cert_row(sqlite3_stmt *s, void *p)
{
	const struct cert_walk *w = p;
	struct reg_cert c;

	row_cert(s, &c);
	return w->cb(&c, w->ctx);
}

static int sq_certs_each(struct reg *store, const char *host, reg_cert_cb cb, void *ctx,
			 struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	struct cert_walk w = {cb, ctx};
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_CERTS, d, &rc);

	if (!s)
		return rc;
	if (host)
		bind_text(r, s, "?1", host);
	return each_row(r, s, cert_row, &w, "list certificates", d);
}

static int sq_cert_get(struct reg *store, const char *ca_fp, uint64_t serial, struct reg_cert *out,
		       struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_CERT_GET, d, &rc);

	if (!s)
		return rc;
	bind_text(r, s, "?1", ca_fp);
	bind_int(r, s, "?2", (int64_t)serial);
	src = step(r, s);
	if (src == SQLITE_ROW)
		row_cert(s, out);
	done(s);
	if (src == SQLITE_DONE)
		return RJH_ENOENT;
	return src == SQLITE_ROW ? RJH_OK : reg_fail(r, src, "read a certificate", d);
}

static int sq_cert_revoke(struct reg *store, const char *ca_fp, uint64_t serial, const char *host,
			  int64_t now, struct reg_cert *out, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = sq_cert_get(store, ca_fp, serial, out, d), src;
	sqlite3_stmt *s;

	if (rc == RJH_ENOENT) {
		memset(out, 0, sizeof(*out));
		snprintf(out->ca_fp, sizeof(out->ca_fp), "%s", ca_fp);
		snprintf(out->host, sizeof(out->host), "%s", host);
		out->serial = serial;
		out->revoked = now;
		return sq_cert_add(store, out, d);
	}
	if (rc < 0)
		return rc;
	if (strcmp(out->host, host) != 0)
		return diag_set(d, RJH_EEXIST, "serial %llu of %s is %s's, not %s's",
				(unsigned long long)serial, ca_fp, out->host, host);
	if (out->revoked)
		return 1;
	s = stmt(r, Q_CERT_SET_REVOKED, d, &rc);
	if (!s)
		return rc;
	bind_text(r, s, "?1", ca_fp);
	bind_int(r, s, "?2", (int64_t)serial);
	bind_int(r, s, "?3", now);
	src = step(r, s);
	done(s);
	out->revoked = now;
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "revoke a certificate", d);
}

static int sq_cache_stage_user_ca(struct reg *store, const struct reg_user_ca *ca,
				  struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_STAGE_USER_CA, d, &rc);

	if (!s)
		return rc;
	bind_user_ca(r, s, ca);
	return stage_done(r, s, d);
}

static int sq_cache_stage_cert(struct reg *store, const struct reg_cert *c, struct rjh_diag *d)
{
	struct sqlite_reg *r = sq(store);
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_STAGE_CERT, d, &rc);

	if (!s)
		return rc;
	bind_cert(r, s, c);
	return stage_done(r, s, d);
}

const struct reg_ops reg_sqlite_ops = {
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .begin_read = sq_begin_read,
    .end_read = sq_end_read,
    .settings = sq_settings,
    .ident_changed = sq_ident_changed,
    .ident_generation = sq_ident_generation,
    .idents_each = sq_idents_each,
    .host_gid = sq_host_gid,
    .host_get = sq_host_get,
    .host_add = sq_host_add,
    .host_set_disabled = sq_host_set_disabled,
    .host_remove = sq_host_remove,
    .hosts_each = sq_hosts_each,
    .count = sq_count,
    .key_add = sq_key_add,
    .key_find = sq_key_find,
    .key_revoke = sq_key_revoke,
    .keys_each = sq_keys_each,
    .host_key_add = sq_host_key_add,
    .host_keys_clear = sq_host_keys_clear,
    .host_keys_each = sq_host_keys_each,
    .known_hosts_each = sq_known_hosts_each,
    .grant_add = sq_grant_add,
    .grant_del = sq_grant_del,
    .grants_each = sq_grants_each,
    .session_last = sq_session_last,
    .sessions_each = sq_sessions_each,
    .sessions_host_each = sq_sessions_host_each,
    .session_open = sq_session_open,
    .session_end = sq_session_end,
    .presence_each = sq_presence_each,
    .policy_generation = sq_policy_generation,
    .policy_changes = sq_policy_changes,
    .policy_log_prune = sq_policy_log_prune,
    .login_rows = sq_login_rows,
    .events_pruned_before = sq_events_pruned_before,
    .changes = sq_changes,
    .event_add = sq_event_add,
    .events_each = sq_events_each,
    .events_find = sq_events_find,
    .prune = sq_prune,
    .vacuum = sq_vacuum,
    .backup = sq_backup,
    .backup_add = sq_backup_add,
    .host_set_policy = sq_host_set_policy,
    .cache_state = sq_cache_state,
    .cache_stage = sq_cache_stage,
    .cache_stage_host = sq_cache_stage_host,
    .cache_stage_key = sq_cache_stage_key,
    .cache_stage_host_key = sq_cache_stage_host_key,
    .cache_stage_grant = sq_cache_stage_grant,
    .cache_stage_user_ca = sq_cache_stage_user_ca,
    .cache_stage_cert = sq_cache_stage_cert,
    .cache_install = sq_cache_install,
    .outbox_each = sq_outbox_each,
    .outbox_ack = sq_outbox_ack,
    .user_ca_add = sq_user_ca_add,
    .user_ca_remove = sq_user_ca_remove,
    .user_cas_each = sq_user_cas_each,
    .user_ca_get = sq_user_ca_get,
    .cert_next_serial = sq_cert_next_serial,
    .cert_add = sq_cert_add,
    .cert_revoke = sq_cert_revoke,
    .cert_get = sq_cert_get,
    .certs_each = sq_certs_each,
};
