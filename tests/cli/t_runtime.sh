# rjh-admin runtime without sshd: it sweeps what hosts (or anyone) left in
# their directories (stray files, nested directories, symlinks, sockets
# bound and closed), keeps sock/, ssh.sock and, of a host whose tunnel is up,
# every socket a process listens on; follows no symlink; then gives the tree
# a tmpfs of its own with runtime_size and runtime_inodes, remounts one that
# is there, leaves another filesystem's mount alone, and does not hide live
# sockets under a new mount. Without SELinux the mount data has no
# rootcontext=, even for a directory that carries a label.
#
# Runs in a private mount namespace: the mounts it makes vanish with it.
. "$(dirname "$0")/private-mounts.sh"
. "$(dirname "$0")/lib.sh"
BG=()
trap 'kill "${BG[@]}" 2> /dev/null; wait 2> /dev/null; umount -R "$WORK/run" "$WORK/peek" 2> /dev/null; rm -rf "$WORK"' EXIT
write_conf "runtime_size = 2M" "runtime_inodes = 2048"
expect 0 "init" -- rjh init
# A jumphost with no host enrolled yet (a fresh package install): the tree
# is made all the same, hosts/ included, for the first enroll.
rm -rf "$WORK/run"
expect 0 "runtime with no host enrolled, on a tree that is not there" -- rjh runtime --no-mount
eq "$(stat -c '%U %a' "$WORK/run/hosts" 2>&1)" "root 755" "it made RUNTIME/hosts, root's, 0755"
expect 0 "and again, with hosts/ empty" -- rjh runtime --no-mount
for h in alpha bravo charlie; do
	expect 0 "enroll $h" -- rjh enroll "$h" "$(newkey "$h")"
done
H=$WORK/run/hosts

# sock NAME FILE: a socket file as sshd leaves it, bound and then closed.
sock() {
	"$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$1"
}
# listen FILE: a process that binds and listens on FILE, in BG.
listen() {
	rm -f "$1" "$WORK/ready"
	"$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
open(sys.argv[2], "w").close()
time.sleep(600)' "$1" "$WORK/ready" &
	BG+=($!)
	for _ in $(seq 200); do
		[ -e "$WORK/ready" ] && return 0
		sleep 0.05
	done
	echo "listener on $1 did not start" >&2
}
names() { ls -A "$1" 2> /dev/null | tr '\n' ' '; }
unexpected_of() {
	rjh status --json "$1" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["hosts"][0]["unexpected_entries"])'
}

echo "# the sweep"
expect 0 "runtime --no-mount makes the tree" -- rjh runtime --no-mount
match -o "removed 0 leftover entries" "nothing to sweep in a new tree"
mkdir -m 0755 "$WORK/outside" && echo keep > "$WORK/outside/file" && mkdir "$WORK/outside/dir" &&
	echo keep > "$WORK/outside/dir/file"
# alpha is up: a process listens on its ssh.sock and on one more name.
listen "$H/alpha/sock/ssh.sock"
A_INO=$(stat -c %i "$H/alpha/sock/ssh.sock")
listen "$H/alpha/sock/live.sock"
for i in 1 2 3; do sock "$H/alpha/sock/x$i.sock"; done
touch "$H/alpha/sock/plain"
# bravo is down: its old ssh.sock, leftovers of every kind, and symlinks out.
sock "$H/bravo/sock/ssh.sock"
B_INO=$(stat -c %i "$H/bravo/sock/ssh.sock")
sock "$H/bravo/sock/y.sock"
mkfifo "$H/bravo/sock/fifo"
mkdir -p "$H/bravo/sock/d1/d2/d3" && touch "$H/bravo/sock/d1/d2/d3/f" &&
	ln -s "$WORK/outside" "$H/bravo/sock/d1/d2/back"
ln -s "$WORK/outside/file" "$H/bravo/sock/evil.sock"
ln -s "$WORK/outside/dir" "$H/bravo/sock/evil-dir"
mkdir -p "$H/bravo/junk/deeper" && touch "$H/bravo/junk/deeper/f"
ln -s "$WORK/outside" "$H/bravo/link"
touch "$H/bravo/stray"
# charlie: nothing but its layout. ghost: not enrolled.
mkdir -p "$H/ghost/sock" && sock "$H/ghost/sock/ssh.sock"

expect 0 "status" -- rjh status
eq "$(printf '%s\n' "$OUT" | awk 'NR > 1 {print $1, $2, $NF}' | tr '\n' ' ')" \
	"alpha up 5 bravo down 8 charlie down 0 " \
	"status: UNEXPECTED counts alpha's 5 (one live) and bravo's 8 leftovers"
match "2 hosts left 13 unexpected entries" "and a note sums them up"
expect 0 "runtime --no-mount" -- rjh runtime --no-mount
match -o "removed 12 leftover entries from 2 hosts \(1 tunnel up" \
	"runtime removes 12 entries from 2 hosts, one of them up"
match -o "1 stale removed" "and the directory of ghost, not enrolled"
eq "$(names "$H/alpha/sock")" "live.sock ssh.sock " "alpha (up) keeps ssh.sock and the socket a process listens on"
eq "$(stat -c '%i %F' "$H/alpha/sock/ssh.sock")" "$A_INO socket" "alpha's ssh.sock is the same file"
eq "$(names "$H/bravo")" "sock " "bravo's directory holds only sock/"
eq "$(names "$H/bravo/sock")" "ssh.sock " "bravo's sock/ holds only ssh.sock"
eq "$(stat -c '%i %F' "$H/bravo/sock/ssh.sock")" "$B_INO socket" "bravo's ssh.sock is the same file"
eq "$(names "$WORK/outside") $(cat "$WORK/outside/file" "$WORK/outside/dir/file" | tr '\n' ' ')" \
	"dir file  keep keep " "no symlink was followed: what they pointed at is whole"
eq "$(names "$H")" "alpha bravo charlie " "ghost is gone"
expect 0 "status after the sweep" -- rjh status
eq "$(printf '%s\n' "$OUT" | awk 'NR > 1 {print $1, $NF}' | tr '\n' ' ')" "alpha 1 bravo 0 charlie 0 " \
	"status: only alpha's live extra socket is left"
eq "$(unexpected_of alpha)" 1 "status --json: unexpected_entries"
expect 0 "runtime --no-mount again" -- rjh runtime --no-mount
match -o "removed 0 leftover entries" "a second run finds nothing more"
ln -s "$WORK/outside" "$H/charlie/sock/ssh.sock"
rm -rf "$H/bravo/sock" && ln -s "$WORK/outside/dir" "$H/bravo/sock"
expect 0 "runtime --no-mount with symlinks as sock/ and ssh.sock" -- rjh runtime --no-mount
match -o "removed 0 leftover entries" "a symlink as sock/ or ssh.sock is not swept into"
eq "$(names "$WORK/outside") $(names "$WORK/outside/dir")" "dir file  file " "nor followed"
eq "$(stat -c %F "$H/bravo/sock")" directory "the repair puts a directory back as bravo's sock/"

echo "# a tmpfs of its own"
mountpoint -q "$WORK/run" && not_ok "not a mount point so far" || ok "not a mount point so far"
expect 0 "runtime while alpha's tunnel is up" -- rjh runtime
match "warning: .* live tunnels listen on 2 sockets in it" "it warns about the live sockets"
match "next boot" "and says when the tree gets its tmpfs"
mountpoint -q "$WORK/run" && not_ok "it mounts nothing over them" || ok "it mounts nothing over them"
eq "$(stat -c %i "$H/alpha/sock/ssh.sock")" "$A_INO" "alpha's socket stays reachable"
kill "${BG[@]}" 2> /dev/null
wait 2> /dev/null
BG=()
touch "$H/bravo/sock/left"
# An SELinux label on the directory, as a filesystem labeled once may keep
# one with SELinux off (as root, security.* is only an xattr then). Under
# SELinux the new root keeps it (rootcontext=); without, it must not be
# asked for: tmpfs refuses rootcontext= (EINVAL) and the mount would fail.
LABEL=system_u:object_r:rjh_runtime_t:s0
SELINUX_ON=$([ "$(stat -f -c %t /sys/fs/selinux 2> /dev/null)" = f97cff8c ] && echo 1)
"$PY" -c 'import os, sys; os.setxattr(sys.argv[1], "security.selinux", sys.argv[2].encode() + b"\0")' \
	"$WORK/run" "$LABEL" 2> /dev/null && LABELED=1 || LABELED=
expect 0 "runtime with no tunnel up" -- rjh runtime
match -o "mounted a tmpfs of its own, size=2048k, nr_inodes=2048" "it mounts one"
label_of() { "$PY" -c 'import os, sys
try: print(os.getxattr(sys.argv[1], "security.selinux").rstrip(b"\0").decode())
except OSError: print("none")' "$1"; }
if [ -n "$SELINUX_ON" ]; then
	match -o "SELinux label $(label_of "$WORK/run")" "SELinux is on: the new root keeps the directory's label"
elif [ -z "$LABELED" ]; then
	# Not counted as a pass: only the check below runs on such a filesystem.
	echo "# this filesystem takes no security.selinux xattr: the mount data is checked without one"
	lacks -o "SELinux label" "SELinux is off: the mount data gives no label"
else
	lacks -o "SELinux label" "SELinux is off: no label in the mount data, though the directory has one"
	eq "$(label_of "$WORK/run")" none "and nothing is set on the new root"
fi
match -o "removed 2 leftover entries" "after sweeping the old tree"
eq "$(findmnt -n -o FSTYPE,SOURCE --mountpoint "$WORK/run")" "tmpfs  rjh-runtime" "$WORK/run is a tmpfs"
opts=,$(findmnt -n -o OPTIONS --mountpoint "$WORK/run"),
for o in nosuid nodev noexec size=2048k nr_inodes=2048 mode=755; do
	case $opts in *",$o,"*) ok "mounted with $o" ;; *) not_ok "mounted with $o: $opts" ;; esac
done
eq "$(stat -f -c '%T %c' "$WORK/run") $(stat -c '%U:%G %a' "$WORK/run")" "tmpfs 2048 root:root 755" \
	"statfs: 2048 inodes; the tree's root is root's, 0755"
eq "$(names "$H")" "alpha bravo charlie " "the tree is made in it"
eq "$(stat -c '%u:%g %a' "$H/alpha/sock")" "$(q "SELECT uid FROM hosts WHERE name = 'alpha'"):$(q "SELECT value FROM settings WHERE name = 'host_gid'") 700" \
	"with its owners and modes"
mkdir "$WORK/peek" && mount --bind "$WORK" "$WORK/peek"
eq "$(names "$WORK/peek/run")" "" "the old tree below the mount is gone: /run keeps no copy"
[ -n "$LABELED" ] && [ -z "$SELINUX_ON" ] &&
	eq "$(label_of "$WORK/peek/run")" "$LABEL" "the label stays on the directory below, where it was"
umount "$WORK/peek"
for i in $(seq 1 2100); do
	touch "$H/alpha/sock/f$i" 2> /dev/null || break
done
eq "$(stat -f -c %d "$WORK/run")" 0 "files fill its 2048 inodes"
touch "$H/charlie/sock/more" 2> /dev/null && not_ok "then nothing more can be made in it" ||
	ok "then nothing more can be made in it"
touch "$WORK/more" && ok "while the filesystem around it still takes files" ||
	not_ok "while the filesystem around it still takes files"
expect 0 "runtime on the tmpfs" -- rjh runtime
match -o "remounted a tmpfs of its own" "it remounts the tmpfs with the limits"
[ "$(stat -f -c %d "$WORK/run")" -gt 2000 ] && ok "and the sweep freed the inodes" ||
	not_ok "only $(stat -f -c %d "$WORK/run") inodes are free"
write_conf "runtime_size = 4M" "runtime_inodes = 4096"
expect 0 "runtime with new limits" -- rjh runtime
eq "$(stat -f -c %c "$WORK/run") $(findmnt -n -o SIZE --mountpoint "$WORK/run" | tr -d ' ')" "4096 4M" \
	"a remount applies changed limits"
for i in $(seq 1 2000); do touch "$H/charlie/f$i"; done
write_conf "runtime_size = 2M" "runtime_inodes = 1024"
expect 0 "runtime sweeps, then shrinks the tmpfs" -- rjh runtime
eq "$(stat -f -c %c "$WORK/run")" 1024 "the sweep ran first, so the smaller limit fits"
write_conf "runtime_size = 2M" "runtime_inodes = 2048"
expect 0 "runtime grows it again" -- rjh runtime
mkdir "$WORK/run/busy" && for i in $(seq 1 1500); do touch "$WORK/run/busy/f$i"; done
write_conf "runtime_size = 2M" "runtime_inodes = 1024"
expect 4 "a limit below what is in use fails (exit 4)" -- rjh runtime
match "cannot remount the tmpfs" "and says so"
match -o "3 host directories in place" "the directory repair still ran"
rm -rf "$WORK/run/busy"
umount "$WORK/run"

echo "# mounts that are not ours, and --no-mount"
mkdir "$WORK/other" && mount --bind "$WORK/other" "$WORK/run"
expect 0 "runtime on another filesystem's mount" -- rjh runtime
match -o "a mount rjh did not make \\(not a tmpfs\\): left as it is" "it leaves the operator's mount alone"
[ "$(findmnt -n -o FSTYPE --mountpoint "$WORK/run")" != tmpfs ] && ok "it is still the bind mount" ||
	not_ok "the bind mount became a $(findmnt -n -o FSTYPE --mountpoint "$WORK/run")"
umount "$WORK/run"
# A tmpfs of someone else's (runtime_dir = /run, say) is never remounted with rjh's limits.
mount -t tmpfs -o mode=1777,size=8m,nr_inodes=5000 someone-elses "$WORK/run"
expect 0 "runtime on a tmpfs rjh did not mount" -- rjh runtime
match -o "a mount rjh did not make \\(someone-elses\\): left as it is" "it leaves it alone"
eq "$(stat -f -c %c "$WORK/run") $(findmnt -n -o SOURCE --mountpoint "$WORK/run")" \
	"5000 someone-elses" "not remounted: its own 5000 inodes, not rjh's 1024"
umount "$WORK/run"
expect 0 "runtime --no-mount" -- rjh runtime --no-mount
mountpoint -q "$WORK/run" && not_ok "--no-mount mounts nothing" || ok "--no-mount mounts nothing"
mv "$WORK/run" "$WORK/run.real" && ln -s "$WORK/outside" "$WORK/run"
expect 4 "runtime refuses a symlink as the runtime directory" -- rjh runtime
eq "$(findmnt -n -o FSTYPE --mountpoint "$WORK/outside")" "" "and mounts nothing where it points"
eq "$(names "$WORK/outside")" "dir file " "nor makes anything there"
rm "$WORK/run" && mv "$WORK/run.real" "$WORK/run"
expect 0 "runtime --help" -- rjh runtime --help
match -o "--no-mount" "runtime --help documents --no-mount"
finish
