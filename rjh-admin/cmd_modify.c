/* rjh-admin modify: change an enrolled host's policy (REG_HOST_POLICY, reg.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "name.h"

static bool same_field(const struct reg_host *a, const struct reg_host *b,
		       const struct reg_host_field *f)
{
	const void *x = REG_HOST_AT_CONST(a, f), *y = REG_HOST_AT_CONST(b, f);

	if (f->kind == REG_FIELD_TIME)
		return *(const int64_t *)x == *(const int64_t *)y;
	return strcmp(x, y) == 0;
}

static int cmd_modify(struct admin *a, int argc, char **argv)
{
	struct admin_policy_opts o = {.modify = true};
	struct admin_opt opts[REG_HOST_NPOLICY + 1] = {{0}};
	size_t nopts = 0;
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-modify", .success = true};
	struct rjh_diag d = {""};
	struct reg_host h, old;
	struct reg *r;
	char detail[1100], v[1100];
	int64_t now = (int64_t)time(NULL);
	int rc, first, i;

	admin_policy_opt_table(&o, ADMIN_POLICY_MODIFY, opts, &nopts);
	rc = admin_args(a, argc, argv, opts, 1, 1, &first);
	if (rc >= 0)
		return rc;
	if (admin_policy_given(&o) == 0)
		return admin_usage(a, "nothing to change: give an option");
	rc = name_check_host(argv[first], &d);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	rc = admin_check_policy_opts(a, &o);
	if (rc)
		return rc;
	rc = admin_change_begin(a, &r);
	if (rc)
		return rc;
	rc = reg_host_get(r, argv[first], &h, &d);
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	old = h;
	admin_policy_apply(&o, &h);
	for (i = 0; i < REG_HOST_NPOLICY && same_field(&h, &old, &reg_host_fields[i]); i++)
		;
	if (i == REG_HOST_NPOLICY) {
		printf("%s is unchanged\n", h.name);
		return admin_change_abort(a, r, EXIT_OK);
	}
	rc = reg_host_set_policy(r, &h, now, &d);
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	admin_policy_detail(&o, &h, detail, sizeof(detail));
	rec.host = h.name;
	rec.host_uid = h.uid;
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	if (rc)
		return rc;
	/* "host-a: expires never, from any address": each field (text ones when set). */
	printf("%s:", h.name);
	for (i = 0; i < REG_HOST_NPOLICY; i++) {
		const struct reg_host_field *f = &reg_host_fields[i];

		if (f->kind == REG_FIELD_TEXT && !*(const char *)REG_HOST_AT_CONST(&h, f))
			continue;
		printf("%s %s %s", i ? "," : "", f->opt,
		       admin_policy_value(&h, f, false, v, sizeof(v)));
	}
	printf("\n");
	if (h.expires && h.expires <= now)
		printf("%s has expired: it cannot log in until 'rjh-admin modify %s --expires "
		       "never' or a later date\n",
		       h.name, h.name);
	return EXIT_OK;
}

const struct admin_cmd admin_cmd_modify = {
    "modify",
    cmd_modify,
    "NAME",
    "Change an enrolled host's policy",
    "\nAt least one option. What is not given stays as it was; a value given\n"
    "replaces the old one, and a date already past ends the host's access now.\n"
    "Everything is checked first; the change is one transaction, audited\n"
    "(op=rjh-modify), and the login path (key helper, pam_rjh) follows at once.\n",
    ADMIN_POLICY_MODIFY};
