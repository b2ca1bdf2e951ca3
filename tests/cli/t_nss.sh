# nss_rjh through the real glibc loader: getent, id, pamtester, valgrind,
# strace and build/tools/nss-probe (glibc calls, or the module via dlopen
# where glibc hides errno and the exact nss_status).
#
# The whole file runs in a private mount namespace: $WORK/nsswitch.conf is
# bind-mounted over /etc/nsswitch.conf (and a copy of /etc/pam.d over
# /etc/pam.d for the PAM case), and LD_LIBRARY_PATH makes glibc dlopen
# build/libnss_rjh.so.2. Nothing outside the namespace changes.
. "$(dirname "$0")/private-mounts.sh"
. "$(dirname "$0")/lib.sh"
PROBE="$TOP/build/tools/nss-probe"
SO="$TOP/build/libnss_rjh.so.2"
REG="$WORK/reg/registry.db"
BG=() # background processes, killed at exit
stop_bg() {
	local p
	for p in "${BG[@]}"; do
		kill -0 "$p" 2> /dev/null && kill "$p" 2> /dev/null
		wait "$p" 2> /dev/null
	done
	BG=()
}
trap 'exec 9>&- 2> /dev/null; touch "$WORK/churn.stop"; stop_bg; rm -rf "$WORK"' EXIT

# nsswitch LINE...: what glibc in this namespace reads as /etc/nsswitch.conf
# (rewritten in place: the bind mount keeps showing the same inode).
nsswitch() {
	printf '%s\n' "$@" > "$WORK/nsswitch.conf"
}
FILES_RJH=("passwd: files rjh" "group: files rjh" "shadow: files")
# Only the module: glibc hands it the caller's buffer itself, so buffer
# sizes and enumeration test nss_rjh and not nss_files' line buffer.
RJH_ONLY=("passwd: rjh" "group: rjh" "shadow: files")
nsswitch "${FILES_RJH[@]}"
if ! mount --bind "$WORK/nsswitch.conf" /etc/nsswitch.conf; then
	not_ok "cannot bind-mount a test nsswitch.conf in the private namespace"
	finish
	exit 1
fi
export LD_LIBRARY_PATH="$TOP/build" RJH_CONF="$WORK/rjh.conf"

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# probe DESCRIPTION ARGS...: nss-probe ARGS exits 0 within 100 s; else its
# FAIL lines are shown. Its output is in $OUT.
probe() {
	local desc=$1 rc
	shift
	OUT=$(timeout 100 "$PROBE" "$@" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		ok "$desc"
	else
		not_ok "$desc (exit $rc): $(printf '%s\n' "$OUT" | grep -m6 -E '^FAIL|nss-probe|usage' |
			tr '\n' ';')"
	fi
}

# field KEY: the number after "KEY=" in $OUT.
field() {
	printf '%s\n' "$OUT" | sed -n "s/.*\\b$1=\\([0-9-]*\\).*/\\1/p" | head -1
}

# lt GOT LIMIT DESCRIPTION: GOT is a number below LIMIT.
lt() {
	if [ -n "$1" ] && [ "$1" -lt "$2" ]; then
		ok "$3 ($1 < $2)"
	else
		not_ok "$3: got '$1', wanted below $2"
	fi
}

# statuses: the module's answer for host-42 by name and uid and for the hosts group.
statuses() {
	local k
	for k in "pwnam host-42" "pwuid $UID42" "grnam rjh-hosts"; do
		# shellcheck disable=SC2086
		timeout 10 "$PROBE" status "$SO" $k | cut -d' ' -f1
		echo "rc=${PIPESTATUS[0]}"
	done | tr '\n' ' '
}
GOOD="SUCCESS rc=0 SUCCESS rc=0 SUCCESS rc=0 "
BAD="UNAVAIL rc=0 UNAVAIL rc=0 UNAVAIL rc=0 "

# unavail LABEL: the module says UNAVAIL; getent finds no host but still root.
unavail() {
	eq "$(statuses)" "$BAD" "$1: getpwnam, getpwuid and getgrnam are UNAVAIL"
	expect 2 "$1: getent passwd host-42 finds nothing" -- timeout 10 getent passwd host-42
	expect 2 "$1: getent group rjh-hosts finds nothing" -- timeout 10 getent group rjh-hosts
	expect 0 "$1: root still comes from files" -- timeout 10 getent passwd root
}

# restore LABEL: rjh-admin refresh rewrites a good snapshot.
restore() {
	rjh refresh > /dev/null 2>&1
	eq "$(statuses)" "$GOOD" "$1: after rjh-admin refresh the host resolves again"
}

# The registry: host-42, a 32-character host, 20 stable hosts.
write_conf
expect 0 "init" -- rjh init
expect 0 "enroll host-42" -- rjh enroll host-42 "$(newkey host-42)"
LONGHOST=h2345678901234567890123456789012
expect 0 "enroll a host with a 32-character name" -- rjh enroll "$LONGHOST" "$(newkey long)"
"$GENKEYS" 20 st- > "$WORK/stable.keys"
expect 0 "import 20 stable hosts" -- rjh import "$WORK/stable.keys"
UID42=$(q "SELECT uid FROM hosts WHERE name = 'host-42'")
GID=$(q "SELECT value FROM settings WHERE name = 'host_gid'")
q "SELECT name, uid FROM hosts WHERE name LIKE 'st-%'" | tr '|' ' ' > "$WORK/stable.txt"
LINE42="host-42:*:$UID42:$GID:rjh host host-42:$WORK/run/hosts/host-42:/usr/sbin/nologin"
[ "$(stat -c '%U %a' "$REG.nss")" = "root 644" ] && ok "the base snapshot is root's, mode 0644" ||
	not_ok "base snapshot: $(stat -c '%U %a' "$REG.nss" 2>&1)"

# Lookups through glibc, nsswitch "files rjh".
expect 0 "getent passwd host-42" -- getent passwd host-42
eq "$OUT" "$LINE42" "getent passwd host-42 gives the host's entry"
expect 0 "getent passwd by uid" -- getent passwd "$UID42"
eq "$OUT" "$LINE42" "getent passwd $UID42 gives host-42"
expect 0 "getent group rjh-hosts" -- getent group rjh-hosts
eq "$OUT" "rjh-hosts:*:$GID:" "getent group rjh-hosts: the hosts group, no member list"
expect 0 "getent group by gid" -- getent group "$GID"
eq "$OUT" "rjh-hosts:*:$GID:" "getent group $GID gives rjh-hosts"
expect 0 "id host-42" -- id host-42
eq "$OUT" "uid=$UID42(host-42) gid=$GID(rjh-hosts) groups=$GID(rjh-hosts)" \
	"id host-42: the host's uid, the hosts group as gid and as its only group"
expect 0 "getent initgroups host-42" -- getent initgroups host-42
match -o '^host-42 *$' "getent initgroups host-42: no groups beyond the primary one"
probe "getgrouplist and initgroups give host-42 the hosts group only" groups host-42
expect 0 "getent passwd root" -- getent passwd root
eq "$OUT" "$(grep '^root:' /etc/passwd)" "root still comes from /etc/passwd"
expect 2 "a valid name that is no host is not found" -- getent passwd nohost-1
expect 2 "an unused uid in the host range is not found" -- getent passwd $((UID42 + 5000))
expect 2 "a group other than the hosts group is not found" -- getent group nosuch-group
eq "$(getent passwd | awk -F: -v g="$GID" '$4 == g {print $1 ":" $3}' | sort)" \
	"$(q "SELECT name || ':' || uid FROM hosts" | sort)" \
	"getent passwd (enumeration) lists every host once, with its uid"
eq "$(getent group | grep -c "^rjh-hosts:")" 1 "getent group (enumeration) lists the hosts group once"

# As an ordinary user, who cannot read the registry itself.
expect 0 "as nobody: getent passwd host-42" -- as_nobody getent passwd host-42
eq "$OUT" "$LINE42" "as nobody: the same entry"
expect 0 "as nobody: getent passwd by uid" -- as_nobody getent passwd "$UID42"
expect 0 "as nobody: id host-42" -- as_nobody id host-42
expect 1 "as nobody: cat of the registry fails" -- as_nobody cat "$REG"
match "Permission denied" "as nobody: the registry is unreadable"

# Caller buffers: exact sizes, ERANGE below them, nothing written past them.
nsswitch "${RJH_ONLY[@]}"
need_pw() { # the strings of NAME's passwd entry, NULs included
	local gecos="rjh host $1" home="$WORK/run/hosts/$1" shell=/usr/sbin/nologin
	echo $((${#1} + 1 + 2 + ${#gecos} + 1 + ${#home} + 1 + ${#shell} + 1))
}
for h in host-42 "$LONGHOST"; do
	probe "bufsizes $h: ERANGE below the exact size, nothing written past the buffer" \
		bufsizes "$h" rjh-hosts
	eq "$(field 'passwd exact')" "$(need_pw "$h")" \
		"bufsizes $h: the passwd entry needs exactly its strings"
	eq "$(field 'group exact')" $((8 + 10 + 2)) \
		"bufsizes $h: the group entry needs a NULL member pointer and its strings"
	eq "$(printf '%s\n' "$OUT" | sed -n '/^passwd exact=/d; s/^passwd //p')" "$(getent passwd "$h")" \
		"bufsizes $h: the big-buffer entry is the one getent shows"
done
probe "enumeration with a big buffer" ent 65536
big=$OUT
probe "enumeration from a 1-byte buffer, grown on ERANGE" ent 1
eq "$OUT" "$big" "enumeration from a 1-byte buffer gives every entry, none skipped"
eq "$(printf '%s\n' "$big" | grep -c '^pw ')" "$(q "SELECT count(*) FROM hosts")" \
	"getpwent_r enumerates every host"
nsswitch "${FILES_RJH[@]}"

# Inside other people's processes: fork, descriptors, leaks, errno, exports.
probe "fork: the child resolves host-42, also while other threads are in the module" fork host-42
probe "100,000 lookups leave no descriptor open" fds 100000 host-42
eq "$(field first)" "$(field last)" "the descriptor count is the same after 100,000 lookups"
# --run-libc-freeres=no: glibc's exit-time cleanup dlcloses NSS modules, which
# would turn memory the module still holds (a view it keeps) into a false leak.
expect 0 "valgrind: 10,000 lookups, no invalid access, no definite leak" -- \
	timeout 100 valgrind -q --run-libc-freeres=no --leak-check=full --show-possibly-lost=no \
	--errors-for-leak-kinds=definite --error-exitcode=1 "$PROBE" loop 10000 host-42
match -o "^lookups=10000 " "valgrind ran all 10,000 lookups"
probe "the module keeps errno and reports ERANGE through *errnop (dlopen)" errno "$SO" host-42
probe "the module exports exactly the 11 NSS entry points nss_rjh.map names; dlsym finds each" \
	dlsym "$SO" "$TOP/nss_rjh/nss_rjh.map"
eq "$(nm -D --defined-only "$SO" | awk '{print $3}' | sort | tr '\n' ' ')" \
	"$(printf '_nss_rjh_%s\n' getpwnam_r getpwuid_r setpwent getpwent_r endpwent getgrnam_r \
		getgrgid_r setgrent getgrent_r endgrent initgroups_dyn | sort | tr '\n' ' ')" \
	"the dynamic symbol table holds exactly the _nss_rjh_* entry points"

# 16 threads of lookups while rjh-admin changes other hosts.
mkdir -p "$WORK/churn"
"$GENKEYS" 64 churn- 0 > "$WORK/churn.keys"
for n in $(seq 0 63); do
	sed -n "$((n + 1))p" "$WORK/churn.keys" > "$WORK/churn/$n.pub"
done
# churn SECONDS: enroll, revoke and enable churn-N, and remove the one
# enrolled 8 rounds before, until $WORK/churn.stop appears (when the threads
# are done) or, at the latest, SECONDS pass.
churn() {
	local end=$((SECONDS + $1)) i=0 n
	while [ $SECONDS -lt $end ] && [ ! -e "$WORK/churn.stop" ]; do
		n=$((i % 64))
		{ rjh enroll "churn-$n" "$WORK/churn/$n.pub" && rjh revoke "churn-$n" &&
			rjh enable "churn-$n"; } > /dev/null 2>> "$WORK/churn.err" ||
			echo "round $i" >> "$WORK/churn.failed"
		if [ $i -ge 8 ]; then
			rjh remove "churn-$(((i - 8) % 64))" > /dev/null 2>> "$WORK/churn.err" ||
				echo "round $i remove" >> "$WORK/churn.failed"
		fi
		i=$((i + 1))
	done
	echo "$i" > "$WORK/churn.rounds"
}
churn 60 &
churner=$!
BG+=("$churner")
probe "16 threads x 100,000 mixed lookups during enroll/revoke/enable/remove: every answer right" \
	threads 16 100000 "$WORK/stable.txt" rjh-hosts "$GID" churn-
touch "$WORK/churn.stop" # the loop ends after its current round
wait "$churner"
eq "$(field lookups)" 1600000 "all 1,600,000 lookups ran ($(field ms) ms)"
found=$(field churn_found)
absent=$(field churn_absent)
[ "${found:-0}" -gt 0 ] && [ "${absent:-0}" -gt 0 ] &&
	ok "the threads saw churned hosts both present and absent ($found/$absent)" ||
	not_ok "the threads never saw the churn: $OUT"
rounds=$(cat "$WORK/churn.rounds" 2> /dev/null)
[ "${rounds:-0}" -ge 10 ] && ok "rjh-admin churned $rounds rounds meanwhile" ||
	not_ok "rjh-admin churned only '${rounds:-}' rounds"
[ ! -s "$WORK/churn.failed" ] && ok "every churn command succeeded" ||
	not_ok "churn commands failed: $(head -3 "$WORK/churn.failed" "$WORK/churn.err" 2> /dev/null | tr '\n' ';')"

# Changes are seen by a new process, and by a running one, within 1 s.
expect 0 "enroll new-1" -- rjh enroll new-1 "$(newkey new-1)"
t0=$(date +%s%N)
until getent passwd new-1 > /dev/null || [ $((($(date +%s%N) - t0) / 1000000)) -ge 1000 ]; do
	sleep 0.01
done
expect 0 "a new getent sees an enrolled host within 1 s" -- getent passwd new-1
expect 0 "remove new-1" -- rjh remove new-1
t0=$(date +%s%N)
until ! getent passwd new-1 > /dev/null || [ $((($(date +%s%N) - t0) / 1000000)) -ge 1000 ]; do
	sleep 0.01
done
expect 2 "a new getent misses a removed host within 1 s" -- getent passwd new-1
# running NAME present|absent COMMAND...: a process that looked NAME up
# before COMMAND sees the change within 1 s of COMMAND's end.
running() {
	local name=$1 state=$2 pid rc t0 seen i
	shift 2
	timeout 20 "$PROBE" waitfor "$name" "$state" 10000 > "$WORK/wait.out" 2>&1 &
	pid=$!
	BG+=("$pid")
	for i in $(seq 500); do
		grep -q '^ready' "$WORK/wait.out" && break
		sleep 0.01
	done
	"$@" > /dev/null 2>&1
	t0=$(date +%s%N)
	wait "$pid"
	rc=$?
	seen=$(sed -n 's/^seen_ns=\([0-9]*\).*/\1/p' "$WORK/wait.out")
	# Negative: seen before rjh-admin returned (it writes the snapshot just before commit).
	if [ $rc = 0 ] && [ -n "$seen" ] && [ $(((seen - t0) / 1000000)) -lt 1000 ]; then
		ok "a running process sees $name $state within 1 s ($(((seen - t0) / 1000000)) ms after rjh-admin returned)"
	else
		not_ok "a running process did not see $name $state within 1 s (exit $rc): $(tr '\n' ' ' < "$WORK/wait.out")"
	fi
}
running new-2 present rjh enroll new-2 "$(newkey new-2)"
running new-2 absent rjh remove new-2

# Disabled hosts stay; removed hosts go.
expect 0 "revoke host-42" -- rjh revoke host-42
expect 0 "a disabled host resolves by name" -- getent passwd host-42
eq "$OUT" "$LINE42" "a disabled host's entry is unchanged"
expect 0 "a disabled host resolves by uid" -- getent passwd "$UID42"
expect 0 "enable host-42" -- rjh enable host-42
expect 0 "enroll gone-1" -- rjh enroll gone-1 "$(newkey gone-1)"
gone_uid=$(q "SELECT uid FROM hosts WHERE name = 'gone-1'")
expect 0 "gone-1 resolves" -- getent passwd gone-1
expect 0 "remove gone-1" -- rjh remove gone-1
expect 2 "a removed host is not found by name" -- getent passwd gone-1
expect 2 "a removed host is not found by uid" -- getent passwd "$gone_uid"

# Names that cannot be hosts: not found, and no rjh file is touched.
TRACE=(strace -f -qq -e "trace=open,openat,stat,newfstatat,statx,access,readlink" -o "$WORK/trace")
expect 0 "strace: host-42 is found" -- timeout 10 "${TRACE[@]}" getent passwd host-42
grep -qF ".nss" "$WORK/trace" && ok "strace sees a real lookup open the snapshot (the check has teeth)" ||
	not_ok "strace saw no snapshot access for host-42"
LONG1000=$(printf 'a%.0s' $(seq 1000))
for name in '../x' '*' '~*' "$LONG1000" $'a\nb' 'Host-42' 'host-42/../host-42' '.x' ''; do
	shown=$(printf '%q' "$name" | cut -c1-24)
	expect 2 "getent passwd $shown: not found" -- timeout 10 "${TRACE[@]}" getent passwd "$name"
	if grep -qF "libnss_rjh.so.2" "$WORK/trace" && ! grep -qF -e ".nss" -e "$WORK" "$WORK/trace"; then
		ok "getent passwd $shown: the module is asked and touches no rjh file"
	else
		not_ok "getent passwd $shown: $(grep -F -e .nss -e "$WORK" -e libnss_rjh "$WORK/trace" | head -3 | tr '\n' ';')"
	fi
done
for name in '../x' 'Rjh-hosts' '*'; do
	expect 2 "getent group $name: not found" -- timeout 10 "${TRACE[@]}" getent group "$name"
	! grep -qF -e ".nss" -e "$WORK" "$WORK/trace" && ok "getent group $name touches no rjh file" ||
		not_ok "getent group $name: $(grep -F -e .nss -e "$WORK" "$WORK/trace" | head -3 | tr '\n' ';')"
done

# Broken snapshots: UNAVAIL, never a crash, never a hang.
eq "$(statuses)" "$GOOD" "the module answers SUCCESS before the snapshot is broken"
mv "$REG.nss" "$WORK/base.away"
unavail "base snapshot missing"
restore "missing"
head -c 4096 /dev/urandom > "$REG.nss"
unavail "base snapshot of random bytes"
restore "random bytes"
size=$(stat -c %s "$REG.nss")
truncate -s $((size / 2)) "$REG.nss"
unavail "base snapshot truncated to half"
restore "truncated"
chown 65534 "$REG.nss"
unavail "base snapshot owned by nobody"
restore "owned by nobody"
chmod 0666 "$REG.nss"
unavail "base snapshot mode 0666"
restore "mode 0666"
chmod 0664 "$REG.nss"
unavail "base snapshot mode 0664"
restore "mode 0664"
chmod 0666 "$WORK/rjh.conf"
unavail "config (RJH_CONF) world-writable"
chmod 0644 "$WORK/rjh.conf"
chown 65534 "$WORK/rjh.conf"
unavail "config (RJH_CONF) owned by nobody"
chown 0 "$WORK/rjh.conf"
eq "$(statuses)" "$GOOD" "config fixed: the host resolves again"
# The directories above them too: whoever may write one may swap the files.
chmod 0775 "$WORK/reg"
unavail "the registry's (and snapshot's) directory group-writable"
chmod 0755 "$WORK/reg"
chown 65534 "$WORK/reg"
unavail "the registry's (and snapshot's) directory owned by nobody"
chown 0 "$WORK/reg"
chmod 0775 "$WORK"
unavail "the config's directory group-writable"
chmod 0755 "$WORK"
eq "$(statuses)" "$GOOD" "directories fixed: the host resolves again"

# A delta for another base is ignored: the base answers.
expect 0 "enroll old-1" -- rjh enroll old-1 "$(newkey old-1)"
eq "$(timeout 10 "$PROBE" status "$SO" pwnam old-1 | cut -d' ' -f1)" SUCCESS "old-1 resolves from the delta"
cp -p "$REG.nss-delta" "$WORK/old.delta"
expect 0 "remove old-1" -- rjh remove old-1
expect 0 "refresh: a new base" -- rjh refresh
cp -p "$WORK/old.delta" "$REG.nss-delta"
eq "$(timeout 10 "$PROBE" status "$SO" pwnam old-1 | cut -d' ' -f1)" NOTFOUND \
	"a delta from an older base is ignored: old-1 stays removed"
eq "$(statuses)" "$GOOD" "with the foreign delta, the base still answers"
restore "foreign delta"

# A delta that cannot be used must not bring back a host it removed.
expect 0 "enroll gone-2" -- rjh enroll gone-2 "$(newkey gone-2)"
expect 0 "refresh: gone-2 in the base" -- rjh refresh
expect 0 "remove gone-2: a tombstone in the delta" -- rjh remove gone-2
eq "$(timeout 10 "$PROBE" status "$SO" pwnam gone-2)" NOTFOUND "gone-2 is not found"
cp -p "$REG.nss-delta" "$WORK/delta.good"
for how in "random bytes" "owned by nobody" "mode 0666"; do
	cp -p "$WORK/delta.good" "$REG.nss-delta"
	case $how in
	random*) head -c "$(stat -c %s "$WORK/delta.good")" /dev/urandom > "$REG.nss-delta" ;;
	owned*) chown 65534 "$REG.nss-delta" ;;
	mode*) chmod 0666 "$REG.nss-delta" ;;
	esac
	eq "$(timeout 10 "$PROBE" status "$SO" pwnam gone-2)" UNAVAIL \
		"delta $how: the removed gone-2 is UNAVAIL, not resurrected from the base"
	expect 2 "delta $how: getent passwd gone-2 finds nothing" -- timeout 10 getent passwd gone-2
done
cp -p "$WORK/delta.good" "$REG.nss-delta"
eq "$(statuses)" "$GOOD" "good delta back: host-42 resolves"

# A writer holding the registry's write lock does not slow lookups.
mkfifo "$WORK/lock.fifo"
sqlite3 "$REG" < "$WORK/lock.fifo" > "$WORK/lock.out" 2>&1 &
BG+=("$!")
locker=$!
exec 9> "$WORK/lock.fifo"
echo 'BEGIN IMMEDIATE;' >&9
for i in $(seq 200); do
	sqlite3 "$REG" 'BEGIN IMMEDIATE; ROLLBACK;' > /dev/null 2>&1 || break
	sleep 0.01
done
expect_any "1 5" "the registry's write lock is held" -- sqlite3 "$REG" 'BEGIN IMMEDIATE;'
match "locked" "sqlite3 says the registry is locked"
probe "1,000 lookups while a writer holds the lock all succeed" loop 1000 host-42
lt "$(field ms)" 500 "1,000 lookups under the write lock take well under 1 s"
expect 0 "getent passwd host-42 under the write lock" -- timeout 10 getent passwd host-42
exec 9>&-
wait "$locker"
eq "$?" 0 "the lock holder ends when its input closes"

# A running process while the base's bytes are overwritten in place: no
# crash, and the host back afterwards. (Truncating a mapped file in place
# raises SIGBUS in every reader, as for ld.so.cache; that is out of contract:
# rjh-admin only renames new files into place, and nss_rjh(8) says so.)
cp -p "$REG.nss" "$WORK/base.good"
# inplace LABEL COMMAND: lookups for 2 s while, three times, COMMAND damages
# the mapped base and 0.2 s later the good bytes are written back, in place
# and without truncating.
inplace() {
	local label=$1 pid rc i
	shift
	timeout 20 "$PROBE" spin 2000 host-42 > "$WORK/spin.out" 2>&1 &
	pid=$!
	BG+=("$pid")
	for i in 1 2 3; do
		sleep 0.2
		"$@"
		sleep 0.2
		dd if="$WORK/base.good" of="$REG.nss" conv=notrunc status=none
	done
	wait "$pid"
	rc=$?
	[ $rc = 0 ] && ok "a running process survives the base $label in place" ||
		not_ok "a running process died when the base was $label in place (exit $rc, signal $((rc - 128)))"
	eq "$(statuses)" "$GOOD" "after the base $label in place and rewritten, host-42 resolves"
}
inplace "overwritten with random bytes" dd if=/dev/urandom of="$REG.nss" bs=1 seek=16 \
	count=$(($(stat -c %s "$REG.nss") - 16)) conv=notrunc status=none
restore "rewritten in place"

# setuid: RJH_CONF is ignored (secure_getenv). The default config and its
# snapshot do not exist here, so the module has nothing to answer from.
[ ! -e /etc/rjh/rjh.conf ] && [ ! -e /var/lib/rjh/registry.db.nss ] &&
	ok "the default /etc/rjh/rjh.conf and /var/lib/rjh/registry.db.nss do not exist" ||
	not_ok "a default rjh config or snapshot exists on this machine"
cp "$PROBE" "$WORK/probe-suid"
cp "$PROBE" "$WORK/probe-plain"
chown root:root "$WORK/probe-suid" "$WORK/probe-plain"
chmod 4755 "$WORK/probe-suid"
chmod 0755 "$WORK/probe-plain"
expect 0 "as nobody, not setuid: the module" -- \
	as_nobody env RJH_CONF="$WORK/rjh.conf" "$WORK/probe-plain" status "$SO" pwnam host-42
match -o "^SUCCESS " "as nobody, not setuid: RJH_CONF is honoured, host-42 resolves"
expect 0 "as nobody, setuid root: the module" -- \
	as_nobody env RJH_CONF="$WORK/rjh.conf" "$WORK/probe-suid" status "$SO" pwnam host-42
eq "$OUT" UNAVAIL "as nobody, setuid root: RJH_CONF is ignored, host-42 is not served"

# PAM (Debian's pam_unix): the account phase accepts a host; no password ever works.
cp -a /etc/pam.d "$WORK/pam.d"
printf '@include common-auth\n@include common-account\n' > "$WORK/pam.d/rjh-test"
if mount --bind "$WORK/pam.d" /etc/pam.d; then
	expect 0 "pam_unix acct_mgmt accepts host-42" -- timeout 10 pamtester rjh-test host-42 acct_mgmt
	expect 1 "pam_unix acct_mgmt refuses an unknown user (the check has teeth)" -- \
		timeout 10 pamtester rjh-test nohost-9 acct_mgmt
	for pw in '*' '' 'x' 'host-42'; do
		expect 1 "pam_unix authenticate host-42 with password '$pw' fails" -- \
			sh -c 'printf "%s\n" "$1" | timeout 10 pamtester rjh-test host-42 authenticate' _ "$pw"
		match "Authentication failure" "password '$pw': pamtester says Authentication failure"
	done
	umount /etc/pam.d
else
	not_ok "cannot bind-mount a copy of /etc/pam.d in the private namespace"
fi

finish
