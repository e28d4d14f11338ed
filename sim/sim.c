/*
 * sim.c - ember-sim's engine (see sim.h for the script and the units).
 *
 * Everything that moves tokens goes through tok_runner, i.e. through the
 * same tok_apply_tx / tok_block_end the chain runs; this file only decides
 * which txs to send and reads the records back.  The plan for every epoch
 * (lease prices, GPUs, deposits) is worked out in sim_new, before the first
 * block, because the genesis must fund the tenants for all of it.
 */
#include "ember/sim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ember/addr.h"
#include "ember/amount.h"
#include "ember/codec.h"
#include "ember/key.h"
#include "ember/market.h"
#include "ember/store.h"
#include "ember/tok.h"
#include "ember/tokrun.h"
#include "ember/tx.h"

#define SIM_CHAIN_ID "ember-sim"
#define SIM_GENESIS_MS 1764000000000ULL
#define SIM_FEE 1000ULL
#define SIM_MS_PER_HOUR 3600000ULL
#define SIM_PPM 1000000ULL

/* Key roles: the first byte of a deterministic secret key. */
enum { SIM_ROLE_PROVIDER = 1, SIM_ROLE_TENANT = 2, SIM_ROLE_VALIDATOR = 3 };

struct sim_acct {
	struct ember_keypair kp;
	uint64_t nonce;
};

/* The leases serving one epoch: provider i leases lease_gpus GPUs to
 * tenant i at price lo + (i < rem), per GPU-hour; price 0 means no lease. */
struct sim_plan {
	uint64_t demand_uusd;
	uint32_t gpus;
	uint64_t lo;
	uint32_t rem;
	uint64_t dep_lo, dep_hi;         /* deposits for the two prices */
};

struct sim {
	struct sim_cfg cfg;
	struct ember_genesis g;
	uint16_t cls;                    /* GPU class every actor uses */
	uint32_t cls_vram;
	uint32_t prov_gpus;              /* registered by each provider */
	uint64_t prov_stake;             /* bonded by each (sfa, hybrid) */
	struct sim_plan *plan;           /* cfg.epochs entries */
	struct sim_acct *prov, *ten, *val;
	char dir[512];
	int have_dir;
	struct tok_runner *r;
	struct ember_tx *txs;
	size_t txcap;
	int *rcs;
	char (*whys)[EMBER_TOK_WHY_LEN];
	uint64_t epoch;                  /* next epoch to run */
	uint64_t income_seen;            /* sum of providers' rewards_total */
};

static const char *const model_names[] = { NULL, "bme", "sfa", "hybrid" };

/* Message into err (may be NULL) and return code, for the many checks that
 * refuse with a sentence. */
static int sim_fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int sim_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

const char *sim_model_name(enum ember_token_model m)
{
	if ((int)m < EMBER_MODEL_BME || (int)m > EMBER_MODEL_HYBRID)
		return NULL;
	return model_names[m];
}

enum ember_token_model sim_model_parse(const char *s)
{
	for (int m = EMBER_MODEL_BME; s && m <= EMBER_MODEL_HYBRID; m++)
		if (strcmp(s, model_names[m]) == 0)
			return (enum ember_token_model)m;
	return EMBER_MODEL_NONE;
}

void sim_cfg_default(struct sim_cfg *c)
{
	struct ember_params p;

	ember_params_default(&p);
	memset(c, 0, sizeof(*c));
	c->model = EMBER_MODEL_BME;
	c->epochs = 50;
	c->epoch_blocks = 100;
	c->block_time_ms = 6000;
	c->demand_uusd = 40000ULL * SIM_PPM;
	c->price_uusd = SIM_PPM / 2;
	c->emission = 80000ULL * EMBER_COIN;
	c->decay_bps = 0;
	c->protocol_fee_bps = p.protocol_fee_bps;
	c->hybrid_work_share_bps = p.hybrid_work_share_bps;
	c->curve.kind = SIM_CURVE_RAMP;
	c->curve.ramp_epochs = 10;
	c->providers = 50;
}

/* ---- parsing ------------------------------------------------------------ */

int sim_decimal_parse(const char *s, unsigned places, uint64_t *out)
{
	size_t nint = 0, nfrac = 0;
	unsigned __int128 v = 0;

	if (!s || !out || places > 18)
		return EMBER_EINVAL;
	/* Syntax in full first (digits [ "." 1..places digits ]), so that
	 * "99999999999999999999x" is a parse error, not a range error. */
	while (s[nint] >= '0' && s[nint] <= '9')
		nint++;
	if (nint == 0)
		return EMBER_EPARSE;
	if (s[nint] == '.') {
		while (s[nint + 1 + nfrac] >= '0' && s[nint + 1 + nfrac] <= '9')
			nfrac++;
		/* "1." is a likely typo, as in ember_amount_parse */
		if (nfrac == 0 || nfrac > places || s[nint + 1 + nfrac] != '\0')
			return EMBER_EPARSE;
	} else if (s[nint] != '\0') {
		return EMBER_EPARSE;
	}
	for (size_t i = 0; i < nint + (nfrac ? 1 + nfrac : 0); i++) {
		if (s[i] == '.')
			continue;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > UINT64_MAX)
			return EMBER_ERANGE;
	}
	for (; nfrac < places; nfrac++) {
		v *= 10;
		if (v > UINT64_MAX)
			return EMBER_ERANGE;
	}
	*out = (uint64_t)v;
	return 0;
}

int sim_curve_parse(struct sim_curve *c, const char *s, char *err, size_t errlen)
{
	char buf[64], *f2, *f3;
	uint64_t v;

	if (!c || !s)
		return EMBER_EINVAL;
	memset(c, 0, sizeof(*c));
	if (strcmp(s, "constant") == 0) {
		c->kind = SIM_CURVE_CONSTANT;
		return 0;
	}
	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	f2 = strchr(buf, ':');
	if (!f2)
		goto bad;
	*f2++ = '\0';
	if (strcmp(buf, "growing") == 0) {
		/* PCT with 4 decimals is already parts per million */
		if (sim_decimal_parse(f2, 4, &v) != 0) {
			ember_errf(err, errlen, "invalid growth '%s' in curve '%s' "
			           "(a percentage per epoch, e.g. growing:2.5)", f2, s);
			return EMBER_EPARSE;
		}
		c->kind = SIM_CURVE_GROWING;
		c->growth_ppm = v;
		return 0;
	}
	if (strcmp(buf, "shock") == 0) {
		f3 = strchr(f2, ':');
		if (!f3)
			goto bad;
		*f3++ = '\0';
		if (sim_decimal_parse(f2, 0, &v) != 0 || v == 0) {
			ember_errf(err, errlen, "invalid shock epoch '%s' in curve '%s' "
			           "(an epoch >= 1)", f2, s);
			return EMBER_EPARSE;
		}
		c->shock_epoch = v;
		if (sim_decimal_parse(f3, 6, &v) != 0) {
			ember_errf(err, errlen, "invalid shock factor '%s' in curve '%s' "
			           "(e.g. 0.5 or 3)", f3, s);
			return EMBER_EPARSE;
		}
		c->kind = SIM_CURVE_SHOCK;
		c->factor_ppm = v;
		return 0;
	}
	if (strcmp(buf, "ramp") == 0) {
		if (sim_decimal_parse(f2, 0, &v) != 0 || v == 0) {
			ember_errf(err, errlen, "invalid ramp length '%s' in curve '%s' "
			           "(epochs >= 1, e.g. ramp:10)", f2, s);
			return EMBER_EPARSE;
		}
		c->kind = SIM_CURVE_RAMP;
		c->ramp_epochs = v;
		return 0;
	}
bad:
	ember_errf(err, errlen, "invalid curve '%s' (constant, growing:PCT, "
	           "shock:EPOCH:FACTOR or ramp:EPOCHS)", s);
	return EMBER_EPARSE;
}

/* ---- the plan ------------------------------------------------------------ */

/* D(e) given D(e-1) (prev, ignored for e <= 1). */
static int sim_demand_next(const struct sim_cfg *c, uint64_t e, uint64_t prev,
                           uint64_t *out)
{
	unsigned __int128 v;

	if (e == 0) {
		*out = 0;
		return 0;
	}
	switch (c->curve.kind) {
	case SIM_CURVE_GROWING:
		if (e == 1) {
			*out = c->demand_uusd;
			return 0;
		}
		v = (unsigned __int128)prev * (SIM_PPM + c->curve.growth_ppm) / SIM_PPM;
		break;
	case SIM_CURVE_SHOCK:
		if (e < c->curve.shock_epoch) {
			*out = c->demand_uusd;
			return 0;
		}
		v = (unsigned __int128)c->demand_uusd * c->curve.factor_ppm / SIM_PPM;
		break;
	case SIM_CURVE_RAMP:
		if (c->curve.ramp_epochs == 0 || e >= c->curve.ramp_epochs) {
			*out = c->demand_uusd;
			return 0;
		}
		v = (unsigned __int128)c->demand_uusd * e / c->curve.ramp_epochs;
		break;
	default:
		*out = c->demand_uusd;
		return 0;
	}
	if (v > UINT64_MAX)
		return EMBER_ERANGE;
	*out = (uint64_t)v;
	return 0;
}

int sim_demand(const struct sim_cfg *cfg, uint64_t epoch, uint64_t *out)
{
	uint64_t d = 0;
	int rc;

	if (!cfg || !out)
		return EMBER_EINVAL;
	/* Growth compounds with a floor per epoch, so D(e) is defined by the
	 * recurrence; the other curves return in O(1) from the first step. */
	if (cfg->curve.kind != SIM_CURVE_GROWING)
		return sim_demand_next(cfg, epoch, 0, out);
	for (uint64_t e = 1; e <= epoch; e++)
		if ((rc = sim_demand_next(cfg, e, d, &d)))
			return rc;
	*out = d;
	return 0;
}

/* Tokens a lease of gpus at price costs over E blocks, by the chain's own
 * arithmetic (market.h), and the deposit that covers it. */
static int sim_deposit(const struct sim *s, uint32_t gpus, uint64_t price,
                       uint64_t *dep)
{
	struct ember_lease l;
	uint64_t cost;
	int rc;

	memset(&l, 0, sizeof(l));
	l.gpu_class = s->cls;
	l.gpus = gpus;
	l.price_per_gpu_hour = price;
	l.seg_rate_uusd = s->cfg.model == EMBER_MODEL_SFA ? 0 : s->cfg.price_uusd;
	rc = ember_lease_cost(&l, s->cfg.epoch_blocks, s->cfg.model,
	                      s->cfg.block_time_ms, l.seg_rate_uusd, &cost);
	if (rc)
		return rc;
	/* A margin the lease never needs while the price holds (it pays
	 * exactly `cost`, and the rest comes back at completion); it keeps a
	 * lease from running dry a block early should the oracle move. */
	if (!ember_add_u64(cost, cost / 1024 + 1, dep))
		return EMBER_ERANGE;
	return 0;
}

/*
 * Prices for epoch e: the per-hour sum R = floor(T x 3.6e6 / (E x bt)),
 * T the epoch's target spend (micro-USD under bme/hybrid, base units under
 * sfa), shared by N leases of the same GPU count g, the smallest g that
 * keeps each price within EMBER_PRICE_MAX.
 */
static int sim_plan_epoch(struct sim *s, uint64_t e, uint64_t demand,
                          char *err, size_t errlen)
{
	struct sim_plan *p = &s->plan[e];
	const struct sim_cfg *c = &s->cfg;
	unsigned __int128 target, r, q, cap, g;
	int rc;

	memset(p, 0, sizeof(*p));
	p->demand_uusd = demand;
	if (demand == 0)
		return 0;
	target = demand;
	if (c->model == EMBER_MODEL_SFA)
		target = target * EMBER_COIN / c->price_uusd;
	r = target * SIM_MS_PER_HOUR / ((unsigned __int128)c->epoch_blocks *
	                                c->block_time_ms);
	cap = (unsigned __int128)c->providers * EMBER_PRICE_MAX;
	g = (r + cap - 1) / cap;
	if (g == 0)
		g = 1;
	if (g > SIM_LEASE_GPUS_MAX) {
		ember_errf(err, errlen, "demand of %llu.%06llu USD in epoch %llu needs "
		           "more than %d GPUs per lease at the highest price; raise "
		           "--providers or lower --demand-usd",
		           (unsigned long long)(demand / SIM_PPM),
		           (unsigned long long)(demand % SIM_PPM), (unsigned long long)e,
		           SIM_LEASE_GPUS_MAX);
		return EMBER_ERANGE;
	}
	q = r / g;
	p->gpus = (uint32_t)g;
	p->lo = (uint64_t)(q / c->providers);
	p->rem = (uint32_t)(q % c->providers);
	if (p->lo && (rc = sim_deposit(s, p->gpus, p->lo, &p->dep_lo)))
		goto range;
	if (p->rem && (rc = sim_deposit(s, p->gpus, p->lo + 1, &p->dep_hi)))
		goto range;
	return 0;
range:
	ember_errf(err, errlen, "the leases of epoch %llu cost more than the chain "
	           "can count (%s); lower --demand-usd", (unsigned long long)e,
	           ember_strerror(rc));
	return EMBER_ERANGE;
}

/* ---- setup --------------------------------------------------------------- */

static int sim_keys(struct sim_acct *a, uint32_t n, uint8_t role)
{
	uint8_t sk[32];
	int rc = 0;

	/* Deterministic keys: role || zeros || be32(i + 1) is non-zero and far
	 * below the group order, so every one is a valid secret key. */
	for (uint32_t i = 0; i < n && !rc; i++) {
		memset(sk, 0, sizeof(sk));
		sk[0] = role;
		sk[28] = (uint8_t)((i + 1) >> 24);
		sk[29] = (uint8_t)((i + 1) >> 16);
		sk[30] = (uint8_t)((i + 1) >> 8);
		sk[31] = (uint8_t)(i + 1);
		rc = ember_keypair_from_seckey(&a[i].kp, sk);
		a[i].nonce = 0;
	}
	memset(sk, 0, sizeof(sk));
	return rc;
}

static int sim_check_cfg(const struct sim_cfg *c, char *err, size_t errlen)
{
	const int bad = EMBER_EINVAL;

	if (!sim_model_name(c->model))
		return sim_fail(err, errlen, bad, "unknown token model");
	if (c->epochs < 1 || c->epochs > SIM_EPOCHS_MAX)
		return sim_fail(err, errlen, bad, "epochs %llu out of range (1 to %d)",
		                (unsigned long long)c->epochs, SIM_EPOCHS_MAX);
	if (c->epoch_blocks < 1 || c->epoch_blocks > 1000000)
		return sim_fail(err, errlen, bad, "epoch blocks %llu out of range "
		                "(1 to 1000000)", (unsigned long long)c->epoch_blocks);
	if (c->block_time_ms < 1 || c->block_time_ms > SIM_MS_PER_HOUR)
		return sim_fail(err, errlen, bad, "block time %llu ms out of range "
		                "(1 to 3600000)", (unsigned long long)c->block_time_ms);
	if (c->price_uusd < 1 || c->price_uusd > EMBER_PRICE_MAX)
		return sim_fail(err, errlen, bad, "token price out of range "
		                "(0.000001 to 1000000 USD)");
	if (c->providers < 1 || c->providers > SIM_PROVIDERS_MAX)
		return sim_fail(err, errlen, bad, "providers %u out of range (1 to %d)",
		                c->providers, SIM_PROVIDERS_MAX);
	if (c->decay_bps > 10000 || c->protocol_fee_bps > 10000 ||
	    c->hybrid_work_share_bps > 10000)
		return sim_fail(err, errlen, bad, "basis points above 10000");
	return 0;
}

/* a += b, or EMBER_ERANGE with a message about who cannot be funded. */
static int sim_fund(uint64_t *a, uint64_t b, const char *who, char *err,
                    size_t errlen)
{
	if (ember_add_u64(*a, b, a))
		return 0;
	return sim_fail(err, errlen, EMBER_ERANGE, "%s would need more than 2^64 "
	                "base units; lower --demand-usd or --epochs", who);
}

static int sim_genesis(struct sim *s, char *err, size_t errlen)
{
	const struct sim_cfg *c = &s->cfg;
	struct ember_genesis *g = &s->g;
	uint32_t n = c->providers, gmax = 0;
	uint64_t ten_fund = EMBER_COIN, prov_fund = EMBER_COIN, val_fund = EMBER_COIN;
	uint64_t nfee;
	size_t k = 0;
	int rc;

	memset(g, 0, sizeof(*g));
	snprintf(g->chain_id, sizeof(g->chain_id), "%s", SIM_CHAIN_ID);
	g->genesis_time_ms = SIM_GENESIS_MS;
	g->block_time_ms = c->block_time_ms;
	g->min_fee = SIM_FEE;
	snprintf(g->token_model, sizeof(g->token_model), "%s", sim_model_name(c->model));
	ember_params_default(&g->params);
	g->params.epoch_blocks = c->epoch_blocks;
	g->params.emission_initial = c->emission;
	g->params.emission_decay_bps = c->decay_bps;
	g->params.protocol_fee_bps = c->protocol_fee_bps;
	g->params.hybrid_work_share_bps = c->hybrid_work_share_bps;
	g->params.oracle_initial_uusd = c->price_uusd;
	g->params.challenges_enabled = 0;  /* simulated providers run no prover */
	if (g->params.oracle_max_age_epochs < 1)
		g->params.oracle_max_age_epochs = 1;
	if ((rc = ember_genesis_default_classes(g)))
		return sim_fail(err, errlen, rc, "out of memory");
	if (g->nclass < 1)
		return sim_fail(err, errlen, EMBER_EINVAL,
		                "the default GPU class table is empty");
	s->cls = g->classes[0].id;
	s->cls_vram = g->classes[0].vram_gib;

	for (uint64_t e = 0; e < c->epochs; e++) {
		uint64_t d = 0;
		if ((rc = sim_demand_next(c, e, e ? s->plan[e - 1].demand_uusd : 0, &d)))
			return sim_fail(err, errlen, rc, "demand in epoch %llu exceeds "
			                "2^64 micro-USD", (unsigned long long)e);
		if ((rc = sim_plan_epoch(s, e, d, err, errlen)))
			return rc;
		if (s->plan[e].gpus > gmax)
			gmax = s->plan[e].gpus;
		/* Every tenant is funded for the dearer of the epoch's two
		 * deposits: simple, and refunds only add to what is left. */
		if ((rc = sim_fund(&ten_fund, s->plan[e].rem ? s->plan[e].dep_hi :
		                   s->plan[e].dep_lo, "a tenant", err, errlen)))
			return rc;
	}
	s->prov_gpus = gmax ? 2 * gmax : 1;
	s->prov_stake = 0;
	if (c->model != EMBER_MODEL_BME) {
		if (!ember_mul_u64(g->classes[0].min_stake_per_gpu, s->prov_gpus,
		                   &s->prov_stake))
			return sim_fail(err, errlen, EMBER_ERANGE,
			                "provider stake overflows");
		/* Stake at least 1 EMB so the stake pool has weight even when the
		 * class asks for none. */
		if (s->prov_stake < EMBER_COIN)
			s->prov_stake = EMBER_COIN;
	}
	/* fees: tenants order + accept, providers bid, validators report, once
	 * an epoch; providers also register and stake once */
	nfee = SIM_FEE * (c->epochs + 2);
	if ((rc = sim_fund(&ten_fund, 2 * nfee, "a tenant", err, errlen)) ||
	    (rc = sim_fund(&prov_fund, nfee, "a provider", err, errlen)) ||
	    (rc = sim_fund(&prov_fund, s->prov_stake, "a provider", err, errlen)) ||
	    (rc = sim_fund(&val_fund, nfee, "a validator", err, errlen)))
		return rc;

	g->nalloc = 2 * (size_t)n + SIM_VALIDATORS;
	g->allocs = calloc(g->nalloc, sizeof(*g->allocs));
	g->nval = SIM_VALIDATORS;
	g->vals = calloc(SIM_VALIDATORS, sizeof(*g->vals));
	if (!g->allocs || !g->vals)
		return sim_fail(err, errlen, EMBER_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		memcpy(g->allocs[k].pub, s->prov[i].kp.pub, 32);
		g->allocs[k++].amount = prov_fund;
		memcpy(g->allocs[k].pub, s->ten[i].kp.pub, 32);
		g->allocs[k++].amount = ten_fund;
	}
	for (uint32_t i = 0; i < SIM_VALIDATORS; i++) {
		memcpy(g->allocs[k].pub, s->val[i].kp.pub, 32);
		g->allocs[k++].amount = val_fund;
		memcpy(g->vals[i].pub, s->val[i].kp.pub, 32);
		g->vals[i].power = 10;
	}
	if ((rc = ember_genesis_finish(g)))
		return sim_fail(err, errlen, EMBER_ERANGE, "genesis allocations exceed "
		                "2^64 base units; lower --demand-usd, --epochs or "
		                "--providers");
	return 0;
}

/* The ledger's parent directory: a sim ledger is throwaway, and on a disk
 * the fsync of every block's commit would dominate the run, so tmpfs is
 * preferred when the caller does not choose. */
static const char *sim_tmp_parent(const struct sim_cfg *c)
{
	const char *t = c->tmpdir;
	struct stat sb;

	if (t && *t)
		return t;
	t = getenv("TMPDIR");
	if (t && *t)
		return t;
	if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    access("/dev/shm", W_OK | X_OK) == 0)
		return "/dev/shm";
	return "/tmp";
}

static void sim_rm_ledger(struct sim *s)
{
	char p[600];

	if (!s->have_dir)
		return;
	snprintf(p, sizeof(p), "%s/data.mdb", s->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", s->dir);
	unlink(p);
	rmdir(s->dir);
	s->have_dir = 0;
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	tok_runner_close(s->r);
	sim_rm_ledger(s);
	ember_genesis_release(&s->g);
	if (s->prov)
		for (uint32_t i = 0; i < s->cfg.providers; i++) {
			ember_keypair_clear(&s->prov[i].kp);
			ember_keypair_clear(&s->ten[i].kp);
		}
	if (s->val)
		for (uint32_t i = 0; i < SIM_VALIDATORS; i++)
			ember_keypair_clear(&s->val[i].kp);
	free(s->prov);
	free(s->ten);
	free(s->val);
	free(s->plan);
	free(s->txs);
	free(s->rcs);
	free(s->whys);
	free(s);
}

int sim_new(struct sim **out, const struct sim_cfg *cfg, char *err, size_t errlen)
{
	struct sim *s;
	const char *parent;
	uint32_t n;
	int rc, len;

	if (!out || !cfg)
		return EMBER_EINVAL;
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if ((rc = sim_check_cfg(cfg, err, errlen)))
		return rc;
	if (!(s = calloc(1, sizeof(*s))))
		return EMBER_ENOMEM;
	s->cfg = *cfg;
	s->cfg.tmpdir = NULL;    /* not kept: the caller's string may go */
	n = cfg->providers;
	/* Most txs in one block: registrations, stakes and price reports in
	 * the first block, plus a lease's order, bid and accept per provider
	 * when an epoch is a single block. */
	s->txcap = 5 * (size_t)n + SIM_VALIDATORS;
	s->prov = calloc(n, sizeof(*s->prov));
	s->ten = calloc(n, sizeof(*s->ten));
	s->val = calloc(SIM_VALIDATORS, sizeof(*s->val));
	s->plan = calloc(cfg->epochs, sizeof(*s->plan));
	s->txs = calloc(s->txcap, sizeof(*s->txs));
	s->rcs = calloc(s->txcap, sizeof(*s->rcs));
	s->whys = calloc(s->txcap, sizeof(*s->whys));
	if (!s->prov || !s->ten || !s->val || !s->plan || !s->txs || !s->rcs ||
	    !s->whys) {
		rc = EMBER_ENOMEM;
		ember_errf(err, errlen, "out of memory");
		goto fail;
	}
	if ((rc = sim_keys(s->prov, n, SIM_ROLE_PROVIDER)) ||
	    (rc = sim_keys(s->ten, n, SIM_ROLE_TENANT)) ||
	    (rc = sim_keys(s->val, SIM_VALIDATORS, SIM_ROLE_VALIDATOR))) {
		ember_errf(err, errlen, "cannot derive keys: %s", ember_strerror(rc));
		goto fail;
	}
	if ((rc = sim_genesis(s, err, errlen)))
		goto fail;

	parent = sim_tmp_parent(cfg);
	len = snprintf(s->dir, sizeof(s->dir), "%s/ember-sim-%s-XXXXXX", parent,
	               sim_model_name(cfg->model));
	if (len < 0 || (size_t)len >= sizeof(s->dir)) {
		rc = EMBER_EINVAL;
		ember_errf(err, errlen, "temp directory name under '%s' is too long", parent);
		goto fail;
	}
	if (!mkdtemp(s->dir)) {
		rc = EMBER_EIO;
		ember_errf(err, errlen, "cannot create a ledger directory under '%s': %s",
		           parent, strerror(errno));
		goto fail;
	}
	s->have_dir = 1;
	if ((rc = tok_runner_open(&s->r, s->dir, &s->g, 0))) {
		ember_errf(err, errlen, "cannot open a ledger in '%s': %s", s->dir,
		           ember_strerror(rc));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	sim_free(s);
	return rc;
}

uint64_t sim_epochs_run(const struct sim *s)
{
	return s->epoch;
}

const struct sim_cfg *sim_config(const struct sim *s)
{
	return &s->cfg;
}

/* ---- running ------------------------------------------------------------- */

/* Next tx slot, common fields filled, sent by a with its next nonce. */
static struct ember_tx *sim_tx(struct sim *s, size_t *n, struct sim_acct *a,
                               uint8_t kind)
{
	struct ember_tx *tx;

	if (*n >= s->txcap)
		return NULL;
	tx = &s->txs[*n];
	if (ember_tx_init(tx, kind, SIM_CHAIN_ID, a->kp.pub, a->nonce, SIM_FEE) != 0)
		return NULL;
	a->nonce++;
	(*n)++;
	return tx;
}

static int sim_add_setup(struct sim *s, size_t *n)
{
	char endpoint[64];

	for (uint32_t i = 0; i < s->cfg.providers; i++) {
		struct ember_tx *tx = sim_tx(s, n, &s->prov[i], EMBER_TX_PROV_REGISTER);
		if (!tx)
			return EMBER_EINTERNAL;
		tx->u.provider.gpu_class = s->cls;
		tx->u.provider.gpus = s->prov_gpus;
		tx->u.provider.vram_gib = s->cls_vram;
		/* asking price is a listing only; any valid value will do */
		tx->u.provider.price_per_gpu_hour = 1;
		snprintf(endpoint, sizeof(endpoint), "https://p%u.sim.invalid:8700", i);
		if (ember_tx_set_provider_strings(&tx->u.provider, "sim", endpoint))
			return EMBER_EINTERNAL;
		if (s->prov_stake) {
			if (!(tx = sim_tx(s, n, &s->prov[i], EMBER_TX_STAKE)))
				return EMBER_EINTERNAL;
			tx->u.amount.amount = s->prov_stake;
		}
	}
	return 0;
}

static int sim_add_prices(struct sim *s, size_t *n)
{
	for (uint32_t i = 0; i < SIM_VALIDATORS; i++) {
		struct ember_tx *tx = sim_tx(s, n, &s->val[i], EMBER_TX_PRICE);
		if (!tx)
			return EMBER_EINTERNAL;
		tx->u.price.price_uusd = s->cfg.price_uusd;
	}
	return 0;
}

/* The leases that serve epoch e, accepted now (the boundary block of e-1).
 * Order ids are assigned in tx order from the committed next_order_id. */
static int sim_add_leases(struct sim *s, size_t *n, uint64_t e)
{
	const struct sim_plan *p = &s->plan[e];
	struct tok_totals tot;
	struct ember_txn *t;
	uint64_t id;
	int rc;

	if ((rc = ember_store_read(tok_runner_store(s->r), &t)))
		return rc;
	rc = tok_totals_get(t, &tot);
	ember_txn_abort(t);
	if (rc)
		return rc;
	id = tot.next_order_id;
	for (uint32_t i = 0; i < s->cfg.providers; i++) {
		uint64_t price = p->lo + (i < p->rem);
		struct ember_tx *tx;

		if (price == 0)
			continue;
		if (!(tx = sim_tx(s, n, &s->ten[i], EMBER_TX_ORDER)))
			return EMBER_EINTERNAL;
		tx->u.order.gpu_class = s->cls;
		tx->u.order.gpus = p->gpus;
		tx->u.order.max_price_per_gpu_hour = price;
		tx->u.order.duration_blocks = s->cfg.epoch_blocks;
		tx->u.order.deposit = i < p->rem ? p->dep_hi : p->dep_lo;
		if (!(tx = sim_tx(s, n, &s->prov[i], EMBER_TX_BID)))
			return EMBER_EINTERNAL;
		tx->u.bid.order_id = id;
		tx->u.bid.price_per_gpu_hour = price;
		if (!(tx = sim_tx(s, n, &s->ten[i], EMBER_TX_ACCEPT)))
			return EMBER_EINTERNAL;
		tx->u.accept.order_id = id;
		memcpy(tx->u.accept.provider, s->prov[i].kp.pub, 32);
		id++;
	}
	return 0;
}

static int sim_block(struct sim *s, size_t n, char *err, size_t errlen)
{
	uint64_t h = tok_runner_height(s->r) + 1;
	int rc = tok_runner_block(s->r, n ? s->txs : NULL, n, s->rcs, s->whys);

	if (rc) {
		ember_errf(err, errlen, "block %llu failed: %s", (unsigned long long)h,
		           ember_strerror(rc));
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		char addr[EMBER_ADDR_BUFLEN];
		const char *kind;

		if (s->rcs[i] == 0)
			continue;
		ember_addr_encode(s->txs[i].from, addr);
		kind = ember_tx_kind_name(s->txs[i].kind);
		ember_errf(err, errlen, "block %llu: %s from '%s' refused: %s",
		           (unsigned long long)h, kind ? kind : "tx", addr,
		           s->whys[i][0] ? s->whys[i] : ember_strerror(s->rcs[i]));
		return EMBER_EINTERNAL;
	}
	return 0;
}

static int sim_read_epoch(struct sim *s, uint64_t e, struct sim_epoch *out)
{
	struct tok_epoch_rec rec;
	struct tok_totals tot;
	struct ember_txn *t;
	uint64_t income = 0;
	int rc;

	if ((rc = ember_store_read(tok_runner_store(s->r), &t)))
		return rc;
	if ((rc = tok_epoch_get(t, e, &rec)) || (rc = tok_totals_get(t, &tot)))
		goto out;
	for (uint32_t i = 0; i < s->cfg.providers; i++) {
		struct ember_stake st;
		if ((rc = tok_stake_get(t, s->prov[i].kp.pub, &st)))
			goto out;
		income += st.rewards_total;
	}
	out->supply = rec.supply;
	out->minted = rec.minted;
	out->burned = rec.burned;
	out->staked = rec.staked;
	out->escrow = tot.escrow;
	out->oracle_uusd = tot.oracle_uusd;
	out->provider_income = income - s->income_seen;
	s->income_seen = income;
out:
	ember_txn_abort(t);
	return rc;
}

int sim_step(struct sim *s, struct sim_epoch *out, char *err, size_t errlen)
{
	uint64_t e, eb, first, last;
	int rc;

	if (!s || !out)
		return EMBER_EINVAL;
	if (err && errlen)
		err[0] = '\0';
	e = s->epoch;
	if (e >= s->cfg.epochs) {
		ember_errf(err, errlen, "all %llu epochs already run",
		           (unsigned long long)s->cfg.epochs);
		return EMBER_ERANGE;
	}
	eb = s->cfg.epoch_blocks;
	first = e * eb + 1;
	last = (e + 1) * eb;
	for (uint64_t h = first; h <= last; h++) {
		size_t n = 0;

		if (h == first) {
			if (e == 0 && (rc = sim_add_setup(s, &n)))
				goto build_failed;
			if ((rc = sim_add_prices(s, &n)))
				goto build_failed;
		}
		if (h == last && e + 1 < s->cfg.epochs &&
		    (rc = sim_add_leases(s, &n, e + 1)))
			goto build_failed;
		if ((rc = sim_block(s, n, err, errlen)))
			return rc;
	}
	memset(out, 0, sizeof(*out));
	out->epoch = e;
	out->demand_uusd = s->plan[e].demand_uusd;
	out->lease_gpus = s->plan[e].gpus;
	if (s->plan[e].lo)
		out->leases = s->cfg.providers;
	else
		out->leases = s->plan[e].rem;
	if ((rc = sim_read_epoch(s, e, out))) {
		ember_errf(err, errlen, "cannot read epoch %llu back: %s",
		           (unsigned long long)e, ember_strerror(rc));
		return rc;
	}
	s->epoch++;
	return 0;
build_failed:
	ember_errf(err, errlen, "cannot build the txs of epoch %llu: %s",
	           (unsigned long long)e, ember_strerror(rc));
	return rc;
}

int sim_audit(struct sim *s, char *why, size_t whylen)
{
	struct ember_txn *t;
	int rc;

	if (!s)
		return EMBER_EINVAL;
	if ((rc = ember_store_read(tok_runner_store(s->r), &t)))
		return rc;
	rc = tok_audit(t, why, whylen);
	ember_txn_abort(t);
	return rc;
}

int sim_steady(const struct sim_epoch *ep, size_t n, uint32_t tol_ppm,
               size_t min_epochs, uint64_t *from, double *ratio)
{
	unsigned __int128 burn = 0, mint = 0;
	size_t i = n;

	if (!ep || !from || !ratio || n == 0)
		return EMBER_EINVAL;
	/* Walk back from the last epoch while |burn - mint| <= tol x mint,
	 * in integers, so that the window is exactly the epochs that pass. */
	while (i > 0) {
		const struct sim_epoch *x = &ep[i - 1];
		uint64_t diff = x->burned > x->minted ? x->burned - x->minted :
		                                        x->minted - x->burned;
		if (x->minted == 0 || (unsigned __int128)diff * SIM_PPM >
		    (unsigned __int128)x->minted * tol_ppm)
			break;
		burn += x->burned;
		mint += x->minted;
		i--;
	}
	if (n - i == 0 || n - i < min_epochs) {
		const struct sim_epoch *x = &ep[n - 1];
		*from = 0;
		*ratio = x->minted ? (double)x->burned / (double)x->minted : 0;
		return 0;
	}
	*from = ep[i].epoch;
	*ratio = (double)burn / (double)mint;
	return 1;
}

/* ---- output -------------------------------------------------------------- */

void sim_csv_header(FILE *f)
{
	fputs("epoch,model,demand_usd,leases,lease_gpus,supply,minted,burned,staked,"
	      "escrow,provider_income,oracle_usd\n", f);
}

void sim_csv_row(FILE *f, enum ember_token_model m, const struct sim_epoch *e)
{
	char a[6][EMBER_AMOUNT_BUFLEN];

	ember_amount_format(e->supply, a[0]);
	ember_amount_format(e->minted, a[1]);
	ember_amount_format(e->burned, a[2]);
	ember_amount_format(e->staked, a[3]);
	ember_amount_format(e->escrow, a[4]);
	ember_amount_format(e->provider_income, a[5]);
	fprintf(f, "%llu,%s,%llu.%06llu,%u,%u,%s,%s,%s,%s,%s,%s,%llu.%06llu\n",
	        (unsigned long long)e->epoch, sim_model_name(m),
	        (unsigned long long)(e->demand_uusd / SIM_PPM),
	        (unsigned long long)(e->demand_uusd % SIM_PPM), e->leases,
	        e->lease_gpus, a[0], a[1], a[2], a[3], a[4], a[5],
	        (unsigned long long)(e->oracle_uusd / SIM_PPM),
	        (unsigned long long)(e->oracle_uusd % SIM_PPM));
}
