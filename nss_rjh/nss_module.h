/*
 * The NSS entry points a module exports, declared once per database with the
 * module's name pasted in (as systemd's nss-util.h does), so that a
 * definition whose signature drifts from what glibc calls fails to compile.
 * nss_rjh.map names the same symbols: change both together.
 */
#ifndef NSS_MODULE_H
#define NSS_MODULE_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stddef.h>
#include <sys/types.h>

#define NSS_GETPW_PROTOTYPES(module)                                                               \
	enum nss_status _nss_##module##_getpwnam_r(const char *name, struct passwd *pw, char *buf, \
						   size_t len, int *errnop);                       \
	enum nss_status _nss_##module##_getpwuid_r(uid_t uid, struct passwd *pw, char *buf,        \
						   size_t len, int *errnop)

#define NSS_PWENT_PROTOTYPES(module)                                                               \
	enum nss_status _nss_##module##_setpwent(int stayopen);                                    \
	enum nss_status _nss_##module##_getpwent_r(struct passwd *pw, char *buf, size_t len,       \
						   int *errnop);                                   \
	enum nss_status _nss_##module##_endpwent(void)

#define NSS_GETGR_PROTOTYPES(module)                                                               \
	enum nss_status _nss_##module##_getgrnam_r(const char *name, struct group *gr, char *buf,  \
						   size_t len, int *errnop);                       \
	enum nss_status _nss_##module##_getgrgid_r(gid_t gid, struct group *gr, char *buf,         \
						   size_t len, int *errnop)

#define NSS_GRENT_PROTOTYPES(module)                                                               \
	enum nss_status _nss_##module##_setgrent(int stayopen);                                    \
	enum nss_status _nss_##module##_getgrent_r(struct group *gr, char *buf, size_t len,        \
						   int *errnop);                                   \
	enum nss_status _nss_##module##_endgrent(void)

#define NSS_INITGROUPS_PROTOTYPE(module)                                                           \
	enum nss_status _nss_##module##_initgroups_dyn(                                            \
	    const char *user, gid_t group, long int *start, long int *size, gid_t **groupsp,       \
	    long int limit, int *errnop)

#endif
