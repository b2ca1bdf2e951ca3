#include "args.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static bool audit_mode(const char *s, enum cfg_audit *out)
{
	static const enum cfg_audit modes[] = {CFG_AUDIT_REQUIRED, CFG_AUDIT_BEST_EFFORT,
					       CFG_AUDIT_OFF};
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(s, cfg_audit_name(modes[i])) == 0) {
			*out = modes[i];
			return true;
		}
	}
	return false;
}

int pam_rjh_args_parse(int argc, const char **argv, struct pam_rjh_args *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "debug") == 0) {
			out->debug = true;
		} else if (strncmp(a, "conf=", 5) == 0 && a[5] == '/' &&
			   strlen(a + 5) < CFG_PATH_MAX) {
			out->conf = a + 5;
		} else if (strncmp(a, "audit=", 6) == 0 && audit_mode(a + 6, &out->audit)) {
			out->audit_set = true;
		} else {
			util_safe(a, out->bad, sizeof(out->bad));
			return -1;
		}
	}
	return 0;
}
