/*
 * Unit tests for lib/key.c. Fingerprints are checked against ssh-keygen itself, on keys
 * generated afresh in a temporary directory; FIDO (sk) keys, which need hardware to
 * generate, are built by hand from real curve points.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "key.h"
#include "tmpdir.h"

#define COMMENT "rjh test key"

/* Keys generated once for the whole group. */
static const struct gen_key {
	const char *name; /* DIR/name and DIR/name.pub */
	const char *args; /* ssh-keygen -t ... */
	const char *type;
	unsigned bits;
} gen_keys[] = {
    {"ed25519", "-t ed25519", "ssh-ed25519", 256},
    {"ecdsa256", "-t ecdsa -b 256", "ecdsa-sha2-nistp256", 256},
    {"ecdsa384", "-t ecdsa -b 384", "ecdsa-sha2-nistp384", 384},
    {"ecdsa521", "-t ecdsa -b 521", "ecdsa-sha2-nistp521", 521},
    {"rsa3072", "-t rsa -b 3072", "ssh-rsa", 3072},
    {"rsa4096", "-t rsa -b 4096", "ssh-rsa", 4096},
    {"rsa2048", "-t rsa -b 2048", "ssh-rsa", 2048},
    {"ca", "-t ed25519", "ssh-ed25519", 256},
};

#define NGEN (sizeof(gen_keys) / sizeof(gen_keys[0]))

/* A growing SSH wire-format blob. */
struct blob {
	unsigned char buf[4096];
	size_t len;
};

static void put_string(struct blob *b, const void *s, size_t n)
{
	assert_true(b->len + 4 + n <= sizeof(b->buf));
	b->buf[b->len++] = (unsigned char)(n >> 24);
	b->buf[b->len++] = (unsigned char)(n >> 16);
	b->buf[b->len++] = (unsigned char)(n >> 8);
	b->buf[b->len++] = (unsigned char)n;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
}

static void put_cstring(struct blob *b, const char *s)
{
	put_string(b, s, strlen(s));
}

/* Reads the next string of a wire-format blob; false at the end or when malformed. */
static bool get_string(const struct blob *b, size_t *off, const unsigned char **s, size_t *n)
{
	const unsigned char *p = b->buf + *off;
	size_t len;

	if (b->len - *off < 4)
		return false;
	len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	if (len > b->len - *off - 4)
		return false;
	*s = p + 4;
	*n = len;
	*off += 4 + len;
	return true;
}

/* Standard padded base64 of a blob; the caller frees it. */
static char *b64_encode(const struct blob *b)
{
	char *out = malloc(4 * ((b->len + 2) / 3) + 1);

	assert_non_null(out);
	assert_true(EVP_EncodeBlock((unsigned char *)out, b->buf, (int)b->len) >= 0);
	return out;
}

static void b64_decode(const char *s, struct blob *b)
{
	size_t n = strlen(s);
	int got;

	assert_true(n % 4 == 0 && n / 4 * 3 <= sizeof(b->buf));
	got = EVP_DecodeBlock(b->buf, (const unsigned char *)s, (int)n);
	assert_true(got >= 0);
	b->len = (size_t)got;
	while (n > 0 && s[n - 1] == '=') {
		b->len--;
		n--;
	}
}

static void path_of(const char *name, char *out, size_t len)
{
	assert_true((size_t)snprintf(out, len, "%s/%s", tmpdir, name) < len);
}

/* Runs a shell command quietly; true when it exits 0. */
static bool run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return false;
	return system(cmd) == 0;
}

static int group_setup(void **state)
{
	size_t i;

	(void)state;
	if (tmpdir_make("key") < 0)
		return -1;
	for (i = 0; i < NGEN; i++) {
		if (!run("ssh-keygen -q -N '' %s -C '" COMMENT "' -f %s/%s </dev/null >/dev/null",
			 gen_keys[i].args, tmpdir, gen_keys[i].name))
			return -1;
	}
	/* A user certificate of the ed25519 key: ed25519-cert.pub. */
	if (!run("ssh-keygen -q -s %s/ca -I id -n x %s/ed25519.pub </dev/null >/dev/null 2>&1",
		 tmpdir, tmpdir))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

static void write_file(const char *name, const void *data, size_t len)
{
	char path[128];
	int fd;

	path_of(name, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void write_text(const char *name, const char *text)
{
	write_file(name, text, strlen(text));
}

/* The whole of a file in tmpdir, NUL-terminated; the caller frees it. */
static char *slurp(const char *name)
{
	char path[128], *buf;
	FILE *f;
	long n;

	path_of(name, path, sizeof(path));
	f = fopen(path, "rbe");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The base64 field of a generated .pub file; the caller frees it. */
static char *pub_b64(const char *name)
{
	char pub[64], *text, *sp, *end, *b64;

	snprintf(pub, sizeof(pub), "%s.pub", name);
	text = slurp(pub);
	sp = strchr(text, ' ');
	assert_non_null(sp);
	end = strpbrk(sp + 1, " \n");
	assert_non_null(end);
	b64 = strndup(sp + 1, (size_t)(end - sp - 1));
	assert_non_null(b64);
	free(text);
	return b64;
}

static void pub_blob(const char *name, struct blob *b)
{
	char *b64 = pub_b64(name);

	b64_decode(b64, b);
	free(b64);
}

/* What `ssh-keygen -l -E sha256 -f tmpdir/name` says the fingerprint is. */
static void keygen_fp(const char *name, char fp[KEY_FP_LEN])
{
	char cmd[256], line[512];
	unsigned bits = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ssh-keygen -l -E sha256 -f %s/%s", tmpdir, name);
	p = popen(cmd, "re");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	assert_int_equal(sscanf(line, "%u %50s", &bits, fp), 2);
	assert_true(bits > 0);
	assert_true(key_is_fingerprint(fp));
}

/* Fails if msg holds any 16-character stretch of secret. */
static void assert_no_leak(const char *msg, const char *secret)
{
	size_t i, n = strlen(secret);

	for (i = 0; i + 16 <= n; i++) {
		if (memmem(msg, strlen(msg), secret + i, 16))
			fail_msg("the message quotes the input: %s", msg);
	}
}

/* A refusal: RJH_EINVAL, a reason, no trace of secret in it, and nothing left in k. */
static void assert_refused(int rc, const struct key *k, const struct rjh_diag *d,
			   const char *secret)
{
	if (rc != RJH_EINVAL)
		fail_msg("returned %d, want RJH_EINVAL (%s)", rc, d->msg);
	assert_true(d->msg[0] != '\0');
	assert_no_leak(d->msg, secret);
	assert_null(k->b64);
	assert_string_equal(k->fp, "");
	assert_string_equal(k->type, "");
}

/* A line must be refused both alone and as the only line of a key file. */
static void refuse_line(const char *line, const char *secret)
{
	static unsigned n;
	struct rjh_diag d = {""};
	struct key k;
	char name[32], path[128];
	char *text;

	assert_refused(key_parse_line(line, 3072, &k, &d), &k, &d, secret);

	snprintf(name, sizeof(name), "refuse-%u.pub", n++);
	path_of(name, path, sizeof(path));
	assert_true(asprintf(&text, "%s\n", line) > 0);
	write_text(name, text);
	free(text);
	d.msg[0] = '\0';
	assert_refused(key_read_file(path, 3072, &k, &d), &k, &d, secret);
	/* The file's message names the file and line. */
	assert_true(strstr(d.msg, path) != NULL);
}

static void test_fp_matches_ssh_keygen(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NGEN; i++) {
		const struct gen_key *g = &gen_keys[i];
		char pub[64], path[128], want[KEY_FP_LEN];
		struct rjh_diag d = {""};
		struct key k;
		char *b64;
		int rc;

		if (g->bits < 3072 && strcmp(g->type, "ssh-rsa") == 0)
			continue; /* below the minimum: see test_rsa_too_short */
		snprintf(pub, sizeof(pub), "%s.pub", g->name);
		path_of(pub, path, sizeof(path));
		rc = key_read_file(path, 3072, &k, &d);
		if (rc != RJH_OK)
			fail_msg("%s: %s", g->name, d.msg);
		keygen_fp(pub, want);
		assert_string_equal(k.fp, want);
		assert_string_equal(k.type, g->type);
		assert_int_equal(k.bits, g->bits);
		assert_string_equal(k.comment, COMMENT);
		assert_true(key_is_fingerprint(k.fp));
		b64 = pub_b64(g->name);
		assert_string_equal(k.b64, b64);
		free(b64);
		key_clear(&k);
		assert_null(k.b64);
	}
}

/* key_parse_line agrees with key_read_file, and key_fingerprint with both. */
static void test_parse_line_and_raw_fp(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NGEN; i++) {
		char pub[64], want[KEY_FP_LEN], raw[KEY_FP_LEN], *text;
		struct rjh_diag d = {""};
		struct blob b;
		struct key k;

		snprintf(pub, sizeof(pub), "%s.pub", gen_keys[i].name);
		keygen_fp(pub, want);
		text = slurp(pub);
		*strchr(text, '\n') = '\0';
		assert_int_equal(key_parse_line(text, 2048, &k, &d), RJH_OK);
		assert_string_equal(k.fp, want);
		assert_int_equal(k.bits, gen_keys[i].bits);
		key_clear(&k);
		free(text);

		pub_blob(gen_keys[i].name, &b);
		assert_int_equal(key_fingerprint(b.buf, b.len, raw), RJH_OK);
		assert_string_equal(raw, want);
	}
}

/* Writes "type b64 comment" for a blob to name and checks rjh against ssh-keygen. */
static void check_built_key(const char *name, const char *type, const struct blob *b)
{
	char path[128], want[KEY_FP_LEN], *b64 = b64_encode(b), *text;
	struct rjh_diag d = {""};
	struct key k;

	assert_true(asprintf(&text, "%s %s sk test\n", type, b64) > 0);
	write_text(name, text);
	free(text);
	path_of(name, path, sizeof(path));
	keygen_fp(name, want);
	if (key_read_file(path, 3072, &k, &d) != RJH_OK)
		fail_msg("%s: %s", name, d.msg);
	assert_string_equal(k.fp, want);
	assert_string_equal(k.type, type);
	assert_int_equal(k.bits, 256);
	assert_string_equal(k.comment, "sk test");
	assert_string_equal(k.b64, b64);
	key_clear(&k);
	free(b64);
}

/* The public key of the generated ed25519 key and the point of the ecdsa-256 one. */
static void real_points(struct blob *ed_pk, struct blob *ec_point)
{
	const unsigned char *s;
	struct blob b;
	size_t off = 0, n;

	pub_blob("ed25519", &b);
	assert_true(get_string(&b, &off, &s, &n)); /* type */
	assert_true(get_string(&b, &off, &s, &n));
	assert_int_equal(n, 32);
	memcpy(ed_pk->buf, s, n);
	ed_pk->len = n;

	off = 0;
	pub_blob("ecdsa256", &b);
	assert_true(get_string(&b, &off, &s, &n)); /* type */
	assert_true(get_string(&b, &off, &s, &n)); /* curve */
	assert_true(get_string(&b, &off, &s, &n));
	assert_int_equal(n, 65);
	assert_int_equal(s[0], 0x04);
	memcpy(ec_point->buf, s, n);
	ec_point->len = n;
}

static void test_sk_keys(void **state)
{
	struct blob pk, point, b;

	(void)state;
	real_points(&pk, &point);

	memset(&b, 0, sizeof(b));
	put_cstring(&b, "sk-ssh-ed25519@openssh.com");
	put_string(&b, pk.buf, pk.len);
	put_cstring(&b, "ssh:");
	check_built_key("sk-ed25519.pub", "sk-ssh-ed25519@openssh.com", &b);

	memset(&b, 0, sizeof(b));
	put_cstring(&b, "sk-ecdsa-sha2-nistp256@openssh.com");
	put_cstring(&b, "nistp256");
	put_string(&b, point.buf, point.len);
	put_cstring(&b, "ssh:");
	check_built_key("sk-ecdsa.pub", "sk-ecdsa-sha2-nistp256@openssh.com", &b);
}

/* An sk key must carry its application string, and nothing after it. */
static void test_sk_malformed(void **state)
{
	struct blob pk, point, b;
	char *b64, *line;

	(void)state;
	real_points(&pk, &point);

	memset(&b, 0, sizeof(b));
	put_cstring(&b, "sk-ssh-ed25519@openssh.com");
	put_string(&b, pk.buf, pk.len);
	b64 = b64_encode(&b);
	assert_true(asprintf(&line, "sk-ssh-ed25519@openssh.com %s", b64) > 0);
	refuse_line(line, b64);
	free(line);
	free(b64);

	memset(&b, 0, sizeof(b));
	put_cstring(&b, "sk-ecdsa-sha2-nistp256@openssh.com");
	put_cstring(&b, "nistp256");
	put_string(&b, point.buf, point.len);
	put_cstring(&b, "ssh:");
	put_cstring(&b, "extra");
	b64 = b64_encode(&b);
	assert_true(asprintf(&line, "sk-ecdsa-sha2-nistp256@openssh.com %s", b64) > 0);
	refuse_line(line, b64);
	free(line);
	free(b64);
}

static void test_dss_refused(void **state)
{
	static const unsigned char mp[] = {0x00, 0xc3, 0x01, 0x02, 0x03, 0x04, 0x05, 0x07};
	struct blob b;
	char *b64, *line;
	int i;

	(void)state;
	memset(&b, 0, sizeof(b));
	put_cstring(&b, "ssh-dss");
	for (i = 0; i < 4; i++)
		put_string(&b, mp, sizeof(mp));
	b64 = b64_encode(&b);
	assert_true(asprintf(&line, "ssh-dss %s old@host", b64) > 0);
	refuse_line(line, b64);
	free(line);
	free(b64);
}

static void test_rsa_too_short(void **state)
{
	char path[128], want[KEY_FP_LEN];
	struct rjh_diag d = {""};
	struct key k;
	char *b64 = pub_b64("rsa2048");

	(void)state;
	path_of("rsa2048.pub", path, sizeof(path));
	assert_refused(key_read_file(path, 3072, &k, &d), &k, &d, b64);
	assert_true(strstr(d.msg, "2048") != NULL);
	/* The same key passes a lower minimum, and 3072 bits pass 3072 but not 4096. */
	assert_int_equal(key_read_file(path, 2048, &k, &d), RJH_OK);
	keygen_fp("rsa2048.pub", want);
	assert_string_equal(k.fp, want);
	assert_int_equal(k.bits, 2048);
	key_clear(&k);
	path_of("rsa3072.pub", path, sizeof(path));
	free(b64);
	b64 = pub_b64("rsa3072");
	d.msg[0] = '\0';
	assert_refused(key_read_file(path, 4096, &k, &d), &k, &d, b64);
	free(b64);
}

static void test_certificate_refused(void **state)
{
	struct rjh_diag d = {""};
	char path[128], *text, *b64, *sp;
	struct key k;

	(void)state;
	text = slurp("ed25519-cert.pub");
	assert_true(strncmp(text, "ssh-ed25519-cert-v01@openssh.com ", 33) == 0);
	sp = strchr(text + 33, ' ');
	assert_non_null(sp);
	b64 = strndup(text + 33, (size_t)(sp - text - 33));
	assert_non_null(b64);
	path_of("ed25519-cert.pub", path, sizeof(path));
	assert_refused(key_read_file(path, 3072, &k, &d), &k, &d, b64);
	assert_true(strstr(d.msg, "certificate") != NULL);
	*strchr(text, '\n') = '\0';
	refuse_line(text, b64);
	free(b64);
	free(text);
}

/* The message must not carry any line of the private key file. */
static void assert_no_line_leak(const char *msg, const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;

	assert_non_null(copy);
	for (line = strtok_r(copy, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		/* A two-letter tail line could occur in any English sentence. */
		if (strlen(line) >= 8 && strstr(msg, line))
			fail_msg("the message quotes the private key: %s", msg);
		assert_no_leak(msg, line);
	}
	free(copy);
}

static void refuse_private_file(const char *name)
{
	struct rjh_diag d = {""};
	char path[128], *text = slurp(name);
	struct key k;

	assert_true(key_text_is_private(text, strlen(text)));
	path_of(name, path, sizeof(path));
	assert_refused(key_read_file(path, 3072, &k, &d), &k, &d, "");
	/* Refused as private key material, not merely as an odd public key. */
	assert_non_null(strcasestr(d.msg, "private"));
	assert_no_line_leak(d.msg, text);
	free(text);
}

static void test_private_keys_refused(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NGEN; i++)
		refuse_private_file(gen_keys[i].name);
	write_text("pem-rsa", "-----BEGIN RSA PRIVATE KEY-----\n"
			      "MIIEowIBAAKCAQEAvK3ZqH7bM0x9P1c5a2qzNTcYyQ8pQk7w1sVvS3mJ4bXdzL9e\n"
			      "Zr2xT4uPq8wH0aE6yN3cB5fG7hJ9kL1mN2oP3qR4sT5uV6wX7yZ8aB9cD0eF1gH2\n"
			      "-----END RSA PRIVATE KEY-----\n");
	refuse_private_file("pem-rsa");
	write_text("pkcs8", "-----BEGIN PRIVATE KEY-----\r\n"
			    "MC4CAQAwBQYDK2VwBCIEIGk7nqv0hS2yGz3dD5m1qJx8pVt4cW9sR6aL0bN2eF7h\r\n"
			    "-----END PRIVATE KEY-----\r\n");
	refuse_private_file("pkcs8");
	write_text("putty.ppk", "PuTTY-User-Key-File-2: ssh-rsa\n"
				"Encryption: none\n"
				"Comment: rsa-key-20260101\n"
				"Public-Lines: 1\n"
				"AAAAB3NzaC1yc2EAAAABJQAAAQEAhZ2kQ7vYxW3pL9sT4uV5wX6yZ7aB8cD9eF0g\n"
				"Private-Lines: 1\n"
				"AAABAHu4mN5oP6qR7sT8uV9wX0yZ1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV2wX\n"
				"Private-MAC: 0123456789abcdef0123456789abcdef01234567\n");
	refuse_private_file("putty.ppk");
	write_text("ssh2", "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n"
			   "Comment: \"rsa-key\"\n"
			   "P2/56wAAAi4AAAA3aWYtbW9kbntzaWdue3JzYS1wa2NzMS1zaGExfSxlbmNyeXB0\n"
			   "---- END SSH2 ENCRYPTED PRIVATE KEY ----\n");
	refuse_private_file("ssh2");
}

static void test_private_detection(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NGEN; i++) {
		char pub[64], *text;

		snprintf(pub, sizeof(pub), "%s.pub", gen_keys[i].name);
		text = slurp(pub);
		assert_false(key_text_is_private(text, strlen(text)));
		free(text);
	}
	assert_true(key_text_is_private("-----BEGIN OPENSSH PRIVATE KEY-----", 35));
	assert_true(key_text_is_private("PuTTY-User-Key-File-3: ssh-ed25519", 34));
	/* The length is honoured: the marker past len is not seen. */
	assert_false(key_text_is_private("xx PRIVATE KEY", 10));
	assert_false(key_text_is_private("", 0));
	/* A PEM header given as a line is refused with a hint, never parsed. */
	refuse_line("-----BEGIN RSA PRIVATE KEY-----", "");
	refuse_line("-----BEGIN PRIVATE KEY-----", "");
}

static void test_bad_base64(void **state)
{
	char *b64 = pub_b64("ed25519"), *bad, *line;
	size_t n = strlen(b64);
	static const char *const mutations[] = {"invalid",  "short", "mid-pad",  "tail-pad",
						"quad-pad", "long",  "url-safe", "triple-pad"};
	size_t i;

	(void)state;
	assert_int_equal(n, 68); /* 51 bytes: whole quads, no padding */
	for (i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
		bad = calloc(1, n + 8);
		assert_non_null(bad);
		memcpy(bad, b64, n);
		switch (i) {
		case 0:
			bad[30] = '!';
			break;
		case 1:
			bad[n - 1] = '\0';
			break;
		case 2:
			bad[20] = '=';
			break;
		case 3:
			bad[n - 2] = '=';
			break;
		case 4:
			memcpy(bad + n, "====", 4);
			break;
		case 5:
			memcpy(bad + n, "AAAA", 4);
			break;
		case 6:
			bad[30] = '-';
			break;
		case 7:
			memcpy(bad + n - 3, "===", 3);
			break;
		}
		assert_true(asprintf(&line, "ssh-ed25519 %s x", bad) > 0);
		refuse_line(line, b64);
		free(line);
		free(bad);
	}
	refuse_line("ssh-ed25519", "");
	refuse_line("ssh-ed25519   ", "");
	free(b64);
}

static void test_type_mismatch(void **state)
{
	char *rsa = pub_b64("rsa3072"), *ec = pub_b64("ecdsa384"), *line;
	struct blob b, point;
	const unsigned char *s;
	size_t off = 0, n;
	char *b64;

	(void)state;
	assert_true(asprintf(&line, "ssh-ed25519 %s x", rsa) > 0);
	refuse_line(line, rsa);
	free(line);
	assert_true(asprintf(&line, "ecdsa-sha2-nistp256 %s x", ec) > 0);
	refuse_line(line, ec);
	free(line);
	assert_true(asprintf(&line, "ssh-rsa %s x", ec) > 0);
	refuse_line(line, ec);
	free(line);
	free(rsa);
	free(ec);

	/* The right outer type with the wrong curve inside. */
	pub_blob("ecdsa384", &b);
	assert_true(get_string(&b, &off, &s, &n));
	assert_true(get_string(&b, &off, &s, &n));
	assert_true(get_string(&b, &off, &s, &n));
	memcpy(point.buf, s, n);
	point.len = n;
	memset(&b, 0, sizeof(b));
	put_cstring(&b, "ecdsa-sha2-nistp384");
	put_cstring(&b, "nistp256");
	put_string(&b, point.buf, point.len);
	b64 = b64_encode(&b);
	assert_true(asprintf(&line, "ecdsa-sha2-nistp384 %s", b64) > 0);
	refuse_line(line, b64);
	free(line);
	free(b64);
}

static void test_trailing_garbage(void **state)
{
	static const char *const types[] = {"ed25519", "ecdsa256", "rsa3072"};
	static const char *const names[] = {"ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		char *b64, *line;
		struct blob b;

		pub_blob(types[i], &b);
		memcpy(b.buf + b.len, "\0\0\0\0junk", 8);
		b.len += 8;
		b64 = b64_encode(&b);
		assert_true(asprintf(&line, "%s %s x", names[i], b64) > 0);
		refuse_line(line, b64);
		free(line);
		free(b64);

		/* A single extra byte too. */
		pub_blob(types[i], &b);
		b.buf[b.len++] = 0;
		b64 = b64_encode(&b);
		assert_true(asprintf(&line, "%s %s x", names[i], b64) > 0);
		refuse_line(line, b64);
		free(line);
		free(b64);
	}
}

static void test_truncated_blobs(void **state)
{
	static const char *const types[] = {"ed25519", "ecdsa256", "rsa3072"};
	static const char *const names[] = {"ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		char *b64, *line;
		struct blob b;

		pub_blob(types[i], &b);
		b.len -= 1;
		b64 = b64_encode(&b);
		assert_true(asprintf(&line, "%s %s x", names[i], b64) > 0);
		refuse_line(line, b64);
		free(line);
		free(b64);
	}
}

/* The generated ecdsa-256 key, base64, with its point replaced by variant `which`. */
static char *ec_variant(int which)
{
	const unsigned char *s;
	unsigned char pt[65];
	struct blob b;
	size_t off = 0, n;

	pub_blob("ecdsa256", &b);
	assert_true(get_string(&b, &off, &s, &n));
	assert_true(get_string(&b, &off, &s, &n));
	assert_true(get_string(&b, &off, &s, &n));
	assert_int_equal(n, 65);
	memcpy(pt, s, n);
	memset(&b, 0, sizeof(b));
	put_cstring(&b, "ecdsa-sha2-nistp256");
	put_cstring(&b, "nistp256");
	switch (which) {
	case 0: /* y off by one: not on the curve */
		pt[64] ^= 1;
		put_string(&b, pt, 65);
		break;
	case 1: /* compressed form, which OpenSSH never writes */
		pt[0] = 0x02 | (pt[64] & 1);
		put_string(&b, pt, 33);
		break;
	case 2: /* the point at infinity */
		put_string(&b, "\0", 1);
		break;
	case 3: /* a hybrid-form prefix */
		pt[0] = 0x06 | (pt[64] & 1);
		put_string(&b, pt, 65);
		break;
	default: /* all zeros */
		memset(pt + 1, 0, 64);
		put_string(&b, pt, 65);
		break;
	}
	return b64_encode(&b);
}

static void test_ec_point_invalid(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		char *b64 = ec_variant(i), *line;

		assert_true(asprintf(&line, "ecdsa-sha2-nistp256 %s x", b64) > 0);
		refuse_line(line, b64);
		free(line);
		free(b64);
	}
}

static void test_options_refused(void **state)
{
	static const char *const opts[] = {
	    "restrict",
	    "from=\"1.2.3.4\"",
	    "no-pty",
	    "command=\"/bin/sh\"",
	    "no-port-forwarding,no-pty",
	};
	char *b64 = pub_b64("ed25519"), *key, *line;
	size_t i;

	(void)state;
	assert_true(asprintf(&key, "ssh-ed25519 %s x", b64) > 0);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		struct rjh_diag d = {""};
		struct key k;

		assert_true(asprintf(&line, "%s %s", opts[i], key) > 0);
		refuse_line(line, b64);
		assert_int_equal(key_parse_line(line, 3072, &k, &d), RJH_EINVAL);
		assert_true(strstr(d.msg, "option") != NULL);
		free(line);
	}
	free(key);
	free(b64);
}

static void test_unknown_types(void **state)
{
	char *b64 = pub_b64("ed25519"), *line;
	static const char *const types[] = {"ssh-ed448",           "SSH-ED25519",  "ssh-ed25519x",
					    "ecdsa-sha2-nistp192", "rsa-sha2-256", "x"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_true(asprintf(&line, "%s %s x", types[i], b64) > 0);
		refuse_line(line, b64);
		free(line);
	}
	refuse_line("", "");
	refuse_line("   ", "");
	free(b64);
}

static void test_comment_checks(void **state)
{
	char *b64 = pub_b64("ed25519"), *line, longc[KEY_COMMENT_MAX + 2];
	struct rjh_diag d = {""};
	struct key k;

	(void)state;
	assert_true(asprintf(&line, "ssh-ed25519 %s bad\x01comment", b64) > 0);
	refuse_line(line, b64);
	free(line);
	assert_true(asprintf(&line, "ssh-ed25519 %s esc\x1b[31m", b64) > 0);
	refuse_line(line, b64);
	free(line);
	assert_true(asprintf(&line, "ssh-ed25519 %s caf\xc3\xa9", b64) > 0);
	refuse_line(line, b64);
	free(line);

	/* 255 characters are kept whole; 256 are refused. */
	memset(longc, 'c', sizeof(longc));
	longc[KEY_COMMENT_MAX] = '\0';
	assert_true(asprintf(&line, "ssh-ed25519 %s %s", b64, longc) > 0);
	assert_int_equal(key_parse_line(line, 3072, &k, &d), RJH_OK);
	assert_string_equal(k.comment, longc);
	key_clear(&k);
	free(line);
	longc[KEY_COMMENT_MAX] = 'c';
	longc[KEY_COMMENT_MAX + 1] = '\0';
	assert_true(asprintf(&line, "ssh-ed25519 %s %s", b64, longc) > 0);
	refuse_line(line, b64);
	free(line);
	free(b64);
}

static void test_file_shapes_refused(void **state)
{
	char *b64 = pub_b64("ed25519"), *ec = pub_b64("ecdsa256"), *text, *big;
	struct rjh_diag d = {""};
	char path[128];
	struct key k;
	size_t n;

	(void)state;
	/* Empty, and nothing but comments. */
	write_text("empty.pub", "");
	path_of("empty.pub", path, sizeof(path));
	assert_refused(key_read_file(path, 3072, &k, &d), &k, &d, "");
	write_text("comments.pub", "# nothing\n\n#here\n");
	path_of("comments.pub", path, sizeof(path));
	d.msg[0] = '\0';
	assert_refused(key_read_file(path, 3072, &k, &d), &k, &d, "");

	/* Two keys, even the same key twice. */
	assert_true(asprintf(&text, "ssh-ed25519 %s a\necdsa-sha2-nistp256 %s b\n", b64, ec) > 0);
	write_text("two.pub", text);
	free(text);
	path_of("two.pub", path, sizeof(path));
	d.msg[0] = '\0';
	assert_refused(key_read_file(path, 3072, &k, &d), &k, &d, b64);
	assert_no_leak(d.msg, ec);
	assert_true(strstr(d.msg, ":2:") != NULL);
	assert_true(asprintf(&text, "ssh-ed25519 %s a\n\nssh-ed25519 %s a\n", b64, b64) > 0);
	write_text("twice.pub", text);
	free(text);
	path_of("twice.pub", path, sizeof(path));
	d.msg[0] = '\0';
	assert_refused(key_read_file(path, 3072, &k, &d), &k, &d, b64);

	/* Over 64 KiB, even if the key comes first and the rest is comment. */
	n = KEY_FILE_MAX + 1;
	big = malloc(n);
	assert_non_null(big);
	memset(big, '#', n);
	assert_true((size_t)snprintf(big, n, "ssh-ed25519 %s a\n", b64) < n);
	big[strlen(big)] = '#';
	big[n - 1] = '\n';
	write_file("big.pub", big, n);
	path_of("big.pub", path, sizeof(path));
	d.msg[0] = '\0';
	assert_refused(key_read_file(path, 3072, &k, &d), &k, &d, b64);
	/* Exactly 64 KiB is still read. */
	write_file("max.pub", big, n - 1);
	path_of("max.pub", path, sizeof(path));
	assert_int_equal(key_read_file(path, 3072, &k, &d), RJH_OK);
	assert_string_equal(k.comment, "a");
	key_clear(&k);
	free(big);

	/* A NUL byte inside the file. */
	assert_true(asprintf(&text, "ssh-ed25519 %s a\n#", b64) > 0);
	n = strlen(text);
	text[n - 1] = '\0';
	write_file("nul.pub", text, n);
	free(text);
	path_of("nul.pub", path, sizeof(path));
	d.msg[0] = '\0';
	assert_refused(key_read_file(path, 3072, &k, &d), &k, &d, b64);

	/* Missing file and directory. */
	path_of("missing.pub", path, sizeof(path));
	assert_int_equal(key_read_file(path, 3072, &k, &d), RJH_ENOENT);
	assert_null(k.b64);
	d.msg[0] = '\0';
	assert_refused(key_read_file(tmpdir, 3072, &k, &d), &k, &d, "");
	free(ec);
	free(b64);
}

static void test_accepted_shapes(void **state)
{
	char *b64 = pub_b64("ed25519"), *text, want[KEY_FP_LEN], path[128];
	struct rjh_diag d = {""};
	struct key k;

	(void)state;
	keygen_fp("ed25519.pub", want);

	/* CRLF, blank lines and comments before and after. */
	assert_true(asprintf(&text,
			     "\r\n\n# host key of web-1\r\n  # indented\r\n\t\r\n"
			     "ssh-ed25519 %s  my host key \r\n# trailing\r\n\r\n",
			     b64) > 0);
	write_text("crlf.pub", text);
	free(text);
	path_of("crlf.pub", path, sizeof(path));
	if (key_read_file(path, 3072, &k, &d) != RJH_OK)
		fail_msg("%s", d.msg);
	assert_string_equal(k.fp, want);
	assert_string_equal(k.comment, "my host key");
	assert_string_equal(k.b64, b64);
	assert_string_equal(k.type, "ssh-ed25519");
	key_clear(&k);

	/* No comment, no final newline, tabs and leading blanks. */
	assert_true(asprintf(&text, " \tssh-ed25519\t%s", b64) > 0);
	write_text("bare.pub", text);
	path_of("bare.pub", path, sizeof(path));
	assert_int_equal(key_read_file(path, 3072, &k, &d), RJH_OK);
	assert_string_equal(k.fp, want);
	assert_string_equal(k.comment, "");
	key_clear(&k);
	assert_int_equal(key_parse_line(text, 3072, &k, &d), RJH_OK);
	assert_string_equal(k.fp, want);
	key_clear(&k);
	free(text);

	/* Comments keep inner spaces and printable punctuation. */
	assert_true(asprintf(&text, "ssh-ed25519 %s a  b # c=d \"e\"\t ", b64) > 0);
	assert_int_equal(key_parse_line(text, 3072, &k, &d), RJH_OK);
	assert_string_equal(k.comment, "a  b # c=d \"e\"");
	key_clear(&k);
	free(text);
	free(b64);
}

static void test_is_fingerprint(void **state)
{
	static const char good[] = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
	char buf[64];

	(void)state;
	assert_true(key_is_fingerprint(good));
	assert_false(key_is_fingerprint(""));
	assert_false(key_is_fingerprint("SHA256:"));
	assert_false(key_is_fingerprint("sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"));
	assert_false(key_is_fingerprint("MD5:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"));
	assert_false(key_is_fingerprint("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF"));
	assert_false(key_is_fingerprint("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
	assert_false(key_is_fingerprint("SHA256:47DEQpj8HBSa-_TImW+5JCeuQeRkm5NMpJWZG3hSuFU"));
	assert_false(key_is_fingerprint(" SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF"));
	snprintf(buf, sizeof(buf), "%s", good);
	buf[20] = '\n';
	assert_false(key_is_fingerprint(buf));
	/* The empty blob: SHA-256 of nothing, as every tool prints it. */
	assert_int_equal(key_fingerprint((const unsigned char *)"", 0, buf), RJH_OK);
	assert_string_equal(buf, good);
}

static void test_null_diag(void **state)
{
	char path[128];
	struct key k;

	(void)state;
	assert_int_equal(key_parse_line("ssh-dss AAAA", 3072, &k, NULL), RJH_EINVAL);
	path_of("rsa2048.pub", path, sizeof(path));
	assert_int_equal(key_read_file(path, 3072, &k, NULL), RJH_EINVAL);
	path_of("ed25519", path, sizeof(path));
	assert_int_equal(key_read_file(path, 3072, &k, NULL), RJH_EINVAL);
	key_clear(&k);
	key_clear(&k);
	assert_null(k.b64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fp_matches_ssh_keygen),
	    cmocka_unit_test(test_parse_line_and_raw_fp),
	    cmocka_unit_test(test_sk_keys),
	    cmocka_unit_test(test_sk_malformed),
	    cmocka_unit_test(test_dss_refused),
	    cmocka_unit_test(test_rsa_too_short),
	    cmocka_unit_test(test_certificate_refused),
	    cmocka_unit_test(test_private_keys_refused),
	    cmocka_unit_test(test_private_detection),
	    cmocka_unit_test(test_bad_base64),
	    cmocka_unit_test(test_type_mismatch),
	    cmocka_unit_test(test_trailing_garbage),
	    cmocka_unit_test(test_truncated_blobs),
	    cmocka_unit_test(test_ec_point_invalid),
	    cmocka_unit_test(test_options_refused),
	    cmocka_unit_test(test_unknown_types),
	    cmocka_unit_test(test_comment_checks),
	    cmocka_unit_test(test_file_shapes_refused),
	    cmocka_unit_test(test_accepted_shapes),
	    cmocka_unit_test(test_is_fingerprint),
	    cmocka_unit_test(test_null_diag),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
