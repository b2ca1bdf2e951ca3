# Shared by the CLI tests: a private workspace, a config, assertions and a
# summary line. Source it from tests/cli/t_*.sh; call `finish` at the end.
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/assert.sh"
ADMIN="$TOP/build/rjh-admin"
GENKEYS="$TOP/build/tools/gen-keys"
WORK=$(mktemp -d /tmp/rjh-cli.XXXXXX)
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
TEST_NAME=$(basename "$0" .sh)

# Writes $WORK/rjh.conf (root-owned, 0644) for a registry in $WORK; extra
# "key = value" lines may be given as arguments.
write_conf() {
	{
		echo "registry = $WORK/reg/registry.db"
		echo "runtime_dir = $WORK/run"
		echo "public_name = jump.example.com"
		case " $* " in *" audit = "*) ;; *) echo "audit = off" ;; esac
		for l in "$@"; do echo "$l"; done
	} > "$WORK/rjh.conf"
	chmod 644 "$WORK/rjh.conf"
}

# rjh-admin against the workspace config.
rjh() {
	"$ADMIN" -c "$WORK/rjh.conf" "$@"
}

# A fresh ed25519 key pair $WORK/keys/NAME and NAME.pub.
newkey() {
	mkdir -p "$WORK/keys"
	rm -f "$WORK/keys/$1" "$WORK/keys/$1.pub"
	ssh-keygen -q -N '' -t "${2:-ed25519}" ${3:+-b "$3"} -C "$1" -f "$WORK/keys/$1"
	echo "$WORK/keys/$1.pub"
}

# A logical dump of the registry: schema and every row.
dump() {
	sqlite3 "$WORK/reg/registry.db" .dump 2>&1
}

# expect RC DESCRIPTION -- COMMAND...: runs COMMAND, checks its exit status,
# keeps stdout in $OUT and stderr in $ERR.
expect() {
	local want=$1 desc=$2
	shift 3
	OUT=$("$@" 2> "$WORK/.err")
	local got=$?
	ERR=$(cat "$WORK/.err")
	if [ "$got" = "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc (exit $got, wanted $want; stderr: ${ERR:0:300})"
	fi
}

# Asserts that $ERR (or $OUT with -o) matches an extended regex (a fixed
# string with -F, e.g. a fingerprint, whose '+' is not a regex operator).
match() {
	local what=$ERR mode=-E
	while :; do
		case "$1" in
		-o) what=$OUT; shift ;;
		-F) mode=-F; shift ;;
		*) break ;;
		esac
	done
	if printf '%s' "$what" | grep "$mode" -q -- "$1"; then
		ok "${2:-output matches /$1/}"
	else
		not_ok "${2:-output matches /$1/}: got '${what:0:300}'"
	fi
}

# Asserts that the registry dump equals the saved one ($1: a file from `dump`).
unchanged() {
	if dump | cmp -s - "$1"; then
		ok "${2:-registry unchanged}"
	else
		not_ok "${2:-registry unchanged}: $(dump | diff "$1" - | head -5)"
	fi
}

finish() {
	echo "$TEST_NAME: $PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
}

# Helpers added for the refusal, lifecycle and robustness tests.

# expect_any "RC..." DESCRIPTION -- COMMAND...: like expect, but any of the
# listed exit codes passes (the code is kept in $RC).
expect_any() {
	local want=$1 desc=$2
	shift 3
	OUT=$("$@" 2> "$WORK/.err")
	RC=$?
	ERR=$(cat "$WORK/.err")
	case " $want " in
	*" $RC "*) ok "$desc" ;;
	*) not_ok "$desc (exit $RC, wanted one of $want; stderr: ${ERR:0:300})" ;;
	esac
}


# python3 for JSON checks; the system one starts much faster than a pyenv shim.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

# jtrue DESCRIPTION PYEXPR: $OUT is JSON and the Python expression over it
# (as d) is true.
jtrue() {
	local why
	if why=$(printf '%s' "$OUT" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if eval(sys.argv[1]) else "false: " + sys.argv[1])' "$2" 2>&1); then
		ok "$1"
	else
		not_ok "$1: $(printf '%s' "$why" | tail -1 | cut -c1-300)"
	fi
}

# The SHA256 fingerprint of a public key file, as ssh-keygen prints it.
fp_of() {
	ssh-keygen -l -E sha256 -f "$1" | awk '{print $2}'
}

# sqlite3 against the workspace registry.
q() {
	sqlite3 "$WORK/reg/registry.db" "$@"
}
