/*
 * bench_proof.c - the GPU proof's two sides (docs/proofs.md, "Work: prover
 * against verifier"), measured in one run:
 *
 *   work:     for each default GPU class, the prover's 2 N^3 int8 ops
 *             against the verifier's 2kN (k dot products of length N) and
 *             2kN generated elements, and their ratio (target <= 1e-5 for
 *             the largest class);
 *   verifier: ember_proof_verify's time per proof on one core (target
 *             <= 5 ms) and the body size against 128 KiB.  Timed on an
 *             honest CPU proof for every N that this machine can prove
 *             inside the budget, and for every N on a made-up body
 *             (pf_forge) that makes the verifier do all its work and
 *             refuse only at the last comparison, so the largest class is
 *             measured even where no proof of it can be built on the CPU
 *             (the two agree within a few per cent where both exist); then
 *             broken into parts (ChaCha20, dot products, SHA-256);
 *   prover:   the CPU prover's int8 throughput against a plain triple-loop
 *             GEMM over the same generated matrices (one thread, same N,
 *             checked to give the same Merkle root), and the CUDA back end
 *             where one is compiled in and a device answers.
 *
 * The CPU proofs use PF_POW_BITS instead of the genesis proof_pow_bits:
 * grinding is prover-only work (2^bits SHA-256 on average) and the
 * verifier checks one hash whatever the bits, so the verify figures do not
 * depend on it.  The CUDA proofs use the genesis bits.
 *
 * Nothing here is asserted but correctness: every proof must verify, a
 * tampered one must be refused, the made-up body must be refused at the
 * root (EMBER_PROOF_ROOT) and nowhere earlier, and the baseline's root
 * must equal the prover's.
 */
#include "bench.h"

#include <glob.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember/gpukernel.h"
#include "ember/hash.h"
#include "ember/proof.h"

#define PF_POW_BITS 8                /* CPU proofs (see above) */
#define PF_BUDGET_S 60.0             /* class proofs on the CPU */
#define PF_BUDGET_QUICK_S 8.0
#define PF_REPS 15                   /* verify and parts runs per N */
#define PF_REPS_QUICK 5
#define PF_REPS_MAX 15
#define PF_BASE_N 1024               /* prover throughput and naive loop */
#define PF_BASE_N_QUICK 512
#define PF_CUDA_REPS 3
#define PF_MAX_SIZES 16              /* distinct N among the classes */
#define PF_VERIFY_TARGET_MS 5.0
#define PF_RATIO_TARGET 1e-5
#define PF_TX_MAX (128 * 1024)       /* a proof tx, docs/proofs.md */

/* One distinct N among the classes. */
struct pf_size {
	uint32_t n;
	char names[128];                 /* the classes with this N */
	struct ember_challenge c;
	int proven;                      /* a CPU proof was built and timed */
	struct ember_prove_stats st;
	uint8_t root[EMBER_PROOF_NODE];
	double verify_ms, verify_min_ms; /* honest proof, median and min */
	double full_ms, full_min_ms;     /* pf_forge's body, median and min */
	double gen_ms, dot_ms, sha_ms, parts_ms;   /* medians of the parts */
	double gen_portable_ms;          /* the same rows and columns by ek_gen */
	size_t nsha;                     /* SHA-256 calls one verify makes */
	size_t body;                     /* the proof's, or simulated */
	int64_t sink;                    /* keeps the parts' results live */
};

static int pf_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pf_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), pf_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int pf_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pf_ops(uint32_t n)
{
	return 2.0 * (double)n * (double)n * (double)n;
}

static void pf_challenge(struct ember_challenge *c, uint32_t n)
{
	uint8_t h[32], prov[32];

	ember_sha256("ember-bench proof epoch", 23, h);
	ember_sha256("ember-bench proof provider", 26, prov);
	ember_challenge_derive(c, h, prov, n, n);
}

/*
 * SHA-256 calls that ember_proof_verify makes for these positions beyond
 * the k of the positions themselves: one leaf hash per distinct opened
 * leaf and one node hash per distinct ancestor (the multiproof's nodes
 * are given, not computed).  s is scratch for k entries.
 */
static void pf_count_hashes(uint32_t n, const uint64_t *pos, uint32_t k,
                            uint64_t *s, size_t *nleaf, size_t *ninner)
{
	uint64_t nleaves = (uint64_t)n * n / EMBER_PROOF_LEAF_ENTRIES;
	size_t cnt = 0, inner = 0;

	for (uint32_t o = 0; o < k; o++)
		s[o] = nleaves + pos[o] / EMBER_PROOF_LEAF_ENTRIES;
	qsort(s, k, sizeof(*s), pf_cmp_u64);
	for (uint32_t o = 0; o < k; o++)
		if (cnt == 0 || s[cnt - 1] != s[o])
			s[cnt++] = s[o];
	*nleaf = cnt;
	while (!(cnt == 1 && s[0] == 1)) {
		size_t m = 0;
		for (size_t i = 0; i < cnt; i++)
			if (m == 0 || s[m - 1] != s[i] / 2)
				s[m++] = s[i] / 2;
		cnt = m;
		inner += m;
	}
	*ninner = inner;
}

/*
 * n elements of a stream from element `first`, as the verifier makes them:
 * libsodium's ChaCha20-IETF, which gpukernel.h fixes to give ek_gen's
 * bytes (verify.c uses it for its vector code, about four times ek_gen).
 */
static void pf_gen(const uint8_t seed[32], uint32_t stream, uint64_t first,
                   uint32_t n, int8_t *out)
{
	uint8_t nonce[12] = { (uint8_t)stream, (uint8_t)(stream >> 8),
	                      (uint8_t)(stream >> 16), (uint8_t)(stream >> 24) };

	memset(out, 0, n);
	crypto_stream_chacha20_ietf_xor_ic((unsigned char *)out,
	                                   (const unsigned char *)out, n, nonce,
	                                   (uint32_t)(first / EK_BLOCK), seed);
}

/*
 * The verifier's costs at z->n broken into parts, timed on this thread,
 * reps times over fresh positions: the k positions (SHA-256), a row of A
 * and a column of B per opening (ChaCha20 by pf_gen, clocked per opening),
 * the k dot products by the portable ek_dot (verify.c has an SSE2 loop, so
 * this part is an upper bound), the leaf and node hashes.  A second pass
 * makes the same rows and columns with the portable ek_gen, for
 * comparison only.
 */
static int pf_parts(struct pf_size *z, uint32_t k, int reps)
{
	uint32_t n = z->n, key[8];
	uint64_t *pos = malloc(k * sizeof(*pos)), *s = malloc(k * sizeof(*s));
	int8_t *row = malloc(n), *col = malloc(n);
	uint8_t leaf[EMBER_PROOF_LEAF], node[EMBER_PROOF_NODE];
	double gen[PF_REPS_MAX], dot[PF_REPS_MAX], sha[PF_REPS_MAX];
	double tot[PF_REPS_MAX], genp[PF_REPS_MAX];
	int64_t acc = 0;
	size_t nleaf = 0, ninner = 0;
	int rc = -1;

	if (!pos || !s || !row || !col) {
		bench_fail("out of memory for the verifier's parts at N=%u", n);
		goto out;
	}
	ek_key(z->c.seed, key);
	memset(leaf, 0x5a, sizeof(leaf));
	memset(node, 0xa5, sizeof(node));
	for (int r = 0; r < reps; r++) {
		uint8_t t[32], msg[33];
		double t0, t1, t2, t3, t4;

		memcpy(msg, z->c.seed, 32);
		msg[32] = (uint8_t)r;
		ember_sha256(msg, sizeof(msg), t);
		t0 = bench_now();
		ember_proof_positions(t, n, k, pos);
		t1 = bench_now();
		gen[r] = dot[r] = 0;
		for (uint32_t o = 0; o < k; o++) {
			double a = bench_now(), b;
			pf_gen(z->c.seed, EK_STREAM_A, pos[o] / n * n, n, row);
			pf_gen(z->c.seed, EK_STREAM_B, pos[o] % n * n, n, col);
			b = bench_now();
			acc += ek_dot(row, col, n);
			gen[r] += b - a;
			dot[r] += bench_now() - b;
		}
		pf_count_hashes(n, pos, k, s, &nleaf, &ninner);
		t2 = bench_now();
		for (size_t i = 0; i < nleaf; i++) {
			leaf[i % EMBER_PROOF_LEAF] ^= (uint8_t)i;
			ember_proof_leaf_hash(leaf, node);
		}
		for (size_t i = 0; i < ninner; i++)
			ember_proof_node_hash(node, node, node);
		t3 = bench_now();
		acc ^= node[0];
		for (uint32_t o = 0; o < k; o++) {
			ek_gen(key, EK_STREAM_A, pos[o] / n * n, n, row);
			ek_gen(key, EK_STREAM_B, pos[o] % n * n, n, col);
			acc ^= row[o % n] ^ col[n - 1 - o % n];
		}
		t4 = bench_now();
		genp[r] = t4 - t3;
		sha[r] = (t1 - t0) + (t3 - t2);
		tot[r] = gen[r] + dot[r] + sha[r];
	}
	z->gen_ms = pf_median(gen, (size_t)reps) * 1e3;
	z->gen_portable_ms = pf_median(genp, (size_t)reps) * 1e3;
	z->dot_ms = pf_median(dot, (size_t)reps) * 1e3;
	z->sha_ms = pf_median(sha, (size_t)reps) * 1e3;
	z->parts_ms = pf_median(tot, (size_t)reps) * 1e3;
	z->nsha = k + nleaf + ninner;
	z->sink = acc;
	rc = 0;
out:
	free(pos);
	free(s);
	free(row);
	free(col);
	return rc;
}

/*
 * A body that makes ember_proof_verify do all of its work without a
 * prover: a made-up root and nonce 0 (checked with pow_bits 0, so any t
 * passes), the positions that t names, every opened entry set to its true
 * value (k dot products here), the rest of each leaf and every multiproof
 * node filler.  The verifier checks the length, generates every row and
 * column, checks every entry, hashes the leaves and folds the whole
 * multiproof, and only then refuses at the root comparison
 * (EMBER_PROOF_ROOT).  *body is malloc'd.
 */
static int pf_forge(const struct ember_challenge *c, uint32_t k,
                    uint8_t **body, size_t *len)
{
	uint32_t n = c->n;
	uint8_t h[32], t[32], *b = NULL;
	uint64_t *pos = malloc(2 * (size_t)k * sizeof(*pos)), *lv;
	int8_t *row = malloc(n), *col = malloc(n);
	size_t m = 0, head = EMBER_PROOF_NODE + 8, l = 0;
	int rc = -1;

	if (!pos || !row || !col) {
		bench_fail("out of memory for a body at N=%u", n);
		goto out;
	}
	lv = pos + k;
	ember_sha256(c->seed, 32, h);
	ember_proof_pow_hash(c, h, 0, t);
	ember_proof_positions(t, n, k, pos);
	if ((l = ember_proof_body_size(n, pos, k)) == 0 || !(b = malloc(l))) {
		bench_fail("no body size for N=%u, or out of memory", n);
		goto out;
	}
	memcpy(b, h, EMBER_PROOF_NODE);
	memset(b + EMBER_PROOF_NODE, 0, 8);
	memset(b + head, 0x5c, l - head);
	for (uint32_t o = 0; o < k; o++)
		lv[o] = pos[o] / EMBER_PROOF_LEAF_ENTRIES;
	qsort(lv, k, sizeof(*lv), pf_cmp_u64);
	for (uint32_t o = 0; o < k; o++)
		if (m == 0 || lv[m - 1] != lv[o])
			lv[m++] = lv[o];
	if (head + m * EMBER_PROOF_LEAF > l) {
		bench_fail("body size %zu at N=%u cannot hold %zu leaves", l, n, m);
		goto out;
	}
	for (uint32_t o = 0; o < k; o++) {
		uint64_t key = pos[o] / EMBER_PROOF_LEAF_ENTRIES;
		const uint64_t *at = bsearch(&key, lv, m, sizeof(*lv), pf_cmp_u64);
		uint8_t *e = b + head + (size_t)(at - lv) * EMBER_PROOF_LEAF +
		             pos[o] % EMBER_PROOF_LEAF_ENTRIES * 4;
		uint32_t v;

		pf_gen(c->seed, EK_STREAM_A, pos[o] / n * n, n, row);
		pf_gen(c->seed, EK_STREAM_B, pos[o] % n * n, n, col);
		v = (uint32_t)ek_dot(row, col, n);
		e[0] = (uint8_t)v;
		e[1] = (uint8_t)(v >> 8);
		e[2] = (uint8_t)(v >> 16);
		e[3] = (uint8_t)(v >> 24);
	}
	*body = b;
	*len = l;
	b = NULL;
	rc = 0;
out:
	free(b);
	free(pos);
	free(row);
	free(col);
	return rc;
}

/*
 * Time ember_proof_verify on body, reps times after one untimed call; each
 * call must return want.  *med and *min get milliseconds.
 */
static int pf_time_verify(const struct ember_challenge *c, uint32_t k,
                          uint32_t bits, const uint8_t *body, size_t len,
                          int want, int reps, double *med, double *min)
{
	double t[PF_REPS_MAX];
	char why[256] = "";
	int rc;

	for (int r = -1; r < reps; r++) {
		double t0 = bench_now();
		rc = ember_proof_verify(c, k, bits, body, len, why, sizeof(why));
		if (r >= 0)
			t[r] = bench_now() - t0;
		if (rc != want)
			return bench_fail("ember_proof_verify at N=%u returned '%s' (%s), "
			                  "expected '%s'", c->n, ember_strerror(rc),
			                  why[0] ? why : "no detail",
			                  want ? ember_strerror(want) : "success");
	}
	*med = pf_median(t, (size_t)reps) * 1e3;
	*min = t[0] * 1e3;                      /* sorted by pf_median */
	return 0;
}

/* A body with a bit of its first opened leaf changed must be refused. */
static int pf_tamper(const struct pf_size *z, uint32_t k, const uint8_t *body,
                     size_t len)
{
	uint8_t *bad = malloc(len);
	char why[256] = "";
	size_t off = EMBER_PROOF_NODE + 8;      /* root, nonce: the first leaf */
	int rc;

	if (!bad)
		return bench_fail("out of memory");
	memcpy(bad, body, len);
	bad[off] ^= 1;
	rc = ember_proof_verify(&z->c, k, PF_POW_BITS, bad, len, why, sizeof(why));
	free(bad);
	if (rc == 0)
		return bench_fail("a proof with a leaf changed verified at N=%u", z->n);
	printf("    check: the same body with one bit of its first leaf changed is "
	       "refused (%s: %s)\n", ember_strerror(rc), why[0] ? why : "no detail");
	return 0;
}

static uint64_t pf_phys_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

/* --- the prover against a plain triple loop ------------------------------ */

/* Merkle root of C (row-major int32, n x n) by the leaf and node rules of
 * proof.h, bottom-up in one buffer of L nodes. */
static int pf_root_of(const int32_t *cm, uint32_t n, uint8_t root[EMBER_PROOF_NODE])
{
	size_t nl = (size_t)n * n / EMBER_PROOF_LEAF_ENTRIES;
	uint8_t (*h)[EMBER_PROOF_NODE] = malloc(nl * EMBER_PROOF_NODE);

	if (!h)
		return bench_fail("out of memory for a tree at N=%u", n);
	for (size_t l = 0; l < nl; l++) {
		uint8_t leaf[EMBER_PROOF_LEAF];
		for (int e = 0; e < EMBER_PROOF_LEAF_ENTRIES; e++) {
			uint32_t v = (uint32_t)cm[l * EMBER_PROOF_LEAF_ENTRIES + (size_t)e];
			leaf[4 * e] = (uint8_t)v;
			leaf[4 * e + 1] = (uint8_t)(v >> 8);
			leaf[4 * e + 2] = (uint8_t)(v >> 16);
			leaf[4 * e + 3] = (uint8_t)(v >> 24);
		}
		ember_proof_leaf_hash(leaf, h[l]);
	}
	for (; nl > 1; nl /= 2)
		for (size_t i = 0; i < nl / 2; i++) {
			uint8_t out[EMBER_PROOF_NODE];
			ember_proof_node_hash(h[2 * i], h[2 * i + 1], out);
			memcpy(h[i], out, EMBER_PROOF_NODE);
		}
	memcpy(root, h[0], EMBER_PROOF_NODE);
	free(h);
	return 0;
}

/*
 * The baseline: C = A x B by the plain i-j-k loop on one thread, over the
 * matrices as the challenge defines them (A row-major, B column-major, so
 * the inner loop walks both contiguously).  Compiled with the project's
 * flags like everything else; no blocking, no threads, no intrinsics.
 */
static void pf_naive_gemm(const int8_t *a, const int8_t *bcol, int32_t *cm,
                          uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < n; j++) {
			int32_t acc = 0;
			for (uint32_t x = 0; x < n; x++)
				acc += (int32_t)a[(size_t)i * n + x] *
				       (int32_t)bcol[(size_t)j * n + x];
			cm[(size_t)i * n + j] = acc;
		}
}

struct pf_base {
	uint32_t n;
	struct ember_challenge c;
	uint8_t root[EMBER_PROOF_NODE];
	struct ember_prove_stats st1, stall;    /* one thread, every CPU */
	double naive_s, gen_s;
};

static void pf_print_stats(const char *what, uint32_t n,
                           const struct ember_prove_stats *st)
{
	printf("    %s: gemm %.3f s = %.2f GOPS; tree %.3f s, pow %.3f s (%llu tries), "
	       "open %.3f s; total %.3f s\n", what, st->gemm_s,
	       pf_ops(n) / st->gemm_s / 1e9, st->tree_s, st->pow_s,
	       (unsigned long long)st->pow_tries, st->open_s, st->total_s);
}

/* Prove at b->n on one thread and on every CPU (the bodies must be equal
 * and verify), then run the baseline over the same A and B and compare its
 * root. */
static int pf_baseline(struct pf_base *b, uint32_t k, unsigned ncpu)
{
	uint32_t n = b->n, key[8];
	uint8_t *body = NULL, *body2 = NULL, nroot[EMBER_PROOF_NODE];
	size_t len = 0, len2 = 0, nn = (size_t)n * n;
	int8_t *a = NULL, *bc = NULL;
	int32_t *cm = NULL;
	char why[256] = "";
	double t0;
	int rc, ret = -1;

	pf_challenge(&b->c, n);
	printf("  cpu prover against a plain loop, N=%u (pow %u bits; gemm_s as "
	       "ember_prove reports it):\n", n, PF_POW_BITS);
	if ((rc = ember_prove(EMBER_BACKEND_CPU, &b->c, k, PF_POW_BITS, 1, 0, 0,
	                      &body, &len, &b->st1)) != 0)
		return bench_fail("ember_prove at N=%u on one thread: %s", n,
		                  ember_strerror(rc));
	if ((rc = ember_proof_root(body, len, b->root)) != 0 ||
	    (rc = ember_proof_verify(&b->c, k, PF_POW_BITS, body, len, why,
	                             sizeof(why))) != 0) {
		free(body);
		return bench_fail("the one-thread proof at N=%u was refused: %s", n,
		                  why[0] ? why : ember_strerror(rc));
	}
	pf_print_stats("ember_prove, 1 thread ", n, &b->st1);
	if ((rc = ember_prove(EMBER_BACKEND_CPU, &b->c, k, PF_POW_BITS, 0, 0, 0,
	                      &body2, &len2, &b->stall)) != 0) {
		free(body);
		return bench_fail("ember_prove at N=%u on %u threads: %s", n, ncpu,
		                  ember_strerror(rc));
	}
	/* the same challenge gives the same body whatever the thread count */
	rc = len2 != len || memcmp(body2, body, len) != 0;
	free(body);
	free(body2);
	if (rc)
		return bench_fail("ember_prove at N=%u gives another body on %u threads "
		                  "than on one", n, ncpu);
	{
		char what[40];
		snprintf(what, sizeof(what), "ember_prove, %u threads", ncpu);
		pf_print_stats(what, n, &b->stall);
	}

	a = malloc(nn);
	bc = malloc(nn);
	cm = malloc(nn * sizeof(*cm));
	if (!a || !bc || !cm) {
		bench_fail("out of memory for the baseline at N=%u", n);
		goto out;
	}
	ek_key(b->c.seed, key);
	t0 = bench_now();
	ek_gen(key, EK_STREAM_A, 0, (uint32_t)nn, a);
	ek_gen(key, EK_STREAM_B, 0, (uint32_t)nn, bc);
	b->gen_s = bench_now() - t0;
	t0 = bench_now();
	pf_naive_gemm(a, bc, cm, n);
	b->naive_s = bench_now() - t0;
	if (pf_root_of(cm, n, nroot))
		goto out;
	if (memcmp(nroot, b->root, EMBER_PROOF_NODE) != 0) {
		bench_fail("the plain loop's root at N=%u differs from ember_prove's", n);
		goto out;
	}
	printf("    plain i-j-k loop, 1 thread: %.3f s = %.2f GOPS (A and B generated "
	       "apart in %.3f s, not counted); its Merkle root equals the prover's\n",
	       b->naive_s, pf_ops(n) / b->naive_s / 1e9, b->gen_s);
	printf("    cpu prover gemm against the loop: %.1fx on 1 thread, %.1fx on %u "
	       "threads\n", b->naive_s / b->st1.gemm_s, b->naive_s / b->stall.gemm_s,
	       ncpu);
	ret = 0;
out:
	free(a);
	free(bc);
	free(cm);
	return ret;
}

/* --- CUDA ----------------------------------------------------------------- */

/*
 * Nominal dense int8 tensor peak in TOPS from the vendors' datasheets
 * (without structured sparsity), matched against the model name the
 * driver reports; the first match wins, so specific names come first.
 */
static const struct pf_peak {
	const char *model;
	double tops;
} pf_peaks[] = {
	{ "H200", 1979 },
	{ "H100 PCIe", 1513 },
	{ "H100 NVL", 1671 },
	{ "H100", 1979 },
	{ "A100", 624 },
	{ "L40S", 733 },
	{ "RTX 4090", 660.6 },
};

/* The first GPU's model from the NVIDIA driver's /proc files, or "". */
static void pf_gpu_model(char *out, size_t cap)
{
	glob_t g;

	out[0] = 0;
	if (glob("/proc/driver/nvidia/gpus/*/information", 0, NULL, &g) != 0)
		return;
	if (g.gl_pathc > 0) {
		FILE *f = fopen(g.gl_pathv[0], "r");
		char line[256];
		while (f && fgets(line, sizeof(line), f)) {
			char *p = line;
			if (strncmp(p, "Model:", 6) != 0)
				continue;
			for (p += 6; *p == ' ' || *p == '\t'; p++)
				;
			size_t l = strcspn(p, "\r\n");
			if (l >= cap)
				l = cap - 1;
			memcpy(out, p, l);
			out[l] = 0;
			break;
		}
		if (f)
			fclose(f);
	}
	globfree(&g);
}

static double pf_peak_tops(const char *model)
{
	for (size_t i = 0; i < sizeof(pf_peaks) / sizeof(pf_peaks[0]); i++)
		if (strstr(model, pf_peaks[i].model))
			return pf_peaks[i].tops;
	return 0;
}

/* CUDA root == CPU root for one challenge whose CPU root is known. */
static int pf_cuda_selftest(const struct ember_challenge *c,
                            const uint8_t cpu_root[EMBER_PROOF_NODE])
{
	size_t nodes = 2 * ((size_t)c->n * c->n / EMBER_PROOF_LEAF_ENTRIES);
	uint8_t *tree = malloc(nodes * EMBER_PROOF_NODE);
	double t0;
	int rc;

	if (!tree)
		return bench_fail("out of memory for a tree at N=%u", c->n);
	t0 = bench_now();
	rc = ember_prover_cuda_tree(c, tree);
	t0 = bench_now() - t0;
	if (rc == 0 && memcmp(tree + EMBER_PROOF_NODE, cpu_root, EMBER_PROOF_NODE) != 0)
		rc = 1;
	free(tree);
	if (rc < 0)
		return bench_fail("ember_prover_cuda_tree at N=%u: %s", c->n,
		                  ember_strerror(rc));
	if (rc)
		return bench_fail("cuda selftest failed: the CUDA root at N=%u differs "
		                  "from the CPU root", c->n);
	printf("    selftest N=%u: CPU root == CUDA root (cuda tree %.3f s, first "
	       "call included)\n", c->n, t0);
	return 0;
}

static int pf_cuda(struct pf_size *zs, size_t nz, const struct pf_base *b,
                   uint32_t k, uint32_t bits, double *tops_out)
{
	char why[256] = "", model[128];
	double peak;

	if (!ember_prover_cuda_available(why, sizeof(why))) {
		printf("  cuda: not available here (%s)\n", why[0] ? why : "no reason given");
		return 0;
	}
	pf_gpu_model(model, sizeof(model));
	peak = pf_peak_tops(model);
	printf("  cuda prover (%s; pow %u bits as in genesis; median of %d after a "
	       "warm-up):\n", model[0] ? model : "model unknown", bits, PF_CUDA_REPS);
	if (pf_cuda_selftest(&b->c, b->root))
		return -1;
	for (size_t i = 0; i < nz; i++)
		if (zs[i].proven && pf_cuda_selftest(&zs[i].c, zs[i].root))
			return -1;
	for (size_t i = 0; i < nz; i++) {
		struct pf_size *z = &zs[i];
		double gemm[PF_CUDA_REPS], total[PF_CUDA_REPS], tops, g, t;
		struct ember_prove_stats st;

		for (int r = -1; r < PF_CUDA_REPS; r++) {
			uint8_t *body = NULL;
			size_t len = 0;
			int rc = ember_prove(EMBER_BACKEND_CUDA, &z->c, k, bits, 0, 0, 0,
			                     &body, &len, &st);
			if (rc)
				return bench_fail("cuda ember_prove at N=%u: %s", z->n,
				                  ember_strerror(rc));
			rc = ember_proof_verify(&z->c, k, bits, body, len, why, sizeof(why));
			free(body);
			if (rc)
				return bench_fail("a cuda proof at N=%u was refused: %s", z->n,
				                  why[0] ? why : ember_strerror(rc));
			if (r >= 0) {
				gemm[r] = st.gemm_s;
				total[r] = st.total_s;
			}
		}
		g = pf_median(gemm, PF_CUDA_REPS);
		t = pf_median(total, PF_CUDA_REPS);
		tops = pf_ops(z->n) / g / 1e12;
		if (peak > 0)
			printf("    N=%-5u (%s): gemm + leaf hashes %.2f ms = %.1f TOPS = "
			       "%.1f%% of %.0f dense int8 TOPS; whole proof %.1f ms (last: "
			       "tree %.1f, pow %.1f, open %.1f ms)\n", z->n, z->names, g * 1e3,
			       tops, tops / peak * 100, peak, t * 1e3, st.tree_s * 1e3,
			       st.pow_s * 1e3, st.open_s * 1e3);
		else
			printf("    N=%-5u (%s): gemm + leaf hashes %.2f ms = %.1f TOPS (no "
			       "int8 peak known for this model); whole proof %.1f ms\n",
			       z->n, z->names, g * 1e3, tops, t * 1e3);
		*tops_out = tops;                /* the largest N is last */
	}
	return 0;
}

/* --- the benchmark ------------------------------------------------------- */

int bench_proof(struct bench_ctx *bc)
{
	const struct bench_opts *opt = bc->opt;
	struct bench_results *res = bc->res;
	struct ember_params p;
	const struct ember_gpu_class *cls;
	struct pf_size zs[PF_MAX_SIZES];
	struct pf_base base;
	const struct ember_prove_stats *ref;
	uint32_t k, nref;
	size_t ncls, nz = 0;
	int reps = opt->quick ? PF_REPS_QUICK : PF_REPS;
	double budget = opt->quick ? PF_BUDGET_QUICK_S : PF_BUDGET_S, spent = 0;
	double cuda_tops = 0;
	char b1[32], b2[32];

	ember_params_default(&p);
	k = p.proof_openings;
	cls = ember_gpu_classes_default(&ncls);
	memset(zs, 0, sizeof(zs));
	memset(&base, 0, sizeof(base));
	printf("== proof: GPU proof of compute, prover against verifier (k = %u "
	       "openings, genesis pow %u bits)\n", k, p.proof_pow_bits);

	/* the classes, and the distinct N in ascending order */
	printf("  work per challenge (int8 ops: a multiply and an add are 2):\n");
	printf("    %-12s %6s %12s %12s %12s %10s\n", "class", "N", "prover 2N^3",
	       "verifier 2kN", "generated", "ratio");
	for (size_t i = 0; i < ncls; i++) {
		uint32_t n = cls[i].challenge_n;
		double ratio = (double)k / ((double)n * n);
		size_t j;

		printf("    %-12s %6u %12.3e %12.3e %12.3e %10.2e\n", cls[i].name, n,
		       pf_ops(n), 2.0 * k * n, 2.0 * k * n, ratio);
		for (j = 0; j < nz && zs[j].n != n; j++)
			;
		if (j == nz) {
			if (nz == PF_MAX_SIZES)
				return bench_fail("more than %d distinct challenge sizes",
				                  PF_MAX_SIZES);
			zs[nz].n = n;
			pf_challenge(&zs[nz].c, n);
			nz++;
		}
		if (zs[j].names[0])
			strncat(zs[j].names, ", ", sizeof(zs[j].names) - strlen(zs[j].names) - 1);
		strncat(zs[j].names, cls[i].name, sizeof(zs[j].names) - strlen(zs[j].names) - 1);
	}
	if (nz == 0)
		return bench_fail("the default class table is empty");
	for (size_t i = 1; i < nz; i++)
		for (size_t j = i; j > 0 && zs[j - 1].n > zs[j].n; j--) {
			struct pf_size t = zs[j];
			zs[j] = zs[j - 1];
			zs[j - 1] = t;
		}
	printf("    generated: elements of A and B (2kN/64 ChaCha20 blocks); the "
	       "verifier also hashes about k * 17 SHA-256.  Ratio target <= %.0e at "
	       "the largest N (%u): %s\n", PF_RATIO_TARGET, zs[nz - 1].n,
	       (double)k / ((double)zs[nz - 1].n * zs[nz - 1].n) <= PF_RATIO_TARGET ?
	       "met" : "MISSED");

	base.n = opt->quick ? PF_BASE_N_QUICK : PF_BASE_N;
	if (pf_baseline(&base, k, opt->ncpu))
		return -1;

	/*
	 * Class proofs, smallest N first, each only if the last proof's stats
	 * scaled to this N (gemm by N^3, tree and openings by N^2) fit in what
	 * is left of the budget, and memory allows (C, A and B, the tree).
	 */
	printf("  verifier on one core, per proof (median of %d; CPU proofs with pow "
	       "%u bits, %.0f s budget for building them):\n", reps, PF_POW_BITS,
	       budget);
	ref = &base.stall;
	nref = base.n;
	for (size_t i = 0; i < nz; i++) {
		struct pf_size *z = &zs[i];
		double sc = (double)z->n / nref;
		double proj = ref->gemm_s * sc * sc * sc +
		              (ref->tree_s + ref->open_s) * sc * sc + ref->pow_s;
		uint64_t need = 12ULL * z->n * z->n, phys = pf_phys_bytes();
		int memok = phys == 0 || need <= phys / 2;
		uint8_t *body = NULL;
		size_t len = 0;

		printf("  N=%u (%s):\n", z->n, z->names);
		if (proj <= budget - spent && memok) {
			double t0 = bench_now();
			int rc = ember_prove(EMBER_BACKEND_CPU, &z->c, k, PF_POW_BITS, 0, 0, 0,
			                     &body, &len, &z->st);
			spent += bench_now() - t0;
			if (rc)
				return bench_fail("ember_prove at N=%u: %s", z->n, ember_strerror(rc));
			z->proven = 1;
			z->body = len;
			ref = &z->st;
			nref = z->n;
			pf_print_stats("cpu proof", z->n, &z->st);
			if (ember_proof_root(body, len, z->root) != 0) {
				free(body);
				return bench_fail("no root in the proof at N=%u", z->n);
			}
			if (pf_time_verify(&z->c, k, PF_POW_BITS, body, len, 0, reps,
			                   &z->verify_ms, &z->verify_min_ms) ||
			    (i == 0 && pf_tamper(z, k, body, len))) {
				free(body);
				return -1;
			}
			free(body);
			body = NULL;
			printf("    ember_proof_verify, honest proof: %.3f ms (min %.3f)  "
			       "target <= %.0f ms: %s\n", z->verify_ms, z->verify_min_ms,
			       PF_VERIFY_TARGET_MS,
			       z->verify_ms <= PF_VERIFY_TARGET_MS ? "met" : "MISSED");
		} else {
			printf("    no %u proof built on this CPU: %s (projected %.0f s from "
			       "the N=%u proof, %.0f s of the budget left)\n", z->n,
			       memok ? "over the budget" : "not enough memory", proj, nref,
			       budget - spent > 0 ? budget - spent : 0);
		}
		if (pf_forge(&z->c, k, &body, &len))
			return -1;
		if (pf_time_verify(&z->c, k, 0, body, len, EMBER_PROOF_ROOT, reps,
		                   &z->full_ms, &z->full_min_ms)) {
			free(body);
			return -1;
		}
		free(body);
		if (!z->proven)
			z->body = len;
		if (z->proven)
			printf("    the same on a made-up body (true openings, filler "
			       "multiproof, refused at the root): %.3f ms\n", z->full_ms);
		else
			printf("    ember_proof_verify on a body with true openings and a "
			       "filler multiproof (no %u proof built on this CPU; the verifier "
			       "does all its work and refuses only at the final root "
			       "comparison): %.3f ms (min %.3f)  target <= %.0f ms: %s\n",
			       z->n, z->full_ms, z->full_min_ms, PF_VERIFY_TARGET_MS,
			       z->full_ms <= PF_VERIFY_TARGET_MS ? "met" : "MISSED");
		if (pf_parts(z, k, reps))
			return -1;
		printf("    as parts: ChaCha20 %.3f ms (%s bytes by libsodium; portable "
		       "ek_gen %.3f ms), dot products %.3f ms (portable ek_dot), SHA-256 "
		       "%.3f ms (%zu calls); sum %.3f ms\n", z->gen_ms,
		       bench_num(2ULL * k * z->n, b1), z->gen_portable_ms, z->dot_ms,
		       z->sha_ms, z->nsha, z->parts_ms);
		printf("    body %s bytes%s = %.1f%% of %s (tx limit; body cap %d)\n",
		       bench_num(z->body, b1), z->proven ? "" : " (the made-up body's)",
		       100.0 * (double)z->body / PF_TX_MAX, bench_num(PF_TX_MAX, b2),
		       EMBER_PROOF_BODY_MAX);
		if (z->body > EMBER_PROOF_BODY_MAX)
			return bench_fail("the body at N=%u is over the cap", z->n);
	}

	if (pf_cuda(zs, nz, &base, k, p.proof_pow_bits, &cuda_tops))
		return -1;

	{
		const struct pf_size *top = &zs[nz - 1], *best = NULL;
		for (size_t i = 0; i < nz; i++)
			if (zs[i].proven)
				best = &zs[i];
		res->have_proof = 1;
		res->proof_n = top->n;
		res->proof_ratio = (double)k / ((double)top->n * top->n);
		res->proof_verify_forged = !top->proven;
		res->proof_verify_ms = top->proven ? top->verify_ms : top->full_ms;
		res->proof_body = top->body;
		res->proof_gops_n = best ? best->n : base.n;
		res->proof_gops = pf_ops(res->proof_gops_n) /
		                  (best ? best->st.gemm_s : base.stall.gemm_s) / 1e9;
		res->proof_threads = opt->ncpu;
		res->proof_base_n = base.n;
		res->proof_gops_1 = pf_ops(base.n) / base.st1.gemm_s / 1e9;
		res->proof_naive_gops = pf_ops(base.n) / base.naive_s / 1e9;
		res->proof_cuda_tops = cuda_tops;
	}
	return 0;
}
