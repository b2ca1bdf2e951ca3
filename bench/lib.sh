# Shared by the benchmarks that run inside the e2e harness (login.sh,
# storm.sh, relay.sh): sources tests/e2e/lib.sh (namespaces, jumphost, hosts,
# teardown in its EXIT trap) and turns its failures into "could not run".
# Set TEST_NAME before sourcing.
. "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh"
set -o pipefail

# Setup failures: exit 2, after the harness's teardown (the EXIT trap).
die() {
	echo "$TEST_NAME: could not run: $*" >&2
	if [ -s "$JUMP_LOG" ]; then
		echo "    jumphost sshd log (tail):" >&2
		jump_log_since 0 30 >&2
	fi
	exit 2
}
for sig in INT TERM HUP; do
	# shellcheck disable=SC2064
	trap "echo '$TEST_NAME: interrupted (SIG$sig)' >&2; exit 2" "$sig"
done

# free_id: a uid (and gid) in 2900-2999 that no account or group of the
# namespace uses yet, for the benchmarks' extra accounts.
free_id() {
	local u
	for u in $(seq 2900 2999); do
		if ! getent passwd "$u" > /dev/null && ! getent group "$u" > /dev/null &&
			! grep -q ":$u:" "$WORK/etc/passwd" "$WORK/etc/group"; then
			echo "$u"
			return 0
		fi
	done
	return 1
}

# What is measured is copied from build/ first: a rebuild during the run
# changes nothing (a bind mount in this mount namespace only).
snapshot_build() {
	local f
	mkdir -m 0755 "$WORK/build" "$WORK/build/tools" || return 1
	for f in rjh-admin rjh-authorized-keys libnss_rjh.so.2 pam_rjh.so tools/syslog-sink; do
		cp "$TOP/build/$f" "$WORK/build/$f" || return 1
	done
	mount --bind "$WORK/build" "$TOP/build"
}
