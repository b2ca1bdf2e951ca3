/*
 * Writing snapshots (snap.h): rjh-admin's side only. nss_rjh and the login
 * path link the reader (snap.c) alone; nothing here is in their address
 * space.
 */
#ifndef RJH_SNAP_WRITE_H
#define RJH_SNAP_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfg.h"
#include "err.h"
#include "name.h"
#include "reg.h"
#include "snap.h"

/* What the writer puts in a header. */
struct snap_meta {
	uint64_t generation, base_generation;
	uint32_t uid_min, uid_max, gid;
	const char *group;
	const char *runtime_dir;
	const void *extra; /* the file's extra data, or NULL */
	size_t extra_len;
	mode_t mode;    /* of the file: 0644 for NSS, 0640 for login */
	gid_t file_gid; /* its group (the owner is the writer, root) */
};

struct snap_host {
	char name[NAME_HOST_SIZE];
	uint32_t uid;
	uint32_t flags;
	const void *data; /* the entry's data, or NULL */
	uint32_t data_len;
};

/*
 * Writes hosts (sorted by name, unique) to path atomically: PATH.tmp, fsync,
 * rename, with m's mode and group, owned by the caller (root).
 */
int snap_write(const char *path, enum snap_kind kind, const struct snap_meta *m,
	       const struct snap_host *hosts, size_t n, struct rjh_diag *d);

/*
 * Runs fn for the snapshot pair at base and delta as their one writer
 * (writers take turns on BASE.lock) and inside one read transaction of r
 * (outside any transaction), so that what fn writes is the registry as one
 * moment saw it, and no writer overtakes another with an older state.
 * Returns what fn returned, or why the turn could not be had.
 */
typedef int (*snap_writer_fn)(struct reg *r, void *ctx, const char *base, const char *delta,
			      struct rjh_diag *d);
int snap_write_turn(struct reg *r, const char *base, const char *delta, snap_writer_fn fn,
		    void *ctx, struct rjh_diag *d);

/* What changed in the identities (names and uids) a transaction is about to commit. */
enum snap_ident_op {
	SNAP_IDENT_REBUILD, /* anything: read every host again */
	SNAP_IDENT_ADD,     /* one host was added */
	SNAP_IDENT_DEL,     /* one host was removed */
};

/*
 * After the commit of a change that brought the registry to identity
 * generation gen (reg_ident_changed), brings the NSS snapshot of c's
 * registry along. Snapshot writers take turns on REGISTRY.nss.lock and each
 * writes the registry as one read transaction of r sees it, never older
 * than what is on disk: so the snapshot only moves forward and never shows
 * anything uncommitted. When this change is the only one since the
 * snapshot, it is one edit of the small delta (no scan of 100,000 rows);
 * otherwise base and delta are rebuilt. If a writer dies between its
 * commit and this, the snapshot lacks the change (hosts do not resolve: the
 * safe side) until the next change or `rjh-admin refresh`.
 */
int snap_nss_update(struct reg *r, const struct cfg *c, enum snap_ident_op op, const char *name,
		    uint32_t uid, uint64_t gen, struct rjh_diag *d);

#endif
