#include "presence.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "layout.h"
#include "name.h"
#include "util.h"

#define PRES_TCP_LISTEN 10 /* the kernel's TCP_LISTEN, which Unix sockets share */
#define PRES_DUMP_BUF   32768

static int file_cmp(const void *a, const void *b)
{
	const struct pres_file *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/*
 * Appends the bound file of one unix_diag message, if it reports one. NB. h
 * and a are not const: the kernel's NLMSG_* and RTA_* macros cast them to
 * char *, which -Wcast-qual (clang) rejects on a const pointer.
 */
static int add_listener(struct pres_listeners *l, size_t *cap, struct nlmsghdr *h)
{
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	struct rtattr *a = (struct rtattr *)(void *)((char *)h + NLMSG_LENGTH(sizeof(*m)));
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		const struct unix_diag_vfs *v = RTA_DATA(a);

		if (a->rta_type != UNIX_DIAG_VFS || RTA_PAYLOAD(a) < sizeof(*v))
			continue;
		if (util_grow(&l->v, cap, l->n + 1, sizeof(*l->v), 256) < 0)
			return -1;
		/* The kernel's dev_t encoding is MAJOR << 20 | MINOR. */
		l->v[l->n].dev = makedev(v->udiag_vfs_dev >> 20, v->udiag_vfs_dev & 0xfffff);
		l->v[l->n].ino = v->udiag_vfs_ino;
		l->n++;
	}
	return 0;
}

/* Reads the dump replies on fd until NLMSG_DONE. */
static int read_dump(int fd, struct pres_listeners *l, char *buf, size_t len, struct rjh_diag *d)
{
	size_t cap = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);
		struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf;
		int left = (int)n;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return diag_set(d, RJH_ESYS, "socket diagnostics: %s",
					n < 0 ? strerror(errno) : "no reply");
		for (; NLMSG_OK(h, (unsigned)left); h = NLMSG_NEXT(h, left)) {
			/* A dump cut short says so in DONE's payload: never take it as whole. */
			if (h->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
					memcpy(&err, NLMSG_DATA(h), sizeof(err));
				return err < 0 ? diag_set(d, RJH_ESYS, "socket diagnostics: %s",
							  strerror(-err))
					       : RJH_OK;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return diag_set(d, RJH_ESYS, "socket diagnostics: %s",
						h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e))
						    ? strerror(-e->error)
						    : "truncated error");
			}
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY && add_listener(l, &cap, h) < 0)
				return diag_set(d, RJH_ENOMEM, "out of memory");
		}
	}
}

int pres_listeners_load(struct pres_listeners *out, struct rjh_diag *d)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} q = {
	    .nlh = {.nlmsg_len = sizeof(q),
		    .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		    .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
	    .req = {.sdiag_family = AF_UNIX,
		    .udiag_states = 1u << PRES_TCP_LISTEN,
		    .udiag_show = UDIAG_SHOW_VFS},
	};
	char *buf = NULL; /* malloc: suitably aligned for nlmsghdr; no static state in a module */
	int fd, rc;

	out->v = NULL;
	out->n = 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return diag_set(d, RJH_ESYS, "socket diagnostics: %s", strerror(errno));
	if (send(fd, &q, sizeof(q), 0) != (ssize_t)sizeof(q))
		rc = diag_set(d, RJH_ESYS, "socket diagnostics: %s", strerror(errno));
	else if (!(buf = malloc(PRES_DUMP_BUF)))
		rc = diag_set(d, RJH_ENOMEM, "out of memory");
	else
		rc = read_dump(fd, out, buf, PRES_DUMP_BUF, d);
	free(buf);
	close(fd);
	if (rc < 0) {
		pres_listeners_free(out);
		return rc;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), file_cmp);
	return RJH_OK;
}

void pres_listeners_free(struct pres_listeners *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool pres_listened(const struct pres_listeners *l, const struct stat *st)
{
	/* unix_diag reports 32 bits of the inode number. */
	struct pres_file key = {.dev = st->st_dev, .ino = (uint32_t)st->st_ino};

	return l->n && bsearch(&key, l->v, l->n, sizeof(key), file_cmp) != NULL;
}

/* Listening sockets in the directory fd (which it closes); -1 if it cannot be read. */
static int listening_in_dir(int fd, const struct pres_listeners *l)
{
	struct dirent *e;
	struct stat st;
	DIR *dir = fdopendir(fd);
	int n = 0;

	if (!dir) {
		close(fd);
		return -1;
	}
	for (errno = 0; (e = readdir(dir)) != NULL; errno = 0) {
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode) &&
		    pres_listened(l, &st))
			n++;
	}
	if (errno)
		n = -1;
	closedir(dir);
	return n;
}

int pres_listening_in_tree(int hosts_fd, const struct pres_listeners *l, struct rjh_diag *d)
{
	struct dirent *e;
	DIR *dir;
	int fd, cfd, sfd, n, err, total = 0;

	dir = util_opendir_at(hosts_fd, ".");
	if (!dir)
		return diag_set(d, RJH_ESYS, "hosts/: %s", strerror(errno));
	fd = dirfd(dir);
	while ((e = readdir(dir)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		cfd = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		sfd = cfd < 0
			  ? -1
			  : openat(cfd, "sock", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		err = errno;
		if (cfd >= 0)
			close(cfd);
		/* No directory there (gone, a symlink, a file): nothing can listen in it. */
		if (sfd < 0 && (err == ENOENT || err == ELOOP || err == ENOTDIR))
			continue;
		n = sfd < 0 ? -1 : listening_in_dir(sfd, l);
		if (n < 0) {
			err = sfd < 0 ? err : errno;
			closedir(dir);
			return diag_set(d, RJH_ESYS, "hosts/%s/sock: %s", e->d_name, strerror(err));
		}
		total += n;
	}
	closedir(dir);
	return total;
}

enum pres_sock pres_socket_state(const struct cfg *c, const char *name,
				 const struct pres_listeners *l)
{
	struct stat st;
	int dfd = layout_open_sock_dir(c, name, NULL);
	int rc;

	if (dfd < 0)
		return PRES_SOCK_NONE;
	rc = fstatat(dfd, LAYOUT_SOCKET_NAME, &st, AT_SYMLINK_NOFOLLOW);
	close(dfd);
	if (rc < 0 || !S_ISSOCK(st.st_mode))
		return PRES_SOCK_NONE;
	return pres_listened(l, &st) ? PRES_SOCK_LISTENING : PRES_SOCK_STALE;
}

enum pres_sock pres_socket_state_at(int hosts_fd, const char *name, const struct pres_listeners *l)
{
	char path[64];
	struct stat st;

	if (!name_is_host(name) || (size_t)snprintf(path, sizeof(path), "%s/sock/%s", name,
						    LAYOUT_SOCKET_NAME) >= sizeof(path))
		return PRES_SOCK_NONE;
	if (fstatat(hosts_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISSOCK(st.st_mode))
		return PRES_SOCK_NONE;
	return pres_listened(l, &st) ? PRES_SOCK_LISTENING : PRES_SOCK_STALE;
}

/*
 * Moves the socket aside, then checks that what moved is the stale file that
 * was examined: a tunnel may have bound a new socket in between (sshd's
 * StreamLocalBindUnlink), and that one is put back.
 */
static int remove_if_same(int dfd, const struct stat *old, struct rjh_diag *d)
{
	char aside[64];
	struct stat st;

	snprintf(aside, sizeof(aside), ".%s.closing.%ld", LAYOUT_SOCKET_NAME, (long)getpid());
	if (renameat(dfd, LAYOUT_SOCKET_NAME, dfd, aside) < 0)
		return errno == ENOENT
			   ? RJH_OK
			   : diag_set(d, RJH_ESYS, "cannot remove the socket: %s", strerror(errno));
	if (fstatat(dfd, aside, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return RJH_OK;
	if (st.st_dev != old->st_dev || st.st_ino != old->st_ino) {
		/* A newer socket was bound in between: it goes back. */
		if (renameat2(dfd, aside, dfd, LAYOUT_SOCKET_NAME, RENAME_NOREPLACE) == 0)
			return RJH_OK;
		/* Unless a newer one still is in place: then this one is old too. */
		if (errno != EEXIST)
			return diag_set(d, RJH_ESYS, "cannot put back the newer socket: %s",
					strerror(errno));
	}
	/* Ours, or older than one bound since: either way no longer wanted. */
	if (unlinkat(dfd, aside, 0) < 0 && errno != ENOENT)
		return diag_set(d, RJH_ESYS, "cannot remove the socket: %s", strerror(errno));
	return RJH_OK;
}

int pres_remove_stale_socket(const struct cfg *c, const char *name, struct rjh_diag *d)
{
	struct pres_listeners l;
	struct stat st;
	int dfd, rc;

	dfd = layout_open_sock_dir(c, name, d);
	if (dfd == RJH_ENOENT)
		return RJH_OK;
	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, LAYOUT_SOCKET_NAME, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISSOCK(st.st_mode)) {
		close(dfd);
		return RJH_OK;
	}
	rc = pres_listeners_load(&l, d);
	if (rc == 0 && !pres_listened(&l, &st))
		rc = remove_if_same(dfd, &st, d);
	pres_listeners_free(&l);
	close(dfd);
	return rc;
}

int64_t pres_pid_start(int64_t pid)
{
	char path[64], buf[1024];
	unsigned long long start = 0;
	const char *p;
	ssize_t n;
	int fd, field;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%lld/stat", (long long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: count from the last ')'. */
	p = strrchr(buf, ')');
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	return (int64_t)start;
}

bool pres_session_alive(const struct reg_session *s)
{
	int64_t start = pres_pid_start(s->pid);

	if (!start)
		return false;
	return !s->pid_start || s->pid_start == start;
}
