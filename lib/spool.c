#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
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

int spool_dir(const char *registry, char *buf, size_t len)
{
	return (size_t)snprintf(buf, len, "%s.spool", registry) >= len ? RJH_EINVAL : RJH_OK;
}

/* Opens the spool directory, made (root 0700) if missing, following no symlink. */
static int open_dir(const struct cfg *c, bool create, struct rjh_diag *d)
{
	char dir[CFG_PATH_MAX + 16];
	struct stat st;
	int fd;

	if (spool_dir(c->registry, dir, sizeof(dir)) < 0)
		return diag_set(d, RJH_EINVAL, "registry path is too long");
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return diag_set(d, RJH_ESYS, "cannot make %s: %s", dir, strerror(errno));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return diag_set(d, errno == ENOENT ? RJH_ENOENT : RJH_ESYS, "%s: %s", dir,
				strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 077)) {
		close(fd);
		return diag_set(d, RJH_ETRUST, "%s is not root's alone (mode 0700)", dir);
	}
	return fd;
}

/* One record line; RJH_EINVAL when a field could break the format. */
static int format_line(const struct reg_event *e, char *buf, size_t len)
{
	char auid[16] = "-";
	int n;

	if (e->actor_auid != (uint32_t)-1)
		snprintf(auid, sizeof(auid), "%u", e->actor_auid);
	if ((e->detail && (strpbrk(e->detail, "\t\n") || !*e->detail)) ||
	    (e->host && !name_is_host(e->host)) || (e->fp && !key_is_fingerprint(e->fp)))
		return RJH_EINVAL;
	n = snprintf(buf, len, "%lld\t%s\t%s\t%u\t%s\t%s\t%s\t%s\t%s\n", (long long)e->time,
		     e->type, e->op, e->actor_uid, auid, e->host ? e->host : "-",
		     e->fp ? e->fp : "-", e->success ? "success" : "failed",
		     e->detail ? e->detail : "-");
	return n < 0 || (size_t)n >= len ? RJH_EINVAL : n;
}

static int write_line(int fd, const char *line, size_t n)
{
	/* O_APPEND, one write: a reader sees the line whole or not at all. */
	return write(fd, line, n) == (ssize_t)n ? RJH_OK : RJH_ESYS;
}

int spool_put(const struct cfg *c, enum spool_kind kind, uint32_t uid, const struct reg_event *e,
	      struct spool_slot *slot_out, struct rjh_diag *d)
{
	unsigned limit = kind == SPOOL_REFUSAL ? SPOOL_REFUSALS : SPOOL_CONNECTIONS, i, at;
	char name[64], buf[1152];
	uint64_t nonce = 0;
	int dfd, fd = -1, n, len;

	slot_out->fd = -1;
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
	n = snprintf(buf, sizeof(buf), "rjh-spool 1 %016" PRIx64 " %ld %lld\n", nonce,
		     (long)getpid(), (long long)pres_pid_start(getpid()));
	len = format_line(e, buf + n, sizeof(buf) - (size_t)n);
	if (len < 0)
		return diag_set(d, RJH_EINVAL, "a record the spool cannot hold");
	dfd = open_dir(c, true, d);
	if (dfd < 0)
		return dfd;
	/* Start where other processes of this uid are unlikely to be, and go round. */
	at = (unsigned)getpid() % limit;
	for (i = 0; i < limit && fd < 0; i++) {
		snprintf(name, sizeof(name), "%c-%u-%u", kind, uid, (at + i) % limit);
		fd = openat(dfd, name,
			    O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	close(dfd);
	if (fd < 0)
		return errno == EEXIST ? RJH_EEXIST
				       : diag_set(d, RJH_ESYS, "spool: %s", strerror(errno));
	/* The header and the first record in one write: a drain sees both or neither. */
	if (write_line(fd, buf, (size_t)(n + len)) < 0) {
		close(fd);
		return diag_set(d, RJH_ESYS, "spool: %s", strerror(errno));
	}
	slot_out->fd = fd;
	return RJH_OK;
}

int spool_append(struct spool_slot *slot, const struct reg_event *e, struct rjh_diag *d)
{
	char line[1024];
	int len = format_line(e, line, sizeof(line));

	if (slot->fd < 0)
		return diag_set(d, RJH_EINVAL, "no spool slot");
	if (len < 0)
		return diag_set(d, RJH_EINVAL, "a record the spool cannot hold");
	return write_line(slot->fd, line, (size_t)len) < 0
		   ? diag_set(d, RJH_ESYS, "spool: %s", strerror(errno))
		   : RJH_OK;
}

void spool_close(struct spool_slot *slot)
{
	if (slot->fd >= 0)
		close(slot->fd);
	slot->fd = -1;
}

/* ------------------------------------------------------------------ drain */

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

/* Reads file name into buf (NUL-terminated); RJH_ENOENT for anything not a plain root file. */
static int read_file(int dfd, const char *name, char *buf, size_t len, struct stat *st)
{
	ssize_t n;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return RJH_ENOENT;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_uid != 0 ||
	    st->st_size >= (off_t)len) {
		close(fd);
		return RJH_ENOENT;
	}
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return RJH_ENOENT;
	buf[n] = '\0';
	return RJH_OK;
}

/* Mirrors the records of one file; sets f->records. */
static int drain_file(struct reg *r, char *buf, struct file *f, int *rows, struct rjh_diag *d)
{
	char *line = buf, *nl;
	int no = 0, rc = RJH_OK;

	nl = strchr(line, '\n');
	if (!nl)
		return RJH_EINVAL;
	*nl = '\0';
	if (sscanf(line, "rjh-spool 1 %16[0-9a-f] %ld %lld", f->nonce, &f->pid, &f->start) != 3 ||
	    strlen(f->nonce) != 16)
		return RJH_EINVAL;
	/* Only whole lines: the writer may be appending the last one. */
	for (line = nl + 1; rc == 0 && (nl = strchr(line, '\n')); line = nl + 1) {
		struct reg_event e;
		char origin[32];

		*nl = '\0';
		no++;
		if (!parse_line(line, &e))
			continue;
		snprintf(origin, sizeof(origin), "%s:%d", f->nonce, no);
		e.origin = origin;
		rc = reg_event_add(r, &e, d);
		if (rc == 0)
			*rows += (int)reg_changes(r);
	}
	f->records = no;
	return rc;
}

/* Whether a drained file may go: it holds all it will (a refusal one record, a
 * connection two), or the process that writes it is gone. */
static bool file_done(const struct file *f)
{
	return f->records >= (f->kind == SPOOL_REFUSAL ? 1 : 2) ||
	       pres_pid_start(f->pid) != f->start;
}

int spool_drain(struct reg *r, const struct cfg *c, struct spool_done *done, int *rows_out,
		struct rjh_diag *d)
{
	char buf[SPOOL_FILE_MAX + 1];
	struct dirent *de;
	DIR *dir;
	int dfd, rc = RJH_OK;

	*rows_out = 0;
	done->names = (struct util_buf){NULL, 0, 0};
	dfd = open_dir(c, false, d);
	if (dfd == RJH_ENOENT)
		return RJH_OK;
	if (dfd < 0)
		return dfd;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return diag_set(d, RJH_ENOMEM, "out of memory");
	}
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		struct file f = {.kind = de->d_name[0]};
		struct stat st;
		bool gone;
		int frc;

		if ((f.kind != SPOOL_REFUSAL && f.kind != SPOOL_CONNECTION) ||
		    de->d_name[1] != '-' || read_file(dfd, de->d_name, buf, sizeof(buf), &st) < 0)
			continue;
		frc = drain_file(r, buf, &f, rows_out, d);
		if (frc < 0 && frc != RJH_EINVAL) {
			rc = frc;
			break;
		}
		/* A file that never parsed: junk once it is old enough to be nobody's work. */
		gone =
		    frc == RJH_EINVAL ? st.st_mtime < time(NULL) - SPOOL_JUNK_AGE : file_done(&f);
		if (gone && util_buf_put(&done->names, de->d_name, strlen(de->d_name) + 1) < 0)
			rc = diag_set(d, RJH_ENOMEM, "out of memory");
	}
	closedir(dir);
	return rc;
}

void spool_finish(const struct cfg *c, struct spool_done *done, bool committed)
{
	size_t at = 0;
	int dfd = committed ? open_dir(c, false, NULL) : -1;

	while (dfd >= 0 && at < done->names.len) {
		const char *name = (const char *)done->names.p + at;

		unlinkat(dfd, name, 0);
		at += strlen(name) + 1;
	}
	if (dfd >= 0)
		close(dfd);
	util_buf_free(&done->names);
}
