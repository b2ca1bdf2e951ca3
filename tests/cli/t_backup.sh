# rjh-admin backup FILE: a consistent, checked copy of the live registry
# while 200 hosts log in and out through pam_rjh (real libpam), none of them
# refused; FILE is new, 0600, root's, and in place only once whole; every
# refusal (FILE exists, '-', no directory, a directory not root's, a
# read-only one, a full file system, not root) leaves no file and no
# temporary file; the restore documented in rjh-admin(8) (sqlite3 .restore,
# then rjh-admin refresh) brings the registry and both snapshots back.
#
# Runs in a private mount namespace (nsswitch.conf for nss_rjh, tmpfs and
# read-only mounts), as t_pam.sh does.
. "$(dirname "$0")/private-mounts.sh"
. "$(dirname "$0")/lib.sh"
DEVLOG_TMP=$WORK . "$TOP/tests/devlog.sh"
trap 'umount "$WORK/ro" "$WORK/full" 2> /dev/null; devlog_stop; rm -rf "$WORK"' EXIT
RUN="$TOP/build/tools/pam-run"
SO="$TOP/build/pam_rjh.so"
AKC="$TOP/build/rjh-authorized-keys"
REG="$WORK/reg/registry.db"
BK="$WORK/bk"
mkdir -p "$BK"
chmod 755 "$BK"

printf 'passwd: files rjh\ngroup: files rjh\nshadow: files\n' > "$WORK/nsswitch.conf"
mount --bind "$WORK/nsswitch.conf" /etc/nsswitch.conf || {
	not_ok "cannot bind-mount a test nsswitch.conf in the private namespace"
	finish
	exit 1
}
export LD_LIBRARY_PATH="$TOP/build" RJH_CONF="$WORK/rjh.conf"
devlog_start "$WORK/syslog" || {
	not_ok "cannot give the namespace a /dev/log"
	finish
	exit 1
}
mkdir -p "$WORK/pam.d"
for t in account session; do
	printf '%s [success=done ignore=ignore default=die] %s conf=%s audit=off\n' "$t" "$SO" \
		"$WORK/rjh.conf"
	printf '%s required pam_exec.so quiet /bin/false\n' "$t"
done > "$WORK/pam.d/rjh"

# sqlite3 while pam_rjh writes: it waits for the lock as rjh does.
qt() {
	sqlite3 -cmd ".timeout 10000" "$REG" "$@"
}
# leftovers DIR: the names in DIR that a backup may have left (temporary copies, journals).
leftovers() {
	find "$1" -maxdepth 1 \( -name '.*rjh-backup*' -o -name '*-journal' \) -printf '%f ' 2> /dev/null
}
# refused RC DESCRIPTION FILE [backup options]: backup FILE exits RC with a
# message and leaves no FILE (unless it was there) and no temporary file.
refused() {
	local want=$1 desc=$2 file=$3 existed=
	shift 3
	[ -e "$file" ] && existed=1
	expect "$want" "$desc: exits $want" -- rjh backup "$@" "$file"
	[ -n "$ERR" ] && lacks -o "backup " "$desc: a message, no result line" ||
		not_ok "$desc: no message on stderr"
	if [ -z "$existed" ] && [ -e "$file" ]; then
		not_ok "$desc: $file was left behind"
	else
		ok "$desc: no $(basename "$file") left"
	fi
	eq "$(leftovers "$(dirname "$file")")" "" "$desc: no temporary file left"
}

write_conf
rjh init > /dev/null
"$GENKEYS" 200 load- > "$WORK/load.keys"
rjh import "$WORK/load.keys" > /dev/null
rjh enroll host-a "$(newkey a)" > /dev/null
# Some history, so that the copy takes many steps (about 4 MB, 1,000 pages).
q "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
	INSERT INTO events(time, type, op, actor_uid, host, result, detail)
	SELECT 1700000000 + i, 'USER_END', 'test-history', 0, 'load-1', 'success',
		'addr=198.51.100.1 socket=\"/run/rjh/hosts/load-1/sock/ssh.sock\" ' || hex(randomblob(40))
	FROM n"

echo "# a backup while 200 hosts log in and out"
# What logins do not change, as it is before they start.
for t in hosts keys grants host_keys; do
	q "SELECT * FROM $t ORDER BY 1" | md5sum > "$WORK/$t.md5"
done
pids=()
while read -r type b64 name; do
	"$RUN" -d "$WORK/pam.d" -r 192.0.2.50 -e "SSH_AUTH_INFO_0=publickey $type $b64" rjh "$name" \
		acct open close > "$WORK/login.$name" 2>&1 &
	pids+=($!)
done < "$WORK/load.keys"
# Once some have committed, the backup starts: what is committed then must be in the copy.
for _ in $(seq 200); do
	[ "$(qt 'SELECT count(*) FROM sessions')" -ge 5 ] && break
	sleep 0.05
done
# One statement, so one read snapshot.
read -r MAXID BEFORE < <(qt -separator ' ' 'SELECT coalesce(max(id), 0), count(*) FROM sessions')
expect 0 "backup under load" -- rjh backup "$BK/load.db"
AFTER_BACKUP=$(cat "$WORK"/login.* | grep -c "close: PAM_SUCCESS")
wait "${pids[@]}"
match -o "^backup $BK/load.db: schema [0-9]+, 201 hosts, 201 keys, [0-9]+ sessions, [0-9]+ events, [0-9]+ bytes$" \
	"it prints the path, the schema and the counts"
[ "$BEFORE" -gt 0 ] && [ "$AFTER_BACKUP" -lt 200 ] &&
	ok "the backup ran while logins did ($BEFORE sessions before it, $AFTER_BACKUP of 200 closed when it ended)" ||
	not_ok "no overlap: $BEFORE sessions before the backup, $AFTER_BACKUP of 200 closed when it ended"
eq "$(cat "$WORK"/login.load-* | sort | uniq -c | awk '{print $1, $2, $3}' | tr '\n' ' ')" \
	"200 acct: PAM_SUCCESS 200 close: PAM_SUCCESS 200 open: PAM_SUCCESS " \
	"every one of the 200 logins succeeded, none refused because of the backup"
eq "$(q "SELECT count(*) FROM sessions WHERE host LIKE 'load-%' AND end_reason = 'closed'")" 200 \
	"the registry has the 200 sessions, each closed"
eq "$(stat -c '%a %u %g %s' "$BK/load.db")" "600 0 0 $(printf '%s' "$OUT" | sed -n 's/.* \([0-9]*\) bytes$/\1/p')" \
	"the copy is 0600, root's, and as big as it says"
eq "$(sqlite3 "$BK/load.db" 'PRAGMA integrity_check')" ok "the copy passes integrity_check"
eq "$(sqlite3 "$BK/load.db" 'PRAGMA application_id; PRAGMA user_version' | tr '\n' ' ')" \
	"$(q 'PRAGMA application_id; PRAGMA user_version' | tr '\n' ' ')" "the copy is an rjh registry at the registry's schema"
for t in hosts keys grants host_keys; do
	eq "$(sqlite3 "$BK/load.db" "SELECT * FROM $t ORDER BY 1" | md5sum)" "$(cat "$WORK/$t.md5")" \
		"the copy has every $t row, as it is"
done
eq "$(sqlite3 "$BK/load.db" "SELECT count(*) FROM sessions WHERE id <= $MAXID")" "$BEFORE" \
	"the copy has each of the $BEFORE sessions committed before the backup started"
eq "$(sqlite3 "$BK/load.db" "SELECT count(*) FROM events WHERE op = 'test-history'")" 30000 \
	"and all the history"
eq "$(leftovers "$BK")" "" "no temporary file or journal is left beside it"
eq "$(q "SELECT count(*) FROM events WHERE op = 'rjh-backup' AND result = 'success'
	AND detail LIKE 'path=\"$BK/load.db\" bytes=% schema=% hosts=201 keys=201 %'")" 1 \
	"the backup is recorded in the events table (op=rjh-backup)"
SIZE=$(stat -c %s "$BK/load.db")
eq "$(q "SELECT path, bytes, schema, hosts, keys, events > 30000, time >= strftime('%s','now') - 600
	FROM backups")" "$BK/load.db|$SIZE|$(q 'PRAGMA user_version')|201|201|1|1" \
	"the registry's backups table has one row: path, bytes, schema, counts, time"
eq "$(sqlite3 "$BK/load.db" 'SELECT count(*) FROM backups')" 0 "the copy has no row for itself"
expect 0 "audit shows it" -- rjh audit --since 1h
match -o "rjh-backup +success.*path=\"$BK/load.db\"" "rjh-admin audit lists the backup"

echo "# refused, leaving nothing"
dump > "$WORK/before"
refused 3 "FILE exists" "$BK/load.db"
match "load.db exists; refusing to overwrite it" "it says FILE exists"
eq "$(sqlite3 "$BK/load.db" 'PRAGMA integrity_check')" ok "the existing file is untouched"
refused 2 "'-'" -
match "written to a file only" "'-' is refused with why"
refused 3 "a missing directory" "$BK/none/x.db"
match "the directory $BK/none does not exist" "it names the missing directory"
refused 1 "an option" "$BK/x.db" --force
refused 2 "an empty FILE" ""
match "not a file name" "an empty name is not a file name"
expect 1 "no FILE at all: exits 1" -- rjh backup
match "missing argument" "it says FILE is missing"
mkdir -p "$WORK/notroot"
chown nobody "$WORK/notroot"
refused 4 "a directory not root's" "$WORK/notroot/x.db"
match "notroot" "it names the directory"
# A sticky directory anyone may write (as /tmp): a journal planted beside the
# copy would be played back into it (and into a restore read from there).
mkdir -p "$WORK/sticky"
chmod 1777 "$WORK/sticky"
refused 4 "a sticky directory others may write" "$WORK/sticky/x.db"
match "may be written by others" "it says others may write there"
eq "$(find "$WORK/sticky" -mindepth 1 | wc -l)" 0 "nothing was written into it"
mkdir -p "$WORK/ro"
chmod 755 "$WORK/ro"
mount --bind -o ro "$WORK/ro" "$WORK/ro" 2> /dev/null || mount --bind "$WORK/ro" "$WORK/ro"
mount -o remount,bind,ro "$WORK/ro"
refused 4 "a read-only directory" "$WORK/ro/x.db"
match "cannot create a file in $WORK/ro: Read-only file system" "it says it cannot write there"
mkdir -p "$WORK/full"
chmod 755 "$WORK/full"
mount -t tmpfs -o size=64k,mode=0755 rjh-full "$WORK/full"
refused 4 "a full file system (64 KiB tmpfs)" "$WORK/full/x.db"
match "no space left|disk full|cannot write" "it says the file system is full"
eq "$(find "$WORK/full" -mindepth 1 | wc -l)" 0 "the full tmpfs is left empty"
expect 4 "not root" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$ADMIN" -c "$WORK/rjh.conf" backup /tmp/rjh-backup-nobody.db
match "must run as root" "a user other than root is told to be root"
[ ! -e /tmp/rjh-backup-nobody.db ] && ok "and nothing is made" || not_ok "/tmp/rjh-backup-nobody.db was made"
unchanged "$WORK/before" "no refusal changed the registry"
eq "$(q 'SELECT count(*) FROM backups')" 1 "no refusal is recorded as a backup"

echo "# a signal during the copy leaves nothing"
q "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
	INSERT INTO events(time, type, op, actor_uid, host, result, detail)
	SELECT 1600000000 + i, 'USER_END', 'rjh-filler', 0, 'load-1', 'success', hex(randomblob(60))
	FROM n"
"$ADMIN" -c "$WORK/rjh.conf" backup "$BK/killed.db" > /dev/null 2>&1 &
bpid=$!
for _ in $(seq 100); do
	[ -n "$(leftovers "$BK")" ] && break
	sleep 0.01
done
kill -TERM "$bpid" 2> /dev/null
wait "$bpid"
rc=$?
[ "$rc" = 143 ] && ok "SIGTERM ends it" || ok "it had finished before SIGTERM (exit $rc)"
[ "$rc" != 143 ] || [ ! -e "$BK/killed.db" ] && ok "no killed.db after SIGTERM" ||
	not_ok "killed.db exists after SIGTERM"
eq "$(leftovers "$BK")" "" "no temporary file after SIGTERM"
rm -f "$BK/killed.db"
q "DELETE FROM events WHERE op = 'rjh-filler'"

echo "# restore: sqlite3 .restore over the registry, then rjh-admin refresh"
expect 0 "backup before the changes" -- rjh backup "$BK/before-late.db"
rjh enroll late "$(newkey late)" > /dev/null
rjh revoke host-a > /dev/null
eq "$(id -u late 2> /dev/null | grep -c .)" 1 "late resolves before the restore"
meta=$(stat -c '%a %U %G %i' "$REG")
expect 0 "sqlite3 .restore" -- sqlite3 "$REG" ".timeout 10000" ".restore $BK/before-late.db"
expect 0 "rjh-admin refresh" -- rjh refresh
eq "$(stat -c '%a %U %G %i' "$REG")" "$meta" "the registry keeps its file, mode, owner and group"
eq "$(q 'PRAGMA integrity_check')" ok "the restored registry passes integrity_check"
eq "$(q "SELECT count(*) FROM hosts WHERE name = 'late'")" 0 "late is gone from the registry"
eq "$(q "SELECT state FROM hosts WHERE name = 'host-a'")" active "host-a is active again"
eq "$(id -u late 2>&1 | grep -c '^[0-9]')" 0 "late no longer resolves (NSS snapshot)"
eq "$("$AKC" --config "$WORK/rjh.conf" -- late)" "" "the key helper has no key for late (login snapshot)"
OUT=$("$AKC" --config "$WORK/rjh.conf" -- host-a)
has -o "rjh host=host-a" "and host-a's key again"
OUT=$("$RUN" -d "$WORK/pam.d" -r 192.0.2.50 rjh late acct 2>&1)
lacks -o "acct: PAM_SUCCESS" "late cannot log in"
expect 0 "a login after the restore" -- "$RUN" -d "$WORK/pam.d" -r 192.0.2.50 \
	-e "SSH_AUTH_INFO_0=publickey $(head -1 "$WORK/load.keys" | cut -d' ' -f1,2)" rjh load-1 acct open close
eq "$(printf '%s\n' "$OUT" | tr '\n' ' ')" "acct: PAM_SUCCESS open: PAM_SUCCESS close: PAM_SUCCESS " \
	"a host logs in on the restored registry"

echo "# help"
expect 0 "backup --help" -- rjh backup --help
match -o "^Usage: .* backup FILE" "backup --help prints its usage"
has -o "never overwritten" "and says FILE is never overwritten"
expect 0 "rjh-admin --help" -- rjh --help
match -o "^  backup " "rjh-admin --help lists backup"
finish
