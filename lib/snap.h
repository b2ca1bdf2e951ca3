/*
 * Snapshots: read-only, root-written files next to the registry, mapped and
 * binary-searched by readers that must never take the registry's lock. Two
 * pairs share this format:
 *   - the NSS snapshot (SNAP_BASE/SNAP_DELTA): host identities (name and
 *     uid) and the hosts group, world-readable, for nss_rjh; it holds nothing
 *     /etc/passwd would not show: no keys, grants, sessions or events;
 *   - the login snapshot (SNAP_LOGIN_BASE/SNAP_LOGIN_DELTA, lib/login.h):
 *     each entry also carries its host's policy and keys as data, and the
 *     file the grants; readable by root and the key helper's group only.
 *
 * Two files, each replaced atomically (temporary file, fsync, rename), never
 * edited in place:
 *   REGISTRY.nss        the base: every host, sorted by name, with a uid index;
 *   REGISTRY.nss-delta  the hosts added and removed since the base (at most
 *                       SNAP_DELTA_MAX), so that one enroll rewrites a few
 *                       entries, not 100,000. Removals are tombstones.
 * The delta names the base generation it applies to; a reader ignores a
 * delta that belongs to another base. Writers replace the base first, then
 * the delta, so a reader sees either the old pair, the new base with the old
 * delta (which it ignores: the new base already holds everything), or the
 * new pair.
 */
#ifndef RJH_SNAP_H
#define RJH_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "name.h"

#define SNAP_MAGIC       "RJHSNAP1"
#define SNAP_VERSION     2
#define SNAP_RUNTIME_MAX 256
#define SNAP_FILE_MAX    (256u * 1024 * 1024)
/* The GECOS of every host account nss_rjh serves: this, then the host's name. */
#define SNAP_GECOS_PREFIX "rjh host "
#define SNAP_DELTA_MAX    4096

/* A pair's delta kind is its base kind + 1. */
enum snap_kind { SNAP_BASE = 1, SNAP_DELTA = 2, SNAP_LOGIN_BASE = 3, SNAP_LOGIN_DELTA = 4 };

struct snap_hdr {
	char magic[8];
	uint32_t version;         /* SNAP_VERSION */
	uint32_t hdr_size;        /* sizeof(struct snap_hdr) */
	uint32_t kind;            /* enum snap_kind */
	uint32_t count;           /* entries */
	uint64_t generation;      /* the registry's identity generation this file reflects */
	uint64_t base_generation; /* delta: the base it applies to; base: its own generation */
	uint32_t uid_min, uid_max, gid;
	char group[36];
	char runtime_dir[SNAP_RUNTIME_MAX];
	uint32_t ents_off; /* count x struct snap_ent, sorted by name */
	uint32_t uids_off; /* count x uint32_t: indexes into ents, sorted by uid */
	uint32_t strs_off; /* NUL-terminated names */
	uint32_t strs_len;
	uint32_t data_off; /* the entries' data, each at its ent.data_off inside this region */
	uint32_t data_len;
	uint32_t extra_off; /* data of the whole file (the login snapshot's grants), or 0 bytes */
	uint32_t extra_len;
	uint32_t file_size;
};

#define SNAP_DELETED 1u /* a tombstone in a delta: the host was removed */

struct snap_ent {
	uint32_t uid;
	uint32_t name_off; /* into the string table */
	uint32_t flags;
	uint32_t data_off; /* into the data region */
	uint32_t data_len; /* 0: none */
};

/* Room for a host name and its NUL, as readers copy it out of a mapping. */
#define SNAP_NAME_SIZE 34

/*
 * One mapped file. The header is checked and copied when mapped, so bounds
 * never come from the live file; each entry is copied out and checked when
 * read, so a file overwritten in place yields errors, not wild reads.
 * NB. truncating a mapped file in place still raises SIGBUS in readers, as
 * for any mmap'd file (ld.so.cache too): rjh-admin only ever renames new
 * files into place, and so must anyone else.
 */
struct snap {
	const unsigned char *base;
	size_t len;
	struct snap_hdr h; /* the checked copy: bounds never come from the live file */
	const struct snap_ent *ents;
	const uint32_t *uids;
	const char *strs;
	const unsigned char *data, *extra;
	uint64_t dev, ino, mtime_ns, size; /* of the file mapped, to notice replacement */
	gid_t file_gid;                    /* its group, for a writer to compare */
};

/*
 * Maps path read-only; no descriptor stays open. Returns 0, RJH_ENOENT,
 * RJH_ETRUST (the file, or a directory above it, is not root's alone, or the
 * file is a symbolic link: util_open_trusted), or RJH_EREGISTRY (unreadable,
 * not a regular file, malformed). Never logs.
 */
int snap_map(const char *path, enum snap_kind kind, struct snap *s, struct rjh_diag *d);
void snap_unmap(struct snap *s);

/* True when the file at path is no longer the one s maps (or cannot be checked). */
bool snap_changed(const struct snap *s, const char *path);

/* Entry i in name order: its name (copied), uid and flags, or RJH_EREGISTRY if malformed. */
int snap_entry(const struct snap *s, uint32_t i, char name[SNAP_NAME_SIZE], uint32_t *uid,
	       uint32_t *flags);

/*
 * Entry i's data: *p_out points into the mapping (valid until snap_unmap),
 * *len_out is 0 when the entry has none. RJH_EREGISTRY if out of bounds.
 * NB. The bytes live in the file: copy and check each field before use.
 */
int snap_entry_data(const struct snap *s, uint32_t i, const unsigned char **p_out, size_t *len_out);

/* The file's extra data, as snap_entry_data. */
void snap_extra(const struct snap *s, const unsigned char **p_out, size_t *len_out);

/* Index of name, or of the entry with uid; RJH_ENOENT or RJH_EREGISTRY. */
int snap_find_name(const struct snap *s, const char *name, uint32_t *idx);
int snap_find_uid(const struct snap *s, uint32_t uid, uint32_t *idx);

/* A base and the delta that applies to it: what nss_rjh answers from. */
struct snap_view {
	struct snap base, delta;
	bool have_delta;
};

/*
 * Maps the pair of base kind kind (SNAP_BASE or SNAP_LOGIN_BASE). The base
 * is required. A missing delta, or one for another base, is ignored; any
 * other trouble with it (untrusted, malformed) is an error, since it may
 * hold removals.
 */
int snap_view_map(enum snap_kind kind, const char *base_path, const char *delta_path,
		  struct snap_view *v, struct rjh_diag *d);
void snap_view_unmap(struct snap_view *v);
bool snap_view_changed(const struct snap_view *v, const char *base_path, const char *delta_path);

/*
 * The entry for name, through the delta, then the base: sets *s_out to the
 * file it is in and *idx_out to its index. RJH_ENOENT (also for a removed
 * host) or RJH_EREGISTRY.
 */
int snap_view_find(const struct snap_view *v, const char *name, const struct snap **s_out,
		   uint32_t *idx_out);

/* The generation the pair reflects: the delta's when it applies, else the base's. */
uint64_t snap_view_generation(const struct snap_view *v);

/* Lookups through the delta, then the base. 0, RJH_ENOENT or RJH_EREGISTRY. */
int snap_view_name(const struct snap_view *v, const char *name, uint32_t *uid_out);
int snap_view_uid(const struct snap_view *v, uint32_t uid, char name_out[SNAP_NAME_SIZE]);

/* Enumeration in name order: start with both positions 0; returns RJH_ENOENT at the end. */
struct snap_iter {
	uint32_t b, d;
};
int snap_view_next(const struct snap_view *v, struct snap_iter *it, char name[SNAP_NAME_SIZE],
		   uint32_t *uid);

/* Paths of the NSS pair for a registry. */
int snap_paths(const char *registry, char *base, char *delta, size_t len);

/* What the writer puts in a header. */
struct snap_meta {
	uint64_t generation, base_generation;
	uint32_t uid_min, uid_max, gid;
	const char *group;
	const char *runtime_dir;
	const void *extra; /* the file's extra data, or NULL */
	size_t extra_len;
	mode_t mode;    /* of the file: 0644 for NSS, 0640 for login */
	gid_t file_gid; /* its group (the owner is the writer, root) */
};

struct snap_host {
	char name[NAME_HOST_SIZE];
	uint32_t uid;
	uint32_t flags;
	const void *data; /* the entry's data, or NULL */
	uint32_t data_len;
};

/*
 * Writes hosts (sorted by name, unique) to path atomically: PATH.tmp, fsync,
 * rename, with m's mode and group, owned by the caller (root).
 */
int snap_write(const char *path, enum snap_kind kind, const struct snap_meta *m,
	       const struct snap_host *hosts, size_t n, struct rjh_diag *d);

#endif
