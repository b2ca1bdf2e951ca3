#include "policy.h"

#include <fnmatch.h>
#include <string.h>

#include "util.h"

const char *policy_host_refusal(const struct reg_host *h, int64_t now, const char *addr)
{
	if (h->disabled)
		return "disabled";
	if (h->expires && h->expires <= now)
		return "expired";
	if (addr && h->cidrs[0] && !util_cidrs_match(h->cidrs, addr))
		return "source address outside the host's CIDRs";
	return NULL;
}

bool policy_key_active(const struct reg_key *k, int64_t now)
{
	return !k->revoked && !(k->expires && k->expires <= now);
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
