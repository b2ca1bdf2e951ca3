# Commands against registries that are missing, garbage, truncated, from a
# newer rjh, foreign, unreadable, read-only or locked, and against bad
# configuration files, or the directories above either: a clear error, exit 4
# (2 for a config that does not parse), never a crash, and the file left as it
# was.
. "$(dirname "$0")/lib.sh"
write_conf
expect 0 "init" -- rjh init
k1=$(newkey k1)
k2=$(newkey k2)
expect 0 "enroll h1" -- rjh enroll h1 "$k1"
expect 0 "grant alice h1" -- rjh grant alice h1
"$GENKEYS" 3 imp- > "$WORK/import.txt"
REG="$WORK/reg/registry.db"

# Every command that opens the registry, reads and writes.
COMMANDS=("list" "list --json" "show h1" "grants" "export --json" "enroll h2 $k2"
	"add-key h1 $k2" "revoke-key $(fp_of "$k1")" "revoke h1" "remove h1"
	"grant bob h1" "ungrant alice h1" "import $WORK/import.txt")

# against DB LABEL WANT-CODES REASON-REGEX: every command against DB exits with
# one of WANT-CODES, says why, does not crash, and leaves DB byte-identical.
against() {
	local db=$1 label=$2 want=$3 re=$4 c sum=
	[ -e "$db" ] && sum=$(sha256sum < "$db")
	for c in "${COMMANDS[@]}"; do
		# shellcheck disable=SC2086
		expect_any "$want" "$label: $c exits $want" -- rjh --db "$db" $c
		match "^rjh-admin: ${c%% *}: .*($re)" "$label: $c says why"
		[ "$RC" -lt 128 ] || not_ok "$label: $c crashed (exit $RC)"
	done
	if [ -n "$sum" ]; then
		eq "$(sha256sum < "$db")" "$sum" "$label: the file is byte-for-byte unchanged"
	else
		[ ! -e "$db" ] && ok "$label: no file was created" || not_ok "$label: $db was created"
	fi
	[ ! -e "$db-journal" ] && ok "$label: no journal left behind" || not_ok "$label: $db-journal left behind"
}

mkdir -p "$WORK/bad"
against "$WORK/bad/missing.db" "missing registry" 4 "does not exist.*init|rjh-admin init"

head -c 100000 /dev/urandom > "$WORK/bad/random.db"
against "$WORK/bad/random.db" "random bytes" 4 "corrupt|not a database|not an rjh registry"

cp "$REG" "$WORK/bad/half.db"
truncate -s $(($(stat -c %s "$REG") / 2)) "$WORK/bad/half.db"
against "$WORK/bad/half.db" "registry truncated to half" "2 4" "corrupt|malformed|not a database|truncated"

cp "$REG" "$WORK/bad/short.db"
truncate -s 1000 "$WORK/bad/short.db"
against "$WORK/bad/short.db" "registry truncated to 1000 bytes" "2 4" "corrupt|malformed|not a database|truncated"

: > "$WORK/bad/empty.db"
against "$WORK/bad/empty.db" "an empty file" 4 "not an rjh registry|corrupt|not a database|empty"
eq "$(stat -c %s "$WORK/bad/empty.db")" 0 "the empty file is still empty (nothing initialised it)"

cp "$REG" "$WORK/bad/newer.db"
# Newer, and its migrations say programs of schema 99 are needed (sql/README).
sqlite3 "$WORK/bad/newer.db" "PRAGMA user_version = 99; UPDATE settings SET value = '99' WHERE name = 'compat_schema'"
against "$WORK/bad/newer.db" "a registry from a newer schema" 4 "newer"

sqlite3 "$WORK/bad/plain.db" 'CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES ("x")'
against "$WORK/bad/plain.db" "a plain SQLite database" 4 "not an rjh registry"

# A registry in a sticky directory others may write (as /tmp): anyone could
# plant a hot journal beside it for SQLite to play back.
mkdir -m 1777 "$WORK/sticky"
cp "$REG" "$WORK/sticky/registry.db"
against "$WORK/sticky/registry.db" "a registry in a sticky directory" 4 "may be written by others"

mkdir "$WORK/bad/dir.db"
expect 4 "a directory as registry exits 4" -- rjh --db "$WORK/bad/dir.db" list
match "not a regular file|directory" "it says it is not a file"

# A writer killed mid-transaction after some of its pages reached the file
# leaves a hot journal; whoever opens the registry next must see it as it
# was before that transaction (SQLite rolls the journal back).
mkdir -p "$WORK/crash"
cp "$REG" "$WORK/crash/registry.db"
sqlite3 "$WORK/crash/registry.db" .dump > "$WORK/crash.before"
sum=$(sha256sum < "$WORK/crash/registry.db")
"$PY" - "$WORK/crash/registry.db" <<'EOF'
import os, signal, sqlite3, sys
pid = os.fork()
if pid == 0:  # the writer, killed with its transaction open
	c = sqlite3.connect(sys.argv[1], isolation_level=None)
	c.execute('PRAGMA cache_size = 5')  # spill pages to the file before commit
	c.execute('BEGIN IMMEDIATE')
	c.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
		  "INSERT INTO events(time, type, op, actor_uid, result, detail) "
		  "SELECT i, 'USER_MGMT', 'crashed-writer', 0, 'success', printf('%0200d', i) FROM n")
	os.kill(os.getpid(), signal.SIGKILL)
os.waitpid(pid, 0)
EOF
[ -s "$WORK/crash/registry.db-journal" ] && [ "$(sha256sum < "$WORK/crash/registry.db")" != "$sum" ] &&
	ok "a killed writer left a hot journal and half-written pages" ||
	not_ok "could not produce a hot journal"
rm -rf "$WORK/crash.saved"
cp -a "$WORK/crash" "$WORK/crash.saved"
for c in list "show h1" "export --json"; do
	# shellcheck disable=SC2086
	expect 0 "after a crashed writer, $c (as root) exits 0" -- rjh --db "$WORK/crash/registry.db" $c
	lacks -o "crashed-writer" "after a crashed writer, $c shows none of its changes"
done
eq "$(sqlite3 "$WORK/crash/registry.db" .dump | cmp - "$WORK/crash.before" && echo same)" same \
	"after a crashed writer, the registry is as before"
rm -rf "$WORK/crash"
cp -a "$WORK/crash.saved" "$WORK/crash"
expect 0 "after a crashed writer, enroll exits 0" -- rjh --db "$WORK/crash/registry.db" enroll h9 "$k2"
eq "$(sqlite3 "$WORK/crash/registry.db" "SELECT count(*) FROM events WHERE op = 'crashed-writer'")|$(
	sqlite3 "$WORK/crash/registry.db" "SELECT count(*) FROM hosts WHERE name = 'h9'")" "0|1" \
	"the enroll rolled the crashed writer back and added its host"

# Unreadable: the registry is 0640 root; nobody may not read it.
eq "$(stat -c '%a %U' "$REG")" "640 root" "the registry is mode 0640, owned by root"
asnobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
sum=$(sha256sum < "$REG")
for c in list "show h1" "export --json" "enroll h3 $k2"; do
	# shellcheck disable=SC2086
	expect 4 "as nobody, $c exits 4" -- asnobody "$ADMIN" -c "$WORK/rjh.conf" $c
	match "^rjh-admin: ${c%% *}: .*(cannot open|permission|denied|unable)" "as nobody, $c says it cannot open the registry"
done
eq "$(sha256sum < "$REG")" "$sum" "nobody's attempts left the registry unchanged"

# A read-only filesystem: the registry's directory bind-mounted read-only in
# a private mount namespace.
in_ro() {
	unshare -m bash -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"' _ \
		"$WORK/reg" "$@"
}
dump > "$WORK/before"
expect 4 "enroll on a read-only filesystem exits 4" -- in_ro "$ADMIN" -c "$WORK/rjh.conf" enroll h3 "$k2"
match "^rjh-admin: enroll: .*read-only" "it says the registry is read-only"
expect 4 "revoke on a read-only filesystem exits 4" -- in_ro "$ADMIN" -c "$WORK/rjh.conf" revoke h1
match "read-only" "it says the registry is read-only"
expect 0 "list on a read-only filesystem still works" -- in_ro "$ADMIN" -c "$WORK/rjh.conf" list
match -o "^h1 " "list shows h1"
unchanged "$WORK/before" "the read-only attempts changed nothing"

# A locked registry: another writer holds the write lock for longer than
# rjh-admin waits (ADMIN_BUSY_MS, 10 s).
mkfifo "$WORK/lock.fifo"
sqlite3 "$REG" < "$WORK/lock.fifo" > /dev/null 2>&1 &
LOCKER=$!
exec 3> "$WORK/lock.fifo"
trap 'exec 3>&-; kill $LOCKER 2>/dev/null; rm -rf "$WORK"' EXIT
echo 'BEGIN IMMEDIATE; SELECT 1;' >&3
held=
for _ in $(seq 100); do
	if ! sqlite3 -cmd '.timeout 0' "$REG" 'BEGIN IMMEDIATE; ROLLBACK;' > /dev/null 2>&1; then
		held=1
		break
	fi
	sleep 0.05
done
[ -n "$held" ] && ok "another process holds the write lock" || not_ok "could not take the write lock"
dump > "$WORK/before"
expect 0 "list still works while a writer holds the lock" -- rjh list
t0=$(date +%s%N)
expect 4 "enroll against a locked registry exits 4" -- rjh enroll h3 "$k2"
t1=$(date +%s%N)
match "^rjh-admin: enroll: .*locked" "it says the registry is locked"
ms=$(((t1 - t0) / 1000000))
[ "$ms" -ge 9000 ] && [ "$ms" -le 20000 ] && ok "it gave up after about 10 s ($ms ms)" ||
	not_ok "it gave up after $ms ms, not about 10 s"
exec 3>&-
wait "$LOCKER"
unchanged "$WORK/before" "once the lock is released, the registry is as before"
expect 0 "enroll succeeds once the lock is released" -- rjh enroll h3 "$k2"

# Configuration errors: the file and line for what does not parse, and the
# registry untouched.
badconf() { # badconf DESCRIPTION WANT-CODES REASON-REGEX
	dump > "$WORK/before"
	expect_any "$2" "$1: enroll exits $2" -- rjh enroll h4 "$k2"
	match "^rjh-admin: enroll: .*($3)" "$1: stderr says why"
	unchanged "$WORK/before" "$1: registry unchanged"
	expect_any "$2" "$1: list exits $2 too" -- rjh list
	rm -f "$WORK/rjh.conf"
	write_conf
}
C="$WORK/rjh.conf"
write_conf "colour = blue"
badconf "an unknown key" 2 "$C:5: .*colour"
write_conf "uid_min = lots"
badconf "a bad value" 2 "$C:5: .*uid_min"
write_conf "audit = sometimes"
badconf "a bad audit value" 2 "$C:4: .*audit"
write_conf "this line has no equals sign"
badconf "a line without =" 2 "$C:5: "
printf 'registry = relative/registry.db\naudit = off\n' > "$C"
chmod 644 "$C"
badconf "a relative registry path" 2 "$C:1: .*registry"
chmod 666 "$C"
badconf "a config of mode 0666" "2 4" "$C.*(writable|mode|0666)"
chmod 620 "$C"
badconf "a group-writable config" "2 4" "$C.*(writable|mode|0620)"
chown 65534 "$C"
badconf "a config owned by nobody" "2 4" "$C.*(owned|owner|root|65534)"
expect 0 "list works again with the good config" -- rjh list

# The directories above the config and the registry, not only the files: a
# directory someone else may write lets them swap the file after any check of
# it. Refused with the directory named and why (exit 4), the registry as it was.
k5=$(newkey k5)
mkdir -m 0755 "$WORK/confdir"
cp -p "$C" "$WORK/confdir/rjh.conf"
expect 0 "a config in a root-only directory: list works" -- "$ADMIN" -c "$WORK/confdir/rjh.conf" list
chmod 0775 "$WORK/confdir"
dump > "$WORK/before"
for c in "enroll h5 $k5" list; do
	# shellcheck disable=SC2086
	expect 4 "a config in a group-writable directory: ${c%% *} exits 4" -- \
		"$ADMIN" -c "$WORK/confdir/rjh.conf" $c
	match -F "rjh-admin: ${c%% *}: $WORK/confdir/rjh.conf: directory $WORK/confdir is writable by group or others (mode 0775)" \
		"a config in a group-writable directory: ${c%% *} names the directory and why"
done
unchanged "$WORK/before" "a config in a group-writable directory: registry unchanged"
chmod 0755 "$WORK/confdir"

mkdir -m 0755 "$WORK/nobodys"
cp -p "$REG" "$WORK/nobodys/registry.db"
expect 0 "--db in a root-only directory: list works" -- rjh --db "$WORK/nobodys/registry.db" list
chown 65534 "$WORK/nobodys"
sum=$(sha256sum < "$WORK/nobodys/registry.db")
for c in list "enroll h5 $k5" "revoke h1"; do
	# shellcheck disable=SC2086
	expect 4 "--db in a directory owned by nobody: ${c%% *} exits 4" -- \
		rjh --db "$WORK/nobodys/registry.db" $c
	match -F "rjh-admin: ${c%% *}: $WORK/nobodys/registry.db: directory $WORK/nobodys is owned by uid 65534, must be owned by root" \
		"--db in a directory owned by nobody: ${c%% *} names the directory and why"
done
eq "$(sha256sum < "$WORK/nobodys/registry.db")" "$sum" \
	"--db in a directory owned by nobody: the file is byte-for-byte unchanged"
[ ! -e "$WORK/nobodys/registry.db-journal" ] && ok "--db in a directory owned by nobody: no journal" ||
	not_ok "--db in a directory owned by nobody: a journal was left"
finish
