/*
 * Draining the spool (spool.h) into the events table: apart from spool.c,
 * so that a writer of the spool (rjh-connect) does not link SQLite.
 */
#include "spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
		if (util_buf_put(&b->recs, &r, sizeof(r)) < 0)
			return RJH_ENOMEM;
	}
	f->records = no;
	return RJH_OK;
}

/* Oldest first, and within a second one connection's lines in order. */
static int rec_cmp(const void *x, const void *y)
{
	const struct rec *a = x, *b = y;

	if (a->e.time != b->e.time)
		return a->e.time < b->e.time ? -1 : 1;
	return strcmp(a->origin, b->origin);
}

/* Whether a drained file may go: it holds all it will (a refusal one record, a
 * connection two), or the process that writes it is gone. */
static bool file_done(const struct file *f)
{
	return f->records >= (f->kind == SPOOL_REFUSAL ? 1 : 2) ||
	       pres_pid_start(f->pid) != f->start;
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
		struct file f = {.kind = de->d_name[0]};
		struct stat st;
		char *buf;
		bool gone;
		int frc;

		if ((f.kind != SPOOL_REFUSAL && f.kind != SPOOL_CONNECTION) || de->d_name[1] != '-')
			continue;
		frc = read_file(dirfd(dir), de->d_name, &buf, &st);
		if (frc == RJH_ENOMEM)
			rc = frc;
		if (frc < 0)
			continue;
		if (util_buf_put(&b->bufs, &buf, sizeof(buf)) < 0) {
			free(buf);
			rc = RJH_ENOMEM;
			break;
		}
		frc = parse_file(buf, &f, b);
		if (frc == RJH_ENOMEM) {
			rc = frc;
			break;
		}
		/* A file that never parsed: junk once it is old enough to be nobody's work. */
		gone =
		    frc == RJH_EINVAL ? st.st_mtime < time(NULL) - SPOOL_JUNK_AGE : file_done(&f);
		if (gone && util_buf_put(&done->names, de->d_name, strlen(de->d_name) + 1) < 0)
			rc = RJH_ENOMEM;
	}
	closedir(dir);
	return rc == RJH_ENOMEM ? diag_set(d, rc, "out of memory") : rc;
}

int spool_drain(struct reg *r, const struct cfg *c, struct spool_done *done, int *rows_out,
		struct rjh_diag *d)
{
	struct batch b = {{NULL, 0, 0}, {NULL, 0, 0}};
	struct rec *recs;
	size_t i, n;
	int dfd, rc;

	*rows_out = 0;
	done->names = (struct util_buf){NULL, 0, 0};
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
	for (i = 0; rc == 0 && i < n; i++) {
		recs[i].e.origin = recs[i].origin;
		rc = reg_event_add(r, &recs[i].e, d);
		if (rc == 0)
			*rows_out += (int)reg_changes(r);
	}
	for (i = 0; i < b.bufs.len / sizeof(char *); i++)
		free(((char **)b.bufs.p)[i]);
	util_buf_free(&b.bufs);
	util_buf_free(&b.recs);
	return rc;
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
}
