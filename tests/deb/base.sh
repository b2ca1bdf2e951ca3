#!/bin/sh
# Makes (once) the cached Debian 12 root filesystem the package tests start
# from: build/deb/bookworm.tgz, a debootstrap minbase with systemd, sshd and
# what rjh's packages depend on. piuparts and the booted container both
# unpack copies of it; reruns take seconds. Prints the tarball's path.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/deb
tar=$out/bookworm.tgz
# The package list is part of the cache key: a change makes a new tarball.
pkgs=systemd,systemd-sysv,dbus,openssh-server,openssh-client,procps,iproute2,libsqlite3-0,libssl3,libaudit1,libjansson4,libpq5,libpam-modules,libpam-runtime,adduser,ca-certificates,sqlite3
key=$(printf '%s' "$pkgs" | sha256sum | cut -c1-12)
if [ -s "$tar" ] && [ "$(cat "$tar.key" 2>/dev/null)" = "$key" ]; then
	echo "$tar"
	exit 0
fi
# The machine's own mirror (its apt sources), never one written here.
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || { echo "base.sh: no Debian mirror in /etc/apt/sources*" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d "$out/rootfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
debootstrap --variant=minbase --include="$pkgs" bookworm "$tmp/root" "$mirror" > "$tmp/log" 2>&1 ||
	{ tail -n 20 "$tmp/log" >&2; exit 1; }
# The same mirror (and its security suite) for apt inside.
{
	echo "deb $mirror bookworm main"
	echo "deb $mirror bookworm-updates main"
} > "$tmp/root/etc/apt/sources.list"
sec=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep security | head -n1)
[ -z "$sec" ] || echo "deb $sec bookworm-security main" >> "$tmp/root/etc/apt/sources.list"
rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"* 
tar -C "$tmp/root" -czf "$tar.tmp" .
mv "$tar.tmp" "$tar"
echo "$key" > "$tar.key"
echo "$tar"
