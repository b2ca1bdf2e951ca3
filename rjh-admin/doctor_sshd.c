/*
 * rjh-admin doctor: the sshd check. The drop-in must be the text
 * `rjh-admin sshd-config` prints, and sshd itself (sshd -T) must apply it
 * to an enrolled host.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "doctor.h"
#include "publish.h"
#include "util.h"

/* How long sshd -T may take. */
#define DOC_SSHD_TIMEOUT_MS 10000

/* The 1-based number of the first line where a and b differ, or 0 when they are equal. */
static int first_diff(const char *a, const char *b)
{
	int line = 1;

	for (; *a && *a == *b; a++, b++)
		line += *a == '\n';
	return *a == *b ? 0 : line;
}

/* The installed drop-in is the text sshd-config prints for this config. */
static void dropin_same(struct doc_ctx *x, struct doc_result *r)
{
	struct rjh_diag d = {""};
	char *want = NULL, *got = NULL;
	size_t wlen = 0, glen = 0;
	FILE *f = open_memstream(&want, &wlen);
	int rc, line;

	if (!f || admin_sshd_dropin(f, &x->a->cfg, ADMIN_KEY_HELPER, x->a->cfg.keys_user) < 0 ||
	    fclose(f) != 0) {
		doc_problem(r, DOC_FAIL, "cannot build the drop-in text: out of memory");
		free(want);
		return;
	}
	rc = util_read_file(DOC_DROPIN, 1 << 20, true, &got, &glen, NULL, &d);
	if (rc == RJH_ENOENT)
		doc_problem(r, DOC_FAIL,
			    DOC_DROPIN " is missing: run 'rjh-admin sshd-config > " DOC_DROPIN
				       "' (the rjh package ships it as a conffile)");
	else if (rc < 0)
		doc_problem(r, DOC_FAIL, "%s", d.msg);
	else if ((line = first_diff(want, got)) != 0)
		doc_problem(r, DOC_FAIL,
			    DOC_DROPIN " differs from what 'rjh-admin sshd-config' prints, from "
				       "line %d: run 'rjh-admin sshd-config > " DOC_DROPIN
				       "' (a package upgrade asks about the changed conffile)",
			    line);
	free(want);
	free(got);
}

/* The value of keyword in sshd -T's output (lines "keyword value"), or NULL. */
static const char *sshd_value(char *out, const char *keyword, char *buf, size_t len)
{
	size_t n = strlen(keyword);
	char *p;

	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, keyword, n) == 0 && p[n] == ' ') {
			snprintf(buf, len, "%.*s", (int)strcspn(p + n + 1, "\n"), p + n + 1);
			return buf;
		}
	}
	return NULL;
}

/* The last line of text, trimmed, for a message. */
static const char *last_line(char *text)
{
	size_t n = strlen(text);
	char *p;

	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = '\0';
	p = strrchr(text, '\n');
	return p ? p + 1 : text;
}

/* sshd -T for host, as a connection from it would see its configuration. */
static void sshd_applies(struct doc_ctx *x, struct doc_result *r, const char *host)
{
	const struct cfg *c = &x->a->cfg;
	char spec[128], akc[1024], chroot[512], want[CFG_PATH_MAX + 16], safe[300];
	char prog[] = DOC_SSHD, opt_t[] = "-T", opt_c[] = "-C";
	char *argv[] = {prog, opt_t, opt_c, spec, NULL};
	char *out = NULL, *err = NULL;
	const char *v;
	size_t hl = strlen(ADMIN_KEY_HELPER);
	int st;

	snprintf(spec, sizeof(spec), "user=%s,host=x,addr=127.0.0.1", host);
	st = admin_run(argv, DOC_SSHD_TIMEOUT_MS, &out, &err);
	if (st < 0) {
		doc_problem(r, DOC_FAIL, DOC_SSHD " -T: %s",
			    errno == ETIMEDOUT ? "no answer within 10 s" : strerror(errno));
		goto out;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		doc_problem(r, DOC_FAIL,
			    DOC_SSHD " -T fails: %s (sshd needs host keys, 'ssh-keygen -A', and "
				     "/run/sshd, which its service makes)",
			    util_safe(last_line(err), safe, sizeof(safe)));
		goto out;
	}
	snprintf(want, sizeof(want), "%s/hosts/%%u", c->runtime_dir);
	v = sshd_value(out, "authorizedkeyscommand", akc, sizeof(akc));
	if (!v || strncmp(v, ADMIN_KEY_HELPER, hl) != 0 || (v[hl] != ' ' && v[hl] != '\0'))
		doc_problem(
		    r, DOC_FAIL,
		    "sshd -T for host %s has AuthorizedKeysCommand '%s', not " ADMIN_KEY_HELPER
		    ": sshd does not apply the drop-in to rjh hosts (does sshd_config "
		    "Include sshd_config.d/*.conf before any other Match, and is %s in "
		    "group %s?)",
		    host, util_safe(v ? v : "none", safe, sizeof(safe)), host, c->host_group);
	v = sshd_value(out, "chrootdirectory", chroot, sizeof(chroot));
	if (!v || strcmp(v, want) != 0)
		doc_problem(r, DOC_FAIL, "sshd -T for host %s has ChrootDirectory '%s', not %s",
			    host, util_safe(v ? v : "none", safe, sizeof(safe)), want);
out:
	free(out);
	free(err);
}

/* sshd refuses an AuthorizedKeysCommand that is not root's alone, up to "/". */
static void helper_trusted(struct doc_result *r)
{
	struct rjh_diag d = {""};
	int rc = util_path_trusted(ADMIN_KEY_HELPER, &d);

	if (rc == RJH_ENOENT)
		doc_problem(r, DOC_FAIL,
			    "the key helper " ADMIN_KEY_HELPER " is missing: install rjh "
			    "(make install, or the rjh package)");
	else if (rc < 0)
		doc_problem(r, DOC_FAIL,
			    "%s: sshd refuses a key helper that is not root's alone, with every "
			    "directory above it",
			    d.msg);
}

/* The files the drop-in names for certificates: without the KRL, sshd refuses every key. */
static void cert_files(struct doc_ctx *x, struct doc_result *r)
{
	char krl[CFG_PATH_MAX + 16], cas[CFG_PATH_MAX + 16], *buf = NULL;
	struct rjh_diag d = {""};
	size_t len = 0;
	int rc;

	if (pub_certs_paths(x->a->cfg.registry, krl, cas, sizeof(krl)) < 0)
		return;
	rc = util_read_file(krl, 1 << 26, true, &buf, &len, NULL, &d);
	if (rc < 0 || len < 8 || memcmp(buf, "SSHKRL\n", 8) != 0)
		doc_problem(r, DOC_FAIL,
			    "%s is %s: sshd refuses every host's key while its RevokedKeys is not "
			    "a KRL; run 'rjh-admin refresh'",
			    krl,
			    rc == RJH_ENOENT ? "missing"
			    : rc < 0         ? "unreadable"
					     : "not a KRL");
	free(buf);
	if (access(cas, R_OK) < 0)
		doc_problem(r, DOC_WARN,
			    "%s is missing: no certificate logs in; run 'rjh-admin refresh'", cas);
}

void doc_check_sshd(struct doc_ctx *x, struct doc_result *r)
{
	const char *host = x->nhosts ? x->hosts[0].name : NULL;

	dropin_same(x, r);
	helper_trusted(r);
	cert_files(x, r);
	/* Without the host in NSS, sshd's Match Group cannot match: the nss check says why. */
	if (host && x->host_resolves)
		sshd_applies(x, r, host);
	else if (host)
		doc_problem(r, DOC_WARN,
			    "sshd -T not run: host %s or group %s does not resolve (see nss)", host,
			    x->a->cfg.host_group);
	if (host)
		doc_fine(r, DOC_DROPIN " is current; sshd -T applies it to host %s", host);
	else
		doc_fine(r, DOC_DROPIN " is current (sshd -T not run: %s)",
			 x->hosts_why[0] ? x->hosts_why : "no host enrolled");
}
