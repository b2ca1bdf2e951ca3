/*
 * PostgreSQL as the registry (store = postgresql in rjh.conf): the one
 * source of truth for policy when several jumphosts serve one fleet. Only
 * rjh-admin and rjh-sync link this (and libpq); the login path reads the
 * jumphost's local files, which rjh-sync keeps in step (README, "Several
 * jumphosts").
 */
#ifndef RJH_REG_PG_H
#define RJH_REG_PG_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "err.h"
#include "reg.h"

/* The PostgreSQL schema this build writes (sql/pg/). */
int reg_pg_schema_version(void);

/*
 * Connects with c->conninfo. REG_RW needs the primary
 * (target_session_attrs=read-write overrides the conninfo's): with none
 * reachable, RJH_EREGISTRY "no PostgreSQL primary reachable". REG_RO takes
 * the node the conninfo names (a standby will do). Both refuse a database
 * without the rjh schema ("run rjh-admin migrate"), one of an older schema
 * (REG_RW), and one of a newer schema than this build knows unless its
 * compat allows (RJH_ESCHEMA). REG_CREATE is `rjh-admin migrate`: applies
 * every sql/pg/ file in one transaction under an advisory lock and records
 * c's uid range and host group: `rjh-admin init`; RJH_EEXIST if the
 * database holds an rjh registry already.
 * application_name is name. A connection lost later is RJH_EREGISTRY; a
 * COMMIT whose answer was lost says the outcome is unknown.
 */
int reg_pg_open(const struct cfg *c, enum reg_mode mode, const char *name, struct reg **out,
		struct rjh_diag *d);

/*
 * `rjh-admin migrate`: on the primary, applies the sql/pg/ files an existing
 * registry lacks, in one transaction (two at once take turns). *from_out:
 * its schema before. RJH_ESCHEMA if it is newer than this build.
 */
int reg_pg_migrate(const struct cfg *c, int *from_out, struct rjh_diag *d);

/* The schema of the database r is connected to, and whether that node is a standby. */
int reg_pg_info(struct reg *r, int *schema_out, bool *standby_out, struct rjh_diag *d);

/*
 * rjh-sync's read: begins a REPEATABLE READ, READ ONLY transaction (one
 * consistent snapshot, on a standby too; reg_end_read ends it) and reads
 * its policy generation. *fresh_out is true when the node is the primary,
 * or a standby that is streaming and has replayed all it received: a
 * standby whose replay stopped serves an old snapshot, and must not make
 * the cache look current.
 */
int reg_pg_snapshot(struct reg *r, uint64_t *gen_out, bool *fresh_out, struct rjh_diag *d);

/*
 * LISTENs for policy changes when r is the primary (a standby refuses
 * LISTEN: then only polling). Returns 0 or an error.
 */
int reg_pg_listen(struct reg *r, struct rjh_diag *d);
/* Waits up to ms for a notification; 1 when one came, 0 on timeout, or an error. */
int reg_pg_wait(struct reg *r, int ms, struct rjh_diag *d);

/*
 * Ships one of a jumphost's rows, inside a write transaction (reg_begin):
 * at least once, idempotently, keyed by origin ("node:cache:sID" or
 * "node:cache:eID", or a spooled record's own origin). A session shipped
 * again updates its end.
 */
int reg_pg_ship_session(struct reg *r, const char *node, const char *origin,
			const struct reg_session *s, struct rjh_diag *d);
int reg_pg_ship_event(struct reg *r, const char *node, const char *origin,
		      const struct reg_event *e, struct rjh_diag *d);

/* ------------------------------------------------ several jumphosts (schema 2) */

/* A jumphost that serves the fleet (`rjh-admin jumphost add`). */
struct reg_jumphost {
	char name[64];     /* its node_name */
	char address[256]; /* what hosts and clients dial */
	int port;
	int64_t added;
	int64_t seen;    /* its rjh-sync's last heartbeat, PostgreSQL's clock; 0: never */
	bool up;         /* seen within the ttl given to the walk */
	int64_t tunnels; /* hosts whose tunnel it holds now (0 unless up) */
};
typedef int (*reg_jumphost_cb)(const struct reg_jumphost *j, void *ctx);

/* In a write transaction: RJH_EEXIST if the name is taken. */
int reg_pg_jumphost_add(struct reg *r, const struct reg_jumphost *j, int64_t now,
			struct rjh_diag *d);
/* In a write transaction: the jumphost, its heartbeat and its presence rows; RJH_ENOENT. */
int reg_pg_jumphost_remove(struct reg *r, const char *name, struct rjh_diag *d);
/* Every registered jumphost by name; up and tunnels judged with ttl seconds. */
int reg_pg_jumphosts_each(struct reg *r, int64_t ttl, reg_jumphost_cb cb, void *ctx,
			  struct rjh_diag *d);

/*
 * rjh-sync's report, in one transaction of its own: node is alive now
 * (restarted: it just started), and the hosts whose tunnel it holds
 * changed by gone and came (validated host names). replace: came is the
 * whole set, every other row of node goes.
 */
int reg_pg_report(struct reg *r, const char *node, bool restarted, bool replace,
		  const char *const *gone, size_t ngone, const char *const *came, size_t ncame,
		  struct rjh_diag *d);

/*
 * Fleet-wide presence: (host, jumphost, since) of registered jumphosts whose
 * heartbeat is younger than ttl, by host, jumphost.
 */
typedef int (*reg_held_cb)(const char *host, const char *jumphost, int64_t since, void *ctx);
int reg_pg_held_each(struct reg *r, int64_t ttl, reg_held_cb cb, void *ctx, struct rjh_diag *d);

/* A setting of the fleet (e.g. "host_ca"): 0, RJH_ENOENT, or an error. */
int reg_pg_setting(struct reg *r, const char *name, char *buf, size_t len, struct rjh_diag *d);
/* In a write transaction. */
int reg_pg_set_setting(struct reg *r, const char *name, const char *value, struct rjh_diag *d);
/* In a write transaction: records name once; RJH_EEXIST if it is (a concurrent writer waits). */
int reg_pg_add_setting(struct reg *r, const char *name, const char *value, struct rjh_diag *d);
/* In a write transaction: the next value of counter name (1, 2, ...), its row locked until commit.
 */
int reg_pg_counter_next(struct reg *r, const char *name, uint64_t *v, struct rjh_diag *d);

#endif
