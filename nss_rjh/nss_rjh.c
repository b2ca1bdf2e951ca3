/*
 * nss_rjh: every enrolled host is an account (passwd) in the hosts group
 * (group), answered from the NSS snapshot that rjh-admin writes next to the
 * registry (lib/snap.h). It runs inside every process on the machine, so:
 * it never prints or logs, never blocks on a writer, keeps no descriptor
 * open, preserves errno, returns NOTFOUND for names that cannot be hosts
 * without touching any file, and UNAVAIL when the snapshot is missing,
 * untrusted or malformed.
 */
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cfg.h"
#include "name.h"
#include "nss_module.h"
#include "snap.h"

NSS_GETPW_PROTOTYPES(rjh);
NSS_PWENT_PROTOTYPES(rjh);
NSS_GETGR_PROTOTYPES(rjh);
NSS_GRENT_PROTOTYPES(rjh);
NSS_INITGROUPS_PROTOTYPE(rjh);

/* A change by rjh-admin is seen by a lookup at most this long after it. */
#define RECHECK_MS 100

#define HOST_SHELL "/usr/sbin/nologin"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The files lookups answer from. Guarded by lock. */
static struct {
	bool loaded;
	struct snap_view view;
	char base[CFG_PATH_MAX + 16], delta[CFG_PATH_MAX + 16];
	char conf[CFG_PATH_MAX];
	struct stat conf_st; /* of the config read, st_ino 0 if none */
	int64_t checked_ms;
} cur;

/* Enumeration state: its own view, so a refresh does not move it. Guarded by lock. */
static struct {
	bool open;
	struct snap_view view;
	struct snap_iter it;
} pwent, grent;

static void atfork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

static void atfork_release(void)
{
	pthread_mutex_unlock(&lock);
}

/* The child inherits the mappings, which stay valid; only the lock needs care. */
__attribute__((constructor)) static void nss_rjh_init(void)
{
	pthread_atfork(atfork_prepare, atfork_release, atfork_release);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Re-reads the config when it changed: it says where the registry, hence the snapshot, is. */
static int load_conf(void)
{
	const char *path = secure_getenv("RJH_CONF");
	struct rjh_diag d;
	struct stat st;
	struct cfg c;

	if (!path || !*path)
		path = CFG_DEFAULT_PATH;
	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof(st)); /* no config: the defaults */
	if (cur.base[0] && !strcmp(path, cur.conf) && same_file(&st, &cur.conf_st))
		return 0;
	if (cfg_load(path, &c, &d) < 0 ||
	    snap_paths(c.registry, cur.base, cur.delta, sizeof(cur.base)) < 0) {
		cur.base[0] = '\0';
		return -1;
	}
	snprintf(cur.conf, sizeof(cur.conf), "%s", path);
	cur.conf_st = st;
	return 0;
}

/*
 * Makes cur.view current (re-checked every RECHECK_MS). Call with lock held.
 * Returns 0, RJH_ENOENT when there is no snapshot, or another rjh error.
 */
static int refresh(void)
{
	struct snap_view v;
	int64_t now = now_ms();
	int rc = RJH_ECONFIG;

	if (cur.loaded && now - cur.checked_ms < RECHECK_MS && now >= cur.checked_ms)
		return 0;
	cur.checked_ms = now;
	if (load_conf() < 0)
		goto fail;
	if (cur.loaded && !snap_view_changed(&cur.view, cur.base, cur.delta))
		return 0;
	rc = snap_view_map(SNAP_BASE, cur.base, cur.delta, &v, NULL);
	if (rc < 0)
		goto fail;
	if (cur.loaded)
		snap_view_unmap(&cur.view);
	cur.view = v;
	cur.loaded = true;
	return 0;
fail:
	/* Never answer from a snapshot that is gone or no longer trusted. */
	if (cur.loaded)
		snap_view_unmap(&cur.view);
	cur.loaded = false;
	return rc;
}

/* Copies s into the caller's buffer at *pos; NULL if it does not fit. */
static char *put(char **pos, char *end, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = *pos;

	if ((size_t)(end - p) < n)
		return NULL;
	memcpy(p, s, n);
	*pos = p + n;
	return p;
}

/* NSS_STATUS_TRYAGAIN when buf is too small; the caller reports ERANGE (see nss_return()). */
static enum nss_status fill_passwd(const struct snap_hdr *h, const char *name, uint32_t uid,
				   struct passwd *pw, char *buf, size_t len)
{
	static const char gecos[] = SNAP_GECOS_PREFIX, hosts[] = "/hosts/";
	size_t nl = strlen(name), rl = strnlen(h->runtime_dir, sizeof(h->runtime_dir));
	char *p = buf;

	/* Check the space first: nothing is written into a buffer that is too small. */
	if (len < 2 * (nl + 1) + 2 + (sizeof(gecos) - 1) + rl + (sizeof(hosts) - 1) + nl + 1 +
		      sizeof(HOST_SHELL))
		return NSS_STATUS_TRYAGAIN;
	pw->pw_name = p;
	memcpy(p, name, nl + 1);
	p += nl + 1;
	pw->pw_passwd = p; /* "*" matches no password: no password login, ever */
	memcpy(p, "*", 2);
	p += 2;
	pw->pw_gecos = p;
	memcpy(p, gecos, sizeof(gecos) - 1);
	memcpy(p + sizeof(gecos) - 1, name, nl + 1);
	p += sizeof(gecos) - 1 + nl + 1;
	pw->pw_dir = p; /* RUNTIME/hosts/NAME: the host's chroot */
	memcpy(p, h->runtime_dir, rl);
	memcpy(p + rl, hosts, sizeof(hosts) - 1);
	memcpy(p + rl + sizeof(hosts) - 1, name, nl + 1);
	p += rl + sizeof(hosts) - 1 + nl + 1;
	pw->pw_shell = p;
	memcpy(p, HOST_SHELL, sizeof(HOST_SHELL));
	pw->pw_uid = uid;
	pw->pw_gid = h->gid;
	return NSS_STATUS_SUCCESS;
}

static enum nss_status fill_group(const struct snap_hdr *h, struct group *gr, char *buf, size_t len)
{
	size_t name_len = strlen(h->group) + 1, align = (uintptr_t)buf % sizeof(char *);
	size_t skip = align ? sizeof(char *) - align : 0;
	char *pos;

	/* No members listed: every host has the group as its primary group. */
	if (len < skip + sizeof(char *) + name_len + 2)
		return NSS_STATUS_TRYAGAIN;
	gr->gr_mem = (char **)(void *)(buf + skip);
	gr->gr_mem[0] = NULL;
	pos = buf + skip + sizeof(char *);
	gr->gr_name = put(&pos, buf + len, h->group);
	gr->gr_passwd = put(&pos, buf + len, "*");
	gr->gr_gid = h->gid;
	return NSS_STATUS_SUCCESS;
}

/*
 * The caller's errno survives every entry point: PROTECT_ERRNO saves it on
 * entry and puts it back on every return path (a cleanup handler). The
 * exceptions are the errors NSS wants in *errnop: glibc passes &errno as
 * errnop, so nss_return() restores errno first, sets *errnop, and disarms
 * the guard so that the cleanup does not undo it.
 */
static void errno_restore(const int *saved)
{
	if (*saved >= 0)
		errno = *saved;
}

#define PROTECT_ERRNO int saved_errno __attribute__((cleanup(errno_restore), unused)) = errno

/*
 * Returns st. NSS_STATUS_TRYAGAIN (buffer too small) sets *errnop = ERANGE;
 * NSS_STATUS_UNAVAIL sets why it failed (why, an rjh error): ENOENT when
 * there is no snapshot (glibc's word for a missing file), else EIO. NB.
 * getpwnam_r returns that errno for UNAVAIL: left alone, it would tell its
 * caller "no such user" when the snapshot could not be read.
 */
static enum nss_status nss_return(enum nss_status st, int why, int *saved_errno, int *errnop)
{
	if (st != NSS_STATUS_TRYAGAIN && st != NSS_STATUS_UNAVAIL)
		return st;
	errno = *saved_errno;
	*saved_errno = -1;
	if (st == NSS_STATUS_TRYAGAIN)
		*errnop = ERANGE;
	else
		*errnop = why == RJH_ENOENT ? ENOENT : EIO;
	return st;
}

static bool uid_in_range(const struct snap_hdr *h, uint32_t uid)
{
	return uid >= h->uid_min && uid <= h->uid_max;
}

enum nss_status _nss_rjh_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
				    int *errnop)
{
	PROTECT_ERRNO;
	enum nss_status st = NSS_STATUS_NOTFOUND;
	uint32_t uid;
	int rc;

	/* Globs, ~*, upper case, too long: never a host, and no file is touched. */
	if (!name_is_host(name))
		return NSS_STATUS_NOTFOUND;
	pthread_mutex_lock(&lock);
	if ((rc = refresh()) < 0) {
		st = NSS_STATUS_UNAVAIL;
	} else {
		rc = snap_view_name(&cur.view, name, &uid);
		if (rc == 0 && uid_in_range(&cur.view.base.h, uid))
			st = fill_passwd(&cur.view.base.h, name, uid, pw, buf, len);
		else if (rc == RJH_EREGISTRY)
			st = NSS_STATUS_UNAVAIL;
	}
	pthread_mutex_unlock(&lock);
	return nss_return(st, rc, &saved_errno, errnop);
}

enum nss_status _nss_rjh_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len,
				    int *errnop)
{
	PROTECT_ERRNO;
	enum nss_status st = NSS_STATUS_NOTFOUND;
	char name[SNAP_NAME_SIZE];
	int rc = 0;

	pthread_mutex_lock(&lock);
	if ((rc = refresh()) < 0) {
		st = NSS_STATUS_UNAVAIL;
	} else if (uid_in_range(&cur.view.base.h, uid)) {
		rc = snap_view_uid(&cur.view, uid, name);
		if (rc == 0 && name_is_host(name))
			st = fill_passwd(&cur.view.base.h, name, uid, pw, buf, len);
		else if (rc == RJH_EREGISTRY)
			st = NSS_STATUS_UNAVAIL;
	}
	pthread_mutex_unlock(&lock);
	return nss_return(st, rc, &saved_errno, errnop);
}

/* Opens an enumeration with a view of its own. Call with lock held. */
static enum nss_status ent_open(bool *open, struct snap_view *v, struct snap_iter *it)
{
	if (*open)
		snap_view_unmap(v);
	*open = false;
	memset(it, 0, sizeof(*it));
	if (refresh() < 0 || snap_view_map(SNAP_BASE, cur.base, cur.delta, v, NULL) < 0)
		return NSS_STATUS_UNAVAIL;
	*open = true;
	return NSS_STATUS_SUCCESS;
}

static void ent_close(bool *open, struct snap_view *v)
{
	if (*open)
		snap_view_unmap(v);
	*open = false;
}

enum nss_status _nss_rjh_setpwent(int stayopen)
{
	PROTECT_ERRNO;
	enum nss_status st;

	(void)stayopen;
	pthread_mutex_lock(&lock);
	st = ent_open(&pwent.open, &pwent.view, &pwent.it);
	pthread_mutex_unlock(&lock);
	return st;
}

enum nss_status _nss_rjh_endpwent(void)
{
	PROTECT_ERRNO;

	pthread_mutex_lock(&lock);
	ent_close(&pwent.open, &pwent.view);
	pthread_mutex_unlock(&lock);
	return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_rjh_getpwent_r(struct passwd *pw, char *buf, size_t len, int *errnop)
{
	PROTECT_ERRNO;
	enum nss_status st = NSS_STATUS_NOTFOUND;
	int rc;

	pthread_mutex_lock(&lock);
	rc = RJH_EREGISTRY;
	if (!pwent.open && ent_open(&pwent.open, &pwent.view, &pwent.it) != NSS_STATUS_SUCCESS) {
		st = NSS_STATUS_UNAVAIL;
		goto out;
	}
	for (;;) {
		struct snap_iter at = pwent.it;
		char name[SNAP_NAME_SIZE];
		uint32_t uid;

		rc = snap_view_next(&pwent.view, &pwent.it, name, &uid);
		if (rc == RJH_ENOENT)
			break;
		if (rc < 0) {
			st = NSS_STATUS_UNAVAIL;
			break;
		}
		if (!name_is_host(name) || !uid_in_range(&pwent.view.base.h, uid))
			continue;
		st = fill_passwd(&pwent.view.base.h, name, uid, pw, buf, len);
		/* Too small a buffer: the caller retries this entry with a bigger one. */
		if (st == NSS_STATUS_TRYAGAIN)
			pwent.it = at;
		break;
	}
out:
	pthread_mutex_unlock(&lock);
	return nss_return(st, rc, &saved_errno, errnop);
}

/* group: the hosts group only. */

/* Sets *why when it returns NSS_STATUS_UNAVAIL. */
static enum nss_status group_lookup(bool by_name, const char *name, gid_t gid, struct group *gr,
				    char *buf, size_t len, int *why)
{
	enum nss_status st = NSS_STATUS_NOTFOUND;

	if (by_name && !name_is_account(name))
		return NSS_STATUS_NOTFOUND;
	pthread_mutex_lock(&lock);
	if ((*why = refresh()) < 0) {
		st = NSS_STATUS_UNAVAIL;
	} else {
		const struct snap_hdr *h = &cur.view.base.h;

		if (by_name ? !strcmp(name, h->group) : gid == h->gid)
			st = fill_group(h, gr, buf, len);
	}
	pthread_mutex_unlock(&lock);
	return st;
}

enum nss_status _nss_rjh_getgrnam_r(const char *name, struct group *gr, char *buf, size_t len,
				    int *errnop)
{
	PROTECT_ERRNO;
	enum nss_status st;
	int why = 0;

	st = group_lookup(true, name, 0, gr, buf, len, &why);
	return nss_return(st, why, &saved_errno, errnop);
}

enum nss_status _nss_rjh_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len, int *errnop)
{
	PROTECT_ERRNO;
	enum nss_status st;
	int why = 0;

	st = group_lookup(false, NULL, gid, gr, buf, len, &why);
	return nss_return(st, why, &saved_errno, errnop);
}

enum nss_status _nss_rjh_setgrent(int stayopen)
{
	PROTECT_ERRNO;
	enum nss_status st;

	(void)stayopen;
	pthread_mutex_lock(&lock);
	st = ent_open(&grent.open, &grent.view, &grent.it);
	pthread_mutex_unlock(&lock);
	return st;
}

enum nss_status _nss_rjh_endgrent(void)
{
	PROTECT_ERRNO;

	pthread_mutex_lock(&lock);
	ent_close(&grent.open, &grent.view);
	pthread_mutex_unlock(&lock);
	return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_rjh_getgrent_r(struct group *gr, char *buf, size_t len, int *errnop)
{
	PROTECT_ERRNO;
	enum nss_status st = NSS_STATUS_NOTFOUND;

	pthread_mutex_lock(&lock);
	if (!grent.open && ent_open(&grent.open, &grent.view, &grent.it) != NSS_STATUS_SUCCESS) {
		st = NSS_STATUS_UNAVAIL;
	} else if (grent.it.b == 0) {
		/* One entry: the hosts group. it.b marks it as returned. */
		st = fill_group(&grent.view.base.h, gr, buf, len);
		if (st == NSS_STATUS_SUCCESS)
			grent.it.b = 1;
	}
	pthread_mutex_unlock(&lock);
	return nss_return(st, RJH_EREGISTRY, &saved_errno, errnop);
}

/*
 * A host's only group is its primary group, which initgroups adds itself:
 * nothing to add, but answering keeps glibc from asking slower modules.
 */
enum nss_status _nss_rjh_initgroups_dyn(const char *user, gid_t group, long int *start,
					long int *size, gid_t **groupsp, long int limit,
					int *errnop)
{
	PROTECT_ERRNO;
	enum nss_status st = NSS_STATUS_NOTFOUND;
	uint32_t uid;
	int rc;

	(void)group;
	(void)start;
	(void)size;
	(void)groupsp;
	(void)limit;
	if (!name_is_host(user))
		return NSS_STATUS_NOTFOUND;
	pthread_mutex_lock(&lock);
	if ((rc = refresh()) < 0)
		st = NSS_STATUS_UNAVAIL;
	else if (snap_view_name(&cur.view, user, &uid) == 0 && uid_in_range(&cur.view.base.h, uid))
		st = NSS_STATUS_SUCCESS;
	pthread_mutex_unlock(&lock);
	return nss_return(st, rc, &saved_errno, errnop);
}
