/*
 * rjh-admin prune: retention. Deletes the sessions that ended, and the events
 * recorded, before now - AGE (retention in rjh.conf, or --older-than); open
 * sessions stay. --vacuum then gives the freed space back to the file system.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "util.h"

/*
 * --older-than: digits and one unit (util_parse_age). A bare number is refused
 * with its own sentence: `--older-than 7`, meant as days, must not become
 * seven seconds and take today's audit trail with it.
 */
static int parse_older_than(struct admin *a, const char *s, int64_t *age_out)
{
	char safe[48];

	if (util_parse_age(s, age_out) == 0)
		return EXIT_OK;
	util_safe(s, safe, 40);
	if (s[0] && strlen(s) <= 9 && strspn(s, "0123456789") == strlen(s))
		return admin_fail(a, RJH_EINVAL,
				  "--older-than: '%s' has no unit; add one of s, m, h, d or w "
				  "(%sd for days)",
				  safe, safe);
	return admin_fail(a, RJH_EINVAL,
			  "--older-than: invalid age '%s' (digits and one unit: s, m, h, d or w, "
			  "such as 90d or 13w)",
			  safe);
}

/* --vacuum, once the prune has committed: VACUUM, and the file's size before and after. */
static int vacuum(struct admin *a)
{
	struct rjh_diag d = {""};
	int64_t before, after;
	struct reg *r;
	int rc = reg_open(a->cfg.registry, REG_RW, &a->cfg, ADMIN_BUSY_MS, &r, &d);

	if (rc == 0) {
		rc = reg_vacuum(r, &before, &after, &d);
		reg_close(r);
	}
	if (rc < 0)
		return admin_fail(a, rc,
				  "the prune is committed, but VACUUM failed (%s); it changed "
				  "nothing, and 'rjh-admin prune --vacuum' tries again",
				  d.msg);
	printf("vacuumed %s: %lld bytes before, %lld after\n", a->cfg.registry, (long long)before,
	       (long long)after);
	return EXIT_OK;
}

static int cmd_prune(struct admin *a, int argc, char **argv)
{
	const char *older = NULL;
	bool vac = false;
	const struct admin_opt opts[] = {{"older-than", &older, NULL}, {"vacuum", NULL, &vac}, {0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-prune", .success = true};
	struct rjh_diag d = {""};
	int64_t age = a->cfg.retention, now, before, ns, ne;
	char when[32], detail[128];
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	if (older && (rc = parse_older_than(a, older, &age)) != EXIT_OK)
		return rc;
	if (vac && admin_store_is_pg(a))
		return admin_fail(a, RJH_EINVAL,
				  "--vacuum is for a registry file; PostgreSQL reclaims space by "
				  "itself (autovacuum)");
	/* What rjh-connect spooled is history too: mirrored first, then pruned by the same rule. */
	admin_drain_spool(a);
	rc = admin_change_begin(a, &r);
	if (rc)
		return rc;
	/* An age reaching before 1970 prunes nothing; the record still names a real time. */
	now = (int64_t)time(NULL);
	before = age < now ? now - age : 0;
	util_fmt_time(before, when, sizeof(when));
	rc = reg_prune(r, before, &ns, &ne, &d);
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	snprintf(detail, sizeof(detail), "before=%s sessions_removed=%lld events_removed=%lld",
		 when, (long long)ns, (long long)ne);
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	if (rc)
		return rc;
	printf("pruned %lld ended session%s and %lld event%s from before %s\n", (long long)ns,
	       ns == 1 ? "" : "s", (long long)ne, ne == 1 ? "" : "s", when);
	return vac ? vacuum(a) : EXIT_OK;
}

const struct admin_cmd admin_cmd_prune = {
    "prune",
    cmd_prune,
    "[--older-than AGE] [--vacuum]",
    "Delete the sessions and events older than the retention",
    "Options:\n"
    "  --older-than AGE  digits and one unit, s, m, h, d or w (90d, 13w, 0s);\n"
    "                    default: retention in rjh.conf (90d). A number without\n"
    "                    a unit is refused, so that '7' cannot mean 7 seconds\n"
    "  --vacuum          then rebuild the file to give the freed space back; the\n"
    "                    registry is locked while it runs, so logins wait or fail\n\n"
    "Deletes, in one transaction, the sessions that ended before now - AGE and\n"
    "the events recorded before it. A session that is still open stays however\n"
    "old it is. Records USER_MGMT op=rjh-prune with the cutoff and the counts,\n"
    "also when nothing was old enough. Without --vacuum the file keeps its size\n"
    "and SQLite reuses the space, so a registry pruned regularly stops growing.\n",
    ADMIN_POLICY_NONE};
