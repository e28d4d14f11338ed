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
#include <sys/types.h>

#include "ember/genesis.h"
#include "ember/key.h"
#include "ember/rpcclient.h"
#include "ember/tx.h"

#define BENCH_CHAIN_ID "ember-bench"
#define BENCH_MIN_FEE 1000
#define BENCH_FEE 1000
#define BENCH_BALANCE (1000000ULL * 1000000000ULL)  /* 1M EMB per account */
#define BENCH_ENC_MAX 256        /* a transfer encodes to 166 bytes */

struct bench_opts {
	int quick;                   /* shorter runs, smaller workloads */
	int full;                    /* state: 10,000,000 accounts too */
	size_t txs;                  /* 0: default per benchmark */
	const char *argv0;
	unsigned ncpu;               /* online CPUs */
};

/* state: one row of the apply rate against the ledger's size; index k of
 * tps and mib is the block size (0: 1,000 txs, 1: 10,000). */
#define BENCH_STATE_ROWS 6
struct bench_state_row {
	size_t accts;
	uint64_t history;            /* txs applied before the timed part */
	double setup_s;              /* accounts and history, not timed */
	double tps[2];               /* median repetition */
	double mib[2];               /* written per block; -1: unknown */
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
	/* sync: a full node catching up over P2P, and tps through it */
	int have_sync;
	size_t sync_txs;
	double sync_tps;             /* catch-up txs/s, from the full node's spawn */
	double sync_blocks_s;
	double sync_replay_tps;      /* cons_apply_block in process, same blocks */
	double sync_p2p_tps;         /* sent to the full node, committed on the validator */
	double sync_rpc_tps;         /* sent to the validator directly */
	/* prop: a 1,000-tx block to the 3rd hop */
	int have_prop;
	double prop_p50, prop_p99, prop_hop1_p50;   /* ms */
	/* bft: four validators over P2P */
	int have_bft;
	double bft_p50_ms, bft_p99_ms, bft_load_p50_ms, bft_load_p99_ms, bft_tps;
	double tps_cpu_per_tx;             /* the lone node's CPU-s per tx; 0 unknown */
	double bft_cpu_per_tx;             /* a validator's, mean of the four */
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
	/* state: rows[0] is the base (2,000 accounts), the last the history row */
	int have_state;
	size_t state_nrows;
	struct bench_state_row state_rows[BENCH_STATE_ROWS];
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
int bench_sync(struct bench_ctx *bc);
int bench_prop(struct bench_ctx *bc);
int bench_bft(struct bench_ctx *bc);
int bench_state(struct bench_ctx *bc);
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

/* --- emberd processes and JSON-RPC clients (bench_tps, bench_sync) ------- */

#define BENCH_START_S 60          /* node start-up limit */
#define BENCH_SPAWN_EXTRA 12      /* extra emberd arguments at most */

struct bench_node {
	pid_t pid;
	char dir[512];
	char log[600];
	int have_dir;
};

/* A pre-built JSON-RPC batch of sendtx calls; the id of a call is its tx
 * index in the client's load. */
struct bench_batch {
	char *body;
	size_t len;
	size_t n;                     /* calls in it */
};

struct bench_client {
	const struct ember_rpc_client *rpc;
	const struct bench_load *l;   /* the id of a sendtx call is its tx index */
	struct bench_batch *b;
	size_t nb;
	/* results */
	size_t ok, errors;
	char first_err[320];
	int transport;                /* a post failed; first_err says why */
	double done;                  /* bench_now() when the last answer came */
	double rtt_max, rtt_sum;
	int started;
};

/* bin/emberd next to this program into out.  Returns 0 or -1 (printed). */
int bench_find_emberd(const char *argv0, char *out, size_t cap);
/* A port free on 127.0.0.1 right now.  Returns 0 or -1 (printed). */
int bench_free_port(unsigned *port);
/* validator_key.json (empty passphrase) and genesis.json into dir.
 * Returns 0 or -1 (printed). */
int bench_write_datadir(const char *dir, const struct ember_genesis *g,
                        const struct ember_keypair *val);
/* Start emberd --datadir nd->dir --rpc-listen 127.0.0.1:port --quiet
 * EXTRA..., output to nd->dir/node.log; extra is NULL-terminated (or NULL),
 * at most BENCH_SPAWN_EXTRA strings.  Returns 0 or -1 (printed). */
int bench_node_spawn(struct bench_node *nd, const char *emberd, unsigned port,
                     const char *const *extra);
/* SIGTERM, then wait (SIGKILL after 20 s).  Returns 0 on a clean exit or
 * when nothing runs, -1 otherwise (printed). */
int bench_node_stop(struct bench_node *nd);
/* The P2P port from the node's "p2p on port N" log line, waiting for it
 * (BENCH_START_S at most).  Returns 0 or -1 (printed). */
int bench_node_p2p_port(const struct bench_node *nd, unsigned *port);
/* The log's last 4 KiB on stderr. */
void bench_node_log_tail(const struct bench_node *nd);
/* Wait until the node answers getstatus for g; *h0 gets its height.
 * Returns 0 or -1 (printed). */
int bench_node_wait_ready(struct bench_node *nd, const struct ember_rpc_client *rpc,
                          const struct ember_genesis *g, uint64_t *h0);
/* Sum the node's "block H ... exec X ms commit Y ms" log lines for heights
 * in (h0, h1]. */
void bench_node_blocklog(const struct bench_node *nd, uint64_t h0, uint64_t h1,
                         unsigned *blocks, double *exec_ms, double *commit_ms,
                         double *max_ms);
/* getstatus: *height and *mempool get their values; *out (if out) the whole
 * answer, the caller's to json_decref.  Returns 0 or an ember code, err
 * filled. */
int bench_status(const struct ember_rpc_client *rpc, uint64_t *height,
                 uint64_t *mempool, json_t **out, char *err, size_t errlen);
/* CPU seconds of a process (tid 0) or one of its threads; -1 if unknown. */
double bench_proc_cpu(pid_t pid, pid_t tid);
double bench_self_cpu(void);

/* Batches for senders [lo, hi) of l: nonce round k of those senders, batch
 * senders at a time, so a batch holds at most one tx per sender.  Release
 * each c->b[i].body and c->b.  Returns 0 or -1 (out of memory). */
int bench_client_build(struct bench_client *c, const struct bench_load *l,
                       size_t lo, size_t hi, size_t batch);
/* Thread body: post c's batches in order, each after the last was answered,
 * tallying txids and errors into c. */
void *bench_client_thread(void *arg);
/* Senders of l whose committed nonce (getaccount) is not their tx count;
 * first describes the first.  Returns that count, or -1 (printed). */
long bench_check_nonces(const struct ember_rpc_client *rpc,
                        const struct bench_load *l, char *first,
                        size_t firstcap);

/* Prints "ember-bench: <message>" on stderr and returns -1. */
int bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* v with thousands separators ("1,000,000"), in buf; returns buf. */
const char *bench_num(uint64_t v, char buf[32]);

#endif
