/*
 * libFuzzer harness: rjh-connect's host word (rjh-connect/host.c) from argv
 * or SSH_ORIGINAL_COMMAND. The input is ARGC-BYTE ORIG [\0 ARGV1]: argc is
 * 1 + the first byte % 3, orig is what follows up to a NUL, argv[1] the rest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "rjh-connect/host.h"

#define ENV_MAX 640 /* rjh-connect/main.c: the longest SSH_ORIGINAL_COMMAND it takes (ORIG_MAX) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *orig, *arg1, copy[ENV_MAX];
	char *argv[4] = {"rjh-connect", NULL, NULL, NULL};
	const char *name, *hex;
	int argc;

	if (size < 1)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	argc = 1 + data[0] % 3;
	orig = buf;
	arg1 = buf + strlen(buf) + (strlen(buf) < size - 1);
	argv[1] = arg1;
	argv[2] = argc == 3 ? arg1 : NULL;
	/* main() takes at most ENV_MAX - 1 bytes of the variable (env_copy). */
	if (strlen(orig) >= ENV_MAX)
		orig[ENV_MAX - 1] = '\0';
	name = connect_host_word(argc, argv, orig, copy, sizeof(copy), &hex);
	if (hex) {
		char banner[256];
		int n = connect_banner_decode(hex, banner, sizeof(banner));

		if (n > 254 || (n >= 0 && memcmp(banner, "SSH-", 4)))
			abort();
	}
	if (name) {
		/* Only argv[1] or a word of the copy, never blank, never with a separator. */
		if (name != arg1 && (name < copy || name >= copy + sizeof(copy)))
			abort();
		if (name != arg1 && (!*name || strpbrk(name, " \t")))
			abort();
		if (argc == 3)
			abort();
		(void)name_is_host(name);
	}
	free(buf);
	return 0;
}
