/* test_store.c - store.h: CRUD, iteration, MVCC snapshots across threads,
 * durability across reopen, and map growth (alone and under readers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include "testutil.h"
#include "ember/codec.h"
#include "ember/store.h"

static int setup(void **state)
{
	return test_ledger_setup(state, "store", 0);
}

static int teardown(void **state)
{
	return test_ledger_teardown(state);
}

static void put_str(struct ember_txn *t, enum ember_db db, const char *k,
                    const char *v)
{
	assert_int_equal(ember_store_put(t, db, k, strlen(k), v, strlen(v)), 0);
}

/* Asserts key k in db holds v (v NULL: absent). */
static void expect(struct ember_txn *t, enum ember_db db, const char *k,
                   const char *v)
{
	const void *val;
	size_t vlen;
	int rc = ember_store_get(t, db, k, strlen(k), &val, &vlen);

	if (!v) {
		assert_int_equal(rc, EMBER_ENOTFOUND);
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(vlen, strlen(v));
	assert_memory_equal(val, v, vlen);
}

static void commit(struct ember_store *s, enum ember_db db, const char *k,
                   const char *v)
{
	struct ember_txn *t;

	assert_int_equal(ember_store_write(s, &t), 0);
	if (v)
		put_str(t, db, k, v);
	else
		assert_int_equal(ember_store_del(t, db, k, strlen(k)), 0);
	assert_int_equal(ember_txn_commit(t), 0);
}

static void test_crud(void **state)
{
	struct test_ledger *f = *state;
	struct ember_txn *t;
	uint64_t n;

	assert_int_equal(ember_store_write(f->s, &t), 0);
	put_str(t, EMBER_DB_META, "a", "1");
	put_str(t, EMBER_DB_ACCOUNTS, "a", "other db");
	put_str(t, EMBER_DB_META, "b", "2");
	expect(t, EMBER_DB_META, "a", "1");          /* sees own writes */
	put_str(t, EMBER_DB_META, "a", "11");        /* overwrite */
	expect(t, EMBER_DB_META, "a", "11");
	assert_int_equal(ember_store_del(t, EMBER_DB_META, "b", 1), 0);
	assert_int_equal(ember_store_del(t, EMBER_DB_META, "zz", 2), 0); /* absent */
	expect(t, EMBER_DB_META, "b", NULL);
	assert_int_equal(ember_txn_commit(t), 0);

	assert_int_equal(ember_store_read(f->s, &t), 0);
	expect(t, EMBER_DB_META, "a", "11");
	expect(t, EMBER_DB_ACCOUNTS, "a", "other db");
	expect(t, EMBER_DB_BLOCKS, "a", NULL);
	assert_int_equal(ember_store_count(t, EMBER_DB_META, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ember_store_count(t, EMBER_DB_BLOCKS, &n), 0);
	assert_int_equal(n, 0);
	/* misuse: writes in a read txn, bad db, empty key */
	assert_int_equal(ember_store_put(t, EMBER_DB_META, "x", 1, "y", 1),
	                 EMBER_EINVAL);
	assert_int_equal(ember_store_del(t, EMBER_DB_META, "a", 1), EMBER_EINVAL);
	assert_int_equal(ember_store_put(t, EMBER_DB_COUNT, "x", 1, "y", 1),
	                 EMBER_EINVAL);
	assert_int_equal(ember_store_count(t, EMBER_DB_COUNT, &n), EMBER_EINVAL);
	ember_txn_abort(t);
	ember_txn_abort(NULL);
}

static void test_abort_discards(void **state)
{
	struct test_ledger *f = *state;
	struct ember_txn *t;

	commit(f->s, EMBER_DB_META, "k", "kept");
	assert_int_equal(ember_store_write(f->s, &t), 0);
	put_str(t, EMBER_DB_META, "k", "changed");
	put_str(t, EMBER_DB_META, "new", "x");
	ember_txn_abort(t);
	assert_int_equal(ember_store_read(f->s, &t), 0);
	expect(t, EMBER_DB_META, "k", "kept");
	expect(t, EMBER_DB_META, "new", NULL);
	ember_txn_abort(t);
}

/* Collects visited keys (single-byte heights) into a string. */
struct visit {
	char seen[64];
	size_t n;
	size_t stop_after;   /* 0: never stop */
	int fail_at;         /* -1: never fail */
};

static int visit_cb(void *ctx, const void *key, size_t klen, const void *val,
                    size_t vlen)
{
	struct visit *v = ctx;

	assert_int_equal(klen, 8);
	assert_int_equal(vlen, 1);
	assert_int_equal(((const uint8_t *)val)[0],
	                 (uint8_t)ember_be64_get(key));
	if (v->fail_at >= 0 && (int)v->n == v->fail_at)
		return EMBER_EIO;
	v->seen[v->n++] = (char)('0' + ember_be64_get(key));
	v->seen[v->n] = '\0';
	return v->stop_after && v->n == v->stop_after;
}

static void run_iter(struct ember_txn *t, int rev, int start, size_t stop,
                     int fail_at, int want_rc, const char *want)
{
	struct visit v = { .stop_after = stop, .fail_at = fail_at };
	uint8_t k[8];
	int rc;

	ember_be64_put(k, (uint64_t)start);
	rc = (rev ? ember_store_iter_rev : ember_store_iter)(
		t, EMBER_DB_BLOCKS, start < 0 ? NULL : k, start < 0 ? 0 : 8,
		visit_cb, &v);
	assert_int_equal(rc, want_rc);
	assert_string_equal(v.seen, want);
}

static void test_iter(void **state)
{
	struct test_ledger *f = *state;
	struct ember_txn *t;
	/* Heights 1, 3, 5, 7, 9 inserted out of order; big-endian keys must
	 * come back in numeric order. */
	const int hs[] = { 7, 1, 9, 3, 5 };

	assert_int_equal(ember_store_write(f->s, &t), 0);
	for (size_t i = 0; i < 5; i++) {
		uint8_t k[8], v = (uint8_t)hs[i];
		ember_be64_put(k, (uint64_t)hs[i]);
		assert_int_equal(ember_store_put(t, EMBER_DB_BLOCKS, k, 8, &v, 1), 0);
	}
	/* an entry in another db must not show up */
	put_str(t, EMBER_DB_CERTS, "zzzzzzzz", "x");
	/* iterating inside the write txn works too */
	run_iter(t, 0, -1, 0, -1, 0, "13579");
	assert_int_equal(ember_txn_commit(t), 0);

	assert_int_equal(ember_store_read(f->s, &t), 0);
	run_iter(t, 0, -1, 0, -1, 0, "13579");
	run_iter(t, 0, 3, 0, -1, 0, "3579");      /* start on a key */
	run_iter(t, 0, 4, 0, -1, 0, "579");       /* start between keys */
	run_iter(t, 0, 10, 0, -1, 0, "");         /* past the end */
	run_iter(t, 0, -1, 2, -1, 0, "13");       /* early stop is not an error */
	run_iter(t, 0, -1, 0, 2, EMBER_EIO, "13"); /* callback error propagates */
	run_iter(t, 1, -1, 0, -1, 0, "97531");
	run_iter(t, 1, 5, 0, -1, 0, "531");       /* start on a key */
	run_iter(t, 1, 6, 0, -1, 0, "531");       /* between keys: last <= 6 */
	run_iter(t, 1, 100, 0, -1, 0, "97531");   /* past the end */
	run_iter(t, 1, 0, 0, -1, 0, "");          /* before the first */
	run_iter(t, 1, -1, 3, -1, 0, "975");
	ember_txn_abort(t);
}

/* A read txn is a snapshot: it does not see uncommitted writes, and keeps
 * seeing the old value after the writer commits. */
static void test_snapshot(void **state)
{
	struct test_ledger *f = *state;
	struct ember_txn *r, *w, *r2;

	commit(f->s, EMBER_DB_META, "k", "old");
	assert_int_equal(ember_store_read(f->s, &r), 0);
	assert_int_equal(ember_store_write(f->s, &w), 0);
	put_str(w, EMBER_DB_META, "k", "new");
	put_str(w, EMBER_DB_META, "k2", "new");
	expect(r, EMBER_DB_META, "k", "old");
	expect(r, EMBER_DB_META, "k2", NULL);
	assert_int_equal(ember_txn_commit(w), 0);
	expect(r, EMBER_DB_META, "k", "old");
	expect(r, EMBER_DB_META, "k2", NULL);
	assert_int_equal(ember_store_read(f->s, &r2), 0);
	expect(r2, EMBER_DB_META, "k", "new");
	expect(r2, EMBER_DB_META, "k2", "new");
	ember_txn_abort(r2);
	ember_txn_abort(r);
}

struct reader_arg {
	struct ember_store *s;
	sem_t opened, committed;
	int ok;
};

static void *snapshot_reader(void *p)
{
	struct reader_arg *a = p;
	struct ember_txn *t;
	const void *v;
	size_t vlen;

	if (ember_store_read(a->s, &t) != 0)
		return NULL;
	sem_post(&a->opened);
	sem_wait(&a->committed);
	a->ok = ember_store_get(t, EMBER_DB_META, "k", 1, &v, &vlen) == 0 &&
	        vlen == 3 && memcmp(v, "old", 3) == 0;
	ember_txn_abort(t);
	if (ember_store_read(a->s, &t) != 0)
		return NULL;
	a->ok = a->ok && ember_store_get(t, EMBER_DB_META, "k", 1, &v, &vlen) == 0 &&
	        vlen == 3 && memcmp(v, "new", 3) == 0;
	ember_txn_abort(t);
	return NULL;
}

static void test_reader_thread(void **state)
{
	struct test_ledger *f = *state;
	struct reader_arg a = { .s = f->s };
	pthread_t th;

	commit(f->s, EMBER_DB_META, "k", "old");
	sem_init(&a.opened, 0, 0);
	sem_init(&a.committed, 0, 0);
	assert_int_equal(pthread_create(&th, NULL, snapshot_reader, &a), 0);
	sem_wait(&a.opened);
	commit(f->s, EMBER_DB_META, "k", "new");   /* reader still open */
	sem_post(&a.committed);
	pthread_join(th, NULL);
	assert_true(a.ok);
	sem_destroy(&a.opened);
	sem_destroy(&a.committed);
}

static void test_reopen(void **state)
{
	struct test_ledger *f = *state;
	struct ember_txn *t;

	commit(f->s, EMBER_DB_ACCOUNTS, "acct", "balance");
	commit(f->s, EMBER_DB_PARAMS, "p", "v");
	commit(f->s, EMBER_DB_PARAMS, "p", NULL);
	ember_store_close(f->s);
	f->s = NULL;
	assert_int_equal(ember_store_open(&f->s, f->dir, 0), 0);
	assert_int_equal(ember_store_read(f->s, &t), 0);
	expect(t, EMBER_DB_ACCOUNTS, "acct", "balance");
	expect(t, EMBER_DB_PARAMS, "p", NULL);
	ember_txn_abort(t);
}

static void test_open_missing_dir(void **state)
{
	struct ember_store *s = (struct ember_store *)1;

	(void)state;
	assert_int_equal(ember_store_open(&s, "/nonexistent/ember/dir", 0),
	                 EMBER_STORE_LMDB);
	assert_null(s);
}

/*
 * Write batch "round" (keys round*1000 + i, 1 KiB values) in one txn and
 * flush it into LMDB: a flush that needs more map grows it itself.
 * Returns how many times the map doubled.
 */
static int write_batch(struct ember_store *s, int round, int nkeys)
{
	static uint8_t val[1024];
	struct ember_txn *t;
	size_t before = ember_store_mapsize(s);
	int grows = 0;

	assert_int_equal(ember_store_write(s, &t), 0);
	for (int i = 0; i < nkeys; i++) {
		uint8_t k[8];
		ember_be64_put(k, (uint64_t)(round * 1000 + i));
		memset(val, round + i, sizeof(val));
		assert_int_equal(ember_store_put(t, EMBER_DB_BLOCKS, k, 8, val,
		                                 sizeof(val)), 0);
	}
	assert_int_equal(ember_txn_commit(t), 0);
	assert_int_equal(ember_store_flush(s), 0);
	for (size_t m = before; m < ember_store_mapsize(s); m *= 2)
		grows++;
	return grows;
}

static void check_batch(struct ember_store *s, int round, int nkeys)
{
	struct ember_txn *t;

	assert_int_equal(ember_store_read(s, &t), 0);
	for (int i = 0; i < nkeys; i++) {
		uint8_t k[8];
		const uint8_t *v;
		const void *pv;
		size_t vlen;
		ember_be64_put(k, (uint64_t)(round * 1000 + i));
		assert_int_equal(ember_store_get(t, EMBER_DB_BLOCKS, k, 8, &pv,
		                                 &vlen), 0);
		v = pv;
		assert_int_equal(vlen, 1024);
		assert_int_equal(v[0], (uint8_t)(round + i));
		assert_int_equal(v[1023], (uint8_t)(round + i));
	}
	ember_txn_abort(t);
}

static void open_small(struct test_ledger *f)
{
	ember_store_close(f->s);
	test_rm_store_dir(f->dir);
	strcpy(f->dir, "/tmp/ember-test-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(ember_store_open(&f->s, f->dir, 64 * 1024), 0);
}

static void test_grow(void **state)
{
	struct test_ledger *f = *state;
	struct ember_txn *t;
	size_t before;

	open_small(f);
	before = ember_store_mapsize(f->s);
	assert_true(before <= 64 * 1024);

	/* 200 KiB into a 64 KiB map: the commit is in memory and the log,
	 * the flush grows the map until it fits. */
	commit(f->s, EMBER_DB_META, "before", "intact");
	assert_true(write_batch(f->s, 0, 200) > 0);
	assert_true(ember_store_mapsize(f->s) >= 2 * before);
	check_batch(f->s, 0, 200);
	assert_int_equal(ember_store_read(f->s, &t), 0);
	expect(t, EMBER_DB_META, "before", "intact");
	ember_txn_abort(t);

	/* The grown size survives reopen (data needs it). */
	ember_store_close(f->s);
	f->s = NULL;
	assert_int_equal(ember_store_open(&f->s, f->dir, 64 * 1024), 0);
	check_batch(f->s, 0, 200);
}

struct churn_arg {
	struct ember_store *s;
	atomic_int stop;
	long reads;
	int errors;
};

static void *churn_reader(void *p)
{
	struct churn_arg *a = p;

	while (!atomic_load(&a->stop)) {
		struct ember_txn *t;
		const void *v;
		size_t vlen;

		if (ember_store_read(a->s, &t) != 0) {
			a->errors++;
			continue;
		}
		if (ember_store_get(t, EMBER_DB_META, "before", 6, &v, &vlen) != 0 ||
		    vlen != 6 || memcmp(v, "intact", 6) != 0)
			a->errors++;
		ember_txn_abort(t);
		a->reads++;
	}
	return NULL;
}

static void test_grow_with_readers(void **state)
{
	struct test_ledger *f = *state;
	struct churn_arg a[3];
	pthread_t th[3];
	int grows = 0;

	open_small(f);
	commit(f->s, EMBER_DB_META, "before", "intact");
	for (int i = 0; i < 3; i++) {
		a[i] = (struct churn_arg){ .s = f->s };
		assert_int_equal(pthread_create(&th[i], NULL, churn_reader, &a[i]), 0);
	}
	for (int round = 0; round < 8; round++)
		grows += write_batch(f->s, round, 100);
	for (int i = 0; i < 3; i++) {
		atomic_store(&a[i].stop, 1);
		pthread_join(th[i], NULL);
		assert_int_equal(a[i].errors, 0);
	}
	assert_true(grows >= 3);
	for (int round = 0; round < 8; round++)
		check_batch(f->s, round, 100);
}


/* --- overlay transactions ------------------------------------------------ */

/* A walk's output, flattened: klen key vlen val ... */
struct walk_log {
	uint8_t buf[1 << 16];
	size_t len;
	size_t n;
};

static int log_cb(void *ctx, const void *key, size_t klen, const void *val,
                  size_t vlen)
{
	struct walk_log *w = ctx;
	assert_true(w->len + 2 + klen + vlen <= sizeof(w->buf));
	w->buf[w->len++] = (uint8_t)klen;
	memcpy(w->buf + w->len, key, klen);
	w->len += klen;
	w->buf[w->len++] = (uint8_t)vlen;
	memcpy(w->buf + w->len, val, vlen);
	w->len += vlen;
	w->n++;
	return w->n >= 40;    /* stop early now and then */
}

/* Keys from a tiny alphabet with lengths 1..3, so prefixes and equal
 * keys are common. */
static size_t rand_key(uint64_t *x, uint8_t *k)
{
	size_t len;
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	len = 1 + (size_t)((*x >> 33) % 3);
	for (size_t i = 0; i < len; i++)
		k[i] = (uint8_t)('a' + ((*x >> (40 + 3 * i)) % 4));
	return len;
}

static void compare_views(struct ember_txn *a, struct ember_txn *b,
                          uint64_t *x)
{
	static struct walk_log wa, wb;
	static const enum ember_db dbs[2] = { EMBER_DB_ACCOUNTS, EMBER_DB_ORDERS };
	uint8_t k[4];

	for (int d = 0; d < 2; d++) {
		uint64_t ca, cb;
		for (int i = 0; i < 30; i++) {
			const void *va, *vb;
			size_t la, lb, klen = rand_key(x, k);
			int ra = ember_store_get(a, dbs[d], k, klen, &va, &la);
			int rb = ember_store_get(b, dbs[d], k, klen, &vb, &lb);
			assert_int_equal(ra, rb);
			if (ra == 0) {
				assert_int_equal(la, lb);
				assert_memory_equal(va, vb, la);
			}
		}
		for (int rev = 0; rev < 2; rev++)
			for (int i = 0; i < 6; i++) {
				size_t klen = rand_key(x, k);
				int (*walk)(struct ember_txn *, enum ember_db, const void *,
				            size_t, ember_store_iter_cb, void *) =
					rev ? ember_store_iter_rev : ember_store_iter;
				wa.len = wa.n = wb.len = wb.n = 0;
				assert_int_equal(walk(a, dbs[d], i ? k : NULL, i ? klen : 0,
				                      log_cb, &wa), 0);
				assert_int_equal(walk(b, dbs[d], i ? k : NULL, i ? klen : 0,
				                      log_cb, &wb), 0);
				assert_int_equal(wa.n, wb.n);
				assert_int_equal(wa.len, wb.len);
				assert_memory_equal(wa.buf, wb.buf, wa.len);
			}
		assert_int_equal(ember_store_count(a, dbs[d], &ca), 0);
		assert_int_equal(ember_store_count(b, dbs[d], &cb), 0);
		assert_int_equal(ca, cb);
	}
}

/*
 * An overlay must read exactly like a write transaction that made the
 * same writes: random puts and deletes over a committed base, then every
 * get, walk (both ways, from random starts) and count compared.  Ending
 * the overlay leaves the ledger as it was.
 */
static void test_overlay_matches_write_txn(void **state)
{
	struct test_ledger *l = *state;
	static const enum ember_db dbs[2] = { EMBER_DB_ACCOUNTS, EMBER_DB_ORDERS };
	struct ember_txn *w, *o, *r;
	uint64_t x = 42, before, after;
	uint8_t k[4], v[8];

	assert_int_equal(ember_store_write(l->s, &w), 0);
	for (int i = 0; i < 40; i++) {
		size_t klen = rand_key(&x, k);
		ember_le64_put(v, x);
		assert_int_equal(ember_store_put(w, dbs[i % 2], k, klen, v, 1 + x % 8), 0);
	}
	assert_int_equal(ember_txn_commit(w), 0);
	assert_int_equal(ember_store_read(l->s, &r), 0);
	assert_int_equal(ember_store_count(r, EMBER_DB_ACCOUNTS, &before), 0);
	ember_txn_abort(r);

	for (int round = 0; round < 20; round++) {
		assert_int_equal(ember_store_write(l->s, &w), 0);
		assert_int_equal(ember_store_overlay(l->s, &o), 0);
		for (int i = 0; i < 60; i++) {
			size_t klen = rand_key(&x, k);
			enum ember_db db = dbs[(x >> 20) & 1];
			if ((x >> 24) % 3 == 0) {
				assert_int_equal(ember_store_del(w, db, k, klen), 0);
				assert_int_equal(ember_store_del(o, db, k, klen), 0);
			} else {
				ember_le64_put(v, x * 31);
				assert_int_equal(ember_store_put(w, db, k, klen, v, x % 9), 0);
				assert_int_equal(ember_store_put(o, db, k, klen, v, x % 9), 0);
			}
			if (i % 15 == 14)
				compare_views(w, o, &x);
		}
		ember_txn_abort(w);
		ember_txn_abort(o);
	}
	/* Nothing reached the ledger, and an overlay cannot be committed. */
	assert_int_equal(ember_store_read(l->s, &r), 0);
	assert_int_equal(ember_store_count(r, EMBER_DB_ACCOUNTS, &after), 0);
	ember_txn_abort(r);
	assert_int_equal(after, before);
	assert_int_equal(ember_store_overlay(l->s, &o), 0);
	put_str(o, EMBER_DB_META, "k", "v");
	assert_int_equal(ember_txn_commit(o), EMBER_EINVAL);
	assert_int_equal(ember_store_read(l->s, &r), 0);
	expect(r, EMBER_DB_META, "k", NULL);
	ember_txn_abort(r);
}

/* A value read from an overlay stays valid after its key is rewritten,
 * and an overlay runs while the write txn is open (no write lock). */
static void test_overlay_value_lifetime(void **state)
{
	struct test_ledger *l = *state;
	struct ember_txn *w, *o;
	const void *val;
	size_t vlen;

	assert_int_equal(ember_store_write(l->s, &w), 0);
	assert_int_equal(ember_store_overlay(l->s, &o), 0);
	put_str(o, EMBER_DB_META, "key", "first");
	assert_int_equal(ember_store_get(o, EMBER_DB_META, "key", 3, &val, &vlen), 0);
	put_str(o, EMBER_DB_META, "key", "second value");
	assert_int_equal(vlen, 5);
	assert_memory_equal(val, "first", 5);
	expect(o, EMBER_DB_META, "key", "second value");
	expect(w, EMBER_DB_META, "key", NULL);
	ember_txn_abort(o);
	ember_txn_abort(w);
}

/* --- the txid index as runs ------------------------------------------- */

/* txid i of the test: a hash-like key (spread over the key space). */
static void runs_key(uint32_t i, uint8_t k[32])
{
	uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ull + 1;
	for (int b = 0; b < 32; b++) {
		x ^= x >> 29;
		x *= 0xbf58476d1ce4e5b9ull;
		k[b] = (uint8_t)(x >> 56);
	}
}

static void runs_check(struct ember_store *s, uint32_t nkeys, uint32_t bumped)
{
	struct ember_txn *t;
	uint64_t n;

	assert_int_equal(ember_store_read(s, &t), 0);
	for (uint32_t i = 0; i < nkeys; i++) {
		uint8_t k[32];
		const void *v;
		size_t vlen;
		uint32_t got;
		runs_key(i, k);
		assert_int_equal(ember_store_get(t, EMBER_DB_TX_INDEX, k, 32, &v, &vlen), 0);
		assert_int_equal(vlen, 4);
		memcpy(&got, v, 4);
		/* The key put again later holds its newer value. */
		assert_int_equal(got, i == bumped ? i + 1000000 : i);
	}
	{
		uint8_t k[32];
		const void *v;
		size_t vlen;
		runs_key(nkeys, k);
		assert_int_equal(ember_store_get(t, EMBER_DB_TX_INDEX, k, 32, &v, &vlen),
		                 EMBER_ENOTFOUND);
	}
	assert_int_equal(ember_store_count(t, EMBER_DB_TX_INDEX, &n), 0);
	/* Counts runs' entries: the key put twice is there twice until a
	 * merge meets both copies; never fewer than the keys. */
	assert_true(n >= nkeys && n <= nkeys + 1);
	ember_txn_abort(t);
}

/*
 * The txid index is kept as sorted runs, one per flush, merged 8 at a
 * time (store_runs.h).  With a flush at every commit, 80 commits make 80
 * runs: merges at level 0 every 8 and one at level 1 after 64.  Every key
 * is found before and after reopening, a key put twice gives the newer
 * value through the merges, an absent key is absent, and deletions and
 * walks of the index are refused.
 */
static void test_txid_runs(void **state)
{
	struct test_ledger *f = *state;
	const uint32_t per = 40, commits = 80, bumped = 7;
	struct ember_txn *t;
	uint8_t k[32];

	ember_store_set_cache(f->s, 0, 0);
	for (uint32_t c = 0; c < commits; c++) {
		assert_int_equal(ember_store_write(f->s, &t), 0);
		for (uint32_t i = c * per; i < (c + 1) * per; i++) {
			uint32_t v = i;
			runs_key(i, k);
			assert_int_equal(ember_store_put(t, EMBER_DB_TX_INDEX, k, 32, &v, 4), 0);
		}
		if (c == commits / 2) {
			uint32_t v = bumped + 1000000;
			runs_key(bumped, k);
			assert_int_equal(ember_store_put(t, EMBER_DB_TX_INDEX, k, 32, &v, 4), 0);
		}
		assert_int_equal(ember_txn_commit(t), 0);
		if (c == 9 || c == 45 || c == 63)
			runs_check(f->s, (c + 1) * per, c >= commits / 2 ? bumped : UINT32_MAX);
	}
	runs_check(f->s, commits * per, bumped);
	ember_store_close(f->s);
	f->s = NULL;
	assert_int_equal(ember_store_open(&f->s, f->dir, 0), 0);
	runs_check(f->s, commits * per, bumped);

	assert_int_equal(ember_store_write(f->s, &t), 0);
	runs_key(1, k);
	assert_int_equal(ember_store_del(t, EMBER_DB_TX_INDEX, k, 32), EMBER_EINVAL);
	assert_int_equal(ember_store_iter(t, EMBER_DB_TX_INDEX, NULL, 0, log_cb, NULL),
	                 EMBER_EINVAL);
	ember_txn_abort(t);
}

/*
 * A ledger from before the txid index was kept as runs held it in one
 * LMDB database, "tx_index", keyed by txid.  Opening such a ledger moves
 * every entry into one run (store_runs_import) and drops the old
 * database: every txid is then found with its value, an absent one is
 * absent, a new commit's txids join as further runs, and a second open
 * finds nothing left to move and loses nothing.
 */
static void test_txid_import(void **state)
{
	const uint32_t old_n = 500, new_n = 60;
	char dir[64];
	MDB_env *env;
	MDB_txn *w;
	MDB_dbi dbi;
	struct ember_store *s;
	struct ember_txn *t;
	uint8_t k[32];
	(void)state;

	assert_int_equal(test_tmpdir(dir, sizeof(dir), "store-import"), 0);
	/* The old layout, written with LMDB directly. */
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 64u << 20), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &w), 0);
	assert_int_equal(mdb_dbi_open(w, "tx_index", MDB_CREATE, &dbi), 0);
	for (uint32_t i = 0; i < old_n; i++) {
		MDB_val mk = { 32, k }, mv = { 4, &i };
		runs_key(i, k);
		assert_int_equal(mdb_put(w, dbi, &mk, &mv, 0), 0);
	}
	assert_int_equal(mdb_txn_commit(w), 0);
	mdb_env_close(env);

	assert_int_equal(ember_store_open(&s, dir, 0), 0);
	runs_check(s, old_n, UINT32_MAX);
	/* New txids after the move: the imported run and the new ones. */
	ember_store_set_cache(s, 0, 0);
	assert_int_equal(ember_store_write(s, &t), 0);
	for (uint32_t i = old_n; i < old_n + new_n; i++) {
		runs_key(i, k);
		assert_int_equal(ember_store_put(t, EMBER_DB_TX_INDEX, k, 32, &i, 4), 0);
	}
	assert_int_equal(ember_txn_commit(t), 0);
	runs_check(s, old_n + new_n, UINT32_MAX);
	ember_store_close(s);

	/* The old database is gone: a second open moves nothing again. */
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &w), 0);
	assert_int_equal(mdb_dbi_open(w, "tx_index", 0, &dbi), MDB_NOTFOUND);
	mdb_txn_abort(w);
	mdb_env_close(env);
	assert_int_equal(ember_store_open(&s, dir, 0), 0);
	runs_check(s, old_n + new_n, UINT32_MAX);
	ember_store_close(s);
	test_rm_store_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlay_matches_write_txn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlay_value_lifetime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_discards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test(test_open_missing_dir),
		cmocka_unit_test_setup_teardown(test_grow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txid_runs, setup, teardown),
		cmocka_unit_test(test_txid_import),
		cmocka_unit_test_setup_teardown(test_grow_with_readers, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
