/*
 * store_mem.c - change sets and the pending map (store_mem.h).
 *
 * Both are open-addressing hash tables of entry pointers with linear
 * probing, kept at most half full; the pending map deletes with backward
 * shifting (no tombstones), because pruning removes as many keys as
 * commits added.  Entries are carved from a change set's arena of 1 MiB
 * chunks: one allocation per MiB instead of one per write.
 */
#include "store_mem.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ember/error.h"

#define CHUNK_SIZE ((size_t)1 << 20)
#define CHUNK_FIRST ((size_t)16 << 10)
#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

struct store_chunk {
	struct store_chunk *next;
	size_t size;
	uint8_t data[];
};

static uint8_t hash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void hash_init(void)
{
	/* sodium_init is idempotent and thread-safe; randombytes needs it. */
	if (sodium_init() < 0)
		abort();
	randombytes_buf(hash_key, sizeof(hash_key));
}

uint64_t store_hash(uint8_t db, const void *key, size_t klen)
{
	uint8_t buf[1 + 512], out[crypto_shorthash_BYTES];
	uint64_t h;

	pthread_once(&hash_once, hash_init);
	if (klen > sizeof(buf) - 1)
		klen = sizeof(buf) - 1;     /* keys are capped far below this */
	buf[0] = db;
	memcpy(buf + 1, key, klen);
	crypto_shorthash(out, buf, 1 + klen, hash_key);
	memcpy(&h, out, sizeof(h));
	return h;
}

int store_key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	size_t m = alen < blen ? alen : blen;
	int c = m ? memcmp(a, b, m) : 0;
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int ent_is(const struct store_ent *e, uint8_t db, const void *key,
                  size_t klen, uint64_t h)
{
	return e->hash == h && e->db == db && e->klen == klen &&
	       memcmp(e->key, key, klen) == 0;
}

/* Slot of (db, key) in tab: its entry's, or the empty one it would take. */
static size_t tab_slot(const struct store_slot *tab, size_t cap, uint8_t db,
                       const void *key, size_t klen, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);
	while (tab[i].e && (tab[i].h != h || !ent_is(tab[i].e, db, key, klen, h)))
		i = (i + 1) & (cap - 1);
	return i;
}

/* Grow tab (or create it) so that it holds want keys at most half full. */
static int tab_reserve(struct store_slot **tabp, size_t *capp, size_t want)
{
	struct store_slot *tab = *tabp, *nt;
	size_t cap = *capp, ncap;

	if ((want + 1) * 2 <= cap)
		return 0;
	ncap = cap ? cap * 2 : 1024;
	while ((want + 1) * 2 > ncap)
		ncap *= 2;
	if (!(nt = calloc(ncap, sizeof(*nt))))
		return EMBER_ENOMEM;
	for (size_t i = 0; i < cap; i++) {
		size_t j;
		if (!tab[i].e)
			continue;
		j = (size_t)tab[i].h & (ncap - 1);
		while (nt[j].e)
			j = (j + 1) & (ncap - 1);
		nt[j] = tab[i];
	}
	free(tab);
	*tabp = nt;
	*capp = ncap;
	return 0;
}

/* ---- change sets ---- */

int store_pool_init(struct store_pool *pool, size_t max_chunks)
{
	memset(pool, 0, sizeof(*pool));
	pool->max = max_chunks;
	return pthread_mutex_init(&pool->mu, NULL) ? EMBER_ENOMEM : 0;
}

void store_pool_destroy(struct store_pool *pool)
{
	while (pool->free) {
		struct store_chunk *c = pool->free;
		pool->free = c->next;
		free(c);
	}
	pthread_mutex_destroy(&pool->mu);
}

/* A standard chunk from the pool, or NULL. */
static struct store_chunk *pool_take(struct store_pool *pool)
{
	struct store_chunk *c = NULL;
	if (!pool)
		return NULL;
	pthread_mutex_lock(&pool->mu);
	if ((c = pool->free)) {
		pool->free = c->next;
		pool->n--;
	}
	pthread_mutex_unlock(&pool->mu);
	return c;
}

/* Give c back: to the pool when it is a standard chunk and there is
 * room, else to the system. */
static void pool_give(struct store_pool *pool, struct store_chunk *c)
{
	if (pool && c->size == CHUNK_SIZE) {
		pthread_mutex_lock(&pool->mu);
		if (pool->n < pool->max) {
			c->next = pool->free;
			pool->free = c;
			pool->n++;
			c = NULL;
		}
		pthread_mutex_unlock(&pool->mu);
	}
	free(c);
}

static void *ov_alloc(struct store_ov *ov, size_t n)
{
	struct store_chunk *c = ov->chunks;
	n = ALIGN8(n);
	if (!c || c->size - ov->chunk_used < n) {
		/* Chunks double from 16 KiB to 1 MiB: an empty block's change
		 * set (a few hundred bytes) must not hold a MiB until a flush. */
		size_t size = c ? (c->size < CHUNK_SIZE ? c->size * 2 : CHUNK_SIZE)
		                : CHUNK_FIRST;
		if (size < n)
			size = n;
		if (!(size == CHUNK_SIZE && (c = pool_take(ov->pool))) &&
		    !(c = malloc(sizeof(*c) + size)))
			return NULL;
		c->size = size;
		c->next = ov->chunks;
		ov->chunks = c;
		ov->chunk_used = 0;
		ov->bytes += sizeof(*c) + size;
	}
	ov->chunk_used += n;
	return c->data + ov->chunk_used - n;
}

struct store_ov *store_ov_new(struct store_pool *pool)
{
	struct store_ov *ov = calloc(1, sizeof(*ov));
	if (ov && pthread_mutex_init(&ov->mu, NULL) != 0) {
		free(ov);
		return NULL;
	}
	if (ov)
		ov->pool = pool;
	return ov;
}

void store_ov_free(struct store_ov *ov)
{
	if (!ov)
		return;
	while (ov->chunks) {
		struct store_chunk *c = ov->chunks;
		ov->chunks = c->next;
		pool_give(ov->pool, c);
	}
	for (int d = 0; d < STORE_NDB; d++)
		free(ov->db[d].e);
	free(ov->tab);
	pthread_mutex_destroy(&ov->mu);
	free(ov);
}

struct store_ent *store_ov_get(const struct store_ov *ov, uint8_t db,
                               const void *key, size_t klen, uint64_t h)
{
	if (!ov->tabcap)
		return NULL;
	return ov->tab[tab_slot(ov->tab, ov->tabcap, db, key, klen, h)].e;
}

static int ent_cmp_key(const struct store_ent *e, const void *key, size_t klen)
{
	return store_key_cmp(e->key, e->klen, key, klen);
}

size_t store_ents_lower(struct store_ent *const *a, size_t n, const void *key,
                        size_t klen)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ent_cmp_key(a[mid], key, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t store_ents_upper(struct store_ent *const *a, size_t n, const void *key,
                        size_t klen)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ent_cmp_key(a[mid], key, klen) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* An entry's radix key: db, then the key's first 7 bytes (zero-padded). */
struct sort_rec {
	uint64_t k;
	struct store_ent *e;
};

static uint64_t sort_prefix(const struct store_ent *e)
{
	uint64_t k = (uint64_t)e->db << 56;
	for (size_t i = 0; i < 7 && i < e->klen; i++)
		k |= (uint64_t)e->key[i] << (48 - 8 * i);
	return k;
}

static int sort_rec_cmp(const void *a, const void *b)
{
	const struct store_ent *x = ((const struct sort_rec *)a)->e;
	const struct store_ent *y = ((const struct sort_rec *)b)->e;
	return store_key_cmp(x->key, x->klen, y->key, y->klen);
}

int store_ents_sort(struct store_ent **a, size_t n)
{
	struct sort_rec *r, *t;
	size_t i, j;

	if (n < 2)
		return 0;
	if (n > SIZE_MAX / (2 * sizeof(*r)) || !(r = malloc(2 * n * sizeof(*r))))
		return EMBER_ENOMEM;
	t = r + n;
	for (i = 0; i < n; i++) {
		r[i].k = sort_prefix(a[i]);
		r[i].e = a[i];
	}
	/* LSD radix, a byte a pass; a pass where every key has the same
	 * byte (the db byte, mostly) moves nothing and is skipped. */
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[256] = { 0 }, pos = 0;
		struct sort_rec *sw;
		for (i = 0; i < n; i++)
			count[(r[i].k >> shift) & 0xff]++;
		if (count[(r[0].k >> shift) & 0xff] == n)
			continue;
		for (int b = 0; b < 256; b++) {
			size_t c = count[b];
			count[b] = pos;
			pos += c;
		}
		for (i = 0; i < n; i++)
			t[count[(r[i].k >> shift) & 0xff]++] = r[i];
		sw = r;
		r = t;
		t = sw;
	}
	/* Keys alike in their first bytes (one account's history, say):
	 * order each such run by the whole key. */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && r[j].k == r[i].k; j++)
			;
		if (j - i > 1)
			qsort(r + i, j - i, sizeof(*r), sort_rec_cmp);
	}
	for (i = 0; i < n; i++)
		a[i] = r[i].e;
	free(r < t ? r : t);
	return 0;
}

/* Add e to its db's list, at its place when the list is sorted. */
static int ov_list_add(struct store_ov *ov, struct store_ent *e)
{
	struct store_ov_db *d = &ov->db[e->db];
	size_t at = d->n;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		void *p = realloc(d->e, ncap * sizeof(*d->e));
		if (!p)
			return EMBER_ENOMEM;
		d->e = p;
		d->cap = ncap;
	}
	if (d->sorted) {
		at = store_ents_lower(d->e, d->n, e->key, e->klen);
		memmove(&d->e[at + 1], &d->e[at], (d->n - at) * sizeof(*d->e));
	}
	d->e[at] = e;
	d->n++;
	return 0;
}

int store_ov_set(struct store_ov *ov, uint8_t db, const void *key,
                 size_t klen, int present, const void *val, size_t vlen)
{
	uint64_t h = store_hash(db, key, klen);
	struct store_ent *e;
	uint8_t *v = NULL;
	size_t slot;

	if (db >= STORE_NDB || !klen || klen > UINT16_MAX || vlen > UINT32_MAX ||
	    (present && vlen && !val) || ov->frozen)
		return EMBER_EINVAL;
	if (!present)
		vlen = 0;
	if (tab_reserve(&ov->tab, &ov->tabcap, ov->nkeys + 1))
		return EMBER_ENOMEM;
	slot = tab_slot(ov->tab, ov->tabcap, db, key, klen, h);
	if ((e = ov->tab[slot].e)) {
		/* A new copy of the value: a pointer handed out for the old
		 * one stays valid until the txn ends. */
		if (vlen && !(v = ov_alloc(ov, vlen)))
			return EMBER_ENOMEM;
		if (vlen)
			memcpy(v, val, vlen);
		e->val = v;
		e->vlen = (uint32_t)vlen;
		e->present = present ? 1 : 0;
		return 0;
	}
	if (!(e = ov_alloc(ov, sizeof(*e) + klen + vlen)))
		return EMBER_ENOMEM;
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, klen);
	if (vlen) {
		v = e->key + klen;
		memcpy(v, val, vlen);
	}
	e->hash = h;
	e->db = db;
	e->klen = (uint16_t)klen;
	e->val = v;
	e->vlen = (uint32_t)vlen;
	e->present = present ? 1 : 0;
	if (ov_list_add(ov, e))
		return EMBER_ENOMEM;    /* the arena bytes are wasted, not leaked */
	ov->tab[slot].h = h;
	ov->tab[slot].e = e;
	ov->nkeys++;
	return 0;
}

void store_ov_freeze(struct store_ov *ov, uint64_t seq)
{
	ov->seq = seq;
	for (int d = 0; d < STORE_NDB; d++)
		for (size_t i = 0; i < ov->db[d].n; i++)
			ov->db[d].e[i]->seq = seq;
	ov->frozen = 1;
}

static int ent_qsort_cmp(const void *a, const void *b)
{
	const struct store_ent *x = *(struct store_ent *const *)a;
	const struct store_ent *y = *(struct store_ent *const *)b;
	return store_key_cmp(x->key, x->klen, y->key, y->klen);
}

struct store_ent **store_ov_sorted(struct store_ov *ov, uint8_t db, size_t *n,
                                   int *err)
{
	struct store_ov_db *d;

	*err = 0;
	*n = 0;
	if (db >= STORE_NDB)
		return NULL;
	d = &ov->db[db];
	if (ov->frozen)
		pthread_mutex_lock(&ov->mu);
	if (!d->sorted) {
		if (d->n > 1)
			qsort(d->e, d->n, sizeof(*d->e), ent_qsort_cmp);
		d->sorted = 1;
	}
	if (ov->frozen)
		pthread_mutex_unlock(&ov->mu);
	*n = d->n;
	return d->n ? d->e : NULL;
}

/* ---- the pending map ---- */

int store_pend_init(struct store_pend *p)
{
	memset(p, 0, sizeof(*p));
	return pthread_rwlock_init(&p->lock, NULL) ? EMBER_ENOMEM : 0;
}

void store_pend_destroy(struct store_pend *p)
{
	for (size_t i = 0; i < p->nruns; i++)
		store_ov_free(p->runs[i]);
	free(p->runs);
	free(p->tab);
	pthread_rwlock_destroy(&p->lock);
}

int store_pend_reserve(struct store_pend *p, size_t nkeys)
{
	int rc = 0;

	pthread_rwlock_wrlock(&p->lock);
	if (p->nruns == p->capruns) {
		size_t ncap = p->capruns ? p->capruns * 2 : 64;
		void *np = realloc(p->runs, ncap * sizeof(*p->runs));
		if (!np)
			rc = EMBER_ENOMEM;
		else {
			p->runs = np;
			p->capruns = ncap;
		}
	}
	if (rc == 0)
		rc = tab_reserve(&p->tab, &p->tabcap, p->nkeys + nkeys);
	pthread_rwlock_unlock(&p->lock);
	return rc;
}

void store_pend_publish(struct store_pend *p, struct store_ov *ov)
{
	pthread_rwlock_wrlock(&p->lock);
	for (int d = 0; d < STORE_NDB; d++)
		for (size_t i = 0; i < ov->db[d].n; i++) {
			struct store_ent *e = ov->db[d].e[i];
			size_t s = tab_slot(p->tab, p->tabcap, e->db, e->key,
			                    e->klen, e->hash);
			e->prev = p->tab[s].e;
			if (!p->tab[s].e)
				p->nkeys++;
			p->tab[s].h = e->hash;
			p->tab[s].e = e;
		}
	p->runs[p->nruns++] = ov;
	p->bytes += ov->bytes;
	p->unflushed_bytes += ov->bytes;
	pthread_rwlock_unlock(&p->lock);
}

const struct store_ent *store_pend_get(const struct store_pend *p, uint8_t db,
                                       const void *key, size_t klen,
                                       uint64_t h, uint64_t r)
{
	const struct store_ent *e;

	if (!p->tabcap)
		return NULL;
	e = p->tab[tab_slot(p->tab, p->tabcap, db, key, klen, h)].e;
	while (e && e->seq > r)
		e = e->prev;
	return e;
}

/* Remove slot i of a linear-probing table, shifting back the entries of
 * its cluster that would no longer be found. */
static void tab_remove(struct store_slot *tab, size_t cap, size_t i)
{
	size_t j = i;
	tab[i].e = NULL;
	for (;;) {
		size_t home;
		j = (j + 1) & (cap - 1);
		if (!tab[j].e)
			return;
		home = (size_t)tab[j].h & (cap - 1);
		/* Move tab[j] to the hole when its home is not in (i, j]. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			tab[i] = tab[j];
			tab[j].e = NULL;
			i = j;
		}
	}
}

void store_pend_prune(struct store_pend *p, uint64_t upto)
{
	size_t nfree = 0;

	/* Most commits have nothing to free: say so without the write lock,
	 * which would stall every reader (the writer alone changes runs). */
	if (!p->nruns || p->runs[0]->seq > upto)
		return;
	pthread_rwlock_wrlock(&p->lock);
	if (p->runs[p->nruns - 1]->seq <= upto) {
		/* Every run goes (a flush that no reader held back): every slot
		 * points into one of them, so clear the table in one sequential
		 * pass instead of a random probe per key, which at millions of
		 * keys was a tenth of a block's time.  The capacity stays for
		 * the next cycle, which fills it again. */
		memset(p->tab, 0, p->tabcap * sizeof(*p->tab));
		p->nkeys = 0;
		for (size_t i = 0; i < p->nruns; i++) {
			p->bytes -= p->runs[i]->bytes;
			store_ov_free(p->runs[i]);
		}
		p->nruns = 0;
		pthread_rwlock_unlock(&p->lock);
		return;
	}
	while (nfree < p->nruns && p->runs[nfree]->seq <= upto) {
		struct store_ov *ov = p->runs[nfree++];
		for (int d = 0; d < STORE_NDB; d++)
			for (size_t i = 0; i < ov->db[d].n; i++) {
				struct store_ent *e = ov->db[d].e[i], *x;
				size_t s = tab_slot(p->tab, p->tabcap, e->db, e->key,
				                    e->klen, e->hash);
				/* Every version at or below upto goes now (runs free in
				 * seq order), so a key's chain is cut once, below its
				 * last version above upto: a walk over the versions
				 * that stay, none right after a flush, not over the
				 * ones that go (a key written in every block has as
				 * many as there were blocks). */
				if (!(x = p->tab[s].e))
					continue;       /* the whole chain went already */
				if (x->seq <= upto) {
					tab_remove(p->tab, p->tabcap, s);
					p->nkeys--;
					continue;
				}
				while (x->prev && x->prev->seq > upto)
					x = x->prev;
				x->prev = NULL;
			}
		p->bytes -= ov->bytes;
		store_ov_free(ov);
	}
	memmove(p->runs, p->runs + nfree, (p->nruns - nfree) * sizeof(*p->runs));
	p->nruns -= nfree;
	pthread_rwlock_unlock(&p->lock);
}
