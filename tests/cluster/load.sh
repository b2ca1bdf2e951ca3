# Load across a fault, for tests/cluster/t_cluster.sh and bench/cluster.sh:
# clients and tunnel logins through the jumphost, and rjh-admin changes.
# Source after tests/e2e/lib.sh and tests/cluster/lib.sh. Expects host-1
# (alice reaches it by name: granted, client_ssh_config) and host-2 (its
# namespace up, no tunnel held) to exist.

# load N: N client connections (alice -> host-1) and N tunnel logins of
# host-2, in parallel (LOAD_C, LOAD_T); each failure is a line in
# $WORK/load.fail, each attempt a line in $WORK/load.clients or load.tunnels.
load() {
	local n=$1
	rm -f "$WORK"/load.*
	(
		for ((i = 0; i < n; i++)); do
			laptop alice ssh -o ConnectTimeout=10 host-1 true > /dev/null 2>&1 ||
				echo "client $i: exit $?" >> "$WORK/load.fail"
			echo x >> "$WORK/load.clients"
		done
	) &
	LOAD_C=$!
	(
		for ((i = 0; i < n; i++)); do
			try_tunnel host-2 host-2 host-2 -N -o ExitOnForwardFailure=yes \
				-R /sock/ssh.sock:localhost:22
			[ "$TRY" = up ] || echo "tunnel $i: $TRY" >> "$WORK/load.fail"
			stop "$TRY_PID"
			echo x >> "$WORK/load.tunnels"
		done
	) &
	LOAD_T=$!
}

# load_wait: waits for both loops; sets LOAD_RUN (attempts) and LOAD_FAILED.
load_wait() {
	wait "$LOAD_C" "$LOAD_T"
	LOAD_RUN=$(($(wc -l < "$WORK/load.clients") + $(wc -l < "$WORK/load.tunnels")))
	LOAD_FAILED=$(wc -l < "$WORK/load.fail" 2> /dev/null || echo 0)
}

# admin_probe ROUND: an rjh-admin change (grant bob probe-ROUND-N) every
# 0.3 s until admin_probe_stop: acknowledged ones in $WORK/admin.ok ("N
# USEC"), refusals in $WORK/admin.err ("N USEC RC MESSAGE").
admin_probe() {
	rm -f "$WORK"/admin.*
	(
		local n=0 out rc
		while [ ! -e "$WORK/admin.stop" ]; do
			n=$((n + 1))
			out=$(rjh grant bob "probe-$1-$n" 2>&1)
			rc=$?
			if [ $rc = 0 ]; then
				echo "$n $(cluster_usec)" >> "$WORK/admin.ok"
			else
				echo "$n $(cluster_usec) $rc $out" >> "$WORK/admin.err"
			fi
			sleep 0.3
		done
	) &
	PROBE_PID=$!
}

admin_probe_stop() {
	touch "$WORK/admin.stop"
	wait "$PROBE_PID"
}

# probe_gap FAULT_USEC: the longest wait, in seconds, between two of
# rjh-admin's acknowledged changes from just before the fault on (a change
# begun before it may end after it); "" if none came after the fault.
probe_gap() {
	awk -v k="$1" '$2 > k { f = 1 } $2 > k - 1000000 { if (p && $2 - p > g) g = $2 - p; p = $2 }
		END { if (f) printf "%.2f", g / 1000000 }' "$WORK/admin.ok"
}
