/*
 * What the kernel says about tunnels, for list, show and status: a host is
 * up while a process listens on its socket; the sessions table adds the rest.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "layout.h"
#include "presence.h"

int admin_tunnels_open(struct admin *a, struct admin_tunnels *t, struct rjh_diag *d)
{
	int rc;

	t->l.v = NULL;
	t->l.n = 0;
	t->hosts_fd = layout_open_hosts_dir(&a->cfg, d);
	if (t->hosts_fd == RJH_ENOENT)
		t->hosts_fd = -1; /* no runtime tree: no host is up */
	else if (t->hosts_fd < 0)
		return t->hosts_fd;
	if (t->hosts_fd >= 0 && layout_fs_of(t->hosts_fd, &t->fs) < 0) {
		rc = diag_set(d, RJH_ESYS, "%s/hosts: %s", a->cfg.runtime_dir, strerror(errno));
		admin_tunnels_close(t);
		return rc;
	}
	rc = pres_listeners_load(&t->l, d);
	if (rc < 0)
		admin_tunnels_close(t);
	return rc;
}

void admin_tunnels_close(struct admin_tunnels *t)
{
	pres_listeners_free(&t->l);
	if (t->hosts_fd >= 0)
		close(t->hosts_fd);
	t->hosts_fd = -1;
}

/*
 * Up is the kernel's word: a listener on the socket. Down with the newest
 * session still open is stale when its sshd is gone (crashed; pam_rjh ends
 * the row at the host's next login). Only open rows of hosts that are down
 * cost a look at /proc.
 */
const char *admin_tunnel_state(const struct admin_tunnels *t, const char *name,
			       const struct reg_session *s)
{
	if (t->hosts_fd >= 0 &&
	    pres_socket_state_at(t->hosts_fd, name, &t->l) == PRES_SOCK_LISTENING)
		return "up";
	return s && s->ended == 0 && !pres_session_alive(s) ? "stale" : "down";
}

int admin_tunnel_unexpected(const struct admin_tunnels *t, const char *name, const char *state)
{
	/* Up: the socket is there, so no second look for it (a third fstatat a host). */
	int n = t->hosts_fd < 0
		    ? 0
		    : layout_unexpected(t->hosts_fd, &t->fs, name, strcmp(state, "up") == 0);

	return n < 0 ? -1 : n;
}
