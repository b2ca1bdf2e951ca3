/*
 * Unit tests for lib/layout.c's sweep: what a host leaves in its directories
 * (sockets of extra forwards, and whatever else is found there) is removed,
 * its sock/ and ssh.sock are kept, and no symlink is followed. Each test runs
 * on /tmp and on /dev/shm: layout_unexpected reads directories on the one and
 * takes tmpfs's directory sizes on the other (when it is a tmpfs), and must
 * give the same counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cfg.h"
#include "layout.h"
#include "tmpdir.h"

/* A test's base directory: tmpdir (/tmp) or one on /dev/shm. */
static char shmdir[64];
static struct cfg conf;

static const char *base_of(void **state)
{
	return *state;
}

static int setup(void **state)
{
	struct statfs sf;

	(void)state;
	if (tmpdir_make("layout") < 0)
		return -1;
	snprintf(shmdir, sizeof(shmdir), "/dev/shm/rjh-test-layout-XXXXXX");
	if (statfs("/dev/shm", &sf) < 0 || sf.f_type != TMPFS_MAGIC || !mkdtemp(shmdir)) {
		print_message("note: no tmpfs at /dev/shm; its half of the tests runs on /tmp\n");
		if ((size_t)snprintf(shmdir, sizeof(shmdir), "%s/shm", tmpdir) >= sizeof(shmdir))
			return -1;
		return mkdir(shmdir, 0700);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (strncmp(shmdir, "/dev/shm/", 9) == 0)
		nftw(shmdir, tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tmpdir_remove();
}

/* buf = dir/name, which must fit. */
static void at(char *buf, size_t len, const char *dir, const char *name)
{
	assert_true((size_t)snprintf(buf, len, "%s/%s", dir, name) < len);
}

/* Fresh RUNTIME (base/NAME/run) and an outside directory base/NAME/outside for link targets. */
static void fresh(const char *base, const char *test, char *out, size_t len)
{
	char path[128];

	at(path, sizeof(path), base, test);
	assert_int_equal(mkdir(path, 0755), 0);
	cfg_defaults(&conf);
	at(conf.runtime_dir, sizeof(conf.runtime_dir), path, "run");
	at(out, len, path, "outside");
	assert_int_equal(mkdir(out, 0755), 0);
}

static void make_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	int fd;

	at(path, sizeof(path), dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A socket file as sshd leaves it: bound, then the socket closed. */
static void make_sock(const char *dir, const char *name)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	at(a.sun_path, sizeof(a.sun_path), dir, name);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
}

static void make_dir(const char *dir, const char *name)
{
	char path[512];

	at(path, sizeof(path), dir, name);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void make_link(const char *dir, const char *name, const char *target)
{
	char path[512];

	at(path, sizeof(path), dir, name);
	assert_int_equal(symlink(target, path), 0);
}

/* The names in dir, sorted, space-separated, into buf. */
static const char *names(const char *dir, char *buf, size_t len)
{
	struct dirent **v;
	int i, n = scandir(dir, &v, NULL, alphasort);

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (strcmp(v[i]->d_name, ".") && strcmp(v[i]->d_name, ".."))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " " : "",
				 v[i]->d_name);
		free(v[i]);
	}
	free(n >= 0 ? v : NULL);
	return n < 0 ? "(missing)" : buf;
}

static int unexpected(const char *name)
{
	int hfd = layout_open_hosts_dir(&conf, NULL), n;
	struct layout_fs fs;

	assert_true(hfd >= 0);
	assert_int_equal(layout_fs_of(hfd, &fs), 0);
	n = layout_unexpected(hfd, &fs, name, false);
	close(hfd);
	return n;
}

static void text_is(const char *dir, const char *name, const char *want)
{
	char path[512], got[64] = "";
	int fd;

	at(path, sizeof(path), dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(read(fd, got, sizeof(got) - 1) >= 0);
	close(fd);
	assert_string_equal(got, want);
}

/* Everything but sock and ssh.sock goes, nested directories too; link targets stay. */
static void test_sweep_removes_all_but_layout(void **state)
{
	char out[256], host[320], sock[330], nest[400], buf[512];
	struct rjh_diag d = {""};
	struct stat before, after;

	fresh(base_of(state), "all", out, sizeof(out));
	make_file(out, "file", "keep");
	make_dir(out, "dir");
	make_file(out, "dir/file2", "keep too");
	assert_int_equal(layout_prepare_host(&conf, "host-1", getuid(), getgid(), &d), 0);
	snprintf(host, sizeof(host), "%s/hosts/host-1", conf.runtime_dir);
	snprintf(sock, sizeof(sock), "%s/sock", host);
	assert_int_equal(unexpected("host-1"), 0);

	make_sock(sock, "ssh.sock");
	make_sock(sock, "x1.sock");
	make_sock(sock, "x2.sock");
	make_file(sock, "plain", "");
	at(buf, sizeof(buf), sock, "fifo");
	assert_int_equal(mkfifo(buf, 0600), 0);
	snprintf(buf, sizeof(buf), "%s/file", out);
	make_link(sock, "evil.sock", buf);
	make_link(sock, "evil-dir", out);
	make_dir(sock, "n1");
	snprintf(nest, sizeof(nest), "%s/n1", sock);
	make_dir(nest, "n2");
	make_dir(nest, "n2/n3");
	make_file(nest, "n2/n3/f", "");
	make_link(nest, "n2/back", out);
	make_dir(host, "junk");
	make_dir(host, "junk/deeper");
	make_link(host, "link", out);
	make_file(host, "stray", "");
	snprintf(buf, sizeof(buf), "%s/ssh.sock", sock);
	assert_int_equal(lstat(buf, &before), 0);
	assert_int_equal(unexpected("host-1"), 10);

	assert_int_equal(layout_sweep_host(&conf, "host-1", &d), 10);
	assert_string_equal(names(host, buf, sizeof(buf)), "sock");
	assert_string_equal(names(sock, buf, sizeof(buf)), "ssh.sock");
	snprintf(buf, sizeof(buf), "%s/ssh.sock", sock);
	assert_int_equal(lstat(buf, &after), 0);
	assert_true(S_ISSOCK(after.st_mode) && after.st_ino == before.st_ino);
	assert_string_equal(names(out, buf, sizeof(buf)), "dir file");
	text_is(out, "file", "keep");
	text_is(out, "dir/file2", "keep too");
	assert_int_equal(unexpected("host-1"), 0);
	assert_int_equal(layout_sweep_host(&conf, "host-1", &d), 0);
}

/* Nothing to sweep is 0: no runtime tree, no host directory. A bad name is refused. */
static void test_sweep_nothing(void **state)
{
	char out[256], path[512];
	struct rjh_diag d = {""};

	fresh(base_of(state), "nothing", out, sizeof(out));
	assert_int_equal(layout_sweep_host(&conf, "host-1", &d), 0);
	assert_int_equal(layout_prepare_host(&conf, "host-1", getuid(), getgid(), &d), 0);
	assert_int_equal(layout_sweep_host(&conf, "host-2", &d), 0);
	assert_int_equal(unexpected("host-2"), 0);
	assert_int_equal(layout_sweep_host(&conf, "../x", &d), RJH_EINVAL);
	assert_int_equal(unexpected("../x"), RJH_EINVAL);
	/* A host directory without sock/: everything in it is unexpected. */
	snprintf(path, sizeof(path), "%s/hosts/host-1/sock", conf.runtime_dir);
	assert_int_equal(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s/hosts/host-1", conf.runtime_dir);
	make_file(path, "a", "");
	make_sock(path, "b.sock");
	assert_int_equal(unexpected("host-1"), 2);
	assert_int_equal(layout_sweep_host(&conf, "host-1", &d), 2);
	assert_string_equal(names(path, out, sizeof(out)), "");
}

/* A symlink at NAME or at NAME/sock is not followed: what it points to stays whole. */
static void test_sweep_follows_no_symlink(void **state)
{
	char out[256], hosts[320], host[340], buf[512];
	struct rjh_diag d = {""};

	fresh(base_of(state), "links", out, sizeof(out));
	make_file(out, "file", "keep");
	make_sock(out, "x.sock");
	make_dir(out, "sock");
	make_file(out, "sock/inner", "keep");
	assert_int_equal(layout_prepare_host(&conf, "host-1", getuid(), getgid(), &d), 0);
	snprintf(hosts, sizeof(hosts), "%s/hosts", conf.runtime_dir);
	make_link(hosts, "host-3", out);
	assert_int_equal(unexpected("host-3"), 0);
	assert_int_equal(layout_sweep_host(&conf, "host-3", &d), 0);
	assert_string_equal(names(out, buf, sizeof(buf)), "file sock x.sock");

	/* sock itself a symlink: kept (layout_prepare_host replaces it), not entered. */
	make_dir(hosts, "host-4");
	snprintf(host, sizeof(host), "%s/host-4", hosts);
	snprintf(buf, sizeof(buf), "%s/sock", out);
	make_link(host, "sock", buf);
	make_file(host, "extra", "");
	assert_int_equal(unexpected("host-4"), 1);
	assert_int_equal(layout_sweep_host(&conf, "host-4", &d), 1);
	assert_string_equal(names(host, buf, sizeof(buf)), "sock");
	text_is(out, "sock/inner", "keep");
	text_is(out, "file", "keep");
}

static bool keep_ino(const struct stat *st, void *ctx)
{
	return st->st_ino == *(ino_t *)ctx;
}

/* layout_sweep_host_if keeps what its callback says, and judges by lstat. */
static void test_sweep_if_keeps(void **state)
{
	char out[256], sock[340], buf[512];
	struct rjh_diag d = {""};
	struct stat st;

	fresh(base_of(state), "keep", out, sizeof(out));
	assert_int_equal(layout_prepare_host(&conf, "host-1", getuid(), getgid(), &d), 0);
	snprintf(sock, sizeof(sock), "%s/hosts/host-1/sock", conf.runtime_dir);
	make_sock(sock, "live.sock");
	make_sock(sock, "dead.sock");
	make_link(sock, "live-link", "live.sock");
	snprintf(buf, sizeof(buf), "%s/live.sock", sock);
	assert_int_equal(lstat(buf, &st), 0);
	assert_int_equal(unexpected("host-1"), 3);
	assert_int_equal(layout_sweep_host_if(&conf, "host-1", keep_ino, &st.st_ino, &d), 2);
	assert_string_equal(names(sock, buf, sizeof(buf)), "live.sock");
	assert_int_equal(unexpected("host-1"), 1);
}

/* layout_remove_hosts_at takes hosts/ away whole, following no symlink in it. */
static void test_remove_hosts_at(void **state)
{
	char out[256], buf[512];
	struct rjh_diag d = {""};
	int rfd;

	fresh(base_of(state), "hosts", out, sizeof(out));
	make_file(out, "file", "keep");
	assert_int_equal(layout_prepare_host(&conf, "host-1", getuid(), getgid(), &d), 0);
	snprintf(buf, sizeof(buf), "%s/hosts/host-1/sock", conf.runtime_dir);
	make_sock(buf, "ssh.sock");
	make_link(buf, "out", out);
	rfd = open(conf.runtime_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rfd >= 0);
	assert_int_equal(layout_remove_hosts_at(rfd, &d), 0);
	assert_int_equal(layout_remove_hosts_at(rfd, &d), 0);
	close(rfd);
	assert_string_equal(names(conf.runtime_dir, buf, sizeof(buf)), "");
	text_is(out, "file", "keep");
}

/* Each test on /tmp and on the tmpfs, named for where it ran. */
#define ON_BOTH(f)                                                                                 \
	{#f " on /tmp", f, NULL, NULL, tmp},                                                       \
	{                                                                                          \
#f " on tmpfs", f, NULL, NULL, shm                                                 \
	}

int main(void)
{
	static char *const tmp = tmpdir, *const shm = shmdir;
	const struct CMUnitTest tests[] = {
	    ON_BOTH(test_sweep_removes_all_but_layout),
	    ON_BOTH(test_sweep_nothing),
	    ON_BOTH(test_sweep_follows_no_symlink),
	    ON_BOTH(test_sweep_if_keeps),
	    ON_BOTH(test_remove_hosts_at),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
