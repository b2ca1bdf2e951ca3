/*
 * libFuzzer harness: rjh-connect's reading of SSH_CONNECTION, the caller's
 * environment (peer_parse_claim, rjh-connect/peer.c).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rjh-connect/peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), c[INET6_ADDRSTRLEN], sv[INET6_ADDRSTRLEN], again[256];
	struct peer_tuple t, t2;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (peer_parse_claim(s, &t) == RJH_OK) {
		/* Accepted: one family, real ports, and its canonical form parses to the same. */
		if ((t.family != AF_INET && t.family != AF_INET6) || t.cport < 1 ||
		    t.cport > 65535 || t.sport < 1 || t.sport > 65535)
			abort();
		if (!inet_ntop(t.family, t.client, c, sizeof(c)) ||
		    !inet_ntop(t.family, t.server, sv, sizeof(sv)))
			abort();
		snprintf(again, sizeof(again), "%s %u %s %u", c, t.cport, sv, t.sport);
		if (peer_parse_claim(again, &t2) != RJH_OK || t2.family != t.family ||
		    t2.cport != t.cport || t2.sport != t.sport ||
		    memcmp(t2.client, t.client, t.family == AF_INET ? 4 : 16) ||
		    memcmp(t2.server, t.server, t.family == AF_INET ? 4 : 16))
			abort();
	}
	free(s);
	return 0;
}
