/*
 * tok.h - the state-transition function (tokenomics/).
 *
 * Pure and deterministic: reads and writes consensus state only through
 * struct ember_state (so every change lands in the state root); no sockets,
 * no threads, no clock, no floating point.
 *
 * Contract for every tx kind: check everything first, then write.  A tx
 * that fails changes nothing, so a proposer can skip it and carry on in the
 * same LMDB transaction without nested transactions.
 *
 * Fees are collected per block and credited to the proposer once, at
 * tok_block_end(), so a block of N transfers does not rewrite the proposer's
 * account N times.  Total supply lives in state (meta key "supply") and is
 * changed only by minting or burning (none yet: transfers and fees move
 * tokens, they never create or destroy them).
 */
#ifndef EMBER_TOK_H
#define EMBER_TOK_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "genesis.h"
#include "state.h"
#include "tx.h"

struct tok_block {
	const struct ember_genesis *g;   /* not owned */
	uint8_t proposer[32];
	uint64_t height;
	uint64_t fees;                   /* collected so far in this block */
	uint32_t applied;                /* txs applied */
};

/* Write the genesis allocations and the supply record.
 * Returns: 0, EMBER_TX_OVERFLOW, store codes. */
EMBER_WUR int tok_genesis(struct ember_state *st, const struct ember_genesis *g);

void tok_block_begin(struct tok_block *b, const struct ember_genesis *g,
                     const uint8_t proposer[32], uint64_t height);

/*
 * Apply one tx whose signature and stateless checks already passed.
 * On refusal nothing is written and why (cap whylen, may be NULL) says
 * what is wrong, e.g. "nonce 7 already used by account 'ember1...'; next is 9".
 * Returns: 0, EMBER_TX_NONCE_USED, EMBER_TX_NONCE_GAP, EMBER_TX_INSUFFICIENT,
 * EMBER_TX_OVERFLOW, EMBER_ENC_KIND, store codes (EMBER_STORE_MAP_FULL).
 */
EMBER_WUR int tok_apply_tx(struct tok_block *b, struct ember_state *st,
                           const struct ember_tx *tx, char *why,
                           size_t whylen);

/* Credit collected fees to the proposer.  Returns: 0 or store codes. */
EMBER_WUR int tok_block_end(struct tok_block *b, struct ember_state *st);

/* Total supply recorded in state.  Returns: 0, EMBER_ENOTFOUND, codes. */
EMBER_WUR int tok_supply(struct ember_txn *t, uint64_t *out);

/*
 * Sum every account balance (O(accounts); tests and audits only) and
 * compare with the recorded supply.  Returns: 1 if they match, 0 if not,
 * negative on a store error.  *sum gets the balance total.
 */
int tok_check_supply(struct ember_txn *t, uint64_t *sum);

#endif
