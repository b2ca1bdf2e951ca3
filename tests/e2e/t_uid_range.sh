# The uid range only the registry knows, through the real sshd: `rjh-admin
# init --uid-min 3400000 --uid-max 3499999` with rjh.conf silent about uids.
# pam_rjh must take these hosts for rjh's (the range init recorded, not
# rjh.conf's defaults): their tunnels get a presence row, status and an
# audit trail, and its policy holds for them.
E2E_INIT_ARGS="--uid-min 3400000 --uid-max 3499999"
export E2E_INIT_ARGS
. "$(dirname "$0")/lib.sh"
e2e_setup
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

! grep -q '^uid_' "$CONF" && ok "rjh.conf states no uid range" || not_ok "rjh.conf states a uid range"
start_jumphost
add_host host-r1
eq "$(getent passwd host-r1 | cut -d: -f3)" 3400000 "host-r1 has uid 3400000, from init's range"
tunnel_up host-r1 && ok "host-r1's tunnel is up" || not_ok "host-r1's tunnel is up"
expect 0 "it is reachable" -- reach host-r1 hostname
eq "$(sqlite3 "$REG" "SELECT host, uid, ended IS NULL FROM sessions")" "host-r1|3400000|1" \
	"pam_rjh wrote its presence row"
eq "$(rjh status --json host-r1 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["hosts"][0]["state"])')" \
	up "rjh-admin status: up"
audit_find USER_START 'op=rjh-tunnel' | grep -qF 'acct=host-r1' &&
	ok "ausearch: USER_START op=rjh-tunnel for host-r1" || not_ok "no USER_START op=rjh-tunnel for host-r1"
tunnel_down host-r1
audit_find USER_END 'op=rjh-tunnel' | grep -qF 'acct=host-r1' &&
	ok "ausearch: USER_END op=rjh-tunnel for host-r1" || not_ok "no USER_END op=rjh-tunnel for host-r1"
finish
