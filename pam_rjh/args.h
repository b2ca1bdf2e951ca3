/* pam_rjh's module arguments. */
#ifndef RJH_PAM_ARGS_H
#define RJH_PAM_ARGS_H

#include <stdbool.h>

#include "cfg.h"

struct pam_rjh_args {
	const char *conf;     /* conf=PATH: rjh.conf (default CFG_DEFAULT_PATH) */
	bool debug;           /* debug: log each decision at LOG_DEBUG */
	bool audit_set;       /* audit= given: overrides rjh.conf's audit */
	enum cfg_audit audit; /* audit=required|best-effort|off */
	char bad[96];         /* the first argument not understood, or "" */
};

/*
 * Parses argv over the defaults. Returns 0, or -1 with out->bad naming the
 * first unknown or malformed argument (the caller fails closed for hosts).
 */
int pam_rjh_args_parse(int argc, const char **argv, struct pam_rjh_args *out);

#endif
