# pam_rjh through the real libpam (build/tools/pam-run: pam_start_confdir,
# pam_acct_mgmt, pam_open_session, pam_close_session in one handle, as sshd
# calls them), with host accounts from nss_rjh through glibc.
#
# Runs in a private mount namespace: a test nsswitch.conf (files rjh) is
# bind-mounted over /etc/nsswitch.conf. The PAM service files live in
# $WORK/pam.d, passed to libpam as its confdir; /etc/pam.d is not touched.
. "$(dirname "$0")/private-mounts.sh"
. "$(dirname "$0")/lib.sh"
DEVLOG_TMP=$WORK . "$TOP/tests/devlog.sh"
trap 'devlog_stop; rm -rf "$WORK"' EXIT
RUN="$TOP/build/tools/pam-run"
SO="$TOP/build/pam_rjh.so"
REG="$WORK/reg/registry.db"
RT="$WORK/run"

printf 'passwd: files rjh\ngroup: files rjh\nshadow: files\n' > "$WORK/nsswitch.conf"
mount --bind "$WORK/nsswitch.conf" /etc/nsswitch.conf || {
	not_ok "cannot bind-mount a test nsswitch.conf in the private namespace"
	finish
	exit 1
}
export LD_LIBRARY_PATH="$TOP/build" RJH_CONF="$WORK/rjh.conf"
devlog_start "$WORK/syslog" || {
	not_ok "cannot give the namespace a /dev/log"
	finish
	exit 1
}

# service NAME ARGS...: a PAM service with pam_rjh (ARGS) in account and
# session. libpam turns a stack that only ignores into a failure, so what
# pam_rjh says must show in the result: success ends the stack (done), a
# refusal fails it (die), and PAM_IGNORE moves on to pam_exec running
# /bin/false, whose PAM_SYSTEM_ERR is nothing pam_rjh itself ever returns.
IGNORED=PAM_SYSTEM_ERR
service() {
	local name=$1 t
	shift
	mkdir -p "$WORK/pam.d"
	for t in account session; do
		printf '%s [success=done ignore=ignore default=die] %s %s\n' "$t" "$SO" "$*"
		printf '%s required pam_exec.so quiet /bin/false\n' "$t"
	done > "$WORK/pam.d/$name"
}
service rjh "conf=$WORK/rjh.conf" audit=off
service rjh-badarg "conf=$WORK/rjh.conf" audit=off frobnicate

# pam USER [pam-run options] PHASES...: runs the phases; output in $OUT.
pam() {
	local user=$1
	shift
	OUT=$(timeout 60 "$RUN" -d "$WORK/pam.d" "$@" 2>&1)
}
# phase DESCRIPTION WANT USER [options] [SERVICE] PHASE: one phase, its result checked.
phase() {
	local desc=$1 want=$2 user=$3 svc=rjh
	shift 3
	local opts=()
	while [ $# -gt 1 ]; do
		case "$1" in
		-r | -e) opts+=("$1" "$2"); shift 2 ;;
		--svc) svc=$2; shift 2 ;;
		*) break ;;
		esac
	done
	OUT=$(timeout 60 "$RUN" -d "$WORK/pam.d" "${opts[@]}" "$svc" "$user" "$@" 2>&1)
	eq "$(printf '%s\n' "$OUT" | tail -1)" "${*: -1}: $want" "$desc"
}
# logged TEXT DESCRIPTION: something logged to syslog during this test contains TEXT.
logged() {
	ERR=$(syslog_since 0)
	has "$1" "$2"
}
info() { # info PUBFILE: SSH_AUTH_INFO_0 as sshd sets it for that key
	printf 'SSH_AUTH_INFO_0=publickey %s\n' "$(cut -d' ' -f1,2 "$1")"
}

write_conf
rjh init > /dev/null
ka=$(newkey a)
kb=$(newkey b)
kc=$(newkey c)
rjh enroll host-a "$ka" > /dev/null
rjh enroll host-b "$kb" --from 10.1.0.0/16,2001:db8::/32 > /dev/null
rjh add-key host-a "$kc" > /dev/null
rjh enroll host-x "$(newkey x)" --expires 2999-01-01 > /dev/null
rjh enroll host-d "$(newkey d)" > /dev/null
rjh revoke host-d > /dev/null
UIDA=$(q "SELECT uid FROM hosts WHERE name = 'host-a'")
GID=$(q "SELECT value FROM settings WHERE name = 'host_gid'")
fpa=$(fp_of "$ka")
eq "$(id -u host-a 2> /dev/null)" "$UIDA" "host-a resolves through nss_rjh"

# ------------------------------------------------------------- account
phase "account: an active host" PAM_SUCCESS host-a -r 192.0.2.7 acct
phase "account: a disabled (revoked) host" PAM_PERM_DENIED host-d -r 192.0.2.7 acct
phase "account: a host inside its CIDRs (IPv4)" PAM_SUCCESS host-b -r 10.1.2.3 acct
phase "account: a host inside its CIDRs (IPv6)" PAM_SUCCESS host-b -r 2001:db8::5 acct
phase "account: a host inside its CIDRs (IPv4-mapped IPv6)" PAM_SUCCESS host-b -r ::ffff:10.1.9.9 acct
phase "account: a host outside its CIDRs" PAM_PERM_DENIED host-b -r 10.2.0.1 acct
phase "account: a host with CIDRs and no PAM_RHOST" PAM_PERM_DENIED host-b acct
phase "account: a host with CIDRs and a name as PAM_RHOST" PAM_PERM_DENIED host-b -r jump.example.com acct
phase "account: a host not yet expired" PAM_SUCCESS host-x -r 192.0.2.7 acct
rjh modify host-x --expires 2020-01-01 > /dev/null
phase "account: an expired host" PAM_PERM_DENIED host-x -r 192.0.2.7 acct
rjh modify host-x --expires never > /dev/null
phase "account: a host whose expiry was removed" PAM_SUCCESS host-x -r 192.0.2.7 acct
rjh modify host-x --from 198.51.100.0/24 > /dev/null
phase "account: a host outside the CIDRs modify gave it" PAM_PERM_DENIED host-x -r 192.0.2.7 acct
phase "account: a host inside the CIDRs modify gave it" PAM_SUCCESS host-x -r 198.51.100.9 acct
rjh modify host-x --from any --expires 2020-01-01 > /dev/null
phase "account: root is not rjh's (PAM_IGNORE)" "$IGNORED" root acct
phase "account: nobody is not rjh's" "$IGNORED" nobody acct
phase "account: an unknown user" "$IGNORED" no-such-user acct
phase "account: an option-like user name" "$IGNORED" -oProxyCommand=x acct
phase "account: a path-like user name" "$IGNORED" ../x acct
phase "account: an unknown module argument denies a host" PAM_PERM_DENIED host-a --svc rjh-badarg acct
phase "account: an unknown module argument ignores root" "$IGNORED" root --svc rjh-badarg acct
logged "host host-b from 10.2.0.1 refused: source address outside the host's CIDRs" \
	"syslog names the host, the address and the reason"
logged "unknown module argument 'frobnicate'" "syslog names the bad argument"
eq "$(syslog_since 0 | grep -c 'host-a from 192.0.2.7 refused')" 0 "nothing logged for an allowed host"

# A uid in rjh's range that the registry does not know (a stale NSS source,
# or a local account someone gave a uid from rjh's range).
cp /etc/passwd "$WORK/passwd"
echo "ghost-1:x:$((UIDA + 500000)):$GID::/nonexistent:/usr/sbin/nologin" >> "$WORK/passwd"
mount --bind "$WORK/passwd" /etc/passwd
phase "account: a uid in rjh's range that is not enrolled" PAM_PERM_DENIED ghost-1 -r 192.0.2.7 acct
logged "host ghost-1 from 192.0.2.7 refused: not enrolled" "syslog: not enrolled"
umount /etc/passwd

# The account check reads the login snapshot; the session the registry.
# Either missing or corrupt: deny in range, ignore outside.
mv "$REG.login" "$WORK/login.saved"
phase "login snapshot missing: a host is denied" PAM_PERM_DENIED host-a -r 192.0.2.7 acct
logged "no login snapshot (run rjh-admin refresh)" "syslog says the login snapshot is missing"
phase "login snapshot missing: root is ignored" "$IGNORED" root acct
head -c 65536 /dev/urandom > "$REG.login"
chmod 0640 "$REG.login"
phase "login snapshot corrupt: a host is denied" PAM_PERM_DENIED host-a -r 192.0.2.7 acct
phase "login snapshot corrupt: root is ignored" "$IGNORED" root acct
mv "$WORK/login.saved" "$REG.login"
mv "$REG" "$WORK/reg.saved"
phase "registry missing: the account check goes on from the login snapshot" PAM_SUCCESS host-a \
	-r 192.0.2.7 acct
phase "registry missing: session open fails for a host" PAM_SESSION_ERR host-a -r 192.0.2.7 \
	-e "$(info "$ka")" open
logged "registry unavailable" "syslog says the registry is unavailable"
phase "registry missing: root is ignored" "$IGNORED" root -e "$(info "$ka")" open
head -c 65536 /dev/urandom > "$REG"
chmod 0640 "$REG"
phase "registry corrupt: session open fails for a host" PAM_SESSION_ERR host-a -r 192.0.2.7 \
	-e "$(info "$ka")" open
mv "$WORK/reg.saved" "$REG"
phase "registry back: the host is allowed again" PAM_SUCCESS host-a -r 192.0.2.7 acct

# An unusable rjh.conf: its uid range is unknown, but an account nss_rjh
# serves is still rjh's and is denied; others are left alone.
# (nss_rjh reads the good one here: the module's own copy, conf=, is broken.)
cp "$WORK/rjh.conf" "$WORK/bad.conf"
echo "no_such_key = 1" >> "$WORK/bad.conf"
service rjh-badconf "conf=$WORK/bad.conf" audit=off
phase "an unusable rjh.conf: a host is denied" PAM_PERM_DENIED host-a -r 192.0.2.7 --svc rjh-badconf acct
phase "an unusable rjh.conf: root is ignored" "$IGNORED" root --svc rjh-badconf acct
logged "bad.conf:" "syslog names the config problem"

# rjh.conf, or the registry and its login snapshot, in a directory that is
# not root's alone: whoever may write there can swap the file after any
# check. A host is denied, others are left alone. (nss_rjh reads $WORK/rjh.conf and the snapshot in $WORK/reg.)
mkdir -m 0755 "$WORK/confdir" "$WORK/regdir"
cp -p "$REG" "$REG.login" "$REG.login-delta" "$WORK/regdir/"
sed "s|^registry = .*|registry = $WORK/regdir/registry.db|" "$WORK/rjh.conf" > "$WORK/confdir/rjh.conf"
chmod 0644 "$WORK/confdir/rjh.conf"
service rjh-dirs "conf=$WORK/confdir/rjh.conf" audit=off
phase "conf= and registry in root-only directories: a host is allowed" PAM_SUCCESS host-a \
	-r 192.0.2.7 --svc rjh-dirs acct
chmod 0775 "$WORK/confdir"
phase "conf= in a group-writable directory: a host is denied" PAM_PERM_DENIED host-a \
	-r 192.0.2.7 --svc rjh-dirs acct
phase "conf= in a group-writable directory: root is ignored" "$IGNORED" root --svc rjh-dirs acct
phase "conf= in a group-writable directory: session open fails for a host" PAM_SESSION_ERR \
	host-a -r 192.0.2.7 -e "$(info "$ka")" --svc rjh-dirs open
logged "host host-a refused: $WORK/confdir/rjh.conf: directory $WORK/confdir is writable by group or others (mode 0775)" \
	"syslog names the config's directory and why"
chmod 0755 "$WORK/confdir"
chown 65534 "$WORK/regdir"
phase "the registry in a directory owned by nobody: a host is denied" PAM_PERM_DENIED host-a \
	-r 192.0.2.7 --svc rjh-dirs acct
phase "the registry in a directory owned by nobody: root is ignored" "$IGNORED" root \
	--svc rjh-dirs acct
logged "host host-a refused: $WORK/regdir/registry.db.login: directory $WORK/regdir is owned by uid 65534" \
	"syslog names the login snapshot's directory and why"
phase "the registry in a directory owned by nobody: session open fails for a host" \
	PAM_SESSION_ERR host-a -r 192.0.2.7 -e "$(info "$ka")" --svc rjh-dirs open
chown 0 "$WORK/regdir"
phase "both directories root's again: the host is allowed" PAM_SUCCESS host-a -r 192.0.2.7 \
	--svc rjh-dirs acct

# ------------------------------------------------------------- session
rm -rf "$RT/hosts/host-a"
before=$(q "SELECT count(*) FROM sessions")
pam host-a -r 192.0.2.7 -e "$(info "$ka")" rjh host-a open pause close <<< ""
eq "$(printf '%s\n' "$OUT" | tr '\n' ' ')" "open: PAM_SUCCESS pause close: PAM_SUCCESS " \
	"session open and close with host-a's own key"
eq "$(q "SELECT count(*) FROM sessions") " "$((before + 1)) " "one presence row"
eq "$(q "SELECT host, uid, fingerprint, source_addr, ended IS NOT NULL, end_reason, sshd_pid > 0, sshd_start > 0 FROM sessions ORDER BY id DESC LIMIT 1")" \
	"host-a|$UIDA|$fpa|192.0.2.7|1|closed|1|1" "the row has host, uid, key, address, pid, and ended 'closed'"
eq "$(stat -c '%U:%G %a' "$RT/hosts/host-a" "$RT/hosts/host-a/sock" | tr '\n' ' ')" \
	"root:root 755 host-a:rjh-hosts 700 " "the deleted directories are back with exact owners and modes"
eq "$(q "SELECT type, op, host, fingerprint, result FROM events WHERE op = 'rjh-tunnel' ORDER BY id" | tr '\n' ' ')" \
	"USER_START|rjh-tunnel|host-a|$fpa|success USER_END|rjh-tunnel|host-a|$fpa|success " \
	"events mirror USER_START and USER_END with op=rjh-tunnel"
ERR=$(q "SELECT detail FROM events WHERE op = 'rjh-tunnel' ORDER BY id LIMIT 1")
has \
	"addr=192.0.2.7 socket=\"$RT/hosts/host-a/sock/ssh.sock\"" "the event names the address and the socket"

# Open, then inspect while the session is open.
coproc PR { "$RUN" -d "$WORK/pam.d" -r 192.0.2.8 -e "$(info "$kc")" rjh host-a open pause close; }
read -r l1 <&"${PR[0]}"
read -r l2 <&"${PR[0]}"
eq "$l1 $l2" "open: PAM_SUCCESS pause" "session open with host-a's second key"
eq "$(q "SELECT fingerprint, ended IS NULL FROM sessions ORDER BY id DESC LIMIT 1")" \
	"$(fp_of "$kc")|1" "while open: the row names the second key and has not ended"
echo >&"${PR[1]}"
read -r l3 <&"${PR[0]}"
wait "${PR_PID:-}" 2> /dev/null
eq "$l3" "close: PAM_SUCCESS" "and it closes"

chmod 0777 "$RT/hosts/host-a/sock"
chown 0:0 "$RT/hosts/host-a/sock"
phase "open repairs a directory chmod-ed 0777" PAM_SUCCESS host-a -r 192.0.2.7 -e "$(info "$ka")" open
eq "$(stat -c '%U:%G %a' "$RT/hosts/host-a/sock")" "host-a:rjh-hosts 700" "sock/ is the host's, 0700, again"
rm -rf "$RT/hosts/host-a"
ln -s /etc "$RT/hosts/host-a"
phase "open replaces a planted symlink" PAM_SUCCESS host-a -r 192.0.2.7 -e "$(info "$ka")" open
eq "$(stat -c '%F %U' "$RT/hosts/host-a" /etc | tr '\n' ' ')" "directory root directory root " \
	"host-a's directory is a real directory again and /etc is untouched"

n=$(q "SELECT count(*) FROM sessions")
phase "open with another host's key fails" PAM_SESSION_ERR host-a -r 192.0.2.7 -e "$(info "$kb")" open
phase "open with no SSH_AUTH_INFO_0 fails" PAM_SESSION_ERR host-a -r 192.0.2.7 open
phase "open with a malformed SSH_AUTH_INFO_0 fails" PAM_SESSION_ERR host-a -r 192.0.2.7 \
	-e "SSH_AUTH_INFO_0=publickey" open
phase "open after password auth only fails" PAM_SESSION_ERR host-a -r 192.0.2.7 \
	-e "SSH_AUTH_INFO_0=password" open
phase "open with the right key and a second, foreign key fails" PAM_SESSION_ERR host-a -r 192.0.2.7 \
	-e "SSH_AUTH_INFO_0=publickey $(cut -d' ' -f1,2 "$ka")
publickey $(cut -d' ' -f1,2 "$kb")" open
rjh revoke-key "$(fp_of "$kc")" > /dev/null
phase "open with a revoked key fails" PAM_SESSION_ERR host-a -r 192.0.2.7 -e "$(info "$kc")" open
phase "open for a disabled host fails" PAM_SESSION_ERR host-d -r 192.0.2.7 open
phase "open outside the CIDRs fails" PAM_SESSION_ERR host-b -r 10.9.9.9 -e "$(info "$kb")" open
eq "$(q "SELECT count(*) FROM sessions")" "$n" "no presence row for any refused session"
logged "host host-a from 192.0.2.7: tunnel refused: the key sshd accepted is not an active key of this host" \
	"syslog says why the tunnel was refused"
phase "open for root is PAM_IGNORE" "$IGNORED" root open
phase "close for root is PAM_IGNORE" "$IGNORED" root close

# A stale row: an open session whose sshd is gone is ended by the next open.
q "INSERT INTO sessions(host, uid, fingerprint, source_addr, sshd_pid, sshd_start, started)
   VALUES ('host-a', $UIDA, '$fpa', '192.0.2.99', 999999999, 1, 1)"
phase "open ends the host's stale rows" PAM_SUCCESS host-a -r 192.0.2.7 -e "$(info "$ka")" open
eq "$(q "SELECT ended > 0, end_reason FROM sessions WHERE source_addr = '192.0.2.99'")" "1|stale" \
	"the row of a dead sshd is ended as 'stale'"

# close removes a socket nobody listens on, and keeps one a newer tunnel listens on.
SOCK="$RT/hosts/host-a/sock/ssh.sock"
"$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
phase "close with a stale socket" PAM_SUCCESS host-a -r 192.0.2.7 close
absent_file() { [ ! -e "$1" ] && ok "$2" || not_ok "$2: $(ls -l "$1")"; }
absent_file "$SOCK" "close removed the socket nobody listened on"
"$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
print("up", flush=True); time.sleep(60)' "$SOCK" > "$WORK/listener.out" &
LPID=$!
for _ in $(seq 50); do [ -s "$WORK/listener.out" ] && break; sleep 0.1; done
phase "close while a newer tunnel listens" PAM_SUCCESS host-a -r 192.0.2.7 close
[ -S "$SOCK" ] && ok "close kept the socket a newer tunnel listens on" ||
	not_ok "the listening socket was removed"
kill "$LPID"
wait "$LPID" 2> /dev/null
# A newer session's sshd may have bound its socket and not yet listened: while
# another session of the host lives, close leaves the socket alone.
rm -f "$SOCK"
"$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
sleep 600 &
LIVE=$!
q "INSERT INTO sessions(host, uid, fingerprint, source_addr, sshd_pid, sshd_start, started)
   VALUES ('host-a', $UIDA, '$fpa', '192.0.2.98', $LIVE, $(awk '{print $22}' /proc/$LIVE/stat), 2)"
phase "close while another session of the host lives" PAM_SUCCESS host-a -r 192.0.2.7 close
[ -S "$SOCK" ] && ok "close kept a bound socket while another session lives" ||
	not_ok "close removed the socket of a live session"
kill "$LIVE"
wait "$LIVE" 2> /dev/null

# max_sessions_per_host: sessions whose sshd lives count (pam-run stands in
# for sshd: the row records its pid). One more is refused and audited; a
# session whose process died does not count, so a host reconnecting while
# its old connection hangs gets in once the hung one is gone or under the cap.
cp "$WORK/rjh.conf" "$WORK/cap.conf"
echo "max_sessions_per_host = 2" >> "$WORK/cap.conf"
service rjh-cap "conf=$WORK/cap.conf" audit=off
rjh enroll host-cap "$(newkey cap)" > /dev/null
cap_open() { # cap_open VAR: a session of host-cap held open; its coproc in VAR
	coproc "$1" { exec "$RUN" -d "$WORK/pam.d" -r 192.0.2.9 -e "$(info "$WORK/keys/cap.pub")" rjh-cap host-cap open pause close; }
}
cap_open C1
read -r l1 <&"${C1[0]}"
cap_pid1=$C1_PID
cap_open C2
read -r l2 <&"${C2[0]}"
eq "$l1 $l2" "open: PAM_SUCCESS open: PAM_SUCCESS" "two sessions of host-cap open (the cap is 2)"
phase "a third, while both live, is refused" PAM_SESSION_ERR host-cap -r 192.0.2.9 \
	-e "$(info "$WORK/keys/cap.pub")" --svc rjh-cap open
logged "host host-cap: tunnel refused: 2 sessions live, max_sessions_per_host is 2" \
	"syslog says the cap refused it"
eq "$(q "SELECT type, result, detail FROM events WHERE host = 'host-cap' AND op = 'rjh-tunnel' AND result = 'failed'")" \
	"USER_START|failed|addr=192.0.2.9 reason=\"max-sessions\"" "the refusal is in the audit trail with its reason"
eq "$(q "SELECT count(*) FROM sessions WHERE host = 'host-cap' AND ended IS NULL")" 2 \
	"and it left no presence row"
kill -KILL "$cap_pid1"
wait "$cap_pid1" 2> /dev/null
phase "one of them dies (a hung connection's sshd gone): the next gets in" PAM_SUCCESS host-cap \
	-r 192.0.2.9 -e "$(info "$WORK/keys/cap.pub")" --svc rjh-cap open
eq "$(q "SELECT end_reason FROM sessions WHERE host = 'host-cap' AND sshd_pid = $cap_pid1")" stale \
	"the dead session's row was ended as stale"
echo >&"${C2[1]}"
read -r _ <&"${C2[0]}"
read -r _ <&"${C2[0]}"
wait "${C2_PID:-}" 2> /dev/null


# Concurrency: 500 hosts open their sessions at once.
"$GENKEYS" 500 storm- > "$WORK/storm.keys"
rjh import "$WORK/storm.keys" > /dev/null
before=$(q "SELECT count(*) FROM sessions")
pids=()
while read -r type b64 name; do
	"$RUN" -d "$WORK/pam.d" -r 192.0.2.50 -e "SSH_AUTH_INFO_0=publickey $type $b64" rjh "$name" \
		acct open > "$WORK/storm.$name" 2>&1 &
	pids+=($!)
done < "$WORK/storm.keys"
wait "${pids[@]}"
eq "$(cat "$WORK"/storm.storm-* | sort | uniq -c | awk '{print $1, $2, $3}' | tr '\n' ' ')" \
	"500 acct: PAM_SUCCESS 500 open: PAM_SUCCESS " "500 concurrent logins: every account and session succeeds"
eq "$(q "SELECT count(*) FROM sessions") " "$((before + 500)) " "500 presence rows, none lost"
eq "$(syslog_since 0 | grep -c -i 'locked\|busy')" 0 "no lock or busy error in syslog"

# NODELETE: libpam's pam_end leaves pam_rjh and libsqlite3 loaded (sshd's
# monitor exits next; unloading them first only cost CPU). pam_permit,
# linked without it, shows that the probe sees an unload.
OUT=$(timeout 60 "$RUN" -d "$WORK/pam.d" -m pam_rjh.so rjh host-a acct 2>&1)
has -o "after pam_end: pam_rjh.so mapped" "pam_end leaves pam_rjh.so loaded (NODELETE)"
OUT=$(timeout 60 "$RUN" -d "$WORK/pam.d" -m libsqlite3 rjh host-a acct 2>&1)
has -o "after pam_end: libsqlite3 mapped" "and libsqlite3 with it"
printf 'account required pam_permit.so\n' > "$WORK/pam.d/permit"
OUT=$(timeout 60 "$RUN" -d "$WORK/pam.d" -m pam_permit.so permit host-a acct 2>&1)
has -o "after pam_end: pam_permit.so not mapped" "the probe sees pam_end unload a module without NODELETE"

# Only the pam_sm_* entry points are exported.
eq "$(nm -D --defined-only "$SO" | awk '{print $3}' | sort | tr '\n' ' ')" \
	"pam_sm_acct_mgmt pam_sm_close_session pam_sm_open_session " "exports exactly the three pam_sm_* symbols"

finish
