/*
 * store_runs.h - a write-once database kept as sorted runs in LMDB (a
 * small log-structured merge tree).  Used by store.c only; with store.c
 * the only file that includes lmdb.h.
 *
 * Why: the txid index is keyed by txids, which are random.  Put into one
 * B-tree, every flush dirties nearly every leaf page of the index, so a
 * flush costs the size of the whole history (measured: a 1,000,000-tx
 * index made each flush of 100,000 txs rewrite ~70 MiB).  Here a flush
 * appends its keys as a new run instead: key = be32 run id || key, ids
 * ascending, so the run is written with MDB_APPEND onto fresh, full
 * pages at the right edge of the tree.  When STORE_RUNS_FAN runs of one
 * level exist they are merged into one run of the next level (a k-way
 * merge, appended the same way, the sources deleted).  Each key is thus
 * rewritten once per level: O(log_FAN(history / flush)) writes per key,
 * whatever the history's length, instead of a page per key.
 *
 * Lookups try the runs newest first: at most (FAN - 1) per level plus
 * one (a handful of B-tree gets).  The list of runs lives in the meta db
 * under "runs:" NAME, written in the same LMDB txn as the runs, so every
 * reader's snapshot has a list that matches its runs.
 *
 * Write-once: a key put again goes to a newer run and wins lookups and
 * merges; deletions and walks are not supported (store.c refuses them).
 */
#ifndef EMBER_STORE_RUNS_H
#define EMBER_STORE_RUNS_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "store_mem.h"

#define STORE_RUNS_FAN 8
#define STORE_RUNS_MAX 64

struct store_run_info {
	uint32_t id;
	uint8_t level;
	uint64_t count;
};

struct store_runs {
	uint32_t next_id;
	size_t n;                               /* ascending id */
	struct store_run_info r[STORE_RUNS_MAX];
};

/* The run list of NAME as t sees it (none stored: empty).  Returns 0, an
 * LMDB code, or MDB_CORRUPTED (a list that does not decode). */
int store_runs_load(MDB_txn *t, MDB_dbi meta, const char *name,
                    struct store_runs *out);

/* Look key up in the runs, newest first.  Returns 0 (*val set, valid
 * until t ends), MDB_NOTFOUND, or an LMDB code. */
int store_runs_get(MDB_txn *t, MDB_dbi meta, MDB_dbi db, const char *name,
                   const void *key, size_t klen, MDB_val *val);

/* Append ents[0..n) (sorted, all present) as a new run of NAME, merge
 * levels that are full, and store the new list, in write txn w.
 * Returns 0 or an LMDB code (w is then to be aborted). */
int store_runs_write(MDB_txn *w, MDB_dbi meta, MDB_dbi db, const char *name,
                     struct store_ent *const *ents, size_t n);

/* Move every key of old (a plain db of the same keys, from before runs)
 * into one run of NAME and delete old from the ledger, in write txn w.
 * *moved gets how many.  Returns 0 or an LMDB code. */
#define STORE_RUNS_IMPORT_LEVEL 6
int store_runs_import(MDB_txn *w, MDB_dbi meta, MDB_dbi db, const char *name,
                      MDB_dbi old, uint64_t *moved);

#endif
