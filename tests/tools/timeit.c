/*
 * timeit: runs a command N times and prints the median and 90th percentile
 * wall time in microseconds, measured around fork/exec/wait only (no shell,
 * no `date` processes in the measurement). "%i" in an argument becomes the
 * run's index (0..N-1), so each run can use its own input.
 * Usage: timeit N COMMAND [ARGS...]; exits 1 if any run fails.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static char *subst(const char *arg, long i)
{
	const char *p = strstr(arg, "%i");
	char *out;
	size_t len;

	if (!p)
		return strdup(arg);
	len = strlen(arg) + 24;
	out = malloc(len);
	if (out)
		snprintf(out, len, "%.*s%ld%s", (int)(p - arg), arg, i, p + 2);
	return out;
}

int main(int argc, char **argv)
{
	long n, i;
	int j, status, devnull;
	long long *us;
	char **args;

	if (argc < 3 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: timeit N COMMAND [ARGS...]\n");
		return 2;
	}
	us = calloc((size_t)n, sizeof(*us));
	args = calloc((size_t)argc, sizeof(*args));
	devnull = open("/dev/null", O_WRONLY);
	if (!us || !args || devnull < 0)
		return 2;
	for (i = 0; i < n; i++) {
		struct timespec t0, t1;
		pid_t pid;

		for (j = 2; j < argc; j++)
			args[j - 2] = subst(argv[j], i);
		args[argc - 2] = NULL;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		pid = fork();
		if (pid == 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
			execv(args[0], args);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0)
			return 2;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		for (j = 0; j < argc - 2; j++)
			free(args[j]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "timeit: run %ld of %s failed (status %d)\n", i, argv[2],
				status);
			return 1;
		}
		us[i] = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
	}
	qsort(us, (size_t)n, sizeof(*us), cmp_ll);
	printf("%lld %lld\n", us[(n - 1) / 2], us[(n * 9 - 1) / 10]);
	return 0;
}
