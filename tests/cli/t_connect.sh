# rjh-connect as installed (setuid root), run by ordinary users against a
# real registry and host sockets served by a small echo server: grants by
# user, @group and glob, every refusal with its message and exit code, the
# relay with half-close, the audit rows, and the attacks on its inputs.
#
# Runs in a private mount namespace whose /etc is an overlay (test users and
# /etc/rjh/rjh.conf live only there): rjh-connect reads nothing but the
# system's config, so the test gives the namespace one.
. "$(dirname "$0")/private-mounts.sh"
. "$(dirname "$0")/lib.sh"
BG=()
trap 'for p in "${BG[@]}"; do kill "$p" 2> /dev/null; done; wait 2> /dev/null; umount /etc 2> /dev/null; rm -rf "$WORK"' EXIT

mkdir -p "$WORK/etc-up" "$WORK/etc-work"
mount -t overlay rjh-etc -o "lowerdir=/etc,upperdir=$WORK/etc-up,workdir=$WORK/etc-work" /etc || {
	not_ok "cannot overlay /etc in the private namespace"
	finish
	exit 1
}
groupadd -g 64100 ops && useradd -u 64001 -U -G ops -M -s /bin/sh alice &&
	useradd -u 64002 -U -M -s /bin/sh bob && useradd -u 64003 -U -M -s /bin/sh carol ||
	not_ok "test users in the overlay /etc"

write_conf
mkdir -p /etc/rjh
cp "$WORK/rjh.conf" /etc/rjh/rjh.conf
chmod 0644 /etc/rjh/rjh.conf
rjh init > /dev/null
rjh enroll host-a "$(newkey a)" > /dev/null
rjh enroll host-b "$(newkey b)" > /dev/null
rjh enroll web-1 "$(newkey w)" > /dev/null
rjh enroll host-d "$(newkey d)" > /dev/null
rjh revoke host-d > /dev/null
rjh grant alice host-a > /dev/null
rjh grant @ops 'web-*' > /dev/null
rjh grant carol host-b > /dev/null

# The installed form: root-owned, setuid.
mkdir -m 0755 "$WORK/bin"
install -m 4755 "$TOP/build/rjh-connect" "$WORK/bin/rjh-connect"
RC="$WORK/bin/rjh-connect"
uid_of() { q "SELECT uid FROM hosts WHERE name = '$1'"; }
sock_of() { echo "$WORK/run/hosts/$1/sock/ssh.sock"; }

# serve NAME: an echo server on NAME's socket, owned by NAME's uid as sshd's
# would be: it reads until EOF, then answers "got N sha256" and closes.
serve() {
	"$PY" - "$(sock_of "$1")" "$(uid_of "$1")" > "$WORK/serve.$1" 2>&1 << 'EOF' &
import hashlib, os, socket, sys
path, uid = sys.argv[1], int(sys.argv[2])
try: os.unlink(path)
except FileNotFoundError: pass
s = socket.socket(socket.AF_UNIX); s.bind(path); os.chown(path, uid, -1); os.chmod(path, 0o600)
s.listen(8); print("up", flush=True)
while True:
    c, _ = s.accept(); h = hashlib.sha256(); n = 0
    while True:
        b = c.recv(65536)
        if not b: break
        h.update(b); n += len(b)
    c.sendall(b"got %d %s\n" % (n, h.hexdigest().encode())); c.close()
EOF
	BG+=($!)
	for _ in $(seq 50); do [ -s "$WORK/serve.$1" ] && return 0; sleep 0.1; done
	return 1
}
# as USER COMMAND...: COMMAND as USER with USER's groups (a script, for sh -c).
printf '#!/bin/sh\nu=$1\nshift\nexec setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@"\n' \
	> "$WORK/as"
chmod 755 "$WORK/as"
as() { "$WORK/as" "$@"; }
export PATH="$WORK:$PATH"
serve host-a || not_ok "echo server for host-a"
serve web-1 || not_ok "echo server for web-1"

echo "# granted callers reach their hosts"
expect 0 "alice (granted host-a) relays to host-a" -- sh -c "printf hello | as alice $RC host-a"
eq "$OUT" "got 5 $(printf hello | sha256sum | cut -d' ' -f1)" "the host saw the bytes and EOF (half-close), and its answer came back"
expect 0 "alice reaches web-1 through @ops and 'web-*'" -- sh -c "printf x | as alice $RC web-1"
has -o "got 1 " "the answer from web-1"
head -c 10485760 /dev/urandom > "$WORK/10m"
expect 0 "10 MiB through the relay" -- sh -c "as alice $RC host-a < $WORK/10m"
eq "$OUT" "got 10485760 $(sha256sum < "$WORK/10m" | cut -d' ' -f1)" "every byte arrived, in order"
# An end splice refuses late: with stdout appended to a file (O_APPEND) the
# data is already in the pipe when splice says EINVAL. The relay must move it
# and copy from then on. (stdin, a regular file, splices fine.)
echo first > "$WORK/appended"
chown alice "$WORK/appended"
expect 0 "stdout appended to a file (splice refuses it): the relay copies instead" -- \
	sh -c "as alice sh -c '$RC host-a < $WORK/10m >> $WORK/appended'"
eq "$(cat "$WORK/appended")" "$(printf 'first\ngot 10485760 %s' "$(sha256sum < "$WORK/10m" | cut -d' ' -f1)")" \
	"the file kept its first line and got the whole answer after it"
expect 0 "ForceCommand: the host from SSH_ORIGINAL_COMMAND" -- \
	sh -c "printf y | SSH_ORIGINAL_COMMAND='rjh-connect host-a' as alice $RC"
has -o "got 1 " "the answer through SSH_ORIGINAL_COMMAND"
expect 0 "ForceCommand: a bare host name" -- sh -c "printf y | SSH_ORIGINAL_COMMAND=host-a as alice $RC"

echo "# the audit rows of a connection"
# rjh-connect never opens the registry: its rows wait in the spool until an
# rjh-admin that reads or prunes events (here audit) mirrors them.
drain() { rjh audit > /dev/null; }
[ "$(ls "$WORK/reg/registry.db.spool" | wc -l)" -gt 0 ] && ok "the connections so far are spooled" ||
	not_ok "nothing in $WORK/reg/registry.db.spool"
eq "$(q "SELECT count(*) FROM events WHERE op = 'rjh-connect'")" 0 "and not yet in the registry"
drain
[ "$(ls "$WORK/reg/registry.db.spool" | wc -l)" = 0 ] && ok "rjh-admin audit drained the spool" ||
	not_ok "left in the spool: $(ls "$WORK/reg/registry.db.spool")"
eq "$(q "SELECT type, op, host, actor_uid, result FROM events WHERE op = 'rjh-connect' ORDER BY id LIMIT 2" | tr '\n' ' ')" \
	"USER_START|rjh-connect|host-a|64001|success USER_END|rjh-connect|host-a|64001|success " \
	"USER_START and USER_END, op=rjh-connect, the host and the caller's uid"
# (Rows of one second are in no fixed order: the first connection's by its counts.)
eq "$(q "SELECT count(*) FROM events WHERE op = 'rjh-connect' AND type = 'USER_END' AND detail = 'bytes_to_host=5 bytes_from_host=$((4 + 2 + 64 + 1))'")" \
	1 "the closing row of the first connection has the byte counts both ways"
# SSH_CONNECTION is the caller's environment: with no sshd session behind
# it (no such TCP connection, no sshd above the caller), a claimed address
# is not the client's. It is kept as claimed_peer=, never as addr=.
expect 0 "a forged SSH_CONNECTION changes nothing for the relay" -- \
	sh -c "printf z | SSH_CONNECTION='192.0.2.33 5555 10.0.0.1 22' as alice $RC host-a"
drain
eq "$(q "SELECT detail FROM events WHERE op = 'rjh-connect' ORDER BY id DESC LIMIT 1")" \
	"bytes_to_host=1 bytes_from_host=71 claimed_peer=192.0.2.33" \
	"the forged address is not addr=: only claimed_peer=, an unverified claim"
eq "$(q "SELECT count(*) FROM events WHERE op = 'rjh-connect' AND detail LIKE '%addr=192.0.2.33%'")" 0 \
	"no row of the connection has addr=192.0.2.33"
expect 0 "an SSH_CONNECTION that is not one: nothing recorded of it" -- \
	sh -c "printf z | SSH_CONNECTION='192.0.2.33%eth0 5555 x 22' as alice $RC host-a"
drain
eq "$(q "SELECT detail FROM events WHERE op = 'rjh-connect' ORDER BY id DESC LIMIT 1")" \
	"bytes_to_host=1 bytes_from_host=71" "neither addr= nor claimed_peer="

echo "# refusals: a clear line, a distinct exit code, a failed USER_ACCT row"
n0=$(q "SELECT count(*) FROM events WHERE type = 'USER_ACCT' AND result = 'failed'")
expect 4 "bob has no grant" -- as bob "$RC" host-a
eq "$ERR" "rjh-connect: no grant for bob on host-a" "the message names user and host"
expect 4 "carol's grant is for host-b only" -- as carol "$RC" host-a
expect 2 "a host that is not enrolled" -- as alice "$RC" host-zz
eq "$ERR" "rjh-connect: host-zz: not enrolled" "not enrolled"
expect 3 "a disabled host" -- as alice "$RC" host-d
eq "$ERR" "rjh-connect: host-d: disabled" "disabled"
start=$(date +%s%N)
expect 5 "an offline host (granted, no socket)" -- as carol "$RC" host-b
eq "$ERR" "rjh-connect: host-b is offline" "offline"
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -lt 1000 ] && ok "offline is reported within 1 s ($elapsed ms)" || not_ok "offline took $elapsed ms"
drain
eq "$(q "SELECT count(*) FROM events WHERE type = 'USER_ACCT' AND result = 'failed'")" "$((n0 + 4))" \
	"each refusal of an enrolled host wrote a failed USER_ACCT row"
eq "$(q "SELECT count(*) FROM events WHERE host = 'host-zz'")" 0 \
	"a name never enrolled leaves no row (its kernel record is all)"
eq "$(q "SELECT detail FROM events WHERE type = 'USER_ACCT' AND actor_uid = 64002 ORDER BY id DESC LIMIT 1")" \
	'reason="no-grant"' "the row says why"

echo "# an ungranted user cannot grow the registry: 16 mirrored refusals per drain"
n0=$(q "SELECT count(*) FROM events WHERE actor_uid = 64002")
for _ in $(seq 40); do as bob "$RC" host-a 2> /dev/null; done
eq "$(ls "$WORK/reg/registry.db.spool" | grep -c '^r-64002-')" 16 "bob's 40 refusals took his 16 refusal slots"
drain
eq "$(q "SELECT count(*) FROM events WHERE actor_uid = 64002")" "$((n0 + 16))" \
	"16 of them reached the registry"
expect 4 "after the drain bob's next refusal" -- as bob "$RC" host-a
drain
eq "$(q "SELECT count(*) FROM events WHERE actor_uid = 64002")" "$((n0 + 17))" "is mirrored again"
for _ in $(seq 30); do as bob "$RC" host-zz 2> /dev/null; done
eq "$(ls "$WORK/reg/registry.db.spool" | wc -l)" 0 "30 refusals for a name never enrolled spool nothing"

echo "# hostile input"
for bad in ../x -oProxyCommand=x 'host-a/../host-b' '' 'HOST-A' "$(printf 'h%.0s' $(seq 40))"; do
	expect 1 "refused as a host name: '${bad:0:20}'" -- as alice "$RC" "$bad"
done
expect 1 "two hosts" -- as alice "$RC" host-a host-b
expect 1 "SSH_ORIGINAL_COMMAND with more than a host" -- \
	sh -c "SSH_ORIGINAL_COMMAND='rjh-connect host-a; id' as alice $RC"
expect 1 "SSH_ORIGINAL_COMMAND with another command" -- sh -c "SSH_ORIGINAL_COMMAND='nc -U x' as alice $RC"
expect 1 "a very long SSH_ORIGINAL_COMMAND" -- \
	sh -c "SSH_ORIGINAL_COMMAND='$(head -c 100000 /dev/zero | tr '\0' a)' as alice $RC"
# A caller's config or registry is never read: bob's fake registry grants him everything.
mkdir -p "$WORK/fake"
printf 'registry = %s/fake/registry.db\nruntime_dir = %s/run\naudit = off\n' "$WORK" "$WORK" > "$WORK/fake/rjh.conf"
"$ADMIN" -c "$WORK/fake/rjh.conf" init > /dev/null 2>&1
"$ADMIN" -c "$WORK/fake/rjh.conf" grant bob '*' > /dev/null 2>&1
expect 4 "RJH_CONF pointing at a fake registry changes nothing" -- \
	sh -c "RJH_CONF=$WORK/fake/rjh.conf as bob $RC host-a"
expect 1 "and -c is not an option" -- as bob "$RC" -c "$WORK/fake/rjh.conf" host-a
expect 7 "not setuid: refuses, and says how it must be installed" -- as alice "$TOP/build/rjh-connect" host-a
has "setuid root" "the message says setuid root"

echo "# only rjh-connect reaches the sockets"
expect 1 "alice cannot nc -U host-a's socket herself" -- sh -c "as alice nc -U $(sock_of host-a) < /dev/null"
has "ermission denied" "permission denied"
# A symlink where the socket should be is never followed, even to a live socket.
mv "$(sock_of host-a)" "$WORK/host-a.sock.real"
ln -s "$(sock_of web-1)" "$(sock_of host-a)"
expect 5 "a symlink planted at host-a's socket is not followed" -- as alice "$RC" host-a
rm "$(sock_of host-a)"
mv "$WORK/host-a.sock.real" "$(sock_of host-a)"
# A socket owned by another uid is not the host's.
chown "$(uid_of web-1)" "$(sock_of host-a)"
expect 5 "a socket not owned by the host is refused" -- as alice "$RC" host-a
chown "$(uid_of host-a)" "$(sock_of host-a)"

echo "# grants change with the next connection"
rjh ungrant alice host-a > /dev/null
expect 4 "after ungrant alice is refused" -- as alice "$RC" host-a
rjh grant alice 'host-?' > /dev/null
expect 0 "a glob grant 'host-?' lets her in again" -- sh -c "printf q | as alice $RC host-a"

echo "# audit = required: without the kernel's audit, nothing connects"
# Which case runs depends on the machine's kernel audit (off unless an auditd
# runs). The e2e test has its own auditd and checks that a refused events
# mirror does not refuse connections.
if auditctl -s 2> /dev/null | grep -qx 'enabled 0'; then
	sed -i 's/^audit = off$/audit = required/' /etc/rjh/rjh.conf
	n0=$(q "SELECT count(*) FROM events WHERE op = 'rjh-connect'")
	expect 7 "audit = required and the kernel takes no records: refused" -- \
		sh -c "printf r | as alice $RC host-a"
	has "audit = required" "the message says why"
	eq "$(q "SELECT count(*) FROM events WHERE op = 'rjh-connect'")" "$n0" "and nothing was relayed or recorded as a connection"
	sed -i 's/^audit = required$/audit = off/' /etc/rjh/rjh.conf
else
	sed -i 's/^audit = off$/audit = required/' /etc/rjh/rjh.conf
	expect 0 "audit = required and the kernel takes records: connects" -- \
		sh -c "printf r | as alice $RC host-a"
	sed -i 's/^audit = required$/audit = off/' /etc/rjh/rjh.conf
fi

echo "# the registry is never opened; the login snapshot is what it needs"
expect 0 "with the registry exclusively locked by another process, alice connects" -- \
	bash -c 'coproc L { sqlite3 "$1" "BEGIN EXCLUSIVE; SELECT 1;" && sleep 30; }
		read -r _ <&"${L[0]}"; printf l | timeout 5 setpriv --reuid=alice --regid=alice \
		--init-groups "$2" host-a; rc=$?; kill "$L_PID"; exit $rc' _ "$WORK/reg/registry.db" "$RC"
has -o "got 1 " "and reaches host-a"
mv "$WORK/reg/registry.db" "$WORK/reg.moved"
expect 0 "with no registry file at all, alice connects" -- sh -c "printf m | as alice $RC host-a"
mv "$WORK/reg.moved" "$WORK/reg/registry.db"
mv "$WORK/reg/registry.db.login" "$WORK/login.moved"
expect 6 "a missing login snapshot" -- as alice "$RC" host-a
eq "$ERR" "rjh-connect: registry unavailable" "registry unavailable"
mv "$WORK/login.moved" "$WORK/reg/registry.db.login"
if ldd "$TOP/build/rjh-connect" | grep -q sqlite; then
	not_ok "rjh-connect links SQLite: $(ldd "$TOP/build/rjh-connect" | grep sqlite)"
else
	ok "rjh-connect, setuid root, does not link SQLite"
fi
finish
