/* rjh-admin: the operator's CLI for the rjh registry. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admin.h"
#include "version.h"

static void usage(FILE *f)
{
	const struct admin_cmd *const *c;

	fprintf(f, "Usage: rjh-admin [-c FILE] [--db FILE] COMMAND [ARGS]\n\n"
		   "Manages the rjh registry of hosts, keys and grants.\n\n"
		   "Options:\n"
		   "  -c, --config FILE  configuration file (default " CFG_DEFAULT_PATH ")\n"
		   "      --db FILE      registry (default: registry= in the config)\n"
		   "  -h, --help         this help; COMMAND --help for a command's\n"
		   "  -V, --version      print the version and the registry schema it speaks\n\n"
		   "Commands:\n");
	for (c = admin_cmds; *c; c++)
		fprintf(f, "  %-13s %s\n", (*c)->name, (*c)->summary);
	fprintf(f, "\nExit status: 0 ok, 1 usage, 2 invalid input, 3 conflict or not found,\n"
		   "4 registry or system error. See rjh-admin(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"db", required_argument, NULL, 'D'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct admin a = {.cmd = NULL};
	const struct admin_cmd *c;
	struct rjh_diag d = {""};
	const char *db = NULL;
	int opt, rc;

	/* Every file rjh-admin creates gets its mode explicitly; nothing else is readable. */
	umask(077);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			a.conf_path = optarg;
			break;
		case 'D':
			db = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("rjh-admin " RJH_VERSION " (schema %d)\n", reg_schema_version());
			return EXIT_OK;
		default:
			fprintf(stderr, "rjh-admin: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c = admin_find_cmd(argv[optind]);
	if (!c) {
		fprintf(stderr, "rjh-admin: unknown command '%.40s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	a.cmd = c->name;
	rc = cfg_load(a.conf_path, &a.cfg, &d);
	if (rc < 0)
		return admin_fail_diag(&a, rc, &d);
	if (db) {
		if (db[0] == '\0' || strlen(db) >= sizeof(a.cfg.registry))
			return admin_fail(&a, RJH_EINVAL, "--db: invalid path");
		snprintf(a.cfg.registry, sizeof(a.cfg.registry), "%s", db);
	}
	a.aud.fd = -1;
	rc = c->run(&a, argc - optind, argv + optind);
	aud_close(&a.aud);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "rjh-admin: %s: cannot write output\n", c->name);
		return rc ? rc : EXIT_SYSTEM;
	}
	return rc;
}
