#include "aud.h"

#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void set_why(struct aud *a, const char *what, const char *detail)
{
	snprintf(a->why, sizeof(a->why), "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

/*
 * Asks the kernel whether auditing is enabled: 1 or 0, or -1 with *err the
 * errno why not. Needs CAP_AUDIT_CONTROL, so best effort.
 */
static int kernel_status(int fd, int *err)
{
	struct audit_reply rep;
	int i, rc;

	*err = EPROTO;
	rc = audit_request_status(fd);
	if (rc <= 0) {
		*err = rc < 0 ? -rc : EPROTO;
		return -1;
	}
	for (i = 0; i < 10; i++) {
		memset(&rep, 0, sizeof(rep));
		rc = audit_get_reply(fd, &rep, GET_REPLY_BLOCKING, 0);
		if (rc <= 0) {
			*err = rc < 0 ? -rc : EPROTO;
			return -1;
		}
		if (rep.type == AUDIT_GET && rep.status)
			return rep.status->enabled != 0;
		if (rep.type == NLMSG_ERROR && rep.error && rep.error->error) {
			*err = -rep.error->error;
			return -1;
		}
	}
	return -1;
}

static int kernel_enabled(int fd)
{
	int err;

	return kernel_status(fd, &err);
}

int aud_probe(struct rjh_diag *d)
{
	int fd, on, err;

	fd = audit_open();
	if (fd < 0)
		return diag_set(d, RJH_EAUDIT, "audit_open: %s", strerror(errno));
	on = kernel_status(fd, &err);
	audit_close(fd);
	if (on < 0)
		return diag_set(d, RJH_EAUDIT, "the kernel did not answer a status request: %s",
				strerror(err));
	return on;
}

int aud_open(struct aud *a, const struct cfg *c, struct rjh_diag *d)
{
	enum cfg_audit mode = c->audit;
	size_t n;
	int on;

	a->fd = -1;
	a->mode = mode;
	a->why[0] = '\0';
	cfg_node_name(c, a->node, sizeof(a->node));
	n = strlen(a->node);
	/* A host name from the kernel is not checked like rjh.conf's: only a DNS name goes in. */
	if (!n || strspn(a->node,
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != n)
		a->node[0] = '\0';
	if (mode == CFG_AUDIT_OFF)
		return RJH_OK;
	a->fd = audit_open();
	if (a->fd < 0) {
		set_why(a, "kernel audit is unavailable", strerror(errno));
	} else {
		on = kernel_enabled(a->fd);
		if (on == 0)
			set_why(a, "kernel audit is disabled (auditctl -e 0)", NULL);
	}
	if (a->why[0] && mode == CFG_AUDIT_REQUIRED)
		return diag_set(d, RJH_EAUDIT, "%s, and rjh.conf says audit = required", a->why);
	return RJH_OK;
}

void aud_close(struct aud *a)
{
	if (a->fd >= 0)
		audit_close(a->fd);
	a->fd = -1;
}

/* The actor_uid= of rec: the uid it names, or the real uid. */
static uint32_t actor_of(const struct aud_rec *rec)
{
	return (uint32_t)(rec->actor_uid ? *rec->actor_uid : getuid());
}

int aud_kernel(struct aud *a, const struct aud_rec *rec, struct rjh_diag *d)
{
	char msg[768];
	int n;

	if (a->mode == CFG_AUDIT_OFF)
		return RJH_OK;
	if (a->fd < 0)
		return a->mode == CFG_AUDIT_REQUIRED
			   ? diag_set(d, RJH_EAUDIT, "%s", a->why[0] ? a->why : "no audit")
			   : RJH_OK;
	n = snprintf(msg, sizeof(msg), "op=%s", rec->op);
	if (rec->user)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, " acct=\"%s\"", rec->user);
	if (rec->host)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, " %s=\"%s\"",
			      rec->user ? "rjh_host" : "acct", rec->host);
	if (rec->host_uid)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, " id=%u", rec->host_uid);
	if (rec->fp)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, " fingerprint=\"%s\"", rec->fp);
	n += snprintf(msg + n, sizeof(msg) - (size_t)n, " actor_uid=%u", (unsigned)actor_of(rec));
	if (a->node[0])
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, " jumphost=\"%s\"", a->node);
	if (rec->detail && *rec->detail && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, " %s", rec->detail);
	if (audit_log_user_message(a->fd, rec->type, msg, NULL, rec->addr, NULL,
				   rec->success ? 1 : 0) <= 0) {
		set_why(a, "the kernel refused the audit record", strerror(errno));
		if (a->mode == CFG_AUDIT_REQUIRED)
			return diag_set(d, RJH_EAUDIT, "%s", a->why);
	}
	return RJH_OK;
}

int aud_write(struct aud *a, const struct aud_rec *rec, const struct aud_mirror *m,
	      struct rjh_diag *d)
{
	int rc;

	if (m && m->undoable) {
		rc = m->write(m->ctx, rec, d);
		return rc < 0 ? rc : aud_kernel(a, rec, d);
	}
	rc = aud_kernel(a, rec, d);
	return rc < 0 || !m ? rc : m->write(m->ctx, rec, d);
}

/* The login uid cannot change under us: read /proc/self/loginuid once. */
static uint32_t login_uid(void)
{
	static uint32_t auid;
	static int have;

	if (!__atomic_load_n(&have, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&auid, (uint32_t)audit_getloginuid(), __ATOMIC_RELAXED);
		__atomic_store_n(&have, 1, __ATOMIC_RELEASE);
	}
	return __atomic_load_n(&auid, __ATOMIC_RELAXED);
}

void aud_to_event(const struct aud_rec *rec, struct reg_event *e, char *buf, size_t len)
{
	*e = (struct reg_event){
	    .time = (int64_t)time(NULL),
	    .type = audit_msg_type_to_name(rec->type),
	    .op = rec->op,
	    .actor_uid = actor_of(rec),
	    .actor_auid = login_uid(),
	    .host = rec->host,
	    .fp = rec->fp,
	    .detail = rec->detail,
	    .success = rec->success,
	};
	if (!e->type)
		e->type = "UNKNOWN";
	/* The kernel record carries addr= as its own field; the row keeps it in detail. */
	if (rec->addr) {
		snprintf(buf, len, "addr=%s%s%s", rec->addr, rec->detail && *rec->detail ? " " : "",
			 rec->detail ? rec->detail : "");
		e->detail = buf;
	}
}
