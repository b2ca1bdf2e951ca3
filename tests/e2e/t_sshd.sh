# End to end through a real sshd: hosts behind NAT keep `ssh -N -R` tunnels
# to the jumphost, a client on the jumphost reaches each host by name through
# its socket, and everything a host must not do fails where it can be seen.
. "$(dirname "$0")/lib.sh"
e2e_setup

# sshd -T for one connection: prints "keyword value" lines.
sshd_T() {
	"$JUMP_SSHD" -T -C "$1" "${JUMP_OPTS[@]}" "${@:2}"
}

# The value of one keyword in $OUT (from sshd_T).
tval() {
	printf '%s\n' "$OUT" | awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print; exit }'
}

# The key helper's lines in syslog since syslog_mark.
akc_syslog() {
	syslog_since | grep -F ' rjh-authorized-keys['
}

# akc_logged REASON: since syslog_mark the key helper logged exactly one line,
# at authpriv.err (<83>: facility 10 * 8 + severity 3), and it says REASON.
akc_logged() {
	OUT=$(akc_syslog)
	eq "$(grep -c . <<< "$OUT")" 1 "the key helper logged one line: ${OUT:0:200}"
	eq "${OUT:0:4}" "<83>" "at authpriv.err (<83>)"
	has -o "$1" "it says: $1"
}

# ---------------------------------------------------------------------------
echo "# the jumphost, hosts behind NAT, their accounts and keys"
start_jumphost
host_up host-a
# host-a may connect only from its router's public (NAT) address.
enroll host-a --from "${HOST_PUBLIC[host-a]}/32"
add_host host-b
# Expiry is checked for real, not written into the registry: a host and a key
# that expire in a few seconds work now and are refused later (section 5).
expiry=$(($(date +%s) + 12))
expiry_iso=$(date -u -d "@$expiry" +%Y-%m-%dT%H:%M:%SZ)
enroll host-x --expires "$expiry_iso"
rjh add-key host-b "$(new_key host-b-soon)" --expires "$expiry_iso" > /dev/null ||
	die "add-key host-b with --expires"
try_accepted "a host that expires at $expiry_iso can log in before then" host-a host-x host-x \
	-N -o ExitOnForwardFailure=yes -R /sock/probe.sock:localhost:22
try_accepted "a key that expires at $expiry_iso can log in before then" host-b host-b host-b-soon \
	-N -o ExitOnForwardFailure=yes -R /sock/probe.sock:localhost:22

owner_mode "$REG" "root:root 640 regular file" "the registry is root's alone"
owner_mode "$REG.login" "root:$KEYS_GROUP 640 regular file" \
	"rjh-admin init gave the login snapshot to the key helper's group"
expect 0 "host-a resolves through nss_rjh" -- getent passwd host-a
eq "$(echo "$OUT" | cut -d: -f6,7)" "$RUNTIME/hosts/host-a:/usr/sbin/nologin" \
	"host-a's home is its chroot and its shell nologin"
expect 0 "id host-a" -- id -gn host-a
eq "$OUT" rjh-hosts "host-a's primary group is rjh-hosts (sshd's Match Group)"
expect 0 "the key helper, run as $KEYS_USER, reads the login snapshot" -- \
	setpriv --reuid="$KEYS_USER" --regid="$KEYS_GROUP" --clear-groups "$AKC" --config "$CONF" host-a
has -o "$(cut -d' ' -f2 "$WORK/keys/host-a.pub")" "it prints host-a's key"

echo "# tunnels up, hosts reached by name"
if tunnel_up host-a; then ok "host-a's tunnel is up"; else not_ok "host-a's tunnel is up"; fi
owner_mode "$(sock_of host-a)" "host-a:rjh-hosts 600 socket" \
	"host-a's socket is host-a's, mode 0600 (StreamLocalBindMask 0177)"
expect 0 "a client on the jumphost reaches host-a through its socket" -- reach host-a hostname
eq "$OUT" host-a "it is host-a's own sshd (host key checked) and prints host-a"
if tunnel_up host-b; then ok "host-b's tunnel is up"; else not_ok "host-b's tunnel is up"; fi
expect 0 "a client on the jumphost reaches host-b through its socket" -- reach host-b hostname
eq "$OUT" host-b "host-b's socket leads to host-b"
check "host-a's sshd listens in host-a's own network" -- in_host host-a nc -z -w 2 127.0.0.1 22
refute "the jumphost cannot connect to host-a's sshd directly (${HOST_ADDR[host-a]}:22)" -- \
	nc -z -w 2 "${HOST_ADDR[host-a]}" 22
expect_fail "ssh from the jumphost straight to host-b's address fails" -- \
	timeout 10 ssh -F "$WORK/client_config" -o ProxyCommand=none -o HostKeyAlias=host-b \
	"${HOST_ADDR[host-b]}" hostname
lacks -o host-b "nothing answered as host-b"

# ---------------------------------------------------------------------------
echo "# the drop-in as sshd reads it"
expect 0 "sshd -t accepts sshd_config with the generated drop-in" -- \
	"$JUMP_SSHD" -t "${JUMP_OPTS[@]}"
expect 0 "sshd -T for host-a" -- sshd_T user=host-a,host=x,addr=127.0.0.1
for kv in "chrootdirectory $RUNTIME/hosts/%u" "authorizedkeysfile none" \
	"authorizedkeyscommanduser $KEYS_USER" "allowtcpforwarding remote" \
	"allowstreamlocalforwarding remote" "permitlisten none" "permitopen none" \
	"streamlocalbindunlink yes" "permittty no" "x11forwarding no" \
	"allowagentforwarding no" "permittunnel no" "permituserrc no" \
	"authenticationmethods publickey" "passwordauthentication no" \
	"kbdinteractiveauthentication no" "forcecommand /usr/sbin/nologin" \
	"clientaliveinterval 30" "clientalivecountmax 3"; do
	eq "$(tval "${kv%% *}")" "${kv#* }" "host-a: ${kv%% *} ${kv#* }"
done
# -- keeps a user name from being read as an option of the helper.
eq "$(tval authorizedkeyscommand)" "$AKC --config $CONF -- %u %f %t %k" \
	"host-a: authorizedkeyscommand is the helper with --config, then -- %u %f %t %k"
# None of the Match block reaches anyone else: root's (and the key helper
# user's) effective config is exactly the one without the drop-in.
sed '/^[[:space:]]*Include[[:space:]]/d' /etc/ssh/sshd_config > "$WORK/sshd_config.no-rjh"
for u in root "$KEYS_USER"; do
	expect 0 "sshd -T for $u" -- sshd_T "user=$u,host=x,addr=127.0.0.1"
	mine=$OUT
	OUT=$(sshd_T "user=$u,host=x,addr=127.0.0.1" -f "$WORK/sshd_config.no-rjh" 2>&1)
	eq "$mine" "$OUT" "for $u, sshd -T is identical with and without the drop-in"
done
OUT=$mine
eq "$(tval chrootdirectory) $(tval forcecommand) $(tval authorizedkeyscommand)" "none none none" \
	"no chroot, forced command or key helper outside the Match block"

# ---------------------------------------------------------------------------
echo "# a host reconnects while its old connection hangs"
old=${TUNNEL_PID[host-a]}
old_ino=$(sock_ino host-a)
kill -STOP "$old"
if tunnel_up host-a; then
	ok "host-a reconnects while the old tunnel is stopped"
else
	not_ok "host-a reconnects while the old tunnel is stopped"
fi
[ "$(sock_ino host-a)" != "$old_ino" ] && ok "the new connection bound a new socket" ||
	not_ok "the socket is still the old one (inode $old_ino)"
expect 0 "host-a is reachable through the new connection" -- reach host-a hostname
eq "$OUT" host-a "the new tunnel leads to host-a"
new_ino=$(sock_ino host-a)
stop "$old"
# One host-a session left on the jumphost (/proc shows this test's PID namespace only).
sessions_of_a() {
	[ "$(pgrep -c -f '^[a-z-]*sshd: host-a \[priv\]')" = 1 ]
}
if wait_for 10 "the old session of host-a to end on the jumphost" sessions_of_a; then
	ok "the old connection ended on the jumphost once its ssh was killed"
else
	not_ok "the old connection ended on the jumphost once its ssh was killed: $(pgrep -a -f 'sshd: host-a')"
fi
eq "$(sock_ino host-a)" "$new_ino" "the old connection's end left the new socket in place"
expect 0 "host-a is still reachable after the old tunnel died" -- reach host-a hostname
eq "$OUT" host-a "through the new tunnel"

# ---------------------------------------------------------------------------
echo "# what a host must not be able to do"
b_ino=$(sock_ino host-b)
b_dir=$(ls -A "$RUNTIME/hosts/host-b/sock")
R="-N -o ExitOnForwardFailure=yes"
# shellcheck disable=SC2086
{
	try_refused "host-a's key cannot log in as host-b" host-a host-b host-a $R \
		-R /sock/ssh.sock:localhost:22
	try_refused "host-a cannot bind host-b's socket through /.." host-a host-a host-a $R \
		-R /../host-b/sock/ssh.sock:localhost:22
	try_refused "host-a cannot bind host-b's socket through /sock/../.." host-a host-a host-a $R \
		-R /sock/../../host-b/sock/ssh.sock:localhost:22
	try_refused "host-a cannot bind host-b's socket by its jumphost path" host-a host-a host-a $R \
		-R "$(sock_of host-b):localhost:22"
	try_refused "host-a cannot bind /tmp/x.sock" host-a host-a host-a $R -R /tmp/x.sock:localhost:22
	try_refused "host-a cannot bind /run/x.sock" host-a host-a host-a $R -R /run/x.sock:localhost:22
	try_refused "host-a cannot bind /run/rjh/x.sock" host-a host-a host-a $R \
		-R "$RUNTIME/x.sock:localhost:22"
	try_refused "host-a cannot bind in its chroot's root (/x.sock)" host-a host-a host-a $R \
		-R /x.sock:localhost:22
	try_refused "host-a cannot listen on a TCP port (-R 0:...)" host-a host-a host-a $R \
		-R 0:localhost:22
	try_refused "host-a cannot listen on TCP 2222" host-a host-a host-a $R -R 2222:localhost:22
	try_refused "host-a cannot listen on TCP 127.0.0.1:2223" host-a host-a host-a $R \
		-R 127.0.0.1:2223:localhost:22
}
eq "$(sock_ino host-b)" "$b_ino" "host-b's socket is the same file as before the attacks"
expect 0 "host-b is still reached through its own tunnel" -- reach host-b hostname
eq "$OUT" host-b "and it is still host-b"
for p in /tmp/x.sock /run/x.sock "$RUNTIME/x.sock" "$RUNTIME/hosts/x.sock" \
	"$RUNTIME/hosts/host-a/x.sock" "$RUNTIME/hosts/host-a/tmp" "$RUNTIME/hosts/host-a/run" \
	"$RUNTIME/hosts/host-a/host-b"; do
	absent "$p" "no $p on the jumphost"
done
eq "$(ls -A "$RUNTIME/hosts/host-b/sock")" "$b_dir" "nothing appeared in host-b's socket directory"
OUT=$(ss -Hltn | awk '{print $4}' | sort | tr '\n' ' ')
eq "$OUT" "10.77.0.1:22 127.0.0.1:22 " "the jumphost listens on no TCP port but sshd's"

# -L: ssh listens locally once logged in; each connection to it opens a channel
# that the jumphost must refuse, so the connection closes without a byte.
port=15000
local_forward_refused() {
	local desc=$1 target=$2 pid log=$WORK/hosts/host-a/ssh-L.$port.log refused
	local mark
	mark=$(stat -c %s "$JUMP_LOG")
	bg pid ip netns exec "${HOST_NS[host-a]}" ssh -F "$WORK/tunnel_config" \
		-i "$WORK/keys/host-a" -v -E "$log" -N -o ExitOnForwardFailure=yes \
		-L "127.0.0.1:$port:$target" "host-a@$JUMP_ADDR"
	if ! wait_for 10 "ssh -L listening on $port" in_host host-a nc -z -w 1 127.0.0.1 "$port"; then
		not_ok "$desc: ssh -L did not log in and listen: $(grep -v ^debug "$log" | tail -2)"
		stop "$pid"
		return
	fi
	OUT=$(in_host host-a timeout 10 nc -w 5 127.0.0.1 "$port" < /dev/null)
	RC=$?
	stop "$pid"
	refused=$(tail -c +$((mark + 1)) "$JUMP_LOG" | grep -m1 -o 'refused [a-z]* port forward')
	if [ $RC = 0 ] && [ -z "$OUT" ] && grep -q 'open failed' "$log" && [ -n "$refused" ]; then
		ok "$desc (jumphost: $refused)"
	else
		not_ok "$desc: nc exit $RC, got '${OUT:0:100}'; ssh: $(grep -E 'open failed|channel' "$log" | tail -2)"
	fi
	port=$((port + 1))
}
local_forward_refused "-L to the jumphost's TCP 127.0.0.1:22 is refused" 127.0.0.1:22
local_forward_refused "-L to host-b's private TCP address is refused" "${HOST_ADDR[host-b]}:22"
local_forward_refused "-L to host-a's own socket (/sock/ssh.sock) is refused" /sock/ssh.sock
local_forward_refused "-L to host-b's socket path is refused" "$(sock_of host-b)"

a_ssh() {
	in_host host-a timeout 15 ssh -F "$WORK/tunnel_config" -i "$WORK/keys/host-a" "$@"
}
expect_fail "-W 127.0.0.1:22 (stdio forward) is refused" -- a_ssh -W 127.0.0.1:22 \
	"host-a@$JUMP_ADDR" < /dev/null
lacks -o SSH- "no byte from the jumphost's sshd came through -W"
has "administratively prohibited" "ssh says the channel was prohibited"
expect_fail "-W to host-b's address is refused" -- a_ssh -W "${HOST_ADDR[host-b]}:22" \
	"host-a@$JUMP_ADDR" < /dev/null
lacks -o SSH- "nothing came through"
expect_fail "a command does not run" -- a_ssh "host-a@$JUMP_ADDR" \
	'touch /sock/pwned; echo PWNED' < /dev/null
lacks -o PWNED "the command printed nothing"
absent "$RUNTIME/hosts/host-a/sock/pwned" "and created no file"
expect_fail "a shell does not run" -- a_ssh -T "host-a@$JUMP_ADDR" \
	<<< 'touch /sock/pwned-shell; echo PWNED'
lacks -o PWNED "the shell read nothing"
absent "$RUNTIME/hosts/host-a/sock/pwned-shell" "and created no file"
expect_fail "a TTY (-tt) with a command does not run" -- a_ssh -tt "host-a@$JUMP_ADDR" \
	'touch /sock/pwned-tty; echo PWNED' < /dev/null
lacks -o PWNED "nothing printed with a TTY"
has "PTY allocation request failed" "ssh says the TTY was refused"
absent "$RUNTIME/hosts/host-a/sock/pwned-tty" "and created no file"
printf 'put /etc/hostname /sock/pwned-sftp\n' > "$WORK/sftp.batch"
expect_fail "sftp does not run" -- in_host host-a timeout 15 sftp -F "$WORK/tunnel_config" \
	-i "$WORK/keys/host-a" -b "$WORK/sftp.batch" "host-a@$JUMP_ADDR"
absent "$RUNTIME/hosts/host-a/sock/pwned-sftp" "sftp wrote no file"
agent_pid=
bg agent_pid ip netns exec "${HOST_NS[host-a]}" ssh-agent -D -a "$WORK/hosts/host-a/agent.sock" \
	> /dev/null
if wait_for 5 "ssh-agent" test -S "$WORK/hosts/host-a/agent.sock" &&
	SSH_AUTH_SOCK=$WORK/hosts/host-a/agent.sock ssh-add -q "$WORK/keys/host-a" 2> /dev/null; then
	expect_fail "agent forwarding (-A) with a command gets nothing" -- \
		env SSH_AUTH_SOCK="$WORK/hosts/host-a/agent.sock" a_ssh -A "host-a@$JUMP_ADDR" \
		'echo PWNED $SSH_AUTH_SOCK; touch /sock/pwned-agent' < /dev/null
	lacks -o PWNED "nothing ran with -A"
	eq "$(find "$RUNTIME" /tmp -name 'agent.*' 2> /dev/null)" "" \
		"no forwarded agent socket on the jumphost"
	absent "$RUNTIME/hosts/host-a/sock/pwned-agent" "and no file"
else
	not_ok "ssh-agent for the -A case did not start"
fi
stop "$agent_pid"
eq "$(ls -A "$RUNTIME/hosts/host-a/sock")" "ssh.sock" "host-a's socket directory holds only its socket"

# ---------------------------------------------------------------------------
echo "# keys and hosts that must not log in"
P="-N -o ExitOnForwardFailure=yes -R /sock/probe.sock:localhost:22"
a_ino=$(sock_ino host-a)
new_key stranger > /dev/null
# shellcheck disable=SC2086
{
	try_refused "a key that was never enrolled" host-a host-a stranger $P
	try_refused "a login as a host name that does not exist" host-a no-such-host host-a $P
	try_refused "host-a's key as root on the jumphost" host-a root host-a $P
	try_refused "host-a's key from outside its --from (via host-b's NAT, ${HOST_PUBLIC[host-b]})" \
		host-b host-a host-a $P
	enroll host-f --from 10.99.0.0/24
	try_refused "a host enrolled --from 10.99.0.0/24 connecting from ${HOST_PUBLIC[host-a]}" \
		host-a host-f host-f $P

	rjh add-key host-b "$(new_key host-b-2)" > /dev/null || die "add-key host-b"
	try_accepted "host-b's second key works" host-b host-b host-b-2 $P
	rjh revoke-key "$(ssh-keygen -l -E sha256 -f "$WORK/keys/host-b-2.pub" | awk '{print $2}')" \
		> /dev/null || die "revoke-key"
	try_refused "a revoked key (rjh-admin revoke-key)" host-b host-b host-b-2 $P
	try_accepted "host-b's first key still works after the second was revoked" host-b host-b host-b $P

	enroll host-d
	try_accepted "host-d logs in while enabled" host-a host-d host-d $P
	rjh revoke host-d > /dev/null || die "revoke host-d"
	try_refused "a disabled host (rjh-admin revoke)" host-a host-d host-d $P
	rjh enable host-d > /dev/null || die "enable host-d"
	try_accepted "host-d logs in again once re-enabled" host-a host-d host-d $P

	# Fail closed: a login snapshot the helper (user rjh) cannot read, trust,
	# parse or find lets no host in, and the helper logs why to authpriv.
	LOGIN=$REG.login
	syslog_mark
	chgrp root "$LOGIN"
	try_refused "no login while the key helper cannot read the login snapshot" host-b host-b host-b $P
	chgrp "$KEYS_GROUP" "$LOGIN"
	akc_logged "Permission denied"
	syslog_mark
	chmod 0660 "$LOGIN"
	try_refused "no login while the login snapshot is writable by its group" host-b host-b host-b $P
	chmod 0640 "$LOGIN"
	akc_logged "$LOGIN: writable by group or others (mode 0660)"
	syslog_mark
	mark=$(stat -c %s "$JUMP_LOG")
	chmod 0775 "${REG%/*}"
	try_refused "no login while the snapshot's directory is writable by its group" \
		host-b host-b host-b $P
	chmod 0755 "${REG%/*}"
	# The NSS snapshot lies in that directory too and nss_rjh refuses it
	# first: host-b is no account, so sshd never runs the key helper.
	eq "$(akc_syslog)" "" "the key helper was not asked: nss_rjh already refused the snapshot"
	tail -c +$((mark + 1)) "$JUMP_LOG" | grep -q "Invalid user host-b from" &&
		ok "sshd found no user host-b" ||
		not_ok "sshd did not log 'Invalid user host-b': $(jump_log_since "$mark" 5)"
	syslog_mark
	cp -p "$LOGIN" "$WORK/login.good"
	printf 'not a snapshot\n' > "$LOGIN"
	try_refused "no login while the login snapshot is corrupt" host-b host-b host-b $P
	cp -p "$WORK/login.good" "$LOGIN"
	akc_logged "$LOGIN: not a snapshot"
	syslog_mark
	mv "$LOGIN" "$WORK/login.good"
	try_refused "no login while the login snapshot is missing" host-b host-b host-b $P
	mv "$WORK/login.good" "$LOGIN"
	akc_logged "$LOGIN: no login snapshot (run rjh-admin refresh)"
	syslog_mark
	try_accepted "logins work again once it can" host-b host-b host-b $P
	eq "$(akc_syslog)" "" "the key helper logs nothing for a login it allows"
	OUT=$(syslog_since)
	has -o "session opened for user host-b" "while sshd's own syslog lines for it arrived"

	rjh remove host-d > /dev/null || die "remove host-d"
	try_refused "a removed host (rjh-admin remove)" host-a host-d host-d $P
	absent "$RUNTIME/hosts/host-d" "remove took host-d's directory away"
	refute "host-d no longer resolves" -- getent passwd host-d

	while [ "$(date +%s)" -le "$expiry" ]; do sleep 0.2; done
	try_refused "a host whose --expires has passed" host-a host-x host-x $P
	try_refused "a key whose --expires has passed" host-b host-b host-b-soon $P
	try_accepted "host-b's unexpiring key still works" host-b host-b host-b $P
}
absent "$RUNTIME/hosts/host-f/sock/probe.sock" "no socket for the host outside its --from"
eq "$(sock_ino host-a)" "$a_ino" "host-a's socket was not touched by host-a's key from elsewhere"
absent "$RUNTIME/hosts/host-a/sock/probe.sock" "and nothing was bound for it"

# ---------------------------------------------------------------------------
echo "# other key types, and names at the edges of what enroll accepts"
long='h-23456789-123456789-12345678901' # 32 characters, the longest name
for spec in "host-rsa rsa 3072" "host-ecdsa ecdsa 256" "$long ed25519" "host.b_1 ed25519"; do
	# shellcheck disable=SC2086
	set -- $spec
	if ! rjh enroll "$1" "$(new_key "$@")" > /dev/null; then
		not_ok "enroll $1 with a ${2} key"
		continue
	fi
	# Checked while the tunnel is up: pam_rjh removes the socket when it ends.
	try_tunnel host-a "$1" "$1" -N -o ExitOnForwardFailure=yes -R /sock/ssh.sock:localhost:22
	eq "$TRY" up "$1 (${2}${3:+ $3}) logs in and binds its socket"
	owner_mode "$(sock_of "$1")" "$1:rjh-hosts 600 socket" "$1's socket is its own"
	stop "$TRY_PID"
done

# ---------------------------------------------------------------------------
echo "# rjh-admin runtime rebuilds and repairs the tree"
tunnel_down host-a
tunnel_down host-b
hosts="host-a host-b host-f host-x"
tree_ok() {
	local h
	owner_mode "$RUNTIME/hosts" "root:root 755 directory" "$1: $RUNTIME/hosts is root's, 0755"
	for h in $hosts; do
		owner_mode "$RUNTIME/hosts/$h" "root:root 755 directory" "$1: the chroot of $h is root's, 0755"
		owner_mode "$RUNTIME/hosts/$h/sock" "$h:rjh-hosts 700 directory" \
			"$1: $h/sock is $h's, 0700"
	done
}
rm -rf "$RUNTIME"
expect 0 "runtime recreates a wiped $RUNTIME" -- rjh runtime
tree_ok "after rm -rf"
if tunnel_up host-a; then
	ok "host-a's tunnel works in the recreated tree"
else
	not_ok "host-a's tunnel works in the recreated tree"
fi
expect 0 "and host-a is reachable through it" -- reach host-a hostname
eq "$OUT" host-a "it is host-a"
tunnel_down host-a

chown root:root "$RUNTIME/hosts/host-b/sock" && chmod 0777 "$RUNTIME/hosts/host-b/sock"
chmod 0777 "$RUNTIME/hosts/host-f"
mkdir -p "$RUNTIME/hosts/ghost/sock" && touch "$RUNTIME/hosts/ghost/sock/ssh.sock"
mkdir -m 0755 "$WORK/decoy" && echo keep > "$WORK/decoy/file"
ln -s "$WORK/decoy" "$RUNTIME/hosts/ghost2"
rm -rf "$RUNTIME/hosts/host-a"
ln -s "$WORK/decoy" "$RUNTIME/hosts/host-a"
# /etc is mounted read-only for this whole test, so a runtime that followed
# this link could not harm it; it would fail to chown and this would show.
etc_before=$(stat -c '%U:%G %a %F' /etc)
rm -rf "$RUNTIME/hosts/host-x/sock"
ln -s /etc "$RUNTIME/hosts/host-x/sock"
expect 0 "runtime repairs modes, removes stale entries, replaces planted symlinks" -- rjh runtime
has -o "2 stale removed" "it reports what it removed (ghost and the ghost2 symlink)"
tree_ok "after repair"
absent "$RUNTIME/hosts/ghost" "the stale directory of a host that is not enrolled is gone"
absent "$RUNTIME/hosts/ghost2" "a stale symlink is gone"
eq "$(stat -c '%U:%G %a %F' "$WORK/decoy") $(cat "$WORK/decoy/file")" "root:root 755 directory keep" \
	"the directory the symlinks pointed to is untouched"
eq "$(stat -c '%U:%G %a %F' /etc)" "$etc_before" "/etc (the target of the planted sock link) is untouched"
check "/etc still holds its files" -- test -f /etc/passwd
rm -rf "$RUNTIME/hosts"
ln -s "$WORK/decoy" "$RUNTIME/hosts"
expect 0 "runtime replaces a symlink planted as $RUNTIME/hosts" -- rjh runtime
owner_mode "$RUNTIME/hosts" "root:root 755 directory" "$RUNTIME/hosts is a real directory again"
eq "$(ls -A "$WORK/decoy")" file "nothing was made in the directory it pointed to"
# runtime gave $RUNTIME a tmpfs of its own (t_sockets checks it); a mount
# point cannot be moved aside, so the tmpfs goes first.
umount "$RUNTIME"
mv "$RUNTIME" "$WORK/runtime.real"
ln -s "$WORK/decoy" "$RUNTIME"
OUT=$(rjh runtime 2>&1 | head -1)
eq "$(ls -A "$WORK/decoy") $(stat -c '%U:%G %a' "$WORK/decoy")" "file root:root 755" \
	"a symlink planted as $RUNTIME itself is not followed (runtime: ${OUT:0:120})"
rm "$RUNTIME"
mv "$WORK/runtime.real" "$RUNTIME"
expect 0 "runtime again changes nothing" -- rjh runtime
has -o "0 stale removed" "nothing stale the second time"
tree_ok "idempotent"

finish
