/* Unit tests for lib/aud.c's aud_write: the kernel record, its mirror, and which goes first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libaudit.h>
#include <string.h>

#include "aud.h"

/* A mirror that counts its calls and fails with rc. */
struct fake {
	int calls, rc;
};

static int fake_write(void *ctx, const struct aud_rec *rec, struct rjh_diag *d)
{
	struct fake *f = ctx;

	assert_string_equal(rec->op, "rjh-test");
	f->calls++;
	return f->rc < 0 ? diag_set(d, f->rc, "mirror failed") : RJH_OK;
}

static const struct aud_rec rec = {.type = AUDIT_USER_ACCT, .op = "rjh-test", .success = true};

/* An aud whose kernel is unavailable (no socket): required refuses, best-effort goes on. */
static struct aud no_kernel(enum cfg_audit mode)
{
	struct aud a = {.fd = -1, .mode = mode};

	strcpy(a.why, "kernel audit is unavailable");
	return a;
}

static void test_no_mirror(void **state)
{
	struct aud off = no_kernel(CFG_AUDIT_OFF), best = no_kernel(CFG_AUDIT_BEST_EFFORT),
		   req = no_kernel(CFG_AUDIT_REQUIRED);
	struct rjh_diag d = {""};

	(void)state;
	assert_int_equal(aud_write(&off, &rec, NULL, &d), RJH_OK);
	assert_int_equal(aud_write(&best, &rec, NULL, &d), RJH_OK);
	assert_int_equal(aud_write(&req, &rec, NULL, &d), RJH_EAUDIT);
	assert_non_null(strstr(d.msg, "unavailable"));
	/* aud_record without a registry is the kernel record alone. */
	assert_int_equal(aud_record(&req, NULL, &rec, NULL), RJH_EAUDIT);
	assert_int_equal(aud_record(&best, NULL, &rec, NULL), RJH_OK);
}

/* A spool-like mirror: written only after the kernel took the record. */
static void test_mirror_after_kernel(void **state)
{
	struct fake f = {0, 0};
	struct aud_mirror m = {.write = fake_write, .ctx = &f, .undoable = false};
	struct aud best = no_kernel(CFG_AUDIT_BEST_EFFORT), req = no_kernel(CFG_AUDIT_REQUIRED);

	(void)state;
	assert_int_equal(aud_write(&best, &rec, &m, NULL), RJH_OK);
	assert_int_equal(f.calls, 1);
	/* Refused under required: it happened for nobody, so no copy. */
	assert_int_equal(aud_write(&req, &rec, &m, NULL), RJH_EAUDIT);
	assert_int_equal(f.calls, 1);
	/* The mirror's own failure is returned. */
	f.rc = RJH_ESYS;
	assert_int_equal(aud_write(&best, &rec, &m, NULL), RJH_ESYS);
	assert_int_equal(f.calls, 2);
}

/* An events row in a transaction: written first, undone by the caller when aud_write fails. */
static void test_mirror_undoable(void **state)
{
	struct fake f = {0, 0};
	struct aud_mirror m = {.write = fake_write, .ctx = &f, .undoable = true};
	struct aud best = no_kernel(CFG_AUDIT_BEST_EFFORT), req = no_kernel(CFG_AUDIT_REQUIRED);
	struct rjh_diag d = {""};

	(void)state;
	assert_int_equal(aud_write(&best, &rec, &m, NULL), RJH_OK);
	assert_int_equal(f.calls, 1);
	assert_int_equal(aud_write(&req, &rec, &m, NULL), RJH_EAUDIT);
	assert_int_equal(f.calls, 2);
	/* The row failed: no kernel record either (required would have said RJH_EAUDIT). */
	f.rc = RJH_EREGISTRY;
	assert_int_equal(aud_write(&req, &rec, &m, &d), RJH_EREGISTRY);
	assert_string_equal(d.msg, "mirror failed");
	assert_int_equal(f.calls, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_mirror),
	    cmocka_unit_test(test_mirror_after_kernel),
	    cmocka_unit_test(test_mirror_undoable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
