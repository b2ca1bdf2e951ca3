#!/bin/bash
# Login benchmark through the real sshd, printed as one table measured in one
# run: how long a host's `ssh -N -R SOCK:localhost:22` takes until its socket
# exists on the jumphost, and how much CPU sshd spends on that login, for
#   rjh with 10 enrolled keys, rjh with 100,000 enrolled keys, and
#   the classic single shared account whose ~/.ssh/authorized_keys holds the
#   same 100,000 keys (the host's key last), or only the host's key (the
#   floor: sshd itself), and
#   an rjh host whose AuthorizedKeysCommand is a static program that prints
#   its key line and nothing else: the floor of the mechanism the issue
#   prescribes (sshd forks and execs the command twice per login), with the
#   same account (nss_rjh), chroot and forwarding rules as rjh, and
#   the rjh host logging in with a certificate from rjh's own user CA
#   (`rjh-admin ca init`, `rjh-admin sign`) instead of its key: sshd checks it
#   against TrustedUserCAKeys itself and runs no AuthorizedKeysCommand. Its
#   key is not enrolled (the helper would refuse it), and every such login
#   must show in sshd's log as an accepted ED25519-CERT with no failed
#   attempt before it (a refused offer of the plain key would run the
#   helper).
# It runs inside the e2e harness (tests/e2e/lib.sh): private mount, network
# and PID namespaces, the system sshd as the jumphost, the host in a network
# namespace behind NAT. Its EXIT trap ends everything and deletes the
# namespaces.
#
# Per login (build into the workspace from the C source below, `probe`):
#   time   from fork of ssh until the socket exists (inotify on its directory,
#          with a 1 ms poll as a fallback);
#   CPU    the listener sshd's cutime+cstime (its reaped children: the per
#          connection monitor, the pre-auth and the user child, and the
#          AuthorizedKeysCommand the monitor runs) plus its own utime+stime,
#          read before the ssh starts and after the tunnel was killed and the
#          listener reaped every child of that connection. Clock ticks (10 ms
#          at CLK_TCK 100): the median is coarse, the mean (total / logins)
#          is not.
# The rjh rows come first (10 keys); then 9 hosts are removed, 100,000
# imported, and the rjh@100k, certificate, classic@100k, floor and command
# floor logins take turns.
# LOGINS (default 25) per case, after one discarded warm-up login each.
# Exits 1 if a target is missed, 2 if the benchmark could not run.
TEST_NAME=bench-login
LOGINS=${LOGINS:-25}
if [ "${RJH_E2E_INNER:-}" = "" ]; then
	top=$(cd "$(dirname "$0")/.." && pwd)
	[ "$(id -u)" = 0 ] || { echo "login.sh: needs root (namespaces, sshd)" >&2; exit 2; }
	for f in rjh-admin rjh-authorized-keys libnss_rjh.so.2 tools/gen-keys; do
		[ -e "$top/build/$f" ] || { echo "login.sh: build/$f missing: run make" >&2; exit 2; }
	done
	command -v cc > /dev/null || { echo "login.sh: needs cc" >&2; exit 2; }
fi
. "$(dirname "$0")/lib.sh"

GENKEYS=$TOP/build/tools/gen-keys
HOST=bench-host
TICK=$(getconf CLK_TCK)

write_probe() {
	cat > "$WORK/probe.c" << 'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* utime stime cutime cstime (stat fields 14-17) of PID, in clock ticks. */
static int cpu(const char *pid, long long v[4])
{
	char path[64], buf[4096], *p;
	FILE *f;
	size_t n;
	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	if (!(p = strrchr(buf, ')')))
		return -1;
	return sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld %lld %lld",
		&v[0], &v[1], &v[2], &v[3]) == 4 ? 0 : -1;
}

/* Waits (up to SECS) until PID has no child left, zombies included. */
static int no_children(const char *pid, double secs)
{
	char path[96], buf[256];
	double end = now() + secs;
	snprintf(path, sizeof path, "/proc/%s/task/%s/children", pid, pid);
	for (;;) {
		int fd = open(path, O_RDONLY);
		ssize_t n;
		if (fd < 0)
			return -1;
		n = read(fd, buf, sizeof buf);
		close(fd);
		if (n == 0)
			return 0;
		if (now() > end)
			return -1;
		usleep(1000);
	}
}

static int is_sock(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* probe NETNS SOCK LISTENER_PID SSH ARGS...: removes SOCK, starts SSH ARGS in
 * network namespace NETNS, waits for SOCK, kills the ssh, waits until the
 * listener reaped the connection; prints "US TICKS_CHILDREN TICKS_SELF". */
int main(int argc, char **argv)
{
	long long a[4], b[4];
	char dir[4096], ev[4096];
	int in, ns, st;
	pid_t pid;
	double t0, t1, end;
	struct pollfd pfd;

	if (argc < 5)
		return 2;
	snprintf(dir, sizeof dir, "%s", argv[2]);
	if (unlink(argv[2]) < 0 && errno != ENOENT)
		return perror("probe: unlink"), 2;
	if (no_children(argv[3], 10) < 0)
		return fprintf(stderr, "probe: sshd still serves an older connection\n"), 2;
	if ((ns = open(argv[1], O_RDONLY | O_CLOEXEC)) < 0)
		return perror(argv[1]), 2;
	if ((in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0 ||
		inotify_add_watch(in, dirname(dir), IN_CREATE | IN_MOVED_TO) < 0)
		return perror("probe: inotify"), 2;
	if (cpu(argv[3], a) < 0)
		return fprintf(stderr, "probe: no sshd %s\n", argv[3]), 2;
	t0 = now();
	pid = fork();
	if (pid == 0) {
		if (setns(ns, CLONE_NEWNET) < 0)
			_exit(126);
		execvp(argv[4], argv + 4);
		_exit(127);
	}
	if (pid < 0)
		return perror("probe: fork"), 2;
	end = t0 + 20;
	pfd.fd = in;
	pfd.events = POLLIN;
	for (;;) {
		if (is_sock(argv[2]))
			break;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "probe: ssh ended (status %d) without the socket\n", st);
			return 1;
		}
		if (now() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			fprintf(stderr, "probe: no socket in 20 s\n");
			return 1;
		}
		if (poll(&pfd, 1, 1) > 0)
			while (read(in, ev, sizeof ev) > 0)
				;
	}
	t1 = now();
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	if (no_children(argv[3], 10) < 0)
		return fprintf(stderr, "probe: sshd did not end the connection\n"), 1;
	if (cpu(argv[3], b) < 0)
		return 2;
	printf("%.0f %lld %lld\n", (t1 - t0) * 1e6, b[2] + b[3] - a[2] - a[3],
		b[0] + b[1] - a[0] - a[1]);
	return 0;
}
EOF
	cc -O2 -Wall -o "$WORK/bin/probe" "$WORK/probe.c"
}

# classic_account NAME UID: a shared "tunnel" account as the classic setup
# has it, in the namespace's copy of /etc/passwd, home $WORK/classic/NAME with
# .ssh/authorized_keys and socks/ (its own, for the socket).
classic_account() {
	local d=$WORK/classic/$1
	echo "$1:*:$2:$2:classic tunnel account (bench):$d:/bin/sh" >> "$WORK/etc/passwd"
	echo "$1:x:$2:" >> "$WORK/etc/group"
	mkdir -p "$d/.ssh" "$d/socks"
	chmod 0755 "$d"
	chmod 0700 "$d/.ssh" "$d/socks"
	chown -R "$2:$2" "$d"
}

# The command floor: a second rjh host whose key command only prints its line.
CMDHOST=bench-cmd
CMDFLOOR=$WORK/libexec-bench/key-line

# write_cmdfloor: compiles CMDFLOOR (static) to print CMDHOST's line as the
# real helper prints it.
write_cmdfloor() {
	local line
	line=$("$AKC" --config "$CONF" -- "$CMDHOST") && [ -n "$line" ] || return 1
	printf '#include <unistd.h>\nstatic const char l[] = "%s\\n";\nint main(void) { return write(1, l, sizeof(l) - 1) < 0; }\n' \
		"$line" > "$WORK/key-line.c"
	install -d -m 0755 "$WORK/libexec-bench"
	cc -O2 -static -o "$CMDFLOOR" "$WORK/key-line.c" && chmod 0755 "$CMDFLOOR"
}

# cert_setup: rjh's user CA (its key in a directory of root's alone, named
# by user_ca_key in rjh.conf) and a certificate for HOST on a key of its own
# that is not enrolled: CERTKEY, with CERTKEY-cert.pub beside it as a host
# installs it.
CA_DIR=$WORK/user-ca
CERTKEY=$WORK/keys/$HOST-c
cert_setup() {
	install -d -m 0700 "$CA_DIR" &&
		echo "user_ca_key = $CA_DIR/user_ca" >> "$CONF" &&
		rjh ca init > "$WORK/cert.out" 2>&1 &&
		new_key "$HOST-c" > /dev/null &&
		rjh sign "$HOST" "$CERTKEY.pub" > "$CERTKEY-cert.pub" 2> "$WORK/cert.out" &&
		ssh-keygen -L -f "$CERTKEY-cert.pub" > "$WORK/cert.out" 2>&1 &&
		grep -q "Principals: *$" "$WORK/cert.out" && grep -q "^ *$HOST\$" "$WORK/cert.out"
}

# cert_logins N: sshd's log since CERT_LOG_MARK shows N logins of HOST with
# its certificate, and no try of the plain key (refused, after the helper
# ran), and pam_rjh recorded N sessions of HOST with a certificate. NB. ssh
# offers KEY-cert.pub beside KEY only after KEY itself; a CertificateFile
# comes first.
CERT_LOG_MARK=0
cert_logins() {
	local log n bad fp rows
	log=$(tail -c +$((CERT_LOG_MARK + 1)) "$JUMP_LOG")
	n=$(grep -c "Accepted publickey for $HOST from .* ED25519-CERT SHA256:.* ID rjh-host:$HOST " <<< "$log")
	fp=$(ssh-keygen -lf "$CERTKEY.pub" | cut -d' ' -f2)
	bad=$(grep -c -F -e "Failed publickey for $HOST " -e "ED25519 $fp" <<< "$log")
	[ "$n" = "$1" ] && [ "$bad" = 0 ] ||
		die "$n certificate logins of $HOST in sshd's log, $bad other tries; wanted $1 and 0"
	rows=$(sqlite3 "$REG" "SELECT count(*) FROM sessions WHERE host = '$HOST' AND cert LIKE 'serial=% id=rjh-host:$HOST'") ||
		die "the sessions table"
	[ "$rows" = "$1" ] || die "$rows sessions of $HOST with a certificate in the registry, wanted $1"
}

setup() {
	local u
	e2e_setup
	# The harness's 64 MiB tmpfs is too small for a registry of 100,000 hosts
	# (~50 MB) beside the authorized_keys files: this namespace's mount only.
	mount -o remount,size=1g /run || die "remount /run"
	write_probe || die "compiling the probe"
	mkdir -m 0755 "$WORK/classic" "$WORK/sets"
	u=$(free_id) || die "no free uid"
	classic_account tunnel "$u"
	u=$(free_id) || die "no free uid"
	classic_account tunnel1 "$u"
	cat > "$WORK/etc/sshd_config.d/classic.conf" <<- EOF
		# The classic setup: one shared account, keys in its authorized_keys.
		Match User tunnel,tunnel1
		    AuthorizedKeysFile .ssh/authorized_keys
		    AuthenticationMethods publickey
		    StreamLocalBindUnlink yes
		    PermitTTY no
		    X11Forwarding no
		    ForceCommand /usr/sbin/nologin
	EOF
	chmod 0644 "$WORK/etc/sshd_config.d/classic.conf"
	# Read before rjh.conf, so its AuthorizedKeysCommand wins for CMDHOST.
	cat > "$WORK/etc/sshd_config.d/00-cmdfloor.conf" <<- EOF
		Match User $CMDHOST
		    AuthorizedKeysCommand $CMDFLOOR
		    AuthorizedKeysCommandUser $KEYS_USER
	EOF
	chmod 0644 "$WORK/etc/sshd_config.d/00-cmdfloor.conf"

	echo "keys: 9 and 100,000 generated..." >&2
	"$GENKEYS" 9 h- > "$WORK/sets/keys9" && "$GENKEYS" 100000 h- > "$WORK/sets/keys100k" ||
		die "gen-keys"
	rjh import "$WORK/sets/keys9" > /dev/null || die "import 9 keys"
	start_jumphost
	host_up "$HOST"
	enroll "$HOST"
	enroll "$CMDHOST"
	write_cmdfloor || die "compiling the command floor"
	cert_setup || die "the certificate: $(cat "$WORK/cert.out")"
	path_is_root_only "$CMDFLOOR" || die "$CMDFLOOR is not root-only, sshd would refuse it"
	KEY=$WORK/keys/$HOST
	{ cat "$WORK/sets/keys100k" "$KEY.pub"; } > "$WORK/classic/tunnel/.ssh/authorized_keys"
	cp "$KEY.pub" "$WORK/classic/tunnel1/.ssh/authorized_keys"
	for u in tunnel tunnel1; do
		chown "$u:$u" "$WORK/classic/$u/.ssh/authorized_keys"
		chmod 0600 "$WORK/classic/$u/.ssh/authorized_keys"
	done
	NETNS_PATH=/run/netns/${HOST_NS[$HOST]}
	read -ra TUNNEL_CMD < "$WORK/hosts/$HOST/tunnel.cmd"
}

# login CASE: one measured login; appends "US TICKS" to $WORK/res.CASE.
login() {
	local user sock remote opts r key=$KEY
	opts=("${TUNNEL_CMD[@]:1:${#TUNNEL_CMD[@]}-2}")
	case $1 in
	rjhcert)
		user=$HOST
		sock=$(sock_of "$HOST")
		key=$CERTKEY
		opts+=(-o CertificateFile="$CERTKEY-cert.pub")
		;;
	rjh*)
		user=$HOST
		sock=$(sock_of "$HOST")
		;;
	cmdfloor)
		user=$CMDHOST
		sock=$(sock_of "$CMDHOST")
		key=$WORK/keys/$CMDHOST
		;;
	classic100k)
		user=tunnel
		sock=$WORK/classic/tunnel/socks/ssh.sock
		opts=(-N -o ExitOnForwardFailure=yes -R "$sock:localhost:22")
		;;
	floor)
		user=tunnel1
		sock=$WORK/classic/tunnel1/socks/ssh.sock
		opts=(-N -o ExitOnForwardFailure=yes -R "$sock:localhost:22")
		;;
	esac
	r=$("$WORK/bin/probe" "$NETNS_PATH" "$sock" "$JUMP_PID" ssh -F "$WORK/tunnel_config" \
		-i "$key" -o BatchMode=yes -o ExitOnForwardFailure=yes "${opts[@]}" \
		"$user@$JUMP_ADDR" 2> "$WORK/probe.err") || die "login ($1): $(cat "$WORK/probe.err")"
	[ "${2:-}" = warmup ] && return 0
	read -r us tc ts <<< "$r"
	echo "$us $((tc + ts))" >> "$WORK/res.$1"
}

commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<< "$1"; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# stats CASE: sets MED_MS (time), CPU_MED_MS, CPU_MEAN_MS, N.
stats() {
	N=$(wc -l < "$WORK/res.$1")
	MED_MS=$(awk '{ print $1 / 1000 }' "$WORK/res.$1" | median)
	CPU_MED_MS=$(awk -v t="$TICK" '{ print $2 * 1000 / t }' "$WORK/res.$1" | median)
	CPU_MEAN_MS=$(awk -v t="$TICK" '{ s += $2 } END { printf "%.2f", s * 1000 / t / NR }' "$WORK/res.$1")
	declare -g "T_$1=$MED_MS" "C_$1=$CPU_MEAN_MS"
}

FAILED=0
line() { printf '| %-54s | %6s | %10s | %10s | %10s | %-8s | %-6s |\n' "$@"; }
crow() { # crow NAME CASE
	stats "$2"
	line "$1" "$N" "$(printf '%.1f ms' "$MED_MS")" "$(printf '%.0f ms' "$CPU_MED_MS")" \
		"$(printf '%.2f ms' "$CPU_MEAN_MS")" - -
}
rrow() { # rrow NAME A B OP LIMIT
	local r v
	r=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 999) }')
	v=$(awk -v r="$r" -v op="$4" -v l="$5" 'BEGIN { print ((op == "<=" ? r <= l : r >= l) ? "ok" : "MISSED") }')
	[ "$v" = ok ] || FAILED=1
	line "$1" "" "${r}x" "" "" "$4 ${5}x" "$v"
}

setup
echo "measuring: $LOGINS logins of rjh with 10 keys..." >&2
login rjh10 warmup
for ((i = 0; i < LOGINS; i++)); do login rjh10; done

echo "100,000 keys into the registry..." >&2
for i in $(seq 1 9); do rjh remove "h-$i" > /dev/null || die "remove h-$i"; done
rjh import "$WORK/sets/keys100k" > /dev/null || die "import 100,000 keys"
nkeys=$(sqlite3 "$REG" 'SELECT count(*) FROM keys' 2> /dev/null || echo '?')
nclassic=$(wc -l < "$WORK/classic/tunnel/.ssh/authorized_keys")
echo "measuring: rjh@100k, certificate, classic@100k and the floors, $LOGINS logins each, taking turns..." >&2
CERT_LOG_MARK=$(stat -c %s "$JUMP_LOG")
for c in rjh100k rjhcert classic100k floor cmdfloor; do login "$c" warmup; done
for ((i = 0; i < LOGINS; i++)); do
	for c in rjh100k rjhcert classic100k floor cmdfloor; do login "$c"; done
done
cert_logins $((LOGINS + 1))

echo
echo "sshd login cost ($(/usr/sbin/sshd -V 2>&1 | head -1 | cut -d, -f1), $(nproc) cores): ssh -N -R from" \
	"a host behind NAT until its socket exists; sshd CPU per login (listener + reaped children," \
	"clock tick $((1000 / TICK)) ms); medians over the logins, CPU also as the mean"
line case logins "to listen" "CPU med" "CPU mean" target result
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..56})" "--------" "------------" \
	"------------" "------------" "----------" "--------"
crow "1. rjh, 10 keys (registry)" rjh10
crow "2. rjh, $(commas "$nkeys") keys (registry)" rjh100k
crow "3. classic account, $(commas "$nclassic") keys (host's key last)" classic100k
crow "4. classic account, 1 key (floor: sshd itself)" floor
crow "5. rjh host, key command = static print (its floor)" cmdfloor
crow "6. rjh, $(commas "$nkeys") keys, certificate (rjh's CA)" rjhcert
rrow "time: rjh@100k / floor (medians)" "$T_rjh100k" "$T_floor" "<=" 1.1
rrow "sshd CPU: rjh@100k / floor (means)" "$C_rjh100k" "$C_floor" "<=" 1.1
rrow "sshd CPU: classic@100k / rjh@100k (means)" "$C_classic100k" "$C_rjh100k" ">=" 2
rrow "time: rjh certificate@100k / floor (medians)" "$T_rjhcert" "$T_floor" "<=" 1.05
rrow "sshd CPU: rjh certificate@100k / floor (means)" "$C_rjhcert" "$C_floor" "<=" 1.05
# Not targets: where the difference to the floor goes.
info() { # info NAME A B
	line "$1" "" "$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 999) }')" "" "" - -
}
info "time: command floor / floor (the mechanism)" "$T_cmdfloor" "$T_floor"
info "sshd CPU: command floor / floor (the mechanism)" "$C_cmdfloor" "$C_floor"
info "sshd CPU: rjh@100k / command floor (the helper)" "$C_rjh100k" "$C_cmdfloor"
exit $FAILED
