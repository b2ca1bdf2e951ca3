/* rjh-admin list, show, export: reading the registry, for people and for scripts. */
#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "key.h"
#include "name.h"
#include "util.h"

/* How many of a host's sessions show lists, newest first. */
#define SHOW_HISTORY 20

/*
 * The kernel's word on a host's tunnel ("up", "down", "stale"), as status
 * gives it, or "unknown" without t (not root: the socket directories are
 * the hosts' own).
 */
static const char *tunnel_state(const struct admin_tunnels *t, const char *name,
				const struct reg_session *s, bool have)
{
	return t ? admin_tunnel_state(t, name, have ? s : NULL) : "unknown";
}

/* Opens the kernel's view for list and show when root; NULL otherwise. */
static struct admin_tunnels *tunnels_open(struct admin *a, struct admin_tunnels *t)
{
	struct rjh_diag d = {""};

	return geteuid() == 0 && admin_tunnels_open(a, t, &d) == 0 ? t : NULL;
}

/*
 * state, the entries left in the host's directories (unexpected, -1:
 * unknown), and the newest session: since (started), ended, source, fingerprint.
 */
static json_t *presence_json(const char *state, int unexpected, const struct reg_session *s,
			     bool have)
{
	if (!have)
		return json_pack("{s:s,s:b,s:o}", "state", state, "up", strcmp(state, "up") == 0,
				 "unexpected_entries", admin_json_count(unexpected));
	return json_pack("{s:s,s:b,s:o,s:o,s:o,s:o,s:o}", "state", state, "up",
			 strcmp(state, "up") == 0, "unexpected_entries",
			 admin_json_count(unexpected), "since", admin_json_time(s->started),
			 "ended", admin_json_time(s->ended), "source", admin_json_str(s->source),
			 "fingerprint", admin_json_str(s->fp));
}

/* What a host left in its runtime directories, as status counts it; -1 without t. */
static int unexpected_of(const struct admin_tunnels *t, const char *name, const char *state)
{
	return t ? admin_tunnel_unexpected(t, name, state) : -1;
}

static json_t *host_json(const struct reg_host *h, int64_t now)
{
	json_t *from = json_array();
	char cidrs[sizeof(h->cidrs)], *save = NULL, *c;

	snprintf(cidrs, sizeof(cidrs), "%s", h->cidrs);
	for (c = strtok_r(cidrs, ",", &save); c; c = strtok_r(NULL, ",", &save))
		json_array_append_new(from, json_string(c));
	return json_pack("{s:s,s:I,s:s,s:o,s:o,s:o,s:o,s:i}", "name", h->name, "uid",
			 (json_int_t)h->uid, "state", admin_host_state(h, now), "created",
			 admin_json_time(h->created), "updated", admin_json_time(h->updated),
			 "expires", admin_json_time(h->expires), "from", from, "active_keys",
			 h->nkeys);
}

static json_t *key_json(const struct reg_key *k, int64_t now, bool with_blob)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "fingerprint", k->fp, "type",
			      k->type, "comment", k->comment, "state", admin_key_state(k, now),
			      "created", admin_json_time(k->created), "expires",
			      admin_json_time(k->expires), "revoked", admin_json_time(k->revoked));

	if (j && with_blob)
		json_object_set_new(j, "key", json_string(k->b64));
	return j;
}

/* One of a host's sshd host keys; export adds the key itself. */
static json_t *host_key_json(const struct reg_host_key *k, bool with_blob)
{
	json_t *j = json_pack("{s:s,s:s,s:o}", "fingerprint", k->fp, "type", k->type, "created",
			      admin_json_time(k->created));

	if (j && with_blob)
		json_object_set_new(j, "key", json_string(k->b64));
	return j;
}

/* list */

struct list_ctx {
	const struct admin_tunnels *tunnels; /* NULL: presence unknown */
	struct reg *r;
	json_t *arr;
	int64_t now;
};

static void presence_text(const char *state, const struct reg_session *s, bool have, char *buf,
			  size_t len)
{
	char t[32], src[64];

	if (!have)
		snprintf(buf, len, "%s, never connected", state);
	else if (s->ended == 0)
		snprintf(buf, len, "%s, session since %s from %s", state, admin_time(s->started, t),
			 util_safe(s->source, src, sizeof(src)));
	else
		snprintf(buf, len, "%s since %s", state, admin_time(s->ended, t));
}

static int list_one(const struct reg_host *h, void *vctx)
{
	struct list_ctx *ctx = vctx;
	struct reg_session s;
	char t[32], pres[160];
	bool have = reg_session_last(ctx->r, h->name, &s, NULL) == 0;
	const char *state = tunnel_state(ctx->tunnels, h->name, &s, have);

	if (ctx->arr) {
		json_t *j = host_json(h, ctx->now);

		json_object_set_new(
		    j, "presence",
		    presence_json(state, unexpected_of(ctx->tunnels, h->name, state), &s, have));
		return json_array_append_new(ctx->arr, j) == 0 ? 0 : RJH_ENOMEM;
	}
	presence_text(state, &s, have, pres, sizeof(pres));
	printf("%-32s %-10u %-8s %4d  %-20s %-18s %s\n", h->name, h->uid,
	       admin_host_state(h, ctx->now), h->nkeys, admin_time(h->expires, t),
	       h->cidrs[0] ? h->cidrs : "any", pres);
	return 0;
}

static int cmd_list(struct admin *a, int argc, char **argv)
{
	bool json = false;
	const struct admin_opt opts[] = {{"json", NULL, &json}, {0}};
	struct list_ctx ctx = {.now = (int64_t)time(NULL)};
	struct admin_tunnels t;
	struct rjh_diag d = {""};
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	rc = admin_open_ro(a, &ctx.r);
	if (rc)
		return rc;
	ctx.tunnels = tunnels_open(a, &t);
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
	if (ctx.tunnels)
		admin_tunnels_close(&t);
	if (rc < 0) {
		json_decref(ctx.arr);
		return admin_fail_diag(a, rc, &d);
	}
	return json ? admin_print_json(json_pack("{s:o}", "hosts", ctx.arr)) : EXIT_OK;
}

/* show */

struct show_ctx {
	json_t *keys, *host_keys, *grants, *sessions;
	const char *host;
	int64_t now;
};

/* One session of a host's history (export adds the host). */
static json_t *session_json(const struct reg_session *s)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "started", admin_json_time(s->started),
			 "ended", admin_json_time(s->ended), "end_reason",
			 admin_json_str(s->end_reason), "source", admin_json_str(s->source),
			 "fingerprint", admin_json_str(s->fp), "sshd_pid",
			 s->pid ? json_integer(s->pid) : json_null());
}

static int show_session(const struct reg_session *s, void *vctx)
{
	struct show_ctx *ctx = vctx;

	return json_array_append_new(ctx->sessions, session_json(s)) ? RJH_ENOMEM : 0;
}

static int show_key(const struct reg_key *k, void *vctx)
{
	struct show_ctx *ctx = vctx;

	return json_array_append_new(ctx->keys, key_json(k, ctx->now, false)) ? RJH_ENOMEM : 0;
}

static int show_host_key(const struct reg_host_key *k, void *vctx)
{
	struct show_ctx *ctx = vctx;

	return json_array_append_new(ctx->host_keys, host_key_json(k, false)) ? RJH_ENOMEM : 0;
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

/* A JSON string or "-" for null; untrusted text made printable in buf. */
static const char *text_or_dash(json_t *v, char *buf, size_t len)
{
	return json_is_string(v) ? util_safe(json_string_value(v), buf, len) : "-";
}

/* The history: started, ended, why, from, key, sshd pid; "open" while not ended. */
static void show_sessions_text(json_t *sessions)
{
	char src[64], fp[KEY_FP_LEN], why[16], pid[24];
	size_t i;
	json_t *v;

	printf("sessions:  newest first, at most %d\n", SHOW_HISTORY);
	if (json_array_size(sessions) == 0)
		printf("  (none)\n");
	json_array_foreach(sessions, i, v)
	{
		json_t *ended = json_object_get(v, "ended"), *p = json_object_get(v, "sshd_pid");

		snprintf(pid, sizeof(pid), "%lld", (long long)json_integer_value(p));
		printf("  %-20s  %-20s  %-6s  %-15s  %s  sshd %s\n",
		       json_string_value(json_object_get(v, "started")),
		       json_is_null(ended) ? "-" : json_string_value(ended),
		       json_is_null(ended)
			   ? "open"
			   : text_or_dash(json_object_get(v, "end_reason"), why, sizeof(why)),
		       text_or_dash(json_object_get(v, "source"), src, sizeof(src)),
		       text_or_dash(json_object_get(v, "fingerprint"), fp, sizeof(fp)),
		       json_is_null(p) ? "-" : pid);
	}
}

static void show_text(json_t *j)
{
	json_int_t n;
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
	printf("\npresence:  %s", json_string_value(json_object_get(v, "state")));
	if (!json_object_get(v, "since"))
		printf(", never connected\n");
	else if (json_is_null(json_object_get(v, "ended")))
		printf(", session since %s from %s\n",
		       json_string_value(json_object_get(v, "since")),
		       json_string_value(json_object_get(v, "source")));
	else
		printf(" since %s\n", json_string_value(json_object_get(v, "ended")));
	n = json_integer_value(json_object_get(v, "unexpected_entries"));
	if (n > 0)
		printf("           %lld unexpected entr%s in its runtime directory "
		       "('rjh-admin runtime' removes them)\n",
		       (long long)n, n == 1 ? "y" : "ies");
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
	printf("host keys: for clients' known_hosts\n");
	if (json_array_size(json_object_get(j, "host_keys")) == 0)
		printf("  (none recorded)\n");
	json_array_foreach(json_object_get(j, "host_keys"), i, v)
	    printf("  %s  %s  recorded %s\n", json_string_value(json_object_get(v, "fingerprint")),
		   json_string_value(json_object_get(v, "type")),
		   json_string_value(json_object_get(v, "created")));
	printf("grants:\n");
	if (json_array_size(json_object_get(j, "grants")) == 0)
		printf("  (none)\n");
	json_array_foreach(json_object_get(j, "grants"), i, v)
	    printf("  %s via %s\n", json_string_value(json_object_get(v, "principal")),
		   json_string_value(json_object_get(v, "pattern")));
	show_sessions_text(json_object_get(j, "sessions"));
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
	ctx.host_keys = json_array();
	ctx.grants = json_array();
	ctx.sessions = json_array();
	rc = reg_begin_read(r, &d);
	if (rc == 0)
		rc = reg_host_get(r, argv[first], &h, &d);
	if (rc == 0)
		rc = reg_keys_each(r, h.id, show_key, &ctx, &d);
	if (rc == 0)
		rc = reg_host_keys_each(r, h.id, show_host_key, &ctx, &d);
	if (rc == 0)
		rc = reg_grants_each(r, show_grant, &ctx, &d);
	if (rc == 0)
		rc = reg_sessions_host_each(r, h.name, false, SHOW_HISTORY, show_session, &ctx, &d);
	if (rc == 0) {
		bool have = reg_session_last(r, h.name, &s, NULL) == 0;
		struct admin_tunnels t, *tp = tunnels_open(a, &t);
		const char *state = tunnel_state(tp, h.name, &s, have);

		j = host_json(&h, ctx.now);
		json_object_set_new(
		    j, "presence",
		    presence_json(state, unexpected_of(tp, h.name, state), &s, have));
		if (tp)
			admin_tunnels_close(tp);
		json_object_set(j, "keys", ctx.keys);
		json_object_set(j, "host_keys", ctx.host_keys);
		json_object_set(j, "grants", ctx.grants);
		json_object_set(j, "sessions", ctx.sessions);
	}
	reg_end_read(r);
	reg_close(r);
	json_decref(ctx.keys);
	json_decref(ctx.host_keys);
	json_decref(ctx.grants);
	json_decref(ctx.sessions);
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
	return h && !json_array_append_new(json_object_get(h, "keys"), key_json(k, ctx->now, true))
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
	return h && !json_array_append_new(json_object_get(h, "host_keys"), host_key_json(k, true))
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

const struct admin_cmd admin_cmd_list = {"list", cmd_list, "[--json]",
					 "List every host with its state, keys and presence",
					 "Options:\n"
					 "  --json   stable machine output: {\"hosts\": [...]}\n"};

const struct admin_cmd admin_cmd_show = {
    "show", cmd_show, "NAME [--json]",
    "Show one host: keys with fingerprints, state, expiry, grants, presence",
    "Options:\n"
    "  --json   stable machine output\n\n"
    "Host keys are the host's own sshd host keys (set-host-key). Grants are\n"
    "those whose pattern matches NAME. Sessions are the host's last 20 tunnel\n"
    "sessions, newest first, as pam_rjh recorded them.\n"};

const struct admin_cmd admin_cmd_export = {
    "export", cmd_export, "--json", "Print the whole registry as JSON",
    "Prints settings, hosts with their keys and host keys, grants, sessions and\n"
    "events.\n"
    "JSON is the only format; --json may be given for clarity.\n"};
