# make install DESTDIR=... PREFIX=/usr lays out the Debian paths the README documents.
. "$(dirname "$0")/lib.sh"
D="$WORK/destdir"
expect 0 "make install into a DESTDIR" -- make -C "$TOP" --no-print-directory install DESTDIR="$D" PREFIX=/usr
check_file() { # check_file PATH MODE
	if [ -f "$D$1" ] && [ "$(stat -c %a "$D$1")" = "$2" ]; then
		ok "$1 installed with mode $2"
	else
		not_ok "$1 missing or wrong mode: $(stat -c %a "$D$1" 2>&1)"
	fi
}
check_file /usr/sbin/rjh-admin 755
check_file /usr/share/man/man8/rjh-admin.8 644
check_file /usr/share/man/man8/nss_rjh.8 644
check_file /usr/share/man/man8/pam_rjh.8 644
check_file "/lib/$(gcc -print-multiarch)/libnss_rjh.so.2" 644
check_file "/lib/$(gcc -print-multiarch)/security/pam_rjh.so" 644
check_file /usr/libexec/rjh/rjh-authorized-keys 755
check_file /usr/bin/rjh-connect 4755
check_file /usr/share/man/man1/rjh-connect.1 644
check_file /etc/rjh/rjh.conf 644
check_file /usr/sbin/rjh-host 755
check_file /usr/share/man/man8/rjh-host.8 644
check_file /usr/share/man/man5/rjh.conf.5 644
check_file /etc/ssh/sshd_config.d/rjh.conf 644
check_file /lib/systemd/system/rjh-runtime.service 644
check_file /lib/systemd/system/rjh-prune.service 644
check_file /lib/systemd/system/rjh-prune.timer 644
check_file /lib/systemd/system/rjh-tunnel.service 644
check_file /lib/systemd/system/rjh-tunnel@.service 644
check_file /usr/lib/tmpfiles.d/rjh.conf 644
check_file /usr/share/pam-configs/rjh 644
# The shipped drop-in is what sshd-config prints for the default config.
eq "$(cat "$D/etc/ssh/sshd_config.d/rjh.conf")" "$("$D/usr/sbin/rjh-admin" -c /nonexistent/rjh.conf sshd-config)" \
	"the shipped sshd drop-in is sshd-config's output for the defaults"
has_line() { grep -q "$1" "$D$2" && ok "$3" || not_ok "$3: no '$1' in $2"; }
has_line "ExecStart=/usr/sbin/rjh-admin runtime" /lib/systemd/system/rjh-runtime.service \
	"rjh-runtime.service runs rjh-admin runtime"
has_line "Before=ssh.service" /lib/systemd/system/rjh-runtime.service "and runs before sshd"
has_line "ExecStart=/usr/sbin/rjh-admin prune" /lib/systemd/system/rjh-prune.service \
	"rjh-prune.service runs rjh-admin prune"
# The installed config is accepted as it is (every key at its default).
expect 4 "the installed binary parses the installed config" -- "$D/usr/sbin/rjh-admin" -c "$D/etc/rjh/rjh.conf" --db "$WORK/none.db" list
match "none.db: registry does not exist" "it gets past the config to the (missing) registry"
echo "# operator's edit" >> "$D/etc/rjh/rjh.conf"
expect 0 "a second install" -- make -C "$TOP" --no-print-directory install DESTDIR="$D" PREFIX=/usr
grep -q "operator's edit" "$D/etc/rjh/rjh.conf" && ok "install never overwrites the operator's rjh.conf" ||
	not_ok "install overwrote rjh.conf"
finish
