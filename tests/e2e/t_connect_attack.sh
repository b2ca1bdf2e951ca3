# rjh-connect against its own callers, through the real sshd and the
# setuid binary, with the records in a real auditd:
#   - the caller cannot stop or kill the root parent that writes the
#     records; what it can kill (its relay child, its ssh, its terminal's
#     ^C, an early close) still ends with a USER_END carrying the bytes;
#   - addr= is the address sshd saw (IPv4 and IPv6); a forged
#     SSH_CONNECTION, from a shell, a fake "sshd", a double fork to init or
#     an sshd the user runs, is at most claimed_peer=, never addr=;
#   - every USER_START op=rjh-connect of the whole run has its USER_END.
# alice and bob are ForceCommand clients; mallory is a client account
# with a shell on the jumphost.
. "$(dirname "$0")/lib.sh"
e2e_setup
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
CONNECT=$WORK/bin/rjh-connect

# add_shell_user NAME: a client account with a shell (no ForceCommand) and a key.
add_shell_user() {
	local n=$1 u=$((CLIENT_UID + 2))
	while getent passwd "$u" > /dev/null || getent group "$u" > /dev/null; do
		u=$((u + 1))
	done
	echo "$n:*:$u:$u:rjh e2e shell user:$WORK/home/$n:/bin/sh" >> "$WORK/etc/passwd" &&
		echo "$n:x:$u:" >> "$WORK/etc/group" &&
		mkdir -p -m 0700 "$WORK/home/$n/.ssh" &&
		ssh-keygen -q -N '' -t ed25519 -C "$n" -f "$WORK/client/$n" &&
		cp "$WORK/client/$n.pub" "$WORK/home/$n/.ssh/authorized_keys" &&
		chown -R "$n:$n" "$WORK/home/$n"
}

# as USER COMMAND...: COMMAND as USER on the jumphost, as a shell of theirs would run it.
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"
}

# on_laptop VAR USER COMMAND...: COMMAND as USER on the laptop, in the
# background; VAR gets its pid (that of the command itself, not a subshell).
on_laptop() {
	local var=$1 u=$2
	shift 2
	bg "$var" ip netns exec "$NS-c" setpriv --reuid="$u" --regid="$u" --init-groups \
		env HOME="$WORK/home/$u" "$@"
}

# rjh_pids: "PARENT CHILD" of the rjh-connect that runs (one at a time here).
rjh_pids() {
	local p pp parent='' child=''
	for p in $(pgrep -x rjh-connect); do
		pp=$(awk '{print $4}' "/proc/$p/stat" 2> /dev/null)
		if [ "$(readlink "/proc/$pp/exe")" = "$CONNECT" ]; then
			child=$p
		else
			parent=$p
		fi
	done
	echo "$parent $child"
}
both_running() {
	local p c
	read -r p c <<< "$(rjh_pids)"
	[ -n "$p" ] && [ -n "$c" ]
}
none_running() { [ -z "$(pgrep -x rjh-connect)" ]; }

# ends_of SES: the USER_END op=rjh-connect records of audit session SES.
ends_of() {
	ausearch -if "$AUDIT_LOG" -m USER_END --session "$1" -i 2> /dev/null | grep 'op=rjh-connect'
}
has_end() { [ -n "$(ends_of "$1")" ]; }
# n_ends: how many USER_END op=rjh-connect the log has.
n_ends() {
	ausearch -if "$AUDIT_LOG" -m USER_END 2> /dev/null | grep -c 'op=rjh-connect'
}
# starts_of USER: the USER_START op=rjh-connect records of caller USER, oldest first.
starts_of() {
	ausearch -if "$AUDIT_LOG" -m USER_START -i 2> /dev/null | grep 'op=rjh-connect' |
		grep -E "acct=\"?$1\"? "
}
n_starts() { starts_of "$1" | wc -l; }
# next_start USER N0: waits until USER has more than N0 of them; START is the last.
next_start() {
	START=
	wait_for 10 "a USER_START of $1" test "$(n_starts "$1")" -gt "$2" || return 1
	START=$(starts_of "$1" | tail -1)
}
# field NAME RECORD: NAME=VALUE as the record has it, or "".
field() { printf '%s\n' "$2" | grep -oE "(^| )$1=[^ ]*" | head -1 | sed 's/^ //'; }
# verified DESCRIPTION ADDR: START's addr= is ADDR, and it has no claimed_peer=.
verified() {
	eq "$(field addr "$START") $(field claimed_peer "$START")" "addr=$2 " "$1"
}
# unverified DESCRIPTION CLAIM: START has no address (addr=?), the claim as claimed_peer=.
unverified() {
	eq "$(field addr "$START") $(field claimed_peer "$START")" "addr=? claimed_peer=$2" "$1"
}
# laptop_tuple: SSH_CONNECTION of the laptop's (first) live connection to the jumphost's sshd.
laptop_tuple() {
	ss -Htn state established "( sport = :22 and dst 10.77.0.200 )" | head -1 |
		awk '{ n = split($3, l, ":"); m = split($4, p, ":"); print p[1], p[m], l[1], l[n] }'
}

# byte NAME RECORD: the value of NAME=N in RECORD, or -1.
byte() {
	local v
	v=$(printf '%s\n' "$2" | grep -o "$1=[0-9]*" | tail -1)
	echo "${v#*=}" | grep -x '[0-9][0-9]*' || echo -1
}

echo "# a jumphost, a host behind NAT, a laptop; alice (ForceCommand) and mallory (a shell)"
add_shell_user mallory || die "mallory's account"
start_jumphost
client_up || die "the laptop's network"
add_host host-1
cat "$WORK/client/alice.pub" "$WORK/client/mallory.pub" >> "$WORK/hosts/host-1/authorized_keys"
rjh set-host-key host-1 "$WORK/hosts/host-1/ssh_host_ed25519_key.pub" > /dev/null ||
	die "set-host-key host-1"
tunnel_up host-1 || die "tunnel of host-1"
rjh grant alice host-1 > /dev/null && rjh grant mallory host-1 > /dev/null || die "grants"
client_ssh_config alice && client_ssh_config mallory || die "client ssh configs"
n0=$(n_starts alice)
expect 0 "alice: ssh host-1 hostname (the setup works)" -- laptop alice ssh host-1 hostname
eq "$OUT" host-1 "host-1 answers"
next_start alice "$n0"
verified "a client through sshd: addr= is the laptop's 10.77.0.200, sshd's own view" 10.77.0.200

echo "# the caller cannot stop or kill the root parent"
on_laptop cl alice ssh host-1 'echo up; exec sleep 60' > "$WORK/session.out" 2>&1
wait_for 20 "alice's session on host-1" grep -q up "$WORK/session.out" ||
	die "alice's session did not start: $(cat "$WORK/session.out")"
read -r P C <<< "$(rjh_pids)"
ses=$(cat "/proc/$P/sessionid")
eq "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$P/status")" "0 0 0 0" \
	"the parent's real, effective, saved and fs uid are 0"
eq "$(awk '/^Uid:/ {print $2}' "/proc/$C/status")" "$CLIENT_UID" "the relay child runs as alice"
for sig in STOP TSTP KILL; do
	expect_fail "alice: kill -$sig of the parent fails" -- as alice kill -"$sig" "$P"
	has "Operation not permitted" "with EPERM ($sig)"
done
sleep 0.2
eq "$(awk '{print $3}' "/proc/$P/stat" 2> /dev/null)" S "the parent still runs (state S, not stopped)"
# The terminal's signals and SIGPIPE, which the kernel sends with no permission check.
ign=$(awk '/^SigIgn:/ {print $2}' "/proc/$P/status")
eq "$(printf '%x' $((0x$ign & 0x381007)))" 381007 \
	"the parent ignores SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU"

stop "$cl"
wait_for 10 "rjh-connect to end" none_running || not_ok "rjh-connect still runs after its client died"

echo "# the parent killed anyway (root here; a caller's cgroup.kill needs no signal right)"
# The relay must not outlive the process that records it, and the END it
# could not write is written by the next rjh-admin that drains the spool.
on_laptop cl alice ssh host-1 'echo up; exec sleep 60' > "$WORK/session.out" 2>&1
wait_for 20 "alice's session on host-1" grep -q up "$WORK/session.out" ||
	die "alice's session did not start: $(cat "$WORK/session.out")"
read -r P C <<< "$(rjh_pids)"
ses=$(cat "/proc/$P/sessionid")
kill -KILL "$P"
wait_for 5 "the relay child to die with its parent" sh -c "! kill -0 $C 2> /dev/null" &&
	ok "the relay child died with its parent (parent-death signal)" ||
	not_ok "the relay child $C outlived its parent"
expect 0 "rjh-admin audit drains the spool" -- rjh audit --user alice
gone_end() { ausearch -if "$AUDIT_LOG" -m USER_END -i 2> /dev/null | grep 'op=rjh-connect' |
	grep 'monitor-gone' | grep 'acct=alice'; }
wait_for 10 "a USER_END reason=monitor-gone" test -n "$(gone_end)" &&
	ok "the kernel has the connection's USER_END, written by the drain" ||
	not_ok "no USER_END for the killed parent's connection"
case $(gone_end) in
*res=failed*) ok "res=failed, reason=monitor-gone" ;;
*) not_ok "the drain's USER_END: '$(gone_end)'" ;;
esac
eq "$(sqlite3 "$REG" "SELECT result, detail FROM events WHERE type = 'USER_END' AND op = 'rjh-connect' AND detail LIKE '%monitor-gone%' AND actor_uid = $CLIENT_UID")" \
	"failed|reason=monitor-gone connect_pid=$P" "and the events mirror has it once, naming the connection's pid"
# The kernel logs pids as the initial PID namespace sees them, this test's
# namespace another: the pairing below needs that START's pid as logged.
ORPHAN_START_PID=$(ausearch -if "$AUDIT_LOG" -m USER_START --session "$ses" 2> /dev/null |
	grep 'op=rjh-connect' | grep -o ' pid=[0-9]*' | tail -1 | cut -d= -f2)
stop "$cl"

echo "# alice kills her relay child: USER_END with the bytes so far"
on_laptop cl alice ssh host-1 'echo up; exec sleep 60' > "$WORK/session.out" 2>&1
wait_for 20 "alice's session on host-1" grep -q up "$WORK/session.out" ||
	die "alice's session did not start: $(cat "$WORK/session.out")"
read -r P C <<< "$(rjh_pids)"
ses=$(cat "/proc/$P/sessionid")
expect 0 "alice may kill her relay child (it runs as her)" -- as alice kill -KILL "$C"
wait_for 10 "USER_END of session $ses" has_end "$ses"
end=$(ends_of "$ses")
[ "$(byte bytes_to_host "$end")" -gt 0 ] && [ "$(byte bytes_from_host "$end")" -gt 0 ] &&
	ok "USER_END has the bytes moved before the kill ($(printf '%s' "$end" | grep -o 'bytes_[a-z_]*=[0-9]*' | tr '\n' ' '))" ||
	not_ok "USER_END of session $ses lacks the byte counts: '$end'"
case $end in
*res=failed*) ok "and res=failed" ;;
*) not_ok "a killed child's USER_END is not res=failed: '$end'" ;;
esac
stop "$cl"

echo "# the client's ssh dies: USER_END"
wait_for 10 "rjh-connect to end" none_running || not_ok "rjh-connect still runs"
pkill -KILL -u alice -x rjh-connect
on_laptop cl alice ssh host-1 'echo up; exec sleep 60' > "$WORK/session.out" 2>&1
wait_for 20 "alice's session on host-1" grep -q up "$WORK/session.out" ||
	die "alice's session did not start: $(cat "$WORK/session.out")"
read -r P C <<< "$(rjh_pids)"
ses=$(cat "/proc/$P/sessionid")
stop "$cl"
wait_for 15 "USER_END of session $ses" has_end "$ses" && ok "the laptop's ssh killed: USER_END (session $ses)" ||
	not_ok "no USER_END after the laptop's ssh was killed"
end=$(ends_of "$ses")
[ "$(byte bytes_from_host "$end")" -gt 0 ] && ok "with the bytes from the host ($(byte bytes_from_host "$end"))" ||
	not_ok "USER_END without bytes: '$end'"
wait_for 10 "rjh-connect to end" none_running || not_ok "rjh-connect still runs after its client died"

echo "# early ends: stdin closed at once, the client gone before the host answers"
n0=$(n_ends)
expect 0 "stdin closed at once: the host's banner, then the end" -- \
	laptop alice ssh "$JUMP_ADDR" rjh-connect host-1 < /dev/null
has -o "SSH-2.0-" "the host's sshd answered the half-closed connection"
wait_for 10 "one more USER_END" test "$(n_ends)" -gt "$n0" && ok "USER_END after the early close" ||
	not_ok "no USER_END after stdin closed at once"
# The client dies as soon as rjh-connect exists: the child may still be
# waiting for its go, or have relayed nothing yet.
on_laptop cl alice sh -c "sleep 30 | ssh $JUMP_ADDR rjh-connect host-1" > /dev/null 2>&1
wait_for 20 "alice's rjh-connect" both_running || die "alice's rjh-connect did not start"
read -r P C <<< "$(rjh_pids)"
ses=$(cat "/proc/$P/sessionid")
pkill -KILL -f "^ssh $JUMP_ADDR rjh-connect host-1"
stop "$cl"
pkill -KILL -u alice -x sleep
wait_for 15 "USER_END of session $ses" has_end "$ses" && ok "the client killed at once: USER_END (session $ses)" ||
	not_ok "no USER_END after the client was killed at once"
wait_for 10 "rjh-connect to end" none_running || not_ok "rjh-connect still runs after its client died"

echo "# ^C on the caller's terminal ends the relay, not the parent"
n0=$(n_ends)
expect 0 "mallory runs rjh-connect on a terminal and presses ^C" -- "$PY" - "$CONNECT" << 'EOF'
import os, pty, signal, sys, time
pid, fd = pty.fork()
if pid == 0:
    # As an interactive shell starts a foreground job (the test itself runs
    # in the background, where SIGINT is ignored).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.execvp("setpriv", ["setpriv", "--reuid=mallory", "--regid=mallory", "--init-groups",
                          sys.argv[1], "host-1"])
buf, end = b"", time.time() + 15
while b"SSH-2.0-" not in buf and time.time() < end:
    try:
        buf += os.read(fd, 4096)
    except OSError:
        break
if b"SSH-2.0-" not in buf:
    sys.exit("no banner from host-1: %r" % buf)
os.write(fd, b"\x03")
_, st = os.waitpid(pid, 0)
print("exit %d" % os.waitstatus_to_exitcode(st))
EOF
eq "$OUT" "exit 7" "rjh-connect itself exits 7 (its relay was interrupted): the parent survived ^C"
wait_for 10 "one more USER_END" test "$(n_ends)" -gt "$n0" && ok "USER_END after ^C" ||
	not_ok "no USER_END after ^C"

echo "# what the caller sets before exec does not reach the parent"
# An interval timer survives exec: SIGALRM would end the parent after 1 s.
n0=$(n_ends)
expect 0 "mallory: alarm in 1 s, then exec rjh-connect; the relay runs 2 s" -- \
	sh -c "sleep 2 | setpriv --reuid=mallory --regid=mallory --init-groups $PY -c \
		'import os, signal, sys; signal.setitimer(signal.ITIMER_REAL, 1); os.execv(sys.argv[1], sys.argv[1:])' \
		$CONNECT host-1"
has -o "SSH-2.0-" "the relay ran to its end"
wait_for 10 "one more USER_END" test "$(n_ends)" -gt "$n0" && ok "USER_END after the caller's alarm" ||
	not_ok "no USER_END: the alarm ended the parent"
# An ignored SIGCHLD survives exec: the kernel would reap the child and its status be lost.
n0=$(n_ends)
sleep 30 | as mallory "$PY" -c 'import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])' "$CONNECT" host-1 > /dev/null 2>&1 &
lim=$!
if wait_for 20 "mallory's rjh-connect" both_running; then
	read -r P C <<< "$(rjh_pids)"
	eq "$(printf '%x' $((0x$(awk '/^SigIgn:/ {print $2}' "/proc/$P/status") & 0x10000)))" 0 \
		"the parent does not ignore SIGCHLD"
	kill -KILL "$C"
	wait_for 10 "one more USER_END" test "$(n_ends)" -gt "$n0"
	case $(ausearch -if "$AUDIT_LOG" -m USER_END -i 2> /dev/null | grep 'op=rjh-connect' | tail -1) in
	*res=failed*) ok "a killed relay is res=failed, SIGCHLD ignored or not" ;;
	*) not_ok "USER_END of a killed relay with SIGCHLD ignored is not res=failed" ;;
	esac
else
	not_ok "mallory's rjh-connect with SIGCHLD ignored did not start"
fi
pkill -x sleep -u mallory
pkill -x sleep -P $$
wait "$lim" 2> /dev/null
wait_for 10 "rjh-connect to end" none_running
# A scheduling policy survives exec too: SCHED_IDLE would starve the parent.
as mallory sh -c "sleep 30 | chrt -i 0 $CONNECT host-1" > /dev/null 2>&1 &
lim=$!
if wait_for 20 "mallory's rjh-connect" both_running; then
	read -r P C <<< "$(rjh_pids)"
	eq "$(chrt -p "$P" | head -1 | sed 's/.*: //')" SCHED_OTHER "the parent is back to SCHED_OTHER"
else
	not_ok "rjh-connect under SCHED_IDLE did not start"
fi
pkill -x sleep -u mallory
wait "$lim"
wait_for 10 "rjh-connect to end" none_running
# Soft limits the caller lowered: the parent raises them, the child keeps the caller's.
as mallory sh -c "ulimit -S -t 1; ulimit -S -f 0; ulimit -S -c 1000; sleep 30 | $CONNECT host-1" \
	> /dev/null 2>&1 &
lim=$!
limit() { awk -v k="$2" 'index($0, k) == 1 {print $(NF - 2)}' "/proc/$1/limits"; }
if wait_for 20 "mallory's rjh-connect" both_running; then
	read -r P C <<< "$(rjh_pids)"
	eq "$(limit "$P" "Max cpu time") $(limit "$P" "Max file size") $(limit "$P" "Max core file size")" \
		"unlimited unlimited 0" "the parent's soft CPU and file size limits are raised, core dumps off"
	eq "$(limit "$C" "Max cpu time") $(limit "$C" "Max file size") $(limit "$C" "Max core file size")" \
		"1 0 512000" "the relay child has mallory's own limits back (dash: -c counts 512-byte blocks)"
else
	not_ok "with soft limits lowered (file size 0), rjh-connect did not get to relay"
fi
pkill -x sleep -u mallory
wait "$lim"
wait_for 10 "rjh-connect to end" none_running || not_ok "rjh-connect still runs"

echo "# forged client addresses: the live connection of alice, claimed by mallory"
on_laptop cl alice ssh host-1 'echo up; exec sleep 60' > "$WORK/session.out" 2>&1
wait_for 20 "alice's session on host-1" grep -q up "$WORK/session.out" ||
	die "alice's session did not start: $(cat "$WORK/session.out")"
forged=$(laptop_tuple)
[ -n "$forged" ] && ok "alice's live connection: SSH_CONNECTION='$forged'" || die "no live connection from the laptop"
n0=$(n_starts mallory)
expect 0 "mallory, in a shell on the jumphost, claims alice's live connection" -- \
	as mallory env SSH_CONNECTION="$forged" "$CONNECT" host-1 < /dev/null
next_start mallory "$n0"
unverified "a live 4-tuple that is not our session's: no addr=, only the claim" 10.77.0.200
n0=$(n_starts mallory)
expect 0 "the same from a process named sshd (a copy of sh), outside any sshd session" -- \
	as mallory sh -c "cp /bin/sh /tmp/sshd && SSH_CONNECTION='$forged' /tmp/sshd -c '$CONNECT host-1; true'" < /dev/null
next_start mallory "$n0"
unverified "a fake sshd above rjh-connect is not sshd: unverified" 10.77.0.200

echo "# mallory through sshd: her own address, and nothing she claims"
n0=$(n_starts mallory)
expect 0 "mallory: ssh jumphost rjh-connect, from her shell there" -- \
	laptop mallory ssh "$JUMP_ADDR" "$CONNECT host-1 < /dev/null"
next_start mallory "$n0"
verified "her own session, through her shell: addr=10.77.0.200" 10.77.0.200
n0=$(n_starts mallory)
expect 0 "mallory, in her sshd session, claims alice's connection" -- \
	laptop mallory ssh "$JUMP_ADDR" "SSH_CONNECTION='$forged' $CONNECT host-1 < /dev/null"
next_start mallory "$n0"
unverified "alice's socket is not held by mallory's sshd" 10.77.0.200
n0=$(n_starts mallory)
expect 0 "mallory, in her sshd session, under a fake sshd (a copy of sh) claiming alice's" -- \
	laptop mallory ssh "$JUMP_ADDR" \
	"cp /bin/sh ~/sshd && SSH_CONNECTION='$forged' ~/sshd -c '$CONNECT host-1 < /dev/null; true'"
next_start mallory "$n0"
unverified "a fake sshd inside a real session: still not alice's" 10.77.0.200
# Her session's own channels: a -L forward makes her sshd child connect to
# any address she names (10.77.0.99 is no one: the SYN waits, SYN_SENT). That
# socket is in her session's unprivileged child, never in its root monitor,
# so claiming its 4-tuple must not pass for the client's address.
cat > "$WORK/home/mallory/claim.sh" << EOC
sleep 2.5
E=\$(ss -Htn state syn-sent dst 10.77.0.99 | awk '{print \$3}' | sed 's/.*://')
echo "port=\$E"
SSH_CONNECTION="10.77.0.99 22 $JUMP_ADDR \$E" $CONNECT host-1 < /dev/null
EOC
chown mallory: "$WORK/home/mallory/claim.sh"
n0=$(n_starts mallory)
expect 0 "mallory claims the 4-tuple of a -L forward of her own session" -- \
	laptop mallory sh -c "(sleep 1; nc -w 4 127.0.0.1 9000 < /dev/null) &
		ssh -L 9000:10.77.0.99:22 $JUMP_ADDR sh claim.sh"
[[ $OUT =~ port=[0-9]+ ]] && ok "her forward's connection was there to claim" ||
	not_ok "no forward's connection to claim: '$OUT'"
next_start mallory "$n0"
unverified "a forward's socket in her sshd child is not the client's connection" 10.77.0.99
stop "$cl"
# Her own, real SSH_CONNECTION, but rjh-connect is orphaned (to init) while
# her session stays up: the session is no longer above it.
n0=$(n_starts mallory)
expect 0 "mallory double-forks rjh-connect away from her session" -- \
	laptop mallory ssh "$JUMP_ADDR" \
	"( (sleep 0.5; exec $CONNECT host-1 < /dev/null > /dev/null 2>&1) & ); sleep 3"
next_start mallory "$n0"
unverified "reparented to init: unverified, even with her real SSH_CONNECTION" 10.77.0.200

echo "# an sshd mallory runs herself, on port 2222"
h=$WORK/home/mallory
ssh-keygen -q -N '' -t ed25519 -f "$h/hostkey" && printf '%s\n' "Port 2222" \
	"ListenAddress $JUMP_ADDR" "HostKey $h/hostkey" "PidFile $h/sshd.pid" \
	"AuthorizedKeysFile $h/.ssh/authorized_keys" "UsePAM no" "PasswordAuthentication no" \
	"KbdInteractiveAuthentication no" "LogLevel VERBOSE" > "$h/sshd_config" &&
	chown -R mallory: "$h" || die "mallory's sshd config"
# Started from her real session, so that the jumphost's sshd is above it too.
on_laptop own mallory ssh "$JUMP_ADDR" "exec /usr/sbin/sshd -D -f $h/sshd_config -E $h/sshd.log" \
	> /dev/null 2>&1
wait_for 15 "mallory's sshd on port 2222" nc -z -w 1 "$JUMP_ADDR" 2222 ||
	not_ok "mallory's own sshd did not start: $(tail -3 "$h/sshd.log" 2> /dev/null)"
n0=$(n_starts mallory)
expect 0 "mallory: ssh -p 2222 (her own sshd) rjh-connect" -- \
	laptop mallory ssh -p 2222 -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no \
	"$JUMP_ADDR" "$CONNECT host-1 < /dev/null"
has -o "SSH-2.0-" "rjh-connect relayed through her sshd"
next_start mallory "$n0"
unverified "an sshd run by the user: its connection is not verified" 10.77.0.200
stop "$own"

echo "# IPv6: a second jumphost sshd on fd77::1"
ip addr add fd77::1/64 dev rjhbr0 nodad && ip -n "$NS-c" addr add fd77::200/64 dev eth0 nodad ||
	die "IPv6 addresses"
bg jump6 "$JUMP_SSHD" -D -E "$WORK/jump/sshd6.log" -o "HostKey=$WORK/jump/ssh_host_ed25519_key" \
	-o "PidFile=$WORK/jump/sshd6.pid" -o "ListenAddress=[fd77::1]:22" -o LogLevel=VERBOSE
wait_for 10 "the jumphost's sshd on [fd77::1]:22" nc -z -w 1 fd77::1 22 || die "sshd on fd77::1"
n0=$(n_starts alice)
expect 0 "alice: ssh fd77::1 rjh-connect host-1" -- \
	laptop alice ssh -o HostKeyAlias="$JUMP_ADDR" -o IdentitiesOnly=yes -o BatchMode=yes \
	-i "$WORK/home/alice/.ssh/id_ed25519" -o UserKnownHostsFile="$WORK/home/alice/.ssh/known_hosts" \
	-l alice fd77::1 rjh-connect host-1 < /dev/null
next_start alice "$n0"
verified "an IPv6 client: addr=fd77::200" fd77::200
stop "$jump6"

echo "# every USER_START op=rjh-connect has its USER_END"
sleep 1
pairs=$(ausearch -if "$AUDIT_LOG" -m USER_START,USER_END 2> /dev/null | grep 'op=rjh-connect' |
	awk -v orphan="$ORPHAN_START_PID" '{ t = $1; sub(/^type=/, "", t); for (i = 1; i <= NF; i++) if ($i ~ /^pid=/) p = substr($i, 5);
	       # The END the drain wrote for the parent killed above pairs with its START.
	       if ($0 ~ /connect_pid=/) p = orphan;
	       n[p] += (t == "USER_START") ? 1 : -1; s += (t == "USER_START") }
	     END { bad = 0; for (p in n) if (n[p] != 0) { printf "pid %s: %+d\n", p, n[p]; bad++ }
		   printf "starts %d unmatched %d\n", s, bad }')
case $pairs in
*"unmatched 0") ok "every USER_START has a USER_END of the same pid (${pairs##*$'\n'})" ;;
*) not_ok "USER_START without USER_END: $(printf '%s' "$pairs" | tr '\n' ';')" ;;
esac
[ "$(printf '%s' "$pairs" | sed -n 's/^starts \([0-9]*\).*/\1/p')" -ge 6 ] 2> /dev/null &&
	ok "over the whole run (at least 6 connections)" || not_ok "too few connections counted: $pairs"
finish
