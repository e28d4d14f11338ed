/*
 * test_cons.c - the block path end to end, in process, on a real LMDB:
 * genesis, transfers through the mempool into produced blocks, replay of
 * those blocks on a second ledger (same roots), rejection of tampered
 * blocks without any state change, the supply invariant after every block,
 * each state-level rejection with its own error, map growth, and a GPU
 * proof seeded by a real block hash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember/chain.h"
#include "ember/codec.h"
#include "ember/cons.h"
#include "ember/genesis.h"
#include "ember/key.h"
#include "ember/mempool.h"
#include "ember/proof.h"
#include "ember/state.h"
#include "ember/store.h"
#include "ember/tok.h"
#include "ember/tx.h"
#include "ember/verify.h"

#define NACC 8
#define START (1000ULL * 1000000000ULL)
#define FEE 1000

struct node {
	char dir[64];
	struct ember_store *store;
	struct ember_mempool *mp;
	struct ember_sigcache *cache;
	struct cons *cons;
};

static struct ember_keypair acc[NACC], val;
static struct ember_genesis gen;
static size_t block_txs;    /* cons_cfg.max_block_txs of the next node_open */
static struct cons_guard *guard_next;   /* cons_cfg.guard of the next node_open */

static void make_genesis(uint64_t last_balance)
{
	memset(&gen, 0, sizeof(gen));
	strcpy(gen.chain_id, "ember-test");
	strcpy(gen.token_model, "bme");
	gen.genesis_time_ms = 1000;
	gen.block_time_ms = 1000;
	gen.min_fee = FEE;
	ember_params_default(&gen.params);
	assert_int_equal(ember_genesis_default_classes(&gen), 0);
	gen.allocs = calloc(NACC, sizeof(*gen.allocs));
	gen.vals = calloc(1, sizeof(*gen.vals));
	for (int i = 0; i < NACC; i++) {
		assert_int_equal(ember_keypair_generate(&acc[i]), 0);
		memcpy(gen.allocs[i].pub, acc[i].pub, 32);
		gen.allocs[i].amount = i == NACC - 1 ? last_balance : START;
	}
	gen.nalloc = NACC;
	assert_int_equal(ember_keypair_generate(&val), 0);
	memcpy(gen.vals[0].pub, val.pub, 32);
	gen.vals[0].power = 1;
	gen.nval = 1;
	assert_int_equal(ember_genesis_finish(&gen), 0);
}

static void node_open(struct node *n, size_t mapsize, int validator)
{
	struct cons_cfg cfg;
	char err[256];
	strcpy(n->dir, "/tmp/ember-cons-XXXXXX");
	assert_non_null(mkdtemp(n->dir));
	assert_int_equal(ember_store_open(&n->store, n->dir, mapsize), 0);
	assert_int_equal(ember_mempool_new(&n->mp, NULL), 0);
	assert_int_equal(ember_sigcache_new(&n->cache, 1 << 16), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.g = &gen;
	cfg.store = n->store;
	cfg.mp = n->mp;
	cfg.cache = n->cache;
	cfg.key = validator ? &val : NULL;
	cfg.max_block_txs = block_txs;
	cfg.guard = guard_next;
	assert_int_equal(cons_new(&n->cons, &cfg, err, sizeof(err)), 0);
}

static void node_close(struct node *n)
{
	char cmd[128];
	cons_free(n->cons);
	ember_mempool_free(n->mp);
	ember_sigcache_free(n->cache);
	ember_store_close(n->store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", n->dir);
	assert_int_equal(system(cmd), 0);
}

static void make_tx(struct ember_tx *tx, int from, int to, uint64_t nonce,
                    uint64_t amount, uint8_t *enc, size_t *len, uint8_t txid[32])
{
	assert_int_equal(ember_tx_init_transfer(tx, gen.chain_id, acc[from].pub, nonce,
	                                        FEE, acc[to].pub, amount), 0);
	assert_int_equal(ember_tx_sign(tx, &acc[from]), 0);
	assert_int_equal(ember_tx_encode(tx, enc, EMBER_TX_MAX_SIZE, len), 0);
	ember_txid(enc, *len, txid);
}

static void submit(struct node *n, int from, int to, uint64_t nonce, uint64_t amount)
{
	struct ember_tx tx;
	struct ember_account a;
	struct ember_txn *t;
	uint8_t enc[EMBER_TX_MAX_SIZE], txid[32];
	size_t len;
	char why[256];
	make_tx(&tx, from, to, nonce, amount, enc, &len, txid);
	assert_int_equal(ember_store_read(n->store, &t), 0);
	assert_int_equal(ember_account_get(t, tx.from, &a), 0);
	ember_txn_abort(t);
	assert_int_equal(ember_mempool_add(n->mp, &tx, enc, len, txid, &a, why, sizeof(why)), 0);
}

static uint64_t balance(struct node *n, const uint8_t pub[32], uint64_t *nonce)
{
	struct ember_account a;
	struct ember_txn *t;
	assert_int_equal(ember_store_read(n->store, &t), 0);
	assert_int_equal(ember_account_get(t, pub, &a), 0);
	ember_txn_abort(t);
	if (nonce)
		*nonce = a.nonce;
	return a.balance;
}

static void assert_supply(struct node *n)
{
	struct ember_txn *t;
	uint64_t sum = 0, supply = 0;
	assert_int_equal(ember_store_read(n->store, &t), 0);
	assert_int_equal(tok_check_supply(t, &sum), 1);
	assert_int_equal(tok_supply(t, &supply), 0);
	ember_txn_abort(t);
	assert_true(sum == gen.total_supply);
	assert_true(supply == gen.total_supply);
}

static void produce(struct node *n, uint64_t now)
{
	int committed = 0;
	assert_int_equal(cons_produce(n->cons, now, &committed), 0);
	assert_int_equal(committed, 1);
	assert_supply(n);
}

/* Copy the stored block and certificate at height h (malloc'd). */
static void fetch(struct node *n, uint64_t h, uint8_t **blk, size_t *blen,
                  uint8_t **cert, size_t *clen)
{
	struct ember_txn *t;
	const uint8_t *p;
	assert_int_equal(ember_store_read(n->store, &t), 0);
	assert_int_equal(ember_chain_get_block(t, h, &p, blen), 0);
	*blk = malloc(*blen);
	memcpy(*blk, p, *blen);
	assert_int_equal(ember_chain_get_cert(t, h, &p, clen), 0);
	*cert = malloc(*clen);
	memcpy(*cert, p, *clen);
	ember_txn_abort(t);
}

static void test_genesis_and_transfers(void **state)
{
	struct node a, b;
	struct ember_tip ta, tb;
	uint64_t nonce;
	(void)state;
	make_genesis(START);
	node_open(&a, 0, 1);
	node_open(&b, 0, 0);
	cons_tip(a.cons, &ta);
	assert_true(ta.height == 0);
	assert_supply(&a);

	/* Genesis is deterministic: two ledgers agree on block 0. */
	cons_tip(b.cons, &tb);
	assert_memory_equal(ta.hash, tb.hash, 32);
	assert_memory_equal(ta.state_root, tb.state_root, 32);

	/* Three txs from 0 (nonces 0..2), one from 1; amounts checked below. */
	submit(&a, 0, 2, 0, 5);
	submit(&a, 0, 3, 1, 7);
	submit(&a, 0, 0, 2, 11);      /* to self: pays only the fee */
	submit(&a, 1, 2, 0, 100);
	produce(&a, 5000);
	assert_int_equal(ember_mempool_count(a.mp), 0);
	assert_true(balance(&a, acc[0].pub, &nonce) == START - 5 - 7 - 3 * FEE);
	assert_true(nonce == 3);
	assert_true(balance(&a, acc[1].pub, &nonce) == START - 100 - FEE);
	assert_true(nonce == 1);
	assert_true(balance(&a, acc[2].pub, NULL) == START + 5 + 100);
	assert_true(balance(&a, acc[3].pub, NULL) == START + 7);
	assert_true(balance(&a, val.pub, NULL) == 4 * FEE);
	produce(&a, 5000);   /* clock did not move: time still increases */
	submit(&a, 2, 4, 0, 1);
	produce(&a, 7000);

	/* Replay every block on b: same tip and state root, supply intact. */
	for (uint64_t h = 1; h <= 3; h++) {
		uint8_t *blk, *cert;
		size_t blen, clen;
		char why[256] = "";
		fetch(&a, h, &blk, &blen, &cert, &clen);
		assert_int_equal(cons_apply_block(b.cons, blk, blen, cert, clen, why,
		                                  sizeof(why)), 0);
		/* A block cannot be applied twice. */
		assert_int_equal(cons_apply_block(b.cons, blk, blen, cert, clen, why,
		                                  sizeof(why)), EMBER_BLK_HEIGHT);
		free(blk);
		free(cert);
		assert_supply(&b);
	}
	/* Certified whatever the tip (a fork check): block 3 is; with one
	 * bit of its certificate flipped it is not. */
	{
		uint8_t *blk, *cert, hash[32];
		size_t blen, clen;
		uint64_t h = 0;
		fetch(&a, 3, &blk, &blen, &cert, &clen);
		assert_int_equal(cons_block_certified(&gen, blk, blen, cert, clen, &h, hash), 0);
		assert_true(h == 3);
		cons_tip(a.cons, &ta);
		assert_memory_equal(hash, ta.hash, 32);
		cert[clen - 1] ^= 1;
		assert_int_equal(cons_block_certified(&gen, blk, blen, cert, clen, &h, hash),
		                 EMBER_BLK_CERT);
		free(blk);
		free(cert);
	}
	cons_tip(a.cons, &ta);
	cons_tip(b.cons, &tb);
	assert_true(ta.height == 3 && tb.height == 3);
	assert_memory_equal(ta.hash, tb.hash, 32);
	assert_memory_equal(ta.state_root, tb.state_root, 32);
	node_close(&a);
	node_close(&b);
	ember_genesis_release(&gen);
}

/* A certificate by the (only) validator over the header of blk as it is
 * now, as a validator that signed a bad block would make. */
static void resign(const uint8_t *blk, uint8_t *cert, size_t cap, size_t *clen)
{
	struct ember_header h;
	struct ember_cert c;
	uint8_t hash[32];
	assert_int_equal(ember_header_decode(&h, blk, EMBER_HEADER_SIZE), 0);
	ember_header_hash(&h, hash);
	memset(&c, 0, sizeof(c));
	c.nsig = 1;
	memcpy(c.sigs[0].validator, val.pub, 32);
	assert_int_equal(cons_vote_sign(&val, gen.chain_id, EMBER_VOTE_PRECOMMIT,
	                                h.height, 0, hash, c.sigs[0].sig), 0);
	assert_int_equal(ember_cert_encode(&c, cert, cap, clen), 0);
}

/* Every way to tamper a block is refused and leaves b's tip unchanged. */
static void test_tampered_blocks(void **state)
{
	struct node a, b;
	struct ember_tip before, after;
	uint8_t *blk, *cert, *bad;
	size_t blen, clen;
	char why[256];
	(void)state;
	make_genesis(START);
	node_open(&a, 0, 1);
	node_open(&b, 0, 0);
	submit(&a, 0, 1, 0, 5);
	submit(&a, 1, 0, 0, 9);
	produce(&a, 2000);
	fetch(&a, 1, &blk, &blen, &cert, &clen);
	bad = malloc(blen > clen ? blen : clen);
	cons_tip(b.cons, &before);

	/* Each header field changed, with the original certificate (which no
	 * longer covers the header: refused before execution unless the
	 * height or parent already tell), and with a certificate the
	 * validator signed over the changed header (execution catches it). */
	struct { size_t off; int code, resigned; } hdr_cases[] = {
		{ 1, EMBER_BLK_HEIGHT, 0 },                 /* height */
		{ 1 + 8 + 8, EMBER_BLK_PREV, 0 },           /* prev_hash */
		{ 1 + 8 + 8 + 32, EMBER_BLK_CERT, 0 },      /* tx_root */
		{ 1 + 8 + 8 + 64, EMBER_BLK_CERT, 0 },      /* state_root */
		{ 1 + 8 + 8 + 96, EMBER_BLK_PROPOSER, 0 },  /* proposer */
		{ 1 + 8 + 8 + 32, EMBER_BLK_TX_ROOT, 1 },
		{ 1 + 8 + 8 + 64, EMBER_BLK_STATE_ROOT, 1 },
		{ 1 + 8 + 8 + 96, EMBER_BLK_PROPOSER, 1 },
	};
	for (size_t i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		uint8_t rcert[8 + 10 + 96];
		size_t rclen = clen;
		memcpy(bad, blk, blen);
		bad[hdr_cases[i].off] ^= 1;
		memcpy(rcert, cert, clen);
		if (hdr_cases[i].resigned)
			resign(bad, rcert, sizeof(rcert), &rclen);
		assert_int_equal(cons_apply_block(b.cons, bad, blen, rcert, rclen, why,
		                                  sizeof(why)), hdr_cases[i].code);
		assert_true(strlen(why) > 0);
	}
	/* Check before execute: a bad certificate is found before a bad tx
	 * signature is (the txs of an unauthenticated block never run). */
	memcpy(bad, blk, blen);
	bad[blen - 1] ^= 1;
	{
		uint8_t *badc = malloc(clen);
		memcpy(badc, cert, clen);
		badc[clen - 1] ^= 1;
		assert_int_equal(cons_apply_block(b.cons, bad, blen, badc, clen, why,
		                                  sizeof(why)), EMBER_BLK_CERT);
		free(badc);
	}
	/* A changed byte inside a tx's signature: bad signature. */
	memcpy(bad, blk, blen);
	bad[blen - 1] ^= 1;
	assert_int_equal(cons_apply_block(b.cons, bad, blen, cert, clen, why, sizeof(why)),
	                 EMBER_BLK_BAD_TX);
	assert_non_null(strstr(why, "bad signature"));
	/* Truncated block. */
	assert_int_not_equal(cons_apply_block(b.cons, blk, blen - 1, cert, clen, why,
	                                      sizeof(why)), 0);
	/* Certificate with a broken signature. */
	memcpy(bad, cert, clen);
	bad[clen - 1] ^= 1;
	assert_int_equal(cons_apply_block(b.cons, blk, blen, bad, clen, why, sizeof(why)),
	                 EMBER_BLK_CERT);
	cons_tip(b.cons, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_supply(&b);
	/* And the real block still applies. */
	assert_int_equal(cons_apply_block(b.cons, blk, blen, cert, clen, why, sizeof(why)), 0);
	free(blk);
	free(cert);
	free(bad);
	node_close(&a);
	node_close(&b);
	ember_genesis_release(&gen);
}

/* Each state-level rejection has its own code, and changes nothing. */
static void test_state_rejections(void **state)
{
	struct node a;
	struct ember_txn *t;
	struct ember_state *st;
	struct tok_block tb;
	struct ember_tx tx;
	struct ember_tip before, after;
	uint8_t enc[EMBER_TX_MAX_SIZE], txid[32], root[32], root0[32];
	size_t len;
	char why[256];
	(void)state;
	make_genesis(START);
	node_open(&a, 0, 1);
	cons_tip(a.cons, &before);
	assert_int_equal(ember_state_new(&st), 0);
	assert_int_equal(ember_store_write(a.store, &t), 0);
	ember_state_begin(st, t);
	assert_int_equal(ember_state_root(st, before.state_root, root0), 0);
	tok_block_begin(&tb, &gen, val.pub, 1);

	make_tx(&tx, 0, 1, 0, START, enc, &len, txid);       /* amount + fee > balance */
	assert_int_equal(tok_apply_tx(&tb, st, &tx, why, sizeof(why)), EMBER_TX_INSUFFICIENT);
	assert_non_null(strstr(why, "insufficient funds"));
	make_tx(&tx, 0, 1, 1, 5, enc, &len, txid);           /* nonce gap */
	assert_int_equal(tok_apply_tx(&tb, st, &tx, why, sizeof(why)), EMBER_TX_NONCE_GAP);
	assert_non_null(strstr(why, "next is 0"));
	/* Supply fits in a u64, so no balance can overflow while it is
	 * conserved; what can overflow is amount + fee. */
	make_tx(&tx, 0, NACC - 1, 0, UINT64_MAX - FEE / 2, enc, &len, txid);
	assert_int_equal(ember_tx_check(&tx, gen.chain_id, FEE), EMBER_TX_OVERFLOW);
	assert_int_equal(tok_apply_tx(&tb, st, &tx, why, sizeof(why)), EMBER_TX_OVERFLOW);
	/* Nothing written so far: the change set is empty. */
	assert_int_equal(ember_state_nchanges(st), 0);
	assert_int_equal(ember_state_root(st, before.state_root, root), 0);
	assert_memory_equal(root, root0, 32);

	make_tx(&tx, 0, 1, 0, 5, enc, &len, txid);           /* valid */
	assert_int_equal(tok_apply_tx(&tb, st, &tx, why, sizeof(why)), 0);
	/* the same tx again: replay */
	assert_int_equal(tok_apply_tx(&tb, st, &tx, why, sizeof(why)), EMBER_TX_NONCE_USED);
	assert_non_null(strstr(why, "already used"));
	assert_non_null(strstr(why, "next is 1"));
	ember_txn_abort(t);
	ember_state_free(st);

	/* Wrong chain id and bad signature are caught before state. */
	assert_int_equal(ember_tx_init_transfer(&tx, "other-chain", acc[0].pub, 0, FEE,
	                                        acc[1].pub, 5), 0);
	assert_int_equal(ember_tx_sign(&tx, &acc[0]), 0);
	assert_int_equal(ember_tx_check(&tx, gen.chain_id, FEE), EMBER_TX_WRONG_CHAIN);
	make_tx(&tx, 0, 1, 0, 5, enc, &len, txid);
	tx.sig[10] ^= 1;
	assert_int_equal(ember_tx_verify(&tx), 0);

	cons_tip(a.cons, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_supply(&a);
	node_close(&a);
	ember_genesis_release(&gen);
}

/* A proposer skips a mempool tx that fails at execution and drops it. */
static void test_proposer_drops_failing(void **state)
{
	struct node a;
	struct ember_txn *t;
	struct ember_state *st;
	struct ember_account acct;
	struct cons_stats cs;
	(void)state;
	make_genesis(START);
	node_open(&a, 0, 1);
	submit(&a, 0, 1, 0, 5);
	submit(&a, 2, 1, 0, 5);
	/* Behind the mempool's back, drain account 0 so its tx fails. */
	assert_int_equal(ember_state_new(&st), 0);
	assert_int_equal(ember_store_write(a.store, &t), 0);
	ember_state_begin(st, t);
	acct.balance = 1;
	acct.nonce = 0;
	assert_int_equal(ember_account_put(st, acc[0].pub, &acct), 0);
	assert_int_equal(ember_txn_commit(t), 0);
	ember_state_free(st);

	int committed;
	assert_int_equal(cons_produce(a.cons, 3000, &committed), 0);
	assert_int_equal(committed, 1);
	cons_stats(a.cons, &cs);
	assert_true(cs.txs == 1);
	assert_true(cs.dropped == 1);
	assert_int_equal(ember_mempool_count(a.mp), 0);
	assert_true(balance(&a, acc[2].pub, NULL) == START - 5 - FEE);
	node_close(&a);
	ember_genesis_release(&gen);
}

/* Overwrite an account behind the mempool's back (its pending txs then
 * fail at execution). */
static void drain(struct node *n, int who)
{
	struct ember_txn *t;
	struct ember_state *st;
	struct ember_account acct = { 1, 0 };
	assert_int_equal(ember_state_new(&st), 0);
	assert_int_equal(ember_store_write(n->store, &t), 0);
	ember_state_begin(st, t);
	assert_int_equal(ember_account_put(st, acc[who].pub, &acct), 0);
	assert_int_equal(ember_txn_commit(t), 0);
	ember_state_free(st);
}

/*
 * Txs that fail at execution take no room in the block: with room for two
 * txs and three failing ones first in line, the two that pay still make
 * the first block (the proposer's window is wider than the block), and the
 * failing ones are dropped.
 */
static void test_failing_txs_take_no_room(void **state)
{
	struct node a;
	struct cons_stats cs;
	int committed;
	(void)state;
	make_genesis(START);
	block_txs = 2;
	node_open(&a, 0, 1);
	block_txs = 0;
	for (int i = 0; i < 3; i++)
		submit(&a, i, 5, 0, 5);
	submit(&a, 3, 5, 0, 7);
	submit(&a, 4, 5, 0, 7);
	for (int i = 0; i < 3; i++)
		drain(&a, i);
	assert_int_equal(cons_produce(a.cons, 3000, &committed), 0);
	assert_int_equal(committed, 1);
	cons_stats(a.cons, &cs);
	assert_true(cs.txs == 2);
	assert_true(cs.dropped == 3);
	assert_true(balance(&a, acc[3].pub, NULL) == START - 7 - FEE);
	assert_true(balance(&a, acc[4].pub, NULL) == START - 7 - FEE);
	assert_int_equal(ember_mempool_count(a.mp), 0);
	/* A full block leaves the rest pending, not dropped. */
	for (int i = 5; i < 8; i++)
		submit(&a, i, 0, 0, 1);
	assert_int_equal(cons_produce(a.cons, 4000, &committed), 0);
	cons_stats(a.cons, &cs);
	assert_true(cs.txs == 4);
	assert_true(cs.dropped == 3);
	assert_int_equal(ember_mempool_count(a.mp), 1);
	node_close(&a);
	ember_genesis_release(&gen);
}

/* The guard's rules, its durability across reopen, and a damaged file. */
static void test_guard_rules(void **state)
{
	struct cons_guard *g;
	struct cons_guard_rec r = { 5, 0, EMBER_VOTE_PRECOMMIT, { 1 } }, got;
	char dir[64] = "/tmp/ember-guard-XXXXXX", path[128], why[256], cmd[128];
	const uint8_t blk[3] = { 7, 8, 9 };
	const uint8_t *kept;
	size_t len;
	FILE *f;
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(cons_guard_open(&g, dir, why, sizeof(why)), 0);
	assert_int_equal(cons_guard_last(g, &got), 0);
	assert_int_equal(cons_guard_sign(g, &r, blk, sizeof(blk), why, sizeof(why)), 0);
	/* The same block again is fine; another block at (5, 0) is not, at
	 * the same step or an earlier one; a later round or height is. */
	assert_int_equal(cons_guard_sign(g, &r, blk, sizeof(blk), why, sizeof(why)), 0);
	r.block_id[0] = 2;
	assert_int_equal(cons_guard_sign(g, &r, NULL, 0, why, sizeof(why)), EMBER_STORE_GUARD);
	assert_non_null(strstr(why, "already signed height 5"));
	r.step = EMBER_VOTE_PREVOTE;
	assert_int_equal(cons_guard_sign(g, &r, NULL, 0, why, sizeof(why)), EMBER_STORE_GUARD);
	r.height = 4;
	r.step = EMBER_VOTE_PRECOMMIT;
	assert_int_equal(cons_guard_sign(g, &r, NULL, 0, why, sizeof(why)), EMBER_STORE_GUARD);
	cons_guard_free(g);

	/* Durable: a reopened guard remembers (5, 0, precommit, block 1). */
	assert_int_equal(cons_guard_open(&g, dir, why, sizeof(why)), 0);
	assert_int_equal(cons_guard_last(g, &got), 1);
	assert_true(got.height == 5 && got.round == 0 && got.block_id[0] == 1);
	kept = cons_guard_block(g, &len);
	assert_int_equal(len, sizeof(blk));
	assert_memory_equal(kept, blk, sizeof(blk));
	r.height = 5;
	r.round = 1;
	assert_int_equal(cons_guard_sign(g, &r, NULL, 0, why, sizeof(why)), 0);
	cons_guard_free(g);

	/* One flipped byte and the guard refuses to open. */
	snprintf(path, sizeof(path), "%s/" CONS_GUARD_FILE, dir);
	assert_non_null(f = fopen(path, "r+b"));
	assert_int_equal(fseek(f, 13, SEEK_SET), 0);
	assert_int_equal(fputc(0x55, f), 0x55);
	fclose(f);
	assert_int_equal(cons_guard_open(&g, dir, why, sizeof(why)), EMBER_STORE_DAMAGED);
	assert_non_null(strstr(why, "damaged"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * A validator killed between signing block 3 and committing it: its guard
 * holds the signed block, so the next cons_produce commits exactly that
 * block, not a new one with a different time.  A ledger two blocks behind
 * its guard is refused at open.  Node a (no guard) makes the block that b
 * "signed before it died".
 */
static void test_guard_recommits_signed_block(void **state)
{
	struct node a, b;
	struct ember_tip ta, tb;
	struct cons_guard *g;
	struct cons_guard_rec r;
	struct cons *c2;
	struct cons_cfg cfg;
	char gdir[64] = "/tmp/ember-guard-XXXXXX", why[256], cmd[128];
	uint8_t *blk, *cert;
	size_t blen, clen;
	int committed;
	(void)state;
	make_genesis(START);
	assert_non_null(mkdtemp(gdir));
	assert_int_equal(cons_guard_open(&g, gdir, why, sizeof(why)), 0);
	node_open(&a, 0, 1);
	guard_next = g;
	node_open(&b, 0, 1);
	guard_next = NULL;
	produce(&a, 2000);
	produce(&b, 2000);
	produce(&a, 3000);
	produce(&b, 3000);
	cons_tip(b.cons, &tb);
	assert_int_equal(cons_guard_last(g, &r), 1);
	assert_true(r.height == 2);
	assert_memory_equal(r.block_id, tb.hash, 32);

	submit(&a, 0, 1, 0, 9);
	produce(&a, 4000);
	cons_tip(a.cons, &ta);
	fetch(&a, 3, &blk, &blen, &cert, &clen);
	r.height = 3;
	r.round = 0;
	r.step = EMBER_VOTE_PRECOMMIT;
	memcpy(r.block_id, ta.hash, 32);
	assert_int_equal(cons_guard_sign(g, &r, blk, blen, why, sizeof(why)), 0);

	/* b's mempool is empty and its clock says 9000: its own block 3 would
	 * differ.  It commits the signed one. */
	assert_int_equal(cons_produce(b.cons, 9000, &committed), 0);
	assert_int_equal(committed, 1);
	cons_tip(b.cons, &tb);
	assert_true(tb.height == 3);
	assert_memory_equal(tb.hash, ta.hash, 32);
	assert_true(balance(&b, acc[1].pub, NULL) == START + 9);

	/* A guard two blocks ahead of the ledger: refused at open. */
	r.height = 5;
	memset(r.block_id, 0xee, 32);
	assert_int_equal(cons_guard_sign(g, &r, NULL, 0, why, sizeof(why)), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.g = &gen;
	cfg.store = b.store;
	cfg.key = &val;
	cfg.guard = g;
	assert_int_equal(cons_new(&c2, &cfg, why, sizeof(why)), EMBER_STORE_GUARD);
	assert_non_null(strstr(why, "already signed block 5"));
	/* The same on an empty ledger (deleted under the key), and nothing is
	 * written to it: no genesis, no block 0. */
	{
		struct node e;
		struct ember_txn *t;
		uint8_t gh[32];
		guard_next = NULL;
		node_open(&e, 0, 0);      /* only for its dir: close and reopen */
		cons_free(e.cons);
		e.cons = NULL;
		ember_store_close(e.store);
		{
			char rm[160];
			snprintf(rm, sizeof(rm), "rm -rf %s/*", e.dir);
			assert_int_equal(system(rm), 0);
		}
		assert_int_equal(ember_store_open(&e.store, e.dir, 0), 0);
		cfg.store = e.store;
		assert_int_equal(cons_new(&c2, &cfg, why, sizeof(why)), EMBER_STORE_GUARD);
		assert_int_equal(ember_store_read(e.store, &t), 0);
		assert_int_equal(ember_chain_get_genesis(t, gh), EMBER_ENOTFOUND);
		ember_txn_abort(t);
		node_close(&e);
	}
	free(blk);
	free(cert);
	node_close(&a);
	node_close(&b);
	cons_guard_free(g);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", gdir);
	assert_int_equal(system(cmd), 0);
	ember_genesis_release(&gen);
}

/* A small map fills up; blocks keep committing because the store's
 * flushes (one per commit here) grow the map. */
static void test_map_growth(void **state)
{
	struct node a;
	struct cons_stats cs;
	struct ember_tip tip;
	(void)state;
	make_genesis(START);
	node_open(&a, 128 * 1024, 1);
	ember_store_set_cache(a.store, 0, 0);
	for (uint64_t h = 0; h < 60; h++) {
		for (int s = 0; s < NACC - 1; s++)
			submit(&a, s, (s + 1) % NACC, h, 1);
		produce(&a, 2000 + h);
	}
	cons_stats(a.cons, &cs);
	cons_tip(a.cons, &tip);
	assert_true(tip.height == 60);
	assert_true(ember_store_mapsize(a.store) > 128 * 1024);
	assert_true(cs.txs == 60 * (NACC - 1));
	node_close(&a);
	ember_genesis_release(&gen);
}

/* Reopening a ledger resumes at the same tip; another genesis is refused. */
static void test_reopen(void **state)
{
	struct node a;
	struct cons_cfg cfg;
	struct ember_tip t1, t2;
	struct cons *c2;
	char err[256];
	(void)state;
	make_genesis(START);
	node_open(&a, 0, 1);
	submit(&a, 0, 1, 0, 5);
	produce(&a, 2000);
	cons_tip(a.cons, &t1);
	cons_free(a.cons);
	memset(&cfg, 0, sizeof(cfg));
	cfg.g = &gen;
	cfg.store = a.store;
	cfg.key = &val;
	assert_int_equal(cons_new(&a.cons, &cfg, err, sizeof(err)), 0);
	cons_tip(a.cons, &t2);
	assert_memory_equal(&t1, &t2, sizeof(t1));
	gen.hash[0] ^= 1;
	assert_int_equal(cons_new(&c2, &cfg, err, sizeof(err)), EMBER_STORE_GENESIS);
	assert_non_null(strstr(err, "another genesis"));
	gen.hash[0] ^= 1;
	node_close(&a);
	ember_genesis_release(&gen);
}

/* Sign tx with kp and admit it from a heap copy of its encoding that is
 * wiped right after: the mempool must hold its own bytes (a proof's body
 * is a view, tx.h). */
static void submit_tx(struct node *n, struct ember_tx *tx,
                      const struct ember_keypair *kp)
{
	struct ember_account a;
	struct ember_txn *t;
	uint8_t *enc = malloc(EMBER_TX_PROOF_MAX_SIZE), txid[32];
	size_t len;
	char why[256] = "";

	assert_non_null(enc);
	assert_int_equal(ember_tx_sign(tx, kp), 0);
	assert_int_equal(ember_tx_encode(tx, enc, EMBER_TX_PROOF_MAX_SIZE, &len), 0);
	ember_txid(enc, len, txid);
	assert_int_equal(ember_tx_decode(tx, enc, len), 0);
	assert_int_equal(ember_store_read(n->store, &t), 0);
	assert_int_equal(ember_account_get(t, tx->from, &a), 0);
	ember_txn_abort(t);
	if (ember_mempool_add(n->mp, tx, enc, len, txid, &a, why, sizeof(why)) != 0)
		fail_msg("mempool: %s", why);
	memset(enc, 0xee, len);
	free(enc);
}

/*
 * The seed of epoch e's challenges is the hash of block e*E: the epoch's
 * first block records it (both on the proposer and on a follower), and a
 * proof built from it travels mempool -> block -> replay and passes.
 */
static void test_proof_block_hash(void **state)
{
	const uint64_t E = 4;
	struct node a, b;
	struct ember_tip tip, tb;
	struct ember_challenge c;
	struct tok_challenge_rec rec;
	struct ember_tx tx;
	struct ember_txn *t;
	struct cons_stats cs;
	uint8_t g0[32], H[32], *body = NULL;
	size_t len = 0;
	(void)state;
	make_genesis(START);
	gen.params.epoch_blocks = E;
	gen.params.challenge_deadline_blocks = 2;
	gen.params.proof_openings = 16;
	gen.params.proof_pow_bits = 4;
	gen.classes[0].challenge_n = 64;
	assert_int_equal(ember_genesis_finish(&gen), 0);
	node_open(&a, 0, 1);
	node_open(&b, 0, 0);
	cons_tip(a.cons, &tip);
	memcpy(g0, tip.hash, 32);

	/* Block 1 opens epoch 0 and registers the provider (class 1). */
	assert_int_equal(ember_tx_init(&tx, EMBER_TX_PROV_REGISTER, gen.chain_id,
	                               acc[0].pub, 0, FEE), 0);
	tx.u.provider.gpu_class = gen.classes[0].id;
	tx.u.provider.gpus = 1;
	tx.u.provider.vram_gib = gen.classes[0].vram_gib;
	tx.u.provider.price_per_gpu_hour = 1000;
	assert_int_equal(ember_tx_set_provider_strings(&tx.u.provider, "eu",
	                                               "h:1"), 0);
	submit_tx(&a, &tx, &acc[0]);
	produce(&a, 2000);
	for (uint64_t h = 2; h <= E; h++)
		produce(&a, 2000 + h);
	assert_int_equal(ember_store_read(a.store, &t), 0);
	assert_int_equal(tok_epoch_hash(t, 0, H), 0);
	ember_txn_abort(t);
	assert_memory_equal(H, g0, 32);         /* the genesis block's hash */

	/* Block E ended epoch 0: its hash seeds epoch 1. */
	cons_tip(a.cons, &tip);
	assert_true(tip.height == E);
	ember_challenge_derive(&c, tip.hash, acc[0].pub, 1, 64);
	assert_int_equal(ember_prove(EMBER_BACKEND_CPU, &c, 16, 4, 1, 0, 0, &body,
	                             &len, NULL), 0);
	assert_int_equal(ember_tx_init(&tx, EMBER_TX_PROOF, gen.chain_id,
	                               acc[0].pub, 1, FEE), 0);
	tx.u.proof.epoch = 1;
	tx.u.proof.body = body;
	tx.u.proof.body_len = (uint32_t)len;
	submit_tx(&a, &tx, &acc[0]);
	free(body);                     /* the mempool holds its own copy */
	produce(&a, 3000);
	cons_stats(a.cons, &cs);
	assert_true(cs.dropped == 0);
	assert_int_equal(ember_store_read(a.store, &t), 0);
	assert_int_equal(tok_epoch_hash(t, 1, H), 0);
	assert_int_equal(tok_challenge_get(t, 1, acc[0].pub, &rec), 0);
	ember_txn_abort(t);
	assert_memory_equal(H, tip.hash, 32);
	assert_int_equal(rec.result, EMBER_CHAL_PASS);
	assert_true(rec.height == E + 1);

	/* A follower replays every block to the same state. */
	for (uint64_t h = 1; h <= E + 1; h++) {
		uint8_t *blk, *cert;
		size_t blen, clen;
		char why[256] = "";
		fetch(&a, h, &blk, &blen, &cert, &clen);
		if (cons_apply_block(b.cons, blk, blen, cert, clen, why, sizeof(why)))
			fail_msg("block %llu: %s", (unsigned long long)h, why);
		free(blk);
		free(cert);
	}
	cons_tip(a.cons, &tip);
	cons_tip(b.cons, &tb);
	assert_memory_equal(tip.state_root, tb.state_root, 32);
	assert_int_equal(ember_store_read(b.store, &t), 0);
	assert_int_equal(tok_challenge_get(t, 1, acc[0].pub, &rec), 0);
	ember_txn_abort(t);
	assert_int_equal(rec.result, EMBER_CHAL_PASS);
	node_close(&a);
	node_close(&b);
	ember_genesis_release(&gen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_genesis_and_transfers),
		cmocka_unit_test(test_tampered_blocks),
		cmocka_unit_test(test_state_rejections),
		cmocka_unit_test(test_proposer_drops_failing),
		cmocka_unit_test(test_failing_txs_take_no_room),
		cmocka_unit_test(test_guard_rules),
		cmocka_unit_test(test_guard_recommits_signed_block),
		cmocka_unit_test(test_map_growth),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_proof_block_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
