/*
 * Draining the spool (spool.h) into the events table: apart from spool.c,
 * so that a writer of the spool (rjh-connect) does not link SQLite.
 */
#include "spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <libaudit.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aud.h"
#include "key.h"
#include "name.h"
#include "presence.h"

/* A spool file never holds more: a header and two records. */
#define SPOOL_FILE_MAX 4096
/* A file whose header does not parse is left this long (its writer may be at it). */
#define SPOOL_JUNK_AGE 3600

/* Splits line at tabs into exactly n fields; false otherwise. */
static bool split(char *line, char **f, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		f[i] = line;
		line = i < n - 1 ? strchr(line, '\t') : NULL;
		if (i < n - 1 && !line)
			return false;
		if (line)
			*line++ = '\0';
	}
	return !strchr(f[n - 1], '\t');
}

static bool digits(const char *s, size_t max)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= max && !s[n];
}

/* Parses and checks one record line in place into e (strings point into line). */
static bool parse_line(char *line, struct reg_event *e)
{
	static const char *const types[] = {"USER_START", "USER_END", "USER_ACCT"};
	char *f[9];
	size_t i;

	memset(e, 0, sizeof(*e));
	if (!split(line, f, 9) || !digits(f[0], 12) || !digits(f[3], 10) ||
	    (strcmp(f[4], "-") && !digits(f[4], 10)) ||
	    strspn(f[2], "abcdefghijklmnopqrstuvwxyz-") != strlen(f[2]) || !*f[2] ||
	    strlen(f[2]) > 32)
		return false;
	for (i = 0; i < sizeof(types) / sizeof(types[0]) && strcmp(f[1], types[i]); i++)
		;
	if (i == sizeof(types) / sizeof(types[0]))
		return false;
	e->time = strtoll(f[0], NULL, 10);
	e->type = types[i];
	e->op = f[2];
	e->actor_uid = (uint32_t)strtoul(f[3], NULL, 10);
	e->actor_auid = strcmp(f[4], "-") ? (uint32_t)strtoul(f[4], NULL, 10) : (uint32_t)-1;
	e->host = strcmp(f[5], "-") ? f[5] : NULL;
	e->fp = strcmp(f[6], "-") ? f[6] : NULL;
	e->success = !strcmp(f[7], "success");
	e->detail = strcmp(f[8], "-") ? f[8] : NULL;
	return (e->success || !strcmp(f[7], "failed")) && (!e->host || name_is_host(e->host)) &&
	       (!e->fp || key_is_fingerprint(e->fp)) &&
	       (!e->detail || util_is_printable(e->detail, 767));
}

struct file {
	char kind;
	char nonce[17];
	long pid;
	long long start;
	int records;
	long last; /* index in the batch of its last record, or -1 */
};

/*
 * Reads file name into a new buffer (NUL-terminated); RJH_ENOENT for
 * anything not a plain root file of at most SPOOL_FILE_MAX bytes.
 */
static int read_file(int dfd, const char *name, char **buf_out, struct stat *st)
{
	char *buf = NULL;
	ssize_t n = -1;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), rc = RJH_ENOENT;

	*buf_out = NULL;
	if (fd < 0)
		return RJH_ENOENT;
	if (fstat(fd, st) == 0 && S_ISREG(st->st_mode) && st->st_uid == 0 &&
	    st->st_size <= SPOOL_FILE_MAX) {
		buf = malloc((size_t)st->st_size + 1);
		if (buf)
			n = read(fd, buf, (size_t)st->st_size);
		else
			rc = RJH_ENOMEM;
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*buf_out = buf;
	return RJH_OK;
}

/* One record read from the spool, and where it came from. */
struct rec {
	struct reg_event e; /* its strings point into its file's buffer */
	char origin[32];    /* NONCE:LINE */
	long long start;    /* its writer's start time, in clock ticks since boot */
	int line;           /* its line in its file */
	bool orphan;        /* an END made up for a START whose writer died without one */
	char detail[48];    /* an orphan END's detail */
};

/* What a drain collected: every file's buffer, and the records in them. */
struct batch {
	struct util_buf bufs; /* char *, each freed at the end */
	struct util_buf recs; /* struct rec */
};

/* Parses the records of one file (buf, kept by the batch) into b; sets f->records. */
static int parse_file(char *buf, struct file *f, struct batch *b)
{
	char *line = buf, *nl;
	int no = 0;

	f->last = -1;
	nl = strchr(line, '\n');
	if (!nl)
		return RJH_EINVAL;
	*nl = '\0';
	if (sscanf(line, "rjh-spool 1 %16[0-9a-f] %ld %lld", f->nonce, &f->pid, &f->start) != 3 ||
	    strlen(f->nonce) != 16)
		return RJH_EINVAL;
	/* Only whole lines: the writer may be appending the last one. */
	for (line = nl + 1; (nl = strchr(line, '\n')); line = nl + 1) {
		struct rec r;

		*nl = '\0';
		no++;
		if (!parse_line(line, &r.e))
			continue;
		snprintf(r.origin, sizeof(r.origin), "%s:%d", f->nonce, no);
		r.start = f->start;
		r.line = no;
		r.orphan = false;
		f->last = (long)(b->recs.len / sizeof(r));
		if (util_buf_put(&b->recs, &r, sizeof(r)) < 0)
			return RJH_ENOMEM;
	}
	f->records = no;
	return RJH_OK;
}

/*
 * A connection whose writer died after its START and before its END (killed
 * with its whole cgroup, OOM, a crash): its relay died with it (the parent
 * death signal), so the connection is over. Adds the END it never wrote,
 * failed, bytes unknown, as line 2 of the file (so once only).
 */
static int add_orphan_end(struct file *f, struct batch *b)
{
	struct rec end, *start;

	if (f->kind != SPOOL_CONNECTION || f->records != 1 || f->last < 0)
		return RJH_OK;
	start = (struct rec *)b->recs.p + f->last;
	if (strcmp(start->e.type, "USER_START") != 0)
		return RJH_OK;
	end = *start;
	end.e.type = "USER_END";
	end.e.success = false;
	end.orphan = true;
	/* The pid pairs it with its START, which that process wrote. */
	snprintf(end.detail, sizeof(end.detail), "reason=monitor-gone connect_pid=%ld", f->pid);
	snprintf(end.origin, sizeof(end.origin), "%s:2", f->nonce);
	end.line = 2;
	return util_buf_put(&b->recs, &end, sizeof(end));
}

/*
 * Oldest first. Within a second, the process that started first goes first
 * (connections one after another stay in order), and one file's lines in order.
 */
static int rec_cmp(const void *x, const void *y)
{
	const struct rec *a = x, *b = y;

	if (a->e.time != b->e.time)
		return a->e.time < b->e.time ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return strcmp(a->origin, b->origin);
}

/* Whether the process that writes f is gone. */
static bool writer_gone(const struct file *f)
{
	return pres_pid_start(f->pid) != f->start;
}

/* Reads every spool file into b, and notes in done the ones that are done. */
/*
 * Reads and parses one spool file into b. Whether its writer is gone is
 * decided before the content that counts is read: a writer that appends its
 * END and exits between a read and the check would otherwise lose the END.
 * Sets *gone when the file may be removed after the commit.
 */
static int collect_file(int dfd, const char *name, struct batch *b, bool *gone)
{
	struct file f = {.kind = name[0]};
	struct stat st;
	char *buf;
	int rc;

	*gone = false;
	for (int pass = 0; pass < 2; pass++) {
		size_t mark = b->recs.len;

		rc = read_file(dfd, name, &buf, &st);
		if (rc < 0)
			return rc == RJH_ENOMEM ? rc : RJH_OK;
		if (util_buf_put(&b->bufs, &buf, sizeof(buf)) < 0) {
			free(buf);
			return RJH_ENOMEM;
		}
		rc = parse_file(buf, &f, b);
		if (rc == RJH_ENOMEM)
			return rc;
		/* A file that never parsed: junk once it is old enough to be nobody's work. */
		if (rc == RJH_EINVAL) {
			*gone = st.st_mtime < time(NULL) - SPOOL_JUNK_AGE;
			return RJH_OK;
		}
		if (f.records >= (f.kind == SPOOL_REFUSAL ? 1 : 2)) {
			*gone = true;
			return RJH_OK;
		}
		if (pass == 1) {
			*gone = true;
			return add_orphan_end(&f, b);
		}
		if (!writer_gone(&f))
			return RJH_OK;
		/* Its writer is gone: read it once more, as it was left. */
		b->recs.len = mark;
	}
	return RJH_OK;
}

/* Reads every spool file into b, and notes in done the ones that are done. */
static int collect(int dfd, struct batch *b, struct spool_done *done, struct rjh_diag *d)
{
	struct dirent *de;
	DIR *dir = fdopendir(dfd);
	int rc = RJH_OK;

	if (!dir) {
		close(dfd);
		return diag_set(d, RJH_ENOMEM, "out of memory");
	}
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		bool gone;

		if ((de->d_name[0] != SPOOL_REFUSAL && de->d_name[0] != SPOOL_CONNECTION) ||
		    de->d_name[1] != '-')
			continue;
		rc = collect_file(dirfd(dir), de->d_name, b, &gone);
		if (rc == 0 && gone &&
		    util_buf_put(&done->names, de->d_name, strlen(de->d_name) + 1) < 0)
			rc = RJH_ENOMEM;
	}
	closedir(dir);
	return rc == RJH_ENOMEM ? diag_set(d, rc, "out of memory") : rc;
}

/* Keeps what an orphan END says, for spool_orphans_each after the commit. */
static int add_orphan_note(struct spool_done *done, const struct reg_event *e)
{
	struct spool_orphan o = {.time = e->time, .actor_uid = e->actor_uid};

	snprintf(o.host, sizeof(o.host), "%s", e->host ? e->host : "");
	snprintf(o.detail, sizeof(o.detail), "%s", e->detail);
	return util_buf_put(&done->orphans, &o, sizeof(o));
}

int spool_drain(struct reg *r, const struct cfg *c, struct spool_done *done, int *rows_out,
		struct rjh_diag *d)
{
	struct batch b = {{NULL, 0, 0}, {NULL, 0, 0}};
	int64_t floor = 0;
	struct rec *recs;
	size_t i, n;
	int dfd, rc;

	*rows_out = 0;
	done->names = (struct util_buf){NULL, 0, 0};
	done->orphans = (struct util_buf){NULL, 0, 0};
	dfd = spool_open_dir(c, false, d);
	if (dfd == RJH_ENOENT)
		return RJH_OK;
	if (dfd < 0)
		return dfd;
	rc = collect(dfd, &b, done, d);
	recs = (struct rec *)b.recs.p;
	n = b.recs.len / sizeof(*recs);
	if (rc == 0 && n > 1)
		qsort(recs, n, sizeof(*recs), rec_cmp);
	if (rc == 0)
		rc = reg_events_pruned_before(r, &floor, d);
	for (i = 0; rc == 0 && i < n; i++) {
		int64_t added;

		/* What prune removed stays removed, even if its file is still here. */
		if (recs[i].e.time < floor)
			continue;
		recs[i].e.origin = recs[i].origin;
		if (recs[i].orphan)
			recs[i].e.detail = recs[i].detail;
		rc = reg_event_add(r, &recs[i].e, d);
		added = rc == 0 ? reg_changes(r) : 0;
		*rows_out += (int)added;
		if (added && recs[i].orphan)
			rc = add_orphan_note(done, &recs[i].e);
	}
	for (i = 0; i < b.bufs.len / sizeof(char *); i++)
		free(((char **)b.bufs.p)[i]);
	util_buf_free(&b.bufs);
	util_buf_free(&b.recs);
	return rc;
}

void spool_orphans_each(const struct spool_done *done,
			void (*cb)(const struct spool_orphan *o, void *ctx), void *ctx)
{
	const struct spool_orphan *o = (const struct spool_orphan *)done->orphans.p;
	size_t i;

	for (i = 0; i < done->orphans.len / sizeof(*o); i++)
		cb(&o[i], ctx);
}

void spool_finish(const struct cfg *c, struct spool_done *done, bool committed)
{
	size_t at = 0;
	int dfd = committed ? spool_open_dir(c, false, NULL) : -1;

	while (dfd >= 0 && at < done->names.len) {
		const char *name = (const char *)done->names.p + at;

		unlinkat(dfd, name, 0);
		at += strlen(name) + 1;
	}
	if (dfd >= 0)
		close(dfd);
	util_buf_free(&done->names);
	util_buf_free(&done->orphans);
}

/*
 * The kernel USER_END of a connection whose rjh-connect died between its
 * START and its END (spool_drain ended its row): written on its behalf,
 * since it could not.
 */
static void orphan_end(const struct spool_orphan *o, void *ctx)
{
	struct aud *aud = ctx;
	struct passwd *pw = getpwuid(o->actor_uid);
	uid_t actor = o->actor_uid;
	char user[16];
	struct aud_rec rec = {.type = AUDIT_USER_END,
			      .op = "rjh-connect",
			      .host = o->host[0] ? o->host : NULL,
			      .detail = o->detail,
			      .success = false,
			      .actor_uid = &actor};

	snprintf(user, sizeof(user), "%u", o->actor_uid);
	rec.user = pw && name_is_account(pw->pw_name) ? pw->pw_name : user;
	aud_kernel(aud, &rec, NULL);
}

int spool_mirror(const struct cfg *c, int busy_ms, int *rows_out, struct rjh_diag *d)
{
	struct spool_done done = {{NULL, 0, 0}, {NULL, 0, 0}};
	struct reg *r = NULL;
	struct aud aud;
	int rc;

	*rows_out = 0;
	rc = reg_open(c->registry, REG_RW, c, busy_ms, &r, d);
	if (rc == 0)
		rc = reg_begin(r, d);
	if (rc == 0)
		rc = spool_drain(r, c, &done, rows_out, d);
	if (rc == 0)
		rc = reg_commit(r, d);
	else if (r)
		reg_rollback(r);
	if (rc == 0 && done.orphans.len && aud_open(&aud, c, NULL) == 0) {
		spool_orphans_each(&done, orphan_end, &aud);
		aud_close(&aud);
	}
	spool_finish(c, &done, rc == 0);
	reg_close(r);
	return rc;
}
