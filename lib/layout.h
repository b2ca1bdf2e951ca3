/* Where a host's files live on the jumphost, and how it reaches them. */
#ifndef RJH_LAYOUT_H
#define RJH_LAYOUT_H

#include <stddef.h>
#include <sys/types.h>

#include "cfg.h"
#include "err.h"

/* The socket path as the host binds it, inside its ChrootDirectory. */
#define LAYOUT_CHROOT_SOCKET "/sock/ssh.sock"
/* Its name inside the socket directory. */
#define LAYOUT_SOCKET_NAME "ssh.sock"

/* RUNTIME/hosts/NAME: the host's root-owned chroot directory. */
int layout_host_dir(const struct cfg *c, const char *name, char *buf, size_t len);

/* RUNTIME/hosts/NAME/sock/ssh.sock: the host's socket as the jumphost sees it. */
int layout_socket_path(const struct cfg *c, const char *name, char *buf, size_t len);

/* The jumphost's public name: public_name, or this machine's hostname. */
void layout_public_name(const struct cfg *c, char *buf, size_t len);

/* The command a host runs to keep its tunnel up. */
int layout_tunnel_command(const struct cfg *c, const char *name, char *buf, size_t len);

/*
 * The same command towards server, with extra (space-separated ssh options,
 * or NULL) before -R: what `rjh-admin host-unit` runs. NB. name, server and
 * extra must be validated: they end up in a command line and a unit file.
 */
int layout_tunnel_command_to(const char *server, const char *name, const char *extra, char *buf,
			     size_t len);

/*
 * The runtime tree, the enforcement that a host binds its own name and
 * nothing else (sshd-facts.md):
 *   RUNTIME/                 root:root 0755
 *   RUNTIME/hosts/           root:root 0755
 *   RUNTIME/hosts/NAME/      root:root 0755  the host's ChrootDirectory
 *   RUNTIME/hosts/NAME/sock/ UID:GID   0700  the only place the host can write
 * Creates what is missing and repairs owners and modes. Never follows a
 * symlink: one planted anywhere in the tree is removed and replaced by a
 * real directory. Needs root.
 */
int layout_prepare_host(const struct cfg *c, const char *name, uid_t uid, gid_t gid,
			struct rjh_diag *d);

/* Opens RUNTIME/hosts, following no symlink. Returns the descriptor, RJH_ENOENT or RJH_ESYS. */
int layout_open_hosts_dir(const struct cfg *c, struct rjh_diag *d);

/*
 * Opens RUNTIME/hosts/NAME/sock without following a symlink anywhere below
 * RUNTIME. Returns the descriptor, RJH_ENOENT if a part is missing, or RJH_ESYS.
 */
int layout_open_sock_dir(const struct cfg *c, const char *name, struct rjh_diag *d);

/* Removes RUNTIME/hosts/NAME and everything under it, following no symlink. */
int layout_remove_host(const struct cfg *c, const char *name, struct rjh_diag *d);

/* Calls cb for every entry of RUNTIME/hosts/ (not . and ..). */
int layout_hosts_each(const struct cfg *c, int (*cb)(const char *name, void *ctx), void *ctx,
		      struct rjh_diag *d);

#endif
