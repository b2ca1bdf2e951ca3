# Sourced first by a CLI test that mounts or bind-mounts over /etc or /dev:
# re-runs the test in a private mount namespace of its own, so that nothing
# it mounts is seen outside it and all of it goes with the test.
# RJH_PRIVATE_MOUNTS names the namespace made for the test (as readlink
# /proc/self/ns/mnt says it inside it). NB. not a comparison with the
# parent's namespace: a test whose parent is gone is the child of PID 1 or
# of a subreaper, whose namespace may be unreadable, and an empty answer
# must never pass for "private".
_rjh_ns=$(readlink /proc/self/ns/mnt)
if [ -z "$_rjh_ns" ] || [ "${RJH_PRIVATE_MOUNTS:-}" != "$_rjh_ns" ]; then
	if [ -n "${RJH_PRIVATE_MOUNTS:-}" ]; then
		echo "$(basename "$0" .sh): no private mount namespace; not touching /etc" >&2
		exit 1
	fi
	exec unshare -m --propagation private bash -c \
		'export RJH_PRIVATE_MOUNTS=$(readlink /proc/self/ns/mnt); exec bash "$0" "$@"' "$0" "$@"
fi
unset _rjh_ns
