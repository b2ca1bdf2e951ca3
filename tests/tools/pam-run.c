/*
 * pam-run: drives one PAM transaction through the real libpam, the way sshd
 * does, and prints each phase's result by name.
 *
 *   pam-run [-d CONFDIR] [-r RHOST] [-e NAME=VALUE]... [-m LIB] [-f] SERVICE USER PHASE...
 *
 * PHASE is acct, open, close or pause (waits for a line on stdin, so a test
 * can act between open and close). -e puts NAME=VALUE into the PAM
 * environment before the phases (sshd's SSH_AUTH_INFO_0). CONFDIR is a
 * directory of service files (pam_start_confdir), /etc/pam.d by default.
 * Prints "PHASE: PAM_NAME" per phase and exits 0 when every phase ran. With
 * -m, then prints whether a file whose path contains LIB is still mapped
 * after pam_end ("after pam_end: LIB mapped" or "not mapped"). With -f, it
 * then prints "fds: BEFORE AFTER", the descriptors open before pam_start and
 * after pam_end (and closelog), and under tests/fault/fault.c counts only the
 * calls made from pam_start to pam_end (run it with RJH_FAULT_PAUSED=1).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define MAX_ENV 8

/* True when a mapping of this process has a path containing lib. */
static int mapped(const char *lib)
{
	char line[4096];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, lib) != NULL;
	fclose(f);
	return found;
}

/* The number of open descriptors, or -1. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own */
}

/* tests/fault/fault.c's switch, when it is loaded. */
static void fault_pause(int on)
{
	void (*f)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "rjh_fault_pause");

	if (f)
		f(on);
}

static const char *pam_name(int rc)
{
	switch (rc) {
	case PAM_SUCCESS:
		return "PAM_SUCCESS";
	case PAM_IGNORE:
		return "PAM_IGNORE";
	case PAM_PERM_DENIED:
		return "PAM_PERM_DENIED";
	case PAM_SESSION_ERR:
		return "PAM_SESSION_ERR";
	case PAM_USER_UNKNOWN:
		return "PAM_USER_UNKNOWN";
	case PAM_AUTH_ERR:
		return "PAM_AUTH_ERR";
	case PAM_SYSTEM_ERR:
		return "PAM_SYSTEM_ERR";
	case PAM_ACCT_EXPIRED:
		return "PAM_ACCT_EXPIRED";
	case PAM_SERVICE_ERR:
		return "PAM_SERVICE_ERR";
	case PAM_MODULE_UNKNOWN:
		return "PAM_MODULE_UNKNOWN";
	default:
		return "PAM_OTHER";
	}
}

static int no_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)n;
	(void)msg;
	(void)resp;
	(void)data;
	return PAM_CONV_ERR;
}

static int usage(void)
{
	fprintf(stderr, "usage: pam-run [-d CONFDIR] [-r RHOST] [-e NAME=VALUE]... [-m LIB] [-f] "
			"SERVICE USER acct|open|close|pause...\n");
	return 2;
}

int main(int argc, char **argv)
{
	const struct pam_conv conv = {no_conv, NULL};
	const char *confdir = NULL, *rhost = NULL, *lib = NULL, *env[MAX_ENV];
	pam_handle_t *pamh = NULL;
	int nenv = 0, opt, i, rc, fds = 0, fds_before = 0;
	char line[64];

	while ((opt = getopt(argc, argv, "+d:r:e:m:f")) != -1) {
		if (opt == 'f')
			fds = 1;
		else if (opt == 'd')
			confdir = optarg;
		else if (opt == 'm')
			lib = optarg;
		else if (opt == 'r')
			rhost = optarg;
		else if (opt == 'e' && nenv < MAX_ENV && strchr(optarg, '='))
			env[nenv++] = optarg;
		else
			return usage();
	}
	if (argc - optind < 3)
		return usage();
	if (fds)
		fds_before = count_fds();
	fault_pause(0);
	rc = pam_start_confdir(argv[optind], argv[optind + 1], &conv, confdir, &pamh);
	if (rc != PAM_SUCCESS) {
		fprintf(stderr, "pam-run: pam_start: %s\n", pam_name(rc));
		return 1;
	}
	if (rhost)
		pam_set_item(pamh, PAM_RHOST, rhost);
	pam_set_item(pamh, PAM_TTY, "ssh");
	for (i = 0; i < nenv; i++)
		pam_putenv(pamh, env[i]);
	for (i = optind + 2; i < argc; i++) {
		if (strcmp(argv[i], "acct") == 0) {
			rc = pam_acct_mgmt(pamh, 0);
		} else if (strcmp(argv[i], "open") == 0) {
			rc = pam_open_session(pamh, 0);
		} else if (strcmp(argv[i], "close") == 0) {
			rc = pam_close_session(pamh, 0);
		} else if (strcmp(argv[i], "pause") == 0) {
			printf("pause\n");
			fflush(stdout);
			if (!fgets(line, sizeof(line), stdin))
				break;
			continue;
		} else {
			pam_end(pamh, PAM_SUCCESS);
			return usage();
		}
		printf("%s: %s\n", argv[i], pam_name(rc));
		fflush(stdout);
	}
	pam_end(pamh, rc);
	fault_pause(1);
	if (fds) {
		closelog(); /* pam_syslog's socket, kept open by design */
		printf("fds: %d %d\n", fds_before, count_fds());
	}
	if (lib)
		printf("after pam_end: %s %s\n", lib, mapped(lib) ? "mapped" : "not mapped");
	return 0;
}
