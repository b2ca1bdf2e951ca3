/*
 * libFuzzer harness: --from CIDR lists (util_parse_cidrs) and the match
 * against PAM_RHOST (util_cidrs_match). The input is LIST [\n ADDR].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reg.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *addr;
	struct reg_host h; /* the registry's column: what a list must fit */
	char again[sizeof(h.cidrs)];
	struct rjh_diag d;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	addr = strchr(buf, '\n');
	if (addr)
		*addr++ = '\0';
	(void)util_cidrs_match(buf, addr ? addr : buf);
	if (util_parse_cidrs(buf, h.cidrs, sizeof(h.cidrs), &d) == 0) {
		/* The canonical form is a fixed point, fits, and matches like the list. */
		if (strlen(h.cidrs) >= sizeof(h.cidrs) ||
		    util_parse_cidrs(h.cidrs, again, sizeof(again), &d) != 0 ||
		    strcmp(again, h.cidrs))
			abort();
		if (addr)
			(void)util_cidrs_match(h.cidrs, addr);
	}
	free(buf);
	return 0;
}
