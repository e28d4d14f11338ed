/*
 * verify.c - the verified-txid cache and the signature worker pool (see
 * verify.h).
 *
 * Cache: a ring of `capacity` txids in arrival order (the oldest is evicted
 * first) plus an open-addressing index into it (linear probing, load <= 1/2,
 * backward-shift deletion).  One mutex: a lookup is ~50 ns against ~50 us
 * for the verify it saves, so the lock is never the bottleneck.
 *
 * Pool: batches wait on a FIFO queue; a thread (worker, or the caller of
 * ember_vpool_run) claims the next 32 jobs of the head batch under the pool
 * mutex, verifies them unlocked, and adds its count to done_ under the
 * mutex again.  Whoever brings done_ to n finishes the batch: async batches
 * move to the completed list and notify() runs with the mutex released;
 * sync batches wake their waiting caller.  Nobody touches a batch after
 * finishing it, since its owner may free it at once.
 */
#include "ember/verify.h"

#include <pthread.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ember/codec.h"

#define VP_NICE 5       /* workers' nice value above the loop thread's */

#define VP_CHUNK 32

/* ---- sigcache */

struct ember_sigcache {
	pthread_mutex_t mu;
	uint8_t (*ring)[32];  /* owned; capacity txids, oldest at head */
	size_t cap, head, n;
	uint32_t *slot;       /* owned index: 0 = empty, else ring position + 1 */
	size_t mask;
	uint64_t seed;
};

static size_t sc_home(const struct ember_sigcache *c, const uint8_t *key)
{
	uint64_t h = ember_le64_get(key) ^ c->seed;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & c->mask;
}

/* Returns: the index slot holding txid, or SIZE_MAX.  Caller holds mu. */
static size_t sc_find(const struct ember_sigcache *c, const uint8_t *txid)
{
	for (size_t i = sc_home(c, txid);; i = (i + 1) & c->mask) {
		if (!c->slot[i])
			return SIZE_MAX;
		if (memcmp(c->ring[c->slot[i] - 1], txid, 32) == 0)
			return i;
	}
}

static void sc_del_at(struct ember_sigcache *c, size_t i)
{
	for (size_t j = (i + 1) & c->mask; c->slot[j]; j = (j + 1) & c->mask) {
		size_t home = sc_home(c, c->ring[c->slot[j] - 1]);

		if (((j - home) & c->mask) >= ((j - i) & c->mask)) {
			c->slot[i] = c->slot[j];
			i = j;
		}
	}
	c->slot[i] = 0;
}

int ember_sigcache_new(struct ember_sigcache **out, size_t capacity)
{
	struct ember_sigcache *c;
	struct timespec ts;
	size_t tab = 16;

	if (!out)
		return EMBER_EINVAL;
	*out = NULL;
	/* ring positions are stored +1 in 32 bits */
	if (capacity == 0)
		capacity = 1;
	if (capacity > UINT32_MAX / 4)
		capacity = UINT32_MAX / 4;
	while (tab < capacity * 2)
		tab *= 2;
	c = calloc(1, sizeof(*c));
	if (!c)
		return EMBER_ENOMEM;
	c->ring = malloc(capacity * sizeof(*c->ring));
	c->slot = calloc(tab, sizeof(*c->slot));
	if (!c->ring || !c->slot || pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c->ring);
		free(c->slot);
		free(c);
		return EMBER_ENOMEM;
	}
	c->cap = capacity;
	c->mask = tab - 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->seed = (uint64_t)(uintptr_t)c ^ (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL;
	*out = c;
	return 0;
}

void ember_sigcache_free(struct ember_sigcache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c->ring);
	free(c->slot);
	free(c);
}

int ember_sigcache_has(struct ember_sigcache *c, const uint8_t txid[32])
{
	int found;

	if (!c || !txid)
		return 0;
	pthread_mutex_lock(&c->mu);
	found = sc_find(c, txid) != SIZE_MAX;
	pthread_mutex_unlock(&c->mu);
	return found;
}

void ember_sigcache_add(struct ember_sigcache *c, const uint8_t txid[32])
{
	size_t pos, i;

	if (!c || !txid)
		return;
	pthread_mutex_lock(&c->mu);
	if (sc_find(c, txid) != SIZE_MAX)
		goto out;
	if (c->n == c->cap) {
		sc_del_at(c, sc_find(c, c->ring[c->head]));
		c->head = (c->head + 1) % c->cap;
		c->n--;
	}
	pos = (c->head + c->n) % c->cap;
	memcpy(c->ring[pos], txid, 32);
	c->n++;
	for (i = sc_home(c, txid); c->slot[i]; i = (i + 1) & c->mask)
		;
	c->slot[i] = (uint32_t)pos + 1;
out:
	pthread_mutex_unlock(&c->mu);
}

/* ---- pool */

struct ember_vpool {
	pthread_mutex_t mu;
	pthread_cond_t work;       /* a batch was queued, or stop */
	pthread_cond_t synced;     /* a sync batch finished */
	struct ember_vbatch *qhead, *qtail;  /* batches with unclaimed jobs */
	struct ember_vbatch *dhead, *dtail;  /* finished async batches */
	int stop;
	unsigned nthreads, started;
	pthread_t *threads;        /* owned */
	struct ember_sigcache *cache;        /* not owned; may be NULL */
	ember_vpool_notify_cb notify;
	void *notify_ctx;
};

static void vp_verify(struct ember_sigcache *cache, struct ember_vjob *j,
                      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (cache && ember_sigcache_has(cache, j[i].txid)) {
			j[i].valid = 1;
			continue;
		}
		j[i].valid = ember_tx_verify(j[i].tx) ? 1 : 0;
		if (j[i].valid && cache)
			ember_sigcache_add(cache, j[i].txid);
	}
}

static void vp_unqueue(struct ember_vpool *p, struct ember_vbatch *b)
{
	struct ember_vbatch **pp = &p->qhead, *prev = NULL;

	while (*pp && *pp != b) {
		prev = *pp;
		pp = &(*pp)->link_;
	}
	if (!*pp)
		return;
	*pp = b->link_;
	if (p->qtail == b)
		p->qtail = prev;
	b->link_ = NULL;
}

/* Claim up to VP_CHUNK jobs of b; the caller holds mu.  Returns the count
 * and the first index in *start. */
static size_t vp_claim(struct ember_vpool *p, struct ember_vbatch *b,
                       size_t *start)
{
	size_t k = b->n - b->next_;

	if (k > VP_CHUNK)
		k = VP_CHUNK;
	*start = b->next_;
	b->next_ += k;
	if (b->next_ == b->n)
		vp_unqueue(p, b);
	return k;
}

/* Count k finished jobs of b; the caller holds mu.  Returns 1 when an async
 * batch completed and notify must run (after unlocking). */
static int vp_finish(struct ember_vpool *p, struct ember_vbatch *b, size_t k)
{
	b->done_ += k;
	if (b->done_ < b->n)
		return 0;
	if (b->sync_) {
		pthread_cond_broadcast(&p->synced);
		return 0;
	}
	b->link_ = NULL;
	if (p->dtail)
		p->dtail->link_ = b;
	else
		p->dhead = b;
	p->dtail = b;
	return p->notify != NULL;
}

static void *vp_worker(void *arg)
{
	struct ember_vpool *p = arg;

	/* Bulk verification yields to the thread that owns the event loop:
	 * on a busy machine a peer's frame is read, checked and relayed
	 * before the next batch of signatures, not after it (a block's
	 * propagation does not wait for another block's verification).
	 * Linux nice values are per thread; elsewhere this is a no-op. */
#ifdef __linux__
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), VP_NICE);
#endif

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		struct ember_vbatch *b = p->qhead;
		size_t start, k;

		if (!b) {
			pthread_cond_wait(&p->work, &p->mu);
			continue;
		}
		k = vp_claim(p, b, &start);
		pthread_mutex_unlock(&p->mu);
		vp_verify(p->cache, b->jobs + start, k);
		pthread_mutex_lock(&p->mu);
		if (vp_finish(p, b, k)) {
			pthread_mutex_unlock(&p->mu);
			p->notify(p->notify_ctx);
			pthread_mutex_lock(&p->mu);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int ember_vpool_new(struct ember_vpool **out, unsigned nthreads,
                    struct ember_sigcache *cache,
                    ember_vpool_notify_cb notify, void *notify_ctx)
{
	struct ember_vpool *p;

	if (!out || nthreads < 1)
		return EMBER_EINVAL;
	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return EMBER_ENOMEM;
	p->threads = calloc(nthreads, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return EMBER_ENOMEM;
	}
	if (pthread_mutex_init(&p->mu, NULL) != 0)
		goto fail_mu;
	if (pthread_cond_init(&p->work, NULL) != 0)
		goto fail_work;
	if (pthread_cond_init(&p->synced, NULL) != 0)
		goto fail_synced;
	p->nthreads = nthreads;
	p->cache = cache;
	p->notify = notify;
	p->notify_ctx = notify_ctx;
	for (; p->started < nthreads; p->started++) {
		if (pthread_create(&p->threads[p->started], NULL, vp_worker, p)) {
			ember_vpool_free(p);
			return EMBER_EINTERNAL;
		}
	}
	*out = p;
	return 0;

fail_synced:
	pthread_cond_destroy(&p->work);
fail_work:
	pthread_mutex_destroy(&p->mu);
fail_mu:
	free(p->threads);
	free(p);
	return EMBER_EINTERNAL;
}

void ember_vpool_free(struct ember_vpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->started; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->synced);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
}

int ember_vpool_submit(struct ember_vpool *p, struct ember_vbatch *b)
{
	int notify = 0;

	if (!p || !b || (b->n && !b->jobs))
		return EMBER_EINVAL;
	b->next_ = 0;
	b->done_ = 0;
	b->link_ = NULL;
	b->sync_ = 0;
	pthread_mutex_lock(&p->mu);
	if (b->n == 0) {
		notify = vp_finish(p, b, 0);
	} else {
		if (p->qtail)
			p->qtail->link_ = b;
		else
			p->qhead = b;
		p->qtail = b;
		pthread_cond_broadcast(&p->work);
	}
	pthread_mutex_unlock(&p->mu);
	if (notify)
		p->notify(p->notify_ctx);
	return 0;
}

size_t ember_vpool_drain(struct ember_vpool *p, ember_vpool_done_cb done,
                         void *ctx)
{
	struct ember_vbatch *b;
	size_t n = 0;

	if (!p)
		return 0;
	pthread_mutex_lock(&p->mu);
	b = p->dhead;
	p->dhead = p->dtail = NULL;
	pthread_mutex_unlock(&p->mu);
	while (b) {
		struct ember_vbatch *next = b->link_;  /* done may free b */

		b->link_ = NULL;
		if (done)
			done(ctx, b);
		b = next;
		n++;
	}
	return n;
}

void ember_vpool_run(struct ember_vpool *p, struct ember_vbatch *b)
{
	if (!p || !b || !b->n || !b->jobs)
		return;
	b->next_ = 0;
	b->done_ = 0;
	b->sync_ = 1;
	pthread_mutex_lock(&p->mu);
	/* A waiting caller (block execution) goes ahead of gossip batches. */
	b->link_ = p->qhead;
	p->qhead = b;
	if (!p->qtail)
		p->qtail = b;
	pthread_cond_broadcast(&p->work);
	while (b->next_ < b->n) {
		size_t start, k = vp_claim(p, b, &start);

		pthread_mutex_unlock(&p->mu);
		vp_verify(p->cache, b->jobs + start, k);
		pthread_mutex_lock(&p->mu);
		b->done_ += k;
	}
	while (b->done_ < b->n)
		pthread_cond_wait(&p->synced, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

unsigned ember_vpool_threads(const struct ember_vpool *p)
{
	return p ? p->nthreads : 0;
}
