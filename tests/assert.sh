# Assertions shared by tests/cli/lib.sh and tests/e2e/lib.sh. Each reports
# through the sourcing library's ok / not_ok.

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
