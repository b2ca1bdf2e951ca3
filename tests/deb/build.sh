#!/bin/sh
# Builds rjh's Debian packages from a source tree into OUT (default
# build/deb/pkgs), with dpkg-buildpackage in a copy of the tree, so that
# nothing lands beside the checkout. Prints OUT.
# Usage: tests/deb/build.sh [SRC [OUT]]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
src=$(cd "${1:-$top}" && pwd)
out=${2:-$top/build/deb/pkgs}
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
work=$(mktemp -d "${TMPDIR:-/tmp}/rjh-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rjh-$ver"
# The tree as it is (uncommitted changes too), without build output or git.
tar -C "$src" --exclude=./build --exclude=./.git --exclude='./debian/.debhelper' -cf - . |
	tar -C "$work/rjh-$ver" -xf -
(cd "$work/rjh-$ver" && dpkg-buildpackage -b -uc -us -j2 > "$work/log" 2>&1) || {
	tail -n 40 "$work/log" >&2
	echo "build.sh: dpkg-buildpackage failed (log above)" >&2
	exit 1
}
rm -rf "$out"
mkdir -p "$out"
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
echo "$out"
