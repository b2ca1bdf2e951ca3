/*
 * The registry's calls, each passed to the store that opened it
 * (reg_store.h). The rules (who may log in, what a change records) live in
 * the callers and in lib/policy.c, never here or in a store.
 */
#include "reg.h"

#include "reg_store.h"

/* A call the handle's store does not have (a PostgreSQL handle and a file's VACUUM, say). */
static int not_here(const char *what, struct rjh_diag *d)
{
	return diag_set(d, RJH_EINVAL, "%s: not for this registry store", what);
}

#define OP(r, op, d)                                                                               \
	do {                                                                                       \
		if (!(r)->ops->op)                                                                 \
			return not_here(#op, d);                                                   \
	} while (0)

int reg_open(const char *path, enum reg_mode mode, const struct cfg *c, int busy_ms,
	     struct reg **out, struct rjh_diag *d)
{
	return reg_sqlite_open(path, mode, c, busy_ms, out, d);
}

/* NULL: nothing to close. */
void reg_close(struct reg *r)
{
	if (r)
		r->ops->close(r);
}

int reg_begin(struct reg *r, struct rjh_diag *d)
{
	return r->ops->begin(r, d);
}

int reg_commit(struct reg *r, struct rjh_diag *d)
{
	return r->ops->commit(r, d);
}

void reg_rollback(struct reg *r)
{
	r->ops->rollback(r);
}

int reg_begin_read(struct reg *r, struct rjh_diag *d)
{
	return r->ops->begin_read(r, d);
}

void reg_end_read(struct reg *r)
{
	r->ops->end_read(r);
}

int reg_settings(struct reg *r, uint32_t *uid_min, uint32_t *uid_max, uint32_t *next_uid,
		 char *group, size_t grouplen, uint32_t *gid, struct rjh_diag *d)
{
	return r->ops->settings(r, uid_min, uid_max, next_uid, group, grouplen, gid, d);
}

int reg_ident_changed(struct reg *r, uint64_t *gen_out, struct rjh_diag *d)
{
	return r->ops->ident_changed(r, gen_out, d);
}

int reg_ident_generation(struct reg *r, uint64_t *gen_out, struct rjh_diag *d)
{
	return r->ops->ident_generation(r, gen_out, d);
}

int reg_idents_each(struct reg *r, reg_ident_cb cb, void *ctx, struct rjh_diag *d)
{
	return r->ops->idents_each(r, cb, ctx, d);
}

int reg_host_gid(struct reg *r, uint32_t *gid, struct rjh_diag *d)
{
	return r->ops->host_gid(r, gid, d);
}

int reg_host_get(struct reg *r, const char *name, struct reg_host *out, struct rjh_diag *d)
{
	return r->ops->host_get(r, name, out, d);
}

int reg_host_add(struct reg *r, const struct reg_host *in, int64_t now, struct reg_host *out,
		 struct rjh_diag *d)
{
	return r->ops->host_add(r, in, now, out, d);
}

int reg_host_set_disabled(struct reg *r, int64_t host_id, bool disabled, int64_t now,
			  struct rjh_diag *d)
{
	return r->ops->host_set_disabled(r, host_id, disabled, now, d);
}

int reg_host_remove(struct reg *r, const struct reg_host *h, struct rjh_diag *d)
{
	return r->ops->host_remove(r, h, d);
}

int reg_hosts_each(struct reg *r, reg_host_cb cb, void *ctx, struct rjh_diag *d)
{
	return r->ops->hosts_each(r, cb, ctx, d);
}

int64_t reg_count(struct reg *r, const char *table)
{
	return r->ops->count(r, table);
}

int reg_key_add(struct reg *r, int64_t host_id, const struct key *k, const char *comment,
		int64_t expires, int64_t now, struct rjh_diag *d)
{
	return r->ops->key_add(r, host_id, k, comment, expires, now, d);
}

int reg_key_find(struct reg *r, const char *fp, struct reg_key *out, struct rjh_diag *d)
{
	return r->ops->key_find(r, fp, out, d);
}

int reg_key_revoke(struct reg *r, int64_t key_id, int64_t now, struct rjh_diag *d)
{
	return r->ops->key_revoke(r, key_id, now, d);
}

int reg_keys_each(struct reg *r, int64_t host_id, reg_key_cb cb, void *ctx, struct rjh_diag *d)
{
	return r->ops->keys_each(r, host_id, cb, ctx, d);
}

int reg_host_key_add(struct reg *r, int64_t host_id, const struct key *k, int64_t now,
		     struct rjh_diag *d)
{
	return r->ops->host_key_add(r, host_id, k, now, d);
}

int reg_host_keys_clear(struct reg *r, int64_t host_id, struct rjh_diag *d)
{
	return r->ops->host_keys_clear(r, host_id, d);
}

int reg_host_keys_each(struct reg *r, int64_t host_id, reg_host_key_cb cb, void *ctx,
		       struct rjh_diag *d)
{
	return r->ops->host_keys_each(r, host_id, cb, ctx, d);
}

int reg_known_hosts_each(struct reg *r, int64_t now, reg_host_key_cb cb, void *ctx,
			 int64_t *missing_out, struct rjh_diag *d)
{
	return r->ops->known_hosts_each(r, now, cb, ctx, missing_out, d);
}

int reg_grant_add(struct reg *r, const char *principal, const char *pattern, int64_t now,
		  struct rjh_diag *d)
{
	return r->ops->grant_add(r, principal, pattern, now, d);
}

int reg_grant_del(struct reg *r, const char *principal, const char *pattern, struct rjh_diag *d)
{
	return r->ops->grant_del(r, principal, pattern, d);
}

int reg_grants_each(struct reg *r, reg_grant_cb cb, void *ctx, struct rjh_diag *d)
{
	return r->ops->grants_each(r, cb, ctx, d);
}

int reg_session_last(struct reg *r, const char *host, struct reg_session *out, struct rjh_diag *d)
{
	return r->ops->session_last(r, host, out, d);
}

int reg_sessions_each(struct reg *r, reg_session_cb cb, void *ctx, struct rjh_diag *d)
{
	return r->ops->sessions_each(r, cb, ctx, d);
}

int reg_sessions_host_each(struct reg *r, const char *host, bool open_only, int limit,
			   reg_session_cb cb, void *ctx, struct rjh_diag *d)
{
	return r->ops->sessions_host_each(r, host, open_only, limit, cb, ctx, d);
}

int reg_session_open(struct reg *r, const struct reg_session *se, int64_t *id_out,
		     struct rjh_diag *d)
{
	OP(r, session_open, d);
	return r->ops->session_open(r, se, id_out, d);
}

int reg_session_end(struct reg *r, int64_t id, const char *host, int64_t pid, int64_t now,
		    const char *reason, struct rjh_diag *d)
{
	OP(r, session_end, d);
	return r->ops->session_end(r, id, host, pid, now, reason, d);
}

int reg_presence_each(struct reg *r, reg_presence_cb cb, void *ctx, struct rjh_diag *d)
{
	return r->ops->presence_each(r, cb, ctx, d);
}

int reg_policy_generation(struct reg *r, uint64_t *gen_out, uint64_t *floor_out, struct rjh_diag *d)
{
	OP(r, policy_generation, d);
	return r->ops->policy_generation(r, gen_out, floor_out, d);
}

int reg_policy_changes(struct reg *r, uint64_t since, int (*cb)(const char *host, void *ctx),
		       void *ctx, struct rjh_diag *d)
{
	OP(r, policy_changes, d);
	return r->ops->policy_changes(r, since, cb, ctx, d);
}

int reg_policy_log_prune(struct reg *r, uint64_t upto, struct rjh_diag *d)
{
	OP(r, policy_log_prune, d);
	return r->ops->policy_log_prune(r, upto, d);
}

int reg_login_rows(struct reg *r, const char *name, reg_login_cb cb, void *ctx, struct rjh_diag *d)
{
	OP(r, login_rows, d);
	return r->ops->login_rows(r, name, cb, ctx, d);
}

int reg_events_pruned_before(struct reg *r, int64_t *before_out, struct rjh_diag *d)
{
	return r->ops->events_pruned_before(r, before_out, d);
}

int64_t reg_changes(struct reg *r)
{
	return r->ops->changes(r);
}

int reg_event_add(struct reg *r, const struct reg_event *e, struct rjh_diag *d)
{
	return r->ops->event_add(r, e, d);
}

int reg_events_each(struct reg *r, reg_event_cb cb, void *ctx, struct rjh_diag *d)
{
	return r->ops->events_each(r, cb, ctx, d);
}

int reg_events_find(struct reg *r, const struct reg_event_filter *f, reg_event_cb cb, void *ctx,
		    struct rjh_diag *d)
{
	return r->ops->events_find(r, f, cb, ctx, d);
}

int reg_prune(struct reg *r, int64_t before, int64_t *sessions_out, int64_t *events_out,
	      struct rjh_diag *d)
{
	return r->ops->prune(r, before, sessions_out, events_out, d);
}

int reg_vacuum(struct reg *r, int64_t *before_out, int64_t *after_out, struct rjh_diag *d)
{
	OP(r, vacuum, d);
	return r->ops->vacuum(r, before_out, after_out, d);
}

int reg_backup(struct reg *r, const char *dest, struct reg_backup_info *out, struct rjh_diag *d)
{
	OP(r, backup, d);
	return r->ops->backup(r, dest, out, d);
}

int reg_backup_add(struct reg *r, int64_t now, const char *path, int64_t bytes,
		   const struct reg_backup_info *info, struct rjh_diag *d)
{
	OP(r, backup_add, d);
	return r->ops->backup_add(r, now, path, bytes, info, d);
}

int reg_host_set_policy(struct reg *r, const struct reg_host *h, int64_t now, struct rjh_diag *d)
{
	return r->ops->host_set_policy(r, h, now, d);
}

int reg_cache_state(struct reg *r, struct reg_cache_state *out, struct rjh_diag *d)
{
	OP(r, cache_state, d);
	return r->ops->cache_state(r, out, d);
}

int reg_cache_stage(struct reg *r, struct rjh_diag *d)
{
	OP(r, cache_stage, d);
	return r->ops->cache_stage(r, d);
}

int reg_cache_stage_host(struct reg *r, const struct reg_host *h, struct rjh_diag *d)
{
	OP(r, cache_stage_host, d);
	return r->ops->cache_stage_host(r, h, d);
}

int reg_cache_stage_key(struct reg *r, const struct reg_key *k, struct rjh_diag *d)
{
	OP(r, cache_stage_key, d);
	return r->ops->cache_stage_key(r, k, d);
}

int reg_cache_stage_host_key(struct reg *r, const struct reg_host_key *k, struct rjh_diag *d)
{
	OP(r, cache_stage_host_key, d);
	return r->ops->cache_stage_host_key(r, k, d);
}

int reg_cache_stage_grant(struct reg *r, const struct reg_grant *g, struct rjh_diag *d)
{
	OP(r, cache_stage_grant, d);
	return r->ops->cache_stage_grant(r, g, d);
}

int reg_cache_stage_user_ca(struct reg *r, const struct reg_user_ca *ca, struct rjh_diag *d)
{
	OP(r, cache_stage_user_ca, d);
	return r->ops->cache_stage_user_ca(r, ca, d);
}

int reg_cache_stage_cert(struct reg *r, const struct reg_cert *c, struct rjh_diag *d)
{
	OP(r, cache_stage_cert, d);
	return r->ops->cache_stage_cert(r, c, d);
}

int reg_cache_install(struct reg *r, const struct reg_cache_install *in, bool *idents_out,
		      struct rjh_diag *d)
{
	OP(r, cache_install, d);
	return r->ops->cache_install(r, in, idents_out, d);
}

int reg_outbox_each(struct reg *r, int limit, reg_outbox_cb cb, void *ctx, struct rjh_diag *d)
{
	OP(r, outbox_each, d);
	return r->ops->outbox_each(r, limit, cb, ctx, d);
}

int reg_outbox_ack(struct reg *r, int64_t upto, struct rjh_diag *d)
{
	OP(r, outbox_ack, d);
	return r->ops->outbox_ack(r, upto, d);
}

int reg_user_ca_add(struct reg *r, const struct reg_user_ca *ca, struct rjh_diag *d)
{
	OP(r, user_ca_add, d);
	return r->ops->user_ca_add(r, ca, d);
}

int reg_user_ca_remove(struct reg *r, const char *fp, struct rjh_diag *d)
{
	OP(r, user_ca_remove, d);
	return r->ops->user_ca_remove(r, fp, d);
}

int reg_user_cas_each(struct reg *r, reg_user_ca_cb cb, void *ctx, struct rjh_diag *d)
{
	OP(r, user_cas_each, d);
	return r->ops->user_cas_each(r, cb, ctx, d);
}

int reg_user_ca_get(struct reg *r, const char *fp, struct reg_user_ca *out, struct rjh_diag *d)
{
	OP(r, user_ca_get, d);
	return r->ops->user_ca_get(r, fp, out, d);
}

int reg_cert_next_serial(struct reg *r, const char *ca_fp, uint64_t *serial_out, struct rjh_diag *d)
{
	OP(r, cert_next_serial, d);
	return r->ops->cert_next_serial(r, ca_fp, serial_out, d);
}

int reg_cert_add(struct reg *r, const struct reg_cert *c, struct rjh_diag *d)
{
	OP(r, cert_add, d);
	return r->ops->cert_add(r, c, d);
}

int reg_cert_revoke(struct reg *r, const char *ca_fp, uint64_t serial, const char *host,
		    int64_t now, struct reg_cert *out, struct rjh_diag *d)
{
	OP(r, cert_revoke, d);
	return r->ops->cert_revoke(r, ca_fp, serial, host, now, out, d);
}

int reg_cert_get(struct reg *r, const char *ca_fp, uint64_t serial, struct reg_cert *out,
		 struct rjh_diag *d)
{
	OP(r, cert_get, d);
	return r->ops->cert_get(r, ca_fp, serial, out, d);
}

int reg_certs_each(struct reg *r, const char *host, reg_cert_cb cb, void *ctx, struct rjh_diag *d)
{
	OP(r, certs_each, d);
	return r->ops->certs_each(r, host, cb, ctx, d);
}
