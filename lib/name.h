/* Names: hosts, accounts, groups and grant patterns. */
#ifndef RJH_NAME_H
#define RJH_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The longest name of each kind, and the buffer that holds one with its NUL. */
#define NAME_HOST_MAX     32
#define NAME_HOST_SIZE    (NAME_HOST_MAX + 1)
#define NAME_ACCOUNT_MAX  32
#define NAME_ACCOUNT_SIZE (NAME_ACCOUNT_MAX + 1)
/* A grant principal: an account, or '@' and a group. */
#define NAME_PRINCIPAL_SIZE (NAME_ACCOUNT_MAX + 2)
#define NAME_PATTERN_MAX    64
#define NAME_PATTERN_SIZE   (NAME_PATTERN_MAX + 1)

/*
 * Syntax of a host name: 1-32 of [a-z0-9._-], starting with a letter, and
 * no "..". Safe as a user name, a path component and an ssh argument. Pure
 * and fast: the NSS module calls it before touching the registry.
 */
bool name_is_host(const char *s);

/* Like name_is_host, but fills d with the reason it is not one. */
int name_check_host(const char *s, struct rjh_diag *d);

/*
 * Refuses a host name that is already a user or group on this system (as
 * seen through getpwnam_r/getgrnam_r), unless the user is an rjh host, i.e.
 * its uid lies in [uid_min, uid_max]. NB. calls into NSS: never use it from
 * the NSS module itself.
 */
int name_check_system(const char *s, uint32_t uid_min, uint32_t uid_max, struct rjh_diag *d);

/*
 * The accounts and groups this system can enumerate (getpwent/getgrent),
 * loaded once for bulk checks: import checks 100,000 names, and one NSS
 * lookup per name costs ~100 us with nss-systemd. NB. sources that do not
 * enumerate (e.g. SSSD with enumerate = false) are not in the set.
 */
struct name_sys {
	char **names; /* sorted */
	size_t n;
};
int name_sys_load(struct name_sys *s, uint32_t uid_min, uint32_t uid_max, struct rjh_diag *d);
bool name_sys_has(const struct name_sys *s, const char *name);
void name_sys_free(struct name_sys *s);

/* A user or group name as Debian allows it: [a-z_][a-z0-9._-]*, at most 32 characters. */
bool name_is_account(const char *s);

/* A grant pattern: a host name, or a glob of host-name characters and * ? */
int name_check_pattern(const char *s, struct rjh_diag *d);

/* A grant principal: a user name, or @group. */
int name_check_principal(const char *s, struct rjh_diag *d);

#endif
