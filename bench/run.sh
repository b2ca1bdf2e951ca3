#!/bin/bash
# rjh benchmarks, printed as one table. Run through `make bench`.
# Every row is measured in this run: wall time around fork/exec/wait of the
# real binary (build/tools/timeit), median over the runs shown.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
ADMIN="$TOP/build/rjh-admin"
GENKEYS="$TOP/build/tools/gen-keys"
TIMEIT="$TOP/build/tools/timeit"
RUNS=${RUNS:-21}
W=$(mktemp -d /tmp/rjh-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

# registry DIR [KEYFILE]: a config and an initialised registry in DIR, with KEYFILE imported.
registry() {
	mkdir -p "$1"
	printf 'registry = %s/registry.db\nruntime_dir = %s/run\naudit = off\n' "$1" "$1" > "$1/rjh.conf"
	chmod 644 "$1/rjh.conf"
	"$ADMIN" -c "$1/rjh.conf" init > /dev/null
	if [ -n "${2:-}" ]; then "$ADMIN" -c "$1/rjh.conf" import "$2" > /dev/null; fi
}

FAILED=0
row() { # row NAME TARGET_TEXT MEDIAN_US LIMIT_US RUNS
	local verdict=ok
	if [ -n "$4" ] && [ "$3" -gt "$4" ]; then verdict=MISSED; FAILED=1; fi
	[ -n "$4" ] || verdict=-
	printf '| %-42s | %5s | %10s | %-9s | %-6s |\n' "$1" "$5" \
		"$(awk -v us="$3" 'BEGIN { printf "%.1f ms", us / 1000 }')" "$2" "$verdict"
}

echo "generating keys..." >&2
"$GENKEYS" 100000 host- > "$W/keys100k"
"$GENKEYS" 10 host- > "$W/keys10"
"$GENKEYS" "$RUNS" new- > "$W/new"
split -l 1 -d -a 3 "$W/new" "$W/newkey."
for i in $(seq 0 $((RUNS - 1))); do mv "$W/newkey.$(printf %03d "$i")" "$W/newkey.$i"; done

echo "import: 3 fresh registries..." >&2
for i in 0 1 2; do registry "$W/imp$i"; done
read -r import_us _ < <("$TIMEIT" 3 "$ADMIN" -c "$W/imp%i/rjh.conf" import "$W/keys100k")
rm -rf "$W"/imp?

echo "registries of 10 and 100,000 hosts..." >&2
registry "$W/r10" "$W/keys10"
registry "$W/r100k" "$W/keys100k"
read -r enroll10_us _ < <("$TIMEIT" "$RUNS" "$ADMIN" -c "$W/r10/rjh.conf" enroll "new-%i" "$W/newkey.%i")
read -r enroll_us _ < <("$TIMEIT" "$RUNS" "$ADMIN" -c "$W/r100k/rjh.conf" enroll "new-%i" "$W/newkey.%i")
read -r show10_us _ < <("$TIMEIT" "$RUNS" "$ADMIN" -c "$W/r10/rjh.conf" show host-5)
read -r show_us _ < <("$TIMEIT" "$RUNS" "$ADMIN" -c "$W/r100k/rjh.conf" show host-50000)
read -r help_us _ < <("$TIMEIT" "$RUNS" "$ADMIN" --version)

# The key helper, as sshd calls it (%u %f), twice per login.
AKC="$TOP/build/rjh-authorized-keys"
fp10=$(sqlite3 "$W/r10/registry.db" "SELECT fingerprint FROM keys k JOIN hosts h ON h.id = k.host_id WHERE h.name = 'host-5'")
fp100k=$(sqlite3 "$W/r100k/registry.db" "SELECT fingerprint FROM keys k JOIN hosts h ON h.id = k.host_id WHERE h.name = 'host-50000'")
read -r akc10_us _ < <("$TIMEIT" 101 "$AKC" --config "$W/r10/rjh.conf" -- host-5 "$fp10")
read -r akc_us _ < <("$TIMEIT" 101 "$AKC" --config "$W/r100k/rjh.conf" -- host-50000 "$fp100k")
read -r true_us _ < <("$TIMEIT" 101 /bin/true)

echo
echo "rjh-admin on $(nproc) cores; median wall time per command"
printf '| %-42s | %5s | %10s | %-9s | %-6s |\n' benchmark runs median target result
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..44})" "-------" "------------" "-----------" "--------"
row "import 100,000 ed25519 keys"               "<= 5 s"  "$import_us" 5000000 3
row "enroll, registry of 100,000"               "<= 20 ms" "$enroll_us" 20000 "$RUNS"
row "enroll, registry of 10 (for comparison)"   "-"       "$enroll10_us" "" "$RUNS"
row "show, registry of 100,000"                 "<= 10 ms" "$show_us" 10000 "$RUNS"
row "show, registry of 10 (for comparison)"     "-"       "$show10_us" "" "$RUNS"
row "rjh-admin --version (process start floor)" "-"       "$help_us" "" "$RUNS"
row "rjh-authorized-keys USER FP, 10 keys"       "<= 2 ms" "$akc10_us" 2000 101
row "rjh-authorized-keys USER FP, 100,000 keys"  "<= 2 ms" "$akc_us" 2000 101
row "/bin/true (any process start, this machine)" "-"     "$true_us" "" 101
exit $FAILED
