/*
 * store.h - the ledger on LMDB.  The only module that includes lmdb.h.
 *
 * One environment (a directory), named databases per object kind (enum
 * ember_db).  Exactly one write transaction per block; any number of
 * read-only transactions on any thread, which never block the writer (MVCC).
 *
 * Map growth: a put that hits MDB_MAP_FULL returns EMBER_STORE_MAP_FULL.
 * The writer then aborts its transaction, calls ember_store_grow() (doubles
 * the map; waits until no read transaction of this process is open, since
 * mdb_env_set_mapsize requires that) and redoes the block.  Readers that see
 * MDB_MAP_RESIZED adopt the new size transparently.
 *
 * Durability: commits are synchronous (no MDB_NOSYNC), so after
 * ember_txn_commit() returns, a kill -9 or power loss keeps the block.
 * A full disk is EMBER_STORE_DISK_FULL from a put or the commit: nothing
 * of the txn is kept, and the same work succeeds once space is back.
 *
 * Memory returned by get/iter points into the map and is valid only until
 * the transaction ends (LMDB's rule); copy what must outlive it.
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
 * exist.  mapsize 0 means the default (1 GiB); tests pass small sizes to
 * exercise growth.  A data file that is empty, or shorter than the pages
 * its meta page counts (truncated), is refused before any page is read
 * (it would otherwise be a new ledger, or a SIGBUS).
 * Returns: 0, EMBER_STORE_LMDB, EMBER_STORE_DAMAGED, EMBER_ENOMEM.
 * The caller owns *out and releases it with ember_store_close().
 */
EMBER_WUR int ember_store_open(struct ember_store **out, const char *dir,
                               size_t mapsize);
void ember_store_close(struct ember_store *s);

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
/* Begin the write transaction (one at a time; the block applier's thread).
 * Returns: 0, EMBER_STORE_LMDB, EMBER_ENOMEM. */
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
/* Commit (write txn) and free.  Returns: 0, EMBER_STORE_LMDB,
 * EMBER_STORE_MAP_FULL.  The txn is freed either way. */
EMBER_WUR int ember_txn_commit(struct ember_txn *t);
/* Abort and free; for read txns this is the normal end. NULL is a no-op. */
void ember_txn_abort(struct ember_txn *t);

/* Returns: 0 (found; *val and *vlen set), EMBER_ENOTFOUND, EMBER_STORE_LMDB. */
EMBER_WUR int ember_store_get(struct ember_txn *t, enum ember_db db,
                              const void *key, size_t klen, const void **val,
                              size_t *vlen);
/* Returns: 0, EMBER_STORE_MAP_FULL, EMBER_STORE_LMDB, EMBER_EINVAL (read txn),
 * EMBER_ENOMEM (overlay). */
EMBER_WUR int ember_store_put(struct ember_txn *t, enum ember_db db,
                              const void *key, size_t klen, const void *val,
                              size_t vlen);
/* Same, but refuse a key that is already stored (MDB_NOOVERWRITE).
 * Returns: as ember_store_put, and EMBER_STORE_EXISTS. */
EMBER_WUR int ember_store_put_new(struct ember_txn *t, enum ember_db db,
                                  const void *key, size_t klen,
                                  const void *val, size_t vlen);
/* Put a key above every key of db (MDB_APPEND: no tree search, pages
 * filled left to right, for height-ordered keys).  Returns: as
 * ember_store_put, and EMBER_STORE_EXISTS when a key >= it is stored. */
EMBER_WUR int ember_store_append(struct ember_txn *t, enum ember_db db,
                                 const void *key, size_t klen,
                                 const void *val, size_t vlen);
/* Returns: 0 (deleted or absent), EMBER_STORE_MAP_FULL, EMBER_STORE_LMDB. */
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
