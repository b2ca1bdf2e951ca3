# rjh-admin ca, sign and revoke-cert through the real binary: the CA is made
# root's alone, certificates come out as asked (principal, key id, serial,
# options, validity capped by --expires), the KRL and the trusted CAs are
# published after every change, and hostile input is refused with a clear
# message, a documented exit code and nothing changed.
. "$(dirname "$0")/lib.sh"
mkdir -m 0700 "$WORK/ca"
write_conf "user_ca_key = $WORK/ca/user_ca"
expect 0 "init" -- rjh init
REG=$WORK/reg/registry.db
ka=$(newkey host-a)
expect 0 "enroll host-a --from 192.0.2.0/24" -- rjh enroll host-a "$ka" --from 192.0.2.0/24
expect 0 "enroll host-b" -- rjh enroll host-b "$(newkey host-b)"
expect 0 "the KRL exists from init on (sshd refuses every key without it)" -- ssh-keygen -Q -l -f "$REG.krl"
[ -f "$REG.user-cas" ] && ok "so does REGISTRY.user-cas" || not_ok "no REGISTRY.user-cas after init"

echo "# before a CA"
expect 3 "sign without an own CA" -- rjh sign host-a
match "no own user CA \(rjh-admin ca init\)" "says to run ca init"

echo "# ca init"
expect 0 "ca init" -- rjh ca init
eq "$(stat -c '%U %a' "$WORK/ca/user_ca")" "root 600" "the private key is root's, 0600"
CAFP=$(fp_of "$WORK/ca/user_ca.pub")
match -o -F "$CAFP" "ca init names the CA"
eq "$(ls -A "$WORK/ca" | sort | tr '\n' ' ')" "user_ca user_ca.pub " "and leaves nothing else in its directory"
expect 3 "a second ca init" -- rjh ca init
match "exists already" "says the key exists"
expect 0 "ca list" -- rjh ca list
match -o -F "$CAFP" "lists the CA"
expect 0 "ca list --json" -- rjh ca list --json
jtrue "json: one own CA" "len(d['user_cas']) == 1 and d['user_cas'][0]['own'] and d['user_cas'][0]['fingerprint'] == '$CAFP'"
eq "$(grep -cv '^#' "$REG.user-cas")" 1 "REGISTRY.user-cas lists it"

echo "# sign"
expect 0 "sign host-a (its one key)" -- rjh sign host-a
printf '%s\n' "$OUT" > "$WORK/a-cert.pub"
OUT=$(ssh-keygen -L -f "$WORK/a-cert.pub" | tr -s ' \n\t' ' ')
match -o "Key ID: \"rjh-host:host-a\"" "key id rjh-host:host-a"
match -o "Serial: 1 " "serial 1"
match -o "Principals: host-a Critical" "one principal: host-a"
match -o "source-address 192.0.2.0/24" "source-address from --from"
match -o "Extensions: permit-port-forwarding ?$" "port forwarding only"
match -o -F "$CAFP" "signed by the CA"
eq "$(q "SELECT serial, host, key_fp, key_id, issued IS NOT NULL, revoked IS NULL FROM certs")" \
	"1|host-a|$(fp_of "$ka")|rjh-host:host-a|1|1" "the registry records it"
soon=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
expect 0 "modify host-b --expires in 2 days" -- rjh modify host-b --expires "$soon"
expect 0 "sign host-b --validity 30d" -- rjh sign host-b --validity 30d
# Exactly: a relative -V would end a second or two after it, as late as ssh-keygen started.
eq "$(q "SELECT valid_before FROM certs WHERE host = 'host-b'")" "$(date -d "$soon" +%s)" \
	"its validity ends exactly at the host's --expires, not in 30 days"
expect 0 "show host-a" -- rjh show host-a
match -o -F "serial 1  $CAFP" "show lists host-a's certificate"
expect 0 "show host-a --json" -- rjh show host-a --json
jtrue "show --json: host-a's certificate" "d['certificates'][0]['serial'] == 1 and d['certificates'][0]['key_id'] == 'rjh-host:host-a'"

echo "# hostile input to sign changes nothing"
dump > "$WORK/before"
cp "$REG.krl" "$WORK/krl.before"
ssh-keygen -q -N '' -t ed25519 -f "$WORK/priv"
expect 2 "sign a private key" -- rjh sign host-a "$WORK/priv"
match "PRIVATE key" "says it is a private key"
expect 2 "sign a certificate" -- rjh sign host-a "$WORK/a-cert.pub"
cat "$WORK/priv.pub" "$ka" > "$WORK/two.pub"
expect 2 "sign a file of two keys" -- rjh sign host-a "$WORK/two.pub"
for bad in ../x 'host a' '' HOST-A root; do
	expect 2 "sign '$bad' (not a host name)" -- rjh sign "$bad" "$WORK/priv.pub"
done
expect 1 "sign -oProxyCommand=x is refused as an option (usage)" -- rjh sign -oProxyCommand=x "$WORK/priv.pub"
expect 2 "sign -- -oProxyCommand=x is refused as a name" -- rjh sign -- -oProxyCommand=x "$WORK/priv.pub"
expect 3 "sign a host that is not enrolled" -- rjh sign host-zz "$WORK/priv.pub"
match "no host host-zz" "says so"
expect 3 "sign host-b with host-a's key" -- rjh sign host-b "$ka"
match "is host-a's, not host-b's" "says whose key it is"
expect 2 "sign --validity 0" -- rjh sign host-a --validity 0
expect 2 "sign --validity 11y" -- rjh sign host-a --validity 3650d1s
expect 1 "sign with three arguments" -- rjh sign host-a "$ka" extra
expect 0 "add-key host-a (a second key)" -- rjh add-key host-a "$WORK/priv.pub"
dump > "$WORK/before"
expect 2 "sign host-a without a key when it has two" -- rjh sign host-a
match "2 active keys" "says to name the key"
expect 4 "sign as a user who is not root" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$ADMIN" -c "$WORK/rjh.conf" sign host-a "$ka"
unchanged "$WORK/before" "after all of these, the registry is as before"
cmp -s "$REG.krl" "$WORK/krl.before" && ok "and so is the KRL" || not_ok "the KRL changed"

echo "# revoke-cert"
expect 0 "revoke-cert host-a 1" -- rjh revoke-cert host-a 1
expect 1 "the KRL revokes it at once" -- ssh-keygen -Q -f "$REG.krl" "$WORK/a-cert.pub"
expect 0 "revoke-cert host-a 1 again" -- rjh revoke-cert host-a 1
match -o "already revoked" "says it was already"
expect 3 "revoke-cert host-b 1 (host-a's serial)" -- rjh revoke-cert host-b 1
match "is host-a's, not host-b's" "says whose serial it is"
dump > "$WORK/before"
expect 1 "revoke-cert serial -1 is refused as an option (usage)" -- rjh revoke-cert host-a -1
for bad in 0 abc 1x 18446744073709551616 ''; do
	expect 2 "revoke-cert serial '$bad'" -- rjh revoke-cert host-a "$bad"
done
expect 2 "revoke-cert --ca that is no fingerprint" -- rjh revoke-cert host-a 5 --ca nope
expect 3 "revoke-cert --ca of a CA nobody trusts" -- rjh revoke-cert host-a 5 \
	--ca SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
unchanged "$WORK/before" "refused revocations change nothing"
expect 0 "revoke-cert of a serial never issued here (an external CA's, say)" -- rjh revoke-cert host-b 4242
expect 0 "ssh-keygen -Q -l reads the KRL" -- ssh-keygen -Q -l -f "$REG.krl"
match -o "serial: 4242" "it lists serial 4242"

echo "# external CAs"
ssh-keygen -q -N '' -t ed25519 -f "$WORK/ext"
dump > "$WORK/before"
expect 2 "ca add a private key" -- rjh ca add "$WORK/ext"
expect 2 "ca add a certificate" -- rjh ca add "$WORK/a-cert.pub"
expect 2 "ca add a missing file" -- rjh ca add "$WORK/nope.pub"
expect 2 "ca add --comment with a newline" -- rjh ca add "$WORK/ext.pub" --comment "$(printf 'a\nb')"
expect 3 "ca add of the own CA's key" -- rjh ca add "$WORK/ca/user_ca.pub"
expect 2 "ca remove of no fingerprint" -- rjh ca remove nope
expect 3 "ca remove of an unknown CA" -- rjh ca remove SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
unchanged "$WORK/before" "refused CA changes change nothing"
expect 0 "ca add an external CA" -- rjh ca add "$WORK/ext.pub" --comment "vault"
eq "$(grep -cv '^#' "$REG.user-cas")" 2 "REGISTRY.user-cas lists both"
expect 0 "ca remove it" -- rjh ca remove "$(fp_of "$WORK/ext.pub")"
eq "$(grep -cv '^#' "$REG.user-cas")" 1 "and then only the own CA"

finish
