/*
 * libFuzzer harness: pam_rjh's module arguments (pam_rjh/args.c), from the
 * PAM stack's line. The input is the arguments, separated by NUL bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pam_rjh/args.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	const char *argv[MAX_ARGS];
	struct pam_rjh_args a;
	int argc = 0;
	size_t i;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = buf;
	for (i = 0; i < size && argc < MAX_ARGS; i++)
		if (buf[i] == '\0')
			argv[argc++] = buf + i + 1;
	if (pam_rjh_args_parse(argc, argv, &a) == 0) {
		/* Nothing refused, and conf= only an absolute path that fits. */
		if (a.bad[0] || (a.conf && (a.conf[0] != '/' || strlen(a.conf) >= CFG_PATH_MAX)))
			abort();
	} else if (!a.bad[0]) {
		/* A refusal names what it refused: "" only for an empty argument. */
		for (i = 0; i < (size_t)argc && argv[i][0]; i++)
			;
		if (i == (size_t)argc)
			abort();
	}
	for (i = 0; a.bad[i]; i++)
		if (a.bad[i] < 0x20 || a.bad[i] > 0x7e)
			abort();
	free(buf);
	return 0;
}
