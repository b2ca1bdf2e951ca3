/* The host rjh-connect is asked for, from its argv or SSH_ORIGINAL_COMMAND. */
#ifndef RJH_CONNECT_HOST_H
#define RJH_CONNECT_HOST_H

#include <stddef.h>

/*
 * The word that names the host: argv[1] when argc is 2, or with argc 1
 * (ForceCommand) the words of orig, SSH_ORIGINAL_COMMAND: "HOST" or
 * "rjh-connect HOST", split at blanks and tabs into copy (len bytes; a
 * longer orig is cut). Either may give "--ssh-banner HEX" before HOST
 * (argc 4): then *banner_hex points at HEX (client-config's hop passes the
 * client's identification line, which it read, so that a hop that finds
 * the host offline loses nothing), else it is NULL. Returns the host word,
 * pointing into argv or copy, or NULL when there is none (a usage error).
 * Whether it is a host name, and HEX a banner, are the caller's checks.
 */
const char *connect_host_word(int argc, char *const *argv, const char *orig, char *copy, size_t len,
			      const char **banner_hex);

/*
 * Decodes hex, the client's SSH identification line without its "\n", into
 * out (at most len bytes): "SSH-" and printable ASCII, an optional "\r" at
 * its end, at most 254 bytes. Returns the length, or -1 when it is not one.
 */
int connect_banner_decode(const char *hex, char *out, size_t len);

#endif
