/* rjh-admin export: the whole registry as JSON, for scripts and migrations. */
#include <jansson.h>
#include <stdio.h>
#include <time.h>

#include "admin.h"

struct export_ctx {
	json_t *hosts, *byid, *grants, *sessions, *events;
	int64_t now;
};

static int export_host(const struct reg_host *h, void *vctx)
{
	struct export_ctx *ctx = vctx;
	json_t *j = admin_host_json(h, ctx->now);
	char id[24];

	json_object_set_new(j, "keys", json_array());
	json_object_set_new(j, "host_keys", json_array());
	snprintf(id, sizeof(id), "%lld", (long long)h->id);
	json_object_set(ctx->byid, id, j);
	return json_array_append_new(ctx->hosts, j) ? RJH_ENOMEM : 0;
}

static int export_key(const struct reg_key *k, void *vctx)
{
	struct export_ctx *ctx = vctx;
	char id[24];
	json_t *h;

	snprintf(id, sizeof(id), "%lld", (long long)k->host_id);
	h = json_object_get(ctx->byid, id);
	return h && !json_array_append_new(json_object_get(h, "keys"),
					   admin_key_json(k, ctx->now, true))
		   ? 0
		   : RJH_ENOMEM;
}

static int export_host_key(const struct reg_host_key *k, void *vctx)
{
	struct export_ctx *ctx = vctx;
	char id[24];
	json_t *h;

	snprintf(id, sizeof(id), "%lld", (long long)k->host_id);
	h = json_object_get(ctx->byid, id);
	return h && !json_array_append_new(json_object_get(h, "host_keys"),
					   admin_host_key_json(k, true))
		   ? 0
		   : RJH_ENOMEM;
}

static int export_grant(const struct reg_grant *g, void *vctx)
{
	struct export_ctx *ctx = vctx;

	return json_array_append_new(ctx->grants, json_pack("{s:s,s:s,s:o}", "principal",
							    g->principal, "pattern", g->pattern,
							    "created", admin_json_time(g->created)))
		   ? RJH_ENOMEM
		   : 0;
}

static int export_session(const struct reg_session *s, void *vctx)
{
	struct export_ctx *ctx = vctx;

	return json_array_append_new(
		   ctx->sessions,
		   json_pack("{s:s,s:o,s:o,s:I,s:I,s:o,s:o,s:o}", "host", s->host, "fingerprint",
			     admin_json_str(s->fp), "source", admin_json_str(s->source), "sshd_pid",
			     (json_int_t)s->pid, "sshd_start", (json_int_t)s->pid_start, "started",
			     admin_json_time(s->started), "ended", admin_json_time(s->ended),
			     "end_reason", admin_json_str(s->end_reason)))
		   ? RJH_ENOMEM
		   : 0;
}

static int export_event(const struct reg_event *e, void *vctx)
{
	struct export_ctx *ctx = vctx;

	return json_array_append_new(
		   ctx->events,
		   json_pack("{s:o,s:s,s:s,s:I,s:o,s:o,s:o,s:s,s:o}", "time",
			     admin_json_time(e->time), "type", e->type, "op", e->op, "actor_uid",
			     (json_int_t)e->actor_uid, "actor_auid",
			     e->actor_auid == (uint32_t)-1 ? json_null()
							   : json_integer(e->actor_auid),
			     "host", admin_json_str(e->host), "fingerprint", admin_json_str(e->fp),
			     "result", e->success ? "success" : "failed", "detail",
			     admin_json_str(e->detail)))
		   ? RJH_ENOMEM
		   : 0;
}

static int cmd_export(struct admin *a, int argc, char **argv)
{
	bool json = false;
	const struct admin_opt opts[] = {{"json", NULL, &json}, {0}};
	struct export_ctx ctx = {.now = (int64_t)time(NULL)};
	struct rjh_diag d = {""};
	uint32_t umin, umax, next, gid;
	char group[64];
	struct reg *r;
	json_t *root = NULL;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	rc = admin_open_ro(a, &r);
	if (rc)
		return rc;
	ctx.hosts = json_array();
	ctx.byid = json_object();
	ctx.grants = json_array();
	ctx.sessions = json_array();
	ctx.events = json_array();
	rc = reg_begin_read(r, &d);
	if (rc == 0)
		rc = reg_settings(r, &umin, &umax, &next, group, sizeof(group), &gid, &d);
	if (rc == 0)
		rc = reg_hosts_each(r, export_host, &ctx, &d);
	if (rc == 0)
		rc = reg_keys_each(r, 0, export_key, &ctx, &d);
	if (rc == 0)
		rc = reg_host_keys_each(r, 0, export_host_key, &ctx, &d);
	if (rc == 0)
		rc = reg_grants_each(r, export_grant, &ctx, &d);
	if (rc == 0)
		rc = reg_sessions_each(r, export_session, &ctx, &d);
	if (rc == 0)
		rc = reg_events_each(r, export_event, &ctx, &d);
	reg_end_read(r);
	reg_close(r);
	json_decref(ctx.byid);
	if (rc == 0)
		root =
		    json_pack("{s:i,s:{s:I,s:I,s:I,s:s,s:I},s:o,s:o,s:o,s:o}", "schema_version",
			      reg_schema_version(), "settings", "uid_min", (json_int_t)umin,
			      "uid_max", (json_int_t)umax, "next_uid", (json_int_t)next,
			      "host_group", group, "host_gid", (json_int_t)gid, "hosts", ctx.hosts,
			      "grants", ctx.grants, "sessions", ctx.sessions, "events", ctx.events);
	if (rc < 0) {
		json_decref(ctx.hosts);
		json_decref(ctx.grants);
		json_decref(ctx.sessions);
		json_decref(ctx.events);
		return admin_fail_diag(a, rc, &d);
	}
	/* json_pack's "o" took the arrays, even if it failed. */
	return root ? admin_print_json(root) : admin_fail(a, RJH_ENOMEM, "out of memory");
}

const struct admin_cmd admin_cmd_export = {
    "export", cmd_export, "--json", "Print the whole registry as JSON",
    "Prints settings, hosts with their keys and host keys, grants, sessions and\n"
    "events.\n"
    "JSON is the only format; --json may be given for clarity.\n"};
