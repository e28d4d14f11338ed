/*
 * tok_int.h - shared internals of tokenomics/ (not a public header).
 *
 * Files and what each owns:
 *   transfer.c   tok_apply_tx dispatch, the common prologue (nonce, fee),
 *                transfers, tok_genesis, tok_block_end, totals load/store
 *   market.c     order, bid, accept, close, topup; lease settlement writes;
 *                order expiry queue
 *   stake.c      stake, unstake, unbonding queue, slashing primitive,
 *                claim, evidence (double sign)
 *   provider.c   register, update, retire, maintenance
 *   epoch.c      price reports, the epoch boundary (oracle median,
 *                settle all, challenges, slashing, emission, rewards)
 *   proof.c      the proof tx (GPU challenge answers, verified in apply),
 *                challenge records, the epoch's challenge hash
 *   records.c    market.h codecs, index keys, names
 *   lease.c      market.h settlement arithmetic (pure)
 *   audit.c      tok_audit, tok_check_supply, read helpers (tok_*_get)
 *
 * Contract for every handler (tok.h): check everything first, then write.
 * A handler that returns non-zero must not have written anything, because a
 * proposer skips a refused tx in the same LMDB transaction and followers
 * never see it.  Lazy settlement obeys this too: handlers settle in memory
 * (ember_lease_settle) while checking and write only once all checks pass.
 *
 * Token movements go through the helpers below so struct tok_totals stays
 * exact: tk_burn/tk_mint change supply; tk_escrow_add/sub, tk_stake_* move
 * between places.  Totals are cached in struct tok_block and written once
 * at tok_block_end.
 */
#ifndef EMBER_TOK_INT_H
#define EMBER_TOK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ember/addr.h"
#include "ember/codec.h"
#include "ember/error.h"
#include "ember/genesis.h"
#include "ember/market.h"
#include "ember/state.h"
#include "ember/store.h"
#include "ember/tok.h"
#include "ember/tx.h"

/* One tx being applied.  The prologue (transfer.c) has checked the nonce
 * and that the sender can pay fee + ember_tx_cost(); `from` is the sender's
 * account as it will be written at the end: nonce + 1, fee and cost already
 * taken off.  Handlers credit the sender only via tk_credit (which adjusts
 * `from` in memory), never with ember_account_put. */
struct tk_tx {
	struct tok_block *b;
	struct ember_state *st;
	struct ember_txn *t;             /* ember_state_txn(st) */
	const struct ember_genesis *g;
	const struct ember_tx *tx;
	enum ember_token_model model;
	struct ember_account from;
	char *why;
	size_t whylen;
};

/* Handlers, one per kind (return 0 or a refusal code with c->why set;
 * store codes pass through).  The dispatcher writes c->from afterwards. */
int tk_stake(struct tk_tx *c);
int tk_unstake(struct tk_tx *c);
int tk_claim(struct tk_tx *c);
int tk_evidence(struct tk_tx *c);
int tk_prov_register(struct tk_tx *c);
int tk_prov_update(struct tk_tx *c);
int tk_prov_retire(struct tk_tx *c);
int tk_maintenance(struct tk_tx *c);
int tk_order(struct tk_tx *c);
int tk_bid(struct tk_tx *c);
int tk_accept(struct tk_tx *c);
int tk_close(struct tk_tx *c);
int tk_topup(struct tk_tx *c);
int tk_price(struct tk_tx *c);
int tk_proof(struct tk_tx *c);

/* --- totals (transfer.c) ------------------------------------------------ */

/* The block's cached totals (loaded on first use).  Returns: 0, codes. */
int tk_totals(struct tok_block *b, struct ember_txn *t, struct tok_totals **out);
/* Encode/decode totals and epoch records (transfer.c). */
void tk_totals_encode(const struct tok_totals *x, uint8_t out[TOK_TOTALS_ENC_LEN]);
int tk_totals_decode(struct tok_totals *x, const uint8_t *in, size_t len);
void tk_epoch_encode(const struct tok_epoch_rec *x, uint8_t out[TOK_EPOCH_ENC_LEN]);
int tk_epoch_decode(struct tok_epoch_rec *x, const uint8_t *in, size_t len);

/* Supply changes: burn from wherever the caller took the tokens (it has
 * already debited them); mint into wherever it credits them.  Both keep
 * supply, minted/burned (all time and this epoch) exact.
 * Returns: 0 or EMBER_TX_OVERFLOW. */
int tk_burn(struct tok_totals *x, uint64_t amount);
int tk_mint(struct tok_totals *x, uint64_t amount);

/* --- accounts ----------------------------------------------------------- */

/* Credit amount to pub's balance: the sender's goes to c->from (written by
 * the dispatcher), anyone else's is read-modify-written now.  c may be a
 * tx context or NULL (epoch work: no sender).
 * Returns: 0, EMBER_TX_OVERFLOW, store codes. */
int tk_credit(struct tk_tx *c, struct ember_state *st, const uint8_t pub[32],
              uint64_t amount);

/* --- record access (records stored via ember_state so they enter the
 * state root; get returns EMBER_ENOTFOUND when absent) ------------------- */
int tk_get_provider(struct ember_txn *t, const uint8_t owner[32],
                    struct ember_provider *p);
int tk_put_provider(struct ember_state *st, const struct ember_provider *p);
/* A missing stake reads as ember_stake_init() and returns 0.  put deletes
 * the record when it equals ember_stake_init() again (state stays small). */
int tk_get_stake(struct ember_txn *t, const uint8_t acct[32], struct ember_stake *s);
int tk_put_stake(struct ember_state *st, const uint8_t acct[32],
                 const struct ember_stake *s);
int tk_get_order(struct ember_txn *t, uint64_t id, struct ember_order *o);
int tk_put_order(struct ember_state *st, const struct ember_order *o);
int tk_get_bid(struct ember_txn *t, uint64_t order_id, const uint8_t prov[32],
               struct ember_bid *bid);
int tk_put_bid(struct ember_state *st, const struct ember_bid *bid);
int tk_del_bid(struct ember_state *st, uint64_t order_id, const uint8_t prov[32]);
int tk_get_lease(struct ember_txn *t, uint64_t id, struct ember_lease *l);
int tk_put_lease(struct ember_state *st, const struct ember_lease *l);
/* Index entries (empty value unless val given). */
int tk_idx_put(struct ember_state *st, const uint8_t *key, size_t klen,
               const void *val, size_t vlen);
int tk_idx_del(struct ember_state *st, const uint8_t *key, size_t klen);

/* --- validator downtime (downtime.c) ------------------------------------- */

/* The block's last commit: one more missed block for every genesis
 * validator not among its signers (tok_block_end). */
int tk_downtime_block(struct tok_block *b, struct ember_state *st);
/* Epoch e ends (tk_epoch_end): slash each validator that missed more
 * than downtime_missed_bps of e's last commits, and forget e's counts. */
int tk_downtime_epoch(struct tok_block *b, struct ember_state *st, uint64_t e);

/* --- providers (provider.c) ---------------------------------------------- */

/* The sender's provider record; a sender without one is refused with
 * EMBER_TOK_NO_PROVIDER, c->why telling it to register first.
 * Returns: 0, EMBER_TOK_NO_PROVIDER, store codes. */
int tk_sender_provider(struct tk_tx *c, struct ember_provider *p);

/* --- lease settlement (market.c) ----------------------------------------
 *
 * Write the outcome of settling l to height h (from ember_lease_settle):
 * burn or pay the charge by token model (bme/hybrid: burn it all; sfa:
 * burn protocol_fee_bps, the rest to the provider's rewards), credit the
 * provider's work (gpus x blocks, in the epoch of h), and on a close refund
 * the escrow to the tenant (tk_credit), release the provider's GPUs and
 * drop the open-lease indexes.  *l is updated to what was written.
 * `reason` (EMBER_CLOSE_TENANT/PROVIDER) closes the lease at h if settling
 * did not already close it; EMBER_CLOSE_NONE only settles.
 * `prov` may be given when the caller holds the provider record (it is
 * then updated in memory and NOT written: the caller writes it); NULL reads
 * and writes it here.
 * Returns: 0, EMBER_TX_OVERFLOW, store codes.
 */
int tk_lease_settle_write(struct tok_block *b, struct ember_state *st,
                          struct tk_tx *c, struct ember_lease *l, uint64_t h,
                          uint8_t reason, struct ember_provider *prov);

/* Free GPUs of provider p at height h, counting open leases that have
 * ended or run dry by h as free (reads them, writes nothing).
 * Returns: 0, store codes. */
int tk_provider_free(struct ember_txn *t, const struct ember_genesis *g,
                     const struct ember_provider *p, uint64_t h,
                     uint32_t *free_gpus);

/* Expire orders whose expires_height <= h (refund deposits, drop bids).
 * Returns: 0, codes. */
int tk_expire_orders(struct tok_block *b, struct ember_state *st, uint64_t h);

/* Settle every open lease to h and start a new segment at rate_uusd
 * (epoch boundary).  Returns: 0, codes. */
int tk_settle_all(struct tok_block *b, struct ember_state *st, uint64_t h,
                  uint64_t rate_uusd);

/* --- stake (stake.c) ---------------------------------------------------- */

/* Release unbonding entries due at or before h.  Returns: 0, codes. */
int tk_release_unbonding(struct tok_block *b, struct ember_state *st, uint64_t h);

/*
 * Slash acct by bps of (stake + unbonding), taking from stake first, then
 * from unbonding entries in release order (earliest first); burned.  The
 * penalty per epoch is capped: bps is cut so that the account's
 * slash_bps_used in `epoch` plus bps never exceeds slash_cap_bps (FIP-0002's
 * lesson: a bad day must not ruin an honest provider).  *taken gets the
 * amount burned (0 when the cap is used up).
 * Returns: 0, codes.
 */
int tk_slash(struct tok_block *b, struct ember_state *st, const uint8_t acct[32],
             uint32_t bps, uint64_t epoch, uint64_t *taken);

/* Credit minted rewards to acct's accrual (tk_mint is the caller's). */
int tk_reward(struct tok_block *b, struct ember_state *st, const uint8_t acct[32],
              uint64_t amount);

/* --- challenges (proof.c) ------------------------------------------------ */

/* In the first block of an epoch (height e*E+1), record the block's parent
 * as the epoch's challenge hash H (tok_epoch_hash); elsewhere nothing.
 * Returns: 0, store codes. */
int tk_epoch_hash_record(struct tok_block *b, struct ember_state *st);

/* Write provider p's challenge record for epoch (EMBER_DB_CHALLENGES) and
 * set p's chal_epoch/chal_result to match, in memory: the caller writes p
 * (the judgment changes more of it first).  Returns: 0, store codes. */
int tk_challenge_write(struct ember_state *st, struct ember_provider *p,
                       uint64_t epoch, const struct tok_challenge_rec *rec);

/* --- epoch (epoch.c) ---------------------------------------------------- */

/* The epoch boundary at the end of block h (h % epoch_blocks == 0).
 * Returns: 0, codes. */
int tk_epoch_end(struct tok_block *b, struct ember_state *st, uint64_t h);

/* Eligible for bids and rewards: active, not jailed at epoch, and under
 * sfa/hybrid stake >= min_stake_per_gpu x gpus.  *why_not (may be NULL)
 * gets the refusal code (EMBER_TOK_PROVIDER_RETIRED, EMBER_TOK_JAILED,
 * EMBER_TOK_STAKE_LOW).  Returns: 1 eligible, 0 not, negative store code. */
int tk_provider_eligible(struct ember_txn *t, const struct ember_genesis *g,
                         const struct ember_provider *p, uint64_t epoch,
                         int *why_not);

/* Messages: the sender's address for why strings. */
void tk_addr(const uint8_t pub[32], char out[EMBER_ADDR_BUFLEN]);

#endif
