/* doctor: a check's result, which the checks fill and cmd_doctor.c reports. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "doctor.h"

void doc_problem(struct doc_result *r, enum doc_level level, const char *fmt, ...)
{
	size_t n = strlen(r->detail);
	va_list ap;

	if (n && n + 2 < sizeof(r->detail)) {
		memcpy(r->detail + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->detail + n, sizeof(r->detail) - n, fmt, ap);
	va_end(ap);
	if (level > r->level)
		r->level = level;
}

void doc_fine(struct doc_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->fine, sizeof(r->fine), fmt, ap);
	va_end(ap);
}
