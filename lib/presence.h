/*
 * Presence: is a host's tunnel up right now? The sessions table says what
 * pam_rjh saw; the kernel says whether a process listens on the host's
 * socket. "Up" is the kernel's answer: a session row can outlive an sshd
 * that crashed, and a socket file outlives its listener (sshd never unlinks
 * it).
 */
#ifndef RJH_PRESENCE_H
#define RJH_PRESENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cfg.h"
#include "err.h"
#include "reg.h"

/* The files that listening Unix sockets are bound to, as (device, inode). */
struct pres_listeners {
	struct pres_file {
		uint64_t dev, ino;
	} * v;
	size_t n;
};

/*
 * Asks the kernel (NETLINK_SOCK_DIAG, UDIAG_SHOW_VFS) for every listening
 * Unix socket in this network namespace. Matching by inode, not path: a
 * chrooted sshd binds every host's socket as the same "/sock/ssh.sock".
 */
int pres_listeners_load(struct pres_listeners *out, struct rjh_diag *d);
void pres_listeners_free(struct pres_listeners *l);

/* True when a process listens on the socket file st describes (an lstat). */
bool pres_listened(const struct pres_listeners *l, const struct stat *st);

/*
 * Counts the sockets a process listens on anywhere in RUNTIME/hosts/NAME/sock/,
 * below hosts_fd (an open RUNTIME/hosts, O_PATH will do), following no
 * symlink. Returns the count or an error code.
 */
int pres_listening_in_tree(int hosts_fd, const struct pres_listeners *l, struct rjh_diag *d);

enum pres_sock {
	PRES_SOCK_NONE,      /* no socket file */
	PRES_SOCK_STALE,     /* a socket file nobody listens on */
	PRES_SOCK_LISTENING, /* the tunnel is up */
};

/* The state of RUNTIME/hosts/NAME/sock/ssh.sock, never following a symlink. */
enum pres_sock pres_socket_state(const struct cfg *c, const char *name,
				 const struct pres_listeners *l);

/*
 * The same for a whole fleet: one fstatat per host below hosts_fd, an open
 * RUNTIME/hosts (layout_open_hosts_dir). NB. A symlink at ssh.sock is not
 * followed, one at NAME or sock would be: only root can put one there (both
 * are entries of root-owned 0755 directories), and `rjh-admin runtime`
 * replaces it.
 */
enum pres_sock pres_socket_state_at(int hosts_fd, const char *name, const struct pres_listeners *l);

/*
 * Removes the host's socket file unless a process listens on it, so that a
 * newer tunnel's socket always survives an older session's close. Returns 0
 * (also when there was nothing to remove), or an error code.
 */
int pres_remove_stale_socket(const struct cfg *c, const char *name, struct rjh_diag *d);

/* The start time of process pid in clock ticks since boot, or 0 if it does not exist. */
int64_t pres_pid_start(int64_t pid);

/* True while the sshd that opened s still runs (same pid, same start time). */
bool pres_session_alive(const struct reg_session *s);

#endif
