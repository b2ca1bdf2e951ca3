# Assertions shared by tests/cli/lib.sh, tests/e2e/lib.sh and
# tests/selinux/run.sh. Each reports through ok / not_ok, which count into
# PASS and FAIL; a library may redefine them after sourcing this file (the
# e2e one adds the jumphost's log to a failure).
PASS=0
FAIL=0

ok() {
	PASS=$((PASS + 1))
	echo "ok - $*"
}

not_ok() {
	FAIL=$((FAIL + 1))
	echo "not ok - $*"
}

# has [-o] TEXT [DESCRIPTION]: $ERR (or $OUT with -o) contains TEXT literally.
has() {
	local what=$ERR
	if [ "$1" = -o ]; then
		what=$OUT
		shift
	fi
	case "$what" in
	*"$1"*) ok "${2:-output contains '$1'}" ;;
	*) not_ok "${2:-output contains '$1'}: got '${what:0:300}'" ;;
	esac
}

# lacks [-o] TEXT [DESCRIPTION]: $ERR (or $OUT with -o) does not contain TEXT.
lacks() {
	local what=$ERR
	if [ "$1" = -o ]; then
		what=$OUT
		shift
	fi
	case "$what" in
	*"$1"*) not_ok "${2:-output lacks '$1'}: got '${what:0:300}'" ;;
	*) ok "${2:-output lacks '$1'}" ;;
	esac
}

# eq GOT WANT DESCRIPTION
eq() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3: got '${1:0:300}', wanted '${2:0:300}'"
	fi
}
