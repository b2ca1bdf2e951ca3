# rjh-admin prune: deletes the sessions that ended and the events recorded
# before now - AGE (--older-than, else retention in rjh.conf, else 90d); an
# open session stays however old; one USER_MGMT op=rjh-prune record with the
# cutoff and the counts, in the events table and in a real auditd; --vacuum
# gives the space back; every bad input is refused with the registry
# unchanged. Rows are written with sqlite3 as pam_rjh writes them, at times
# an hour or more from any cutoff, so the second the command runs in does
# not matter.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/auditd.sh"
trap 'auditd_stop; rm -rf "$WORK"' EXIT
write_conf
expect 0 "init" -- rjh init
expect 0 "enroll alpha" -- rjh enroll alpha "$(newkey alpha)"
UID_A=$(q "SELECT uid FROM hosts WHERE name = 'alpha'")
NOW=$(date -u +%s)
H=3600
D=86400

# session TAG STARTED [ENDED]: a session of alpha (ENDED omitted: still open);
# TAG is its sshd pid, which names it in the checks.
session() {
	local ended=${3:-NULL} reason=NULL
	[ "$ended" != NULL ] && reason="'closed'"
	q "INSERT INTO sessions(host, uid, fingerprint, source_addr, sshd_pid, sshd_start, started,
		ended, end_reason) VALUES ('alpha', $UID_A, 'SHA256:x', '198.51.100.1', $1, 77, $2,
		$ended, $reason)"
}
# event TAG TIME: an events row as pam_rjh writes it, with op test-TAG.
event() {
	q "INSERT INTO events(time, type, op, actor_uid, host, result, detail)
		VALUES ($2, 'USER_START', 'test-$1', 0, 'alpha', 'success', 'addr=198.51.100.1')"
}
sessions_left() {
	q "SELECT group_concat(sshd_pid, ' ') FROM (SELECT sshd_pid FROM sessions ORDER BY sshd_pid)"
}
events_left() {
	q "SELECT group_concat(op, ' ') FROM (SELECT op FROM events WHERE op LIKE 'test-%' ORDER BY op)"
}
iso() {
	date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
}
# pruned DESCRIPTION ARGS...: rjh prune ARGS exits 0; START and END bracket it.
pruned() {
	local desc=$1
	shift
	START=$(date -u +%s)
	expect 0 "$desc" -- rjh prune "$@"
	END=$(date -u +%s)
}
# cutoff_is AGE: the cutoff the last prune printed (kept in CUT) is AGE seconds before it ran.
cutoff_is() {
	local got
	CUT=$(printf '%s\n' "$OUT" | sed -n 's/.* from before \([0-9TZ:-]*\)$/\1/p' | head -1)
	got=$(date -u -d "$CUT" +%s 2> /dev/null || echo 0)
	[ "$got" -ge $((START - $1)) ] && [ "$got" -le $((END - $1)) ] &&
		ok "the cutoff is $1 s before the prune ($CUT)" ||
		not_ok "the cutoff is '$CUT', wanted $(iso $((START - $1)))"
}
# record_of CUT NS NE: the events table has exactly one op=rjh-prune row for this run.
record_of() {
	eq "$(q "SELECT type, result, actor_uid, host IS NULL FROM events WHERE op = 'rjh-prune'
		AND detail = 'before=$1 sessions_removed=$2 events_removed=$3'" | tr '\n' ' ')" \
		"USER_MGMT|success|0|1 " "an op=rjh-prune events row with the cutoff and the counts ($2, $3)"
}

echo "# --older-than 7d"
session 1 $((NOW - 20 * D)) $((NOW - 10 * D))     # ended 10 days ago: goes
session 2 $((NOW - 8 * D)) $((NOW - 7 * D - H))   # ended an hour before the cutoff: goes
session 3 $((NOW - 8 * D)) $((NOW - 7 * D + H))   # started before, ended after the cutoff: stays
session 4 $((NOW - 400 * D))                      # open for 400 days: stays
session 5 $((NOW - D)) $((NOW - D + 60))          # yesterday: stays
session 6 $((NOW - 60))                           # open now: stays
event a $((NOW - 100 * D))
event b $((NOW - 7 * D - H))
event c $((NOW - 7 * D + H))
event d "$NOW"
pruned "prune --older-than 7d" --older-than 7d
match -o "^pruned 2 ended sessions and 2 events from before " "it says what it removed"
cutoff_is $((7 * D))
eq "$(sessions_left)" "3 4 5 6" "ended before the cutoff are gone; ended after it, and open ones, stay"
eq "$(events_left)" "test-c test-d" "events before the cutoff are gone, the later ones stay"
record_of "$CUT" 2 2
eq "$(q "SELECT count(*) FROM events WHERE op IN ('rjh-init', 'rjh-enroll')")" 2 \
	"this test's own changes, made today, stay"
expect 0 "audit --since 1h" -- rjh audit --since 1h
match -o "rjh-prune +success.*before=$CUT sessions_removed=2 events_removed=2" \
	"rjh-admin audit shows the prune"
expect 0 "prune --older-than 7d again" -- rjh prune --older-than 7d
match -o "^pruned 0 ended sessions and 0 events from before " "again: nothing is left to remove"
eq "$(q "SELECT count(*) FROM events WHERE op = 'rjh-prune'")" 2 \
	"a prune that removed nothing is recorded too"

echo "# the default: retention in rjh.conf, else 90d"
session 7 $((NOW - 92 * D)) $((NOW - 91 * D))
session 8 $((NOW - 90 * D)) $((NOW - 89 * D))
session 9 $((NOW - 40 * D)) $((NOW - 31 * D))
event e $((NOW - 91 * D))
event f $((NOW - 89 * D))
event g $((NOW - 31 * D))
pruned "prune (no retention in rjh.conf)"
cutoff_is $((90 * D))
eq "$(sessions_left)" "3 4 5 6 8 9" "without retention in rjh.conf, 90 days"
eq "$(events_left)" "test-c test-d test-f test-g" "the events, 90 days too"
record_of "$CUT" 1 1
write_conf "retention = 30d"
pruned "prune with retention = 30d"
cutoff_is $((30 * D))
eq "$(sessions_left)" "3 4 5 6" "retention = 30d in rjh.conf is the default"
eq "$(events_left)" "test-c test-d" "for the events too"
record_of "$CUT" 2 2
pruned "prune --older-than 400d overrides retention" --older-than 400d
cutoff_is $((400 * D))

echo "# refused: the registry unchanged"
session 10 $((NOW - 200 * D)) $((NOW - 199 * D))
event h $((NOW - 200 * D))
dump > "$WORK/before"
refused() { # refused RC DESCRIPTION ARGS...: prune ARGS exits RC and changes nothing
	local want=$1 desc=$2
	shift 2
	expect "$want" "$desc exits $want" -- rjh prune "$@"
	[ -n "$ERR" ] && lacks -o "pruned" "$desc: a message, and nothing pruned" ||
		not_ok "$desc: no message on stderr"
	unchanged "$WORK/before" "$desc: registry unchanged"
}
refused 2 "--older-than 7 (no unit)" --older-than 7
match "'7' has no unit; add one of s, m, h, d or w \(7d for days\)" "a bare number is named as such"
refused 2 "--older-than -7d" --older-than -7d
match "invalid age '-7d'" "a negative age is invalid"
refused 2 "--older-than=-1s" --older-than=-1s
refused 2 "--older-than 7y" --older-than 7y
refused 2 "--older-than 1.5d" --older-than 1.5d
refused 2 "--older-than 7 d" --older-than '7 d'
refused 2 "--older-than 0x10d" --older-than 0x10d
refused 2 "--older-than with 10 digits" --older-than 1234567890s
refused 2 "--older-than ''" --older-than ''
refused 2 "--older-than 'x'" --older-than 'x'
refused 1 "an extra argument" 30d
match "too many arguments" "extra arguments are a usage error"
refused 1 "--older-than without a value" --older-than
refused 1 "an unknown option" --frobnicate
refused 1 "-v" -v
write_conf "retention = 7"
refused 2 "retention = 7 (no unit) in rjh.conf"
match "rjh.conf:[0-9]+: .*retention" "the config error names the file, line and key"
write_conf
expect 4 "prune of a registry that does not exist exits 4" -- rjh --db "$WORK/none.db" prune
match "does not exist" "it says so"
[ ! -e "$WORK/none.db" ] && ok "and creates nothing" || not_ok "prune created $WORK/none.db"
unchanged "$WORK/before" "nothing refused changed the registry"

echo "# --older-than 0s"
pruned "prune --older-than 0s" --older-than 0s
cutoff_is 0
eq "$(sessions_left)" "4 6" "every ended session is gone; the open ones stay"
eq "$(q "SELECT count(*) FROM events WHERE time < $(date -u -d "$CUT" +%s)")" 0 \
	"no event from before now is left"
eq "$(q "SELECT count(*) FROM events WHERE op = 'rjh-prune' AND detail LIKE 'before=$CUT %'")" 1 \
	"its own record stays"

echo "# --vacuum"
q "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
	INSERT INTO events(time, type, op, actor_uid, host, result, detail)
	SELECT $((NOW - 10 * D)) + i, 'USER_END', 'rjh-tunnel', 0, 'alpha', 'success',
		'addr=198.51.100.1 socket=\"/run/rjh/hosts/alpha/sock/ssh.sock\"' FROM n"
q "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
	INSERT INTO sessions(host, uid, fingerprint, source_addr, sshd_pid, sshd_start, started, ended,
		end_reason)
	SELECT 'alpha', $UID_A, 'SHA256:x', '198.51.100.1', 100000 + i, 77, $((NOW - 10 * D)) + i,
		$((NOW - 10 * D + 60)) + i, 'closed' FROM n"
REG=$WORK/reg/registry.db
size=$(stat -c %s "$REG")
meta=$(stat -c '%a %U %G' "$REG")
expect 0 "prune --older-than 1d --vacuum" -- rjh prune --older-than 1d --vacuum
match -o "^pruned 10000 ended sessions and 20000 events from before " "it prunes first"
line=$(printf '%s\n' "$OUT" | sed -n 2p)
before=$(printf '%s\n' "$line" | sed -n "s|^vacuumed $REG: \([0-9]*\) bytes before, \([0-9]*\) after$|\1|p")
after=$(printf '%s\n' "$line" | sed -n "s|^vacuumed $REG: \([0-9]*\) bytes before, \([0-9]*\) after$|\2|p")
[ -n "$before" ] && [ -n "$after" ] && ok "it prints the file's size before and after ($line)" ||
	not_ok "no 'vacuumed $REG: N bytes before, M after' line in '$OUT'"
eq "${before:-x}" "$size" "before is the size the file had (a delete does not shrink it)"
eq "${after:-x}" "$(stat -c %s "$REG")" "after is the size it has now"
[ -n "$after" ] && [ "$after" -lt $((size / 4)) ] && ok "the file shrank from $size to $after bytes" ||
	not_ok "the file did not shrink: $size -> ${after:-?} bytes"
eq "$(stat -c '%a %U %G' "$REG")" "$meta" "the registry keeps its mode, owner and group"
eq "$(q 'PRAGMA integrity_check')" ok "the vacuumed registry passes integrity_check"
eq "$(q 'PRAGMA application_id; PRAGMA user_version' | tr '\n' ' ')" \
	"1919576113 $(ls "$TOP"/sql/[0-9][0-9][0-9]-*.sql | wc -l) " \
	"it is still an rjh registry at the newest schema"
eq "$(sessions_left)" "4 6" "the open sessions are still there"
expect 0 "show alpha after vacuum" -- rjh show alpha
has -o "open" "show still lists alpha's open session"

echo "# help"
expect 0 "prune --help" -- rjh prune --help
match -o "^Usage: .* prune \[--older-than AGE\] \[--vacuum\]" "prune --help prints its usage"
has -o "still open stays" "prune --help says open sessions stay"
expect 0 "rjh-admin --help" -- rjh --help
match -o "^  prune " "rjh-admin --help lists prune"

echo "# the kernel record, in a real auditd"
write_conf "audit = required"
if auditd_start "$WORK/audit"; then
	NOW=$(date -u +%s) # auditd_start may have waited for another test run's auditd
	session 11 $((NOW - 9 * D)) $((NOW - 8 * D))
	pruned "prune --older-than 7d with audit = required" --older-than 7d
	cutoff_is $((7 * D))
	found=$(audit_find USER_MGMT "op=rjh-prune")
	printf '%s' "$found" | grep -q "before=$CUT sessions_removed=1 events_removed=0" &&
		ok "ausearch -m USER_MGMT finds op=rjh-prune with the cutoff and the counts" ||
		not_ok "no USER_MGMT op=rjh-prune record with the counts: '${found:0:300}'"
	printf '%s' "$found" | grep -q 'res=success\|res=yes' && ok "the record says res=success" ||
		not_ok "no res=success: ${found:0:300}"
	record_of "$CUT" 1 0
else
	not_ok "auditd did not start: $AUDIT_WHY"
fi
finish
