/* Unit tests for lib/util.c's util_grow and util_buf_put: growth, and refusal before overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct row {
	char name[40];
	uint32_t uid;
};

/* Appending one at a time keeps every element and doubles from first. */
static void test_grow_append(void **state)
{
	struct row *v = NULL;
	size_t n, cap = 0;

	(void)state;
	for (n = 0; n < 1000; n++) {
		assert_int_equal(util_grow(&v, &cap, n + 1, sizeof(*v), 64), RJH_OK);
		assert_true(cap >= n + 1);
		v[n].uid = (uint32_t)n;
		memset(v[n].name, 'a' + (int)(n % 26), sizeof(v[n].name));
	}
	assert_int_equal(cap, 1024);
	for (n = 0; n < 1000; n++)
		assert_int_equal(v[n].uid, n);
	free(v);
}

/* Room enough already: nothing moves; first 0 still grows. */
static void test_grow_noop_and_first(void **state)
{
	char **v = NULL, **was;
	size_t cap = 0;

	(void)state;
	assert_int_equal(util_grow(&v, &cap, 1, sizeof(*v), 0), RJH_OK);
	assert_int_equal(cap, 1);
	assert_int_equal(util_grow(&v, &cap, 3, sizeof(*v), 0), RJH_OK);
	assert_int_equal(cap, 4);
	was = v;
	assert_int_equal(util_grow(&v, &cap, 4, sizeof(*v), 0), RJH_OK);
	assert_ptr_equal(v, was);
	assert_int_equal(cap, 4);
	free(v);
}

/* A count or a byte size past size_t is refused, and the array is left as it was. */
static void test_grow_overflow(void **state)
{
	struct row *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(util_grow(&v, &cap, 2, sizeof(*v), 2), RJH_OK);
	v[0].uid = 7;
	assert_int_equal(util_grow(&v, &cap, SIZE_MAX, sizeof(*v), 2), RJH_ENOMEM);
	assert_int_equal(util_grow(&v, &cap, SIZE_MAX / 2 + 2, 1, 2), RJH_ENOMEM);
	assert_int_equal(util_grow(&v, &cap, SIZE_MAX / sizeof(*v) + 1, sizeof(*v), 2), RJH_ENOMEM);
	assert_int_equal(cap, 2);
	assert_non_null(v);
	assert_int_equal(v[0].uid, 7);
	free(v);
}

static void test_buf_put(void **state)
{
	struct util_buf b = {NULL, 0, 0};
	unsigned char chunk[100];
	int i;

	(void)state;
	memset(chunk, 0x5a, sizeof(chunk));
	assert_int_equal(util_buf_put(&b, NULL, 0), RJH_OK);
	for (i = 0; i < 50; i++)
		assert_int_equal(util_buf_put(&b, chunk, sizeof(chunk)), RJH_OK);
	assert_int_equal(b.len, 5000);
	assert_int_equal(b.cap, 8192);
	assert_int_equal(b.p[4999], 0x5a);
	/* len + n would wrap: refused, b unchanged. */
	assert_int_equal(util_buf_put(&b, chunk, SIZE_MAX - 10), RJH_ENOMEM);
	assert_int_equal(b.len, 5000);
	assert_int_equal(b.cap, 8192);
	util_buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grow_append),
	    cmocka_unit_test(test_grow_noop_and_first),
	    cmocka_unit_test(test_grow_overflow),
	    cmocka_unit_test(test_buf_put),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
