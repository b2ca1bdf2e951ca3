/*
 * Unit tests for lib/snap.c and snap_nss_update: after every change in a
 * long random sequence of adds, removes and rebuilds, the snapshot pair must
 * answer exactly what the registry's hosts table says, by name, by uid and by
 * enumeration; and the reader must refuse files it cannot trust.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "reg.h"
#include "snap_write.h"
#include "tmpdir.h"

static char regpath[128], basepath[160], deltapath[160];
static struct cfg conf;

static int setup(void **state)
{
	(void)state;
	if (tmpdir_make("snap") < 0)
		return -1;
	snprintf(regpath, sizeof(regpath), "%s/r.db", tmpdir);
	cfg_defaults(&conf);
	snprintf(conf.runtime_dir, sizeof(conf.runtime_dir), "%s/run", tmpdir);
	snprintf(conf.registry, sizeof(conf.registry), "%s", regpath);
	return snap_paths(regpath, basepath, deltapath, sizeof(basepath));
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

/* Compares the mapped pair with the hosts table: every row found, and nothing else. */
static void check_matches(void)
{
	struct snap_view v;
	struct snap_iter it = {0, 0};
	sqlite3 *db;
	sqlite3_stmt *s;
	char name[SNAP_NAME_SIZE];
	uint32_t uid, n_enum = 0, n_rows = 0;

	assert_int_equal(snap_view_map(SNAP_BASE, basepath, deltapath, &v, NULL), RJH_OK);
	assert_int_equal(sqlite3_open_v2(regpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT name, uid FROM hosts ORDER BY name", -1, &s, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *rn = (const char *)sqlite3_column_text(s, 0);
		uint32_t ru = (uint32_t)sqlite3_column_int64(s, 1);

		n_rows++;
		assert_int_equal(snap_view_name(&v, rn, &uid), RJH_OK);
		assert_int_equal(uid, ru);
		assert_int_equal(snap_view_uid(&v, ru, name), RJH_OK);
		assert_string_equal(name, rn);
		/* Enumeration yields the same rows in the same (name) order. */
		assert_int_equal(snap_view_next(&v, &it, name, &uid), RJH_OK);
		assert_string_equal(name, rn);
		assert_int_equal(uid, ru);
		n_enum++;
	}
	assert_int_equal(snap_view_next(&v, &it, name, &uid), RJH_ENOENT);
	assert_int_equal(n_enum, n_rows);
	sqlite3_finalize(s);
	sqlite3_close(db);
	snap_view_unmap(&v);
}

/* One change through the same calls rjh-admin makes. */
static void change(enum snap_ident_op op, const char *name, uint32_t *uid_out)
{
	struct rjh_diag d = {""};
	struct reg_host h, in = {0};
	struct reg *r = NULL;
	uint64_t gen;

	snprintf(in.name, sizeof(in.name), "%s", name ? name : "");
	assert_int_equal(reg_open(regpath, REG_RW, &conf, 2000, &r, &d), RJH_OK);
	assert_int_equal(reg_begin(r, &d), RJH_OK);
	if (op == SNAP_IDENT_ADD) {
		assert_int_equal(reg_host_add(r, &in, 1, &h, &d), RJH_OK);
	} else if (op == SNAP_IDENT_DEL) {
		assert_int_equal(reg_host_get(r, name, &h, &d), RJH_OK);
		assert_true(reg_host_remove(r, &h, &d) >= 0);
	}
	if (uid_out)
		*uid_out = op == SNAP_IDENT_REBUILD ? 0 : h.uid;
	assert_int_equal(reg_ident_changed(r, &gen, &d), RJH_OK);
	assert_int_equal(reg_commit(r, &d), RJH_OK);
	if (snap_nss_update(r, &conf, op, name, op == SNAP_IDENT_REBUILD ? 0 : h.uid, gen, &d) != 0)
		fail_msg("snap_nss_update: %s", d.msg);
	reg_close(r);
}

static void test_random_changes_match_registry(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = NULL;
	char live[400][33];
	uint64_t gen;
	size_t nlive = 0, step;
	unsigned seed = 12345, next_name = 0;

	(void)state;
	assert_int_equal(reg_open(regpath, REG_CREATE, &conf, 2000, &r, &d), RJH_OK);
	assert_int_equal(reg_begin(r, &d), RJH_OK);
	assert_int_equal(reg_ident_changed(r, &gen, &d), RJH_OK);
	assert_int_equal(reg_commit(r, &d), RJH_OK);
	assert_int_equal(snap_nss_update(r, &conf, SNAP_IDENT_REBUILD, NULL, 0, gen, &d), RJH_OK);
	reg_close(r);
	check_matches();
	for (step = 0; step < 600; step++) {
		unsigned pick = rand_r(&seed) % 10;

		if (pick < 6 && nlive < 400) {
			/* Names in random order, so the delta inserts everywhere. */
			snprintf(live[nlive], sizeof(live[nlive]), "h%05u-%u",
				 rand_r(&seed) % 100000, next_name++);
			change(SNAP_IDENT_ADD, live[nlive++], NULL);
		} else if (pick < 9 && nlive > 0) {
			size_t i = rand_r(&seed) % nlive;

			change(SNAP_IDENT_DEL, live[i], NULL);
			memcpy(live[i], live[--nlive], sizeof(live[i]));
		} else {
			change(SNAP_IDENT_REBUILD, NULL, NULL);
		}
		check_matches();
	}
}

/* A delta for another base is ignored; the base alone then answers. */
static void test_foreign_delta_ignored(void **state)
{
	char saved[200];
	struct snap_view v;
	uint32_t uid;

	(void)state;
	change(SNAP_IDENT_ADD, "zz-first", NULL);
	snprintf(saved, sizeof(saved), "%s/old-delta", tmpdir);
	assert_int_equal(rename(deltapath, saved), 0);
	change(SNAP_IDENT_REBUILD, NULL, NULL); /* a new base, and a new empty delta */
	change(SNAP_IDENT_ADD, "zz-second", NULL);
	assert_int_equal(rename(saved, deltapath), 0); /* the old delta is back */
	assert_int_equal(snap_view_map(SNAP_BASE, basepath, deltapath, &v, NULL), RJH_OK);
	assert_false(v.have_delta);
	assert_int_equal(snap_view_name(&v, "zz-first", &uid), RJH_OK);
	snap_view_unmap(&v);
	/* The next change notices the mismatch and rebuilds both. */
	change(SNAP_IDENT_ADD, "zz-third", NULL);
	check_matches();
}

/* Two writers commit, then update the snapshot in the other order: it must not go back. */
static void test_snapshot_never_goes_back(void **state)
{
	struct rjh_diag d = {""};
	struct reg *ra = NULL, *rb = NULL;
	struct reg_host ha, hb;
	uint64_t ga, gb;
	uint32_t uid;
	struct snap_view v;

	(void)state;
	assert_int_equal(reg_open(regpath, REG_RW, &conf, 2000, &ra, &d), RJH_OK);
	assert_int_equal(reg_open(regpath, REG_RW, &conf, 2000, &rb, &d), RJH_OK);
	assert_int_equal(reg_begin(ra, &d), RJH_OK);
	assert_int_equal(reg_host_add(ra, &(struct reg_host){.name = "oo-a"}, 1, &ha, &d), RJH_OK);
	assert_int_equal(reg_ident_changed(ra, &ga, &d), RJH_OK);
	assert_int_equal(reg_commit(ra, &d), RJH_OK);
	assert_int_equal(reg_begin(rb, &d), RJH_OK);
	assert_int_equal(reg_host_add(rb, &(struct reg_host){.name = "oo-b"}, 1, &hb, &d), RJH_OK);
	assert_int_equal(reg_ident_changed(rb, &gb, &d), RJH_OK);
	assert_int_equal(reg_commit(rb, &d), RJH_OK);
	assert_int_equal(snap_nss_update(rb, &conf, SNAP_IDENT_ADD, "oo-b", hb.uid, gb, &d),
			 RJH_OK);
	assert_int_equal(snap_nss_update(ra, &conf, SNAP_IDENT_ADD, "oo-a", ha.uid, ga, &d),
			 RJH_OK);
	reg_close(ra);
	reg_close(rb);
	assert_int_equal(snap_view_map(SNAP_BASE, basepath, deltapath, &v, NULL), RJH_OK);
	assert_int_equal(snap_view_name(&v, "oo-a", &uid), RJH_OK);
	assert_int_equal(snap_view_name(&v, "oo-b", &uid), RJH_OK);
	snap_view_unmap(&v);
	check_matches();
}

static void write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The reader refuses untrusted or malformed files and never reads out of bounds. */
static void test_reader_refuses(void **state)
{
	unsigned char *img;
	struct snap s;
	struct stat st;
	char path[200];
	size_t len, i;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.nss", tmpdir);
	assert_int_equal(snap_map(path, SNAP_BASE, &s, NULL), RJH_ENOENT);
	assert_int_equal(stat(basepath, &st), 0);
	len = (size_t)st.st_size;
	img = malloc(len);
	fd = open(basepath, O_RDONLY);
	assert_int_equal(read(fd, img, len), (ssize_t)len);
	close(fd);
	write_file(path, img, len, 0666);
	assert_int_equal(snap_map(path, SNAP_BASE, &s, NULL), RJH_ETRUST);
	write_file(path, img, len, 0644);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(snap_map(path, SNAP_BASE, &s, NULL), RJH_ETRUST);
	assert_int_equal(chown(path, 0, 0), 0);
	assert_int_equal(snap_map(path, SNAP_BASE, &s, NULL), RJH_OK);
	snap_unmap(&s);
	assert_int_equal(snap_map(path, SNAP_DELTA, &s, NULL), RJH_EREGISTRY); /* wrong kind */
	write_file(path, img, len / 2, 0644);                                  /* truncated */
	assert_int_equal(snap_map(path, SNAP_BASE, &s, NULL), RJH_EREGISTRY);
	/* Garbage entry offsets: every lookup fails cleanly, none reads outside the file. */
	for (i = sizeof(struct snap_hdr); i + 4 <= len && i < sizeof(struct snap_hdr) + 4096; i++)
		img[i] = (unsigned char)(i * 131);
	write_file(path, img, len, 0644);
	if (snap_map(path, SNAP_BASE, &s, NULL) == RJH_OK) {
		uint32_t idx, u, f;
		char n[SNAP_NAME_SIZE];

		(void)snap_find_name(&s, "host-1", &idx);
		(void)snap_find_uid(&s, 1900000001, &idx);
		for (i = 0; i < s.h.count && i < 1000; i++)
			(void)snap_entry(&s, (uint32_t)i, n, &u, &f);
		snap_unmap(&s);
	}
	free(img);
}

/* A good snapshot in a directory that is not root's alone is refused like a bad file. */
static void test_reader_refuses_untrusted_dir(void **state)
{
	char dir[160], path[200], link[200];
	unsigned char *img;
	struct snap s;
	struct stat st;
	size_t len;
	int fd;

	(void)state;
	assert_int_equal(stat(basepath, &st), 0);
	len = (size_t)st.st_size;
	img = malloc(len);
	assert_non_null(img);
	fd = open(basepath, O_RDONLY);
	assert_int_equal(read(fd, img, len), (ssize_t)len);
	close(fd);
	snprintf(dir, sizeof(dir), "%s/d", tmpdir);
	snprintf(path, sizeof(path), "%s/r.db.nss", dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	write_file(path, img, len, 0644);
	free(img);
	assert_int_equal(snap_map(path, SNAP_BASE, &s, NULL), RJH_OK);
	snap_unmap(&s);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(snap_map(path, SNAP_BASE, &s, NULL), RJH_ETRUST);
	assert_null(s.base);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	assert_int_equal(snap_map(path, SNAP_BASE, &s, NULL), RJH_ETRUST);
	assert_int_equal(chown(dir, 0, 0), 0);
	/* A link, as the file or on the way through an untrusted directory. */
	snprintf(link, sizeof(link), "%s/link.nss", tmpdir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(snap_map(link, SNAP_BASE, &s, NULL), RJH_ETRUST);
	snprintf(link, sizeof(link), "%s/open", tmpdir);
	assert_int_equal(mkdir(link, 0777), 0);
	assert_int_equal(chmod(link, 0777), 0);
	strcat(link, "/to-d");
	assert_int_equal(symlink(dir, link), 0);
	strcat(link, "/r.db.nss");
	assert_int_equal(snap_map(link, SNAP_BASE, &s, NULL), RJH_ETRUST);
	assert_int_equal(snap_map(path, SNAP_BASE, &s, NULL), RJH_OK);
	snap_unmap(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_changes_match_registry),
	    cmocka_unit_test(test_foreign_delta_ignored),
	    cmocka_unit_test(test_snapshot_never_goes_back),
	    cmocka_unit_test(test_reader_refuses),
	    cmocka_unit_test(test_reader_refuses_untrusted_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
