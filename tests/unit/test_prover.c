/*
 * test_prover.c - the proof's common code and the CPU prover.
 *
 * The hashes, challenge and positions are checked against vectors computed
 * outside this code base (Python hashlib from proof.h's text).  The CPU
 * tree is checked against an independent path on toy sizes: A and B built
 * element by element with ek_elem, C by a naive triple loop, the leaves
 * hashed and the root folded by the recursive definition.  Bodies from
 * ember_prove are folded by a multiproof walk written here from proof.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "ember/gpukernel.h"
#include "ember/hash.h"
#include "ember/proof.h"

#define NODE EMBER_PROOF_NODE

static void fill_seq(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static void challenge_for(struct ember_challenge *c, uint32_t n, uint8_t tag)
{
	uint8_t h[32], prov[32];

	memset(h, tag, sizeof h);
	memset(prov, 0x5a, sizeof prov);
	ember_challenge_derive(c, h, prov, 3, n);
}

static void le32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint64_t le64_get(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* ---- vectors */

static void expect_hex(const uint8_t *got, size_t n, const char *hex)
{
	uint8_t want[64];

	assert_int_equal(test_unhex(hex, want, sizeof want), (int)n);
	assert_memory_equal(got, want, n);
}

static void test_hash_vectors(void **state)
{
	uint8_t leaf[32] = { 0 }, l[40], out[NODE];

	(void)state;
	/* SHA-256(00 || 32 zero bytes)[0..20) */
	ember_proof_leaf_hash(leaf, out);
	expect_hex(out, NODE, "7f9c9e31ac8256ca2f258583df262dbc7d6f68f2");
	/* SHA-256(01 || 00 01 .. 27)[0..20) */
	fill_seq(l, sizeof l, 0);
	ember_proof_node_hash(l, l + NODE, out);
	expect_hex(out, NODE, "7b1bdf2d1fcebf6093c153ecae830e36480a27d5");
}

static void test_challenge_vector(void **state)
{
	struct ember_challenge c;
	uint8_t h[32], prov[32];

	(void)state;
	memset(h, 0xaa, sizeof h);
	memset(prov, 0xbb, sizeof prov);
	ember_challenge_derive(&c, h, prov, 7, 2048);
	expect_hex(c.seed, 32, "f1a83c6abbac2fb2c836fa0659f6ae8c"
	                       "aba5a6a0c72713fe91bf6e3822034ad4");
	assert_memory_equal(c.provider, prov, 32);
	assert_true(c.epoch == 7);
	assert_int_equal(c.n, 2048);
}

static void test_pow_vector(void **state)
{
	struct ember_challenge c = { .n = 64 };
	uint8_t root[NODE], t[32];

	(void)state;
	fill_seq(c.seed, 32, 0);
	fill_seq(root, NODE, 32);
	ember_proof_pow_hash(&c, root, 0x0102030405060708ull, t);
	expect_hex(t, 32, "c52db9a9842d03ecbdcefd41001a426c"
	                  "d4ccd42461e89c06c41332ade0631ee9");
}

static void test_pow_ok(void **state)
{
	uint8_t t[32];

	(void)state;
	memset(t, 0xff, sizeof t);
	assert_true(ember_proof_pow_ok(t, 0));
	assert_false(ember_proof_pow_ok(t, 1));
	t[0] = 0x00;
	t[1] = 0x0f;   /* 8 + 4 leading zero bits */
	assert_true(ember_proof_pow_ok(t, 8));
	assert_true(ember_proof_pow_ok(t, 12));
	assert_false(ember_proof_pow_ok(t, 13));
	t[1] = 0x10;   /* 8 + 3 */
	assert_true(ember_proof_pow_ok(t, 11));
	assert_false(ember_proof_pow_ok(t, 12));
	memset(t, 0, sizeof t);
	assert_true(ember_proof_pow_ok(t, 256));
	assert_false(ember_proof_pow_ok(t, 257));
}

static void test_positions(void **state)
{
	uint8_t t[32];
	uint64_t a[3], b[400], b2[400];

	(void)state;
	fill_seq(t, 32, 0);
	/* le64(SHA-256(t || le32 o)[0..8)) mod N*N for o = 0, 1, 2 */
	ember_proof_positions(t, 64, 3, a);
	assert_true(a[0] == 1136 && a[1] == 2916 && a[2] == 1000);
	ember_proof_positions(t, 65536, 3, a);
	assert_true(a[0] == 1023472752ull && a[1] == 960461668ull &&
	            a[2] == 3621782504ull);

	for (uint32_t n = 64; n <= 8192; n *= 2) {
		ember_proof_positions(t, n, 400, b);
		ember_proof_positions(t, n, 400, b2);
		assert_memory_equal(b, b2, sizeof b);
		for (int o = 0; o < 400; o++)
			assert_true(b[o] < (uint64_t)n * n);
	}
	/* A prefix of the openings does not depend on k. */
	ember_proof_positions(t, 8192, 3, a);
	assert_memory_equal(a, b, sizeof a);
}

static void test_corrupted(void **state)
{
	uint32_t hits = 0;

	(void)state;
	/* le32(SHA-256(le64 5 || le64 0)[0..4)) % 10^6 = 641302 */
	assert_true(ember_proof_corrupted(5, 0, 641303));
	assert_false(ember_proof_corrupted(5, 0, 641302));
	assert_false(ember_proof_corrupted(5, 0, 0));
	assert_true(ember_proof_corrupted(5, 1, 1000000));
	for (uint64_t e = 0; e < 100000; e++)
		hits += (uint32_t)ember_proof_corrupted(99, e, 100000);
	/* 10^5 draws at p = 0.1: mean 10^4, sigma about 95. */
	assert_in_range(hits, 9500, 10500);
}

/* ---- the CPU tree against a naive path */

/* C by a triple loop over A and B built with ek_elem; malloc'd. */
static int32_t *naive_c(const struct ember_challenge *c)
{
	uint32_t n = c->n, key[8];
	int8_t *a = malloc((size_t)n * n), *b = malloc((size_t)n * n);
	int32_t *cm = malloc((size_t)n * n * sizeof *cm);

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(cm);
	ek_key(c->seed, key);
	/* A[i][k] is A-stream element i*N + k; B[k][j] is B-stream element
	 * j*N + k.  Both are stored here row-major, as written on paper. */
	for (uint64_t x = 0; x < n; x++)
		for (uint64_t k = 0; k < n; k++) {
			a[x * n + k] = ek_elem(key, EK_STREAM_A, x * n + k);
			b[k * n + x] = ek_elem(key, EK_STREAM_B, x * n + k);
		}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int32_t s = 0;

			for (size_t k = 0; k < n; k++)
				s += (int32_t)a[i * n + k] * b[k * n + j];
			cm[i * n + j] = s;
		}
	free(a);
	free(b);
	return cm;
}

/* The 32-byte leaf l of C, with the cheat rule when ppm > 0. */
static void naive_leaf(const int32_t *cm, uint64_t l, uint32_t ppm,
                       uint64_t cheat_seed, uint8_t out[32])
{
	for (unsigned e = 0; e < 8; e++) {
		uint64_t entry = l * 8 + e;   /* row-major index i*N + j */
		uint32_t v = (uint32_t)cm[entry];

		if (ppm && ember_proof_corrupted(cheat_seed, entry, ppm))
			v++;
		le32_put(out + 4 * e, v);
	}
}

static void naive_root(const uint8_t *hashes, uint64_t lo, uint64_t hi,
                       uint8_t out[NODE])
{
	uint8_t l[NODE], r[NODE];
	uint64_t mid = lo + (hi - lo) / 2;

	if (hi - lo == 1) {
		memcpy(out, hashes + lo * NODE, NODE);
		return;
	}
	naive_root(hashes, lo, mid, l);
	naive_root(hashes, mid, hi, r);
	ember_proof_node_hash(l, r, out);
}

static uint8_t *cpu_tree(const struct ember_challenge *c, unsigned threads,
                         uint32_t ppm, uint64_t cheat_seed)
{
	uint64_t leaves = (uint64_t)c->n * c->n / 8;
	uint8_t *tree = calloc(2 * leaves, NODE);

	assert_non_null(tree);
	assert_int_equal(ember_prover_cpu_tree(c, threads, ppm, cheat_seed, tree), 0);
	return tree;
}

/* The CPU tree of honest and cheating provers against the naive path. */
static void check_tree(uint32_t n, uint32_t ppm)
{
	struct ember_challenge c;
	uint64_t leaves = (uint64_t)n * n / 8;
	uint8_t *hashes = malloc(leaves * NODE), root[NODE];
	uint8_t *t1, *t2, *t3;
	int32_t *cm;

	assert_non_null(hashes);
	challenge_for(&c, n, (uint8_t)n);
	cm = naive_c(&c);
	for (uint64_t l = 0; l < leaves; l++) {
		uint8_t leaf[32];

		naive_leaf(cm, l, ppm, 77, leaf);
		ember_proof_leaf_hash(leaf, hashes + l * NODE);
	}
	naive_root(hashes, 0, leaves, root);

	t1 = cpu_tree(&c, 1, ppm, 77);
	t2 = cpu_tree(&c, 2, ppm, 77);
	t3 = cpu_tree(&c, 3, ppm, 77);
	if (memcmp(t1 + leaves * NODE, hashes, leaves * NODE) != 0)
		fail_msg("n %u ppm %u: leaf level differs from the naive C", n, ppm);
	assert_memory_equal(t1 + NODE, root, NODE);
	/* Node 0 is unused; every other node agrees across thread counts. */
	assert_memory_equal(t1 + NODE, t2 + NODE, (2 * leaves - 1) * NODE);
	assert_memory_equal(t1 + NODE, t3 + NODE, (2 * leaves - 1) * NODE);
	free(t1);
	free(t2);
	free(t3);
	free(cm);
	free(hashes);
}

static void test_tree_64(void **state) { (void)state; check_tree(64, 0); }
static void test_tree_128(void **state) { (void)state; check_tree(128, 0); }
static void test_tree_256(void **state) { (void)state; check_tree(256, 0); }
static void test_tree_cheat(void **state) { (void)state; check_tree(128, 100000); }

static void test_tree_misuse(void **state)
{
	struct ember_challenge c;
	uint8_t tree[2 * 512 * NODE];

	(void)state;
	challenge_for(&c, 64, 1);
	assert_int_equal(ember_prover_cpu_tree(NULL, 1, 0, 0, tree), EMBER_EINVAL);
	assert_int_equal(ember_prover_cpu_tree(&c, 1, 0, 0, NULL), EMBER_EINVAL);
	c.n = 32;
	assert_int_equal(ember_prover_cpu_tree(&c, 1, 0, 0, tree), EMBER_EINVAL);
	c.n = 96;
	assert_int_equal(ember_prover_cpu_tree(&c, 1, 0, 0, tree), EMBER_EINVAL);
	c.n = 131072;
	assert_int_equal(ember_prover_cpu_tree(&c, 1, 0, 0, tree), EMBER_EINVAL);
}

/* ---- grinding */

static void test_pow_smallest(void **state)
{
	struct ember_challenge c;
	uint8_t root[NODE], t[32];
	uint64_t nonce[4], tries;
	static const uint32_t bits[] = { 0, 1, 8, 12 };

	(void)state;
	challenge_for(&c, 64, 9);
	fill_seq(root, NODE, 100);
	for (size_t b = 0; b < sizeof bits / sizeof *bits; b++) {
		for (unsigned th = 1; th <= 4; th++) {
			uint64_t *got = &nonce[th - 1];

			assert_int_equal(ember_prover_cpu_pow(&c, root, bits[b], th,
			                                      got, &tries), 0);
			assert_true(tries >= *got + 1);
			assert_true(*got == nonce[0]);
		}
		ember_proof_pow_hash(&c, root, nonce[0], t);
		assert_true(ember_proof_pow_ok(t, bits[b]));
		for (uint64_t x = 0; x < nonce[0]; x++) {
			ember_proof_pow_hash(&c, root, x, t);
			if (ember_proof_pow_ok(t, bits[b]))
				fail_msg("bits %u: nonce %llu is valid, %llu returned",
				         bits[b], (unsigned long long)x,
				         (unsigned long long)nonce[0]);
		}
	}
	assert_int_equal(ember_prover_cpu_pow(&c, root, 65, 1, nonce, &tries),
	                 EMBER_EINVAL);
	assert_int_equal(ember_prover_cpu_pow(&c, root, 8, 1, NULL, &tries),
	                 EMBER_EINVAL);
	assert_int_equal(ember_prover_cpu_pow(&c, root, 8, 1, nonce, NULL), 0);
}

/* ---- whole proofs */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Fold a body's multiproof (proof.h) with a walk written apart from the
 * prover's: returns 0 when every byte is used and the fold reaches the
 * body's root, and checks each opened leaf against cm when it is given.
 */
static int fold_body(const struct ember_challenge *c, uint32_t k,
                     const uint8_t *body, size_t len, const int32_t *cm,
                     uint32_t ppm, uint64_t cheat_seed)
{
	uint64_t leaves = (uint64_t)c->n * c->n / 8, *pos = calloc(k, 8);
	uint64_t *s = calloc(k, 8);
	uint8_t (*h)[NODE] = calloc(k, NODE), t[32];
	size_t ns = 0, off;
	int rc = -1;

	assert_non_null(pos);
	assert_non_null(s);
	assert_non_null(h);
	ember_proof_pow_hash(c, body, le64_get(body + NODE), t);
	ember_proof_positions(t, c->n, k, pos);
	for (uint32_t o = 0; o < k; o++)
		pos[o] = leaves + pos[o] / 8;
	qsort(pos, k, 8, cmp_u64);
	for (uint32_t o = 0; o < k; o++)
		if (!ns || s[ns - 1] != pos[o])
			s[ns++] = pos[o];
	off = NODE + 8;
	for (size_t i = 0; i < ns; i++, off += 32) {
		if (off + 32 > len)
			goto out;
		if (cm) {
			uint8_t want[32];

			naive_leaf(cm, s[i] - leaves, ppm, cheat_seed, want);
			assert_memory_equal(body + off, want, 32);
		}
		ember_proof_leaf_hash(body + off, h[i]);
	}
	while (ns > 1 || s[0] != 1) {
		size_t np = 0;

		for (size_t i = 0; i < ns; i++) {
			uint8_t sib[NODE];

			if (!(s[i] & 1) && i + 1 < ns && s[i + 1] == s[i] + 1) {
				ember_proof_node_hash(h[i], h[i + 1], h[np]);
				s[np++] = s[i] / 2;
				i++;
				continue;
			}
			if (off + NODE > len)
				goto out;
			memcpy(sib, body + off, NODE);
			off += NODE;
			if (s[i] & 1)
				ember_proof_node_hash(sib, h[i], h[np]);
			else
				ember_proof_node_hash(h[i], sib, h[np]);
			s[np++] = s[i] / 2;
		}
		ns = np;
	}
	rc = off == len && memcmp(h[0], body, NODE) == 0 ? 0 : -1;
out:
	free(pos);
	free(s);
	free(h);
	return rc;
}

static void check_prove(uint32_t n, uint32_t k, uint32_t ppm)
{
	struct ember_challenge c;
	struct ember_prove_stats st;
	uint8_t *body = NULL, *tree, t[32], root[NODE];
	uint64_t *pos = malloc((size_t)k * 8), nonce, tries;
	size_t len = 0;
	int32_t *cm;

	assert_non_null(pos);
	challenge_for(&c, n, 0x33);
	tree = cpu_tree(&c, 2, ppm, 5);
	assert_int_equal(ember_prove(EMBER_BACKEND_CPU, &c, k, 8, 2, ppm, 5,
	                             &body, &len, &st), 0);
	assert_non_null(body);
	assert_int_equal(ember_proof_root(body, len, root), 0);
	assert_memory_equal(root, tree + NODE, NODE);
	assert_int_equal(ember_prover_cpu_pow(&c, root, 8, 1, &nonce, &tries), 0);
	assert_true(le64_get(body + NODE) == nonce);
	ember_proof_pow_hash(&c, root, nonce, t);
	ember_proof_positions(t, n, k, pos);
	assert_int_equal(ember_proof_body_size(n, pos, k), len);
	assert_true(len <= EMBER_PROOF_BODY_MAX);
	cm = naive_c(&c);
	assert_int_equal(fold_body(&c, k, body, len, cm, ppm, 5), 0);
	assert_true(st.total_s + 1e-6 >=
	            st.gemm_s + st.tree_s + st.pow_s + st.open_s);
	assert_true(st.pow_tries >= nonce + 1);
	free(cm);
	free(body);
	free(tree);
	free(pos);
}

static void test_prove_honest(void **state)
{
	(void)state;
	check_prove(64, 1, 0);
	check_prove(64, 40, 0);
	check_prove(128, 400, 0);
	check_prove(256, 400, 0);
}

/* A cheater's body folds to its own root, which is not the honest one. */
static void test_prove_cheater(void **state)
{
	struct ember_challenge c;
	uint8_t *honest = NULL, *cheat = NULL;
	size_t hl, cl;

	(void)state;
	check_prove(128, 400, 100000);
	challenge_for(&c, 128, 0x33);
	assert_int_equal(ember_prove(EMBER_BACKEND_CPU, &c, 400, 4, 0, 0, 0,
	                             &honest, &hl, NULL), 0);
	assert_int_equal(ember_prove(EMBER_BACKEND_CPU, &c, 400, 4, 0, 100000, 5,
	                             &cheat, &cl, NULL), 0);
	assert_memory_not_equal(honest, cheat, NODE);
	free(honest);
	free(cheat);
}

static void test_prove_misuse(void **state)
{
	struct ember_challenge c;
	uint8_t *body = (uint8_t *)1, root[NODE];
	size_t len = 1;
	uint64_t pos[2] = { 0, 64 * 64 };

	(void)state;
	challenge_for(&c, 64, 2);
	assert_int_equal(ember_prove(EMBER_BACKEND_CPU, &c, 0, 4, 1, 0, 0, &body,
	                             &len, NULL), EMBER_EINVAL);
	assert_int_equal(ember_prove(EMBER_BACKEND_CPU, NULL, 4, 4, 1, 0, 0, &body,
	                             &len, NULL), EMBER_EINVAL);
	assert_int_equal(ember_prove(EMBER_BACKEND_CPU, &c, 4, 4, 1, 0, 0, NULL,
	                             &len, NULL), EMBER_EINVAL);
	assert_int_equal(ember_prove(EMBER_BACKEND_CUDA, &c, 4, 4, 1, 10, 0, &body,
	                             &len, NULL), EMBER_EINVAL);
	assert_int_equal(ember_prove((enum ember_backend)0, &c, 4, 4, 1, 0, 0,
	                             &body, &len, NULL), EMBER_EINVAL);
	assert_int_equal(ember_prove(EMBER_BACKEND_CPU, &c, 4, 65, 1, 0, 0, &body,
	                             &len, NULL), EMBER_EINVAL);
	c.n = 100;
	assert_int_equal(ember_prove(EMBER_BACKEND_CPU, &c, 4, 4, 1, 0, 0, &body,
	                             &len, NULL), EMBER_EINVAL);

	assert_int_equal(ember_proof_body_size(64, pos, 0), 0);
	assert_int_equal(ember_proof_body_size(64, NULL, 1), 0);
	assert_int_equal(ember_proof_body_size(100, pos, 1), 0);
	assert_int_equal(ember_proof_body_size(64, pos, 2), 0);   /* 64*64 is out */
	/* One leaf of 512 (depth 9): root, nonce, the leaf and 9 siblings. */
	assert_int_equal(ember_proof_body_size(64, pos, 1), 20 + 8 + 32 + 9 * 20);

	assert_int_equal(ember_proof_root(root, NODE - 1, root), EMBER_PROOF_FORMAT);
	assert_int_equal(ember_proof_root(NULL, NODE, root), EMBER_EINVAL);
}

/* Too many openings for the size limit: refused, nothing returned. */
static void test_prove_too_big(void **state)
{
	struct ember_challenge c;
	uint8_t *body = NULL;
	size_t len = 0;

	(void)state;
	challenge_for(&c, 256, 4);
	/* 8000 openings of 8192 leaves: about 5,200 distinct, 166 KB of
	 * leaves alone. */
	assert_int_equal(ember_prove(EMBER_BACKEND_CPU, &c, 8000, 0, 0, 0, 0, &body,
	                             &len, NULL), EMBER_PROOF_FORMAT);
	assert_null(body);
	assert_int_equal(len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_challenge_vector),
		cmocka_unit_test(test_pow_vector),
		cmocka_unit_test(test_pow_ok),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_corrupted),
		cmocka_unit_test(test_tree_64),
		cmocka_unit_test(test_tree_128),
		cmocka_unit_test(test_tree_256),
		cmocka_unit_test(test_tree_cheat),
		cmocka_unit_test(test_tree_misuse),
		cmocka_unit_test(test_pow_smallest),
		cmocka_unit_test(test_prove_honest),
		cmocka_unit_test(test_prove_cheater),
		cmocka_unit_test(test_prove_misuse),
		cmocka_unit_test(test_prove_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
