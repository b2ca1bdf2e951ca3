/* Whether an enrolled host may log in now: one rule for the key helper and pam_rjh. */
#ifndef RJH_POLICY_H
#define RJH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reg.h"

/* Where a host stands at a given time, whatever its address. */
enum policy_host_state {
	POLICY_HOST_ACTIVE,
	POLICY_HOST_DISABLED,
	POLICY_HOST_EXPIRED,
};

/*
 * Host h's state at time now: disabled wins over expired; an expiry time of
 * 0 is never, and a host whose expiry time is now has expired.
 * NB. POLICY_HOST_ACTIVE_SQL says the same in SQL: change both together
 * (tests/unit/test_policy.c checks that they agree).
 */
enum policy_host_state policy_host_state(const struct reg_host *h, int64_t now);

/*
 * The SQL condition true for the rows of hosts h that policy_host_state
 * calls active, with now bound as ?1. lib/reg.c reads a row's state other
 * than 'active' as disabled, and a NULL expires as 0.
 */
#define POLICY_HOST_ACTIVE_SQL                                                                     \
	"(h.state = 'active' AND (h.expires IS NULL OR h.expires = 0 OR h.expires > ?1))"

/* policy_host_state as people and scripts read it: "active", "disabled" or "expired". */
const char *policy_host_state_word(const struct reg_host *h, int64_t now);

/*
 * Returns NULL when host h may log in at time now, or why not: "disabled",
 * "expired", or, when addr is not NULL, "source address outside the host's
 * CIDRs". addr is PAM_RHOST: an address literal; a name never matches.
 */
const char *policy_host_refusal(const struct reg_host *h, int64_t now, const char *addr);

/* True when key k is neither revoked nor expired at time now (expires == now is expired). */
bool policy_key_active(const struct reg_key *k, int64_t now);

/* Key k's state at time now: "active", "revoked" or "expired" (revoked wins). */
const char *policy_key_state_word(const struct reg_key *k, int64_t now);

/*
 * True when k is active at time now and is the key presented: fp, when not
 * NULL, its fingerprint, and type and b64, when type is not NULL, the very
 * key on record, not just its hash. The key helper and pam_rjh ask this of
 * each of the host's keys.
 */
bool policy_key_presented(const struct reg_key *k, int64_t now, const char *fp, const char *type,
			  const char *b64);

/* Who is asking: a user name and the names of its groups. */
struct policy_caller {
	const char *user;
	const char *const *groups;
	size_t ngroups;
};

/*
 * True when grant g lets caller reach host: its principal is the caller's
 * name or @one-of-its-groups, and its pattern is the host's name or a glob
 * (fnmatch) matching it.
 */
bool policy_grant_allows(const struct reg_grant *g, const struct policy_caller *caller,
			 const char *host);

#endif
