#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define STAMP_MAX 64

int cache_stamp_path(const char *registry, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.synced", registry);

	return n < 0 || (size_t)n >= len ? RJH_EINVAL : RJH_OK;
}

int cache_stamp_write(const struct cfg *c, uint64_t gen, struct rjh_diag *d)
{
	char path[CFG_PATH_MAX + 16], tmp[CFG_PATH_MAX + 32], text[STAMP_MAX];
	int fd, n, rc = RJH_OK;

	if (cache_stamp_path(c->registry, path, sizeof(path)) < 0 ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return diag_set(d, RJH_EINVAL, "registry path is too long");
	n = snprintf(text, sizeof(text), "generation %" PRIu64 "\n", gen);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return diag_set(d, RJH_ESYS, "%s: %s", tmp, strerror(errno));
	if (write(fd, text, (size_t)n) != n || fsync(fd) < 0)
		rc = diag_set(d, RJH_ESYS, "%s: %s", tmp, strerror(errno ? errno : EIO));
	if (close(fd) < 0 && rc == 0)
		rc = diag_set(d, RJH_ESYS, "%s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, path) < 0)
		rc = diag_set(d, RJH_ESYS, "%s: %s", path, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int cache_stamp_touch(const struct cfg *c, struct rjh_diag *d)
{
	char path[CFG_PATH_MAX + 16];

	if (cache_stamp_path(c->registry, path, sizeof(path)) < 0)
		return diag_set(d, RJH_EINVAL, "registry path is too long");
	if (utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW) < 0)
		return diag_set(d, errno == ENOENT ? RJH_ENOENT : RJH_ESYS, "%s: %s", path,
				strerror(errno));
	return RJH_OK;
}

int cache_stamp_read(const struct cfg *c, uint64_t *gen_out, int64_t *current_out,
		     struct rjh_diag *d)
{
	char path[CFG_PATH_MAX + 16], text[STAMP_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, rc = RJH_OK;

	*gen_out = 0;
	*current_out = 0;
	if (cache_stamp_path(c->registry, path, sizeof(path)) < 0)
		return diag_set(d, RJH_EINVAL, "registry path is too long");
	/* The descriptor read is the one checked: root's, not writable by others. */
	fd = util_open_trusted(path, O_RDONLY, &st, d);
	if (fd < 0)
		return fd;
	n = read(fd, text, STAMP_MAX);
	if (n <= 0 || sscanf((text[n] = '\0', text), "generation %" SCNu64, gen_out) != 1)
		rc = diag_set(d, RJH_EINVAL, "%s: not an rjh cache stamp", path);
	else
		*current_out = (int64_t)st.st_mtime;
	close(fd);
	return rc;
}

const char *cache_refusal(const struct cfg *c, int64_t now, char *buf, size_t len)
{
	struct rjh_diag d = {""};
	uint64_t gen;
	int64_t current;
	int rc;

	if (c->store != CFG_STORE_POSTGRESQL || c->max_cache_age <= 0)
		return NULL;
	rc = cache_stamp_read(c, &gen, &current, &d);
	if (rc < 0) {
		snprintf(buf, len,
			 "this jumphost's copy of the registry has no freshness stamp (%s): is "
			 "rjh-sync running?",
			 d.msg);
		return buf;
	}
	if (now - current <= c->max_cache_age)
		return NULL;
	snprintf(buf, len,
		 "this jumphost's copy of the registry was last confirmed %lld s ago "
		 "(max_cache_age %lld s): rjh-sync cannot reach PostgreSQL; connections are "
		 "refused until it does",
		 (long long)(now - current), (long long)c->max_cache_age);
	return buf;
}
