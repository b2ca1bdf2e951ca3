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

static int event_write(void *ctx, const struct aud_rec *rec, struct rjh_diag *d)
{
	return aud_event(ctx, rec, d);
}

int aud_record(struct aud *a, struct reg *r, const struct aud_rec *rec, struct rjh_diag *d)
{
	const struct aud_mirror events = {.write = event_write, .ctx = r, .undoable = true};

	return aud_write(a, rec, r ? &events : NULL, d);
}
