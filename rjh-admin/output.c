/*
 * What commands print, shared so that every command says a thing the same
 * way: times, JSON values, and the state words of hosts and keys.
 */
#include <jansson.h>
#include <stdio.h>

#include "admin.h"
#include "util.h"

const char *admin_time(int64_t t, char buf[32])
{
	if (t == 0)
		return "-";
	util_fmt_time(t, buf, 32);
	return buf;
}

int admin_print_json(json_t *j)
{
	int rc = j ? json_dumpf(j, stdout, JSON_INDENT(2)) : -1;

	if (rc == 0)
		putchar('\n');
	json_decref(j);
	return rc == 0 ? EXIT_OK : EXIT_SYSTEM;
}

json_t *admin_json_time(int64_t t)
{
	char buf[32];

	return t ? json_string(admin_time(t, buf)) : json_null();
}

json_t *admin_json_str(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *admin_json_count(int n)
{
	return n >= 0 ? json_integer(n) : json_null();
}

const char *admin_host_state(const struct reg_host *h, int64_t now)
{
	if (h->disabled)
		return "disabled";
	return h->expires && h->expires <= now ? "expired" : "active";
}

const char *admin_key_state(const struct reg_key *k, int64_t now)
{
	if (k->revoked)
		return "revoked";
	return k->expires && k->expires <= now ? "expired" : "active";
}
