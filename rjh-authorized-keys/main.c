/*
 * rjh-authorized-keys: sshd's AuthorizedKeysCommand.
 *
 *   AuthorizedKeysCommand /usr/libexec/rjh/rjh-authorized-keys --config FILE -- %u %f %t %k
 *   rjh-authorized-keys --version
 *
 * Prints the authorized_keys lines of USER's own active keys, so that a key
 * can only ever log in as the one host it was enrolled for: with a
 * fingerprint (and key), only the matching key. Prints nothing and exits 0
 * for anything that is not an active rjh host or key. Fails closed: a login
 * snapshot it cannot read or trust, or malformed arguments, print nothing,
 * exit non-zero and log one line to syslog (authpriv).
 *
 * It reads the login snapshot (lib/login.h), never the registry: it takes
 * no lock, so however long it is stopped, no writer waits for it. It does
 * not link SQLite at all.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "key.h"
#include "login.h"
#include "name.h"
#include "policy.h"
#include "schema.h"
#include "util.h"
#include "version.h"

enum { AKC_OK = 0, AKC_USAGE = 1, AKC_FAIL = 2 };

/* Logs why nothing was printed and returns AKC_FAIL. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(LOG_AUTHPRIV | LOG_ERR, fmt, ap);
	va_end(ap);
	return AKC_FAIL;
}

struct query {
	const char *user, *fp, *type, *b64;
	int64_t now;
	const struct reg_host *host;
	FILE *out; /* lines are collected here and reach sshd only if all went well */
};

/* The earlier of two expiry times, 0 meaning never. */
static int64_t earliest(int64_t a, int64_t b)
{
	if (!a)
		return b;
	return b && b < a ? b : a;
}

/* Prints one authorized_keys line for k, if it is active and asked for. */
static int print_key(const struct reg_key *k, void *ctx)
{
	struct query *q = ctx;
	int64_t exp = earliest(k->expires, q->host->expires);
	char when[32] = "";

	if (!policy_key_presented(k, q->now, q->fp, q->type, q->b64))
		return 0;
	if (exp) {
		time_t t = (time_t)exp;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y%m%d%H%M%SZ", &tm);
	}
	fprintf(q->out, "restrict,port-forwarding%s%s%s%s%s%s %s %s rjh host=%s key=%lld\n",
		q->host->cidrs[0] ? ",from=\"" : "", q->host->cidrs, q->host->cidrs[0] ? "\"" : "",
		when[0] ? ",expiry-time=\"" : "", when, when[0] ? "\"" : "", k->type, k->b64,
		q->host->name, (long long)k->id);
	return ferror(q->out) ? RJH_ENOMEM : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: rjh-authorized-keys [-c CONF] [--db FILE] [--] USER "
			"[FINGERPRINT [TYPE BASE64]]\n"
			"       rjh-authorized-keys --version\n");
	syslog(LOG_AUTHPRIV | LOG_ERR, "malformed arguments");
	return AKC_USAGE;
}

/*
 * --version. Only as an option before "--": sshd runs us as "-- %u ...",
 * so no user name can ask for it.
 */
static int version(void)
{
	printf("rjh-authorized-keys " RJH_VERSION " (schema %d)\n", RJH_SCHEMA_VERSION);
	return fflush(stdout) == 0 ? AKC_OK : AKC_FAIL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"db", required_argument, NULL, 'D'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct query q = {.now = (int64_t)time(NULL)};
	const char *conf = NULL, *db = NULL;
	struct rjh_diag d = {""};
	struct login_view lv;
	struct reg_host h;
	struct cfg c;
	char *lines = NULL;
	size_t len = 0;
	int opt, n, rc;

	openlog("rjh-authorized-keys", LOG_PID, LOG_AUTHPRIV);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+c:", opts, NULL)) != -1) {
		if (opt == 'c')
			conf = optarg;
		else if (opt == 'D')
			db = optarg;
		else if (opt == 'V')
			return version();
		else
			return usage();
	}
	n = argc - optind;
	if (n != 1 && n != 2 && n != 4)
		return usage();
	q.user = argv[optind];
	q.fp = n >= 2 ? argv[optind + 1] : NULL;
	q.type = n == 4 ? argv[optind + 2] : NULL;
	q.b64 = n == 4 ? argv[optind + 3] : NULL;
	if ((q.fp && !key_is_fingerprint(q.fp)) ||
	    (q.type && (strlen(q.type) >= sizeof(((struct reg_key *)0)->type) ||
			strlen(q.b64) > KEY_B64_MAX)))
		return usage();
	/* Not a possible host name: not ours to answer, and nothing to log. */
	if (!name_is_host(q.user))
		return AKC_OK;
	/* No environment is consulted: the config is the file sshd's command line names. */
	rc = cfg_load(conf, &c, &d);
	if (rc < 0)
		return fail("%s", d.msg);
	if (db)
		snprintf(c.registry, sizeof(c.registry), "%s", db);
	/* Owner and mode are checked on the descriptors mapped (snap_map). */
	rc = login_open(&c, &lv, &d);
	if (rc < 0)
		return fail("%s", d.msg);
	q.out = open_memstream(&lines, &len);
	if (!q.out) {
		login_close(&lv);
		return fail("out of memory");
	}
	rc = login_host(&lv, q.user, &h);
	if (rc == RJH_ENOENT) {
		rc = RJH_OK; /* not an rjh host: print nothing */
	} else if (rc == 0 && !policy_host_refusal(&h, q.now, NULL)) {
		q.host = &h;
		rc = login_keys_each(&lv, q.user, print_key, &q);
	}
	if (rc < 0 && !d.msg[0])
		diag_set(&d, rc, "%s: %s in the login snapshot", q.user,
			 rc == RJH_ENOMEM ? "out of memory" : "a malformed record");
	login_close(&lv);
	/*
	 * NB. glibc's fclose of a memory stream returns 0 even when its last
	 * realloc fails: it then leaves lines NULL (and len stale). No lines is
	 * no answer, not "no keys".
	 */
	if ((fclose(q.out) != 0 || !lines) && rc == 0)
		rc = diag_set(&d, RJH_ENOMEM, "out of memory");
	/* Fail closed: sshd sees every line or none. */
	if (rc == 0 && len && (fwrite(lines, 1, len, stdout) != len || fflush(stdout) != 0))
		rc = diag_set(&d, RJH_ESYS, "cannot write to sshd: %s", strerror(errno));
	free(lines);
	return rc < 0 ? fail("%s", d.msg) : AKC_OK;
}
