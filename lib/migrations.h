/* The schema migrations compiled in from sql/ (see build-aux/gen-migrations.sh). */
#ifndef RJH_MIGRATIONS_H
#define RJH_MIGRATIONS_H

struct migration {
	int version; /* PRAGMA user_version after this file is applied */
	const char *name;
	int compat; /* the oldest schema whose programs still work on this one */
	const char *sql;
};

extern const struct migration reg_migrations[];
extern const int reg_migrations_count;

/* PostgreSQL's, from sql/pg/ (store = postgresql; lib/reg_pg.c). */
extern const struct migration pg_migrations[];
extern const int pg_migrations_count;

#endif
