/*
 * bench_verify.c - (a): raw BIP-340 verifications per second, per core and
 * on every online CPU, plus full ember_tx_verify (sighash + verify) on
 * signed transfers.  The one-thread raw rate times the CPU count is the
 * bound the end-to-end figure (b) is compared against.
 */
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERIFY_SET 64            /* distinct (key, msg, sig) cycled over */

enum verify_mode {
	VERIFY_RAW,                  /* ember_schnorr_verify, 32-byte message */
	VERIFY_TX,                   /* ember_tx_verify: sighash + verify */
	VERIFY_SIGHASH               /* ember_tx_sighash alone */
};

struct verify_set {
	uint8_t pub[VERIFY_SET][32];
	uint8_t msg[VERIFY_SET][32];
	uint8_t sig[VERIFY_SET][64];
	struct ember_tx tx[VERIFY_SET];
};

struct verify_run {
	const struct verify_set *set;
	int mode;                    /* enum verify_mode */
	double secs;
	uint64_t n, bad;
	double elapsed;
	int started;
};

static int verify_set_make(struct verify_set *vs)
{
	struct ember_keypair kp;
	uint64_t rng = bench_wall_ms();
	int rc;

	for (size_t i = 0; i < VERIFY_SET; i++) {
		uint8_t to[32];
		if ((rc = ember_keypair_generate(&kp)))
			return bench_fail("cannot generate a key: %s", ember_strerror(rc));
		for (size_t b = 0; b < 32; b += 8) {
			uint64_t r = bench_rand(&rng);
			memcpy(vs->msg[i] + b, &r, 8);
		}
		memcpy(vs->pub[i], kp.pub, 32);
		memcpy(to, vs->pub[i ? i - 1 : 0], 32);
		if ((rc = ember_schnorr_sign(&kp, vs->msg[i], 32, NULL, vs->sig[i])) ||
		    (rc = ember_tx_init_transfer(&vs->tx[i], BENCH_CHAIN_ID, kp.pub, i,
		                                 BENCH_FEE, to, 1000 + i)) ||
		    (rc = ember_tx_sign(&vs->tx[i], &kp))) {
			ember_keypair_clear(&kp);
			return bench_fail("cannot sign: %s", ember_strerror(rc));
		}
		ember_keypair_clear(&kp);
	}
	return 0;
}

static void *verify_loop(void *arg)
{
	struct verify_run *r = arg;
	const struct verify_set *vs = r->set;
	double t0 = bench_now(), t;
	uint64_t n = 0, ok = 0;

	do {
		if (r->mode == VERIFY_TX) {
			for (size_t i = 0; i < VERIFY_SET; i++)
				ok += (uint64_t)ember_tx_verify(&vs->tx[i]);
		} else if (r->mode == VERIFY_SIGHASH) {
			uint8_t h[32];
			for (size_t i = 0; i < VERIFY_SET; i++)
				ok += ember_tx_sighash(&vs->tx[i], h) == 0;
		} else {
			for (size_t i = 0; i < VERIFY_SET; i++)
				ok += (uint64_t)ember_schnorr_verify(vs->pub[i], vs->msg[i], 32,
				                                     vs->sig[i]);
		}
		n += VERIFY_SET;
		t = bench_now();
	} while (t - t0 < r->secs);
	r->n = n;
	r->bad = n - ok;
	r->elapsed = t - t0;
	return NULL;
}

/* Run nthreads verify loops at once for secs; *rate gets the sum of the
 * threads' rates.  Returns 0 or -1 (a signature failed to verify). */
static int verify_measure(const struct verify_set *vs, enum verify_mode mode,
                          unsigned nthreads, double secs, double *rate)
{
	struct verify_run *runs = calloc(nthreads, sizeof(*runs));
	pthread_t *th = calloc(nthreads, sizeof(*th));
	uint64_t bad = 0;

	if (!runs || !th) {
		free(runs);
		free(th);
		return bench_fail("out of memory");
	}
	for (unsigned t = 0; t < nthreads; t++) {
		runs[t].set = vs;
		runs[t].mode = mode;
		runs[t].secs = secs;
	}
	/* Thread 0's loop runs here, so one thread means no extra thread. */
	for (unsigned t = 1; t < nthreads; t++)
		runs[t].started = pthread_create(&th[t], NULL, verify_loop, &runs[t]) == 0;
	verify_loop(&runs[0]);
	*rate = 0;
	for (unsigned t = 0; t < nthreads; t++) {
		if (t && !runs[t].started)
			continue;
		if (t)
			pthread_join(th[t], NULL);
		bad += runs[t].bad;
		if (runs[t].elapsed > 0)
			*rate += (double)runs[t].n / runs[t].elapsed;
	}
	free(runs);
	free(th);
	if (bad)
		return bench_fail("%llu valid signatures did not verify",
		                  (unsigned long long)bad);
	return 0;
}

int bench_verify_bound(struct bench_ctx *bc, double secs)
{
	struct verify_set *vs = calloc(1, sizeof(*vs));
	int rc;

	if (!vs)
		return bench_fail("out of memory");
	rc = verify_set_make(vs);
	if (!rc)
		rc = verify_measure(vs, VERIFY_RAW, 1, secs, &bc->res->verify_core);
	free(vs);
	if (rc)
		return rc;
	bc->res->have_verify = 1;
	printf("  raw BIP-340 verify, 1 thread: %.0f /s (measured %.1f s for the bound)\n",
	       bc->res->verify_core, secs);
	return 0;
}

int bench_verify(struct bench_ctx *bc)
{
	struct bench_results *res = bc->res;
	unsigned n = bc->opt->ncpu;
	double secs = bc->opt->quick ? 0.5 : 2.0;
	struct verify_set *vs = calloc(1, sizeof(*vs));
	double sighash;
	int rc;

	if (!vs)
		return bench_fail("out of memory");
	printf("== verify: BIP-340 Schnorr verification (libsecp256k1), %.1f s per line\n",
	       secs);
	if ((rc = verify_set_make(vs)))
		goto out;

	if ((rc = verify_measure(vs, VERIFY_RAW, 1, secs, &res->verify_core)))
		goto out;
	printf("  raw verify (32-byte msg), 1 thread:      %8.0f /s  (%.1f us each)\n",
	       res->verify_core, 1e6 / res->verify_core);
	if ((rc = verify_measure(vs, VERIFY_TX, 1, secs, &res->txverify_core)) ||
	    (rc = verify_measure(vs, VERIFY_SIGHASH, 1, secs / 4, &sighash)))
		goto out;
	printf("  tx verify (sighash + verify), 1 thread:  %8.0f /s  (%.1f us each; "
	       "sighash alone %.2f us)\n", res->txverify_core, 1e6 / res->txverify_core,
	       1e6 / sighash);
	if ((rc = verify_measure(vs, VERIFY_RAW, n, secs, &res->verify_all)))
		goto out;
	printf("  raw verify, %u threads:                  %8.0f /s  (%.2f x one thread)\n",
	       n, res->verify_all, res->verify_all / res->verify_core);
	if ((rc = verify_measure(vs, VERIFY_TX, n, secs, &res->txverify_all)))
		goto out;
	printf("  tx verify, %u threads:                   %8.0f /s  (%.2f x one thread)\n",
	       n, res->txverify_all, res->txverify_all / res->txverify_core);
	res->verify_threads = n;
	res->have_verify = 1;
	printf("  bound for (b): 1-thread raw x %u online CPUs = %.0f /s\n", n,
	       res->verify_core * n);
out:
	free(vs);
	return rc;
}
