#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>

#define RELAY_CHUNK 65536

/* One direction: from -> pipe -> to (or from -> buf -> to without splice). */
struct dir {
	int from, to;
	int pipe[2];    /* -1 when this direction copies through buf */
	size_t pending; /* bytes in the pipe or buf, not yet written to `to` */
	size_t off;     /* start of pending data in buf */
	bool eof;       /* `from` ended */
	bool done;      /* eof and everything written */
	uint64_t *bytes;
	char buf[RELAY_CHUNK];
};

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Switches d to read/write for good (an end that splice does not support). */
static void copy_mode(struct dir *d)
{
	if (d->pipe[0] >= 0) {
		close(d->pipe[0]);
		close(d->pipe[1]);
	}
	d->pipe[0] = d->pipe[1] = -1;
}

/* Reads what `from` has. Returns 0, or -1 on an error. */
static int fill(struct dir *d)
{
	ssize_t n;

	if (d->pipe[0] >= 0) {
		n = splice(d->from, NULL, d->pipe[1], NULL, RELAY_CHUNK,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0 && errno == EINVAL && d->pending == 0) {
			copy_mode(d);
			return fill(d);
		}
	} else {
		n = read(d->from, d->buf, sizeof(d->buf));
		d->off = 0;
	}
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		d->eof = true;
	d->pending += (size_t)n;
	return 0;
}

/*
 * Moves what the pipe holds into buf and switches d to copying, for a `to`
 * that refuses splice only once data is in the pipe (a file opened with
 * O_APPEND, say). One fill moves at most RELAY_CHUNK, so it fits.
 */
static int unpipe(struct dir *d)
{
	size_t got = 0;

	if (d->pending > sizeof(d->buf))
		return -1;
	while (got < d->pending) {
		ssize_t n = read(d->pipe[0], d->buf + got, d->pending - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	d->off = 0;
	copy_mode(d);
	return 0;
}

/* Writes what is pending to `to`. Returns 0, or -1 on an error. */
static int drain(struct dir *d)
{
	ssize_t n;

	if (d->pipe[0] >= 0) {
		n = splice(d->pipe[0], NULL, d->to, NULL, d->pending,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0 && errno == EINVAL)
			return unpipe(d) < 0 ? -1 : drain(d);
	} else {
		n = write(d->to, d->buf + d->off, d->pending);
		if (n > 0)
			d->off += (size_t)n;
	}
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	d->pending -= (size_t)n;
	*d->bytes += (uint64_t)n;
	return 0;
}

static int dir_init(struct dir *d, int from, int to, uint64_t *bytes)
{
	d->from = from;
	d->to = to;
	d->pending = d->off = 0;
	d->eof = d->done = false;
	d->bytes = bytes;
	if (pipe2(d->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		d->pipe[0] = d->pipe[1] = -1;
	return 0;
}

/* One pass over d after poll said ready; marks it done at the end. */
static int step(struct dir *d, short rev_from, short rev_to)
{
	if (!d->eof && d->pending == 0 && (rev_from & (POLLIN | POLLHUP | POLLERR)) && fill(d) < 0)
		return -1;
	if (d->pending && (rev_to & (POLLOUT | POLLERR)) && drain(d) < 0)
		return -1;
	/* Data may be waiting after a fill: try at once rather than after another poll. */
	if (d->pending && !(rev_to & POLLOUT) && drain(d) < 0)
		return -1;
	if (d->eof && d->pending == 0)
		d->done = true;
	return 0;
}

int relay_run(int in, int out, int sock, struct relay_stats *st)
{
	static struct dir up, down; /* up: client -> host; down: host -> client */
	int rc = 0;

	st->to_host = st->from_host = 0;
	if (nonblock(in) < 0 || nonblock(out) < 0 || nonblock(sock) < 0)
		return -1;
	dir_init(&up, in, sock, &st->to_host);
	dir_init(&down, sock, out, &st->from_host);
	while (!down.done) {
		struct pollfd p[4] = {
		    {.fd = !up.done && !up.eof && !up.pending ? in : -1, .events = POLLIN},
		    {.fd = up.pending ? sock : -1, .events = POLLOUT},
		    {.fd = !down.eof && !down.pending ? sock : -1, .events = POLLIN},
		    {.fd = down.pending ? out : -1, .events = POLLOUT},
		};

		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		if (!up.done && step(&up, p[0].revents, p[1].revents) < 0) {
			rc = -1;
			break;
		}
		/* The client is done sending: tell the host, and keep reading its answer. */
		if (up.done && up.from >= 0) {
			shutdown(sock, SHUT_WR);
			up.from = -1;
		}
		if (step(&down, p[2].revents, p[3].revents) < 0) {
			rc = -1;
			break;
		}
	}
	copy_mode(&up);
	copy_mode(&down);
	return rc;
}
