#!/bin/sh
# Installs the Debian packages that build, test and benchmark rjh, if any is
# missing. Idempotent: with everything present it does nothing, offline.
set -eu
pkgs="gcc make libc6-dev pkg-config libsqlite3-dev sqlite3 libssl-dev libaudit-dev
auditd libcmocka-dev libjansson-dev openssh-client openssh-server util-linux procps
iproute2 iptables netcat-openbsd socat pamtester libpam0g-dev clang-format clang libclang-rt-14-dev
selinux-policy-dev selinux-policy-default checkpolicy semodule-utils policycoreutils selinux-utils
setools python3 strace
postgresql-15 patroni python3-etcd3 etcd-server etcd-client libpq-dev curl
debhelper dh-nss dpkg-dev fakeroot lintian piuparts debootstrap systemd-container"
missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# auditd's postinst must not start a daemon on the machine: tests start their own.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.rjh
if [ ! -e /usr/sbin/policy-rc.d ]; then
	cp /usr/sbin/policy-rc.d.rjh /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
rm -f /usr/sbin/policy-rc.d.rjh
apt-get install -y -qq --no-install-recommends $missing
