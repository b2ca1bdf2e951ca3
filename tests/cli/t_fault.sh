# Fault injection (tests/fault/fault.c, LD_PRELOAD): on every path that runs
# inside someone else's login, one call of malloc/calloc/realloc, open/openat,
# mmap or sqlite3_step/exec/prepare fails, the N-th of them. N runs over the
# whole path (counted first) for SQLite calls; other sets are sampled at a
# fixed stride (the same N every run) when a path makes more calls than
# FAULT_MAX (ALLOC_MAX for allocations), plus the last few. At each N: no
# crash (no signal, no sanitizer report), no hang (timeout), no descriptor
# left behind, and either the right answer or a clean failure that denies
# hosts and leaves everyone else alone:
#   - NSS: getent passwd through glibc, and build/tools/nss-probe fault
#     (glibc and the module itself, errno and descriptors checked in-process);
#   - rjh-authorized-keys as sshd runs it: the right keys, or nothing and
#     a non-zero exit;
#   - pam_rjh account, open and close (build/tools/pam-run): never success
#     for a host that must be refused, never PAM_IGNORE for a host, and never
#     success for root from pam_rjh itself;
#   - rjh-connect as root (setuid ignores LD_PRELOAD only for others): the
#     relay's right answer or an error line and a non-zero exit;
#   - rjh-admin enroll and remove, on a registry of their own: a failure
#     before the commit leaves the registry dump and every reader's answers
#     as before; after it, the generation went up by one and the login
#     snapshot is current or removed (exit 4), never behind the registry.
#     libcrypto's first allocations (its set-up) are all tried under enroll.
#
# Every path prints how many of its calls were made to fail. rjh-admin runs
# beside the other paths (its registry, snapshots and counter are its own);
# the others run one after another on the shared registry.
#
# Runs in a private mount namespace whose /etc is an overlay (nsswitch.conf
# "files rjh" and /etc/rjh/rjh.conf live only there), with a /dev/log of its
# own (tests/devlog.sh), so nothing outside changes.
. "$(dirname "$0")/private-mounts.sh"
. "$(dirname "$0")/lib.sh"
DEVLOG_TMP=$WORK . "$TOP/tests/devlog.sh"
BG=()
trap 'for p in "${BG[@]}"; do kill "$p" 2> /dev/null; done; [ ${#BG[@]} = 0 ] || wait "${BG[@]}" 2> /dev/null
	devlog_stop; umount /etc 2> /dev/null; umount "$WORK" 2> /dev/null; rm -rf "$WORK"' EXIT
SHIM="$TOP/build/tools/libfault.so"
PROBE="$TOP/build/tools/nss-probe"
PAMRUN="$TOP/build/tools/pam-run"
AKC="$TOP/build/rjh-authorized-keys"
NSSO="$TOP/build/libnss_rjh.so.2"
# The counter file and stderr of the command under test (per section).
CNT="$WORK/fault.counter"
ERRF="$WORK/.err"
# A path with more calls of a set than this is sampled at a stride (0: all).
FAULT_MAX=${FAULT_MAX:-120}
# Allocations (thousands where SQLite or libcrypto run) are sampled at most this often.
ALLOC_MAX=${ALLOC_MAX:-60}
# FAULT_ONLY="nss akc pam connect admin": some paths only.
FAULT_ONLY=${FAULT_ONLY:-nss akc pam connect admin}
only() { [[ " $FAULT_ONLY " == *" $1 "* ]]; }

# The workspace on a tmpfs: thousands of SQLite commits, each fsync()ed.
mount -t tmpfs -o mode=0755 rjh-fault "$WORK" || {
	not_ok "cannot mount a tmpfs on the workspace"
	finish
	exit 1
}
mkdir -p "$WORK/etc-up" "$WORK/etc-work"
mount -t overlay rjh-etc -o "lowerdir=/etc,upperdir=$WORK/etc-up,workdir=$WORK/etc-work" /etc || {
	not_ok "cannot overlay /etc in the private namespace"
	finish
	exit 1
}
printf 'passwd: files rjh\ngroup: files rjh\nshadow: files\n' > /etc/nsswitch.conf
printf 'passwd: files\ngroup: files\nshadow: files\n' > "$WORK/nsswitch.files"
devlog_start "$WORK/syslog" || {
	not_ok "cannot give the namespace a /dev/log"
	finish
	exit 1
}
export LD_LIBRARY_PATH="$TOP/build" RJH_CONF="$WORK/rjh.conf"

write_conf
mkdir -p /etc/rjh
cp "$WORK/rjh.conf" /etc/rjh/rjh.conf
ka=$(newkey a)
rjh init > /dev/null
rjh enroll host-a "$ka" > /dev/null
rjh enroll host-b "$(newkey b)" --from 10.1.0.0/16 > /dev/null
rjh enroll host-d "$(newkey d)" > /dev/null
rjh revoke host-d > /dev/null
rjh grant root host-a > /dev/null
# host-b is granted to every group but root's own: root reaching it would
# mean it was taken for a member of a group it is not in.
for g in $(getent group | awk -F: '$3 != 0 {print $1}'); do
	rjh grant "@$g" host-b > /dev/null 2>&1
done
UIDA=$(q "SELECT uid FROM hosts WHERE name = 'host-a'")
GID=$(q "SELECT value FROM settings WHERE name = 'host_gid'")
LINEA="host-a:*:$UIDA:$GID:rjh host host-a:$WORK/run/hosts/host-a:/usr/sbin/nologin"
AKC_A=$("$AKC" --config "$WORK/rjh.conf" -- host-a)
[ -n "$AKC_A" ] && ok "setup: the key helper serves host-a" || not_ok "setup: no keys for host-a"

# ---------------------------------------------------------------- machinery

# under SPEC [VAR=VALUE]... -- COMMAND...: COMMAND under the shim with
# RJH_FAULT=SPEC and a fresh counter, in at most 20 s (prefixed by WRAP, if
# set). Output in $OUT and $ERR, status in $RC; $SITE says where the fault
# fired (empty: not reached), and FIRED is then 1. No process is forked but
# the command's own: a fork costs more than most paths under test.
WRAP=()
under() {
	local spec=$1 envs=()
	LAST=("$@")
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	: > "$CNT"
	OUT=$("${WRAP[@]}" timeout -k 5 20 env LD_PRELOAD="$SHIM" RJH_FAULT="$spec" \
		RJH_FAULT_FILE="$CNT" "${envs[@]}" "$@" 2> "$ERRF")
	RC=$?
	ERR='' SITE=''
	IFS= read -r -d '' ERR < "$ERRF"
	ERR=${ERR%$'\n'}
	IFS= read -r -d '' SITE < "$CNT"
	FIRED=0
	[ -z "$SITE" ] || FIRED=1
}

# calls SET [VAR=VALUE]... -- COMMAND...: how many calls of SET COMMAND makes.
calls() {
	local set=$1
	shift
	under "$set:0" "$@"
	# The file: the site's 4080 bytes, then u64 calls, u64 fired.
	od -An -t u8 -j 4080 -N 8 "$CNT" 2> /dev/null | tr -d ' ' | grep . || echo 0
}

# points COUNT [MAX [FIRST]]: the N to try: 1..FIRST, then all the rest or,
# above MAX (default FAULT_MAX), a fixed stride through them and the last few.
points() {
	local n=$1 max=${2:-$FAULT_MAX} first=${3:-0} step=1 i
	local -A seen=()
	for ((i = 1; i <= n && i <= first; i++)); do seen[$i]=1; done
	[ "$max" -gt 0 ] && [ $((n - first)) -gt "$max" ] && step=$(((n - first + max - 1) / max))
	for ((i = first + 1; i <= n; i += step)); do seen[$i]=1; done
	if [ "$step" -gt 1 ]; then
		for ((i = n - 2; i <= n; i++)); do [ "$i" -gt "$first" ] && seen[$i]=1; done
	fi
	printf '%s\n' "${!seen[@]}" | sort -n
}

# crashed: the last run died of a signal, hung, or a sanitizer spoke.
crashed() {
	[ "$RC" -ge 124 ] || [[ "$ERR" == *Sanitizer* ]] || [[ "$ERR" == *"runtime error"* ]]
}

# Per path: how many N ran, how many fired, and the first failures.
declare -A RUNS HITS BAD WHY
bad() { # bad PATH N REASON
	BAD[$1]=$((${BAD[$1]:-0} + 1))
	[ "${BAD[$1]}" -le 5 ] && WHY[$1]+="
#   N=$2: $3 [$SITE] rc=$RC out='${OUT:0:160}' err='${ERR:0:200}'"
}
# glibc 2.36 itself dies when an allocation of its NSS set-up fails (a NULL
# dereference in nss_database_check_reload_and_get, an assertion in
# nss_database_reload_1), before any module is asked. A crash after a fault
# in glibc's own allocation that the same fault also causes with
# nsswitch.conf "files" alone (bound over it in a mount namespace of the
# run's own, so nothing else sees it) is counted as glibc's, not as a failure.
GLIBC_CRASHES=0
glibc_crash() {
	local keep=("$RC" "$OUT" "$ERR" "$FIRED" "$SITE") where=$SITE
	[[ "$where" == *"<- /lib/x86_64-linux-gnu/libc.so.6+"* ]] || return 1
	# shellcheck disable=SC2016
	WRAP=(unshare -m --propagation private sh -c
		'mount --bind "$0" /etc/nsswitch.conf && exec "$@"' "$WORK/nsswitch.files")
	under "${LAST[@]}" < "${STDIN:-/dev/null}"
	WRAP=()
	if crashed && [ "$SITE" = "$where" ]; then
		GLIBC_CRASHES=$((GLIBC_CRASHES + 1))
		return 0
	fi
	RC=${keep[0]} OUT=${keep[1]} ERR=${keep[2]} FIRED=${keep[3]} SITE=${keep[4]}
	return 1
}
tally() { # tally PATH N
	RUNS[$1]=$((${RUNS[$1]:-0} + 1))
	[ "${FIRED:-0}" -ge 1 ] && HITS[$1]=$((${HITS[$1]:-0} + 1))
	if crashed; then
		if glibc_crash; then
			RC=1 OUT='' ERR="glibc crashed"
		else
			bad "$1" "$2" "crashed or hung"
		fi
	fi
}
verdict() { # verdict PATH TOTAL DESCRIPTION
	local p=$1
	if [ "$2" = 0 ]; then
		ok "$3: no such call on this path"
	elif [ "${BAD[$p]:-0}" = 0 ] && [ "${HITS[$p]:-0}" -gt 0 ]; then
		ok "$3: ${RUNS[$p]} of $2 calls failed in turn, ${HITS[$p]} reached; all safe"
	else
		not_ok "$3: ${RUNS[$p]:-0} of $2 calls failed in turn, ${HITS[$p]:-0} reached, ${BAD[$p]:-0} unsafe${WHY[$p]:-}"
	fi
}
# has_line TEXT LINE: TEXT has LINE as one of its lines.
has_line() {
	[[ $'\n'"$1"$'\n' == *$'\n'"$2"$'\n'* ]]
}

# ---------------------------------------------------------------- rjh-admin
# A registry of its own (ACONF; RJH_CONF points nss_rjh at it), restored
# from a copy before every N, so that it runs beside the other paths.
admin_section() {
	local ADM="$WORK/adm" c
	CNT="$ADM/fault.counter" ERRF="$ADM/.err"
	ACONF="$ADM/rjh.conf" AREG="$ADM/state/reg/registry.db"
	mkdir -p "$ADM"
	sed -e "s|^registry = .*|registry = $AREG|" -e "s|^runtime_dir = .*|runtime_dir = $ADM/state/run|" \
		"$WORK/rjh.conf" > "$ACONF"
	chmod 644 "$ACONF"
	export RJH_CONF=$ACONF
	aq() { sqlite3 "$AREG" "$@"; }
	arjh() { "$ADMIN" -c "$ACONF" "$@"; }
	arjh init > /dev/null
	arjh enroll host-s "$(newkey s)" > /dev/null
	arjh enroll host-r "$(newkey r)" > /dev/null
	KNEW=$(newkey new)
	cp -a "$ADM/state" "$ADM/state.0"
	DUMP0=$(aq .dump)
	GEN0=$(aq "SELECT value FROM settings WHERE name = 'generation'")
	ANS0=$(answers)
	[[ "$ANS0" == *"SUCCESS host-s:"* && "$ANS0" == *"NOTFOUND"* ]] &&
		ok "rjh-admin: its own registry serves host-s and host-r" ||
		not_ok "rjh-admin: its own registry's readers: $ANS0"
	for c in enroll remove; do
		admin_set $c sqlite
		admin_set $c open,mmap
		admin_set $c alloc "$ALLOC_MAX"
	done
	# libcrypto sets itself up on its first use (the key's fingerprint): all
	# of that, then a sample of the rest.
	admin_set enroll alloc@libcrypto 20 64
	echo "# rjh-admin: $GLIBC_CRASHES faults crashed glibc's own NSS set-up, also without nss_rjh"
}

# What every reader answers: NSS for each host, the key helper's keys.
answers() {
	local h
	for h in host-s host-r new-1; do
		"$PROBE" status "$NSSO" pwnam "$h"
		"$AKC" --config "$ACONF" -- "$h"
	done
}

# committed_ok CMD P N: the change was committed (rc $RC): the generation
# went up by one, the login snapshot follows the registry or is gone, and
# on exit 0 (or any failure that does not say so) NSS follows it too.
committed_ok() {
	local cmd=$1 p=$2 n=$3 host want keys nss
	[ "$GEN" = $((GEN0 + 1)) ] || bad "$p" "$n" "committed at generation $GEN, from $GEN0"
	case $cmd in
	enroll) host=new-1 want=SUCCESS ;;
	remove) host=host-r want=NOTFOUND ;;
	esac
	keys=$("$AKC" --config "$ACONF" -- "$host")
	if [ "$cmd" = remove ] && [ -n "$keys" ]; then
		bad "$p" "$n" "removed (exit $RC), host-r's keys still served"
	elif [ "$cmd" = enroll ] && [ -z "$keys" ] && { [ "$RC" = 0 ] || [ -e "$AREG.login" ]; }; then
		bad "$p" "$n" "enrolled (exit $RC), the login snapshot behind the registry"
	fi
	if [ "$RC" = 0 ] || [[ "$ERR" != *"NSS snapshot"* ]]; then
		nss=$("$PROBE" status "$NSSO" pwnam "$host")
		[[ "$nss" == "$want"* ]] || bad "$p" "$n" "committed (exit $RC), NSS says $nss"
	fi
}

# admin_set CMD SET [MAX [FIRST]]: rjh-admin CMD under faults of SET.
admin_set() {
	local cmd=$1 set=$2 max=${3:-} first=${4:-} p="$1-$2" t n args left st f
	case $cmd in
	enroll) args=(enroll new-1 "$KNEW") ;;
	remove) args=(remove host-r) ;;
	esac
	t=$(calls "$set" -- "$ADMIN" -c "$ACONF" "${args[@]}")
	for n in $(points "$t" "$max" "$first"); do
		rm -rf "$WORK/adm/state"
		cp -a "$WORK/adm/state.0" "$WORK/adm/state"
		under "$set:$n" -- "$ADMIN" -c "$ACONF" "${args[@]}"
		tally "$p" "$n"
		crashed && continue
		# new-1's rows, host-r's rows, the generation.
		st=$(aq "SELECT (SELECT count(*) FROM hosts WHERE name = 'new-1') || ' ' ||
			(SELECT count(*) FROM hosts WHERE name = 'host-r') || ' ' ||
			(SELECT value FROM settings WHERE name = 'generation')")
		read -r NEW1 HOSTR GEN <<< "$st"
		if { [ "$cmd" = enroll ] && [ "$NEW1" = 1 ]; } || { [ "$cmd" = remove ] && [ "$HOSTR" = 0 ]; }; then
			committed_ok "$cmd" "$p" "$n"
		else
			[ "$RC" != 0 ] || bad "$p" "$n" "exit 0, and nothing changed"
			[ "$(aq .dump)" = "$DUMP0" ] || bad "$p" "$n" "failed (exit $RC), the registry changed"
			[ "$(answers)" = "$ANS0" ] || bad "$p" "$n" "failed (exit $RC), readers answer differently"
		fi
		[ "$RC" = 0 ] || [ -n "$ERR" ] || bad "$p" "$n" "exit $RC without a word"
		left=
		for f in "$WORK/adm/state/reg/"*; do
			case ${f##*/} in registry.db | registry.db.* | *.lock) ;; *) left+="${f##*/} " ;; esac
		done
		[ -z "$left" ] || bad "$p" "$n" "files left: $left"
	done
	verdict "$p" "$t" "rjh-admin $cmd, $set"
}

if only admin; then
	admin_section > "$WORK/admin.tap" 2>&1 &
	ADMIN_BG=$!
	BG+=("$ADMIN_BG")
fi

# ---------------------------------------------------------------- NSS
if only nss; then

# getent through glibc: the entry, or no entry and a non-zero exit.
t=$(calls all -- getent passwd host-a)
for n in $(points "$t"); do
	under "all:$n" -- getent passwd host-a
	tally getent "$n"
	if [ "$RC" = 0 ]; then
		[ "$OUT" = "$LINEA" ] || bad getent "$n" "a wrong entry"
	elif ! crashed; then
		# No entry, whatever else getent says (it may fail to parse its own arguments).
		[[ "$OUT" != *host-a:* ]] || bad getent "$n" "an entry with exit $RC"
	fi
done
verdict getent "$t" "getent passwd host-a"

# In-process: glibc and (a copy, so it starts cold) the module itself.
mkdir -p "$WORK/mod"
cp "$NSSO" "$WORK/mod/libnss_rjh_copy.so"
PARGS=(fault "$WORK/mod/libnss_rjh_copy.so" host-a "$LINEA" rjh-hosts)
under all:0 -- "$PROBE" "${PARGS[@]}"
eq "$RC" 0 "nss-probe fault without a fault: every answer right (${OUT//$'\n'/ })"
t=$(calls all RJH_FAULT_PAUSED=1 -- "$PROBE" "${PARGS[@]}")
for n in $(points "$t"); do
	under "all:$n" RJH_FAULT_PAUSED=1 -- "$PROBE" "${PARGS[@]}"
	tally probe "$n"
	[ "$RC" = 0 ] || crashed || bad probe "$n" "$(printf '%s\n' "$OUT" | grep -m2 FAIL | tr '\n' ' ')"
done
verdict probe "$t" "nss-probe fault (lookups, errno, descriptors, recovery)"

fi

# ---------------------------------------------------------------- key helper
if only akc; then

# As sshd runs it: USER, and USER FINGERPRINT TYPE KEY.
akc_case() { # akc_case LABEL WANT ARGS...
	local label=$1 want=$2 t n
	shift 2
	t=$(calls all -- "$AKC" --config "$WORK/rjh.conf" -- "$@")
	for n in $(points "$t"); do
		under "all:$n" -- "$AKC" --config "$WORK/rjh.conf" -- "$@"
		tally "$label" "$n"
		if [ "$RC" = 0 ]; then
			[ "$OUT" = "$want" ] || bad "$label" "$n" "exit 0 with other output"
		elif ! crashed; then
			[ -z "$OUT" ] || bad "$label" "$n" "output with exit $RC"
		fi
	done
	verdict "$label" "$t" "rjh-authorized-keys $*"
}
akc_case akc-user "$AKC_A" host-a
fpa=$(fp_of "$ka")
akc_case akc-key "$AKC_A" host-a "$fpa" ssh-ed25519 "$(cut -d' ' -f2 "$ka")"
akc_case akc-disabled "" host-d

fi

# ---------------------------------------------------------------- pam_rjh
if only pam; then

# PAM_IGNORE from pam_rjh goes on to a pam_exec that notes the phase: then
# the stack succeeds and $WORK/ignored says that pam_rjh stayed out.
printf '#!/bin/sh\necho "$PAM_TYPE" >> %s/ignored\n' "$WORK" > "$WORK/ignored.sh"
chmod 755 "$WORK/ignored.sh"
mkdir -p "$WORK/pam.d"
for ty in account session; do
	printf '%s [success=done ignore=ignore default=die] %s conf=%s audit=off\n' \
		"$ty" "$TOP/build/pam_rjh.so" "$WORK/rjh.conf"
	printf '%s required pam_exec.so quiet %s\n' "$ty" "$WORK/ignored.sh"
done > "$WORK/pam.d/rjh"
INFO="SSH_AUTH_INFO_0=publickey $(cut -d' ' -f1,2 "$ka")"

# glibc skips a module it fails to load (one allocation in nss_module.c's
# module_load) and answers "no such user", no error: a host that NSS does
# not find is still refused when the login snapshot names it.
# shellcheck disable=SC2016
WRAP=(unshare -m --propagation private sh -c
	'mount --bind "$0" /etc/nsswitch.conf && exec "$@"' "$WORK/nsswitch.files")
under all:0 -- "$PAMRUN" -f -d "$WORK/pam.d" -r 192.0.2.7 -e "$INFO" rjh host-a acct
WRAP=()
match -o '^acct: PAM_PERM_DENIED' "pam_rjh refuses a host that glibc's NSS does not find"

# pam_case LABEL SET MAX KIND USER ARGS...: faults of SET (at most MAX
# points). KIND allowed (host-a: may succeed, never be ignored), refused (a
# host that must never succeed) or other (root: pam_rjh must ignore it or
# fail, never succeed itself).
pam_case() {
	local label="$1-$2" set=$2 max=$3 kind=$4 user=$5 t n ph res ign fds ignored
	shift 5
	local cmd=("$PAMRUN" -f -d "$WORK/pam.d" "$@" rjh "$user" acct open close)
	t=$(calls "$set" RJH_FAULT_PAUSED=1 -- "${cmd[@]}")
	for n in $(points "$t" "$max"); do
		: > "$WORK/ignored"
		under "$set:$n" RJH_FAULT_PAUSED=1 -- "${cmd[@]}"
		tally "$label" "$n"
		crashed && continue
		ignored=
		IFS= read -r -d '' ignored < "$WORK/ignored"
		for ph in acct:account open:open_session close:close_session; do
			res=
			[[ $'\n'"$OUT" =~ $'\n'"${ph%%:*}: "([A-Z_]+) ]] && res=${BASH_REMATCH[1]}
			ign=no
			has_line "$ignored" "${ph#*:}" && ign=yes
			case "$kind:$res:$ign:${ph%%:*}" in
			allowed:PAM_SUCCESS:yes:acct | allowed:PAM_SUCCESS:yes:open)
				bad "$label" "$n" "${ph%%:*}: PAM_IGNORE for a host" ;;
			refused:PAM_SUCCESS:*:acct | refused:PAM_SUCCESS:*:open)
				bad "$label" "$n" "${ph%%:*}: success for a refused host (ignored: $ign)" ;;
			other:PAM_SUCCESS:no:*)
				bad "$label" "$n" "${ph%%:*}: pam_rjh itself succeeded for $user" ;;
			esac
		done
		fds=
		[[ $'\n'"$OUT" =~ $'\n'"fds: "([0-9]+\ [0-9]+) ]] && fds=${BASH_REMATCH[1]}
		[ -z "$fds" ] || [ "${fds% *}" = "${fds#* }" ] || bad "$label" "$n" "descriptors $fds"
	done
	verdict "$label" "$t" "pam_rjh $kind, $set: $user $1 $2"
}
INFOB="SSH_AUTH_INFO_0=publickey $(cut -d' ' -f1,2 "$WORK/keys/b.pub")"
for set in sqlite open,mmap alloc; do
	max=$FAULT_MAX
	[ $set = sqlite ] && max=0
	[ $set = alloc ] && max=$ALLOC_MAX
	pam_case pam-a $set "$max" allowed host-a -r 192.0.2.7 -e "$INFO"
	pam_case pam-d $set "$max" refused host-d -r 192.0.2.7 -e "$INFO"
	pam_case pam-b $set "$max" refused host-b -r 10.2.0.1 -e "$INFOB"
	pam_case pam-root $set "$max" other root -r 192.0.2.7
done

fi

# ---------------------------------------------------------------- rjh-connect
if only connect; then

mkdir -m 0755 "$WORK/bin"
install -m 4755 "$TOP/build/rjh-connect" "$WORK/bin/rjh-connect"
RCON="$WORK/bin/rjh-connect"
SOCK="$WORK/run/hosts/host-a/sock/ssh.sock"
mkdir -p "$(dirname "$SOCK")"
"$PY" - "$SOCK" "$UIDA" > "$WORK/serve" 2>&1 << 'EOF' &
import os, socket, sys
path, uid = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX); s.bind(path); os.chown(path, uid, -1); os.chmod(path, 0o600)
s.listen(64); print("up", flush=True)
while True:
    c, _ = s.accept(); n = 0
    while True:
        b = c.recv(65536)
        if not b: break
        n += len(b)
    c.sendall(b"got %d\n" % n); c.close()
EOF
BG+=($!)
for _ in $(seq 50); do [ -s "$WORK/serve" ] && break; sleep 0.1; done
# A host directory as pam_rjh leaves it: the socket's directory the host's.
chown "$UIDA:$GID" "$(dirname "$SOCK")"
printf hello > "$WORK/hello"
under all:0 -- "$RCON" host-a < "$WORK/hello"
eq "$OUT" "got 5" "rjh-connect as root relays to host-a without a fault (rc $RC: ${ERR:0:200})"

connect_case() { # connect_case LABEL WANT_RC WANT_OUT HOST
	local label=$1 want_rc=$2 want=$3 host=$4 t n
	t=$(calls all -- "$RCON" "$host" < "$WORK/hello")
	STDIN=$WORK/hello
	for n in $(points "$t"); do
		under "all:$n" -- "$RCON" "$host" < "$WORK/hello"
		tally "$label" "$n"
		crashed && continue
		if [ "$RC" = 0 ]; then
			[ "$want_rc" = 0 ] && [ "$OUT" = "$want" ] || bad "$label" "$n" "exit 0: '$OUT'"
		elif [ -z "$ERR" ]; then
			bad "$label" "$n" "exit $RC without a word"
		fi
	done
	STDIN=
	verdict "$label" "$t" "rjh-connect $host (as root)"
}
connect_case connect 0 "got 5" host-a
connect_case connect-refused 4 "" host-b

fi

echo "# $GLIBC_CRASHES faults crashed glibc's own NSS set-up, also without nss_rjh"
if only admin; then
	wait "$ADMIN_BG"
	cat "$WORK/admin.tap"
	PASS=$((PASS + $(grep -c '^ok - ' "$WORK/admin.tap")))
	FAIL=$((FAIL + $(grep -c '^not ok - ' "$WORK/admin.tap")))
	grep -q '^# rjh-admin: ' "$WORK/admin.tap" || not_ok "rjh-admin: its section did not finish"
fi
finish
