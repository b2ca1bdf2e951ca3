#!/bin/bash
# make demo: a jumphost (a real sshd with the rjh drop-in and pam_rjh), three
# hosts behind NAT that keep their tunnels up, a client laptop whose user
# reaches each of them by name through rjh-connect, a client without a grant
# refused, a host that logs in with a certificate of rjh's own CA instead of
# its key, presence and the audit trail. Runs in private namespaces (tests/e2e/lib.sh)
# and leaves nothing behind.
TEST_NAME=demo
# rjh's own user CA, in the demo's workspace (section 7).
E2E_CONF_EXTRA="user_ca_key = /run/rjh-e2e/ca/user_ca"
. "$(dirname "$0")/lib.sh"

HOSTS="berlin lisbon oslo"
started=$(date +%s)

if [ -t 1 ]; then
	B=$'\e[1m' D=$'\e[2m' N=$'\e[0m'
else
	B='' D='' N=''
fi
section() { printf '\n%s== %s ==%s\n' "$B" "$*" "$N"; }
note() { printf '%s   %s%s\n' "$D" "$*" "$N"; }
# Shows a command as it runs (PROMPT), then its output, indented.
show() {
	local prompt=$1
	shift
	printf '%s%s%s %s\n' "$B" "$prompt" "$N" "$*"
}
indent() { sed 's/^/    /'; }
fail() {
	printf '\nDEMO FAILED: %s\n' "$*"
	FAIL=1
	exit 1
}

section "rjh demo: a jumphost, three hosts behind NAT, reached by name"
note "Everything runs in private mount, network and PID namespaces; nothing on"
note "this machine changes, and it is all gone when the demo ends."
e2e_setup

section "1. The jumphost"
show 'jumphost#' rjh-admin init
indent < "$WORK/init.out"
note "registry: $(stat -c '%A %U:%G' "$REG"); the key helper reads it as user $KEYS_USER"
show 'jumphost#' "rjh-admin sshd-config --helper $AKC --keys-user $KEYS_USER" \
	"> /etc/ssh/sshd_config.d/rjh.conf"
grep -v '^#' "$WORK/etc/sshd_config.d/rjh.conf" | grep -v '^[[:space:]]*#' | indent
show 'jumphost#' "sshd -D ...    ${D}(the system's sshd_config with the drop-in; PAM service rjh-sshd)$N"
start_jumphost
note "listening on $JUMP_ADDR:22 (for the hosts) and 127.0.0.1:22"

section "2. Three hosts, each behind its own NAT router"
for h in $HOSTS; do
	host_up "$h"
	note "$h: sshd on ${HOST_ADDR[$h]}:22, NAT to ${HOST_PUBLIC[$h]}; the jumphost has no route to it"
done
for h in $HOSTS; do
	new_key "$h" > /dev/null || fail "key for $h"
done
for h in $HOSTS; do
	extra=()
	# One host pinned to the address its NAT gives it.
	[ "$h" = oslo ] && extra=(--from "${HOST_PUBLIC[$h]}/32")
	show 'jumphost#' rjh-admin enroll "$h" "$h.pub" "${extra[@]}"
	rjh enroll "$h" "$WORK/keys/$h.pub" "${extra[@]}" > "$WORK/hosts/$h/enroll.out" 2>&1 ||
		fail "enroll $h: $(cat "$WORK/hosts/$h/enroll.out")"
	indent < "$WORK/hosts/$h/enroll.out"
	grep -E '^ +ssh -N ' "$WORK/hosts/$h/enroll.out" | sed 's/^ *//' > "$WORK/hosts/$h/tunnel.cmd"
done

section "3. Each host runs the tunnel command enroll printed"
for h in $HOSTS; do
	show "$h#" "ssh -i $h.key$(cut -c4- "$WORK/hosts/$h/tunnel.cmd")"
	tunnel_up "$h" || fail "the tunnel of $h did not come up"
	note "up: $(stat -c '%A %U:%G %n' "$(sock_of "$h")")"
done

section "4. The registry"
show 'jumphost#' rjh-admin list
rjh list | indent

section "5. A client laptop reaches each host by name, through rjh-connect"
for h in $HOSTS; do
	rjh set-host-key "$h" "$WORK/hosts/$h/ssh_host_ed25519_key.pub" > /dev/null ||
		fail "set-host-key $h"
	cat "$WORK/client/alice.pub" "$WORK/client/bob.pub" >> "$WORK/hosts/$h/authorized_keys"
done
note "each host's own sshd host key was recorded: rjh-admin set-host-key NAME ssh_host_ed25519_key.pub"
show 'jumphost#' rjh-admin grant alice "'*'"
rjh grant alice '*' | indent
client_up || fail "the laptop's network"
client_ssh_config alice berlin,lisbon,oslo && client_ssh_config bob berlin,lisbon,oslo ||
	fail "client ssh configs"
show 'jumphost#' "rjh-admin client-config --server $JUMP_ADDR --pattern berlin,lisbon,oslo --user alice    ${D}(in alice's ~/.ssh/config)$N"
rjh client-config --server "$JUMP_ADDR" --pattern 'berlin,lisbon,oslo' --user alice | indent
show 'jumphost#' "rjh-admin known-hosts    ${D}(alice's ~/.ssh/known_hosts.rjh: no trust-on-first-use prompt)$N"
rjh known-hosts 2> /dev/null | cut -c1-72 | sed 's/$/.../' | indent
note "alice's jumphost account runs nothing but rjh-connect (sshd ForceCommand)"
for h in $HOSTS; do
	show 'laptop(alice)$' ssh "$h" hostname
	out=$(laptop alice ssh "$h" hostname 2>&1) || fail "ssh $h: $out"
	echo "$out" | indent
	[ "$out" = "$h" ] || fail "ssh $h printed '$out'"
done
show 'laptop(bob)$' ssh berlin hostname
if out=$(laptop bob ssh berlin hostname 2>&1); then
	fail "bob, who has no grant, reached berlin"
fi
echo "$out" | indent
show 'jumphost$' "nc -U $(sock_of berlin)    ${D}(bob, on the jumphost)$N"
if out=$(setpriv --reuid=bob --regid=bob --init-groups nc -U "$(sock_of berlin)" < /dev/null 2>&1); then
	fail "bob opened berlin's socket"
fi
echo "$out" | indent
show 'laptop$' nc -z -w 2 "${HOST_ADDR[berlin]}" 22
if out=$(laptop alice nc -z -w 2 "${HOST_ADDR[berlin]}" 22 2>&1); then
	fail "the laptop reached berlin's sshd directly"
fi
echo "${out:-(no answer: nc exit 1)}" | indent
note "berlin's own address is not reachable: only its tunnel leads there"

section "6. A host cannot take another host's name"
show 'berlin#' "ssh -N -o ExitOnForwardFailure=yes -R /../lisbon/sock/ssh.sock:localhost:22 berlin@$JUMP_ADDR"
try_tunnel berlin berlin berlin -N -o ExitOnForwardFailure=yes \
	-R /../lisbon/sock/ssh.sock:localhost:22
[ "$TRY" = up ] && fail "berlin bound lisbon's socket"
grep -E 'Error|denied' "$TRY_LOG" | indent
note "ssh ${TRY/exit/exited}; berlin is chrooted to $RUNTIME/hosts/berlin and may write only sock/"
show 'laptop(alice)$' ssh lisbon hostname
out=$(laptop alice ssh lisbon hostname 2>&1) || fail "ssh lisbon after the attempt: $out"
echo "$out" | indent
[ "$out" = lisbon ] || fail "lisbon's socket now leads to '$out'"

section "7. A host logs in with a certificate instead of its key"
mkdir -m 0700 "$WORK/ca" || fail "the CA's directory"
show 'jumphost#' rjh-admin ca init
rjh ca init 2>&1 | indent
show 'jumphost#' "rjh-admin sign berlin > berlin-cert.pub"
rjh sign berlin > "$WORK/keys/berlin-cert.pub" 2> "$WORK/sign.err" || fail "sign: $(cat "$WORK/sign.err")"
show 'jumphost#' "ssh-keygen -L -f berlin-cert.pub"
ssh-keygen -L -f "$WORK/keys/berlin-cert.pub" | sed -n '/Signing CA/,$p' | indent
note "installed on berlin beside its key and named in CertificateFile, so ssh offers it first."
note "sshd checks it in-process (TrustedUserCAKeys, RevokedKeys in the drop-in): no key helper runs"
tunnel_down berlin
show 'berlin#' "ssh -i berlin.key -o CertificateFile=berlin-cert.pub$(cut -c4- "$WORK/hosts/berlin/tunnel.cmd")"
tunnel_up berlin -o "CertificateFile=$WORK/keys/berlin-cert.pub" ||
	fail "berlin's tunnel with its certificate did not come up"
grep 'Accepted publickey for berlin' "$JUMP_LOG" | tail -1 | sed -E 's/.*(Accepted)/\1/' | indent
[ "$(sqlite3 "$REG" "SELECT cert IS NOT NULL FROM sessions WHERE host = 'berlin' ORDER BY id DESC LIMIT 1")" = 1 ] ||
	fail "berlin's session names no certificate"

section "8. Presence"
show 'jumphost#' rjh-admin status
rjh status | cut -c1-140 | indent

section "9. The audit trail"
show 'jumphost#' "rjh-admin audit --since 1h"
rjh audit --since 1h 2>&1 | cut -c1-160 | indent
if [ -s "$AUDIT_LOG" ]; then
	show 'jumphost#' "ausearch -m USER_START,USER_END,USER_ACCT -i | grep -o 'op=rjh-[a-z]* .*res=[a-z]*'"
	ausearch -if "$AUDIT_LOG" -m USER_START,USER_END,USER_ACCT -i 2> /dev/null |
		grep -o "op=rjh-[a-z]* .*res=[a-z]*" | sed -E 's/ (exe|hostname|terminal)=[^ ]*//g' |
		cut -c1-150 | indent
	show 'jumphost#' "aureport -u -i --summary"
	aureport -if "$AUDIT_LOG" -u -i --summary 2> /dev/null | indent
else
	note "(no auditd of the demo's own: another one runs on this machine)"
fi

section "Done in $(($(date +%s) - started)) s; tearing everything down"
TEARDOWN_REPORT=1
