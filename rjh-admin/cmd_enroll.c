/* rjh-admin enroll and add-key: hosts and their keys come in here. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "key.h"
#include "layout.h"
#include "util.h"

static void print_next_steps(struct admin *a, const struct reg_host *h, const struct key *k,
			     const struct key *hk, const struct admin_jumphosts *l)
{
	char sock[CFG_PATH_MAX + 64], cmd[512], user[NAME_HOST_SIZE + 8], dest[300];
	size_t i;

	layout_socket_path(&a->cfg, h->name, sock, sizeof(sock));
	layout_tunnel_command(&a->cfg, h->name, cmd, sizeof(cmd));
	printf("enrolled %s (uid %u) with key %s\n\n"
	       "Next steps:\n"
	       "  The host binds %s inside its chroot; on this jumphost that is\n"
	       "    %s\n",
	       h->name, h->uid, k->fp, LAYOUT_CHROOT_SOCKET, sock);
	if (!l->n)
		printf("  On %s, keep this tunnel up:\n"
		       "    %s\n",
		       h->name, cmd);
	else
		printf("  On %s, keep one tunnel up to each of the %zu jumphosts:\n", h->name,
		       l->n);
	/* ssh://NAME@ADDRESS[:PORT]: the names were checked (admin_is_dial_name). */
	snprintf(user, sizeof(user), "ssh://%s", h->name);
	for (i = 0; i < l->n; i++) {
		admin_jumphost_dest(&l->v[i], false, dest, sizeof(dest));
		if (layout_tunnel_command_to(dest, user, NULL, cmd, sizeof(cmd)) == 0)
			printf("    %s\n", cmd);
	}
	printf("  'rjh-admin host-unit %s' prints a systemd unit that does, with the\n"
	       "  jumphost's host key pinned.\n",
	       h->name);
	if (hk)
		printf("  Clients pin its host key %s ('rjh-admin known-hosts').\n", hk->fp);
}

static int cmd_enroll(struct admin *a, int argc, char **argv)
{
	struct admin_policy_opts o = {0};
	const char *host_key = NULL;
	struct admin_opt opts[REG_HOST_NPOLICY + 3] = {{"comment", &o.comment, NULL},
						       {"host-key", &host_key, NULL}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-enroll", .success = true};
	struct rjh_diag d = {""};
	struct reg_host h;
	struct reg *r = NULL;
	struct key k = {0}, hk = {0};
	struct admin_jumphosts l = {0};
	char detail[1300], policy[1100];
	uint32_t gid = 0;
	const char *name;
	size_t nopts = 2;
	int rc, first;

	admin_policy_opt_table(&o, ADMIN_POLICY_ENROLL, opts, &nopts);
	rc = admin_args(a, argc, argv, opts, 2, 2, &first);
	if (rc >= 0)
		return rc;
	name = argv[first];
	rc = admin_check_host_name(a, name);
	if (rc == 0)
		rc = admin_check_policy_opts(a, &o);
	if (rc == 0)
		rc = admin_read_key(a, argv[first + 1], &k);
	if (rc == 0 && host_key)
		rc = admin_read_host_key(a, host_key, &hk);
	if (rc)
		goto out;
	rc = admin_change_begin(a, &r);
	if (rc)
		goto out;
	snprintf(o.host.name, sizeof(o.host.name), "%s", name);
	rc = reg_host_add(r, &o.host, (int64_t)time(NULL), &h, &d);
	if (rc == 0)
		rc = reg_host_gid(r, &gid, &d);
	if (rc == 0)
		rc = reg_key_add(r, h.id, &k, o.comment, 0, h.created, &d);
	if (rc == 0 && host_key)
		rc = reg_host_key_add(r, h.id, &hk, h.created, &d);
	if (rc == 0)
		admin_change_identity(a, SNAP_IDENT_ADD, h.name, h.uid);
	if (rc < 0) {
		rc = admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
		goto out;
	}
	admin_policy_detail(&o, &h, policy, sizeof(policy));
	snprintf(detail, sizeof(detail), "key_type=%s%s%s%s%s", k.type, policy[0] ? " " : "",
		 policy, host_key ? " host_key=" : "", host_key ? hk.fp : "");
	rec.host = name;
	rec.host_uid = h.uid;
	rec.fp = k.fp;
	rec.detail = detail;
	/* Several jumphosts: the next steps name each (a bad row was said; the enroll goes on). */
	if (admin_store_is_pg(a) && admin_jumphosts_load(a, r, &l) != EXIT_OK)
		memset(&l, 0, sizeof(l));
	rc = admin_change_finish(a, r, &rec);
	if (rc == 0 && layout_prepare_host(&a->cfg, h.name, h.uid, gid, &d) < 0)
		rc = admin_fail(a, RJH_ESYS,
				"enrolled %s, but could not make its runtime directory "
				"(%s); 'rjh-admin runtime' retries",
				h.name, d.msg);
	else if (rc == 0)
		print_next_steps(a, &h, &k, host_key ? &hk : NULL, &l);
out:
	admin_jumphosts_free(&l);
	key_clear(&k);
	key_clear(&hk);
	return rc;
}

static int cmd_add_key(struct admin *a, int argc, char **argv)
{
	struct admin_policy_opts o = {0};
	const struct admin_opt opts[] = {
	    {"expires", &o.key_expires_s, NULL}, {"comment", &o.comment, NULL}, {0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-add-key", .success = true};
	struct rjh_diag d = {""};
	struct reg_host h;
	struct reg *r = NULL;
	struct key k = {0};
	char detail[128];
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 2, 2, &first);
	if (rc >= 0)
		return rc;
	rc = admin_check_policy_opts(a, &o);
	if (rc == 0)
		rc = admin_read_key(a, argv[first + 1], &k);
	if (rc)
		goto out;
	rc = admin_change_begin(a, &r);
	if (rc)
		goto out;
	rc = reg_host_get(r, argv[first], &h, &d);
	if (rc == 0)
		rc = reg_key_add(r, h.id, &k, o.comment, o.key_expires, (int64_t)time(NULL), &d);
	if (rc < 0) {
		rc = admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
		goto out;
	}
	snprintf(detail, sizeof(detail), "key_type=%s", k.type);
	rec.host = h.name;
	rec.host_uid = h.uid;
	rec.fp = k.fp;
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	if (rc == 0)
		printf("added key %s to %s (%d active key%s)\n", k.fp, h.name, h.nkeys + 1,
		       h.nkeys ? "s" : "");
out:
	key_clear(&k);
	return rc;
}

const struct admin_cmd admin_cmd_enroll = {
    "enroll",
    cmd_enroll,
    "NAME KEYFILE [--comment TEXT] [--host-key FILE]",
    "Enroll a host with its public key",
    "  --comment TEXT   a note stored with the key (default: the key file's comment)\n"
    "  --host-key FILE  also record the host's own sshd host key (one of its\n"
    "                   /etc/ssh/ssh_host_*_key.pub) for clients to pin; see\n"
    "                   set-host-key and known-hosts\n\n"
    "NAME: 1-32 of a-z 0-9 . _ -, starting with a letter, no '..', and not an\n"
    "existing user or group. KEYFILE: exactly one OpenSSH public key (ed25519,\n"
    "ecdsa, sk-ed25519, sk-ecdsa, or RSA of at least rsa_min_bits); never a\n"
    "private key, a certificate or a line with options. Everything is checked\n"
    "first; then the uid is allocated and the host and key are stored in one\n"
    "transaction. Prints the socket path and the tunnel command for the host.\n",
    ADMIN_POLICY_ENROLL};

const struct admin_cmd admin_cmd_add_key = {
    "add-key",
    cmd_add_key,
    "NAME KEYFILE [--expires DATE] [--comment TEXT]",
    "Add a key to an enrolled host, e.g. for rotation",
    "Options:\n"
    "  --expires DATE   the key stops working after DATE\n"
    "  --comment TEXT   a note stored with the key\n\n"
    "The old key keeps working until 'rjh-admin revoke-key FINGERPRINT'.\n",
    ADMIN_POLICY_NONE};
