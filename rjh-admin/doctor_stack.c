/*
 * rjh-admin doctor: the nss and pam checks. Both ask the loaders that sshd
 * uses: glibc's NSS for a host, and dlopen for each module with every
 * library it needs.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doctor.h"

int doc_dlopen_child(const char *path, const char *const *syms, char *why, size_t len)
{
	ssize_t n, got = 0;
	int p[2], status = -1;
	pid_t pid;

	why[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		/* The child only loads and looks up, then leaves without running atexit handlers.
		 */
		char msg[1024];
		void *h;

		close(p[0]);
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			snprintf(msg, sizeof(msg), "%s", dlerror());
			(void)!write(p[1], msg, strlen(msg));
			_exit(1);
		}
		for (; *syms; syms++) {
			if (!dlsym(h, *syms)) {
				snprintf(msg, sizeof(msg), "%s: no symbol %s", path, *syms);
				(void)!write(p[1], msg, strlen(msg));
				_exit(1);
			}
		}
		_exit(0);
	}
	close(p[1]);
	while ((size_t)got + 1 < len && (n = read(p[0], why + got, len - 1 - (size_t)got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += n;
	}
	why[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!why[0])
		snprintf(why, len, "the loading process died (status %d)", status);
	return -1;
}

/* When line is "DB: ...", sets *listed: whether it names rjh (of two such lines, the last). */
static void nss_line(char *line, const char *db, bool *listed)
{
	size_t n = strlen(db);
	char *tok, *save;

	line[strcspn(line, "#")] = '\0';
	while (isspace((unsigned char)*line))
		line++;
	if (strncmp(line, db, n) != 0 || line[n] != ':')
		return;
	*listed = false;
	for (tok = strtok_r(line + n + 1, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save))
		*listed |= strcmp(tok, "rjh") == 0;
}

/* Checks that the passwd and group lines of nsswitch.conf list rjh. */
static void nss_conf(struct doc_result *r)
{
	static const char *const dbs[] = {"passwd", "group"};
	bool listed[2] = {false, false};
	char *line = NULL;
	size_t cap = 0, i;
	FILE *f = fopen(DOC_NSSWITCH, "re");

	if (!f) {
		doc_problem(r, DOC_FAIL, DOC_NSSWITCH ": %s", strerror(errno));
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		for (i = 0; i < 2; i++)
			nss_line(line, dbs[i], &listed[i]);
	}
	free(line);
	fclose(f);
	for (i = 0; i < 2; i++) {
		if (!listed[i])
			doc_problem(r, DOC_FAIL,
				    "the %s line of " DOC_NSSWITCH " does not list rjh: add it "
				    "('%s: files rjh'; the libnss-rjh package does)",
				    dbs[i], dbs[i]);
	}
}

/*
 * glibc, through whatever nsswitch.conf says, knows the host by the
 * registry's uid, and the hosts group by its gid: sshd's Match Group needs both.
 */
static void nss_resolve(struct doc_ctx *x, struct doc_result *r)
{
	const struct doc_host *h = x->nhosts ? &x->hosts[0] : NULL;
	const char *group = x->a->cfg.host_group;
	char buf[4096];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	int rc;

	if (!h)
		return;
	rc = getpwnam_r(h->name, &pw, buf, sizeof(buf), &pwp);
	if (rc != 0 || !pwp) {
		doc_problem(r, DOC_FAIL,
			    "glibc does not resolve enrolled host %s (%s): check " DOC_NSSWITCH
			    ", and run 'rjh-admin refresh' if the NSS snapshot is behind",
			    h->name, rc ? strerror(rc) : "not found");
		return;
	}
	if (pw.pw_uid != h->uid) {
		doc_problem(r, DOC_FAIL,
			    "glibc resolves host %s to uid %u, not the registry's %u: another "
			    "source before rjh in " DOC_NSSWITCH " has that name",
			    h->name, (unsigned)pw.pw_uid, (unsigned)h->uid);
		return;
	}
	rc = getgrnam_r(group, &gr, buf, sizeof(buf), &grp);
	if (rc != 0 || !grp) {
		doc_problem(r, DOC_FAIL,
			    "glibc does not resolve the hosts group %s (%s): check " DOC_NSSWITCH,
			    group, rc ? strerror(rc) : "not found");
		return;
	}
	if (gr.gr_gid != x->host_gid) {
		doc_problem(r, DOC_FAIL,
			    "glibc resolves group %s to gid %u, not the registry's %u: another "
			    "source before rjh in " DOC_NSSWITCH " has that name",
			    group, (unsigned)gr.gr_gid, (unsigned)x->host_gid);
		return;
	}
	x->host_resolves = true;
}

void doc_check_nss(struct doc_ctx *x, struct doc_result *r)
{
	static const char *const syms[] = {"_nss_rjh_getpwnam_r", NULL};
	char why[1024];

	nss_conf(r);
	if (doc_dlopen_child("libnss_rjh.so.2", syms, why, sizeof(why)) < 0)
		doc_problem(r, DOC_FAIL,
			    "libnss_rjh.so.2 does not load (%s): install it in " RJH_LIBDIR
			    " (the libnss-rjh package)",
			    why);
	nss_resolve(x, r);
	if (x->nhosts)
		doc_fine(r,
			 "passwd and group list rjh; libnss_rjh.so.2 loads; host %s is uid %u, "
			 "group %s gid %u",
			 x->hosts[0].name, (unsigned)x->hosts[0].uid, x->a->cfg.host_group,
			 (unsigned)x->host_gid);
	else
		doc_fine(r,
			 "passwd and group list rjh; libnss_rjh.so.2 loads (no host to "
			 "resolve: %s)",
			 x->hosts_why[0] ? x->hosts_why : "none enrolled");
}

/* What the PAM stack of sshd says about pam_rjh. */
struct pam_scan {
	bool account, session;
	char module[1024]; /* the module of the first pam_rjh.so line, as written */
	struct doc_result *r;
};

static int pam_file(struct pam_scan *s, const char *name, int depth);

/* Splits off the next field of a PAM line: a word, or a [...] control value. */
static char *pam_field(char **p)
{
	char *start, *end;

	while (isspace((unsigned char)**p))
		(*p)++;
	if (!**p)
		return NULL;
	start = *p;
	end = *start == '[' ? strchr(start, ']') : NULL;
	end = end ? end + 1 : start + strcspn(start, " \t\n");
	*p = *end ? end + 1 : end;
	*end = '\0';
	return start;
}

static bool is_pam_rjh(const char *module)
{
	const char *base = strrchr(module, '/');

	return strcmp(base ? base + 1 : module, "pam_rjh.so") == 0;
}

/* One line of a PAM file, comments and continuations already handled. */
static int pam_line(struct pam_scan *s, char *p, int depth)
{
	char *type = pam_field(&p), *control, *module;

	if (!type)
		return 0;
	if (!strcmp(type, "@include")) {
		module = pam_field(&p);
		return module ? pam_file(s, module, depth + 1) : 0;
	}
	control = pam_field(&p);
	module = pam_field(&p);
	if (!control || !module)
		return 0;
	if (type[0] == '-')
		type++;
	if (!strcasecmp(control, "include") || !strcasecmp(control, "substack"))
		return pam_file(s, module, depth + 1);
	if (!is_pam_rjh(module))
		return 0;
	if (!s->module[0])
		snprintf(s->module, sizeof(s->module), "%s", module);
	s->account |= strcasecmp(type, "account") == 0;
	s->session |= strcasecmp(type, "session") == 0;
	return 0;
}

/* Scans the PAM file name (relative to /etc/pam.d), following includes. */
static int pam_file(struct pam_scan *s, const char *name, int depth)
{
	char path[PATH_MAX], *line = NULL, *full = NULL;
	size_t cap = 0, flen = 0;
	ssize_t n;
	FILE *f;

	if (depth > 8) {
		doc_problem(s->r, DOC_FAIL, "PAM includes nest deeper than 8 at %s", name);
		return -1;
	}
	snprintf(path, sizeof(path), "%s%s%s", name[0] == '/' ? "" : DOC_PAMD,
		 name[0] == '/' ? "" : "/", name);
	f = fopen(path, "re");
	if (!f) {
		doc_problem(s->r, DOC_FAIL, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		char *nf;

		line[strcspn(line, "#\n")] = '\0';
		n = (ssize_t)strlen(line);
		nf = realloc(full, flen + (size_t)n + 2);
		if (!nf)
			break;
		full = nf;
		memcpy(full + flen, line, (size_t)n + 1);
		flen += (size_t)n;
		/* A line ending in a backslash goes on in the next one. */
		if (flen && full[flen - 1] == '\\') {
			full[flen - 1] = ' ';
			continue;
		}
		pam_line(s, full, depth);
		flen = 0;
	}
	if (flen)
		pam_line(s, full, depth);
	free(full);
	free(line);
	fclose(f);
	return 0;
}

void doc_check_pam(struct doc_ctx *x, struct doc_result *r)
{
	static const char *const syms[] = {"pam_sm_acct_mgmt", "pam_sm_open_session",
					   "pam_sm_close_session", NULL};
	struct pam_scan s = {.r = r};
	char path[PATH_MAX], why[1024];

	(void)x;
	pam_file(&s, "sshd", 0);
	if (!s.account || !s.session)
		doc_problem(r, DOC_FAIL,
			    "pam_rjh.so is not in sshd's %s (" DOC_PAMD "/sshd and what it "
			    "includes): enable it with 'pam-auth-update --enable rjh' (the "
			    "libpam-rjh package), or add 'account required pam_rjh.so' and "
			    "'session required pam_rjh.so'",
			    !s.account && !s.session ? "account and session stacks"
			    : !s.account             ? "account stack"
						     : "session stack");
	/* libpam looks a relative module up in its directory, where make install puts it. */
	if (s.module[0] == '/')
		snprintf(path, sizeof(path), "%s", s.module);
	else
		snprintf(path, sizeof(path), RJH_PAMDIR "/%s",
			 s.module[0] ? s.module : "pam_rjh.so");
	if (doc_dlopen_child(path, syms, why, sizeof(why)) < 0)
		doc_problem(r, DOC_FAIL,
			    "%s does not load (%s): reinstall it (libpam-rjh) and "
			    "what it needs (libsqlite3, libaudit)",
			    path, why);
	doc_fine(r, "pam_rjh.so in sshd's account and session stacks; %s loads", path);
}
