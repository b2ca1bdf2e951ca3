/* rjh-admin import: migrate a classic shared authorized_keys file, all or nothing. */
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "import_line.h"
#include "key.h"
#include "name.h"
#include "util.h"

#define IMPORT_FILE_MAX (64u * 1024 * 1024)

struct import {
	struct admin *a;
	struct reg *r;
	const char *path;
	struct hsearch_data seen; /* hosts this import created */
	struct name_sys sys;      /* the system's users and groups */
	char **names;             /* the keys of seen, to free */
	size_t nnames, hosts, keys, rejected;
	int64_t now;
};

static void reject(struct import *im, unsigned lineno, const char *why)
{
	im->rejected++;
	fprintf(stderr, "rjh-admin: import: %s:%u: %s\n", im->path, lineno, why);
}

static bool created_here(struct import *im, const char *name)
{
	ENTRY e = {.key = (char *)(uintptr_t)name}, *found = NULL;

	return hsearch_r(e, FIND, &found, &im->seen) && found;
}

static int remember(struct import *im, const char *name)
{
	ENTRY e, *found = NULL;
	char *copy = strdup(name);

	if (!copy)
		return RJH_ENOMEM;
	im->names[im->nnames++] = copy;
	e.key = copy;
	e.data = NULL;
	return hsearch_r(e, ENTER, &found, &im->seen) ? RJH_OK : RJH_ENOMEM;
}

/* Imports one line inside the transaction. Returns 0, 1 if rejected, or <0 to stop. */
static int import_line(struct import *im, const char *line, unsigned lineno)
{
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-enroll", .success = true};
	struct rjh_diag d = {""};
	struct reg_host h;
	struct reg_key owner;
	struct key k;
	char detail[96];
	int rc;

	rc = admin_import_parse_line(line, im->a->cfg.rsa_min_bits, &k, &d);
	if (rc == RJH_ENOMEM) {
		key_clear(&k);
		return rc;
	}
	if (rc == 0 &&
	    (name_sys_has(&im->sys, k.comment) || !strcmp(k.comment, im->a->cfg.host_group)))
		rc =
		    diag_set(&d, RJH_EINVAL, "'%s' is an existing system user or group", k.comment);
	if (rc == 0 && reg_key_find(im->r, k.fp, &owner, NULL) == 0)
		rc = diag_set(&d, RJH_EEXIST, "key %s is already enrolled for host %s", k.fp,
			      owner.host);
	if (rc == 0 && created_here(im, k.comment)) {
		rc = reg_host_get(im->r, k.comment, &h, &d);
	} else if (rc == 0) {
		if (reg_host_get(im->r, k.comment, &h, NULL) == 0)
			rc = diag_set(&d, RJH_EEXIST, "host %s is already enrolled", k.comment);
		else
			rc = reg_host_add(im->r, k.comment, NULL, 0, im->now, &h, &d);
		if (rc == 0) {
			rc = remember(im, k.comment);
			im->hosts++;
		}
	}
	if (rc == 0)
		rc = reg_key_add(im->r, h.id, &k, NULL, 0, im->now, &d);
	if (rc == 0) {
		snprintf(detail, sizeof(detail), "via=import line=%u key_type=%s", lineno, k.type);
		rec.host = h.name;
		rec.host_uid = h.uid;
		rec.fp = k.fp;
		rec.detail = detail;
		rc = aud_event(im->r, &rec, &d);
		im->keys++;
	}
	key_clear(&k);
	if (rc == RJH_EINVAL || rc == RJH_EEXIST) {
		reject(im, lineno, d.msg);
		return 1;
	}
	if (rc < 0) {
		admin_fail_diag(im->a, rc, &d);
		return -1;
	}
	return 0;
}

static int run_import(struct import *im, char *buf, size_t len, bool skip_invalid)
{
	struct aud_rec rec = {.type = AUDIT_USER_MGMT, .op = "rjh-import", .success = true};
	char *line, detail[128];
	size_t pos = 0, nlines = 0, i;
	unsigned lineno = 0;
	int rc;

	for (i = 0; i < len; i++)
		nlines += buf[i] == '\n';
	rc = name_sys_load(&im->sys, im->a->cfg.uid_min, im->a->cfg.uid_max, NULL);
	if (rc < 0)
		return admin_fail(im->a, rc, "out of memory");
	im->names = calloc(nlines + 1, sizeof(*im->names));
	if (!im->names || !hcreate_r(nlines * 2 + 16, &im->seen))
		return admin_fail(im->a, RJH_ENOMEM, "out of memory");
	rc = admin_change_begin(im->a, &im->r);
	if (rc)
		return rc;
	while ((line = util_next_line(buf, len, &pos, NULL)) != NULL) {
		const char *s = line + strspn(line, " \t");

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		if (import_line(im, s, lineno) < 0)
			return admin_change_abort(im->a, im->r, EXIT_SYSTEM);
	}
	if (im->rejected && !skip_invalid) {
		admin_fail(im->a, RJH_EINVAL,
			   "%zu line%s rejected; nothing was imported (--skip-invalid imports the "
			   "rest)",
			   im->rejected, im->rejected == 1 ? "" : "s");
		return admin_change_abort(im->a, im->r, EXIT_INVALID);
	}
	if (im->hosts)
		admin_change_identity(im->a, REG_IDENT_REBUILD, NULL, 0);
	snprintf(detail, sizeof(detail), "hosts=%zu keys=%zu rejected=%zu", im->hosts, im->keys,
		 im->rejected);
	rec.detail = detail;
	rc = admin_change_finish(im->a, im->r, &rec);
	if (rc == 0)
		printf("imported %zu host%s with %zu key%s from %s%s%zu line%s skipped\n",
		       im->hosts, im->hosts == 1 ? "" : "s", im->keys, im->keys == 1 ? "" : "s",
		       im->path, "; ", im->rejected, im->rejected == 1 ? "" : "s");
	return rc;
}

static int cmd_import(struct admin *a, int argc, char **argv)
{
	bool skip = false;
	const struct admin_opt opts[] = {{"skip-invalid", NULL, &skip}, {0}};
	struct import im = {.a = a, .now = (int64_t)time(NULL)};
	struct rjh_diag d = {""};
	char *buf = NULL;
	size_t len = 0, i;
	int rc, first;

	rc = admin_args(a, argc, argv, opts, 1, 1, &first);
	if (rc >= 0)
		return rc;
	im.path = argv[first];
	rc = util_read_file(im.path, IMPORT_FILE_MAX, false, &buf, &len, NULL, &d);
	if (rc < 0)
		return admin_fail_diag(a, rc == RJH_ENOENT ? RJH_EINVAL : rc, &d);
	if (key_text_is_private(buf, len))
		rc = admin_fail(a, RJH_EINVAL,
				"%s holds PRIVATE key material; nothing was imported", im.path);
	else if (memchr(buf, '\0', len))
		rc = admin_fail(a, RJH_EINVAL, "%s contains a NUL byte; nothing was imported",
				im.path);
	else
		rc = run_import(&im, buf, len, skip);
	if (im.names)
		hdestroy_r(&im.seen);
	name_sys_free(&im.sys);
	for (i = 0; i < im.nnames; i++)
		free(im.names[i]);
	free(im.names);
	free(buf);
	return rc;
}

const struct admin_cmd admin_cmd_import = {
    "import", cmd_import, "FILE [--skip-invalid]", "Migrate a classic shared authorized_keys file",
    "Options:\n"
    "  --skip-invalid   import the valid lines and report the rest\n\n"
    "FILE has one key per line with the host name as its comment, as the classic\n"
    "single-account setup keeps it; several lines may name the same host. Every\n"
    "rejected line is reported as FILE:LINE: reason. Without --skip-invalid one\n"
    "bad line imports nothing. The import is one transaction: it lands whole or\n"
    "not at all. Each imported host gets an events row (op rjh-enroll); the\n"
    "kernel gets one USER_MGMT record op=rjh-import with the counts.\n"};
