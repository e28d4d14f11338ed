/*
 * test_p2p_wire.c - the P2P message codec (p2pwire.h): round trips for
 * every type, a golden encoding of each written out by hand from the
 * header's grammar, a table of malformed messages, the length limits, and
 * encoder misuse.
 *
 * Every valid message also goes through check_msg(), which tries each of
 * its truncations, a trailing byte, every other type byte, and every
 * other decoder, all of which must fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ember/block.h"
#include "ember/p2psec.h"
#include "ember/p2pwire.h"

#include "testutil.h"

#define X8(s) s s s s s s s s
#define HASH_AA X8("aaaaaaaa")
#define HASH_BB X8("bbbbbbbb")

union p2p_any {
	struct p2p_status st;
	struct p2p_getblocks gb;
	struct p2p_block bl;
	struct p2p_txs tx;
	struct p2p_ping pi;
};

/* Large structs live here, not on the stack (struct p2p_txs is ~24 KiB):
 * g_a gets what decoded, g_b is what was encoded, g_junk takes the
 * decodes that must fail (a failed decode leaves its struct unspecified). */
static union p2p_any g_a, g_b, g_junk;

static const uint8_t known_types[] = {
	P2P_MSG_STATUS, P2P_MSG_GETBLOCKS, P2P_MSG_BLOCK,
	P2P_MSG_TXS, P2P_MSG_PING, P2P_MSG_PONG,
};
#define NKNOWN (sizeof(known_types) / sizeof(known_types[0]))

/* Decode with the decoder for type (the ping decoder for PONG). */
static int decode_as(uint8_t type, union p2p_any *m, const uint8_t *in,
                     size_t len)
{
	switch (type) {
	case P2P_MSG_STATUS: return p2p_status_decode(&m->st, in, len);
	case P2P_MSG_GETBLOCKS: return p2p_getblocks_decode(&m->gb, in, len);
	case P2P_MSG_BLOCK: return p2p_block_decode(&m->bl, in, len);
	case P2P_MSG_TXS: return p2p_txs_decode(&m->tx, in, len);
	case P2P_MSG_PING:
	case P2P_MSG_PONG: return p2p_ping_decode(&m->pi, in, len);
	}
	fail_msg("no decoder for type %u", type);
	return -1;
}

static int encode_as(uint8_t type, const union p2p_any *m, uint8_t *out,
                     size_t cap, size_t *outlen)
{
	switch (type) {
	case P2P_MSG_STATUS: return p2p_status_encode(&m->st, out, cap, outlen);
	case P2P_MSG_GETBLOCKS:
		return p2p_getblocks_encode(&m->gb, out, cap, outlen);
	case P2P_MSG_BLOCK: return p2p_block_encode(&m->bl, out, cap, outlen);
	case P2P_MSG_TXS: return p2p_txs_encode(&m->tx, out, cap, outlen);
	case P2P_MSG_PING:
	case P2P_MSG_PONG: return p2p_ping_encode(type, &m->pi, out, cap, outlen);
	}
	fail_msg("no encoder for type %u", type);
	return -1;
}

/* The ping decoder reads both PING and PONG. */
static int same_decoder(uint8_t a, uint8_t b)
{
	int pa = a == P2P_MSG_PING || a == P2P_MSG_PONG;
	int pb = b == P2P_MSG_PING || b == P2P_MSG_PONG;
	return a == b || (pa && pb);
}

/*
 * msg (n bytes) is a valid message of its type.  It decodes, re-encodes
 * to the same bytes (and not into one byte less), lies within its type's
 * limits, and every damaged form of it is rejected.  Prefixes are all
 * tried up to 4 KiB, then sampled, to keep multi-MiB messages quick.
 */
static void check_msg(const uint8_t *msg, size_t n)
{
	uint8_t type;
	uint8_t *buf;
	size_t outlen = 0;

	assert_true(n >= 1);
	type = msg[0];
	assert_non_null(p2p_msg_name(type));
	assert_true(n >= p2p_msg_min_len(type));
	assert_true(n <= p2p_msg_max_len(type));
	buf = malloc(n + 1);
	assert_non_null(buf);

	assert_int_equal(decode_as(type, &g_a, msg, n), 0);
	assert_int_equal(encode_as(type, &g_a, buf, n, &outlen), 0);
	assert_int_equal(outlen, n);
	assert_memory_equal(buf, msg, n);
	assert_int_equal(encode_as(type, &g_a, buf, n - 1, &outlen),
	                 EMBER_ENC_BUFFER);
	if (type == P2P_MSG_BLOCK)
		assert_int_equal(p2p_block_encoded_size(&g_a.bl), n);
	if (type == P2P_MSG_TXS)
		assert_int_equal(p2p_txs_encoded_size(&g_a.tx), n);

	/* Every other decoder refuses it. */
	for (size_t i = 0; i < NKNOWN; i++)
		if (!same_decoder(known_types[i], type))
			assert_int_equal(decode_as(known_types[i], &g_junk, msg, n),
			                 EMBER_P2P_MSG);

	/* Truncations. */
	for (size_t k = 0; k < n; k++) {
		if (n > 4096 && k > 64 && k + 64 < n && k % 997)
			continue;
		assert_int_equal(decode_as(type, &g_junk, msg, k), EMBER_P2P_MSG);
	}

	/* A trailing byte, whatever its value. */
	memcpy(buf, msg, n);
	buf[n] = 0;
	assert_int_equal(decode_as(type, &g_junk, buf, n + 1), EMBER_P2P_MSG);
	buf[n] = 0xff;
	assert_int_equal(decode_as(type, &g_junk, buf, n + 1), EMBER_P2P_MSG);

	/* Any other type byte, known or not, in front of this body. */
	for (unsigned t = 0; t < 256; t++) {
		if (same_decoder((uint8_t)t, type))
			continue;
		buf[0] = (uint8_t)t;
		assert_int_equal(decode_as(type, &g_junk, buf, n), EMBER_P2P_MSG);
	}
	free(buf);
}

/* Encode m as type, check the bytes with check_msg, decode into g_a. */
static size_t roundtrip(uint8_t type, const union p2p_any *m, uint8_t *out,
                        size_t cap)
{
	size_t n = 0;
	assert_int_equal(encode_as(type, m, out, cap, &n), 0);
	assert_int_equal(out[0], type);
	check_msg(out, n);
	assert_int_equal(decode_as(type, &g_a, out, n), 0);
	return n;
}

/* ---- limits and names ---- */

/* VOTE and PROPOSAL: one encoding each, round trips, and what is refused. */
static void test_consensus_messages(void **state)
{
	struct bft_vote v, back;
	struct p2p_proposal pr, pb;
	uint8_t m[P2P_VOTE_LEN], blk[EMBER_HEADER_SIZE + 10], *pm;
	size_t n, cap;
	(void)state;

	memset(&v, 0, sizeof(v));
	v.type = BFT_VOTE_PRECOMMIT;
	v.height = 77;
	v.round = 3;
	memset(v.value, 0xab, 32);
	v.validator = 2;
	v.time_ms = 1234567;
	memset(v.sig, 0x5c, 64);
	assert_int_equal(p2p_vote_encode(&v, m), 0);
	assert_int_equal(m[0], P2P_MSG_VOTE);
	assert_int_equal(p2p_vote_decode(&back, m, sizeof(m)), 0);
	assert_memory_equal(&back, &v, sizeof(v));
	assert_int_equal(p2p_vote_decode(&back, m, sizeof(m) - 1), EMBER_P2P_MSG);
	m[1] = 3;                                   /* no such vote type */
	assert_int_equal(p2p_vote_decode(&back, m, sizeof(m)), EMBER_P2P_MSG);
	m[1] = BFT_VOTE_PRECOMMIT;
	m[2] = 1;                                   /* nil with a block id */
	assert_int_equal(p2p_vote_decode(&back, m, sizeof(m)), EMBER_P2P_MSG);
	v.nil = 1;                                  /* a nil vote drops the id */
	assert_int_equal(p2p_vote_encode(&v, m), 0);
	assert_int_equal(p2p_vote_decode(&back, m, sizeof(m)), 0);
	assert_true(back.nil == 1 && back.value[0] == 0);

	memset(&pr, 0, sizeof(pr));
	memset(blk, 0x11, sizeof(blk));
	pr.p.height = 9;
	pr.p.round = 2;
	pr.p.pol_round = 1;
	pr.p.proposer = 3;
	memset(pr.p.value, 0x22, 32);
	memset(pr.p.sig, 0x33, 64);
	pr.blk = blk;
	pr.blklen = sizeof(blk);
	assert_true((cap = p2p_proposal_encoded_size(&pr)) > 0);
	assert_non_null(pm = malloc(cap));
	assert_int_equal(p2p_proposal_encode(&pr, pm, cap, &n), 0);
	assert_int_equal(n, cap);
	assert_int_equal(p2p_proposal_decode(&pb, pm, n), 0);
	assert_memory_equal(&pb.p, &pr.p, sizeof(pr.p));
	assert_int_equal(pb.blklen, sizeof(blk));
	assert_memory_equal(pb.blk, blk, sizeof(blk));
	assert_int_equal(p2p_proposal_decode(&pb, pm, n - 1), EMBER_P2P_MSG);
	pm[1 + 8 + 4] = 9;                          /* pol_round 8 >= round 2 */
	assert_int_equal(p2p_proposal_decode(&pb, pm, n), EMBER_P2P_MSG);
	free(pm);
	pr.blklen = 5;                              /* not even a header */
	assert_int_equal(p2p_proposal_encoded_size(&pr), 0);
}

static void test_names_and_limits(void **state)
{
	static const struct {
		uint8_t type;
		const char *name;
		size_t min, max;
	} want[] = {
		{ P2P_MSG_STATUS, "status", 1 + 2 + 1 + 1 + 32 + 8 + 32 + 2,
		  1 + 2 + 1 + EMBER_CHAIN_ID_MAX + 32 + 8 + 32 + 2 },
		{ P2P_MSG_GETBLOCKS, "getblocks", 13, 13 },
		{ P2P_MSG_BLOCK, "block", 11, P2P_MSG_MAX },
		{ P2P_MSG_TXS, "txs", 4,
		  1 + 3 + (size_t)P2P_TXS_MAX * (3 + EMBER_TX_MAX_SIZE) },
		{ P2P_MSG_PING, "ping", 9, 9 },
		{ P2P_MSG_PONG, "pong", 9, 9 },
		/* type, height, round, pol + 1, proposer, id, sig, then a
		 * varint and at least a header */
		{ P2P_MSG_PROPOSAL, "proposal", 1 + 8 + 4 + 4 + 4 + 32 + 64 + 1 + EMBER_HEADER_SIZE,
		  P2P_MSG_MAX },
		/* type, vote type, nil, height, round, id, validator, time, sig */
		{ P2P_MSG_VOTE, "vote", 1 + 1 + 1 + 8 + 4 + 32 + 4 + 8 + 64,
		  1 + 1 + 1 + 8 + 4 + 32 + 4 + 8 + 64 },
	};
	static const uint8_t unknown[] = { 0, P2P_MSG_TYPE_COUNT, 9, 0x7f,
	                                   0x80, 0xff };
	(void)state;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(p2p_msg_name(want[i].type), want[i].name);
		assert_int_equal(p2p_msg_min_len(want[i].type), want[i].min);
		assert_int_equal(p2p_msg_max_len(want[i].type), want[i].max);
		assert_true(want[i].max <= P2P_MSG_MAX);
	}
	for (size_t i = 0; i < sizeof(unknown); i++) {
		assert_null(p2p_msg_name(unknown[i]));
		assert_int_equal(p2p_msg_min_len(unknown[i]), 0);
		assert_int_equal(p2p_msg_max_len(unknown[i]), 0);
	}
	/* The TXS budget: every ordinary tx, or 32 proofs at their limit. */
	assert_true(p2p_msg_max_len(P2P_MSG_TXS) >=
	            1 + 3 + 32 * (3 + (size_t)EMBER_TX_PROOF_MAX_SIZE));
}

/* ---- golden encodings, by hand from the grammar in p2pwire.h ---- */

static void test_golden(void **state)
{
	uint8_t want[256], out[256];
	size_t n = 0;
	int wn;
	(void)state;

	/* STATUS v1 "ember", genesis aa.., height 7, tip bb.., port 8540 */
	wn = test_unhex("01" "0100" "05" "656d626572" HASH_AA
	                "0700000000000000" HASH_BB "5c21", want, sizeof(want));
	assert_int_equal(wn, 83);
	memset(&g_b, 0, sizeof(g_b));
	g_b.st.version = 1;
	strcpy(g_b.st.chain_id, "ember");
	memset(g_b.st.genesis_hash, 0xaa, 32);
	g_b.st.height = 7;
	memset(g_b.st.tip_hash, 0xbb, 32);
	g_b.st.listen_port = 8540;
	assert_int_equal(p2p_status_encode(&g_b.st, out, sizeof(out), &n), 0);
	assert_int_equal(n, (size_t)wn);
	assert_memory_equal(out, want, n);
	check_msg(want, n);
	assert_int_equal(p2p_status_decode(&g_a.st, want, n), 0);
	assert_memory_equal(&g_a.st, &g_b.st, sizeof(g_a.st));

	/* GETBLOCKS from 0x0102030405060708, count 128 */
	wn = test_unhex("02" "0807060504030201" "80000000", want, sizeof(want));
	g_b.gb.from = 0x0102030405060708ULL;
	g_b.gb.count = 128;
	assert_int_equal(p2p_getblocks_encode(&g_b.gb, out, sizeof(out), &n), 0);
	assert_int_equal(n, (size_t)wn);
	assert_memory_equal(out, want, n);
	check_msg(want, n);
	assert_int_equal(p2p_getblocks_decode(&g_a.gb, want, n), 0);
	assert_true(g_a.gb.from == 0x0102030405060708ULL);
	assert_int_equal(g_a.gb.count, 128);

	/* BLOCK height 2, block "abc", cert 130 bytes of 0x5a (2-byte varint) */
	{
		static uint8_t cert[130];
		char hex[2 * (1 + 8 + 1 + 3 + 2 + 130) + 1];
		size_t h;
		memset(cert, 0x5a, sizeof(cert));
		h = (size_t)snprintf(hex, sizeof(hex), "%s",
		                     "03" "0200000000000000" "03" "616263" "8201");
		for (size_t i = 0; i < sizeof(cert); i++)
			h += (size_t)snprintf(hex + h, sizeof(hex) - h, "5a");
		wn = test_unhex(hex, want, sizeof(want));
		assert_int_equal(wn, 1 + 8 + 1 + 3 + 2 + 130);
		g_b.bl.height = 2;
		g_b.bl.blk = (const uint8_t *)"abc";
		g_b.bl.blklen = 3;
		g_b.bl.cert = cert;
		g_b.bl.certlen = sizeof(cert);
		assert_int_equal(p2p_block_encoded_size(&g_b.bl), (size_t)wn);
		assert_int_equal(p2p_block_encode(&g_b.bl, out, sizeof(out), &n), 0);
		assert_int_equal(n, (size_t)wn);
		assert_memory_equal(out, want, n);
		check_msg(want, n);
		assert_int_equal(p2p_block_decode(&g_a.bl, want, n), 0);
		assert_true(g_a.bl.height == 2);
		assert_ptr_equal(g_a.bl.blk, want + 10);
		assert_int_equal(g_a.bl.blklen, 3);
		assert_ptr_equal(g_a.bl.cert, want + 15);
		assert_int_equal(g_a.bl.certlen, 130);
	}

	/* TXS: "x" and "yz" */
	wn = test_unhex("04" "02" "0178" "02797a", want, sizeof(want));
	g_b.tx.n = 2;
	g_b.tx.tx[0] = (const uint8_t *)"x";
	g_b.tx.len[0] = 1;
	g_b.tx.tx[1] = (const uint8_t *)"yz";
	g_b.tx.len[1] = 2;
	assert_int_equal(p2p_txs_encoded_size(&g_b.tx), (size_t)wn);
	assert_int_equal(p2p_txs_encode(&g_b.tx, out, sizeof(out), &n), 0);
	assert_int_equal(n, (size_t)wn);
	assert_memory_equal(out, want, n);
	check_msg(want, n);
	assert_int_equal(p2p_txs_decode(&g_a.tx, want, n), 0);
	assert_int_equal(g_a.tx.n, 2);
	assert_ptr_equal(g_a.tx.tx[0], want + 3);
	assert_int_equal(g_a.tx.len[0], 1);
	assert_ptr_equal(g_a.tx.tx[1], want + 5);
	assert_int_equal(g_a.tx.len[1], 2);

	/* PING / PONG nonce 0x1122334455667788 */
	g_b.pi.nonce = 0x1122334455667788ULL;
	wn = test_unhex("05" "8877665544332211", want, sizeof(want));
	assert_int_equal(p2p_ping_encode(P2P_MSG_PING, &g_b.pi, out, sizeof(out),
	                                 &n), 0);
	assert_int_equal(n, (size_t)wn);
	assert_memory_equal(out, want, n);
	check_msg(want, n);
	wn = test_unhex("06" "8877665544332211", want, sizeof(want));
	assert_int_equal(p2p_ping_encode(P2P_MSG_PONG, &g_b.pi, out, sizeof(out),
	                                 &n), 0);
	assert_int_equal(n, (size_t)wn);
	assert_memory_equal(out, want, n);
	check_msg(want, n);
	assert_int_equal(p2p_ping_decode(&g_a.pi, want, n), 0);
	assert_true(g_a.pi.nonce == 0x1122334455667788ULL);
}

/* ---- round trips over field ranges ---- */

static void test_roundtrip_status(void **state)
{
	static const char *ids[] = { "a", "ember", "ember-dev-1", "0",
	                             "abcdefghijklmnopqrstuvwxyz-01234" };
	static const uint16_t u16s[] = { 0, 1, 0x1234, 0xffff };
	uint8_t out[256];
	(void)state;

	assert_int_equal(strlen(ids[4]), EMBER_CHAIN_ID_MAX);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		for (size_t j = 0; j < sizeof(u16s) / sizeof(u16s[0]); j++) {
			memset(&g_b.st, 0, sizeof(g_b.st));
			g_b.st.version = u16s[j];
			strcpy(g_b.st.chain_id, ids[i]);
			for (int k = 0; k < 32; k++) {
				g_b.st.genesis_hash[k] = (uint8_t)(k + i);
				g_b.st.tip_hash[k] = (uint8_t)(255 - k - j);
			}
			g_b.st.height = j ? UINT64_MAX / j : 0;
			g_b.st.listen_port = u16s[(j + 1) % 4];
			size_t n = roundtrip(P2P_MSG_STATUS, &g_b, out, sizeof(out));
			assert_int_equal(n, 78 + strlen(ids[i]));
			assert_memory_equal(&g_a.st, &g_b.st, sizeof(g_a.st));
		}
	}
}

static void test_roundtrip_getblocks(void **state)
{
	static const uint64_t froms[] = { 0, 1, 1000, UINT64_MAX };
	static const uint32_t counts[] = { 1, 2, 64, P2P_GETBLOCKS_MAX };
	uint8_t out[32];
	(void)state;

	for (size_t i = 0; i < 4; i++) {
		for (size_t j = 0; j < 4; j++) {
			g_b.gb.from = froms[i];
			g_b.gb.count = counts[j];
			assert_int_equal(roundtrip(P2P_MSG_GETBLOCKS, &g_b, out,
			                           sizeof(out)), 13);
			assert_true(g_a.gb.from == froms[i]);
			assert_int_equal(g_a.gb.count, counts[j]);
		}
	}
}

/* Block and cert sizes at each varint width boundary, empty included. */
static void test_roundtrip_block(void **state)
{
	static const size_t lens[] = { 0, 1, 127, 128, 16383, 16384, 70000 };
	const size_t nl = sizeof(lens) / sizeof(lens[0]);
	size_t cap = 1 + 8 + 2 * (3 + 70000);
	uint8_t *src = malloc(70000), *out = malloc(cap);
	(void)state;

	assert_non_null(src);
	assert_non_null(out);
	for (size_t i = 0; i < 70000; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < nl; i++) {
		for (size_t j = 0; j < nl; j++) {
			g_b.bl.height = (uint64_t)i << (8 * j);
			g_b.bl.blk = lens[i] ? src : NULL;
			g_b.bl.blklen = lens[i];
			g_b.bl.cert = src + 1;
			g_b.bl.certlen = lens[j] < 70000 ? lens[j] : 69999;
			size_t n = roundtrip(P2P_MSG_BLOCK, &g_b, out, cap);
			assert_true(g_a.bl.height == g_b.bl.height);
			assert_int_equal(g_a.bl.blklen, g_b.bl.blklen);
			assert_int_equal(g_a.bl.certlen, g_b.bl.certlen);
			assert_true(g_a.bl.blk >= out && g_a.bl.cert <= out + n);
			assert_memory_equal(g_a.bl.blk, src, g_a.bl.blklen);
			assert_memory_equal(g_a.bl.cert, src + 1, g_a.bl.certlen);
		}
	}
	free(src);
	free(out);
}

static void check_txs_equal(const struct p2p_txs *a, const struct p2p_txs *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->len[i], b->len[i]);
		assert_memory_equal(a->tx[i], b->tx[i], a->len[i]);
	}
}

static void test_roundtrip_txs(void **state)
{
	static const size_t lens[] = { 1, 2, 127, 128, 4096, 16384,
	                               EMBER_TX_PROOF_MAX_SIZE };
	const size_t nl = sizeof(lens) / sizeof(lens[0]);
	size_t cap = 8 + nl * (3 + EMBER_TX_PROOF_MAX_SIZE);
	uint8_t *src = malloc(EMBER_TX_PROOF_MAX_SIZE), *out = malloc(cap);
	(void)state;

	assert_non_null(src);
	assert_non_null(out);
	for (size_t i = 0; i < EMBER_TX_PROOF_MAX_SIZE; i++)
		src[i] = (uint8_t)(i ^ (i >> 8));

	/* One tx of each size, then all of them in one message. */
	for (size_t i = 0; i < nl; i++) {
		g_b.tx.n = 1;
		g_b.tx.tx[0] = src;
		g_b.tx.len[0] = lens[i];
		roundtrip(P2P_MSG_TXS, &g_b, out, cap);
		check_txs_equal(&g_a.tx, &g_b.tx);
	}
	g_b.tx.n = nl;
	for (size_t i = 0; i < nl; i++) {
		g_b.tx.tx[i] = src + (i % 3);
		g_b.tx.len[i] = lens[i] - (i % 3 && lens[i] > 3 ? i % 3 : 0);
	}
	roundtrip(P2P_MSG_TXS, &g_b, out, cap);
	check_txs_equal(&g_a.tx, &g_b.tx);

	/* P2P_TXS_MAX one-byte txs: the count takes a 2-byte varint. */
	g_b.tx.n = P2P_TXS_MAX;
	for (size_t i = 0; i < P2P_TXS_MAX; i++) {
		g_b.tx.tx[i] = src + i;
		g_b.tx.len[i] = 1;
	}
	assert_int_equal(roundtrip(P2P_MSG_TXS, &g_b, out, cap),
	                 1 + 2 + 2 * P2P_TXS_MAX);
	check_txs_equal(&g_a.tx, &g_b.tx);
	free(src);
	free(out);
}

static void test_roundtrip_ping(void **state)
{
	static const uint64_t nonces[] = { 0, 1, 0x8000000000000000ULL,
	                                   UINT64_MAX };
	uint8_t out[16];
	(void)state;

	for (size_t i = 0; i < 4; i++) {
		g_b.pi.nonce = nonces[i];
		assert_int_equal(roundtrip(P2P_MSG_PING, &g_b, out, sizeof(out)), 9);
		assert_true(g_a.pi.nonce == nonces[i]);
		assert_int_equal(roundtrip(P2P_MSG_PONG, &g_b, out, sizeof(out)), 9);
		assert_true(g_a.pi.nonce == nonces[i]);
	}
}

/* ---- malformed messages ---- */

struct bad_msg {
	const char *what;
	uint8_t decoder;        /* whose decoder is given the bytes */
	const char *hex;
};

#define ST_TAIL HASH_AA "0700000000000000" HASH_BB "5c21"

static const struct bad_msg bad_msgs[] = {
	{ "empty", P2P_MSG_STATUS, "" },
	{ "type only", P2P_MSG_STATUS, "01" },
	{ "status: upper case chain id", P2P_MSG_STATUS,
	  "01" "0100" "05" "456d626572" ST_TAIL },
	{ "status: '_' in chain id", P2P_MSG_STATUS,
	  "01" "0100" "05" "656d5f6572" ST_TAIL },
	{ "status: NUL in chain id", P2P_MSG_STATUS,
	  "01" "0100" "05" "656d006572" ST_TAIL },
	{ "status: space in chain id", P2P_MSG_STATUS,
	  "01" "0100" "05" "656d206572" ST_TAIL },
	{ "status: empty chain id", P2P_MSG_STATUS,
	  "01" "0100" "00" ST_TAIL },
	{ "status: empty chain id, padded", P2P_MSG_STATUS,
	  "01" "0100" "00" ST_TAIL "00" },
	{ "status: chain id of 33", P2P_MSG_STATUS,
	  "01" "0100" "21" X8("61616161") "61" ST_TAIL },
	{ "status: non-minimal chain id length", P2P_MSG_STATUS,
	  "01" "0100" "8500" "656d626572" ST_TAIL },
	{ "status: chain id length past the end", P2P_MSG_STATUS,
	  "01" "0100" "7f" "656d626572" ST_TAIL },
	{ "status: trailing byte", P2P_MSG_STATUS,
	  "01" "0100" "05" "656d626572" ST_TAIL "00" },
	{ "status: short port", P2P_MSG_STATUS,
	  "01" "0100" "05" "656d626572" HASH_AA "0700000000000000" HASH_BB "5c" },
	{ "status: getblocks type", P2P_MSG_STATUS,
	  "02" "0100" "05" "656d626572" ST_TAIL },
	{ "getblocks: count 0", P2P_MSG_GETBLOCKS,
	  "02" "0000000000000000" "00000000" },
	{ "getblocks: count max+1", P2P_MSG_GETBLOCKS,
	  "02" "0000000000000000" "81000000" },
	{ "getblocks: count 2^32-1", P2P_MSG_GETBLOCKS,
	  "02" "0000000000000000" "ffffffff" },
	{ "getblocks: count 2^24+1", P2P_MSG_GETBLOCKS,
	  "02" "0000000000000000" "01000001" },
	{ "getblocks: short", P2P_MSG_GETBLOCKS, "02" "0000000000000000" "010000" },
	{ "getblocks: trailing", P2P_MSG_GETBLOCKS,
	  "02" "0000000000000000" "0100000000" },
	{ "getblocks: ping type", P2P_MSG_GETBLOCKS,
	  "05" "0000000000000000" "01000000" },
	{ "getblocks: unknown type", P2P_MSG_GETBLOCKS,
	  "07" "0000000000000000" "01000000" },
	{ "block: non-minimal block length", P2P_MSG_BLOCK,
	  "03" "0100000000000000" "8000" "00" },
	{ "block: non-minimal cert length", P2P_MSG_BLOCK,
	  "03" "0100000000000000" "01aa" "8100" "bb" },
	{ "block: block length past the end", P2P_MSG_BLOCK,
	  "03" "0100000000000000" "05" "aabb" "00" },
	{ "block: cert length past the end", P2P_MSG_BLOCK,
	  "03" "0100000000000000" "01aa" "02" "bb" },
	{ "block: no cert length", P2P_MSG_BLOCK,
	  "03" "0100000000000000" "02" "aabb" },
	{ "block: trailing", P2P_MSG_BLOCK,
	  "03" "0100000000000000" "01aa" "01bb" "cc" },
	{ "block: overlong varint", P2P_MSG_BLOCK,
	  "03" "0100000000000000" "ffffffffffffffffffff01" "00" },
	{ "block: 2^64-1 block length", P2P_MSG_BLOCK,
	  "03" "0100000000000000" "ffffffffffffffffff01" "00" },
	{ "block: txs type", P2P_MSG_BLOCK,
	  "04" "0100000000000000" "01aa" "01bb" },
	{ "txs: k 0", P2P_MSG_TXS, "04" "00" },
	{ "txs: k 0, padded", P2P_MSG_TXS, "04" "00" "01aa" },
	{ "txs: one empty tx", P2P_MSG_TXS, "04" "01" "00" },
	{ "txs: one empty tx, padded", P2P_MSG_TXS, "04" "01" "00" "0000" },
	{ "txs: empty first tx", P2P_MSG_TXS, "04" "02" "00" "01aa" },
	{ "txs: empty last tx", P2P_MSG_TXS, "04" "02" "01aa" "00" },
	{ "txs: fewer txs than k", P2P_MSG_TXS, "04" "03" "01aa" "01bb" },
	{ "txs: more txs than k", P2P_MSG_TXS, "04" "01" "01aa" "01bb" },
	{ "txs: non-minimal k", P2P_MSG_TXS, "04" "8100" "01aa" },
	{ "txs: non-minimal tx length", P2P_MSG_TXS, "04" "01" "8100" "aa" },
	{ "txs: k max+1", P2P_MSG_TXS, "04" "8108" "01aa" },
	{ "txs: k 2^64-1", P2P_MSG_TXS, "04" "ffffffffffffffffff01" "01aa" },
	{ "txs: tx length past the end", P2P_MSG_TXS, "04" "01" "03" "aabb" },
	{ "txs: tx length proof max+1", P2P_MSG_TXS, "04" "01" "818008" "aa" },
	{ "txs: block type", P2P_MSG_TXS, "03" "01" "01aa" },
	{ "ping: short", P2P_MSG_PING, "05" "00000000000000" },
	{ "ping: trailing", P2P_MSG_PING, "05" "000000000000000000" },
	{ "ping: getblocks type", P2P_MSG_PING, "02" "0000000000000000" },
	{ "ping: type 0", P2P_MSG_PING, "00" "0000000000000000" },
	{ "ping: unknown type", P2P_MSG_PING, "07" "0000000000000000" },
	{ "pong: short", P2P_MSG_PONG, "06" "00000000000000" },
};

static void test_bad_msgs(void **state)
{
	uint8_t in[512];
	(void)state;

	for (size_t i = 0; i < sizeof(bad_msgs) / sizeof(bad_msgs[0]); i++) {
		const struct bad_msg *c = &bad_msgs[i];
		int n = test_unhex(c->hex, in, sizeof(in));
		int rc;

		assert_true(n >= 0);
		rc = decode_as(c->decoder, &g_a, in, (size_t)n);
		if (rc != EMBER_P2P_MSG)
			fail_msg("'%s': got %d, want EMBER_P2P_MSG", c->what, rc);
		/* No other decoder takes it either. */
		for (size_t t = 0; t < NKNOWN; t++) {
			rc = decode_as(known_types[t], &g_a, in, (size_t)n);
			if (rc != EMBER_P2P_MSG)
				fail_msg("'%s' as %s: got %d", c->what,
				         p2p_msg_name(known_types[t]), rc);
		}
	}
}

/* Little-endian base-128, written out here so the big malformed messages
 * below do not come from the code under test. */
static size_t put_leb(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	do {
		p[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			p[n] |= 0x80;
		n++;
	} while (v);
	return n;
}

/*
 * The TXS budget: P2P_TXS_MAX ordinary txs at their limit fit, and so do
 * 32 proofs at theirs; a 33rd proof is refused by the encoder and, sent
 * anyway, by the decoder.  A proof one byte over its limit is refused
 * too, as is a count of P2P_TXS_MAX + 1.
 */
static void test_txs_limits(void **state)
{
	size_t cap = 1 + 3 + 33 * (3 + (size_t)EMBER_TX_PROOF_MAX_SIZE + 1);
	uint8_t *src = calloc(1, EMBER_TX_PROOF_MAX_SIZE + 1);
	uint8_t *out = malloc(cap);
	size_t n = 0, off;
	(void)state;

	assert_non_null(src);
	assert_non_null(out);
	assert_true(cap > p2p_msg_max_len(P2P_MSG_TXS));

	g_b.tx.n = P2P_TXS_MAX;
	for (size_t i = 0; i < P2P_TXS_MAX; i++) {
		g_b.tx.tx[i] = src;
		g_b.tx.len[i] = EMBER_TX_MAX_SIZE;
	}
	assert_int_equal(p2p_txs_encode(&g_b.tx, out, cap, &n), 0);
	assert_int_equal(n, 1 + 2 + P2P_TXS_MAX * (2 + EMBER_TX_MAX_SIZE));
	check_msg(out, n);

	g_b.tx.n = 32;
	for (size_t i = 0; i < 32; i++)
		g_b.tx.len[i] = EMBER_TX_PROOF_MAX_SIZE;
	assert_int_equal(p2p_txs_encode(&g_b.tx, out, cap, &n), 0);
	check_msg(out, n);

	g_b.tx.n = 33;
	g_b.tx.tx[32] = src;
	g_b.tx.len[32] = EMBER_TX_PROOF_MAX_SIZE;
	assert_int_equal(p2p_txs_encoded_size(&g_b.tx), 0);
	assert_int_equal(p2p_txs_encode(&g_b.tx, out, cap, &n), EMBER_EINVAL);
	off = 0;
	out[off++] = P2P_MSG_TXS;
	off += put_leb(out + off, 33);
	for (size_t i = 0; i < 33; i++) {
		off += put_leb(out + off, EMBER_TX_PROOF_MAX_SIZE);
		memcpy(out + off, src, EMBER_TX_PROOF_MAX_SIZE);
		off += EMBER_TX_PROOF_MAX_SIZE;
	}
	assert_true(off > p2p_msg_max_len(P2P_MSG_TXS));
	assert_int_equal(p2p_txs_decode(&g_a.tx, out, off), EMBER_P2P_MSG);

	/* One proof over its limit. */
	g_b.tx.n = 1;
	g_b.tx.len[0] = EMBER_TX_PROOF_MAX_SIZE + 1;
	assert_int_equal(p2p_txs_encode(&g_b.tx, out, cap, &n), EMBER_EINVAL);
	off = 0;
	out[off++] = P2P_MSG_TXS;
	off += put_leb(out + off, 1);
	off += put_leb(out + off, EMBER_TX_PROOF_MAX_SIZE + 1);
	memcpy(out + off, src, EMBER_TX_PROOF_MAX_SIZE + 1);
	off += EMBER_TX_PROOF_MAX_SIZE + 1;
	assert_int_equal(p2p_txs_decode(&g_a.tx, out, off), EMBER_P2P_MSG);
	/* ... and at it, the same bytes one shorter, it decodes. */
	out[2] = (uint8_t)(out[2] - 1);
	assert_int_equal(p2p_txs_decode(&g_a.tx, out, off - 1), 0);

	/* P2P_TXS_MAX + 1 one-byte txs. */
	off = 0;
	out[off++] = P2P_MSG_TXS;
	off += put_leb(out + off, P2P_TXS_MAX + 1);
	for (size_t i = 0; i < P2P_TXS_MAX + 1; i++) {
		out[off++] = 1;
		out[off++] = 0x42;
	}
	assert_int_equal(p2p_txs_decode(&g_a.tx, out, off), EMBER_P2P_MSG);
	free(src);
	free(out);
}

/* A BLOCK message exactly P2P_MSG_MAX long decodes; one byte more does
 * not, and the encoder will not write it. */
static void test_block_limit(void **state)
{
	size_t max = P2P_MSG_MAX;
	size_t blklen = max - 1 - 8 - 4 - 1;   /* 4-byte varint, empty cert */
	uint8_t *src = calloc(1, blklen + 1);
	uint8_t *out = malloc(max + 1);
	size_t n = 0, off;
	(void)state;

	assert_non_null(src);
	assert_non_null(out);
	assert_int_equal(p2p_msg_max_len(P2P_MSG_BLOCK), max);
	g_b.bl.height = 9;
	g_b.bl.blk = src;
	g_b.bl.blklen = blklen;
	g_b.bl.cert = NULL;
	g_b.bl.certlen = 0;
	assert_int_equal(p2p_block_encoded_size(&g_b.bl), max);
	assert_int_equal(p2p_block_encode(&g_b.bl, out, max, &n), 0);
	assert_int_equal(n, max);
	assert_int_equal(p2p_block_decode(&g_a.bl, out, n), 0);
	assert_int_equal(g_a.bl.blklen, blklen);

	g_b.bl.blklen = blklen + 1;
	assert_int_equal(p2p_block_encoded_size(&g_b.bl), 0);
	assert_int_equal(p2p_block_encode(&g_b.bl, out, max + 1, &n),
	                 EMBER_EINVAL);
	off = 0;
	out[off++] = P2P_MSG_BLOCK;
	memset(out + off, 0, 8);
	off += 8;
	off += put_leb(out + off, blklen + 1);
	memset(out + off, 0, blklen + 1);
	off += blklen + 1;
	out[off++] = 0;
	assert_int_equal(off, max + 1);
	assert_int_equal(p2p_block_decode(&g_a.bl, out, off), EMBER_P2P_MSG);
	free(src);
	free(out);
}

/* ---- misuse ---- */

static void test_encode_misuse(void **state)
{
	uint8_t out[256];
	size_t n = 0;
	(void)state;

	memset(&g_b, 0, sizeof(g_b));
	strcpy(g_b.st.chain_id, "ember");
	assert_int_equal(p2p_status_encode(NULL, out, sizeof(out), &n), EMBER_EINVAL);
	assert_int_equal(p2p_status_encode(&g_b.st, NULL, sizeof(out), &n),
	                 EMBER_EINVAL);
	assert_int_equal(p2p_status_encode(&g_b.st, out, sizeof(out), NULL),
	                 EMBER_EINVAL);
	assert_int_equal(p2p_status_encode(&g_b.st, out, 82, &n), EMBER_ENC_BUFFER);
	assert_int_equal(p2p_status_encode(&g_b.st, out, 0, &n), EMBER_ENC_BUFFER);
	strcpy(g_b.st.chain_id, "Ember");
	assert_int_equal(p2p_status_encode(&g_b.st, out, sizeof(out), &n),
	                 EMBER_EINVAL);
	strcpy(g_b.st.chain_id, "");
	assert_int_equal(p2p_status_encode(&g_b.st, out, sizeof(out), &n),
	                 EMBER_EINVAL);
	memset(g_b.st.chain_id, 'a', sizeof(g_b.st.chain_id));   /* no NUL */
	assert_int_equal(p2p_status_encode(&g_b.st, out, sizeof(out), &n),
	                 EMBER_EINVAL);

	g_b.gb.from = 1;
	g_b.gb.count = 0;
	assert_int_equal(p2p_getblocks_encode(&g_b.gb, out, sizeof(out), &n),
	                 EMBER_EINVAL);
	g_b.gb.count = P2P_GETBLOCKS_MAX + 1;
	assert_int_equal(p2p_getblocks_encode(&g_b.gb, out, sizeof(out), &n),
	                 EMBER_EINVAL);
	g_b.gb.count = 1;
	assert_int_equal(p2p_getblocks_encode(&g_b.gb, out, 12, &n),
	                 EMBER_ENC_BUFFER);
	assert_int_equal(p2p_getblocks_encode(NULL, out, sizeof(out), &n),
	                 EMBER_EINVAL);

	memset(&g_b.bl, 0, sizeof(g_b.bl));
	g_b.bl.blklen = 1;                      /* blk NULL */
	assert_int_equal(p2p_block_encoded_size(&g_b.bl), 0);
	assert_int_equal(p2p_block_encode(&g_b.bl, out, sizeof(out), &n),
	                 EMBER_EINVAL);
	g_b.bl.blk = out + 100;
	g_b.bl.certlen = 1;                     /* cert NULL */
	assert_int_equal(p2p_block_encode(&g_b.bl, out, sizeof(out), &n),
	                 EMBER_EINVAL);
	g_b.bl.blklen = SIZE_MAX;
	g_b.bl.cert = out;
	assert_int_equal(p2p_block_encoded_size(&g_b.bl), 0);
	assert_int_equal(p2p_block_encode(&g_b.bl, out, sizeof(out), &n),
	                 EMBER_EINVAL);
	assert_int_equal(p2p_block_encoded_size(NULL), 0);
	assert_int_equal(p2p_block_encode(NULL, out, sizeof(out), &n),
	                 EMBER_EINVAL);

	memset(&g_b.tx, 0, sizeof(g_b.tx));
	assert_int_equal(p2p_txs_encoded_size(&g_b.tx), 0);     /* n 0 */
	assert_int_equal(p2p_txs_encode(&g_b.tx, out, sizeof(out), &n),
	                 EMBER_EINVAL);
	g_b.tx.n = 1;
	g_b.tx.len[0] = 1;                                      /* tx NULL */
	assert_int_equal(p2p_txs_encode(&g_b.tx, out, sizeof(out), &n),
	                 EMBER_EINVAL);
	g_b.tx.tx[0] = out + 100;
	g_b.tx.len[0] = 0;                                      /* empty */
	assert_int_equal(p2p_txs_encode(&g_b.tx, out, sizeof(out), &n),
	                 EMBER_EINVAL);
	g_b.tx.n = P2P_TXS_MAX + 1;
	assert_int_equal(p2p_txs_encoded_size(&g_b.tx), 0);
	assert_int_equal(p2p_txs_encode(&g_b.tx, out, sizeof(out), &n),
	                 EMBER_EINVAL);
	g_b.tx.n = 1;
	g_b.tx.len[0] = 10;
	assert_int_equal(p2p_txs_encode(&g_b.tx, out, 12, &n), EMBER_ENC_BUFFER);
	assert_int_equal(p2p_txs_encoded_size(NULL), 0);

	g_b.pi.nonce = 5;
	assert_int_equal(p2p_ping_encode(P2P_MSG_STATUS, &g_b.pi, out, sizeof(out),
	                                 &n), EMBER_EINVAL);
	assert_int_equal(p2p_ping_encode(0, &g_b.pi, out, sizeof(out), &n),
	                 EMBER_EINVAL);
	assert_int_equal(p2p_ping_encode(P2P_MSG_PING, NULL, out, sizeof(out), &n),
	                 EMBER_EINVAL);
	assert_int_equal(p2p_ping_encode(P2P_MSG_PONG, &g_b.pi, out, 8, &n),
	                 EMBER_ENC_BUFFER);
}

/* NULL struct or NULL input with a length is misuse; no input is just a
 * malformed (empty) message. */
static void test_decode_misuse(void **state)
{
	static const uint8_t ping[9] = { P2P_MSG_PING };
	(void)state;

	assert_int_equal(p2p_status_decode(NULL, ping, 9), EMBER_EINVAL);
	assert_int_equal(p2p_getblocks_decode(NULL, ping, 9), EMBER_EINVAL);
	assert_int_equal(p2p_block_decode(NULL, ping, 9), EMBER_EINVAL);
	assert_int_equal(p2p_txs_decode(NULL, ping, 9), EMBER_EINVAL);
	assert_int_equal(p2p_ping_decode(NULL, ping, 9), EMBER_EINVAL);
	assert_int_equal(p2p_ping_decode(&g_a.pi, NULL, 9), EMBER_EINVAL);
	for (size_t t = 0; t < NKNOWN; t++)
		assert_int_equal(decode_as(known_types[t], &g_a, NULL, 0),
		                 EMBER_P2P_MSG);
	assert_int_equal(p2p_ping_decode(&g_a.pi, ping, 9), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_limits),
		cmocka_unit_test(test_consensus_messages),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_roundtrip_status),
		cmocka_unit_test(test_roundtrip_getblocks),
		cmocka_unit_test(test_roundtrip_block),
		cmocka_unit_test(test_roundtrip_txs),
		cmocka_unit_test(test_roundtrip_ping),
		cmocka_unit_test(test_bad_msgs),
		cmocka_unit_test(test_txs_limits),
		cmocka_unit_test(test_block_limit),
		cmocka_unit_test(test_encode_misuse),
		cmocka_unit_test(test_decode_misuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
