/*
 * What commands print, shared so that every command says a thing the same
 * way: times, JSON values, and the state words of hosts and keys.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "policy.h"
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
	return policy_host_state_word(h, now);
}

const char *admin_key_state(const struct reg_key *k, int64_t now)
{
	return policy_key_state_word(k, now);
}

json_t *admin_host_json(const struct reg_host *h, int64_t now)
{
	json_t *from = json_array();
	char cidrs[sizeof(h->cidrs)], *save = NULL, *c;

	snprintf(cidrs, sizeof(cidrs), "%s", h->cidrs);
	for (c = strtok_r(cidrs, ",", &save); c; c = strtok_r(NULL, ",", &save))
		json_array_append_new(from, json_string(c));
	return json_pack("{s:s,s:I,s:s,s:o,s:o,s:o,s:o,s:i}", "name", h->name, "uid",
			 (json_int_t)h->uid, "state", admin_host_state(h, now), "created",
			 admin_json_time(h->created), "updated", admin_json_time(h->updated),
			 "expires", admin_json_time(h->expires), "from", from, "active_keys",
			 h->nkeys);
}

json_t *admin_key_json(const struct reg_key *k, int64_t now, bool with_blob)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "fingerprint", k->fp, "type",
			      k->type, "comment", k->comment, "state", admin_key_state(k, now),
			      "created", admin_json_time(k->created), "expires",
			      admin_json_time(k->expires), "revoked", admin_json_time(k->revoked));

	if (j && with_blob)
		json_object_set_new(j, "key", json_string(k->b64));
	return j;
}

json_t *admin_host_key_json(const struct reg_host_key *k, bool with_blob)
{
	json_t *j = json_pack("{s:s,s:s,s:o}", "fingerprint", k->fp, "type", k->type, "created",
			      admin_json_time(k->created));

	if (j && with_blob)
		json_object_set_new(j, "key", json_string(k->b64));
	return j;
}
