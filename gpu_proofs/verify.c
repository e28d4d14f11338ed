/*
 * verify.c - ember_proof_verify, the check block apply runs on every proof
 * tx.  proof.h has the body format and the canonical multiproof order;
 * docs/proofs.md has the arithmetic behind k and pow_bits.
 *
 * The work is O(k N): two ChaCha20 vectors of N bytes and one dot product
 * per distinct opening, plus about k * log2(N*N/8 / k) node hashes.  The
 * body's exact length follows from the positions alone, so a body of the
 * wrong size is refused before any row or column is generated.  Memory is
 * O(k) plus two N-byte vectors (and one more per column that two openings
 * share), never anything of size N*N.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ember/gpukernel.h"
#include "ember/proof.h"

#define PROOF_HEAD (EMBER_PROOF_NODE + 8)       /* root || le64 nonce */

static pthread_once_t proof_sodium_once = PTHREAD_ONCE_INIT;

/*
 * sodium_init picks libsodium's fastest ChaCha20 for this CPU.  If it
 * fails the portable implementation still produces the same bytes, so its
 * result does not matter here.
 */
static void proof_sodium_setup(void)
{
	if (sodium_init() < 0)
		return;
}

/*
 * n elements of a stream from element `first` (a multiple of 64): the
 * bytes ek_gen gives, produced by libsodium's ChaCha20-IETF.  gpukernel.h
 * fixes the keystream to equal crypto_stream_chacha20_ietf (tests hold the
 * two together), and libsodium's vector code is about four times the
 * portable ek_gen at -O2; this generation is most of a verify.
 */
static void proof_gen(const uint8_t seed[32], uint32_t stream, uint64_t first,
                      uint32_t n, int8_t *out)
{
	uint8_t nonce[12] = { 0 };

	nonce[0] = (uint8_t)stream;
	nonce[1] = (uint8_t)(stream >> 8);
	nonce[2] = (uint8_t)(stream >> 16);
	nonce[3] = (uint8_t)(stream >> 24);
	memset(out, 0, n);
	crypto_stream_chacha20_ietf_xor_ic((unsigned char *)out,
	                                   (const unsigned char *)out, n, nonce,
	                                   (uint32_t)(first / EK_BLOCK), seed);
}

/*
 * ek_dot(a, b, n) for n a multiple of 64.  The exact int32 sum does not
 * depend on the order of its terms (and no partial sum can overflow: a
 * lane sums n/4 products of magnitude <= 2^14), so the
 * SSE2 version gives ek_dot's value bit for bit.  The compiler does not
 * vectorise ek_dot at -O2 for a run-time n, and the scalar loop is a
 * quarter of a verify at N = 8192.
 */
#if defined(__SSE2__)
static int32_t proof_dot(const int8_t *a, const int8_t *b, uint32_t n)
{
	__m128i acc = _mm_setzero_si128();

	for (uint32_t i = 0; i < n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(a + i));
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
		/* Sign-extend bytes to 16 bits: each byte lands in the high half
		 * of its lane, and the arithmetic shift brings it down. */
		__m128i xl = _mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8);
		__m128i xh = _mm_srai_epi16(_mm_unpackhi_epi8(x, x), 8);
		__m128i yl = _mm_srai_epi16(_mm_unpacklo_epi8(y, y), 8);
		__m128i yh = _mm_srai_epi16(_mm_unpackhi_epi8(y, y), 8);

		acc = _mm_add_epi32(acc, _mm_madd_epi16(xl, yl));
		acc = _mm_add_epi32(acc, _mm_madd_epi16(xh, yh));
	}
	acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(1, 0, 3, 2)));
	acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(2, 3, 0, 1)));
	return _mm_cvtsi128_si32(acc);
}
#else
static int32_t proof_dot(const int8_t *a, const int8_t *b, uint32_t n)
{
	return ek_dot(a, b, n);
}
#endif

static int proof_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int proof_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Sorts v[0..n) and drops repeats.  Returns: the distinct count. */
static size_t proof_sort_unique(uint64_t *v, size_t n)
{
	size_t m = 0;

	qsort(v, n, sizeof *v, proof_cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || v[i] != v[m - 1])
			v[m++] = v[i];
	return m;
}

static uint32_t proof_log2(uint64_t v)
{
	uint32_t r = 0;

	while (v > 1) {
		v >>= 1;
		r++;
	}
	return r;
}

static uint32_t proof_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Two's complement without relying on implementation-defined conversion. */
static int32_t proof_i32(uint32_t v)
{
	return v <= INT32_MAX ? (int32_t)v : -(int32_t)(~v) - 1;
}

static uint32_t proof_leading_zeros(const uint8_t t[32])
{
	uint32_t z = 0;

	for (int i = 0; i < 32; i++) {
		if (t[i] == 0) {
			z += 8;
			continue;
		}
		for (int b = 7; b >= 0 && !(t[i] >> b & 1); b--)
			z++;
		break;
	}
	return z;
}

/*
 * One level of the canonical fold over the sorted distinct heap indices
 * x[0..*cnt): a pair whose two halves are both known merges, every other
 * index takes the next proof node as its sibling.  Parents overwrite their
 * children in place; they stay sorted and distinct because x / 2 is
 * monotone and a merged pair yields a single parent.  With h == NULL only
 * the nodes are counted (the length check, before anything is hashed);
 * otherwise h[i] is the hash of x[i] and the nodes are read from *np on.
 * Returns: the number of proof nodes this level takes.
 */
static uint64_t proof_level(uint64_t *x, uint8_t (*h)[EMBER_PROOF_NODE],
                            size_t *cnt, const uint8_t **np)
{
	uint64_t used = 0;
	size_t out = 0, n = *cnt;

	for (size_t i = 0; i < n; out++) {
		uint8_t parent[EMBER_PROOF_NODE];
		uint64_t xi = x[i];

		if (!(xi & 1) && i + 1 < n && x[i + 1] == xi + 1) {
			if (h)
				ember_proof_node_hash(h[i], h[i + 1], parent);
			i += 2;
		} else {
			if (h) {
				if (xi & 1)
					ember_proof_node_hash(*np, h[i], parent);
				else
					ember_proof_node_hash(h[i], *np, parent);
				*np += EMBER_PROOF_NODE;
			}
			used++;
			i++;
		}
		x[out] = xi >> 1;
		if (h)
			memcpy(h[out], parent, EMBER_PROOF_NODE);
	}
	*cnt = out;
	return used;
}

/* Heap indices of the distinct leaves: leaf l is node L + l. */
static void proof_heap_indices(uint64_t *x, const uint64_t *leaves, size_t m,
                               uint64_t nleaves)
{
	for (size_t i = 0; i < m; i++)
		x[i] = nleaves + leaves[i];
}

/*
 * Checks every distinct opening pos[0..d) (sorted, so grouped by row)
 * against its leaf.  Each row of A is generated once; a column of B that
 * two openings share is generated once into `shared_buf` (the columns in
 * shared[0..s), sorted), every other one into colbuf.
 * Returns: 0, EMBER_PROOF_ENTRY.
 */
static int proof_check_entries(const struct ember_challenge *c,
                               const uint64_t *pos, size_t d,
                               const uint8_t *leafbytes,
                               const uint32_t *shared, size_t s,
                               uint8_t *shared_done, int8_t *shared_buf,
                               int8_t *rowbuf, int8_t *colbuf,
                               char *why, size_t whylen)
{
	const uint32_t n = c->n;
	const uint32_t shift = proof_log2(n);
	uint64_t cur_row = UINT64_MAX, cur_leaf = UINT64_MAX;
	size_t leaf_at = 0;

	for (size_t o = 0; o < d; o++) {
		uint64_t row = pos[o] >> shift;
		uint32_t col = (uint32_t)(pos[o] & (n - 1));
		const int8_t *cv = colbuf;
		const uint32_t *hit;
		uint32_t said, got;

		if (row != cur_row) {
			proof_gen(c->seed, EK_STREAM_A, row * n, n, rowbuf);
			cur_row = row;
		}
		hit = s ? bsearch(&col, shared, s, sizeof *shared, proof_cmp_u32)
		        : NULL;
		if (hit) {
			size_t slot = (size_t)(hit - shared);

			cv = shared_buf + slot * n;
			if (!shared_done[slot]) {
				proof_gen(c->seed, EK_STREAM_B, (uint64_t)col * n, n,
				          shared_buf + slot * n);
				shared_done[slot] = 1;
			}
		} else {
			proof_gen(c->seed, EK_STREAM_B, (uint64_t)col * n, n, colbuf);
		}
		/* Positions ascend, so their leaves (pos / 8) ascend with them. */
		if (pos[o] / EMBER_PROOF_LEAF_ENTRIES != cur_leaf) {
			if (cur_leaf != UINT64_MAX)
				leaf_at++;
			cur_leaf = pos[o] / EMBER_PROOF_LEAF_ENTRIES;
		}
		said = proof_le32(leafbytes + leaf_at * EMBER_PROOF_LEAF +
		                  (pos[o] % EMBER_PROOF_LEAF_ENTRIES) * 4);
		got = (uint32_t)proof_dot(rowbuf, cv, n);
		if (said != got) {
			ember_errf(why, whylen, "entry (%llu, %u): proof says %ld, "
			           "A x B gives %ld", (unsigned long long)row, col,
			           (long)proof_i32(said), (long)proof_i32(got));
			return EMBER_PROOF_ENTRY;
		}
	}
	return 0;
}

/*
 * Columns used by two or more openings, sorted and distinct, into
 * shared[]; cols[0..d) is scratch.  Returns: their count.
 */
static size_t proof_shared_cols(const uint64_t *pos, size_t d, uint32_t n,
                                uint32_t *cols, uint32_t *shared)
{
	size_t s = 0;

	for (size_t o = 0; o < d; o++)
		cols[o] = (uint32_t)(pos[o] & (n - 1));
	qsort(cols, d, sizeof *cols, proof_cmp_u32);
	for (size_t o = 1; o < d; o++)
		if (cols[o] == cols[o - 1] && (s == 0 || shared[s - 1] != cols[o]))
			shared[s++] = cols[o];
	return s;
}

int ember_proof_verify(const struct ember_challenge *c, uint32_t k,
                       uint32_t pow_bits, const uint8_t *body, size_t len,
                       char *why, size_t whylen)
{
	uint8_t root[EMBER_PROOF_NODE], t[32];
	uint64_t nonce = 0, nleaves, nodes = 0, need;
	uint64_t *pos = NULL, *leaves = NULL, *x = NULL;
	uint32_t *cols = NULL, *shared = NULL, depth;
	uint8_t (*h)[EMBER_PROOF_NODE] = NULL;
	uint8_t *shared_done = NULL;
	int8_t *vec = NULL;
	const uint8_t *np;
	size_t d, m, cnt, s;
	int rc;

	if (why && whylen)
		why[0] = '\0';
	if (!c || (!body && len) || k == 0 || pow_bits > 256 ||
	    c->n < EMBER_PROOF_N_MIN || c->n > EMBER_PROOF_N_MAX ||
	    (c->n & (c->n - 1)) != 0) {
		ember_errf(why, whylen, "bad verifier arguments");
		return EMBER_EINVAL;
	}
	if (len > EMBER_PROOF_BODY_MAX) {
		ember_errf(why, whylen, "proof body is %zu bytes; the limit is %d",
		           len, EMBER_PROOF_BODY_MAX);
		return EMBER_PROOF_FORMAT;
	}
	if (len < PROOF_HEAD) {
		ember_errf(why, whylen, "proof body is %zu bytes; root and nonce "
		           "alone need %d", len, PROOF_HEAD);
		return EMBER_PROOF_FORMAT;
	}
	memcpy(root, body, EMBER_PROOF_NODE);
	for (int i = 7; i >= 0; i--)
		nonce = nonce << 8 | body[EMBER_PROOF_NODE + i];
	ember_proof_pow_hash(c, root, nonce, t);
	if (!ember_proof_pow_ok(t, pow_bits)) {
		ember_errf(why, whylen, "proof-of-work hash has %u leading zero "
		           "bits; %u needed", proof_leading_zeros(t), pow_bits);
		return EMBER_PROOF_POW;
	}

#if SIZE_MAX <= UINT32_MAX
	if ((size_t)k > SIZE_MAX / (3 * sizeof(uint64_t)))
		return EMBER_ENOMEM;
#endif
	pos = malloc((size_t)k * 3 * sizeof(uint64_t));
	if (!pos) {
		ember_errf(why, whylen, "out of memory for %u openings", k);
		return EMBER_ENOMEM;
	}
	leaves = pos + k;
	x = leaves + k;
	ember_proof_positions(t, c->n, k, pos);
	d = proof_sort_unique(pos, k);
	for (size_t o = 0; o < d; o++)
		leaves[o] = pos[o] / EMBER_PROOF_LEAF_ENTRIES;
	m = proof_sort_unique(leaves, d);

	/* The length check: fold the index sets alone, nothing hashed yet. */
	nleaves = (uint64_t)c->n * c->n / EMBER_PROOF_LEAF_ENTRIES;
	depth = proof_log2(nleaves);
	proof_heap_indices(x, leaves, m, nleaves);
	cnt = m;
	for (uint32_t lvl = 0; lvl < depth; lvl++)
		nodes += proof_level(x, NULL, &cnt, NULL);
	need = PROOF_HEAD + (uint64_t)m * EMBER_PROOF_LEAF + nodes * EMBER_PROOF_NODE;
	if ((uint64_t)len != need) {
		ember_errf(why, whylen, "proof body is %zu bytes; these openings "
		           "need %llu", len, (unsigned long long)need);
		rc = EMBER_PROOF_FORMAT;
		goto out;
	}

	cols = malloc(2 * d * sizeof *cols);
	if (!cols) {
		rc = EMBER_ENOMEM;
		goto out;
	}
	shared = cols + d;
	s = proof_shared_cols(pos, d, c->n, cols, shared);
	shared_done = calloc(s + 1, 1);
	vec = malloc((s + 2) * (size_t)c->n);
	h = malloc(m * sizeof *h);
	if (!shared_done || !vec || !h) {
		rc = EMBER_ENOMEM;
		goto out;
	}
	/*
	 * Entries before the tree: a cheater commits to its wrong C
	 * consistently, so this is where it is caught, and the refusal names
	 * the entry.
	 */
	pthread_once(&proof_sodium_once, proof_sodium_setup);
	rc = proof_check_entries(c, pos, d, body + PROOF_HEAD, shared, s,
	                         shared_done, vec + 2 * (size_t)c->n, vec,
	                         vec + c->n, why, whylen);
	if (rc)
		goto out;

	for (size_t i = 0; i < m; i++)
		ember_proof_leaf_hash(body + PROOF_HEAD + i * EMBER_PROOF_LEAF, h[i]);
	np = body + PROOF_HEAD + m * EMBER_PROOF_LEAF;
	proof_heap_indices(x, leaves, m, nleaves);
	cnt = m;
	for (uint32_t lvl = 0; lvl < depth; lvl++)
		proof_level(x, h, &cnt, &np);
	/* The length check above guarantees every node was read exactly once. */
	if (cnt != 1 || x[0] != 1 || np != body + len ||
	    memcmp(h[0], root, EMBER_PROOF_NODE) != 0) {
		ember_errf(why, whylen, "the opened leaves and the multiproof do "
		           "not lead to the committed root");
		rc = EMBER_PROOF_ROOT;
		goto out;
	}
	rc = 0;
out:
	if (rc == EMBER_ENOMEM)
		ember_errf(why, whylen, "out of memory for %u openings", k);
	free(h);
	free(vec);
	free(shared_done);
	free(cols);
	free(pos);
	return rc;
}
