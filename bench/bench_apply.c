/*
 * bench_apply.c - (c): block production when every signature is already
 * verified.  In process, on a real LMDB ledger in a temp directory: the
 * transfers go into the sigcache (so execution skips verification, as it
 * does for txs verified on arrival) and into the mempool, then
 * cons_produce() runs until the pool is empty.  What is timed is what the
 * node's block tick does: select, execute, state root, vote, commit (the
 * store's write-ahead log append, fdatasync included), and at the end the
 * store's flush of those blocks into LMDB (store.h), which they caused.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/cons.h"
#include "ember/mempool.h"
#include "ember/state.h"
#include "ember/store.h"
#include "ember/verify.h"

#define APPLY_ACCTS 2000
#define APPLY_NONCES 20           /* full run: 40,000 txs */
#define APPLY_NONCES_QUICK 4      /* --quick: 8,000 txs */
#define APPLY_BLOCK_TXS 10000
#define APPLY_SMALL 1000          /* the separately timed small block */
#define APPLY_T0 1764000000000ULL

struct apply_env {
	char dir[512];
	int have_dir;
	struct ember_genesis g;
	struct ember_keypair val;
	struct ember_store *store;
	struct ember_sigcache *cache;
	struct ember_mempool *mp;
	struct cons *cons;
	uint64_t now_ms;
};

static void apply_env_release(struct apply_env *e)
{
	cons_free(e->cons);
	ember_mempool_free(e->mp);
	ember_sigcache_free(e->cache);
	ember_store_close(e->store);
	ember_genesis_release(&e->g);
	ember_keypair_clear(&e->val);
	if (e->have_dir)
		bench_rmtree(e->dir);
}

/* Admit txs [from, to) of l, each sender's committed account read from the
 * ledger, after marking their signatures verified. */
static int apply_admit(struct apply_env *e, const struct bench_load *l,
                       size_t from, size_t to)
{
	struct ember_txn *t;
	char why[256];
	int rc;

	if ((rc = ember_store_read(e->store, &t)))
		return bench_fail("cannot read the ledger: %s", ember_strerror(rc));
	for (size_t i = from; i < to; i++) {
		struct ember_account a;
		if ((rc = ember_account_get(t, l->txs[i].from, &a))) {
			ember_txn_abort(t);
			return bench_fail("cannot read account: %s", ember_strerror(rc));
		}
		ember_sigcache_add(e->cache, l->txid[i]);
		why[0] = 0;
		rc = ember_mempool_add(e->mp, &l->txs[i], l->enc[i], l->enclen[i],
		                       l->txid[i], &a, why, sizeof(why));
		if (rc) {
			ember_txn_abort(t);
			return bench_fail("mempool refused transfer %zu: %s", i,
			                  why[0] ? why : ember_strerror(rc));
		}
	}
	ember_txn_abort(t);
	return 0;
}

/* One cons_produce that must commit; *txs gets the txs it committed. */
static int apply_produce(struct apply_env *e, uint64_t *txs, uint64_t *exec_us,
                         uint64_t *commit_us)
{
	struct cons_stats before, after;
	int committed = 0, rc;

	cons_stats(e->cons, &before);
	e->now_ms += 1000;
	if ((rc = cons_produce(e->cons, e->now_ms, &committed)))
		return bench_fail("block production failed: %s", ember_strerror(rc));
	if (!committed)
		return bench_fail("block production committed nothing");
	cons_stats(e->cons, &after);
	if (after.dropped != before.dropped)
		return bench_fail("%llu transfers failed execution",
		                  (unsigned long long)(after.dropped - before.dropped));
	*txs = after.txs - before.txs;
	*exec_us = after.last_exec_us;
	*commit_us = after.last_commit_us;
	return 0;
}

/*
 * Cost of the state commitment alone (DESIGN.md budget: at 30k transfers/s
 * at most ~10% of one core).  A block of n transfers changes 2n accounts:
 * time 2n raw store puts, then the same 2n puts through struct ember_state
 * plus ember_state_root(); the difference is what the root costs.
 */
static int apply_state_root_cost(struct apply_env *e, size_t ntransfers)
{
	struct ember_state *st = NULL;
	struct ember_txn *t;
	uint8_t key[32], val[EMBER_ACCOUNT_ENC_LEN] = { 0 }, parent[32] = { 0 }, root[32];
	double t0, raw = 0, with = 0;
	size_t nput = 2 * ntransfers;
	int rc;

	if ((rc = ember_state_new(&st)))
		return rc;
	for (int pass = 0; pass < 2; pass++) {
		if ((rc = ember_store_write(e->store, &t)))
			break;
		ember_state_begin(st, t);
		t0 = bench_now();
		for (size_t i = 0; i < nput && !rc; i++) {
			memset(key, 0, sizeof(key));
			memcpy(key, &i, sizeof(i));
			key[31] = 0xee;   /* keys apart from the real accounts */
			val[0] = (uint8_t)i;
			rc = pass == 0 ? ember_store_put(t, EMBER_DB_ACCOUNTS, key, 32, val, sizeof(val))
			               : ember_state_put(st, EMBER_DB_ACCOUNTS, key, 32, val, sizeof(val));
		}
		if (!rc && pass == 1)
			rc = ember_state_root(st, parent, root);
		if (pass == 0)
			raw = bench_now() - t0;
		else
			with = bench_now() - t0;
		ember_txn_abort(t);
	}
	ember_state_free(st);
	if (rc)
		return rc;
	{
		double over = with - raw, per_tx = over / (double)ntransfers;
		printf("  state root for a block of %zu transfers (%zu changes): %.2f ms over the "
		       "raw LMDB puts (%.2f us/transfer) = %.1f%% of one core at 30k transfers/s\n",
		       ntransfers, nput, over * 1e3, per_tx * 1e6, per_tx * 30000 * 100);
	}
	return 0;
}

int bench_apply(struct bench_ctx *bc)
{
	struct bench_results *res = bc->res;
	size_t nonces = bc->opt->quick ? APPLY_NONCES_QUICK : APPLY_NONCES;
	size_t bulk = bc->opt->txs ? bc->opt->txs : APPLY_ACCTS * nonces;
	size_t naccts = APPLY_ACCTS;
	struct apply_env e;
	struct bench_load l;
	struct cons_cfg cfg;
	struct ember_mempool_cfg mpcfg;
	char err[256];
	double t0, t1, tsum = 0;
	uint64_t ntx = 0, sum_exec = 0, sum_commit = 0, blocks = 0;
	uint64_t n, ex, cm;
	int rc;

	memset(&e, 0, sizeof(e));
	memset(&l, 0, sizeof(l));
	if (bulk < naccts)
		naccts = bulk < 2 ? 2 : bulk;
	bulk = (bulk + naccts - 1) / naccts * naccts;   /* whole nonce rounds */
	printf("== apply: block production with signatures pre-verified (in process, "
	       "LMDB in a temp dir)\n");
	printf("  %zu accounts, %zu transfers (%zu per sender) + %d for one small block, "
	       "up to %d txs per block\n", naccts, bulk, bulk / naccts, APPLY_SMALL,
	       APPLY_BLOCK_TXS);

	/* The small block's txs follow the bulk: the next nonce of the first
	 * APPLY_SMALL senders (or of all of them twice over if there are fewer). */
	t0 = bench_now();
	if ((rc = bench_load_new(&l, naccts, bulk + APPLY_SMALL, bc->opt->ncpu)))
		goto out;
	printf("  pre-signed %zu transfers in %.2f s (not timed)\n", l.ntx,
	       bench_now() - t0);

	if ((rc = ember_keypair_generate(&e.val))) {
		rc = bench_fail("cannot generate a key: %s", ember_strerror(rc));
		goto out;
	}
	if ((rc = bench_genesis(&e.g, &l, e.val.pub, APPLY_T0, 1000)))
		goto out;
	/* Everything is admitted before the first block, so the pool must
	 * hold the whole workload. */
	memset(&mpcfg, 0, sizeof(mpcfg));
	mpcfg.max_txs = l.ntx + 16;
	mpcfg.max_bytes = l.ntx * 1024 + (1u << 20);
	mpcfg.max_per_sender = l.ntx / naccts + 16 > 1024 ? l.ntx / naccts + 16 : 1024;
	if ((rc = bench_tmpdir(e.dir, sizeof(e.dir), "apply")))
		goto out;
	e.have_dir = 1;
	if ((rc = ember_store_open(&e.store, e.dir, 0)) ||
	    (rc = ember_sigcache_new(&e.cache, l.ntx * 2)) ||
	    (rc = ember_mempool_new(&e.mp, &mpcfg))) {
		rc = bench_fail("cannot set up the ledger in '%s': %s", e.dir,
		                ember_strerror(rc));
		goto out;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.g = &e.g;
	cfg.store = e.store;
	cfg.mp = e.mp;
	cfg.cache = e.cache;
	cfg.key = &e.val;
	cfg.max_block_txs = APPLY_BLOCK_TXS;
	err[0] = 0;
	if ((rc = cons_new(&e.cons, &cfg, err, sizeof(err)))) {
		rc = bench_fail("cannot start consensus: %s", err[0] ? err : ember_strerror(rc));
		goto out;
	}
	e.now_ms = APPLY_T0;

	t0 = bench_now();
	if ((rc = apply_admit(&e, &l, 0, bulk)))
		goto out;
	t1 = bench_now();
	printf("  mempool admission (untimed for (c)): %.0f tx/s\n",
	       (double)bulk / (t1 - t0));

	while (ember_mempool_count(e.mp) > 0) {
		t0 = bench_now();
		if ((rc = apply_produce(&e, &n, &ex, &cm)))
			goto out;
		t1 = bench_now();
		if (n == 0) {
			rc = bench_fail("a block took no tx while %zu are pending",
			                ember_mempool_count(e.mp));
			goto out;
		}
		tsum += t1 - t0;
		ntx += n;
		sum_exec += ex;
		sum_commit += cm;
		blocks++;
		printf("  block %llu: %5llu txs in %7.1f ms  (execute %.1f ms, commit %.1f ms)\n",
		       (unsigned long long)blocks, (unsigned long long)n, (t1 - t0) * 1e3,
		       ex / 1e3, cm / 1e3);
	}
	if (ntx != bulk) {
		rc = bench_fail("%llu of %zu transfers committed", (unsigned long long)ntx,
		                bulk);
		goto out;
	}
	/* The store keeps recent commits in memory and writes them into
	 * LMDB later (store.h): that flush is these blocks' work too. */
	t0 = bench_now();
	if ((rc = ember_store_flush(e.store))) {
		rc = bench_fail("cannot flush the ledger: %s", ember_strerror(rc));
		goto out;
	}
	t1 = bench_now();
	tsum += t1 - t0;
	printf("  flush of those blocks into LMDB: %.1f ms (counted)\n", (t1 - t0) * 1e3);
	res->apply_tps = (double)ntx / tsum;
	res->apply_ms_block = tsum * 1e3 / (double)blocks;
	res->apply_block_txs = APPLY_BLOCK_TXS;
	printf("  applied %llu txs in %llu blocks, %.3f s: %.0f tx/s, %.1f ms per block "
	       "(execute %.0f%%, commit %.0f%%, rest %.0f%%)\n",
	       (unsigned long long)ntx, (unsigned long long)blocks, tsum, res->apply_tps,
	       res->apply_ms_block, sum_exec / 1e4 / tsum, sum_commit / 1e4 / tsum,
	       100.0 - (sum_exec + sum_commit) / 1e4 / tsum);

	if ((rc = apply_admit(&e, &l, bulk, bulk + APPLY_SMALL)))
		goto out;
	t0 = bench_now();
	if ((rc = apply_produce(&e, &n, &ex, &cm)))
		goto out;
	t1 = bench_now();
	if (n != APPLY_SMALL) {
		rc = bench_fail("the small block took %llu txs, not %d",
		                (unsigned long long)n, APPLY_SMALL);
		goto out;
	}
	res->apply_1k_ms = (t1 - t0) * 1e3;
	printf("  one block of %d transfers: %.1f ms (execute %.1f ms, commit %.1f ms) "
	       "= %.0f tx/s\n", APPLY_SMALL, res->apply_1k_ms, ex / 1e3, cm / 1e3,
	       APPLY_SMALL / (t1 - t0));
	if ((rc = apply_state_root_cost(&e, APPLY_BLOCK_TXS))) {
		rc = bench_fail("state root measurement: %s", ember_strerror(rc));
		goto out;
	}
	res->have_apply = 1;
out:
	apply_env_release(&e);
	bench_load_release(&l);
	return rc ? -1 : 0;
}
