/*
 * sim.h - ember-sim's engine: the token economy run epoch by epoch on the
 * chain's own state-transition code (tok_runner over a throwaway LMDB
 * ledger), with scripted providers, tenants and validators.  bin/ember-sim
 * and tests/unit/test_sim.c share it, so the closed-form test checks the
 * very numbers the tool prints.
 *
 * The script (one struct sim per token model):
 *
 *   epoch 0 (warm-up): block 1 registers N providers (and stakes each one's
 *     SFA minimum under sfa and hybrid).  No lease serves epoch 0, so under
 *     bme nothing is minted in it (no work).
 *   every epoch e: its first block carries one price report of P from each
 *     genesis validator, so the oracle stays at P and fresh.
 *   the boundary block of epoch e (height (e+1)*E): tenant i orders, provider
 *     i bids and tenant i accepts, one lease per provider, duration E.  A
 *     lease accepted at (e+1)*E is billed for exactly the blocks of epoch
 *     e+1 and completes at that epoch's boundary, so each lease is settled
 *     once, at the boundary (one floor), and epoch e+1's spend is the
 *     demand D(e+1) up to that floor.
 *
 * Demand D(e) is in micro-USD per epoch.  Under bme and hybrid the leases'
 * prices are micro-USD per GPU-hour, chosen so that their total cost over E
 * blocks is D(e) (the tokens burned are then D/P at the oracle price P);
 * under sfa prices are in base units and the leases pay D(e)/P tokens.
 * The total per-hour price R = sum(price x gpus) is floor(T x 3.6e6 /
 * (E x block_time_ms)), T the epoch's target (D in micro-USD, or D/P in
 * base units under sfa), split over N leases of g GPUs each (g = 1 unless
 * a price would pass EMBER_PRICE_MAX).  The spend is exactly T whenever
 * that division and the split are exact (e.g. E x block_time_ms = 60,000
 * ms and N dividing R / g), and short by less than g x N price units per
 * hour otherwise.
 *
 * Not consensus code: this may allocate and print; it never changes how the
 * chain computes anything.
 */
#ifndef EMBER_SIM_H
#define EMBER_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "error.h"
#include "genesis.h"

#define SIM_VALIDATORS 3
#define SIM_PROVIDERS_MAX 10000
#define SIM_EPOCHS_MAX 100000
/* Most GPUs one lease may take.  A provider registers twice the largest
 * lease, so that the lease accepted in a boundary block fits beside the
 * one completing in that block whether or not capacity counts the latter
 * as free yet; 2 x 2048 = EMBER_GPUS_MAX. */
#define SIM_LEASE_GPUS_MAX (EMBER_GPUS_MAX / 2)

enum sim_curve_kind {
	SIM_CURVE_CONSTANT = 0,
	SIM_CURVE_GROWING = 1,   /* D x (1 + pct/100)^(e-1), floored each epoch */
	SIM_CURVE_SHOCK = 2,     /* D before shock_epoch, D x factor from it on */
	SIM_CURVE_RAMP = 3       /* floor(D x e / ramp_epochs) up to ramp_epochs,
	                          * D from it on */
};

struct sim_curve {
	enum sim_curve_kind kind;
	uint64_t growth_ppm;     /* growing: per-epoch growth, parts per million */
	uint64_t shock_epoch;    /* shock: first epoch at the new level */
	uint64_t factor_ppm;     /* shock: multiplier, parts per million */
	uint64_t ramp_epochs;    /* ramp: first epoch at D (>= 1) */
};

struct sim_cfg {
	enum ember_token_model model;
	uint64_t epochs;             /* epochs to run, warm-up epoch 0 included */
	uint64_t epoch_blocks;       /* E */
	uint64_t block_time_ms;
	uint64_t demand_uusd;        /* D: micro-USD spent per epoch from epoch 1 */
	uint64_t price_uusd;         /* P: token price every validator reports */
	uint64_t emission;           /* base units minted in epoch 0 */
	uint32_t decay_bps;
	uint32_t protocol_fee_bps;   /* sfa: burned share of each payment */
	uint32_t hybrid_work_share_bps;
	struct sim_curve curve;
	uint32_t providers;          /* N, also the number of tenants */
	const char *tmpdir;          /* parent of the ledger directory; NULL:
	                              * $TMPDIR, else /dev/shm, else /tmp */
};

/* What one epoch did (amounts in base units). */
struct sim_epoch {
	uint64_t epoch;
	uint64_t demand_uusd;        /* D(e); 0 for the warm-up epoch */
	uint32_t leases;             /* leases that served the epoch */
	uint32_t lease_gpus;         /* GPUs per lease */
	uint64_t supply;             /* at the end of the epoch */
	uint64_t minted, burned;     /* in the epoch (its tok_epoch_rec) */
	uint64_t staked;             /* bonded stake at the end of the epoch */
	uint64_t escrow;             /* at the end (next epoch's deposits) */
	uint64_t provider_income;    /* credited to providers' rewards in the
	                              * epoch: emission shares, and under sfa
	                              * the payments less the protocol fee */
	uint64_t oracle_uusd;        /* oracle price after the boundary */
};

struct sim;

/*
 * Defaults, the example ember-sim runs without options: model bme, 50
 * epochs of 100 blocks of 6 s (10-minute epochs), demand ramping up to
 * D = $40,000 by epoch 10 (ramp:10), P = $0.50, emission 80,000 EMB with
 * decay 0, 50 providers; protocol fee and hybrid work share from
 * ember_params_default() (the chain's own defaults).  D/P = E, so under
 * bme and hybrid burn equals mint from epoch 10 on: the burn-mint
 * equilibrium.  Decay is 0 because with any decay the mint falls for ever
 * and meets a constant burn in one epoch only.
 */
void sim_cfg_default(struct sim_cfg *c);

/*
 * Check cfg, build the genesis (actors get deterministic keys), create the
 * ledger directory and open a runner on it.  err (cap errlen, may be NULL)
 * says what is wrong in words, e.g. "demand of $9e12 in epoch 40 needs more
 * than 2048 GPUs per lease; raise --providers".
 * Returns: 0, EMBER_EINVAL (a bad or inconsistent setting), EMBER_ERANGE
 * (demand or balances beyond what the chain's limits hold), EMBER_EIO,
 * EMBER_ENOMEM, runner codes.  On success the caller owns *out and frees
 * it with sim_free(), which also deletes the ledger.
 */
EMBER_WUR int sim_new(struct sim **out, const struct sim_cfg *cfg, char *err,
                      size_t errlen);
void sim_free(struct sim *s);

/*
 * Run the next epoch (all its blocks) and report it in *out.  A refused tx
 * is a bug in the script or the rules, never expected: it stops the run
 * with err naming the block, the tx kind and the chain's refusal message.
 * Returns: 0, EMBER_ERANGE (all cfg->epochs already run), EMBER_EINTERNAL
 * (a refused tx), runner and store codes.
 */
EMBER_WUR int sim_step(struct sim *s, struct sim_epoch *out, char *err,
                       size_t errlen);

/* Epochs run so far. */
uint64_t sim_epochs_run(const struct sim *s);
/* The configuration in use (valid until sim_free). */
const struct sim_cfg *sim_config(const struct sim *s);

/* tok_audit() of the ledger now.  Returns: 0, EMBER_STORE_CORRUPT, codes. */
EMBER_WUR int sim_audit(struct sim *s, char *why, size_t whylen);

/*
 * D(e) for cfg's curve (0 for e == 0, the warm-up).
 * Returns: 0, EMBER_ERANGE (beyond u64).
 */
EMBER_WUR int sim_demand(const struct sim_cfg *cfg, uint64_t epoch,
                         uint64_t *out);

/*
 * Parse a curve: "constant", "growing:PCT" (PCT per epoch, e.g. 2.5),
 * "shock:EPOCH:FACTOR" (e.g. shock:20:0.5; EPOCH >= 1), "ramp:EPOCHS"
 * (D x e / EPOCHS until epoch EPOCHS, then D; EPOCHS >= 1).  PCT has at most 4
 * decimal places (it is stored in ppm), FACTOR at most 6.
 * Returns: 0, EMBER_EPARSE (err says why).
 */
EMBER_WUR int sim_curve_parse(struct sim_curve *c, const char *s, char *err,
                              size_t errlen);

/* A decimal with at most `places` fractional digits, scaled by 10^places
 * ("0.5", 6 -> 500000).  Returns: 0, EMBER_EPARSE, EMBER_ERANGE. */
EMBER_WUR int sim_decimal_parse(const char *s, unsigned places, uint64_t *out);

/*
 * The burn-mint steady state of a run: the first epoch *from such that
 * every epoch from it to the last (n - 1) mints something and burns within
 * tol_ppm of what it mints, and the window holds at least min_epochs
 * epochs.  *ratio is the window's total burn over its total mint (or, when
 * there is no steady state, the last epoch's burn over mint, 0 if it minted
 * nothing).
 * Returns: 1 (steady), 0 (not), EMBER_EINVAL (NULL, n == 0).
 */
EMBER_WUR int sim_steady(const struct sim_epoch *ep, size_t n, uint32_t tol_ppm,
                         size_t min_epochs, uint64_t *from, double *ratio);

/* "bme", "sfa", "hybrid" (NULL for anything else) and back
 * (EMBER_MODEL_NONE if unknown). */
const char *sim_model_name(enum ember_token_model m);
enum ember_token_model sim_model_parse(const char *s);

/* CSV: the header line, and one row per epoch (amounts in EMB, prices in
 * USD, both exact decimals). */
void sim_csv_header(FILE *f);
void sim_csv_row(FILE *f, enum ember_token_model m, const struct sim_epoch *e);

#endif
