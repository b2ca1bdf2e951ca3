#include "policy.h"

#include <fnmatch.h>
#include <string.h>

#include "util.h"

/* An expiry time of 0 is never; one that is now has passed. */
static bool expired(int64_t expires, int64_t now)
{
	return expires && expires <= now;
}

enum policy_host_state policy_host_state(const struct reg_host *h, int64_t now)
{
	if (h->disabled)
		return POLICY_HOST_DISABLED;
	return expired(h->expires, now) ? POLICY_HOST_EXPIRED : POLICY_HOST_ACTIVE;
}

static const char *const host_words[] = {
    [POLICY_HOST_ACTIVE] = "active",
    [POLICY_HOST_DISABLED] = "disabled",
    [POLICY_HOST_EXPIRED] = "expired",
};

const char *policy_host_state_word(const struct reg_host *h, int64_t now)
{
	return host_words[policy_host_state(h, now)];
}

const char *policy_host_refusal(const struct reg_host *h, int64_t now, const char *addr)
{
	enum policy_host_state st = policy_host_state(h, now);

	if (st != POLICY_HOST_ACTIVE)
		return host_words[st];
	if (addr && h->cidrs[0] && !util_cidrs_match(h->cidrs, addr))
		return "source address outside the host's CIDRs";
	return NULL;
}

bool policy_key_active(const struct reg_key *k, int64_t now)
{
	return !k->revoked && !expired(k->expires, now);
}

const char *policy_key_state_word(const struct reg_key *k, int64_t now)
{
	if (k->revoked)
		return "revoked";
	return expired(k->expires, now) ? "expired" : "active";
}

bool policy_key_presented(const struct reg_key *k, int64_t now, const char *fp, const char *type,
			  const char *b64)
{
	if (!policy_key_active(k, now))
		return false;
	if (fp && strcmp(fp, k->fp) != 0)
		return false;
	return !type || (strcmp(type, k->type) == 0 && strcmp(b64, k->b64) == 0);
}

bool policy_grant_allows(const struct reg_grant *g, const struct policy_caller *caller,
			 const char *host)
{
	bool who = false;
	size_t i;

	if (g->principal[0] == '@') {
		for (i = 0; i < caller->ngroups && !who; i++)
			who = strcmp(g->principal + 1, caller->groups[i]) == 0;
	} else {
		who = strcmp(g->principal, caller->user) == 0;
	}
	return who && fnmatch(g->pattern, host, 0) == 0;
}
