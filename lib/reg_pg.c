/*
 * The PostgreSQL store (store = postgresql): the registry's calls (reg.h)
 * over libpq, on the tables of sql/pg/. Every statement is sent with its
 * values as parameters, never spliced into the SQL. A write transaction
 * that PostgreSQL aborted (any failed statement does) is never committed
 * in part: COMMIT then answers ROLLBACK, which is reported as a failure.
 * Inserts that may conflict use ON CONFLICT DO NOTHING, so that a refusal
 * ("already enrolled") leaves the transaction usable, as SQLite's does.
 */
#include "reg_pg.h"

#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrations.h"
#include "name.h"
#include "policy.h"
#include "reg_cols.h"
#include "reg_store.h"

/* Named the way PostgreSQL says it: "$1", not SQLite's "?1". */
#define PG_HOST_ACTIVE_SQL                                                                         \
	"(h.state = 'active' AND (h.expires IS NULL OR h.expires = 0 OR h.expires > $1))"

/* A stable key for pg_advisory_xact_lock: migrate's turn. */
#define PG_MIGRATE_LOCK 0x726a6831

struct pg_reg {
	struct reg base; /* first: the handle callers hold (reg_store.h) */
	PGconn *conn;
	bool write_tx;
	int64_t changes;
	char node[64]; /* this jumphost (cfg_node_name): its events name it */
};

/*
 * The events as rjh-admin audit shows them, from every jumphost: the one
 * that wrote each leads its detail (the SQLite store has no such column).
 */
#define PG_EVENT_COLS                                                                              \
	"time, type, op, actor_uid, actor_auid, host, fingerprint, result, CASE WHEN jumphost IS " \
	"NULL THEN detail ELSE 'jumphost=' || jumphost || coalesce(' ' || detail, '') END"

/* The values of one statement's parameters, as text; NULL is SQL NULL. */
#define PG_MAX_ARGS 16
struct pg_args {
	int n;
	const char *v[PG_MAX_ARGS];
	char num[PG_MAX_ARGS][24];
};

static void a_text(struct pg_args *a, const char *s)
{
	if (a->n < PG_MAX_ARGS)
		a->v[a->n] = s;
	a->n++;
}

static void a_int(struct pg_args *a, int64_t x)
{
	if (a->n < PG_MAX_ARGS) {
		snprintf(a->num[a->n], sizeof(a->num[a->n]), "%lld", (long long)x);
		a->v[a->n] = a->num[a->n];
	}
	a->n++;
}

/* x, or NULL when x is 0 (unset). */
static void a_int0(struct pg_args *a, int64_t x)
{
	if (x)
		a_int(a, x);
	else
		a_text(a, NULL);
}

/* "" is NULL. */
static void a_text0(struct pg_args *a, const char *s)
{
	a_text(a, s && *s ? s : NULL);
}

static struct pg_reg *pg(struct reg *store)
{
	return (struct pg_reg *)store;
}

/* The first line of libpq's message, for a one-line diagnostic. */
static const char *first_line(const char *msg, char *buf, size_t len)
{
	size_t n;

	if (!msg || !*msg)
		msg = "no detail";
	n = strcspn(msg, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, msg, n);
	buf[n] = '\0';
	return buf;
}

static int pg_fail(struct pg_reg *r, const PGresult *res, const char *what, struct rjh_diag *d)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : NULL;
	char line[300];

	if (!msg || !*msg)
		msg = PQerrorMessage(r->conn);
	first_line(msg, line, sizeof(line));
	if (PQstatus(r->conn) != CONNECTION_OK)
		return diag_set(d, RJH_EREGISTRY, "PostgreSQL: %s: the connection was lost (%s)",
				what, line);
	if (state && !strcmp(state, "23505"))
		return diag_set(d, RJH_EEXIST, "%s: %s", what, line);
	if (state && !strcmp(state, "23503"))
		return diag_set(d, RJH_ENOENT, "%s: it refers to something that does not exist",
				what);
	if (state && !strcmp(state, "25006"))
		return diag_set(d, RJH_EREGISTRY,
				"PostgreSQL: %s: the server is a read-only standby (no primary)",
				what);
	if (state && !strcmp(state, "25P02"))
		return diag_set(d, RJH_EREGISTRY,
				"PostgreSQL: %s: the change was rolled back after an error", what);
	return diag_set(d, RJH_EREGISTRY, "PostgreSQL: %s: %s", what, line);
}

/*
 * Runs sql with a's values; returns the result (the caller PQclears it) or
 * NULL with *rc set. Sets r->changes to the rows a write touched.
 */
static PGresult *run(struct pg_reg *r, const char *sql, const struct pg_args *a, const char *what,
		     struct rjh_diag *d, int *rc)
{
	PGresult *res;
	ExecStatusType st;

	if (a && a->n > PG_MAX_ARGS) {
		*rc = diag_set(d, RJH_EINVAL, "%s: too many parameters", what);
		return NULL;
	}
	/* Without parameters, the simple protocol: a migration is many statements. */
	res =
	    a ? PQexecParams(r->conn, sql, a->n, NULL, a->v, NULL, NULL, 0) : PQexec(r->conn, sql);
	st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		const char *n = PQcmdTuples(res);

		r->changes = n && *n ? strtoll(n, NULL, 10) : 0;
		*rc = RJH_OK;
		return res;
	}
	*rc = pg_fail(r, res, what, d);
	PQclear(res);
	return NULL;
}

/* run() for a statement whose rows are not needed. */
static int run_cmd(struct pg_reg *r, const char *sql, const struct pg_args *a, const char *what,
		   struct rjh_diag *d)
{
	int rc;
	PGresult *res = run(r, sql, a, what, d, &rc);

	PQclear(res);
	return rc;
}

static int64_t col_int(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void col_copy(char *dst, size_t len, const PGresult *res, int row, int col)
{
	snprintf(dst, len, "%s", PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col));
}

static const char *col_str(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/*
 * Runs sql and calls row(res, i, ctx) for each row, stopping at its first
 * negative return, which is returned. The rows are read whole first, so a
 * callback may run statements of its own.
 */
static int each_row(struct pg_reg *r, const char *sql, const struct pg_args *a,
		    int (*row)(const PGresult *res, int i, void *ctx), void *ctx, const char *what,
		    struct rjh_diag *d)
{
	int rc, i, n;
	PGresult *res = run(r, sql, a, what, d, &rc);

	if (!res)
		return rc;
	n = PQntuples(res);
	for (i = 0; i < n && rc >= 0; i++)
		rc = row(res, i, ctx);
	PQclear(res);
	return rc < 0 ? rc : RJH_OK;
}

/* One value of one row: 0, RJH_ENOENT (no row, d untouched) or an error. */
static int one_value(struct pg_reg *r, const char *sql, const struct pg_args *a, char *buf,
		     size_t len, const char *what, struct rjh_diag *d)
{
	int rc;
	PGresult *res = run(r, sql, a, what, d, &rc);

	if (!res)
		return rc;
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0))
		rc = RJH_ENOENT;
	else
		col_copy(buf, len, res, 0, 0);
	PQclear(res);
	return rc;
}

static int get_setting(struct pg_reg *r, const char *name, char *buf, size_t len,
		       struct rjh_diag *d)
{
	struct pg_args a = {0};
	int rc;

	a_text(&a, name);
	rc = one_value(r, "SELECT value FROM settings WHERE name = $1", &a, buf, len,
		       "read setting", d);
	if (rc == RJH_ENOENT)
		return diag_set(d, RJH_EREGISTRY, "PostgreSQL: setting %s is missing", name);
	return rc;
}

static int get_setting_u32(struct pg_reg *r, const char *name, uint32_t *v, struct rjh_diag *d)
{
	char buf[32];
	int rc = get_setting(r, name, buf, sizeof(buf), d);

	if (rc == 0)
		*v = (uint32_t)strtoul(buf, NULL, 10);
	return rc;
}

static int set_setting(struct pg_reg *r, const char *name, const char *value, struct rjh_diag *d)
{
	struct pg_args a = {0};

	a_text(&a, name);
	a_text(&a, value);
	return run_cmd(r,
		       "INSERT INTO settings(name, value) VALUES ($1, $2) "
		       "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
		       &a, "write setting", d);
}

static int set_setting_u64(struct pg_reg *r, const char *name, uint64_t v, struct rjh_diag *d)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return set_setting(r, name, buf, d);
}

int reg_pg_schema_version(void)
{
	return pg_migrations[pg_migrations_count - 1].version;
}

/* ---------------------------------------------------------------- opening */

static void pg_close(struct reg *store)
{
	struct pg_reg *r = pg(store);

	if (!r)
		return;
	PQfinish(r->conn);
	free(r);
}

/*
 * The schema of r's database: 0 when it has no rjh tables. *compat_out:
 * the oldest schema whose programs still work on it.
 */
static int read_schema(struct pg_reg *r, int *ver_out, int *compat_out, struct rjh_diag *d)
{
	char buf[32];
	int rc;

	*ver_out = *compat_out = 0;
	rc = one_value(r, "SELECT to_regclass('settings') IS NOT NULL", NULL, buf, sizeof(buf),
		       "read schema", d);
	if (rc < 0)
		return rc;
	if (strcmp(buf, "t"))
		return RJH_OK;
	rc = one_value(r, "SELECT value FROM settings WHERE name = 'schema'", NULL, buf,
		       sizeof(buf), "read schema", d);
	if (rc == RJH_ENOENT)
		return diag_set(d, RJH_EREGISTRY,
				"PostgreSQL: the database has a settings table but no rjh schema: "
				"not an rjh registry");
	if (rc < 0)
		return rc;
	*ver_out = atoi(buf);
	rc = one_value(r, "SELECT value FROM settings WHERE name = 'compat_schema'", NULL, buf,
		       sizeof(buf), "read schema", d);
	if (rc < 0 && rc != RJH_ENOENT)
		return rc;
	*compat_out = rc == RJH_ENOENT ? *ver_out : atoi(buf);
	if (*compat_out < 1 || *compat_out > *ver_out)
		*compat_out = *ver_out;
	return RJH_OK;
}

/*
 * Applies the missing sql/pg/ files in one transaction: create, on a
 * database without the rjh tables, also recording c's settings (RJH_EEXIST
 * if it has them); else on an existing registry only. *from_out: the schema
 * before.
 */
static int migrate(struct pg_reg *r, const struct cfg *c, bool create, int *from_out,
		   struct rjh_diag *d)
{
	struct pg_args a = {0};
	int rc, ver = 0, compat, i;
	bool fresh;

	rc = run_cmd(r, "BEGIN", NULL, "begin", d);
	if (rc < 0)
		return rc;
	/* Two migrates at once: the second waits, then finds nothing to do. */
	a_int(&a, PG_MIGRATE_LOCK);
	rc = run_cmd(r, "SELECT pg_advisory_xact_lock($1)", &a, "lock for migrate", d);
	if (rc == 0)
		rc = read_schema(r, &ver, &compat, d);
	if (rc < 0)
		goto out;
	fresh = ver == 0;
	*from_out = ver;
	if (create && !fresh) {
		rc = diag_set(d, RJH_EEXIST, "PostgreSQL already holds an rjh registry (schema %d)",
			      ver);
		goto out;
	}
	if (!create && fresh) {
		rc = diag_set(d, RJH_EREGISTRY,
			      "PostgreSQL: the database has no rjh registry (run rjh-admin init)");
		goto out;
	}
	if (compat > reg_pg_schema_version()) {
		rc = diag_set(
		    d, RJH_ESCHEMA,
		    "PostgreSQL registry schema %d is newer than this rjh understands (%d)", ver,
		    reg_pg_schema_version());
		goto out;
	}
	for (i = 0; i < pg_migrations_count; i++) {
		char num[16];

		if (pg_migrations[i].version <= ver)
			continue;
		rc = run_cmd(r, pg_migrations[i].sql, NULL, pg_migrations[i].name, d);
		snprintf(num, sizeof(num), "%d", pg_migrations[i].version);
		if (rc == 0)
			rc = set_setting(r, "schema", num, d);
		snprintf(num, sizeof(num), "%d", pg_migrations[i].compat);
		if (rc == 0)
			rc = set_setting(r, "compat_schema", num, d);
		if (rc < 0)
			goto out;
	}
	if (fresh) {
		rc = set_setting_u64(r, "uid_min", c->uid_min, d);
		if (rc == 0)
			rc = set_setting_u64(r, "uid_max", c->uid_max, d);
		if (rc == 0)
			rc = set_setting_u64(r, "next_uid", c->uid_min, d);
		if (rc == 0)
			rc = set_setting(r, "host_group", c->host_group, d);
		if (rc == 0)
			rc = set_setting_u64(r, "host_gid", c->host_gid, d);
		if (rc < 0)
			goto out;
	}
	rc = run_cmd(r, "COMMIT", NULL, "commit schema upgrade", d);
	return rc;
out:
	PQclear(PQexec(r->conn, "ROLLBACK"));
	return rc;
}

static int check_schema(struct pg_reg *r, enum reg_mode mode, struct rjh_diag *d)
{
	int ver, compat, rc = read_schema(r, &ver, &compat, d);

	if (rc < 0)
		return rc;
	if (ver == 0)
		return diag_set(
		    d, RJH_EREGISTRY,
		    "PostgreSQL: the database has no rjh registry (run rjh-admin init)");
	if (ver > reg_pg_schema_version() && compat > reg_pg_schema_version())
		return diag_set(d, RJH_ESCHEMA,
				"PostgreSQL registry schema %d is newer than this rjh understands "
				"(%d)",
				ver, reg_pg_schema_version());
	if (ver < reg_pg_schema_version() && mode != REG_RO)
		return diag_set(d, RJH_EREGISTRY,
				"PostgreSQL registry schema %d needs an upgrade to %d (run "
				"rjh-admin migrate)",
				ver, reg_pg_schema_version());
	return RJH_OK;
}

extern const struct reg_ops reg_pg_ops;

/* Connects: to the primary unless mode is REG_RO. */
static int pg_connect(const struct cfg *c, enum reg_mode mode, const char *name,
		      struct pg_reg **out, struct rjh_diag *d)
{
	/*
	 * Later keywords win: the defaults come before the operator's
	 * conninfo (a connect_timeout there is kept), and a writer's
	 * target_session_attrs after it. Without a timeout libpq would wait
	 * for an unreachable node as long as TCP does; tcp_user_timeout ends a
	 * statement whose server vanished mid-command.
	 */
	const char *keys[] = {"connect_timeout",
			      "tcp_user_timeout",
			      "keepalives_idle",
			      "application_name",
			      "dbname",
			      "target_session_attrs",
			      NULL};
	const char *vals[] = {"3", "5000", "5", name, c->conninfo, "read-write", NULL};
	struct pg_reg *r;
	char line[300];
	int rc;

	*out = NULL;
	if (!c->conninfo[0])
		return diag_set(d, RJH_ECONFIG, "store = postgresql needs conninfo in rjh.conf");
	r = calloc(1, sizeof(*r));
	if (!r)
		return diag_set(d, RJH_ENOMEM, "out of memory");
	r->base.ops = &reg_pg_ops;
	cfg_node_name(c, r->node, sizeof(r->node));
	if (mode == REG_RO)
		keys[5] = NULL; /* the conninfo's own choice: a standby will do */
	r->conn = PQconnectdbParams(keys, vals, 1);
	if (!r->conn || PQstatus(r->conn) != CONNECTION_OK) {
		first_line(r->conn ? PQerrorMessage(r->conn) : "out of memory", line, sizeof(line));
		rc = diag_set(d, RJH_EREGISTRY, "PostgreSQL: no %s reachable (%s)",
			      mode == REG_RO ? "server" : "primary", line);
		pg_close(&r->base);
		return rc;
	}
	*out = r;
	return RJH_OK;
}

int reg_pg_open(const struct cfg *c, enum reg_mode mode, const char *name, struct reg **out,
		struct rjh_diag *d)
{
	struct pg_reg *r;
	int rc = pg_connect(c, mode, name, &r, d), from;

	*out = NULL;
	if (rc < 0)
		return rc;
	rc = mode == REG_CREATE ? migrate(r, c, true, &from, d) : check_schema(r, mode, d);
	if (rc < 0) {
		pg_close(&r->base);
		return rc;
	}
	*out = &r->base;
	return RJH_OK;
}

int reg_pg_migrate(const struct cfg *c, int *from_out, struct rjh_diag *d)
{
	struct pg_reg *r;
	int rc = pg_connect(c, REG_RW, "rjh-admin", &r, d);

	*from_out = 0;
	if (rc < 0)
		return rc;
	rc = migrate(r, c, false, from_out, d);
	pg_close(&r->base);
	return rc;
}

int reg_pg_info(struct reg *store, int *schema_out, bool *standby_out, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	char buf[8];
	int compat, rc = read_schema(r, schema_out, &compat, d);

	if (rc == 0)
		rc = one_value(r, "SELECT pg_is_in_recovery()", NULL, buf, sizeof(buf),
			       "read the server's role", d);
	if (rc == 0)
		*standby_out = !strcmp(buf, "t");
	return rc;
}

/* ------------------------------------------------------------ transactions */

static int pg_begin(struct reg *store, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	int rc = run_cmd(r, "BEGIN", NULL, "begin", d);

	r->write_tx = rc == 0;
	return rc;
}

static void pg_rollback(struct reg *store)
{
	struct pg_reg *r = pg(store);

	r->write_tx = false;
	if (PQtransactionStatus(r->conn) != PQTRANS_IDLE)
		PQclear(PQexec(r->conn, "ROLLBACK"));
}

static int pg_commit(struct reg *store, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	PGresult *res = PQexec(r->conn, "COMMIT");
	ExecStatusType st = PQresultStatus(res);
	const char *tag = PQcmdStatus(res);
	char line[300];
	int rc = RJH_OK;

	if (st == PGRES_COMMAND_OK && tag && !strcmp(tag, "COMMIT")) {
		rc = RJH_OK;
	} else if (PQstatus(r->conn) != CONNECTION_OK) {
		/* The COMMIT may have been applied, or not: nobody can tell from here. */
		first_line(PQerrorMessage(r->conn), line, sizeof(line));
		rc = diag_set(d, RJH_EREGISTRY,
			      "PostgreSQL: the connection was lost at commit (%s): the change may "
			      "or may not have been made; running the command again is safe",
			      line);
	} else if (st == PGRES_COMMAND_OK) {
		rc = diag_set(d, RJH_EREGISTRY,
			      "PostgreSQL: the change was rolled back after an error");
	} else {
		rc = pg_fail(r, res, "commit", d);
	}
	PQclear(res);
	r->write_tx = false;
	if (rc < 0)
		pg_rollback(store);
	return rc;
}

static int pg_begin_read(struct reg *store, struct rjh_diag *d)
{
	/* One snapshot for every statement of the read, as SQLite's BEGIN gives. */
	return run_cmd(pg(store), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL, "begin",
		       d);
}

static void pg_end_read(struct reg *store)
{
	pg_rollback(store);
}

/* --------------------------------------------------------------- settings */

static int pg_settings(struct reg *store, uint32_t *uid_min, uint32_t *uid_max, uint32_t *next_uid,
		       char *group, size_t grouplen, uint32_t *gid, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	int rc = get_setting_u32(r, "uid_min", uid_min, d);

	if (rc == 0)
		rc = get_setting_u32(r, "uid_max", uid_max, d);
	if (rc == 0)
		rc = get_setting_u32(r, "next_uid", next_uid, d);
	if (rc == 0)
		rc = get_setting(r, "host_group", group, grouplen, d);
	if (rc == 0)
		rc = get_setting_u32(r, "host_gid", gid, d);
	return rc;
}

static int pg_host_gid(struct reg *store, uint32_t *gid, struct rjh_diag *d)
{
	return get_setting_u32(pg(store), "host_gid", gid, d);
}

static int pg_ident_generation(struct reg *store, uint64_t *gen_out, struct rjh_diag *d)
{
	char buf[32];
	struct pg_args a = {0};
	int rc;

	a_text(&a, "generation");
	rc = one_value(pg(store), "SELECT value FROM settings WHERE name = $1", &a, buf,
		       sizeof(buf), "read setting", d);
	*gen_out = rc == 0 ? strtoull(buf, NULL, 10) : 0;
	return rc == RJH_ENOENT ? RJH_OK : rc;
}

static int pg_ident_changed(struct reg *store, uint64_t *gen_out, struct rjh_diag *d)
{
	uint64_t gen;
	int rc = pg_ident_generation(store, &gen, d);

	if (rc < 0)
		return rc;
	*gen_out = gen + 1;
	return set_setting_u64(pg(store), "generation", gen + 1, d);
}

/* ------------------------------------------------------------------ hosts */

static void row_host(const PGresult *res, int i, struct reg_host *h)
{
	const char *state = col_str(res, i, 3);
	int f;

	memset(h, 0, sizeof(*h));
	h->id = col_int(res, i, 0);
	col_copy(h->name, sizeof(h->name), res, i, 1);
	h->uid = (uint32_t)col_int(res, i, 2);
	h->disabled = !state || strcmp(state, "active") != 0;
	h->created = col_int(res, i, 4);
	h->updated = col_int(res, i, 5);
	for (f = 0; f < REG_HOST_NPOLICY; f++) {
		const struct reg_host_field *fl = &reg_host_fields[f];

		if (fl->kind == REG_FIELD_TIME)
			*(int64_t *)REG_HOST_AT(h, fl) = col_int(res, i, HOST_FIXED_COLS + f);
		else
			col_copy(REG_HOST_AT(h, fl), fl->size, res, i, HOST_FIXED_COLS + f);
	}
}

static void row_host_nkeys(const PGresult *res, int i, struct reg_host *h)
{
	row_host(res, i, h);
	h->nkeys = (int)col_int(res, i, HOST_NCOLS);
}

/* Each policy field of h in REG_HOST_POLICY's order; unset (0, "") is NULL. */
static void a_policy(struct pg_args *a, const struct reg_host *h)
{
	int f;

	for (f = 0; f < REG_HOST_NPOLICY; f++) {
		const struct reg_host_field *fl = &reg_host_fields[f];
		const void *v = REG_HOST_AT_CONST(h, fl);

		if (fl->kind == REG_FIELD_TIME)
			a_int0(a, *(const int64_t *)v);
		else
			a_text0(a, v);
	}
}

/*
 * SQL with the policy columns in it: "INSERT ... (cols) VALUES ($k...)" or
 * "UPDATE ... SET col = $k, ...", numbered from first. Built once.
 */
static const char *policy_sql(char *buf, size_t len, const char *head, bool set, int first,
			      const char *tail)
{
	size_t at;
	int f;

	if (buf[0])
		return buf;
	at = (size_t)snprintf(buf, len, "%s", head);
	for (f = 0; f < REG_HOST_NPOLICY && at < len; f++)
		at += (size_t)snprintf(buf + at, len - at, set ? ", %s = $%d" : ", %s",
				       reg_host_fields[f].column, first + f);
	if (!set && at < len) {
		at += (size_t)snprintf(buf + at, len - at, ") VALUES ($1, $2, 'active', $3, $3");
		for (f = 0; f < REG_HOST_NPOLICY && at < len; f++)
			at += (size_t)snprintf(buf + at, len - at, ", $%d", first + f);
	}
	if (at < len)
		snprintf(buf + at, len - at, "%s", tail);
	return buf;
}

static int pg_host_get(struct reg *store, const char *name, struct reg_host *out,
		       struct rjh_diag *d)
{
	struct pg_args a = {0};
	int rc;
	PGresult *res;

	a_text(&a, name);
	res = run(pg(store),
		  "SELECT " HOST_COLS ", " HOST_NKEYS("h.") " FROM hosts h WHERE name = $1", &a,
		  "read host", d, &rc);
	if (!res)
		return rc;
	if (PQntuples(res) == 1)
		row_host_nkeys(res, 0, out);
	else
		rc = diag_set(d, RJH_ENOENT, "host %s is not enrolled", name);
	PQclear(res);
	return rc;
}

static int pg_host_add(struct reg *store, const struct reg_host *in, int64_t now,
		       struct reg_host *out, struct rjh_diag *d)
{
	static char sql[1024];
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	char buf[32];
	uint32_t uid_max = 0, uid;
	int rc;
	PGresult *res;

	/* FOR UPDATE: two enrolls at once take turns for the next uid. */
	rc = one_value(r, "SELECT value FROM settings WHERE name = 'next_uid' FOR UPDATE", NULL,
		       buf, sizeof(buf), "allocate a uid", d);
	if (rc == RJH_ENOENT)
		rc = diag_set(d, RJH_EREGISTRY, "PostgreSQL: setting next_uid is missing");
	if (rc == 0)
		rc = get_setting_u32(r, "uid_max", &uid_max, d);
	if (rc < 0)
		return rc;
	uid = (uint32_t)strtoul(buf, NULL, 10);
	if (uid > uid_max || uid == 0)
		return diag_set(d, RJH_EEXIST, "the uid range is exhausted (next uid %u, max %u)",
				uid, uid_max);
	a_text(&a, in->name);
	a_int(&a, uid);
	a_int(&a, now);
	a_policy(&a, in);
	res =
	    run(r,
		policy_sql(sql, sizeof(sql), "INSERT INTO hosts(name, uid, state, created, updated",
			   false, 4, ") ON CONFLICT DO NOTHING RETURNING id"),
		&a, "add host", d, &rc);
	if (!res)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return diag_set(d, RJH_EEXIST, "host %s is already enrolled", in->name);
	}
	if (out) {
		*out = *in;
		out->id = col_int(res, 0, 0);
		out->uid = uid;
		out->disabled = false;
		out->created = out->updated = now;
		out->nkeys = 0;
	}
	PQclear(res);
	return set_setting_u64(r, "next_uid", (uint64_t)uid + 1, d);
}

static int pg_host_set_disabled(struct reg *store, int64_t host_id, bool disabled, int64_t now,
				struct rjh_diag *d)
{
	struct pg_args a = {0};

	a_int(&a, host_id);
	a_text(&a, disabled ? "disabled" : "active");
	a_int(&a, now);
	return run_cmd(pg(store), "UPDATE hosts SET state = $2, updated = $3 WHERE id = $1", &a,
		       "update host", d);
}

static int pg_host_set_policy(struct reg *store, const struct reg_host *h, int64_t now,
			      struct rjh_diag *d)
{
	static char sql[1024];
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	int rc;

	a_int(&a, h->id);
	a_int(&a, now);
	a_policy(&a, h);
	rc = run_cmd(r,
		     policy_sql(sql, sizeof(sql), "UPDATE hosts SET updated = $2", true, 3,
				" WHERE id = $1"),
		     &a, "update host", d);
	if (rc == 0 && r->changes == 0)
		rc = diag_set(d, RJH_ENOENT, "host %s is not enrolled", h->name);
	return rc;
}

static int pg_host_remove(struct reg *store, const struct reg_host *h, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	int64_t grants;
	int rc;

	/* A grant naming exactly this host must not carry over to a future namesake. */
	a_text(&a, h->name);
	rc = run_cmd(r, "DELETE FROM grants WHERE pattern = $1", &a, "remove grants", d);
	if (rc < 0)
		return rc;
	grants = r->changes;
	/* Nor may its certificates: a name enrolled again starts with none. */
	rc = run_cmd(r,
		     "UPDATE certs SET revoked = extract(epoch FROM now())::bigint WHERE host = $1 "
		     "AND revoked IS NULL",
		     &a, "revoke the host's certificates", d);
	if (rc < 0)
		return rc;
	a.n = 0;
	a_int(&a, h->id);
	rc = run_cmd(r, "DELETE FROM hosts WHERE id = $1", &a, "remove host", d);
	return rc < 0 ? rc : (int)grants;
}

struct host_walk {
	reg_host_cb cb;
	void *ctx;
};

static int host_row(const PGresult *res, int i, void *p)
{
	const struct host_walk *w = p;
	struct reg_host h;

	row_host_nkeys(res, i, &h);
	return w->cb(&h, w->ctx);
}

static int pg_hosts_each(struct reg *store, reg_host_cb cb, void *ctx, struct rjh_diag *d)
{
	struct host_walk w = {cb, ctx};

	return each_row(pg(store),
			"SELECT " HOST_COLS ", " HOST_NKEYS("h.") " FROM hosts h ORDER BY name",
			NULL, host_row, &w, "list hosts", d);
}

static int64_t pg_count(struct reg *store, const char *table)
{
	static const char *const ok[] = {"hosts",    "keys",   "grants",
					 "sessions", "events", "host_keys"};
	char sql[64], buf[32];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]) && strcmp(ok[i], table); i++)
		;
	if (i == sizeof(ok) / sizeof(ok[0]))
		return -1;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", ok[i]);
	if (one_value(pg(store), sql, NULL, buf, sizeof(buf), "count", NULL) < 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

struct ident_walk {
	reg_ident_cb cb;
	void *ctx;
};

static int idents_row(const PGresult *res, int i, void *p)
{
	const struct ident_walk *w = p;

	return w->cb(PQgetvalue(res, i, 0), (uint32_t)col_int(res, i, 1), w->ctx);
}

static int pg_idents_each(struct reg *store, reg_ident_cb cb, void *ctx, struct rjh_diag *d)
{
	struct ident_walk w = {cb, ctx};

	return each_row(pg(store), "SELECT name, uid FROM hosts ORDER BY name", NULL, idents_row,
			&w, "read hosts", d);
}

/* ------------------------------------------------------------------- keys */

static void row_key(const PGresult *res, int i, struct reg_key *k)
{
	memset(k, 0, sizeof(*k));
	k->id = col_int(res, i, 0);
	k->host_id = col_int(res, i, 1);
	col_copy(k->host, sizeof(k->host), res, i, 2);
	col_copy(k->type, sizeof(k->type), res, i, 3);
	col_copy(k->b64, sizeof(k->b64), res, i, 4);
	col_copy(k->fp, sizeof(k->fp), res, i, 5);
	col_copy(k->comment, sizeof(k->comment), res, i, 6);
	k->created = col_int(res, i, 7);
	k->expires = col_int(res, i, 8);
	k->revoked = col_int(res, i, 9);
}

/* The host that holds fingerprint fp in table ("keys" or "host_keys"), or "". */
static void owner_of(struct pg_reg *r, const char *table, const char *fp, char *buf, size_t len)
{
	char sql[128];
	struct pg_args a = {0};

	buf[0] = '\0';
	a_text(&a, fp);
	snprintf(
	    sql, sizeof(sql),
	    "SELECT h.name FROM %s t JOIN hosts h ON h.id = t.host_id WHERE t.fingerprint = $1",
	    table);
	if (one_value(r, sql, &a, buf, len, "find owner", NULL) < 0)
		buf[0] = '\0';
}

static int pg_key_add(struct reg *store, int64_t host_id, const struct key *k, const char *comment,
		      int64_t expires, int64_t now, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	char owner[NAME_HOST_SIZE];
	int rc;

	a_int(&a, host_id);
	a_text(&a, k->type);
	a_text(&a, k->b64);
	a_text(&a, k->fp);
	a_text(&a, comment ? comment : k->comment);
	a_int(&a, now);
	a_int0(&a, expires);
	rc = run_cmd(r,
		     "INSERT INTO keys(host_id, algorithm, blob, fingerprint, comment, created, "
		     "expires) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
		     &a, "add key", d);
	if (rc < 0 || r->changes == 1)
		return rc;
	owner_of(r, "keys", k->fp, owner, sizeof(owner));
	return diag_set(d, RJH_EEXIST, "key %s is already enrolled for host %s", k->fp, owner);
}

static int pg_key_find(struct reg *store, const char *fp, struct reg_key *out, struct rjh_diag *d)
{
	struct pg_args a = {0};
	int rc;
	PGresult *res;

	a_text(&a, fp);
	res = run(pg(store), "SELECT " KEY_COLS " " KEY_FROM " WHERE k.fingerprint = $1", &a,
		  "find key", d, &rc);
	if (!res)
		return rc;
	if (PQntuples(res) == 1)
		row_key(res, 0, out);
	else
		rc = diag_set(d, RJH_ENOENT, "key %s is not enrolled", fp);
	PQclear(res);
	return rc;
}

static int pg_key_revoke(struct reg *store, int64_t key_id, int64_t now, struct rjh_diag *d)
{
	struct pg_args a = {0};

	a_int(&a, key_id);
	a_int(&a, now);
	return run_cmd(pg(store), "UPDATE keys SET revoked = $2 WHERE id = $1", &a, "revoke key",
		       d);
}

struct key_walk {
	reg_key_cb cb;
	void *ctx;
	struct reg_key k; /* 8 KiB: the walk is on the heap */
};

static int key_row(const PGresult *res, int i, void *p)
{
	struct key_walk *w = p;

	row_key(res, i, &w->k);
	return w->cb(&w->k, w->ctx);
}

static int pg_keys_each(struct reg *store, int64_t host_id, reg_key_cb cb, void *ctx,
			struct rjh_diag *d)
{
	struct key_walk *w = malloc(sizeof(*w));
	struct pg_args a = {0};
	int rc;

	if (!w)
		return diag_set(d, RJH_ENOMEM, "out of memory");
	w->cb = cb;
	w->ctx = ctx;
	if (host_id) {
		a_int(&a, host_id);
		rc = each_row(pg(store),
			      "SELECT " KEY_COLS " " KEY_FROM " WHERE k.host_id = $1 ORDER BY k.id",
			      &a, key_row, w, "list keys", d);
	} else {
		rc = each_row(pg(store), "SELECT " KEY_COLS " " KEY_FROM " ORDER BY h.name, k.id",
			      NULL, key_row, w, "list keys", d);
	}
	free(w);
	return rc;
}

/* -------------------------------------------------------------- host keys */

static int pg_host_key_add(struct reg *store, int64_t host_id, const struct key *k, int64_t now,
			   struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	char owner[NAME_HOST_SIZE];
	int rc;

	a_int(&a, host_id);
	a_text(&a, k->type);
	a_text(&a, k->b64);
	a_text(&a, k->fp);
	a_int(&a, now);
	rc = run_cmd(r,
		     "INSERT INTO host_keys(host_id, algorithm, blob, fingerprint, created) "
		     "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
		     &a, "add host key", d);
	if (rc < 0 || r->changes == 1)
		return rc;
	/* Two UNIQUE constraints: the fingerprint anywhere, or the algorithm on this host. */
	owner_of(r, "host_keys", k->fp, owner, sizeof(owner));
	if (owner[0])
		return diag_set(d, RJH_EEXIST, "host key %s is already recorded for host %s", k->fp,
				owner);
	return diag_set(d, RJH_EEXIST, "the host has a %s host key already", k->type);
}

static int pg_host_keys_clear(struct reg *store, int64_t host_id, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	int rc;

	a_int(&a, host_id);
	rc = run_cmd(r, "DELETE FROM host_keys WHERE host_id = $1", &a, "clear host keys", d);
	return rc < 0 ? rc : (int)r->changes;
}

static void row_host_key(const PGresult *res, int i, struct reg_host_key *k)
{
	memset(k, 0, sizeof(*k));
	k->id = col_int(res, i, 0);
	k->host_id = col_int(res, i, 1);
	col_copy(k->host, sizeof(k->host), res, i, 2);
	col_copy(k->type, sizeof(k->type), res, i, 3);
	col_copy(k->b64, sizeof(k->b64), res, i, 4);
	col_copy(k->fp, sizeof(k->fp), res, i, 5);
	k->created = col_int(res, i, 6);
}

struct host_key_walk {
	reg_host_key_cb cb;
	void *ctx;
	struct reg_host_key k;
};

static int host_key_row(const PGresult *res, int i, void *p)
{
	struct host_key_walk *w = p;

	row_host_key(res, i, &w->k);
	return w->cb(&w->k, w->ctx);
}

static int host_keys_walk(struct pg_reg *r, const char *sql, const struct pg_args *a,
			  reg_host_key_cb cb, void *ctx, struct rjh_diag *d)
{
	struct host_key_walk *w = malloc(sizeof(*w));
	int rc;

	if (!w)
		return diag_set(d, RJH_ENOMEM, "out of memory");
	w->cb = cb;
	w->ctx = ctx;
	rc = each_row(r, sql, a, host_key_row, w, "list host keys", d);
	free(w);
	return rc;
}

static int pg_host_keys_each(struct reg *store, int64_t host_id, reg_host_key_cb cb, void *ctx,
			     struct rjh_diag *d)
{
	struct pg_args a = {0};

	if (!host_id)
		return host_keys_walk(pg(store),
				      "SELECT " HOST_KEY_COLS " FROM host_keys hk JOIN hosts h ON "
				      "h.id = hk.host_id ORDER BY h.name, hk.id",
				      NULL, cb, ctx, d);
	a_int(&a, host_id);
	return host_keys_walk(pg(store),
			      "SELECT " HOST_KEY_COLS " FROM host_keys hk JOIN hosts h ON "
			      "h.id = hk.host_id WHERE hk.host_id = $1 ORDER BY hk.id",
			      &a, cb, ctx, d);
}

static int pg_known_hosts_each(struct reg *store, int64_t now, reg_host_key_cb cb, void *ctx,
			       int64_t *missing_out, struct rjh_diag *d)
{
	struct pg_args a = {0};
	char buf[32];
	int rc;

	a_int(&a, now);
	rc = one_value(pg(store),
		       "SELECT count(*) FROM hosts h WHERE " PG_HOST_ACTIVE_SQL
		       " AND NOT EXISTS (SELECT 1 FROM host_keys hk WHERE hk.host_id = h.id)",
		       &a, buf, sizeof(buf), "count hosts without host keys", d);
	*missing_out = rc == 0 ? strtoll(buf, NULL, 10) : 0;
	if (rc < 0)
		return rc;
	return host_keys_walk(pg(store),
			      "SELECT " HOST_KEY_COLS " FROM hosts h JOIN host_keys hk ON "
			      "hk.host_id = h.id WHERE " PG_HOST_ACTIVE_SQL
			      " ORDER BY h.name, hk.id",
			      &a, cb, ctx, d);
}

/* ----------------------------------------------------------------- grants */

static int pg_grant_add(struct reg *store, const char *principal, const char *pattern, int64_t now,
			struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	int rc;

	a_text(&a, principal);
	a_text(&a, pattern);
	a_int(&a, now);
	rc = run_cmd(r,
		     "INSERT INTO grants(principal, pattern, created) VALUES ($1, $2, $3) "
		     "ON CONFLICT DO NOTHING",
		     &a, "add grant", d);
	if (rc == 0 && r->changes == 0)
		rc = diag_set(d, RJH_EEXIST, "%s already has a grant on %s", principal, pattern);
	return rc;
}

static int pg_grant_del(struct reg *store, const char *principal, const char *pattern,
			struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	int rc;

	a_text(&a, principal);
	a_text(&a, pattern);
	rc = run_cmd(r, "DELETE FROM grants WHERE principal = $1 AND pattern = $2", &a,
		     "remove grant", d);
	if (rc == 0 && r->changes == 0)
		rc = diag_set(d, RJH_ENOENT, "%s has no grant on %s", principal, pattern);
	return rc;
}

struct grant_walk {
	reg_grant_cb cb;
	void *ctx;
};

static int grant_row(const PGresult *res, int i, void *p)
{
	const struct grant_walk *w = p;
	struct reg_grant g;

	col_copy(g.principal, sizeof(g.principal), res, i, 0);
	col_copy(g.pattern, sizeof(g.pattern), res, i, 1);
	g.created = col_int(res, i, 2);
	return w->cb(&g, w->ctx);
}

static int pg_grants_each(struct reg *store, reg_grant_cb cb, void *ctx, struct rjh_diag *d)
{
	struct grant_walk w = {cb, ctx};

	return each_row(
	    pg(store), "SELECT principal, pattern, created FROM grants ORDER BY principal, pattern",
	    NULL, grant_row, &w, "list grants", d);
}

/* --------------------------------------------------------------- sessions */

static void row_session(const PGresult *res, int i, int c0, struct reg_session *out)
{
	memset(out, 0, sizeof(*out));
	out->id = col_int(res, i, c0);
	col_copy(out->host, sizeof(out->host), res, i, c0 + 1);
	out->uid = (uint32_t)col_int(res, i, c0 + 2);
	col_copy(out->fp, sizeof(out->fp), res, i, c0 + 3);
	col_copy(out->source, sizeof(out->source), res, i, c0 + 4);
	out->pid = col_int(res, i, c0 + 5);
	out->pid_start = col_int(res, i, c0 + 6);
	out->started = col_int(res, i, c0 + 7);
	out->ended = col_int(res, i, c0 + 8);
	col_copy(out->end_reason, sizeof(out->end_reason), res, i, c0 + 9);
	col_copy(out->cert, sizeof(out->cert), res, i, c0 + 10);
}

struct session_walk {
	reg_session_cb cb;
	void *ctx;
};

static int session_row(const PGresult *res, int i, void *p)
{
	const struct session_walk *w = p;
	struct reg_session se;

	row_session(res, i, 0, &se);
	return w->cb(&se, w->ctx);
}

static int pg_sessions_each(struct reg *store, reg_session_cb cb, void *ctx, struct rjh_diag *d)
{
	struct session_walk w = {cb, ctx};

	return each_row(pg(store), "SELECT " SESSION_COLS("") " FROM sessions ORDER BY id", NULL,
			session_row, &w, "list sessions", d);
}

static int pg_sessions_host_each(struct reg *store, const char *host, bool open_only, int limit,
				 reg_session_cb cb, void *ctx, struct rjh_diag *d)
{
	struct session_walk w = {cb, ctx};
	struct pg_args a = {0};

	a_text(&a, host);
	if (open_only)
		return each_row(pg(store),
				"SELECT " SESSION_COLS("") " FROM sessions WHERE host = $1 AND "
							   "ended IS NULL ORDER BY id",
				&a, session_row, &w, "list sessions", d);
	if (limit > 0)
		a_int(&a, limit);
	else
		a_text(&a, NULL); /* LIMIT NULL: all */
	return each_row(pg(store),
			"SELECT " SESSION_COLS("") " FROM sessions WHERE host = $1 "
						   "ORDER BY started DESC, id DESC LIMIT $2",
			&a, session_row, &w, "list sessions", d);
}

static int pg_session_last(struct reg *store, const char *host, struct reg_session *out,
			   struct rjh_diag *d)
{
	struct pg_args a = {0};
	int rc;
	PGresult *res;

	a_text(&a, host);
	res = run(pg(store),
		  "SELECT " SESSION_COLS("") " FROM sessions WHERE host = $1 "
					     "ORDER BY started DESC, id DESC LIMIT 1",
		  &a, "read sessions", d, &rc);
	if (!res)
		return rc;
	if (PQntuples(res) == 1)
		row_session(res, 0, 0, out);
	else
		rc = RJH_ENOENT;
	PQclear(res);
	return rc;
}

struct presence_walk {
	reg_presence_cb cb;
	void *ctx;
};

static int presence_row(const PGresult *res, int i, void *p)
{
	const struct presence_walk *w = p;
	bool have = !PQgetisnull(res, i, HOST_NCOLS + 1);
	struct reg_session se;
	struct reg_host h;

	row_host_nkeys(res, i, &h);
	if (have)
		row_session(res, i, HOST_NCOLS + 1, &se);
	return w->cb(&h, have ? &se : NULL, w->ctx);
}

/* Across every jumphost: a host's newest open session, else its newest. */
static int pg_presence_each(struct reg *store, reg_presence_cb cb, void *ctx, struct rjh_diag *d)
{
	struct presence_walk w = {cb, ctx};

	return each_row(pg(store),
			"SELECT " HOST_COLS ", " HOST_NKEYS("h.") ", " SESSION_COLS(
			    "s.") " FROM hosts h LEFT JOIN sessions s ON s.id = coalesce("
				  "(SELECT id FROM sessions WHERE host = h.name AND ended IS NULL "
				  "ORDER BY started DESC, id DESC LIMIT 1), "
				  "(SELECT id FROM sessions WHERE host = h.name ORDER BY started "
				  "DESC, id DESC LIMIT 1)) ORDER BY h.name",
			NULL, presence_row, &w, "list presence", d);
}

/* ----------------------------------------------------------------- events */

static int64_t pg_changes(struct reg *store)
{
	return pg(store)->changes;
}

static void a_event(struct pg_args *a, const struct reg_event *e)
{
	a_int(a, e->time);
	a_text(a, e->type);
	a_text(a, e->op);
	a_int(a, e->actor_uid);
	if (e->actor_auid != (uint32_t)-1)
		a_int(a, e->actor_auid);
	else
		a_text(a, NULL);
	a_text(a, e->host);
	a_text(a, e->fp);
	a_text(a, e->success ? "success" : "failed");
	a_text(a, e->detail);
	a_text(a, e->origin);
}

static int pg_event_add(struct reg *store, const struct reg_event *e, struct rjh_diag *d)
{
	struct pg_args a = {0};

	a_event(&a, e);
	a_text(&a, pg(store)->node);
	return run_cmd(
	    pg(store),
	    "INSERT INTO events(time, type, op, actor_uid, actor_auid, host, fingerprint, "
	    "result, detail, origin, jumphost) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
	    "$11) ON CONFLICT (origin) DO NOTHING",
	    &a, "record event", d);
}

struct event_walk {
	reg_event_cb cb;
	void *ctx;
};

static int event_row(const PGresult *res, int i, void *p)
{
	const struct event_walk *w = p;
	const char *result = col_str(res, i, 7);
	struct reg_event e = {0};

	e.time = col_int(res, i, 0);
	e.type = col_str(res, i, 1);
	e.op = col_str(res, i, 2);
	e.actor_uid = (uint32_t)col_int(res, i, 3);
	e.actor_auid = PQgetisnull(res, i, 4) ? (uint32_t)-1 : (uint32_t)col_int(res, i, 4);
	e.host = col_str(res, i, 5);
	e.fp = col_str(res, i, 6);
	e.success = result && !strcmp(result, "success");
	e.detail = col_str(res, i, 8);
	return w->cb(&e, w->ctx);
}

static int pg_events_each(struct reg *store, reg_event_cb cb, void *ctx, struct rjh_diag *d)
{
	struct event_walk w = {cb, ctx};

	return each_row(pg(store), "SELECT " PG_EVENT_COLS " FROM events ORDER BY id", NULL,
			event_row, &w, "list events", d);
}

static int pg_events_find(struct reg *store, const struct reg_event_filter *f, reg_event_cb cb,
			  void *ctx, struct rjh_diag *d)
{
	struct event_walk w = {cb, ctx};
	struct pg_args a = {0};

	a_int(&a, f->since);
	if (f->uid >= 0)
		a_int(&a, f->uid);
	else
		a_text(&a, NULL);
	a_text(&a, f->host);
	return each_row(pg(store),
			"SELECT " PG_EVENT_COLS " FROM events WHERE time >= $1 "
			"AND ($2::bigint IS NULL OR actor_uid = $2 OR actor_auid = $2) "
			"AND ($3::text IS NULL OR host = $3) ORDER BY time, id",
			&a, event_row, &w, "list events", d);
}

static int pg_events_pruned_before(struct reg *store, int64_t *before_out, struct rjh_diag *d)
{
	char buf[32];
	int rc =
	    one_value(pg(store), "SELECT value FROM settings WHERE name = 'events_pruned_before'",
		      NULL, buf, sizeof(buf), "read the prune cutoff", d);

	*before_out = rc == 0 ? strtoll(buf, NULL, 10) : 0;
	return rc == RJH_ENOENT ? RJH_OK : rc;
}

static int pg_prune(struct reg *store, int64_t before, int64_t *sessions_out, int64_t *events_out,
		    struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	int rc;

	*sessions_out = *events_out = 0;
	if (!r->write_tx)
		return diag_set(d, RJH_EINVAL, "prune needs a write transaction (reg_begin)");
	a_int(&a, before);
	rc = run_cmd(r, "DELETE FROM sessions WHERE ended IS NOT NULL AND ended < $1", &a,
		     "prune sessions", d);
	if (rc < 0)
		return rc;
	*sessions_out = r->changes;
	rc = run_cmd(r, "DELETE FROM events WHERE time < $1", &a, "prune events", d);
	if (rc < 0)
		return rc;
	*events_out = r->changes;
	return set_setting_u64(r, "events_pruned_before", (uint64_t)(before > 0 ? before : 0), d);
}

/* --------------------------------------------------------------- rjh-sync */

int reg_pg_snapshot(struct reg *store, uint64_t *gen_out, bool *fresh_out, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	int rc;
	PGresult *res;

	*gen_out = 0;
	*fresh_out = false;
	rc = pg_begin_read(store, d);
	if (rc < 0)
		return rc;
	/*
	 * A standby counts as current when it streams from its upstream and
	 * has replayed everything it received: one whose replay was stopped
	 * (or that lost its upstream) still answers, with an old snapshot.
	 */
	res = run(r,
		  "SELECT (SELECT value FROM generation), NOT pg_is_in_recovery() OR ("
		  "pg_last_wal_receive_lsn() IS NOT NULL AND "
		  "pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AND "
		  "EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming' AND "
		  "last_msg_receipt_time > now() - interval '10 seconds'))",
		  NULL, "read the policy generation", d, &rc);
	if (!res) {
		pg_rollback(store);
		return rc;
	}
	if (PQntuples(res) == 1) {
		*gen_out = (uint64_t)col_int(res, 0, 0);
		*fresh_out = !strcmp(PQgetvalue(res, 0, 1), "t");
	}
	PQclear(res);
	return RJH_OK;
}

int reg_pg_listen(struct reg *store, struct rjh_diag *d)
{
	return run_cmd(pg(store), "LISTEN rjh_policy", NULL, "listen", d);
}

int reg_pg_wait(struct reg *store, int ms, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pollfd p = {.fd = PQsocket(r->conn), .events = POLLIN};
	PGnotify *n;
	int got = 0;

	if (p.fd < 0)
		return diag_set(d, RJH_EREGISTRY, "PostgreSQL: the connection was lost");
	if (poll(&p, 1, ms) < 0)
		return RJH_OK; /* EINTR: a signal; the caller looks at why */
	if (!PQconsumeInput(r->conn))
		return diag_set(d, RJH_EREGISTRY, "PostgreSQL: the connection was lost");
	while ((n = PQnotifies(r->conn)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	return got;
}

int reg_pg_ship_session(struct reg *store, const char *node, const char *origin,
			const struct reg_session *s, struct rjh_diag *d)
{
	struct pg_args a = {0};

	a_text(&a, node);
	a_text(&a, origin);
	a_text(&a, s->host);
	a_int(&a, s->uid);
	a_text0(&a, s->fp);
	a_text0(&a, s->source);
	a_int0(&a, s->pid);
	a_int0(&a, s->pid_start);
	a_int(&a, s->started);
	a_int0(&a, s->ended);
	a_text0(&a, s->end_reason);
	a_text0(&a, s->cert);
	return run_cmd(
	    pg(store),
	    "INSERT INTO sessions(jumphost, origin, host, uid, fingerprint, source_addr, "
	    "sshd_pid, sshd_start, started, ended, end_reason, cert) VALUES ($1, $2, $3, "
	    "$4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (origin) DO UPDATE SET "
	    "ended = excluded.ended, end_reason = excluded.end_reason",
	    &a, "ship a session", d);
}

int reg_pg_ship_event(struct reg *store, const char *node, const char *origin,
		      const struct reg_event *e, struct rjh_diag *d)
{
	struct reg_event with = *e;
	struct pg_args a = {0};

	with.origin = origin;
	a_event(&a, &with);
	a_text(&a, node);
	return run_cmd(
	    pg(store),
	    "INSERT INTO events(time, type, op, actor_uid, actor_auid, host, fingerprint, "
	    "result, detail, origin, jumphost) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
	    "$9, $10, $11) ON CONFLICT (origin) DO NOTHING",
	    &a, "ship an event", d);
}

/* ------------------------------------------------------ several jumphosts */

/* PostgreSQL's clock, in seconds: one clock for every jumphost's heartbeat. */
#define PG_NOW "extract(epoch FROM now())::bigint"

/*
 * A text[] literal of validated host names, {"a","b"}: every element
 * quoted, or PostgreSQL would read a host named null as SQL NULL (names
 * never hold a quote or a backslash). NULL: out of memory or a bad name.
 */
static char *names_array(const char *const *v, size_t n)
{
	size_t i, len = 3, at = 0;
	char *buf;

	for (i = 0; i < n; i++) {
		if (!name_is_host(v[i]))
			return NULL;
		len += strlen(v[i]) + 3;
	}
	buf = malloc(len);
	if (!buf)
		return NULL;
	buf[at++] = '{';
	for (i = 0; i < n; i++) {
		if (i)
			buf[at++] = ',';
		buf[at++] = '"';
		memcpy(buf + at, v[i], strlen(v[i]));
		at += strlen(v[i]);
		buf[at++] = '"';
	}
	buf[at++] = '}';
	buf[at] = '\0';
	return buf;
}

int reg_pg_jumphost_add(struct reg *store, const struct reg_jumphost *j, int64_t now,
			struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	int rc;

	a_text(&a, j->name);
	a_text(&a, j->address);
	a_int(&a, j->port);
	a_int(&a, now);
	rc = run_cmd(r,
		     "INSERT INTO jumphosts(name, address, port, added) VALUES ($1, $2, $3, $4) "
		     "ON CONFLICT (name) DO NOTHING",
		     &a, "add a jumphost", d);
	if (rc == 0 && r->changes == 0)
		return diag_set(d, RJH_EEXIST, "jumphost %s is registered already", j->name);
	return rc;
}

int reg_pg_jumphost_remove(struct reg *store, const char *name, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	int rc;

	a_text(&a, name);
	rc = run_cmd(r, "DELETE FROM jumphosts WHERE name = $1", &a, "remove a jumphost", d);
	if (rc == 0 && r->changes == 0)
		return diag_set(d, RJH_ENOENT, "no jumphost %s", name);
	if (rc == 0)
		rc = run_cmd(r, "DELETE FROM presence WHERE jumphost = $1", &a,
			     "remove a jumphost's presence", d);
	if (rc == 0)
		rc = run_cmd(r, "DELETE FROM heartbeats WHERE jumphost = $1", &a,
			     "remove a jumphost's heartbeat", d);
	return rc;
}

struct jumphost_walk {
	reg_jumphost_cb cb;
	void *ctx;
};

static int jumphost_row(const PGresult *res, int i, void *p)
{
	const struct jumphost_walk *w = p;
	struct reg_jumphost j = {0};

	col_copy(j.name, sizeof(j.name), res, i, 0);
	col_copy(j.address, sizeof(j.address), res, i, 1);
	j.port = (int)col_int(res, i, 2);
	j.added = col_int(res, i, 3);
	j.seen = col_int(res, i, 4);
	j.up = !strcmp(PQgetvalue(res, i, 5), "t");
	j.tunnels = col_int(res, i, 6);
	return w->cb(&j, w->ctx);
}

int reg_pg_jumphosts_each(struct reg *store, int64_t ttl, reg_jumphost_cb cb, void *ctx,
			  struct rjh_diag *d)
{
	struct jumphost_walk w = {cb, ctx};
	struct pg_args a = {0};

	a_int(&a, ttl);
	return each_row(pg(store),
			"SELECT j.name, j.address, j.port, j.added, hb.seen, "
			"coalesce(hb.seen > " PG_NOW " - $1, false) AS up, "
			"CASE WHEN hb.seen > " PG_NOW " - $1 THEN (SELECT count(*) FROM presence p "
			"WHERE p.jumphost = j.name) ELSE 0 END "
			"FROM jumphosts j LEFT JOIN heartbeats hb ON hb.jumphost = j.name "
			"ORDER BY j.name",
			&a, jumphost_row, &w, "list jumphosts", d);
}

int reg_pg_report(struct reg *store, const char *node, bool restarted, bool replace,
		  const char *const *gone, size_t ngone, const char *const *came, size_t ncame,
		  struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	char *g = names_array(gone, ngone), *c = names_array(came, ncame);
	int rc = g && c ? pg_begin(store, d) : diag_set(d, RJH_ENOMEM, "out of memory");

	a_text(&a, node);
	if (rc == 0)
		rc = run_cmd(r,
			     restarted
				 ? "INSERT INTO heartbeats(jumphost, seen, started) VALUES "
				   "($1, " PG_NOW ", " PG_NOW ") ON CONFLICT (jumphost) DO "
				   "UPDATE SET seen = excluded.seen, started = excluded.started"
				 : "INSERT INTO heartbeats(jumphost, seen, started) VALUES "
				   "($1, " PG_NOW ", " PG_NOW ") ON CONFLICT (jumphost) DO "
				   "UPDATE SET seen = excluded.seen",
			     &a, "heartbeat", d);
	if (rc == 0 && (replace || ngone)) {
		struct pg_args b = a;

		a_text(&b, replace ? c : g);
		rc = run_cmd(r,
			     replace ? "DELETE FROM presence WHERE jumphost = $1 AND NOT host = "
				       "ANY($2::text[])"
				     : "DELETE FROM presence WHERE jumphost = $1 AND host = "
				       "ANY($2::text[])",
			     &b, "report presence", d);
	}
	if (rc == 0 && ncame) {
		struct pg_args b = a;

		a_text(&b, c);
		rc =
		    run_cmd(r,
			    "INSERT INTO presence(jumphost, host, since) SELECT $1, h, " PG_NOW
			    " FROM unnest($2::text[]) AS h ON CONFLICT (jumphost, host) DO NOTHING",
			    &b, "report presence", d);
	}
	if (rc == 0)
		rc = pg_commit(store, d);
	else if (g && c)
		pg_rollback(store);
	free(g);
	free(c);
	return rc;
}

struct held_walk {
	reg_held_cb cb;
	void *ctx;
};

static int held_row(const PGresult *res, int i, void *p)
{
	const struct held_walk *w = p;

	return w->cb(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), col_int(res, i, 2), w->ctx);
}

int reg_pg_held_each(struct reg *store, int64_t ttl, reg_held_cb cb, void *ctx, struct rjh_diag *d)
{
	struct held_walk w = {cb, ctx};
	struct pg_args a = {0};

	a_int(&a, ttl);
	return each_row(pg(store),
			"SELECT p.host, p.jumphost, p.since FROM presence p JOIN heartbeats hb "
			"ON hb.jumphost = p.jumphost JOIN jumphosts j ON j.name = p.jumphost "
			"WHERE hb.seen > " PG_NOW " - $1 "
			"ORDER BY p.host, p.jumphost",
			&a, held_row, &w, "read presence", d);
}

int reg_pg_setting(struct reg *store, const char *name, char *buf, size_t len, struct rjh_diag *d)
{
	struct pg_args a = {0};

	a_text(&a, name);
	return one_value(pg(store), "SELECT value FROM settings WHERE name = $1", &a, buf, len,
			 "read setting", d);
}

int reg_pg_set_setting(struct reg *store, const char *name, const char *value, struct rjh_diag *d)
{
	return set_setting(pg(store), name, value, d);
}

int reg_pg_add_setting(struct reg *store, const char *name, const char *value, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	int rc;

	a_text(&a, name);
	a_text(&a, value);
	rc = run_cmd(r,
		     "INSERT INTO settings(name, value) VALUES ($1, $2) ON CONFLICT (name) DO "
		     "NOTHING",
		     &a, "write setting", d);
	if (rc == 0 && r->changes == 0)
		return diag_set(d, RJH_EEXIST, "setting %s is recorded already", name);
	return rc;
}

int reg_pg_counter_next(struct reg *store, const char *name, uint64_t *v, struct rjh_diag *d)
{
	struct pg_args a = {0};
	char buf[32];
	int rc;

	a_text(&a, name);
	rc = one_value(pg(store),
		       "INSERT INTO settings(name, value) VALUES ($1, '1') ON CONFLICT (name) DO "
		       "UPDATE SET value = (settings.value::bigint + 1)::text RETURNING value",
		       &a, buf, sizeof(buf), "count", d);
	if (rc == 0)
		*v = strtoull(buf, NULL, 10);
	return rc == RJH_ENOENT ? diag_set(d, RJH_EREGISTRY, "PostgreSQL: no count") : rc;
}

/*
 * Not for this store: SQLite's file (vacuum, backup), the local login
 * path's bookkeeping (policy_log, login_rows, sessions written by pam_rjh)
 * and the cache's. reg.c answers those calls with "not for this store".
 */
/* ----------------------------------------------------------- certificates */

static int pg_user_ca_add(struct reg *store, const struct reg_user_ca *ca, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	int rc;

	a_text(&a, ca->fp);
	a_text(&a, ca->type);
	a_text(&a, ca->b64);
	a_text(&a, ca->comment);
	a_int(&a, ca->own);
	a_int(&a, ca->added);
	rc = run_cmd(r,
		     "INSERT INTO user_cas(fingerprint, algorithm, blob, comment, own, added) "
		     "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
		     &a, "add a user CA", d);
	if (rc == 0 && r->changes == 0)
		rc = diag_set(d, RJH_EEXIST, "%s",
			      ca->own ? "there is an own CA already"
				      : "that key is a trusted CA already");
	return rc;
}

static int pg_user_ca_remove(struct reg *store, const char *fp, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	int rc;

	a_text(&a, fp);
	rc = run_cmd(r, "DELETE FROM user_cas WHERE fingerprint = $1", &a, "remove a user CA", d);
	if (rc == 0 && r->changes == 0)
		rc = diag_set(d, RJH_ENOENT, "no trusted CA has fingerprint %s", fp);
	return rc;
}

static void row_user_ca(const PGresult *res, int i, struct reg_user_ca *out)
{
	memset(out, 0, sizeof(*out));
	col_copy(out->fp, sizeof(out->fp), res, i, 0);
	col_copy(out->type, sizeof(out->type), res, i, 1);
	col_copy(out->b64, sizeof(out->b64), res, i, 2);
	col_copy(out->comment, sizeof(out->comment), res, i, 3);
	out->own = col_int(res, i, 4) != 0;
	out->added = col_int(res, i, 5);
}

struct user_ca_walk {
	reg_user_ca_cb cb;
	void *ctx;
};

static int user_ca_row(const PGresult *res, int i, void *p)
{
	const struct user_ca_walk *w = p;
	struct reg_user_ca *ca = malloc(sizeof(*ca));
	int rc;

	if (!ca)
		return RJH_ENOMEM;
	row_user_ca(res, i, ca);
	rc = w->cb(ca, w->ctx);
	free(ca);
	return rc;
}

static int pg_user_cas_each(struct reg *store, reg_user_ca_cb cb, void *ctx, struct rjh_diag *d)
{
	struct user_ca_walk w = {cb, ctx};

	return each_row(pg(store), "SELECT " USER_CA_COLS " FROM user_cas ORDER BY id", NULL,
			user_ca_row, &w, "list user CAs", d);
}

static int pg_user_ca_get(struct reg *store, const char *fp, struct reg_user_ca *out,
			  struct rjh_diag *d)
{
	struct pg_args a = {0};
	int rc;
	PGresult *res;

	a_text(&a, fp);
	res = run(pg(store), "SELECT " USER_CA_COLS " FROM user_cas WHERE fingerprint = $1", &a,
		  "read a user CA", d, &rc);
	if (!res)
		return rc;
	if (PQntuples(res) == 1)
		row_user_ca(res, 0, out);
	else
		rc = diag_set(d, RJH_ENOENT, "no trusted CA has fingerprint %s", fp);
	PQclear(res);
	return rc;
}

static int pg_cert_next_serial(struct reg *store, const char *ca_fp, uint64_t *serial_out,
			       struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	char buf[32];
	long long last;
	int rc;

	*serial_out = 0;
	/* Writers take turns on the CA's row until commit: two signs get two serials. */
	a_text(&a, ca_fp);
	rc = run_cmd(r, "SELECT 1 FROM user_cas WHERE fingerprint = $1 FOR UPDATE", &a,
		     "lock the CA", d);
	if (rc == 0)
		rc = one_value(r, "SELECT coalesce(max(serial), 0) FROM certs WHERE ca = $1", &a,
			       buf, sizeof(buf), "count serials", d);
	if (rc < 0)
		return rc == RJH_ENOENT ? diag_set(d, RJH_EREGISTRY, "no serial count") : rc;
	last = strtoll(buf, NULL, 10);
	if (last < 0 || last == INT64_MAX)
		return diag_set(d, RJH_EINVAL, "the CA's serials are used up");
	*serial_out = (uint64_t)last + 1;
	return RJH_OK;
}

static int pg_cert_add(struct reg *store, const struct reg_cert *c, struct rjh_diag *d)
{
	struct pg_reg *r = pg(store);
	struct pg_args a = {0};
	int rc;

	a_text(&a, c->ca_fp);
	a_int(&a, (int64_t)c->serial);
	a_text(&a, c->host);
	a_text0(&a, c->key_fp);
	a_text0(&a, c->key_id);
	a_int0(&a, c->valid_after);
	a_int0(&a, c->valid_before);
	a_int0(&a, c->issued);
	a_int0(&a, c->revoked);
	rc = run_cmd(
	    r,
	    "INSERT INTO certs(ca, serial, host, key_fp, key_id, valid_after, valid_before, "
	    "issued, revoked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO "
	    "NOTHING",
	    &a, "record a certificate", d);
	if (rc == 0 && r->changes == 0)
		rc = diag_set(d, RJH_EEXIST, "serial %llu of %s is on record already",
			      (unsigned long long)c->serial, c->ca_fp);
	return rc;
}

static void row_cert(const PGresult *res, int i, struct reg_cert *out)
{
	memset(out, 0, sizeof(*out));
	col_copy(out->ca_fp, sizeof(out->ca_fp), res, i, 0);
	out->serial = (uint64_t)col_int(res, i, 1);
	col_copy(out->host, sizeof(out->host), res, i, 2);
	col_copy(out->key_fp, sizeof(out->key_fp), res, i, 3);
	col_copy(out->key_id, sizeof(out->key_id), res, i, 4);
	out->valid_after = col_int(res, i, 5);
	out->valid_before = col_int(res, i, 6);
	out->issued = col_int(res, i, 7);
	out->revoked = col_int(res, i, 8);
	out->host_disabled = col_int(res, i, 9) != 0;
}

struct cert_walk {
	reg_cert_cb cb;
	void *ctx;
};

static int cert_row(const PGresult *res, int i, void *p)
{
	const struct cert_walk *w = p;
	struct reg_cert c;

	row_cert(res, i, &c);
	return w->cb(&c, w->ctx);
}

static int pg_certs_each(struct reg *store, const char *host, reg_cert_cb cb, void *ctx,
			 struct rjh_diag *d)
{
	struct cert_walk w = {cb, ctx};
	struct pg_args a = {0};

	a_text(&a, host);
	return each_row(pg(store),
			"SELECT " CERT_COLS " " CERT_FROM " WHERE $1::text IS NULL OR c.host = $1 "
			"ORDER BY c.id DESC",
			&a, cert_row, &w, "list certificates", d);
}

static int pg_cert_get(struct reg *store, const char *ca_fp, uint64_t serial, struct reg_cert *out,
		       struct rjh_diag *d)
{
	struct pg_args a = {0};
	int rc;
	PGresult *res;

	a_text(&a, ca_fp);
	a_int(&a, (int64_t)serial);
	res = run(pg(store), "SELECT " CERT_COLS " " CERT_FROM " WHERE c.ca = $1 AND c.serial = $2",
		  &a, "read a certificate", d, &rc);
	if (!res)
		return rc;
	if (PQntuples(res) == 1)
		row_cert(res, 0, out);
	else
		rc = RJH_ENOENT;
	PQclear(res);
	return rc;
}

static int pg_cert_revoke(struct reg *store, const char *ca_fp, uint64_t serial, const char *host,
			  int64_t now, struct reg_cert *out, struct rjh_diag *d)
{
	struct pg_args a = {0};
	int rc = pg_cert_get(store, ca_fp, serial, out, d);

	if (rc == RJH_ENOENT) {
		memset(out, 0, sizeof(*out));
		snprintf(out->ca_fp, sizeof(out->ca_fp), "%s", ca_fp);
		snprintf(out->host, sizeof(out->host), "%s", host);
		out->serial = serial;
		out->revoked = now;
		return pg_cert_add(store, out, d);
	}
	if (rc < 0)
		return rc;
	if (strcmp(out->host, host) != 0)
		return diag_set(d, RJH_EEXIST, "serial %llu of %s is %s's, not %s's",
				(unsigned long long)serial, ca_fp, out->host, host);
	if (out->revoked)
		return 1;
	a_text(&a, ca_fp);
	a_int(&a, (int64_t)serial);
	a_int(&a, now);
	out->revoked = now;
	return run_cmd(pg(store),
		       "UPDATE certs SET revoked = $3 WHERE ca = $1 AND serial = $2 AND revoked IS "
		       "NULL",
		       &a, "revoke a certificate", d);
}

const struct reg_ops reg_pg_ops = {
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .begin_read = pg_begin_read,
    .end_read = pg_end_read,
    .settings = pg_settings,
    .ident_changed = pg_ident_changed,
    .ident_generation = pg_ident_generation,
    .idents_each = pg_idents_each,
    .host_gid = pg_host_gid,
    .host_get = pg_host_get,
    .host_add = pg_host_add,
    .host_set_disabled = pg_host_set_disabled,
    .host_remove = pg_host_remove,
    .hosts_each = pg_hosts_each,
    .count = pg_count,
    .key_add = pg_key_add,
    .key_find = pg_key_find,
    .key_revoke = pg_key_revoke,
    .keys_each = pg_keys_each,
    .host_key_add = pg_host_key_add,
    .host_keys_clear = pg_host_keys_clear,
    .host_keys_each = pg_host_keys_each,
    .known_hosts_each = pg_known_hosts_each,
    .grant_add = pg_grant_add,
    .grant_del = pg_grant_del,
    .grants_each = pg_grants_each,
    .session_last = pg_session_last,
    .sessions_each = pg_sessions_each,
    .sessions_host_each = pg_sessions_host_each,
    .presence_each = pg_presence_each,
    .events_pruned_before = pg_events_pruned_before,
    .changes = pg_changes,
    .event_add = pg_event_add,
    .events_each = pg_events_each,
    .events_find = pg_events_find,
    .prune = pg_prune,
    .host_set_policy = pg_host_set_policy,
    .user_ca_add = pg_user_ca_add,
    .user_ca_remove = pg_user_ca_remove,
    .user_cas_each = pg_user_cas_each,
    .user_ca_get = pg_user_ca_get,
    .cert_next_serial = pg_cert_next_serial,
    .cert_add = pg_cert_add,
    .cert_revoke = pg_cert_revoke,
    .cert_get = pg_cert_get,
    .certs_each = pg_certs_each,
};
