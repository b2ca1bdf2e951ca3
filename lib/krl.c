#include "krl.h"

#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "wire.h"

#define KRL_MAGIC                      "SSHKRL\n\0"
#define KRL_FORMAT_VERSION             1
#define KRL_SECTION_CERTIFICATES       1
#define KRL_SECTION_FINGERPRINT_SHA256 5
#define KRL_SECTION_CERT_SERIAL_LIST   0x20

struct krl_ca {
	unsigned char *blob;
	size_t len;
	uint64_t *serials;
	size_t n, cap;
};

struct krl {
	struct krl_ca *cas;
	size_t ncas, cacap;
	unsigned char (*hashes)[32];
	size_t nhashes, hashcap;
};

int krl_new(struct krl **krl_out)
{
	*krl_out = calloc(1, sizeof(**krl_out));
	return *krl_out ? RJH_OK : RJH_ENOMEM;
}

void krl_free(struct krl *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->ncas; i++) {
		free(k->cas[i].blob);
		free(k->cas[i].serials);
	}
	free(k->cas);
	free(k->hashes);
	free(k);
}

/* OpenSSH loads a CA key it cannot parse as a failure of the whole KRL: check it first. */
static int ca_blob_ok(const unsigned char *blob, size_t len)
{
	struct wire_rd r = {blob, len};
	const struct key_type *t;
	const unsigned char *s;
	unsigned bits;
	size_t n;

	t = wire_string(&r, &s, &n) < 0 ? NULL : key_type_find((const char *)s, n);
	if (!t)
		return RJH_EINVAL;
	return key_check_blob(t, blob, len, KEY_RSA_SSH_MIN, &bits, NULL);
}

/* The CA entry for blob, added when missing. Returns 0 and sets *ca_out, or RJH_ENOMEM. */
static int ca_entry(struct krl *k, const unsigned char *blob, size_t len, struct krl_ca **ca_out)
{
	struct krl_ca *ca;
	size_t i;

	*ca_out = NULL;
	for (i = 0; i < k->ncas; i++) {
		if (k->cas[i].len == len && !memcmp(k->cas[i].blob, blob, len)) {
			*ca_out = &k->cas[i];
			return RJH_OK;
		}
	}
	if (util_grow(&k->cas, &k->cacap, k->ncas + 1, sizeof(*k->cas), 4) < 0)
		return RJH_ENOMEM;
	ca = &k->cas[k->ncas];
	*ca = (struct krl_ca){malloc(len), len, NULL, 0, 0};
	if (!ca->blob)
		return RJH_ENOMEM;
	memcpy(ca->blob, blob, len);
	k->ncas++;
	*ca_out = ca;
	return RJH_OK;
}

int krl_add_serial(struct krl *k, const unsigned char *ca_blob, size_t ca_len, uint64_t serial)
{
	struct krl_ca *ca;
	int rc;

	if (serial == 0)
		return RJH_EINVAL;
	rc = ca_blob_ok(ca_blob, ca_len);
	if (rc < 0)
		return rc;
	rc = ca_entry(k, ca_blob, ca_len, &ca);
	if (rc < 0)
		return rc;
	if (util_grow(&ca->serials, &ca->cap, ca->n + 1, sizeof(*ca->serials), 16) < 0)
		return RJH_ENOMEM;
	ca->serials[ca->n++] = serial;
	return RJH_OK;
}

int krl_add_key_sha256(struct krl *k, const unsigned char hash[32])
{
	if (util_grow(&k->hashes, &k->hashcap, k->nhashes + 1, sizeof(*k->hashes), 16) < 0)
		return RJH_ENOMEM;
	memcpy(k->hashes[k->nhashes++], hash, 32);
	return RJH_OK;
}

int krl_add_key_blob(struct krl *k, const unsigned char *blob, size_t len)
{
	unsigned char md[32];

	if (key_sha256(blob, len, md) < 0)
		return RJH_ESYS;
	return krl_add_key_sha256(k, md);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* Orders CAs by blob bytes, a prefix before what it prefixes. */
static int cmp_ca(const void *a, const void *b)
{
	const struct krl_ca *x = *(const struct krl_ca *const *)a;
	const struct krl_ca *y = *(const struct krl_ca *const *)b;
	int c = memcmp(x->blob, y->blob, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Appends section type and its data as a string. */
static int put_section(struct util_buf *b, uint8_t type, const struct util_buf *data)
{
	int rc = wire_put_u8(b, type);

	return rc < 0 ? rc : wire_put_string(b, data->p, data->len);
}

/* A KRL_SECTION_CERTIFICATES for ca: its key, reserved, one sorted serial list. */
static int put_ca(struct util_buf *b, const struct krl_ca *ca)
{
	struct util_buf sect = {NULL, 0, 0}, list = {NULL, 0, 0};
	uint64_t *s = malloc(ca->n * sizeof(*s));
	size_t i;
	int rc = RJH_ENOMEM;

	if (!s)
		goto out;
	memcpy(s, ca->serials, ca->n * sizeof(*s));
	qsort(s, ca->n, sizeof(*s), cmp_u64);
	for (i = 0; i < ca->n; i++) {
		if ((i == 0 || s[i] != s[i - 1]) && (rc = wire_put_u64(&list, s[i])) < 0)
			goto out;
	}
	if ((rc = wire_put_string(&sect, ca->blob, ca->len)) < 0 ||
	    (rc = wire_put_string(&sect, "", 0)) < 0 ||
	    (rc = put_section(&sect, KRL_SECTION_CERT_SERIAL_LIST, &list)) < 0)
		goto out;
	rc = put_section(b, KRL_SECTION_CERTIFICATES, &sect);
out:
	free(s);
	util_buf_free(&list);
	util_buf_free(&sect);
	return rc;
}

/* The KRL_SECTION_FINGERPRINT_SHA256, hashes in numeric order; none when there are none. */
static int put_hashes(struct util_buf *b, const struct krl *k)
{
	struct util_buf sect = {NULL, 0, 0};
	unsigned char(*h)[32];
	size_t i;
	int rc = RJH_ENOMEM;

	if (k->nhashes == 0)
		return RJH_OK;
	h = malloc(k->nhashes * sizeof(*h));
	if (!h)
		return RJH_ENOMEM;
	memcpy(h, k->hashes, k->nhashes * sizeof(*h));
	qsort(h, k->nhashes, sizeof(*h), cmp_hash);
	for (i = 0; i < k->nhashes; i++) {
		if ((i == 0 || memcmp(h[i], h[i - 1], 32) != 0) &&
		    (rc = wire_put_string(&sect, h[i], 32)) < 0)
			goto out;
	}
	rc = put_section(b, KRL_SECTION_FINGERPRINT_SHA256, &sect);
out:
	free(h);
	util_buf_free(&sect);
	return rc;
}

int krl_write(const struct krl *k, uint64_t version, uint64_t generated, struct util_buf *out)
{
	struct util_buf b = {NULL, 0, 0};
	const struct krl_ca **cas = NULL;
	size_t i;
	int rc = RJH_ENOMEM;

	*out = (struct util_buf){NULL, 0, 0};
	cas = malloc((k->ncas + 1) * sizeof(*cas)); /* + 1: never malloc(0) */
	if (!cas)
		goto out;
	for (i = 0; i < k->ncas; i++)
		cas[i] = &k->cas[i];
	qsort(cas, k->ncas, sizeof(*cas), cmp_ca);
	if ((rc = util_buf_put(&b, KRL_MAGIC, 8)) < 0 ||
	    (rc = wire_put_u32(&b, KRL_FORMAT_VERSION)) < 0 ||
	    (rc = wire_put_u64(&b, version)) < 0 || (rc = wire_put_u64(&b, generated)) < 0 ||
	    (rc = wire_put_u64(&b, 0)) < 0 || (rc = wire_put_string(&b, "", 0)) < 0 ||
	    (rc = wire_put_string(&b, "", 0)) < 0)
		goto out;
	for (i = 0; i < k->ncas; i++) {
		/* None when krl_add_serial ran out of memory after adding the CA. */
		if (cas[i]->n > 0 && (rc = put_ca(&b, cas[i])) < 0)
			goto out;
	}
	if ((rc = put_hashes(&b, k)) < 0)
		goto out;
	*out = b;
	b = (struct util_buf){NULL, 0, 0};
out:
	free(cas);
	util_buf_free(&b);
	return rc;
}
