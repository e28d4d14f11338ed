/*
 * test_proof.c - the GPU proof of compute on toy sizes (N = 64 .. 256) with
 * the CPU back end: honest proofs verify; the body ember_prove writes
 * equals one rebuilt here from the prover's tree by a second reading of
 * proof.h's canonical order; every kind of tampering is refused with its
 * own code; and a prover that corrupts a fraction f of C is caught at the
 * rate the analysis predicts, (1 - f)^k passes per proof
 * (docs/proofs.md, "Security").  On a ledger (tokharness.h): the proof
 * tx's checks run in the order docs/economics.md ("Proofs") gives, so a
 * replay is refused as a replay whatever the height.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ember/gpukernel.h"
#include "ember/proof.h"
#include "tokharness.h"

#define HEAD (EMBER_PROOF_NODE + 8)

/* A proof under test: its challenge, parameters and body. */
struct tproof {
	struct ember_challenge c;
	uint32_t k, pow_bits;
	uint8_t *body;
	size_t len;
};

/* Challenge n for (epoch, provider byte, epoch-hash byte). */
static void tchal(struct ember_challenge *c, uint32_t n, uint64_t epoch,
                  uint8_t provider_byte, uint8_t hash_byte)
{
	uint8_t h[32], p[32];

	memset(h, hash_byte, sizeof h);
	memset(p, provider_byte, sizeof p);
	ember_challenge_derive(c, h, p, epoch, n);
}

static void tprove(struct tproof *p, uint32_t n, uint64_t epoch, uint32_t k,
                   uint32_t pow_bits)
{
	tchal(&p->c, n, epoch, 0x11, 0x22);
	p->k = k;
	p->pow_bits = pow_bits;
	assert_int_equal(ember_prove(EMBER_BACKEND_CPU, &p->c, k, pow_bits, 1, 0,
	                             0, &p->body, &p->len, NULL), 0);
}

static int tverify(const struct tproof *p, const uint8_t *body, size_t len)
{
	char why[160];
	int rc = ember_proof_verify(&p->c, p->k, p->pow_bits, body, len, why,
	                            sizeof why);

	/* A refusal always says why; an acceptance leaves it empty. */
	if (rc)
		assert_true(why[0] != '\0');
	else
		assert_string_equal(why, "");
	return rc;
}

static int is_refusal(int rc)
{
	return rc == EMBER_PROOF_FORMAT || rc == EMBER_PROOF_POW ||
	       rc == EMBER_PROOF_ENTRY || rc == EMBER_PROOF_ROOT;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t le64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static void put_le64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t leading_zeros(const uint8_t t[32])
{
	uint32_t z = 0;

	for (int i = 0; i < 32 * 8; i++) {
		if (t[i / 8] >> (7 - i % 8) & 1)
			break;
		z++;
	}
	return z;
}

/*
 * The openings of a body as the spec defines them: *pos gets the k
 * positions (malloc'd), *leaves the sorted distinct leaves (malloc'd) and
 * *m their count.
 */
static void topenings(const struct tproof *p, const uint8_t *body,
                      uint64_t **pos, uint64_t **leaves, size_t *m)
{
	uint8_t t[32];
	uint64_t *l;
	size_t cnt = 0;

	*pos = malloc(p->k * sizeof **pos);
	l = malloc(p->k * sizeof *l);
	assert_non_null(*pos);
	assert_non_null(l);
	ember_proof_pow_hash(&p->c, body, le64(body + EMBER_PROOF_NODE), t);
	ember_proof_positions(t, p->c.n, p->k, *pos);
	for (uint32_t o = 0; o < p->k; o++)
		l[o] = (*pos)[o] / EMBER_PROOF_LEAF_ENTRIES;
	qsort(l, p->k, sizeof *l, cmp_u64);
	for (uint32_t o = 0; o < p->k; o++)
		if (cnt == 0 || l[o] != l[cnt - 1])
			l[cnt++] = l[o];
	*leaves = l;
	*m = cnt;
}

/* Index of leaf `leaf` among leaves[0..m), or m when absent. */
static size_t tleaf_slot(const uint64_t *leaves, size_t m, uint64_t leaf)
{
	for (size_t i = 0; i < m; i++)
		if (leaves[i] == leaf)
			return i;
	return m;
}

/* C[i][j] straight from gpukernel.h's portable code. */
static int32_t tentry(const struct ember_challenge *c, uint32_t i, uint32_t j)
{
	uint32_t key[8];
	int8_t *a = malloc(c->n), *b = malloc(c->n);
	int32_t v;

	assert_non_null(a);
	assert_non_null(b);
	ek_key(c->seed, key);
	ek_gen(key, EK_STREAM_A, (uint64_t)i * c->n, c->n, a);
	ek_gen(key, EK_STREAM_B, (uint64_t)j * c->n, c->n, b);
	v = ek_dot(a, b, c->n);
	free(a);
	free(b);
	return v;
}

/*
 * The verifier generates rows and columns with libsodium's ChaCha20;
 * gpukernel.h defines them with ek_gen.  The two must agree everywhere,
 * including the last block of the largest N (counter 2^26 - 1).
 */
static void test_keystream_matches_kernel(void **state)
{
	static const struct { uint32_t n; uint64_t idx; } cases[] = {
		{ 64, 0 }, { 64, 63 }, { 8192, 1 }, { 8192, 8191 },
		{ 65536, 0 }, { 65536, 65535 },
	};
	uint8_t seed[32];
	uint32_t key[8];

	(void)state;
	assert_int_equal(sodium_init() < 0, 0);
	for (size_t i = 0; i < sizeof seed; i++)
		seed[i] = (uint8_t)(7 * i + 3);
	ek_key(seed, key);
	for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
		uint32_t n = cases[ci].n;
		int8_t *want = malloc(n);
		uint8_t *got = calloc(n, 1);

		assert_non_null(want);
		assert_non_null(got);
		for (uint32_t stream = EK_STREAM_A; stream <= EK_STREAM_B; stream++) {
			uint8_t nonce[12] = { (uint8_t)stream };
			uint64_t first = cases[ci].idx * n;

			ek_gen(key, stream, first, n, want);
			memset(got, 0, n);
			crypto_stream_chacha20_ietf_xor_ic(got, got, n, nonce,
			                                   (uint32_t)(first / EK_BLOCK),
			                                   seed);
			assert_memory_equal(want, got, n);
		}
		free(want);
		free(got);
	}
}

/* Honest proofs verify, across sizes, tiny and huge k (repeated leaves,
 * a multiproof with almost no nodes) and pow bits. */
static void test_honest(void **state)
{
	static const struct { uint32_t n, k, pow; } cases[] = {
		{ 64, 1, 0 }, { 64, 16, 4 }, { 64, 600, 2 }, { 64, 5000, 0 },
		{ 128, 100, 6 }, { 128, 400, 5 }, { 256, 40, 8 }, { 256, 400, 7 },
	};

	(void)state;
	for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
		struct tproof p;
		uint64_t *pos, *leaves;
		size_t m;
		uint8_t t[32];

		tprove(&p, cases[ci].n, 3 + ci, cases[ci].k, cases[ci].pow);
		if (tverify(&p, p.body, p.len) != 0)
			fail_msg("honest proof n=%u k=%u refused", p.c.n, p.k);
		assert_int_equal(ember_proof_verify(&p.c, p.k, p.pow_bits, p.body,
		                                    p.len, NULL, 0), 0);
		ember_proof_pow_hash(&p.c, p.body, le64(p.body + EMBER_PROOF_NODE), t);
		assert_true(ember_proof_pow_ok(t, p.pow_bits));
		topenings(&p, p.body, &pos, &leaves, &m);
		assert_int_equal(ember_proof_body_size(p.c.n, pos, p.k), p.len);
		assert_true(p.len >= HEAD + m * EMBER_PROOF_LEAF);
		assert_int_equal((p.len - HEAD - m * EMBER_PROOF_LEAF) %
		                 EMBER_PROOF_NODE, 0);
		free(pos);
		free(leaves);
		free(p.body);
	}
}

/*
 * The body rebuilt from the prover's tree by reading proof.h again: the
 * leaves recomputed with ek_gen/ek_dot, the nodes in the canonical order.
 * It must equal ember_prove's body byte for byte, so the prover and the
 * verifier cannot share one misreading of the order.
 */
static void test_body_from_tree(void **state)
{
	struct tproof p;
	uint64_t *pos, *leaves, *set, *next, nleaves;
	uint8_t *tree, *want, *w;
	size_t m, cnt;

	(void)state;
	tprove(&p, 64, 41, 30, 4);
	nleaves = (uint64_t)p.c.n * p.c.n / EMBER_PROOF_LEAF_ENTRIES;
	tree = malloc(2 * nleaves * EMBER_PROOF_NODE);
	want = malloc(EMBER_PROOF_BODY_MAX);
	assert_non_null(tree);
	assert_non_null(want);
	assert_int_equal(ember_prover_cpu_tree(&p.c, 1, 0, 0, tree), 0);
	assert_memory_equal(tree + EMBER_PROOF_NODE, p.body, EMBER_PROOF_NODE);

	topenings(&p, p.body, &pos, &leaves, &m);
	set = malloc(m * sizeof *set);
	next = malloc(m * sizeof *next);
	assert_non_null(set);
	assert_non_null(next);
	memcpy(want, p.body, HEAD);
	w = want + HEAD;
	for (size_t i = 0; i < m; i++) {
		uint32_t row = (uint32_t)(leaves[i] * EMBER_PROOF_LEAF_ENTRIES / p.c.n);
		uint32_t col0 = (uint32_t)(leaves[i] * EMBER_PROOF_LEAF_ENTRIES % p.c.n);
		uint8_t lh[EMBER_PROOF_NODE];

		for (uint32_t e = 0; e < EMBER_PROOF_LEAF_ENTRIES; e++) {
			uint32_t v = (uint32_t)tentry(&p.c, row, col0 + e);

			for (int b = 0; b < 4; b++)
				w[4 * e + b] = (uint8_t)(v >> (8 * b));
		}
		ember_proof_leaf_hash(w, lh);
		assert_memory_equal(lh, tree + (nleaves + leaves[i]) *
		                    EMBER_PROOF_NODE, EMBER_PROOF_NODE);
		w += EMBER_PROOF_LEAF;
		set[i] = nleaves + leaves[i];
	}
	/* Literally as proof.h words it: the next set goes to its own array. */
	for (cnt = m; !(cnt == 1 && set[0] == 1);) {
		size_t out = 0;

		for (size_t i = 0; i < cnt; i++) {
			uint64_t x = set[i];
			int paired_up = !(x & 1) && i + 1 < cnt && set[i + 1] == x + 1;
			int paired_down = (x & 1) && i > 0 && set[i - 1] == x - 1;

			if (!paired_up && !paired_down) {
				memcpy(w, tree + (x ^ 1) * EMBER_PROOF_NODE,
				       EMBER_PROOF_NODE);
				w += EMBER_PROOF_NODE;
			}
			if (out == 0 || next[out - 1] != x / 2)
				next[out++] = x / 2;
		}
		memcpy(set, next, out * sizeof *set);
		cnt = out;
	}
	assert_int_equal((size_t)(w - want), p.len);
	assert_memory_equal(want, p.body, p.len);

	free(next);
	free(set);
	free(pos);
	free(leaves);
	free(want);
	free(tree);
	free(p.body);
}

/*
 * An opened entry changed without re-hashing anything is ENTRY (the
 * entries are checked before the tree); an unopened entry of an opened
 * leaf is caught only by the tree, ROOT.
 */
static void test_wrong_entry(void **state)
{
	struct tproof p;
	uint64_t *pos, *leaves;
	size_t m, unopened_done = 0;
	uint8_t *b;

	(void)state;
	tprove(&p, 128, 5, 64, 4);
	topenings(&p, p.body, &pos, &leaves, &m);
	b = malloc(p.len);
	assert_non_null(b);
	for (uint32_t o = 0; o < p.k; o++) {
		size_t slot = tleaf_slot(leaves, m, pos[o] / EMBER_PROOF_LEAF_ENTRIES);
		size_t at = HEAD + slot * EMBER_PROOF_LEAF +
		            (pos[o] % EMBER_PROOF_LEAF_ENTRIES) * 4;
		char why[160];

		assert_true(slot < m);
		memcpy(b, p.body, p.len);
		b[at] ^= 1;
		assert_int_equal(ember_proof_verify(&p.c, p.k, p.pow_bits, b, p.len,
		                                    why, sizeof why),
		                 EMBER_PROOF_ENTRY);
		assert_non_null(strstr(why, "entry ("));
		memcpy(b, p.body, p.len);
		b[at + 3] ^= 0x80;
		assert_int_equal(tverify(&p, b, p.len), EMBER_PROOF_ENTRY);
	}
	/* Entries of opened leaves that no position names. */
	for (size_t i = 0; i < m; i++)
		for (uint32_t e = 0; e < EMBER_PROOF_LEAF_ENTRIES; e++) {
			uint64_t entry = leaves[i] * EMBER_PROOF_LEAF_ENTRIES + e;
			int opened = 0;

			for (uint32_t o = 0; o < p.k; o++)
				opened |= pos[o] == entry;
			if (opened)
				continue;
			memcpy(b, p.body, p.len);
			b[HEAD + i * EMBER_PROOF_LEAF + 4 * e] ^= 1;
			assert_int_equal(tverify(&p, b, p.len), EMBER_PROOF_ROOT);
			unopened_done++;
		}
	assert_true(unopened_done > 0);
	free(b);
	free(pos);
	free(leaves);
	free(p.body);
}

/* Any change to any multiproof node, or two nodes swapped, is ROOT. */
static void test_wrong_node(void **state)
{
	struct tproof p;
	uint64_t *pos, *leaves;
	size_t m, first, nodes;
	uint8_t *b;

	(void)state;
	tprove(&p, 128, 6, 64, 4);
	topenings(&p, p.body, &pos, &leaves, &m);
	first = HEAD + m * EMBER_PROOF_LEAF;
	nodes = (p.len - first) / EMBER_PROOF_NODE;
	assert_true(nodes > 2);
	b = malloc(p.len);
	assert_non_null(b);
	for (size_t i = 0; i < nodes; i++) {
		memcpy(b, p.body, p.len);
		b[first + i * EMBER_PROOF_NODE + i % EMBER_PROOF_NODE] ^=
			(uint8_t)(1u << (i % 8));
		assert_int_equal(tverify(&p, b, p.len), EMBER_PROOF_ROOT);
	}
	memcpy(b, p.body, p.len);
	memcpy(b + first, p.body + first + EMBER_PROOF_NODE, EMBER_PROOF_NODE);
	memcpy(b + first + EMBER_PROOF_NODE, p.body + first, EMBER_PROOF_NODE);
	assert_int_equal(tverify(&p, b, p.len), EMBER_PROOF_ROOT);
	free(b);
	free(pos);
	free(leaves);
	free(p.body);
}

/*
 * A flipped root bit changes t: with pow bits the new t almost always
 * lacks them (POW); otherwise the positions move, and the body no longer
 * fits them (FORMAT) or does not check out (ENTRY, ROOT).  Never accepted.
 */
static void test_root_flip(void **state)
{
	struct tproof p;
	uint8_t *b;
	int pow_refusals = 0;

	(void)state;
	for (uint32_t pow_bits = 0; pow_bits <= 8; pow_bits += 8) {
		tprove(&p, 64, 7, 32, pow_bits);
		b = malloc(p.len);
		assert_non_null(b);
		for (int bit = 0; bit < EMBER_PROOF_NODE * 8; bit++) {
			int rc;

			memcpy(b, p.body, p.len);
			b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			rc = tverify(&p, b, p.len);
			assert_true(is_refusal(rc));
			if (pow_bits == 0)
				assert_int_not_equal(rc, EMBER_PROOF_POW);
			pow_refusals += rc == EMBER_PROOF_POW;
		}
		free(b);
		free(p.body);
	}
	/* 160 flips each pass 8 pow bits with probability 1/256. */
	assert_true(pow_refusals >= 150);
}

/* A proof answers its own challenge only. */
static void test_other_seed(void **state)
{
	struct tproof p, q;
	int rc;

	(void)state;
	tprove(&p, 64, 9, 24, 4);
	q = p;
	tchal(&q.c, 64, 9, 0x12, 0x22);         /* another provider */
	rc = tverify(&q, p.body, p.len);
	assert_true(is_refusal(rc));
	tchal(&q.c, 64, 10, 0x11, 0x22);        /* another epoch */
	rc = tverify(&q, p.body, p.len);
	assert_true(is_refusal(rc));
	tchal(&q.c, 64, 9, 0x11, 0x23);         /* another epoch hash */
	rc = tverify(&q, p.body, p.len);
	assert_true(is_refusal(rc));
	tchal(&q.c, 128, 9, 0x11, 0x22);        /* another class's N */
	rc = tverify(&q, p.body, p.len);
	assert_true(is_refusal(rc));
	/* Derived again from the same inputs, the challenge accepts it. */
	tchal(&q.c, 64, 9, 0x11, 0x22);
	assert_int_equal(tverify(&q, p.body, p.len), 0);
	free(p.body);
}

/* Every truncation, a trailing byte and an oversize body are FORMAT. */
static void test_lengths(void **state)
{
	struct tproof p;
	uint8_t *b;

	(void)state;
	tprove(&p, 128, 11, 50, 4);
	b = calloc(EMBER_PROOF_BODY_MAX + 1, 1);
	assert_non_null(b);
	memcpy(b, p.body, p.len);
	for (size_t len = 0; len < p.len; len++)
		assert_int_equal(tverify(&p, b, len), EMBER_PROOF_FORMAT);
	assert_int_equal(tverify(&p, NULL, 0), EMBER_PROOF_FORMAT);
	assert_int_equal(tverify(&p, b, p.len + 1), EMBER_PROOF_FORMAT);
	assert_int_equal(tverify(&p, b, p.len + EMBER_PROOF_NODE),
	                 EMBER_PROOF_FORMAT);
	assert_int_equal(tverify(&p, b, EMBER_PROOF_BODY_MAX),
	                 EMBER_PROOF_FORMAT);
	assert_int_equal(tverify(&p, b, EMBER_PROOF_BODY_MAX + 1),
	                 EMBER_PROOF_FORMAT);
	assert_int_equal(tverify(&p, b, p.len), 0);
	free(b);
	free(p.body);
}

/* A nonce whose t lacks the pow bits is POW, before anything else. */
static void test_bad_nonce(void **state)
{
	struct tproof p;
	uint64_t good, bad;
	uint8_t t[32], *b;

	(void)state;
	tprove(&p, 64, 12, 20, 6);
	good = le64(p.body + EMBER_PROOF_NODE);
	for (bad = 0;; bad++) {
		ember_proof_pow_hash(&p.c, p.body, bad, t);
		if (bad != good && !ember_proof_pow_ok(t, p.pow_bits))
			break;
	}
	b = malloc(p.len);
	assert_non_null(b);
	memcpy(b, p.body, p.len);
	put_le64(b + EMBER_PROOF_NODE, bad);
	assert_int_equal(tverify(&p, b, p.len), EMBER_PROOF_POW);
	/* The first nonce the grinding search accepts is the one it used. */
	for (uint64_t n = 0; n < good; n++) {
		ember_proof_pow_hash(&p.c, p.body, n, t);
		assert_false(ember_proof_pow_ok(t, p.pow_bits));
	}
	free(b);
	free(p.body);
}

/*
 * k is not in the body.  Positions are a function of (t, o), so another k
 * keeps the first openings and drops or adds some: refused unless the
 * set of opened leaves happens to stay the same, in which case the body is
 * a valid proof for that k too.  More pow bits than t has: POW.  Fewer
 * than the prover ground for are accepted on purpose: t does not depend
 * on pow_bits, and extra work proves no less.
 */
static void test_params_differ(void **state)
{
	struct tproof p, q;
	uint64_t *pos, *leaves, *qpos, *qleaves;
	size_t m, qm;
	uint8_t t[32];
	uint32_t have;
	unsigned refused = 0;

	(void)state;
	tprove(&p, 128, 13, 40, 5);
	topenings(&p, p.body, &pos, &leaves, &m);
	q = p;
	for (uint32_t k = 1; k <= 100; k++) {
		int same, rc;

		if (k == p.k)
			continue;
		q.k = k;
		topenings(&q, p.body, &qpos, &qleaves, &qm);
		same = qm == m && memcmp(qleaves, leaves, m * sizeof *leaves) == 0;
		rc = tverify(&q, p.body, p.len);
		if (same) {
			assert_int_equal(rc, 0);
		} else {
			assert_true(is_refusal(rc));
			refused++;
		}
		free(qpos);
		free(qleaves);
	}
	assert_true(refused >= 90);
	q = p;
	ember_proof_pow_hash(&p.c, p.body, le64(p.body + EMBER_PROOF_NODE), t);
	have = leading_zeros(t);
	assert_true(have >= p.pow_bits);
	q.pow_bits = have + 1;
	assert_int_equal(tverify(&q, p.body, p.len), EMBER_PROOF_POW);
	q.pow_bits = 64;
	assert_int_equal(tverify(&q, p.body, p.len), EMBER_PROOF_POW);
	q.pow_bits = have;
	assert_int_equal(tverify(&q, p.body, p.len), 0);
	q.pow_bits = 0;
	assert_int_equal(tverify(&q, p.body, p.len), 0);
	free(pos);
	free(leaves);
	free(p.body);
}

/* API misuse is EINVAL, told apart from a bad proof. */
static void test_misuse(void **state)
{
	static const uint32_t bad_n[] = { 0, 1, 32, 48, 100, 8191, 131072 };
	struct tproof p;
	struct ember_challenge c;
	uint8_t b[HEAD] = { 0 };

	(void)state;
	tprove(&p, 64, 14, 8, 0);
	assert_int_equal(ember_proof_verify(NULL, 8, 0, p.body, p.len, NULL, 0),
	                 EMBER_EINVAL);
	assert_int_equal(ember_proof_verify(&p.c, 0, 0, p.body, p.len, NULL, 0),
	                 EMBER_EINVAL);
	assert_int_equal(ember_proof_verify(&p.c, 8, 257, p.body, p.len, NULL, 0),
	                 EMBER_EINVAL);
	assert_int_equal(ember_proof_verify(&p.c, 8, 0, NULL, 5, NULL, 0),
	                 EMBER_EINVAL);
	for (size_t i = 0; i < sizeof bad_n / sizeof bad_n[0]; i++) {
		c = p.c;
		c.n = bad_n[i];
		assert_int_equal(ember_proof_verify(&c, 8, 0, b, sizeof b, NULL, 0),
		                 EMBER_EINVAL);
	}
	assert_int_equal(ember_proof_verify(&p.c, 8, 0, p.body, p.len, NULL, 0), 0);
	free(p.body);
}

/* Corrupted entries of C for cheat_seed over all n*n entries. */
static double corrupted_fraction(uint32_t n, uint64_t cheat_seed, uint32_t ppm)
{
	uint64_t bad = 0, all = (uint64_t)n * n;

	for (uint64_t e = 0; e < all; e++)
		bad += ember_proof_corrupted(cheat_seed, e, ppm) != 0;
	return (double)bad / (double)all;
}

/*
 * Runs `trials` proofs of a cheater (fixed cheat_seed, one epoch per
 * trial) and returns how many the verifier accepts.  Every refusal must be
 * ENTRY: the cheater commits to its wrong C consistently, so only the
 * recomputation can catch it.
 */
static unsigned cheat_passes(uint32_t n, uint32_t k, uint32_t ppm,
                             uint64_t cheat_seed, unsigned trials)
{
	unsigned passes = 0;

	for (unsigned tr = 0; tr < trials; tr++) {
		struct tproof p;
		int rc;

		tchal(&p.c, n, 1000 + tr, 0x33, 0x44);
		p.k = k;
		p.pow_bits = 0;
		assert_int_equal(ember_prove(EMBER_BACKEND_CPU, &p.c, k, 0, 1, ppm,
		                             cheat_seed, &p.body, &p.len, NULL), 0);
		rc = tverify(&p, p.body, p.len);
		if (rc == 0)
			passes++;
		else if (rc != EMBER_PROOF_ENTRY)
			fail_msg("trial %u: cheater refused with %d, not ENTRY", tr, rc);
		free(p.body);
	}
	return passes;
}

/* P(X > c) for X ~ Binomial(trials, q). */
static double binom_tail_above(unsigned trials, double q, unsigned c)
{
	double below = 0;

	for (unsigned j = 0; j <= c && j <= trials; j++)
		below += exp(lgamma(trials + 1.0) - lgamma(j + 1.0) -
		             lgamma(trials - j + 1.0) + j * log(q) +
		             (trials - j) * log1p(-q));
	return below >= 1 ? 0 : 1 - below;
}

/*
 * The soundness arithmetic, measured.  Positions are uniform over the
 * n*n entries and independent, so with a fraction f of C wrong a proof
 * passes with probability exactly (1 - f)^k.  With one cheat_seed (so f is
 * fixed) the pass count over independent epochs is Binomial(trials,
 * (1 - f)^k), and it must lie within 4.5 sigma of its mean.
 */
static void test_cheater_rate(void **state)
{
	const uint32_t n = 128, k = 16, ppm = 100000;
	const unsigned trials = 1000;
	const uint64_t cheat_seed = 0xc4ea7;
	double f = corrupted_fraction(n, cheat_seed, ppm);
	double q = pow(1 - f, k), mean = trials * q;
	double sigma = sqrt(trials * q * (1 - q));
	unsigned passes;

	(void)state;
	assert_true(f > 0.09 && f < 0.11);
	passes = cheat_passes(n, k, ppm, cheat_seed, trials);
	print_message("cheater f=%.4f k=%u: %u of %u passed, predicted %.1f "
	              "+- %.1f\n", f, k, passes, trials, mean, sigma);
	assert_true(fabs(passes - mean) <= 4.5 * sigma);

	/* Every entry wrong: nothing ever passes. */
	assert_int_equal(cheat_passes(64, 1, 1000000, 1, 20), 0);
}

/*
 * k = 64, f = 10%: (0.9)^64 = 1.2e-3 per proof, so 200 proofs expect 0.24
 * passes.  "None pass" would itself fail for about one seed in five, so
 * the assertion is the binomial tail: at most c passes, with c the least
 * count whose excess has probability below 1e-6.
 */
static void test_cheater_k64(void **state)
{
	const uint32_t n = 64, k = 64, ppm = 100000;
	const unsigned trials = 200;
	const uint64_t cheat_seed = 0x5eed64;
	double f = corrupted_fraction(n, cheat_seed, ppm);
	double q = pow(1 - f, k);
	unsigned passes, c = 0;

	(void)state;
	assert_true(f > 0.085 && f < 0.115);
	while (binom_tail_above(trials, q, c) >= 1e-6)
		c++;
	passes = cheat_passes(n, k, ppm, cheat_seed, trials);
	print_message("cheater f=%.4f k=%u: %u of %u passed, predicted %.2f, "
	              "bound %u\n", f, k, passes, trials, trials * q, c);
	assert_true(passes <= c);
}

/* --- the proof tx on a ledger --------------------------------------------- */

#define LEB 8                   /* epoch_blocks */
#define LDL 4                   /* challenge_deadline_blocks */
#define LK 16                   /* proof_openings */
#define LBITS 2                 /* proof_pow_bits */

struct lfx {
	struct th *h;
	uint8_t *body[4];
	size_t nbody;
};

static int lfx_teardown(void **state)
{
	struct lfx *f = *state;

	if (!f)
		return 0;
	th_free(f->h);
	for (size_t i = 0; i < f->nbody; i++)
		free(f->body[i]);
	free(f);
	return 0;
}

/* A proof tx from prov for epoch e on f's ledger, in the epoch's first
 * block or later (H is then the parent of that block, or recorded). */
static struct ember_tx lproof(struct lfx *f, const uint8_t prov[32], uint64_t e)
{
	struct ember_challenge c;
	struct ember_txn *t;
	struct ember_tx tx;
	uint8_t H[32];
	size_t len = 0;

	if (th_height(f->h) == e * LEB) {
		tok_runner_root(f->h->r, H);    /* tokrun.h: the runner's H */
	} else {
		t = th_read(f->h);
		assert_int_equal(tok_epoch_hash(t, e, H), 0);
		ember_txn_abort(t);
	}
	ember_challenge_derive(&c, H, prov, e, f->h->g.classes[0].challenge_n);
	assert_true(f->nbody < sizeof(f->body) / sizeof(f->body[0]));
	assert_int_equal(ember_prove(EMBER_BACKEND_CPU, &c, LK, LBITS, 1, 0, 0,
	                             &f->body[f->nbody], &len, NULL), 0);
	tx = th_tx(f->h, EMBER_TX_PROOF, prov);
	tx.u.proof.epoch = e;
	tx.u.proof.body = f->body[f->nbody++];
	tx.u.proof.body_len = (uint32_t)len;
	return tx;
}

/*
 * A proof that passed, sent again (as a resent tx is: the same body, the
 * sender's next nonce), is a replay in every block after: within the
 * deadline, past it, and in the next epoch.  Checking the deadline or the
 * epoch first would call it late or stale depending on when it arrived.
 * A fresh proof past the deadline is still late.
 */
static void test_replay_after_deadline(void **state)
{
	struct lfx *f = calloc(1, sizeof(*f));
	struct ember_params *pp;
	struct ember_tx pass, late;
	struct th *h;

	assert_non_null(f);
	*state = f;
	h = f->h = th_new("bme", 2);
	pp = &h->g.params;
	pp->epoch_blocks = LEB;
	pp->challenges_enabled = 1;
	pp->challenge_deadline_blocks = LDL;
	pp->proof_openings = LK;
	pp->proof_pow_bits = LBITS;
	th_open(h);
	th_ok1(h, th_register(h, h->acc[0].pub, TH_CLASS_A, 1));        /* 1 */
	th_ok1(h, th_register(h, h->acc[1].pub, TH_CLASS_A, 1));        /* 2 */
	th_at(h, LEB + 1);

	/* epoch 1: provider 0 passes in the epoch's first block */
	pass = lproof(f, h->acc[0].pub, 1);
	th_ok1(h, pass);                                        /* block 9 */
	th_probe(h, pass, EMBER_PROOF_DUP);
	th_empty(h);                                            /* block 10 */
	assert_non_null(strstr(h->probe[0].why,
	                       "already answered epoch 1's challenge: pass at height 9"));

	/* past the deadline (block 12): still a replay, not late */
	late = lproof(f, h->acc[1].pub, 1);
	th_at(h, LEB + LDL + 1);
	th_probe(h, pass, EMBER_PROOF_DUP);
	th_probe(h, late, EMBER_PROOF_LATE);
	th_empty(h);                                            /* block 13 */
	assert_non_null(strstr(h->probe[0].why,
	                       "already answered epoch 1's challenge: pass at height 9"));
	assert_non_null(strstr(h->probe[1].why, "past its deadline, height 12"));

	/* epoch 2: still a replay, not a proof for the wrong epoch */
	th_at(h, 2 * LEB + 1);
	th_probe(h, pass, EMBER_PROOF_DUP);
	th_probe(h, late, EMBER_PROOF_EPOCH);
	th_empty(h);                                            /* block 17 */
	assert_non_null(strstr(h->probe[0].why,
	                       "already answered epoch 1's challenge: pass at height 9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keystream_matches_kernel),
		cmocka_unit_test(test_honest),
		cmocka_unit_test(test_body_from_tree),
		cmocka_unit_test(test_wrong_entry),
		cmocka_unit_test(test_wrong_node),
		cmocka_unit_test(test_root_flip),
		cmocka_unit_test(test_other_seed),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_bad_nonce),
		cmocka_unit_test(test_params_differ),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_cheater_rate),
		cmocka_unit_test(test_cheater_k64),
		cmocka_unit_test_teardown(test_replay_after_deadline, lfx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
