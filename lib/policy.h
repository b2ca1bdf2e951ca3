/* Whether an enrolled host may log in now: one rule for the key helper and pam_rjh. */
#ifndef RJH_POLICY_H
#define RJH_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "reg.h"

/*
 * Returns NULL when host h may log in at time now, or why not: "disabled",
 * "expired", or, when addr is not NULL, "source address outside the host's
 * CIDRs". addr is PAM_RHOST: an address literal; a name never matches.
 */
const char *policy_host_refusal(const struct reg_host *h, int64_t now, const char *addr);

/* True when key k is neither revoked nor expired at time now. */
bool policy_key_active(const struct reg_key *k, int64_t now);

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
