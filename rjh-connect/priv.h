/*
 * rjh-connect's two identities: a parent that is root through and through,
 * which its caller can neither signal, stop nor kill, and a relay child that
 * is the caller again.
 */
#ifndef RJH_CONNECT_PRIV_H
#define RJH_CONNECT_PRIV_H

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "err.h"

#define PRIV_NSIGNALS 7 /* the signals the kernel sends with no permission check */
#define PRIV_NLIMITS  8 /* the resource limits the parent resets */

/* What the caller brought through exec: its ids, signal dispositions and limits. */
struct priv_caller {
	uid_t uid; /* the real uid and gid: the caller */
	gid_t gid;
	gid_t *groups; /* its supplementary groups (heap, for the life of the process) */
	int ngroups;
	struct sigaction sig[PRIV_NSIGNALS];
	struct rlimit lim[PRIV_NLIMITS];
};

/*
 * Records the caller's ids, dispositions and limits in *c, then sets real,
 * effective and saved uid and gid to 0: from then on the kernel refuses the
 * caller's kill(2) (EPERM). Also ignores what the kernel sends without that
 * check (the terminal's SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGHUP,
 * and SIGPIPE), clears interval timers (they survive exec), raises the
 * limits that could kill or starve this process (CPU, FSIZE, AS, DATA,
 * NOFILE, STACK), sets RLIMIT_CORE's soft limit to 0, and clears a raised
 * oom_score_adj. NB. Call it first thing after exec, as root (euid 0).
 * Returns 0, or RJH_ENOMEM or RJH_ESYS with d saying what failed.
 */
int priv_take(struct priv_caller *c, struct rjh_diag *d);

/*
 * In the relay child: gives back the caller's limits and signal
 * dispositions, then sets supplementary groups, real, effective and saved
 * gid and uid to the caller's for good, checks that root cannot come back
 * and sets PR_SET_NO_NEW_PRIVS. Returns 0, or -1 with errno set.
 */
int priv_become_caller(const struct priv_caller *c);

#endif
