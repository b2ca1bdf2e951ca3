/*
 * OpenSSH key revocation lists (PROTOCOL.krl), written without ssh-keygen:
 * certificate serials per CA and SHA256 hashes of plain keys, the file sshd's
 * RevokedKeys and ssh-keygen -Q read.
 */
#ifndef RJH_KRL_H
#define RJH_KRL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

struct krl; /* a KRL being built */

/* A new, empty KRL. Returns 0 and sets *krl_out (free with krl_free), or RJH_ENOMEM. */
int krl_new(struct krl **krl_out);

/*
 * Revokes serial of the certificates signed by the CA whose plain public key
 * blob is ca_blob. Returns 0, RJH_EINVAL (serial 0, which OpenSSH never
 * revokes, or not an accepted plain key blob), RJH_ESYS (libcrypto) or
 * RJH_ENOMEM.
 */
int krl_add_serial(struct krl *k, const unsigned char *ca_blob, size_t ca_len, uint64_t serial);

/* Revokes the plain key whose blob's SHA256 is hash, and every certificate of it. 0 or RJH_ENOMEM.
 */
int krl_add_key_sha256(struct krl *k, const unsigned char hash[32]);

/* krl_add_key_sha256 of the plain key blob given. 0, RJH_ESYS or RJH_ENOMEM. */
int krl_add_key_blob(struct krl *k, const unsigned char *blob, size_t len);

/*
 * Serialises k with the given KRL version and generation time (seconds since
 * the epoch): the same additions in any order give the same bytes (CAs,
 * serials and hashes sorted, duplicates dropped). Returns 0 and sets *out
 * (free with util_buf_free), or RJH_ENOMEM.
 */
int krl_write(const struct krl *k, uint64_t version, uint64_t generated, struct util_buf *out);

/* Frees k (NULL is fine). */
void krl_free(struct krl *k);

#endif
