/*
 * test_merkle.c - RFC 6962 Merkle trees against published data: the roots of
 * every tree of 0..8 reference leaves, and every inclusion-proof case from
 * transparency-dev/merkle (happy paths and corrupted variants).  Then our
 * own proofs for every leaf of trees of 1..70 leaves must verify against the
 * root computed by the RFC's recursive definition, and fail when altered.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "testutil.h"
#include "ember/hash.h"

#define ROOTS "tests/vectors/rfc6962-roots.json"
#define INCL_DIR "tests/vectors/rfc6962-inclusion"


/* Returns: decoded length, or -1 when the text is not base64 or too long. */
static long unb64(const char *s, uint8_t *out, size_t cap)
{
	size_t n;

	if (sodium_base642bin(out, cap, s, strlen(s), NULL, &n, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return (long)n;
}

static void test_roots(void **state)
{
	json_error_t jerr;
	json_t *doc = json_load_file(ROOTS, 0, &jerr);
	json_t *inputs, *roots;
	uint8_t leaves[8][32];

	(void)state;
	if (!doc)
		fail_msg("%s: %s", ROOTS, jerr.text);
	inputs = json_object_get(doc, "leaf_inputs_hex");
	roots = json_object_get(doc, "root_by_tree_size_hex");
	assert_int_equal(json_array_size(inputs), 8);
	assert_int_equal(json_array_size(roots), 9);
	for (size_t i = 0; i < 8; i++) {
		uint8_t data[64];
		int n = test_unhex(json_string_value(json_array_get(inputs, i)), data,
		              sizeof data);

		assert_true(n >= 0);
		ember_merkle_leaf(data, (size_t)n, leaves[i]);
	}
	for (size_t n = 0; n <= 8; n++) {
		uint8_t want[32], got[32], scratch[8][32];

		assert_int_equal(test_unhex(json_string_value(json_array_get(roots, n)),
		                       want, 32), 32);
		memcpy(scratch, leaves, sizeof scratch);
		ember_merkle_root_inplace(scratch, n, got);
		assert_memory_equal(got, want, 32);

		/* Our proofs must also reach the published root. */
		for (size_t i = 0; i < n; i++) {
			uint8_t proof[64][32];
			size_t plen;

			assert_int_equal(ember_merkle_prove((const uint8_t (*)[32])leaves,
			                                    n, i, proof, &plen), 0);
			assert_int_equal(ember_merkle_verify(leaves[i], i, n,
			                                     (const uint8_t (*)[32])proof,
			                                     plen, want), 1);
		}
	}
	json_decref(doc);
}

/*
 * JSON numbers to u64.  jansson's integers are signed 64-bit, so one case
 * (leafIdx 2^64-1) only loads as a real; any real >= 2^64 saturates, which
 * keeps such an index out of range as the vector intends.
 */
static uint64_t num_u64(json_t *v)
{
	double d;

	if (json_is_integer(v)) {
		assert_true(json_integer_value(v) >= 0);
		return (uint64_t)json_integer_value(v);
	}
	assert_true(json_is_real(v));
	d = json_real_value(v);
	assert_true(d >= 0);
	if (d >= 18446744073709551616.0)
		return UINT64_MAX;
	return (uint64_t)d;
}

/*
 * Returns: 1 if the case verifies.  Hashes that are not 32 bytes (some
 * corrupted cases) cannot be passed to ember_merkle_verify at all, so they
 * count as a failed verification, as they would in a caller's decoder.
 */
static int run_inclusion_case(json_t *c, const char *name)
{
	uint8_t leaf[64], root[64], (*proof)[32] = NULL;
	json_t *pj = json_object_get(c, "proof");
	uint64_t idx = num_u64(json_object_get(c, "leafIdx"));
	uint64_t size = num_u64(json_object_get(c, "treeSize"));
	size_t plen = json_is_array(pj) ? json_array_size(pj) : 0;
	int ok = 1;

	assert_true(json_is_array(pj) || json_is_null(pj));
	if (unb64(json_string_value(json_object_get(c, "leafHash")), leaf,
	          sizeof leaf) != 32 ||
	    unb64(json_string_value(json_object_get(c, "root")), root,
	          sizeof root) != 32)
		ok = 0;
	if (plen) {
		proof = calloc(plen, 32);
		assert_non_null(proof);
	}
	for (size_t i = 0; i < plen; i++) {
		uint8_t h[64];
		const char *s = json_string_value(json_array_get(pj, i));

		if (!s)
			fail_msg("%s: proof[%zu] is not a string", name, i);
		if (unb64(s, h, sizeof h) != 32)
			ok = 0;
		else
			memcpy(proof[i], h, 32);
	}
	if (ok)
		ok = ember_merkle_verify(leaf, idx, size,
		                         (const uint8_t (*)[32])proof, plen, root);
	free(proof);
	return ok;
}

static void test_inclusion_vectors(void **state)
{
	DIR *dir = opendir(INCL_DIR);
	struct dirent *e;
	int files = 0, happy = 0;

	(void)state;
	assert_non_null(dir);
	assert_int_equal(sodium_init() < 0, 0);
	while ((e = readdir(dir)) != NULL) {
		char path[512];
		size_t nl = strlen(e->d_name);
		json_error_t jerr;
		json_t *c, *want;

		if (nl < 5 || strcmp(e->d_name + nl - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", INCL_DIR, e->d_name);
		c = json_load_file(path, 0, &jerr);
		if (!c)
			c = json_load_file(path, JSON_DECODE_INT_AS_REAL, &jerr);
		if (!c)
			fail_msg("%s: %s", path, jerr.text);
		want = json_object_get(c, "wantErr");
		assert_true(json_is_boolean(want));
		if (run_inclusion_case(c, e->d_name) != !json_is_true(want))
			fail_msg("%s: wantErr %s but verify disagreed", e->d_name,
			         json_is_true(want) ? "true" : "false");
		happy += !json_is_true(want);
		files++;
		json_decref(c);
	}
	closedir(dir);
	assert_true(files > 90);
	assert_true(happy >= 5);
}

/* RFC 6962 section 2.1 MTH, literally: split at the largest power of two
 * smaller than n.  The reference the bottom-up code is checked against. */
static void mth(const uint8_t (*h)[32], size_t n, uint8_t out[32])
{
	uint8_t l[32], r[32];
	size_t k = 1;

	if (n == 1) {
		memcpy(out, h[0], 32);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	mth(h, k, l);
	mth(h + k, n - k, r);
	ember_merkle_node(l, r, out);
}

static void test_prove_exhaustive(void **state)
{
	enum { MAXN = 70 };
	uint8_t leaves[MAXN][32];

	(void)state;
	for (size_t i = 0; i < MAXN; i++) {
		uint8_t d[8] = { (uint8_t)i, 0xee };

		ember_merkle_leaf(d, sizeof d, leaves[i]);
	}
	for (size_t n = 1; n <= MAXN; n++) {
		const uint8_t (*lv)[32] = (const uint8_t (*)[32])leaves;
		uint8_t root[32], got[32], scratch[MAXN][32];

		mth(lv, n, root);
		memcpy(scratch, leaves, n * 32);
		ember_merkle_root_inplace(scratch, n, got);
		assert_memory_equal(got, root, 32);

		for (size_t i = 0; i < n; i++) {
			uint8_t proof[65][32], bad[32];
			const uint8_t (*pp)[32] = (const uint8_t (*)[32])proof;
			size_t plen;

			assert_int_equal(ember_merkle_prove(lv, n, i, proof, &plen), 0);
			assert_true(plen <= 7);
			assert_int_equal(ember_merkle_verify(leaves[i], i, n, pp, plen,
			                                     root), 1);

			for (size_t j = 0; j < plen; j++) {
				proof[j][(i + j) % 32] ^= (uint8_t)(1u << (j % 8));
				assert_int_equal(ember_merkle_verify(leaves[i], i, n, pp,
				                                     plen, root), 0);
				proof[j][(i + j) % 32] ^= (uint8_t)(1u << (j % 8));
			}
			memcpy(bad, leaves[i], 32);
			bad[31] ^= 1;
			assert_int_equal(ember_merkle_verify(bad, i, n, pp, plen, root), 0);
			memcpy(bad, root, 32);
			bad[0] ^= 0x80;
			assert_int_equal(ember_merkle_verify(leaves[i], i, n, pp, plen,
			                                     bad), 0);
			assert_int_equal(ember_merkle_verify(leaves[i], n, n, pp, plen,
			                                     root), 0);
			if (n > 1)
				assert_int_equal(ember_merkle_verify(leaves[i], i ^ 1, n, pp,
				                                     plen, root), 0);
			if (plen)
				assert_int_equal(ember_merkle_verify(leaves[i], i, n, pp,
				                                     plen - 1, root), 0);
			/* An extra step past the root must not verify even against
			 * the root that step would produce. */
			memcpy(proof[plen], root, 32);
			assert_int_equal(ember_merkle_verify(leaves[i], i, n, pp,
			                                     plen + 1, root), 0);
			ember_merkle_node(proof[plen], root, bad);
			assert_int_equal(ember_merkle_verify(leaves[i], i, n, pp,
			                                     plen + 1, bad), 0);
			ember_merkle_node(root, proof[plen], bad);
			assert_int_equal(ember_merkle_verify(leaves[i], i, n, pp,
			                                     plen + 1, bad), 0);
		}
	}
}

static void test_prove_misuse(void **state)
{
	uint8_t leaves[3][32] = { { 1 }, { 2 }, { 3 } }, proof[64][32];
	const uint8_t (*lv)[32] = (const uint8_t (*)[32])leaves;
	size_t plen;

	(void)state;
	assert_int_equal(ember_merkle_prove(lv, 3, 3, proof, &plen), EMBER_ERANGE);
	assert_int_equal(ember_merkle_prove(lv, 0, 0, proof, &plen), EMBER_ERANGE);
	assert_int_equal(ember_merkle_prove(lv, 1, 0, proof, &plen), 0);
	assert_int_equal(plen, 0);
	/* A one-leaf tree's root is its leaf hash. */
	assert_int_equal(ember_merkle_verify(leaves[0], 0, 1, NULL, 0, leaves[0]), 1);
	assert_int_equal(ember_merkle_verify(leaves[0], 0, 0, NULL, 0, leaves[0]), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_inclusion_vectors),
		cmocka_unit_test(test_prove_exhaustive),
		cmocka_unit_test(test_prove_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
