/* rjh-admin list and show: reading the registry, for people and for scripts. */
#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "key.h"
#include "name.h"
#include "policy.h"
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
		json_t *j = admin_host_json(h, ctx->now);

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
	json_t *keys, *host_keys, *grants, *sessions, *certs;
	const char *host;
	int64_t now;
};

/* One session of a host's history (export adds the host). */
static json_t *session_json(const struct reg_session *s)
{
	return json_pack(
	    "{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "started", admin_json_time(s->started), "ended",
	    admin_json_time(s->ended), "end_reason", admin_json_str(s->end_reason), "source",
	    admin_json_str(s->source), "fingerprint", admin_json_str(s->fp), "sshd_pid",
	    s->pid ? json_integer(s->pid) : json_null(), "certificate", admin_json_str(s->cert));
}

static int show_session(const struct reg_session *s, void *vctx)
{
	struct show_ctx *ctx = vctx;

	return json_array_append_new(ctx->sessions, session_json(s)) ? RJH_ENOMEM : 0;
}

static int show_key(const struct reg_key *k, void *vctx)
{
	struct show_ctx *ctx = vctx;

	return json_array_append_new(ctx->keys, admin_key_json(k, ctx->now, false)) ? RJH_ENOMEM
										    : 0;
}

static int show_cert(const struct reg_cert *c, void *vctx)
{
	struct show_ctx *ctx = vctx;

	return json_array_append_new(
		   ctx->certs,
		   json_pack("{s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "serial", (json_int_t)c->serial,
			     "ca", c->ca_fp, "key_id", admin_json_str(c->key_id), "fingerprint",
			     admin_json_str(c->key_fp), "issued", admin_json_time(c->issued),
			     "valid_after", admin_json_time(c->valid_after), "valid_before",
			     admin_json_time(c->valid_before), "revoked",
			     admin_json_time(c->revoked)))
		   ? RJH_ENOMEM
		   : 0;
}

static int show_host_key(const struct reg_host_key *k, void *vctx)
{
	struct show_ctx *ctx = vctx;

	return json_array_append_new(ctx->host_keys, admin_host_key_json(k, false)) ? RJH_ENOMEM
										    : 0;
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
	char src[64], fp[KEY_FP_LEN], why[16], pid[24], cert[REG_CERT_DESC_SIZE];
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
		if (json_is_string(json_object_get(v, "certificate")))
			printf("    certificate %s\n",
			       text_or_dash(json_object_get(v, "certificate"), cert, sizeof(cert)));
	}
}

/* "from:      10.0.0.0/8, 192.0.2.0/24": field f as admin_host_json gave it (v). */
static void show_policy(const struct reg_host_field *f, json_t *v)
{
	char label[32];
	json_t *e;
	size_t i;

	snprintf(label, sizeof(label), "%s:", f->opt);
	printf("%-10s %s", label, json_is_string(v) ? json_string_value(v) : "");
	if (json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0))
		printf("%s", f->unset);
	json_array_foreach(v, i, e) printf("%s%s", i ? ", " : "", json_string_value(e));
	printf("\n");
}

static void show_text(json_t *j)
{
	json_int_t n;
	size_t i;
	json_t *v;
	int f;

	printf("name:      %s\n", json_string_value(json_object_get(j, "name")));
	printf("uid:       %lld\n", (long long)json_integer_value(json_object_get(j, "uid")));
	printf("state:     %s\n", json_string_value(json_object_get(j, "state")));
	printf("created:   %s\n", json_string_value(json_object_get(j, "created")));
	printf("updated:   %s\n", json_string_value(json_object_get(j, "updated")));
	for (f = 0; f < REG_HOST_NPOLICY; f++)
		show_policy(&reg_host_fields[f], json_object_get(j, reg_host_fields[f].opt));
	v = json_object_get(j, "presence");
	printf("presence:  %s", json_string_value(json_object_get(v, "state")));
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
	if (json_object_get(j, "certificates")) {
		printf("certificates: issued here or revoked, newest first\n");
		if (json_array_size(json_object_get(j, "certificates")) == 0)
			printf("  (none)\n");
	}
	json_array_foreach(json_object_get(j, "certificates"), i, v)
	{
		json_t *rv = json_object_get(v, "revoked"),
		       *vb = json_object_get(v, "valid_before");

		printf("  serial %lld  %s  %s%s%s%s\n",
		       (long long)json_integer_value(json_object_get(v, "serial")),
		       json_string_value(json_object_get(v, "ca")),
		       json_is_null(vb) ? "" : "valid until ",
		       json_is_null(vb) ? "" : json_string_value(vb),
		       json_is_null(rv) ? "" : "  revoked ",
		       json_is_null(rv) ? "" : json_string_value(rv));
	}
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
	ctx.certs = admin_store_is_pg(a) ? NULL : json_array();
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
	/* Certificates are the SQLite registry's alone for now. */
	if (rc == 0 && ctx.certs)
		rc = reg_certs_each(r, h.name, show_cert, &ctx, &d);
	if (rc == 0) {
		bool have = reg_session_last(r, h.name, &s, NULL) == 0;
		struct admin_tunnels t, *tp = tunnels_open(a, &t);
		const char *state = tunnel_state(tp, h.name, &s, have);

		j = admin_host_json(&h, ctx.now);
		json_object_set_new(
		    j, "presence",
		    presence_json(state, unexpected_of(tp, h.name, state), &s, have));
		if (tp)
			admin_tunnels_close(tp);
		json_object_set(j, "keys", ctx.keys);
		json_object_set(j, "host_keys", ctx.host_keys);
		json_object_set(j, "grants", ctx.grants);
		json_object_set(j, "sessions", ctx.sessions);
		if (ctx.certs)
			json_object_set(j, "certificates", ctx.certs);
	}
	reg_end_read(r);
	reg_close(r);
	json_decref(ctx.keys);
	json_decref(ctx.host_keys);
	json_decref(ctx.grants);
	json_decref(ctx.sessions);
	json_decref(ctx.certs);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	if (json)
		return admin_print_json(j);
	show_text(j);
	json_decref(j);
	return EXIT_OK;
}

const struct admin_cmd admin_cmd_list = {"list",
					 cmd_list,
					 "[--json]",
					 "List every host with its state, keys and presence",
					 "Options:\n"
					 "  --json   stable machine output: {\"hosts\": [...]}\n",
					 ADMIN_POLICY_NONE};

const struct admin_cmd admin_cmd_show = {
    "show",
    cmd_show,
    "NAME [--json]",
    "Show one host: keys with fingerprints, state, expiry, grants, presence",
    "Options:\n"
    "  --json   stable machine output\n\n"
    "Host keys are the host's own sshd host keys (set-host-key). Grants are\n"
    "those whose pattern matches NAME. Sessions are the host's last 20 tunnel\n"
    "sessions, newest first, as pam_rjh recorded them (with the certificate a\n"
    "session logged in with); certificates are those rjh-admin sign issued for\n"
    "NAME and the serials revoked for it.\n",
    ADMIN_POLICY_NONE};
