#include "policy.h"

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
