/*
 * The OpenSSH CAs rjh-admin keeps, made and used with ssh-keygen: the host
 * CA of several jumphosts (host-ca, cmd_jumphost.c) and the user CA that
 * signs host certificates (ca, sign: cmd_ca.c). A CA's private key is
 * root's, in a directory root's alone, and appears at its path whole or not
 * at all: made in a fresh directory beside it, then linked into place.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin.h"
#include "key.h"
#include "util.h"

#define SSH_KEYGEN        "/usr/bin/ssh-keygen"
#define KEYGEN_TIMEOUT_MS 30000

int admin_keygen(struct admin *a, const char *what, char *argv[], char **out)
{
	char prog[] = SSH_KEYGEN, *o = NULL, *e = NULL, *nl;
	int st;

	argv[0] = prog;
	st = admin_run(argv, KEYGEN_TIMEOUT_MS, &o, &e);
	if (e && (nl = strchr(e, '\n')) != NULL)
		*nl = '\0';
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char safe[200];

		st = admin_fail(a, RJH_ESYS, SSH_KEYGEN " (%s) failed: %s", what,
				st < 0 ? strerror(errno)
				       : util_safe(e ? e : "", safe, sizeof(safe)));
		free(o);
		free(e);
		return st;
	}
	free(e);
	if (out)
		*out = o;
	else
		free(o);
	return EXIT_OK;
}

void admin_ca_tmp_remove(const char *dir)
{
	static const char *const names[] = {"ca", "ca.pub", "key.pub", "key-cert.pub"};
	char p[4096];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

int admin_ca_make(struct admin *a, const char *key_path, const char *comment,
		  char tmp[ADMIN_CA_TMP_SIZE], struct key *k_out)
{
	char path[4096], pub[4100], *dir;
	struct rjh_diag d = {""};
	struct stat st;
	int rc;

	tmp[0] = '\0';
	if (geteuid() != 0)
		return admin_fail(a, RJH_ESYS,
				  "must run as root: the CA's private key is root's alone");
	snprintf(pub, sizeof(pub), "%s.pub", key_path);
	if (lstat(key_path, &st) == 0 || lstat(pub, &st) == 0)
		return admin_fail(a, RJH_EEXIST,
				  "%s or its .pub exists already; move it away, or record an "
				  "existing CA's public key instead",
				  key_path);
	snprintf(path, sizeof(path), "%s", key_path);
	dir = dirname(path);
	/* The CA key is root's alone: so must its directory be, or another could swap it. */
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return admin_fail(a, RJH_ETRUST, "%s (the CA key's directory) is not a directory",
				  dir);
	if (util_check_trusted(dir, st.st_uid, st.st_mode, &d) < 0)
		return admin_fail_diag(a, RJH_ETRUST, &d);
	if (snprintf(tmp, ADMIN_CA_TMP_SIZE, "%s/.rjh_ca.XXXXXX", dir) >= ADMIN_CA_TMP_SIZE ||
	    !mkdtemp(tmp)) {
		tmp[0] = '\0';
		return admin_fail(a, RJH_ESYS, "cannot make a directory in %s: %s", dir,
				  strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/ca", tmp);
	{
		char q[] = "-q", t[] = "-t", ed[] = "ed25519", n[] = "-N", none[] = "", cc[] = "-C",
		     f[] = "-f", c[128];
		char *argv_gen[] = {NULL, q, t, ed, n, none, cc, c, f, path, NULL};

		snprintf(c, sizeof(c), "%s", comment);
		rc = admin_keygen(a, "making the CA key", argv_gen, NULL);
	}
	snprintf(path, sizeof(path), "%s/ca.pub", tmp);
	if (rc == 0)
		rc = admin_read_host_key(a, path, k_out);
	if (rc) {
		admin_ca_tmp_remove(tmp);
		tmp[0] = '\0';
	}
	return rc;
}

int admin_ca_install(struct admin *a, const char *tmp, const char *key_path)
{
	char from[4200], pub[4100];

	snprintf(pub, sizeof(pub), "%s.pub", key_path);
	/* link(2) never replaces: a key that appeared meanwhile stays, and we stop. */
	snprintf(from, sizeof(from), "%s/ca", tmp);
	if (link(from, key_path) < 0)
		return admin_fail(a, RJH_ESYS, "%s: %s", key_path, strerror(errno));
	snprintf(from, sizeof(from), "%s/ca.pub", tmp);
	if (link(from, pub) < 0) {
		int rc = admin_fail(a, RJH_ESYS, "%s: %s", pub, strerror(errno));

		unlink(key_path);
		return rc;
	}
	return EXIT_OK;
}

int admin_ca_check_private(struct admin *a, const char *key_path, const struct key *ca,
			   const char *what)
{
	char y[] = "-y", f[] = "-f", kp[4096], *argv_y[] = {NULL, y, f, kp, NULL}, *half = NULL;
	struct key have = {0};
	struct rjh_diag d = {""};
	bool same;
	int rc;

	/* Its public half, as ssh-keygen derives it from the private key. */
	snprintf(kp, sizeof(kp), "%s", key_path);
	rc = admin_keygen(a, "reading the CA key", argv_y, &half);
	if (rc)
		return rc;
	if (half)
		half[strcspn(half, "\n")] = '\0';
	same = half && key_parse_line(half, a->cfg.rsa_min_bits, &have, &d) == 0 &&
	       !strcmp(have.type, ca->type) && !strcmp(have.b64, ca->b64);
	free(half);
	key_clear(&have);
	return same ? EXIT_OK
		    : admin_fail(a, RJH_EINVAL, "%s is not the private key of %s (%s)", key_path,
				 what, ca->fp);
}

/* Reads the one certificate line ssh-keygen wrote for a k of type type. */
static int read_cert(struct admin *a, const char *path, const char *type, char *cert,
		     size_t certlen)
{
	struct rjh_diag d = {""};
	char want[80], *buf = NULL;
	size_t len = 0, n;
	bool ok;

	snprintf(want, sizeof(want), "%s-cert-v01@openssh.com ", type);
	ok = util_read_file(path, certlen - 1, false, &buf, &len, NULL, &d) == 0 && len > 1 &&
	     buf[len - 1] == '\n' && !memchr(buf, '\n', len - 1) &&
	     !strncmp(buf, want, strlen(want));
	/* One line, nothing but the certificate: it goes on stdout as is. */
	if (ok) {
		n = len - 1;
		memcpy(cert, buf, n);
		cert[n] = '\0';
		ok = util_is_printable(cert, certlen);
	}
	free(buf);
	return ok ? EXIT_OK : admin_fail(a, RJH_ESYS, "ssh-keygen wrote no usable certificate");
}

int admin_ca_sign(struct admin *a, const char *key_path, const struct key *k, char *const opts[],
		  char *cert, size_t certlen)
{
	char tmp[] = "/tmp/rjh-sign.XXXXXX", p[4200], q[] = "-q", s[] = "-s", kp[4096];
	char *argv_s[ADMIN_CA_SIGN_OPTS_MAX + 6];
	size_t n = 0, i;
	bool bad;
	FILE *f;
	int rc;

	if (!mkdtemp(tmp))
		return admin_fail(a, RJH_ESYS, "mkdtemp: %s", strerror(errno));
	snprintf(p, sizeof(p), "%s/key.pub", tmp);
	f = fopen(p, "wx");
	bad = !f;
	/* The certificate line's comment is the key's (ssh-keygen names the file otherwise). */
	if (f) {
		bad = fprintf(f, "%s %s %s\n", k->type, k->b64,
			      k->comment[0] ? k->comment : "rjh") < 0;
		bad = fclose(f) != 0 || bad;
	}
	if (bad) {
		rc = admin_fail(a, RJH_ESYS, "%s: %s", p, strerror(errno));
		goto out;
	}
	snprintf(kp, sizeof(kp), "%s", key_path);
	argv_s[n++] = NULL;
	argv_s[n++] = q;
	argv_s[n++] = s;
	argv_s[n++] = kp;
	for (i = 0; opts[i] && i < ADMIN_CA_SIGN_OPTS_MAX; i++)
		argv_s[n++] = opts[i];
	argv_s[n++] = p;
	argv_s[n] = NULL;
	rc = admin_keygen(a, "signing", argv_s, NULL);
	snprintf(p, sizeof(p), "%s/key-cert.pub", tmp);
	if (rc == 0)
		rc = read_cert(a, p, k->type, cert, certlen);
out:
	admin_ca_tmp_remove(tmp);
	return rc;
}

int admin_parse_validity(struct admin *a, const char *s, int64_t *secs)
{
	char safe[64];

	if (s && (util_parse_age(s, secs) < 0 || *secs < 60 || *secs > 10 * 365 * 86400LL))
		return admin_fail(a, RJH_EINVAL,
				  "--validity '%s' is not an age from 1m to 10 years, such as 52w "
				  "or 90d",
				  util_safe(s, safe, 20));
	return EXIT_OK;
}
