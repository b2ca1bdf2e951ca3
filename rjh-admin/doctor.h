/*
 * rjh-admin doctor: one check per piece of the wiring between sshd, glibc,
 * libpam, the kernel and rjh. Every check only reads.
 */
#ifndef RJH_DOCTOR_H
#define RJH_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admin.h"

/* What doctor reads of the system, where the packages put it. */
#define DOC_NSSWITCH "/etc/nsswitch.conf"
#define DOC_PAMD     "/etc/pam.d"
#define DOC_DROPIN   "/etc/ssh/sshd_config.d/rjh.conf"
#define DOC_SSHD     "/usr/sbin/sshd"

enum doc_level { DOC_OK, DOC_WARN, DOC_FAIL };

/* The outcome of one check: its level and one line for the operator. */
struct doc_result {
	enum doc_level level;
	char detail[1024]; /* the problems (and fixes) found; "" when none */
	char fine[512];    /* what was verified, shown when nothing is wrong */
};

/* One enrolled host, as the registry has it. */
struct doc_host {
	char name[NAME_HOST_SIZE];
	uint32_t uid;
};

/* What every check may need, read once. */
struct doc_ctx {
	struct admin *a;
	const char *conf; /* the config file doctor read, for messages */
	/* The enrolled hosts, sorted by name; unknown when hosts_why is not "". */
	struct doc_host *hosts;
	size_t nhosts, cap;
	uint32_t host_gid;
	char hosts_why[600];
	/* The nss check found hosts[0] through glibc; sshd -T needs that too. */
	bool host_resolves;
};

/* Adds a problem (level DOC_WARN or DOC_FAIL) to r; the worst level wins (doctor_result.c). */
void doc_problem(struct doc_result *r, enum doc_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets what r says when nothing is wrong. */
void doc_fine(struct doc_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Loads the shared object path (a name like libnss_rjh.so.2 is looked up as
 * the dynamic loader does) with RTLD_NOW in a child process, so a failed or
 * half-done load leaves nothing in ours, and looks up every symbol of syms
 * (NULL-terminated). Returns 0, or -1 with why (dlerror's text) filled.
 */
int doc_dlopen_child(const char *path, const char *const *syms, char *why, size_t len);

/* The checks (doctor_stack.c, doctor_sshd.c). */
void doc_check_nss(struct doc_ctx *x, struct doc_result *r);
void doc_check_pam(struct doc_ctx *x, struct doc_result *r);
void doc_check_sshd(struct doc_ctx *x, struct doc_result *r);

#endif
