#include "publish.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "login.h"
#include "snap.h"
#include "util.h"

/* A delta bigger than this is rewritten as a new base instead. */
#define PUB_DELTA_DATA_MAX (16u << 20)

/* The entries of a file being built, and their records in one buffer. */
struct build {
	struct util_buf ents; /* struct snap_host; .data is set from offs when written */
	struct util_buf offs; /* size_t: where each entry's record starts in data */
	struct util_buf data;
	/* The host being read from the registry: its head, and its keys so far. */
	struct reg_host cur;
	bool have_cur;
	struct util_buf keys;
	uint32_t nkeys;
};

static void build_free(struct build *b)
{
	util_buf_free(&b->ents);
	util_buf_free(&b->offs);
	util_buf_free(&b->data);
	util_buf_free(&b->keys);
}

static size_t build_count(const struct build *b)
{
	return b->ents.len / sizeof(struct snap_host);
}

/* Appends an entry whose record (len bytes, may be 0) is rec. */
static int add_entry(struct build *b, const char *name, uint32_t uid, uint32_t flags,
		     const void *rec, size_t len)
{
	struct snap_host e = {.uid = uid, .flags = flags, .data_len = (uint32_t)len};
	size_t off = b->data.len;

	if (len > UINT32_MAX || strlen(name) >= sizeof(e.name))
		return RJH_EINVAL;
	snprintf(e.name, sizeof(e.name), "%s", name);
	if (util_buf_put(&b->ents, &e, sizeof(e)) < 0 ||
	    util_buf_put(&b->offs, &off, sizeof(off)) || util_buf_put(&b->data, rec, len) < 0)
		return RJH_ENOMEM;
	return RJH_OK;
}

/* Ends the host being read: its record is its head, then its keys. */
static int flush_host(struct build *b)
{
	struct util_buf rec = {NULL, 0, 0};
	int rc;

	if (!b->have_cur)
		return RJH_OK;
	b->have_cur = false;
	rc = login_put_host(&rec, &b->cur, b->nkeys);
	if (rc == 0)
		rc = util_buf_put(&rec, b->keys.p, b->keys.len);
	if (rc == 0)
		rc = add_entry(b, b->cur.name, b->cur.uid, 0, rec.p, rec.len);
	util_buf_free(&rec);
	b->keys.len = 0;
	b->nkeys = 0;
	return rc;
}

/* reg_login_rows: one host and one of its keys at a time, hosts in name order. */
static int add_row(const struct reg_host *h, const struct reg_key *k, void *ctx)
{
	struct build *b = ctx;
	int rc = RJH_OK;

	if (!b->have_cur || strcmp(b->cur.name, h->name) != 0) {
		rc = flush_host(b);
		b->cur = *h;
		b->have_cur = true;
	}
	if (rc == 0 && k) {
		rc = login_put_key(&b->keys, k);
		b->nkeys++;
	}
	return rc;
}

struct grants {
	struct util_buf body;
	uint32_t n;
};

static int add_grant(const struct reg_grant *g, void *ctx)
{
	struct grants *gs = ctx;

	gs->n++;
	return login_put_grant(&gs->body, g);
}

/* Every grant, as a file's extra data, into out. */
static int read_grants(struct reg *r, struct util_buf *out, struct rjh_diag *d)
{
	struct grants gs = {{NULL, 0, 0}, 0};
	int rc = reg_grants_each(r, add_grant, &gs, d);

	if (rc == 0)
		rc = login_put_grants_head(out, gs.n);
	if (rc == 0)
		rc = util_buf_put(out, gs.body.p, gs.body.len);
	util_buf_free(&gs.body);
	return rc;
}

/* What a file of this registry records in its header. */
struct meta {
	struct snap_meta m;
	char group[64];
};

static int read_meta(struct reg *r, const struct cfg *c, uint64_t gen, struct meta *mt,
		     struct rjh_diag *d)
{
	char buf[4096];
	struct passwd pw, *pwp = NULL;
	uint32_t next;
	int rc;

	memset(mt, 0, sizeof(*mt));
	rc = reg_settings(r, &mt->m.uid_min, &mt->m.uid_max, &next, mt->group, sizeof(mt->group),
			  &mt->m.gid, d);
	mt->m.generation = mt->m.base_generation = gen;
	mt->m.group = mt->group;
	mt->m.runtime_dir = c->runtime_dir;
	mt->m.mode = 0640;
	/* The key helper reads it as keys_user; without that user, root alone. */
	if (getpwnam_r(c->keys_user, &pw, buf, sizeof(buf), &pwp) == 0 && pwp)
		mt->m.file_gid = pw.pw_gid;
	return rc;
}

/* Whether the files of v are what this publisher would write, header and file group alike. */
static bool same_meta(const struct snap_view *v, const struct snap_meta *m)
{
	const struct snap_hdr *h = &v->base.h;

	return h->uid_min == m->uid_min && h->uid_max == m->uid_max && h->gid == m->gid &&
	       !strcmp(h->group, m->group) && !strcmp(h->runtime_dir, m->runtime_dir) &&
	       v->base.file_gid == m->file_gid &&
	       (!v->have_delta || v->delta.file_gid == m->file_gid);
}

/* Writes b as path, with its entries' data pointing into b's buffer. */
static int write_built(const char *path, enum snap_kind kind, struct build *b,
		       const struct snap_meta *m, struct rjh_diag *d)
{
	struct snap_host *e = (struct snap_host *)b->ents.p;
	const size_t *off = (const size_t *)b->offs.p;
	size_t i, n = build_count(b);

	for (i = 0; i < n; i++)
		e[i].data = e[i].data_len ? b->data.p + off[i] : NULL;
	return snap_write(path, kind, m, e, n, d);
}

/* Writes every host as a new base, then an empty delta for it. */
static int rebuild(struct reg *r, const char *base, const char *delta, struct meta *mt,
		   struct rjh_diag *d)
{
	struct build b = {0};
	struct build none = {0};
	struct util_buf grants = {NULL, 0, 0};
	int rc = reg_login_rows(r, NULL, add_row, &b, d);

	if (rc == 0)
		rc = flush_host(&b);
	if (rc == 0)
		rc = read_grants(r, &grants, d);
	if (rc == RJH_ENOMEM)
		rc = diag_set(d, rc, "out of memory");
	mt->m.extra = grants.p;
	mt->m.extra_len = grants.len;
	/*
	 * The old delta goes first: it is paired with a base by generation, and
	 * a registry restored from a backup can bring a generation back.
	 */
	if (rc == 0 && unlink(delta) < 0 && errno != ENOENT)
		rc = diag_set(d, RJH_ESYS, "cannot remove %s: %s", delta, strerror(errno));
	if (rc == 0)
		rc = write_built(base, SNAP_LOGIN_BASE, &b, &mt->m, d);
	if (rc == 0)
		rc = write_built(delta, SNAP_LOGIN_DELTA, &none, &mt->m, d);
	util_buf_free(&grants);
	build_free(&b);
	return rc;
}

/* The names of the hosts changed since the snapshot, sorted; NULL (the grants) left out. */
struct changed {
	struct util_buf names; /* char[NAME_HOST_SIZE] each */
	size_t n;
};

static int add_changed(const char *host, void *ctx)
{
	struct changed *ch = ctx;
	char name[NAME_HOST_SIZE] = "";

	if (!host)
		return RJH_OK;
	if (strlen(host) >= sizeof(name))
		return RJH_EINVAL;
	snprintf(name, sizeof(name), "%s", host);
	ch->n++;
	return util_buf_put(&ch->names, name, sizeof(name));
}

/* Adds host name as the registry has it now: its record, a tombstone, or nothing. */
static int add_current(struct reg *r, const struct snap *base, const char *name, struct build *b,
		       struct rjh_diag *d)
{
	char bn[SNAP_NAME_SIZE];
	uint32_t idx, uid;
	size_t before = build_count(b);
	int rc = reg_login_rows(r, name, add_row, b, d);

	if (rc == 0)
		rc = flush_host(b);
	if (rc < 0 || build_count(b) > before)
		return rc;
	/* Gone from the registry: a tombstone hides it in the base, if the base has it. */
	if (snap_find_name(base, name, &idx) != 0)
		return RJH_OK;
	rc = snap_entry(base, idx, bn, &uid, NULL);
	return rc < 0 ? rc : add_entry(b, name, uid, SNAP_DELETED, NULL, 0);
}

/* Copies entry i of the old delta. */
static int copy_old(const struct snap *dl, uint32_t i, struct build *b)
{
	const unsigned char *p;
	char name[SNAP_NAME_SIZE];
	uint32_t uid, flags;
	size_t len;
	int rc = snap_entry(dl, i, name, &uid, &flags);

	if (rc == 0)
		rc = snap_entry_data(dl, i, &p, &len);
	return rc < 0 ? rc : add_entry(b, name, uid, flags, p, len);
}

/*
 * The old delta with the changed hosts read again, merged in name order.
 * RJH_ENOENT when that would not fit a delta: the caller rebuilds.
 */
static int update_delta(struct reg *r, const struct snap_view *v, uint64_t have, const char *delta,
			struct meta *mt, struct rjh_diag *d)
{
	struct changed ch = {{NULL, 0, 0}, 0};
	struct util_buf grants = {NULL, 0, 0};
	const struct snap *dl = &v->delta;
	uint32_t nold = v->have_delta ? dl->h.count : 0, i = 0;
	struct build b = {0};
	size_t j = 0;
	int rc = reg_policy_changes(r, have, add_changed, &ch, d);

	if (rc == 0 && (size_t)nold + ch.n > SNAP_DELTA_MAX)
		rc = RJH_ENOENT;
	while (rc == 0 && (i < nold || j < ch.n)) {
		const char *cn = j < ch.n ? (const char *)ch.names.p + j * 33 : NULL;
		char on[SNAP_NAME_SIZE];
		uint32_t uid;
		int cmp = 1;

		if (i < nold) {
			rc = snap_entry(dl, i, on, &uid, NULL);
			cmp = rc < 0 ? 0 : !cn ? -1 : strcmp(on, cn);
		}
		if (rc < 0)
			break;
		if (cmp < 0) {
			rc = copy_old(dl, i++, &b);
			continue;
		}
		if (cmp == 0)
			i++; /* the registry's word replaces the old delta's */
		rc = add_current(r, &v->base, cn, &b, d);
		j++;
		if (rc == 0 && b.data.len > PUB_DELTA_DATA_MAX)
			rc = RJH_ENOENT;
	}
	if (rc == 0)
		rc = read_grants(r, &grants, d);
	mt->m.extra = grants.p;
	mt->m.extra_len = grants.len;
	mt->m.base_generation = v->base.h.generation;
	if (rc == 0)
		rc = write_built(delta, SNAP_LOGIN_DELTA, &b, &mt->m, d);
	else if (rc == RJH_ENOMEM)
		rc = diag_set(d, rc, "out of memory");
	else if (rc == RJH_EREGISTRY)
		rc = RJH_ENOENT; /* an unreadable old delta: rebuild */
	util_buf_free(&grants);
	util_buf_free(&ch.names);
	build_free(&b);
	return rc;
}

/* Publishes, lock held and inside a read transaction. */
static int publish_locked(struct reg *r, const struct cfg *c, bool force, const char *base,
			  const char *delta, struct rjh_diag *d)
{
	uint64_t gen, floor, have = 0;
	struct snap_view v;
	struct meta mt;
	bool mapped;
	int rc = reg_policy_generation(r, &gen, &floor, d);

	if (rc == 0)
		rc = read_meta(r, c, gen, &mt, d);
	if (rc < 0)
		return rc;
	mapped = snap_view_map(SNAP_LOGIN_BASE, base, delta, &v, NULL) == 0;
	if (mapped)
		have = snap_view_generation(&v);
	/* A snapshot ahead of the registry is another history (a restored backup): rebuild. */
	if (mapped && (force || have > gen || have < floor || !same_meta(&v, &mt.m)))
		rc = RJH_ENOENT;
	else if (mapped && have == gen)
		rc = RJH_OK;
	else if (mapped)
		rc = update_delta(r, &v, have, delta, &mt, d);
	else
		rc = RJH_ENOENT;
	if (mapped)
		snap_view_unmap(&v);
	if (rc == RJH_ENOENT) {
		mt.m.base_generation = gen;
		rc = rebuild(r, base, delta, &mt, d);
	}
	return rc;
}

int pub_login(struct reg *r, const struct cfg *c, bool rebuild_all, struct rjh_diag *d)
{
	char base[CFG_PATH_MAX + 16], delta[CFG_PATH_MAX + 16], lock[CFG_PATH_MAX + 24];
	int fd, rc;

	if (login_paths(c->registry, base, delta, sizeof(base)) < 0)
		return diag_set(d, RJH_EINVAL, "registry path is too long");
	snprintf(lock, sizeof(lock), "%s.lock", base);
	fd = util_lock_file(lock, d);
	if (fd < 0)
		return fd;
	rc = reg_begin_read(r, d);
	if (rc == 0)
		rc = publish_locked(r, c, rebuild_all, base, delta, d);
	reg_end_read(r);
	close(fd);
	return rc;
}

int pub_login_withdraw(const struct cfg *c, struct rjh_diag *d)
{
	char base[CFG_PATH_MAX + 16], delta[CFG_PATH_MAX + 16];

	if (login_paths(c->registry, base, delta, sizeof(base)) < 0)
		return diag_set(d, RJH_EINVAL, "registry path is too long");
	/* The base first: without it the delta is never read. Unlinking needs no space. */
	if ((unlink(base) < 0 && errno != ENOENT) || (unlink(delta) < 0 && errno != ENOENT))
		return diag_set(d, RJH_ESYS, "cannot remove %s: %s", base, strerror(errno));
	return RJH_OK;
}

int pub_login_prune_log(struct reg *r, const struct cfg *c, struct rjh_diag *d)
{
	struct login_view lv;
	uint64_t have;

	if (login_open(c, &lv, NULL) < 0)
		return RJH_OK;
	have = login_generation(&lv);
	login_close(&lv);
	return reg_policy_log_prune(r, have, d);
}
