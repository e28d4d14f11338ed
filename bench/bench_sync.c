/*
 * bench_sync.c - a full node over P2P, with real processes.
 *
 * A validator emberd (P2P on, one validator, 200 ms blocks) is loaded with
 * N pre-signed transfers over JSON-RPC until all are committed.  Then:
 *
 *  1. catch-up: a fresh full node (--genesis, --peer the validator) is
 *     started and timed from its spawn until its height reaches the
 *     validator's tip as it was when the full node started.  Its path is
 *     GETBLOCKS (128 at a time) and cons_apply_block per block.  The figure
 *     it is compared with is cons_apply_block itself, in process, on the
 *     very same blocks: after the run the full node's own ledger is read
 *     and replayed into a fresh ledger with a verify pool of one thread per
 *     online CPU and an empty signature cache, which is what the node runs
 *     (every signature verified, execute, synchronous commit); best of two
 *     replays, with both nodes stopped.  The gap is
 *     what the network, the process and the request pipeline cost.
 *  2. tps over P2P: M further transfers are sent to the FULL node's RPC,
 *     which admits them and relays them to the validator; the clock stops
 *     when every one is committed on the validator (every sender's nonce
 *     read there).  Compared with the raw verify bound (one thread x
 *     online CPUs) measured in this run, and printed next to M transfers
 *     sent to the validator directly, on the same chain, just before.
 *
 * Asserted: every tx committed (nonces on the validator), and the full
 * node's tip hash equal to the validator's at one height at the end.
 * Workload: one bench_load of N + 2M transfers; its index ranges are used
 * as three loads (whole nonce rounds, so each stays gap-free in order).
 */
#include "bench.h"

#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ember/chain.h"
#include "ember/cons.h"
#include "ember/store.h"
#include "ember/verify.h"

#define SYNC_ACCTS 2000
#define SYNC_TXS 20000            /* N; M is N / 2 */
#define SYNC_TXS_QUICK 4000
#define SYNC_BATCH 1000
#define SYNC_CLIENTS 2
#define SYNC_BLOCK_MS 200
#define SYNC_STALL_S 60
#define SYNC_POLL_US 2000

struct sync_run {
	struct bench_node val, full;
	struct ember_rpc_client vrpc, vpoll, frpc, fpoll;
	char emberd[PATH_MAX];
};

/* A view of txs [from, from + n) of l as a load of its own. */
static void sync_view(struct bench_load *v, const struct bench_load *l,
                      size_t from, size_t n)
{
	*v = *l;
	v->ntx = n;
	v->txs = l->txs + from;
	v->enc = l->enc + from;
	v->enclen = l->enclen + from;
	v->txid = l->txid + from;
}

/* A node's getstatus height and tip_hash.  Returns 0 or -1 (printed). */
static int sync_tip(const struct ember_rpc_client *rpc, uint64_t *h, char hash[65])
{
	char err[512];
	uint64_t mp;
	json_t *st;
	const char *s;

	if (bench_status(rpc, h, &mp, &st, err, sizeof(err)))
		return bench_fail("getstatus on port %u failed: %s", rpc->port, err);
	s = json_string_value(json_object_get(st, "tip_hash"));
	snprintf(hash, 65, "%s", s ? s : "");
	json_decref(st);
	return 0;
}

/*
 * Send load v through rpc (SYNC_CLIENTS threads, as bench_tps does) and
 * wait until every sender of the whole load l has its nonce on the
 * validator (rpc may be the full node's).  *secs gets send-to-commit time.
 */
static int sync_push(struct sync_run *r, const struct ember_rpc_client *rpc,
                     const struct bench_load *v, const struct bench_load *l,
                     size_t upto, double *secs)
{
	struct bench_client cl[SYNC_CLIENTS];
	pthread_t th[SYNC_CLIENTS];
	struct bench_load want;
	char err[512], first[256];
	double t0, last_change;
	uint64_t h, mp, last_h = 0;
	size_t ok = 0, errors = 0;
	int rc = 0;

	memset(cl, 0, sizeof(cl));
	sync_view(&want, l, 0, upto);
	for (int c = 0; c < SYNC_CLIENTS; c++)
		if (bench_client_build(&cl[c], v, v->naccts * (size_t)c / SYNC_CLIENTS,
		                       v->naccts * (size_t)(c + 1) / SYNC_CLIENTS,
		                       SYNC_BATCH)) {
			rc = bench_fail("out of memory for request bodies");
			goto out;
		}
	t0 = bench_now();
	for (int c = 0; c < SYNC_CLIENTS; c++) {
		cl[c].rpc = rpc;
		cl[c].l = v;
		cl[c].started = pthread_create(&th[c], NULL, bench_client_thread,
		                               &cl[c]) == 0;
		if (!cl[c].started)
			bench_client_thread(&cl[c]);
	}
	for (int c = 0; c < SYNC_CLIENTS; c++) {
		if (cl[c].started)
			pthread_join(th[c], NULL);
		ok += cl[c].ok;
		errors += cl[c].errors;
	}
	if (errors) {
		for (int c = 0; c < SYNC_CLIENTS; c++)
			if (cl[c].first_err[0]) {
				printf("  first error (client %d): %s\n", c, cl[c].first_err);
				break;
			}
		rc = bench_fail("%zu of %zu sendtx calls did not return a txid", errors,
		                ok + errors);
		goto out;
	}
	/* Committed on the validator: its pool empty and every nonce there.
	 * The nonce batch runs only when the pool is empty (rarely, and at the
	 * end), so it barely loads the node while timed. */
	last_change = bench_now();
	for (;;) {
		long bad;
		if (bench_status(&r->vpoll, &h, &mp, NULL, err, sizeof(err))) {
			bench_node_log_tail(&r->val);
			rc = bench_fail("getstatus failed while waiting for commits: %s", err);
			goto out;
		}
		if (mp == 0) {
			first[0] = 0;
			if ((bad = bench_check_nonces(&r->vpoll, &want, first,
			                              sizeof(first))) < 0) {
				rc = -1;
				goto out;
			}
			if (bad == 0)
				break;
		}
		if (h != last_h) {
			last_h = h;
			last_change = bench_now();
		} else if (bench_now() - last_change > SYNC_STALL_S) {
			bench_node_log_tail(&r->val);
			bench_node_log_tail(&r->full);
			rc = bench_fail("no block for %d s with %llu txs pending on the "
			                "validator", SYNC_STALL_S, (unsigned long long)mp);
			goto out;
		}
		usleep(SYNC_POLL_US);
	}
	*secs = bench_now() - t0;
out:
	for (int c = 0; c < SYNC_CLIENTS; c++) {
		for (size_t i = 0; i < cl[c].nb; i++)
			free(cl[c].b[i].body);
		free(cl[c].b);
	}
	return rc;
}

/*
 * The in-process figure: blocks 1..h1 of the ledger in dir (a stopped
 * node's, in dir/ledger) applied with cons_apply_block to a fresh ledger, verify pool of
 * nthreads, empty signature cache.  *secs gets the sum of the apply calls,
 * *txs the txs in blocks (h0, h1], *secs_range their apply time.
 */
static int sync_replay(const char *dir, const struct ember_genesis *g,
                       uint64_t h0, uint64_t h1, unsigned nthreads,
                       double *secs_range, size_t *txs)
{
	struct ember_store *src = NULL, *dst = NULL;
	struct ember_sigcache *cache = NULL;
	struct ember_vpool *vp = NULL;
	struct cons *cons = NULL;
	struct cons_cfg cfg;
	char tmp[512], ledger[600], why[256], err[256];
	uint8_t *blk = NULL, *cert = NULL;
	int have_tmp = 0, rc;

	*secs_range = 0;
	*txs = 0;
	if ((rc = bench_tmpdir(tmp, sizeof(tmp), "sync-replay")))
		return rc;
	have_tmp = 1;
	snprintf(ledger, sizeof(ledger), "%s/ledger", dir);
	if ((rc = ember_store_open(&src, ledger, 0)) ||
	    (rc = ember_store_open(&dst, tmp, 0)) ||
	    (rc = ember_sigcache_new(&cache, 1u << 20)) ||
	    (rc = ember_vpool_new(&vp, nthreads, cache, NULL, NULL))) {
		rc = bench_fail("cannot set up the replay: %s", ember_strerror(rc));
		goto out;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.g = g;
	cfg.store = dst;
	cfg.cache = cache;
	cfg.vpool = vp;
	err[0] = 0;
	if ((rc = cons_new(&cons, &cfg, err, sizeof(err)))) {
		rc = bench_fail("cannot start consensus: %s", err[0] ? err : ember_strerror(rc));
		goto out;
	}
	for (uint64_t h = 1; h <= h1; h++) {
		struct ember_txn *t;
		struct cons_stats b, a;
		const uint8_t *p;
		size_t blen, clen;
		double t0;

		if ((rc = ember_store_read(src, &t)))
			goto store_err;
		if ((rc = ember_chain_get_block(t, h, &p, &blen)) ||
		    !(blk = malloc(blen))) {
			ember_txn_abort(t);
			goto store_err;
		}
		memcpy(blk, p, blen);
		if ((rc = ember_chain_get_cert(t, h, &p, &clen)) ||
		    !(cert = malloc(clen))) {
			ember_txn_abort(t);
			goto store_err;
		}
		memcpy(cert, p, clen);
		ember_txn_abort(t);
		cons_stats(cons, &b);
		why[0] = 0;
		t0 = bench_now();
		rc = cons_apply_block(cons, blk, blen, cert, clen, why, sizeof(why));
		if (h > h0)
			*secs_range += bench_now() - t0;
		if (rc) {
			rc = bench_fail("replay of block %llu refused: %s%s%s",
			                (unsigned long long)h, ember_strerror(rc),
			                why[0] ? ": " : "", why);
			goto out;
		}
		cons_stats(cons, &a);
		if (h > h0)
			*txs += a.txs - b.txs;
		free(blk);
		free(cert);
		blk = cert = NULL;
	}
	rc = 0;
	goto out;
store_err:
	rc = bench_fail("cannot read a block from '%s': %s", ledger,
	                rc ? ember_strerror(rc) : "out of memory");
out:
	free(blk);
	free(cert);
	cons_free(cons);
	ember_vpool_free(vp);
	ember_sigcache_free(cache);
	ember_store_close(dst);
	ember_store_close(src);
	if (have_tmp)
		bench_rmtree(tmp);
	return rc ? -1 : 0;
}

int bench_sync(struct bench_ctx *bc)
{
	struct bench_results *res = bc->res;
	size_t n = bc->opt->txs ? bc->opt->txs : bc->opt->quick ? SYNC_TXS_QUICK : SYNC_TXS;
	size_t naccts = n < SYNC_ACCTS ? (n < 2 ? 2 : n) : SYNC_ACCTS;
	size_t m, rtxs = 0;
	unsigned ncpu = bc->opt->ncpu, vport, fport, vp2p = 0;
	struct sync_run r;
	struct bench_load l, lv;
	struct ember_genesis g;
	struct ember_keypair val;
	char url[64], peer[64], gpath[600], vhash[65], fhash[65], err[512];
	char vlisten[] = "127.0.0.1:0";
	const char *vextra[] = { "--p2p-listen", vlisten, NULL };
	const char *fextra[] = { "--genesis", gpath, "--peer", peer,
	                         "--p2p-listen", vlisten, NULL };
	double t0, t1, tsync = 0, tready = 0, t_p2p = 0, t_rpc = 0, replay = 0;
	double bound, exec_ms, commit_ms, max_ms;
	uint64_t h0 = 0, target = 0, hv = 0, hf = 0, mp;
	unsigned blocks;
	int rc = 0, stop_rc;

	memset(&r, 0, sizeof(r));
	memset(&l, 0, sizeof(l));
	memset(&g, 0, sizeof(g));
	memset(&val, 0, sizeof(val));
	n = (n + naccts - 1) / naccts * naccts;          /* whole nonce rounds */
	m = (n / 2 + naccts - 1) / naccts * naccts;
	printf("== sync: a full node over P2P (bin/emberd x 2, one validator, %d ms "
	       "blocks)\n", SYNC_BLOCK_MS);
	printf("  %zu accounts; %zu transfers committed on the validator before the "
	       "full node starts, then %zu sent to the validator and %zu to the full "
	       "node\n", naccts, n, m, m);
	if ((rc = bench_find_emberd(bc->opt->argv0, r.emberd, sizeof(r.emberd))))
		goto out;
	t0 = bench_now();
	if ((rc = bench_load_new(&l, naccts, n + 2 * m, ncpu)))
		goto out;
	if ((rc = ember_keypair_generate(&val))) {
		rc = bench_fail("cannot generate a key: %s", ember_strerror(rc));
		goto out;
	}
	if ((rc = bench_genesis(&g, &l, val.pub, bench_wall_ms(), SYNC_BLOCK_MS)) ||
	    (rc = bench_tmpdir(r.val.dir, sizeof(r.val.dir), "sync-val")))
		goto out;
	r.val.have_dir = 1;
	if ((rc = bench_write_datadir(r.val.dir, &g, &val)) ||
	    (rc = bench_tmpdir(r.full.dir, sizeof(r.full.dir), "sync-full")))
		goto out;
	r.full.have_dir = 1;
	printf("  pre-signed %zu transfers and set up in %.2f s (not timed)\n", l.ntx,
	       bench_now() - t0);

	/* The validator, loaded with the first n. */
	if ((rc = bench_free_port(&vport)))
		goto out;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", vport);
	if (ember_rpc_client_init(&r.vrpc, url) || ember_rpc_client_init(&r.vpoll, url)) {
		rc = bench_fail("bad node url '%s'", url);
		goto out;
	}
	r.vrpc.timeout_s = 300;
	r.vpoll.timeout_s = 10;
	if ((rc = bench_node_spawn(&r.val, r.emberd, vport, vextra)) ||
	    (rc = bench_node_wait_ready(&r.val, &r.vpoll, &g, &h0)) ||
	    (rc = bench_node_p2p_port(&r.val, &vp2p)))
		goto out;
	printf("  validator (pid %d): RPC 127.0.0.1:%u, P2P 127.0.0.1:%u\n",
	       (int)r.val.pid, vport, vp2p);
	sync_view(&lv, &l, 0, n);
	if ((rc = sync_push(&r, &r.vrpc, &lv, &l, n, &t1)))
		goto out;
	if ((rc = sync_tip(&r.vpoll, &target, vhash)))
		goto out;
	printf("  loaded: %zu transfers committed in %.2f s (%.0f tx/s over RPC), "
	       "validator at height %llu\n", n, t1, (double)n / t1,
	       (unsigned long long)target);

	/* 1. Catch-up: from the full node's spawn to the target height. */
	snprintf(gpath, sizeof(gpath), "%s/genesis.json", r.val.dir);
	snprintf(peer, sizeof(peer), "127.0.0.1:%u", vp2p);
	if ((rc = bench_free_port(&fport)))
		goto out;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", fport);
	if (ember_rpc_client_init(&r.frpc, url) || ember_rpc_client_init(&r.fpoll, url)) {
		rc = bench_fail("bad node url '%s'", url);
		goto out;
	}
	r.frpc.timeout_s = 300;
	r.fpoll.timeout_s = 10;
	/* Untimed: the validator's tip when the full node starts is the goal. */
	if ((rc = sync_tip(&r.vpoll, &target, vhash)))
		goto out;
	t0 = bench_now();
	if ((rc = bench_node_spawn(&r.full, r.emberd, fport, fextra)))
		goto out;
	for (;;) {
		int st;
		if (waitpid(r.full.pid, &st, WNOHANG) == r.full.pid) {
			r.full.pid = 0;
			bench_node_log_tail(&r.full);
			rc = bench_fail("the full node exited during catch-up");
			goto out;
		}
		if (bench_status(&r.fpoll, &hf, &mp, NULL, err, sizeof(err)) == 0) {
			if (!tready)
				tready = bench_now() - t0;
			if (hf >= target)
				break;
		}
		if (bench_now() - t0 > BENCH_START_S + SYNC_STALL_S) {
			bench_node_log_tail(&r.full);
			rc = bench_fail("the full node is at height %llu of %llu after %d s",
			                (unsigned long long)hf, (unsigned long long)target,
			                BENCH_START_S + SYNC_STALL_S);
			goto out;
		}
		usleep(SYNC_POLL_US);
	}
	tsync = bench_now() - t0;
	res->sync_txs = n;
	res->sync_tps = (double)n / tsync;
	res->sync_blocks_s = (double)target / tsync;
	printf("  catch-up: %llu blocks (%zu txs) in %.3f s from spawn (RPC up after "
	       "%.3f s): %.0f tx/s, %.0f blocks/s\n", (unsigned long long)target, n,
	       tsync, tready, res->sync_tps, res->sync_blocks_s);
	bench_node_blocklog(&r.full, 0, target, &blocks, &exec_ms, &commit_ms, &max_ms);
	if (blocks)
		printf("  full node's block log: %u blocks with txs, execute %.0f ms + "
		       "commit %.0f ms in all (slowest block %.0f ms)\n", blocks, exec_ms,
		       commit_ms, max_ms);

	/* 2. The same m via the validator's RPC, then m via the full node's. */
	sync_view(&lv, &l, n, m);
	if ((rc = sync_push(&r, &r.vrpc, &lv, &l, n + m, &t_rpc)))
		goto out;
	sync_view(&lv, &l, n + m, m);
	if ((rc = sync_push(&r, &r.frpc, &lv, &l, n + 2 * m, &t_p2p)))
		goto out;
	res->sync_rpc_tps = (double)m / t_rpc;
	res->sync_p2p_tps = (double)m / t_p2p;
	printf("  %zu transfers to the validator's RPC: committed in %.3f s = %.0f tx/s\n",
	       m, t_rpc, res->sync_rpc_tps);
	printf("  %zu transfers to the full node's RPC, relayed over P2P: committed on "
	       "the validator in %.3f s = %.0f tx/s\n", m, t_p2p, res->sync_p2p_tps);

	/* Same tip on both, at one height (the validator keeps making blocks). */
	t0 = bench_now();
	for (;;) {
		if ((rc = sync_tip(&r.vpoll, &hv, vhash)) ||
		    (rc = sync_tip(&r.fpoll, &hf, fhash)))
			goto out;
		if (hv == hf && strcmp(vhash, fhash) == 0)
			break;
		if (hv == hf || bench_now() - t0 > 30) {
			rc = bench_fail("tips differ: validator %llu %.16s, full node %llu %.16s",
			                (unsigned long long)hv, vhash, (unsigned long long)hf,
			                fhash);
			goto out;
		}
		usleep(SYNC_POLL_US);
	}
	printf("  checked: every sender's nonce on the validator equals its tx count; "
	       "full node's tip = validator's at height %llu (%.16s...)\n",
	       (unsigned long long)hv, vhash);

	/* The in-process figure and the raw bound, untimed for the above. */
	if ((rc = bench_node_stop(&r.full)) || (rc = bench_node_stop(&r.val)))
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		double s;
		if ((rc = sync_replay(r.full.dir, &g, 0, target, ncpu, &s, &rtxs)))
			goto out;
		if (!pass || s < replay)
			replay = s;
	}
	res->sync_replay_tps = (double)rtxs / replay;
	if (rtxs != n) {
		rc = bench_fail("the replay found %zu txs in blocks 1..%llu, not %zu", rtxs,
		                (unsigned long long)target, n);
		goto out;
	}
	printf("  in process: cons_apply_block on the same %llu blocks (verify pool %u "
	       "threads, empty sigcache, fresh ledger; best of 2, nodes stopped): "
	       "%.3f s = %.0f tx/s\n",
	       (unsigned long long)target, ncpu, replay, res->sync_replay_tps);
	if (!res->have_verify && (rc = bench_verify_bound(bc, bc->opt->quick ? 0.5 : 2.0)))
		goto out;
	bound = res->verify_core * ncpu;
	res->have_sync = 1;
	printf("  ratio catch-up: %.0f / %.0f = %.2f of in-process apply with "
	       "signature checks (target 0.8)\n", res->sync_tps, res->sync_replay_tps,
	       res->sync_tps / res->sync_replay_tps);
	printf("  ratio tps over P2P: %.0f / (%.0f x %u) = %.2f of the raw verify "
	       "bound (target 0.75); direct to the validator %.2f\n",
	       res->sync_p2p_tps, res->verify_core, ncpu, res->sync_p2p_tps / bound,
	       res->sync_rpc_tps / bound);
out:
	stop_rc = bench_node_stop(&r.full);
	if (bench_node_stop(&r.val) && !stop_rc)
		stop_rc = -1;
	if (stop_rc && !rc) {
		bench_node_log_tail(&r.val);
		rc = stop_rc;
	}
	for (int i = 0; i < 2; i++) {
		struct bench_node *nd = i ? &r.full : &r.val;
		if (nd->have_dir && rc == 0)
			bench_rmtree(nd->dir);
		else if (nd->have_dir)
			fprintf(stderr, "ember-bench: kept '%s' for inspection\n", nd->dir);
	}
	ember_genesis_release(&g);
	ember_keypair_clear(&val);
	bench_load_release(&l);
	return rc ? -1 : 0;
}
