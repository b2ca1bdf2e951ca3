/* rjh-admin grant, ungrant, grants: who may reach which hosts (used by rjh-connect). */
#include <jansson.h>
#include <stdio.h>
#include <time.h>

#include "admin.h"
#include "name.h"

static int grant_change(struct admin *a, int argc, char **argv, bool add)
{
	const struct admin_opt opts[] = {{0}};
	struct aud_rec rec = {
	    .type = AUDIT_USER_MGMT, .op = add ? "rjh-grant" : "rjh-ungrant", .success = true};
	struct rjh_diag d = {""};
	char detail[160];
	struct reg *r;
	const char *who, *pat;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 2, 2, &first);
	if (rc >= 0)
		return rc;
	who = argv[first];
	pat = argv[first + 1];
	rc = name_check_principal(who, &d);
	if (rc == 0)
		rc = name_check_pattern(pat, &d);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	rc = admin_change_begin(a, &r);
	if (rc)
		return rc;
	rc = add ? reg_grant_add(r, who, pat, (int64_t)time(NULL), &d)
		 : reg_grant_del(r, who, pat, &d);
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	snprintf(detail, sizeof(detail), "principal=%s pattern=%s", who, pat);
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	if (rc == 0)
		printf("%s %s %s %s\n", add ? "granted" : "ungranted", who,
		       add ? "access to" : "on", pat);
	return rc;
}

static int cmd_grant(struct admin *a, int argc, char **argv)
{
	return grant_change(a, argc, argv, true);
}

static int cmd_ungrant(struct admin *a, int argc, char **argv)
{
	return grant_change(a, argc, argv, false);
}

struct grants_ctx {
	json_t *arr;
};

static int grants_one(const struct reg_grant *g, void *vctx)
{
	struct grants_ctx *ctx = vctx;
	char t[32];

	if (!ctx->arr) {
		printf("%-34s %-34s %s\n", g->principal, g->pattern, admin_time(g->created, t));
		return 0;
	}
	return json_array_append_new(ctx->arr, json_pack("{s:s,s:s,s:s}", "principal", g->principal,
							 "pattern", g->pattern, "created",
							 admin_time(g->created, t)))
		   ? RJH_ENOMEM
		   : 0;
}

static int cmd_grants(struct admin *a, int argc, char **argv)
{
	bool json = false;
	const struct admin_opt opts[] = {{"json", NULL, &json}, {0}};
	struct grants_ctx ctx = {NULL};
	struct rjh_diag d = {""};
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	rc = admin_open_ro(a, &r);
	if (rc)
		return rc;
	if (json)
		ctx.arr = json_array();
	else
		printf("%-34s %-34s %s\n", "PRINCIPAL", "PATTERN", "CREATED");
	rc = reg_grants_each(r, grants_one, &ctx, &d);
	reg_close(r);
	if (rc < 0) {
		json_decref(ctx.arr);
		return admin_fail_diag(a, rc, &d);
	}
	return json ? admin_print_json(json_pack("{s:o}", "grants", ctx.arr)) : EXIT_OK;
}

const struct admin_cmd admin_cmd_grant = {
    "grant",
    cmd_grant,
    "PRINCIPAL PATTERN",
    "Let a user or @group reach the hosts PATTERN matches",
    "PRINCIPAL: a user name, or @group for every member of a group.\n"
    "PATTERN: a host name, or a glob of host-name characters with * and ?\n"
    "(quote it from the shell: 'web-*').\n",
    ADMIN_POLICY_NONE};

const struct admin_cmd admin_cmd_ungrant = {
    "ungrant",
    cmd_ungrant,
    "PRINCIPAL PATTERN",
    "Remove one grant",
    "PRINCIPAL and PATTERN exactly as 'rjh-admin grants' lists them.\n",
    ADMIN_POLICY_NONE};

const struct admin_cmd admin_cmd_grants = {
    "grants",
    cmd_grants,
    "[--json]",
    "List every grant",
    "Options:\n"
    "  --json   stable machine output: {\"grants\": [...]}\n",
    ADMIN_POLICY_NONE};
