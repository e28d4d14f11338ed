/*
 * store.c - store.h on LMDB.  The only file that includes lmdb.h.
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

#include "store_internal.h"

#define STORE_DEFAULT_MAPSIZE ((size_t)1 << 30)

/* Named databases, indexed by enum ember_db. */
static const char *const store_db_names[EMBER_DB_COUNT] = {
	[EMBER_DB_META] = "meta",
	[EMBER_DB_BLOCKS] = "blocks",
	[EMBER_DB_CERTS] = "certs",
	[EMBER_DB_BLOCK_INDEX] = "block_index",
	[EMBER_DB_TX_INDEX] = "tx_index",
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

struct ember_store {
	MDB_env *env;
	MDB_dbi dbi[EMBER_DB_COUNT];
	_Atomic size_t mapsize;
	pthread_mutex_t gate_mu;
	pthread_cond_t gate_cv;
	unsigned readers;       /* open read txns */
	int resizing;           /* set while set_mapsize runs or waits */
};

struct ember_txn {
	MDB_txn *txn;
	struct ember_store *s;  /* not owned */
	int write;
	int failed;             /* latched EMBER_STORE_MAP_FULL: txn unusable */
	struct store_overlay *ov;  /* owned; overlay txns only (a read txn) */
};

/* Every LMDB failure is logged here, where it happens, and nowhere else. */
static int store_lmdb_err(const char *what, int rc)
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

	if ((rc = mdb_env_create(&s->env)) != 0) {
		s->env = NULL;
		store_lmdb_err("create environment", rc);
		goto fail;
	}
	if ((rc = mdb_env_set_maxdbs(s->env, EMBER_DB_COUNT)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, mapsize ? mapsize
	                                              : STORE_DEFAULT_MAPSIZE)) != 0) {
		store_lmdb_err("configure environment", rc);
		goto fail;
	}
	{
		char path[4096];
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
	if ((rc = mdb_txn_commit(txn)) != 0) {
		store_lmdb_err("commit database handles", rc);
		goto fail;
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
	if (s->env)
		mdb_env_close(s->env);
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
	 * lock.mdb are untouched, and the lock ends with the env's fd. */
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
	if (rc != 0) {
		fprintf(stderr, "store: cannot grow map to %zu bytes: %s\n",
		        next, mdb_strerror(rc));
		return EMBER_STORE_MAP_FULL;
	}
	return 0;
}

static int store_begin(struct ember_store *s, int write, struct ember_txn **out)
{
	struct ember_txn *t;
	int rc;

	if (!s || !out)
		return EMBER_EINVAL;
	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return EMBER_ENOMEM;
	t->s = s;
	t->write = write;
	/* MAP_RESIZED: another process grew the map; adopt and retry.  The
	 * bound only guards against a pathological ping-pong. */
	for (int tries = 0;; tries++) {
		if (!write)
			store_gate_enter(s);
		rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
		if (rc == 0)
			break;
		if (!write)
			store_gate_leave(s);
		if (rc == MDB_MAP_RESIZED && tries < 8 &&
		    (rc = store_resize(s, 0)) == 0)
			continue;
		free(t);
		return store_lmdb_err(write ? "begin write txn" : "begin read txn",
		                      rc);
	}
	*out = t;
	return 0;
}

int ember_store_read(struct ember_store *s, struct ember_txn **out)
{
	return store_begin(s, 0, out);
}

int ember_store_write(struct ember_store *s, struct ember_txn **out)
{
	return store_begin(s, 1, out);
}

int ember_store_overlay(struct ember_store *s, struct ember_txn **out)
{
	int rc = store_begin(s, 0, out);
	if (rc)
		return rc;
	if (!((*out)->ov = store_ov_new())) {
		ember_txn_abort(*out);
		*out = NULL;
		return EMBER_ENOMEM;
	}
	return 0;
}

/* Ends t (which must have been committed or aborted in LMDB) and frees it. */
static void store_txn_release(struct ember_txn *t)
{
	if (!t->write)
		store_gate_leave(t->s);
	store_ov_free(t->ov);
	free(t);
}

int ember_txn_commit(struct ember_txn *t)
{
	int rc;

	if (!t)
		return EMBER_EINVAL;
	if (t->ov) {
		/* An overlay has nothing to commit: its writes are a dry run. */
		ember_txn_abort(t);
		return EMBER_EINVAL;
	}
	if (t->failed) {
		rc = t->failed;
		mdb_txn_abort(t->txn);
		store_txn_release(t);
		return rc;
	}
	rc = mdb_txn_commit(t->txn);
	store_txn_release(t);
	return rc == 0 ? 0 : store_map_err("commit", rc);
}

void ember_txn_abort(struct ember_txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	store_txn_release(t);
}

static int store_args_ok(const struct ember_txn *t, enum ember_db db,
                         const void *key, size_t klen)
{
	return t && (unsigned)db < EMBER_DB_COUNT && key && klen > 0 &&
	       klen <= (size_t)mdb_env_get_maxkeysize(t->s->env);
}

int ember_store_get(struct ember_txn *t, enum ember_db db, const void *key,
                    size_t klen, const void **val, size_t *vlen)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc;

	if (!store_args_ok(t, db, key, klen) || !val || !vlen)
		return EMBER_EINVAL;
	if (t->failed)
		return t->failed;
	if (t->ov) {
		const struct store_ov_entry *e = store_ov_get(t->ov, (uint8_t)db, key, klen);
		if (e && !e->present)
			return EMBER_ENOTFOUND;
		if (e) {
			*val = e->val;
			*vlen = e->vlen;
			return 0;
		}
	}
	rc = mdb_get(t->txn, t->s->dbi[db], &k, &v);
	if (rc == MDB_NOTFOUND)
		return EMBER_ENOTFOUND;
	if (rc != 0)
		return store_lmdb_err("get", rc);
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 0;
}

/* put with LMDB flags (0, MDB_NOOVERWRITE, MDB_APPEND). */
static int store_put_flags(struct ember_txn *t, enum ember_db db,
                           const void *key, size_t klen, const void *val,
                           size_t vlen, unsigned flags)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc;

	if (!store_args_ok(t, db, key, klen) || !(t->write || t->ov) || (!val && vlen))
		return EMBER_EINVAL;
	if (t->ov) {
		if (flags && store_ov_get(t->ov, (uint8_t)db, key, klen))
			return EMBER_STORE_EXISTS;
		return store_ov_set(t->ov, (uint8_t)db, key, klen, 1, val, vlen);
	}
	if (t->failed)
		return t->failed;
	rc = mdb_put(t->txn, t->s->dbi[db], &k, &v, flags);
	if (rc == 0)
		return 0;
	if (rc == MDB_KEYEXIST)
		return EMBER_STORE_EXISTS;
	rc = store_map_err("put", rc);
	if (rc == EMBER_STORE_MAP_FULL)
		t->failed = rc;    /* LMDB has poisoned the txn */
	return rc;
}

int ember_store_put(struct ember_txn *t, enum ember_db db, const void *key,
                    size_t klen, const void *val, size_t vlen)
{
	return store_put_flags(t, db, key, klen, val, vlen, 0);
}

int ember_store_put_new(struct ember_txn *t, enum ember_db db, const void *key,
                        size_t klen, const void *val, size_t vlen)
{
	return store_put_flags(t, db, key, klen, val, vlen, MDB_NOOVERWRITE);
}

int ember_store_append(struct ember_txn *t, enum ember_db db, const void *key,
                       size_t klen, const void *val, size_t vlen)
{
	return store_put_flags(t, db, key, klen, val, vlen, MDB_APPEND);
}

int ember_store_del(struct ember_txn *t, enum ember_db db, const void *key,
                    size_t klen)
{
	MDB_val k = { klen, (void *)key };
	int rc;

	if (!store_args_ok(t, db, key, klen) || !(t->write || t->ov))
		return EMBER_EINVAL;
	if (t->ov)
		return store_ov_set(t->ov, (uint8_t)db, key, klen, 0, NULL, 0);
	if (t->failed)
		return t->failed;
	rc = mdb_del(t->txn, t->s->dbi[db], &k, NULL);
	if (rc == 0 || rc == MDB_NOTFOUND)
		return 0;
	rc = store_map_err("del", rc);
	if (rc == EMBER_STORE_MAP_FULL)
		t->failed = rc;
	return rc;
}

/* Position a cursor for a walk: the first key >= start (forward) or the
 * last key <= start (reverse); start NULL: the first or last key. */
static int store_cursor_start(MDB_cursor *c, const void *start, size_t slen,
                              int rev, MDB_val *k, MDB_val *v)
{
	int rc;
	if (!start)
		return mdb_cursor_get(c, k, v, rev ? MDB_LAST : MDB_FIRST);
	k->mv_size = slen;
	k->mv_data = (void *)start;
	rc = mdb_cursor_get(c, k, v, MDB_SET_RANGE);
	if (rev) {
		/* SET_RANGE gives the first key >= start; reverse wants the
		 * last key <= start. */
		if (rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(c, k, v, MDB_LAST);
		else if (rc == 0 && (k->mv_size != slen ||
		                     memcmp(k->mv_data, start, slen) != 0))
			rc = mdb_cursor_get(c, k, v, MDB_PREV);
	}
	return rc;
}

/*
 * The overlay's next candidate for a walk after the key last (NULL: from
 * start): forward, the first entry of db above last; reverse, one past
 * the last entry below it.  Recomputed after every callback, because a
 * callback may write to the overlay and move its entries.
 */
static size_t store_ov_next(const struct store_overlay *ov, uint8_t db,
                            const void *key, size_t klen, int rev, int after,
                            size_t *bound)
{
	size_t lo, hi, i = store_ov_lower(ov, db, key, klen, &hi);
	store_ov_upper(ov, db, NULL, 0, &lo);
	if (!rev) {
		*bound = hi;
		return after && key ? store_ov_upper(ov, db, key, klen, &lo) : i;
	}
	*bound = lo;
	if (after)
		return i;   /* entries before the first >= key are below it */
	return key ? store_ov_upper(ov, db, key, klen, &lo) : hi;
}

/*
 * Shared walk for iter and iter_rev: position the cursor, then step with
 * MDB_NEXT or MDB_PREV until the end, the callback stops, or an error.  On
 * an overlay txn the overlay's entries of db are merged in key order: an
 * overlay entry hides the stored one with its key, and a deletion hides
 * it altogether.
 */
static int store_walk(struct ember_txn *t, enum ember_db db, const void *start,
                      size_t slen, int rev, ember_store_iter_cb cb, void *ctx)
{
	MDB_cursor *c;
	MDB_val k, v;
	MDB_cursor_op step = rev ? MDB_PREV : MDB_NEXT;
	uint8_t last[512];
	size_t lastlen = 0, oi = 0, ob = 0;
	int rc, ret = 0;

	if (!t || (unsigned)db >= EMBER_DB_COUNT || !cb || (start && !slen))
		return EMBER_EINVAL;
	if (t->failed)
		return t->failed;
	if ((rc = mdb_cursor_open(t->txn, t->s->dbi[db], &c)) != 0)
		return store_lmdb_err("open cursor", rc);
	rc = store_cursor_start(c, start, slen, rev, &k, &v);
	if (t->ov)
		oi = store_ov_next(t->ov, (uint8_t)db, start, slen, rev, 0, &ob);
	for (;;) {
		const struct store_ov_entry *e = NULL;
		int have_c = rc == 0, cmp;
		if (t->ov && (rev ? oi > ob : oi < ob))
			e = store_ov_at(t->ov, rev ? oi - 1 : oi);
		if (!have_c && !e)
			break;
		if (!e)
			cmp = rev ? -1 : 1;        /* take the cursor's key */
		else if (!have_c)
			cmp = rev ? 1 : -1;        /* take the overlay's */
		else
			cmp = store_key_cmp(e->key, e->klen, k.mv_data, k.mv_size);
		if (rev ? cmp < 0 : cmp > 0) {
			/* The stored key comes first and the overlay leaves it. */
			if (t->ov) {
				if (k.mv_size > sizeof(last)) {
					ret = EMBER_EINVAL;
					break;
				}
				memcpy(last, k.mv_data, k.mv_size);
				lastlen = k.mv_size;
			}
			ret = cb(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
			if (ret != 0)
				break;
			rc = mdb_cursor_get(c, &k, &v, step);
			if (t->ov)
				oi = store_ov_next(t->ov, (uint8_t)db, last, lastlen,
				                   rev, 1, &ob);
			continue;
		}
		/* The overlay's key comes first, or hides the stored one. */
		if (e->klen > sizeof(last)) {
			ret = EMBER_EINVAL;
			break;
		}
		memcpy(last, e->key, e->klen);
		lastlen = e->klen;
		if (e->present)
			ret = cb(ctx, e->key, e->klen, e->val, e->vlen);
		if (ret != 0)
			break;
		if (cmp == 0)
			rc = mdb_cursor_get(c, &k, &v, step);
		oi = store_ov_next(t->ov, (uint8_t)db, last, lastlen, rev, 1, &ob);
	}
	mdb_cursor_close(c);
	if (ret != 0)
		return ret > 0 ? 0 : ret;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_err("cursor step", rc);
	return 0;
}

int ember_store_iter(struct ember_txn *t, enum ember_db db, const void *start,
                     size_t slen, ember_store_iter_cb cb, void *ctx)
{
	return store_walk(t, db, start, slen, 0, cb, ctx);
}

int ember_store_iter_rev(struct ember_txn *t, enum ember_db db,
                         const void *start, size_t slen,
                         ember_store_iter_cb cb, void *ctx)
{
	return store_walk(t, db, start, slen, 1, cb, ctx);
}

int ember_store_count(struct ember_txn *t, enum ember_db db, uint64_t *out)
{
	MDB_stat st;
	int rc;

	if (!t || (unsigned)db >= EMBER_DB_COUNT || !out)
		return EMBER_EINVAL;
	if (t->failed)
		return t->failed;
	if ((rc = mdb_stat(t->txn, t->s->dbi[db], &st)) != 0)
		return store_lmdb_err("stat", rc);
	*out = st.ms_entries;
	if (t->ov) {
		/* Adjust by the overlay's entries of db that add or hide keys. */
		size_t hi, i = store_ov_lower(t->ov, (uint8_t)db, NULL, 0, &hi);
		for (; i < hi; i++) {
			const struct store_ov_entry *e = store_ov_at(t->ov, i);
			MDB_val k = { e->klen, (void *)e->key }, v;
			int stored = mdb_get(t->txn, t->s->dbi[db], &k, &v);
			if (stored != 0 && stored != MDB_NOTFOUND)
				return store_lmdb_err("get", stored);
			if (e->present && stored == MDB_NOTFOUND)
				(*out)++;
			else if (!e->present && stored == 0)
				(*out)--;
		}
	}
	return 0;
}
