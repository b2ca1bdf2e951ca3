# Certificate logins through the real sshd: a host logs in with an OpenSSH
# user certificate from rjh's own CA (`rjh-admin ca init`, `rjh-admin sign`)
# or an external CA (`rjh-admin ca add`), its tunnel works, and status and
# the audit trail name the certificate; every certificate that must not log
# in is refused (by sshd, or by pam_rjh when sshd's KRL is stale); the
# hosts' Match block still rules whatever a certificate permits; raw keys
# keep working beside certificates.
E2E_CONF_EXTRA="user_ca_key = /run/rjh-e2e/ca/user_ca"
. "$(dirname "$0")/lib.sh"
e2e_setup
mkdir -m 0700 "$WORK/ca" || die "the CA's directory"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
CA=$WORK/ca/user_ca
E=(-N -o ExitOnForwardFailure=yes -R /sock/probe.sock:localhost:22)

# status_of NAME FIELD: one field of `rjh-admin status --json NAME`.
status_of() {
	rjh status --json "$1" 2> /dev/null | "$PY" -c '
import json, sys
rows = json.load(sys.stdin)["hosts"]
print(rows[0].get(sys.argv[1]) if rows else "")' "$2"
}
# like REGEX DESCRIPTION: $OUT matches the extended regex.
like() { if grep -qE -- "$1" <<< "$OUT"; then ok "$2"; else not_ok "$2: got '${OUT:0:400}'"; fi; }
fp_of() { ssh-keygen -l -E sha256 -f "$1" | awk '{print $2}'; }
# cert_key NAME: a fresh key pair keys/NAME that no host has enrolled, so
# that only a certificate beside it (keys/NAME-cert.pub) can log in.
cert_key() { new_key "$1" > /dev/null || die "key $1"; }
# own_sign KEY [SSH-KEYGEN OPTIONS]: keys/KEY-cert.pub signed with rjh's CA
# directly, as a careless or hostile signer would (not rjh-admin sign).
own_sign() {
	local k=$1
	shift
	rm -f "$WORK/keys/$k-cert.pub"
	ssh-keygen -q -s "${SIGNER:-$CA}" -I "hand-made $k" "$@" "$WORK/keys/$k.pub" || die "sign $k"
}
# The newest session row of NAME: cert column, ended or not.
session_cert() {
	sqlite3 "$REG" "SELECT coalesce(cert, '-') FROM sessions WHERE host = '$1' ORDER BY id DESC LIMIT 1"
}

echo "# CAs and the sshd drop-in"
start_jumphost
expect 0 "rjh-admin ca init makes rjh's own user CA" -- rjh ca init
owner_mode "$CA" "root:root 600 regular file" "the CA's private key is root's, 0600"
CAFP=$(fp_of "$CA.pub")
has -o "$CAFP" "it names the CA's fingerprint"
owner_mode "$REG.user-cas" "root:root 644 regular file" "REGISTRY.user-cas is published"
eq "$(grep -v '^#' "$REG.user-cas" | cut -d' ' -f1,2)" "$(cut -d' ' -f1,2 "$CA.pub")" \
	"it lists exactly the CA's public key"
expect 0 "the published KRL is one ssh-keygen reads" -- ssh-keygen -Q -l -f "$REG.krl"
echo "# a host logs in with its certificate, and no command runs for it"
add_host host-a
add_host host-b
add_host host-c --from 10.99.0.0/16
expect 0 "sshd -T for a host" -- "$JUMP_SSHD" -T -C user=host-a,host=x,addr=127.0.0.1 "${JUMP_OPTS[@]}"
grep -qx "trustedusercakeys $REG.user-cas" <<< "$OUT" && ok "a host gets TrustedUserCAKeys REGISTRY.user-cas" ||
	not_ok "no trustedusercakeys for a host"
grep -qx "revokedkeys $REG.krl" <<< "$OUT" && ok "and RevokedKeys REGISTRY.krl" || not_ok "no revokedkeys for a host"
expect 0 "sshd -T for root" -- "$JUMP_SSHD" -T -C user=root,host=x,addr=127.0.0.1 "${JUMP_OPTS[@]}"
grep -qx "trustedusercakeys none" <<< "$OUT" && grep -qx "revokedkeys none" <<< "$OUT" &&
	ok "nobody else gets either (root: none, none)" || not_ok "the CA reaches root: $(grep -E 'trusted|revoked' <<< "$OUT")"

cert_key ca-a
expect 0 "rjh-admin sign host-a signs a key no host enrolled" -- rjh sign host-a "$WORK/keys/ca-a.pub"
printf '%s\n' "$OUT" > "$WORK/keys/ca-a-cert.pub"
expect 0 "ssh-keygen reads what it printed" -- ssh-keygen -L -f "$WORK/keys/ca-a-cert.pub"
OUT=$(tr -s ' \n\t' ' ' <<< "$OUT") # ssh-keygen -L folds lists over lines
like "Principals: host-a Critical" "its only principal is host-a"
like 'Key ID: "rjh-host:host-a"' "key id rjh-host:host-a"
like "Serial: 1 " "serial 1"
like "Extensions: permit-port-forwarding ?$" "port forwarding only"
eq "$(sqlite3 "$REG" "SELECT host, serial, key_fp, revoked IS NULL FROM certs")" \
	"host-a|1|$(fp_of "$WORK/keys/ca-a.pub")|1" "the registry records serial 1 for host-a and the key"
mark=$(stat -c %s "$JUMP_LOG")
syslog_mark
try_tunnel host-a host-a ca-a "${E[@]}"
eq "$TRY" up "host-a's certificate logs it in and its forward is up"
wait_for 5 "host-a's probe socket" test -S "$RUNTIME/hosts/host-a/sock/probe.sock" &&
	ok "sshd bound host-a's socket" || not_ok "no socket for host-a's certificate login"
OUT=$(tail -c +$((mark + 1)) "$JUMP_LOG" | grep 'Accepted publickey for host-a ')
like "ED25519-CERT .*ID rjh-host:host-a \(serial 1\) CA ED25519 " "sshd accepted the certificate (serial 1)"
has -o "CA ED25519 $CAFP" "signed by rjh's CA"
eq "$(syslog_since | grep -c 'rjh-authorized-keys\[')" 0 "the key helper never ran for it"
eq "$(session_cert host-a)" "serial=1 ca=$CAFP id=rjh-host:host-a" "the session row names the certificate"
eq "$(status_of host-a certificate)" "serial=1 ca=$CAFP id=rjh-host:host-a" "status --json names it"
OUT=$(audit_find USER_START 'op=rjh-tunnel' | grep -F 'acct=host-a')
like "cert_serial=1( |$)" "the USER_START record names the serial"
has -o "cert_ca=\"$CAFP\"" "and the CA's fingerprint"
has -o 'cert_id="rjh-host:host-a"' "and the key id"
lacks -o "fingerprint=" "and no raw key fingerprint"
stop "$TRY_PID"
found=$(audit_find USER_END 'cert_serial=1' | grep -F 'acct=host-a')
[ -n "$found" ] && ok "USER_END names the certificate too" || not_ok "no USER_END with cert_serial=1 for host-a"
# The tunnel command enroll printed, with ca-a's key and certificate: reached by name.
cp "$WORK/keys/ca-a" "$WORK/keys/host-a-c" && cp "$WORK/keys/ca-a-cert.pub" "$WORK/keys/host-a-c-cert.pub"
mv "$WORK/keys/host-a" "$WORK/keys/host-a.raw" && cp "$WORK/keys/host-a-c" "$WORK/keys/host-a" &&
	cp "$WORK/keys/host-a-c-cert.pub" "$WORK/keys/host-a-cert.pub"
tunnel_up host-a && ok "host-a's tunnel, with its certificate, is up" || not_ok "host-a's certificate tunnel"
OUT=$(rjh status host-a 2> /dev/null)
like "host-a +up .*cert 1 rjh-host:host-a" "status shows 'cert 1 rjh-host:host-a' as its key"
expect 0 "a client reaches host-a by name through it" -- reach host-a hostname
eq "$OUT" host-a "host-a answers"
tunnel_down host-a
mv "$WORK/keys/host-a.raw" "$WORK/keys/host-a" && rm -f "$WORK/keys/host-a-cert.pub"
try_accepted "host-a's raw key still logs in beside certificates" host-a host-a host-a "${E[@]}"

echo "# refused: each certificate that must not log in"
cp "$WORK/keys/ca-a" "$WORK/keys/ca-a2" && cp "$WORK/keys/ca-a.pub" "$WORK/keys/ca-a2.pub" &&
	cp "$WORK/keys/ca-a-cert.pub" "$WORK/keys/ca-a2-cert.pub"
try_refused "host-a's certificate used as host-b" host-b host-b ca-a2 "${E[@]}"
cert_key nop
own_sign nop -V -5m:+1h
try_refused "a certificate with no principal" host-b host-b nop "${E[@]}"
cert_key two
own_sign two -n host-b,host-a -V -5m:+1h -z 900
syslog_mark
try_refused "a certificate with two principals (sshd takes it: pam_rjh refuses)" host-b host-b two "${E[@]}"
OUT=$(syslog_since)
like "pam_rjh.*only principal must be the host" "pam_rjh says why"
cert_key old
own_sign old -n host-b -V 20200101:20200102
try_refused "an expired certificate" host-b host-b old "${E[@]}"
cert_key soon
own_sign soon -n host-b -V +1d:+2d
try_refused "a certificate not yet valid" host-b host-b soon "${E[@]}"
ssh-keygen -q -N '' -t ed25519 -C other-ca -f "$WORK/ca/other_ca" || die "other CA"
cert_key foreign
SIGNER=$WORK/ca/other_ca own_sign foreign -n host-b -V -5m:+1h
try_refused "a certificate from a CA nobody trusts" host-b host-b foreign "${E[@]}"
cert_key rev
expect 0 "sign host-b" -- rjh sign host-b "$WORK/keys/rev.pub"
printf '%s\n' "$OUT" > "$WORK/keys/rev-cert.pub"
REV=$(ssh-keygen -L -f "$WORK/keys/rev-cert.pub" | awk '/Serial:/ {print $2}')
try_accepted "host-b's certificate serial $REV logs in" host-b host-b rev "${E[@]}"
cp "$REG.krl" "$WORK/krl.before"
expect 0 "rjh-admin revoke-cert host-b $REV" -- rjh revoke-cert host-b "$REV"
expect 1 "the KRL lists it at once" -- ssh-keygen -Q -f "$REG.krl" "$WORK/keys/rev-cert.pub"
try_refused "a certificate with a revoked serial (sshd: the KRL)" host-b host-b rev "${E[@]}"
# A stale KRL (a writer died before publishing): pam_rjh still refuses.
cp "$WORK/krl.before" "$REG.krl.stale" && mv "$REG.krl.stale" "$REG.krl"
expect 0 "with the KRL of before the revocation" -- ssh-keygen -Q -f "$REG.krl" "$WORK/keys/rev-cert.pub"
syslog_mark
try_refused "a revoked serial with a stale KRL (pam_rjh: the registry)" host-b host-b rev "${E[@]}"
OUT=$(syslog_since)
like "pam_rjh.*serial is revoked" "pam_rjh says the serial is revoked"
expect 0 "rjh-admin refresh publishes the KRL again" -- rjh refresh
expect 1 "and it lists the serial" -- ssh-keygen -Q -f "$REG.krl" "$WORK/keys/rev-cert.pub"
cert_key dis
expect 0 "sign host-b" -- rjh sign host-b "$WORK/keys/dis.pub"
printf '%s\n' "$OUT" > "$WORK/keys/dis-cert.pub"
expect 0 "rjh-admin revoke host-b" -- rjh revoke host-b
expect 1 "the KRL lists a disabled host's certificates" -- ssh-keygen -Q -f "$REG.krl" "$WORK/keys/dis-cert.pub"
try_refused "a certificate of a disabled host" host-b host-b dis "${E[@]}"
expect 2 "rjh-admin sign refuses a disabled host" -- rjh sign host-b "$WORK/keys/dis.pub"
expect 0 "rjh-admin enable host-b" -- rjh enable host-b
try_accepted "once enabled again, its certificate logs in" host-b host-b dis "${E[@]}"
cert_key far
expect 0 "sign host-c (--from 10.99.0.0/16)" -- rjh sign host-c "$WORK/keys/far.pub"
printf '%s\n' "$OUT" > "$WORK/keys/far-cert.pub"
grep -q 'source-address 10.99.0.0/16' <(ssh-keygen -L -f "$WORK/keys/far-cert.pub") &&
	ok "its certificate carries source-address 10.99.0.0/16" || not_ok "no source-address in host-c's certificate"
try_refused "a certificate used from outside the host's CIDRs" host-c host-c far "${E[@]}"
cert_key far2
own_sign far2 -n host-c -V -5m:+1h
try_refused "a certificate without source-address, from outside the host's CIDRs (pam_rjh account)" \
	host-c host-c far2 "${E[@]}"

echo "# a certificate that permits a pty and agent forwarding gets neither"
cert_key wide
own_sign wide -n host-b -V -5m:+1h -z 901
w_ssh() { in_host host-b timeout 15 ssh -F "$WORK/tunnel_config" -i "$WORK/keys/wide" "$@"; }
expect_fail "a TTY (-tt) with a command does not run" -- w_ssh -tt "host-b@$JUMP_ADDR" \
	'touch /sock/pwned-tty; echo PWNED' < /dev/null
lacks -o PWNED "nothing printed"
has "PTY allocation request failed" "ssh says the TTY was refused"
absent "$RUNTIME/hosts/host-b/sock/pwned-tty" "and no file"
agent_pid=
bg agent_pid ip netns exec "${HOST_NS[host-b]}" ssh-agent -D -a "$WORK/hosts/host-b/agent.sock"
if wait_for 5 "ssh-agent" test -S "$WORK/hosts/host-b/agent.sock" &&
	SSH_AUTH_SOCK=$WORK/hosts/host-b/agent.sock ssh-add -q "$WORK/keys/host-b" 2> /dev/null; then
	expect_fail "agent forwarding (-A) gets nothing" -- \
		env SSH_AUTH_SOCK="$WORK/hosts/host-b/agent.sock" w_ssh -A "host-b@$JUMP_ADDR" \
		'echo PWNED $SSH_AUTH_SOCK' < /dev/null
	lacks -o PWNED "no command ran"
	eq "$(find "$RUNTIME" /tmp -name 'agent.*' 2> /dev/null)" "" "no forwarded agent socket on the jumphost"
else
	not_ok "ssh-agent for the -A case did not start"
fi
stop "$agent_pid"
try_accepted "while its forward works" host-b host-b wide "${E[@]}"

echo "# an external CA"
cert_key ext
SIGNER=$WORK/ca/other_ca own_sign ext -n host-b -V -5m:+1h -z 77 -O clear -O permit-port-forwarding
try_refused "before ca add, its certificate is refused" host-b host-b ext "${E[@]}"
expect 0 "rjh-admin ca add trusts it" -- rjh ca add "$WORK/ca/other_ca.pub" --comment "step-ca test"
try_accepted "then it logs in host-b" host-b host-b ext "${E[@]}"
OTHERFP=$(fp_of "$WORK/ca/other_ca.pub")
eq "$(session_cert host-b)" "serial=77 ca=$OTHERFP id=hand-made ext" "the session names the external certificate"
expect 0 "rjh-admin revoke-cert --ca revokes its serial" -- rjh revoke-cert host-b 77 --ca "$OTHERFP"
try_refused "its revoked serial is refused" host-b host-b ext "${E[@]}"
expect 0 "rjh-admin ca remove" -- rjh ca remove "$OTHERFP"
grep -qF "$(cut -d' ' -f2 "$WORK/ca/other_ca.pub")" "$REG.user-cas" && not_ok "the removed CA is still published" ||
	ok "the removed CA is gone from REGISTRY.user-cas"

echo "# revoking a key revokes its certificates; removing a host, all of them"
expect 0 "rjh-admin revoke-key on ca-a's key (not a key of host-a: a key in its certificate)" -- \
	rjh add-key host-a "$WORK/keys/ca-a.pub"
expect 0 "revoke it" -- rjh revoke-key "$(fp_of "$WORK/keys/ca-a.pub")"
try_refused "host-a's certificate on a revoked key" host-a host-a ca-a "${E[@]}"
cert_key gone
expect 0 "sign host-b" -- rjh sign host-b "$WORK/keys/gone.pub"
printf '%s\n' "$OUT" > "$WORK/keys/gone-cert.pub"
expect 0 "rjh-admin remove host-b" -- rjh remove host-b
enroll host-b
try_refused "host-b's old certificate does not log in the new host-b" host-b host-b gone "${E[@]}"
expect 1 "the KRL lists it" -- ssh-keygen -Q -f "$REG.krl" "$WORK/keys/gone-cert.pub"

finish
