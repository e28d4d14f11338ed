/*
 * proofs.c - the GPU-proof challenge reads over JSON-RPC (docs/rpc.md,
 * "GPU proofs"): getchallenge and listchallenges.  The table is
 *     const struct rpc_method *rpc_proof_methods(size_t *count);
 * (rpcnode.h), served by the node next to rpc_node_methods() and
 * rpc_market_methods() with the same ctx (struct rpc_node).
 *
 * Every answer comes from one LMDB read transaction and belongs to the tip
 * recorded in it ("height"), as in market.c.
 *
 * What a challenge of epoch e is (proof.h, docs/proofs.md): every active
 * provider registered by block e*E is challenged when challenges are
 * enabled; the seed comes from the hash of block e*E, so the challenge is
 * issued when that block is committed; the proof is due in a block at
 * height e*E+1 .. e*E + challenge_deadline_blocks; at the end of the epoch
 * every challenged provider without a pass is recorded missing.  So:
 *   - a record (tok_challenge_get) is the answer: passed, failed, missing;
 *   - without one, a closed epoch (its last block committed) had no
 *     challenge for the provider: the judgment records every challenged
 *     provider;
 *   - without one, an open epoch's challenge is "pending" until the
 *     deadline block is committed and "missing" from then on (no proof can
 *     land any more; the record follows at the epoch's end);
 *   - whether a provider is challenged in an open epoch comes from its
 *     current record (active, registered by e*E): that is what the epoch's
 *     judgment will read.
 * The hash H of block e*E is read with tok_epoch_hash(), which the epoch's
 * first block records; until that block exists it is the hash of block e*E
 * itself (the same value), so a prover sees the seed one block earlier.
 */
#include "ember/rpcnode.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ember/addr.h"
#include "ember/block.h"
#include "ember/chain.h"
#include "ember/genesis.h"
#include "ember/market.h"
#include "ember/proof.h"
#include "ember/state.h"
#include "ember/store.h"
#include "ember/tok.h"
#include "rpcjson.h"

#define PF_LIMIT_DEFAULT 100
#define PF_LIMIT_MAX 1000

/* --- one read ----------------------------------------------------------- */

struct pf_read {
	const struct ember_genesis *g;
	struct ember_txn *t;
	struct ember_tip tip;
	uint64_t epoch;                 /* the requested epoch */
	uint64_t issued_height;         /* epoch * E */
	uint64_t deadline_height;       /* issued_height + deadline blocks */
	uint64_t end_height;            /* (epoch + 1) * E: the judging block */
	int issued;                     /* block issued_height is committed */
	int closed;                     /* block end_height is committed */
	uint8_t epoch_hash[32];         /* valid when issued */
};

/* Returns 0, or -1 with the call answered. */
static int pf_begin(struct rpc_call *call, void *ctx, struct pf_read *r)
{
	struct rpc_node *n = ctx;

	memset(r, 0, sizeof *r);
	r->g = rpc_node_genesis(n);
	return rpc_read_tip(call, rpc_node_store(n), &r->t, &r->tip);
}

static void pf_end(struct pf_read *r)
{
	ember_txn_abort(r->t);
	r->t = NULL;
}


/* The hash of the block at height h. */
static int pf_block_hash(struct ember_txn *t, uint64_t h, uint8_t out[32])
{
	struct ember_header hdr;
	const uint8_t *enc;
	size_t len;
	int rc;

	if ((rc = ember_chain_get_block(t, h, &enc, &len)))
		return rc;
	if (len < EMBER_HEADER_SIZE ||
	    ember_header_decode(&hdr, enc, EMBER_HEADER_SIZE) != 0)
		return EMBER_STORE_CORRUPT;
	ember_header_hash(&hdr, out);
	return 0;
}

/*
 * Fix the epoch (given, or the next block's) and everything that follows
 * from it and the tip.  Returns 0, or -1 with the call answered.
 */
static int pf_epoch(struct rpc_call *call, struct pf_read *r, int given,
                    uint64_t e)
{
	const struct ember_params *p = &r->g->params;
	uint64_t E = p->epoch_blocks;
	int rc;

	if (!given)
		e = tok_epoch_of(r->g, r->tip.height + 1);
	/* (e + 1) * E must fit: the deadline and the end are below it. */
	if (E == 0 || e >= UINT64_MAX / E - 1) {
		rpc_error(call, RPC_INVALID_PARAMS, "epoch %" PRIu64 " is out of range", e);
		return -1;
	}
	r->epoch = e;
	r->issued_height = e * E;
	r->deadline_height = r->issued_height + p->challenge_deadline_blocks;
	r->end_height = r->issued_height + E;
	r->issued = r->tip.height >= r->issued_height;
	r->closed = r->tip.height >= r->end_height;
	if (!r->issued)
		return 0;
	rc = tok_epoch_hash(r->t, e, r->epoch_hash);
	if (rc == EMBER_ENOTFOUND)
		rc = pf_block_hash(r->t, r->issued_height, r->epoch_hash);
	if (rc) {
		rpc_read_fail(call, "the epoch's challenge hash", rc);
		return -1;
	}
	return 0;
}

/* --- one provider's challenge ------------------------------------------- */

struct pf_chal {
	int registered;                 /* a provider record exists */
	struct ember_provider p;
	const struct ember_gpu_class *cls;
	uint32_t n;                     /* 0 when unknown */
	int challenged;
	const char *reason;             /* why not challenged, or NULL */
	int have_rec;
	struct tok_challenge_rec rec;
	const char *status;
};

/* Judge provider pub's challenge in r's epoch; p is its record when the
 * caller already has it (NULL: read it).  Returns 0 or a read error. */
static int pf_chal_get(const struct pf_read *r, const uint8_t pub[32],
                       const struct ember_provider *p, struct pf_chal *c)
{
	const struct ember_params *pp = &r->g->params;
	int rc;

	memset(c, 0, sizeof *c);
	if (p) {
		c->p = *p;
		c->registered = 1;
	} else {
		rc = tok_provider_get(r->t, pub, &c->p);
		if (rc && rc != EMBER_TOK_NO_PROVIDER)
			return rc;
		c->registered = rc == 0;
	}
	rc = tok_challenge_get(r->t, r->epoch, pub, &c->rec);
	if (rc && rc != EMBER_ENOTFOUND)
		return rc;
	c->have_rec = rc == 0;
	if (c->registered)
		c->cls = ember_genesis_class(r->g, c->p.gpu_class);
	c->n = c->have_rec ? c->rec.n : c->cls ? c->cls->challenge_n : 0;

	if (c->have_rec) {
		c->challenged = 1;
	} else if (!pp->challenges_enabled) {
		c->reason = "challenges are disabled on this chain";
	} else if (!c->registered) {
		c->reason = "not a registered provider";
	} else if (r->closed) {
		c->reason = "no challenge was judged for this provider in the epoch";
	} else if (c->p.status != EMBER_PROV_ACTIVE) {
		c->reason = "the provider is retired";
	} else if (c->p.registered_height > r->issued_height) {
		c->reason = "registered after the epoch's challenges were issued";
	} else {
		c->challenged = 1;
	}

	if (c->have_rec) {
		switch (c->rec.result) {
		case EMBER_CHAL_PASS: c->status = "passed"; break;
		case EMBER_CHAL_FAIL: c->status = "failed"; break;
		case EMBER_CHAL_MISSING: c->status = "missing"; break;
		default: return EMBER_STORE_CORRUPT;
		}
	} else if (!c->challenged) {
		c->status = "not_challenged";
	} else if (r->tip.height >= r->deadline_height) {
		c->status = "missing";     /* no proof can land any more */
	} else {
		c->status = "pending";
	}
	return 0;
}

static json_t *pf_int(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* The proof (passed) as {height, root}, else null. */
static json_t *pf_proof_json(const struct pf_chal *c)
{
	if (!c->have_rec || c->rec.result != EMBER_CHAL_PASS)
		return json_null();
	return json_pack("{s:o, s:o}", "height", pf_int(c->rec.height),
	                 "root", rpc_json_hex(c->rec.root, sizeof c->rec.root));
}

/* The judgment's height (failed, missing), else null. */
static json_t *pf_judged_json(const struct pf_chal *c)
{
	if (!c->have_rec || c->rec.result == EMBER_CHAL_PASS)
		return json_null();
	return pf_int(c->rec.height);
}

/* --- params ------------------------------------------------------------- */

/* --- getchallenge ------------------------------------------------------- */

static void m_getchallenge(struct rpc_call *call, json_t *params, void *ctx)
{
	const struct ember_params *pp;
	struct pf_read r;
	struct pf_chal c;
	struct ember_challenge ch;
	uint8_t pub[32];
	uint64_t e = 0;
	json_t *o = NULL, *seed;
	int got, rc;

	if ((got = rpc_param_addr(call, params, 0, "address", pub)) <= 0) {
		if (got == 0)
			rpc_error(call, RPC_INVALID_PARAMS, "parameter 'address' is required");
		return;
	}
	if ((got = rpc_param_u64(call, params, 1, "epoch", &e)) < 0)
		return;
	if (pf_begin(call, ctx, &r))
		return;
	if (pf_epoch(call, &r, got, e))
		goto out;
	if ((rc = pf_chal_get(&r, pub, NULL, &c))) {
		rpc_read_fail(call, "the challenge", rc);
		goto out;
	}
	pp = &r.g->params;
	if (r.issued && c.n) {
		ember_challenge_derive(&ch, r.epoch_hash, pub, r.epoch, c.n);
		seed = rpc_json_hex(ch.seed, sizeof ch.seed);
	} else {
		seed = json_null();
	}
	o = json_pack("{s:I, s:I, s:o, s:b, s:o, s:o, s:b, s:b, s:o, s:o, s:o,"
	              " s:o, s:o, s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:o, s:o}",
		"height", (json_int_t)r.tip.height,
		"epoch", (json_int_t)r.epoch,
		"provider", rpc_json_addr(pub),
		"registered", c.registered,
		/* active, jailed or retired as of the epoch asked about
		 * (market.h, ember_prov_state), as getprovider shows it */
		"provider_status", c.registered ?
			json_string(ember_prov_state_name(ember_prov_state(&c.p, r.epoch)) ?
			            ember_prov_state_name(ember_prov_state(&c.p, r.epoch)) :
			            "unknown") :
			json_null(),
		"registered_height", c.registered ? pf_int(c.p.registered_height) :
		                                    json_null(),
		"challenges_enabled", pp->challenges_enabled != 0,
		"challenged", c.challenged,
		"reason", c.reason ? json_string(c.reason) : json_null(),
		"issued", json_boolean(r.issued),
		"epoch_hash", r.issued ? rpc_json_hex(r.epoch_hash, 32) : json_null(),
		"seed", seed,
		"n", c.n ? pf_int(c.n) : json_null(),
		"openings", (json_int_t)pp->proof_openings,
		"pow_bits", (json_int_t)pp->proof_pow_bits,
		"issued_height", (json_int_t)r.issued_height,
		"deadline_height", (json_int_t)r.deadline_height,
		"status", c.status,
		"gpu_class", c.registered ? pf_int(c.p.gpu_class) : json_null(),
		"proof", pf_proof_json(&c),
		"judged_height", pf_judged_json(&c),
		"epoch_end_height", pf_int(r.end_height));
	if (o && r.issued && !strcmp(c.status, "pending"))
		json_object_set_new(o, "blocks_left",
		                    pf_int(r.deadline_height - r.tip.height));
	rpc_reply(call, o);
out:
	pf_end(&r);
}

/* --- listchallenges ----------------------------------------------------- */

struct pf_list {
	const struct pf_read *r;
	const uint8_t *after;           /* page starts after this address */
	size_t limit;
	json_t *items;
	int more;
	uint8_t last[32];
	uint64_t issued, passed, failed, missing, pending;
};

/*
 * Every provider, in address order: each challenged one is counted, and
 * those after the cursor fill the page.  The counts need the whole walk
 * (O(providers), like the epoch boundary that judges them); the page is
 * what a caller pages through.
 */
static int pf_list_cb(void *ctx, const void *key, size_t klen, const void *val,
                      size_t vlen)
{
	struct pf_list *L = ctx;
	struct ember_provider p;
	struct pf_chal c;
	json_t *o;
	int rc;

	if (klen != 32)
		return EMBER_STORE_CORRUPT;
	if ((rc = ember_provider_decode(&p, val, vlen)))
		return rc;
	if ((rc = pf_chal_get(L->r, key, &p, &c)))
		return rc;
	if (!c.challenged)
		return 0;
	L->issued += L->r->issued;
	if (!strcmp(c.status, "passed"))
		L->passed++;
	else if (!strcmp(c.status, "failed"))
		L->failed++;
	else if (!strcmp(c.status, "missing"))
		L->missing++;
	else
		L->pending++;
	if (L->after && memcmp(key, L->after, 32) <= 0)
		return 0;
	if (json_array_size(L->items) == L->limit) {
		L->more = 1;
		return 0;               /* keep counting */
	}
	o = json_pack("{s:o, s:o, s:o, s:s, s:o, s:o}",
		"provider", rpc_json_addr(key),
		"gpu_class", pf_int(p.gpu_class),
		"n", c.n ? pf_int(c.n) : json_null(),
		"status", c.status,
		"proof", pf_proof_json(&c),
		"judged_height", pf_judged_json(&c));
	if (!o || json_array_append_new(L->items, o))
		return EMBER_ENOMEM;
	memcpy(L->last, key, 32);
	return 0;
}

static void m_listchallenges(struct rpc_call *call, json_t *params, void *ctx)
{
	struct pf_read r;
	struct pf_list L;
	uint8_t after[32];
	uint64_t e = 0, limit = PF_LIMIT_DEFAULT;
	json_t *o = NULL;
	int got, rc;

	memset(&L, 0, sizeof L);
	if ((got = rpc_param_u64(call, params, 0, "epoch", &e)) < 0 ||
	    (rc = rpc_param_addr(call, params, 1, "after", after)) < 0 ||
	    rpc_param_u64(call, params, 2, "limit", &limit) < 0)
		return;
	if (limit < 1 || limit > PF_LIMIT_MAX) {
		rpc_error(call, RPC_INVALID_PARAMS,
		          "parameter 'limit' must be 1 to %d, got %" PRIu64, PF_LIMIT_MAX,
		          limit);
		return;
	}
	if (rc == 1)
		L.after = after;
	L.limit = (size_t)limit;
	if (pf_begin(call, ctx, &r))
		return;
	if (pf_epoch(call, &r, got, e))
		goto out;
	L.r = &r;
	if (!(L.items = json_array())) {
		rpc_reply(call, NULL);
		goto out;
	}
	if ((rc = ember_store_iter(r.t, EMBER_DB_PROVIDERS, NULL, 0, pf_list_cb, &L))) {
		json_decref(L.items);
		rpc_read_fail(call, "the challenges", rc);
		goto out;
	}
	o = json_pack("{s:I, s:I, s:b, s:b, s:b, s:I, s:I, s:I,"
	              " s:{s:I, s:I, s:I, s:I, s:I}, s:o, s:o}",
		"height", (json_int_t)r.tip.height,
		"epoch", (json_int_t)r.epoch,
		"challenges_enabled", r.g->params.challenges_enabled != 0,
		"issued", r.issued,
		"closed", r.closed,
		"issued_height", (json_int_t)r.issued_height,
		"deadline_height", (json_int_t)r.deadline_height,
		"epoch_end_height", (json_int_t)r.end_height,
		"counts",
		"issued", (json_int_t)L.issued,
		"passed", (json_int_t)L.passed,
		"failed", (json_int_t)L.failed,
		"missing", (json_int_t)L.missing,
		"pending", (json_int_t)L.pending,
		"challenges", L.items,
		"next", L.more ? rpc_json_addr(L.last) : json_null());
	rpc_reply(call, o);
out:
	pf_end(&r);
}

/* --- table -------------------------------------------------------------- */

static const struct rpc_method proof_methods[] = {
	{ "getchallenge", m_getchallenge, 1, 2, RPC_F_READONLY,
	  { "address", "epoch", NULL },
	  "a provider's GPU challenge for an epoch (default: the next block's):"
	  " seed, size, deadline, status" },
	{ "listchallenges", m_listchallenges, 0, 3, RPC_F_READONLY,
	  { "epoch", "after", "limit", NULL },
	  "an epoch's challenges: counts by status and the challenged providers;"
	  " paged" },
};

const struct rpc_method *rpc_proof_methods(size_t *count)
{
	*count = sizeof proof_methods / sizeof proof_methods[0];
	return proof_methods;
}
