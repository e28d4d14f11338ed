/*
 * proof.c - the GPU proof's common code: challenge derivation, the tree's
 * hashes, the grinding hash and positions, the body's size and the prover's
 * front end (ember_prove), which runs a back end's tree and grinding
 * search and then assembles the body on the CPU.  Formats are in proof.h.
 *
 * The opened leaves are recomputed here from the seed rather than read back
 * from the back end: a back end keeps only hashes (C is never stored whole),
 * and 8 dot products per opened leaf cost about what the verifier pays.
 */
#include "ember/proof.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ember/codec.h"
#include "ember/gpukernel.h"
#include "ember/hash.h"
#include "proof_cpu_internal.h"

double proof_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

unsigned proof_threads(unsigned threads)
{
	long n;

	if (threads)
		return threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int proof_n_ok(uint32_t n)
{
	return n >= EMBER_PROOF_N_MIN && n <= EMBER_PROOF_N_MAX &&
	       !(n & (n - 1));
}

void ember_challenge_derive(struct ember_challenge *c,
                            const uint8_t epoch_hash[32],
                            const uint8_t provider[32], uint64_t epoch,
                            uint32_t n)
{
	uint8_t msg[32 + 32 + 8];

	memcpy(msg, epoch_hash, 32);
	memcpy(msg + 32, provider, 32);
	ember_le64_put(msg + 64, epoch);
	ember_tagged_hash(EMBER_CHALLENGE_TAG, msg, sizeof msg, c->seed);
	memcpy(c->provider, provider, 32);
	c->epoch = epoch;
	c->n = n;
}

/* One buffer per hash so that OpenSSL sees a single update: the prefix
 * byte and the data fit one compression either way. */
void ember_proof_leaf_hash(const uint8_t leaf[EMBER_PROOF_LEAF],
                           uint8_t out[EMBER_PROOF_NODE])
{
	uint8_t buf[1 + EMBER_PROOF_LEAF], h[32];

	buf[0] = 0x00;
	memcpy(buf + 1, leaf, EMBER_PROOF_LEAF);
	ember_sha256(buf, sizeof buf, h);
	memcpy(out, h, EMBER_PROOF_NODE);
}

void ember_proof_node_hash(const uint8_t left[EMBER_PROOF_NODE],
                           const uint8_t right[EMBER_PROOF_NODE],
                           uint8_t out[EMBER_PROOF_NODE])
{
	uint8_t buf[1 + 2 * EMBER_PROOF_NODE], h[32];

	buf[0] = 0x01;
	memcpy(buf + 1, left, EMBER_PROOF_NODE);
	memcpy(buf + 1 + EMBER_PROOF_NODE, right, EMBER_PROOF_NODE);
	ember_sha256(buf, sizeof buf, h);
	memcpy(out, h, EMBER_PROOF_NODE);
}

void ember_proof_pow_hash(const struct ember_challenge *c,
                          const uint8_t root[EMBER_PROOF_NODE], uint64_t nonce,
                          uint8_t t[32])
{
	uint8_t msg[32 + EMBER_PROOF_NODE + 8];

	memcpy(msg, c->seed, 32);
	memcpy(msg + 32, root, EMBER_PROOF_NODE);
	ember_le64_put(msg + 32 + EMBER_PROOF_NODE, nonce);
	ember_tagged_hash(EMBER_PROOF_POW_TAG, msg, sizeof msg, t);
}

int ember_proof_pow_ok(const uint8_t t[32], uint32_t bits)
{
	uint32_t i;

	if (bits > 256)
		return 0;
	for (i = 0; i < bits / 8; i++)
		if (t[i])
			return 0;
	if (bits % 8 && t[i] >> (8 - bits % 8))
		return 0;
	return 1;
}

void ember_proof_positions(const uint8_t t[32], uint32_t n, uint32_t k,
                           uint64_t *pos)
{
	uint64_t mask = (uint64_t)n * n - 1;   /* N*N is a power of two */
	uint8_t msg[36], h[32];

	memcpy(msg, t, 32);
	for (uint32_t o = 0; o < k; o++) {
		msg[32] = (uint8_t)o;
		msg[33] = (uint8_t)(o >> 8);
		msg[34] = (uint8_t)(o >> 16);
		msg[35] = (uint8_t)(o >> 24);
		ember_sha256(msg, sizeof msg, h);
		pos[o] = ember_le64_get(h) & mask;
	}
}

static int proof_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The sorted distinct heap indices (L + leaf) of the leaves holding
 * pos[0..k) into s (room for k).  Returns: their count, or 0 when a
 * position is outside the N x N matrix.
 */
static size_t proof_leaf_set(uint32_t n, const uint64_t *pos, uint32_t k,
                             uint64_t *s)
{
	uint64_t nn = (uint64_t)n * n, leaves = nn / EMBER_PROOF_LEAF_ENTRIES;
	size_t ns = 0;

	for (uint32_t o = 0; o < k; o++) {
		if (pos[o] >= nn)
			return 0;
		/* N is a multiple of 8, so entry (i, j) = i*N + j lies in leaf
		 * i*(N/8) + j/8 = (i*N + j) / 8. */
		s[o] = leaves + pos[o] / EMBER_PROOF_LEAF_ENTRIES;
	}
	qsort(s, k, sizeof *s, proof_cmp_u64);
	for (uint32_t o = 0; o < k; o++)
		if (!ns || s[ns - 1] != s[o])
			s[ns++] = s[o];
	return ns;
}

/*
 * Walk the canonical multiproof (proof.h) of the sorted distinct heap
 * indices s[0..ns) of leaves, all on one level.  s is used as scratch and
 * overwritten.  out (room for ns * depth, may be NULL to count) gets the
 * heap indices of the proof's nodes in order.  Returns: their count.
 */
static size_t proof_multiproof(uint64_t *s, size_t ns, uint64_t *out)
{
	size_t count = 0;

	while (!(ns == 1 && s[0] == 1)) {
		size_t np = 0;

		for (size_t i = 0; i < ns; i++) {
			uint64_t x = s[i];

			/* An odd x whose left sibling is in S was consumed
			 * with it, so an odd x seen here needs its sibling. */
			if (!(x & 1) && i + 1 < ns && s[i + 1] == x + 1) {
				i++;
				continue;
			}
			if (out)
				out[count] = x ^ 1;
			count++;
		}
		for (size_t i = 0; i < ns; i++)
			if (!np || s[np - 1] != s[i] >> 1)
				s[np++] = s[i] >> 1;
		ns = np;
	}
	return count;
}

/* Bytes of a body with ns leaves and nn nodes. */
static size_t proof_body_bytes(size_t ns, size_t nn)
{
	return EMBER_PROOF_NODE + 8 + ns * EMBER_PROOF_LEAF +
	       nn * EMBER_PROOF_NODE;
}

size_t ember_proof_body_size(uint32_t n, const uint64_t *pos, uint32_t k)
{
	uint64_t *s;
	size_t ns, nn;

	if (!proof_n_ok(n) || !pos || !k)
		return 0;
	s = malloc((size_t)k * sizeof *s);
	if (!s)
		return 0;
	ns = proof_leaf_set(n, pos, k, s);
	if (!ns) {
		free(s);
		return 0;
	}
	nn = proof_multiproof(s, ns, NULL);
	free(s);
	return proof_body_bytes(ns, nn);
}

int ember_proof_root(const uint8_t *body, size_t len,
                     uint8_t root[EMBER_PROOF_NODE])
{
	if (!body || !root)
		return EMBER_EINVAL;
	if (len < EMBER_PROOF_NODE)
		return EMBER_PROOF_FORMAT;
	memcpy(root, body, EMBER_PROOF_NODE);
	return 0;
}

/*
 * The 32 bytes of leaf `leaf`, recomputed from the seed: 8 dot products of
 * row i of A with columns 8m .. 8m+7 of B, with the cheat rule of
 * ember_prover_cpu_tree so that a cheater's leaves match its own tree.
 * a holds row *row_have of A (UINT64_MAX: none yet); b is room for N.
 */
static void proof_leaf_bytes(const uint32_t key[8], uint32_t n, uint64_t leaf,
                             uint32_t corrupt_ppm, uint64_t cheat_seed,
                             int8_t *a, uint64_t *row_have, int8_t *b,
                             uint8_t out[EMBER_PROOF_LEAF])
{
	uint64_t per_row = n / EMBER_PROOF_LEAF_ENTRIES;
	uint64_t i = leaf / per_row;
	uint64_t j0 = leaf % per_row * EMBER_PROOF_LEAF_ENTRIES;

	if (*row_have != i) {
		ek_gen(key, EK_STREAM_A, i * n, n, a);
		*row_have = i;
	}
	for (unsigned e = 0; e < EMBER_PROOF_LEAF_ENTRIES; e++) {
		uint64_t j = j0 + e;
		int32_t v;

		ek_gen(key, EK_STREAM_B, j * n, n, b);
		v = ek_dot(a, b, n);
		if (corrupt_ppm &&
		    ember_proof_corrupted(cheat_seed, i * n + j, corrupt_ppm))
			v += 1;
		out[4 * e] = (uint8_t)(uint32_t)v;
		out[4 * e + 1] = (uint8_t)((uint32_t)v >> 8);
		out[4 * e + 2] = (uint8_t)((uint32_t)v >> 16);
		out[4 * e + 3] = (uint8_t)((uint32_t)v >> 24);
	}
}

/*
 * Positions, leaves and multiproof for a finished tree and nonce: the body
 * into *body (malloc'd).  Returns: 0, EMBER_ENOMEM, EMBER_PROOF_FORMAT.
 */
static int proof_open(const struct ember_challenge *c, uint32_t k,
                      const uint8_t *tree, uint64_t nonce,
                      uint32_t corrupt_ppm, uint64_t cheat_seed,
                      uint8_t **body, size_t *len)
{
	uint32_t n = c->n, depth = 0;
	uint64_t leaves = (uint64_t)n * n / EMBER_PROOF_LEAF_ENTRIES;
	uint64_t *pos = NULL, *s = NULL, *walk = NULL, *nodes = NULL;
	uint64_t row_have = UINT64_MAX;
	int8_t *a = NULL, *b = NULL;
	uint8_t t[32], *out = NULL, *p;
	size_t ns, nn, size;
	uint32_t key[8];
	int rc = EMBER_ENOMEM;

	while ((1ull << depth) < leaves)
		depth++;
	pos = malloc((size_t)k * sizeof *pos);
	s = malloc((size_t)k * sizeof *s);
	walk = malloc((size_t)k * sizeof *walk);
	nodes = malloc((size_t)k * depth * sizeof *nodes);
	a = malloc(n);
	b = malloc(n);
	if (!pos || !s || !walk || !nodes || !a || !b)
		goto out;

	ember_proof_pow_hash(c, tree + EMBER_PROOF_NODE, nonce, t);
	ember_proof_positions(t, n, k, pos);
	ns = proof_leaf_set(n, pos, k, s);
	memcpy(walk, s, ns * sizeof *s);
	nn = proof_multiproof(walk, ns, nodes);
	size = proof_body_bytes(ns, nn);
	if (size > EMBER_PROOF_BODY_MAX) {
		rc = EMBER_PROOF_FORMAT;
		goto out;
	}
	out = malloc(size);
	if (!out)
		goto out;

	p = out;
	memcpy(p, tree + EMBER_PROOF_NODE, EMBER_PROOF_NODE);
	p += EMBER_PROOF_NODE;
	ember_le64_put(p, nonce);
	p += 8;
	ek_key(c->seed, key);
	for (size_t i = 0; i < ns; i++, p += EMBER_PROOF_LEAF)
		proof_leaf_bytes(key, n, s[i] - leaves, corrupt_ppm, cheat_seed,
		                 a, &row_have, b, p);
	for (size_t i = 0; i < nn; i++, p += EMBER_PROOF_NODE)
		memcpy(p, tree + nodes[i] * EMBER_PROOF_NODE, EMBER_PROOF_NODE);
	*body = out;
	*len = size;
	out = NULL;
	rc = 0;
out:
	free(out);
	free(pos);
	free(s);
	free(walk);
	free(nodes);
	free(a);
	free(b);
	return rc;
}

int ember_prove(enum ember_backend be, const struct ember_challenge *c,
                uint32_t k, uint32_t pow_bits, unsigned threads,
                uint32_t corrupt_ppm, uint64_t cheat_seed,
                uint8_t **body, size_t *len,
                struct ember_prove_stats *stats)
{
	struct ember_prove_stats st = { 0 };
	double t0 = proof_now(), t1;
	uint64_t leaves, nonce = 0;
	uint8_t *tree;
	size_t tree_bytes;
	int rc;

	if (!c || !body || !len || !proof_n_ok(c->n) || !k || pow_bits > 64)
		return EMBER_EINVAL;
	/* The cheat rule exists for tests of the CPU back end only. */
	if (be != EMBER_BACKEND_CPU &&
	    (be != EMBER_BACKEND_CUDA || corrupt_ppm))
		return EMBER_EINVAL;
	*body = NULL;
	*len = 0;

	leaves = (uint64_t)c->n * c->n / EMBER_PROOF_LEAF_ENTRIES;
	if (leaves > SIZE_MAX / (2 * EMBER_PROOF_NODE))
		return EMBER_ENOMEM;
	tree_bytes = (size_t)leaves * 2 * EMBER_PROOF_NODE;
	tree = malloc(tree_bytes);
	if (!tree)
		return EMBER_ENOMEM;

	if (be == EMBER_BACKEND_CPU) {
		rc = proof_cpu_tree_timed(c, threads, corrupt_ppm, cheat_seed,
		                          tree, &st.gemm_s, &st.tree_s);
	} else {
		/* The CUDA back end builds the whole tree in one call, so its
		 * time is all gemm_s. */
		t1 = proof_now();
		rc = ember_prover_cuda_tree(c, tree);
		st.gemm_s = proof_now() - t1;
	}
	if (rc)
		goto out;

	t1 = proof_now();
	if (be == EMBER_BACKEND_CPU)
		rc = ember_prover_cpu_pow(c, tree + EMBER_PROOF_NODE, pow_bits,
		                          threads, &nonce, &st.pow_tries);
	else
		rc = ember_prover_cuda_pow(c, tree + EMBER_PROOF_NODE, pow_bits,
		                           &nonce, &st.pow_tries);
	st.pow_s = proof_now() - t1;
	if (rc)
		goto out;

	t1 = proof_now();
	rc = proof_open(c, k, tree, nonce, corrupt_ppm, cheat_seed, body, len);
	st.open_s = proof_now() - t1;
out:
	free(tree);
	st.total_s = proof_now() - t0;
	if (stats)
		*stats = st;
	return rc;
}
