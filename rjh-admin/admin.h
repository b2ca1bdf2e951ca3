/* rjh-admin: what every command shares. */
#ifndef RJH_ADMIN_H
#define RJH_ADMIN_H

#include <libaudit.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aud.h"
#include "cfg.h"
#include "err.h"
#include "layout.h"
#include "presence.h"
#include "reg.h"
#include "reg_pg.h"
#include "snap_write.h"

/* Documented exit codes (rjh-admin.8). */
enum admin_exit {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_INVALID = 2,
	EXIT_CONFLICT = 3, /* conflict or not found */
	EXIT_SYSTEM = 4,   /* registry or system error */
};

/* Where make install puts things (Makefile: LIBEXECDIR, LIBDIR, PAMDIR). */
#ifndef RJH_LIBEXECDIR
#define RJH_LIBEXECDIR "/usr/libexec/rjh"
#endif
#ifndef RJH_LIBDIR
#define RJH_LIBDIR "/lib/x86_64-linux-gnu"
#endif
#ifndef RJH_PAMDIR
#define RJH_PAMDIR RJH_LIBDIR "/security"
#endif
/* The key helper sshd runs (AuthorizedKeysCommand). */
#define ADMIN_KEY_HELPER RJH_LIBEXECDIR "/rjh-authorized-keys"

/* How long a command waits for another writer before giving up. */
#define ADMIN_BUSY_MS 10000

struct admin {
	const char *cmd; /* the command, for messages */
	const char *conf_path;
	struct cfg cfg;
	struct aud aud;
	bool audit_warned;
	/* The change rewrites the whole login snapshot (refresh), not just what it changed. */
	bool rebuild;
	/*
	 * The command works on this jumphost's registry file even with store =
	 * postgresql, where that file is rjh-sync's cache (refresh, runtime).
	 */
	bool local;
	/* The change touches what sshd reads for certificates (pub_certs): rewrite it. */
	bool certs;
	/* An identity change for the NSS snapshot, applied by admin_change_commit. */
	struct {
		bool set;
		enum snap_ident_op op;
		char name[NAME_HOST_SIZE];
		uint32_t uid;
	} ident;
};

/* Which host policy options (REG_HOST_POLICY) a command takes. */
enum admin_policy_use {
	ADMIN_POLICY_NONE,
	ADMIN_POLICY_ENROLL, /* those marked enroll */
	ADMIN_POLICY_MODIFY, /* all, each with its clear word */
};

/*
 * Whether a's changes and reads go to PostgreSQL (store = postgresql and
 * the command is not a->local): then the local snapshots are rjh-sync's to
 * write, not the command's.
 */
bool admin_store_is_pg(const struct admin *a);

struct admin_cmd {
	const char *name;
	int (*run)(struct admin *a, int argc, char **argv);
	const char *usage;   /* arguments, after the command name */
	const char *summary; /* one line */
	const char *help;    /* the options and what the command does */
	/* usage and help go on with the host policy options, from REG_HOST_POLICY */
	enum admin_policy_use policy;
};

/* Every command, NULL-terminated. */
extern const struct admin_cmd *const admin_cmds[];

/* The command called name, or NULL. */
const struct admin_cmd *admin_find_cmd(const char *name);

/* Prints "rjh-admin: CMD: MESSAGE" on stderr and returns the exit code for err. */
int admin_fail(struct admin *a, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, with the message of a struct rjh_diag. */
int admin_fail_diag(struct admin *a, int err, const struct rjh_diag *d);
/* The exit code for an rjh error code. */
int admin_exit_code(int err);
/* A command's subcommands (jumphost add, ca init...), NULL-terminated. */
struct admin_sub_cmd {
	const char *name;
	int (*run)(struct admin *a, int argc, char **argv);
};
/* Runs the subcommand argv[1] names, or prints the usage (which: what to give). */
int admin_run_sub(struct admin *a, int argc, char **argv, const struct admin_sub_cmd *subs,
		  const char *which);
/* Prints a usage error and returns EXIT_USAGE. */
int admin_usage(struct admin *a, const char *why);
/* Prints the command's help on stdout and returns EXIT_OK. */
int admin_help(struct admin *a);

/* One long option of a command: a flag, or an option with a value. */
struct admin_opt {
	const char *name;   /* without the leading "--" */
	const char **value; /* set when the option takes a value */
	bool *flag;         /* set when it is a flag */
};

/*
 * Parses a command's options (opts ends with a zeroed entry; --help/-h is
 * implicit) and checks that it got npos_min..npos_max positionals, which
 * are left in argv[*first .. argc-1]. Returns -1 to go on, or an exit code.
 */
int admin_args(struct admin *a, int argc, char **argv, const struct admin_opt *opts, int npos_min,
	       int npos_max, int *first);

/* Opens the registry read-only for a query. */
int admin_open_ro(struct admin *a, struct reg **r);

/*
 * A change: opens audit (refusing when audit = required and it is not
 * available), opens the registry read-write and begins a write transaction.
 */
int admin_change_begin(struct admin *a, struct reg **r);
/* Notes that the change adds, removes or rewrites identities (names, uids). */
void admin_change_identity(struct admin *a, enum snap_ident_op op, const char *name, uint32_t uid);
/*
 * Commits; on failure sends a res=failed kernel record for rec. Then brings
 * the login snapshot along, and the NSS snapshot if the change touched
 * identities. Closes r.
 */
int admin_change_commit(struct admin *a, struct reg *r, const struct aud_rec *rec);
/* The end of every change: record rec, then commit (or roll back if recording failed). */
int admin_change_finish(struct admin *a, struct reg *r, const struct aud_rec *rec);
/*
 * After a commit whose login snapshot could not be written: removes it, so
 * the login path fails closed rather than act on an older policy, and says
 * so. Returns the exit code for err.
 */
int admin_login_withdrawn(struct admin *a, int err, const struct rjh_diag *why);

/* Rolls back and closes r, returning code. */
int admin_change_abort(struct admin *a, struct reg *r, int code);

/*
 * Mirrors what rjh-connect spooled (lib/spool.h) into the events table, in a
 * transaction of its own. Best effort: a failure is a warning on stderr.
 */
void admin_drain_spool(struct admin *a);

/* Validates a host name fully: syntax, and not a system account or group. */
int admin_check_host_name(struct admin *a, const char *name);

/* What operators give commands (input.c). */
/*
 * Reads an sshd host public key file: one key, checked like a login key,
 * and not a security-key type. EXIT_OK, or the exit code after saying why.
 */
struct key;
int admin_read_host_key(struct admin *a, const char *path, struct key *k);
/* Reads one public key file (key_read_file: no private key, no certificate); EXIT_OK or the
 * failure. */
int admin_read_key(struct admin *a, const char *path, struct key *k);

/*
 * The jumphost's name as clients and hosts dial it into buf (at least
 * ADMIN_SERVER_MAX + 2): opt (--server), else public_name or this machine's
 * name. EXIT_OK, or the exit code after saying why.
 */
#define ADMIN_SERVER_MAX 253
int admin_server_name(struct admin *a, const char *opt, char *buf, size_t len);
/*
 * True when s is a DNS name or an IPv4 address of at most max characters:
 * letters, digits, '.' and '-', starting with a letter or digit, no "..",
 * not ending in '.' or '-'. Nothing ssh could take for an option, and
 * nothing that ends a config line or needs quoting in a shell.
 */
bool admin_is_dial_name(const char *s, size_t max);

/* The registered jumphosts (cmd_jumphost.c), by name; none unless store = postgresql. */
struct admin_jumphosts {
	struct reg_jumphost *v;
	size_t n, cap;
};
/* EXIT_OK, or the exit code after saying why (a malformed row too). */
int admin_jumphosts_load(struct admin *a, struct reg *r, struct admin_jumphosts *out);
void admin_jumphosts_free(struct admin_jumphosts *l);
/* How ssh dials j: ADDRESS, or with a port not 22 ADDRESS:PORT (uri: ssh://ADDRESS:PORT). */
void admin_jumphost_dest(const struct reg_jumphost *j, bool uri, char *buf, size_t len);
/*
 * The fleet's host CA as one known_hosts line, "@cert-authority * TYPE KEY
 * rjh-host-ca", into buf; "" when none is recorded (or store = sqlite).
 */
int admin_host_ca_line(struct admin *a, struct reg *r, char *buf, size_t len);
/* The fleet's host CA, re-parsed (key_clear it); RJH_ENOENT if none is recorded. */
int admin_host_ca_get(struct admin *a, struct reg *r, struct key *k, struct rjh_diag *d);

/*
 * The options of enroll, add-key and modify: a host's policy (each field of
 * REG_HOST_POLICY, reg.h) and a key's expiry and comment.
 */
struct admin_policy_opts {
	/* The host's, in reg_host_fields' order, as given; NULL: not given. */
	const char *given[REG_HOST_NPOLICY];
	struct reg_host host; /* the given ones, parsed; the rest zero */
	/* The key's: add-key --expires, enroll and add-key --comment. */
	const char *key_expires_s, *comment;
	int64_t key_expires; /* parsed; 0: never */
	/* modify: each field's clear word unsets it, and a date already past is taken. */
	bool modify;
};
/* Checks and parses o before anything is opened. EXIT_OK, or the exit code after saying why. */
int admin_check_policy_opts(struct admin *a, struct admin_policy_opts *o);
/*
 * Appends the host policy options (for enroll, only those it takes) to
 * opts[*n], pointing at o->given; the caller ends the table.
 */
void admin_policy_opt_table(struct admin_policy_opts *o, enum admin_policy_use use,
			    struct admin_opt *opts, size_t *n);
/* The number of host policy options given. */
int admin_policy_given(const struct admin_policy_opts *o);
/* Sets in h the fields o gives: what was not given stays. */
void admin_policy_apply(const struct admin_policy_opts *o, struct reg_host *h);
/* "OPT=VALUE ..." of the fields o gives, as h has them, for an audit record's detail. */
void admin_policy_detail(const struct admin_policy_opts *o, const struct reg_host *h, char *buf,
			 size_t len);
/*
 * Field f of h as show and modify say it: its value, or when unset its
 * unset word ("any address"), or with clear_word the word that unsets it
 * ("any"), as audit details say it.
 */
const char *admin_policy_value(const struct reg_host *h, const struct reg_host_field *f,
			       bool clear_word, char *buf, size_t len);

/*
 * Writes the sshd drop-in for c (sshd_dropin.c) to f: the one text that
 * `sshd-config` prints and `doctor` compares with the installed file.
 * helper and user must be validated. Returns 0 or RJH_ESYS.
 */
int admin_sshd_dropin(FILE *f, const struct cfg *c, const char *helper, const char *user);

/*
 * Runs argv (argv[0] a full path, no shell) with stdin /dev/null, stdout
 * into *out and stderr into *err (NUL-terminated, at most 1 MiB each; the
 * caller frees them), killing it after timeout_ms. Returns its wait
 * status, or -1 (errno) when it could not run or timed out (ETIMEDOUT).
 */
int admin_run(char *const argv[], int timeout_ms, char **out, char **err);

/* ------------------------------------------------ OpenSSH CAs (ca_keys.c) */

#define ADMIN_CA_TMP_SIZE      4096
#define ADMIN_CA_SIGN_OPTS_MAX 24

/*
 * Runs ssh-keygen with argv (argv[0] is replaced by its path); its stdout
 * into *out when out is not NULL (the caller frees it). EXIT_OK, or the
 * exit code after saying why, with ssh-keygen's own last words.
 */
int admin_keygen(struct admin *a, const char *what, char *argv[], char **out);
/*
 * As root, makes a new ed25519 CA key (comment) in a fresh directory tmp
 * beside key_path, which must not exist yet, in a directory root's alone;
 * sets *k_out to its public half. EXIT_OK (tmp holds ca and ca.pub: remove
 * it with admin_ca_tmp_remove), or the exit code after saying why (tmp "").
 */
int admin_ca_make(struct admin *a, const char *key_path, const char *comment,
		  char tmp[ADMIN_CA_TMP_SIZE], struct key *k_out);
/* Links tmp's ca and ca.pub to key_path and key_path.pub, never replacing; all or nothing. */
int admin_ca_install(struct admin *a, const char *tmp, const char *key_path);
/* Removes a directory of admin_ca_make or admin_ca_sign and what ssh-keygen left in it. */
void admin_ca_tmp_remove(const char *dir);
/* EXIT_OK when the private key at key_path is ca's; otherwise says so, naming what. */
int admin_ca_check_private(struct admin *a, const char *key_path, const struct key *ca,
			   const char *what);
/*
 * Signs k with the CA key at key_path, with ssh-keygen's options opts
 * (NULL-terminated, at most ADMIN_CA_SIGN_OPTS_MAX), into cert: the one
 * certificate line, checked, without its newline.
 */
/* --validity: *secs set from s when s is not NULL (1m to 10 years); EXIT_OK or the failure. */
int admin_parse_validity(struct admin *a, const char *s, int64_t *secs);
int admin_ca_sign(struct admin *a, const char *key_path, const struct key *k, char *const opts[],
		  char *cert, size_t certlen);
/* 1 when fd (O_PATH will do) is the root of a mount, 0 when not, -1 on failure. */
int admin_is_mount_root(int fd);

/* What commands print (output.c). */
/* Prints j (and takes it) as indented JSON; EXIT_OK or EXIT_SYSTEM. */
struct json_t;
int admin_print_json(struct json_t *j);
/* Formats a time for tables: ISO 8601 UTC, or "-" for 0. */
const char *admin_time(int64_t t, char buf[32]);
/* The JSON of every read command: a time as admin_time, or null for 0. */
struct json_t *admin_json_time(int64_t t);
/* A string, or null when s is NULL or empty. */
struct json_t *admin_json_str(const char *s);
/* "cert SERIAL KEY-ID" from a session's certificate (reg_session.cert) into buf, or NULL. */
const char *admin_cert_short(const char *desc, char *buf, size_t len);
/* A count, or null when n is negative (unknown). */
struct json_t *admin_json_count(int n);
/* A host's state at time now: "active", "disabled" or "expired". */
const char *admin_host_state(const struct reg_host *h, int64_t now);
/* A key's state at time now: "active", "revoked" or "expired". */
const char *admin_key_state(const struct reg_key *k, int64_t now);
/* A host as list, show and export give it; the caller adds keys and the rest. */
struct json_t *admin_host_json(const struct reg_host *h, int64_t now);
/* A key; with_blob adds the key itself (export). */
struct json_t *admin_key_json(const struct reg_key *k, int64_t now, bool with_blob);
/* One of a host's sshd host keys; with_blob adds the key itself (export). */
struct json_t *admin_host_key_json(const struct reg_host_key *k, bool with_blob);

/* What the kernel says about tunnels: listening sockets, and RUNTIME/hosts (tunnels.c). */
struct admin_tunnels {
	struct pres_listeners l;
	int hosts_fd;        /* -1: no runtime tree, so no host is up */
	struct layout_fs fs; /* RUNTIME/hosts's filesystem, for admin_tunnel_unexpected */
};
int admin_tunnels_open(struct admin *a, struct admin_tunnels *t, struct rjh_diag *d);
void admin_tunnels_close(struct admin_tunnels *t);
/* "up", "down" or "stale" for host name, whose newest session is s (NULL: none). */
const char *admin_tunnel_state(const struct admin_tunnels *t, const char *name,
			       const struct reg_session *s);
/*
 * Entries host name left in its runtime directories (layout_unexpected), or
 * -1: unknown. state: what admin_tunnel_state said, which tells whether its
 * socket is there.
 */
int admin_tunnel_unexpected(const struct admin_tunnels *t, const char *name, const char *state);

#endif
