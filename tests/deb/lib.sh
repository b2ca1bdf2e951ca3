# Booted Debian 12 containers for the package tests (tests/deb/t_*.sh):
# systemd as PID 1 under systemd-nspawn, each with only its own loopback,
# joined by veth pairs this file makes. Sourced after tests/assert.sh.

DEB_RUN=${DEB_RUN:-$TOP/build/deb/run}
CT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CT_NAMES=""

# ct_unpack NAME: a fresh root filesystem for NAME from the cached base.
ct_unpack() {
	local root="$DEB_RUN/$1"
	rm -rf "$root"
	mkdir -p "$root"
	tar -C "$root" -xzf "$BASE_TGZ"
	# debootstrap writes no /etc/hosts: localhost would not resolve inside.
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n127.0.1.1\t%s\n' "$1" > "$root/etc/hosts"
	echo "$1" > "$root/etc/hostname"
	CT_NAMES="$CT_NAMES $1"
}

# ct_boot NAME: boots NAME's root and waits until systemd says it is up.
ct_boot() {
	local root="$DEB_RUN/$1" pid leader i state=""
	systemd-nspawn --register=no --keep-unit --private-network -q -M "$1" -D "$root" -b \
		> "$DEB_RUN/$1.console" 2>&1 < /dev/null &
	pid=$!
	echo "$pid" > "$DEB_RUN/$1.pid"
	for i in $(seq 1 300); do
		kill -0 "$pid" 2> /dev/null || break
		# The leader is the child in a PID namespace of its own (nspawn may
		# fork short-lived helpers first): found afresh until systemd answers.
		leader=""
		for leader in $(pgrep -P "$pid" 2> /dev/null); do
			[ "$(readlink "/proc/$leader/ns/pid" 2> /dev/null)" != "$(readlink /proc/self/ns/pid)" ] &&
				break
			leader=""
		done
		if [ -n "$leader" ]; then
			echo "$leader" > "$DEB_RUN/$1.leader"
			state=$(ct "$1" systemctl is-system-running 2> /dev/null || true)
			case $state in running | degraded) return 0 ;; esac
		fi
		sleep 0.1
	done
	echo "# $1 is not up after 30 s (${state:-no systemd}): $(tail -n 5 "$DEB_RUN/$1.console")"
	return 1
}

# ct NAME CMD...: runs CMD inside NAME, with a clean environment.
ct() {
	local name=$1
	shift
	nsenter -t "$(cat "$DEB_RUN/$name.leader")" -m -u -i -n -p -- \
		env -i PATH="$CT_PATH" HOME=/root LANG=C.UTF-8 "$@"
}

# ct_poweroff NAME: a clean shutdown; waits for systemd-nspawn to exit.
ct_poweroff() {
	local pid i
	pid=$(cat "$DEB_RUN/$1.pid" 2> /dev/null) || return 0
	ct "$1" systemctl poweroff > /dev/null 2>&1 || true
	for i in $(seq 1 300); do
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2> /dev/null && kill -9 "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null || true
	rm -f "$DEB_RUN/$1.pid" "$DEB_RUN/$1.leader"
}

# ct_link A ADDR_A B ADDR_B: a veth pair between two booted containers,
# each end named after the container at its other end (rjh-B in A).
ct_link() {
	local a=rjh-$3 b=rjh-$1
	ip link del "$a" 2> /dev/null || true
	ip link add "$a" type veth peer name "$b"
	ip link set "$a" netns "$(cat "$DEB_RUN/$1.leader")"
	ip link set "$b" netns "$(cat "$DEB_RUN/$3.leader")"
	ct "$1" ip addr add "$2/24" dev "$a"
	ct "$1" ip link set "$a" up
	ct "$3" ip addr add "$4/24" dev "$b"
	ct "$3" ip link set "$b" up
}

ct_cleanup() {
	local n
	for n in $CT_NAMES; do
		ct_poweroff "$n"
		rm -rf "${DEB_RUN:?}/$n" "$DEB_RUN/$n.console"
	done
	rmdir "$DEB_RUN" 2> /dev/null || true
}

# ct_wait SECONDS NAME CMD...: until CMD succeeds inside NAME.
ct_wait() {
	local n=$(($1 * 10)) name=$2 i
	shift 2
	for i in $(seq 1 "$n"); do
		ct "$name" "$@" > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
