#include "priv.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "err.h"

/*
 * Signals the kernel delivers whoever the sender is: a terminal's keys and
 * hangup reach the whole foreground process group, and SIGPIPE comes from
 * our own writes. kill(2) checks permission; these do not.
 */
static const int tty_signals[PRIV_NSIGNALS] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTSTP,
					       SIGTTIN, SIGTTOU, SIGPIPE};

/*
 * Limits inherited from the caller through exec that could kill the parent
 * (SIGXCPU, SIGXFSZ, SIGSEGV on stack growth, SIGKILL at the hard CPU limit)
 * or make it fail between the opening and the closing record (no memory, no
 * file descriptor). CPU time counts from before exec: a caller can spend
 * all but a little of a hard limit and then start us. The parent gets at
 * least `floor` (raising a hard limit needs CAP_SYS_RESOURCE; without it a
 * caller's lowered hard limit refuses the connection, before any record).
 * RLIMIT_CORE's soft limit is set to 0.
 */
static const struct {
	int res;
	const char *name;
	rlim_t floor;
} parent_limits[PRIV_NLIMITS] = {
    {RLIMIT_CPU, "RLIMIT_CPU", RLIM_INFINITY},
    {RLIMIT_FSIZE, "RLIMIT_FSIZE", RLIM_INFINITY},
    {RLIMIT_AS, "RLIMIT_AS", RLIM_INFINITY},
    {RLIMIT_DATA, "RLIMIT_DATA", RLIM_INFINITY},
    {RLIMIT_NOFILE, "RLIMIT_NOFILE", 1024},
    {RLIMIT_STACK, "RLIMIT_STACK", 8u << 20},
    {RLIMIT_CORE, "RLIMIT_CORE", 0},
    /* A real-time policy survives exec; with it, a few µs of RLIMIT_RTTIME kill the parent. */
    {RLIMIT_RTTIME, "RLIMIT_RTTIME", RLIM_INFINITY},
};

/* The caller's real ids and supplementary groups. */
static int save_ids(struct priv_caller *c)
{
	int n;

	c->uid = getuid();
	c->gid = getgid();
	c->groups = NULL;
	c->ngroups = 0;
	n = getgroups(0, NULL);
	if (n < 0)
		return RJH_ESYS;
	if (n == 0)
		return RJH_OK;
	c->groups = calloc((size_t)n, sizeof(*c->groups));
	if (!c->groups)
		return RJH_ENOMEM;
	c->ngroups = getgroups(n, c->groups);
	return c->ngroups < 0 ? RJH_ESYS : RJH_OK;
}

/* Raises what parent_limits names, after saving the caller's values. */
static int reset_limits(struct priv_caller *c, struct rjh_diag *d)
{
	for (int i = 0; i < PRIV_NLIMITS; i++) {
		rlim_t floor = parent_limits[i].floor;
		struct rlimit l;

		if (getrlimit(parent_limits[i].res, &c->lim[i]) < 0)
			return diag_set(d, RJH_ESYS, "getrlimit: %s", strerror(errno));
		l = c->lim[i];
		if (parent_limits[i].res == RLIMIT_CORE)
			l.rlim_cur = 0;
		if (l.rlim_cur < floor)
			l.rlim_cur = floor;
		if (l.rlim_max < floor)
			l.rlim_max = floor;
		if (setrlimit(parent_limits[i].res, &l) < 0)
			return diag_set(d, RJH_ESYS,
					"cannot reset %s, which the caller lowered: %s",
					parent_limits[i].name, strerror(errno));
	}
	return RJH_OK;
}

/* Interval timers survive exec: a caller's alarm(2) would end the parent. */
static int clear_timers(void)
{
	static const int which[] = {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};
	struct itimerval zero = {{0, 0}, {0, 0}};

	for (size_t i = 0; i < sizeof(which) / sizeof(which[0]); i++)
		if (setitimer(which[i], &zero, NULL) < 0)
			return RJH_ESYS;
	return RJH_OK;
}

/*
 * oom_score_adj survives exec too, and any process may raise its own: the
 * caller could make the parent the OOM killer's first choice. Lowering it
 * back to 0 needs root, which the parent is.
 */
static int clear_oom_adj(void)
{
	char buf[16] = "";
	int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
	int rc = RJH_OK;

	if (fd < 0)
		return errno == ENOENT ? RJH_OK : RJH_ESYS;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		rc = RJH_ESYS;
	else if (atoi(buf) > 0 && write(fd, "0", 1) != 1)
		rc = RJH_ESYS;
	close(fd);
	return rc;
}

/*
 * What else the caller hands down through exec: a real-time or idle
 * scheduling policy and a nice value (SCHED_OTHER, nice 0 again; root may),
 * a blocked signal mask, and an ignored SIGCHLD, with which the relay child
 * would be reaped by the kernel and its exit status lost (waitpid: ECHILD).
 */
static int clear_inherited(void)
{
	struct sched_param sp = {.sched_priority = 0};
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;

	sigemptyset(&none);
	if (sched_setscheduler(0, SCHED_OTHER, &sp) < 0 || setpriority(PRIO_PROCESS, 0, 0) < 0 ||
	    sigprocmask(SIG_SETMASK, &none, NULL) < 0 || sigaction(SIGCHLD, &dfl, NULL) < 0)
		return RJH_ESYS;
	return RJH_OK;
}

int priv_take(struct priv_caller *c, struct rjh_diag *d)
{
	struct sigaction ign = {.sa_handler = SIG_IGN};

	if (save_ids(c) < 0)
		return diag_set(d, RJH_ENOMEM, "cannot read the caller's groups: %s",
				strerror(errno));
	/* NB. First: until this returns, the caller may still signal us. */
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return diag_set(d, RJH_ESYS, "cannot become root: %s", strerror(errno));
	for (int i = 0; i < PRIV_NSIGNALS; i++)
		if (sigaction(tty_signals[i], &ign, &c->sig[i]) < 0)
			return diag_set(d, RJH_ESYS, "sigaction: %s", strerror(errno));
	if (reset_limits(c, d) < 0)
		return RJH_ESYS;
	if (clear_timers() < 0 || clear_oom_adj() < 0 || clear_inherited() < 0)
		return diag_set(d, RJH_ESYS,
				"cannot clear timers, oom_score_adj or the scheduling policy: %s",
				strerror(errno));
	return RJH_OK;
}

/* Drops to the caller for good: groups, gid, then uid; no way back, no new privileges. */
static int drop_ids(const struct priv_caller *c)
{
	uid_t ru, eu, su;

	if (setgroups((size_t)c->ngroups, c->groups) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 ||
	    setresuid(c->uid, c->uid, c->uid) < 0)
		return -1;
	if (getresuid(&ru, &eu, &su) < 0 || ru != c->uid || eu != c->uid || su != c->uid)
		return -1;
	if (c->uid != 0 && setuid(0) == 0) {
		errno = EPERM;
		return -1;
	}
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int priv_become_caller(const struct priv_caller *c)
{
	/* The caller's limits (pam_limits, ulimit) bound the relay it runs. As root: a hard limit
	 * may rise. */
	for (int i = 0; i < PRIV_NLIMITS; i++)
		if (setrlimit(parent_limits[i].res, &c->lim[i]) < 0)
			return -1;
	if (drop_ids(c) < 0)
		return -1;
	/* ^C on the caller's terminal ends the relay, as it would any command. */
	for (int i = 0; i < PRIV_NSIGNALS; i++)
		if (sigaction(tty_signals[i], &c->sig[i], NULL) < 0)
			return -1;
	return 0;
}
