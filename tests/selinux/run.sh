#!/bin/bash
# The SELinux policy module (selinux/). Installs build/selinux/rjh.pp into a
# temporary policy store built from selinux-policy-default (semodule -p ROOT,
# never the machine's own store), then:
#   - checks the compiled policy with sesearch: the domain transitions and
#     roles, the key allow rules, the type transitions, and that neither the
#     key helper nor rjh-connect can read or write the registry or write a
#     snapshot, that rjh-connect only creates and appends in the spool,
#     that nss_rjh's domains read neither the registry nor the login
#     snapshot, and that sshd reads the user CAs and the KRL rjh publishes
#     but nobody except the registry's writers writes them;
#   - checks rjh.fc against the real layout: every file `make install` puts
#     down, and every registry and runtime file that rjh-admin (and
#     rjh-connect, for the spool) makes with doc/rjh.conf's default paths,
#     gets its label from the compiled file_contexts, and every rjh.fc
#     entry labels something real.
# Prints "selinux: N passed, N failed".
#
# A store of all of selinux-policy-default's modules costs ~40 s of CPU to
# build, most of it converting 330 modules to CIL; it is kept in
# build/selinux/store-VERSION, so later runs only add rjh.pp (~15 s).
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/assert.sh"
PP=${1:-$TOP/build/selinux/rjh.pp}
SRC=/usr/share/selinux/default
SUBS=/etc/selinux/default/contexts/files/file_contexts.subs_dist
NAME=rjhtest
START=$(date +%s)
finish() {
	echo "selinux: $PASS passed, $FAIL failed ($(($(date +%s) - START)) s)"
	[ "$FAIL" = 0 ]
	exit
}

for t in semodule sesearch seinfo matchpathcon python3; do
	command -v "$t" > /dev/null || { not_ok "$t is missing (make deps)"; finish; }
done
[ -f "$SRC/base.pp.bz2" ] && [ -f "$SRC/.modules" ] || { not_ok "selinux-policy-default is missing (make deps)"; finish; }
[ -f "$PP" ] || { not_ok "$PP is missing (make -C selinux)"; finish; }

# The paths rjh uses by default: doc/rjh.conf, the socket sshd binds
# (lib/layout.h) and the spool rjh-connect makes next to the registry (lib/spool.c).
conf_default() {
	sed -nE "s|^#[[:space:]]*$1[[:space:]]*=[[:space:]]*([^[:space:]]+).*|\1|p" "$TOP/doc/rjh.conf" | head -1
}
REG=$(conf_default registry)
RUN=$(conf_default runtime_dir)
SOCK=$(sed -nE 's/^#define LAYOUT_SOCKET_NAME "([^"]+)".*/\1/p' "$TOP/lib/layout.h")
SPOOL=$(sed -nE 's/.*"%s(\.[A-Za-z0-9_-]+)", registry\).*/\1/p' "$TOP/lib/spool.c" | head -1)
if [ -n "$REG" ] && [ -n "$RUN" ] && [ -n "$SOCK" ] && [ -n "$SPOOL" ]; then
	ok "defaults: registry $REG, runtime_dir $RUN, socket $SOCK, spool REGISTRY$SPOOL"
else
	not_ok "cannot read the defaults from doc/rjh.conf, lib/layout.h and lib/spool.c"
	finish
fi
DB=$(basename "$REG")

# tmpfs when there is one: libsemanage writes and fsyncs thousands of files.
TMPBASE=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && TMPBASE=/dev/shm
WORK=$(mktemp -d "$TMPBASE/rjh-selinux.XXXXXX") || {
	not_ok "cannot create a workspace in $TMPBASE"
	finish
}
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
ROOT=$WORK/root
touch "$WORK/stamp"

########################################
# The temporary store.

ver=$(dpkg-query -W -f '${Version}' selinux-policy-default | tr -c 'A-Za-z0-9.+\n-' _)
CACHE=$TOP/build/selinux/store-$ver
semodule_tmp() { # semodule on the temporary root only
	semodule -p "$ROOT" -s "$NAME" -n -X 100 "$@" > "$WORK/semodule.log" 2>&1
}
mkdir -p "$ROOT/etc/selinux/$NAME" "$ROOT/var/lib/selinux"
# The store's own semanage.conf (libsemanage reads ROOT/etc/selinux first).
printf 'module-store = direct\nexpand-check = 1\nusepasswd = false\n' > "$ROOT/etc/selinux/semanage.conf"
if [ -d "$CACHE/var/lib/selinux/$NAME/active" ]; then
	cp -a "$CACHE/var/lib/selinux/$NAME" "$ROOT/var/lib/selinux/"
	semodule_tmp -i "$PP"
	rc=$?
	what="rjh.pp added to the cached store of selinux-policy-default $ver"
else
	set --
	while read -r m; do set -- "$@" -i "$SRC/$m.pp.bz2"; done < "$SRC/.modules"
	semodule_tmp "$@" -i "$PP"
	rc=$?
	what="a store of selinux-policy-default $ver ($# modules) with rjh.pp"
	if [ $rc = 0 ]; then
		rm -rf "$CACHE.tmp" && mkdir -p "$CACHE.tmp/var/lib/selinux" &&
			cp -a "$ROOT/var/lib/selinux/$NAME" "$CACHE.tmp/var/lib/selinux/" &&
			rm -rf "$CACHE" && mv "$CACHE.tmp" "$CACHE"
	fi
fi
POL=$ROOT/etc/selinux/$NAME/policy/policy.33
FC=$ROOT/etc/selinux/$NAME/contexts/files/file_contexts
if [ $rc = 0 ] && [ -f "$POL" ] && [ -f "$FC" ]; then
	ok "semodule -p: $what, neverallow checked"
else
	not_ok "semodule -p: $what: $(grep -v 'sddm not in password' "$WORK/semodule.log" | head -20)"
	finish
fi
# /lib is /usr/lib, /var/run is /run: the package's aliases.
[ -f "$SUBS" ] && cp "$SUBS" "$(dirname "$FC")/"

########################################
# The compiled policy, dumped once: sesearch and seinfo each load the whole
# policy (1-2 s of CPU), so each runs once and the checks below read text.

Q=$WORK/q
mkdir -p "$Q"
sesearch "$POL" -A -T --dontaudit > "$Q/rules" || not_ok "sesearch"
# "TYPE ATTRIBUTE..." for every type, and "ROLE TYPE..." for every role.
seinfo "$POL" -t -x | sed -nE 's/^ +type ([^,;]+),? ?(.*);$/\1 \2/p' | tr -d , > "$Q/types"
seinfo "$POL" -r -x | sed -nE 's/^ +role ([^ ]+) types \{? ?([^}]*)\}?;$/\1 \2/p' > "$Q/roles"
[ -s "$Q/rules" ] && [ -s "$Q/types" ] && [ -s "$Q/roles" ] && ok "sesearch -A -T --dontaudit, seinfo -t -x, seinfo -r -x" ||
	not_ok "cannot dump the policy"

# names T: T and its attributes, what sesearch -s T or -t T matches; a
# trailing / (nsswitch_domain/) matches the attribute only, like sesearch -ds.
names() {
	case "$1" in
	*/) echo "${1%/}" ;;
	*) awk -v t="$1" '$1 == t { print; f = 1 } END { if (!f) print t }' "$Q/types" ;;
	esac
}
# rules S: the rules sesearch -s S finds.
rules() {
	local f="$Q/src.${1//\//@}"
	[ -f "$f" ] || awk -v n="$(names "$1")" '
		BEGIN { split(n, a, " "); for (i in a) N[a[i]] = 1 }
		$2 in N' "$Q/rules" > "$f"
	cat "$f"
}
# perms KIND S T C [any|lines]: the permissions KIND rules (allow, dontaudit)
# of S give on T:C, one a line; unconditional rules only unless "any" is
# given; "lines" prints the rules themselves, conditional ones too.
perms() {
	rules "$2" | awk -v k="$1" -v n="$(names "$3")" -v c="$4" -v how="${5:-}" '
		BEGIN { split(n, a, " "); for (i in a) N[a[i]] = 1 }
		$1 != k { next }
		{ split($3, tc, ":"); if (!(tc[1] in N) || tc[2] != c) next }
		how == "lines" { print; next }
		how != "any" && /\]:(True|False)$/ { next }
		{ r = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", r); sub(/;.*/, "", r); gsub(/[{}]/, "", r)
		  m = split(r, p, " "); for (j = 1; j <= m; j++) print p[j] }' | sort -u
}

# allows S T C "PERMS": an unconditional rule grants each permission.
allows() {
	local missing
	missing=$(perms allow "$1" "$2" "$3" | grep -vxF -f - <(tr ' ' '\n' <<< "$4" | grep .) | tr '\n' ' ')
	if [ -z "$missing" ]; then
		ok "allow $1 $2:$3 { $4 }"
	else
		not_ok "allow $1 $2:$3 lacks { $missing}"
	fi
}

# denies S T C "PERMS": no rule, conditional or not, grants any of them.
denies() {
	local got
	got=$(perms allow "$1" "$2" "$3" any | grep -xF -f <(tr ' ' '\n' <<< "$4" | grep .) | tr '\n' ' ')
	if [ -z "$got" ]; then
		ok "no rule lets $1 $4 $2:$3"
	else
		not_ok "$1 may { $got} $2:$3: $(perms allow "$1" "$2" "$3" lines | grep -wE "$(echo $got | tr ' ' '|')" | head -3)"
	fi
}

# newtype S PARENT CLASS NAME WANT: the type of a CLASS NAME that S creates
# in a PARENT directory (named type transition, else unnamed, else PARENT).
newtype() {
	local got
	got=$(rules "$1" | awk -v t="$2:$3" -v name="$4" '
		$1 != "type_transition" || $3 != t { next }
		{ sub(/;$/, "") }
		NF == 5 && $5 == name { named = $4 }
		NF == 4 { unnamed = $4 }
		END { print named ? named : unnamed }')
	eq "${got:-$2}" "$5" "$1 creating $3 '$4' in $2 makes $5"
}

# domtrans S EXEC DOMAIN [ROLE]: S runs EXEC in DOMAIN, which ROLE may hold.
domtrans() {
	local t
	t=$(rules "$1" | awk -v t="$2:process" '$1 == "type_transition" && $3 == t && NF == 4 { sub(/;$/, "", $4); print $4 }')
	eq "$t" "$3" "type_transition $1 $2:process $3"
	allows "$1" "$3" process transition
	allows "$3" "$2" file entrypoint
	allows "$1" "$2" file "execute read open"
	if [ -n "${4:-}" ]; then
		awk -v r="$4" '$1 == r' "$Q/roles" | tr ' ' '\n' | grep -qx "$3" && ok "role $4 types $3" ||
			not_ok "role $4 may not hold $3: the transition would fail"
	fi
}

########################################
# Who enters which domain.

domtrans sshd_t rjh_authkeys_exec_t rjh_authkeys_t system_r
for ur in user_t:user_r staff_t:staff_r sysadm_t:sysadm_r unconfined_t:unconfined_r; do
	domtrans "${ur%:*}" rjh_connect_exec_t rjh_connect_t "${ur#*:}"
done
for ur in sysadm_t:sysadm_r unconfined_t:unconfined_r; do
	domtrans "${ur%:*}" rjh_admin_exec_t rjh_admin_t "${ur#*:}"
done
# `rjh-admin runtime` in a boot-time unit.
domtrans init_t rjh_admin_exec_t rjh_admin_t system_r
# sshd_session_t is optional: present only in policies that know sshd-session.
if grep -q '^sshd_session_t ' "$Q/types"; then
	domtrans sshd_session_t rjh_authkeys_exec_t rjh_authkeys_t
fi

########################################
# rjh-authorized-keys: the login snapshot and the config, syslog; nothing else.

allows rjh_authkeys_t rjh_login_t file "read open getattr map"
allows rjh_authkeys_t rjh_var_lib_t dir "search getattr"
allows rjh_authkeys_t rjh_conf_t file "read open getattr"
allows rjh_authkeys_t devlog_t sock_file write
allows rjh_authkeys_t sshd_t fifo_file write
eq "$(rules rjh_authkeys_t | awk '$1 == "allow" && $3 ~ /:(capability2?|netlink_audit_socket)$/')" "" \
	"rjh_authkeys_t has no capability and no audit socket"
for t in rjh_runtime_t rjh_sock_t rjh_nss_t rjh_spool_t rjh_journal_t; do
	eq "$(rules rjh_authkeys_t | awk -v t="$t" '$1 == "allow" && index($3, t ":") == 1')" "" \
		"rjh_authkeys_t has no access to $t"
done

########################################
# rjh-connect: reads the login snapshot, reaches host sockets, audits, spools.

allows rjh_connect_t rjh_login_t file "read open getattr map"
allows rjh_connect_t rjh_conf_t file "read open"
allows rjh_connect_t rjh_runtime_t dir "search open read getattr"
allows rjh_connect_t rjh_sock_t sock_file "write getattr"
allows rjh_connect_t sshd_t unix_stream_socket connectto
allows rjh_connect_t rjh_connect_t unix_stream_socket "create connect shutdown"
allows rjh_connect_t rjh_connect_t netlink_audit_socket "create nlmsg_relay"
allows rjh_connect_t rjh_connect_t capability "audit_write setuid setgid dac_read_search dac_override"
allows rjh_connect_t sshd_t fd use
allows rjh_connect_t sshd_t fifo_file "read write"
allows rjh_connect_t user_devpts_t chr_file "read write"
allows rjh_connect_t rjh_nss_t file "read map"
# The spool (spool.c): mkdir REGISTRY.spool 0700 if missing, open it O_RDONLY
# and fstat it, then O_CREAT|O_EXCL|O_APPEND files in it, appended to only.
allows rjh_connect_t rjh_var_lib_t dir "search getattr add_name write"
allows rjh_connect_t rjh_spool_t dir "create search read open getattr add_name write"
allows rjh_connect_t rjh_spool_t file "create open append getattr"
denies rjh_connect_t rjh_spool_t file "read write map unlink rename link setattr relabelfrom relabelto execute"
denies rjh_connect_t rjh_spool_t dir "remove_name rmdir rename reparent setattr relabelfrom relabelto"
# It no longer opens the registry: nothing of it is silenced any more.
eq "$(perms dontaudit rjh_connect_t rjh_var_lib_t file any)" "" \
	"no dontaudit hides an access of rjh-connect to the registry"

########################################
# Nobody but rjh-admin and sshd reads or writes the registry; the snapshots
# are rjh-admin's; the key helper and rjh-connect read the login snapshot only.

W_FILE="write append create unlink rename link setattr relabelfrom relabelto"
W_DIR="write add_name remove_name create rmdir rename reparent setattr relabelfrom"
R_FILE="read open map lock execute"
for d in rjh_authkeys_t rjh_connect_t; do
	for t in rjh_var_lib_t rjh_journal_t rjh_nss_t rjh_login_t rjh_pub_certs_t rjh_conf_t; do
		denies $d $t file "$W_FILE"
	done
	# Neither links SQLite any more: the registry and its journal are not theirs to read.
	denies $d rjh_var_lib_t file "$R_FILE"
	denies $d rjh_journal_t file "$R_FILE"
done
denies rjh_authkeys_t rjh_var_lib_t dir "$W_DIR"
denies rjh_authkeys_t rjh_spool_t dir "search read write add_name"
denies rjh_authkeys_t rjh_spool_t file "read open append write create"
# rjh-connect may add the spool directory to the registry's, and nothing else:
# it can make no file there, and only the spool's name gets a type it may create.
denies rjh_connect_t rjh_var_lib_t dir "remove_name create rmdir rename reparent setattr relabelfrom relabelto"
newtype rjh_connect_t rjh_var_lib_t dir "$DB$SPOOL" rjh_spool_t
newtype rjh_connect_t rjh_var_lib_t dir "$DB.nss" rjh_var_lib_t
newtype rjh_connect_t rjh_var_lib_t file "$DB$SPOOL" rjh_var_lib_t
newtype rjh_connect_t rjh_spool_t file c-1000-0 rjh_spool_t
# What rjh gives every domain that resolves users (nsswitch_domain itself):
# the NSS snapshot, never the registry, the login snapshot or the spool.
denies nsswitch_domain/ rjh_nss_t file "$W_FILE"
for t in rjh_var_lib_t rjh_journal_t rjh_login_t rjh_spool_t rjh_pub_certs_t; do
	denies nsswitch_domain/ $t file "read open map"
done
denies nsswitch_domain/ rjh_pub_certs_t file "$W_FILE"
# sshd writes the registry's pages, but cannot replace or remove the file,
# and reads the login snapshot only; the spool is not its business.
denies sshd_t rjh_var_lib_t file "create unlink rename link setattr relabelfrom"
denies sshd_t rjh_nss_t file "$W_FILE"
denies sshd_t rjh_login_t file "$W_FILE"
# The user CAs and the KRL: sshd reads them for every host login, and only
# the registry's writers (rjh-admin, rjh-sync) write them.
denies sshd_t rjh_pub_certs_t file "$W_FILE"
for d in rjh_authkeys_t rjh_connect_t; do
	denies $d rjh_pub_certs_t file "read open"
done
denies sshd_t rjh_spool_t file "read write append create unlink"
# Only rjh-admin mounts on the runtime tree.
for d in sshd_t rjh_connect_t rjh_authkeys_t; do
	denies $d rjh_runtime_t dir mounton
done

########################################
# rjh-admin: manages the registry and the runtime tree, audits, reads the sshd config.

allows rjh_admin_t var_lib_t dir "add_name write"
allows rjh_admin_t rjh_var_lib_t dir "create add_name remove_name write setattr"
allows rjh_admin_t rjh_var_lib_t file "create read write lock unlink setattr"
allows rjh_admin_t rjh_journal_t file "create write unlink"
allows rjh_admin_t rjh_nss_t file "create write rename unlink"
# The login snapshot: written to *.tmp, chown-ed to the key helper's group,
# chmod-ed, renamed into place, read back for its generation.
allows rjh_admin_t rjh_login_t file "create write setattr rename unlink read map"
# The spool, drained: every file read and removed.
allows rjh_admin_t rjh_spool_t dir "search read remove_name getattr open"
allows rjh_admin_t rjh_spool_t file "read open getattr unlink"
allows rjh_admin_t var_run_t dir "add_name write"
allows rjh_admin_t rjh_runtime_t dir "create rmdir setattr add_name remove_name"
allows rjh_admin_t rjh_sock_t sock_file "getattr unlink"
allows rjh_admin_t rjh_admin_t netlink_tcpdiag_socket "create nlmsg_read"
allows rjh_admin_t rjh_admin_t netlink_audit_socket "create nlmsg_relay"
allows rjh_admin_t rjh_admin_t capability "audit_write chown fowner dac_override"
allows rjh_admin_t rjh_conf_t file read
allows rjh_admin_t etc_t file read
allows rjh_admin_t sshd_t file read
# runtime: a tmpfs on RUNTIME through /proc/self/fd/N, or a remount; its root
# labeled at the mount (rootcontext=), never relabeled from tmpfs_t after it.
allows rjh_admin_t rjh_admin_t capability sys_admin
allows rjh_admin_t rjh_runtime_t dir "mounton getattr"
allows rjh_admin_t tmpfs_t filesystem "mount remount getattr relabelfrom"
allows rjh_runtime_t tmpfs_t filesystem associate
allows rjh_sock_t tmpfs_t filesystem associate
# The target and the label's source: /proc/self/fd/N, the O_PATH descriptor's link.
allows rjh_admin_t proc_t dir search
allows rjh_admin_t proc_t lnk_file read
allows rjh_admin_t rjh_admin_t dir search
allows rjh_admin_t rjh_admin_t lnk_file read
# Is SELinux on? (statfs of /sys/fs/selinux)
allows rjh_admin_t security_t filesystem getattr
allows rjh_admin_t sysfs_t dir search
denies rjh_admin_t tmpfs_t dir "relabelfrom"
denies rjh_admin_t tmpfs_t filesystem unmount
denies rjh_admin_t rjh_conf_t file "write append create unlink"
denies rjh_admin_t etc_t file "write append create unlink"
denies rjh_admin_t shadow_t file "read write"
rules rjh_admin_t | grep -F ' sshd_key_t:file ' | grep -q 'rjh_admin_read_host_keys \]:True' &&
	ok "rjh-admin reads /etc/ssh host keys only under rjh_admin_read_host_keys" ||
	not_ok "rjh_admin_t:sshd_key_t read is not under its boolean"
seinfo "$POL" -b rjh_admin_read_host_keys -x | grep -q 'rjh_admin_read_host_keys true' &&
	ok "boolean rjh_admin_read_host_keys, default on" || not_ok "boolean rjh_admin_read_host_keys"

########################################
# sshd (pam_rjh, its post-auth children): the registry as narrowly as the
# rollback journal allows, the runtime tree, the host sockets, audit.

allows sshd_t rjh_var_lib_t file "read write lock open getattr"
allows sshd_t rjh_var_lib_t dir "add_name remove_name write read"
allows sshd_t rjh_journal_t file "create write unlink setattr"
allows sshd_t rjh_conf_t file read
allows sshd_t rjh_runtime_t dir "create setattr relabelfrom relabelto add_name remove_name"
allows sshd_t rjh_sock_t sock_file "create unlink rename getattr"
allows sshd_t sshd_t netlink_audit_socket nlmsg_relay
allows sshd_t sshd_t netlink_tcpdiag_socket nlmsg_read
allows sshd_t sshd_t capability "audit_write chown fowner dac_override"
allows sshd_t rjh_login_t file "read open getattr map"
allows sshd_t rjh_pub_certs_t file "read open getattr"

# The sweep (layout_sweep_host) in pam_rjh and rjh-admin runtime: anything in
# RUNTIME/hosts/NAME but sock/, in sock/ but ssh.sock, whole trees included.
SWEEPERS="sshd_t rjh_admin_t"
grep -q '^sshd_session_t ' "$Q/types" && SWEEPERS="$SWEEPERS sshd_session_t"
for d in $SWEEPERS; do
	allows $d rjh_runtime_t dir "search read open getattr remove_name write rmdir"
	for c in file lnk_file sock_file fifo_file; do
		allows $d rjh_runtime_t $c "getattr unlink"
	done
	allows $d rjh_sock_t sock_file "getattr unlink"
done
if grep -q '^sshd_session_t ' "$Q/types"; then
	allows sshd_session_t rjh_login_t file "read open getattr map"
	allows sshd_session_t rjh_var_lib_t file "read write lock"
	allows sshd_session_t rjh_pub_certs_t file "read open getattr"
fi

########################################
# nss_rjh, in every domain that resolves users.

allows nsswitch_domain/ rjh_nss_t file "read open map getattr"
allows nsswitch_domain/ rjh_conf_t file "read open"
allows nsswitch_domain/ rjh_var_lib_t dir search
for d in sshd_t init_t systemd_userdbd_t; do
	allows $d rjh_nss_t file "read map"
done

########################################
# Creation-time types: what each writer makes gets the type rjh.fc gives it.

newtype rjh_admin_t var_lib_t dir "$(basename "$(dirname "$REG")")" rjh_var_lib_t
newtype rjh_admin_t var_run_t dir "$(basename "$RUN")" rjh_runtime_t
newtype sshd_t var_run_t dir "$(basename "$RUN")" rjh_runtime_t
newtype rjh_admin_t rjh_var_lib_t file "$DB" rjh_var_lib_t
newtype rjh_admin_t rjh_var_lib_t file "$DB.nss.lock" rjh_var_lib_t
newtype rjh_admin_t rjh_var_lib_t file "$DB.login.lock" rjh_var_lib_t
# The user CAs and the KRL for sshd (pub_certs.c): every writer of the
# registry writes them to .tmp and renames them into place, taking turns on
# REGISTRY.krl.lock (rjh-admin runtime at boot runs as rjh_admin_t too).
for d in rjh_admin_t rjh_sync_t; do
	for n in "$DB.krl" "$DB.krl.tmp" "$DB.user-cas" "$DB.user-cas.tmp"; do
		newtype $d rjh_var_lib_t file "$n" rjh_pub_certs_t
	done
	newtype $d rjh_var_lib_t file "$DB.krl.lock" rjh_var_lib_t
	allows $d rjh_pub_certs_t file "create read write open getattr setattr rename unlink"
	allows $d rjh_var_lib_t file "create read write lock"
	allows $d rjh_var_lib_t dir "add_name remove_name write search"
done
for n in "$DB.nss" "$DB.nss.tmp" "$DB.nss-delta" "$DB.nss-delta.tmp"; do
	newtype rjh_admin_t rjh_var_lib_t file "$n" rjh_nss_t
done
for n in "$DB.login" "$DB.login.tmp" "$DB.login-delta" "$DB.login-delta.tmp"; do
	newtype rjh_admin_t rjh_var_lib_t file "$n" rjh_login_t
done
# rjh-sync (store = postgresql): the cache and its stamp, which rjh-connect reads.
for n in "$DB.login" "$DB.synced" "$DB.synced.tmp"; do
	newtype rjh_sync_t rjh_var_lib_t file "$n" rjh_login_t
done
allows rjh_sync_t rjh_var_lib_t file "create read write lock unlink"
# rjh-sync reports which tunnels this jumphost holds (sock_diag, the runtime tree).
allows rjh_sync_t rjh_sync_t netlink_tcpdiag_socket "create read write nlmsg_read"
allows rjh_sync_t rjh_runtime_t dir "search read open getattr"
allows rjh_sync_t rjh_sock_t sock_file getattr
# rjh-admin host-ca and ca: ssh-keygen in its own domain, the CA keys root's
# and rjh-admin's alone.
seinfo "$POL" -t rjh_host_ca_t -x 2> /dev/null | grep -qw rjh_ca_key_t &&
	ok "rjh_host_ca_t, the CA keys' type before the user CA, is an alias of rjh_ca_key_t" ||
	not_ok "rjh_host_ca_t is not an alias of rjh_ca_key_t: host CA keys labeled before would be unlabeled"
allows rjh_admin_t ssh_keygen_exec_t file "execute execute_no_trans"
newtype rjh_admin_t rjh_conf_t dir ".rjh_ca.abc123" rjh_ca_key_t
allows rjh_admin_t rjh_ca_key_t dir "create add_name remove_name rmdir"
allows rjh_admin_t rjh_ca_key_t file "create read write link unlink"
for d in rjh_sync_t rjh_connect_t rjh_authkeys_t sshd_t nsswitch_domain/; do
	denies $d rjh_ca_key_t file "read open write append map"
done
allows rjh_sync_t postgresql_port_t tcp_socket name_connect
allows rjh_admin_t postgresql_port_t tcp_socket name_connect
denies rjh_connect_t postgresql_port_t tcp_socket name_connect
allows rjh_connect_t rjh_login_t file "read open getattr map"
newtype rjh_admin_t rjh_var_lib_t dir "$DB$SPOOL" rjh_spool_t
newtype rjh_connect_t rjh_var_lib_t dir "$DB$SPOOL" rjh_spool_t
newtype rjh_connect_t rjh_spool_t file "c-1000-0" rjh_spool_t
newtype rjh_admin_t rjh_var_lib_t file "$DB-journal" rjh_journal_t
newtype sshd_t rjh_var_lib_t file "$DB-journal" rjh_journal_t
newtype rjh_admin_t rjh_runtime_t dir hosts rjh_runtime_t
newtype sshd_t rjh_runtime_t dir sock rjh_runtime_t
newtype sshd_t rjh_runtime_t sock_file "$SOCK" rjh_sock_t

########################################
# rjh.fc against the paths rjh really uses.

# label PATH CLASS: the type the compiled file_contexts give PATH.
label() {
	matchpathcon -n -f "$FC" -m "$2" "$1" 2> /dev/null | cut -d: -f3
}
PATHS=$WORK/paths
: > "$PATHS"
# expect PATH CLASS TYPE WHERE
expect_label() {
	echo "$1" >> "$PATHS"
	eq "$(label "$1" "$2")" "$3" "$4 $1 ($2) is $3"
}

D=$WORK/dest
if make -C "$TOP" --no-print-directory install DESTDIR="$D" PREFIX=/usr > "$WORK/install.log" 2>&1; then
	ok "make install DESTDIR PREFIX=/usr"
else
	not_ok "make install: $(tail -5 "$WORK/install.log")"
fi
n=0
while IFS= read -r f; do
	p=${f#"$D"}
	class=file
	[ -d "$f" ] && class=dir
	case "$class:$(basename "$p")" in
	file:rjh-admin) want=rjh_admin_exec_t ;;
	file:rjh-authorized-keys) want=rjh_authkeys_exec_t ;;
	file:rjh-connect) want=rjh_connect_exec_t ;;
	file:rjh-sync) want=rjh_sync_exec_t ;;
	file:rjh-host) want=bin_t ;;                 # runs on the hosts, not confined here
	file:rjh-*.service | file:rjh-*.timer) want=systemd_unit_t ;;
	file:rjh) want=usr_t ;;                      # the pam-auth-update profile
	dir:rjh | file:rjh.conf)
		case "$p" in
		/etc/ssh/*) want=etc_t ;;            # the sshd drop-in: sshd's config, sshd reads it
		/usr/lib/tmpfiles.d/*) want=lib_t ;; # systemd-tmpfiles reads it
		/etc/*) want=rjh_conf_t ;;
		/usr/libexec/*) want=bin_t ;; # root-owned, as sshd requires of a helper's path
		*) want=unknown ;;
		esac
		;;
	file:libnss_rjh.so.2 | file:pam_rjh.so) want=lib_t ;; # loaded into other domains
	file:*.[1-8]) want=man_t ;;
	dir:*) continue ;; # /usr, /usr/bin, ...: not rjh's
	*) want=unknown ;;
	esac
	if [ "$want" = unknown ]; then
		not_ok "make install puts down $p, which neither rjh.fc nor this test knows"
		continue
	fi
	expect_label "$p" $class $want "installed"
	n=$((n + 1))
done < <(find "$D" -mindepth 1 \( -type f -o -type d \) | sort)
[ $n -ge 9 ] && ok "$n installed paths checked" || not_ok "only $n installed paths found"

# The registry and runtime files, as rjh-admin makes them with the default
# paths (under $WORK), and the socket sshd binds.
R=$WORK/r
mkdir -p "$R"
printf 'registry = %s\nruntime_dir = %s\naudit = off\n' "$R$REG" "$R$RUN" > "$WORK/rjh.conf"
chmod 644 "$WORK/rjh.conf"
ssh-keygen -q -N '' -t ed25519 -f "$WORK/key" < /dev/null
# runtime --no-mount: rjh-admin runtime mounts a tmpfs on the runtime
# directory otherwise, and this test runs in the machine's mount namespace.
if "$TOP/build/rjh-admin" -c "$WORK/rjh.conf" init > "$WORK/admin.log" 2>&1 &&
	"$TOP/build/rjh-admin" -c "$WORK/rjh.conf" enroll host-42 "$WORK/key.pub" >> "$WORK/admin.log" 2>&1 &&
	"$TOP/build/rjh-admin" -c "$WORK/rjh.conf" runtime --no-mount >> "$WORK/admin.log" 2>&1 &&
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
		"$R$RUN/hosts/host-42/sock/$SOCK"; then
	ok "rjh-admin init, enroll, runtime --no-mount; a socket bound as sshd would"
else
	not_ok "rjh-admin: $(tail -5 "$WORK/admin.log")"
fi
# The spool as rjh-connect makes it (spool.c; rjh-connect reads only
# /etc/rjh/rjh.conf, so it cannot be pointed here): the directory, root
# 0700, and a connection's slot, 0600.
if mkdir -m 0700 "$R$REG$SPOOL" && (umask 077 && printf 'rjh-spool 1 0 1 1\n' > "$R$REG$SPOOL/c-0-0"); then
	ok "the spool, as rjh-connect makes it"
else
	not_ok "cannot make the spool $R$REG$SPOOL"
fi
# Made by SQLite, rjh-admin and pam_rjh only while they work: journal, temporaries, a socket set aside.
TRANSIENT="file:$REG-journal file:$REG.nss.tmp file:$REG.nss-delta.tmp file:$REG.login.tmp file:$REG.login-delta.tmp"
# The temporaries of the user CAs and the KRL for sshd.
TRANSIENT="$TRANSIENT file:$REG.krl.tmp file:$REG.user-cas.tmp"
# rjh-sync's freshness stamp (store = postgresql) and its temporary.
TRANSIENT="$TRANSIENT file:$REG.synced file:$REG.synced.tmp"
TRANSIENT="$TRANSIENT sock_file:$RUN/hosts/host-42/sock/.$SOCK.closing.1234"
regdir=$(dirname "$REG")
{
	find "$R" -mindepth 1 -printf '%y:%p\n' | sed "s|:$R|:|"
	for t in $TRANSIENT; do echo "$t"; done
} | sort > "$WORK/made"
n=0
while IFS=: read -r y p; do
	case "$y" in d | dir) class=dir ;; s | sock_file) class=sock_file ;; *) class=file ;; esac
	case "$p" in
	"$regdir" | "$regdir"/*)
		case "$class:$p" in
		*"$SPOOL" | *"$SPOOL"/*) want=rjh_spool_t ;; # the directory and its files
		dir:*) want=rjh_var_lib_t ;;
		*-journal) want=rjh_journal_t ;;
		*.nss | *.nss-delta | *.nss.tmp | *.nss-delta.tmp) want=rjh_nss_t ;;
		*.login | *.login-delta | *.login.tmp | *.login-delta.tmp) want=rjh_login_t ;;
		*.synced | *.synced.tmp) want=rjh_login_t ;;
		*.krl | *.krl.tmp | *.user-cas | *.user-cas.tmp) want=rjh_pub_certs_t ;;
		*) want=rjh_var_lib_t ;; # the registry, REGISTRY.{nss,login,krl}.lock
		esac
		;;
	"$RUN" | "$RUN"/*)
		[ $class = sock_file ] && want=rjh_sock_t || want=rjh_runtime_t
		;;
	*) continue ;; # /var, /var/lib, /run: not rjh's
	esac
	expect_label "$p" $class $want "made by rjh:"
	n=$((n + 1))
done < "$WORK/made"
[ $n -ge 20 ] && ok "$n registry and runtime paths checked" || not_ok "only $n registry and runtime paths found"
# The fleet's host CA (rjh-admin host-ca init, default host_ca_key), rjh's
# user CA (rjh-admin ca init, default user_ca_key), with their defaults from
# lib/cfg.c, and the directory ssh-keygen makes either in (ca_keys.c);
# nothing else in /etc/rjh changes label.
for k in host_ca_key:host-ca user_ca_key:ca; do
	key=$(sed -nE "s|.*snprintf\(c->${k%:*}, sizeof\(c->${k%:*}\), \"([^\"]+)\"\);.*|\1|p" "$TOP/lib/cfg.c")
	[ -n "$key" ] || { not_ok "cannot read the default ${k%:*} from lib/cfg.c"; continue; }
	expect_label "$key" file rjh_ca_key_t "made by rjh-admin ${k#*:} init:"
	expect_label "$key.pub" file rjh_ca_key_t "made by rjh-admin ${k#*:} init:"
done
CATMP=$(sed -nE 's|.*"%s/(\.[A-Za-z0-9_]+\.)XXXXXX".*|\1|p' "$TOP/rjh-admin/ca_keys.c" | head -1)
[ -n "$CATMP" ] || not_ok "cannot read the CA's temporary directory from rjh-admin/ca_keys.c"
expect_label "/etc/rjh/${CATMP}Ab12Cd" dir rjh_ca_key_t "made by rjh-admin (host-)ca init:"
expect_label "/etc/rjh/${CATMP}Ab12Cd/ca" file rjh_ca_key_t "made by rjh-admin (host-)ca init:"
expect_label "/etc/rjh/${CATMP}Ab12Cd/ca.pub" file rjh_ca_key_t "made by rjh-admin (host-)ca init:"
expect_label /etc/rjh/rjh.conf file rjh_conf_t "the configuration stays"
# The ones that must be among them: each file rjh makes by default.
for p in "$REG" "$REG.nss" "$REG.nss-delta" "$REG.nss.lock" "$REG.login" "$REG.login-delta" \
	"$REG.login.lock" "$REG.krl" "$REG.user-cas" "$REG.krl.lock" "$REG$SPOOL" "$REG$SPOOL/c-0-0" \
	"$RUN/hosts/host-42/sock/$SOCK"; do
	grep -qxF "$p" "$PATHS" || not_ok "$p was not made, so its label went unchecked"
done
eq "$(label "$(dirname "$RUN")" dir)" var_run_t "the runtime tree's parent is var_run_t, as the type transitions expect"
eq "$(label "$(dirname "$regdir")" dir)" var_lib_t "the registry directory's parent is var_lib_t, as the type transitions expect"

# Every rjh.fc entry labels one of the paths above: no entry outlives its path.
while read -r re _; do
	case "$re" in '' | '#'*) continue ;; esac
	grep -qxE "$re" "$PATHS" && ok "rjh.fc entry $re is used" ||
		not_ok "rjh.fc entry $re matches no installed or runtime path"
done < "$TOP/selinux/rjh.fc"

########################################
# Nothing of the machine's own SELinux changed.

changed=$(find /etc/selinux /var/lib/selinux -newer "$WORK/stamp" 2> /dev/null | head -5)
eq "$changed" "" "the machine's /etc/selinux and /var/lib/selinux are untouched"

finish
