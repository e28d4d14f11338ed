/* test_block.c - header, block and certificate wire forms, strict decoding,
 * size limits, and the block, vote and tx-root hashes.  Reference bytes are
 * assembled by hand from the layout in block.h; hashes are recomputed with
 * plain SHA-256. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ember/block.h"
#include "ember/hash.h"
#include "ember/tx.h"

/* ---- header ---------------------------------------------------------- */

static uint8_t hdr_ref[EMBER_HEADER_SIZE];

/* height 0x0102030405060708, time_ms 1700000000000 (0x18bcfe56800),
 * hashes filled with a1/a2/a3/a4, tx_count given. */
static void build_hdr(uint32_t tx_count)
{
	static const uint8_t height[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
	static const uint8_t time[8] = { 0x00, 0x68, 0xe5, 0xcf, 0x8b, 0x01, 0, 0 };
	uint8_t *p = hdr_ref;
	*p++ = 0x01;
	memcpy(p, height, 8), p += 8;
	memcpy(p, time, 8), p += 8;
	memset(p, 0xa1, 32), p += 32;
	memset(p, 0xa2, 32), p += 32;
	memset(p, 0xa3, 32), p += 32;
	memset(p, 0xa4, 32), p += 32;
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)(tx_count >> (8 * i));
	assert_int_equal(p - hdr_ref, EMBER_HEADER_SIZE);
	assert_int_equal(EMBER_HEADER_SIZE, 149);
}

static void ref_header(struct ember_header *h, uint32_t tx_count)
{
	memset(h, 0, sizeof(*h));
	h->version = 1;
	h->height = 0x0102030405060708ULL;
	h->time_ms = 1700000000000ULL;
	memset(h->prev_hash, 0xa1, 32);
	memset(h->tx_root, 0xa2, 32);
	memset(h->state_root, 0xa3, 32);
	memset(h->proposer, 0xa4, 32);
	h->tx_count = tx_count;
}

static void test_header(void **state)
{
	struct ember_header h, back;
	uint8_t out[EMBER_HEADER_SIZE + 1], want[32], got[32];
	(void)state;
	build_hdr(0x01020304);
	ref_header(&h, 0x01020304);
	assert_int_equal(ember_header_encode(&h, out), 0);
	assert_memory_equal(out, hdr_ref, EMBER_HEADER_SIZE);

	assert_int_equal(ember_header_decode(&back, hdr_ref, EMBER_HEADER_SIZE), 0);
	assert_int_equal(back.version, 1);
	assert_true(back.height == h.height && back.time_ms == h.time_ms);
	assert_memory_equal(back.prev_hash, h.prev_hash, 32);
	assert_memory_equal(back.tx_root, h.tx_root, 32);
	assert_memory_equal(back.state_root, h.state_root, 32);
	assert_memory_equal(back.proposer, h.proposer, 32);
	assert_int_equal(back.tx_count, 0x01020304);

	ember_header_hash(&h, got);
	ember_sha256(hdr_ref, EMBER_HEADER_SIZE, want);
	assert_memory_equal(got, want, 32);
	/* Every field is covered by the hash. */
	back = h, back.time_ms++;
	ember_header_hash(&back, got);
	assert_memory_not_equal(got, want, 32);
	back = h, back.tx_count--;
	ember_header_hash(&back, got);
	assert_memory_not_equal(got, want, 32);

	for (size_t k = 0; k < EMBER_HEADER_SIZE; k++)
		assert_int_equal(ember_header_decode(&back, hdr_ref, k), EMBER_ENC_TRUNCATED);
	memcpy(out, hdr_ref, EMBER_HEADER_SIZE);
	out[EMBER_HEADER_SIZE] = 0;
	assert_int_equal(ember_header_decode(&back, out, sizeof(out)), EMBER_ENC_TRAILING);
	out[0] = 0;
	assert_int_equal(ember_header_decode(&back, out, EMBER_HEADER_SIZE), EMBER_ENC_VERSION);
	out[0] = 2;
	assert_int_equal(ember_header_decode(&back, out, EMBER_HEADER_SIZE), EMBER_ENC_VERSION);

	h.version = 2;
	assert_int_equal(ember_header_encode(&h, out), EMBER_EINVAL);
}

/* ---- block ----------------------------------------------------------- */

#define TX1_LEN 200    /* varint c8 01 */
#define TX2_LEN 4096   /* varint 80 20, the largest tx */
#define BLK_LEN (EMBER_HEADER_SIZE + 1 + (1 + 1) + (2 + TX1_LEN) + (2 + TX2_LEN))

static uint8_t tx0[1] = { 0xaa };
static uint8_t tx1[TX1_LEN];
static uint8_t tx2[TX2_LEN];
static uint8_t blk_ref[BLK_LEN];

static void build_block(void)
{
	uint8_t *p = blk_ref;
	memset(tx1, 0xbb, sizeof(tx1));
	memset(tx2, 0xcc, sizeof(tx2));
	build_hdr(3);
	memcpy(p, hdr_ref, EMBER_HEADER_SIZE), p += EMBER_HEADER_SIZE;
	*p++ = 0x03;
	*p++ = 0x01, *p++ = 0xaa;
	*p++ = 0xc8, *p++ = 0x01;
	memset(p, 0xbb, TX1_LEN), p += TX1_LEN;
	*p++ = 0x80, *p++ = 0x20;
	memset(p, 0xcc, TX2_LEN), p += TX2_LEN;
	assert_int_equal(p - blk_ref, BLK_LEN);
}

static void ref_txs(struct ember_txref txs[3])
{
	txs[0] = (struct ember_txref){ tx0, 1 };
	txs[1] = (struct ember_txref){ tx1, TX1_LEN };
	txs[2] = (struct ember_txref){ tx2, TX2_LEN };
}

static uint8_t scratch[BLK_LEN + 64];

static void test_block_roundtrip(void **state)
{
	struct ember_header h, back;
	struct ember_txref txs[3], got[4];
	size_t n = 0, ntx = 0;
	(void)state;
	build_block();
	ref_header(&h, 3);
	ref_txs(txs);
	assert_int_equal(ember_block_encoded_size(txs, 3), BLK_LEN);
	assert_int_equal(ember_block_encode(&h, txs, 3, scratch, sizeof(scratch), &n), 0);
	assert_int_equal(n, BLK_LEN);
	assert_memory_equal(scratch, blk_ref, BLK_LEN);

	assert_int_equal(ember_block_decode(&back, got, 4, &ntx, blk_ref, BLK_LEN), 0);
	assert_int_equal(ntx, 3);
	assert_int_equal(back.tx_count, 3);
	assert_ptr_equal(got[0].p, blk_ref + EMBER_HEADER_SIZE + 2);
	assert_int_equal(got[0].len, 1);
	assert_ptr_equal(got[1].p, blk_ref + EMBER_HEADER_SIZE + 5);
	assert_int_equal(got[1].len, TX1_LEN);
	assert_ptr_equal(got[2].p, blk_ref + BLK_LEN - TX2_LEN);
	assert_int_equal(got[2].len, TX2_LEN);

	/* maxtx exactly the count is enough. */
	assert_int_equal(ember_block_decode(&back, got, 3, &ntx, blk_ref, BLK_LEN), 0);

	/* Every capacity short of the size fails. */
	for (size_t cap = 0; cap < BLK_LEN; cap += (cap < 300 ? 1 : 97)) {
		n = 12345;
		assert_int_equal(ember_block_encode(&h, txs, 3, scratch, cap, &n),
		                 EMBER_ENC_BUFFER);
		assert_int_equal(n, 12345);
	}
	assert_int_equal(ember_block_encode(&h, txs, 3, scratch, BLK_LEN - 1, &n),
	                 EMBER_ENC_BUFFER);
}

static void test_block_empty(void **state)
{
	struct ember_header h, back;
	struct ember_txref got[1];
	uint8_t want[EMBER_HEADER_SIZE + 1];
	size_t n, ntx = 99;
	(void)state;
	build_hdr(0);
	memcpy(want, hdr_ref, EMBER_HEADER_SIZE);
	want[EMBER_HEADER_SIZE] = 0x00;
	ref_header(&h, 0);
	assert_int_equal(ember_block_encode(&h, NULL, 0, scratch, sizeof(scratch), &n), 0);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(scratch, want, sizeof(want));
	assert_int_equal(ember_block_decode(&back, got, 0, &ntx, want, sizeof(want)), 0);
	assert_int_equal(ntx, 0);
	/* The header alone is not a block. */
	assert_int_equal(ember_block_decode(&back, got, 1, &ntx, want, EMBER_HEADER_SIZE),
	                 EMBER_ENC_TRUNCATED);
}

static void test_block_truncated_every_offset(void **state)
{
	struct ember_header h;
	struct ember_txref got[3];
	size_t ntx = 77;
	(void)state;
	build_block();
	for (size_t k = 0; k < BLK_LEN; k++) {
		assert_int_equal(ember_block_decode(&h, got, 3, &ntx, blk_ref, k),
		                 EMBER_ENC_TRUNCATED);
		assert_int_equal(ntx, 77);
	}
	memcpy(scratch, blk_ref, BLK_LEN);
	scratch[BLK_LEN] = 0;
	assert_int_equal(ember_block_decode(&h, got, 3, &ntx, scratch, BLK_LEN + 1),
	                 EMBER_ENC_TRAILING);
}

/* Block bytes = header(tx_count) || body, into scratch. */
static size_t raw_block(uint32_t tx_count, const uint8_t *body, size_t blen)
{
	build_hdr(tx_count);
	memcpy(scratch, hdr_ref, EMBER_HEADER_SIZE);
	memcpy(scratch + EMBER_HEADER_SIZE, body, blen);
	return EMBER_HEADER_SIZE + blen;
}

struct bad_block {
	const char *what;
	uint32_t tx_count;
	size_t blen;
	uint8_t body[16];
	int err;
};

static const struct bad_block bad_blocks[] = {
	{ "count below header", 2, 3, { 0x01, 0x01, 0xaa }, EMBER_BLK_TX_ROOT },
	{ "count above header", 1, 5, { 0x02, 0x01, 0xaa, 0x01, 0xab }, EMBER_BLK_TX_ROOT },
	{ "zero-length tx", 1, 2, { 0x01, 0x00 }, EMBER_ENC_OVERSIZE },
	/* the largest kind (a proof) may be 131072 bytes; one more is too long */
	{ "tx of 131073 bytes", 1, 4, { 0x01, 0x81, 0x80, 0x08 }, EMBER_ENC_OVERSIZE },
	{ "tx of 2^32 bytes", 1, 6, { 0x01, 0x80, 0x80, 0x80, 0x80, 0x10 }, EMBER_ENC_OVERSIZE },
	{ "tx length 1 in two bytes", 1, 4, { 0x01, 0x81, 0x00, 0xaa }, EMBER_ENC_VARINT },
	{ "tx length in eleven bytes", 1, 12,
	  { 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 },
	  EMBER_ENC_VARINT },
	{ "count 1 in two bytes", 1, 4, { 0x81, 0x00, 0x01, 0xaa }, EMBER_ENC_VARINT },
	{ "count 0 in two bytes", 0, 2, { 0x80, 0x00 }, EMBER_ENC_VARINT },
	{ "count over the block limit", 100001, 3, { 0xa1, 0x8d, 0x06 }, EMBER_BLK_TOO_LARGE },
	{ "count of 2^64-1", 1, 10,
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, EMBER_BLK_TOO_LARGE },
	{ "count beyond 64 bits", 1, 10,
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03 }, EMBER_ENC_VARINT },
};

static void test_block_reject(void **state)
{
	struct ember_header h;
	struct ember_txref *got = calloc(EMBER_BLOCK_MAX_TXS, sizeof(*got));
	size_t ntx;
	(void)state;
	assert_non_null(got);
	for (size_t i = 0; i < sizeof(bad_blocks) / sizeof(bad_blocks[0]); i++) {
		const struct bad_block *c = &bad_blocks[i];
		size_t n = raw_block(c->tx_count, c->body, c->blen);
		int rc = ember_block_decode(&h, got, EMBER_BLOCK_MAX_TXS, &ntx, scratch, n);
		if (rc != c->err)
			fail_msg("%s: got %d, want %d", c->what, rc, c->err);
	}

	/* 0x8d 0x06 after 0xa1 is 100001: sanity of the table's arithmetic. */
	assert_int_equal(0x21 | 0x0d << 7 | 0x06 << 14, 100001);

	/* A count the caller has no room for. */
	build_block();
	assert_int_equal(ember_block_decode(&h, got, 2, &ntx, blk_ref, BLK_LEN),
	                 EMBER_BLK_TOO_LARGE);

	/* Wrong version inside a block. */
	memcpy(scratch, blk_ref, BLK_LEN);
	scratch[0] = 2;
	assert_int_equal(ember_block_decode(&h, got, 3, &ntx, scratch, BLK_LEN),
	                 EMBER_ENC_VERSION);
	free(got);
}

/*
 * The size limit at its edge: a block of exactly EMBER_BLOCK_MAX_SIZE bytes
 * encodes and decodes, one byte more does not.  Built from 8187 maximal
 * txs and one filler, all pointing at the same bytes.
 */
static void test_block_size_limit(void **state)
{
	const size_t nfull = 8187, ntx = nfull + 1;
	const size_t head = EMBER_HEADER_SIZE + 2;        /* 8188 is a 2-byte varint */
	const size_t used = head + nfull * (2 + TX2_LEN);
	const size_t last = EMBER_BLOCK_MAX_SIZE - used - 2;
	struct ember_txref *txs = calloc(ntx + 1, sizeof(*txs));
	uint8_t *out = malloc(EMBER_BLOCK_MAX_SIZE + 1);
	struct ember_header h, back;
	size_t n = 0, got = 0;
	(void)state;
	assert_non_null(txs);
	assert_non_null(out);
	assert_true(last >= 128 && last < TX2_LEN);

	memset(tx2, 0xcc, sizeof(tx2));
	for (size_t i = 0; i < nfull; i++)
		txs[i] = (struct ember_txref){ tx2, TX2_LEN };
	txs[nfull] = (struct ember_txref){ tx2, last };
	ref_header(&h, (uint32_t)ntx);
	assert_int_equal(ember_block_encoded_size(txs, ntx), EMBER_BLOCK_MAX_SIZE);
	assert_int_equal(ember_block_encode(&h, txs, ntx, out, EMBER_BLOCK_MAX_SIZE, &n), 0);
	assert_int_equal(n, EMBER_BLOCK_MAX_SIZE);
	assert_int_equal(ember_block_decode(&back, txs, ntx, &got, out, n), 0);
	assert_int_equal(got, ntx);

	/* One byte over: the encoder says too large, not buffer too small. */
	txs[nfull] = (struct ember_txref){ tx2, last + 1 };
	assert_int_equal(ember_block_encode(&h, txs, ntx, out, EMBER_BLOCK_MAX_SIZE + 1, &n),
	                 EMBER_BLK_TOO_LARGE);
	/* The decoder refuses an over-long input before reading it. */
	out[EMBER_BLOCK_MAX_SIZE] = 0;
	assert_int_equal(ember_block_decode(&back, txs, ntx, &got, out,
	                                    EMBER_BLOCK_MAX_SIZE + 1), EMBER_BLK_TOO_LARGE);
	free(out);
	free(txs);
}

static void test_block_encode_misuse(void **state)
{
	struct ember_txref *txs = calloc(EMBER_BLOCK_MAX_TXS + 1, sizeof(*txs));
	struct ember_header h;
	size_t n;
	(void)state;
	assert_non_null(txs);
	for (size_t i = 0; i <= EMBER_BLOCK_MAX_TXS; i++)
		txs[i] = (struct ember_txref){ tx0, 1 };

	ref_header(&h, EMBER_BLOCK_MAX_TXS + 1);
	assert_int_equal(ember_block_encode(&h, txs, EMBER_BLOCK_MAX_TXS + 1, scratch,
	                                    sizeof(scratch), &n), EMBER_BLK_TOO_LARGE);
	/* Header count disagrees with the txs given. */
	ref_header(&h, 2);
	assert_int_equal(ember_block_encode(&h, txs, 1, scratch, sizeof(scratch), &n),
	                 EMBER_EINVAL);
	/* Txs the decoder would refuse. */
	ref_header(&h, 1);
	txs[0].len = 0;
	assert_int_equal(ember_block_encode(&h, txs, 1, scratch, sizeof(scratch), &n),
	                 EMBER_EINVAL);
	{
		static uint8_t big[EMBER_TX_PROOF_MAX_SIZE + 1];
		txs[0] = (struct ember_txref){ big, sizeof(big) };
		assert_int_equal(ember_block_encode(&h, txs, 1, scratch, sizeof(scratch), &n),
		                 EMBER_EINVAL);
	}
	txs[0] = (struct ember_txref){ tx0, 1 };
	h.version = 0;
	assert_int_equal(ember_block_encode(&h, txs, 1, scratch, sizeof(scratch), &n),
	                 EMBER_EINVAL);
	free(txs);
}

/* ---- certificate ----------------------------------------------------- */

#define CERT_LEN (4 + 1 + 2 * 96)

static void build_cert(uint8_t *p)
{
	*p++ = 7, *p++ = 0, *p++ = 0, *p++ = 0;
	*p++ = 2;
	memset(p, 0x01, 32), p += 32;
	memset(p, 0x02, 64), p += 64;
	memset(p, 0x03, 32), p += 32;
	memset(p, 0x04, 64);
}

static void test_cert(void **state)
{
	static struct ember_cert c, back;
	uint8_t want[CERT_LEN + 1], out[CERT_LEN + 1];
	size_t n;
	(void)state;
	build_cert(want);
	memset(&c, 0, sizeof(c));
	c.round = 7;
	c.nsig = 2;
	memset(c.sigs[0].validator, 0x01, 32);
	memset(c.sigs[0].sig, 0x02, 64);
	memset(c.sigs[1].validator, 0x03, 32);
	memset(c.sigs[1].sig, 0x04, 64);
	assert_int_equal(ember_cert_encoded_size(&c), CERT_LEN);
	assert_int_equal(ember_cert_encode(&c, out, sizeof(out), &n), 0);
	assert_int_equal(n, CERT_LEN);
	assert_memory_equal(out, want, CERT_LEN);
	assert_int_equal(ember_cert_encode(&c, out, CERT_LEN - 1, &n), EMBER_ENC_BUFFER);

	assert_int_equal(ember_cert_decode(&back, want, CERT_LEN), 0);
	assert_int_equal(back.round, 7);
	assert_int_equal(back.nsig, 2);
	assert_memory_equal(back.sigs, c.sigs, 2 * sizeof(c.sigs[0]));

	for (size_t k = 0; k < CERT_LEN; k++)
		assert_int_equal(ember_cert_decode(&back, want, k), EMBER_ENC_TRUNCATED);
	want[CERT_LEN] = 0;
	assert_int_equal(ember_cert_decode(&back, want, CERT_LEN + 1), EMBER_ENC_TRAILING);

	/* nsig 2 spelled 82 00; nsig 1025 = 81 08; nsig 0 is a valid empty cert. */
	static const uint8_t nonmin[] = { 7, 0, 0, 0, 0x82, 0x00 };
	static const uint8_t toomany[] = { 7, 0, 0, 0, 0x81, 0x08 };
	static const uint8_t empty[] = { 7, 0, 0, 0, 0x00 };
	assert_int_equal(ember_cert_decode(&back, nonmin, sizeof(nonmin)), EMBER_ENC_VARINT);
	assert_int_equal(ember_cert_decode(&back, toomany, sizeof(toomany)), EMBER_ENC_OVERSIZE);
	assert_int_equal(ember_cert_decode(&back, empty, sizeof(empty)), 0);
	assert_int_equal(back.nsig, 0);

	c.nsig = EMBER_CERT_MAX_SIGS + 1;
	assert_int_equal(ember_cert_encode(&c, out, sizeof(out), &n), EMBER_EINVAL);
}

static void test_cert_max(void **state)
{
	static struct ember_cert c, back;
	const size_t len = 4 + 2 + (size_t)EMBER_CERT_MAX_SIGS * 96;
	uint8_t *buf = malloc(len);
	size_t n;
	(void)state;
	assert_non_null(buf);
	c.round = 0xffffffffu;
	c.nsig = EMBER_CERT_MAX_SIGS;
	for (size_t i = 0; i < EMBER_CERT_MAX_SIGS; i++) {
		memset(c.sigs[i].validator, (int)(i & 0xff), 32);
		memset(c.sigs[i].sig, (int)(i >> 2), 64);
	}
	assert_int_equal(ember_cert_encoded_size(&c), len);
	assert_int_equal(ember_cert_encode(&c, buf, len, &n), 0);
	assert_int_equal(n, len);
	/* 1024 = 80 08 */
	assert_int_equal(buf[4], 0x80);
	assert_int_equal(buf[5], 0x08);
	assert_int_equal(ember_cert_decode(&back, buf, len), 0);
	assert_int_equal(back.round, 0xffffffffu);
	assert_memory_equal(back.sigs, c.sigs, sizeof(c.sigs));
	free(buf);
}

/* ---- hashes ---------------------------------------------------------- */

static void test_vote_hash(void **state)
{
	uint8_t bh[32], msg[1 + 10 + 1 + 8 + 4 + 32], buf[64 + sizeof(msg)];
	uint8_t want[32], got[32];
	uint8_t *p = msg;
	(void)state;
	memset(bh, 0x5e, 32);
	*p++ = 10;
	memcpy(p, "ember-test", 10), p += 10;
	*p++ = EMBER_VOTE_PRECOMMIT;
	memcpy(p, (const uint8_t[]){ 0x2a, 0, 0, 0, 0, 0, 0, 0 }, 8), p += 8;
	memcpy(p, (const uint8_t[]){ 0x03, 0x01, 0, 0 }, 4), p += 4;
	memcpy(p, bh, 32);

	ember_sha256("ember/vote", 10, buf);
	memcpy(buf + 32, buf, 32);
	memcpy(buf + 64, msg, sizeof(msg));
	ember_sha256(buf, sizeof(buf), want);

	ember_vote_hash("ember-test", EMBER_VOTE_PRECOMMIT, 42, 0x103, bh, got);
	assert_memory_equal(got, want, 32);

	/* Type, height, round, chain and block each change it. */
	ember_vote_hash("ember-test", EMBER_VOTE_PREVOTE, 42, 0x103, bh, got);
	assert_memory_not_equal(got, want, 32);
	ember_vote_hash("ember-test", EMBER_VOTE_PRECOMMIT, 43, 0x103, bh, got);
	assert_memory_not_equal(got, want, 32);
	ember_vote_hash("ember-test", EMBER_VOTE_PRECOMMIT, 42, 0x104, bh, got);
	assert_memory_not_equal(got, want, 32);
	ember_vote_hash("ember-tesu", EMBER_VOTE_PRECOMMIT, 42, 0x103, bh, got);
	assert_memory_not_equal(got, want, 32);
	bh[0] ^= 1;
	ember_vote_hash("ember-test", EMBER_VOTE_PRECOMMIT, 42, 0x103, bh, got);
	assert_memory_not_equal(got, want, 32);
}

static void leaf(const uint8_t txid[32], uint8_t out[32])
{
	uint8_t b[33];
	b[0] = 0x00;
	memcpy(b + 1, txid, 32);
	ember_sha256(b, sizeof(b), out);
}

static void node(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	uint8_t b[65];
	b[0] = 0x01;
	memcpy(b + 1, l, 32);
	memcpy(b + 33, r, 32);
	ember_sha256(b, sizeof(b), out);
}

static void test_tx_root(void **state)
{
	uint8_t ids[5][32], sc[5][32], got[32], want[32];
	uint8_t l[5][32], n01[32], n23[32], n0123[32];
	(void)state;
	for (int i = 0; i < 5; i++) {
		memset(ids[i], 0x10 + i, 32);
		leaf(ids[i], l[i]);
	}

	ember_tx_root(ids, 0, sc, got);
	ember_sha256("", 0, want);
	assert_memory_equal(got, want, 32);

	ember_tx_root(ids, 1, sc, got);
	assert_memory_equal(got, l[0], 32);

	node(l[0], l[1], n01);
	ember_tx_root(ids, 2, sc, got);
	assert_memory_equal(got, n01, 32);

	/* Three leaves split 2 + 1. */
	node(n01, l[2], want);
	ember_tx_root(ids, 3, sc, got);
	assert_memory_equal(got, want, 32);

	/* Five leaves split 4 + 1. */
	node(l[2], l[3], n23);
	node(n01, n23, n0123);
	node(n0123, l[4], want);
	ember_tx_root(ids, 5, sc, got);
	assert_memory_equal(got, want, 32);

	/* The txids are input only. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(ids[i][0], 0x10 + i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_block_roundtrip),
		cmocka_unit_test(test_block_empty),
		cmocka_unit_test(test_block_truncated_every_offset),
		cmocka_unit_test(test_block_reject),
		cmocka_unit_test(test_block_size_limit),
		cmocka_unit_test(test_block_encode_misuse),
		cmocka_unit_test(test_cert),
		cmocka_unit_test(test_cert_max),
		cmocka_unit_test(test_vote_hash),
		cmocka_unit_test(test_tx_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
