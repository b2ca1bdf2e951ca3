/* Unit tests for lib/reg.c against throw-away registries in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "key.h"
#include "migrations.h"
#include "reg.h"
#include "tmpdir.h"

#define NOW     1773563445
#define BUSY_MS 2000

static int group_setup(void **state)
{
	(void)state;
	return tmpdir_make("reg");
}

static int group_teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

static void path_of(const char *name, char *out, size_t len)
{
	assert_true((size_t)snprintf(out, len, "%s/%s", tmpdir, name) < len);
}

/* A fresh registry at tmpdir/name made from c (the defaults when NULL), left open. */
static struct reg *create(const char *name, const struct cfg *c)
{
	struct rjh_diag d = {""};
	struct reg *r = NULL;
	struct cfg def;
	char path[128];

	cfg_defaults(&def);
	path_of(name, path, sizeof(path));
	if (reg_open(path, REG_CREATE, c ? c : &def, BUSY_MS, &r, &d) != RJH_OK)
		fail_msg("reg_open(%s, REG_CREATE): %s", path, d.msg);
	assert_non_null(r);
	return r;
}

static int open_reg(const char *name, enum reg_mode mode, struct reg **r, struct rjh_diag *d)
{
	struct cfg c;
	char path[128];

	cfg_defaults(&c);
	path_of(name, path, sizeof(path));
	d->msg[0] = '\0';
	return reg_open(path, mode, &c, BUSY_MS, r, d);
}

/* Reads one integer PRAGMA of a file with plain SQLite. */
static int pragma_of(const char *name, const char *pragma)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char path[128], sql[64];
	int v;

	path_of(name, path, sizeof(path));
	snprintf(sql, sizeof(sql), "PRAGMA %s", pragma);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* The integer a one-row query gives on a file, read with plain SQLite. */
static int count_of(const char *name, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char path[128];
	int v;

	path_of(name, path, sizeof(path));
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Runs SQL on a file with plain SQLite, creating it if needed. */
static void sql_on(const char *name, const char *sql)
{
	sqlite3 *db = NULL;
	char path[128];

	path_of(name, path, sizeof(path));
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* The whole file tmpdir/name; the caller frees it. */
static unsigned char *slurp(const char *name, size_t *len)
{
	char path[128];
	unsigned char *buf;
	struct stat st;
	int fd;

	path_of(name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
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

/* A valid ed25519 key whose public point is 32 bytes of seed. */
static void make_key(unsigned char seed, struct key *k)
{
	unsigned char blob[51] = {0,   0,   0,   11,  's', 's', 'h', '-', 'e', 'd',
				  '2', '5', '5', '1', '9', 0,   0,   0,   32};
	char b64[80], line[128];
	struct rjh_diag d = {""};

	memset(blob + 19, seed, 32);
	assert_int_equal(EVP_EncodeBlock((unsigned char *)b64, blob, sizeof(blob)), 68);
	snprintf(line, sizeof(line), "ssh-ed25519 %s key-%u", b64, seed);
	if (key_parse_line(line, 3072, k, &d) != RJH_OK)
		fail_msg("make_key: %s", d.msg);
}

static uint32_t next_uid(struct reg *r)
{
	uint32_t umin, umax, next, gid;
	struct rjh_diag d = {""};
	char group[64];

	assert_int_equal(reg_settings(r, &umin, &umax, &next, group, sizeof(group), &gid, &d),
			 RJH_OK);
	return next;
}

static uint32_t add_host(struct reg *r, const char *name)
{
	struct rjh_diag d = {""};
	struct reg_host h, in = {0};

	snprintf(in.name, sizeof(in.name), "%s", name);
	if (reg_host_add(r, &in, NOW, &h, &d) != RJH_OK)
		fail_msg("reg_host_add(%s): %s", name, d.msg);
	assert_string_equal(h.name, name);
	assert_true(h.id > 0);
	return h.uid;
}

static void test_create_and_reopen(void **state)
{
	uint32_t umin, umax, next, gid;
	struct rjh_diag d = {""};
	struct reg *r = NULL;
	struct reg_host h;
	char path[128], group[64];
	struct stat st;
	struct cfg c;

	(void)state;
	cfg_defaults(&c);
	r = create("create.db", NULL);
	assert_int_equal(reg_settings(r, &umin, &umax, &next, group, sizeof(group), &gid, &d),
			 RJH_OK);
	assert_int_equal(umin, c.uid_min);
	assert_int_equal(umax, c.uid_max);
	assert_int_equal(next, c.uid_min);
	assert_string_equal(group, c.host_group);
	assert_int_equal(gid, c.host_gid);
	assert_int_equal(reg_count(r, "hosts"), 0);
	reg_close(r);

	path_of("create.db", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(pragma_of("create.db", "application_id"), REG_APP_ID);
	assert_int_equal(pragma_of("create.db", "user_version"), reg_schema_version());
	assert_true(reg_schema_version() >= 1);

	/* Read-write: a change persists. */
	assert_int_equal(open_reg("create.db", REG_RW, &r, &d), RJH_OK);
	assert_int_equal(add_host(r, "web-1"), c.uid_min);
	reg_close(r);

	/* Read-only: sees it, and cannot write. */
	assert_int_equal(open_reg("create.db", REG_RO, &r, &d), RJH_OK);
	assert_int_equal(reg_host_get(r, "web-1", &h, &d), RJH_OK);
	assert_int_equal(h.uid, c.uid_min);
	assert_false(h.disabled);
	assert_int_equal(h.created, NOW);
	assert_int_equal(reg_host_add(r, &(struct reg_host){.name = "web-2"}, NOW, NULL, &d),
			 RJH_EREGISTRY);
	assert_true(d.msg[0] != '\0');
	assert_int_equal(reg_count(r, "hosts"), 1);
	reg_close(r);
}

static void test_create_makes_parents(void **state)
{
	struct reg *r = create("deep/er/reg.db", NULL);
	char path[128];
	struct stat st;

	(void)state;
	reg_close(r);
	path_of("deep/er", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

static void test_create_over_existing(void **state)
{
	static const char text[] = "not a registry, but someone's file\n";
	struct rjh_diag d = {""};
	struct reg *r = NULL;
	unsigned char *before, *after;
	size_t nb, na;
	char path[128];
	struct stat st;
	struct cfg c;

	(void)state;
	cfg_defaults(&c);
	write_file("exists.txt", text, sizeof(text) - 1);
	path_of("exists.txt", path, sizeof(path));
	assert_int_equal(reg_open(path, REG_CREATE, &c, BUSY_MS, &r, &d), RJH_EEXIST);
	assert_null(r);
	assert_true(strstr(d.msg, path) != NULL);
	after = slurp("exists.txt", &na);
	assert_int_equal(na, sizeof(text) - 1);
	assert_memory_equal(after, text, na);
	free(after);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);

	/* Over a live registry with a host in it: not a byte changes. */
	r = create("live.db", NULL);
	add_host(r, "web-1");
	reg_close(r);
	before = slurp("live.db", &nb);
	path_of("live.db", path, sizeof(path));
	assert_int_equal(reg_open(path, REG_CREATE, &c, BUSY_MS, &r, &d), RJH_EEXIST);
	after = slurp("live.db", &na);
	assert_int_equal(na, nb);
	assert_memory_equal(after, before, nb);
	free(before);
	free(after);
	assert_int_equal(open_reg("live.db", REG_RO, &r, &d), RJH_OK);
	assert_int_equal(reg_count(r, "hosts"), 1);
	reg_close(r);
}

static void test_open_missing(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = NULL;
	char path[128];
	struct stat st;
	struct cfg c;

	(void)state;
	assert_int_equal(open_reg("missing.db", REG_RO, &r, &d), RJH_EREGISTRY);
	assert_null(r);
	assert_true(d.msg[0] != '\0');
	assert_int_equal(open_reg("missing.db", REG_RW, &r, &d), RJH_EREGISTRY);
	assert_null(r);
	/* Opening is not creating. */
	path_of("missing.db", path, sizeof(path));
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* Nor is a directory a registry. */
	cfg_defaults(&c);
	assert_int_equal(reg_open(tmpdir, REG_RO, &c, BUSY_MS, &r, &d), RJH_EREGISTRY);
	assert_null(r);
	assert_int_equal(reg_open(tmpdir, REG_RW, &c, BUSY_MS, &r, &d), RJH_EREGISTRY);
	assert_null(r);
}

/*
 * SQLite opens the registry by name: a registry whose directory, or any above
 * it, is not root's alone is refused before SQLite sees the name, and init
 * creates none there.
 */
static void test_open_untrusted(void **state)
{
	char dir[128], path[160], link[160];
	struct rjh_diag d = {""};
	struct reg *r = NULL;
	struct cfg c;

	(void)state;
	cfg_defaults(&c);
	path_of("nobody", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/r.db", dir);
	assert_int_equal(reg_open(path, REG_CREATE, &c, BUSY_MS, &r, &d), RJH_OK);
	reg_close(r);
	assert_int_equal(chown(dir, 65534, 0), 0);
	assert_int_equal(reg_open(path, REG_RO, &c, BUSY_MS, &r, &d), RJH_ETRUST);
	assert_null(r);
	assert_non_null(strstr(d.msg, "65534"));
	assert_int_equal(reg_open(path, REG_RW, &c, BUSY_MS, &r, &d), RJH_ETRUST);
	assert_null(r);
	assert_int_equal(chown(dir, 0, 0), 0);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(reg_open(path, REG_RW, &c, BUSY_MS, &r, &d), RJH_ETRUST);
	assert_non_null(strstr(d.msg, "writable"));
	assert_int_equal(chmod(dir, 0755), 0);
	/* The file itself, and a link as the file (SQLite's NOFOLLOW alone said EREGISTRY). */
	assert_int_equal(chmod(path, 0660), 0);
	assert_int_equal(reg_open(path, REG_RO, &c, BUSY_MS, &r, &d), RJH_ETRUST);
	assert_int_equal(chmod(path, 0640), 0);
	path_of("link.db", link, sizeof(link));
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(reg_open(link, REG_RO, &c, BUSY_MS, &r, &d), RJH_ETRUST);
	assert_int_equal(reg_open(path, REG_RO, &c, BUSY_MS, &r, &d), RJH_OK);
	reg_close(r);
	r = NULL;
	/* init under a group-writable directory: refused, nothing created. */
	assert_int_equal(chmod(dir, 0775), 0);
	snprintf(path, sizeof(path), "%s/sub/new.db", dir);
	assert_int_equal(reg_open(path, REG_CREATE, &c, BUSY_MS, &r, &d), RJH_ETRUST);
	assert_null(r);
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(chmod(dir, 0755), 0);
}

static void test_open_garbage(void **state)
{
	unsigned char junk[8192], *after;
	struct rjh_diag d = {""};
	struct reg *r = NULL;
	uint32_t x = 2463534242u;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(junk); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		junk[i] = (unsigned char)x;
	}
	write_file("junk.db", junk, sizeof(junk));
	assert_int_equal(open_reg("junk.db", REG_RO, &r, &d), RJH_EREGISTRY);
	assert_null(r);
	assert_true(d.msg[0] != '\0');
	assert_int_equal(open_reg("junk.db", REG_RW, &r, &d), RJH_EREGISTRY);
	assert_null(r);
	after = slurp("junk.db", &n);
	assert_int_equal(n, sizeof(junk));
	assert_memory_equal(after, junk, n);
	free(after);

	/* An empty file is an empty database, not an rjh registry. */
	write_file("empty.db", "", 0);
	assert_int_equal(open_reg("empty.db", REG_RO, &r, &d), RJH_EREGISTRY);
	assert_int_equal(open_reg("empty.db", REG_RW, &r, &d), RJH_EREGISTRY);
	assert_null(r);
	after = slurp("empty.db", &n);
	assert_int_equal(n, 0);
	free(after);
}

static void test_open_foreign_sqlite(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = NULL;

	(void)state;
	sql_on("plain.db", "CREATE TABLE hosts(name TEXT); INSERT INTO hosts VALUES ('x')");
	assert_int_equal(pragma_of("plain.db", "application_id"), 0);
	assert_int_equal(open_reg("plain.db", REG_RO, &r, &d), RJH_EREGISTRY);
	assert_null(r);
	assert_true(strstr(d.msg, "not an rjh registry") != NULL);
	assert_int_equal(open_reg("plain.db", REG_RW, &r, &d), RJH_EREGISTRY);
	assert_null(r);
	/* The RW attempt did not migrate it. */
	assert_int_equal(pragma_of("plain.db", "user_version"), 0);

	sql_on("other-app.db", "PRAGMA application_id = 1234; PRAGMA user_version = 1;"
			       "CREATE TABLE settings(name TEXT PRIMARY KEY, value TEXT)");
	assert_int_equal(open_reg("other-app.db", REG_RW, &r, &d), RJH_EREGISTRY);
	assert_null(r);
}

static void test_open_newer_schema(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("newer.db", NULL);
	char sql[128], want[16];

	(void)state;
	reg_close(r);
	/* A newer schema without a word on compatibility: only its own programs. */
	snprintf(sql, sizeof(sql),
		 "PRAGMA user_version = %d; DELETE FROM settings WHERE name = 'compat_schema'",
		 reg_schema_version() + 1);
	sql_on("newer.db", sql);
	assert_int_equal(open_reg("newer.db", REG_RO, &r, &d), RJH_ESCHEMA);
	assert_null(r);
	/* One whose migrations say programs of a newer schema than this are needed. */
	snprintf(sql, sizeof(sql), "INSERT INTO settings VALUES ('compat_schema', '%d')",
		 reg_schema_version() + 1);
	sql_on("newer.db", sql);
	assert_int_equal(open_reg("newer.db", REG_RO, &r, &d), RJH_ESCHEMA);
	assert_null(r);
	snprintf(want, sizeof(want), "%d", reg_schema_version() + 1);
	assert_true(strstr(d.msg, want) != NULL);
	assert_int_equal(open_reg("newer.db", REG_RW, &r, &d), RJH_ESCHEMA);
	assert_null(r);
	/* Refusing did not touch the version. */
	assert_int_equal(pragma_of("newer.db", "user_version"), reg_schema_version() + 1);
}

/*
 * A newer release's additive migration says this release's programs still
 * work on it (compat_schema): during a package upgrade, an sshd of the old
 * release closing its session is not refused. Nothing is migrated back.
 */
static void test_open_newer_compatible_schema(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("newer-ok.db", NULL);
	char sql[128];

	(void)state;
	reg_close(r);
	snprintf(sql, sizeof(sql),
		 "PRAGMA user_version = %d; UPDATE settings SET value = '%d' "
		 "WHERE name = 'compat_schema'",
		 reg_schema_version() + 1, reg_schema_version());
	sql_on("newer-ok.db", sql);
	assert_int_equal(open_reg("newer-ok.db", REG_RO, &r, &d), RJH_OK);
	reg_close(r);
	assert_int_equal(open_reg("newer-ok.db", REG_RW, &r, &d), RJH_OK);
	reg_close(r);
	assert_int_equal(pragma_of("newer-ok.db", "user_version"), reg_schema_version() + 1);
}

static void test_uid_allocation(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("uids.db", NULL);
	struct reg_host h;
	struct cfg c;

	(void)state;
	cfg_defaults(&c);
	assert_int_equal(add_host(r, "web-1"), c.uid_min);
	assert_int_equal(add_host(r, "web-2"), c.uid_min + 1);
	assert_int_equal(next_uid(r), c.uid_min + 2);

	/* Removing the newest host does not hand its uid out again. */
	assert_int_equal(reg_host_get(r, "web-2", &h, &d), RJH_OK);
	assert_int_equal(reg_host_remove(r, &h, &d), 0);
	assert_int_equal(reg_host_get(r, "web-2", &h, &d), RJH_ENOENT);
	assert_int_equal(add_host(r, "web-3"), c.uid_min + 2);

	/* Nor does re-enrolling a removed name get its old uid back. */
	assert_int_equal(reg_host_get(r, "web-1", &h, &d), RJH_OK);
	assert_int_equal(reg_host_remove(r, &h, &d), 0);
	assert_int_equal(add_host(r, "web-1"), c.uid_min + 3);
	assert_int_equal(add_host(r, "web-2"), c.uid_min + 4);
	assert_int_equal(reg_count(r, "hosts"), 3);
	reg_close(r);

	/* next_uid survives a reopen. */
	assert_int_equal(open_reg("uids.db", REG_RW, &r, &d), RJH_OK);
	assert_int_equal(add_host(r, "web-9"), c.uid_min + 5);
	reg_close(r);
}

static void test_host_fields(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("fields.db", NULL);
	struct reg_host h, g;
	int rc;

	(void)state;
	rc = reg_host_add(r,
			  &(struct reg_host){.name = "db-1",
					     .cidrs = "10.0.0.0/8,2001:db8::/32",
					     .expires = NOW + 3600},
			  NOW, &h, &d);
	assert_int_equal(rc, RJH_OK);
	assert_int_equal(reg_host_get(r, "db-1", &g, &d), RJH_OK);
	assert_int_equal(g.id, h.id);
	assert_int_equal(g.uid, h.uid);
	assert_string_equal(g.cidrs, "10.0.0.0/8,2001:db8::/32");
	assert_int_equal(g.expires, NOW + 3600);
	assert_int_equal(g.created, NOW);
	assert_int_equal(g.updated, NOW);
	assert_false(g.disabled);

	assert_int_equal(reg_host_set_disabled(r, h.id, true, NOW + 10, &d), RJH_OK);
	assert_int_equal(reg_host_get(r, "db-1", &g, &d), RJH_OK);
	assert_true(g.disabled);
	assert_int_equal(g.updated, NOW + 10);
	assert_int_equal(reg_host_set_disabled(r, h.id, false, NOW + 20, &d), RJH_OK);
	assert_int_equal(reg_host_get(r, "db-1", &g, &d), RJH_OK);
	assert_false(g.disabled);

	/* No CIDRs and no expiry read back as "" and 0. */
	assert_int_equal(reg_host_add(r, &(struct reg_host){.name = "db-2"}, NOW, NULL, &d),
			 RJH_OK);
	assert_int_equal(reg_host_get(r, "db-2", &g, &d), RJH_OK);
	assert_string_equal(g.cidrs, "");
	assert_int_equal(g.expires, 0);
	d.msg[0] = '\0';
	assert_int_equal(reg_host_get(r, "db-3", &g, &d), RJH_ENOENT);
	assert_true(strstr(d.msg, "db-3") != NULL);
	reg_close(r);
}

static void test_duplicate_name(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("dupname.db", NULL);
	struct cfg c;

	(void)state;
	cfg_defaults(&c);
	add_host(r, "web-1");
	assert_int_equal(reg_host_add(r, &(struct reg_host){.name = "web-1"}, NOW, NULL, &d),
			 RJH_EEXIST);
	assert_true(strstr(d.msg, "web-1") != NULL);
	assert_int_equal(reg_count(r, "hosts"), 1);
	/* The failed add did not use up a uid. */
	assert_int_equal(next_uid(r), c.uid_min + 1);
	assert_int_equal(add_host(r, "web-2"), c.uid_min + 1);
	reg_close(r);
}

struct fp_list {
	char fp[4][KEY_FP_LEN];
	int n;
};

static int collect_fp(const struct reg_key *k, void *ctx)
{
	struct fp_list *l = ctx;

	if (l->n >= 4)
		return -1;
	snprintf(l->fp[l->n++], KEY_FP_LEN, "%s", k->fp);
	return 0;
}

static void test_duplicate_key(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("dupkey.db", NULL);
	struct reg_host a, b;
	struct fp_list l;
	struct reg_key rk;
	struct key k, k2;

	(void)state;
	make_key(1, &k);
	make_key(2, &k2);
	assert_int_equal(reg_host_add(r, &(struct reg_host){.name = "web-a"}, NOW, &a, &d), RJH_OK);
	assert_int_equal(reg_host_add(r, &(struct reg_host){.name = "web-b"}, NOW, &b, &d), RJH_OK);
	assert_int_equal(reg_key_add(r, a.id, &k, NULL, 0, NOW, &d), RJH_OK);

	/* The same key for another host: refused, naming the owner. */
	assert_int_equal(reg_key_add(r, b.id, &k, "other", 0, NOW, &d), RJH_EEXIST);
	assert_true(strstr(d.msg, "web-a") != NULL);
	assert_true(strstr(d.msg, k.fp) != NULL);
	/* And for the same host again. */
	d.msg[0] = '\0';
	assert_int_equal(reg_key_add(r, a.id, &k, NULL, 0, NOW, &d), RJH_EEXIST);
	assert_true(strstr(d.msg, "web-a") != NULL);
	assert_int_equal(reg_count(r, "keys"), 1);

	assert_int_equal(reg_key_add(r, b.id, &k2, "second", NOW + 60, NOW, &d), RJH_OK);
	assert_int_equal(reg_key_find(r, k.fp, &rk, &d), RJH_OK);
	assert_string_equal(rk.host, "web-a");
	assert_int_equal(rk.host_id, a.id);
	assert_string_equal(rk.type, "ssh-ed25519");
	assert_string_equal(rk.b64, k.b64);
	assert_string_equal(rk.comment, "key-1");
	assert_int_equal(rk.expires, 0);
	assert_int_equal(rk.revoked, 0);
	assert_int_equal(reg_key_find(r, k2.fp, &rk, &d), RJH_OK);
	assert_string_equal(rk.host, "web-b");
	assert_string_equal(rk.comment, "second");
	assert_int_equal(rk.expires, NOW + 60);

	assert_int_equal(reg_key_revoke(r, rk.id, NOW + 5, &d), RJH_OK);
	assert_int_equal(reg_key_find(r, k2.fp, &rk, &d), RJH_OK);
	assert_int_equal(rk.revoked, NOW + 5);

	memset(&l, 0, sizeof(l));
	assert_int_equal(reg_keys_each(r, a.id, collect_fp, &l, &d), RJH_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.fp[0], k.fp);
	memset(&l, 0, sizeof(l));
	assert_int_equal(reg_keys_each(r, 0, collect_fp, &l, &d), RJH_OK);
	assert_int_equal(l.n, 2);
	key_clear(&k);
	key_clear(&k2);
	reg_close(r);
}

static void test_uid_range_exhausted(void **state)
{
	struct rjh_diag d = {""};
	struct reg_host h;
	struct reg *r;
	struct cfg c;
	int rc;

	(void)state;
	cfg_defaults(&c);
	c.uid_min = c.uid_max = 2000000000u;
	r = create("tiny.db", &c);
	assert_int_equal(add_host(r, "only"), 2000000000u);
	rc = reg_host_add(r, &(struct reg_host){.name = "second"}, NOW, NULL, &d);
	assert_true(rc < 0);
	assert_true(strstr(d.msg, "exhausted") != NULL);
	assert_int_equal(reg_host_get(r, "second", &h, &d), RJH_ENOENT);
	assert_int_equal(reg_count(r, "hosts"), 1);

	/* Removing the one host does not free its uid. */
	assert_int_equal(reg_host_get(r, "only", &h, &d), RJH_OK);
	assert_int_equal(reg_host_remove(r, &h, &d), 0);
	assert_true(reg_host_add(r, &(struct reg_host){.name = "second"}, NOW, NULL, &d) < 0);
	assert_int_equal(reg_count(r, "hosts"), 0);
	reg_close(r);
}

struct grant_list {
	char text[8][100];
	int n;
};

static int collect_grant(const struct reg_grant *g, void *ctx)
{
	struct grant_list *l = ctx;

	if (l->n >= 8)
		return -1;
	snprintf(l->text[l->n++], sizeof(l->text[0]), "%s %s", g->principal, g->pattern);
	return 0;
}

static void test_grants(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("grants.db", NULL);
	struct grant_list l;

	(void)state;
	assert_int_equal(reg_grant_add(r, "alice", "web-1", NOW, &d), RJH_OK);
	d.msg[0] = '\0';
	assert_int_equal(reg_grant_add(r, "alice", "web-1", NOW, &d), RJH_EEXIST);
	assert_true(strstr(d.msg, "alice") != NULL);
	assert_int_equal(reg_grant_add(r, "@ops", "web-*", NOW, &d), RJH_OK);
	assert_int_equal(reg_grant_add(r, "alice", "web-*", NOW, &d), RJH_OK);
	assert_int_equal(reg_grant_add(r, "bob", "web-1", NOW, &d), RJH_OK);
	assert_int_equal(reg_count(r, "grants"), 4);

	memset(&l, 0, sizeof(l));
	assert_int_equal(reg_grants_each(r, collect_grant, &l, &d), RJH_OK);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.text[0], "@ops web-*");
	assert_string_equal(l.text[1], "alice web-*");
	assert_string_equal(l.text[2], "alice web-1");
	assert_string_equal(l.text[3], "bob web-1");

	assert_int_equal(reg_grant_del(r, "alice", "web-1", &d), RJH_OK);
	d.msg[0] = '\0';
	assert_int_equal(reg_grant_del(r, "alice", "web-1", &d), RJH_ENOENT);
	assert_true(d.msg[0] != '\0');
	assert_int_equal(reg_grant_del(r, "carol", "web-1", &d), RJH_ENOENT);
	/* Patterns are matched as text, not as globs. */
	assert_int_equal(reg_grant_del(r, "alice", "web-?", &d), RJH_ENOENT);
	assert_int_equal(reg_grant_del(r, "@ops", "*", &d), RJH_ENOENT);
	assert_int_equal(reg_count(r, "grants"), 3);
	/* A deleted grant can be added again. */
	assert_int_equal(reg_grant_add(r, "alice", "web-1", NOW, &d), RJH_OK);
	reg_close(r);
}

static void test_remove_host_grants(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("remove.db", NULL);
	struct reg_host h, other;
	struct grant_list l;
	struct reg_key rk;
	struct key k, k2;

	(void)state;
	make_key(7, &k);
	make_key(8, &k2);
	assert_int_equal(reg_host_add(r, &(struct reg_host){.name = "web-1"}, NOW, &h, &d), RJH_OK);
	assert_int_equal(reg_host_add(r, &(struct reg_host){.name = "web-10"}, NOW, &other, &d),
			 RJH_OK);
	assert_int_equal(reg_key_add(r, h.id, &k, NULL, 0, NOW, &d), RJH_OK);
	assert_int_equal(reg_key_add(r, other.id, &k2, NULL, 0, NOW, &d), RJH_OK);
	assert_int_equal(reg_grant_add(r, "alice", "web-1", NOW, &d), RJH_OK);
	assert_int_equal(reg_grant_add(r, "@ops", "web-1", NOW, &d), RJH_OK);
	assert_int_equal(reg_grant_add(r, "alice", "web-*", NOW, &d), RJH_OK);
	assert_int_equal(reg_grant_add(r, "bob", "*", NOW, &d), RJH_OK);
	assert_int_equal(reg_grant_add(r, "carol", "web-?", NOW, &d), RJH_OK);
	assert_int_equal(reg_grant_add(r, "dave", "web-10", NOW, &d), RJH_OK);

	/* Two grants named web-1 exactly; the globs and web-10 stay. */
	assert_int_equal(reg_host_remove(r, &h, &d), 2);
	memset(&l, 0, sizeof(l));
	assert_int_equal(reg_grants_each(r, collect_grant, &l, &d), RJH_OK);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.text[0], "alice web-*");
	assert_string_equal(l.text[1], "bob *");
	assert_string_equal(l.text[2], "carol web-?");
	assert_string_equal(l.text[3], "dave web-10");

	/* Its keys went with it; the other host's did not. */
	assert_int_equal(reg_key_find(r, k.fp, &rk, &d), RJH_ENOENT);
	assert_int_equal(reg_key_find(r, k2.fp, &rk, &d), RJH_OK);
	assert_string_equal(rk.host, "web-10");
	assert_int_equal(reg_count(r, "keys"), 1);
	assert_int_equal(reg_count(r, "hosts"), 1);
	/* The removed host's key may now be enrolled elsewhere. */
	assert_int_equal(reg_key_add(r, other.id, &k, NULL, 0, NOW, &d), RJH_OK);
	key_clear(&k);
	key_clear(&k2);
	reg_close(r);
}

static void test_rollback(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("rollback.db", NULL);
	struct reg_event e = {
	    .time = NOW,
	    .type = "USER_MGMT",
	    .op = "rjh-enroll",
	    .actor_uid = 0,
	    .actor_auid = 1000,
	    .host = "web-1",
	    .detail = "test",
	    .success = true,
	};
	struct reg_host h;
	struct key k;
	struct cfg c;

	(void)state;
	cfg_defaults(&c);
	make_key(3, &k);
	assert_int_equal(reg_begin(r, &d), RJH_OK);
	assert_int_equal(reg_host_add(r, &(struct reg_host){.name = "web-1"}, NOW, &h, &d), RJH_OK);
	assert_int_equal(reg_key_add(r, h.id, &k, NULL, 0, NOW, &d), RJH_OK);
	assert_int_equal(reg_grant_add(r, "alice", "web-1", NOW, &d), RJH_OK);
	e.fp = k.fp;
	assert_int_equal(reg_event_add(r, &e, &d), RJH_OK);
	assert_int_equal(reg_count(r, "hosts"), 1);
	reg_rollback(r);

	assert_int_equal(reg_count(r, "hosts"), 0);
	assert_int_equal(reg_count(r, "keys"), 0);
	assert_int_equal(reg_count(r, "grants"), 0);
	assert_int_equal(reg_count(r, "events"), 0);
	assert_int_equal(reg_host_get(r, "web-1", &h, &d), RJH_ENOENT);
	assert_int_equal(next_uid(r), c.uid_min);
	/* A second rollback outside a transaction is harmless. */
	reg_rollback(r);
	reg_close(r);

	/* Nothing reached the file either. */
	assert_int_equal(open_reg("rollback.db", REG_RO, &r, &d), RJH_OK);
	assert_int_equal(reg_count(r, "hosts"), 0);
	assert_int_equal(reg_count(r, "events"), 0);
	reg_close(r);

	/* The same work committed is all there after a reopen. */
	assert_int_equal(open_reg("rollback.db", REG_RW, &r, &d), RJH_OK);
	assert_int_equal(reg_begin(r, &d), RJH_OK);
	assert_int_equal(reg_host_add(r, &(struct reg_host){.name = "web-1"}, NOW, &h, &d), RJH_OK);
	assert_int_equal(h.uid, c.uid_min);
	assert_int_equal(reg_key_add(r, h.id, &k, NULL, 0, NOW, &d), RJH_OK);
	assert_int_equal(reg_event_add(r, &e, &d), RJH_OK);
	assert_int_equal(reg_commit(r, &d), RJH_OK);
	reg_close(r);
	assert_int_equal(open_reg("rollback.db", REG_RO, &r, &d), RJH_OK);
	assert_int_equal(reg_count(r, "hosts"), 1);
	assert_int_equal(reg_count(r, "keys"), 1);
	assert_int_equal(reg_count(r, "events"), 1);
	reg_close(r);
	key_clear(&k);
}

static void test_misc_reads(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("misc.db", NULL);
	struct reg_session s;

	(void)state;
	assert_int_equal(reg_count(r, "bogus"), -1);
	assert_int_equal(reg_count(r, "hosts; DROP TABLE hosts"), -1);
	assert_int_equal(reg_count(r, "sessions"), 0);
	assert_int_equal(reg_session_last(r, "web-1", &s, &d), RJH_ENOENT);
	assert_int_equal(reg_begin_read(r, &d), RJH_OK);
	assert_int_equal(reg_count(r, "hosts"), 0);
	reg_end_read(r);
	reg_close(r);
	reg_close(NULL);
}

/* An open session of host as pam_rjh records it: sshd pid and its start time, at started. */
static int64_t open_session(struct reg *r, const char *host, uint32_t uid, int64_t pid,
			    int64_t started)
{
	struct reg_session se = {.uid = uid, .pid = pid, .pid_start = pid * 10, .started = started};
	struct rjh_diag d = {""};
	int64_t id = -1;

	snprintf(se.host, sizeof(se.host), "%s", host);
	snprintf(se.fp, sizeof(se.fp), "SHA256:fp-%lld", (long long)pid);
	snprintf(se.source, sizeof(se.source), "192.0.2.%lld", (long long)(pid % 250));
	if (reg_session_open(r, &se, &id, &d) != RJH_OK)
		fail_msg("reg_session_open(%s): %s", host, d.msg);
	assert_true(id > 0);
	return id;
}

/* Collects what a reg_session_cb walk sees. */
struct seen {
	int n, stop_at;
	int64_t id[16], started[16];
};

static int see_session(const struct reg_session *s, void *vctx)
{
	struct seen *v = vctx;

	if (v->n == v->stop_at)
		return RJH_ERANGE;
	assert_true(v->n < 16);
	v->id[v->n] = s->id;
	v->started[v->n] = s->started;
	v->n++;
	return 0;
}

static void test_session_open_end(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("sessions.db", NULL);
	struct reg_session se = {.uid = 7, .pid = 100, .started = NOW}, s;
	int64_t id, id2, id3;
	struct seen v;
	char sql[128];

	(void)state;
	/* Unknown fingerprint, source and start time are stored as NULL and read back empty. */
	snprintf(se.host, sizeof(se.host), "web-1");
	assert_int_equal(reg_session_open(r, &se, &id, &d), RJH_OK);
	assert_true(id > 0);
	assert_int_equal(reg_session_last(r, "web-1", &s, &d), RJH_OK);
	assert_int_equal(s.id, id);
	assert_string_equal(s.host, "web-1");
	assert_int_equal(s.uid, 7);
	assert_string_equal(s.fp, "");
	assert_string_equal(s.source, "");
	assert_int_equal(s.pid, 100);
	assert_int_equal(s.pid_start, 0);
	assert_int_equal(s.started, NOW);
	assert_int_equal(s.ended, 0);
	assert_string_equal(s.end_reason, "");

	/* A later one is the newest, with every field. */
	id2 = open_session(r, "web-1", 7, 200, NOW + 10);
	assert_int_equal(reg_session_last(r, "web-1", &s, &d), RJH_OK);
	assert_int_equal(s.id, id2);
	assert_string_equal(s.fp, "SHA256:fp-200");
	assert_string_equal(s.source, "192.0.2.200");
	assert_int_equal(s.pid_start, 2000);

	/* By id, with a reason; once only. */
	assert_int_equal(reg_session_end(r, id, NULL, 0, NOW + 5, "stale", &d), RJH_OK);
	assert_int_equal(reg_session_end(r, id, NULL, 0, NOW + 6, "closed", &d), RJH_ENOENT);
	assert_int_equal(reg_session_end(r, 999999, NULL, 0, NOW + 6, "closed", &d), RJH_ENOENT);
	assert_int_equal(reg_count(r, "sessions"), 2);

	/* By host and sshd pid: that host's open rows of that pid only. */
	id3 = open_session(r, "web-2", 8, 200, NOW + 20);
	assert_int_equal(reg_session_end(r, 0, "web-1", 999, NOW + 30, "closed", &d), RJH_ENOENT);
	assert_int_equal(reg_session_end(r, 0, "web-1", 200, NOW + 30, "closed", &d), RJH_OK);
	assert_int_equal(reg_session_end(r, 0, "web-1", 200, NOW + 31, "closed", &d), RJH_ENOENT);
	assert_int_equal(reg_session_last(r, "web-1", &s, &d), RJH_OK);
	assert_int_equal(s.id, id2);
	assert_int_equal(s.ended, NOW + 30);
	assert_string_equal(s.end_reason, "closed");
	assert_int_equal(reg_session_last(r, "web-2", &s, &d), RJH_OK);
	assert_int_equal(s.id, id3);
	assert_int_equal(s.ended, 0);

	/* Nothing of web-1 is open now; the first one kept its own end. */
	v = (struct seen){.stop_at = -1};
	assert_int_equal(reg_sessions_host_each(r, "web-1", true, 0, see_session, &v, &d), RJH_OK);
	assert_int_equal(v.n, 0);
	v = (struct seen){.stop_at = -1};
	assert_int_equal(reg_sessions_host_each(r, "web-1", false, 0, see_session, &v, &d), RJH_OK);
	assert_int_equal(v.n, 2);
	assert_int_equal(v.id[1], id);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM sessions WHERE id = %lld AND ended = %d "
		 "AND end_reason = 'stale'",
		 (long long)id, NOW + 5);
	assert_int_equal(count_of("sessions.db", sql), 1);
	/* A reason the schema does not know is refused and ends nothing. */
	assert_true(reg_session_end(r, id3, NULL, 0, NOW + 40, "bogus", &d) < 0);
	assert_int_equal(reg_session_last(r, "web-2", &s, &d), RJH_OK);
	assert_int_equal(s.ended, 0);
	reg_close(r);
}

static void test_sessions_host_each(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("history.db", NULL);
	/* Started times out of row order, so that id order would give another answer. */
	static const int64_t at[] = {30, 10, 50, 20, 40};
	int64_t ids[5];
	struct seen v;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		ids[i] = open_session(r, "web-1", 7, 100 + i, NOW + at[i]);
	open_session(r, "web-2", 8, 300, NOW + 99);
	assert_int_equal(reg_session_end(r, ids[2], NULL, 0, NOW + 60, "closed", &d), RJH_OK);
	assert_int_equal(reg_session_end(r, ids[3], NULL, 0, NOW + 60, "stale", &d), RJH_OK);

	/* Newest first, at most limit. */
	v = (struct seen){.stop_at = -1};
	assert_int_equal(reg_sessions_host_each(r, "web-1", false, 3, see_session, &v, &d), RJH_OK);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.id[0], ids[2]);
	assert_int_equal(v.id[1], ids[4]);
	assert_int_equal(v.id[2], ids[0]);

	/* 0: all of this host's, none of another's. */
	v = (struct seen){.stop_at = -1};
	assert_int_equal(reg_sessions_host_each(r, "web-1", false, 0, see_session, &v, &d), RJH_OK);
	assert_int_equal(v.n, 5);
	for (i = 1; i < v.n; i++)
		assert_true(v.started[i - 1] > v.started[i]);

	/* Only the open ones, oldest row first; the limit does not apply. */
	v = (struct seen){.stop_at = -1};
	assert_int_equal(reg_sessions_host_each(r, "web-1", true, 1, see_session, &v, &d), RJH_OK);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.id[0], ids[0]);
	assert_int_equal(v.id[1], ids[1]);
	assert_int_equal(v.id[2], ids[4]);

	/* A host never seen; a callback that stops the walk. */
	v = (struct seen){.stop_at = -1};
	assert_int_equal(reg_sessions_host_each(r, "web-9", false, 0, see_session, &v, &d), RJH_OK);
	assert_int_equal(v.n, 0);
	v = (struct seen){.stop_at = 2};
	assert_int_equal(reg_sessions_host_each(r, "web-1", false, 0, see_session, &v, &d),
			 RJH_ERANGE);
	assert_int_equal(v.n, 2);
	/* The statement was reset: the next walk starts over. */
	v = (struct seen){.stop_at = -1};
	assert_int_equal(reg_sessions_host_each(r, "web-1", false, 2, see_session, &v, &d), RJH_OK);
	assert_int_equal(v.id[0], ids[2]);
	reg_close(r);
}

/* Collects what reg_presence_each sees. */
struct presence_seen {
	int n;
	char names[8][33];
	int64_t session_id[8]; /* 0: none */
	int nkeys[8];
};

static int see_presence(const struct reg_host *h, const struct reg_session *s, void *vctx)
{
	struct presence_seen *v = vctx;

	assert_true(v->n < 8);
	snprintf(v->names[v->n], sizeof(v->names[v->n]), "%s", h->name);
	v->session_id[v->n] = s ? s->id : 0;
	v->nkeys[v->n] = h->nkeys;
	if (s)
		assert_string_equal(s->host, h->name);
	v->n++;
	return 0;
}

static void test_presence_each(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("presence.db", NULL);
	struct presence_seen v = {0};
	struct reg_host h;
	int64_t newest, ended_newest;
	struct key k;

	(void)state;
	add_host(r, "web-2");
	add_host(r, "web-1");
	add_host(r, "db-1");
	assert_int_equal(reg_host_get(r, "web-1", &h, &d), RJH_OK);
	make_key(9, &k);
	assert_int_equal(reg_key_add(r, h.id, &k, NULL, 0, NOW, &d), RJH_OK);
	key_clear(&k);
	/* web-1: the newest by start time, not by row id. */
	open_session(r, "web-1", 1, 10, NOW + 10);
	newest = open_session(r, "web-1", 1, 11, NOW + 30);
	open_session(r, "web-1", 1, 12, NOW + 20);
	/* web-2: ended rows count too; a removed host's history is not listed. */
	ended_newest = open_session(r, "web-2", 2, 20, NOW + 40);
	assert_int_equal(reg_session_end(r, ended_newest, NULL, 0, NOW + 50, "closed", &d), RJH_OK);
	open_session(r, "gone-1", 3, 30, NOW + 60);

	assert_int_equal(reg_presence_each(r, see_presence, &v, &d), RJH_OK);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.names[0], "db-1");
	assert_string_equal(v.names[1], "web-1");
	assert_string_equal(v.names[2], "web-2");
	assert_int_equal(v.session_id[0], 0);
	assert_int_equal(v.session_id[1], newest);
	assert_int_equal(v.session_id[2], ended_newest);
	assert_int_equal(v.nkeys[0], 0);
	assert_int_equal(v.nkeys[1], 1);
	reg_close(r);
}

/* Collects what a reg_host_key_cb walk sees. */
struct hk_seen {
	int n;
	char host[8][33], type[8][40], fp[8][KEY_FP_LEN];
};

static int see_host_key(const struct reg_host_key *k, void *vctx)
{
	struct hk_seen *v = vctx;

	assert_true(v->n < 8);
	snprintf(v->host[v->n], sizeof(v->host[v->n]), "%s", k->host);
	snprintf(v->type[v->n], sizeof(v->type[v->n]), "%s", k->type);
	snprintf(v->fp[v->n], sizeof(v->fp[v->n]), "%s", k->fp);
	assert_true(k->id > 0 && k->host_id > 0);
	assert_int_equal(k->created, NOW);
	assert_true(strlen(k->b64) == 68);
	v->n++;
	return 0;
}

static void test_host_keys(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("hostkeys.db", NULL);
	struct reg_host web1, web2, db1;
	struct key k1, k2, k3, k4;
	struct hk_seen v;
	int64_t missing = -1;

	(void)state;
	add_host(r, "web-2");
	add_host(r, "web-1");
	add_host(r, "db-1");
	assert_int_equal(reg_host_get(r, "web-1", &web1, &d), RJH_OK);
	assert_int_equal(reg_host_get(r, "web-2", &web2, &d), RJH_OK);
	assert_int_equal(reg_host_get(r, "db-1", &db1, &d), RJH_OK);
	make_key(21, &k1);
	make_key(22, &k2);
	make_key(23, &k3);
	make_key(24, &k4);
	/* The registry stores what it is given; only its type matters here. */
	snprintf(k3.type, sizeof(k3.type), "ecdsa-sha2-nistp256");

	assert_int_equal(reg_host_key_add(r, web1.id, &k1, NOW, &d), RJH_OK);
	assert_int_equal(reg_host_key_add(r, web1.id, &k3, NOW, &d), RJH_OK);
	/* One host key, one host: the owner is named. */
	d.msg[0] = '\0';
	assert_int_equal(reg_host_key_add(r, web2.id, &k1, NOW, &d), RJH_EEXIST);
	assert_non_null(strstr(d.msg, "already recorded for host web-1"));
	/* One key per algorithm on a host. */
	assert_int_equal(reg_host_key_add(r, web1.id, &k2, NOW, &d), RJH_EEXIST);
	assert_non_null(strstr(d.msg, "has a ssh-ed25519 host key already"));
	/* A host that does not exist. */
	assert_true(reg_host_key_add(r, 999999, &k2, NOW, &d) < 0);
	assert_int_equal(reg_host_key_add(r, web2.id, &k2, NOW, &d), RJH_OK);
	assert_int_equal(reg_count(r, "host_keys"), 3);

	/* One host's, as recorded; every host's, by host name. */
	v = (struct hk_seen){0};
	assert_int_equal(reg_host_keys_each(r, web1.id, see_host_key, &v, &d), RJH_OK);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.fp[0], k1.fp);
	assert_string_equal(v.type[1], "ecdsa-sha2-nistp256");
	v = (struct hk_seen){0};
	assert_int_equal(reg_host_keys_each(r, 0, see_host_key, &v, &d), RJH_OK);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.host[0], "web-1");
	assert_string_equal(v.host[2], "web-2");
	v = (struct hk_seen){0};
	assert_int_equal(reg_host_keys_each(r, db1.id, see_host_key, &v, &d), RJH_OK);
	assert_int_equal(v.n, 0);

	/* known_hosts: active hosts only; db-1 has none. */
	v = (struct hk_seen){0};
	assert_int_equal(reg_known_hosts_each(r, NOW, see_host_key, &v, &missing, &d), RJH_OK);
	assert_int_equal(v.n, 3);
	assert_int_equal(missing, 1);
	assert_int_equal(reg_host_set_disabled(r, web2.id, true, NOW, &d), RJH_OK);
	sql_on("hostkeys.db", "UPDATE hosts SET expires = 1773563500 WHERE name = 'db-1'");
	v = (struct hk_seen){0};
	assert_int_equal(reg_known_hosts_each(r, NOW, see_host_key, &v, &missing, &d), RJH_OK);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.host[1], "web-1");
	assert_int_equal(missing, 1);
	/* At or after its expiry db-1 no longer counts. */
	assert_int_equal(reg_known_hosts_each(r, 1773563500, see_host_key, &v, &missing, &d),
			 RJH_OK);
	assert_int_equal(missing, 0);

	/* Clearing returns how many; the freed key may go to another host. */
	assert_int_equal(reg_host_keys_clear(r, web1.id, &d), 2);
	assert_int_equal(reg_host_keys_clear(r, web1.id, &d), 0);
	assert_int_equal(reg_host_key_add(r, db1.id, &k1, NOW, &d), RJH_OK);
	/* Removing a host removes its host keys. */
	assert_int_equal(reg_host_remove(r, &db1, &d), 0);
	assert_int_equal(reg_count(r, "host_keys"), 1);
	reg_close(r);
	key_clear(&k1);
	key_clear(&k2);
	key_clear(&k3);
	key_clear(&k4);
}

/* Collects what a reg_event_cb walk sees: the time of each event, and stops at stop_at. */
struct ev_seen {
	int n, stop_at;
	int64_t time[16];
	char op[16][24];
};

static int see_event(const struct reg_event *e, void *vctx)
{
	struct ev_seen *v = vctx;

	if (v->n == v->stop_at)
		return RJH_ERANGE;
	assert_true(v->n < 16);
	v->time[v->n] = e->time;
	snprintf(v->op[v->n], sizeof(v->op[v->n]), "%s", e->op);
	v->n++;
	return 0;
}

static void add_event(struct reg *r, int64_t t, const char *op, uint32_t uid, uint32_t auid,
		      const char *host)
{
	struct reg_event e = {.time = t,
			      .type = "USER_START",
			      .op = op,
			      .actor_uid = uid,
			      .actor_auid = auid,
			      .host = host,
			      .detail = "addr=192.0.2.1",
			      .success = true};
	struct rjh_diag d = {""};

	if (reg_event_add(r, &e, &d) != RJH_OK)
		fail_msg("reg_event_add: %s", d.msg);
}

static void test_events_find(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("events.db", NULL);
	struct reg_event_filter f;
	struct ev_seen v;

	(void)state;
	/* Rows out of time order; two at one time keep the order they were recorded in. */
	add_event(r, 300, "c", 1000, (uint32_t)-1, "web-1");
	add_event(r, 100, "a", 0, 1000, "web-1");
	add_event(r, 200, "b", 2000, (uint32_t)-1, "web-2");
	add_event(r, 300, "d", 2000, 2000, NULL);
	add_event(r, 400, "e", 0, (uint32_t)-1, "web-1");

	f = (struct reg_event_filter){.host = NULL, .uid = -1, .since = 0};
	v = (struct ev_seen){.stop_at = -1};
	assert_int_equal(reg_events_find(r, &f, see_event, &v, &d), RJH_OK);
	assert_int_equal(v.n, 5);
	assert_string_equal(v.op[0], "a");
	assert_string_equal(v.op[1], "b");
	assert_string_equal(v.op[2], "c");
	assert_string_equal(v.op[3], "d");
	assert_string_equal(v.op[4], "e");

	/* A host, by time; a host with no events. */
	f.host = "web-1";
	v = (struct ev_seen){.stop_at = -1};
	assert_int_equal(reg_events_find(r, &f, see_event, &v, &d), RJH_OK);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.op[0], "a");
	assert_string_equal(v.op[2], "e");
	f.host = "web-9";
	v = (struct ev_seen){.stop_at = -1};
	assert_int_equal(reg_events_find(r, &f, see_event, &v, &d), RJH_OK);
	assert_int_equal(v.n, 0);

	/* A uid matches the actor or the login uid. */
	f = (struct reg_event_filter){.host = NULL, .uid = 1000, .since = 0};
	v = (struct ev_seen){.stop_at = -1};
	assert_int_equal(reg_events_find(r, &f, see_event, &v, &d), RJH_OK);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.op[0], "a");
	assert_string_equal(v.op[1], "c");
	/* uid 0 is a uid, not "anyone". */
	f.uid = 0;
	v = (struct ev_seen){.stop_at = -1};
	assert_int_equal(reg_events_find(r, &f, see_event, &v, &d), RJH_OK);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.op[1], "e");

	/* since is inclusive; the filters combine. */
	f = (struct reg_event_filter){.host = NULL, .uid = -1, .since = 300};
	v = (struct ev_seen){.stop_at = -1};
	assert_int_equal(reg_events_find(r, &f, see_event, &v, &d), RJH_OK);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.time[0], 300);
	f = (struct reg_event_filter){.host = "web-1", .uid = 1000, .since = 200};
	v = (struct ev_seen){.stop_at = -1};
	assert_int_equal(reg_events_find(r, &f, see_event, &v, &d), RJH_OK);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.op[0], "c");

	/* A callback that stops the walk; the statements were reset for the next one. */
	f = (struct reg_event_filter){.host = NULL, .uid = -1, .since = 0};
	v = (struct ev_seen){.stop_at = 1};
	assert_int_equal(reg_events_find(r, &f, see_event, &v, &d), RJH_ERANGE);
	f.host = "web-1";
	v = (struct ev_seen){.stop_at = 1};
	assert_int_equal(reg_events_find(r, &f, see_event, &v, &d), RJH_ERANGE);
	v = (struct ev_seen){.stop_at = -1};
	assert_int_equal(reg_events_find(r, &f, see_event, &v, &d), RJH_OK);
	assert_int_equal(v.n, 3);
	/* reg_events_each still walks every row, as recorded. */
	v = (struct ev_seen){.stop_at = -1};
	assert_int_equal(reg_events_each(r, see_event, &v, &d), RJH_OK);
	assert_int_equal(v.n, 5);
	assert_string_equal(v.op[0], "c");
	reg_close(r);
}

/* The ids of every session left, in id order, as one string ("1 4 5"). */
static void session_ids(const char *name, char *out, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char path[128];
	size_t n = 0;

	path_of(name, path, sizeof(path));
	out[0] = '\0';
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT id FROM sessions ORDER BY id", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW && n < len)
		n += (size_t)snprintf(out + n, len - n, "%s%lld", n ? " " : "",
				      (long long)sqlite3_column_int64(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* A session of host that started at started and ended at ended (0: still open); its id. */
static int64_t past_session(struct reg *r, const char *host, int64_t pid, int64_t started,
			    int64_t ended)
{
	struct rjh_diag d = {""};
	int64_t id = open_session(r, host, 7, pid, started);

	if (ended && reg_session_end(r, id, NULL, 0, ended, "closed", &d) != RJH_OK)
		fail_msg("reg_session_end: %s", d.msg);
	return id;
}

static void test_prune(void **state)
{
	const int64_t cut = NOW - 1000;
	struct rjh_diag d = {""};
	struct reg *r = create("prune.db", NULL);
	int64_t ns = -1, ne = -1;
	char ids[128], want[128];
	int64_t at, open_old, straddle, after, open_new;

	(void)state;
	/* Sessions: ended one second before the cutoff and long before go; the rest stay. */
	past_session(r, "web-1", 101, cut - 5000, cut - 4000);
	past_session(r, "web-1", 102, cut - 10, cut - 1);
	at = past_session(r, "web-1", 103, cut - 10, cut);
	open_old = past_session(r, "web-2", 104, 1, 0);
	straddle = past_session(r, "web-2", 105, cut - 9000, cut + 1);
	after = past_session(r, "web-3", 106, cut + 5, cut + 6);
	open_new = past_session(r, "web-3", 107, NOW, 0);
	/* Events: before the cutoff go, at and after it stay. */
	add_event(r, 1, "old", 0, 0, NULL);
	add_event(r, cut - 1, "just-before", 0, 0, "web-1");
	add_event(r, cut, "at", 0, 0, "web-1");
	add_event(r, cut + 1, "after", 0, 0, NULL);
	add_event(r, NOW, "now", 0, 0, "web-3");

	/* Outside a transaction it refuses and deletes nothing. */
	assert_int_equal(reg_prune(r, cut, &ns, &ne, &d), RJH_EINVAL);
	assert_int_equal(ns, 0);
	assert_int_equal(ne, 0);
	assert_int_equal(reg_count(r, "sessions"), 7);
	assert_int_equal(reg_count(r, "events"), 5);

	/* Rolled back: both deletes are undone together. */
	assert_int_equal(reg_begin(r, &d), RJH_OK);
	assert_int_equal(reg_prune(r, cut, &ns, &ne, &d), RJH_OK);
	assert_int_equal(ns, 2);
	assert_int_equal(ne, 2);
	reg_rollback(r);
	assert_int_equal(reg_count(r, "sessions"), 7);
	assert_int_equal(reg_count(r, "events"), 5);

	assert_int_equal(reg_begin(r, &d), RJH_OK);
	assert_int_equal(reg_prune(r, cut, &ns, &ne, &d), RJH_OK);
	assert_int_equal(reg_commit(r, &d), RJH_OK);
	assert_int_equal(ns, 2);
	assert_int_equal(ne, 2);
	session_ids("prune.db", ids, sizeof(ids));
	snprintf(want, sizeof(want), "%lld %lld %lld %lld %lld", (long long)at, (long long)open_old,
		 (long long)straddle, (long long)after, (long long)open_new);
	assert_string_equal(ids, want);
	assert_int_equal(count_of("prune.db", "SELECT count(*) FROM events WHERE op IN "
					      "('at', 'after', 'now')"),
			 3);
	assert_int_equal(reg_count(r, "events"), 3);

	/* Again with the same cutoff: nothing left to remove. */
	assert_int_equal(reg_begin(r, &d), RJH_OK);
	assert_int_equal(reg_prune(r, cut, &ns, &ne, &d), RJH_OK);
	assert_int_equal(reg_commit(r, &d), RJH_OK);
	assert_int_equal(ns, 0);
	assert_int_equal(ne, 0);

	/* A cutoff past every row: every ended session and every event; open ones stay. */
	assert_int_equal(reg_begin(r, &d), RJH_OK);
	assert_int_equal(reg_prune(r, INT64_MAX, &ns, &ne, &d), RJH_OK);
	assert_int_equal(reg_commit(r, &d), RJH_OK);
	assert_int_equal(ns, 3);
	assert_int_equal(ne, 3);
	session_ids("prune.db", ids, sizeof(ids));
	snprintf(want, sizeof(want), "%lld %lld", (long long)open_old, (long long)open_new);
	assert_string_equal(ids, want);
	assert_int_equal(reg_count(r, "events"), 0);
	reg_close(r);
}

static void test_vacuum(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = create("vacuum.db", NULL);
	int64_t before = -1, after = -1, ns, ne, t;
	char path[128];
	struct stat st;

	(void)state;
	path_of("vacuum.db", path, sizeof(path));
	assert_int_equal(reg_begin(r, &d), RJH_OK);
	for (t = 1; t <= 3000; t++)
		add_event(r, t, "filler", 0, 0, "web-1");
	assert_int_equal(reg_commit(r, &d), RJH_OK);
	add_event(r, NOW, "kept", 0, 0, "web-1");

	/* Not inside a transaction. */
	assert_int_equal(reg_begin(r, &d), RJH_OK);
	assert_int_equal(reg_vacuum(r, &before, &after, &d), RJH_EINVAL);
	reg_rollback(r);

	assert_int_equal(reg_begin(r, &d), RJH_OK);
	assert_int_equal(reg_prune(r, NOW, &ns, &ne, &d), RJH_OK);
	assert_int_equal(reg_commit(r, &d), RJH_OK);
	assert_int_equal(ne, 3000);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(reg_vacuum(r, &before, &after, &d), RJH_OK);
	/* Deletes leave the file as big as it was; VACUUM gives the pages back. */
	assert_int_equal(before, (int64_t)st.st_size);
	assert_true(after > 0 && after < before / 2);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((int64_t)st.st_size, after);
	/* Still the same registry: identity, schema, mode and the row that was kept. */
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(pragma_of("vacuum.db", "application_id"), REG_APP_ID);
	assert_int_equal(pragma_of("vacuum.db", "user_version"), reg_schema_version());
	assert_int_equal(count_of("vacuum.db", "SELECT count(*) FROM events WHERE op = 'kept'"), 1);
	reg_close(r);
}

/* A registry at schema 1 (sql/001 only) with a host and a session, as rjh 0.1 wrote it. */
static void make_v1(const char *name)
{
	char sql[256];

	assert_true(reg_migrations_count >= 2);
	assert_int_equal(reg_migrations[0].version, 1);
	sql_on(name, reg_migrations[0].sql);
	snprintf(sql, sizeof(sql),
		 "PRAGMA user_version = 1; PRAGMA application_id = %d; INSERT INTO settings "
		 "VALUES ('uid_min', '5000'), ('uid_max', '6000'), ('next_uid', '5001'), "
		 "('host_group', 'rjh-hosts'), ('host_gid', '4999');",
		 REG_APP_ID);
	sql_on(name, sql);
	sql_on(name, "INSERT INTO hosts VALUES (1, 'web-1', 5000, 'active', 1, 1, NULL, NULL);"
		     "INSERT INTO sessions(host, uid, fingerprint, source_addr, sshd_pid, started) "
		     "VALUES ('web-1', 5000, 'SHA256:old', '192.0.2.1', 42, 1000);");
}

static void test_upgrade_v1(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = NULL;
	struct reg_session s;
	struct reg_host h;
	int64_t id;

	(void)state;
	make_v1("v1.db");
	assert_int_equal(pragma_of("v1.db", "user_version"), 1);
	/* Read-only cannot upgrade, so it refuses. */
	assert_int_equal(open_reg("v1.db", REG_RO, &r, &d), RJH_EREGISTRY);
	assert_null(r);
	assert_non_null(strstr(d.msg, "needs an upgrade"));
	assert_int_equal(pragma_of("v1.db", "user_version"), 1);

	assert_int_equal(open_reg("v1.db", REG_RW, &r, &d), RJH_OK);
	assert_int_equal(pragma_of("v1.db", "user_version"), reg_schema_version());
	/* What schema 1 held is all there; the new columns read as unknown. */
	assert_int_equal(reg_host_get(r, "web-1", &h, &d), RJH_OK);
	assert_int_equal(h.uid, 5000);
	assert_int_equal(reg_session_last(r, "web-1", &s, &d), RJH_OK);
	assert_string_equal(s.fp, "SHA256:old");
	assert_int_equal(s.pid, 42);
	assert_int_equal(s.pid_start, 0);
	assert_int_equal(s.ended, 0);
	assert_string_equal(s.end_reason, "");
	/* And the new ones work on it. */
	assert_int_equal(reg_session_end(r, s.id, NULL, 0, 2000, "stale", &d), RJH_OK);
	id = open_session(r, "web-1", 5000, 43, 3000);
	assert_int_equal(reg_session_last(r, "web-1", &s, &d), RJH_OK);
	assert_int_equal(s.id, id);
	assert_int_equal(s.pid_start, 430);
	reg_close(r);

	/* Upgraded once: read-only opens it now, and the open-session index is there. */
	assert_int_equal(open_reg("v1.db", REG_RO, &r, &d), RJH_OK);
	assert_int_equal(reg_count(r, "sessions"), 2);
	reg_close(r);
	assert_int_equal(count_of("v1.db",
				  "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
				  "AND name = 'sessions_open'"),
			 1);
	/* And schema 3's host_keys table and events_time index, and schema 6's sessions_ended. */
	assert_int_equal(count_of("v1.db",
				  "SELECT count(*) FROM sqlite_master WHERE "
				  "(type = 'table' AND name = 'host_keys') OR "
				  "(type = 'index' AND name IN ('events_time', 'sessions_ended'))"),
			 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_and_reopen),
	    cmocka_unit_test(test_create_makes_parents),
	    cmocka_unit_test(test_create_over_existing),
	    cmocka_unit_test(test_open_missing),
	    cmocka_unit_test(test_open_untrusted),
	    cmocka_unit_test(test_open_garbage),
	    cmocka_unit_test(test_open_foreign_sqlite),
	    cmocka_unit_test(test_open_newer_schema),
	    cmocka_unit_test(test_open_newer_compatible_schema),
	    cmocka_unit_test(test_uid_allocation),
	    cmocka_unit_test(test_host_fields),
	    cmocka_unit_test(test_duplicate_name),
	    cmocka_unit_test(test_duplicate_key),
	    cmocka_unit_test(test_uid_range_exhausted),
	    cmocka_unit_test(test_grants),
	    cmocka_unit_test(test_remove_host_grants),
	    cmocka_unit_test(test_rollback),
	    cmocka_unit_test(test_misc_reads),
	    cmocka_unit_test(test_session_open_end),
	    cmocka_unit_test(test_sessions_host_each),
	    cmocka_unit_test(test_presence_each),
	    cmocka_unit_test(test_host_keys),
	    cmocka_unit_test(test_events_find),
	    cmocka_unit_test(test_prune),
	    cmocka_unit_test(test_vacuum),
	    cmocka_unit_test(test_upgrade_v1),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
