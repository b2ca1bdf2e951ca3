/*
 * rjh-admin status: whose tunnel is up right now. The kernel decides (is a
 * process listening on the host's socket?); the sessions table that pam_rjh
 * keeps adds since when, from where and with which key.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "name.h"
#include "presence.h"
#include "util.h"

/* One host as the registry showed it, copied out so that the read transaction stays short. */
struct status_row {
	char name[NAME_HOST_SIZE];
	const char *account; /* admin_host_state */
	bool have;           /* s is the host's newest session */
	struct reg_session s;
	char held[256]; /* the jumphosts that reported its tunnel, "a,b" (store = postgresql) */
};

struct status_rows {
	struct status_row *v;
	size_t n, cap;
	int64_t now;
	bool fleet;    /* store = postgresql: held says which jumphosts hold each tunnel */
	bool sorted;   /* v is sorted by name (every host), else in the order asked */
	char node[64]; /* this jumphost, whose own kernel has the last word about it */
};

/* What one line reports. */
struct status_view {
	const char *state;           /* "up", "down" or "stale" */
	const struct reg_session *s; /* the session FROM and KEY describe, or NULL */
	int64_t since, last_seen;    /* 0: unknown */
	int64_t pid;                 /* the sshd of the open session, 0: none */
	int unexpected;              /* entries the host left in its directories, -1: unknown */
	char held[256];              /* store = postgresql: the jumphosts holding it, "a,b" */
};

static int add_row(const struct reg_host *h, const struct reg_session *s, void *vctx)
{
	struct status_rows *rows = vctx;
	struct status_row *row;

	if (util_grow(&rows->v, &rows->cap, rows->n + 1, sizeof(*rows->v), 256) < 0)
		return RJH_ENOMEM;
	row = &rows->v[rows->n++];
	snprintf(row->name, sizeof(row->name), "%s", h->name);
	row->account = admin_host_state(h, rows->now);
	row->have = s != NULL;
	if (s)
		row->s = *s;
	return RJH_OK;
}

/* The named hosts, in the order given; RJH_ENOENT names the first one not enrolled. */
static int read_named(struct reg *r, char **names, int n, struct status_rows *rows,
		      struct rjh_diag *d)
{
	struct reg_session s;
	struct reg_host h;
	int i, rc;

	for (i = 0; i < n; i++) {
		rc = reg_host_get(r, names[i], &h, d);
		if (rc < 0)
			return rc;
		rc = reg_session_last(r, h.name, &s, d);
		if (rc < 0 && rc != RJH_ENOENT)
			return rc;
		rc = add_row(&h, rc == 0 ? &s : NULL, rows);
		if (rc < 0)
			return rc;
	}
	return RJH_OK;
}

static int cmp_name(const void *x, const void *y)
{
	return strcmp(((const struct status_row *)x)->name, ((const struct status_row *)y)->name);
}

static int cmp_row(const void *key, const void *row)
{
	return strcmp(key, ((const struct status_row *)row)->name);
}

/* Adds jumphost to the held list of host's row (if one is shown); a list too long ends in "...". */
static int held_row(const char *host, const char *jumphost, int64_t since, void *vctx)
{
	struct status_rows *rows = vctx;
	struct status_row *row = NULL;
	size_t i, at;

	(void)since;
	if (rows->sorted)
		row = bsearch(host, rows->v, rows->n, sizeof(*rows->v), cmp_row);
	for (i = 0; !rows->sorted && !row && i < rows->n; i++)
		if (!strcmp(rows->v[i].name, host))
			row = &rows->v[i];
	if (!row || !admin_is_dial_name(jumphost, 63))
		return 0;
	at = strlen(row->held);
	if (at + strlen(jumphost) + 2 >= sizeof(row->held)) {
		if (!strstr(row->held, "..."))
			snprintf(row->held + at, sizeof(row->held) - at, ",...");
		return 0;
	}
	snprintf(row->held + at, sizeof(row->held) - at, "%s%s", at ? "," : "", jumphost);
	return 0;
}

/* Reads every host (n == 0) or the named ones, in one read transaction. */
static int read_rows(struct admin *a, char **names, int n, struct status_rows *rows)
{
	struct rjh_diag d = {""};
	struct reg *r;
	int rc;

	rc = admin_open_ro(a, &r);
	if (rc)
		return rc;
	rc = reg_begin_read(r, &d);
	if (rc == 0 && n > 0)
		rc = read_named(r, names, n, rows, &d);
	else if (rc == 0)
		rc = reg_presence_each(r, add_row, rows, &d);
	/* By strcmp, whatever PostgreSQL's collation: held_row's bsearch needs that order. */
	if (rc == 0 && n == 0)
		qsort(rows->v, rows->n, sizeof(*rows->v), cmp_name);
	rows->sorted = n == 0;
	if (rc == 0 && rows->fleet)
		rc = reg_pg_held_each(r, a->cfg.presence_ttl, held_row, rows, &d);
	reg_end_read(r);
	reg_close(r);
	return rc < 0 ? admin_fail_diag(a, rc, &d) : EXIT_OK;
}

/*
 * Several jumphosts: the ones that reported the host's tunnel, except that
 * this jumphost's own kernel, asked just now, has the last word about it.
 */
static void fleet_held(const struct status_rows *rows, const struct status_row *row, bool up_here,
		       char *out, size_t len)
{
	char copy[sizeof(row->held)], *rest = copy, *tok;
	size_t at = 0;

	snprintf(copy, sizeof(copy), "%s", row->held);
	out[0] = '\0';
	if (up_here)
		at += (size_t)snprintf(out, len, "%s", rows->node);
	while ((tok = strsep(&rest, ",")) != NULL && at < len) {
		if (!*tok || !strcmp(tok, rows->node))
			continue;
		at += (size_t)snprintf(out + at, len - at, "%s%s", at ? "," : "", tok);
	}
}

/*
 * SINCE, FROM and KEY are the newest session's: when up, only if it is open
 * (else pam_rjh is not in the stack and they are unknown).
 */
static void judge(const struct admin_tunnels *k, const struct status_rows *rows,
		  const struct status_row *row, int64_t now, struct status_view *v)
{
	const struct reg_session *s = row->have ? &row->s : NULL;
	bool open = s && s->ended == 0;

	memset(v, 0, sizeof(*v));
	v->state = admin_tunnel_state(k, row->name, s);
	v->unexpected = admin_tunnel_unexpected(k, row->name, v->state);
	if (rows->fleet) {
		fleet_held(rows, row, !strcmp(v->state, "up"), v->held, sizeof(v->held));
		if (v->held[0])
			v->state = "up";
	}
	if (strcmp(v->state, "up") == 0) {
		v->last_seen = now;
		if (open) {
			v->s = s;
			v->since = s->started;
			v->pid = s->pid;
		}
		return;
	}
	v->s = s;
	if (s)
		v->last_seen = s->ended ? s->ended : s->started;
	if (open)
		v->pid = s->pid;
}

static json_t *view_json(const struct status_rows *rows, const struct status_row *row,
			 const struct status_view *v)
{
	json_t *o = json_pack(
	    "{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:o}", "host", row->name, "state", v->state,
	    "since", admin_json_time(v->since), "from", admin_json_str(v->s ? v->s->source : NULL),
	    "fingerprint", admin_json_str(v->s ? v->s->fp : NULL), "certificate",
	    admin_json_str(v->s ? v->s->cert : NULL), "last_seen", admin_json_time(v->last_seen),
	    "sshd_pid", v->pid ? json_integer(v->pid) : json_null(), "account", row->account,
	    "unexpected_entries", admin_json_count(v->unexpected));
	char copy[sizeof(v->held)], *rest = copy, *tok;
	json_t *arr;

	if (!o || !rows->fleet)
		return o;
	arr = json_array();
	snprintf(copy, sizeof(copy), "%s", v->held);
	while (arr && (tok = strsep(&rest, ",")) != NULL)
		if (*tok && strcmp(tok, "...") &&
		    json_array_append_new(arr, json_string(tok)) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	if (!arr || json_object_set_new(o, "jumphosts", arr) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void view_text(const struct status_rows *rows, const struct status_row *row,
		      const struct status_view *v)
{
	char since[32], seen[32], src[64], n[16] = "?";
	const char *fp = v->s && v->s->fp[0] ? v->s->fp : "-";
	char cert[64];

	/* A certificate login: "cert SERIAL KEY-ID", as much as the column holds. */
	if (v->s && v->s->cert[0] && admin_cert_short(v->s->cert, cert, sizeof(cert)))
		fp = cert;

	util_safe(v->s && v->s->source[0] ? v->s->source : "-", src, sizeof(src));
	if (v->unexpected >= 0)
		snprintf(n, sizeof(n), "%d", v->unexpected);
	printf("%-32s %-5s %-20s %-15s %-50s %-20s %-8s %-*s", row->name, v->state,
	       admin_time(v->since, since), src, fp, admin_time(v->last_seen, seen), row->account,
	       rows->fleet ? 10 : 0, n);
	if (rows->fleet)
		printf(" %s", v->held[0] ? v->held : "-");
	printf("\n");
}

/* Asks the kernel about every row and prints them; EXIT_OK or an exit code. */
static int report(struct admin *a, const struct status_rows *rows, bool json)
{
	struct admin_tunnels k;
	struct rjh_diag d = {""};
	struct status_view v;
	json_t *arr = NULL;
	size_t i, hosts = 0;
	long entries = 0;
	int rc;

	rc = admin_tunnels_open(a, &k, &d);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	if (json)
		arr = json_array();
	else
		printf("%-32s %-5s %-20s %-15s %-50s %-20s %-8s %s%s\n", "HOST", "STATE", "SINCE",
		       "FROM", "KEY", "LAST-SEEN", "ACCOUNT", "UNEXPECTED",
		       rows->fleet ? " JUMPHOSTS" : "");
	for (i = 0; i < rows->n; i++) {
		judge(&k, rows, &rows->v[i], rows->now, &v);
		hosts += v.unexpected > 0;
		entries += v.unexpected > 0 ? v.unexpected : 0;
		if (!json)
			view_text(rows, &rows->v[i], &v);
		else if (json_array_append_new(arr, view_json(rows, &rows->v[i], &v)) < 0)
			break;
	}
	admin_tunnels_close(&k);
	if (!json && hosts)
		fprintf(stderr,
			"rjh-admin: status: note: %zu host%s left %ld unexpected entr%s in %s "
			"runtime director%s (sockets of forwards that ended, or anything but "
			"sock/ssh.sock); 'rjh-admin runtime' removes them\n",
			hosts, hosts == 1 ? "" : "s", entries, entries == 1 ? "y" : "ies",
			hosts == 1 ? "its" : "their", hosts == 1 ? "y" : "ies");
	if (!json)
		return EXIT_OK;
	if (i < rows->n) {
		json_decref(arr);
		return admin_fail(a, RJH_ENOMEM, "out of memory");
	}
	return admin_print_json(json_pack("{s:o}", "hosts", arr));
}

static int cmd_status(struct admin *a, int argc, char **argv)
{
	bool json = false;
	const struct admin_opt opts[] = {{"json", NULL, &json}, {0}};
	struct status_rows rows = {.now = (int64_t)time(NULL)};
	struct rjh_diag d = {""};
	int rc, first, i;

	rc = admin_args(a, argc, argv, opts, 0, argc, &first);
	if (rc >= 0)
		return rc;
	for (i = first; i < argc; i++) {
		rc = name_check_host(argv[i], &d);
		if (rc < 0)
			return admin_fail_diag(a, rc, &d);
	}
	/* NB. Without root every socket directory (the host's, 0700) is unreadable: all "down". */
	if (geteuid() != 0)
		return admin_fail(a, RJH_ESYS,
				  "must run as root: the hosts' socket directories are readable "
				  "by root and the host only");
	rows.fleet = admin_store_is_pg(a);
	cfg_node_name(&a->cfg, rows.node, sizeof(rows.node));
	rc = read_rows(a, argv + first, argc - first, &rows);
	if (rc == EXIT_OK)
		rc = report(a, &rows, json);
	free(rows.v);
	return rc;
}

const struct admin_cmd admin_cmd_status = {
    "status",
    cmd_status,
    "[--json] [NAME...]",
    "Show whose tunnel is up now: since when, from where, with which key",
    "Options:\n"
    "  --json   stable machine output: {\"hosts\": [...]}\n\n"
    "Every host sorted by name, or the NAMEs given. STATE is the kernel's answer:\n"
    "up while a process listens on the host's socket, down otherwise; stale\n"
    "when the host's newest session is still open in the registry but its sshd\n"
    "is gone (pam_rjh ends it at the host's next login). SINCE, FROM and KEY\n"
    "describe the live session (for a host that is down: its last one);\n"
    "LAST-SEEN is now for a host that is up. UNEXPECTED counts what the host's\n"
    "directories hold besides sock/ and its ssh.sock (sockets of forwards that\n"
    "ended, which sshd never removes; '?': unreadable): 'rjh-admin runtime'\n"
    "removes them, and a note on stderr sums them up. Needs root.\n\n"
    "With store = postgresql, JUMPHOSTS (json: jumphosts) lists every jumphost\n"
    "that holds the host's tunnel now, as each one's kernel says (rjh-sync reports\n"
    "every 2 s; a jumphost silent for presence_ttl counts for none); this\n"
    "jumphost's own kernel is asked directly. STATE is up while any holds it.\n",
    ADMIN_POLICY_NONE};
