/*
 * Regression tests for bugs found in review of lib/: each case failed before
 * its fix. Kept apart so that the reason for each case stays next to it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "key.h"
#include "name.h"
#include "reg.h"
#include "util.h"

/* A real ed25519 public key. */
#define ED_B64 "AAAAC3NzaC1lZDI1NTE5AAAAIJ2D9hyhuIca7qo43uiQETvOY6Dv3fVdoHUlnHWMCLQw"
/* A real ecdsa-sha2-nistp256 public key: 104 bytes, so its base64 ends "8=" with 2 spare bits. */
#define EC_B64                                                                                     \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEsEXiMWfb6omFfCy0T9DmvkxNRMUiLOmD8r" \
	"Adg+"                                                                                     \
	"erVU2Nt/oCDGviTJaXk86447Cjn4dTf4Oc/Js9ulqY0hwL8="

static bool has_control(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return true;
	}
	return false;
}

/* cfg_parse wrote buf[len] when the last line had no newline (1-byte heap overflow). */
static void test_cfg_parse_exact_buffer(void **state)
{
	static const char text[] = "uid_max = 1999999999";
	char *b = malloc(sizeof(text) - 1); /* no room for a NUL: ASan catches any write past */
	struct rjh_diag d = {""};
	struct cfg c;

	(void)state;
	memcpy(b, text, sizeof(text) - 1);
	cfg_defaults(&c);
	assert_int_equal(cfg_parse("x", b, sizeof(text) - 1, &c, &d), RJH_OK);
	assert_int_equal(c.uid_max, 1999999999u);
	free(b);
}

/* cfg_load formatted d->msg into itself and returned an empty message. */
static void test_cfg_load_message(void **state)
{
	struct rjh_diag d = {""};
	struct cfg c;

	(void)state;
	assert_int_equal(cfg_load("/tmp", &c, &d), RJH_ECONFIG);
	assert_non_null(strstr(d.msg, "not a regular file"));
}

/* Base64 with non-zero spare bits decoded to the same key: two texts, one fingerprint. */
static void test_key_noncanonical_base64(void **state)
{
	char line[256];
	struct rjh_diag d = {""};
	struct key k;

	(void)state;
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp256 %s c", EC_B64);
	assert_int_equal(key_parse_line(line, 3072, &k, &d), RJH_OK);
	key_clear(&k);
	/* ...L8= -> ...L9=: the same bytes, with a spare bit set. */
	line[strlen("ecdsa-sha2-nistp256 ") + strlen(EC_B64) - 2] = '9';
	assert_int_equal(key_parse_line(line, 3072, &k, &d), RJH_EINVAL);
	assert_non_null(strstr(d.msg, "base64"));
}

/* A comment saying "PRIVATE KEY" is not private key material; a header line is. */
static void test_key_private_detection(void **state)
{
	static const char comment[] = "ssh-ed25519 " ED_B64 " not a PRIVATE KEY\n";
	static const char pem[] = "junk\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n";
	static const char putty[] = "PuTTY-User-Key-File-3: ssh-ed25519\n";

	(void)state;
	assert_false(key_text_is_private(comment, sizeof(comment) - 1));
	assert_true(key_text_is_private(pem, sizeof(pem) - 1));
	assert_true(key_text_is_private(putty, sizeof(putty) - 1));
}

/* Messages quoted raw control characters from input (terminal escape injection). */
static void test_messages_escape_input(void **state)
{
	struct rjh_diag d = {""};
	int64_t t;
	char out[64];

	(void)state;
	assert_int_equal(name_check_host("X\n\x1b[31mEVIL", &d), RJH_EINVAL);
	assert_false(has_control(d.msg));
	assert_int_equal(name_check_principal("\x1b]0;x\a", &d), RJH_EINVAL);
	assert_false(has_control(d.msg));
	assert_int_equal(util_parse_time("2026\n\x1b[2J", &t, &d), RJH_EINVAL);
	assert_false(has_control(d.msg));
	assert_int_equal(util_parse_cidrs("10.0.0.0/8\x1b[2J", out, sizeof(out), &d), RJH_EINVAL);
	assert_false(has_control(d.msg));
}

/* strptime skipped spaces, took one-digit fields and second 60. */
static void test_time_strict(void **state)
{
	static const char *const bad[] = {" 2026-1-01",       "2026-01- 1",
					  "2026-01-01T 1:5Z", "2026-01-01T12:00:60Z",
					  "1969-12-31",       "2026-03-15T24:00Z"};
	struct rjh_diag d;
	int64_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(util_parse_time(bad[i], &t, &d), RJH_EINVAL);
	assert_int_equal(util_parse_time("1970-01-01T00:00:00Z", &t, &d), RJH_OK);
	assert_int_equal(t, 0);
}

/* Path values with '.' or '..' components were accepted; IPv6 public names refused. */
static void test_cfg_values(void **state)
{
	static const char *const bad[] = {"registry = /var/lib/..\n", "registry = /a/./b\n",
					  "runtime_dir = /run/../x\n", "registry = /a/.\n"};
	static const char v6[] = "public_name = 2001:db8::1\n";
	struct rjh_diag d;
	struct cfg c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg_defaults(&c);
		assert_int_equal(cfg_parse("t", bad[i], strlen(bad[i]), &c, &d), RJH_ECONFIG);
	}
	cfg_defaults(&c);
	assert_int_equal(cfg_parse("t", v6, sizeof(v6) - 1, &c, &d), RJH_OK);
	assert_string_equal(c.public_name, "2001:db8::1");
}

/* A key for a host id that does not exist was reported as "already exists". */
static void test_reg_key_missing_host(void **state)
{
	char dir[] = "/tmp/rjh-regress.XXXXXX", path[128], line[256];
	struct rjh_diag d = {""};
	struct reg *r = NULL;
	struct cfg c;
	struct key k;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.db", dir);
	cfg_defaults(&c);
	assert_int_equal(reg_open(path, REG_CREATE, &c, 1000, &r, &d), RJH_OK);
	snprintf(line, sizeof(line), "ssh-ed25519 %s c", ED_B64);
	assert_int_equal(key_parse_line(line, 3072, &k, &d), RJH_OK);
	assert_int_equal(reg_begin(r, &d), RJH_OK);
	assert_int_equal(reg_key_add(r, 4242, &k, NULL, 0, 1, &d), RJH_ENOENT);
	reg_rollback(r);
	reg_close(r);
	key_clear(&k);
	unlink(path);
	rmdir(dir);
}

/* An older registry (here: schema 0, before 001) upgrades when opened read-write, not read-only. */
static void test_reg_upgrade(void **state)
{
	char dir[] = "/tmp/rjh-upgrade.XXXXXX", path[128], sql[64];
	struct rjh_diag d = {""};
	struct reg *r = NULL;
	sqlite3 *db;
	sqlite3_stmt *st;
	struct cfg c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/old.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", REG_APP_ID);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cfg_defaults(&c);
	assert_int_equal(reg_open(path, REG_RO, &c, 1000, &r, &d), RJH_EREGISTRY);
	assert_non_null(strstr(d.msg, "needs an upgrade"));
	assert_int_equal(reg_open(path, REG_RW, &c, 1000, &r, &d), RJH_OK);
	reg_close(r);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), reg_schema_version());
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM hosts", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(reg_open(path, REG_RO, &c, 1000, &r, &d), RJH_OK);
	reg_close(r);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cfg_parse_exact_buffer),
	    cmocka_unit_test(test_cfg_load_message),
	    cmocka_unit_test(test_key_noncanonical_base64),
	    cmocka_unit_test(test_key_private_detection),
	    cmocka_unit_test(test_messages_escape_input),
	    cmocka_unit_test(test_time_strict),
	    cmocka_unit_test(test_cfg_values),
	    cmocka_unit_test(test_reg_key_missing_host),
	    cmocka_unit_test(test_reg_upgrade),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
