/*
 * test_store_model.c - store.h against a reference model.
 *
 * The store answers a read from three layers (a txn's own changes, the
 * pending runs of recent commits, LMDB) and keeps commits in a log until
 * a flush; each layer boundary is a place for a read to see the wrong
 * version.  These tests drive it with random work and compare every
 * answer with a model that has no layers at all: one flat table per db
 * over every key of a tiny alphabet (a..d, lengths 1..4, so prefixes and
 * repeats are common).
 *
 *   - random txns: puts, deletes, put_new, append, gets, walks both ways
 *     from random starts (stopping early, failing, writing the visited
 *     key), counts; commit or abort; flushes; cache sizes that flush
 *     inside commits; reopen; crashes;
 *   - snapshots: up to MAXR read and overlay txns, each with a copy of
 *     the model taken when it began, checked at random later steps, and
 *     value pointers that must stay put until their txn ends;
 *   - crashes: a child process commits and _exits without closing the
 *     store (the log is then the only place the commits are); torn and
 *     zero-filled log tails, damaged records, a stale log;
 *   - values from 0 B to 3 MiB, around the change set's arena chunk;
 *   - threads: readers that must see every commit whole while the writer
 *     commits and flushes.
 *
 * Every random test prints its seed when it fails; EMBER_STORE_MODEL_SEED
 * replays one and EMBER_STORE_MODEL_STEPS runs longer.
 *
 * Readers are held on the test's own thread across commits and flushes,
 * which store.h forbids only because a flush that grows the map would
 * wait for them: the map here is the 1 GiB default and the data a few
 * hundred KiB, so it never grows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "ember/codec.h"
#include "ember/error.h"
#include "ember/store.h"

#define NLET 4                  /* key letters a..d */
#define MAXKL 4                 /* key lengths 1..MAXKL */
#define NKEYS (4 + 16 + 64 + 256)
#define MAXV 40                 /* value lengths 0..MAXV */
#define NMDB 3
#define MAXR 5                  /* open readers at most */
#define NHOLD 4                 /* value pointers held per txn */
#define WAL_HDR 20              /* store_wal.h: magic, len, seq, count */
#define WAL_ENT_HDR 8
#define WAL_HASH 32
#define MIB ((size_t)1 << 20)

static const enum ember_db mdbs[NMDB] = {
	EMBER_DB_ACCOUNTS, EMBER_DB_ORDERS, EMBER_DB_HISTORY
};

/* ---- the key space and the model ---- */

struct mkey {
	uint8_t k[MAXKL];
	uint8_t len;
};

static struct mkey keys[NKEYS];         /* in the store's key order */

/* LMDB's default order: bytewise, a prefix first. */
static int key_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t m = al < bl ? al : bl;
	int c = m ? memcmp(a, b, m) : 0;

	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

static int mkey_qsort(const void *a, const void *b)
{
	const struct mkey *x = a, *y = b;
	return key_cmp(x->k, x->len, y->k, y->len);
}

static void keys_init(void)
{
	size_t n = 0;

	if (keys[0].len)
		return;
	for (int len = 1; len <= MAXKL; len++) {
		int combos = 1;
		for (int i = 0; i < len; i++)
			combos *= NLET;
		for (int c = 0; c < combos; c++) {
			int x = c;
			for (int i = len - 1; i >= 0; i--, x /= NLET)
				keys[n].k[i] = (uint8_t)('a' + x % NLET);
			keys[n++].len = (uint8_t)len;
		}
	}
	qsort(keys, n, sizeof(*keys), mkey_qsort);
}

/* Index of key k in keys[], or -1 when it is outside the key space. */
static int key_find(const uint8_t *k, size_t len)
{
	int lo = 0, hi = NKEYS;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		int c = key_cmp(keys[mid].k, keys[mid].len, k, len);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

struct mval {
	uint8_t present, len;
	uint8_t b[MAXV];
};

struct model {
	struct mval v[NMDB][NKEYS];
};

static uint64_t model_count(const struct model *m, int d)
{
	uint64_t n = 0;
	for (int i = 0; i < NKEYS; i++)
		n += m->v[d][i].present;
	return n;
}

static int model_max(const struct model *m, int d)
{
	for (int i = NKEYS - 1; i >= 0; i--)
		if (m->v[d][i].present)
			return i;
	return -1;
}

/* ---- the test's state ---- */

enum { V_READ, V_OVERLAY, V_WRITE };

/* A value pointer handed out by a get, and the bytes it pointed to. */
struct hold {
	int on, d, kid;
	const void *p;
	size_t len;
	uint8_t copy[MAXV];
};

/* An open txn and what it must see. */
struct view {
	struct ember_txn *t;
	int kind;
	long begun;             /* step */
	struct model m;
	struct hold h[NHOLD];
};

enum { CACHE_EVERY, CACHE_FEW_MIB, CACHE_NEVER, CACHE_AGE, CACHE_MODES };

struct mt {
	char dir[64];
	char wal[96], data[96], errp[96];       /* files in dir */
	struct ember_store *s;
	uint64_t base, seed, x;  /* EMBER_STORE_MODEL_SEED, + the test's number */
	long step;
	const char *what;       /* what the step is doing, for failures */
	int cache_mode;
	int no_reader_ops;      /* step_txn leaves the readers alone */
	struct model m;         /* committed */
	struct view w;          /* the write txn */
	uint8_t touched[NMDB][NKEYS];
	int ntouched;
	struct view rd[MAXR];
	struct ember_store_stats st;
	struct {
		long commits, aborts, flushes, commit_flushes, reopens, crashes,
		     torn, readers, walks, gets;
	} n;
};

static void mt_fail(struct mt *mt, const char *file, int line,
                    const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void mt_fail(struct mt *mt, const char *file, int line,
                    const char *cond, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error("store model: %s\n  (check: %s)\n  seed %llu, step %ld, "
	            "during %s; replay with EMBER_STORE_MODEL_SEED=%llu\n",
	            msg, cond, (unsigned long long)mt->seed, mt->step,
	            mt->what ? mt->what : "?", (unsigned long long)mt->base);
	_fail(file, line);
}

#define CHECK(mt, cond, ...) \
	do { \
		if (!(cond)) \
			mt_fail((mt), __FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

/* splitmix64 */
static uint64_t rnd(struct mt *mt)
{
	uint64_t z = (mt->x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned rn(struct mt *mt, unsigned n)
{
	return (unsigned)(rnd(mt) % n);
}

static int chance(struct mt *mt, unsigned one_in)
{
	return rn(mt, one_in) == 0;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

/* A key of the model's space: a random length, then random letters (so
 * short keys are as common as long ones). */
static int rand_kid(struct mt *mt)
{
	uint8_t k[MAXKL];
	size_t len = 1 + rn(mt, MAXKL);

	for (size_t i = 0; i < len; i++)
		k[i] = (uint8_t)('a' + rn(mt, NLET));
	return key_find(k, len);
}

static void rand_val(struct mt *mt, struct mval *v)
{
	v->present = 1;
	v->len = chance(mt, 8) ? 0 : (uint8_t)rn(mt, MAXV + 1);
	for (int i = 0; i < v->len; i++)
		v->b[i] = (uint8_t)rnd(mt);
}

/*
 * A walk's start: NULL, a key of the space, a key with a byte after it
 * (between keys), or random bytes from a wider alphabet (below, inside
 * and above the space).  buf holds 8.
 */
static const uint8_t *rand_start(struct mt *mt, uint8_t *buf, size_t *len)
{
	static const uint8_t alpha[] = { 0x00, '`', 'a', 'b', 'c', 'd', 'e', 0xff };
	int kid;

	switch (rn(mt, 6)) {
	case 0:
		*len = 0;
		return NULL;
	case 1:
	case 2:
		kid = (int)rn(mt, NKEYS);
		memcpy(buf, keys[kid].k, keys[kid].len);
		*len = keys[kid].len;
		return buf;
	case 3:
		kid = (int)rn(mt, NKEYS);
		memcpy(buf, keys[kid].k, keys[kid].len);
		buf[keys[kid].len] = alpha[rn(mt, sizeof(alpha))];
		*len = keys[kid].len + 1u;
		return buf;
	default:
		*len = 1 + rn(mt, 5);
		for (size_t i = 0; i < *len; i++)
			buf[i] = chance(mt, 3) ? alpha[rn(mt, sizeof(alpha))]
			                       : (uint8_t)('a' + rn(mt, NLET));
		return buf;
	}
}

/* ---- files ---- */

/* The whole file in a malloc'd buffer (NULL when it cannot be read). */
static uint8_t *file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int file_write(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(buf, 1, len, f) == len;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void rm_dir(const char *dir)
{
	static const char *const names[] = {
		"data.mdb", "lock.mdb", "ledger.wal", "stderr.txt"
	};
	char p[160];

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* The log's records, as store_wal.h lays them out. */
struct walrec {
	size_t off, len;
	uint64_t seq;
	uint32_t count;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Returns how many whole records the log holds (at most max), or -1 when
 * a record does not parse or the file does not end on a record. */
static int wal_parse(const char *wal, struct walrec *r, int max)
{
	size_t len, off = 0;
	uint8_t *b = file_read(wal, &len);
	int n = 0;

	if (!b)
		return -1;
	while (off < len) {
		uint32_t plen;
		if (len - off < WAL_HDR || memcmp(b + off, "EWAL", 4) != 0 || n == max)
			break;
		plen = le32(b + off + 4);
		r[n].off = off;
		r[n].len = WAL_HDR + (size_t)plen + WAL_HASH;
		r[n].seq = ember_le64_get(b + off + 8);
		r[n].count = le32(b + off + 16);
		if (r[n].len > len - off)
			break;
		off += r[n++].len;
	}
	free(b);
	return off == len ? n : -1;
}

/* ---- checks against a view ---- */

static void check_get(struct mt *mt, struct view *v, int d, int kid)
{
	const struct mval *e = &v->m.v[d][kid];
	const struct mkey *k = &keys[kid];
	const void *p = NULL;
	size_t len = 0;
	int rc = ember_store_get(v->t, mdbs[d], k->k, k->len, &p, &len);

	mt->n.gets++;
	if (!e->present) {
		CHECK(mt, rc == EMBER_ENOTFOUND, "get '%.*s' in db %d: rc %d and "
		      "%zu bytes, want not found", k->len, (const char *)k->k,
		      mdbs[d], rc, len);
		return;
	}
	CHECK(mt, rc == 0, "get '%.*s' in db %d: rc %d, want %u bytes",
	      k->len, (const char *)k->k, mdbs[d], rc, e->len);
	CHECK(mt, len == e->len && (!len || memcmp(p, e->b, len) == 0),
	      "get '%.*s' in db %d: %zu bytes (first %02x), want %u (first %02x)",
	      k->len, (const char *)k->k, mdbs[d], len,
	      len ? ((const uint8_t *)p)[0] : 0, e->len, e->len ? e->b[0] : 0);
}

/* A get of random bytes: outside the key space it must miss. */
static void check_probe(struct mt *mt, struct view *v, int d)
{
	uint8_t buf[8];
	size_t len;
	const uint8_t *k = rand_start(mt, buf, &len);
	const void *p;
	size_t vlen;
	int kid, rc;

	if (!k)
		return;
	if ((kid = key_find(k, len)) >= 0) {
		check_get(mt, v, d, kid);
		return;
	}
	rc = ember_store_get(v->t, mdbs[d], k, len, &p, &vlen);
	CHECK(mt, rc == EMBER_ENOTFOUND, "get of a key outside the space "
	      "(%zu bytes, first %02x) in db %d: rc %d", len, k[0], mdbs[d], rc);
}

static void check_count(struct mt *mt, struct view *v, int d)
{
	uint64_t n = ~0ull, want = model_count(&v->m, d);
	int rc = ember_store_count(v->t, mdbs[d], &n);

	CHECK(mt, rc == 0 && n == want, "count of db %d: rc %d, %llu, want %llu",
	      mdbs[d], rc, (unsigned long long)n, (unsigned long long)want);
}

struct wctx {
	struct mt *mt;
	struct view *v;
	int d, rev;
	int exp[NKEYS], nexp, i;
	int stop;               /* return 1 after this many (0: never) */
	int fail_at;            /* return EMBER_EIO at this visit (-1: never) */
	int mutate;             /* rewrite or delete visited keys (not V_READ) */
};

static void view_set(struct mt *mt, struct view *v, int d, int kid,
                     const struct mval *nv);

static int walk_cb(void *ctx, const void *key, size_t klen, const void *val,
                   size_t vlen)
{
	struct wctx *c = ctx;
	struct mt *mt = c->mt;
	const struct mval *e;
	const struct mkey *k;
	int kid;

	CHECK(mt, c->i < c->nexp, "%s walk of db %d: entry %d ('%.*s') past "
	      "the %d the model holds", c->rev ? "reverse" : "forward",
	      mdbs[c->d], c->i, (int)(klen < 8 ? klen : 8), (const char *)key,
	      c->nexp);
	kid = c->exp[c->i];
	k = &keys[kid];
	e = &c->v->m.v[c->d][kid];
	CHECK(mt, klen == k->len && memcmp(key, k->k, klen) == 0,
	      "%s walk of db %d: entry %d is '%.*s', want '%.*s'",
	      c->rev ? "reverse" : "forward", mdbs[c->d], c->i,
	      (int)(klen < 8 ? klen : 8), (const char *)key, k->len,
	      (const char *)k->k);
	CHECK(mt, vlen == e->len && (!vlen || memcmp(val, e->b, vlen) == 0),
	      "%s walk of db %d: '%.*s' has %zu bytes, want %u",
	      c->rev ? "reverse" : "forward", mdbs[c->d], k->len,
	      (const char *)k->k, vlen, e->len);
	c->i++;
	if (c->mutate && chance(mt, 2)) {
		struct mval nv = { 0 };
		if (!chance(mt, 3))
			rand_val(mt, &nv);
		view_set(mt, c->v, c->d, kid, &nv);
	}
	if (c->fail_at == c->i - 1)
		return EMBER_EIO;
	return c->stop && c->i == c->stop;
}

static void check_walk(struct mt *mt, struct view *v, int d, int rev,
                       const uint8_t *start, size_t slen, int stop,
                       int fail_at, int mutate)
{
	struct wctx *c = calloc(1, sizeof(*c));
	int rc, want_n, want_rc = 0;

	CHECK(mt, c != NULL, "out of memory");
	*c = (struct wctx){ .mt = mt, .v = v, .d = d, .rev = rev, .stop = stop,
	                    .fail_at = fail_at, .mutate = mutate };
	for (int j = 0; j < NKEYS; j++) {
		int kid = rev ? NKEYS - 1 - j : j;
		int cmp;
		if (!v->m.v[d][kid].present)
			continue;
		cmp = start ? key_cmp(keys[kid].k, keys[kid].len, start, slen) : 0;
		if (rev ? cmp <= 0 : cmp >= 0)
			c->exp[c->nexp++] = kid;
	}
	rc = (rev ? ember_store_iter_rev : ember_store_iter)(
		v->t, mdbs[d], start, slen, walk_cb, c);
	want_n = c->nexp;
	if (stop && stop < want_n)
		want_n = stop;
	if (fail_at >= 0 && fail_at < want_n) {
		want_n = fail_at + 1;
		want_rc = EMBER_EIO;
	}
	CHECK(mt, rc == want_rc && c->i == want_n,
	      "%s walk of db %d from %s%.*s (stop %d, fail at %d): rc %d after "
	      "%d entries, want rc %d after %d", rev ? "reverse" : "forward",
	      mdbs[d], start ? "'" : "the end", start ? (int)slen : 0,
	      start ? (const char *)start : "", stop, fail_at, rc, c->i,
	      want_rc, want_n);
	mt->n.walks++;
	free(c);
}

static void random_walk(struct mt *mt, struct view *v, int d)
{
	uint8_t buf[8];
	size_t slen;
	const uint8_t *start = rand_start(mt, buf, &slen);
	int stop = chance(mt, 3) ? 1 + (int)rn(mt, 8) : 0;
	int fail_at = chance(mt, 10) ? (int)rn(mt, 6) : -1;
	int mutate = v->kind != V_READ && chance(mt, 4);

	check_walk(mt, v, d, (int)rn(mt, 2), start, slen, stop, fail_at, mutate);
}

/* Keep a value pointer from a get (replacing an older one at random). */
static void hold_take(struct mt *mt, struct view *v)
{
	struct hold *h = &v->h[rn(mt, NHOLD)];
	int d = (int)rn(mt, NMDB), kid = -1;
	const void *p;
	size_t len;

	for (int tries = 0; tries < 8 && kid < 0; tries++) {
		int k = rand_kid(mt);
		if (v->m.v[d][k].present)
			kid = k;
	}
	if (kid < 0)
		return;
	CHECK(mt, ember_store_get(v->t, mdbs[d], keys[kid].k, keys[kid].len,
	                          &p, &len) == 0, "get of a present key to hold");
	CHECK(mt, len == v->m.v[d][kid].len, "held value length");
	h->on = 1;
	h->d = d;
	h->kid = kid;
	h->p = p;
	h->len = len;
	memcpy(h->copy, p, len);
}

static void hold_check(struct mt *mt, struct view *v)
{
	for (int i = 0; i < NHOLD; i++)
		if (v->h[i].on)
			CHECK(mt, memcmp(v->h[i].p, v->h[i].copy, v->h[i].len) == 0,
			      "a value pointer from a get of this %s txn (begun at step "
			      "%ld) changed under it: %zu bytes, first now %02x, was "
			      "%02x", v->kind == V_WRITE ? "write" :
			      v->kind == V_OVERLAY ? "overlay" : "read", v->begun,
			      v->h[i].len, v->h[i].len ? ((const uint8_t *)v->h[i].p)[0]
			                               : 0, v->h[i].copy[0]);
}

static void verify_light(struct mt *mt, struct view *v)
{
	int n = 4 + (int)rn(mt, 8);

	for (int i = 0; i < n; i++) {
		int d = (int)rn(mt, NMDB);
		switch (rn(mt, 6)) {
		case 0:
		case 1:
			check_get(mt, v, d, rand_kid(mt));
			break;
		case 2:
			check_probe(mt, v, d);
			break;
		case 3:
		case 4:
			random_walk(mt, v, d);
			break;
		default:
			check_count(mt, v, d);
		}
	}
	hold_check(mt, v);
}

static void verify_full(struct mt *mt, struct view *v)
{
	for (int d = 0; d < NMDB; d++) {
		for (int kid = 0; kid < NKEYS; kid++)
			check_get(mt, v, d, kid);
		check_walk(mt, v, d, 0, NULL, 0, 0, -1, 0);
		check_walk(mt, v, d, 1, NULL, 0, 0, -1, 0);
		check_count(mt, v, d);
	}
	hold_check(mt, v);
}

/* ---- changes ---- */

/* Put (nv->present) or delete (db, key) in v's txn and model. */
static void view_set(struct mt *mt, struct view *v, int d, int kid,
                     const struct mval *nv)
{
	const struct mkey *k = &keys[kid];
	int rc = nv->present
		? ember_store_put(v->t, mdbs[d], k->k, k->len,
		                  nv->len ? nv->b : NULL, nv->len)
		: ember_store_del(v->t, mdbs[d], k->k, k->len);

	CHECK(mt, rc == 0, "%s '%.*s' in db %d: rc %d",
	      nv->present ? "put" : "del", k->len, (const char *)k->k, mdbs[d], rc);
	v->m.v[d][kid] = *nv;
	if (!nv->present)
		v->m.v[d][kid].len = 0;
	if (v->kind == V_WRITE && !mt->touched[d][kid]) {
		mt->touched[d][kid] = 1;
		mt->ntouched++;
	}
}

static void op_put_new(struct mt *mt, struct view *v)
{
	int d = (int)rn(mt, NMDB), kid = rand_kid(mt);
	const struct mkey *k = &keys[kid];
	struct mval nv;
	int rc, exists = v->m.v[d][kid].present;

	rand_val(mt, &nv);
	rc = ember_store_put_new(v->t, mdbs[d], k->k, k->len,
	                         nv.len ? nv.b : NULL, nv.len);
	CHECK(mt, rc == (exists ? EMBER_STORE_EXISTS : 0),
	      "put_new '%.*s' in db %d (%s): rc %d", k->len, (const char *)k->k,
	      mdbs[d], exists ? "present" : "absent", rc);
	if (!exists) {
		v->m.v[d][kid] = nv;
		if (v->kind == V_WRITE && !mt->touched[d][kid]) {
			mt->touched[d][kid] = 1;
			mt->ntouched++;
		}
	}
}

/* Append below the top (refused) or, after deleting the keys above a
 * random pivot, above it (accepted). */
static void op_append(struct mt *mt, struct view *v)
{
	int d = (int)rn(mt, NMDB), top = model_max(&v->m, d), kid, rc;
	struct mval nv;

	rand_val(mt, &nv);
	if (top >= 0 && chance(mt, 2)) {
		kid = (int)rn(mt, (unsigned)top + 1);
		rc = ember_store_append(v->t, mdbs[d], keys[kid].k, keys[kid].len,
		                        nv.len ? nv.b : NULL, nv.len);
		CHECK(mt, rc == EMBER_STORE_EXISTS, "append '%.*s' at or below the "
		      "top key '%.*s' of db %d: rc %d", keys[kid].len,
		      (const char *)keys[kid].k, keys[top].len,
		      (const char *)keys[top].k, mdbs[d], rc);
		return;
	}
	if (top == NKEYS - 1) {
		int pivot = (int)rn(mt, NKEYS - 1);
		struct mval del = { 0 };
		for (int i = pivot + 1; i < NKEYS; i++)
			if (v->m.v[d][i].present)
				view_set(mt, v, d, i, &del);
		top = model_max(&v->m, d);
	}
	kid = top + 1 + (int)rn(mt, (unsigned)(NKEYS - 1 - top));
	rc = ember_store_append(v->t, mdbs[d], keys[kid].k, keys[kid].len,
	                        nv.len ? nv.b : NULL, nv.len);
	CHECK(mt, rc == 0, "append '%.*s' above the top key of db %d: rc %d",
	      keys[kid].len, (const char *)keys[kid].k, mdbs[d], rc);
	v->m.v[d][kid] = nv;
	if (!mt->touched[d][kid]) {
		mt->touched[d][kid] = 1;
		mt->ntouched++;
	}
}

/* A random put or delete; repeat_kid (when >= 0) is the key to hit again. */
static int op_write(struct mt *mt, struct view *v, int repeat_kid, int repeat_d)
{
	int d = repeat_kid >= 0 ? repeat_d : (int)rn(mt, NMDB);
	int kid = repeat_kid >= 0 ? repeat_kid : rand_kid(mt);
	struct mval nv = { 0 };

	if (!chance(mt, 3))
		rand_val(mt, &nv);
	view_set(mt, v, d, kid, &nv);
	return d * NKEYS + kid;
}

/* ---- readers ---- */

static const char *kind_name(int kind)
{
	return kind == V_WRITE ? "write" : kind == V_OVERLAY ? "overlay" : "read";
}

static void reader_begin(struct mt *mt)
{
	struct view *v = NULL;
	int rc;

	for (int i = 0; i < MAXR && !v; i++)
		if (!mt->rd[i].t)
			v = &mt->rd[i];
	if (!v)
		return;
	memset(v->h, 0, sizeof(v->h));
	v->kind = chance(mt, 3) ? V_OVERLAY : V_READ;
	v->begun = mt->step;
	v->m = mt->m;
	rc = v->kind == V_OVERLAY ? ember_store_overlay(mt->s, &v->t)
	                          : ember_store_read(mt->s, &v->t);
	CHECK(mt, rc == 0 && v->t, "begin %s txn: rc %d", kind_name(v->kind), rc);
	if (v->kind == V_READ) {
		rc = ember_store_put(v->t, mdbs[0], "a", 1, "x", 1);
		CHECK(mt, rc == EMBER_EINVAL, "put in a read txn: rc %d", rc);
		rc = ember_store_del(v->t, mdbs[0], "a", 1);
		CHECK(mt, rc == EMBER_EINVAL, "del in a read txn: rc %d", rc);
	}
	mt->n.readers++;
}

static void reader_end(struct mt *mt, struct view *v)
{
	hold_check(mt, v);
	if (chance(mt, 2)) {
		int rc = ember_txn_commit(v->t);
		CHECK(mt, rc == (v->kind == V_OVERLAY ? EMBER_EINVAL : 0),
		      "commit of a %s txn: rc %d", kind_name(v->kind), rc);
	} else {
		ember_txn_abort(v->t);
	}
	v->t = NULL;
}

/* Overlay writes, now and then to a key it holds a pointer to. */
static void overlay_write(struct mt *mt, struct view *v)
{
	int n = 1 + (int)rn(mt, 6);

	for (int i = 0; i < n; i++) {
		if (chance(mt, 5))
			op_put_new(mt, v);
		else
			op_write(mt, v, -1, 0);
	}
	/* Rewrite held keys: their old values must stay where they were. */
	for (int i = 0; i < NHOLD; i++)
		if (v->h[i].on && chance(mt, 2)) {
			struct mval nv = { 0 };
			if (chance(mt, 2))
				rand_val(mt, &nv);
			view_set(mt, v, v->h[i].d, v->h[i].kid, &nv);
		}
}

static void reader_act(struct mt *mt)
{
	struct view *v = &mt->rd[rn(mt, MAXR)];

	if (!v->t) {
		reader_begin(mt);
		return;
	}
	mt->what = "checking an open reader";
	if (chance(mt, 12))
		verify_full(mt, v);
	else
		verify_light(mt, v);
	if (chance(mt, 3))
		hold_take(mt, v);
	if (v->kind == V_OVERLAY && chance(mt, 2)) {
		overlay_write(mt, v);
		verify_light(mt, v);
	}
	if (chance(mt, 3))
		reader_end(mt, v);
}

static void readers_end_all(struct mt *mt)
{
	mt->what = "ending the open readers";
	for (int i = 0; i < MAXR; i++)
		if (mt->rd[i].t) {
			verify_light(mt, &mt->rd[i]);
			reader_end(mt, &mt->rd[i]);
		}
}

/* A fresh read txn over the committed model. */
static void verify_now(struct mt *mt, int full)
{
	struct view *v = calloc(1, sizeof(*v));
	int rc;

	CHECK(mt, v != NULL, "out of memory");
	v->kind = V_READ;
	v->m = mt->m;
	rc = ember_store_read(mt->s, &v->t);
	CHECK(mt, rc == 0, "begin read txn: rc %d", rc);
	if (full)
		verify_full(mt, v);
	else
		verify_light(mt, v);
	ember_txn_abort(v->t);
	free(v);
}

/* ---- the store's life ---- */

static void set_cache_mode(struct mt *mt, int mode)
{
	static const size_t never = (size_t)1 << 30;

	mt->cache_mode = mode;
	switch (mode) {
	case CACHE_EVERY:
		ember_store_set_cache(mt->s, 0, 0);
		break;
	case CACHE_FEW_MIB:
		/* A run's arena is at least 1 MiB: flush every few commits. */
		ember_store_set_cache(mt->s, (1 + rn(mt, 5)) * MIB, 0);
		break;
	case CACHE_NEVER:
		ember_store_set_cache(mt->s, never, 0);
		break;
	default:
		ember_store_set_cache(mt->s, never, 1);
	}
}

static void mt_stats(struct mt *mt, struct ember_store_stats *st)
{
	ember_store_stats(mt->s, st);
}

static void mt_open(struct mt *mt)
{
	int rc;

	CHECK(mt, mt->s == NULL, "store already open");
	rc = ember_store_open(&mt->s, mt->dir, 0);
	CHECK(mt, rc == 0 && mt->s, "open '%s': rc %d", mt->dir, rc);
	set_cache_mode(mt, mt->cache_mode);
	mt_stats(mt, &mt->st);
	CHECK(mt, mt->st.pending_commits == 0 &&
	      mt->st.flushed_seq == mt->st.committed_seq,
	      "after open: %llu commits pending", (unsigned long long)
	      mt->st.pending_commits);
}

/* Clean close: nothing may be left in the log. */
static void mt_close(struct mt *mt)
{
	long wal;

	readers_end_all(mt);
	mt_stats(mt, &mt->st);
	ember_store_close(mt->s);
	mt->s = NULL;
	wal = file_size(mt->wal);
	CHECK(mt, wal == 0, "after a clean close the log holds %ld bytes", wal);
}

static void mt_reopen(struct mt *mt)
{
	uint64_t seq;

	mt->what = "reopen";
	mt_close(mt);
	seq = mt->st.committed_seq;
	mt_open(mt);
	CHECK(mt, mt->st.committed_seq == seq, "reopen: committed seq %llu, "
	      "was %llu", (unsigned long long)mt->st.committed_seq,
	      (unsigned long long)seq);
	verify_now(mt, 1);
	mt->n.reopens++;
}

static void mt_flush(struct mt *mt)
{
	int rc;

	mt->what = "flush";
	rc = ember_store_flush(mt->s);
	CHECK(mt, rc == 0, "flush: rc %d", rc);
	mt_stats(mt, &mt->st);
	CHECK(mt, mt->st.pending_commits == 0 && mt->st.pending_bytes == 0 &&
	      mt->st.wal_bytes == 0 &&
	      mt->st.flushed_seq == mt->st.committed_seq,
	      "after flush: %llu commits, %llu bytes pending, log %llu bytes",
	      (unsigned long long)mt->st.pending_commits,
	      (unsigned long long)mt->st.pending_bytes,
	      (unsigned long long)mt->st.wal_bytes);
	mt->n.flushes++;
}

/* Bytes of the record the open write txn's commit appends. */
static uint64_t record_size(struct mt *mt)
{
	uint64_t n = WAL_HDR + WAL_HASH;

	for (int d = 0; d < NMDB; d++)
		for (int kid = 0; kid < NKEYS; kid++)
			if (mt->touched[d][kid])
				n += WAL_ENT_HDR + keys[kid].len +
				     (mt->w.m.v[d][kid].present ? mt->w.m.v[d][kid].len : 0);
	return n;
}

static void check_after_commit(struct mt *mt, const struct ember_store_stats *b,
                               uint64_t recsize)
{
	struct ember_store_stats a;

	mt_stats(mt, &a);
	CHECK(mt, a.committed_seq == b->committed_seq + 1,
	      "commit: committed seq %llu after %llu",
	      (unsigned long long)a.committed_seq,
	      (unsigned long long)b->committed_seq);
	if (a.flushes > b->flushes) {
		mt->n.commit_flushes++;
		CHECK(mt, a.flushed_seq == a.committed_seq && a.pending_commits == 0 &&
		      a.pending_bytes == 0 && a.wal_bytes == 0,
		      "a commit that flushed left %llu commits pending, log %llu bytes",
		      (unsigned long long)a.pending_commits,
		      (unsigned long long)a.wal_bytes);
	} else {
		CHECK(mt, a.wal_bytes == b->wal_bytes + recsize,
		      "commit without flush: log %llu bytes, want %llu + %llu",
		      (unsigned long long)a.wal_bytes,
		      (unsigned long long)b->wal_bytes, (unsigned long long)recsize);
		CHECK(mt, a.pending_commits == b->pending_commits + 1 &&
		      a.flushed_seq == b->flushed_seq,
		      "commit without flush: %llu pending, want %llu",
		      (unsigned long long)a.pending_commits,
		      (unsigned long long)b->pending_commits + 1);
	}
	if (mt->cache_mode == CACHE_EVERY)
		CHECK(mt, a.flushes == b->flushes + 1, "cache 0 must flush at "
		      "every commit");
	if (mt->cache_mode == CACHE_NEVER && b->pending_bytes < ((uint64_t)1 << 29))
		CHECK(mt, a.flushes == b->flushes, "a 1 GiB cache flushed at %llu "
		      "pending bytes", (unsigned long long)b->pending_bytes);
	mt->st = a;
}

/* After an abort the touched keys read as before the txn. */
static void check_abort_left_nothing(struct mt *mt)
{
	struct view *v = calloc(1, sizeof(*v));

	CHECK(mt, v != NULL, "out of memory");
	v->kind = V_READ;
	v->m = mt->m;
	CHECK(mt, ember_store_read(mt->s, &v->t) == 0, "begin read txn");
	for (int d = 0; d < NMDB; d++)
		for (int kid = 0; kid < NKEYS; kid++)
			if (mt->touched[d][kid])
				check_get(mt, v, d, kid);
	for (int d = 0; d < NMDB; d++)
		check_count(mt, v, d);
	ember_txn_abort(v->t);
	free(v);
}

/* One write txn of random work, committed or aborted. */
static void step_txn(struct mt *mt)
{
	struct view *w = &mt->w;
	struct ember_store_stats before;
	int nops, last = -1, rc;

	mt->what = "a write txn";
	mt_stats(mt, &before);
	memset(mt->touched, 0, sizeof(mt->touched));
	mt->ntouched = 0;
	memset(w->h, 0, sizeof(w->h));
	w->kind = V_WRITE;
	w->begun = mt->step;
	w->m = mt->m;
	rc = ember_store_write(mt->s, &w->t);
	CHECK(mt, rc == 0 && w->t, "begin write txn: rc %d", rc);
	nops = chance(mt, 25) ? 100 + (int)rn(mt, 300) :
	       chance(mt, 20) ? 0 : 1 + (int)rn(mt, 24);
	for (int i = 0; i < nops; i++) {
		unsigned r = rn(mt, 100);
		if (r < 40)
			last = op_write(mt, w, last >= 0 && chance(mt, 4) ? last % NKEYS
			                                                  : -1,
			                last >= 0 ? last / NKEYS : 0);
		else if (r < 52)
			op_write(mt, w, -1, 0);
		else if (r < 56)
			op_put_new(mt, w);
		else if (r < 58)
			op_append(mt, w);
		else if (r < 70)
			check_get(mt, w, (int)rn(mt, NMDB), rand_kid(mt));
		else if (r < 73)
			check_probe(mt, w, (int)rn(mt, NMDB));
		else if (r < 83)
			random_walk(mt, w, (int)rn(mt, NMDB));
		else if (r < 86)
			check_count(mt, w, (int)rn(mt, NMDB));
		else if (r < 90)
			hold_take(mt, w);
		else if (r < 95) {
			if (!mt->no_reader_ops)
				reader_act(mt);     /* readers see the committed state */
			mt->what = "a write txn";
		} else
			verify_light(mt, w);
	}
	hold_check(mt, w);
	if (chance(mt, 7)) {
		ember_txn_abort(w->t);
		w->t = NULL;
		mt->what = "checking an abort";
		check_abort_left_nothing(mt);
		mt->n.aborts++;
		return;
	}
	if (mt->cache_mode == CACHE_AGE && before.pending_commits > 0)
		usleep(2000);   /* the oldest pending commit is now over 1 ms old */
	{
		uint64_t recsize = record_size(mt);
		mt->what = "commit";
		rc = ember_txn_commit(w->t);
		w->t = NULL;
		CHECK(mt, rc == 0, "commit: rc %d", rc);
		mt->m = w->m;
		if (mt->ntouched) {
			check_after_commit(mt, &before, recsize);
			if (mt->cache_mode == CACHE_AGE && before.pending_commits > 0)
				CHECK(mt, mt->st.flushes > before.flushes, "the age limit "
				      "(1 ms) did not flush %llu commits after 2 ms",
				      (unsigned long long)before.pending_commits);
		}
	}
	mt->n.commits++;
}

/* ---- crashes: a child commits and exits without closing ---- */

#define BMAXTX 8
#define BMAXOPS 16

struct bop {
	uint8_t d;
	uint16_t kid;
	struct mval v;          /* !present: a deletion */
};

struct btx {
	int nops;
	struct bop op[BMAXOPS];
	int flush_after;        /* the child flushes after this commit */
};

struct batch {
	int ntx;
	struct btx tx[BMAXTX];
};

/* ntx txns of random puts and deletes; the child flushes after one in
 * flush_one_in (0: never). */
static void batch_gen(struct mt *mt, struct batch *b, int ntx, int flush_one_in)
{
	memset(b, 0, sizeof(*b));
	b->ntx = ntx;
	for (int t = 0; t < ntx; t++) {
		struct btx *tx = &b->tx[t];
		tx->nops = 1 + (int)rn(mt, BMAXOPS);
		for (int i = 0; i < tx->nops; i++) {
			struct bop *op = &tx->op[i];
			op->d = (uint8_t)rn(mt, NMDB);
			op->kid = (uint16_t)(i && chance(mt, 5) ? tx->op[i - 1].kid
			                                        : rand_kid(mt));
			if (!chance(mt, 4))
				rand_val(mt, &op->v);
		}
		tx->flush_after = flush_one_in && chance(mt, (unsigned)flush_one_in);
	}
}

static void batch_apply(struct model *m, const struct batch *b, int ntx)
{
	for (int t = 0; t < ntx; t++)
		for (int i = 0; i < b->tx[t].nops; i++) {
			const struct bop *op = &b->tx[t].op[i];
			m->v[op->d][op->kid] = op->v;
		}
}

/* Index of the first txn after the child's last flush. */
static int batch_first_logged(const struct batch *b)
{
	int first = 0;
	for (int t = 0; t < b->ntx; t++)
		if (b->tx[t].flush_after)
			first = t + 1;
	return first;
}

/* In the child: no cmocka here, only an exit code. */
static void child_commit(const char *dir, const struct batch *b)
{
	struct ember_store *s;

	if (ember_store_open(&s, dir, 0) != 0)
		_exit(10);
	ember_store_set_cache(s, (size_t)1 << 30, 0);
	for (int t = 0; t < b->ntx; t++) {
		struct ember_txn *w;
		if (ember_store_write(s, &w) != 0)
			_exit(11);
		for (int i = 0; i < b->tx[t].nops; i++) {
			const struct bop *op = &b->tx[t].op[i];
			const struct mkey *k = &keys[op->kid];
			int rc = op->v.present
				? ember_store_put(w, mdbs[op->d], k->k, k->len,
				                  op->v.len ? op->v.b : NULL, op->v.len)
				: ember_store_del(w, mdbs[op->d], k->k, k->len);
			if (rc != 0)
				_exit(12);
		}
		if (ember_txn_commit(w) != 0)
			_exit(13);
		if (b->tx[t].flush_after && ember_store_flush(s) != 0)
			_exit(14);
	}
	_exit(0);       /* a kill -9, for the store: no close, no flush */
}

/* Close, run the batch in a child that crashes, leave the store closed. */
static void crash_child(struct mt *mt, const struct batch *b)
{
	pid_t pid;
	int status = -1;

	if (mt->s)
		mt_close(mt);
	fflush(NULL);
	pid = fork();
	CHECK(mt, pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		child_commit(mt->dir, b);
	CHECK(mt, waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(mt, WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the crashing child failed (exit %d, status %#x): 10 open, 11 "
	      "begin, 12 put, 13 commit, 14 flush", WEXITSTATUS(status), status);
}

/* The log after a crash: one record per commit since the child's last
 * flush, numbered on from seq0 (the commits before the child ran). */
static int check_log(struct mt *mt, const struct batch *b, uint64_t seq0,
                     struct walrec *r)
{
	int first = batch_first_logged(b);
	int n = wal_parse(mt->wal, r, BMAXTX + 1);

	CHECK(mt, n == b->ntx - first, "the log after a crash holds %d records, "
	      "want %d", n, b->ntx - first);
	for (int i = 0; i < n; i++)
		CHECK(mt, r[i].seq == seq0 + (uint64_t)first + (uint64_t)i + 1 &&
		      r[i].count >= 1, "log record %d: seq %llu, want %llu", i,
		      (unsigned long long)r[i].seq,
		      (unsigned long long)(seq0 + (uint64_t)first + (uint64_t)i + 1));
	return n;
}

enum { TORN_NONE, TORN_ONE, TORN_FEW, TORN_MID, TORN_HEADER, TORN_WHOLE,
       TORN_MODES };

/* Cut the last record of the log as mode says.  Returns the bytes cut. */
static size_t cut_last(struct mt *mt, const struct walrec *last, int mode)
{
	const char *p = mt->wal;
	size_t cut;

	switch (mode) {
	case TORN_ONE:
		cut = 1;
		break;
	case TORN_FEW:
		cut = 2 + rn(mt, 6);
		break;
	case TORN_MID:
		cut = last->len / 2;
		break;
	case TORN_HEADER:           /* 1..19 bytes of the header stay */
		cut = last->len - 1 - rn(mt, WAL_HDR - 1);
		break;
	default:                    /* the record never started */
		cut = last->len;
	}
	CHECK(mt, truncate(p, (off_t)(last->off + last->len - cut)) == 0,
	      "truncate the log: %s", strerror(errno));
	return cut;
}

static void append_zeros(struct mt *mt, size_t n)
{
	uint8_t *z = calloc(1, n);
	FILE *f = fopen(mt->wal, "ab");

	CHECK(mt, z && f && fwrite(z, 1, n, f) == n && fclose(f) == 0,
	      "append zeros to the log");
	free(z);
}

/*
 * Crash with batch b (the store closed first), optionally tear the last
 * record or add a zero-filled tail, reopen and compare everything.
 */
static void crash_and_check(struct mt *mt, const struct batch *b, int torn,
                            int zeros)
{
	struct walrec r[BMAXTX + 1];
	uint64_t seq0;
	int n, applied = b->ntx;

	mt->what = "a crash";
	if (mt->s)
		mt_close(mt);
	seq0 = mt->st.committed_seq;
	crash_child(mt, b);
	n = check_log(mt, b, seq0, r);
	if (torn != TORN_NONE && n > 0) {
		cut_last(mt, &r[n - 1], torn);
		applied--;
		mt->n.torn++;
	} else if (zeros) {
		append_zeros(mt, zeros);
	}
	batch_apply(&mt->m, b, applied);
	mt->what = "reopen after a crash";
	mt_open(mt);
	CHECK(mt, mt->st.committed_seq == seq0 + (uint64_t)applied,
	      "after a crash: committed seq %llu, want %llu + %d",
	      (unsigned long long)mt->st.committed_seq,
	      (unsigned long long)seq0, applied);
	CHECK(mt, mt->st.wal_bytes == 0, "after replay the log holds %llu bytes",
	      (unsigned long long)mt->st.wal_bytes);
	verify_now(mt, 1);
	mt->n.crashes++;
}

/* ---- fixtures ---- */

static struct mt *mt_new(uint64_t test_no)
{
	struct mt *mt = calloc(1, sizeof(*mt));

	keys_init();
	if (!mt)
		return NULL;
	mt->base = env_u64("EMBER_STORE_MODEL_SEED", 20240611);
	mt->seed = mt->base + test_no;
	mt->x = mt->seed * 0x2545f4914f6cdd1dull;
	mt->cache_mode = CACHE_NEVER;
	if (test_tmpdir(mt->dir, sizeof(mt->dir), "storemodel") != 0) {
		free(mt);
		return NULL;
	}
	snprintf(mt->wal, sizeof(mt->wal), "%s/ledger.wal", mt->dir);
	snprintf(mt->data, sizeof(mt->data), "%s/data.mdb", mt->dir);
	snprintf(mt->errp, sizeof(mt->errp), "%s/stderr.txt", mt->dir);
	return mt;
}

static int teardown(void **state)
{
	struct mt *mt = *state;

	if (!mt)
		return 0;
	/* After a failure txns may still be open: end them so close can
	 * flush and return. */
	ember_txn_abort(mt->w.t);
	for (int i = 0; i < MAXR; i++)
		ember_txn_abort(mt->rd[i].t);
	ember_store_close(mt->s);
	rm_dir(mt->dir);
	free(mt);
	*state = NULL;
	return 0;
}

/* ---- 1 and 2: random txns, readers, flushes, reopens, crashes ---- */

struct mix {
	long steps;
	unsigned txn, reader, flush, cache, reopen, crash;      /* per mille */
};

static void run_mix(struct mt *mt, const struct mix *mx)
{
	long steps = (long)env_u64("EMBER_STORE_MODEL_STEPS", (uint64_t)mx->steps);

	mt_open(mt);
	set_cache_mode(mt, (int)rn(mt, CACHE_MODES));
	for (mt->step = 0; mt->step < steps; mt->step++) {
		unsigned r = rn(mt, 1000), acc = 0;

		if (r < (acc += mx->txn)) {
			step_txn(mt);
		} else if (r < (acc += mx->reader)) {
			reader_act(mt);
		} else if (r < (acc += mx->flush)) {
			mt_flush(mt);
		} else if (r < (acc += mx->cache)) {
			set_cache_mode(mt, (int)rn(mt, CACHE_MODES));
		} else if (r < (acc += mx->reopen)) {
			mt_reopen(mt);
		} else if (r < (acc += mx->crash)) {
			struct batch b;
			int torn = chance(mt, 2) ? 1 + (int)rn(mt, TORN_MODES - 1)
			                         : TORN_NONE;
			batch_gen(mt, &b, 1 + (int)rn(mt, BMAXTX), 4);
			crash_and_check(mt, &b, torn, chance(mt, 4) ? 1 + rn(mt, 5000) : 0);
		} else {
			mt->what = "a fresh reader";
			verify_now(mt, chance(mt, 20));
		}
	}
	readers_end_all(mt);
	mt->what = "the final check";
	verify_now(mt, 1);
	mt_reopen(mt);
	print_message("seed %llu+%llu: %ld steps, %ld commits (%ld flushed inside), "
	              "%ld aborts, %ld flush calls, %ld reopens, %ld crashes (%ld "
	              "torn), %ld readers, %ld walks, %ld gets\n",
	              (unsigned long long)mt->base,
	              (unsigned long long)(mt->seed - mt->base), steps, mt->n.commits,
	              mt->n.commit_flushes, mt->n.aborts, mt->n.flushes,
	              mt->n.reopens,
	              mt->n.crashes, mt->n.torn, mt->n.readers, mt->n.walks,
	              mt->n.gets);
}

static void test_model_random(void **state)
{
	static const struct mix mx = {
		.steps = 2000, .txn = 520, .reader = 220, .flush = 50, .cache = 40,
		.reopen = 15, .crash = 15,
	};
	struct mt *mt = *state = mt_new(1);

	assert_non_null(mt);
	run_mix(mt, &mx);
	assert_true(mt->n.commits > 100 && mt->n.crashes > 0 && mt->n.reopens > 0);
}

/* Snapshots under pressure: many readers, flushes inside most commits
 * (so runs are flushed and pruned under open readers), no reopens. */
static void test_model_snapshots(void **state)
{
	static const struct mix mx = {
		.steps = 1500, .txn = 380, .reader = 480, .flush = 60, .cache = 40,
		.reopen = 0, .crash = 0,
	};
	struct mt *mt = *state = mt_new(2);

	assert_non_null(mt);
	run_mix(mt, &mx);
	assert_true(mt->n.readers > 50 && mt->n.flushes > 10);
}

/*
 * The core snapshot case, step by step: a reader begun before a commit,
 * a flush of that commit and the pruning of its run, still sees its
 * values (through the same pointers) and its walks and counts.
 */
static void test_snapshot_across_flush(void **state)
{
	struct mt *mt = *state = mt_new(3);
	struct view *old, *mid;
	struct mval nv;

	assert_non_null(mt);
	mt_open(mt);
	mt->no_reader_ops = 1;
	for (int round = 0; round < 3; round++) {
		step_txn(mt);
		old = &mt->rd[0];
		reader_begin(mt);
		if (old->kind == V_OVERLAY)
			overlay_write(mt, old);
		for (int i = 0; i < NHOLD; i++)
			hold_take(mt, old);
		/* Rewrite every key the reader may hold, in every db. */
		mt->what = "rewriting everything";
		CHECK(mt, ember_store_write(mt->s, &mt->w.t) == 0, "begin write");
		mt->w.kind = V_WRITE;
		mt->w.m = mt->m;
		for (int d = 0; d < NMDB; d++)
			for (int kid = 0; kid < NKEYS; kid += 1 + (int)rn(mt, 3)) {
				memset(&nv, 0, sizeof(nv));
				if (!chance(mt, 4))
					rand_val(mt, &nv);
				view_set(mt, &mt->w, d, kid, &nv);
			}
		CHECK(mt, ember_txn_commit(mt->w.t) == 0, "commit");
		mt->w.t = NULL;
		mt->m = mt->w.m;
		mid = &mt->rd[1];
		reader_begin(mt);
		hold_take(mt, mid);
		step_txn(mt);
		mt_flush(mt);           /* prunes whatever no reader pins */
		step_txn(mt);
		mt_flush(mt);
		mt->what = "the old reader after flushes";
		verify_full(mt, old);
		verify_full(mt, mid);
		reader_end(mt, old);
		step_txn(mt);
		mt_flush(mt);
		verify_full(mt, mid);
		reader_end(mt, mid);
		verify_now(mt, 1);
	}
}

/* ---- 3 and 4: crashes, torn and damaged logs ---- */

static void test_crash_replay(void **state)
{
	struct mt *mt = *state = mt_new(4);
	struct batch b;

	assert_non_null(mt);
	mt_open(mt);
	for (int i = 0; i < 20; i++)
		step_txn(mt);
	/* Commits only in the log. */
	batch_gen(mt, &b, 5, 0);
	crash_and_check(mt, &b, TORN_NONE, 0);
	/* Commit, flush some, commit more, crash. */
	batch_gen(mt, &b, 6, 0);
	b.tx[2].flush_after = 1;
	crash_and_check(mt, &b, TORN_NONE, 0);
	/* A flush after the last commit: nothing left to replay. */
	batch_gen(mt, &b, 3, 0);
	b.tx[2].flush_after = 1;
	crash_and_check(mt, &b, TORN_NONE, 0);
	/* Two crashes in a row: the second child replays the first's log,
	 * then commits and crashes itself. */
	mt_close(mt);
	for (int i = 0; i < 2; i++) {
		uint64_t seq0 = mt->st.committed_seq;
		struct walrec r[BMAXTX + 1];
		batch_gen(mt, &b, 4, 0);
		crash_child(mt, &b);
		mt->what = "the log after a crash";
		/* The second child replayed (and emptied) the first's log. */
		check_log(mt, &b, seq0, r);
		batch_apply(&mt->m, &b, b.ntx);
		mt->st.committed_seq = seq0 + (uint64_t)b.ntx;
	}
	{
		uint64_t want = mt->st.committed_seq;
		mt_open(mt);
		CHECK(mt, mt->st.committed_seq == want, "committed seq %llu, want "
		      "%llu", (unsigned long long)mt->st.committed_seq,
		      (unsigned long long)want);
	}
	verify_now(mt, 1);
	/* The next commits go on from there. */
	for (int i = 0; i < 5; i++)
		step_txn(mt);
	mt_reopen(mt);
}

static void test_torn_tail(void **state)
{
	struct mt *mt = *state = mt_new(5);
	struct batch b;

	assert_non_null(mt);
	mt_open(mt);
	for (int i = 0; i < 10; i++)
		step_txn(mt);
	for (int mode = TORN_ONE; mode < TORN_MODES; mode++)
		for (int rep = 0; rep < 2; rep++) {
			batch_gen(mt, &b, 1 + (int)rn(mt, 5), 0);
			if (rep)
				b.tx[0].flush_after = b.ntx > 1;
			crash_and_check(mt, &b, mode, 0);
			/* Later commits, clean and crashed, build on the cut log. */
			step_txn(mt);
			batch_gen(mt, &b, 2, 0);
			crash_and_check(mt, &b, TORN_NONE, 0);
		}
	/* Zeros after the last record (an extent allocated, never written). */
	batch_gen(mt, &b, 3, 0);
	crash_and_check(mt, &b, TORN_NONE, 4096);
	batch_gen(mt, &b, 3, 0);
	crash_and_check(mt, &b, TORN_NONE, 7);
	mt_reopen(mt);
}

/* Does the captured stderr name byte off? */
static int log_names_byte(const char *path, size_t off)
{
	size_t len;
	char *txt = (char *)file_read(path, &len), want[48];
	int found;

	if (!txt)
		return 0;
	txt[len] = '\0';
	snprintf(want, sizeof(want), "byte %zu", off);
	found = strstr(txt, want) != NULL;
	free(txt);
	return found;
}

/* Open, keeping what the store writes to stderr in file errp. */
static int open_capture(struct ember_store **s, const char *dir,
                        const char *errp)
{
	int rc, saved, fd;

	fflush(stderr);
	saved = dup(2);
	fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (saved < 0 || fd < 0 || dup2(fd, 2) != 2)
		return -1000;
	close(fd);
	rc = ember_store_open(s, dir, 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	return rc;
}

/*
 * A flipped byte in a record that is not the last (so it cannot be a
 * torn append) is damage: open refuses, names the record's offset and
 * changes neither file.  Once repaired, every commit is there.
 */
static void test_damaged_record(void **state)
{
	static const int rec[4] = { 0, 1, 3, 2 };
	struct mt *mt = *state = mt_new(6);
	struct walrec r[BMAXTX + 1];
	struct batch b;
	const char *wal, *data, *errp;
	uint8_t *pristine;
	size_t plen;
	uint64_t seq0;
	int n;

	assert_non_null(mt);
	wal = mt->wal;
	data = mt->data;
	errp = mt->errp;
	mt_open(mt);
	for (int i = 0; i < 10; i++)
		step_txn(mt);
	mt_close(mt);
	seq0 = mt->st.committed_seq;
	batch_gen(mt, &b, 5, 0);
	crash_child(mt, &b);
	mt->what = "damaging the log";
	n = check_log(mt, &b, seq0, r);
	assert_int_equal(n, 5);
	pristine = file_read(wal, &plen);
	assert_non_null(pristine);
	/* In the middle of a payload, in the hash, anywhere after the
	 * header, in the header's seq; not in payload_len (that is
	 * test_damaged_length) nor in the last record (a torn tail). */
	for (int which = 0; which < 4; which++) {
		const struct walrec *x = &r[rec[which]];
		size_t at = which == 0 ? x->off + WAL_HDR + (x->len - WAL_HDR - WAL_HASH) / 2
		          : which == 1 ? x->off + x->len - 1 - rn(mt, WAL_HASH)
		          : which == 2 ? x->off + WAL_HDR + rn(mt, (unsigned)(x->len - WAL_HDR))
		                       : x->off + 8 + rn(mt, 8);
		size_t wlen, dlen, dlen2;
		uint8_t *w1, *d0, *d1;
		struct ember_store *s = (struct ember_store *)1;
		int rc;

		uint8_t bit = (uint8_t)(1u << rn(mt, 8));

		pristine[at] ^= bit;
		CHECK(mt, file_write(wal, pristine, plen) == 0, "write the log");
		d0 = file_read(data, &dlen);
		CHECK(mt, d0 != NULL, "read data.mdb");
		rc = open_capture(&s, mt->dir, errp);
		if (rc == 0)
			ember_store_close(s);
		CHECK(mt, rc == EMBER_STORE_DAMAGED && s == NULL,
		      "open with byte %zu of record %d (of %d, at byte %zu) "
		      "flipped: rc %d, want EMBER_STORE_DAMAGED", at, rec[which], n,
		      x->off, rc);
		CHECK(mt, log_names_byte(errp, x->off), "the refusal does not name "
		      "the damaged record's offset %zu", x->off);
		w1 = file_read(wal, &wlen);
		d1 = file_read(data, &dlen2);
		CHECK(mt, w1 && wlen == plen && memcmp(pristine, w1, plen) == 0,
		      "a refused open changed the log (%zu bytes, was %zu)", wlen,
		      plen);
		CHECK(mt, d1 && dlen2 == dlen && memcmp(d0, d1, dlen) == 0,
		      "a refused open changed data.mdb (%zu bytes, was %zu)", dlen2,
		      dlen);
		free(w1);
		free(d0);
		free(d1);
		pristine[at] ^= bit;
	}
	mt->what = "opening the repaired log";
	CHECK(mt, file_write(wal, pristine, plen) == 0, "write the log");
	free(pristine);
	batch_apply(&mt->m, &b, b.ntx);
	mt_open(mt);
	CHECK(mt, mt->st.committed_seq == seq0 + 5, "committed seq %llu, want "
	      "%llu", (unsigned long long)mt->st.committed_seq,
	      (unsigned long long)seq0 + 5);
	verify_now(mt, 1);
}

/*
 * The same damage in a record's payload_len.  Made larger, the length
 * runs past the end of the file, and the record reads like a torn append
 * whatever follows it.  But a crash tears only the last append, and
 * whole records follow this one: store_wal.h calls a bad record that is
 * followed by more bytes damage, and store.h says a damaged log is
 * refused.  Cutting here would drop acknowledged commits without a word.
 */
static void test_damaged_length(void **state)
{
	struct mt *mt = *state = mt_new(9);
	struct walrec r[BMAXTX + 1];
	struct batch b;
	const char *wal, *errp;
	uint8_t *pristine, *w1;
	size_t plen, wlen;
	struct ember_store *s = NULL;
	uint64_t seq0;
	int rc;

	assert_non_null(mt);
	wal = mt->wal;
	errp = mt->errp;
	mt_open(mt);
	for (int i = 0; i < 5; i++)
		step_txn(mt);
	mt_close(mt);
	seq0 = mt->st.committed_seq;
	batch_gen(mt, &b, 4, 0);
	crash_child(mt, &b);
	mt->what = "damaging a record's length";
	CHECK(mt, check_log(mt, &b, seq0, r) == 4, "four records");
	pristine = file_read(wal, &plen);
	assert_non_null(pristine);
	/* Bit 16 of record 1's payload_len: + 64 KiB, past the end. */
	CHECK(mt, pristine[r[1].off + 6] == 0, "a record under 64 KiB");
	pristine[r[1].off + 6] ^= 1;
	CHECK(mt, file_write(wal, pristine, plen) == 0, "write the log");
	rc = open_capture(&s, mt->dir, errp);
	if (rc == 0)
		ember_store_close(s);
	w1 = file_read(wal, &wlen);     /* only its length is wanted */
	free(w1);
	pristine[r[1].off + 6] ^= 1;
	CHECK(mt, file_write(wal, pristine, plen) == 0, "restore the log");
	free(pristine);
	CHECK(mt, rc == EMBER_STORE_DAMAGED,
	      "open accepted a log whose record 1 of 4 (byte %zu) has a damaged "
	      "payload_len (rc %d): it cut the record and the 2 whole records "
	      "after it as a torn tail (the log is now %zu of %zu bytes), "
	      "dropping 3 acknowledged commits",
	      r[1].off, rc, wlen, plen);
	CHECK(mt, log_names_byte(errp, r[1].off), "the refusal does not name "
	      "byte %zu", r[1].off);
	batch_apply(&mt->m, &b, b.ntx);
	mt_open(mt);
	verify_now(mt, 1);
}

/*
 * A crash between a flush's LMDB commit and its log reset leaves records
 * the flush already wrote; replay must skip them (their seq is at or
 * below the flushed seq), and new records must follow them.  Simulated by
 * putting back a copy of the log taken before the replay that flushed it.
 */
static void test_stale_log(void **state)
{
	struct mt *mt = *state = mt_new(8);
	struct walrec r[2 * BMAXTX + 1];
	struct batch a, b;
	const char *wal;
	uint8_t *saved;
	size_t slen;
	uint64_t seq0;
	int n;

	assert_non_null(mt);
	wal = mt->wal;
	mt_open(mt);
	for (int i = 0; i < 5; i++)
		step_txn(mt);
	mt_close(mt);
	seq0 = mt->st.committed_seq;
	batch_gen(mt, &a, 3, 0);
	crash_child(mt, &a);
	mt->what = "the stale log";
	CHECK(mt, check_log(mt, &a, seq0, r) == 3, "three records");
	saved = file_read(wal, &slen);
	assert_non_null(saved);
	batch_apply(&mt->m, &a, a.ntx);
	mt_open(mt);                    /* replays a, flushes, empties the log */
	verify_now(mt, 1);
	mt_close(mt);

	/* The records a's replay wrote, back in the log (seq == flushed). */
	CHECK(mt, file_write(wal, saved, slen) == 0, "restore the log");
	mt_open(mt);
	CHECK(mt, mt->st.committed_seq == seq0 + 3, "committed seq %llu, want "
	      "%llu", (unsigned long long)mt->st.committed_seq,
	      (unsigned long long)seq0 + 3);
	verify_now(mt, 1);
	ember_store_close(mt->s);       /* nothing pending: the log stays */
	mt->s = NULL;
	/* b rewrites every key a wrote: a replayed after b would show. */
	b = a;
	for (int t = 0; t < b.ntx; t++)
		for (int i = 0; i < b.tx[t].nops; i++) {
			memset(&b.tx[t].op[i].v, 0, sizeof(b.tx[t].op[i].v));
			if (!chance(mt, 4))
				rand_val(mt, &b.tx[t].op[i].v);
		}
	crash_child(mt, &b);
	n = wal_parse(mt->wal, r, 2 * BMAXTX + 1);
	CHECK(mt, n == 3 + b.ntx, "the log holds %d records, want the 3 stale "
	      "ones and %d new", n, b.ntx);
	for (int i = 0; i < n; i++)
		CHECK(mt, r[i].seq == seq0 + 1 + (uint64_t)i, "record %d has seq "
		      "%llu, want %llu", i, (unsigned long long)r[i].seq,
		      (unsigned long long)(seq0 + 1 + (uint64_t)i));
	batch_apply(&mt->m, &b, b.ntx);
	mt_open(mt);
	CHECK(mt, mt->st.committed_seq == seq0 + 3 + (uint64_t)b.ntx,
	      "committed seq %llu", (unsigned long long)mt->st.committed_seq);
	verify_now(mt, 1);
	mt_close(mt);

	/* The same records, now all below the flushed seq. */
	CHECK(mt, file_write(wal, saved, slen) == 0, "restore the log");
	free(saved);
	mt_open(mt);
	CHECK(mt, mt->st.committed_seq == seq0 + 3 + (uint64_t)b.ntx &&
	      mt->st.wal_bytes == 0, "committed seq %llu, log %llu bytes",
	      (unsigned long long)mt->st.committed_seq,
	      (unsigned long long)mt->st.wal_bytes);
	verify_now(mt, 1);
	for (int i = 0; i < 3; i++)
		step_txn(mt);
	batch_gen(mt, &b, 3, 0);
	crash_and_check(mt, &b, TORN_NONE, 0);
	mt_reopen(mt);
}

/* ---- values larger than a change set's 1 MiB arena chunk ---- */

static const size_t big_sizes[] = {
	0, 1, MIB - 64, MIB, MIB + 1, 3 * MIB + 5
};
#define NBIG (sizeof(big_sizes) / sizeof(*big_sizes))

static uint8_t *big_val(unsigned gen, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);

	for (size_t j = 0; b && j < len; j++)
		b[j] = (uint8_t)(((j * 2654435761u) >> 13) ^ gen);
	return b;
}

/* Put big key i = value (gen, big_sizes[(i + gen) % NBIG]). */
static int big_put(struct ember_txn *t, unsigned i, unsigned gen)
{
	char k[8];
	size_t len = big_sizes[(i + gen) % NBIG];
	uint8_t *v = big_val(gen, len);
	int rc;

	snprintf(k, sizeof(k), "big%u", i);
	rc = v ? ember_store_put(t, EMBER_DB_BLOCKS, k, strlen(k), v, len)
	       : EMBER_ENOMEM;
	free(v);
	return rc;
}

static void big_check(struct mt *mt, struct ember_txn *t, unsigned gen)
{
	for (unsigned i = 0; i < NBIG; i++) {
		char k[8];
		size_t len = big_sizes[(i + gen) % NBIG], vlen = 0;
		uint8_t *want = big_val(gen, len);
		const void *v;
		int rc;

		snprintf(k, sizeof(k), "big%u", i);
		rc = ember_store_get(t, EMBER_DB_BLOCKS, k, strlen(k), &v, &vlen);
		CHECK(mt, want && rc == 0 && vlen == len &&
		      (!len || memcmp(v, want, len) == 0),
		      "big value '%s' of generation %u: rc %d, %zu bytes, want %zu",
		      k, gen, rc, vlen, len);
		free(want);
	}
}

/*
 * Values of 0 B to 3 MiB (around the arena's chunk size) next to small
 * random writes, rewritten in the same txn, through commit, flush, a
 * clean reopen and a crash replayed from the log.
 */
static void test_big_values(void **state)
{
	struct mt *mt = *state = mt_new(10);
	struct ember_txn *r = NULL;
	pid_t pid;
	int status = -1;

	assert_non_null(mt);
	mt_open(mt);
	mt->what = "big values";
	CHECK(mt, ember_store_write(mt->s, &mt->w.t) == 0, "begin write");
	mt->w.kind = V_WRITE;
	mt->w.m = mt->m;
	for (unsigned gen = 0; gen < 3; gen++)
		for (unsigned i = 0; i < NBIG; i++) {
			CHECK(mt, big_put(mt->w.t, i, gen) == 0, "put big%u", i);
			for (int j = 0; j < 5; j++)
				op_write(mt, &mt->w, -1, 0);
		}
	big_check(mt, mt->w.t, 2);
	verify_full(mt, &mt->w);
	CHECK(mt, ember_txn_commit(mt->w.t) == 0, "commit");
	mt->w.t = NULL;
	mt->m = mt->w.m;
	CHECK(mt, ember_store_read(mt->s, &r) == 0, "begin read");
	big_check(mt, r, 2);
	mt_flush(mt);
	big_check(mt, r, 2);            /* the snapshot, across the flush */
	ember_txn_abort(r);
	mt_reopen(mt);
	CHECK(mt, ember_store_read(mt->s, &r) == 0, "begin read");
	big_check(mt, r, 2);
	ember_txn_abort(r);

	/* Generation 3 only in the log when the child dies. */
	mt_close(mt);
	fflush(NULL);
	pid = fork();
	CHECK(mt, pid >= 0, "fork");
	if (pid == 0) {
		struct ember_store *s;
		struct ember_txn *w;
		if (ember_store_open(&s, mt->dir, 0) != 0 ||
		    ember_store_write(s, &w) != 0)
			_exit(10);
		for (unsigned i = 0; i < NBIG; i++)
			if (big_put(w, i, 3) != 0)
				_exit(11);
		if (ember_txn_commit(w) != 0)
			_exit(12);
		_exit(0);
	}
	CHECK(mt, waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "the child failed (status %#x)", status);
	mt_open(mt);
	CHECK(mt, ember_store_read(mt->s, &r) == 0, "begin read");
	big_check(mt, r, 3);
	ember_txn_abort(r);
	verify_now(mt, 1);
}

/* ---- 5: readers on other threads see whole commits ---- */

#define TH_READERS 2

struct th {
	struct ember_store *s;
	atomic_int *stop;
	int id;
	atomic_long reads;
	long flushes;
	uint64_t last;
	char err[256];
};

/* The value every key of commit i holds: its length and bytes vary. */
static size_t th_val(uint64_t i, uint8_t *b)
{
	size_t len = 8 + (size_t)(i % 24);

	ember_le64_put(b, i);
	for (size_t j = 8; j < len; j++)
		b[j] = (uint8_t)(i * 31 + j);
	return len;
}

static int th_has_abc(uint64_t i)
{
	return i > 0 && i % 7 != 0;
}

struct th_walk {
	uint8_t k[4][2];
	uint64_t v[4];
	int n, bad;
};

static int th_walk_cb(void *ctx, const void *key, size_t klen, const void *val,
                      size_t vlen)
{
	struct th_walk *w = ctx;
	uint8_t want[40];

	if (w->n == 4 || klen != 1 || vlen < 8) {
		w->bad = 1;
		return 1;
	}
	w->k[w->n][0] = ((const uint8_t *)key)[0];
	w->v[w->n] = ember_le64_get(val);
	if (vlen != th_val(w->v[w->n], want) || memcmp(val, want, vlen) != 0)
		w->bad = 1;
	w->n++;
	return 0;
}

#define TH_FAIL(a, ...) \
	do { \
		snprintf((a)->err, sizeof((a)->err), __VA_ARGS__); \
		goto out; \
	} while (0)

static void *th_reader(void *p)
{
	struct th *a = p;
	struct ember_txn *t = NULL;

	while (!atomic_load(a->stop)) {
		long nread = atomic_load(&a->reads);
		int overlay = a->id == 1 && nread % 5 == 0, rc;
		uint8_t want[40];
		const void *v, *held;
		size_t vlen, heldlen, wlen;
		uint64_t i = 0, n;
		struct th_walk w = { .n = 0 };

		rc = overlay ? ember_store_overlay(a->s, &t) : ember_store_read(a->s, &t);
		if (rc != 0)
			TH_FAIL(a, "begin: rc %d", rc);
		rc = ember_store_get(t, EMBER_DB_ACCOUNTS, "v", 1, &held, &heldlen);
		if (rc == 0)
			i = ember_le64_get(held);
		else if (rc != EMBER_ENOTFOUND)
			TH_FAIL(a, "get v: rc %d", rc);
		if (i < a->last)
			TH_FAIL(a, "a later txn saw commit %llu after commit %llu",
			        (unsigned long long)i, (unsigned long long)a->last);
		a->last = i;
		if (nread % 4 == 0)
			usleep(300);        /* let commits and flushes pass under it */
		else
			sched_yield();
		for (int k = 0; k < 3; k++) {
			const char key = (char)('a' + k);
			rc = ember_store_get(t, EMBER_DB_ACCOUNTS, &key, 1, &v, &vlen);
			if (!th_has_abc(i)) {
				if (rc != EMBER_ENOTFOUND)
					TH_FAIL(a, "commit %llu: '%c' rc %d, want not found",
					        (unsigned long long)i, key, rc);
				continue;
			}
			wlen = th_val(i, want);
			if (rc != 0 || vlen != wlen || memcmp(v, want, wlen) != 0)
				TH_FAIL(a, "commit %llu: '%c' rc %d, %zu bytes, value of "
				        "commit %llu", (unsigned long long)i, key, rc, vlen,
				        rc == 0 && vlen >= 8 ? (unsigned long long)
				        ember_le64_get(v) : 0ull);
		}
		rc = (nread & 1 ? ember_store_iter_rev : ember_store_iter)(
			t, EMBER_DB_ACCOUNTS, NULL, 0, th_walk_cb, &w);
		if (rc != 0 || w.bad)
			TH_FAIL(a, "walk: rc %d, bad %d", rc, w.bad);
		if (w.n != (i == 0 ? 0 : th_has_abc(i) ? 4 : 1))
			TH_FAIL(a, "commit %llu: walk saw %d keys", (unsigned long long)i,
			        w.n);
		for (int k = 0; k < w.n; k++)
			if (w.v[k] != i)
				TH_FAIL(a, "commit %llu: walk saw '%c' of commit %llu",
				        (unsigned long long)i, w.k[k][0],
				        (unsigned long long)w.v[k]);
		rc = ember_store_count(t, EMBER_DB_ACCOUNTS, &n);
		if (rc != 0 || n != (uint64_t)w.n)
			TH_FAIL(a, "commit %llu: count rc %d, %llu, want %d",
			        (unsigned long long)i, rc, (unsigned long long)n, w.n);
		if (overlay) {
			rc = ember_store_put(t, EMBER_DB_ACCOUNTS, "a", 1, "zz", 2);
			if (rc != 0 || ember_store_get(t, EMBER_DB_ACCOUNTS, "a", 1, &v,
			                                &vlen) != 0 || vlen != 2)
				TH_FAIL(a, "overlay put/get: rc %d", rc);
		}
		if (i && (heldlen != th_val(i, want) || memcmp(held, want, heldlen)))
			TH_FAIL(a, "commit %llu: the value pointer of 'v' changed",
			        (unsigned long long)i);
		rc = ember_txn_commit(t);
		t = NULL;
		if (rc != (overlay ? EMBER_EINVAL : 0))
			TH_FAIL(a, "end: rc %d", rc);
		atomic_store(&a->reads, ++nread);
		if (a->id == 1 && nread % 16 == 0) {
			if ((rc = ember_store_flush(a->s)) != 0)
				TH_FAIL(a, "flush from a reader thread: rc %d", rc);
			a->flushes++;
		}
	}
out:
	ember_txn_abort(t);
	return NULL;
}

static void test_threads_atomic(void **state)
{
	struct mt *mt = *state = mt_new(7);
	struct th a[TH_READERS];
	pthread_t th[TH_READERS];
	atomic_int stop = 0;
	long commits = (long)env_u64("EMBER_STORE_MODEL_STEPS", 600) / 2;
	uint8_t val[40], extra[200];
	char werr[128] = "";
	time_t t0 = time(NULL);

	assert_non_null(mt);
	mt_open(mt);
	mt->what = "the writer";
	for (int i = 0; i < TH_READERS; i++) {
		a[i] = (struct th){ .s = mt->s, .stop = &stop, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, th_reader, &a[i]), 0);
	}
	/* No CHECK while the readers run: a failure would close the store
	 * under them.  The first failure stops the loop. */
	/* commits at least, and on until each reader has read 50 times
	 * (a fast disk commits faster than readers get going); 10 s at most. */
	for (long c = 1; (c <= commits || atomic_load(&a[0].reads) < 50 ||
	                  atomic_load(&a[1].reads) < 50) &&
	                 time(NULL) - t0 < 10 &&
	                 !werr[0] && !a[0].err[0] && !a[1].err[0]; c++) {
		struct ember_txn *w;
		size_t len = th_val((uint64_t)c, val);
		int nextra = (int)rn(mt, 10), rc;

		if (c == 1 || c == commits / 3)
			ember_store_set_cache(mt->s, 0, 0);
		else if (c == commits / 3 * 2)
			ember_store_set_cache(mt->s, 2 * MIB, 0);
		if ((rc = ember_store_write(mt->s, &w)) != 0) {
			snprintf(werr, sizeof(werr), "begin write: rc %d", rc);
			break;
		}
		rc = ember_store_put(w, EMBER_DB_ACCOUNTS, "v", 1, val, len);
		for (int k = 0; k < 3 && rc == 0; k++) {
			const char key = (char)('a' + k);
			rc = th_has_abc((uint64_t)c)
				? ember_store_put(w, EMBER_DB_ACCOUNTS, &key, 1, val, len)
				: ember_store_del(w, EMBER_DB_ACCOUNTS, &key, 1);
		}
		for (int k = 0; k < nextra && rc == 0; k++) {
			int kid = rand_kid(mt);
			size_t elen = rn(mt, sizeof(extra));
			memset(extra, (int)c, elen);
			rc = ember_store_put(w, EMBER_DB_ORDERS, keys[kid].k,
			                     keys[kid].len, extra, elen);
		}
		if (rc != 0) {
			ember_txn_abort(w);
			snprintf(werr, sizeof(werr), "commit %ld: a write: rc %d", c, rc);
			break;
		}
		if ((rc = ember_txn_commit(w)) != 0 ||
		    (c % 50 == 0 && (rc = ember_store_flush(mt->s)) != 0)) {
			snprintf(werr, sizeof(werr), "commit %ld or its flush: rc %d", c,
			         rc);
			break;
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < TH_READERS; i++)
		pthread_join(th[i], NULL);
	CHECK(mt, werr[0] == '\0', "the writer: %s", werr);
	for (int i = 0; i < TH_READERS; i++) {
		CHECK(mt, a[i].err[0] == '\0', "reader thread %d: %s", i, a[i].err);
		CHECK(mt, atomic_load(&a[i].reads) >= 50, "reader thread %d read "
		      "only %ld times in 10 s", i, (long)atomic_load(&a[i].reads));
	}
	CHECK(mt, a[1].flushes > 0, "the reader thread never flushed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_model_random, teardown),
		cmocka_unit_test_teardown(test_model_snapshots, teardown),
		cmocka_unit_test_teardown(test_snapshot_across_flush, teardown),
		cmocka_unit_test_teardown(test_crash_replay, teardown),
		cmocka_unit_test_teardown(test_torn_tail, teardown),
		cmocka_unit_test_teardown(test_damaged_record, teardown),
		cmocka_unit_test_teardown(test_damaged_length, teardown),
		cmocka_unit_test_teardown(test_stale_log, teardown),
		cmocka_unit_test_teardown(test_big_values, teardown),
		cmocka_unit_test_teardown(test_threads_atomic, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
