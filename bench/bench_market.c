/*
 * bench_market.c - the market's two cost promises (tok.h), measured on the
 * chain's own state-transition code through tok_runner (real LMDB ledger
 * in a temp dir, one write transaction and a durable (logged) commit per block,
 * state root included; signatures are not part of it, as in (c)).
 *
 *   market: a block of 1,000 transfers costs the same with 10 or 100,000
 *           open leases, because leases settle lazily.  Both ledgers hold
 *           the same accounts, providers and lease history (the first has
 *           closed all but 10 of its 100,000 leases) and differ only in
 *           how many are open; their timed blocks alternate so drift hits
 *           both alike.
 *   epoch:  an epoch boundary is O(providers + open leases): settle every
 *           lease, judge every provider, mint and credit rewards.  Timed on
 *           the boundary block alone, against an empty ordinary block.
 *
 * Setup builds everything through ordinary txs (register, stake, order,
 * bid, accept), many per block, with epoch_blocks large enough that no
 * setup block is a boundary.  A refused setup tx is a failure: it would
 * mean the workload is not what the figures claim.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ember/market.h"
#include "ember/store.h"
#include "ember/tok.h"
#include "ember/tokrun.h"

#define MK_T0 1764000000000ULL
#define MK_BLOCK_MS 1000
#define MK_PRICE_UUSD 1000000ULL          /* oracle: 1 USD per EMB */
#define MK_LEASE_PRICE 2000000ULL         /* 2 USD per GPU-hour */
#define MK_DEPOSIT (10 * 1000000000ULL)   /* 10 EMB: ~18,000 blocks of it */
#define MK_VALIDATORS 3

/* market */
#define MK_LEASES 100000
#define MK_LEASES_QUICK 20000
#define MK_FEW 10
/* 100 one-GPU leases each.  More providers would make setup faster (bid
 * and accept walk the provider's open leases) but also grow the accounts
 * table every transfer block touches, in both ledgers. */
#define MK_PROVIDERS 1000
#define MK_TENANTS 1000
#define MK_SENDERS 1000                   /* one transfer each per block */
#define MK_ROUNDS 9                       /* timed blocks per ledger */
#define MK_LEASES_PER_BLOCK 10000         /* 30,000 setup txs a block */

/* epoch */
#define EP_PROVIDERS 10000
#define EP_PROVIDERS_QUICK 2000
#define EP_EPOCH_BLOCKS 32
#define EP_TENANTS 1000

enum { MK_ROLE_PROVIDER = 1, MK_ROLE_TENANT = 2, MK_ROLE_SENDER = 3,
       MK_ROLE_VALIDATOR = 4 };

struct mk_acct {
	struct ember_keypair kp;
	uint64_t nonce;
};

/* One ledger and its actors.  Everything is funded at genesis. */
struct mk_env {
	char dir[512];
	int have_dir;
	struct ember_genesis g;
	struct tok_runner *r;
	size_t nprov, nten, nsend;
	struct mk_acct *prov, *ten, *send, *val;
	uint16_t cls;
	uint32_t cls_vram;
	uint64_t stake;                  /* per provider (0 under bme) */
	struct ember_tx *txs;
	int *rcs;
	char (*whys)[EMBER_TOK_WHY_LEN];
	size_t cap, n;                   /* tx buffer */
	uint64_t next_order;             /* ids start at 1, every order lands */
};

static int mk_keys(struct mk_acct *a, size_t n, uint8_t role)
{
	uint8_t sk[32];

	/* role || zeros || be32(i + 1): non-zero, far below the group order */
	for (size_t i = 0; i < n; i++) {
		memset(sk, 0, sizeof(sk));
		sk[0] = role;
		sk[28] = (uint8_t)((i + 1) >> 24);
		sk[29] = (uint8_t)((i + 1) >> 16);
		sk[30] = (uint8_t)((i + 1) >> 8);
		sk[31] = (uint8_t)(i + 1);
		if (ember_keypair_from_seckey(&a[i].kp, sk) != 0)
			return bench_fail("cannot derive a key");
		a[i].nonce = 0;
	}
	return 0;
}

static void mk_release(struct mk_env *e)
{
	tok_runner_close(e->r);
	if (e->have_dir)
		bench_rmtree(e->dir);
	ember_genesis_release(&e->g);
	free(e->prov);
	free(e->ten);
	free(e->send);
	free(e->val);
	free(e->txs);
	free(e->rcs);
	free(e->whys);
	memset(e, 0, sizeof(*e));
}

/*
 * A ledger for `model` in a new directory under parent (NULL: where
 * bench_tmpdir puts it) with nprov providers of `gpus` GPUs each, nten
 * tenants and nsend transfer senders; cap txs per block.  Providers,
 * tenants and senders get BENCH_BALANCE plus the stake they will bond.
 */
static int mk_open(struct mk_env *e, const char *parent, const char *model,
                   uint64_t epoch_blocks, size_t nprov, uint32_t gpus, size_t nten,
                   size_t nsend, size_t cap)
{
	struct ember_genesis *g = &e->g;
	size_t k = 0;
	int rc;

	memset(e, 0, sizeof(*e));
	e->nprov = nprov;
	e->nten = nten;
	e->nsend = nsend;
	e->cap = cap;
	e->next_order = 1;
	e->prov = calloc(nprov, sizeof(*e->prov));
	e->ten = calloc(nten, sizeof(*e->ten));
	e->send = calloc(nsend ? nsend : 1, sizeof(*e->send));
	e->val = calloc(MK_VALIDATORS, sizeof(*e->val));
	e->txs = calloc(cap, sizeof(*e->txs));
	e->rcs = calloc(cap, sizeof(*e->rcs));
	e->whys = calloc(cap, sizeof(*e->whys));
	if (!e->prov || !e->ten || !e->send || !e->val || !e->txs || !e->rcs ||
	    !e->whys)
		return bench_fail("out of memory for the market workload");
	if (mk_keys(e->prov, nprov, MK_ROLE_PROVIDER) ||
	    mk_keys(e->ten, nten, MK_ROLE_TENANT) ||
	    mk_keys(e->send, nsend, MK_ROLE_SENDER) ||
	    mk_keys(e->val, MK_VALIDATORS, MK_ROLE_VALIDATOR))
		return -1;

	snprintf(g->chain_id, sizeof(g->chain_id), "%s", BENCH_CHAIN_ID);
	g->genesis_time_ms = MK_T0;
	g->block_time_ms = MK_BLOCK_MS;
	g->min_fee = BENCH_MIN_FEE;
	snprintf(g->token_model, sizeof(g->token_model), "%s", model);
	ember_params_default(&g->params);
	g->params.epoch_blocks = epoch_blocks;
	g->params.oracle_initial_uusd = MK_PRICE_UUSD;
	g->params.challenges_enabled = 0;  /* benchmark providers run no prover */
	if (g->params.oracle_max_age_epochs < 1)
		g->params.oracle_max_age_epochs = 1;
	if (ember_genesis_default_classes(g) != 0 || g->nclass < 1)
		return bench_fail("no GPU class table for the genesis");
	e->cls = g->classes[0].id;
	e->cls_vram = g->classes[0].vram_gib;
	if (strcmp(model, "bme") != 0)
		e->stake = g->classes[0].min_stake_per_gpu * gpus + 1000000000ULL;
	g->nalloc = nprov + nten + nsend + MK_VALIDATORS;
	g->nval = MK_VALIDATORS;
	g->allocs = calloc(g->nalloc, sizeof(*g->allocs));
	g->vals = calloc(MK_VALIDATORS, sizeof(*g->vals));
	if (!g->allocs || !g->vals)
		return bench_fail("out of memory for the genesis");
	for (size_t i = 0; i < nprov; i++, k++) {
		memcpy(g->allocs[k].pub, e->prov[i].kp.pub, 32);
		g->allocs[k].amount = BENCH_BALANCE + e->stake;
	}
	for (size_t i = 0; i < nten; i++, k++) {
		memcpy(g->allocs[k].pub, e->ten[i].kp.pub, 32);
		g->allocs[k].amount = BENCH_BALANCE;
	}
	for (size_t i = 0; i < nsend; i++, k++) {
		memcpy(g->allocs[k].pub, e->send[i].kp.pub, 32);
		g->allocs[k].amount = BENCH_BALANCE;
	}
	for (size_t i = 0; i < MK_VALIDATORS; i++, k++) {
		memcpy(g->allocs[k].pub, e->val[i].kp.pub, 32);
		g->allocs[k].amount = BENCH_BALANCE;
		memcpy(g->vals[i].pub, e->val[i].kp.pub, 32);
		g->vals[i].power = 10;
	}
	if (ember_genesis_finish(g) != 0)
		return bench_fail("genesis allocations overflow");
	if (!parent) {
		if (bench_tmpdir(e->dir, sizeof(e->dir), "market") != 0)
			return -1;
	} else {
		snprintf(e->dir, sizeof(e->dir), "%s/ember-bench-market-XXXXXX", parent);
		if (!mkdtemp(e->dir))
			return bench_fail("cannot create a temp directory under '%s': %s",
			                  parent, strerror(errno));
	}
	e->have_dir = 1;
	if ((rc = tok_runner_open(&e->r, e->dir, g, 0)) != 0)
		return bench_fail("cannot open a ledger in '%s': %s", e->dir,
		                  ember_strerror(rc));
	return 0;
}

/* Next tx in the buffer, sent by a with its next nonce. */
static struct ember_tx *mk_tx(struct mk_env *e, struct mk_acct *a, uint8_t kind)
{
	struct ember_tx *tx;

	if (e->n >= e->cap)
		return NULL;
	tx = &e->txs[e->n];
	if (ember_tx_init(tx, kind, BENCH_CHAIN_ID, a->kp.pub, a->nonce, BENCH_FEE))
		return NULL;
	a->nonce++;
	e->n++;
	return tx;
}

/* Apply the buffered txs as one block (every one must apply); *secs gets
 * the time tok_runner_block took. */
static int mk_block(struct mk_env *e, double *secs)
{
	double t0 = bench_now();
	int rc = tok_runner_block(e->r, e->n ? e->txs : NULL, e->n, e->rcs, e->whys);
	double t1 = bench_now();

	if (rc)
		return bench_fail("block %llu failed: %s",
		                  (unsigned long long)tok_runner_height(e->r) + 1,
		                  ember_strerror(rc));
	for (size_t i = 0; i < e->n; i++)
		if (e->rcs[i])
			return bench_fail("block %llu: %s tx %zu refused: %s",
			                  (unsigned long long)tok_runner_height(e->r),
			                  ember_tx_kind_name(e->txs[i].kind), i,
			                  e->whys[i][0] ? e->whys[i] : ember_strerror(e->rcs[i]));
	e->n = 0;
	if (secs)
		*secs = t1 - t0;
	return 0;
}

/* Register every provider with gpus GPUs (and bond its stake), and have
 * each validator report the price, in one block. */
static int mk_register(struct mk_env *e, uint32_t gpus)
{
	struct ember_tx *tx;

	for (size_t i = 0; i < e->nprov; i++) {
		char ep[64];
		if (!(tx = mk_tx(e, &e->prov[i], EMBER_TX_PROV_REGISTER)))
			return bench_fail("setup tx buffer too small");
		tx->u.provider.gpu_class = e->cls;
		tx->u.provider.gpus = gpus;
		tx->u.provider.vram_gib = e->cls_vram;
		tx->u.provider.price_per_gpu_hour = MK_LEASE_PRICE;
		snprintf(ep, sizeof(ep), "https://p%zu.bench.invalid:8700", i);
		if (ember_tx_set_provider_strings(&tx->u.provider, "bench", ep))
			return bench_fail("bad provider strings");
		if (e->stake) {
			if (!(tx = mk_tx(e, &e->prov[i], EMBER_TX_STAKE)))
				return bench_fail("setup tx buffer too small");
			tx->u.amount.amount = e->stake;
		}
	}
	for (size_t i = 0; i < MK_VALIDATORS; i++) {
		if (!(tx = mk_tx(e, &e->val[i], EMBER_TX_PRICE)))
			return bench_fail("setup tx buffer too small");
		tx->u.price.price_uusd = MK_PRICE_UUSD;
	}
	return mk_block(e, NULL);
}

/*
 * Open nleases one-GPU leases: lease j is tenant (j % nten)'s order, bid by
 * provider (j x stride) % nprov and accepted at once; it runs for
 * EMBER_DURATION_MAX blocks, so it stays open for the whole run.
 * per_block leases (3 txs each) go in one block.
 */
static int mk_leases(struct mk_env *e, size_t nleases, size_t stride,
                     size_t per_block)
{
	for (size_t j = 0; j < nleases; j++) {
		struct mk_acct *ten = &e->ten[j % e->nten];
		struct mk_acct *prov = &e->prov[(j * stride) % e->nprov];
		struct ember_tx *tx;

		if (!(tx = mk_tx(e, ten, EMBER_TX_ORDER)))
			return bench_fail("setup tx buffer too small");
		tx->u.order.gpu_class = e->cls;
		tx->u.order.gpus = 1;
		tx->u.order.max_price_per_gpu_hour = MK_LEASE_PRICE;
		tx->u.order.duration_blocks = EMBER_DURATION_MAX;
		tx->u.order.deposit = MK_DEPOSIT;
		if (!(tx = mk_tx(e, prov, EMBER_TX_BID)))
			return bench_fail("setup tx buffer too small");
		tx->u.bid.order_id = e->next_order;
		tx->u.bid.price_per_gpu_hour = MK_LEASE_PRICE;
		if (!(tx = mk_tx(e, ten, EMBER_TX_ACCEPT)))
			return bench_fail("setup tx buffer too small");
		tx->u.accept.order_id = e->next_order;
		memcpy(tx->u.accept.provider, prov->kp.pub, 32);
		e->next_order++;
		if ((j + 1) % per_block == 0 || j + 1 == nleases)
			if (mk_block(e, NULL))
				return -1;
	}
	return 0;
}

/*
 * Close leases first..last (ids as mk_leases assigned them: lease j+1 is
 * tenant (j % nten)'s), per_block closes a block.  The few-leases ledger
 * is built as the many-leases one and then closed down to MK_FEW, so both
 * ledgers have the same history and LMDB file size (the commit of a
 * 180 MiB map with the free-page list a big setup leaves costs more than
 * that of a 1 MiB one, whatever the leases) and differ only in how many
 * leases are open, which is what the O(1) promise is about.
 */
static int mk_close(struct mk_env *e, uint64_t first, uint64_t last,
                    size_t per_block)
{
	for (uint64_t id = first; id <= last; id++) {
		struct ember_tx *tx = mk_tx(e, &e->ten[(id - 1) % e->nten],
		                            EMBER_TX_CLOSE);
		if (!tx)
			return bench_fail("setup tx buffer too small");
		tx->u.ref.id = id;
		if ((id - first + 1) % per_block == 0 || id == last)
			if (mk_block(e, NULL))
				return -1;
	}
	return 0;
}

static int mk_totals(struct mk_env *e, struct tok_totals *tot)
{
	struct ember_txn *t;
	int rc;

	if ((rc = ember_store_read(tok_runner_store(e->r), &t)) == 0) {
		rc = tok_totals_get(t, tot);
		ember_txn_abort(t);
	}
	if (rc)
		return bench_fail("cannot read the totals: %s", ember_strerror(rc));
	return 0;
}

/* A block of one transfer from every sender to another one; *secs as
 * mk_block. */
static int mk_transfers(struct mk_env *e, uint64_t *rng, double *secs)
{
	for (size_t i = 0; i < e->nsend; i++) {
		size_t to = (i + 1 + bench_rand(rng) % (e->nsend - 1)) % e->nsend;
		struct ember_tx *tx = mk_tx(e, &e->send[i], EMBER_TX_TRANSFER);
		if (!tx)
			return bench_fail("transfer buffer too small");
		memcpy(tx->u.transfer.to, e->send[to].kp.pub, 32);
		tx->u.transfer.amount = 1000 + bench_rand(rng) % 1000;
	}
	return mk_block(e, secs);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * One comparison on ledgers under `parent` (NULL: bench_tmpdir's choice):
 * build both, then time MK_ROUNDS transfer blocks on each, alternating.
 * med[k] gets ledger k's median in seconds.
 */
static int mk_compare(const char *parent, size_t many, double med[2])
{
	size_t counts[2] = { MK_FEW, many };
	uint32_t gpus = (uint32_t)((many + MK_PROVIDERS - 1) / MK_PROVIDERS);
	struct mk_env env[2];
	double times[2][MK_ROUNDS], t0, dummy;
	uint64_t rng = 42;
	int rc = -1;

	memset(env, 0, sizeof(env));
	if (gpus > EMBER_GPUS_MAX)
		return bench_fail("%zu leases need more than %d GPUs per provider", many,
		                  EMBER_GPUS_MAX);
	for (int k = 0; k < 2; k++) {
		struct tok_totals tot;

		t0 = bench_now();
		if (mk_open(&env[k], parent, "bme", 1000000000ULL, MK_PROVIDERS, gpus,
		            MK_TENANTS, MK_SENDERS, 3 * MK_LEASES_PER_BLOCK +
		            2 * MK_PROVIDERS + MK_VALIDATORS + MK_SENDERS) ||
		    mk_register(&env[k], gpus) ||
		    mk_leases(&env[k], many, 1, MK_LEASES_PER_BLOCK) ||
		    (counts[k] < many &&
		     mk_close(&env[k], 1, many - counts[k], 3 * MK_LEASES_PER_BLOCK)) ||
		    mk_totals(&env[k], &tot))
			goto out;
		if (tot.open_leases != counts[k]) {
			bench_fail("%llu leases open, expected %zu",
			           (unsigned long long)tot.open_leases, counts[k]);
			goto out;
		}
		printf("    ledger %d in %s: %llu open leases (built in %llu blocks, "
		       "%.2f s, not timed)\n", k + 1, env[k].dir,
		       (unsigned long long)tot.open_leases,
		       (unsigned long long)tok_runner_height(env[k].r), bench_now() - t0);
	}
	/* one untimed block each first: the first write after setup pays for
	 * pages the setup left cold */
	for (int k = 0; k < 2; k++)
		if (mk_transfers(&env[k], &rng, &dummy))
			goto out;
	for (int i = 0; i < MK_ROUNDS; i++)
		for (int k = 0; k < 2; k++)
			if (mk_transfers(&env[k], &rng, &times[k][i]))
				goto out;
	for (int k = 0; k < 2; k++) {
		med[k] = median(times[k], MK_ROUNDS);
		printf("    %6zu open leases: 1,000-transfer block %.2f ms (median of %d; "
		       "min %.2f, max %.2f)\n", counts[k], med[k] * 1e3, MK_ROUNDS,
		       times[k][0] * 1e3, times[k][MK_ROUNDS - 1] * 1e3);
	}
	printf("    difference: %+.1f%% with %zu open leases (target < 10%%)\n",
	       (med[1] / med[0] - 1) * 100, many);
	rc = 0;
out:
	mk_release(&env[0]);
	mk_release(&env[1]);
	return rc;
}

/* 1 if dir is a writable directory on tmpfs that TMPDIR does not already
 * name (then the first pass ran there and a second one adds nothing). */
static int mk_have_tmpfs(const char *dir)
{
	const char *t = getenv("TMPDIR");
	struct stat sb;

	if (t && *t && strcmp(t, dir) == 0)
		return 0;
	return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	       access(dir, W_OK | X_OK) == 0;
}

int bench_market(struct bench_ctx *bc)
{
	struct bench_results *res = bc->res;
	size_t many = bc->opt->quick ? MK_LEASES_QUICK : MK_LEASES;
	double med[2];

	printf("== market: a 1,000-transfer block with %d vs %zu open leases (tok_runner; "
	       "%d providers, %d tenants, %d senders in both ledgers)\n", MK_FEW, many,
	       MK_PROVIDERS, MK_TENANTS, MK_SENDERS);
	printf("  in the bench temp dir (durable commit to the write-ahead log, as a node):\n");
	if (mk_compare(NULL, many, med))
		return -1;
	res->have_market = 1;
	res->market_leases = many;
	res->market_few_ms = med[0] * 1e3;
	res->market_many_ms = med[1] * 1e3;
	/*
	 * The same on tmpfs, where a commit costs no disk I/O: what is left is
	 * execution (tokenomics, LMDB page work, state root).  The gap between
	 * the two passes is the disk's: the same transfer block makes the big
	 * ledger's commit write more (about 1 MiB against 0.3 to 0.8 MiB, from
	 * /proc/self/io, 2026-11-24), which we put down to LMDB's free-page
	 * list and a 181 MiB file against a 1 MiB one; tmpfs hardly feels it.
	 */
	if (mk_have_tmpfs("/dev/shm")) {
		printf("  in /dev/shm (tmpfs: the commit's fsync costs nothing, so this is "
		       "execution alone):\n");
		if (mk_compare("/dev/shm", many, med))
			return -1;
		res->have_market_tmpfs = 1;
		res->market_few_tmpfs_ms = med[0] * 1e3;
		res->market_many_tmpfs_ms = med[1] * 1e3;
	}
	return 0;
}

int bench_epoch(struct bench_ctx *bc)
{
	struct bench_results *res = bc->res;
	size_t nprov = bc->opt->quick ? EP_PROVIDERS_QUICK : EP_PROVIDERS;
	size_t nleases = nprov / 2;
	struct mk_env e;
	struct tok_totals tot;
	struct tok_epoch_rec rec;
	struct ember_txn *t;
	double base[EP_EPOCH_BLOCKS], boundary, basemed, t0;
	size_t nbase = 0;
	int rc = -1, r;

	printf("== epoch: the epoch-boundary block with %zu providers and %zu open "
	       "leases (hybrid: work and stake pools; tok_runner, commit included)\n",
	       nprov, nleases);
	t0 = bench_now();
	/* Every other provider is leased (stride 2), so the boundary meets
	 * both busy and idle providers. */
	if (mk_open(&e, NULL, "hybrid", EP_EPOCH_BLOCKS, nprov, 1, EP_TENANTS, 0,
	            3 * nleases + 2 * nprov + MK_VALIDATORS) ||
	    mk_register(&e, 1) || mk_leases(&e, nleases, 2, nleases) ||
	    mk_totals(&e, &tot))
		goto out;
	if (tot.open_leases != nleases || tot.providers_active != nprov) {
		bench_fail("%llu leases and %llu providers active, expected %zu and %zu",
		           (unsigned long long)tot.open_leases,
		           (unsigned long long)tot.providers_active, nleases, nprov);
		goto out;
	}
	printf("  setup: %llu blocks, %.2f s (not timed)\n",
	       (unsigned long long)tok_runner_height(e.r), bench_now() - t0);
	/* the empty blocks up to the boundary are the baseline */
	while (tok_runner_height(e.r) + 1 < EP_EPOCH_BLOCKS)
		if (mk_block(&e, &base[nbase++]))
			goto out;
	if (nbase < 3) {
		bench_fail("setup left too few ordinary blocks before the boundary");
		goto out;
	}
	if (mk_block(&e, &boundary))
		goto out;
	if ((r = ember_store_read(tok_runner_store(e.r), &t)) == 0) {
		r = tok_epoch_get(t, 0, &rec);
		ember_txn_abort(t);
	}
	if (r) {
		bench_fail("no epoch record after the boundary: %s", ember_strerror(r));
		goto out;
	}
	/* the boundary must have done its work, or the figure means nothing */
	if (rec.providers_rewarded == 0 || rec.minted == 0) {
		bench_fail("the boundary rewarded no provider (%u rewarded, %llu minted)",
		           rec.providers_rewarded, (unsigned long long)rec.minted);
		goto out;
	}
	basemed = median(base + 1, nbase - 1);   /* the first pays for cold pages */
	printf("  boundary block: %.1f ms; an empty ordinary block: %.2f ms (median "
	       "of %zu)\n", boundary * 1e3, basemed * 1e3, nbase - 1);
	printf("  boundary work: %.1f ms = %.1f us per provider (%.1f us per provider "
	       "+ lease); %u providers rewarded, %.3f EMB minted\n",
	       (boundary - basemed) * 1e3, (boundary - basemed) * 1e6 / (double)nprov,
	       (boundary - basemed) * 1e6 / (double)(nprov + nleases),
	       rec.providers_rewarded, (double)rec.minted / 1e9);
	res->have_epoch = 1;
	res->epoch_providers = nprov;
	res->epoch_leases = nleases;
	res->epoch_ms = boundary * 1e3;
	res->epoch_base_ms = basemed * 1e3;
	rc = 0;
out:
	mk_release(&e);
	return rc;
}
