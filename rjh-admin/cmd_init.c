/* rjh-admin init: a new registry and the runtime layout's parent directories. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "login.h"
#include "reg_pg.h"
#include "snap.h"
#include "util.h"

/* Refuses a uid range or hosts group that collides with accounts this system has. */
static int check_collisions(struct admin *a)
{
	char buf[16384];
	struct group gr, *grp = NULL;
	struct passwd *pw;
	const struct cfg *c = &a->cfg;

	if (getgrgid_r(c->host_gid, &gr, buf, sizeof(buf), &grp) == 0 && grp)
		return admin_fail(a, RJH_EEXIST, "host_gid %u is already group '%s'", c->host_gid,
				  gr.gr_name);
	if (getgrnam_r(c->host_group, &gr, buf, sizeof(buf), &grp) == 0 && grp)
		return admin_fail(a, RJH_EEXIST, "host group '%s' already exists (gid %u)",
				  c->host_group, (unsigned)gr.gr_gid);
	/* getpwuid for the range's ends, then every account the system can list. */
	if (getpwuid(c->uid_min) || getpwuid(c->uid_max))
		return admin_fail(a, RJH_EEXIST, "the uid range %u-%u holds existing accounts",
				  c->uid_min, c->uid_max);
	setpwent();
	while ((pw = getpwent()) != NULL) {
		if (pw->pw_uid >= c->uid_min && pw->pw_uid <= c->uid_max) {
			int rc = admin_fail(
			    a, RJH_EEXIST, "the uid range %u-%u holds existing user '%s' (uid %u)",
			    c->uid_min, c->uid_max, pw->pw_name, (unsigned)pw->pw_uid);
			endpwent();
			return rc;
		}
	}
	endpwent();
	return EXIT_OK;
}

static int make_dir(struct admin *a, const char *path)
{
	struct rjh_diag d = {""};
	struct stat st;
	int rc = util_mkdir_p(path, 0755, &d);

	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return admin_fail(a, RJH_ESYS, "%s is not a directory", path);
	if (st.st_uid != geteuid())
		return admin_fail(a, RJH_ETRUST, "%s is owned by uid %u, not by us", path,
				  (unsigned)st.st_uid);
	return EXIT_OK;
}

/*
 * The key helper runs as keys_user and reads the login snapshot (0640) through
 * that user's group; without the user, say how to create it.
 */
static void note_keys_user(struct admin *a)
{
	char buf[16384];
	struct passwd pw, *pwp = NULL;

	if (getpwnam_r(a->cfg.keys_user, &pw, buf, sizeof(buf), &pwp) == 0 && pwp)
		return;
	printf("  note: no user '%s' for sshd's AuthorizedKeysCommand yet; create it with\n"
	       "    adduser --system --group --no-create-home --home /nonexistent %s\n"
	       "  then run 'rjh-admin refresh' (the login snapshot is for its group)\n",
	       a->cfg.keys_user, a->cfg.keys_user);
}

/* Removes a snapshot pair of registry and its lock file, which init made. */
static void remove_pair(int (*paths)(const char *, char *, char *, size_t), const char *registry)
{
	char base[CFG_PATH_MAX + 24], delta[CFG_PATH_MAX + 24];

	if (paths(registry, base, delta, sizeof(base)) < 0)
		return;
	unlink(base);
	unlink(delta);
	strncat(base, ".lock", sizeof(base) - strlen(base) - 1);
	unlink(base);
}

static int cmd_init(struct admin *a, int argc, char **argv)
{
	const char *umin = NULL, *umax = NULL;
	const struct admin_opt opts[] = {{"uid-min", &umin, NULL}, {"uid-max", &umax, NULL}, {0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-init", .success = true};
	struct rjh_diag d = {""};
	char path[CFG_PATH_MAX + 8], detail[128];
	struct reg *r = NULL;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	if ((umin && util_parse_u32(umin, &a->cfg.uid_min) < 0) ||
	    (umax && util_parse_u32(umax, &a->cfg.uid_max) < 0) || a->cfg.uid_min < 1000 ||
	    a->cfg.uid_max == UINT32_MAX)
		return admin_fail(a, RJH_EINVAL,
				  "the uid range must be numbers from 1000 to "
				  "4294967294");
	if (a->cfg.uid_min > a->cfg.uid_max)
		return admin_fail(a, RJH_EINVAL, "--uid-min %u is above --uid-max %u",
				  a->cfg.uid_min, a->cfg.uid_max);
	if (a->cfg.host_gid >= a->cfg.uid_min && a->cfg.host_gid <= a->cfg.uid_max)
		return admin_fail(a, RJH_EINVAL, "host_gid %u lies inside the uid range",
				  a->cfg.host_gid);
	if (a->cfg.uid_min <= 65534 && a->cfg.uid_max >= 65534)
		return admin_fail(a, RJH_EINVAL, "the uid range must not include 65534 (nobody)");
	rc = check_collisions(a);
	if (rc)
		return rc;
	rc = aud_open(&a->aud, &a->cfg, &d);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	if (admin_store_is_pg(a))
		rc = reg_pg_open(&a->cfg, REG_CREATE, "rjh-admin", &r, &d);
	else
		rc = reg_open(a->cfg.registry, REG_CREATE, &a->cfg, ADMIN_BUSY_MS, &r, &d);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	snprintf(detail, sizeof(detail), "uid_min=%u uid_max=%u host_gid=%u", a->cfg.uid_min,
		 a->cfg.uid_max, a->cfg.host_gid);
	rec.detail = detail;
	rc = reg_begin(r, &d);
	admin_change_identity(a, SNAP_IDENT_REBUILD, NULL, 0);
	a->certs = true; /* sshd refuses every key while the KRL it names is missing */
	if (rc < 0)
		rc = admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	else
		rc = admin_change_finish(a, r, &rec);
	if (rc && !admin_store_is_pg(a)) {
		/* We created these files: leave nothing half-initialised behind. */
		unlink(a->cfg.registry);
		remove_pair(snap_paths, a->cfg.registry);
		remove_pair(login_paths, a->cfg.registry);
		return rc;
	}
	note_keys_user(a);
	snprintf(path, sizeof(path), "%s/hosts", a->cfg.runtime_dir);
	rc = make_dir(a, a->cfg.runtime_dir);
	if (rc == 0)
		rc = make_dir(a, path);
	if (rc)
		return rc;
	if (admin_store_is_pg(a))
		printf("initialised the registry in PostgreSQL (schema %d)\n",
		       reg_pg_schema_version());
	else
		printf("initialised registry %s (schema %d)\n", a->cfg.registry,
		       reg_schema_version());
	printf("  host uids: %u-%u; hosts group: %s (gid %u)\n"
	       "  runtime directory: %s\n",
	       a->cfg.uid_min, a->cfg.uid_max, a->cfg.host_group, a->cfg.host_gid,
	       a->cfg.runtime_dir);
	return EXIT_OK;
}

const struct admin_cmd admin_cmd_init = {
    "init",
    cmd_init,
    "[--uid-min N --uid-max N]",
    "Create the registry and the runtime layout's parent directories",
    "Options:\n"
    "  --uid-min N, --uid-max N  the uids hosts get (default: uid_min/uid_max in\n"
    "                            rjh.conf); recorded in the registry for good\n\n"
    "Refuses to overwrite an existing registry, and refuses a uid range or hosts\n"
    "group that collides with accounts or groups this system already has.\n"
    "With store = postgresql it creates the registry in PostgreSQL (on the\n"
    "primary, once for the fleet; 'rjh-admin migrate' upgrades it later), and\n"
    "each jumphost's rjh-sync makes the local cache.\n",
    ADMIN_POLICY_NONE};
