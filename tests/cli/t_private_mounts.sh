# tests/cli/private-mounts.sh, which every CLI test that mounts over /etc or
# /dev sources first: the test must end up in a mount namespace of its own
# however it was started, above all when its parent is gone (it is then the
# child of PID 1 or of a subreaper, whose namespace may not be readable: on
# such a machine the old check took "unreadable" for "private" and mounted
# over the host's /dev and /etc).
. "$(dirname "$0")/lib.sh"
SELF=$(readlink /proc/self/ns/mnt)
cat > "$WORK/probe.sh" << EOF2
. "$TOP/tests/cli/private-mounts.sh"
readlink /proc/self/ns/mnt > "$WORK/\$1.tmp" && mv "$WORK/\$1.tmp" "$WORK/\$1"
EOF2
wait_for() { # wait_for FILE: up to 10 s
	local i
	for i in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done
	return 1
}

bash "$WORK/probe.sh" child
wait_for "$WORK/child" && ns=$(cat "$WORK/child") || ns=
[ -n "$ns" ] && [ "$ns" != "$SELF" ] && ok "run by its parent: a namespace of its own ($ns)" ||
	not_ok "run by its parent: namespace '$ns', the caller's is $SELF"

# An orphan: the subshell that starts it exits at once.
( bash "$WORK/probe.sh" orphan > "$WORK/orphan.out" 2>&1 & )
wait_for "$WORK/orphan" && ns=$(cat "$WORK/orphan") || ns=
[ -n "$ns" ] && [ "$ns" != "$SELF" ] && ok "orphaned at once: a namespace of its own ($ns)" ||
	not_ok "orphaned at once: namespace '$ns', the caller's is $SELF ($(cat "$WORK/orphan.out"))"

# Already inside one made for it (the variable says which): no second level.
RJH_PRIVATE_MOUNTS=bogus bash "$WORK/probe.sh" forged > "$WORK/forged.out" 2>&1
eq "$?" 1 "a marker that names another namespace is refused, not trusted"
[ ! -e "$WORK/forged" ] && ok "and nothing ran" || not_ok "the probe ran with a forged marker"
finish
