/*
 * store_walk.c - walks and counts over a transaction's three layers
 * (store_mem.h): its own changes, the runs of commits it sees, LMDB.
 */
#include <stdlib.h>
#include <string.h>

#include "store_runs.h"
#include "store_txn.h"

/* ---- walks ---- */

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

/* The committed runs t can see above LMDB, newest first, copied once per
 * txn (the map's run list moves; the runs themselves are pinned). */
static int store_walk_runs(struct ember_txn *t)
{
	struct store_pend *p = &t->s->pend;
	int rc = 0;

	if (t->have_runs || t->r == t->f)
		return 0;
	pthread_rwlock_rdlock(&p->lock);
	free(t->runs);
	t->runs = NULL;
	t->nruns = 0;
	if (p->nruns && !(t->runs = malloc(p->nruns * sizeof(*t->runs))))
		rc = EMBER_ENOMEM;
	for (size_t i = p->nruns; rc == 0 && i-- > 0;)
		if (p->runs[i]->seq <= t->r && p->runs[i]->seq > t->f)
			t->runs[t->nruns++] = p->runs[i];
	pthread_rwlock_unlock(&p->lock);
	t->have_runs = rc == 0;
	return rc;
}

/* One sorted source of a walk: a run's (or the txn's) entries of a db. */
struct walk_src {
	struct store_ent **a;
	size_t n, pos;          /* forward: a[pos] next; reverse: a[pos-1] */
};

static const struct store_ent *walk_head(const struct walk_src *w, int rev)
{
	if (rev)
		return w->pos > 0 ? w->a[w->pos - 1] : NULL;
	return w->pos < w->n ? w->a[w->pos] : NULL;
}

/* Place w at start (NULL: the very first or last). */
static void walk_seek(struct walk_src *w, const void *key, size_t klen, int rev)
{
	if (!key)
		w->pos = rev ? w->n : 0;
	else
		w->pos = rev ? store_ents_upper(w->a, w->n, key, klen)
		             : store_ents_lower(w->a, w->n, key, klen);
}

/* Place w just past key, in the walk's direction. */
static void walk_after(struct walk_src *w, const void *key, size_t klen, int rev)
{
	w->pos = rev ? store_ents_lower(w->a, w->n, key, klen)
	             : store_ents_upper(w->a, w->n, key, klen);
}

typedef int (*store_merge_cb)(void *ctx, const void *key, size_t klen,
                              const void *val, size_t vlen, int present,
                              int in_mem);

/*
 * The k-way merge behind iter, iter_rev and count: t's own changes, the
 * runs it sees (newest first) and, when with_lmdb, an LMDB cursor, in key
 * order; a key in several sources is taken from the newest.  cb sees
 * deletions too (present 0).  The txn's own set is re-sought after every
 * callback, because a callback may write to it (and move its entries);
 * the runs are frozen.
 */
static int store_merge(struct ember_txn *t, enum ember_db db, const void *start,
                       size_t slen, int rev, int with_lmdb, store_merge_cb cb,
                       void *ctx)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	MDB_cursor_op step = rev ? MDB_PREV : MDB_NEXT;
	struct walk_src own = { 0 }, *src = NULL;
	uint8_t last[512];
	size_t lastlen = 0, nsrc = 0;
	int rc = MDB_NOTFOUND, ret = 0, err;

	if (!t || !t->txn || (unsigned)db >= EMBER_DB_COUNT || !cb ||
	    (start && !slen) || slen > sizeof(last) ||
	    (with_lmdb && store_runs_name[db]))
		return EMBER_EINVAL;
	if ((ret = store_walk_runs(t)) != 0)
		return ret;
	if (t->nruns && !(src = calloc(t->nruns, sizeof(*src))))
		return EMBER_ENOMEM;
	for (size_t i = 0; i < t->nruns; i++) {
		struct walk_src *w = &src[nsrc];
		w->a = store_ov_sorted(t->runs[i], (uint8_t)db, &w->n, &err);
		if (err) {
			free(src);
			return EMBER_ENOMEM;
		}
		if (w->n) {
			walk_seek(w, start, slen, rev);
			nsrc++;
		}
	}
	if (t->ov) {
		own.a = store_ov_sorted(t->ov, (uint8_t)db, &own.n, &err);
		walk_seek(&own, start, slen, rev);
	}
	if (with_lmdb) {
		if ((rc = mdb_cursor_open(t->txn, t->s->dbi[db], &c)) != 0) {
			free(src);
			return store_lmdb_err("open cursor", rc);
		}
		rc = store_cursor_start(c, start, slen, rev, &k, &v);
	}
	for (;;) {
		const struct store_ent *best = walk_head(&own, rev), *e;
		int from_lmdb = 0, cmp;

		for (size_t i = 0; i < nsrc; i++)
			if ((e = walk_head(&src[i], rev)) &&
			    (!best || (cmp = store_key_cmp(e->key, e->klen, best->key,
			                                   best->klen),
			               rev ? cmp > 0 : cmp < 0)))
				best = e;
		if (rc == 0 && (!best ||
		    (cmp = store_key_cmp(k.mv_data, k.mv_size, best->key, best->klen),
		     rev ? cmp > 0 : cmp < 0)))
			from_lmdb = 1;
		if (!best && !from_lmdb)
			break;
		if (from_lmdb) {
			if (k.mv_size > sizeof(last)) {
				ret = EMBER_EINVAL;
				break;
			}
			memcpy(last, k.mv_data, k.mv_size);
			lastlen = k.mv_size;
			ret = cb(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size, 1, 0);
		} else {
			memcpy(last, best->key, best->klen);
			lastlen = best->klen;
			ret = cb(ctx, best->key, best->klen,
			         best->vlen ? best->val : best->key, best->vlen,
			         best->present, 1);
		}
		if (ret != 0)
			break;
		/* Step every source past the key just visited. */
		for (size_t i = 0; i < nsrc; i++)
			if ((e = walk_head(&src[i], rev)) &&
			    store_key_cmp(e->key, e->klen, last, lastlen) == 0)
				src[i].pos += rev ? (size_t)-1 : 1;
		if (rc == 0 && k.mv_size == lastlen &&
		    memcmp(k.mv_data, last, lastlen) == 0)
			rc = mdb_cursor_get(c, &k, &v, step);
		if (t->ov) {
			own.a = store_ov_sorted(t->ov, (uint8_t)db, &own.n, &err);
			walk_after(&own, last, lastlen, rev);
		}
	}
	if (c)
		mdb_cursor_close(c);
	free(src);
	if (ret != 0)
		return ret > 0 ? 0 : ret;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_err("cursor step", rc);
	return 0;
}

struct iter_ctx {
	ember_store_iter_cb cb;
	void *ctx;
};

static int store_iter_cb(void *ctx, const void *key, size_t klen,
                         const void *val, size_t vlen, int present, int in_mem)
{
	struct iter_ctx *ic = ctx;
	(void)in_mem;
	return present ? ic->cb(ic->ctx, key, klen, val, vlen) : 0;
}

int ember_store_iter(struct ember_txn *t, enum ember_db db, const void *start,
                     size_t slen, ember_store_iter_cb cb, void *ctx)
{
	struct iter_ctx ic = { cb, ctx };
	if (!cb)
		return EMBER_EINVAL;
	return store_merge(t, db, start, slen, 0, 1, store_iter_cb, &ic);
}

int ember_store_iter_rev(struct ember_txn *t, enum ember_db db,
                         const void *start, size_t slen,
                         ember_store_iter_cb cb, void *ctx)
{
	struct iter_ctx ic = { cb, ctx };
	if (!cb)
		return EMBER_EINVAL;
	return store_merge(t, db, start, slen, 1, 1, store_iter_cb, &ic);
}

struct count_ctx {
	struct ember_txn *t;
	enum ember_db db;
	MDB_dbi dbi;
	int64_t delta;
};

/* A key held in memory adds one when present and not in LMDB, and takes
 * one away when deleted and in LMDB. */
static int store_count_cb(void *ctx, const void *key, size_t klen,
                          const void *val, size_t vlen, int present, int in_mem)
{
	struct count_ctx *cc = ctx;
	MDB_val k = { klen, (void *)key }, v;
	int rc;
	(void)val;
	(void)vlen;
	(void)in_mem;
	if (store_runs_name[cc->db])
		rc = store_runs_get(cc->t->txn, cc->t->s->dbi[EMBER_DB_META], cc->dbi,
		                    store_runs_name[cc->db], key, klen, &v);
	else
		rc = mdb_get(cc->t->txn, cc->dbi, &k, &v);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_err("get", rc);
	if (present && rc == MDB_NOTFOUND)
		cc->delta++;
	else if (!present && rc == 0)
		cc->delta--;
	return 0;
}

int ember_store_count(struct ember_txn *t, enum ember_db db, uint64_t *out)
{
	struct count_ctx cc = { t, db, 0, 0 };
	MDB_stat st;
	int rc;

	if (!t || !t->txn || (unsigned)db >= EMBER_DB_COUNT || !out)
		return EMBER_EINVAL;
	if ((rc = mdb_stat(t->txn, t->s->dbi[db], &st)) != 0)
		return store_lmdb_err("stat", rc);
	if (store_runs_name[db]) {
		/* Runs hold each key once (write-once): their entries. */
		struct store_runs m;
		if ((rc = store_runs_load(t->txn, t->s->dbi[EMBER_DB_META],
		                          store_runs_name[db], &m)) != 0)
			return store_lmdb_err("load runs", rc);
		st.ms_entries = 0;
		for (size_t i = 0; i < m.n; i++)
			st.ms_entries += m.r[i].count;
	}
	cc.dbi = t->s->dbi[db];
	if ((rc = store_merge(t, db, NULL, 0, 0, 0, store_count_cb, &cc)))
		return rc;
	*out = (uint64_t)((int64_t)st.ms_entries + cc.delta);
	return 0;
}
