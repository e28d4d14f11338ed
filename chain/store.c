/*
 * store.c - store.h on LMDB.  With store_runs.c the only files that
 * include lmdb.h.
 *
 * Writes are buffered (store_mem.h): a write txn collects its changes in
 * memory; its commit appends them to the write-ahead log (store_wal.h,
 * fdatasync'd) and links them into the pending map; a flush writes the
 * pending map into LMDB in one sorted txn.  Why, and what it costs, is in
 * store.h.
 *
 * Map growth needs "no transaction active in this process" while
 * mdb_env_set_mapsize() runs.  Read transactions therefore pass a gate: a
 * counter of open readers plus a "resizing" flag under one mutex.  The gate
 * plays the part of a reader/writer lock, but unlike pthread_rwlock it may
 * be released by a thread other than the one that entered it (MDB_NOTLS
 * read txns may be ended on any thread) and it prefers the resizer, so a
 * steady stream of readers cannot starve growth.  The write transaction
 * does not pass the gate: only the writer's own thread grows the map, and
 * it does so with no transaction open.
 */
#include "ember/store.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "ember/codec.h"
#include "store_mem.h"
#include "store_runs.h"
#include "store_txn.h"
#include "store_wal.h"

#define STORE_DEFAULT_MAPSIZE ((size_t)1 << 30)
#define STORE_DEFAULT_CACHE ((size_t)256 << 20)
#define STORE_DEFAULT_AGE_MS 30000u
#define STORE_POOL_CHUNKS 64        /* MiB of spare arena kept (store_mem.h) */

_Static_assert(EMBER_DB_COUNT <= STORE_NDB, "store_mem.h holds STORE_NDB dbs");

/* Named databases, indexed by enum ember_db. */
static const char *const store_db_names[EMBER_DB_COUNT] = {
	[EMBER_DB_META] = "meta",
	[EMBER_DB_BLOCKS] = "blocks",
	[EMBER_DB_CERTS] = "certs",
	[EMBER_DB_BLOCK_INDEX] = "block_index",
	[EMBER_DB_TX_INDEX] = "tx_runs",
	[EMBER_DB_ACCOUNTS] = "accounts",
	[EMBER_DB_PROVIDERS] = "providers",
	[EMBER_DB_ORDERS] = "orders",
	[EMBER_DB_BIDS] = "bids",
	[EMBER_DB_LEASES] = "leases",
	[EMBER_DB_STAKES] = "stakes",
	[EMBER_DB_UNBONDING] = "unbonding",
	[EMBER_DB_CHALLENGES] = "challenges",
	[EMBER_DB_PARAMS] = "params",
	[EMBER_DB_INDEX] = "index",
	[EMBER_DB_HISTORY] = "history",
};

const char *const store_runs_name[EMBER_DB_COUNT] = {
	[EMBER_DB_TX_INDEX] = "tx_index",
};
/* Where the txid index lived before runs: moved at open. */
#define STORE_OLD_TX_INDEX "tx_index"

/* Every LMDB failure is logged here, where it happens, and nowhere else. */
int store_lmdb_err(const char *what, int rc)
{
	fprintf(stderr, "store: %s: %s\n", what, mdb_strerror(rc));
	return EMBER_STORE_LMDB;
}

/* A full map (or a txn with too many dirty pages) is not an error to log:
 * the writer aborts, grows and redoes the block. */
static int store_map_err(const char *what, int rc)
{
	if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL)
		return EMBER_STORE_MAP_FULL;
	/* No space is the operator's to fix: the caller says so once and
	 * retries; logging it here would repeat it every block. */
	if (rc == ENOSPC || rc == EDQUOT || rc == EFBIG)
		return EMBER_STORE_DISK_FULL;
	return store_lmdb_err(what, rc);
}

/*
 * Is the data file whole?  LMDB maps the file and trusts its meta page:
 * a file cut shorter than the meta page's last page makes the first read
 * of a missing page a SIGBUS, and an empty file is taken for a new
 * ledger.  Both are refused here, before any page is read.  (LMDB checks
 * the meta pages themselves at open.)
 */
static int store_check_size(MDB_env *env, const char *dir)
{
	MDB_envinfo info;
	MDB_stat st;
	struct stat fst;
	mdb_filehandle_t fd;
	unsigned long long need;

	if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &st) != 0 ||
	    mdb_env_get_fd(env, &fd) != 0 || fstat(fd, &fst) != 0)
		return EMBER_STORE_LMDB;
	need = ((unsigned long long)info.me_last_pgno + 1) * st.ms_psize;
	if ((unsigned long long)fst.st_size < need) {
		fprintf(stderr, "store: ledger file '%s/data.mdb' is %lld bytes but its "
		        "pages end at %llu: the file was truncated\n", dir,
		        (long long)fst.st_size, need);
		return EMBER_STORE_DAMAGED;
	}
	return 0;
}

static void store_gate_enter(struct ember_store *s)
{
	pthread_mutex_lock(&s->gate_mu);
	while (s->resizing)
		pthread_cond_wait(&s->gate_cv, &s->gate_mu);
	s->readers++;
	pthread_mutex_unlock(&s->gate_mu);
}

static void store_gate_leave(struct ember_store *s)
{
	pthread_mutex_lock(&s->gate_mu);
	if (--s->readers == 0)
		pthread_cond_broadcast(&s->gate_cv);
	pthread_mutex_unlock(&s->gate_mu);
}

/*
 * Set the map size with no reader open (newsize 0 adopts the size another
 * process grew the map to).  Returns the LMDB code.
 */
static int store_resize(struct ember_store *s, size_t newsize)
{
	int rc;
	MDB_envinfo info;

	pthread_mutex_lock(&s->gate_mu);
	while (s->resizing)     /* someone else is at it; take our turn after */
		pthread_cond_wait(&s->gate_cv, &s->gate_mu);
	s->resizing = 1;
	while (s->readers > 0)
		pthread_cond_wait(&s->gate_cv, &s->gate_mu);
	rc = mdb_env_set_mapsize(s->env, newsize);
	if (rc == 0 && mdb_env_info(s->env, &info) == 0)
		atomic_store(&s->mapsize, info.me_mapsize);
	s->resizing = 0;
	pthread_cond_broadcast(&s->gate_cv);
	pthread_mutex_unlock(&s->gate_mu);
	return rc;
}

static uint64_t store_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- reader pins ---- */

static int store_pin(struct ember_store *s, uint64_t *f)
{
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	*f = s->flushed;
	if (s->npins && s->pins[s->npins - 1].f == *f) {
		s->pins[s->npins - 1].n++;
	} else {
		if (s->npins == s->cappins) {
			size_t ncap = s->cappins ? s->cappins * 2 : 8;
			void *np = realloc(s->pins, ncap * sizeof(*s->pins));
			if (!np) {
				rc = EMBER_ENOMEM;
				goto out;
			}
			s->pins = np;
			s->cappins = ncap;
		}
		/* flushed only grows, so pins stay in ascending order. */
		s->pins[s->npins].f = *f;
		s->pins[s->npins].n = 1;
		s->npins++;
	}
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void store_unpin(struct ember_store *s, uint64_t f)
{
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->npins; i++)
		if (s->pins[i].f == f) {
			if (--s->pins[i].n == 0) {
				memmove(&s->pins[i], &s->pins[i + 1],
				        (s->npins - i - 1) * sizeof(*s->pins));
				s->npins--;
			}
			break;
		}
	pthread_mutex_unlock(&s->mu);
}

/* Free the runs that are in LMDB and that no open txn can reach.
 * Writer only. */
static void store_prune(struct ember_store *s)
{
	uint64_t upto;
	pthread_mutex_lock(&s->mu);
	upto = s->flushed;
	if (s->npins && s->pins[0].f < upto)
		upto = s->pins[0].f;
	pthread_mutex_unlock(&s->mu);
	store_pend_prune(&s->pend, upto);
}

/* Refresh the stats snapshot.  Writer only. */
static void store_stats_update(struct ember_store *s)
{
	pthread_mutex_lock(&s->mu);
	s->st.committed_seq = atomic_load(&s->committed);
	s->st.flushed_seq = s->flushed;
	s->st.pending_commits = s->st.committed_seq - s->flushed;
	s->st.pending_bytes = s->pend.unflushed_bytes;
	s->st.held_bytes = s->pend.bytes;
	s->st.wal_bytes = s->wal ? store_wal_size(s->wal) : 0;
	s->st.cache_bytes = s->cache_bytes;
	pthread_mutex_unlock(&s->mu);
}

/* ---- flush ---- */

/*
 * Write ents[0..n) (sorted by db and key: each db's keys land in order,
 * so LMDB touches each page once, store_ents_sort) and the flushed seq into LMDB in one
 * synchronous txn, growing the map as needed.  No txn of this thread may
 * be open (growth waits for readers).  Returns 0, EMBER_STORE_DISK_FULL,
 * EMBER_STORE_MAP_FULL, EMBER_STORE_LMDB.
 */
static int store_write_lmdb(struct ember_store *s, struct store_ent *const *ents,
                            size_t n, uint64_t seq)
{
	for (;;) {
		MDB_txn *w;
		MDB_cursor *cur = NULL;
		int cur_db = -1;
		uint8_t sb[8];
		MDB_val k, v;
		int rc;

		if ((rc = mdb_txn_begin(s->env, NULL, 0, &w)) != 0) {
			if (rc == MDB_MAP_RESIZED && (rc = store_resize(s, 0)) == 0)
				continue;
			return store_lmdb_err("begin flush txn", rc);
		}
		/* One cursor per db: a put next to the previous one finds its
		 * page without a walk from the root (LMDB checks the cursor's
		 * page first), and the keys come sorted. */
		for (size_t i = 0; i < n && rc == 0; i++) {
			const struct store_ent *e = ents[i];
			if (store_runs_name[e->db]) {
				/* A write-once db: its keys, one sorted run. */
				size_t j = i;
				while (j < n && ents[j]->db == e->db)
					j++;
				rc = store_runs_write(w, s->dbi[EMBER_DB_META],
				                      s->dbi[e->db], store_runs_name[e->db],
				                      ents + i, j - i);
				i = j - 1;
				continue;
			}
			if (!cur || cur_db != e->db) {
				if (cur)
					mdb_cursor_close(cur);
				cur = NULL;
				cur_db = e->db;
				if ((rc = mdb_cursor_open(w, s->dbi[e->db], &cur)) != 0)
					break;
			}
			k.mv_size = e->klen;
			k.mv_data = (void *)e->key;
			if (e->present) {
				v.mv_size = e->vlen;
				v.mv_data = (void *)e->val;
				rc = mdb_cursor_put(cur, &k, &v, 0);
			} else if ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET)) == 0) {
				rc = mdb_cursor_del(cur, 0);
			} else if (rc == MDB_NOTFOUND) {
				rc = 0;
			}
		}
		if (cur)
			mdb_cursor_close(cur);
		cur = NULL;
		ember_le64_put(sb, seq);
		k.mv_size = sizeof(STORE_META_SEQ) - 1;
		k.mv_data = (void *)STORE_META_SEQ;
		v.mv_size = 8;
		v.mv_data = sb;
		if (rc == 0)
			rc = mdb_put(w, s->dbi[EMBER_DB_META], &k, &v, 0);
		if (rc == 0)
			rc = mdb_txn_commit(w);
		else
			mdb_txn_abort(w);
		if (rc == 0)
			return 0;
		rc = store_map_err("flush", rc);
		if (rc != EMBER_STORE_MAP_FULL || ember_store_grow(s) != 0)
			return rc;
	}
}

/* Flush every pending commit into LMDB.  Writer only, with no txn of this
 * thread open.  On failure nothing is lost: the log still holds it. */
static int store_flush_locked(struct ember_store *s)
{
	uint64_t upto = atomic_load(&s->committed), t0 = store_now_ms();
	struct store_ent **ents;
	size_t n = 0;
	int rc;

	if (upto == s->flushed)
		return 0;
	/* The newest version of every key committed since the last flush
	 * (the writer is the only one that changes the map: no lock). */
	if (!(ents = malloc((s->pend.nkeys ? s->pend.nkeys : 1) * sizeof(*ents))))
		return EMBER_ENOMEM;
	for (size_t i = 0; i < s->pend.tabcap; i++) {
		struct store_ent *e = s->pend.tab[i].e;
		if (e && e->seq > s->flushed)
			ents[n++] = e;
	}
	if ((rc = store_ents_sort(ents, n)) == 0)
		rc = store_write_lmdb(s, ents, n, upto);
	free(ents);
	if (rc) {
		if (!s->flush_err_logged)
			fprintf(stderr, "store: cannot write %llu pending commits into "
			        "the ledger (%s); they stay in the log and are "
			        "retried\n", (unsigned long long)(upto - s->flushed),
			        ember_strerror(rc));
		s->flush_err_logged = 1;
		return rc;
	}
	s->flush_err_logged = 0;
	pthread_mutex_lock(&s->mu);
	s->flushed = upto;
	s->st.flushes++;
	s->st.last_flush_keys = n;
	s->st.last_flush_ms = store_now_ms() - t0;
	pthread_mutex_unlock(&s->mu);
	s->pend.unflushed_bytes = 0;
	s->first_unflushed_ms = 0;
	/* LMDB has it all, durably: the log may start over.  A crash before
	 * the reset only replays records the seq says to skip. */
	rc = store_wal_reset(s->wal, upto + 1);
	store_prune(s);
	store_stats_update(s);
	return rc;
}

static void store_writer_enter(struct ember_store *s)
{
	pthread_mutex_lock(&s->mu);
	while (s->writing)
		pthread_cond_wait(&s->cv, &s->mu);
	s->writing = 1;
	pthread_mutex_unlock(&s->mu);
}

static void store_writer_leave(struct ember_store *s)
{
	pthread_mutex_lock(&s->mu);
	s->writing = 0;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int ember_store_flush(struct ember_store *s)
{
	int rc;
	if (!s)
		return EMBER_EINVAL;
	store_writer_enter(s);
	rc = store_flush_locked(s);
	store_writer_leave(s);
	return rc;
}

void ember_store_set_cache(struct ember_store *s, size_t bytes,
                           unsigned max_age_ms)
{
	if (!s)
		return;
	store_writer_enter(s);
	s->cache_bytes = bytes;
	s->max_age_ms = max_age_ms;
	store_stats_update(s);
	store_writer_leave(s);
}

void ember_store_stats(struct ember_store *s, struct ember_store_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	/* A snapshot the writer refreshes after each commit and flush: a
	 * scrape never waits for a flush. */
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	pthread_mutex_unlock(&s->mu);
	out->map_grows = atomic_load(&s->grows);
}

/* ---- open: replay the log ---- */

struct replay {
	struct store_ov *ov;    /* newest value per key over all records */
	uint64_t records;
};

static int replay_cb(void *ctx, uint64_t seq, const struct store_wal_ent *ents,
                     size_t n)
{
	struct replay *r = ctx;
	(void)seq;
	for (size_t i = 0; i < n; i++) {
		int rc = store_ov_set(r->ov, ents[i].db, ents[i].key, ents[i].klen,
		                      ents[i].present, ents[i].val, ents[i].vlen);
		if (rc)
			return rc;
	}
	r->records++;
	return 0;
}

static int store_read_seq(struct ember_store *s, uint64_t *seq)
{
	MDB_txn *t;
	MDB_val k = { sizeof(STORE_META_SEQ) - 1, (void *)STORE_META_SEQ }, v;
	int rc;

	*seq = 0;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t)) != 0)
		return store_lmdb_err("begin read txn", rc);
	rc = mdb_get(t, s->dbi[EMBER_DB_META], &k, &v);
	if (rc == 0 && v.mv_size == 8) {
		*seq = ember_le64_get(v.mv_data);
	} else if (rc == 0 || rc != MDB_NOTFOUND) {
		mdb_txn_abort(t);
		if (rc == 0) {
			fprintf(stderr, "store: ledger '%s': the flushed seq is %zu "
			        "bytes, not 8\n", s->dir, v.mv_size);
			return EMBER_STORE_DAMAGED;
		}
		return store_lmdb_err("get flushed seq", rc);
	}
	mdb_txn_abort(t);
	return 0;
}

/*
 * Bring LMDB up to the last commit: read the flushed seq, replay the log's
 * later records into one change set and write it into LMDB, then empty
 * the log.  A commit acknowledged before a crash is therefore in LMDB
 * before anything reads the ledger.
 */
static int store_recover(struct ember_store *s)
{
	struct replay r = { 0 };
	uint64_t last;
	char err[512] = "";
	int rc;

	if ((rc = store_read_seq(s, &s->flushed)))
		return rc;
	if (!(r.ov = store_ov_new(&s->pool)))
		return EMBER_ENOMEM;
	rc = store_wal_open(&s->wal, s->dir, s->flushed, replay_cb, &r, &last,
	                    err, sizeof(err));
	if (rc) {
		store_ov_free(r.ov);
		if (err[0])
			fprintf(stderr, "store: %s\n", err);
		return rc;
	}
	if (r.records) {
		struct store_ent **ents = malloc(r.ov->nkeys * sizeof(*ents));
		size_t n = 0;
		if (!ents) {
			store_ov_free(r.ov);
			return EMBER_ENOMEM;
		}
		for (int d = 0; d < STORE_NDB; d++)
			for (size_t i = 0; i < r.ov->db[d].n; i++)
				ents[n++] = r.ov->db[d].e[i];
		if ((rc = store_ents_sort(ents, n)) == 0)
			rc = store_write_lmdb(s, ents, n, last);
		free(ents);
		if (rc == 0) {
			fprintf(stderr, "store: replayed %llu commits (%zu keys) from "
			        "the write-ahead log into the ledger\n",
			        (unsigned long long)r.records, n);
			s->flushed = last;
			rc = store_wal_reset(s->wal, last + 1);
		}
	}
	store_ov_free(r.ov);
	atomic_store(&s->committed, s->flushed);
	store_stats_update(s);
	return rc;
}

/* A ledger from before the txid index was kept as runs: move its index
 * into one run (in the txn that opens the databases). */
static int store_import_old(struct ember_store *s, MDB_txn *txn)
{
	MDB_dbi old;
	uint64_t moved;
	int rc = mdb_dbi_open(txn, STORE_OLD_TX_INDEX, 0, &old);

	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return store_lmdb_err("open the old txid index", rc);
	rc = store_runs_import(txn, s->dbi[EMBER_DB_META], s->dbi[EMBER_DB_TX_INDEX],
	                       store_runs_name[EMBER_DB_TX_INDEX], old, &moved);
	if (rc)
		return store_lmdb_err("move the old txid index into runs", rc);
	if (moved)
		fprintf(stderr, "store: moved %llu txid index entries into the run "
		        "layout\n", (unsigned long long)moved);
	return 0;
}

int ember_store_open(struct ember_store **out, const char *dir, size_t mapsize)
{
	struct ember_store *s;
	MDB_txn *txn;
	MDB_envinfo info;
	int rc;

	if (!out || !dir)
		return EMBER_EINVAL;
	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return EMBER_ENOMEM;
	pthread_mutex_init(&s->gate_mu, NULL);
	pthread_cond_init(&s->gate_cv, NULL);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (store_pend_init(&s->pend)) {
		free(s);
		return EMBER_ENOMEM;
	}
	if (store_pool_init(&s->pool, STORE_POOL_CHUNKS)) {
		store_pend_destroy(&s->pend);
		free(s);
		return EMBER_ENOMEM;
	}
	s->cache_bytes = STORE_DEFAULT_CACHE;
	s->max_age_ms = STORE_DEFAULT_AGE_MS;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);

	if ((rc = mdb_env_create(&s->env)) != 0) {
		s->env = NULL;
		store_lmdb_err("create environment", rc);
		goto fail;
	}
	if ((rc = mdb_env_set_maxdbs(s->env, EMBER_DB_COUNT + 1)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, mapsize ? mapsize
	                                              : STORE_DEFAULT_MAPSIZE)) != 0) {
		store_lmdb_err("configure environment", rc);
		goto fail;
	}
	{
		char path[4200];
		struct stat fst;
		snprintf(path, sizeof(path), "%s/data.mdb", dir);
		if (stat(path, &fst) == 0 && fst.st_size == 0) {
			fprintf(stderr, "store: ledger file '%s' is empty: it was "
			        "truncated, or created by a start that died at once\n", path);
			ember_store_close(s);
			return EMBER_STORE_DAMAGED;
		}
	}
	if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600)) != 0) {
		fprintf(stderr, "store: cannot open '%s': %s\n", dir,
		        mdb_strerror(rc));
		goto fail;
	}
	if ((rc = store_check_size(s->env, dir)) != 0) {
		ember_store_close(s);
		return rc;
	}
	/* The size in effect may exceed the request (existing data, or a
	 * larger size recorded in the file). */
	if ((rc = mdb_env_info(s->env, &info)) != 0) {
		store_lmdb_err("environment info", rc);
		goto fail;
	}
	atomic_store(&s->mapsize, info.me_mapsize);

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
		store_lmdb_err("begin txn to open databases", rc);
		goto fail;
	}
	for (int i = 0; i < EMBER_DB_COUNT; i++) {
		rc = mdb_dbi_open(txn, store_db_names[i], MDB_CREATE, &s->dbi[i]);
		if (rc != 0) {
			mdb_txn_abort(txn);
			fprintf(stderr, "store: cannot open database '%s': %s\n",
			        store_db_names[i], mdb_strerror(rc));
			goto fail;
		}
	}
	if ((rc = store_import_old(s, txn)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		store_lmdb_err("commit database handles", rc);
		goto fail;
	}
	/* The log belongs to one process: replaying it twice at once would
	 * interleave.  Take the ledger's lock before touching it. */
	if ((rc = ember_store_lock(s)) != 0 || (rc = store_recover(s)) != 0) {
		ember_store_close(s);
		return rc;
	}
	*out = s;
	return 0;

fail:
	ember_store_close(s);
	return EMBER_STORE_LMDB;
}

void ember_store_close(struct ember_store *s)
{
	if (!s)
		return;
	/* A clean stop leaves nothing to replay; if the flush fails the log
	 * still has it all. */
	if (s->wal && atomic_load(&s->committed) != s->flushed &&
	    ember_store_flush(s) != 0)
		fprintf(stderr, "store: closing with commits still in the log; "
		        "the next open replays them\n");
	store_wal_close(s->wal);
	store_pend_destroy(&s->pend);
	store_pool_destroy(&s->pool);
	if (s->env)
		mdb_env_close(s->env);
	free(s->pins);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->gate_cv);
	pthread_mutex_destroy(&s->gate_mu);
	free(s);
}

int ember_store_lock(struct ember_store *s)
{
	mdb_filehandle_t fd;

	if (!s || mdb_env_get_fd(s->env, &fd) != 0)
		return EMBER_EINVAL;
	/* flock is per open file description: LMDB's own fcntl locks on
	 * lock.mdb are untouched, and the lock ends with the env's fd.
	 * Taking it again on the same description is a no-op. */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		return errno == EWOULDBLOCK ? EMBER_STORE_LOCKED : EMBER_EIO;
	return 0;
}

size_t ember_store_mapsize(const struct ember_store *s)
{
	return atomic_load(&((struct ember_store *)s)->mapsize);
}

int ember_store_grow(struct ember_store *s)
{
	size_t cur, next;
	int rc;

	if (!s)
		return EMBER_EINVAL;
	cur = atomic_load(&s->mapsize);
	if (cur > SIZE_MAX / 2)
		return EMBER_STORE_MAP_FULL;
	next = cur * 2;
	rc = store_resize(s, next);
	if (rc == 0)
		atomic_fetch_add(&s->grows, 1);
	if (rc != 0) {
		fprintf(stderr, "store: cannot grow map to %zu bytes: %s\n",
		        next, mdb_strerror(rc));
		return EMBER_STORE_MAP_FULL;
	}
	return 0;
}

/* ---- transactions ---- */

enum { TXN_READ, TXN_OVERLAY, TXN_WRITE };

/* Open t's LMDB read txn through the gate.  MAP_RESIZED: another process
 * grew the map; adopt and retry (bounded against ping-pong). */
static int store_lmdb_read(struct ember_store *s, MDB_txn **out)
{
	int rc;
	for (int tries = 0;; tries++) {
		store_gate_enter(s);
		rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, out);
		if (rc == 0)
			return 0;
		store_gate_leave(s);
		if (rc == MDB_MAP_RESIZED && tries < 8 &&
		    (rc = store_resize(s, 0)) == 0)
			continue;
		return store_lmdb_err("begin read txn", rc);
	}
}

static int store_begin(struct ember_store *s, int kind, struct ember_txn **out)
{
	struct ember_txn *t;
	int rc;

	if (!s || !out)
		return EMBER_EINVAL;
	*out = NULL;
	if (!(t = calloc(1, sizeof(*t))))
		return EMBER_ENOMEM;
	t->s = s;
	if (kind != TXN_READ && !(t->ov = store_ov_new(&s->pool))) {
		free(t);
		return EMBER_ENOMEM;
	}
	if (kind == TXN_WRITE) {
		store_writer_enter(s);
		t->write = 1;
	}
	/* Pin first, then the LMDB snapshot: a flush in between only makes
	 * the snapshot newer than the pin, which is safe (store_mem.h). */
	if ((rc = store_pin(s, &t->f)) == 0) {
		if ((rc = store_lmdb_read(s, &t->txn)) == 0) {
			t->r = atomic_load(&s->committed);
			*out = t;
			return 0;
		}
		store_unpin(s, t->f);
	}
	if (t->write)
		store_writer_leave(s);
	store_ov_free(t->ov);
	free(t);
	return rc;
}

int ember_store_read(struct ember_store *s, struct ember_txn **out)
{
	return store_begin(s, TXN_READ, out);
}

int ember_store_write(struct ember_store *s, struct ember_txn **out)
{
	return store_begin(s, TXN_WRITE, out);
}

int ember_store_overlay(struct ember_store *s, struct ember_txn **out)
{
	return store_begin(s, TXN_OVERLAY, out);
}

/* End t's LMDB read txn and its pin (t's memory stays). */
static void store_txn_end(struct ember_txn *t)
{
	if (t->txn) {
		mdb_txn_abort(t->txn);
		store_gate_leave(t->s);
		store_unpin(t->s, t->f);
		t->txn = NULL;
	}
}

void ember_txn_abort(struct ember_txn *t)
{
	if (!t)
		return;
	store_txn_end(t);
	if (t->write)
		store_writer_leave(t->s);
	store_ov_free(t->ov);
	free(t->runs);
	free(t);
}

/* Is a flush due after a commit? */
static int store_flush_due(struct ember_store *s)
{
	if (s->pend.unflushed_bytes >= s->cache_bytes)
		return 1;
	return s->max_age_ms && s->first_unflushed_ms &&
	       store_now_ms() - s->first_unflushed_ms >= s->max_age_ms;
}

/*
 * Commit a write txn: log it (durable once this returns 0), link it into
 * the pending map, and flush when the cache is full or old.  A failed
 * flush does not fail the commit: the log holds it.
 */
static int store_commit_write(struct ember_txn *t)
{
	struct ember_store *s = t->s;
	struct store_ov *ov = t->ov;
	struct store_wal_ent *ents;
	uint64_t seq = atomic_load(&s->committed) + 1;
	size_t n = 0;
	int rc;

	if (!ov->nkeys) {
		ember_txn_abort(t);
		return 0;
	}
	/* Room in the map first, so the commit cannot fail once logged. */
	if (!(ents = malloc(ov->nkeys * sizeof(*ents))) ||
	    (rc = store_pend_reserve(&s->pend, ov->nkeys)) != 0) {
		free(ents);
		ember_txn_abort(t);
		return EMBER_ENOMEM;
	}
	for (int d = 0; d < STORE_NDB; d++)
		for (size_t i = 0; i < ov->db[d].n; i++) {
			const struct store_ent *e = ov->db[d].e[i];
			ents[n].db = e->db;
			ents[n].present = e->present;
			ents[n].klen = e->klen;
			ents[n].vlen = e->vlen;
			ents[n].key = e->key;
			ents[n].val = e->val;
			n++;
		}
	rc = store_wal_append(s->wal, seq, ents, n);
	free(ents);
	if (rc) {
		ember_txn_abort(t);
		return rc;
	}
	store_txn_end(t);
	store_ov_freeze(ov, seq);
	store_pend_publish(&s->pend, ov);
	t->ov = NULL;
	atomic_store(&s->committed, seq);
	if (!s->first_unflushed_ms)
		s->first_unflushed_ms = store_now_ms();
	if (store_flush_due(s))
		(void)store_flush_locked(s);
	else
		store_prune(s);
	store_stats_update(s);
	ember_txn_abort(t);
	return 0;
}

int ember_txn_commit(struct ember_txn *t)
{
	int overlay;

	if (!t)
		return EMBER_EINVAL;
	if (t->write)
		return store_commit_write(t);
	/* An overlay has nothing to commit: its writes are a dry run. */
	overlay = t->ov != NULL;
	ember_txn_abort(t);
	return overlay ? EMBER_EINVAL : 0;
}

/* ---- reads and writes ---- */

static int store_args_ok(const struct ember_txn *t, enum ember_db db,
                         const void *key, size_t klen)
{
	return t && t->txn && (unsigned)db < EMBER_DB_COUNT && key && klen > 0 &&
	       klen <= (size_t)mdb_env_get_maxkeysize(t->s->env);
}

/*
 * The newest version of (db, key) that t sees in memory: its own change
 * set, then the pending map.  Returns 1 with *e set (a deletion when
 * !(*e)->present), or 0 when LMDB has the answer.
 */
static int store_mem_get(struct ember_txn *t, uint8_t db, const void *key,
                         size_t klen, const struct store_ent **e)
{
	uint64_t h;

	if (!(t->ov && t->ov->nkeys) && t->r == t->f)
		return 0;
	h = store_hash(db, key, klen);
	if (t->ov && (*e = store_ov_get(t->ov, db, key, klen, h)))
		return 1;
	if (t->r == t->f)
		return 0;
	/* The writer is the only thread that changes the map: it reads it
	 * without the lock; everyone else takes the read side. */
	if (t->write) {
		*e = store_pend_get(&t->s->pend, db, key, klen, h, t->r);
	} else {
		pthread_rwlock_rdlock(&t->s->pend.lock);
		*e = store_pend_get(&t->s->pend, db, key, klen, h, t->r);
		pthread_rwlock_unlock(&t->s->pend.lock);
	}
	/* At or below f, LMDB holds that version (or a newer one <= f,
	 * which cannot exist: *e is the newest <= r). */
	return *e && (*e)->seq > t->f;
}

int ember_store_get(struct ember_txn *t, enum ember_db db, const void *key,
                    size_t klen, const void **val, size_t *vlen)
{
	const struct store_ent *e;
	MDB_val k = { klen, (void *)key }, v;
	int rc;

	if (!store_args_ok(t, db, key, klen) || !val || !vlen)
		return EMBER_EINVAL;
	if (store_mem_get(t, (uint8_t)db, key, klen, &e)) {
		if (!e->present)
			return EMBER_ENOTFOUND;
		*val = e->vlen ? e->val : (const void *)e->key;
		*vlen = e->vlen;
		return 0;
	}
	if (store_runs_name[db])
		rc = store_runs_get(t->txn, t->s->dbi[EMBER_DB_META], t->s->dbi[db],
		                    store_runs_name[db], key, klen, &v);
	else
		rc = mdb_get(t->txn, t->s->dbi[db], &k, &v);
	if (rc == MDB_NOTFOUND)
		return EMBER_ENOTFOUND;
	if (rc != 0)
		return store_lmdb_err("get", rc);
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 0;
}

static int store_last_key_cb(void *ctx, const void *key, size_t klen,
                             const void *val, size_t vlen)
{
	uint8_t *last = ctx;
	(void)val;
	(void)vlen;
	last[0] = 1;
	last[1] = (uint8_t)(klen >> 8);
	last[2] = (uint8_t)klen;
	memcpy(last + 3, key, klen);
	return 1;
}

int ember_store_put(struct ember_txn *t, enum ember_db db, const void *key,
                    size_t klen, const void *val, size_t vlen)
{
	if (!store_args_ok(t, db, key, klen) || !t->ov || (!val && vlen))
		return EMBER_EINVAL;
	return store_ov_set(t->ov, (uint8_t)db, key, klen, 1, val, vlen);
}

int ember_store_put_new(struct ember_txn *t, enum ember_db db, const void *key,
                        size_t klen, const void *val, size_t vlen)
{
	const void *v;
	size_t vl;
	int rc;

	if (!store_args_ok(t, db, key, klen) || !t->ov || (!val && vlen))
		return EMBER_EINVAL;
	rc = ember_store_get(t, db, key, klen, &v, &vl);
	if (rc == 0)
		return EMBER_STORE_EXISTS;
	if (rc != EMBER_ENOTFOUND)
		return rc;
	return store_ov_set(t->ov, (uint8_t)db, key, klen, 1, val, vlen);
}

int ember_store_append(struct ember_txn *t, enum ember_db db, const void *key,
                       size_t klen, const void *val, size_t vlen)
{
	uint8_t last[3 + 512] = { 0 };
	int rc;

	if (!store_args_ok(t, db, key, klen) || !t->ov || (!val && vlen) ||
	    store_runs_name[db])
		return EMBER_EINVAL;
	/* The order check MDB_APPEND made: the key must be above all. */
	if ((rc = ember_store_iter_rev(t, db, NULL, 0, store_last_key_cb, last)))
		return rc;
	if (last[0] && store_key_cmp(last + 3, ((size_t)last[1] << 8) | last[2],
	                             key, klen) >= 0)
		return EMBER_STORE_EXISTS;
	return store_ov_set(t->ov, (uint8_t)db, key, klen, 1, val, vlen);
}

int ember_store_del(struct ember_txn *t, enum ember_db db, const void *key,
                    size_t klen)
{
	/* A write-once db has no deletions (store_runs.h). */
	if (!store_args_ok(t, db, key, klen) || !t->ov || store_runs_name[db])
		return EMBER_EINVAL;
	return store_ov_set(t->ov, (uint8_t)db, key, klen, 0, NULL, 0);
}
