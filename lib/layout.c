#include "layout.h"

#include <stdbool.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "name.h"
#include "util.h"

static int fit(int n, size_t len)
{
	return n < 0 || (size_t)n >= len ? RJH_EINVAL : RJH_OK;
}

int layout_host_dir(const struct cfg *c, const char *name, char *buf, size_t len)
{
	return fit(snprintf(buf, len, "%s/hosts/%s", c->runtime_dir, name), len);
}

int layout_socket_path(const struct cfg *c, const char *name, char *buf, size_t len)
{
	return fit(snprintf(buf, len, "%s/hosts/%s%s", c->runtime_dir, name, LAYOUT_CHROOT_SOCKET),
		   len);
}

void layout_public_name(const struct cfg *c, char *buf, size_t len)
{
	if (c->public_name[0]) {
		snprintf(buf, len, "%s", c->public_name);
		return;
	}
	if (gethostname(buf, len) < 0 || !buf[0])
		snprintf(buf, len, "jumphost");
	buf[len - 1] = '\0';
}

int layout_tunnel_command(const struct cfg *c, const char *name, char *buf, size_t len)
{
	char pub[256];

	layout_public_name(c, pub, sizeof(pub));
	return layout_tunnel_command_to(pub, name, NULL, buf, len);
}

int layout_tunnel_command_to(const char *server, const char *name, const char *extra, char *buf,
			     size_t len)
{
	return fit(snprintf(buf, len,
			    "ssh -N -o ExitOnForwardFailure=yes -o ServerAliveInterval=30 "
			    "-o ServerAliveCountMax=3 %s%s-R %s:localhost:22 %s@%s",
			    extra ? extra : "", extra ? " " : "", LAYOUT_CHROOT_SOCKET, name,
			    server),
		   len);
}

/* Removes the entry name in parent and everything under it, following no symlink. */
static int remove_tree_at(int parent, const char *name, int depth)
{
	struct dirent *e;
	DIR *dir;
	int rc = 0;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if ((errno != EISDIR && errno != EPERM) || depth > 16)
		return -1;
	dir = util_opendir_at(parent, name);
	if (!dir)
		return -1;
	while ((e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc |= remove_tree_at(dirfd(dir), e->d_name, depth + 1);
	}
	closedir(dir);
	return rc < 0 || unlinkat(parent, name, AT_REMOVEDIR) < 0 ? -1 : 0;
}

/*
 * Opens directory name in dirfd, made if missing, with exactly uid, gid and
 * mode. Anything else found there (a symlink, a file) is removed first.
 */
static int ensure_dir_at(int dirfd, const char *name, uid_t uid, gid_t gid, mode_t mode,
			 struct rjh_diag *d)
{
	int fd, tries;

	for (tries = 0; tries < 3; tries++) {
		if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
			break;
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			/* On the descriptor: what we checked is what we change. */
			if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0) {
				close(fd);
				return diag_set(d, RJH_ESYS, "cannot set owner and mode of %s: %s",
						name, strerror(errno));
			}
			return fd;
		}
		if (errno != ELOOP && errno != ENOTDIR)
			break;
		/* A symlink or a file where a directory belongs: not ours to follow. */
		if (remove_tree_at(dirfd, name, 0) < 0)
			break;
	}
	return diag_set(d, RJH_ESYS, "cannot make directory %s: %s", name, strerror(errno));
}

/* Opens RUNTIME/hosts (made if missing) and returns its descriptor. */
static int open_hosts_dir(const struct cfg *c, bool create, struct rjh_diag *d)
{
	int rfd, hfd;

	rfd = open(c->runtime_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0 && errno == ENOENT && create) {
		int rc = util_mkdir_p(c->runtime_dir, 0755, d);

		if (rc < 0)
			return rc;
		rfd = open(c->runtime_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (rfd < 0)
		return diag_set(d, errno == ENOENT ? RJH_ENOENT : RJH_ESYS, "%s: %s",
				c->runtime_dir, strerror(errno));
	if (create) {
		if (fchown(rfd, 0, 0) < 0 || fchmod(rfd, 0755) < 0) {
			close(rfd);
			return diag_set(d, RJH_ESYS, "%s: %s", c->runtime_dir, strerror(errno));
		}
		hfd = ensure_dir_at(rfd, "hosts", 0, 0, 0755, d);
	} else {
		hfd = openat(rfd, "hosts", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (hfd < 0)
			hfd = diag_set(d, errno == ENOENT ? RJH_ENOENT : RJH_ESYS, "%s/hosts: %s",
				       c->runtime_dir, strerror(errno));
	}
	close(rfd);
	return hfd;
}

int layout_prepare_host(const struct cfg *c, const char *name, uid_t uid, gid_t gid,
			struct rjh_diag *d)
{
	int hfd, cfd, sfd;

	if (!name_is_host(name))
		return diag_set(d, RJH_EINVAL, "not a host name");
	hfd = open_hosts_dir(c, true, d);
	if (hfd < 0)
		return hfd;
	cfd = ensure_dir_at(hfd, name, 0, 0, 0755, d);
	close(hfd);
	if (cfd < 0)
		return cfd;
	sfd = ensure_dir_at(cfd, "sock", uid, gid, 0700, d);
	close(cfd);
	if (sfd < 0)
		return sfd;
	close(sfd);
	return RJH_OK;
}

int layout_prepare_tree(const struct cfg *c, struct rjh_diag *d)
{
	int hfd = open_hosts_dir(c, true, d);

	if (hfd < 0)
		return hfd;
	close(hfd);
	return RJH_OK;
}

int layout_open_hosts_dir(const struct cfg *c, struct rjh_diag *d)
{
	return open_hosts_dir(c, false, d);
}

int layout_open_sock_dir(const struct cfg *c, const char *name, struct rjh_diag *d)
{
	int hfd, cfd, sfd;

	if (!name_is_host(name))
		return diag_set(d, RJH_EINVAL, "not a host name");
	hfd = open_hosts_dir(c, false, d);
	if (hfd < 0)
		return hfd;
	cfd = openat(hfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	sfd = cfd < 0 ? -1 : openat(cfd, "sock", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		sfd = diag_set(d, errno == ENOENT ? RJH_ENOENT : RJH_ESYS, "%s/hosts/%s/sock: %s",
			       c->runtime_dir, name, strerror(errno));
	if (cfd >= 0)
		close(cfd);
	close(hfd);
	return sfd;
}

int layout_remove_host(const struct cfg *c, const char *name, struct rjh_diag *d)
{
	int hfd, rc;

	if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
		return diag_set(d, RJH_EINVAL, "not a directory entry name");
	hfd = open_hosts_dir(c, false, d);
	if (hfd == RJH_ENOENT)
		return RJH_OK;
	if (hfd < 0)
		return hfd;
	rc = remove_tree_at(hfd, name, 0);
	close(hfd);
	return rc < 0 ? diag_set(d, RJH_ESYS, "cannot remove %s/hosts/%s: %s", c->runtime_dir, name,
				 strerror(errno))
		      : RJH_OK;
}

int layout_remove_hosts_at(int runtime_fd, struct rjh_diag *d)
{
	return remove_tree_at(runtime_fd, "hosts", 0) < 0
		   ? diag_set(d, RJH_ESYS, "cannot remove hosts/: %s", strerror(errno))
		   : RJH_OK;
}

/* What openat(O_DIRECTORY | O_NOFOLLOW) says when there is no directory to look into. */
static bool no_dir(int err)
{
	return err == ENOENT || err == ELOOP || err == ENOTDIR;
}

/*
 * Removes every entry of the directory fd (which it closes) except the one
 * named keep and those keep_cb accepts, and adds how many it removed to
 * *removed. Goes on past a failure; returns 0, or the first errno.
 */
static int sweep_fd(int fd, const char *keep, layout_keep_fn *keep_cb, void *ctx, int *removed)
{
	struct dirent *e;
	struct stat st;
	DIR *dir = fdopendir(fd);
	int err = 0;

	if (!dir) {
		err = errno;
		close(fd);
		return err;
	}
	for (;;) {
		errno = 0;
		e = readdir(dir);
		if (!e) {
			err = err ? err : errno;
			break;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, keep))
			continue;
		if (keep_cb && fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    keep_cb(&st, ctx))
			continue;
		if (remove_tree_at(fd, e->d_name, 0) == 0)
			(*removed)++;
		else if (!err)
			err = errno;
	}
	closedir(dir);
	return err;
}

int layout_sweep_host_if(const struct cfg *c, const char *name, layout_keep_fn *keep, void *ctx,
			 struct rjh_diag *d)
{
	int hfd, fd, sfd, rc, err = 0, removed = 0;

	if (!name_is_host(name))
		return diag_set(d, RJH_EINVAL, "not a host name");
	hfd = open_hosts_dir(c, false, d);
	if (hfd == RJH_ENOENT)
		return 0;
	if (hfd < 0)
		return hfd;
	fd = openat(hfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		err = no_dir(errno) ? 0 : errno;
	close(hfd);
	if (fd < 0)
		return err ? diag_set(d, RJH_ESYS, "%s/hosts/%s: %s", c->runtime_dir, name,
				      strerror(err))
			   : 0;
	/* A sock that is not a directory stays: layout_prepare_host replaces it. */
	sfd = openat(fd, "sock", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0 && !no_dir(errno))
		err = errno;
	rc = sweep_fd(fd, "sock", keep, ctx, &removed);
	err = err ? err : rc;
	if (sfd >= 0) {
		rc = sweep_fd(sfd, LAYOUT_SOCKET_NAME, keep, ctx, &removed);
		err = err ? err : rc;
	}
	if (err)
		return diag_set(d, RJH_ESYS, "cannot sweep %s/hosts/%s: %s", c->runtime_dir, name,
				strerror(err));
	return removed;
}

int layout_sweep_host(const struct cfg *c, const char *name, struct rjh_diag *d)
{
	return layout_sweep_host_if(c, name, NULL, NULL, d);
}

/* tmpfs's BOGO_DIRENT_SIZE: a directory's st_size is this times its entries plus 2. */
#define LAYOUT_TMPFS_DIRENT 20

/*
 * The entries of directory path below hosts_fd (st: its lstat), not counting
 * . and ..: from st_size when tmpfs says so, else read. Returns -1 on failure.
 */
static int dir_entries(int hosts_fd, const char *path, const struct stat *st, bool tmpfs)
{
	struct dirent *e;
	DIR *dir;
	int n = 0;

	if (tmpfs && st->st_size >= 2 * LAYOUT_TMPFS_DIRENT &&
	    st->st_size % LAYOUT_TMPFS_DIRENT == 0 && st->st_size / LAYOUT_TMPFS_DIRENT < INT_MAX)
		return (int)(st->st_size / LAYOUT_TMPFS_DIRENT) - 2;
	dir = util_opendir_at(hosts_fd, path);
	if (!dir)
		return -1;
	while ((e = readdir(dir)) != NULL)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(dir);
	return n;
}

/* 1 when path below hosts_fd exists (a symlink counts), 0 when not, -1 on failure. */
static int exists_at(int hosts_fd, const char *path)
{
	struct stat st;

	if (fstatat(hosts_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

int layout_fs_of(int hosts_fd, struct layout_fs *out)
{
	struct statfs sf;
	struct stat st;

	if (fstatfs(hosts_fd, &sf) < 0 || fstat(hosts_fd, &st) < 0)
		return RJH_ESYS;
	out->dev = st.st_dev;
	out->tmpfs = sf.f_type == TMPFS_MAGIC;
	return RJH_OK;
}

int layout_unexpected(int hosts_fd, const struct layout_fs *fs, const char *name, bool has_socket)
{
	char path[64];
	struct stat ns, ss;
	int n, m, has;

	if (!name_is_host(name))
		return RJH_EINVAL;
	if (fstatat(hosts_fd, name, &ns, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : RJH_ESYS;
	if (!S_ISDIR(ns.st_mode))
		return 0;
	n = dir_entries(hosts_fd, name, &ns, fs->tmpfs && ns.st_dev == fs->dev);
	snprintf(path, sizeof(path), "%s/sock", name);
	if (n < 0 || fstatat(hosts_fd, path, &ss, AT_SYMLINK_NOFOLLOW) < 0) {
		if (n < 0 || errno != ENOENT)
			return RJH_ESYS;
		return n; /* no sock: everything there is unexpected */
	}
	n = n > 0 ? n - 1 : 0; /* sock itself */
	if (!S_ISDIR(ss.st_mode))
		return n;
	m = dir_entries(hosts_fd, path, &ss, fs->tmpfs && ss.st_dev == fs->dev);
	if (m < 0)
		return RJH_ESYS;
	has = has_socket;
	if (m > 0 && !has) {
		snprintf(path, sizeof(path), "%s/sock/%s", name, LAYOUT_SOCKET_NAME);
		has = exists_at(hosts_fd, path);
		if (has < 0)
			return RJH_ESYS;
	}
	return n + (m > has ? m - has : 0);
}

int layout_hosts_each(const struct cfg *c, int (*cb)(const char *name, void *ctx), void *ctx,
		      struct rjh_diag *d)
{
	struct dirent *e;
	DIR *dir;
	int hfd, rc = 0;

	hfd = open_hosts_dir(c, false, d);
	if (hfd < 0)
		return hfd;
	dir = fdopendir(hfd);
	if (!dir) {
		close(hfd);
		return diag_set(d, RJH_ESYS, "%s/hosts: %s", c->runtime_dir, strerror(errno));
	}
	while (rc == 0 && (e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = cb(e->d_name, ctx);
	}
	closedir(dir);
	return rc;
}
