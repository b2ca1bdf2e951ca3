/*
 * How current a jumphost's cache of the PostgreSQL registry is (store =
 * postgresql): REGISTRY.synced, a file rjh-sync rewrites when it installs
 * a generation and touches (mtime) each time it finds PostgreSQL agreeing
 * with the cache. rjh-connect refuses clients once it is older than
 * max_cache_age; doctor reports it. Root's alone, like the snapshots.
 */
#ifndef RJH_CACHE_H
#define RJH_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "err.h"

int cache_stamp_path(const char *registry, char *buf, size_t len);

/* rjh-sync: the cache holds generation gen, current now (written whole, renamed into place). */
int cache_stamp_write(const struct cfg *c, uint64_t gen, struct rjh_diag *d);
/* rjh-sync: the cache is still current now (the mtime only). */
int cache_stamp_touch(const struct cfg *c, struct rjh_diag *d);

/*
 * The generation the cache holds and when it was last found current (the
 * stamp's mtime). RJH_ENOENT when there is none (rjh-sync never ran),
 * RJH_ETRUST when it is not root's alone.
 */
int cache_stamp_read(const struct cfg *c, uint64_t *gen_out, int64_t *current_out,
		     struct rjh_diag *d);

/*
 * rjh-connect's rule: NULL when c's cache may serve clients at now, else
 * why not (a sentence). Only for store = postgresql with max_cache_age set.
 */
const char *cache_refusal(const struct cfg *c, int64_t now, char *buf, size_t len);

#endif
