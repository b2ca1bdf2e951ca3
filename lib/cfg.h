/* /etc/rjh/rjh.conf: one parser for every component. */
#ifndef RJH_CFG_H
#define RJH_CFG_H

#include <stdint.h>

#include "err.h"
#include "name.h"

#define CFG_DEFAULT_PATH "/etc/rjh/rjh.conf"
#define CFG_PATH_MAX     256

enum cfg_audit {
	CFG_AUDIT_BEST_EFFORT, /* write records; warn and go on if audit is unavailable */
	CFG_AUDIT_REQUIRED,    /* refuse changes that cannot be audited */
	CFG_AUDIT_OFF,         /* registry events only */
};

enum cfg_store {
	CFG_STORE_SQLITE,     /* the registry file is the registry */
	CFG_STORE_POSTGRESQL, /* PostgreSQL is; the registry file is rjh-sync's cache of it */
};

#define CFG_CONNINFO_MAX 1024

struct cfg {
	char registry[CFG_PATH_MAX];        /* registry = /var/lib/rjh/registry.db */
	char runtime_dir[CFG_PATH_MAX];     /* runtime_dir = /run/rjh */
	uint32_t uid_min, uid_max;          /* uid_min/uid_max: the range init records */
	char host_group[NAME_ACCOUNT_SIZE]; /* host_group = rjh-hosts */
	uint32_t host_gid;                  /* host_gid */
	uint32_t rsa_min_bits;              /* rsa_min_bits = 3072 */
	enum cfg_audit audit;               /* audit = best-effort | required | off */
	char public_name[254];              /* public_name: the jumphost's DNS name */
	char keys_user[NAME_ACCOUNT_SIZE];  /* keys_user = rjh: sshd's AuthorizedKeysCommandUser */
	uint32_t max_sessions_per_host;  /* max_sessions_per_host = 3: live tunnels of one host */
	int64_t retention;               /* retention = 90d: what prune keeps, in seconds */
	uint64_t runtime_size;           /* runtime_size = 16M: the runtime tmpfs's size= */
	uint32_t runtime_inodes;         /* runtime_inodes = 1048576: its nr_inodes= */
	enum cfg_store store;            /* store = sqlite | postgresql */
	char conninfo[CFG_CONNINFO_MAX]; /* conninfo: libpq's, for store = postgresql */
	int64_t max_cache_age;           /* max_cache_age = 10m: rjh-connect's limit (0: none) */
	char node_name[64];              /* node_name: this jumphost in shared tables */
	int64_t presence_ttl;            /* presence_ttl = 30s: a silent jumphost's rows expire */
	char host_ca_key[CFG_PATH_MAX];  /* host_ca_key = /etc/rjh/host_ca: signs jumphosts */
	char user_ca_key[CFG_PATH_MAX];  /* user_ca_key = /etc/rjh/user_ca: signs hosts' keys */
	char source[CFG_PATH_MAX];       /* the file that was read, or "" for defaults */
};

/* Fills c with the compiled-in defaults. */
void cfg_defaults(struct cfg *c);

/*
 * Loads path (CFG_DEFAULT_PATH when NULL) over the defaults. A missing file
 * means the defaults. Returns 0, RJH_ECONFIG with "file:line: reason" (or
 * not a regular file, or too big), RJH_ETRUST when the file or a directory
 * above it is not root's alone, or it is a symbolic link (util_open_trusted),
 * or RJH_ESYS.
 */
int cfg_load(const char *path, struct cfg *c, struct rjh_diag *d);

/* Parses len bytes of config text over c; name is used in messages. */
int cfg_parse(const char *name, const char *text, size_t len, struct cfg *c, struct rjh_diag *d);

const char *cfg_audit_name(enum cfg_audit a);
const char *cfg_store_name(enum cfg_store s);

/* c's node_name, or this machine's host name when rjh.conf gives none. */
const char *cfg_node_name(const struct cfg *c, char *buf, size_t len);

#endif
