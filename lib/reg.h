/*
 * The registry: hosts, keys, host keys, grants, settings, sessions, events
 * and the generations the snapshots follow. This is the store's interface:
 * callers hold an opaque struct reg and never see what backs it; each call
 * goes to the store reg_open chose (reg_store.h). Today that is SQLite
 * (reg_sqlite.c), one file at the registry path; reg_file_schema,
 * reg_vacuum and reg_backup speak of that file.
 */
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

/*
 * A host's policy fields, each once, here: the store's columns, the login
 * snapshot's record, and rjh-admin's options (enroll, modify), audit
 * details, show and JSON all follow this list (HACKING.md).
 * X(member, opt, column, kind, login, enroll, clear, unset, arg, help):
 *   member  of struct reg_host; opt: its --OPTION and JSON key
 *   column  in the hosts table (sql/)
 *   kind    TIME (int64_t, 0: unset), CIDRS (util_parse_cidrs' canonical
 *           list, "": unset) or TEXT (printable, at most REG_TEXT_MAX)
 *   login   1: the login snapshot carries it, for lib/policy.c to decide on
 *   enroll  1: enroll takes the option too (modify takes every one)
 *   clear   the word modify takes to unset it; unset: how show says unset
 *   arg     the option's argument in --help; help: its --help text
 */
#define REG_HOST_POLICY(X)                                                                         \
	X(expires, "expires", "expires", TIME, 1, 1, "never", "never", "DATE",                     \
	  "the host may log in until DATE (YYYY-MM-DD, end of that\n"                              \
	  "                   day UTC, or YYYY-MM-DDTHH:MM:SSZ)")                                  \
	X(cidrs, "from", "source_cidrs", CIDRS, 1, 1, "any", "any address", "CIDRS",               \
	  "the host may connect only from these addresses\n"                                       \
	  "                   (CIDR[,CIDR...])")                                                   \
	X(comment, "comment", "comment", TEXT, 0, 0, "", "-", "TEXT",                              \
	  "a note on the host: owner, place, ticket")

#define REG_TEXT_MAX                            255
#define REG_DECL_TIME(m)                        int64_t m
#define REG_DECL_CIDRS(m)                       char m[1024]
#define REG_DECL_TEXT(m)                        char m[REG_TEXT_MAX + 1]
#define REG_HOST_MEMBER(m, opt, col, kind, ...) REG_DECL_##kind(m);

struct reg_host {
	int64_t id;
	char name[NAME_HOST_SIZE];
	uint32_t uid;
	bool disabled;
	int64_t created, updated;
	REG_HOST_POLICY(REG_HOST_MEMBER)
	int nkeys; /* keys that are not revoked */
};

/* The policy fields as data, in REG_HOST_POLICY's order (reg_fields.c). */
enum reg_field_kind { REG_FIELD_TIME, REG_FIELD_CIDRS, REG_FIELD_TEXT };
struct reg_host_field {
	const char *opt, *column, *clear, *unset, *arg, *help;
	enum reg_field_kind kind;
	bool login, enroll;
	size_t off, size; /* of the member in struct reg_host */
};
#define REG_HOST_COUNT_(...) +1
#define REG_HOST_NPOLICY     (0 REG_HOST_POLICY(REG_HOST_COUNT_))
extern const struct reg_host_field reg_host_fields[REG_HOST_NPOLICY];
/* Field f of h: an int64_t for TIME, a char[f->size] otherwise. */
#define REG_HOST_AT(h, f)       ((void *)((char *)(h) + (f)->off))
#define REG_HOST_AT_CONST(h, f) ((const void *)((const char *)(h) + (f)->off))

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

/* "serial=N ca=SHA256:... id=KEY ID": a session's certificate, as status shows it. */
#define REG_CERT_DESC_SIZE 352

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
	char
	    cert[REG_CERT_DESC_SIZE]; /* the certificate it logged in with (cert_describe), or "" */
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

/* A user CA trusted for host logins (sql/010-certs.sql). */
struct reg_user_ca {
	char fp[KEY_FP_LEN];
	char type[40];
	char b64[KEY_B64_MAX + 1];
	char comment[KEY_COMMENT_MAX + 1];
	bool own; /* rjh's own CA, made by `rjh-admin ca init` */
	int64_t added;
};

/* A certificate rjh issued, or a revoked serial (sql/010-certs.sql). */
struct reg_cert {
	char ca_fp[KEY_FP_LEN];
	uint64_t serial;
	char host[NAME_HOST_SIZE];
	char key_fp[KEY_FP_LEN]; /* "" for a serial revoked and not issued here */
	char key_id[256];
	int64_t valid_after, valid_before; /* 0: unknown */
	int64_t issued, revoked;           /* 0: not issued here / not revoked */
	bool host_disabled;                /* read: its host is disabled now */
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

/*
 * Inside a write transaction that changes identities (names and uids):
 * bumps the registry's identity generation and returns the new one, for
 * snap_nss_update (snap_write.h).
 */
int reg_ident_changed(struct reg *r, uint64_t *gen_out, struct rjh_diag *d);
/* The identity generation as this transaction sees it (0: never bumped). */
int reg_ident_generation(struct reg *r, uint64_t *gen_out, struct rjh_diag *d);
/* Every host's name and uid, in name order; cb's negative return stops the walk and is returned. */
typedef int (*reg_ident_cb)(const char *name, uint32_t uid, void *ctx);
int reg_idents_each(struct reg *r, reg_ident_cb cb, void *ctx, struct rjh_diag *d);

/* The hosts group's gid, as init recorded it. */
int reg_host_gid(struct reg *r, uint32_t *gid, struct rjh_diag *d);

/* Hosts. */
int reg_host_get(struct reg *r, const char *name, struct reg_host *out, struct rjh_diag *d);
/*
 * Adds the host in->name with in's policy (the REG_HOST_POLICY fields; the
 * rest of in is ignored), active, at the next never-used uid. Sets *out (if not NULL)
 * to the host as added. RJH_EEXIST if the name is taken.
 */
int reg_host_add(struct reg *r, const struct reg_host *in, int64_t now, struct reg_host *out,
		 struct rjh_diag *d);
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
/*
 * User CAs. reg_user_ca_add: RJH_EEXIST when the key is a CA already, or
 * own and there is an own CA. reg_user_ca_remove: RJH_ENOENT. Walks are in
 * the order added.
 */
int reg_user_ca_add(struct reg *r, const struct reg_user_ca *ca, struct rjh_diag *d);
int reg_user_ca_remove(struct reg *r, const char *fp, struct rjh_diag *d);
typedef int (*reg_user_ca_cb)(const struct reg_user_ca *ca, void *ctx);
int reg_user_cas_each(struct reg *r, reg_user_ca_cb cb, void *ctx, struct rjh_diag *d);
/* The CA of fingerprint fp: 0 and *out, or RJH_ENOENT. */
int reg_user_ca_get(struct reg *r, const char *fp, struct reg_user_ca *out, struct rjh_diag *d);

/*
 * Certificates, inside a write transaction. reg_cert_next_serial: one more
 * than the highest serial recorded for ca_fp (1 for the first).
 * reg_cert_add: RJH_EEXIST when (ca, serial) is on record. reg_cert_revoke
 * marks (ca, serial) revoked at now, recording a row for host when there is
 * none, and sets *out to the row: returns 0, 1 when it was revoked already,
 * or RJH_EEXIST when the serial is on record for another host (out names it).
 */
int reg_cert_next_serial(struct reg *r, const char *ca_fp, uint64_t *serial_out,
			 struct rjh_diag *d);
int reg_cert_add(struct reg *r, const struct reg_cert *c, struct rjh_diag *d);
int reg_cert_revoke(struct reg *r, const char *ca_fp, uint64_t serial, const char *host,
		    int64_t now, struct reg_cert *out, struct rjh_diag *d);
/* The record of (ca_fp, serial): 0 and *out, or RJH_ENOENT. */
int reg_cert_get(struct reg *r, const char *ca_fp, uint64_t serial, struct reg_cert *out,
		 struct rjh_diag *d);
/* Host's certificates (NULL: every one), newest first. */
typedef int (*reg_cert_cb)(const struct reg_cert *c, void *ctx);
int reg_certs_each(struct reg *r, const char *host, reg_cert_cb cb, void *ctx, struct rjh_diag *d);

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
 * Inside a write transaction: writes h's policy (every REG_HOST_POLICY
 * field), as the caller changed it, to the host with h->id, and sets
 * updated to now. The
 * policy_log trigger records the host, so the next publish carries the
 * change to the login snapshot. RJH_ENOENT when no host has h->id.
 */
int reg_host_set_policy(struct reg *r, const struct reg_host *h, int64_t now, struct rjh_diag *d);

/*
 * The cache (store = postgresql): the jumphost's registry file, which
 * rjh-sync keeps equal to PostgreSQL's policy so that the login path reads
 * local files only (sql/009-cache.sql). SQLite's store only; another answers
 * RJH_EINVAL "not for this registry store".
 */
struct reg_cache_state {
	bool is_cache;       /* settings.cache_of is set: rjh-sync made it */
	uint64_t generation; /* PostgreSQL's policy generation installed (0: none yet) */
	char id[40];         /* this file's nonce, in the origin of each row it ships */
};
int reg_cache_state(struct reg *r, struct reg_cache_state *out, struct rjh_diag *d);

/*
 * Outside a transaction: empties the staging tables (the connection's own,
 * no lock on the registry), which the stage_* calls then fill with one
 * consistent read of PostgreSQL, ids and uids as PostgreSQL has them.
 */
int reg_cache_stage(struct reg *r, struct rjh_diag *d);
int reg_cache_stage_host(struct reg *r, const struct reg_host *h, struct rjh_diag *d);
int reg_cache_stage_key(struct reg *r, const struct reg_key *k, struct rjh_diag *d);
int reg_cache_stage_host_key(struct reg *r, const struct reg_host_key *k, struct rjh_diag *d);
int reg_cache_stage_grant(struct reg *r, const struct reg_grant *g, struct rjh_diag *d);
/* The user CAs and certificates: the install replaces the cache's whole tables with them. */
int reg_cache_stage_user_ca(struct reg *r, const struct reg_user_ca *ca, struct rjh_diag *d);
int reg_cache_stage_cert(struct reg *r, const struct reg_cert *c, struct rjh_diag *d);

/* What reg_cache_install records besides the staged rows. */
struct reg_cache_install {
	uint64_t generation; /* PostgreSQL's, read in the same snapshot as the rows */
	uint32_t uid_min, uid_max, next_uid, host_gid;
	char host_group[NAME_ACCOUNT_SIZE];
	const char *id; /* the nonce to record if the file is not a cache yet */
};
/*
 * Inside a write transaction: makes hosts, keys, host_keys and grants equal
 * to the staged rows, touching only the rows that differ (the policy log
 * then names exactly the hosts that changed, for the login snapshot),
 * records the settings and the generation, and marks the file a cache.
 * *idents_out: a host's name or uid came, went or changed (the NSS
 * snapshot must follow). RJH_EINVAL (nothing written) if in->generation is
 * below the one installed: a cache never goes back.
 */
int reg_cache_install(struct reg *r, const struct reg_cache_install *in, bool *idents_out,
		      struct rjh_diag *d);

/*
 * The rows a cache must ship to PostgreSQL, oldest first, at most limit:
 * each with its outbox id and either a session or an event (the other
 * NULL) and the row's own id in this file. A row deleted since (prune) is
 * skipped. cb's negative return stops the walk.
 */
typedef int (*reg_outbox_cb)(int64_t outbox_id, const struct reg_session *s,
			     const struct reg_event *e, int64_t row_id, void *ctx);
int reg_outbox_each(struct reg *r, int limit, reg_outbox_cb cb, void *ctx, struct rjh_diag *d);
/* Forgets the outbox entries up to upto: PostgreSQL committed them. */
int reg_outbox_ack(struct reg *r, int64_t upto, struct rjh_diag *d);

#endif
