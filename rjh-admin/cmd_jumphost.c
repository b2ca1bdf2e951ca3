/*
 * Several jumphosts on one PostgreSQL registry: rjh-admin jumphost
 * add|remove|list registers them (hosts tunnel to each, clients try each),
 * and rjh-admin host-ca init|sign|known-hosts gives them one identity that
 * hosts and clients pin once: an OpenSSH host CA whose certificates name
 * each jumphost's address. Everything printed is built from validated
 * names and re-parsed keys only.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "key.h"
#include "reg_pg.h"
#include "util.h"

#define CA_COMMENT     "rjh-host-ca"
#define CA_SETTING     "host_ca"
#define SERIAL_SETTING "host_ca_serial"
/* How long a jumphost's certificate is valid unless --validity says otherwise. */
#define CERT_VALIDITY_DFLT (365 * 86400)

static int need_pg(struct admin *a)
{
	if (admin_store_is_pg(a))
		return EXIT_OK;
	return admin_fail(a, RJH_EINVAL,
			  "several jumphosts need store = postgresql in rjh.conf (this registry "
			  "is %s)",
			  cfg_store_name(a->cfg.store));
}

/* ------------------------------------------------------- the jumphost list */

static int collect(const struct reg_jumphost *j, void *ctx)
{
	struct admin_jumphosts *l = ctx;

	/* NB. Checked again: the list goes into unit files and ssh_config. */
	if (!admin_is_dial_name(j->name, 63) || !admin_is_dial_name(j->address, ADMIN_SERVER_MAX) ||
	    j->port < 1 || j->port > 65535)
		return RJH_EREGISTRY;
	if (util_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v), 8) < 0)
		return RJH_ENOMEM;
	l->v[l->n++] = *j;
	return 0;
}

int admin_jumphosts_load(struct admin *a, struct reg *r, struct admin_jumphosts *out)
{
	struct rjh_diag d = {""};
	int rc;

	memset(out, 0, sizeof(*out));
	if (!admin_store_is_pg(a))
		return EXIT_OK;
	rc = reg_pg_jumphosts_each(r, a->cfg.presence_ttl, collect, out, &d);
	if (rc == RJH_EREGISTRY && !d.msg[0])
		rc = diag_set(&d, rc, "the registry holds a malformed jumphost row");
	if (rc < 0) {
		admin_jumphosts_free(out);
		return admin_fail_diag(a, rc, &d);
	}
	return EXIT_OK;
}

void admin_jumphosts_free(struct admin_jumphosts *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void admin_jumphost_dest(const struct reg_jumphost *j, bool uri, char *buf, size_t len)
{
	if (j->port == 22)
		snprintf(buf, len, "%s", j->address);
	else
		snprintf(buf, len, "%s%s:%d", uri ? "ssh://" : "", j->address, j->port);
}

/* ------------------------------------------------------------ jumphost ... */

static int jumphost_add(struct admin *a, int argc, char **argv)
{
	const char *port_s = NULL;
	const struct admin_opt opts[] = {{"port", &port_s, NULL}, {0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-jumphost-add", .success = true};
	struct reg_jumphost j = {.port = 22};
	struct rjh_diag d = {""};
	char detail[400], safe[64];
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 2, 2, &first);
	if (rc >= 0)
		return rc;
	if (!admin_is_dial_name(argv[first], sizeof(j.name) - 1))
		return admin_fail(a, RJH_EINVAL,
				  "jumphost name '%s' is not a DNS name of at most 63 characters "
				  "(its node_name in rjh.conf)",
				  util_safe(argv[first], safe, 40));
	if (!admin_is_dial_name(argv[first + 1], ADMIN_SERVER_MAX))
		return admin_fail(
		    a, RJH_EINVAL,
		    "address '%s' is not a DNS name or IPv4 address (letters, digits, "
		    "'.' and '-', starting with a letter or digit)",
		    util_safe(argv[first + 1], safe, 40));
	if (port_s) {
		char *end;
		long p = strtol(port_s, &end, 10);

		if (!*port_s || *end || p < 1 || p > 65535 || port_s[0] == '0')
			return admin_fail(a, RJH_EINVAL, "--port '%s' is not a port (1-65535)",
					  util_safe(port_s, safe, 20));
		j.port = (int)p;
	}
	rc = need_pg(a);
	if (rc)
		return rc;
	snprintf(j.name, sizeof(j.name), "%s", argv[first]);
	snprintf(j.address, sizeof(j.address), "%s", argv[first + 1]);
	/* DNS is case-blind, unit names and certificate principals are not: one spelling. */
	for (char *c = j.address; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	rc = admin_change_begin(a, &r);
	if (rc)
		return rc;
	rc = reg_pg_jumphost_add(r, &j, (int64_t)time(NULL), &d);
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	snprintf(detail, sizeof(detail), "jumphost_name=%s address=%s port=%d", j.name, j.address,
		 j.port);
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	if (rc == 0)
		printf("jumphost %s added: hosts and clients dial %s port %d\n"
		       "Next: on %s, node_name = %s in rjh.conf; its sshd's host key signed\n"
		       "with 'rjh-admin host-ca sign %s KEY.pub' (HostCertificate); hosts\n"
		       "re-run 'rjh-admin host-unit NAME' (or 'rjh-host jumphosts').\n",
		       j.name, j.address, j.port, j.name, j.name, j.name);
	return rc;
}

static int jumphost_remove(struct admin *a, int argc, char **argv)
{
	const struct admin_opt opts[] = {{0}};
	struct aud_rec rec = {
	    .type = AUDIT_USER_MGMT, .op = "rjh-jumphost-remove", .success = true};
	struct rjh_diag d = {""};
	char detail[128], safe[64];
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 1, 1, &first);
	if (rc >= 0)
		return rc;
	if (!admin_is_dial_name(argv[first], 63))
		return admin_fail(a, RJH_EINVAL, "jumphost name '%s' is not a DNS name",
				  util_safe(argv[first], safe, 40));
	rc = need_pg(a);
	if (rc)
		return rc;
	rc = admin_change_begin(a, &r);
	if (rc)
		return rc;
	rc = reg_pg_jumphost_remove(r, argv[first], &d);
	if (rc < 0)
		return admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
	snprintf(detail, sizeof(detail), "jumphost_name=%s", argv[first]);
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	if (rc == 0)
		printf("jumphost %s removed\n", argv[first]);
	return rc;
}

static int jumphost_list(struct admin *a, int argc, char **argv)
{
	bool json = false;
	const struct admin_opt opts[] = {{"json", NULL, &json}, {0}};
	struct admin_jumphosts l;
	json_t *arr;
	struct reg *r;
	char t[32];
	size_t i;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	rc = need_pg(a);
	if (rc == 0)
		rc = admin_open_ro(a, &r);
	if (rc)
		return rc;
	rc = admin_jumphosts_load(a, r, &l);
	reg_close(r);
	if (rc)
		return rc;
	if (!json) {
		printf("%-24s %-32s %-5s %-5s %-20s %s\n", "NAME", "ADDRESS", "PORT", "STATE",
		       "SEEN", "TUNNELS");
		for (i = 0; i < l.n; i++)
			printf("%-24s %-32s %-5d %-5s %-20s %lld\n", l.v[i].name, l.v[i].address,
			       l.v[i].port, l.v[i].up ? "up" : "down", admin_time(l.v[i].seen, t),
			       (long long)l.v[i].tunnels);
		admin_jumphosts_free(&l);
		return EXIT_OK;
	}
	arr = json_array();
	for (i = 0; arr && i < l.n; i++)
		if (json_array_append_new(arr,
					  json_pack("{s:s,s:s,s:i,s:s,s:o,s:o,s:I}", "name",
						    l.v[i].name, "address", l.v[i].address, "port",
						    l.v[i].port, "state", l.v[i].up ? "up" : "down",
						    "added", admin_json_time(l.v[i].added), "seen",
						    admin_json_time(l.v[i].seen), "tunnels",
						    (json_int_t)l.v[i].tunnels)) < 0)
			break;
	rc = i < l.n ? admin_fail(a, RJH_ENOMEM, "out of memory")
		     : admin_print_json(json_pack("{s:o}", "jumphosts", arr));
	admin_jumphosts_free(&l);
	return rc;
}

/* A command of subcommands: runs the one argv[1] names (its argv[0]), or says which there are. */

static int cmd_jumphost(struct admin *a, int argc, char **argv)
{
	static const struct admin_sub_cmd subs[] = {
	    {"add", jumphost_add}, {"remove", jumphost_remove}, {"list", jumphost_list}, {0}};

	return admin_run_sub(a, argc, argv, subs, "give add, remove or list");
}

/* ----------------------------------------------------------------- host-ca */

int admin_host_ca_get(struct admin *a, struct reg *r, struct key *k, struct rjh_diag *d)
{
	char buf[16384], why[sizeof(d->msg)];
	int rc = reg_pg_setting(r, CA_SETTING, buf, sizeof(buf), d);

	if (rc < 0)
		return rc;
	rc = key_parse_line(buf, a->cfg.rsa_min_bits, k, d);
	if (rc < 0) {
		snprintf(why, sizeof(why), "%s", d->msg);
		return diag_set(d, RJH_EREGISTRY, "the registry's host CA key is malformed: %s",
				why);
	}
	return RJH_OK;
}

/* 1 when PostgreSQL records k as the fleet's host CA, 0 when it does not, -1 when it cannot tell.
 */
static int ca_recorded(struct admin *a, const struct key *k)
{
	struct rjh_diag d = {""};
	struct key have = {0};
	struct reg *r = NULL;
	int rc = reg_pg_open(&a->cfg, REG_RW, "rjh-admin", &r, &d), was;

	if (rc == 0)
		rc = admin_host_ca_get(a, r, &have, &d);
	reg_close(r);
	was = rc == 0 ? !strcmp(have.b64, k->b64) : rc == RJH_ENOENT ? 0 : -1;
	key_clear(&have);
	return was;
}

static int ca_init(struct admin *a, int argc, char **argv)
{
	const char *external = NULL;
	const struct admin_opt opts[] = {{"external", &external, NULL}, {0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-host-ca-init", .success = true};
	char tmp[ADMIN_CA_TMP_SIZE] = "", pub[4100], line[16384], detail[200];
	const char *key_path = a->cfg.host_ca_key;
	struct rjh_diag d = {""};
	bool installed = false;
	struct key k = {0}, have = {0};
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	rc = need_pg(a);
	if (rc)
		return rc;
	snprintf(pub, sizeof(pub), "%s.pub", key_path);
	rc = external ? admin_read_host_key(a, external, &k)
		      : admin_ca_make(a, key_path, CA_COMMENT, tmp, &k);
	if (rc)
		return rc;
	rc = admin_change_begin(a, &r);
	if (rc)
		goto out;
	rc = admin_host_ca_get(a, r, &have, &d);
	if (rc == 0) {
		rc = admin_change_abort(a, r,
					admin_fail(a, RJH_EEXIST,
						   "the fleet has a host CA already (%s %s)",
						   have.type, have.fp));
		goto out;
	}
	if (rc != RJH_ENOENT) {
		rc = admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
		goto out;
	}
	/* Recorded once: a second init at the same moment waits for this one's row, then stops. */
	snprintf(line, sizeof(line), "%s %s", k.type, k.b64);
	rc = reg_pg_add_setting(r, CA_SETTING, line, &d);
	if (rc == RJH_EEXIST)
		rc = diag_set(&d, rc, "the fleet has a host CA already");
	if (rc < 0) {
		rc = admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
		goto out;
	}
	if (!external) {
		rc = admin_ca_install(a, tmp, key_path);
		if (rc) {
			rc = admin_change_abort(a, r, rc);
			goto out;
		}
		installed = true;
	}
	snprintf(detail, sizeof(detail), "ca=%s ca_type=%s%s", k.fp, k.type,
		 external ? " external=yes" : "");
	rec.fp = k.fp;
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	/*
	 * A commit whose answer was lost may have recorded the key: then its
	 * private half must stay. Ask PostgreSQL again; when that cannot tell,
	 * keep it and say how to find out.
	 */
	if (rc && installed) {
		int was = ca_recorded(a, &k);

		if (was != 0) {
			installed = false;
			fprintf(stderr, "rjh-admin: host-ca: %s kept: %s\n", key_path,
				was > 0
				    ? "PostgreSQL recorded its public key after all"
				    : "whether PostgreSQL recorded it is unknown; if 'rjh-admin "
				      "host-ca known-hosts' does not show it, remove it and its "
				      ".pub, then run host-ca init again");
			if (was > 0)
				rc = EXIT_OK;
		}
	}
	if (rc == 0) {
		installed = false;
		printf("host CA %s %s recorded%s%s\n"
		       "Sign each jumphost's sshd host key: rjh-admin host-ca sign NAME KEY.pub\n"
		       "Hosts and clients pin it once: rjh-admin host-ca known-hosts\n",
		       k.type, k.fp, external ? "" : "; its private key is ",
		       external ? "" : key_path);
	}
out:
	if (installed) {
		unlink(key_path);
		unlink(pub);
	}
	if (tmp[0])
		admin_ca_tmp_remove(tmp);
	key_clear(&k);
	key_clear(&have);
	return rc;
}

static int find_jumphost(const struct reg_jumphost *j, void *ctx)
{
	struct reg_jumphost *want = ctx;

	if (strcmp(j->name, want->name))
		return 0;
	*want = *j;
	return 1;
}

static int ca_sign(struct admin *a, int argc, char **argv)
{
	const char *validity_s = NULL;
	const struct admin_opt opts[] = {{"validity", &validity_s, NULL}, {0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-host-ca-sign", .success = true};
	struct reg_jumphost j = {0};
	struct key k = {0}, ca = {0};
	struct rjh_diag d = {""};
	char id[128], principals[400], valid[32], serial[24], cert[16384], detail[600], safe[64];
	int64_t validity = CERT_VALIDITY_DFLT;
	uint64_t next = 0;
	struct reg *r = NULL;
	int rc, first, found;

	rc = admin_args(a, argc, argv, opts, 2, 2, &first);
	if (rc >= 0)
		return rc;
	if (!admin_is_dial_name(argv[first], sizeof(j.name) - 1))
		return admin_fail(a, RJH_EINVAL, "jumphost name '%s' is not a DNS name",
				  util_safe(argv[first], safe, 40));
	rc = admin_parse_validity(a, validity_s, &validity);
	if (rc)
		return rc;
	rc = need_pg(a);
	if (rc)
		return rc;
	/* A private key, a certificate, two keys: refused here, before anything is opened. */
	rc = admin_read_host_key(a, argv[first + 1], &k);
	if (rc)
		return rc;
	if (geteuid() != 0) {
		rc = admin_fail(a, RJH_ESYS,
				"must run as root: the CA's private key is root's alone");
		goto out;
	}
	snprintf(j.name, sizeof(j.name), "%s", argv[first]);
	rc = admin_change_begin(a, &r);
	if (rc)
		goto out;
	found = reg_pg_jumphosts_each(r, a->cfg.presence_ttl, find_jumphost, &j, &d);
	if (found < 0) {
		rc = admin_fail_diag(a, found, &d);
		goto abort;
	}
	if (!j.address[0] || !admin_is_dial_name(j.address, ADMIN_SERVER_MAX)) {
		rc = admin_fail(a, RJH_ENOENT, "no jumphost %s (rjh-admin jumphost add)", j.name);
		goto abort;
	}
	rc = admin_host_ca_get(a, r, &ca, &d);
	if (rc == RJH_ENOENT) {
		rc = admin_fail(a, rc, "the fleet has no host CA (rjh-admin host-ca init)");
		goto abort;
	}
	if (rc < 0) {
		rc = admin_fail_diag(a, rc, &d);
		goto abort;
	}
	rc = admin_ca_check_private(a, a->cfg.host_ca_key, &ca, "the fleet's host CA");
	if (rc)
		goto abort;
	/* The row stays locked until commit: two signs at once get two serials. */
	rc = reg_pg_counter_next(r, SERIAL_SETTING, &next, &d);
	if (rc < 0) {
		rc = admin_fail_diag(a, rc, &d);
		goto abort;
	}
	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)next);
	snprintf(id, sizeof(id), "rjh-jumphost %s", j.name);
	snprintf(principals, sizeof(principals), "%s,%s", j.address, j.name);
	snprintf(valid, sizeof(valid), "-5m:+%llds", (long long)validity);
	{
		char h[] = "-h", i[] = "-I", n[] = "-n", v[] = "-V", z[] = "-z";
		char *const sign_opts[] = {h, i, id, n, principals, v, valid, z, serial, NULL};

		rc = admin_ca_sign(a, a->cfg.host_ca_key, &k, sign_opts, cert, sizeof(cert));
	}
	if (rc)
		goto abort;
	snprintf(detail, sizeof(detail),
		 "jumphost_name=%s serial=%s principals=%s valid_for=%llds ca=%s", j.name, serial,
		 principals, (long long)validity, ca.fp);
	rec.fp = k.fp;
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	r = NULL;
	if (rc == 0)
		printf("%s\n", cert);
	goto out;
abort:
	admin_change_abort(a, r, rc);
out:
	key_clear(&k);
	key_clear(&ca);
	return rc;
}

int admin_host_ca_line(struct admin *a, struct reg *r, char *buf, size_t len)
{
	struct rjh_diag d = {""};
	struct key ca = {0};
	int rc;

	buf[0] = '\0';
	if (!admin_store_is_pg(a))
		return EXIT_OK;
	rc = admin_host_ca_get(a, r, &ca, &d);
	if (rc == RJH_ENOENT)
		return EXIT_OK;
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	snprintf(buf, len, "@cert-authority * %s %s " CA_COMMENT, ca.type, ca.b64);
	key_clear(&ca);
	return EXIT_OK;
}

static int ca_known_hosts(struct admin *a, int argc, char **argv)
{
	const struct admin_opt opts[] = {{0}};
	char line[16384];
	struct reg *r;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 0, 0, &first);
	if (rc >= 0)
		return rc;
	rc = need_pg(a);
	if (rc == 0)
		rc = admin_open_ro(a, &r);
	if (rc)
		return rc;
	rc = admin_host_ca_line(a, r, line, sizeof(line));
	reg_close(r);
	if (rc == 0 && !line[0])
		rc = admin_fail(a, RJH_ENOENT, "the fleet has no host CA (rjh-admin host-ca init)");
	if (rc == 0)
		printf("%s\n", line);
	return rc;
}

static int cmd_host_ca(struct admin *a, int argc, char **argv)
{
	static const struct admin_sub_cmd subs[] = {
	    {"init", ca_init}, {"sign", ca_sign}, {"known-hosts", ca_known_hosts}, {0}};

	return admin_run_sub(a, argc, argv, subs, "give init, sign or known-hosts");
}

const struct admin_cmd admin_cmd_jumphost = {
    "jumphost",
    cmd_jumphost,
    "add NAME ADDRESS [--port N] | remove NAME | list [--json]",
    "Register the jumphosts that serve the fleet (store = postgresql)",
    "add NAME ADDRESS   NAME is the jumphost's node_name (rjh.conf); ADDRESS, a\n"
    "                   DNS name or IPv4 address, and --port (default 22) are\n"
    "                   what hosts and clients dial\n"
    "remove NAME        also forgets its presence rows\n"
    "list               NAME ADDRESS PORT STATE SEEN TUNNELS: STATE is up while\n"
    "                   its rjh-sync's heartbeat is younger than presence_ttl;\n"
    "                   TUNNELS, the hosts whose tunnel it holds now\n\n"
    "host-unit and client-config print one tunnel and one hop per registered\n"
    "jumphost. Changes are audited.\n",
    ADMIN_POLICY_NONE};

const struct admin_cmd admin_cmd_host_ca = {
    "host-ca",
    cmd_host_ca,
    "init [--external FILE] | sign JUMPHOST KEY.pub [--validity AGE] | known-hosts",
    "The OpenSSH host CA that vouches for every jumphost (store = postgresql)",
    "init               makes an ed25519 CA at host_ca_key (rjh.conf, default\n"
    "                   /etc/rjh/host_ca, root's, 0600) and records its public\n"
    "                   key; --external FILE records only a CA public key kept\n"
    "                   elsewhere (sign with it there)\n"
    "sign JUMPHOST KEY  prints a host certificate for a jumphost's sshd host\n"
    "                   public key KEY: principals its ADDRESS and NAME, key id\n"
    "                   'rjh-jumphost NAME', a serial the registry counts,\n"
    "                   valid --validity (default 365d); install it next to the\n"
    "                   key and name it in sshd_config's HostCertificate\n"
    "known-hosts        prints '@cert-authority * TYPE KEY rjh-host-ca': the one\n"
    "                   line hosts (host-unit --known-hosts) and clients pin\n\n"
    "Needs root (init, sign). A KEY that is a private key, a certificate or\n"
    "more than one key is refused. Every change is audited.\n",
    ADMIN_POLICY_NONE};
