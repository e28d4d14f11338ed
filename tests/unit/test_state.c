/* test_state.c - state.h: the chained change-set root (against hand-built
 * leaves), order independence, last write wins, and accounts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "ember/codec.h"
#include "ember/hash.h"
#include "ember/state.h"
#include "ember/store.h"

static int setup(void **state)
{
	return test_ledger_setup(state, "state", 1);
}

static int teardown(void **state)
{
	return test_ledger_teardown(state);
}

/* Start a fresh block: abort the current txn (discarding its writes) and
 * begin a new one, so each variant starts from the same (empty) state. */
static void fresh_block(struct test_ledger *f)
{
	assert_int_equal(test_ledger_fresh(f), 0);
	assert_int_equal(ember_state_nchanges(f->st), 0);
}

static const uint8_t parent_a[32] = { 0xaa, 1, 2, 3 };
static const uint8_t parent_b[32] = { 0xbb, 1, 2, 3 };

static void root_of(struct test_ledger *f, const uint8_t parent[32],
                    uint8_t out[32])
{
	assert_int_equal(ember_state_root(f->st, parent, out), 0);
}

static void put(struct test_ledger *f, enum ember_db db, const char *k,
                const char *v)
{
	assert_int_equal(ember_state_put(f->st, db, k, strlen(k), v, strlen(v)), 0);
}

static void del(struct test_ledger *f, enum ember_db db, const char *k)
{
	assert_int_equal(ember_state_del(f->st, db, k, strlen(k)), 0);
}

static void expected_root(const uint8_t parent[32],
                          const uint8_t change_root[32], uint8_t out[32])
{
	uint8_t buf[65];

	buf[0] = 0x02;
	memcpy(buf + 1, parent, 32);
	memcpy(buf + 33, change_root, 32);
	ember_sha256(buf, sizeof(buf), out);
}

static void test_empty_root(void **state)
{
	struct test_ledger *f = *state;
	uint8_t empty[32], want[32], got[32];

	ember_sha256("", 0, empty);
	expected_root(parent_a, empty, want);
	root_of(f, parent_a, got);
	assert_memory_equal(got, want, 32);
}

/* Leaf data = u8 db || u8 klen || key || u8 present || value, built by hand. */
static size_t leaf_data(uint8_t *out, enum ember_db db, const char *k,
                        const char *v)
{
	size_t n = 0, kl = strlen(k);

	out[n++] = (uint8_t)db;
	out[n++] = (uint8_t)kl;
	memcpy(out + n, k, kl);
	n += kl;
	out[n++] = v ? 1 : 0;
	if (v) {
		memcpy(out + n, v, strlen(v));
		n += strlen(v);
	}
	return n;
}

static void test_two_change_root(void **state)
{
	struct test_ledger *f = *state;
	uint8_t d[128], l0[32], l1[32], cr[32], want[32], got[32];

	/* Written out of order, with an overwrite and a re-put of a deleted
	 * key; final set: ACCOUNTS "bob" deleted, META "tip" = "x". */
	put(f, EMBER_DB_ACCOUNTS, "bob", "1");
	put(f, EMBER_DB_META, "tip", "old");
	del(f, EMBER_DB_ACCOUNTS, "bob");
	put(f, EMBER_DB_META, "tip", "x");
	assert_int_equal(ember_state_nchanges(f->st), 4);

	/* META (0) sorts before ACCOUNTS (5). */
	ember_merkle_leaf(d, leaf_data(d, EMBER_DB_META, "tip", "x"), l0);
	ember_merkle_leaf(d, leaf_data(d, EMBER_DB_ACCOUNTS, "bob", NULL), l1);
	ember_merkle_node(l0, l1, cr);
	expected_root(parent_a, cr, want);

	root_of(f, parent_a, got);
	assert_memory_equal(got, want, 32);
	assert_int_equal(ember_state_nchanges(f->st), 2);
	root_of(f, parent_a, got);            /* idempotent */
	assert_memory_equal(got, want, 32);
}

/* Keys that are prefixes of each other and equal keys in different dbs. */
static void test_key_order(void **state)
{
	struct test_ledger *f = *state;
	uint8_t d[128], l[3][32], n01[32], cr[32], want[32], got[32];

	put(f, EMBER_DB_ACCOUNTS, "ab", "2");
	put(f, EMBER_DB_ACCOUNTS, "a", "1");
	put(f, EMBER_DB_BLOCKS, "b", "0");
	ember_merkle_leaf(d, leaf_data(d, EMBER_DB_BLOCKS, "b", "0"), l[0]);
	ember_merkle_leaf(d, leaf_data(d, EMBER_DB_ACCOUNTS, "a", "1"), l[1]);
	ember_merkle_leaf(d, leaf_data(d, EMBER_DB_ACCOUNTS, "ab", "2"), l[2]);
	/* RFC 6962 with 3 leaves: node(node(l0, l1), l2) */
	ember_merkle_node(l[0], l[1], n01);
	ember_merkle_node(n01, l[2], cr);
	expected_root(parent_b, cr, want);
	root_of(f, parent_b, got);
	assert_memory_equal(got, want, 32);
}

struct op {
	enum ember_db db;
	const char *k, *v;   /* v NULL: delete */
};

static void apply_ops(struct test_ledger *f, const struct op *ops, size_t n,
                      const uint8_t parent[32], uint8_t out[32])
{
	fresh_block(f);
	for (size_t i = 0; i < n; i++) {
		if (ops[i].v)
			put(f, ops[i].db, ops[i].k, ops[i].v);
		else
			del(f, ops[i].db, ops[i].k);
	}
	root_of(f, parent, out);
}

static void test_order_independent(void **state)
{
	struct test_ledger *f = *state;
	uint8_t r1[32], r2[32], r3[32];
	const struct op a[] = {
		{ EMBER_DB_ACCOUNTS, "alice", "10" },
		{ EMBER_DB_ACCOUNTS, "bob", "20" },
		{ EMBER_DB_ORDERS, "o1", "open" },
		{ EMBER_DB_META, "m", NULL },
	};
	const struct op b[] = {
		{ EMBER_DB_META, "m", NULL },
		{ EMBER_DB_ORDERS, "o1", "open" },
		{ EMBER_DB_ACCOUNTS, "bob", "20" },
		{ EMBER_DB_ACCOUNTS, "alice", "10" },
	};
	/* same final values, via intermediate overwrites */
	const struct op c[] = {
		{ EMBER_DB_ACCOUNTS, "bob", "1" },
		{ EMBER_DB_META, "m", "temporary" },
		{ EMBER_DB_ORDERS, "o1", "draft" },
		{ EMBER_DB_ACCOUNTS, "alice", "10" },
		{ EMBER_DB_ACCOUNTS, "bob", "20" },
		{ EMBER_DB_META, "m", NULL },
		{ EMBER_DB_ORDERS, "o1", "open" },
	};

	apply_ops(f, a, 4, parent_a, r1);
	apply_ops(f, b, 4, parent_a, r2);
	apply_ops(f, c, 7, parent_a, r3);
	assert_memory_equal(r1, r2, 32);
	assert_memory_equal(r1, r3, 32);
}

static void test_changes_change_root(void **state)
{
	struct test_ledger *f = *state;
	const struct op base[] = {
		{ EMBER_DB_ACCOUNTS, "alice", "10" },
		{ EMBER_DB_ACCOUNTS, "bob", "20" },
	};
	const struct op value[] = {
		{ EMBER_DB_ACCOUNTS, "alice", "11" },
		{ EMBER_DB_ACCOUNTS, "bob", "20" },
	};
	const struct op key[] = {
		{ EMBER_DB_ACCOUNTS, "alicf", "10" },
		{ EMBER_DB_ACCOUNTS, "bob", "20" },
	};
	const struct op db[] = {
		{ EMBER_DB_STAKES, "alice", "10" },
		{ EMBER_DB_ACCOUNTS, "bob", "20" },
	};
	const struct op delete[] = {
		{ EMBER_DB_ACCOUNTS, "alice", NULL },
		{ EMBER_DB_ACCOUNTS, "bob", "20" },
	};
	const struct op empty_val[] = {
		{ EMBER_DB_ACCOUNTS, "alice", "" },    /* present, empty != deleted */
		{ EMBER_DB_ACCOUNTS, "bob", "20" },
	};
	/* the last write wins: writing the old value last restores base */
	const struct op last[] = {
		{ EMBER_DB_ACCOUNTS, "alice", "99" },
		{ EMBER_DB_ACCOUNTS, "bob", "20" },
		{ EMBER_DB_ACCOUNTS, "alice", "10" },
	};
	const struct op first[] = {
		{ EMBER_DB_ACCOUNTS, "alice", "10" },
		{ EMBER_DB_ACCOUNTS, "bob", "20" },
		{ EMBER_DB_ACCOUNTS, "alice", "99" },
	};
	uint8_t r[9][32];

	apply_ops(f, base, 2, parent_a, r[0]);
	apply_ops(f, value, 2, parent_a, r[1]);
	apply_ops(f, key, 2, parent_a, r[2]);
	apply_ops(f, db, 2, parent_a, r[3]);
	apply_ops(f, delete, 2, parent_a, r[4]);
	apply_ops(f, empty_val, 2, parent_a, r[5]);
	apply_ops(f, base, 2, parent_b, r[6]);
	apply_ops(f, last, 3, parent_a, r[7]);
	apply_ops(f, first, 3, parent_a, r[8]);
	for (int i = 1; i < 7; i++)
		for (int j = 0; j < i; j++)
			assert_memory_not_equal(r[i], r[j], 32);
	assert_memory_equal(r[7], r[0], 32);
	assert_memory_not_equal(r[8], r[0], 32);
	/* the store holds the last write as well */
	{
		const void *v;
		size_t vlen;
		assert_int_equal(ember_store_get(f->t, EMBER_DB_ACCOUNTS, "alice", 5,
		                                 &v, &vlen), 0);
		assert_int_equal(vlen, 2);
		assert_memory_equal(v, "99", 2);
	}
}

/* Many writes (past the initial buffer) to few keys, across several blocks:
 * the buffer is reused and the root matches a block that writes each key
 * once. */
static void test_many_writes(void **state)
{
	struct test_ledger *f = *state;
	uint8_t r1[32], r2[32];
	char k[8], v[16];

	for (int round = 0; round < 2; round++) {
		fresh_block(f);
		for (int i = 0; i < 5000; i++) {
			snprintf(k, sizeof(k), "k%d", i % 50);
			snprintf(v, sizeof(v), "v%d", i);
			put(f, EMBER_DB_ACCOUNTS, k, v);
		}
		assert_int_equal(ember_state_nchanges(f->st), 5000);
		root_of(f, parent_a, r1);
		assert_int_equal(ember_state_nchanges(f->st), 50);
	}
	fresh_block(f);
	for (int i = 4950; i < 5000; i++) {
		snprintf(k, sizeof(k), "k%d", i % 50);
		snprintf(v, sizeof(v), "v%d", i);
		put(f, EMBER_DB_ACCOUNTS, k, v);
	}
	root_of(f, parent_a, r2);
	assert_memory_equal(r1, r2, 32);
}

static void test_misuse(void **state)
{
	struct test_ledger *f = *state;
	uint8_t key[EMBER_STATE_KEY_MAX + 1] = { 0 };

	assert_int_equal(ember_state_put(f->st, EMBER_DB_META, key, 0, "v", 1),
	                 EMBER_EINVAL);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_META, key,
	                                 sizeof(key), "v", 1), EMBER_EINVAL);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_COUNT, key, 1, "v", 1),
	                 EMBER_EINVAL);
	assert_int_equal(ember_state_del(f->st, EMBER_DB_META, NULL, 1),
	                 EMBER_EINVAL);
	assert_int_equal(ember_state_nchanges(f->st), 0);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_META, key,
	                                 EMBER_STATE_KEY_MAX, "v", 1), 0);
	assert_ptr_equal(ember_state_txn(f->st), f->t);
}

static void test_accounts(void **state)
{
	struct test_ledger *f = *state;
	uint8_t alice[32], bob[32];
	struct ember_account a = { 123456789012345ULL, 7 }, got;
	struct ember_txn *r;
	const void *v;
	size_t vlen;

	memset(alice, 0xa1, 32);
	memset(bob, 0xb0, 32);
	assert_int_equal(ember_account_get(f->t, bob, &got), 0);   /* missing */
	assert_int_equal(got.balance, 0);
	assert_int_equal(got.nonce, 0);
	assert_int_equal(ember_account_put(f->st, alice, &a), 0);
	assert_int_equal(ember_account_get(f->t, alice, &got), 0); /* own write */
	assert_int_equal(got.balance, a.balance);
	assert_int_equal(got.nonce, a.nonce);
	assert_int_equal(ember_state_nchanges(f->st), 1);

	/* stored as le64 balance || le64 nonce */
	assert_int_equal(ember_store_get(f->t, EMBER_DB_ACCOUNTS, alice, 32, &v,
	                                 &vlen), 0);
	assert_int_equal(vlen, EMBER_ACCOUNT_ENC_LEN);
	assert_int_equal(ember_le64_get(v), a.balance);
	assert_int_equal(ember_le64_get((const uint8_t *)v + 8), a.nonce);

	/* visible to a read txn after commit */
	assert_int_equal(ember_txn_commit(f->t), 0);
	f->t = NULL;
	assert_int_equal(ember_store_read(f->s, &r), 0);
	assert_int_equal(ember_account_get(r, alice, &got), 0);
	assert_int_equal(got.balance, a.balance);
	assert_int_equal(got.nonce, 7);
	ember_txn_abort(r);
	fresh_block(f);
}

static void test_account_corrupt(void **state)
{
	struct test_ledger *f = *state;
	uint8_t pub[32];
	struct ember_account got;

	memset(pub, 0x42, 32);
	assert_int_equal(ember_store_put(f->t, EMBER_DB_ACCOUNTS, pub, 32,
	                                 "short", 5), 0);
	assert_int_equal(ember_account_get(f->t, pub, &got), EMBER_STORE_CORRUPT);
	assert_int_equal(ember_store_put(f->t, EMBER_DB_ACCOUNTS, pub, 32,
	                                 "seventeen bytes!!", 17), 0);
	assert_int_equal(ember_account_get(f->t, pub, &got), EMBER_STORE_CORRUPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_change_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_independent, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_changes_change_root, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_many_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_corrupt, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
