/* Audit: one helper for every record rjh writes, to the kernel and to events. */
#ifndef RJH_AUD_H
#define RJH_AUD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfg.h"
#include "err.h"
#include "reg.h"

struct aud {
	int fd; /* the audit netlink socket, or -1 */
	enum cfg_audit mode;
	char why[160]; /* why kernel audit is unavailable, or "" */
	char node[64]; /* this jumphost (cfg_node_name), named in every record, or "" */
};

struct aud_rec {
	int type;         /* AUDIT_USER_MGMT, AUDIT_USER_START, ... */
	const char *op;   /* "rjh-enroll", ... */
	const char *user; /* the acting account (acct=), e.g. rjh-connect's caller, or NULL */
	const char
	    *host; /* a validated host name (acct=, or rjh_host= when user is set), or NULL */
	uint32_t host_uid; /* 0: none */
	const char *fp;    /* a validated fingerprint, or NULL */
	const char *addr;  /* the remote address (libaudit's addr=), or NULL */
	/* Space-separated key=value tokens built only from validated values. */
	const char *detail;
	bool success;
	/*
	 * Who acted (actor_uid=): NULL for the real uid. rjh-connect's parent
	 * runs with real uid 0 and names its caller here.
	 */
	const uid_t *actor_uid;
};

/*
 * Opens kernel audit according to c's audit mode; every record names c's
 * jumphost (jumphost="NODE": node_name, else this machine's host name, left
 * out if it is not a DNS name). Returns 0 (with a->why set when
 * audit is unavailable in best-effort mode, for the caller to report), or
 * RJH_EAUDIT when mode is required and the kernel cannot take records.
 */
int aud_open(struct aud *a, const struct cfg *c, struct rjh_diag *d);
void aud_close(struct aud *a);

/*
 * Whether the kernel's audit subsystem is reachable (audit_open and a status
 * request answered): 1 when it is enabled, 0 when disabled (auditctl -e 0),
 * or RJH_EAUDIT with d saying why not. Needs CAP_AUDIT_CONTROL. Changes
 * nothing.
 */
int aud_probe(struct rjh_diag *d);

/*
 * Where a copy of each kernel record goes: the registry's events table, or
 * rjh-connect's spool. undoable: the copy is written inside a transaction
 * that the caller rolls back when aud_write fails.
 */
struct aud_mirror {
	int (*write)(void *ctx, const struct aud_rec *rec, struct rjh_diag *d);
	void *ctx;
	bool undoable;
};

/*
 * The one way rjh writes a record: to the kernel and to mirror m (NULL:
 * none). audit = required is about the kernel record; a record the kernel
 * refused under it happened for nobody and leaves no copy: an undoable
 * copy is written first and undone by the caller, any other only after the
 * kernel took the record. Returns 0, the copy's error (then no kernel
 * record either, when undoable), or RJH_EAUDIT if the kernel refused rec
 * in required mode; a best-effort failure fills a->why.
 */
int aud_write(struct aud *a, const struct aud_rec *rec, const struct aud_mirror *m,
	      struct rjh_diag *d);

/*
 * aud_write with the events table as mirror: an events row when r is not
 * NULL, inside the caller's transaction, which it rolls back on failure.
 */
int aud_record(struct aud *a, struct reg *r, const struct aud_rec *rec, struct rjh_diag *d);

/*
 * The events row rec makes (time now, the actor, the login uid, addr= folded
 * into detail using buf); its strings point into rec and buf.
 */
void aud_to_event(const struct aud_rec *rec, struct reg_event *e, char *buf, size_t len);

/* Writes rec as an events row only, e.g. one per host of a bulk import. */
int aud_event(struct reg *r, const struct aud_rec *rec, struct rjh_diag *d);

/* Sends rec to the kernel only, e.g. a res=failed after a failed commit. */
int aud_kernel(struct aud *a, const struct aud_rec *rec, struct rjh_diag *d);

#endif
