# Admin audit through the real kernel audit subsystem and a real auditd:
# every change writes a USER_MGMT record that ausearch finds; audit = required
# refuses changes when the kernel will not take records; best-effort warns.
. "$(dirname "$0")/lib.sh"

. "$TOP/tests/auditd.sh"
auditd_lock || not_ok "another test run held the audit daemon for 30 minutes"
prev_enabled=$(auditd_status enabled)
prev_pid=$(auditd_status pid)
if [ -z "$prev_enabled" ] || [ "$prev_enabled" = 2 ]; then
	not_ok "kernel audit must be present and not locked (auditctl -s: enabled=${prev_enabled:-none})"
	finish
	exit 1
fi
trap 'auditd_stop; auditctl -e "$prev_enabled" > /dev/null; rm -rf "$WORK"' EXIT

write_conf "audit = required"
k=$(newkey a)

# 1. Kernel audit disabled and audit = required: the change is refused.
if [ "$prev_pid" = 0 ]; then
	auditctl -e 0 >/dev/null
	expect 4 "init is refused when audit is required but disabled" -- rjh init
	match "kernel audit is disabled.*audit = required" "the refusal names the audit problem"
	[ ! -e "$WORK/reg/registry.db" ] && ok "no registry was created" || not_ok "a registry was left behind"
	write_conf "audit = best-effort"
	expect 0 "init goes on in best-effort mode" -- rjh init
	match "warning: kernel audit is disabled" "best-effort warns on stderr"
	write_conf "audit = required"
	dump > "$WORK/before"
	expect 4 "enroll is refused when audit is required but disabled" -- rjh enroll host-1 "$k"
	unchanged "$WORK/before" "the refused enroll changed nothing"
else
	not_ok "an auditd is already running (pid $prev_pid); this test needs to start its own"
	finish
	exit 1
fi

# 2. A real auditd, logging into the workspace.
if auditd_start "$WORK/audit"; then
	ok "auditd is running and registered"
else
	not_ok "auditd did not start: $AUDIT_WHY"
fi

expect 0 "enroll succeeds with audit required and auditd running" -- rjh enroll host-1 "$k"
[ -z "$ERR" ] && ok "no audit warning when audit works" || not_ok "unexpected stderr: $ERR"
fp=$(ssh-keygen -l -E sha256 -f "$k" | awk '{print $2}')
expect 0 "revoke-key succeeds" -- rjh revoke-key "$fp"
found=
for _ in $(seq 30); do
	found=$(ausearch -if "$WORK/audit/audit.log" -m USER_MGMT -i 2>/dev/null | grep 'op=rjh-enroll' | grep -F "$fp")
	[ -n "$found" ] && break
	sleep 0.1
done
[ -n "$found" ] && ok "ausearch -m USER_MGMT finds op=rjh-enroll with the fingerprint" ||
	not_ok "no USER_MGMT op=rjh-enroll record in $(ausearch -if "$WORK/audit/audit.log" -m USER_MGMT 2>&1 | tail -3)"
printf '%s' "$found" | grep -q 'acct=host-1\|acct="host-1"' && ok "the record names the host" ||
	not_ok "the record does not name the host: $found"
printf '%s' "$found" | grep -q 'actor_uid=0\|actor_uid=root' && ok "the record names the acting uid" ||
	not_ok "the record does not name the acting uid: $found"
printf '%s' "$found" | grep -q 'res=success\|res=yes' && ok "the record says res=success" ||
	not_ok "no res=success: $found"
ausearch -if "$WORK/audit/audit.log" -m USER_MGMT -i 2>/dev/null | grep -q 'op=rjh-revoke-key' &&
	ok "revoke-key has its own record" || not_ok "no op=rjh-revoke-key record"
n=$(sqlite3 "$WORK/reg/registry.db" "SELECT count(*) FROM events WHERE op IN ('rjh-enroll','rjh-revoke-key') AND fingerprint = '$fp'")
[ "$n" = 2 ] && ok "both changes are mirrored in the events table" || not_ok "events rows: $n"
aureport -if "$WORK/audit/audit.log" --summary >/dev/null 2>&1 && ok "aureport reads the log" ||
	not_ok "aureport failed"
finish
