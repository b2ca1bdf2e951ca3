# A real auditd of the test's own, for tests that query audit records with
# ausearch. Source it, then:
#
#   auditd_start DIR   starts `auditd -n` logging to DIR/audit.log (kernel
#                      audit enabled for the test: auditctl -e 1). Sets
#                      AUDIT_LOG. Returns 1 (AUDIT_WHY says why) when kernel
#                      audit is locked or absent, or another auditd runs.
#   auditd_stop        ends it and puts `auditctl -e` back as it was (call it
#                      from the EXIT trap; harmless when nothing was started)
#   audit_find TYPE TEXT [SECONDS]
#                      waits (5 s) for an `ausearch -m TYPE -i` record
#                      containing TEXT; prints the records that do
#
# The log is RAW, not Debian's default ENRICHED: auditd runs outside the
# test's mount namespace, so it would resolve uids against the machine's
# /etc/passwd, which lacks the test's accounts. With RAW, `ausearch -i` and
# `aureport -i` resolve them when they read, inside the namespace, which is
# what ENRICHED gives on a real jumphost whose accounts auditd sees.
#
# auditd must run in the initial PID namespace (the kernel refuses audit
# control from any other), so start it before any `unshare --pid`; records
# sent from inside namespaces still reach it. Runs take turns on
# /run/lock/rjh-tests-auditd.lock, held until the test's shell exits.
AUDITD_PID=
AUDIT_PREV_ENABLED=
AUDIT_LOG=
AUDIT_WHY=

auditd_status() { auditctl -s 2> /dev/null | awk -v k="$1" '$1 == k {print $2}'; }

# One audit daemon per kernel: test runs side by side (work trees) take turns.
# auditd_start takes the turn; a test that looks at kernel audit before it
# starts its daemon calls auditd_lock first. Returns 1 after 30 minutes.
auditd_lock() {
	[ -n "${AUDITD_LOCK_FD:-}" ] && return 0
	mkdir -p /run/lock
	exec {AUDITD_LOCK_FD}> /run/lock/rjh-tests-auditd.lock
	flock -w 1800 "$AUDITD_LOCK_FD"
}

auditd_start() {
	local dir=$1 i
	if ! auditd_lock; then
		AUDIT_WHY="another test run held the auditd lock for 30 minutes"
		return 1
	fi
	AUDIT_PREV_ENABLED=$(auditd_status enabled)
	if [ -z "$AUDIT_PREV_ENABLED" ] || [ "$AUDIT_PREV_ENABLED" = 2 ]; then
		AUDIT_WHY="kernel audit is absent or locked (enabled=${AUDIT_PREV_ENABLED:-none})"
		AUDIT_PREV_ENABLED=
		return 1
	fi
	if [ "$(auditd_status pid)" != 0 ]; then
		AUDIT_WHY="another auditd runs (pid $(auditd_status pid))"
		AUDIT_PREV_ENABLED=
		return 1
	fi
	mkdir -p "$dir/plugins"
	cat > "$dir/auditd.conf" <<- EOC
		local_events = yes
		write_logs = yes
		log_file = $dir/audit.log
		log_format = RAW
		flush = SYNC
		max_log_file = 64
		max_log_file_action = IGNORE
		space_left = 2
		space_left_action = IGNORE
		admin_space_left = 1
		admin_space_left_action = IGNORE
		disk_full_action = IGNORE
		disk_error_action = IGNORE
		plugin_dir = $dir/plugins
		end_of_event_timeout = 2
	EOC
	chmod 600 "$dir/auditd.conf"
	auditd -n -s enable -c "$dir" > "$dir/auditd.out" 2>&1 &
	AUDITD_PID=$!
	for ((i = 0; i < 50; i++)); do
		if [ "$(auditd_status pid)" = "$AUDITD_PID" ]; then
			AUDIT_LOG=$dir/audit.log
			return 0
		fi
		sleep 0.1
	done
	AUDIT_WHY="auditd did not start: $(cat "$dir/auditd.out")"
	return 1
}

auditd_stop() {
	if [ -n "$AUDITD_PID" ]; then
		kill "$AUDITD_PID" 2> /dev/null && wait "$AUDITD_PID" 2> /dev/null
		AUDITD_PID=
	fi
	if [ -n "$AUDIT_PREV_ENABLED" ]; then
		auditctl -e "$AUDIT_PREV_ENABLED" > /dev/null
		AUDIT_PREV_ENABLED=
	fi
}

audit_find() {
	local type=$1 text=$2 secs=${3:-5} i found
	for ((i = 0; i < secs * 10; i++)); do
		found=$(ausearch -if "$AUDIT_LOG" -m "$type" -i 2> /dev/null | grep -F -- "$text")
		if [ -n "$found" ]; then
			printf '%s\n' "$found"
			return 0
		fi
		sleep 0.1
	done
	return 1
}
