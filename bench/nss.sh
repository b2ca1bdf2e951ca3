#!/bin/bash
# nss_rjh benchmark, printed as one table: passwd lookups through real glibc
# (getpwnam_r / getpwuid_r in-process, build/tools/nss-bench), nss_rjh beside
# glibc's files backend, at 10, 10,000 and 100,000 hosts.
#
# Nothing on the machine changes: every row is measured in one private mount
# namespace, where generated nsswitch.conf files (and, for one row, a
# generated /etc/passwd) are bind-mounted over the real ones; glibc finds
# libnss_rjh.so.2 through LD_LIBRARY_PATH and the registry through RJH_CONF.
#
# nsswitch orders measured:
#   [files rjh]  the documented one (nss_rjh(8)): a host lookup first misses
#                in /etc/passwd, so it costs a files lookup plus nss_rjh;
#   [rjh]        nss_rjh alone: what the module costs through glibc. The
#                targets on nss_rjh's own cost are checked on these rows.
# Every latency row is measured NSS_ROUNDS times (default 7), the rows taking
# turns, each time with NSS_ITER calls (default 20000); the table shows the
# median of the rounds' medians (and of their p90s), a ratio the median of the
# rounds' ratios.
# Exits 1 if a target is missed, 2 if the benchmark itself could not run.
set -eEuo pipefail
trap 'exit 2' ERR
TOP=$(cd "$(dirname "$0")/.." && pwd)
# What is measured is copied from build/ first: a rebuild during the run changes nothing.
BUILT="$TOP/build/rjh-admin $TOP/build/libnss_rjh.so.2 $TOP/build/tools/gen-keys
	$TOP/build/tools/timeit $TOP/build/tools/nss-bench"
ITER=${NSS_ITER:-20000}
ROUNDS=${NSS_ROUNDS:-7}
SIZES="10 10000 100000"

# The copies in $W/bin.
tools() {
	ADMIN="$W/bin/rjh-admin"
	GENKEYS="$W/bin/gen-keys"
	TIMEIT="$W/bin/timeit"
	BENCH="$W/bin/nss-bench"
}

# registry DIR N: a config and a registry of N hosts host-1..host-N in DIR.
registry() {
	mkdir -p "$1"
	printf 'registry = %s/registry.db\nruntime_dir = %s/run\naudit = off\n' "$1" "$1" > "$1/rjh.conf"
	chmod 644 "$1/rjh.conf"
	"$ADMIN" -c "$1/rjh.conf" init > /dev/null
	"$GENKEYS" "$2" host- > "$1/keys"
	"$ADMIN" -c "$1/rjh.conf" import "$1/keys" > /dev/null
}

# Everything the namespace needs, in $W.
prepare() {
	local n
	chmod 755 "$W"
	mkdir "$W/bin"
	# shellcheck disable=SC2086 # a list of paths without blanks
	cp $BUILT "$W/bin/"
	for n in $SIZES; do
		echo "registry of $n hosts..." >&2
		registry "$W/r$n" "$n"
	done
	printf 'passwd: files rjh\ngroup: files rjh\n' > "$W/nsswitch.files-rjh"
	printf 'passwd: rjh\ngroup: rjh\n' > "$W/nsswitch.rjh"
	# A module that does not exist: what getpwnam_r costs in glibc itself.
	printf 'passwd: rjh-bench-none\ngroup: rjh-bench-none\n' > "$W/nsswitch.none"
	awk 'BEGIN { for (i = 1; i <= 100000; i++)
		printf "u%d:x:%d:%d::/nonexistent:/usr/sbin/nologin\n", i, 3000000 + i, 3000000 + i }' \
		> "$W/passwd100k"
	chmod 644 "$W"/nsswitch.* "$W/passwd100k"
}

# over SRC DST [SRC DST...] -- COMMAND...: COMMAND in a nested mount namespace
# with each SRC bind-mounted over its DST.
over() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare -m --propagation private sh -c '
		while [ "$1" != -- ]; do mount --bind "$1" "$2" || exit 2; shift 2; done
		shift
		exec "$@"' over "$@"
}

# The host in the middle of registry rN, and its uid as nss_rjh reports it.
host_of() { echo "host-$(($1 / 2))"; }
uid_of() {
	RJH_CONF="$W/r$1/rjh.conf" getent passwd "$(host_of "$1")" | cut -d: -f3 || true
}

# Latency rows: "KEY NSSWITCH REGISTRY MODE ARG ITER [PASSWD]", filled in by plan().
PLAN=()
declare -A RES # KEY -> "median p90" of each round, one per line

# plan: every latency row (needs $last and $hostuid). Rows that a ratio
# compares come next to each other, so that each round's pair shares the
# machine's load of the moment.
plan() {
	local n
	PLAN=("floor none r10 miss ~x $ITER"
		"imp rjh r100000 miss ~x $ITER"
		"imp2 rjh r100000 miss Host* $ITER"
		"dimp rjh r100000 direct ~x $ITER"
		"dimp2 rjh r100000 direct Host* $ITER"
		"name10 rjh r10 name $(host_of 10) $ITER"
		"name100000 rjh r100000 name $(host_of 100000) $ITER"
		"root files-rjh r10 name root $ITER"
		"name10000 rjh r10000 name $(host_of 10000) $ITER"
		"uid10 rjh r10 uid ${hostuid[10]} $ITER"
		"uid100000 rjh r100000 uid ${hostuid[100000]} $ITER"
		"uid10000 rjh r10000 uid ${hostuid[10000]} $ITER")
	for n in $SIZES; do
		PLAN+=("fr_name$n files-rjh r$n name $(host_of "$n") $ITER"
			"fr_uid$n files-rjh r$n uid ${hostuid[$n]} $ITER")
	done
	PLAN+=("fr_imp files-rjh r100000 miss ~x $ITER"
		"last files-rjh r10 name $last $ITER"
		"root_uid files-rjh r10 uid 0 $ITER"
		"big files-rjh r10 name u100000 40 $W/passwd100k")
}

# run_plan: ROUNDS rounds over PLAN, each row's result appended to RES.
run_plan() {
	local round spec key nss reg mode arg iter passwd out
	for round in $(seq "$ROUNDS"); do
		echo "round $round of $ROUNDS: ${#PLAN[@]} rows..." >&2
		for spec in "${PLAN[@]}"; do
			read -r key nss reg mode arg iter passwd <<< "$spec"
			set -- "$W/nsswitch.$nss" /etc/nsswitch.conf
			[ -z "$passwd" ] || set -- "$@" "$passwd" /etc/passwd
			out=$(RJH_CONF="$W/$reg/rjh.conf" over "$@" -- "$BENCH" "$mode" "$arg" "$iter")
			RES[$key]+="$out"$'\n'
		done
	done
}

# median: the median of the numbers on stdin, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# res KEY: "median p90" over the rounds (the median of each column).
res() {
	echo "$(awk 'NF { print $1 }' <<< "${RES[$1]}" | median)" \
		"$(awk 'NF { print $2 }' <<< "${RES[$1]}" | median)"
}

FAILED=0
# line NAME MEDIAN P90 TARGET RESULT: one row; a MISSED result fails the run.
line() {
	printf '| %-58s | %10s | %10s | %-10s | %-6s |\n' "$@"
	[ "$5" != MISSED ] || FAILED=1
}
# 100000 -> 100,000
commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<< "$1"; }
fmt_ns() {
	awk -v ns="$1" 'BEGIN {
		if (ns >= 1e6) printf "%.2f ms", ns / 1e6
		else if (ns >= 1e4) printf "%.1f us", ns / 1e3
		else printf "%.2f us", ns / 1e3 }'
}
# verdict VALUE LIMIT: ok if VALUE <= LIMIT (numbers), else MISSED.
verdict() {
	awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l ? "ok" : "MISSED") }'
}
# lrow NAME KEY [TARGET_TEXT LIMIT_NS]: a latency row.
lrow() {
	local med p90 v=-
	read -r med p90 <<< "$(res "$2")"
	[ -z "${4:-}" ] || v=$(verdict "$med" "$4")
	line "$1" "$(fmt_ns "$med")" "$(fmt_ns "$p90")" "${3:--}" "$v"
}
# ratio NAME KEY_A KEY_B [TARGET_TEXT LIMIT]: the median over the rounds of
# each round's median A / median B.
ratio() {
	local r v=-
	r=$(paste -d ' ' <(awk 'NF { print $1 }' <<< "${RES[$2]}") \
		<(awk 'NF { print $1 }' <<< "${RES[$3]}") |
		awk '{ printf "%.4f\n", $1 / $2 }' | median)
	r=$(awk -v r="$r" 'BEGIN { printf "%.2f", r }')
	[ -z "${5:-}" ] || v=$(verdict "$r" "$5")
	line "$1" "${r}x" "" "${4:--}" "$v"
}

# share NAME KEY_A KEY_B: the median over the rounds of median A - median B.
share() {
	local d
	d=$(paste -d ' ' <(awk 'NF { print $1 }' <<< "${RES[$2]}") \
		<(awk 'NF { print $1 }' <<< "${RES[$3]}") | awk '{ print $1 - $2 }' | median)
	line "$1" "$(fmt_ns "$d")" "" - -
}

# Runs in the private namespace: checks the setup, measures, prints the table.
measure() {
	local n uid0 last nlines getent_us getent_lines rss
	local -A hostuid
	mount --bind "$W/nsswitch.files-rjh" /etc/nsswitch.conf
	export LD_LIBRARY_PATH="$W/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	last=$(tail -n 1 /etc/passwd | cut -d: -f1)
	nlines=$(wc -l < /etc/passwd)
	for n in $SIZES; do
		uid0=$(uid_of "$n")
		[ -n "$uid0" ] || { echo "nss.sh: nss_rjh does not resolve $(host_of "$n")" >&2; exit 2; }
		hostuid[$n]=$uid0
	done
	plan
	run_plan

	echo "getent passwd, 100,000 hosts; RSS..." >&2
	export RJH_CONF="$W/r100000/rjh.conf"
	getent_lines=$(getent passwd | grep -c ':rjh host ' || true)
	read -r getent_us _ <<< "$("$TIMEIT" 3 /usr/bin/getent passwd)"
	rss=$(over "$W/nsswitch.rjh" /etc/nsswitch.conf -- "$BENCH" rss "$(host_of 100000)" 100000)
	unset RJH_CONF

	echo
	echo "nss_rjh through glibc $(ldd --version | awk 'NR == 1 { print $NF }') on $(nproc) cores:" \
		"time per call; median of $ROUNDS rounds of $ITER calls, each the median (p90) of" \
		"samples of up to 100 calls; ratios: median of the rounds' ratios"
	line benchmark median p90 target result
	printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..60})" "------------" \
		"------------" "------------" "--------"
	lrow "files: getpwnam_r root (line 1 of $nlines) = baseline" root
	lrow "files: getpwnam_r $last (line $nlines of $nlines)" last
	lrow "files: getpwuid_r 0" root_uid
	lrow "files: getpwnam_r u100000 (line 100,000 of 100,000)" big
	lrow "glibc alone: getpwnam_r, no loadable module" floor
	for n in $SIZES; do
		lrow "nss_rjh [rjh]: getpwnam_r, $(commas "$n") hosts" "name$n"
	done
	for n in $SIZES; do
		lrow "nss_rjh [rjh]: getpwuid_r, $(commas "$n") hosts" "uid$n"
	done
	lrow "nss_rjh itself refuses \"~x\" (module called directly)" dimp "< 1 us" 1000
	lrow "nss_rjh itself refuses \"Host*\" (module called directly)" dimp2 "< 1 us" 1000
	lrow "nss_rjh [rjh]: getpwnam_r \"~x\" through glibc" imp
	lrow "nss_rjh [rjh]: getpwnam_r \"Host*\" through glibc" imp2
	share "  of which nss_rjh: \"~x\" row - glibc alone" imp floor
	share "  of which nss_rjh: getpwnam_r 100,000 row - glibc alone" name100000 floor
	share "  of which nss_rjh: getpwuid_r 100,000 row - glibc alone" uid100000 floor
	for n in $SIZES; do
		lrow "nss_rjh [files rjh]: getpwnam_r, $(commas "$n") hosts" "fr_name$n"
	done
	for n in $SIZES; do
		lrow "nss_rjh [files rjh]: getpwuid_r, $(commas "$n") hosts" "fr_uid$n"
	done
	lrow "nss_rjh [files rjh]: getpwnam_r \"~x\" (impossible name)" fr_imp
	ratio "ratio [rjh] getpwnam_r 100,000 hosts / files root" name100000 root "<= 0.5x" 0.5
	ratio "ratio [rjh] getpwnam_r 100,000 hosts / 10 hosts" name100000 name10 "<= 1.5x" 1.5
	ratio "ratio [rjh] getpwuid_r 100,000 hosts / 10 hosts" uid100000 uid10 "<= 1.5x" 1.5
	ratio "ratio [files rjh] getpwnam_r 100,000 hosts / files root" fr_name100000 root
	ratio "ratio [files rjh] getpwnam_r 100,000 hosts / 10 hosts" fr_name100000 fr_name10
	line "getent passwd [files rjh]: 100,000 hosts, median of 3 runs" \
		"$(awk -v us="$getent_us" 'BEGIN { printf "%.3f s", us / 1e6 }')" "" "< 1 s" \
		"$(verdict "$getent_us" 999999)"
	line "getent passwd [files rjh]: host lines listed" "$(commas "$getent_lines")" "" \
		">= 100,000" "$(verdict 100000 "$getent_lines")"
	line "peak RSS growth, 100,000 getpwnam_r [rjh], 100,000 hosts" "$rss KiB" "" \
		"< 1 MiB" "$(verdict "$rss" 1023)"
	echo
	echo "[rjh]: nsswitch 'passwd: rjh', nss_rjh alone; [files rjh]: the documented order, where"
	echo "a host lookup first misses in /etc/passwd. 'glibc alone' is getpwnam_r's own cost (it"
	echo "stats /etc/nsswitch.conf on every call), a floor no module can go below; so the"
	echo "impossible-name target is checked on the module called directly, and the glibc rows"
	echo "beside it show what a caller sees."
}

if [ "${1:-}" = --measure ]; then
	W=$2
	tools
	measure
	exit $FAILED
fi

for f in $BUILT; do
	[ -f "$f" ] || { echo "nss.sh: $f missing: run make" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "nss.sh: needs root (mount namespaces)" >&2; exit 2; }
W=$(mktemp -d /tmp/rjh-nss-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
tools
prepare
rc=0
unshare -m --propagation private "$BASH" "$0" --measure "$W" || rc=$?
exit $rc
