#!/bin/sh
# Turns sql/NNN-*.sql into a C table of migrations, one per schema version.
# Usage: gen-migrations.sh sql/001-x.sql sql/002-y.sql ... > migrations.c
#        gen-migrations.sh -H sql/001-x.sql ... > schema.h
# -H prints only RJH_SCHEMA_VERSION, the number of the last file, for the
# programs that know the schema without linking SQLite (their --version).
set -eu
header=
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
	echo '/* Generated from sql/ by tests/gen-migrations.sh -H. Do not edit. */'
	echo "#define RJH_SCHEMA_VERSION $n"
	exit 0
fi
echo '/* Generated from sql/ by tests/gen-migrations.sh. Do not edit. */'
echo '#include "migrations.h"'
echo 'const struct migration reg_migrations[] = {'
n=0
for f in "$@"; do
	n=$((n + 1))
	v=$n
	printf '\t{%d, "%s",\n' "$v" "$(basename "$f")"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t "/' -e 's/$/\\n"/' "$f"
	printf '\t},\n'
done
echo '};'
echo "const int reg_migrations_count = $n;"
