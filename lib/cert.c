#include "cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wire.h"

static const char cert_suffix[] = "-cert-v01@openssh.com";

/* The plain key type of certificate type name (n bytes), or NULL when it is none. */
static const struct key_type *cert_base(const char *name, size_t n)
{
	size_t sl = sizeof(cert_suffix) - 1, bn;
	char plain[64];

	if (n <= sl || memcmp(name + n - sl, cert_suffix, sl) != 0)
		return NULL;
	bn = n - sl;
	/* "sk-ssh-ed25519@openssh.com" certifies as "sk-ssh-ed25519-cert-v01@openssh.com". */
	if (bn >= 3 && !memcmp(name, "sk-", 3)) {
		if (snprintf(plain, sizeof(plain), "%.*s@openssh.com", (int)bn, name) >=
		    (int)sizeof(plain))
			return NULL;
		return key_type_find(plain, strlen(plain));
	}
	return key_type_find(name, bn);
}

bool cert_type_is_cert(const char *type)
{
	return cert_base(type, strlen(type)) != NULL;
}

/* Copies n bytes of s into dst as a string when they fit and are printable ASCII. */
static bool copy_text(char *dst, size_t size, const unsigned char *s, size_t n)
{
	if (n >= size || memchr(s, '\0', n))
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	if (util_is_printable(dst, size - 1))
		return true;
	dst[0] = '\0';
	return false;
}

/* True when the n bytes at s are the name want. */
static bool name_is(const unsigned char *s, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* Type, nonce and the certified key; fingerprints the key as its plain blob. */
static int read_key(struct wire_rd *r, struct cert *out, struct rjh_diag *d)
{
	struct util_buf plain = {NULL, 0, 0};
	const struct key_type *t;
	const unsigned char *s, *start;
	size_t n;
	unsigned bits;
	int rc;

	if (wire_string(r, &s, &n) < 0)
		return diag_set(d, RJH_EINVAL, "certificate: truncated type");
	t = cert_base((const char *)s, n);
	if (!t || n >= sizeof(out->type))
		return diag_set(d, RJH_EINVAL, "not a certificate of an accepted key type");
	memcpy(out->type, s, n);
	snprintf(out->key_type, sizeof(out->key_type), "%s", key_type_name(t));
	if (wire_string(r, &s, &n) < 0)
		return diag_set(d, RJH_EINVAL, "certificate: truncated nonce");
	start = r->p;
	rc = key_read_fields(t, r, KEY_RSA_SSH_MIN, &bits, d);
	if (rc < 0)
		return rc;
	if (wire_put_string(&plain, out->key_type, strlen(out->key_type)) < 0 ||
	    util_buf_put(&plain, start, (size_t)(r->p - start)) < 0) {
		rc = diag_set(d, RJH_ENOMEM, "out of memory");
		goto out;
	}
	rc = key_fingerprint(plain.p, plain.len, out->key_fp);
	if (rc < 0)
		diag_set(d, rc, "cannot compute SHA-256");
out:
	util_buf_free(&plain);
	return rc;
}

/* The packed list of principals: counts them all, keeps the first. */
static int read_principals(const unsigned char *list, size_t len, struct cert *out,
			   struct rjh_diag *d)
{
	struct wire_rd r = {list, len};
	char tmp[CERT_PRINCIPAL_MAX + 1];
	const unsigned char *s;
	size_t n;

	while (r.left > 0) {
		if (wire_string(&r, &s, &n) < 0)
			return diag_set(d, RJH_EINVAL, "certificate: malformed principals");
		if (!copy_text(out->nprincipals ? tmp : out->principal, sizeof(tmp), s, n))
			out->principal_bad = true;
		out->nprincipals++;
	}
	return RJH_OK;
}

/* The value of source-address or force-command: a string holding one string. */
static int option_value(const unsigned char *data, size_t len, const unsigned char **s_out,
			size_t *n_out)
{
	struct wire_rd r = {data, len};

	if (wire_string(&r, s_out, n_out) < 0 || r.left != 0)
		return RJH_EINVAL;
	return RJH_OK;
}

static int read_critical(const unsigned char *list, size_t len, struct cert *out,
			 struct rjh_diag *d)
{
	struct wire_rd r = {list, len};
	const unsigned char *name, *data, *s;
	size_t nn, dn, n;
	bool source = false;

	while (r.left > 0) {
		if (wire_string(&r, &name, &nn) < 0 || wire_string(&r, &data, &dn) < 0)
			return diag_set(d, RJH_EINVAL, "certificate: malformed critical options");
		if (name_is(name, nn, "source-address")) {
			if (source || option_value(data, dn, &s, &n) < 0)
				return diag_set(d, RJH_EINVAL,
						"certificate: malformed source-address");
			if (!copy_text(out->source_address, sizeof(out->source_address), s, n))
				return diag_set(d, RJH_EINVAL,
						"certificate: source-address is longer than %d "
						"characters or not printable",
						CERT_SOURCE_MAX);
			source = true;
		} else if (name_is(name, nn, "force-command")) {
			if (out->force_command || option_value(data, dn, &s, &n) < 0)
				return diag_set(d, RJH_EINVAL,
						"certificate: malformed force-command");
			out->force_command = true;
		} else {
			out->unknown_critical = true;
		}
	}
	return RJH_OK;
}

static int read_extensions(const unsigned char *list, size_t len, struct cert *out,
			   struct rjh_diag *d)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} known[] = {
	    {"permit-pty", CERT_EXT_PTY},
	    {"permit-agent-forwarding", CERT_EXT_AGENT},
	    {"permit-port-forwarding", CERT_EXT_PORT},
	    {"permit-X11-forwarding", CERT_EXT_X11},
	    {"permit-user-rc", CERT_EXT_USER_RC},
	};
	struct wire_rd r = {list, len};
	const unsigned char *name, *data;
	size_t nn, dn, i;

	while (r.left > 0) {
		if (wire_string(&r, &name, &nn) < 0 || wire_string(&r, &data, &dn) < 0)
			return diag_set(d, RJH_EINVAL, "certificate: malformed extensions");
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			if (name_is(name, nn, known[i].name))
				out->extensions |= known[i].bit;
		}
	}
	return RJH_OK;
}

/* Serial, type, key ID, principals, validity, critical options and extensions. */
static int read_body(struct wire_rd *r, struct cert *out, struct rjh_diag *d)
{
	const unsigned char *s, *crit, *ext;
	size_t n, critn, extn;
	int rc;

	if (wire_u64(r, &out->serial) < 0 || wire_u32(r, &out->cert_type) < 0)
		return diag_set(d, RJH_EINVAL, "certificate: truncated serial or type");
	if (out->cert_type != CERT_TYPE_USER && out->cert_type != CERT_TYPE_HOST)
		return diag_set(d, RJH_EINVAL, "certificate: unknown certificate type %u",
				out->cert_type);
	if (wire_string(r, &s, &n) < 0)
		return diag_set(d, RJH_EINVAL, "certificate: truncated key ID");
	if (!copy_text(out->key_id, sizeof(out->key_id), s, n))
		return diag_set(d, RJH_EINVAL,
				"certificate: key ID is longer than %d characters or not printable",
				CERT_KEY_ID_MAX);
	if (wire_string(r, &s, &n) < 0)
		return diag_set(d, RJH_EINVAL, "certificate: truncated principals");
	rc = read_principals(s, n, out, d);
	if (rc < 0)
		return rc;
	if (wire_u64(r, &out->valid_after) < 0 || wire_u64(r, &out->valid_before) < 0 ||
	    wire_string(r, &crit, &critn) < 0 || wire_string(r, &ext, &extn) < 0)
		return diag_set(d, RJH_EINVAL, "certificate: truncated validity or options");
	rc = read_critical(crit, critn, out, d);
	return rc < 0 ? rc : read_extensions(ext, extn, out, d);
}

/* Reserved, the CA's key and the signature, and nothing after it. */
static int read_signer(struct wire_rd *r, struct cert *out, struct rjh_diag *d)
{
	const unsigned char *s, *ca;
	size_t n, can;
	const struct key_type *t;
	struct wire_rd k;
	unsigned bits;
	int rc;

	if (wire_string(r, &s, &n) < 0 || wire_string(r, &ca, &can) < 0)
		return diag_set(d, RJH_EINVAL, "certificate: truncated signature key");
	k = (struct wire_rd){ca, can};
	t = wire_string(&k, &s, &n) < 0 ? NULL : key_type_find((const char *)s, n);
	if (!t)
		return diag_set(d, RJH_EINVAL, "certificate: the CA key's type is not accepted");
	rc = key_check_blob(t, ca, can, KEY_RSA_SSH_MIN, &bits, d);
	if (rc < 0)
		return rc;
	snprintf(out->ca_type, sizeof(out->ca_type), "%s", key_type_name(t));
	rc = key_fingerprint(ca, can, out->ca_fp);
	if (rc < 0)
		return diag_set(d, rc, "cannot compute SHA-256");
	if (wire_string(r, &s, &n) < 0 || n == 0)
		return diag_set(d, RJH_EINVAL, "certificate: no signature");
	if (r->left != 0)
		return diag_set(d, RJH_EINVAL, "certificate: trailing data after the signature");
	return RJH_OK;
}

int cert_parse(const unsigned char *blob, size_t len, struct cert *out, struct rjh_diag *d)
{
	struct wire_rd r = {blob, len};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_key(&r, out, d);
	if (rc == 0)
		rc = read_body(&r, out, d);
	if (rc == 0)
		rc = read_signer(&r, out, d);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int cert_parse_b64(const char *type, const char *b64, struct cert *out, struct rjh_diag *d)
{
	unsigned char *blob = NULL;
	size_t n = strlen(b64);
	long blen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!cert_type_is_cert(type))
		return diag_set(d, RJH_EINVAL, "not a certificate of an accepted key type");
	if (n > CERT_B64_MAX)
		return diag_set(d, RJH_EINVAL, "certificate data is too long");
	blob = malloc(n ? n : 1);
	if (!blob)
		return diag_set(d, RJH_ENOMEM, "out of memory");
	blen = wire_b64_decode(b64, n, blob);
	if (blen < 0 || !wire_b64_canonical(b64, n, blob, (size_t)blen)) {
		rc = diag_set(d, RJH_EINVAL, "certificate data is not valid base64");
		goto out;
	}
	rc = cert_parse(blob, (size_t)blen, out, d);
	if (rc == 0 && strcmp(out->type, type) != 0) {
		memset(out, 0, sizeof(*out));
		rc = diag_set(d, RJH_EINVAL,
			      "the certificate's embedded type differs from the declared type");
	}
out:
	free(blob);
	return rc;
}
