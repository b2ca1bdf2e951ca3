/*
 * Unit tests for the login snapshot (lib/login.c, lib/publish.c): after every
 * change in a long random sequence of enrolls, key changes, revocations,
 * removals, grants and rebuilds, the snapshot must answer exactly what the
 * registry says; a publisher must catch up after writers that died between
 * their commit and their snapshot, must not trust a snapshot from another
 * history, and the reader must survive any bytes in the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "key.h"
#include "login.h"
#include "publish.h"
#include "reg.h"
#include "tmpdir.h"

static char regpath[128], basepath[160], deltapath[160];
static struct cfg conf;

static int setup(void **state)
{
	struct rjh_diag d = {""};
	struct reg *r = NULL;

	(void)state;
	if (tmpdir_make("login") < 0)
		return -1;
	snprintf(regpath, sizeof(regpath), "%s/r.db", tmpdir);
	cfg_defaults(&conf);
	snprintf(conf.registry, sizeof(conf.registry), "%s", regpath);
	snprintf(conf.runtime_dir, sizeof(conf.runtime_dir), "%s/run", tmpdir);
	snprintf(conf.keys_user, sizeof(conf.keys_user), "nobody");
	if (reg_open(regpath, REG_CREATE, &conf, 2000, &r, &d) < 0)
		return -1;
	reg_close(r);
	return login_paths(regpath, basepath, deltapath, sizeof(basepath));
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

/* A fake but well-formed key: its fingerprint is unique per seed; b64 is a static buffer. */
static void fake_key(unsigned seed, struct key *k)
{
	static char b64[80];

	memset(k, 0, sizeof(*k));
	snprintf(k->type, sizeof(k->type), "ssh-ed25519");
	snprintf(b64, sizeof(b64), "AAAAC3NzaC1lZDI1NTE5AAAAI%043u", seed);
	k->b64 = b64;
	snprintf(k->fp, sizeof(k->fp), "SHA256:%043u", seed);
}

/* One change through the calls rjh-admin makes: begin, prune the log, fn, commit, publish. */
static void change(int (*fn)(struct reg *r, void *arg), void *arg, bool publish, bool rebuild)
{
	struct rjh_diag d = {""};
	struct reg *r = NULL;

	assert_int_equal(reg_open(regpath, REG_RW, &conf, 2000, &r, &d), RJH_OK);
	assert_int_equal(reg_begin(r, &d), RJH_OK);
	assert_int_equal(pub_login_prune_log(r, &conf, &d), RJH_OK);
	if (fn)
		assert_int_equal(fn(r, arg), RJH_OK);
	assert_int_equal(reg_commit(r, &d), RJH_OK);
	if (publish && pub_login(r, &conf, rebuild, &d) != 0)
		fail_msg("pub_login: %s", d.msg);
	reg_close(r);
}

struct want_keys {
	sqlite3_stmt *s;
	int n;
};

/* Each key the snapshot gives must be the registry's next key of that host that is not revoked. */
static int next_key(const struct reg_key *k, void *ctx)
{
	struct want_keys *w = ctx;

	assert_int_equal(sqlite3_step(w->s), SQLITE_ROW);
	assert_int_equal(k->id, sqlite3_column_int64(w->s, 0));
	assert_string_equal(k->type, (const char *)sqlite3_column_text(w->s, 1));
	assert_string_equal(k->b64, (const char *)sqlite3_column_text(w->s, 2));
	assert_string_equal(k->fp, (const char *)sqlite3_column_text(w->s, 3));
	assert_int_equal(k->expires, sqlite3_column_int64(w->s, 4));
	assert_int_equal(k->revoked, 0);
	w->n++;
	return 0;
}

static int count_grant(const struct reg_grant *g, void *ctx)
{
	sqlite3_stmt *s = ctx;

	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal(g->principal, (const char *)sqlite3_column_text(s, 0));
	assert_string_equal(g->pattern, (const char *)sqlite3_column_text(s, 1));
	return 0;
}

/* Compares the snapshot with the registry: every host, key and grant, and nothing else. */
static void check_matches(const char *const *gone, size_t ngone)
{
	struct rjh_diag d = {""};
	struct login_view lv;
	struct reg_host h;
	sqlite3_stmt *s, *ks, *gs;
	sqlite3 *db;
	size_t i;

	if (login_open(&conf, &lv, &d) != 0)
		fail_msg("login_open: %s", d.msg);
	assert_int_equal(sqlite3_open_v2(regpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT name, id, uid, state, expires, "
					    "coalesce(source_cidrs, ''), (SELECT count(*) FROM "
					    "keys k WHERE k.host_id = hosts.id AND k.revoked IS "
					    "NULL) FROM hosts ORDER BY name",
					    -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT id, algorithm, blob, fingerprint, "
					    "coalesce(expires, 0) FROM keys WHERE host_id = ?1 AND "
					    "revoked IS NULL ORDER BY id",
					    -1, &ks, NULL),
			 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		struct want_keys w = {ks, 0};

		assert_int_equal(login_host(&lv, name, &h), RJH_OK);
		assert_string_equal(h.name, name);
		assert_int_equal(h.id, sqlite3_column_int64(s, 1));
		assert_int_equal(h.uid, sqlite3_column_int64(s, 2));
		assert_int_equal(h.disabled,
				 strcmp((const char *)sqlite3_column_text(s, 3), "active") != 0);
		assert_int_equal(h.expires, sqlite3_column_int64(s, 4));
		assert_string_equal(h.cidrs, (const char *)sqlite3_column_text(s, 5));
		if (h.nkeys != sqlite3_column_int(s, 6))
			fail_msg("%s: nkeys %d, registry %d, gen %llu", name, h.nkeys,
				 sqlite3_column_int(s, 6),
				 (unsigned long long)login_generation(&lv));
		sqlite3_bind_int64(ks, 1, h.id);
		assert_int_equal(login_keys_each(&lv, name, next_key, &w), RJH_OK);
		assert_int_equal(sqlite3_step(ks), SQLITE_DONE);
		assert_int_equal(w.n, h.nkeys);
		sqlite3_reset(ks);
	}
	for (i = 0; i < ngone; i++)
		assert_int_equal(login_host(&lv, gone[i], &h), RJH_ENOENT);
	assert_int_equal(login_host(&lv, "../etc", &h), RJH_ENOENT);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
			       "SELECT principal, pattern FROM grants ORDER BY principal, pattern",
			       -1, &gs, NULL),
	    SQLITE_OK);
	assert_int_equal(login_grants_each(&lv, count_grant, gs), RJH_OK);
	assert_int_equal(sqlite3_step(gs), SQLITE_DONE);
	sqlite3_finalize(gs);
	sqlite3_finalize(ks);
	sqlite3_finalize(s);
	sqlite3_close(db);
	login_close(&lv);
}

/* The random walk's operations, on hosts h0..h(N-1). */
#define NHOSTS 120
struct op {
	unsigned kind, host, seed;
};

/* Keys are numbered in the order made: each new one is unique. */
static unsigned keys_made;

static int apply(struct reg *r, void *arg)
{
	const struct op *o = arg;
	struct rjh_diag d = {""};
	struct reg_host h, in = {.expires = o->seed % 5 ? 0 : 4000000000LL};
	struct reg_key rk;
	struct key k;
	char name[16], pat[16];
	int rc;

	snprintf(name, sizeof(name), "h%03u", o->host);
	snprintf(in.name, sizeof(in.name), "%s", name);
	snprintf(in.cidrs, sizeof(in.cidrs), "%s", o->seed % 3 ? "" : "10.0.0.0/8");
	rc = reg_host_get(r, name, &h, &d);
	switch (o->kind) {
	case 0: /* enroll, or add a key */
		if (rc == RJH_ENOENT && reg_host_add(r, &in, 1, &h, &d) < 0)
			return -1;
		fake_key(++keys_made, &k);
		return reg_key_add(r, h.id, &k, "c", o->seed % 4 ? 0 : 4000000000LL, 1, &d);
	case 1: /* revoke a key */
		fake_key(o->seed % (keys_made + 1), &k);
		return reg_key_find(r, k.fp, &rk, &d) == 0 ? reg_key_revoke(r, rk.id, 2, &d) : 0;
	case 2: /* disable or enable */
		return rc == 0 ? reg_host_set_disabled(r, h.id, !h.disabled, 3, &d) : 0;
	case 3: /* remove */
		return rc == 0 && reg_host_remove(r, &h, &d) < 0 ? -1 : 0;
	default: /* grant or ungrant */
		snprintf(pat, sizeof(pat), "h%u*", o->seed % 7);
		if (reg_grant_add(r, "ops", pat, 4, &d) == RJH_EEXIST)
			return reg_grant_del(r, "ops", pat, &d);
		return 0;
	}
}

static void test_random_changes_match_registry(void **state)
{
	const char *gone[] = {"nope", "h999"};
	unsigned seed = 4242, step;

	(void)state;
	change(NULL, NULL, true, true);
	check_matches(gone, 2);
	for (step = 0; step < 700; step++) {
		struct op o = {rand_r(&seed) % 6, rand_r(&seed) % NHOSTS, rand_r(&seed) % 5000};

		change(apply, &o, true, step % 97 == 96);
		check_matches(gone, 2);
	}
}

/* Writers that died after their commit: the next publisher catches up exactly. */
static void test_catch_up_after_crash(void **state)
{
	const char *gone[] = {"nope"};
	unsigned i;

	(void)state;
	for (i = 0; i < 40; i++) {
		struct op o = {i % 6, (i * 7) % NHOSTS, 6000 + i};

		change(apply, &o, false, false);
	}
	change(NULL, NULL, true, false);
	check_matches(gone, 1);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	ssize_t n;

	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

/* A snapshot put back from before the pruned log, or from another registry: rebuilt. */
static void test_untrusted_history_rebuilt(void **state)
{
	char oldb[200], oldd[200];
	const char *gone[] = {"nope"};
	unsigned i;

	(void)state;
	snprintf(oldb, sizeof(oldb), "%s/old.login", tmpdir);
	snprintf(oldd, sizeof(oldd), "%s/old.login-delta", tmpdir);
	copy_file(basepath, oldb);
	copy_file(deltapath, oldd);
	for (i = 0; i < 10; i++) {
		struct op o = {i % 6, (i * 13) % NHOSTS, 7000 + i};

		change(apply, &o, true, false);
	}
	change(NULL, NULL, true, false); /* prunes the log up to the snapshot */
	assert_int_equal(rename(oldb, basepath), 0);
	assert_int_equal(rename(oldd, deltapath), 0);
	change(NULL, NULL, true, false);
	check_matches(gone, 1);
}

static int next_key_ignore(const struct reg_key *k, void *ctx)
{
	(void)k;
	(void)ctx;
	return 0;
}

static int grant_ignore(const struct reg_grant *g, void *ctx)
{
	(void)g;
	(void)ctx;
	return 0;
}

/*
 * A registry restored from a backup brings an old generation back: a
 * rebuild at that generation must not leave the old delta (of the lost
 * history) paired with the new base, even when writing the new delta fails.
 */
static int enroll_lost(struct reg *r, void *arg)
{
	struct rjh_diag d = {""};
	struct reg_host h;
	struct key k;

	(void)arg;
	fake_key(++keys_made, &k);
	if (reg_host_add(r, &(struct reg_host){.name = "zz-lost"}, 1, &h, &d) < 0)
		return -1;
	return reg_key_add(r, h.id, &k, "c", 0, 1, &d);
}

static void test_restored_registry_drops_old_delta(void **state)
{
	char backup[200], tmpdelta[200];
	struct rjh_diag d = {""};
	struct login_view lv;
	struct reg_host h;
	struct reg *r = NULL;

	(void)state;
	change(NULL, NULL, true, true); /* a base at the registry's generation, empty delta */
	snprintf(backup, sizeof(backup), "%s/backup.db", tmpdir);
	copy_file(regpath, backup);
	change(enroll_lost, NULL, true, false); /* in the delta only */
	assert_int_equal(login_open(&conf, &lv, &d), RJH_OK);
	assert_int_equal(login_host(&lv, "zz-lost", &h), RJH_OK);
	login_close(&lv);
	assert_int_equal(rename(backup, regpath), 0); /* the restore */
	/* The new delta cannot be written: its temporary name is taken by a directory. */
	snprintf(tmpdelta, sizeof(tmpdelta), "%s.tmp", deltapath);
	assert_int_equal(mkdir(tmpdelta, 0700), 0);
	assert_int_equal(reg_open(regpath, REG_RW, &conf, 2000, &r, &d), RJH_OK);
	assert_int_not_equal(pub_login(r, &conf, true, &d), RJH_OK);
	reg_close(r);
	assert_int_equal(rmdir(tmpdelta), 0);
	assert_int_equal(login_open(&conf, &lv, &d), RJH_OK);
	assert_int_equal(login_host(&lv, "zz-lost", &h), RJH_ENOENT);
	login_close(&lv);
	change(NULL, NULL, true, true);
	check_matches(NULL, 0);
}

/* Every byte of a record may be garbage: lookups fail cleanly, never read outside. */
static void test_reader_survives_garbage(void **state)
{
	struct login_view lv;
	struct reg_host h;
	struct stat st;
	unsigned char *img;
	size_t len, i;
	int fd, pass;

	(void)state;
	change(NULL, NULL, true, true);
	assert_int_equal(stat(basepath, &st), 0);
	len = (size_t)st.st_size;
	img = malloc(len);
	assert_non_null(img);
	fd = open(basepath, O_RDONLY);
	assert_int_equal(read(fd, img, len), (ssize_t)len);
	close(fd);
	for (pass = 0; pass < 8; pass++) {
		const struct snap_hdr *hd = (const struct snap_hdr *)img;
		unsigned seed = (unsigned)pass;

		for (i = hd->data_off; i < len; i++)
			if (rand_r(&seed) % 16 == 0)
				img[i] = (unsigned char)rand_r(&seed);
		fd = open(basepath, O_WRONLY | O_TRUNC);
		assert_int_equal(write(fd, img, len), (ssize_t)len);
		close(fd);
		if (login_open(&conf, &lv, NULL) != 0)
			continue;
		for (i = 0; i < NHOSTS; i++) {
			char name[16];

			snprintf(name, sizeof(name), "h%03zu", i);
			if (login_host(&lv, name, &h) == 0)
				(void)login_keys_each(&lv, name, next_key_ignore, NULL);
		}
		(void)login_grants_each(&lv, grant_ignore, NULL);
		login_close(&lv);
	}
	free(img);
	change(NULL, NULL, true, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_changes_match_registry),
	    cmocka_unit_test(test_catch_up_after_crash),
	    cmocka_unit_test(test_untrusted_history_rebuilt),
	    cmocka_unit_test(test_restored_registry_drops_old_delta),
	    cmocka_unit_test(test_reader_survives_garbage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
