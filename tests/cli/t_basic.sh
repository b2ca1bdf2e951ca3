# init, enroll, show, list: the happy path through the real binary.
. "$(dirname "$0")/lib.sh"
write_conf
expect 0 "init creates a registry" -- rjh init
[ "$(stat -c %a "$WORK/reg/registry.db")" = 640 ] && ok "registry is mode 0640" ||
	not_ok "registry mode is $(stat -c %a "$WORK/reg/registry.db")"
[ "$(stat -c %a "$WORK/run/hosts")" = 755 ] && ok "runtime hosts dir is 0755" ||
	not_ok "runtime hosts dir mode is $(stat -c %a "$WORK/run/hosts")"
k=$(newkey a)
expect 0 "enroll host-42" -- rjh enroll host-42 "$k"
match -o "/sock/ssh.sock" "enroll prints the socket path inside the chroot"
match -o "$WORK/run/hosts/host-42/sock/ssh.sock" "enroll prints the socket path on the jumphost"
match -o "ssh -N .*-R /sock/ssh.sock:localhost:22 host-42@jump.example.com" "enroll prints the tunnel command"
fp=$(ssh-keygen -l -E sha256 -f "$k" | awk '{print $2}')
expect 0 "show host-42" -- rjh show host-42
match -o -F "$fp" "show lists the key's ssh-keygen fingerprint"
expect 0 "list" -- rjh list
match -o "^host-42 +1900000000 +active" "list shows the host, its uid and state"

# The key helper (keys_user) reads the login snapshot, through its group;
# the registry stays root's alone.
rm -rf "$WORK/reg" "$WORK/run"
write_conf "keys_user = nobody"
expect 0 "init with keys_user = nobody" -- rjh init
eq "$(stat -c '%u %g %a' "$WORK/reg/registry.db")" "0 0 640" \
	"the registry is root's, in root's group, mode 0640"
for f in registry.db.login registry.db.login-delta; do
	eq "$(stat -c '%u %g %a' "$WORK/reg/$f")" "0 $(id -g nobody) 640" \
		"$f is root's, in nobody's group, mode 0640"
done
expect 1 "nobody cannot read the registry" -- setpriv --reuid=65534 --regid="$(id -g nobody)" --clear-groups \
	cat "$WORK/reg/registry.db"
expect 0 "nobody can read the login snapshot" -- setpriv --reuid=65534 --regid="$(id -g nobody)" --clear-groups \
	cat "$WORK/reg/registry.db.login"
rm -rf "$WORK/reg" "$WORK/run"
write_conf "keys_user = no-such-user-x"
expect 0 "init without the keys user still works" -- rjh init
match -o "adduser --system --group .* no-such-user-x" "and says how to create the user"
finish
