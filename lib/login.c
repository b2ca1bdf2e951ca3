#include "login.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "name.h"

int login_paths(const char *registry, char *base, char *delta, size_t len)
{
	if ((size_t)snprintf(base, len, "%s.login", registry) >= len ||
	    (size_t)snprintf(delta, len, "%s.login-delta", registry) >= len)
		return RJH_EINVAL;
	return RJH_OK;
}

int login_open(const struct cfg *c, struct login_view *lv, struct rjh_diag *d)
{
	char base[CFG_PATH_MAX + 16], delta[CFG_PATH_MAX + 16];
	int rc;

	memset(lv, 0, sizeof(*lv));
	if (login_paths(c->registry, base, delta, sizeof(base)) < 0)
		return diag_set(d, RJH_EINVAL, "registry path is too long");
	rc = snap_view_map(SNAP_LOGIN_BASE, base, delta, &lv->v, d);
	if (rc == RJH_ENOENT)
		return diag_set(d, rc, "%s: no login snapshot (run rjh-admin refresh)", base);
	return rc;
}

void login_close(struct login_view *lv)
{
	snap_view_unmap(&lv->v);
}

const struct snap_hdr *login_settings(const struct login_view *lv)
{
	return &lv->v.base.h;
}

uint64_t login_generation(const struct login_view *lv)
{
	return snap_view_generation(&lv->v);
}

/* ---------------------------------------------------------------- reading */

/* A position in bytes that came from a file: every read checks what is left. */
struct cur {
	const unsigned char *p;
	size_t n;
	bool bad;
};

static void take(struct cur *c, void *dst, size_t len)
{
	if (c->bad || c->n < len) {
		c->bad = true;
		memset(dst, 0, len);
		return;
	}
	memcpy(dst, c->p, len);
	c->p += len;
	c->n -= len;
}

static uint32_t get_u32(struct cur *c)
{
	uint32_t v;

	take(c, &v, sizeof(v));
	return v;
}

static int64_t get_i64(struct cur *c)
{
	int64_t v;

	take(c, &v, sizeof(v));
	return v;
}

/* A string of at most size - 1 printable bytes, NUL-terminated into dst. */
static void get_str(struct cur *c, char *dst, size_t size)
{
	uint16_t len = 0;

	take(c, &len, sizeof(len));
	if (c->bad || len >= size || c->n < len) {
		c->bad = true;
		dst[0] = '\0';
		return;
	}
	memcpy(dst, c->p, len);
	dst[len] = '\0';
	c->p += len;
	c->n -= len;
	if (!util_is_printable(dst, size - 1))
		c->bad = true;
}

/* The record of name: a cursor over its data, and its entry's uid. */
static int record(const struct login_view *lv, const char *name, struct cur *c, uint32_t *uid)
{
	const struct snap *s;
	char n[SNAP_NAME_SIZE];
	uint32_t idx, flags;
	size_t len;
	int rc;

	if (!name_is_host(name))
		return RJH_ENOENT;
	rc = snap_view_find(&lv->v, name, &s, &idx);
	if (rc == 0)
		rc = snap_entry(s, idx, n, uid, &flags);
	if (rc == 0)
		rc = snap_entry_data(s, idx, &c->p, &len);
	if (rc < 0)
		return rc;
	c->n = len;
	c->bad = false;
	return get_u32(c) == LOGIN_RECORD_VERSION ? RJH_OK : RJH_EREGISTRY;
}

/* Reads a record's head (after its version) into h. */
static int read_head(struct cur *c, const char *name, uint32_t uid, struct reg_host *h)
{
	uint32_t flags;
	int i;

	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->id = get_i64(c);
	h->uid = get_u32(c);
	flags = get_u32(c);
	h->disabled = (flags & LOGIN_DISABLED) != 0;
	h->created = get_i64(c);
	h->updated = get_i64(c);
	for (i = 0; i < REG_HOST_NPOLICY; i++) {
		const struct reg_host_field *f = &reg_host_fields[i];

		if (!f->login)
			continue;
		if (f->kind == REG_FIELD_TIME)
			*(int64_t *)REG_HOST_AT(h, f) = get_i64(c);
		else
			get_str(c, REG_HOST_AT(h, f), f->size);
	}
	h->nkeys = (int)get_u32(c);
	/* The entry and the record name the same uid, and a key count the data can hold. */
	if (c->bad || h->uid != uid || h->nkeys < 0 || (size_t)h->nkeys > c->n / 30)
		return RJH_EREGISTRY;
	return RJH_OK;
}

int login_host(const struct login_view *lv, const char *name, struct reg_host *h_out)
{
	struct cur c;
	uint32_t uid;
	int rc = record(lv, name, &c, &uid);

	return rc < 0 ? rc : read_head(&c, name, uid, h_out);
}

static int read_key(struct cur *c, const struct reg_host *h, struct reg_key *k)
{
	memset(k, 0, sizeof(*k));
	k->host_id = h->id;
	snprintf(k->host, sizeof(k->host), "%s", h->name);
	k->id = get_i64(c);
	k->created = get_i64(c);
	k->expires = get_i64(c);
	get_str(c, k->type, sizeof(k->type));
	get_str(c, k->b64, sizeof(k->b64));
	get_str(c, k->fp, sizeof(k->fp));
	return c->bad || !key_is_fingerprint(k->fp) ? RJH_EREGISTRY : RJH_OK;
}

int login_keys_each(const struct login_view *lv, const char *name, reg_key_cb cb, void *ctx)
{
	struct reg_host h;
	struct reg_key *k;
	struct cur c;
	uint32_t uid;
	int rc = record(lv, name, &c, &uid), i;

	if (rc == 0)
		rc = read_head(&c, name, uid, &h);
	if (rc < 0)
		return rc;
	k = malloc(sizeof(*k));
	if (!k)
		return RJH_ENOMEM;
	for (i = 0; rc == 0 && i < h.nkeys; i++) {
		rc = read_key(&c, &h, k);
		if (rc == 0)
			rc = cb(k, ctx);
	}
	free(k);
	return rc;
}

int login_grants_each(const struct login_view *lv, reg_grant_cb cb, void *ctx)
{
	const struct snap *s = lv->v.have_delta ? &lv->v.delta : &lv->v.base;
	struct reg_grant g;
	struct cur c = {NULL, 0, false};
	uint32_t n, i;
	int rc = RJH_OK;

	/* The newest file of the pair holds every grant. */
	snap_extra(s, &c.p, &c.n);
	if (get_u32(&c) != LOGIN_RECORD_VERSION)
		return RJH_EREGISTRY;
	n = get_u32(&c);
	for (i = 0; rc == 0 && i < n; i++) {
		get_str(&c, g.principal, sizeof(g.principal));
		get_str(&c, g.pattern, sizeof(g.pattern));
		g.created = get_i64(&c);
		rc = c.bad ? RJH_EREGISTRY : cb(&g, ctx);
	}
	return rc;
}

/* ---------------------------------------------------------------- writing */

static int put_u32(struct util_buf *b, uint32_t v)
{
	return util_buf_put(b, &v, sizeof(v));
}

static int put_i64(struct util_buf *b, int64_t v)
{
	return util_buf_put(b, &v, sizeof(v));
}

static int put_str(struct util_buf *b, const char *s)
{
	size_t n = strlen(s);
	uint16_t len = (uint16_t)n;

	if (n > UINT16_MAX)
		return RJH_EINVAL;
	return util_buf_put(b, &len, sizeof(len)) < 0 ? RJH_ENOMEM : util_buf_put(b, s, n);
}

int login_put_host(struct util_buf *b, const struct reg_host *h, uint32_t nkeys)
{
	int rc = put_u32(b, LOGIN_RECORD_VERSION), i;

	if (rc == 0)
		rc = put_i64(b, h->id);
	if (rc == 0)
		rc = put_u32(b, h->uid);
	if (rc == 0)
		rc = put_u32(b, h->disabled ? LOGIN_DISABLED : 0);
	if (rc == 0)
		rc = put_i64(b, h->created);
	if (rc == 0)
		rc = put_i64(b, h->updated);
	for (i = 0; rc == 0 && i < REG_HOST_NPOLICY; i++) {
		const struct reg_host_field *f = &reg_host_fields[i];

		if (!f->login)
			continue;
		if (f->kind == REG_FIELD_TIME)
			rc = put_i64(b, *(const int64_t *)REG_HOST_AT_CONST(h, f));
		else
			rc = put_str(b, REG_HOST_AT_CONST(h, f));
	}
	if (rc == 0)
		rc = put_u32(b, nkeys);
	return rc;
}

int login_put_key(struct util_buf *b, const struct reg_key *k)
{
	int rc = put_i64(b, k->id);

	if (rc == 0)
		rc = put_i64(b, k->created);
	if (rc == 0)
		rc = put_i64(b, k->expires);
	if (rc == 0)
		rc = put_str(b, k->type);
	if (rc == 0)
		rc = put_str(b, k->b64);
	if (rc == 0)
		rc = put_str(b, k->fp);
	return rc;
}

int login_put_grants_head(struct util_buf *b, uint32_t count)
{
	int rc = put_u32(b, LOGIN_RECORD_VERSION);

	return rc < 0 ? rc : put_u32(b, count);
}

int login_put_grant(struct util_buf *b, const struct reg_grant *g)
{
	int rc = put_str(b, g->principal);

	if (rc == 0)
		rc = put_str(b, g->pattern);
	if (rc == 0)
		rc = put_i64(b, g->created);
	return rc;
}
