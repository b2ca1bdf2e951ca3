#include "key.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wire.h"

enum key_kind { KIND_ED25519, KIND_ECDSA, KIND_RSA };

struct key_type {
	const char *name;
	enum key_kind kind;
	const char *curve; /* ECDSA curve identifier inside the blob */
	int nid;
	bool sk; /* FIDO key: an application string follows */
};

static const struct key_type key_types[] = {
    {"ssh-ed25519", KIND_ED25519, NULL, 0, false},
    {"ecdsa-sha2-nistp256", KIND_ECDSA, "nistp256", NID_X9_62_prime256v1, false},
    {"ecdsa-sha2-nistp384", KIND_ECDSA, "nistp384", NID_secp384r1, false},
    {"ecdsa-sha2-nistp521", KIND_ECDSA, "nistp521", NID_secp521r1, false},
    {"sk-ssh-ed25519@openssh.com", KIND_ED25519, NULL, 0, true},
    {"sk-ecdsa-sha2-nistp256@openssh.com", KIND_ECDSA, "nistp256", NID_X9_62_prime256v1, true},
    {"ssh-rsa", KIND_RSA, NULL, 0, false},
};

/* Bits in a positive mpint, or 0 if it is malformed or negative. */
static unsigned mpint_bits(const unsigned char *s, size_t n, bool *odd)
{
	unsigned bits;

	if (n == 0 || (s[0] & 0x80))
		return 0;
	if (s[0] == 0) {
		/* A leading zero is only allowed to clear the sign bit. */
		if (n < 2 || !(s[1] & 0x80))
			return 0;
		s++;
		n--;
	}
	*odd = s[n - 1] & 1;
	bits = (unsigned)(n * 8);
	for (unsigned char top = s[0]; !(top & 0x80); top <<= 1)
		bits--;
	return bits;
}

/*
 * True when libcrypto's default library context is usable. NB. libcrypto 3.0
 * sets it up on first use and, when an allocation there fails, goes on with a
 * zeroed context: the next EVP or EC call dies on its NULL lock (reproduced
 * with nothing but EVP_Digest(EVP_sha256()) under tests/fault/fault.c: every
 * failure among its first ~50 allocations is a SIGSEGV). Only
 * OSSL_LIB_CTX_get0_global_default() reports that failure, so it goes first.
 */
static bool crypto_ready(void)
{
	return OSSL_LIB_CTX_get0_global_default() != NULL;
}

static bool ec_point_valid(int nid, const unsigned char *q, size_t n)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
	EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
	size_t want = g ? 1 + 2 * (size_t)((EC_GROUP_get_degree(g) + 7) / 8) : 0;
	bool ok = pt && n == want && q[0] == 0x04 && EC_POINT_oct2point(g, pt, q, n, NULL) == 1;

	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return ok;
}

const struct key_type *key_type_find(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++) {
		if (strlen(key_types[i].name) == n && !memcmp(name, key_types[i].name, n))
			return &key_types[i];
	}
	return NULL;
}

const char *key_type_name(const struct key_type *t)
{
	return t->name;
}

int key_read_fields(const struct key_type *t, struct wire_rd *r, uint32_t rsa_min_bits,
		    unsigned *bits_out, struct rjh_diag *d)
{
	const unsigned char *a, *b;
	size_t an, bn;
	bool odd_e = false, odd_n = false;

	*bits_out = 0;
	if (!crypto_ready())
		return diag_set(d, RJH_ESYS, "libcrypto could not initialise (out of memory?)");
	switch (t->kind) {
	case KIND_ED25519:
		if (wire_string(r, &a, &an) < 0 || an != 32)
			return diag_set(d, RJH_EINVAL, "malformed %s key blob", t->name);
		*bits_out = 256;
		break;
	case KIND_ECDSA:
		if (!wire_string_is(r, t->curve) || wire_string(r, &a, &an) < 0)
			return diag_set(d, RJH_EINVAL, "malformed %s key blob", t->name);
		if (!ec_point_valid(t->nid, a, an))
			return diag_set(d, RJH_EINVAL, "%s key is not a valid curve point",
					t->name);
		*bits_out = (unsigned)(an - 1) * 4;
		if (*bits_out == 528)
			*bits_out = 521;
		break;
	case KIND_RSA:
		if (wire_string(r, &a, &an) < 0 || wire_string(r, &b, &bn) < 0 ||
		    mpint_bits(a, an, &odd_e) < 2 || !odd_e)
			return diag_set(d, RJH_EINVAL, "malformed ssh-rsa key blob");
		*bits_out = mpint_bits(b, bn, &odd_n);
		if (*bits_out == 0 || !odd_n)
			return diag_set(d, RJH_EINVAL, "malformed ssh-rsa key blob");
		if (*bits_out < rsa_min_bits)
			return diag_set(d, RJH_EINVAL,
					"RSA key of %u bits is too short (minimum %u)", *bits_out,
					rsa_min_bits);
		if (*bits_out > 16384)
			return diag_set(d, RJH_EINVAL, "RSA key of %u bits is too long (max 16384)",
					*bits_out);
		break;
	}
	if (t->sk && wire_string(r, &a, &an) < 0)
		return diag_set(d, RJH_EINVAL, "malformed %s key blob: no application", t->name);
	return RJH_OK;
}

int key_check_blob(const struct key_type *t, const unsigned char *blob, size_t len,
		   uint32_t rsa_min_bits, unsigned *bits_out, struct rjh_diag *d)
{
	struct wire_rd r = {blob, len};
	int rc;

	*bits_out = 0;
	if (!wire_string_is(&r, t->name))
		return diag_set(d, RJH_EINVAL,
				"the key blob's embedded type differs from the declared type %s",
				t->name);
	rc = key_read_fields(t, &r, rsa_min_bits, bits_out, d);
	if (rc < 0)
		return rc;
	if (r.left != 0)
		return diag_set(d, RJH_EINVAL, "trailing data inside the %s key blob", t->name);
	return RJH_OK;
}

int key_sha256(const unsigned char *blob, size_t len, unsigned char md_out[32])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	memset(md_out, 0, 32);
	if (!crypto_ready() || !EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32)
		return RJH_ESYS;
	memcpy(md_out, md, 32);
	return RJH_OK;
}

int key_fingerprint(const unsigned char *blob, size_t len, char out[KEY_FP_LEN])
{
	unsigned char md[32];
	char enc[64];
	int n;

	if (key_sha256(blob, len, md) < 0)
		return RJH_ESYS;
	n = EVP_EncodeBlock((unsigned char *)enc, md, (int)sizeof(md));
	while (n > 0 && enc[n - 1] == '=')
		n--;
	enc[n] = '\0';
	memcpy(out, "SHA256:", 7);
	memcpy(out + 7, enc, (size_t)n + 1);
	return RJH_OK;
}

/* True when the line at p (len bytes to its end) opens a private key. */
static bool private_header(const char *p, size_t len)
{
	const char *nl = memchr(p, '\n', len);
	size_t n = nl ? (size_t)(nl - p) : len;

	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	if (n >= 10 && !memcmp(p, "-----BEGIN", 10))
		return memmem(p, n, "PRIVATE KEY", 11) != NULL;
	if (n >= 20 && !memcmp(p, "PuTTY-User-Key-File-", 20))
		return true;
	return n >= 15 && !memcmp(p, "---- BEGIN SSH2", 15) && memmem(p, n, "PRIVATE", 7);
}

bool key_text_is_private(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	/* A header opens a line; a key comment that merely says "PRIVATE KEY" is not one. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (private_header(p, (size_t)(end - p)))
			return true;
		p = nl ? nl + 1 : end;
	}
	return false;
}

/* Explains why tok is not an accepted key type, without quoting odd input. */
static int bad_type(const char *tok, size_t n, struct rjh_diag *d)
{
	static const char cert[] = "-cert-v01@openssh.com";
	size_t cl = sizeof(cert) - 1;

	if (n >= 10 && !strncmp(tok, "-----BEGIN", 10))
		return diag_set(d, RJH_EINVAL,
				"PEM-encoded key; give an OpenSSH public key (ssh-keygen -i -f)");
	if (n > cl && !memcmp(tok + n - cl, cert, cl))
		return diag_set(d, RJH_EINVAL, "certificates are not accepted; give the plain key");
	if (n == 7 && !memcmp(tok, "ssh-dss", 7))
		return diag_set(d, RJH_EINVAL, "ssh-dss (DSA) keys are not accepted");
	if (memchr(tok, '=', n) || memchr(tok, ',', n) || memchr(tok, '"', n) ||
	    (n == 8 && !memcmp(tok, "restrict", 8)) || (n > 3 && !memcmp(tok, "no-", 3)))
		return diag_set(d, RJH_EINVAL,
				"the line carries authorized_keys options; give the bare key");
	for (size_t i = 0; i < n; i++) {
		char c = tok[i];

		if (i >= 40 || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
				 c == '@' || c == '.'))
			return diag_set(d, RJH_EINVAL, "not an OpenSSH public key line");
	}
	return diag_set(d, RJH_EINVAL, "unsupported key type %.*s", (int)n, tok);
}

static size_t span_word(const char *s)
{
	return strcspn(s, " \t");
}

static const char *skip_ws(const char *s)
{
	return s + strspn(s, " \t");
}

int key_parse_line(const char *line, uint32_t rsa_min_bits, struct key *out, struct rjh_diag *d)
{
	const struct key_type *t = NULL;
	unsigned char *blob = NULL;
	const char *p, *b64, *cm;
	size_t tn, bn, cn;
	long blen;
	int rc;

	memset(out, 0, sizeof(*out));
	p = skip_ws(line);
	tn = span_word(p);
	t = key_type_find(p, tn);
	if (!t)
		return bad_type(p, tn, d);
	b64 = skip_ws(p + tn);
	bn = span_word(b64);
	if (bn == 0)
		return diag_set(d, RJH_EINVAL, "%s key has no base64 data", t->name);
	if (bn > KEY_B64_MAX)
		return diag_set(d, RJH_EINVAL, "%s key data is too long", t->name);
	blob = malloc(bn);
	if (!blob)
		return diag_set(d, RJH_ENOMEM, "out of memory");
	blen = wire_b64_decode(b64, bn, blob);
	if (blen < 0 || !wire_b64_canonical(b64, bn, blob, (size_t)blen)) {
		rc = diag_set(d, RJH_EINVAL, "%s key data is not valid base64", t->name);
		goto out;
	}
	if (!crypto_ready()) {
		rc = diag_set(d, RJH_ESYS, "libcrypto could not initialise (out of memory?)");
		goto out;
	}
	rc = key_check_blob(t, blob, (size_t)blen, rsa_min_bits, &out->bits, d);
	if (rc < 0)
		goto out;
	cm = skip_ws(b64 + bn);
	cn = strlen(cm);
	while (cn > 0 && (cm[cn - 1] == ' ' || cm[cn - 1] == '\t'))
		cn--;
	if (cn > KEY_COMMENT_MAX) {
		rc = diag_set(d, RJH_EINVAL, "key comment is longer than %d characters",
			      KEY_COMMENT_MAX);
		goto out;
	}
	memcpy(out->comment, cm, cn);
	out->comment[cn] = '\0';
	if (!util_is_printable(out->comment, KEY_COMMENT_MAX)) {
		rc =
		    diag_set(d, RJH_EINVAL, "key comment contains control or non-ASCII characters");
		goto out;
	}
	rc = key_fingerprint(blob, (size_t)blen, out->fp);
	if (rc < 0) {
		diag_set(d, rc, "cannot compute SHA-256");
		goto out;
	}
	out->b64 = strndup(b64, bn);
	if (!out->b64) {
		rc = diag_set(d, RJH_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(out->type, sizeof(out->type), "%s", t->name);
	rc = RJH_OK;
out:
	free(blob);
	if (rc < 0)
		key_clear(out);
	return rc;
}

void key_clear(struct key *k)
{
	free(k->b64);
	memset(k, 0, sizeof(*k));
}

int key_read_file(const char *path, uint32_t rsa_min_bits, struct key *out, struct rjh_diag *d)
{
	char *buf = NULL, *line;
	size_t len = 0, pos = 0;
	unsigned lineno = 0, nkeys = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = util_read_file(path, KEY_FILE_MAX, false, &buf, &len, NULL, d);
	if (rc < 0)
		return rc;
	if (key_text_is_private(buf, len)) {
		rc = diag_set(d, RJH_EINVAL,
			      "%s holds a PRIVATE key; give the public key (.pub) instead", path);
		goto out;
	}
	if (memchr(buf, '\0', len)) {
		rc = diag_set(d, RJH_EINVAL, "%s: contains a NUL byte", path);
		goto out;
	}
	while ((line = util_next_line(buf, len, &pos, NULL)) != NULL) {
		const char *s = skip_ws(line);

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		if (++nkeys > 1) {
			rc = diag_set(d, RJH_EINVAL,
				      "%s:%u: more than one key in the file; give one key per file",
				      path, lineno);
			goto out;
		}
		rc = key_parse_line(s, rsa_min_bits, out, d);
		if (rc < 0) {
			char why[sizeof(d->msg)];

			if (d) {
				snprintf(why, sizeof(why), "%s", d->msg);
				diag_set(d, rc, "%s:%u: %s", path, lineno, why);
			}
			goto out;
		}
	}
	rc = nkeys ? RJH_OK : diag_set(d, RJH_EINVAL, "%s: no key in the file", path);
out:
	if (rc < 0)
		key_clear(out);
	free(buf);
	return rc;
}
