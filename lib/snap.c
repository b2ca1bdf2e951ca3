#include "snap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "name.h"
#include "util.h"

static uint64_t mtime_ns(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
}

/* Checks that the header's regions lie inside the file and do not overflow. */
static bool hdr_valid(const struct snap_hdr *h, size_t len, enum snap_kind kind)
{
	uint64_t ents_end = (uint64_t)h->ents_off + (uint64_t)h->count * sizeof(struct snap_ent);
	uint64_t uids_end = (uint64_t)h->uids_off + (uint64_t)h->count * sizeof(uint32_t);
	uint64_t strs_end = (uint64_t)h->strs_off + h->strs_len;
	uint64_t data_end = (uint64_t)h->data_off + h->data_len;
	uint64_t extra_end = (uint64_t)h->extra_off + h->extra_len;

	return memcmp(h->magic, SNAP_MAGIC, 8) == 0 && h->version == SNAP_VERSION &&
	       h->hdr_size == sizeof(*h) && h->kind == (uint32_t)kind && h->file_size == len &&
	       h->ents_off % 4 == 0 && h->uids_off % 4 == 0 && h->ents_off >= sizeof(*h) &&
	       ents_end <= len && h->uids_off >= sizeof(*h) && uids_end <= len &&
	       h->strs_off >= sizeof(*h) && strs_end <= len && h->strs_len > 0 &&
	       h->data_off >= sizeof(*h) && data_end <= len && h->extra_off >= sizeof(*h) &&
	       extra_end <= len && h->uid_min <= h->uid_max &&
	       memchr(h->group, '\0', sizeof(h->group)) &&
	       memchr(h->runtime_dir, '\0', sizeof(h->runtime_dir));
}

int snap_map(const char *path, enum snap_kind kind, struct snap *s, struct rjh_diag *d)
{
	struct stat st;
	void *p;
	int fd;

	memset(s, 0, sizeof(*s));
	/* The file and every directory above it root's alone. */
	fd = util_open_trusted(path, O_RDONLY, &st, d);
	if (fd < 0)
		return fd == RJH_ENOENT || fd == RJH_ETRUST ? fd : RJH_EREGISTRY;
	if (st.st_size < (off_t)sizeof(struct snap_hdr) || (uint64_t)st.st_size > SNAP_FILE_MAX) {
		close(fd);
		return diag_set(d, RJH_EREGISTRY, "%s: not a snapshot (size %lld)", path,
				(long long)st.st_size);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	/* The mapping keeps the file; no descriptor is left for a daemon to close under us. */
	close(fd);
	if (p == MAP_FAILED)
		return diag_set(d, RJH_EREGISTRY, "%s: cannot map it", path);
	s->base = p;
	s->len = (size_t)st.st_size;
	memcpy(&s->h, p, sizeof(s->h));
	if (!hdr_valid(&s->h, s->len, kind)) {
		snap_unmap(s);
		return diag_set(d, RJH_EREGISTRY, "%s: not a snapshot of this kind and version",
				path);
	}
	s->ents = (const struct snap_ent *)(s->base + s->h.ents_off);
	s->uids = (const uint32_t *)(s->base + s->h.uids_off);
	s->strs = (const char *)(s->base + s->h.strs_off);
	s->data = s->base + s->h.data_off;
	s->extra = s->base + s->h.extra_off;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->mtime_ns = mtime_ns(&st);
	s->size = (uint64_t)st.st_size;
	s->file_gid = st.st_gid;
	return RJH_OK;
}

void snap_unmap(struct snap *s)
{
	if (s->base)
		munmap((void *)(uintptr_t)s->base, s->len);
	memset(s, 0, sizeof(*s));
}

bool snap_changed(const struct snap *s, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return s->base != NULL;
	return !s->base || (uint64_t)st.st_dev != s->dev || (uint64_t)st.st_ino != s->ino ||
	       mtime_ns(&st) != s->mtime_ns || (uint64_t)st.st_size != s->size;
}

int snap_entry(const struct snap *s, uint32_t i, char name[SNAP_NAME_SIZE], uint32_t *uid,
	       uint32_t *flags)
{
	struct snap_ent e;
	uint32_t room;

	if (i >= s->h.count)
		return RJH_EREGISTRY;
	/* Copy, then check the copy: the file may change under the mapping. */
	memcpy(&e, &s->ents[i], sizeof(e));
	if (e.name_off >= s->h.strs_len)
		return RJH_EREGISTRY;
	room = s->h.strs_len - e.name_off;
	if (room > SNAP_NAME_SIZE)
		room = SNAP_NAME_SIZE;
	memcpy(name, s->strs + e.name_off, room);
	if (!memchr(name, '\0', room))
		return RJH_EREGISTRY;
	*uid = e.uid;
	if (flags)
		*flags = e.flags;
	return RJH_OK;
}

int snap_entry_data(const struct snap *s, uint32_t i, const unsigned char **p_out, size_t *len_out)
{
	struct snap_ent e;

	*p_out = NULL;
	*len_out = 0;
	if (i >= s->h.count)
		return RJH_EREGISTRY;
	memcpy(&e, &s->ents[i], sizeof(e));
	if (e.data_off > s->h.data_len || e.data_len > s->h.data_len - e.data_off)
		return RJH_EREGISTRY;
	*p_out = s->data + e.data_off;
	*len_out = e.data_len;
	return RJH_OK;
}

void snap_extra(const struct snap *s, const unsigned char **p_out, size_t *len_out)
{
	*p_out = s->extra;
	*len_out = s->h.extra_len;
}

int snap_find_name(const struct snap *s, const char *name, uint32_t *idx)
{
	uint32_t lo = 0, hi = s->h.count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, uid;
		char n[SNAP_NAME_SIZE];
		int c;

		if (snap_entry(s, mid, n, &uid, NULL) < 0)
			return RJH_EREGISTRY;
		c = strcmp(name, n);
		if (c == 0) {
			*idx = mid;
			return RJH_OK;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return RJH_ENOENT;
}

int snap_find_uid(const struct snap *s, uint32_t uid, uint32_t *idx)
{
	uint32_t lo = 0, hi = s->h.count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, u, at;
		char n[SNAP_NAME_SIZE];

		memcpy(&at, &s->uids[mid], sizeof(at));
		if (snap_entry(s, at, n, &u, NULL) < 0)
			return RJH_EREGISTRY;
		if (u == uid) {
			*idx = at;
			return RJH_OK;
		}
		if (uid < u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return RJH_ENOENT;
}

int snap_paths(const char *registry, char *base, char *delta, size_t len)
{
	if ((size_t)snprintf(base, len, "%s.nss", registry) >= len ||
	    (size_t)snprintf(delta, len, "%s.nss-delta", registry) >= len)
		return RJH_EINVAL;
	return RJH_OK;
}

int snap_view_map(enum snap_kind kind, const char *base_path, const char *delta_path,
		  struct snap_view *v, struct rjh_diag *d)
{
	int rc;

	memset(v, 0, sizeof(*v));
	rc = snap_map(base_path, kind, &v->base, d);
	if (rc < 0)
		return rc;
	rc = snap_map(delta_path, (enum snap_kind)(kind + 1), &v->delta, d);
	if (rc == RJH_ENOENT)
		return RJH_OK;
	if (rc < 0) {
		/* It may hold removals: answering from the base alone would bring hosts back. */
		snap_unmap(&v->base);
		return rc;
	}
	/* A delta for another base is stale: the base it belongs to was replaced. */
	v->have_delta = v->delta.h.base_generation == v->base.h.generation;
	if (!v->have_delta)
		snap_unmap(&v->delta);
	return RJH_OK;
}

void snap_view_unmap(struct snap_view *v)
{
	snap_unmap(&v->base);
	snap_unmap(&v->delta);
	v->have_delta = false;
}

bool snap_view_changed(const struct snap_view *v, const char *base_path, const char *delta_path)
{
	struct stat st;

	if (snap_changed(&v->base, base_path))
		return true;
	if (v->have_delta)
		return snap_changed(&v->delta, delta_path);
	/* No delta mapped: one that appears since is news. */
	return stat(delta_path, &st) == 0;
}

int snap_view_find(const struct snap_view *v, const char *name, const struct snap **s_out,
		   uint32_t *idx_out)
{
	char n[SNAP_NAME_SIZE];
	uint32_t uid, flags;
	int rc;

	if (v->have_delta) {
		rc = snap_find_name(&v->delta, name, idx_out);
		if (rc == 0) {
			*s_out = &v->delta;
			rc = snap_entry(&v->delta, *idx_out, n, &uid, &flags);
			return rc < 0 ? rc : (flags & SNAP_DELETED) ? RJH_ENOENT : RJH_OK;
		}
		if (rc != RJH_ENOENT)
			return rc;
	}
	*s_out = &v->base;
	return snap_find_name(&v->base, name, idx_out);
}

uint64_t snap_view_generation(const struct snap_view *v)
{
	return v->have_delta ? v->delta.h.generation : v->base.h.generation;
}

int snap_view_name(const struct snap_view *v, const char *name, uint32_t *uid_out)
{
	const struct snap *s;
	char n[SNAP_NAME_SIZE];
	uint32_t idx;
	int rc = snap_view_find(v, name, &s, &idx);

	return rc < 0 ? rc : snap_entry(s, idx, n, uid_out, NULL);
}

int snap_view_uid(const struct snap_view *v, uint32_t uid, char name_out[SNAP_NAME_SIZE])
{
	uint32_t idx, u, flags;
	int rc;

	if (v->have_delta) {
		rc = snap_find_uid(&v->delta, uid, &idx);
		if (rc == 0) {
			rc = snap_entry(&v->delta, idx, name_out, &u, &flags);
			return rc < 0 ? rc : (flags & SNAP_DELETED) ? RJH_ENOENT : RJH_OK;
		}
		if (rc != RJH_ENOENT)
			return rc;
	}
	rc = snap_find_uid(&v->base, uid, &idx);
	return rc < 0 ? rc : snap_entry(&v->base, idx, name_out, &u, NULL);
}

int snap_view_next(const struct snap_view *v, struct snap_iter *it, char name[SNAP_NAME_SIZE],
		   uint32_t *uid)
{
	uint32_t nb = v->base.h.count, nd = v->have_delta ? v->delta.h.count : 0;

	while (it->b < nb || it->d < nd) {
		char bn[SNAP_NAME_SIZE], dn[SNAP_NAME_SIZE];
		uint32_t bu = 0, du = 0, df = 0;
		bool hb = it->b < nb, hd = it->d < nd;
		int c;

		if (hb && snap_entry(&v->base, it->b, bn, &bu, NULL) < 0)
			return RJH_EREGISTRY;
		if (hd && snap_entry(&v->delta, it->d, dn, &du, &df) < 0)
			return RJH_EREGISTRY;
		c = !hb ? 1 : !hd ? -1 : strcmp(bn, dn);
		if (c < 0) {
			it->b++;
			memcpy(name, bn, SNAP_NAME_SIZE);
			*uid = bu;
			return RJH_OK;
		}
		/* The delta wins over the base for the same name. */
		if (c == 0)
			it->b++;
		it->d++;
		if (!(df & SNAP_DELETED)) {
			memcpy(name, dn, SNAP_NAME_SIZE);
			*uid = du;
			return RJH_OK;
		}
	}
	return RJH_ENOENT;
}
