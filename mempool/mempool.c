/*
 * mempool.c - pending transactions (see mempool.h).
 *
 * Layout, chosen so every operation on the hot path is O(1) average or
 * O(log senders):
 *
 *  - Each tx is ONE allocation: struct ember_mp_entry immediately followed by
 *    its encoding (entry->enc points just past the struct).
 *  - by_id maps txid -> entry, by_sender maps public key -> struct
 *    mp_sender.  Both are open-addressing tables (linear probing, deletion
 *    by backward shift so there are no tombstones), load <= 1/2.
 *  - A sender's run[] holds its pending txs in nonce order, contiguous, so
 *    the tx with nonce k sits at run[k - run[0]->tx.nonce].
 *  - evict is a min-heap over senders keyed by the fee of their LAST tx: a
 *    full pool finds the cheapest evictable tx at the root (or, when the
 *    root is the newcomer's own sender, at one of its two children).  Heap
 *    items carry a copy of their key so sifting touches only the array.
 *
 * Sender structs are recycled through a free list, so a steady stream of
 * one-tx senders costs one malloc per tx (the entry), not three.
 *
 * Keys are SHA-256 outputs or public keys, so their first 8 bytes are
 * already uniform; they are mixed with a per-pool seed anyway so a peer
 * grinding keys for colliding low bits cannot build long probe chains.
 */
#include "ember/mempool.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ember/addr.h"
#include "ember/amount.h"
#include "ember/codec.h"

#define MP_TAB_MIN 1024
#define MP_SENDER_KEEP_RUN 64   /* recycled senders keep runs up to this */

/* ---- open-addressing table of pointers to structs holding a 32-byte key */

struct mp_table {
	void **slot;     /* owned; NULL = empty */
	size_t mask;     /* capacity - 1, capacity a power of two */
	size_t n;
	size_t keyoff;   /* offset of the 32-byte key inside each element */
	uint64_t seed;
};

static uint64_t mp_mix(uint64_t seed, const uint8_t *key)
{
	uint64_t h = ember_le64_get(key) ^ seed;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static const uint8_t *tab_key(const struct mp_table *t, const void *e)
{
	return (const uint8_t *)e + t->keyoff;
}

static size_t tab_home(const struct mp_table *t, const uint8_t *key)
{
	return (size_t)mp_mix(t->seed, key) & t->mask;
}

/* Returns: the slot holding key, or SIZE_MAX. */
static size_t tab_find(const struct mp_table *t, const uint8_t *key)
{
	for (size_t i = tab_home(t, key);; i = (i + 1) & t->mask) {
		if (!t->slot[i])
			return SIZE_MAX;
		if (memcmp(tab_key(t, t->slot[i]), key, 32) == 0)
			return i;
	}
}

static void *tab_get(const struct mp_table *t, const uint8_t *key)
{
	size_t i = tab_find(t, key);

	return i == SIZE_MAX ? NULL : t->slot[i];
}

/* Insert e, whose key is not present; capacity was reserved beforehand. */
static void tab_put(struct mp_table *t, void *e)
{
	size_t i = tab_home(t, tab_key(t, e));

	while (t->slot[i])
		i = (i + 1) & t->mask;
	t->slot[i] = e;
	t->n++;
}

static int tab_init(struct mp_table *t, size_t keyoff, uint64_t seed)
{
	t->slot = calloc(MP_TAB_MIN, sizeof(*t->slot));
	if (!t->slot)
		return EMBER_ENOMEM;
	t->mask = MP_TAB_MIN - 1;
	t->n = 0;
	t->keyoff = keyoff;
	t->seed = seed;
	return 0;
}

/* Make room for one more element at load <= 1/2, so tab_put cannot fail. */
static int tab_reserve(struct mp_table *t)
{
	size_t cap = t->mask + 1;

	if ((t->n + 1) * 2 <= cap)
		return 0;
	void **old = t->slot;
	void **slot = calloc(cap * 2, sizeof(*slot));
	if (!slot)
		return EMBER_ENOMEM;
	t->slot = slot;
	t->mask = cap * 2 - 1;
	t->n = 0;
	for (size_t i = 0; i < cap; i++)
		if (old[i])
			tab_put(t, old[i]);
	free(old);
	return 0;
}

/* Backward-shift deletion: later members of the probe chain move into the
 * hole unless their home slot lies cyclically after it. */
static void tab_del_at(struct mp_table *t, size_t i)
{
	for (size_t j = (i + 1) & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
		size_t home = tab_home(t, tab_key(t, t->slot[j]));

		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slot[i] = t->slot[j];
			i = j;
		}
	}
	t->slot[i] = NULL;
	t->n--;
}

static void tab_del(struct mp_table *t, const uint8_t *key)
{
	size_t i = tab_find(t, key);

	if (i != SIZE_MAX)
		tab_del_at(t, i);
}

/* ---- the pool */

struct mp_sender {
	uint8_t pub[32];
	struct ember_mp_entry **run;  /* owned array of owned entries */
	size_t n, cap;
	uint64_t cost;       /* sum of ember_tx_cost over run; never exceeds a
	                        balance it was checked against, so no overflow */
	size_t hidx;         /* index in ember_mempool.evict */
	struct mp_sender *next_free;
};

struct mp_hent {         /* eviction heap item: key copied from s's tail */
	uint64_t fee, seq;
	struct mp_sender *s;
};

struct mp_sel {          /* select(): a sender and its next unselected tx */
	struct mp_sender *s;
	size_t i;
};

struct ember_mempool {
	struct ember_mempool_cfg cfg;
	struct mp_table by_id;        /* -> struct ember_mp_entry */
	struct mp_table by_sender;    /* -> struct mp_sender */
	struct mp_hent *evict;        /* min-heap, by_sender.n entries */
	size_t evict_cap;
	struct mp_sender *free_senders;
	struct mp_sel *sel;           /* scratch for select() */
	size_t sel_cap;
	size_t count, bytes;
	uint64_t seq;
};

static const struct ember_mp_entry *sender_tail(const struct mp_sender *s)
{
	return s->run[s->n - 1];
}

/* Eviction order: lower tail fee first; among equal fees the newest tail,
 * so long-waiting txs are kept. */
static int evict_less(const struct mp_hent *a, const struct mp_hent *b)
{
	if (a->fee != b->fee)
		return a->fee < b->fee;
	return a->seq > b->seq;
}

static void evict_set(struct ember_mempool *mp, size_t i,
                      const struct mp_hent *h)
{
	mp->evict[i] = *h;
	h->s->hidx = i;
}

/* Re-key item i from its sender's current tail and restore heap order. */
static void evict_fix(struct ember_mempool *mp, size_t i)
{
	size_t n = mp->by_sender.n;
	struct mp_hent h = mp->evict[i];

	h.fee = sender_tail(h.s)->tx.fee;
	h.seq = sender_tail(h.s)->seq;
	while (i > 0 && evict_less(&h, &mp->evict[(i - 1) / 2])) {
		evict_set(mp, i, &mp->evict[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && evict_less(&mp->evict[c + 1], &mp->evict[c]))
			c++;
		if (!evict_less(&mp->evict[c], &h))
			break;
		evict_set(mp, i, &mp->evict[c]);
		i = c;
	}
	evict_set(mp, i, &h);
}

static int reserve_senders(struct ember_mempool *mp)
{
	if (mp->by_sender.n < mp->evict_cap)
		return 0;
	size_t cap = mp->evict_cap ? mp->evict_cap * 2 : 256;
	struct mp_hent *h = realloc(mp->evict, cap * sizeof(*h));
	if (!h)
		return EMBER_ENOMEM;
	mp->evict = h;
	mp->evict_cap = cap;
	return 0;
}

static int run_reserve(struct mp_sender *s, size_t need)
{
	if (need <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap * 2 : 4;
	while (cap < need)
		cap *= 2;
	struct ember_mp_entry **r = realloc(s->run, cap * sizeof(*r));
	if (!r)
		return EMBER_ENOMEM;
	s->run = r;
	s->cap = cap;
	return 0;
}

static struct mp_sender *sender_get(const struct ember_mempool *mp,
                                    const uint8_t pub[32])
{
	return tab_get(&mp->by_sender, pub);
}

/* Sender struct from the free list or the heap; not yet attached. */
static struct mp_sender *sender_obtain(struct ember_mempool *mp)
{
	struct mp_sender *s = mp->free_senders;

	if (s) {
		mp->free_senders = s->next_free;
		return s;
	}
	return calloc(1, sizeof(*s));
}

static void sender_recycle(struct ember_mempool *mp, struct mp_sender *s)
{
	if (s->cap > MP_SENDER_KEEP_RUN) {
		free(s->run);
		s->run = NULL;
		s->cap = 0;
	}
	s->n = 0;
	s->cost = 0;
	s->next_free = mp->free_senders;
	mp->free_senders = s;
}

/* Detach an emptied sender from the tables and recycle it. */
static void sender_release(struct ember_mempool *mp, struct mp_sender *s)
{
	size_t i = s->hidx;
	size_t last = mp->by_sender.n - 1;

	tab_del(&mp->by_sender, s->pub);   /* by_sender.n is now last */
	if (i != last) {
		evict_set(mp, i, &mp->evict[last]);
		evict_fix(mp, i);
	}
	sender_recycle(mp, s);
}

static void entry_drop(struct ember_mempool *mp, struct ember_mp_entry *e)
{
	tab_del(&mp->by_id, e->txid);
	mp->count--;
	mp->bytes -= e->len;
	free(e);
}

/* Drop run[from..n) and recompute the cost; releases an emptied sender. */
static void sender_truncate(struct ember_mempool *mp, struct mp_sender *s,
                            size_t from)
{
	for (size_t i = from; i < s->n; i++) {
		s->cost -= ember_tx_cost(&s->run[i]->tx);
		entry_drop(mp, s->run[i]);
	}
	s->n = from;
	if (s->n == 0)
		sender_release(mp, s);
	else
		evict_fix(mp, s->hidx);
}

/*
 * Bring s in line with the committed account: drop nonces already used,
 * everything when the run no longer starts at the committed nonce, and the
 * tail from the first tx the balance does not cover cumulatively.
 * Returns: s, or NULL when it was emptied (and released).
 */
static struct mp_sender *sender_sync(struct ember_mempool *mp,
                                     struct mp_sender *s,
                                     const struct ember_account *acct)
{
	uint64_t first = s->run[0]->tx.nonce;
	size_t used = 0;

	if (acct->nonce < first) {
		used = s->n;    /* a gap before the run: nothing is executable */
	} else if (acct->nonce - first >= s->n) {
		used = s->n;
	} else {
		used = (size_t)(acct->nonce - first);
	}
	for (size_t i = 0; i < used; i++)
		entry_drop(mp, s->run[i]);
	memmove(s->run, s->run + used, (s->n - used) * sizeof(*s->run));
	s->n -= used;

	uint64_t sum = 0;
	size_t keep = 0;

	while (keep < s->n) {
		uint64_t c = ember_tx_cost(&s->run[keep]->tx);

		if (c == 0 || !ember_add_u64(sum, c, &sum) || sum > acct->balance)
			break;
		keep++;
	}
	s->cost = 0;
	for (size_t i = 0; i < keep; i++)
		s->cost += ember_tx_cost(&s->run[i]->tx);
	for (size_t i = keep; i < s->n; i++)
		entry_drop(mp, s->run[i]);
	s->n = keep;
	if (s->n == 0) {
		sender_release(mp, s);
		return NULL;
	}
	evict_fix(mp, s->hidx);
	return s;
}

/*
 * The cheapest tail not belonging to self: the heap root, or when the root
 * is self, the smaller of its children.  Returns: NULL when none.
 */
static struct mp_sender *evict_victim(const struct ember_mempool *mp,
                                      const struct mp_sender *self)
{
	size_t n = mp->by_sender.n;

	if (n == 0)
		return NULL;
	if (mp->evict[0].s != self)
		return mp->evict[0].s;
	if (n == 1)
		return NULL;
	if (n == 2 || evict_less(&mp->evict[1], &mp->evict[2]))
		return mp->evict[1].s;
	return mp->evict[2].s;
}

/* ---- public API */

int ember_mempool_new(struct ember_mempool **out,
                      const struct ember_mempool_cfg *cfg)
{
	struct ember_mempool *mp;
	struct timespec ts;
	uint64_t seed;

	if (!out)
		return EMBER_EINVAL;
	*out = NULL;
	mp = calloc(1, sizeof(*mp));
	if (!mp)
		return EMBER_ENOMEM;
	if (cfg)
		mp->cfg = *cfg;
	/* a zero field means "default", so callers can set just one limit */
	if (!mp->cfg.max_txs)
		mp->cfg.max_txs = 200000;
	if (!mp->cfg.max_bytes)
		mp->cfg.max_bytes = (size_t)128 << 20;
	if (!mp->cfg.max_per_sender)
		mp->cfg.max_per_sender = 1024;

	/* Not secret-grade, only unpredictable enough that colliding keys
	 * cannot be precomputed for every node at once. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	seed = (uint64_t)(uintptr_t)mp ^ (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
	       (uint64_t)ts.tv_sec;
	if (tab_init(&mp->by_id, offsetof(struct ember_mp_entry, txid), seed) ||
	    tab_init(&mp->by_sender, offsetof(struct mp_sender, pub),
	             seed * 0xc2b2ae3d27d4eb4fULL + 1)) {
		ember_mempool_free(mp);
		return EMBER_ENOMEM;
	}
	*out = mp;
	return 0;
}

void ember_mempool_free(struct ember_mempool *mp)
{
	if (!mp)
		return;
	for (size_t i = 0; i < mp->by_sender.n; i++) {
		struct mp_sender *s = mp->evict[i].s;

		for (size_t j = 0; j < s->n; j++)
			free(s->run[j]);
		free(s->run);
		free(s);
	}
	while (mp->free_senders) {
		struct mp_sender *s = mp->free_senders;

		mp->free_senders = s->next_free;
		free(s->run);
		free(s);
	}
	free(mp->by_id.slot);
	free(mp->by_sender.slot);
	free(mp->evict);
	free(mp->sel);
	free(mp);
}

/* The sender's address for a refusal message; skipped when nobody reads it. */
static const char *mp_who(const struct ember_tx *tx, char buf[EMBER_ADDR_BUFLEN],
                       const char *why)
{
	if (why)
		ember_addr_encode(tx->from, buf);
	return buf;
}

static int mp_refuse(char *why, size_t whylen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int mp_refuse(char *why, size_t whylen, int code, const char *fmt, ...)
{
	if (why && whylen) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return code;
}

int ember_mempool_add(struct ember_mempool *mp, const struct ember_tx *tx,
                      const uint8_t *enc, size_t len, const uint8_t txid[32],
                      const struct ember_account *acct, char *why,
                      size_t whylen)
{
	char addr[EMBER_ADDR_BUFLEN] = "";   /* filled only on refusal */
	char a1[EMBER_AMOUNT_BUFLEN], a2[EMBER_AMOUNT_BUFLEN];
	struct mp_sender *s;
	struct ember_mp_entry *old = NULL, *e;
	size_t idx = 0;
	uint64_t next, cost, need, base;
	int r;

	if (!mp || !tx || !enc || !len || !txid || !acct)
		return EMBER_EINVAL;
	if (why && whylen)
		why[0] = '\0';

	if (tab_get(&mp->by_id, txid)) {
		char hex[65];

		ember_hex_encode(txid, 32, hex);
		return mp_refuse(why, whylen, EMBER_MP_DUP,
		              "transaction %s is already pending", hex);
	}

	/* acct is the committed state: a run left stale by a block the caller
	 * has not reported yet is brought in line first. */
	s = sender_get(mp, tx->from);
	if (s && (s->run[0]->tx.nonce != acct->nonce || s->cost > acct->balance))
		s = sender_sync(mp, s, acct);
	next = s ? acct->nonce + s->n : acct->nonce;

	if (tx->nonce < acct->nonce)
		return mp_refuse(why, whylen, EMBER_TX_NONCE_USED,
		              "nonce %" PRIu64 " already used by account '%s'; "
		              "next is %" PRIu64, tx->nonce, mp_who(tx, addr, why), next);
	if (tx->nonce > next)
		return mp_refuse(why, whylen, EMBER_TX_NONCE_GAP,
		              "nonce %" PRIu64 " leaves a gap for account '%s'; "
		              "next is %" PRIu64, tx->nonce, mp_who(tx, addr, why), next);

	/* 0 means amount + fee overflowed (or an unknown kind): never payable */
	cost = ember_tx_cost(tx);
	base = s ? s->cost : 0;
	if (tx->nonce < next) {
		/* replacement: fee * 10 >= old * 11, i.e. new >= old + ceil(old/10) */
		uint64_t of, min_fee = UINT64_MAX;
		int payable;

		idx = (size_t)(tx->nonce - acct->nonce);
		old = s->run[idx];
		of = old->tx.fee;
		payable = ember_add_u64(of, of / 10 + (of % 10 != 0), &min_fee);
		if (!payable || tx->fee < min_fee) {
			if (why && whylen) {
				ember_amount_format(of, a1);
				ember_amount_format(min_fee, a2);
			}
			return mp_refuse(why, whylen, EMBER_MP_REPLACE_FEE,
			              "nonce %" PRIu64 " of account '%s' is already "
			              "pending with fee %s EMB; a replacement must pay "
			              "at least %s EMB", tx->nonce,
			              mp_who(tx, addr, why), a1, a2);
		}
		base -= ember_tx_cost(&old->tx);
	} else if (s && s->n >= mp->cfg.max_per_sender) {
		return mp_refuse(why, whylen, EMBER_MP_SENDER_LIMIT,
		              "account '%s' already has %zu pending transactions, "
		              "the most allowed; wait for some to commit",
		              mp_who(tx, addr, why), s->n);
	}
	if (cost == 0 || !ember_add_u64(base, cost, &need))
		need = UINT64_MAX;
	if (need == UINT64_MAX || need > acct->balance) {
		if (why && whylen) {
			ember_amount_format(acct->balance, a1);
			ember_amount_format(need, a2);
		}
		return mp_refuse(why, whylen, EMBER_TX_INSUFFICIENT,
		              "insufficient funds: account '%s' has %s EMB, "
		              "pending txs need %s%s EMB",
		              mp_who(tx, addr, why), a1,
		              need == UINT64_MAX ? "more than " : "", a2);
	}
	if (len > mp->cfg.max_bytes)
		goto full;

	/* Everything that can fail for lack of memory happens before any
	 * eviction, so running out never leaves a half-done admission.  (When
	 * the bytes limit needs several evictions and a later victim pays too
	 * much, the earlier, cheaper evictions stand: harmless.) */
	e = malloc(sizeof(*e) + len);
	if (!e)
		return EMBER_ENOMEM;
	if ((r = tab_reserve(&mp->by_id)) != 0)
		goto fail;
	if (!s) {
		if ((r = tab_reserve(&mp->by_sender)) != 0 ||
		    (r = reserve_senders(mp)) != 0)
			goto fail;
		if (!(s = sender_obtain(mp))) {
			r = EMBER_ENOMEM;
			goto fail;
		}
		if ((r = run_reserve(s, 1)) != 0) {
			sender_recycle(mp, s);
			goto fail;
		}
		memcpy(s->pub, tx->from, 32);
		s->n = 0;
		s->cost = 0;
	} else if (!old && (r = run_reserve(s, s->n + 1)) != 0) {
		goto fail;
	}

	/* Make room by evicting other senders' cheapest tails. */
	for (;;) {
		size_t count = mp->count + (old ? 0 : 1);
		size_t bytes = mp->bytes - (old ? old->len : 0) + len;
		struct mp_sender *v;

		if (count <= mp->cfg.max_txs && bytes <= mp->cfg.max_bytes)
			break;
		v = evict_victim(mp, s->n ? s : NULL);
		if (!v || sender_tail(v)->tx.fee >= tx->fee) {
			if (s->n == 0)
				sender_recycle(mp, s);
			free(e);
			goto full;
		}
		sender_truncate(mp, v, v->n - 1);
	}

	e->tx = *tx;
	memcpy(e->txid, txid, 32);
	e->enc = (uint8_t *)(e + 1);
	memcpy(e->enc, enc, len);
	e->len = len;
	/* A proof's body is a view into the caller's buffer, which may go
	 * away as soon as we return: point it at our copy. */
	ember_tx_rebind(&e->tx, e->enc, len);
	e->seq = mp->seq++;
	tab_put(&mp->by_id, e);
	mp->count++;
	mp->bytes += len;
	if (old) {
		s->run[idx] = e;
		entry_drop(mp, old);
	} else if (s->n == 0) {
		s->run[s->n++] = e;
		tab_put(&mp->by_sender, s);
		mp->evict[mp->by_sender.n - 1].s = s;
		s->hidx = mp->by_sender.n - 1;
	} else {
		s->run[s->n++] = e;
	}
	s->cost = need;
	evict_fix(mp, s->hidx);
	return 0;

fail:
	free(e);
	return r;
full:
	if (why && whylen)
		ember_amount_format(tx->fee, a1);
	return mp_refuse(why, whylen, EMBER_MP_FULL,
	              "mempool is full and fee %s EMB is too low to evict a "
	              "pending transaction; raise the fee", a1);
}

/* Block order: higher head fee first, then earlier arrival. */
static int sel_before(const struct mp_sel *a, const struct mp_sel *b)
{
	const struct ember_mp_entry *x = a->s->run[a->i], *y = b->s->run[b->i];

	if (x->tx.fee != y->tx.fee)
		return x->tx.fee > y->tx.fee;
	return x->seq < y->seq;
}

static void sel_down(struct mp_sel *h, size_t n, size_t i)
{
	struct mp_sel v = h[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && sel_before(&h[c + 1], &h[c]))
			c++;
		if (!sel_before(&h[c], &v))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
}

int ember_mempool_select(struct ember_mempool *mp, size_t max_txs,
                         size_t max_bytes, const struct ember_mp_entry **out,
                         size_t *n)
{
	size_t ns, k = 0, bytes = 0;
	struct mp_sel *h;

	if (!mp || !n || (max_txs && !out))
		return EMBER_EINVAL;
	*n = 0;
	ns = mp->by_sender.n;
	if (ns > mp->sel_cap) {
		h = realloc(mp->sel, ns * sizeof(*h));
		if (!h)
			return EMBER_ENOMEM;
		mp->sel = h;
		mp->sel_cap = ns;
	}
	h = mp->sel;
	for (size_t i = 0; i < ns; i++) {
		h[i].s = mp->evict[i].s;
		h[i].i = 0;
	}
	for (size_t i = ns / 2; i-- > 0;)
		sel_down(h, ns, i);

	while (ns > 0 && k < max_txs) {
		const struct ember_mp_entry *e = h[0].s->run[h[0].i];

		/* A tx that does not fit ends its sender's turn: the later nonces
		 * cannot go without it. */
		if (e->len <= max_bytes - bytes) {
			out[k++] = e;
			bytes += e->len;
			if (++h[0].i < h[0].s->n) {
				sel_down(h, ns, 0);
				continue;
			}
		}
		h[0] = h[--ns];
		sel_down(h, ns, 0);
	}
	*n = k;
	return 0;
}

void ember_mempool_update_sender(struct ember_mempool *mp,
                                 const uint8_t sender[32],
                                 const struct ember_account *acct)
{
	struct mp_sender *s;

	if (!mp || !sender || !acct)
		return;
	s = sender_get(mp, sender);
	if (s)
		sender_sync(mp, s, acct);
}

int ember_mempool_remove(struct ember_mempool *mp, const uint8_t txid[32])
{
	struct ember_mp_entry *e;
	struct mp_sender *s;

	if (!mp || !txid)
		return EMBER_EINVAL;
	e = tab_get(&mp->by_id, txid);
	if (!e)
		return EMBER_ENOTFOUND;
	s = sender_get(mp, e->tx.from);
	sender_truncate(mp, s, (size_t)(e->tx.nonce - s->run[0]->tx.nonce));
	return 0;
}

const struct ember_mp_entry *ember_mempool_get(const struct ember_mempool *mp,
                                               const uint8_t txid[32])
{
	if (!mp || !txid)
		return NULL;
	return tab_get(&mp->by_id, txid);
}

uint64_t ember_mempool_next_nonce(const struct ember_mempool *mp,
                                  const uint8_t sender[32],
                                  uint64_t committed_nonce)
{
	const struct mp_sender *s;
	uint64_t end;

	if (!mp || !sender)
		return committed_nonce;
	s = sender_get(mp, sender);
	if (!s)
		return committed_nonce;
	end = s->run[0]->tx.nonce + s->n;
	return end > committed_nonce ? end : committed_nonce;
}

size_t ember_mempool_sender_run(const struct ember_mempool *mp,
                                const uint8_t sender[32], uint64_t before,
                                const struct ember_mp_entry *const **out)
{
	const struct mp_sender *s;
	uint64_t first;

	*out = NULL;
	if (!mp || !sender || !(s = sender_get(mp, sender)))
		return 0;
	first = s->run[0]->tx.nonce;
	*out = (const struct ember_mp_entry *const *)s->run;
	if (before <= first)
		return 0;
	return before - first < s->n ? (size_t)(before - first) : s->n;
}

uint64_t ember_mempool_pending_cost(const struct ember_mempool *mp,
                                    const uint8_t sender[32])
{
	const struct mp_sender *s;

	if (!mp || !sender)
		return 0;
	s = sender_get(mp, sender);
	return s ? s->cost : 0;
}

size_t ember_mempool_count(const struct ember_mempool *mp)
{
	return mp ? mp->count : 0;
}

size_t ember_mempool_bytes(const struct ember_mempool *mp)
{
	return mp ? mp->bytes : 0;
}
