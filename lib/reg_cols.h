/*
 * The registry's tables as both stores read them (reg_sqlite.c, reg_pg.c):
 * each table's columns are listed once, here, in the order the stores'
 * row_* functions read them; t is the table's alias with its dot ("h."),
 * or "". The SQL here is what SQLite and PostgreSQL both take.
 */
#ifndef RJH_REG_COLS_H
#define RJH_REG_COLS_H

#include "reg.h"

/*
 * row_host: HOST_NCOLS columns over "hosts h", the fixed ones and then each
 * policy field's (REG_HOST_POLICY); statements that count keys add
 * HOST_NKEYS after them.
 */
#define HOST_POLICY_COL(m, opt, col, ...)  ", h." col
#define HOST_POLICY_NAME(m, opt, col, ...) ", " col
#define HOST_COLS                                                                                  \
	"h.id, h.name, h.uid, h.state, h.created, h.updated" REG_HOST_POLICY(HOST_POLICY_COL)
#define HOST_FIXED_COLS 6
#define HOST_NCOLS      (HOST_FIXED_COLS + REG_HOST_NPOLICY)
#define HOST_NKEYS(t)                                                                              \
	"(SELECT count(*) FROM keys k WHERE k.host_id = " t "id AND k.revoked IS NULL)"

/* row_key, over KEY_FROM. */
#define KEY_COLS                                                                                   \
	"k.id, k.host_id, h.name, k.algorithm, k.blob, k.fingerprint, k.comment, k.created, "      \
	"k.expires, k.revoked"
#define KEY_FROM "FROM keys k JOIN hosts h ON h.id = k.host_id"

/* row_session: the columns from c0 on. */
#define SESSION_COLS(t)                                                                            \
	t "id, " t "host, " t "uid, " t "fingerprint, " t "source_addr, " t "sshd_pid, " t         \
	  "sshd_start, " t "started, " t "ended, " t "end_reason, " t "cert"
#define SESSION_NCOLS 11

/* The columns row_event reads, in its order. */
#define EVENT_COLS "time, type, op, actor_uid, actor_auid, host, fingerprint, result, detail"

/* The columns row_host_key reads, in its order, over host_keys hk JOIN hosts h. */
#define HOST_KEY_COLS "hk.id, hk.host_id, h.name, hk.algorithm, hk.blob, hk.fingerprint, hk.created"

/* row_user_ca, and row_cert over CERT_FROM (with its host's state, when there is one). */
#define USER_CA_COLS "fingerprint, algorithm, blob, comment, own, added"
#define CERT_COLS                                                                                  \
	"c.ca, c.serial, c.host, c.key_fp, c.key_id, c.valid_after, c.valid_before, c.issued, "    \
	"c.revoked, CASE WHEN h.state = 'disabled' THEN 1 ELSE 0 END"
#define CERT_FROM "FROM certs c LEFT JOIN hosts h ON h.name = c.host"

#endif
