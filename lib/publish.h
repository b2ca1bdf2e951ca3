/*
 * Writing the login snapshot (login.h) from the registry: what every writer
 * does after a commit, and what `rjh-admin refresh` and the boot-time
 * `rjh-admin runtime` do to catch up.
 */
#ifndef RJH_PUBLISH_H
#define RJH_PUBLISH_H

#include <stdbool.h>

#include "cfg.h"
#include "err.h"
#include "reg.h"

/*
 * Brings the login snapshot up to the registry's policy generation, as one
 * read transaction of r sees it (r outside any transaction). Publishers take
 * turns on REGISTRY.login.lock. When the snapshot is at most SNAP_DELTA_MAX
 * changed hosts behind, it rewrites only the small delta with the hosts the
 * policy log names, read again; otherwise (or with rebuild, or when the
 * snapshot is missing, unreadable, from another history or behind the pruned
 * log) it writes the whole base and an empty delta. Never writes an older
 * generation than the one in place. Files are root's, mode 0640, group of
 * c->keys_user (root's when there is no such user).
 */
int pub_login(struct reg *r, const struct cfg *c, bool rebuild, struct rjh_diag *d);

/*
 * Removes the login snapshot, so that the login path refuses every host
 * (fail closed) rather than go on with a policy the registry no longer
 * has: for a writer whose pub_login failed after its commit. Returns 0 or
 * RJH_ESYS.
 */
int pub_login_withdraw(const struct cfg *c, struct rjh_diag *d);

/*
 * Inside a write transaction of r: forgets the policy log up to the
 * generation the login snapshot already reflects. Best effort: a snapshot
 * that cannot be read prunes nothing.
 */
int pub_login_prune_log(struct reg *r, const struct cfg *c, struct rjh_diag *d);

/*
 * Rebuilds what sshd reads for certificate logins from one read transaction
 * of r (outside any transaction): REGISTRY.user-cas, the trusted user CAs
 * (TrustedUserCAKeys), and REGISTRY.krl (RevokedKeys): the serials revoked
 * or of disabled hosts that have not expired, per trusted CA, and every
 * revoked key. Both root's, mode 0644, replaced atomically (the KRL first)
 * and only when they change. Writers take turns on REGISTRY.krl.lock.
 */
int pub_certs(struct reg *r, const struct cfg *c, struct rjh_diag *d);
/* Paths of the two files for a registry. */
int pub_certs_paths(const char *registry, char *krl, char *cas, size_t len);

#endif
