/*
 * What sshd reads for certificate logins, published beside the registry
 * after each change that touches it (publish.h): REGISTRY.user-cas (its
 * TrustedUserCAKeys) and REGISTRY.krl (its RevokedKeys), both rebuilt whole
 * from one read transaction and replaced atomically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "krl.h"
#include "publish.h"
#include "snap_write.h"
#include "util.h"
#include "wire.h"

struct cert_pub {
	struct reg_user_ca *cas;
	size_t n, cap;
	struct krl *krl;
	int64_t now;
};

static int collect_ca(const struct reg_user_ca *ca, void *ctx)
{
	struct cert_pub *p = ctx;

	if (p->n == p->cap && util_grow(&p->cas, &p->cap, p->n + 1, sizeof(*p->cas), 4) < 0)
		return RJH_ENOMEM;
	p->cas[p->n++] = *ca;
	return 0;
}

/* Decodes a registry blob (validated when it was recorded) into *blob_out. */
static int decode(const char *b64, unsigned char **blob_out, size_t *len_out)
{
	size_t n = strlen(b64);
	unsigned char *blob = malloc(n + 1);
	long len;

	if (!blob)
		return RJH_ENOMEM;
	len = wire_b64_decode(b64, n, blob);
	if (len < 0) {
		free(blob);
		return RJH_EREGISTRY;
	}
	*blob_out = blob;
	*len_out = (size_t)len;
	return RJH_OK;
}

/* A serial goes in while it could still log in: revoked, or its host disabled, and not expired. */
static int add_cert(const struct reg_cert *c, void *ctx)
{
	struct cert_pub *p = ctx;
	unsigned char *blob = NULL;
	size_t i, len = 0;
	int rc;

	if ((!c->revoked && !c->host_disabled) || (c->valid_before && c->valid_before <= p->now) ||
	    c->serial == 0)
		return 0;
	for (i = 0; i < p->n && strcmp(p->cas[i].fp, c->ca_fp); i++)
		;
	if (i == p->n) /* a CA no longer trusted: nothing it signed gets in anyway */
		return 0;
	rc = decode(p->cas[i].b64, &blob, &len);
	if (rc == 0)
		rc = krl_add_serial(p->krl, blob, len, c->serial);
	free(blob);
	return rc;
}

/* A revoked key stays revoked in certificates too (fingerprints are unique: sql/001). */
static int add_key(const struct reg_key *k, void *ctx)
{
	struct cert_pub *p = ctx;
	unsigned char *blob = NULL;
	size_t len = 0;
	int rc;

	if (!k->revoked)
		return 0;
	rc = decode(k->b64, &blob, &len);
	if (rc == 0)
		rc = krl_add_key_blob(p->krl, blob, len);
	free(blob);
	return rc;
}

/* Replaces path with buf unless it holds exactly that already. */
static int replace(const char *path, const unsigned char *buf, size_t len, struct rjh_diag *d)
{
	char *have = NULL;
	size_t have_len = 0;
	bool same = util_read_file(path, len + 1, true, &have, &have_len, NULL, NULL) == 0 &&
		    have_len == len && memcmp(have, buf, len) == 0;

	free(have);
	return same ? RJH_OK : util_write_atomic(path, buf, len, 0644, (gid_t)-1, d);
}

static int cas_text(const struct cert_pub *p, struct util_buf *out)
{
	static const char head[] = "# rjh: the user CAs trusted for host logins (rjh-admin ca "
				   "list); generated, do not edit.\n";
	char line[KEY_B64_MAX + 200];
	size_t i;
	int rc = util_buf_put(out, head, sizeof(head) - 1);

	for (i = 0; rc == 0 && i < p->n; i++) {
		int n = snprintf(line, sizeof(line), "%s %s %s\n", p->cas[i].type, p->cas[i].b64,
				 p->cas[i].own ? "rjh-user-ca" : "rjh-external-ca");

		rc = n < 0 || (size_t)n >= sizeof(line) ? RJH_EREGISTRY
							: util_buf_put(out, line, (size_t)n);
	}
	return rc;
}

/*
 * A KRL's header: magic (8), format version (4), then its version (8) and
 * generation date (8), which change with every write: a KRL that differs
 * from the one in place only there is not written again.
 */
#define KRL_DATES_OFF 12
#define KRL_DATES_END 28

static bool same_krl(const char *path, const struct util_buf *krl)
{
	char *have = NULL;
	size_t len = 0;
	bool same = util_read_file(path, krl->len + 1, true, &have, &len, NULL, NULL) == 0 &&
		    len == krl->len && len >= KRL_DATES_END &&
		    memcmp(have, krl->p, KRL_DATES_OFF) == 0 &&
		    memcmp(have + KRL_DATES_END, krl->p + KRL_DATES_END, len - KRL_DATES_END) == 0;

	free(have);
	return same;
}

static int write_certs(struct reg *r, void *ctx, const char *krl_path, const char *cas_path,
		       struct rjh_diag *d)
{
	struct cert_pub *p = ctx;
	struct util_buf krl = {0}, cas = {0};
	int rc;

	rc = reg_user_cas_each(r, collect_ca, p, d);
	if (rc >= 0)
		rc = reg_certs_each(r, NULL, add_cert, p, d);
	if (rc >= 0)
		rc = reg_keys_each(r, 0, add_key, p, d);
	if (rc < 0 && !d->msg[0])
		return diag_set(d, rc, "cannot build the KRL: %s", rjh_strerror(rc));
	if (rc < 0)
		return rc;
	rc = krl_write(p->krl, 0, 0, &krl) < 0 || cas_text(p, &cas) < 0
		 ? diag_set(d, RJH_ENOMEM, "out of memory")
		 : RJH_OK;
	if (rc == 0 && !same_krl(krl_path, &krl)) {
		util_buf_free(&krl);
		rc = krl_write(p->krl, (uint64_t)p->now, (uint64_t)p->now, &krl) < 0
			 ? diag_set(d, RJH_ENOMEM, "out of memory")
			 /* Revocations first: a CA added is never trusted before its revoked
			    serials. */
			 : util_write_atomic(krl_path, krl.p, krl.len, 0644, (gid_t)-1, d);
	}
	if (rc == 0)
		rc = replace(cas_path, cas.p, cas.len, d);
	util_buf_free(&krl);
	util_buf_free(&cas);
	return rc;
}

int pub_certs_paths(const char *registry, char *krl, char *cas, size_t len)
{
	if ((size_t)snprintf(krl, len, "%s.krl", registry) >= len ||
	    (size_t)snprintf(cas, len, "%s.user-cas", registry) >= len)
		return RJH_EINVAL;
	return RJH_OK;
}

int pub_certs(struct reg *r, const struct cfg *c, struct rjh_diag *d)
{
	char krl[CFG_PATH_MAX + 16], cas[CFG_PATH_MAX + 16];
	struct cert_pub p = {.now = (int64_t)time(NULL)};
	int rc;

	if (pub_certs_paths(c->registry, krl, cas, sizeof(krl)) < 0)
		return diag_set(d, RJH_EINVAL, "registry path is too long");
	rc = krl_new(&p.krl);
	if (rc < 0)
		return diag_set(d, rc, "out of memory");
	rc = snap_write_turn(r, krl, cas, write_certs, &p, d);
	krl_free(p.krl);
	free(p.cas);
	return rc;
}
