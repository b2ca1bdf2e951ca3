/* The registry: one SQLite file of hosts, keys, grants, sessions and events. */
#ifndef RJH_REG_H
#define RJH_REG_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "err.h"
#include "key.h"
#include "name.h"

/* PRAGMA application_id of every rjh registry ("rjh1"). */
#define REG_APP_ID 0x726a6831

enum reg_mode {
	REG_RO,     /* read-only; refuses a registry that needs an upgrade */
	REG_RW,     /* read-write; upgrades an older schema in one transaction */
	REG_CREATE, /* init: creates a new file, fails if it exists */
};

struct reg;

struct reg_host {
	int64_t id;
	char name[NAME_HOST_SIZE];
	uint32_t uid;
	bool disabled;
	int64_t created, updated;
	int64_t expires;  /* 0: never */
	char cidrs[1024]; /* "" when unrestricted */
	int nkeys;        /* keys that are not revoked */
};

struct reg_key {
	int64_t id;
	int64_t host_id;
	char host[NAME_HOST_SIZE];
	char type[40];
	char b64[KEY_B64_MAX + 1];
	char fp[KEY_FP_LEN];
	char comment[KEY_COMMENT_MAX + 1];
	int64_t created, expires, revoked; /* 0: never / not revoked */
};

struct reg_grant {
	char principal[NAME_PRINCIPAL_SIZE];
	char pattern[NAME_PATTERN_SIZE];
	int64_t created;
};

struct reg_session {
	int64_t id;
	char host[NAME_HOST_SIZE];
	uint32_t uid;
	char fp[KEY_FP_LEN]; /* "" when unknown */
	char source[64];     /* "" when unknown */
	int64_t pid;         /* the sshd process that holds the session */
	int64_t pid_start;   /* its start time (/proc/PID/stat field 22), 0 if unknown */
	int64_t started, ended;
	char end_reason[8]; /* "closed", "stale" or "" */
};

/* One of a host's own sshd host keys (what its clients pin). */
struct reg_host_key {
	int64_t id;
	int64_t host_id;
	char host[NAME_HOST_SIZE];
	char type[40];
	char b64[KEY_B64_MAX + 1];
	char fp[KEY_FP_LEN];
	int64_t created;
};

struct reg_event {
	int64_t time;
	const char *type; /* audit record type name, e.g. "USER_MGMT" */
	const char *op;   /* e.g. "rjh-enroll" */
	uint32_t actor_uid, actor_auid;
	const char *host, *fp, *detail; /* may be NULL */
	const char *origin; /* a spooled record's "NONCE:LINE" (spool.h); NULL otherwise */
	bool success;
};

/*
 * Opens the registry at path. REG_CREATE makes a new one (mode 0640, parent
 * directories 0755) recording c's uid range and host group. Returns 0 and
 * sets *out, RJH_EREGISTRY (missing, unreadable, corrupt, not an rjh
 * registry, locked), RJH_ESCHEMA (newer), RJH_EEXIST (CREATE over a file),
 * RJH_ETRUST (the file or a directory above it, for CREATE a directory, is
 * not root's alone: util_path_trusted, util_dirs_trusted).
 */
int reg_open(const char *path, enum reg_mode mode, const struct cfg *c, int busy_ms,
	     struct reg **out, struct rjh_diag *d);
void reg_close(struct reg *r);

/* The schema version this build writes. */
int reg_schema_version(void);

/*
 * The schema version (user_version) of the registry at path, read without
 * upgrading or writing anything. Returns 0, or an error as reg_open's (not
 * an rjh registry: RJH_EREGISTRY).
 */
int reg_file_schema(const char *path, int busy_ms, int *ver_out, struct rjh_diag *d);

/* One write transaction per command: BEGIN IMMEDIATE ... COMMIT. */
int reg_begin(struct reg *r, struct rjh_diag *d);
int reg_commit(struct reg *r, struct rjh_diag *d);
void reg_rollback(struct reg *r);

/* A read snapshot: BEGIN (deferred) ... reg_end_read. */
int reg_begin_read(struct reg *r, struct rjh_diag *d);
void reg_end_read(struct reg *r);

/* Settings fixed at init. */
int reg_settings(struct reg *r, uint32_t *uid_min, uint32_t *uid_max, uint32_t *next_uid,
		 char *group, size_t grouplen, uint32_t *gid, struct rjh_diag *d);

/* What changed in the identities (names and uids) a transaction is about to commit. */
enum reg_ident_op {
	REG_IDENT_REBUILD, /* anything: read every host again */
	REG_IDENT_ADD,     /* one host was added */
	REG_IDENT_DEL,     /* one host was removed */
};

/*
 * Inside a write transaction that changes identities: bumps the registry's
 * identity generation and returns the new one, for reg_snapshot_update.
 */
int reg_ident_changed(struct reg *r, uint64_t *gen_out, struct rjh_diag *d);

/*
 * After the commit of a change that brought the registry to generation gen,
 * brings the NSS snapshot (snap.h) along. Snapshot writers take turns on
 * REGISTRY.nss.lock and each writes the registry as one read transaction
 * sees it, never older than what is on disk: so the snapshot only moves
 * forward and never shows anything uncommitted. When this change is the only
 * one since the snapshot, it is one edit of the small delta (no scan of
 * 100,000 rows); otherwise base and delta are rebuilt. If a writer dies
 * between its commit and this, the snapshot lacks the change (hosts do not
 * resolve: the safe side) until the next change or `rjh-admin refresh`.
 */
int reg_snapshot_update(struct reg *r, const struct cfg *c, enum reg_ident_op op, const char *name,
			uint32_t uid, uint64_t gen, struct rjh_diag *d);

/* The hosts group's gid, as init recorded it. */
int reg_host_gid(struct reg *r, uint32_t *gid, struct rjh_diag *d);

/* Hosts. */
int reg_host_get(struct reg *r, const char *name, struct reg_host *out, struct rjh_diag *d);
/* Allocates the next never-used uid. RJH_EEXIST if name is taken. */
int reg_host_add(struct reg *r, const char *name, const char *cidrs, int64_t expires, int64_t now,
		 struct reg_host *out, struct rjh_diag *d);
int reg_host_set_disabled(struct reg *r, int64_t host_id, bool disabled, int64_t now,
			  struct rjh_diag *d);
/* Deletes the host and its keys, and grants naming exactly it; returns grants removed. */
int reg_host_remove(struct reg *r, const struct reg_host *h, struct rjh_diag *d);
typedef int (*reg_host_cb)(const struct reg_host *h, void *ctx);
int reg_hosts_each(struct reg *r, reg_host_cb cb, void *ctx, struct rjh_diag *d);
int64_t reg_count(struct reg *r, const char *table);

/* Keys. RJH_EEXIST (naming the owner) if the fingerprint is enrolled anywhere. */
int reg_key_add(struct reg *r, int64_t host_id, const struct key *k, const char *comment,
		int64_t expires, int64_t now, struct rjh_diag *d);
int reg_key_find(struct reg *r, const char *fp, struct reg_key *out, struct rjh_diag *d);
int reg_key_revoke(struct reg *r, int64_t key_id, int64_t now, struct rjh_diag *d);
typedef int (*reg_key_cb)(const struct reg_key *k, void *ctx);
/* host_id 0 walks every key. */
int reg_keys_each(struct reg *r, int64_t host_id, reg_key_cb cb, void *ctx, struct rjh_diag *d);

/*
 * Host keys. Adds one of host_id's sshd host keys: RJH_EEXIST (naming the
 * owner) if the fingerprint is recorded for any host, or if the host has a
 * host key of that algorithm already.
 */
int reg_host_key_add(struct reg *r, int64_t host_id, const struct key *k, int64_t now,
		     struct rjh_diag *d);
/* Deletes every host key of host_id; returns how many there were. */
int reg_host_keys_clear(struct reg *r, int64_t host_id, struct rjh_diag *d);
typedef int (*reg_host_key_cb)(const struct reg_host_key *k, void *ctx);
/* A host's host keys in the order recorded; host_id 0 walks every host's, sorted by host name. */
int reg_host_keys_each(struct reg *r, int64_t host_id, reg_host_key_cb cb, void *ctx,
		       struct rjh_diag *d);
/*
 * The host keys of every host that may log in at now (active, not expired),
 * sorted by host name, for clients' known_hosts; *missing_out counts such
 * hosts with no host key recorded.
 */
int reg_known_hosts_each(struct reg *r, int64_t now, reg_host_key_cb cb, void *ctx,
			 int64_t *missing_out, struct rjh_diag *d);

/* Grants. */
int reg_grant_add(struct reg *r, const char *principal, const char *pattern, int64_t now,
		  struct rjh_diag *d);
int reg_grant_del(struct reg *r, const char *principal, const char *pattern, struct rjh_diag *d);
typedef int (*reg_grant_cb)(const struct reg_grant *g, void *ctx);
int reg_grants_each(struct reg *r, reg_grant_cb cb, void *ctx, struct rjh_diag *d);

/* Presence: the newest session of a host, RJH_ENOENT if none. */
int reg_session_last(struct reg *r, const char *host, struct reg_session *out, struct rjh_diag *d);

typedef int (*reg_session_cb)(const struct reg_session *s, void *ctx);
int reg_sessions_each(struct reg *r, reg_session_cb cb, void *ctx, struct rjh_diag *d);
/* A host's sessions, newest first (at most limit; 0: all), or only those not ended, oldest first.
 */
int reg_sessions_host_each(struct reg *r, const char *host, bool open_only, int limit,
			   reg_session_cb cb, void *ctx, struct rjh_diag *d);
/* Inserts an open session (host, uid, fp, source, pid, pid_start, started); sets *id_out. */
int reg_session_open(struct reg *r, const struct reg_session *se, int64_t *id_out,
		     struct rjh_diag *d);
/*
 * Ends session id (reason "closed" or "stale"), or with id 0 the open
 * sessions of host held by sshd pid. RJH_ENOENT when nothing was open.
 */
int reg_session_end(struct reg *r, int64_t id, const char *host, int64_t pid, int64_t now,
		    const char *reason, struct rjh_diag *d);

/*
 * Every host, sorted by name, with its newest open session, else its newest
 * session (s is NULL when it never had one), in one query: presence across
 * the fleet. Open first: a refused or short second login must not hide the
 * session that holds the tunnel.
 */
typedef int (*reg_presence_cb)(const struct reg_host *h, const struct reg_session *s, void *ctx);
int reg_presence_each(struct reg *r, reg_presence_cb cb, void *ctx, struct rjh_diag *d);

/*
 * The policy generation (sql/004-policy-log.sql): the newest id of the log
 * of policy changes, and the id up to which the log was pruned.
 */
int reg_policy_generation(struct reg *r, uint64_t *gen_out, uint64_t *floor_out,
			  struct rjh_diag *d);
/* Calls cb once per host whose policy changed after generation since (NULL: the grants). */
int reg_policy_changes(struct reg *r, uint64_t since, int (*cb)(const char *host, void *ctx),
		       void *ctx, struct rjh_diag *d);
/* Inside a write transaction: forgets the log up to generation upto (a snapshot has it). */
int reg_policy_log_prune(struct reg *r, uint64_t upto, struct rjh_diag *d);

/*
 * What the login snapshot holds of each host: cb gets the host (nkeys 0)
 * and one of its keys not revoked, once per key, in key order; a host
 * without one comes once, with k NULL. Hosts in name order, or only name.
 */
typedef int (*reg_login_cb)(const struct reg_host *h, const struct reg_key *k, void *ctx);
int reg_login_rows(struct reg *r, const char *name, reg_login_cb cb, void *ctx, struct rjh_diag *d);

/* The cutoff of the last prune: events from before it are gone for good (0: none). */
int reg_events_pruned_before(struct reg *r, int64_t *before_out, struct rjh_diag *d);

/* The rows the last statement changed (0 after an event skipped for its origin). */
int64_t reg_changes(struct reg *r);

/* Events: the registry's mirror of audit records. One with an origin already there is skipped. */
int reg_event_add(struct reg *r, const struct reg_event *e, struct rjh_diag *d);
/* Walks events oldest first; the strings live until the callback returns. */
typedef int (*reg_event_cb)(const struct reg_event *e, void *ctx);
int reg_events_each(struct reg *r, reg_event_cb cb, void *ctx, struct rjh_diag *d);

/* Which events reg_events_find walks. */
struct reg_event_filter {
	const char *host; /* NULL: any host */
	int64_t uid;      /* -1: anyone; else actor_uid or actor_auid (the login uid) is uid */
	int64_t since;    /* events at or after this time; 0: from the start */
};
/*
 * The events f selects, oldest first (by time, then as recorded), through the
 * events_host index with a host, the events_time index without.
 */
int reg_events_find(struct reg *r, const struct reg_event_filter *f, reg_event_cb cb, void *ctx,
		    struct rjh_diag *d);

/*
 * Retention, inside the caller's write transaction: deletes the sessions
 * that ended before `before` and the events whose time is before it, and
 * sets *sessions_out and *events_out to how many went. A session still open
 * (ended NULL) stays however old: it may be a live tunnel, and a crashed
 * sshd's row is ended by the host's next login. RJH_EINVAL outside a
 * transaction.
 */
int reg_prune(struct reg *r, int64_t before, int64_t *sessions_out, int64_t *events_out,
	      struct rjh_diag *d);

/*
 * Rewrites the registry without the free pages that deletes leave (VACUUM),
 * outside any transaction; sets *before_out and *after_out to the file's size
 * in bytes. NB. Holds the registry's exclusive lock throughout (logins wait)
 * and needs free space for a copy of the file and a journal as big.
 */
int reg_vacuum(struct reg *r, int64_t *before_out, int64_t *after_out, struct rjh_diag *d);

/* What reg_backup copied: read back from the copy, once it passed integrity_check. */
struct reg_backup_info {
	int schema; /* the copy's user_version */
	int64_t hosts, keys, sessions, events;
	int restarts; /* times a writer's commit made the copy start over */
};

/*
 * Copies the registry into dest, an empty file the caller made (0600, in a
 * directory root's alone), with SQLite's online backup API: REG_BACKUP_PAGES
 * pages per step, the registry unlocked between steps, so writers (pam_rjh's
 * logins) commit in between; a step that finds the registry locked sleeps
 * and tries again, for up to r's busy timeout. A commit between steps makes
 * the copy start over; after REG_BACKUP_RESTARTS of those the rest is copied
 * in one step, holding the read lock for the time of one copy (writers wait
 * that long). Then checks the copy (PRAGMA integrity_check, application id,
 * schema) and fills *out. Writes nothing but dest; the caller removes dest
 * on failure. RJH_ESYS (dest: disk full, I/O), RJH_EREGISTRY (the registry
 * locked for longer than the busy timeout, or the copy corrupt).
 */
#define REG_BACKUP_PAGES    256
#define REG_BACKUP_RESTARTS 8
int reg_backup(struct reg *r, const char *dest, struct reg_backup_info *out, struct rjh_diag *d);

/*
 * Inside a write transaction: records a backup that is in place at path
 * (absolute), bytes long, at time now, in the backups table (schema 7).
 */
int reg_backup_add(struct reg *r, int64_t now, const char *path, int64_t bytes,
		   const struct reg_backup_info *info, struct rjh_diag *d);

/*
 * Inside a write transaction: writes h's policy, as the caller changed it,
 * to the host with h->id: cidrs (canonical, as util_parse_cidrs writes them;
 * "": any address) and expires (0: never), and sets updated to now. The
 * policy_log trigger records the host, so the next publish carries the
 * change to the login snapshot. RJH_ENOENT when no host has h->id.
 */
int reg_host_set_policy(struct reg *r, const struct reg_host *h, int64_t now, struct rjh_diag *d);

#endif
