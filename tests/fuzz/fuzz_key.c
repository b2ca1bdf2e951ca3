/* libFuzzer harness: key_parse_line and the key-file checks on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rjh_diag d;
	struct key k;
	char *line = malloc(size + 1);

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	(void)key_text_is_private(line, size);
	(void)key_is_fingerprint(line);
	if (key_parse_line(line, 2048, &k, &d) == 0) {
		/* Whatever parses must be a canonical, re-parsable key. */
		if (!key_is_fingerprint(k.fp) || strlen(k.b64) > KEY_B64_MAX)
			abort();
		key_clear(&k);
	}
	free(line);
	return 0;
}
