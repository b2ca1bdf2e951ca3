/*
 * Unit tests for lib/cert.c: certificates made by ssh-keygen itself in a
 * temporary directory, every field checked against what ssh-keygen was told
 * and what ssh-keygen -l prints; broken blobs refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "cert.h"
#include "tmpdir.h"

static const struct gen_key {
	const char *name;
	const char *args;
	const char *type; /* the plain type */
} gen_keys[] = {
    {"ed25519", "-t ed25519", "ssh-ed25519"},
    {"ecdsa256", "-t ecdsa -b 256", "ecdsa-sha2-nistp256"},
    {"ecdsa384", "-t ecdsa -b 384", "ecdsa-sha2-nistp384"},
    {"ecdsa521", "-t ecdsa -b 521", "ecdsa-sha2-nistp521"},
    {"rsa", "-t rsa -b 2048", "ssh-rsa"},
    {"ca", "-t ed25519", "ssh-ed25519"},
    {"ca_rsa", "-t rsa -b 3072", "ssh-rsa"},
};

#define NGEN  (sizeof(gen_keys) / sizeof(gen_keys[0]))
#define NUSER 5 /* the first NUSER of gen_keys are certified */

static time_t t_signed0, t_signed1;

/* Runs a shell command quietly; true when it exits 0. */
static bool run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return false;
	return system(cmd) == 0;
}

/* Signs tmpdir/name.pub with CA ca and extra ssh-keygen options: tmpdir/name-cert.pub. */
static bool sign(const char *ca, const char *name, const char *opts)
{
	return run("ssh-keygen -q -s %s/%s %s %s/%s.pub </dev/null >/dev/null 2>&1", tmpdir, ca,
		   opts, tmpdir, name);
}

#define STD_OPTS                                                                                   \
	"-I 'id x' -n host-42 -z 17 -V +1h -O clear -O permit-port-forwarding "                    \
	"-O source-address=10.0.0.0/8"

static int group_setup(void **state)
{
	size_t i;

	(void)state;
	if (tmpdir_make("cert") < 0)
		return -1;
	for (i = 0; i < NGEN; i++) {
		if (!run("ssh-keygen -q -N '' %s -C c -f %s/%s </dev/null >/dev/null",
			 gen_keys[i].args, tmpdir, gen_keys[i].name))
			return -1;
	}
	t_signed0 = time(NULL);
	for (i = 0; i < NUSER; i++) {
		if (!sign("ca", gen_keys[i].name, STD_OPTS))
			return -1;
	}
	t_signed1 = time(NULL);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

/* What `ssh-keygen -l -E sha256 -f tmpdir/name` says the fingerprint is. */
static void fp_of(const char *name, char out[KEY_FP_LEN])
{
	char cmd[256], line[512];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ssh-keygen -l -E sha256 -f %s/%s", tmpdir, name);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(pclose(f), 0);
	assert_int_equal(sscanf(line, "%*u %50s", out), 1);
	assert_int_equal(strlen(out), KEY_FP_LEN - 1);
}

/* Reads tmpdir/NAME-cert.pub into type and b64 (malloc'ed, the caller frees it). */
static void read_cert(const char *name, char type[64], char **b64)
{
	char path[256], buf[16384];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-cert.pub", tmpdir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	*b64 = malloc(sizeof(buf));
	assert_non_null(*b64);
	assert_int_equal(sscanf(buf, "%63s %16383s", type, *b64), 2);
}

/* Parses tmpdir/NAME-cert.pub; asserts it parses. */
static void parse_cert(const char *name, struct cert *c)
{
	struct rjh_diag d = {""};
	char type[64], *b64;

	read_cert(name, type, &b64);
	if (cert_parse_b64(type, b64, c, &d) != 0)
		fail_msg("%s: %s", name, d.msg);
	assert_string_equal(c->type, type);
	free(b64);
}

/* Every field of the standard certificate, for each type of user key. */
static void test_each_type(void **state)
{
	char ca_fp[KEY_FP_LEN], fp[KEY_FP_LEN], want[64];
	struct cert c;
	size_t i;

	(void)state;
	fp_of("ca.pub", ca_fp);
	for (i = 0; i < NUSER; i++) {
		parse_cert(gen_keys[i].name, &c);
		snprintf(want, sizeof(want), "%s-cert-v01@openssh.com", gen_keys[i].type);
		assert_string_equal(c.type, want);
		assert_string_equal(c.key_type, gen_keys[i].type);
		snprintf(want, sizeof(want), "%s.pub", gen_keys[i].name);
		fp_of(want, fp);
		assert_string_equal(c.key_fp, fp);
		assert_string_equal(c.ca_fp, ca_fp);
		assert_string_equal(c.ca_type, "ssh-ed25519");
		assert_true(c.serial == 17);
		assert_int_equal(c.cert_type, CERT_TYPE_USER);
		assert_string_equal(c.key_id, "id x");
		assert_int_equal(c.nprincipals, 1);
		assert_string_equal(c.principal, "host-42");
		assert_false(c.principal_bad);
		/* -V +1h: from now (ssh-keygen rounds down to the minute) for an hour. */
		assert_true(c.valid_after <= (uint64_t)t_signed1);
		assert_true(c.valid_after + 120 >= (uint64_t)t_signed0);
		assert_true(c.valid_before >= (uint64_t)t_signed0 + 3600);
		assert_true(c.valid_before <= (uint64_t)t_signed1 + 3600);
		assert_string_equal(c.source_address, "10.0.0.0/8");
		assert_false(c.force_command);
		assert_false(c.unknown_critical);
		assert_int_equal(c.extensions, CERT_EXT_PORT);
	}
}

/* Zero, one and two principals; a bad one is counted and flagged. */
static void test_principals(void **state)
{
	char longname[100];
	struct cert c;

	(void)state;
	assert_true(run("cp %s/ed25519.pub %s/p0.pub && cp %s/ed25519.pub %s/p2.pub && "
			"cp %s/ed25519.pub %s/plong.pub",
			tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir));
	assert_true(sign("ca", "p0", "-I i"));
	parse_cert("p0", &c);
	assert_int_equal(c.nprincipals, 0);
	assert_string_equal(c.principal, "");
	assert_false(c.principal_bad);

	assert_true(sign("ca", "p2", "-I i -n alice,bob"));
	parse_cert("p2", &c);
	assert_int_equal(c.nprincipals, 2);
	assert_string_equal(c.principal, "alice");
	assert_false(c.principal_bad);

	memset(longname, 'x', CERT_PRINCIPAL_MAX + 1);
	longname[CERT_PRINCIPAL_MAX + 1] = '\0';
	assert_true(run("ssh-keygen -q -s %s/ca -I i -n %s,ok %s/plong.pub >/dev/null 2>&1", tmpdir,
			longname, tmpdir));
	parse_cert("plong", &c);
	assert_int_equal(c.nprincipals, 2);
	assert_string_equal(c.principal, "");
	assert_true(c.principal_bad);

	/* The longest that fits is kept. */
	longname[CERT_PRINCIPAL_MAX] = '\0';
	assert_true(run("ssh-keygen -q -s %s/ca -I i -n %s %s/plong.pub >/dev/null 2>&1", tmpdir,
			longname, tmpdir));
	parse_cert("plong", &c);
	assert_int_equal(c.nprincipals, 1);
	assert_string_equal(c.principal, longname);
	assert_false(c.principal_bad);
}

/* An RSA CA, a host certificate, every default extension, force-command, an unknown option. */
static void test_options(void **state)
{
	char ca_fp[KEY_FP_LEN];
	struct cert c;

	(void)state;
	fp_of("ca_rsa.pub", ca_fp);
	assert_true(run("cp %s/ecdsa256.pub %s/o1.pub && cp %s/rsa.pub %s/o2.pub && "
			"cp %s/ed25519.pub %s/o3.pub",
			tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir));
	assert_true(sign("ca_rsa", "o1", "-I u -n a -O force-command=/bin/true"));
	parse_cert("o1", &c);
	assert_string_equal(c.ca_type, "ssh-rsa");
	assert_string_equal(c.ca_fp, ca_fp);
	assert_true(c.force_command);
	assert_false(c.unknown_critical);
	assert_string_equal(c.source_address, "");
	assert_true(c.serial == 0);
	assert_true(c.valid_after == 0 && c.valid_before == UINT64_MAX);
	assert_int_equal(c.extensions, CERT_EXT_PTY | CERT_EXT_AGENT | CERT_EXT_PORT |
					   CERT_EXT_X11 | CERT_EXT_USER_RC);

	assert_true(sign("ca_rsa", "o2", "-h -I h -n host.example -z 18446744073709551615"));
	parse_cert("o2", &c);
	assert_int_equal(c.cert_type, CERT_TYPE_HOST);
	assert_true(c.serial == UINT64_MAX);
	assert_int_equal(c.extensions, 0);

	assert_true(sign("ca", "o3", "-I u -O clear -O critical:foo@example.com=bar"));
	parse_cert("o3", &c);
	assert_true(c.unknown_critical);
	assert_int_equal(c.extensions, 0);
}

/* The certificate blob of tmpdir/NAME-cert.pub, decoded. */
static size_t cert_blob(const char *name, char type[64], unsigned char *blob, size_t size)
{
	char *b64;
	size_t n;
	int got;

	read_cert(name, type, &b64);
	n = strlen(b64);
	assert_true(n / 4 * 3 <= size);
	got = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)n);
	assert_true(got > 2);
	while (n > 0 && b64[n - 1] == '=') {
		got--;
		n--;
	}
	free(b64);
	return (size_t)got;
}

static char *b64_of(const unsigned char *blob, size_t len)
{
	char *s = malloc(4 * ((len + 2) / 3) + 1);

	assert_non_null(s);
	assert_true(EVP_EncodeBlock((unsigned char *)s, blob, (int)len) >= 0);
	return s;
}

static void assert_refused(const char *type, const char *b64)
{
	struct rjh_diag d = {""};
	struct cert c;

	memset(&c, 0x55, sizeof(c));
	assert_int_equal(cert_parse_b64(type, b64, &c, &d), RJH_EINVAL);
	assert_true(d.msg[0] != '\0');
	assert_int_equal(c.type[0], 0);
	assert_int_equal(c.nprincipals, 0);
}

static void test_refusals(void **state)
{
	static unsigned char blob[16384], buf[16384 + 8];
	char type[64], ktype[64], *b64, *good;
	struct rjh_diag d;
	struct cert c;
	size_t len, cut;

	(void)state;
	for (size_t i = 0; i < NUSER; i++) {
		len = cert_blob(gen_keys[i].name, type, blob, sizeof(blob));
		/* Every truncation. */
		for (cut = 0; cut < len; cut++)
			assert_int_equal(cert_parse(blob, cut, &c, &d), RJH_EINVAL);
		assert_int_equal(cert_parse(blob, len, &c, &d), RJH_OK);
		/* Trailing bytes. */
		memcpy(buf, blob, len);
		buf[len] = 0;
		b64 = b64_of(buf, len + 1);
		assert_refused(type, b64);
		free(b64);
	}

	/* The declared type must be the blob's own. */
	read_cert("ed25519", type, &good);
	assert_refused("ecdsa-sha2-nistp256-cert-v01@openssh.com", good);
	assert_refused("ssh-ed25519", good);
	assert_refused("", good);
	/* Bad base64: a stray character, no padding, a non-canonical last quad, empty. */
	b64 = strdup(good);
	assert_non_null(b64);
	b64[10] = '*';
	assert_refused(type, b64);
	strcpy(b64, good);
	b64[strlen(b64) - 1] = '\0';
	assert_refused(type, b64);
	assert_refused(type, "");
	free(b64);
	free(good);

	/* A plain key, declared as a certificate or with its own type. */
	read_cert("ed25519", type, &good);
	free(good);
	{
		char path[256], line[1024];
		FILE *f;

		snprintf(path, sizeof(path), "%s/ed25519.pub", tmpdir);
		f = fopen(path, "r");
		assert_non_null(f);
		assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
		good = malloc(sizeof(line));
		assert_non_null(good);
		assert_int_equal(sscanf(line, "%63s %1023s", ktype, good), 2);
		assert_refused(type, good);
		assert_refused(ktype, good);
		free(good);
	}

	/* A key ID longer than CERT_KEY_ID_MAX. */
	{
		char id[CERT_KEY_ID_MAX + 2];

		memset(id, 'i', sizeof(id) - 1);
		id[sizeof(id) - 1] = '\0';
		assert_true(run("cp %s/ed25519.pub %s/longid.pub && "
				"ssh-keygen -q -s %s/ca -I %s %s/longid.pub >/dev/null 2>&1",
				tmpdir, tmpdir, tmpdir, id, tmpdir));
		read_cert("longid", type, &good);
		assert_refused(type, good);
		free(good);
		id[CERT_KEY_ID_MAX] = '\0';
		assert_true(run("ssh-keygen -q -s %s/ca -I %s %s/longid.pub >/dev/null 2>&1",
				tmpdir, id, tmpdir));
		parse_cert("longid", &c);
		assert_string_equal(c.key_id, id);
	}
}

static void test_type_is_cert(void **state)
{
	(void)state;
	assert_true(cert_type_is_cert("ssh-ed25519-cert-v01@openssh.com"));
	assert_true(cert_type_is_cert("ssh-rsa-cert-v01@openssh.com"));
	assert_true(cert_type_is_cert("ecdsa-sha2-nistp256-cert-v01@openssh.com"));
	assert_true(cert_type_is_cert("ecdsa-sha2-nistp521-cert-v01@openssh.com"));
	assert_true(cert_type_is_cert("sk-ssh-ed25519-cert-v01@openssh.com"));
	assert_true(cert_type_is_cert("sk-ecdsa-sha2-nistp256-cert-v01@openssh.com"));
	assert_false(cert_type_is_cert("ssh-ed25519"));
	assert_false(cert_type_is_cert("ssh-dss-cert-v01@openssh.com"));
	assert_false(cert_type_is_cert("-cert-v01@openssh.com"));
	assert_false(cert_type_is_cert("sk-ssh-ed25519@openssh.com-cert-v01@openssh.com"));
	assert_false(cert_type_is_cert("ssh-ed25519-cert-v00@openssh.com"));
	assert_false(cert_type_is_cert(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each_type),    cmocka_unit_test(test_principals),
	    cmocka_unit_test(test_options),      cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_type_is_cert),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
