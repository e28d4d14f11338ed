/* test_history.c - history.h: the account history index on a real LMDB
 * store: key order, pages newest first across page boundaries, the
 * cursor (exclusive, and its text form), the roles a tx gives each
 * account it names, and the rebuild of a ledger written without the
 * index (at start, and by the commit of the next block). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "ember/block.h"
#include "ember/chain.h"
#include "ember/history.h"
#include "ember/store.h"
#include "ember/tx.h"

#define CHAIN "ember-test"
#define MAXTX 8

static int setup(void **state)
{
	return test_ledger_setup(state, "history", 0);
}

static int teardown(void **state)
{
	return test_ledger_teardown(state);
}

/* Accounts: any 32 bytes will do, the index never verifies a signature. */
static void who_key(uint8_t out[32], int who)
{
	memset(out, 0, 32);
	out[0] = (uint8_t)(0x10 * who);
	out[31] = (uint8_t)who;
}

/* A tx of the test's blocks: kind, sender, the other account it names
 * (-1: none), nonce. */
struct ttx {
	uint8_t kind;
	int from, other;
	uint64_t nonce;
};

/* Encoded txs of one block, with their ids. */
struct tblock {
	uint8_t enc[MAXTX][512];
	struct ember_txref refs[MAXTX];
	uint8_t txids[MAXTX][32];
	size_t n;
};

static void encode_tx(const struct ttx *x, uint8_t *out, size_t *len)
{
	struct ember_tx tx;
	uint8_t from[32];

	who_key(from, x->from);
	assert_int_equal(ember_tx_init(&tx, x->kind, CHAIN, from, x->nonce, 1000), 0);
	switch (x->kind) {
	case EMBER_TX_TRANSFER:
		who_key(tx.u.transfer.to, x->other);
		tx.u.transfer.amount = 5;
		break;
	case EMBER_TX_ACCEPT:
		tx.u.accept.order_id = 7;
		who_key(tx.u.accept.provider, x->other);
		break;
	case EMBER_TX_EVIDENCE:
		who_key(tx.u.evidence.validator, x->other);
		tx.u.evidence.vote_type = EMBER_VOTE_PRECOMMIT;
		tx.u.evidence.height = 3;
		memset(tx.u.evidence.hash_a, 0xaa, 32);
		memset(tx.u.evidence.hash_b, 0xbb, 32);
		break;
	case EMBER_TX_STAKE:
		tx.u.amount.amount = 9;
		break;
	case EMBER_TX_BID:
		tx.u.bid.order_id = 7;
		tx.u.bid.price_per_gpu_hour = 100;
		break;
	default:
		fail_msg("no payload for kind %u in the test", x->kind);
	}
	assert_int_equal(ember_tx_encode(&tx, out, 512, len), 0);
}

/*
 * Store block height with txs xs[0..n) in its own write txn, as the block
 * writer does; with index, the history entries in the same txn
 * (ember_history_put_block, as consensus does after ember_chain_put_block).
 */
static void put_block(struct ember_store *s, uint64_t height,
                      const struct ttx *xs, size_t n, int index,
                      struct tblock *out)
{
	struct ember_header h;
	struct ember_txn *t;
	uint8_t enc[MAXTX * 600], hash[32], scratch[MAXTX][32];
	size_t len;

	assert_true(n <= MAXTX);
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		encode_tx(&xs[i], out->enc[i], &out->refs[i].len);
		out->refs[i].p = out->enc[i];
		ember_txid(out->refs[i].p, out->refs[i].len, out->txids[i]);
	}
	out->n = n;
	memset(&h, 0, sizeof(h));
	h.version = EMBER_BLOCK_VERSION;
	h.height = height;
	h.time_ms = 1764000000000ULL + height * 1000;
	memset(h.prev_hash, (int)height, 32);
	ember_tx_root((const uint8_t (*)[32])out->txids, n, scratch, h.tx_root);
	h.tx_count = (uint32_t)n;
	/* No last commit (the history index never reads it): the header's
	 * last_commit_hash stays all zero, the hash of none. */
	assert_int_equal(ember_block_encode(&h, NULL, 0, out->refs, n, enc, sizeof(enc),
	                                    &len), 0);
	ember_header_hash(&h, hash);
	assert_int_equal(ember_store_write(s, &t), 0);
	assert_int_equal(ember_chain_put_block(t, &h, hash, enc, len,
	                                       (const uint8_t (*)[32])out->txids, n,
	                                       NULL, 0), 0);
	if (index)
		assert_int_equal(ember_history_put_block(t, height, out->refs,
		                 (const uint8_t (*)[32])out->txids, n), 0);
	assert_int_equal(ember_txn_commit(t), 0);
}

/* Empty blocks from..to (a chain has no gaps) in one write txn. */
static void put_empty(struct ember_store *s, uint64_t from, uint64_t to, int index)
{
	struct ember_txn *t;

	assert_int_equal(ember_store_write(s, &t), 0);
	for (uint64_t height = from; height <= to; height++) {
		struct ember_header h;
		uint8_t enc[EMBER_HEADER_SIZE + 2], hash[32];   /* lc_len 0, ntx 0 */
		size_t len;

		memset(&h, 0, sizeof(h));
		h.version = EMBER_BLOCK_VERSION;
		h.height = height;
		h.time_ms = 1764000000000ULL + height * 1000;
		memset(h.prev_hash, (int)height, 32);
		ember_tx_root(NULL, 0, NULL, h.tx_root);
		assert_int_equal(ember_block_encode(&h, NULL, 0, NULL, 0, enc, sizeof(enc),
		                                    &len), 0);
		ember_header_hash(&h, hash);
		assert_int_equal(ember_chain_put_block(t, &h, hash, enc, len, NULL, 0,
		                                       NULL, 0), 0);
		if (index)
			assert_int_equal(ember_history_put_block(t, height, NULL, NULL, 0), 0);
	}
	assert_int_equal(ember_txn_commit(t), 0);
}

/* A page of who's history: up to max entries below before (NULL: newest). */
static size_t page(struct ember_store *s, int who, const struct ember_hist_pos *before,
                   struct ember_hist_entry *out, size_t max, int *more)
{
	struct ember_txn *t;
	uint8_t a[32];
	size_t n;

	who_key(a, who);
	assert_int_equal(ember_store_read(s, &t), 0);
	assert_int_equal(ember_history_page(t, a, before, out, max, &n, more), 0);
	ember_txn_abort(t);
	return n;
}

/* Every entry of who, newest first, one page of page_size at a time;
 * returns the count and checks each page boundary. */
static size_t walk_all(struct ember_store *s, int who, size_t page_size,
                       struct ember_hist_entry *all, size_t cap)
{
	struct ember_hist_pos pos;
	size_t total = 0;
	int more = 1, first = 1;

	while (more) {
		size_t n;
		assert_true(total + page_size <= cap);   /* room for a full page */
		n = page(s, who, first ? NULL : &pos, all + total, page_size, &more);
		assert_true(n <= page_size);
		if (more)
			assert_int_equal(n, page_size);   /* only the last page is short */
		total += n;
		assert_true(total <= cap);
		if (n) {
			pos.height = all[total - 1].height;
			pos.index = all[total - 1].index;
		}
		first = 0;
	}
	return total;
}

static void test_key_order(void **state)
{
	uint8_t a[32], b[32], k1[EMBER_HIST_KEY_LEN], k2[EMBER_HIST_KEY_LEN];
	(void)state;

	who_key(a, 1);
	who_key(b, 2);
	/* heights compare as numbers (big-endian), before the index */
	ember_hist_key(k1, a, 255, 4000000000u);
	ember_hist_key(k2, a, 256, 0);
	assert_true(memcmp(k1, k2, sizeof(k1)) < 0);
	ember_hist_key(k1, a, 256, 255);
	ember_hist_key(k2, a, 256, 256);
	assert_true(memcmp(k1, k2, sizeof(k1)) < 0);
	/* one account's entries are all before the next account's */
	ember_hist_key(k1, a, UINT64_MAX, UINT32_MAX);
	ember_hist_key(k2, b, 0, 0);
	assert_true(memcmp(k1, k2, sizeof(k1)) < 0);
	/* the layout history.h documents */
	ember_hist_key(k1, a, 0x0102030405060708ULL, 0x0a0b0c0du);
	assert_memory_equal(k1, a, 32);
	assert_memory_equal(k1 + 32, "\x01\x02\x03\x04\x05\x06\x07\x08\x0a\x0b\x0c\x0d", 12);
}

/* Account 1's txs across blocks 1..4, several per block, including
 * heights past 255 so the byte order of heights matters. */
static void write_chain(struct ember_store *s, int index, uint64_t *heights)
{
	static const struct ttx b1[] = {
		{ EMBER_TX_TRANSFER, 1, 2, 0 }, { EMBER_TX_TRANSFER, 2, 1, 0 },
		{ EMBER_TX_STAKE, 1, -1, 1 },
	};
	static const struct ttx b2[] = {
		{ EMBER_TX_TRANSFER, 3, 4, 0 },
	};
	static const struct ttx b3[] = {
		{ EMBER_TX_TRANSFER, 2, 3, 1 }, { EMBER_TX_TRANSFER, 1, 3, 2 },
		{ EMBER_TX_TRANSFER, 3, 1, 1 }, { EMBER_TX_BID, 1, -1, 3 },
	};
	static const struct ttx b4[] = {
		{ EMBER_TX_TRANSFER, 1, 1, 4 }, { EMBER_TX_TRANSFER, 4, 1, 0 },
	};
	struct tblock tb;

	heights[0] = 0;
	heights[1] = 1;
	heights[2] = 255;
	heights[3] = 256;
	heights[4] = 300;
	put_block(s, 0, NULL, 0, index, &tb);
	put_block(s, 1, b1, 3, index, &tb);
	put_empty(s, 2, 254, index);
	put_block(s, 255, b2, 1, index, &tb);
	put_block(s, 256, b3, 4, index, &tb);
	put_empty(s, 257, 299, index);
	put_block(s, 300, b4, 2, index, &tb);
}

/* Account 1's history, newest first, as write_chain makes it. */
static const struct {
	uint64_t height;
	uint32_t index;
	uint8_t role, kind;
	int from;
} acct1_expected[] = {
	{ 300, 1, EMBER_HIST_RECIPIENT, EMBER_TX_TRANSFER, 4 },
	{ 300, 0, EMBER_HIST_SENDER, EMBER_TX_TRANSFER, 1 },  /* to itself: once */
	{ 256, 3, EMBER_HIST_SENDER, EMBER_TX_BID, 1 },
	{ 256, 2, EMBER_HIST_RECIPIENT, EMBER_TX_TRANSFER, 3 },
	{ 256, 1, EMBER_HIST_SENDER, EMBER_TX_TRANSFER, 1 },
	{ 1, 2, EMBER_HIST_SENDER, EMBER_TX_STAKE, 1 },
	{ 1, 1, EMBER_HIST_RECIPIENT, EMBER_TX_TRANSFER, 2 },
	{ 1, 0, EMBER_HIST_SENDER, EMBER_TX_TRANSFER, 1 },
};
#define NEXP (sizeof(acct1_expected) / sizeof(acct1_expected[0]))

static void check_acct1(const struct ember_hist_entry *e, size_t n)
{
	assert_int_equal(n, NEXP);
	for (size_t i = 0; i < n; i++) {
		uint8_t from[32];
		who_key(from, acct1_expected[i].from);
		assert_int_equal(e[i].height, acct1_expected[i].height);
		assert_int_equal(e[i].index, acct1_expected[i].index);
		assert_int_equal(e[i].role, acct1_expected[i].role);
		assert_int_equal(e[i].kind, acct1_expected[i].kind);
		assert_memory_equal(e[i].from, from, 32);
	}
}

static void test_paging(void **state)
{
	struct test_ledger *f = *state;
	struct ember_hist_entry all[16], one[32];
	uint64_t heights[5];
	size_t n;
	int more;

	write_chain(f->s, 1, heights);
	/* one page holding everything, then pages of every size: the same
	 * list, whichever page boundary falls inside a block */
	n = page(f->s, 1, NULL, all, 16, &more);
	assert_int_equal(more, 0);
	check_acct1(all, n);
	for (size_t size = 1; size <= NEXP + 1; size++) {
		memset(one, 0, sizeof(one));
		n = walk_all(f->s, 1, size, one, 32);
		check_acct1(one, n);
		for (size_t i = 0; i < n; i++)
			assert_memory_equal(one[i].txid, all[i].txid, 32);
	}
	/* exactly one page's worth: no 'more' */
	n = page(f->s, 1, NULL, one, NEXP, &more);
	assert_int_equal(n, NEXP);
	assert_int_equal(more, 0);
	n = page(f->s, 1, NULL, one, NEXP - 1, &more);
	assert_int_equal(more, 1);

	/* an account with no history, and one named only as a recipient */
	assert_int_equal(page(f->s, 9, NULL, one, 16, &more), 0);
	assert_int_equal(more, 0);
	n = page(f->s, 4, NULL, one, 16, &more);
	assert_int_equal(n, 2);   /* 300:1 as sender, 255:0 as recipient */
	assert_int_equal(one[0].height, 300);
	assert_int_equal(one[0].role, EMBER_HIST_SENDER);
	assert_int_equal(one[1].height, 255);
	assert_int_equal(one[1].role, EMBER_HIST_RECIPIENT);
}

static void test_txids(void **state)
{
	struct test_ledger *f = *state;
	static const struct ttx xs[] = {
		{ EMBER_TX_TRANSFER, 1, 2, 0 }, { EMBER_TX_TRANSFER, 2, 1, 0 },
	};
	struct ember_hist_entry e[4];
	struct ember_txn *t;
	struct tblock tb;
	uint64_t h, loc;
	uint32_t idx;
	int more;

	put_block(f->s, 0, NULL, 0, 1, &tb);
	put_block(f->s, 1, xs, 2, 1, &tb);
	assert_int_equal(page(f->s, 2, NULL, e, 4, &more), 2);
	/* each entry's txid is the tx's, and the txid index agrees on where */
	assert_memory_equal(e[0].txid, tb.txids[1], 32);
	assert_memory_equal(e[1].txid, tb.txids[0], 32);
	assert_int_equal(ember_store_read(f->s, &t), 0);
	assert_int_equal(ember_chain_get_txloc(t, e[0].txid, &loc, &idx), 0);
	assert_int_equal(loc, e[0].height);
	assert_int_equal(idx, e[0].index);
	assert_int_equal(ember_history_height(t, &h), 0);
	assert_int_equal(h, 1);
	ember_txn_abort(t);
}

static void test_cursor_exclusive(void **state)
{
	struct test_ledger *f = *state;
	struct ember_hist_entry e[16];
	struct ember_hist_pos pos;
	uint64_t heights[5];
	int more;

	write_chain(f->s, 1, heights);
	/* strictly below an entry's own position */
	pos.height = 256;
	pos.index = 2;
	assert_int_equal(page(f->s, 1, &pos, e, 1, &more), 1);
	assert_int_equal(e[0].height, 256);
	assert_int_equal(e[0].index, 1);
	assert_int_equal(more, 1);
	/* a position with no entry of the account: the next one below it */
	pos.height = 256;
	pos.index = 0;     /* account 2's tx, not account 1's */
	assert_int_equal(page(f->s, 1, &pos, e, 1, &more), 1);
	assert_int_equal(e[0].height, 1);
	assert_int_equal(e[0].index, 2);
	pos.height = 200;
	pos.index = 0;
	assert_int_equal(page(f->s, 1, &pos, e, 16, &more), 3);
	assert_int_equal(e[0].height, 1);
	assert_int_equal(more, 0);
	/* above the newest: everything */
	pos.height = 1000000;
	pos.index = 0;
	assert_int_equal(page(f->s, 1, &pos, e, 16, &more), NEXP);
	/* at the oldest entry, and at the very bottom: nothing below */
	pos.height = 1;
	pos.index = 0;
	assert_int_equal(page(f->s, 1, &pos, e, 16, &more), 0);
	assert_int_equal(more, 0);
	pos.height = 0;
	assert_int_equal(page(f->s, 1, &pos, e, 16, &more), 0);
}

static void test_cursor_text(void **state)
{
	static const char *const bad[] = {
		"", "12", "12:", ":3", "-1:2", "+1:2", "01:2", "1:02", "1:2x",
		" 1:2", "1:2 ", "1:4294967296", "18446744073709551616:0", "1::2",
		"1:2:3", "0x10:1", "1.5:2",
	};
	struct ember_hist_pos pos, back;
	char buf[EMBER_HIST_CURSOR_BUFLEN];
	(void)state;

	assert_int_equal(ember_hist_cursor_parse("12:3", &pos), 0);
	assert_int_equal(pos.height, 12);
	assert_int_equal(pos.index, 3);
	assert_int_equal(ember_hist_cursor_parse("0:0", &pos), 0);
	assert_int_equal(pos.height, 0);
	assert_int_equal(ember_hist_cursor_parse("18446744073709551615:4294967295", &pos), 0);
	assert_true(pos.height == UINT64_MAX);
	assert_int_equal(pos.index, UINT32_MAX);
	ember_hist_cursor_format(&pos, buf);
	assert_string_equal(buf, "18446744073709551615:4294967295");
	assert_int_equal(ember_hist_cursor_parse(buf, &back), 0);
	assert_true(back.height == pos.height);
	assert_int_equal(back.index, pos.index);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ember_hist_cursor_parse(bad[i], &pos) != EMBER_EPARSE)
			fail_msg("cursor '%s' was accepted", bad[i]);
	assert_int_equal(ember_hist_cursor_parse(NULL, &pos), EMBER_EINVAL);
}

/* Every role, and one account as sender and recipient in one block. */
static void test_roles(void **state)
{
	struct test_ledger *f = *state;
	static const struct ttx xs[] = {
		{ EMBER_TX_TRANSFER, 1, 2, 0 },
		{ EMBER_TX_TRANSFER, 2, 1, 0 },
		{ EMBER_TX_ACCEPT, 3, 1, 0 },      /* 1 is the provider */
		{ EMBER_TX_EVIDENCE, 4, 1, 0 },    /* 1 is the validator */
		{ EMBER_TX_ACCEPT, 5, 5, 0 },      /* names its own sender */
	};
	struct ember_hist_entry e[8];
	struct tblock tb;
	uint8_t a[32];
	int more;

	put_block(f->s, 0, NULL, 0, 1, &tb);
	put_block(f->s, 1, xs, 5, 1, &tb);
	assert_int_equal(page(f->s, 1, NULL, e, 8, &more), 4);
	assert_int_equal(e[0].index, 3);
	assert_int_equal(e[0].role, EMBER_HIST_PARTY);
	assert_int_equal(e[0].kind, EMBER_TX_EVIDENCE);
	who_key(a, 4);
	assert_memory_equal(e[0].from, a, 32);
	assert_int_equal(e[1].index, 2);
	assert_int_equal(e[1].role, EMBER_HIST_PARTY);
	assert_int_equal(e[1].kind, EMBER_TX_ACCEPT);
	assert_int_equal(e[2].index, 1);
	assert_int_equal(e[2].role, EMBER_HIST_RECIPIENT);
	who_key(a, 2);
	assert_memory_equal(e[2].from, a, 32);
	assert_int_equal(e[3].index, 0);
	assert_int_equal(e[3].role, EMBER_HIST_SENDER);
	who_key(a, 1);
	assert_memory_equal(e[3].from, a, 32);
	assert_int_equal(page(f->s, 5, NULL, e, 8, &more), 1);
	assert_int_equal(e[0].role, EMBER_HIST_SENDER);
	assert_string_equal(ember_hist_role_name(EMBER_HIST_SENDER), "sender");
	assert_string_equal(ember_hist_role_name(EMBER_HIST_RECIPIENT), "recipient");
	assert_string_equal(ember_hist_role_name(EMBER_HIST_PARTY), "party");
	assert_null(ember_hist_role_name(0));
}

/* Reopen the test ledger's store (as a restart does). */
static void reopen(struct test_ledger *f)
{
	ember_store_close(f->s);
	f->s = NULL;
	assert_int_equal(ember_store_open(&f->s, f->dir, 0), 0);
}

static uint64_t history_count(struct ember_store *s)
{
	struct ember_txn *t;
	uint64_t n;
	assert_int_equal(ember_store_read(s, &t), 0);
	assert_int_equal(ember_store_count(t, EMBER_DB_HISTORY, &n), 0);
	ember_txn_abort(t);
	return n;
}

/* A ledger written with no index at all: built at start. */
static void test_rebuild_missing(void **state)
{
	struct test_ledger *f = *state;
	struct ember_hist_entry e[16];
	struct ember_txn *t;
	uint64_t heights[5], blocks, entries, h;
	int more;

	write_chain(f->s, 0, heights);
	assert_int_equal(history_count(f->s), 0);
	assert_int_equal(page(f->s, 1, NULL, e, 16, &more), 0);
	reopen(f);
	assert_int_equal(ember_history_sync(f->s, &blocks, &entries), 0);
	assert_int_equal(blocks, 301);
	/* 10 txs; every transfer but the one to itself names two accounts */
	assert_int_equal(entries, 17);
	assert_int_equal(history_count(f->s), 17);
	check_acct1(e, page(f->s, 1, NULL, e, 16, &more));
	assert_int_equal(ember_store_read(f->s, &t), 0);
	assert_int_equal(ember_history_height(t, &h), 0);
	assert_int_equal(h, 300);
	ember_txn_abort(t);
	/* a second start has nothing to do */
	reopen(f);
	assert_int_equal(ember_history_sync(f->s, &blocks, &entries), 0);
	assert_int_equal(blocks, 0);
	assert_int_equal(entries, 0);
	assert_int_equal(history_count(f->s), 17);
}

/* Blocks written by a node without the index after some with it: only
 * those are indexed; and the index built by a rebuild equals the one
 * kept block by block. */
static void test_rebuild_behind(void **state)
{
	struct test_ledger *f = *state;
	static const struct ttx x1[] = { { EMBER_TX_TRANSFER, 1, 2, 0 } };
	static const struct ttx x2[] = { { EMBER_TX_TRANSFER, 2, 1, 0 } };
	static const struct ttx x3[] = { { EMBER_TX_TRANSFER, 1, 3, 1 } };
	struct ember_hist_entry e[8];
	struct tblock tb;
	uint64_t blocks, entries;
	int more;

	put_block(f->s, 0, NULL, 0, 1, &tb);
	put_block(f->s, 1, x1, 1, 1, &tb);
	put_block(f->s, 2, x2, 1, 0, &tb);
	put_block(f->s, 3, x3, 1, 0, &tb);
	assert_int_equal(history_count(f->s), 2);
	assert_int_equal(ember_history_sync(f->s, &blocks, &entries), 0);
	assert_int_equal(blocks, 2);
	assert_int_equal(entries, 4);
	assert_int_equal(page(f->s, 1, NULL, e, 8, &more), 3);
	assert_int_equal(e[0].height, 3);
	assert_int_equal(e[1].height, 2);
	assert_int_equal(e[1].role, EMBER_HIST_RECIPIENT);
	assert_int_equal(e[2].height, 1);
}

/* Without the start-up rebuild, the next block's commit fills the gap
 * before indexing itself: the index never has a hole. */
static void test_commit_fills_gap(void **state)
{
	struct test_ledger *f = *state;
	struct ember_hist_entry e[16];
	struct ember_txn *t;
	struct tblock tb;
	static const struct ttx x[] = { { EMBER_TX_TRANSFER, 9, 1, 0 } };
	uint64_t heights[5], h;
	int more;

	write_chain(f->s, 0, heights);
	put_block(f->s, 301, x, 1, 1, &tb);
	assert_int_equal(history_count(f->s), 19);
	assert_int_equal(page(f->s, 1, NULL, e, 16, &more), NEXP + 1);
	assert_int_equal(e[0].height, 301);
	check_acct1(e + 1, NEXP);
	assert_int_equal(ember_store_read(f->s, &t), 0);
	assert_int_equal(ember_history_height(t, &h), 0);
	assert_int_equal(h, 301);
	ember_txn_abort(t);
}

static void test_empty_store(void **state)
{
	struct test_ledger *f = *state;
	struct ember_hist_entry e[2];
	struct ember_txn *t;
	uint64_t blocks = 9, entries = 9, h;
	uint8_t a[32];
	size_t n;
	int more;

	assert_int_equal(ember_history_sync(f->s, &blocks, &entries), 0);
	assert_int_equal(blocks, 0);
	assert_int_equal(entries, 0);
	assert_int_equal(ember_store_read(f->s, &t), 0);
	assert_int_equal(ember_history_height(t, &h), EMBER_ENOTFOUND);
	who_key(a, 1);
	assert_int_equal(ember_history_page(t, a, NULL, e, 0, &n, &more), EMBER_EINVAL);
	assert_int_equal(ember_history_page(t, a, NULL, e, 2, &n, &more), 0);
	assert_int_equal(n, 0);
	ember_txn_abort(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_order),
		cmocka_unit_test(test_cursor_text),
		cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_exclusive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuild_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuild_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_fills_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_store, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
