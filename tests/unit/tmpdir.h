/* A temporary directory per test group, removed with everything in it. */
#ifndef RJH_TEST_TMPDIR_H
#define RJH_TEST_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static char tmpdir[64];

static int tmpdir_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Makes /tmp/rjh-test-TAG-XXXXXX (mkdtemp's template) into tmpdir. Returns 0 or -1. */
static int tmpdir_make(const char *tag)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rjh-test-%s-XXXXXX", tag);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int tmpdir_remove(void)
{
	return nftw(tmpdir, tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
