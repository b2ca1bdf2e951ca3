/*
 * rjh-connect's client address: the one sshd saw, checked against the
 * kernel, never the caller's word. SSH_CONNECTION is the caller's
 * environment, which anyone with a shell sets to anything.
 */
#ifndef RJH_CONNECT_PEER_H
#define RJH_CONNECT_PEER_H

#include <netinet/in.h>

struct peer {
	char addr[INET6_ADDRSTRLEN];    /* the client, verified; "" when not */
	char claimed[INET6_ADDRSTRLEN]; /* SSH_CONNECTION's client when not verified; else "" */
};

/* The connection SSH_CONNECTION claims. */
struct peer_tuple {
	int family;                           /* AF_INET or AF_INET6 */
	unsigned char client[16], server[16]; /* network order, 4 or 16 bytes */
	unsigned cport, sport;
};

/*
 * Parses s, "CLIENT CPORT SERVER SPORT" as sshd sets SSH_CONNECTION (at most
 * 255 bytes, words split at spaces, two addresses of one family, ports 1 to
 * 65535), into *t. RJH_OK or RJH_EINVAL.
 */
int peer_parse_claim(const char *s, struct peer_tuple *t);

/*
 * Verifies ssh_connection, the caller's SSH_CONNECTION ("CLIENT CPORT
 * SERVER SPORT"). The claim holds when the kernel has a TCP connection with
 * exactly that 4-tuple (one NETLINK_SOCK_DIAG lookup, no dump) and that
 * socket is open in the sshd session this process runs under: its nearest
 * ancestor whose real, effective, saved and fs uids are 0 and whose
 * executable is sshd (or sshd-session), or that process's child on the way
 * down if it runs sshd too. Each parent is re-checked after it is opened, so
 * a reused pid is never taken for a dead parent. Needs root: it reads other
 * processes' /proc/PID/fd.
 *
 * Returns 0 with out->addr set. Otherwise out->addr is "" and out->claimed
 * holds the claimed client (canonical, when it parsed), and the code says
 * why: RJH_ENOENT (no claim, no such connection, no sshd above us),
 * RJH_EINVAL (not four fields, addresses and ports), RJH_ETRUST (the
 * connection is not our session's), RJH_ESYS.
 */
int peer_verify(const char *ssh_connection, struct peer *out);

#endif
