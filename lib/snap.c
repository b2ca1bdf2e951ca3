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

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
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
	char tmp[4096];
	size_t strs_len = 1, data_len = 0, size, i;
	int fd = -1, rc;

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
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return diag_set(d, RJH_EINVAL, "snapshot path too long");
	buf = calloc(1, size);
	if (!buf)
		return diag_set(d, RJH_ENOMEM, "out of memory");
	rc = fill(buf, size, strs_len, data_len, kind, m, hosts, n, d);
	if (rc < 0)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchown(fd, (uid_t)-1, m->file_gid) < 0 || fchmod(fd, m->mode) < 0 ||
	    write_all(fd, buf, size) < 0 || fsync(fd) < 0) {
		rc = diag_set(d, RJH_ESYS, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc < 0 || rename(tmp, path) < 0) {
		rc = diag_set(d, RJH_ESYS, "cannot replace %s: %s", path, strerror(errno));
		goto out;
	}
	rc = RJH_OK;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(buf);
	return rc;
}
