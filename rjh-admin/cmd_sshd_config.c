/* rjh-admin sshd-config: print the sshd drop-in for the hosts group. */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "name.h"

static int cmd_sshd_config(struct admin *a, int argc, char **argv)
{
	const char *helper = ADMIN_KEY_HELPER, *user = a->cfg.keys_user;
	const struct admin_opt opts[] = {
	    {"helper", &helper, NULL}, {"keys-user", &user, NULL}, {0}};
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	if (helper[0] != '/' || strpbrk(helper, " \t\n\"'%"))
		return admin_fail(a, RJH_EINVAL,
				  "--helper must be an absolute path without spaces");
	if (!name_is_account(user))
		return admin_fail(a, RJH_EINVAL, "--keys-user must be a user name");
	admin_sshd_dropin(stdout, &a->cfg, helper, user);
	return EXIT_OK;
}

const struct admin_cmd admin_cmd_sshd_config = {
    "sshd-config", cmd_sshd_config, "[--helper PATH] [--keys-user NAME]",
    "Print the sshd drop-in for /etc/ssh/sshd_config.d/rjh.conf",
    "Options:\n"
    "  --helper PATH      the key helper (default " ADMIN_KEY_HELPER ")\n"
    "  --keys-user NAME   its AuthorizedKeysCommandUser (default: keys_user, rjh)\n\n"
    "A 'Match Group' block for the hosts group, beside the operator's own config:\n"
    "keys from the registry, a chroot per host, remote Unix-socket forwarding\n"
    "only, no TTY, X11, agent or tunnel, and dead tunnels noticed.\n"};
