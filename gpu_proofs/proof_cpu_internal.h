/*
 * proof_cpu_internal.h - what ember_prove (proof.c) needs from the CPU
 * back end (prover_cpu.c) beyond proof.h: the tree with its two phases
 * timed apart.  On the CPU each leaf is hashed as soon as its 8 entries
 * exist, so C is never stored whole and "gemm" includes the leaf hashes;
 * "tree" is the inner levels.
 */
#ifndef EMBER_PROOF_CPU_INTERNAL_H
#define EMBER_PROOF_CPU_INTERNAL_H

#include <stdint.h>
#include "ember/proof.h"

/*
 * ember_prover_cpu_tree with wall times: *gemm_s gets the generation of
 * A and B, C = A x B and the leaf hashes, *tree_s the inner levels (either
 * may be NULL).  Returns: as ember_prover_cpu_tree.
 */
EMBER_WUR int proof_cpu_tree_timed(const struct ember_challenge *c,
                                   unsigned threads, uint32_t corrupt_ppm,
                                   uint64_t cheat_seed, uint8_t *tree,
                                   double *gemm_s, double *tree_s);

/* Seconds on CLOCK_MONOTONIC, for the stats. */
double proof_now(void);

/* Threads to use for a `threads` argument (0: every online CPU). */
unsigned proof_threads(unsigned threads);

/* 1 when n is a power of two in [EMBER_PROOF_N_MIN, EMBER_PROOF_N_MAX]. */
int proof_n_ok(uint32_t n);

#endif
