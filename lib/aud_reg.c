/*
 * The events-table half of audit (aud.h): apart from aud.c, so that a
 * program that never opens the registry (rjh-connect) does not link SQLite.
 */
#include "aud.h"

int aud_event(struct reg *r, const struct aud_rec *rec, struct rjh_diag *d)
{
	struct reg_event e;
	char detail[768];

	aud_to_event(rec, &e, detail, sizeof(detail));
	return reg_event_add(r, &e, d);
}

int aud_record(struct aud *a, struct reg *r, const struct aud_rec *rec, struct rjh_diag *d)
{
	int rc = r ? aud_event(r, rec, d) : RJH_OK;

	return rc < 0 ? rc : aud_kernel(a, rec, d);
}
