# Sourced first by a CLI test that mounts or bind-mounts over /etc: re-runs
# the test in a private mount namespace of its own, so that nothing it
# mounts is seen outside it and all of it goes with the test.
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/$PPID/ns/mnt)" ]; then
	if [ -n "${RJH_PRIVATE_MOUNTS:-}" ]; then
		echo "$(basename "$0" .sh): no private mount namespace; not touching /etc" >&2
		exit 1
	fi
	RJH_PRIVATE_MOUNTS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
