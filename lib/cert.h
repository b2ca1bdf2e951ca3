/*
 * OpenSSH certificates (PROTOCOL.certkeys): the wire format only. The
 * signature is not verified: the caller reads a certificate sshd already
 * accepted (pam_rjh, from SSH_AUTH_INFO_0).
 */
#ifndef RJH_CERT_H
#define RJH_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "key.h"

#define CERT_B64_MAX       (64 * 1024)
#define CERT_KEY_ID_MAX    255
#define CERT_PRINCIPAL_MAX 63
#define CERT_SOURCE_MAX    511
#define CERT_TYPE_USER     1
#define CERT_TYPE_HOST     2

/* Extensions, as bits of struct cert's extensions. */
#define CERT_EXT_PTY     (1u << 0) /* permit-pty */
#define CERT_EXT_AGENT   (1u << 1) /* permit-agent-forwarding */
#define CERT_EXT_PORT    (1u << 2) /* permit-port-forwarding */
#define CERT_EXT_X11     (1u << 3) /* permit-X11-forwarding */
#define CERT_EXT_USER_RC (1u << 4) /* permit-user-rc */

struct cert {
	char type[64];           /* e.g. "ssh-ed25519-cert-v01@openssh.com" */
	char key_type[40];       /* the certified key's plain type, e.g. "ssh-ed25519" */
	char key_fp[KEY_FP_LEN]; /* of the plain key: what ssh-keygen -lf key.pub prints */
	uint64_t serial;
	uint32_t cert_type; /* CERT_TYPE_USER or CERT_TYPE_HOST */
	char key_id[CERT_KEY_ID_MAX + 1];
	unsigned nprincipals;                   /* every principal, printable or not */
	char principal[CERT_PRINCIPAL_MAX + 1]; /* the first, "" when it is bad */
	bool principal_bad; /* some principal is too long or not printable ASCII */
	uint64_t valid_after, valid_before;
	char source_address[CERT_SOURCE_MAX + 1]; /* the critical option's value, "" if none */
	bool force_command;                       /* the critical option is present */
	bool unknown_critical; /* a critical option rjh does not know is present */
	uint32_t extensions;   /* CERT_EXT_* */
	char ca_type[40];
	char ca_fp[KEY_FP_LEN]; /* of the signature key: what ssh-keygen -lf ca.pub prints */
};

/* True when type names a certificate of an accepted key type ("...-cert-v01@openssh.com"). */
bool cert_type_is_cert(const char *type);

/*
 * Parses a certificate blob: every field, no trailing data, the certified
 * key and the CA key checked as key_parse_line checks keys. Returns 0 and
 * fills *out, or RJH_EINVAL (malformed, not a certificate, a key ID that is
 * too long or not printable, a source-address that is too long), RJH_ESYS
 * (libcrypto). The reason never quotes the input.
 */
int cert_parse(const unsigned char *blob, size_t len, struct cert *out, struct rjh_diag *d);

/*
 * cert_parse on canonical base64 b64, whose blob must declare type (the word
 * before it in SSH_AUTH_INFO_0). Returns 0, or as cert_parse and RJH_ENOMEM.
 */
int cert_parse_b64(const char *type, const char *b64, struct cert *out, struct rjh_diag *d);

#endif
