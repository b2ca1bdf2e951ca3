#include "layout.h"

#include <stdbool.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

/* Removes the entry name in dirfd and everything under it, following no symlink. */
static int remove_tree_at(int dirfd, const char *name, int depth)
{
	struct dirent *e;
	DIR *dir;
	int fd, rc = 0;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if ((errno != EISDIR && errno != EPERM) || depth > 16)
		return -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -1;
	}
	while ((e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc |= remove_tree_at(fd, e->d_name, depth + 1);
	}
	closedir(dir);
	return rc < 0 || unlinkat(dirfd, name, AT_REMOVEDIR) < 0 ? -1 : 0;
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
