/*
 * test_tokrand.c - a randomized market workload against the supply
 * invariant and determinism, for each token model (bme, sfa, hybrid).
 *
 * A fixed-seed generator reads ledger A's state and builds each block:
 * mixed txs of every kind from distinct senders, some deliberately invalid
 * (bad nonces, amounts beyond any balance, unknown classes, bids above the
 * max, strangers closing leases, ...), oracle reports with a drought that
 * lets the price go stale, challenge results (pass, fail, missing) and
 * double-sign evidence.  Small epochs (8 blocks) over 40 epochs.
 *
 * After every block, on ledger A: tok_audit() == 0, supply == genesis +
 * minted - burned, and an independent recount of every place a token can
 * be (tokharness.h).  Each block is also applied to a second ledger B
 * (opened with a tiny map, so blocks are redone after map growth), whose
 * state root and per-tx results must equal A's block by block.  Txs that
 * are certainly invalid are also run as probes on both ledgers: refused,
 * with nothing changed.  At the end the workload must have exercised every
 * tx kind and every way a lease can close.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tokharness.h"

#define NACC 24
#define NPART (NACC + TH_NVAL)
#define EPOCH_BLOCKS 8
#define EPOCHS 40
#define DROUGHT_FROM 12         /* epochs without price reports */
#define DROUGHT_TO 15
#define E(x) ((uint64_t)(x) * EMBER_COIN)

struct gen {
	struct th *a, *b;
	enum ember_token_model model;
	uint64_t unit;                  /* 1 EMB per GPU-block at $1 */
	uint64_t rng;
	uint64_t height;                /* of the block being built */
	uint64_t epoch;
	uint8_t used[NPART];
	size_t n;
	struct ember_tx txs[TH_MAXTX];
	size_t nprobe;
	uint64_t tried[EMBER_TX_KIND_MAX + 1], applied[EMBER_TX_KIND_MAX + 1];
	uint64_t stale, chal_faults;
};

/* xorshift64*: deterministic, no libc rand state. */
static uint64_t rnd(struct gen *G)
{
	G->rng ^= G->rng >> 12;
	G->rng ^= G->rng << 25;
	G->rng ^= G->rng >> 27;
	return G->rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(struct gen *G, uint64_t n)
{
	return n ? rnd(G) % n : 0;
}

static int chance(struct gen *G, unsigned pct)
{
	return below(G, 100) < pct;
}

static const uint8_t *part(struct gen *G, size_t i)
{
	return i < NACC ? G->a->acc[i].pub : G->a->val[i - NACC].pub;
}

static int part_of(struct gen *G, const uint8_t pub[32])
{
	for (size_t i = 0; i < NPART; i++)
		if (memcmp(part(G, i), pub, 32) == 0)
			return (int)i;
	return -1;
}

/* A random participant not yet sending in this block (-1: none left). */
static int pick_unused(struct gen *G, int accounts_only)
{
	size_t lim = accounts_only ? NACC : NPART, start = (size_t)below(G, lim);

	for (size_t k = 0; k < lim; k++) {
		size_t i = (start + k) % lim;

		if (!G->used[i])
			return (int)i;
	}
	return -1;
}

static void add(struct gen *G, int sender, struct ember_tx tx)
{
	assert_true(G->n < TH_MAXTX);
	G->used[sender] = 1;
	G->txs[G->n++] = tx;
}

static int is_provider(struct gen *G, size_t i, struct ember_provider *p)
{
	return th_prov_get(G->a, part(G, i), p) == 0;
}

/* An unused active provider of class cls (0: any class); -1 if none. */
static int pick_provider(struct gen *G, uint16_t cls)
{
	size_t start = (size_t)below(G, NPART);
	struct ember_provider p;

	for (size_t k = 0; k < NPART; k++) {
		size_t i = (start + k) % NPART;

		if (!G->used[i] && is_provider(G, i, &p) &&
		    p.status == EMBER_PROV_ACTIVE && (!cls || p.gpu_class == cls))
			return (int)i;
	}
	return -1;
}

/* A recent order or lease id (ids start at 1); 0 when there is none. */
static uint64_t recent(struct gen *G, uint64_t next, uint64_t window)
{
	uint64_t span;

	if (next <= 1)
		return 0;
	span = next - 1 < window ? next - 1 : window;
	return next - 1 - below(G, span);
}

struct bids_walk {
	uint8_t prefix[8];
	size_t n;
	uint8_t prov[8][32];
};

static int bids_cb(void *ctx, const void *key, size_t klen, const void *val,
                   size_t vlen)
{
	struct bids_walk *w = ctx;

	(void)val;
	(void)vlen;
	if (klen != 40 || memcmp(key, w->prefix, 8) != 0 || w->n == 8)
		return 1;
	memcpy(w->prov[w->n++], (const uint8_t *)key + 8, 32);
	return 0;
}

/* Up to 8 providers bidding on order id. */
static size_t order_bids(struct gen *G, uint64_t id, struct bids_walk *w)
{
	struct ember_txn *t = th_read(G->a);

	w->n = 0;
	ember_key_id(w->prefix, id);
	assert_int_equal(ember_store_iter(t, EMBER_DB_BIDS, w->prefix, 8, bids_cb,
	                                  w), 0);
	ember_txn_abort(t);
	return w->n;
}

static uint64_t price_around(struct gen *G, unsigned lo_pct, unsigned hi_pct)
{
	uint64_t pct = lo_pct + below(G, hi_pct - lo_pct + 1);

	/* an odd remainder now and then, so settlement rounds */
	return G->unit / 100 * pct + (chance(G, 30) ? below(G, 1000) + 1 : 0);
}

/* --- one generator per kind: 1 if a tx was added ----------------------- */

static int g_transfer(struct gen *G)
{
	int s = pick_unused(G, 0);
	uint64_t amount = E(1 + below(G, 200)) + below(G, EMBER_COIN);

	if (s < 0)
		return 0;
	if (chance(G, 4))
		amount = 2 * TH_START;                          /* too much */
	add(G, s, th_transfer(G->a, part(G, s), part(G, (size_t)below(G, NPART)),
	                      amount));
	return 1;
}

static int g_stake(struct gen *G)
{
	int s = pick_unused(G, 0);
	uint64_t amount;

	if (s < 0)
		return 0;
	amount = s >= NACC ? E(20 + below(G, 200)) : E(50 + below(G, 600));
	if (chance(G, 30))
		amount += below(G, EMBER_COIN);
	add(G, s, th_stake(G->a, part(G, s), amount));
	return 1;
}

static int g_unstake(struct gen *G)
{
	int s = pick_unused(G, 0);
	uint64_t have, amount;

	if (s < 0)
		return 0;
	have = th_stake_of(G->a, part(G, s)).amount;
	amount = have ? 1 + below(G, have) : E(1);
	if (chance(G, 8))
		amount = have + 1;                              /* too much */
	add(G, s, th_unstake(G->a, part(G, s), amount));
	return 1;
}

static struct ember_tx provider_payload(struct gen *G, uint8_t kind, int s)
{
	uint16_t cls = chance(G, 80) ? TH_CLASS_A : TH_CLASS_B;
	uint32_t vram = (cls == TH_CLASS_A ? TH_VRAM_A : TH_VRAM_B) +
	                (uint32_t)below(G, 17);

	if (chance(G, 4))
		cls = 9;                                        /* unknown */
	else if (chance(G, 4))
		vram = (cls == TH_CLASS_A ? TH_VRAM_A : TH_VRAM_B) - 1;
	return th_prov(G->a, kind, part(G, s), cls, 1 + (uint32_t)below(G, 8), vram,
	               price_around(G, 50, 150), chance(G, 50) ? "eu-west" : "us-east");
}

static int g_register(struct gen *G)
{
	int s = pick_unused(G, 0);

	if (s < 0)
		return 0;
	add(G, s, provider_payload(G, EMBER_TX_PROV_REGISTER, s));
	return 1;
}

static int g_update(struct gen *G)
{
	int s = pick_provider(G, 0);

	if (s < 0)
		s = pick_unused(G, 0);
	if (s < 0)
		return 0;
	add(G, s, provider_payload(G, EMBER_TX_PROV_UPDATE, s));
	return 1;
}

static int g_retire(struct gen *G)
{
	int s = pick_provider(G, 0);

	if (s < 0)
		return 0;
	add(G, s, th_tx(G->a, EMBER_TX_PROV_RETIRE, part(G, s)));
	return 1;
}

static int g_order(struct gen *G)
{
	int s = pick_unused(G, 1);
	uint16_t cls = chance(G, 85) ? TH_CLASS_A : TH_CLASS_B;
	uint32_t gpus = 1 + (uint32_t)below(G, 3);
	uint64_t deposit = E(1 + below(G, 120)) + below(G, EMBER_COIN);

	if (s < 0)
		return 0;
	add(G, s, th_order(G->a, part(G, s), cls, gpus, price_around(G, 60, 200),
	                   3 + below(G, 60), deposit));
	return 1;
}

static int g_bid(struct gen *G)
{
	struct tok_totals x = th_totals_of(G->a);
	uint64_t id = recent(G, x.next_order_id, 16);
	struct ember_order o;
	uint64_t price;
	int s;

	if (id == 0 || th_order_get(G->a, id, &o) != 0)
		return 0;
	s = chance(G, 90) ? pick_provider(G, o.gpu_class) : pick_unused(G, 0);
	if (s < 0)
		return 0;
	price = o.max_price_per_gpu_hour / 100 * (70 + below(G, 31)) + 1;
	if (price > o.max_price_per_gpu_hour || chance(G, 5))
		price = o.max_price_per_gpu_hour + (chance(G, 50) ? 1 : 0);
	if (chance(G, 3))
		id = x.next_order_id + 3;                       /* no such order */
	add(G, s, th_bid(G->a, part(G, s), id, price));
	return 1;
}

static int g_accept(struct gen *G)
{
	struct tok_totals x = th_totals_of(G->a);
	struct bids_walk w;
	struct ember_order o;

	for (int tries = 0; tries < 12; tries++) {
		uint64_t id = recent(G, x.next_order_id, 16);
		int s;

		if (id == 0 || th_order_get(G->a, id, &o) != 0 ||
		    o.status != EMBER_ORDER_OPEN)
			continue;
		s = part_of(G, o.tenant);
		if (s < 0 || G->used[s] || order_bids(G, id, &w) == 0)
			continue;
		if (chance(G, 5))       /* somebody without a bid */
			add(G, s, th_accept(G->a, part(G, s), id,
			                    part(G, (size_t)below(G, NPART))));
		else
			add(G, s, th_accept(G->a, part(G, s), id,
			                    w.prov[below(G, w.n)]));
		return 1;
	}
	return 0;
}

static int g_close_topup(struct gen *G, int topup)
{
	struct tok_totals x = th_totals_of(G->a);
	uint64_t id = recent(G, x.next_lease_id, 10);
	struct ember_lease l;
	uint64_t roll = below(G, 100);
	int s;

	if (id == 0 || th_lease_get(G->a, id, &l) != 0)
		return 0;
	if (roll < 10)
		s = pick_unused(G, 0);                          /* a stranger */
	else if (!topup && roll < 55)
		s = part_of(G, l.provider);
	else
		s = part_of(G, l.tenant);
	if (s < 0 || G->used[s])
		return 0;
	if (topup)
		add(G, s, th_topup(G->a, part(G, s), id,
		                   E(1 + below(G, 20)) + below(G, EMBER_COIN)));
	else
		add(G, s, th_close(G->a, part(G, s), id));
	return 1;
}

static int g_claim(struct gen *G)
{
	int s = -1;

	/* mostly someone with rewards, sometimes anyone (nothing to claim) */
	if (chance(G, 80)) {
		size_t start = (size_t)below(G, NPART);

		for (size_t k = 0; k < NPART && s < 0; k++) {
			size_t i = (start + k) % NPART;

			if (!G->used[i] && th_stake_of(G->a, part(G, i)).rewards > 0)
				s = (int)i;
		}
	}
	if (s < 0)
		s = pick_unused(G, 0);
	if (s < 0)
		return 0;
	add(G, s, th_tx(G->a, EMBER_TX_CLAIM, part(G, s)));
	return 1;
}

static int g_maint(struct gen *G)
{
	int s = pick_provider(G, 0);
	uint64_t e = G->epoch + 1 + below(G, 3);

	if (s < 0)
		return 0;
	if (chance(G, 10))
		e = G->epoch;                                   /* not future */
	add(G, s, th_maint(G->a, part(G, s), e));
	return 1;
}

static int g_evidence(struct gen *G)
{
	int s = pick_unused(G, 0);
	size_t v = (size_t)below(G, TH_NVAL);
	const struct ember_keypair *signer = &G->a->val[v];
	uint8_t a = (uint8_t)below(G, 4), b = (uint8_t)(4 + below(G, 4));

	if (s < 0)
		return 0;
	if (chance(G, 10))
		signer = &G->a->val[(v + 1) % TH_NVAL];         /* bad signature */
	add(G, s, th_evidence(G->a, part(G, s), G->a->val[v].pub, signer,
	                      (uint8_t)(1 + below(G, 2)), below(G, 40),
	                      (uint32_t)below(G, 2), a, b));
	return 1;
}

/* --- certainly invalid txs, run as probes on both ledgers --------------- */

static struct ember_tx invalid_tx(struct gen *G)
{
	const uint8_t *s = part(G, (size_t)below(G, NPART));
	struct tok_totals x = th_totals_of(G->a);
	struct ember_tx tx;

	switch (below(G, 9)) {
	case 0:
		return th_transfer(G->a, s, part(G, 0), x.supply + 1);
	case 1:
		return th_bid(G->a, s, x.next_order_id + 1000, 1);
	case 2:
		return th_close(G->a, s, x.next_lease_id + 1000);
	case 3:
		return th_unstake(G->a, s, x.supply + 1);
	case 4:
		return th_price(G->a, part(G, (size_t)below(G, NACC)), TH_ORACLE);
	case 5:
		return th_register(G->a, s, 9, 1);
	case 6:
		return th_maint(G->a, s, 0);
	case 7:
		tx = th_stake(G->a, s, 1);
		tx.nonce = th_nonce(G->a, s) + 50;
		return tx;
	default:
		return th_evidence(G->a, s, G->a->val[0].pub, &G->a->val[0],
		                   EMBER_VOTE_PREVOTE, 1, 0, 9, 9);
	}
}

/* --- one block ----------------------------------------------------------- */

struct kind_weight {
	int (*fn)(struct gen *G);
	unsigned weight;
};

static int g_close(struct gen *G) { return g_close_topup(G, 0); }
static int g_topup(struct gen *G) { return g_close_topup(G, 1); }

static const struct kind_weight kinds[] = {
	{ g_transfer, 8 }, { g_stake, 8 }, { g_unstake, 5 }, { g_register, 6 },
	{ g_update, 3 }, { g_retire, 1 }, { g_order, 10 }, { g_bid, 18 },
	{ g_accept, 20 }, { g_close, 6 }, { g_topup, 6 }, { g_claim, 4 },
	{ g_maint, 2 }, { g_evidence, 1 },
};

static void build_block(struct gen *G)
{
	unsigned total = 0;
	struct tok_totals x;
	size_t want;

	memset(G->used, 0, sizeof(G->used));
	G->n = 0;
	G->nprobe = 0;
	G->height = th_height(G->a) + 1;
	G->epoch = tok_epoch_of(&G->a->g, G->height);

	/* price reports, except in the drought */
	if (G->epoch < DROUGHT_FROM || G->epoch > DROUGHT_TO)
		for (size_t v = 0; v < TH_NVAL; v++)
			if (chance(G, 30))
				add(G, (int)(NACC + v),
				    th_price(G->a, G->a->val[v].pub,
				             TH_ORACLE / 100 * (60 + below(G, 120)) +
				             below(G, 1000)));

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		total += kinds[i].weight;
	want = 6 + (size_t)below(G, 12);
	for (size_t k = 0; k < want * 2 && G->n < want; k++) {
		unsigned r = (unsigned)below(G, total);
		size_t i = 0;

		while (r >= kinds[i].weight)
			r -= kinds[i++].weight;
		kinds[i].fn(G);
	}

	/* a bad nonce now and then (a gap: the same sender has one tx) */
	if (G->n && chance(G, 5)) {
		struct ember_tx *tx = &G->txs[below(G, G->n)];

		tx->nonce = th_nonce(G->a, tx->from) + 1 + below(G, 3);
	}

	/* challenge results for this epoch */
	x = th_totals_of(G->a);
	if (x.providers_active && chance(G, 20)) {
		int s = pick_provider(G, 0);
		static const uint8_t results[] = {
			EMBER_CHAL_PASS, EMBER_CHAL_PASS, EMBER_CHAL_FAIL,
			EMBER_CHAL_MISSING, EMBER_CHAL_NONE
		};
		uint8_t res = results[below(G, sizeof(results))];

		if (s >= 0) {
			th_chal(G->a, part(G, s), G->epoch, res);
			th_chal(G->b, part(G, s), G->epoch, res);
			G->chal_faults += res == EMBER_CHAL_FAIL ||
			                  res == EMBER_CHAL_MISSING;
		}
	}

	/* probes: certainly refused, on both ledgers */
	for (size_t k = below(G, 3); k > 0; k--) {
		struct ember_tx tx = invalid_tx(G);

		th_probe(G->a, tx, TH_ANY_REFUSAL);
		th_probe(G->b, tx, TH_ANY_REFUSAL);
		G->nprobe++;
	}
}

static void apply_block(struct gen *G)
{
	uint8_t ra[32], rb[32];
	size_t n = G->n;

	th_block(G->a, G->txs, n);              /* fills the nonces in */
	th_block(G->b, G->txs, n);
	tok_runner_root(G->a->r, ra);
	tok_runner_root(G->b->r, rb);
	if (memcmp(ra, rb, 32) != 0)
		fail_msg("%s height %llu: state roots differ between the ledgers",
		         G->a->g.token_model, (unsigned long long)G->height);
	for (size_t i = 0; i < n; i++) {
		uint8_t kind = G->txs[i].kind;

		if (G->a->rc[i] != G->b->rc[i])
			fail_msg("height %llu tx %zu: results differ: %d vs %d",
			         (unsigned long long)G->height, i, G->a->rc[i],
			         G->b->rc[i]);
		/* a store error is fatal: the runner would have returned it */
		assert_false(G->a->rc[i] <= EMBER_STORE_LMDB &&
		             G->a->rc[i] >= EMBER_STORE_GENESIS);
		assert_int_not_equal(G->a->rc[i], EMBER_ENOMEM);
		G->tried[kind]++;
		G->applied[kind] += G->a->rc[i] == 0;
		G->stale += G->a->rc[i] == EMBER_TOK_ORACLE_STALE;
	}
	for (size_t i = 0; i < G->nprobe; i++)
		if (G->a->probe[i].rc != G->b->probe[i].rc)
			fail_msg("height %llu probe %zu: results differ: %d vs %d",
			         (unsigned long long)G->height, i,
			         G->a->probe[i].rc, G->b->probe[i].rc);
}

struct lease_stats {
	uint64_t reason[EMBER_CLOSE_COMPLETED + 1];
	uint64_t open;
};

static int lease_stats_cb(void *ctx, const void *key, size_t klen,
                          const void *val, size_t vlen)
{
	struct lease_stats *s = ctx;
	struct ember_lease l;

	(void)key;
	(void)klen;
	if (ember_lease_decode(&l, val, vlen) != 0)
		return EMBER_STORE_CORRUPT;
	if (l.status == EMBER_LEASE_OPEN)
		s->open++;
	else if (l.close_reason <= EMBER_CLOSE_COMPLETED)
		s->reason[l.close_reason]++;
	return 0;
}

static void run_model(void **state, const char *model, uint64_t seed)
{
	struct gen *G = calloc(1, sizeof(*G));
	struct tok_totals x;
	struct lease_stats ls;
	struct ember_txn *t;
	uint64_t slashed = 0, expired = 0;

	assert_non_null(G);
	*state = G;
	G->rng = seed;
	G->a = th_new(model, NACC);
	G->b = th_new(model, NACC);
	for (int k = 0; k < 2; k++) {
		struct th *h = k ? G->b : G->a;

		h->g.params.epoch_blocks = EPOCH_BLOCKS;
		h->g.params.unbonding_blocks = 12;
		h->g.params.order_ttl_blocks = 20;
		h->g.params.max_bids_per_order = 4;
		h->g.params.max_unbonding_entries = 4;
		h->g.params.emission_initial = E(500);
		h->g.params.emission_decay_bps = 300;
		h->g.params.oracle_max_age_epochs = 2;
		h->g.params.jail_epochs = 1;
	}
	G->b->mapsize = 256u << 10;     /* grows (and redoes blocks) early */
	G->b->no_recount = 1;
	th_open(G->a);
	th_open(G->b);
	G->model = ember_genesis_model(&G->a->g);
	G->unit = G->model == EMBER_MODEL_SFA ? TH_SFA_UNIT : TH_USD_UNIT;

	while (th_height(G->a) < (uint64_t)EPOCHS * EPOCH_BLOCKS) {
		build_block(G);
		apply_block(G);
	}

	/* Every kind was exercised, and the market did what markets do.
	 * Proofs excepted: these providers run no prover and challenges are
	 * off (tokharness.h); test_challenge.c covers them. */
	for (uint8_t k = 1; k <= EMBER_TX_KIND_MAX; k++)
		if (k != EMBER_TX_PROOF && G->applied[k] == 0)
			fail_msg("%s: no %s tx applied (of %llu tried)", model,
			         ember_tx_kind_name(k), (unsigned long long)G->tried[k]);
	memset(&ls, 0, sizeof(ls));
	t = th_read(G->a);
	assert_int_equal(ember_store_iter(t, EMBER_DB_LEASES, NULL, 0,
	                                  lease_stats_cb, &ls), 0);
	ember_txn_abort(t);
	assert_true(ls.reason[EMBER_CLOSE_TENANT] > 0);
	assert_true(ls.reason[EMBER_CLOSE_PROVIDER] > 0);
	assert_true(ls.reason[EMBER_CLOSE_FUNDS] > 0);
	assert_true(ls.reason[EMBER_CLOSE_COMPLETED] > 0);
	for (uint64_t e = 0; e < EPOCHS; e++) {
		struct tok_epoch_rec rec = th_epoch_rec(G->a, e);

		assert_int_equal(rec.epoch, e);
		slashed += rec.slashed;
	}
	for (uint64_t id = 1; id < th_totals_of(G->a).next_order_id; id++)
		expired += th_order_of(G->a, id).status == EMBER_ORDER_EXPIRED;
	x = th_totals_of(G->a);
	assert_true(x.minted > 0);
	assert_true(x.burned > 0);
	assert_true(slashed > 0);
	assert_true(expired > 0);
	assert_true(G->chal_faults > 0);
	if (G->model != EMBER_MODEL_SFA)
		assert_true(G->stale > 0);
	/* B's flushes grew its small map and its blocks still matched */
	assert_true(ember_store_mapsize(tok_runner_store(G->b->r)) > G->b->mapsize);
	if (getenv("TOKRAND_VERBOSE"))
		for (uint8_t k = 1; k <= EMBER_TX_KIND_MAX; k++)
			print_message("  %-18s %5llu tried %5llu applied\n",
			              ember_tx_kind_name(k),
			              (unsigned long long)G->tried[k],
			              (unsigned long long)G->applied[k]);
	print_message("%s: %llu blocks, supply %llu (genesis %llu + minted %llu - burned %llu), "
	              "%llu leases (%llu tenant, %llu provider, %llu dry, %llu completed, %llu open), "
	              "%llu orders expired\n", model,
	              (unsigned long long)th_height(G->a),
	              (unsigned long long)x.supply, (unsigned long long)x.genesis,
	              (unsigned long long)x.minted, (unsigned long long)x.burned,
	              (unsigned long long)(x.next_lease_id - 1),
	              (unsigned long long)ls.reason[EMBER_CLOSE_TENANT],
	              (unsigned long long)ls.reason[EMBER_CLOSE_PROVIDER],
	              (unsigned long long)ls.reason[EMBER_CLOSE_FUNDS],
	              (unsigned long long)ls.reason[EMBER_CLOSE_COMPLETED],
	              (unsigned long long)ls.open, (unsigned long long)expired);
}

static int teardown(void **state)
{
	struct gen *G = *state;

	if (G) {
		th_free(G->a);
		th_free(G->b);
		free(G);
	}
	return 0;
}

static void test_rand_bme(void **state)
{
	run_model(state, "bme", 0x9e3779b97f4a7c15ULL);
}

static void test_rand_sfa(void **state)
{
	run_model(state, "sfa", 0xd1b54a32d192ed03ULL);
}

static void test_rand_hybrid(void **state)
{
	run_model(state, "hybrid", 0x8cb92ba72f3d8dd7ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_rand_bme, teardown),
		cmocka_unit_test_teardown(test_rand_sfa, teardown),
		cmocka_unit_test_teardown(test_rand_hybrid, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
