#include "snap_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* Sorts idx (indexes into hosts) by uid: LSD radix sort, 4 passes of 8 bits. */
static int sort_by_uid(const struct snap_host *hosts, uint32_t *idx, size_t n)
{
	uint32_t *tmp = malloc(n * sizeof(*tmp) + 1);
	size_t i;
	int shift;

	if (!tmp)
		return RJH_ENOMEM;
	for (i = 0; i < n; i++)
		idx[i] = (uint32_t)i;
	for (shift = 0; shift < 32; shift += 8) {
		size_t count[257] = {0};

		for (i = 0; i < n; i++)
			count[((hosts[idx[i]].uid >> shift) & 0xff) + 1]++;
		for (i = 1; i < 257; i++)
			count[i] += count[i - 1];
		for (i = 0; i < n; i++)
			tmp[count[(hosts[idx[i]].uid >> shift) & 0xff]++] = idx[i];
		memcpy(idx, tmp, n * sizeof(*idx));
	}
	free(tmp);
	return RJH_OK;
}

/* Fills the file image: header, entries, uid index, strings, data, extra. */
static int fill(unsigned char *buf, size_t size, size_t strs_len, size_t data_len,
		enum snap_kind kind, const struct snap_meta *m, const struct snap_host *hosts,
		size_t n, struct rjh_diag *d)
{
	struct snap_hdr *h = (struct snap_hdr *)buf;
	struct snap_ent *ents;
	size_t i, off = 1, doff = 0; /* string offset 0 is the empty string */

	memcpy(h->magic, SNAP_MAGIC, 8);
	h->version = SNAP_VERSION;
	h->hdr_size = sizeof(*h);
	h->kind = kind;
	h->count = (uint32_t)n;
	h->generation = m->generation;
	h->base_generation = m->base_generation;
	h->uid_min = m->uid_min;
	h->uid_max = m->uid_max;
	h->gid = m->gid;
	snprintf(h->group, sizeof(h->group), "%s", m->group);
	snprintf(h->runtime_dir, sizeof(h->runtime_dir), "%s", m->runtime_dir);
	h->ents_off = sizeof(*h);
	h->uids_off = (uint32_t)(h->ents_off + n * sizeof(*ents));
	h->strs_off = (uint32_t)(h->uids_off + n * sizeof(uint32_t));
	h->strs_len = (uint32_t)strs_len;
	h->data_off = (uint32_t)(h->strs_off + strs_len);
	h->data_len = (uint32_t)data_len;
	h->extra_off = (uint32_t)(h->data_off + data_len);
	h->extra_len = (uint32_t)m->extra_len;
	h->file_size = (uint32_t)size;
	if (m->extra_len)
		memcpy(buf + h->extra_off, m->extra, m->extra_len);
	ents = (struct snap_ent *)(buf + h->ents_off);
	for (i = 0; i < n; i++) {
		size_t l = strlen(hosts[i].name) + 1;

		if (i > 0 && strcmp(hosts[i - 1].name, hosts[i].name) >= 0)
			return diag_set(d, RJH_EINVAL, "snapshot hosts must be sorted and unique");
		ents[i].uid = hosts[i].uid;
		ents[i].name_off = (uint32_t)off;
		ents[i].flags = hosts[i].flags;
		ents[i].data_off = (uint32_t)doff;
		ents[i].data_len = hosts[i].data_len;
		memcpy(buf + h->strs_off + off, hosts[i].name, l);
		if (hosts[i].data_len)
			memcpy(buf + h->data_off + doff, hosts[i].data, hosts[i].data_len);
		off += l;
		doff += hosts[i].data_len;
	}
	return sort_by_uid(hosts, (uint32_t *)(buf + h->uids_off), n) < 0
		   ? diag_set(d, RJH_ENOMEM, "out of memory")
		   : RJH_OK;
}

int snap_write(const char *path, enum snap_kind kind, const struct snap_meta *m,
	       const struct snap_host *hosts, size_t n, struct rjh_diag *d)
{
	unsigned char *buf = NULL;
	size_t strs_len = 1, data_len = 0, size, i;
	int rc;

	if (n > UINT32_MAX / 64)
		return diag_set(d, RJH_EINVAL, "too many hosts for a snapshot");
	for (i = 0; i < n; i++) {
		strs_len += strnlen(hosts[i].name, sizeof(hosts[i].name) - 1) + 1;
		data_len += hosts[i].data_len;
		if (data_len > SNAP_FILE_MAX)
			return diag_set(d, RJH_EINVAL, "snapshot too large");
	}
	size = sizeof(struct snap_hdr) + n * (sizeof(struct snap_ent) + sizeof(uint32_t)) +
	       strs_len + data_len + m->extra_len;
	if (size > SNAP_FILE_MAX || m->extra_len > SNAP_FILE_MAX ||
	    strlen(m->runtime_dir) >= SNAP_RUNTIME_MAX ||
	    strlen(m->group) >= sizeof(((struct snap_hdr *)0)->group))
		return diag_set(d, RJH_EINVAL, "snapshot too large");
	buf = calloc(1, size);
	if (!buf)
		return diag_set(d, RJH_ENOMEM, "out of memory");
	rc = fill(buf, size, strs_len, data_len, kind, m, hosts, n, d);
	if (rc < 0)
		goto out;
	rc = util_write_atomic(path, buf, size, m->mode, m->file_gid, d);
out:
	free(buf);
	return rc;
}

/* The NSS snapshot of a registry: its identities, written after each change. */

struct idents {
	struct snap_host *v;
	size_t n, cap;
};

static int add_ident(const char *name, uint32_t uid, void *ctx)
{
	struct idents *x = ctx;

	if (util_grow(&x->v, &x->cap, x->n + 1, sizeof(*x->v), 1024) < 0)
		return RJH_ENOMEM;
	x->v[x->n] = (struct snap_host){.uid = uid};
	snprintf(x->v[x->n].name, sizeof(x->v[x->n].name), "%s", name);
	x->n++;
	return RJH_OK;
}

/* Every host, sorted by name, into a new array. */
static int read_idents(struct reg *r, struct snap_host **out, size_t *n_out, struct rjh_diag *d)
{
	struct idents x = {0};
	int rc = reg_idents_each(r, add_ident, &x, d);

	if (rc == RJH_ENOMEM)
		rc = diag_set(d, rc, "out of memory");
	if (rc < 0) {
		free(x.v);
		return rc;
	}
	*out = x.v;
	*n_out = x.n;
	return RJH_OK;
}

static bool same_meta(const struct snap_hdr *h, const struct snap_meta *m)
{
	return h->uid_min == m->uid_min && h->uid_max == m->uid_max && h->gid == m->gid &&
	       !strcmp(h->group, m->group) && !strcmp(h->runtime_dir, m->runtime_dir);
}

/*
 * The new delta: the old one with one edit. RJH_ENOENT when the old pair
 * cannot be trusted to be the registry before this change, or the edit does
 * not fit a delta; the caller then rebuilds.
 */
static int edit_delta(const struct snap_view *v, const struct snap_meta *m, uint64_t gen_before,
		      enum snap_ident_op op, const char *name, uint32_t uid, struct snap_host **out,
		      size_t *n_out)
{
	const struct snap *dl = &v->delta;
	struct snap_host *h;
	uint32_t n, i, at = 0, flags = 0, base_uid = 0, idx;
	bool in_delta = false, in_base;

	if (!v->have_delta || dl->h.generation != gen_before || !same_meta(&v->base.h, m) ||
	    !same_meta(&dl->h, m) || dl->h.count >= SNAP_DELTA_MAX)
		return RJH_ENOENT;
	n = dl->h.count;
	h = calloc((size_t)n + 1, sizeof(*h));
	if (!h)
		return RJH_ENOMEM;
	for (i = 0; i < n; i++) {
		char hn[SNAP_NAME_SIZE];

		if (snap_entry(dl, i, hn, &h[i].uid, &h[i].flags) < 0 || !name_is_host(hn))
			goto stale;
		memcpy(h[i].name, hn, strlen(hn) + 1);
		if (strcmp(hn, name) < 0)
			at = i + 1;
		if (!strcmp(hn, name)) {
			in_delta = true;
			flags = h[i].flags;
		}
	}
	in_base = snap_find_name(&v->base, name, &idx) == 0;
	if (in_base) {
		char bn[SNAP_NAME_SIZE];

		snap_entry(&v->base, idx, bn, &base_uid, NULL);
	}
	if (op == SNAP_IDENT_ADD) {
		/* New uids only grow; a name coming back over a tombstone needs a rebuild. */
		if (in_delta || in_base)
			goto stale;
		memmove(h + at + 1, h + at, (n - at) * sizeof(*h));
		snprintf(h[at].name, sizeof(h[at].name), "%s", name);
		h[at].uid = uid;
		h[at].flags = 0;
		n++;
	} else if (in_delta && !(flags & SNAP_DELETED) && !in_base) {
		memmove(h + at, h + at + 1, (n - at - 1) * sizeof(*h));
		n--;
	} else if (!in_delta && in_base && base_uid == uid) {
		memmove(h + at + 1, h + at, (n - at) * sizeof(*h));
		snprintf(h[at].name, sizeof(h[at].name), "%s", name);
		h[at].uid = uid;
		h[at].flags = SNAP_DELETED;
		n++;
	} else {
		goto stale;
	}
	*out = h;
	*n_out = n;
	return RJH_OK;
stale:
	free(h);
	return RJH_ENOENT;
}

/* Writes the snapshot for the registry as this read transaction sees it. Lock held. */
static int snapshot_write_locked(struct reg *r, const struct cfg *c, enum snap_ident_op op,
				 const char *name, uint32_t uid, uint64_t gen, const char *base,
				 const char *delta, struct rjh_diag *d)
{
	char group[64];
	uint32_t umin, umax, next, gid;
	struct snap_host *hosts = NULL;
	struct snap_view v;
	struct snap_meta m;
	uint64_t now_gen = 0, have_gen = 0;
	bool mapped;
	size_t n = 0;
	int rc;

	rc = reg_settings(r, &umin, &umax, &next, group, sizeof(group), &gid, d);
	if (rc < 0)
		return rc;
	rc = reg_ident_generation(r, &now_gen, d);
	if (rc < 0)
		return rc;
	m = (struct snap_meta){.generation = now_gen,
			       .base_generation = now_gen,
			       .uid_min = umin,
			       .uid_max = umax,
			       .gid = gid,
			       .group = group,
			       .runtime_dir = c->runtime_dir,
			       .mode = 0644};
	mapped = snap_view_map(SNAP_BASE, base, delta, &v, NULL) == 0;
	if (mapped)
		have_gen = v.have_delta ? v.delta.h.generation : v.base.h.generation;
	/* Another writer already wrote this state, or a newer one: never go back. */
	if (mapped && have_gen >= now_gen && op != SNAP_IDENT_REBUILD) {
		snap_view_unmap(&v);
		return RJH_OK;
	}
	rc = RJH_ENOENT;
	/* Ours is the only change since the snapshot: one edit of the delta. */
	if (mapped && op != SNAP_IDENT_REBUILD && now_gen == gen)
		rc = edit_delta(&v, &m, gen - 1, op, name, uid, &hosts, &n);
	if (mapped && rc == 0)
		m.base_generation = v.base.h.generation;
	if (mapped)
		snap_view_unmap(&v);
	if (rc == RJH_ENOMEM)
		return diag_set(d, rc, "out of memory");
	if (rc == 0) {
		rc = snap_write(delta, SNAP_DELTA, &m, hosts, n, d);
		free(hosts);
		return rc;
	}
	/* Rebuild: the base first, then an empty delta for it (see snap.h). */
	rc = read_idents(r, &hosts, &n, d);
	if (rc == 0)
		rc = snap_write(base, SNAP_BASE, &m, hosts, n, d);
	if (rc == 0)
		rc = snap_write(delta, SNAP_DELTA, &m, NULL, 0, d);
	free(hosts);
	return rc;
}

int snap_write_turn(struct reg *r, const char *base, const char *delta, snap_writer_fn fn,
		    void *ctx, struct rjh_diag *d)
{
	char lock[CFG_PATH_MAX + 24];
	int fd, rc;

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", base) >= sizeof(lock))
		return diag_set(d, RJH_EINVAL, "snapshot path is too long");
	fd = util_lock_file(lock, d);
	if (fd < 0)
		return fd;
	rc = reg_begin_read(r, d);
	if (rc == 0)
		rc = fn(r, ctx, base, delta, d);
	reg_end_read(r);
	close(fd); /* releases the lock */
	return rc;
}

/* snap_nss_update's change, for its turn. */
struct nss_change {
	const struct cfg *c;
	enum snap_ident_op op;
	const char *name;
	uint32_t uid;
	uint64_t gen;
};

static int nss_turn(struct reg *r, void *ctx, const char *base, const char *delta,
		    struct rjh_diag *d)
{
	const struct nss_change *x = ctx;

	return snapshot_write_locked(r, x->c, x->op, x->name, x->uid, x->gen, base, delta, d);
}

int snap_nss_update(struct reg *r, const struct cfg *c, enum snap_ident_op op, const char *name,
		    uint32_t uid, uint64_t gen, struct rjh_diag *d)
{
	char base[CFG_PATH_MAX + 16], delta[CFG_PATH_MAX + 16];
	struct nss_change x = {c, op, name, uid, gen};

	if (snap_paths(c->registry, base, delta, sizeof(base)) < 0)
		return diag_set(d, RJH_EINVAL, "registry path is too long");
	return snap_write_turn(r, base, delta, nss_turn, &x, d);
}
