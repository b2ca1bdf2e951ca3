/*
 * The store seam, for implementations only (callers include reg.h): every
 * reg_* call on an open registry goes through its handle's ops. SQLite
 * (reg_sqlite.c) is the one implementation; another sits beside it by
 * filling a struct reg_ops and embedding a struct reg first in its handle.
 * Each op has the contract of the reg_* function of the same name (reg.h).
 * An op a store leaves NULL is answered "not for this registry store".
 */
#ifndef RJH_REG_STORE_H
#define RJH_REG_STORE_H

#include "reg.h"

struct reg_ops {
	void (*close)(struct reg *r);
	int (*begin)(struct reg *r, struct rjh_diag *d);
	int (*commit)(struct reg *r, struct rjh_diag *d);
	void (*rollback)(struct reg *r);
	int (*begin_read)(struct reg *r, struct rjh_diag *d);
	void (*end_read)(struct reg *r);
	int (*settings)(struct reg *r, uint32_t *uid_min, uint32_t *uid_max, uint32_t *next_uid,
			char *group, size_t grouplen, uint32_t *gid, struct rjh_diag *d);
	int (*ident_changed)(struct reg *r, uint64_t *gen_out, struct rjh_diag *d);
	int (*ident_generation)(struct reg *r, uint64_t *gen_out, struct rjh_diag *d);
	int (*idents_each)(struct reg *r, reg_ident_cb cb, void *ctx, struct rjh_diag *d);
	int (*host_gid)(struct reg *r, uint32_t *gid, struct rjh_diag *d);
	int (*host_get)(struct reg *r, const char *name, struct reg_host *out, struct rjh_diag *d);
	int (*host_add)(struct reg *r, const struct reg_host *in, int64_t now, struct reg_host *out,
			struct rjh_diag *d);
	int (*host_set_disabled)(struct reg *r, int64_t host_id, bool disabled, int64_t now,
				 struct rjh_diag *d);
	int (*host_remove)(struct reg *r, const struct reg_host *h, struct rjh_diag *d);
	int (*hosts_each)(struct reg *r, reg_host_cb cb, void *ctx, struct rjh_diag *d);
	int64_t (*count)(struct reg *r, const char *table);
	int (*key_add)(struct reg *r, int64_t host_id, const struct key *k, const char *comment,
		       int64_t expires, int64_t now, struct rjh_diag *d);
	int (*key_find)(struct reg *r, const char *fp, struct reg_key *out, struct rjh_diag *d);
	int (*key_revoke)(struct reg *r, int64_t key_id, int64_t now, struct rjh_diag *d);
	int (*keys_each)(struct reg *r, int64_t host_id, reg_key_cb cb, void *ctx,
			 struct rjh_diag *d);
	int (*host_key_add)(struct reg *r, int64_t host_id, const struct key *k, int64_t now,
			    struct rjh_diag *d);
	int (*host_keys_clear)(struct reg *r, int64_t host_id, struct rjh_diag *d);
	int (*host_keys_each)(struct reg *r, int64_t host_id, reg_host_key_cb cb, void *ctx,
			      struct rjh_diag *d);
	int (*known_hosts_each)(struct reg *r, int64_t now, reg_host_key_cb cb, void *ctx,
				int64_t *missing_out, struct rjh_diag *d);
	int (*grant_add)(struct reg *r, const char *principal, const char *pattern, int64_t now,
			 struct rjh_diag *d);
	int (*grant_del)(struct reg *r, const char *principal, const char *pattern,
			 struct rjh_diag *d);
	int (*grants_each)(struct reg *r, reg_grant_cb cb, void *ctx, struct rjh_diag *d);
	int (*session_last)(struct reg *r, const char *host, struct reg_session *out,
			    struct rjh_diag *d);
	int (*sessions_each)(struct reg *r, reg_session_cb cb, void *ctx, struct rjh_diag *d);
	int (*sessions_host_each)(struct reg *r, const char *host, bool open_only, int limit,
				  reg_session_cb cb, void *ctx, struct rjh_diag *d);
	int (*session_open)(struct reg *r, const struct reg_session *se, int64_t *id_out,
			    struct rjh_diag *d);
	int (*session_end)(struct reg *r, int64_t id, const char *host, int64_t pid, int64_t now,
			   const char *reason, struct rjh_diag *d);
	int (*presence_each)(struct reg *r, reg_presence_cb cb, void *ctx, struct rjh_diag *d);
	int (*policy_generation)(struct reg *r, uint64_t *gen_out, uint64_t *floor_out,
				 struct rjh_diag *d);
	int (*policy_changes)(struct reg *r, uint64_t since, int (*cb)(const char *host, void *ctx),
			      void *ctx, struct rjh_diag *d);
	int (*policy_log_prune)(struct reg *r, uint64_t upto, struct rjh_diag *d);
	int (*login_rows)(struct reg *r, const char *name, reg_login_cb cb, void *ctx,
			  struct rjh_diag *d);
	int (*events_pruned_before)(struct reg *r, int64_t *before_out, struct rjh_diag *d);
	int64_t (*changes)(struct reg *r);
	int (*event_add)(struct reg *r, const struct reg_event *e, struct rjh_diag *d);
	int (*events_each)(struct reg *r, reg_event_cb cb, void *ctx, struct rjh_diag *d);
	int (*events_find)(struct reg *r, const struct reg_event_filter *f, reg_event_cb cb,
			   void *ctx, struct rjh_diag *d);
	int (*prune)(struct reg *r, int64_t before, int64_t *sessions_out, int64_t *events_out,
		     struct rjh_diag *d);
	int (*vacuum)(struct reg *r, int64_t *before_out, int64_t *after_out, struct rjh_diag *d);
	int (*backup)(struct reg *r, const char *dest, struct reg_backup_info *out,
		      struct rjh_diag *d);
	int (*backup_add)(struct reg *r, int64_t now, const char *path, int64_t bytes,
			  const struct reg_backup_info *info, struct rjh_diag *d);
	int (*host_set_policy)(struct reg *r, const struct reg_host *h, int64_t now,
			       struct rjh_diag *d);
	/* The cache (SQLite only). */
	int (*cache_state)(struct reg *r, struct reg_cache_state *out, struct rjh_diag *d);
	int (*cache_stage)(struct reg *r, struct rjh_diag *d);
	int (*cache_stage_host)(struct reg *r, const struct reg_host *h, struct rjh_diag *d);
	int (*cache_stage_key)(struct reg *r, const struct reg_key *k, struct rjh_diag *d);
	int (*cache_stage_host_key)(struct reg *r, const struct reg_host_key *k,
				    struct rjh_diag *d);
	int (*cache_stage_grant)(struct reg *r, const struct reg_grant *g, struct rjh_diag *d);
	int (*cache_stage_user_ca)(struct reg *r, const struct reg_user_ca *ca, struct rjh_diag *d);
	int (*cache_stage_cert)(struct reg *r, const struct reg_cert *c, struct rjh_diag *d);
	int (*cache_install)(struct reg *r, const struct reg_cache_install *in, bool *idents_out,
			     struct rjh_diag *d);
	int (*outbox_each)(struct reg *r, int limit, reg_outbox_cb cb, void *ctx,
			   struct rjh_diag *d);
	int (*outbox_ack)(struct reg *r, int64_t upto, struct rjh_diag *d);
	/* Certificates (SQLite only, for now). */
	int (*user_ca_add)(struct reg *r, const struct reg_user_ca *ca, struct rjh_diag *d);
	int (*user_ca_remove)(struct reg *r, const char *fp, struct rjh_diag *d);
	int (*user_cas_each)(struct reg *r, reg_user_ca_cb cb, void *ctx, struct rjh_diag *d);
	int (*user_ca_get)(struct reg *r, const char *fp, struct reg_user_ca *out,
			   struct rjh_diag *d);
	int (*cert_next_serial)(struct reg *r, const char *ca_fp, uint64_t *serial_out,
				struct rjh_diag *d);
	int (*cert_add)(struct reg *r, const struct reg_cert *c, struct rjh_diag *d);
	int (*cert_revoke)(struct reg *r, const char *ca_fp, uint64_t serial, const char *host,
			   int64_t now, struct reg_cert *out, struct rjh_diag *d);
	int (*cert_get)(struct reg *r, const char *ca_fp, uint64_t serial, struct reg_cert *out,
			struct rjh_diag *d);
	int (*certs_each)(struct reg *r, const char *host, reg_cert_cb cb, void *ctx,
			  struct rjh_diag *d);
};

/* The handle callers hold: an implementation's own struct begins with it. */
struct reg {
	const struct reg_ops *ops;
};

/* SQLite: the file at path (reg_open's contract). */
extern const struct reg_ops reg_sqlite_ops;
int reg_sqlite_open(const char *path, enum reg_mode mode, const struct cfg *c, int busy_ms,
		    struct reg **out, struct rjh_diag *d);

#endif
