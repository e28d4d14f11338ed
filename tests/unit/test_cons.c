/*
 * test_cons.c - the block path end to end, in process, on a real LMDB:
 * genesis, transfers through the mempool into produced blocks, replay of
 * those blocks on a second ledger (same roots), rejection of tampered
 * blocks without any state change, the supply invariant after every block,
 * each state-level rejection with its own error, map growth, a GPU
 * proof seeded by a real block hash, and BFT time: each block's last
 * commit (its parent's certificate) and the weighted median time it gives.
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
 * now, its precommit stamped ptime, as a validator that signed a bad block
 * would make. */
static void resign(const uint8_t *blk, uint64_t ptime, uint8_t *cert, size_t cap,
                   size_t *clen)
{
	struct ember_header h;
	struct ember_cert c;
	uint8_t hash[32];
	assert_int_equal(ember_header_decode(&h, blk, EMBER_HEADER_SIZE), 0);
	ember_header_hash(&h, hash);
	memset(&c, 0, sizeof(c));
	c.nsig = 1;
	memcpy(c.sigs[0].validator, val.pub, 32);
	c.sigs[0].time_ms = ptime;
	assert_int_equal(cons_vote_sign(&val, gen.chain_id, EMBER_VOTE_PRECOMMIT,
	                                h.height, 0, hash, ptime, c.sigs[0].sig), 0);
	assert_int_equal(ember_cert_encode(&c, cert, cap, clen), 0);
}

/* The precommit time of a one-signature certificate. */
static uint64_t cert_time(const uint8_t *cert, size_t clen)
{
	struct ember_cert c;
	assert_int_equal(ember_cert_decode(&c, cert, clen), 0);
	assert_int_equal(c.nsig, 1);
	return c.sigs[0].time_ms;
}

static struct ember_header header_of(const uint8_t *blk)
{
	struct ember_header h;
	assert_int_equal(ember_header_decode(&h, blk, EMBER_HEADER_SIZE), 0);
	return h;
}

/*
 * blk (blen bytes) rebuilt with another last commit (lc, lclen) and time:
 * the header's last_commit_hash follows the bytes, the txs and every other
 * field stay.  *out is malloc'd.
 */
static void rebuild(const uint8_t *blk, size_t blen, const uint8_t *lc, size_t lclen,
                    uint64_t time_ms, uint8_t **out, size_t *outlen)
{
	struct ember_header h;
	struct ember_txref txs[64];
	size_t ntx, cap;
	assert_int_equal(ember_block_decode(&h, NULL, NULL, txs, 64, &ntx, blk, blen), 0);
	h.time_ms = time_ms;
	ember_last_commit_hash(lc, lclen, h.last_commit_hash);
	cap = ember_block_encoded_size(lclen, txs, ntx);
	assert_non_null(*out = malloc(cap));
	assert_int_equal(ember_block_encode(&h, lc, lclen, txs, ntx, *out, cap, outlen), 0);
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
	/* Offsets from block.h: version, height, time, prev_hash,
	 * last_commit_hash, tx_root, state_root, proposer. */
	enum { H = 1, T = 1 + 8, P = 1 + 8 + 8, L = P + 32, X = P + 64, S = P + 96,
	       R = P + 128 };
	struct { size_t off; int code, resigned; } hdr_cases[] = {
		{ H, EMBER_BLK_HEIGHT, 0 },
		{ T, EMBER_BLK_CERT, 0 },
		{ P, EMBER_BLK_PREV, 0 },
		{ L, EMBER_BLK_CERT, 0 },
		{ X, EMBER_BLK_CERT, 0 },
		{ S, EMBER_BLK_CERT, 0 },
		{ R, EMBER_BLK_PROPOSER, 0 },
		/* block 1's time is the genesis time + 1, no other */
		{ T, EMBER_BLK_TIME, 1 },
		/* block 1 carries no last commit: the zero hash */
		{ L, EMBER_BLK_LAST_COMMIT, 1 },
		{ X, EMBER_BLK_TX_ROOT, 1 },
		{ S, EMBER_BLK_STATE_ROOT, 1 },
		{ R, EMBER_BLK_PROPOSER, 1 },
	};
	assert_true(clen <= 4 + 1 + EMBER_CERT_SIG_SIZE);
	for (size_t i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		uint8_t rcert[4 + 1 + EMBER_CERT_SIG_SIZE];
		size_t rclen = clen;
		memcpy(bad, blk, blen);
		bad[hdr_cases[i].off] ^= 1;
		memcpy(rcert, cert, clen);
		if (hdr_cases[i].resigned)
			resign(bad, cert_time(cert, clen), rcert, sizeof(rcert), &rclen);
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
	/* A record that keeps no block (a vote signed without one at hand)
	 * opens again with none. */
	assert_int_equal(cons_guard_open(&g, dir, why, sizeof(why)), 0);
	assert_int_equal(cons_guard_last(g, &got), 1);
	assert_true(got.height == 5 && got.round == 1);
	assert_null(cons_guard_block(g, &len));
	assert_int_equal(len, 0);
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

/* Apply the block (with its certificate) that `from` stored at height h
 * on `to`. */
static void copy_block(struct node *from, struct node *to, uint64_t h)
{
	uint8_t *blk, *cert;
	size_t blen, clen;
	char why[256] = "";
	fetch(from, h, &blk, &blen, &cert, &clen);
	if (cons_apply_block(to->cons, blk, blen, cert, clen, why, sizeof(why)))
		fail_msg("block %llu: %s", (unsigned long long)h, why);
	free(blk);
	free(cert);
}

/*
 * A validator killed between signing block 3 and committing it: its guard
 * holds the signed block, so the next cons_produce commits exactly that
 * block, not a new one.  A ledger two blocks behind its guard is refused
 * at open.  Node a (no guard) makes the block that b "signed before it
 * died".  b makes blocks 1 and 2 and a follows: two validators producing
 * on their own would not share block 2, whose last commit is each one's
 * own (randomised BIP-340) signature over block 1.
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
	produce(&b, 2000);
	copy_block(&b, &a, 1);
	produce(&b, 3000);
	copy_block(&b, &a, 2);
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

	/* b's mempool is empty: its own block 3 would differ (the same BFT
	 * time, 3000 from its block 2 certificate, whatever its clock says,
	 * but no tx).  It commits the signed one. */
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

/*
 * BFT time with one validator: block 1 takes the genesis time + 1; every
 * later block the time of the one precommit in its last commit, the
 * certificate stored with its parent, whatever the proposer's clock
 * says.  cons_produce stamps its precommit with its clock, raised to the
 * block's time + 1 when the clock is behind.  A follower refuses a block
 * whose time, or last commit, is not that, even with a certificate the
 * validator signed over the changed header.
 */
static void test_bft_time(void **state)
{
	/* The clock passed to each cons_produce, and what it gives:
	 *   block 1: genesis 1000 + 1 = 1001; precommit 5000 (the clock)
	 *   block 2: 5000 (block 1's precommit); clock 5000 is not after it,
	 *            so the precommit is 5001
	 *   block 3: 5001; precommit 7000
	 *   block 4: 7000; the clock went back to 3000: precommit 7001
	 *   block 5: 7001; precommit 10000 */
	static const uint64_t clock[5] = { 5000, 5000, 7000, 3000, 10000 };
	static const uint64_t want_time[5] = { 1001, 5000, 5001, 7000, 7001 };
	static const uint64_t want_pc[5] = { 5000, 5001, 7000, 7001, 10000 };
	struct node a, b;
	struct ember_tip tip;
	uint8_t *blk[6], *cert[6], hash[32];
	size_t blen[6], clen[6];
	char why[256];
	(void)state;
	make_genesis(START);
	node_open(&a, 0, 1);
	node_open(&b, 0, 0);
	for (int i = 0; i < 5; i++) {
		submit(&a, 0, 1, (uint64_t)i, 1);
		produce(&a, clock[i]);
	}
	for (uint64_t h = 1; h <= 5; h++) {
		struct ember_header hd;
		struct ember_cert *ce = malloc(sizeof(*ce));
		const uint8_t *lc;
		size_t lclen, ntx;
		struct ember_txref txs[4];
		uint64_t t;

		assert_non_null(ce);
		fetch(&a, h, &blk[h], &blen[h], &cert[h], &clen[h]);
		assert_int_equal(ember_block_decode(&hd, &lc, &lclen, txs, 4, &ntx, blk[h],
		                                    blen[h]), 0);
		assert_true(hd.time_ms == want_time[h - 1]);
		assert_true(cert_time(cert[h], clen[h]) == want_pc[h - 1]);
		/* The precommit signs its time: with any other it does not verify. */
		ember_header_hash(&hd, hash);
		assert_int_equal(ember_cert_decode(ce, cert[h], clen[h]), 0);
		assert_int_equal(cons_vote_verify(val.pub, gen.chain_id, EMBER_VOTE_PRECOMMIT,
		                                  h, 0, hash, want_pc[h - 1], ce->sigs[0].sig), 0);
		assert_int_equal(cons_vote_verify(val.pub, gen.chain_id, EMBER_VOTE_PRECOMMIT,
		                                  h, 0, hash, want_pc[h - 1] + 1, ce->sigs[0].sig),
		                 EMBER_CRYPTO_VERIFY);
		if (h == 1) {
			assert_int_equal(lclen, 0);
		} else {
			/* Block h carries block h-1's stored certificate, and its
			 * time is that certificate's precommit time. */
			assert_int_equal(lclen, clen[h - 1]);
			assert_memory_equal(lc, cert[h - 1], lclen);
			assert_true(hd.time_ms == cert_time(cert[h - 1], clen[h - 1]));
			assert_int_equal(cons_last_commit(&gen, h - 1, want_time[h - 2],
			                                  hd.prev_hash, lc, lclen, ce, &t, why,
			                                  sizeof(why)), 0);
			assert_true(t == hd.time_ms);
		}
		free(ce);
	}
	cons_tip(a.cons, &tip);
	assert_true(tip.time_ms == 7001);

	/* Block 1 with a last commit (any certificate), re-signed: refused;
	 * with a time that is not genesis + 1, re-signed: refused. */
	{
		uint8_t *bad, rc1[4 + 1 + EMBER_CERT_SIG_SIZE];
		size_t badlen, rclen;
		rebuild(blk[1], blen[1], cert[1], clen[1], 1001, &bad, &badlen);
		resign(bad, 5000, rc1, sizeof(rc1), &rclen);
		assert_int_equal(cons_apply_block(b.cons, bad, badlen, rc1, rclen, why,
		                                  sizeof(why)), EMBER_BLK_LAST_COMMIT);
		assert_non_null(strstr(why, "block 1 carries a last commit"));
		free(bad);
		rebuild(blk[1], blen[1], NULL, 0, 5000, &bad, &badlen);
		resign(bad, 5000, rc1, sizeof(rc1), &rclen);
		assert_int_equal(cons_apply_block(b.cons, bad, badlen, rc1, rclen, why,
		                                  sizeof(why)), EMBER_BLK_TIME);
		free(bad);
	}
	/* The real blocks 1..4 apply. */
	for (uint64_t h = 1; h <= 4; h++)
		if (cons_apply_block(b.cons, blk[h], blen[h], cert[h], clen[h], why,
		                     sizeof(why)))
			fail_msg("block %llu: %s", (unsigned long long)h, why);

	/* Block 5 tampered, each with a certificate re-signed over the changed
	 * header: b's tip (block 4, time 7000) must not move. */
	{
		struct ember_cert *ce = malloc(sizeof(*ce));
		struct ember_tip before, after;
		uint8_t *bad, rc5[4 + 1 + EMBER_CERT_SIG_SIZE], lc4[4 + 1 + EMBER_CERT_SIG_SIZE];
		uint8_t h4[32];
		size_t badlen, rclen, lc4len;
		struct {
			const char *what;
			uint64_t lc_time;      /* 0: block 4's real certificate */
			int edit_lc;           /* time edited after signing */
			uint64_t time;
			int code;
		} cases[] = {
			{ "time + 1", 0, 0, 7002, EMBER_BLK_TIME },
			{ "time - 1 (the parent's)", 0, 0, 7000, EMBER_BLK_TIME },
			{ "the proposer's clock", 0, 0, 10000, EMBER_BLK_TIME },
			/* a last commit whose precommit time was edited, and the
			 * block time to match it */
			{ "edited last commit", 7001, 1, 7500, EMBER_BLK_LAST_COMMIT },
			/* a precommit stamped at the parent's time, re-signed */
			{ "precommit at the parent's time", 7000, 0, 7000,
			  EMBER_BLK_LAST_COMMIT },
			{ "precommit before the parent's time", 6000, 0, 6000,
			  EMBER_BLK_LAST_COMMIT },
		};
		assert_non_null(ce);
		{
			struct ember_header hd4 = header_of(blk[4]);
			ember_header_hash(&hd4, h4);
		}
		cons_tip(b.cons, &before);
		assert_memory_equal(before.hash, h4, 32);
		assert_true(before.time_ms == 7000);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			if (!cases[i].lc_time) {
				memcpy(lc4, cert[4], clen[4]);
				lc4len = clen[4];
			} else {
				/* block 4's certificate, re-signed at lc_time (h4, the
				 * block it certifies, is unchanged) */
				memset(ce, 0, sizeof(*ce));
				ce->nsig = 1;
				memcpy(ce->sigs[0].validator, val.pub, 32);
				ce->sigs[0].time_ms = cases[i].lc_time;
				assert_int_equal(cons_vote_sign(&val, gen.chain_id,
				                 EMBER_VOTE_PRECOMMIT, 4, 0, h4, cases[i].lc_time,
				                 ce->sigs[0].sig), 0);
				if (cases[i].edit_lc)
					ce->sigs[0].time_ms = cases[i].time;
				assert_int_equal(ember_cert_encode(ce, lc4, sizeof(lc4), &lc4len), 0);
			}
			rebuild(blk[5], blen[5], lc4, lc4len, cases[i].time, &bad, &badlen);
			resign(bad, 10000, rc5, sizeof(rc5), &rclen);
			why[0] = '\0';
			if (cons_apply_block(b.cons, bad, badlen, rc5, rclen, why, sizeof(why)) !=
			    cases[i].code)
				fail_msg("%s: not refused with %d (%s)", cases[i].what,
				         cases[i].code, why);
			assert_true(strlen(why) > 0);
			free(bad);
		}
		/* Block 5 with no last commit at all. */
		rebuild(blk[5], blen[5], NULL, 0, 7001, &bad, &badlen);
		resign(bad, 10000, rc5, sizeof(rc5), &rclen);
		assert_int_equal(cons_apply_block(b.cons, bad, badlen, rc5, rclen, why,
		                                  sizeof(why)), EMBER_BLK_LAST_COMMIT);
		free(bad);
		cons_tip(b.cons, &after);
		assert_memory_equal(&before, &after, sizeof(before));

		/* The real block 5 is valid on b. */
		assert_int_equal(cons_validate(b.cons, blk[5], blen[5], why, sizeof(why)), 0);
		/* So is one that carries another valid certificate of block 4
		 * (here stamped 7500) and takes its time from it: the time is
		 * the carried last commit's, not the follower's stored one. */
		memset(ce, 0, sizeof(*ce));
		ce->nsig = 1;
		memcpy(ce->sigs[0].validator, val.pub, 32);
		ce->sigs[0].time_ms = 7500;
		assert_int_equal(cons_vote_sign(&val, gen.chain_id, EMBER_VOTE_PRECOMMIT, 4, 0,
		                                h4, 7500, ce->sigs[0].sig), 0);
		assert_int_equal(ember_cert_encode(ce, lc4, sizeof(lc4), &lc4len), 0);
		rebuild(blk[5], blen[5], lc4, lc4len, 7500, &bad, &badlen);
		resign(bad, 10000, rc5, sizeof(rc5), &rclen);
		assert_int_equal(cons_apply_block(b.cons, bad, badlen, rc5, rclen, why,
		                                  sizeof(why)), 0);
		cons_tip(b.cons, &after);
		assert_true(after.height == 5 && after.time_ms == 7500);
		free(bad);
		free(ce);
	}
	for (int h = 1; h <= 5; h++) {
		free(blk[h]);
		free(cert[h]);
	}
	node_close(&a);
	node_close(&b);
	ember_genesis_release(&gen);
}

/* ---- several validators: the weighted median -------------------------- */

#define NV 4
static struct ember_keypair vk[NV];

/* make_genesis with NV validators of the given powers; val (the key
 * node_open gives a validator node) is vk[0]. */
static void make_genesis_powers(const uint64_t power[NV])
{
	make_genesis(START);
	free(gen.vals);
	gen.vals = calloc(NV, sizeof(*gen.vals));
	assert_non_null(gen.vals);
	for (int i = 0; i < NV; i++) {
		assert_int_equal(ember_keypair_generate(&vk[i]), 0);
		memcpy(gen.vals[i].pub, vk[i].pub, 32);
		gen.vals[i].power = power[i];
	}
	gen.nval = NV;
	val = vk[0];
	assert_int_equal(ember_genesis_finish(&gen), 0);
}

/* A certificate of (height, hash): validator who[i] precommits at t[i],
 * in that order.  Returns its length. */
static size_t multi_cert(uint64_t height, const uint8_t hash[32], const int *who,
                         const uint64_t *t, size_t n, uint8_t *out, size_t cap)
{
	struct ember_cert *ce = calloc(1, sizeof(*ce));
	size_t len;
	assert_non_null(ce);
	ce->nsig = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		memcpy(ce->sigs[i].validator, vk[who[i]].pub, 32);
		ce->sigs[i].time_ms = t[i];
		assert_int_equal(cons_vote_sign(&vk[who[i]], gen.chain_id, EMBER_VOTE_PRECOMMIT,
		                                height, 0, hash, t[i], ce->sigs[i].sig), 0);
	}
	assert_int_equal(ember_cert_encode(ce, out, cap, &len), 0);
	free(ce);
	return len;
}

/* Build the next block on a (cons_build, the BFT executor's path), then
 * commit it there with cert and apply it on b.  *blk is malloc'd. */
static void build_commit(struct node *a, struct node *b, uint64_t now, const int *who,
                         const uint64_t *t, size_t n, uint8_t **blk, size_t *blen,
                         uint8_t *cert, size_t *clen)
{
	const uint8_t *p;
	struct ember_header hd;
	uint8_t hash[32];
	char why[256] = "";
	assert_int_equal(cons_build(a->cons, now, &p, blen, hash), 0);
	assert_non_null(*blk = malloc(*blen));
	memcpy(*blk, p, *blen);
	hd = header_of(*blk);
	*clen = multi_cert(hd.height, hash, who, t, n, cert, 4 + 1 + NV * EMBER_CERT_SIG_SIZE);
	if (cons_commit(a->cons, *blk, *blen, cert, *clen, why, sizeof(why)))
		fail_msg("commit of block %llu: %s", (unsigned long long)hd.height, why);
	if (cons_apply_block(b->cons, *blk, *blen, cert, *clen, why, sizeof(why)))
		fail_msg("apply of block %llu: %s", (unsigned long long)hd.height, why);
}

/*
 * Powers 4, 2, 2, 1 (total 9; a certificate needs more than 6).  The
 * proposer's block takes the stake-weighted median of the precommit
 * times in its parent's certificate, and a follower checks it.
 */
static void test_bft_time_weighted(void **state)
{
	static const uint64_t power[NV] = { 4, 2, 2, 1 };
	/* Block 1's certificate, all four, out of validator order:
	 * sorted by time V3 (1) 2100, V1 (2) 2200, V0 (4) 2500, V2 (2) 3000;
	 * the first where twice the power passed (this one included) exceeds
	 * the signers' 9: cum 1 -> 2 <= 9; cum 3 -> 6 <= 9; cum 7 -> 14 > 9:
	 * 2500, the heavy validator's time. */
	static const int who1[] = { 2, 0, 3, 1 };
	static const uint64_t t1[] = { 3000, 2500, 2100, 2200 };
	/* Block 2's: V0, V1, V2 (power 8 > 6), V3 absent: sorted V1 (2) 2600,
	 * V2 (2) 2700, V0 (4) 2800; only the signers' power (8) counts: cum 2
	 * -> 4 <= 8; cum 4 -> 8 <= 8 (V1 and V2 hold exactly half, no
	 * majority); cum 8 -> 16 > 8: 2800. */
	static const int who2[] = { 0, 1, 2 };
	static const uint64_t t2[] = { 2800, 2600, 2700 };
	struct node a, b;
	uint8_t *blk1, *blk2, cert1[4 + 1 + NV * EMBER_CERT_SIG_SIZE];
	uint8_t cert2[sizeof(cert1)], cert3[sizeof(cert1)], *bad;
	const uint8_t *p, *lc;
	size_t blen1, blen2, clen1, clen2, clen3, len, lclen, ntx, badlen;
	struct ember_header hd;
	struct ember_txref txs[4];
	uint8_t hash[32];
	char why[256];
	(void)state;
	make_genesis_powers(power);
	node_open(&a, 0, 1);
	node_open(&b, 0, 0);

	build_commit(&a, &b, 99999, who1, t1, 4, &blk1, &blen1, cert1, &clen1);
	assert_true(header_of(blk1).time_ms == 1001);      /* genesis + 1 */
	build_commit(&a, &b, 99999, who2, t2, 3, &blk2, &blen2, cert2, &clen2);
	assert_int_equal(ember_block_decode(&hd, &lc, &lclen, txs, 4, &ntx, blk2, blen2), 0);
	assert_true(hd.time_ms == 2500);
	assert_int_equal(lclen, clen1);
	assert_memory_equal(lc, cert1, clen1);

	/* Block 3: 2800, from block 2's certificate. */
	assert_int_equal(cons_build(a.cons, 99999, &p, &len, hash), 0);
	assert_non_null(bad = malloc(len));
	memcpy(bad, p, len);
	cons_release_pending(a.cons);
	assert_int_equal(ember_block_decode(&hd, &lc, &lclen, txs, 4, &ntx, bad, len), 0);
	assert_true(hd.time_ms == 2800);
	assert_memory_equal(lc, cert2, clen2);
	assert_int_equal(cons_validate(b.cons, bad, len, why, sizeof(why)), 0);

	/* The same block stamped with the old rule's time (2700, where the
	 * walk stopped at half), the earliest (2600) or 1 ms either side of
	 * the median, certified by V0, V1, V2: refused. */
	{
		static const uint64_t wrong[] = { 2700, 2600, 2801, 2799 };
		static const int who3[] = { 0, 1, 2 };
		static const uint64_t t3[] = { 3000, 3000, 3000 };
		for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
			uint8_t *bb;
			rebuild(bad, len, cert2, clen2, wrong[i], &bb, &badlen);
			hd = header_of(bb);
			ember_header_hash(&hd, hash);
			clen3 = multi_cert(3, hash, who3, t3, 3, cert3, sizeof(cert3));
			assert_int_equal(cons_apply_block(b.cons, bb, badlen, cert3, clen3, why,
			                                  sizeof(why)), EMBER_BLK_TIME);
			free(bb);
		}
		/* A last commit for block 2 lacking +2/3 (V1, V2, V3: 5 of 9),
		 * with the time its median would give (2600 2700 2650 by power
		 * 2 2 1: sorted 2600 (2), 2650 (1), 2700 (2); cum 2 -> 4 <= 5;
		 * cum 3 -> 6 > 5: 2650). */
		{
			static const int whol[] = { 1, 2, 3 };
			static const uint64_t tl[] = { 2600, 2700, 2650 };
			uint8_t lcw[sizeof(cert1)], *bb;
			size_t lcwlen;
			hd = header_of(blk2);
			ember_header_hash(&hd, hash);
			lcwlen = multi_cert(2, hash, whol, tl, 3, lcw, sizeof(lcw));
			rebuild(bad, len, lcw, lcwlen, 2650, &bb, &badlen);
			hd = header_of(bb);
			ember_header_hash(&hd, hash);
			clen3 = multi_cert(3, hash, who3, t3, 3, cert3, sizeof(cert3));
			assert_int_equal(cons_apply_block(b.cons, bb, badlen, cert3, clen3, why,
			                                  sizeof(why)), EMBER_BLK_LAST_COMMIT);
			assert_non_null(strstr(why, "+2/3"));
			free(bb);
		}
	}
	free(bad);
	free(blk1);
	free(blk2);
	node_close(&a);
	node_close(&b);
	ember_genesis_release(&gen);
}

/*
 * A certificate that cons_commit accepts must serve as the next block's
 * last commit, or the chain cannot go on.  Here V3 (power 1 of 9, under a
 * third: a faulty validator BFT tolerates) precommits block 1 with a time
 * that is not after block 1's (1001); V0, V1, V2 (power 8, a quorum on
 * their own) precommit honestly at 2000.  The certificate verifies
 * (cons_cert_verify does not look at the times), cons_commit stores it,
 * and block 2 is built on it, validated and applied by a follower; then
 * V3 stamps block 2's precommit 0, and block 3 is built on that too.
 */
static void test_commit_cert_usable_as_last_commit(void **state)
{
	static const uint64_t power[NV] = { 4, 2, 2, 1 };
	static const int who[] = { 0, 1, 2, 3 };
	/* Block 2's time: sorted V3 (1) 1001, V0 (4) 2000, V1 (2) 2000, V2
	 * (2) 2000: cum 1 -> 2 <= 9; cum 5 -> 10 > 9: V0's 2000. */
	static const uint64_t t1[] = { 2000, 2000, 2000, 1001 };
	/* Block 3's: sorted V3 (1) 0, V0 (4) 3000, V1 (2) 3001, V2 (2) 3002:
	 * cum 1 -> 2 <= 9; cum 5 -> 10 > 9: V0's 3000. */
	static const uint64_t t2[] = { 3000, 3001, 3002, 0 };
	struct node a, b;
	struct ember_header hd;
	struct ember_txref txs[4];
	const uint8_t *p, *lc;
	uint8_t hash[32], *blk1, *blk2, *blk3, cert1[4 + 1 + NV * EMBER_CERT_SIG_SIZE];
	uint8_t cert2[sizeof(cert1)];
	size_t len, blen2, clen1, clen2, lclen, ntx;
	char why[256] = "";
	int rc;
	(void)state;
	make_genesis_powers(power);
	node_open(&a, 0, 1);
	node_open(&b, 0, 0);
	assert_int_equal(cons_build(a.cons, 2000, &p, &len, hash), 0);
	assert_non_null(blk1 = malloc(len));
	memcpy(blk1, p, len);
	assert_true(header_of(blk1).time_ms == 1001);
	clen1 = multi_cert(1, hash, who, t1, 4, cert1, sizeof(cert1));
	rc = cons_commit(a.cons, blk1, len, cert1, clen1, why, sizeof(why));
	if (rc)
		fail_msg("commit of block 1: %d (%s)", rc, why);
	rc = cons_apply_block(b.cons, blk1, len, cert1, clen1, why, sizeof(why));
	if (rc)
		fail_msg("apply of block 1 on the follower: %d (%s)", rc, why);

	/* Block 2, built on that certificate: the honest quorum's time. */
	rc = cons_build(a.cons, 3000, &p, &len, hash);
	if (rc)
		fail_msg("block 1 committed with a certificate that cannot be block "
		         "2's last commit: cons_build returned %d", rc);
	assert_non_null(blk2 = malloc(len));
	memcpy(blk2, p, len);
	blen2 = len;
	assert_int_equal(ember_block_decode(&hd, &lc, &lclen, txs, 4, &ntx, blk2, blen2), 0);
	assert_true(hd.height == 2);
	assert_true(hd.time_ms == 2000);
	assert_int_equal(lclen, clen1);
	assert_memory_equal(lc, cert1, clen1);
	rc = cons_validate(b.cons, blk2, blen2, why, sizeof(why));
	if (rc)
		fail_msg("the follower refuses block 2: %d (%s)", rc, why);
	/* Commit it on a (from the pending build: the block built last)
	 * and apply it on b. */
	clen2 = multi_cert(2, hash, who, t2, 4, cert2, sizeof(cert2));
	rc = cons_commit(a.cons, blk2, blen2, cert2, clen2, why, sizeof(why));
	if (rc)
		fail_msg("commit of block 2: %d (%s)", rc, why);
	rc = cons_apply_block(b.cons, blk2, blen2, cert2, clen2, why, sizeof(why));
	if (rc)
		fail_msg("apply of block 2 on the follower: %d (%s)", rc, why);

	/* Block 3, on block 2's certificate with V3's stamp 0. */
	rc = cons_build(a.cons, 4000, &p, &len, hash);
	if (rc)
		fail_msg("block 3 cannot be built on block 2's certificate: %d", rc);
	assert_non_null(blk3 = malloc(len));
	memcpy(blk3, p, len);
	cons_release_pending(a.cons);
	assert_int_equal(ember_block_decode(&hd, &lc, &lclen, txs, 4, &ntx, blk3, len), 0);
	assert_true(hd.height == 3);
	assert_true(hd.time_ms == 3000);
	assert_int_equal(lclen, clen2);
	assert_memory_equal(lc, cert2, clen2);
	rc = cons_validate(b.cons, blk3, len, why, sizeof(why));
	if (rc)
		fail_msg("the follower refuses block 3: %d (%s)", rc, why);
	free(blk1);
	free(blk2);
	free(blk3);
	node_close(&a);
	node_close(&b);
	ember_genesis_release(&gen);
}

/*
 * Four validators of power 1; three sign each block (3 of 4 > 2/3), one of
 * them faulty.  V3 (faulty) precommits block 1 at 1002, its time + 1, and
 * V1, V2 honestly at 2500 and 2501 (V0 absent): sorted 1002, 2500, 2501;
 * cum 1 -> 2 <= 3; cum 2 -> 4 > 3: block 2's time is 2500, an honest clock
 * (the old rule, half = 3 / 2 = 1, gave the faulty 1002).  Then V3 stamps
 * block 2's precommit UINT64_MAX - 1, V1 3000, V2 3001: sorted 3000, 3001,
 * far; cum 1 -> 2 <= 3; cum 2 -> 4 > 3: block 3's time is 3001, not V3's.
 */
static void test_bft_time_faulty_one_of_three(void **state)
{
	static const uint64_t power[NV] = { 1, 1, 1, 1 };
	static const int who[] = { 3, 1, 2 };
	static const uint64_t t1[] = { 1002, 2500, 2501 };
	static const uint64_t t2[] = { UINT64_MAX - 1, 3000, 3001 };
	struct node a, b;
	uint8_t *blk1, *blk2, cert1[4 + 1 + NV * EMBER_CERT_SIG_SIZE], cert2[sizeof(cert1)];
	const uint8_t *p;
	uint8_t hash[32];
	size_t blen1, blen2, clen1, clen2, len;
	char why[256] = "";
	(void)state;
	make_genesis_powers(power);
	node_open(&a, 0, 1);
	node_open(&b, 0, 0);
	build_commit(&a, &b, 99999, who, t1, 3, &blk1, &blen1, cert1, &clen1);
	assert_true(header_of(blk1).time_ms == 1001);
	build_commit(&a, &b, 99999, who, t2, 3, &blk2, &blen2, cert2, &clen2);
	assert_true(header_of(blk2).time_ms == 2500);
	assert_int_equal(cons_build(a.cons, 99999, &p, &len, hash), 0);
	assert_true(header_of(p).time_ms == 3001);
	if (cons_validate(b.cons, p, len, why, sizeof(why)))
		fail_msg("the follower refuses block 3: %s", why);
	cons_release_pending(a.cons);
	free(blk1);
	free(blk2);
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
		cmocka_unit_test(test_bft_time),
		cmocka_unit_test(test_bft_time_weighted),
		cmocka_unit_test(test_commit_cert_usable_as_last_commit),
		cmocka_unit_test(test_bft_time_faulty_one_of_three),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
