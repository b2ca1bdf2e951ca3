/*
 * Which sshd processes hold a client's TCP socket, observed with Debian 12's
 * OpenSSH 9.2p1 through tests/e2e (a ForceCommand client from the laptop):
 *
 *   rjh-connect                        uid 0 (its parent; the relay child is alice)
 *   sh -c rjh-connect                  alice   (the ForceCommand; dash does not exec)
 *   sshd: alice@notty                  alice   holds socket:[N]
 *   sshd: alice [priv]                 root    holds socket:[N]
 *   sshd listener                      root    its listening sockets only
 *
 * Both the privileged monitor and its unprivileged child keep the
 * connection open; the listener does not, and sshd closes it in the
 * session's commands before exec. Only the monitor counts: a root process
 * whose fd table the caller cannot touch and which holds no socket but the
 * client's. The unprivileged child does not: every channel of the session
 * lives there, so a -L forward or a ControlMaster of the caller's own puts
 * a TCP socket to any address it likes into that child (a SYN_SENT one will
 * do), and its 4-tuple would pass for the client's.
 */
#include "peer.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "util.h"

#define PEER_MAX_DEPTH 64 /* ancestors walked before giving up */

/* The executables of a session's privileged sshd: sshd, or sshd-session (OpenSSH >= 9.8). */
static const char *const sshd_paths[] = {
    "/usr/sbin/sshd",
    "/usr/lib/openssh/sshd-session",
    "/usr/libexec/openssh/sshd-session",
    "/usr/libexec/sshd-session",
};

/* One address of SSH_CONNECTION: IPv4, or IPv6 (v4-mapped too). */
static int parse_addr(const char *s, int *family, unsigned char *bin)
{
	if (inet_pton(AF_INET, s, bin) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, s, bin) == 1)
		*family = AF_INET6;
	else
		return RJH_EINVAL;
	return RJH_OK;
}

static int parse_port(const char *s, unsigned *port)
{
	uint32_t v;

	if (util_parse_u32(s, &v) < 0 || v == 0 || v > 65535)
		return RJH_EINVAL;
	*port = v;
	return RJH_OK;
}

int peer_parse_claim(const char *s, struct peer_tuple *t)
{
	char copy[256], *f[5] = {0}, *save = NULL;
	int n = 0, family2 = 0;

	if (strlen(s) >= sizeof(copy))
		return RJH_EINVAL;
	memcpy(copy, s, strlen(s) + 1);
	for (char *tok = strtok_r(copy, " ", &save); tok && n < 5; tok = strtok_r(NULL, " ", &save))
		f[n++] = tok;
	if (n != 4 || parse_addr(f[0], &t->family, t->client) < 0 ||
	    parse_port(f[1], &t->cport) < 0 || parse_addr(f[2], &family2, t->server) < 0 ||
	    parse_port(f[3], &t->sport) < 0 || family2 != t->family)
		return RJH_EINVAL;
	return RJH_OK;
}

/*
 * The inode of the one reply to an exact lookup, or RJH_ENOENT. NB. h is not
 * const: NLMSG_DATA casts it to char *, which clang's -Wcast-qual rejects.
 */
static int diag_reply(struct nlmsghdr *h, ssize_t n, const struct peer_tuple *t,
		      unsigned long *ino_out)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);

	if (n < 0 || !NLMSG_OK(h, (size_t)n))
		return RJH_ESYS;
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error == -ENOENT)
			return RJH_ENOENT; /* no such connection */
		return RJH_ESYS;
	}
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return RJH_ESYS;
	/* With no connection, the kernel's lookup falls back to a listener, or a TIME_WAIT. */
	if (m->idiag_state == TCP_LISTEN || m->idiag_inode == 0 ||
	    ntohs(m->id.idiag_sport) != t->sport || ntohs(m->id.idiag_dport) != t->cport)
		return RJH_ENOENT;
	*ino_out = m->idiag_inode;
	return RJH_OK;
}

/*
 * Asks the kernel for the TCP socket with exactly t's 4-tuple: one request
 * without NLM_F_DUMP, so the cost does not grow with the number of
 * connections. Sets *ino_out; RJH_ENOENT when there is none.
 */
static int tcp_lookup(const struct peer_tuple *t, unsigned long *ino_out)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} q = {
	    .nlh = {.nlmsg_len = sizeof(q),
		    .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		    .nlmsg_flags = NLM_F_REQUEST,
		    .nlmsg_seq = 1},
	    .req = {.sdiag_family = (uint8_t)t->family,
		    .sdiag_protocol = IPPROTO_TCP,
		    .idiag_states = ~0u,
		    .id = {.idiag_sport = htons((uint16_t)t->sport),
			   .idiag_dport = htons((uint16_t)t->cport),
			   .idiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}}},
	};
	union {
		struct nlmsghdr h;
		char buf[8192];
	} r;
	size_t alen = t->family == AF_INET ? 4 : 16;
	ssize_t n = -1;
	int fd, rc = RJH_ESYS;

	memcpy(q.req.id.idiag_src, t->server, alen);
	memcpy(q.req.id.idiag_dst, t->client, alen);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return RJH_ESYS;
	if (send(fd, &q, sizeof(q), 0) != (ssize_t)sizeof(q))
		goto out;
	do
		n = recv(fd, &r, sizeof(r), 0);
	while (n < 0 && errno == EINTR);
	rc = diag_reply(&r.h, n, t, ino_out);
out:
	close(fd);
	return rc;
}

/*
 * PPid and "root through and through" (real, effective, saved and fs uid
 * 0) from /proc/PID/status. Not the owner of /proc/PID: that is root for
 * any process that made itself non-dumpable. NB. The kernel escapes a
 * newline in the process name, so Name: cannot forge the lines after it.
 */
static int proc_status(int dfd, pid_t *ppid_out, bool *root_out)
{
	char buf[4096];
	unsigned r, e, s, f;
	const char *p;
	long ppid;
	ssize_t n;
	int fd = openat(dfd, "status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return RJH_ESYS;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return RJH_ESYS;
	buf[n] = '\0';
	p = strstr(buf, "\nPPid:");
	if (!p || sscanf(p, "\nPPid: %ld", &ppid) != 1)
		return RJH_ESYS;
	p = strstr(buf, "\nUid:");
	if (!p || sscanf(p, "\nUid: %u %u %u %u", &r, &e, &s, &f) != 4)
		return RJH_ESYS;
	*ppid_out = (pid_t)ppid;
	*root_out = r == 0 && e == 0 && s == 0 && f == 0;
	return RJH_OK;
}

/* True when the process runs one of sshd_paths: its executable, not its name. */
static bool runs_sshd(int dfd)
{
	char exe[PATH_MAX];
	ssize_t n = readlinkat(dfd, "exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return false;
	exe[n] = '\0';
	for (size_t i = 0; i < sizeof(sshd_paths) / sizeof(sshd_paths[0]); i++)
		if (strcmp(exe, sshd_paths[i]) == 0)
			return true;
	return false;
}

static int proc_open(int proc, pid_t pid)
{
	char name[24];

	snprintf(name, sizeof(name), "%ld", (long)pid);
	return openat(proc, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * Walks up from this process to the nearest ancestor that is root through
 * and through and runs sshd. Each parent is opened, then its child is read
 * again and must still name it: a directory fd stays with the process it
 * was opened for, and a parent that died and whose pid was reused can no
 * longer be the child's parent (orphans go to init or a subreaper, which
 * are older). Returns 0 and sets *sshd_out to that ancestor's /proc/PID,
 * or RJH_ENOENT (none: run outside sshd, or reparented to init on the way)
 * or RJH_ESYS.
 */
static int find_sshd(int proc, int *sshd_out)
{
	int child = openat(proc, "self", O_RDONLY | O_DIRECTORY | O_CLOEXEC), dfd = -1;
	int rc = RJH_ENOENT, depth;
	pid_t ppid = 0, again, next;
	bool root;

	*sshd_out = -1;
	if (child < 0 || proc_status(child, &ppid, &root) < 0)
		rc = RJH_ESYS;
	for (depth = 0; rc == RJH_ENOENT && ppid > 0 && depth < PEER_MAX_DEPTH; depth++) {
		dfd = proc_open(proc, ppid);
		if (dfd < 0 || proc_status(child, &again, &root) < 0 || again != ppid ||
		    proc_status(dfd, &next, &root) < 0)
			break;
		if (root && runs_sshd(dfd)) {
			*sshd_out = dfd;
			dfd = -1;
			rc = RJH_OK;
			break;
		}
		close(child);
		child = dfd;
		dfd = -1;
		ppid = next;
	}
	if (dfd >= 0)
		close(dfd);
	if (child >= 0)
		close(child);
	return rc;
}

/* True when the process has socket inode ino open (/proc/PID/fd/N -> socket:[INO]). */
static bool holds_socket(int dfd, unsigned long ino)
{
	char want[32], link[32];
	const struct dirent *e;
	bool found = false;
	DIR *dir = dfd < 0 ? NULL : util_opendir_at(dfd, "fd");

	if (!dir)
		return false;
	snprintf(want, sizeof(want), "socket:[%lu]", ino);
	while (!found && (e = readdir(dir))) {
		ssize_t n = e->d_name[0] == '.'
				? -1
				: readlinkat(dirfd(dir), e->d_name, link, sizeof(link) - 1);

		if (n > 0) {
			link[n] = '\0';
			found = strcmp(link, want) == 0;
		}
	}
	closedir(dir);
	return found;
}

int peer_verify(const char *ssh_connection, struct peer *out)
{
	unsigned long ino = 0;
	int sshd = -1;
	struct peer_tuple t;
	int proc = -1, rc;

	out->addr[0] = out->claimed[0] = '\0';
	if (!ssh_connection[0])
		return RJH_ENOENT;
	rc = peer_parse_claim(ssh_connection, &t);
	if (rc < 0)
		return rc;
	inet_ntop(t.family, t.client, out->claimed, sizeof(out->claimed));
	rc = tcp_lookup(&t, &ino);
	if (rc == 0) {
		proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		rc = proc < 0 ? RJH_ESYS : find_sshd(proc, &sshd);
	}
	if (rc == 0 && !holds_socket(sshd, ino))
		rc = RJH_ETRUST;
	if (rc == 0) {
		memcpy(out->addr, out->claimed, sizeof(out->addr));
		out->claimed[0] = '\0';
	}
	if (proc >= 0)
		close(proc);
	if (sshd >= 0)
		close(sshd);
	return rc;
}
