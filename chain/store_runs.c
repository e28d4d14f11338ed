/*
 * store_runs.c - write-once databases as sorted runs (store_runs.h).
 *
 * The run list is encoded in the meta db as
 *   le32 next_id | le32 n | n x (le32 id | u8 level | le64 count)
 * and every change to runs rewrites it in the same txn.
 */
#include "store_runs.h"

#include "ember/codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_REC 13
#define RUN_KEY_MAX 511         /* LMDB's default key limit */

static void runs_meta_key(const char *name, char *buf, size_t cap, MDB_val *k)
{
	int n = snprintf(buf, cap, "runs:%s", name);
	k->mv_size = n > 0 && (size_t)n < cap ? (size_t)n : 0;
	k->mv_data = buf;
}

int store_runs_load(MDB_txn *t, MDB_dbi meta, const char *name,
                    struct store_runs *out)
{
	char kb[64];
	MDB_val k, v;
	const uint8_t *p;
	int rc;

	memset(out, 0, sizeof(*out));
	out->next_id = 1;
	runs_meta_key(name, kb, sizeof(kb), &k);
	if ((rc = mdb_get(t, meta, &k, &v)) == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	p = v.mv_data;
	if (v.mv_size < 8 || ember_le32_get(p + 4) > STORE_RUNS_MAX ||
	    v.mv_size != 8 + (size_t)ember_le32_get(p + 4) * RUN_REC)
		return MDB_CORRUPTED;
	out->next_id = ember_le32_get(p);
	out->n = ember_le32_get(p + 4);
	for (size_t i = 0; i < out->n; i++) {
		const uint8_t *r = p + 8 + i * RUN_REC;
		out->r[i].id = ember_le32_get(r);
		out->r[i].level = r[4];
		out->r[i].count = ember_le64_get(r + 5);
		if (out->r[i].id >= out->next_id || (i && out->r[i].id <= out->r[i - 1].id))
			return MDB_CORRUPTED;
	}
	return 0;
}

static int runs_save(MDB_txn *w, MDB_dbi meta, const char *name,
                     const struct store_runs *m)
{
	uint8_t buf[8 + STORE_RUNS_MAX * RUN_REC];
	char kb[64];
	MDB_val k, v;

	ember_le32_put(buf, m->next_id);
	ember_le32_put(buf + 4, (uint32_t)m->n);
	for (size_t i = 0; i < m->n; i++) {
		uint8_t *r = buf + 8 + i * RUN_REC;
		ember_le32_put(r, m->r[i].id);
		r[4] = m->r[i].level;
		ember_le64_put(r + 5, m->r[i].count);
	}
	runs_meta_key(name, kb, sizeof(kb), &k);
	v.mv_size = 8 + m->n * RUN_REC;
	v.mv_data = buf;
	return mdb_put(w, meta, &k, &v, 0);
}

static void run_key(uint8_t *out, uint32_t id, const void *key, size_t klen)
{
	ember_be32_put(out, id);
	if (klen)
		memcpy(out + 4, key, klen);
}

static int in_run(const MDB_val *k, uint32_t id)
{
	uint8_t p[4];
	run_key(p, id, NULL, 0);
	return k->mv_size >= 4 && memcmp(k->mv_data, p, 4) == 0;
}

int store_runs_get(MDB_txn *t, MDB_dbi meta, MDB_dbi db, const char *name,
                   const void *key, size_t klen, MDB_val *val)
{
	struct store_runs m;
	uint8_t kb[RUN_KEY_MAX];
	MDB_val k = { klen + 4, kb };
	int rc;

	if (klen + 4 > sizeof(kb))
		return MDB_BAD_VALSIZE;
	if ((rc = store_runs_load(t, meta, name, &m)))
		return rc;
	for (size_t i = m.n; i-- > 0;) {
		run_key(kb, m.r[i].id, key, klen);
		if ((rc = mdb_get(t, db, &k, val)) != MDB_NOTFOUND)
			return rc;
	}
	return MDB_NOTFOUND;
}

/* One source of a merge: a cursor over one run. */
struct merge_src {
	MDB_cursor *c;
	uint32_t id;
	MDB_val k, v;
	int live;
};

static void src_step(struct merge_src *s, MDB_cursor_op op)
{
	s->live = mdb_cursor_get(s->c, &s->k, &s->v, op) == 0 && in_run(&s->k, s->id);
}

/* The keys as stored, without their run ids. */
static int src_cmp(const struct merge_src *a, const struct merge_src *b)
{
	return store_key_cmp((const uint8_t *)a->k.mv_data + 4, a->k.mv_size - 4,
	                     (const uint8_t *)b->k.mv_data + 4, b->k.mv_size - 4);
}

/* Delete every key of run id. */
static int run_drop(MDB_txn *w, MDB_dbi db, uint32_t id)
{
	MDB_cursor *c;
	uint8_t p[4];
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(w, db, &c)))
		return rc;
	run_key(p, id, NULL, 0);
	for (;;) {
		k.mv_size = 4;
		k.mv_data = p;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND || (rc == 0 && !in_run(&k, id))) {
			rc = 0;
			break;
		}
		if (rc || (rc = mdb_cursor_del(c, 0)))
			break;
	}
	mdb_cursor_close(c);
	return rc;
}

/*
 * Merge the runs of level into one run of level + 1 with a new id: a
 * k-way merge where, among equal keys, the newest run (highest id) wins.
 * The keys and values are copied out before each append, since the
 * append may move the pages a read cursor points into.
 */
static int runs_merge(MDB_txn *w, MDB_dbi db, struct store_runs *m,
                      uint8_t level)
{
	struct merge_src src[STORE_RUNS_FAN];
	size_t ns = 0, keep = 0, cap = 0;
	uint32_t nid = m->next_id;
	uint64_t count = 0;
	uint8_t kb[RUN_KEY_MAX], *vb = NULL;
	MDB_cursor *out = NULL;
	int rc = 0;

	for (size_t i = 0; i < m->n && ns < STORE_RUNS_FAN; i++)
		if (m->r[i].level == level) {
			uint8_t p[4];
			struct merge_src *s = &src[ns];
			s->id = m->r[i].id;
			if ((rc = mdb_cursor_open(w, db, &s->c)))
				goto out;
			ns++;
			run_key(p, s->id, NULL, 0);
			s->k.mv_size = 4;
			s->k.mv_data = p;
			src_step(s, MDB_SET_RANGE);
		}
	if ((rc = mdb_cursor_open(w, db, &out)))
		goto out;
	for (;;) {
		struct merge_src *best = NULL;
		MDB_val k, v;
		for (size_t i = 0; i < ns; i++) {
			int c;
			if (!src[i].live)
				continue;
			if (!best || (c = src_cmp(&src[i], best)) < 0 ||
			    (c == 0 && src[i].id > best->id))
				best = &src[i];
		}
		if (!best)
			break;
		if (best->k.mv_size > sizeof(kb)) {
			rc = MDB_BAD_VALSIZE;
			goto out;
		}
		if (best->v.mv_size > cap) {
			uint8_t *nb = realloc(vb, best->v.mv_size);
			if (!nb) {
				rc = ENOMEM;
				goto out;
			}
			vb = nb;
			cap = best->v.mv_size;
		}
		run_key(kb, nid, (const uint8_t *)best->k.mv_data + 4,
		        best->k.mv_size - 4);
		k.mv_size = best->k.mv_size;
		k.mv_data = kb;
		memcpy(vb, best->v.mv_data, best->v.mv_size);
		v.mv_size = best->v.mv_size;
		v.mv_data = vb;
		/* Step every source past this key, then write it. */
		for (size_t i = 0; i < ns; i++)
			if (&src[i] != best && src[i].live && src_cmp(&src[i], best) == 0)
				src_step(&src[i], MDB_NEXT);
		src_step(best, MDB_NEXT);
		if ((rc = mdb_cursor_put(out, &k, &v, MDB_APPEND)))
			goto out;
		count++;
	}
	for (size_t i = 0; i < ns; i++) {
		mdb_cursor_close(src[i].c);
		src[i].c = NULL;
	}
	for (size_t i = 0; i < ns; i++)
		if ((rc = run_drop(w, db, src[i].id)))
			goto out;
	/* The list without the sources, and the new run last (newest id). */
	for (size_t i = 0; i < m->n; i++)
		if (m->r[i].level != level)
			m->r[keep++] = m->r[i];
	m->n = keep;
	m->r[m->n].id = nid;
	m->r[m->n].level = (uint8_t)(level + 1);
	m->r[m->n].count = count;
	m->n++;
	m->next_id = nid + 1;
out:
	for (size_t i = 0; i < ns; i++)
		if (src[i].c)
			mdb_cursor_close(src[i].c);
	if (out)
		mdb_cursor_close(out);
	free(vb);
	return rc;
}

int store_runs_write(MDB_txn *w, MDB_dbi meta, MDB_dbi db, const char *name,
                     struct store_ent *const *ents, size_t n)
{
	struct store_runs m;
	uint8_t kb[RUN_KEY_MAX];
	MDB_cursor *c;
	uint32_t id;
	int rc;

	if (!n)
		return 0;
	if ((rc = store_runs_load(w, meta, name, &m)))
		return rc;
	if (m.n >= STORE_RUNS_MAX)
		return MDB_CORRUPTED;    /* cannot happen: levels merge at FAN */
	id = m.next_id;
	if ((rc = mdb_cursor_open(w, db, &c)))
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		MDB_val k = { ents[i]->klen + 4, kb }, v = { ents[i]->vlen,
		                                             (void *)ents[i]->val };
		if ((size_t)ents[i]->klen + 4 > sizeof(kb)) {
			rc = MDB_BAD_VALSIZE;
			break;
		}
		run_key(kb, id, ents[i]->key, ents[i]->klen);
		rc = mdb_cursor_put(c, &k, &v, MDB_APPEND);
	}
	mdb_cursor_close(c);
	if (rc)
		return rc;
	m.r[m.n].id = id;
	m.r[m.n].level = 0;
	m.r[m.n].count = n;
	m.n++;
	m.next_id = id + 1;
	/* Merge every full level, lowest first: one merge can fill the next. */
	for (uint8_t level = 0; level < UINT8_MAX; level++) {
		size_t at = 0;
		for (size_t i = 0; i < m.n; i++)
			at += m.r[i].level == level;
		if (at >= STORE_RUNS_FAN && (rc = runs_merge(w, db, &m, level)))
			return rc;
		if (!at)
			break;
	}
	return runs_save(w, meta, name, &m);
}

int store_runs_import(MDB_txn *w, MDB_dbi meta, MDB_dbi db, const char *name,
                      MDB_dbi old, uint64_t *moved)
{
	struct store_runs m;
	uint8_t kb[RUN_KEY_MAX];
	MDB_cursor *in, *c;
	MDB_val k, v;
	uint32_t id;
	MDB_cursor_op step = MDB_FIRST;
	int rc;

	*moved = 0;
	if ((rc = store_runs_load(w, meta, name, &m)))
		return rc;
	if (m.n >= STORE_RUNS_MAX)
		return MDB_CORRUPTED;
	id = m.next_id;
	if ((rc = mdb_cursor_open(w, old, &in)))
		return rc;
	if ((rc = mdb_cursor_open(w, db, &c))) {
		mdb_cursor_close(in);
		return rc;
	}
	while ((rc = mdb_cursor_get(in, &k, &v, step)) == 0) {
		MDB_val nk = { k.mv_size + 4, kb };
		step = MDB_NEXT;
		if (k.mv_size + 4 > sizeof(kb)) {
			rc = MDB_BAD_VALSIZE;
			break;
		}
		run_key(kb, id, k.mv_data, k.mv_size);
		if ((rc = mdb_cursor_put(c, &nk, &v, MDB_APPEND)))
			break;
		(*moved)++;
	}
	mdb_cursor_close(c);
	mdb_cursor_close(in);
	if (rc != MDB_NOTFOUND)
		return rc;
	if (!*moved)
		return mdb_drop(w, old, 1);
	/* One big run, at a level that is not merged again soon. */
	m.r[m.n].id = id;
	m.r[m.n].level = STORE_RUNS_IMPORT_LEVEL;
	m.r[m.n].count = *moved;
	m.n++;
	m.next_id = id + 1;
	if ((rc = runs_save(w, meta, name, &m)))
		return rc;
	/* Deleted, not only emptied: the old name is gone from the ledger. */
	return mdb_drop(w, old, 1);
}
