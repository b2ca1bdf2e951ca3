#include "wire.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

int wire_u32(struct wire_rd *r, uint32_t *v_out)
{
	*v_out = 0;
	if (r->left < 4)
		return RJH_EINVAL;
	*v_out =
	    (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return RJH_OK;
}

int wire_u64(struct wire_rd *r, uint64_t *v_out)
{
	uint32_t hi, lo;

	*v_out = 0;
	if (r->left < 8)
		return RJH_EINVAL;
	(void)wire_u32(r, &hi);
	(void)wire_u32(r, &lo);
	*v_out = (uint64_t)hi << 32 | lo;
	return RJH_OK;
}

int wire_string(struct wire_rd *r, const unsigned char **s_out, size_t *len_out)
{
	struct wire_rd t = *r;
	uint32_t n;

	*s_out = NULL;
	*len_out = 0;
	if (wire_u32(&t, &n) < 0 || n > t.left)
		return RJH_EINVAL;
	*s_out = t.p;
	*len_out = n;
	r->p = t.p + n;
	r->left = t.left - n;
	return RJH_OK;
}

bool wire_string_is(struct wire_rd *r, const char *want)
{
	const unsigned char *s;
	size_t n;

	return wire_string(r, &s, &n) == 0 && n == strlen(want) && memcmp(s, want, n) == 0;
}

int wire_put_u8(struct util_buf *b, uint8_t v)
{
	return util_buf_put(b, &v, 1);
}

int wire_put_u32(struct util_buf *b, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 8), (unsigned char)v};

	return util_buf_put(b, x, sizeof(x));
}

int wire_put_u64(struct util_buf *b, uint64_t v)
{
	int rc = wire_put_u32(b, (uint32_t)(v >> 32));

	return rc < 0 ? rc : wire_put_u32(b, (uint32_t)v);
}

int wire_put_string(struct util_buf *b, const void *s, size_t n)
{
	int rc;

	if (n > UINT32_MAX)
		return RJH_EINVAL;
	rc = wire_put_u32(b, (uint32_t)n);
	return rc < 0 ? rc : util_buf_put(b, s, n);
}

long wire_b64_decode(const char *s, size_t n, unsigned char *out)
{
	size_t pad = 0, i;
	int got;

	if (n == 0 || n % 4 != 0 || n > INT32_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '=') {
			if (i < n - 2)
				return -1;
			pad++;
		} else if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				    (c >= '0' && c <= '9') || c == '+' || c == '/')) {
			return -1;
		}
	}
	got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (got < 0 || (size_t)got < pad)
		return -1;
	return (long)((size_t)got - pad);
}

bool wire_b64_canonical(const char *s, size_t n, const unsigned char *blob, size_t len)
{
	char *enc = malloc(n + 1);
	bool same = enc && (size_t)EVP_EncodeBlock((unsigned char *)enc, blob, (int)len) == n &&
		    memcmp(enc, s, n) == 0;

	free(enc);
	return same;
}
