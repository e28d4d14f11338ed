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
 * account N times.
 *
 * Where every token is (the supply invariant, checked by tok_audit()):
 *   supply == genesis + minted - burned
 *   supply == balances + escrow + staked + unbonding + rewards
 * escrow = open orders' deposits + open leases' escrow.  The running sums
 * live in struct tok_totals (meta key "totals"), so reading them is O(1);
 * tok_audit() recomputes every one from the records.
 *
 * Per-block work is O(1) in the number of open leases and orders: leases
 * settle lazily (market.h) when a tx touches them or at an epoch boundary;
 * block end walks only the order-expiry and unbonding queues up to this
 * height.  Epoch boundaries (the end of every block h with h % epoch_blocks
 * == 0) are O(providers + open leases): settle every open lease, set the
 * oracle price, judge challenges and slash, mint the emission and credit
 * rewards.  Epoch e is blocks e*E+1 .. (e+1)*E (tok_epoch_of()).
 */
#ifndef EMBER_TOK_H
#define EMBER_TOK_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "genesis.h"
#include "market.h"
#include "state.h"
#include "tx.h"

/* Running sums and counters (meta key "totals"). */
struct tok_totals {
	uint64_t supply;          /* genesis + minted - burned */
	uint64_t genesis;         /* genesis allocations */
	uint64_t minted, burned;  /* all time */
	uint64_t escrow, staked, unbonding, rewards;
	uint64_t epoch;           /* epoch the *_epoch counters belong to */
	uint64_t minted_epoch, burned_epoch;
	uint64_t slashed_epoch;   /* burned by slashing in this epoch */
	uint64_t emission_next;   /* minted at the next epoch boundary */
	uint64_t open_orders, open_leases, providers_active;
	uint64_t next_order_id, next_lease_id;   /* ids start at 1 */
	uint64_t oracle_uusd;     /* current oracle price, 0 = none */
	uint64_t oracle_epoch;    /* epoch from which oracle_uusd holds */
};
#define TOK_TOTALS_ENC_LEN (1 + 20 * 8)

/*
 * One closed epoch (EMBER_DB_PARAMS, ember_key_epoch()), written by the
 * boundary at the end of its last block: what the epoch did, for the RPC
 * (getsupply with an epoch) and for the node's log line at each boundary
 * (tok_epoch_format).  The challenge counts are the judgment of the
 * active providers: each is in exactly one of passed, failed, missing or
 * none (not challenged, e.g. registered during the epoch, or challenges
 * off).  providers_failed == chal_failed + chal_missing: every one of them
 * was slashed (by slash_fault_bps of its stake, or slash_declared_bps under
 * declared maintenance; nothing when it has no stake) and forfeits the
 * epoch's rewards; those without declared maintenance are jailed (for
 * jail_epochs; none are counted when that is 0).
 */
struct tok_epoch_rec {
	uint64_t epoch;
	uint64_t minted, burned;        /* in this epoch */
	uint64_t emission;              /* scheduled for this epoch */
	uint64_t oracle_uusd;           /* price set for the next epoch; 0 none */
	uint32_t nreports;
	uint64_t work;                  /* eligible GPU-blocks */
	uint32_t providers_rewarded, providers_failed;
	uint64_t slashed;               /* burned by slashing in the epoch (the
	                                 * judgment's and double signs') */
	uint64_t supply;                /* at the end of the epoch */
	uint64_t staked;
	uint32_t chal_passed, chal_failed, chal_missing;
	uint32_t providers_jailed;      /* jailed by the judgment */
};
/* Version 2; a version 1 record (written before the challenge counts
 * existed, 1 + 9 * 8 + 3 * 4 bytes) reads with those counts zero. */
#define TOK_EPOCH_ENC_LEN (1 + 9 * 8 + 7 * 4)

struct tok_block {
	const struct ember_genesis *g;   /* not owned */
	uint8_t proposer[32];
	uint64_t height;
	uint64_t epoch;                  /* tok_epoch_of(g, height) */
	uint64_t fees;                   /* collected so far in this block */
	uint32_t applied;                /* txs applied */
	uint8_t parent[32];              /* hash of block height-1 (challenge
	                                  * seeds); tok_block_set_parent */
	int have_totals;                 /* totals loaded (lazily, first use) */
	struct tok_totals totals;        /* cached; written at tok_block_end */
	/* The signers of the block's last commit (tok_block_set_last_commit):
	 * the genesis validators not among them missed a precommit. */
	const uint8_t (*signers)[32];    /* not owned */
	size_t nsigners;
	int have_last_commit;
};

/* Write the genesis allocations, the totals (oracle and emission from
 * g->params) and nothing else.
 * Returns: 0, EMBER_TX_OVERFLOW, store codes. */
EMBER_WUR int tok_genesis(struct ember_state *st, const struct ember_genesis *g);

void tok_block_begin(struct tok_block *b, const struct ember_genesis *g,
                     const uint8_t proposer[32], uint64_t height);

/*
 * Apply one tx whose signature and stateless checks already passed.
 * On refusal nothing is written and why (cap whylen, may be NULL) says
 * what is wrong, e.g. "nonce 7 already used by account 'ember1...'; next is 9".
 * Returns: 0, EMBER_TX_NONCE_USED, EMBER_TX_NONCE_GAP, EMBER_TX_INSUFFICIENT,
 * EMBER_TX_OVERFLOW, EMBER_ENC_KIND, any EMBER_TOK_* code, store codes
 * (EMBER_STORE_MAP_FULL, EMBER_STORE_LMDB, EMBER_STORE_CORRUPT) and
 * EMBER_ENOMEM.  Callers treat store codes and EMBER_ENOMEM as fatal for
 * the block and every other code as "skip this tx".
 */
EMBER_WUR int tok_apply_tx(struct tok_block *b, struct ember_state *st,
                           const struct ember_tx *tx, char *why,
                           size_t whylen);

/* Credit collected fees to the proposer, expire orders and release
 * unbonding due at this height, run the epoch boundary when this block
 * ends an epoch, and write the totals.
 * Returns: 0, store codes, EMBER_ENOMEM, EMBER_TX_OVERFLOW. */
EMBER_WUR int tok_block_end(struct tok_block *b, struct ember_state *st);

/* The parent block's hash (block height-1).  Block appliers call this
 * after tok_block_begin; the first block of an epoch records it as the
 * epoch's challenge hash (proof.h).  Without it the parent reads as zero. */
void tok_block_set_parent(struct tok_block *b, const uint8_t parent[32]);

/*
 * The validators who signed the block's last commit (signers[0..n), kept
 * by reference until tok_block_end): block appliers call this after
 * tok_block_begin for every block that carries one (all but block 1).
 * Downtime is counted from these canonical commits only, so every node
 * counts the same whichever +2/3 it holds itself: at tok_block_end each
 * genesis validator missing from them has one more missed block in the
 * block's epoch, and at the epoch's end one that missed more than
 * downtime_missed_bps of the epoch's last commits is slashed
 * slash_downtime_bps of its stake (docs/economics.md, "Downtime").
 */
void tok_block_set_last_commit(struct tok_block *b, const uint8_t (*signers)[32],
                               size_t n);
/* Last commits of epoch that validator is missing from, so far (0 when
 * none, or once the epoch has ended).  Returns: 0, store codes. */
EMBER_WUR int tok_validator_missed(struct ember_txn *t, uint64_t epoch,
                                   const uint8_t validator[32], uint64_t *out);

/*
 * The challenge record of provider in epoch (EMBER_DB_CHALLENGES, key
 * be64 epoch || provider): written PASS when a proof applies, and FAIL or
 * MISSING at the epoch boundary for every challenged provider without a
 * pass.  And the hash H that seeds epoch's challenges (recorded in the
 * epoch's first block; available from then on).
 * Returns: 0, EMBER_ENOTFOUND, store codes.
 */
struct tok_challenge_rec {
	uint8_t result;                 /* enum ember_chal_result */
	uint64_t height;                /* block of the proof or the judgment */
	uint32_t n;
	uint8_t root[20];               /* zero unless passed */
};
EMBER_WUR int tok_challenge_get(struct ember_txn *t, uint64_t epoch,
                                const uint8_t provider[32],
                                struct tok_challenge_rec *out);
EMBER_WUR int tok_epoch_hash(struct ember_txn *t, uint64_t epoch,
                             uint8_t out[32]);

/* Epoch of block height h (block 0, genesis, is in epoch 0). */
uint64_t tok_epoch_of(const struct ember_genesis *g, uint64_t h);

/* Total supply recorded in state.  Returns: 0, EMBER_ENOTFOUND, codes. */
EMBER_WUR int tok_supply(struct ember_txn *t, uint64_t *out);
/* Returns: 0, EMBER_ENOTFOUND (no genesis yet), store codes. */
EMBER_WUR int tok_totals_get(struct ember_txn *t, struct tok_totals *out);
/* A closed epoch's record.  Returns: 0, EMBER_ENOTFOUND, store codes. */
EMBER_WUR int tok_epoch_get(struct ember_txn *t, uint64_t epoch,
                            struct tok_epoch_rec *out);

/*
 * Does block h end an epoch (its boundary ran at the end of h)?  Then
 * *epoch gets the epoch it closed, whose record tok_epoch_get() reads
 * once h is committed.  Returns: 1 or 0.
 */
int tok_epoch_ends_at(const struct ember_genesis *g, uint64_t h, uint64_t *epoch);

/*
 * One line (no newline) telling what closed epoch r did, for the node's
 * log at each boundary, e.g. "epoch 1 ended at block 120: minted 999 EMB,
 * burned 0.08 EMB, 1 provider paid; challenges 1 passed, 0 failed, 0
 * missing; slashed 0 EMB, 0 providers jailed".  end_height is the
 * epoch's last block.  Truncated to fit len (TOK_EPOCH_LINE_LEN bytes,
 * 291 for the largest values, are always enough).
 */
#define TOK_EPOCH_LINE_LEN 320
void tok_epoch_format(const struct tok_epoch_rec *r, uint64_t end_height,
                      char *out, size_t len);

/* 1 if the oracle price may be used in epoch `epoch`, else 0. */
int tok_oracle_fresh(const struct tok_totals *tot, const struct ember_genesis *g,
                     uint64_t epoch);

/* Read lease id and settle it (in memory only) to height h: what an
 * explorer should see at h.  Returns: 0, EMBER_TOK_NO_LEASE, store codes. */
EMBER_WUR int tok_lease_view(struct ember_txn *t, const struct ember_genesis *g,
                             uint64_t id, uint64_t h, struct ember_lease *out);
/* Read a provider / stake (a missing stake reads as ember_stake_init()).
 * Returns: 0, EMBER_TOK_NO_PROVIDER, store codes. */
EMBER_WUR int tok_provider_get(struct ember_txn *t, const uint8_t owner[32],
                               struct ember_provider *out);
EMBER_WUR int tok_stake_get(struct ember_txn *t, const uint8_t acct[32],
                            struct ember_stake *out);
EMBER_WUR int tok_order_get(struct ember_txn *t, uint64_t id,
                            struct ember_order *out);

/*
 * Record provider's challenge result for epoch (tokenomics/proof.c calls
 * this for a verified proof; tests call it directly); it writes the
 * CHALLENGES record too (NONE deletes it).  Judged at the end of
 * that epoch: FAIL or MISSING slash (less during declared maintenance) and
 * forfeit the epoch's rewards.  Returns: 0, EMBER_TOK_NO_PROVIDER, codes.
 */
EMBER_WUR int tok_challenge_result(struct tok_block *b, struct ember_state *st,
                                   const uint8_t provider[32], uint64_t epoch,
                                   uint8_t result);

/*
 * Would the token rules refuse tx if it were included after the sender's
 * pending txs?  Runs, as txs of a block at tip + 1, pending[0..npending)
 * (the sender's mempool run before tx, in nonce order) and then tx, each
 * with its nonce taken as the sender's next (nonces are the mempool's
 * business), in an overlay transaction (store.h): nothing is written, the
 * write lock is never taken, and any thread may call it.  A pending tx
 * that no longer applies is skipped, as a proposer would.  Used at
 * admission so a tx that would be dropped at block time (and so pay
 * nothing) is refused at the door with the reason.
 * Returns: 0 (would apply), the refusal code with why set, store codes.
 */
struct ember_store;
EMBER_WUR int tok_dry_run(struct ember_store *s, const struct ember_genesis *g,
                          const struct ember_tx *const *pending,
                          size_t npending, const struct ember_tx *tx,
                          char *why, size_t whylen);

/* Total supply check kept from the walking skeleton: 1 if the recorded
 * supply equals every place a token can be (tok_audit() == 0), 0 if not,
 * negative on a store error.  *sum gets the balance total. */
int tok_check_supply(struct ember_txn *t, uint64_t *sum);

/*
 * Recompute every running sum from the records (O(state); tests, audits,
 * `ember-cli audit`) and check the supply invariant and the totals' counters.
 * On a mismatch why says which sum and by how much.
 * Returns: 0, EMBER_STORE_CORRUPT (invariant broken), store codes.
 */
EMBER_WUR int tok_audit(struct ember_txn *t, char *why, size_t whylen);

#endif
