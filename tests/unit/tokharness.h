/*
 * tokharness.h - shared helpers for the tokenomics tests (test_market.c,
 * test_tokrand.c, test_challenge.c, test_proof.c).
 *
 *   - A genesis built by hand: deterministic keys, allocations, TH_NVAL
 *     validators, two GPU classes and small parameters the tests can change
 *     before th_open().
 *   - A real LMDB ledger driven by tok_runner, one block per call.
 *   - "Probes": txs applied inside a block through the runner hook, with
 *     the whole state hashed before and after, the change set counted and
 *     the block's fee and totals cache compared, so a refusal is shown to
 *     change nothing in the very block it happens in.
 *   - Challenge results fed through the same hook (tok_challenge_result
 *     needs a struct tok_block).
 *   - After every block: tok_audit(), supply == genesis + minted - burned,
 *     and an independent recount from the records of where every token is
 *     (so an audit bug cannot hide a ledger bug).
 *
 * Settlement in these units: block_time_ms = TH_BLOCK_MS (36 s) makes an
 * hour exactly 100 blocks.  Under sfa a price of TH_SFA_UNIT (100 EMB per
 * GPU-hour) costs 1 EMB per GPU-block; under bme/hybrid a price of
 * TH_USD_UNIT ($100 per GPU-hour) at an oracle price of $1 costs the same.
 *
 * Include after cmocka.h.  Everything here is static inline so a test that
 * uses only part of it compiles clean with -Wall -Wextra.
 */
#ifndef EMBER_TOKHARNESS_H
#define EMBER_TOKHARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/amount.h"
#include "ember/block.h"
#include "ember/codec.h"
#include "ember/error.h"
#include "ember/genesis.h"
#include "ember/key.h"
#include "ember/market.h"
#include "ember/state.h"
#include "ember/store.h"
#include "ember/tok.h"
#include "ember/tokrun.h"
#include "ember/tx.h"

#include "testutil.h"

#define TH_MAXACC 32
#define TH_NVAL 4
#define TH_START (100000ULL * EMBER_COIN)     /* each account */
#define TH_VSTART (1000ULL * EMBER_COIN)      /* each validator */
#define TH_FEE 1000ULL
#define TH_BLOCK_MS 36000ULL                  /* 100 blocks per hour */
#define TH_SFA_UNIT (100ULL * EMBER_COIN)     /* 1 EMB per GPU-block */
#define TH_USD_UNIT 100000000ULL              /* $100/h: 1 EMB/block at $1 */
#define TH_ORACLE 1000000ULL                  /* $1 per EMB */
#define TH_NONCE_AUTO UINT64_MAX
#define TH_MAXTX 64
#define TH_MAXPROBE 16
#define TH_MAXCHAL 64
/* A probe's `want` when any refusal will do (the tx is certainly invalid,
 * for more than one possible reason). */
#define TH_ANY_REFUSAL INT32_MIN

/* GPU classes of every test genesis. */
#define TH_CLASS_A 1            /* vram 24, 100 EMB stake per GPU */
#define TH_CLASS_B 2            /* vram 80, 1000 EMB stake per GPU */
#define TH_VRAM_A 24
#define TH_VRAM_B 80
#define TH_MINSTAKE_A (100ULL * EMBER_COIN)
#define TH_MINSTAKE_B (1000ULL * EMBER_COIN)

/* What a probe changed (th_probe.changed bits). */
#define TH_CHG_STATE 1          /* a record differs */
#define TH_CHG_WRITES 2         /* the change set grew */
#define TH_CHG_BLOCK 4          /* the block's fees or applied count */
#define TH_CHG_TOTALS 8         /* the block's totals cache */

struct th_probe {
	struct ember_tx tx;
	int want;
	int rc;
	int changed;
	char why[EMBER_TOK_WHY_LEN];
};

struct th_chal {
	uint8_t prov[32];
	uint64_t epoch;
	uint8_t result;
	int rc;
};

struct th {
	struct ember_genesis g;
	size_t nacc;
	struct ember_keypair acc[TH_MAXACC];
	struct ember_keypair val[TH_NVAL];
	char dir[64];
	size_t mapsize;
	struct tok_runner *r;
	int no_recount;                 /* skip the independent recount */
	size_t nprobe;
	struct th_probe probe[TH_MAXPROBE];
	size_t nchal;
	struct th_chal chal[TH_MAXCHAL];
	/* results of the last block's runner txs */
	int rc[TH_MAXTX];
	char why[TH_MAXTX][EMBER_TOK_WHY_LEN];
};

/* Deterministic key: tag selects the family, i the member. */
static inline void th_key(struct ember_keypair *kp, uint8_t tag, uint32_t i)
{
	uint8_t sk[32];

	memset(sk, 0x5a, sizeof(sk));
	sk[0] = tag;
	sk[28] = (uint8_t)(i >> 24);
	sk[29] = (uint8_t)(i >> 16);
	sk[30] = (uint8_t)(i >> 8);
	sk[31] = (uint8_t)i;
	assert_int_equal(ember_keypair_from_seckey(kp, sk), 0);
}

/*
 * A test ledger's genesis (not opened yet): nacc accounts with TH_START,
 * TH_NVAL validators with TH_VSTART, the two classes, and the parameters
 * below.  Change h->g (params, nval) freely, then th_open().
 */
static inline struct th *th_new(const char *model, size_t nacc)
{
	struct th *h = calloc(1, sizeof(*h));
	struct ember_genesis *g;
	struct ember_params *p;

	assert_non_null(h);
	assert_true(nacc <= TH_MAXACC);
	g = &h->g;
	h->nacc = nacc;
	strcpy(g->chain_id, "ember-tok-test");
	snprintf(g->token_model, sizeof(g->token_model), "%s", model);
	g->genesis_time_ms = 1000;
	g->block_time_ms = TH_BLOCK_MS;
	g->min_fee = TH_FEE;

	g->nalloc = nacc + TH_NVAL;
	g->allocs = calloc(g->nalloc, sizeof(*g->allocs));
	g->nval = TH_NVAL;
	g->vals = calloc(TH_NVAL, sizeof(*g->vals));
	g->nclass = 2;
	g->classes = calloc(2, sizeof(*g->classes));
	assert_non_null(g->allocs);
	assert_non_null(g->vals);
	assert_non_null(g->classes);
	for (size_t i = 0; i < nacc; i++) {
		th_key(&h->acc[i], 0x11, (uint32_t)i);
		memcpy(g->allocs[i].pub, h->acc[i].pub, 32);
		g->allocs[i].amount = TH_START;
	}
	for (size_t i = 0; i < TH_NVAL; i++) {
		th_key(&h->val[i], 0x22, (uint32_t)i);
		memcpy(g->allocs[nacc + i].pub, h->val[i].pub, 32);
		g->allocs[nacc + i].amount = TH_VSTART;
		memcpy(g->vals[i].pub, h->val[i].pub, 32);
		g->vals[i].power = 1;
	}
	g->classes[0].id = TH_CLASS_A;
	strcpy(g->classes[0].name, "gpu-a");
	g->classes[0].vram_gib = TH_VRAM_A;
	g->classes[0].min_stake_per_gpu = TH_MINSTAKE_A;
	g->classes[0].challenge_n = 64;
	g->classes[1].id = TH_CLASS_B;
	strcpy(g->classes[1].name, "gpu-b");
	g->classes[1].vram_gib = TH_VRAM_B;
	g->classes[1].min_stake_per_gpu = TH_MINSTAKE_B;
	g->classes[1].challenge_n = 128;

	p = &g->params;
	memset(p, 0, sizeof(*p));
	p->epoch_blocks = 10;
	p->unbonding_blocks = 5;
	p->order_ttl_blocks = 20;
	p->max_bids_per_order = 3;
	p->max_unbonding_entries = 3;
	p->protocol_fee_bps = 500;
	p->emission_initial = 0;
	p->emission_decay_bps = 0;
	p->hybrid_work_share_bps = 6000;
	p->oracle_initial_uusd = TH_ORACLE;
	p->oracle_max_age_epochs = 1000;
	p->slash_fault_bps = 1000;
	p->slash_declared_bps = 200;
	p->slash_double_sign_bps = 500;
	p->slash_cap_bps = 1200;
	p->jail_epochs = 2;
	/* These providers run no prover: challenges stay off, and tests feed
	 * results through tok_challenge_result (th_hook) instead.
	 * test_challenge.c turns them on with a real prover. */
	p->challenges_enabled = 0;
	p->challenge_deadline_blocks = 4;
	p->proof_openings = 16;
	p->proof_pow_bits = 0;
	h->mapsize = 64u << 20;
	return h;
}

static inline void th_check(struct th *h);

static inline uint64_t th_fnv(uint64_t x, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		x ^= b[i];
		x *= 0x100000001b3ULL;
	}
	return x;
}

static inline int th_digest_cb(void *ctx, const void *key, size_t klen,
                               const void *val, size_t vlen)
{
	uint64_t *x = ctx;
	uint64_t kl = klen, vl = vlen;

	*x = th_fnv(*x, &kl, sizeof(kl));
	*x = th_fnv(*x, key, klen);
	*x = th_fnv(*x, &vl, sizeof(vl));
	*x = th_fnv(*x, val, vlen);
	return 0;
}

/* A hash of every record in every database (what a block can change). */
static inline uint64_t th_digest(struct ember_txn *t)
{
	uint64_t x = 0xcbf29ce484222325ULL;

	for (int db = 0; db < EMBER_DB_COUNT; db++) {
		uint64_t d = (uint64_t)db;

		x = th_fnv(x, &d, sizeof(d));
		if (ember_store_iter(t, (enum ember_db)db, NULL, 0, th_digest_cb,
		                     &x) != 0)
			return 0;
	}
	return x;
}

/* The runner hook: record queued challenge results, then apply each probe
 * and note anything it changed. */
static inline int th_hook(void *ctx, struct tok_block *b, struct ember_state *st)
{
	struct th *h = ctx;
	struct ember_txn *t = ember_state_txn(st);

	for (size_t i = 0; i < h->nchal; i++) {
		struct th_chal *c = &h->chal[i];

		c->rc = tok_challenge_result(b, st, c->prov, c->epoch, c->result);
		if (c->rc <= EMBER_STORE_LMDB && c->rc >= EMBER_STORE_GENESIS)
			return c->rc;
	}
	for (size_t i = 0; i < h->nprobe; i++) {
		struct th_probe *p = &h->probe[i];
		struct ember_tx tx = p->tx;
		struct tok_block b0 = *b;
		uint64_t d0;
		size_t n0;

		if (tx.nonce == TH_NONCE_AUTO) {
			struct ember_account a;

			if (ember_account_get(t, tx.from, &a) != 0)
				return EMBER_STORE_LMDB;
			tx.nonce = a.nonce;
		}
		d0 = th_digest(t);
		n0 = ember_state_nchanges(st);
		p->why[0] = '\0';
		p->changed = 0;
		p->rc = tok_apply_tx(b, st, &tx, p->why, sizeof(p->why));
		if (p->rc == EMBER_STORE_MAP_FULL)
			return p->rc;
		if (th_digest(t) != d0)
			p->changed |= TH_CHG_STATE;
		if (ember_state_nchanges(st) != n0)
			p->changed |= TH_CHG_WRITES;
		if (b->fees != b0.fees || b->applied != b0.applied)
			p->changed |= TH_CHG_BLOCK;
		if (b->have_totals) {
			struct tok_totals before = b0.totals;

			/* Totals loaded by this probe: the stored ones are what
			 * the block had, since nothing before changed them. */
			if (!b0.have_totals && tok_totals_get(t, &before) != 0)
				return EMBER_STORE_LMDB;
			if (memcmp(&before, &b->totals, sizeof(before)) != 0)
				p->changed |= TH_CHG_TOTALS;
		}
	}
	return 0;
}

static inline void th_open(struct th *h)
{
	assert_int_equal(ember_genesis_finish(&h->g), 0);
	assert_int_equal(test_tmpdir(h->dir, sizeof(h->dir), "tok"), 0);
	assert_int_equal(tok_runner_open(&h->r, h->dir, &h->g, h->mapsize), 0);
	/* A small map is for growth tests: flush at every commit, so the
	 * flushes meet the full map (and grow it) as blocks go by. */
	if (h->mapsize < (1u << 20))
		ember_store_set_cache(tok_runner_store(h->r), 0, 0);
	tok_runner_set_hook(h->r, th_hook, h);
	th_check(h);
}

static inline void th_free(struct th *h)
{
	if (!h)
		return;
	tok_runner_close(h->r);
	if (h->dir[0])
		test_rm_store_dir(h->dir);
	ember_genesis_release(&h->g);
	free(h);
}

static inline uint64_t th_height(struct th *h)
{
	return tok_runner_height(h->r);
}

static inline uint64_t th_epoch_now(struct th *h)
{
	return tok_epoch_of(&h->g, th_height(h));
}

/* --- reading state --------------------------------------------------------- */

static inline struct ember_txn *th_read(struct th *h)
{
	struct ember_txn *t = NULL;

	assert_int_equal(ember_store_read(tok_runner_store(h->r), &t), 0);
	return t;
}

static inline uint64_t th_balance(struct th *h, const uint8_t pub[32])
{
	struct ember_txn *t = th_read(h);
	struct ember_account a;
	int rc = ember_account_get(t, pub, &a);

	ember_txn_abort(t);
	assert_int_equal(rc, 0);
	return a.balance;
}

static inline uint64_t th_nonce(struct th *h, const uint8_t pub[32])
{
	return tok_runner_nonce(h->r, pub);
}

static inline struct ember_stake th_stake_of(struct th *h, const uint8_t pub[32])
{
	struct ember_txn *t = th_read(h);
	struct ember_stake s;
	int rc = tok_stake_get(t, pub, &s);

	ember_txn_abort(t);
	assert_int_equal(rc, 0);
	return s;
}

/* Returns: 0 or EMBER_TOK_NO_PROVIDER. */
static inline int th_prov_get(struct th *h, const uint8_t pub[32],
                              struct ember_provider *p)
{
	struct ember_txn *t = th_read(h);
	int rc = tok_provider_get(t, pub, p);

	ember_txn_abort(t);
	return rc;
}

static inline struct ember_provider th_prov_of(struct th *h, const uint8_t pub[32])
{
	struct ember_provider p;

	assert_int_equal(th_prov_get(h, pub, &p), 0);
	return p;
}

/* Returns: 0 or tok_order_get's code (EMBER_TOK_NO_ORDER when absent). */
static inline int th_order_get(struct th *h, uint64_t id, struct ember_order *o)
{
	struct ember_txn *t = th_read(h);
	int rc = tok_order_get(t, id, o);

	ember_txn_abort(t);
	return rc;
}

static inline struct ember_order th_order_of(struct th *h, uint64_t id)
{
	struct ember_order o;

	assert_int_equal(th_order_get(h, id, &o), 0);
	return o;
}

/* The lease record as stored (settled only as far as the ledger did).
 * Returns: 0, EMBER_ENOTFOUND, or the decoder's code. */
static inline int th_lease_get(struct th *h, uint64_t id, struct ember_lease *l)
{
	struct ember_txn *t = th_read(h);
	uint8_t key[8];
	const void *v;
	size_t vlen;
	int rc = ember_store_get(t, EMBER_DB_LEASES, key, ember_key_id(key, id),
	                         &v, &vlen);

	if (rc == 0)
		rc = ember_lease_decode(l, v, vlen);
	ember_txn_abort(t);
	return rc;
}

static inline struct ember_lease th_lease_of(struct th *h, uint64_t id)
{
	struct ember_lease l;

	assert_int_equal(th_lease_get(h, id, &l), 0);
	return l;
}

/* The lease as an explorer sees it at height at (settled in memory). */
static inline struct ember_lease th_lease_view(struct th *h, uint64_t id,
                                               uint64_t at)
{
	struct ember_txn *t = th_read(h);
	struct ember_lease l;
	int rc = tok_lease_view(t, &h->g, id, at, &l);

	ember_txn_abort(t);
	assert_int_equal(rc, 0);
	return l;
}

static inline struct tok_totals th_totals_of(struct th *h)
{
	struct ember_txn *t = th_read(h);
	struct tok_totals x;
	int rc = tok_totals_get(t, &x);

	ember_txn_abort(t);
	assert_int_equal(rc, 0);
	return x;
}

/* Returns: 0 or EMBER_ENOTFOUND. */
static inline int th_epoch_get(struct th *h, uint64_t e, struct tok_epoch_rec *out)
{
	struct ember_txn *t = th_read(h);
	int rc = tok_epoch_get(t, e, out);

	ember_txn_abort(t);
	return rc;
}

static inline struct tok_epoch_rec th_epoch_rec(struct th *h, uint64_t e)
{
	struct tok_epoch_rec x;

	assert_int_equal(th_epoch_get(h, e, &x), 0);
	return x;
}

/* The unbonding entry of acct released at `release`, 0 when there is none. */
static inline uint64_t th_unbond_of(struct th *h, const uint8_t acct[32],
                                    uint64_t release)
{
	struct ember_txn *t = th_read(h);
	uint8_t key[40];
	const void *v;
	size_t vlen;
	uint64_t amount = 0;
	int rc = ember_store_get(t, EMBER_DB_UNBONDING, key,
	                         ember_key_unbond(key, acct, release), &v, &vlen);

	if (rc == 0) {
		assert_int_equal(vlen, 8);
		amount = ember_le64_get(v);
	} else {
		assert_int_equal(rc, EMBER_ENOTFOUND);
	}
	ember_txn_abort(t);
	return amount;
}

/* Returns: 1 if the bid exists (copied to *out when not NULL), else 0. */
static inline int th_bid_of(struct th *h, uint64_t order, const uint8_t prov[32],
                            struct ember_bid *out)
{
	struct ember_txn *t = th_read(h);
	struct ember_bid b;
	uint8_t key[40];
	const void *v;
	size_t vlen;
	int rc = ember_store_get(t, EMBER_DB_BIDS, key,
	                         ember_key_bid(key, order, prov), &v, &vlen);

	if (rc == 0) {
		assert_int_equal(ember_bid_decode(&b, v, vlen), 0);
		if (out)
			*out = b;
	} else {
		assert_int_equal(rc, EMBER_ENOTFOUND);
	}
	ember_txn_abort(t);
	return rc == 0;
}

struct th_prefix_count {
	const uint8_t *prefix;
	size_t plen;
	uint64_t n;
};

static inline int th_prefix_cb(void *ctx, const void *key, size_t klen,
                               const void *val, size_t vlen)
{
	struct th_prefix_count *c = ctx;

	(void)val;
	(void)vlen;
	if (klen < c->plen || memcmp(key, c->prefix, c->plen) != 0)
		return 1;
	c->n++;
	return 0;
}

/* Entries of db whose key starts with prefix. */
static inline uint64_t th_count_prefix(struct th *h, enum ember_db db,
                                       const uint8_t *prefix, size_t plen)
{
	struct ember_txn *t = th_read(h);
	struct th_prefix_count c = { prefix, plen, 0 };
	int rc = ember_store_iter(t, db, prefix, plen, th_prefix_cb, &c);

	ember_txn_abort(t);
	assert_int_equal(rc, 0);
	return c.n;
}

/* --- the independent recount ---------------------------------------------- */

struct th_sums {
	uint64_t balances, escrow, staked, unbonding, rewards, unbond_entries;
	uint64_t stake_unbonding, stake_entries;
	uint64_t open_orders, open_leases, providers_active;
	int bad;                         /* a record did not decode */
};

static inline int th_sum_accounts(void *ctx, const void *key, size_t klen,
                                  const void *val, size_t vlen)
{
	struct th_sums *s = ctx;

	(void)key;
	if (klen != 32 || vlen != EMBER_ACCOUNT_ENC_LEN) {
		s->bad = 1;
		return 0;
	}
	s->balances += ember_le64_get(val);
	return 0;
}

static inline int th_sum_stakes(void *ctx, const void *key, size_t klen,
                                const void *val, size_t vlen)
{
	struct th_sums *s = ctx;
	struct ember_stake x;

	(void)key;
	(void)klen;
	if (ember_stake_decode(&x, val, vlen) != 0) {
		s->bad = 1;
		return 0;
	}
	s->staked += x.amount;
	s->stake_unbonding += x.unbonding;
	s->stake_entries += x.unbonding_entries;
	s->rewards += x.rewards;
	return 0;
}

static inline int th_sum_unbonding(void *ctx, const void *key, size_t klen,
                                   const void *val, size_t vlen)
{
	struct th_sums *s = ctx;

	(void)key;
	(void)klen;
	if (vlen != 8) {
		s->bad = 1;
		return 0;
	}
	s->unbonding += ember_le64_get(val);
	s->unbond_entries++;
	return 0;
}

static inline int th_sum_orders(void *ctx, const void *key, size_t klen,
                                const void *val, size_t vlen)
{
	struct th_sums *s = ctx;
	struct ember_order o;

	(void)key;
	(void)klen;
	if (ember_order_decode(&o, val, vlen) != 0) {
		s->bad = 1;
		return 0;
	}
	if (o.status == EMBER_ORDER_OPEN) {
		s->escrow += o.deposit;
		s->open_orders++;
	}
	return 0;
}

static inline int th_sum_leases(void *ctx, const void *key, size_t klen,
                                const void *val, size_t vlen)
{
	struct th_sums *s = ctx;
	struct ember_lease l;

	(void)key;
	(void)klen;
	if (ember_lease_decode(&l, val, vlen) != 0) {
		s->bad = 1;
		return 0;
	}
	if (l.status == EMBER_LEASE_OPEN) {
		s->escrow += l.escrow;
		s->open_leases++;
	}
	return 0;
}

static inline int th_sum_providers(void *ctx, const void *key, size_t klen,
                                   const void *val, size_t vlen)
{
	struct th_sums *s = ctx;
	struct ember_provider p;

	(void)key;
	(void)klen;
	if (ember_provider_decode(&p, val, vlen) != 0) {
		s->bad = 1;
		return 0;
	}
	if (p.status == EMBER_PROV_ACTIVE)
		s->providers_active++;
	return 0;
}

static inline void th_sums_get(struct ember_txn *t, struct th_sums *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(ember_store_iter(t, EMBER_DB_ACCOUNTS, NULL, 0,
	                                  th_sum_accounts, s), 0);
	assert_int_equal(ember_store_iter(t, EMBER_DB_STAKES, NULL, 0,
	                                  th_sum_stakes, s), 0);
	assert_int_equal(ember_store_iter(t, EMBER_DB_UNBONDING, NULL, 0,
	                                  th_sum_unbonding, s), 0);
	assert_int_equal(ember_store_iter(t, EMBER_DB_ORDERS, NULL, 0,
	                                  th_sum_orders, s), 0);
	assert_int_equal(ember_store_iter(t, EMBER_DB_LEASES, NULL, 0,
	                                  th_sum_leases, s), 0);
	assert_int_equal(ember_store_iter(t, EMBER_DB_PROVIDERS, NULL, 0,
	                                  th_sum_providers, s), 0);
}

#define TH_SAME(what, a, b) do { \
	if ((uint64_t)(a) != (uint64_t)(b)) \
		fail_msg("height %llu: %s: %llu != %llu", \
		         (unsigned long long)th_height(h), what, \
		         (unsigned long long)(a), (unsigned long long)(b)); \
} while (0)

/* The checks every block gets. */
static inline void th_check(struct th *h)
{
	struct ember_txn *t = th_read(h);
	struct tok_totals x;
	struct th_sums s;
	char why[256] = "";
	int rc = tok_audit(t, why, sizeof(why));

	if (rc != 0) {
		ember_txn_abort(t);
		fail_msg("height %llu: tok_audit: %d %s: %s",
		         (unsigned long long)th_height(h), rc, ember_strerror(rc), why);
	}
	rc = tok_totals_get(t, &x);
	if (rc != 0) {
		ember_txn_abort(t);
		fail_msg("tok_totals_get: %d", rc);
	}
	if (h->no_recount) {
		ember_txn_abort(t);
		TH_SAME("supply vs genesis + minted - burned", x.supply,
		        x.genesis + x.minted - x.burned);
		return;
	}
	th_sums_get(t, &s);
	ember_txn_abort(t);
	TH_SAME("a record decodes", s.bad, 0);
	TH_SAME("genesis", x.genesis, h->g.total_supply);
	TH_SAME("supply vs genesis + minted - burned", x.supply,
	        x.genesis + x.minted - x.burned);
	TH_SAME("supply vs every place a token can be", x.supply,
	        s.balances + s.escrow + s.staked + s.unbonding + s.rewards);
	TH_SAME("totals.escrow", x.escrow, s.escrow);
	TH_SAME("totals.staked", x.staked, s.staked);
	TH_SAME("totals.unbonding", x.unbonding, s.unbonding);
	TH_SAME("stakes' unbonding vs entries", s.stake_unbonding, s.unbonding);
	TH_SAME("stakes' entry counts vs entries", s.stake_entries,
	        s.unbond_entries);
	TH_SAME("totals.rewards", x.rewards, s.rewards);
	TH_SAME("totals.open_orders", x.open_orders, s.open_orders);
	TH_SAME("totals.open_leases", x.open_leases, s.open_leases);
	TH_SAME("totals.providers_active", x.providers_active,
	        s.providers_active);
}

/* --- blocks ---------------------------------------------------------------- */

/* Queue a refusal probe for the next block (want: the expected code, or
 * TH_ANY_REFUSAL). */
static inline void th_probe(struct th *h, struct ember_tx tx, int want)
{
	assert_true(h->nprobe < TH_MAXPROBE);
	h->probe[h->nprobe].tx = tx;
	h->probe[h->nprobe].want = want;
	h->nprobe++;
}

/* Queue a challenge result to be recorded in the next block. */
static inline void th_chal(struct th *h, const uint8_t prov[32], uint64_t epoch,
                           uint8_t result)
{
	assert_true(h->nchal < TH_MAXCHAL);
	memcpy(h->chal[h->nchal].prov, prov, 32);
	h->chal[h->nchal].epoch = epoch;
	h->chal[h->nchal].result = result;
	h->nchal++;
}

/*
 * Apply one block: txs through the runner (TH_NONCE_AUTO nonces become the
 * sender's next nonce counting its earlier txs in this block), then the
 * queued challenge results and probes in the hook; then th_check.
 * h->rc[i] and h->why[i] get each tx's result.
 */
static inline void th_block(struct th *h, struct ember_tx *txs, size_t n)
{
	int rc;

	assert_true(n <= TH_MAXTX);
	for (size_t i = 0; i < n; i++) {
		uint64_t k = 0;

		if (txs[i].nonce != TH_NONCE_AUTO)
			continue;
		for (size_t j = 0; j < i; j++)
			k += memcmp(txs[j].from, txs[i].from, 32) == 0;
		txs[i].nonce = th_nonce(h, txs[i].from) + k;
	}
	rc = tok_runner_block(h->r, txs, n, n ? h->rc : NULL, n ? h->why : NULL);
	if (rc != 0)
		fail_msg("height %llu: tok_runner_block: %d %s",
		         (unsigned long long)th_height(h) + 1, rc, ember_strerror(rc));
	for (size_t i = 0; i < h->nchal; i++)
		if (h->chal[i].rc != 0)
			fail_msg("height %llu: tok_challenge_result: %d %s",
			         (unsigned long long)th_height(h), h->chal[i].rc,
			         ember_strerror(h->chal[i].rc));
	for (size_t i = 0; i < h->nprobe; i++) {
		struct th_probe *p = &h->probe[i];
		const char *kind = ember_tx_kind_name(p->tx.kind);

		if (p->want == TH_ANY_REFUSAL ? p->rc == 0 : p->rc != p->want)
			fail_msg("height %llu: %s probe %zu: got %d (%s) '%s', want %d (%s)",
			         (unsigned long long)th_height(h), kind, i, p->rc,
			         ember_strerror(p->rc), p->why, p->want,
			         ember_strerror(p->want));
		if (p->changed)
			fail_msg("height %llu: refused %s probe %zu changed state (0x%x): %s",
			         (unsigned long long)th_height(h), kind, i,
			         p->changed, p->why);
		if (p->want != 0 && p->why[0] == '\0')
			fail_msg("height %llu: refused %s probe %zu has no message",
			         (unsigned long long)th_height(h), kind, i);
	}
	h->nprobe = 0;
	h->nchal = 0;
	th_check(h);
}

/* One block in which every tx must apply. */
static inline void th_ok(struct th *h, struct ember_tx *txs, size_t n)
{
	th_block(h, txs, n);
	for (size_t i = 0; i < n; i++)
		if (h->rc[i] != 0)
			fail_msg("height %llu: %s tx %zu refused: %d (%s) %s",
			         (unsigned long long)th_height(h),
			         ember_tx_kind_name(txs[i].kind), i, h->rc[i],
			         ember_strerror(h->rc[i]), h->why[i]);
}

static inline void th_ok1(struct th *h, struct ember_tx tx)
{
	th_ok(h, &tx, 1);
}

/* One block with one tx; returns its result code. */
static inline int th_apply1(struct th *h, struct ember_tx tx)
{
	th_block(h, &tx, 1);
	return h->rc[0];
}

/* One block whose only tx is a probe that must be refused with want. */
static inline void th_refuse(struct th *h, struct ember_tx tx, int want)
{
	th_probe(h, tx, want);
	th_block(h, NULL, 0);
}

static inline void th_empty(struct th *h)
{
	th_block(h, NULL, 0);
}

/* Empty blocks until the next block applied is `next`. */
static inline void th_at(struct th *h, uint64_t next)
{
	assert_true(th_height(h) < next);
	while (th_height(h) + 1 < next)
		th_empty(h);
}

/*
 * Jail prov as an undeclared challenge fault does (docs/economics.md,
 * "Jail"): FAIL is recorded for the epoch of the next block, in that
 * block, and empty blocks run through the epoch's boundary, which slashes
 * and jails.  prov must not have declared maintenance for that epoch.
 * Returns: the epoch the jail ends, jailed_until (epoch + 1 + jail_epochs
 * unless an earlier jail ends later).
 */
static inline uint64_t th_jail(struct th *h, const uint8_t prov[32])
{
	uint64_t e = tok_epoch_of(&h->g, th_height(h) + 1);
	uint64_t boundary = (e + 1) * h->g.params.epoch_blocks;

	th_chal(h, prov, e, EMBER_CHAL_FAIL);
	th_empty(h);
	if (th_height(h) < boundary)
		th_at(h, boundary + 1);
	return th_prov_of(h, prov).jailed_until;
}

/* --- txs --------------------------------------------------------------------- */

static inline struct ember_tx th_tx(struct th *h, uint8_t kind,
                                    const uint8_t from[32])
{
	struct ember_tx tx;

	assert_int_equal(ember_tx_init(&tx, kind, h->g.chain_id, from,
	                               TH_NONCE_AUTO, TH_FEE), 0);
	return tx;
}

static inline struct ember_tx th_transfer(struct th *h, const uint8_t from[32],
                                          const uint8_t to[32], uint64_t amount)
{
	struct ember_tx tx = th_tx(h, EMBER_TX_TRANSFER, from);

	memcpy(tx.u.transfer.to, to, 32);
	tx.u.transfer.amount = amount;
	return tx;
}

static inline struct ember_tx th_amount(struct th *h, uint8_t kind,
                                        const uint8_t from[32], uint64_t lease,
                                        uint64_t amount)
{
	struct ember_tx tx = th_tx(h, kind, from);

	tx.u.amount.lease_id = lease;
	tx.u.amount.amount = amount;
	return tx;
}

static inline struct ember_tx th_stake(struct th *h, const uint8_t from[32],
                                       uint64_t amount)
{
	return th_amount(h, EMBER_TX_STAKE, from, 0, amount);
}

static inline struct ember_tx th_unstake(struct th *h, const uint8_t from[32],
                                         uint64_t amount)
{
	return th_amount(h, EMBER_TX_UNSTAKE, from, 0, amount);
}

static inline struct ember_tx th_topup(struct th *h, const uint8_t from[32],
                                       uint64_t lease, uint64_t amount)
{
	return th_amount(h, EMBER_TX_TOPUP, from, lease, amount);
}

/* provider_register / provider_update */
static inline struct ember_tx th_prov(struct th *h, uint8_t kind,
                                      const uint8_t from[32], uint16_t cls,
                                      uint32_t gpus, uint32_t vram,
                                      uint64_t price, const char *region)
{
	struct ember_tx tx = th_tx(h, kind, from);

	tx.u.provider.gpu_class = cls;
	tx.u.provider.gpus = gpus;
	tx.u.provider.vram_gib = vram;
	tx.u.provider.price_per_gpu_hour = price;
	assert_int_equal(ember_tx_set_provider_strings(&tx.u.provider, region,
	                                               "https://gpu.example/x"), 0);
	return tx;
}

static inline struct ember_tx th_register(struct th *h, const uint8_t from[32],
                                          uint16_t cls, uint32_t gpus)
{
	return th_prov(h, EMBER_TX_PROV_REGISTER, from, cls, gpus,
	               cls == TH_CLASS_B ? TH_VRAM_B : TH_VRAM_A, TH_SFA_UNIT,
	               "eu-west");
}

static inline struct ember_tx th_order(struct th *h, const uint8_t from[32],
                                       uint16_t cls, uint32_t gpus,
                                       uint64_t max_price, uint64_t duration,
                                       uint64_t deposit)
{
	struct ember_tx tx = th_tx(h, EMBER_TX_ORDER, from);

	tx.u.order.gpu_class = cls;
	tx.u.order.gpus = gpus;
	tx.u.order.max_price_per_gpu_hour = max_price;
	tx.u.order.duration_blocks = duration;
	tx.u.order.deposit = deposit;
	return tx;
}

static inline struct ember_tx th_bid(struct th *h, const uint8_t from[32],
                                     uint64_t order, uint64_t price)
{
	struct ember_tx tx = th_tx(h, EMBER_TX_BID, from);

	tx.u.bid.order_id = order;
	tx.u.bid.price_per_gpu_hour = price;
	return tx;
}

static inline struct ember_tx th_accept(struct th *h, const uint8_t from[32],
                                        uint64_t order, const uint8_t prov[32])
{
	struct ember_tx tx = th_tx(h, EMBER_TX_ACCEPT, from);

	tx.u.accept.order_id = order;
	memcpy(tx.u.accept.provider, prov, 32);
	return tx;
}

static inline struct ember_tx th_close(struct th *h, const uint8_t from[32],
                                       uint64_t lease)
{
	struct ember_tx tx = th_tx(h, EMBER_TX_CLOSE, from);

	tx.u.ref.id = lease;
	return tx;
}

static inline struct ember_tx th_price(struct th *h, const uint8_t from[32],
                                       uint64_t uusd)
{
	struct ember_tx tx = th_tx(h, EMBER_TX_PRICE, from);

	tx.u.price.price_uusd = uusd;
	return tx;
}

static inline struct ember_tx th_maint(struct th *h, const uint8_t from[32],
                                       uint64_t epoch)
{
	struct ember_tx tx = th_tx(h, EMBER_TX_MAINTENANCE, from);

	tx.u.maint.epoch = epoch;
	return tx;
}

/* Double-sign evidence against signer (whose key signs both votes, so it
 * verifies only if signer is the named validator): votes of `type` at
 * (height, round) for block hashes filled with bytes a and b, precommits
 * stamped with two different times. */
static inline struct ember_tx th_evidence(struct th *h, const uint8_t from[32],
                                          const uint8_t validator[32],
                                          const struct ember_keypair *signer,
                                          uint8_t type, uint64_t height,
                                          uint32_t round, uint8_t a, uint8_t b)
{
	static const uint8_t aux[32];
	struct ember_tx tx = th_tx(h, EMBER_TX_EVIDENCE, from);
	struct ember_tx_evidence *ev = &tx.u.evidence;
	uint8_t msg[32];

	memcpy(ev->validator, validator, 32);
	ev->vote_type = type;
	ev->height = height;
	ev->round = round;
	memset(ev->hash_a, a, 32);
	memset(ev->hash_b, b, 32);
	/* A precommit signs its signer's clock (two different stamps here,
	 * so each signature verifies only with its own); a prevote signs 0. */
	ev->time_a = type == EMBER_VOTE_PRECOMMIT ? 5000 + height : 0;
	ev->time_b = type == EMBER_VOTE_PRECOMMIT ? 5007 + height : 0;
	ember_vote_hash(h->g.chain_id, type, height, round, ev->hash_a, ev->time_a, msg);
	assert_int_equal(ember_schnorr_sign(signer, msg, 32, aux, ev->sig_a), 0);
	ember_vote_hash(h->g.chain_id, type, height, round, ev->hash_b, ev->time_b, msg);
	assert_int_equal(ember_schnorr_sign(signer, msg, 32, aux, ev->sig_b), 0);
	return tx;
}

#endif
