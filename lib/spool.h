/*
 * The spool: audit records of processes that must never take the registry's
 * lock, left for a registry writer to mirror into the events table.
 *
 * rjh-connect is started by any local user, who can stop or slow it (its
 * cgroup is theirs: freezer, cpu.max), so it never opens the registry. Its
 * kernel audit records are written at once; their mirror for `rjh-admin
 * audit` goes into REGISTRY.spool/ (root, 0700), one small file per record
 * slot, and `rjh-admin` (audit, prune, runtime) drains it.
 *
 * Slots are per caller uid and few: "r-UID-N" for refusals (N <
 * SPOOL_REFUSALS) and "c-UID-N" for connections (N < SPOOL_CONNECTIONS; the
 * file gets the START line, later the END line). A slot is taken with
 * O_CREAT|O_EXCL and freed when drained, so between two drains a uid can
 * leave at most that many files, and no more rows than that reach the
 * registry: the rate limit of mirrored records per uid. A record that finds
 * no free slot is not mirrored; its kernel record stands.
 *
 * File: a first line "rjh-spool 1 NONCE PID START" (the writer's pid and
 * /proc start time, so a drain can tell a connection still running from one
 * whose process died), then one record per line, tab-separated: time, type,
 * op, actor uid, login uid, host, fingerprint, result, detail ("-" when
 * absent). A record enters events once: its origin, "NONCE:LINE", is unique.
 */
#ifndef RJH_SPOOL_H
#define RJH_SPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "err.h"
#include "reg.h"
#include "util.h"

#define SPOOL_REFUSALS    16
#define SPOOL_CONNECTIONS 1024

enum spool_kind { SPOOL_REFUSAL = 'r', SPOOL_CONNECTION = 'c' };

/* The spool directory of a registry. */
int spool_dir(const char *registry, char *buf, size_t len);

/*
 * Opens c's spool directory (made, root 0700, when create and it is
 * missing), following no symlink. Returns the descriptor, RJH_ENOENT,
 * RJH_ETRUST (not root's alone) or RJH_ESYS.
 */
int spool_open_dir(const struct cfg *c, bool create, struct rjh_diag *d);

/* An open slot: its file, to append a connection's end to. */
struct spool_slot {
	int fd;
};

/*
 * Takes a free slot of kind for uid (making the directory, root 0700, if
 * missing) and writes e into it. Returns 0 with *slot_out open (close it
 * with spool_close, after spool_append for a connection), RJH_EEXIST when
 * every slot of that uid is taken, or RJH_ESYS.
 */
int spool_put(const struct cfg *c, enum spool_kind kind, uint32_t uid, const struct reg_event *e,
	      struct spool_slot *slot_out, struct rjh_diag *d);
int spool_append(struct spool_slot *slot, const struct reg_event *e, struct rjh_diag *d);
void spool_close(struct spool_slot *slot);

/* A connection whose writer died between its START and its END (see spool_drain). */
struct spool_orphan {
	int64_t time;       /* of its START */
	uint32_t actor_uid; /* the caller */
	char host[NAME_HOST_SIZE];
	char detail[48]; /* reason=monitor-gone connect_pid=PID */
};

/* The files a drain found done, for spool_finish to remove, and the orphans it ended. */
struct spool_done {
	struct util_buf names;   /* each NUL-terminated */
	struct util_buf orphans; /* struct spool_orphan */
};

/*
 * Inside a write transaction of r: mirrors every spooled record into events
 * (each once, by its origin; none from before what prune removed) and notes
 * in *done the files that are done: refusals, and connections that ended or
 * whose process is gone. A connection whose process died after its START
 * gets the END it never wrote (res failed, reason=monitor-gone): its relay
 * died with it. Sets *rows_out to the rows added. A spool that does not
 * exist is empty.
 */
int spool_drain(struct reg *r, const struct cfg *c, struct spool_done *done, int *rows_out,
		struct rjh_diag *d);

/*
 * After the transaction committed: calls cb for each connection the drain
 * ended (the caller writes its kernel USER_END, which its process could not).
 */
void spool_orphans_each(const struct spool_done *done,
			void (*cb)(const struct spool_orphan *o, void *ctx), void *ctx);

/* After the transaction: removes the files done if it committed, and frees done. */
void spool_finish(const struct cfg *c, struct spool_done *done, bool committed);

/*
 * All of the above, as a registry writer runs it (rjh-admin, rjh-sync): in
 * one write transaction of c's registry, spool_drain; after its commit, the
 * kernel USER_END of each orphan (audit as c says), then spool_finish.
 * Sets *rows_out to the events added.
 */
int spool_mirror(const struct cfg *c, int busy_ms, int *rows_out, struct rjh_diag *d);

#endif
