/*
 * test_market.c - the token economy and GPU market against
 * docs/economics.md, on a real LMDB ledger driven block by block
 * (tokharness.h): every tx kind's happy path, every refusal with its own
 * code and shown to change nothing in the block it happens in, settlement
 * exact to the base unit at its boundaries (run dry mid-epoch, close in
 * the accepting block, completion, segments across epoch boundaries, bme
 * burns at the oracle price), the oracle, slashing and its cap, jail (out
 * of the market until it ends), and the reward pools.  tok_audit() and an
 * independent recount run after every block.
 *
 * Units (tokharness.h): an hour is 100 blocks, so TH_SFA_UNIT per GPU-hour
 * (sfa) or TH_USD_UNIT at $1 per EMB (bme, hybrid) costs exactly 1 EMB per
 * GPU-block.  Every tx pays TH_FEE to validator 0 (the proposer).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ember/addr.h"
#include "tokharness.h"

#define A(i) (h->acc[(i)].pub)
#define V(i) (h->val[(i)].pub)
#define E(x) ((uint64_t)(x) * EMBER_COIN)
#define S TH_START
#define F TH_FEE
#define UNIT TH_SFA_UNIT
#define USD TH_USD_UNIT

static struct th *mk(void **state, const char *model)
{
	struct th *h = th_new(model, 8);

	*state = h;
	return h;
}

static int teardown(void **state)
{
	th_free(*state);
	return 0;
}

/* Register a class-A provider with gpus GPUs and bond `stake` (one block). */
static void provider(struct th *h, int i, uint32_t gpus, uint64_t stake)
{
	struct ember_tx txs[2];
	size_t n = 0;

	txs[n++] = th_register(h, A(i), TH_CLASS_A, gpus);
	if (stake)
		txs[n++] = th_stake(h, A(i), stake);
	th_ok(h, txs, n);
}

/* --- transfers and the common prologue ------------------------------------ */

static void test_transfer(void **state)
{
	struct th *h = mk(state, "bme");
	struct ember_tx tx, txs[3];

	th_open(h);
	th_ok1(h, th_transfer(h, A(0), A(1), E(100)));
	assert_int_equal(th_balance(h, A(0)), S - E(100) - F);
	assert_int_equal(th_balance(h, A(1)), S + E(100));
	assert_int_equal(th_balance(h, V(0)), TH_VSTART + F);
	assert_int_equal(th_nonce(h, A(0)), 1);

	/* balance must cover amount plus fee */
	th_probe(h, th_transfer(h, A(0), A(1), S - E(100) - F - F + 1),
	         EMBER_TX_INSUFFICIENT);
	tx = th_transfer(h, A(0), A(1), 1);
	tx.nonce = 0;
	th_probe(h, tx, EMBER_TX_NONCE_USED);
	tx.nonce = 5;
	th_probe(h, tx, EMBER_TX_NONCE_GAP);
	th_probe(h, th_stake(h, A(2), S), EMBER_TX_INSUFFICIENT);
	th_probe(h, th_order(h, A(2), TH_CLASS_A, 1, USD, 10, S), EMBER_TX_INSUFFICIENT);
	th_empty(h);

	/* A refused tx in a block is skipped; the others apply, and one
	 * sender's consecutive txs use consecutive nonces. */
	txs[0] = th_transfer(h, A(2), A(3), S);         /* fee not covered */
	txs[1] = th_transfer(h, A(4), A(3), E(1));
	txs[2] = th_transfer(h, A(4), A(3), E(2));
	th_block(h, txs, 3);
	assert_int_equal(h->rc[0], EMBER_TX_INSUFFICIENT);
	assert_true(h->why[0][0] != '\0');
	assert_int_equal(h->rc[1], 0);
	assert_int_equal(h->rc[2], 0);
	assert_int_equal(th_balance(h, A(2)), S);
	assert_int_equal(th_nonce(h, A(2)), 0);
	assert_int_equal(th_balance(h, A(4)), S - E(3) - 2 * F);
	assert_int_equal(th_balance(h, A(3)), S + E(3));
	assert_int_equal(th_balance(h, V(0)), TH_VSTART + 3 * F);
	assert_int_equal(th_totals_of(h).supply, h->g.total_supply);

	/* to oneself: only the fee moves */
	th_ok1(h, th_transfer(h, A(5), A(5), E(100)));
	assert_int_equal(th_balance(h, A(5)), S - F);
	assert_int_equal(th_nonce(h, A(5)), 1);
}

/* --- staking ----------------------------------------------------------------- */

static void test_stake_unstake(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_stake s;
	struct tok_totals x;

	th_open(h);
	th_ok1(h, th_stake(h, A(0), E(1000)));                  /* block 1 */
	s = th_stake_of(h, A(0));
	assert_int_equal(s.amount, E(1000));
	assert_int_equal(s.unbonding, 0);
	assert_int_equal(th_balance(h, A(0)), S - E(1000) - F);
	assert_int_equal(th_totals_of(h).staked, E(1000));

	/* insufficient stake to unstake; no stake at all; stake > balance */
	th_probe(h, th_unstake(h, A(0), E(1000) + 1), EMBER_TOK_STAKE_LOW);
	th_probe(h, th_unstake(h, A(1), 1), EMBER_TOK_STAKE_LOW);
	th_probe(h, th_stake(h, A(1), S), EMBER_TX_INSUFFICIENT);
	th_empty(h);                                            /* block 2 */

	th_ok1(h, th_unstake(h, A(0), E(300)));                 /* block 3 */
	s = th_stake_of(h, A(0));
	assert_int_equal(s.amount, E(700));
	assert_int_equal(s.unbonding, E(300));
	assert_int_equal(s.unbonding_entries, 1);
	assert_int_equal(th_unbond_of(h, A(0), 3 + 5), E(300));
	x = th_totals_of(h);
	assert_int_equal(x.staked, E(700));
	assert_int_equal(x.unbonding, E(300));

	/* released exactly at the end of block 3 + unbonding_blocks */
	th_at(h, 8);
	assert_int_equal(th_height(h), 7);
	assert_int_equal(th_balance(h, A(0)), S - E(1000) - 2 * F);
	assert_int_equal(th_stake_of(h, A(0)).unbonding, E(300));
	th_empty(h);                                            /* block 8 */
	assert_int_equal(th_balance(h, A(0)), S - E(700) - 2 * F);
	s = th_stake_of(h, A(0));
	assert_int_equal(s.amount, E(700));
	assert_int_equal(s.unbonding, 0);
	assert_int_equal(s.unbonding_entries, 0);
	assert_int_equal(th_unbond_of(h, A(0), 8), 0);
	x = th_totals_of(h);
	assert_int_equal(x.staked, E(700));
	assert_int_equal(x.unbonding, 0);
}

static void test_unbonding_limit(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[2];
	struct ember_stake s;

	th_open(h);
	th_ok1(h, th_stake(h, A(0), E(100)));                   /* block 1 */
	th_ok1(h, th_unstake(h, A(0), E(1)));                   /* 2: out at 7 */
	th_ok1(h, th_unstake(h, A(0), E(1)));                   /* 3: out at 8 */
	txs[0] = th_unstake(h, A(0), E(1));                     /* 4: out at 9 */
	txs[1] = th_unstake(h, A(0), E(1));                     /* merges */
	th_ok(h, txs, 2);
	s = th_stake_of(h, A(0));
	assert_int_equal(s.unbonding_entries, 3);
	assert_int_equal(s.unbonding, E(4));
	assert_int_equal(th_unbond_of(h, A(0), 9), E(2));

	th_refuse(h, th_unstake(h, A(0), E(1)), EMBER_TOK_UNBONDING_LIMIT);  /* 5 */
	/* Block 7's txs run before its block-end release. */
	th_at(h, 7);
	th_refuse(h, th_unstake(h, A(0), E(1)), EMBER_TOK_UNBONDING_LIMIT);  /* 7 */
	assert_int_equal(th_stake_of(h, A(0)).unbonding_entries, 2);
	assert_int_equal(th_balance(h, A(0)), S - E(100) - 5 * F + E(1));
	th_ok1(h, th_unstake(h, A(0), E(1)));                   /* 8: out at 13 */
	s = th_stake_of(h, A(0));
	assert_int_equal(s.unbonding_entries, 2);               /* 8 released */
	assert_int_equal(s.unbonding, E(3));
	assert_int_equal(th_unbond_of(h, A(0), 13), E(1));
	assert_int_equal(s.amount, E(95));
}

/* --- providers ----------------------------------------------------------- */

static void test_provider_register(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_provider p;

	th_open(h);
	th_ok1(h, th_register(h, A(0), TH_CLASS_A, 2));         /* block 1 */
	p = th_prov_of(h, A(0));
	assert_memory_equal(p.owner, A(0), 32);
	assert_int_equal(p.status, EMBER_PROV_ACTIVE);
	assert_int_equal(p.gpu_class, TH_CLASS_A);
	assert_int_equal(p.gpus, 2);
	assert_int_equal(p.vram_gib, TH_VRAM_A);
	assert_int_equal(p.price_per_gpu_hour, UNIT);
	assert_string_equal(p.region, "eu-west");
	assert_string_equal(p.endpoint, "https://gpu.example/x");
	assert_int_equal(p.gpus_leased, 0);
	assert_int_equal(p.open_leases, 0);
	assert_int_equal(p.registered_height, 1);
	assert_int_equal(p.chal_epoch, EMBER_NO_EPOCH);
	assert_int_equal(p.maint_epoch, EMBER_NO_EPOCH);
	assert_int_equal(p.jailed_until, 0);
	assert_int_equal(th_totals_of(h).providers_active, 1);
	assert_int_equal(th_balance(h, A(0)), S - F);
	assert_int_equal(th_prov_get(h, A(1), &p), EMBER_TOK_NO_PROVIDER);

	th_probe(h, th_register(h, A(1), 9, 1), EMBER_TOK_CLASS);
	th_probe(h, th_prov(h, EMBER_TX_PROV_REGISTER, A(1), TH_CLASS_B, 1,
	                    TH_VRAM_B - 1, UNIT, "eu-west"), EMBER_TOK_CLASS);
	th_probe(h, th_register(h, A(0), TH_CLASS_A, 1), EMBER_TOK_PROVIDER_EXISTS);
	th_probe(h, th_prov(h, EMBER_TX_PROV_UPDATE, A(1), TH_CLASS_A, 1,
	                    TH_VRAM_A, UNIT, "eu-west"), EMBER_TOK_NO_PROVIDER);
	th_probe(h, th_prov(h, EMBER_TX_PROV_UPDATE, A(0), 9, 1, TH_VRAM_A, UNIT,
	                    "eu-west"), EMBER_TOK_CLASS);
	th_probe(h, th_prov(h, EMBER_TX_PROV_UPDATE, A(0), TH_CLASS_B, 1,
	                    TH_VRAM_A, UNIT, "eu-west"), EMBER_TOK_CLASS);
	th_probe(h, th_tx(h, EMBER_TX_PROV_RETIRE, A(1)), EMBER_TOK_NO_PROVIDER);
	th_empty(h);                                            /* block 2 */

	/* update replaces every field */
	th_ok1(h, th_prov(h, EMBER_TX_PROV_UPDATE, A(0), TH_CLASS_B, 4, 96,
	                  2 * UNIT, "us-east"));                /* block 3 */
	p = th_prov_of(h, A(0));
	assert_int_equal(p.status, EMBER_PROV_ACTIVE);
	assert_int_equal(p.gpu_class, TH_CLASS_B);
	assert_int_equal(p.gpus, 4);
	assert_int_equal(p.vram_gib, 96);
	assert_int_equal(p.price_per_gpu_hour, 2 * UNIT);
	assert_string_equal(p.region, "us-east");
	assert_int_equal(p.registered_height, 1);
	assert_int_equal(th_totals_of(h).providers_active, 1);

	th_ok1(h, th_tx(h, EMBER_TX_PROV_RETIRE, A(0)));        /* block 4 */
	assert_int_equal(th_prov_of(h, A(0)).status, EMBER_PROV_RETIRED);
	assert_int_equal(th_totals_of(h).providers_active, 0);
	th_probe(h, th_prov(h, EMBER_TX_PROV_UPDATE, A(0), TH_CLASS_A, 1,
	                    TH_VRAM_A, UNIT, "eu-west"), EMBER_TOK_PROVIDER_RETIRED);
	th_probe(h, th_tx(h, EMBER_TX_PROV_RETIRE, A(0)), EMBER_TOK_PROVIDER_RETIRED);
	th_empty(h);                                            /* block 5 */

	/* a retired provider registers again: the same record, reactivated */
	th_ok1(h, th_register(h, A(0), TH_CLASS_A, 1));         /* block 6 */
	p = th_prov_of(h, A(0));
	assert_int_equal(p.status, EMBER_PROV_ACTIVE);
	assert_int_equal(p.gpu_class, TH_CLASS_A);
	assert_int_equal(p.gpus, 1);
	assert_int_equal(p.vram_gib, TH_VRAM_A);
	assert_string_equal(p.region, "eu-west");
	assert_int_equal(p.registered_height, 1);
	assert_int_equal(th_totals_of(h).providers_active, 1);
	assert_int_equal(th_balance(h, A(0)), S - 4 * F);
}

/* update and retire against GPUs in open leases; ended/dry leases free. */
static void test_provider_leases(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[2];
	struct ember_provider p;
	struct ember_lease l;

	th_open(h);
	provider(h, 2, 4, E(400));                              /* block 1 */
	th_at(h, 11);
	txs[0] = th_order(h, A(0), TH_CLASS_A, 2, UNIT, 100, E(4) + E(1) / 2);
	txs[1] = th_bid(h, A(2), 1, UNIT);
	th_ok(h, txs, 2);                                       /* block 11 */
	/* 2 EMB per block: pays blocks 13 and 14, dry at 14 */
	th_ok1(h, th_accept(h, A(0), 1, A(2)));                 /* block 12 */
	p = th_prov_of(h, A(2));
	assert_int_equal(p.gpus_leased, 2);
	assert_int_equal(p.open_leases, 1);

	txs[0] = th_prov(h, EMBER_TX_PROV_UPDATE, A(2), TH_CLASS_A, 2, TH_VRAM_A,
	                 2 * UNIT, "eu-west");
	th_probe(h, th_prov(h, EMBER_TX_PROV_UPDATE, A(2), TH_CLASS_A, 1,
	                    TH_VRAM_A, UNIT, "eu-west"), EMBER_TOK_LEASES_OPEN);
	th_probe(h, th_prov(h, EMBER_TX_PROV_UPDATE, A(2), TH_CLASS_B, 4,
	                    TH_VRAM_B, UNIT, "eu-west"), EMBER_TOK_LEASES_OPEN);
	th_probe(h, th_tx(h, EMBER_TX_PROV_RETIRE, A(2)), EMBER_TOK_LEASES_OPEN);
	th_ok(h, txs, 1);                                       /* block 13 */
	p = th_prov_of(h, A(2));
	assert_int_equal(p.gpus, 2);
	assert_int_equal(p.price_per_gpu_hour, 2 * UNIT);

	/* The lease ran dry at 14 (stored as open until something settles
	 * it), so its GPUs count as free. */
	th_at(h, 15);
	th_ok1(h, th_prov(h, EMBER_TX_PROV_UPDATE, A(2), TH_CLASS_A, 1, TH_VRAM_A,
	                  UNIT, "eu-west"));                    /* block 15 */
	th_ok1(h, th_tx(h, EMBER_TX_PROV_RETIRE, A(2)));        /* block 16 */
	assert_int_equal(th_prov_of(h, A(2)).status, EMBER_PROV_RETIRED);
	assert_int_equal(th_totals_of(h).providers_active, 0);

	th_at(h, 21);                                           /* 20 settles */
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_FUNDS);
	assert_int_equal(l.close_height, 14);
	assert_int_equal(l.paid_total, E(4));
	p = th_prov_of(h, A(2));
	assert_int_equal(p.gpus_leased, 0);
	assert_int_equal(p.open_leases, 0);
	assert_int_equal(th_balance(h, A(0)), S - E(4) - 2 * F);
	/* sfa: 5% of each charge burned, the rest accrues to the provider */
	assert_int_equal(th_stake_of(h, A(2)).rewards, E(4) - E(4) / 20);
	assert_int_equal(th_totals_of(h).burned, E(4) / 20);
}

static void test_maintenance(void **state)
{
	struct th *h = mk(state, "bme");

	th_open(h);
	th_ok1(h, th_register(h, A(1), TH_CLASS_A, 1));
	th_at(h, 25);                                           /* epoch 2 */
	th_probe(h, th_maint(h, A(1), 1), EMBER_TOK_EPOCH);
	th_probe(h, th_maint(h, A(1), 2), EMBER_TOK_EPOCH);
	th_probe(h, th_maint(h, A(2), 5), EMBER_TOK_NO_PROVIDER);
	th_empty(h);
	th_ok1(h, th_maint(h, A(1), 3));
	assert_int_equal(th_prov_of(h, A(1)).maint_epoch, 3);
	th_ok1(h, th_maint(h, A(1), 4));                        /* replaces */
	assert_int_equal(th_prov_of(h, A(1)).maint_epoch, 4);
	assert_int_equal(th_balance(h, A(1)), S - 3 * F);
}

/* --- orders and bids -------------------------------------------------------- */

/*
 * Block 1 of the sfa market tests: class-A providers A1 (1 GPU, stake
 * 100), A2 (4, 400), A4 (2, 200), A5 (1, 50: below the minimum), class-B
 * A3 (2, 2000); A0 is a tenant and also a provider (1, 100).
 */
static void market_setup(struct th *h)
{
	struct ember_tx txs[12];
	size_t n = 0;

	txs[n++] = th_register(h, A(1), TH_CLASS_A, 1);
	txs[n++] = th_stake(h, A(1), E(100));
	txs[n++] = th_register(h, A(2), TH_CLASS_A, 4);
	txs[n++] = th_stake(h, A(2), E(400));
	txs[n++] = th_register(h, A(3), TH_CLASS_B, 2);
	txs[n++] = th_stake(h, A(3), E(2000));
	txs[n++] = th_register(h, A(4), TH_CLASS_A, 2);
	txs[n++] = th_stake(h, A(4), E(200));
	txs[n++] = th_register(h, A(5), TH_CLASS_A, 1);
	txs[n++] = th_stake(h, A(5), E(50));
	txs[n++] = th_register(h, A(0), TH_CLASS_A, 1);
	txs[n++] = th_stake(h, A(0), E(100));
	th_ok(h, txs, n);
}

static void test_order_bid(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[2];
	struct ember_order o;
	struct ember_bid b;
	struct tok_totals x;

	th_open(h);
	market_setup(h);                                        /* block 1 */
	txs[0] = th_order(h, A(0), TH_CLASS_A, 1, UNIT, 10, E(50));
	txs[1] = th_order(h, A(6), TH_CLASS_A, 2, UNIT, 10, E(50));
	th_ok(h, txs, 2);                                       /* block 2 */
	o = th_order_of(h, 1);
	assert_int_equal(o.id, 1);
	assert_memory_equal(o.tenant, A(0), 32);
	assert_int_equal(o.status, EMBER_ORDER_OPEN);
	assert_int_equal(o.gpu_class, TH_CLASS_A);
	assert_int_equal(o.gpus, 1);
	assert_int_equal(o.max_price_per_gpu_hour, UNIT);
	assert_int_equal(o.duration_blocks, 10);
	assert_int_equal(o.deposit, E(50));
	assert_int_equal(o.created_height, 2);
	assert_int_equal(o.expires_height, 22);
	assert_int_equal(o.nbids, 0);
	assert_int_equal(o.lease_id, 0);
	assert_int_equal(th_order_of(h, 2).gpus, 2);
	x = th_totals_of(h);
	assert_int_equal(x.escrow, E(100));
	assert_int_equal(x.open_orders, 2);
	assert_int_equal(x.next_order_id, 3);
	assert_int_equal(th_balance(h, A(0)), S - E(100) - E(50) - 3 * F);

	th_probe(h, th_bid(h, A(1), 99, UNIT), EMBER_TOK_NO_ORDER);
	th_probe(h, th_bid(h, A(7), 1, UNIT), EMBER_TOK_NO_PROVIDER);
	th_probe(h, th_bid(h, A(3), 1, UNIT), EMBER_TOK_CLASS);
	th_probe(h, th_bid(h, A(1), 1, UNIT + 1), EMBER_TOK_BID_PRICE);
	th_probe(h, th_bid(h, A(1), 2, UNIT), EMBER_TOK_CAPACITY);
	th_probe(h, th_bid(h, A(0), 1, UNIT), EMBER_TOK_SELF_DEAL);
	th_probe(h, th_bid(h, A(5), 1, UNIT), EMBER_TOK_STAKE_LOW);
	th_empty(h);                                            /* block 3 */

	th_ok1(h, th_bid(h, A(1), 1, UNIT / 10 * 9));           /* block 4 */
	assert_true(th_bid_of(h, 1, A(1), &b));
	assert_int_equal(b.order_id, 1);
	assert_memory_equal(b.provider, A(1), 32);
	assert_int_equal(b.price_per_gpu_hour, UNIT / 10 * 9);
	assert_int_equal(b.height, 4);
	assert_int_equal(th_order_of(h, 1).nbids, 1);
	/* a bid reserves nothing */
	assert_int_equal(th_prov_of(h, A(1)).gpus_leased, 0);
	assert_int_equal(th_balance(h, A(1)), S - E(100) - 3 * F);
	assert_int_equal(th_totals_of(h).escrow, E(100));

	th_refuse(h, th_bid(h, A(1), 1, UNIT), EMBER_TOK_BID_EXISTS);  /* 5 */
	txs[0] = th_bid(h, A(2), 1, UNIT / 100 * 95);
	txs[1] = th_bid(h, A(4), 1, UNIT / 10 * 8);
	th_ok(h, txs, 2);                                       /* block 6 */
	assert_int_equal(th_order_of(h, 1).nbids, 3);
	/* A5 becomes eligible, but the order has its 3 bids */
	th_probe(h, th_bid(h, A(5), 1, UNIT), EMBER_TOK_BID_LIMIT);
	txs[0] = th_stake(h, A(5), E(50));
	txs[1] = th_order(h, A(7), TH_CLASS_A, 1, UNIT, 10, E(5));
	th_ok(h, txs, 2);                                       /* block 7 */
	th_ok1(h, th_bid(h, A(5), 3, UNIT));                    /* eligible now */
	assert_int_equal(th_order_of(h, 3).nbids, 1);
}

static void test_accept(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[5];
	struct ember_lease l;
	struct ember_order o;
	struct ember_provider p;
	struct tok_totals x;
	uint64_t bal0;

	th_open(h);
	market_setup(h);                                        /* block 1 */
	txs[0] = th_order(h, A(0), TH_CLASS_A, 1, UNIT, 10, E(50));
	txs[1] = th_order(h, A(6), TH_CLASS_A, 2, UNIT, 10, E(50));
	txs[2] = th_order(h, A(7), TH_CLASS_A, 1, UNIT, 10, E(50));
	txs[3] = th_stake(h, A(5), E(50));
	th_ok(h, txs, 4);                                       /* block 2 */
	txs[0] = th_bid(h, A(1), 1, UNIT / 10 * 9);
	txs[1] = th_bid(h, A(2), 1, UNIT / 100 * 95);
	txs[2] = th_bid(h, A(4), 2, UNIT);
	txs[3] = th_bid(h, A(4), 3, UNIT);
	txs[4] = th_bid(h, A(1), 3, UNIT);
	th_ok(h, txs, 5);                                       /* block 3 */
	th_ok1(h, th_bid(h, A(5), 3, UNIT));                    /* block 4 */

	th_probe(h, th_accept(h, A(6), 1, A(1)), EMBER_TOK_NOT_PARTY);
	th_probe(h, th_accept(h, A(0), 1, A(4)), EMBER_TOK_NO_BID);
	th_probe(h, th_accept(h, A(0), 99, A(1)), EMBER_TOK_NO_ORDER);
	th_empty(h);                                            /* block 5 */

	bal0 = th_balance(h, A(0));
	th_ok1(h, th_accept(h, A(0), 1, A(2)));                 /* block 6 */
	l = th_lease_of(h, 1);
	assert_int_equal(l.id, 1);
	assert_int_equal(l.order_id, 1);
	assert_memory_equal(l.tenant, A(0), 32);
	assert_memory_equal(l.provider, A(2), 32);
	assert_int_equal(l.gpu_class, TH_CLASS_A);
	assert_int_equal(l.gpus, 1);
	assert_int_equal(l.price_per_gpu_hour, UNIT / 100 * 95);
	assert_int_equal(l.status, EMBER_LEASE_OPEN);
	assert_int_equal(l.close_reason, EMBER_CLOSE_NONE);
	assert_int_equal(l.start_height, 6);
	assert_int_equal(l.end_height, 16);
	assert_int_equal(l.close_height, 0);
	assert_int_equal(l.settled_height, 6);
	assert_int_equal(l.seg_start, 6);
	assert_int_equal(l.seg_rate_uusd, 0);
	assert_int_equal(l.seg_paid, 0);
	assert_int_equal(l.escrow, E(50));
	assert_int_equal(l.paid_total, 0);
	assert_int_equal(l.deposited_total, E(50));
	o = th_order_of(h, 1);
	assert_int_equal(o.status, EMBER_ORDER_LEASED);
	assert_int_equal(o.lease_id, 1);
	/* every bid on the order is gone */
	assert_false(th_bid_of(h, 1, A(1), NULL));
	assert_false(th_bid_of(h, 1, A(2), NULL));
	p = th_prov_of(h, A(2));
	assert_int_equal(p.gpus_leased, 1);
	assert_int_equal(p.open_leases, 1);
	x = th_totals_of(h);
	assert_int_equal(x.open_orders, 2);
	assert_int_equal(x.open_leases, 1);
	assert_int_equal(x.escrow, E(150));
	assert_int_equal(x.next_lease_id, 2);
	assert_int_equal(th_balance(h, A(0)), bal0 - F);

	th_probe(h, th_accept(h, A(0), 1, A(1)), EMBER_TOK_ORDER_CLOSED);
	th_probe(h, th_bid(h, A(4), 1, UNIT), EMBER_TOK_ORDER_CLOSED);
	th_empty(h);                                            /* block 7 */

	/* A4's 2 GPUs go to order 2, so its bid on order 3 cannot be taken. */
	th_ok1(h, th_accept(h, A(6), 2, A(4)));                 /* block 8 */
	assert_int_equal(th_prov_of(h, A(4)).gpus_leased, 2);
	txs[0] = th_unstake(h, A(1), E(1));     /* below the minimum now */
	txs[1] = th_tx(h, EMBER_TX_PROV_RETIRE, A(5));
	txs[2] = th_order(h, A(7), TH_CLASS_A, 1, UNIT, 10, E(5));
	th_probe(h, th_accept(h, A(7), 3, A(4)), EMBER_TOK_CAPACITY);
	th_probe(h, th_accept(h, A(7), 3, A(1)), EMBER_TOK_STAKE_LOW);
	th_probe(h, th_accept(h, A(7), 3, A(5)), EMBER_TOK_PROVIDER_RETIRED);
	th_probe(h, th_bid(h, A(5), 4, UNIT), EMBER_TOK_PROVIDER_RETIRED);
	th_ok(h, txs, 3);                                       /* block 9 */
	assert_int_equal(th_order_of(h, 3).status, EMBER_ORDER_OPEN);
	assert_int_equal(th_order_of(h, 3).nbids, 3);
}

static void test_order_expiry(void **state)
{
	struct th *h = mk(state, "bme");
	struct ember_tx txs[2];
	struct tok_totals x;
	int rc;

	th_open(h);
	txs[0] = th_register(h, A(1), TH_CLASS_A, 1);
	txs[1] = th_register(h, A(2), TH_CLASS_A, 1);
	th_ok(h, txs, 2);                                       /* block 1 */
	th_ok1(h, th_order(h, A(0), TH_CLASS_A, 1, USD, 10, E(50)));   /* 2 */
	assert_int_equal(th_order_of(h, 1).expires_height, 22);
	th_ok1(h, th_bid(h, A(1), 1, USD));                     /* block 3 */
	th_at(h, 22);
	assert_int_equal(th_order_of(h, 1).status, EMBER_ORDER_OPEN);
	assert_int_equal(th_totals_of(h).escrow, E(50));

	th_probe(h, th_accept(h, A(0), 1, A(1)), EMBER_TOK_ORDER_EXPIRED);
	th_probe(h, th_bid(h, A(2), 1, USD), EMBER_TOK_ORDER_EXPIRED);
	th_empty(h);                                            /* block 22 */
	assert_int_equal(th_order_of(h, 1).status, EMBER_ORDER_EXPIRED);
	assert_int_equal(th_balance(h, A(0)), S - F);
	x = th_totals_of(h);
	assert_int_equal(x.escrow, 0);
	assert_int_equal(x.open_orders, 0);
	assert_false(th_bid_of(h, 1, A(1), NULL));

	rc = th_apply1(h, th_accept(h, A(0), 1, A(1)));
	assert_true(rc == EMBER_TOK_ORDER_EXPIRED || rc == EMBER_TOK_ORDER_CLOSED);
	assert_int_equal(th_balance(h, A(0)), S - F);
	assert_int_equal(th_totals_of(h).open_leases, 0);
}

/* --- close and topup --------------------------------------------------------- */

/* sfa, emission 0: providers A1, A2 (1 GPU each) lease to A0 at block 4,
 * price UNIT (1 EMB per block), deposit 10 EMB each: leases 1 and 2. */
static void two_leases(struct th *h)
{
	struct ember_tx txs[4];

	txs[0] = th_register(h, A(1), TH_CLASS_A, 1);
	txs[1] = th_stake(h, A(1), E(100));
	txs[2] = th_register(h, A(2), TH_CLASS_A, 1);
	txs[3] = th_stake(h, A(2), E(100));
	th_ok(h, txs, 4);                                       /* block 1 */
	txs[0] = th_order(h, A(0), TH_CLASS_A, 1, UNIT, 100, E(10));
	txs[1] = th_order(h, A(0), TH_CLASS_A, 1, UNIT, 100, E(10));
	th_ok(h, txs, 2);                                       /* block 2 */
	txs[0] = th_bid(h, A(1), 1, UNIT);
	txs[1] = th_bid(h, A(2), 2, UNIT);
	th_ok(h, txs, 2);                                       /* block 3 */
	txs[0] = th_accept(h, A(0), 1, A(1));
	txs[1] = th_accept(h, A(0), 2, A(2));
	th_ok(h, txs, 2);                                       /* block 4 */
}

static void test_close(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_lease l;
	struct ember_provider p;
	uint64_t bal0;

	th_open(h);
	two_leases(h);
	bal0 = S - E(20) - 4 * F;
	assert_int_equal(th_balance(h, A(0)), bal0);
	th_probe(h, th_close(h, A(6), 1), EMBER_TOK_NOT_PARTY);
	th_probe(h, th_close(h, A(0), 99), EMBER_TOK_NO_LEASE);
	th_empty(h);                                            /* block 5 */

	th_at(h, 7);
	th_ok1(h, th_close(h, A(0), 1));                        /* block 7 */
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_TENANT);
	assert_int_equal(l.close_height, 7);
	assert_int_equal(l.settled_height, 7);
	assert_int_equal(l.paid_total, E(3));                   /* blocks 5-7 */
	assert_int_equal(th_balance(h, A(0)), bal0 - F + E(7));
	assert_int_equal(th_stake_of(h, A(1)).rewards, E(3) - E(3) / 20);
	assert_int_equal(th_totals_of(h).burned, E(3) / 20);
	p = th_prov_of(h, A(1));
	assert_int_equal(p.gpus_leased, 0);
	assert_int_equal(p.open_leases, 0);
	assert_int_equal(p.work, 3);
	assert_int_equal(p.work_epoch, 0);

	th_probe(h, th_close(h, A(0), 1), EMBER_TOK_LEASE_CLOSED);
	th_probe(h, th_close(h, A(1), 1), EMBER_TOK_LEASE_CLOSED);
	th_empty(h);                                            /* block 8 */
	/* the message gives the close height and reason */
	assert_non_null(strstr(h->probe[0].why, "7"));
	assert_non_null(strstr(h->probe[0].why,
	                       ember_close_reason_name(EMBER_CLOSE_TENANT)));

	th_ok1(h, th_close(h, A(2), 2));                        /* block 9 */
	l = th_lease_of(h, 2);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_PROVIDER);
	assert_int_equal(l.close_height, 9);
	assert_int_equal(l.paid_total, E(5));                   /* blocks 5-9 */
	assert_int_equal(th_balance(h, A(0)), bal0 - F + E(7) + E(5));
	assert_int_equal(th_stake_of(h, A(2)).rewards, E(5) - E(5) / 20);
	assert_int_equal(th_totals_of(h).open_leases, 0);
	assert_int_equal(th_totals_of(h).escrow, 0);
	assert_int_equal(th_totals_of(h).supply,
	                 h->g.total_supply - E(3) / 20 - E(5) / 20);
}

static void test_close_same_block(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[2];
	struct ember_lease l;
	struct ember_provider p;

	th_open(h);
	provider(h, 1, 1, E(100));                              /* block 1 */
	txs[0] = th_order(h, A(0), TH_CLASS_A, 1, UNIT, 100, E(10));
	txs[1] = th_bid(h, A(1), 1, UNIT);
	th_ok(h, txs, 2);                                       /* block 2 */
	txs[0] = th_accept(h, A(0), 1, A(1));
	txs[1] = th_close(h, A(0), 1);
	th_ok(h, txs, 2);                                       /* block 3 */
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_TENANT);
	assert_int_equal(l.start_height, 3);
	assert_int_equal(l.close_height, 3);
	assert_int_equal(l.paid_total, 0);
	assert_int_equal(th_balance(h, A(0)), S - 3 * F);       /* all refunded */
	p = th_prov_of(h, A(1));
	assert_int_equal(p.gpus_leased, 0);
	assert_int_equal(p.open_leases, 0);
	assert_int_equal(p.work_total, 0);
	th_at(h, 11);
	assert_int_equal(th_stake_of(h, A(1)).rewards, 0);
	assert_int_equal(th_balance(h, A(0)), S - 3 * F);
	assert_int_equal(th_totals_of(h).burned, 0);
	assert_int_equal(th_totals_of(h).open_leases, 0);
}

static void test_topup(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[2];
	struct ember_lease l;
	uint64_t bal0;

	th_open(h);
	provider(h, 1, 1, E(100));                              /* block 1 */
	th_at(h, 11);
	txs[0] = th_order(h, A(0), TH_CLASS_A, 1, UNIT, 100, E(5) + E(1) / 2);
	txs[1] = th_bid(h, A(1), 1, UNIT);
	th_ok(h, txs, 2);                                       /* block 11 */
	th_ok1(h, th_accept(h, A(0), 1, A(1)));                 /* block 12 */
	th_probe(h, th_topup(h, A(1), 1, E(1)), EMBER_TOK_NOT_PARTY);
	th_probe(h, th_topup(h, A(0), 99, E(1)), EMBER_TOK_NO_LEASE);
	th_empty(h);                                            /* block 13 */

	/* settles blocks 13-14 first, then adds 2: 5.5 left pays 15-19 */
	th_ok1(h, th_topup(h, A(0), 1, E(2)));                  /* block 14 */
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_OPEN);
	assert_int_equal(l.settled_height, 14);
	assert_int_equal(l.paid_total, E(2));
	assert_int_equal(l.escrow, E(5) + E(1) / 2);
	assert_int_equal(l.deposited_total, E(7) + E(1) / 2);
	assert_int_equal(th_stake_of(h, A(1)).rewards, E(2) - E(2) / 20);

	l = th_lease_view(h, 1, 18);
	assert_int_equal(l.status, EMBER_LEASE_OPEN);
	assert_int_equal(l.paid_total, E(6));
	l = th_lease_view(h, 1, 20);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_FUNDS);
	assert_int_equal(l.close_height, 19);
	assert_int_equal(l.paid_total, E(7));
	assert_int_equal(l.escrow, E(1) / 2);

	/* dry at 19, still open in storage: a top-up never reopens it */
	th_at(h, 20);
	th_refuse(h, th_topup(h, A(0), 1, E(5)), EMBER_TOK_LEASE_CLOSED);  /* 20 */
	bal0 = S - E(5) - E(1) / 2 - E(2) - 3 * F + E(1) / 2;
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_FUNDS);
	assert_int_equal(l.close_height, 19);
	assert_int_equal(l.paid_total, E(7));
	assert_int_equal(th_balance(h, A(0)), bal0);
	assert_int_equal(th_stake_of(h, A(1)).rewards, E(7) - E(7) / 20);
	assert_int_equal(th_totals_of(h).burned, E(7) / 20);
	assert_int_equal(th_prov_of(h, A(1)).work_total, 7);
	assert_int_equal(th_epoch_rec(h, 1).burned, E(7) / 20);
	assert_int_equal(th_epoch_rec(h, 1).work, 7);

	th_at(h, 25);
	th_refuse(h, th_topup(h, A(0), 1, E(5)), EMBER_TOK_LEASE_CLOSED);
	th_at(h, 31);
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_height, 19);
	assert_int_equal(l.paid_total, E(7));
	assert_int_equal(th_balance(h, A(0)), bal0);
	assert_int_equal(th_totals_of(h).open_leases, 0);
	assert_int_equal(th_totals_of(h).escrow, 0);
}

/* --- settlement exactness ------------------------------------------------------ */

/* 1 EMB + half a base unit per block: owed(n) = n EMB + floor(n / 2). */
#define HALF_PRICE (UNIT + 50)

static void test_dry_mid_epoch(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[2];
	struct ember_lease l;
	struct ember_provider p;
	uint64_t bal0 = S - (E(4) + 1) - 2 * F + E(1);

	th_open(h);
	provider(h, 1, 1, E(100));                              /* block 1 */
	th_at(h, 11);
	txs[0] = th_order(h, A(0), TH_CLASS_A, 1, HALF_PRICE, 100, E(4) + 1);
	txs[1] = th_bid(h, A(1), 1, HALF_PRICE);
	th_ok(h, txs, 2);                                       /* block 11 */
	th_ok1(h, th_accept(h, A(0), 1, A(1)));                 /* block 12 */

	/* owed(3) = 3 EMB + 1 <= 4 EMB + 1 < owed(4) = 4 EMB + 2: dry at 15 */
	l = th_lease_view(h, 1, 14);
	assert_int_equal(l.status, EMBER_LEASE_OPEN);
	assert_int_equal(l.settled_height, 14);
	assert_int_equal(l.paid_total, E(2) + 1);
	assert_int_equal(l.escrow, E(2));
	l = th_lease_view(h, 1, 17);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_FUNDS);
	assert_int_equal(l.close_height, 15);
	assert_int_equal(l.paid_total, E(3) + 1);
	assert_int_equal(l.escrow, E(1));                       /* refund */

	th_at(h, 21);                                           /* 20 settles */
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_FUNDS);
	assert_int_equal(l.close_height, 15);
	assert_int_equal(l.settled_height, 15);
	assert_int_equal(l.paid_total, E(3) + 1);
	assert_int_equal(th_balance(h, A(0)), bal0);
	/* burn floor(5% of 3 EMB + 1) = 0.15 EMB; the provider gets the rest */
	assert_int_equal(th_stake_of(h, A(1)).rewards, E(3) + 1 - E(3) / 20);
	assert_int_equal(th_totals_of(h).burned, E(3) / 20);
	p = th_prov_of(h, A(1));
	assert_int_equal(p.work_epoch, 1);
	assert_int_equal(p.work, 3);
	assert_int_equal(p.work_total, 3);
	assert_int_equal(p.gpus_leased, 0);
	assert_int_equal(p.open_leases, 0);

	/* never charged after */
	th_at(h, 41);
	assert_int_equal(th_balance(h, A(0)), bal0);
	assert_int_equal(th_lease_of(h, 1).paid_total, E(3) + 1);
	assert_int_equal(th_totals_of(h).burned, E(3) / 20);
}

static void test_lease_completes(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[2];
	struct ember_lease l;

	th_open(h);
	provider(h, 1, 1, E(100));                              /* block 1 */
	th_at(h, 31);
	txs[0] = th_order(h, A(0), TH_CLASS_A, 1, UNIT, 5, E(10));
	txs[1] = th_bid(h, A(1), 1, UNIT);
	th_ok(h, txs, 2);                                       /* block 31 */
	th_ok1(h, th_accept(h, A(0), 1, A(1)));                 /* 32: ends 37 */
	assert_int_equal(th_lease_of(h, 1).end_height, 37);
	l = th_lease_view(h, 1, 36);
	assert_int_equal(l.status, EMBER_LEASE_OPEN);
	assert_int_equal(l.paid_total, E(4));
	l = th_lease_view(h, 1, 37);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_COMPLETED);
	assert_int_equal(l.close_height, 37);
	assert_int_equal(l.paid_total, E(5));
	assert_int_equal(l.escrow, E(5));
	l = th_lease_view(h, 1, 39);
	assert_int_equal(l.close_height, 37);
	assert_int_equal(l.paid_total, E(5));

	th_at(h, 37);
	th_refuse(h, th_close(h, A(0), 1), EMBER_TOK_LEASE_CLOSED);   /* 37 */
	th_refuse(h, th_topup(h, A(0), 1, E(1)), EMBER_TOK_LEASE_CLOSED);
	/* an ended lease holds no GPUs: the provider may retire */
	th_ok1(h, th_tx(h, EMBER_TX_PROV_RETIRE, A(1)));        /* block 39 */
	th_at(h, 41);
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_COMPLETED);
	assert_int_equal(l.close_height, 37);
	assert_int_equal(l.paid_total, E(5));
	assert_int_equal(th_balance(h, A(0)), S - E(5) - 2 * F);
	assert_int_equal(th_stake_of(h, A(1)).rewards, E(5) - E(5) / 20);
	assert_int_equal(th_totals_of(h).burned, E(5) / 20);
	assert_int_equal(th_prov_of(h, A(1)).work_total, 5);
}

/* A segment restarts its rounding at each epoch boundary. */
static void test_segments(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[2];
	struct ember_lease l;
	struct ember_provider p;

	th_open(h);
	provider(h, 1, 1, E(100));                              /* block 1 */
	th_at(h, 17);
	txs[0] = th_order(h, A(0), TH_CLASS_A, 1, HALF_PRICE, 100, E(10));
	txs[1] = th_bid(h, A(1), 1, HALF_PRICE);
	th_ok(h, txs, 2);                                       /* block 17 */
	th_ok1(h, th_accept(h, A(0), 1, A(1)));                 /* block 18 */
	th_at(h, 21);
	/* 19-20 at the boundary: owed(2) = 2 EMB + 1 */
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_OPEN);
	assert_int_equal(l.settled_height, 20);
	assert_int_equal(l.seg_start, 20);
	assert_int_equal(l.seg_paid, 0);
	assert_int_equal(l.paid_total, E(2) + 1);
	assert_int_equal(l.escrow, E(8) - 1);
	assert_int_equal(th_epoch_rec(h, 1).burned, E(2) / 20);
	th_at(h, 23);
	th_ok1(h, th_close(h, A(0), 1));                        /* block 23 */
	/* 21-23 in the new segment: owed(3) = 3 EMB + 1 */
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_TENANT);
	assert_int_equal(l.close_height, 23);
	assert_int_equal(l.paid_total, E(5) + 2);
	assert_int_equal(th_balance(h, A(0)), S - E(10) - 3 * F + E(5) - 2);
	assert_int_equal(th_stake_of(h, A(1)).rewards,
	                 E(2) + 1 - E(2) / 20 + E(3) + 1 - E(3) / 20);
	assert_int_equal(th_totals_of(h).burned, E(5) / 20);
	p = th_prov_of(h, A(1));
	assert_int_equal(p.work_epoch, 2);
	assert_int_equal(p.work, 3);
	assert_int_equal(p.work_total, 5);
}

/* bme burns price x blocks at each segment's oracle price. */
static void test_bme_burn(void **state)
{
	struct th *h = mk(state, "bme");
	struct ember_tx txs[2];
	struct ember_lease l;

	th_open(h);
	txs[0] = th_register(h, A(1), TH_CLASS_A, 1);
	txs[1] = th_price(h, V(1), 2 * TH_ORACLE);
	th_ok(h, txs, 2);                                       /* block 1 */
	th_at(h, 11);
	assert_int_equal(th_totals_of(h).oracle_uusd, 2 * TH_ORACLE);
	txs[0] = th_order(h, A(0), TH_CLASS_A, 1, USD, 100, E(20));
	txs[1] = th_bid(h, A(1), 1, USD);
	th_ok(h, txs, 2);                                       /* block 11 */
	th_ok1(h, th_accept(h, A(0), 1, A(1)));                 /* block 12 */
	l = th_lease_of(h, 1);
	assert_int_equal(l.seg_rate_uusd, 2 * TH_ORACLE);
	assert_int_equal(l.seg_start, 12);
	th_at(h, 15);
	th_ok1(h, th_price(h, V(1), 4 * TH_ORACLE));            /* block 15 */
	th_at(h, 21);
	/* 13-20 at $2: 0.5 EMB per block */
	l = th_lease_of(h, 1);
	assert_int_equal(l.paid_total, E(4));
	assert_int_equal(l.seg_rate_uusd, 4 * TH_ORACLE);
	assert_int_equal(l.seg_start, 20);
	assert_int_equal(th_epoch_rec(h, 1).burned, E(4));
	th_at(h, 24);
	th_ok1(h, th_close(h, A(0), 1));                        /* block 24 */
	/* 21-24 at $4: 0.25 EMB per block */
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.paid_total, E(5));
	assert_int_equal(th_totals_of(h).burned, E(5));
	assert_int_equal(th_balance(h, A(0)), S - E(20) - 3 * F + E(15));
	assert_int_equal(th_stake_of(h, A(1)).rewards, 0);
	assert_int_equal(th_prov_of(h, A(1)).work_total, 12);
	th_at(h, 31);
	assert_int_equal(th_epoch_rec(h, 2).burned, E(1));
	assert_int_equal(th_totals_of(h).supply, h->g.total_supply - E(5));
}

/* --- oracle ---------------------------------------------------------------------- */

static void test_oracle_median(void **state)
{
	struct th *h = mk(state, "bme");
	const uint8_t r = EMBER_IDX_REPORT;
	struct ember_tx txs[3];
	struct tok_epoch_rec rec;
	struct tok_totals x;

	th_open(h);
	/* epoch 0: three reports, median 3 */
	txs[0] = th_price(h, V(0), 5 * TH_ORACLE);
	txs[1] = th_price(h, V(1), 1 * TH_ORACLE);
	txs[2] = th_price(h, V(2), 3 * TH_ORACLE);
	th_probe(h, th_price(h, A(0), TH_ORACLE), EMBER_TOK_NOT_VALIDATOR);
	th_ok(h, txs, 3);                                       /* block 1 */
	assert_int_equal(th_count_prefix(h, EMBER_DB_INDEX, &r, 1), 3);
	th_at(h, 11);
	x = th_totals_of(h);
	assert_int_equal(x.oracle_uusd, 3 * TH_ORACLE);
	assert_int_equal(x.oracle_epoch, 1);
	rec = th_epoch_rec(h, 0);
	assert_int_equal(rec.oracle_uusd, 3 * TH_ORACLE);
	assert_int_equal(rec.nreports, 3);
	assert_int_equal(th_count_prefix(h, EMBER_DB_INDEX, &r, 1), 0);

	/* epoch 1: four reports (V0's last one counts), lower median 2 */
	th_ok1(h, th_price(h, V(0), 10 * TH_ORACLE));           /* block 11 */
	txs[0] = th_price(h, V(0), 4 * TH_ORACLE);
	txs[1] = th_price(h, V(1), 1 * TH_ORACLE);
	txs[2] = th_price(h, V(2), 3 * TH_ORACLE);
	th_ok(h, txs, 3);                                       /* block 12 */
	th_ok1(h, th_price(h, V(3), 2 * TH_ORACLE));            /* block 13 */
	th_at(h, 21);
	x = th_totals_of(h);
	assert_int_equal(x.oracle_uusd, 2 * TH_ORACLE);
	assert_int_equal(x.oracle_epoch, 2);
	rec = th_epoch_rec(h, 1);
	assert_int_equal(rec.oracle_uusd, 2 * TH_ORACLE);
	assert_int_equal(rec.nreports, 4);

	/* epoch 2: no reports, the price stands */
	th_at(h, 31);
	x = th_totals_of(h);
	assert_int_equal(x.oracle_uusd, 2 * TH_ORACLE);
	assert_int_equal(x.oracle_epoch, 2);
	rec = th_epoch_rec(h, 2);
	assert_int_equal(rec.nreports, 0);
	assert_int_equal(rec.oracle_uusd, 0);
}

static void test_oracle_stale(void **state)
{
	struct th *h = mk(state, "bme");
	struct ember_tx txs[3];
	struct ember_lease l;
	struct tok_totals x;

	h->g.params.oracle_max_age_epochs = 2;  /* genesis price: epochs 0-1 */
	th_open(h);
	txs[0] = th_register(h, A(1), TH_CLASS_A, 1);
	txs[1] = th_register(h, A(2), TH_CLASS_A, 1);
	th_ok(h, txs, 2);                                       /* block 1 */
	th_at(h, 15);
	txs[0] = th_order(h, A(0), TH_CLASS_A, 1, USD, 100, E(50));
	txs[1] = th_order(h, A(3), TH_CLASS_A, 1, USD, 100, E(50));
	th_ok(h, txs, 2);                                       /* block 15 */
	txs[0] = th_bid(h, A(1), 1, USD);
	txs[1] = th_bid(h, A(2), 2, USD);
	th_ok(h, txs, 2);                                       /* block 16 */
	th_ok1(h, th_accept(h, A(0), 1, A(1)));                 /* block 17 */
	th_at(h, 21);
	x = th_totals_of(h);
	assert_int_equal(tok_oracle_fresh(&x, &h->g, 1), 1);
	assert_int_equal(tok_oracle_fresh(&x, &h->g, 2), 0);

	th_at(h, 22);
	th_probe(h, th_order(h, A(4), TH_CLASS_A, 1, USD, 100, E(5)),
	         EMBER_TOK_ORACLE_STALE);
	th_probe(h, th_accept(h, A(3), 2, A(2)), EMBER_TOK_ORACLE_STALE);
	th_probe(h, th_topup(h, A(0), 1, E(1)), EMBER_TOK_ORACLE_STALE);
	th_empty(h);                                            /* block 22 */
	th_at(h, 25);
	th_ok1(h, th_price(h, V(1), 2 * TH_ORACLE));            /* block 25 */
	th_at(h, 31);
	/* the running lease kept paying $1 prices through the stale epoch */
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_OPEN);
	assert_int_equal(l.settled_height, 30);
	assert_int_equal(l.paid_total, E(13));
	assert_int_equal(l.seg_rate_uusd, 2 * TH_ORACLE);
	assert_int_equal(l.escrow, E(37));
	x = th_totals_of(h);
	assert_int_equal(x.oracle_epoch, 3);
	assert_int_equal(tok_oracle_fresh(&x, &h->g, 3), 1);

	txs[0] = th_order(h, A(4), TH_CLASS_A, 1, USD, 100, E(5));
	txs[1] = th_accept(h, A(3), 2, A(2));
	txs[2] = th_topup(h, A(0), 1, E(1));
	th_ok(h, txs, 3);                                       /* block 31 */
	l = th_lease_of(h, 1);
	assert_int_equal(l.paid_total, E(13) + E(1) / 2);
	assert_int_equal(l.escrow, E(37) + E(1) / 2);
	th_at(h, 34);
	th_ok1(h, th_close(h, A(0), 1));                        /* block 34 */
	assert_int_equal(th_lease_of(h, 1).paid_total, E(15));
	assert_int_equal(th_balance(h, A(0)), S - E(15) - 4 * F);
}

/* --- slashing ----------------------------------------------------------------------- */

static void test_slash_fault(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[4];
	struct ember_stake s;
	struct ember_provider p;
	struct tok_epoch_rec rec;
	uint64_t r1 = 909090909090ULL, r2 = 90909090909ULL;

	h->g.params.emission_initial = E(1000);
	th_open(h);
	txs[0] = th_register(h, A(1), TH_CLASS_A, 1);
	txs[1] = th_stake(h, A(1), E(1000));
	txs[2] = th_register(h, A(2), TH_CLASS_A, 1);
	txs[3] = th_stake(h, A(2), E(100));
	th_ok(h, txs, 4);                                       /* block 1 */
	th_at(h, 11);
	/* stake pool: floor(1000 EMB x 1000 / 1100), floor(.. x 100 / 1100) */
	assert_int_equal(th_stake_of(h, A(1)).rewards, r1);
	assert_int_equal(th_stake_of(h, A(2)).rewards, r2);
	rec = th_epoch_rec(h, 0);
	assert_int_equal(rec.emission, E(1000));
	assert_int_equal(rec.minted, r1 + r2);
	assert_int_equal(rec.providers_rewarded, 2);

	th_at(h, 12);
	th_chal(h, A(1), 1, EMBER_CHAL_FAIL);
	th_empty(h);                                            /* block 12 */
	th_at(h, 21);
	s = th_stake_of(h, A(1));
	assert_int_equal(s.amount, E(900));
	assert_int_equal(s.slashed_total, E(100));
	assert_int_equal(s.slash_epoch, 1);
	assert_int_equal(s.slash_bps_used, 1000);
	assert_int_equal(s.rewards, r1);                        /* forfeited */
	p = th_prov_of(h, A(1));
	assert_int_equal(p.jailed_until, 4);
	assert_int_equal(p.uptime_epoch, 1);
	assert_int_equal(p.uptime_known, 2);
	assert_int_equal(p.uptime_bits, 2);                     /* fail, pass */
	assert_int_equal(th_stake_of(h, A(2)).rewards, r2 + E(1000));
	rec = th_epoch_rec(h, 1);
	assert_int_equal(rec.slashed, E(100));
	assert_int_equal(rec.providers_failed, 1);
	assert_int_equal(rec.chal_failed, 1);
	assert_int_equal(rec.chal_missing, 0);
	assert_int_equal(rec.providers_jailed, 1);
	assert_int_equal(rec.providers_rewarded, 1);
	assert_int_equal(rec.minted, E(1000));
	assert_int_equal(rec.burned, E(100));
	assert_int_equal(th_totals_of(h).staked, E(1000));
	assert_int_equal(th_totals_of(h).burned, E(100));

	/* jailed through epoch 3 */
	th_at(h, 35);
	th_probe(h, th_bid(h, A(1), 1, UNIT), EMBER_TOK_JAILED);
	th_ok1(h, th_order(h, A(0), TH_CLASS_A, 1, UNIT, 10, E(10)));  /* 35 */
	th_at(h, 41);
	assert_int_equal(th_stake_of(h, A(1)).rewards, r1);
	assert_int_equal(th_stake_of(h, A(2)).rewards, r2 + E(3000));
	th_ok1(h, th_bid(h, A(1), 1, UNIT));                    /* block 41 */
	th_at(h, 51);
	assert_int_equal(th_stake_of(h, A(1)).rewards, r1 + E(900));
	assert_int_equal(th_stake_of(h, A(2)).rewards, r2 + E(3100));
}

static void test_slash_declared(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[6];
	uint64_t r0 = 333333333333ULL;
	struct tok_epoch_rec rec;

	h->g.params.emission_initial = E(1000);
	th_open(h);
	for (int i = 0; i < 3; i++) {
		txs[2 * i] = th_register(h, A(i + 1), TH_CLASS_A, 1);
		txs[2 * i + 1] = th_stake(h, A(i + 1), E(1000));
	}
	th_ok(h, txs, 6);                                       /* block 1 */
	th_at(h, 5);
	txs[0] = th_maint(h, A(1), 1);
	txs[1] = th_maint(h, A(3), 1);
	th_ok(h, txs, 2);                                       /* block 5 */
	th_at(h, 12);
	th_chal(h, A(1), 1, EMBER_CHAL_MISSING);
	th_chal(h, A(3), 1, EMBER_CHAL_FAIL);
	th_empty(h);                                            /* block 12 */
	th_at(h, 21);
	assert_int_equal(th_stake_of(h, A(1)).amount, E(980));
	assert_int_equal(th_stake_of(h, A(3)).amount, E(980));
	assert_int_equal(th_stake_of(h, A(2)).amount, E(1000));
	/* not jailed; the epoch's rewards forfeited all the same */
	assert_true(th_prov_of(h, A(1)).jailed_until <= 2);
	assert_true(th_prov_of(h, A(3)).jailed_until <= 2);
	assert_int_equal(th_stake_of(h, A(1)).rewards, r0);
	assert_int_equal(th_stake_of(h, A(3)).rewards, r0);
	assert_int_equal(th_stake_of(h, A(2)).rewards, r0 + E(1000));
	rec = th_epoch_rec(h, 1);
	assert_int_equal(rec.providers_failed, 2);
	assert_int_equal(rec.chal_failed, 1);
	assert_int_equal(rec.chal_missing, 1);
	assert_int_equal(rec.providers_jailed, 0);     /* both declared */
	assert_int_equal(rec.slashed, E(40));
	txs[0] = th_order(h, A(0), TH_CLASS_A, 1, UNIT, 10, E(10));
	txs[1] = th_bid(h, A(1), 1, UNIT);
	txs[2] = th_bid(h, A(3), 1, UNIT);
	th_ok(h, txs, 3);                                       /* block 21 */
}

static void test_slash_cap(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[3];
	struct ember_stake s;

	th_open(h);
	txs[0] = th_transfer(h, A(0), V(1), E(1000));
	txs[1] = th_register(h, V(1), TH_CLASS_A, 1);
	txs[2] = th_stake(h, V(1), E(1000));
	th_ok(h, txs, 3);                                       /* block 1 */
	th_at(h, 11);
	th_ok1(h, th_order(h, A(0), TH_CLASS_A, 1, UNIT, 10, E(10)));  /* 11 */
	th_ok1(h, th_evidence(h, A(0), V(1), &h->val[1], EMBER_VOTE_PREVOTE,
	                      7, 0, 1, 2));                     /* block 12 */
	s = th_stake_of(h, V(1));
	assert_int_equal(s.amount, E(950));
	assert_int_equal(s.slash_epoch, 1);
	assert_int_equal(s.slash_bps_used, 500);
	assert_int_equal(th_totals_of(h).burned, E(50));
	assert_true(th_prov_of(h, V(1)).jailed_until > 1);

	th_probe(h, th_bid(h, V(1), 1, UNIT), EMBER_TOK_JAILED);
	th_probe(h, th_evidence(h, A(0), V(1), &h->val[1], EMBER_VOTE_PREVOTE,
	                        7, 0, 1, 2), EMBER_TOK_EVIDENCE_DUP);
	th_probe(h, th_evidence(h, A(2), V(1), &h->val[1], EMBER_VOTE_PREVOTE,
	                        7, 0, 3, 4), EMBER_TOK_EVIDENCE_DUP);
	th_probe(h, th_evidence(h, A(0), A(1), &h->acc[1], EMBER_VOTE_PREVOTE,
	                        7, 0, 1, 2), EMBER_TOK_EVIDENCE);
	th_probe(h, th_evidence(h, A(0), V(2), &h->val[1], EMBER_VOTE_PREVOTE,
	                        7, 0, 1, 2), EMBER_TOK_EVIDENCE);
	th_probe(h, th_evidence(h, A(0), V(2), &h->val[2], EMBER_VOTE_PREVOTE,
	                        7, 0, 5, 5), EMBER_TOK_EVIDENCE);
	th_empty(h);                                            /* block 13 */

	th_chal(h, V(1), 1, EMBER_CHAL_FAIL);
	th_empty(h);                                            /* block 14 */
	th_at(h, 21);
	/* 10% fault cut to the 7% left under the 12% cap: 950 x 7% = 66.5 */
	s = th_stake_of(h, V(1));
	assert_int_equal(s.amount, E(950) - E(665) / 10);
	assert_int_equal(s.slash_bps_used, 1200);
	assert_int_equal(s.slashed_total, E(50) + E(665) / 10);
	assert_int_equal(th_prov_of(h, V(1)).jailed_until, 4);
	assert_int_equal(th_totals_of(h).burned, E(50) + E(665) / 10);
	assert_int_equal(th_epoch_rec(h, 1).burned, E(50) + E(665) / 10);
	assert_int_equal(th_epoch_rec(h, 1).slashed, E(50) + E(665) / 10);

	/* a new epoch, a new cap: 5% of 883.5 */
	th_at(h, 22);
	th_ok1(h, th_evidence(h, A(0), V(1), &h->val[1], EMBER_VOTE_PRECOMMIT,
	                      8, 1, 1, 2));                     /* block 22 */
	s = th_stake_of(h, V(1));
	assert_int_equal(s.amount, E(8835) / 10 - E(8835) / 10 / 20);
	assert_int_equal(s.slash_epoch, 2);
	assert_int_equal(s.slash_bps_used, 500);
}

static void test_slash_unbonding(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_stake s;
	uint64_t bal;

	th_open(h);
	provider(h, 1, 1, E(100));                              /* block 1 */
	th_at(h, 16);
	th_ok1(h, th_unstake(h, A(1), E(3)));                   /* 16: out at 21 */
	th_ok1(h, th_unstake(h, A(1), E(95)));                  /* 17: out at 22 */
	th_chal(h, A(1), 1, EMBER_CHAL_FAIL);
	th_empty(h);                                            /* block 18 */
	s = th_stake_of(h, A(1));
	assert_int_equal(s.amount, E(2));
	assert_int_equal(s.unbonding, E(98));
	th_at(h, 21);
	/* 10% of 100: 2 from stake, then 3 (earliest), then 5 of 95 */
	s = th_stake_of(h, A(1));
	assert_int_equal(s.amount, 0);
	assert_int_equal(s.unbonding, E(90));
	assert_int_equal(s.unbonding_entries, 1);
	assert_int_equal(s.slashed_total, E(10));
	assert_int_equal(th_unbond_of(h, A(1), 21), 0);
	assert_int_equal(th_unbond_of(h, A(1), 22), E(90));
	assert_int_equal(th_totals_of(h).unbonding, E(90));
	assert_int_equal(th_totals_of(h).staked, 0);
	assert_int_equal(th_totals_of(h).burned, E(10));
	bal = th_balance(h, A(1));
	th_empty(h);                                            /* block 21 */
	assert_int_equal(th_balance(h, A(1)), bal);
	th_empty(h);                                            /* block 22 */
	assert_int_equal(th_balance(h, A(1)), bal + E(90));
	s = th_stake_of(h, A(1));
	assert_int_equal(s.unbonding, 0);
	assert_int_equal(s.unbonding_entries, 0);
}

/* --- rewards -------------------------------------------------------------------------- */

static void test_rewards_bme(void **state)
{
	struct th *h = mk(state, "bme");
	struct ember_tx txs[3];
	struct tok_epoch_rec rec;
	uint64_t r1 = 307692307692ULL, r2 = 692307692307ULL, bal;

	h->g.params.emission_initial = E(1000);
	th_open(h);
	txs[0] = th_register(h, A(1), TH_CLASS_A, 1);
	txs[1] = th_register(h, A(2), TH_CLASS_A, 3);
	txs[2] = th_register(h, A(3), TH_CLASS_A, 1);
	th_ok(h, txs, 3);                                       /* block 1 */
	txs[0] = th_order(h, A(4), TH_CLASS_A, 1, USD, 100, E(100));
	txs[1] = th_order(h, A(5), TH_CLASS_A, 3, USD, 100, E(100));
	th_ok(h, txs, 2);                                       /* block 2 */
	txs[0] = th_bid(h, A(1), 1, USD);
	txs[1] = th_bid(h, A(2), 2, USD);
	th_ok(h, txs, 2);                                       /* block 3 */
	th_at(h, 11);
	/* no work in epoch 0: nothing minted */
	rec = th_epoch_rec(h, 0);
	assert_int_equal(rec.minted, 0);
	assert_int_equal(rec.work, 0);
	assert_int_equal(th_totals_of(h).minted, 0);
	assert_int_equal(th_totals_of(h).emission_next, E(1000));

	th_at(h, 12);
	th_ok1(h, th_accept(h, A(4), 1, A(1)));                 /* 12: 8 GPU-blocks */
	th_at(h, 14);
	th_ok1(h, th_accept(h, A(5), 2, A(2)));                 /* 14: 6 x 3 */
	th_at(h, 21);
	/* floor(1000 EMB x 8 / 26), floor(1000 EMB x 18 / 26): 1 unit dust */
	assert_int_equal(th_stake_of(h, A(1)).rewards, r1);
	assert_int_equal(th_stake_of(h, A(2)).rewards, r2);
	assert_int_equal(th_stake_of(h, A(3)).rewards, 0);
	rec = th_epoch_rec(h, 1);
	assert_int_equal(rec.minted, r1 + r2);
	assert_int_equal(rec.work, 26);
	assert_int_equal(rec.providers_rewarded, 2);
	assert_int_equal(rec.burned, E(26));
	assert_int_equal(th_totals_of(h).minted, r1 + r2);

	bal = th_balance(h, A(1));
	th_ok1(h, th_tx(h, EMBER_TX_CLAIM, A(1)));              /* block 21 */
	assert_int_equal(th_balance(h, A(1)), bal + r1 - F);
	assert_int_equal(th_stake_of(h, A(1)).rewards, 0);
	assert_int_equal(th_stake_of(h, A(1)).rewards_total, r1);
	assert_int_equal(th_totals_of(h).rewards, r2);
	th_probe(h, th_tx(h, EMBER_TX_CLAIM, A(1)), EMBER_TOK_NOTHING_TO_CLAIM);
	th_probe(h, th_tx(h, EMBER_TX_CLAIM, A(3)), EMBER_TOK_NOTHING_TO_CLAIM);
	th_empty(h);                                            /* block 22 */

	/* epoch 2: A1 works 10 GPU-blocks, A2 30 but fails its challenge */
	th_chal(h, A(2), 2, EMBER_CHAL_FAIL);
	th_empty(h);                                            /* block 23 */
	th_at(h, 31);
	assert_int_equal(th_stake_of(h, A(1)).rewards, E(1000));
	assert_int_equal(th_stake_of(h, A(2)).rewards, r2);
	assert_int_equal(th_prov_of(h, A(2)).jailed_until, 5);
	assert_int_equal(th_prov_of(h, A(2)).work, 30);
	rec = th_epoch_rec(h, 2);
	assert_int_equal(rec.minted, E(1000));
	assert_int_equal(rec.work, 10);
	assert_int_equal(rec.providers_rewarded, 1);
	assert_int_equal(rec.providers_failed, 1);
	assert_int_equal(rec.burned, E(40));
}

static void test_rewards_sfa(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[9];
	struct tok_epoch_rec rec;
	uint64_t r1 = 71428571428ULL, r2 = 214285714285ULL, r5 = 714285714285ULL;
	size_t n = 0;

	h->g.params.emission_initial = E(1000);
	h->g.params.emission_decay_bps = 1000;
	th_open(h);
	txs[n++] = th_register(h, A(1), TH_CLASS_A, 1);
	txs[n++] = th_stake(h, A(1), E(100));
	txs[n++] = th_register(h, A(2), TH_CLASS_A, 1);
	txs[n++] = th_stake(h, A(2), E(300));
	txs[n++] = th_register(h, A(3), TH_CLASS_A, 1);
	txs[n++] = th_stake(h, A(3), E(50));                    /* below min */
	txs[n++] = th_stake(h, A(4), E(500));                   /* not a provider */
	txs[n++] = th_register(h, A(5), TH_CLASS_B, 1);
	txs[n++] = th_stake(h, A(5), E(1000));
	th_ok(h, txs, n);                                       /* block 1 */
	th_at(h, 11);
	/* by stake among eligible providers: 100, 300, 1000 of 1400 */
	assert_int_equal(th_stake_of(h, A(1)).rewards, r1);
	assert_int_equal(th_stake_of(h, A(2)).rewards, r2);
	assert_int_equal(th_stake_of(h, A(5)).rewards, r5);
	assert_int_equal(th_stake_of(h, A(3)).rewards, 0);
	assert_int_equal(th_stake_of(h, A(4)).rewards, 0);
	rec = th_epoch_rec(h, 0);
	assert_int_equal(rec.emission, E(1000));
	assert_int_equal(rec.minted, r1 + r2 + r5);
	assert_int_equal(rec.providers_rewarded, 3);
	assert_int_equal(th_totals_of(h).emission_next, E(900));

	th_chal(h, A(2), 1, EMBER_CHAL_FAIL);
	th_probe(h, th_tx(h, EMBER_TX_CLAIM, A(4)), EMBER_TOK_NOTHING_TO_CLAIM);
	th_empty(h);                                            /* block 11 */
	th_at(h, 21);
	/* 900 EMB over 100 and 1000; the faulted provider gets nothing */
	assert_int_equal(th_stake_of(h, A(2)).amount, E(270));
	assert_int_equal(th_stake_of(h, A(2)).rewards, r2);
	assert_int_equal(th_stake_of(h, A(1)).rewards, r1 + 81818181818ULL);
	assert_int_equal(th_stake_of(h, A(5)).rewards, r5 + 818181818181ULL);
	rec = th_epoch_rec(h, 1);
	assert_int_equal(rec.emission, E(900));
	assert_int_equal(rec.minted, 81818181818ULL + 818181818181ULL);
	assert_int_equal(rec.providers_rewarded, 2);
	assert_int_equal(rec.providers_failed, 1);
	assert_int_equal(th_totals_of(h).emission_next, E(810));
}

static void test_rewards_hybrid(void **state)
{
	struct th *h = mk(state, "hybrid");
	struct ember_tx txs[4];
	struct tok_epoch_rec rec;

	h->g.params.emission_initial = E(1000);
	th_open(h);
	txs[0] = th_register(h, A(1), TH_CLASS_A, 1);
	txs[1] = th_stake(h, A(1), E(100));
	txs[2] = th_register(h, A(2), TH_CLASS_A, 1);
	txs[3] = th_stake(h, A(2), E(300));
	th_ok(h, txs, 4);                                       /* block 1 */
	th_at(h, 11);
	/* 60% work pool, no work: unminted; 40% by stake */
	assert_int_equal(th_stake_of(h, A(1)).rewards, E(100));
	assert_int_equal(th_stake_of(h, A(2)).rewards, E(300));
	assert_int_equal(th_epoch_rec(h, 0).minted, E(400));
	txs[0] = th_order(h, A(4), TH_CLASS_A, 1, USD, 100, E(50));
	txs[1] = th_bid(h, A(1), 1, USD);
	th_ok(h, txs, 2);                                       /* block 11 */
	th_ok1(h, th_accept(h, A(4), 1, A(1)));                 /* block 12 */
	th_at(h, 21);
	assert_int_equal(th_stake_of(h, A(1)).rewards, E(100) + E(600) + E(100));
	assert_int_equal(th_stake_of(h, A(2)).rewards, E(300) + E(300));
	rec = th_epoch_rec(h, 1);
	assert_int_equal(rec.minted, E(1000));
	assert_int_equal(rec.burned, E(8));                     /* all burned */
	assert_int_equal(rec.work, 8);
	assert_int_equal(th_lease_of(h, 1).paid_total, E(8));

	/* A1 drops below its minimum: its lease runs on, but it earns from
	 * neither pool, and the work pool (no eligible work) is not minted */
	th_ok1(h, th_unstake(h, A(1), E(1)));                   /* block 21 */
	th_at(h, 31);
	assert_int_equal(th_stake_of(h, A(1)).rewards, E(800));
	assert_int_equal(th_stake_of(h, A(2)).rewards, E(600) + E(400));
	rec = th_epoch_rec(h, 2);
	assert_int_equal(rec.minted, E(400));
	assert_int_equal(rec.burned, E(10));
	assert_int_equal(th_lease_of(h, 1).paid_total, E(18));
	assert_int_equal(th_prov_of(h, A(1)).work, 10);
}

/* No oracle price at genesis: bme orders wait for the first reports. */
static void test_oracle_none(void **state)
{
	struct th *h = mk(state, "bme");
	struct tok_totals x;

	h->g.params.oracle_initial_uusd = 0;
	th_open(h);
	x = th_totals_of(h);
	assert_int_equal(x.oracle_uusd, 0);
	assert_int_equal(tok_oracle_fresh(&x, &h->g, 0), 0);
	th_probe(h, th_order(h, A(0), TH_CLASS_A, 1, USD, 10, E(5)),
	         EMBER_TOK_ORACLE_STALE);
	th_ok1(h, th_price(h, V(2), 3 * TH_ORACLE));            /* block 1 */
	th_refuse(h, th_order(h, A(0), TH_CLASS_A, 1, USD, 10, E(5)),
	          EMBER_TOK_ORACLE_STALE);                      /* block 2 */
	th_at(h, 11);
	x = th_totals_of(h);
	assert_int_equal(x.oracle_uusd, 3 * TH_ORACLE);
	assert_int_equal(x.oracle_epoch, 1);
	th_ok1(h, th_order(h, A(0), TH_CLASS_A, 1, USD, 10, E(5)));
}

/* A dry lease's GPUs are free before anything settles it: the provider
 * may shrink below the stored gpus_leased, bid, and be accepted, which
 * settles the dry lease first. */
static void test_capacity_after_dry(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[2];
	struct ember_lease l;
	struct ember_provider p;

	th_open(h);
	provider(h, 2, 4, E(400));                              /* block 1 */
	th_at(h, 11);
	txs[0] = th_order(h, A(0), TH_CLASS_A, 4, UNIT, 100, E(4) + E(1) / 2);
	txs[1] = th_bid(h, A(2), 1, UNIT);
	th_ok(h, txs, 2);                                       /* block 11 */
	th_ok1(h, th_accept(h, A(0), 1, A(2)));                 /* 12: dry at 13 */
	th_at(h, 14);
	th_ok1(h, th_prov(h, EMBER_TX_PROV_UPDATE, A(2), TH_CLASS_A, 2, TH_VRAM_A,
	                  UNIT, "eu-west"));                    /* block 14 */
	p = th_prov_of(h, A(2));
	assert_int_equal(p.gpus, 2);
	txs[0] = th_order(h, A(6), TH_CLASS_A, 2, UNIT, 100, E(10));
	txs[1] = th_bid(h, A(2), 2, UNIT);
	th_ok(h, txs, 2);                                       /* block 15 */
	th_probe(h, th_prov(h, EMBER_TX_PROV_UPDATE, A(2), TH_CLASS_A, 1,
	                    TH_VRAM_A, UNIT, "eu-west"), EMBER_TOK_LEASES_OPEN);
	th_ok1(h, th_accept(h, A(6), 2, A(2)));                 /* block 16 */
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_FUNDS);
	assert_int_equal(l.close_height, 13);
	assert_int_equal(l.paid_total, E(4));
	assert_int_equal(th_balance(h, A(0)), S - E(4) - 2 * F);
	p = th_prov_of(h, A(2));
	assert_int_equal(p.gpus_leased, 2);
	assert_int_equal(p.open_leases, 1);
	assert_int_equal(p.work, 4);
	th_at(h, 21);
	p = th_prov_of(h, A(2));
	assert_int_equal(p.work_epoch, 1);
	assert_int_equal(p.work, 4 + 8);                        /* 17-20 x 2 */
	assert_int_equal(th_lease_of(h, 2).paid_total, E(8));
	assert_int_equal(th_stake_of(h, A(2)).rewards, E(12) - E(12) / 20);
}

/* Funds that last exactly to an epoch boundary: the lease has paid for
 * every block so far; the next block decides, at the new segment's price. */
static void test_dry_at_boundary(void **state)
{
	struct th *h = mk(state, "bme");
	struct ember_tx txs[4];
	struct ember_lease l;

	th_open(h);
	txs[0] = th_register(h, A(1), TH_CLASS_A, 1);
	txs[1] = th_register(h, A(2), TH_CLASS_A, 1);
	th_ok(h, txs, 2);                                       /* block 1 */
	th_at(h, 11);
	txs[0] = th_order(h, A(0), TH_CLASS_A, 1, USD, 100, E(8));
	txs[1] = th_order(h, A(3), TH_CLASS_A, 1, USD, 100, E(8) + E(1) / 2);
	txs[2] = th_bid(h, A(1), 1, USD);
	txs[3] = th_bid(h, A(2), 2, USD);
	th_ok(h, txs, 4);                                       /* block 11 */
	txs[0] = th_accept(h, A(0), 1, A(1));
	txs[1] = th_accept(h, A(3), 2, A(2));
	th_ok(h, txs, 2);                                       /* block 12 */
	th_at(h, 15);
	th_ok1(h, th_price(h, V(1), 2 * TH_ORACLE));            /* block 15 */
	th_at(h, 21);
	l = th_lease_of(h, 1);
	assert_int_equal(l.settled_height, 20);
	assert_int_equal(l.paid_total, E(8));
	assert_int_equal(l.escrow, 0);
	l = th_lease_of(h, 2);
	assert_int_equal(l.status, EMBER_LEASE_OPEN);
	assert_int_equal(l.paid_total, E(8));
	assert_int_equal(l.escrow, E(1) / 2);
	assert_int_equal(l.seg_rate_uusd, 2 * TH_ORACLE);

	/* lease 1 cannot pay block 21: closed as of 20, never reopened */
	th_refuse(h, th_topup(h, A(0), 1, E(5)), EMBER_TOK_LEASE_CLOSED);  /* 21 */
	/* lease 2's half EMB pays block 21 at $2 */
	l = th_lease_view(h, 2, 21);
	assert_int_equal(l.status, EMBER_LEASE_OPEN);
	assert_int_equal(l.paid_total, E(8) + E(1) / 2);
	l = th_lease_view(h, 2, 22);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_FUNDS);
	assert_int_equal(l.close_height, 21);
	th_at(h, 31);
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_FUNDS);
	assert_int_equal(l.close_height, 20);
	assert_int_equal(l.paid_total, E(8));
	l = th_lease_of(h, 2);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_height, 21);
	assert_int_equal(l.paid_total, E(8) + E(1) / 2);
	assert_int_equal(th_balance(h, A(0)), S - E(8) - 2 * F);
	assert_int_equal(th_balance(h, A(3)), S - E(8) - E(1) / 2 - 2 * F);
	assert_int_equal(th_totals_of(h).burned, E(16) + E(1) / 2);
}

/* Prices at their maxima: a deposit that cannot pay one block, and an
 * oracle crash to 1 micro-USD that makes one block cost more than 2^64. */
static void test_extremes(void **state)
{
	struct th *h = mk(state, "bme");
	struct ember_tx txs[3];
	struct ember_lease l;

	th_open(h);
	txs[0] = th_register(h, A(1), TH_CLASS_A, EMBER_GPUS_MAX);
	txs[1] = th_register(h, A(2), TH_CLASS_A, 2);
	txs[2] = th_order(h, A(0), TH_CLASS_A, EMBER_GPUS_MAX, EMBER_PRICE_MAX,
	                  100, E(1));
	th_ok(h, txs, 3);                                       /* block 1 */
	th_ok1(h, th_bid(h, A(1), 1, EMBER_PRICE_MAX));         /* block 2 */
	th_ok1(h, th_accept(h, A(0), 1, A(1)));                 /* block 3 */
	l = th_lease_view(h, 1, 4);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_FUNDS);
	assert_int_equal(l.close_height, 3);
	assert_int_equal(l.paid_total, 0);
	assert_int_equal(l.escrow, E(1));
	th_refuse(h, th_topup(h, A(0), 1, E(5)), EMBER_TOK_LEASE_CLOSED);   /* 4 */
	th_at(h, 11);
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_height, 3);
	assert_int_equal(th_balance(h, A(0)), S - 2 * F);
	assert_int_equal(th_prov_of(h, A(1)).gpus_leased, 0);

	/* $1M per GPU-hour x 2 at $1: 20,000 EMB a block */
	th_at(h, 17);
	txs[0] = th_order(h, A(4), TH_CLASS_A, 2, EMBER_PRICE_MAX, 1000,
	                  E(85000));
	txs[1] = th_bid(h, A(2), 2, EMBER_PRICE_MAX);
	txs[2] = th_price(h, V(1), 1);
	th_ok(h, txs, 3);                                       /* block 17 */
	th_ok1(h, th_accept(h, A(4), 2, A(2)));                 /* block 18 */
	th_at(h, 21);
	l = th_lease_of(h, 2);
	assert_int_equal(l.paid_total, E(40000));
	assert_int_equal(l.seg_rate_uusd, 1);
	assert_int_equal(th_totals_of(h).oracle_uusd, 1);
	l = th_lease_view(h, 2, 25);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_height, 20);
	th_at(h, 31);
	l = th_lease_of(h, 2);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_FUNDS);
	assert_int_equal(l.close_height, 20);
	assert_int_equal(l.paid_total, E(40000));
	assert_int_equal(th_balance(h, A(4)), S - E(40000) - 2 * F);
}

/* --- jail (docs/economics.md, "Jail") ---------------------------------------- */

/* The probe i of the last block said `want`. */
static void why_has(struct th *h, size_t i, const char *want)
{
	if (!strstr(h->probe[i].why, want))
		fail_msg("probe %zu said '%s', which lacks '%s'", i, h->probe[i].why,
		         want);
}

/*
 * A provider jailed by a challenge fault is out of the market for the
 * whole jail: its bids are refused and its earlier bid cannot be accepted
 * (no lease), both with a reason naming it and the epoch the jail ends;
 * its running lease goes on; other providers trade as usual; and from the
 * jail's end it bids again and its earlier bid can be accepted.
 */
static void test_jail_market(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[3];
	struct ember_provider p;
	struct ember_lease l;
	char addr[EMBER_ADDR_BUFLEN], want[160];
	uint64_t until;

	h->g.params.order_ttl_blocks = 40;      /* orders outlive the jail */
	th_open(h);
	ember_addr_encode(A(1), addr);
	provider(h, 1, 2, E(1000));                             /* block 1 */
	provider(h, 2, 1, E(1000));                             /* block 2 */
	txs[0] = th_order(h, A(0), TH_CLASS_A, 1, UNIT, 30, E(40));
	txs[1] = th_order(h, A(0), TH_CLASS_A, 1, UNIT, 10, E(20));
	txs[2] = th_order(h, A(3), TH_CLASS_A, 1, UNIT, 10, E(20));
	th_ok(h, txs, 3);                                       /* block 3 */
	txs[0] = th_bid(h, A(1), 1, UNIT);
	txs[1] = th_bid(h, A(1), 2, UNIT);
	th_ok(h, txs, 2);                                       /* block 4 */
	th_ok1(h, th_accept(h, A(0), 1, A(1)));                 /* block 5 */
	assert_memory_equal(th_lease_of(h, 1).provider, A(1), 32);

	/* a fault in epoch 0, judged at block 10: jailed through epoch 2 */
	until = th_jail(h, A(1));                               /* blocks 6-10 */
	assert_int_equal(until, 3);
	assert_int_equal(th_height(h), 10);
	p = th_prov_of(h, A(1));
	assert_int_equal(p.status, EMBER_PROV_ACTIVE);  /* stored: still active */
	assert_int_equal(ember_prov_state(&p, 1), EMBER_PROV_STATE_JAILED);
	assert_int_equal(ember_prov_state(&p, 2), EMBER_PROV_STATE_JAILED);
	assert_int_equal(ember_prov_state(&p, 3), EMBER_PROV_STATE_ACTIVE);
	p = th_prov_of(h, A(2));
	assert_int_equal(ember_prov_state(&p, 1), EMBER_PROV_STATE_ACTIVE);

	/* epoch 1: no bid, and no accept of the bid from before the jail */
	th_probe(h, th_bid(h, A(1), 3, UNIT), EMBER_TOK_JAILED);
	th_probe(h, th_accept(h, A(0), 2, A(1)), EMBER_TOK_JAILED);
	th_empty(h);                                            /* block 11 */
	snprintf(want, sizeof want, "provider '%s' is jailed until epoch 3 (now epoch 1)",
	         addr);
	why_has(h, 0, want);
	why_has(h, 0, "cannot bid on order 3; it may bid again from epoch 3");
	why_has(h, 1, want);
	why_has(h, 1, "its bid on order 2 cannot be accepted before epoch 3");
	assert_true(th_bid_of(h, 2, A(1), NULL));       /* the bid stays */
	assert_int_equal(th_order_of(h, 2).status, EMBER_ORDER_OPEN);
	assert_int_equal(th_totals_of(h).next_lease_id, 2);

	/* the market goes on without it */
	txs[0] = th_bid(h, A(2), 3, UNIT);
	txs[1] = th_accept(h, A(3), 3, A(2));
	th_ok(h, txs, 2);                                       /* block 12 */
	assert_memory_equal(th_lease_of(h, 2).provider, A(2), 32);

	/* its lease keeps running and being paid through the jail */
	th_at(h, 21);
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_OPEN);
	assert_int_equal(l.settled_height, 20);
	assert_int_equal(l.paid_total, E(15));

	/* the jail's last block still refuses */
	th_at(h, 30);
	th_probe(h, th_accept(h, A(0), 2, A(1)), EMBER_TOK_JAILED);
	th_probe(h, th_bid(h, A(1), 2, UNIT), EMBER_TOK_JAILED);
	th_empty(h);                                            /* block 30 */

	/* epoch 3: out of jail, it bids and its old bid is accepted */
	p = th_prov_of(h, A(1));
	assert_int_equal(ember_prov_state(&p, tok_epoch_of(&h->g, 31)),
	                 EMBER_PROV_STATE_ACTIVE);
	txs[0] = th_order(h, A(3), TH_CLASS_A, 1, UNIT, 10, E(20));
	txs[1] = th_bid(h, A(1), 4, UNIT);
	txs[2] = th_accept(h, A(0), 2, A(1));
	th_ok(h, txs, 3);                                       /* block 31 */
	l = th_lease_of(h, 3);
	assert_int_equal(l.order_id, 2);
	assert_memory_equal(l.provider, A(1), 32);
	assert_true(th_bid_of(h, 4, A(1), NULL));

	/* the lease from before the jail ran its full term */
	th_at(h, 41);
	l = th_lease_of(h, 1);
	assert_int_equal(l.status, EMBER_LEASE_CLOSED);
	assert_int_equal(l.close_reason, EMBER_CLOSE_COMPLETED);
	assert_int_equal(l.close_height, 35);
	assert_int_equal(l.paid_total, E(30));
}

/* Double-sign evidence jails at once, from its own block: the provider's
 * bid placed just before cannot be accepted in the next block. */
static void test_jail_evidence(void **state)
{
	struct th *h = mk(state, "sfa");
	struct ember_tx txs[3];
	struct ember_provider p;
	char addr[EMBER_ADDR_BUFLEN], want[160];

	th_open(h);
	ember_addr_encode(V(1), addr);
	txs[0] = th_transfer(h, A(0), V(1), E(1000));
	txs[1] = th_register(h, V(1), TH_CLASS_A, 1);
	txs[2] = th_stake(h, V(1), E(1000));
	th_ok(h, txs, 3);                                       /* block 1 */
	th_ok1(h, th_order(h, A(0), TH_CLASS_A, 1, UNIT, 10, E(20)));  /* 2 */
	th_ok1(h, th_bid(h, V(1), 1, UNIT));                    /* block 3 */
	th_ok1(h, th_evidence(h, A(2), V(1), &h->val[1], EMBER_VOTE_PREVOTE,
	                      2, 0, 1, 2));                     /* block 4 */
	p = th_prov_of(h, V(1));
	assert_int_equal(p.jailed_until, 0 + 1 + h->g.params.jail_epochs);
	assert_int_equal(ember_prov_state(&p, 0), EMBER_PROV_STATE_JAILED);

	th_probe(h, th_accept(h, A(0), 1, V(1)), EMBER_TOK_JAILED);
	th_probe(h, th_bid(h, V(1), 1, UNIT * 2), EMBER_TOK_JAILED);
	th_empty(h);                                            /* block 5 */
	snprintf(want, sizeof want, "provider '%s' is jailed until epoch 3 (now epoch 0)",
	         addr);
	why_has(h, 0, want);
	why_has(h, 0, "its bid on order 1 cannot be accepted before epoch 3");
	why_has(h, 1, want);
	assert_int_equal(th_totals_of(h).open_leases, 0);
	assert_int_equal(th_order_of(h, 1).status, EMBER_ORDER_OPEN);
}

/* ember_prov_state: jailed is derived from the record and the epoch,
 * retired wins over jailed, and names and parse agree. */
static void test_prov_state(void **state)
{
	static const struct { uint8_t v; const char *name; } names[] = {
		{ EMBER_PROV_STATE_ACTIVE, "active" },
		{ EMBER_PROV_STATE_RETIRED, "retired" },
		{ EMBER_PROV_STATE_JAILED, "jailed" },
	};
	struct ember_provider p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.status = EMBER_PROV_ACTIVE;
	assert_int_equal(ember_prov_state(&p, 0), EMBER_PROV_STATE_ACTIVE);
	p.jailed_until = 5;
	assert_int_equal(ember_prov_state(&p, 0), EMBER_PROV_STATE_JAILED);
	assert_int_equal(ember_prov_state(&p, 4), EMBER_PROV_STATE_JAILED);
	assert_int_equal(ember_prov_state(&p, 5), EMBER_PROV_STATE_ACTIVE);
	assert_int_equal(ember_prov_state(&p, UINT64_MAX), EMBER_PROV_STATE_ACTIVE);
	p.jailed_until = UINT64_MAX;
	assert_int_equal(ember_prov_state(&p, UINT64_MAX - 1), EMBER_PROV_STATE_JAILED);
	p.status = EMBER_PROV_RETIRED;
	assert_int_equal(ember_prov_state(&p, 0), EMBER_PROV_STATE_RETIRED);
	p.jailed_until = 0;
	assert_int_equal(ember_prov_state(&p, 0), EMBER_PROV_STATE_RETIRED);
	p.status = 0;
	assert_int_equal(ember_prov_state(&p, 0), 0);
	p.status = 3;
	assert_int_equal(ember_prov_state(&p, 0), 0);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_string_equal(ember_prov_state_name(names[i].v), names[i].name);
		assert_int_equal(ember_prov_state_parse(names[i].name), names[i].v);
	}
	assert_null(ember_prov_state_name(0));
	assert_null(ember_prov_state_name(4));
	assert_int_equal(ember_prov_state_parse("Jailed"), 0);
	assert_int_equal(ember_prov_state_parse(""), 0);
	assert_int_equal(ember_prov_state_parse(NULL), 0);
	/* the stored statuses keep their own names */
	assert_null(ember_prov_status_name(EMBER_PROV_STATE_JAILED));
	assert_int_equal(ember_prov_status_parse("jailed"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_transfer, teardown),
		cmocka_unit_test_teardown(test_stake_unstake, teardown),
		cmocka_unit_test_teardown(test_unbonding_limit, teardown),
		cmocka_unit_test_teardown(test_provider_register, teardown),
		cmocka_unit_test_teardown(test_provider_leases, teardown),
		cmocka_unit_test_teardown(test_maintenance, teardown),
		cmocka_unit_test_teardown(test_order_bid, teardown),
		cmocka_unit_test_teardown(test_accept, teardown),
		cmocka_unit_test_teardown(test_order_expiry, teardown),
		cmocka_unit_test_teardown(test_close, teardown),
		cmocka_unit_test_teardown(test_close_same_block, teardown),
		cmocka_unit_test_teardown(test_topup, teardown),
		cmocka_unit_test_teardown(test_dry_mid_epoch, teardown),
		cmocka_unit_test_teardown(test_lease_completes, teardown),
		cmocka_unit_test_teardown(test_segments, teardown),
		cmocka_unit_test_teardown(test_bme_burn, teardown),
		cmocka_unit_test_teardown(test_capacity_after_dry, teardown),
		cmocka_unit_test_teardown(test_dry_at_boundary, teardown),
		cmocka_unit_test_teardown(test_extremes, teardown),
		cmocka_unit_test_teardown(test_oracle_median, teardown),
		cmocka_unit_test_teardown(test_oracle_stale, teardown),
		cmocka_unit_test_teardown(test_oracle_none, teardown),
		cmocka_unit_test_teardown(test_slash_fault, teardown),
		cmocka_unit_test_teardown(test_slash_declared, teardown),
		cmocka_unit_test_teardown(test_slash_cap, teardown),
		cmocka_unit_test_teardown(test_slash_unbonding, teardown),
		cmocka_unit_test_teardown(test_jail_market, teardown),
		cmocka_unit_test_teardown(test_jail_evidence, teardown),
		cmocka_unit_test(test_prov_state),
		cmocka_unit_test_teardown(test_rewards_bme, teardown),
		cmocka_unit_test_teardown(test_rewards_sfa, teardown),
		cmocka_unit_test_teardown(test_rewards_hybrid, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
