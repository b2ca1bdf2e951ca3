/*
 * Unit tests for the spool (lib/spool.c): records reach the events table
 * exactly once however often a drain runs or dies, a connection's file stays
 * until its end is written or its writer is gone, a uid's slots run out, and
 * nothing a drain reads can make it write a bad row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg.h"
#include "reg.h"
#include "spool.h"
#include "tmpdir.h"

static char regpath[128], spooldir[160];
static struct cfg conf;

static int setup(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = NULL;

	(void)state;
	if (tmpdir_make("spool") < 0)
		return -1;
	snprintf(regpath, sizeof(regpath), "%s/r.db", tmpdir);
	cfg_defaults(&conf);
	snprintf(conf.registry, sizeof(conf.registry), "%s", regpath);
	if (reg_open(regpath, REG_CREATE, &conf, 2000, &r, &d) < 0)
		return -1;
	reg_close(r);
	return spool_dir(regpath, spooldir, sizeof(spooldir));
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

static int orphans;

static void count_orphan(const struct spool_orphan *o, void *ctx)
{
	(void)ctx;
	assert_int_equal(o->actor_uid, 64001);
	assert_non_null(strstr(o->detail, "reason=monitor-gone connect_pid="));
	orphans++;
}

/* One drain as rjh-admin does it; returns the rows added. */
static int drain(bool commit)
{
	struct spool_done done;
	struct rjh_diag d = {""};
	struct reg *r = NULL;
	int rows = -1;

	assert_int_equal(reg_open(regpath, REG_RW, &conf, 2000, &r, &d), RJH_OK);
	assert_int_equal(reg_begin(r, &d), RJH_OK);
	if (spool_drain(r, &conf, &done, &rows, &d) != 0)
		fail_msg("spool_drain: %s", d.msg);
	if (commit)
		assert_int_equal(reg_commit(r, &d), RJH_OK);
	else
		reg_rollback(r);
	if (commit)
		spool_orphans_each(&done, count_orphan, NULL);
	spool_finish(&conf, &done, commit);
	reg_close(r);
	return rows;
}

static int64_t count(const char *where)
{
	char sql[256];
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE %s", where);
	assert_int_equal(sqlite3_open_v2(regpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static size_t files(void)
{
	DIR *dir = opendir(spooldir);
	struct dirent *de;
	size_t n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
}

static struct reg_event event(const char *type, bool ok, const char *detail)
{
	return (struct reg_event){.time = 1700000000,
				  .type = type,
				  .op = "rjh-connect",
				  .actor_uid = 64001,
				  .actor_auid = 64001,
				  .host = "host-1",
				  .detail = detail,
				  .success = ok};
}

static void test_refusal_mirrored_once(void **state)
{
	struct reg_event e = event("USER_ACCT", false, "reason=\"no-grant\"");
	struct spool_slot slot;
	struct rjh_diag d = {""};
	struct stat st;

	(void)state;
	assert_int_equal(spool_put(&conf, SPOOL_REFUSAL, 64001, &e, &slot, &d), RJH_OK);
	spool_close(&slot);
	assert_int_equal(stat(spooldir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(files(), 1);
	/* A drain that rolls back leaves the file; the next mirrors it once. */
	assert_int_equal(drain(false), 1);
	assert_int_equal(files(), 1);
	assert_int_equal(count("op = 'rjh-connect'"), 0);
	assert_int_equal(drain(true), 1);
	assert_int_equal(files(), 0);
	assert_int_equal(count("type = 'USER_ACCT' AND result = 'failed' AND actor_uid = 64001 AND "
			       "host = 'host-1' AND detail = 'reason=\"no-grant\"' AND origin "
			       "IS NOT NULL"),
			 1);
	assert_int_equal(drain(true), 0);
}

static void test_connection_waits_for_its_end(void **state)
{
	struct reg_event start = event("USER_START", true, NULL);
	struct reg_event end = event("USER_END", true, "bytes_to_host=10 bytes_from_host=20");
	struct spool_slot slot;
	struct rjh_diag d = {""};

	(void)state;
	assert_int_equal(spool_put(&conf, SPOOL_CONNECTION, 64001, &start, &slot, &d), RJH_OK);
	assert_int_equal(drain(true), 1);
	assert_int_equal(files(), 1); /* its writer (this process) lives, no end yet */
	assert_int_equal(spool_append(&slot, &end, &d), RJH_OK);
	spool_close(&slot);
	assert_int_equal(drain(true), 1); /* the end; the start is not mirrored twice */
	assert_int_equal(files(), 0);
	assert_int_equal(count("type = 'USER_START' AND op = 'rjh-connect'"), 1);
	assert_int_equal(count("type = 'USER_END' AND detail LIKE 'bytes_to_host=10 %'"), 1);
}

/*
 * A connection whose process died without its end (killed with its cgroup,
 * say): the start is mirrored, and the end it never wrote, failed, once.
 */
static void test_dead_writer(void **state)
{
	struct reg_event start = event("USER_START", true, NULL);
	struct spool_slot slot;
	struct rjh_diag d = {""};
	pid_t pid = fork();
	int status;

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(spool_put(&conf, SPOOL_CONNECTION, 64002, &start, &slot, &d) == 0 ? 0 : 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	assert_int_equal(files(), 1);
	orphans = 0;
	assert_int_equal(drain(true), 2);
	assert_int_equal(orphans, 1);
	assert_int_equal(files(), 0);
	assert_int_equal(count("type = 'USER_END' AND actor_uid = 64001 AND result = 'failed' AND "
			       "detail LIKE 'reason=monitor-gone connect_pid=%'"),
			 1);
	assert_int_equal(drain(true), 0);
}

/* What prune removed stays removed: a spooled record from before its cutoff is not mirrored. */
static void test_pruned_stay_pruned(void **state)
{
	struct reg_event old = event("USER_ACCT", false, "reason=\"no-grant\"");
	struct spool_slot slot;
	struct rjh_diag d = {""};
	struct reg *r = NULL;
	int64_t ns, ne;

	(void)state;
	assert_int_equal(reg_open(regpath, REG_RW, &conf, 2000, &r, &d), RJH_OK);
	assert_int_equal(reg_begin(r, &d), RJH_OK);
	assert_int_equal(reg_prune(r, old.time + 1, &ns, &ne, &d), RJH_OK);
	assert_int_equal(reg_commit(r, &d), RJH_OK);
	reg_close(r);
	assert_int_equal(spool_put(&conf, SPOOL_REFUSAL, 64007, &old, &slot, &d), RJH_OK);
	spool_close(&slot);
	old.time += 10;
	assert_int_equal(spool_put(&conf, SPOOL_REFUSAL, 64007, &old, &slot, &d), RJH_OK);
	spool_close(&slot);
	assert_int_equal(drain(true), 1);
	assert_int_equal(count("time = 1700000010 AND detail = 'reason=\"no-grant\"'"), 1);
}

static void test_slots_run_out(void **state)
{
	struct reg_event e = event("USER_ACCT", false, "reason=\"no-grant\"");
	struct spool_slot slot;
	struct rjh_diag d = {""};
	int i;

	(void)state;
	for (i = 0; i < SPOOL_REFUSALS; i++) {
		assert_int_equal(spool_put(&conf, SPOOL_REFUSAL, 64003, &e, &slot, &d), RJH_OK);
		spool_close(&slot);
	}
	assert_int_equal(spool_put(&conf, SPOOL_REFUSAL, 64003, &e, &slot, &d), RJH_EEXIST);
	/* Another uid has slots of its own. */
	assert_int_equal(spool_put(&conf, SPOOL_REFUSAL, 64004, &e, &slot, &d), RJH_OK);
	spool_close(&slot);
	assert_int_equal(drain(true), SPOOL_REFUSALS + 1);
	assert_int_equal(files(), 0);
	assert_int_equal(spool_put(&conf, SPOOL_REFUSAL, 64003, &e, &slot, &d), RJH_OK);
	spool_close(&slot);
	assert_int_equal(drain(true), 1);
}

static void write_raw(const char *name, const char *text)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", spooldir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* What a drain reads is checked field by field; nothing else becomes a row. */
static void test_bad_lines_skipped(void **state)
{
	struct reg_event tab = event("USER_ACCT", false, "reason=\"a\tb\"");
	struct spool_slot slot;
	struct rjh_diag d = {""};
	int64_t before = count("1");

	(void)state;
	assert_int_equal(spool_put(&conf, SPOOL_REFUSAL, 64005, &tab, &slot, &d), RJH_EINVAL);
	write_raw("r-1-0", "rjh-spool 1 00000000000000aa 1 1\n"
			   "1700000000\tUSER_ACCT\trjh-connect\t1\t-\t../etc\t-\tfailed\t-\n"
			   "1700000000\tUSER_BOGUS\trjh-connect\t1\t-\t-\t-\tfailed\t-\n"
			   "1700000000\tUSER_ACCT\tRJH\t1\t-\t-\t-\tfailed\t-\n"
			   "x\tUSER_ACCT\trjh-connect\t1\t-\t-\t-\tfailed\t-\n"
			   "1700000000\tUSER_ACCT\trjh-connect\t1\t-\t-\t-\tmaybe\t-\n"
			   "1700000000\tUSER_ACCT\trjh-connect\t1\t-\t-\tSHA256:x\tfailed\t-\n"
			   "1700000000\tUSER_ACCT\trjh-connect\t1\t-\t-\t-\tfailed\t-\textra\n"
			   "1700000000\tUSER_ACCT\trjh-connect\t1\t-\thost-9\t-\tfailed\t-");
	write_raw("c-1-0", "not a spool file\n");
	write_raw("x-1-0", "rjh-spool 1 00000000000000bb 1 1\n"
			   "1700000000\tUSER_ACCT\trjh-connect\t1\t-\t-\t-\tfailed\t-\n");
	assert_int_equal(drain(true), 0);
	assert_int_equal(count("1"), before);
	/* The bad refusal file is done (its writer, pid 1's start time 1, is no one); */
	/* the unparsable one is kept until it is old; the foreign name is not ours. */
	assert_int_equal(files(), 2);
}

/*
 * Connections one after another in the same second keep their order: the
 * writer that started first goes first, whatever its file's nonce or name.
 */
static void test_same_second_in_order(void **state)
{
	char name[32], text[512], got[512] = "", want[512] = "";
	sqlite3 *db;
	sqlite3_stmt *s;

	(void)state;
	for (int i = 0; i < 6; i++) {
		/* Nonces and slot names in the reverse order of the writers' start times. */
		snprintf(name, sizeof(name), "c-64008-%d", 5 - i);
		snprintf(text, sizeof(text),
			 "rjh-spool 1 00000000000000%02x 1 %d\n"
			 "1700000100\tUSER_START\trjh-connect\t64008\t-\thost-%d\t-\tsuccess\t-\n"
			 "1700000100\tUSER_END\trjh-connect\t64008\t-\thost-%d\t-\tsuccess\t-\n",
			 0xf0 - i, 100 + i, i, i);
		write_raw(name, text);
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "S%d E%d ", i, i);
	}
	assert_int_equal(drain(true), 12);
	assert_int_equal(sqlite3_open_v2(regpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
			       "SELECT substr(type, 6, 1), substr(host, 6) FROM events "
			       "WHERE actor_uid = 64008 ORDER BY id",
			       -1, &s, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s ",
			 (const char *)sqlite3_column_text(s, 0),
			 (const char *)sqlite3_column_text(s, 1));
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_string_equal(got, want);
}

static void test_untrusted_dir_refused(void **state)
{
	struct reg_event e = event("USER_ACCT", false, NULL);
	struct spool_slot slot;
	struct rjh_diag d = {""};

	(void)state;
	assert_int_equal(chmod(spooldir, 0755), 0);
	assert_int_equal(spool_put(&conf, SPOOL_REFUSAL, 64006, &e, &slot, &d), RJH_ETRUST);
	assert_non_null(strstr(d.msg, "0700"));
	assert_int_equal(chmod(spooldir, 0700), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refusal_mirrored_once),
	    cmocka_unit_test(test_connection_waits_for_its_end),
	    cmocka_unit_test(test_dead_writer),
	    cmocka_unit_test(test_slots_run_out),
	    cmocka_unit_test(test_bad_lines_skipped),
	    cmocka_unit_test(test_same_second_in_order),
	    cmocka_unit_test(test_untrusted_dir_refused),
	    /* Last: its prune cutoff would hide the other tests' records. */
	    cmocka_unit_test(test_pruned_stay_pruned),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
