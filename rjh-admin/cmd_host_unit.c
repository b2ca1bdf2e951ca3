/*
 * rjh-admin host-unit: what a host installs, the systemd unit that keeps its
 * tunnel up and the jumphost's host keys it pins. Everything printed is
 * built from validated names only, so no input can add a directive or a line.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "key.h"
#include "layout.h"
#include "name.h"

/* Where a host keeps its tunnel's key and the jumphost's pinned host keys (host-unit). */
#define HOST_TUNNEL_KEY    "/etc/rjh/tunnel_key"
#define HOST_KNOWN_HOSTS   "/etc/rjh/jumphost_known_hosts"
#define HOST_UNIT_NAME     "rjh-tunnel.service"
#define HOST_TEMPLATE_NAME "rjh-tunnel@.service"
/*
 * What the unit adds to the tunnel command: no config file but this, never a
 * prompt, this key only, and the jumphost's host keys pinned in one file.
 * CheckHostIP and UpdateHostKeys are off for older ssh (they would write).
 */
#define HOST_TUNNEL_OPTS                                                                           \
	"-F none -o BatchMode=yes -o IdentitiesOnly=yes -i " HOST_TUNNEL_KEY                       \
	" -o UserKnownHostsFile=" HOST_KNOWN_HOSTS " -o GlobalKnownHostsFile=/dev/null"            \
	" -o StrictHostKeyChecking=yes -o CheckHostIP=no -o UpdateHostKeys=no"
/* The jumphost's own host keys, as sshd's default HostKey lines name them. */
#define SSHD_HOST_KEYS_DIR "/etc/ssh"

/* sshd's own host public keys: DIR/ssh_host_*_key.pub. */
static int is_host_key_pub(const struct dirent *e)
{
	return fnmatch("ssh_host_*_key.pub", e->d_name, FNM_PERIOD) == 0;
}

/* Prints "SERVER TYPE BASE64" for the key in path; false (said why) when it is refused. */
static bool print_known_host(struct admin *a, const char *server, const char *path)
{
	struct key k;

	if (admin_read_host_key(a, path, &k) != EXIT_OK)
		return false;
	printf("%s %s %s\n", server, k.type, k.b64);
	key_clear(&k);
	return true;
}

/*
 * The jumphost's host keys as a host's known_hosts pins them: file alone,
 * or every DIR/ssh_host_*_key.pub (sorted) that passes the key checks; a
 * refused one is skipped with its reason. Exit 2 when none is left.
 */
static int print_known_hosts(struct admin *a, const char *server, const char *dir, const char *file)
{
	struct dirent **ents = NULL;
	char path[4096];
	int n, i, printed = 0;

	if (file)
		return print_known_host(a, server, file) ? EXIT_OK : EXIT_INVALID;
	n = scandir(dir, &ents, is_host_key_pub, alphasort);
	if (n < 0)
		return admin_fail(a, RJH_EINVAL, "%s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name) <
			sizeof(path) &&
		    print_known_host(a, server, path))
			printed++;
		free(ents[i]);
	}
	free(ents);
	if (!printed)
		return admin_fail(a, RJH_EINVAL,
				  "no usable host public key (ssh_host_*_key.pub) in %s", dir);
	return EXIT_OK;
}

/* The [Unit]..[Install] text of a tunnel unit; desc and cmd are built from validated names. */
static void print_body(const char *desc, const char *cmd)
{
	printf("[Unit]\n"
	       "Description=%s\n"
	       "Wants=network-online.target\n"
	       "After=network-online.target\n"
	       "# Never give up: the jumphost may be away for a long time.\n"
	       "StartLimitIntervalSec=0\n"
	       "\n"
	       "[Service]\n"
	       "Type=exec\n"
	       "ExecStart=/usr/bin/%s\n"
	       "Restart=always\n"
	       "RestartSec=5\n"
	       "# ssh reads its key and the pinned host keys (root's, 0600 and 0644) and\n"
	       "# dials out; it needs no capability and writes nothing.\n"
	       "CapabilityBoundingSet=\n"
	       "AmbientCapabilities=\n"
	       "NoNewPrivileges=yes\n"
	       "UMask=0077\n"
	       "ProtectSystem=strict\n"
	       "ProtectHome=yes\n"
	       "PrivateTmp=yes\n"
	       "PrivateDevices=yes\n"
	       "ProtectProc=invisible\n"
	       "ProtectClock=yes\n"
	       "ProtectHostname=yes\n"
	       "ProtectKernelTunables=yes\n"
	       "ProtectKernelModules=yes\n"
	       "ProtectKernelLogs=yes\n"
	       "ProtectControlGroups=yes\n"
	       "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK\n"
	       "RestrictNamespaces=yes\n"
	       "RestrictRealtime=yes\n"
	       "RestrictSUIDSGID=yes\n"
	       "LockPersonality=yes\n"
	       "MemoryDenyWriteExecute=yes\n"
	       "SystemCallArchitectures=native\n"
	       "SystemCallFilter=@system-service\n"
	       "SystemCallErrorNumber=EPERM\n"
	       "\n"
	       "[Install]\n"
	       "WantedBy=multi-user.target\n",
	       desc, cmd);
}

static void print_unit(const char *name, const char *server, const char *cmd)
{
	char desc[512];

	printf("# rjh: the tunnel of %s to %s ('rjh-admin host-unit %s').\n"
	       "# On %s, as root:\n"
	       "#   " HOST_TUNNEL_KEY "            the private key enrolled for %s (0600)\n"
	       "#   " HOST_KNOWN_HOSTS "  'rjh-admin host-unit %s --known-hosts'\n"
	       "#   this file as /etc/systemd/system/" HOST_UNIT_NAME ", then\n"
	       "#   systemctl daemon-reload && systemctl enable --now " HOST_UNIT_NAME "\n",
	       name, server, name, name, name, name);
	snprintf(desc, sizeof(desc), "rjh tunnel of %s to %s", name, server);
	print_body(desc, cmd);
}

/*
 * An instance name as systemd-escape makes it, for %I to give back: a
 * checked ADDRESS[:PORT] holds only letters, digits, '.', ':' and '-', and
 * '-' is what systemd-escape writes for '/', so it becomes \x2d (which the
 * shell must see quoted).
 */
static void unit_escape(const char *s, char *out, size_t len)
{
	size_t at = 0;

	for (; *s && at + 5 < len; s++) {
		if (*s == '-') {
			memcpy(out + at, "\\x2d", 4);
			at += 4;
		} else {
			out[at++] = *s;
		}
	}
	out[at] = '\0';
}

/*
 * Several jumphosts: one template, one instance per jumphost (%I, its
 * ADDRESS or ADDRESS:PORT, escaped), each with its own restart.
 */
static void print_template(const char *name, const struct admin_jumphosts *l, const char *cmd)
{
	char dest[300], inst[1200], desc[128];
	size_t i;

	printf("# rjh: the tunnels of %s, one to each jumphost ('rjh-admin host-unit %s').\n"
	       "# On %s, as root:\n"
	       "#   " HOST_TUNNEL_KEY "            the private key enrolled for %s (0600)\n"
	       "#   " HOST_KNOWN_HOSTS "  'rjh-admin host-unit %s --known-hosts'\n"
	       "#   this file as /etc/systemd/system/" HOST_TEMPLATE_NAME ", then\n"
	       "#   systemctl daemon-reload\n",
	       name, name, name, name, name);
	for (i = 0; i < l->n; i++) {
		admin_jumphost_dest(&l->v[i], false, dest, sizeof(dest));
		unit_escape(dest, inst, sizeof(inst));
		printf("#   systemctl enable --now 'rjh-tunnel@%s.service'\n", inst);
	}
	printf("# A jumphost added or removed later: run this command again and enable or\n"
	       "# disable its instance (rjh-host jumphosts does both).\n");
	snprintf(desc, sizeof(desc), "rjh tunnel of %s to %%I", name);
	print_body(desc, cmd);
}

static int cmd_host_unit(struct admin *a, int argc, char **argv)
{
	const char *server_opt = NULL, *dir = NULL, *file = NULL;
	bool known = false;
	const struct admin_opt opts[] = {{"server", &server_opt, NULL},
					 {"known-hosts", NULL, &known},
					 {"host-keys", &dir, NULL},
					 {"host-key", &file, NULL},
					 {0}};
	struct rjh_diag d = {""};
	char server[ADMIN_SERVER_MAX + 2], cmd[1024], ca[16384] = "";
	struct admin_jumphosts l = {0};
	struct reg_host h;
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 1, 1, &first);
	if (rc >= 0)
		return rc;
	if ((dir || file) && !known)
		return admin_usage(a, "--host-keys and --host-key go with --known-hosts");
	if (dir && file)
		return admin_usage(a, "give --host-keys or --host-key, not both");
	rc = name_check_host(argv[first], &d);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	rc = admin_server_name(a, server_opt, server, sizeof(server));
	if (rc)
		return rc;
	rc = admin_open_ro(a, &r);
	if (rc)
		return rc;
	rc = reg_host_get(r, argv[first], &h, &d);
	if (rc < 0) {
		reg_close(r);
		return admin_fail_diag(a, rc, &d);
	}
	/* Several jumphosts (store = postgresql): one identity to pin, one tunnel to each. */
	rc = server_opt ? EXIT_OK : admin_jumphosts_load(a, r, &l);
	if (rc == 0 && known)
		rc = admin_host_ca_line(a, r, ca, sizeof(ca));
	reg_close(r);
	if (rc)
		return rc;
	if (known && ca[0] && !dir && !file) {
		printf("%s\n", ca);
		admin_jumphosts_free(&l);
		return EXIT_OK;
	}
	if (known) {
		if (l.n > 1)
			fprintf(
			    stderr,
			    "rjh-admin: host-unit: note: %zu jumphosts are registered and no host "
			    "CA: these are this jumphost's keys only; the host needs every "
			    "jumphost's ('rjh-admin host-ca' makes one line do)\n",
			    l.n);
		admin_jumphosts_free(&l);
		return print_known_hosts(a, server, dir ? dir : SSHD_HOST_KEYS_DIR, file);
	}
	/* NB. The name is checked: "ssh://NAME@%I" cannot be more than a destination. */
	if (l.n) {
		char user[NAME_HOST_SIZE + 8];

		snprintf(user, sizeof(user), "ssh://%s", h.name);
		rc = layout_tunnel_command_to("%I", user, HOST_TUNNEL_OPTS, cmd, sizeof(cmd));
	} else {
		rc = layout_tunnel_command_to(server, h.name, HOST_TUNNEL_OPTS, cmd, sizeof(cmd));
	}
	if (rc < 0) {
		admin_jumphosts_free(&l);
		return admin_fail(a, rc, "the tunnel command is too long");
	}
	if (h.disabled)
		fprintf(stderr,
			"rjh-admin: host-unit: note: %s is disabled; its tunnel is refused "
			"until 'rjh-admin enable %s'\n",
			h.name, h.name);
	if (l.n)
		print_template(h.name, &l, cmd);
	else
		print_unit(h.name, server, cmd);
	admin_jumphosts_free(&l);
	return EXIT_OK;
}

const struct admin_cmd admin_cmd_host_unit = {
    "host-unit",
    cmd_host_unit,
    "NAME [--server NAME] [--known-hosts [--host-keys DIR | --host-key FILE]]",
    "Print a host's systemd unit for its tunnel, or the jumphost's pinned keys",
    "Options:\n"
    "  --server NAME     the jumphost as the host dials it (default: public_name,\n"
    "                    else this machine's name)\n"
    "  --known-hosts     print the known_hosts lines for " HOST_KNOWN_HOSTS "\n"
    "                    instead: 'SERVER TYPE BASE64' for each of this machine's\n"
    "                    sshd host keys\n"
    "  --host-keys DIR   read DIR/ssh_host_*_key.pub (default " SSHD_HOST_KEYS_DIR ")\n"
    "  --host-key FILE   read only FILE\n\n"
    "With jumphosts registered (rjh-admin jumphost, store = postgresql) and no\n"
    "--server, it prints the template " HOST_TEMPLATE_NAME " instead, one instance\n"
    "per jumphost (%I: ADDRESS or ADDRESS:PORT), each with its own restart, and\n"
    "--known-hosts prints the fleet's '@cert-authority' line when a host CA is\n"
    "recorded (rjh-admin host-ca): adding a jumphost then needs no new key.\n\n"
    "NAME must be enrolled. The unit (" HOST_UNIT_NAME ") runs the tunnel command\n"
    "with BatchMode, the key " HOST_TUNNEL_KEY ", StrictHostKeyChecking against\n"
    "" HOST_KNOWN_HOSTS ", restarts it 5 s after any exit, for ever, and runs\n"
    "ssh without capabilities in a read-only sandbox. A host key file that fails\n"
    "the key checks is skipped with its reason; none left is exit 2.\n",
    ADMIN_POLICY_NONE};
