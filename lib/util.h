/* Small helpers shared by every component: files, times, addresses. */
#ifndef RJH_UTIL_H
#define RJH_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"

/*
 * Reads a whole regular file of at most max bytes into a NUL-terminated
 * heap buffer. Returns 0 and sets *buf_out and *len_out, RJH_ENOENT if it does
 * not exist, RJH_EINVAL if it is too big, not a regular file, or empty
 * (when !allow_empty), or RJH_ESYS. For files nobody vouches for (a key
 * named on the command line); see util_open_trusted for the others.
 */
int util_read_file(const char *path, size_t max, bool allow_empty, char **buf_out, size_t *len_out,
		   struct stat *st_out, struct rjh_diag *d);

/* util_read_file on an open descriptor (not closed); path is for messages. */
int util_read_fd(int fd, const char *path, size_t max, bool allow_empty, char **buf_out,
		 size_t *len_out, struct stat *st_out, struct rjh_diag *d);

/* Checks that uid/mode describe a file owned by root and not writable by group or others. */
int util_check_trusted(const char *path, uid_t uid, mode_t mode, struct rjh_diag *d);

/*
 * Opens a file that only root can have written, as OpenSSH's safe_path_fd
 * checks one. path (a relative one from the working directory's absolute
 * name) is resolved one component at a time from "/" with O_PATH|O_NOFOLLOW;
 * every directory passed through must be owned by root and not writable by
 * group or others, or root's and sticky (like /tmp: others cannot rename or
 * remove root's entries). A symbolic link is followed only out of such a
 * directory, and out of a sticky one only if root owns it; at most 40, and
 * "/" restarts an absolute target. ".." is the kernel's parent of the
 * directory reached, checked like the others. The last component is opened
 * in its checked directory with flags (O_RDONLY, say) plus O_NOFOLLOW,
 * O_NONBLOCK (a FIFO does not block), O_NOCTTY and O_CLOEXEC, and the
 * descriptor itself must be a regular file owned by root and not writable by
 * group or others.
 * Returns the descriptor, with *st_out (if not NULL) its fstat; or
 * RJH_ETRUST (the sentence names the directory, link or file and why),
 * RJH_ENOENT (only once every directory that exists on the way was checked),
 * RJH_EINVAL (not a regular file, path too long, O_CREAT and the like in
 * flags) or RJH_ESYS (including a loop of links). Never logs.
 */
int util_open_trusted(const char *path, int flags, struct stat *st_out, struct rjh_diag *d);

/*
 * For a file whose reader needs its path, not a descriptor (SQLite opens the
 * registry by name): checks every directory and link on the way exactly as
 * util_open_trusted does, and lstat's the last component, which must be a
 * regular file owned by root and not writable by group or others. That is
 * enough because every directory from "/" to the file is root's alone: only
 * root can rename, replace or remove an entry on the way between this check
 * and the caller's open, and the caller must still refuse a link as the last
 * component itself (SQLITE_OPEN_NOFOLLOW). Returns 0 or the errors of
 * util_open_trusted.
 */
int util_path_trusted(const char *path, struct rjh_diag *d);

/*
 * Checks the directories and links above path's last component as
 * util_open_trusted does, and not the last component itself: for a file
 * about to be created there. Returns 0 or the errors of util_open_trusted.
 */
int util_dirs_trusted(const char *path, struct rjh_diag *d);

/*
 * util_path_trusted and util_dirs_trusted for an SQLite file (the registry,
 * a backup): the file's own directory must also not be sticky and writable
 * by others, where anyone could plant the journal SQLite reads beside it.
 */
int util_db_path_trusted(const char *path, struct rjh_diag *d);
int util_db_dirs_trusted(const char *path, struct rjh_diag *d);

/*
 * Splits buf into lines in place: returns the next line (NUL-terminated,
 * trailing CR removed) and advances *pos, or NULL at the end.
 * NB. buf must hold len + 1 bytes: a last line without '\n' is terminated at
 * buf[len] (util_read_file's buffers have that byte).
 */
char *util_next_line(char *buf, size_t len, size_t *pos, size_t *line_len_out);

/*
 * Creates every missing directory above path (not path itself) with exactly
 * mode, whatever the umask. Existing directories are left as they are.
 */
int util_mkdir_parents(const char *path, mode_t mode, struct rjh_diag *d);

/* Creates directory path (and its parents) with exactly mode, or accepts it if it exists. */
int util_mkdir_p(const char *path, mode_t mode, struct rjh_diag *d);

/* Parses an unsigned 32-bit decimal number with nothing after it. */
int util_parse_u32(const char *s, uint32_t *out);

/*
 * Parses YYYY-MM-DD (end of that day, UTC) or YYYY-MM-DDTHH:MM[:SS]Z into
 * seconds since the epoch.
 */
int util_parse_time(const char *s, int64_t *out, struct rjh_diag *d);

/*
 * Parses an age: 1 to 9 digits and one unit, s, m, h, d or w (30m, 12h, 7d,
 * 2w). Sets *secs_out; RJH_EINVAL for anything else.
 */
int util_parse_age(const char *s, int64_t *secs_out);

/*
 * Parses a size: 1 to 9 digits and an optional binary unit k, M or G (64M).
 * Sets *bytes_out; RJH_EINVAL for anything else.
 */
int util_parse_size(const char *s, uint64_t *bytes_out);

/* Formats t as YYYY-MM-DDTHH:MM:SSZ into buf (at least 21 bytes). */
void util_fmt_time(int64_t t, char *buf, size_t len);

/*
 * Validates a comma-separated list of CIDRs (IPv4 or IPv6, prefix optional)
 * and writes its canonical form into out. Host bits must be zero.
 */
int util_parse_cidrs(const char *s, char *out, size_t outlen, struct rjh_diag *d);

/*
 * True when address literal addr (IPv4, IPv6, or IPv4-mapped IPv6) lies in
 * one of the canonical CIDRs util_parse_cidrs wrote. False for anything that
 * is not an address literal (e.g. a host name from sshd's UseDNS).
 */
bool util_cidrs_match(const char *cidrs, const char *addr);
/*
 * Copies at most len - 1 bytes of untrusted s into buf for a message,
 * replacing anything but printable ASCII with '?'. Returns buf.
 */
const char *util_safe(const char *s, char *buf, size_t len);

/*
 * Opens (creating, 0600) lock file path and waits for its exclusive flock.
 * Returns the descriptor (closing it releases the lock), or RJH_ESYS.
 */
int util_lock_file(const char *path, struct rjh_diag *d);

/*
 * Opens directory name below dirfd, not following a final symlink, as a DIR
 * stream. Returns NULL with errno set, and no descriptor left open.
 */
DIR *util_opendir_at(int dirfd, const char *name);

/*
 * The one way rjh grows an array: makes *arrayp (the address of a T *) hold
 * at least want elements of elem bytes, doubling *cap from first (when 0)
 * until it does. Returns 0, or RJH_ENOMEM with *arrayp and *cap unchanged
 * when realloc fails or the size would overflow size_t.
 * Typical: if (n == cap && util_grow(&v, &cap, n + 1, sizeof(*v), 64) < 0)
 */
int util_grow(void *arrayp, size_t *cap, size_t want, size_t elem, size_t first);

/* A growable byte buffer: append with util_buf_put, free with util_buf_free. */
struct util_buf {
	unsigned char *p;
	size_t len, cap;
};

/* Appends n bytes of data. RJH_ENOMEM (and b unchanged) when it cannot grow. */
int util_buf_put(struct util_buf *b, const void *data, size_t n);
void util_buf_free(struct util_buf *b);

/*
 * Replaces path with len bytes of buf atomically: PATH.tmp (O_NOFOLLOW),
 * fsync, rename, owned by the caller with mode and group gid ((gid_t)-1:
 * the caller's). Returns 0 or RJH_ESYS; a failure leaves path as it was.
 */
int util_write_atomic(const char *path, const void *buf, size_t len, mode_t mode, gid_t gid,
		      struct rjh_diag *d);

/* True when every byte of s is printable ASCII and s is at most max bytes. */
bool util_is_printable(const char *s, size_t max);

#endif
