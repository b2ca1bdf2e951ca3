#include "spool.h"

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

int spool_dir(const char *registry, char *buf, size_t len)
{
	return (size_t)snprintf(buf, len, "%s.spool", registry) >= len ? RJH_EINVAL : RJH_OK;
}

int spool_open_dir(const struct cfg *c, bool create, struct rjh_diag *d)
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
	dfd = spool_open_dir(c, true, d);
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
