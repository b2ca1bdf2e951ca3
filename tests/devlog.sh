# A private /dev with a /dev/log, for tests that check what rjh logs to
# syslog on a machine without a syslog daemon. Source it, then, inside a
# private mount namespace (unshare -m --propagation private):
#
#   devlog_start FILE   a tmpfs over /dev holding bind mounts of the real null,
#                       zero, full, random, urandom, tty, shm, the fd and std*
#                       links, a devpts of its own, and /dev/log served by
#                       build/tools/syslog-sink appending each message to FILE
#                       as one line, "<PRI>" prefix kept (authpriv.err is <83>)
#   syslog_mark         remembers how much of FILE is written
#   syslog_since [MARK] the lines logged since MARK (a byte offset, by default
#                       the last syslog_mark); it waits for every message sent
#                       before the call to be written first
#   devlog_stop         ends the sink (call it from the EXIT trap)
#
# The real /dev is reached through a bind under DEVLOG_TMP (default /run),
# which is let go once the new /dev is built.
DEVLOG_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEVLOG_FILE=
DEVLOG_PID=
SYSLOG_MARK=0
SYSLOG_SYNC=0

devlog_dev() {
	local real tty_gid n
	real=$(mktemp -d "${DEVLOG_TMP:-/run}/.rjh-dev.XXXXXX") || return 1
	tty_gid=$(getent group tty | cut -d: -f3)
	mount --rbind /dev "$real" || return 1
	mount -t tmpfs -o mode=0755,size=1m,nosuid,noexec rjh-dev /dev || return 1
	# NB. a bound /dev/ptmx fails with ENOENT (the kernel looks for "pts"
	# beside it inside the bind): terminals come from a devpts of our own.
	mkdir /dev/pts && ln -s pts/ptmx /dev/ptmx &&
		mount -t devpts -o "newinstance,ptmxmode=0666,mode=0620,gid=${tty_gid:-5}" \
			rjh-pts /dev/pts || return 1
	for n in null zero full random urandom tty shm fd stdin stdout stderr; do
		if [ -L "$real/$n" ]; then
			ln -s "$(readlink "$real/$n")" "/dev/$n" || return 1
		elif [ -d "$real/$n" ]; then
			mkdir "/dev/$n" && mount --rbind "$real/$n" "/dev/$n" || return 1
		elif [ -e "$real/$n" ]; then
			touch "/dev/$n" && mount --bind "$real/$n" "/dev/$n" || return 1
		fi
	done
	umount -R "$real" && rmdir "$real"
}

devlog_start() {
	local i
	DEVLOG_FILE=$1
	: > "$DEVLOG_FILE" || return 1
	devlog_dev || return 1
	"$DEVLOG_TOP/build/tools/syslog-sink" /dev/log "$DEVLOG_FILE" &
	DEVLOG_PID=$!
	for ((i = 0; i < 50; i++)); do
		[ -S /dev/log ] && return 0
		kill -0 "$DEVLOG_PID" 2> /dev/null || return 1
		sleep 0.1
	done
	return 1
}

devlog_stop() {
	[ -n "$DEVLOG_PID" ] || return 0
	kill "$DEVLOG_PID" 2> /dev/null
	wait "$DEVLOG_PID" 2> /dev/null
	DEVLOG_PID=
}

# Waits until the file holds everything sent to /dev/log so far: the sink
# reads one queue in order, so once a marker sent now is written, so is all
# that came before it.
syslog_sync() {
	local tag i
	# Unique even from $(...), where the counter's increment is lost.
	SYSLOG_SYNC=$((SYSLOG_SYNC + 1))
	tag="rjh-sync: $BASHPID.$SYSLOG_SYNC"
	logger -u /dev/log -t rjh-sync "$BASHPID.$SYSLOG_SYNC" || return 1
	for ((i = 0; i < 50; i++)); do
		grep -qxE "<[0-9]+>.* $tag" "$DEVLOG_FILE" && return 0
		sleep 0.1
	done
	echo "syslog_sync: the marker never reached $DEVLOG_FILE" >&2
	return 1
}

syslog_mark() {
	syslog_sync
	SYSLOG_MARK=$(stat -c %s "$DEVLOG_FILE" 2> /dev/null || echo 0)
}

syslog_since() {
	syslog_sync
	tail -c +$((${1:-$SYSLOG_MARK} + 1)) "$DEVLOG_FILE" | grep -v ' rjh-sync: ' || :
}
