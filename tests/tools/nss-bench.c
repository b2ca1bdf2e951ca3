/*
 * nss-bench: the cost of passwd lookups through glibc, in-process: through
 * /etc/nsswitch.conf and whatever modules it names (nss_rjh among them), not
 * through any module directly.
 *
 *   nss-bench name NAME ITER   getpwnam_r(NAME), which must find NAME
 *   nss-bench miss NAME ITER   getpwnam_r(NAME), which must answer "not found"
 *   nss-bench uid UID ITER     getpwuid_r(UID), which must find UID
 *   nss-bench direct NAME ITER nss_rjh's own _nss_rjh_getpwnam_r(NAME), called
 *                              through dlopen("libnss_rjh.so.2") without
 *                              glibc's NSS layer, which must answer NOTFOUND:
 *                              the module's own cost of refusing a name
 * print "MEDIAN P90" in nanoseconds per call: ITER calls after a warm-up of
 * ITER/10, timed in samples of up to 100 calls (CLOCK_MONOTONIC around each
 * sample), each sample giving its per-call average.
 *
 *   nss-bench rss NAME ITER    prints the growth of peak RSS (VmHWM) in KiB
 *                              from after the first getpwnam_r(NAME) to after
 *                              ITER more, each of which must find NAME.
 *                              NB. The kernel's RSS counters are per-CPU and
 *                              approximate: a few dozen KiB of growth can be
 *                              counting, not pages (/proc/self/smaps is exact).
 *
 * Exits 1 when a lookup gives another answer than the one expected, 2 on a
 * usage or system error.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <nss.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Samples of at most this many calls; fewer when ITER is small (slow lookups). */
#define BATCH_MAX   100
#define SAMPLES_MIN 50

enum mode { MODE_NAME, MODE_MISS, MODE_UID, MODE_RSS, MODE_DIRECT };

typedef enum nss_status (*getpwnam_fn)(const char *, struct passwd *, char *, size_t, int *);

struct lookup {
	enum mode mode;
	const char *name;
	uid_t uid;
	getpwnam_fn direct; /* MODE_DIRECT: the module's entry point */
	char buf[4096];     /* the caller's buffer, as for any getpw*_r caller */
};

static void usage(void)
{
	fprintf(stderr, "usage: nss-bench name NAME ITER | miss NAME ITER | uid UID ITER | "
			"rss NAME ITER | direct NAME ITER\n");
	exit(2);
}

/* Returns 0 and sets *out, or -1 unless s is a whole decimal number in [min, max]. */
static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	*out = 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* One lookup. Returns 0 when glibc gave the expected answer, else -1 and says what it gave. */
static int lookup_once(struct lookup *l)
{
	struct passwd pw, *res = NULL;
	int rc;

	if (l->mode == MODE_DIRECT) {
		int err = 0;

		if (l->direct(l->name, &pw, l->buf, sizeof(l->buf), &err) == NSS_STATUS_NOTFOUND)
			return 0;
		fprintf(stderr, "nss-bench: _nss_rjh_getpwnam_r(\"%s\") did not say NOTFOUND\n",
			l->name);
		return -1;
	}
	if (l->mode == MODE_UID)
		rc = getpwuid_r(l->uid, &pw, l->buf, sizeof(l->buf), &res);
	else
		rc = getpwnam_r(l->name, &pw, l->buf, sizeof(l->buf), &res);
	if (l->mode == MODE_MISS) {
		if (rc == 0 && !res)
			return 0;
	} else if (rc == 0 && res == &pw &&
		   (l->mode == MODE_UID ? pw.pw_uid == l->uid : !strcmp(pw.pw_name, l->name))) {
		return 0;
	}
	if (l->mode == MODE_UID)
		fprintf(stderr, "nss-bench: getpwuid_r(%lu): ", (unsigned long)l->uid);
	else
		fprintf(stderr, "nss-bench: getpwnam_r(\"%s\"): ", l->name);
	if (rc)
		fprintf(stderr, "error %s\n", strerror(rc));
	else if (!res)
		fprintf(stderr, "not found\n");
	else
		fprintf(stderr, "found %s (uid %lu)%s\n", pw.pw_name, (unsigned long)pw.pw_uid,
			l->mode == MODE_MISS ? ", expected not found" : ", another entry");
	return -1;
}

static int lookup_n(struct lookup *l, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (lookup_once(l) < 0)
			return -1;
	return 0;
}

static double ns_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e9 + (double)(t1.tv_nsec - t0->tv_nsec);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Times iter lookups in samples. Returns 0 and sets *median and *p90 (ns per
 * call), 1 if a lookup gave an unexpected answer, 2 if out of memory.
 */
static int measure(struct lookup *l, unsigned long iter, double *median, double *p90)
{
	unsigned long batch = iter / SAMPLES_MIN, n, i;
	double *per_call;
	int rc = 1;

	*median = *p90 = 0;
	if (batch > BATCH_MAX)
		batch = BATCH_MAX;
	if (batch < 1)
		batch = 1;
	n = iter / batch;
	per_call = calloc(n, sizeof(*per_call));
	if (!per_call)
		return 2;
	/* The first call loads the module and maps the files; the rest warms the caches. */
	if (lookup_n(l, iter / 10 + 1) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		struct timespec t0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (lookup_n(l, batch) < 0)
			goto out;
		per_call[i] = ns_since(&t0) / (double)batch;
	}
	qsort(per_call, n, sizeof(*per_call), cmp_double);
	*median = per_call[(n - 1) / 2];
	*p90 = per_call[(n * 9 - 1) / 10];
	rc = 0;
out:
	free(per_call);
	return rc;
}

/* Returns this process's peak resident set size (VmHWM) in KiB, or -1. */
static long peak_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Returns 0 and sets *growth_kib, 1 on an unexpected answer, 2 if VmHWM cannot be read. */
static int rss_growth(struct lookup *l, unsigned long iter, long *growth_kib)
{
	long before, after;

	*growth_kib = 0;
	if (lookup_once(l) < 0)
		return 1;
	before = peak_rss_kib();
	if (lookup_n(l, iter) < 0)
		return 1;
	after = peak_rss_kib();
	if (before < 0 || after < 0)
		return 2;
	*growth_kib = after - before;
	return 0;
}

/* Fills l from argv (MODE KEY ITER); exits on a usage error. */
static void parse_args(int argc, char **argv, struct lookup *l, unsigned long *iter)
{
	static const char *const modes[] = {"name", "miss", "uid", "rss", "direct"};
	unsigned long v;
	size_t i;

	if (argc != 4)
		usage();
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i]))
			break;
	if (i == sizeof(modes) / sizeof(modes[0]))
		usage();
	l->mode = (enum mode)i;
	l->name = argv[2];
	if (l->mode == MODE_UID) {
		if (parse_ulong(argv[2], 0, UINT_MAX - 1, &v) < 0)
			usage();
		l->uid = (uid_t)v;
	}
	if (parse_ulong(argv[3], 1, 1000000000, iter) < 0)
		usage();
	if (l->mode == MODE_DIRECT) {
		void *so = dlopen("libnss_rjh.so.2", RTLD_NOW);

		l->direct = so ? (getpwnam_fn)(uintptr_t)dlsym(so, "_nss_rjh_getpwnam_r") : NULL;
		if (!l->direct) {
			fprintf(stderr, "nss-bench: cannot load _nss_rjh_getpwnam_r: %s\n",
				dlerror());
			exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	static struct lookup l;
	unsigned long iter;
	double median, p90;
	long growth;
	int rc;

	parse_args(argc, argv, &l, &iter);
	if (l.mode == MODE_RSS) {
		rc = rss_growth(&l, iter, &growth);
		if (rc == 0)
			printf("%ld\n", growth);
	} else {
		rc = measure(&l, iter, &median, &p90);
		if (rc == 0)
			printf("%.0f %.0f\n", median, p90);
	}
	if (rc == 2)
		fprintf(stderr, "nss-bench: %s\n",
			l.mode == MODE_RSS ? "cannot read VmHWM" : "out of memory");
	return rc;
}
