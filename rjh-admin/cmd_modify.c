/* rjh-admin modify: change an enrolled host's expiry and source addresses. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "name.h"

/* The host's policy after o is applied to h: what was not given stays. */
static void apply(const struct admin_policy_opts *o, struct reg_host *h)
{
	if (o->expires_s)
		h->expires = o->expires;
	if (o->from_s)
		snprintf(h->cidrs, sizeof(h->cidrs), "%s", o->cidrs);
}

/* "expires=... from=...": what was given, in the new values (never, any). */
static void set_detail(const struct admin_policy_opts *o, const struct reg_host *h, char *buf,
		       size_t len)
{
	char t[32];

	snprintf(buf, len, "%s%s%s%s%s", o->expires_s ? "expires=" : "",
		 !o->expires_s ? ""
		 : h->expires  ? admin_time(h->expires, t)
			       : "never",
		 o->expires_s && o->from_s ? " " : "", o->from_s ? "from=" : "",
		 !o->from_s    ? ""
		 : h->cidrs[0] ? h->cidrs
			       : "any");
}

static int cmd_modify(struct admin *a, int argc, char **argv)
{
	struct admin_policy_opts o = {.modify = true};
	const struct admin_opt opts[] = {
	    {"expires", &o.expires_s, NULL}, {"from", &o.from_s, NULL}, {0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-modify", .success = true};
	struct rjh_diag d = {""};
	struct reg_host h, old;
	struct reg *r;
	char detail[1100], t[32];
	int64_t now = (int64_t)time(NULL);
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 1, 1, &first);
	if (rc >= 0)
		return rc;
	if (!o.expires_s && !o.from_s)
		return admin_usage(a, "nothing to change: give --expires or --from");
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
	apply(&o, &h);
	if (h.expires == old.expires && !strcmp(h.cidrs, old.cidrs)) {
		printf("%s is unchanged\n", h.name);
		return admin_change_abort(a, r, EXIT_OK);
	}
	rc = reg_host_set_policy(r, &h, now, &d);
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	set_detail(&o, &h, detail, sizeof(detail));
	rec.host = h.name;
	rec.host_uid = h.uid;
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	if (rc)
		return rc;
	printf("%s: expires %s, from %s\n", h.name, h.expires ? admin_time(h.expires, t) : "never",
	       h.cidrs[0] ? h.cidrs : "any address");
	if (h.expires && h.expires <= now)
		printf("%s has expired: it cannot log in until 'rjh-admin modify %s --expires "
		       "never' or a later date\n",
		       h.name, h.name);
	return EXIT_OK;
}

const struct admin_cmd admin_cmd_modify = {
    "modify", cmd_modify, "NAME [--expires DATE|never] [--from CIDR[,CIDR...]|any]",
    "Change an enrolled host's expiry or source addresses",
    "Options:\n"
    "  --expires DATE   the host may log in until DATE (YYYY-MM-DD, end of that day\n"
    "                   UTC, or YYYY-MM-DDTHH:MM:SSZ); a date already past ends its\n"
    "                   access now; 'never' removes the expiry\n"
    "  --from CIDRS     the host may connect only from these addresses, replacing\n"
    "                   the ones it had; 'any' removes the restriction\n\n"
    "At least one option. What is not given stays as it was. Everything is\n"
    "checked first; the change is one transaction, audited (op=rjh-modify), and\n"
    "the login path (key helper, pam_rjh) follows at once. There is no\n"
    "--comment: a host has no comment of its own, only its keys have one\n"
    "(add-key --comment).\n"};
