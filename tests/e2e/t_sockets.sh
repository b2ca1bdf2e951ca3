# A host can leave socket files behind, as an attacker host would: sshd has
# no ACL on Unix-socket forward paths and sock/ is the host's own directory,
# so one connection binds 100 names, and -O forward / -O cancel over a
# ControlMaster leaves one file per round with nothing listening. sshd never
# removes them. rjh-admin status counts them, rjh-admin runtime removes the
# dead ones (keeping the live ssh.sock, following no planted symlink), and the
# runtime tree gets a tmpfs of its own, so a host exhausting its inodes leaves
# the system's /run alone. pam_rjh sweeps when a host's last session ends and
# when one opens.
. "$(dirname "$0")/lib.sh"
e2e_setup
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
# Limits small enough for one host to exhaust in a few seconds.
printf 'runtime_size = 1M\nruntime_inodes = 1024\n' >> "$CONF"

SOCK_A=$RUNTIME/hosts/host-a/sock
CTL=$WORK/hosts/host-a/ctl

# files DIR PATTERN: how many entries of DIR match the extended regex PATTERN.
files() { ls -A "$1" 2> /dev/null | grep -cE "$2"; }
files_are() { [ "$(files "$2" "$3")" = "$1" ]; }
# listening PATTERN: how many listening Unix sockets sshd bound at /sock/PATTERN.
listening() { ss -xlH | awk '{print $5}' | grep -cE "^/sock/($1)\$"; }
listening_are() { [ "$(listening "$2")" = "$1" ]; }
# unexpected_of NAME: unexpected_entries of `rjh-admin status --json NAME`.
unexpected_of() {
	rjh status --json "$1" 2> /dev/null | "$PY" -c '
import json, sys
print(json.load(sys.stdin)["hosts"][0].get("unexpected_entries"))'
}
# A ControlMaster connection of host-a, and ssh -O through it.
master_up() {
	rm -f "$CTL"
	bg MASTER ip netns exec "${HOST_NS[host-a]}" ssh -F "$WORK/tunnel_config" \
		-i "$WORK/keys/host-a" -E "$WORK/hosts/host-a/master.log" -M -S "$CTL" -N \
		"host-a@$JUMP_ADDR"
	wait_for 10 "host-a's ControlMaster" mux -O check
}
mux() {
	in_host host-a ssh -F "$WORK/tunnel_config" -i "$WORK/keys/host-a" -S "$CTL" "$@" \
		"host-a@$JUMP_ADDR" > /dev/null 2>&1
}
# forwards PREFIX FIRST LAST: -R /sock/PREFIXi.sock:localhost:22 for i in FIRST..LAST.
forwards() {
	local i
	for ((i = $2; i <= $3; i++)); do
		printf -- '-R\n/sock/%s%d.sock:localhost:22\n' "$1" "$i"
	done
}
free_inodes() { stat -f -c %d "$RUNTIME"; }

start_jumphost
add_host host-a
add_host host-b
tunnel_up host-a && ok "host-a's tunnel is up" || not_ok "host-a's tunnel is up"
tunnel_up host-b && ok "host-b's tunnel is up" || not_ok "host-b's tunnel is up"
A_INO=$(sock_ino host-a)

echo "# the attack: 100 forwards on one connection"
mapfile -t fw < <(forwards x 1 100)
try_tunnel host-a host-a host-a -N "${fw[@]}"
eq "$TRY" up "a second connection of host-a with 100 -R /sock/xN.sock forwards is accepted"
wait_for 10 "100 x sockets" files_are 100 "$SOCK_A" '^x[0-9]+\.sock$' &&
	ok "sshd bound all 100 in host-a's sock/" ||
	not_ok "sshd bound $(files "$SOCK_A" '^x') of the 100 sockets"
stop "$TRY_PID"
wait_for 10 "the x listeners to close" listening_are 0 'x[0-9]+\.sock'
eq "$(files "$SOCK_A" '^x[0-9]+\.sock$') $(listening 'x[0-9]+\.sock')" "100 0" \
	"the connection is gone, its 100 socket files stay with nothing listening"

echo "# the attack: forward and cancel over a ControlMaster"
master_up && ok "host-a's ControlMaster is up" || not_ok "host-a's ControlMaster is up"
eq "$(files "$SOCK_A" '^x[0-9]+\.sock$')" 0 "its session's open (pam_rjh) swept the 100 left before"
rounds=0
for i in $(seq 1 20); do
	mux -O forward -R "/sock/y$i.sock:localhost:22" &&
		mux -O cancel -R "/sock/y$i.sock:localhost:22" && rounds=$((rounds + 1))
done
eq "$rounds" 20 "20 rounds of ssh -O forward then ssh -O cancel are accepted"
wait_for 10 "the y listeners to close" listening_are 0 'y[0-9]+\.sock'
eq "$(files "$SOCK_A" '^y[0-9]+\.sock$') $(listening 'y[0-9]+\.sock')" "20 0" \
	"each round left one socket file with nothing listening"
eq "$(sock_ino host-a)" "$A_INO" "host-a's own ssh.sock is the one its tunnel bound"

echo "# rjh-admin status reports them"
mkdir -m 0755 "$WORK/decoy" && echo keep > "$WORK/decoy/file"
ln -s "$WORK/decoy/file" "$SOCK_A/evil.sock"
ln -s "$WORK/decoy" "$RUNTIME/hosts/host-a/decoy"
mkdir -p "$RUNTIME/hosts/host-a/junk/deeper" && touch "$RUNTIME/hosts/host-a/junk/deeper/f"
mux -O forward -R /sock/live.sock:localhost:22 && ok "host-a keeps one more forward live" ||
	not_ok "host-a keeps one more forward live"
expect 0 "status" -- rjh status
eq "$(printf '%s\n' "$OUT" | head -1 | awk '{print $NF}')" UNEXPECTED "status has an UNEXPECTED column"
eq "$(printf '%s\n' "$OUT" | awk '$1 == "host-a" || $1 == "host-b" {print $1, $2, $NF}' | tr '\n' ' ')" \
	"host-a up 24 host-b up 0 " \
	"host-a has 24 unexpected entries (20 left sockets, a live one, 3 planted), host-b none"
has "24 unexpected" "a summary line says how many"
eq "$(unexpected_of host-a) $(unexpected_of host-b)" "24 0" "status --json: unexpected_entries"

echo "# rjh-admin runtime while tunnels are up"
expect 0 "runtime" -- rjh runtime
has -o "removed 23" "it reports the 23 entries it removed"
has "next boot" "it warns that the tree gets its own tmpfs at the next boot, not now"
refute "it does not hide the live tunnels under a new mount" -- mountpoint -q "$RUNTIME"
eq "$(files "$SOCK_A" '^[xy][0-9]+\.sock$')" 0 "the 20 dead sockets are gone"
check "the live extra socket stays" -- test -S "$SOCK_A/live.sock"
eq "$(listening live.sock)" 1 "and still listens"
eq "$(sock_ino host-a)" "$A_INO" "host-a's live ssh.sock is kept"
expect 0 "host-a is still reachable through it" -- reach host-a hostname
eq "$OUT" host-a "it is host-a"
absent "$SOCK_A/evil.sock" "the symlink planted in sock/ is removed"
absent "$RUNTIME/hosts/host-a/decoy" "the symlink planted in host-a/ is removed"
absent "$RUNTIME/hosts/host-a/junk" "the nested directory planted in host-a/ is removed"
eq "$(stat -c '%F' "$WORK/decoy/file") $(cat "$WORK/decoy/file")" "regular file keep" \
	"the file the symlinks pointed at is untouched"
eq "$(unexpected_of host-a)" 1 "status: host-a has one unexpected entry left, the live one"

echo "# the runtime tree on a tmpfs of its own"
mux -O cancel -R /sock/live.sock:localhost:22
stop "$MASTER"
tunnel_down host-a
tunnel_down host-b
wait_for 10 "no tunnel to listen" listening_are 0 '.*'
expect 0 "runtime with no tunnel up" -- rjh runtime
check "$RUNTIME is a mount point" -- mountpoint -q "$RUNTIME"
eq "$(findmnt -n -o FSTYPE --mountpoint "$RUNTIME")" tmpfs "it is a tmpfs"
opts=,$(findmnt -n -o OPTIONS --mountpoint "$RUNTIME"),
for o in nosuid nodev noexec size=1024k nr_inodes=1024 mode=755; do
	has_opt=no
	case $opts in *",$o,"*) has_opt=yes ;; esac
	eq "$has_opt" yes "mounted with $o"
done
eq "$(stat -f -c '%T %c' "$RUNTIME")" "tmpfs 1024" "statfs: tmpfs with the configured 1024 inodes"
owner_mode "$RUNTIME/hosts/host-a/sock" "host-a:rjh-hosts 700 directory" "the tree is made in it"
eq "$(ls -A "$SOCK_A")" "" "nothing was carried over"
tunnel_up host-a && ok "host-a's tunnel comes up in the new tree" ||
	not_ok "host-a's tunnel comes up in the new tree"
expect 0 "host-a is reachable" -- reach host-a hostname
A_INO=$(sock_ino host-a)

echo "# a host exhausting the tmpfs's inodes"
master_up || not_ok "host-a's ControlMaster is up again"
for b in 1 2 3 4 5 6 7; do
	mapfile -t fw < <(forwards "z$b-" 1 200)
	mux -O forward "${fw[@]}"
	mux -O cancel "${fw[@]}"
	[ "$(free_inodes)" = 0 ] && break
done
eq "$(free_inodes)" 0 "host-a's forwards used every inode of the runtime tmpfs"
refute "nothing more can be made in it" -- touch "$RUNTIME/probe"
check "the /run of the test namespace is untouched: a file can still be made there" -- \
	touch /run/rjh-e2e-probe
[ "$(stat -f -c %d /run)" -gt 1000 ] && ok "/run has $(stat -f -c %d /run) free inodes" ||
	not_ok "/run has $(stat -f -c %d /run) free inodes"
# What the tmpfs does not bound: one host's leftovers keep the others from
# binding until the next sweep. Tunnels that are up keep working.
try_refused "meanwhile host-b's new tunnel cannot bind its socket" host-b host-b host-b -N \
	-o ExitOnForwardFailure=yes -R /sock/ssh.sock:localhost:22
expect 0 "while host-a's tunnel, up before, still works" -- reach host-a hostname
expect 0 "runtime sweeps with host-a connected" -- rjh runtime
[ "$(free_inodes)" -gt 1000 ] && ok "the inodes are free again ($(free_inodes))" ||
	not_ok "only $(free_inodes) inodes are free"
eq "$(sock_ino host-a)" "$A_INO" "host-a's live ssh.sock survived"
expect 0 "host-a is still reachable through it" -- reach host-a hostname
tunnel_up host-b && ok "host-b's tunnel comes up again" || not_ok "host-b's tunnel comes up again"
expect 0 "host-b is reachable" -- reach host-b hostname
eq "$(findmnt -n -o FSTYPE --mountpoint "$RUNTIME") $(stat -f -c %c "$RUNTIME")" "tmpfs 1024" \
	"runtime on the tmpfs keeps it, with its limits"

echo "# pam_rjh sweeps: when a host's last session ends, and when one opens"
SOCK_B=$RUNTIME/hosts/host-b/sock
stop "$MASTER"
tunnel_down host-a
mapfile -t fw < <(forwards w 1 30)
try_tunnel host-b host-b host-b -N "${fw[@]}"
eq "$TRY" up "a second connection of host-b binds 30 more names"
wait_for 10 "30 w sockets" files_are 30 "$SOCK_B" '^w[0-9]+\.sock$' || not_ok "30 w sockets"
stop "$TRY_PID"
wait_for 10 "the w listeners to close" listening_are 0 'w[0-9]+\.sock'
eq "$(files "$SOCK_B" '^w[0-9]+\.sock$')" 30 \
	"while host-b's tunnel is up, its second connection's leftovers stay (another session lives)"
tunnel_down host-b
wait_for 10 "host-b's last session to end and sweep" files_are 0 "$SOCK_B" '.' &&
	ok "host-b's last session ended: nothing is left in its sock/" ||
	not_ok "left in host-b's sock/: $(ls -A "$SOCK_B" | head -5)"
syslog_mark
touch "$SOCK_B/planted" && ln -s "$WORK/decoy/file" "$SOCK_B/evil.sock" &&
	mkdir -p "$RUNTIME/hosts/host-b/junk" || not_ok "planting in host-b's directory"
tunnel_up host-b && ok "host-b's tunnel comes up" || not_ok "host-b's tunnel comes up"
eq "$(ls -A "$SOCK_B")" ssh.sock "its session's open swept what was planted: ssh.sock alone"
absent "$RUNTIME/hosts/host-b/junk" "and the directory planted beside sock/"
eq "$(cat "$WORK/decoy/file")" keep "the symlink's target is untouched"
OUT=$(syslog_since)
has -o "host host-b: removed 3 unexpected entries from its directory" "pam_rjh logs what it removed"

finish
