/* Where a host's files live on the jumphost, and how it reaches them. */
#ifndef RJH_LAYOUT_H
#define RJH_LAYOUT_H

#include <stddef.h>

#include "cfg.h"

/* The socket path as the host binds it, inside its ChrootDirectory. */
#define LAYOUT_CHROOT_SOCKET "/sock/ssh.sock"

/* RUNTIME/hosts/NAME: the host's root-owned chroot directory. */
int layout_host_dir(const struct cfg *c, const char *name, char *buf, size_t len);

/* RUNTIME/hosts/NAME/sock/ssh.sock: the host's socket as the jumphost sees it. */
int layout_socket_path(const struct cfg *c, const char *name, char *buf, size_t len);

/* The jumphost's public name: public_name, or this machine's hostname. */
void layout_public_name(const struct cfg *c, char *buf, size_t len);

/* The command a host runs to keep its tunnel up. */
int layout_tunnel_command(const struct cfg *c, const char *name, char *buf, size_t len);

#endif
