/*
 * nss-probe: drives nss_rjh the way other programs do, through glibc
 * (getpwnam_r, getpwuid_r, getgrnam_r, getgrgid_r, getpwent_r, getgrouplist,
 * initgroups), or, where glibc would hide what the module did (errno, the
 * exact nss_status), through dlopen() of the module itself. One subcommand
 * per property tests/cli/t_nss.sh asserts. Each prints what it saw; exit 0
 * when the property holds, 1 when it does not, 2 on a usage error.
 *
 *   bufsizes NAME GROUP       ERANGE for small buffers, no write past them, exact sizes
 *   threads N ITER FILE GROUP GID [CHURN_PREFIX]
 *                             N threads x ITER mixed lookups of the hosts in FILE
 *                             ("NAME UID" lines), checking every answer
 *   fork NAME                 lookups in parent and children, forking while threads look up
 *   fds ITER NAME             no descriptor left behind by ITER lookups
 *   loop ITER NAME            ITER lookups by name and uid; prints the time taken
 *   ent START                 getpwent_r/getgrent_r from a START-byte buffer, grown on ERANGE
 *   groups NAME               getgrouplist and initgroups give the primary group only
 *   waitfor NAME present|absent MS
 *                             one process polls until NAME appears or disappears
 *   spin MS NAME              lookups for MS ms whatever the answers (survival); prints counts
 *   dlsym SO MAP              the module's dynamic symbol table defines exactly the NSS
 *                             entry points, MAP (the version script) names exactly them,
 *                             dlsym finds each and no internal name
 *   errno SO NAME             the module preserves errno and reports ERANGE through *errnop
 *   status SO KIND KEY        the module's nss_status for pwnam|pwuid|grnam|grgid|initgroups
 *   fault SO NAME LINE GROUP  under tests/fault/fault.c (RJH_FAULT_PAUSED=1): lookups of host
 *                             NAME (passwd LINE), its uid, GROUP and a name that is no host,
 *                             through glibc and then the module, counted; each answer right or
 *                             a failure with an error number; no descriptor left; the module
 *                             answers right once the fault has passed
 */
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BIG            65536
#define GUARD          64
#define GUARD_BYTE     0xa5
#define ERRNO_SENTINEL 4242
#define MAX_REPORTS    20

static int failures;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

/* Records a failed check; prints the first MAX_REPORTS of them. */
__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&report_lock);
	if (failures++ < MAX_REPORTS) {
		fputs("FAIL: ", stdout);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
		fflush(stdout);
	}
	pthread_mutex_unlock(&report_lock);
}

static int done(void)
{
	fflush(stdout);
	return failures ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: nss-probe bufsizes|threads|fork|fds|loop|ent|groups|waitfor|"
			"spin|dlsym|errno|status|fault ARGS (see the source)\n");
	return 2;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return errno || end == s || *end ? -1 : v;
}

static bool in_buf(const char *p, const char *buf, size_t len)
{
	return p && p >= buf && p < buf + len;
}

/* A buffer of len bytes followed by GUARD bytes of GUARD_BYTE. */
static char *guarded(size_t len)
{
	char *b = malloc(len + GUARD);

	if (b)
		memset(b, GUARD_BYTE, len + GUARD);
	return b;
}

static bool guard_intact(const char *b, size_t len)
{
	size_t i;

	for (i = len; i < len + GUARD; i++)
		if ((unsigned char)b[i] != GUARD_BYTE)
			return false;
	return true;
}

/* bufsizes */

static int pw_try(const char *name, size_t len, struct passwd *pw, char **bufp)
{
	struct passwd *res = NULL;
	char *buf = guarded(len);
	int rc;

	if (!buf)
		return ENOMEM;
	rc = getpwnam_r(name, pw, buf, len, &res);
	if (!guard_intact(buf, len))
		fail("getpwnam_r(%s) with %zu bytes wrote past the buffer", name, len);
	if (rc == 0 && !res)
		rc = -1; /* "not found": never the answer for a host, whatever the buffer */
	if (rc == 0 && (!in_buf(pw->pw_name, buf, len) || !in_buf(pw->pw_passwd, buf, len) ||
			!in_buf(pw->pw_gecos, buf, len) || !in_buf(pw->pw_dir, buf, len) ||
			!in_buf(pw->pw_shell, buf, len)))
		fail("getpwnam_r(%s): a string points outside the caller's buffer", name);
	if (rc == 0 && bufp)
		*bufp = buf;
	else
		free(buf);
	return rc;
}

static int gr_try(const char *name, size_t len, struct group *gr, char **bufp)
{
	struct group *res = NULL;
	char *buf = guarded(len);
	int rc;

	if (!buf)
		return ENOMEM;
	rc = getgrnam_r(name, gr, buf, len, &res);
	if (!guard_intact(buf, len))
		fail("getgrnam_r(%s) with %zu bytes wrote past the buffer", name, len);
	if (rc == 0 && !res)
		rc = -1;
	if (rc == 0 && (!in_buf(gr->gr_name, buf, len) || !in_buf(gr->gr_passwd, buf, len) ||
			!in_buf((const char *)gr->gr_mem, buf, len)))
		fail("getgrnam_r(%s): a field points outside the caller's buffer", name);
	if (rc == 0 && bufp)
		*bufp = buf;
	else
		free(buf);
	return rc;
}

static const char *rc_name(int rc)
{
	return rc == -1 ? "not found" : strerror(rc);
}

/*
 * Grows the buffer one byte at a time from 1; returns the first size that
 * works, or 0. Every smaller size must give ERANGE; "not found" there is
 * reported once and the search goes on, so the size is still measured.
 */
static size_t exact_size(bool group, const char *name)
{
	const char *fn = group ? "getgrnam_r" : "getpwnam_r";
	size_t n, lost_from = 0, lost_to = 0;
	struct passwd pw;
	struct group gr;
	int rc;

	for (n = 1; n < BIG; n++) {
		rc = group ? gr_try(name, n, &gr, NULL) : pw_try(name, n, &pw, NULL);
		if (rc == 0) {
			if (lost_from)
				fail("%s(%s) with %zu to %zu bytes: not found, wanted ERANGE", fn,
				     name, lost_from, lost_to);
			return n;
		}
		if (rc == -1) {
			lost_from = lost_from ? lost_from : n;
			lost_to = n;
		} else if (rc != ERANGE) {
			fail("%s(%s) with %zu bytes: %s, wanted ERANGE until the entry fits", fn,
			     name, n, rc_name(rc));
			return 0;
		}
	}
	fail("%s(%s) never succeeded", fn, name);
	return 0;
}

static void bufsizes_pw(const char *name)
{
	struct passwd a, b;
	char *ba = NULL, *bb = NULL;
	size_t exact;
	int rc;

	rc = pw_try(name, 1, &a, NULL);
	if (rc != ERANGE)
		fail("getpwnam_r(%s) with 1 byte: %s, wanted ERANGE", name, rc_name(rc));
	exact = exact_size(false, name);
	if (!exact)
		return;
	printf("passwd exact=%zu\n", exact);
	if ((rc = pw_try(name, exact, &a, &ba)) != 0)
		fail("getpwnam_r(%s) with the exact %zu bytes again: %s", name, exact, rc_name(rc));
	if (exact > 1 && (rc = pw_try(name, exact - 1, &b, NULL)) != ERANGE)
		fail("getpwnam_r(%s) with %zu bytes: %s, wanted ERANGE", name, exact - 1,
		     rc_name(rc));
	if ((rc = pw_try(name, BIG, &b, &bb)) != 0)
		fail("getpwnam_r(%s) with %d bytes: %s", name, BIG, rc_name(rc));
	if (ba && bb &&
	    (strcmp(a.pw_name, b.pw_name) || strcmp(a.pw_passwd, b.pw_passwd) ||
	     a.pw_uid != b.pw_uid || a.pw_gid != b.pw_gid || strcmp(a.pw_gecos, b.pw_gecos) ||
	     strcmp(a.pw_dir, b.pw_dir) || strcmp(a.pw_shell, b.pw_shell)))
		fail("getpwnam_r(%s): the exact-size and big-buffer answers differ", name);
	if (bb)
		printf("passwd %s:%s:%u:%u:%s:%s:%s\n", b.pw_name, b.pw_passwd, (unsigned)b.pw_uid,
		       (unsigned)b.pw_gid, b.pw_gecos, b.pw_dir, b.pw_shell);
	free(ba);
	free(bb);
}

static void bufsizes_gr(const char *name)
{
	struct group a, b;
	char *ba = NULL, *bb = NULL;
	size_t exact;
	int rc;

	rc = gr_try(name, 1, &a, NULL);
	if (rc != ERANGE)
		fail("getgrnam_r(%s) with 1 byte: %s, wanted ERANGE", name, rc_name(rc));
	exact = exact_size(true, name);
	if (!exact)
		return;
	printf("group exact=%zu\n", exact);
	if ((rc = gr_try(name, exact, &a, &ba)) != 0)
		fail("getgrnam_r(%s) with the exact %zu bytes again: %s", name, exact, rc_name(rc));
	if (exact > 1 && (rc = gr_try(name, exact - 1, &b, NULL)) != ERANGE)
		fail("getgrnam_r(%s) with %zu bytes: %s, wanted ERANGE", name, exact - 1,
		     rc_name(rc));
	if ((rc = gr_try(name, BIG, &b, &bb)) != 0)
		fail("getgrnam_r(%s) with %d bytes: %s", name, BIG, rc_name(rc));
	if (ba && bb &&
	    (strcmp(a.gr_name, b.gr_name) || strcmp(a.gr_passwd, b.gr_passwd) ||
	     a.gr_gid != b.gr_gid || a.gr_mem[0] || b.gr_mem[0]))
		fail(
		    "getgrnam_r(%s): the exact-size and big-buffer answers differ, or list members",
		    name);
	if (bb)
		printf("group %s:%s:%u:\n", b.gr_name, b.gr_passwd, (unsigned)b.gr_gid);
	free(ba);
	free(bb);
}

static int cmd_bufsizes(int argc, char **argv)
{
	if (argc != 4)
		return usage();
	bufsizes_pw(argv[2]);
	bufsizes_gr(argv[3]);
	return done();
}

/* threads */

struct host {
	char name[64];
	uid_t uid;
};

static struct {
	struct host *hosts;
	size_t n;
	long iter;
	const char *group;
	gid_t gid;
	const char *churn;
	long churn_span;
} T;

static struct {
	pthread_mutex_t lock;
	long lookups, churn_found, churn_absent;
} counts = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0};

static int load_hosts(const char *path)
{
	FILE *f = fopen(path, "re");
	char name[64];
	unsigned long uid;
	size_t cap = 0;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lu", name, &uid) == 2) {
		if (T.n == cap) {
			struct host *h = realloc(T.hosts, (cap = cap ? cap * 2 : 64) * sizeof(*h));

			if (!h) {
				fclose(f);
				return -1;
			}
			T.hosts = h;
		}
		snprintf(T.hosts[T.n].name, sizeof(T.hosts[T.n].name), "%s", name);
		T.hosts[T.n].uid = (uid_t)uid;
		T.n++;
	}
	fclose(f);
	return T.n ? 0 : -1;
}

/* Checks every field of a stable host's entry. */
static void check_pw(const char *how, const struct host *h, const struct passwd *pw)
{
	char gecos[128];
	size_t dl = strlen(pw->pw_dir), nl = strlen(h->name);

	snprintf(gecos, sizeof(gecos), "rjh host %s", h->name);
	if (strcmp(pw->pw_name, h->name) || pw->pw_uid != h->uid || pw->pw_gid != T.gid ||
	    strcmp(pw->pw_passwd, "*") || strcmp(pw->pw_gecos, gecos) ||
	    strcmp(pw->pw_shell, "/usr/sbin/nologin") || dl < nl + 7 ||
	    strcmp(pw->pw_dir + dl - nl, h->name) ||
	    strncmp(pw->pw_dir + dl - nl - 7, "/hosts/", 7))
		fail("%s %s: got %s:%s:%u:%u:%s:%s:%s, wanted uid %u", how, h->name, pw->pw_name,
		     pw->pw_passwd, (unsigned)pw->pw_uid, (unsigned)pw->pw_gid, pw->pw_gecos,
		     pw->pw_dir, pw->pw_shell, (unsigned)h->uid);
}

static void stable_lookup(unsigned op, const struct host *h, char *buf)
{
	struct passwd pw, *pr = NULL;
	struct group gr, *gres = NULL;
	int rc;

	if (op == 0) {
		rc = getpwnam_r(h->name, &pw, buf, BIG, &pr);
		if (rc || !pr)
			fail("getpwnam_r(%s): %s", h->name, rc ? strerror(rc) : "not found");
		else
			check_pw("getpwnam_r", h, pr);
	} else if (op == 1) {
		rc = getpwuid_r(h->uid, &pw, buf, BIG, &pr);
		if (rc || !pr)
			fail("getpwuid_r(%u) (%s): %s", (unsigned)h->uid, h->name,
			     rc ? strerror(rc) : "not found");
		else
			check_pw("getpwuid_r", h, pr);
	} else if (op == 2) {
		rc = getgrnam_r(T.group, &gr, buf, BIG, &gres);
		if (rc || !gres || gres->gr_gid != T.gid || strcmp(gres->gr_name, T.group))
			fail("getgrnam_r(%s): %s", T.group,
			     rc      ? strerror(rc)
			     : !gres ? "not found"
				     : "wrong answer");
	} else {
		rc = getgrgid_r(T.gid, &gr, buf, BIG, &gres);
		if (rc || !gres || gres->gr_gid != T.gid || strcmp(gres->gr_name, T.group))
			fail("getgrgid_r(%u): %s", (unsigned)T.gid,
			     rc      ? strerror(rc)
			     : !gres ? "not found"
				     : "wrong answer");
	}
}

/*
 * A host that comes and goes: absent, or present as itself in the hosts
 * group; and since uids are never reused, its uid names it or nothing.
 */
static bool churn_lookup(unsigned r, char *buf)
{
	struct passwd pw, *pr = NULL, pw2, *pr2 = NULL;
	char name[64], *buf2 = buf + BIG / 2;
	int rc;

	snprintf(name, sizeof(name), "%s%ld", T.churn, (long)(r % (unsigned)T.churn_span));
	rc = getpwnam_r(name, &pw, buf, BIG / 2, &pr);
	if (rc) {
		fail("getpwnam_r(%s): %s", name, strerror(rc));
		return false;
	}
	if (!pr)
		return false;
	if (strcmp(pr->pw_name, name) || pr->pw_gid != T.gid) {
		fail("getpwnam_r(%s): got %s uid %u gid %u", name, pr->pw_name,
		     (unsigned)pr->pw_uid, (unsigned)pr->pw_gid);
		return true;
	}
	rc = getpwuid_r(pr->pw_uid, &pw2, buf2, BIG / 2, &pr2);
	if (rc)
		fail("getpwuid_r(%u): %s", (unsigned)pr->pw_uid, strerror(rc));
	else if (pr2 && strcmp(pr2->pw_name, name))
		fail("uid %u was %s, now names %s", (unsigned)pr->pw_uid, name, pr2->pw_name);
	return true;
}

static void *thread_main(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
	long i, found = 0, absent = 0;
	char *buf = malloc(BIG);

	if (!buf) {
		fail("out of memory");
		return NULL;
	}
	for (i = 0; i < T.iter; i++) {
		unsigned r = (unsigned)rand_r(&seed);
		unsigned op = r % 8;

		if (op == 7 && T.churn) {
			if (churn_lookup(r / 8, buf))
				found++;
			else
				absent++;
		} else {
			stable_lookup(op % 4, &T.hosts[(r / 8) % T.n], buf);
		}
	}
	free(buf);
	pthread_mutex_lock(&counts.lock);
	counts.lookups += T.iter;
	counts.churn_found += found;
	counts.churn_absent += absent;
	pthread_mutex_unlock(&counts.lock);
	return NULL;
}

static int cmd_threads(int argc, char **argv)
{
	pthread_t *tids;
	long n, i;
	int64_t t0;

	if (argc < 7 || argc > 8 || (n = num(argv[2])) <= 0 || (T.iter = num(argv[3])) <= 0 ||
	    num(argv[6]) < 0)
		return usage();
	if (load_hosts(argv[4]) < 0) {
		fprintf(stderr, "nss-probe: cannot read hosts from %s\n", argv[4]);
		return 2;
	}
	T.group = argv[5];
	T.gid = (gid_t)num(argv[6]);
	T.churn = argc > 7 ? argv[7] : NULL;
	T.churn_span = 64;
	tids = calloc((size_t)n, sizeof(*tids));
	if (!tids)
		return 2;
	t0 = mono_ms();
	for (i = 0; i < n; i++)
		if (pthread_create(&tids[i], NULL, thread_main, (void *)(uintptr_t)i) != 0) {
			fail("pthread_create");
			n = i;
		}
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	printf("threads=%ld lookups=%ld churn_found=%ld churn_absent=%ld wrong=%d ms=%lld\n", n,
	       counts.lookups, counts.churn_found, counts.churn_absent, failures,
	       (long long)(mono_ms() - t0));
	free(tids);
	free(T.hosts);
	return done();
}

/* fork */

/* The uid of name through getpwnam_r, or -1 (not found) or -2 (error). */
static long uid_of(const char *name)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int rc = getpwnam_r(name, &pw, buf, sizeof(buf), &res);

	return rc ? -2 : res ? (long)res->pw_uid : -1;
}

static volatile int fork_stop;

static void *fork_hammer(void *arg)
{
	const char *name = arg;

	while (!__atomic_load_n(&fork_stop, __ATOMIC_RELAXED))
		if (uid_of(name) < 0)
			fail("a thread's lookup of %s failed while the main thread forked", name);
	return NULL;
}

static int cmd_fork(int argc, char **argv)
{
	pthread_t tids[4];
	long before, i, forks = 200;
	int nt = 0, status = 0;

	if (argc != 3)
		return usage();
	before = uid_of(argv[2]);
	if (before < 0) {
		fail("parent: %s not found before fork", argv[2]);
		return done();
	}
	/* Plain fork first, then forks while other threads are inside the module. */
	for (i = 0; i <= forks; i++) {
		pid_t pid;

		for (; i == 1 && nt < 4; nt++)
			if (pthread_create(&tids[nt], NULL, fork_hammer, argv[2]) != 0) {
				fail("pthread_create");
				break;
			}
		pid = fork();
		if (pid < 0) {
			fail("fork: %s", strerror(errno));
			break;
		}
		if (pid == 0) {
			alarm(5); /* a lock inherited held would hang here */
			_exit(uid_of(argv[2]) == before && uid_of(argv[2]) == before ? 0 : 1);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			fail("child %ld: lookup of %s %s", i, argv[2],
			     WIFSIGNALED(status) ? "hung or crashed"
						 : "failed or gave another uid");
	}
	__atomic_store_n(&fork_stop, 1, __ATOMIC_RELAXED);
	while (nt > 0)
		pthread_join(tids[--nt], NULL);
	if (uid_of(argv[2]) != before)
		fail("parent: %s changed or vanished after fork", argv[2]);
	printf("uid=%ld forks=%ld\n", before, i);
	return done();
}

/* fds */

/* Open descriptors; *snap counts those that name a snapshot file. */
static int count_fds(int *snap)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char target[4096];
	int n = 0;

	*snap = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		ssize_t l;

		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		n++;
		l = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		if (l > 0) {
			target[l] = '\0';
			if (strstr(target, ".nss"))
				(*snap)++;
		}
	}
	closedir(d);
	return n;
}

static int cmd_fds(int argc, char **argv)
{
	struct passwd host, *hres = NULL;
	struct group gr, *gres;
	char buf[4096];
	long iter, i, uid;
	int first, last, snap;
	gid_t gid;

	if (argc != 4 || (iter = num(argv[2])) <= 0)
		return usage();
	if (getpwnam_r(argv[3], &host, buf, sizeof(buf), &hres) || !hres) {
		fail("%s not found", argv[3]);
		return done();
	}
	uid = (long)hres->pw_uid;
	gid = hres->pw_gid;
	first = count_fds(&snap);
	if (snap)
		fail("%d descriptors of snapshot files open after the first lookup", snap);
	for (i = 0; i < iter; i++) {
		struct passwd pw, *res = NULL;

		if (i % 3 == 0 && uid_of(argv[3]) != uid)
			fail("lookup %ld of %s failed", i, argv[3]);
		if (i % 3 == 1 && (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res) || !res))
			fail("lookup %ld of uid %ld failed", i, uid);
		if (i % 3 == 2 && (getgrgid_r(gid, &gr, buf, sizeof(buf), &gres) || !gres))
			fail("lookup %ld of gid %u failed", i, (unsigned)gid);
	}
	last = count_fds(&snap);
	if (snap)
		fail("%d descriptors of snapshot files open after %ld lookups", snap, iter);
	if (first != last)
		fail("%d descriptors open after the first lookup, %d after %ld", first, last, iter);
	printf("fds first=%d last=%d lookups=%ld\n", first, last, iter);
	return done();
}

/* loop */

static int cmd_loop(int argc, char **argv)
{
	long iter, i, uid;
	int64_t t0;

	if (argc != 4 || (iter = num(argv[2])) <= 0)
		return usage();
	t0 = mono_ms();
	uid = uid_of(argv[3]);
	if (uid < 0)
		fail("%s not found", argv[3]);
	for (i = 1; i < iter && uid >= 0; i++) {
		struct passwd pw, *res = NULL;
		char buf[1024];

		if (i % 2 && uid_of(argv[3]) != uid)
			fail("lookup %ld of %s failed", i, argv[3]);
		if (!(i % 2) && (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res) || !res ||
				 strcmp(res->pw_name, argv[3])))
			fail("lookup %ld of uid %ld failed", i, uid);
		if (i % 1000 == 0) { /* an enumeration now and then */
			setpwent();
			while (getpwent())
				;
			endpwent();
		}
	}
	printf("lookups=%ld ms=%lld\n", iter, (long long)(mono_ms() - t0));
	return done();
}

/* ent */

static int cmd_ent(int argc, char **argv)
{
	long start;
	size_t len;
	char *buf;
	int rc;

	if (argc != 3 || (start = num(argv[2])) <= 0)
		return usage();
	len = (size_t)start;
	buf = malloc(BIG);
	if (!buf)
		return 2;
	setpwent();
	for (;;) {
		struct passwd pw, *res = NULL;

		rc = getpwent_r(&pw, buf, len, &res);
		if (rc == ERANGE && len < BIG) {
			len++; /* the same entry again, with one more byte */
			continue;
		}
		if (rc || !res)
			break;
		printf("pw %s %u\n", res->pw_name, (unsigned)res->pw_uid);
	}
	endpwent();
	if (rc != ENOENT && rc != 0)
		fail("getpwent_r: %s", strerror(rc));
	len = (size_t)start;
	setgrent();
	for (;;) {
		struct group gr, *res = NULL;

		rc = getgrent_r(&gr, buf, len, &res);
		if (rc == ERANGE && len < BIG) {
			len++;
			continue;
		}
		if (rc || !res)
			break;
		printf("gr %s %u\n", res->gr_name, (unsigned)res->gr_gid);
	}
	endgrent();
	if (rc != ENOENT && rc != 0)
		fail("getgrent_r: %s", strerror(rc));
	free(buf);
	return done();
}

/* groups */

static int cmd_groups(int argc, char **argv)
{
	struct passwd pw, *res = NULL;
	gid_t groups[64];
	char buf[4096];
	int n = 64, i;

	if (argc != 3)
		return usage();
	if (getpwnam_r(argv[2], &pw, buf, sizeof(buf), &res) || !res) {
		fail("%s not found", argv[2]);
		return done();
	}
	if (getgrouplist(argv[2], res->pw_gid, groups, &n) < 0) {
		fail("getgrouplist(%s) failed (%d groups)", argv[2], n);
		return done();
	}
	printf("getgrouplist:");
	for (i = 0; i < n; i++)
		printf(" %u", (unsigned)groups[i]);
	putchar('\n');
	if (n != 1 || groups[0] != res->pw_gid)
		fail("getgrouplist(%s): wanted the primary group %u only", argv[2],
		     (unsigned)res->pw_gid);
	/* initgroups as root: this process then has exactly the hosts group. */
	if (initgroups(argv[2], res->pw_gid) < 0) {
		fail("initgroups(%s): %s", argv[2], strerror(errno));
		return done();
	}
	n = getgroups(64, groups);
	printf("initgroups:");
	for (i = 0; i < n; i++)
		printf(" %u", (unsigned)groups[i]);
	putchar('\n');
	if (n != 1 || groups[0] != res->pw_gid)
		fail("initgroups(%s): wanted the primary group %u only", argv[2],
		     (unsigned)res->pw_gid);
	return done();
}

/* waitfor */

/*
 * Polls NAME in this one process. It must first be in the other state; then
 * prints "ready", and when the state flips, "seen_ns=REALTIME elapsed_ms=N".
 */
static int cmd_waitfor(int argc, char **argv)
{
	struct timespec ts;
	bool want;
	long ms;
	int64_t t0;

	if (argc != 5 || (strcmp(argv[3], "present") && strcmp(argv[3], "absent")) ||
	    (ms = num(argv[4])) <= 0)
		return usage();
	want = !strcmp(argv[3], "present");
	if ((uid_of(argv[2]) >= 0) == want) {
		fail("%s is already %s", argv[2], argv[3]);
		return done();
	}
	printf("ready\n");
	fflush(stdout);
	t0 = mono_ms();
	while ((uid_of(argv[2]) >= 0) != want) {
		if (mono_ms() - t0 > ms) {
			fail("%s not %s after %ld ms", argv[2], argv[3], ms);
			return done();
		}
		usleep(1000);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("seen_ns=%lld elapsed_ms=%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec,
	       (long long)(mono_ms() - t0));
	return done();
}

/* Survival under snapshot changes: no answer is wrong here, only a crash or a hang. */
static int cmd_spin(int argc, char **argv)
{
	long ms, found = 0, absent = 0;
	int64_t t0;

	if (argc != 4 || (ms = num(argv[2])) <= 0)
		return usage();
	t0 = mono_ms();
	while (mono_ms() - t0 < ms) {
		if (uid_of(argv[3]) >= 0)
			found++;
		else
			absent++;
	}
	printf("found=%ld absent=%ld\n", found, absent);
	return done();
}

/* The module itself, for what glibc hides. */

typedef enum nss_status (*pwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*pwuid_fn)(uid_t, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*grnam_fn)(const char *, struct group *, char *, size_t, int *);
typedef enum nss_status (*grgid_fn)(gid_t, struct group *, char *, size_t, int *);
typedef enum nss_status (*setent_fn)(int);
typedef enum nss_status (*endent_fn)(void);
typedef enum nss_status (*pwent_fn)(struct passwd *, char *, size_t, int *);
typedef enum nss_status (*initgroups_fn)(const char *, gid_t, long int *, long int *, gid_t **,
					 long int, int *);

static const char *const exported[] = {
    "_nss_rjh_getpwnam_r", "_nss_rjh_getpwuid_r", "_nss_rjh_setpwent",       "_nss_rjh_getpwent_r",
    "_nss_rjh_endpwent",   "_nss_rjh_getgrnam_r", "_nss_rjh_getgrgid_r",     "_nss_rjh_setgrent",
    "_nss_rjh_getgrent_r", "_nss_rjh_endgrent",   "_nss_rjh_initgroups_dyn",
};

static const char *const internal[] = {
    "snap_map",  "snap_view_map", "snap_view_name",  "snap_paths",   "cfg_load",
    "cfg_parse", "name_is_host",  "name_is_account", "rjh_strerror", "diag_set",
    "refresh",   "load_conf",     "fill_passwd",     "cur",          "lock",
};

static void *module(const char *so)
{
	void *h;

	if (so[0] != '/') {
		fprintf(stderr, "nss-probe: %s: give the module's absolute path\n", so);
		return NULL;
	}
	h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fprintf(stderr, "nss-probe: %s\n", dlerror());
	return h;
}

static void *sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p)
		fail("%s is not exported", name);
	return p;
}

static bool is_exported(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(exported) / sizeof(exported[0]); i++)
		if (!strcmp(name, exported[i]))
			return true;
	return false;
}

/* Checks a set of names against exported[]: each is listed, and none of exported[] is missing. */
static void same_set(const char *what, const char *const *names, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		if (!is_exported(names[i]))
			fail("%s: %s is not an NSS entry point", what, names[i]);
	for (i = 0; i < sizeof(exported) / sizeof(exported[0]); i++) {
		for (j = 0; j < n && strcmp(names[j], exported[i]); j++)
			;
		if (j == n)
			fail("%s: %s is missing", what, exported[i]);
	}
}

#define MAX_NAMES 64

/* The defined global symbols of the ELF file at path (its .dynsym); -1 if it cannot be read. */
static int dynsym_names(const char *path, char names[][128], size_t *n_out)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	struct stat st;
	const char *p;
	size_t i, k;
	int fd;

	*n_out = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(*eh)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	eh = (const Elf64_Ehdr *)(const void *)p;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(*sh) > (size_t)st.st_size)
		goto bad;
	sh = (const Elf64_Shdr *)(const void *)(p + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym = (const Elf64_Sym *)(const void *)(p + sh[i].sh_offset);
		const char *str;

		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum)
			continue;
		/* Our own build's file, but a truncated one must fail, not crash. */
		if (sh[i].sh_offset + sh[i].sh_size > (size_t)st.st_size ||
		    sh[sh[i].sh_link].sh_offset + sh[sh[i].sh_link].sh_size > (size_t)st.st_size)
			goto bad;
		str = p + sh[sh[i].sh_link].sh_offset;
		for (k = 0; k < sh[i].sh_size / sizeof(*sym); k++) {
			unsigned char bind = ELF64_ST_BIND(sym[k].st_info);

			if (sym[k].st_shndx == SHN_UNDEF || sym[k].st_name == 0 ||
			    (bind != STB_GLOBAL && bind != STB_WEAK))
				continue;
			if (*n_out == MAX_NAMES || sym[k].st_name >= sh[sh[i].sh_link].sh_size)
				goto bad;
			snprintf(names[(*n_out)++], 128, "%s", str + sym[k].st_name);
		}
	}
	munmap((void *)(uintptr_t)p, st.st_size);
	return 0;
bad:
	munmap((void *)(uintptr_t)p, st.st_size);
	return -1;
}

/* The names under "global:" in a version script, one "name;" a line. -1 if unreadable. */
static int map_names(const char *path, char names[][128], size_t *n_out)
{
	char line[256], name[128];
	bool global = false;
	FILE *f;

	*n_out = 0;
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		/* Comments and braces are not names. */
		if (sscanf(line, " %127[^;: \t\n]", name) != 1 || strchr("/*{}", name[0]))
			continue;
		if (strstr(line, "global:"))
			global = true;
		else if (strstr(line, "local:"))
			global = false;
		else if (global && strchr(line, ';') && *n_out < MAX_NAMES)
			snprintf(names[(*n_out)++], 128, "%s", name);
		else if (global)
			fail("%s: cannot read the line \"%.*s\"", path, (int)strcspn(line, "\n"),
			     line);
	}
	fclose(f);
	return 0;
}

static int cmd_dlsym(int argc, char **argv)
{
	static char names[MAX_NAMES][128];
	const char *list[MAX_NAMES];
	size_t i, ndyn, nmap;
	void *h;

	if (argc != 4 || !(h = module(argv[2])))
		return 2;
	for (i = 0; i < sizeof(exported) / sizeof(exported[0]); i++)
		sym(h, exported[i]);
	for (i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
		if (dlsym(h, internal[i]))
			fail("internal name %s is exported", internal[i]);
	if (dynsym_names(argv[2], names, &ndyn) < 0)
		fail("%s: cannot read its dynamic symbol table", argv[2]);
	for (i = 0; i < ndyn; i++)
		list[i] = names[i];
	same_set(".dynsym", list, ndyn);
	if (map_names(argv[3], names, &nmap) < 0)
		fail("%s: cannot read it", argv[3]);
	for (i = 0; i < nmap; i++)
		list[i] = names[i];
	same_set(argv[3], list, nmap);
	printf("exported=%zu dynsym=%zu map=%zu internal_hidden=%zu\n",
	       sizeof(exported) / sizeof(exported[0]), ndyn, nmap,
	       sizeof(internal) / sizeof(internal[0]));
	return done();
}

static const char *status_name(enum nss_status st)
{
	switch (st) {
	case NSS_STATUS_SUCCESS:
		return "SUCCESS";
	case NSS_STATUS_NOTFOUND:
		return "NOTFOUND";
	case NSS_STATUS_UNAVAIL:
		return "UNAVAIL";
	case NSS_STATUS_TRYAGAIN:
		return "TRYAGAIN";
	default:
		return "OTHER";
	}
}

/* One errno check: errno is the sentinel before, and must be after. */
static void errno_after(const char *what, enum nss_status st, enum nss_status want)
{
	if (errno != ERRNO_SENTINEL)
		fail("%s: errno %d (%s) afterwards, wanted it kept at %d", what, errno,
		     strerror(errno), ERRNO_SENTINEL);
	if (st != want)
		fail("%s: %s, wanted %s", what, status_name(st), status_name(want));
	errno = 0;
}

static int cmd_errno(int argc, char **argv)
{
	pwnam_fn pwnam;
	pwuid_fn pwuid;
	grnam_fn grnam;
	setent_fn setpw;
	endent_fn endpw;
	pwent_fn pwent;
	initgroups_fn initgr;
	struct passwd pw;
	struct group gr;
	char buf[4096], huge[1001];
	long start = 0, size = 8;
	gid_t *groups = malloc(8 * sizeof(*groups));
	uid_t uid = 0;
	int e = 0;
	void *h;
	enum nss_status st;

	if (argc != 4 || !groups || !(h = module(argv[2])))
		return 2;
	pwnam = (pwnam_fn)sym(h, "_nss_rjh_getpwnam_r");
	pwuid = (pwuid_fn)sym(h, "_nss_rjh_getpwuid_r");
	grnam = (grnam_fn)sym(h, "_nss_rjh_getgrnam_r");
	setpw = (setent_fn)sym(h, "_nss_rjh_setpwent");
	endpw = (endent_fn)sym(h, "_nss_rjh_endpwent");
	pwent = (pwent_fn)sym(h, "_nss_rjh_getpwent_r");
	initgr = (initgroups_fn)sym(h, "_nss_rjh_initgroups_dyn");
	if (!pwnam || !pwuid || !grnam || !setpw || !endpw || !pwent || !initgr)
		return done();
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';

	errno = ERRNO_SENTINEL;
	st = pwnam(argv[3], &pw, buf, sizeof(buf), &e);
	if (st == NSS_STATUS_SUCCESS)
		uid = pw.pw_uid;
	errno_after("getpwnam_r(host)", st, NSS_STATUS_SUCCESS);
	errno = ERRNO_SENTINEL;
	errno_after("getpwnam_r(valid name, no such host)",
		    pwnam("nohost-zz", &pw, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
	errno = ERRNO_SENTINEL;
	errno_after("getpwnam_r(../x)", pwnam("../x", &pw, buf, sizeof(buf), &e),
		    NSS_STATUS_NOTFOUND);
	errno = ERRNO_SENTINEL;
	errno_after("getpwnam_r(1000 characters)", pwnam(huge, &pw, buf, sizeof(buf), &e),
		    NSS_STATUS_NOTFOUND);
	errno = ERRNO_SENTINEL;
	errno_after("getpwuid_r(host uid)", pwuid(uid, &pw, buf, sizeof(buf), &e),
		    NSS_STATUS_SUCCESS);
	errno = ERRNO_SENTINEL;
	errno_after("getpwuid_r(0)", pwuid(0, &pw, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
	errno = ERRNO_SENTINEL;
	errno_after("getgrnam_r(root)", grnam("root", &gr, buf, sizeof(buf), &e),
		    NSS_STATUS_NOTFOUND);
	errno = ERRNO_SENTINEL;
	errno_after("setpwent", setpw(0), NSS_STATUS_SUCCESS);
	errno = ERRNO_SENTINEL;
	errno_after("getpwent_r", pwent(&pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
	errno = ERRNO_SENTINEL;
	errno_after("endpwent", endpw(), NSS_STATUS_SUCCESS);
	errno = ERRNO_SENTINEL;
	errno_after("initgroups_dyn(host)", initgr(argv[3], 0, &start, &size, &groups, -1, &e),
		    NSS_STATUS_SUCCESS);

	/* Too small a buffer, errnop separate from errno: ERANGE there, errno kept. */
	e = 0;
	errno = ERRNO_SENTINEL;
	errno_after("getpwnam_r(host, 1-byte buffer)", pwnam(argv[3], &pw, buf, 1, &e),
		    NSS_STATUS_TRYAGAIN);
	if (e != ERANGE)
		fail("getpwnam_r(host, 1-byte buffer): *errnop %d, wanted ERANGE", e);
	/*
	 * glibc passes &errno as errnop and tells "buffer too small" from other
	 * TRYAGAINs by errno == ERANGE afterwards: the ERANGE must survive.
	 */
	errno = ERRNO_SENTINEL;
	st = pwnam(argv[3], &pw, buf, 1, &errno);
	if (st != NSS_STATUS_TRYAGAIN || errno != ERANGE)
		fail("getpwnam_r(host, 1-byte buffer, errnop = &errno as glibc calls it): %s and "
		     "errno %d, wanted TRYAGAIN and ERANGE (%d)",
		     status_name(st), errno, ERANGE);
	errno = ERRNO_SENTINEL;
	st = grnam("rjh-hosts", &gr, buf, 1, &errno);
	if (st != NSS_STATUS_TRYAGAIN || errno != ERANGE)
		fail("getgrnam_r(rjh-hosts, 1-byte buffer, errnop = &errno): %s and errno %d, "
		     "wanted TRYAGAIN and ERANGE (%d)",
		     status_name(st), errno, ERANGE);
	free(groups);
	printf("errno checks done\n");
	return done();
}

static int cmd_status(int argc, char **argv)
{
	struct passwd pw;
	struct group gr;
	char buf[4096];
	long start = 0, size = 8, key;
	gid_t *groups;
	int e = 0;
	void *h, *f;
	enum nss_status st;
	const char *kind;

	if (argc != 5 || !(h = module(argv[2])))
		return 2;
	kind = argv[3];
	key = num(argv[4]);
	if (!strcmp(kind, "pwnam") && (f = sym(h, "_nss_rjh_getpwnam_r"))) {
		st = ((pwnam_fn)f)(argv[4], &pw, buf, sizeof(buf), &e);
		printf("%s", status_name(st));
		if (st == NSS_STATUS_SUCCESS)
			printf(" %s:%s:%u:%u:%s:%s:%s", pw.pw_name, pw.pw_passwd,
			       (unsigned)pw.pw_uid, (unsigned)pw.pw_gid, pw.pw_gecos, pw.pw_dir,
			       pw.pw_shell);
	} else if (!strcmp(kind, "pwuid") && key >= 0 && (f = sym(h, "_nss_rjh_getpwuid_r"))) {
		st = ((pwuid_fn)f)((uid_t)key, &pw, buf, sizeof(buf), &e);
		printf("%s", status_name(st));
		if (st == NSS_STATUS_SUCCESS)
			printf(" %s:%u", pw.pw_name, (unsigned)pw.pw_uid);
	} else if (!strcmp(kind, "grnam") && (f = sym(h, "_nss_rjh_getgrnam_r"))) {
		st = ((grnam_fn)f)(argv[4], &gr, buf, sizeof(buf), &e);
		printf("%s", status_name(st));
		if (st == NSS_STATUS_SUCCESS)
			printf(" %s:%u", gr.gr_name, (unsigned)gr.gr_gid);
	} else if (!strcmp(kind, "grgid") && key >= 0 && (f = sym(h, "_nss_rjh_getgrgid_r"))) {
		st = ((grgid_fn)f)((gid_t)key, &gr, buf, sizeof(buf), &e);
		printf("%s", status_name(st));
		if (st == NSS_STATUS_SUCCESS)
			printf(" %s:%u", gr.gr_name, (unsigned)gr.gr_gid);
	} else if (!strcmp(kind, "initgroups") && (f = sym(h, "_nss_rjh_initgroups_dyn")) &&
		   (groups = malloc(8 * sizeof(*groups)))) {
		st = ((initgroups_fn)f)(argv[4], 0, &start, &size, &groups, -1, &e);
		printf("%s", status_name(st));
		free(groups);
	} else {
		return failures ? done() : usage();
	}
	putchar('\n');
	return done();
}

/* tests/fault/fault.c's switch, when it is loaded: only the code under test is counted. */
static void fault_pause(int on)
{
	void (*f)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "rjh_fault_pause");

	if (f)
		f(on);
}

static void pw_line(const struct passwd *pw, char *out, size_t len)
{
	snprintf(out, len, "%s:%s:%u:%u:%s:%s:%s", pw->pw_name, pw->pw_passwd, (unsigned)pw->pw_uid,
		 (unsigned)pw->pw_gid, pw->pw_gecos, pw->pw_dir, pw->pw_shell);
}

/*
 * One answer of glibc's getXXnam_r: rc and whether there was a result. A
 * right entry is "ok", none "nf", a failure "e=ERRNO"; a wrong entry, or
 * ERANGE with a 64 KiB buffer (callers would grow it forever), fails.
 */
static const char *glibc_verdict(const char *what, int rc, bool found, bool right, char *tok,
				 size_t len)
{
	if (rc == 0 && found && !right)
		fail("%s: a wrong entry", what);
	if (rc == ERANGE)
		fail("%s: ERANGE with a %d-byte buffer", what, BIG);
	if (rc == 0)
		snprintf(tok, len, found ? "ok" : "nf");
	else
		snprintf(tok, len, "e=%d", rc);
	return tok;
}

/*
 * One answer of the module itself: SUCCESS with the right entry, or (for a
 * host) UNAVAIL or TRYAGAIN with an error in *errnop other than ERANGE;
 * NOTFOUND only for what is no host. errno is kept either way.
 */
static const char *module_verdict(const char *what, enum nss_status st, int e, bool host,
				  bool right)
{
	if (errno != ERRNO_SENTINEL)
		fail("%s: errno %d afterwards, wanted it kept", what, errno);
	if (st == NSS_STATUS_SUCCESS && (!host || !right))
		fail("%s: SUCCESS with a wrong entry", what);
	if (st == NSS_STATUS_NOTFOUND && host)
		fail("%s: NOTFOUND for an enrolled host, wanted UNAVAIL or TRYAGAIN on a failure",
		     what);
	if ((st == NSS_STATUS_UNAVAIL || st == NSS_STATUS_TRYAGAIN) && (e == 0 || e == ERANGE))
		fail("%s: %s with *errnop %d, wanted an error number (not ERANGE: the buffer is "
		     "big)",
		     what, status_name(st), e);
	return status_name(st);
}

static int cmd_fault(int argc, char **argv)
{
	static char buf[BIG];
	struct passwd pw, *pres;
	struct group gr, *gres;
	char line[BIG], t[5][32];
	const char *m[5];
	int rc[5], first, last, snap, e;
	bool found[5];
	uid_t uid;
	gid_t gid;
	void *h;
	pwnam_fn pwnam;
	pwuid_fn pwuid;
	grnam_fn grnam;
	grgid_fn grgid;
	enum nss_status st;
	unsigned long u, g;
	const char *name, *want, *group;

	if (argc != 6)
		return usage();
	name = argv[3];
	want = argv[4];
	group = argv[5];
	if (sscanf(want, "%*[^:]:%*[^:]:%lu:%lu:", &u, &g) != 2)
		return usage();
	uid = (uid_t)u;
	gid = (gid_t)g;
	/*
	 * glibc's own NSS set-up first, uncounted: glibc 2.36 dereferences NULL when
	 * its first allocation for it fails (nss_database_check_reload_and_get).
	 * root comes from files, so nss_rjh is not loaded yet.
	 */
	getpwnam_r("root", &pw, buf, sizeof(buf), &pres);
	first = count_fds(&snap);

	/* Through glibc: nss_rjh loaded, the snapshot mapped. */
	fault_pause(0);
	rc[0] = getpwnam_r(name, &pw, buf, sizeof(buf), &pres);
	found[0] = rc[0] == 0 && pres;
	if (found[0])
		pw_line(&pw, line, sizeof(line));
	fault_pause(1);
	glibc_verdict("getpwnam_r(host)", rc[0], found[0], found[0] && !strcmp(line, want), t[0],
		      sizeof(t[0]));
	fault_pause(0);
	rc[1] = getpwuid_r(uid, &pw, buf, sizeof(buf), &pres);
	found[1] = rc[1] == 0 && pres;
	if (found[1])
		pw_line(&pw, line, sizeof(line));
	fault_pause(1);
	glibc_verdict("getpwuid_r(host's uid)", rc[1], found[1], found[1] && !strcmp(line, want),
		      t[1], sizeof(t[1]));
	fault_pause(0);
	rc[2] = getgrnam_r(group, &gr, buf, sizeof(buf), &gres);
	found[2] = rc[2] == 0 && gres;
	fault_pause(1);
	glibc_verdict("getgrnam_r(hosts group)", rc[2], found[2],
		      found[2] && gr.gr_gid == gid && !strcmp(gr.gr_name, group) && !gr.gr_mem[0],
		      t[2], sizeof(t[2]));
	fault_pause(0);
	rc[3] = getgrgid_r(gid, &gr, buf, sizeof(buf), &gres);
	found[3] = rc[3] == 0 && gres;
	fault_pause(1);
	glibc_verdict("getgrgid_r(hosts gid)", rc[3], found[3],
		      found[3] && !strcmp(gr.gr_name, group), t[3], sizeof(t[3]));
	fault_pause(0);
	rc[4] = getpwnam_r("nohost-zz", &pw, buf, sizeof(buf), &pres);
	found[4] = rc[4] == 0 && pres;
	fault_pause(1);
	glibc_verdict("getpwnam_r(no such host)", rc[4], found[4], false, t[4], sizeof(t[4]));
	printf("glibc %s %s %s %s %s\n", t[0], t[1], t[2], t[3], t[4]);

	/* The module itself (glibc hides *errnop): a copy, so it starts cold. */
	if (!(h = module(argv[2])))
		return 2;
	pwnam = (pwnam_fn)sym(h, "_nss_rjh_getpwnam_r");
	pwuid = (pwuid_fn)sym(h, "_nss_rjh_getpwuid_r");
	grnam = (grnam_fn)sym(h, "_nss_rjh_getgrnam_r");
	grgid = (grgid_fn)sym(h, "_nss_rjh_getgrgid_r");
	if (!pwnam || !pwuid || !grnam || !grgid)
		return done();
	e = 0;
	errno = ERRNO_SENTINEL;
	fault_pause(0);
	st = pwnam(name, &pw, buf, sizeof(buf), &e);
	fault_pause(1);
	if (st == NSS_STATUS_SUCCESS)
		pw_line(&pw, line, sizeof(line));
	m[0] = module_verdict("_nss_rjh_getpwnam_r(host)", st, e, true,
			      st == NSS_STATUS_SUCCESS && !strcmp(line, want));
	e = 0;
	errno = ERRNO_SENTINEL;
	fault_pause(0);
	st = pwuid(uid, &pw, buf, sizeof(buf), &e);
	fault_pause(1);
	if (st == NSS_STATUS_SUCCESS)
		pw_line(&pw, line, sizeof(line));
	m[1] = module_verdict("_nss_rjh_getpwuid_r(host's uid)", st, e, true,
			      st == NSS_STATUS_SUCCESS && !strcmp(line, want));
	e = 0;
	errno = ERRNO_SENTINEL;
	fault_pause(0);
	st = grnam(group, &gr, buf, sizeof(buf), &e);
	fault_pause(1);
	m[2] = module_verdict("_nss_rjh_getgrnam_r(hosts group)", st, e, true,
			      st == NSS_STATUS_SUCCESS && gr.gr_gid == gid);
	e = 0;
	errno = ERRNO_SENTINEL;
	fault_pause(0);
	st = grgid(gid, &gr, buf, sizeof(buf), &e);
	fault_pause(1);
	m[3] = module_verdict("_nss_rjh_getgrgid_r(hosts gid)", st, e, true,
			      st == NSS_STATUS_SUCCESS && !strcmp(gr.gr_name, group));
	e = 0;
	errno = ERRNO_SENTINEL;
	fault_pause(0);
	st = pwnam("nohost-zz", &pw, buf, sizeof(buf), &e);
	fault_pause(1);
	m[4] = module_verdict("_nss_rjh_getpwnam_r(no such host)", st, e, false, false);
	printf("module %s %s %s %s %s\n", m[0], m[1], m[2], m[3], m[4]);

	/* The fault has passed: the next lookup, or the next re-check, answers right. */
	for (int i = 0; i < 2; i++) {
		if (i)
			usleep(110 * 1000);
		e = 0;
		st = pwnam(name, &pw, buf, sizeof(buf), &e);
		if (st == NSS_STATUS_SUCCESS)
			pw_line(&pw, line, sizeof(line));
		if (st == NSS_STATUS_SUCCESS && !strcmp(line, want))
			break;
	}
	if (st != NSS_STATUS_SUCCESS || strcmp(line, want))
		fail("after the fault: _nss_rjh_getpwnam_r(host) %s, wanted the entry",
		     status_name(st));
	last = count_fds(&snap);
	if (last != first || snap)
		fail("%d descriptors before, %d after (%d of snapshot files)", first, last, snap);
	printf("fds %d %d\n", first, last);
	return done();
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
	    {"bufsizes", cmd_bufsizes}, {"threads", cmd_threads}, {"fork", cmd_fork},
	    {"fds", cmd_fds},           {"loop", cmd_loop},       {"ent", cmd_ent},
	    {"groups", cmd_groups},     {"waitfor", cmd_waitfor}, {"spin", cmd_spin},
	    {"dlsym", cmd_dlsym},       {"errno", cmd_errno},     {"status", cmd_status},
	    {"fault", cmd_fault},
	};
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc, argv);
	return usage();
}
