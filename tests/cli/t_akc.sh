# rjh-authorized-keys, sshd's AuthorizedKeysCommand: only a host's own active
# keys, nothing (exit 0) for anything else, and fail closed (non-zero, no
# output) when the login snapshot cannot be read or trusted or the arguments
# are bad. It reads the login snapshot, never the registry.
. "$(dirname "$0")/lib.sh"
AKC="$TOP/build/rjh-authorized-keys"
write_conf
rjh init > /dev/null
ka=$(newkey a)
kb=$(newkey b)
kc=$(newkey c)
rjh enroll host-a "$ka" --from 10.1.0.0/16,2001:db8::/32 > /dev/null
rjh enroll host-b "$kb" --expires 2999-01-01 > /dev/null
rjh add-key host-a "$kc" > /dev/null
fpa=$(fp_of "$ka")
fpb=$(fp_of "$kb")
fpc=$(fp_of "$kc")
akc() { "$AKC" --config "$WORK/rjh.conf" "$@"; }
b64() { cut -d' ' -f2 "$1"; }

expect 0 "USER only: every active key of host-a" -- akc host-a
eq "$(printf '%s\n' "$OUT" | wc -l)" 2 "two lines for host-a's two keys"
match -o -F "restrict,port-forwarding,from=\"10.1.0.0/16,2001:db8::/32\" ssh-ed25519 $(b64 "$ka") rjh host=host-a key=" \
	"the line carries restrict,port-forwarding, from= and names the host"
expect 0 "host-a with its own fingerprint and key" -- akc host-a "$fpa" ssh-ed25519 "$(b64 "$ka")"
eq "$(printf '%s\n' "$OUT" | wc -l)" 1 "exactly one line"
match -o -F "$(b64 "$ka")" "it is host-a's key"
expect 0 "host-b's expiry becomes expiry-time (UTC)" -- akc host-b "$fpb"
match -o -F 'expiry-time="29990101235959Z"' "expiry-time is the host's expiry, in UTC"

# Nothing, exit 0.
for c in "a user that is not an rjh host|root" "a name that cannot be a host|-- -oProxyCommand=x" \
	"a host that does not exist|host-zz" "the key of another host|host-b $fpa" \
	"a fingerprint with another key's blob|host-a $fpa ssh-ed25519 $(b64 "$kc")" \
	"a fingerprint with the wrong type|host-a $fpa ecdsa-sha2-nistp256 $(b64 "$ka")"; do
	# shellcheck disable=SC2086
	expect 0 "nothing for ${c%%|*}" -- akc ${c#*|}
	eq "$OUT" "" "no output for ${c%%|*}"
done
rjh revoke-key "$fpc" > /dev/null
expect 0 "a revoked key" -- akc host-a "$fpc"
eq "$OUT" "" "no output for a revoked key"
sqlite3 "$WORK/reg/registry.db" "UPDATE keys SET expires = strftime('%s','now') - 5 WHERE fingerprint = '$fpa'"
# A raw UPDATE is no rjh-admin change: the next one (here refresh) publishes it.
rjh refresh > /dev/null
expect 0 "an expired key (expiry written into the registry)" -- akc host-a "$fpa"
eq "$OUT" "" "no output for an expired key"
rjh revoke host-b > /dev/null
expect 0 "a disabled host" -- akc host-b
eq "$OUT" "" "no output for a disabled host"

# Fail closed. A user name that looks like an option (sshd-config puts -- before %u).
expect 1 "-oProxyCommand=x without -- is refused as an option" -- akc -oProxyCommand=x
eq "$OUT" "" "no output for an option-like user name"
expect 1 "no arguments" -- akc
expect 1 "a malformed fingerprint" -- akc host-b notafingerprint
expect 1 "three positional arguments" -- akc host-b "$fpb" ssh-ed25519
expect 2 "a registry without a login snapshot" -- "$AKC" --config "$WORK/rjh.conf" --db "$WORK/none.db" host-b
eq "$OUT" "" "no output when the login snapshot is missing"
head -c 50000 /dev/urandom > "$WORK/corrupt.db.login"
expect 2 "a corrupt login snapshot" -- "$AKC" --config "$WORK/rjh.conf" --db "$WORK/corrupt.db" host-b
eq "$OUT" "" "no output from a corrupt login snapshot"
mkdir -m 0777 "$WORK/open"
cp -p "$WORK/reg/registry.db.login" "$WORK/reg/registry.db.login-delta" "$WORK/open/"
expect 2 "a login snapshot in a world-writable directory" -- "$AKC" --config "$WORK/rjh.conf" --db "$WORK/open/registry.db" host-b
eq "$OUT" "" "no output from an untrusted snapshot"
chmod 0666 "$WORK/reg/registry.db.login"
expect 2 "a world-writable login snapshot" -- akc host-b
chmod 0640 "$WORK/reg/registry.db.login"
chmod 0666 "$WORK/reg/registry.db.login-delta"
expect 2 "a world-writable delta (it may hold removals)" -- akc host-b
chmod 0640 "$WORK/reg/registry.db.login-delta"

# The registry itself is never opened: not when another process holds its
# lock for as long as it likes, not even when it is gone.
rjh enable host-b > /dev/null
expect 0 "host-b's key with the registry exclusively locked by another process" -- \
	bash -c 'coproc L { sqlite3 "$1" "BEGIN EXCLUSIVE; SELECT 1;" && sleep 30; }
		read -r _ <&"${L[0]}"; timeout 5 "$2" --config "$3" host-b "$4"; rc=$?
		kill "$L_PID"; exit $rc' _ "$WORK/reg/registry.db" "$AKC" "$WORK/rjh.conf" "$fpb"
match -o -F "$(b64 "$kb")" "and the answer is host-b's key"
mv "$WORK/reg/registry.db" "$WORK/reg/registry.db.away"
expect 0 "host-b's key with no registry file at all" -- akc host-b "$fpb"
match -o -F "$(b64 "$kb")" "from the login snapshot alone"
mv "$WORK/reg/registry.db.away" "$WORK/reg/registry.db"
# A change committed by a writer that died before its snapshot (a raw UPDATE
# stands in for it): the login snapshot lags until the next publisher, such
# as the boot-time rjh-admin runtime, which reads just that host again.
q "UPDATE hosts SET state = 'disabled' WHERE name = 'host-b'"
expect 0 "before any publisher runs, the snapshot still has host-b" -- akc host-b "$fpb"
match -o -F "$(b64 "$kb")" "(the documented window)"
expect 0 "rjh-admin runtime (the boot unit) publishes what was committed" -- rjh runtime --no-mount
expect 0 "after it, host-b is disabled for the key helper too" -- akc host-b "$fpb"
eq "$OUT" "" "no key for host-b"
# A change whose login snapshot cannot be written: the snapshot is removed,
# so the login path refuses every host rather than go on with an older policy.
rjh enable host-b > /dev/null
mkdir "$WORK/reg/registry.db.login-delta.tmp" "$WORK/reg/registry.db.login.tmp"
expect 4 "a revoke whose snapshot cannot be written exits 4" -- rjh revoke host-a
match "it was removed, so every host is refused until 'rjh-admin refresh' succeeds" "and says what it did"
[ ! -e "$WORK/reg/registry.db.login" ] && ok "the login snapshot is gone" ||
	not_ok "the login snapshot is still there"
expect 2 "the key helper fails closed for host-b, which was not even revoked" -- akc host-b "$fpb"
eq "$OUT" "" "no output"
rmdir "$WORK/reg/registry.db.login-delta.tmp" "$WORK/reg/registry.db.login.tmp"
expect 0 "refresh writes it again" -- rjh refresh
expect 0 "host-b's key again" -- akc host-b "$fpb"
match -o -F "$(b64 "$kb")" "from the new snapshot"
expect 0 "host-a is revoked in it" -- akc host-a "$fpa"
eq "$OUT" "" "no key for host-a"
if command -v strace > /dev/null; then
	strace -f -qq -e trace=%file,flock,fcntl -o "$WORK/akc.trace" "$AKC" --config "$WORK/rjh.conf" host-b > /dev/null
	if grep -q 'registry\.db"' "$WORK/akc.trace" || grep -qE 'flock|F_SETLK' "$WORK/akc.trace"; then
		not_ok "the helper opened the registry or took a lock: $(grep -E 'registry\.db"|flock|F_SETLK' "$WORK/akc.trace" | head -3)"
	else
		ok "the helper neither opens the registry nor takes a lock (strace)"
	fi
else
	not_ok "strace is missing (make deps)"
fi
if ldd "$AKC" | grep -q sqlite; then
	not_ok "the helper links SQLite: $(ldd "$AKC" | grep sqlite)"
else
	ok "the helper does not link SQLite"
fi
RJH_CONF=/nonexistent expect 0 "the environment is not consulted (RJH_CONF ignored)" -- akc host-a
if journalctl -n 0 > /dev/null 2>&1; then :; fi
finish
