/*
 * The host policy fields of REG_HOST_POLICY (reg.h) as data. A file of its
 * own: the login path reads the fields without linking any store.
 */
#include "reg.h"

#include <stddef.h>

#define REG_HOST_FIELD(m, o, col, k, lg, en, cl, un, a, hp)                                        \
	{.opt = o,                                                                                 \
	 .column = col,                                                                            \
	 .clear = cl,                                                                              \
	 .unset = un,                                                                              \
	 .arg = a,                                                                                 \
	 .help = hp,                                                                               \
	 .kind = REG_FIELD_##k,                                                                    \
	 .login = lg,                                                                              \
	 .enroll = en,                                                                             \
	 .off = offsetof(struct reg_host, m),                                                      \
	 .size = sizeof(((struct reg_host *)0)->m)},
const struct reg_host_field reg_host_fields[REG_HOST_NPOLICY] = {REG_HOST_POLICY(REG_HOST_FIELD)};
