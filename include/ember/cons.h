/*
 * cons.h - consensus: the validator set, proposer selection, votes and
 * commit certificates, and the propose -> execute -> vote -> commit path
 * that every block takes.
 *
 * Tendermint-style: a block is final when validators holding more than 2/3
 * of the voting power precommit its hash; those signatures form the commit
 * certificate stored with the block.  A single validator (emberd --dev) runs
 * exactly this path with one vote: it proposes, executes, prevotes,
 * precommits, sees its own quorum and commits.  Multi-validator rounds over
 * P2P (timeouts, locking, evidence) plug into the same tally and execution
 * code in a later issue.
 *
 * Execution: one store write transaction per block (its changes in
 * memory until the commit logs them: store.h).  The proposer executes
 * its candidate txs once, skipping any that fail (tok.h's check-then-write
 * contract makes that safe), and keeps the transaction open until the
 * certificate is complete, so a block is executed exactly once.  A block
 * made elsewhere is executed strictly (any bad tx rejects the block; tx root
 * and state root must match the header).  The store grows LMDB's map in
 * its own flushes; the redo-after-growth paths here answer a
 * EMBER_STORE_MAP_FULL that today's store no longer returns to a write
 * transaction.
 *
 * Owned by the event-loop thread.  Consensus reads no clock: the caller
 * passes the time to stamp on a proposal.
 */
#ifndef EMBER_CONS_H
#define EMBER_CONS_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "block.h"
#include "chain.h"
#include "genesis.h"
#include "guard.h"
#include "key.h"
#include "mempool.h"
#include "store.h"
#include "verify.h"

struct cons_cfg {
	const struct ember_genesis *g;     /* not owned; outlives cons */
	struct ember_store *store;         /* not owned */
	struct ember_mempool *mp;          /* may be NULL (replay only) */
	struct ember_sigcache *cache;      /* may be NULL */
	struct ember_vpool *vpool;         /* may be NULL: verify inline */
	const struct ember_keypair *key;   /* validator key or NULL */
	struct cons_guard *guard;          /* not owned; NULL: no guard (tests) */
	size_t max_block_txs;              /* 0: 50000 */
	size_t max_block_bytes;            /* 0: 16 MiB */
};

struct cons_stats {
	uint64_t blocks;                   /* committed since start */
	uint64_t txs;                      /* txs in those blocks */
	uint64_t dropped;                  /* mempool txs that failed execution */
	uint64_t last_exec_us;             /* execute time of the last block */
	uint64_t last_commit_us;           /* store + fsync time of the last block */
	uint64_t map_grows;
};

struct cons;

/*
 * Open consensus over store: when the store is empty, execute the genesis
 * state and store block 0; otherwise check that the stored genesis hash is
 * g's (EMBER_STORE_GENESIS otherwise) and load the tip.  The tip must be
 * whole: its block stored, hashing to the tip's hash and linked to its
 * parent (EMBER_STORE_DAMAGED otherwise).  With a signing guard, a ledger
 * one block behind the guard's last signature commits that signed block
 * now (the node died between signing and committing it); further behind is
 * refused (EMBER_STORE_GUARD: blocks were lost, and signing again could
 * equivocate).  err gets a message for a person.
 * Returns: 0, EMBER_STORE_GENESIS, EMBER_STORE_DAMAGED, EMBER_STORE_GUARD,
 * EMBER_ENOMEM, store codes.
 */
EMBER_WUR int cons_new(struct cons **out, const struct cons_cfg *cfg,
                       char *err, size_t errlen);
void cons_free(struct cons *c);

void cons_tip(const struct cons *c, struct ember_tip *out);
void cons_stats(const struct cons *c, struct cons_stats *out);

/* Proposer of (height, round): weighted round robin over the genesis
 * validators, each holding `power` consecutive slots. */
const uint8_t *cons_proposer(const struct ember_genesis *g, uint64_t height,
                             uint32_t round);

/*
 * Produce the next block as this node's validator: select from the mempool,
 * execute, vote, and commit once the tally holds +2/3 of the power (always,
 * with a single validator).  now_ms is stamped on the block (raised to
 * parent time + 1 if the clock went backwards).  *committed is set to 1 when
 * a block was committed.  If the signing guard holds a block signed for
 * tip + 1 that never committed, that block is committed instead.
 * Returns: 0, EMBER_EINVAL (no validator key), EMBER_BLK_PROPOSER (not our
 * turn), EMBER_BLK_CERT (our vote alone is not +2/3), store codes, and any
 * other code when a block cannot be built (a bug worth a log line).
 */
EMBER_WUR int cons_produce(struct cons *c, uint64_t now_ms, int *committed);
/* After cons_produce returned EMBER_STORE_GUARD or a guard's EMBER_EIO:
 * what the signing guard said (empty when it said nothing). */
const char *cons_guard_why(const struct cons *c);

/*
 * Apply a block made elsewhere, with its certificate.  Check before
 * execute: first the header against the tip and the certificate against
 * the validator set (no tx is decoded and nothing is written for a block
 * that fails), then the txs' signatures (the verify pool), then strict
 * execution and the commit.  why gets the reason on rejection.
 * Returns: 0, EMBER_ENC_*, EMBER_BLK_*, store codes.
 */
EMBER_WUR int cons_apply_block(struct cons *c, const uint8_t *blk, size_t len,
                               const uint8_t *cert, size_t certlen, char *why,
                               size_t whylen);
/* Same, calling checked(ctx) once the block is authenticated and before it
 * is executed: the network relays it from there, so propagation does not
 * wait for execution and the certificate is checked once. */
typedef void (*cons_checked_fn)(void *ctx);
EMBER_WUR int cons_apply_block_then(struct cons *c, const uint8_t *blk, size_t len,
                                    const uint8_t *cert, size_t certlen,
                                    cons_checked_fn checked, void *ctx,
                                    char *why, size_t whylen);

/*
 * Is blk, whatever our tip, a block the validator set committed: its
 * certificate holds +2/3 of the precommits for its header's hash, from the
 * proposer whose turn it was?  *height and hash get the block's.  Used to
 * tell a forged block from a safety failure (two certified blocks at one
 * height).  Returns: 0, EMBER_BLK_CERT, EMBER_BLK_PROPOSER, EMBER_ENC_*,
 * EMBER_EINVAL, EMBER_ENOMEM.
 */
EMBER_WUR int cons_block_certified(const struct ember_genesis *g,
                                   const uint8_t *blk, size_t len,
                                   const uint8_t *cert, size_t certlen,
                                   uint64_t *height, uint8_t hash[32]);

/* Check a certificate for block hash at height: every signer a distinct
 * validator, every signature valid, signers' power > 2/3 of the total.
 * Returns: 0 or EMBER_BLK_CERT. */
EMBER_WUR int cons_cert_verify(const struct ember_genesis *g, uint64_t height,
                               const uint8_t hash[32],
                               const struct ember_cert *cert);

/* Check a vote's signature by pub (hash all zero: a vote for nil; time_ms
 * the time it signs, ember_vote_hash).  Returns: 0 or EMBER_CRYPTO_VERIFY. */
EMBER_WUR int cons_vote_verify(const uint8_t pub[32], const char *chain_id,
                               uint8_t type, uint64_t height, uint32_t round,
                               const uint8_t hash[32], uint64_t time_ms,
                               const uint8_t sig[64]);

/*
 * A precommit for our tip that came after the tip was committed (the
 * certificate was made from the first +2/3): add it to the tip's
 * certificate in memory, so the next block this node builds carries it in
 * its last commit, and its signer is not counted as down for a block it
 * signed in time for the next proposal (downtime, tok.h).  CometBFT's
 * commit timeout plays this part.  The stored certificate is left as it
 * was; after a restart the next block carries that one.  The signature is
 * checked here (over the tip's height and hash, the certificate's round
 * and time_ms).
 * Returns: 0 (added, or that validator is in already), EMBER_BLK_HEIGHT
 * (no certificate to add to: tip 0, or another round), EMBER_BLK_CERT
 * (not a validator, or a bad signature), EMBER_ENOMEM.
 */
EMBER_WUR int cons_add_tip_precommit(struct cons *c, uint32_t round,
                                     const uint8_t validator[32], uint64_t time_ms,
                                     const uint8_t sig[64]);

/*
 * Check block H's last commit (lc, lclen bytes) against its parent, block
 * H-1 (parent_height, its time and hash), and give block H's time (BFT
 * time: no proposer's clock sets it):
 *  - H == 1: no last commit; the time is the parent's (genesis) time + 1;
 *  - else: a certificate of the parent holding +2/3 of the validator
 *    set's power (cons_cert_verify); the time is the stake-weighted
 *    median of its precommit stamps (sorted by time, then by position:
 *    the first stamp at which the signers passed hold more than half of
 *    the signers' power), which must be after the parent's time.  Honest
 *    signers stamp after their block's time and hold more than half of
 *    the signers' power whenever the faulty hold less than a third of all
 *    of it, so the faulty cannot move the time outside the honest
 *    signers' clocks, nor make an honest certificate unusable.
 * scratch holds the decoded certificate (it is large: no stack copy).
 * Deterministic: the same bytes give the same time on every node.
 * Returns: 0, EMBER_BLK_LAST_COMMIT (why says what is wrong).
 */
EMBER_WUR int cons_last_commit(const struct ember_genesis *g, uint64_t parent_height,
                               uint64_t parent_time_ms, const uint8_t parent_hash[32],
                               const uint8_t *lc, size_t lclen,
                               struct ember_cert *scratch, uint64_t *time_ms,
                               char *why, size_t whylen);
/* A BFT proposal's signature: over tagged_hash("ember/proposal", chain id,
 * height, round, pol_round, block id).  Returns: 0, EMBER_CRYPTO_SIGN /
 * EMBER_CRYPTO_VERIFY. */
EMBER_WUR int cons_proposal_sign(const struct ember_keypair *key, const char *chain_id,
                                 uint64_t height, uint32_t round, int32_t pol_round,
                                 const uint8_t value[32], uint8_t sig[64]);
EMBER_WUR int cons_proposal_verify(const uint8_t pub[32], const char *chain_id,
                                   uint64_t height, uint32_t round, int32_t pol_round,
                                   const uint8_t value[32], const uint8_t sig[64]);
/* Sign a vote for (type, height, round, hash, time_ms) with key: a
 * precommit's time_ms is the signer's clock, at least its block's time + 1
 * (cons_last_commit); a prevote's is 0. */
EMBER_WUR int cons_vote_sign(const struct ember_keypair *key,
                             const char *chain_id, uint8_t type,
                             uint64_t height, uint32_t round,
                             const uint8_t hash[32], uint64_t time_ms,
                             uint8_t sig[64]);

/*
 * The executor of BFT consensus (bft.h), three steps that each end with no
 * write transaction left open across the event loop:
 *
 * cons_build: the block this validator proposes at tip + 1: the mempool's
 * best candidates executed in order (a failing one is skipped), time
 * now_ms (raised past the parent's).  *blk (len) is valid until the next
 * cons call: copy it.  The execution is kept open so that a commit of this
 * same block in the same loop turn (one validator decides at once) does
 * not execute it twice; cons_release_pending() ends it, and the caller
 * must call it before the loop waits on anything (every other cons call
 * ends it too).
 * Returns: 0, EMBER_EINVAL (no validator key), store codes.
 *
 * cons_validate: is blk a valid block at tip + 1 (header, txs, signatures,
 * roots)?  Executed strictly in a write transaction that is aborted.
 * Returns: 0, or the refusal with why filled (EMBER_ENC_*, EMBER_BLK_*).
 *
 * cons_commit: blk was decided with cert (its +2/3 precommits, encoded):
 * commit it - from the pending execution when it is the block built last,
 * else checked and executed as cons_apply_block does.
 * Returns: as cons_apply_block.
 */
EMBER_WUR int cons_build(struct cons *c, uint64_t now_ms, const uint8_t **blk,
                         size_t *len, uint8_t hash[32]);
EMBER_WUR int cons_validate(struct cons *c, const uint8_t *blk, size_t len,
                            char *why, size_t whylen);
EMBER_WUR int cons_commit(struct cons *c, const uint8_t *blk, size_t len,
                          const uint8_t *cert, size_t certlen, char *why,
                          size_t whylen);
void cons_release_pending(struct cons *c);

#endif
