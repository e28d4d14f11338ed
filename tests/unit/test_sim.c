/*
 * test_sim.c - ember-sim's engine against the closed forms of
 * docs/economics.md, on the chain's own state-transition code.
 *
 * Every expected figure is derived here from D, P, E and the fee by
 * formula, never read back from the sim, so a change in the rules (or in
 * the script) that moves a token makes these fail.
 *
 * Tolerances, in base units (10^-9 EMB), and why they are what they are:
 *   - burn: the script settles each lease exactly once per epoch, at the
 *     boundary, in one segment, and each settlement floors once
 *     (owed(n) = floor(n x num / den), market.h).  So the epoch's burn is
 *     floor(D/P) minus less than one unit per lease, and the parameters
 *     below make the leases' USD sum exactly D (E x block_time = 60 s, an
 *     exact fraction of an hour).  Under sfa the fee is floor(charge x
 *     bps / 10000) of an already floored charge: under two units per lease.
 *   - mint: each pool is cut floor(pool x weight / total) per provider, so
 *     less than one unit per provider per pool is left unminted.
 *   - D/P itself need not be whole: one unit.
 * With N providers (one lease each) that is at most N + N + 1 units an
 * epoch (bme), against amounts of ~10^11: a relative 10^-10.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/amount.h"
#include "ember/sim.h"

#define USD 1000000ULL            /* micro-USD per USD */
#define EPOCHS_MAX 16

/* Parameters whose lease prices divide exactly: E x block_time = 60,000 ms,
 * so the per-hour price sum is 60 x D (sim.h), whole. */
static void base_cfg(struct sim_cfg *c, enum ember_token_model m, uint32_t n,
                     uint64_t epochs)
{
	sim_cfg_default(c);
	c->model = m;
	c->epochs = epochs;
	c->epoch_blocks = 10;
	c->block_time_ms = 6000;
	c->decay_bps = 0;
	c->curve.kind = SIM_CURVE_CONSTANT;
	c->providers = n;
}

/* Run every epoch of c into ep[], auditing the ledger after each one, and
 * check that each epoch's supply change is its minted less its burned. */
static void run(const struct sim_cfg *c, struct sim_epoch *ep)
{
	struct sim *s = NULL;
	char err[512];
	uint64_t prev = 0;

	assert_true(c->epochs <= EPOCHS_MAX);
	err[0] = '\0';
	if (sim_new(&s, c, err, sizeof(err)) != 0)
		fail_msg("sim_new: %s", err);
	for (uint64_t e = 0; e < c->epochs; e++) {
		if (sim_step(s, &ep[e], err, sizeof(err)) != 0)
			fail_msg("epoch %llu: %s", (unsigned long long)e, err);
		assert_int_equal(ep[e].epoch, e);
		if (sim_audit(s, err, sizeof(err)) != 0)
			fail_msg("audit after epoch %llu: %s", (unsigned long long)e, err);
		if (e > 0)
			assert_int_equal(ep[e].supply - prev, ep[e].minted - ep[e].burned);
		prev = ep[e].supply;
	}
	assert_int_equal(sim_epochs_run(s), c->epochs);
	assert_int_equal(sim_step(s, &ep[0], err, sizeof(err)), EMBER_ERANGE);
	sim_free(s);
}

static int64_t delta(const struct sim_epoch *ep, uint64_t e)
{
	return (int64_t)(ep[e].supply - ep[e - 1].supply);
}

/* |got - want| <= tol, with the figures in the failure message. */
static void near(const char *what, uint64_t e, int64_t got, int64_t want,
                 int64_t tol)
{
	int64_t d = got > want ? got - want : want - got;

	if (d > tol)
		fail_msg("%s in epoch %llu: %lld base units, expected %lld +- %lld",
		         what, (unsigned long long)e, (long long)got, (long long)want,
		         (long long)tol);
}

/*
 * bme, constant D and P, decay 0: after the warm-up epoch each epoch burns
 * D/P, mints E, and so changes the supply by E - D/P.  D/P = 1000/3 EMB is
 * not whole, and 4 providers split the work, so both roundings are live.
 */
static void test_bme_closed_form(void **state)
{
	const uint32_t n = 4;
	const uint64_t d = 1000 * USD, p = 3 * USD, em = 500 * EMBER_COIN;
	const int64_t burn = (int64_t)(d * EMBER_COIN / p);  /* floor(D/P) */
	const int64_t tol = n + n + 1;
	struct sim_epoch ep[EPOCHS_MAX];
	struct sim_cfg c;

	(void)state;
	base_cfg(&c, EMBER_MODEL_BME, n, 6);
	c.demand_uusd = d;
	c.price_uusd = p;
	c.emission = em;
	run(&c, ep);

	/* warm-up: no lease serves epoch 0, so no work and nothing minted */
	assert_int_equal(ep[0].leases, 0);
	assert_int_equal(ep[0].minted, 0);
	assert_int_equal(ep[0].burned, 0);
	for (uint64_t e = 1; e < c.epochs; e++) {
		assert_int_equal(ep[e].leases, n);
		assert_int_equal(ep[e].oracle_uusd, p);
		/* each floor only ever loses: never above the exact figures */
		assert_true((int64_t)ep[e].burned <= burn);
		assert_true(ep[e].minted <= em);
		near("burn", e, (int64_t)ep[e].burned, burn, n);
		near("mint", e, (int64_t)ep[e].minted, (int64_t)em, n);
		near("supply change", e, delta(ep, e), (int64_t)em - burn, tol);
		/* bme: every minted token is a provider's reward */
		assert_int_equal(ep[e].provider_income, ep[e].minted);
		assert_int_equal(ep[e].staked, 0);
	}
}

/* bme with D/P = E: the supply holds still, epoch after epoch, and the
 * rounding does not accumulate past its per-epoch bound. */
static void test_bme_steady(void **state)
{
	const uint32_t n = 3;
	const uint64_t d = 750 * USD, p = 1500000, em = 500 * EMBER_COIN;
	const int64_t tol = n + n + 1;
	struct sim_epoch ep[EPOCHS_MAX];
	struct sim_cfg c;

	(void)state;
	assert_int_equal(d * EMBER_COIN / p, em);   /* the premise: D/P = E */
	base_cfg(&c, EMBER_MODEL_BME, n, 8);
	c.demand_uusd = d;
	c.price_uusd = p;
	c.emission = em;
	run(&c, ep);
	for (uint64_t e = 1; e < c.epochs; e++)
		near("supply change", e, delta(ep, e), 0, tol);
	near("drift since warm-up", c.epochs - 1,
	     (int64_t)(ep[c.epochs - 1].supply - ep[0].supply), 0,
	     tol * (int64_t)(c.epochs - 1));
}

/*
 * sfa: tenants pay D/P tokens to providers, of which protocol_fee_bps is
 * burned; the emission goes to the stake pool.  Supply changes by
 * E - fee x D/P, and providers earn the payments less the fee plus the
 * emission.  D/P = 500 EMB needs 8 GPUs per lease to keep the price per
 * GPU-hour within EMBER_PRICE_MAX, which the sim must work out itself.
 */
static void test_sfa_fee_burn(void **state)
{
	const uint32_t n = 4, fee = 1000;
	const uint64_t d = 1000 * USD, p = 2 * USD, em = 200 * EMBER_COIN;
	const int64_t paid = (int64_t)(d * EMBER_COIN / p);
	const int64_t burn = paid * fee / 10000;
	const int64_t tol = 2 * n + n + 1;
	struct sim_epoch ep[EPOCHS_MAX];
	struct sim_cfg c;

	(void)state;
	base_cfg(&c, EMBER_MODEL_SFA, n, 5);
	c.demand_uusd = d;
	c.price_uusd = p;
	c.emission = em;
	c.protocol_fee_bps = fee;
	run(&c, ep);
	assert_true(ep[0].staked > 0);
	for (uint64_t e = 1; e < c.epochs; e++) {
		assert_int_equal(ep[e].leases, n);
		assert_true(ep[e].lease_gpus > 1);
		near("fee burn", e, (int64_t)ep[e].burned, burn, 2 * n);
		near("mint", e, (int64_t)ep[e].minted, (int64_t)em, n);
		near("supply change", e, delta(ep, e), (int64_t)em - burn, tol);
		near("provider income", e, (int64_t)ep[e].provider_income,
		     paid - burn + (int64_t)em, tol);
		/* stake is locked, not spent: it stays where it was put */
		assert_int_equal(ep[e].staked, ep[0].staked);
	}
}

/* hybrid: the whole payment is burned as under bme, and the emission is
 * minted in two pools (work and stake), each with its own dust. */
static void test_hybrid_closed_form(void **state)
{
	const uint32_t n = 5;
	const uint64_t d = 2000 * USD, p = 4 * USD, em = 300 * EMBER_COIN;
	const int64_t burn = (int64_t)(d * EMBER_COIN / p);
	const int64_t tol = n + 2 * n + 1;
	struct sim_epoch ep[EPOCHS_MAX];
	struct sim_cfg c;

	(void)state;
	base_cfg(&c, EMBER_MODEL_HYBRID, n, 5);
	c.demand_uusd = d;
	c.price_uusd = p;
	c.emission = em;
	c.hybrid_work_share_bps = 7000;
	run(&c, ep);
	for (uint64_t e = 1; e < c.epochs; e++) {
		near("burn", e, (int64_t)ep[e].burned, burn, n);
		near("mint", e, (int64_t)ep[e].minted, (int64_t)em, 2 * n);
		near("supply change", e, delta(ep, e), (int64_t)em - burn, tol);
	}
}

/*
 * Demand that moves: growing demand burns D(e)/P in each epoch e, and a
 * shock to zero leaves providers without work, so from the shock on bme
 * mints nothing ("mints E whenever some provider has work").
 */
static void test_curves_on_chain(void **state)
{
	const uint32_t n = 3;
	const uint64_t p = 1 * USD, em = 100 * EMBER_COIN;
	struct sim_epoch ep[EPOCHS_MAX];
	struct sim_cfg c;
	char err[256];

	(void)state;
	base_cfg(&c, EMBER_MODEL_BME, n, 6);
	c.demand_uusd = 300 * USD;
	c.price_uusd = p;
	c.emission = em;
	assert_int_equal(sim_curve_parse(&c.curve, "growing:50", err, sizeof(err)), 0);
	run(&c, ep);
	for (uint64_t e = 1, dd = c.demand_uusd; e < c.epochs; e++, dd = dd * 3 / 2) {
		assert_int_equal(ep[e].demand_uusd, dd);
		near("growing burn", e, (int64_t)ep[e].burned,
		     (int64_t)(dd * EMBER_COIN / p), n);
	}

	base_cfg(&c, EMBER_MODEL_BME, n, 6);
	c.demand_uusd = 300 * USD;
	c.price_uusd = p;
	c.emission = em;
	assert_int_equal(sim_curve_parse(&c.curve, "shock:3:0", err, sizeof(err)), 0);
	run(&c, ep);
	near("burn before the shock", 2, (int64_t)ep[2].burned, 300 * (int64_t)EMBER_COIN, n);
	near("mint before the shock", 2, (int64_t)ep[2].minted, (int64_t)em, n);
	for (uint64_t e = 3; e < c.epochs; e++) {
		assert_int_equal(ep[e].leases, 0);
		assert_int_equal(ep[e].burned, 0);
		assert_int_equal(ep[e].minted, 0);
	}
}

/* D(e) by formula for each curve shape; no ledger needed. */
static void test_demand(void **state)
{
	struct sim_cfg c;
	uint64_t v;
	char err[256];

	(void)state;
	sim_cfg_default(&c);
	c.curve.kind = SIM_CURVE_CONSTANT;
	c.demand_uusd = 1000 * USD;
	assert_int_equal(sim_demand(&c, 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(sim_demand(&c, 7, &v), 0);
	assert_int_equal(v, 1000 * USD);

	assert_int_equal(sim_curve_parse(&c.curve, "growing:10", err, sizeof(err)), 0);
	assert_int_equal(c.curve.growth_ppm, 100000);
	assert_int_equal(sim_demand(&c, 1, &v), 0);
	assert_int_equal(v, 1000 * USD);
	assert_int_equal(sim_demand(&c, 3, &v), 0);
	assert_int_equal(v, 1210 * USD);
	c.demand_uusd = 7;   /* floored per epoch: 7, 7.7 -> 7, ... */
	assert_int_equal(sim_demand(&c, 5, &v), 0);
	assert_int_equal(v, 7);
	c.demand_uusd = UINT64_MAX / 2;
	assert_int_equal(sim_demand(&c, 20, &v), EMBER_ERANGE);

	c.demand_uusd = 1000 * USD;
	assert_int_equal(sim_curve_parse(&c.curve, "shock:4:2.5", err, sizeof(err)), 0);
	assert_int_equal(sim_demand(&c, 3, &v), 0);
	assert_int_equal(v, 1000 * USD);
	assert_int_equal(sim_demand(&c, 4, &v), 0);
	assert_int_equal(v, 2500 * USD);
	assert_int_equal(sim_demand(&c, 40, &v), 0);
	assert_int_equal(v, 2500 * USD);

	/* ramp:4 -> D/4, D/2, 3D/4, then D; D x e / 4 floored */
	assert_int_equal(sim_curve_parse(&c.curve, "ramp:4", err, sizeof(err)), 0);
	assert_int_equal(c.curve.ramp_epochs, 4);
	for (uint64_t e = 1; e <= 6; e++) {
		assert_int_equal(sim_demand(&c, e, &v), 0);
		assert_int_equal(v, (e < 4 ? e : 4) * 250 * USD);
	}
	c.demand_uusd = 3;
	assert_int_equal(sim_demand(&c, 1, &v), 0);
	assert_int_equal(v, 0);
}

/*
 * The default example (sim_cfg_default, what ember-sim runs without
 * options) reaches the burn-mint equilibrium under bme and hybrid: the
 * demand ramps up to D/P = E by epoch 10 and every later epoch burns what
 * it mints, within the block rounding (2N + 1 units of ~10^14).  sfa burns
 * only the fee share and never gets there.
 */
static void test_default_steady(void **state)
{
	static const enum ember_token_model models[] = {
		EMBER_MODEL_BME, EMBER_MODEL_HYBRID, EMBER_MODEL_SFA,
	};
	struct sim_cfg c;
	struct sim_epoch *ep;
	struct sim *s = NULL;
	char err[512];
	uint64_t from;
	double ratio;

	(void)state;
	sim_cfg_default(&c);
	assert_true((unsigned __int128)c.demand_uusd * EMBER_COIN / c.price_uusd ==
	            c.emission);   /* the premise: D/P = E */
	assert_int_equal(c.decay_bps, 0);
	assert_int_equal(c.curve.kind, SIM_CURVE_RAMP);
	assert_true(c.curve.ramp_epochs + 10 < c.epochs);
	ep = calloc(c.epochs, sizeof(*ep));
	assert_non_null(ep);
	for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
		c.model = models[m];
		if (sim_new(&s, &c, err, sizeof(err)) != 0)
			fail_msg("sim_new: %s", err);
		for (uint64_t e = 0; e < c.epochs; e++)
			if (sim_step(s, &ep[e], err, sizeof(err)) != 0)
				fail_msg("%s epoch %llu: %s", sim_model_name(c.model),
				         (unsigned long long)e, err);
		sim_free(s);
		s = NULL;
		if (c.model == EMBER_MODEL_SFA) {
			assert_int_equal(sim_steady(ep, c.epochs, 10000, 5, &from, &ratio), 0);
			assert_true(ratio < 0.5);
			continue;
		}
		if (sim_steady(ep, c.epochs, 10000, c.epochs / 5, &from, &ratio) != 1)
			fail_msg("%s: no steady state (last burn/mint %.4f)",
			         sim_model_name(c.model), ratio);
		/* the ramp ends at epoch 10: before it burn < 0.9 x mint */
		if (from != c.curve.ramp_epochs)
			fail_msg("%s: steady from epoch %llu, want %llu",
			         sim_model_name(c.model), (unsigned long long)from,
			         (unsigned long long)c.curve.ramp_epochs);
		if (ratio < 0.999 || ratio > 1.001)
			fail_msg("%s: burn/mint %.6f", sim_model_name(c.model), ratio);
		for (uint64_t e = from; e < c.epochs; e++)
			near("burn - mint", e, (int64_t)ep[e].burned,
			     (int64_t)ep[e].minted, 2 * (int64_t)c.providers + 1);
	}
	free(ep);
}

/* sim_steady on hand-made epochs: the window, the minimum, misuse. */
static void test_steady_window(void **state)
{
	struct sim_epoch ep[6];
	uint64_t from = 99;
	double ratio = -1;

	(void)state;
	memset(ep, 0, sizeof(ep));
	for (size_t i = 0; i < 6; i++) {
		ep[i].epoch = i;
		ep[i].minted = 1000;
		ep[i].burned = i < 2 ? 500 : 996 + i;   /* 998, 999, 1000, 1001 */
	}
	ep[0].minted = 0;
	assert_int_equal(sim_steady(ep, 6, 10000, 4, &from, &ratio), 1);
	assert_int_equal(from, 2);
	assert_true(ratio > 0.999 && ratio < 1.0);
	assert_int_equal(sim_steady(ep, 6, 10000, 5, &from, &ratio), 0);
	assert_true(ratio > 1.0 && ratio < 1.002);   /* the last epoch's */
	assert_int_equal(sim_steady(ep, 6, 1000, 1, &from, &ratio), 1);
	assert_int_equal(from, 3);                   /* 0.1%: 999 .. 1001 */
	ep[5].minted = 0;
	assert_int_equal(sim_steady(ep, 6, 10000, 1, &from, &ratio), 0);
	assert_true(ratio == 0);
	assert_int_equal(sim_steady(NULL, 6, 10000, 1, &from, &ratio), EMBER_EINVAL);
	assert_int_equal(sim_steady(ep, 0, 10000, 1, &from, &ratio), EMBER_EINVAL);
}

struct parse_case {
	const char *text;
	unsigned places;
	int err;
	uint64_t v;
};

static const struct parse_case decimal_cases[] = {
	{ "0.5", 6, 0, 500000 },
	{ "40000", 6, 0, 40000000000ULL },
	{ "1.000001", 6, 0, 1000001 },
	{ "12", 0, 0, 12 },
	{ "18446744073709551615", 0, 0, UINT64_MAX },
	{ "18446744073709551616", 0, EMBER_ERANGE, 0 },
	{ "18446744073709.551616", 6, EMBER_ERANGE, 0 },
	{ "99999999999999999999x", 0, EMBER_EPARSE, 0 },
	{ "1.0000001", 6, EMBER_EPARSE, 0 },
	{ "1.5", 0, EMBER_EPARSE, 0 },
	{ "1.", 6, EMBER_EPARSE, 0 },
	{ ".5", 6, EMBER_EPARSE, 0 },
	{ "-1", 6, EMBER_EPARSE, 0 },
	{ "", 6, EMBER_EPARSE, 0 },
	{ "1e3", 6, EMBER_EPARSE, 0 },
};

static void test_parse(void **state)
{
	static const char *const bad_curves[] = {
		"", "sideways", "growing", "growing:", "growing:x", "growing:1.00001",
		"growing:-1", "shock", "shock:3", "shock:0:2", "shock:x:2",
		"shock:3:-1", "constant:1", "ramp", "ramp:", "ramp:0", "ramp:1.5",
	};
	struct sim_curve cv;
	char err[256];
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(decimal_cases) / sizeof(decimal_cases[0]); i++) {
		const struct parse_case *k = &decimal_cases[i];
		int rc = sim_decimal_parse(k->text, k->places, &v);
		if (rc != k->err)
			fail_msg("'%s' (%u places): got %d, want %d", k->text, k->places,
			         rc, k->err);
		if (rc == 0)
			assert_int_equal(v, k->v);
	}
	for (size_t i = 0; i < sizeof(bad_curves) / sizeof(bad_curves[0]); i++) {
		err[0] = '\0';
		if (sim_curve_parse(&cv, bad_curves[i], err, sizeof(err)) != EMBER_EPARSE)
			fail_msg("curve '%s' was accepted", bad_curves[i]);
		assert_non_null(strstr(err, "curve"));
	}
	assert_int_equal(sim_curve_parse(&cv, "constant", err, sizeof(err)), 0);
	assert_int_equal(cv.kind, SIM_CURVE_CONSTANT);
	assert_int_equal(sim_curve_parse(&cv, "shock:12:0.25", err, sizeof(err)), 0);
	assert_int_equal(cv.kind, SIM_CURVE_SHOCK);
	assert_int_equal(cv.shock_epoch, 12);
	assert_int_equal(cv.factor_ppm, 250000);

	assert_int_equal(sim_model_parse("bme"), EMBER_MODEL_BME);
	assert_int_equal(sim_model_parse("hybrid"), EMBER_MODEL_HYBRID);
	assert_int_equal(sim_model_parse("BME"), 0);
	assert_int_equal(sim_model_parse(NULL), 0);
	assert_string_equal(sim_model_name(EMBER_MODEL_SFA), "sfa");
	assert_null(sim_model_name((enum ember_token_model)9));
}

/* Settings the chain cannot hold are refused before any ledger exists,
 * with a message; NULLs are API misuse. */
static void test_misuse(void **state)
{
	struct sim_cfg c;
	struct sim *s = (struct sim *)&c;
	char err[256];

	(void)state;
	sim_cfg_default(&c);
	c.providers = 0;
	err[0] = '\0';
	assert_int_equal(sim_new(&s, &c, err, sizeof(err)), EMBER_EINVAL);
	assert_null(s);
	assert_non_null(strstr(err, "providers"));

	sim_cfg_default(&c);
	c.epochs = 0;
	assert_int_equal(sim_new(&s, &c, err, sizeof(err)), EMBER_EINVAL);
	sim_cfg_default(&c);
	c.price_uusd = 0;
	assert_int_equal(sim_new(&s, &c, err, sizeof(err)), EMBER_EINVAL);
	sim_cfg_default(&c);
	c.model = EMBER_MODEL_NONE;
	assert_int_equal(sim_new(&s, &c, err, sizeof(err)), EMBER_EINVAL);

	/* sfa at a near-zero token price: D/P tokens an epoch need more GPUs
	 * per lease than a provider can register */
	sim_cfg_default(&c);
	c.model = EMBER_MODEL_SFA;
	c.providers = 1;
	c.price_uusd = 1;
	c.demand_uusd = 1000000 * USD;
	err[0] = '\0';
	assert_int_equal(sim_new(&s, &c, err, sizeof(err)), EMBER_ERANGE);
	assert_non_null(strstr(err, "--providers"));

	assert_int_equal(sim_new(NULL, &c, err, sizeof(err)), EMBER_EINVAL);
	assert_int_equal(sim_new(&s, NULL, err, sizeof(err)), EMBER_EINVAL);
	assert_int_equal(sim_step(NULL, NULL, err, sizeof(err)), EMBER_EINVAL);
	sim_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_demand),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_bme_closed_form),
		cmocka_unit_test(test_bme_steady),
		cmocka_unit_test(test_sfa_fee_burn),
		cmocka_unit_test(test_hybrid_closed_form),
		cmocka_unit_test(test_curves_on_chain),
		cmocka_unit_test(test_steady_window),
		cmocka_unit_test(test_default_steady),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
