/* rjh-admin revoke-key, revoke, enable, remove: taking access away and back. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "key.h"
#include "layout.h"
#include "name.h"

static int cmd_revoke_key(struct admin *a, int argc, char **argv)
{
	const struct admin_opt opts[] = {{0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-revoke-key", .success = true};
	struct rjh_diag d = {""};
	struct reg_key k;
	struct reg_host h;
	struct reg *r;
	const char *fp;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 1, 1, &first);
	if (rc >= 0)
		return rc;
	fp = argv[first];
	if (!key_is_fingerprint(fp))
		return admin_fail(a, RJH_EINVAL,
				  "'%.60s' is not a fingerprint (SHA256: and 43 base64 characters, "
				  "as ssh-keygen -l prints it)",
				  fp);
	rc = admin_change_begin(a, &r);
	if (rc)
		return rc;
	rc = reg_key_find(r, fp, &k, &d);
	if (rc == 0)
		rc = reg_host_get(r, k.host, &h, &d);
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	if (k.revoked) {
		printf("key %s of %s is already revoked\n", fp, k.host);
		return admin_change_abort(a, r, EXIT_OK);
	}
	rc = reg_key_revoke(r, k.id, (int64_t)time(NULL), &d);
	a->certs = true; /* the KRL revokes its certificates too */
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	rec.host = k.host;
	rec.host_uid = h.uid;
	rec.fp = fp;
	rc = admin_change_finish(a, r, &rec);
	if (rc == 0)
		printf("revoked key %s of %s (%d active key%s left)\n", fp, k.host, h.nkeys - 1,
		       h.nkeys == 2 ? "" : "s");
	return rc;
}

/* What a host-level command does to the host, once it is found. */
enum host_op { OP_REVOKE, OP_ENABLE, OP_REMOVE };

static int host_change(struct admin *a, int argc, char **argv, enum host_op op)
{
	static const char *const ops[] = {"rjh-revoke", "rjh-enable", "rjh-remove"};
	const struct admin_opt opts[] = {{0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = ops[op], .success = true};
	struct rjh_diag d = {""};
	struct reg_host h;
	struct reg *r;
	char detail[64] = "";
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 1, 1, &first);
	if (rc >= 0)
		return rc;
	rc = name_check_host(argv[first], &d);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	rc = admin_change_begin(a, &r);
	if (rc)
		return rc;
	rc = reg_host_get(r, argv[first], &h, &d);
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	if ((op == OP_REVOKE && h.disabled) || (op == OP_ENABLE && !h.disabled)) {
		printf("%s is already %s\n", h.name, h.disabled ? "disabled" : "active");
		return admin_change_abort(a, r, EXIT_OK);
	}
	/* The KRL lists a disabled host's certificates, and a removed one's for good. */
	a->certs = true;
	if (op == OP_REMOVE) {
		rc = reg_host_remove(r, &h, &d);
		if (rc >= 0)
			snprintf(detail, sizeof(detail), "active_keys=%d grants_removed=%d",
				 h.nkeys, rc);
		if (rc >= 0)
			admin_change_identity(a, SNAP_IDENT_DEL, h.name, h.uid);
	} else {
		rc = reg_host_set_disabled(r, h.id, op == OP_REVOKE, (int64_t)time(NULL), &d);
	}
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	rec.host = h.name;
	rec.host_uid = h.uid;
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	if (rc == 0 && op == OP_REMOVE && layout_remove_host(&a->cfg, h.name, &d) < 0)
		rc = admin_fail(a, RJH_ESYS,
				"removed %s, but not its runtime directory (%s); "
				"'rjh-admin runtime' retries",
				h.name, d.msg);
	else if (rc == 0 && op == OP_REMOVE)
		printf("removed %s (uid %u is retired and never reused)%s%s\n", h.name, h.uid,
		       detail[0] ? "; " : "", detail);
	else if (rc == 0)
		printf("%s is now %s\n", h.name, op == OP_REVOKE ? "disabled" : "active");
	return rc;
}

static int cmd_revoke(struct admin *a, int argc, char **argv)
{
	return host_change(a, argc, argv, OP_REVOKE);
}

static int cmd_enable(struct admin *a, int argc, char **argv)
{
	return host_change(a, argc, argv, OP_ENABLE);
}

static int cmd_remove(struct admin *a, int argc, char **argv)
{
	return host_change(a, argc, argv, OP_REMOVE);
}

const struct admin_cmd admin_cmd_revoke_key = {
    "revoke-key",
    cmd_revoke_key,
    "FINGERPRINT",
    "Revoke one key",
    "FINGERPRINT as 'rjh-admin show NAME' or 'ssh-keygen -l -E sha256' prints it.\n"
    "The key stays on record, marked revoked. Revoking a revoked key changes\n"
    "nothing and exits 0.\n",
    ADMIN_POLICY_NONE};

const struct admin_cmd admin_cmd_revoke = {
    "revoke",
    cmd_revoke,
    "NAME",
    "Disable a host; its keys and history stay",
    "A disabled host cannot log in. 'rjh-admin enable NAME' undoes it.\n",
    ADMIN_POLICY_NONE};

const struct admin_cmd admin_cmd_enable = {"enable",
					   cmd_enable,
					   "NAME",
					   "Re-enable a disabled host",
					   "Undoes 'rjh-admin revoke NAME'.\n",
					   ADMIN_POLICY_NONE};

const struct admin_cmd admin_cmd_remove = {
    "remove",
    cmd_remove,
    "NAME",
    "Delete a host and its keys; its uid is never reused",
    "Grants naming exactly this host are removed with it, so that a future host\n"
    "of the same name does not inherit them; glob grants stay. Sessions and\n"
    "events about the host stay in the registry as history.\n",
    ADMIN_POLICY_NONE};
