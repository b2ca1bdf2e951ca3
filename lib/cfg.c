#include "cfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "name.h"
#include "util.h"

#define CFG_MAX_SIZE (64 * 1024)

void cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->registry, sizeof(c->registry), "/var/lib/rjh/registry.db");
	snprintf(c->runtime_dir, sizeof(c->runtime_dir), "/run/rjh");
	c->uid_min = 1900000000u;
	c->uid_max = 1900999999u;
	snprintf(c->host_group, sizeof(c->host_group), "rjh-hosts");
	c->host_gid = 1899999999u;
	c->rsa_min_bits = 3072;
	c->audit = CFG_AUDIT_BEST_EFFORT;
	snprintf(c->keys_user, sizeof(c->keys_user), "rjh");
	c->max_sessions_per_host = 3;
	c->retention = 90 * 86400;
	c->runtime_size = 16u << 20;
	c->runtime_inodes = 1048576;
	c->store = CFG_STORE_SQLITE;
	c->max_cache_age = 600;
	c->presence_ttl = 30;
	snprintf(c->host_ca_key, sizeof(c->host_ca_key), "/etc/rjh/host_ca");
	snprintf(c->user_ca_key, sizeof(c->user_ca_key), "/etc/rjh/user_ca");
}

const char *cfg_store_name(enum cfg_store s)
{
	return s == CFG_STORE_POSTGRESQL ? "postgresql" : "sqlite";
}

const char *cfg_node_name(const struct cfg *c, char *buf, size_t len)
{
	if (c->node_name[0])
		snprintf(buf, len, "%s", c->node_name);
	else if (gethostname(buf, len) < 0 || !buf[0])
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
	return buf;
}

const char *cfg_audit_name(enum cfg_audit a)
{
	switch (a) {
	case CFG_AUDIT_REQUIRED:
		return "required";
	case CFG_AUDIT_OFF:
		return "off";
	case CFG_AUDIT_BEST_EFFORT:
		break;
	}
	return "best-effort";
}

/* An absolute path of printable characters, no spaces, and no "." or ".." component. */
static int set_path(char *dst, size_t len, const char *v)
{
	const char *p;

	if (v[0] != '/' || strlen(v) >= len || !util_is_printable(v, len) || strchr(v, ' '))
		return -1;
	for (p = v; p; p = strchr(p + 1, '/')) {
		if (!strncmp(p, "/./", 3) || !strcmp(p, "/.") || !strncmp(p, "/../", 4) ||
		    !strcmp(p, "/.."))
			return -1;
	}
	snprintf(dst, len, "%s", v);
	return 0;
}

static int set_id(uint32_t *dst, const char *v)
{
	uint32_t n;

	/* 0 is root; 65534 is nobody; 4294967295 is (uid_t)-1. */
	if (util_parse_u32(v, &n) < 0 || n < 1000 || n == 65534 || n == UINT32_MAX)
		return -1;
	*dst = n;
	return 0;
}

static int set_hostname(char *dst, size_t len, const char *v)
{
	unsigned char addr[16];
	size_t i, n = strlen(v);

	if (n == 0 || n >= len)
		return -1;
	if (inet_pton(AF_INET6, v, addr) == 1) {
		snprintf(dst, len, "%s", v);
		return 0;
	}
	for (i = 0; i < n; i++) {
		char ch = v[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'))
			return -1;
	}
	if (v[0] == '-' || v[0] == '.')
		return -1;
	snprintf(dst, len, "%s", v);
	return 0;
}

/* Applies one key = value; returns 0 or -1 with *why set. */
static int cfg_set(struct cfg *c, const char *k, const char *v, const char **why)
{
	uint32_t n;

	*why = "invalid value";
	if (!strcmp(k, "registry")) {
		*why = "must be an absolute path without spaces, '.' or '..'";
		return set_path(c->registry, sizeof(c->registry), v);
	}
	if (!strcmp(k, "runtime_dir")) {
		*why = "must be an absolute path without spaces, '.' or '..'";
		return set_path(c->runtime_dir, sizeof(c->runtime_dir), v);
	}
	if (!strcmp(k, "uid_min") || !strcmp(k, "uid_max") || !strcmp(k, "host_gid")) {
		*why = "must be a number from 1000 to 4294967294, not 65534";
		return set_id(!strcmp(k, "uid_min")   ? &c->uid_min
			      : !strcmp(k, "uid_max") ? &c->uid_max
						      : &c->host_gid,
			      v);
	}
	if (!strcmp(k, "host_group")) {
		*why = "must be a valid group name ([a-z_][a-z0-9._-]*, at most 32 characters)";
		if (!name_is_account(v))
			return -1;
		snprintf(c->host_group, sizeof(c->host_group), "%s", v);
		return 0;
	}
	if (!strcmp(k, "rsa_min_bits")) {
		*why = "must be a number from 2048 to 16384";
		if (util_parse_u32(v, &n) < 0 || n < 2048 || n > 16384)
			return -1;
		c->rsa_min_bits = n;
		return 0;
	}
	if (!strcmp(k, "audit")) {
		*why = "must be one of required, best-effort, off";
		if (!strcmp(v, "required"))
			c->audit = CFG_AUDIT_REQUIRED;
		else if (!strcmp(v, "best-effort"))
			c->audit = CFG_AUDIT_BEST_EFFORT;
		else if (!strcmp(v, "off"))
			c->audit = CFG_AUDIT_OFF;
		else
			return -1;
		return 0;
	}
	if (!strcmp(k, "keys_user")) {
		*why = "must be a valid user name ([a-z_][a-z0-9._-]*, at most 32 characters)";
		if (!name_is_account(v))
			return -1;
		snprintf(c->keys_user, sizeof(c->keys_user), "%s", v);
		return 0;
	}
	if (!strcmp(k, "public_name")) {
		*why = "must be a DNS name or an IPv4 or IPv6 address";
		return set_hostname(c->public_name, sizeof(c->public_name), v);
	}
	if (!strcmp(k, "max_sessions_per_host")) {
		*why = "must be a number from 1 to 1000";
		if (util_parse_u32(v, &n) < 0 || n < 1 || n > 1000)
			return -1;
		c->max_sessions_per_host = n;
		return 0;
	}
	if (!strcmp(k, "retention")) {
		*why = "must be an age of at least one day, such as 90d or 13w";
		return util_parse_age(v, &c->retention) < 0 || c->retention < 86400 ? -1 : 0;
	}
	if (!strcmp(k, "runtime_size")) {
		*why = "must be a size from 1M to 1G, such as 16M";
		return util_parse_size(v, &c->runtime_size) < 0 || c->runtime_size < (1u << 20) ||
			       c->runtime_size > (1u << 30)
			   ? -1
			   : 0;
	}
	if (!strcmp(k, "runtime_inodes")) {
		*why = "must be a number from 1024 to 100000000";
		if (util_parse_u32(v, &n) < 0 || n < 1024 || n > 100000000)
			return -1;
		c->runtime_inodes = n;
		return 0;
	}
	if (!strcmp(k, "store")) {
		*why = "must be sqlite or postgresql";
		if (!strcmp(v, "sqlite"))
			c->store = CFG_STORE_SQLITE;
		else if (!strcmp(v, "postgresql"))
			c->store = CFG_STORE_POSTGRESQL;
		else
			return -1;
		return 0;
	}
	if (!strcmp(k, "conninfo")) {
		*why = "must be a libpq connection string of printable characters (at most 1023)";
		if (!*v || strlen(v) >= sizeof(c->conninfo) ||
		    !util_is_printable(v, sizeof(c->conninfo)))
			return -1;
		snprintf(c->conninfo, sizeof(c->conninfo), "%s", v);
		return 0;
	}
	if (!strcmp(k, "max_cache_age")) {
		*why = "must be 0 (no limit) or an age such as 90s, 10m or 1h";
		if (!strcmp(v, "0")) {
			c->max_cache_age = 0;
			return 0;
		}
		return util_parse_age(v, &c->max_cache_age);
	}
	if (!strcmp(k, "node_name")) {
		*why = "must be a DNS name";
		return set_hostname(c->node_name, sizeof(c->node_name), v);
	}
	if (!strcmp(k, "presence_ttl")) {
		*why = "must be an age from 5s to 1h, such as 30s";
		return util_parse_age(v, &c->presence_ttl) < 0 || c->presence_ttl < 5 ||
			       c->presence_ttl > 3600
			   ? -1
			   : 0;
	}
	if (!strcmp(k, "host_ca_key")) {
		*why = "must be an absolute path without spaces, '.' or '..'";
		return set_path(c->host_ca_key, sizeof(c->host_ca_key), v);
	}
	if (!strcmp(k, "user_ca_key")) {
		*why = "must be an absolute path without spaces, '.' or '..'";
		return set_path(c->user_ca_key, sizeof(c->user_ca_key), v);
	}
	*why = NULL;
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

int cfg_parse(const char *name, const char *text, size_t len, struct cfg *c, struct rjh_diag *d)
{
	static const char *const keys[] = {
	    "registry",
	    "runtime_dir",
	    "uid_min",
	    "uid_max",
	    "host_group",
	    "host_gid",
	    "rsa_min_bits",
	    "audit",
	    "public_name",
	    "keys_user",
	    "max_sessions_per_host",
	    "retention",
	    "runtime_size",
	    "runtime_inodes",
	    "store",
	    "conninfo",
	    "max_cache_age",
	    "node_name",
	    "presence_ttl",
	    "host_ca_key",
	    "user_ca_key",
	};
	enum {
		K_UID_MIN = 2,
		K_UID_MAX = 3,
		K_HOST_GID = 5,
		K_STORE = 14,
		K_CONNINFO = 15,
		K_N = 21
	};
	unsigned line_of[K_N] = {0}, lineno = 0, at;
	size_t pos = 0;
	char *buf, *line;
	int rc = RJH_OK;

	if (memchr(text, '\0', len))
		return diag_set(d, RJH_ECONFIG, "%s: contains a NUL byte", name);
	/* util_next_line splits in place and needs one byte past the text. */
	buf = malloc(len + 1);
	if (!buf)
		return diag_set(d, RJH_ENOMEM, "out of memory");
	memcpy(buf, text, len);
	buf[len] = '\0';
	while ((line = util_next_line(buf, len, &pos, NULL)) != NULL) {
		const char *why;
		char *k, *v, *eq;
		size_t i;

		lineno++;
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			rc =
			    diag_set(d, RJH_ECONFIG, "%s:%u: expected 'key = value'", name, lineno);
			goto out;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		for (i = 0; i < K_N && strcmp(k, keys[i]); i++)
			;
		if (i == K_N) {
			char safe[44];

			rc = diag_set(d, RJH_ECONFIG, "%s:%u: unknown key '%s'", name, lineno,
				      util_safe(k, safe, sizeof(safe)));
			goto out;
		}
		if (line_of[i]) {
			rc =
			    diag_set(d, RJH_ECONFIG, "%s:%u: duplicate key '%s' (first on line %u)",
				     name, lineno, k, line_of[i]);
			goto out;
		}
		line_of[i] = lineno;
		if (cfg_set(c, k, v, &why) < 0) {
			rc = diag_set(d, RJH_ECONFIG, "%s:%u: %s: %s", name, lineno, k, why);
			goto out;
		}
	}
	/* Checks across keys name the later of the lines involved. */
	at = line_of[K_UID_MIN] > line_of[K_UID_MAX] ? line_of[K_UID_MIN] : line_of[K_UID_MAX];
	if (c->uid_min > c->uid_max) {
		rc = diag_set(d, RJH_ECONFIG, "%s:%u: uid_min %u is above uid_max %u", name, at,
			      c->uid_min, c->uid_max);
		goto out;
	}
	if (line_of[K_HOST_GID] > at)
		at = line_of[K_HOST_GID];
	if (c->host_gid >= c->uid_min && c->host_gid <= c->uid_max)
		rc = diag_set(d, RJH_ECONFIG, "%s:%u: host_gid %u lies inside the uid range %u-%u",
			      name, at, c->host_gid, c->uid_min, c->uid_max);
	else if (c->store == CFG_STORE_POSTGRESQL && !c->conninfo[0])
		rc = diag_set(d, RJH_ECONFIG, "%s:%u: store = postgresql needs conninfo", name,
			      line_of[K_STORE]);
	else if (c->store != CFG_STORE_POSTGRESQL && c->conninfo[0])
		rc = diag_set(d, RJH_ECONFIG, "%s:%u: conninfo is for store = postgresql", name,
			      line_of[K_CONNINFO]);
out:
	free(buf);
	return rc;
}

int cfg_load(const char *path, struct cfg *c, struct rjh_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	cfg_defaults(c);
	if (!path)
		path = CFG_DEFAULT_PATH;
	/* The descriptor read is the one checked, and so is every directory above it. */
	fd = util_open_trusted(path, O_RDONLY, NULL, d);
	if (fd == RJH_ENOENT)
		return RJH_OK;
	rc = fd < 0 ? fd : util_read_fd(fd, path, CFG_MAX_SIZE, true, &buf, &len, NULL, d);
	if (rc == RJH_EINVAL)
		rc = RJH_ECONFIG; /* not a regular file, or too big: the message says which */
	if (rc < 0)
		goto out;
	rc = cfg_parse(path, buf, len, c, d);
	if (rc == 0)
		snprintf(c->source, sizeof(c->source), "%s", path);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}
