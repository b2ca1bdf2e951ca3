#include "host.h"

#include <stdio.h>
#include <string.h>

#define BANNER_FLAG "--ssh-banner"

const char *connect_host_word(int argc, char *const *argv, const char *orig, char *copy, size_t len,
			      const char **banner_hex)
{
	char *tok[5] = {0}, *save = NULL;
	int n = 0, at = 0;

	*banner_hex = NULL;
	if (argc == 2)
		return argv[1];
	if (argc == 4 && strcmp(argv[1], BANNER_FLAG) == 0) {
		*banner_hex = argv[2];
		return argv[3];
	}
	if (argc != 1 || !orig[0] || len == 0)
		return NULL;
	snprintf(copy, len, "%s", orig);
	for (char *t = strtok_r(copy, " \t", &save); t && n < 5; t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	if (n >= 2 && strcmp(tok[0], "rjh-connect") == 0)
		at = 1;
	if (n - at == 1)
		return tok[at];
	if (n - at == 3 && strcmp(tok[at], BANNER_FLAG) == 0) {
		*banner_hex = tok[at + 1];
		return tok[at + 2];
	}
	return NULL;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int connect_banner_decode(const char *hex, char *out, size_t len)
{
	size_t n = strlen(hex), i;

	/* RFC 4253: at most 255 bytes with its CR LF; the LF is not passed. */
	if (n % 2 || n / 2 < 4 || n / 2 > 254 || n / 2 > len)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (char)(hi << 4 | lo);
		if ((out[i] < 0x20 || out[i] > 0x7e) && !(out[i] == '\r' && i == n / 2 - 1))
			return -1;
	}
	if (memcmp(out, "SSH-", 4) != 0)
		return -1;
	return (int)(n / 2);
}
