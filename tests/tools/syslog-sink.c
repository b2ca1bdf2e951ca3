/*
 * syslog-sink: a /dev/log for tests on a machine without a syslog daemon.
 * Usage: syslog-sink SOCKET OUTFILE
 *
 * Binds an AF_UNIX datagram socket at SOCKET, mode 0666 (a stale socket there
 * is replaced; anything else is an error), and appends each datagram to
 * OUTFILE as one line with its "<PRI>" prefix, written as it arrives. Trailing
 * NULs and newlines are dropped; other control characters become #ooo, as
 * rsyslog writes them. SOCKET appears only once OUTFILE is open and the mode
 * is set: `test -S SOCKET` is the ready marker. SIGTERM or SIGINT unlinks
 * SOCKET and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* glibc's syslog(3) sends a whole message as one datagram; longer ones are cut here. */
#define SINK_MSG_MAX 65536

static int sink_err(const char *what, const char *path)
{
	fprintf(stderr, "syslog-sink: %s %s: %s\n", what, path, strerror(errno));
	return -1;
}

/* Returns a datagram socket bound at path with mode 0666, or -1 (reported). */
static int sink_bind(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return sink_err("socket path", path);
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return sink_err("not a socket, left alone:", path);
		}
		if (unlink(path) < 0)
			return sink_err("cannot remove the stale socket", path);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sink_err("socket for", path);
	/* The mode comes with bind, so nobody sees the socket before it is 0666. */
	old = umask(0111);
	rc = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0) {
		sink_err("cannot bind", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes msg[0..len) to line as one line: returns its length, newline included. */
static size_t sink_line(const char *msg, size_t len, char *line)
{
	size_t i, n = 0;

	while (len && (msg[len - 1] == '\0' || msg[len - 1] == '\n'))
		len--;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];

		if (c < 0x20 && c != '\t')
			n += (size_t)sprintf(line + n, "#%03o", c);
		else
			line[n++] = (char)c;
	}
	line[n++] = '\n';
	return n;
}

static int sink_write(int out, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(out, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies datagrams from sock to out until sig is readable: returns 0, or -1 (reported). */
static int sink_run(int sock, int sig, int out, const char *outpath)
{
	static char msg[SINK_MSG_MAX], line[4 * SINK_MSG_MAX + 1];
	struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = sig, .events = POLLIN}};

	for (;;) {
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return sink_err("poll for", outpath);
		}
		if (p[1].revents)
			return 0;
		if (!p[0].revents)
			continue;
		n = recv(sock, msg, sizeof(msg), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return sink_err("recv for", outpath);
		if (sink_write(out, line, sink_line(msg, (size_t)n, line)) < 0)
			return sink_err("cannot append to", outpath);
	}
}

int main(int argc, char **argv)
{
	sigset_t mask;
	int out, sig, sock, rc;

	if (argc != 3) {
		fprintf(stderr, "usage: syslog-sink SOCKET OUTFILE\n");
		return 2;
	}
	out = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (out < 0) {
		sink_err("cannot open", argv[2]);
		return 1;
	}
	/* Signals arrive through a descriptor, so none can slip in between poll calls. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sig = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		sink_err("signalfd for", argv[1]);
		return 1;
	}
	sock = sink_bind(argv[1]);
	if (sock < 0)
		return 1;
	rc = sink_run(sock, sig, out, argv[2]);
	unlink(argv[1]);
	close(sock);
	close(sig);
	close(out);
	return rc < 0 ? 1 : 0;
}
