/*
 * prover_cuda.cu - the CUDA back end of the GPU proof (proof.h): the
 * matrices, C = A x B on int8 tensor cores, the Merkle tree, and the
 * grinding search, bit for bit what the CPU back end (prover_cpu.c)
 * computes.  Built when nvcc is found and linked into ember-prover ahead
 * of libember.a, whose cuda_stub.c it replaces.
 *
 * Shared math.  Elements come from gpukernel.h and every hash from
 * sha256_dev.h, both compiled here for the device and tested against
 * libsodium and OpenSSL on the host; nothing here re-implements either.
 *
 * Layout.  A is generated row-major and B column-major, each as its
 * stream's bytes in order (one thread per 64-byte ChaCha20 block).
 * cuBLASLt is column-major, and its int8 tensor-core kernels take only
 * the "TN" form (A transposed, B not).  Read column-major with leading
 * dimension N, the B buffer is B itself and the A buffer is A^T, so
 *     D = op(B buffer) x op(A buffer) = B^T x A^T = (A x B)^T
 * with transa = T, transb = N, and D column-major is C row-major: leaf l
 * is simply bytes 32 l .. 32 l + 31 of D, already le32 on the device.
 * The int32 sums are exact (gpukernel.h bounds |C| by 2^30).
 *
 * Memory.  A, B (N^2 bytes each) and C (4 N^2) live together, then A and
 * B are freed before the tree (40 N^2 / 8 bytes) is allocated: at N = 8192
 * that is 384 MiB, then 576 MiB.
 *
 * Checks.  Each tree is spot-checked on the host before it is returned
 * (a few entries of C against dot products, their leaves and paths against
 * OpenSSL), and each nonce is re-hashed with OpenSSL: a device or library
 * fault becomes EMBER_EINTERNAL here rather than a refused proof later.
 *
 * Errors.  These calls have no why argument, so a failure is also written
 * to stderr once, naming the step.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cublasLt.h>
#include <cuda_runtime.h>

extern "C" {
#include "ember/proof.h"
}
#include "ember/gpukernel.h"
#include "ember/sha256_dev.h"

#define PC_THREADS 256                  /* threads per block, every kernel */
#define PC_POW_BATCH (1ull << 24)       /* nonces per grinding launch */
#define PC_WORKSPACE (32u << 20)        /* cuBLASLt workspace */
#define PC_SPOT 8                       /* entries of C checked on the host */
#define PC_NONE 0xffffffffffffffffull   /* no valid nonce found (yet) */

struct pc_key {
	uint32_t w[8];
};

/* ---- kernels */

/* Stream elements [0, 64 nblk) into out: thread b makes block b. */
__global__ static void pc_gen(struct pc_key key, uint32_t stream,
                              uint64_t nblk, int8_t *out)
{
	uint64_t b = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
	int8_t e[EK_BLOCK];
	uint4 v;

	if (b >= nblk)
		return;
	ek_gen_block(key.w, stream, (uint32_t)b, e);
	for (int i = 0; i < EK_BLOCK / 16; i++) {
		memcpy(&v, e + 16 * i, sizeof v);
		((uint4 *)(out + b * EK_BLOCK))[i] = v;
	}
}

/* 20 bytes at a 4-byte aligned address (every node: 20 x and a 256-byte
 * aligned base). */
__device__ static void pc_put_node(uint8_t *dst, const uint8_t h[20])
{
	uint32_t w[5];

	memcpy(w, h, sizeof w);
	for (int i = 0; i < 5; i++)
		((uint32_t *)dst)[i] = w[i];
}

/* Leaf level: node L + l = leaf hash of C's bytes 32 l .. 32 l + 31. */
__global__ static void pc_leaves(const int32_t *c, uint64_t leaves,
                                 uint8_t *tree)
{
	uint64_t l = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
	uint8_t leaf[EMBER_PROOF_LEAF], h[EMBER_PROOF_NODE];
	uint4 v0, v1;

	if (l >= leaves)
		return;
	v0 = ((const uint4 *)c)[2 * l];
	v1 = ((const uint4 *)c)[2 * l + 1];
	memcpy(leaf, &v0, 16);
	memcpy(leaf + 16, &v1, 16);
	sd_proof_leaf(leaf, h);
	pc_put_node(tree + (leaves + l) * EMBER_PROOF_NODE, h);
}

/* One inner level: nodes lo .. 2 lo - 1 from their children. */
__global__ static void pc_level(uint8_t *tree, uint64_t lo)
{
	uint64_t x = lo + (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
	uint32_t w[10];
	uint8_t kids[2 * EMBER_PROOF_NODE], h[EMBER_PROOF_NODE];

	if (x >= 2 * lo)
		return;
	for (int i = 0; i < 10; i++)
		w[i] = ((const uint32_t *)(tree + 2 * x * EMBER_PROOF_NODE))[i];
	memcpy(kids, w, sizeof kids);
	sd_proof_node(kids, kids + EMBER_PROOF_NODE, h);
	pc_put_node(tree + x * EMBER_PROOF_NODE, h);
}

/* Nonces base .. base + grid - 1; the smallest valid one goes to *found. */
__global__ static void pc_pow(struct sd_tagged60 p, uint64_t base,
                              uint32_t bits, unsigned long long *found)
{
	uint64_t nonce = base + (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
	uint32_t st[8];

	sd_tagged60_state(&p, nonce, st);
	if (sd_lead_zeros(st) >= bits)
		atomicMin(found, (unsigned long long)nonce);
}

/* ---- host side */

static unsigned pc_grid(uint64_t threads)
{
	return (unsigned)((threads + PC_THREADS - 1) / PC_THREADS);
}

/* Map a CUDA error to the contract's codes, telling stderr what failed. */
static int pc_cuda(cudaError_t e, const char *what)
{
	if (e == cudaSuccess)
		return 0;
	fprintf(stderr, "cuda back end: %s failed: %s\n", what,
	        cudaGetErrorString(e));
	switch (e) {
	case cudaErrorMemoryAllocation:
		return EMBER_ENOMEM;
	case cudaErrorNoDevice:
	case cudaErrorInsufficientDriver:
	case cudaErrorInitializationError:
	case cudaErrorNoKernelImageForDevice:
	case cudaErrorUnsupportedPtxVersion:
	case cudaErrorDevicesUnavailable:
		return EMBER_PROOF_NO_CUDA;
	default:
		return EMBER_EINTERNAL;
	}
}

static int pc_blas(cublasStatus_t s, const char *what)
{
	if (s == CUBLAS_STATUS_SUCCESS)
		return 0;
	fprintf(stderr, "cuda back end: %s failed: %s\n", what,
	        cublasLtGetStatusString(s));
	switch (s) {
	case CUBLAS_STATUS_ALLOC_FAILED:
		return EMBER_ENOMEM;
	case CUBLAS_STATUS_NOT_INITIALIZED:
	case CUBLAS_STATUS_ARCH_MISMATCH:
		return EMBER_PROOF_NO_CUDA;
	default:
		return EMBER_EINTERNAL;
	}
}

/* A kernel launch: its configuration error now, a fault at the next sync. */
static int pc_launched(const char *what)
{
	return pc_cuda(cudaGetLastError(), what);
}

/* C = A x B (see the top of the file for the layout). */
static int pc_gemm(cublasLtHandle_t lt, const int8_t *a, const int8_t *b,
                   int32_t *c, uint64_t n, void *ws)
{
	const cublasOperation_t opt = CUBLAS_OP_T, opn = CUBLAS_OP_N;
	const int32_t one = 1, zero = 0;
	const uint64_t wsz = PC_WORKSPACE;
	cublasLtMatmulDesc_t op = NULL;
	cublasLtMatrixLayout_t l8 = NULL, l32 = NULL;
	cublasLtMatmulPreference_t pref = NULL;
	cublasLtMatmulHeuristicResult_t algo;
	int nalgo = 0, rc;

	memset(&algo, 0, sizeof algo);
	rc = pc_blas(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32I, CUDA_R_32I),
	             "cublasLtMatmulDescCreate");
	if (!rc)
		rc = pc_blas(cublasLtMatmulDescSetAttribute(op,
		             CUBLASLT_MATMUL_DESC_TRANSA, &opt, sizeof opt),
		             "setting transa");
	if (!rc)
		rc = pc_blas(cublasLtMatmulDescSetAttribute(op,
		             CUBLASLT_MATMUL_DESC_TRANSB, &opn, sizeof opn),
		             "setting transb");
	/* Both inputs are stored N x N with leading dimension N, and so is D. */
	if (!rc)
		rc = pc_blas(cublasLtMatrixLayoutCreate(&l8, CUDA_R_8I, n, n,
		             (int64_t)n), "cublasLtMatrixLayoutCreate (int8)");
	if (!rc)
		rc = pc_blas(cublasLtMatrixLayoutCreate(&l32, CUDA_R_32I, n, n,
		             (int64_t)n), "cublasLtMatrixLayoutCreate (int32)");
	if (!rc)
		rc = pc_blas(cublasLtMatmulPreferenceCreate(&pref),
		             "cublasLtMatmulPreferenceCreate");
	if (!rc)
		rc = pc_blas(cublasLtMatmulPreferenceSetAttribute(pref,
		             CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &wsz,
		             sizeof wsz), "setting the workspace size");
	if (!rc)
		rc = pc_blas(cublasLtMatmulAlgoGetHeuristic(lt, op, l8, l8, l32,
		             l32, pref, 1, &algo, &nalgo),
		             "cublasLtMatmulAlgoGetHeuristic");
	if (!rc && nalgo < 1)
		rc = pc_blas(CUBLAS_STATUS_NOT_SUPPORTED,
		             "finding an int8 matmul algorithm");
	if (!rc)
		rc = pc_blas(cublasLtMatmul(lt, op, &one, b, l8, a, l8, &zero,
		             c, l32, c, l32, &algo.algo, ws, PC_WORKSPACE, 0),
		             "cublasLtMatmul");
	if (pref)
		cublasLtMatmulPreferenceDestroy(pref);
	if (l32)
		cublasLtMatrixLayoutDestroy(l32);
	if (l8)
		cublasLtMatrixLayoutDestroy(l8);
	if (op)
		cublasLtMatmulDescDestroy(op);
	return rc;
}

/*
 * Spot checks against the host's reference code (gpukernel.h, and
 * OpenSSL through proof.h): for PC_SPOT entries of C (the corners and a
 * walk), the entry against a dot product, its leaf's hash, and every node
 * on the leaf's path to the root.  A wrong layout, a faulty library or a
 * device hashing bug would otherwise surface only as a refused proof,
 * that is a slash.  tree is the host copy.
 */
static int pc_spot_check(const struct pc_key *key, const int32_t *dc,
                         uint64_t n, const uint8_t *tree)
{
	uint64_t leaves = n * n / EMBER_PROOF_LEAF_ENTRIES;
	int8_t *row = (int8_t *)malloc(2 * n), *col = row + n;
	const char *bad = NULL;
	int rc = 0;

	if (!row)
		return EMBER_ENOMEM;
	for (uint64_t s = 0; s < PC_SPOT && !rc && !bad; s++) {
		uint64_t i = s < 4 ? (s & 1) * (n - 1) : (s * 37 + 5) % n;
		uint64_t j = s < 4 ? (s >> 1) * (n - 1) : (s * 91 + 11) % n;
		uint64_t e = i * n + j, l = e / EMBER_PROOF_LEAF_ENTRIES;
		uint8_t leaf[EMBER_PROOF_LEAF], h[EMBER_PROOF_NODE];
		const uint8_t *v;
		int32_t want;

		ek_gen(key->w, EK_STREAM_A, i * n, (uint32_t)n, row);
		ek_gen(key->w, EK_STREAM_B, j * n, (uint32_t)n, col);
		want = ek_dot(row, col, (uint32_t)n);
		rc = pc_cuda(cudaMemcpy(leaf, dc + l * EMBER_PROOF_LEAF_ENTRIES,
		             sizeof leaf, cudaMemcpyDeviceToHost), "reading C");
		if (rc)
			break;
		v = leaf + 4 * (e % EMBER_PROOF_LEAF_ENTRIES);
		if ((uint32_t)want != ((uint32_t)v[0] | (uint32_t)v[1] << 8 |
		                       (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24)) {
			bad = "an entry of C";
			break;
		}
		ember_proof_leaf_hash(leaf, h);
		if (memcmp(h, tree + (leaves + l) * EMBER_PROOF_NODE, sizeof h)) {
			bad = "a leaf hash";
			break;
		}
		for (uint64_t x = (leaves + l) / 2; x >= 1 && !bad; x /= 2) {
			ember_proof_node_hash(tree + 2 * x * EMBER_PROOF_NODE,
			                      tree + (2 * x + 1) * EMBER_PROOF_NODE, h);
			if (memcmp(h, tree + x * EMBER_PROOF_NODE, sizeof h))
				bad = "a node hash";
		}
		if (bad)
			break;
	}
	free(row);
	if (bad) {
		fprintf(stderr, "cuda back end: %s differs from the cpu's "
		        "(N=%llu); refusing the tree\n", bad, (unsigned long long)n);
		rc = EMBER_EINTERNAL;
	}
	return rc;
}

static int pc_n_ok(uint32_t n)
{
	return n >= EMBER_PROOF_N_MIN && n <= EMBER_PROOF_N_MAX &&
	       (n & (n - 1)) == 0;
}

extern "C" int ember_prover_cuda_available(char *why, size_t whylen)
{
	struct cudaDeviceProp prop;
	struct cudaFuncAttributes fa;
	int count = 0, dev = 0;
	cudaError_t e = cudaGetDeviceCount(&count);

	if (e != cudaSuccess) {
		ember_errf(why, whylen, "no usable CUDA device: %s",
		           cudaGetErrorString(e));
		return 0;
	}
	if (count < 1) {
		ember_errf(why, whylen, "no CUDA device");
		return 0;
	}
	e = cudaGetDevice(&dev);
	if (e == cudaSuccess)
		e = cudaGetDeviceProperties(&prop, dev);
	/* Fails with "no kernel image" when this build lacks the device's arch. */
	if (e == cudaSuccess)
		e = cudaFuncGetAttributes(&fa, (const void *)pc_pow);
	if (e != cudaSuccess) {
		ember_errf(why, whylen, "CUDA device %d unusable: %s", dev,
		           cudaGetErrorString(e));
		return 0;
	}
	ember_errf(why, whylen, "CUDA device %d: %s (compute %d.%d, %zu MiB)",
	           dev, prop.name, prop.major, prop.minor,
	           (size_t)(prop.totalGlobalMem >> 20));
	return 1;
}

extern "C" int ember_prover_cuda_tree(const struct ember_challenge *c,
                                      uint8_t *tree)
{
	struct pc_key key;
	cublasLtHandle_t lt = NULL;
	int8_t *da = NULL, *db = NULL;
	int32_t *dc = NULL;
	uint8_t *dt = NULL;
	void *ws = NULL;
	uint64_t n, nn, leaves;
	int rc;

	if (!c || !tree || !pc_n_ok(c->n))
		return EMBER_EINVAL;
	n = c->n;
	nn = n * n;
	leaves = nn / EMBER_PROOF_LEAF_ENTRIES;
	if (leaves > SIZE_MAX / (2 * EMBER_PROOF_NODE))
		return EMBER_ENOMEM;
	ek_key(c->seed, key.w);

	rc = pc_cuda(cudaMalloc((void **)&da, nn), "allocating A");
	if (!rc)
		rc = pc_cuda(cudaMalloc((void **)&db, nn), "allocating B");
	if (!rc)
		rc = pc_cuda(cudaMalloc((void **)&dc, nn * sizeof *dc),
		             "allocating C");
	if (!rc)
		rc = pc_cuda(cudaMalloc(&ws, PC_WORKSPACE),
		             "allocating the cuBLASLt workspace");
	if (rc)
		goto out;

	pc_gen<<<pc_grid(nn / EK_BLOCK), PC_THREADS>>>(key, EK_STREAM_A,
	                                                nn / EK_BLOCK, da);
	rc = pc_launched("generating A");
	if (!rc) {
		pc_gen<<<pc_grid(nn / EK_BLOCK), PC_THREADS>>>(key, EK_STREAM_B,
		                                                nn / EK_BLOCK, db);
		rc = pc_launched("generating B");
	}
	if (!rc)
		rc = pc_blas(cublasLtCreate(&lt), "cublasLtCreate");
	if (!rc)
		rc = pc_gemm(lt, da, db, dc, n, ws);
	if (!rc)
		rc = pc_cuda(cudaDeviceSynchronize(), "C = A x B");
	if (rc)
		goto out;
	cudaFree(da);
	cudaFree(db);
	cudaFree(ws);
	da = db = NULL;
	ws = NULL;

	rc = pc_cuda(cudaMalloc((void **)&dt, 2 * leaves * EMBER_PROOF_NODE),
	             "allocating the tree");
	if (rc)
		goto out;
	pc_leaves<<<pc_grid(leaves), PC_THREADS>>>(dc, leaves, dt);
	rc = pc_launched("hashing the leaves");
	for (uint64_t lo = leaves / 2; lo >= 1 && !rc; lo /= 2) {
		pc_level<<<pc_grid(lo), PC_THREADS>>>(dt, lo);
		rc = pc_launched("hashing a tree level");
	}
	/* Node 0 is unused: the caller's bytes stay, as on the CPU. */
	if (!rc)
		rc = pc_cuda(cudaMemcpy(tree + EMBER_PROOF_NODE,
		             dt + EMBER_PROOF_NODE,
		             (2 * leaves - 1) * EMBER_PROOF_NODE,
		             cudaMemcpyDeviceToHost), "copying the tree");
	if (!rc)
		rc = pc_spot_check(&key, dc, n, tree);
out:
	if (lt)
		cublasLtDestroy(lt);
	cudaFree(dt);
	cudaFree(ws);
	cudaFree(dc);
	cudaFree(db);
	cudaFree(da);
	return rc;
}

extern "C" int ember_prover_cuda_pow(const struct ember_challenge *c,
                                     const uint8_t root[EMBER_PROOF_NODE],
                                     uint32_t pow_bits, uint64_t *nonce,
                                     uint64_t *tries)
{
	struct sd_tagged60 p;
	uint8_t head[52], t[32];
	unsigned long long *dfound = NULL, found = PC_NONE;
	uint64_t base, tried = 0;
	int rc;

	/* As the CPU: beyond 64 bits the search outlasts the nonce space. */
	if (!c || !root || !nonce || pow_bits > 64)
		return EMBER_EINVAL;
	memcpy(head, c->seed, 32);
	memcpy(head + 32, root, EMBER_PROOF_NODE);
	sd_tagged60_init(&p, (const uint8_t *)EMBER_PROOF_POW_TAG,
	                 strlen(EMBER_PROOF_POW_TAG), head);

	rc = pc_cuda(cudaMalloc((void **)&dfound, sizeof *dfound),
	             "allocating the grinding result");
	if (!rc)
		rc = pc_cuda(cudaMemcpy(dfound, &found, sizeof found,
		             cudaMemcpyHostToDevice), "setting the grinding result");
	/*
	 * Batches in increasing order; within one, atomicMin keeps the
	 * smallest.  Every nonce below the answer is tried, so it is the
	 * CPU's first valid nonce.  The loop stops short of 2^64 like the
	 * CPU's, never in practice.
	 */
	for (base = 0; !rc && found == PC_NONE &&
	     base <= PC_NONE - PC_POW_BATCH; base += PC_POW_BATCH) {
		pc_pow<<<(unsigned)(PC_POW_BATCH / PC_THREADS), PC_THREADS>>>(
			p, base, pow_bits, dfound);
		rc = pc_launched("grinding");
		if (!rc)
			rc = pc_cuda(cudaMemcpy(&found, dfound, sizeof found,
			             cudaMemcpyDeviceToHost), "grinding");
		tried += PC_POW_BATCH;
	}
	cudaFree(dfound);
	if (tries)
		*tries = tried;
	if (rc)
		return rc;
	if (found == PC_NONE)
		return EMBER_EINVAL;  /* no valid nonce below 2^64 */
	/* The answer against OpenSSL, as for the tree. */
	ember_proof_pow_hash(c, root, found, t);
	if (!ember_proof_pow_ok(t, pow_bits)) {
		fprintf(stderr, "cuda back end: nonce %llu lacks %u pow bits on "
		        "the cpu; refusing it\n", found, pow_bits);
		return EMBER_EINTERNAL;
	}
	*nonce = found;
	return 0;
}
