# rjh-admin modify: a host's expiry and source addresses after enroll, as the
# real readers see them: the key helper (it reads the login snapshot, so this
# also checks that modify republishes it), show --json and audit --json.
# pam_rjh's view of the same change is in t_pam.sh.
. "$(dirname "$0")/lib.sh"
AKC="$TOP/build/rjh-authorized-keys"
akc() { "$AKC" --config "$WORK/rjh.conf" "$@"; }
b64() { cut -d' ' -f2 "$1"; }
# The registry and the login snapshot, for "nothing changed".
state() { dump; cat "$WORK/reg/registry.db.login" "$WORK/reg/registry.db.login-delta" | sha256sum; }
same_state() {
	if state | cmp -s - "$1"; then ok "$2"; else not_ok "$2: $(state | diff "$1" - | head -5)"; fi
}

write_conf
rjh init > /dev/null
ka=$(newkey a)
kb=$(newkey b)
rjh enroll host-a "$ka" > /dev/null
rjh enroll host-b "$kb" --from 10.1.0.0/16 --expires 2999-01-01 > /dev/null
fpa=$(fp_of "$ka")
fpb=$(fp_of "$kb")

echo "# usage"
expect 0 "modify --help" -- rjh modify --help
match -o "^Usage:.* modify NAME \[--expires DATE\|never\] \[--from CIDR" "--help prints the usage"
has -o "'never' removes the expiry" "--help says what never does"
has -o "'any' removes the restriction" "--help says what any does"
state > "$WORK/before"
expect 1 "no option is a usage error" -- rjh modify host-a
match "nothing to change" "the error says what is missing"
expect 1 "no name is a usage error" -- rjh modify --expires never
expect 1 "two names are a usage error" -- rjh modify host-a host-b --from any
expect 1 "--comment is no option of modify (a host has no comment)" -- rjh modify host-a --comment x

echo "# refused input changes nothing"
expect 2 "a date that does not exist" -- rjh modify host-a --expires 2099-02-30
expect 2 "a date in another format" -- rjh modify host-a --expires 01/01/2999
expect 2 "the epoch itself (0 would read as never)" -- rjh modify host-a --expires 1970-01-01T00:00:00Z
expect 2 "a CIDR with host bits set" -- rjh modify host-a --from 10.0.0.1/8
match "10.0.0.1/8" "the error names the bad CIDR"
expect 2 "a list with an empty item" -- rjh modify host-a --from 10.0.0.0/8,
expect 2 "a good date with a bad CIDR: neither is applied" -- rjh modify host-a --expires 2999-01-01 --from 300.0.0.0/8
expect 2 "a name with a control character" -- rjh modify "$(printf 'host-a\001')" --from any
expect 2 "a name that is a path" -- rjh modify ../x --from any
expect 3 "an unknown host" -- rjh modify host-zz --from any
match "host-zz is not enrolled" "the error names the host"
same_state "$WORK/before" "refused modifies change neither the registry nor the login snapshot"

echo "# --expires"
expect 0 "host-a's key before" -- akc host-a "$fpa"
match -o -F "$(b64 "$ka")" "the key helper gives host-a's key"
lacks -o "expiry-time" "with no expiry"
expect 0 "--expires 2999-06-30" -- rjh modify host-a --expires 2999-06-30
eq "$OUT" "host-a: expires 2999-06-30T23:59:59Z, from any address" "modify says the new policy"
expect 0 "the key helper after --expires" -- akc host-a "$fpa"
match -o -F 'expiry-time="29990630235959Z"' "the login snapshot carries the new expiry"
expect 0 "show host-a --json" -- rjh show host-a --json
jtrue "show: the new expiry, still active" "d['expires'] == '2999-06-30T23:59:59Z' and d['state'] == 'active'"
expect 0 "--expires in the past ends access now" -- rjh modify host-a --expires 2020-01-01T00:00:00Z
match -o "host-a has expired" "modify says the host has expired"
expect 0 "the key helper for an expired host" -- akc host-a "$fpa"
eq "$OUT" "" "the key helper refuses the expired host"
expect 0 "the key helper for host-a, no fingerprint" -- akc host-a
eq "$OUT" "" "no key at all for the expired host"
expect 0 "show host-a --json" -- rjh show host-a --json
jtrue "show: expired" "d['state'] == 'expired' and d['expires'] == '2020-01-01T00:00:00Z'"
expect 0 "--expires never" -- rjh modify host-a --expires never
eq "$OUT" "host-a: expires never, from any address" "modify says never"
expect 0 "the key helper after never" -- akc host-a "$fpa"
match -o -F "$(b64 "$ka")" "the key is back"
lacks -o "expiry-time" "without an expiry"
expect 0 "show host-a --json" -- rjh show host-a --json
jtrue "show: no expiry, active" "d['expires'] is None and d['state'] == 'active'"

echo "# --from"
expect 0 "--from 10.9.0.0/16,2001:db8::/32" -- rjh modify host-a --from 10.9.0.0/16,2001:db8::/32
expect 0 "the key helper after --from" -- akc host-a "$fpa"
match -o -F 'from="10.9.0.0/16,2001:db8::/32"' "sshd is told the addresses (from=)"
expect 0 "show host-a --json" -- rjh show host-a --json
jtrue "show: the new CIDRs" "d['from'] == ['10.9.0.0/16', '2001:db8::/32']"
expect 0 "--from 192.0.2.0/24 replaces them" -- rjh modify host-a --from 192.0.2.0/24
expect 0 "show host-a --json" -- rjh show host-a --json
jtrue "show: only the new CIDR" "d['from'] == ['192.0.2.0/24']"
expect 0 "--from any" -- rjh modify host-a --from any
expect 0 "the key helper after any" -- akc host-a "$fpa"
lacks -o "from=" "no from= any more"
expect 0 "show host-a --json" -- rjh show host-a --json
jtrue "show: any address" "d['from'] == []"

echo "# one option leaves the other alone"
expect 0 "host-b --from any" -- rjh modify host-b --from any
eq "$OUT" "host-b: expires 2999-01-01T23:59:59Z, from any address" "the expiry stays"
expect 0 "the key helper for host-b" -- akc host-b "$fpb"
match -o -F 'expiry-time="29990101235959Z"' "the login snapshot keeps host-b's expiry"
lacks -o "from=" "and drops its addresses"
state > "$WORK/before"
expect 0 "the same change again" -- rjh modify host-b --from any --expires 2999-01-01
eq "$OUT" "host-b is unchanged" "modify says nothing changed"
same_state "$WORK/before" "a change to what is already there writes nothing, not even an event"
expect 0 "--expires with both given" -- rjh modify host-b --expires 2998-01-01 --from 10.0.0.0/8
expect 0 "show host-b --json" -- rjh show host-b --json
jtrue "show: both changed" "d['expires'] == '2998-01-01T23:59:59Z' and d['from'] == ['10.0.0.0/8']"

echo "# audit"
expect 0 "audit --host host-a --json" -- rjh audit --host host-a --json
jtrue "one rjh-modify event per change of host-a, in order, with what changed" \
	"[e['detail'] for e in d['events'] if e['op'] == 'rjh-modify'] == ['expires=2999-06-30T23:59:59Z', 'expires=2020-01-01T00:00:00Z', 'expires=never', 'from=10.9.0.0/16,2001:db8::/32', 'from=192.0.2.0/24', 'from=any']"
jtrue "the events are USER_MGMT, successful, about host-a" \
	"all(e['type'] == 'USER_MGMT' and e['result'] == 'success' and e['host'] == 'host-a' for e in d['events'] if e['op'] == 'rjh-modify')"
expect 0 "audit --host host-b --json" -- rjh audit --host host-b --json
jtrue "host-b: both options in one event" \
	"[e['fields'] for e in d['events'] if e['op'] == 'rjh-modify'][-1] == {'expires': '2998-01-01T23:59:59Z', 'from': '10.0.0.0/8'}"
finish
