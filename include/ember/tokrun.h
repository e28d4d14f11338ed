/*
 * tokrun.h - drive the state-transition function (tok.h) over a real LMDB
 * ledger without consensus, networking or signatures: for ember-sim, the
 * benchmarks and the tokenomics tests.  Each block is one write
 * transaction: tok_block_begin, tok_apply_tx per tx, tok_block_end, the
 * state root, commit.  Signatures are not checked (tok_apply_tx assumes the
 * caller did), so drivers may submit unsigned txs built with ember_tx_init.
 *
 * There are no blocks, so there are no block hashes: each block's parent
 * (tok_block_set_parent, which seeds the GPU challenges of an epoch, see
 * proof.h) is the state root after the previous block (the genesis state's
 * root for block 1).  A driver that proves a challenge derives it from
 * tok_epoch_hash(), or for the epoch's first block from
 * tok_runner_root() before that block.
 */
#ifndef EMBER_TOKRUN_H
#define EMBER_TOKRUN_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "genesis.h"
#include "store.h"
#include "tx.h"

struct tok_runner;

/*
 * Open a ledger in directory dir (must exist and be empty) for genesis g
 * (not owned; must outlive the runner) and apply the genesis state
 * (height 0).  mapsize 0: the store default.
 * Returns: 0, EMBER_ENOMEM, store codes, tok_genesis codes.
 */
EMBER_WUR int tok_runner_open(struct tok_runner **out, const char *dir,
                              const struct ember_genesis *g, size_t mapsize);
void tok_runner_close(struct tok_runner *r);

/*
 * Apply one block of n txs at height tip+1 (n may be 0: an empty block,
 * which still runs block-end work such as epoch boundaries).  rcs (may be
 * NULL) gets each tx's result code; whys (may be NULL) each refusal
 * message (EMBER_TOK_WHY_LEN bytes each).  Refused txs are skipped, as a
 * proposer would.  Grows the LMDB map and retries on EMBER_STORE_MAP_FULL.
 * Returns: 0 (even if some txs were refused), or a fatal store code.
 */
#define EMBER_TOK_WHY_LEN 256
EMBER_WUR int tok_runner_block(struct tok_runner *r, const struct ember_tx *txs,
                               size_t n, int *rcs, char (*whys)[EMBER_TOK_WHY_LEN]);

/*
 * A hook run inside every following block, after its txs and before
 * tok_block_end (e.g. to record challenge results with
 * tok_challenge_result, which writes the record a proof tx or the epoch's
 * judgment would, for drivers without a prover).  A non-zero return
 * aborts the block and is returned by tok_runner_block.
 * fn NULL removes the hook.
 */
struct tok_block;
struct ember_state;
typedef int (*tok_runner_hook)(void *ctx, struct tok_block *b,
                               struct ember_state *st);
void tok_runner_set_hook(struct tok_runner *r, tok_runner_hook fn, void *ctx);

/* Height of the last applied block (0 after open). */
uint64_t tok_runner_height(const struct tok_runner *r);
/* Next nonce to use for pub, counting txs applied so far.  Returns 0 on a
 * store error too (a driver's next tx then fails with a nonce error). */
uint64_t tok_runner_nonce(struct tok_runner *r, const uint8_t pub[32]);
/* The store, for read transactions (tok_totals_get, tok_audit, ...). */
struct ember_store *tok_runner_store(struct tok_runner *r);
/* The state root after the last block. */
void tok_runner_root(const struct tok_runner *r, uint8_t out[32]);

#endif
