/* rjh-admin runtime: the runtime tree the hosts' sockets live in, swept, mounted, repaired. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "admin.h"
#include "layout.h"
#include "name.h"
#include "presence.h"
#include "publish.h"
#include "util.h"

/* An SELinux label, MLS range included, that a new tmpfs root is given. */
#define RUNTIME_LABEL_MAX 256

/* Enrolled hosts read from the registry, sorted, to tell stale directories apart. */
struct runtime_host {
	char name[NAME_HOST_SIZE];
	uint32_t uid;
};

struct runtime_ctx {
	struct admin *a;
	uint32_t gid;
	struct runtime_host *v;
	size_t n, cap, made, removed;
	size_t up, swept_hosts; /* hosts whose tunnel was up; hosts something was swept from */
	long swept;             /* entries the sweep removed */
	const char *mount;      /* what the mount phase did, for the summary; NULL: nothing */
	char label[RUNTIME_LABEL_MAX]; /* the new tmpfs root's SELinux label; "": none given */
	int failed;
};

static int cmp_host(const void *x, const void *y)
{
	return strcmp(((const struct runtime_host *)x)->name,
		      ((const struct runtime_host *)y)->name);
}

/* bsearch: a name against a host. */
static int cmp_name_host(const void *name, const void *h)
{
	return strcmp(name, ((const struct runtime_host *)h)->name);
}

static int add_host(const struct reg_host *h, void *vctx)
{
	struct runtime_ctx *ctx = vctx;

	if (util_grow(&ctx->v, &ctx->cap, ctx->n + 1, sizeof(*ctx->v), 256) < 0)
		return RJH_ENOMEM;
	snprintf(ctx->v[ctx->n].name, sizeof(ctx->v[ctx->n].name), "%s", h->name);
	ctx->v[ctx->n++].uid = h->uid;
	return 0;
}

/* Every enrolled host and the hosts group, in one short read transaction. */
static int read_hosts(struct admin *a, struct runtime_ctx *ctx)
{
	struct rjh_diag d = {""};
	struct reg *r;
	int rc;

	rc = admin_open_ro(a, &r);
	if (rc)
		return rc;
	/*
	 * At boot, after a crash: the login snapshot may lag the registry (a
	 * writer died between its commit and its snapshot). Catch up; if that
	 * fails, fail closed, and repair the tree all the same.
	 */
	if (pub_login(r, &a->cfg, false, &d) < 0) {
		admin_login_withdrawn(a, RJH_ESYS, &d);
		ctx->failed++;
	}
	/* And sshd's certificate files: without the KRL it names, sshd refuses every key. */
	if (pub_certs(r, &a->cfg, &d) < 0) {
		fprintf(stderr, "rjh-admin: runtime: %s\n", d.msg);
		ctx->failed++;
	}
	rc = reg_begin_read(r, &d);
	if (rc == 0)
		rc = reg_host_gid(r, &ctx->gid, &d);
	if (rc == 0)
		rc = reg_hosts_each(r, add_host, ctx, &d);
	reg_end_read(r);
	reg_close(r);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	qsort(ctx->v, ctx->n, sizeof(*ctx->v), cmp_host);
	return EXIT_OK;
}

/* The sweep of a host whose tunnel is up keeps every socket a process listens on. */
static bool keep_listened(const struct stat *st, void *l)
{
	return S_ISSOCK(st->st_mode) && pres_listened(l, st);
}

/*
 * Removes what hosts left in their directories (layout_sweep_host): sockets
 * of forwards that ended, which sshd never removes, and anything else. Of a
 * host whose tunnel is up, only what nobody listens on.
 */
static void sweep_hosts(struct runtime_ctx *ctx)
{
	const struct cfg *c = &ctx->a->cfg;
	struct rjh_diag d = {""};
	struct pres_listeners l;
	size_t i;
	bool up;
	int hfd, rc;

	/* No tree (or a symlink where hosts/ belongs, which the repair replaces): nothing left. */
	hfd = layout_open_hosts_dir(c, &d);
	if (hfd < 0)
		return;
	if (pres_listeners_load(&l, &d) < 0) {
		admin_fail(ctx->a, RJH_ESYS, "not sweeping: %s", d.msg);
		ctx->failed++;
		close(hfd);
		return;
	}
	for (i = 0; i < ctx->n; i++) {
		up = pres_socket_state_at(hfd, ctx->v[i].name, &l) == PRES_SOCK_LISTENING;
		rc = up ? layout_sweep_host_if(c, ctx->v[i].name, keep_listened, &l, &d)
			: layout_sweep_host(c, ctx->v[i].name, &d);
		if (rc < 0) {
			admin_fail(ctx->a, rc, "%s: %s", ctx->v[i].name, d.msg);
			ctx->failed++;
			continue;
		}
		ctx->up += up;
		ctx->swept += rc;
		ctx->swept_hosts += rc > 0;
	}
	pres_listeners_free(&l);
	close(hfd);
}

/* 1 with directory fd's SELinux label in label, 0 with "" when SELinux is off, or -1 (errno). */
static int runtime_label(int fd, char *label, size_t len)
{
	char path[64];
	struct statfs sf;
	ssize_t n;

	label[0] = '\0';
	/*
	 * Off unless selinuxfs is where libselinux looks for it. A label the
	 * directory may carry then is not asked for: it means nothing, and
	 * without SELinux tmpfs rejects rootcontext= (EINVAL).
	 */
	if (statfs("/sys/fs/selinux", &sf) < 0 || (uint32_t)sf.f_type != (uint32_t)SELINUX_MAGIC)
		return 0;
	/* fgetxattr refuses an O_PATH descriptor; its link in /proc does not. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = getxattr(path, "security.selinux", label, len - 1);
	if (n < 0)
		return -1;
	label[n] = '\0';
	/* Quoted in the mount options: a label may hold commas (MLS), never a quote. */
	if (!label[0] || strpbrk(label, "\"\\\n")) {
		label[0] = '\0';
		errno = EINVAL;
		return -1;
	}
	return 1;
}

/*
 * Mounts (flags 0) or remounts (MS_REMOUNT) the runtime tmpfs on fd, by its
 * descriptor: the directory checked is the one mounted on, whatever a path
 * would resolve to by then. A new mount's root gets label (rootcontext=)
 * unless it is "": under SELinux it would be tmpfs_t, which no rjh domain
 * may use. A remount gives none: the kernel refuses context options the
 * mount did not have, and the root keeps the label it has.
 */
static int mount_runtime(const struct cfg *c, int fd, unsigned long flags, const char *label)
{
	char target[64], opts[96 + RUNTIME_LABEL_MAX];

	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	snprintf(opts, sizeof(opts), "mode=0755,size=%llu,nr_inodes=%u%s%s%s",
		 (unsigned long long)c->runtime_size, c->runtime_inodes,
		 label[0] ? ",rootcontext=\"" : "", label, label[0] ? "\"" : "");
	return mount("rjh-runtime", target, "tmpfs", flags | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     opts);
}

/* Sockets a process listens on in the tree below rfd (RUNTIME), or an error code. */
static int live_sockets(int rfd, struct rjh_diag *d)
{
	struct pres_listeners l;
	int hfd, rc;

	hfd = openat(rfd, "hosts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (hfd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP
			   ? 0
			   : diag_set(d, RJH_ESYS, "hosts/: %s", strerror(errno));
	rc = pres_listeners_load(&l, d);
	if (rc == 0)
		rc = pres_listening_in_tree(hfd, &l, d);
	pres_listeners_free(&l);
	close(hfd);
	return rc;
}

/*
 * The source of the mount whose root fd is ("rjh-runtime" for the tmpfs
 * mount_runtime makes), from /proc/self/mountinfo by mount id. Returns 0,
 * or -1 when it cannot be told.
 */
static int mount_source(int fd, char *buf, size_t len)
{
	struct statx sx;
	char line[4096], src[256];
	FILE *f;
	int rc = -1;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID))
		return -1;
	f = fopen("/proc/self/mountinfo", "re");
	while (f && rc < 0 && fgets(line, sizeof(line), f)) {
		const char *dash = strstr(line, " - ");
		unsigned long long id;

		if (sscanf(line, "%llu", &id) == 1 && id == sx.stx_mnt_id && dash &&
		    sscanf(dash, " - %*s %255s", src) == 1) {
			snprintf(buf, len, "%s", src);
			rc = 0;
		}
	}
	if (f)
		fclose(f);
	return rc;
}

/*
 * Gives RUNTIME a tmpfs of its own, with the configured limits, so that no
 * host can fill the filesystem it would otherwise be on (the system's /run).
 * The tmpfs rjh mounted (source rjh-runtime) is remounted with the limits;
 * any other mount there is the operator's and stays (runtime_dir = /run
 * must never remount the system's /run with rjh's limits). A tree where live tunnels
 * listen is not hidden under a new mount: that waits for the next boot.
 * Returns 0, or the exit code after saying why not.
 * NB. A tunnel bound between the check and the mount is hidden until the
 * host reconnects; the boot unit runs this before sshd starts.
 */
static int mount_tree(struct runtime_ctx *ctx, int fd)
{
	struct admin *a = ctx->a;
	const struct cfg *c = &a->cfg;
	struct rjh_diag d = {""};
	struct statfs sf;
	char src[256] = "";
	int rc = admin_is_mount_root(fd);

	if (rc == 1 &&
	    (fstatfs(fd, &sf) < 0 || sf.f_type != TMPFS_MAGIC ||
	     mount_source(fd, src, sizeof(src)) < 0 || strcmp(src, "rjh-runtime") != 0)) {
		printf("runtime tree %s: a mount rjh did not make (%s): left as it is\n",
		       c->runtime_dir, src[0] ? src : "not a tmpfs");
		return EXIT_OK;
	}
	if (rc == 1) {
		if (mount_runtime(c, fd, MS_REMOUNT, "") < 0)
			return admin_fail(a, RJH_ESYS,
					  "cannot remount the tmpfs at %s with size=%llu, "
					  "nr_inodes=%u (is more in use?): %s",
					  c->runtime_dir, (unsigned long long)c->runtime_size,
					  c->runtime_inodes, strerror(errno));
		ctx->mount = "remounted";
		return EXIT_OK;
	}
	if (rc < 0)
		return admin_fail(a, RJH_ESYS, "%s: %s", c->runtime_dir, strerror(errno));
	rc = live_sockets(fd, &d);
	if (rc < 0)
		return admin_fail(a, rc, "not mounting %s: %s", c->runtime_dir, d.msg);
	if (rc > 0) {
		fprintf(
		    stderr,
		    "rjh-admin: runtime: warning: %s is not a mount of its own, and live tunnels "
		    "listen on %d socket%s in it: not hiding %s under a new tmpfs. The tree "
		    "gets a tmpfs of its own at the next boot, or when this runs while no "
		    "tunnel is up; until then what hosts leave uses the filesystem it is on.\n",
		    c->runtime_dir, rc, rc == 1 ? "" : "s", rc == 1 ? "it" : "them");
		return EXIT_OK;
	}
	/* Under SELinux the new root keeps the directory's label, which restorecon gave it. */
	if (runtime_label(fd, ctx->label, sizeof(ctx->label)) < 0)
		return admin_fail(a, RJH_ESYS,
				  "not mounting %s: cannot read its SELinux label, which the new "
				  "tmpfs root must keep: %s",
				  c->runtime_dir, strerror(errno));
	if (mount_runtime(c, fd, 0, ctx->label) < 0)
		return admin_fail(a, RJH_ESYS, "cannot mount a tmpfs on %s: %s", c->runtime_dir,
				  strerror(errno));
	ctx->mount = "mounted";
	/* fd still names the directory below the mount: empty it, so /run keeps no copy. */
	rc = layout_remove_hosts_at(fd, &d);
	return rc < 0 ? admin_fail(a, rc, "%s, below the new tmpfs: %s", c->runtime_dir, d.msg)
		      : EXIT_OK;
}

/* Opens RUNTIME (made if missing) by descriptor, following no symlink, and mounts. */
static void mount_phase(struct runtime_ctx *ctx)
{
	const struct cfg *c = &ctx->a->cfg;
	struct rjh_diag d = {""};
	int fd, rc;

	rc = util_mkdir_p(c->runtime_dir, 0755, &d);
	if (rc < 0) {
		admin_fail_diag(ctx->a, rc, &d);
		ctx->failed++;
		return;
	}
	fd = open(c->runtime_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		admin_fail(ctx->a, RJH_ESYS, "not mounting %s: %s", c->runtime_dir,
			   strerror(errno));
		ctx->failed++;
		return;
	}
	if (mount_tree(ctx, fd) != EXIT_OK)
		ctx->failed++;
	close(fd);
}

static int remove_stale(const char *name, void *vctx)
{
	struct runtime_ctx *ctx = vctx;
	struct rjh_diag d = {""};

	if (bsearch(name, ctx->v, ctx->n, sizeof(*ctx->v), cmp_name_host))
		return 0;
	if (layout_remove_host(&ctx->a->cfg, name, &d) < 0) {
		admin_fail(ctx->a, RJH_ESYS, "%s", d.msg);
		ctx->failed++;
	} else {
		ctx->removed++;
	}
	return 0;
}

/* The directory repair: every host's chroot and sock/, exact; stale ones removed. */
static int repair_tree(struct runtime_ctx *ctx)
{
	struct rjh_diag d = {""};
	size_t i;

	/* hosts/ even with no host enrolled: the listing below needs it. */
	if (layout_prepare_tree(&ctx->a->cfg, &d) < 0)
		return admin_fail_diag(ctx->a, RJH_ESYS, &d);
	for (i = 0; i < ctx->n; i++) {
		if (layout_prepare_host(&ctx->a->cfg, ctx->v[i].name, ctx->v[i].uid, ctx->gid, &d) <
		    0) {
			admin_fail(ctx->a, RJH_ESYS, "%s: %s", ctx->v[i].name, d.msg);
			ctx->failed++;
		} else {
			ctx->made++;
		}
	}
	return layout_hosts_each(&ctx->a->cfg, remove_stale, ctx, &d) < 0
		   ? admin_fail_diag(ctx->a, RJH_ESYS, &d)
		   : EXIT_OK;
}

static void print_summary(const struct runtime_ctx *ctx)
{
	const struct cfg *c = &ctx->a->cfg;

	if (ctx->mount)
		printf("runtime tree %s: %s a tmpfs of its own, size=%lluk, nr_inodes=%u%s%s\n",
		       c->runtime_dir, ctx->mount, (unsigned long long)c->runtime_size >> 10,
		       c->runtime_inodes, ctx->label[0] ? ", SELinux label " : "", ctx->label);
	printf("swept the hosts' directories: removed %ld leftover entr%s from %zu host%s "
	       "(%zu tunnel%s up: what a process listens on kept)\n",
	       ctx->swept, ctx->swept == 1 ? "y" : "ies", ctx->swept_hosts,
	       ctx->swept_hosts == 1 ? "" : "s", ctx->up, ctx->up == 1 ? "" : "s");
	printf("runtime tree %s/hosts: %zu host director%s in place, %zu stale removed\n",
	       c->runtime_dir, ctx->made, ctx->made == 1 ? "y" : "ies", ctx->removed);
}

static int cmd_runtime(struct admin *a, int argc, char **argv)
{
	bool no_mount = false;
	const struct admin_opt opts[] = {{"no-mount", NULL, &no_mount}, {0}};
	struct runtime_ctx ctx = {.a = a};
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	/* This jumphost's tree, from its own file (with store = postgresql, the cache). */
	a->local = true;
	admin_drain_spool(a);
	rc = read_hosts(a, &ctx);
	if (rc == EXIT_OK) {
		sweep_hosts(&ctx);
		if (!no_mount)
			mount_phase(&ctx);
		rc = repair_tree(&ctx);
	}
	free(ctx.v);
	if (rc != EXIT_OK)
		return rc;
	print_summary(&ctx);
	return ctx.failed ? EXIT_SYSTEM : EXIT_OK;
}

const struct admin_cmd admin_cmd_runtime = {
    "runtime",
    cmd_runtime,
    "[--no-mount]",
    "Sweep, mount and repair the runtime tree (for a boot-time unit, before sshd)",
    "Options:\n"
    "  --no-mount   leave RUNTIME's mount alone (the operator mounts it, e.g. fstab)\n\n"
    "First it mirrors what rjh-connect spooled into the events table, and brings\n"
    "the login snapshot up to the registry (after a crash between a change's\n"
    "commit and its snapshot). Then:\n"
    "1. Sweeps every host's directory: removes all but RUNTIME/hosts/NAME/sock and\n"
    "   its ssh.sock (sockets of forwards that ended, which sshd never removes);\n"
    "   of a host whose tunnel is up, only what no process listens on.\n"
    "2. Gives RUNTIME a tmpfs of its own (mode=0755,nosuid,nodev,noexec with\n"
    "   runtime_size and runtime_inodes), so no host can fill the system's /run;\n"
    "   under SELinux its root keeps RUNTIME's label (rootcontext=). A tmpfs\n"
    "   already there is remounted with those limits. If RUNTIME is no\n"
    "   mount point yet and live tunnels listen in it, it warns and leaves them\n"
    "   in sight: the tmpfs comes at the next boot, or a run with no tunnel up.\n"
    "3. Makes RUNTIME/hosts/NAME (root, 0755) and RUNTIME/hosts/NAME/sock (the\n"
    "   host, 0700) for every host, with exact owners and modes, and removes the\n"
    "   directories of hosts that are no longer enrolled.\n"
    "Never follows a symlink: one planted in the tree is removed. Idempotent.\n",
    ADMIN_POLICY_NONE};
