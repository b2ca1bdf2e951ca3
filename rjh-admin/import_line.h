/* One line of an import file, parsed without the registry (cmd_import.c, tests/fuzz). */
#ifndef RJH_ADMIN_IMPORT_LINE_H
#define RJH_ADMIN_IMPORT_LINE_H

#include <stdint.h>

#include "err.h"
#include "key.h"

/*
 * Parses line, a classic authorized_keys line whose comment names the host,
 * into k: the key as key_parse_line takes it, and a comment that is a host
 * name by syntax (name_check_host). Returns 0, RJH_EINVAL with d saying why,
 * or RJH_ENOMEM. The caller key_clear()s k whatever the result. Whether the
 * name is a system account, or the key or host already enrolled, is the
 * caller's to check.
 */
int admin_import_parse_line(const char *line, uint32_t rsa_min_bits, struct key *k,
			    struct rjh_diag *d);

#endif
