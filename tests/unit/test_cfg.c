/* Unit tests for lib/cfg.c: parsing rjh.conf from memory and loading it from disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "tmpdir.h"

static int group_setup(void **state)
{
	(void)state;
	return tmpdir_make("cfg");
}

static int group_teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

/* Writes text to tmpdir/name with exactly this owner and mode; the path goes to path_out. */
static void write_file(const char *name, const char *text, mode_t mode, uid_t uid, char *path_out,
		       size_t len)
{
	int fd;

	snprintf(path_out, len, "%s/%s", tmpdir, name);
	fd = open(path_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchown(fd, uid, 0), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* cfg_parse writes into its buffer: give it a private copy, NUL byte included. */
static int parse(const char *text, struct cfg *c, struct rjh_diag *d)
{
	char *buf = strdup(text);
	int rc;

	assert_non_null(buf);
	cfg_defaults(c);
	d->msg[0] = '\0';
	rc = cfg_parse("test.conf", buf, strlen(text), c, d);
	free(buf);
	return rc;
}

static void test_defaults(void **state)
{
	struct cfg c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	cfg_defaults(&c);
	assert_string_equal(c.registry, "/var/lib/rjh/registry.db");
	assert_string_equal(c.runtime_dir, "/run/rjh");
	assert_int_equal(c.uid_min, 1900000000u);
	assert_int_equal(c.uid_max, 1900999999u);
	assert_string_equal(c.host_group, "rjh-hosts");
	assert_int_equal(c.host_gid, 1899999999u);
	assert_int_equal(c.rsa_min_bits, 3072);
	assert_int_equal(c.audit, CFG_AUDIT_BEST_EFFORT);
	assert_string_equal(c.public_name, "");
	assert_int_equal(c.max_sessions_per_host, 3);
	assert_int_equal(c.retention, 90 * 86400);
	assert_int_equal(c.runtime_size, 16u << 20);
	assert_int_equal(c.runtime_inodes, 1048576);
	assert_string_equal(c.source, "");
}

static void test_missing_file(void **state)
{
	struct rjh_diag d = {""};
	struct cfg c, def;
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/does-not-exist.conf", tmpdir);
	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(cfg_load(path, &c, &d), RJH_OK);
	cfg_defaults(&def);
	assert_memory_equal(&c, &def, sizeof(c));
	assert_string_equal(c.source, "");
}

static void test_every_key(void **state)
{
	struct rjh_diag d;
	struct cfg c;

	(void)state;
	assert_int_equal(parse("registry = /srv/rjh/reg.db\n"
			       "runtime_dir = /run/rjh2\n"
			       "uid_min = 2000000000\n"
			       "uid_max = 2000000099\n"
			       "host_group = tunnels\n"
			       "host_gid = 1999999999\n"
			       "rsa_min_bits = 4096\n"
			       "audit = required\n"
			       "public_name = Jump.Example.org\n"
			       "max_sessions_per_host = 5\n"
			       "retention = 13w\n"
			       "runtime_size = 64M\n"
			       "runtime_inodes = 200000\n",
			       &c, &d),
			 RJH_OK);
	assert_string_equal(d.msg, "");
	assert_string_equal(c.registry, "/srv/rjh/reg.db");
	assert_string_equal(c.runtime_dir, "/run/rjh2");
	assert_int_equal(c.uid_min, 2000000000u);
	assert_int_equal(c.uid_max, 2000000099u);
	assert_string_equal(c.host_group, "tunnels");
	assert_int_equal(c.host_gid, 1999999999u);
	assert_int_equal(c.rsa_min_bits, 4096);
	assert_int_equal(c.audit, CFG_AUDIT_REQUIRED);
	assert_string_equal(c.public_name, "Jump.Example.org");
	assert_int_equal(c.max_sessions_per_host, 5);
	assert_int_equal(c.retention, 13 * 604800);
	assert_int_equal(c.runtime_size, 64u << 20);
	assert_int_equal(c.runtime_inodes, 200000);
	/* cfg_parse does not know a file name; only cfg_load records one. */
	assert_string_equal(c.source, "");
}

static void test_audit_values(void **state)
{
	struct rjh_diag d;
	struct cfg c;

	(void)state;
	assert_int_equal(parse("audit = required\n", &c, &d), RJH_OK);
	assert_int_equal(c.audit, CFG_AUDIT_REQUIRED);
	assert_string_equal(cfg_audit_name(c.audit), "required");
	assert_int_equal(parse("audit = off\n", &c, &d), RJH_OK);
	assert_int_equal(c.audit, CFG_AUDIT_OFF);
	assert_string_equal(cfg_audit_name(c.audit), "off");
	assert_int_equal(parse("audit = best-effort\n", &c, &d), RJH_OK);
	assert_int_equal(c.audit, CFG_AUDIT_BEST_EFFORT);
	assert_string_equal(cfg_audit_name(c.audit), "best-effort");
	assert_int_equal(parse("audit = Required\n", &c, &d), RJH_ECONFIG);
	assert_int_equal(parse("audit = yes\n", &c, &d), RJH_ECONFIG);
	assert_int_equal(parse("audit =\n", &c, &d), RJH_ECONFIG);
}

static void test_comments_blank_crlf(void **state)
{
	struct rjh_diag d;
	struct cfg c;

	(void)state;
	assert_int_equal(parse("# rjh.conf\r\n"
			       "\r\n"
			       "   \t\r\n"
			       "  # indented comment = not a key\r\n"
			       "uid_min=2000000000\r\n"
			       "\tuid_max   =\t2000000010  \r\n"
			       "host_gid = 2100000000\r\n"
			       "audit = off",
			       &c, &d),
			 RJH_OK);
	assert_int_equal(c.uid_min, 2000000000u);
	assert_int_equal(c.uid_max, 2000000010u);
	assert_int_equal(c.host_gid, 2100000000u);
	assert_int_equal(c.audit, CFG_AUDIT_OFF);
	/* Nothing but comments: the defaults. */
	assert_int_equal(parse("# only\n#comments\n\n", &c, &d), RJH_OK);
	assert_int_equal(c.uid_min, 1900000000u);
	assert_int_equal(parse("", &c, &d), RJH_OK);
	assert_string_equal(c.registry, "/var/lib/rjh/registry.db");
}

/* Bounds that are accepted. */
static void test_limits_accepted(void **state)
{
	struct rjh_diag d;
	struct cfg c;

	(void)state;
	assert_int_equal(parse("uid_min = 3000000000\nuid_max = 3000000000\n", &c, &d), RJH_OK);
	assert_int_equal(c.uid_min, c.uid_max);
	assert_int_equal(parse("rsa_min_bits = 2048\n", &c, &d), RJH_OK);
	assert_int_equal(c.rsa_min_bits, 2048);
	assert_int_equal(parse("rsa_min_bits = 16384\n", &c, &d), RJH_OK);
	assert_int_equal(c.rsa_min_bits, 16384);
	assert_int_equal(parse("uid_min = 2000\nuid_max = 4294967294\nhost_gid = 1000\n", &c, &d),
			 RJH_OK);
	assert_int_equal(c.uid_max, 4294967294u);
	/* host_gid just outside the range on either side. */
	assert_int_equal(parse("uid_min = 2000\nuid_max = 3000\nhost_gid = 1999\n", &c, &d),
			 RJH_OK);
	assert_int_equal(parse("uid_min = 2000\nuid_max = 3000\nhost_gid = 3001\n", &c, &d),
			 RJH_OK);
	assert_int_equal(parse("host_group = _rjh.hosts-1\n", &c, &d), RJH_OK);
	assert_string_equal(c.host_group, "_rjh.hosts-1");
	assert_int_equal(parse("public_name = 192.0.2.10\n", &c, &d), RJH_OK);
	assert_string_equal(c.public_name, "192.0.2.10");
}

struct bad_case {
	const char *text;
	const char *prefix; /* the message starts with this */
	const char *needle; /* and contains this */
};

static const struct bad_case bad_cases[] = {
    {"bogus = 1\n", "test.conf:1: ", "bogus"},
    {"# c\n\nRegistry = /x\n", "test.conf:3: ", "Registry"},
    {"= /x\n", "test.conf:1: ", "unknown key"},
    {"# c\nregistry /var/lib/x\n", "test.conf:2: ", "key = value"},
    {"audit\n", "test.conf:1: ", "key = value"},
    {"audit = off\n# again\naudit = off\n", "test.conf:3: ", "duplicate"},
    {"uid_min = 2000000000\r\nuid_min = 2000000000\r\n", "test.conf:2: ", "duplicate"},
    {"uid_min = abc\n", "test.conf:1: ", "uid_min"},
    {"uid_min = -1\n", "test.conf:1: ", "uid_min"},
    {"uid_min = +2000000000\n", "test.conf:1: ", "uid_min"},
    {"uid_min = 0x77359400\n", "test.conf:1: ", "uid_min"},
    {"uid_min = 2000000000x\n", "test.conf:1: ", "uid_min"},
    {"uid_min = 2 000 000 000\n", "test.conf:1: ", "uid_min"},
    {"uid_min =\n", "test.conf:1: ", "uid_min"},
    {"uid_min = 0\n", "test.conf:1: ", "uid_min"},
    {"uid_min = 999\n", "test.conf:1: ", "uid_min"},
    {"uid_max = 4294967296\n", "test.conf:1: ", "uid_max"},
    {"uid_max = 99999999999999999999999\n", "test.conf:1: ", "uid_max"},
    {"uid_max = 4294967295\n", "test.conf:1: ", "uid_max"},
    {"host_gid = 65534\n", "test.conf:1: ", "host_gid"},
    {"host_gid = 0\n", "test.conf:1: ", "host_gid"},
    {"rsa_min_bits = 1024\n", "test.conf:1: ", "rsa_min_bits"},
    {"rsa_min_bits = 2047\n", "test.conf:1: ", "rsa_min_bits"},
    {"rsa_min_bits = 16385\n", "test.conf:1: ", "rsa_min_bits"},
    {"rsa_min_bits = 3072 bits\n", "test.conf:1: ", "rsa_min_bits"},
    {"registry = var/lib/rjh/registry.db\n", "test.conf:1: ", "registry"},
    {"registry = ./registry.db\n", "test.conf:1: ", "registry"},
    {"registry = /var/lib/../../etc/shadow\n", "test.conf:1: ", "registry"},
    {"registry = /var/lib/my registry.db\n", "test.conf:1: ", "registry"},
    {"registry =\n", "test.conf:1: ", "registry"},
    {"runtime_dir = run/rjh\n", "test.conf:1: ", "runtime_dir"},
    {"runtime_dir = /run/\x01rjh\n", "test.conf:1: ", "runtime_dir"},
    {"host_group = Hosts\n", "test.conf:1: ", "host_group"},
    {"host_group = -hosts\n", "test.conf:1: ", "host_group"},
    {"host_group = abcdefghijklmnopqrstuvwxyz0123456\n", "test.conf:1: ", "host_group"},
    {"audit = always\n", "test.conf:1: ", "audit"},
    {"public_name = -jump\n", "test.conf:1: ", "public_name"},
    {"public_name = jump_host.example\n", "test.conf:1: ", "public_name"},
    {"public_name = a b\n", "test.conf:1: ", "public_name"},
    {"public_name = jump=x\n", "test.conf:1: ", "public_name"},
    {"max_sessions_per_host = 0\n", "test.conf:1: ", "max_sessions_per_host"},
    {"max_sessions_per_host = 1001\n", "test.conf:1: ", "max_sessions_per_host"},
    {"max_sessions_per_host = many\n", "test.conf:1: ", "max_sessions_per_host"},
    {"retention = 90\n", "test.conf:1: ", "retention"},
    {"retention = 12h\n", "test.conf:1: ", "retention"},
    {"retention = 1y\n", "test.conf:1: ", "retention"},
    {"retention = -7d\n", "test.conf:1: ", "retention"},
    {"runtime_size = 512k\n", "test.conf:1: ", "runtime_size"},
    {"runtime_size = 2G\n", "test.conf:1: ", "runtime_size"},
    {"runtime_size = 16MB\n", "test.conf:1: ", "runtime_size"},
    {"runtime_inodes = 1023\n", "test.conf:1: ", "runtime_inodes"},
    {"runtime_inodes = 100000001\n", "test.conf:1: ", "runtime_inodes"},
    /* Checks across keys name the later of the lines involved. */
    {"uid_min = 2000000000\nuid_max = 1999999999\n", "test.conf:2: ", "uid_min"},
    {"uid_max = 1999999999\n\nuid_min = 2000000000\n", "test.conf:3: ", "uid_min"},
    {"uid_min = 1000\nuid_max = 2000\nhost_gid = 1500\n", "test.conf:3: ", "host_gid"},
    {"host_gid = 1000\nuid_min = 1000\nuid_max = 2000\n", "test.conf:3: ", "host_gid"},
    {"uid_min = 1000\nuid_max = 2000\nhost_gid = 2000\n", "test.conf:3: ", "host_gid"},
    /* The default host_gid lies below the default range; moving uid_min down covers it. */
    {"uid_min = 1000\n", "test.conf:1: ", "host_gid"},
};

static void test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		struct rjh_diag d;
		struct cfg c;
		int rc = parse(b->text, &c, &d);

		if (rc != RJH_ECONFIG)
			fail_msg("case %zu: cfg_parse returned %d, want RJH_ECONFIG", i, rc);
		if (strncmp(d.msg, b->prefix, strlen(b->prefix)) != 0 || !strstr(d.msg, b->needle))
			fail_msg("case %zu: message '%s' lacks '%s...%s'", i, d.msg, b->prefix,
				 b->needle);
	}
}

static void test_nul_byte(void **state)
{
	char buf[] = "audit = off\n\0uid_min = 5\n";
	struct rjh_diag d = {""};
	struct cfg c;

	(void)state;
	cfg_defaults(&c);
	assert_int_equal(cfg_parse("test.conf", buf, sizeof(buf) - 1, &c, &d), RJH_ECONFIG);
	assert_true(strstr(d.msg, "test.conf") != NULL);
}

/* A NULL diag is allowed. */
static void test_null_diag(void **state)
{
	char buf[] = "bogus = 1\n";
	struct cfg c;

	(void)state;
	cfg_defaults(&c);
	assert_int_equal(cfg_parse("test.conf", buf, sizeof(buf) - 1, &c, NULL), RJH_ECONFIG);
}

static void test_load_file(void **state)
{
	struct rjh_diag d = {""};
	char path[128];
	struct cfg c;

	(void)state;
	write_file("good.conf",
		   "# test\nregistry = /srv/r.db\naudit = off\npublic_name = jump.example\n", 0644,
		   0, path, sizeof(path));
	assert_int_equal(cfg_load(path, &c, &d), RJH_OK);
	assert_string_equal(c.registry, "/srv/r.db");
	assert_int_equal(c.audit, CFG_AUDIT_OFF);
	assert_string_equal(c.public_name, "jump.example");
	assert_string_equal(c.runtime_dir, "/run/rjh");
	assert_string_equal(c.source, path);
	/* Owner-only and group-readable modes are fine. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(cfg_load(path, &c, &d), RJH_OK);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(cfg_load(path, &c, &d), RJH_OK);
	assert_string_equal(c.source, path);
}

static void test_load_empty_file(void **state)
{
	struct rjh_diag d = {""};
	struct cfg c, def;
	char path[128];

	(void)state;
	write_file("empty.conf", "", 0644, 0, path, sizeof(path));
	assert_int_equal(cfg_load(path, &c, &d), RJH_OK);
	assert_string_equal(c.source, path);
	cfg_defaults(&def);
	assert_int_equal(c.uid_min, def.uid_min);
	assert_string_equal(c.registry, def.registry);
}

static void test_load_syntax_error(void **state)
{
	struct rjh_diag d = {""};
	char path[128], want[160];
	struct cfg c;

	(void)state;
	write_file("bad.conf", "audit = off\n\nrsa_min_bits = 1024\n", 0644, 0, path, sizeof(path));
	assert_int_equal(cfg_load(path, &c, &d), RJH_ECONFIG);
	snprintf(want, sizeof(want), "%s:3: ", path);
	assert_true(strncmp(d.msg, want, strlen(want)) == 0);
	assert_string_equal(c.source, "");
}

static void expect_untrusted(const char *name, mode_t mode, uid_t uid)
{
	struct rjh_diag d = {""};
	char path[128];
	struct cfg c;

	write_file(name, "audit = off\n", mode, uid, path, sizeof(path));
	assert_int_equal(cfg_load(path, &c, &d), RJH_ETRUST);
	assert_true(strstr(d.msg, path) != NULL);
	/* Nothing from the untrusted file was applied. */
	assert_int_equal(c.audit, CFG_AUDIT_BEST_EFFORT);
	assert_string_equal(c.source, "");
}

static void test_load_untrusted(void **state)
{
	(void)state;
	expect_untrusted("world.conf", 0666, 0);
	expect_untrusted("otherw.conf", 0602, 0);
	expect_untrusted("group.conf", 0620, 0);
	expect_untrusted("nobody.conf", 0644, 65534);
	expect_untrusted("nobody-ro.conf", 0400, 65534);
}

/*
 * A good file in a directory that is not root's alone, or reached through
 * one, is refused as the file itself would be; so is a link as the file.
 */
static void test_load_untrusted_dir(void **state)
{
	char dir[128], path[160], link[160];
	struct rjh_diag d = {""};
	struct cfg c;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/gw", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	write_file("gw/rjh.conf", "audit = off\n", 0644, 0, path, sizeof(path));
	assert_int_equal(cfg_load(path, &c, &d), RJH_OK);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(cfg_load(path, &c, &d), RJH_ETRUST);
	assert_non_null(strstr(d.msg, path));
	assert_non_null(strstr(d.msg, "directory"));
	assert_int_equal(c.audit, CFG_AUDIT_BEST_EFFORT);
	assert_string_equal(c.source, "");
	/* A missing file there is no default either: anyone could put one there next. */
	snprintf(link, sizeof(link), "%s/missing.conf", dir);
	assert_int_equal(cfg_load(link, &c, &d), RJH_ETRUST);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chown(dir, 65534, 0), 0);
	assert_int_equal(cfg_load(path, &c, &d), RJH_ETRUST);
	assert_non_null(strstr(d.msg, "65534"));
	assert_int_equal(chown(dir, 0, 0), 0);
	assert_int_equal(cfg_load(path, &c, &d), RJH_OK);

	snprintf(link, sizeof(link), "%s/link.conf", tmpdir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(cfg_load(link, &c, &d), RJH_ETRUST);
	assert_non_null(strstr(d.msg, "symbolic link"));
	assert_string_equal(c.source, "");
}

/* Not a regular file, or too big: refused, never read as defaults. */
static void test_load_not_config(void **state)
{
	char path[128], *big;
	struct rjh_diag d = {""};
	struct cfg c;

	(void)state;
	assert_int_equal(cfg_load(tmpdir, &c, &d), RJH_ECONFIG);
	big = malloc(70000);
	assert_non_null(big);
	memset(big, '#', 69999);
	big[69999] = '\0';
	write_file("big.conf", big, 0644, 0, path, sizeof(path));
	free(big);
	assert_int_equal(cfg_load(path, &c, &d), RJH_ECONFIG);
	assert_string_equal(c.source, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_every_key),
	    cmocka_unit_test(test_audit_values),
	    cmocka_unit_test(test_comments_blank_crlf),
	    cmocka_unit_test(test_limits_accepted),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_nul_byte),
	    cmocka_unit_test(test_null_diag),
	    cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_load_empty_file),
	    cmocka_unit_test(test_load_syntax_error),
	    cmocka_unit_test(test_load_untrusted),
	    cmocka_unit_test(test_load_untrusted_dir),
	    cmocka_unit_test(test_load_not_config),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
