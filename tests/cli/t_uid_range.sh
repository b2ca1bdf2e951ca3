# The uid range has one source of truth: the one `rjh-admin init` recorded in
# the registry. With rjh.conf silent (as `init --help` invites), a range given
# to init must still make every component treat those uids as hosts: nss_rjh
# serves them, and pam_rjh decides for them (revoked, CIDRs) and records
# their presence, instead of ignoring them as outside rjh.conf's default
# range and losing the audit trail.
#
# pamtester drives Debian's libpam with a service whose stack shows what
# pam_rjh said (success ends it, a refusal fails it, PAM_IGNORE falls
# through to pam_exec /bin/false: "System error"). Runs in a private mount
# namespace: a test nsswitch.conf (files rjh) and a copy of /etc/pam.d.
. "$(dirname "$0")/private-mounts.sh"
. "$(dirname "$0")/lib.sh"
DEVLOG_TMP=$WORK . "$TOP/tests/devlog.sh"
trap 'devlog_stop; rm -rf "$WORK"' EXIT
SO="$TOP/build/pam_rjh.so"
RUN="$TOP/build/tools/pam-run"

printf 'passwd: files rjh\ngroup: files rjh\nshadow: files\n' > "$WORK/nsswitch.conf"
cp -a /etc/pam.d "$WORK/pam.d"
for t in account session; do
	printf '%s [success=done ignore=ignore default=die] %s conf=%s audit=off\n' \
		"$t" "$SO" "$WORK/rjh.conf"
	printf '%s required pam_exec.so quiet /bin/false\n' "$t"
done > "$WORK/pam.d/rjh-range"
if ! mount --bind "$WORK/nsswitch.conf" /etc/nsswitch.conf ||
	! mount --bind "$WORK/pam.d" /etc/pam.d || ! devlog_start "$WORK/syslog"; then
	not_ok "cannot set up the private namespace (nsswitch.conf, pam.d, /dev/log)"
	finish
	exit 1
fi
export LD_LIBRARY_PATH="$TOP/build" RJH_CONF="$WORK/rjh.conf"

# rjh.conf says nothing about uids: its defaults are 1900000000-1900999999.
write_conf
! grep -q uid_ "$WORK/rjh.conf" && ok "rjh.conf states no uid range" || not_ok "rjh.conf states a range"
expect 0 "init --uid-min 3400000 --uid-max 3499999" -- rjh init --uid-min 3400000 --uid-max 3499999
expect 0 "enroll host-r1" -- rjh enroll host-r1 "$(newkey r1)"
expect 0 "enroll host-r2" -- rjh enroll host-r2 "$(newkey r2)"
expect 0 "enroll host-r3 --from 10.9.0.0/16" -- rjh enroll host-r3 "$(newkey r3)" --from 10.9.0.0/16
expect 0 "revoke host-r2" -- rjh revoke host-r2
eq "$(getent passwd host-r1 | cut -d: -f3)" 3400000 "nss_rjh serves host-r1 with a uid of the registry's range"

echo "# pam_rjh through pamtester"
expect 0 "host-r1 (active): acct_mgmt succeeds" -- \
	timeout 10 pamtester -I rhost=192.0.2.7 rjh-range host-r1 acct_mgmt
expect 1 "host-r2 (revoked): acct_mgmt fails" -- \
	timeout 10 pamtester -I rhost=192.0.2.7 rjh-range host-r2 acct_mgmt
match "Permission denied" "refused by pam_rjh (Permission denied), not ignored (System error)"
ERR=$(syslog_since 0)
has "host host-r2 from 192.0.2.7 refused: disabled" "syslog says why"
expect 1 "host-r3 from outside its CIDRs: acct_mgmt fails" -- \
	timeout 10 pamtester -I rhost=192.0.2.7 rjh-range host-r3 acct_mgmt
match "Permission denied" "refused by pam_rjh for its source address"
expect 0 "host-r3 from inside its CIDRs: acct_mgmt succeeds" -- \
	timeout 10 pamtester -I rhost=10.9.1.1 rjh-range host-r3 acct_mgmt
eq "$(q "SELECT count(*) FROM events WHERE type = 'USER_ACCT' AND op = 'rjh-login' AND result = 'failed' AND host IN ('host-r2', 'host-r3')")" \
	2 "both refusals are in the audit trail"
expect 1 "a normal account (root) is still pam_rjh's to ignore" -- \
	timeout 10 pamtester rjh-range root acct_mgmt
match "System error" "root fell through pam_rjh (PAM_IGNORE) to pam_exec"

echo "# the session: presence is recorded"
OUT=$(timeout 30 "$RUN" -d /etc/pam.d -r 192.0.2.7 \
	-e "SSH_AUTH_INFO_0=publickey $(cut -d' ' -f1,2 "$WORK/keys/r1.pub")" \
	rjh-range host-r1 open close 2>&1)
eq "$(printf '%s\n' "$OUT" | tr '\n' ' ')" "open: PAM_SUCCESS close: PAM_SUCCESS " \
	"session open and close for host-r1"
eq "$(q "SELECT host, uid, end_reason FROM sessions")" "host-r1|3400000|closed" \
	"a presence row for host-r1, with its uid from the registry's range"
finish
