#include "layout.h"

#include <stdio.h>
#include <unistd.h>

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
	return fit(snprintf(buf, len,
			    "ssh -N -o ExitOnForwardFailure=yes -o ServerAliveInterval=30 "
			    "-o ServerAliveCountMax=3 -R %s:localhost:22 %s@%s",
			    LAYOUT_CHROOT_SOCKET, name, pub),
		   len);
}
