#!/bin/bash
# Relay benchmark, printed as one table measured in one run: throughput and
# CPU per GiB of rjh-connect against the classic `nc -U` (netcat-openbsd) and
# `socat`, on two paths:
#   relay alone  a Unix socket server streams RELAY_MIB (default 512) MiB
#                to the relay, whose stdout is a pipe into a sink ("down",
#                socket -> pipe, the issue's path); and a source pipes
#                RELAY_MIB into the relay's stdin, which the server reads from
#                the socket ("up", pipe -> socket).
#   through sshd a client on the laptop runs `ssh host-1 'head -c N
#                /dev/zero'` (down) and `... host-1 sink < N bytes` (up),
#                SSH_MIB (default 32) MiB, with the ProxyCommand
#                  rjh-connect  ssh -a -x -T JUMP rjh-connect %h, the account
#                               alice (ForceCommand rjh-connect, as
#                               `rjh-admin client-config` prints it);
#                  nc -U        ssh -a -x -T carl@JUMP nc -U SOCK;
#                  socat        ssh -a -x -T carl@JUMP socat -b B UNIX-CONNECT:SOCK STDIO
#                carl is an ordinary jumphost account with a shell (the
#                classic setup). It reaches host-1's socket through a hard
#                link in a world-searchable directory, the socket made 0666:
#                for this benchmark only.
# It runs inside the e2e harness (tests/e2e/lib.sh): private mount, network
# and PID namespaces, the system sshd as the jumphost, /etc an overlay whose
# /etc/rjh/rjh.conf is the test config, rjh-connect installed setuid root.
# The relay-alone runs use the same setup: relay-1 is enrolled (no sshd), the
# server binds RUNTIME/hosts/relay-1/sock/ssh.sock owned by relay-1's uid, and
# every relay runs as alice (setpriv); nc and socat connect to a second
# socket of the same server in a world-searchable directory. rjh.conf says
# `audit = off` for these runs (the harness's best-effort for the sshd runs):
# rjh-connect writes its records at start and end only, not per byte.
#
# Measured (the C helper `rb`, built into the workspace from the source below):
#   MiB/s    bytes / time from the first byte at the receiving end to the
#            last; startup (login, rjh-connect's registry and audit work) is
#            outside. The server and sink use splice and vmsplice, so that
#            they are not the bottleneck.
#   CPU      relay alone: the relay's own user+sys CPU (wait4: rjh-connect's
#            parent and its relay child; nc; socat).
#            Through sshd: the same for the relay process on the jumphost
#            (rb wrap, put before it in ForceCommand and in carl's command);
#            and "jump", all the jumphost's sshd CPU for the transfer: the
#            listener and every process below it, reaped (the client's
#            connection: its sshd, the relay) or alive (host-1's tunnel
#            session), read before the client starts and after the listener
#            reaped the connection. Per GiB moved, after subtracting the
#            fixed cost of a connection ("per conn": the median of runs that
#            move 1 MiB alone, or run `ssh host-1 true` through sshd), so
#            that setup (rjh-connect's registry and audit work, logins) does
#            not pass for per-byte cost.
# REPS (default 3) runs of every case, the tools taking turns; medians, and
# the spread of the throughputs (half of max - min, over the median).
# socat is first run alone down with each buffer size in SOCAT_BUFS (default
# 8192 65536 131072 262144, RELAY_MIB / 8); the fastest is used after that.
# Targets: relay alone, down: rjh-connect >= 1.5x nc's throughput and <= 0.5x
# its CPU per GiB; through sshd, each way: >= 0.95x nc's throughput ("no
# worse", with 5% for noise on a shared 2-core machine).
# Exits 1 if a target is missed, 2 if the benchmark could not run.
TEST_NAME=bench-relay
REPS=${REPS:-3}
RELAY_MIB=${RELAY_MIB:-512}
SSH_MIB=${SSH_MIB:-32}
SOCAT_BUFS=${SOCAT_BUFS:-8192 65536 131072 262144}
if [ "${RJH_E2E_INNER:-}" = "" ]; then
	top=$(cd "$(dirname "$0")/.." && pwd)
	[ "$(id -u)" = 0 ] || { echo "relay.sh: needs root (namespaces, sshd)" >&2; exit 2; }
	for f in rjh-admin rjh-connect rjh-authorized-keys libnss_rjh.so.2 pam_rjh.so; do
		[ -e "$top/build/$f" ] || { echo "relay.sh: build/$f missing: run make" >&2; exit 2; }
	done
	for t in cc socat nc; do
		command -v $t > /dev/null || { echo "relay.sh: needs $t (make deps)" >&2; exit 2; }
	done
fi
. "$(dirname "$0")/lib.sh"

RB=$WORK/bin/rb
CPULOG=$WORK/cpu.log
OPEN=$WORK/open
TICK=$(getconf CLK_TCK)

write_rb() {
	cat > "$WORK/rb.c" << 'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)
static char buf[CHUNK] __attribute__((aligned(4096)));

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

/* Writes n bytes of buf to fd: vmsplice into a pipe, vmsplice + splice into
 * anything else (a socket), write(2) if neither works. */
static void produce(int fd, uint64_t n)
{
	int p[2] = {-1, -1}, direct;
	struct stat st;

	if (fstat(fd, &st) < 0)
		die("fstat");
	direct = S_ISFIFO(st.st_mode);
	if (!direct && pipe(p) == 0)
		fcntl(p[1], F_SETPIPE_SZ, CHUNK);
	while (n > 0) {
		size_t len = n < CHUNK ? n : CHUNK;
		struct iovec iov = {buf, len};
		ssize_t w;

		if (direct) {
			w = vmsplice(fd, &iov, 1, 0);
		} else if (p[1] >= 0) {
			ssize_t in = vmsplice(p[1], &iov, 1, 0), off = 0;
			if (in < 0)
				die("vmsplice");
			while (off < in) {
				w = splice(p[0], NULL, fd, NULL, in - off, SPLICE_F_MOVE);
				if (w <= 0) {
					if (off == 0 && w < 0 && errno == EINVAL) {
						close(p[0]), close(p[1]), p[1] = -1;
						goto copy;
					}
					die("splice to the socket");
				}
				off += w;
			}
			w = in;
		} else {
		copy:
			w = write(fd, buf, len);
		}
		if (w < 0 && errno == EINVAL && direct) {
			direct = 0;
			continue;
		}
		if (w <= 0)
			die("produce");
		n -= w;
	}
}

/* Reads fd to its end, counting; *t_first and *t_n are the times of the first
 * byte and of byte n. Returns the count. */
static uint64_t consume(int fd, uint64_t n, double *t_first, double *t_n, int stop_at_n)
{
	int p[2], nul = open("/dev/null", O_WRONLY | O_CLOEXEC), pipe_in;
	uint64_t got = 0;
	struct stat st;

	*t_first = *t_n = 0;
	if (nul < 0 || fstat(fd, &st) < 0)
		die("consume");
	pipe_in = S_ISFIFO(st.st_mode);
	if (!pipe_in && pipe(p) < 0)
		die("pipe");
	if (!pipe_in)
		fcntl(p[1], F_SETPIPE_SZ, CHUNK);
	for (;;) {
		ssize_t r;

		if (pipe_in) {
			r = splice(fd, NULL, nul, NULL, CHUNK, SPLICE_F_MOVE);
		} else {
			r = splice(fd, NULL, p[1], NULL, CHUNK, SPLICE_F_MOVE);
			for (ssize_t off = 0; r > 0 && off < r;) {
				ssize_t w = splice(p[0], NULL, nul, NULL, r - off, SPLICE_F_MOVE);
				if (w <= 0)
					die("splice to /dev/null");
				off += w;
			}
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EINVAL)
			r = read(fd, buf, CHUNK);
		if (r < 0)
			die("consume: read");
		if (r == 0)
			break;
		if (got == 0)
			*t_first = now();
		got += r;
		if (got >= n && *t_n == 0) {
			*t_n = now();
			if (stop_at_n)
				break;
		}
	}
	close(nul);
	return got;
}

/* rb relay down|up N SOCK UID MODE CMD...: serves SOCK (owner UID, MODE),
 * runs CMD (the relay) with stdin and stdout pipes, and moves N bytes through
 * it; the relay's stdin stays open until the last byte arrived, as under
 * sshd. Prints "BYTES SECONDS CPU_USER CPU_SYS STATUS" (the relay's CPU). */
static int relay(int argc, char **argv)
{
	int down = strcmp(argv[2], "down") == 0, lfd, conn, in[2], out[2], st = 0;
	uint64_t n = strtoull(argv[3], NULL, 10), got;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct rusage ru;
	struct pollfd pfd;
	pid_t relay_pid, writer;
	double t0, t1;

	if (argc < 8)
		return 2;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[4]);
	unlink(argv[4]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0 ||
	    chown(argv[4], (uid_t)atol(argv[5]), (gid_t)-1) < 0 ||
	    chmod(argv[4], (mode_t)strtol(argv[6], NULL, 8)) < 0)
		die(argv[4]);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die("pipe");
	relay_pid = fork();
	if (relay_pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execvp(argv[7], argv + 7);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 20000) != 1) {
		fprintf(stderr, "rb: the relay did not connect\n");
		kill(relay_pid, SIGKILL);
		return 2;
	}
	conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		die("accept");
	writer = fork();
	if (writer == 0) {
		close(out[0]);
		close(down ? in[1] : conn);
		produce(down ? conn : in[1], n);
		_exit(0);
	}
	if (down) {
		close(conn);
		got = consume(out[0], n, &t0, &t1, 1);
		/* nc ends only when its stdin does, as under sshd. */
		close(in[1]);
	} else {
		close(in[1]);
		got = consume(conn, n, &t0, &t1, 1);
		close(conn);
	}
	waitpid(writer, NULL, 0);
	alarm(20);
	if (wait4(relay_pid, &st, 0, &ru) < 0)
		die("wait4");
	printf("%llu %.6f %ld.%06ld %ld.%06ld %d\n", (unsigned long long)got, t1 - t0,
	       (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec,
	       (long)ru.ru_stime.tv_usec, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	unlink(argv[4]);
	return got == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	memset(buf, 'x', sizeof(buf));
	if (argc >= 8 && strcmp(argv[1], "relay") == 0)
		return relay(argc, argv);
	if (argc == 3 && strcmp(argv[1], "src") == 0) {
		/* rb src N: N bytes to stdout. */
		signal(SIGPIPE, SIG_IGN);
		produce(1, strtoull(argv[2], NULL, 10));
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "sink") == 0) {
		/* rb sink N: reads stdin to its end; prints "BYTES SECONDS" (first byte to byte N). */
		double t0, t1;
		uint64_t n = strtoull(argv[2], NULL, 10), got = consume(0, n, &t0, &t1, 0);
		printf("%llu %.6f\n", (unsigned long long)got, t1 - t0);
		return got == n ? 0 : 1;
	}
	if (argc >= 4 && strcmp(argv[1], "wrap") == 0) {
		/* rb wrap LOG CMD...: runs CMD, then appends "USER SYS" (its CPU) to LOG,
		 * holding none of CMD's stdio meanwhile (EOF must reach sshd). */
		int st = 0, fd, nul;
		struct rusage ru;
		pid_t pid = fork();
		char line[96];

		if (pid == 0) {
			execvp(argv[3], argv + 3);
			_exit(127);
		}
		nul = open("/dev/null", O_RDWR);
		dup2(nul, 0), dup2(nul, 1), dup2(nul, 2);
		if (pid < 0 || wait4(pid, &st, 0, &ru) < 0)
			return 127;
		fd = open(argv[2], O_WRONLY | O_APPEND | O_CLOEXEC);
		snprintf(line, sizeof(line), "%ld.%06ld %ld.%06ld\n", (long)ru.ru_utime.tv_sec,
			 (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
		if (fd >= 0 && write(fd, line, strlen(line)) < 0)
			return 127;
		return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	fprintf(stderr, "usage: rb relay|src|sink|wrap ...\n");
	return 2;
}
EOF
	cc -O2 -Wall -o "$RB" "$WORK/rb.c"
}

# The classic jumphost account: a shell, its own authorized_keys (alice's
# key, so that the laptop's alice can use it), no ForceCommand.
carl_account() {
	local u d=$WORK/home/carl
	u=$(free_id) || return 1
	echo "carl:*:$u:$u:classic jumphost account (bench):$d:/bin/sh" >> "$WORK/etc/passwd"
	echo "carl:x:$u:" >> "$WORK/etc/group"
	mkdir -m 0755 "$d" && mkdir -m 0700 "$d/.ssh" && cp "$WORK/client/alice.pub" "$d/.ssh/authorized_keys" &&
		chown -R "$u:$u" "$d"
}

setup() {
	local relay_uid
	e2e_setup
	write_rb || die "compiling the helper"
	mkdir -m 0755 "$OPEN" && : > "$CPULOG" && chmod 0666 "$CPULOG" || die "workspace"
	carl_account || die "account carl"
	# alice's ForceCommand with the CPU wrapper before rjh-connect.
	sed -i "s|ForceCommand .*|ForceCommand $RB wrap $CPULOG $WORK/bin/rjh-connect|" \
		"$WORK/etc/sshd_config.d/clients.conf" || die "clients.conf"
	enroll relay-1
	relay_uid=$(id -u relay-1) || die "relay-1 has no uid"
	RELAY_SOCK_ARGS=("$(sock_of relay-1)" "$relay_uid" 600)
	[ -d "$(dirname "$(sock_of relay-1)")" ] || die "enroll made no socket directory for relay-1"
	rjh grant alice relay-1 > /dev/null && rjh grant alice host-1 > /dev/null || die "grant"

	start_jumphost
	client_up || die "the laptop's network"
	add_host host-1
	cat "$WORK/client/alice.pub" >> "$WORK/hosts/host-1/authorized_keys"
	rjh set-host-key host-1 "$WORK/hosts/host-1/ssh_host_ed25519_key.pub" > /dev/null ||
		die "set-host-key"
	tunnel_up host-1 || die "tunnel of host-1"
	client_ssh_config alice || die "alice's ssh config"
	# carl's way to the socket: a hard link outside the 0700 directories.
	ln "$(sock_of host-1)" "$OPEN/host-1.sock" && chmod 0666 "$OPEN/host-1.sock" ||
		die "a link to host-1's socket"
	laptop alice ssh host-1 true < /dev/null || die "alice cannot reach host-1 through rjh-connect"
	laptop alice ssh -o "ProxyCommand=ssh -a -x -T -l carl $JUMP_ADDR nc -U $OPEN/host-1.sock" \
		host-1 true < /dev/null || die "carl's nc -U does not reach host-1"
}

# conf_audit MODE: rjh.conf's audit, rewritten in place (it is bind-mounted).
conf_audit() {
	local c
	c=$(sed "s/^audit = .*/audit = $1/" "$CONF") && printf '%s\n' "$c" > "$CONF"
}

AS_ALICE=(setpriv --reuid=alice --regid=alice --init-groups --)
relay_cmd() { # relay_cmd TOOL: the relay's command line, as alice
	case $1 in
	rjh) echo "$WORK/bin/rjh-connect relay-1" ;;
	nc) echo "nc -U $OPEN/relay.sock" ;;
	socat*) echo "socat -b ${1#socat} UNIX-CONNECT:$OPEN/relay.sock STDIO" ;;
	esac
}

# alone TOOL DIR MIB [FILE]: one relay-alone run of MIB MiB; appends
# "BYTES SECONDS CPU" to $WORK/res.alone.TOOL.DIR (or res.FILE).
alone() {
	local sock uid mode r bytes secs cu cs st
	if [ "$1" = rjh ]; then
		read -r sock uid mode <<< "${RELAY_SOCK_ARGS[*]}"
	else
		sock=$OPEN/relay.sock uid=0 mode=666
	fi
	# shellcheck disable=SC2046
	r=$("$RB" relay "$2" $(($3 << 20)) "$sock" "$uid" "$mode" "${AS_ALICE[@]}" \
		$(relay_cmd "$1") 2> "$WORK/rb.err") || die "relay alone, $1 $2: $r $(cat "$WORK/rb.err")"
	read -r bytes secs cu cs st <<< "$r"
	[ "$st" = 0 ] || [ "$1" != rjh ] || die "rjh-connect exited $st: $(cat "$WORK/rb.err")"
	echo "$bytes $secs $(awk -v u="$cu" -v y="$cs" 'BEGIN { print u + y }')" \
		>> "$WORK/res.${4:-alone.$1.$2}"
}

# tree_ticks PID: utime+stime+cutime+cstime of PID and every descendant: the
# listener's reaped connections and the live ones (host-1's tunnel session).
tree_ticks() {
	local s c
	s=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat")
	for c in $(cat /proc/"$1"/task/*/children); do s=$((s + $(tree_ticks "$c"))); done
	echo "$s"
}
listener_children() { cat "/proc/$JUMP_PID/task/$JUMP_PID/children"; }

# viassh TOOL DIR|fixed: one run through sshd (fixed: `ssh host-1 true`, no
# data); appends "BYTES SECONDS RELAY_CPU JUMP_CPU" to $WORK/res.ssh.TOOL.DIR.
viassh() {
	local n=$((SSH_MIB << 20)) proxy=() r=0 kids t0 t1 lines i cu cs wrap="$RB wrap $CPULOG"
	case $1 in
	nc) proxy=(-o "ProxyCommand=ssh -a -x -T -l carl $JUMP_ADDR $wrap nc -U $OPEN/host-1.sock") ;;
	socat*) proxy=(-o "ProxyCommand=ssh -a -x -T -l carl $JUMP_ADDR $wrap socat -b ${1#socat} UNIX-CONNECT:$OPEN/host-1.sock STDIO") ;;
	esac
	kids=$(listener_children)
	lines=$(wc -l < "$CPULOG")
	t0=$(tree_ticks "$JUMP_PID")
	case $2 in
	down) r=$(laptop alice ssh "${proxy[@]}" host-1 "head -c $n /dev/zero" < /dev/null | "$RB" sink "$n") ;;
	up) r=$("$RB" src "$n" | laptop alice ssh "${proxy[@]}" host-1 "$RB sink $n") ;;
	fixed) laptop alice ssh "${proxy[@]}" host-1 true < /dev/null && r="0 0" ;;
	esac || die "through sshd, $1 $2: '$r'"
	for ((i = 0; i < 200; i++)); do
		[ "$(listener_children)" = "$kids" ] && [ "$(wc -l < "$CPULOG")" -gt "$lines" ] && break
		sleep 0.05
	done
	[ "$i" -lt 200 ] || die "through sshd, $1 $2: the connection did not end"
	t1=$(tree_ticks "$JUMP_PID")
	read -r cu cs <<< "$(tail -1 "$CPULOG")"
	echo "$r $(awk -v u="$cu" -v y="$cs" -v t=$((t1 - t0)) -v hz="$TICK" 'BEGIN { print u + y, t / hz }')" \
		>> "$WORK/res.ssh.$1.$2"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$WORK/res.$1" | median; }
# mibs FILE: MiB/s of each run; spread FILE: (max - min) / 2 / median of them, in %.
mibs() { awk '{ printf "%.1f\n", $1 / 1048576 / $2 }' "$WORK/res.$1"; }
spread() { mibs "$1" | sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "±%.0f%%", (v[NR] - v[1]) / 2 / m * 100 }'; }
# per_gib FILE COL FIXED: the median over runs of (CPU - FIXED) / GiB moved.
per_gib() { awk -v c="$2" -v f="$3" '{ printf "%.3f\n", ($c - f) / ($1 / 1073741824) }' "$WORK/res.$1" | median; }

START=$(date +%s)
setup
echo "$(($(date +%s) - START)) s: set up; load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2

conf_audit off || die "rjh.conf audit = off"
echo "$(($(date +%s) - START)) s: relay alone: socat -b $SOCAT_BUFS, $((RELAY_MIB / 8)) MiB down, $REPS runs each..." >&2
for ((i = 0; i < REPS; i++)); do
	for b in $SOCAT_BUFS; do alone "socat$b" down $((RELAY_MIB / 8)) "sweep.socat$b"; done
done
SOCAT=socat$(for b in $SOCAT_BUFS; do echo "$(mibs "sweep.socat$b" | median) $b"; done | sort -g | tail -1 | cut -d' ' -f2)
TOOLS=(rjh nc "$SOCAT")
echo "$(($(date +%s) - START)) s: relay alone: rjh-connect, nc -U, $SOCAT; 1 MiB (fixed cost), $RELAY_MIB MiB each way; $REPS runs each..." >&2
for ((i = 0; i < REPS; i++)); do
	for t in "${TOOLS[@]}"; do alone "$t" down 1 "alone.$t.fixed"; done
	for d in down up; do
		for ((k = 0; k < 3; k++)); do alone "${TOOLS[(i + k) % 3]}" "$d" "$RELAY_MIB"; done
	done
done
conf_audit best-effort || die "rjh.conf audit = best-effort"

echo "$(($(date +%s) - START)) s: through sshd: no data (fixed cost), $SSH_MIB MiB each way; $REPS runs each..." >&2
for ((i = 0; i < REPS; i++)); do
	for ((k = 0; k < 3; k++)); do viassh "${TOOLS[(i + k) % 3]}" fixed; done
	for d in down up; do
		for ((k = 0; k < 3; k++)); do viassh "${TOOLS[(i + k) % 3]}" "$d"; done
	done
done

FAILED=0
name() {
	case $1 in
	rjh) echo rjh-connect ;;
	nc) echo "nc -U" ;;
	socat*) echo "socat -b ${1#socat}" ;;
	esac
}
# check RATIO OP LIMIT: sets V to ok or MISSED (and FAILED).
check() {
	if awk -v r="$1" -v op="$2" -v l="$3" 'BEGIN { exit !((op == "<=") ? r <= l : r >= l) }'; then
		V=ok
	else
		V=MISSED
		FAILED=1
	fi
}
# paired A B: the median over rounds of A's MiB/s over B's in the same round
# (the tools take turns, so a round's runs saw about the same load).
paired() {
	paste -d' ' <(mibs "$1") <(mibs "$2") | awk '{ print ($2 > 0 ? $1 / $2 : 999) }' | median |
		awk '{ printf "%.2f", $1 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 999) }'; }
line() { printf '| %-36s | %-15s | %7s | %6s | %9s | %9s | %10s | %6s | %8s | %-30s |\n' "$@"; }

echo
echo "relay throughput and CPU ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at the end;" \
	"medians of $REPS runs, the tools taking turns; relay alone $RELAY_MIB MiB, audit = off;" \
	"through sshd $SSH_MIB MiB, $(/usr/sbin/sshd -V 2>&1 | head -1 | cut -d, -f1), default ciphers)."
echo "CPU per GiB is the marginal cost: the relay's CPU (wait4) minus its fixed cost per connection;"
echo "'jump' is all of the jumphost's sshd and relay CPU for the transfer, likewise. '× nc' is the"
echo "median of the per-round ratios of throughput; 'spread' is half the range of a row's runs."
line path tool "MiB/s" spread "CPU s/GiB" "per conn" "jump s/GiB" "× nc" "CPU × nc" target
line "$(printf -- '-%.0s' {1..36})" "---------------" "-------" "------" "---------" "---------" \
	"----------" "------" "--------" "$(printf -- '-%.0s' {1..30})"
for d in down up; do
	p="alone, $d ($([ $d = down ] && echo 'socket -> pipe' || echo 'pipe -> socket'))"
	ncpu=$(per_gib "alone.nc.$d" 3 "$(col alone.nc.fixed 3)")
	for t in "${TOOLS[@]}"; do
		fixed=$(col "alone.$t.fixed" 3)
		tp=$(mibs "alone.$t.$d" | median)
		cpu=$(per_gib "alone.$t.$d" 3 "$fixed")
		tr=$(paired "alone.$t.$d" "alone.nc.$d")
		cr=$(ratio "$cpu" "$ncpu")
		tgt=-
		if [ "$t" = rjh ] && [ "$d" = down ]; then
			check "$tr" ">=" 1.5
			tgt="≥ 1.5×: $V;"
			check "$cr" "<=" 0.5
			tgt="$tgt CPU ≤ 0.5×: $V"
		fi
		line "$p" "$(name "$t")" "$tp" "$(spread "alone.$t.$d")" "$cpu" \
			"$(awk -v f="$fixed" 'BEGIN { printf "%.0f ms", f * 1000 }')" - "${tr}×" "${cr}×" "$tgt"
	done
done
for d in down up; do
	p="through sshd, $d ($([ $d = down ] && echo 'host -> client' || echo 'client -> host'))"
	ncpu=$(per_gib "ssh.nc.$d" 3 "$(col ssh.nc.fixed 3)")
	for t in "${TOOLS[@]}"; do
		tp=$(mibs "ssh.$t.$d" | median)
		cpu=$(per_gib "ssh.$t.$d" 3 "$(col "ssh.$t.fixed" 3)")
		tr=$(paired "ssh.$t.$d" "ssh.nc.$d")
		cr=$(ratio "$cpu" "$ncpu")
		tgt=-
		if [ "$t" = rjh ]; then
			check "$tr" ">=" 0.95
			tgt="≥ 0.95× (no worse): $V"
		fi
		line "$p" "$(name "$t")" "$tp" "$(spread "ssh.$t.$d")" "$cpu" \
			"$(awk -v f="$(col "ssh.$t.fixed" 3)" 'BEGIN { printf "%.0f ms", f * 1000 }')" \
			"$(per_gib "ssh.$t.$d" 4 "$(col "ssh.$t.fixed" 4)")" "${tr}×" "${cr}×" "$tgt"
	done
done
echo "socat -b, relay alone down, $((RELAY_MIB / 8)) MiB (MiB/s):$(for b in $SOCAT_BUFS; do
	printf ' %s: %s;' "$b" "$(mibs "sweep.socat$b" | median)"; done) the best is used."
echo "Through sshd, 'no worse' allows 5% for noise: see the spread of each row."
echo "runtime $(($(date +%s) - START)) s"
exit $FAILED
