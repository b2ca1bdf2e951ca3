/* libFuzzer harness: the rjh.conf parser on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rjh_diag d;
	struct cfg c;
	char *buf = malloc(size + 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	cfg_defaults(&c);
	if (cfg_parse("fuzz", buf, size, &c, &d) == 0) {
		/* Whatever is accepted must satisfy the parser's own invariants. */
		if (c.uid_min > c.uid_max || c.registry[0] != '/' || c.runtime_dir[0] != '/')
			abort();
	}
	free(buf);
	return 0;
}
