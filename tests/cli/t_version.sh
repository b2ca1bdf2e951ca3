# --version of every program: one line "PROGRAM VERSION (schema N)", where
# N is the number of the last sql/NNN-*.sql file and the same in all three
# (the key helper and rjh-connect know it without SQLite), and VERSION is
# the Makefile's: debian/changelog's top entry or 0.1.0, +git<hash>[.dirty]
# from a checkout, or exactly RJH_VERSION when make is given one. The key
# helper still answers sshd's "--config FILE -- USER", and rjh-connect
# --version touches nothing as root.
. "$(dirname "$0")/lib.sh"
SCHEMA=$(ls "$TOP"/sql/[0-9][0-9][0-9]-*.sql | tail -1 | sed 's|.*/0*\([0-9]*\)-.*|\1|')
BASE=0.1.0
if [ -f "$TOP/debian/changelog" ]; then
	BASE=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
fi
HASH=$(git -C "$TOP" rev-parse --short HEAD 2> /dev/null)
VERSION_RE="$(printf '%s' "$BASE" | sed 's/[.+~]/\\&/g')"
[ -n "$HASH" ] && VERSION_RE="$VERSION_RE\+git$HASH(\.dirty)?"

# version_of DIR PROGRAM: PROGRAM --version prints one line with its name,
# a version and the schema; the version is kept in $V.
version_of() {
	local dir=$1 p=$2
	expect 0 "$p --version exits 0" -- "$dir/$p" --version
	eq "$(printf '%s\n' "$OUT" | wc -l)" 1 "$p --version prints one line"
	match -o "^$p [^ ]+ \(schema $SCHEMA\)$" "$p: its name, a version, (schema $SCHEMA)"
	V=$(printf '%s' "$OUT" | sed -n "s/^$p \([^ ]*\) (schema [0-9]*)$/\1/p")
	eq "$ERR" "" "$p --version says nothing on stderr"
}

echo "# the build in build/"
versions=
for p in rjh-admin rjh-authorized-keys rjh-connect; do
	version_of "$TOP/build" "$p"
	versions="$versions $V"
	printf '%s' "$V" | grep -Eqx -- "$VERSION_RE" && ok "$p: version $V is $BASE and the checkout" ||
		not_ok "$p: version '$V' is not /$VERSION_RE/"
done
eq "$(printf '%s\n' $versions | sort -u | wc -l)" 1 "all three print the same version ($versions)"
expect 0 "rjh-admin -V" -- "$ADMIN" -V
match -o "^rjh-admin [^ ]+ \(schema $SCHEMA\)$" "-V is --version"
expect 0 "rjh-admin --help" -- "$ADMIN" --help
match -o -- "--version +print the version and the registry schema" "--help lists --version"

echo "# the schema rjh-admin speaks is the one it writes"
write_conf
rjh init > /dev/null
eq "$(q 'PRAGMA user_version')" "$SCHEMA" "init writes schema $SCHEMA, the number --version prints"

echo "# the key helper: sshd's command line still works"
k=$(newkey a)
rjh enroll host-a "$k" > /dev/null
expect 0 "--config FILE -- host-a" -- "$TOP/build/rjh-authorized-keys" --config "$WORK/rjh.conf" -- host-a
has -o "rjh host=host-a" "it prints host-a's key"
expect 0 "--config FILE -- --version: a user name, not the option" -- \
	"$TOP/build/rjh-authorized-keys" --config "$WORK/rjh.conf" -- --version
eq "$OUT" "" "after --, --version is a user (not a host): nothing printed"
expect 1 "an unknown option is refused" -- "$TOP/build/rjh-authorized-keys" --frobnicate
has "rjh-authorized-keys --version" "the usage names --version"

echo "# rjh-connect --version, setuid root, as nobody"
cp "$TOP/build/rjh-connect" "$WORK/rjh-connect"
chmod 4755 "$WORK/rjh-connect"
expect 0 "a setuid copy, run by nobody: --version exits 0" -- \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$WORK/rjh-connect" --version
match -o "^rjh-connect [^ ]+ \(schema $SCHEMA\)$" "and prints the version"
expect 0 "under strace: --version exits 0" -- \
	strace -f -e trace=openat,open,socket,connect,kill -o "$WORK/strace" \
	"$TOP/build/rjh-connect" --version
# libcap-ng (through libaudit) reads cap_last_cap when it is loaded.
others=$(grep -v 'ld\.so\.cache\|/lib/\|cap_last_cap\|+++ exited\|^[0-9]* *$' "$WORK/strace")
eq "$others" "" "rjh-connect --version opens nothing but its libraries, and no socket"
expect 1 "rjh-connect --version extra is a usage error" -- "$TOP/build/rjh-connect" --version x
match "usage: rjh-connect \\[--ssh-banner HEX\\] HOST .*--version" "its usage names --version"

echo "# make RJH_VERSION=9.9-test, into a scratch build directory"
B2="$WORK/b"
if make -C "$TOP" -s -j2 B="$B2" RJH_VERSION=9.9-test "$B2/rjh-admin" "$B2/rjh-authorized-keys" \
	"$B2/rjh-connect" > "$WORK/make.log" 2>&1; then
	ok "make B=... RJH_VERSION=9.9-test builds"
	for p in rjh-admin rjh-authorized-keys rjh-connect; do
		version_of "$B2" "$p"
		eq "$V" 9.9-test "$p: the version given to make, as given"
	done
	eq "$(ldd "$B2/rjh-authorized-keys" | grep -c 'sqlite\|crypto')" 0 \
		"the key helper links no SQLite and no crypto"
	eq "$(ldd "$B2/rjh-connect" | grep -c sqlite)" 0 "rjh-connect links no SQLite"
	make -C "$TOP" -s B="$B2" RJH_VERSION=9.9-test2 "$B2/rjh-connect" > "$WORK/make.log" 2>&1
	version_of "$B2" rjh-connect
	eq "$V" 9.9-test2 "a changed RJH_VERSION rebuilds what prints it"
else
	not_ok "make B=... RJH_VERSION=9.9-test failed: $(tail -5 "$WORK/make.log")"
fi
finish
