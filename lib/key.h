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
#define KEY_FP_LEN      51   /* "SHA256:" + 43 + NUL */
#define KEY_RSA_SSH_MIN 1024 /* OpenSSH refuses shorter RSA keys in any blob */

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

/* The raw SHA256 of a blob (what a KRL lists). Returns 0 or RJH_ESYS. */
int key_sha256(const unsigned char *blob, size_t len, unsigned char md_out[32]);

/* SHA256 fingerprint of a raw blob, as ssh-keygen -l -E sha256 prints it. */
int key_fingerprint(const unsigned char *blob, size_t len, char out[KEY_FP_LEN]);

/* True when s looks like a fingerprint ("SHA256:" + 43 base64 characters). */
bool key_is_fingerprint(const char *s);

/*
 * For lib/ only (cert.c reads the key inside a certificate): an accepted
 * plain key type, its fields, and a whole blob.
 */
struct key_type;
struct wire_rd;

/* The accepted plain key type named by the n bytes at name, or NULL. */
const struct key_type *key_type_find(const char *name, size_t n);

/* The type's name, e.g. "ssh-ed25519". */
const char *key_type_name(const struct key_type *t);

/*
 * Reads and checks the key fields of type t that follow the type string at
 * cursor r, as key_parse_line checks them. Returns 0 and sets *bits_out, or
 * RJH_EINVAL/RJH_ESYS.
 */
int key_read_fields(const struct key_type *t, struct wire_rd *r, uint32_t rsa_min_bits,
		    unsigned *bits_out, struct rjh_diag *d);

/* Checks a whole plain key blob of type t (no trailing data). Returns 0 or as key_read_fields. */
int key_check_blob(const struct key_type *t, const unsigned char *blob, size_t len,
		   uint32_t rsa_min_bits, unsigned *bits_out, struct rjh_diag *d);

#endif
