# import: a clean file lands whole; one bad line imports nothing unless
# --skip-invalid; every rejected line is reported as FILE:LINE: reason; and
# an import killed with SIGKILL leaves the registry as before or as after.
. "$(dirname "$0")/lib.sh"
write_conf
expect 0 "init" -- rjh init
IMPORTER=
trap '[ -n "$IMPORTER" ] && kill -9 "$IMPORTER" 2>/dev/null; rm -rf "$WORK"' EXIT

# A clean file.
"$GENKEYS" 5 imp- > "$WORK/clean.txt"
expect 0 "import of a clean file" -- rjh import "$WORK/clean.txt"
eq "$(q "SELECT group_concat(name) FROM (SELECT name FROM hosts ORDER BY name)")" \
	"imp-1,imp-2,imp-3,imp-4,imp-5" "it added the 5 hosts"
eq "$(q "SELECT count(*) FROM keys")" 5 "with their 5 keys"
fp3=$(ssh-keygen -l -E sha256 -f <(sed -n 3p "$WORK/clean.txt") | awk '{print $2}')
eq "$(q "SELECT fingerprint FROM keys k JOIN hosts h ON h.id = k.host_id WHERE h.name = 'imp-3'")" "$fp3" \
	"line 3's key belongs to imp-3 with ssh-keygen's fingerprint"
eq "$(q "SELECT count(DISTINCT uid) FROM hosts")" 5 "each host got its own uid"
eq "$(q "SELECT count(*) FROM events WHERE op = 'rjh-enroll'")" 5 "each imported host got an rjh-enroll events row"

# Several lines for one host add several keys to it; comments and blank lines are skipped.
{
	echo "# the classic shared file"
	"$GENKEYS" 3 multi | sed 's/multi[0-9]*$/multi/'
	echo
	"$GENKEYS" 1 single
} > "$WORK/multi.txt"
expect 0 "import of lines naming the same host" -- rjh import "$WORK/multi.txt"
expect 0 "show multi --json" -- rjh show multi --json
jtrue "multi has the 3 keys of its 3 lines" "len(d['keys']) == 3 and d['active_keys'] == 3"
eq "$(q "SELECT count(*) FROM hosts WHERE name IN ('multi', 'single1')")" 2 "multi and single1 were added once each"

# A file with bad lines: 3 ssh-dss, 5 a bad name, 7 line 1 again, 9 a host
# the registry already has.
"$GENKEYS" 9 bad > "$WORK/bad.txt"
"$PY" - "$WORK/bad.txt" <<'EOF'
import base64, struct, sys
def s(b): return struct.pack('>I', len(b)) + b
dss = s(b'ssh-dss') + s(b'\x00' + b'\xc5' * 128) + s(b'\x00' + b'\x91' * 20) + \
	s(b'\x3a' * 128) + s(b'\x47' * 128)
lines = open(sys.argv[1]).read().splitlines()
lines[2] = 'ssh-dss ' + base64.b64encode(dss).decode() + ' bad3'
lines[4] = lines[4].rsplit(' ', 1)[0] + ' Bad_Host'
lines[6] = lines[0]
lines[8] = lines[8].rsplit(' ', 1)[0] + ' imp-1'
open(sys.argv[1], 'w').write('\n'.join(lines) + '\n')
EOF
B="$WORK/bad.txt"
dump > "$WORK/before"
expect 2 "import of a file with bad lines exits 2" -- rjh import "$B"
for n in 3 5 7 9; do
	match "^rjh-admin: import: $B:$n: [^ ]" "line $n is reported as FILE:$n: reason"
done
match "$B:3: .*(ssh-dss|DSA)" "line 3's reason names ssh-dss"
match "$B:5: .*(host name|Bad_Host)" "line 5's reason names the host name"
match "$B:7: .*already" "line 7's reason says the key is already there"
match "$B:9: .*(imp-1|already)" "line 9's reason says imp-1 exists"
for n in 1 2 4 6 8; do
	lacks "$B:$n:" "line $n is not reported"
done
[ -z "$OUT" ] && ok "nothing on stdout" || not_ok "stdout: ${OUT:0:200}"
unchanged "$WORK/before" "one bad line imported nothing"

expect 0 "import --skip-invalid of the same file exits 0" -- rjh import "$B" --skip-invalid
for n in 3 5 7 9; do
	match "^rjh-admin: import: $B:$n: [^ ]" "--skip-invalid still reports line $n"
done
eq "$(q "SELECT group_concat(name) FROM (SELECT name FROM hosts WHERE name LIKE 'bad%' ORDER BY name)")" \
	"bad1,bad2,bad4,bad6,bad8" "the valid lines 1, 2, 4, 6, 8 were imported"
eq "$(q "SELECT count(*) FROM hosts WHERE name IN ('bad3', 'Bad_Host', 'bad5', 'bad7', 'bad9')")" 0 \
	"the rejected lines' hosts were not"
eq "$(q "SELECT count(*) FROM keys k JOIN hosts h ON h.id = k.host_id WHERE h.name = 'imp-1'")" 1 \
	"line 9's key was not added to the existing imp-1"
eq "$(q "SELECT count(*) FROM keys k JOIN hosts h ON h.id = k.host_id WHERE h.name = 'bad1'")" 1 \
	"line 7 did not add line 1's key twice"

# Refused whole: private key material, a missing file, an empty file.
newkey priv > /dev/null
{
	"$GENKEYS" 2 pk
	cat "$WORK/keys/priv"
} > "$WORK/private.txt"
dump > "$WORK/before"
expect 2 "import of a file holding a private key exits 2" -- rjh import "$WORK/private.txt"
match "PRIVATE|private" "the error says it holds a private key"
body=$(sed -n 2p "$WORK/keys/priv")
lacks "$body" "the error does not echo the private key"
unchanged "$WORK/before" "the private key file imported nothing"
expect 2 "import of a missing file exits 2" -- rjh import "$WORK/nonexistent.txt"
match "nonexistent.txt.*(no such file|does not exist|not found)" "the error says the file does not exist"
: > "$WORK/empty.txt"
expect 2 "import of an empty file exits 2" -- rjh import "$WORK/empty.txt"
match "empty" "the error says the file is empty"
unchanged "$WORK/before" "the refused imports changed nothing"

# Crash safety: kill -9 an import of 100,000 lines at a random moment; the
# registry must be the before-state or the after-state, never in between.
N=100000
"$GENKEYS" $N crash- > "$WORK/big.txt"
for trial in 1 2 3; do
	rm -rf "$WORK/reg" "$WORK/run"
	rjh init > /dev/null || not_ok "trial $trial: init failed"
	dump > "$WORK/before"
	delay=$(awk -v seed="$RANDOM$trial" 'BEGIN { srand(seed); printf "%.2f", 0.05 + rand() * 1.45 }')
	# rjh-admin itself, not the rjh function: kill -9 must hit it, not a subshell.
	"$ADMIN" -c "$WORK/rjh.conf" import "$WORK/big.txt" > /dev/null 2>&1 &
	IMPORTER=$!
	sleep "$delay"
	exec 5>&2 2> /dev/null # no "Killed" job notice
	kill -9 "$IMPORTER"
	wait "$IMPORTER"
	rc=$?
	exec 2>&5 5>&-
	IMPORTER=
	journal=$([ -e "$WORK/reg/registry.db-journal" ] && echo "a hot journal" || echo "no journal")
	# What the operator runs first; then sqlite3 (as root) rolls back any hot journal.
	expect 0 "trial $trial: rjh-admin list works after the crash" -- rjh list --json
	listed=$(printf '%s' "$OUT" | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)["hosts"]))' 2>&1)
	eq "$(q 'PRAGMA integrity_check')" ok "trial $trial: integrity_check is ok"
	hosts=$(q 'SELECT count(*) FROM hosts')
	eq "$listed" "$hosts" "trial $trial: rjh-admin listed the $hosts hosts the registry has"
	keys=$(q 'SELECT count(*) FROM keys')
	case "$hosts" in
	0)
		state="the before-state"
		unchanged "$WORK/before" "trial $trial: the registry is exactly the before-state"
		# The NSS snapshot next to the registry must not name hosts that were never committed.
		eq "$(cat "$WORK/reg/registry.db.nss"* 2> /dev/null | grep -a -c 'crash-')" 0 \
			"trial $trial: the NSS snapshot names none of the uncommitted hosts"
		;;
	$N)
		state="the after-state"
		eq "$keys" $N "trial $trial: all $N keys are there"
		;;
	*)
		state="an in-between state ($hosts hosts)"
		not_ok "trial $trial: $hosts hosts after the kill, neither 0 nor $N"
		;;
	esac
	echo "# trial $trial: killed after ${delay}s (exit $rc, $journal left): ended in $state"
done

# The same, with the kill landing while the import's commit waits: a reader
# that came in during the import holds its shared lock, so the commit cannot
# take the exclusive lock; kill -9 the import there.
rm -rf "$WORK/reg" "$WORK/run"
rjh init > /dev/null || not_ok "init failed"
dump > "$WORK/before"
"$ADMIN" -c "$WORK/rjh.conf" import "$WORK/big.txt" > /dev/null 2>&1 &
IMPORTER=$!
for _ in $(seq 200); do # until the import holds the write lock
	sqlite3 -cmd '.timeout 0' "$WORK/reg/registry.db" 'BEGIN IMMEDIATE; ROLLBACK;' > /dev/null 2>&1 || break
	sleep 0.01
done
sleep 0.3 # past the schema check, inside the import's own transaction
mkfifo "$WORK/reader.fifo"
sqlite3 "$WORK/reg/registry.db" < "$WORK/reader.fifo" > "$WORK/reader.out" 2>&1 &
READER=$!
exec 4> "$WORK/reader.fifo"
trap '[ -n "$IMPORTER" ] && kill -9 "$IMPORTER" 2>/dev/null; exec 4>&-; kill "$READER" 2>/dev/null; rm -rf "$WORK"' EXIT
echo 'BEGIN; SELECT count(*) FROM hosts;' >&4
for _ in $(seq 100); do
	[ -s "$WORK/reader.out" ] && break
	sleep 0.02
done
eq "$(cat "$WORK/reader.out")|$(kill -0 "$IMPORTER" 2> /dev/null && echo running)" "0|running" \
	"a reader holds the registry while the import is still running"
for _ in $(seq 120); do # until the import reached its commit (at most 6 s)
	cat "$WORK/reg/registry.db.nss"* 2> /dev/null | grep -aq 'crash-' && break
	sleep 0.05
done
kill -0 "$IMPORTER" 2> /dev/null && ok "the import is waiting to commit" || not_ok "the import ended before the kill"
exec 5>&2 2> /dev/null
kill -9 "$IMPORTER"
wait "$IMPORTER"
exec 2>&5 5>&-
IMPORTER=
exec 4>&-
wait "$READER"
expect 0 "rjh-admin list works after the kill" -- rjh list --json
jtrue "rjh-admin lists no host" "d['hosts'] == []"
eq "$(q 'PRAGMA integrity_check')|$(q 'SELECT count(*) FROM hosts')" "ok|0" "the import did not land"
unchanged "$WORK/before" "the registry is exactly the before-state"
eq "$(cat "$WORK/reg/registry.db.nss"* 2> /dev/null | grep -a -c 'crash-')" 0 \
	"the NSS snapshot names none of the hosts of the killed import"
finish
