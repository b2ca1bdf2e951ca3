/* OpenSSH public keys: parsing, validation and fingerprints. */
#ifndef RJH_KEY_H
#define RJH_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define KEY_FILE_MAX    (64 * 1024)
#define KEY_B64_MAX     8192
#define KEY_COMMENT_MAX 255
#define KEY_FP_LEN      51 /* "SHA256:" + 43 + NUL */

struct key {
	char type[40];       /* e.g. "ssh-ed25519" */
	char *b64;           /* the base64 blob, canonical; owned */
	char fp[KEY_FP_LEN]; /* "SHA256:" + unpadded base64, as sshd's %f */
	char comment[KEY_COMMENT_MAX + 1];
	unsigned bits; /* RSA modulus or curve size */
};

/*
 * Parses one authorized_keys-style line "TYPE BASE64 [COMMENT]" and checks
 * it fully: accepted type, strict base64, embedded type, no trailing data,
 * a valid EC point, an RSA modulus of at least rsa_min_bits. Returns 0 and
 * fills *out (free with key_clear), or RJH_EINVAL with a reason that never
 * quotes the input.
 */
int key_parse_line(const char *line, uint32_t rsa_min_bits, struct key *out, struct rjh_diag *d);

/* Releases what a parsed key owns and zeroes it. */
void key_clear(struct key *k);

/* True when buf holds private key material (OpenSSH, PEM, PKCS#8, PuTTY). */
bool key_text_is_private(const char *buf, size_t len);

/*
 * Reads a key file (at most 64 KiB) holding exactly one public key, e.g. a
 * host's id_ed25519.pub. Blank lines and # comments are skipped; CRLF is
 * accepted. Returns 0 and fills *out, or RJH_EINVAL/RJH_ENOENT/RJH_ESYS.
 */
int key_read_file(const char *path, uint32_t rsa_min_bits, struct key *out, struct rjh_diag *d);

/* SHA256 fingerprint of a raw blob, as ssh-keygen -l -E sha256 prints it. */
int key_fingerprint(const unsigned char *blob, size_t len, char out[KEY_FP_LEN]);

/* True when s looks like a fingerprint ("SHA256:" + 43 base64 characters). */
bool key_is_fingerprint(const char *s);

#endif
