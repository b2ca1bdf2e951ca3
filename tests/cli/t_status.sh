# rjh-admin status: the kernel decides whose tunnel is up (a process
# listening on RUNTIME/hosts/NAME/sock/ssh.sock); the sessions table adds
# since when, from where, with which key, and which rows are stale. Session
# rows are written with sqlite3 as pam_rjh writes them. Also show's history.
. "$(dirname "$0")/lib.sh"
BG=() # background processes: listeners and stand-in sshds
trap 'kill "${BG[@]}" 2>/dev/null; rm -rf "$WORK"' EXIT
write_conf
expect 0 "init" -- rjh init
for h in alpha bravo charlie delta echo foxtrot golf hotel; do
	expect 0 "enroll $h" -- rjh enroll "$h" "$(newkey "$h")"
done
T0=1773563445 # 2026-03-15T08:30:45Z

sock() {
	echo "$WORK/run/hosts/$1/sock/ssh.sock"
}

# listen NAME: a process that binds and listens on NAME's socket; its pid in LPID.
listen() {
	rm -f "$(sock "$1")" "$WORK/ready.$1"
	"$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
open(sys.argv[2], "w").close()
time.sleep(600)' "$(sock "$1")" "$WORK/ready.$1" &
	LPID=$!
	BG+=("$LPID")
	for _ in $(seq 200); do
		[ -e "$WORK/ready.$1" ] && return 0
		sleep 0.05
	done
	echo "listener for $1 did not start" >&2
}

# A stand-in for a live sshd: SPID and its start time SSTART (/proc/PID/stat field 22).
sshd_standin() {
	sleep 600 &
	SPID=$!
	BG+=("$SPID")
	SSTART=$(awk '{print $22}' "/proc/$SPID/stat")
}

# A pid that no process has any more.
dead_pid() {
	true &
	DPID=$!
	wait "$DPID"
}

# session HOST PID START STARTED [ENDED REASON]: one row as pam_rjh writes it,
# from 198.51.100.N (N: the host's position) with the host's key.
session() {
	local uid fp ended=${5:-NULL} reason=NULL
	uid=$(q "SELECT uid FROM hosts WHERE name = '$1'")
	fp=$(fp_of "$WORK/keys/$1.pub")
	[ -n "${6:-}" ] && reason="'$6'"
	q "INSERT INTO sessions(host, uid, fingerprint, source_addr, sshd_pid, sshd_start, started,
		ended, end_reason) VALUES ('$1', $uid, '$fp', '198.51.100.$(src_of "$1")', $2, $3, $4,
		$ended, $reason)"
}

src_of() {
	case $1 in alpha) echo 1 ;; bravo) echo 2 ;; charlie) echo 3 ;; delta) echo 4 ;;
	echo) echo 5 ;; foxtrot) echo 6 ;; golf) echo 7 ;; *) echo 9 ;; esac
}

iso() {
	date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
}

# row HOST: the fields of HOST's line in $OUT (HOST STATE SINCE FROM KEY LAST-SEEN ACCOUNT
# UNEXPECTED).
row() {
	printf '%s\n' "$OUT" | awk -v h="$1" '$1 == h {$1 = $1; print}'
}

# alpha: a tunnel up, its session open and its sshd alive.
sshd_standin
ALPHA_SSHD=$SPID
session alpha "$SPID" "$SSTART" $((T0 + 100))
listen alpha
ALPHA_L=$LPID
# bravo: a tunnel up; its newest session (a refused or short second login)
# closed, while two older ones are open: the newest open one (by start, not
# by row id) is the one shown.
dead_pid
session bravo "$DPID" 77 $((T0 + 5))
session bravo 4242 77 $((T0 + 15)) $((T0 + 20)) closed
session bravo "$DPID" 77 $((T0 + 10))
BRAVO_PID=$DPID
listen bravo
# charlie: the tunnel went away; its socket file stayed (sshd never unlinks it).
session charlie 4343 77 $((T0 + 30)) $((T0 + 40)) closed
listen charlie
kill "$LPID"
wait "$LPID" 2>/dev/null
# delta: the newest session still open, its sshd gone (crashed): stale.
dead_pid
session delta "$DPID" 12345 $((T0 + 50))
# echo: still open, the pid alive but another process (its start time differs): stale.
sshd_standin
session echo "$SPID" $((SSTART + 1)) $((T0 + 60))
# foxtrot: still open, its sshd alive, but nothing listens: down, not stale.
sshd_standin
FOX_SSHD=$SPID
session foxtrot "$SPID" "$SSTART" $((T0 + 70))
# golf: never connected, and disabled.
expect 0 "revoke golf" -- rjh revoke golf

expect 0 "status" -- rjh status
eq "$(printf '%s\n' "$OUT" | head -1 | awk '{$1 = $1; print}')" \
	"HOST STATE SINCE FROM KEY LAST-SEEN ACCOUNT UNEXPECTED" "status prints the header"
eq "$(printf '%s\n' "$OUT" | awk 'NR > 1 {print $1}' | tr '\n' ' ')" \
	"alpha bravo charlie delta echo foxtrot golf hotel " "status lists every host, sorted by name"
now=$(date -u +%s)
eq "$(row alpha | cut -d' ' -f1-5,7)" \
	"alpha up $(iso $((T0 + 100))) 198.51.100.1 $(fp_of "$WORK/keys/alpha.pub") active" \
	"alpha is up since its session started, from its address, with its key"
seen=$(row alpha | cut -d' ' -f6)
seen_s=$(date -u -d "$seen" +%s 2> /dev/null || echo 0)
[ $((now - seen_s)) -le 5 ] && [ $((seen_s - now)) -le 5 ] && ok "alpha was last seen now ($seen)" ||
	not_ok "alpha's LAST-SEEN is '$seen', not now"
eq "$(row bravo | cut -d' ' -f1-5,7)" \
	"bravo up $(iso $((T0 + 10))) 198.51.100.2 $(fp_of "$WORK/keys/bravo.pub") active" \
	"bravo is up: its newest open session is shown, not the newer closed one"
[ -S "$(sock charlie)" ] && ok "charlie's socket file is still there" ||
	not_ok "charlie's socket file is gone: the test does not test a stale file"
eq "$(row charlie)" \
	"charlie down - 198.51.100.3 $(fp_of "$WORK/keys/charlie.pub") $(iso $((T0 + 40))) active 0" \
	"charlie with a socket file nobody listens on is down, last seen when its session ended"
eq "$(row delta | cut -d' ' -f1-4,6)" "delta stale - 198.51.100.4 $(iso $((T0 + 50)))" \
	"delta's open session whose sshd is gone is stale, last seen when it started"
eq "$(row echo | cut -d' ' -f1-3)" "echo stale -" \
	"echo's open session whose pid now belongs to another process (start time) is stale"
eq "$(row foxtrot | cut -d' ' -f1-3)" "foxtrot down -" \
	"foxtrot's open session with a live sshd but no listener is down, not stale"
eq "$(row golf)" "golf down - - - - disabled 0" "golf never connected: down, all unknown, disabled"
eq "$(row hotel)" "hotel down - - - - active 0" "hotel never connected: down, all unknown"
eq "$ERR" "" "no note: no host left anything in its directories"

expect 0 "status --json" -- rjh status --json
jtrue "--json: hosts[] with exactly the documented keys" \
	"len(d['hosts']) == 8 and all(set(h) == {'host', 'state', 'since', 'from', 'fingerprint', 'certificate', 'last_seen', 'sshd_pid', 'account', 'unexpected_entries'} for h in d['hosts'])"
jtrue "--json: the states" \
	"[(h['host'], h['state']) for h in d['hosts']] == [('alpha', 'up'), ('bravo', 'up'), ('charlie', 'down'), ('delta', 'stale'), ('echo', 'stale'), ('foxtrot', 'down'), ('golf', 'down'), ('hotel', 'down')]"
jtrue "--json: alpha's session, its sshd's pid as an integer" \
	"[(h['since'], h['from'], h['fingerprint'], h['sshd_pid']) for h in d['hosts'] if h['host'] == 'alpha'] == [('$(iso $((T0 + 100)))', '198.51.100.1', '$(fp_of "$WORK/keys/alpha.pub")', $ALPHA_SSHD)]"
jtrue "--json: bravo's newest open session and its sshd, last_seen a time" \
	"[(h['since'], h['from'], h['sshd_pid'], h['last_seen'][:2]) for h in d['hosts'] if h['host'] == 'bravo'] == [('$(iso $((T0 + 10)))', '198.51.100.2', $BRAVO_PID, '20')]"
jtrue "--json: a host never seen has null everywhere" \
	"[(h['since'], h['from'], h['last_seen'], h['sshd_pid'], h['account']) for h in d['hosts'] if h['host'] == 'golf'] == [(None, None, None, None, 'disabled')]"
jtrue "--json: foxtrot's open session names its live sshd" \
	"[h['sshd_pid'] for h in d['hosts'] if h['host'] == 'foxtrot'] == [$FOX_SSHD]"
jtrue "--json: charlie's last_seen is when its session ended" \
	"[h['last_seen'] for h in d['hosts'] if h['host'] == 'charlie'] == ['$(iso $((T0 + 40)))']"

jtrue "--json: unexpected_entries is 0 for every host" \
	"[h['unexpected_entries'] for h in d['hosts']] == [0] * 8"

# What hosts leave in their directories: sockets of forwards that ended
# (sshd never removes them), and whatever else is found there.
run=$WORK/run/hosts
sock_file() { "$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$1"; }
for i in 1 2 3; do sock_file "$run/hotel/sock/x$i.sock"; done
mkdir -p "$run/hotel/sock/d/e" && touch "$run/hotel/sock/d/e/f"
ln -s "$WORK/keys" "$run/hotel/sock/link"
ln -s "$WORK/keys/hotel" "$run/hotel/file-link"
touch "$run/alpha/sock/stray"
expect 0 "status with leftovers" -- rjh status
eq "$(row hotel | cut -d' ' -f1,2,8) $(row alpha | cut -d' ' -f1,2,8) $(row charlie | cut -d' ' -f1,8)" \
	"hotel down 6 alpha up 1 charlie 0" \
	"UNEXPECTED: hotel's 3 sockets, a tree and 2 symlinks; alpha's stray file beside its live socket; charlie's old ssh.sock is none"
has "note: 2 hosts left 7 unexpected entries" "a note on stderr sums them up"
has "rjh-admin runtime" "and says what removes them"
eq "$(printf '%s\n' "$OUT" | tail -1 | cut -d' ' -f1)" hotel "the table's last line is still a host"
expect 0 "status --json with leftovers" -- rjh status --json
jtrue "--json: unexpected_entries" \
	"[(h['host'], h['unexpected_entries']) for h in d['hosts'] if h['unexpected_entries']] == [('alpha', 1), ('hotel', 6)]"
expect 0 "status --json hotel" -- rjh status --json hotel
jtrue "--json for a named host" "d['hosts'][0]['unexpected_entries'] == 6"
expect 0 "list --json" -- rjh list --json
jtrue "list --json: presence.unexpected_entries" \
	"[(h['name'], h['presence']['unexpected_entries']) for h in d['hosts'] if h['name'] in ('alpha', 'hotel', 'golf')] == [('alpha', 1), ('golf', 0), ('hotel', 6)]"
expect 0 "show hotel" -- rjh show hotel
match -o "6 unexpected entries in its runtime directory" "show says how many"
rm -rf "$run/hotel/sock/"x*.sock "$run/hotel/sock/d" "$run/hotel/sock/link" "$run/hotel/file-link" \
	"$run/alpha/sock/stray"

# The kernel, not the table: alpha's listener goes, then its sshd.
kill "$ALPHA_L"
wait "$ALPHA_L" 2>/dev/null
expect 0 "status alpha, its listener gone" -- rjh status alpha
eq "$(row alpha | cut -d' ' -f1-3)" "alpha down -" "without a listener alpha is down, though its row is open"
kill "$ALPHA_SSHD"
wait "$ALPHA_SSHD" 2>/dev/null
expect 0 "status alpha, its sshd gone" -- rjh status alpha
eq "$(row alpha | cut -d' ' -f1-2)" "alpha stale" "with its sshd gone too, alpha's open row is stale"
listen alpha
expect 0 "status alpha, a new listener" -- rjh status alpha
eq "$(row alpha | cut -d' ' -f1-2)" "alpha up" "a new listener on the old socket path: up again"

# Named hosts: in the order given; one unknown name prints nothing else.
expect 0 "status echo bravo" -- rjh status echo bravo
eq "$(printf '%s\n' "$OUT" | awk 'NR > 1 {print $1}' | tr '\n' ' ')" "echo bravo " \
	"named hosts come in the order given, and only they"
expect 0 "status --json hotel" -- rjh status --json hotel
jtrue "status --json NAME: one host" "[h['host'] for h in d['hosts']] == ['hotel']"
dump > "$WORK/before"
expect 3 "status of a host not enrolled exits 3" -- rjh status bravo nosuch
match "nosuch is not enrolled" "the error names the host"
eq "$OUT" "" "nothing is printed for the hosts that do exist"
expect 2 "status of an impossible name exits 2" -- rjh status 'Bad/name'
expect 1 "status --frobnicate exits 1" -- rjh status --frobnicate
unchanged "$WORK/before" "status changes nothing in the registry"
expect 0 "status --help" -- rjh status --help
match -o "^Usage:.* status " "status --help prints Usage:"
has -o "stale" "status --help explains stale"
expect 0 "rjh-admin --help" -- rjh --help
match -o "^  status " "rjh-admin --help lists status"

# No runtime tree: nothing can be up.
mv "$WORK/run" "$WORK/run.away"
expect 0 "status without the runtime tree" -- rjh status
eq "$(printf '%s\n' "$OUT" | awk 'NR > 1 && $2 == "up"' | wc -l)" 0 "without the runtime tree no host is up"
mv "$WORK/run.away" "$WORK/run"

# Not root: every socket directory is unreadable, so status refuses to guess.
expect 4 "status as nobody exits 4" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$ADMIN" -c "$WORK/rjh.conf" status
match "root" "the error says it needs root"

# show: the last 20 sessions, newest first, inserted out of order.
for i in $(seq 1 25); do
	n=$(((i * 7) % 25)) # a permutation of 0..24
	if [ "$n" = 24 ]; then
		session hotel 5000 9 $((T0 + 1000 * n))
	elif [ $((n % 2)) = 0 ]; then
		session hotel $((5000 + n)) 9 $((T0 + 1000 * n)) $((T0 + 1000 * n + 500)) closed
	else
		session hotel $((5000 + n)) 9 $((T0 + 1000 * n)) $((T0 + 1000 * n + 500)) stale
	fi
done
expect 0 "show hotel --json" -- rjh show hotel --json
jtrue "show --json: the 20 newest sessions, newest first" \
	"[s['started'] for s in d['sessions']] == [__import__('time').strftime('%Y-%m-%dT%H:%M:%SZ', __import__('time').gmtime($T0 + 1000 * n)) for n in range(24, 4, -1)]"
jtrue "show --json: each session has the documented keys" \
	"all(set(s) == {'started', 'ended', 'end_reason', 'source', 'fingerprint', 'sshd_pid', 'certificate'} for s in d['sessions'])"
jtrue "show --json: the open session has no end, the others their reason" \
	"[(s['ended'], s['end_reason'], s['sshd_pid']) for s in d['sessions'][:3]] == [(None, None, 5000), ('$(iso $((T0 + 23500)))', 'stale', 5023), ('$(iso $((T0 + 22500)))', 'closed', 5022)]"
hotel_state=$(rjh status --json hotel | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["hosts"][0]["state"])')
jtrue "show --json: presence is the kernel's state, as status says ($hotel_state), not the open row's" \
	"d['presence']['state'] == '$hotel_state' and d['presence']['up'] is False and d['presence']['since'] == '$(iso $((T0 + 24000)))'"
expect 0 "show hotel" -- rjh show hotel
hist=$(printf '%s\n' "$OUT" | sed -n '/^sessions:/,$p' | tail -n +2)
eq "$(printf '%s\n' "$hist" | wc -l)" 20 "show prints 20 sessions"
eq "$(printf '%s\n' "$hist" | head -2 | awk '{$1 = $1; print}')" \
	"$(iso $((T0 + 24000))) - open 198.51.100.9 $(fp_of "$WORK/keys/hotel.pub") sshd 5000
$(iso $((T0 + 23000))) $(iso $((T0 + 23500))) stale 198.51.100.9 $(fp_of "$WORK/keys/hotel.pub") sshd 5023" \
	"show's history starts with the open session, then the newest ended one"
eq "$(printf '%s\n' "$hist" | tail -1 | awk '{print $1}')" "$(iso $((T0 + 5000)))" \
	"show's history ends with the 20th newest"
expect 0 "show golf" -- rjh show golf
eq "$(printf '%s\n' "$OUT" | sed -n '/^sessions:/,$p' | tail -n +2)" "  (none)" "a host never seen has no sessions"
expect 0 "show golf --json" -- rjh show golf --json
jtrue "show --json: no sessions is an empty list" "d['sessions'] == []"
finish
