/*
 * bench.h - shared pieces of ember-bench: options, the results every
 * benchmark fills for the summary, a pre-signed transfer workload, and small
 * helpers (monotonic clock, temp directories, CPU count).
 *
 * Each benchmark is one function with the shape of bench_fn: it prints its
 * own lines, stores its figures in struct bench_results, and returns 0, or
 * -1 after printing what broke.  Timing is CLOCK_MONOTONIC throughout; no
 * figure is asserted, only correctness (every signature checks, every tx
 * commits).
 */
#ifndef EMBER_BENCH_H
#define EMBER_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "ember/genesis.h"
#include "ember/key.h"
#include "ember/tx.h"

#define BENCH_CHAIN_ID "ember-bench"
#define BENCH_MIN_FEE 1000
#define BENCH_FEE 1000
#define BENCH_BALANCE (1000000ULL * 1000000000ULL)  /* 1M EMB per account */
#define BENCH_ENC_MAX 256        /* a transfer encodes to 166 bytes */

struct bench_opts {
	int quick;                   /* shorter runs, smaller workloads */
	size_t txs;                  /* 0: default per benchmark */
	const char *argv0;
	unsigned ncpu;               /* online CPUs */
};

struct bench_results {
	/* (a) verify */
	int have_verify;
	double verify_core;          /* raw BIP-340 verifies/s, one thread */
	double txverify_core;        /* ember_tx_verify (sighash + verify) /s */
	double verify_all;           /* raw, ncpu threads together */
	double txverify_all;
	unsigned verify_threads;
	/* (c) apply */
	int have_apply;
	double apply_tps;            /* txs/s over every produce call */
	double apply_ms_block;       /* mean ms per full block */
	size_t apply_block_txs;
	double apply_1k_ms;          /* one block of 1000 transfers */
	/* (b) tps */
	int have_tps;
	double tps;
	size_t tps_txs;
	double tps_secs;
	/* market: 1,000-transfer block, few vs many open leases */
	int have_market;
	size_t market_leases;
	double market_few_ms, market_many_ms;          /* bench temp dir */
	int have_market_tmpfs;
	double market_few_tmpfs_ms, market_many_tmpfs_ms;  /* /dev/shm */
	/* epoch: the boundary block */
	int have_epoch;
	size_t epoch_providers, epoch_leases;
	double epoch_ms, epoch_base_ms;
	/* proof: the GPU proof's verifier against its prover */
	int have_proof;
	uint32_t proof_n;            /* the largest class's N */
	double proof_ratio;          /* verifier / prover int8 ops at proof_n */
	double proof_verify_ms;      /* per proof on one core at proof_n */
	int proof_verify_forged;     /* 1: on a made-up body (no proof built) */
	size_t proof_body;           /* body bytes at proof_n */
	uint32_t proof_gops_n;       /* N of the CPU prover figure */
	double proof_gops;           /* CPU prover gemm, proof_threads threads */
	unsigned proof_threads;
	uint32_t proof_base_n;       /* N of the one-thread comparison */
	double proof_gops_1;         /* CPU prover gemm, one thread */
	double proof_naive_gops;     /* plain i-j-k loop, one thread */
	double proof_cuda_tops;      /* CUDA prover at proof_n; 0: none */
};

struct bench_ctx {
	const struct bench_opts *opt;
	struct bench_results *res;
};

typedef int (*bench_fn)(struct bench_ctx *bc);

int bench_verify(struct bench_ctx *bc);
int bench_apply(struct bench_ctx *bc);
int bench_tps(struct bench_ctx *bc);
int bench_market(struct bench_ctx *bc);
int bench_epoch(struct bench_ctx *bc);
int bench_proof(struct bench_ctx *bc);
/* One-thread raw verify rate only, for a tps run without the verify
 * benchmark: the ratio is always against a bound measured in this run. */
int bench_verify_bound(struct bench_ctx *bc, double secs);

/*
 * A workload: naccts funded accounts and ntx signed transfers among them.
 * Tx i is sent by account i % naccts with nonce i / naccts, so the txs in
 * index order are gap-free per sender, and any run of naccts consecutive
 * txs holds at most one tx per sender.  Recipients are random accounts
 * other than the sender; amounts vary a little so txids are all distinct.
 */
struct bench_load {
	size_t naccts;
	struct ember_keypair *keys;          /* naccts */
	size_t ntx;
	struct ember_tx *txs;                /* ntx, signed */
	uint8_t (*enc)[BENCH_ENC_MAX];       /* ntx encodings */
	size_t *enclen;
	uint8_t (*txid)[32];
};

/* Generate keys and sign (on nthreads threads).  Returns 0 or -1 (printed).
 * Release with bench_load_release() either way. */
int bench_load_new(struct bench_load *l, size_t naccts, size_t ntx,
                   unsigned nthreads);
void bench_load_release(struct bench_load *l);
/* Number of txs account s sends in l. */
size_t bench_load_count(const struct bench_load *l, size_t s);

/* Genesis for l: every account funded with BENCH_BALANCE, val the single
 * validator.  Finished (hash set); release with ember_genesis_release().
 * Returns 0 or -1 (printed). */
int bench_genesis(struct ember_genesis *g, const struct bench_load *l,
                  const uint8_t val[32], uint64_t genesis_time_ms,
                  uint64_t block_time_ms);

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);
/* Unix time in ms (CLOCK_REALTIME), for genesis and block stamps only. */
uint64_t bench_wall_ms(void);
unsigned bench_ncpu(void);
uint64_t bench_rand(uint64_t *state);

/* mkdtemp under $TMPDIR (or /tmp); out gets the path.  Returns 0 or -1. */
int bench_tmpdir(char *out, size_t cap, const char *tag);
/* rm -r dir (no symlinks followed).  Returns 0 or -1. */
int bench_rmtree(const char *dir);

/* Prints "ember-bench: <message>" on stderr and returns -1. */
int bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
