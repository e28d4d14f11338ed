/*
 * test_admit.c - admission (admit.h), the one path into the mempool, on a
 * real LMDB ledger with signatures verified inline: each refusal before
 * verification with its own code, a known tx answered without being
 * verified again, a committed one refused, a bad signature, the token
 * rules against the sender's pending txs, the refusal switch, and
 * announce called once per tx new to the pool.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/admit.h"
#include "ember/chain.h"
#include "ember/cons.h"
#include "ember/genesis.h"
#include "ember/key.h"
#include "ember/mempool.h"
#include "ember/tx.h"

#define FEE 1000
#define START (1000ULL * 1000000000ULL)

static struct ember_keypair acc[2], val;
static struct ember_genesis gen;

struct fixture {
	char dir[64];
	struct ember_store *store;
	struct ember_mempool *mp;
	struct ember_admit *admit;
	struct cons *cons;
	/* the verdicts, in the order they came */
	int codes[16];
	int has_txid[16];
	size_t ndone;
	size_t announced;
};

static void on_done(void *ctx, void *user, int code, const uint8_t *txid,
                    const char *why)
{
	struct fixture *f = ctx;
	size_t i = (size_t)(uintptr_t)user;
	assert_true(i < 16);
	assert_non_null(why);
	f->codes[i] = code;
	f->has_txid[i] = txid != NULL;
	f->ndone++;
}

static void on_announce(void *ctx, const uint8_t txid[32], int source)
{
	struct fixture *f = ctx;
	(void)txid;
	assert_int_equal(source, EMBER_SRC_P2P);
	f->announced++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ember_admit_cfg ac;
	struct cons_cfg cc;
	char err[256];

	memset(&gen, 0, sizeof(gen));
	strcpy(gen.chain_id, "ember-test");
	strcpy(gen.token_model, "bme");
	gen.genesis_time_ms = 1764000000000ULL;
	gen.block_time_ms = 1000;
	gen.min_fee = FEE;
	ember_params_default(&gen.params);
	assert_int_equal(ember_genesis_default_classes(&gen), 0);
	gen.allocs = calloc(2, sizeof(*gen.allocs));
	gen.vals = calloc(1, sizeof(*gen.vals));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ember_keypair_generate(&acc[i]), 0);
		memcpy(gen.allocs[i].pub, acc[i].pub, 32);
		gen.allocs[i].amount = START;
	}
	gen.nalloc = 2;
	assert_int_equal(ember_keypair_generate(&val), 0);
	memcpy(gen.vals[0].pub, val.pub, 32);
	gen.vals[0].power = 1;
	gen.nval = 1;
	assert_int_equal(ember_genesis_finish(&gen), 0);

	strcpy(f->dir, "/tmp/ember-admit-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(ember_store_open(&f->store, f->dir, 0), 0);
	assert_int_equal(ember_mempool_new(&f->mp, NULL), 0);
	memset(&cc, 0, sizeof(cc));
	cc.g = &gen;
	cc.store = f->store;
	cc.mp = f->mp;
	cc.key = &val;
	assert_int_equal(cons_new(&f->cons, &cc, err, sizeof(err)), 0);
	memset(&ac, 0, sizeof(ac));
	ac.store = f->store;
	ac.g = &gen;
	ac.mp = f->mp;
	ac.announce = on_announce;
	ac.announce_ctx = f;
	assert_int_equal(ember_admit_new(&f->admit, &ac), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	ember_admit_free(f->admit);
	cons_free(f->cons);
	ember_mempool_free(f->mp);
	ember_store_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	ember_genesis_release(&gen);
	free(f);
	return 0;
}

/* A signed tx of acc[who], malloc'd encoding (admission takes it). */
static struct ember_admit_item item(int who, uint8_t kind, uint64_t nonce,
                                    uint64_t fee, uint64_t amount,
                                    const char *chain, size_t user)
{
	struct ember_admit_item it;
	struct ember_tx tx;
	uint8_t buf[EMBER_TX_MAX_SIZE];
	size_t len;
	if (kind == EMBER_TX_TRANSFER) {
		assert_int_equal(ember_tx_init_transfer(&tx, chain, acc[who].pub, nonce,
		                                        fee, acc[1 - who].pub, amount), 0);
	} else {
		assert_int_equal(ember_tx_init(&tx, kind, chain, acc[who].pub, nonce, fee), 0);
		tx.u.amount.amount = amount;
	}
	assert_int_equal(ember_tx_sign(&tx, &acc[who]), 0);
	assert_int_equal(ember_tx_encode(&tx, buf, sizeof(buf), &len), 0);
	it.enc = malloc(len);
	memcpy(it.enc, buf, len);
	it.len = len;
	it.user = (void *)(uintptr_t)user;
	return it;
}

static void submit(struct fixture *f, struct ember_admit_item *it, size_t n)
{
	assert_int_equal(ember_admit_submit(f->admit, it, n, EMBER_SRC_P2P,
	                                    on_done, f), 0);
}

static void test_refusals_and_known(void **state)
{
	struct fixture *f = *state;
	struct ember_admit_item it[8];
	struct ember_admit_stats st;
	int committed;

	uint8_t first[EMBER_TX_MAX_SIZE];
	size_t firstlen;

	it[0] = item(0, EMBER_TX_TRANSFER, 0, FEE, 5, "ember-test", 0);
	memcpy(first, it[0].enc, it[0].len);     /* the same bytes, resent below */
	firstlen = it[0].len;
	it[1] = item(0, EMBER_TX_TRANSFER, 1, FEE, 5, "ember-other", 1);
	it[2] = item(0, EMBER_TX_TRANSFER, 1, FEE - 1, 5, "ember-test", 2);
	it[3] = item(1, EMBER_TX_TRANSFER, 0, FEE, 5, "ember-test", 3);
	it[3].enc[it[3].len - 1] ^= 1;                   /* break the signature */
	it[4] = item(0, EMBER_TX_TRANSFER, 1, FEE, 5, "ember-test", 4);
	it[4].len = 3;                                   /* malformed */
	submit(f, it, 5);
	assert_int_equal(f->ndone, 5);
	assert_int_equal(f->codes[0], 0);
	assert_int_equal(f->codes[1], EMBER_TX_WRONG_CHAIN);
	assert_int_equal(f->codes[2], EMBER_TX_FEE_LOW);
	assert_int_equal(f->codes[3], EMBER_TX_BAD_SIG);
	assert_int_not_equal(f->codes[4], 0);
	assert_int_equal(f->has_txid[4], 0);
	assert_int_equal(f->announced, 1);
	assert_int_equal(ember_mempool_count(f->mp), 1);

	/* The same tx again: answered with its txid before submit returns
	 * (not verified again), no second announce. */
	f->ndone = 0;
	it[0].enc = malloc(firstlen);
	memcpy(it[0].enc, first, firstlen);
	it[0].len = firstlen;
	it[0].user = (void *)(uintptr_t)5;
	submit(f, it, 1);
	assert_int_equal(f->ndone, 1);
	assert_int_equal(f->codes[5], 0);
	assert_int_equal(f->announced, 1);

	/* Once committed, it is refused as known. */
	assert_int_equal(cons_produce(f->cons, gen.genesis_time_ms + 1000, &committed), 0);
	assert_int_equal(committed, 1);
	assert_int_equal(ember_mempool_count(f->mp), 0);
	it[0].enc = malloc(firstlen);
	memcpy(it[0].enc, first, firstlen);
	it[0].len = firstlen;
	it[0].user = (void *)(uintptr_t)6;
	submit(f, it, 1);
	assert_int_equal(f->codes[6], EMBER_MP_KNOWN);

	/* The refusal switch (a full disk): busy, nothing verified. */
	ember_admit_set_refusal(f->admit, "disk full on the node; try again later");
	it[0] = item(0, EMBER_TX_TRANSFER, 1, FEE, 5, "ember-test", 7);
	submit(f, it, 1);
	assert_int_equal(f->codes[7], EMBER_EBUSY);
	ember_admit_set_refusal(f->admit, NULL);
	it[0] = item(0, EMBER_TX_TRANSFER, 1, FEE, 5, "ember-test", 8);
	submit(f, it, 1);
	assert_int_equal(f->codes[8], 0);
	ember_admit_stats(f->admit, &st);
	assert_true(st.accepted == 2);
	assert_true(st.rejected == 5);
}

/*
 * The token rules run against the committed state plus the sender's
 * pending txs: a stake then an unstake of the same amount in one batch is
 * fine (the pending stake counts), one more unstake is not, whether or not
 * the sender has txs pending.
 */
static void test_rules_see_pending(void **state)
{
	struct fixture *f = *state;
	struct ember_admit_item it[4];

	it[0] = item(0, EMBER_TX_STAKE, 0, FEE, 1000, "ember-test", 0);
	it[1] = item(0, EMBER_TX_UNSTAKE, 1, FEE, 1000, "ember-test", 1);
	it[2] = item(0, EMBER_TX_UNSTAKE, 2, FEE, 1, "ember-test", 2);
	it[3] = item(1, EMBER_TX_UNSTAKE, 0, FEE, 1, "ember-test", 3);
	submit(f, it, 4);
	assert_int_equal(f->codes[0], 0);
	assert_int_equal(f->codes[1], 0);
	assert_int_equal(f->codes[2], EMBER_TOK_STAKE_LOW);
	assert_int_equal(f->codes[3], EMBER_TOK_STAKE_LOW);
	assert_int_equal(ember_mempool_count(f->mp), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refusals_and_known, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_see_pending, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
