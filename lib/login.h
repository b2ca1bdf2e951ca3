/*
 * The login snapshot: what the login path decides on, read without the
 * registry's lock.
 *
 * The key helper, pam_rjh's account check and rjh-connect run for every
 * login and connection, and some of them can be started, stopped or slowed
 * by people the jumphost does not trust (a host's key helper by sshd, and
 * rjh-connect by any local user). A reader of the SQLite registry holds its
 * lock while it reads, and a stopped reader would stop every writer:
 * `rjh-admin revoke`, and the presence rows of every tunnel login. So these
 * readers never open the registry. They map two root-owned files instead,
 * REGISTRY.login and REGISTRY.login-delta (the format of snap.h), which the
 * writers replace after each commit that changes policy (lib/publish.h): a
 * stopped reader holds only a mapping of a file that may already be gone.
 *
 * Each entry is a host; its data is the host's policy and its keys that are
 * not revoked (one record, below); the file's extra data is every grant. The
 * files are mode 0640, group of the key helper's user (keys_user).
 *
 * Record (native byte order, written on the machine that reads it):
 *   u32 LOGIN_RECORD_VERSION, i64 host id, u32 uid, u32 flags (1: disabled),
 *   i64 created, i64 updated, then each policy field that REG_HOST_POLICY
 *   (reg.h) marks login, in its order: i64 for TIME (0: unset), str else;
 *   then u32 nkeys,
 *   then per key: i64 id, i64 created, i64 expires, str type, str base64,
 *   str fingerprint.
 * Grants: u32 LOGIN_RECORD_VERSION, u32 count, then per grant: str
 *   principal, str pattern, i64 created.
 * A str is a u16 length and that many bytes, no NUL. Readers copy and check
 * every field; a record that does not parse is RJH_EREGISTRY (fail closed).
 */
#ifndef RJH_LOGIN_H
#define RJH_LOGIN_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "err.h"
#include "reg.h"
#include "snap.h"
#include "util.h"

/*
 * The record's layout follows the login fields of REG_HOST_POLICY, so its
 * version counts them: 1 with expires and cidrs. NB. replacing a field by
 * another keeps the count: bump the base then.
 */
#define REG_HOST_LOGIN_(m, opt, col, kind, login, ...) +login
#define LOGIN_RECORD_VERSION                           (0 REG_HOST_POLICY(REG_HOST_LOGIN_) - 1)
#define LOGIN_DISABLED                                 1u

/* Paths of the login pair for a registry. */
int login_paths(const char *registry, char *base, char *delta, size_t len);

struct login_view {
	struct snap_view v;
};

/*
 * Maps c's login snapshot. Returns 0, RJH_ENOENT (never written: run
 * `rjh-admin refresh`), RJH_ETRUST or RJH_EREGISTRY, with d saying which
 * file and why. Never logs.
 */
int login_open(const struct cfg *c, struct login_view *lv, struct rjh_diag *d);
void login_close(struct login_view *lv);

/* The registry's settings as the snapshot records them: uid range, hosts group. */
const struct snap_hdr *login_settings(const struct login_view *lv);

/* The policy generation the snapshot reflects. */
uint64_t login_generation(const struct login_view *lv);

/* Host name as the snapshot has it (nkeys: its keys not revoked). RJH_ENOENT or RJH_EREGISTRY. */
int login_host(const struct login_view *lv, const char *name, struct reg_host *h_out);

/* Calls cb with each of host name's keys that are not revoked, in the order enrolled. */
int login_keys_each(const struct login_view *lv, const char *name, reg_key_cb cb, void *ctx);

/* Calls cb with every grant. */
int login_grants_each(const struct login_view *lv, reg_grant_cb cb, void *ctx);

/* For writers (publish.c): appends h's record head, then each key, to b. */
int login_put_host(struct util_buf *b, const struct reg_host *h, uint32_t nkeys);
int login_put_key(struct util_buf *b, const struct reg_key *k);
/* Appends the grants head, then each grant. */
int login_put_grants_head(struct util_buf *b, uint32_t count);
int login_put_grant(struct util_buf *b, const struct reg_grant *g);

#endif
