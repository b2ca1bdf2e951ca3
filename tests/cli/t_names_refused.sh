# enroll refuses hostile and colliding host names with the registry untouched:
# exit 1 when the shell word is an option, exit 2 when it is a bad name.
. "$(dirname "$0")/lib.sh"
write_conf
expect 0 "init" -- rjh init
k=$(newkey n)

# refuse_name WANT REASON-REGEX NAME [--]: enroll NAME, after -- with a 4th argument.
refuse_name() {
	local want=$1 re=$2 name=$3 label
	label="$(printf %q "$name")${4:+ after --}"
	dump > "$WORK/before"
	if [ -n "${4:-}" ]; then
		expect "$want" "enroll $label exits $want" -- rjh enroll -- "$name" "$k"
	else
		expect "$want" "enroll $label exits $want" -- rjh enroll "$name" "$k"
	fi
	match "^rjh-admin: enroll: .*($re)" "enroll $label: stderr gives the reason"
	[ -z "$OUT" ] && ok "enroll $label: nothing on stdout" || not_ok "enroll $label: stdout: ${OUT:0:200}"
	unchanged "$WORK/before" "enroll $label: registry unchanged"
}

syntax="host name|must start|may contain|\.\."
refuse_name 2 "$syntax" "../x"
refuse_name 2 "$syntax" "a/b"
refuse_name 2 "$syntax" "."
refuse_name 2 "$syntax" ".."
refuse_name 2 "$syntax" "a..b"
refuse_name 1 "unknown or incomplete option" "-x"
refuse_name 1 "unknown or incomplete option" "--x"
refuse_name 2 "$syntax" "-x" --
refuse_name 2 "$syntax" "--x" --
refuse_name 2 "$syntax" "-oProxyCommand=x" --
refuse_name 2 "$syntax" "Host42"
refuse_name 2 "longer than 32|too long|$syntax" "h$(printf '%032d' 0)"
refuse_name 2 "$syntax" "1host"
refuse_name 2 "existing system user" "root"
refuse_name 2 "existing system user" "daemon"
refuse_name 2 "existing system (user|group)" "nobody"
refuse_name 2 "existing system group" "nogroup"
refuse_name 2 "hosts group" "rjh-hosts"
refuse_name 2 "$syntax" "host 42"
refuse_name 2 "empty|$syntax" ""
refuse_name 2 "$syntax" $'host\n42'

# A usage error says how to get help.
expect 1 "enroll -x exits 1" -- rjh enroll -x "$k"
match "Usage: .*enroll" "the usage error shows the usage line"

# An account that exists only in this mount namespace's /etc/passwd, outside
# the host uid range, is a system user too (enroll asks NSS for each name).
cp /etc/passwd "$WORK/passwd"
echo "rjhtestuser:x:4242:4242::/nonexistent:/usr/sbin/nologin" >> "$WORK/passwd"
dump > "$WORK/before"
expect 2 "enroll refuses a user that exists only in NSS" -- unshare -m bash -c \
	'mount --bind "$1" /etc/passwd && exec "$2" -c "$3" enroll rjhtestuser "$4"' _ \
	"$WORK/passwd" "$ADMIN" "$WORK/rjh.conf" "$k"
match "existing system user.*4242" "the refusal names the user and its uid"
unchanged "$WORK/before" "registry unchanged"

# The other commands that take a host name refuse hostile names as bad input.
for c in show revoke enable remove; do
	dump > "$WORK/before"
	expect 2 "$c '../x' exits 2" -- rjh "$c" ../x
	expect 2 "$c -- '-oProxyCommand=x' exits 2" -- rjh "$c" -- -oProxyCommand=x
	unchanged "$WORK/before" "$c with hostile names changed nothing"
done

# Exactly 32 characters is allowed.
n32="h$(printf '%031d' 0)"
expect 0 "a 32-character name is accepted" -- rjh enroll "$n32" "$k"
expect 0 "list" -- rjh list
match -o "^$n32 " "the 32-character host is listed"
eq "$(q "SELECT count(*) FROM hosts")" 1 "exactly one host was ever enrolled"
finish
