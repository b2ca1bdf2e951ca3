/* rjh-admin runs a program (sshd -T, ssh-keygen): no shell, bounded in time and output. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"

/* What is kept of a program's stdout or stderr. */
#define RUN_OUT_MAX (1 << 20)

/* Appends what fd has to *buf (up to max bytes); returns 0 at EOF, 1 for more, -1 on error. */
static int drain(int fd, char **buf, size_t *len, size_t max)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	char *nb;

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (n == 0)
		return 0;
	if (*len + (size_t)n > max)
		return 1; /* more than sshd -T ever prints: dropped */
	nb = realloc(*buf, *len + (size_t)n + 1);
	if (!nb)
		return -1;
	memcpy(nb + *len, chunk, (size_t)n);
	*len += (size_t)n;
	nb[*len] = '\0';
	*buf = nb;
	return 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int admin_run(char *const argv[], int timeout_ms, char **out, char **err)
{
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, status = -1, open_fds = 2, saved;
	size_t olen = 0, elen = 0;
	int64_t end = now_ms() + timeout_ms;
	pid_t pid;

	*out = calloc(1, 1);
	*err = calloc(1, 1);
	if (!*out || !*err || pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
		goto fail;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (nul < 0 || dup2(nul, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	while (open_fds > 0) {
		struct pollfd pf[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
		int64_t left = end - now_ms();

		if (left <= 0 || poll(pf, 2, (int)left) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			errno = ETIMEDOUT;
			goto fail;
		}
		if (pf[0].revents && po[0] >= 0 && drain(po[0], out, &olen, RUN_OUT_MAX) <= 0) {
			close(po[0]);
			po[0] = -1;
			open_fds--;
		}
		if (pf[1].revents && pe[0] >= 0 && drain(pe[0], err, &elen, RUN_OUT_MAX) <= 0) {
			close(pe[0]);
			pe[0] = -1;
			open_fds--;
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
fail:
	saved = errno;
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	errno = saved;
	return -1;
}
