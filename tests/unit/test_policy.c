/* Unit tests for lib/policy.c: host and key states, the expiry boundary, presented keys, grants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

#define NOW INT64_C(1773563400)

/* One host or key case: its flag (disabled, revoked), its expiry time, and the word wanted. */
struct state_case {
	bool off;
	int64_t expires;
	const char *want;
};

/* Every state, and expiry on both sides of now and at now itself (then it has expired). */
static const struct state_case host_cases[] = {
    {false, 0, "active"},    {false, NOW + 1, "active"},  {false, INT64_MAX, "active"},
    {false, NOW, "expired"}, {false, NOW - 1, "expired"}, {false, 1, "expired"},
    {false, -1, "expired"},  {true, 0, "disabled"},       {true, NOW + 1, "disabled"},
    {true, NOW, "disabled"}, {true, NOW - 1, "disabled"},
};

static struct reg_host host_of(const struct state_case *c)
{
	struct reg_host h = {.id = 1, .name = "web1", .uid = 60001};

	h.disabled = c->off;
	h.expires = c->expires;
	return h;
}

static void test_host_state(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(host_cases) / sizeof(host_cases[0]); i++) {
		struct reg_host h = host_of(&host_cases[i]);
		const char *refusal = policy_host_refusal(&h, NOW, NULL);
		bool active = strcmp(host_cases[i].want, "active") == 0;

		assert_string_equal(policy_host_state_word(&h, NOW), host_cases[i].want);
		assert_int_equal(policy_host_state(&h, NOW) == POLICY_HOST_ACTIVE, active);
		if (active)
			assert_null(refusal);
		else
			assert_string_equal(refusal, host_cases[i].want);
	}
}

/* The boundary moves with now: a host expiring at T is active at T - 1, expired from T on. */
static void test_host_expiry_boundary(void **state)
{
	struct reg_host h = {.expires = NOW};

	(void)state;
	assert_int_equal(policy_host_state(&h, NOW - 1), POLICY_HOST_ACTIVE);
	assert_int_equal(policy_host_state(&h, NOW), POLICY_HOST_EXPIRED);
	assert_int_equal(policy_host_state(&h, NOW + 1), POLICY_HOST_EXPIRED);
	assert_null(policy_host_refusal(&h, NOW - 1, NULL));
	assert_string_equal(policy_host_refusal(&h, NOW, NULL), "expired");
}

/* Addresses are judged only for an active host, and only when the host has CIDRs. */
static void test_host_refusal_addr(void **state)
{
	struct reg_host h = {.expires = 0};
	const char *outside = "source address outside the host's CIDRs";

	(void)state;
	assert_null(policy_host_refusal(&h, NOW, "203.0.113.9"));
	snprintf(h.cidrs, sizeof(h.cidrs), "192.0.2.0/24");
	assert_null(policy_host_refusal(&h, NOW, NULL));
	assert_null(policy_host_refusal(&h, NOW, "192.0.2.7"));
	assert_string_equal(policy_host_refusal(&h, NOW, "203.0.113.9"), outside);
	assert_string_equal(policy_host_refusal(&h, NOW, "gw.example"), outside);
	assert_string_equal(policy_host_refusal(&h, NOW, ""), outside);
	h.disabled = true;
	assert_string_equal(policy_host_refusal(&h, NOW, "203.0.113.9"), "disabled");
	h.disabled = false;
	h.expires = NOW;
	assert_string_equal(policy_host_refusal(&h, NOW, "203.0.113.9"), "expired");
}

/*
 * POLICY_HOST_ACTIVE_SQL and policy_host_state agree on every case, read as
 * lib/reg.c reads a row: a state other than 'active' is disabled, NULL
 * expires is 0.
 */
static void test_host_sql_agrees(void **state)
{
	static const char *const states[] = {"active", "disabled"};
	static const int64_t expiries[] = {0, 1, -1, NOW - 1, NOW, NOW + 1, INT64_MAX};
	sqlite3_stmt *ins, *sel;
	sqlite3 *db;
	size_t i, j;
	int rows = 0;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE hosts(state TEXT NOT NULL CHECK (state IN "
				      "('active', 'disabled')), expires INTEGER)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "INSERT INTO hosts VALUES (?1, ?2)", -1, &ins, NULL), SQLITE_OK);
	for (i = 0; i < 2; i++) {
		for (j = 0; j <= sizeof(expiries) / sizeof(expiries[0]); j++) {
			sqlite3_bind_text(ins, 1, states[i], -1, SQLITE_STATIC);
			if (j < sizeof(expiries) / sizeof(expiries[0]))
				sqlite3_bind_int64(ins, 2, expiries[j]);
			else
				sqlite3_bind_null(ins, 2); /* never, as reg_host_add stores it */
			assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
			sqlite3_reset(ins);
		}
	}
	sqlite3_finalize(ins);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT h.state, h.expires, " POLICY_HOST_ACTIVE_SQL
					    " FROM hosts h",
					    -1, &sel, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(sel, 1, NOW);
	while (sqlite3_step(sel) == SQLITE_ROW) {
		struct reg_host h = {.id = 1};

		h.disabled = strcmp((const char *)sqlite3_column_text(sel, 0), "active") != 0;
		h.expires = sqlite3_column_int64(sel, 1);
		assert_int_equal(sqlite3_column_int(sel, 2) != 0,
				 policy_host_state(&h, NOW) == POLICY_HOST_ACTIVE);
		rows++;
	}
	assert_int_equal(rows, 2 * (int)(sizeof(expiries) / sizeof(expiries[0]) + 1));
	sqlite3_finalize(sel);
	sqlite3_close(db);
}

static const struct state_case key_cases[] = {
    {false, 0, "active"},        {false, NOW + 1, "active"}, {false, NOW, "expired"},
    {false, NOW - 1, "expired"}, {true, 0, "revoked"},       {true, NOW + 1, "revoked"},
    {true, NOW - 1, "revoked"},
};

static void test_key_state(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		struct reg_key k = {.id = 1};

		k.revoked = key_cases[i].off ? NOW - 10 : 0;
		k.expires = key_cases[i].expires;
		assert_string_equal(policy_key_state_word(&k, NOW), key_cases[i].want);
		assert_int_equal(policy_key_active(&k, NOW),
				 strcmp(key_cases[i].want, "active") == 0);
	}
}

static void test_key_presented(void **state)
{
	struct reg_key k = {.id = 1, .type = "ssh-ed25519", .b64 = "AAAAC3Nza", .fp = "SHA256:abc"};

	(void)state;
	/* Nothing asked: every active key. */
	assert_true(policy_key_presented(&k, NOW, NULL, NULL, NULL));
	/* The key helper's fingerprint, and the key itself. */
	assert_true(policy_key_presented(&k, NOW, "SHA256:abc", NULL, NULL));
	assert_false(policy_key_presented(&k, NOW, "SHA256:abd", NULL, NULL));
	assert_true(policy_key_presented(&k, NOW, "SHA256:abc", "ssh-ed25519", "AAAAC3Nza"));
	assert_false(policy_key_presented(&k, NOW, "SHA256:abc", "ssh-rsa", "AAAAC3Nza"));
	assert_false(policy_key_presented(&k, NOW, "SHA256:abc", "ssh-ed25519", "AAAAC3NzB"));
	/* pam_rjh's: the key, no fingerprint. */
	assert_true(policy_key_presented(&k, NOW, NULL, "ssh-ed25519", "AAAAC3Nza"));
	assert_false(policy_key_presented(&k, NOW, NULL, "ssh-ed25519", "AAAAC3Nz"));
	/* The very key, but not active. */
	k.expires = NOW;
	assert_false(policy_key_presented(&k, NOW, "SHA256:abc", "ssh-ed25519", "AAAAC3Nza"));
	assert_true(policy_key_presented(&k, NOW - 1, NULL, "ssh-ed25519", "AAAAC3Nza"));
	k.expires = 0;
	k.revoked = NOW - 1;
	assert_false(policy_key_presented(&k, NOW, NULL, "ssh-ed25519", "AAAAC3Nza"));
}

static void test_grant(void **state)
{
	static const char *const groups[] = {"ops", "dev"};
	struct policy_caller alice = {.user = "alice", .groups = groups, .ngroups = 2};
	struct policy_caller bob = {.user = "bob", .groups = NULL, .ngroups = 0};
	struct reg_grant g = {.principal = "alice", .pattern = "web*"};

	(void)state;
	assert_true(policy_grant_allows(&g, &alice, "web1"));
	assert_false(policy_grant_allows(&g, &alice, "db1"));
	assert_false(policy_grant_allows(&g, &bob, "web1"));
	snprintf(g.principal, sizeof(g.principal), "@dev");
	snprintf(g.pattern, sizeof(g.pattern), "db1");
	assert_true(policy_grant_allows(&g, &alice, "db1"));
	assert_false(policy_grant_allows(&g, &alice, "db10"));
	assert_false(policy_grant_allows(&g, &bob, "db1"));
	/* A group grant is not a user grant of the same name, nor the reverse. */
	snprintf(g.principal, sizeof(g.principal), "@alice");
	assert_false(policy_grant_allows(&g, &alice, "db1"));
	snprintf(g.principal, sizeof(g.principal), "ops");
	assert_false(policy_grant_allows(&g, &alice, "db1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host_state),
	    cmocka_unit_test(test_host_expiry_boundary),
	    cmocka_unit_test(test_host_refusal_addr),
	    cmocka_unit_test(test_host_sql_agrees),
	    cmocka_unit_test(test_key_state),
	    cmocka_unit_test(test_key_presented),
	    cmocka_unit_test(test_grant),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
