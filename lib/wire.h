/*
 * The SSH wire format (RFC 4251 section 5) and strict base64: what key.c,
 * cert.c and krl.c all read or write. Internal to lib/.
 */
#ifndef RJH_WIRE_H
#define RJH_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* A cursor over a wire-format blob: the bytes not read yet. */
struct wire_rd {
	const unsigned char *p;
	size_t left;
};

/* Reads a big-endian uint32/uint64. Returns 0, or RJH_EINVAL (too short; r unchanged). */
int wire_u32(struct wire_rd *r, uint32_t *v_out);
int wire_u64(struct wire_rd *r, uint64_t *v_out);

/*
 * Reads a string: *s_out points into the blob (not NUL-terminated), *len_out
 * its length. Returns 0, or RJH_EINVAL (truncated; r unchanged).
 */
int wire_string(struct wire_rd *r, const unsigned char **s_out, size_t *len_out);

/* Reads a string; true when it was read and equals want. */
bool wire_string_is(struct wire_rd *r, const char *want);

/* Appends a byte, a big-endian uint32/uint64, or a string. Returns 0 or RJH_ENOMEM. */
int wire_put_u8(struct util_buf *b, uint8_t v);
int wire_put_u32(struct util_buf *b, uint32_t v);
int wire_put_u64(struct util_buf *b, uint64_t v);
int wire_put_string(struct util_buf *b, const void *s, size_t n);

/*
 * Strict base64 of n characters at s (whole quads, padding only at the end)
 * into out (at least n bytes). Returns the decoded length, or -1.
 */
long wire_b64_decode(const char *s, size_t n, unsigned char *out);

/*
 * True when s (n characters) is the one canonical encoding of blob: the
 * bits after the last byte must be zero, or one blob would have two texts.
 */
bool wire_b64_canonical(const char *s, size_t n, const unsigned char *blob, size_t len);

#endif
