/*
 * market.c - the token-economy and GPU-market reads over JSON-RPC
 * (docs/rpc.md, "Market and token economy"): providers, orders, leases,
 * stakes, the supply, network statistics and the chain's parameters.
 *
 * Every handler works on one LMDB read transaction, and takes "now" to be
 * the tip recorded in that same transaction, so every figure in an answer
 * belongs to one height (given as "height") even while blocks commit.
 * Leases settle lazily in state (market.h); a read shows each lease
 * settled in memory to that height (tok_lease_view), so an explorer never
 * sees a lease as open after its money ran out, and "leased"/"free" GPU
 * counts here use the same view.
 *
 * Lists page in key order: "after" is the last key of the previous page
 * (an address for providers, an id for orders and leases) and the answer's
 * "next" is the cursor for the following page, or null on the last page.
 * A filtered list walks a secondary index (market.h) where one fits the
 * filter, so a tenant's leases cost O(that tenant's leases).
 *
 * Amounts and prices are decimal strings (base units; prices per GPU-hour
 * in base units under sfa and micro-USD under bme/hybrid, named by
 * "price_unit"), heights, ids and counts JSON integers, as in methods.c.
 */
#include "ember/rpcnode.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/addr.h"
#include "ember/amount.h"
#include "ember/chain.h"
#include "ember/codec.h"
#include "ember/genesis.h"
#include "ember/market.h"
#include "ember/state.h"
#include "ember/store.h"
#include "ember/tok.h"
#include "ember/proof.h"
#include "ember/tx.h"
#include "rpcjson.h"


#define MK_LIMIT_DEFAULT 100
#define MK_LIMIT_MAX 1000
#define MK_PUB_ID_KEY_LEN (1 + 32 + 8)   /* prefix || pub || be64 id */
#define MK_ID_KEY_LEN (1 + 8)            /* prefix || be64 id */

/* --- JSON values -------------------------------------------------------- */

static json_t *mk_int(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *mk_epoch_or_null(uint64_t e)
{
	return e == EMBER_NO_EPOCH ? json_null() : mk_int(e);
}

static json_t *mk_name_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* "12.34": a ratio as a percentage with two decimals, integer math only
 * (floats are kept out of everything a node reports about money). */
static json_t *mk_percent(uint64_t part, uint64_t whole)
{
	char b[48];
	unsigned __int128 bp = 0;
	if (whole)
		bp = (unsigned __int128)part * 10000u / whole;
	snprintf(b, sizeof b, "%" PRIu64 ".%02u", (uint64_t)(bp / 100),
	         (unsigned)(bp % 100));
	return json_string(b);
}

static const char *mk_price_unit(enum ember_token_model m)
{
	return m == EMBER_MODEL_SFA ? "base_units" : "uusd";
}

static const char *mk_class_name(const struct ember_genesis *g, uint16_t id)
{
	const struct ember_gpu_class *c = ember_genesis_class(g, id);
	return c ? c->name : NULL;
}

/* --- one read: a transaction and the height it shows -------------------- */

struct mk_read {
	const struct ember_genesis *g;
	enum ember_token_model model;
	struct ember_txn *t;
	struct ember_tip tip;
	uint64_t epoch;                 /* tok_epoch_of(g, tip.height) */
	uint64_t tx_epoch;              /* the epoch a tx sent now lands in: the
	                                 * next block's, one more than epoch
	                                 * right after a boundary */
};

/* Returns 0, or -1 with the call answered. */
static int mk_begin(struct rpc_call *call, void *ctx, struct mk_read *r)
{
	struct rpc_node *n = ctx;

	memset(r, 0, sizeof *r);
	r->g = rpc_node_genesis(n);
	r->model = ember_genesis_model(r->g);
	if (rpc_read_tip(call, rpc_node_store(n), &r->t, &r->tip))
		return -1;
	r->epoch = tok_epoch_of(r->g, r->tip.height);
	r->tx_epoch = tok_epoch_of(r->g, r->tip.height + 1);
	return 0;
}

static void mk_end(struct mk_read *r)
{
	ember_txn_abort(r->t);
	r->t = NULL;
}


/* A list's page: items (taken) as `name`, and next (taken), the cursor of
 * the following page or null. */
static json_t *mk_page(const struct mk_read *r, const char *name, json_t *items,
                       json_t *next)
{
	return json_pack("{s:I, s:s, s:o, s:o}",
		"height", (json_int_t)r->tip.height,
		"price_unit", mk_price_unit(r->model),
		name, items,
		"next", next);
}

/* --- params ------------------------------------------------------------- *
 * Same convention as rpc_param_* (rpcjson.h): 1 given, 0 absent or null,
 * -1 answered with -32602 naming the param. */

static int mk_param_limit(struct rpc_call *call, json_t *params, size_t i,
                          size_t *out)
{
	uint64_t v;
	int got = rpc_param_u64(call, params, i, "limit", &v);

	*out = MK_LIMIT_DEFAULT;
	if (got <= 0)
		return got;
	if (v < 1 || v > MK_LIMIT_MAX) {
		rpc_error(call, RPC_INVALID_PARAMS,
		          "parameter 'limit' must be 1 to %d, got %" PRIu64, MK_LIMIT_MAX, v);
		return -1;
	}
	*out = (size_t)v;
	return 1;
}

/* A status name checked with parse (market.h's *_parse: 0 when unknown). */
static int mk_param_status(struct rpc_call *call, json_t *params, size_t i,
                           uint8_t (*parse)(const char *), const char *expected,
                           uint8_t *out)
{
	const char *s;
	int got = rpc_param_str(call, params, i, "status", &s);

	if (got <= 0)
		return got;
	if (!(*out = parse(s))) {
		rpc_error(call, RPC_INVALID_PARAMS, "invalid status '%.40s': expected %s",
		          s, expected);
		return -1;
	}
	return 1;
}

/* A required address ("address" of getprovider/getstake). */
static int mk_param_address(struct rpc_call *call, json_t *params, uint8_t pub[32])
{
	int got = rpc_param_addr(call, params, 0, "address", pub);
	if (got == 0)
		rpc_error(call, RPC_INVALID_PARAMS, "parameter 'address' is required");
	return got == 1 ? 0 : -1;
}

/* A required id ("id" of getorder/getlease). */
static int mk_param_id(struct rpc_call *call, json_t *params, const char *what,
                       uint64_t *id)
{
	int got = rpc_param_u64(call, params, 0, "id", id);
	if (got == 0)
		rpc_error(call, RPC_INVALID_PARAMS, "parameter 'id' (the %s id) is required",
		          what);
	return got == 1 ? 0 : -1;
}

/* --- records as JSON ---------------------------------------------------- */

static int prov_in_use(const struct mk_read *r, const uint8_t owner[32],
                       uint64_t *gpus, uint64_t *leases);

/* A provider's record, and its GPUs in use at the tip (prov_in_use()).
 * Returns: NULL when memory ran out; *rc gets a read error. */
static json_t *provider_json(const struct mk_read *r, const struct ember_provider *p,
                             int *rc)
{
	uint64_t in_use, leases;
	json_t *o;

	if ((*rc = prov_in_use(r, p->owner, &in_use, &leases)))
		return NULL;
	if (!(o = json_object()))
		return NULL;
	json_object_set_new(o, "address", rpc_json_addr(p->owner));
	/* "jailed" while jailed at the epoch a tx sent now lands in, as
	 * "jailed" and "eligible" below (market.h, ember_prov_state). */
	json_object_set_new(o, "status", mk_name_or_null(ember_prov_state_name(
	                    ember_prov_state(p, r->tx_epoch))));
	json_object_set_new(o, "gpu_class", mk_int(p->gpu_class));
	json_object_set_new(o, "class_name", mk_name_or_null(mk_class_name(r->g, p->gpu_class)));
	json_object_set_new(o, "gpus", mk_int(p->gpus));
	json_object_set_new(o, "vram_gib", mk_int(p->vram_gib));
	json_object_set_new(o, "price_per_gpu_hour", rpc_json_u64(p->price_per_gpu_hour));
	json_object_set_new(o, "region", json_stringn(p->region, p->region_len));
	json_object_set_new(o, "endpoint", json_stringn(p->endpoint, p->endpoint_len));
	/* The record's counts are as of each lease's last settlement, so a
	 * lease that ran dry since still holds its GPUs there; what people
	 * need is the view at the tip. */
	json_object_set_new(o, "gpus_in_use", mk_int(in_use));
	json_object_set_new(o, "gpus_free", mk_int(in_use < p->gpus ? p->gpus - in_use : 0));
	json_object_set_new(o, "leases_open", mk_int(leases));
	json_object_set_new(o, "registered_height", mk_int(p->registered_height));
	json_object_set_new(o, "updated_height", mk_int(p->updated_height));
	json_object_set_new(o, "work_epoch", mk_epoch_or_null(p->work_epoch));
	json_object_set_new(o, "work", mk_int(p->work));
	json_object_set_new(o, "work_total", mk_int(p->work_total));
	json_object_set_new(o, "challenge_epoch", mk_epoch_or_null(p->chal_epoch));
	json_object_set_new(o, "challenge_result",
	                    mk_name_or_null(ember_chal_result_name(p->chal_result)));
	json_object_set_new(o, "maintenance_epoch", mk_epoch_or_null(p->maint_epoch));
	json_object_set_new(o, "jailed_until", mk_int(p->jailed_until));
	json_object_set_new(o, "jailed", json_boolean(r->tx_epoch < p->jailed_until));
	return o;
}

static json_t *order_json(const struct mk_read *r, const struct ember_order *ord)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "id", mk_int(ord->id));
	json_object_set_new(o, "tenant", rpc_json_addr(ord->tenant));
	json_object_set_new(o, "status", mk_name_or_null(ember_order_status_name(ord->status)));
	json_object_set_new(o, "gpu_class", mk_int(ord->gpu_class));
	json_object_set_new(o, "class_name", mk_name_or_null(mk_class_name(r->g, ord->gpu_class)));
	json_object_set_new(o, "gpus", mk_int(ord->gpus));
	json_object_set_new(o, "max_price_per_gpu_hour", rpc_json_u64(ord->max_price_per_gpu_hour));
	json_object_set_new(o, "duration_blocks", mk_int(ord->duration_blocks));
	json_object_set_new(o, "deposit", rpc_json_u64(ord->deposit));
	json_object_set_new(o, "created_height", mk_int(ord->created_height));
	json_object_set_new(o, "expires_height", mk_int(ord->expires_height));
	/* The bids it holds, so the count matches getorder's "bids": they are
	 * dropped when the order is leased or expires; bids_placed keeps how
	 * many it received. */
	json_object_set_new(o, "bid_count",
	                    mk_int(ord->status == EMBER_ORDER_OPEN ? ord->nbids : 0));
	json_object_set_new(o, "bids_placed", mk_int(ord->nbids));
	json_object_set_new(o, "lease_id", ord->lease_id ? mk_int(ord->lease_id) : json_null());
	return o;
}

/*
 * The last block the lease's money pays for at its current segment rate,
 * when that comes before its end; 0 when it is paid to the end or closed.
 * Under bme/hybrid the rate changes at epoch boundaries with the oracle,
 * so this is a forecast; under sfa it is exact.
 */
static int lease_dry_height(const struct mk_read *r, const struct ember_lease *l,
                            uint64_t *out)
{
	uint64_t n, limit;
	int rc;

	*out = 0;
	if (l->status != EMBER_LEASE_OPEN || l->end_height <= l->seg_start)
		return 0;
	limit = l->end_height - l->seg_start;
	if ((rc = ember_lease_covered(l, limit, r->model, r->g->block_time_ms, &n)))
		return rc;
	if (n < limit)
		*out = l->seg_start + n;
	return 0;
}

/* l is the view at r->tip (tok_lease_view). */
static json_t *lease_json(const struct mk_read *r, const struct ember_lease *l)
{
	uint64_t dry = 0;
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "id", mk_int(l->id));
	json_object_set_new(o, "order_id", mk_int(l->order_id));
	json_object_set_new(o, "tenant", rpc_json_addr(l->tenant));
	json_object_set_new(o, "provider", rpc_json_addr(l->provider));
	json_object_set_new(o, "gpu_class", mk_int(l->gpu_class));
	json_object_set_new(o, "class_name", mk_name_or_null(mk_class_name(r->g, l->gpu_class)));
	json_object_set_new(o, "gpus", mk_int(l->gpus));
	json_object_set_new(o, "price_per_gpu_hour", rpc_json_u64(l->price_per_gpu_hour));
	json_object_set_new(o, "status", mk_name_or_null(ember_lease_status_name(l->status)));
	json_object_set_new(o, "close_reason", l->close_reason == EMBER_CLOSE_NONE ?
	                    json_null() : mk_name_or_null(ember_close_reason_name(l->close_reason)));
	json_object_set_new(o, "start_height", mk_int(l->start_height));
	json_object_set_new(o, "end_height", mk_int(l->end_height));
	json_object_set_new(o, "close_height",
	                    l->status == EMBER_LEASE_CLOSED ? mk_int(l->close_height) : json_null());
	json_object_set_new(o, "settled_height", mk_int(l->settled_height));
	json_object_set_new(o, "escrow", rpc_json_u64(l->escrow));
	json_object_set_new(o, "paid", rpc_json_u64(l->paid_total));
	json_object_set_new(o, "deposited", rpc_json_u64(l->deposited_total));
	json_object_set_new(o, "segment", json_pack("{s:o, s:o, s:o}",
		"start_height", mk_int(l->seg_start),
		"rate_uusd", rpc_json_u64(l->seg_rate_uusd),
		"paid", rpc_json_u64(l->seg_paid)));
	/* A lease whose numbers do not compute (EMBER_EINVAL, overflow) is
	 * still shown; only the forecast is left out. */
	if (l->status == EMBER_LEASE_OPEN)
		json_object_set_new(o, "runs_dry_height",
		                    lease_dry_height(r, l, &dry) == 0 && dry ? mk_int(dry)
		                                                            : json_null());
	return o;
}

static json_t *stake_json(const struct ember_stake *s)
{
	return json_pack("{s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:I}",
		"amount", rpc_json_u64(s->amount),
		"unbonding", rpc_json_u64(s->unbonding),
		"unbonding_count", (json_int_t)s->unbonding_entries,
		"rewards", rpc_json_u64(s->rewards),
		"rewards_total", rpc_json_u64(s->rewards_total),
		"slashed_total", rpc_json_u64(s->slashed_total),
		"slash_epoch", mk_epoch_or_null(s->slash_epoch),
		"slash_bps_used", (json_int_t)s->slash_bps_used);
}

/* --- provider eligibility and uptime ------------------------------------ */

/*
 * Why a provider may not bid, be accepted or earn now (docs/economics.md,
 * "Eligibility"), or NULL when it may.  why gets the reason a person reads.
 */
static const char *prov_ineligible(const struct mk_read *r,
                                   const struct ember_provider *p,
                                   const struct ember_stake *s, uint64_t *need,
                                   char *why, size_t whylen)
{
	const struct ember_gpu_class *c = ember_genesis_class(r->g, p->gpu_class);

	*need = 0;
	if (c && r->model != EMBER_MODEL_BME &&
	    !ember_mul_u64(c->min_stake_per_gpu, p->gpus, need))
		*need = UINT64_MAX;
	switch (ember_prov_state(p, r->tx_epoch)) {
	case EMBER_PROV_STATE_ACTIVE:
		break;
	case EMBER_PROV_STATE_JAILED:
		snprintf(why, whylen, "jailed until epoch %" PRIu64, p->jailed_until);
		return why;
	default:
		snprintf(why, whylen, "retired");
		return why;
	}
	if (!c) {
		snprintf(why, whylen, "gpu class %u is not in the genesis", p->gpu_class);
		return why;
	}
	if (s->amount < *need) {
		char have_s[EMBER_AMOUNT_BUFLEN], need_s[EMBER_AMOUNT_BUFLEN];
		ember_amount_format(s->amount, have_s);
		ember_amount_format(*need, need_s);
		snprintf(why, whylen, "stake %s EMB is below the minimum %s EMB", have_s,
		         need_s);
		return why;
	}
	return NULL;
}

/* Passes and known epochs among the last w folded into the uptime bits. */
static json_t *uptime_window(const struct ember_provider *p, unsigned w)
{
	unsigned known = p->uptime_known < w ? p->uptime_known : w;
	uint32_t mask;

	if (known > 32)
		known = 32;
	mask = known == 32 ? UINT32_MAX : (UINT32_C(1) << known) - 1;
	return json_pack("{s:i, s:i}", "passed",
	                 __builtin_popcount(p->uptime_bits & mask), "known", (int)known);
}

/* GPUs and leases of provider owner still open at the tip, through the 'P'
 * index (its stored-open leases), each viewed at the tip. */
struct mk_inuse {
	const struct mk_read *r;
	const uint8_t *owner;
	uint64_t gpus, leases;
};

static int inuse_cb(void *ctx, const void *key, size_t klen, const void *val,
                    size_t vlen)
{
	struct mk_inuse *u = ctx;
	const uint8_t *k = key;
	struct ember_lease l;
	int rc;

	if (klen != MK_PUB_ID_KEY_LEN || k[0] != EMBER_IDX_PROV_OPEN ||
	    memcmp(k + 1, u->owner, 32) != 0)
		return 1;
	if ((rc = tok_lease_view(u->r->t, u->r->g, ember_be64_get(k + 33),
	                         u->r->tip.height, &l)))
		return rc;
	if (l.status == EMBER_LEASE_OPEN) {
		u->gpus += l.gpus;
		u->leases++;
	}
	return 0;
}

static int prov_in_use(const struct mk_read *r, const uint8_t owner[32],
                       uint64_t *gpus, uint64_t *leases)
{
	uint8_t start[EMBER_IDX_KEY_MAX];
	size_t sl = ember_idx_pub_id(start, EMBER_IDX_PROV_OPEN, owner, 0);
	struct mk_inuse u = { r, owner, 0, 0 };
	int rc = ember_store_iter(r->t, EMBER_DB_INDEX, start, sl, inuse_cb, &u);

	*gpus = u.gpus;
	*leases = u.leases;
	return rc;
}

/* --- getprovider -------------------------------------------------------- */

static void m_getprovider(struct rpc_call *call, json_t *params, void *ctx)
{
	struct mk_read r;
	struct ember_provider p;
	struct ember_stake s;
	uint8_t pub[32];
	uint64_t need;
	char why[128];
	const char *bad;
	json_t *o;
	int rc;

	if (mk_param_address(call, params, pub) || mk_begin(call, ctx, &r))
		return;
	if ((rc = tok_provider_get(r.t, pub, &p))) {
		if (rc == EMBER_TOK_NO_PROVIDER)
			rpc_error(call, RPC_ERR_NOT_FOUND, "account '%s' is not a registered provider",
			          json_string_value(json_array_get(params, 0)));
		else
			rpc_read_fail(call, "the provider", rc);
		goto out;
	}
	if ((rc = tok_stake_get(r.t, pub, &s))) {
		rpc_read_fail(call, "the provider's stake", rc);
		goto out;
	}
	bad = prov_ineligible(&r, &p, &s, &need, why, sizeof why);
	if (!(o = provider_json(&r, &p, &rc)) && rc) {
		rpc_read_fail(call, "the provider's leases", rc);
		goto out;
	}
	if (o) {
		json_object_set_new(o, "height", mk_int(r.tip.height));
		json_object_set_new(o, "epoch", mk_int(r.epoch));
		json_object_set_new(o, "price_unit", json_string(mk_price_unit(r.model)));
		json_object_set_new(o, "stake", stake_json(&s));
		json_object_set_new(o, "min_stake", rpc_json_u64(need));
		json_object_set_new(o, "eligible", json_boolean(bad == NULL));
		json_object_set_new(o, "ineligible_reason", mk_name_or_null(bad));
		json_object_set_new(o, "uptime", json_pack("{s:o, s:o, s:o, s:o}",
			"epoch", p.uptime_known ? mk_epoch_or_null(p.uptime_epoch) : json_null(),
			"last_1", uptime_window(&p, 1),
			"last_7", uptime_window(&p, 7),
			"last_30", uptime_window(&p, 30)));
	}
	rpc_reply(call, o);
out:
	mk_end(&r);
}

/* --- listproviders ------------------------------------------------------ */

struct mk_provlist {
	const struct mk_read *r;
	int have_class, have_region;
	uint16_t class_id;
	const char *region;
	uint8_t status;                  /* enum ember_prov_state, 0: any */
	const uint8_t *after;            /* skip this key (the cursor) */
	size_t limit;
	json_t *items;
	int more;
	uint8_t last[32];
};

static int provlist_cb(void *ctx, const void *key, size_t klen, const void *val,
                       size_t vlen)
{
	struct mk_provlist *L = ctx;
	struct ember_provider p;
	json_t *o;
	int rc;

	if (klen != 32 || (L->after && memcmp(key, L->after, 32) == 0))
		return 0;
	if ((rc = ember_provider_decode(&p, val, vlen)))
		return rc;
	if ((L->have_class && p.gpu_class != L->class_id) ||
	    (L->status && ember_prov_state(&p, L->r->tx_epoch) != L->status) ||
	    (L->have_region && (strlen(L->region) != p.region_len ||
	                        memcmp(L->region, p.region, p.region_len) != 0)))
		return 0;
	if (json_array_size(L->items) == L->limit) {
		L->more = 1;            /* one past the page: there is a next */
		return 1;
	}
	if (!(o = provider_json(L->r, &p, &rc)))
		return rc ? rc : EMBER_ENOMEM;
	if (json_array_append_new(L->items, o))
		return EMBER_ENOMEM;
	memcpy(L->last, p.owner, 32);
	return 0;
}

static void m_listproviders(struct rpc_call *call, json_t *params, void *ctx)
{
	struct mk_read r;
	struct mk_provlist L;
	uint8_t after[32];
	json_t *cls = json_array_get(params, 0);
	int rc = 0;

	memset(&L, 0, sizeof L);
	L.r = &r;
	if (mk_begin(call, ctx, &r))
		return;
	if (cls && json_is_integer(cls)) {
		json_int_t id = json_integer_value(cls);
		if (id < 1 || id > 65535 || !ember_genesis_class(r.g, (uint16_t)id)) {
			rpc_error(call, RPC_INVALID_PARAMS, "unknown gpu class %" JSON_INTEGER_FORMAT, id);
			goto out;
		}
		L.have_class = 1;
		L.class_id = (uint16_t)id;
	} else if (cls && json_is_string(cls)) {
		const char *name = json_string_value(cls);
		for (size_t i = 0; i < r.g->nclass && !L.have_class; i++)
			if (strcmp(r.g->classes[i].name, name) == 0) {
				L.have_class = 1;
				L.class_id = r.g->classes[i].id;
			}
		if (!L.have_class) {
			rpc_error(call, RPC_INVALID_PARAMS, "unknown gpu class '%.40s'", name);
			goto out;
		}
	} else if (cls && !json_is_null(cls)) {
		rpc_error(call, RPC_INVALID_PARAMS,
		          "parameter 'class' must be a class id or name");
		goto out;
	}
	if ((L.have_region = rpc_param_str(call, params, 1, "region", &L.region)) < 0 ||
	    mk_param_status(call, params, 2, ember_prov_state_parse,
	                    "active, jailed or retired", &L.status) < 0 ||
	    (rc = rpc_param_addr(call, params, 3, "after", after)) < 0 ||
	    mk_param_limit(call, params, 4, &L.limit) < 0)
		goto out;
	if (rc == 1)
		L.after = after;
	if (!(L.items = json_array())) {
		rpc_reply(call, NULL);
		goto out;
	}
	rc = ember_store_iter(r.t, EMBER_DB_PROVIDERS, L.after, L.after ? 32 : 0,
	                      provlist_cb, &L);
	if (rc) {
		json_decref(L.items);
		rpc_read_fail(call, "the providers", rc);
		goto out;
	}
	rpc_reply(call, mk_page(&r, "providers", L.items,
	                       L.more ? rpc_json_addr(L.last) : json_null()));
out:
	mk_end(&r);
}

/* --- getorder / listorders ---------------------------------------------- */

struct mk_bids {
	uint64_t order_id;
	json_t *items;
};

static int bids_cb(void *ctx, const void *key, size_t klen, const void *val,
                   size_t vlen)
{
	struct mk_bids *B = ctx;
	struct ember_bid b;
	json_t *o;
	int rc;

	if (klen != 40 || ember_be64_get(key) != B->order_id)
		return 1;
	if ((rc = ember_bid_decode(&b, val, vlen)))
		return rc;
	o = json_pack("{s:o, s:o, s:I}",
		"provider", rpc_json_addr(b.provider),
		"price_per_gpu_hour", rpc_json_u64(b.price_per_gpu_hour),
		"height", (json_int_t)b.height);
	if (!o || json_array_append_new(B->items, o))
		return EMBER_ENOMEM;
	return 0;
}

static void m_getorder(struct rpc_call *call, json_t *params, void *ctx)
{
	struct mk_read r;
	struct ember_order ord;
	struct mk_bids B;
	uint8_t start[8];
	uint64_t id;
	json_t *o;
	int rc;

	if (mk_param_id(call, params, "order", &id) || mk_begin(call, ctx, &r))
		return;
	if ((rc = tok_order_get(r.t, id, &ord))) {
		if (rc == EMBER_TOK_NO_ORDER || rc == EMBER_ENOTFOUND)
			rpc_error(call, RPC_ERR_NOT_FOUND, "no order with id %" PRIu64, id);
		else
			rpc_read_fail(call, "the order", rc);
		goto out;
	}
	B.order_id = id;
	if (!(B.items = json_array())) {
		rpc_reply(call, NULL);
		goto out;
	}
	ember_key_id(start, id);
	if ((rc = ember_store_iter(r.t, EMBER_DB_BIDS, start, sizeof start, bids_cb, &B))) {
		json_decref(B.items);
		rpc_read_fail(call, "the order's bids", rc);
		goto out;
	}
	o = order_json(&r, &ord);
	if (o) {
		json_object_set_new(o, "height", mk_int(r.tip.height));
		json_object_set_new(o, "price_unit", json_string(mk_price_unit(r.model)));
		json_object_set_new(o, "bids", B.items);
	} else {
		json_decref(B.items);
	}
	rpc_reply(call, o);
out:
	mk_end(&r);
}

/*
 * One walk shared by listorders and listleases: over a secondary index
 * keyed prefix || pub || be64 id (one party's records), prefix || be64 id
 * (every open record), or a primary db keyed by be64 id (everything).
 * visit() gets each id in order; it returns 1 when it added an item, 0
 * when the filter skipped it, negative on error.
 */
struct mk_walk {
	const struct mk_read *r;
	enum ember_db db;
	uint8_t prefix;                 /* 0: primary db, keys are be64 ids */
	const uint8_t *pub;             /* NULL: prefix || be64 id */
	uint64_t after;                 /* ids > after; 0 from the start */
	size_t limit;
	json_t *items;
	int more;
	uint64_t last;
	int (*visit)(struct mk_walk *w, uint64_t id, const void *val, size_t vlen);
	void *filter;
};

static int walk_cb(void *ctx, const void *key, size_t klen, const void *val,
                   size_t vlen)
{
	struct mk_walk *w = ctx;
	const uint8_t *k = key;
	uint64_t id;
	int rc;

	if (!w->prefix) {
		if (klen != 8)
			return 1;
		id = ember_be64_get(k);
		val = vlen ? val : NULL;
	} else if (w->pub) {
		if (klen != MK_PUB_ID_KEY_LEN || k[0] != w->prefix ||
		    memcmp(k + 1, w->pub, 32) != 0)
			return 1;
		id = ember_be64_get(k + 33);
		val = NULL;
	} else {
		if (klen != MK_ID_KEY_LEN || k[0] != w->prefix)
			return 1;
		id = ember_be64_get(k + 1);
		val = NULL;
	}
	if (json_array_size(w->items) == w->limit) {
		/* Full: only look for whether another item passes the filter. */
		json_t *saved = w->items;
		json_t *probe = json_array();
		if (!probe)
			return EMBER_ENOMEM;
		w->items = probe;
		rc = w->visit(w, id, val, vlen);
		w->items = saved;
		json_decref(probe);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			w->more = 1;
			return 1;
		}
		return 0;
	}
	rc = w->visit(w, id, val, vlen);
	if (rc == 1)
		w->last = id;
	return rc < 0 ? rc : 0;
}

/* Returns: 0 or the walk's error code. */
static int mk_walk_run(struct mk_walk *w)
{
	uint8_t start[EMBER_IDX_KEY_MAX];
	size_t sl;

	if (w->after == UINT64_MAX)
		return 0;
	if (!w->prefix)
		sl = ember_key_id(start, w->after + 1);
	else if (w->pub)
		sl = ember_idx_pub_id(start, w->prefix, w->pub, w->after + 1);
	else
		sl = ember_idx_id(start, w->prefix, w->after + 1);
	return ember_store_iter(w->r->t, w->db, start, sl, walk_cb, w);
}

/* Run the walk w (set up but for items) and answer with its page, the
 * list called `name` ("the <name>" when the read fails). */
static void mk_walk_reply(struct rpc_call *call, struct mk_walk *w, const char *name)
{
	char what[32];
	int rc;

	if (!(w->items = json_array())) {
		rpc_reply(call, NULL);
		return;
	}
	if ((rc = mk_walk_run(w))) {
		json_decref(w->items);
		snprintf(what, sizeof what, "the %s", name);
		rpc_read_fail(call, what, rc);
		return;
	}
	rpc_reply(call, mk_page(w->r, name, w->items,
	                       w->more ? mk_int(w->last) : json_null()));
}

struct mk_order_filter {
	uint8_t status;
};

static int order_visit(struct mk_walk *w, uint64_t id, const void *val, size_t vlen)
{
	struct mk_order_filter *f = w->filter;
	struct ember_order ord;
	json_t *o;
	int rc;

	rc = val ? ember_order_decode(&ord, val, vlen) : tok_order_get(w->r->t, id, &ord);
	if (rc)
		return rc;
	if (f->status && ord.status != f->status)
		return 0;
	if (!(o = order_json(w->r, &ord)) || json_array_append_new(w->items, o))
		return EMBER_ENOMEM;
	return 1;
}

static void m_listorders(struct rpc_call *call, json_t *params, void *ctx)
{
	struct mk_read r;
	struct mk_walk w;
	struct mk_order_filter f = { 0 };
	uint8_t tenant[32];
	int have_tenant;

	memset(&w, 0, sizeof w);
	if ((have_tenant = rpc_param_addr(call, params, 0, "tenant", tenant)) < 0 ||
	    mk_param_status(call, params, 1, ember_order_status_parse,
	                    "open, leased or expired", &f.status) < 0 ||
	    rpc_param_u64(call, params, 2, "after", &w.after) < 0 ||
	    mk_param_limit(call, params, 3, &w.limit) < 0)
		return;
	if (mk_begin(call, ctx, &r))
		return;
	w.r = &r;
	w.visit = order_visit;
	w.filter = &f;
	if (have_tenant) {
		w.db = EMBER_DB_INDEX;
		w.prefix = EMBER_IDX_TENANT_ORDER;
		w.pub = tenant;
	} else if (f.status == EMBER_ORDER_OPEN) {
		w.db = EMBER_DB_INDEX;
		w.prefix = EMBER_IDX_ORDER_OPEN;
	} else {
		w.db = EMBER_DB_ORDERS;
	}
	mk_walk_reply(call, &w, "orders");
	mk_end(&r);
}

/* --- getlease / listleases ---------------------------------------------- */

static void m_getlease(struct rpc_call *call, json_t *params, void *ctx)
{
	struct mk_read r;
	struct ember_lease l;
	uint64_t id;
	json_t *o;
	int rc;

	if (mk_param_id(call, params, "lease", &id) || mk_begin(call, ctx, &r))
		return;
	if ((rc = tok_lease_view(r.t, r.g, id, r.tip.height, &l))) {
		if (rc == EMBER_TOK_NO_LEASE || rc == EMBER_ENOTFOUND)
			rpc_error(call, RPC_ERR_NOT_FOUND, "no lease with id %" PRIu64, id);
		else
			rpc_read_fail(call, "the lease", rc);
		goto out;
	}
	o = lease_json(&r, &l);
	if (o) {
		json_object_set_new(o, "height", mk_int(r.tip.height));
		json_object_set_new(o, "price_unit", json_string(mk_price_unit(r.model)));
	}
	rpc_reply(call, o);
out:
	mk_end(&r);
}

struct mk_lease_filter {
	uint8_t status;
	const uint8_t *other;           /* second party to match, or NULL */
	int other_is_provider;
};

static int lease_visit(struct mk_walk *w, uint64_t id, const void *val, size_t vlen)
{
	struct mk_lease_filter *f = w->filter;
	struct ember_lease l;
	json_t *o;
	int rc;

	/* Always the view at the tip, so the status filter sees a lease that
	 * ran dry since its last settlement as closed. */
	if ((rc = tok_lease_view(w->r->t, w->r->g, id, w->r->tip.height, &l)))
		return rc;
	if (f->status && l.status != f->status)
		return 0;
	if (f->other && memcmp(f->other_is_provider ? l.provider : l.tenant,
	                       f->other, 32) != 0)
		return 0;
	if (!(o = lease_json(w->r, &l)) || json_array_append_new(w->items, o))
		return EMBER_ENOMEM;
	return 1;
}

static void m_listleases(struct rpc_call *call, json_t *params, void *ctx)
{
	struct mk_read r;
	struct mk_walk w;
	struct mk_lease_filter f = { 0, NULL, 0 };
	uint8_t tenant[32], provider[32];
	int have_tenant, have_provider;

	memset(&w, 0, sizeof w);
	if ((have_tenant = rpc_param_addr(call, params, 0, "tenant", tenant)) < 0 ||
	    (have_provider = rpc_param_addr(call, params, 1, "provider", provider)) < 0 ||
	    mk_param_status(call, params, 2, ember_lease_status_parse,
	                    "open or closed", &f.status) < 0 ||
	    rpc_param_u64(call, params, 3, "after", &w.after) < 0 ||
	    mk_param_limit(call, params, 4, &w.limit) < 0)
		return;
	if (mk_begin(call, ctx, &r))
		return;
	w.r = &r;
	w.visit = lease_visit;
	w.filter = &f;
	/* The tenant's index when both parties are given: a tenant usually
	 * holds fewer leases than a provider serves. */
	if (have_tenant) {
		w.db = EMBER_DB_INDEX;
		w.prefix = EMBER_IDX_TENANT_LEASE;
		w.pub = tenant;
		if (have_provider) {
			f.other = provider;
			f.other_is_provider = 1;
		}
	} else if (have_provider) {
		w.db = EMBER_DB_INDEX;
		w.prefix = EMBER_IDX_PROV_LEASE;
		w.pub = provider;
	} else if (f.status == EMBER_LEASE_OPEN) {
		/* Stored-open is a superset of open at the tip. */
		w.db = EMBER_DB_INDEX;
		w.prefix = EMBER_IDX_LEASE_OPEN;
	} else {
		w.db = EMBER_DB_LEASES;
	}
	mk_walk_reply(call, &w, "leases");
	mk_end(&r);
}

/* --- getstake ----------------------------------------------------------- */

struct mk_unbond {
	const uint8_t *acct;
	json_t *items;
};

static int unbond_cb(void *ctx, const void *key, size_t klen, const void *val,
                     size_t vlen)
{
	struct mk_unbond *U = ctx;
	const uint8_t *k = key;
	json_t *o;

	if (klen != 40 || memcmp(k, U->acct, 32) != 0)
		return 1;
	if (vlen != 8)
		return EMBER_STORE_CORRUPT;
	o = json_pack("{s:I, s:o}", "release_height", (json_int_t)ember_be64_get(k + 32),
	              "amount", rpc_json_u64(ember_le64_get(val)));
	if (!o || json_array_append_new(U->items, o))
		return EMBER_ENOMEM;
	return 0;
}

static void m_getstake(struct rpc_call *call, json_t *params, void *ctx)
{
	struct mk_read r;
	struct ember_stake s;
	struct mk_unbond U;
	uint8_t pub[32], start[40];
	json_t *o;
	int rc;

	if (mk_param_address(call, params, pub) || mk_begin(call, ctx, &r))
		return;
	U.acct = pub;
	if (!(U.items = json_array())) {
		rpc_reply(call, NULL);
		goto out;
	}
	ember_key_unbond(start, pub, 0);
	if ((rc = tok_stake_get(r.t, pub, &s)) ||
	    (rc = ember_store_iter(r.t, EMBER_DB_UNBONDING, start, sizeof start,
	                           unbond_cb, &U))) {
		json_decref(U.items);
		rpc_read_fail(call, "the stake", rc);
		goto out;
	}
	o = stake_json(&s);
	if (o) {
		json_object_set_new(o, "address", rpc_json_addr(pub));
		json_object_set_new(o, "height", mk_int(r.tip.height));
		json_object_set_new(o, "unbonding_entries", U.items);
	} else {
		json_decref(U.items);
	}
	rpc_reply(call, o);
out:
	mk_end(&r);
}

/* --- getsupply ---------------------------------------------------------- */

static json_t *epoch_rec_json(const struct tok_epoch_rec *e)
{
	return json_pack("{s:I, s:b, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:o,"
	                 " s:I, s:I, s:I, s:I}",
		"epoch", (json_int_t)e->epoch,
		"closed", 1,
		"minted", rpc_json_u64(e->minted),
		"burned", rpc_json_u64(e->burned),
		"emission", rpc_json_u64(e->emission),
		"oracle_uusd", rpc_json_u64(e->oracle_uusd),
		"reports", (json_int_t)e->nreports,
		"work", (json_int_t)e->work,
		"providers_rewarded", (json_int_t)e->providers_rewarded,
		"providers_failed", (json_int_t)e->providers_failed,
		"slashed", rpc_json_u64(e->slashed),
		"supply", rpc_json_u64(e->supply),
		"staked", rpc_json_u64(e->staked),
		"challenges_passed", (json_int_t)e->chal_passed,
		"challenges_failed", (json_int_t)e->chal_failed,
		"challenges_missing", (json_int_t)e->chal_missing,
		"providers_jailed", (json_int_t)e->providers_jailed);
}

static void m_getsupply(struct rpc_call *call, json_t *params, void *ctx)
{
	struct mk_read r;
	struct tok_totals tot;
	struct tok_epoch_rec er;
	uint64_t want = 0, circ;
	json_t *o, *ep = NULL;
	int have_epoch, rc;

	if ((have_epoch = rpc_param_u64(call, params, 0, "epoch", &want)) < 0)
		return;
	if (mk_begin(call, ctx, &r))
		return;
	if ((rc = tok_totals_get(r.t, &tot))) {
		rpc_read_fail(call, "the supply totals", rc);
		goto out;
	}
	if (have_epoch && want == tot.epoch) {
		/* Still running: its counters so far. */
		ep = json_pack("{s:I, s:b, s:o, s:o}", "epoch", (json_int_t)want,
		               "closed", 0, "minted", rpc_json_u64(tot.minted_epoch),
		               "burned", rpc_json_u64(tot.burned_epoch));
	} else if (have_epoch) {
		if ((rc = tok_epoch_get(r.t, want, &er))) {
			if (rc == EMBER_ENOTFOUND)
				rpc_error(call, RPC_ERR_NOT_FOUND,
				          "no record of epoch %" PRIu64 "; the current epoch is %" PRIu64,
				          want, tot.epoch);
			else
				rpc_read_fail(call, "the epoch record", rc);
			goto out;
		}
		ep = epoch_rec_json(&er);
	}
	/* Whatever is not held elsewhere sits in balances; computing it this
	 * way keeps the answer O(1) (tok_audit() checks the sums agree). */
	circ = tot.supply;
	if (!ember_sub_u64(circ, tot.escrow, &circ) || !ember_sub_u64(circ, tot.staked, &circ) ||
	    !ember_sub_u64(circ, tot.unbonding, &circ) ||
	    !ember_sub_u64(circ, tot.rewards, &circ)) {
		rpc_error(call, RPC_INTERNAL_ERROR,
		          "supply totals are inconsistent: escrow, stake and rewards exceed the supply");
		json_decref(ep);
		goto out;
	}
	o = json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"height", (json_int_t)r.tip.height,
		"epoch", (json_int_t)tot.epoch,
		"total", rpc_json_u64(tot.supply),
		"circulating", rpc_json_u64(circ),
		"staked", rpc_json_u64(tot.staked),
		"unbonding", rpc_json_u64(tot.unbonding),
		"escrow", rpc_json_u64(tot.escrow),
		"rewards", rpc_json_u64(tot.rewards),
		"genesis", rpc_json_u64(tot.genesis),
		"minted", rpc_json_u64(tot.minted),
		"burned", rpc_json_u64(tot.burned),
		"emission_next", rpc_json_u64(tot.emission_next),
		"current_epoch", json_pack("{s:I, s:b, s:o, s:o}",
			"epoch", (json_int_t)tot.epoch, "closed", 0,
			"minted", rpc_json_u64(tot.minted_epoch),
			"burned", rpc_json_u64(tot.burned_epoch)));
	if (o && ep)
		json_object_set_new(o, "requested_epoch", ep);
	else
		json_decref(ep);
	rpc_reply(call, o);
out:
	mk_end(&r);
}

/* --- getnetworkstats ---------------------------------------------------- */

/* One active provider's asking price, tagged with its class's position in
 * the genesis table; sorted so each class is one run in price order. */
struct mk_ask {
	size_t cls;
	uint64_t price;
};

struct mk_class_stat {
	uint64_t providers, gpus, leased;
};

struct mk_stats {
	const struct mk_read *r;
	struct mk_class_stat *cs;       /* one per genesis class */
	struct mk_ask *asks;
	size_t nasks, capasks;
	uint64_t retired, jailed, open_leases;
};

static size_t class_pos(const struct ember_genesis *g, uint16_t id)
{
	for (size_t i = 0; i < g->nclass; i++)
		if (g->classes[i].id == id)
			return i;
	return g->nclass;
}

static int stats_prov_cb(void *ctx, const void *key, size_t klen, const void *val,
                         size_t vlen)
{
	struct mk_stats *S = ctx;
	struct ember_provider p;
	size_t c;
	int rc;

	if ((rc = ember_provider_decode(&p, val, vlen)))
		return rc;
	if (p.status != EMBER_PROV_ACTIVE) {
		S->retired++;
		return 0;
	}
	if ((c = class_pos(S->r->g, p.gpu_class)) == S->r->g->nclass)
		return 0;
	S->cs[c].providers++;
	S->cs[c].gpus += p.gpus;
	/* A jailed provider's GPUs still count (its open leases run on), but
	 * its price is not on offer until the jail ends. */
	if (ember_prov_state(&p, S->r->tx_epoch) == EMBER_PROV_STATE_JAILED) {
		S->jailed++;
		return 0;
	}
	if (S->nasks == S->capasks) {
		size_t cap = S->capasks ? 2 * S->capasks : 64;
		void *np = realloc(S->asks, cap * sizeof *S->asks);
		if (!np)
			return EMBER_ENOMEM;
		S->asks = np;
		S->capasks = cap;
	}
	S->asks[S->nasks].cls = c;
	S->asks[S->nasks++].price = p.price_per_gpu_hour;
	return 0;
}

static int stats_lease_cb(void *ctx, const void *key, size_t klen, const void *val,
                          size_t vlen)
{
	struct mk_stats *S = ctx;
	const uint8_t *k = key;
	struct ember_lease l;
	size_t c;
	int rc;

	if (klen != MK_ID_KEY_LEN || k[0] != EMBER_IDX_LEASE_OPEN)
		return 1;
	if ((rc = tok_lease_view(S->r->t, S->r->g, ember_be64_get(k + 1),
	                         S->r->tip.height, &l)))
		return rc;
	if (l.status != EMBER_LEASE_OPEN)
		return 0;
	S->open_leases++;
	if ((c = class_pos(S->r->g, l.gpu_class)) < S->r->g->nclass)
		S->cs[c].leased += l.gpus;
	return 0;
}

static int ask_cmp(const void *a, const void *b)
{
	const struct mk_ask *x = a, *y = b;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	return x->price < y->price ? -1 : x->price > y->price;
}

static void m_getnetworkstats(struct rpc_call *call, json_t *params, void *ctx)
{
	struct mk_read r;
	struct mk_stats S;
	struct tok_totals tot;
	uint8_t start[MK_ID_KEY_LEN];
	uint64_t providers = 0, gpus = 0, leased = 0;
	json_t *classes = NULL, *o = NULL;
	size_t a = 0;
	int rc;

	memset(&S, 0, sizeof S);
	S.r = &r;
	if (mk_begin(call, ctx, &r))
		return;
	ember_idx_id(start, EMBER_IDX_LEASE_OPEN, 0);
	if (!(S.cs = calloc(r.g->nclass + 1, sizeof *S.cs))) {
		rc = EMBER_ENOMEM;
	} else if (!(rc = tok_totals_get(r.t, &tot)) &&
	           !(rc = ember_store_iter(r.t, EMBER_DB_PROVIDERS, NULL, 0,
	                                   stats_prov_cb, &S))) {
		rc = ember_store_iter(r.t, EMBER_DB_INDEX, start, sizeof start,
		                      stats_lease_cb, &S);
	}
	if (rc) {
		rpc_read_fail(call, "the market", rc);
		goto out;
	}
	if (S.nasks)
		qsort(S.asks, S.nasks, sizeof *S.asks, ask_cmp);
	if (!(classes = json_array()))
		goto reply;
	for (size_t c = 0; c < r.g->nclass; c++) {
		const struct ember_gpu_class *gc = &r.g->classes[c];
		struct mk_class_stat *st = &S.cs[c];
		size_t first = a;
		json_t *ask = json_null(), *co;

		while (a < S.nasks && S.asks[a].cls == c)
			a++;
		if (a > first) {
			/* Lower middle for an even count, as the oracle median:
			 * always a price some provider asks. */
			size_t mid = first + (a - first - 1) / 2;
			json_decref(ask);
			ask = json_pack("{s:o, s:o, s:o}",
				"min", rpc_json_u64(S.asks[first].price),
				"median", rpc_json_u64(S.asks[mid].price),
				"max", rpc_json_u64(S.asks[a - 1].price));
		}
		co = json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:o, s:o}",
			"id", (json_int_t)gc->id,
			"name", gc->name,
			"vram_gib", (json_int_t)gc->vram_gib,
			"providers", (json_int_t)st->providers,
			"gpus", (json_int_t)st->gpus,
			"gpus_leased", (json_int_t)st->leased,
			"utilization_pct", mk_percent(st->leased, st->gpus),
			"ask_price", ask);
		if (!co || json_array_append_new(classes, co)) {
			json_decref(classes);
			classes = NULL;
			goto reply;
		}
		providers += st->providers;
		gpus += st->gpus;
		leased += st->leased;
	}
	o = json_pack("{s:I, s:I, s:s, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I}}",
		"height", (json_int_t)r.tip.height,
		"epoch", (json_int_t)r.epoch,
		"price_unit", mk_price_unit(r.model),
		"classes", classes,
		"totals",
		"providers", (json_int_t)providers,
		"providers_retired", (json_int_t)S.retired,
		"providers_jailed", (json_int_t)S.jailed,
		"gpus", (json_int_t)gpus,
		"gpus_leased", (json_int_t)leased,
		"utilization_pct", mk_percent(leased, gpus),
		"open_orders", (json_int_t)tot.open_orders,
		"open_leases", (json_int_t)S.open_leases);
reply:
	rpc_reply(call, o);
out:
	free(S.cs);
	free(S.asks);
	mk_end(&r);
}

/* --- getparams ---------------------------------------------------------- */

static json_t *params_json(const struct ember_params *p)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:o, s:I,"
	                 " s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:I}",
		"epoch_blocks", (json_int_t)p->epoch_blocks,
		"unbonding_blocks", (json_int_t)p->unbonding_blocks,
		"order_ttl_blocks", (json_int_t)p->order_ttl_blocks,
		"max_bids_per_order", (json_int_t)p->max_bids_per_order,
		"max_unbonding_entries", (json_int_t)p->max_unbonding_entries,
		"protocol_fee_bps", (json_int_t)p->protocol_fee_bps,
		"emission_initial", rpc_json_u64(p->emission_initial),
		"emission_decay_bps", (json_int_t)p->emission_decay_bps,
		"hybrid_work_share_bps", (json_int_t)p->hybrid_work_share_bps,
		"oracle_initial_uusd", rpc_json_u64(p->oracle_initial_uusd),
		"oracle_max_age_epochs", (json_int_t)p->oracle_max_age_epochs,
		"slash_fault_bps", (json_int_t)p->slash_fault_bps,
		"slash_declared_bps", (json_int_t)p->slash_declared_bps,
		"slash_double_sign_bps", (json_int_t)p->slash_double_sign_bps,
		"slash_cap_bps", (json_int_t)p->slash_cap_bps,
		"jail_epochs", (json_int_t)p->jail_epochs,
		"challenges_enabled", p->challenges_enabled != 0,
		"challenge_deadline_blocks", (json_int_t)p->challenge_deadline_blocks,
		"proof_openings", (json_int_t)p->proof_openings,
		"proof_pow_bits", (json_int_t)p->proof_pow_bits);
}

static void m_getparams(struct rpc_call *call, json_t *params, void *ctx)
{
	struct mk_read r;
	struct tok_totals tot;
	json_t *classes, *o = NULL;
	int rc;

	if (mk_begin(call, ctx, &r))
		return;
	if ((rc = tok_totals_get(r.t, &tot))) {
		rpc_read_fail(call, "the oracle price", rc);
		goto out;
	}
	if (!(classes = json_array()))
		goto reply;
	for (size_t i = 0; i < r.g->nclass; i++) {
		const struct ember_gpu_class *c = &r.g->classes[i];
		if (json_array_append_new(classes, json_pack("{s:I, s:s, s:I, s:o, s:I}",
			"id", (json_int_t)c->id,
			"name", c->name,
			"vram_gib", (json_int_t)c->vram_gib,
			"min_stake_per_gpu", rpc_json_u64(c->min_stake_per_gpu),
			"challenge_n", (json_int_t)c->challenge_n))) {
			json_decref(classes);
			goto reply;
		}
	}
	o = json_pack("{s:s, s:s, s:s, s:I, s:o, s:I, s:I, s:I, s:o, s:o,"
	              " s:{s:o, s:I, s:b, s:I}}",
		"chain_id", r.g->chain_id,
		"token_model", r.g->token_model,
		"price_unit", mk_price_unit(r.model),
		"block_time_ms", (json_int_t)r.g->block_time_ms,
		"min_fee", rpc_json_u64(r.g->min_fee),
		"height", (json_int_t)r.tip.height,
		"epoch", (json_int_t)r.epoch,
		"epoch_blocks", (json_int_t)r.g->params.epoch_blocks,
		"params", params_json(&r.g->params),
		"gpu_classes", classes,
		"oracle",
		"price_uusd", rpc_json_u64(tot.oracle_uusd),
		"epoch", (json_int_t)tot.oracle_epoch,
		"fresh", tok_oracle_fresh(&tot, r.g, r.tx_epoch),
		"max_age_epochs", (json_int_t)r.g->params.oracle_max_age_epochs);
reply:
	rpc_reply(call, o);
out:
	mk_end(&r);
}

/* --- tx payloads (for gettx) -------------------------------------------- */

/*
 * The payload fields of tx as a new JSON object (empty for kinds without
 * a payload), named as in tx.h; the caller merges it into the tx's
 * common fields.  Returns: a new reference, or NULL when memory ran out
 * or the kind is unknown.
 */
json_t *rpc_tx_payload_json(const struct ember_tx *tx)
{
	const struct ember_tx_provider *p = &tx->u.provider;
	const struct ember_tx_evidence *e = &tx->u.evidence;

	switch (tx->kind) {
	case EMBER_TX_TRANSFER:
		return json_pack("{s:o, s:o}", "to", rpc_json_addr(tx->u.transfer.to),
		                 "amount", rpc_json_u64(tx->u.transfer.amount));
	case EMBER_TX_STAKE:
	case EMBER_TX_UNSTAKE:
		return json_pack("{s:o}", "amount", rpc_json_u64(tx->u.amount.amount));
	case EMBER_TX_TOPUP:
		return json_pack("{s:I, s:o}", "lease_id", (json_int_t)tx->u.amount.lease_id,
		                 "amount", rpc_json_u64(tx->u.amount.amount));
	case EMBER_TX_PROV_REGISTER:
	case EMBER_TX_PROV_UPDATE:
		return json_pack("{s:I, s:I, s:I, s:o, s:s%, s:s%}",
			"gpu_class", (json_int_t)p->gpu_class,
			"gpus", (json_int_t)p->gpus,
			"vram_gib", (json_int_t)p->vram_gib,
			"price_per_gpu_hour", rpc_json_u64(p->price_per_gpu_hour),
			"region", p->region, (size_t)p->region_len,
			"endpoint", p->endpoint, (size_t)p->endpoint_len);
	case EMBER_TX_PROV_RETIRE:
	case EMBER_TX_CLAIM:
		return json_object();
	case EMBER_TX_ORDER:
		return json_pack("{s:I, s:I, s:o, s:I, s:o}",
			"gpu_class", (json_int_t)tx->u.order.gpu_class,
			"gpus", (json_int_t)tx->u.order.gpus,
			"max_price_per_gpu_hour", rpc_json_u64(tx->u.order.max_price_per_gpu_hour),
			"duration_blocks", (json_int_t)tx->u.order.duration_blocks,
			"deposit", rpc_json_u64(tx->u.order.deposit));
	case EMBER_TX_BID:
		return json_pack("{s:I, s:o}", "order_id", (json_int_t)tx->u.bid.order_id,
		                 "price_per_gpu_hour", rpc_json_u64(tx->u.bid.price_per_gpu_hour));
	case EMBER_TX_ACCEPT:
		return json_pack("{s:I, s:o}", "order_id", (json_int_t)tx->u.accept.order_id,
		                 "provider", rpc_json_addr(tx->u.accept.provider));
	case EMBER_TX_CLOSE:
		return json_pack("{s:I}", "lease_id", (json_int_t)tx->u.ref.id);
	case EMBER_TX_PRICE:
		return json_pack("{s:o}", "price_uusd", rpc_json_u64(tx->u.price.price_uusd));
	case EMBER_TX_MAINTENANCE:
		return json_pack("{s:I}", "epoch", (json_int_t)tx->u.maint.epoch);
	case EMBER_TX_EVIDENCE:
		return json_pack("{s:o, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}",
			"validator", rpc_json_addr(e->validator),
			"vote_type", (json_int_t)e->vote_type,
			"height", (json_int_t)e->height,
			"round", (json_int_t)e->round,
			"hash_a", rpc_json_hex(e->hash_a, 32),
			"time_a", rpc_json_u64(e->time_a),
			"sig_a", rpc_json_hex(e->sig_a, 64),
			"hash_b", rpc_json_hex(e->hash_b, 32),
			"time_b", rpc_json_u64(e->time_b),
			"sig_b", rpc_json_hex(e->sig_b, 64));
	case EMBER_TX_PROOF: {
		/* The body is up to 128 KiB; "hex" already carries it whole, so
		 * show its size and the root it commits to. */
		const struct ember_tx_proof *pr = &tx->u.proof;
		uint8_t root[EMBER_PROOF_NODE];
		int have = pr->body && ember_proof_root(pr->body, pr->body_len, root) == 0;
		return json_pack("{s:I, s:I, s:o}",
			"epoch", (json_int_t)pr->epoch,
			"proof_bytes", (json_int_t)pr->body_len,
			"root", have ? rpc_json_hex(root, sizeof(root)) : json_null());
	}
	default:
		return NULL;
	}
}

/* --- table -------------------------------------------------------------- */

static const struct rpc_method market_methods[] = {
	{ "getprovider", m_getprovider, 1, 1, RPC_F_READONLY, { "address", NULL },
	  "a provider: record, stake, eligibility, uptime, free GPUs now" },
	{ "listproviders", m_listproviders, 0, 5, RPC_F_READONLY,
	  { "class", "region", "status", "after", "limit", NULL },
	  "providers by address, filtered by class, region, status; paged" },
	{ "getorder", m_getorder, 1, 1, RPC_F_READONLY, { "id", NULL },
	  "an order with its bids" },
	{ "listorders", m_listorders, 0, 4, RPC_F_READONLY,
	  { "tenant", "status", "after", "limit", NULL },
	  "orders by id, filtered by tenant and status; paged" },
	{ "getlease", m_getlease, 1, 1, RPC_F_READONLY, { "id", NULL },
	  "a lease settled to the tip: paid, escrow, when it runs dry" },
	{ "listleases", m_listleases, 0, 5, RPC_F_READONLY,
	  { "tenant", "provider", "status", "after", "limit", NULL },
	  "leases by id, filtered by tenant, provider and status; paged" },
	{ "getstake", m_getstake, 1, 1, RPC_F_READONLY, { "address", NULL },
	  "an account's stake, unbonding entries and rewards" },
	{ "getsupply", m_getsupply, 0, 1, RPC_F_READONLY, { "epoch", NULL },
	  "where every token is; minted and burned, per epoch with 'epoch'" },
	{ "getnetworkstats", m_getnetworkstats, 0, 0, RPC_F_READONLY, { NULL },
	  "per GPU class: providers, GPUs, utilization, ask prices" },
	{ "getparams", m_getparams, 0, 0, RPC_F_READONLY, { NULL },
	  "token model, economy parameters, GPU classes, oracle price" },
};

const struct rpc_method *rpc_market_methods(size_t *count)
{
	*count = sizeof market_methods / sizeof market_methods[0];
	return market_methods;
}
