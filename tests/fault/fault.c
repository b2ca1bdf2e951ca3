/*
 * libfault.so: makes one chosen call fail, for tests/cli/t_fault.sh. Loaded
 * with LD_PRELOAD into the real programs (and so into the NSS and PAM
 * modules they load), as libfido2's and pam-u2f's fuzz/wrap.c do with --wrap.
 *
 *   RJH_FAULT=SET:N      the N-th call (from 1) counted over SET fails; N = 0
 *                        only counts. SET is a comma list of function names
 *                        (malloc, calloc, realloc, open, openat, mmap,
 *                        sqlite3_step, sqlite3_exec, sqlite3_prepare_v2,
 *                        sqlite3_prepare_v3)
 *                        or groups: alloc, open (with open64, openat64 and
 *                        the _FORTIFY_SOURCE __open_2 forms), mmap (mmap64),
 *                        sqlite, all.
 *   RJH_FAULT=SET@OBJ:N  the same, counting only calls made from an object
 *                        whose path contains OBJ (alloc@libcrypto: the
 *                        allocations of libcrypto itself).
 *   RJH_FAULT_FILE=PATH  the counter lives in PATH (created, MAP_SHARED), so
 *                        the processes a command forks or execs count on one
 *                        counter and the test reads it afterwards; without
 *                        it each process counts alone. Layout: the failed
 *                        call's site as text ("malloc <- /path/obj+0x1234
 *                        (sym)", NUL-padded to 4080 bytes: a shell reads it
 *                        with read -d ''), then u64 calls and u64 fired.
 *   RJH_FAULT_PAUSED=1   start paused: a test tool resumes counting around
 *                        the code under test with rjh_fault_pause(0), found
 *                        through dlsym(RTLD_DEFAULT, "rjh_fault_pause").
 *
 * A failed call returns what the real one documents: NULL and ENOMEM
 * (allocation), -1 and EIO (open), MAP_FAILED and ENOMEM (mmap),
 * SQLITE_IOERR (step, exec: nothing done), SQLITE_NOMEM and a NULL statement
 * (prepare). A failed step inside a transaction also rolls it back, as
 * SQLite itself may after an I/O or out-of-memory error ("Response To Errors
 * Within A Transaction", lang_transaction.html): code that goes on after a
 * failed step then writes in autocommit mode, which the test can see.
 * SQLite's calls of its own API (sqlite3_exec stepping) are not counted:
 * SQLite would not see such a failure as one.
 *
 * NB. dlsym itself may call calloc or malloc while the real allocator is
 * being looked up: those calls are served from a static arena, which free
 * and realloc recognise. The shim's own work (lookups, dladdr) is never
 * counted. SQLite is often dlopen()ed later (pam_rjh.so in libpam), out of
 * RTLD_NEXT's reach: then the already loaded libsqlite3 is asked by handle.
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SQLITE_NOMEM 7
#define SQLITE_IOERR 10
#define ARENA_SIZE   16384
#define SITE_LEN     (4096 - 2 * sizeof(uint64_t))

enum fn {
	F_MALLOC,
	F_CALLOC,
	F_REALLOC,
	F_OPEN,
	F_OPENAT,
	F_MMAP,
	F_STEP,
	F_EXEC,
	F_PREPARE_V2,
	F_PREPARE_V3,
	F_COUNT
};

static const char *const fn_names[F_COUNT] = {
    "malloc",
    "calloc",
    "realloc",
    "open",
    "openat",
    "mmap",
    "sqlite3_step",
    "sqlite3_exec",
    "sqlite3_prepare_v2",
    "sqlite3_prepare_v3",
};

struct shared {
	char site[SITE_LEN];
	uint64_t calls;
	uint64_t fired;
};

static struct shared local_counter, *counter = &local_counter;
static unsigned mask;   /* the functions counted: bit per enum fn */
static uint64_t target; /* the call that fails; 0: none */
static char caller[64]; /* count only calls from an object whose path has this */
static int open_errno = EIO;
static volatile int paused;
static int state; /* 0 not set up, 1 setting up, 2 ready */
static __thread __attribute__((
    tls_model("initial-exec"))) int inside; /* the shim's own work: pass through, uncounted */

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);

/* The arena dlsym allocates from while the allocator is looked up. */
static _Alignas(16) char arena[ARENA_SIZE];
static size_t arena_used;

static bool in_arena(const void *p)
{
	return (const char *)p >= arena && (const char *)p < arena + sizeof(arena);
}

static void *arena_alloc(size_t n)
{
	size_t at = (arena_used + 15) & ~(size_t)15;

	if (n > sizeof(arena) - at)
		return NULL;
	arena_used = at + n;
	return arena + at; /* static storage: already zero */
}

static unsigned group_mask(const char *w, size_t n)
{
	static const struct {
		const char *name;
		unsigned bits;
	} groups[] = {
	    {"alloc", 1u << F_MALLOC | 1u << F_CALLOC | 1u << F_REALLOC},
	    {"open", 1u << F_OPEN | 1u << F_OPENAT},
	    {"mmap", 1u << F_MMAP},
	    {"sqlite", 1u << F_STEP | 1u << F_EXEC | 1u << F_PREPARE_V2 | 1u << F_PREPARE_V3},
	    {"all", (1u << F_COUNT) - 1},
	};
	size_t i;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strlen(groups[i].name) == n && !strncmp(w, groups[i].name, n))
			return groups[i].bits;
	for (i = 0; i < F_COUNT; i++)
		if (strlen(fn_names[i]) == n && !strncmp(w, fn_names[i], n))
			return 1u << i;
	return 0;
}

/* RJH_FAULT=SET:N; anything malformed counts nothing and fails nothing. */
static void parse_spec(const char *s)
{
	const char *colon = s ? strrchr(s, ':') : NULL, *w = s, *at, *set_end;
	unsigned m = 0;

	if (!colon)
		return;
	at = memchr(s, '@', (size_t)(colon - s));
	set_end = at ? at : colon;
	if (at && ((size_t)(colon - at - 1) >= sizeof(caller) || colon == at + 1))
		return;
	while (w < set_end) {
		const char *end = memchr(w, ',', (size_t)(set_end - w));
		size_t n = end ? (size_t)(end - w) : (size_t)(set_end - w);
		unsigned bits = group_mask(w, n);

		if (!bits)
			return;
		m |= bits;
		w += n + (end ? 1 : 0);
	}
	if (at)
		memcpy(caller, at + 1, (size_t)(colon - at - 1));
	mask = m;
	target = strtoull(colon + 1, NULL, 10);
}

/* Maps the shared counter file with raw system calls: nothing counted, nothing allocated. */
static void map_counter(const char *path)
{
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	void *p;

	if (fd < 0)
		return;
	if (syscall(SYS_ftruncate, fd, (long)sizeof(struct shared)) == 0) {
		p = (void *)syscall(SYS_mmap, NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
				    MAP_SHARED, fd, 0);
		if (p != MAP_FAILED)
			counter = p;
	}
	syscall(SYS_close, fd);
}

/* After a fault fired: a crash prints its stack (for addr2line) on stderr, then dies as it would.
 */
static void on_crash(int sig)
{
	void *frames[48];
	int n = backtrace(frames, 48);

	if (counter->fired) {
		static const char head[] = "libfault: crashed after the injected fault; stack:\n";

		if (write(2, head, sizeof(head) - 1) > 0)
			backtrace_symbols_fd(frames, n, 2);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_crashes(void)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE};
	struct sigaction sa = {.sa_handler = on_crash};
	void *warm[1];
	size_t i;

	backtrace(warm, 1); /* loads libgcc_s now, not in the handler */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void setup(void)
{
	const char *e;

	if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) == 2)
		return;
	state = 1;
	inside++;
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	parse_spec(getenv("RJH_FAULT"));
	if ((e = getenv("RJH_FAULT_ERRNO")) && atoi(e) > 0)
		open_errno = atoi(e);
	if ((e = getenv("RJH_FAULT_FILE")) && *e)
		map_counter(e);
	paused = (e = getenv("RJH_FAULT_PAUSED")) && *e == '1';
	if (mask && target)
		catch_crashes();
	inside--;
	__atomic_store_n(&state, 2, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void fault_init(void)
{
	setup();
}

/* Stops (1) or resumes (0) counting, for test tools that bracket the code under test. */
void rjh_fault_pause(int on);
void rjh_fault_pause(int on)
{
	paused = on;
}

/* Where the failed call came from, as "FN <- OBJECT+0xOFFSET (SYMBOL)". */
static void note_site(enum fn f, const void *ret)
{
	Dl_info di;
	int n;

	if (dladdr(ret, &di) && di.dli_fname)
		n = snprintf(counter->site, sizeof(counter->site), "%s <- %s+0x%lx (%s)",
			     fn_names[f], di.dli_fname,
			     (unsigned long)((uintptr_t)ret - (uintptr_t)di.dli_fbase),
			     di.dli_sname ? di.dli_sname : "?");
	else
		n = snprintf(counter->site, sizeof(counter->site), "%s <- %p", fn_names[f], ret);
	(void)n;
}

/* True when the call returns into an object whose path contains part. */
static bool called_from(const void *ret, const char *part)
{
	Dl_info di;
	bool in;

	inside++;
	in = dladdr(ret, &di) && di.dli_fname && strstr(di.dli_fname, part);
	inside--;
	return in;
}

/* True when this call of f is the one that fails. */
static bool should_fail(enum fn f, const void *ret)
{
	uint64_t n;

	if (state != 2 || inside || paused || !(mask & (1u << f)))
		return false;
	/* SQLite's calls of itself (sqlite3_exec steps): a failure there is none to SQLite. */
	if (f >= F_STEP && called_from(ret, "libsqlite3"))
		return false;
	if (caller[0] && !called_from(ret, caller))
		return false;
	n = __atomic_add_fetch(&counter->calls, 1, __ATOMIC_RELAXED);
	if (n != target)
		return false;
	inside++;
	__atomic_add_fetch(&counter->fired, 1, __ATOMIC_RELAXED);
	note_site(f, ret);
	inside--;
	return true;
}

#define RET __builtin_return_address(0)

void *malloc(size_t n)
{
	if (!real_malloc) {
		if (state == 1)
			return arena_alloc(n);
		setup();
		if (!real_malloc)
			return arena_alloc(n);
	}
	if (should_fail(F_MALLOC, RET)) {
		errno = ENOMEM;
		return NULL;
	}
	return real_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	if (!real_calloc) {
		if (size && n > SIZE_MAX / size)
			return NULL;
		if (state == 1)
			return arena_alloc(n * size);
		setup();
		if (!real_calloc)
			return arena_alloc(n * size);
	}
	if (should_fail(F_CALLOC, RET)) {
		errno = ENOMEM;
		return NULL;
	}
	return real_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	void *q;

	if (in_arena(p) || !real_realloc) {
		/* Only arena blocks (or a call before setup): copy out, as much as may exist. */
		q = malloc(n);
		if (q && p)
			memcpy(q, p,
			       n < (size_t)(arena + sizeof(arena) - (char *)p)
				   ? n
				   : (size_t)(arena + sizeof(arena) - (char *)p));
		return q;
	}
	if (should_fail(F_REALLOC, RET)) {
		errno = ENOMEM;
		return NULL;
	}
	return real_realloc(p, n);
}

void free(void *p)
{
	if (!p || in_arena(p))
		return;
	if (!real_free && state != 1)
		setup();
	if (real_free)
		real_free(p);
}

/* The real function by name: the next object, else the already loaded libsqlite3. */
static void *next_sym(const char *name)
{
	void *p, *h;

	inside++;
	p = dlsym(RTLD_NEXT, name);
	if (!p && !strncmp(name, "sqlite3_", 8) &&
	    (h = dlopen("libsqlite3.so.0", RTLD_LAZY | RTLD_NOLOAD))) {
		p = dlsym(h, name);
		dlclose(h);
	}
	inside--;
	return p;
}

#define NEXT(var, name)                                                                            \
	do {                                                                                       \
		if (!(var))                                                                        \
			*(void **)&(var) = next_sym(name);                                         \
	} while (0)

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

#define OPEN_FN(fn, id, name)                                                                      \
	int fn(const char *path, int flags, ...)                                                   \
	{                                                                                          \
		static int (*real)(const char *, int, ...);                                        \
		va_list ap;                                                                        \
		mode_t m;                                                                          \
                                                                                                   \
		va_start(ap, flags);                                                               \
		m = mode_arg(flags, ap);                                                           \
		va_end(ap);                                                                        \
		if (should_fail(id, RET)) {                                                        \
			errno = open_errno;                                                        \
			return -1;                                                                 \
		}                                                                                  \
		NEXT(real, name);                                                                  \
		return real(path, flags, m);                                                       \
	}
#define OPENAT_FN(fn, id, name)                                                                    \
	int fn(int dirfd, const char *path, int flags, ...)                                        \
	{                                                                                          \
		static int (*real)(int, const char *, int, ...);                                   \
		va_list ap;                                                                        \
		mode_t m;                                                                          \
                                                                                                   \
		va_start(ap, flags);                                                               \
		m = mode_arg(flags, ap);                                                           \
		va_end(ap);                                                                        \
		if (should_fail(id, RET)) {                                                        \
			errno = open_errno;                                                        \
			return -1;                                                                 \
		}                                                                                  \
		NEXT(real, name);                                                                  \
		return real(dirfd, path, flags, m);                                                \
	}

int open(const char *path, int flags, ...);
int open64(const char *path, int flags, ...);
int openat(int dirfd, const char *path, int flags, ...);
int openat64(int dirfd, const char *path, int flags, ...);
OPEN_FN(open, F_OPEN, "open")
OPEN_FN(open64, F_OPEN, "open64")
OPENAT_FN(openat, F_OPENAT, "openat")
OPENAT_FN(openat64, F_OPENAT, "openat64")

/* The _FORTIFY_SOURCE entry points (two-argument open with flags unknown at compile time). */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

#define OPEN2_FN(fn, id, name)                                                                     \
	int fn(const char *path, int flags)                                                        \
	{                                                                                          \
		static int (*real)(const char *, int);                                             \
                                                                                                   \
		if (should_fail(id, RET)) {                                                        \
			errno = open_errno;                                                        \
			return -1;                                                                 \
		}                                                                                  \
		NEXT(real, name);                                                                  \
		return real(path, flags);                                                          \
	}
#define OPENAT2_FN(fn, id, name)                                                                   \
	int fn(int dirfd, const char *path, int flags)                                             \
	{                                                                                          \
		static int (*real)(int, const char *, int);                                        \
                                                                                                   \
		if (should_fail(id, RET)) {                                                        \
			errno = open_errno;                                                        \
			return -1;                                                                 \
		}                                                                                  \
		NEXT(real, name);                                                                  \
		return real(dirfd, path, flags);                                                   \
	}
OPEN2_FN(__open_2, F_OPEN, "__open_2")
OPEN2_FN(__open64_2, F_OPEN, "__open64_2")
OPENAT2_FN(__openat_2, F_OPENAT, "__openat_2")
OPENAT2_FN(__openat64_2, F_OPENAT, "__openat64_2")

#define MMAP_FN(fn, name)                                                                          \
	void *fn(void *addr, size_t len, int prot, int flags, int fd, off_t off)                   \
	{                                                                                          \
		static void *(*real)(void *, size_t, int, int, int, off_t);                        \
                                                                                                   \
		if (should_fail(F_MMAP, RET)) {                                                    \
			errno = ENOMEM;                                                            \
			return MAP_FAILED;                                                         \
		}                                                                                  \
		NEXT(real, name);                                                                  \
		return real(addr, len, prot, flags, fd, off);                                      \
	}
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);
MMAP_FN(mmap, "mmap")
MMAP_FN(mmap64, "mmap64")

/* SQLite, declared here: the shim builds without its headers. */
struct sqlite3;
struct sqlite3_stmt;
int sqlite3_step(struct sqlite3_stmt *st);
int sqlite3_exec(struct sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
		 void *arg, char **errmsg);
int sqlite3_prepare_v2(struct sqlite3 *db, const char *sql, int n, struct sqlite3_stmt **st,
		       const char **tail);
int sqlite3_prepare_v3(struct sqlite3 *db, const char *sql, int n, unsigned flags,
		       struct sqlite3_stmt **st, const char **tail);

/* What SQLite may do after an I/O error in a step: roll the whole transaction back. */
static void roll_back(struct sqlite3_stmt *st)
{
	static struct sqlite3 *(*db_handle)(struct sqlite3_stmt *);
	static int (*autocommit)(struct sqlite3 *);
	static int (*exec)(struct sqlite3 *, const char *, int (*)(void *, int, char **, char **),
			   void *, char **);
	struct sqlite3 *db;

	NEXT(db_handle, "sqlite3_db_handle");
	NEXT(autocommit, "sqlite3_get_autocommit");
	NEXT(exec, "sqlite3_exec");
	if (!st || !db_handle || !autocommit || !exec)
		return;
	inside++;
	db = db_handle(st);
	if (db && !autocommit(db))
		exec(db, "ROLLBACK", NULL, NULL, NULL);
	inside--;
}

int sqlite3_step(struct sqlite3_stmt *st)
{
	static int (*real)(struct sqlite3_stmt *);

	if (should_fail(F_STEP, RET)) {
		roll_back(st);
		return SQLITE_IOERR;
	}
	NEXT(real, "sqlite3_step");
	return real ? real(st) : SQLITE_IOERR;
}

int sqlite3_exec(struct sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
		 void *arg, char **errmsg)
{
	static int (*real)(struct sqlite3 *, const char *, int (*)(void *, int, char **, char **),
			   void *, char **);

	if (should_fail(F_EXEC, RET)) {
		if (errmsg)
			*errmsg = NULL;
		return SQLITE_IOERR;
	}
	NEXT(real, "sqlite3_exec");
	return real ? real(db, sql, cb, arg, errmsg) : SQLITE_IOERR;
}

int sqlite3_prepare_v2(struct sqlite3 *db, const char *sql, int n, struct sqlite3_stmt **st,
		       const char **tail)
{
	static int (*real)(struct sqlite3 *, const char *, int, struct sqlite3_stmt **,
			   const char **);

	if (should_fail(F_PREPARE_V2, RET)) {
		if (st)
			*st = NULL;
		if (tail)
			*tail = sql;
		return SQLITE_NOMEM;
	}
	NEXT(real, "sqlite3_prepare_v2");
	return real ? real(db, sql, n, st, tail) : SQLITE_NOMEM;
}

int sqlite3_prepare_v3(struct sqlite3 *db, const char *sql, int n, unsigned flags,
		       struct sqlite3_stmt **st, const char **tail)
{
	static int (*real)(struct sqlite3 *, const char *, int, unsigned, struct sqlite3_stmt **,
			   const char **);

	if (should_fail(F_PREPARE_V3, RET)) {
		if (st)
			*st = NULL;
		if (tail)
			*tail = sql;
		return SQLITE_NOMEM;
	}
	NEXT(real, "sqlite3_prepare_v3");
	return real ? real(db, sql, n, flags, st, tail) : SQLITE_NOMEM;
}
