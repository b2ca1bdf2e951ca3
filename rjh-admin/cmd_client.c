/*
 * rjh-admin client-config and host-unit: the configuration the two ends
 * install, a client's ~/.ssh/config block (through rjh-connect) and a host's
 * systemd unit for its tunnel. Everything printed is built from validated
 * names only, so no input can add a directive or a line.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "key.h"
#include "layout.h"
#include "name.h"
#include "util.h"

/* Where a host keeps its tunnel's key and the jumphost's pinned host keys (host-unit). */
#define HOST_TUNNEL_KEY  "/etc/rjh/tunnel_key"
#define HOST_KNOWN_HOSTS "/etc/rjh/jumphost_known_hosts"
#define HOST_UNIT_NAME   "rjh-tunnel.service"
/*
 * What the unit adds to the tunnel command: no config file but this, never a
 * prompt, this key only, and the jumphost's host keys pinned in one file.
 * CheckHostIP and UpdateHostKeys are off for older ssh (they would write).
 */
#define HOST_TUNNEL_OPTS                                                                           \
	"-F none -o BatchMode=yes -o IdentitiesOnly=yes -i " HOST_TUNNEL_KEY                       \
	" -o UserKnownHostsFile=" HOST_KNOWN_HOSTS " -o GlobalKnownHostsFile=/dev/null"            \
	" -o StrictHostKeyChecking=yes -o CheckHostIP=no -o UpdateHostKeys=no"
/* The jumphost's own host keys, as sshd's default HostKey lines name them. */
#define SSHD_HOST_KEYS_DIR "/etc/ssh"
/* What a client saves 'rjh-admin known-hosts' as (client-config). */
#define CLIENT_KNOWN_HOSTS "~/.ssh/known_hosts.rjh"

/* client-config */

/* Host patterns for the client's Host line, sorted and unique. */
struct patterns {
	char **v;
	size_t n, cap;
};

static int patterns_add(struct patterns *p, const char *s)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		char **nv = realloc(p->v, cap * sizeof(*nv));

		if (!nv)
			return RJH_ENOMEM;
		p->v = nv;
		p->cap = cap;
	}
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

static void print_client_config(const char *server, const char *user, const struct patterns *p)
{
	bool neg = false;
	size_t i;

	printf("# rjh: ssh client configuration for the hosts behind %s\n"
	       "# ('rjh-admin client-config'). Put it in ~/.ssh/config before any 'Host *'\n"
	       "# block: ssh takes the first value it finds. Save 'rjh-admin known-hosts'\n"
	       "# as " CLIENT_KNOWN_HOSTS ": the only host keys these hosts may show.\n"
	       "# A name with a quote in it never reaches the ProxyCommand's shell.\n",
	       server);
	if (user)
		printf("Host %s\n\tUser %s\n", server, user);
	printf("Host");
	for (i = 0; i < p->n; i++) {
		printf(" %s", p->v[i]);
		/* ssh matches Host patterns like fnmatch without flags; the hop must not loop. */
		neg |= fnmatch(p->v[i], server, FNM_CASEFOLD) == 0;
	}
	if (neg)
		printf(" !%s", server);
	printf(" \"!*'*\"\n"
	       "\tProxyCommand ssh -a -x -T %s rjh-connect '%%h'\n"
	       "\tUserKnownHostsFile " CLIENT_KNOWN_HOSTS "\n"
	       "\tStrictHostKeyChecking yes\n",
	       server);
}

static int cmd_client_config(struct admin *a, int argc, char **argv)
{
	const char *server_opt = NULL, *pattern = NULL, *user = NULL;
	const struct admin_opt opts[] = {
	    {"server", &server_opt, NULL}, {"pattern", &pattern, NULL}, {"user", &user, NULL}, {0}};
	struct patterns p = {0};
	char server[ADMIN_SERVER_MAX + 2];
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	rc = admin_server_name(a, server_opt, server, sizeof(server));
	if (rc == 0 && user && !name_is_account(user))
		rc = admin_fail(a, RJH_EINVAL,
				"--user must be a user name ([a-z_][a-z0-9._-]*, at most 32 "
				"characters)");
	if (rc == 0)
		rc = pattern ? patterns_from_option(a, pattern, &p)
			     : patterns_from_grants(a, user, &p);
	if (rc == 0) {
		patterns_sort_unique(&p);
		print_client_config(server, user, &p);
	}
	patterns_free(&p);
	return rc;
}

/* host-unit */

/* sshd's own host public keys: DIR/ssh_host_*_key.pub. */
static int is_host_key_pub(const struct dirent *e)
{
	return fnmatch("ssh_host_*_key.pub", e->d_name, FNM_PERIOD) == 0;
}

/* Prints "SERVER TYPE BASE64" for the key in path; false (said why) when it is refused. */
static bool print_known_host(struct admin *a, const char *server, const char *path)
{
	struct key k;

	if (admin_read_host_key(a, path, &k) != EXIT_OK)
		return false;
	printf("%s %s %s\n", server, k.type, k.b64);
	key_clear(&k);
	return true;
}

/*
 * The jumphost's host keys as a host's known_hosts pins them: file alone,
 * or every DIR/ssh_host_*_key.pub (sorted) that passes the key checks; a
 * refused one is skipped with its reason. Exit 2 when none is left.
 */
static int print_known_hosts(struct admin *a, const char *server, const char *dir, const char *file)
{
	struct dirent **ents = NULL;
	char path[4096];
	int n, i, printed = 0;

	if (file)
		return print_known_host(a, server, file) ? EXIT_OK : EXIT_INVALID;
	n = scandir(dir, &ents, is_host_key_pub, alphasort);
	if (n < 0)
		return admin_fail(a, RJH_EINVAL, "%s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name) <
			sizeof(path) &&
		    print_known_host(a, server, path))
			printed++;
		free(ents[i]);
	}
	free(ents);
	if (!printed)
		return admin_fail(a, RJH_EINVAL,
				  "no usable host public key (ssh_host_*_key.pub) in %s", dir);
	return EXIT_OK;
}

static void print_unit(const char *name, const char *server, const char *cmd)
{
	printf("# rjh: the tunnel of %s to %s ('rjh-admin host-unit %s').\n"
	       "# On %s, as root:\n"
	       "#   " HOST_TUNNEL_KEY "            the private key enrolled for %s (0600)\n"
	       "#   " HOST_KNOWN_HOSTS "  'rjh-admin host-unit %s --known-hosts'\n"
	       "#   this file as /etc/systemd/system/" HOST_UNIT_NAME ", then\n"
	       "#   systemctl daemon-reload && systemctl enable --now " HOST_UNIT_NAME "\n"
	       "[Unit]\n"
	       "Description=rjh tunnel of %s to %s\n"
	       "Wants=network-online.target\n"
	       "After=network-online.target\n"
	       "# Never give up: the jumphost may be away for a long time.\n"
	       "StartLimitIntervalSec=0\n"
	       "\n"
	       "[Service]\n"
	       "Type=exec\n"
	       "ExecStart=/usr/bin/%s\n"
	       "Restart=always\n"
	       "RestartSec=5\n"
	       "# ssh reads its key and the pinned host keys (root's, 0600 and 0644) and\n"
	       "# dials out; it needs no capability and writes nothing.\n"
	       "CapabilityBoundingSet=\n"
	       "AmbientCapabilities=\n"
	       "NoNewPrivileges=yes\n"
	       "UMask=0077\n"
	       "ProtectSystem=strict\n"
	       "ProtectHome=yes\n"
	       "PrivateTmp=yes\n"
	       "PrivateDevices=yes\n"
	       "ProtectProc=invisible\n"
	       "ProtectClock=yes\n"
	       "ProtectHostname=yes\n"
	       "ProtectKernelTunables=yes\n"
	       "ProtectKernelModules=yes\n"
	       "ProtectKernelLogs=yes\n"
	       "ProtectControlGroups=yes\n"
	       "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK\n"
	       "RestrictNamespaces=yes\n"
	       "RestrictRealtime=yes\n"
	       "RestrictSUIDSGID=yes\n"
	       "LockPersonality=yes\n"
	       "MemoryDenyWriteExecute=yes\n"
	       "SystemCallArchitectures=native\n"
	       "SystemCallFilter=@system-service\n"
	       "SystemCallErrorNumber=EPERM\n"
	       "\n"
	       "[Install]\n"
	       "WantedBy=multi-user.target\n",
	       name, server, name, name, name, name, name, server, cmd);
}

static int cmd_host_unit(struct admin *a, int argc, char **argv)
{
	const char *server_opt = NULL, *dir = NULL, *file = NULL;
	bool known = false;
	const struct admin_opt opts[] = {{"server", &server_opt, NULL},
					 {"known-hosts", NULL, &known},
					 {"host-keys", &dir, NULL},
					 {"host-key", &file, NULL},
					 {0}};
	struct rjh_diag d = {""};
	char server[ADMIN_SERVER_MAX + 2], cmd[1024];
	struct reg_host h;
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 1, 1, &first);
	if (rc >= 0)
		return rc;
	if ((dir || file) && !known)
		return admin_usage(a, "--host-keys and --host-key go with --known-hosts");
	if (dir && file)
		return admin_usage(a, "give --host-keys or --host-key, not both");
	rc = name_check_host(argv[first], &d);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	rc = admin_server_name(a, server_opt, server, sizeof(server));
	if (rc)
		return rc;
	rc = admin_open_ro(a, &r);
	if (rc)
		return rc;
	rc = reg_host_get(r, argv[first], &h, &d);
	reg_close(r);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	if (known)
		return print_known_hosts(a, server, dir ? dir : SSHD_HOST_KEYS_DIR, file);
	rc = layout_tunnel_command_to(server, h.name, HOST_TUNNEL_OPTS, cmd, sizeof(cmd));
	if (rc < 0)
		return admin_fail(a, rc, "the tunnel command is too long");
	if (h.disabled)
		fprintf(stderr,
			"rjh-admin: host-unit: note: %s is disabled; its tunnel is refused "
			"until 'rjh-admin enable %s'\n",
			h.name, h.name);
	print_unit(h.name, server, cmd);
	return EXIT_OK;
}

const struct admin_cmd admin_cmd_client_config = {
    "client-config", cmd_client_config, "[--server NAME] [--pattern GLOB[,GLOB...]] [--user USER]",
    "Print the ~/.ssh/config block that reaches hosts through rjh-connect",
    "Options:\n"
    "  --server NAME     the jumphost as clients dial it (default: public_name,\n"
    "                    else this machine's name)\n"
    "  --pattern GLOBS   the host names the block covers, e.g. 'host-*' (default:\n"
    "                    the patterns of the grants, of USER's if --user is given)\n"
    "  --user USER       the client's account on the jumphost (a 'User' line)\n\n"
    "Hosts matching the patterns are reached with 'ssh NAME' through\n"
    "'ssh SERVER rjh-connect NAME', and must show a host key from\n"
    "" CLIENT_KNOWN_HOSTS " ('rjh-admin known-hosts'). Patterns are checked like\n"
    "grant patterns; a grant pattern of nothing but '*' and '?' is not taken as a\n"
    "default. NAME and GLOBS cannot add ssh_config lines or options.\n"};

const struct admin_cmd admin_cmd_host_unit = {
    "host-unit", cmd_host_unit,
    "NAME [--server NAME] [--known-hosts [--host-keys DIR | --host-key FILE]]",
    "Print a host's systemd unit for its tunnel, or the jumphost's pinned keys",
    "Options:\n"
    "  --server NAME     the jumphost as the host dials it (default: public_name,\n"
    "                    else this machine's name)\n"
    "  --known-hosts     print the known_hosts lines for " HOST_KNOWN_HOSTS "\n"
    "                    instead: 'SERVER TYPE BASE64' for each of this machine's\n"
    "                    sshd host keys\n"
    "  --host-keys DIR   read DIR/ssh_host_*_key.pub (default " SSHD_HOST_KEYS_DIR ")\n"
    "  --host-key FILE   read only FILE\n\n"
    "NAME must be enrolled. The unit (" HOST_UNIT_NAME ") runs the tunnel command\n"
    "with BatchMode, the key " HOST_TUNNEL_KEY ", StrictHostKeyChecking against\n"
    "" HOST_KNOWN_HOSTS ", restarts it 5 s after any exit, for ever, and runs\n"
    "ssh without capabilities in a read-only sandbox. A host key file that fails\n"
    "the key checks is skipped with its reason; none left is exit 2.\n"};
