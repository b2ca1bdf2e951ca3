# Several jumphosts serve one fleet (issue 18): three jumphosts, each a real
# sshd with its own network and mount namespace, runtime tree, cache and
# rjh-sync (tests/cluster/jumphosts.sh), on the Patroni cluster
# (tests/cluster/lib.sh); 20 hosts behind NAT, each with a tunnel to every
# jumphost; a client laptop whose ssh config comes from client-config.
# Asserted:
#  - every host reachable through each jumphost; a host offline on the
#    first jumphost the hop tries is reached through the next with the same
#    `ssh NAME`; the same uid and the same answers (getent, the key helper)
#    on each; status lists all three;
#  - kill -9 everything of one jumphost: every host still reachable with the
#    same `ssh NAME`; the other jumphosts' tunnels are the same ssh
#    processes; its presence expires after presence_ttl;
#  - a host enrolled while it is down works there as soon as it is back;
#  - it comes back: its tunnels return, what it spooled ships once;
#  - a fourth jumphost, added with `jumphost add`, certified by the host CA:
#    hosts and the client use it with the known_hosts they had;
#  - one host's key revoked: refused on every jumphost within 2 s;
#  - a certificate issued in PostgreSQL logs its host in on every
#    jumphost; its serial revoked: refused on every jumphost within 2 s;
#  - audit: every rjh record names its jumphost.
. "$(dirname "$0")/../e2e/lib.sh"
. "$TOP/tests/cluster/lib.sh"
. "$TOP/tests/pg.sh"
. "$TOP/tests/cluster/jumphosts.sh"
T_START=$SECONDS
HOSTS=()
for i in $(seq 1 20); do HOSTS+=("host-$i"); done
JH_TTL=6

# phase DESCRIPTION: prints the time since the start before a phase.
phase() {
	echo "# $((SECONDS - T_START)) s: $1"
}
leader_sql() {
	cluster_sql "$CLUSTER_CONNINFO" "$1"
}

e2e_setup
cluster_up || die "the cluster did not come up"
cluster_psql "$(cluster_leader)" "GRANT pg_read_all_stats TO rjh" > /dev/null ||
	die "grant pg_read_all_stats"
mkdir -m 0700 "$WORK/uca" || die "the user CA's directory"
jh_admin "$CLUSTER_CONNINFO" "host_ca_key = $WORK/host_ca" "presence_ttl = ${JH_TTL}s" \
	"user_ca_key = $WORK/uca/user_ca" ||
	die "rjh-admin init on PostgreSQL"
expect 0 "rjh-admin host-ca init" -- rjh host-ca init
# shellcheck disable=SC2034 # read by jh_up
JH_CERT=yes
for j in jh1 jh2 jh3; do
	jh_up "$j" "presence_ttl = ${JH_TTL}s"
done
phase "3 jumphosts up"
rjh grant alice 'host-*' > /dev/null || die "grant"
jh_hosts "${HOSTS[@]}"
client_up || die "the laptop's network"
jh_laptop alice --pattern 'host-*' || die "alice's ssh config"
J3=("${JH_ADDR[jh1]}" "${JH_ADDR[jh2]}" "${JH_ADDR[jh3]}")

# ---- 1. every host through each jumphost, the same answers everywhere
all_up() {
	local j
	for j in "$@"; do
		jh_has_tunnels "$j" "${HOSTS[@]}" || return 1
	done
}
if cluster_until 30 "60 tunnels" all_up jh1 jh2 jh3; then
	ok "20 hosts hold a tunnel to each of 3 jumphosts ($(jh_tunnels jh1 | wc -l)," \
		"$(jh_tunnels jh2 | wc -l), $(jh_tunnels jh3 | wc -l))"
else
	not_ok "tunnels: jh1 $(jh_tunnels jh1 | wc -l), jh2 $(jh_tunnels jh2 | wc -l), jh3 $(jh_tunnels jh3 | wc -l)"
fi
phase "tunnels up"
eq "$(jh_host_targets host-1 | tr '\n' ' ')" "${J3[*]} " \
	"host-unit enables one tunnel unit per registered jumphost"
for j in jh1 jh2 jh3; do
	if bad=$(jh_reach_all "${JH_ADDR[$j]}" "${HOSTS[@]}"); then
		ok "every host reachable by name through $j alone"
	else
		not_ok "through $j: $bad"
	fi
done
phase "reached through each"
# A host whose tunnel to jh1 is down while jh1 is up: rjh-connect there
# says offline (exit 5) and the hop moves on.
host2_off_jh1() {
	! jh_has_tunnels jh1 host-2
}
kill -KILL "$(cat "$WORK/hosts/host-2/tun-${JH_ADDR[jh1]}.loop")" "$(jh_tunnel_pid host-2 "${JH_ADDR[jh1]}")"
if cluster_until 10 "host-2's tunnel gone from jh1" host2_off_jh1; then
	expect 0 "host-2, offline on jh1 (first in the hop's list), reachable by the same 'ssh host-2'" -- \
		jh_reach "" host-2 hostname
	eq "$OUT" host-2 "and it is host-2 that answers"
else
	not_ok "host-2's tunnel to jh1 did not go away"
fi
rm -f "$WORK/hosts/host-2/tun-${JH_ADDR[jh1]}".*
jh_host_tunnels host-2
cluster_until 10 "host-2 back on jh1" jh_has_tunnels jh1 host-2 || not_ok "host-2's tunnel to jh1 did not return"
uids=$(leader_sql "select name || ':' || uid from hosts" | sort)
fp5=$(ssh-keygen -lf "$WORK/keys/host-5.pub" | cut -d' ' -f2)
akc5() {
	jh_exec "$1" "$TOP/build/rjh-authorized-keys" --config /etc/rjh/rjh.conf host-5 "$fp5"
}
OUT=$(akc5 jh1)
has -o "$(cut -d' ' -f2 "$WORK/keys/host-5.pub")" "jh1: the key helper gives host-5's key"
for j in jh1 jh2 jh3; do
	eq "$(jh_exec "$j" getent passwd "${HOSTS[@]}" | cut -d: -f1,3 | sort)" "$uids" \
		"$j: getent gives every host the uid PostgreSQL gave it"
	eq "$(akc5 "$j")" "$OUT" "$j: the key helper's line for host-5 is the same"
done

# status_jumphosts HOST: the jumphosts `rjh-admin status --json` says hold
# HOST's tunnel, sorted, space-separated.
status_jumphosts() {
	rjh status --json | /usr/bin/python3 -c '
import json, sys
want = sys.argv[1]
d = json.load(sys.stdin)
rows = d if isinstance(d, list) else d.get("hosts", [])
for r in rows:
    if r.get("name") == want or r.get("host") == want:
        print(" ".join(sorted(r.get("jumphosts") or [])))' "$1"
}
status_is() {
	[ "$(status_jumphosts "$1")" = "$2" ]
}
if cluster_until 10 "status: host-9 on jh1 jh2 jh3" status_is host-9 "jh1 jh2 jh3"; then
	ok "rjh-admin status: host-9's tunnel is held by jh1 jh2 jh3"
else
	not_ok "rjh-admin status says host-9 is on '$(status_jumphosts host-9)'"
fi

# ---- 2. kill -9 everything of jh1
phase "kill -9 of jh1"
# What jh1 records after its rjh-sync died is what it has to ship later.
jh_sync_kill jh1
for i in 1 2 3; do
	jh_reach "${JH_ADDR[jh1]}" host-7 true || not_ok "host-7 through jh1 before the crash"
done
spooled=$(find "$JH_WORK/jh1/reg" -path '*spool*' -type f | wc -l)
declare -A PIDS_BEFORE
for h in "${HOSTS[@]}"; do
	for j in jh2 jh3; do
		PIDS_BEFORE[$h-$j]=$(jh_tunnel_pid "$h" "${JH_ADDR[$j]}")
	done
done
kill_t=$(cluster_usec)
jh_kill jh1 || die "jh1's processes did not end"
ok "kill -9 of everything of jh1 (left its spool with $spooled files)"
if bad=$(jh_reach_all "" "${HOSTS[@]}"); then
	ok "every host reachable with plain 'ssh NAME', unchanged config, jh1 down"
else
	not_ok "with jh1 down: $bad"
fi
changed=0
for h in "${HOSTS[@]}"; do
	for j in jh2 jh3; do
		[ "${PIDS_BEFORE[$h-$j]}" = "$(jh_tunnel_pid "$h" "${JH_ADDR[$j]}")" ] &&
			kill -0 "${PIDS_BEFORE[$h-$j]}" 2> /dev/null || changed=$((changed + 1))
	done
done
eq "$changed" 0 "the 40 tunnels to jh2 and jh3 are the same ssh processes (no re-login)"
if cluster_until $((JH_TTL + 6)) "jh1 gone from status" status_is host-9 "jh2 jh3"; then
	ok "jh1's presence expired $(cluster_elapsed "$kill_t") s after the kill (presence_ttl ${JH_TTL}s)"
else
	not_ok "status still says host-9 is on '$(status_jumphosts host-9)'"
fi
expect 0 "rjh-admin jumphost list" -- rjh jumphost list
if grep -E '^jh1 ' <<< "$OUT" | grep -qw down; then
	ok "jumphost list says jh1 is down"
else
	not_ok "jumphost list: $(grep -E '^jh1 ' <<< "$OUT")"
fi

# ---- 3. a host enrolled while jh1 is down
HOSTS+=(host-21)
jh_host host-21
jh_laptop_hosts alice
if cluster_until 15 "host-21 on jh2 and jh3" all_up jh2 jh3; then
	ok "host-21, enrolled with jh1 down, is up on jh2 and jh3"
else
	not_ok "host-21's tunnels to jh2/jh3"
fi
check "host-21 reachable by name" -- jh_reach "" host-21 true

# ---- 4. jh1 comes back
phase "jh1 back"
jh_start jh1
back_t=$(cluster_usec)
if cluster_until 20 "21 tunnels on jh1" all_up jh1; then
	ok "jh1 back: the tunnels of all 21 hosts return in $(cluster_elapsed "$back_t") s"
else
	not_ok "jh1 back: only $(jh_tunnels jh1 | wc -l) tunnels"
fi
if wait_for 10 "host-21 through jh1" jh_reach "${JH_ADDR[jh1]}" host-21 true; then
	ok "host-21, enrolled while jh1 was down, reachable through jh1 $(cluster_elapsed "$back_t") s after its start"
else
	not_ok "host-21 not reachable through jh1"
fi
drained() {
	[ -z "$(find "$JH_WORK/jh1/reg" -path '*spool*' -type f)" ] &&
		[ "$(sqlite3 "$JH_WORK/jh1/reg/registry.db" 'select count(*) from outbox')" = 0 ]
}
cluster_until 15 "jh1's spool and outbox shipped" drained ||
	not_ok "jh1's spool or outbox did not drain"
# Once each: as many rows as rjh-connect wrote kernel records for host-7 on jh1.
krec=$(ausearch -if "$AUDIT_LOG" -m USER_START,USER_END 2> /dev/null | grep 'op=rjh-connect' |
	grep 'rjh_host="host-7"' | grep -c 'jumphost="jh1"')
pgrec=$(leader_sql "select count(*) from events where jumphost = 'jh1' and op = 'rjh-connect' and host = 'host-7' and type in ('USER_START', 'USER_END')")
eq "$pgrec" "$krec" "jh1's rjh-connect records for host-7 (3 made after its rjh-sync died) are in PostgreSQL once each"
if [ "$krec" -ge 6 ]; then
	ok "($krec kernel records)"
else
	not_ok "only $krec kernel records for them"
fi
eq "$(leader_sql "select count(*) - count(distinct origin) from events where jumphost = 'jh1'")" 0 \
	"no duplicate origin among jh1's events"
check "jh1's sessions are in PostgreSQL under its name" -- \
	test "$(leader_sql "select count(*) from sessions where jumphost = 'jh1'")" -gt 0
if cluster_until 10 "status: host-9 on jh1 jh2 jh3" status_is host-9 "jh1 jh2 jh3"; then
	ok "status lists jh1 again for host-9"
else
	not_ok "status says host-9 is on '$(status_jumphosts host-9)'"
fi

# ---- 5. a fourth jumphost, certified by the host CA
phase "jh4"
pinned() {
	cat "$WORK"/hosts/host-*/jumphost_known_hosts "$WORK/home/alice/.ssh/known_hosts" \
		"$WORK/home/alice/.ssh/known_hosts.rjh-jumphosts" "$WORK/home/alice/.ssh/config" | md5sum
}
kh_before=$(pinned)
jh_up jh4 "presence_ttl = ${JH_TTL}s"
for h in "${HOSTS[@]}"; do
	jh_host_tunnels "$h"
done
if cluster_until 20 "21 tunnels on jh4" all_up jh4; then
	ok "jh4 added: every host holds a tunnel to it, re-running host-unit only"
else
	not_ok "jh4: only $(jh_tunnels jh4 | wc -l) tunnels"
fi
if bad=$(jh_reach_all "${JH_ADDR[jh4]}" host-1 host-14 host-21); then
	ok "the laptop reaches hosts through jh4"
else
	not_ok "through jh4: $bad"
fi
eq "$(pinned)" "$kh_before" "with the jumphost keys every host and the laptop pin, and the laptop's config, unchanged"
eq "$(sort -u "$WORK"/hosts/host-*/jumphost_known_hosts | cut -d' ' -f1,2)" "@cert-authority *" \
	"hosts pin the @cert-authority line only"

# ---- 6. one key revoked: refused on every jumphost within 2 s
fp3=$(ssh-keygen -lf "$WORK/keys/host-3.pub" | cut -d' ' -f2)
refused_all() {
	local j
	for j in jh1 jh2 jh3 jh4; do
		[ -z "$(jh_exec "$j" "$TOP/build/rjh-authorized-keys" --config /etc/rjh/rjh.conf \
			host-3 "$fp3" 2> /dev/null)" ] || return 1
	done
}
rjh revoke-key "$fp3" > /dev/null || die "revoke-key"
rev_t=$(cluster_usec)
if wait_for 2 "host-3's key refused on jh1..jh4" refused_all; then
	ok "host-3's revoked key refused on all four jumphosts $(cluster_elapsed "$rev_t") s after revoke-key"
else
	not_ok "host-3's key still accepted somewhere 2 s after revoke-key"
fi
for j in jh1 jh2 jh3 jh4; do
	out=$(ip netns exec "${HOST_NS[host-3]}" ssh -N -F none -o BatchMode=yes -o IdentitiesOnly=yes \
		-i "$WORK/keys/host-3" -o "UserKnownHostsFile=$WORK/hosts/host-3/jumphost_known_hosts" \
		-o ExitOnForwardFailure=yes -o ConnectTimeout=5 -R /x.sock:localhost:22 \
		"host-3@${JH_ADDR[$j]}" 2>&1)
	rc=$?
	if [ $rc = 255 ] && grep -q 'Permission denied' <<< "$out"; then
		ok "$j refuses host-3's login"
	else
		not_ok "$j: host-3's login: exit $rc: $out"
	fi
done

# ---- 6b. a certificate: accepted on every jumphost; its serial revoked: refused within 2 s
phase "certificates"
# cert_login J: host-6 logs in to J with keys/cert-6 and its certificate
# only (that key is no host's). 0 when the forward was up after 3 s.
cert_login() {
	local rc
	ip netns exec "${HOST_NS[host-6]}" timeout 3 ssh -N -F none -o BatchMode=yes \
		-o IdentitiesOnly=yes -i "$WORK/keys/cert-6" \
		-o "CertificateFile=$WORK/keys/cert-6-cert.pub" \
		-o "UserKnownHostsFile=$WORK/hosts/host-6/jumphost_known_hosts" \
		-o ExitOnForwardFailure=yes -o ConnectTimeout=5 -R /sock/cert.sock:localhost:22 \
		"host-6@${JH_ADDR[$1]}" > /dev/null 2>&1
	rc=$?
	[ $rc = 124 ]
}
cert_refused_all() {
	local j
	for j in jh1 jh2 jh3 jh4; do
		ssh-keygen -Q -f "$JH_WORK/$j/reg/registry.db.krl" "$WORK/keys/cert-6-cert.pub" \
			> /dev/null 2>&1 && return 1
	done
	return 0
}
cas_on_all() {
	local j
	for j in jh1 jh2 jh3 jh4; do
		grep -qF "$(cut -d' ' -f2 "$WORK/uca/user_ca.pub")" "$JH_WORK/$j/reg/registry.db.user-cas" ||
			return 1
	done
}
rm -f "$WORK/keys/cert-6" "$WORK/keys/cert-6.pub"
ssh-keygen -q -N '' -t ed25519 -f "$WORK/keys/cert-6" || die "cert-6's key"
expect 0 "rjh-admin ca init (PostgreSQL)" -- rjh ca init
expect 0 "rjh-admin sign host-6 for a key no host enrolled" -- rjh sign host-6 "$WORK/keys/cert-6.pub"
printf '%s\n' "$OUT" > "$WORK/keys/cert-6-cert.pub"
cluster_until 5 "the CA published on jh1..jh4" cas_on_all || not_ok "the CA is not on every jumphost"
for j in jh1 jh2 jh3 jh4; do
	if cert_login "$j"; then
		ok "$j: host-6 logs in with its certificate, its forward up"
	else
		not_ok "$j: host-6's certificate login"
	fi
done
rjh revoke-cert host-6 1 > /dev/null || die "revoke-cert"
rev_t=$(cluster_usec)
if wait_for 2 "serial 1 in every jumphost's KRL" cert_refused_all; then
	ok "every jumphost's KRL revokes serial 1 $(cluster_elapsed "$rev_t") s after revoke-cert"
else
	not_ok "serial 1 is not in every jumphost's KRL 2 s after revoke-cert"
fi
for j in jh1 jh2 jh3 jh4; do
	if cert_login "$j"; then
		not_ok "$j still takes host-6's revoked certificate"
	else
		ok "$j refuses host-6's revoked certificate"
	fi
done

# ---- 7. audit: every rjh record names its jumphost
# NB. The kernel hands every user record on the machine to this test's
# auditd, also those of other test runs beside it (the same op=, host and
# user names). This run's own are told apart by what is unique to it: the
# fingerprints of its hosts' keys (pam_rjh's records) and the path of its
# programs (rjh-admin, rjh-sync in this tree's build/).
recs=$(ausearch -if "$AUDIT_LOG" -m USER_START,USER_END,USER_ACCT,USER_MGMT 2> /dev/null |
	grep 'op=rjh-')
for j in jh1 jh2 jh3 jh4; do
	for op in rjh-tunnel rjh-connect; do
		n=$(grep "op=$op " <<< "$recs" | grep -c "jumphost=\"$j\"")
		if [ "$n" -gt 0 ]; then
			ok "audit: $n $op records name jumphost=\"$j\""
		else
			not_ok "audit: no $op record names jumphost=\"$j\""
		fi
	done
done
for h in "${HOSTS[@]}"; do
	ssh-keygen -lf "$WORK/keys/$h.pub" | cut -d' ' -f2
done > "$WORK/fps"
ours=$(grep -F -e "exe=\"$TOP/build/" -f "$WORK/fps" <<< "$recs")
if [ "$(wc -l <<< "$ours")" -lt 100 ]; then
	not_ok "only $(wc -l <<< "$ours") rjh records of this run in $AUDIT_LOG"
else
	eq "$(grep -vc 'jumphost="' <<< "$ours")" 0 \
		"every one of this run's $(wc -l <<< "$ours") rjh records (tunnels, rjh-admin, rjh-sync) names its jumphost"
	grep -v 'jumphost="' <<< "$ours" | head -3 | cut -c 1-400 | sed 's/^/    | /'
fi

echo "    ($((SECONDS - T_START)) s)"
finish
