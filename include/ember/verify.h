/*
 * verify.h - signature verification off the event loop, and the cache of
 * verified txids.
 *
 * The cache is a bounded, thread-safe set of txids whose signature checked
 * out; a tx is verified once, when it first arrives, and block execution
 * skips verification for cached txids.  A txid commits to the whole tx
 * (signature included), so a cache hit is exactly as good as a verify.
 *
 * The pool runs N worker threads.  Work is submitted as a batch (an array of
 * jobs); workers claim jobs in small chunks so one big batch spreads over
 * every core.  When a batch is finished it is queued as completed and the
 * notify callback runs (on the worker thread) so the owner can wake its
 * event loop; the owner then calls ember_vpool_drain() on its own thread,
 * which hands each completed batch to a callback.  ember_vpool_run() instead
 * submits and waits, with the calling thread working on the batch too.
 */
#ifndef EMBER_VERIFY_H
#define EMBER_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "tx.h"

struct ember_sigcache;

/* capacity: number of txids kept (oldest evicted first).
 * Returns: 0 or EMBER_ENOMEM. */
EMBER_WUR int ember_sigcache_new(struct ember_sigcache **out, size_t capacity);
void ember_sigcache_free(struct ember_sigcache *c);
/* Returns: 1 if txid is in the cache, else 0.  Thread-safe. */
int ember_sigcache_has(struct ember_sigcache *c, const uint8_t txid[32]);
/* Thread-safe. */
void ember_sigcache_add(struct ember_sigcache *c, const uint8_t txid[32]);

struct ember_vjob {
	const struct ember_tx *tx;   /* caller-owned, alive until completion */
	uint8_t txid[32];
	int valid;                   /* out: 1 signature ok (or cached), 0 bad */
};

struct ember_vbatch {
	struct ember_vjob *jobs;     /* caller-owned */
	size_t n;
	void *user;                  /* for the caller */
	/* private to the pool */
	size_t next_;
	size_t done_;
	struct ember_vbatch *link_;
	int sync_;
};

struct ember_vpool;
typedef void (*ember_vpool_notify_cb)(void *ctx);
typedef void (*ember_vpool_done_cb)(void *ctx, struct ember_vbatch *b);

/* nthreads >= 1.  cache may be NULL.  notify may be NULL (then only
 * ember_vpool_run is useful).  Returns: 0, EMBER_ENOMEM, EMBER_EINTERNAL. */
EMBER_WUR int ember_vpool_new(struct ember_vpool **out, unsigned nthreads,
                              struct ember_sigcache *cache,
                              ember_vpool_notify_cb notify, void *notify_ctx);
/* Stops and joins the workers; batches not yet drained are dropped. */
void ember_vpool_free(struct ember_vpool *p);

/* Queue b (asynchronous).  Returns: 0 or EMBER_EINVAL. */
EMBER_WUR int ember_vpool_submit(struct ember_vpool *p, struct ember_vbatch *b);
/* Hand every completed asynchronous batch to done (on this thread).
 * Returns the number of batches handed over. */
size_t ember_vpool_drain(struct ember_vpool *p, ember_vpool_done_cb done,
                         void *ctx);
/* Verify b now, the calling thread helping; returns when all jobs are done. */
void ember_vpool_run(struct ember_vpool *p, struct ember_vbatch *b);

unsigned ember_vpool_threads(const struct ember_vpool *p);

#endif
