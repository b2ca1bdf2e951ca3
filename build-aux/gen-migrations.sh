#!/bin/sh
# Turns sql/NNN-*.sql into a C table of migrations, one per schema version.
# Usage: gen-migrations.sh sql/001-x.sql sql/002-y.sql ... > migrations.c
#        gen-migrations.sh -H sql/001-x.sql ... > schema.h
# -H prints only RJH_SCHEMA_VERSION, the number of the last file, for the
# programs that know the schema without linking SQLite (their --version).
# -p PREFIX names the table PREFIX_migrations (sql/pg/: pg_migrations).
set -eu
header=
prefix=reg
if [ "${1:-}" = -p ]; then
	prefix=$2
	shift 2
fi
if [ "${1:-}" = -H ]; then
	header=1
	shift
fi
n=0
for f in "$@"; do
	n=$((n + 1))
	v=$(basename "$f" | sed 's/^\([0-9]*\)-.*/\1/' | sed 's/^0*//')
	if [ "$v" != "$n" ]; then
		echo "gen-migrations: $f: expected version $n, numbers must be consecutive" >&2
		exit 1
	fi
done
if [ -n "$header" ]; then
	echo '/* Generated from sql/ by build-aux/gen-migrations.sh -H. Do not edit. */'
	echo "#define RJH_SCHEMA_VERSION $n"
	exit 0
fi
echo '/* Generated from sql/ by build-aux/gen-migrations.sh. Do not edit. */'
echo '#include "migrations.h"'
echo "const struct migration ${prefix}_migrations[] = {"
n=0
prev=0
for f in "$@"; do
	n=$((n + 1))
	v=$n
	# '-- compat: N': programs of schema N and up still work on this one
	# (lib/reg.c, sql/README). Without it, only programs of this schema do.
	c=$(sed -n '1,30s/^-- compat: *\([0-9][0-9]*\) *$/\1/p' "$f" | head -n1)
	[ -n "$c" ] || c=$v
	if [ "$c" -gt "$v" ] || [ "$c" -lt "$prev" ]; then
		echo "gen-migrations: $f: compat $c must be at most $v and not below the previous file's" >&2
		exit 1
	fi
	prev=$c
	printf '\t{%d, "%s", %d,\n' "$v" "$(basename "$f")" "$c"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t "/' -e 's/$/\\n"/' "$f"
	printf '\t},\n'
done
echo '};'
echo "const int ${prefix}_migrations_count = $n;"
