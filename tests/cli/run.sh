#!/bin/bash
# Runs every tests/cli/t_*.sh; prints one summary line over all of them.
set -u
cd "$(dirname "$0")"
pass=0
fail=0
failed=()
for t in t_*.sh; do
	out=$(bash "$t" 2>&1)
	rc=$?
	echo "$out"
	line=$(printf '%s\n' "$out" | grep -E '^[a-z_0-9]+: [0-9]+ passed, [0-9]+ failed$' | tail -1)
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) failed/\1/')
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	if [ $rc != 0 ] || [ -z "$line" ]; then
		failed+=("$t")
		[ "${f:-0}" = 0 ] && fail=$((fail + 1))
	fi
done
[ ${#failed[@]} -gt 0 ] && echo "FAILED: ${failed[*]}"
echo "cli: $pass passed, $fail failed"
[ $fail = 0 ]
