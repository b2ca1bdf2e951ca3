#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
