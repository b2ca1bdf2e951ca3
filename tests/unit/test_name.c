/* Unit tests for lib/name.c: host names, account names, grant patterns, principals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "name.h"

/* One input and what each checker must say about it. */
struct name_case {
	const char *s;
	bool host;      /* name_check_host / name_is_host */
	bool account;   /* name_is_account */
	bool pattern;   /* name_check_pattern */
	bool principal; /* name_check_principal */
};

#define NAME_32 "abcdefghijklmnopqrstuvwxyz012345"
#define NAME_33 NAME_32 "6"
#define GLOB_64 "*bcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01"

static const struct name_case cases[] = {
    /* Accepted host names. */
    {"a", true, true, true, true},
    {"host-42", true, true, true, true},
    {"a.b_c-d", true, true, true, true},
    {NAME_32, true, true, true, true},
    /* Empty, dots and path tricks. */
    {"", false, false, false, false},
    {".", false, false, false, false},
    {"..", false, false, false, false},
    {"../x", false, false, false, false},
    {"a/../b", false, false, false, false},
    {"a..b", false, true, false, true},
    {"host..", false, true, false, true},
    {"/etc", false, false, false, false},
    /* Option injection into ssh and friends. */
    {"-x", false, false, false, false},
    {"--x", false, false, false, false},
    {"-oProxyCommand=x", false, false, false, false},
    /* Case, spaces, control characters. */
    {"Host", false, false, false, false},
    {"hOST", false, false, false, false},
    {"host 1", false, false, false, false},
    {"host\n", false, false, false, false},
    {"host\t", false, false, false, false},
    {"ho\x01st", false, false, false, false},
    {"host;id", false, false, false, false},
    {"host$", false, false, false, false},
    /* Globs: only name_check_pattern takes them. */
    {"*", false, false, true, false},
    {"~*", false, false, false, false},
    {"web-*", false, false, true, false},
    {"web?", false, false, true, false},
    {"*.prod", false, false, true, false},
    {"*x*", false, false, true, false},
    {"-*", false, false, false, false},
    {".*", false, false, false, false},
    {"a..*", false, false, false, false},
    {"a/*", false, false, false, false},
    {"A*", false, false, false, false},
    {"* x", false, false, false, false},
    {GLOB_64, false, false, true, false},
    {GLOB_64 "2", false, false, false, false},
    /* Length. */
    {NAME_33, false, false, false, false},
    /* First character. */
    {"1host", false, false, false, false},
    {"_x", false, true, false, true},
    {"_", false, true, false, true},
    /* Bytes >= 0x80: UTF-8 and stray high bytes. */
    {"h\xc3\xa9", false, false, false, false},
    {"\xc3\xa9t\xc3\xa9", false, false, false, false},
    {"host\x80", false, false, false, false},
    {"\xff", false, false, false, false},
    {"a\xe2\x80\xae", false, false, false, false},
    /* Principals: @group. */
    {"@wheel", false, false, false, true},
    {"@_x", false, false, false, true},
    {"@", false, false, false, false},
    {"@@x", false, false, false, false},
    {"@-x", false, false, false, false},
    {"@Wheel", false, false, false, false},
    {"@" NAME_32, false, false, false, true},
    {"@" NAME_33, false, false, false, false},
    {"wheel@", false, false, false, false},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Checks one verdict: 0 and an untouched message, or RJH_EINVAL and a reason. */
static void check_verdict(const char *what, const char *s, int rc, const struct rjh_diag *d,
			  bool want_ok)
{
	if (want_ok) {
		if (rc != RJH_OK)
			fail_msg("%s refused '%s': %s", what, s, d->msg);
		assert_string_equal(d->msg, "");
	} else {
		if (rc != RJH_EINVAL)
			fail_msg("%s returned %d for '%s', want RJH_EINVAL", what, rc, s);
		if (d->msg[0] == '\0')
			fail_msg("%s refused '%s' without a reason", what, s);
	}
}

static void test_host(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		struct rjh_diag d = {""};
		int rc = name_check_host(cases[i].s, &d);

		check_verdict("name_check_host", cases[i].s, rc, &d, cases[i].host);
		if (name_is_host(cases[i].s) != cases[i].host)
			fail_msg("name_is_host('%s') disagrees with the table", cases[i].s);
	}
}

static void test_account(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		if (name_is_account(cases[i].s) != cases[i].account)
			fail_msg("name_is_account('%s') should be %d", cases[i].s,
				 cases[i].account);
	}
}

static void test_pattern(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		struct rjh_diag d = {""};
		int rc = name_check_pattern(cases[i].s, &d);

		check_verdict("name_check_pattern", cases[i].s, rc, &d, cases[i].pattern);
	}
}

static void test_principal(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		struct rjh_diag d = {""};
		int rc = name_check_principal(cases[i].s, &d);

		check_verdict("name_check_principal", cases[i].s, rc, &d, cases[i].principal);
	}
}

/* Every host name is also a valid account name and a valid pattern. */
static void test_host_implies_account(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		if (!cases[i].host)
			continue;
		assert_true(name_is_account(cases[i].s));
		assert_int_equal(name_check_pattern(cases[i].s, NULL), RJH_OK);
		assert_int_equal(name_check_principal(cases[i].s, NULL), RJH_OK);
	}
}

static void test_null_input(void **state)
{
	struct rjh_diag d = {""};

	(void)state;
	assert_false(name_is_host(NULL));
	assert_false(name_is_account(NULL));
	assert_int_equal(name_check_host(NULL, &d), RJH_EINVAL);
	assert_true(d.msg[0] != '\0');
	d.msg[0] = '\0';
	assert_int_equal(name_check_pattern(NULL, &d), RJH_EINVAL);
	assert_true(d.msg[0] != '\0');
	d.msg[0] = '\0';
	assert_int_equal(name_check_principal(NULL, &d), RJH_EINVAL);
	assert_true(d.msg[0] != '\0');
}

/* A NULL diag is allowed: the NSS module checks names without one. */
static void test_null_diag(void **state)
{
	(void)state;
	assert_int_equal(name_check_host("Bad", NULL), RJH_EINVAL);
	assert_int_equal(name_check_host("good", NULL), RJH_OK);
	assert_int_equal(name_check_pattern("~*", NULL), RJH_EINVAL);
	assert_int_equal(name_check_principal("-x", NULL), RJH_EINVAL);
}

/* The length limit counts bytes up to the limit: a long string is not read to its end. */
static void test_every_length(void **state)
{
	char buf[80];
	size_t n;

	(void)state;
	for (n = 1; n < sizeof(buf); n++) {
		memset(buf, 'a', n);
		buf[n] = '\0';
		assert_int_equal(name_is_host(buf), n <= NAME_HOST_MAX);
		assert_int_equal(name_is_account(buf), n <= 32);
	}
}

/* Only the listed characters are accepted, whatever the position. */
static void test_every_byte(void **state)
{
	unsigned c;

	(void)state;
	for (c = 1; c < 256; c++) {
		char mid[4] = {'a', (char)c, 'b', '\0'};
		bool want = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			    c == '_' || c == '-';

		assert_int_equal(name_is_host(mid), want);
		if (c == '*' || c == '?')
			want = true;
		assert_int_equal(name_check_pattern(mid, NULL) == RJH_OK, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host),
	    cmocka_unit_test(test_account),
	    cmocka_unit_test(test_pattern),
	    cmocka_unit_test(test_principal),
	    cmocka_unit_test(test_host_implies_account),
	    cmocka_unit_test(test_null_input),
	    cmocka_unit_test(test_null_diag),
	    cmocka_unit_test(test_every_length),
	    cmocka_unit_test(test_every_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
