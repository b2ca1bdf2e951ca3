/*
 * Unit tests for lib/krl.c: KRLs written by krl_write and judged by the real
 * ssh-keygen -Q on keys and certificates it made itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "krl.h"
#include "tmpdir.h"

/* Runs a shell command quietly; returns its exit status, or -1. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int n, st;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *const keys[][2] = {
    {"ca1", "-t ed25519"},    {"ca2", "-t ecdsa -b 256"}, {"u1", "-t ed25519"},
    {"u2", "-t rsa -b 2048"}, {"k3", "-t ecdsa -b 384"},
};

/* Certificate NAME of key KEY by CA with serial, as tmpdir/NAME-cert.pub. */
static const struct {
	const char *name, *key, *ca;
	unsigned serial;
} certs[] = {
    {"c17_ca1", "u1", "ca1", 17},
    {"c18_ca1", "u1", "ca1", 18},
    {"c17_ca2", "u2", "ca2", 17},
    {"c99_k3", "k3", "ca2", 99},
};

static int group_setup(void **state)
{
	size_t i;

	(void)state;
	if (tmpdir_make("krl") < 0)
		return -1;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (run("ssh-keygen -q -N '' %s -C c -f %s/%s </dev/null >/dev/null", keys[i][1],
			tmpdir, keys[i][0]) != 0)
			return -1;
	}
	for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		if (run("cp %s/%s.pub %s/%s.pub && ssh-keygen -q -s %s/%s -I id -n p -z %u "
			"%s/%s.pub >/dev/null 2>&1",
			tmpdir, certs[i].key, tmpdir, certs[i].name, tmpdir, certs[i].ca,
			certs[i].serial, tmpdir, certs[i].name) != 0)
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

/* Decodes base64 (padded or not) into out; returns the length. */
static size_t unb64(const char *s, unsigned char *out, size_t size)
{
	char buf[8192];
	size_t n = strlen(s), pad = 0;
	int got;

	assert_true(n + 3 < sizeof(buf) && (n + 3) / 4 * 3 <= size);
	memcpy(buf, s, n);
	while (n % 4)
		buf[n++] = '=';
	buf[n] = '\0';
	while (pad < n && buf[n - 1 - pad] == '=')
		pad++;
	got = EVP_DecodeBlock(out, (const unsigned char *)buf, (int)n);
	assert_true(got >= (int)pad);
	return (size_t)got - pad;
}

/* The key blob of tmpdir/NAME.pub. */
static size_t pub_blob(const char *name, unsigned char *out, size_t size)
{
	char path[256], line[8192], b64[8192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.pub", tmpdir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(sscanf(line, "%*s %8191s", b64), 1);
	return unb64(b64, out, size);
}

/* The SHA256 of tmpdir/NAME.pub's key, from ssh-keygen -l's fingerprint. */
static void pub_sha256(const char *name, unsigned char md[32])
{
	char cmd[256], line[512], fp[128];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ssh-keygen -l -E sha256 -f %s/%s.pub", tmpdir, name);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(pclose(f), 0);
	assert_int_equal(sscanf(line, "%*u SHA256:%127s", fp), 1);
	assert_int_equal(unb64(fp, md, 33), 32);
}

/* Writes k to tmpdir/krl. */
static void write_krl(const struct krl *k, struct util_buf *b)
{
	char path[256];
	FILE *f;

	assert_int_equal(krl_write(k, 7, 1700000000, b), RJH_OK);
	snprintf(path, sizeof(path), "%s/krl", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(b->p, 1, b->len, f), b->len);
	assert_int_equal(fclose(f), 0);
}

/* True when ssh-keygen -Q says tmpdir/NAME.pub is revoked by tmpdir/krl; fails on errors. */
static bool revoked(const char *name)
{
	int rc = run("ssh-keygen -Q -f %s/krl %s/%s.pub 2>&1 | grep -q ': REVOKED$'", tmpdir,
		     tmpdir, name);
	int st = run("ssh-keygen -Q -f %s/krl %s/%s.pub >/dev/null 2>&1", tmpdir, tmpdir, name);

	/* Exit 1 with REVOKED; exit 0 with ok; anything else is a KRL it could not load. */
	if (rc == 0)
		assert_int_equal(st, 1);
	else
		assert_int_equal(st, 0);
	return rc == 0;
}

static const char *const all_files[] = {
    "u1", "u2", "k3", "ca1", "c17_ca1-cert", "c18_ca1-cert", "c17_ca2-cert", "c99_k3-cert"};

static void test_empty(void **state)
{
	struct util_buf b;
	struct krl *k;
	size_t i;

	(void)state;
	assert_int_equal(krl_new(&k), RJH_OK);
	write_krl(k, &b);
	/* The header alone. */
	assert_int_equal(b.len, 8 + 4 + 8 + 8 + 8 + 4 + 4);
	assert_memory_equal(b.p, "SSHKRL\n\0", 8);
	for (i = 0; i < sizeof(all_files) / sizeof(all_files[0]); i++)
		assert_false(revoked(all_files[i]));
	util_buf_free(&b);
	krl_free(k);
}

static void test_serials(void **state)
{
	unsigned char ca1[1024], ca2[1024];
	size_t n1 = pub_blob("ca1", ca1, sizeof(ca1)), n2 = pub_blob("ca2", ca2, sizeof(ca2));
	struct util_buf b;
	struct krl *k;

	(void)state;
	assert_int_equal(krl_new(&k), RJH_OK);
	assert_int_equal(krl_add_serial(k, ca1, n1, 17), RJH_OK);
	assert_int_equal(krl_add_serial(k, ca1, n1, 1000), RJH_OK);
	assert_int_equal(krl_add_serial(k, ca2, n2, 5), RJH_OK);
	assert_int_equal(krl_add_serial(k, ca2, n2, 99), RJH_OK);
	write_krl(k, &b);
	assert_true(revoked("c17_ca1-cert"));
	assert_false(revoked("c18_ca1-cert"));
	assert_false(revoked("c17_ca2-cert")); /* the same serial from the other CA */
	assert_true(revoked("c99_k3-cert"));
	assert_false(revoked("u1"));
	assert_false(revoked("k3"));
	util_buf_free(&b);
	krl_free(k);
}

static void test_keys(void **state)
{
	unsigned char blob[4096], md[32];
	size_t n = pub_blob("k3", blob, sizeof(blob));
	struct util_buf b;
	struct krl *k;

	(void)state;
	assert_int_equal(krl_new(&k), RJH_OK);
	assert_int_equal(krl_add_key_blob(k, blob, n), RJH_OK);
	write_krl(k, &b);
	assert_true(revoked("k3"));
	assert_true(revoked("c99_k3-cert")); /* a certificate on the revoked key */
	assert_false(revoked("u1"));
	assert_false(revoked("c17_ca1-cert"));
	util_buf_free(&b);

	/* By the hash ssh-keygen -l prints, among many others. */
	pub_sha256("u2", md);
	for (unsigned i = 0; i < 40; i++) {
		unsigned char other[32];

		memset(other, (int)(i * 37), sizeof(other));
		other[0] = (unsigned char)(i * 101);
		assert_int_equal(krl_add_key_sha256(k, other), RJH_OK);
	}
	assert_int_equal(krl_add_key_sha256(k, md), RJH_OK);
	write_krl(k, &b);
	assert_true(revoked("u2"));
	assert_true(revoked("c17_ca2-cert"));
	assert_true(revoked("k3"));
	assert_false(revoked("u1"));
	assert_false(revoked("c18_ca1-cert"));
	util_buf_free(&b);
	krl_free(k);
}

/* The same additions in another order, with duplicates, give the same bytes. */
static void test_deterministic(void **state)
{
	unsigned char ca1[1024], ca2[1024], kb[4096];
	size_t n1 = pub_blob("ca1", ca1, sizeof(ca1)), n2 = pub_blob("ca2", ca2, sizeof(ca2));
	size_t nk = pub_blob("u1", kb, sizeof(kb));
	struct util_buf a, b;
	struct krl *x, *y;

	(void)state;
	assert_int_equal(krl_new(&x), RJH_OK);
	assert_int_equal(krl_new(&y), RJH_OK);
	assert_int_equal(krl_add_serial(x, ca1, n1, 17), RJH_OK);
	assert_int_equal(krl_add_serial(x, ca2, n2, 3), RJH_OK);
	assert_int_equal(krl_add_serial(x, ca1, n1, 2), RJH_OK);
	assert_int_equal(krl_add_key_blob(x, kb, nk), RJH_OK);
	assert_int_equal(krl_add_key_blob(x, ca1, n1), RJH_OK);

	assert_int_equal(krl_add_key_blob(y, ca1, n1), RJH_OK);
	assert_int_equal(krl_add_key_blob(y, kb, nk), RJH_OK);
	assert_int_equal(krl_add_key_blob(y, kb, nk), RJH_OK);
	assert_int_equal(krl_add_serial(y, ca2, n2, 3), RJH_OK);
	assert_int_equal(krl_add_serial(y, ca1, n1, 2), RJH_OK);
	assert_int_equal(krl_add_serial(y, ca1, n1, 17), RJH_OK);
	assert_int_equal(krl_add_serial(y, ca1, n1, 17), RJH_OK);
	assert_int_equal(krl_write(x, 7, 1700000000, &a), RJH_OK);
	write_krl(y, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.p, b.p, a.len);
	assert_true(revoked("c17_ca1-cert"));
	assert_true(revoked("u1")); /* and its certificates, and the CA itself */
	util_buf_free(&a);
	util_buf_free(&b);
	krl_free(x);
	krl_free(y);
}

static void test_refusals(void **state)
{
	unsigned char ca1[1024], cert[4096];
	size_t n1 = pub_blob("ca1", ca1, sizeof(ca1)), nc = pub_blob("c17_ca1-cert", cert, 4096);
	struct krl *k;

	(void)state;
	assert_int_equal(krl_new(&k), RJH_OK);
	assert_int_equal(krl_add_serial(k, ca1, n1, 0), RJH_EINVAL);
	assert_int_equal(krl_add_serial(k, ca1, n1 - 1, 1), RJH_EINVAL);
	assert_int_equal(krl_add_serial(k, ca1, 0, 1), RJH_EINVAL);
	assert_int_equal(krl_add_serial(k, cert, nc, 1), RJH_EINVAL); /* a certificate is no CA */
	krl_free(k);
	krl_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),    cmocka_unit_test(test_serials),
	    cmocka_unit_test(test_keys),     cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
