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

const char *admin_policy_value(const struct reg_host *h, const struct reg_host_field *f,
			       bool clear_word, char *buf, size_t len)
{
	const void *p = REG_HOST_AT_CONST(h, f);
	char t[32];

	if (f->kind == REG_FIELD_TIME && *(const int64_t *)p)
		snprintf(buf, len, "%s", admin_time(*(const int64_t *)p, t));
	else if (f->kind == REG_FIELD_TIME || !*(const char *)p)
		snprintf(buf, len, "%s", clear_word ? f->clear : f->unset);
	else
		util_safe(p, buf, len);
	return buf;
}

/* Field f of h as JSON: a time or null, a list of CIDRs, a string or null. */
static json_t *policy_json(const struct reg_host *h, const struct reg_host_field *f)
{
	const char *p = REG_HOST_AT_CONST(h, f);
	char cidrs[sizeof(h->cidrs)], *save = NULL, *c;
	json_t *list;

	switch (f->kind) {
	case REG_FIELD_TIME:
		return admin_json_time(*(const int64_t *)(const void *)p);
	case REG_FIELD_CIDRS:
		list = json_array();
		snprintf(cidrs, sizeof(cidrs), "%s", p);
		for (c = strtok_r(cidrs, ",", &save); c; c = strtok_r(NULL, ",", &save))
			json_array_append_new(list, json_string(c));
		return list;
	case REG_FIELD_TEXT:
		return *p ? json_string(p) : json_null();
	}
	return json_null();
}

json_t *admin_host_json(const struct reg_host *h, int64_t now)
{
	json_t *j = json_pack("{s:s,s:I,s:s,s:o,s:o}", "name", h->name, "uid", (json_int_t)h->uid,
			      "state", admin_host_state(h, now), "created",
			      admin_json_time(h->created), "updated", admin_json_time(h->updated));
	int i;

	for (i = 0; j && i < REG_HOST_NPOLICY; i++)
		json_object_set_new(j, reg_host_fields[i].opt, policy_json(h, &reg_host_fields[i]));
	if (j)
		json_object_set_new(j, "active_keys", json_integer(h->nkeys));
	return j;
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

const char *admin_cert_short(const char *desc, char *buf, size_t len)
{
	const char *serial = strstr(desc, "serial="), *id = strstr(desc, " id=");
	char safe[REG_CERT_DESC_SIZE];

	if (!serial || !id)
		return NULL;
	snprintf(buf, len, "cert %.*s %s", (int)strcspn(serial + 7, " "), serial + 7,
		 util_safe(id + 4, safe, sizeof(safe)));
	return buf;
}
