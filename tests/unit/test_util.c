/* Unit tests for lib/util.c: times, CIDR lists, numbers, lines, file reading and trust. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpdir.h"
#include "util.h"

#define SENTINEL INT64_C(-4242)

struct time_ok {
	const char *s;
	int64_t want;
};

static const struct time_ok times_ok[] = {
    /* A bare date is the last second of that day, UTC. */
    {"2026-03-15", 1773619199},
    {"2026-12-31", 1798761599},
    {"1970-01-01", 86399},
    {"2028-02-29", 1835481599},
    {"2000-02-29", 951868799},
    {"9999-12-31", INT64_C(253402300799)},
    {"2026-03-15T08:30Z", 1773563400},
    {"2026-03-15T08:30:45Z", 1773563445},
    {"2026-03-15T00:00:00Z", 1773532800},
    {"2026-03-15T23:59:59Z", 1773619199},
    /* Past 2^31 and 2^32: no 32-bit truncation. */
    {"2038-01-19T03:14:08Z", INT64_C(2147483648)},
    {"2106-02-07T06:28:16Z", INT64_C(4294967296)},
};

static const char *const times_bad[] = {
    "",
    "tomorrow",
    "now",
    "+1d",
    "2026-02-31",
    "2026-02-29",
    "2100-02-29",
    "2026-04-31",
    "2026-13-01",
    "2026-00-10",
    "2026-01-00",
    "2026-01-32",
    "26-03-15",
    "2026-3-15",
    "2026/03/15",
    "20260315",
    "2026-03-15x",
    "2026-03-15 ",
    "2026-03-15Z",
    "2026-03-15T",
    "2026-03-15T08Z",
    "2026-03-15T08:30",
    "2026-03-15T08:30:45",
    "2026-03-15T08:30Zjunk",
    "2026-03-15T08:30:45Z ",
    "2026-03-15T08:30:45+01:00",
    "2026-03-15T08:30:45.5Z",
    "2026-03-15t08:30z",
    "2026-03-15 08:30Z",
    "2026-03-15T24:00Z",
    "2026-03-15T08:60Z",
    "2026-03-15T08:30:62Z",
    "2026-12-31T23:59:60Z",
};

static void test_parse_time_ok(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(times_ok) / sizeof(times_ok[0]); i++) {
		struct rjh_diag d = {""};
		int64_t t = SENTINEL;
		int rc = util_parse_time(times_ok[i].s, &t, &d);

		if (rc != RJH_OK || t != times_ok[i].want)
			fail_msg("util_parse_time('%s') = %d, %lld; want %lld (%s)", times_ok[i].s,
				 rc, (long long)t, (long long)times_ok[i].want, d.msg);
	}
}

static void test_parse_time_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(times_bad) / sizeof(times_bad[0]); i++) {
		struct rjh_diag d = {""};
		int64_t t = SENTINEL;
		int rc = util_parse_time(times_bad[i], &t, &d);

		if (rc != RJH_EINVAL)
			fail_msg("util_parse_time('%s') = %d (%lld), want RJH_EINVAL", times_bad[i],
				 rc, (long long)t);
		if (d.msg[0] == '\0')
			fail_msg("util_parse_time('%s') refused without a reason", times_bad[i]);
		/* The output is only written on success. */
		assert_int_equal(t, SENTINEL);
	}
	assert_int_equal(util_parse_time("2026-02-31", &(int64_t){0}, NULL), RJH_EINVAL);
}

static void test_fmt_time(void **state)
{
	char buf[32];

	(void)state;
	util_fmt_time(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	util_fmt_time(1773563445, buf, sizeof(buf));
	assert_string_equal(buf, "2026-03-15T08:30:45Z");
	util_fmt_time(INT64_C(4294967296), buf, sizeof(buf));
	assert_string_equal(buf, "2106-02-07T06:28:16Z");
	/* 21 bytes is enough, as documented. */
	util_fmt_time(1773619199, buf, 21);
	assert_string_equal(buf, "2026-03-15T23:59:59Z");
}

static void test_time_round_trip(void **state)
{
	static const int64_t samples[] = {
	    0,
	    1,
	    59,
	    86399,
	    951868799,
	    1700000000,
	    1773563445,
	    1835481599,
	    INT64_C(2147483647),
	    INT64_C(2147483648),
	    INT64_C(4102444800),
	    INT64_C(253402300799),
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		char buf[32];
		int64_t back = SENTINEL;

		util_fmt_time(samples[i], buf, sizeof(buf));
		assert_int_equal(strlen(buf), 20);
		assert_int_equal(util_parse_time(buf, &back, NULL), RJH_OK);
		assert_int_equal(back, samples[i]);
	}
	for (i = 0; i < sizeof(times_ok) / sizeof(times_ok[0]); i++) {
		char buf[32];
		int64_t back = SENTINEL;

		util_fmt_time(times_ok[i].want, buf, sizeof(buf));
		assert_int_equal(util_parse_time(buf, &back, NULL), RJH_OK);
		assert_int_equal(back, times_ok[i].want);
	}
}

struct cidr_ok {
	const char *in, *want;
};

static const struct cidr_ok cidrs_ok[] = {
    {"10.0.0.0/8,2001:db8::/32", "10.0.0.0/8,2001:db8::/32"},
    {"10.1.2.3", "10.1.2.3/32"},
    {"2001:db8::1", "2001:db8::1/128"},
    {"::1", "::1/128"},
    {"0.0.0.0/0", "0.0.0.0/0"},
    {"::/0", "::/0"},
    {"2001:DB8:0:0::/32", "2001:db8::/32"},
    {"2001:0db8:0000:0000:0000:0000:0000:0000/32", "2001:db8::/32"},
    {"10.0.0.0/08", "10.0.0.0/8"},
    {"192.168.1.0/24,10.0.0.0/8", "192.168.1.0/24,10.0.0.0/8"},
    {"192.0.2.128/25", "192.0.2.128/25"},
    {"::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104"},
    {"10.0.0.1/32,10.0.0.1", "10.0.0.1/32,10.0.0.1/32"},
};

static const char *const cidrs_bad[] = {
    "",
    ",",
    "10.0.0.1/8",
    "11.0.0.0/7",
    "2001:db8::1/32",
    "10.0.0.0/33",
    "::/129",
    "10.0.0.0/4294967296",
    ",10.0.0.0/8",
    "10.0.0.0/8,,10.1.0.0/16",
    "10.0.0.0/8,",
    "10.0.0.0/",
    "/8",
    "10.0.0.0/-1",
    "10.0.0.0/+8",
    "10.0.0.0/ 8",
    " 10.0.0.0/8",
    "10.0.0.0/8 ",
    "10.0.0.0/8, 10.1.0.0/16",
    "10.0.0.256",
    "010.0.0.0/8",
    "10.0.0/8",
    "10.0.0.0.0",
    "jump.example.org",
    "fe80::1%eth0",
    "2001:db8:::/48",
    "10.0.0.0/8/8",
    "10.0.0.0\n/8",
};

static void test_cidrs_ok(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cidrs_ok) / sizeof(cidrs_ok[0]); i++) {
		struct rjh_diag d = {""};
		char out[256];
		int rc = util_parse_cidrs(cidrs_ok[i].in, out, sizeof(out), &d);

		if (rc != RJH_OK)
			fail_msg("util_parse_cidrs('%s') refused: %s", cidrs_ok[i].in, d.msg);
		assert_string_equal(out, cidrs_ok[i].want);
		/* The canonical form is a fixed point. */
		{
			char again[256];

			assert_int_equal(util_parse_cidrs(out, again, sizeof(again), NULL), RJH_OK);
			assert_string_equal(again, out);
		}
	}
}

static void test_cidrs_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cidrs_bad) / sizeof(cidrs_bad[0]); i++) {
		struct rjh_diag d = {""};
		char out[256];
		int rc = util_parse_cidrs(cidrs_bad[i], out, sizeof(out), &d);

		if (rc != RJH_EINVAL)
			fail_msg("util_parse_cidrs('%s') = %d, want RJH_EINVAL", cidrs_bad[i], rc);
		if (d.msg[0] == '\0')
			fail_msg("util_parse_cidrs('%s') refused without a reason", cidrs_bad[i]);
	}
}

static void test_cidrs_limits(void **state)
{
	char in[32 * 16 + 32], out[32 * 16 + 32];
	struct rjh_diag d = {""};
	size_t used = 0;
	int i;

	(void)state;
	/* 32 items are accepted, 33 are not. */
	for (i = 0; i < 33; i++)
		used += (size_t)snprintf(in + used, sizeof(in) - used, "%s10.%d.0.0/16",
					 i ? "," : "", i);
	assert_int_equal(util_parse_cidrs(in, out, sizeof(out), &d), RJH_EINVAL);
	assert_true(strstr(d.msg, "32") != NULL);
	*strrchr(in, ',') = '\0';
	assert_int_equal(util_parse_cidrs(in, out, sizeof(out), &d), RJH_OK);
	assert_string_equal(out, in);
	/* An output buffer too small is an error, not a truncated list. */
	d.msg[0] = '\0';
	assert_int_equal(util_parse_cidrs("10.0.0.0/8,192.168.0.0/16", out, 12, &d), RJH_EINVAL);
	assert_true(d.msg[0] != '\0');
	assert_int_equal(util_parse_cidrs("10.0.0.0/8", out, 8, &d), RJH_EINVAL);
}

/* util_cidrs_match: PAM_RHOST against a host's canonical CIDRs. */
static void test_cidrs_match(void **state)
{
	(void)state;
	assert_true(util_cidrs_match("10.1.0.0/16", "10.1.2.3"));
	assert_false(util_cidrs_match("10.1.0.0/16", "10.2.0.1"));
	assert_true(util_cidrs_match("10.1.0.0/16,2001:db8::/32", "2001:db8::5"));
	assert_true(util_cidrs_match("10.1.0.0/16", "::ffff:10.1.9.9"));
	assert_true(util_cidrs_match("192.0.2.7/32", "192.0.2.7"));
	assert_false(util_cidrs_match("192.0.2.7/32", "192.0.2.8"));
	assert_true(util_cidrs_match("0.0.0.0/0", "198.51.100.1"));
	/* Not an address literal (UseDNS), nothing, or garbage: never a match. */
	assert_false(util_cidrs_match("0.0.0.0/0", "jump.example.com"));
	assert_false(util_cidrs_match("0.0.0.0/0", NULL));
	assert_false(util_cidrs_match("0.0.0.0/0", ""));
	/* A prefix too long for its family (a damaged registry) matches nothing. */
	assert_false(util_cidrs_match("10.0.0.0/4294967200", "192.0.2.7"));
	assert_false(util_cidrs_match("10.0.0.0/4294967295", "192.0.2.7"));
	assert_false(util_cidrs_match("10.0.0.0/33", "10.0.0.0"));
	assert_false(util_cidrs_match("2001:db8::/129", "2001:db8::"));
	assert_false(util_cidrs_match("garbage", "10.0.0.1"));
}

static void test_parse_u32(void **state)
{
	static const char *const bad[] = {
	    "",
	    "-1",
	    "+1",
	    " 1",
	    "1 ",
	    "0x10",
	    "1e3",
	    "4294967296",
	    "4294967300",
	    "18446744073709551616",
	    "99999999999999999999999999",
	    "12a",
	    "\xd9\xa1",
	};
	uint32_t v;
	size_t i;

	(void)state;
	assert_int_equal(util_parse_u32("0", &v), RJH_OK);
	assert_int_equal(v, 0);
	assert_int_equal(util_parse_u32("007", &v), RJH_OK);
	assert_int_equal(v, 7);
	assert_int_equal(util_parse_u32("4294967295", &v), RJH_OK);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(util_parse_u32("4294967294", &v), RJH_OK);
	assert_int_equal(v, 4294967294u);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (util_parse_u32(bad[i], &v) != RJH_EINVAL)
			fail_msg("util_parse_u32('%s') accepted", bad[i]);
		assert_int_equal(v, 12345);
	}
	assert_int_equal(util_parse_u32(NULL, &v), RJH_EINVAL);
}

/* Collects every line of text (split in a writable copy) as "[line]|[line]...". */
static void lines_of(const char *text, char *out, size_t outlen)
{
	size_t len = strlen(text), pos = 0, ll = 0, used = 0;
	char *buf = malloc(len + 1), *line;

	assert_non_null(buf);
	memcpy(buf, text, len);
	buf[len] = '\0';
	out[0] = '\0';
	while ((line = util_next_line(buf, len, &pos, &ll)) != NULL) {
		assert_int_equal(ll, strlen(line));
		used +=
		    (size_t)snprintf(out + used, outlen - used, "%s[%s]", used ? "|" : "", line);
		assert_true(used < outlen);
		assert_true(pos <= len);
	}
	assert_int_equal(pos, len);
	free(buf);
}

static void test_parse_age_size(void **state)
{
	static const char *const bad_ages[] = {"",    "7",    "d",   "7D",  "7y",
					       "-7d", "+7d",  " 7d", "7d ", "1234567890s",
					       "7dd", "0x7d", "7.5d"};
	static const char *const bad_sizes[] = {"",     "M",    "16m",        "16MB", "-1",
						" 16M", "16M ", "1234567890", "1.5G", "16T"};
	uint64_t bytes;
	int64_t secs;
	size_t i;

	(void)state;
	assert_int_equal(util_parse_age("30s", &secs), RJH_OK);
	assert_int_equal(secs, 30);
	assert_int_equal(util_parse_age("30m", &secs), RJH_OK);
	assert_int_equal(secs, 1800);
	assert_int_equal(util_parse_age("12h", &secs), RJH_OK);
	assert_int_equal(secs, 43200);
	assert_int_equal(util_parse_age("7d", &secs), RJH_OK);
	assert_int_equal(secs, 604800);
	assert_int_equal(util_parse_age("999999999w", &secs), RJH_OK);
	assert_int_equal(secs, 999999999LL * 604800);
	assert_int_equal(util_parse_age("0d", &secs), RJH_OK);
	assert_int_equal(secs, 0);
	for (i = 0; i < sizeof(bad_ages) / sizeof(bad_ages[0]); i++) {
		if (util_parse_age(bad_ages[i], &secs) != RJH_EINVAL)
			fail_msg("age '%s' was accepted", bad_ages[i]);
	}
	assert_int_equal(util_parse_size("4096", &bytes), RJH_OK);
	assert_int_equal(bytes, 4096);
	assert_int_equal(util_parse_size("64k", &bytes), RJH_OK);
	assert_int_equal(bytes, 65536);
	assert_int_equal(util_parse_size("16M", &bytes), RJH_OK);
	assert_int_equal(bytes, 16u << 20);
	assert_int_equal(util_parse_size("2G", &bytes), RJH_OK);
	assert_int_equal(bytes, 2ULL << 30);
	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		if (util_parse_size(bad_sizes[i], &bytes) != RJH_EINVAL)
			fail_msg("size '%s' was accepted", bad_sizes[i]);
	}
}

static void test_next_line(void **state)
{
	char out[256];

	(void)state;
	lines_of("a\r\nb\n\r\nlast", out, sizeof(out));
	assert_string_equal(out, "[a]|[b]|[]|[last]");
	lines_of("only", out, sizeof(out));
	assert_string_equal(out, "[only]");
	lines_of("x\n", out, sizeof(out));
	assert_string_equal(out, "[x]");
	lines_of("x\r\n", out, sizeof(out));
	assert_string_equal(out, "[x]");
	lines_of("\n\n", out, sizeof(out));
	assert_string_equal(out, "[]|[]");
	lines_of("last\r", out, sizeof(out));
	assert_string_equal(out, "[last]");
	lines_of("a\rb\nc", out, sizeof(out));
	assert_string_equal(out, "[a\rb]|[c]");
	lines_of("a\r\r\n", out, sizeof(out));
	assert_string_equal(out, "[a\r]");
	lines_of("", out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_next_line_null_len(void **state)
{
	char buf[] = "one\r\ntwo";
	size_t pos = 0;

	(void)state;
	assert_string_equal(util_next_line(buf, 8, &pos, NULL), "one");
	assert_int_equal(pos, 5);
	assert_string_equal(util_next_line(buf, 8, &pos, NULL), "two");
	assert_null(util_next_line(buf, 8, &pos, NULL));
	assert_null(util_next_line(buf, 8, &pos, NULL));
}

static void test_is_printable(void **state)
{
	(void)state;
	assert_true(util_is_printable("", 0));
	assert_true(util_is_printable("abc ~!", 10));
	assert_true(util_is_printable("abc", 3));
	assert_false(util_is_printable("abcd", 3));
	assert_false(util_is_printable("a\tb", 10));
	assert_false(util_is_printable("a\nb", 10));
	assert_false(util_is_printable("a\x7f", 10));
	assert_false(util_is_printable("\x1b[31m", 10));
	assert_false(util_is_printable("caf\xc3\xa9", 10));
}

static void test_read_file(void **state)
{
	char dir[] = "/tmp/rjh-test-util-XXXXXX";
	char path[64], big[100], *buf = NULL;
	struct rjh_diag d = {""};
	struct stat st;
	size_t len = 99;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(util_read_file(path, 100, true, &buf, &len, NULL, &d), RJH_ENOENT);
	assert_null(buf);
	assert_int_equal(len, 0);

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(util_read_file(path, 100, false, &buf, &len, NULL, &d), RJH_EINVAL);
	assert_true(d.msg[0] != '\0');
	assert_int_equal(util_read_file(path, 100, true, &buf, &len, &st, &d), RJH_OK);
	assert_non_null(buf);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);

	memset(big, 'x', sizeof(big));
	assert_int_equal(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	assert_int_equal(close(fd), 0);
	assert_int_equal(util_read_file(path, 99, true, &buf, &len, NULL, &d), RJH_EINVAL);
	assert_null(buf);
	assert_int_equal(util_read_file(path, 100, true, &buf, &len, &st, &d), RJH_OK);
	assert_int_equal(len, 100);
	assert_int_equal(st.st_size, 100);
	assert_int_equal(buf[100], '\0');
	assert_memory_equal(buf, big, 100);
	free(buf);

	assert_int_equal(util_read_file(dir, 100, true, &buf, &len, NULL, &d), RJH_EINVAL);
	assert_null(buf);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_check_trusted(void **state)
{
	struct rjh_diag d = {""};

	(void)state;
	assert_int_equal(util_check_trusted("/x", 0, S_IFREG | 0644, &d), RJH_OK);
	assert_int_equal(util_check_trusted("/x", 0, S_IFREG | 0600, &d), RJH_OK);
	assert_int_equal(util_check_trusted("/x", 0, S_IFREG | 0664, &d), RJH_ETRUST);
	assert_true(strstr(d.msg, "/x") != NULL);
	assert_int_equal(util_check_trusted("/x", 0, S_IFREG | 0646, &d), RJH_ETRUST);
	assert_int_equal(util_check_trusted("/x", 1000, S_IFREG | 0644, &d), RJH_ETRUST);
	assert_true(strstr(d.msg, "1000") != NULL);
	assert_int_equal(util_check_trusted("/x", 65534, S_IFREG | 0400, NULL), RJH_ETRUST);
}

/*
 * The tree the trust tests walk, under tmpdir (root's 0700, in root's sticky
 * /tmp). ok/ is root's 0755; the others are named for what is wrong with them.
 */
static int trust_setup(void **state)
{
	(void)state;
	return tmpdir_make("trust");
}

static int trust_teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

/* tmpdir/rel into buf (PATH_MAX). */
static const char *in_tmp(const char *rel, char *buf)
{
	assert_true((size_t)snprintf(buf, PATH_MAX, "%s/%s", tmpdir, rel) < PATH_MAX);
	return buf;
}

static void mk_dir(const char *rel, mode_t mode, uid_t uid)
{
	char p[PATH_MAX];

	assert_int_equal(mkdir(in_tmp(rel, p), 0700), 0);
	assert_int_equal(chown(p, uid, 0), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static void mk_file(const char *rel, mode_t mode, uid_t uid)
{
	char p[PATH_MAX];
	int fd = open(in_tmp(rel, p), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	assert_int_equal(fchown(fd, uid, 0), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* A symbolic link tmpdir/rel -> target, owned by uid. */
static void mk_link(const char *target, const char *rel, uid_t uid)
{
	char p[PATH_MAX];

	assert_int_equal(symlink(target, in_tmp(rel, p)), 0);
	assert_int_equal(lchown(p, uid, 0), 0);
}

/*
 * util_open_trusted and util_path_trusted agree on path: both return want
 * (the descriptor of a regular file for RJH_OK), and the message contains
 * each of the NULL-terminated words.
 */
static void expect_path(const char *path, int want, ...)
{
	struct rjh_diag d = {""};
	struct stat st;
	const char *w;
	va_list ap;
	int fd;

	fd = util_open_trusted(path, O_RDONLY, &st, &d);
	if (want == RJH_OK) {
		if (fd < 0)
			fail_msg("util_open_trusted(%s): %d %s", path, fd, d.msg);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		assert_int_equal(close(fd), 0);
	} else if (fd != want) {
		fail_msg("util_open_trusted(%s): %d, wanted %d (%s)", path, fd, want, d.msg);
	}
	va_start(ap, want);
	while ((w = va_arg(ap, const char *)) != NULL)
		if (!strstr(d.msg, w))
			fail_msg("util_open_trusted(%s): '%s' lacks '%s'", path, d.msg, w);
	va_end(ap);
	d.msg[0] = '\0';
	if (util_path_trusted(path, &d) != want)
		fail_msg("util_path_trusted(%s): %d, wanted %d (%s)", path,
			 util_path_trusted(path, NULL), want, d.msg);
	va_start(ap, want);
	while ((w = va_arg(ap, const char *)) != NULL)
		if (!strstr(d.msg, w))
			fail_msg("util_path_trusted(%s): '%s' lacks '%s'", path, d.msg, w);
	va_end(ap);
}

/* expect_path for tmpdir/rel. */
#define EXPECT(rel, want, ...)                                                                     \
	do {                                                                                       \
		char p_[PATH_MAX];                                                                 \
		expect_path(in_tmp(rel, p_), want, ##__VA_ARGS__, NULL);                           \
	} while (0)

static void test_trusted_file(void **state)
{
	char p[PATH_MAX], cwd[PATH_MAX];

	(void)state;
	mk_dir("ok", 0755, 0);
	mk_file("ok/f", 0644, 0);
	mk_file("ok/ro", 0400, 0);
	mk_file("ok/gr", 0640, 0);
	EXPECT("ok/f", RJH_OK);
	EXPECT("ok/ro", RJH_OK);
	EXPECT("ok/gr", RJH_OK);
	EXPECT("ok/./f", RJH_OK);
	EXPECT("ok//f", RJH_OK);
	EXPECT("ok/../ok/f", RJH_OK);
	/* Relative to the working directory, whose absolute name is walked. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(in_tmp("ok", p)), 0);
	expect_path("f", RJH_OK, NULL);
	expect_path("./f", RJH_OK, NULL);
	assert_int_equal(chdir(cwd), 0);
	/* What the file must be. */
	mk_file("ok/gw", 0664, 0);
	mk_file("ok/ow", 0646, 0);
	mk_file("ok/nobody", 0644, 65534);
	EXPECT("ok/gw", RJH_ETRUST, "ok/gw", "writable", "0664");
	EXPECT("ok/ow", RJH_ETRUST, "writable");
	EXPECT("ok/nobody", RJH_ETRUST, "ok/nobody", "65534");
	EXPECT("ok", RJH_EINVAL, "not a regular file");
	EXPECT("ok/", RJH_EINVAL, "not a regular file");
	EXPECT("ok/f/..", RJH_ESYS, "Not a directory");
	EXPECT("ok/missing", RJH_ENOENT);
	EXPECT("nodir/f", RJH_ENOENT);
	EXPECT("ok/f/x", RJH_ESYS, "Not a directory");
	expect_path("", RJH_ENOENT, NULL);
	/* Opening is never creating. */
	assert_int_equal(util_open_trusted(in_tmp("ok/new", p), O_RDWR | O_CREAT, NULL, NULL),
			 RJH_EINVAL);
	assert_int_equal(access(p, F_OK), -1);
}

static void test_trusted_dirs(void **state)
{
	char p[PATH_MAX];

	(void)state;
	mk_dir("gw", 0775, 0);
	mk_file("gw/f", 0644, 0);
	mk_dir("gw/sub", 0755, 0);
	mk_file("gw/sub/f", 0644, 0);
	mk_dir("nobody", 0755, 65534);
	mk_file("nobody/f", 0644, 0);
	mk_dir("ww", 0777, 0);
	mk_file("ww/f", 0644, 0);
	mk_dir("sticky", 01777, 0);
	mk_file("sticky/f", 0644, 0);
	mk_file("sticky/nobody", 0644, 65534);
	mk_dir("sticky-nobody", 01777, 65534);
	mk_file("sticky-nobody/f", 0644, 0);
	mk_dir("sticky-gw", 01775, 0);
	mk_file("sticky-gw/f", 0644, 0);

	/* The message names the directory at fault, not only the file. */
	snprintf(p, sizeof(p), "%s/gw is writable", tmpdir);
	EXPECT("gw/f", RJH_ETRUST, p, "0775");
	EXPECT("gw/sub/f", RJH_ETRUST, p);
	snprintf(p, sizeof(p), "%s/nobody is owned by uid 65534", tmpdir);
	EXPECT("nobody/f", RJH_ETRUST, p);
	EXPECT("ww/f", RJH_ETRUST, "0777");
	/* Root's sticky directories, like /tmp itself: only root moves root's entries. */
	EXPECT("sticky/f", RJH_OK);
	EXPECT("sticky-gw/f", RJH_OK);
	EXPECT("sticky/nobody", RJH_ETRUST, "65534");
	EXPECT("sticky-nobody/f", RJH_ETRUST, "owned by uid 65534");
	/* A file about to be created: its directories only. */
	assert_int_equal(util_dirs_trusted(in_tmp("sticky/new", p), NULL), RJH_OK);
	assert_int_equal(util_dirs_trusted(in_tmp("gw/new", p), NULL), RJH_ETRUST);
	assert_int_equal(util_dirs_trusted(in_tmp("gw/sub/new", p), NULL), RJH_ETRUST);
	assert_int_equal(util_dirs_trusted(in_tmp("nobody/new", p), NULL), RJH_ETRUST);
	assert_int_equal(util_dirs_trusted(in_tmp("nodir/new", p), NULL), RJH_ENOENT);
	/* ENOENT only once every directory that exists on the way was checked. */
	assert_int_equal(util_dirs_trusted(in_tmp("gw/nodir/new", p), NULL), RJH_ETRUST);
	EXPECT("gw/nodir/f", RJH_ETRUST, "writable");
	assert_int_equal(util_dirs_trusted(in_tmp("ok/nobody", p), NULL), RJH_OK);
}

static void test_trusted_links(void **state)
{
	char p[PATH_MAX];

	(void)state;
	/* The last component is never followed, even to a good file. */
	mk_link("f", "ok/link", 0);
	EXPECT("ok/link", RJH_ETRUST, "symbolic link");
	/* Links on the way, out of checked directories: absolute, relative, "..". */
	mk_link(in_tmp("ok", p), "ok/abs", 0);
	mk_link("../ok", "ok/rel", 0);
	mk_link("..", "ok/up", 0);
	mk_link("abs/rel/up/ok", "ok/chain", 0);
	EXPECT("ok/abs/f", RJH_OK);
	EXPECT("ok/rel/f", RJH_OK);
	EXPECT("ok/up/ok/f", RJH_OK);
	EXPECT("ok/chain/f", RJH_OK);
	EXPECT("ok/abs/link", RJH_ETRUST, "symbolic link");
	/* A link that leads into an untrusted directory: the target is checked too. */
	mk_link(in_tmp("gw", p), "ok/to-gw", 0);
	EXPECT("ok/to-gw/f", RJH_ETRUST, "gw is writable");
	/* A link living in an untrusted directory, even to a good one, is not followed. */
	mk_link(in_tmp("ok", p), "gw/to-ok", 0);
	EXPECT("gw/to-ok/f", RJH_ETRUST, "gw is writable");
	/* In root's sticky directory, only root's links. */
	mk_link(in_tmp("ok", p), "sticky/root-link", 0);
	mk_link(in_tmp("ok", p), "sticky/nobody-link", 65534);
	EXPECT("sticky/root-link/f", RJH_OK);
	EXPECT("sticky/nobody-link/f", RJH_ETRUST, "nobody-link", "65534");
}

static void test_trusted_link_limits(void **state)
{
	char p[PATH_MAX], name[32], target[32], *longp;
	size_t i;

	(void)state;
	/* Loops end with an error, not a hang. */
	mk_link("loop2", "ok/loop1", 0);
	mk_link("loop1", "ok/loop2", 0);
	mk_link("self", "ok/self", 0);
	EXPECT("ok/loop1/f", RJH_ESYS, "symbolic links");
	EXPECT("ok/self/f", RJH_ESYS, "symbolic links");
	/* At most 40 links: ok/n1 -> ... -> ok/n40 -> ok works, one more does not. */
	for (i = 0; i <= 40; i++) {
		snprintf(name, sizeof(name), "ok/n%zu", i);
		snprintf(target, sizeof(target), "n%zu", i + 1);
		if (i == 40)
			mk_link(".", name, 0);
		else
			mk_link(target, name, 0);
	}
	EXPECT("ok/n1/f", RJH_OK);
	EXPECT("ok/n0/f", RJH_ESYS, "symbolic links");
	/* Too long: as given, one name, or once a link is spliced in. */
	longp = malloc(PATH_MAX + 100);
	assert_non_null(longp);
	memset(longp, 'a', PATH_MAX + 99);
	longp[0] = '/';
	longp[PATH_MAX + 99] = '\0';
	expect_path(longp, RJH_EINVAL, "too long", NULL);
	snprintf(longp, PATH_MAX, "%s/ok/", tmpdir);
	memset(longp + strlen(longp), 'b', NAME_MAX + 1);
	longp[strlen(tmpdir) + 4 + NAME_MAX + 1] = '\0';
	strcat(longp, "/f");
	expect_path(longp, RJH_EINVAL, "too long", NULL);
	for (i = 0; i + 2 < PATH_MAX - 200; i += 2)
		memcpy(longp + i, "./", 2);
	longp[i] = '\0';
	mk_link(longp, "ok/deep", 0);
	/* Short names after the link, so that only the splice is too long. */
	for (i = 0; i + 2 < 300; i += 2)
		memcpy(p + i, "c/", 2);
	memcpy(p, "ok/deep/", 8);
	p[i] = '\0';
	EXPECT(p, RJH_EINVAL, "once links are followed");
	free(longp);
}

/* A FIFO as the file: refused at once, never blocking the open for a writer. */
static void test_trusted_fifo(void **state)
{
	char p[PATH_MAX];

	(void)state;
	assert_int_equal(mkfifo(in_tmp("ok/fifo", p), 0644), 0);
	alarm(10); /* a blocked open fails the test instead of hanging it */
	EXPECT("ok/fifo", RJH_EINVAL, "not a regular file");
	alarm(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_time_ok), cmocka_unit_test(test_parse_time_bad),
	    cmocka_unit_test(test_fmt_time),      cmocka_unit_test(test_time_round_trip),
	    cmocka_unit_test(test_cidrs_ok),      cmocka_unit_test(test_cidrs_bad),
	    cmocka_unit_test(test_cidrs_limits),  cmocka_unit_test(test_cidrs_match),
	    cmocka_unit_test(test_parse_u32),     cmocka_unit_test(test_parse_age_size),
	    cmocka_unit_test(test_next_line),     cmocka_unit_test(test_next_line_null_len),
	    cmocka_unit_test(test_is_printable),  cmocka_unit_test(test_read_file),
	    cmocka_unit_test(test_check_trusted),
	};

	/* In order: each adds to the tree the ones after it walk. */
	const struct CMUnitTest trust[] = {
	    cmocka_unit_test(test_trusted_file),  cmocka_unit_test(test_trusted_dirs),
	    cmocka_unit_test(test_trusted_links), cmocka_unit_test(test_trusted_link_limits),
	    cmocka_unit_test(test_trusted_fifo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) |
	       cmocka_run_group_tests_name("trust", trust, trust_setup, trust_teardown);
}
