/*
 * test_downtime.c - validator downtime (tokenomics/downtime.c; tok.h:
 * tok_block_set_last_commit, tok_validator_missed; docs/economics.md,
 * "Downtime") on a real LMDB ledger driven block by block (tokharness.h).
 *
 * The rule under test: every block that carries a last commit (all but
 * block 1) counts one missed block, in the block's epoch, for each genesis
 * validator not among the last commit's signers.  At the end of epoch e
 * (block (e+1)*E) a validator that missed more than downtime_missed_bps of
 * the epoch's counted blocks (E, or E-1 in epoch 0) -- strictly more:
 * n * 10000 > missed_bps * counted -- is slashed slash_downtime_bps of its
 * stake+unbonding (tk_slash, within the per-epoch slash_cap_bps), and the
 * epoch's counts are deleted.
 *
 * The runner has no consensus, so the last commit is fed through its hook
 * (which runs after tok_block_begin and before tok_block_end): each block
 * gets the signer list the test chose for it.  tok_audit() and the
 * harness's independent recount run after every block.
 *
 * Units: E = 10 blocks; four validators each bond STAKE (800 EMB) in
 * block 1 unless a test says otherwise; slash_downtime_bps 10 and
 * downtime_missed_bps 5000 (ember_params_default's) unless a test says
 * otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tokharness.h"

#define A(i) (h->acc[(i)].pub)
#define V(i) (h->val[(i)].pub)
#define E(x) ((uint64_t)(x) * EMBER_COIN)

#define EB 10                           /* epoch_blocks */
#define STAKE E(800)                    /* each validator's bond */
#define DT_BPS 10                       /* default slash_downtime_bps */
#define MISSED_BPS 5000                 /* default downtime_missed_bps */
/* One downtime slash of a full STAKE: 800 EMB x 10 / 10000 = 0.8 EMB. */
#define CUT (STAKE * DT_BPS / 10000)

/* Validator bits for a block's missing set. */
#define M0 1u
#define M1 2u
#define M2 4u
#define M3 8u
#define MALL (M0 | M1 | M2 | M3)

/* A ledger plus the last commit its next block gets. */
struct dt {
	struct th *h;
	int reverse;                    /* list signers 3..0 instead of 0..3 */
	int never;                      /* never call tok_block_set_last_commit */
	int set;                        /* call it in the next block */
	size_t n;
	uint8_t sig[TH_NVAL][32];
};

struct fix {
	struct dt d[4];
	size_t nd;
};

static int dt_hook(void *ctx, struct tok_block *b, struct ember_state *st)
{
	struct dt *d = ctx;

	if (d->set)
		tok_block_set_last_commit(b, (const uint8_t (*)[32])d->sig, d->n);
	return th_hook(d->h, b, st);
}

/* A new ledger's genesis (not open): 2 accounts, TH_NVAL validators, the
 * default downtime parameters. */
static struct dt *mk(void **state)
{
	struct fix *f = *state;
	struct dt *d;

	if (!f) {
		f = calloc(1, sizeof(*f));
		assert_non_null(f);
		*state = f;
	}
	assert_true(f->nd < 4);
	d = &f->d[f->nd++];
	d->h = th_new("sfa", 2);
	d->h->g.params.epoch_blocks = EB;
	d->h->g.params.slash_downtime_bps = DT_BPS;
	d->h->g.params.downtime_missed_bps = MISSED_BPS;
	return d;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	if (!f)
		return 0;
	for (size_t i = 0; i < f->nd; i++)
		th_free(f->d[i].h);
	free(f);
	return 0;
}

static void dt_open(struct dt *d)
{
	th_open(d->h);
	tok_runner_set_hook(d->h->r, dt_hook, d);
}

/*
 * One block whose txs must all apply.  Its last commit is signed by every
 * validator not in `missing` (none is set for block 1, which has no last
 * commit, nor when d->never).
 */
static void dt_block(struct dt *d, unsigned missing, struct ember_tx *txs,
                     size_t n)
{
	struct th *h = d->h;

	d->n = 0;
	for (size_t k = 0; k < TH_NVAL; k++) {
		size_t i = d->reverse ? TH_NVAL - 1 - k : k;

		if (!(missing & (1u << i)))
			memcpy(d->sig[d->n++], h->val[i].pub, 32);
	}
	d->set = !d->never && th_height(h) + 1 > 1;
	th_ok(h, txs, n);
	d->set = 0;
}

/* A block that carries no last commit (tok_block_set_last_commit is not
 * called), as block 1. */
static void dt_nolc(struct dt *d)
{
	d->set = 0;
	th_ok(d->h, NULL, 0);
}

/* Blocks up to and including height `last`, each missing `missing`. */
static void dt_to(struct dt *d, unsigned missing, uint64_t last)
{
	assert_true(th_height(d->h) < last);
	while (th_height(d->h) < last)
		dt_block(d, missing, NULL, 0);
}

/* Block 1: every validator whose bit is in `stakers` bonds STAKE; its last
 * commit (would miss `missing`, but block 1 has none). */
static void dt_stake_block(struct dt *d, unsigned stakers, unsigned missing)
{
	struct th *h = d->h;
	struct ember_tx txs[TH_NVAL];
	size_t n = 0;

	assert_int_equal(th_height(h), 0);
	for (size_t i = 0; i < TH_NVAL; i++)
		if (stakers & (1u << i))
			txs[n++] = th_stake(h, V(i), STAKE);
	dt_block(d, missing, txs, n);
}

static uint64_t missed(struct th *h, uint64_t epoch, size_t v)
{
	struct ember_txn *t = th_read(h);
	uint64_t n = UINT64_MAX;
	int rc = tok_validator_missed(t, epoch, h->val[v].pub, &n);

	ember_txn_abort(t);
	assert_int_equal(rc, 0);
	return n;
}

/* Downtime records ('M' keys) in the index. */
static uint64_t nmissed_keys(struct th *h)
{
	static const uint8_t p[1] = { EMBER_IDX_MISSED };

	return th_count_prefix(h, EMBER_DB_INDEX, p, 1);
}

static void no_counts(struct th *h, uint64_t epoch)
{
	for (size_t v = 0; v < TH_NVAL; v++)
		assert_int_equal(missed(h, epoch, v), 0);
}

static void assert_unslashed(struct th *h, size_t v, uint64_t amount)
{
	struct ember_stake s = th_stake_of(h, V(v));

	assert_int_equal(s.amount, amount);
	assert_int_equal(s.slashed_total, 0);
	assert_int_equal(s.slash_bps_used, 0);
	assert_true(s.slash_epoch == EMBER_NO_EPOCH);
}

/* --- tests --------------------------------------------------------------- */

/* The defaults, and the two parameters are part of the genesis (its hash,
 * its file). */
static void test_params_genesis(void **state)
{
	struct dt *d = mk(state);
	struct ember_genesis *g = &d->h->g, g2;
	struct ember_params p;
	uint8_t hash[32], hash2[32];
	char dir[64], path[128], err[256];

	ember_params_default(&p);
	assert_int_equal(p.slash_downtime_bps, 10);
	assert_int_equal(p.downtime_missed_bps, 5000);

	assert_int_equal(ember_genesis_finish(g), 0);
	memcpy(hash, g->hash, 32);
	g->params.slash_downtime_bps = 11;
	assert_int_equal(ember_genesis_finish(g), 0);
	assert_memory_not_equal(g->hash, hash, 32);
	memcpy(hash2, g->hash, 32);
	g->params.slash_downtime_bps = DT_BPS;
	g->params.downtime_missed_bps = 5001;
	assert_int_equal(ember_genesis_finish(g), 0);
	assert_memory_not_equal(g->hash, hash, 32);
	assert_memory_not_equal(g->hash, hash2, 32);

	/* A document load accepts (the harness's time and parameters are
	 * not all in the genesis file's ranges). */
	g->genesis_time_ms = 1735689600000ULL;          /* 2025-01-01 */
	g->params = p;
	g->params.slash_downtime_bps = 37;
	g->params.downtime_missed_bps = 6100;
	assert_int_equal(ember_genesis_finish(g), 0);
	assert_int_equal(test_tmpdir(dir, sizeof(dir), "dtgen"), 0);
	snprintf(path, sizeof(path), "%s/genesis.json", dir);
	assert_int_equal(ember_genesis_save(g, path), 0);
	err[0] = '\0';
	if (ember_genesis_load(&g2, path, err, sizeof(err)) != 0)
		fail_msg("load: %s", err);
	unlink(path);
	rmdir(dir);
	assert_int_equal(g2.params.slash_downtime_bps, 37);
	assert_int_equal(g2.params.downtime_missed_bps, 6100);
	assert_memory_equal(g2.hash, g->hash, 32);
	ember_genesis_release(&g2);
}

/* Who is counted, where, and that block 1 / a block without a last
 * commit count nothing. */
static void test_counts(void **state)
{
	struct dt *d = mk(state);
	struct th *h = d->h;

	dt_open(d);
	dt_stake_block(d, MALL, MALL);          /* block 1: no last commit */
	no_counts(h, 0);
	assert_int_equal(nmissed_keys(h), 0);

	dt_to(d, M2, 4);                        /* blocks 2..4: v2 missing */
	assert_int_equal(missed(h, 0, 2), 3);
	assert_int_equal(missed(h, 0, 0), 0);
	assert_int_equal(missed(h, 0, 1), 0);
	assert_int_equal(missed(h, 0, 3), 0);
	assert_int_equal(missed(h, 1, 2), 0);   /* only in the block's epoch */
	assert_int_equal(nmissed_keys(h), 1);   /* signers get no record */

	dt_block(d, M2 | M3, NULL, 0);          /* block 5 */
	assert_int_equal(missed(h, 0, 2), 4);
	assert_int_equal(missed(h, 0, 3), 1);
	dt_block(d, 0, NULL, 0);                /* block 6: all sign */
	dt_nolc(d);                             /* block 7: no last commit */
	dt_block(d, MALL, NULL, 0);             /* block 8: nobody signed */
	assert_int_equal(missed(h, 0, 0), 1);
	assert_int_equal(missed(h, 0, 1), 1);
	assert_int_equal(missed(h, 0, 2), 5);
	assert_int_equal(missed(h, 0, 3), 2);
	assert_int_equal(nmissed_keys(h), 4);
	dt_to(d, 0, 9);
	assert_int_equal(missed(h, 0, 2), 5);

	/* Block 10 ends epoch 0: v2 missed 5 of 9 counted blocks (> 50%):
	 * slashed CUT; the others (1 or 2 of 9) are not.  Every count of
	 * epoch 0 is gone. */
	dt_block(d, 0, NULL, 0);
	no_counts(h, 0);
	assert_int_equal(nmissed_keys(h), 0);
	assert_int_equal(th_stake_of(h, V(2)).amount, STAKE - CUT);
	assert_unslashed(h, 0, STAKE);
	assert_unslashed(h, 1, STAKE);
	assert_unslashed(h, 3, STAKE);

	/* Epoch 1 starts from 0. */
	dt_block(d, M2, NULL, 0);               /* block 11 */
	assert_int_equal(missed(h, 1, 2), 1);
	assert_int_equal(missed(h, 0, 2), 0);
	assert_int_equal(nmissed_keys(h), 1);
}

/*
 * Epoch 1 (E = 10 counted blocks, 11..20): 5 missed (= 50%) is not
 * slashed, 6 is; block 20's own last commit counts before the epoch ends;
 * block 21's counts in epoch 2.
 *   v0: 15..19 (5)            not slashed; also misses 21 (epoch 2)
 *   v1: 11..15 (5)            not slashed
 *   v2: 11..16 (6)            slashed
 *   v3: 11, 16..20 (6)        slashed only if block 20 counts
 */
static void test_threshold(void **state)
{
	static const unsigned miss[] = {
		/* 11 */ M1 | M2 | M3,
		/* 12 */ M1 | M2, /* 13 */ M1 | M2, /* 14 */ M1 | M2,
		/* 15 */ M0 | M1 | M2,
		/* 16 */ M0 | M2 | M3,
		/* 17 */ M0 | M3, /* 18 */ M0 | M3, /* 19 */ M0 | M3,
	};
	struct dt *d = mk(state);
	struct th *h = d->h;
	struct tok_totals x0, x;
	struct tok_epoch_rec rec;
	struct ember_stake s;
	uint64_t bal2, bal3;

	dt_open(d);
	dt_stake_block(d, MALL, 0);
	dt_to(d, 0, 10);                        /* epoch 0: all sign */
	assert_int_equal(th_epoch_rec(h, 0).slashed, 0);
	x0 = th_totals_of(h);
	assert_int_equal(x0.burned, 0);
	assert_int_equal(x0.staked, 4 * STAKE);

	for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++)
		dt_block(d, miss[i], NULL, 0);  /* blocks 11..19 */
	assert_int_equal(th_height(h), 19);
	assert_int_equal(missed(h, 1, 0), 5);
	assert_int_equal(missed(h, 1, 1), 5);
	assert_int_equal(missed(h, 1, 2), 6);
	assert_int_equal(missed(h, 1, 3), 5);
	bal2 = th_balance(h, V(2));
	bal3 = th_balance(h, V(3));

	dt_block(d, M3, NULL, 0);               /* block 20 ends epoch 1 */
	assert_unslashed(h, 0, STAKE);
	assert_unslashed(h, 1, STAKE);
	for (size_t v = 2; v < 4; v++) {
		s = th_stake_of(h, V(v));
		assert_int_equal(s.amount, STAKE - CUT);
		assert_int_equal(s.slashed_total, CUT);
		assert_int_equal(s.slash_epoch, 1);
		assert_int_equal(s.slash_bps_used, DT_BPS);
		assert_int_equal(s.unbonding, 0);
	}
	/* Burned from the bond, not the balance. */
	assert_int_equal(th_balance(h, V(2)), bal2);
	assert_int_equal(th_balance(h, V(3)), bal3);
	x = th_totals_of(h);
	assert_int_equal(x.burned, 2 * CUT);
	assert_int_equal(x.supply, x0.supply - 2 * CUT);
	assert_int_equal(x.staked, 4 * STAKE - 2 * CUT);
	rec = th_epoch_rec(h, 1);
	assert_int_equal(rec.slashed, 2 * CUT);
	assert_int_equal(rec.burned, 2 * CUT);
	assert_int_equal(rec.staked, 4 * STAKE - 2 * CUT);

	/* Epoch 1's counts are gone; block 21 counts in epoch 2. */
	no_counts(h, 1);
	assert_int_equal(nmissed_keys(h), 0);
	dt_block(d, M0, NULL, 0);               /* block 21 */
	assert_int_equal(missed(h, 2, 0), 1);
	assert_int_equal(missed(h, 2, 2), 0);
	assert_int_equal(missed(h, 1, 0), 0);
	assert_int_equal(nmissed_keys(h), 1);
	/* Nothing else is taken in epoch 2 by signing. */
	dt_to(d, 0, 30);
	assert_unslashed(h, 0, STAKE);
	assert_int_equal(th_stake_of(h, V(2)).amount, STAKE - CUT);
	assert_int_equal(th_epoch_rec(h, 2).slashed, 0);
}

/*
 * Epoch 0 counts E - 1 = 9 blocks (2..10): 5 of 9 (55%) is slashed, 4 of
 * 9 is not.  Block 1 "misses" everyone but counts nothing.
 *   v1: 2..6 (5)      slashed (5 * 10000 > 5000 * 9; not so of 10)
 *   v2: 2..5 (4)      not slashed
 *   v3: 7..10 (4)     not slashed
 */
static void test_threshold_epoch0(void **state)
{
	struct dt *d = mk(state);
	struct th *h = d->h;
	struct ember_stake s;

	dt_open(d);
	dt_stake_block(d, MALL, MALL);          /* block 1 */
	dt_to(d, M1 | M2, 5);
	dt_block(d, M1, NULL, 0);               /* block 6 */
	dt_to(d, M3, 9);
	assert_int_equal(missed(h, 0, 1), 5);
	assert_int_equal(missed(h, 0, 2), 4);
	assert_int_equal(missed(h, 0, 3), 3);
	assert_int_equal(missed(h, 0, 0), 0);
	dt_block(d, M3, NULL, 0);               /* block 10 */
	s = th_stake_of(h, V(1));
	assert_int_equal(s.amount, STAKE - CUT);
	assert_int_equal(s.slashed_total, CUT);
	assert_int_equal(s.slash_epoch, 0);
	assert_int_equal(s.slash_bps_used, DT_BPS);
	assert_unslashed(h, 0, STAKE);
	assert_unslashed(h, 2, STAKE);
	assert_unslashed(h, 3, STAKE);
	assert_int_equal(th_totals_of(h).burned, CUT);
	assert_int_equal(th_epoch_rec(h, 0).slashed, CUT);
	no_counts(h, 0);
}

/*
 * The slash is of stake + unbonding, from the bond first.
 *   v2 unbonds all 800 in block 18 (out at 23): 0.8 comes out of the
 *      unbonding entry, which pays out 799.2 at block 23.
 *   v3 unbonds 300 in block 18: base 800, 0.8 from the bond (499.2 left),
 *      the entry keeps 300.
 * Both miss every block of epoch 1.
 */
static void test_unbonding(void **state)
{
	struct dt *d = mk(state);
	struct th *h = d->h;
	struct ember_tx txs[2];
	struct ember_stake s;
	uint64_t bal2, bal3;
	const uint64_t rel = 18 + 5;            /* unbonding_blocks = 5 */

	dt_open(d);
	dt_stake_block(d, MALL, 0);
	dt_to(d, 0, 10);
	dt_to(d, M2 | M3, 17);
	txs[0] = th_unstake(h, V(2), STAKE);
	txs[1] = th_unstake(h, V(3), E(300));
	dt_block(d, M2 | M3, txs, 2);           /* block 18 */
	bal2 = th_balance(h, V(2));
	bal3 = th_balance(h, V(3));
	dt_to(d, M2 | M3, 20);

	s = th_stake_of(h, V(2));
	assert_int_equal(s.amount, 0);
	assert_int_equal(s.unbonding, STAKE - CUT);
	assert_int_equal(s.slashed_total, CUT);
	assert_int_equal(th_unbond_of(h, V(2), rel), STAKE - CUT);
	s = th_stake_of(h, V(3));
	assert_int_equal(s.amount, E(500) - CUT);
	assert_int_equal(s.unbonding, E(300));
	assert_int_equal(s.slashed_total, CUT);
	assert_int_equal(th_unbond_of(h, V(3), rel), E(300));
	assert_int_equal(th_totals_of(h).burned, 2 * CUT);
	assert_int_equal(th_totals_of(h).unbonding, STAKE - CUT + E(300));

	dt_to(d, 0, rel);
	assert_int_equal(th_balance(h, V(2)), bal2 + STAKE - CUT);
	assert_int_equal(th_balance(h, V(3)), bal3 + E(300));
}

/* A validator with no stake that misses everything: no error, nothing
 * taken, counts still deleted.  v1 has no stake and misses blocks 2..20;
 * v2 (staked) misses epoch 1, so the same boundary does slash. */
static void test_no_stake(void **state)
{
	struct dt *d = mk(state);
	struct th *h = d->h;
	struct ember_stake s;

	dt_open(d);
	dt_stake_block(d, M0 | M2 | M3, MALL);
	dt_to(d, M1, 9);
	assert_int_equal(missed(h, 0, 1), 8);
	dt_block(d, M1, NULL, 0);               /* block 10 */
	no_counts(h, 0);
	assert_int_equal(th_epoch_rec(h, 0).slashed, 0);
	dt_to(d, M1 | M2, 20);
	no_counts(h, 1);
	assert_int_equal(nmissed_keys(h), 0);

	s = th_stake_of(h, V(1));
	assert_int_equal(s.amount, 0);
	assert_int_equal(s.unbonding, 0);
	assert_int_equal(s.slashed_total, 0);
	assert_int_equal(s.slash_bps_used, 0);
	assert_true(s.slash_epoch == EMBER_NO_EPOCH);
	assert_int_equal(th_balance(h, V(1)), TH_VSTART);
	assert_int_equal(th_stake_of(h, V(2)).amount, STAKE - CUT);
	assert_int_equal(th_totals_of(h).burned, CUT);
	assert_int_equal(th_epoch_rec(h, 1).slashed, CUT);
}

/*
 * The per-epoch cap (slash_cap_bps 1200) holds for downtime, alone and
 * after a double sign in the same epoch.  slash_downtime_bps = 2000.
 *   v2 misses epoch 1: 2000 capped to 1200 of 800 = 96.
 *   v1 double-signs (block 12: 500 of 800 = 40, 760 left) and misses
 *      epoch 1: 2000 capped to the 700 left: 760 x 7% = 53.2.
 *   Epoch 2, a new cap: v2 misses again: 1200 of 704 = 84.48.
 */
static void test_cap(void **state)
{
	struct dt *d = mk(state);
	struct th *h = d->h;
	struct ember_tx ev;
	struct ember_stake s;
	const uint64_t cut2 = E(96), ds1 = E(40), cut1 = E(532) / 10;
	const uint64_t cut2b = (STAKE - cut2) * 1200 / 10000;   /* 84.48 */

	h->g.params.slash_downtime_bps = 2000;
	assert_int_equal(h->g.params.slash_cap_bps, 1200);
	assert_int_equal(h->g.params.slash_double_sign_bps, 500);
	dt_open(d);
	dt_stake_block(d, MALL, 0);
	dt_to(d, 0, 10);
	dt_block(d, M1 | M2, NULL, 0);          /* block 11 */
	ev = th_evidence(h, A(0), V(1), &h->val[1], EMBER_VOTE_PREVOTE, 7, 0, 1, 2);
	dt_block(d, M1 | M2, &ev, 1);           /* block 12 */
	s = th_stake_of(h, V(1));
	assert_int_equal(s.amount, STAKE - ds1);
	assert_int_equal(s.slash_bps_used, 500);
	dt_to(d, M1 | M2, 20);

	s = th_stake_of(h, V(2));
	assert_int_equal(s.amount, STAKE - cut2);
	assert_int_equal(s.slash_epoch, 1);
	assert_int_equal(s.slash_bps_used, 1200);
	assert_int_equal(s.slashed_total, cut2);
	s = th_stake_of(h, V(1));
	assert_int_equal(s.amount, STAKE - ds1 - cut1);
	assert_int_equal(s.slash_epoch, 1);
	assert_int_equal(s.slash_bps_used, 1200);
	assert_int_equal(s.slashed_total, ds1 + cut1);
	assert_int_equal(th_totals_of(h).burned, cut2 + ds1 + cut1);
	assert_int_equal(th_epoch_rec(h, 1).slashed, cut2 + ds1 + cut1);

	dt_to(d, M2, 30);
	s = th_stake_of(h, V(2));
	assert_int_equal(s.amount, STAKE - cut2 - cut2b);
	assert_int_equal(s.slash_epoch, 2);
	assert_int_equal(s.slash_bps_used, 1200);
	assert_int_equal(s.slashed_total, cut2 + cut2b);
	assert_int_equal(th_stake_of(h, V(1)).amount, STAKE - ds1 - cut1);
	assert_int_equal(th_epoch_rec(h, 2).slashed, cut2b);
}

/*
 * Determinism: the order of the signers does not matter (same state root
 * after every block), and a chain whose validators all sign writes nothing
 * (the same roots as one that never passes a last commit).
 *   a: v2 missing (and v0 in block 15), signers 0,1,3
 *   b: the same, signers listed 3,1,0
 *   c: all sign                      d: never a last commit
 */
static void test_determinism(void **state)
{
	struct dt *a = mk(state), *b = mk(state), *c = mk(state), *d = mk(state);
	uint8_t ra[32], rb[32], rc[32], rd[32];

	b->reverse = 1;
	d->never = 1;
	dt_open(a);
	dt_open(b);
	dt_open(c);
	dt_open(d);
	dt_stake_block(a, MALL, M2);
	dt_stake_block(b, MALL, M2);
	dt_stake_block(c, MALL, 0);
	dt_stake_block(d, MALL, 0);
	for (uint64_t ht = 2; ht <= 2 * EB + 1; ht++) {
		unsigned m = ht == 15 ? M0 | M2 : M2;

		dt_block(a, m, NULL, 0);
		dt_block(b, m, NULL, 0);
		dt_block(c, 0, NULL, 0);
		dt_block(d, 0, NULL, 0);
		tok_runner_root(a->h->r, ra);
		tok_runner_root(b->h->r, rb);
		tok_runner_root(c->h->r, rc);
		tok_runner_root(d->h->r, rd);
		if (memcmp(ra, rb, 32) != 0)
			fail_msg("block %llu: signer order changed the state root",
			         (unsigned long long)ht);
		if (memcmp(rc, rd, 32) != 0)
			fail_msg("block %llu: an all-signed last commit changed the "
			         "state", (unsigned long long)ht);
		/* The roots see the counts and the slashes. */
		assert_memory_not_equal(ra, rc, 32);
	}
	assert_int_equal(nmissed_keys(c->h), 0);
	for (size_t v = 0; v < TH_NVAL; v++) {
		struct ember_stake sa = th_stake_of(a->h, a->h->val[v].pub);
		struct ember_stake sb = th_stake_of(b->h, b->h->val[v].pub);

		assert_memory_equal(&sa, &sb, sizeof(sa));
		/* v2: 9 of 9, then 10 of 10: CUT, then 0.1% of what is left */
		assert_int_equal(sa.amount, v == 2 ? (STAKE - CUT) - (STAKE - CUT) / 1000
		                                   : STAKE);
	}
	assert_int_equal(missed(a->h, 2, 2), 1);
	assert_int_equal(missed(b->h, 2, 2), 1);
}

/* downtime_missed_bps = 10000: no share exceeds 100%, nobody is slashed
 * for downtime even missing everything; the counts still go. */
static void test_missed_bps_max(void **state)
{
	struct dt *d = mk(state);
	struct th *h = d->h;

	h->g.params.downtime_missed_bps = 10000;
	dt_open(d);
	dt_stake_block(d, MALL, MALL);
	dt_to(d, M2 | M3, 9);
	assert_int_equal(missed(h, 0, 2), 8);
	dt_block(d, MALL, NULL, 0);             /* block 10: 9 of 9 for v2, v3 */
	no_counts(h, 0);
	dt_to(d, MALL, 19);
	assert_int_equal(missed(h, 1, 1), 9);
	dt_block(d, MALL, NULL, 0);             /* block 20: 10 of 10 for all */
	no_counts(h, 1);
	for (size_t v = 0; v < TH_NVAL; v++)
		assert_unslashed(h, v, STAKE);
	assert_int_equal(th_totals_of(h).burned, 0);
}

/* slash_downtime_bps = 0: over the threshold, nothing is taken and the
 * stake record's cap is untouched. */
static void test_slash_bps_zero(void **state)
{
	struct dt *d = mk(state);
	struct th *h = d->h;

	h->g.params.slash_downtime_bps = 0;
	dt_open(d);
	dt_stake_block(d, MALL, 0);
	dt_to(d, M2, 20);
	no_counts(h, 0);
	no_counts(h, 1);
	for (size_t v = 0; v < TH_NVAL; v++)
		assert_unslashed(h, v, STAKE);
	assert_int_equal(th_totals_of(h).burned, 0);
	assert_int_equal(th_epoch_rec(h, 1).slashed, 0);
}

/* downtime_missed_bps = 0: a single missed block is more than 0%. */
static void test_missed_bps_zero(void **state)
{
	struct dt *d = mk(state);
	struct th *h = d->h;

	h->g.params.downtime_missed_bps = 0;
	dt_open(d);
	dt_stake_block(d, MALL, 0);
	dt_to(d, 0, 10);
	dt_block(d, M2, NULL, 0);               /* block 11 */
	dt_to(d, 0, 20);
	assert_int_equal(th_stake_of(h, V(2)).amount, STAKE - CUT);
	assert_unslashed(h, 0, STAKE);
	assert_unslashed(h, 1, STAKE);
	assert_unslashed(h, 3, STAKE);
	assert_int_equal(th_totals_of(h).burned, CUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_params_genesis, teardown),
		cmocka_unit_test_teardown(test_counts, teardown),
		cmocka_unit_test_teardown(test_threshold, teardown),
		cmocka_unit_test_teardown(test_threshold_epoch0, teardown),
		cmocka_unit_test_teardown(test_unbonding, teardown),
		cmocka_unit_test_teardown(test_no_stake, teardown),
		cmocka_unit_test_teardown(test_cap, teardown),
		cmocka_unit_test_teardown(test_determinism, teardown),
		cmocka_unit_test_teardown(test_missed_bps_max, teardown),
		cmocka_unit_test_teardown(test_slash_bps_zero, teardown),
		cmocka_unit_test_teardown(test_missed_bps_zero, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
