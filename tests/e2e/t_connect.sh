# Clients reach hosts by name through the real sshd and rjh-connect, and the
# whole flow is on record in a real auditd. A client "laptop" lives in a
# network namespace of its own on the jumphost's link; its user runs plain
# `ssh host-1` with the ~/.ssh/config that `rjh-admin client-config` prints
# and the known_hosts that `rjh-admin known-hosts` prints (no prompt, host
# keys pinned). On the jumphost, alice and bob are client accounts whose sshd
# ForceCommand is rjh-connect.
. "$(dirname "$0")/lib.sh"
e2e_setup
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

echo "# a jumphost, three hosts behind NAT, a laptop, two client accounts"
start_jumphost
client_up || die "the laptop's network"
for h in host-1 host-2 web-1; do
	add_host "$h"
	# The host's own sshd lets the clients' keys in as root.
	cat "$WORK/client/alice.pub" "$WORK/client/bob.pub" >> "$WORK/hosts/$h/authorized_keys"
	expect 0 "set-host-key $h (its sshd's host key, for clients to pin)" -- \
		rjh set-host-key "$h" "$WORK/hosts/$h/ssh_host_ed25519_key.pub"
	tunnel_up "$h" || die "tunnel of $h"
done
expect 0 "grant alice host-1" -- rjh grant alice host-1
expect 0 "grant @ops 'web-*' (alice is in ops)" -- rjh grant @ops 'web-*'
client_ssh_config alice && client_ssh_config bob || die "client ssh configs"
grep -q "ProxyCommand ssh .*rjh-connect" "$WORK/home/alice/.ssh/config" && ok "client-config's ProxyCommand runs rjh-connect" ||
	not_ok "no rjh-connect ProxyCommand in: $(cat "$WORK/home/alice/.ssh/config")"
expect 1 "the laptop cannot reach host-1's sshd directly" -- \
	laptop alice nc -z -w 2 "${HOST_ADDR[host-1]}" 22

echo "# alice reaches her hosts by name"
expect 0 "alice: ssh host-1 hostname" -- laptop alice ssh host-1 hostname
eq "$OUT" host-1 "host-1 answers, with no host key prompt (known_hosts.rjh)"
lacks "authenticity" "no 'authenticity can't be established'"
expect 0 "alice: ssh web-1 hostname, through @ops and 'web-*'" -- laptop alice ssh web-1 hostname
eq "$OUT" web-1 "web-1 answers"
head -c 10485760 /dev/urandom > "$WORK/home/alice/10m"
chown alice "$WORK/home/alice/10m"
sum=$(sha256sum < "$WORK/home/alice/10m" | cut -d' ' -f1)
expect 0 "scp 10 MiB to host-1" -- laptop alice scp -q "$WORK/home/alice/10m" host-1:/root/10m.up
expect 0 "sha256 on host-1" -- laptop alice ssh host-1 "sha256sum < /root/10m.up"
eq "${OUT%% *}" "$sum" "host-1 has exactly the bytes sent"
expect 0 "scp 10 MiB back from host-1" -- laptop alice scp -q host-1:/root/10m.up "$WORK/home/alice/10m.down"
eq "$(sha256sum < "$WORK/home/alice/10m.down" | cut -d' ' -f1)" "$sum" "the copy back matches"

echo "# refusals"
expect 255 "bob (no grant): ssh host-1 fails" -- laptop bob ssh host-1 hostname
has "rjh-connect: no grant for bob on host-1" "bob sees why"
expect 4 "bob's ProxyCommand itself exits 4" -- laptop bob ssh "$JUMP_ADDR" rjh-connect host-1
expect 1 "bob cannot nc -U host-1's socket on the jumphost" -- \
	setpriv --reuid=bob --regid=bob --init-groups nc -U "$(sock_of host-1)" < /dev/null
expect 1 "a name like -oProxyCommand=x is refused" -- laptop alice ssh "$JUMP_ADDR" rjh-connect -oProxyCommand=x
has "not a host name" "with a clear message"
tunnel_down host-2
wait_for 10 "host-2's socket to go" test ! -e "$(sock_of host-2)"
rjh grant alice host-2 > /dev/null
# The ssh login is part of each attempt: a host that is not enrolled (refused
# before any socket is tried) is the baseline for the offline answer.
start=$(date +%s%N)
expect 2 "a host that is not enrolled: exit 2" -- laptop alice ssh "$JUMP_ADDR" rjh-connect host-9
base=$((($(date +%s%N) - start) / 1000000))
start=$(date +%s%N)
expect 5 "an offline host: exit 5" -- laptop alice ssh "$JUMP_ADDR" rjh-connect host-2
ms=$((($(date +%s%N) - start) / 1000000))
eq "$ERR" "rjh-connect: host-2 is offline" "host-2 is offline"
[ $((ms - base)) -lt 1000 ] && ok "reported within 1 s ($ms ms, of which the ssh login ~$base ms)" ||
	not_ok "offline took $ms ms against $base ms for a refusal"
expect 0 "ungrant @ops 'web-*'" -- rjh ungrant @ops 'web-*'
expect 255 "the next connection to web-1 is refused" -- laptop alice ssh web-1 hostname
has "no grant for alice on web-1" "no grant any more"

echo "# audit = required asks for the kernel record; the events mirror stays best effort"
# rjh-connect mirrors its records through the spool (REGISTRY.spool); one it
# cannot use stands in for any failure of the mirror: here the spool is made
# group-writable, which it refuses to trust. $CONF is bind-mounted, so it is
# rewritten in place.
rjh audit > /dev/null
chmod 0770 "$REG.spool"
conf=$(sed 's/^audit = .*/audit = required/' "$CONF") && printf '%s\n' "$conf" > "$CONF"
n0=$(ls "$REG.spool" | wc -l)
expect 0 "alice: ssh host-1 hostname, with no mirror and audit = required" -- \
	laptop alice ssh host-1 echo required-ok
eq "$OUT" required-ok "the connection went through"
eq "$(ls "$REG.spool" | wc -l)" "$n0" "nothing was spooled"
conf=$(sed 's/^audit = .*/audit = best-effort/' "$CONF") && printf '%s\n' "$conf" > "$CONF"
chmod 0700 "$REG.spool"

echo "# the audit trail"
rec() { ausearch -if "$AUDIT_LOG" -m "$1" -i 2> /dev/null; }
sleep 1
for h in host-1 web-1; do
	rec USER_START | grep 'op=rjh-tunnel' | grep -q "acct=$h" && ok "USER_START op=rjh-tunnel for $h" ||
		not_ok "no USER_START op=rjh-tunnel for $h"
done
rec USER_END | grep 'op=rjh-tunnel' | grep -q 'acct=host-2' && ok "USER_END op=rjh-tunnel for host-2" ||
	not_ok "no USER_END op=rjh-tunnel for host-2"
rec USER_START | grep 'op=rjh-connect' | grep 'acct=alice' | grep -q 'rjh_host="host-1"' &&
	ok "USER_START op=rjh-connect acct=alice rjh_host=host-1" || not_ok "no rjh-connect USER_START"
# addr= is what sshd saw, verified in the kernel (peer.c): the laptop.
rec USER_START | grep 'op=rjh-connect' | grep 'acct=alice' | grep -q ' addr=10.77.0.200 ' &&
	ok "alice's USER_START has addr=10.77.0.200, the laptop as sshd saw it" ||
	not_ok "no rjh-connect USER_START with addr=10.77.0.200: $(rec USER_START | grep 'op=rjh-connect' | tail -1)"
OUT=$(rec USER_START | grep 'op=rjh-connect')
lacks -o "claimed_peer=" "clients through sshd are verified: no claimed_peer="
lacks -o "addr=? " "and none lacks its address"
end=$(rec USER_END | grep 'op=rjh-connect' | grep 'rjh_host="host-1"' | grep -o 'bytes_to_host=[0-9]*' | sort -t= -k2 -n | tail -1)
[ "${end#bytes_to_host=}" -ge 10485760 ] 2> /dev/null && ok "USER_END op=rjh-connect carries the bytes ($end)" ||
	not_ok "no USER_END with >= 10 MiB to host-1: '$end'"
rjh audit > /dev/null # mirrors the spool
mirrored=$(sqlite3 "$REG" "SELECT count(*) FROM events WHERE op = 'rjh-connect' AND type = 'USER_START'
	AND actor_uid = $CLIENT_UID")
eq "$(rec USER_START | grep 'op=rjh-connect' | grep -c 'acct=alice')" "$((mirrored + 1))" \
	"the kernel has alice's connections, the one that was not mirrored too"
rec USER_ACCT | grep 'op=rjh-connect' | grep 'acct=bob' | grep -q 'res=failed' &&
	ok "USER_ACCT op=rjh-connect acct=bob res=failed" || not_ok "no failed USER_ACCT for bob"
rec USER_MGMT | grep -q 'op=rjh-enroll' && ok "USER_MGMT op=rjh-enroll" || not_ok "no USER_MGMT op=rjh-enroll"
# aureport: per login uid (alice's connections carry her auid), and failures.
OUT=$(aureport -if "$AUDIT_LOG" -u --summary 2> /dev/null)
printf '%s\n' "$OUT" | grep -qE "^[0-9]+ +$CLIENT_UID\$" && ok "aureport -u --summary lists alice's auid ($CLIENT_UID)" ||
	not_ok "aureport -u --summary: $(printf '%s' "$OUT" | tr '\n' ' ' | cut -c1-300)"
OUT=$(aureport -if "$AUDIT_LOG" -u -i --summary 2> /dev/null)
printf '%s\n' "$OUT" | grep -qE "^[0-9]+ +alice\$" && ok "aureport -u -i --summary lists alice by name" ||
	not_ok "aureport -u -i --summary: $(printf '%s' "$OUT" | tr '\n' ' ' | cut -c1-300)"
expect 0 "aureport --failed reads the log" -- aureport -if "$AUDIT_LOG" --failed
has -o "Failed Summary Report" "and prints its summary"
OUT=$(ausearch -if "$AUDIT_LOG" -m USER_ACCT --success no -i 2> /dev/null)
has -o 'op=rjh-connect' "ausearch --success no lists rjh-connect's refusals"
expect 0 "rjh-admin audit --host host-1" -- rjh audit --host host-1
has -o "rjh-connect" "shows the connections"
has -o "bytes_to_host=" "with their bytes"
has -o "rjh-tunnel" "and the tunnel"
expect 0 "rjh-admin audit --user bob" -- rjh audit --user bob
has -o "no-grant" "shows bob's refusal"
finish
