/*
 * market.c - the GPU market: order, bid, accept, close and topup; writing
 * the outcome of lazy lease settlement; providers' free capacity; the
 * order-expiry queue and the epoch boundary's settle-all.
 *
 * Rules: docs/economics.md, "Orders, bids, leases" and "Settlement".
 * Contract (tok_int.h): every handler checks everything first, settling
 * leases in memory only (ember_lease_settle), and writes only once nothing
 * can refuse, so every refusal below returns before the first put.
 *
 * Where escrow lives: an open order's deposit, then (from accept on) the
 * lease's escrow.  tot->escrow is their sum; it grows by an order's deposit
 * or a top-up and shrinks by what settlement charges, what a close refunds
 * and what an expired order refunds.  Accept moves the deposit from the
 * order to the lease, so it leaves tot->escrow alone; the order record
 * keeps its `deposit` as history, and only open orders count as escrow.
 *
 * Index walks collect a bounded batch of keys, then write (an LMDB cursor
 * must not see its own deletes), then resume after the last key handled,
 * so consensus code neither allocates nor mutates under a cursor.
 */
#include "tok_int.h"

#include <stdio.h>
#include <string.h>

#include "ember/amount.h"

#define BPS_ONE 10000u

/* Keys collected per pass of an index walk (bounded stack use). */
#define MK_BATCH 64

/* "4.5 EMB" (sfa, base units) or "2.75 USD" (bme and hybrid, micro-USD). */
#define MK_PRICE_BUFLEN 48

static const char *mk_price(enum ember_token_model m, uint64_t v,
                            char out[MK_PRICE_BUFLEN])
{
	char a[EMBER_AMOUNT_BUFLEN];
	unsigned long long whole = v / 1000000u, frac = v % 1000000u;
	int digits = 6;

	if (m == EMBER_MODEL_SFA) {
		ember_amount_format(v, a);
		snprintf(out, MK_PRICE_BUFLEN, "%s EMB", a);
		return out;
	}
	if (frac == 0) {
		snprintf(out, MK_PRICE_BUFLEN, "%llu USD", whole);
		return out;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(out, MK_PRICE_BUFLEN, "%llu.%0*llu USD", whole, digits, frac);
	return out;
}

static int mk_is_sender(const struct tk_tx *c, const uint8_t pub[32])
{
	return memcmp(c->tx->from, pub, 32) == 0;
}

/* --- index walks ---------------------------------------------------------- */

/* Per-key filter of a walk: 1 take, 0 pass over, 2 stop, negative error. */
typedef int (*mk_filter)(void *ctx, const uint8_t *key, size_t klen);

struct mk_walk {
	enum ember_db db;
	uint8_t prefix[EMBER_IDX_KEY_MAX];
	size_t plen;
	mk_filter filter;
	void *fctx;
	int resume;                     /* last[] holds the key handled last */
	uint8_t last[EMBER_IDX_KEY_MAX];
	size_t lastlen;
	size_t n;
	uint8_t key[MK_BATCH][EMBER_IDX_KEY_MAX];
	size_t klen[MK_BATCH];
};

static void mk_walk_init(struct mk_walk *w, enum ember_db db,
                         const uint8_t *prefix, size_t plen, mk_filter filter,
                         void *fctx)
{
	w->db = db;
	memcpy(w->prefix, prefix, plen);
	w->plen = plen;
	w->filter = filter;
	w->fctx = fctx;
	w->resume = 0;
	w->lastlen = 0;
	w->n = 0;
}

static int mk_walk_cb(void *ctx, const void *key, size_t klen, const void *val,
                      size_t vlen)
{
	struct mk_walk *w = ctx;
	int r;
	(void)val;
	(void)vlen;
	if (klen < w->plen || memcmp(key, w->prefix, w->plen) != 0)
		return 1;
	if (klen > EMBER_IDX_KEY_MAX)
		return EMBER_STORE_CORRUPT;
	/* The key handled last is still there when handling kept it (an
	 * open lease after settle-all); it was done, so pass over it. */
	if (w->resume && klen == w->lastlen && memcmp(key, w->last, klen) == 0)
		return 0;
	if (w->filter) {
		r = w->filter(w->fctx, key, klen);
		if (r < 0)
			return r;
		if (r == 2)
			return 1;
		if (r == 0)
			return 0;
	}
	memcpy(w->key[w->n], key, klen);
	w->klen[w->n] = klen;
	return ++w->n == MK_BATCH;
}

/* Collect the next batch into w->key[0 .. w->n).  The caller handles it and
 * calls again while w->n == MK_BATCH. */
static int mk_walk_next(struct ember_txn *t, struct mk_walk *w)
{
	int rc;
	w->n = 0;
	if (w->resume)
		rc = ember_store_iter(t, w->db, w->last, w->lastlen, mk_walk_cb, w);
	else
		rc = ember_store_iter(t, w->db, w->prefix, w->plen, mk_walk_cb, w);
	if (rc)
		return rc;
	if (w->n > 0) {
		w->resume = 1;
		w->lastlen = w->klen[w->n - 1];
		memcpy(w->last, w->key[w->n - 1], w->lastlen);
	}
	return 0;
}

/* --- index maintenance ----------------------------------------------------- */

static int mk_order_idx_open(struct ember_state *st, const struct ember_order *o)
{
	uint8_t key[EMBER_IDX_KEY_MAX];
	int rc;
	if ((rc = tk_idx_put(st, key, ember_idx_id(key, EMBER_IDX_ORDER_OPEN, o->id),
	                     NULL, 0)) ||
	    (rc = tk_idx_put(st, key, ember_idx_pub_id(key, EMBER_IDX_TENANT_ORDER,
	                                               o->tenant, o->id), NULL, 0)))
		return rc;
	return tk_idx_put(st, key, ember_idx_id_id(key, EMBER_IDX_ORDER_EXPIRY,
	                                           o->expires_height, o->id),
	                  NULL, 0);
}

/* An order leaves the open set and the expiry queue; 'o' stays (listing). */
static int mk_order_idx_close(struct ember_state *st, const struct ember_order *o)
{
	uint8_t key[EMBER_IDX_KEY_MAX];
	int rc;
	if ((rc = tk_idx_del(st, key, ember_idx_id(key, EMBER_IDX_ORDER_OPEN, o->id))))
		return rc;
	return tk_idx_del(st, key, ember_idx_id_id(key, EMBER_IDX_ORDER_EXPIRY,
	                                           o->expires_height, o->id));
}

static int mk_lease_idx_open(struct ember_state *st, const struct ember_lease *l)
{
	uint8_t key[EMBER_IDX_KEY_MAX];
	int rc;
	if ((rc = tk_idx_put(st, key, ember_idx_id(key, EMBER_IDX_LEASE_OPEN, l->id),
	                     NULL, 0)) ||
	    (rc = tk_idx_put(st, key, ember_idx_pub_id(key, EMBER_IDX_PROV_OPEN,
	                                               l->provider, l->id), NULL, 0)) ||
	    (rc = tk_idx_put(st, key, ember_idx_pub_id(key, EMBER_IDX_PROV_LEASE,
	                                               l->provider, l->id), NULL, 0)))
		return rc;
	return tk_idx_put(st, key, ember_idx_pub_id(key, EMBER_IDX_TENANT_LEASE,
	                                            l->tenant, l->id), NULL, 0);
}

/* A closed lease leaves the open sets; 'p' and 't' stay (listing). */
static int mk_lease_idx_close(struct ember_state *st, const struct ember_lease *l)
{
	uint8_t key[EMBER_IDX_KEY_MAX];
	int rc;
	if ((rc = tk_idx_del(st, key, ember_idx_id(key, EMBER_IDX_LEASE_OPEN, l->id))))
		return rc;
	return tk_idx_del(st, key, ember_idx_pub_id(key, EMBER_IDX_PROV_OPEN,
	                                            l->provider, l->id));
}

/* Delete every bid on an order (bids hold no tokens, so nothing moves). */
static int mk_drop_bids(struct ember_state *st, uint64_t order_id)
{
	struct ember_txn *t = ember_state_txn(st);
	uint8_t prefix[8];
	struct mk_walk w;
	int rc;

	ember_key_id(prefix, order_id);
	mk_walk_init(&w, EMBER_DB_BIDS, prefix, sizeof(prefix), NULL, NULL);
	do {
		if ((rc = mk_walk_next(t, &w)))
			return rc;
		for (size_t i = 0; i < w.n; i++) {
			if (w.klen[i] != 8 + 32)
				return EMBER_STORE_CORRUPT;
			if ((rc = tk_del_bid(st, order_id, w.key[i] + 8)))
				return rc;
		}
	} while (w.n == MK_BATCH);
	return 0;
}

/* --- lease settlement ------------------------------------------------------ */

/*
 * tk_lease_settle_write, with a switch for callers that change the lease
 * further and write it themselves (put_lease 0: *l is updated, not put).
 * Every consistency check comes before the first write, so only a store
 * error (which aborts the block) or an overflow that the supply bound
 * rules out can stop it half way.
 */
static int mk_settle(struct tok_block *b, struct ember_state *st,
                     struct tk_tx *c, struct ember_lease *l, uint64_t h,
                     uint8_t reason, struct ember_provider *prov, int put_lease)
{
	const struct ember_genesis *g = b->g;
	enum ember_token_model model = ember_genesis_model(g);
	struct ember_txn *t = ember_state_txn(st);
	struct tok_totals *tot;
	struct ember_provider own, *p = prov;
	struct ember_lease out;
	uint64_t charged, refund = 0, last, blocks, fee = 0;
	uint64_t gpu_blocks = 0, work = 0, work_total = 0, epoch = 0;
	uint32_t bps = g->params.protocol_fee_bps;
	int closing, changed, rc;

	if (l->status != EMBER_LEASE_OPEN)
		return 0;                       /* closed leases never change */
	if ((rc = tk_totals(b, t, &tot)))
		return rc;
	if ((rc = ember_lease_settle(l, h, model, g->block_time_ms, &out,
	                             &charged)))
		return rc;
	if (reason != EMBER_CLOSE_NONE && out.status == EMBER_LEASE_OPEN) {
		out.status = EMBER_LEASE_CLOSED;
		out.close_reason = reason;
		out.close_height = h;
	}
	closing = out.status != EMBER_LEASE_OPEN;
	changed = closing || charged > 0 ||
	          out.settled_height != l->settled_height;

	/* Blocks billed by this step: settled_height+1 .. the last block paid
	 * for, which is close_height when the lease ran dry before h. */
	last = out.settled_height;
	if (closing && out.close_height < last)
		last = out.close_height;
	blocks = last > l->settled_height ? last - l->settled_height : 0;

	if (closing)
		refund = out.escrow;
	if (charged > tot->escrow || refund > tot->escrow - charged)
		return EMBER_STORE_CORRUPT;     /* totals disagree with the lease */
	if (model == EMBER_MODEL_SFA) {
		if (bps > BPS_ONE)
			bps = BPS_ONE;
		fee = (uint64_t)((unsigned __int128)charged * bps / BPS_ONE);
	}

	if (!p && (blocks > 0 || closing)) {
		rc = tk_get_provider(t, l->provider, &own);
		if (rc == EMBER_ENOTFOUND)
			return EMBER_STORE_CORRUPT;   /* providers are never deleted */
		if (rc)
			return rc;
		p = &own;
	}
	if (blocks > 0) {
		/* Every open lease is settled at each epoch boundary, so the
		 * blocks of one step all lie in the epoch of h (a boundary
		 * block belongs to the epoch it ends). */
		epoch = tok_epoch_of(g, h);
		work = p->work_epoch == epoch ? p->work : 0;
		if (!ember_mul_u64(l->gpus, blocks, &gpu_blocks) ||
		    !ember_add_u64(work, gpu_blocks, &work) ||
		    !ember_add_u64(p->work_total, gpu_blocks, &work_total))
			return EMBER_TX_OVERFLOW;
	}
	if (closing && (p->gpus_leased < l->gpus || p->open_leases == 0 ||
	                tot->open_leases == 0))
		return EMBER_STORE_CORRUPT;

	/* Checks are done: from here on only writes. */
	if (charged > 0) {
		tot->escrow -= charged;
		if (model == EMBER_MODEL_SFA) {
			if ((rc = tk_burn(tot, fee)) ||
			    (rc = tk_reward(b, st, l->provider, charged - fee)))
				return rc;
		} else if ((rc = tk_burn(tot, charged))) {
			return rc;
		}
	}
	if (blocks > 0) {
		p->work_epoch = epoch;
		p->work = work;
		p->work_total = work_total;
	}
	if (closing) {
		if ((rc = tk_credit(c, st, l->tenant, refund)))
			return rc;
		tot->escrow -= refund;
		out.escrow = 0;
		p->gpus_leased -= l->gpus;
		p->open_leases--;
		tot->open_leases--;
		if ((rc = mk_lease_idx_close(st, &out)))
			return rc;
	}
	if (put_lease && changed && (rc = tk_put_lease(st, &out)))
		return rc;
	if (p == &own && (rc = tk_put_provider(st, p)))
		return rc;
	*l = out;
	return 0;
}

int tk_lease_settle_write(struct tok_block *b, struct ember_state *st,
                          struct tk_tx *c, struct ember_lease *l, uint64_t h,
                          uint8_t reason, struct ember_provider *prov)
{
	return mk_settle(b, st, c, l, h, reason, prov, 1);
}

/* Settle in memory for a handler's checks; on an arithmetic error the
 * refusal names the lease. */
static int mk_view(struct tk_tx *c, const struct ember_lease *l,
                   struct ember_lease *now)
{
	uint64_t charged;
	int rc = ember_lease_settle(l, c->b->height, c->model,
	                            c->g->block_time_ms, now, &charged);
	if (rc)
		ember_errf(c->why, c->whylen, "lease %llu cannot be settled at height %llu",
		    (unsigned long long)l->id, (unsigned long long)c->b->height);
	return rc;
}

/* --- free capacity --------------------------------------------------------- */

struct mk_free {
	struct ember_txn *t;
	const struct ember_genesis *g;
	enum ember_token_model model;
	uint64_t h;
	uint8_t prefix[1 + 32];
	uint64_t used;
	int want_closed;                /* filter mode: take leases closed by h */
};

/* Read lease `id` of a 'P' key and settle it in memory to w->h;
 * *open gets whether it is still open, *gpus its GPUs. */
static int mk_free_lease(struct mk_free *w, const uint8_t *key, size_t klen,
                         int *open, uint32_t *gpus)
{
	struct ember_lease l, now;
	uint64_t charged;
	int rc;
	if (klen != 1 + 32 + 8)
		return EMBER_STORE_CORRUPT;
	rc = tk_get_lease(w->t, ember_be64_get(key + 33), &l);
	if (rc == EMBER_ENOTFOUND)
		return EMBER_STORE_CORRUPT;     /* index names a missing lease */
	if (rc)
		return rc;
	if ((rc = ember_lease_settle(&l, w->h, w->model,
	                             w->g->block_time_ms, &now, &charged)))
		return rc;
	*open = now.status == EMBER_LEASE_OPEN;
	*gpus = l.gpus;
	return 0;
}

/* Reads inside the walk are fine: LMDB lets a txn get while a cursor of
 * it is open; only writes are kept out of walks. */
static int mk_free_cb(void *ctx, const void *key, size_t klen, const void *val,
                      size_t vlen)
{
	struct mk_free *w = ctx;
	uint32_t gpus;
	int open, rc;
	(void)val;
	(void)vlen;
	if (klen < sizeof(w->prefix) || memcmp(key, w->prefix, sizeof(w->prefix)))
		return 1;
	if ((rc = mk_free_lease(w, key, klen, &open, &gpus)))
		return rc;
	if (open)
		w->used += gpus;
	return 0;
}

static void mk_free_init(struct mk_free *w, struct ember_txn *t,
                         const struct ember_genesis *g, const uint8_t owner[32],
                         uint64_t h)
{
	memset(w, 0, sizeof(*w));
	w->t = t;
	w->g = g;
	w->model = ember_genesis_model(g);
	w->h = h;
	w->prefix[0] = EMBER_IDX_PROV_OPEN;
	memcpy(w->prefix + 1, owner, 32);
}

int tk_provider_free(struct ember_txn *t, const struct ember_genesis *g,
                     const struct ember_provider *p, uint64_t h,
                     uint32_t *free_gpus)
{
	struct mk_free w;
	int rc;

	mk_free_init(&w, t, g, p->owner, h);
	if ((rc = ember_store_iter(t, EMBER_DB_INDEX, w.prefix, sizeof(w.prefix),
	                           mk_free_cb, &w)))
		return rc;
	*free_gpus = w.used >= p->gpus ? 0 : (uint32_t)(p->gpus - w.used);
	return 0;
}

/* Walk filter: the provider's 'P' leases that are closed once settled. */
static int mk_ended_filter(void *ctx, const uint8_t *key, size_t klen)
{
	uint32_t gpus;
	int open, rc;
	if ((rc = mk_free_lease(ctx, key, klen, &open, &gpus)))
		return rc;
	return !open;
}

/*
 * Write the settlement of p's leases that have ended or run dry by h, with
 * p held in memory (the caller writes it).  Accept runs this before it
 * reserves GPUs, so gpus_leased counts only leases that still run and the
 * reservation keeps gpus_leased <= gpus.
 */
static int mk_settle_ended(struct tk_tx *c, struct ember_provider *p)
{
	uint64_t h = c->b->height;
	struct mk_free f;
	struct mk_walk w;
	struct ember_lease l;
	int rc;

	mk_free_init(&f, c->t, c->g, p->owner, h);
	mk_walk_init(&w, EMBER_DB_INDEX, f.prefix, sizeof(f.prefix),
	             mk_ended_filter, &f);
	do {
		if ((rc = mk_walk_next(c->t, &w)))
			return rc;
		for (size_t i = 0; i < w.n; i++) {
			rc = tk_get_lease(c->t, ember_be64_get(w.key[i] + 33), &l);
			if (rc == EMBER_ENOTFOUND)
				return EMBER_STORE_CORRUPT;
			if (rc || (rc = mk_settle(c->b, c->st, c, &l, h,
			                          EMBER_CLOSE_NONE, p, 1)))
				return rc;
		}
	} while (w.n == MK_BATCH);
	return 0;
}

/* --- shared refusals ------------------------------------------------------- */

/* Under bme and hybrid a payment that starts or adds money needs a fresh
 * oracle price, because the tokens it locks pay a USD price. */
static int mk_need_oracle(struct tk_tx *c, const struct tok_totals *tot,
                          const char *what)
{
	char price[MK_PRICE_BUFLEN];
	if (c->model == EMBER_MODEL_SFA || tok_oracle_fresh(tot, c->g, c->b->epoch))
		return 0;
	if (tot->oracle_uusd == 0)
		ember_errf(c->why, c->whylen,
		    "no oracle price for epoch %llu; %s needs a token price in USD, wait until validators report one",
		    (unsigned long long)c->b->epoch, what);
	else
		ember_errf(c->why, c->whylen,
		    "oracle price %s per EMB from epoch %llu is stale in epoch %llu (max age %u epochs); %s needs a fresh price, wait for validators to report",
		    mk_price(EMBER_MODEL_BME, tot->oracle_uusd, price),
		    (unsigned long long)tot->oracle_epoch,
		    (unsigned long long)c->b->epoch,
		    (unsigned)c->g->params.oracle_max_age_epochs, what);
	return EMBER_TOK_ORACLE_STALE;
}

/* Explain tk_provider_eligible's why_not for provider p, bidding on order
 * o or (accepting) whose bid on o is being accepted. */
static int mk_refuse_ineligible(struct tk_tx *c, const struct ember_provider *p,
                                int why_not, const struct ember_order *o,
                                int accepting)
{
	const struct ember_gpu_class *cl = ember_genesis_class(c->g, p->gpu_class);
	char addr[EMBER_ADDR_BUFLEN], have[EMBER_AMOUNT_BUFLEN];
	char need[EMBER_AMOUNT_BUFLEN];
	struct ember_stake s;
	uint64_t n;
	int rc;

	tk_addr(p->owner, addr);
	switch (why_not) {
	case EMBER_TOK_PROVIDER_RETIRED:
		ember_errf(c->why, c->whylen,
		    "provider '%s' is retired; it must register again to take orders",
		    addr);
		break;
	case EMBER_TOK_JAILED:
		/* jailed_until is the first epoch out of jail. */
		if (accepting)
			ember_errf(c->why, c->whylen,
			    "provider '%s' is jailed until epoch %llu (now epoch %llu); "
			    "its bid on order %llu cannot be accepted before epoch %llu, "
			    "accept another bid",
			    addr, (unsigned long long)p->jailed_until,
			    (unsigned long long)c->b->epoch, (unsigned long long)o->id,
			    (unsigned long long)p->jailed_until);
		else
			ember_errf(c->why, c->whylen,
			    "provider '%s' is jailed until epoch %llu (now epoch %llu) "
			    "and cannot bid on order %llu; it may bid again from epoch %llu",
			    addr, (unsigned long long)p->jailed_until,
			    (unsigned long long)c->b->epoch, (unsigned long long)o->id,
			    (unsigned long long)p->jailed_until);
		break;
	case EMBER_TOK_STAKE_LOW:
		if ((rc = tk_get_stake(c->t, p->owner, &s)))
			return rc;
		ember_amount_format(s.amount, have);
		/* A minimum that overflows is one no stake can meet. */
		if (cl && ember_mul_u64(cl->min_stake_per_gpu, p->gpus, &n))
			ember_amount_format(n, need);
		else
			snprintf(need, sizeof(need), "more than any");
		ember_errf(c->why, c->whylen,
		    "provider '%s' has %s EMB staked; %u gpus of class '%s' need %s EMB, stake more first",
		    addr, have, p->gpus, cl ? cl->name : "?", need);
		break;
	default:
		ember_errf(c->why, c->whylen, "provider '%s' is not eligible", addr);
		break;
	}
	return why_not;
}

/* The order must be open at this height (bid and accept). */
static int mk_order_open(struct tk_tx *c, const struct ember_order *o)
{
	if (o->status == EMBER_ORDER_LEASED) {
		ember_errf(c->why, c->whylen, "order %llu is already leased (lease %llu)",
		    (unsigned long long)o->id, (unsigned long long)o->lease_id);
		return EMBER_TOK_ORDER_CLOSED;
	}
	if (o->status != EMBER_ORDER_OPEN || c->b->height >= o->expires_height) {
		ember_errf(c->why, c->whylen,
		    "order %llu expired at height %llu; the tenant must order again",
		    (unsigned long long)o->id, (unsigned long long)o->expires_height);
		return EMBER_TOK_ORDER_EXPIRED;
	}
	return 0;
}

/* rc of reading record `what` number id, with a missing record refused as
 * code ("order 7 does not exist"). */
static int mk_missing(struct tk_tx *c, int rc, const char *what, uint64_t id,
                      int code)
{
	if (rc != EMBER_ENOTFOUND)
		return rc;
	ember_errf(c->why, c->whylen, "%s %llu does not exist", what,
	    (unsigned long long)id);
	return code;
}

static int mk_get_order(struct tk_tx *c, uint64_t id, struct ember_order *o)
{
	return mk_missing(c, tk_get_order(c->t, id, o), "order", id,
	                  EMBER_TOK_NO_ORDER);
}

static int mk_get_lease(struct tk_tx *c, uint64_t id, struct ember_lease *l)
{
	return mk_missing(c, tk_get_lease(c->t, id, l), "lease", id,
	                  EMBER_TOK_NO_LEASE);
}

/* A lease closed by h (now is l settled in memory to h). */
static int mk_refuse_closed(struct tk_tx *c, const struct ember_lease *now,
                            const char *next)
{
	const char *reason = ember_close_reason_name(now->close_reason);
	ember_errf(c->why, c->whylen, "lease %llu closed at height %llu (%s)%s",
	    (unsigned long long)now->id, (unsigned long long)now->close_height,
	    reason ? reason : "unknown", next);
	return EMBER_TOK_LEASE_CLOSED;
}

/* The class the provider offers must be the order's; else EMBER_TOK_CLASS. */
static int mk_same_class(struct tk_tx *c, const struct ember_provider *p,
                         const struct ember_order *o)
{
	const struct ember_gpu_class *pc, *oc;
	char addr[EMBER_ADDR_BUFLEN];
	if (p->gpu_class == o->gpu_class)
		return 0;
	pc = ember_genesis_class(c->g, p->gpu_class);
	oc = ember_genesis_class(c->g, o->gpu_class);
	tk_addr(p->owner, addr);
	ember_errf(c->why, c->whylen,
	    "provider '%s' offers gpu class '%s', order %llu needs '%s'", addr,
	    pc ? pc->name : "?", (unsigned long long)o->id, oc ? oc->name : "?");
	return EMBER_TOK_CLASS;
}

static int mk_capacity(struct tk_tx *c, const struct ember_provider *p,
                       const struct ember_order *o)
{
	char addr[EMBER_ADDR_BUFLEN];
	uint32_t free_gpus;
	int rc;
	/* gpus_leased over-counts what is in use (leases that ended lazily
	 * still count), so when it already leaves room the walk over the
	 * provider's open leases is not needed: O(1) for the common case. */
	if (p->gpus_leased <= p->gpus && p->gpus - p->gpus_leased >= o->gpus)
		return 0;
	if ((rc = tk_provider_free(c->t, c->g, p, c->b->height, &free_gpus)))
		return rc;
	if (free_gpus >= o->gpus)
		return 0;
	tk_addr(p->owner, addr);
	ember_errf(c->why, c->whylen, "provider '%s' has %u free gpus, order %llu needs %u",
	    addr, free_gpus, (unsigned long long)o->id, o->gpus);
	return EMBER_TOK_CAPACITY;
}

/* --- handlers -------------------------------------------------------------- */

int tk_order(struct tk_tx *c)
{
	const struct ember_tx_order *po = &c->tx->u.order;
	uint64_t h = c->b->height;
	struct tok_totals *tot;
	struct ember_order o;
	uint64_t expires, escrow;
	int rc;

	if (!ember_genesis_class(c->g, po->gpu_class)) {
		ember_errf(c->why, c->whylen, "unknown gpu class %u",
		    (unsigned)po->gpu_class);
		return EMBER_TOK_CLASS;
	}
	if ((rc = tk_totals(c->b, c->t, &tot)))
		return rc;
	if ((rc = mk_need_oracle(c, tot, "an order")))
		return rc;
	if (!ember_add_u64(h, c->g->params.order_ttl_blocks, &expires) ||
	    !ember_add_u64(tot->escrow, po->deposit, &escrow) ||
	    tot->next_order_id == UINT64_MAX) {
		ember_errf(c->why, c->whylen, "order would overflow the chain's counters");
		return EMBER_TX_OVERFLOW;
	}

	memset(&o, 0, sizeof(o));
	o.id = tot->next_order_id;
	memcpy(o.tenant, c->tx->from, 32);
	o.status = EMBER_ORDER_OPEN;
	o.gpu_class = po->gpu_class;
	o.gpus = po->gpus;
	o.max_price_per_gpu_hour = po->max_price_per_gpu_hour;
	o.duration_blocks = po->duration_blocks;
	o.deposit = po->deposit;
	o.created_height = h;
	o.expires_height = expires;

	/* Checks are done: from here on only writes.  The prologue already
	 * took the deposit off the sender; it now sits in escrow. */
	if ((rc = tk_put_order(c->st, &o)) || (rc = mk_order_idx_open(c->st, &o)))
		return rc;
	tot->escrow = escrow;
	tot->open_orders++;
	tot->next_order_id++;
	return 0;
}

int tk_bid(struct tk_tx *c)
{
	const struct ember_tx_bid *pb = &c->tx->u.bid;
	char addr[EMBER_ADDR_BUFLEN], bid_s[MK_PRICE_BUFLEN], max_s[MK_PRICE_BUFLEN];
	struct ember_order o;
	struct ember_provider p;
	struct ember_bid bid;
	int why_not = 0, rc;

	if ((rc = mk_get_order(c, pb->order_id, &o)) || (rc = mk_order_open(c, &o)) ||
	    (rc = tk_sender_provider(c, &p)))
		return rc;
	if (mk_is_sender(c, o.tenant)) {
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "provider '%s' cannot bid on its own order %llu", addr,
		    (unsigned long long)o.id);
		return EMBER_TOK_SELF_DEAL;
	}
	if ((rc = mk_same_class(c, &p, &o)))
		return rc;
	rc = tk_provider_eligible(c->t, c->g, &p, c->b->epoch, &why_not);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return mk_refuse_ineligible(c, &p, why_not, &o, 0);
	if (pb->price_per_gpu_hour > o.max_price_per_gpu_hour) {
		ember_errf(c->why, c->whylen,
		    "bid %s per gpu-hour is above order %llu's max price %s",
		    mk_price(c->model, pb->price_per_gpu_hour, bid_s),
		    (unsigned long long)o.id,
		    mk_price(c->model, o.max_price_per_gpu_hour, max_s));
		return EMBER_TOK_BID_PRICE;
	}
	if ((rc = mk_capacity(c, &p, &o)))
		return rc;
	rc = tk_get_bid(c->t, o.id, c->tx->from, &bid);
	if (rc == 0) {
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "provider '%s' already bid %s per gpu-hour on order %llu", addr,
		    mk_price(c->model, bid.price_per_gpu_hour, bid_s),
		    (unsigned long long)o.id);
		return EMBER_TOK_BID_EXISTS;
	}
	if (rc != EMBER_ENOTFOUND)
		return rc;
	if (o.nbids >= c->g->params.max_bids_per_order) {
		ember_errf(c->why, c->whylen,
		    "order %llu already has %u bids, the most allowed",
		    (unsigned long long)o.id, o.nbids);
		return EMBER_TOK_BID_LIMIT;
	}

	/* Checks are done: from here on only writes.  A bid reserves
	 * nothing; accept checks capacity again. */
	memset(&bid, 0, sizeof(bid));
	bid.order_id = o.id;
	memcpy(bid.provider, c->tx->from, 32);
	bid.price_per_gpu_hour = pb->price_per_gpu_hour;
	bid.height = c->b->height;
	o.nbids++;
	if ((rc = tk_put_bid(c->st, &bid)))
		return rc;
	return tk_put_order(c->st, &o);
}

int tk_accept(struct tk_tx *c)
{
	const struct ember_tx_accept *pa = &c->tx->u.accept;
	uint64_t h = c->b->height;
	char addr[EMBER_ADDR_BUFLEN], price[MK_PRICE_BUFLEN];
	struct tok_totals *tot;
	struct ember_order o;
	struct ember_bid bid;
	struct ember_provider p;
	struct ember_lease l, sim;
	uint64_t end, charged;
	int why_not = 0, rc;

	if ((rc = mk_get_order(c, pa->order_id, &o)))
		return rc;
	if (!mk_is_sender(c, o.tenant)) {
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "account '%s' is not the tenant of order %llu; only the tenant may accept",
		    addr, (unsigned long long)o.id);
		return EMBER_TOK_NOT_PARTY;
	}
	if ((rc = mk_order_open(c, &o)))
		return rc;
	rc = tk_get_bid(c->t, o.id, pa->provider, &bid);
	if (rc == EMBER_ENOTFOUND) {
		tk_addr(pa->provider, addr);
		ember_errf(c->why, c->whylen, "provider '%s' has no bid on order %llu",
		    addr, (unsigned long long)o.id);
		return EMBER_TOK_NO_BID;
	}
	if (rc)
		return rc;
	rc = tk_get_provider(c->t, pa->provider, &p);
	if (rc == EMBER_ENOTFOUND) {
		tk_addr(pa->provider, addr);
		ember_errf(c->why, c->whylen, "account '%s' is not a registered provider",
		    addr);
		return EMBER_TOK_NO_PROVIDER;
	}
	if (rc)
		return rc;
	/* The provider may have retired, been jailed, unstaked, changed class
	 * or leased its GPUs elsewhere since it bid. */
	rc = tk_provider_eligible(c->t, c->g, &p, c->b->epoch, &why_not);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return mk_refuse_ineligible(c, &p, why_not, &o, 1);
	if ((rc = mk_same_class(c, &p, &o)) || (rc = mk_capacity(c, &p, &o)))
		return rc;
	if ((rc = tk_totals(c->b, c->t, &tot)))
		return rc;
	if ((rc = mk_need_oracle(c, tot, "accepting an order")))
		return rc;
	/* Settling ended leases below only lowers gpus_leased, so checking
	 * the record as read is enough. */
	if (!ember_add_u64(h, o.duration_blocks, &end) ||
	    tot->next_lease_id == UINT64_MAX || tot->open_orders == 0 ||
	    p.gpus_leased > UINT32_MAX - o.gpus || p.open_leases == UINT32_MAX) {
		ember_errf(c->why, c->whylen, "lease would overflow the chain's counters");
		return tot->open_orders == 0 ? EMBER_STORE_CORRUPT : EMBER_TX_OVERFLOW;
	}

	memset(&l, 0, sizeof(l));
	l.id = tot->next_lease_id;
	l.order_id = o.id;
	memcpy(l.tenant, o.tenant, 32);
	memcpy(l.provider, p.owner, 32);
	l.gpu_class = o.gpu_class;
	l.gpus = o.gpus;
	l.price_per_gpu_hour = bid.price_per_gpu_hour;
	l.status = EMBER_LEASE_OPEN;
	l.close_reason = EMBER_CLOSE_NONE;
	l.start_height = h;
	l.end_height = end;
	l.settled_height = h;
	l.seg_start = h;
	l.seg_rate_uusd = c->model == EMBER_MODEL_SFA ? 0 : tot->oracle_uusd;
	l.escrow = o.deposit;
	l.deposited_total = o.deposit;
	/* Run the whole lease once at this rate: a lease whose cost the
	 * settlement arithmetic cannot hold is refused now rather than failing
	 * a later block at the epoch boundary. */
	if ((rc = ember_lease_settle(&l, end, c->model, c->g->block_time_ms,
	                             &sim, &charged))) {
		ember_errf(c->why, c->whylen,
		    "a lease of %u gpus at %s per gpu-hour for order %llu cannot be settled",
		    l.gpus, mk_price(c->model, l.price_per_gpu_hour, price),
		    (unsigned long long)o.id);
		return rc;
	}

	/* Checks are done: from here on only writes.  First close what has
	 * ended on this provider, so the reservation lands on an accurate
	 * gpus_leased (capacity counted those leases as free). */
	if ((p.gpus_leased > p.gpus || p.gpus - p.gpus_leased < l.gpus) &&
	    (rc = mk_settle_ended(c, &p)))
		return rc;
	p.gpus_leased += l.gpus;
	p.open_leases++;
	o.status = EMBER_ORDER_LEASED;
	o.lease_id = l.id;
	if ((rc = tk_put_lease(c->st, &l)) ||
	    (rc = mk_lease_idx_open(c->st, &l)) ||
	    (rc = tk_put_order(c->st, &o)) ||
	    (rc = mk_order_idx_close(c->st, &o)) ||
	    (rc = mk_drop_bids(c->st, o.id)) ||
	    (rc = tk_put_provider(c->st, &p)))
		return rc;
	/* The deposit moves from the order to the lease: escrow unchanged. */
	tot->open_orders--;
	tot->open_leases++;
	tot->next_lease_id++;
	return 0;
}

int tk_close(struct tk_tx *c)
{
	uint64_t id = c->tx->u.ref.id;
	char addr[EMBER_ADDR_BUFLEN];
	struct ember_lease l, now;
	uint8_t reason;
	int rc;

	if ((rc = mk_get_lease(c, id, &l)))
		return rc;
	if (mk_is_sender(c, l.tenant)) {
		reason = EMBER_CLOSE_TENANT;
	} else if (mk_is_sender(c, l.provider)) {
		reason = EMBER_CLOSE_PROVIDER;
	} else {
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "account '%s' is neither the tenant nor the provider of lease %llu",
		    addr, (unsigned long long)id);
		return EMBER_TOK_NOT_PARTY;
	}
	if ((rc = mk_view(c, &l, &now)))
		return rc;
	if (now.status != EMBER_LEASE_OPEN)
		return mk_refuse_closed(c, &now, "");
	return tk_lease_settle_write(c->b, c->st, c, &l, c->b->height, reason, NULL);
}

int tk_topup(struct tk_tx *c)
{
	const struct ember_tx_amount *pt = &c->tx->u.amount;
	char addr[EMBER_ADDR_BUFLEN];
	struct tok_totals *tot;
	struct ember_lease l, now;
	uint64_t escrow, deposited, tot_escrow;
	int rc;

	if ((rc = mk_get_lease(c, pt->lease_id, &l)))
		return rc;
	if (!mk_is_sender(c, l.tenant)) {
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "account '%s' is not the tenant of lease %llu; only the tenant may top up",
		    addr, (unsigned long long)l.id);
		return EMBER_TOK_NOT_PARTY;
	}
	if ((rc = mk_view(c, &l, &now)))
		return rc;
	/* A lease that ran dry stays closed as of the last block it paid for:
	 * reopening would let it run unpaid until the top-up. */
	if (now.status != EMBER_LEASE_OPEN)
		return mk_refuse_closed(c, &now,
		    "; a top-up never reopens a lease, place a new order");
	if ((rc = tk_totals(c->b, c->t, &tot)))
		return rc;
	if ((rc = mk_need_oracle(c, tot, "a top-up")))
		return rc;
	if (!ember_add_u64(now.escrow, pt->amount, &escrow) ||
	    !ember_add_u64(now.deposited_total, pt->amount, &deposited) ||
	    !ember_add_u64(tot->escrow, pt->amount, &tot_escrow)) {
		ember_errf(c->why, c->whylen, "top-up of lease %llu would overflow its escrow",
		    (unsigned long long)l.id);
		return EMBER_TX_OVERFLOW;
	}

	/* Checks are done: from here on only writes.  Settle first, so blocks
	 * up to this one are paid from the old escrow at the old coverage. */
	if ((rc = mk_settle(c->b, c->st, c, &l, c->b->height, EMBER_CLOSE_NONE,
	                    NULL, 0)))
		return rc;
	if (l.status != EMBER_LEASE_OPEN)
		return EMBER_STORE_CORRUPT;     /* in-memory settle said open */
	l.escrow += pt->amount;
	l.deposited_total += pt->amount;
	if ((rc = tk_put_lease(c->st, &l)))
		return rc;
	tot->escrow += pt->amount;
	return 0;
}

/* --- block end and epoch boundary ------------------------------------------ */

struct mk_expiry {
	uint64_t h;
};

/* 'X' be64 expiry be64 order: take while expiry <= h, then stop. */
static int mk_expiry_filter(void *ctx, const uint8_t *key, size_t klen)
{
	const struct mk_expiry *x = ctx;
	if (klen != 1 + 8 + 8)
		return EMBER_STORE_CORRUPT;
	return ember_be64_get(key + 1) <= x->h ? 1 : 2;
}

static int mk_expire_one(struct ember_state *st, struct tok_totals *tot,
                         uint64_t expiry, uint64_t id)
{
	struct ember_order o;
	int rc = tk_get_order(ember_state_txn(st), id, &o);
	if (rc == EMBER_ENOTFOUND)
		return EMBER_STORE_CORRUPT;
	if (rc)
		return rc;
	if (o.status != EMBER_ORDER_OPEN || o.expires_height != expiry ||
	    tot->escrow < o.deposit || tot->open_orders == 0)
		return EMBER_STORE_CORRUPT;
	o.status = EMBER_ORDER_EXPIRED;
	if ((rc = tk_credit(NULL, st, o.tenant, o.deposit)) ||
	    (rc = tk_put_order(st, &o)) ||
	    (rc = mk_order_idx_close(st, &o)) ||
	    (rc = mk_drop_bids(st, o.id)))
		return rc;
	tot->escrow -= o.deposit;
	tot->open_orders--;
	return 0;
}

int tk_expire_orders(struct tok_block *b, struct ember_state *st, uint64_t h)
{
	const uint8_t prefix = EMBER_IDX_ORDER_EXPIRY;
	struct ember_txn *t = ember_state_txn(st);
	struct mk_expiry x = { h };
	struct tok_totals *tot;
	struct mk_walk w;
	int rc;

	if ((rc = tk_totals(b, t, &tot)))
		return rc;
	mk_walk_init(&w, EMBER_DB_INDEX, &prefix, 1, mk_expiry_filter, &x);
	do {
		if ((rc = mk_walk_next(t, &w)))
			return rc;
		for (size_t i = 0; i < w.n; i++)
			if ((rc = mk_expire_one(st, tot, ember_be64_get(w.key[i] + 1),
			                        ember_be64_get(w.key[i] + 9))))
				return rc;
	} while (w.n == MK_BATCH);
	return 0;
}

int tk_settle_all(struct tok_block *b, struct ember_state *st, uint64_t h,
                  uint64_t rate_uusd)
{
	const uint8_t prefix = EMBER_IDX_LEASE_OPEN;
	enum ember_token_model model = ember_genesis_model(b->g);
	struct ember_txn *t = ember_state_txn(st);
	struct ember_lease l;
	struct mk_walk w;
	int rc;

	mk_walk_init(&w, EMBER_DB_INDEX, &prefix, 1, NULL, NULL);
	do {
		if ((rc = mk_walk_next(t, &w)))
			return rc;
		for (size_t i = 0; i < w.n; i++) {
			if (w.klen[i] != 1 + 8)
				return EMBER_STORE_CORRUPT;
			rc = tk_get_lease(t, ember_be64_get(w.key[i] + 1), &l);
			if (rc == EMBER_ENOTFOUND || (rc == 0 &&
			                              l.status != EMBER_LEASE_OPEN))
				return EMBER_STORE_CORRUPT;
			if (rc || (rc = mk_settle(b, st, NULL, &l, h,
			                          EMBER_CLOSE_NONE, NULL, 0)))
				return rc;
			if (l.status == EMBER_LEASE_OPEN) {
				/* A new segment at the new price.  Without a
				 * price (rate 0 under bme/hybrid) a running
				 * lease keeps its segment's price: it is never
				 * served for free. */
				l.seg_start = h;
				l.seg_paid = 0;
				if (model == EMBER_MODEL_SFA)
					l.seg_rate_uusd = 0;
				else if (rate_uusd != 0)
					l.seg_rate_uusd = rate_uusd;
			}
			if ((rc = tk_put_lease(st, &l)))
				return rc;
		}
	} while (w.n == MK_BATCH);
	return 0;
}
