# enroll refuses every key file it must not take: exit 2, a reason on
# stderr, the registry untouched, and nothing of the file echoed back.
# Then every accepted key type (and CRLF line endings) enrolls.
. "$(dirname "$0")/lib.sh"
write_conf
expect 0 "init" -- rjh init
K="$WORK/keys"
good=$(newkey good)
good_b64=$(awk '{print $2}' "$good")

# Every token of 20+ characters in a file: base64 bodies, never paths or
# short comments. stderr must not repeat any of them.
secrets_of() {
	tr -s ' \t\r' '\n\n\n' < "$1" | awk 'length >= 20' > "$WORK/secrets"
}

# refuse DESCRIPTION KEYFILE REASON-REGEX
refuse() {
	local desc=$1 file=$2 re=$3
	dump > "$WORK/before"
	expect 2 "$desc: enroll exits 2" -- rjh enroll victim "$file"
	match "^rjh-admin: enroll: .*($re)" "$desc: stderr gives the reason"
	unchanged "$WORK/before" "$desc: registry unchanged"
	if [ -e "$file" ]; then
		secrets_of "$file"
		if printf '%s' "$ERR" | grep -qF -f "$WORK/secrets"; then
			not_ok "$desc: stderr echoes the key file's contents: ${ERR:0:300}"
		else
			ok "$desc: stderr does not echo the key file"
		fi
	fi
}

# ssh-dss: a well-formed DSA public key line (p, q, g, y as mpints).
"$PY" - "$K/dss.pub" <<'EOF'
import base64, struct, sys
def s(b): return struct.pack('>I', len(b)) + b
blob = s(b'ssh-dss') + s(b'\x00' + b'\xc5' * 128) + s(b'\x00' + b'\x91' * 20) + \
	s(b'\x3a' * 128) + s(b'\x47' * 128)
open(sys.argv[1], 'w').write('ssh-dss ' + base64.b64encode(blob).decode() + ' dsa-host\n')
EOF
refuse "ssh-dss key" "$K/dss.pub" "ssh-dss|DSA"

rsa2048=$(newkey rsa2048 rsa 2048)
refuse "RSA 2048" "$rsa2048" "RSA.*(2048|short|minimum)"

newkey ca > /dev/null
cert=$(newkey certified)
ssh-keygen -q -s "$K/ca" -I id -n x "$cert"
refuse "ed25519 certificate" "$K/certified-cert.pub" "certificate"

refuse "OpenSSH private key file" "$K/good" "PRIVATE|private"

ssh-keygen -q -N '' -t rsa -b 3072 -m PEM -f "$K/pem"
refuse "PEM private key" "$K/pem" "PRIVATE|private"

openssl genpkey -algorithm ed25519 -out "$K/pkcs8.pem" 2> /dev/null
refuse "PKCS#8 private key" "$K/pkcs8.pem" "PRIVATE|private"

# Bad base64: a real key's data with one character replaced by '!'.
echo "ssh-ed25519 ${good_b64:0:30}!${good_b64:31} bad64" > "$K/bad64.pub"
refuse "bad base64" "$K/bad64.pub" "base64"

ec=$(newkey ec256 ecdsa 256)
echo "ssh-ed25519 $(awk '{print $2}' "$ec") mismatch" > "$K/mismatch.pub"
refuse "embedded type differs from the declared one" "$K/mismatch.pub" "embedded type|differs|declared"

echo "ssh-ed25519 $( (printf '%s' "$good_b64" | base64 -d; printf 'GARBAGE') | base64 -w0) trailing" \
	> "$K/trailing.pub"
refuse "trailing garbage inside the blob" "$K/trailing.pub" "trailing"

# An ECDSA point moved off its curve (last byte of y changed).
"$PY" - "$ec" "$K/offcurve.pub" <<'EOF'
import base64, sys
t, b = open(sys.argv[1]).read().split()[:2]
blob = bytearray(base64.b64decode(b))
blob[-1] ^= 0x01
open(sys.argv[2], 'w').write(t + ' ' + base64.b64encode(bytes(blob)).decode() + ' off\n')
EOF
refuse "ECDSA point not on the curve" "$K/offcurve.pub" "curve|point"

echo "restrict $(cat "$good")" > "$K/restrict.pub"
refuse "restrict option" "$K/restrict.pub" "option"
echo "from=\"1.2.3.4\" $(cat "$good")" > "$K/from.pub"
refuse "from= option" "$K/from.pub" "option"

{
	cat "$good"
	printf '# %s\n' "$(head -c 70000 /dev/zero | tr '\0' x)"
} > "$K/big.pub"
refuse "a file over 64 KiB" "$K/big.pub" "larger|too (big|large|long)|65536|64 ?KiB"

: > "$K/empty.pub"
refuse "an empty file" "$K/empty.pub" "empty|no key"

second=$(newkey second)
cat "$good" "$second" > "$K/twokeys.pub"
refuse "two keys in one file" "$K/twokeys.pub" "more than one|one key"

refuse "a missing key file" "$K/nonexistent.pub" "no such file|does not exist|not found|missing"

# add-key reads key files the same way.
expect 0 "enroll a host for add-key" -- rjh enroll addhost "$good"
dump > "$WORK/before"
expect 2 "add-key refuses a private key" -- rjh add-key addhost "$K/second"
match "PRIVATE|private" "add-key names the private key"
expect 2 "add-key refuses a certificate" -- rjh add-key addhost "$K/certified-cert.pub"
match "certificate" "add-key names the certificate"
unchanged "$WORK/before" "refused add-keys changed nothing"

# Accepted: CRLF line endings, and every accepted type.
crlf=$(newkey crlf)
sed 's/$/\r/' "$crlf" > "$K/crlf-dos.pub"
expect 0 "a CRLF key file enrolls" -- rjh enroll crlf-host "$K/crlf-dos.pub"
expect 0 "show the CRLF host" -- rjh show crlf-host
has -o "$(fp_of "$crlf")" "the CRLF key has the ssh-keygen fingerprint"
lacks -o $'\r' "no carriage return stored in the comment"

accept() { # accept HOST TYPE BITS
	local k
	k=$(newkey "$1" "$2" "$3")
	expect 0 "$2${3:+ $3} enrolls as $1" -- rjh enroll "$1" "$k"
	[ -z "$ERR" ] && ok "$1: nothing on stderr" || not_ok "$1: stderr: $ERR"
	expect 0 "show $1" -- rjh show "$1"
	has -o "$(fp_of "$k")" "$1: the stored fingerprint is ssh-keygen's"
	has -o "$4" "$1: the key type is $4"
}
accept t-ed25519 ed25519 "" ssh-ed25519
accept t-ecdsa256 ecdsa 256 ecdsa-sha2-nistp256
accept t-ecdsa384 ecdsa 384 ecdsa-sha2-nistp384
accept t-ecdsa521 ecdsa 521 ecdsa-sha2-nistp521
accept t-rsa3072 rsa 3072 ssh-rsa
n=$(q "SELECT count(DISTINCT uid) FROM hosts WHERE name LIKE 't-%'")
eq "$n" 5 "the five accepted hosts are distinct hosts with distinct uids"
finish
