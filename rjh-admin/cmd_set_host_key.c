/*
 * rjh-admin set-host-key: the hosts' own sshd host keys, recorded so that
 * clients can pin them (StrictHostKeyChecking yes; see known-hosts).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "key.h"
#include "name.h"
#include "util.h"

/* Host keys one host may have: one per algorithm sshd offers, with room to spare. */
#define HOST_KEYS_MAX 8

/* Reads every FILE, refusing two keys of one algorithm (sshd offers one per type). */
static int read_host_keys(struct admin *a, char **files, int n, struct key *keys)
{
	int i, j, rc;

	for (i = 0; i < n; i++) {
		rc = admin_read_host_key(a, files[i], &keys[i]);
		if (rc)
			return rc;
		for (j = 0; j < i; j++) {
			if (!strcmp(keys[j].type, keys[i].type))
				return admin_fail(
				    a, RJH_EINVAL,
				    "%s and %s are both %s keys; sshd offers one host "
				    "key per type",
				    files[j], files[i], keys[i].type);
		}
	}
	return EXIT_OK;
}

/* "host_keys=FP,FP replaced=N": every fingerprint is 50 characters, so 8 fit in 512. */
static void set_detail(const struct key *keys, int n, int replaced, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "host_keys=");
	int i;

	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "", keys[i].fp);
	if (off < len)
		snprintf(buf + off, len - off, " replaced=%d", replaced);
}

static int cmd_set_host_key(struct admin *a, int argc, char **argv)
{
	const struct admin_opt opts[] = {{0}};
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-set-host-key", .success = true};
	struct key keys[HOST_KEYS_MAX];
	struct rjh_diag d = {""};
	struct reg_host h;
	struct reg *r = NULL;
	char detail[512];
	int rc, first, n, i, replaced = 0;

	memset(keys, 0, sizeof(keys));
	rc = admin_args(a, argc, argv, opts, 2, 1 + HOST_KEYS_MAX, &first);
	if (rc >= 0)
		return rc;
	n = argc - first - 1;
	rc = name_check_host(argv[first], &d);
	if (rc < 0)
		return admin_fail_diag(a, rc, &d);
	rc = read_host_keys(a, argv + first + 1, n, keys);
	if (rc)
		goto out;
	rc = admin_change_begin(a, &r);
	if (rc)
		goto out;
	rc = reg_host_get(r, argv[first], &h, &d);
	if (rc == 0)
		rc = replaced = reg_host_keys_clear(r, h.id, &d);
	for (i = 0; rc >= 0 && i < n; i++)
		rc = reg_host_key_add(r, h.id, &keys[i], (int64_t)time(NULL), &d);
	if (rc < 0) {
		rc = admin_change_abort(a, r, admin_fail_diag(a, rc, &d));
		goto out;
	}
	set_detail(keys, n, replaced, detail, sizeof(detail));
	rec.host = h.name;
	rec.host_uid = h.uid;
	rec.detail = detail;
	rc = admin_change_finish(a, r, &rec);
	for (i = 0; rc == 0 && i < n; i++)
		printf("recorded host key %s (%s) for %s\n", keys[i].fp, keys[i].type, h.name);
	if (rc == 0 && replaced)
		printf("replaced %d earlier host key%s\n", replaced, replaced == 1 ? "" : "s");
out:
	for (i = 0; i < n; i++)
		key_clear(&keys[i]);
	return rc;
}

const struct admin_cmd admin_cmd_set_host_key = {
    "set-host-key", cmd_set_host_key, "NAME FILE [FILE...]",
    "Record a host's own sshd host keys, for clients to pin",
    "FILE: one of the host's /etc/ssh/ssh_host_*_key.pub (at most one per key\n"
    "type, 8 in all), checked like a login key; security-key types are refused.\n"
    "The host's recorded host keys are replaced by these, in one transaction.\n"
    "A host key belongs to one host: a key recorded for another host (a cloned\n"
    "image) is refused. 'rjh-admin known-hosts' prints them for clients.\n"};
