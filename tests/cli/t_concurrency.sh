# Parallel rjh-admin processes: writers wait for each other, a name or a key
# goes to exactly one of them, and every host gets its own uid.
. "$(dirname "$0")/lib.sh"
write_conf
expect 0 "init" -- rjh init
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
P="$WORK/par"
mkdir -p "$P"
for i in $(seq 40); do
	newkey "c$i" > /dev/null
done
key() { echo "$WORK/keys/c$1.pub"; }

# bg ID ARGS...: rjh ARGS in the background; exit code, stdout and stderr in $P/ID.*
bg() {
	local id=$1
	shift
	(
		rjh "$@" > "$P/$id.out" 2> "$P/$id.err"
		echo $? > "$P/$id.rc"
	) &
	PIDS+=($!)
}
wait_all() {
	wait "${PIDS[@]}"
	PIDS=()
}
codes() { # the sorted exit codes of IDs PREFIX*
	cat "$P/$1"*.rc | sort -n | uniq -c | awk '{printf "%s%sx%s", sep, $2, $1; sep = " "}'
}

# Two enrolls of different hosts at once.
bg two-a enroll pa "$(key 1)"
bg two-b enroll pb "$(key 2)"
wait_all
eq "$(codes two-)" "0x2" "two parallel enrolls of different hosts both exit 0"
eq "$(q "SELECT group_concat(name) FROM (SELECT name FROM hosts ORDER BY name)")" "pa,pb" "both hosts are enrolled"

# Eight enrolls of the same name, each with its own key.
for i in $(seq 3 10); do
	bg "same-$i" enroll same "$(key "$i")"
done
wait_all
eq "$(codes same-)" "0x1 3x7" "of 8 parallel enrolls of one name, one exits 0 and seven exit 3"
eq "$(q "SELECT count(*) FROM hosts WHERE name = 'same'")" 1 "exactly one host row 'same'"
eq "$(q "SELECT count(*) FROM keys k JOIN hosts h ON h.id = k.host_id WHERE h.name = 'same'")" 1 \
	"the host has exactly one key"
winner=$(grep -l '^0$' "$P"/same-*.rc | head -1)
winner=${winner%.rc}
eq "$(q "SELECT fingerprint FROM keys k JOIN hosts h ON h.id = k.host_id WHERE h.name = 'same'")" \
	"$(fp_of "$(key "${winner##*-}")")" "the key is the one the winner enrolled"
losers=$(for f in "$P"/same-*.rc; do [ "$(cat "$f")" = 3 ] && cat "${f%.rc}.err"; done)
n=$(printf '%s\n' "$losers" | grep -c "^rjh-admin: enroll: .*already enrolled")
eq "$n" 7 "every loser says the host is already enrolled"
eq "$(q "SELECT count(*) FROM hosts")" 3 "no loser left a host behind"

# Six enrolls of different names with the same key: one wins, the others
# leave no host behind (host and key are one transaction).
for i in $(seq 1 6); do
	bg "samekey-$i" enroll "sk$i" "$(key 11)"
done
wait_all
eq "$(codes samekey-)" "0x1 3x5" "of 6 parallel enrolls of one key, one exits 0 and five exit 3"
eq "$(q "SELECT count(*) FROM hosts WHERE name LIKE 'sk%'")" 1 "exactly one of those hosts exists"
eq "$(q "SELECT count(*) FROM keys WHERE fingerprint = '$(fp_of "$(key 11)")'")" 1 "the key is enrolled once"

# Twenty enrolls of different hosts at once.
for i in $(seq 1 20); do
	bg "many-$i" enroll "many-$i" "$(key $((i + 20)))"
done
wait_all
eq "$(codes many-)" "0x20" "20 parallel enrolls of different hosts all exit 0"
eq "$(q "SELECT count(*), count(DISTINCT uid) FROM hosts WHERE name LIKE 'many-%'")" "20|20" \
	"20 hosts with 20 distinct uids"
eq "$(q "SELECT count(DISTINCT uid) = count(*) FROM hosts")" 1 "no uid is shared by two hosts"
eq "$(q "SELECT value FROM settings WHERE name = 'next_uid'")" "$(q "SELECT max(uid) + 1 FROM hosts")" \
	"next_uid is just above the highest uid handed out"
bad=
for i in $(seq 1 20); do
	uid=$(q "SELECT uid FROM hosts WHERE name = 'many-$i'")
	grep -q "^enrolled many-$i (uid $uid)" "$P/many-$i.out" || bad="$bad many-$i"
done
eq "$bad" "" "each enroll printed the uid it stored"
eq "$(q "SELECT count(*) FROM events WHERE op = 'rjh-enroll'")" "$(q "SELECT count(*) FROM hosts")" \
	"one rjh-enroll event per enrolled host, none for the losers"
eq "$(q "PRAGMA integrity_check")" ok "the registry passes integrity_check"
finish
