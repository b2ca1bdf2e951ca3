/*
 * libFuzzer harness: the time and size strings of the command line and
 * rjh.conf: --expires DATE (util_parse_time), ages (util_parse_age) and
 * sizes (util_parse_size).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), back[64];
	struct rjh_diag d;
	uint64_t bytes;
	int64_t t, t2;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (util_parse_time(s, &t, &d) == 0) {
		/* From 1970, and what util_fmt_time prints reads back as the same second. */
		util_fmt_time(t, back, sizeof(back));
		if (t < 0 || util_parse_time(back, &t2, &d) != 0 || t2 != t)
			abort();
	}
	/* 1 to 9 digits and a unit: positive, at most 999999999 weeks. */
	if (util_parse_age(s, &t) == 0 && (t < 0 || t > 999999999LL * 7 * 86400))
		abort();
	if (util_parse_size(s, &bytes) == 0 && bytes > 999999999ULL << 30)
		abort();
	free(s);
	return 0;
}
