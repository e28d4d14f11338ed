/*
 * admit.h - tx admission: the one path by which a tx from any source (RPC
 * sendtx, a P2P peer) reaches the mempool.
 *
 *   submit(batch of raw txs)
 *     -> size limit, strict decode, stateless checks (chain id, min fee)
 *     -> already pending?  answered with its txid, not verified again;
 *        already committed?  refused
 *     -> one verify batch to the worker pool (never on the loop thread)
 *   verified (loop thread, ember_admit_verified)
 *     -> bad signature?  refused
 *     -> the token rules against the committed state plus the sender's
 *        pending txs (tok_dry_run, an overlay txn: no write lock)
 *     -> mempool insert (nonces, balance, fee priority, bounds)
 *     -> done(txid), then announce(txid) for a tx new to the pool
 *
 * Each submitted item gets exactly one done call: at once for what fails
 * before verification, else from ember_admit_verified.  Batching is the
 * caller's: a whole JSON-RPC batch, or a peer's tx message, is one submit
 * and so one verify batch spread over every worker.
 *
 * Owned by the event-loop thread; not thread-safe.  The owner routes the
 * verify pool's completed batches to ember_admit_verified.
 */
#ifndef EMBER_ADMIT_H
#define EMBER_ADMIT_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "genesis.h"
#include "mempool.h"
#include "store.h"
#include "verify.h"

enum ember_tx_source { EMBER_SRC_RPC = 1, EMBER_SRC_P2P = 2 };

struct ember_admit_item {
	uint8_t *enc;       /* malloc'd; admission takes it (and frees it) */
	size_t len;
	void *user;         /* handed back to done */
};

/*
 * The verdict on one item.  code 0: in the pool (newly, or it already
 * was), txid set.  Otherwise the refusal: a tx code (EMBER_TX_*,
 * EMBER_ENC_*, EMBER_MP_*, EMBER_TOK_*, ...), EMBER_ENOMEM or
 * EMBER_EBUSY (try again: the node is short of memory, or refusing txs,
 * e.g. on a full disk), or a store code (the node could not check it);
 * why is a message for a person (never NULL).  txid is NULL when the tx
 * did not decode.
 */
typedef void (*ember_admit_done_fn)(void *ctx, void *user, int code,
                                    const uint8_t *txid, const char *why);
/* A tx new to the pool (for gossip); source is where it came from. */
typedef void (*ember_admit_announce_fn)(void *ctx, const uint8_t txid[32],
                                        int source);

struct ember_admit_cfg {
	struct ember_store *store;          /* not owned */
	const struct ember_genesis *g;      /* not owned */
	struct ember_mempool *mp;           /* not owned */
	struct ember_vpool *vpool;          /* not owned; NULL: verify inline */
	ember_admit_announce_fn announce;   /* may be NULL */
	void *announce_ctx;
};

struct ember_admit_stats {
	uint64_t accepted;      /* new to the pool */
	uint64_t rejected;      /* refused (not: busy, internal errors) */
};

struct ember_admit;

/* Returns: 0, EMBER_EINVAL, EMBER_ENOMEM. */
EMBER_WUR int ember_admit_new(struct ember_admit **out,
                              const struct ember_admit_cfg *cfg);
/* Items still waiting for verification are answered EMBER_EBUSY. */
void ember_admit_free(struct ember_admit *a);

/*
 * Submit n items from source.  Every item's enc is taken over, whatever
 * happens.  done(ctx, item.user, ...) is called once per item, possibly
 * before this returns.  Returns: 0, or EMBER_ENOMEM when the batch could
 * not even be queued (every item has then been answered EMBER_ENOMEM).
 */
EMBER_WUR int ember_admit_submit(struct ember_admit *a,
                                 struct ember_admit_item *items, size_t n,
                                 int source, ember_admit_done_fn done,
                                 void *ctx);

/* Loop thread: a verify batch has completed.  Returns 1 if it was
 * admission's (and is now consumed), else 0. */
int ember_admit_verified(struct ember_admit *a, struct ember_vbatch *b);

/* Set (or change) the announce hook after creation: the network that
 * relays is made after admission. */
void ember_admit_set_announce(struct ember_admit *a, ember_admit_announce_fn fn,
                              void *ctx);

/* While why (a static string) is set, every tx is refused EMBER_EBUSY
 * with that message (e.g. the disk is full); NULL ends it. */
void ember_admit_set_refusal(struct ember_admit *a, const char *why);

void ember_admit_stats(const struct ember_admit *a, struct ember_admit_stats *out);

#endif
