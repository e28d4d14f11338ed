/*
 * store_txn.h - the ledger's and a transaction's state, shared by the
 * files of the store (store.c: open, transactions, reads, writes and
 * flushes; store_walk.c: walks and counts).  Used by chain/store*.c only.
 */
#ifndef EMBER_STORE_TXN_H
#define EMBER_STORE_TXN_H

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ember/store.h"
#include "store_mem.h"

#define STORE_META_SEQ "store_seq"   /* le64: last commit flushed into LMDB */

struct store_wal;

/* Active readers that began when the flushed seq was f: the runs above f
 * must outlive them. */
struct store_pin {
	uint64_t f;
	unsigned n;
};

/* Write-once dbs kept as sorted runs (store_runs.h), by their run name. */
extern const char *const store_runs_name[EMBER_DB_COUNT];

struct ember_store {
	MDB_env *env;
	MDB_dbi dbi[EMBER_DB_COUNT];
	_Atomic size_t mapsize;
	pthread_mutex_t gate_mu;
	pthread_cond_t gate_cv;
	unsigned readers;       /* open read txns */
	int resizing;           /* set while set_mapsize runs or waits */

	/* The write-back layer.  mu guards writing, flushed and pins; the
	 * writer flag plays LMDB's write lock (one write txn at a time) and
	 * may be released on another thread. */
	struct store_pend pend;
	struct store_pool pool; /* spare arena chunks (store_mem.h) */
	struct store_wal *wal;  /* owned */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int writing;
	_Atomic uint64_t committed;     /* seq of the last commit */
	_Atomic uint64_t grows;         /* map growths since open */
	uint64_t flushed;       /* seq of the last commit in LMDB */
	struct store_pin *pins;
	size_t npins, cappins;
	size_t cache_bytes;     /* flush when pending bytes pass this */
	unsigned max_age_ms;    /* or when the oldest unflushed commit is older */
	uint64_t first_unflushed_ms;    /* when the oldest unflushed commit landed */
	struct ember_store_stats st;    /* under mu; store_stats_update */
	int flush_err_logged;
	char dir[4096];
};

struct ember_txn {
	MDB_txn *txn;           /* LMDB read txn: the state up to f */
	struct ember_store *s;  /* not owned */
	int write;              /* holds the writer flag */
	uint64_t r;             /* sees commits <= r */
	uint64_t f;             /* LMDB holds commits <= f (pinned) */
	struct store_ov *ov;    /* own changes; write and overlay txns */
	struct store_ov **runs; /* walk sources: runs in (f, r], newest first */
	size_t nruns;
	int have_runs;
};

/* Every LMDB failure is logged where it happens, by this, and nowhere
 * else.  Returns EMBER_STORE_LMDB. */
int store_lmdb_err(const char *what, int rc);

#endif
