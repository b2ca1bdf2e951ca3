#!/bin/sh
# Runs each libFuzzer binary for SECONDS from its seed corpus in
# tests/fuzz/corpus/NAME; new inputs go to a temporary directory, never
# into the repository. Fails on the first crash.
# Usage: run-fuzz.sh SECONDS build/fuzz/fuzz_NAME...
set -eu
secs=$1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
for f in "$@"; do
	name=$(basename "$f")
	f=$(cd "$(dirname "$f")" && pwd)/$name
	seeds="$top/tests/fuzz/corpus/${name#fuzz_}"
	work=$(mktemp -d /tmp/rjh-fuzz.XXXXXX)
	echo "== $name for ${secs}s"
	if ! (cd "$work" && "$f" -max_total_time="$secs" -max_len=8192 -print_final_stats=0 \
		"$work" "$seeds" > "$work/log" 2>&1); then
		tail -40 "$work/log"
		echo "FAILED: $name (crash input kept in $work)" >&2
		exit 1
	fi
	grep -E '^#[0-9]+ +DONE' "$work/log" || tail -1 "$work/log"
	rm -rf "$work"
done
