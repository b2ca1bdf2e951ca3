#include "err.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const err_text[] = {
    [0] = "success",
    [-RJH_EINVAL] = "invalid input",
    [-RJH_EEXIST] = "conflict",
    [-RJH_ENOENT] = "not found",
    [-RJH_EREGISTRY] = "registry unavailable",
    [-RJH_ESCHEMA] = "registry is from a newer rjh",
    [-RJH_ESYS] = "system error",
    [-RJH_ENOMEM] = "out of memory",
    [-RJH_EAUDIT] = "kernel audit unavailable",
    [-RJH_ECONFIG] = "invalid configuration",
    [-RJH_ETRUST] = "unsafe file ownership or mode",
    [-RJH_ERANGE] = "buffer too small",
};

const char *rjh_strerror(int err)
{
	size_t i = (size_t)(err < 0 ? -err : err);

	if (i >= sizeof(err_text) / sizeof(err_text[0]) || !err_text[i])
		return "unknown error";
	return err_text[i];
}

int diag_set(struct rjh_diag *d, int err, const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return err;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return err;
}
