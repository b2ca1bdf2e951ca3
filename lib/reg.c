#include "reg.h"

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
#include "snap.h"
#include "util.h"

/* The columns row_session reads, in its order. */
#define SESSION_COLS                                                                               \
	"id, host, uid, fingerprint, source_addr, sshd_pid, sshd_start, started, ended, "          \
	"end_reason"

/* The columns row_event reads, in its order. */
#define EVENT_COLS "time, type, op, actor_uid, actor_auid, host, fingerprint, result, detail"

/* The columns row_host_key reads, in its order, over host_keys hk JOIN hosts h. */
#define HOST_KEY_COLS "hk.id, hk.host_id, h.name, hk.algorithm, hk.blob, hk.fingerprint, hk.created"

/* Every statement rjh runs, prepared once per connection. */
enum q {
	Q_SETTING_GET,
	Q_SETTING_PUT,
	Q_HOST_GET,
	Q_HOST_ADD,
	Q_HOST_STATE,
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
	Q_BACKUP_ADD,
	Q_COUNT_
};

/* The columns row_login reads, in its order: a host, and one of its keys not revoked or NULLs. */
#define LOGIN_COLS                                                                                 \
	"h.id, h.name, h.uid, h.state, h.created, h.updated, h.source_cidrs, h.expires, k.id, "    \
	"k.algorithm, k.blob, k.fingerprint, k.created, k.expires FROM hosts h LEFT JOIN keys k "  \
	"ON k.host_id = h.id AND k.revoked IS NULL"

static const char *const q_sql[Q_COUNT_] = {
    [Q_SETTING_GET] = "SELECT value FROM settings WHERE name = ?1",
    [Q_SETTING_PUT] = "INSERT INTO settings(name, value) VALUES (?1, ?2) "
		      "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
    [Q_HOST_GET] = "SELECT id, name, uid, state, created, updated, source_cidrs, expires, "
		   "(SELECT count(*) FROM keys k WHERE k.host_id = hosts.id AND "
		   "k.revoked IS NULL) FROM hosts WHERE name = ?1",
    [Q_HOST_ADD] = "INSERT INTO hosts(name, uid, state, created, updated, source_cidrs, "
		   "expires) VALUES (?1, ?2, 'active', ?3, ?3, ?4, ?5)",
    [Q_HOST_STATE] = "UPDATE hosts SET state = ?2, updated = ?3 WHERE id = ?1",
    [Q_HOST_DEL] = "DELETE FROM hosts WHERE id = ?1",
    [Q_HOST_ALL] = "SELECT id, name, uid, state, created, updated, source_cidrs, expires, "
		   "(SELECT count(*) FROM keys k WHERE k.host_id = hosts.id AND "
		   "k.revoked IS NULL) FROM hosts ORDER BY name",
    [Q_GRANT_DEL_EXACT] = "DELETE FROM grants WHERE pattern = ?1",
    [Q_KEY_ADD] = "INSERT INTO keys(host_id, algorithm, blob, fingerprint, comment, created, "
		  "expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_KEY_OWNER] = "SELECT h.name FROM keys k JOIN hosts h ON h.id = k.host_id "
		    "WHERE k.fingerprint = ?1",
    [Q_KEY_FIND] = "SELECT k.id, k.host_id, h.name, k.algorithm, k.blob, k.fingerprint, "
		   "k.comment, k.created, k.expires, k.revoked FROM keys k "
		   "JOIN hosts h ON h.id = k.host_id WHERE k.fingerprint = ?1",
    [Q_KEY_REVOKE] = "UPDATE keys SET revoked = ?2 WHERE id = ?1",
    [Q_KEYS_HOST] = "SELECT k.id, k.host_id, h.name, k.algorithm, k.blob, k.fingerprint, "
		    "k.comment, k.created, k.expires, k.revoked FROM keys k "
		    "JOIN hosts h ON h.id = k.host_id WHERE k.host_id = ?1 ORDER BY k.id",
    [Q_KEYS_ALL] = "SELECT k.id, k.host_id, h.name, k.algorithm, k.blob, k.fingerprint, "
		   "k.comment, k.created, k.expires, k.revoked FROM keys k "
		   "JOIN hosts h ON h.id = k.host_id ORDER BY h.name, k.id",
    [Q_GRANT_ADD] = "INSERT INTO grants(principal, pattern, created) VALUES (?1, ?2, ?3)",
    [Q_GRANT_DEL] = "DELETE FROM grants WHERE principal = ?1 AND pattern = ?2",
    [Q_GRANTS] = "SELECT principal, pattern, created FROM grants ORDER BY principal, pattern",
    [Q_SESSION_LAST] = "SELECT " SESSION_COLS " FROM sessions WHERE host = ?1 "
		       "ORDER BY started DESC, id DESC LIMIT 1",
    [Q_IDENTS] = "SELECT name, uid FROM hosts ORDER BY name",
    [Q_SESSIONS] = "SELECT " SESSION_COLS " FROM sessions ORDER BY id",
    [Q_SESSIONS_HOST] = "SELECT " SESSION_COLS " FROM sessions WHERE host = ?1 "
			"ORDER BY started DESC, id DESC LIMIT ?2",
    [Q_SESSIONS_OPEN] = "SELECT " SESSION_COLS " FROM sessions WHERE host = ?1 AND ended IS NULL "
			"ORDER BY id",
    [Q_SESSION_OPEN] = "INSERT INTO sessions(host, uid, fingerprint, source_addr, sshd_pid, "
		       "sshd_start, started) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_SESSION_END] = "UPDATE sessions SET ended = ?2, end_reason = ?3 "
		      "WHERE id = ?1 AND ended IS NULL",
    [Q_SESSION_END_PID] = "UPDATE sessions SET ended = ?3, end_reason = ?4 "
			  "WHERE host = ?1 AND sshd_pid = ?2 AND ended IS NULL",
    /* Every host and its newest session: one index probe per host (sessions_host). */
    [Q_PRESENCE] = "SELECT h.id, h.name, h.uid, h.state, h.created, h.updated, h.source_cidrs, "
		   "h.expires, (SELECT count(*) FROM keys k WHERE k.host_id = h.id AND "
		   "k.revoked IS NULL), s.id, s.host, s.uid, s.fingerprint, s.source_addr, "
		   "s.sshd_pid, s.sshd_start, s.started, s.ended, s.end_reason FROM hosts h "
		   "LEFT JOIN sessions s ON s.id = coalesce((SELECT id FROM sessions WHERE "
		   "host = h.name AND ended IS NULL ORDER BY started DESC, id DESC LIMIT 1), "
		   "(SELECT id FROM sessions WHERE host = h.name ORDER BY started DESC, id DESC "
		   "LIMIT 1)) ORDER BY h.name",
    [Q_EVENTS] = "SELECT " EVENT_COLS " FROM events ORDER BY id",
    /* ?2 NULL: anyone. The index (host, time) or (time) already yields time, id order. */
    [Q_EVENTS_HOST] = "SELECT " EVENT_COLS " FROM events WHERE host = ?1 AND time >= ?3 "
		      "AND (?2 IS NULL OR actor_uid = ?2 OR actor_auid = ?2) ORDER BY time, id",
    [Q_EVENTS_SINCE] = "SELECT " EVENT_COLS " FROM events WHERE time >= ?3 "
		       "AND (?2 IS NULL OR actor_uid = ?2 OR actor_auid = ?2) ORDER BY time, id",
    [Q_HOST_KEY_ADD] = "INSERT INTO host_keys(host_id, algorithm, blob, fingerprint, created) "
		       "VALUES (?1, ?2, ?3, ?4, ?5)",
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
		    "fingerprint, result, detail, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
		    "?9, ?10) ON CONFLICT(origin) WHERE origin IS NOT NULL DO NOTHING",
    /* Ended rows only, through sessions_ended (schema 6); an open row is never pruned. */
    [Q_PRUNE_SESSIONS] = "DELETE FROM sessions WHERE ended IS NOT NULL AND ended < ?1",
    /* Through events_time (schema 3). */
    [Q_PRUNE_EVENTS] = "DELETE FROM events WHERE time < ?1",
    [Q_BACKUP_ADD] = "INSERT INTO backups(time, path, bytes, schema, hosts, keys, sessions, "
		     "events) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
};

struct reg {
	sqlite3 *db;
	char path[CFG_PATH_MAX];
	int busy_ms;
	int ver; /* user_version when opened (check_schema) */
	sqlite3_stmt *st[Q_COUNT_];
};

int reg_schema_version(void)
{
	return reg_migrations[reg_migrations_count - 1].version;
}

/* Turns an SQLite failure into an rjh code with a sentence naming the registry. */
static int reg_fail(struct reg *r, int src, const char *what, struct rjh_diag *d)
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

static sqlite3_stmt *stmt(struct reg *r, enum q id, struct rjh_diag *d, int *rc)
{
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

static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static int exec(struct reg *r, const char *sql, const char *what, struct rjh_diag *d)
{
	int src = sqlite3_exec(r->db, sql, NULL, NULL, NULL);

	return src == SQLITE_OK ? RJH_OK : reg_fail(r, src, what, d);
}

/* Reads the first n columns of sql's one row as ints into out[]. Returns 0 or an rjh code. */
static int read_ints(struct reg *r, const char *sql, int *out, int n, struct rjh_diag *d)
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

static int set_setting(struct reg *r, const char *name, const char *value, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_SETTING_PUT, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	done(s);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "write setting", d);
}

static int set_setting_u32(struct reg *r, const char *name, uint32_t v, struct rjh_diag *d)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	return set_setting(r, name, buf, d);
}

static int set_setting_u64(struct reg *r, const char *name, uint64_t v, struct rjh_diag *d)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return set_setting(r, name, buf, d);
}

/* Applies every migration above the registry's user_version, in one transaction. */
static int migrate(struct reg *r, const struct cfg *c, bool create, struct rjh_diag *d)
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
static int check_schema(struct reg *r, enum reg_mode mode, struct rjh_diag *d)
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
static int open_handle(const char *path, bool readonly, int busy_ms, struct reg **out,
		       struct rjh_diag *d)
{
	int flags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX, src;
	struct reg *r;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return diag_set(d, RJH_ENOMEM, "out of memory");
	*out = r;
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
	struct reg *r = NULL;
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
	reg_close(r);
	return rc;
}

int reg_open(const char *path, enum reg_mode mode, const struct cfg *c, int busy_ms,
	     struct reg **out, struct rjh_diag *d)
{
	struct reg *r = NULL;
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
	*out = r;
	return RJH_OK;
fail:
	reg_close(r);
	if (mode == REG_CREATE)
		unlink(path);
	return rc;
}

void reg_close(struct reg *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; i < Q_COUNT_; i++)
		sqlite3_finalize(r->st[i]);
	sqlite3_close(r->db);
	free(r);
}

int reg_begin(struct reg *r, struct rjh_diag *d)
{
	return exec(r, "BEGIN IMMEDIATE", "begin", d);
}

int reg_commit(struct reg *r, struct rjh_diag *d)
{
	int rc = exec(r, "COMMIT", "commit", d);

	if (rc < 0)
		reg_rollback(r);
	return rc;
}

void reg_rollback(struct reg *r)
{
	if (!sqlite3_get_autocommit(r->db))
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
}

int reg_begin_read(struct reg *r, struct rjh_diag *d)
{
	return exec(r, "BEGIN", "begin", d);
}

void reg_end_read(struct reg *r)
{
	reg_rollback(r);
}

static int get_setting(struct reg *r, const char *name, char *buf, size_t len, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_SETTING_GET, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
		rc = RJH_OK;
	} else if (src == SQLITE_DONE) {
		rc = diag_set(d, RJH_EREGISTRY, "%s: setting %s is missing", r->path, name);
	} else {
		rc = reg_fail(r, src, "read setting", d);
	}
	done(s);
	return rc;
}

static int get_setting_u32(struct reg *r, const char *name, uint32_t *v, struct rjh_diag *d)
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

int reg_settings(struct reg *r, uint32_t *uid_min, uint32_t *uid_max, uint32_t *next_uid,
		 char *group, size_t grouplen, uint32_t *gid, struct rjh_diag *d)
{
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

int reg_host_gid(struct reg *r, uint32_t *gid, struct rjh_diag *d)
{
	return get_setting_u32(r, "host_gid", gid, d);
}

static void copy_col(char *dst, size_t len, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

static void row_host(sqlite3_stmt *s, struct reg_host *h)
{
	memset(h, 0, sizeof(*h));
	h->id = sqlite3_column_int64(s, 0);
	copy_col(h->name, sizeof(h->name), s, 1);
	h->uid = (uint32_t)sqlite3_column_int64(s, 2);
	h->disabled = strcmp((const char *)sqlite3_column_text(s, 3), "active") != 0;
	h->created = sqlite3_column_int64(s, 4);
	h->updated = sqlite3_column_int64(s, 5);
	copy_col(h->cidrs, sizeof(h->cidrs), s, 6);
	h->expires = sqlite3_column_int64(s, 7);
	h->nkeys = sqlite3_column_int(s, 8);
}

int reg_host_get(struct reg *r, const char *name, struct reg_host *out, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_HOST_GET, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		row_host(s, out);
	else if (src == SQLITE_DONE)
		rc = diag_set(d, RJH_ENOENT, "host %s is not enrolled", name);
	else
		rc = reg_fail(r, src, "read host", d);
	done(s);
	return rc;
}

int reg_host_add(struct reg *r, const char *name, const char *cidrs, int64_t expires, int64_t now,
		 struct reg_host *out, struct rjh_diag *d)
{
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
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, uid);
	sqlite3_bind_int64(s, 3, now);
	if (cidrs && *cidrs)
		sqlite3_bind_text(s, 4, cidrs, -1, SQLITE_STATIC);
	if (expires)
		sqlite3_bind_int64(s, 5, expires);
	src = sqlite3_step(s);
	done(s);
	if (src == SQLITE_CONSTRAINT_UNIQUE || src == SQLITE_CONSTRAINT_PRIMARYKEY)
		return diag_set(d, RJH_EEXIST, "host %s is already enrolled", name);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "add host", d);
	/* next_uid only grows: uid_max + 1 marks the range as used up. */
	rc = set_setting_u32(r, "next_uid", uid + 1, d);
	if (rc < 0)
		return rc;
	if (out) {
		memset(out, 0, sizeof(*out));
		out->id = sqlite3_last_insert_rowid(r->db);
		snprintf(out->name, sizeof(out->name), "%s", name);
		out->uid = uid;
		out->created = out->updated = now;
		out->expires = expires;
		snprintf(out->cidrs, sizeof(out->cidrs), "%s", cidrs ? cidrs : "");
	}
	return RJH_OK;
}

int reg_host_set_disabled(struct reg *r, int64_t host_id, bool disabled, int64_t now,
			  struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_HOST_STATE, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, host_id);
	sqlite3_bind_text(s, 2, disabled ? "disabled" : "active", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	src = sqlite3_step(s);
	done(s);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "update host", d);
}

int reg_host_remove(struct reg *r, const struct reg_host *h, struct rjh_diag *d)
{
	int rc = RJH_OK, src, grants;
	sqlite3_stmt *s = stmt(r, Q_GRANT_DEL_EXACT, d, &rc);

	if (!s)
		return rc;
	/* A grant naming exactly this host must not carry over to a future namesake. */
	sqlite3_bind_text(s, 1, h->name, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "remove grants", d);
	grants = sqlite3_changes(r->db);
	s = stmt(r, Q_HOST_DEL, d, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, h->id);
	src = sqlite3_step(s);
	done(s);
	return src == SQLITE_DONE ? grants : reg_fail(r, src, "remove host", d);
}

int reg_hosts_each(struct reg *r, reg_host_cb cb, void *ctx, struct rjh_diag *d)
{
	struct reg_host h;
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_HOST_ALL, d, &rc);

	if (!s)
		return rc;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		row_host(s, &h);
		rc = cb(&h, ctx);
		if (rc < 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = reg_fail(r, src, "list hosts", d);
	done(s);
	return rc;
}

int64_t reg_count(struct reg *r, const char *table)
{
	static const char *const ok[] = {"hosts",    "keys",   "grants",
					 "sessions", "events", "host_keys"};
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

int reg_key_add(struct reg *r, int64_t host_id, const struct key *k, const char *comment,
		int64_t expires, int64_t now, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_KEY_ADD, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, host_id);
	sqlite3_bind_text(s, 2, k->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, k->b64, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, k->fp, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, comment ? comment : k->comment, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, now);
	if (expires)
		sqlite3_bind_int64(s, 7, expires);
	src = sqlite3_step(s);
	done(s);
	if (src == SQLITE_CONSTRAINT_UNIQUE) {
		char owner[NAME_HOST_SIZE] = "";

		s = stmt(r, Q_KEY_OWNER, d, &rc);
		if (s) {
			sqlite3_bind_text(s, 1, k->fp, -1, SQLITE_STATIC);
			if (sqlite3_step(s) == SQLITE_ROW)
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

int reg_key_find(struct reg *r, const char *fp, struct reg_key *out, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_KEY_FIND, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_text(s, 1, fp, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		row_key(s, out);
	else if (src == SQLITE_DONE)
		rc = diag_set(d, RJH_ENOENT, "key %s is not enrolled", fp);
	else
		rc = reg_fail(r, src, "find key", d);
	done(s);
	return rc;
}

int reg_key_revoke(struct reg *r, int64_t key_id, int64_t now, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_KEY_REVOKE, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, key_id);
	sqlite3_bind_int64(s, 2, now);
	src = sqlite3_step(s);
	done(s);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "revoke key", d);
}

int reg_keys_each(struct reg *r, int64_t host_id, reg_key_cb cb, void *ctx, struct rjh_diag *d)
{
	struct reg_key *k;
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, host_id ? Q_KEYS_HOST : Q_KEYS_ALL, d, &rc);

	if (!s)
		return rc;
	k = malloc(sizeof(*k));
	if (!k) {
		done(s);
		return diag_set(d, RJH_ENOMEM, "out of memory");
	}
	if (host_id)
		sqlite3_bind_int64(s, 1, host_id);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		row_key(s, k);
		rc = cb(k, ctx);
		if (rc < 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = reg_fail(r, src, "list keys", d);
	done(s);
	free(k);
	return rc;
}

int reg_grant_add(struct reg *r, const char *principal, const char *pattern, int64_t now,
		  struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_GRANT_ADD, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_text(s, 1, principal, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, pattern, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	src = sqlite3_step(s);
	done(s);
	if (src == SQLITE_CONSTRAINT_UNIQUE)
		return diag_set(d, RJH_EEXIST, "%s already has a grant on %s", principal, pattern);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "add grant", d);
}

int reg_grant_del(struct reg *r, const char *principal, const char *pattern, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_GRANT_DEL, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_text(s, 1, principal, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, pattern, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "remove grant", d);
	if (sqlite3_changes(r->db) == 0)
		return diag_set(d, RJH_ENOENT, "%s has no grant on %s", principal, pattern);
	return RJH_OK;
}

int reg_grants_each(struct reg *r, reg_grant_cb cb, void *ctx, struct rjh_diag *d)
{
	struct reg_grant g;
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_GRANTS, d, &rc);

	if (!s)
		return rc;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		copy_col(g.principal, sizeof(g.principal), s, 0);
		copy_col(g.pattern, sizeof(g.pattern), s, 1);
		g.created = sqlite3_column_int64(s, 2);
		rc = cb(&g, ctx);
		if (rc < 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = reg_fail(r, src, "list grants", d);
	done(s);
	return rc;
}

int reg_host_key_add(struct reg *r, int64_t host_id, const struct key *k, int64_t now,
		     struct rjh_diag *d)
{
	char owner[NAME_HOST_SIZE] = "";
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_HOST_KEY_ADD, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, host_id);
	sqlite3_bind_text(s, 2, k->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, k->b64, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, k->fp, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	src = sqlite3_step(s);
	done(s);
	if (src != SQLITE_CONSTRAINT_UNIQUE)
		return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "add host key", d);
	/* Two UNIQUE constraints: the fingerprint anywhere, or the algorithm on this host. */
	s = stmt(r, Q_HOST_KEY_OWNER, d, &rc);
	if (!s)
		return rc;
	sqlite3_bind_text(s, 1, k->fp, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		copy_col(owner, sizeof(owner), s, 0);
	done(s);
	if (owner[0])
		return diag_set(d, RJH_EEXIST, "host key %s is already recorded for host %s", k->fp,
				owner);
	return diag_set(d, RJH_EEXIST, "the host has a %s host key already", k->type);
}

int reg_host_keys_clear(struct reg *r, int64_t host_id, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_HOST_KEYS_CLEAR, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, host_id);
	src = sqlite3_step(s);
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
static int host_keys_walk(struct reg *r, sqlite3_stmt *s, reg_host_key_cb cb, void *ctx,
			  struct rjh_diag *d)
{
	struct reg_host_key *k = malloc(sizeof(*k));
	int rc = RJH_OK, src;

	if (!k) {
		done(s);
		return diag_set(d, RJH_ENOMEM, "out of memory");
	}
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		row_host_key(s, k);
		rc = cb(k, ctx);
		if (rc < 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = reg_fail(r, src, "list host keys", d);
	done(s);
	free(k);
	return rc;
}

int reg_host_keys_each(struct reg *r, int64_t host_id, reg_host_key_cb cb, void *ctx,
		       struct rjh_diag *d)
{
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, host_id ? Q_HOST_KEYS_HOST : Q_HOST_KEYS_ALL, d, &rc);

	if (!s)
		return rc;
	if (host_id)
		sqlite3_bind_int64(s, 1, host_id);
	return host_keys_walk(r, s, cb, ctx, d);
}

int reg_known_hosts_each(struct reg *r, int64_t now, reg_host_key_cb cb, void *ctx,
			 int64_t *missing_out, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_KNOWN_HOSTS_MISSING, d, &rc);

	*missing_out = 0;
	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, now);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		*missing_out = sqlite3_column_int64(s, 0);
	done(s);
	if (src != SQLITE_ROW)
		return reg_fail(r, src, "count hosts without host keys", d);
	s = stmt(r, Q_KNOWN_HOSTS, d, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, now);
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
}

/* Steps s (bound by the caller) and calls cb for each session row. */
static int sessions_walk(struct reg *r, sqlite3_stmt *s, reg_session_cb cb, void *ctx,
			 struct rjh_diag *d)
{
	struct reg_session se;
	int rc = RJH_OK, src;

	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		row_session(s, 0, &se);
		rc = cb(&se, ctx);
		if (rc < 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = reg_fail(r, src, "list sessions", d);
	done(s);
	return rc;
}

int reg_sessions_host_each(struct reg *r, const char *host, bool open_only, int limit,
			   reg_session_cb cb, void *ctx, struct rjh_diag *d)
{
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, open_only ? Q_SESSIONS_OPEN : Q_SESSIONS_HOST, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	if (!open_only)
		sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
	return sessions_walk(r, s, cb, ctx, d);
}

int reg_session_open(struct reg *r, const struct reg_session *se, int64_t *id_out,
		     struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_SESSION_OPEN, d, &rc);

	*id_out = 0;
	if (!s)
		return rc;
	sqlite3_bind_text(s, 1, se->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, se->uid);
	if (se->fp[0])
		sqlite3_bind_text(s, 3, se->fp, -1, SQLITE_STATIC);
	if (se->source[0])
		sqlite3_bind_text(s, 4, se->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, se->pid);
	if (se->pid_start)
		sqlite3_bind_int64(s, 6, se->pid_start);
	sqlite3_bind_int64(s, 7, se->started);
	src = sqlite3_step(s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "record presence", d);
	*id_out = sqlite3_last_insert_rowid(r->db);
	return RJH_OK;
}

int reg_session_end(struct reg *r, int64_t id, const char *host, int64_t pid, int64_t now,
		    const char *reason, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, id ? Q_SESSION_END : Q_SESSION_END_PID, d, &rc);

	if (!s)
		return rc;
	if (id) {
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, now);
		sqlite3_bind_text(s, 3, reason, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, pid);
		sqlite3_bind_int64(s, 3, now);
		sqlite3_bind_text(s, 4, reason, -1, SQLITE_STATIC);
	}
	src = sqlite3_step(s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "end presence", d);
	return sqlite3_changes(r->db) > 0 ? RJH_OK : RJH_ENOENT;
}

int reg_sessions_each(struct reg *r, reg_session_cb cb, void *ctx, struct rjh_diag *d)
{
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_SESSIONS, d, &rc);

	if (!s)
		return rc;
	return sessions_walk(r, s, cb, ctx, d);
}

int reg_session_last(struct reg *r, const char *host, struct reg_session *out, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_SESSION_LAST, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
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

int reg_presence_each(struct reg *r, reg_presence_cb cb, void *ctx, struct rjh_diag *d)
{
	struct reg_session se;
	struct reg_host h;
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_PRESENCE, d, &rc);

	if (!s)
		return rc;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		bool have = sqlite3_column_type(s, 9) != SQLITE_NULL;

		row_host(s, &h);
		if (have)
			row_session(s, 9, &se);
		rc = cb(&h, have ? &se : NULL, ctx);
		if (rc < 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = reg_fail(r, src, "list presence", d);
	done(s);
	return rc;
}

int64_t reg_changes(struct reg *r)
{
	return sqlite3_changes64(r->db);
}

int reg_event_add(struct reg *r, const struct reg_event *e, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_EVENT_ADD, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, e->time);
	sqlite3_bind_text(s, 2, e->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, e->op, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, e->actor_uid);
	if (e->actor_auid != (uint32_t)-1)
		sqlite3_bind_int64(s, 5, e->actor_auid);
	if (e->host)
		sqlite3_bind_text(s, 6, e->host, -1, SQLITE_STATIC);
	if (e->fp)
		sqlite3_bind_text(s, 7, e->fp, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, e->success ? "success" : "failed", -1, SQLITE_STATIC);
	if (e->detail)
		sqlite3_bind_text(s, 9, e->detail, -1, SQLITE_STATIC);
	if (e->origin)
		sqlite3_bind_text(s, 10, e->origin, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	done(s);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "record event", d);
}

static const char *col_or_null(sqlite3_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s, col);
}

/* Reads the EVENT_COLS of the current row; the strings live until the next step. */
static void row_event(sqlite3_stmt *s, struct reg_event *e)
{
	const char *result;

	e->time = sqlite3_column_int64(s, 0);
	e->type = col_or_null(s, 1);
	e->op = col_or_null(s, 2);
	e->actor_uid = (uint32_t)sqlite3_column_int64(s, 3);
	e->actor_auid = sqlite3_column_type(s, 4) == SQLITE_NULL
			    ? (uint32_t)-1
			    : (uint32_t)sqlite3_column_int64(s, 4);
	e->host = col_or_null(s, 5);
	e->fp = col_or_null(s, 6);
	result = col_or_null(s, 7);
	e->success = result && !strcmp(result, "success");
	e->detail = col_or_null(s, 8);
}

/* Steps s (bound by the caller) and calls cb for each event row. */
static int events_walk(struct reg *r, sqlite3_stmt *s, reg_event_cb cb, void *ctx,
		       struct rjh_diag *d)
{
	struct reg_event e;
	int rc = RJH_OK, src;

	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		row_event(s, &e);
		rc = cb(&e, ctx);
		if (rc < 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = reg_fail(r, src, "list events", d);
	done(s);
	return rc;
}

int reg_events_each(struct reg *r, reg_event_cb cb, void *ctx, struct rjh_diag *d)
{
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, Q_EVENTS, d, &rc);

	return s ? events_walk(r, s, cb, ctx, d) : rc;
}

int reg_events_find(struct reg *r, const struct reg_event_filter *f, reg_event_cb cb, void *ctx,
		    struct rjh_diag *d)
{
	int rc = RJH_OK;
	sqlite3_stmt *s = stmt(r, f->host ? Q_EVENTS_HOST : Q_EVENTS_SINCE, d, &rc);

	if (!s)
		return rc;
	if (f->host)
		sqlite3_bind_text(s, 1, f->host, -1, SQLITE_STATIC);
	if (f->uid >= 0)
		sqlite3_bind_int64(s, 2, f->uid);
	sqlite3_bind_int64(s, 3, f->since);
	return events_walk(r, s, cb, ctx, d);
}

int reg_policy_generation(struct reg *r, uint64_t *gen_out, uint64_t *floor_out, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_POLICY_GEN, d, &rc);

	*gen_out = *floor_out = 0;
	if (!s)
		return rc;
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		*gen_out = (uint64_t)sqlite3_column_int64(s, 0);
		*floor_out = (uint64_t)sqlite3_column_int64(s, 1);
	} else {
		rc = reg_fail(r, src, "read the policy generation", d);
	}
	done(s);
	return rc;
}

int reg_policy_changes(struct reg *r, uint64_t since, int (*cb)(const char *host, void *ctx),
		       void *ctx, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_POLICY_CHANGES, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, (int64_t)since);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = cb((const char *)sqlite3_column_text(s, 0), ctx);
		if (rc < 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = reg_fail(r, src, "read the policy log", d);
	done(s);
	return rc;
}

int reg_policy_log_prune(struct reg *r, uint64_t upto, struct rjh_diag *d)
{
	uint64_t gen, floor;
	int rc = reg_policy_generation(r, &gen, &floor, d), src;
	sqlite3_stmt *s;

	/* A snapshot ahead of the registry (restored from a backup) is rebuilt, not believed. */
	if (upto > gen)
		upto = gen;
	if (rc < 0 || upto <= floor)
		return rc;
	s = stmt(r, Q_POLICY_PRUNE, d, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, (int64_t)upto);
	src = sqlite3_step(s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "prune the policy log", d);
	return set_setting_u64(r, "policy_log_floor", upto, d);
}

/* Reads the LOGIN_COLS of the current row: the host, and its key unless the host has none. */
static bool row_login(sqlite3_stmt *s, struct reg_host *h, struct reg_key *k)
{
	memset(h, 0, sizeof(*h));
	h->id = sqlite3_column_int64(s, 0);
	copy_col(h->name, sizeof(h->name), s, 1);
	h->uid = (uint32_t)sqlite3_column_int64(s, 2);
	h->disabled = strcmp((const char *)sqlite3_column_text(s, 3), "active") != 0;
	h->created = sqlite3_column_int64(s, 4);
	h->updated = sqlite3_column_int64(s, 5);
	copy_col(h->cidrs, sizeof(h->cidrs), s, 6);
	h->expires = sqlite3_column_int64(s, 7);
	if (sqlite3_column_type(s, 8) == SQLITE_NULL)
		return false;
	/* Field by field: a memset of the whole key (8 KiB) per row cost a rebuild 30%. */
	k->id = sqlite3_column_int64(s, 8);
	k->host_id = h->id;
	memcpy(k->host, h->name, sizeof(k->host));
	copy_col(k->type, sizeof(k->type), s, 9);
	copy_col(k->b64, sizeof(k->b64), s, 10);
	copy_col(k->fp, sizeof(k->fp), s, 11);
	k->created = sqlite3_column_int64(s, 12);
	k->expires = sqlite3_column_int64(s, 13);
	k->comment[0] = '\0';
	k->revoked = 0;
	return true;
}

int reg_login_rows(struct reg *r, const char *name, reg_login_cb cb, void *ctx, struct rjh_diag *d)
{
	struct reg_host h;
	struct reg_key *k;
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, name ? Q_LOGIN_ONE : Q_LOGIN_ALL, d, &rc);

	if (!s)
		return rc;
	k = malloc(sizeof(*k));
	if (!k) {
		done(s);
		return diag_set(d, RJH_ENOMEM, "out of memory");
	}
	if (name)
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		bool have_key = row_login(s, &h, k);

		rc = cb(&h, have_key ? k : NULL, ctx);
		if (rc < 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = reg_fail(r, src, "read hosts and keys", d);
	done(s);
	free(k);
	return rc;
}

/* Runs prune statement id for cutoff before; sets *n_out to the rows it deleted. */
static int prune_one(struct reg *r, enum q id, int64_t before, int64_t *n_out, const char *what,
		     struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, id, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, before);
	src = sqlite3_step(s);
	done(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, what, d);
	*n_out = sqlite3_changes64(r->db);
	return RJH_OK;
}

int reg_prune(struct reg *r, int64_t before, int64_t *sessions_out, int64_t *events_out,
	      struct rjh_diag *d)
{
	int rc;

	*sessions_out = 0;
	*events_out = 0;
	/* Both deletes or neither: the caller commits or rolls back the two together. */
	if (sqlite3_get_autocommit(r->db))
		return diag_set(d, RJH_EINVAL, "prune needs a write transaction (reg_begin)");
	rc = prune_one(r, Q_PRUNE_SESSIONS, before, sessions_out, "prune sessions", d);
	if (rc == 0)
		rc = prune_one(r, Q_PRUNE_EVENTS, before, events_out, "prune events", d);
	/* A spooled record from before the cutoff, drained later, must not bring its row back. */
	if (rc == 0)
		rc = set_setting_u64(r, "events_pruned_before", (uint64_t)(before > 0 ? before : 0),
				     d);
	return rc;
}

int reg_events_pruned_before(struct reg *r, int64_t *before_out, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_SETTING_GET, d, &rc);

	*before_out = 0;
	if (!s)
		return rc;
	sqlite3_bind_text(s, 1, "events_pruned_before", -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		*before_out = sqlite3_column_int64(s, 0);
	else if (src != SQLITE_DONE) /* DONE: never pruned */
		rc = reg_fail(r, src, "read the prune cutoff", d);
	done(s);
	return rc;
}

/* The size of the registry file in bytes. */
static int file_size(struct reg *r, int64_t *size_out, struct rjh_diag *d)
{
	struct stat st;

	if (stat(r->path, &st) < 0)
		return diag_set(d, RJH_ESYS, "%s: %s", r->path, strerror(errno));
	*size_out = (int64_t)st.st_size;
	return RJH_OK;
}

int reg_vacuum(struct reg *r, int64_t *before_out, int64_t *after_out, struct rjh_diag *d)
{
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
static int backup_copy(struct reg *r, struct reg *dst, struct reg_backup_info *out,
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
static int backup_check(struct reg *dst, struct reg_backup_info *out, struct rjh_diag *d)
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
	out->hosts = reg_count(dst, "hosts");
	out->keys = reg_count(dst, "keys");
	out->sessions = reg_count(dst, "sessions");
	out->events = reg_count(dst, "events");
	if (out->hosts < 0 || out->keys < 0 || out->sessions < 0 || out->events < 0)
		return diag_set(d, RJH_EREGISTRY, "%s: cannot count the copy's rows", dst->path);
	return RJH_OK;
}

int reg_backup(struct reg *r, const char *dest, struct reg_backup_info *out, struct rjh_diag *d)
{
	struct reg dst = {.busy_ms = 0};
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

int reg_backup_add(struct reg *r, int64_t now, const char *path, int64_t bytes,
		   const struct reg_backup_info *info, struct rjh_diag *d)
{
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_BACKUP_ADD, d, &rc);

	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_text(s, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, bytes);
	sqlite3_bind_int(s, 4, info->schema);
	sqlite3_bind_int64(s, 5, info->hosts);
	sqlite3_bind_int64(s, 6, info->keys);
	sqlite3_bind_int64(s, 7, info->sessions);
	sqlite3_bind_int64(s, 8, info->events);
	src = sqlite3_step(s);
	done(s);
	return src == SQLITE_DONE ? RJH_OK : reg_fail(r, src, "record the backup", d);
}

/* Every host, sorted by name, into a new array. */
static int read_idents(struct reg *r, struct snap_host **out, size_t *n_out, struct rjh_diag *d)
{
	struct snap_host *v = NULL;
	size_t n = 0, cap = 0;
	int rc = RJH_OK, src;
	sqlite3_stmt *s = stmt(r, Q_IDENTS, d, &rc);

	if (!s)
		return rc;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (util_grow(&v, &cap, n + 1, sizeof(*v), 1024) < 0) {
			rc = diag_set(d, RJH_ENOMEM, "out of memory");
			break;
		}
		v[n] = (struct snap_host){.uid = (uint32_t)sqlite3_column_int64(s, 1)};
		copy_col(v[n].name, sizeof(v[n].name), s, 0);
		n++;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = reg_fail(r, src, "read hosts", d);
	done(s);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n_out = n;
	return RJH_OK;
}

static bool same_meta(const struct snap_hdr *h, const struct snap_meta *m)
{
	return h->uid_min == m->uid_min && h->uid_max == m->uid_max && h->gid == m->gid &&
	       !strcmp(h->group, m->group) && !strcmp(h->runtime_dir, m->runtime_dir);
}

/*
 * The new delta: the old one with one edit. RJH_ENOENT when the old pair
 * cannot be trusted to be the registry before this change, or the edit does
 * not fit a delta; the caller then rebuilds.
 */
static int edit_delta(const struct snap_view *v, const struct snap_meta *m, uint64_t gen_before,
		      enum reg_ident_op op, const char *name, uint32_t uid, struct snap_host **out,
		      size_t *n_out)
{
	const struct snap *dl = &v->delta;
	struct snap_host *h;
	uint32_t n, i, at = 0, flags = 0, base_uid = 0, idx;
	bool in_delta = false, in_base;

	if (!v->have_delta || dl->h.generation != gen_before || !same_meta(&v->base.h, m) ||
	    !same_meta(&dl->h, m) || dl->h.count >= SNAP_DELTA_MAX)
		return RJH_ENOENT;
	n = dl->h.count;
	h = calloc((size_t)n + 1, sizeof(*h));
	if (!h)
		return RJH_ENOMEM;
	for (i = 0; i < n; i++) {
		char hn[SNAP_NAME_SIZE];

		if (snap_entry(dl, i, hn, &h[i].uid, &h[i].flags) < 0 || !name_is_host(hn))
			goto stale;
		memcpy(h[i].name, hn, strlen(hn) + 1);
		if (strcmp(hn, name) < 0)
			at = i + 1;
		if (!strcmp(hn, name)) {
			in_delta = true;
			flags = h[i].flags;
		}
	}
	in_base = snap_find_name(&v->base, name, &idx) == 0;
	if (in_base) {
		char bn[SNAP_NAME_SIZE];

		snap_entry(&v->base, idx, bn, &base_uid, NULL);
	}
	if (op == REG_IDENT_ADD) {
		/* New uids only grow; a name coming back over a tombstone needs a rebuild. */
		if (in_delta || in_base)
			goto stale;
		memmove(h + at + 1, h + at, (n - at) * sizeof(*h));
		snprintf(h[at].name, sizeof(h[at].name), "%s", name);
		h[at].uid = uid;
		h[at].flags = 0;
		n++;
	} else if (in_delta && !(flags & SNAP_DELETED) && !in_base) {
		memmove(h + at, h + at + 1, (n - at - 1) * sizeof(*h));
		n--;
	} else if (!in_delta && in_base && base_uid == uid) {
		memmove(h + at + 1, h + at, (n - at) * sizeof(*h));
		snprintf(h[at].name, sizeof(h[at].name), "%s", name);
		h[at].uid = uid;
		h[at].flags = SNAP_DELETED;
		n++;
	} else {
		goto stale;
	}
	*out = h;
	*n_out = n;
	return RJH_OK;
stale:
	free(h);
	return RJH_ENOENT;
}

int reg_ident_changed(struct reg *r, uint64_t *gen_out, struct rjh_diag *d)
{
	char gbuf[32];
	uint64_t gen = 0;

	if (get_setting(r, "generation", gbuf, sizeof(gbuf), NULL) == 0)
		gen = strtoull(gbuf, NULL, 10);
	snprintf(gbuf, sizeof(gbuf), "%llu", (unsigned long long)gen + 1);
	*gen_out = gen + 1;
	return set_setting(r, "generation", gbuf, d);
}

/* Writes the snapshot for the registry as this read transaction sees it. Lock held. */
static int snapshot_write_locked(struct reg *r, const struct cfg *c, enum reg_ident_op op,
				 const char *name, uint32_t uid, uint64_t gen, const char *base,
				 const char *delta, struct rjh_diag *d)
{
	char group[64], gbuf[32];
	uint32_t umin, umax, next, gid;
	struct snap_host *hosts = NULL;
	struct snap_view v;
	struct snap_meta m;
	uint64_t now_gen = 0, have_gen = 0;
	bool mapped;
	size_t n = 0;
	int rc;

	rc = reg_settings(r, &umin, &umax, &next, group, sizeof(group), &gid, d);
	if (rc < 0)
		return rc;
	if (get_setting(r, "generation", gbuf, sizeof(gbuf), NULL) == 0)
		now_gen = strtoull(gbuf, NULL, 10);
	m = (struct snap_meta){.generation = now_gen,
			       .base_generation = now_gen,
			       .uid_min = umin,
			       .uid_max = umax,
			       .gid = gid,
			       .group = group,
			       .runtime_dir = c->runtime_dir,
			       .mode = 0644};
	mapped = snap_view_map(SNAP_BASE, base, delta, &v, NULL) == 0;
	if (mapped)
		have_gen = v.have_delta ? v.delta.h.generation : v.base.h.generation;
	/* Another writer already wrote this state, or a newer one: never go back. */
	if (mapped && have_gen >= now_gen && op != REG_IDENT_REBUILD) {
		snap_view_unmap(&v);
		return RJH_OK;
	}
	rc = RJH_ENOENT;
	/* Ours is the only change since the snapshot: one edit of the delta. */
	if (mapped && op != REG_IDENT_REBUILD && now_gen == gen)
		rc = edit_delta(&v, &m, gen - 1, op, name, uid, &hosts, &n);
	if (mapped && rc == 0)
		m.base_generation = v.base.h.generation;
	if (mapped)
		snap_view_unmap(&v);
	if (rc == RJH_ENOMEM)
		return diag_set(d, rc, "out of memory");
	if (rc == 0) {
		rc = snap_write(delta, SNAP_DELTA, &m, hosts, n, d);
		free(hosts);
		return rc;
	}
	/* Rebuild: the base first, then an empty delta for it (see snap.h). */
	rc = read_idents(r, &hosts, &n, d);
	if (rc == 0)
		rc = snap_write(base, SNAP_BASE, &m, hosts, n, d);
	if (rc == 0)
		rc = snap_write(delta, SNAP_DELTA, &m, NULL, 0, d);
	free(hosts);
	return rc;
}

int reg_snapshot_update(struct reg *r, const struct cfg *c, enum reg_ident_op op, const char *name,
			uint32_t uid, uint64_t gen, struct rjh_diag *d)
{
	char base[CFG_PATH_MAX + 16], delta[CFG_PATH_MAX + 16], lock[CFG_PATH_MAX + 24];
	int fd, rc;

	if (snap_paths(r->path, base, delta, sizeof(base)) < 0)
		return diag_set(d, RJH_EINVAL, "registry path is too long");
	/* One snapshot writer at a time. */
	snprintf(lock, sizeof(lock), "%s.lock", base);
	fd = util_lock_file(lock, d);
	if (fd < 0)
		return fd;
	rc = reg_begin_read(r, d);
	if (rc == 0)
		rc = snapshot_write_locked(r, c, op, name, uid, gen, base, delta, d);
	reg_end_read(r);
	close(fd); /* releases the lock */
	return rc;
}

int reg_host_set_policy(struct reg *r, const struct reg_host *h, int64_t now, struct rjh_diag *d)
{
	static const char sql[] =
	    "UPDATE hosts SET source_cidrs = ?2, expires = ?3, updated = ?4 WHERE id = ?1";
	sqlite3_stmt *s = NULL;
	int src = sqlite3_prepare_v2(r->db, sql, -1, &s, NULL);

	if (src == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, h->id);
		if (h->cidrs[0])
			sqlite3_bind_text(s, 2, h->cidrs, -1, SQLITE_STATIC);
		if (h->expires)
			sqlite3_bind_int64(s, 3, h->expires);
		sqlite3_bind_int64(s, 4, now);
		src = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (src != SQLITE_DONE)
		return reg_fail(r, src, "update host", d);
	return sqlite3_changes(r->db) == 1 ? RJH_OK : diag_set(d, RJH_ENOENT, "no such host");
}
