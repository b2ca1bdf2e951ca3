/* Unit tests for lib/name.h's limits: each buffer size holds the longest name its check accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "cfg.h"
#include "name.h"
#include "reg.h"

/* A name of n copies of c, after prefix. */
static const char *fill(char *buf, const char *prefix, char c, size_t n)
{
	size_t p = strlen(prefix);

	memcpy(buf, prefix, p);
	memset(buf + p, c, n);
	buf[p + n] = '\0';
	return buf;
}

static void test_host(void **state)
{
	char buf[128];

	(void)state;
	assert_true(name_is_host(fill(buf, "", 'a', NAME_HOST_MAX)));
	assert_false(name_is_host(fill(buf, "", 'a', NAME_HOST_MAX + 1)));
	assert_int_equal(NAME_HOST_SIZE, NAME_HOST_MAX + 1);
	assert_int_equal(sizeof(((struct reg_host *)0)->name), NAME_HOST_SIZE);
	assert_int_equal(sizeof(((struct reg_key *)0)->host), NAME_HOST_SIZE);
	assert_int_equal(sizeof(((struct reg_session *)0)->host), NAME_HOST_SIZE);
}

static void test_account_and_principal(void **state)
{
	char buf[128];

	(void)state;
	assert_true(name_is_account(fill(buf, "", 'a', NAME_ACCOUNT_MAX)));
	assert_false(name_is_account(fill(buf, "", 'a', NAME_ACCOUNT_MAX + 1)));
	assert_int_equal(sizeof(((struct cfg *)0)->host_group), NAME_ACCOUNT_SIZE);
	assert_int_equal(sizeof(((struct cfg *)0)->keys_user), NAME_ACCOUNT_SIZE);
	/* The longest principal, @ and the longest group, fits with its NUL. */
	fill(buf, "@", 'g', NAME_ACCOUNT_MAX);
	assert_int_equal(name_check_principal(buf, NULL), RJH_OK);
	assert_int_equal(strlen(buf) + 1, NAME_PRINCIPAL_SIZE);
	assert_int_equal(sizeof(((struct reg_grant *)0)->principal), NAME_PRINCIPAL_SIZE);
	fill(buf, "@", 'g', NAME_ACCOUNT_MAX + 1);
	assert_int_not_equal(name_check_principal(buf, NULL), RJH_OK);
}

static void test_pattern(void **state)
{
	char buf[128];

	(void)state;
	fill(buf, "a", '*', NAME_PATTERN_MAX - 1);
	assert_int_equal(name_check_pattern(buf, NULL), RJH_OK);
	assert_int_equal(strlen(buf) + 1, NAME_PATTERN_SIZE);
	assert_int_equal(sizeof(((struct reg_grant *)0)->pattern), NAME_PATTERN_SIZE);
	fill(buf, "a", '*', NAME_PATTERN_MAX);
	assert_int_not_equal(name_check_pattern(buf, NULL), RJH_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host),
	    cmocka_unit_test(test_account_and_principal),
	    cmocka_unit_test(test_pattern),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
