/*
 * libFuzzer harness: an import file (rjh-admin import), line by line as
 * cmd_import.c reads it, through admin_import_parse_line
 * (rjh-admin/import_line.c): everything but the registry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "rjh-admin/import_line.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *line;
	size_t pos = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	while ((line = util_next_line(buf, size, &pos, NULL)) != NULL) {
		const char *s = line + strspn(line, " \t");
		struct rjh_diag d;
		struct key k;
		int rc;

		if (*s == '\0' || *s == '#')
			continue;
		rc = admin_import_parse_line(s, 2048, &k, &d);
		/* Accepted: a key with a fingerprint, for a host name. */
		if (rc == 0 && (!key_is_fingerprint(k.fp) || !name_is_host(k.comment)))
			abort();
		if (rc != 0 && rc != RJH_EINVAL && rc != RJH_ENOMEM)
			abort();
		key_clear(&k);
	}
	free(buf);
	return 0;
}
