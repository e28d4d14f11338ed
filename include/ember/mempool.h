/*
 * mempool.h - pending transactions.
 *
 * Per sender, pending txs form a contiguous nonce run starting at the
 * account's committed nonce (gaps are refused at the door, so every pending
 * tx is executable in order).  Across senders, block selection takes the
 * highest-fee executable head first (ties: earlier arrival), which keeps
 * each sender's nonce order.  Bounded by count, bytes and a per-sender cap;
 * when full, a new tx may evict the lowest-fee *last* tx of another sender
 * (never a middle one, which would open a gap).
 *
 * A tx with the same (sender, nonce) as a pending one replaces it only if
 * its fee is at least 10% higher (and the sender can still afford the run).
 *
 * Not thread-safe: owned by the event-loop thread.  Entries own a copy of
 * the encoded tx.
 */
#ifndef EMBER_MEMPOOL_H
#define EMBER_MEMPOOL_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "tx.h"
#include "state.h"

struct ember_mempool_cfg {
	size_t max_txs;         /* default 200000 */
	size_t max_bytes;       /* default 128 MiB */
	size_t max_per_sender;  /* default 1024 */
};

struct ember_mp_entry {
	struct ember_tx tx;     /* decoded */
	uint8_t txid[32];
	uint8_t *enc;           /* owned copy of the encoding */
	size_t len;
	uint64_t seq;           /* arrival order */
};

struct ember_mempool;

/* cfg NULL: defaults.  Returns: 0 or EMBER_ENOMEM. */
EMBER_WUR int ember_mempool_new(struct ember_mempool **out,
                                const struct ember_mempool_cfg *cfg);
void ember_mempool_free(struct ember_mempool *mp);

/*
 * Admit a tx whose signature and stateless checks already passed.  acct is
 * the sender's committed account state.  On refusal, why (cap whylen, may be
 * NULL) gets a message for a person, e.g.
 *   "nonce 7 already used by account 'ember1...'; next is 9"
 * Returns: 0, EMBER_MP_DUP, EMBER_TX_NONCE_USED, EMBER_TX_NONCE_GAP,
 * EMBER_TX_INSUFFICIENT, EMBER_MP_SENDER_LIMIT, EMBER_MP_REPLACE_FEE,
 * EMBER_MP_FULL, EMBER_ENOMEM.
 */
EMBER_WUR int ember_mempool_add(struct ember_mempool *mp,
                                const struct ember_tx *tx, const uint8_t *enc,
                                size_t len, const uint8_t txid[32],
                                const struct ember_account *acct, char *why,
                                size_t whylen);

/*
 * Choose txs for a block: up to max_txs and max_bytes total encoding, fee
 * priority across senders, nonce order within each.  out receives pointers
 * to entries (valid until the pool is next modified).  Does not remove.
 * Returns: 0 or EMBER_ENOMEM.
 */
EMBER_WUR int ember_mempool_select(struct ember_mempool *mp, size_t max_txs,
                                   size_t max_bytes,
                                   const struct ember_mp_entry **out,
                                   size_t *n);

/* After a block: sender's committed state is acct.  Drops txs with nonce <
 * acct->nonce and any tail the balance no longer covers. */
void ember_mempool_update_sender(struct ember_mempool *mp,
                                 const uint8_t sender[32],
                                 const struct ember_account *acct);

/* Remove one tx (and, to keep the run contiguous, every later-nonce tx of the
 * same sender).  Returns: 0 or EMBER_ENOTFOUND. */
EMBER_WUR int ember_mempool_remove(struct ember_mempool *mp,
                                   const uint8_t txid[32]);

/* Lookup by txid. Returns the entry (pool-owned) or NULL. */
const struct ember_mp_entry *ember_mempool_get(const struct ember_mempool *mp,
                                               const uint8_t txid[32]);

/* Next nonce for sender counting pending txs (committed_nonce if none). */
uint64_t ember_mempool_next_nonce(const struct ember_mempool *mp,
                                  const uint8_t sender[32],
                                  uint64_t committed_nonce);
/* The sender's pending txs with nonce below before (UINT64_MAX: all), in
 * nonce order: *out points at the pool's own array (valid until the pool
 * is next modified).  Returns their count (0: none, *out may be NULL). */
size_t ember_mempool_sender_run(const struct ember_mempool *mp,
                                const uint8_t sender[32], uint64_t before,
                                const struct ember_mp_entry *const **out);
/* Sum of costs (amount + fee) of sender's pending txs (saturating). */
uint64_t ember_mempool_pending_cost(const struct ember_mempool *mp,
                                    const uint8_t sender[32]);

size_t ember_mempool_count(const struct ember_mempool *mp);
size_t ember_mempool_bytes(const struct ember_mempool *mp);

#endif
