#include "host.h"

#include <stdio.h>
#include <string.h>

const char *connect_host_word(int argc, char *const *argv, const char *orig, char *copy, size_t len)
{
	char *tok[3] = {0}, *save = NULL;
	int n = 0;

	if (argc == 2)
		return argv[1];
	if (argc != 1 || !orig[0] || len == 0)
		return NULL;
	snprintf(copy, len, "%s", orig);
	for (char *t = strtok_r(copy, " \t", &save); t && n < 3; t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	if (n == 1)
		return tok[0];
	if (n == 2 && strcmp(tok[0], "rjh-connect") == 0)
		return tok[1];
	return NULL;
}
