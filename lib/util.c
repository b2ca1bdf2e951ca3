#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int util_read_fd(int fd, const char *path, size_t max, bool allow_empty, char **buf_out,
		 size_t *len_out, struct stat *st_out, struct rjh_diag *d)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int rc;

	*buf_out = NULL;
	*len_out = 0;
	if (fstat(fd, &st) < 0) {
		rc = diag_set(d, RJH_ESYS, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = diag_set(d, RJH_EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if ((uintmax_t)st.st_size > max) {
		rc = diag_set(d, RJH_EINVAL, "%s: file is larger than %zu bytes", path, max);
		goto out;
	}
	if (st.st_size == 0 && !allow_empty) {
		rc = diag_set(d, RJH_EINVAL, "%s: file is empty", path);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = diag_set(d, RJH_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = diag_set(d, RJH_ESYS, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (got == 0 && !allow_empty) {
		rc = diag_set(d, RJH_EINVAL, "%s: file is empty", path);
		goto out;
	}
	*buf_out = buf;
	*len_out = got;
	if (st_out)
		*st_out = st;
	buf = NULL;
	rc = RJH_OK;
out:
	free(buf);
	return rc;
}

int util_read_file(const char *path, size_t max, bool allow_empty, char **buf_out, size_t *len_out,
		   struct stat *st_out, struct rjh_diag *d)
{
	int fd, rc;

	*buf_out = NULL;
	*len_out = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return diag_set(d, RJH_ENOENT, "%s: no such file", path);
		return diag_set(d, RJH_ESYS, "%s: %s", path, strerror(errno));
	}
	rc = util_read_fd(fd, path, max, allow_empty, buf_out, len_out, st_out, d);
	close(fd);
	return rc;
}

int util_check_trusted(const char *path, uid_t uid, mode_t mode, struct rjh_diag *d)
{
	if (uid != 0)
		return diag_set(d, RJH_ETRUST, "%s: owned by uid %u, must be owned by root", path,
				(unsigned)uid);
	if (mode & (S_IWGRP | S_IWOTH))
		return diag_set(d, RJH_ETRUST, "%s: writable by group or others (mode %04o)", path,
				(unsigned)(mode & 07777));
	return RJH_OK;
}

/* Symbolic links one resolution may follow, as the kernel's own limit (MAXSYMLINKS). */
#define TRUST_MAX_LINKS 40

/*
 * The state of one walk down a path. The buffers are on the heap: nss_rjh
 * walks inside other people's threads, whose stacks may be small.
 */
struct walk {
	const char *path;    /* as the caller gave it, for messages */
	char rest[PATH_MAX]; /* what is still to resolve */
	char at[PATH_MAX];   /* the directory dfd is, for messages ("" is /) */
	char link[PATH_MAX]; /* a symbolic link's target, spliced into rest */
	int dfd;             /* O_PATH descriptor of a checked directory */
	bool shared;         /* dfd is root's but others may add entries (sticky) */
	int links;           /* symbolic links followed so far */
	const char *last;    /* the last component, in rest, once walk_parent returns */
};

static const char *walk_at(const struct walk *w)
{
	return w->at[0] ? w->at : "/";
}

/*
 * Takes nfd (a directory, as the walk reached it under the name at already
 * holds) as the walk's directory if only root can change its entries: owned
 * by root and not writable by group or others, or root's and sticky, where
 * others may add entries but not rename or remove root's. Closes nfd on failure.
 */
static int walk_enter(struct walk *w, int nfd, struct rjh_diag *d)
{
	struct stat st;

	if (fstat(nfd, &st) < 0) {
		close(nfd);
		return diag_set(d, RJH_ESYS, "%s: %s: %s", w->path, walk_at(w), strerror(errno));
	}
	if (st.st_uid != 0) {
		close(nfd);
		return diag_set(d, RJH_ETRUST,
				"%s: directory %s is owned by uid %u, must be owned by root",
				w->path, walk_at(w), (unsigned)st.st_uid);
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		close(nfd);
		return diag_set(d, RJH_ETRUST,
				"%s: directory %s is writable by group or others (mode %04o)",
				w->path, walk_at(w), (unsigned)(st.st_mode & 07777));
	}
	if (w->dfd >= 0)
		close(w->dfd);
	w->dfd = nfd;
	w->shared = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
	return RJH_OK;
}

/* Makes the walk start again at the checked root directory. */
static int walk_root(struct walk *w, struct rjh_diag *d)
{
	int nfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	w->at[0] = '\0';
	if (nfd < 0)
		return diag_set(d, RJH_ESYS, "%s: /: %s", w->path, strerror(errno));
	return walk_enter(w, nfd, d);
}

/* Maps errno from looking up name in the walk's directory to an rjh error. */
static int walk_errno(const struct walk *w, const char *name, int err, struct rjh_diag *d)
{
	if (err == ENOENT)
		return diag_set(d, RJH_ENOENT, "%s: no such file", w->path);
	if (err == ENAMETOOLONG)
		return diag_set(d, RJH_EINVAL, "%s: a file name is too long", w->path);
	return diag_set(d, RJH_ESYS, "%s: %s/%s: %s", w->path, w->at, name, strerror(err));
}

/*
 * Follows the symbolic link nfd, found as name in the walk's directory:
 * rest becomes its target followed by what was left after it (*next, which
 * then points at the start of rest again). Closes nfd.
 */
static int walk_link(struct walk *w, int nfd, const struct stat *st, const char *name, char **next,
		     struct rjh_diag *d)
{
	size_t left = strlen(*next);
	ssize_t n;
	int rc;

	/* In a sticky directory, a link not root's may have been planted by anyone. */
	if (w->shared && st->st_uid != 0) {
		rc = diag_set(d, RJH_ETRUST,
			      "%s: symbolic link %s/%s is owned by uid %u in a directory others "
			      "may write",
			      w->path, w->at, name, (unsigned)st->st_uid);
		goto out;
	}
	if (++w->links > TRUST_MAX_LINKS) {
		rc = diag_set(d, RJH_ESYS, "%s: %s", w->path, strerror(ELOOP));
		goto out;
	}
	/* The link nfd holds, not whatever name points to by now. */
	n = readlinkat(nfd, "", w->link, sizeof(w->link));
	if (n < 0) {
		rc = walk_errno(w, name, errno, d);
		goto out;
	}
	if ((size_t)n >= sizeof(w->link) || (size_t)n + 1 + left >= sizeof(w->rest)) {
		rc = diag_set(d, RJH_EINVAL, "%s: path is too long once links are followed",
			      w->path);
		goto out;
	}
	w->link[n] = '\0';
	/* *next points into rest: move it up first, then put the target before it. */
	memmove(w->rest + n + 1, *next, left + 1);
	memcpy(w->rest, w->link, (size_t)n);
	w->rest[n] = '/';
	*next = w->rest;
	rc = w->link[0] == '/' ? walk_root(w, d) : RJH_OK;
out:
	close(nfd);
	return rc;
}

/*
 * Steps from the walk's directory into component name (not "." or ""); *next
 * is what follows it, moved when name is a link.
 */
static int walk_step(struct walk *w, const char *name, char **next, struct rjh_diag *d)
{
	struct stat st;
	size_t len = strlen(w->at);
	int nfd;

	if (!strcmp(name, "..")) {
		/* The kernel's parent of the directory we hold; checked like any other. */
		nfd = openat(w->dfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (nfd < 0)
			return walk_errno(w, name, errno, d);
		while (len > 0 && w->at[len - 1] != '/')
			len--;
		w->at[len > 0 ? len - 1 : 0] = '\0';
		return walk_enter(w, nfd, d);
	}
	nfd = openat(w->dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0)
		return walk_errno(w, name, errno, d);
	if (fstat(nfd, &st) < 0) {
		close(nfd);
		return walk_errno(w, name, errno, d);
	}
	if (S_ISLNK(st.st_mode))
		return walk_link(w, nfd, &st, name, next, d);
	if (!S_ISDIR(st.st_mode)) {
		close(nfd);
		return walk_errno(w, name, ENOTDIR, d);
	}
	snprintf(w->at + len, sizeof(w->at) - len, "/%s", name);
	return walk_enter(w, nfd, d);
}

/*
 * Resolves every component of w->path but the last from "/" (a relative
 * path from the working directory's absolute name), checking every
 * directory on the way (walk_enter) and following symbolic links only out
 * of checked directories. On success w->dfd is the last component's
 * directory and w->last its name, which may be "", "." or "..".
 */
static int walk_parent(struct walk *w, struct rjh_diag *d)
{
	size_t len = strlen(w->path), cwd_len = 0;
	char *p, *next;
	int rc;

	/* An empty path names nothing, as open("") says. */
	if (len == 0)
		return diag_set(d, RJH_ENOENT, "empty path: no such file");
	if (len >= sizeof(w->rest))
		return diag_set(d, RJH_EINVAL, "%.64s...: path is too long", w->path);
	if (w->path[0] != '/') {
		if (!getcwd(w->rest, sizeof(w->rest)))
			return diag_set(d, RJH_ESYS, "%s: working directory: %s", w->path,
					strerror(errno));
		cwd_len = strlen(w->rest);
		if (cwd_len + 1 + len >= sizeof(w->rest))
			return diag_set(d, RJH_EINVAL, "%.64s...: path is too long", w->path);
		w->rest[cwd_len++] = '/';
	}
	memcpy(w->rest + cwd_len, w->path, len + 1);
	rc = walk_root(w, d);
	p = w->rest;
	while (rc == RJH_OK) {
		while (*p == '/')
			p++;
		next = strchr(p, '/');
		if (!next) {
			w->last = p;
			return RJH_OK;
		}
		*next++ = '\0';
		if (strcmp(p, ".") != 0)
			rc = walk_step(w, p, &next, d);
		p = next;
	}
	return rc;
}

/* Starts a walk of path on the heap (*w_out, for walk_end) and walks to its last component. */
static int walk_begin(const char *path, struct walk **w_out, struct rjh_diag *d)
{
	struct walk *w = calloc(1, sizeof(*w));

	*w_out = w;
	if (!w) {
		/* Not "return diag_set()": the analyzer cannot see that it returns its error. */
		diag_set(d, RJH_ENOMEM, "out of memory");
		return RJH_ENOMEM;
	}
	w->path = path;
	w->dfd = -1;
	return walk_parent(w, d);
}

static void walk_end(struct walk *w)
{
	if (!w)
		return;
	if (w->dfd >= 0)
		close(w->dfd);
	free(w);
}

/* What the last component must be once found: a regular file only root can change. */
static int walk_file(const struct walk *w, const struct stat *st, struct rjh_diag *d)
{
	if (S_ISLNK(st->st_mode))
		return diag_set(d, RJH_ETRUST, "%s: is a symbolic link, which is not followed",
				w->path);
	if (!S_ISREG(st->st_mode))
		return diag_set(d, RJH_EINVAL, "%s: not a regular file", w->path);
	return util_check_trusted(w->path, st->st_uid, st->st_mode, d);
}

/* "", "." and ".." (a path ending in '/', "." or "..") name directories, never a file. */
static int walk_last_named(const struct walk *w, struct rjh_diag *d)
{
	if (!w->last[0] || !strcmp(w->last, ".") || !strcmp(w->last, ".."))
		return diag_set(d, RJH_EINVAL, "%s: not a regular file", w->path);
	return RJH_OK;
}

int util_open_trusted(const char *path, int flags, struct stat *st_out, struct rjh_diag *d)
{
	struct walk *w = NULL;
	struct stat st;
	int fd = -1, rc;

	if (flags & (O_CREAT | O_TRUNC | O_PATH | O_DIRECTORY | O_TMPFILE))
		return diag_set(d, RJH_EINVAL, "%s: a trusted file is opened, never created", path);
	rc = walk_begin(path, &w, d);
	if (rc == RJH_OK)
		rc = walk_last_named(w, d);
	if (rc < 0)
		goto out;
	/* O_NONBLOCK: a FIFO must not block the open; on a regular file it changes nothing. */
	fd = openat(w->dfd, w->last, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	/* ELOOP is O_NOFOLLOW meeting a link; ENXIO a socket, or a device with nothing behind it.
	 */
	if (fd < 0 && errno == ELOOP)
		rc = diag_set(d, RJH_ETRUST, "%s: is a symbolic link, which is not followed", path);
	else if (fd < 0 && errno == ENXIO)
		rc = diag_set(d, RJH_EINVAL, "%s: not a regular file", path);
	else if (fd < 0)
		rc = walk_errno(w, w->last, errno, d);
	else if (fstat(fd, &st) < 0)
		rc = diag_set(d, RJH_ESYS, "%s: %s", path, strerror(errno));
	else
		rc = walk_file(w, &st, d);
	if (rc < 0)
		goto out;
	if (st_out)
		*st_out = st;
	rc = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	walk_end(w);
	return rc;
}

/*
 * For an SQLite file: its directory must be root's alone, sticky or not.
 * SQLite opens the journal beside the file by name; in a directory others may
 * add entries to, a planted hot journal would be played back into the file.
 */
static int walk_private(const struct walk *w, bool private_dir, struct rjh_diag *d)
{
	if (!private_dir || !w->shared)
		return RJH_OK;
	return diag_set(d, RJH_ETRUST,
			"%s: directory %s may be written by others (sticky): a journal "
			"planted beside the file would be read; use a directory only root "
			"can write",
			w->path, walk_at(w));
}

static int path_trusted(const char *path, bool private_dir, struct rjh_diag *d)
{
	struct walk *w = NULL;
	struct stat st;
	int rc;

	rc = walk_begin(path, &w, d);
	if (rc == RJH_OK)
		rc = walk_last_named(w, d);
	if (rc < 0)
		goto out;
	if (fstatat(w->dfd, w->last, &st, AT_SYMLINK_NOFOLLOW) < 0)
		rc = walk_errno(w, w->last, errno, d);
	else
		rc = walk_file(w, &st, d);
	if (rc == RJH_OK)
		rc = walk_private(w, private_dir, d);
out:
	walk_end(w);
	return rc;
}

int util_path_trusted(const char *path, struct rjh_diag *d)
{
	return path_trusted(path, false, d);
}

int util_db_path_trusted(const char *path, struct rjh_diag *d)
{
	return path_trusted(path, true, d);
}

static int dirs_trusted(const char *path, bool private_dir, struct rjh_diag *d)
{
	struct walk *w = NULL;
	int rc = walk_begin(path, &w, d);

	if (rc == RJH_OK)
		rc = walk_private(w, private_dir, d);
	walk_end(w);
	return rc;
}

int util_dirs_trusted(const char *path, struct rjh_diag *d)
{
	return dirs_trusted(path, false, d);
}

int util_db_dirs_trusted(const char *path, struct rjh_diag *d)
{
	return dirs_trusted(path, true, d);
}

char *util_next_line(char *buf, size_t len, size_t *pos, size_t *line_len_out)
{
	char *start, *nl;
	size_t n;

	if (*pos >= len)
		return NULL;
	start = buf + *pos;
	nl = memchr(start, '\n', len - *pos);
	n = nl ? (size_t)(nl - start) : len - *pos;
	*pos += n + (nl ? 1 : 0);
	if (n > 0 && start[n - 1] == '\r')
		n--;
	start[n] = '\0';
	if (line_len_out)
		*line_len_out = n;
	return start;
}

static int mkdir_one(const char *path, mode_t mode, struct rjh_diag *d)
{
	if (mkdir(path, mode) == 0) {
		/* mkdir's mode passes through the umask; the layout is exact. */
		if (chmod(path, mode) < 0)
			return diag_set(d, RJH_ESYS, "%s: %s", path, strerror(errno));
	} else if (errno != EEXIST) {
		return diag_set(d, RJH_ESYS, "cannot create %s: %s", path, strerror(errno));
	}
	return RJH_OK;
}

int util_mkdir_parents(const char *path, mode_t mode, struct rjh_diag *d)
{
	char buf[PATH_MAX];
	char *p;
	int rc;

	if (strlen(path) >= sizeof(buf))
		return diag_set(d, RJH_EINVAL, "path is too long");
	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		rc = mkdir_one(buf, mode, d);
		if (rc < 0)
			return rc;
		*p = '/';
	}
	return RJH_OK;
}

int util_mkdir_p(const char *path, mode_t mode, struct rjh_diag *d)
{
	int rc = util_mkdir_parents(path, mode, d);

	return rc < 0 ? rc : mkdir_one(path, mode, d);
}

int util_parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v = 0;

	if (!s || !*s)
		return RJH_EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return RJH_EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > UINT32_MAX)
			return RJH_EINVAL;
	}
	*out = (uint32_t)v;
	return RJH_OK;
}

/* True when s matches pat, where '9' stands for one digit and any other byte for itself. */
static bool shape(const char *s, const char *pat)
{
	for (; *pat; s++, pat++) {
		if (*pat == '9' ? (*s < '0' || *s > '9') : *s != *pat)
			return false;
	}
	return *s == '\0';
}

int util_parse_time(const char *s, int64_t *out, struct rjh_diag *d)
{
	struct tm tm, want;
	const char *end = NULL;
	char safe[48];
	time_t t;

	/* strptime alone skips spaces and takes one-digit fields: check the shape first. */
	memset(&tm, 0, sizeof(tm));
	if (shape(s, "9999-99-99")) {
		end = strptime(s, "%Y-%m-%d", &tm);
		tm.tm_hour = 23;
		tm.tm_min = 59;
		tm.tm_sec = 59;
	} else if (shape(s, "9999-99-99T99:99Z")) {
		end = strptime(s, "%Y-%m-%dT%H:%MZ", &tm);
	} else if (shape(s, "9999-99-99T99:99:99Z")) {
		end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	if (!end || *end)
		goto bad;
	want = tm;
	if (tm.tm_year < 70 || tm.tm_sec > 59)
		goto bad;
	t = timegm(&tm);
	/* timegm normalises 2026-02-31 to March: refuse dates that moved. */
	if (t == (time_t)-1 || tm.tm_mday != want.tm_mday || tm.tm_mon != want.tm_mon ||
	    tm.tm_hour != want.tm_hour || tm.tm_min != want.tm_min)
		goto bad;
	*out = (int64_t)t;
	return RJH_OK;
bad:
	return diag_set(
	    d, RJH_EINVAL,
	    "invalid date '%s' (use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z, UTC, from 1970)",
	    util_safe(s, safe, 40));
}

/* n (1 to 9 digits) times the scale of the one unit after it; -1 if s is not that shape. */
static int64_t scaled(const char *s, const char *units, const int64_t *scale, bool unit_optional)
{
	size_t n = strspn(s, "0123456789");
	const char *u;

	if (n == 0 || n > 9)
		return -1;
	if (s[n] == '\0')
		return unit_optional ? strtoll(s, NULL, 10) : -1;
	u = strchr(units, s[n]);
	if (!u || s[n + 1] != '\0')
		return -1;
	return strtoll(s, NULL, 10) * scale[u - units];
}

int util_parse_age(const char *s, int64_t *secs_out)
{
	static const int64_t secs[] = {1, 60, 3600, 86400, 604800};
	int64_t v = scaled(s, "smhdw", secs, false);

	if (v < 0)
		return RJH_EINVAL;
	*secs_out = v;
	return RJH_OK;
}

int util_parse_size(const char *s, uint64_t *bytes_out)
{
	static const int64_t mult[] = {1024, 1048576, 1073741824};
	int64_t v = scaled(s, "kMG", mult, true);

	if (v < 0)
		return RJH_EINVAL;
	*bytes_out = (uint64_t)v;
	return RJH_OK;
}

void util_fmt_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

static int cidr_one(const char *tok, char *out, size_t outlen, struct rjh_diag *d)
{
	char addr[INET6_ADDRSTRLEN + 1], canon[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	const char *slash = strchr(tok, '/');
	size_t alen = slash ? (size_t)(slash - tok) : strlen(tok);
	uint32_t prefix, maxp;
	char safe[72];
	int af;

	if (alen == 0 || alen >= sizeof(addr))
		goto bad;
	memcpy(addr, tok, alen);
	addr[alen] = '\0';
	af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, addr, bin) != 1)
		goto bad;
	maxp = af == AF_INET ? 32 : 128;
	prefix = maxp;
	if (slash && (util_parse_u32(slash + 1, &prefix) < 0 || prefix > maxp))
		goto bad;
	for (uint32_t bit = prefix; bit < maxp; bit++) {
		if (bin[bit / 8] & (0x80 >> (bit % 8)))
			return diag_set(d, RJH_EINVAL, "CIDR '%s' has host bits set after /%u",
					util_safe(tok, safe, sizeof(safe)), prefix);
	}
	inet_ntop(af, bin, canon, sizeof(canon));
	if ((size_t)snprintf(out, outlen, "%s/%u", canon, prefix) >= outlen)
		return diag_set(d, RJH_EINVAL, "too many CIDRs");
	return RJH_OK;
bad:
	return diag_set(d, RJH_EINVAL, "invalid CIDR '%s'", util_safe(tok, safe, sizeof(safe)));
}

int util_parse_cidrs(const char *s, char *out, size_t outlen, struct rjh_diag *d)
{
	size_t used = 0, n = 0;
	const char *p = s;
	char safe[72];

	if (!*s)
		return diag_set(d, RJH_EINVAL, "empty CIDR list");
	out[0] = '\0';
	while (*p) {
		char tok[128];
		const char *comma = strchr(p, ',');
		size_t tl = comma ? (size_t)(comma - p) : strlen(p);
		int rc;

		if (tl == 0 || tl >= sizeof(tok))
			return diag_set(d, RJH_EINVAL, "invalid CIDR list '%s'",
					util_safe(s, safe, sizeof(safe)));
		if (++n > 32)
			return diag_set(d, RJH_EINVAL, "more than 32 CIDRs");
		memcpy(tok, p, tl);
		tok[tl] = '\0';
		if (used > 0) {
			if (used + 1 >= outlen)
				return diag_set(d, RJH_EINVAL, "too many CIDRs");
			out[used++] = ',';
		}
		rc = cidr_one(tok, out + used, outlen - used, d);
		if (rc < 0)
			return rc;
		used += strlen(out + used);
		p += tl;
		if (*p == ',') {
			p++;
			if (!*p)
				return diag_set(d, RJH_EINVAL, "invalid CIDR list '%s'",
						util_safe(s, safe, sizeof(safe)));
		}
	}
	return RJH_OK;
}

bool util_is_printable(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (i >= max || (unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	}
	return true;
}

const char *util_safe(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s && s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* Parses an address literal into 16 bytes (IPv4 as its mapped IPv6 form). */
static bool addr_bin(const char *s, unsigned char bin[16])
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (inet_pton(AF_INET, s, bin + 12) == 1) {
		memcpy(bin, mapped, sizeof(mapped));
		return true;
	}
	return inet_pton(AF_INET6, s, bin) == 1;
}

bool util_cidrs_match(const char *cidrs, const char *addr)
{
	unsigned char a[16], net[16];
	const char *p = cidrs;

	if (!addr || !addr_bin(addr, a))
		return false;
	while (*p) {
		char tok[INET6_ADDRSTRLEN + 8];
		size_t tl = strcspn(p, ",");
		char *slash;
		uint32_t prefix, bit;

		if (tl < sizeof(tok)) {
			memcpy(tok, p, tl);
			tok[tl] = '\0';
			slash = strchr(tok, '/');
			if (slash)
				*slash = '\0';
			if (slash && util_parse_u32(slash + 1, &prefix) == 0 &&
			    prefix <= (strchr(tok, ':') ? 128u : 32u) && addr_bin(tok, net)) {
				if (!strchr(tok, ':'))
					prefix += 96;
				for (bit = 0; bit < prefix && bit < 128; bit++)
					if ((a[bit / 8] ^ net[bit / 8]) & (0x80 >> (bit % 8)))
						break;
				if (bit == prefix)
					return true;
			}
		}
		p += tl;
		if (*p == ',')
			p++;
	}
	return false;
}

int util_grow(void *arrayp, size_t *cap, size_t want, size_t elem, size_t first)
{
	size_t ncap = *cap ? *cap : (first ? first : 1);
	void *p, *np;

	if (want <= *cap)
		return RJH_OK;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2)
			return RJH_ENOMEM;
		ncap *= 2;
	}
	if (elem && ncap > SIZE_MAX / elem)
		return RJH_ENOMEM;
	/* NB. arrayp is a T **: its pointer is read and written as bytes, not as a void *. */
	memcpy(&p, arrayp, sizeof(p));
	np = realloc(p, ncap * elem);
	if (!np)
		return RJH_ENOMEM;
	memcpy(arrayp, &np, sizeof(np));
	*cap = ncap;
	return RJH_OK;
}

int util_buf_put(struct util_buf *b, const void *data, size_t n)
{
	if (n > SIZE_MAX - b->len || util_grow(&b->p, &b->cap, b->len + n, 1, 256) < 0)
		return RJH_ENOMEM;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	return RJH_OK;
}

void util_buf_free(struct util_buf *b)
{
	free(b->p);
	*b = (struct util_buf){NULL, 0, 0};
}

int util_lock_file(const char *path, struct rjh_diag *d)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return diag_set(d, RJH_ESYS, "cannot open %s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int rc = diag_set(d, RJH_ESYS, "cannot lock %s: %s", path, strerror(errno));

			close(fd);
			return rc;
		}
	}
	return fd;
}

DIR *util_opendir_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *dir;

	if (fd < 0)
		return NULL;
	dir = fdopendir(fd);
	if (!dir) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return dir;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int util_write_atomic(const char *path, const void *buf, size_t len, mode_t mode, gid_t gid,
		      struct rjh_diag *d)
{
	char tmp[4096];
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return diag_set(d, RJH_EINVAL, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchown(fd, (uid_t)-1, gid) < 0 || fchmod(fd, mode) < 0 ||
	    write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		rc = diag_set(d, RJH_ESYS, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return rc;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		rc = diag_set(d, RJH_ESYS, "cannot replace %s: %s", path, strerror(errno));
		unlink(tmp);
		return rc;
	}
	return RJH_OK;
}
