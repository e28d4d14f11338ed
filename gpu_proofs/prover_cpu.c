/*
 * prover_cpu.c - the CPU back end of the GPU proof: C = A x B, its Merkle
 * tree and the grinding search on pthreads.  It is the reference the CUDA
 * back end is tested against, and a usable prover for small classes.
 *
 * GEMM.  B is generated once, in parallel, and widened to int16 (column j
 * is N contiguous values, as in gpukernel.h).  Work items are blocks of
 * PROOF_RB rows of C, claimed from an atomic counter: a thread generates
 * its rows of A (also widened), then for each panel of 8 columns (one leaf
 * per row) accumulates the RB x 8 tile in passes of PROOF_KC over k, so
 * the panel's slice stays in L1 while the rows stream from L2, and hashes
 * each row's leaf straight into the tree.  C is never stored whole.
 *
 * Why int16: gcc vectorises an int16 x int16 -> int32 sum into pmaddwd
 * (two products and their sum per 32-bit lane) but an int8 one into a long
 * chain of unpacks; int8 x int8 products fit int16 exactly, so nothing is
 * lost.  The micro-kernel is plain C; on x86-64 with gcc it is also built
 * for AVX2 and AVX-512BW and picked at load time (target_clones), since
 * the distribution's -O2 baseline is SSE2 (-DEMBER_NO_CLONES builds the
 * baseline only).
 *
 * Tree.  The leaf level is split into subtrees that threads build up to
 * their roots; the few levels above them are built by the caller.
 *
 * Grinding.  Threads claim chunks of consecutive nonces in increasing
 * order and each scans its chunk upward, so every nonce below the smallest
 * valid one found is tried by someone and the answer does not depend on
 * the thread count or timing.  The tag block and seed || root are hashed
 * once; each try copies that state and adds the nonce.
 */
#include "ember/proof.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ember/codec.h"
#include "ember/gpukernel.h"
#include "ember/hash.h"
#include "proof_cpu_internal.h"

#define PROOF_RB 32           /* rows of C per work item (divides N >= 64) */
#define PROOF_KC 1024         /* k per pass over a panel: 8 x 2 KiB of B */
#define PROOF_PANEL EMBER_PROOF_LEAF_ENTRIES
#define PROOF_B_COLS 64       /* columns of B per generation work item */
#define PROOF_POW_CHUNK 1024  /* nonces per grinding work item */

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    defined(__linux__) && !defined(EMBER_NO_CLONES)
#define PROOF_CLONES \
	__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define PROOF_CLONES
#endif

/*
 * Run fn(arg) on `threads` threads, the caller being one of them.  Work is
 * claimed from counters inside arg, so a thread that cannot be created
 * only costs speed: whoever runs takes its share.
 */
static void proof_cpu_run(unsigned threads, void *(*fn)(void *), void *arg)
{
	pthread_t *tid = NULL;
	unsigned started = 0;

	if (threads > 1)
		tid = malloc((threads - 1) * sizeof *tid);
	for (unsigned t = 0; tid && t + 1 < threads; t++)
		if (pthread_create(&tid[started], NULL, fn, arg) == 0)
			started++;
	fn(arg);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	free(tid);
}

int ember_proof_corrupted(uint64_t cheat_seed, uint64_t entry,
                          uint32_t corrupt_ppm)
{
	uint8_t msg[16], h[32];
	uint32_t v;

	if (!corrupt_ppm)
		return 0;
	ember_le64_put(msg, cheat_seed);
	ember_le64_put(msg + 8, entry);
	ember_sha256(msg, sizeof msg, h);
	v = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
	    (uint32_t)h[3] << 24;
	return v % 1000000u < corrupt_ppm;
}

/* ---- C = A x B and the leaf level */

struct proof_cpu_gemm {
	uint32_t key[8];
	uint32_t n;
	uint64_t leaves;
	int16_t *b;                 /* N*N, column-major; the caller owns it */
	uint8_t *tree;
	uint32_t corrupt_ppm;
	uint64_t cheat_seed;
	atomic_uint_fast64_t next;  /* next work item of the current phase */
	atomic_int failed;          /* a thread could not allocate */
};

/* Elements [first, first + n) of a stream, widened (first, n: multiples
 * of 64). */
static void proof_cpu_gen16(const uint32_t key[8], uint32_t stream,
                            uint64_t first, uint32_t n, int16_t *out)
{
	int8_t blk[EK_BLOCK];

	for (uint32_t off = 0; off < n; off += EK_BLOCK) {
		uint32_t blkno = (uint32_t)((first + off) / EK_BLOCK);

		ek_gen_block(key, stream, blkno, blk);
		for (int e = 0; e < EK_BLOCK; e++)
			out[off + e] = blk[e];
	}
}

static void *proof_cpu_gen_b(void *arg)
{
	struct proof_cpu_gemm *g = arg;
	uint64_t items = g->n / PROOF_B_COLS;

	for (;;) {
		uint64_t it = atomic_fetch_add(&g->next, 1);
		uint64_t j = it * PROOF_B_COLS;

		if (it >= items)
			return NULL;
		for (uint64_t end = j + PROOF_B_COLS; j < end; j++)
			proof_cpu_gen16(g->key, EK_STREAM_B, j * g->n, g->n,
			                g->b + j * g->n);
	}
}

/*
 * c0[0..4) += rows a0 . columns b, b + ldb, b + 2 ldb, b + 3 ldb over len
 * (a multiple of 64), and c1 likewise for a1.  Four independent sums per
 * row reuse each loaded vector of A four times and of B twice.
 */
PROOF_CLONES
static void proof_cpu_tile_2x4(const int16_t *restrict a0,
                               const int16_t *restrict a1,
                               const int16_t *restrict b, size_t ldb,
                               uint32_t len, int32_t *restrict c0,
                               int32_t *restrict c1)
{
	const int16_t *restrict b0 = b, *restrict b1 = b + ldb;
	const int16_t *restrict b2 = b + 2 * ldb, *restrict b3 = b + 3 * ldb;
	int32_t s00 = 0, s01 = 0, s02 = 0, s03 = 0;
	int32_t s10 = 0, s11 = 0, s12 = 0, s13 = 0;

	/* Known to be a multiple of the vector length, the loop vectorises
	 * even under -O2's cheap cost model, which refuses scalar tails. */
	len &= ~(uint32_t)63;
	for (uint32_t k = 0; k < len; k++) {
		int32_t x0 = a0[k], x1 = a1[k];

		s00 += x0 * b0[k];
		s01 += x0 * b1[k];
		s02 += x0 * b2[k];
		s03 += x0 * b3[k];
		s10 += x1 * b0[k];
		s11 += x1 * b1[k];
		s12 += x1 * b2[k];
		s13 += x1 * b3[k];
	}
	c0[0] += s00; c0[1] += s01; c0[2] += s02; c0[3] += s03;
	c1[0] += s10; c1[1] += s11; c1[2] += s12; c1[3] += s13;
}

/* acc += rows of a (RB x N) . the 8 columns at b (N apart), over
 * [k0, k0 + kc); b already points at k0. */
static void proof_cpu_panel_pass(const int16_t *a, const int16_t *b,
                                 uint32_t n, uint32_t k0, uint32_t kc,
                                 int32_t acc[PROOF_RB][PROOF_PANEL])
{
	const int16_t *b4 = b + 4 * (size_t)n;

	for (unsigned r = 0; r < PROOF_RB; r += 2) {
		const int16_t *a0 = a + (size_t)r * n + k0, *a1 = a0 + n;

		proof_cpu_tile_2x4(a0, a1, b, n, kc, acc[r], acc[r + 1]);
		proof_cpu_tile_2x4(a0, a1, b4, n, kc, acc[r] + 4,
		                   acc[r + 1] + 4);
	}
}

/* Hash the RB leaves of panel p (columns 8p .. 8p+7) for rows i0 .. */
static void proof_cpu_hash_panel(const struct proof_cpu_gemm *g, uint64_t i0,
                                 uint64_t p, int32_t acc[PROOF_RB][PROOF_PANEL])
{
	uint64_t per_row = g->n / PROOF_PANEL;

	for (unsigned r = 0; r < PROOF_RB; r++) {
		uint8_t leaf[EMBER_PROOF_LEAF], *node;
		uint64_t i = i0 + r, l = i * per_row + p;

		for (unsigned e = 0; e < PROOF_PANEL; e++) {
			uint64_t entry = i * g->n + p * PROOF_PANEL + e;
			uint32_t v = (uint32_t)acc[r][e], ppm = g->corrupt_ppm;

			/* The cheat rule; ember_prove applies it to its leaves too. */
			if (ppm && ember_proof_corrupted(g->cheat_seed, entry,
			                                 ppm))
				v += 1;
			leaf[4 * e] = (uint8_t)v;
			leaf[4 * e + 1] = (uint8_t)(v >> 8);
			leaf[4 * e + 2] = (uint8_t)(v >> 16);
			leaf[4 * e + 3] = (uint8_t)(v >> 24);
		}
		node = g->tree + (g->leaves + l) * EMBER_PROOF_NODE;
		ember_proof_leaf_hash(leaf, node);
	}
}

static void *proof_cpu_gemm_rows(void *arg)
{
	struct proof_cpu_gemm *g = arg;
	uint32_t n = g->n, kc = n < PROOF_KC ? n : PROOF_KC;
	uint64_t items = n / PROOF_RB;
	int32_t acc[PROOF_RB][PROOF_PANEL];
	int16_t *a = malloc((size_t)PROOF_RB * n * sizeof *a);

	if (!a) {
		atomic_store(&g->failed, 1);
		return NULL;
	}
	while (!atomic_load(&g->failed)) {
		uint64_t it = atomic_fetch_add(&g->next, 1), i0 = it * PROOF_RB;

		if (it >= items)
			break;
		for (unsigned r = 0; r < PROOF_RB; r++)
			proof_cpu_gen16(g->key, EK_STREAM_A, (i0 + r) * n, n,
			                a + (size_t)r * n);
		for (uint64_t p = 0; p < n / PROOF_PANEL; p++) {
			const int16_t *bp = g->b + p * PROOF_PANEL * n;

			memset(acc, 0, sizeof acc);
			for (uint32_t k = 0; k < n; k += kc)
				proof_cpu_panel_pass(a, bp + k, n, k, kc, acc);
			proof_cpu_hash_panel(g, i0, p, acc);
		}
	}
	free(a);
	return NULL;
}

/* ---- inner levels */

struct proof_cpu_tree {
	uint8_t *tree;
	uint64_t leaves;
	uint64_t subtrees;          /* a power of two <= leaves */
	atomic_uint_fast64_t next;
};

static void proof_cpu_node(uint8_t *tree, uint64_t x)
{
	ember_proof_node_hash(tree + 2 * x * EMBER_PROOF_NODE,
	                      tree + (2 * x + 1) * EMBER_PROOF_NODE,
	                      tree + x * EMBER_PROOF_NODE);
}

/* Subtree s holds, on the level of width w >= subtrees, the w / subtrees
 * nodes from w + s * w / subtrees. */
static void *proof_cpu_subtrees(void *arg)
{
	struct proof_cpu_tree *t = arg;

	for (;;) {
		uint64_t s = atomic_fetch_add(&t->next, 1);

		if (s >= t->subtrees)
			return NULL;
		for (uint64_t w = t->leaves / 2; w >= t->subtrees; w /= 2) {
			uint64_t per = w / t->subtrees, x = w + s * per;

			for (uint64_t end = x + per; x < end; x++)
				proof_cpu_node(t->tree, x);
		}
	}
}

static void proof_cpu_inner(uint8_t *tree, uint64_t leaves, unsigned threads)
{
	struct proof_cpu_tree t = {
		.tree = tree, .leaves = leaves, .subtrees = 1,
	};

	/* Several subtrees per thread even out uneven progress; they must
	 * stay below the leaf count so each has at least one inner level. */
	while (t.subtrees < 16 * (uint64_t)threads && t.subtrees * 2 < leaves)
		t.subtrees *= 2;
	atomic_init(&t.next, 0);
	proof_cpu_run(threads, proof_cpu_subtrees, &t);
	for (uint64_t x = t.subtrees - 1; x >= 1; x--)
		proof_cpu_node(tree, x);
}

int proof_cpu_tree_timed(const struct ember_challenge *c, unsigned threads,
                         uint32_t corrupt_ppm, uint64_t cheat_seed,
                         uint8_t *tree, double *gemm_s, double *tree_s)
{
	struct proof_cpu_gemm g;
	uint64_t nn;
	double t0 = proof_now(), t1;

	if (!c || !tree || !proof_n_ok(c->n))
		return EMBER_EINVAL;
	threads = proof_threads(threads);
	nn = (uint64_t)c->n * c->n;
	if (nn > SIZE_MAX / sizeof(int16_t))
		return EMBER_ENOMEM;

	memset(&g, 0, sizeof g);
	ek_key(c->seed, g.key);
	g.n = c->n;
	g.leaves = nn / EMBER_PROOF_LEAF_ENTRIES;
	g.tree = tree;
	g.corrupt_ppm = corrupt_ppm;
	g.cheat_seed = cheat_seed;
	atomic_init(&g.failed, 0);
	g.b = malloc((size_t)nn * sizeof *g.b);
	if (!g.b)
		return EMBER_ENOMEM;

	atomic_init(&g.next, 0);
	proof_cpu_run(threads, proof_cpu_gen_b, &g);
	atomic_store(&g.next, 0);
	proof_cpu_run(threads, proof_cpu_gemm_rows, &g);
	free(g.b);
	if (atomic_load(&g.failed))
		return EMBER_ENOMEM;
	t1 = proof_now();
	if (gemm_s)
		*gemm_s = t1 - t0;

	proof_cpu_inner(tree, g.leaves, threads);
	if (tree_s)
		*tree_s = proof_now() - t1;
	return 0;
}

int ember_prover_cpu_tree(const struct ember_challenge *c, unsigned threads,
                          uint32_t corrupt_ppm, uint64_t cheat_seed,
                          uint8_t *tree)
{
	return proof_cpu_tree_timed(c, threads, corrupt_ppm, cheat_seed, tree,
	                            NULL, NULL);
}

/* ---- grinding */

struct proof_cpu_pow {
	struct ember_sha256_ctx mid;  /* tag block, seed and root absorbed */
	uint32_t bits;
	atomic_uint_fast64_t next;    /* next chunk */
	atomic_uint_fast64_t best;    /* smallest valid nonce so far, or MAX */
	atomic_uint_fast64_t tries;
};

static void proof_cpu_pow_offer(struct proof_cpu_pow *w, uint64_t nonce)
{
	uint_fast64_t cur = atomic_load(&w->best);

	while (nonce < cur &&
	       !atomic_compare_exchange_weak(&w->best, &cur, nonce))
		;
}

static void *proof_cpu_pow_search(void *arg)
{
	struct proof_cpu_pow *w = arg;
	uint64_t tried = 0;

	for (;;) {
		uint64_t ch = atomic_fetch_add(&w->next, 1);
		uint64_t x = ch * PROOF_POW_CHUNK;

		/* Chunks are claimed in increasing order, so once one starts
		 * above the best nonce every later one does too. */
		if (ch >= UINT64_MAX / PROOF_POW_CHUNK ||
		    x > atomic_load(&w->best))
			break;
		for (uint64_t end = x + PROOF_POW_CHUNK; x < end; x++) {
			struct ember_sha256_ctx h = w->mid;
			uint8_t le[8], t[32];

			ember_le64_put(le, x);
			ember_sha256_update(&h, le, sizeof le);
			ember_sha256_final(&h, t);
			tried++;
			if (ember_proof_pow_ok(t, w->bits)) {
				proof_cpu_pow_offer(w, x);
				break;
			}
		}
	}
	atomic_fetch_add(&w->tries, tried);
	return NULL;
}

int ember_prover_cpu_pow(const struct ember_challenge *c,
                         const uint8_t root[EMBER_PROOF_NODE],
                         uint32_t pow_bits, unsigned threads,
                         uint64_t *nonce, uint64_t *tries)
{
	struct proof_cpu_pow w;
	uint8_t th[32];
	uint64_t best;

	/* Beyond 64 bits the expected search outlasts the nonce space. */
	if (!c || !root || !nonce || pow_bits > 64)
		return EMBER_EINVAL;
	ember_sha256(EMBER_PROOF_POW_TAG, strlen(EMBER_PROOF_POW_TAG), th);
	ember_sha256_init(&w.mid);
	ember_sha256_update(&w.mid, th, sizeof th);
	ember_sha256_update(&w.mid, th, sizeof th);
	ember_sha256_update(&w.mid, c->seed, sizeof c->seed);
	ember_sha256_update(&w.mid, root, EMBER_PROOF_NODE);
	w.bits = pow_bits;
	atomic_init(&w.next, 0);
	atomic_init(&w.best, UINT64_MAX);
	atomic_init(&w.tries, 0);
	proof_cpu_run(proof_threads(threads), proof_cpu_pow_search, &w);
	best = atomic_load(&w.best);
	if (tries)
		*tries = atomic_load(&w.tries);
	if (best == UINT64_MAX)
		return EMBER_EINVAL;  /* no valid nonce below 2^64 */
	*nonce = best;
	return 0;
}
