/* The host rjh-connect is asked for, from its argv or SSH_ORIGINAL_COMMAND. */
#ifndef RJH_CONNECT_HOST_H
#define RJH_CONNECT_HOST_H

#include <stddef.h>

/*
 * The word that names the host: argv[1] when argc is 2, or with argc 1
 * (ForceCommand) the words of orig, SSH_ORIGINAL_COMMAND: "HOST" or
 * "rjh-connect HOST", split at blanks and tabs into copy (len bytes; a
 * longer orig is cut). Returns it, pointing into argv or copy, or NULL when
 * there is none (a usage error). Whether it is a host name is the caller's
 * check (name_is_host).
 */
const char *connect_host_word(int argc, char *const *argv, const char *orig, char *copy,
			      size_t len);

#endif
