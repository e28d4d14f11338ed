/*
 * store.h - the ledger on LMDB.  The only module that includes lmdb.h
 * (chain/store*.c).
 *
 * One environment (a directory), named databases per object kind (enum
 * ember_db).  One write transaction at a time (the block applier's); any
 * number of read-only transactions on any thread, which never block the
 * writer and each see one consistent snapshot (the commits up to the
 * moment they began).
 *
 * Writes are buffered, and why.  An LMDB commit copies and writes a whole
 * 4 KiB page, plus the branch pages above it, for every changed key; with
 * millions of accounts a block of random transfers changes a different
 * page per key, and apply fell 10x from 2,000 to 10M accounts (the
 * state-at-scale issue, measured with `ember-bench state`).  So a write
 * txn collects its changes in memory; its commit appends them as one
 * record to a write-ahead log (<dir>/ledger.wal, fdatasync'd: one
 * sequential write per block whatever the state's size) and links them
 * into a pending map of recent commits that every later reader sees; a
 * flush writes the newest version of every pending key into LMDB in one
 * sorted write txn, so a page changed by many blocks is written once.
 * A flush runs inside a commit when the pending changes pass the cache
 * size (ember_store_set_cache; default 256 MiB, like bitcoind's dbcache)
 * or the oldest is 30 s old, on ember_store_flush(), and on close.
 * What it costs: memory up to the cache size; a commit that flushes takes
 * the flush's time (hundreds of ms at 10M accounts); a restart after a
 * crash replays the log (bounded by the cache size).
 *
 * The txid index (EMBER_DB_TX_INDEX) is write-once and keyed by random
 * txids: one B-tree would have every flush rewrite nearly all of it, a
 * cost that grows with the history.  It is kept as sorted runs instead
 * (store_runs.h): get and put work, del, append and walks do not.
 *
 * What was measured and chosen (`ember-bench state`, 2-core VM, ext4):
 * apply rate of random transfers (signatures pre-verified), 1,000- /
 * 10,000-tx blocks, as a ratio of the 2,000-account rate.  One LMDB
 * commit per block (before): 2,000 accounts 38,800 / 112,200 tx/s;
 * 1M accounts 0.43 / 0.31; 10M 0.24 / 0.16; after 1M txs of history
 * 0.35 / 0.40 (85 MiB written per 10k-tx block at 1M accounts).  This
 * store, one whole 256 MiB cache cycle timed (the flush included):
 * 2,000 accounts 103,100 / 90,000 tx/s; 1M 0.61 / 0.68; 10M 0.44 / 0.45;
 * after 1M txs of history 0.65-0.94 / 0.87-1.31 over two runs (13 MiB
 * per 10k-tx block at 1M).
 * What is left at 1M and 10M: reads of cold accounts walk the B-tree
 * (twice the 2,000-account block time at 1M), and at 10M each flush
 * still writes most of the accounts' leaf pages; a larger --dbcache
 * spreads that over more blocks.
 * Of the directions: flat block files replayed by re-executing
 * blocks were not needed, since the log holds each commit's changes
 * themselves (replay is a sorted write, no execution, and it serves
 * every writer, not only blocks); blocks and certificates still go to
 * LMDB, appended in height order by the sorted flush.  MDB_WRITEMAP and
 * MDB_NOMETASYNC are not used: LMDB now commits once per flush, so
 * saving its fsync or its page copies buys little, and WRITEMAP lets a
 * stray write corrupt the map.  The pending map is the hot-account
 * cache, and a put no longer walks the tree (it goes to memory; the
 * flush's cursor finds each sorted key's page from the previous one).
 *
 * Durability: after ember_txn_commit() returns 0 the commit is in the
 * log, fdatasync'd: a kill -9 or power loss keeps it.  Open replays the
 * records above the flushed seq (kept in the meta db with each flush)
 * into LMDB before anything reads; a torn last record (a commit that
 * never returned) is cut off; a damaged log is refused with
 * EMBER_STORE_DAMAGED and a message naming the byte offset.
 *
 * Map growth: a flush that hits MDB_MAP_FULL grows the map (doubling;
 * growth waits until no read transaction of this process is open, since
 * mdb_env_set_mapsize requires that) and redoes itself; callers never see
 * EMBER_STORE_MAP_FULL from puts.  Readers that see MDB_MAP_RESIZED adopt
 * the new size transparently.  No transaction of the committing thread
 * may be open across ember_txn_commit() of a write txn (a flush may need
 * to grow the map).  A full disk is EMBER_STORE_DISK_FULL from the commit:
 * nothing of the txn is kept, and the same work succeeds once space is
 * back.
 *
 * Memory returned by get/iter is valid only until the transaction ends
 * (LMDB's rule); copy what must outlive it.
 */
#ifndef EMBER_STORE_H
#define EMBER_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

enum ember_db {
	EMBER_DB_META = 0,      /* string key -> bytes (tip, genesis hash, ...) */
	EMBER_DB_BLOCKS,        /* be64 height -> block encoding */
	EMBER_DB_CERTS,         /* be64 height -> commit certificate encoding */
	EMBER_DB_BLOCK_INDEX,   /* block hash -> be64 height */
	EMBER_DB_TX_INDEX,      /* txid -> be64 height || le32 index in block */
	EMBER_DB_ACCOUNTS,      /* pubkey -> account (see state.h) */
	EMBER_DB_PROVIDERS,     /* owner pubkey -> provider (market.h) */
	EMBER_DB_ORDERS,        /* be64 order id -> order */
	EMBER_DB_BIDS,          /* be64 order id || provider -> bid */
	EMBER_DB_LEASES,        /* be64 lease id -> lease */
	EMBER_DB_STAKES,        /* account pubkey -> stake and reward accrual */
	EMBER_DB_UNBONDING,     /* account || be64 release height -> le64 amount */
	EMBER_DB_CHALLENGES,    /* reserved for the GPU-proof issue */
	EMBER_DB_PARAMS,        /* "E" || be64 epoch -> epoch record */
	EMBER_DB_INDEX,         /* secondary indexes, 1-byte prefix (market.h) */
	EMBER_DB_HISTORY,       /* account || be64 height || be32 index -> tx (history.h) */
	EMBER_DB_COUNT
};

struct ember_store;
struct ember_txn;

/*
 * Open (creating if needed) the environment in directory dir, which must
 * exist, lock it for this process (ember_store_lock) and replay the
 * write-ahead log.  mapsize 0 means the default (1 GiB); tests pass small
 * sizes to exercise growth.  A data file that is empty, or shorter than
 * the pages its meta page counts (truncated), is refused before any page
 * is read (it would otherwise be a new ledger, or a SIGBUS).
 * Returns: 0, EMBER_STORE_LMDB, EMBER_STORE_DAMAGED, EMBER_STORE_LOCKED,
 * EMBER_EIO, EMBER_ENOMEM.
 * The caller owns *out and releases it with ember_store_close().
 */
EMBER_WUR int ember_store_open(struct ember_store **out, const char *dir,
                               size_t mapsize);
/* Flush what is pending, then close.  NULL is a no-op. */
void ember_store_close(struct ember_store *s);

/* Write every pending commit into LMDB now (no txn of this thread may be
 * open).  Returns: 0, EMBER_STORE_DISK_FULL, EMBER_STORE_MAP_FULL,
 * EMBER_STORE_LMDB, EMBER_ENOMEM, EMBER_EIO. */
EMBER_WUR int ember_store_flush(struct ember_store *s);

/* Flush when pending changes pass bytes, or when the oldest pending
 * commit is max_age_ms old (0: no age limit).  bytes 0 flushes at every
 * commit (LMDB per commit, as without the cache). */
void ember_store_set_cache(struct ember_store *s, size_t bytes,
                           unsigned max_age_ms);

struct ember_store_stats {
	uint64_t committed_seq;     /* commits so far (this ledger's count) */
	uint64_t flushed_seq;       /* of them, written into LMDB */
	uint64_t pending_commits;   /* committed - flushed */
	uint64_t pending_bytes;     /* memory they hold */
	uint64_t held_bytes;        /* with flushed runs readers still pin */
	uint64_t cache_bytes;       /* the flush threshold */
	uint64_t wal_bytes;         /* size of the log */
	uint64_t flushes;           /* since open */
	uint64_t last_flush_keys;   /* keys the last flush wrote */
	uint64_t last_flush_ms;     /* how long it took */
	uint64_t map_grows;         /* LMDB map growths since open */
};
void ember_store_stats(struct ember_store *s, struct ember_store_stats *out);

/*
 * Lock the ledger for this process: an exclusive flock on the LMDB data
 * file itself, which cannot be removed without removing the ledger (a
 * separate LOCK file can be deleted, letting a second node in).  Held
 * until ember_store_close().  Returns: 0, EMBER_STORE_LOCKED (another
 * process holds it), EMBER_EIO.
 */
EMBER_WUR int ember_store_lock(struct ember_store *s);

/* Current map size in bytes. */
size_t ember_store_mapsize(const struct ember_store *s);
/* Double the map.  No transaction of this thread may be open.  Blocks until
 * open readers finish.  Returns: 0, EMBER_STORE_MAP_FULL. */
EMBER_WUR int ember_store_grow(struct ember_store *s);

/* Begin a read-only transaction (any thread).  End it with
 * ember_txn_abort().  Returns: 0, EMBER_STORE_LMDB, EMBER_ENOMEM. */
EMBER_WUR int ember_store_read(struct ember_store *s, struct ember_txn **out);
/* Begin the write transaction: one at a time (a second waits until the
 * first ends; it may end on another thread).  Its puts go to memory and
 * its reads see them.  Returns: 0, EMBER_STORE_LMDB, EMBER_ENOMEM. */
EMBER_WUR int ember_store_write(struct ember_store *s, struct ember_txn **out);
/*
 * Begin an overlay transaction (any thread): a read transaction whose puts
 * and deletes are kept in memory, seen by its own gets, walks and counts,
 * and dropped when it ends with ember_txn_abort() (commit refuses it with
 * EMBER_EINVAL).  It never takes LMDB's write lock, so a dry run of a
 * block's worth of txs can run beside the block writer.  Values returned
 * by its gets stay valid until the transaction ends.
 * Returns: 0, EMBER_STORE_LMDB, EMBER_ENOMEM.
 */
EMBER_WUR int ember_store_overlay(struct ember_store *s, struct ember_txn **out);
/* Commit (write txn: durable on return, see above) and free; on a read
 * txn the same as abort.  Returns: 0, EMBER_STORE_DISK_FULL, EMBER_EIO,
 * EMBER_ENOMEM, EMBER_EINVAL (an overlay).  The txn is freed either way. */
EMBER_WUR int ember_txn_commit(struct ember_txn *t);
/* Abort and free; for read txns this is the normal end. NULL is a no-op. */
void ember_txn_abort(struct ember_txn *t);

/* Returns: 0 (found; *val and *vlen set), EMBER_ENOTFOUND, EMBER_STORE_LMDB. */
EMBER_WUR int ember_store_get(struct ember_txn *t, enum ember_db db,
                              const void *key, size_t klen, const void **val,
                              size_t *vlen);
/* Returns: 0, EMBER_EINVAL (read txn), EMBER_ENOMEM. */
EMBER_WUR int ember_store_put(struct ember_txn *t, enum ember_db db,
                              const void *key, size_t klen, const void *val,
                              size_t vlen);
/* Same, but refuse a key that is already stored (MDB_NOOVERWRITE).
 * Returns: as ember_store_put, and EMBER_STORE_EXISTS. */
EMBER_WUR int ember_store_put_new(struct ember_txn *t, enum ember_db db,
                                  const void *key, size_t klen,
                                  const void *val, size_t vlen);
/* Put a key above every key of db (height-ordered keys; their pages fill
 * left to right at the flush).  Returns: as ember_store_put, and
 * EMBER_STORE_EXISTS when a key >= it is stored. */
EMBER_WUR int ember_store_append(struct ember_txn *t, enum ember_db db,
                                 const void *key, size_t klen,
                                 const void *val, size_t vlen);
/* Returns: 0 (deleted or absent), EMBER_EINVAL (read txn), EMBER_ENOMEM. */
EMBER_WUR int ember_store_del(struct ember_txn *t, enum ember_db db,
                              const void *key, size_t klen);

/*
 * Visit entries of db in key order starting at the first key >= start
 * (start NULL: from the beginning).  cb returns 0 to continue, 1 to stop
 * early (not an error), negative to abort with that code.
 * Returns: 0, the callback's negative code, EMBER_STORE_LMDB.
 */
typedef int (*ember_store_iter_cb)(void *ctx, const void *key, size_t klen,
                                   const void *val, size_t vlen);
EMBER_WUR int ember_store_iter(struct ember_txn *t, enum ember_db db,
                               const void *start, size_t slen,
                               ember_store_iter_cb cb, void *ctx);
/* Same, in descending key order, from the last key <= start (NULL: end). */
EMBER_WUR int ember_store_iter_rev(struct ember_txn *t, enum ember_db db,
                                   const void *start, size_t slen,
                                   ember_store_iter_cb cb, void *ctx);

/* Number of entries in db. */
EMBER_WUR int ember_store_count(struct ember_txn *t, enum ember_db db,
                                uint64_t *out);

#endif
