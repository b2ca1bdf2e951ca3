/* Where a host's files live on the jumphost, and how it reaches them. */
#ifndef RJH_LAYOUT_H
#define RJH_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
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

/* Makes RUNTIME/hosts (root, 0755) if it is not there, as layout_prepare_host does. */
int layout_prepare_tree(const struct cfg *c, struct rjh_diag *d);

/* Opens RUNTIME/hosts, following no symlink. Returns the descriptor, RJH_ENOENT or RJH_ESYS. */
int layout_open_hosts_dir(const struct cfg *c, struct rjh_diag *d);

/*
 * Opens RUNTIME/hosts/NAME/sock without following a symlink anywhere below
 * RUNTIME. Returns the descriptor, RJH_ENOENT if a part is missing, or RJH_ESYS.
 */
int layout_open_sock_dir(const struct cfg *c, const char *name, struct rjh_diag *d);

/* Removes RUNTIME/hosts/NAME and everything under it, following no symlink. */
int layout_remove_host(const struct cfg *c, const char *name, struct rjh_diag *d);

/*
 * Removes hosts/ and everything under it from the runtime directory
 * runtime_fd (which may be an O_PATH descriptor, e.g. of a directory a new
 * mount now hides), following no symlink.
 */
int layout_remove_hosts_at(int runtime_fd, struct rjh_diag *d);

/*
 * What a host may leave in its directories: a tunnel binds any name in sock/
 * (sshd has no ACL on Unix-socket forward paths), and sshd never removes
 * the file. Removes everything in RUNTIME/hosts/NAME/ except sock, and
 * everything in RUNTIME/hosts/NAME/sock/ except ssh.sock, whatever their
 * types, never following a symlink (unlinkat; directories emptied through
 * O_NOFOLLOW descriptors). Returns the number of entries of those two
 * directories removed (a directory with all it held counts as one), 0 when
 * RUNTIME/hosts/NAME is missing or not a directory, or an error code. Needs root.
 */
int layout_sweep_host(const struct cfg *c, const char *name, struct rjh_diag *d);

/* Decides whether the sweep keeps an entry, from its lstat; ctx is the caller's. */
typedef bool layout_keep_fn(const struct stat *st, void *ctx);

/*
 * The same, keeping also every entry keep says yes to (e.g. a socket a
 * process listens on, pres_listened). NB. An entry is judged, then removed
 * by name: one a tunnel binds in between under the same name is removed.
 */
int layout_sweep_host_if(const struct cfg *c, const char *name, layout_keep_fn *keep, void *ctx,
			 struct rjh_diag *d);

/* The filesystem of RUNTIME/hosts as layout_unexpected needs it, read once per scan. */
struct layout_fs {
	dev_t dev;  /* its device */
	bool tmpfs; /* statfs f_type is TMPFS_MAGIC */
};

/* Fills *out for hosts_fd, an open RUNTIME/hosts. Returns 0 or RJH_ESYS. */
int layout_fs_of(int hosts_fd, struct layout_fs *out);

/*
 * Counts, without removing anything, the entries layout_sweep_host would
 * remove, below hosts_fd (an open RUNTIME/hosts; fs from layout_fs_of).
 * has_socket: the caller has just found NAME/sock/ssh.sock (e.g.
 * pres_socket_state_at said it is a socket), so it need not be looked for.
 * Returns the count, 0 when the host's directory is missing or not a
 * directory, or an error code. Made for reporting on a whole fleet: on tmpfs
 * it reads a directory's entry count from its st_size, which tmpfs keeps at
 * 20 bytes (BOGO_DIRENT_SIZE, mm/shmem.c) per entry plus 40 for . and ..,
 * so a host costs two fstatat (three when sock/ is not empty and has_socket
 * is false) instead of opening and reading two directories. Elsewhere
 * (another filesystem, or a directory on another device than RUNTIME/hosts),
 * or when a size does not fit that rule, it reads the directories.
 * NB. A symlink at NAME/sock is not followed; one at NAME would be, as in
 * pres_socket_state_at (only root can put one there).
 */
int layout_unexpected(int hosts_fd, const struct layout_fs *fs, const char *name, bool has_socket);

/* Calls cb for every entry of RUNTIME/hosts/ (not . and ..). */
int layout_hosts_each(const struct cfg *c, int (*cb)(const char *name, void *ctx), void *ctx,
		      struct rjh_diag *d);

#endif
