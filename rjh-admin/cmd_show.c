/* rjh-admin list, show, export: reading the registry, for people and for scripts. */
#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "key.h"
#include "name.h"

static json_t *jtime(int64_t t)
{
	char buf[32];

	return t ? json_string(admin_time(t, buf)) : json_null();
}

static json_t *jstr_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static const char *host_state(const struct reg_host *h, int64_t now)
{
	if (h->disabled)
		return "disabled";
	return h->expires && h->expires <= now ? "expired" : "active";
}

static const char *key_state(const struct reg_key *k, int64_t now)
{
	if (k->revoked)
		return "revoked";
	return k->expires && k->expires <= now ? "expired" : "active";
}

static json_t *presence_json(const struct reg_session *s, bool have)
{
	if (!have)
		return json_pack("{s:b}", "up", 0);
	return json_pack("{s:b,s:o,s:o,s:o,s:o}", "up", s->ended == 0, "since", jtime(s->started),
			 "ended", jtime(s->ended), "source", jstr_or_null(s->source), "fingerprint",
			 jstr_or_null(s->fp));
}

static json_t *host_json(const struct reg_host *h, int64_t now)
{
	json_t *from = json_array();
	char cidrs[sizeof(h->cidrs)], *save = NULL, *c;

	snprintf(cidrs, sizeof(cidrs), "%s", h->cidrs);
	for (c = strtok_r(cidrs, ",", &save); c; c = strtok_r(NULL, ",", &save))
		json_array_append_new(from, json_string(c));
	return json_pack("{s:s,s:I,s:s,s:o,s:o,s:o,s:o,s:i}", "name", h->name, "uid",
			 (json_int_t)h->uid, "state", host_state(h, now), "created",
			 jtime(h->created), "updated", jtime(h->updated), "expires",
			 jtime(h->expires), "from", from, "active_keys", h->nkeys);
}

static json_t *key_json(const struct reg_key *k, int64_t now, bool with_blob)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "fingerprint", k->fp, "type",
			      k->type, "comment", k->comment, "state", key_state(k, now), "created",
			      jtime(k->created), "expires", jtime(k->expires), "revoked",
			      jtime(k->revoked));

	if (j && with_blob)
		json_object_set_new(j, "key", json_string(k->b64));
	return j;
}

/* list */

struct list_ctx {
	struct reg *r;
	json_t *arr;
	int64_t now;
};

static void presence_text(struct reg *r, const char *host, char *buf, size_t len)
{
	struct reg_session s;
	char t[32];

	if (reg_session_last(r, host, &s, NULL) != 0)
		snprintf(buf, len, "never");
	else if (s.ended == 0)
		snprintf(buf, len, "up since %s from %s", admin_time(s.started, t), s.source);
	else
		snprintf(buf, len, "down since %s", admin_time(s.ended, t));
}

static int list_one(const struct reg_host *h, void *vctx)
{
	struct list_ctx *ctx = vctx;
	struct reg_session s;
	char t[32], pres[128];

	if (ctx->arr) {
		json_t *j = host_json(h, ctx->now);
		bool have = reg_session_last(ctx->r, h->name, &s, NULL) == 0;

		json_object_set_new(j, "presence", presence_json(&s, have));
		return json_array_append_new(ctx->arr, j) == 0 ? 0 : RJH_ENOMEM;
	}
	presence_text(ctx->r, h->name, pres, sizeof(pres));
	printf("%-32s %-10u %-8s %4d  %-20s %-18s %s\n", h->name, h->uid, host_state(h, ctx->now),
	       h->nkeys, admin_time(h->expires, t), h->cidrs[0] ? h->cidrs : "any", pres);
	return 0;
}

static int cmd_list(struct admin *a, int argc, char **argv)
{
	bool json = false;
	const struct admin_opt opts[] = {{"json", NULL, &json}, {0}};
	struct list_ctx ctx = {.now = (int64_t)time(NULL)};
	struct rjh_diag d = {""};
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	rc = admin_open_ro(a, &ctx.r);
	if (rc)
		return rc;
	if (json)
		ctx.arr = json_array();
	else
		printf("%-32s %-10s %-8s %4s  %-20s %-18s %s\n", "NAME", "UID", "STATE", "KEYS",
		       "EXPIRES", "FROM", "PRESENCE");
	rc = reg_begin_read(ctx.r, &d);
	if (rc == 0)
		rc = reg_hosts_each(ctx.r, list_one, &ctx, &d);
	reg_end_read(ctx.r);
	reg_close(ctx.r);
	if (rc < 0) {
		json_decref(ctx.arr);
		return admin_fail_diag(a, rc, &d);
	}
	return json ? admin_print_json(json_pack("{s:o}", "hosts", ctx.arr)) : EXIT_OK;
}

/* show */

struct show_ctx {
	json_t *keys, *grants;
	const char *host;
	int64_t now;
};

static int show_key(const struct reg_key *k, void *vctx)
{
	struct show_ctx *ctx = vctx;

	return json_array_append_new(ctx->keys, key_json(k, ctx->now, false)) ? RJH_ENOMEM : 0;
}

static int show_grant(const struct reg_grant *g, void *vctx)
{
	struct show_ctx *ctx = vctx;

	if (fnmatch(g->pattern, ctx->host, 0) != 0)
		return 0;
	return json_array_append_new(ctx->grants, json_pack("{s:s,s:s}", "principal", g->principal,
							    "pattern", g->pattern))
		   ? RJH_ENOMEM
		   : 0;
}

static void show_text(json_t *j)
{
	size_t i;
	json_t *v;

	printf("name:      %s\n", json_string_value(json_object_get(j, "name")));
	printf("uid:       %lld\n", (long long)json_integer_value(json_object_get(j, "uid")));
	printf("state:     %s\n", json_string_value(json_object_get(j, "state")));
	printf("created:   %s\n", json_string_value(json_object_get(j, "created")));
	printf("updated:   %s\n", json_string_value(json_object_get(j, "updated")));
	v = json_object_get(j, "expires");
	printf("expires:   %s\n", json_is_null(v) ? "never" : json_string_value(v));
	printf("from:      ");
	if (json_array_size(json_object_get(j, "from")) == 0)
		printf("any address");
	json_array_foreach(json_object_get(j, "from"), i, v)
	    printf("%s%s", i ? ", " : "", json_string_value(v));
	v = json_object_get(j, "presence");
	if (json_is_true(json_object_get(v, "up")))
		printf("\npresence:  up since %s from %s\n",
		       json_string_value(json_object_get(v, "since")),
		       json_string_value(json_object_get(v, "source")));
	else if (json_object_get(v, "ended"))
		printf("\npresence:  down since %s\n",
		       json_string_value(json_object_get(v, "ended")));
	else
		printf("\npresence:  never connected\n");
	printf("keys:\n");
	json_array_foreach(json_object_get(j, "keys"), i, v)
	{
		json_t *e = json_object_get(v, "expires"), *rv = json_object_get(v, "revoked");

		printf("  %s  %-8s %s  %s%s%s%s%s\n",
		       json_string_value(json_object_get(v, "fingerprint")),
		       json_string_value(json_object_get(v, "state")),
		       json_string_value(json_object_get(v, "type")),
		       json_string_value(json_object_get(v, "comment")),
		       json_is_null(e) ? "" : "  expires ",
		       json_is_null(e) ? "" : json_string_value(e),
		       json_is_null(rv) ? "" : "  revoked ",
		       json_is_null(rv) ? "" : json_string_value(rv));
	}
	printf("grants:\n");
	if (json_array_size(json_object_get(j, "grants")) == 0)
		printf("  (none)\n");
	json_array_foreach(json_object_get(j, "grants"), i, v)
	    printf("  %s via %s\n", json_string_value(json_object_get(v, "principal")),
		   json_string_value(json_object_get(v, "pattern")));
}

static int cmd_show(struct admin *a, int argc, char **argv)
{
	bool json = false;
	const struct admin_opt opts[] = {{"json", NULL, &json}, {0}};
	struct show_ctx ctx = {.now = (int64_t)time(NULL)};
	struct rjh_diag d = {""};
	struct reg_session s;
	struct reg_host h;
	struct reg *r;
	json_t *j = NULL;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 1, 1, &first);
	if (rc >= 0)
		return rc;
	rc = name_check_host(argv[first], &d);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	rc = admin_open_ro(a, &r);
	if (rc)
		return rc;
	ctx.host = argv[first];
	ctx.keys = json_array();
	ctx.grants = json_array();
	rc = reg_begin_read(r, &d);
	if (rc == 0)
		rc = reg_host_get(r, argv[first], &h, &d);
	if (rc == 0)
		rc = reg_keys_each(r, h.id, show_key, &ctx, &d);
	if (rc == 0)
		rc = reg_grants_each(r, show_grant, &ctx, &d);
	if (rc == 0) {
		bool have = reg_session_last(r, h.name, &s, NULL) == 0;

		j = host_json(&h, ctx.now);
		json_object_set_new(j, "presence", presence_json(&s, have));
		json_object_set(j, "keys", ctx.keys);
		json_object_set(j, "grants", ctx.grants);
	}
	reg_end_read(r);
	reg_close(r);
	json_decref(ctx.keys);
	json_decref(ctx.grants);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	if (json)
		return admin_print_json(j);
	show_text(j);
	json_decref(j);
	return EXIT_OK;
}

/* export */

struct export_ctx {
	json_t *hosts, *byid, *grants, *sessions, *events;
	int64_t now;
};

static int export_host(const struct reg_host *h, void *vctx)
{
	struct export_ctx *ctx = vctx;
	json_t *j = host_json(h, ctx->now);
	char id[24];

	json_object_set_new(j, "keys", json_array());
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
	return h && !json_array_append_new(json_object_get(h, "keys"), key_json(k, ctx->now, true))
		   ? 0
		   : RJH_ENOMEM;
}

static int export_grant(const struct reg_grant *g, void *vctx)
{
	struct export_ctx *ctx = vctx;

	return json_array_append_new(ctx->grants,
				     json_pack("{s:s,s:s,s:o}", "principal", g->principal,
					       "pattern", g->pattern, "created", jtime(g->created)))
		   ? RJH_ENOMEM
		   : 0;
}

static int export_session(const struct reg_session *s, void *vctx)
{
	struct export_ctx *ctx = vctx;

	return json_array_append_new(
		   ctx->sessions, json_pack("{s:s,s:o,s:o,s:I,s:o,s:o}", "host", s->host,
					    "fingerprint", jstr_or_null(s->fp), "source",
					    jstr_or_null(s->source), "sshd_pid", (json_int_t)s->pid,
					    "started", jtime(s->started), "ended", jtime(s->ended)))
		   ? RJH_ENOMEM
		   : 0;
}

static int export_event(const struct reg_event *e, void *vctx)
{
	struct export_ctx *ctx = vctx;

	return json_array_append_new(
		   ctx->events,
		   json_pack(
		       "{s:o,s:s,s:s,s:I,s:o,s:o,s:o,s:s,s:o}", "time", jtime(e->time), "type",
		       e->type, "op", e->op, "actor_uid", (json_int_t)e->actor_uid, "actor_auid",
		       e->actor_auid == (uint32_t)-1 ? json_null() : json_integer(e->actor_auid),
		       "host", jstr_or_null(e->host), "fingerprint", jstr_or_null(e->fp), "result",
		       e->success ? "success" : "failed", "detail", jstr_or_null(e->detail)))
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

const struct admin_cmd admin_cmd_list = {"list", cmd_list, "[--json]",
					 "List every host with its state, keys and presence",
					 "Options:\n"
					 "  --json   stable machine output: {\"hosts\": [...]}\n"};

const struct admin_cmd admin_cmd_show = {
    "show", cmd_show, "NAME [--json]",
    "Show one host: keys with fingerprints, state, expiry, grants, presence",
    "Options:\n"
    "  --json   stable machine output\n\n"
    "Grants are those whose pattern matches NAME.\n"};

const struct admin_cmd admin_cmd_export = {
    "export", cmd_export, "--json", "Print the whole registry as JSON",
    "Prints settings, hosts with their keys, grants, sessions and events.\n"
    "JSON is the only format; --json may be given for clarity.\n"};
