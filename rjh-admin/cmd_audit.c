/*
 * rjh-admin audit: the registry's mirror of every audit record rjh wrote
 * (tunnels up and down, client connections with their bytes, refusals,
 * admin changes), filtered by host, user and time.
 */
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "key.h"
#include "name.h"
#include "util.h"

/* uid -> name, remembered: 100,000 events have few distinct actors. */
#define NAME_CACHE 64

struct name_cache {
	struct {
		uint32_t uid;
		bool known;
		char name[NAME_HOST_SIZE];
	} v[NAME_CACHE];
	int n, next;
};

struct audit_ctx {
	json_t *arr; /* NULL: text */
	struct name_cache names;
};

/* The account name of uid, or NULL when it has none (e.g. a removed user). */
static const char *uid_name(struct name_cache *c, uint32_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int i;

	for (i = 0; i < c->n; i++) {
		if (c->v[i].uid == uid)
			return c->v[i].known ? c->v[i].name : NULL;
	}
	if (c->n < NAME_CACHE) {
		i = c->n++;
	} else {
		i = c->next;
		c->next = (c->next + 1) % NAME_CACHE;
	}
	c->v[i].uid = uid;
	c->v[i].known = getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res &&
			strlen(res->pw_name) < sizeof(c->v[i].name);
	if (c->v[i].known)
		snprintf(c->v[i].name, sizeof(c->v[i].name), "%s", res->pw_name);
	return c->v[i].known ? c->v[i].name : NULL;
}

/*
 * --since: YYYY-MM-DD (the start of that day, UTC), YYYY-MM-DDTHH:MM[:SS]Z,
 * or an age before now: digits and one of s, m, h, d, w (30m, 12h, 7d).
 */
static int parse_since(const char *s, int64_t now, int64_t *out, struct rjh_diag *d)
{
	int64_t age;
	char safe[48];

	if (util_parse_age(s, &age) == 0) {
		*out = now - age;
		if (*out < 0)
			*out = 0;
		return RJH_OK;
	}
	if (util_parse_time(s, out, NULL) == 0) {
		/* util_parse_time reads a bare date as its end, which suits --expires only. */
		if (strlen(s) == 10)
			*out -= 86399;
		return RJH_OK;
	}
	return diag_set(d, RJH_EINVAL,
			"--since: invalid time '%s' (use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]Z in "
			"UTC, or an age such as 30m, 12h, 7d, 2w)",
			util_safe(s, safe, 40));
}

/* --user: a user name, or a numeric uid (e.g. of an account removed since). */
static int parse_user(const char *s, int64_t *uid_out, struct rjh_diag *d)
{
	struct passwd pw, *res = NULL;
	char buf[4096], safe[48];
	uint32_t uid;

	if (util_parse_u32(s, &uid) == 0) {
		*uid_out = uid;
		return RJH_OK;
	}
	if (!name_is_account(s))
		return diag_set(d, RJH_EINVAL, "--user: '%s' is neither a user name nor a uid",
				util_safe(s, safe, 40));
	if (getpwnam_r(s, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return diag_set(d, RJH_ENOENT,
				"--user: no user %s on this machine (give the uid of an account "
				"removed since)",
				s);
	*uid_out = res->pw_uid;
	return RJH_OK;
}

/*
 * The key=value tokens of a detail as strings, a value in double quotes
 * without them (audit_encode_nv_string quotes: reason="not-granted"); other
 * tokens are left out. (audit hex-encodes a value with spaces.)
 */
static json_t *detail_fields(const char *detail)
{
	json_t *o = json_object();
	const char *p = detail ? detail : "";

	while (o && *p) {
		size_t klen, vlen;
		const char *v;
		char key[64];

		p += strspn(p, " ");
		klen = strcspn(p, "= ");
		if (p[klen] != '=' || klen == 0 || klen >= sizeof(key)) {
			p += strcspn(p, " ");
			continue;
		}
		memcpy(key, p, klen);
		key[klen] = '\0';
		v = p + klen + 1;
		if (*v == '"' && strchr(v + 1, '"')) {
			vlen = (size_t)(strchr(v + 1, '"') - (v + 1));
			p = v + vlen + 2;
			v++;
		} else {
			vlen = strcspn(v, " ");
			p = v + vlen;
		}
		json_object_set_new(o, key, json_stringn(v, vlen));
	}
	return o;
}

static json_t *event_json(struct audit_ctx *ctx, const struct reg_event *e)
{
	bool auid = e->actor_auid != (uint32_t)-1;
	const char *login = auid ? uid_name(&ctx->names, e->actor_auid) : NULL;

	return json_pack("{s:o,s:s?,s:s?,s:s,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "time",
			 admin_json_time(e->time), "type", e->type, "op", e->op, "result",
			 e->success ? "success" : "failed", "host", admin_json_str(e->host),
			 "actor_uid", (json_int_t)e->actor_uid, "actor",
			 admin_json_str(uid_name(&ctx->names, e->actor_uid)), "actor_auid",
			 auid ? json_integer(e->actor_auid) : json_null(), "actor_login",
			 admin_json_str(login), "fingerprint", admin_json_str(e->fp), "detail",
			 admin_json_str(e->detail), "fields", detail_fields(e->detail));
}

/* "alice", "root(auid=alice)" when the login uid differs, or the bare uid without a name. */
static void actor_text(struct audit_ctx *ctx, const struct reg_event *e, char *buf, size_t len)
{
	const char *who = uid_name(&ctx->names, e->actor_uid), *login;
	int n = who ? snprintf(buf, len, "%s", who) : snprintf(buf, len, "%u", e->actor_uid);

	if (e->actor_auid == (uint32_t)-1 || e->actor_auid == e->actor_uid || n < 0 ||
	    (size_t)n >= len)
		return;
	login = uid_name(&ctx->names, e->actor_auid);
	if (login)
		snprintf(buf + n, len - (size_t)n, "(auid=%s)", login);
	else
		snprintf(buf + n, len - (size_t)n, "(auid=%u)", e->actor_auid);
}

/* Every text field is made printable: rows come from several writers. */
static int audit_one(const struct reg_event *e, void *vctx)
{
	struct audit_ctx *ctx = vctx;
	char t[32], type[24], op[40], host[40], actor[80], fp[KEY_FP_LEN], detail[1024];

	if (ctx->arr)
		return json_array_append_new(ctx->arr, event_json(ctx, e)) ? RJH_ENOMEM : 0;
	actor_text(ctx, e, actor, sizeof(actor));
	printf("%-20s %-10s %-16s %-7s %-20s %-16s %-50s %s\n", admin_time(e->time, t),
	       util_safe(e->type ? e->type : "-", type, sizeof(type)),
	       util_safe(e->op ? e->op : "-", op, sizeof(op)), e->success ? "success" : "failed",
	       util_safe(e->host ? e->host : "-", host, sizeof(host)), actor,
	       util_safe(e->fp ? e->fp : "-", fp, sizeof(fp)),
	       util_safe(e->detail ? e->detail : "-", detail, sizeof(detail)));
	return 0;
}

static int cmd_audit(struct admin *a, int argc, char **argv)
{
	const char *host = NULL, *user = NULL, *since = NULL;
	bool json = false;
	const struct admin_opt opts[] = {{"host", &host, NULL},
					 {"user", &user, NULL},
					 {"since", &since, NULL},
					 {"json", NULL, &json},
					 {0}};
	struct reg_event_filter f = {.host = NULL, .uid = -1, .since = 0};
	struct audit_ctx *ctx;
	struct rjh_diag d = {""};
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	if (host && name_check_host(host, &d) < 0)
		return admin_fail(a, RJH_EINVAL, "--host: %s", d.msg);
	f.host = host;
	if (user && (rc = parse_user(user, &f.uid, &d)) < 0)
		return admin_fail_diag(a, rc, &d);
	if (since && (rc = parse_since(since, (int64_t)time(NULL), &f.since, &d)) < 0)
		return admin_fail_diag(a, rc, &d);
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return admin_fail(a, RJH_ENOMEM, "out of memory");
	admin_drain_spool(a);
	rc = admin_open_ro(a, &r);
	if (rc) {
		free(ctx);
		return rc;
	}
	if (json)
		ctx->arr = json_array();
	else
		printf("%-20s %-10s %-16s %-7s %-20s %-16s %-50s %s\n", "TIME", "TYPE", "OP",
		       "RESULT", "HOST", "ACTOR", "FINGERPRINT", "DETAIL");
	rc = reg_begin_read(r, &d);
	if (rc == 0)
		rc = reg_events_find(r, &f, audit_one, ctx, &d);
	reg_end_read(r);
	reg_close(r);
	if (rc < 0) {
		json_decref(ctx->arr);
		free(ctx);
		return rc == RJH_ENOMEM && !d.msg[0] ? admin_fail(a, rc, "out of memory")
						     : admin_fail_diag(a, rc, &d);
	}
	rc = json ? admin_print_json(json_pack("{s:o}", "events", ctx->arr)) : EXIT_OK;
	free(ctx);
	return rc;
}

const struct admin_cmd admin_cmd_audit = {
    "audit", cmd_audit, "[--host NAME] [--user USER] [--since TIME] [--json]",
    "Show the audit trail: tunnels, connections, refusals, admin changes",
    "Options:\n"
    "  --host NAME    events about this host (enrolled or not any more)\n"
    "  --user USER    events whose actor is USER (a name, or a uid): its uid or its\n"
    "                 login uid (auid), so changes made through sudo count too\n"
    "  --since TIME   events from TIME on: YYYY-MM-DD (the start of that day, UTC),\n"
    "                 YYYY-MM-DDTHH:MM[:SS]Z, or an age: 30m, 12h, 7d, 2w\n"
    "  --json         stable machine output: {\"events\": [...]}\n\n"
    "Oldest first, one line per event: TIME, TYPE (the audit record type), OP\n"
    "(rjh-tunnel: a host's tunnel session, rjh-connect: a client's connection,\n"
    "rjh-login: a refused host login, rjh-enroll and the other admin changes),\n"
    "RESULT, HOST, ACTOR (user name, and the login user when it differs),\n"
    "FINGERPRINT and DETAIL (key=value: addr=, socket=, bytes_to_host=,\n"
    "bytes_from_host=, reason=, ...). The events come from the registry's\n"
    "events table, which mirrors every kernel audit record rjh sends.\n"};
