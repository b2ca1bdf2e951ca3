/*
 * rjh-connect HOST: a client's hop on the jumphost. Checks that the caller
 * (the real uid it was started with) has a grant for HOST, audits, and
 * relays stdin/stdout to HOST's socket until the host's side ends.
 *
 *   ProxyCommand ssh JUMPHOST rjh-connect %h
 *
 * Under ForceCommand it reads HOST from SSH_ORIGINAL_COMMAND ("HOST" or
 * "rjh-connect HOST").
 *
 * Privileges (rjh-connect(1)): installed setuid root, because the host
 * sockets are reachable by root and the host only, the grants are not
 * readable by ordinary users, and audit records need CAP_AUDIT_WRITE. First
 * thing, it records the caller's ids and becomes root through and through
 * (priv.c), so the caller can no longer signal, stop or kill it. As root it
 * only reads the login snapshot (never the registry: a caller can still
 * freeze or slow it through its cgroup, and it must hold nothing a writer
 * waits for), connects to the one socket, forks the relay child and writes
 * the opening record; the records' mirror for the events table goes to the
 * spool (lib/spool.h). The child drops to the caller's ids
 * for good and relays once the parent says go; the parent holds no client
 * data (its stdin and stdout are /dev/null), waits, and writes the closing
 * record with the byte counts the child kept in memory they share, so a
 * killed child still gets its closing record. The records' addr= is the
 * client as sshd saw it, verified in the kernel (peer.c), never the
 * caller's SSH_CONNECTION as such.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libaudit.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aud.h"
#include "cache.h"
#include "cfg.h"
#include "host.h"
#include "layout.h"
#include "login.h"
#include "name.h"
#include "peer.h"
#include "policy.h"
#include "priv.h"
#include "relay.h"
#include "schema.h"
#include "spool.h"
#include "util.h"
#include "version.h"

/* Exit codes, documented in rjh-connect(8). */
enum {
	RC_OK = 0,
	RC_USAGE = 1, /* bad arguments or host name */
	RC_NOT_ENROLLED = 2,
	RC_DISABLED = 3, /* disabled or expired */
	RC_NO_GRANT = 4,
	RC_OFFLINE = 5,
	RC_REGISTRY = 6, /* registry unavailable */
	RC_INTERNAL = 7, /* not installed setuid root, out of memory, relay error */
	RC_STALE = 8,    /* the jumphost's copy of the registry is older than max_cache_age */
};

#define MAX_GROUPS 256
#define ENV_MAX    256
/* SSH_ORIGINAL_COMMAND: room for "rjh-connect --ssh-banner HEX HOST" with a 254-byte banner. */
#define ORIG_MAX 640

struct conn {
	char host[NAME_HOST_SIZE];
	/* The client's identification line, which the hop read and passed (--ssh-banner). */
	char banner[256];
	int banner_len; /* 0: none, the client sends its own */
	uid_t host_uid; /* from the registry: the only owner its socket may have */
	char user[NAME_ACCOUNT_SIZE];
	struct priv_caller who; /* the caller's ids, limits and signal dispositions */
	struct peer peer;       /* the client: verified, or only claimed (peer.c) */
	char *group_names[MAX_GROUPS];
	size_t ngroups;
	struct cfg cfg;
	struct aud aud;
	struct spool_slot slot; /* this connection's spooled START, for its END */
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("rjh-connect: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Copies environment variable name (at most ENV_MAX bytes) into buf; "" if absent or too long. */
static void env_copy(const char *name, char *buf, size_t len)
{
	const char *v = getenv(name);

	buf[0] = '\0';
	if (v && strlen(v) < len)
		memcpy(buf, v, strlen(v) + 1);
}

/* fds 0-2 must exist, so that no socket or registry ends up as stdout. */
static int sane_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/*
 * The host to reach: argv[1], or SSH_ORIGINAL_COMMAND under ForceCommand.
 * Fills c->host; RC_OK or RC_USAGE.
 */
static int parse_host(int argc, char **argv, const char *orig, struct conn *c)
{
	char copy[ORIG_MAX];
	const char *hex, *name = connect_host_word(argc, argv, orig, copy, sizeof(copy), &hex);

	if (!name) {
		say("usage: rjh-connect [--ssh-banner HEX] HOST (or the same in "
		    "SSH_ORIGINAL_COMMAND); rjh-connect --version");
		return RC_USAGE;
	}
	if (hex && (c->banner_len = connect_banner_decode(hex, c->banner, sizeof(c->banner))) < 0) {
		say("--ssh-banner is not an SSH identification line in hex");
		return RC_USAGE;
	}
	if (!name_is_host(name)) {
		char safe[48];

		say("'%s' is not a host name", util_safe(name, safe, sizeof(safe)));
		return RC_USAGE;
	}
	snprintf(c->host, sizeof(c->host), "%s", name);
	return RC_OK;
}

/*
 * Extra tokens for a record: extra (or none), then claimed_peer= when
 * SSH_CONNECTION named a client that could not be verified. Not addr=,
 * which holds a verified address only, and not a name ending in "addr=",
 * so that grep addr=X never finds a mere claim.
 */
static const char *with_claim(const struct conn *c, const char *extra, char *buf, size_t len)
{
	if (!c->peer.claimed[0])
		return extra;
	snprintf(buf, len, "%s%sclaimed_peer=%s", extra ? extra : "", extra && *extra ? " " : "",
		 c->peer.claimed);
	return buf;
}

/* The caller: the real uid it started with, its name and the names of its groups. */
static int caller(struct conn *c)
{
	struct passwd pw, *pwp = NULL;
	gid_t gids[MAX_GROUPS];
	int ng = MAX_GROUPS, i;
	char buf[4096];

	if (getpwuid_r(c->who.uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp ||
	    strlen(pw.pw_name) >= sizeof(c->user)) {
		say("cannot tell who you are (uid %u)", (unsigned)c->who.uid);
		return RC_INTERNAL;
	}
	snprintf(c->user, sizeof(c->user), "%s", pw.pw_name);
	/*
	 * NB. -1 with ng grown means more groups than fit (the first MAX_GROUPS
	 * are filled in); -1 with ng as it was means glibc could not allocate and
	 * filled in nothing: gids would be whatever the stack held.
	 */
	if (getgrouplist(c->user, pw.pw_gid, gids, &ng) < 0) {
		if (ng <= MAX_GROUPS) {
			say("cannot tell your groups (uid %u)", (unsigned)c->who.uid);
			return RC_INTERNAL;
		}
		ng = MAX_GROUPS;
	}
	for (i = 0; i < ng; i++) {
		struct group gr, *grp = NULL;
		char gbuf[4096];

		/* A group with a huge member list does not fit: it cannot grant, it is skipped. */
		if (getgrgid_r(gids[i], &gr, gbuf, sizeof(gbuf), &grp) == 0 && grp) {
			c->group_names[c->ngroups] = strdup(gr.gr_name);
			if (c->group_names[c->ngroups])
				c->ngroups++;
		}
	}
	return RC_OK;
}

struct grant_ctx {
	struct policy_caller who;
	const char *host;
	bool allowed;
};

static int grant_cb(const struct reg_grant *g, void *vctx)
{
	struct grant_ctx *ctx = vctx;

	if (!ctx->allowed && policy_grant_allows(g, &ctx->who, ctx->host))
		ctx->allowed = true;
	return 0;
}

/*
 * Mirrors rec for the events table through the spool: a refusal in a slot of
 * its own, a connection's START in one that keeps its END. Best effort: with
 * every slot of the caller's taken, or none to write, the kernel record
 * stands alone: always 0.
 */
static int mirror(void *ctx, const struct aud_rec *rec, struct rjh_diag *d)
{
	struct conn *c = ctx;
	struct reg_event e;
	char buf[768];

	(void)d;
	aud_to_event(rec, &e, buf, sizeof(buf));
	if (rec->type == AUDIT_USER_END) {
		spool_append(&c->slot, &e, NULL);
		spool_close(&c->slot);
	} else if (rec->type == AUDIT_USER_START) {
		spool_put(&c->cfg, SPOOL_CONNECTION, c->who.uid, &e, &c->slot, NULL);
	} else {
		struct spool_slot one;

		if (spool_put(&c->cfg, SPOOL_REFUSAL, c->who.uid, &e, &one, NULL) == 0)
			spool_close(&one);
	}
	return RJH_OK;
}

/*
 * Writes rec to the kernel and, unless mirrored is false, to the spool
 * (aud_write: the mirror is best effort, and none for a record the kernel
 * refused under audit = required).
 */
static int record(struct conn *c, const struct aud_rec *rec, bool mirrored)
{
	const struct aud_mirror spool = {.write = mirror, .ctx = c, .undoable = false};
	struct rjh_diag dk = {""};
	int rk = aud_write(&c->aud, rec, mirrored ? &spool : NULL, &dk);

	if (rk < 0)
		say("cannot write the audit record: %s", dk.msg);
	return rk;
}

/*
 * Refuses with message msg and exit code code, after a USER_ACCT res=failed
 * record whose reason is a token (no spaces, so audit need not hex-encode it).
 */
static int refuse(struct conn *c, int code, const char *reason, const char *msg)
{
	char *detail = audit_encode_nv_string("reason", reason, 0), buf[160];
	struct aud_rec rec = {.type = AUDIT_USER_ACCT,
			      .op = "rjh-connect",
			      .user = c->user,
			      .host = c->host,
			      .addr = c->peer.addr[0] ? c->peer.addr : NULL,
			      .detail = with_claim(c, detail, buf, sizeof(buf)),
			      .success = false,
			      .actor_uid = &c->who.uid};

	/* A name never enrolled is no host's history: the kernel alone keeps it. */
	record(c, &rec, code != RC_NOT_ENROLLED);
	free(detail);
	say("%s", msg);
	return code;
}

/* Decides whether c may reach c->host. RC_OK, or the refusal's exit code (already reported). */
static int authorize(struct conn *c)
{
	struct grant_ctx g = {
	    .who = {c->user, (const char *const *)c->group_names, c->ngroups},
	    .host = c->host,
	};
	struct rjh_diag d = {""};
	struct login_view lv;
	struct reg_host h;
	char msg[128], stale[400];
	const char *why;
	int rc;

	/*
	 * With several jumphosts, a grant revoked in PostgreSQL while this one
	 * was cut off must not live on for ever: past max_cache_age, no client.
	 */
	why = cache_refusal(&c->cfg, (int64_t)time(NULL), stale, sizeof(stale));
	if (why)
		return refuse(c, RC_STALE, "stale-cache", why);
	/* The login snapshot, not the registry: no lock, however long we are stopped. */
	if (login_open(&c->cfg, &lv, &d) < 0) {
		say("registry unavailable");
		return RC_REGISTRY;
	}
	rc = login_host(&lv, c->host, &h);
	if (rc == 0)
		rc = login_grants_each(&lv, grant_cb, &g);
	login_close(&lv);
	if (rc == RJH_ENOENT) {
		snprintf(msg, sizeof(msg), "%s: not enrolled", c->host);
		return refuse(c, RC_NOT_ENROLLED, "not-enrolled", msg);
	}
	if (rc < 0) {
		say("registry unavailable");
		return RC_REGISTRY;
	}
	why = policy_host_refusal(&h, (int64_t)time(NULL), NULL);
	if (why) {
		snprintf(msg, sizeof(msg), "%s: %s", c->host, why);
		return refuse(c, RC_DISABLED, why, msg);
	}
	c->host_uid = h.uid;
	if (!g.allowed) {
		snprintf(msg, sizeof(msg), "no grant for %s on %s", c->user, c->host);
		return refuse(c, RC_NO_GRANT, "no-grant", msg);
	}
	return RC_OK;
}

/*
 * Connects to the host's socket as root, following no symlink: the socket
 * file is opened O_PATH|O_NOFOLLOW inside the sock directory, must be a
 * socket owned by the host, and is connected through /proc/self/fd.
 */
static int connect_host(struct conn *c, int *fd_out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int dfd, pfd, fd;

	*fd_out = -1;
	dfd = layout_open_sock_dir(&c->cfg, c->host, NULL);
	if (dfd < 0)
		return -1;
	pfd = openat(dfd, LAYOUT_SOCKET_NAME, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (pfd < 0)
		return -1;
	if (fstat(pfd, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_uid != c->host_uid) {
		close(pfd);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", pfd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	close(pfd);
	*fd_out = fd;
	return fd < 0 ? -1 : 0;
}

/* Writes all of buf to fd (a blocking socket); 0, or -1 with errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The child: the caller again; relays once the parent says go, counting into *st. */
static void relay_child(const struct conn *c, pid_t parent, int sock, int go,
			struct relay_stats *st)
{
	ssize_t n;
	char b;
	int rc;

	if (priv_become_caller(&c->who) < 0) {
		say("cannot drop privileges: %s", strerror(errno));
		_exit(RC_INTERNAL);
	}
	/*
	 * No relay outlives the parent that records it: a caller that kills
	 * the parent anyway (its cgroup's cgroup.kill needs no signal
	 * permission) ends the connection with it. After the drop, which
	 * clears the parent-death signal; and the parent may be gone already.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		_exit(RC_INTERNAL);
	signal(SIGPIPE, SIG_IGN);
	/* Not a byte moves before the opening record: EOF here means there is none. */
	while ((n = read(go, &b, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		_exit(RC_INTERNAL);
	close(go);
	/* The line the hop read from the client goes first, as the client sent it. */
	if (c->banner_len > 0 && (write_all(sock, c->banner, (size_t)c->banner_len) < 0 ||
				  write_all(sock, "\n", 1) < 0)) {
		say("relay to %s failed: %s", c->host, strerror(errno));
		_exit(RC_INTERNAL);
	}
	rc = relay_run(STDIN_FILENO, STDOUT_FILENO, sock, st);
	if (rc < 0)
		say("relay to %s failed: %s", c->host, strerror(errno));
	_exit(rc == 0 ? RC_OK : RC_INTERNAL);
}

/*
 * Forks the relay child before anything is recorded, so that a failed fork
 * writes nothing. *st_out is a page shared with the child, where the relay
 * counts bytes as they move: the parent reads it however the child ends.
 * Sets *go_out to the pipe that lets the child start. Returns the child's
 * pid, or -1 (said why).
 */
static pid_t start_child(struct conn *c, int sock, struct relay_stats **st_out, int *go_out)
{
	struct relay_stats *st;
	pid_t pid, parent = getpid();
	int go[2];

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED || pipe2(go, O_CLOEXEC) < 0) {
		say("cannot start the relay: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		say("cannot start the relay: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(go[1]);
		aud_close(&c->aud);
		relay_child(c, parent, sock, go[0], st);
	}
	close(go[0]);
	*st_out = st;
	*go_out = go[1];
	return pid;
}

/* The parent keeps no end of the client's stream: EOF must reach sshd. */
static void detach_stdio(void)
{
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (nul >= 0) {
		dup2(nul, STDIN_FILENO);
		dup2(nul, STDOUT_FILENO);
		close(nul);
	}
}

/* Waits for pid; returns its wait status. */
/* Waits for the relay child. Returns its status, or -1 when it cannot be had (a failure). */
static int reap(pid_t pid)
{
	int status = 0;
	pid_t r;

	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	return r == pid ? status : -1;
}

/* Opens, relays in an unprivileged child, closes: the audit records around it. */
static int run(struct conn *c, int sock)
{
	struct aud_rec rec = {.type = AUDIT_USER_START,
			      .op = "rjh-connect",
			      .user = c->user,
			      .host = c->host,
			      .addr = c->peer.addr[0] ? c->peer.addr : NULL,
			      .success = true,
			      .actor_uid = &c->who.uid};
	struct relay_stats *st = NULL;
	char bytes[96], detail[160];
	int go = -1, status;
	pid_t pid;

	pid = start_child(c, sock, &st, &go);
	if (pid < 0)
		return RC_INTERNAL;
	close(sock);
	detach_stdio();
	rec.detail = with_claim(c, NULL, detail, sizeof(detail));
	if (record(c, &rec, true) < 0) {
		close(go);
		reap(pid);
		return RC_INTERNAL;
	}
	/* The child may already be gone (killed, say): its closing record follows all the same. */
	if (write(go, "g", 1) != 1)
		say("the relay ended before it started");
	close(go);
	status = reap(pid);
	snprintf(bytes, sizeof(bytes), "bytes_to_host=%llu bytes_from_host=%llu",
		 (unsigned long long)st->to_host, (unsigned long long)st->from_host);
	rec.type = AUDIT_USER_END;
	rec.detail = with_claim(c, bytes, detail, sizeof(detail));
	rec.success = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == RC_OK;
	record(c, &rec, true);
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : RC_INTERNAL;
}

/*
 * rjh-connect --version: before anything else, and with the caller's ids
 * for good first, so it reads nothing and writes nothing as root. A host
 * name never starts with '-', so it cannot be mistaken for one.
 */
static int version(void)
{
	if (setgid(getgid()) != 0 || setuid(getuid()) != 0)
		return RC_INTERNAL;
	printf("rjh-connect " RJH_VERSION " (schema %d)\n", RJH_SCHEMA_VERSION);
	return fflush(stdout) == 0 ? RC_OK : RC_INTERNAL;
}

int main(int argc, char **argv)
{
	char orig[ORIG_MAX], sshconn[ENV_MAX];
	struct conn c = {.slot = {.fd = -1}};
	struct rjh_diag d = {""};
	int rc, sock;

	if (argc == 2 && strcmp(argv[1], "--version") == 0)
		return version();
	/* The environment is the caller's: keep two values, then nothing of it. */
	env_copy("SSH_ORIGINAL_COMMAND", orig, sizeof(orig));
	env_copy("SSH_CONNECTION", sshconn, sizeof(sshconn));
	if (geteuid() != 0) {
		say("must be installed setuid root (see rjh-connect(8))");
		return RC_INTERNAL;
	}
	/* Before anything is recorded: from here on the caller cannot signal us. */
	if (priv_take(&c.who, &d) < 0) {
		say("%s", d.msg);
		return RC_INTERNAL;
	}
	if (clearenv() != 0 || setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) != 0 ||
	    sane_fds() < 0) {
		say("cannot set up: %s", strerror(errno));
		return RC_INTERNAL;
	}
	umask(077);
	rc = parse_host(argc, argv, orig, &c);
	if (rc != RC_OK)
		return rc;
	/* addr= is what sshd saw, checked in the kernel; the caller's word is only a claim. */
	peer_verify(sshconn, &c.peer);
	/* Only the system's config: a caller must not point rjh-connect at another registry. */
	if (cfg_load(CFG_DEFAULT_PATH, &c.cfg, &d) < 0) {
		say("registry unavailable: %s", d.msg);
		return RC_REGISTRY;
	}
	if (aud_open(&c.aud, &c.cfg, &d) < 0) {
		say("%s", d.msg);
		return RC_INTERNAL;
	}
	rc = caller(&c);
	if (rc == RC_OK)
		rc = authorize(&c);
	if (rc != RC_OK)
		return rc;
	if (connect_host(&c, &sock) < 0) {
		char msg[64];

		snprintf(msg, sizeof(msg), "%s is offline", c.host);
		return refuse(&c, RC_OFFLINE, "offline", msg);
	}
	return run(&c, sock);
}
