#!/bin/bash
# Runs every tests/e2e/t_*.sh (each sets up and tears down its own jumphost).
set -u
cd "$(dirname "$0")"
fail=0
for t in t_*.sh; do
	[ -e "$t" ] || continue
	bash "$t" || fail=1
done
exit $fail
