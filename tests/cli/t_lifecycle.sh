# A host's whole life: enroll, add-key, revoke-key, revoke, enable, grants,
# remove, re-enroll; the events table records each change once; the JSON
# outputs; --help; dates and address lists.
. "$(dirname "$0")/lib.sh"
write_conf
OPS=() # the events rows the changes so far must have written, in order
expect 0 "init" -- rjh init
OPS+=(rjh-init)
k1=$(newkey k1)
k2=$(newkey k2)
fp1=$(fp_of "$k1")
fp2=$(fp_of "$k2")

expect 0 "enroll h1" -- rjh enroll h1 "$k1"
OPS+=(rjh-enroll)
uid1=$(q "SELECT uid FROM hosts WHERE name = 'h1'")
expect 0 "add-key h1" -- rjh add-key h1 "$k2"
OPS+=(rjh-add-key)
has -o "$fp2" "add-key prints the new key's fingerprint"
expect 0 "show h1 --json" -- rjh show h1 --json
jtrue "show --json lists both keys" "sorted(k['fingerprint'] for k in d['keys']) == sorted(['$fp1', '$fp2'])"
jtrue "both keys are active" "all(k['state'] == 'active' and k['revoked'] is None for k in d['keys'])"
jtrue "active_keys is 2" "d['active_keys'] == 2"
jtrue "the keys carry their types" "all(k['type'] == 'ssh-ed25519' for k in d['keys'])"

expect 0 "revoke-key the first key" -- rjh revoke-key "$fp1"
OPS+=(rjh-revoke-key)
expect 0 "show h1 --json" -- rjh show h1 --json
jtrue "the first key is revoked, with a time" \
	"[(k['state'], k['revoked'] is not None) for k in d['keys'] if k['fingerprint'] == '$fp1'] == [('revoked', True)]"
jtrue "the second key is still active" \
	"[k['state'] for k in d['keys'] if k['fingerprint'] == '$fp2'] == ['active']"
jtrue "active_keys is 1" "d['active_keys'] == 1"
dump > "$WORK/before"
expect 0 "revoking the revoked key again exits 0" -- rjh revoke-key "$fp1"
unchanged "$WORK/before" "revoking again changes nothing"

expect 0 "revoke h1" -- rjh revoke h1
OPS+=(rjh-revoke)
expect 0 "show h1 --json" -- rjh show h1 --json
jtrue "h1 is disabled" "d['state'] == 'disabled'"
expect 0 "list" -- rjh list
match -o "^h1 +$uid1 +disabled" "list shows h1 disabled"
expect 0 "enable h1" -- rjh enable h1
OPS+=(rjh-enable)
expect 0 "show h1 --json" -- rjh show h1 --json
jtrue "h1 is active again" "d['state'] == 'active'"
jtrue "enable kept the keys as they were" "d['active_keys'] == 1 and len(d['keys']) == 2"

expect 0 "grant alice h1" -- rjh grant alice h1
OPS+=(rjh-grant)
expect 0 "grant @ops 'h*'" -- rjh grant @ops 'h*'
OPS+=(rjh-grant)
expect 0 "grant bob 'h?'" -- rjh grant bob 'h?'
OPS+=(rjh-grant)
expect 0 "show h1 --json" -- rjh show h1 --json
jtrue "show lists the three grants that match h1" \
	"sorted((g['principal'], g['pattern']) for g in d['grants']) == [('@ops', 'h*'), ('alice', 'h1'), ('bob', 'h?')]"

expect 0 "remove h1" -- rjh remove h1
OPS+=(rjh-remove)
expect 3 "show h1 after remove exits 3" -- rjh show h1
expect 0 "list --json" -- rjh list --json
jtrue "h1 is gone from list" "all(h['name'] != 'h1' for h in d['hosts'])"
eq "$(q "SELECT count(*) FROM keys")" 0 "h1's keys are gone"
expect 0 "grants --json" -- rjh grants --json
jtrue "the exact-name grant went with the host, the globs stayed" \
	"sorted((g['principal'], g['pattern']) for g in d['grants']) == [('@ops', 'h*'), ('bob', 'h?')]"

k3=$(newkey k3)
k4=$(newkey k4)
expect 0 "enroll h1 again" -- rjh enroll h1 "$k3"
OPS+=(rjh-enroll)
uid1b=$(q "SELECT uid FROM hosts WHERE name = 'h1'")
[ -n "$uid1b" ] && [ "$uid1b" != "$uid1" ] && ok "the new h1 got a new uid ($uid1b, not $uid1)" ||
	not_ok "the new h1 got uid '$uid1b' (the removed one was $uid1)"
expect 0 "enroll h2" -- rjh enroll h2 "$k4"
OPS+=(rjh-enroll)
uid2=$(q "SELECT uid FROM hosts WHERE name = 'h2'")
[ "$uid2" -gt "$uid1b" ] && [ "$uid2" != "$uid1" ] && ok "a new host never gets the removed uid ($uid2)" ||
	not_ok "h2 got uid $uid2 (removed: $uid1, h1 now: $uid1b)"
expect 0 "show h1 --json" -- rjh show h1 --json
jtrue "the new h1 did not inherit the removed host's exact grant" \
	"all(g['pattern'] != 'h1' for g in d['grants'])"
expect 0 "ungrant bob 'h?'" -- rjh ungrant bob 'h?'
OPS+=(rjh-ungrant)

# Refused commands write no events.
expect 3 "a refused change" -- rjh enroll h1 "$k4"
expect 2 "another refused change" -- rjh revoke-key SHA256:bad

# The events table: one row per change, in order, by uid 0, with the key.
got=$(q "SELECT op FROM events ORDER BY id" | tr '\n' ' ')
eq "$got" "${OPS[*]} " "the events table has exactly one row per change, in order"
for op in rjh-init rjh-enroll rjh-add-key rjh-revoke-key rjh-revoke rjh-enable rjh-remove rjh-grant rjh-ungrant; do
	[ "$(q "SELECT count(*) FROM events WHERE op = '$op'")" -ge 1 ] && ok "an events row with op $op" ||
		not_ok "no events row with op $op"
done
eq "$(q "SELECT count(*) FROM events WHERE actor_uid IS NOT 0")" 0 "every events row has actor_uid 0"
eq "$(q "SELECT count(*) FROM events WHERE result IS NOT 'success'")" 0 "every events row says success"
eq "$(q "SELECT group_concat(op || ' ' || host || ' ' || fingerprint, ',') FROM (SELECT * FROM events
	WHERE op IN ('rjh-enroll', 'rjh-add-key', 'rjh-revoke-key') ORDER BY id)")" \
	"rjh-enroll h1 $fp1,rjh-add-key h1 $fp2,rjh-revoke-key h1 $fp1,rjh-enroll h1 $(fp_of "$k3"),rjh-enroll h2 $(fp_of "$k4")" \
	"key events carry the host and the key's fingerprint"
eq "$(q "SELECT group_concat(op || ' ' || host, ',') FROM (SELECT * FROM events
	WHERE op IN ('rjh-revoke', 'rjh-enable', 'rjh-remove') ORDER BY id)")" \
	"rjh-revoke h1,rjh-enable h1,rjh-remove h1" "host events carry the host"
eq "$(q "SELECT count(*) FROM events WHERE op IN ('rjh-grant', 'rjh-ungrant') AND detail LIKE '%principal=%pattern=%'")" \
	4 "grant events name the principal and the pattern"

# JSON outputs are valid and have the documented fields.
host_fields="{'name', 'uid', 'state', 'created', 'updated', 'expires', 'from', 'active_keys'}"
key_fields="{'fingerprint', 'type', 'comment', 'state', 'created', 'expires', 'revoked'}"
expect 0 "list --json" -- rjh list --json
jtrue "list --json: hosts[] with the host fields and presence" \
	"len(d['hosts']) == 2 and all($host_fields | {'presence'} <= set(h) for h in d['hosts'])"
jtrue "list --json: uids are integers, presence.up is a boolean" \
	"all(isinstance(h['uid'], int) and isinstance(h['presence']['up'], bool) for h in d['hosts'])"
expect 0 "show --json" -- rjh show h2 --json
jtrue "show --json: host fields, keys[] and grants[]" \
	"$host_fields | {'presence', 'keys', 'grants'} <= set(d) and d['name'] == 'h2'"
jtrue "show --json: every key has its fields" "len(d['keys']) == 1 and all($key_fields <= set(k) for k in d['keys'])"
jtrue "show --json: grants matching h2" "[(g['principal'], g['pattern']) for g in d['grants']] == [('@ops', 'h*')]"
expect 0 "grants --json" -- rjh grants --json
jtrue "grants --json: grants[] with principal, pattern, created" \
	"d['grants'] and all({'principal', 'pattern', 'created'} <= set(g) for g in d['grants'])"
expect 0 "export --json" -- rjh export --json
jtrue "export: schema_version, settings, hosts, grants, sessions, events" \
	"{'schema_version', 'settings', 'hosts', 'grants', 'sessions', 'events'} <= set(d) and isinstance(d['schema_version'], int)"
jtrue "export: settings hold the uid range and the hosts group" \
	"{'uid_min', 'uid_max', 'next_uid', 'host_group', 'host_gid'} <= set(d['settings']) and d['settings']['host_group'] == 'rjh-hosts'"
jtrue "export: next_uid is above every uid ever handed out" \
	"d['settings']['next_uid'] > max([h['uid'] for h in d['hosts']] + [$uid1])"
jtrue "export: hosts[].keys[] with the key fields and the key data" \
	"all(h['keys'] and all($key_fields | {'key'} <= set(k) for k in h['keys']) for h in d['hosts'])"
jtrue "export: the key data is the key file's" \
	"[k['key'] for h in d['hosts'] if h['name'] == 'h2' for k in h['keys']] == ['$(awk '{print $2}' "$k4")']"
jtrue "export: sessions is a list, events has every row" \
	"isinstance(d['sessions'], list) and [e['op'] for e in d['events']] == '${OPS[*]}'.split()"
jtrue "export: events have time, op, actor_uid, host, fingerprint, result" \
	"all({'time', 'op', 'actor_uid', 'host', 'fingerprint', 'result'} <= set(e) for e in d['events'])"

# --help for every command; an unknown command.
expect 0 "rjh-admin --help" -- rjh --help
match -o "^Usage:" "rjh-admin --help prints Usage:"
cmds=$(printf '%s\n' "$OUT" | awk '/^Commands:/ {on = 1; next} on && NF == 0 {on = 0} on {print $1}')
missing=
for c in init enroll add-key revoke-key revoke enable remove list show import export grant ungrant grants; do
	printf '%s\n' "$cmds" | grep -qx -- "$c" || missing="$missing $c"
done
eq "$missing" "" "--help lists every documented command"
for c in $cmds; do
	expect 0 "$c --help exits 0" -- rjh "$c" --help
	match -o "^Usage:.* $c " "$c --help prints Usage:"
done
dump > "$WORK/before"
expect 1 "an unknown command exits 1" -- rjh frobnicate
match "unknown command" "the error says the command is unknown"
expect 1 "an unknown option exits 1" -- rjh list --frobnicate
expect 1 "a missing argument exits 1" -- rjh show
expect 1 "an extra argument exits 1" -- rjh revoke h1 h2
unchanged "$WORK/before" "usage errors change nothing"

# Dates.
k5=$(newkey k5)
expect 2 "--expires in the past exits 2" -- rjh enroll e1 "$k5" --expires 2001-01-01
match "past" "the error says the date is in the past"
expect 2 "--expires that is not a date exits 2" -- rjh enroll e1 "$k5" --expires 2099-02-30
expect 2 "--expires in another format exits 2" -- rjh enroll e1 "$k5" --expires 01/01/2999
unchanged "$WORK/before" "refused dates change nothing"
expect 0 "--expires 2999-01-01" -- rjh enroll e1 "$k5" --expires 2999-01-01
expect 0 "show e1 --json" -- rjh show e1 --json
jtrue "the expiry is the end of that day, UTC" "d['expires'] == '2999-01-01T23:59:59Z'"
jtrue "a host expiring in 2999 is active" "d['state'] == 'active'"
k6=$(newkey k6)
expect 0 "add-key --expires 2998-06-30T12:00:00Z" -- rjh add-key e1 "$k6" --expires 2998-06-30T12:00:00Z
expect 0 "show e1 --json" -- rjh show e1 --json
jtrue "the key's expiry is stored as given" \
	"[k['expires'] for k in d['keys'] if k['fingerprint'] == '$(fp_of "$k6")'] == ['2998-06-30T12:00:00Z']"

# Address lists.
k7=$(newkey k7)
dump > "$WORK/before"
expect 2 "--from 10.0.0.1/8 (host bits set) exits 2" -- rjh enroll f1 "$k7" --from 10.0.0.1/8
match "10.0.0.1/8" "the error names the bad CIDR"
expect 2 "--from with a bad address exits 2" -- rjh enroll f1 "$k7" --from 10.0.0.0/8,300.0.0.0/8
expect 2 "--from with a prefix too long exits 2" -- rjh enroll f1 "$k7" --from 2001:db8::/129
expect 2 "--from with an empty item exits 2" -- rjh enroll f1 "$k7" --from 10.0.0.0/8,
unchanged "$WORK/before" "refused address lists change nothing"
expect 0 "--from 10.0.0.0/8,2001:db8::/32" -- rjh enroll f1 "$k7" --from 10.0.0.0/8,2001:db8::/32
expect 0 "show f1 --json" -- rjh show f1 --json
jtrue "show --json lists both CIDRs" "d['from'] == ['10.0.0.0/8', '2001:db8::/32']"
eq "$(q "SELECT source_cidrs FROM hosts WHERE name = 'f1'")" "10.0.0.0/8,2001:db8::/32" "the registry stores them canonically"
k8=$(newkey k8)
expect 0 "--from in a non-canonical spelling" -- rjh enroll f2 "$k8" --from 2001:0DB8:0000:0::/32,192.168.1.0/24
eq "$(q "SELECT source_cidrs FROM hosts WHERE name = 'f2'")" "2001:db8::/32,192.168.1.0/24" \
	"a non-canonical spelling is stored canonically"
finish
