/*
 * store_mem.h - the in-memory layers of the ledger (store.h).  Used
 * by store.c only.
 *
 * Three layers answer a read, newest first:
 *
 *   1. the transaction's own change set (struct store_ov): what this txn
 *      has written and not committed;
 *   2. the pending map (struct store_pend): committed changes not yet
 *      flushed into LMDB, as versions per key, each tagged with the seq of
 *      the commit that wrote it, so a reader that began at seq R sees the
 *      newest version <= R (snapshot isolation, like LMDB's own MVCC);
 *   3. LMDB, which holds everything up to the last flush (flushed seq F).
 *
 * A commit turns its change set into a "run": the set is frozen (never
 * written again) and its entries are linked into the pending map as the
 * newest versions.  A flush writes the newest version of every pending
 * key into LMDB in one sorted write txn; afterwards the runs it covered
 * are freed once no reader that began before the flush can reach them.
 *
 * Entries and their values live in the change set's arena and never move
 * or change once the set is frozen (only `prev` is cut when the older
 * version is freed), so a pointer handed to a reader stays valid for as
 * long as the reader pins the run (until its txn ends).  Lookups are
 * hashes (SipHash from libsodium, keyed per process: keys are
 * attacker-chosen txids and pubkeys, so a fixed hash would let them be
 * made to collide); walks merge per-db arrays that are sorted on first
 * use, so a block that never walks a db pays nothing to order it.
 */
#ifndef EMBER_STORE_MEM_H
#define EMBER_STORE_MEM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_NDB 16            /* >= EMBER_DB_COUNT (checked in store.c) */

struct store_ent {
	struct store_ent *prev; /* next older committed version, or NULL */
	uint64_t seq;           /* commit that wrote it; 0 while its txn is open */
	uint64_t hash;          /* of (db, key) */
	const uint8_t *val;     /* arena memory; NULL when deleted or empty */
	uint32_t vlen;
	uint16_t klen;
	uint8_t db;
	uint8_t present;        /* 0: a deletion */
	uint8_t key[];
};

struct store_chunk;

/* A hash table slot: the hash beside the pointer, so a probe that misses
 * never touches the entry's cache line. */
struct store_slot {
	uint64_t h;
	struct store_ent *e;    /* NULL: empty */
};

/*
 * Spare arena chunks, kept for the next change sets instead of going back
 * to the system: a fresh chunk costs a page fault per 4 KiB on first
 * touch, and a node frees and takes a cache's worth per flush.  Shared by
 * the writer and overlay txns on reader threads: under mu.
 */
struct store_pool {
	pthread_mutex_t mu;
	struct store_chunk *free;
	size_t n, max;          /* chunks held, and the most it keeps */
};

int store_pool_init(struct store_pool *pool, size_t max_chunks);
void store_pool_destroy(struct store_pool *pool);

/* One db's entries of a change set, in insertion order until sorted. */
struct store_ov_db {
	struct store_ent **e;
	size_t n, cap;
	int sorted;             /* e[] is in key order (kept so by inserts) */
};

/* A change set: one txn's writes, then (frozen) one committed run. */
struct store_ov {
	struct store_chunk *chunks;     /* arena: every entry and value */
	struct store_pool *pool;        /* not owned; NULL: malloc and free */
	size_t chunk_used;              /* bytes used of chunks (the newest) */
	uint64_t bytes;                 /* arena bytes allocated, all chunks */
	struct store_slot *tab;         /* open addressing, linear probing */
	size_t tabcap, nkeys;
	struct store_ov_db db[STORE_NDB];
	uint64_t seq;                   /* once committed */
	int frozen;                     /* committed: shared, sorted under mu */
	pthread_mutex_t mu;
};

/* (db, key) -> 64-bit keyed hash. */
uint64_t store_hash(uint8_t db, const void *key, size_t klen);
/* LMDB's default order on keys: bytewise, a prefix first. */
int store_key_cmp(const void *a, size_t alen, const void *b, size_t blen);

/* Returns NULL when out of memory.  pool (may be NULL) must outlive it. */
struct store_ov *store_ov_new(struct store_pool *pool);
void store_ov_free(struct store_ov *ov);
/* Record a put (present 1) or delete (present 0).  Returns 0 or
 * EMBER_ENOMEM / EMBER_EINVAL (the set is then unchanged). */
int store_ov_set(struct store_ov *ov, uint8_t db, const void *key,
                 size_t klen, int present, const void *val, size_t vlen);
/* The entry for (db, key) with hash h, or NULL. */
struct store_ent *store_ov_get(const struct store_ov *ov, uint8_t db,
                               const void *key, size_t klen, uint64_t h);
/* Freeze after commit: from now on only store_ov_sorted() touches it. */
void store_ov_freeze(struct store_ov *ov, uint64_t seq);
/* db's entries in key order (sorting them on first use; thread-safe on a
 * frozen set).  *n gets the count.  Returns NULL when there are none or
 * when out of memory (then *n is 0 and the call returns NULL too: the
 * caller checks *err). */
struct store_ent **store_ov_sorted(struct store_ov *ov, uint8_t db,
                                   size_t *n, int *err);

/* Sort a[0..n) by (db, key): a radix sort on the first bytes, then a
 * comparison sort of each run that shares them.  Returns 0 or
 * EMBER_ENOMEM (a is then unchanged). */
int store_ents_sort(struct store_ent **a, size_t n);

/* Index of the first of a[0..n) with key >= key. */
size_t store_ents_lower(struct store_ent *const *a, size_t n,
                        const void *key, size_t klen);
/* Index just past the last of a[0..n) with key <= key. */
size_t store_ents_upper(struct store_ent *const *a, size_t n,
                        const void *key, size_t klen);

/*
 * The pending map.  One writer (the thread holding the store's write
 * lock) publishes, prunes and walks it for a flush; readers look up under
 * the read side of `lock` and copy the run list they need.
 */
struct store_pend {
	pthread_rwlock_t lock;
	struct store_slot *tab;         /* newest version per key */
	size_t tabcap, nkeys;
	struct store_ov **runs;         /* committed runs, ascending seq */
	size_t nruns, capruns;
	uint64_t bytes;                 /* arena bytes of all runs held */
	uint64_t unflushed_bytes;       /* of runs above the flushed seq */
};

int store_pend_init(struct store_pend *p);
void store_pend_destroy(struct store_pend *p);
/* Make room to publish a run of nkeys keys, so that store_pend_publish
 * cannot fail afterwards.  Returns 0 or EMBER_ENOMEM. */
int store_pend_reserve(struct store_pend *p, size_t nkeys);
/* Link frozen run ov (seq already set, above every held run) in as the
 * newest versions.  Takes ownership.  Room must have been reserved
 * (store_pend_reserve): it cannot fail. */
void store_pend_publish(struct store_pend *p, struct store_ov *ov);
/*
 * The version of (db, key) a reader sees: the newest with seq <= r.  NULL
 * when no such version is held (the reader then asks LMDB).  Call with
 * the read lock held (or as the writer).
 */
const struct store_ent *store_pend_get(const struct store_pend *p, uint8_t db,
                                       const void *key, size_t klen,
                                       uint64_t h, uint64_t r);
/* Free every run with seq <= upto (they are in LMDB and no reader can
 * reach them).  Writer only; takes the write lock. */
void store_pend_prune(struct store_pend *p, uint64_t upto);

#endif
