/*
 * proof.h - GPU proof of compute (gpu_proofs/): challenges, the commitment,
 * the proof format, the verifier, and the prover's front end with its CPU
 * and CUDA back ends.  Parameters and the security arithmetic are in
 * docs/proofs.md; the kernel math (PRNG, elements, dot product) is in
 * gpukernel.h, shared by C and CUDA.
 *
 * Challenge.  For epoch e every active provider registered by block e*E
 * (E = epoch_blocks) is challenged with
 *     seed = tagged_hash("ember/challenge", H || provider || le64 e)
 * where H is the hash of block e*E (the block that ends epoch e-1; the
 * genesis block for e = 0), so nobody knows it before that block exists.
 * N is challenge_n of the provider's GPU class (a power of two).  The
 * proof is due in a block at height e*E+1 .. e*E + challenge_deadline_blocks.
 *
 * Commitment.  C = A x B (gpukernel.h) is cut into leaves of 8 consecutive
 * entries of a row: leaf l holds C[i][8m .. 8m+7] with l = i*(N/8) + m,
 * serialised as 8 x le32 (32 bytes).  L = N*N/8 leaves, a power of two, in
 * a complete binary tree.  Node hashes are 20 bytes (SHA-256 truncated;
 * docs/proofs.md: binding needs collision resistance only for the deadline
 * window, and 2^80 is far out of reach, while 20 bytes keep a proof under
 * 128 KiB):
 *     leaf hash = SHA-256(0x00 || 32-byte leaf)[0..20)
 *     node hash = SHA-256(0x01 || left 20 || right 20)[0..20)
 * Heap layout: node 1 is the root, node x has children 2x and 2x+1, leaf l
 * is node L + l.  A tree buffer holds 2L nodes of 20 bytes (node 0 unused).
 *
 * Fiat-Shamir with a grinding cost.  The prover searches a nonce with
 *     t = tagged_hash("ember/proof-pow", seed || root || le64 nonce)
 * having at least pow_bits leading zero bits (bit 7 of t[0] first); then
 * for o = 0 .. k-1 the opened entry is
 *     p_o = le64(SHA-256(t || le32 o)[0..8)) mod N*N     (N*N a power of 2)
 * i.e. row p_o / N, column p_o % N.  Positions may repeat.
 *
 * Proof body (what the proof tx carries after its epoch):
 *     20 root || u64 nonce (le) ||
 *     leaves: for each distinct leaf holding an opened entry, in ascending
 *             leaf order, its 32 bytes ||
 *     nodes:  the multiproof, 20 bytes each, in canonical order:
 *             S = sorted distinct heap indices of those leaves;
 *             for each level (leaves first) and each x in S ascending:
 *               if x is even and x+1 is in S, the pair is known;
 *               else if x is odd and x-1 is in S, skip (already paired);
 *               else the next node of the proof is the hash of x ^ 1;
 *             then S = { x / 2 }, until S = { 1 }.
 * There is no count field: the verifier knows k, N and so every length.
 *
 * Verification (O(k N)): recompute t from the root and nonce, check the
 * pow bits, derive the positions, recompute each opened entry from the
 * seed (a row of A, a column of B, one dot product) and compare it with
 * its leaf, hash the leaves, fold the multiproof and compare the root.
 */
#ifndef EMBER_PROOF_H
#define EMBER_PROOF_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define EMBER_PROOF_NODE 20
#define EMBER_PROOF_LEAF_ENTRIES 8
#define EMBER_PROOF_LEAF 32
#define EMBER_CHALLENGE_TAG "ember/challenge"
#define EMBER_PROOF_POW_TAG "ember/proof-pow"
#define EMBER_PROOF_N_MIN 64
#define EMBER_PROOF_N_MAX 65536

struct ember_challenge {
	uint8_t seed[32];
	uint8_t provider[32];
	uint64_t epoch;
	uint32_t n;                     /* matrix size, power of two */
};

/* Derive a challenge (see above).  epoch_hash is H. */
void ember_challenge_derive(struct ember_challenge *c,
                            const uint8_t epoch_hash[32],
                            const uint8_t provider[32], uint64_t epoch,
                            uint32_t n);

void ember_proof_leaf_hash(const uint8_t leaf[EMBER_PROOF_LEAF],
                           uint8_t out[EMBER_PROOF_NODE]);
void ember_proof_node_hash(const uint8_t left[EMBER_PROOF_NODE],
                           const uint8_t right[EMBER_PROOF_NODE],
                           uint8_t out[EMBER_PROOF_NODE]);

/* t for a root and nonce; and whether t has >= bits leading zero bits. */
void ember_proof_pow_hash(const struct ember_challenge *c,
                          const uint8_t root[EMBER_PROOF_NODE], uint64_t nonce,
                          uint8_t t[32]);
int ember_proof_pow_ok(const uint8_t t[32], uint32_t bits);
/* The k opened entry indices (row * N + column) for t. */
void ember_proof_positions(const uint8_t t[32], uint32_t n, uint32_t k,
                           uint64_t *pos);

/*
 * Size in bytes of the body for these positions (root, nonce, the
 * distinct leaves and the multiproof nodes).  Returns 0 on bad arguments
 * or when scratch allocation fails.
 */
size_t ember_proof_body_size(uint32_t n, const uint64_t *pos, uint32_t k);

/* A proof body may not exceed this (a proof tx stays under 128 KiB). */
#define EMBER_PROOF_BODY_MAX (128 * 1024 - 256)

/*
 * Verify a proof body for challenge c with k openings and pow_bits.  On a
 * refusal why (may be NULL) says what is wrong, e.g. "entry (12, 40): proof
 * says 1234, A x B gives 1236".  Pure: no state, no clock.
 * Returns: 0, EMBER_PROOF_FORMAT (size or layout), EMBER_PROOF_POW,
 * EMBER_PROOF_ENTRY, EMBER_PROOF_ROOT, EMBER_EINVAL (bad c, k, N, or
 * pow_bits > 256), EMBER_ENOMEM.  Neither k nor pow_bits is inside t: a
 * proof ground for more bits also passes fewer, which only means the
 * prover did more work; chains fix both in genesis.  The keystream comes
 * from libsodium's vectorised ChaCha20, identical by spec to gpukernel.h's
 * (the tests hold them to each other).
 */
EMBER_WUR int ember_proof_verify(const struct ember_challenge *c, uint32_t k,
                                 uint32_t pow_bits, const uint8_t *body,
                                 size_t len, char *why, size_t whylen);

/* --- the prover --------------------------------------------------------- */

enum ember_backend { EMBER_BACKEND_CPU = 1, EMBER_BACKEND_CUDA = 2 };

struct ember_prove_stats {
	double gemm_s;          /* C = A x B and its leaf hashes (CUDA: the
	                         * whole tree) */
	double tree_s;          /* the rest of the Merkle tree (CUDA: 0) */
	double pow_s;           /* the grinding search */
	double open_s;          /* positions, leaves, multiproof */
	double total_s;
	uint64_t pow_tries;     /* hashes computed; only the nonce is
	                         * deterministic, this varies with threads */
};

/*
 * CPU back end: compute C and fill tree (2 * N*N/8 nodes of 20 bytes, heap
 * layout) with its Merkle tree, on `threads` threads (0: every online CPU).
 * corrupt_ppm > 0 makes a cheating prover for tests: entry e of C is
 * replaced by C + 1 when le32(SHA-256(le64 cheat_seed || le64 e)[0..4)) %
 * 1,000,000 < corrupt_ppm, i.e. about corrupt_ppm parts per million of the
 * entries are wrong (a prover that skipped them and guessed).
 * Returns: 0, EMBER_EINVAL, EMBER_ENOMEM.
 */
EMBER_WUR int ember_prover_cpu_tree(const struct ember_challenge *c,
                                    unsigned threads, uint32_t corrupt_ppm,
                                    uint64_t cheat_seed, uint8_t *tree);
/* The corruption rule above, shared by the prover and the tests. */
int ember_proof_corrupted(uint64_t cheat_seed, uint64_t entry,
                          uint32_t corrupt_ppm);

/* Grinding search on the CPU: the first nonce >= 0 whose t has pow_bits
 * leading zeros.  *tries gets the nonces tried.  Returns: 0, EMBER_EINVAL. */
EMBER_WUR int ember_prover_cpu_pow(const struct ember_challenge *c,
                                   const uint8_t root[EMBER_PROOF_NODE],
                                   uint32_t pow_bits, unsigned threads,
                                   uint64_t *nonce, uint64_t *tries);

/*
 * CUDA back end (gpu_proofs/prover_cuda.cu; built when nvcc is found).
 * Same contracts as the CPU functions, bit for bit.  Without CUDA support
 * compiled in, or without a device, they return EMBER_PROOF_NO_CUDA and
 * ember_prover_cuda_available() returns 0 with why set.
 */
int ember_prover_cuda_available(char *why, size_t whylen);
EMBER_WUR int ember_prover_cuda_tree(const struct ember_challenge *c,
                                     uint8_t *tree);
EMBER_WUR int ember_prover_cuda_pow(const struct ember_challenge *c,
                                    const uint8_t root[EMBER_PROOF_NODE],
                                    uint32_t pow_bits, uint64_t *nonce,
                                    uint64_t *tries);

/*
 * A whole proof: the tree on the back end, the grinding search, the
 * positions, the opened leaves (read from C's recomputation on the CPU: 8
 * dot products per leaf) and the multiproof.  *body is malloc'd (free()).
 * corrupt_ppm/cheat_seed as for ember_prover_cpu_tree (CPU back end only;
 * 0 for an honest proof).  stats may be NULL.
 * Returns: 0, EMBER_EINVAL, EMBER_ENOMEM, EMBER_PROOF_NO_CUDA,
 * EMBER_PROOF_FORMAT (the body would exceed EMBER_PROOF_BODY_MAX).
 */
EMBER_WUR int ember_prove(enum ember_backend be, const struct ember_challenge *c,
                          uint32_t k, uint32_t pow_bits, unsigned threads,
                          uint32_t corrupt_ppm, uint64_t cheat_seed,
                          uint8_t **body, size_t *len,
                          struct ember_prove_stats *stats);

/* The root inside a body (its first 20 bytes); EMBER_PROOF_FORMAT if short. */
EMBER_WUR int ember_proof_root(const uint8_t *body, size_t len,
                               uint8_t root[EMBER_PROOF_NODE]);

#endif
