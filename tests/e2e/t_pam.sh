# pam_rjh in a real sshd, in Debian's own /etc/pam.d/sshd stack: the tunnel
# works, presence follows it (rjh-admin status, the sessions table), a wiped
# or chmod-ed socket directory is repaired at the next login, the reconnect
# race keeps the newer socket, audit records reach a real auditd, and 200
# hosts logging in at once all get their tunnel and their presence row.
. "$(dirname "$0")/lib.sh"
e2e_setup
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

# status_of NAME FIELD: one field of `rjh-admin status --json NAME`.
status_of() {
	rjh status --json "$1" 2> /dev/null | "$PY" -c '
import json, sys
rows = json.load(sys.stdin)["hosts"]
print(rows[0].get(sys.argv[1]) if rows else "")' "$2"
}
state_is() { [ "$(status_of "$1" state)" = "$2" ]; }
# presence NAME: the newest sessions row of NAME.
presence() {
	sqlite3 "$REG" "SELECT source_addr, fingerprint, ended IS NULL, coalesce(end_reason, '')
		FROM sessions WHERE host = '$1' ORDER BY id DESC LIMIT 1"
}
fp_of() { ssh-keygen -l -E sha256 -f "$WORK/keys/$1.pub" | awk '{print $2}'; }
priv_sessions() { pgrep -c -f "^[a-z-]*sshd: $1 \\[priv\\]"; }
# sessions_are N NAME: NAME has N sessions on the jumphost (for wait_for).
sessions_are() { [ "$(priv_sessions "$2")" = "$1" ]; }

echo "# the tunnel, with pam_rjh in Debian's sshd stack"
eq "$(grep -c 'pam_rjh.so' /etc/pam.d/rjh-sshd)" 2 "sshd's PAM service is Debian's with pam_rjh in account and session"
grep -q '^@include common-session' /etc/pam.d/rjh-sshd && grep -q 'pam_loginuid' /etc/pam.d/rjh-sshd &&
	ok "and keeps Debian's own modules (common-session, pam_loginuid, ...)" ||
	not_ok "the service is not Debian's sshd stack"
start_jumphost
add_host host-a
add_host host-b
FPA=$(fp_of host-a)
A_FROM=${HOST_PUBLIC[host-a]}
syslog_mark
tunnel_up host-a && ok "host-a's tunnel comes up" || not_ok "host-a's tunnel comes up"
expect 0 "host-a is reachable by name" -- reach host-a hostname
eq "$OUT" host-a "through its socket"
eq "$(presence host-a)" "$A_FROM|$FPA|1|" "a presence row: host-a's NAT address, its key, open"
wait_for 5 "status says host-a is up" state_is host-a up && ok "rjh-admin status: host-a is up" ||
	not_ok "rjh-admin status: host-a is $(status_of host-a state)"
eq "$(status_of host-a from) $(status_of host-a fingerprint)" "$A_FROM $FPA" "status names the address and the key"
eq "$(status_of host-b state)" down "status: host-b, never connected, is down"
found=$(audit_find USER_START 'op=rjh-tunnel' | grep -F 'acct=host-a')
[ -n "$found" ] && ok "ausearch -m USER_START -i shows op=rjh-tunnel for host-a" ||
	not_ok "no USER_START op=rjh-tunnel acct=host-a in $AUDIT_LOG"
ERR=$found
has "fingerprint=\"$FPA\"" "the record names the key"
has "addr=$A_FROM" "the record names the source address"
has "socket=\"$(sock_of host-a)\"" "the record names the socket path"
eq "$(syslog_since | grep -c 'pam_rjh.*refused')" 0 "pam_rjh refused nothing"

echo "# presence follows the tunnel down"
tunnel_down host-a
wait_for 10 "status says host-a is down" state_is host-a down && ok "rjh-admin status: down after disconnect" ||
	not_ok "rjh-admin status: host-a is $(status_of host-a state) after disconnect"
wait_for 10 "host-a's session to end" sessions_are 0 host-a
eq "$(presence host-a)" "$A_FROM|$FPA|0|closed" "the presence row is ended 'closed'"
absent "$(sock_of host-a)" "the dead tunnel's socket is removed"
[ -n "$(status_of host-a last_seen)" ] && [ "$(status_of host-a last_seen)" != None ] &&
	ok "status keeps host-a's last-seen time" || not_ok "no last_seen for host-a"
audit_find USER_END 'op=rjh-tunnel' | grep -qF 'acct=host-a' && ok "ausearch shows USER_END op=rjh-tunnel" ||
	not_ok "no USER_END op=rjh-tunnel record for host-a"

echo "# a socket directory wiped or chmod-ed while offline is repaired at login"
rm -rf "$RUNTIME/hosts/host-a"
tunnel_up host-a && ok "host-a logs in after its directory was deleted" ||
	not_ok "host-a logs in after its directory was deleted"
owner_mode "$RUNTIME/hosts/host-a/sock" "host-a:rjh-hosts 700 directory" "sock/ is back, the host's, 0700"
expect 0 "and the tunnel works" -- reach host-a hostname
tunnel_down host-a
wait_for 10 "host-a's session to end" sessions_are 0 host-a
chmod 0777 "$RUNTIME/hosts/host-a/sock"
chmod 0777 "$RUNTIME/hosts/host-a"
tunnel_up host-a && ok "host-a logs in after its directories were chmod-ed 0777" ||
	not_ok "host-a logs in after its directories were chmod-ed 0777"
owner_mode "$RUNTIME/hosts/host-a" "root:root 755 directory" "the chroot directory is root's 0755 again"
owner_mode "$RUNTIME/hosts/host-a/sock" "host-a:rjh-hosts 700 directory" "sock/ is 0700 again"

echo "# the reconnect race: the old session closes after the new one bound"
old=${TUNNEL_PID[host-a]}
old_ino=$(sock_ino host-a)
kill -STOP "$old"
tunnel_up host-a && ok "host-a reconnects while its old tunnel hangs" ||
	not_ok "host-a reconnects while its old tunnel hangs"
new_ino=$(sock_ino host-a)
[ "$new_ino" != "$old_ino" ] && ok "the new tunnel bound a new socket" || not_ok "same socket inode $old_ino"
eq "$(sqlite3 "$REG" "SELECT count(*) FROM sessions WHERE host = 'host-a' AND ended IS NULL")" 2 \
	"two open presence rows while both connections live"
stop "$old"
wait_for 10 "the old session to end" sessions_are 1 host-a &&
	ok "the old connection's session closed" || not_ok "the old session did not close"
eq "$(sock_ino host-a)" "$new_ino" "the old session's close left the new socket in place"
expect 0 "host-a is reachable through the new tunnel" -- reach host-a hostname
eq "$(sqlite3 "$REG" "SELECT count(*) FROM sessions WHERE host = 'host-a' AND ended IS NULL")" 1 \
	"one open presence row: the new one"
eq "$(status_of host-a state)" up "status: still up"

echo "# max_sessions_per_host (3 by default): live sessions count, one more is refused"
# host-a's tunnel is up (one session); its reconnect while the old one hung
# worked above with two. Two more connections make three; a fourth is
# refused at session open, so sshd refuses its forwards, and audited.
E=(-N -o ExitOnForwardFailure=yes)
try_tunnel host-a host-a host-a "${E[@]}" -R /sock/extra1.sock:localhost:22
eq "$TRY" up "a second session of host-a"
extra1=$TRY_PID
try_tunnel host-a host-a host-a "${E[@]}" -R /sock/extra2.sock:localhost:22
eq "$TRY" up "a third session of host-a"
extra2=$TRY_PID
try_refused "a fourth, with three live, gets no forward" host-a host-a host-a "${E[@]}" \
	-R /sock/extra3.sock:localhost:22
audit_find USER_START 'max-sessions' | grep -qF 'acct=host-a' &&
	ok "ausearch: USER_START op=rjh-tunnel res=failed reason=max-sessions for host-a" ||
	not_ok "no USER_START res=failed reason=max-sessions for host-a"
eq "$(sqlite3 "$REG" "SELECT result FROM events WHERE host = 'host-a' AND detail LIKE '%max-sessions%'")" \
	failed "and the events mirror has it"
stop "$extra1"
wait_for 10 "host-a's second session to end" sessions_are 2 host-a
try_tunnel host-a host-a host-a "${E[@]}" -R /sock/extra4.sock:localhost:22
eq "$TRY" up "once one ends, the next gets in"
stop "$TRY_PID"
stop "$extra2"
wait_for 10 "host-a back to one session" sessions_are 1 host-a
expect 0 "host-a's first tunnel still works" -- reach host-a hostname

echo "# 200 hosts log in at once"
N=200
mkdir -p "$WORK/storm"
for i in $(seq $N); do
	ssh-keygen -q -N '' -t ed25519 -C "storm-$i" -f "$WORK/storm/storm-$i" || die "storm key $i"
done
cat "$WORK"/storm/storm-*.pub > "$WORK/storm/all.pub"
rjh import "$WORK/storm/all.pub" > "$WORK/storm/import.out" 2>&1 || not_ok "import: $(cat "$WORK/storm/import.out")"
syslog_mark
start=$(date +%s.%N)
for i in $(seq $N); do
	# A storm is slow to serve on 2 cores: no client gives up on its handshake.
	ssh -F "$WORK/tunnel_config" -o ConnectTimeout=110 -i "$WORK/storm/storm-$i" -N -o ExitOnForwardFailure=yes \
		-R /sock/ssh.sock:localhost:22 "storm-$i@$JUMP_ADDR" 2> "$WORK/storm/ssh.$i.log" &
done
all_up() { [ "$(rjh status --json 2> /dev/null | "$PY" -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin)["hosts"] if r["host"].startswith("storm-") and r["state"] == "up"))')" = $N ]; }
if wait_for 120 "all $N storm tunnels up" all_up; then
	ok "all $N tunnels are up ($(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s)"
else
	not_ok "only $(rjh status --json | grep -c '"up"') tunnels up"
fi
eq "$(sqlite3 "$REG" "SELECT count(*) FROM sessions WHERE host LIKE 'storm-%' AND ended IS NULL")" $N \
	"$N open presence rows, none lost"
errs=$(syslog_since | grep -E 'pam_rjh|rjh-authorized-keys' | grep -v 'session opened\|session closed')
eq "$errs" "" "nothing from pam_rjh or the key helper in syslog"
finish
