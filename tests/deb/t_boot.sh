#!/bin/bash
# The packages' whole life on a booted Debian 12 (systemd as PID 1): install
# on a jumphost, a host behind it set up with rjh-host and its shipped unit,
# a client reaching it by name, a reboot, an upgrade from the previous
# release while the host keeps logging in, the host's tunnels to two
# jumphosts (rjh-tunnel@.service, a host CA) changed with rjh-host jumphosts,
# remove, purge.
# Usage: t_boot.sh NEW_DEBS_DIR [PREVIOUS_DEBS_DIR]
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/assert.sh"
. "$TOP/tests/deb/lib.sh"
NEW=$1
ERR=""
PREV=${2:-}
BASE_TGZ=$("$TOP/tests/deb/base.sh") || exit 1
trap ct_cleanup EXIT
JUMP_IP=10.231.0.1
HOST_IP=10.231.0.2
JUMP2_IP=10.231.1.1
HOST2_IP=10.231.1.2
new_ver=$(dpkg-deb -f "$NEW"/rjh_*.deb Version)

ct_unpack jump
ct_unpack host
mkdir -p "$DEB_RUN/jump/root/debs/new" "$DEB_RUN/host/root/debs/new"
cp "$NEW"/rjh_*.deb "$NEW"/libnss-rjh_*.deb "$NEW"/libpam-rjh_*.deb "$DEB_RUN/jump/root/debs/new/"
cp "$NEW"/rjh-host_*.deb "$DEB_RUN/host/root/debs/new/"
first=new
if [ -n "$PREV" ]; then
	first=prev
	prev_ver=$(dpkg-deb -f "$PREV"/rjh_*.deb Version)
	mkdir -p "$DEB_RUN/jump/root/debs/prev" "$DEB_RUN/host/root/debs/prev"
	cp "$PREV"/rjh_*.deb "$PREV"/libnss-rjh_*.deb "$PREV"/libpam-rjh_*.deb "$DEB_RUN/jump/root/debs/prev/"
	cp "$PREV"/rjh-host_*.deb "$DEB_RUN/host/root/debs/prev/"
fi
first_ver=$(dpkg-deb -f "$DEB_RUN/jump/root/debs/$first"/rjh_*.deb Version)

# The README's second command: doctor finds the install whole. In a
# container the kernel will not talk audit (no CAP_AUDIT_CONTROL): that one
# line is doctor's to report, every other must be ok.
check_doctor() {
	OUT=$(ct jump rjh-admin doctor 2>&1)
	eq "$(echo "$OUT" | awk '$1 == "ok" { print $2 }' | tr '\n' ' ')" \
		"nss pam sshd keys schema store runtime public_name " "rjh-admin doctor: every check but audit is ok"
	eq "$(echo "$OUT" | awk '$1 != "ok" { print $2 }')" "audit" "and audit is the container's"
}

ct_boot jump && ok "the jumphost boots with systemd as PID 1" || { not_ok "jumphost boot"; exit 1; }
ct_boot host && ok "the host boots" || { not_ok "host boot"; exit 1; }
ct_link jump "$JUMP_IP" host "$HOST_IP"

# What an uninstall must give back, as it was before rjh.
pristine() { ct jump sh -c 'cd /etc && sha256sum nsswitch.conf pam.d/* && ls -A ssh/sshd_config.d'; }
PRISTINE=$(pristine)

# A normal user, to show rjh never stands in the way of other logins.
ct jump sh -c 'useradd -m -s /bin/bash bob && ssh-keygen -q -t ed25519 -N "" -f /root/bob &&
	install -d -o bob -m 700 /home/bob/.ssh &&
	install -o bob -m 600 /root/bob.pub /home/bob/.ssh/authorized_keys'
bob_login() {
	ct jump timeout 20 ssh -F none -i /root/bob -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR bob@127.0.0.1 id -un 2>&1
}
eq "$(bob_login)" bob "before rjh: bob logs in with ssh"

echo "# install $first_ver with apt from the packages' files (every dependency is in the base)"
OUT=$(ct jump sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y \
	/root/debs/$first/*.deb" 2>&1)
rc=$?
eq "$rc" 0 "apt-get install rjh libnss-rjh libpam-rjh"
[ "$rc" = 0 ] || echo "$OUT" | tail -n 20 | sed 's/^/# /'
lacks -o "sshd was not reloaded" "postinst: sshd -t accepted the drop-in"
# Which drop-in sshd was reloaded with (0.2.0 on): the next configure
# reloads sshd only for a different one.
check_applied() {
	eq "$(ct jump cat /var/lib/rjh/sshd-dropin.applied 2>&1)" \
		"$(ct jump sha256sum /etc/ssh/sshd_config.d/rjh.conf | cut -d' ' -f1)" \
		"the registry notes the drop-in sshd has read"
}
[ "$first" = new ] && check_applied
eq "$(ct jump rjh-admin --version | cut -d' ' -f1,2)" "rjh-admin $first_ver" "rjh-admin --version: $first_ver"
eq "$(ct jump sed -n 's/^passwd:[[:space:]]*//p' /etc/nsswitch.conf)" "files rjh" \
	"nsswitch.conf: passwd: files rjh (dh-nss)"
eq "$(ct jump sed -n 's/^group:[[:space:]]*//p' /etc/nsswitch.conf)" "files rjh" "nsswitch.conf: group: files rjh"
eq "$(ct jump grep -c pam_rjh.so /etc/pam.d/common-account /etc/pam.d/common-session | tr '\n' ' ')" \
	"/etc/pam.d/common-account:1 /etc/pam.d/common-session:1 " \
	"pam-auth-update put pam_rjh in common-account and common-session"
eq "$(ct jump systemctl is-active rjh-runtime.service)" active "rjh-runtime.service ran"
eq "$(ct jump findmnt -n -o FSTYPE /run/rjh)" tmpfs "/run/rjh is a tmpfs of its own"
eq "$(ct jump systemctl is-enabled rjh-prune.timer)" enabled "rjh-prune.timer is enabled"
eq "$(ct jump stat -c '%U:%G %a' /var/lib/rjh/registry.db.login)" "root:rjh 640" \
	"the keys user rjh exists and the login snapshot is its group's"
eq "$(bob_login)" bob "with rjh installed, bob still logs in"

echo "# a host behind the jumphost: rjh-host setup, enroll, enable"
ct host sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y /root/debs/$first/*.deb" \
	> /dev/null 2>&1 && ok "apt-get install rjh-host" || not_ok "apt-get install rjh-host"
OUT=$(ct host rjh-host setup host-1 "$JUMP_IP" 2>&1)
eq "$?" 0 "rjh-host setup host-1 $JUMP_IP"
has -o "rjh-admin enroll host-1 host-1.pub" "setup prints the jumphost's command"
ct host cat /etc/rjh/tunnel_key.pub | ct jump sh -c 'cat > /root/host-1.pub'
OUT=$(ct jump rjh-admin enroll host-1 /root/host-1.pub 2>&1)
eq "$?" 0 "rjh-admin enroll host-1 on the jumphost"
ct host systemctl enable --now rjh-tunnel.service > /dev/null 2>&1 &&
	ok "systemctl enable --now rjh-tunnel.service" || not_ok "enable rjh-tunnel.service"
tunnel_up() { ct_wait "$1" jump test -S /run/rjh/hosts/host-1/sock/ssh.sock; }
tunnel_up 30 && ok "host-1's socket is on the jumphost" ||
	not_ok "no tunnel: $(ct host journalctl -u rjh-tunnel -n 5 --no-pager 2>&1)"
ct jump sh -c 'useradd -m alice && rjh-admin grant alice host-1' > /dev/null 2>&1
reach() { ct jump timeout 10 su alice -c 'rjh-connect host-1 < /dev/null' 2>&1 | head -c 8; }
eq "$(reach)" "SSH-2.0-" "alice reaches host-1's sshd by name through rjh-connect"
# What the operator sets after the install (rjh-admin doctor asks for it).
ct jump sh -c "echo 'public_name = $JUMP_IP' >> /etc/rjh/rjh.conf"
[ "$first" = new ] && check_doctor

echo "# reboot the jumphost"
ct_poweroff jump
ct_boot jump && ok "the jumphost boots again" || not_ok "reboot"
ct_link jump "$JUMP_IP" host "$HOST_IP"
eq "$(ct jump systemctl is-active rjh-runtime.service)" active "rjh-runtime.service ran at boot"
eq "$(ct jump findmnt -n -o FSTYPE /run/rjh)" tmpfs "/run/rjh is a tmpfs again, made at boot"
tunnel_up 60 && ok "host-1's tunnel came back by itself" ||
	not_ok "no tunnel after reboot: $(ct host journalctl -u rjh-tunnel -n 5 --no-pager 2>&1)"
eq "$(reach)" "SSH-2.0-" "alice reaches host-1 after the reboot"

if [ -n "$PREV" ]; then
	echo "# upgrade $prev_ver -> $new_ver while host-1 keeps logging in"
	ct host sh -c 'rm -f /root/logins /root/stop; while [ ! -e /root/stop ]; do
		ssh -F none -i /etc/rjh/tunnel_key -o BatchMode=yes -o IdentitiesOnly=yes \
			-o UserKnownHostsFile=/etc/rjh/jumphost_known_hosts -o StrictHostKeyChecking=yes \
			-o ConnectTimeout=10 host-1@'"$JUMP_IP"' true > /dev/null 2>> /root/login-errors
		echo "$(date +%s.%N) $?" >> /root/logins
	done' &
	loop=$!
	ct_wait 20 host test -s /root/logins || not_ok "the login loop did not start"
	# The tunnel's session, opened by an sshd that runs 0.1.0's pam_rjh.
	q() { ct jump sqlite3 /var/lib/rjh/registry.db "$1"; }
	old_session=$(q "SELECT id FROM sessions WHERE host = 'host-1' AND ended IS NULL AND
		fingerprint IS NOT NULL ORDER BY id LIMIT 1")
	t0=$(date +%s.%N)
	OUT=$(ct jump sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y \
		/root/debs/new/*.deb" 2>&1)
	rc=$?
	t1=$(date +%s.%N)
	sleep 2
	ct host touch /root/stop
	wait "$loop"
	eq "$rc" 0 "apt-get install of $new_ver over $prev_ver"
	[ "$rc" = 0 ] || echo "$OUT" | tail -n 20 | sed 's/^/# /'
	# A changed drop-in waits for the operator's reload (it would refuse
	# connections for a moment, while hosts log in).
	dropin_changed=
	if [ "$(ct jump cat /var/lib/rjh/sshd-dropin.applied 2>&1)" != \
		"$(ct jump sha256sum /etc/ssh/sshd_config.d/rjh.conf | cut -d' ' -f1)" ]; then
		dropin_changed=yes
		has -o "sshd applies it at its next reload" \
			"the drop-in changed: postinst says so and leaves sshd's reload to the operator"
	fi
	logins=$(ct host cat /root/logins)
	total=$(echo "$logins" | grep -c .)
	during=$(echo "$logins" | awk -v a="$t0" -v b="$t1" '$1 >= a && $1 <= b' | grep -c .)
	refused=$(echo "$logins" | awk '$2 == 255' | grep -c .)
	[ "$during" -ge 3 ] && ok "$during logins ran during the upgrade ($total in all)" ||
		not_ok "only $during logins during the upgrade"
	eq "$refused" 0 "none of them was refused"
	if [ "$refused" != 0 ]; then
		echo "$logins" | awk '$2 == 255' | sed 's/^/# refused at /'
		ct host grep -v nologin /root/login-errors | tail -n 5 | sed 's/^/# ssh: /'
		ct jump journalctl -q --no-pager -n 400 | grep -i 'rjh\|pam\|fail\|error\|refus' |
			grep -v Started | tail -n 25 | sed 's/^/# jump: /'
	fi
	eq "$(ct jump rjh-admin --version | cut -d' ' -f1,2)" "rjh-admin $new_ver" "rjh-admin --version: $new_ver"
	schema=$(ct jump rjh-admin --version | sed -n 's/.*(schema \([0-9]*\)).*/\1/p')
	eq "$(ct jump sqlite3 /var/lib/rjh/registry.db 'PRAGMA user_version')" "$schema" \
		"the registry was migrated to schema $schema with no manual command"
	tunnel_up 10 && ok "host-1's tunnel is still up" || not_ok "tunnel lost in the upgrade"
	eq "$(reach)" "SSH-2.0-" "alice reaches host-1 after the upgrade"
	eq "$(ct jump sed -n 's/^public_name = //p' /etc/rjh/rjh.conf)" "$JUMP_IP" \
		"the operator's rjh.conf (a conffile) kept its public_name"
	check_doctor
	[ -n "$dropin_changed" ] || check_applied
	# That sshd still runs the old pam_rjh; when the tunnel goes, it records
	# the end in the registry 0.2.0 migrated (007 says 0.1.0 may: compat 6).
	ct host systemctl restart rjh-tunnel.service
	for _ in $(seq 100); do
		[ -n "$(q "SELECT ended FROM sessions WHERE id = ${old_session:-0}")" ] && break
		sleep 0.1
	done
	eq "$(q "SELECT end_reason FROM sessions WHERE id = ${old_session:-0}")" closed \
		"the tunnel's session from before the upgrade was closed by its own (0.1.0) sshd"
	tunnel_up 30 && ok "and host-1's tunnel is back" || not_ok "no tunnel after its restart"
	# A unit's run: its invocation, main process and state (a stopped unit
	# keeps its last InvocationID).
	run_of() { ct host systemctl show -p InvocationID -p MainPID -p ActiveState --value "$1" | tr '\n' ' '; }
	inv=$(run_of rjh-tunnel.service)
	ct host sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y /root/debs/new/*.deb" \
		> /dev/null 2>&1 && ok "rjh-host upgraded" || not_ok "rjh-host upgrade"
	eq "$(ct host rjh-host --version)" "rjh-host $new_ver" "rjh-host --version: $new_ver"
	eq "$(run_of rjh-tunnel.service)" "$inv" \
		"the upgrade neither stopped nor restarted rjh-tunnel.service"
	tunnel_up 5 && ok "host-1's tunnel stayed up" || not_ok "the rjh-host upgrade took the tunnel down"
else
	echo "# $new_ver is the first release in debian/changelog: no upgrade to test yet"
fi

echo "# several jumphosts: rjh-tunnel@.service, pinned by a host CA"
ct_unpack jump2
mkdir -p "$DEB_RUN/jump2/root/debs/new"
cp "$NEW"/rjh_*.deb "$NEW"/libnss-rjh_*.deb "$NEW"/libpam-rjh_*.deb "$DEB_RUN/jump2/root/debs/new/"
ct_boot jump2 && ok "a second jumphost boots" || { not_ok "jump2 boot"; exit 1; }
ct_link jump2 "$JUMP2_IP" host "$HOST2_IP"
ct jump2 sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y /root/debs/new/*.deb' > /dev/null 2>&1 &&
	ok "rjh installed on jump2" || not_ok "apt-get install on jump2"
ct host cat /etc/rjh/tunnel_key.pub | ct jump2 sh -c 'cat > /root/host-1.pub'
ct jump2 sh -c 'rjh-admin enroll host-1 /root/host-1.pub && useradd -m alice &&
	rjh-admin grant alice host-1' > /dev/null 2>&1 && ok "host-1 enrolled on jump2" || not_ok "enroll on jump2"
# One CA (as rjh-admin host-ca makes it) certifies both jumphosts' host keys;
# jump's sshd also listens on 2222, which host-1 dials through the URI.
ct jump ssh-keygen -q -t ed25519 -N '' -C rjh-host-ca -f /root/host_ca
for j in "jump $JUMP_IP" "jump2 $JUMP2_IP"; do
	read -r jn jip <<< "$j"
	ct "$jn" cat /etc/ssh/ssh_host_ed25519_key.pub | ct jump sh -c "cat > /root/$jn.pub &&
		ssh-keygen -q -s /root/host_ca -I 'rjh-jumphost $jn' -h -n $jip,$jn /root/$jn.pub" &&
		ct jump cat "/root/$jn-cert.pub" | ct "$jn" sh -c 'cat > /etc/ssh/ssh_host_ed25519_key-cert.pub'
	ports=""
	[ "$jn" = jump ] && ports='Port 22\nPort 2222\n'
	ct "$jn" sed -i "1i ${ports}HostCertificate /etc/ssh/ssh_host_ed25519_key-cert.pub" /etc/ssh/sshd_config
	ct "$jn" systemctl reload ssh.service
done
ct_wait 10 jump sh -c 'ss -Htln | grep -q ":2222 "' && ok "jump's sshd listens on 2222 too" ||
	not_ok "no sshd on jump:2222"
CA=$(ct jump cat /root/host_ca.pub | cut -d' ' -f1,2)
echo "@cert-authority * $CA rjh-host-ca" | ct host sh -c 'cat > /root/ca.known'

U1="rjh-tunnel@$JUMP_IP:2222.service"
U2="rjh-tunnel@$JUMP2_IP.service"
# A unit's run: its invocation, main process and state (a stopped unit
# keeps its last InvocationID).
inv() { ct host systemctl show -p InvocationID -p MainPID -p ActiveState --value "$1" | tr '\n' ' '; }
# Until alice reaches host-1 through jumphost $1: the tunnel is up there.
reach_wait() {
	ct_wait 30 "$1" sh -c "timeout 10 su alice -c 'rjh-connect host-1 < /dev/null' 2>&1 | head -c 8 | grep -q SSH-2.0-"
}
up_on() { ct_wait "$2" "$1" test -S /run/rjh/hosts/host-1/sock/ssh.sock; }
OUT=$(ct host rjh-host setup host-1 "$JUMP_IP:2222" "$JUMP2_IP" --known-hosts /root/ca.known 2>&1)
eq "$?" 0 "rjh-host setup host-1 $JUMP_IP:2222 $JUMP2_IP --known-hosts (the CA line)"
has -o "rjh-host jumphosts $JUMP_IP:2222 $JUMP2_IP" "it prints the command that starts the tunnels"
eq "$(ct host cat /etc/rjh/jumphost_known_hosts)" "@cert-authority * $CA rjh-host-ca" \
	"the host pins the one CA line"
OUT=$(ct host rjh-host jumphosts "$JUMP_IP:2222" "$JUMP2_IP" 2>&1)
eq "$?" 0 "rjh-host jumphosts $JUMP_IP:2222 $JUMP2_IP"
has -o "stopped rjh-tunnel.service" "it takes down the one-jumphost unit"
has -o "started $U1" "it starts $U1"
has -o "started $U2" "and $U2"
eq "$(ct host systemctl is-enabled rjh-tunnel.service)" disabled "rjh-tunnel.service is disabled"
eq "$(ct host systemctl is-enabled "$U1" "$U2" | tr '\n' ' ')" "enabled enabled " "both instances are enabled"
up_on jump2 30 && ok "host-1's socket is on jump2" ||
	not_ok "no tunnel on jump2: $(ct host journalctl -u "$U2" -n 5 --no-pager 2>&1)"
ct_wait 30 jump sh -c "ss -Htn state established '( sport = :2222 )' | grep -q '$HOST_IP:'" &&
	ok "host-1's tunnel to jump is through port 2222 (the URI's port)" ||
	not_ok "no tunnel on jump:2222: $(ct host journalctl -u "$U1" -n 5 --no-pager 2>&1)"
up_on jump 30 && ok "host-1's socket is on jump" || not_ok "no socket on jump"
reach_wait jump && ok "alice reaches host-1 through jump" || not_ok "alice does not reach host-1 through jump"
reach_wait jump2 && ok "alice reaches host-1 through jump2" || not_ok "alice does not reach host-1 through jump2"

i1=$(inv "$U1")
i2=$(inv "$U2")
OUT=$(ct host rjh-host jumphosts "$JUMP2_IP" "$JUMP2_IP:22" 2>&1)
eq "$?" 2 "jumphosts refuses the same jumphost twice"
eq "$(ct host cat /etc/rjh/jumphosts | tr '\n' ' ')" "$JUMP_IP:2222 $JUMP2_IP " "the list is unchanged"
eq "$(inv "$U1") $(inv "$U2")" "$i1 $i2" "and so are both tunnels"
OUT=$(ct host rjh-host jumphosts "$JUMP_IP:2222" 2>&1)
eq "$?" 0 "rjh-host jumphosts $JUMP_IP:2222: jump2 removed"
has -o "stopped $U2" "it stops $U2"
has -o "running $U1" "and leaves $U1 running"
eq "$(inv "$U1")" "$i1" "$U1 was not restarted"
eq "$(ct host systemctl is-active "$U2"; ct host systemctl is-enabled "$U2")" "$(printf 'inactive\ndisabled')" \
	"$U2 is stopped and disabled"
ct host pgrep -f "ssh://host-1@$JUMP2_IP" > /dev/null && not_ok "an ssh to jump2 still runs" ||
	ok "no ssh to jump2 runs"
OUT=$(ct host rjh-host jumphosts "$JUMP_IP:2222" "$JUMP2_IP" 2>&1)
eq "$?" 0 "rjh-host jumphosts $JUMP_IP:2222 $JUMP2_IP: jump2 back"
has -o "started $U2" "it starts $U2 again"
eq "$(inv "$U1")" "$i1" "$U1 still was not restarted"
ct_wait 30 jump2 sh -c "ss -Htn state established '( sport = :22 )' | grep -q '$HOST2_IP:'" &&
	ok "host-1's tunnel to jump2 is back" || not_ok "no tunnel to jump2 after re-adding it"
reach_wait jump2 && ok "alice reaches host-1 through jump2 again" || not_ok "not through jump2 again"

i2=$(inv "$U2")
ct host systemctl kill -s KILL "$U2"
for _ in $(seq 200); do
	[ "$(inv "$U2")" != "$i2" ] && ct host systemctl is-active --quiet "$U2" && break
	sleep 0.1
done
[ "$(inv "$U2")" != "$i2" ] && ok "$U2's ssh killed: it restarts by itself" || not_ok "$U2 did not restart"
eq "$(inv "$U1")" "$i1" "and $U1 went on untouched"
reach_wait jump2 && ok "the tunnel to jump2 is up again" || not_ok "no tunnel to jump2 after the kill"

echo "# reboot the host: each enabled instance comes back"
ct_poweroff host
ct_boot host && ok "the host boots again" || not_ok "host reboot"
ct_link jump "$JUMP_IP" host "$HOST_IP"
ct_link jump2 "$JUMP2_IP" host "$HOST2_IP"
for u in "$U1" "$U2"; do
	ct_wait 30 host systemctl is-active --quiet "$u" && ok "$u runs after the reboot" || not_ok "$u is not running"
done
eq "$(ct host systemctl is-active rjh-tunnel.service)" inactive "rjh-tunnel.service stays down"
ct_wait 30 jump sh -c "ss -Htn state established '( sport = :2222 )' | grep -q '$HOST_IP:'" &&
	ct_wait 30 jump2 sh -c "ss -Htn state established '( sport = :22 )' | grep -q '$HOST2_IP:'" &&
	ok "both tunnels are back" || not_ok "tunnels missing after the host's reboot"
reach_wait jump && reach_wait jump2 && ok "alice reaches host-1 through both after the host's reboot" ||
	not_ok "not through both after the host's reboot"
OUT=$(ct host rjh-host show 2>&1)
has -o "$JUMP2_IP active" "rjh-host show: each jumphost's tunnel is active"
has -o "host CA: 256 SHA256:" "and the pinned CA's fingerprint"

echo "# remove with a hand-edited PAM stack"
# pam-auth-update leaves a common-* alone when a line it cannot account for
# was added by hand: the removal must stop rather than take the module out
# from under a stack that still names it.
ct jump sed -i 's/^\(account.*pam_rjh\.so.*\)$/account\toptional\tpam_permit.so\n\1/' /etc/pam.d/common-account
OUT=$(ct jump sh -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y rjh libnss-rjh libpam-rjh' 2>&1)
[ $? != 0 ] && ok "apt-get remove stops" || not_ok "apt-get remove went ahead"
has -o "still names pam_rjh.so" "libpam-rjh's prerm says why"
ct jump test -e /lib/x86_64-linux-gnu/security/pam_rjh.so && ok "pam_rjh.so is still there" ||
	not_ok "pam_rjh.so was removed"
eq "$(bob_login)" bob "bob still logs in"
ct jump sed -i '/^account\toptional\tpam_permit\.so$/d' /etc/pam.d/common-account

echo "# remove"
OUT=$(ct jump sh -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y rjh libnss-rjh libpam-rjh' 2>&1)
eq "$?" 0 "apt-get remove rjh libnss-rjh libpam-rjh"
eq "$(ct jump grep -l pam_rjh /etc/pam.d/common-account /etc/pam.d/common-session)" "" \
	"no PAM stack names pam_rjh any more"
eq "$(ct jump grep -c rjh /etc/nsswitch.conf)" 0 "nsswitch.conf no longer names rjh"
eq "$(bob_login)" bob "after remove, bob logs in"

echo "# purge"
OUT=$(ct jump sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y rjh libnss-rjh libpam-rjh' 2>&1)
eq "$?" 0 "apt-get purge"
eq "$(pristine)" "$PRISTINE" "nsswitch.conf, pam.d and sshd_config.d are as before the install"
ct jump test -e /var/lib/rjh && not_ok "/var/lib/rjh is left" || ok "the registry is gone"
ct jump findmnt /run/rjh > /dev/null && not_ok "/run/rjh is still mounted" || ok "/run/rjh is unmounted"
eq "$(bob_login)" bob "after purge, bob logs in"
OUT=$(ct host sh -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y rjh-host' 2>&1)
eq "$?" 0 "rjh-host removed, its tunnels running"
ct host pgrep -x ssh > /dev/null && not_ok "an ssh still runs on the host" || ok "its tunnels stopped: no ssh runs"
OUT=$(ct host sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y rjh-host' 2>&1)
eq "$?" 0 "rjh-host purged"
ct host test -e /etc/rjh && not_ok "/etc/rjh left on the host" || ok "the host's /etc/rjh is gone"
eq "$(ct host systemctl list-units --all --plain --no-legend 'rjh-tunnel*')" "" "no tunnel unit is left loaded"
eq "$(ct host sh -c 'ls /etc/systemd/system/*.wants/ | grep rjh-tunnel')" "" "nor enabled"

echo "t_boot: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
