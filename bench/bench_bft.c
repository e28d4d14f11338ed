/*
 * bench_bft.c - four validators of equal power reaching BFT consensus over
 * P2P on 127.0.0.1 (real emberd processes, one genesis, full mesh), the
 * issue's "Speed" figures for consensus:
 *
 *  1. proposal to commit with no load: each validator keeps the time from
 *     a block's proposal reaching it (or its building it) to its commit,
 *     over its last 100 commits (getvalidators' commit_latency_ms); the
 *     figures printed are the median of the validators' p50s and the
 *     largest p99.
 *  2. the same at 1,000 transfers/s offered to validator 0 over RPC
 *     (batches of 100 every 100 ms), after 100 further commits.
 *  3. transfers/s end to end: N pre-signed transfers sent as fast as the
 *     node answers to validator 0, timed until every sender's nonce shows
 *     them committed; each validator verifies every signature, so on the
 *     same cores the ceiling is about a quarter of the single-validator
 *     `tps` figure: the ratio is printed against that when `tps` ran in
 *     this invocation.
 *
 * Block time 100 ms; timeouts are the node's defaults for it.
 */
#include "bench.h"

#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember/genesis.h"
#include "ember/key.h"

#define BFT_NVAL 4
#define BFT_BLOCK_MS 100
#define BFT_ACCTS 1000
#define BFT_LOAD_TXS 12000         /* phase 2: 1,000/s for up to 12 s */
#define BFT_TPS_TXS 20000
#define BFT_TPS_TXS_QUICK 6000
#define BFT_WAIT_S 120

struct bft_run {
	struct bench_node nd[BFT_NVAL];
	struct ember_rpc_client rpc[BFT_NVAL];
	unsigned rport[BFT_NVAL], pport[BFT_NVAL];
};

static int bft_height(const struct ember_rpc_client *c, uint64_t *h)
{
	char err[256];
	uint64_t mp;
	return bench_status(c, h, &mp, NULL, err, sizeof(err));
}

/* Wait until every validator is at height h or more. */
static int bft_wait_all(struct bft_run *r, uint64_t h)
{
	double t0 = bench_now();

	for (;;) {
		int all = 1;
		for (int i = 0; i < BFT_NVAL; i++) {
			uint64_t hi = 0;
			if (bft_height(&r->rpc[i], &hi) != 0 || hi < h)
				all = 0;
		}
		if (all)
			return 0;
		if (bench_now() - t0 > BFT_WAIT_S) {
			bench_node_log_tail(&r->nd[0]);
			return bench_fail("the validators did not reach height %llu in %d s",
			                  (unsigned long long)h, BFT_WAIT_S);
		}
		usleep(20000);
	}
}

/* Median of the validators' p50s and the largest p99 (ms). */
static int bft_latency(struct bft_run *r, double *p50, double *p99)
{
	double p[BFT_NVAL];

	*p99 = 0;
	for (int i = 0; i < BFT_NVAL; i++) {
		json_t *res = NULL, *lat;
		char err[256];
		if (ember_rpc_call(&r->rpc[i], "getvalidators", json_array(), &res, NULL, err,
		                   sizeof(err)) != 0)
			return bench_fail("getvalidators on validator %d: %s", i, err);
		lat = json_object_get(json_object_get(res, "consensus"), "commit_latency_ms");
		if (!json_is_object(lat)) {
			json_decref(res);
			return bench_fail("validator %d reports no commit latency", i);
		}
		p[i] = (double)json_integer_value(json_object_get(lat, "p50"));
		if ((double)json_integer_value(json_object_get(lat, "p99")) > *p99)
			*p99 = (double)json_integer_value(json_object_get(lat, "p99"));
		json_decref(res);
	}
	for (int i = 1; i < BFT_NVAL; i++)       /* insertion sort of 4 */
		for (int j = i; j > 0 && p[j] < p[j - 1]; j--) {
			double t = p[j];
			p[j] = p[j - 1];
			p[j - 1] = t;
		}
	*p50 = (p[BFT_NVAL / 2 - 1] + p[BFT_NVAL / 2]) / 2;
	return 0;
}

/* Post c's batches at one batch per interval_s (0: as fast as answered). */
static int bft_post(struct bench_client *c, double interval_s)
{
	double t0 = bench_now();

	for (size_t i = 0; i < c->nb; i++) {
		char *resp = NULL, err[256];
		size_t rlen;
		if (interval_s > 0) {
			double due = t0 + interval_s * (double)i, now = bench_now();
			if (due > now)
				usleep((useconds_t)((due - now) * 1e6));
		}
		if (ember_rpc_post(c->rpc, c->b[i].body, c->b[i].len, &resp, &rlen, err,
		                   sizeof(err)) != 0)
			return bench_fail("sendtx batch: %s", err);
		free(resp);
	}
	return 0;
}

/* Until every sender in [lo, hi) of l has its nonces committed on rpc. */
static int bft_wait_committed(const struct ember_rpc_client *rpc,
                              const struct bench_load *l)
{
	double t0 = bench_now();
	char first[256];

	for (;;) {
		long left = bench_check_nonces(rpc, l, first, sizeof(first));
		if (left == 0)
			return 0;
		if (left < 0)
			return -1;
		if (bench_now() - t0 > BFT_WAIT_S)
			return bench_fail("%ld senders still have txs pending after %d s: %s",
			                  left, BFT_WAIT_S, first);
		usleep(50000);
	}
}

int bench_bft(struct bench_ctx *bc)
{
	struct bft_run r;
	struct bench_load l, lload, ltps;
	struct bench_client cl, ct;
	struct ember_genesis g;
	struct ember_keypair keys[BFT_NVAL];
	char emberd[PATH_MAX], url[64];
	size_t ntps = bc->opt->quick ? BFT_TPS_TXS_QUICK : BFT_TPS_TXS;
	double p50a, p99a, p50b, p99b, t0, secs, cpu0[BFT_NVAL], cpu_sum = 0;
	int cpu_ok = 1;
	uint64_t h;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	memset(&l, 0, sizeof(l));
	memset(&g, 0, sizeof(g));
	memset(&cl, 0, sizeof(cl));
	memset(&ct, 0, sizeof(ct));
	printf("== bft: %d validators of equal power over P2P (bin/emberd x %d, %d ms "
	       "blocks)\n", BFT_NVAL, BFT_NVAL, BFT_BLOCK_MS);
	if (bench_find_emberd(bc->opt->argv0, emberd, sizeof(emberd)))
		return -1;
	/* Two loads from one: the transfers offered at 1,000/s, then those
	 * sent as fast as possible (whole nonce rounds each). */
	if (bench_load_new(&l, BFT_ACCTS, BFT_LOAD_TXS + ntps, bc->opt->ncpu))
		goto out;
	lload = l;
	lload.ntx = BFT_LOAD_TXS;
	ltps = l;
	ltps.txs = l.txs + BFT_LOAD_TXS;
	ltps.enc = l.enc + BFT_LOAD_TXS;
	ltps.enclen = l.enclen + BFT_LOAD_TXS;
	ltps.txid = l.txid + BFT_LOAD_TXS;
	ltps.ntx = ntps;
	for (int i = 0; i < BFT_NVAL; i++)
		if (ember_keypair_generate(&keys[i]) != 0) {
			bench_fail("cannot make a validator key");
			goto out;
		}
	if (bench_genesis(&g, &l, keys[0].pub, bench_wall_ms(), BFT_BLOCK_MS))
		goto out;
	{
		struct ember_validator *v = realloc(g.vals, BFT_NVAL * sizeof(*v));
		if (!v) {
			bench_fail("out of memory");
			goto out;
		}
		g.vals = v;
		for (int i = 0; i < BFT_NVAL; i++) {
			memcpy(g.vals[i].pub, keys[i].pub, 32);
			g.vals[i].power = 10;
		}
		g.nval = BFT_NVAL;
		if (ember_genesis_finish(&g) != 0) {
			bench_fail("cannot finish the genesis");
			goto out;
		}
	}
	for (int i = 0; i < BFT_NVAL; i++)
		if (bench_free_port(&r.rport[i]) || bench_free_port(&r.pport[i]))
			goto out;
	for (int i = 0; i < BFT_NVAL; i++) {
		char listen[48], peers[BFT_NVAL - 1][48];
		const char *extra[2 + 2 * (BFT_NVAL - 1) + 1];
		size_t k = 0;

		if (bench_tmpdir(r.nd[i].dir, sizeof(r.nd[i].dir), "bft"))
			goto out;
		r.nd[i].have_dir = 1;
		if (bench_write_datadir(r.nd[i].dir, &g, &keys[i]))
			goto out;
		snprintf(listen, sizeof(listen), "127.0.0.1:%u", r.pport[i]);
		extra[k++] = "--p2p-listen";
		extra[k++] = listen;
		for (int j = 0, m = 0; j < BFT_NVAL; j++) {
			if (j == i)
				continue;
			snprintf(peers[m], sizeof(peers[m]), "127.0.0.1:%u", r.pport[j]);
			extra[k++] = "--peer";
			extra[k++] = peers[m++];
		}
		extra[k] = NULL;
		snprintf(url, sizeof(url), "http://127.0.0.1:%u/", r.rport[i]);
		if (ember_rpc_client_init(&r.rpc[i], url)) {
			bench_fail("bad url '%s'", url);
			goto out;
		}
		r.rpc[i].timeout_s = 60;
		if (bench_node_spawn(&r.nd[i], emberd, r.rport[i], extra))
			goto out;
	}
	for (int i = 0; i < BFT_NVAL; i++)
		if (bench_node_wait_ready(&r.nd[i], &r.rpc[i], &g, &h))
			goto out;

	/* 1. No load: 100 commits past the start-up. */
	if (bft_wait_all(&r, 10) || bft_height(&r.rpc[0], &h) || bft_wait_all(&r, h + 100) ||
	    bft_latency(&r, &p50a, &p99a))
		goto out;
	printf("  no load: proposal to commit p50 %.0f ms, p99 %.0f ms (median of the "
	       "validators' p50s, largest p99; last 100 commits)\n", p50a, p99a);

	/* 2. 1,000 transfers/s offered to validator 0. */
	cl.rpc = &r.rpc[0];
	if (bench_client_build(&cl, &lload, 0, lload.naccts, 100))
		goto out;
	t0 = bench_now();
	if (bft_post(&cl, 0.1) || bft_wait_committed(&r.rpc[0], &lload))
		goto out;
	secs = bench_now() - t0;
	if (bft_latency(&r, &p50b, &p99b))
		goto out;
	printf("  %d transfers offered at 1,000/s: all committed in %.1f s; proposal to "
	       "commit p50 %.0f ms, p99 %.0f ms (target p50 <= 50 ms)\n", BFT_LOAD_TXS,
	       secs, p50b, p99b);

	/* 3. As fast as it goes. */
	ct.rpc = &r.rpc[0];
	if (bench_client_build(&ct, &ltps, 0, ltps.naccts, 1000))
		goto out;
	for (int i = 0; i < BFT_NVAL; i++)
		cpu0[i] = bench_proc_cpu(r.nd[i].pid, 0);
	t0 = bench_now();
	if (bft_post(&ct, 0) || bft_wait_committed(&r.rpc[0], &l))
		goto out;
	secs = bench_now() - t0;
	for (int i = 0; i < BFT_NVAL; i++) {
		double c1 = bench_proc_cpu(r.nd[i].pid, 0);
		if (cpu0[i] < 0 || c1 < 0)
			cpu_ok = 0;
		else
			cpu_sum += c1 - cpu0[i];
	}
	bc->res->have_bft = 1;
	bc->res->bft_p50_ms = p50a;
	bc->res->bft_p99_ms = p99a;
	bc->res->bft_load_p50_ms = p50b;
	bc->res->bft_load_p99_ms = p99b;
	bc->res->bft_tps = (double)ntps / secs;
	printf("  %zu transfers as fast as validator 0 answers: committed in %.2f s = "
	       "%.0f tx/s", ntps, secs, (double)ntps / secs);
	if (bc->res->have_tps)
		printf(" = %.2f of a quarter of the single-validator %.0f tx/s (target 0.8)",
		       (double)ntps / secs / (bc->res->tps / 4), bc->res->tps);
	printf("\n");
	if (cpu_ok && ntps) {
		/* The mean validator's CPU over the phase, per tx committed. */
		bc->res->bft_cpu_per_tx = cpu_sum / BFT_NVAL / (double)ntps;
		printf("  CPU per tx per validator %.1f us", 1e6 * bc->res->bft_cpu_per_tx);
		if (bc->res->tps_cpu_per_tx > 0)
			printf(" = %.2f x the single validator's %.1f us (what each of the four "
			       "repeats: verify, execute, commit; plus votes and gossip)",
			       bc->res->bft_cpu_per_tx / bc->res->tps_cpu_per_tx,
			       1e6 * bc->res->tps_cpu_per_tx);
		printf("\n");
	}
	rc = 0;
out:
	for (int i = 0; i < BFT_NVAL; i++) {
		if (r.nd[i].pid)
			bench_node_stop(&r.nd[i]);
		if (r.nd[i].have_dir && (rc == 0 || !getenv("EMBER_BENCH_KEEP")))
			bench_rmtree(r.nd[i].dir);
		ember_keypair_clear(&keys[i]);
	}
	for (size_t i = 0; i < cl.nb; i++)
		free(cl.b[i].body);
	free(cl.b);
	for (size_t i = 0; i < ct.nb; i++)
		free(ct.b[i].body);
	free(ct.b);
	ember_genesis_release(&g);
	bench_load_release(&l);
	return rc;
}
