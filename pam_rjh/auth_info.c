#include "auth_info.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

int pam_rjh_auth_info_each(const char *info,
			   int (*fn)(const char *type, const char *b64, void *ctx), void *ctx)
{
	char *copy = strdup(info), *line, *save = NULL;
	int rc = RJH_ENOENT;

	if (!copy)
		return RJH_ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ls = NULL, *method = strtok_r(line, " ", &ls), *type, *b64;

		if (!method || strcmp(method, "publickey") != 0)
			continue;
		type = strtok_r(NULL, " ", &ls);
		b64 = strtok_r(NULL, " ", &ls);
		if (!type || !b64) {
			rc = RJH_EINVAL;
			break;
		}
		rc = fn(type, b64, ctx);
		if (rc != 0)
			break;
	}
	free(copy);
	return rc;
}
