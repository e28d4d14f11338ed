/*
 * test_verify.c - the verified-txid cache (FIFO eviction, concurrent use)
 * and the verify pool (async batches with notify + drain, sync run, cache
 * hits skipping the verify).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ember/hash.h"
#include "ember/key.h"
#include "ember/tx.h"
#include "ember/verify.h"

#define CHAIN "ember-test"

static void fake_id(uint32_t tag, uint32_t i, uint8_t out[32])
{
	uint8_t in[8];

	memcpy(in, &tag, 4);
	memcpy(in + 4, &i, 4);
	ember_sha256(in, sizeof in, out);
}

static void test_cache_fifo(void **state)
{
	struct ember_sigcache *c;
	uint8_t id[6][32];

	(void)state;
	for (uint32_t i = 0; i < 6; i++)
		fake_id(1, i, id[i]);
	assert_int_equal(ember_sigcache_new(&c, 4), 0);
	for (int i = 0; i < 4; i++)
		ember_sigcache_add(c, id[i]);
	ember_sigcache_add(c, id[2]);   /* already there: not re-queued */
	for (int i = 0; i < 4; i++)
		assert_true(ember_sigcache_has(c, id[i]));
	assert_false(ember_sigcache_has(c, id[4]));

	ember_sigcache_add(c, id[4]);   /* evicts id[0], the oldest */
	assert_false(ember_sigcache_has(c, id[0]));
	for (int i = 1; i < 5; i++)
		assert_true(ember_sigcache_has(c, id[i]));
	ember_sigcache_add(c, id[5]);   /* then id[1] */
	assert_false(ember_sigcache_has(c, id[1]));
	assert_true(ember_sigcache_has(c, id[2]));
	assert_true(ember_sigcache_has(c, id[5]));
	ember_sigcache_free(c);

	/* a long run through a small cache keeps exactly the newest */
	assert_int_equal(ember_sigcache_new(&c, 100), 0);
	for (uint32_t i = 0; i < 5000; i++) {
		uint8_t x[32];

		fake_id(2, i, x);
		ember_sigcache_add(c, x);
	}
	for (uint32_t i = 0; i < 5000; i++) {
		uint8_t x[32];

		fake_id(2, i, x);
		assert_int_equal(ember_sigcache_has(c, x), i >= 4900);
	}
	ember_sigcache_free(c);

	assert_int_equal(ember_sigcache_new(NULL, 4), EMBER_EINVAL);
	ember_sigcache_free(NULL);
}

struct adder {
	struct ember_sigcache *c;
	uint32_t tag;
};

#define ADDS 5000

static void *adder_main(void *arg)
{
	struct adder *a = arg;

	for (uint32_t i = 0; i < ADDS; i++) {
		uint8_t x[32];

		fake_id(a->tag, i, x);
		ember_sigcache_add(a->c, x);
		(void)ember_sigcache_has(a->c, x);
	}
	return NULL;
}

static size_t count_present(struct ember_sigcache *c)
{
	size_t n = 0;

	for (uint32_t t = 0; t < 4; t++)
		for (uint32_t i = 0; i < ADDS; i++) {
			uint8_t x[32];

			fake_id(100 + t, i, x);
			n += (size_t)ember_sigcache_has(c, x);
		}
	return n;
}

static void run_adders(struct ember_sigcache *c)
{
	pthread_t th[4];
	struct adder a[4];

	for (int t = 0; t < 4; t++) {
		a[t] = (struct adder){ c, 100 + (uint32_t)t };
		assert_int_equal(pthread_create(&th[t], NULL, adder_main, &a[t]), 0);
	}
	for (int t = 0; t < 4; t++)
		pthread_join(th[t], NULL);
}

static void test_cache_threads(void **state)
{
	struct ember_sigcache *c;

	(void)state;
	assert_int_equal(ember_sigcache_new(&c, 4 * ADDS), 0);
	run_adders(c);
	assert_int_equal(count_present(c), 4 * ADDS);
	ember_sigcache_free(c);

	/* with eviction racing: whatever the interleaving, exactly capacity
	 * distinct ids remain */
	assert_int_equal(ember_sigcache_new(&c, 1000), 0);
	run_adders(c);
	assert_int_equal(count_present(c), 1000);
	ember_sigcache_free(c);
}

/* ---- pool */

#define NTX 1000
#define NBAD 10

struct txset {
	struct ember_tx tx[NTX];
	uint8_t txid[NTX][32];
	int bad[NTX];
};

static struct txset *txset_new(void)
{
	struct txset *s = calloc(1, sizeof(*s));
	struct ember_keypair kp[4];
	uint8_t to[32] = { 9 };

	assert_non_null(s);
	for (int k = 0; k < 4; k++)
		assert_int_equal(ember_keypair_generate(&kp[k]), 0);
	for (int i = 0; i < NTX; i++) {
		assert_int_equal(ember_tx_init_transfer(&s->tx[i], CHAIN,
		                                        kp[i % 4].pub,
		                                        (uint64_t)i / 4, 10, to,
		                                        1 + (uint64_t)i), 0);
		assert_int_equal(ember_tx_sign(&s->tx[i], &kp[i % 4]), 0);
	}
	for (int k = 0; k < NBAD; k++) {
		int i = k * 97 + 13;

		s->bad[i] = 1;
		s->tx[i].sig[k % 64] ^= 0x01;
	}
	/* txids of what is actually there, corrupted signatures included */
	for (int i = 0; i < NTX; i++) {
		uint8_t enc[256];
		size_t len;

		assert_int_equal(ember_tx_encode(&s->tx[i], enc, sizeof enc, &len),
		                 0);
		ember_txid(enc, len, s->txid[i]);
	}
	return s;
}

static void jobs_fill(struct ember_vjob *jobs, const struct txset *s, int from,
                      int n)
{
	for (int i = 0; i < n; i++) {
		jobs[i].tx = &s->tx[from + i];
		memcpy(jobs[i].txid, s->txid[from + i], 32);
		jobs[i].valid = -1;
	}
}

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int notified;
	int drained;
};

static void on_notify(void *ctx)
{
	struct waiter *w = ctx;

	pthread_mutex_lock(&w->mu);
	w->notified++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void on_done(void *ctx, struct ember_vbatch *b)
{
	struct waiter *w = ctx;

	w->drained++;
	b->user = NULL;   /* marks it handed over */
}

static void check_jobs(const struct ember_vjob *jobs, const struct txset *s,
                       int from, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(jobs[i].valid, !s->bad[from + i]);
}

static void test_pool_async(void **state)
{
	struct txset *s = txset_new();
	struct ember_sigcache *cache;
	struct ember_vpool *p;
	struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	                    0, 0 };
	static struct ember_vjob jobs[NTX];
	struct ember_vbatch b[4];
	const int cut[5] = { 0, 300, 301, 1000, 1000 };   /* last one empty */
	size_t got = 0;

	(void)state;
	assert_int_equal(ember_sigcache_new(&cache, 4 * NTX), 0);
	assert_int_equal(ember_vpool_new(&p, 2, cache, on_notify, &w), 0);
	assert_int_equal(ember_vpool_threads(p), 2);
	jobs_fill(jobs, s, 0, NTX);
	for (int k = 0; k < 4; k++) {
		memset(&b[k], 0, sizeof b[k]);
		b[k].jobs = jobs + cut[k];
		b[k].n = (size_t)(cut[k + 1] - cut[k]);
		b[k].user = &b[k];
		assert_int_equal(ember_vpool_submit(p, &b[k]), 0);
	}
	while (got < 4) {
		pthread_mutex_lock(&w.mu);
		while (w.notified == 0)
			pthread_cond_wait(&w.cv, &w.mu);
		w.notified = 0;
		pthread_mutex_unlock(&w.mu);
		got += ember_vpool_drain(p, on_done, &w);
	}
	assert_int_equal(got, 4);
	assert_int_equal(w.drained, 4);
	for (int k = 0; k < 4; k++)
		assert_null(b[k].user);
	check_jobs(jobs, s, 0, NTX);
	assert_int_equal(ember_vpool_drain(p, on_done, &w), 0);

	/* valid ones were cached, bad ones not */
	for (int i = 0; i < NTX; i++)
		assert_int_equal(ember_sigcache_has(cache, s->txid[i]), !s->bad[i]);

	assert_int_equal(ember_vpool_submit(p, NULL), EMBER_EINVAL);
	ember_vpool_free(p);
	ember_sigcache_free(cache);
	free(s);
}

static void test_pool_run(void **state)
{
	struct txset *s = txset_new();
	struct ember_vpool *p;
	static struct ember_vjob jobs[NTX];
	struct ember_vbatch b;

	(void)state;
	assert_int_equal(ember_vpool_new(&p, 2, NULL, NULL, NULL), 0);
	jobs_fill(jobs, s, 0, NTX);
	memset(&b, 0, sizeof b);
	b.jobs = jobs;
	b.n = NTX;
	ember_vpool_run(p, &b);
	check_jobs(jobs, s, 0, NTX);

	/* small batches, the caller often finishing alone */
	for (int i = 0; i < NTX; i += 7) {
		int n = NTX - i < 7 ? NTX - i : 7;

		jobs_fill(jobs, s, i, n);
		b.jobs = jobs;
		b.n = (size_t)n;
		ember_vpool_run(p, &b);
		check_jobs(jobs, s, i, n);
	}
	b.n = 0;
	ember_vpool_run(p, &b);   /* nothing to do */
	ember_vpool_free(p);
	assert_int_equal(ember_vpool_new(&p, 0, NULL, NULL, NULL), EMBER_EINVAL);
	free(s);
}

/*
 * A cached txid is trusted without a verify.  That is sound only because
 * the txid covers the signature, so callers must cache ids they computed
 * from the encoding; this tx's id was planted to show the skip happens.
 */
static void test_cache_skips_verify(void **state)
{
	struct ember_keypair kp;
	struct ember_tx tx;
	struct ember_sigcache *cache;
	struct ember_vpool *p;
	struct ember_vjob job;
	struct ember_vbatch b;
	uint8_t to[32] = { 3 };

	(void)state;
	assert_int_equal(ember_keypair_generate(&kp), 0);
	assert_int_equal(ember_tx_init_transfer(&tx, CHAIN, kp.pub, 0, 1, to, 5),
	                 0);
	assert_int_equal(ember_tx_sign(&tx, &kp), 0);
	tx.sig[5] ^= 0x80;
	assert_int_equal(ember_tx_verify(&tx), 0);

	assert_int_equal(ember_sigcache_new(&cache, 16), 0);
	assert_int_equal(ember_vpool_new(&p, 2, cache, NULL, NULL), 0);
	memset(&b, 0, sizeof b);
	job.tx = &tx;
	fake_id(7, 7, job.txid);
	b.jobs = &job;
	b.n = 1;

	job.valid = -1;
	ember_vpool_run(p, &b);
	assert_int_equal(job.valid, 0);
	assert_false(ember_sigcache_has(cache, job.txid));

	ember_sigcache_add(cache, job.txid);
	job.valid = -1;
	ember_vpool_run(p, &b);
	assert_int_equal(job.valid, 1);

	ember_vpool_free(p);
	ember_sigcache_free(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_fifo),
		cmocka_unit_test(test_cache_threads),
		cmocka_unit_test(test_pool_async),
		cmocka_unit_test(test_pool_run),
		cmocka_unit_test(test_cache_skips_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
