/*
 * bench_util.c - the shared workload (keys, pre-signed transfers, genesis)
 * and small helpers for ember-bench.
 */
#include "bench.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t bench_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned bench_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* splitmix64: enough to spread recipients; not for secrets. */
uint64_t bench_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int bench_fail(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("ember-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

int bench_tmpdir(char *out, size_t cap, const char *tag)
{
	const char *base = getenv("TMPDIR");
	int n;
	if (!base || !*base)
		base = "/tmp";
	n = snprintf(out, cap, "%s/ember-bench-%s-XXXXXX", base, tag);
	if (n < 0 || (size_t)n >= cap)
		return bench_fail("temp directory name under '%s' is too long", base);
	if (!mkdtemp(out))
		return bench_fail("cannot create a temp directory under '%s': %s",
		                  base, strerror(errno));
	return 0;
}

static int bench_rm_one(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0 && errno != ENOENT) {
		bench_fail("cannot remove '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int bench_rmtree(const char *dir)
{
	return nftw(dir, bench_rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* --- workload ------------------------------------------------------------ */

struct bench_sign_job {
	struct bench_load *l;
	size_t from, to;          /* tx index range */
	uint64_t seed;
	int rc;                   /* ember error code of the first failure */
	size_t bad;               /* index that failed */
	int started;              /* runs on its own thread */
};

static void *bench_sign_thread(void *arg)
{
	struct bench_sign_job *j = arg;
	struct bench_load *l = j->l;
	uint64_t rng = j->seed;

	for (size_t i = j->from; i < j->to; i++) {
		size_t s = i % l->naccts, r;
		uint64_t nonce = i / l->naccts;
		struct ember_tx *tx = &l->txs[i];
		int rc;

		r = (size_t)(bench_rand(&rng) % (l->naccts - 1));
		if (r >= s)
			r++;
		rc = ember_tx_init_transfer(tx, BENCH_CHAIN_ID, l->keys[s].pub, nonce,
		                            BENCH_FEE, l->keys[r].pub,
		                            1000 + bench_rand(&rng) % 1000);
		if (!rc)
			rc = ember_tx_sign(tx, &l->keys[s]);
		if (!rc)
			rc = ember_tx_encode(tx, l->enc[i], BENCH_ENC_MAX, &l->enclen[i]);
		if (rc) {
			j->rc = rc;
			j->bad = i;
			return NULL;
		}
		ember_txid(l->enc[i], l->enclen[i], l->txid[i]);
	}
	return NULL;
}

int bench_load_new(struct bench_load *l, size_t naccts, size_t ntx,
                   unsigned nthreads)
{
	struct bench_sign_job *jobs;
	pthread_t *th;
	uint64_t seed;
	int rc = 0;

	memset(l, 0, sizeof(*l));
	if (naccts < 2)
		return bench_fail("a workload needs at least 2 accounts, not %zu", naccts);
	l->naccts = naccts;
	l->ntx = ntx;
	l->keys = calloc(naccts, sizeof(*l->keys));
	l->txs = calloc(ntx ? ntx : 1, sizeof(*l->txs));
	l->enc = calloc(ntx ? ntx : 1, sizeof(*l->enc));
	l->enclen = calloc(ntx ? ntx : 1, sizeof(*l->enclen));
	l->txid = calloc(ntx ? ntx : 1, sizeof(*l->txid));
	if (!l->keys || !l->txs || !l->enc || !l->enclen || !l->txid)
		return bench_fail("out of memory for %zu transfers", ntx);
	for (size_t i = 0; i < naccts; i++)
		if ((rc = ember_keypair_generate(&l->keys[i])))
			return bench_fail("cannot generate a key: %s", ember_strerror(rc));

	if (nthreads < 1)
		nthreads = 1;
	jobs = calloc(nthreads, sizeof(*jobs));
	th = calloc(nthreads, sizeof(*th));
	if (!jobs || !th) {
		free(jobs);
		free(th);
		return bench_fail("out of memory");
	}
	seed = bench_wall_ms();
	for (unsigned t = 0; t < nthreads; t++) {
		jobs[t].l = l;
		jobs[t].from = ntx * t / nthreads;
		jobs[t].to = ntx * (t + 1) / nthreads;
		jobs[t].seed = seed + t * 0x1000193ULL;
		jobs[t].started = pthread_create(&th[t], NULL, bench_sign_thread,
		                                 &jobs[t]) == 0;
		if (!jobs[t].started)
			bench_sign_thread(&jobs[t]);   /* no thread: sign here */
	}
	for (unsigned t = 0; t < nthreads; t++) {
		if (jobs[t].started)
			pthread_join(th[t], NULL);
		if (jobs[t].rc && !rc) {
			rc = bench_fail("cannot sign transfer %zu: %s", jobs[t].bad,
			                ember_strerror(jobs[t].rc));
		}
	}
	free(jobs);
	free(th);
	return rc ? -1 : 0;
}

void bench_load_release(struct bench_load *l)
{
	if (l->keys)
		for (size_t i = 0; i < l->naccts; i++)
			ember_keypair_clear(&l->keys[i]);
	free(l->keys);
	free(l->txs);
	free(l->enc);
	free(l->enclen);
	free(l->txid);
	memset(l, 0, sizeof(*l));
}

size_t bench_load_count(const struct bench_load *l, size_t s)
{
	return l->ntx / l->naccts + (s < l->ntx % l->naccts ? 1 : 0);
}

int bench_genesis(struct ember_genesis *g, const struct bench_load *l,
                  const uint8_t val[32], uint64_t genesis_time_ms,
                  uint64_t block_time_ms)
{
	int rc;

	memset(g, 0, sizeof(*g));
	snprintf(g->chain_id, sizeof(g->chain_id), "%s", BENCH_CHAIN_ID);
	snprintf(g->token_model, sizeof(g->token_model), "bme");
	g->genesis_time_ms = genesis_time_ms;
	g->block_time_ms = block_time_ms;
	g->min_fee = BENCH_MIN_FEE;
	ember_params_default(&g->params);
	g->allocs = calloc(l->naccts, sizeof(*g->allocs));
	g->vals = calloc(1, sizeof(*g->vals));
	if (!g->allocs || !g->vals || ember_genesis_default_classes(g) != 0) {
		ember_genesis_release(g);
		return bench_fail("out of memory for the genesis");
	}
	for (size_t i = 0; i < l->naccts; i++) {
		memcpy(g->allocs[i].pub, l->keys[i].pub, 32);
		g->allocs[i].amount = BENCH_BALANCE;
	}
	g->nalloc = l->naccts;
	memcpy(g->vals[0].pub, val, 32);
	g->vals[0].power = 10;
	g->nval = 1;
	if ((rc = ember_genesis_finish(g))) {
		ember_genesis_release(g);
		return bench_fail("cannot finish the genesis: %s", ember_strerror(rc));
	}
	return 0;
}
