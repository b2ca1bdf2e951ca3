/* libFuzzer harness: the NSS snapshot reader on arbitrary file contents. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* In the working directory, which tests/run-fuzz.sh makes and removes. */
	static const char path[] = "fuzz-snap.input";
	struct snap_view v = {0};
	struct snap_iter it = {0, 0};
	char name[SNAP_NAME_SIZE];
	uint32_t uid;
	int fd, n = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	/* The same bytes as a base with no delta: every reader entry point must stay in bounds. */
	if (snap_map(path, SNAP_BASE, &v.base, NULL) == 0) {
		(void)snap_view_name(&v, "host-1", &uid);
		(void)snap_view_uid(&v, 1900000001, name);
		while (n++ < 1000 && snap_view_next(&v, &it, name, &uid) == 0)
			if (!memchr(name, '\0', SNAP_NAME_SIZE))
				abort();
		snap_unmap(&v.base);
	}
	return 0;
}
