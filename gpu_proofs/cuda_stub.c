/*
 * cuda_stub.c - the CUDA back end's entry points for builds without it.
 *
 * Always compiled into libember.a.  When nvcc is found, the Makefile links
 * the real back end (prover_cuda.cu) into ember-prover ahead of the
 * library; it defines these three symbols, so the linker never pulls this
 * member in.  That only works while this file defines nothing else: keep
 * it that way.
 */
#include "ember/proof.h"

int ember_prover_cuda_available(char *why, size_t whylen)
{
	ember_errf(why, whylen, "built without CUDA (no nvcc)");
	return 0;
}

int ember_prover_cuda_tree(const struct ember_challenge *c, uint8_t *tree)
{
	(void)c;
	(void)tree;
	return EMBER_PROOF_NO_CUDA;
}

int ember_prover_cuda_pow(const struct ember_challenge *c,
                          const uint8_t root[EMBER_PROOF_NODE],
                          uint32_t pow_bits, uint64_t *nonce, uint64_t *tries)
{
	(void)c;
	(void)root;
	(void)pow_bits;
	(void)nonce;
	(void)tries;
	return EMBER_PROOF_NO_CUDA;
}
