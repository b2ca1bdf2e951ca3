/*
 * Fingerprint syntax, apart from key.c so that programs that only compare
 * fingerprints (the key helper) do not link libcrypto.
 */
#include <string.h>

#include "key.h"

bool key_is_fingerprint(const char *s)
{
	size_t i;

	if (strncmp(s, "SHA256:", 7) != 0 || strlen(s) != KEY_FP_LEN - 1)
		return false;
	for (i = 7; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return false;
	}
	return true;
}
