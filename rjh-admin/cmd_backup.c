/*
 * rjh-admin backup FILE: a consistent copy of the live registry, made with
 * SQLite's online backup API while hosts log in (reg_backup), into a
 * temporary file beside FILE that is checked, fsync'd and only then renamed
 * to FILE. FILE is never overwritten and never half written. Each backup
 * is recorded in the registry's backups table (sql/007-backups.sql).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "util.h"

/* The temporary copy, removed by on_signal if the command is stopped. */
static char tmp_path[PATH_MAX];
static volatile sig_atomic_t tmp_live;

static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};

static void on_signal(int sig)
{
	if (tmp_live)
		unlink(tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_signals(bool on)
{
	struct sigaction sa = {.sa_handler = on ? on_signal : SIG_DFL};
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaction(stop_signals[i], &sa, NULL);
}

/* FILE made absolute (for the record), and its directory. */
static int resolve(struct admin *a, const char *file, char abs[PATH_MAX], char dir[PATH_MAX])
{
	char cwd[PATH_MAX], *slash;
	int n;

	if (file[0] == '/')
		n = snprintf(abs, PATH_MAX, "%s", file);
	else if (getcwd(cwd, sizeof(cwd)))
		n = snprintf(abs, PATH_MAX, "%s/%s", strcmp(cwd, "/") ? cwd : "", file);
	else
		return admin_fail(a, RJH_ESYS, "cannot tell the current directory: %s",
				  strerror(errno));
	if (n < 0 || n >= PATH_MAX - 32)
		return admin_fail(a, RJH_EINVAL, "%s: path too long", file);
	slash = strrchr(abs, '/');
	if (!slash[1] || !strcmp(slash + 1, ".") || !strcmp(slash + 1, ".."))
		return admin_fail(a, RJH_EINVAL, "%s: not a file name", file);
	snprintf(dir, PATH_MAX, "%.*s", slash == abs ? 1 : (int)(slash - abs), abs);
	return EXIT_OK;
}

/*
 * Refuses what cannot be a new backup file: FILE exists, its directory is
 * missing, or is not root's alone (a backup holds every key and grant).
 */
static int check_target(struct admin *a, const char *file, const char *dir)
{
	struct rjh_diag d = {""};
	struct stat st;
	int rc;

	if (lstat(file, &st) == 0)
		return admin_fail(a, RJH_EEXIST,
				  "%s exists; refusing to overwrite it (remove it first, or give "
				  "a new name)",
				  file);
	if (errno != ENOENT)
		return admin_fail(a, errno == ENOTDIR ? RJH_ENOENT : RJH_ESYS, "%s: %s", file,
				  strerror(errno));
	rc = util_db_dirs_trusted(file, &d);
	if (rc == RJH_ENOENT)
		return admin_fail(a, rc, "%s: the directory %s does not exist", file, dir);
	return rc < 0 ? admin_fail_diag(a, rc, &d) : EXIT_OK;
}

/* An empty 0600 file beside abs, its name in tmp_path; closed (SQLite opens it by name). */
static int make_tmp(struct admin *a, const char *abs, const char *dir)
{
	int fd, n;

	n = snprintf(tmp_path, sizeof(tmp_path), "%s/.%s.rjh-backup-XXXXXX",
		     strcmp(dir, "/") ? dir : "", strrchr(abs, '/') + 1);
	if (n < 0 || (size_t)n >= sizeof(tmp_path))
		return admin_fail(a, RJH_EINVAL, "%s: path too long", abs);
	catch_signals(true);
	fd = mkostemp(tmp_path, O_CLOEXEC);
	if (fd < 0)
		return admin_fail(a, RJH_ESYS, "cannot create a file in %s: %s", dir,
				  strerror(errno));
	tmp_live = 1;
	if (fchmod(fd, 0600) < 0) {
		close(fd);
		return admin_fail(a, RJH_ESYS, "%s: %s", tmp_path, strerror(errno));
	}
	close(fd);
	return EXIT_OK;
}

/* fsync of path (a file, or a directory with O_DIRECTORY); sets *size_out if asked. */
static int sync_path(struct admin *a, const char *path, int flags, int64_t *size_out)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | flags), rc = EXIT_OK;
	struct stat st;

	if (fd < 0)
		return admin_fail(a, RJH_ESYS, "%s: %s", path, strerror(errno));
	if (fsync(fd) < 0 || (size_out && fstat(fd, &st) < 0))
		rc = admin_fail(a, RJH_ESYS, "%s: %s", path, strerror(errno));
	else if (size_out)
		*size_out = (int64_t)st.st_size;
	close(fd);
	return rc;
}

/* Moves the copy to FILE, unless FILE appeared meanwhile. */
static int put_in_place(struct admin *a, const char *file)
{
	if (renameat2(AT_FDCWD, tmp_path, AT_FDCWD, file, RENAME_NOREPLACE) == 0)
		return EXIT_OK;
	/* A file system without RENAME_NOREPLACE: a hard link fails as surely on EEXIST. */
	if (errno == EINVAL && link(tmp_path, file) == 0) {
		unlink(tmp_path);
		return EXIT_OK;
	}
	if (errno == EEXIST)
		return admin_fail(a, RJH_EEXIST,
				  "%s appeared while the backup ran; refusing to overwrite it",
				  file);
	return admin_fail(a, RJH_ESYS, "cannot rename the copy to %s: %s", file, strerror(errno));
}

/* The copy, from the registry to FILE's directory, checked and in place. */
static int copy(struct admin *a, const char *file, const char *abs, const char *dir,
		struct reg_backup_info *info, int64_t *bytes)
{
	struct rjh_diag d = {""};
	struct reg *r;
	int rc, err;

	rc = admin_open_ro(a, &r);
	if (rc)
		return rc;
	rc = make_tmp(a, abs, dir);
	if (rc == EXIT_OK && (err = reg_backup(r, tmp_path, info, &d)) < 0)
		rc = admin_fail_diag(a, err, &d);
	reg_close(r);
	if (rc == EXIT_OK)
		rc = sync_path(a, tmp_path, 0, bytes);
	if (rc == EXIT_OK)
		rc = put_in_place(a, file);
	if (rc == EXIT_OK) {
		tmp_live = 0;
		rc = sync_path(a, dir, O_DIRECTORY, NULL);
	}
	if (tmp_live) {
		tmp_live = 0;
		unlink(tmp_path);
	}
	catch_signals(false);
	return rc;
}

static int cmd_backup(struct admin *a, int argc, char **argv)
{
	char abs[PATH_MAX], dir[PATH_MAX], detail[PATH_MAX + 160], safe[PATH_MAX];
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-backup", .success = true};
	struct reg_backup_info info;
	const char *file;
	int64_t bytes = 0;
	struct rjh_diag d = {""};
	struct reg *r;
	int rc, err, first;

	rc = admin_args(a, argc, argv, (const struct admin_opt[]){{0}}, 1, 1, &first);
	if (rc >= 0)
		return rc;
	if (admin_store_is_pg(a))
		return admin_fail(
		    a, RJH_EINVAL,
		    "the registry is in PostgreSQL (store = postgresql): back it up "
		    "with PostgreSQL's tools (pg_dump, pg_basebackup, your provider's "
		    "backups); a jumphost's cache needs none");
	file = argv[first];
	if (!strcmp(file, "-"))
		return admin_fail(a, RJH_EINVAL,
				  "'-': a backup is written to a file only, so that it can be "
				  "checked before it is in place");
	/* Before anything is made: only root may read the registry (it holds every key). */
	if (geteuid() != 0)
		return admin_fail(a, RJH_ESYS, "must run as root: the registry is root's alone");
	rc = resolve(a, file, abs, dir);
	if (rc == EXIT_OK)
		rc = check_target(a, abs, dir);
	if (rc == EXIT_OK)
		rc = copy(a, file, abs, dir, &info, &bytes);
	if (rc)
		return rc;
	util_safe(abs, safe, sizeof(safe));
	snprintf(detail, sizeof(detail),
		 "path=\"%s\" bytes=%lld schema=%d hosts=%lld keys=%lld sessions=%lld events=%lld",
		 safe, (long long)bytes, info.schema, (long long)info.hosts, (long long)info.keys,
		 (long long)info.sessions, (long long)info.events);
	rec.detail = detail;
	rc = admin_change_begin(a, &r);
	if (rc == EXIT_OK &&
	    (err = reg_backup_add(r, (int64_t)time(NULL), abs, bytes, &info, &d)) < 0)
		rc = admin_change_abort(a, r, admin_fail_diag(a, err, &d));
	else if (rc == EXIT_OK)
		rc = admin_change_finish(a, r, &rec);
	if (rc)
		return admin_fail(
		    a, RJH_ESYS,
		    "%s is a complete, checked backup, but it was not recorded in the "
		    "registry",
		    abs);
	printf("backup %s: schema %d, %lld hosts, %lld keys, %lld sessions, %lld events, %lld "
	       "bytes\n",
	       abs, info.schema, (long long)info.hosts, (long long)info.keys,
	       (long long)info.sessions, (long long)info.events, (long long)bytes);
	return EXIT_OK;
}

const struct admin_cmd admin_cmd_backup = {
    "backup",
    cmd_backup,
    "FILE",
    "Copy the live registry to a new file, checked",
    "Copies the registry while hosts log in, with SQLite's online backup API:\n"
    "256 pages at a time, the registry unlocked in between, so logins commit\n"
    "meanwhile. Each commit between two steps starts the copy over; after 8\n"
    "the rest is copied in one step, and logins wait for that one copy.\n\n"
    "The copy is made in a temporary file beside FILE (mode 0600, root's: it\n"
    "holds every key), checked with PRAGMA integrity_check, fsync'd, and then\n"
    "renamed to FILE. FILE must not exist: it is never overwritten (there is no\n"
    "--force; remove it first, or date the names). '-' (standard output) is\n"
    "refused. FILE's directory must be root's alone, as the registry's is.\n"
    "A failure (disk full, a missing or unwritable directory, a signal) leaves\n"
    "no FILE and no temporary file. Root only.\n\n"
    "Prints one line: FILE, the schema, and the hosts, keys, sessions and\n"
    "events the copy holds. Records it in the registry's backups table, and\n"
    "USER_MGMT op=rjh-backup with the same.\n"
    "Restore: see RESTORE in rjh-admin(8).\n",
    ADMIN_POLICY_NONE};
