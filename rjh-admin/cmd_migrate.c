/* rjh-admin migrate: bring the registry's schema up to this rjh's. */
#include <stdio.h>

#include "admin.h"
#include "reg_pg.h"

static int cmd_migrate(struct admin *a, int argc, char **argv)
{
	const struct admin_opt opts[] = {{0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-migrate", .success = true};
	struct rjh_diag d = {""};
	char detail[64];
	struct reg *r;
	int rc, first, from = 0, to;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	if (!admin_store_is_pg(a)) {
		/* A read-write open of the file applies its migrations (lib/reg_sqlite.c). */
		rc = reg_file_schema(a->cfg.registry, ADMIN_BUSY_MS, &from, &d);
		if (rc < 0)
			return admin_fail_diag(a, rc, &d);
		to = reg_schema_version();
	} else {
		rc = reg_pg_migrate(&a->cfg, &from, &d);
		if (rc < 0)
			return admin_fail_diag(a, rc, &d);
		to = reg_pg_schema_version();
	}
	snprintf(detail, sizeof(detail), "from=%d to=%d", from, to);
	rec.detail = detail;
	/* The record goes into the registry now upgraded (a file: the open upgrades it). */
	rc = admin_change_begin(a, &r);
	if (rc)
		return rc;
	rc = admin_change_finish(a, r, &rec);
	if (rc == 0)
		printf(from == to ? "the %s registry is at schema %d\n"
				  : "upgraded the %s registry from schema %d to %d\n",
		       cfg_store_name(a->cfg.store), from, to);
	return rc;
}

const struct admin_cmd admin_cmd_migrate = {
    "migrate",
    cmd_migrate,
    "",
    "Upgrade the registry's schema to this rjh's",
    "With store = postgresql, applies the files of sql/pg/ that the registry in\n"
    "PostgreSQL lacks, in one transaction on the primary; two at once take turns.\n"
    "Run it once per upgrade, from any machine with the new rjh: jumphosts whose\n"
    "rjh is older keep working as long as the new schema allows (its compat).\n"
    "With store = sqlite, upgrades the registry file, as every change does.\n"
    "Exits 4 when no primary is reachable or the registry is newer than this rjh.\n",
    ADMIN_POLICY_NONE};
