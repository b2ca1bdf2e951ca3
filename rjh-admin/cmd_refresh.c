/* rjh-admin refresh: rewrite the NSS and login snapshots from the registry. */
#include <stdio.h>

#include "admin.h"
#include "login.h"
#include "snap.h"

static int cmd_refresh(struct admin *a, int argc, char **argv)
{
	const struct admin_opt opts[] = {{0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-refresh", .success = true};
	char base[CFG_PATH_MAX + 16], delta[CFG_PATH_MAX + 16];
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	/* From this jumphost's file: with store = postgresql, rjh-sync's cache. */
	a->local = true;
	rc = admin_change_begin(a, &r);
	if (rc)
		return rc;
	admin_change_identity(a, SNAP_IDENT_REBUILD, NULL, 0);
	a->rebuild = true;
	rc = admin_change_finish(a, r, &rec);
	if (rc == 0 && snap_paths(a->cfg.registry, base, delta, sizeof(base)) == 0)
		printf("rewrote the NSS snapshot %s and %s\n", base, delta);
	if (rc == 0 && login_paths(a->cfg.registry, base, delta, sizeof(base)) == 0)
		printf("rewrote the login snapshot %s and %s\n", base, delta);
	return rc;
}

const struct admin_cmd admin_cmd_refresh = {
    "refresh",
    cmd_refresh,
    "",
    "Rewrite the NSS snapshot from the registry",
    "nss_rjh answers from REGISTRY.nss and REGISTRY.nss-delta, which every\n"
    "change keeps up to date. Run this after restoring a registry from a backup,\n"
    "or when 'rjh-admin' warned that the snapshot may be ahead of the registry.\n"
    "Like every change, it first upgrades an older registry schema: run it once\n"
    "after installing a new rjh, since read-only readers (the key helper,\n"
    "pam_rjh's account check) refuse a registry that still needs an upgrade.\n"
    "With store = postgresql it rewrites them from this jumphost's cache.\n",
    ADMIN_POLICY_NONE};
