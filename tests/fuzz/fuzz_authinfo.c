/* libFuzzer harness: pam_rjh's SSH_AUTH_INFO_0 parser (pam_rjh/auth_info.c) on arbitrary text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pam_rjh/auth_info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	const char *info;
	size_t len;
	int keys;
};

/* Every key handed out is a non-empty word, with no separator, inside the copy of info. */
static int one_key(const char *type, const char *b64, void *ctx)
{
	struct seen *s = ctx;

	if (!*type || !*b64 || strpbrk(type, " \n") || strpbrk(b64, " \n") ||
	    strlen(type) > s->len || strlen(b64) > s->len)
		abort();
	/* Stop after a few, as pam_rjh does at the first key that fails. */
	return ++s->keys == 4 ? 7 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *info = malloc(size + 1);
	struct seen s = {0};
	int rc;

	if (!info)
		return 0;
	memcpy(info, data, size);
	info[size] = '\0';
	s.info = info;
	s.len = strlen(info);
	rc = pam_rjh_auth_info_each(info, one_key, &s);
	/* 0 only after a key; ENOENT only when there was none; a callback's stop comes back. */
	if ((rc == 0 && s.keys == 0) || (rc == RJH_ENOENT && s.keys != 0) ||
	    (rc == 7) != (s.keys == 4))
		abort();
	if (rc != 0 && rc != 7 && rc != RJH_EINVAL && rc != RJH_ENOENT && rc != RJH_ENOMEM)
		abort();
	free(info);
	return 0;
}
