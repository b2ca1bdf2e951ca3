/* rjh-connect's relay: a client's stdin/stdout to a host's socket and back. */
#ifndef RJH_RELAY_H
#define RJH_RELAY_H

#include <stdint.h>

struct relay_stats {
	uint64_t to_host;   /* bytes from stdin to the socket */
	uint64_t from_host; /* bytes from the socket to stdout */
};

/*
 * Relays in -> sock and sock -> out until the host's side ends (EOF on sock,
 * or either side fails). EOF on in half-closes the socket (shutdown
 * SHUT_WR) and the other direction goes on, so scp and rsync finish. Moves
 * data with splice(2) through a pipe per direction (no copy to user space),
 * and falls back to read/write for an end that cannot splice. Sets the fds
 * non-blocking. Returns 0 when the host's side ended cleanly, -1 on an I/O
 * error (errno set). *st counts the bytes as they are written, so memory
 * shared with another process (MAP_SHARED) has the count up to the last
 * chunk even if this process is killed.
 */
int relay_run(int in, int out, int sock, struct relay_stats *st);

#endif
