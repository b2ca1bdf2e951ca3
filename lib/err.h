/* Error codes and diagnostics shared by every rjh component. */
#ifndef RJH_ERR_H
#define RJH_ERR_H

#include <stddef.h>

/* Every fallible function returns 0 or one of these (negative). */
enum rjh_err {
	RJH_OK = 0,
	RJH_EINVAL = -1,    /* the input is invalid */
	RJH_EEXIST = -2,    /* conflicts with something that exists */
	RJH_ENOENT = -3,    /* the thing asked for does not exist */
	RJH_EREGISTRY = -4, /* the registry is missing, corrupt or locked */
	RJH_ESCHEMA = -5,   /* the registry is from a newer rjh */
	RJH_ESYS = -6,      /* a system call failed */
	RJH_ENOMEM = -7,    /* out of memory */
	RJH_EAUDIT = -8,    /* kernel audit is unavailable */
	RJH_ECONFIG = -9,   /* the configuration file is invalid */
	RJH_ETRUST = -10,   /* a file has unsafe ownership or mode */
	RJH_ERANGE = -11,   /* a caller's buffer is too small */
};

/* A human sentence for a code; never NULL. */
const char *rjh_strerror(int err);

/* The detail of the last failure, for the program to print. */
struct rjh_diag {
	char msg[512];
};

/* Formats into d->msg (if d is not NULL) and returns err. */
int diag_set(struct rjh_diag *d, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
