/*
 * epoch.c - oracle price reports and the epoch boundary: oracle median,
 * settling every open lease, judging challenges, emission and rewards, the
 * epoch record.  (Challenge records and the proof tx are proof.c's.)
 *
 * Rules: docs/economics.md, "Oracle" and "Emission and rewards"; the
 * boundary runs its steps in exactly the order given there, because each
 * one reads what the previous wrote (settlement credits the work that
 * emission pays for; judging decides who is paid).
 *
 * Cost: O(reports + open leases + providers).  Providers are walked once in
 * key order to collect their owners into one array (records must not be
 * written under an open cursor), and everything after that indexes the
 * array.  That array is the boundary's only allocation.
 */
#include "tok_int.h"

#include <stdlib.h>
#include <string.h>

#define BPS_ONE 10000u

/* --- price reports ------------------------------------------------------ */

static int epoch_is_validator(const struct ember_genesis *g,
                              const uint8_t pub[32])
{
	for (size_t i = 0; i < g->nval; i++)
		if (memcmp(g->vals[i].pub, pub, 32) == 0)
			return 1;
	return 0;
}

int tk_price(struct tk_tx *c)
{
	uint8_t key[EMBER_IDX_KEY_MAX], val[8];
	uint64_t e = tok_epoch_of(c->g, c->b->height);

	if (!epoch_is_validator(c->g, c->tx->from)) {
		char addr[EMBER_ADDR_BUFLEN];
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "account '%s' is not a genesis validator; only validators report prices",
		    addr);
		return EMBER_TOK_NOT_VALIDATOR;
	}
	/* Keyed by (epoch, validator): a second report in the epoch
	 * overwrites the first, so the last one counts. */
	ember_le64_put(val, c->tx->u.price.price_uusd);
	return tk_idx_put(c->st, key,
	                  ember_idx_id_pub(key, EMBER_IDX_REPORT, e, c->tx->from),
	                  val, sizeof(val));
}

/* --- 1. oracle ---------------------------------------------------------- */

struct report_walk {
	uint8_t prefix[9];              /* 'R' || be64 epoch */
	size_t n;
	uint8_t val[EMBER_GEN_MAX_VALIDATORS][32];
	uint64_t price[EMBER_GEN_MAX_VALIDATORS];
};

static int report_cb(void *ctx, const void *key, size_t klen, const void *val,
                     size_t vlen)
{
	struct report_walk *w = ctx;
	if (klen < sizeof(w->prefix) ||
	    memcmp(key, w->prefix, sizeof(w->prefix)) != 0)
		return 1;
	/* Only validators report and the key holds the validator, so more
	 * than the validator maximum means a bad index. */
	if (klen != sizeof(w->prefix) + 32 || vlen != 8 ||
	    w->n == EMBER_GEN_MAX_VALIDATORS)
		return EMBER_STORE_CORRUPT;
	memcpy(w->val[w->n], (const uint8_t *)key + sizeof(w->prefix), 32);
	w->price[w->n] = ember_le64_get(val);
	w->n++;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Set the oracle price for e + 1 from e's reports (lower median, so always
 * a reported price) and delete the reports. */
static int epoch_oracle(struct ember_state *st, struct tok_totals *tot,
                        uint64_t e, struct tok_epoch_rec *rec)
{
	/* ~5 KiB of reports (at most one per validator): the stack holds it,
	 * which keeps the provider array the boundary's only allocation. */
	struct report_walk w;
	uint64_t sorted[EMBER_GEN_MAX_VALIDATORS];
	uint8_t key[EMBER_IDX_KEY_MAX];
	int rc;

	w.n = 0;
	ember_idx_id(key, EMBER_IDX_REPORT, e);
	memcpy(w.prefix, key, sizeof(w.prefix));
	rc = ember_store_iter(ember_state_txn(st), EMBER_DB_INDEX, w.prefix,
	                      sizeof(w.prefix), report_cb, &w);
	if (rc)
		return rc;
	rec->nreports = (uint32_t)w.n;
	if (w.n == 0)
		return 0;       /* no reports: the price stands (and ages) */
	memcpy(sorted, w.price, w.n * sizeof(sorted[0]));
	qsort(sorted, w.n, sizeof(sorted[0]), cmp_u64);
	for (size_t i = 0; i < w.n; i++) {
		rc = tk_idx_del(st, key, ember_idx_id_pub(key, EMBER_IDX_REPORT, e,
		                                          w.val[i]));
		if (rc)
			return rc;
	}
	tot->oracle_uusd = sorted[(w.n - 1) / 2];
	tot->oracle_epoch = e + 1;
	rec->oracle_uusd = tot->oracle_uusd;
	return 0;
}

/* --- 3. challenges ------------------------------------------------------ */

struct prov_slot {
	uint8_t owner[32];
	uint8_t paid;                   /* eligible and no fault in e */
	uint64_t work;                  /* weight in the work pool */
	uint64_t stake;                 /* weight in the stake pool */
	uint64_t reward;                /* credited at emission */
};

struct owner_walk {
	struct prov_slot *s;
	size_t cap, n;
};

static int owner_cb(void *ctx, const void *key, size_t klen, const void *val,
                    size_t vlen)
{
	struct owner_walk *w = ctx;
	(void)val;
	(void)vlen;
	if (klen != 32 || w->n == w->cap)
		return EMBER_STORE_CORRUPT;
	memcpy(w->s[w->n++].owner, key, 32);
	return 0;
}

/*
 * Fold e's outcome into the uptime window.  Bit i means "passed in
 * uptime_epoch - i", so the window shifts by the epochs elapsed since the
 * last fold (more than one after a retirement), and those skipped epochs
 * count as known non-passes.
 */
static void epoch_uptime(struct ember_provider *p, uint64_t e, int pass)
{
	uint64_t gap = 1, known;

	if (p->uptime_known > 0) {
		if (e <= p->uptime_epoch)
			return;         /* already folded: the boundary runs once */
		gap = e - p->uptime_epoch;
	}
	p->uptime_bits = gap >= 32 ? 0 : p->uptime_bits << gap;
	p->uptime_bits |= pass ? 1u : 0u;
	known = (uint64_t)p->uptime_known + gap;
	p->uptime_known = known > 32 ? 32 : (uint32_t)known;
	p->uptime_epoch = e;
}

/*
 * Epoch e's challenge result for p, as the judgment sees it.  With
 * challenges on, a provider registered by block e*E was challenged: a
 * recorded PASS or FAIL stands, and anything else (no proof, or a late or
 * invalid one, which was refused like any invalid tx) becomes MISSING,
 * recorded here at the boundary height h.  *judged says whether e enters
 * the uptime window: a provider registered during e was not challenged,
 * so e neither counts for nor against it.  With challenges off nothing is
 * challenged and NONE passes, as before GPU proofs existed; a result fed
 * through tok_challenge_result still counts.
 * Returns: 0, store codes.
 */
static int epoch_result(struct tok_block *b, struct ember_state *st,
                        struct ember_provider *p, uint64_t e, uint64_t h,
                        uint8_t *result, int *judged)
{
	const struct ember_params *pp = &b->g->params;
	const struct ember_gpu_class *cl;
	struct tok_challenge_rec rec;

	*result = p->chal_epoch == e ? p->chal_result : EMBER_CHAL_NONE;
	*judged = 1;
	if (!pp->challenges_enabled)
		return 0;
	/* e*E <= h: h ends epoch e. */
	if (p->registered_height > e * pp->epoch_blocks) {
		*judged = *result != EMBER_CHAL_NONE;
		return 0;
	}
	if (*result == EMBER_CHAL_PASS || *result == EMBER_CHAL_FAIL)
		return 0;
	*result = EMBER_CHAL_MISSING;
	memset(&rec, 0, sizeof(rec));
	rec.result = EMBER_CHAL_MISSING;
	rec.height = h;
	cl = ember_genesis_class(b->g, p->gpu_class);
	rec.n = cl ? cl->challenge_n : 0;
	/* Sets p's chal fields; epoch_judge writes p. */
	return tk_challenge_write(st, p, e, &rec);
}

/* Judge one provider for epoch e (slash, jail, uptime) and record its
 * reward weights in *slot. */
static int epoch_judge(struct tok_block *b, struct ember_state *st, uint64_t e,
                       uint64_t h, struct prov_slot *slot,
                       struct tok_epoch_rec *rec)
{
	const struct ember_genesis *g = b->g;
	const struct ember_params *pp = &g->params;
	struct ember_txn *t = ember_state_txn(st);
	struct ember_provider p;
	struct ember_stake s;
	uint8_t result;
	uint64_t taken, until;
	int fault, judged, rc;

	if ((rc = tk_get_provider(t, slot->owner, &p)))
		return rc == EMBER_ENOTFOUND ? EMBER_STORE_CORRUPT : rc;
	if (p.status != EMBER_PROV_ACTIVE)
		return 0;       /* retired: not challenged, not paid */

	if ((rc = epoch_result(b, st, &p, e, h, &result, &judged)))
		return rc;
	if (result == EMBER_CHAL_PASS)
		rec->chal_passed++;
	else if (result == EMBER_CHAL_FAIL)
		rec->chal_failed++;
	else if (result == EMBER_CHAL_MISSING)
		rec->chal_missing++;
	fault = result == EMBER_CHAL_FAIL || result == EMBER_CHAL_MISSING;
	if (fault) {
		int declared = p.maint_epoch == e;
		rc = tk_slash(b, st, p.owner,
		              declared ? pp->slash_declared_bps : pp->slash_fault_bps,
		              e, &taken);
		if (rc)
			return rc;
		if (!declared) {
			if (!ember_add_u64(e, 1 + (uint64_t)pp->jail_epochs, &until))
				until = UINT64_MAX;
			if (p.jailed_until < until)
				p.jailed_until = until;
			if (pp->jail_epochs > 0)    /* 0: out again next epoch */
				rec->providers_jailed++;
		}
		rec->providers_failed++;
	}
	if (judged)
		epoch_uptime(&p, e, !fault);
	if ((rc = tk_put_provider(st, &p)))
		return rc;
	if (fault)
		return 0;       /* a fault forfeits the epoch's rewards */

	rc = tk_provider_eligible(t, g, &p, e, NULL);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return 0;
	slot->paid = 1;
	slot->work = p.work_epoch == e ? p.work : 0;
	if (ember_genesis_model(g) != EMBER_MODEL_BME) {
		if ((rc = tk_get_stake(t, p.owner, &s)))
			return rc;
		slot->stake = s.amount;
	}
	return 0;
}

/* --- 4. emission -------------------------------------------------------- */

/* Split pool pro rata over the paid slots' weights (work or stake):
 * floor(pool * w / W), 128-bit.  Dust and a pool with W == 0 stay unminted. */
static void epoch_share(struct prov_slot *s, size_t n, uint64_t pool, int by_work,
                        unsigned __int128 *total_weight)
{
	unsigned __int128 W = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i].paid)
			W += by_work ? s[i].work : s[i].stake;
	*total_weight = W;
	if (pool == 0 || W == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		uint64_t w = by_work ? s[i].work : s[i].stake;
		if (s[i].paid && w > 0)
			/* <= pool, and the pools sum to the emission: no overflow */
			s[i].reward += (uint64_t)((unsigned __int128)pool * w / W);
	}
}

static int epoch_emit(struct tok_block *b, struct ember_state *st,
                      struct tok_totals *tot, struct prov_slot *s, size_t n,
                      struct tok_epoch_rec *rec)
{
	const struct ember_params *pp = &b->g->params;
	uint64_t emission = tot->emission_next, work_pool, stake_pool, minted = 0;
	uint32_t decay = pp->emission_decay_bps > BPS_ONE ? BPS_ONE
	                                                  : pp->emission_decay_bps;
	uint32_t share = pp->hybrid_work_share_bps > BPS_ONE
	                 ? BPS_ONE : pp->hybrid_work_share_bps;
	unsigned __int128 work_w, stake_w;
	int rc;

	rec->emission = emission;
	tot->emission_next = (uint64_t)((unsigned __int128)emission *
	                                (BPS_ONE - decay) / BPS_ONE);
	switch (ember_genesis_model(b->g)) {
	case EMBER_MODEL_SFA:
		work_pool = 0;
		break;
	case EMBER_MODEL_HYBRID:
		work_pool = (uint64_t)((unsigned __int128)emission * share / BPS_ONE);
		break;
	default:
		work_pool = emission;
		break;
	}
	stake_pool = emission - work_pool;

	epoch_share(s, n, work_pool, 1, &work_w);
	epoch_share(s, n, stake_pool, 0, &stake_w);
	rec->work = work_w > UINT64_MAX ? UINT64_MAX : (uint64_t)work_w;
	for (size_t i = 0; i < n; i++)
		if (s[i].reward > 0) {
			minted += s[i].reward;  /* sum <= emission */
			rec->providers_rewarded++;
		}
	/* Only what is credited is minted. */
	if ((rc = tk_mint(tot, minted)))
		return rc;
	for (size_t i = 0; i < n; i++)
		if (s[i].reward > 0 &&
		    (rc = tk_reward(b, st, s[i].owner, s[i].reward)))
			return rc;
	return 0;
}

/* --- the boundary ------------------------------------------------------- */

static int epoch_providers(struct tok_block *b, struct ember_state *st,
                           struct tok_totals *tot, uint64_t e, uint64_t h,
                           struct tok_epoch_rec *rec)
{
	struct ember_txn *t = ember_state_txn(st);
	struct owner_walk w = { NULL, 0, 0 };
	uint64_t count;
	int rc;

	if ((rc = ember_store_count(t, EMBER_DB_PROVIDERS, &count)))
		return rc;
	if (count > SIZE_MAX / sizeof(*w.s))
		return EMBER_ENOMEM;
	if (count > 0 && !(w.s = calloc((size_t)count, sizeof(*w.s))))
		return EMBER_ENOMEM;
	w.cap = (size_t)count;
	rc = ember_store_iter(t, EMBER_DB_PROVIDERS, NULL, 0, owner_cb, &w);
	if (rc == 0 && w.n != w.cap)
		rc = EMBER_STORE_CORRUPT;
	/* Every provider is judged before any is paid (docs: step 3, then 4). */
	for (size_t i = 0; rc == 0 && i < w.n; i++)
		rc = epoch_judge(b, st, e, h, &w.s[i], rec);
	if (rc == 0)
		rc = epoch_emit(b, st, tot, w.s, w.n, rec);
	free(w.s);
	return rc;
}

int tk_epoch_end(struct tok_block *b, struct ember_state *st, uint64_t h)
{
	const struct ember_genesis *g = b->g;
	struct tok_totals *tot;
	struct tok_epoch_rec rec;
	uint8_t key[9], val[TOK_EPOCH_ENC_LEN];
	uint64_t e = tok_epoch_of(g, h), rate;
	int rc;

	if ((rc = tk_totals(b, ember_state_txn(st), &tot)))
		return rc;
	memset(&rec, 0, sizeof(rec));
	rec.epoch = e;

	/* 1. Oracle: e's reports set the price from e + 1 on. */
	if ((rc = epoch_oracle(st, tot, e, &rec)))
		return rc;
	/* 2. Settle every open lease to h; new segments at the new price. */
	rate = ember_genesis_model(g) == EMBER_MODEL_SFA ? 0 : tot->oracle_uusd;
	if ((rc = tk_settle_all(b, st, h, rate)))
		return rc;
	/* 3 and 4. Challenges, then emission and rewards. */
	if ((rc = epoch_providers(b, st, tot, e, h, &rec)))
		return rc;
	/* 4b. Validators that missed too many of e's last commits. */
	if ((rc = tk_downtime_epoch(b, st, e)))
		return rc;

	/* 5. The record, then the per-epoch counters start over. */
	rec.minted = tot->minted_epoch;
	rec.burned = tot->burned_epoch;
	rec.slashed = tot->slashed_epoch;   /* challenge, double-sign and downtime */
	rec.supply = tot->supply;
	rec.staked = tot->staked;
	tk_epoch_encode(&rec, val);
	rc = ember_state_put(st, EMBER_DB_PARAMS, key, ember_key_epoch(key, e),
	                     val, sizeof(val));
	if (rc)
		return rc;
	tot->epoch = e + 1;
	tot->minted_epoch = 0;
	tot->burned_epoch = 0;
	tot->slashed_epoch = 0;
	return 0;
}
