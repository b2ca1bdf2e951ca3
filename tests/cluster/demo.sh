#!/bin/bash
# make demo-cluster: three jumphosts (each a real sshd with rjh, its own
# network and mount namespace, runtime tree, cache and rjh-sync) on one
# registry in PostgreSQL under Patroni; three hosts behind NAT with a tunnel
# to each jumphost; a client laptop reaching them by name. One jumphost is
# killed and the client keeps working; the database leader is killed and
# nothing fails; then the fleet-wide status and audit trail. Runs in private
# namespaces (tests/e2e/lib.sh, tests/cluster/lib.sh, tests/cluster/jumphosts.sh)
# and leaves nothing behind.
TEST_NAME=demo-cluster
. "$(dirname "$0")/../e2e/lib.sh"
. "$TOP/tests/cluster/lib.sh"
. "$TOP/tests/pg.sh"
. "$TOP/tests/cluster/jumphosts.sh"

HOSTS=(berlin lisbon oslo)
started=$(date +%s)

if [ -t 1 ]; then
	B=$'\e[1m' D=$'\e[2m' N=$'\e[0m'
else
	B='' D='' N=''
fi
section() { printf '\n%s== %s ==%s\n' "$B" "$*" "$N"; }
note() { printf '%s   %s%s\n' "$D" "$*" "$N"; }
show() {
	local prompt=$1
	shift
	printf '%s%s%s %s\n' "$B" "$prompt" "$N" "$*"
}
indent() { sed 's/^/    /'; }
fail() {
	printf '\nDEMO FAILED: %s\n' "$*"
	FAIL=1
	exit 1
}
# reach_each VIA: alice runs `ssh HOST hostname` for every host (VIA: the
# RJH_JUMPHOSTS she sets, "" for none); each must answer with its name.
reach_each() {
	local h out
	for h in "${HOSTS[@]}"; do
		show 'laptop(alice)$' "${1:+RJH_JUMPHOSTS=$1 }ssh $h hostname"
		out=$(jh_reach "$1" "$h" hostname 2> /dev/null) || fail "ssh $h failed"
		[ "$out" = "$h" ] || fail "ssh $h printed '$out'"
		echo "$out" | indent
	done
}

# status_short: rjh-admin status, its first two columns and its last (JUMPHOSTS).
status_short() {
	rjh status | awk '{ print $1, $2, $NF }' | column -t | indent
}

section "rjh demo-cluster: three jumphosts, one fleet, PostgreSQL under Patroni"
note "Everything runs in private mount, network and PID namespaces; nothing on"
note "this machine changes, and it is all gone when the demo ends."
e2e_setup

section "1. The registry: PostgreSQL 15, three nodes under Patroni on etcd"
cluster_up > "$WORK/cluster_up.out" || fail "the cluster did not come up"
cut -c1-110 "$WORK/cluster_up.out" | indent
cluster_psql "$(cluster_leader)" "GRANT pg_read_all_stats TO rjh" > /dev/null || fail "grant"
show 'admin#' "rjh-admin init    ${D}(store = postgresql, conninfo = all three nodes)$N"
jh_admin "$CLUSTER_CONNINFO" "host_ca_key = $WORK/host_ca" "presence_ttl = 6s" ||
	fail "rjh-admin init"
grep -v '^$' "$WORK/init-pg.out" | head -5 | indent
show 'admin#' rjh-admin host-ca init
rjh host-ca init 2>&1 | indent

section "2. Three jumphosts, each its own machine: sshd, rjh-sync, runtime tree, cache"
JH_CERT=yes
for j in jh1 jh2 jh3; do
	jh_up "$j" "presence_ttl = 6s"
	note "$j at ${JH_ADDR[$j]}: registered (rjh-admin jumphost add $j ${JH_ADDR[$j]}), host key" \
		"signed by the host CA"
done
show 'admin#' rjh-admin jumphost list
rjh jumphost list | indent

section "3. Three hosts behind NAT, each with a tunnel to every jumphost"
rjh grant alice '*' > /dev/null || fail "grant"
for h in "${HOSTS[@]}"; do
	jh_host "$h"
done
show 'admin#' rjh-admin host-unit berlin
rjh host-unit berlin | grep -E '^(ExecStart|Restart)|systemctl enable|ssh://' | cut -c1-150 | indent
show 'berlin#' "cat /etc/rjh/jumphost_known_hosts    ${D}(rjh-admin host-unit berlin --known-hosts)$N"
cut -c1-90 "$WORK/hosts/berlin/jumphost_known_hosts" | sed 's/$/.../' | indent
all_up() {
	local j
	for j in jh1 jh2 jh3; do
		jh_has_tunnels "$j" "${HOSTS[@]}" || return 1
	done
}
cluster_until 20 "9 tunnels" all_up || fail "the tunnels did not come up"
for j in jh1 jh2 jh3; do
	note "$j holds the tunnels of: $(jh_tunnels "$j" | tr '\n' ' ')"
done

section "4. A client laptop reaches each host by name"
client_up || fail "the laptop's network"
jh_laptop alice --pattern 'berlin,lisbon,oslo' || fail "alice's ssh config"
show 'admin#' "rjh-admin client-config --pattern berlin,lisbon,oslo    ${D}(alice's ~/.ssh/config)$N"
rjh client-config --pattern 'berlin,lisbon,oslo' | grep -v '^#' | cut -c1-150 | indent
note "alice pins one line for every jumphost: ~/.ssh/known_hosts.rjh-jumphosts (rjh-admin host-ca known-hosts)"
reach_each ""
note "and through each jumphost alone:"
for j in jh2 jh3; do
	show 'laptop(alice)$' "RJH_JUMPHOSTS=${JH_ADDR[$j]} ssh berlin hostname"
	out=$(jh_reach "${JH_ADDR[$j]}" berlin hostname 2> /dev/null) || fail "through $j"
	echo "$out" | indent
done

section "5. kill -9 of everything of jh1 (sshd, its sessions, rjh-sync)"
show 'jh1#' "kill -9 $(jh_pids jh1 | wc -l) processes"
jh_kill jh1 || fail "jh1's processes did not end"
kill_t=$(cluster_usec)
reach_each ""
note "the same 'ssh NAME', no config change: the hop found jh1 gone and went on to jh2"
cluster_until 15 "jh1 down" sh -c "\"$ADMIN\" -c \"$CONF\" jumphost list | grep -q '^jh1 .* down '" ||
	fail "jh1 never shown down"
show 'admin#' "rjh-admin jumphost list    ${D}($(cluster_elapsed "$kill_t") s after the kill: presence_ttl is 6 s here)$N"
rjh jumphost list | indent
show 'admin#' "rjh-admin status    ${D}(its HOST, STATE and JUMPHOSTS columns)$N"
status_short

section "6. The database leader dies (Patroni and PostgreSQL, kill -9)"
leader=$(cluster_leader) || fail "no leader"
show 'pg'"$leader"'#' "kill -9 patroni postgres    ${D}(the leader, pg$leader)$N"
cluster_kill_node "$leader" || fail "kill the leader"
kill_t=$(cluster_usec)
n=0
while ! cluster_writable; do
	for h in "${HOSTS[@]}"; do
		out=$(jh_reach "" "$h" hostname 2> /dev/null)
		[ "$out" = "$h" ] || fail "ssh $h during the failover printed '$out'"
		n=$((n + 1))
	done
	[ $(($(cluster_usec) - kill_t)) -lt 60000000 ] || fail "no new leader after 60 s"
done
note "$n client connections during the failover, 0 failed: the login path reads local files only"
new=$(cluster_wait_leader 10 "$leader") || fail "no new leader"
note "pg$new leads $(cluster_elapsed "$kill_t") s after the kill"
show 'admin#' rjh-admin enroll paris paris.pub
pub=$(new_key paris) || fail "key"
rjh enroll paris "$pub" 2>&1 | head -3 | indent
reach_each ""

section "7. Fleet-wide status and audit"
# After the failover each rjh-sync reports to the new primary again.
held_by() {
	rjh status --json 2> /dev/null | /usr/bin/python3 -c '
import json, sys
hosts = json.load(sys.stdin)["hosts"]
sys.exit(sum(sorted(h.get("jumphosts") or []) == ["jh2", "jh3"] for h in hosts) != 3)'
}
if cluster_until 30 "jh2 and jh3 report again" held_by; then
	note "jh2 and jh3 report their tunnels to the new primary $(cluster_elapsed "$kill_t") s after the kill"
else
	note "jh2 and jh3 did not both report their tunnels within 30 s"
fi
show 'admin#' "rjh-admin status    ${D}(its HOST, STATE and JUMPHOSTS columns)$N"
status_short
show 'admin#' "rjh-admin audit --since 1h | tail    ${D}(time, type, operation, result, host, actor, jumphost)$N"
rjh audit --since 1h 2>&1 | tail -8 | awk '{ j = ""
	for (i = 7; i <= NF; i++) if ($i ~ /^jumphost=/) j = $i
	print $1, $2, $3, $4, $5, $6, j }' | column -t | indent
if [ -s "$AUDIT_LOG" ]; then
	show 'admin#' "ausearch -m USER_START -i | grep -o 'op=rjh-[a-z]* .*jumphost=[^ ]*'"
	ausearch -if "$AUDIT_LOG" -m USER_START -i 2> /dev/null | grep -o 'op=rjh-[a-z]* .*jumphost=[^ ]*' |
		sed -E 's/ (id|fingerprint|actor_uid|addr)=[^ ]*//g' | tail -6 | cut -c1-150 | indent
else
	note "(no auditd of the demo's own: another one runs on this machine)"
fi

section "Done in $(($(date +%s) - started)) s; tearing everything down"
TEARDOWN_REPORT=1
