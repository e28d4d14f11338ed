/* test_block.c - header, block and certificate wire forms (version 2: the
 * last commit and signed precommit times), strict decoding, size limits,
 * and the block, vote, last-commit and tx-root hashes.  Reference bytes are
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

/* Offsets in the header, counted from the layout in block.h. */
#define OFF_TIME (1 + 8)
#define OFF_LCH (1 + 8 + 8 + 32)

/* Version 2, height 0x0102030405060708, time_ms 1700000000000
 * (0x18bcfe56800), prev_hash a1, last_commit_hash lch, tx_root a2,
 * state_root a3, proposer a4, tx_count given. */
static void build_hdr(uint32_t tx_count, const uint8_t lch[32])
{
	static const uint8_t height[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
	static const uint8_t time[8] = { 0x00, 0x68, 0xe5, 0xcf, 0x8b, 0x01, 0, 0 };
	uint8_t *p = hdr_ref;
	*p++ = 0x02;
	memcpy(p, height, 8), p += 8;
	memcpy(p, time, 8), p += 8;
	memset(p, 0xa1, 32), p += 32;
	assert_int_equal(p - hdr_ref, OFF_LCH);
	memcpy(p, lch, 32), p += 32;
	memset(p, 0xa2, 32), p += 32;
	memset(p, 0xa3, 32), p += 32;
	memset(p, 0xa4, 32), p += 32;
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)(tx_count >> (8 * i));
	assert_int_equal(p - hdr_ref, EMBER_HEADER_SIZE);
	/* 1 + 8 + 8 + 5 x 32 + 4 */
	assert_int_equal(EMBER_HEADER_SIZE, 181);
}

static void ref_header(struct ember_header *h, uint32_t tx_count, const uint8_t lch[32])
{
	memset(h, 0, sizeof(*h));
	h->version = 2;
	h->height = 0x0102030405060708ULL;
	h->time_ms = 1700000000000ULL;
	memset(h->prev_hash, 0xa1, 32);
	memcpy(h->last_commit_hash, lch, 32);
	memset(h->tx_root, 0xa2, 32);
	memset(h->state_root, 0xa3, 32);
	memset(h->proposer, 0xa4, 32);
	h->tx_count = tx_count;
}

static const uint8_t zero32[32];

static void test_header(void **state)
{
	struct ember_header h, back;
	uint8_t out[EMBER_HEADER_SIZE + 1], want[32], got[32], lch[32];
	(void)state;
	memset(lch, 0xa5, 32);
	build_hdr(0x01020304, lch);
	ref_header(&h, 0x01020304, lch);
	assert_int_equal(ember_header_encode(&h, out), 0);
	assert_memory_equal(out, hdr_ref, EMBER_HEADER_SIZE);

	assert_int_equal(ember_header_decode(&back, hdr_ref, EMBER_HEADER_SIZE), 0);
	assert_int_equal(back.version, 2);
	assert_true(back.height == h.height && back.time_ms == h.time_ms);
	assert_memory_equal(back.prev_hash, h.prev_hash, 32);
	assert_memory_equal(back.last_commit_hash, lch, 32);
	assert_memory_equal(back.tx_root, h.tx_root, 32);
	assert_memory_equal(back.state_root, h.state_root, 32);
	assert_memory_equal(back.proposer, h.proposer, 32);
	assert_int_equal(back.tx_count, 0x01020304);

	ember_header_hash(&h, got);
	ember_sha256(hdr_ref, EMBER_HEADER_SIZE, want);
	assert_memory_equal(got, want, 32);
	/* Every field is covered by the hash, the last commit's too. */
	back = h, back.time_ms++;
	ember_header_hash(&back, got);
	assert_memory_not_equal(got, want, 32);
	back = h, back.tx_count--;
	ember_header_hash(&back, got);
	assert_memory_not_equal(got, want, 32);
	back = h, back.last_commit_hash[31] ^= 1;
	ember_header_hash(&back, got);
	assert_memory_not_equal(got, want, 32);

	for (size_t k = 0; k < EMBER_HEADER_SIZE; k++)
		assert_int_equal(ember_header_decode(&back, hdr_ref, k), EMBER_ENC_TRUNCATED);
	memcpy(out, hdr_ref, EMBER_HEADER_SIZE);
	out[EMBER_HEADER_SIZE] = 0;
	assert_int_equal(ember_header_decode(&back, out, sizeof(out)), EMBER_ENC_TRAILING);
	/* Version 1 (no last commit) is no longer read, nor 0 or 3. */
	out[0] = 0;
	assert_int_equal(ember_header_decode(&back, out, EMBER_HEADER_SIZE), EMBER_ENC_VERSION);
	out[0] = 1;
	assert_int_equal(ember_header_decode(&back, out, EMBER_HEADER_SIZE), EMBER_ENC_VERSION);
	out[0] = 3;
	assert_int_equal(ember_header_decode(&back, out, EMBER_HEADER_SIZE), EMBER_ENC_VERSION);

	h.version = 1;
	assert_int_equal(ember_header_encode(&h, out), EMBER_EINVAL);
	h.version = 3;
	assert_int_equal(ember_header_encode(&h, out), EMBER_EINVAL);
}

/* ---- certificate bytes ----------------------------------------------- */

/* round 7, two sigs: validator 01.., time 0x0102030405060708, sig 02..;
 * validator 03.., time 1700000000000 (0x18bcfe56800), sig 04.. */
#define SIG_LEN (32 + 8 + 64)
#define CERT_LEN (4 + 1 + 2 * SIG_LEN)     /* 213: varint d5 01 */
#define CERT_TIME0 0x0102030405060708ULL
#define CERT_TIME1 1700000000000ULL
#define OFF_CERT_TIME0 (4 + 1 + 32)

static void build_cert(uint8_t *p)
{
	*p++ = 7, *p++ = 0, *p++ = 0, *p++ = 0;
	*p++ = 2;
	memset(p, 0x01, 32), p += 32;
	memcpy(p, (const uint8_t[]){ 8, 7, 6, 5, 4, 3, 2, 1 }, 8), p += 8;
	memset(p, 0x02, 64), p += 64;
	memset(p, 0x03, 32), p += 32;
	memcpy(p, (const uint8_t[]){ 0x00, 0x68, 0xe5, 0xcf, 0x8b, 0x01, 0, 0 }, 8), p += 8;
	memset(p, 0x04, 64);
}

/* ---- block ----------------------------------------------------------- */

#define TX1_LEN 200    /* varint c8 01 */
#define TX2_LEN 4096   /* varint 80 20, the largest tx */
/* header || lc_len (d5 01) || last commit || ntx || 3 x (len || tx) */
#define OFF_LC (EMBER_HEADER_SIZE + 2)
#define OFF_TXS (OFF_LC + CERT_LEN)
#define BLK_LEN (OFF_TXS + 1 + (1 + 1) + (2 + TX1_LEN) + (2 + TX2_LEN))

static uint8_t tx0[1] = { 0xaa };
static uint8_t tx1[TX1_LEN];
static uint8_t tx2[TX2_LEN];
static uint8_t lc_ref[CERT_LEN];      /* the reference block's last commit */
static uint8_t lch_ref[32];           /* SHA-256 of lc_ref */
static uint8_t blk_ref[BLK_LEN];

/* The reference block: 3 txs and a last commit (a certificate encoding). */
static void build_block(void)
{
	uint8_t *p = blk_ref;
	memset(tx1, 0xbb, sizeof(tx1));
	memset(tx2, 0xcc, sizeof(tx2));
	build_cert(lc_ref);
	ember_sha256(lc_ref, CERT_LEN, lch_ref);
	build_hdr(3, lch_ref);
	memcpy(p, hdr_ref, EMBER_HEADER_SIZE), p += EMBER_HEADER_SIZE;
	*p++ = 0xd5, *p++ = 0x01;             /* 213 = 0x55 + 1 x 128 */
	assert_int_equal(p - blk_ref, OFF_LC);
	memcpy(p, lc_ref, CERT_LEN), p += CERT_LEN;
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
	const uint8_t *lc = NULL;
	size_t n = 0, ntx = 0, lclen = 0;
	uint8_t lh[32];
	(void)state;
	build_block();
	ref_header(&h, 3, lch_ref);
	ref_txs(txs);
	/* The header's last_commit_hash of a non-empty last commit is its
	 * SHA-256. */
	ember_last_commit_hash(lc_ref, CERT_LEN, lh);
	assert_memory_equal(lh, lch_ref, 32);
	assert_int_equal(ember_block_encoded_size(CERT_LEN, txs, 3), BLK_LEN);
	assert_int_equal(ember_block_encode(&h, lc_ref, CERT_LEN, txs, 3, scratch,
	                                    sizeof(scratch), &n), 0);
	assert_int_equal(n, BLK_LEN);
	assert_memory_equal(scratch, blk_ref, BLK_LEN);

	assert_int_equal(ember_block_decode(&back, &lc, &lclen, got, 4, &ntx, blk_ref,
	                                    BLK_LEN), 0);
	assert_int_equal(ntx, 3);
	assert_int_equal(back.tx_count, 3);
	assert_memory_equal(back.last_commit_hash, lch_ref, 32);
	/* The last commit is a view into the input. */
	assert_ptr_equal(lc, blk_ref + OFF_LC);
	assert_int_equal(lclen, CERT_LEN);
	assert_ptr_equal(got[0].p, blk_ref + OFF_TXS + 2);
	assert_int_equal(got[0].len, 1);
	assert_ptr_equal(got[1].p, blk_ref + OFF_TXS + 5);
	assert_int_equal(got[1].len, TX1_LEN);
	assert_ptr_equal(got[2].p, blk_ref + BLK_LEN - TX2_LEN);
	assert_int_equal(got[2].len, TX2_LEN);

	/* maxtx exactly the count is enough; lc and lclen may be NULL. */
	assert_int_equal(ember_block_decode(&back, NULL, NULL, got, 3, &ntx, blk_ref,
	                                    BLK_LEN), 0);

	/* Every capacity short of the size fails. */
	for (size_t cap = 0; cap < BLK_LEN; cap += (cap < 500 ? 1 : 97)) {
		n = 12345;
		assert_int_equal(ember_block_encode(&h, lc_ref, CERT_LEN, txs, 3, scratch,
		                                    cap, &n), EMBER_ENC_BUFFER);
		assert_int_equal(n, 12345);
	}
	assert_int_equal(ember_block_encode(&h, lc_ref, CERT_LEN, txs, 3, scratch,
	                                    BLK_LEN - 1, &n), EMBER_ENC_BUFFER);
}

static void test_block_empty(void **state)
{
	struct ember_header h, back;
	struct ember_txref got[1];
	uint8_t want[EMBER_HEADER_SIZE + 2], lh[32];
	const uint8_t *lc = tx0;
	size_t n, ntx = 99, lclen = 99;
	(void)state;
	/* No last commit: its hash is all zero (not SHA-256 of nothing). */
	ember_last_commit_hash(NULL, 0, lh);
	assert_memory_equal(lh, zero32, 32);
	build_hdr(0, zero32);
	memcpy(want, hdr_ref, EMBER_HEADER_SIZE);
	want[EMBER_HEADER_SIZE] = 0x00;       /* lc_len */
	want[EMBER_HEADER_SIZE + 1] = 0x00;   /* ntx */
	ref_header(&h, 0, zero32);
	assert_int_equal(ember_block_encoded_size(0, NULL, 0), sizeof(want));
	assert_int_equal(ember_block_encode(&h, NULL, 0, NULL, 0, scratch, sizeof(scratch),
	                                    &n), 0);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(scratch, want, sizeof(want));
	assert_int_equal(ember_block_decode(&back, &lc, &lclen, got, 0, &ntx, want,
	                                    sizeof(want)), 0);
	assert_int_equal(ntx, 0);
	assert_int_equal(lclen, 0);
	assert_null(lc);
	/* The header alone is not a block, nor the header and lc_len. */
	assert_int_equal(ember_block_decode(&back, NULL, NULL, got, 1, &ntx, want,
	                                    EMBER_HEADER_SIZE), EMBER_ENC_TRUNCATED);
	assert_int_equal(ember_block_decode(&back, NULL, NULL, got, 1, &ntx, want,
	                                    EMBER_HEADER_SIZE + 1), EMBER_ENC_TRUNCATED);
}

static void test_block_truncated_every_offset(void **state)
{
	struct ember_header h;
	struct ember_txref got[3];
	size_t ntx = 77;
	(void)state;
	build_block();
	for (size_t k = 0; k < BLK_LEN; k++) {
		assert_int_equal(ember_block_decode(&h, NULL, NULL, got, 3, &ntx, blk_ref, k),
		                 EMBER_ENC_TRUNCATED);
		assert_int_equal(ntx, 77);
	}
	memcpy(scratch, blk_ref, BLK_LEN);
	scratch[BLK_LEN] = 0;
	assert_int_equal(ember_block_decode(&h, NULL, NULL, got, 3, &ntx, scratch,
	                                    BLK_LEN + 1), EMBER_ENC_TRAILING);
}

/* Block bytes = header(tx_count, no last commit) || lc_len 0 || body,
 * into scratch. */
static size_t raw_block(uint32_t tx_count, const uint8_t *body, size_t blen)
{
	build_hdr(tx_count, zero32);
	memcpy(scratch, hdr_ref, EMBER_HEADER_SIZE);
	scratch[EMBER_HEADER_SIZE] = 0x00;
	memcpy(scratch + EMBER_HEADER_SIZE + 1, body, blen);
	return EMBER_HEADER_SIZE + 1 + blen;
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
		int rc = ember_block_decode(&h, NULL, NULL, got, EMBER_BLOCK_MAX_TXS, &ntx,
		                            scratch, n);
		if (rc != c->err)
			fail_msg("%s: got %d, want %d", c->what, rc, c->err);
	}

	/* 0x8d 0x06 after 0xa1 is 100001: sanity of the table's arithmetic. */
	assert_int_equal(0x21 | 0x0d << 7 | 0x06 << 14, 100001);

	/* A count the caller has no room for. */
	build_block();
	assert_int_equal(ember_block_decode(&h, NULL, NULL, got, 2, &ntx, blk_ref, BLK_LEN),
	                 EMBER_BLK_TOO_LARGE);

	/* Wrong version inside a block: 1 (the format before the last
	 * commit) and 3. */
	memcpy(scratch, blk_ref, BLK_LEN);
	scratch[0] = 1;
	assert_int_equal(ember_block_decode(&h, NULL, NULL, got, 3, &ntx, scratch, BLK_LEN),
	                 EMBER_ENC_VERSION);
	scratch[0] = 3;
	assert_int_equal(ember_block_decode(&h, NULL, NULL, got, 3, &ntx, scratch, BLK_LEN),
	                 EMBER_ENC_VERSION);
	free(got);
}

/*
 * The last commit binds to the header: its bytes hash (SHA-256; all zero
 * when empty) to the header's last_commit_hash, on both sides.
 */
static void test_block_last_commit(void **state)
{
	struct ember_header h;
	struct ember_txref txs[3], got[3];
	uint8_t sha_empty[32], *big;
	size_t n, ntx = 55;
	(void)state;
	build_block();
	ref_txs(txs);

	/* Decode: one byte of the last commit changed, anywhere in it. */
	for (size_t k = 0; k < CERT_LEN; k += 7) {
		memcpy(scratch, blk_ref, BLK_LEN);
		scratch[OFF_LC + k] ^= 0x40;
		assert_int_equal(ember_block_decode(&h, NULL, NULL, got, 3, &ntx, scratch,
		                                    BLK_LEN), EMBER_BLK_LAST_COMMIT);
		assert_int_equal(ntx, 55);
	}
	/* Decode: the header's last_commit_hash changed, anywhere in it. */
	for (size_t k = 0; k < 32; k++) {
		memcpy(scratch, blk_ref, BLK_LEN);
		scratch[OFF_LCH + k] ^= 0x01;
		assert_int_equal(ember_block_decode(&h, NULL, NULL, got, 3, &ntx, scratch,
		                                    BLK_LEN), EMBER_BLK_LAST_COMMIT);
	}
	/* Decode: a header naming no last commit (zero hash) over a block
	 * that carries one, and the other way round. */
	memcpy(scratch, blk_ref, BLK_LEN);
	memset(scratch + OFF_LCH, 0, 32);
	assert_int_equal(ember_block_decode(&h, NULL, NULL, got, 3, &ntx, scratch, BLK_LEN),
	                 EMBER_BLK_LAST_COMMIT);
	build_hdr(0, lch_ref);
	memcpy(scratch, hdr_ref, EMBER_HEADER_SIZE);
	scratch[EMBER_HEADER_SIZE] = 0x00;
	scratch[EMBER_HEADER_SIZE + 1] = 0x00;
	assert_int_equal(ember_block_decode(&h, NULL, NULL, got, 3, &ntx, scratch,
	                                    EMBER_HEADER_SIZE + 2), EMBER_BLK_LAST_COMMIT);
	/* An empty last commit needs the all-zero hash, not SHA-256(""). */
	ember_sha256("", 0, sha_empty);
	build_hdr(0, sha_empty);
	memcpy(scratch, hdr_ref, EMBER_HEADER_SIZE);
	assert_int_equal(ember_block_decode(&h, NULL, NULL, got, 3, &ntx, scratch,
	                                    EMBER_HEADER_SIZE + 2), EMBER_BLK_LAST_COMMIT);

	/* Encode refuses what decode would refuse. */
	ref_header(&h, 3, lch_ref);
	h.last_commit_hash[0] ^= 1;
	assert_int_equal(ember_block_encode(&h, lc_ref, CERT_LEN, txs, 3, scratch,
	                                    sizeof(scratch), &n), EMBER_EINVAL);
	ref_header(&h, 3, lch_ref);
	assert_int_equal(ember_block_encode(&h, lc_ref, CERT_LEN - 1, txs, 3, scratch,
	                                    sizeof(scratch), &n), EMBER_EINVAL);
	assert_int_equal(ember_block_encode(&h, NULL, 0, txs, 3, scratch, sizeof(scratch),
	                                    &n), EMBER_EINVAL);
	assert_int_equal(ember_block_encode(&h, NULL, CERT_LEN, txs, 3, scratch,
	                                    sizeof(scratch), &n), EMBER_EINVAL);
	ref_header(&h, 3, zero32);
	assert_int_equal(ember_block_encode(&h, lc_ref, CERT_LEN, txs, 3, scratch,
	                                    sizeof(scratch), &n), EMBER_EINVAL);
	ref_header(&h, 0, sha_empty);
	assert_int_equal(ember_block_encode(&h, NULL, 0, NULL, 0, scratch, sizeof(scratch),
	                                    &n), EMBER_EINVAL);

	/* lc_len: a non-minimal varint; more bytes than are left; past the
	 * largest certificate (EMBER_CERT_MAX_SIZE + 1 = 106511 =
	 * 0x0f + 0x40 x 128 + 6 x 16384: 8f c0 06). */
	assert_int_equal(EMBER_CERT_MAX_SIZE, 4 + 10 + 1024 * (32 + 8 + 64));
	assert_int_equal(0x0f | 0x40 << 7 | 0x06 << 14, EMBER_CERT_MAX_SIZE + 1);
	{
		static const struct { size_t len; uint8_t b[4]; int err; } lcb[] = {
			{ 2, { 0x80, 0x00 }, EMBER_ENC_VARINT },
			{ 2, { 0x05, 0xaa }, EMBER_ENC_TRUNCATED },
			{ 3, { 0x8f, 0xc0, 0x06 }, EMBER_ENC_OVERSIZE },
		};
		for (size_t i = 0; i < sizeof(lcb) / sizeof(lcb[0]); i++) {
			build_hdr(0, zero32);
			memcpy(scratch, hdr_ref, EMBER_HEADER_SIZE);
			memcpy(scratch + EMBER_HEADER_SIZE, lcb[i].b, lcb[i].len);
			assert_int_equal(ember_block_decode(&h, NULL, NULL, got, 3, &ntx, scratch,
			                                    EMBER_HEADER_SIZE + lcb[i].len),
			                 lcb[i].err);
		}
	}

	/* The largest last commit encodes and decodes; one byte more is
	 * refused by both. */
	big = calloc(1, EMBER_HEADER_SIZE + 3 + EMBER_CERT_MAX_SIZE + 2);
	assert_non_null(big);
	{
		uint8_t *lcbig = calloc(1, EMBER_CERT_MAX_SIZE + 1), lh[32];
		const uint8_t *lc;
		size_t lclen;
		assert_non_null(lcbig);
		memset(lcbig, 0x5a, EMBER_CERT_MAX_SIZE + 1);
		ember_sha256(lcbig, EMBER_CERT_MAX_SIZE, lh);
		ref_header(&h, 0, lh);
		assert_int_equal(ember_block_encoded_size(EMBER_CERT_MAX_SIZE, NULL, 0),
		                 EMBER_HEADER_SIZE + 3 + EMBER_CERT_MAX_SIZE + 1);
		assert_int_equal(ember_block_encode(&h, lcbig, EMBER_CERT_MAX_SIZE, NULL, 0, big,
		                                    EMBER_HEADER_SIZE + 3 + EMBER_CERT_MAX_SIZE + 2,
		                                    &n), 0);
		assert_int_equal(n, EMBER_HEADER_SIZE + 3 + EMBER_CERT_MAX_SIZE + 1);
		assert_int_equal(ember_block_decode(&h, &lc, &lclen, got, 3, &ntx, big, n), 0);
		assert_ptr_equal(lc, big + EMBER_HEADER_SIZE + 3);
		assert_int_equal(lclen, EMBER_CERT_MAX_SIZE);

		ember_sha256(lcbig, EMBER_CERT_MAX_SIZE + 1, lh);
		ref_header(&h, 0, lh);
		assert_int_equal(ember_block_encode(&h, lcbig, EMBER_CERT_MAX_SIZE + 1, NULL, 0,
		                                    big, EMBER_HEADER_SIZE + 3 +
		                                    EMBER_CERT_MAX_SIZE + 2, &n), EMBER_EINVAL);
		free(lcbig);
	}
	free(big);
}

/*
 * The size limit at its edge: a block of exactly EMBER_BLOCK_MAX_SIZE bytes
 * encodes and decodes, one byte more does not.  Built from 8187 maximal
 * txs and one filler, all pointing at the same bytes, and no last commit.
 */
static void test_block_size_limit(void **state)
{
	const size_t nfull = 8187, ntx = nfull + 1;
	/* lc_len 0 is one byte; 8188 is a 2-byte varint */
	const size_t head = EMBER_HEADER_SIZE + 1 + 2;
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
	ref_header(&h, (uint32_t)ntx, zero32);
	assert_int_equal(ember_block_encoded_size(0, txs, ntx), EMBER_BLOCK_MAX_SIZE);
	assert_int_equal(ember_block_encode(&h, NULL, 0, txs, ntx, out, EMBER_BLOCK_MAX_SIZE,
	                                    &n), 0);
	assert_int_equal(n, EMBER_BLOCK_MAX_SIZE);
	assert_int_equal(ember_block_decode(&back, NULL, NULL, txs, ntx, &got, out, n), 0);
	assert_int_equal(got, ntx);

	/* One byte over: the encoder says too large, not buffer too small. */
	txs[nfull] = (struct ember_txref){ tx2, last + 1 };
	assert_int_equal(ember_block_encode(&h, NULL, 0, txs, ntx, out,
	                                    EMBER_BLOCK_MAX_SIZE + 1, &n), EMBER_BLK_TOO_LARGE);
	/* The decoder refuses an over-long input before reading it. */
	out[EMBER_BLOCK_MAX_SIZE] = 0;
	assert_int_equal(ember_block_decode(&back, NULL, NULL, txs, ntx, &got, out,
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

	ref_header(&h, EMBER_BLOCK_MAX_TXS + 1, zero32);
	assert_int_equal(ember_block_encode(&h, NULL, 0, txs, EMBER_BLOCK_MAX_TXS + 1, scratch,
	                                    sizeof(scratch), &n), EMBER_BLK_TOO_LARGE);
	/* Header count disagrees with the txs given. */
	ref_header(&h, 2, zero32);
	assert_int_equal(ember_block_encode(&h, NULL, 0, txs, 1, scratch, sizeof(scratch), &n),
	                 EMBER_EINVAL);
	/* Txs the decoder would refuse. */
	ref_header(&h, 1, zero32);
	txs[0].len = 0;
	assert_int_equal(ember_block_encode(&h, NULL, 0, txs, 1, scratch, sizeof(scratch), &n),
	                 EMBER_EINVAL);
	{
		static uint8_t big[EMBER_TX_PROOF_MAX_SIZE + 1];
		txs[0] = (struct ember_txref){ big, sizeof(big) };
		assert_int_equal(ember_block_encode(&h, NULL, 0, txs, 1, scratch,
		                                    sizeof(scratch), &n), EMBER_EINVAL);
	}
	txs[0] = (struct ember_txref){ tx0, 1 };
	h.version = 0;
	assert_int_equal(ember_block_encode(&h, NULL, 0, txs, 1, scratch, sizeof(scratch), &n),
	                 EMBER_EINVAL);
	h.version = 1;
	assert_int_equal(ember_block_encode(&h, NULL, 0, txs, 1, scratch, sizeof(scratch), &n),
	                 EMBER_EINVAL);
	free(txs);
}

/* ---- certificate ----------------------------------------------------- */

static void test_cert(void **state)
{
	static struct ember_cert c, back;
	uint8_t want[CERT_LEN + 1], out[CERT_LEN + 1];
	size_t n;
	(void)state;
	assert_int_equal(EMBER_CERT_SIG_SIZE, SIG_LEN);
	build_cert(want);
	memset(&c, 0, sizeof(c));
	c.round = 7;
	c.nsig = 2;
	memset(c.sigs[0].validator, 0x01, 32);
	c.sigs[0].time_ms = CERT_TIME0;
	memset(c.sigs[0].sig, 0x02, 64);
	memset(c.sigs[1].validator, 0x03, 32);
	c.sigs[1].time_ms = CERT_TIME1;
	memset(c.sigs[1].sig, 0x04, 64);
	assert_int_equal(ember_cert_encoded_size(&c), CERT_LEN);
	assert_int_equal(ember_cert_encode(&c, out, sizeof(out), &n), 0);
	assert_int_equal(n, CERT_LEN);
	assert_memory_equal(out, want, CERT_LEN);
	assert_int_equal(ember_cert_encode(&c, out, CERT_LEN - 1, &n), EMBER_ENC_BUFFER);

	assert_int_equal(ember_cert_decode(&back, want, CERT_LEN), 0);
	assert_int_equal(back.round, 7);
	assert_int_equal(back.nsig, 2);
	assert_true(back.sigs[0].time_ms == CERT_TIME0);
	assert_true(back.sigs[1].time_ms == CERT_TIME1);
	assert_memory_equal(back.sigs, c.sigs, 2 * sizeof(c.sigs[0]));

	/* The time is where the layout puts it: after the validator. */
	want[OFF_CERT_TIME0] ^= 0x01;
	assert_int_equal(ember_cert_decode(&back, want, CERT_LEN), 0);
	assert_true(back.sigs[0].time_ms == (CERT_TIME0 ^ 0x01));
	assert_memory_equal(back.sigs[0].validator, c.sigs[0].validator, 32);
	assert_memory_equal(back.sigs[0].sig, c.sigs[0].sig, 64);
	want[OFF_CERT_TIME0] ^= 0x01;

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
	/* round, nsig 1024 in two bytes, 1024 sigs of 32 + 8 + 64 */
	const size_t len = 4 + 2 + (size_t)EMBER_CERT_MAX_SIGS * (32 + 8 + 64);
	uint8_t *buf = malloc(len);
	size_t n;
	(void)state;
	assert_non_null(buf);
	assert_true(len <= EMBER_CERT_MAX_SIZE);
	c.round = 0xffffffffu;
	c.nsig = EMBER_CERT_MAX_SIGS;
	for (size_t i = 0; i < EMBER_CERT_MAX_SIGS; i++) {
		memset(c.sigs[i].validator, (int)(i & 0xff), 32);
		c.sigs[i].time_ms = UINT64_MAX - i;
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
	/* varint len || chain_id || u8 type || u64 height || u32 round ||
	 * 32 block_hash || u64 time_ms */
	uint8_t bh[32], msg[1 + 10 + 1 + 8 + 4 + 32 + 8], buf[64 + sizeof(msg)];
	uint8_t want[32], got[32];
	uint8_t *p = msg;
	(void)state;
	memset(bh, 0x5e, 32);
	*p++ = 10;
	memcpy(p, "ember-test", 10), p += 10;
	*p++ = EMBER_VOTE_PRECOMMIT;
	memcpy(p, (const uint8_t[]){ 0x2a, 0, 0, 0, 0, 0, 0, 0 }, 8), p += 8;
	memcpy(p, (const uint8_t[]){ 0x03, 0x01, 0, 0 }, 4), p += 4;
	memcpy(p, bh, 32), p += 32;
	/* 1700000000000 = 0x18bcfe56800 */
	memcpy(p, (const uint8_t[]){ 0x00, 0x68, 0xe5, 0xcf, 0x8b, 0x01, 0, 0 }, 8), p += 8;
	assert_int_equal(p - msg, sizeof(msg));

	ember_sha256("ember/vote", 10, buf);
	memcpy(buf + 32, buf, 32);
	memcpy(buf + 64, msg, sizeof(msg));
	ember_sha256(buf, sizeof(buf), want);

	ember_vote_hash("ember-test", EMBER_VOTE_PRECOMMIT, 42, 0x103, bh, 1700000000000ULL,
	                got);
	assert_memory_equal(got, want, 32);

	/* Type, height, round, chain, block and time each change it. */
	ember_vote_hash("ember-test", EMBER_VOTE_PREVOTE, 42, 0x103, bh, 1700000000000ULL, got);
	assert_memory_not_equal(got, want, 32);
	ember_vote_hash("ember-test", EMBER_VOTE_PRECOMMIT, 43, 0x103, bh, 1700000000000ULL,
	                got);
	assert_memory_not_equal(got, want, 32);
	ember_vote_hash("ember-test", EMBER_VOTE_PRECOMMIT, 42, 0x104, bh, 1700000000000ULL,
	                got);
	assert_memory_not_equal(got, want, 32);
	ember_vote_hash("ember-tesu", EMBER_VOTE_PRECOMMIT, 42, 0x103, bh, 1700000000000ULL,
	                got);
	assert_memory_not_equal(got, want, 32);
	ember_vote_hash("ember-test", EMBER_VOTE_PRECOMMIT, 42, 0x103, bh, 1700000000001ULL,
	                got);
	assert_memory_not_equal(got, want, 32);
	ember_vote_hash("ember-test", EMBER_VOTE_PRECOMMIT, 42, 0x103, bh, 0, got);
	assert_memory_not_equal(got, want, 32);
	bh[0] ^= 1;
	ember_vote_hash("ember-test", EMBER_VOTE_PRECOMMIT, 42, 0x103, bh, 1700000000000ULL,
	                got);
	assert_memory_not_equal(got, want, 32);

	/* A prevote signs time 0: the same layout with eight zero bytes. */
	bh[0] ^= 1;
	msg[11] = EMBER_VOTE_PREVOTE;
	memset(msg + sizeof(msg) - 8, 0, 8);
	memcpy(buf + 64, msg, sizeof(msg));
	ember_sha256(buf, sizeof(buf), want);
	ember_vote_hash("ember-test", EMBER_VOTE_PREVOTE, 42, 0x103, bh, 0, got);
	assert_memory_equal(got, want, 32);
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
		cmocka_unit_test(test_block_last_commit),
		cmocka_unit_test(test_block_size_limit),
		cmocka_unit_test(test_block_encode_misuse),
		cmocka_unit_test(test_cert),
		cmocka_unit_test(test_cert_max),
		cmocka_unit_test(test_vote_hash),
		cmocka_unit_test(test_tx_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
