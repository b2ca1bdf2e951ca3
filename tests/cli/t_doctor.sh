# rjh-admin doctor on a jumphost installed with make install: first healthy
# (every check ok, --json parses), then each check broken alone, which must
# fail that check's line (exit 4) and leave the others ok. doctor never
# changes the registry or its snapshots.
#
# Runs in a private mount namespace with overlays on /etc and /usr (and /lib
# when it is not a link into /usr), so make install, the test's users,
# nsswitch.conf, the PAM files and the sshd drop-in exist only there; /run
# is a fresh tmpfs there, with the /run/sshd that sshd -T wants.
. "$(dirname "$0")/private-mounts.sh"
. "$(dirname "$0")/lib.sh"
trap 'cd /; umount -R "$WORK/run" 2> /dev/null; umount -l /etc /usr /lib 2> /dev/null; rm -rf "$WORK"' EXIT
MA=$(gcc -print-multiarch)
LIBDIR=/lib/$MA

# overlay DIR: DIR writable in this namespace only.
overlay() {
	local n=${1//\//_}
	mkdir -p "$WORK/ov/$n.up" "$WORK/ov/$n.work"
	mount -t overlay "rjh-doctor$n" -o "lowerdir=$1,upperdir=$WORK/ov/$n.up,workdir=$WORK/ov/$n.work" "$1"
}
dirs=(/etc /usr)
[ -L /lib ] || dirs+=(/lib)
for d in "${dirs[@]}"; do
	overlay "$d" || {
		not_ok "cannot overlay $d in the private namespace"
		finish
		exit 1
	}
done
mount -t tmpfs rjh-doctor-run /run && mkdir -m 0755 /run/sshd || not_ok "a private /run"

make -C "$TOP" --no-print-directory -s install DESTDIR= PREFIX=/usr > /dev/null ||
	not_ok "make install into the overlays"
ADMIN=/usr/sbin/rjh-admin
REG=$WORK/reg/registry.db
SSHD_DROPIN=/etc/ssh/sshd_config.d/rjh.conf
PAMSO=$LIBDIR/security/pam_rjh.so

# The keys user and the config, where the packages put them.
useradd --system -U -M -d /nonexistent -s /usr/sbin/nologin rjhdoctor || not_ok "useradd rjhdoctor"
conf() {
	{
		echo "registry = $REG"
		echo "runtime_dir = $WORK/run"
		echo "keys_user = rjhdoctor"
		case " $* " in *" audit = "*) ;; *) echo "audit = best-effort" ;; esac
		for l in "$@"; do echo "$l"; done
	} > /etc/rjh/rjh.conf
	chmod 0644 /etc/rjh/rjh.conf
}
conf "public_name = jump.example.com"
sed -i -E 's/^(passwd|group):.*/\1: files rjh/' /etc/nsswitch.conf
# sshd's stack reaches pam_rjh through each kind of include libpam knows.
cat > /etc/pam.d/sshd << 'PAM'
# the test's sshd
@include common-auth
account    required     pam_nologin.so
@include rjh-test-account
session [success=ok default=bad] pam_permit.so
session    substack     rjh-test-session
PAM
printf 'account [success=1 default=ignore] pam_unix.so\naccount requisite pam_deny.so\n-account \\\n  required pam_rjh.so\n' > /etc/pam.d/rjh-test-account
printf 'session required pam_unix.so\n# session required pam_other.so\nsession include rjh-test-sess2\n' > /etc/pam.d/rjh-test-session
printf 'session optional pam_rjh.so # the real one\n' > /etc/pam.d/rjh-test-sess2
"$ADMIN" sshd-config > "$SSHD_DROPIN"

"$ADMIN" init > /dev/null 2>&1 || not_ok "init"
"$ADMIN" enroll alpha "$(newkey alpha)" > /dev/null 2>&1 || not_ok "enroll alpha"
"$ADMIN" enroll bravo "$(newkey bravo)" > /dev/null 2>&1 || not_ok "enroll bravo"
"$ADMIN" runtime > /dev/null 2>&1 || not_ok "runtime"
ALPHA_UID=$(sqlite3 "$REG" "SELECT uid FROM hosts WHERE name = 'alpha'")
cp -a /etc/passwd /etc/group /etc/shadow /etc/gshadow "$WORK/"

RUNNER=() # what runs doctor: nothing, or setpriv
GLOBAL=() # rjh-admin's options before the command
ALLOW='^$' # other lines that may be something else than ok: a regex

# What doctor must not change.
sums() {
	sha256sum "$REG" "$REG".login "$REG".login-delta "$REG".nss "$REG".nss-delta 2>&1
	ls -ln --time-style=+ "$REG"* 2>&1
}
# doctor [WANT [ARGS...]]: runs doctor (exit WANT, default 0); $OUT holds
# its lines, and the files it must not touch are compared before and after.
doctor() {
	local want=${1:-0} before
	shift
	before=$(sums)
	expect "$want" "doctor $* exits $want" -- "${RUNNER[@]}" "$ADMIN" "${GLOBAL[@]}" doctor "$@"
	eq "$(sums)" "$before" "doctor $* changed nothing"
}
# line CHECK: doctor's line for CHECK.
line() { printf '%s\n' "$OUT" | grep -E "^[a-zA-Z]+ +$1 "; }
# The kernel's audit may be off on this machine: a warning, not a failure.
AUDIT_OFF='^warn +audit +kernel audit is disabled'
# only_fails CHECK REGEX: CHECK's line is FAIL and matches REGEX; every other
# line is ok (or matches $ALLOW).
only_fails() {
	local c l
	match -o "^FAIL +$1 .*$2" "$1 fails: /$2/"
	for c in nss pam sshd keys schema runtime public_name audit; do
		[ "$c" = "$1" ] && continue
		l=$(line "$c")
		if [[ "$l" == "ok "* ]]; then
			ok "$c stays ok"
		elif printf '%s' "$l" | grep -Eq "$AUDIT_OFF|$ALLOW"; then
			ok "$c: as expected: ${l:0:90}"
		else
			not_ok "$c stays ok: $l"
		fi
	done
}
all_ok() {
	local c
	for c in nss pam sshd keys schema runtime public_name audit; do
		case "$(line "$c")" in
		"ok "*) ok "$c ok" ;;
		*) if line "$c" | grep -Eq "$AUDIT_OFF"; then ok "audit warns: the kernel's audit is disabled here"; else
			not_ok "$c ok: $(line "$c")"; fi ;;
		esac
	done
}

echo "# healthy"
doctor 0
all_ok
printf '%s\n' "$OUT" | sed 's/^/#   /'
eq "$(printf '%s\n' "$OUT" | wc -l)" 9 "one line per check"
match -o "^ok +nss .*host alpha is uid $ALPHA_UID" "nss resolved alpha through glibc with its uid"
match -o "^ok +sshd .*sshd -T applies it to host alpha" "sshd -T applied the drop-in"
doctor 0 --json
jtrue "--json: a list of {check, ok, level, detail}, all ok" \
	'[x["check"] for x in d] == ["nss","pam","sshd","keys","schema","store","runtime","public_name","audit"] and all(x["ok"] is True and x["detail"] for x in d)'
expect 4 "as non-root: refused" -- setpriv --reuid=65534 --regid=65534 --clear-groups "$ADMIN" doctor
match "must run as root" "it says why"

echo "# nss"
# sshd -T cannot match a host NSS does not know: not run, and said so (a warning).
ALLOW='^warn +sshd +sshd -T not run: host alpha or group rjh-hosts does not resolve \(see nss\)$'
sed -i -E 's/^passwd:.*/passwd: files/' /etc/nsswitch.conf
doctor 4
only_fails nss "the passwd line of /etc/nsswitch.conf does not list rjh.*glibc does not resolve enrolled host alpha"
sed -i -E 's/^passwd:.*/passwd: files rjh/' /etc/nsswitch.conf
sed -i -E 's/^group:.*/group: rjh files/' /etc/nsswitch.conf
doctor 0
all_ok
sed -i -E 's/^group:.*/group: files/' /etc/nsswitch.conf
doctor 4
only_fails nss "the group line of /etc/nsswitch.conf does not list rjh.*glibc does not resolve the hosts group rjh-hosts"
sed -i -E 's/^group:.*/group: files rjh/' /etc/nsswitch.conf
mv "$LIBDIR/libnss_rjh.so.2" "$WORK/nss.so"
doctor 4
only_fails nss "libnss_rjh.so.2 does not load \(libnss_rjh.so.2: cannot open shared object file"
mv "$WORK/nss.so" "$LIBDIR/libnss_rjh.so.2"
ALLOW='^$'

echo "# pam"
sed -i '/pam_rjh/d' /etc/pam.d/rjh-test-sess2
doctor 4
only_fails pam "pam_rjh.so is not in sshd's session stack .*pam-auth-update"
printf 'session optional pam_rjh.so # the real one\n' > /etc/pam.d/rjh-test-sess2
sed -i 's/^-account/#-account/' /etc/pam.d/rjh-test-account
doctor 4
only_fails pam "pam_rjh.so is not in sshd's account stack"
sed -i 's/^#-account/-account/' /etc/pam.d/rjh-test-account
cp -a "$PAMSO" "$WORK/pam_rjh.so.good"
: > "$PAMSO"
doctor 4
only_fails pam "$PAMSO does not load \($PAMSO: file too short\)"
# A module whose library is gone: what a missing libsqlite3 looks like.
printf 'int rjh_doctor_gone(void) { return 0; }\n' > "$WORK/gone.c"
printf 'int rjh_doctor_gone(void); int pam_sm_acct_mgmt(void) { return rjh_doctor_gone(); }\n' > "$WORK/mod.c"
gcc -shared -fPIC -o "$WORK/librjhdoctorgone.so" "$WORK/gone.c" &&
	gcc -shared -fPIC -o "$PAMSO" "$WORK/mod.c" -L"$WORK" -lrjhdoctorgone &&
	rm "$WORK/librjhdoctorgone.so" || not_ok "build a module with a missing library"
doctor 4
only_fails pam "$PAMSO does not load \(librjhdoctorgone.so: cannot open shared object file"
# The stack names the module by its path: that one is loaded.
cp -a "$WORK/pam_rjh.so.good" "$PAMSO"
cp -a "$TOP/build/pam_rjh.so" "$WORK/elsewhere.so"
sed -i "s|pam_rjh.so # the real one|$WORK/pam_rjh.so # by path|" /etc/pam.d/rjh-test-sess2
sed -i "s|required pam_rjh.so|required $WORK/pam_rjh.so|" /etc/pam.d/rjh-test-account
cp "$WORK/pam_rjh.so.good" "$WORK/pam_rjh.so"
doctor 0
match -o "^ok +pam .*$WORK/pam_rjh.so loads" "a module named by path is the one loaded"
printf 'session optional pam_rjh.so # the real one\n' > /etc/pam.d/rjh-test-sess2
sed -i "s|required $WORK/pam_rjh.so|required pam_rjh.so|" /etc/pam.d/rjh-test-account

echo "# sshd"
cp "$SSHD_DROPIN" "$WORK/dropin.good"
sed -i 's/ClientAliveCountMax 3/ClientAliveCountMax 5/' "$SSHD_DROPIN"
n=$(grep -n ClientAliveCountMax "$SSHD_DROPIN" | cut -d: -f1)
doctor 4
only_fails sshd "rjh.conf differs from what 'rjh-admin sshd-config' prints, from line $n: run 'rjh-admin sshd-config > /etc/ssh/sshd_config.d/rjh.conf'"
rm "$SSHD_DROPIN"
doctor 4
only_fails sshd "rjh.conf is missing: run 'rjh-admin sshd-config > "
# The drop-in is in place, but sshd_config has a Match for the hosts first.
cp "$WORK/dropin.good" "$SSHD_DROPIN"
cp /etc/ssh/sshd_config "$WORK/sshd_config.good"
printf 'Match Group rjh-hosts\n\tAuthorizedKeysCommand /bin/true\n\tChrootDirectory /srv\n' > /etc/ssh/sshd_config.d/00-first.conf
doctor 4
only_fails sshd "sshd -T for host alpha has AuthorizedKeysCommand '/bin/true', not /usr/libexec/rjh/rjh-authorized-keys.*ChrootDirectory '/srv', not $WORK/run/hosts/%u"
rm /etc/ssh/sshd_config.d/00-first.conf
rmdir /run/sshd
doctor 4
only_fails sshd "/usr/sbin/sshd -T fails: Missing privilege separation directory: /run/sshd"
mkdir -m 0755 /run/sshd
chmod g+w /usr/libexec/rjh/rjh-authorized-keys
doctor 4
only_fails sshd "rjh-authorized-keys.*sshd refuses a key helper that is not root's alone"
chmod g-w /usr/libexec/rjh/rjh-authorized-keys

echo "# keys"
userdel rjhdoctor
doctor 4
only_fails keys "no user 'rjhdoctor' .*adduser --system --group --no-create-home --home /nonexistent rjhdoctor"
cp -a "$WORK/passwd" "$WORK/group" "$WORK/shadow" "$WORK/gshadow" /etc/
chmod 0644 "$REG.login"
doctor 4
only_fails keys "$REG.login is file 0644 0:[0-9]+, not a file 0640 root:rjhdoctor \(run 'rjh-admin refresh'\)"
chmod 0640 "$REG.login"
chmod 0644 "$REG"
doctor 4
only_fails keys "$REG is file 0644 0:0, not a file 0640 root:root"
chmod 0640 "$REG"

echo "# schema"
# In place (the drop-in names files beside the registry: another path would
# make the sshd check fail too); restored afterwards.
mkdir -m 0755 "$WORK/old"
cp -a "$REG" "$WORK/old/registry.db"
V=$(sqlite3 "$REG" "PRAGMA user_version")
sqlite3 "$REG" "PRAGMA user_version = $((V - 1))"
before=$(sha256sum "$REG" "$REG".login "$REG".login-delta "$REG".nss "$REG".nss-delta)
doctor 4
eq "$(sha256sum "$REG" "$REG".login "$REG".login-delta "$REG".nss "$REG".nss-delta)" "$before" \
	"doctor changed nothing in the old registry"
only_fails schema "registry schema $((V - 1)) is older than this rjh's $V: run 'rjh-admin refresh'"
eq "$(sqlite3 "$REG" "PRAGMA user_version")" "$((V - 1))" "doctor did not upgrade it"
match -o "^ok +nss .*no host to resolve: .*needs an upgrade" "nss says why no host was resolved"
cp -a "$WORK/old/registry.db" "$REG"

echo "# the KRL the drop-in names (sshd refuses every key without it)"
mv "$REG.krl" "$WORK/krl.saved"
doctor 4
only_fails sshd "registry.db.krl is missing: sshd refuses every host's key.*run 'rjh-admin refresh'"
echo nonsense > "$REG.krl"
doctor 4
only_fails sshd "registry.db.krl is not a KRL"
mv "$WORK/krl.saved" "$REG.krl"

echo "# runtime"
umount "$WORK/run"
doctor 4
only_fails runtime "$WORK/run or $WORK/run/hosts: No such file or directory: run 'rjh-admin runtime'"
rmdir "$WORK/run"
doctor 4
only_fails runtime "$WORK/run: No such file or directory: run 'rjh-admin runtime' \(the boot-time unit does"
"$ADMIN" runtime --no-mount > /dev/null 2>&1
doctor 0
match -o "^warn +runtime .*is not a tmpfs of its own" "runtime warns without a tmpfs of its own"
chmod 0777 "$WORK/run/hosts/bravo/sock"
doctor 4
only_fails runtime "$WORK/run/hosts/bravo/sock: directory 0777 .*not a directory 0700 .*run 'rjh-admin runtime'"
rm -rf "$WORK/run/hosts/alpha"
doctor 4
match -o "^FAIL +runtime .*alpha/sock: No such file or directory, and 1 more hosts' directories" "both hosts counted"
"$ADMIN" runtime > /dev/null 2>&1
doctor 0
all_ok

echo "# public_name"
conf
doctor 4
only_fails public_name "public_name is not set in /etc/rjh/rjh.conf"
conf "public_name = jump.example.com"

echo "# audit"
# Without CAP_AUDIT_CONTROL the kernel refuses the status request: what a
# container without audit sees as well.
RUNNER=(setpriv --bounding-set=-audit_control --)
doctor 4
only_fails audit "kernel audit is unreachable \(the kernel did not answer a status request: Operation not permitted\) and /etc/rjh/rjh.conf says audit = best-effort"
conf "public_name = jump.example.com" "audit = off"
doctor 0
match -o "^ok +audit +audit = off in /etc/rjh/rjh.conf" "audit = off: nothing to check, and said so"
RUNNER=()
conf "public_name = jump.example.com"
doctor 0
all_ok
finish
