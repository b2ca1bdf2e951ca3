# Conflicts and missing objects exit 3, malformed arguments exit 2, and
# neither changes the registry; init refuses to overwrite or to collide.
. "$(dirname "$0")/lib.sh"
write_conf
expect 0 "init" -- rjh init
k1=$(newkey k1)
k2=$(newkey k2)
k3=$(newkey k3)
expect 0 "enroll h1" -- rjh enroll h1 "$k1"
expect 0 "enroll h2" -- rjh enroll h2 "$k2"
expect 0 "grant alice h1" -- rjh grant alice h1

# refused WANT REASON-REGEX DESCRIPTION -- COMMAND...: exit WANT, the reason
# on stderr as "rjh-admin: CMD: ...", nothing on stdout, registry unchanged.
refused() {
	local want=$1 re=$2 desc=$3
	shift 4
	dump > "$WORK/before"
	expect "$want" "$desc exits $want" -- "$@"
	match "^rjh-admin: [a-z-]+: .*($re)" "$desc: stderr gives the reason"
	[ -z "$OUT" ] && ok "$desc: nothing on stdout" || not_ok "$desc: stdout: ${OUT:0:200}"
	unchanged "$WORK/before" "$desc: registry unchanged"
}

refused 3 "already" "enroll of a taken name" -- rjh enroll h1 "$k3"
refused 3 "already" "enroll of a key another host has" -- rjh enroll h3 "$k1"
match "host h1\b|'h1'|\bh1\b" "the message names the key's owner, h1"
lacks "h3 is already" "the message does not blame the new name"
refused 3 "already" "add-key of a key another host has" -- rjh add-key h2 "$k1"
match "\bh1\b" "the message names the key's owner, h1"
refused 3 "already" "add-key of the host's own key again" -- rjh add-key h1 "$k1"
refused 3 "not enrolled|not found|no such|does not exist" "add-key to a missing host" -- rjh add-key nohost "$k3"
match "nohost" "the message names the missing host"
refused 3 "not enrolled|not found|no such|does not exist|unknown" "revoke-key of an unknown fingerprint" -- \
	rjh revoke-key "$(fp_of "$k3")"
refused 2 "fingerprint" "revoke-key of a malformed fingerprint" -- rjh revoke-key SHA256:abc
refused 2 "fingerprint" "revoke-key of a fingerprint without SHA256:" -- \
	rjh revoke-key "$(fp_of "$k1" | cut -d: -f2)"
refused 2 "fingerprint" "revoke-key of an MD5 fingerprint" -- \
	rjh revoke-key "$(ssh-keygen -l -E md5 -f "$k1" | awk '{print $2}')"
for c in revoke enable remove; do
	refused 3 "not enrolled|not found|no such|does not exist" "$c of a missing host" -- rjh "$c" nohost
	match "nohost" "$c: the message names the missing host"
done
refused 3 "no grant|not found|does not exist" "ungrant of a missing grant" -- rjh ungrant bob h1
refused 3 "no grant|not found|does not exist" "ungrant of a grant on another pattern" -- rjh ungrant alice h2
refused 3 "already" "a duplicate grant" -- rjh grant alice h1
refused 2 "principal" "grant to an upper-case principal" -- rjh grant Alice h1
refused 2 "principal" "grant to a bare @" -- rjh grant @ h1
refused 2 "principal" "grant to a principal with a space" -- rjh grant "al ice" h1
refused 2 "principal" "grant to a principal with a slash" -- rjh grant "../etc" h1
refused 2 "principal" "grant to an empty principal" -- rjh grant "" h1
refused 2 "pattern|host name" "grant on an upper-case pattern" -- rjh grant alice 'H*'
refused 2 "pattern|host name" "grant on a pattern with a slash" -- rjh grant alice 'a/*'
refused 2 "pattern|host name" "grant on a pattern with .." -- rjh grant alice 'a..*'
refused 2 "pattern|host name" "grant on a pattern starting with -" -- rjh grant -- alice '-*'
refused 2 "pattern|host name" "grant on an empty pattern" -- rjh grant alice ""
refused 2 "pattern|host name" "grant on a bracket glob" -- rjh grant alice 'h[12]'

# init over an existing registry.
sum=$(sha256sum < "$WORK/reg/registry.db")
refused 3 "already exists|exists" "init over an existing registry" -- rjh init
eq "$(sha256sum < "$WORK/reg/registry.db")" "$sum" "the registry file is byte-for-byte the same"

# init with a bad or colliding uid range never creates a registry.
NEW="$WORK/new/registry.db"
noreg() {
	[ ! -e "$NEW" ] && ok "$1: no registry was created" || not_ok "$1: $NEW was created"
}
dump > "$WORK/before"
expect 2 "init --uid-min above --uid-max exits 2" -- rjh --db "$NEW" init --uid-min 5000 --uid-max 4000
match "uid-min|uid_min|above|range" "the reason names the uid range"
noreg "uid-min > uid-max"
expect_any "2 3" "init --uid-min 0 --uid-max 1000 (holds root) is refused" -- \
	rjh --db "$NEW" init --uid-min 0 --uid-max 1000
match "^rjh-admin: init: .*(range|uid)" "the reason names the uid range"
noreg "uid range 0-1000"
expect_any "2 3" "init --uid-min 1000 --uid-max 70000 (holds 65534) is refused" -- \
	rjh --db "$NEW" init --uid-min 1000 --uid-max 70000
match "^rjh-admin: init: .*(range|uid|65534|nobody)" "the reason names the uid range"
noreg "uid range 1000-70000"
expect 2 "init with a non-numeric uid range exits 2" -- rjh --db "$NEW" init --uid-min x --uid-max 5000
noreg "non-numeric uid range"

# A range holding an account that exists (only in this mount namespace) is a conflict.
cp /etc/passwd "$WORK/passwd"
echo "rjhtestuser:x:4242:4242::/nonexistent:/usr/sbin/nologin" >> "$WORK/passwd"
in_ns() {
	unshare -m bash -c 'mount --bind "$1" /etc/passwd && shift && exec "$@"' _ "$WORK/passwd" "$@"
}
expect 3 "init with a range holding an existing user exits 3" -- \
	in_ns "$ADMIN" -c "$WORK/rjh.conf" --db "$NEW" init --uid-min 4000 --uid-max 5000
match "rjhtestuser|4242" "the reason names the user"
noreg "range holding a user"
expect 3 "init with a range whose end is an existing uid exits 3" -- \
	in_ns "$ADMIN" -c "$WORK/rjh.conf" --db "$NEW" init --uid-min 4242 --uid-max 5000
noreg "range starting at a user's uid"

# A hosts group that already exists is a conflict.
write_conf "host_group = root"
expect 3 "init with an existing group as host_group exits 3" -- rjh --db "$NEW" init
match "root" "the reason names the group"
noreg "existing host group"
write_conf
unchanged "$WORK/before" "the refused inits left the existing registry unchanged"
expect 0 "a valid range is accepted" -- rjh --db "$NEW" init --uid-min 4000 --uid-max 5000

# A used-up uid range is a conflict; a removed host's uid is not handed out again.
SMALL="$WORK/small/registry.db"
expect 0 "init a registry with room for two hosts" -- rjh --db "$SMALL" init --uid-min 6000 --uid-max 6001
u1=$(newkey u1)
u2=$(newkey u2)
u3=$(newkey u3)
expect 0 "enroll the first host" -- rjh --db "$SMALL" enroll u1 "$u1"
expect 0 "enroll the second host" -- rjh --db "$SMALL" enroll u2 "$u2"
sqlite3 "$SMALL" .dump > "$WORK/small.before"
expect 3 "a third host exits 3: the uid range is used up" -- rjh --db "$SMALL" enroll u3 "$u3"
match "exhausted|used up|range" "the reason says the uid range is used up"
eq "$(sqlite3 "$SMALL" .dump | cmp - "$WORK/small.before" && echo same)" same "the refused enroll changed nothing"
expect 0 "remove the second host" -- rjh --db "$SMALL" remove u2
expect 3 "the removed host's uid is not handed out again" -- rjh --db "$SMALL" enroll u3 "$u3"
eq "$(sqlite3 "$SMALL" "SELECT group_concat(name || ':' || uid) FROM hosts")" "u1:6000" "only u1 (uid 6000) is left"
finish
