/*
 * rjh-admin client-config and known-hosts: what a client installs to reach
 * the hosts, its ~/.ssh/config block (through rjh-connect) and the hosts'
 * own host keys to pin. Everything printed is built from validated names
 * only, so no input can add a directive or a line.
 */
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "name.h"
#include "util.h"

/* What a client saves 'rjh-admin known-hosts' as (client-config). */
#define CLIENT_KNOWN_HOSTS "~/.ssh/known_hosts.rjh"
/* Where a client saves 'rjh-admin host-ca known-hosts' (client-config). */
#define CLIENT_JUMPHOSTS_KNOWN "~/.ssh/known_hosts.rjh-jumphosts"

/* Host patterns for the client's Host line, sorted and unique. */
struct patterns {
	char **v;
	size_t n, cap;
};

static int patterns_add(struct patterns *p, const char *s)
{
	if (util_grow(&p->v, &p->cap, p->n + 1, sizeof(*p->v), 16) < 0)
		return RJH_ENOMEM;
	p->v[p->n] = strdup(s);
	if (!p->v[p->n])
		return RJH_ENOMEM;
	p->n++;
	return RJH_OK;
}

static void patterns_free(struct patterns *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void patterns_sort_unique(struct patterns *p)
{
	size_t i, out = 0;

	qsort(p->v, p->n, sizeof(*p->v), cmp_str);
	for (i = 0; i < p->n; i++) {
		if (out && !strcmp(p->v[out - 1], p->v[i]))
			free(p->v[i]);
		else
			p->v[out++] = p->v[i];
	}
	p->n = out;
}

/* --pattern: a comma-separated list of grant-style patterns. */
static int patterns_from_option(struct admin *a, const char *opt, struct patterns *p)
{
	struct rjh_diag d = {""};
	char *copy = strdup(opt), *rest = copy, *tok;
	int rc = copy ? RJH_OK : RJH_ENOMEM;

	/* strsep keeps empty items (",,", a trailing ','): name_check_pattern refuses them. */
	while (rc == 0 && (tok = strsep(&rest, ",")) != NULL) {
		rc = name_check_pattern(tok, &d);
		if (rc == 0)
			rc = patterns_add(p, tok);
	}
	free(copy);
	if (rc == RJH_ENOMEM)
		return admin_fail(a, rc, "out of memory");
	return rc < 0 ? admin_fail(a, rc, "--pattern: %s", d.msg) : EXIT_OK;
}

/* The user the block is for, and its groups, to pick the grants that apply to it. */
struct grant_ctx {
	struct patterns *p;
	const char *user; /* NULL: every grant */
	gid_t groups[256];
	int ngroups;
	char bad[72]; /* a stored pattern that failed the check */
};

static bool in_groups(const struct grant_ctx *g, const char *group)
{
	struct group gr, *res = NULL;
	char buf[4096];
	int i;

	if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	for (i = 0; i < g->ngroups; i++) {
		if (g->groups[i] == res->gr_gid)
			return true;
	}
	return false;
}

static int grant_pattern(const struct reg_grant *gr, void *vctx)
{
	struct grant_ctx *g = vctx;

	if (g->user && strcmp(gr->principal, g->user) &&
	    !(gr->principal[0] == '@' && in_groups(g, gr->principal + 1)))
		return 0;
	/* NB. Checked again: a pattern from the registry goes into ssh_config. */
	if (name_check_pattern(gr->pattern, NULL) < 0 ||
	    strspn(gr->pattern, "*?") == strlen(gr->pattern)) {
		util_safe(gr->pattern, g->bad, sizeof(g->bad));
		return RJH_EINVAL;
	}
	return patterns_add(g->p, gr->pattern);
}

/* No --pattern: the patterns of the grants (of --user, if given). */
static int patterns_from_grants(struct admin *a, const char *user, struct patterns *p)
{
	struct grant_ctx g = {.p = p, .user = user, .ngroups = 256};
	struct rjh_diag d = {""};
	struct passwd pw, *res = NULL;
	char buf[4096];
	struct reg *r;
	int rc;

	if (user) {
		if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || !res)
			return admin_fail(a, RJH_ENOENT,
					  "no user %s on this machine, so no grants to take the "
					  "patterns from; give --pattern",
					  user);
		if (getgrouplist(user, res->pw_gid, g.groups, &g.ngroups) < 0)
			return admin_fail(a, RJH_ESYS,
					  "%s is in more than 256 groups; give --pattern", user);
	}
	rc = admin_open_ro(a, &r);
	if (rc)
		return rc;
	rc = reg_grants_each(r, grant_pattern, &g, &d);
	reg_close(r);
	if (rc == RJH_EINVAL)
		return admin_fail(a, rc,
				  "grant pattern '%s' would send every ssh connection "
				  "through the jumphost; give --pattern",
				  g.bad);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	if (p->n == 0)
		return admin_fail(a, RJH_ENOENT,
				  "no grants%s%s yet, so no host patterns; give "
				  "--pattern",
				  user ? " for " : "", user ? user : "");
	return EXIT_OK;
}

/* What client-config prints for the hop: one jumphost, or several to try in turn. */
struct hop {
	const char *server;              /* one jumphost (--server, or no jumphosts registered) */
	const struct admin_jumphosts *l; /* else these, in order */
	bool ca;                         /* a host CA is recorded: pin it, not each jumphost */
};

/*
 * Several jumphosts: a loop in the client's own sh. It tries each in turn
 * (RJH_JUMPHOSTS, if the client sets it, else the order printed) and moves
 * on when that jumphost cannot serve: ssh could not reach it (255), the
 * host is offline there (rjh-connect's 5), or its registry is unavailable,
 * broken or too old there (6, 7, 8). Not enrolled, disabled and no grant
 * (2, 3, 4) are the fleet's answer, the same everywhere: final. No single
 * quote inside: it is one sh -c argument. The names were checked
 * (admin_is_dial_name).
 */
static void print_hop_loop(const struct hop *hop)
{
	char dest[300];
	size_t i;

	/*
	 * The client's ssh sends its identification line at once, and nothing
	 * more before the host's answers; a hop that finds the host offline
	 * would swallow it. So the loop reads that line itself (sh's read
	 * takes no byte beyond it) and passes it, in hex, for rjh-connect to
	 * send first: every try starts with the client's stream whole.
	 */
	printf("\tProxyCommand sh -c 'IFS= read -r b || exit 255; "
	       "b=$(printf %%%%s \"$b\" | od -An -v -tx1 | tr -d \" \\n\"); "
	       "for j in ${RJH_JUMPHOSTS:-");
	for (i = 0; i < hop->l->n; i++) {
		admin_jumphost_dest(&hop->l->v[i], true, dest, sizeof(dest));
		printf("%s%s", i ? " " : "", dest);
	}
	printf("}; do ssh -a -x -T -o ConnectTimeout=5%s \"$j\" rjh-connect --ssh-banner \"$b\" "
	       "\"$1\"; r=$?; "
	       "case $r in 5|6|7|8|255) ;; *) exit $r;; esac; done; exit $r' rjh-hop '%%h'\n",
	       hop->ca ? " -o UserKnownHostsFile=" CLIENT_JUMPHOSTS_KNOWN
			 " -o StrictHostKeyChecking=yes -o CheckHostIP=no -o UpdateHostKeys=no"
		       : "");
}

static void print_client_config(const struct hop *hop, const char *user, const struct patterns *p)
{
	bool neg = false;
	size_t i, j;

	if (hop->l)
		printf(
		    "# rjh: ssh client configuration for the hosts behind the jumphosts\n"
		    "# ('rjh-admin client-config'). Put it in ~/.ssh/config before any 'Host *'\n"
		    "# block: ssh takes the first value it finds. Save 'rjh-admin known-hosts'\n"
		    "# as " CLIENT_KNOWN_HOSTS ": the only host keys these hosts may show.\n"
		    "# The hop tries each jumphost in turn, and the next one when a jumphost\n"
		    "# is unreachable or the host is offline there; RJH_JUMPHOSTS=\"A B\" in\n"
		    "# the environment sets the order (e.g. the nearest first).\n"
		    "%s"
		    "# A name with a quote in it never reaches the ProxyCommand's shell.\n",
		    hop->ca ? "# Save 'rjh-admin host-ca known-hosts' as " CLIENT_JUMPHOSTS_KNOWN
			      ":\n# the one line that vouches for every jumphost.\n"
			    : "");
	else
		printf(
		    "# rjh: ssh client configuration for the hosts behind %s\n"
		    "# ('rjh-admin client-config'). Put it in ~/.ssh/config before any 'Host *'\n"
		    "# block: ssh takes the first value it finds. Save 'rjh-admin known-hosts'\n"
		    "# as " CLIENT_KNOWN_HOSTS ": the only host keys these hosts may show.\n"
		    "# A name with a quote in it never reaches the ProxyCommand's shell.\n",
		    hop->server);
	if (user && !hop->l)
		printf("Host %s\n\tUser %s\n", hop->server, user);
	if (user && hop->l) {
		printf("Host");
		for (j = 0; j < hop->l->n; j++)
			printf(" %s", hop->l->v[j].address);
		printf("\n\tUser %s\n", user);
	}
	printf("Host");
	for (i = 0; i < p->n; i++) {
		printf(" %s", p->v[i]);
		/* ssh matches Host patterns like fnmatch without flags; the hop must not loop. */
		if (!hop->l)
			neg |= fnmatch(p->v[i], hop->server, FNM_CASEFOLD) == 0;
		for (j = 0; hop->l && j < hop->l->n; j++)
			if (fnmatch(p->v[i], hop->l->v[j].address, FNM_CASEFOLD) == 0)
				printf(" !%s", hop->l->v[j].address);
	}
	if (neg)
		printf(" !%s", hop->server);
	printf(" \"!*'*\"\n");
	if (hop->l)
		print_hop_loop(hop);
	else
		printf("\tProxyCommand ssh -a -x -T %s rjh-connect '%%h'\n", hop->server);
	printf("\tUserKnownHostsFile " CLIENT_KNOWN_HOSTS "\n"
	       "\tStrictHostKeyChecking yes\n");
}

/* --prefer: those jumphosts first, in the order given; the rest after, as registered. */
static int prefer(struct admin *a, const char *opt, struct admin_jumphosts *l)
{
	char *copy = strdup(opt), *rest = copy, *tok, safe[64];
	size_t at = 0, i;

	if (!copy)
		return admin_fail(a, RJH_ENOMEM, "out of memory");
	while ((tok = strsep(&rest, ",")) != NULL) {
		for (i = at; i < l->n && strcmp(l->v[i].name, tok); i++)
			;
		if (i == l->n) {
			util_safe(tok, safe, 40);
			free(copy);
			return admin_fail(a, RJH_EINVAL,
					  "--prefer: '%s' is not a registered jumphost (or named "
					  "twice)",
					  safe);
		}
		/* Move it to the front part, keeping the others' order. */
		{
			struct reg_jumphost j = l->v[i];

			memmove(&l->v[at + 1], &l->v[at], (i - at) * sizeof(*l->v));
			l->v[at++] = j;
		}
	}
	free(copy);
	return EXIT_OK;
}

static int cmd_client_config(struct admin *a, int argc, char **argv)
{
	const char *server_opt = NULL, *pattern = NULL, *user = NULL, *prefer_opt = NULL;
	const struct admin_opt opts[] = {{"server", &server_opt, NULL},
					 {"pattern", &pattern, NULL},
					 {"user", &user, NULL},
					 {"prefer", &prefer_opt, NULL},
					 {0}};
	struct admin_jumphosts l = {0};
	struct patterns p = {0};
	char server[ADMIN_SERVER_MAX + 2], ca[16384] = "";
	struct hop hop = {server, NULL, false};
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	if (server_opt && prefer_opt)
		return admin_usage(a,
				   "--prefer orders the registered jumphosts; not with --server");
	rc = admin_server_name(a, server_opt, server, sizeof(server));
	if (rc == 0 && user && !name_is_account(user))
		rc = admin_fail(a, RJH_EINVAL,
				"--user must be a user name ([a-z_][a-z0-9._-]*, at most 32 "
				"characters)");
	/* Several jumphosts (store = postgresql): the hop tries each. */
	if (rc == 0 && !server_opt && admin_store_is_pg(a)) {
		rc = admin_open_ro(a, &r);
		if (rc == 0) {
			rc = admin_jumphosts_load(a, r, &l);
			if (rc == 0)
				rc = admin_host_ca_line(a, r, ca, sizeof(ca));
			reg_close(r);
		}
		if (rc == 0 && l.n) {
			hop.l = &l;
			hop.ca = ca[0] != '\0';
		}
		if (rc == 0 && prefer_opt && !l.n)
			rc = admin_fail(a, RJH_EINVAL, "--prefer: no jumphosts are registered");
		if (rc == 0 && prefer_opt)
			rc = prefer(a, prefer_opt, &l);
	} else if (rc == 0 && prefer_opt) {
		rc = admin_fail(a, RJH_EINVAL,
				"--prefer: jumphosts are registered with store = postgresql only");
	}
	if (rc == 0)
		rc = pattern ? patterns_from_option(a, pattern, &p)
			     : patterns_from_grants(a, user, &p);
	if (rc == 0) {
		patterns_sort_unique(&p);
		print_client_config(&hop, user, &p);
	}
	patterns_free(&p);
	admin_jumphosts_free(&l);
	return rc;
}

/* known-hosts */

/* True when s is nothing but base64 characters: one known_hosts field, never two lines. */
static bool is_b64(const char *s)
{
	return *s &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
		   strlen(s);
}

static int known_host_line(const struct reg_host_key *k, void *vctx)
{
	(void)vctx;
	/* NB. Checked again: a hand-edited registry must not add lines (@cert-authority). */
	if (!name_is_host(k->host) || !is_b64(k->b64) || !util_is_printable(k->type, 39) ||
	    strchr(k->type, ' '))
		return RJH_EREGISTRY;
	printf("%s %s %s\n", k->host, k->type, k->b64);
	return 0;
}

static int cmd_known_hosts(struct admin *a, int argc, char **argv)
{
	const struct admin_opt opts[] = {{0}};
	struct rjh_diag d = {""};
	struct reg *r;
	int64_t missing = 0;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	rc = admin_open_ro(a, &r);
	if (rc)
		return rc;
	rc = reg_begin_read(r, &d);
	if (rc == 0)
		rc = reg_known_hosts_each(r, (int64_t)time(NULL), known_host_line, NULL, &missing,
					  &d);
	reg_end_read(r);
	reg_close(r);
	if (rc == RJH_EREGISTRY && !d.msg[0])
		return admin_fail(a, rc,
				  "the registry holds a malformed host key; nothing after it "
				  "was printed");
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	if (missing)
		fprintf(stderr,
			"rjh-admin: known-hosts: note: %lld active host%s without a recorded host "
			"key %s not listed ('rjh-admin set-host-key NAME FILE')\n",
			(long long)missing, missing == 1 ? "" : "s", missing == 1 ? "is" : "are");
	return EXIT_OK;
}

const struct admin_cmd admin_cmd_client_config = {
    "client-config",
    cmd_client_config,
    "[--server NAME | --prefer JUMPHOST[,...]] [--pattern GLOB[,GLOB...]] [--user USER]",
    "Print the ~/.ssh/config block that reaches hosts through rjh-connect",
    "Options:\n"
    "  --server NAME     the jumphost as clients dial it (default: public_name,\n"
    "                    else this machine's name)\n"
    "  --pattern GLOBS   the host names the block covers, e.g. 'host-*' (default:\n"
    "                    the patterns of the grants, of USER's if --user is given)\n"
    "  --user USER       the client's account on the jumphost (a 'User' line)\n"
    "  --prefer NAMES    with several jumphosts: try these first, in this order\n\n"
    "With jumphosts registered (rjh-admin jumphost, store = postgresql) and no\n"
    "--server, the hop tries each jumphost in turn: the next one when ssh cannot\n"
    "reach one (exit 255), the host is offline there (rjh-connect exit 5) or its\n"
    "copy of the registry cannot serve (6, 7, 8); not enrolled, disabled and no\n"
    "grant are final;\n"
    "RJH_JUMPHOSTS=\"A B\" in the client's environment sets another order. With a\n"
    "host CA recorded, the hop pins " CLIENT_JUMPHOSTS_KNOWN "\n"
    "('rjh-admin host-ca known-hosts'), so a new jumphost needs no new key.\n\n"
    "Hosts matching the patterns are reached with 'ssh NAME' through\n"
    "'ssh SERVER rjh-connect NAME', and must show a host key from\n"
    "" CLIENT_KNOWN_HOSTS " ('rjh-admin known-hosts'). Patterns are checked like\n"
    "grant patterns; a grant pattern of nothing but '*' and '?' is not taken as a\n"
    "default. NAME and GLOBS cannot add ssh_config lines or options.\n",
    ADMIN_POLICY_NONE};

const struct admin_cmd admin_cmd_known_hosts = {
    "known-hosts",
    cmd_known_hosts,
    "",
    "Print the known_hosts file for clients",
    "One line 'NAME TYPE BASE64' per recorded host key of every active host,\n"
    "sorted by name: the name as clients type it ('ssh host-42' through\n"
    "rjh-connect). Save it as ~/.ssh/known_hosts.rjh (see client-config).\n"
    "Disabled and expired hosts are left out. Active hosts without a recorded\n"
    "host key are left out too, and counted in a note on stderr.\n",
    ADMIN_POLICY_NONE};
