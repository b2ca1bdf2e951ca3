#!/bin/bash
# make deb-check: the Debian packages built (tests/deb/build.sh), lintian at
# --fail-on error,warning, piuparts install/remove/purge on a bookworm base,
# and their whole life on booted containers (t_boot.sh), upgrading from the
# previous release in debian/changelog, built from the commit that added it.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/assert.sh"
cd "$TOP"
FAILED=""

pkgs=$(tests/deb/build.sh) && ok "dpkg-buildpackage: rjh, libnss-rjh, libpam-rjh, rjh-host" ||
	{ not_ok "the packages do not build"; exit 1; }
if out=$(lintian --fail-on error,warning "$pkgs"/*.changes 2>&1); then
	ok "lintian --fail-on error,warning"
else
	not_ok "lintian: $out"
fi

base=$(tests/deb/base.sh) || { not_ok "no base tarball"; exit 1; }
mirror=$(sed -n 's/^deb \([^ ]*\) bookworm main$/\1/p' <(tar -xzOf "$base" ./etc/apt/sources.list) | head -n1)
log=$(mktemp)
if piuparts -b "$base" -d bookworm -m "$mirror" --no-eatmydata -l "$log" \
	"$pkgs"/rjh_*.deb "$pkgs"/libnss-rjh_*.deb "$pkgs"/libpam-rjh_*.deb "$pkgs"/rjh-host_*.deb \
	> /dev/null 2>&1; then
	ok "piuparts: install, remove and purge leave a clean system"
else
	not_ok "piuparts: $(grep -E 'ERROR|FAIL' "$log" | head -n 10)"
fi
rm -f "$log"

# The previous release: the second entry of debian/changelog, as the commit
# that added it built it (a clone may carry no tags). Cached by commit.
prev=""
prev_ver=$(dpkg-parsechangelog -l debian/changelog -o 1 -c 1 -S Version 2> /dev/null)
if [ -n "$prev_ver" ]; then
	commit=$(git log --format=%H --reverse -S "rjh ($prev_ver)" -- debian/changelog | head -n1)
	if [ -z "$commit" ]; then
		not_ok "no commit added release $prev_ver to debian/changelog (a shallow clone?)"
	else
		prev=$TOP/build/deb/release-$prev_ver-${commit:0:12}
		if ! ls "$prev"/rjh_*.deb > /dev/null 2>&1; then
			src=$(mktemp -d)
			git archive "$commit" | tar -x -C "$src"
			tests/deb/build.sh "$src" "$prev" > /dev/null || prev=""
			rm -rf "$src"
		fi
		[ -n "$prev" ] && ok "release $prev_ver built from ${commit:0:12}" ||
			not_ok "release $prev_ver does not build from ${commit:0:12}"
	fi
fi
echo "deb: $PASS passed, $FAIL failed"
tests/deb/t_boot.sh "$pkgs" $prev || FAIL=$((FAIL + 1))
[ "$FAIL" = 0 ]
