/*
 * store_internal.h - the in-memory write layer of an overlay transaction
 * (store.h, ember_store_overlay).  Used by store.c only.
 *
 * An overlay is a sorted array of (db, key) -> value-or-deletion, in
 * LMDB's default key order (bytewise, a prefix first), so a walk can merge
 * it with a cursor.  Values are copied in and never freed before the
 * overlay is: a pointer returned by a get stays valid until the
 * transaction ends, even if the key is written again (stricter than LMDB's
 * own rule, so code written against LMDB is safe on an overlay).
 *
 * Why it exists: a dry run of a tx (admission checks against the
 * committed state plus the sender's pending txs) must write to see its own
 * effects, but must not take LMDB's single write lock, which belongs to
 * the block writer and cannot be taken on a reader thread.  The same layer
 * is the starting point for keeping several blocks of state in memory
 * between LMDB flushes (the state-at-scale work).
 */
#ifndef EMBER_STORE_INTERNAL_H
#define EMBER_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

struct store_ov_entry {
	uint8_t db;
	uint8_t present;        /* 0: deleted in the overlay */
	uint16_t klen;
	const uint8_t *key;     /* owned by the overlay */
	const uint8_t *val;     /* owned by the overlay; NULL when deleted */
	size_t vlen;
};

struct store_overlay;

/* Returns NULL when out of memory. */
struct store_overlay *store_ov_new(void);
void store_ov_free(struct store_overlay *ov);

/* Record a put (present 1) or delete (present 0).  Returns 0 or
 * EMBER_ENOMEM (the overlay is then unchanged). */
int store_ov_set(struct store_overlay *ov, uint8_t db, const void *key,
                 size_t klen, int present, const void *val, size_t vlen);

/* The entry for (db, key), or NULL when the overlay has not touched it. */
const struct store_ov_entry *store_ov_get(const struct store_overlay *ov,
                                          uint8_t db, const void *key,
                                          size_t klen);

/* Number of entries (touched keys, all dbs) and the i-th in order. */
size_t store_ov_count(const struct store_overlay *ov);
const struct store_ov_entry *store_ov_at(const struct store_overlay *ov,
                                         size_t i);

/*
 * Position in db's run: the index of the first entry with key >= key
 * (key NULL: the first entry of db); the run of db is [lo, hi) as
 * returned in *hi.  Used to merge a walk with an LMDB cursor.
 */
size_t store_ov_lower(const struct store_overlay *ov, uint8_t db,
                      const void *key, size_t klen, size_t *hi);
/* Index just past the last entry of db with key <= key (key NULL: past
 * the last entry of db); *lo gets the start of db's run. */
size_t store_ov_upper(const struct store_overlay *ov, uint8_t db,
                      const void *key, size_t klen, size_t *lo);

/* LMDB's default order on keys: bytewise, a prefix first. */
int store_key_cmp(const void *a, size_t alen, const void *b, size_t blen);

#endif
