/* test_chainstore.c - chain.h: blocks, certificates, indexes, tip and the
 * genesis record round-trip through the store. */
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
#include "ember/block.h"
#include "ember/chain.h"
#include "ember/codec.h"
#include "ember/hash.h"
#include "ember/store.h"

static int setup(void **state)
{
	return test_ledger_setup(state, "chain", 0);
}

static int teardown(void **state)
{
	return test_ledger_teardown(state);
}

/* A block at height h with ntx fake txs; the caller frees *enc. */
struct test_block {
	struct ember_header h;
	uint8_t hash[32];
	uint8_t *enc;
	size_t len;
	uint8_t txids[3][32];
	size_t ntx;
};

static void make_block(struct test_block *b, uint64_t height, size_t ntx,
                       const uint8_t prev[32])
{
	static const uint8_t txbytes[3][4] = { "tx0", "tx1", "tx2" };
	struct ember_txref txs[3];
	uint8_t scratch[3][32];

	memset(b, 0, sizeof(*b));
	b->ntx = ntx;
	for (size_t i = 0; i < ntx; i++) {
		txs[i].p = txbytes[i];
		txs[i].len = 3;
		ember_sha256(txbytes[i], 3, b->txids[i]);
		b->txids[i][31] ^= (uint8_t)height;   /* distinct per block */
	}
	b->h.version = EMBER_BLOCK_VERSION;
	b->h.height = height;
	b->h.time_ms = 1764000000000ULL + height * 1000;
	memcpy(b->h.prev_hash, prev, 32);
	ember_tx_root(b->txids, ntx, scratch, b->h.tx_root);
	memset(b->h.state_root, (int)(0x50 + height), 32);
	memset(b->h.proposer, 0x77, 32);
	b->h.tx_count = (uint32_t)ntx;
	ember_header_hash(&b->h, b->hash);
	/* No last commit (the chain store does not look at it): the
	 * header's last_commit_hash stays all zero, the hash of none. */
	b->len = ember_block_encoded_size(0, txs, ntx);
	b->enc = malloc(b->len);
	assert_non_null(b->enc);
	assert_int_equal(ember_block_encode(&b->h, NULL, 0, txs, ntx, b->enc, b->len,
	                                    &b->len), 0);
}

static void test_empty(void **state)
{
	struct test_ledger *f = *state;
	struct ember_txn *t;
	struct ember_tip tip;
	uint8_t hash[32] = { 0 };
	uint64_t height;
	uint32_t index;
	const uint8_t *enc;
	size_t len;

	assert_int_equal(ember_store_read(f->s, &t), 0);
	assert_int_equal(ember_chain_get_tip(t, &tip), EMBER_ENOTFOUND);
	assert_int_equal(ember_chain_get_genesis(t, hash), EMBER_ENOTFOUND);
	assert_int_equal(ember_chain_get_block(t, 0, &enc, &len), EMBER_ENOTFOUND);
	assert_int_equal(ember_chain_get_cert(t, 0, &enc, &len), EMBER_ENOTFOUND);
	assert_int_equal(ember_chain_get_height(t, hash, &height), EMBER_ENOTFOUND);
	assert_int_equal(ember_chain_get_txloc(t, hash, &height, &index),
	                 EMBER_ENOTFOUND);
	ember_txn_abort(t);
}

static void test_genesis_record(void **state)
{
	struct test_ledger *f = *state;
	struct ember_txn *t;
	uint8_t h[32], got[32];
	const void *v;
	size_t vlen;

	memset(h, 0x3c, 32);
	assert_int_equal(ember_store_write(f->s, &t), 0);
	assert_int_equal(ember_chain_put_genesis(t, h, "ember-devnet"), 0);
	assert_int_equal(ember_txn_commit(t), 0);
	assert_int_equal(ember_store_read(f->s, &t), 0);
	assert_int_equal(ember_chain_get_genesis(t, got), 0);
	assert_memory_equal(got, h, 32);
	assert_int_equal(ember_store_get(t, EMBER_DB_META, "chain_id", 8, &v,
	                                 &vlen), 0);
	assert_int_equal(vlen, 12);
	assert_memory_equal(v, "ember-devnet", 12);
	ember_txn_abort(t);
}

static void test_blocks(void **state)
{
	struct test_ledger *f = *state;
	struct test_block b[3];
	struct ember_cert cert;
	uint8_t certenc[256], gen[32], unknown[32];
	size_t certlen;
	struct ember_txn *t;
	struct ember_tip tip;

	memset(gen, 0x11, 32);
	memset(unknown, 0xee, 32);
	memset(&cert, 0, sizeof(cert));
	cert.round = 2;
	cert.nsig = 1;
	memset(cert.sigs[0].validator, 0x77, 32);
	cert.sigs[0].time_ms = 1764000000123ULL;
	memset(cert.sigs[0].sig, 0x99, 64);
	assert_int_equal(ember_cert_encode(&cert, certenc, sizeof(certenc),
	                                   &certlen), 0);

	/* genesis block (no cert, no txs), then two blocks, each in its own
	 * write txn as the applier does */
	make_block(&b[0], 0, 0, gen);
	make_block(&b[1], 1, 3, b[0].hash);
	make_block(&b[2], 2, 1, b[1].hash);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ember_store_write(f->s, &t), 0);
		assert_int_equal(ember_chain_put_block(t, &b[i].h, b[i].hash,
		                                       b[i].enc, b[i].len,
		                                       b[i].txids, b[i].ntx,
		                                       i ? certenc : NULL,
		                                       i ? certlen : 0), 0);
		assert_int_equal(ember_chain_get_tip(t, &tip), 0); /* own write */
		assert_int_equal(tip.height, (uint64_t)i);
		assert_int_equal(ember_txn_commit(t), 0);
	}

	assert_int_equal(ember_store_read(f->s, &t), 0);
	assert_int_equal(ember_chain_get_tip(t, &tip), 0);
	assert_int_equal(tip.height, 2);
	assert_memory_equal(tip.hash, b[2].hash, 32);
	assert_memory_equal(tip.state_root, b[2].h.state_root, 32);
	assert_int_equal(tip.time_ms, b[2].h.time_ms);

	for (int i = 0; i < 3; i++) {
		const uint8_t *enc;
		size_t len;
		uint64_t height;
		uint32_t index;
		struct ember_header h;
		struct ember_txref txs[3];
		size_t ntx;

		assert_int_equal(ember_chain_get_block(t, (uint64_t)i, &enc, &len), 0);
		assert_int_equal(len, b[i].len);
		assert_memory_equal(enc, b[i].enc, len);
		assert_int_equal(ember_block_decode(&h, NULL, NULL, txs, 3, &ntx, enc, len), 0);
		assert_int_equal(h.height, (uint64_t)i);
		assert_int_equal(ntx, b[i].ntx);

		if (i == 0) {
			assert_int_equal(ember_chain_get_cert(t, 0, &enc, &len),
			                 EMBER_ENOTFOUND);
		} else {
			struct ember_cert c;
			assert_int_equal(ember_chain_get_cert(t, (uint64_t)i, &enc,
			                                      &len), 0);
			assert_int_equal(len, certlen);
			assert_int_equal(ember_cert_decode(&c, enc, len), 0);
			assert_int_equal(c.round, 2);
			assert_int_equal(c.nsig, 1);
			assert_int_equal(c.sigs[0].time_ms, 1764000000123ULL);
		}

		assert_int_equal(ember_chain_get_height(t, b[i].hash, &height), 0);
		assert_int_equal(height, (uint64_t)i);
		for (size_t j = 0; j < b[i].ntx; j++) {
			assert_int_equal(ember_chain_get_txloc(t, b[i].txids[j],
			                                       &height, &index), 0);
			assert_int_equal(height, (uint64_t)i);
			assert_int_equal(index, j);
		}
	}
	{
		uint64_t height = 99;
		uint32_t index = 99;
		const uint8_t *enc;
		size_t len;
		assert_int_equal(ember_chain_get_height(t, unknown, &height),
		                 EMBER_ENOTFOUND);
		assert_int_equal(ember_chain_get_txloc(t, unknown, &height, &index),
		                 EMBER_ENOTFOUND);
		assert_int_equal(height, 99);
		assert_int_equal(ember_chain_get_block(t, 3, &enc, &len),
		                 EMBER_ENOTFOUND);
	}
	ember_txn_abort(t);
	for (int i = 0; i < 3; i++)
		free(b[i].enc);
}

/* Blocks are keyed big-endian, so a store iteration visits them in height
 * order even across a byte boundary (255 -> 256).  Heights are appended:
 * a height at or below a stored one is refused, never overwritten. */
static int height_cb(void *ctx, const void *key, size_t klen, const void *val,
                     size_t vlen)
{
	uint64_t *prev = ctx, h;

	(void)val;
	(void)vlen;
	if (klen != 8)
		return EMBER_STORE_CORRUPT;
	h = ember_be64_get(key);
	if (*prev != UINT64_MAX && h != *prev + 1)
		return EMBER_STORE_CORRUPT;
	*prev = h;
	return 0;
}

static void test_height_order(void **state)
{
	struct test_ledger *f = *state;
	struct ember_txn *t;
	struct test_block b;
	uint8_t prev[32] = { 0 };
	uint64_t last = UINT64_MAX;
	const uint64_t hs[] = { 0, 1, 255, 256, 257 };
	const uint64_t again[] = { 257, 256, 3 };

	assert_int_equal(ember_store_write(f->s, &t), 0);
	for (size_t i = 0; i < 5; i++) {
		make_block(&b, hs[i], 0, prev);
		assert_int_equal(ember_chain_put_block(t, &b.h, b.hash, b.enc, b.len,
		                                       NULL, 0, NULL, 0), 0);
		free(b.enc);
	}
	for (size_t i = 0; i < 3; i++) {
		make_block(&b, again[i], 1, prev);
		assert_int_equal(ember_chain_put_block(t, &b.h, b.hash, b.enc, b.len,
		                                       NULL, 0, NULL, 0), EMBER_STORE_EXISTS);
		free(b.enc);
	}
	assert_int_equal(ember_txn_commit(t), 0);
	assert_int_equal(ember_store_read(f->s, &t), 0);
	{
		uint8_t k[8];
		ember_be64_put(k, 255);
		assert_int_equal(ember_store_iter(t, EMBER_DB_BLOCKS, k, 8,
		                                  height_cb, &last), 0);
	}
	assert_int_equal(last, 257);
	ember_txn_abort(t);
}

static void test_corrupt_tip(void **state)
{
	struct test_ledger *f = *state;
	struct ember_txn *t;
	struct ember_tip tip;
	uint8_t hash[32], h8[8] = { 0 };
	uint64_t height;

	memset(hash, 5, 32);
	assert_int_equal(ember_store_write(f->s, &t), 0);
	assert_int_equal(ember_store_put(t, EMBER_DB_META, "tip", 3, "short", 5),
	                 0);
	assert_int_equal(ember_chain_get_tip(t, &tip), EMBER_STORE_CORRUPT);
	assert_int_equal(ember_store_put(t, EMBER_DB_BLOCK_INDEX, hash, 32, h8, 7),
	                 0);
	assert_int_equal(ember_chain_get_height(t, hash, &height),
	                 EMBER_STORE_CORRUPT);
	ember_txn_abort(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_genesis_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_height_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_tip, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
