/*
 * provider.c - provider registration, update, retirement, declared
 * maintenance, and the eligibility rule bids, accepts and rewards share.
 *
 * Rules: docs/economics.md, "Providers".  Contract (tok_int.h): every check
 * comes before the first write.
 *
 * GPUs in use are always judged at the tx's height: a lease that has ended
 * or run dry by then still holds gpus_leased in the record until it is
 * settled (lazily, or at the epoch boundary), but it no longer occupies the
 * GPUs, so tk_provider_free (market.c) counts it as free.
 */
#include "tok_int.h"

#include <string.h>

#include "ember/amount.h"

/* The class exists and the claimed VRAM meets it; else EMBER_TOK_CLASS. */
static int prov_check_class(struct tk_tx *c, const struct ember_tx_provider *pl)
{
	const struct ember_gpu_class *cl = ember_genesis_class(c->g, pl->gpu_class);
	if (!cl) {
		ember_errf(c->why, c->whylen, "unknown gpu class %u",
		    (unsigned)pl->gpu_class);
		return EMBER_TOK_CLASS;
	}
	if (pl->vram_gib < cl->vram_gib) {
		ember_errf(c->why, c->whylen,
		    "vram too small for gpu class '%s': %u GiB claimed, needs at least %u GiB",
		    cl->name, pl->vram_gib, cl->vram_gib);
		return EMBER_TOK_CLASS;
	}
	return 0;
}

/* Copy the payload's listing fields into p (register and update replace
 * every one of them). */
static void prov_set_fields(struct ember_provider *p,
                            const struct ember_tx_provider *pl)
{
	p->gpu_class = pl->gpu_class;
	p->gpus = pl->gpus;
	p->vram_gib = pl->vram_gib;
	p->price_per_gpu_hour = pl->price_per_gpu_hour;
	p->region_len = pl->region_len;
	memset(p->region, 0, sizeof(p->region));
	memcpy(p->region, pl->region, pl->region_len);
	p->endpoint_len = pl->endpoint_len;
	memset(p->endpoint, 0, sizeof(p->endpoint));
	memcpy(p->endpoint, pl->endpoint, pl->endpoint_len);
}

int tk_sender_provider(struct tk_tx *c, struct ember_provider *p)
{
	char addr[EMBER_ADDR_BUFLEN];
	int rc = tk_get_provider(c->t, c->tx->from, p);

	if (rc == EMBER_ENOTFOUND) {
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "account '%s' is not a registered provider; send provider_register first",
		    addr);
		return EMBER_TOK_NO_PROVIDER;
	}
	return rc;
}

/* Read the sender's provider record and require it to be active. */
static int prov_get_active(struct tk_tx *c, struct ember_provider *p)
{
	char addr[EMBER_ADDR_BUFLEN];
	int rc = tk_sender_provider(c, p);

	if (rc)
		return rc;
	if (p->status != EMBER_PROV_ACTIVE) {
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "provider '%s' is retired; register again to reactivate it", addr);
		return EMBER_TOK_PROVIDER_RETIRED;
	}
	return 0;
}

/* GPUs held by leases still open at the tx's height. */
static int prov_in_use(struct tk_tx *c, const struct ember_provider *p,
                       uint32_t *in_use)
{
	uint32_t free_gpus;
	int rc = tk_provider_free(c->t, c->g, p, c->b->height, &free_gpus);
	if (rc)
		return rc;
	*in_use = free_gpus < p->gpus ? p->gpus - free_gpus : 0;
	return 0;
}

int tk_prov_register(struct tk_tx *c)
{
	const struct ember_tx_provider *pl = &c->tx->u.provider;
	struct tok_totals *tot;
	struct ember_provider p;
	int rc;

	if ((rc = prov_check_class(c, pl)))
		return rc;
	if ((rc = tk_totals(c->b, c->t, &tot)))
		return rc;
	rc = tk_get_provider(c->t, c->tx->from, &p);
	if (rc && rc != EMBER_ENOTFOUND)
		return rc;
	if (rc == 0 && p.status == EMBER_PROV_ACTIVE) {
		char addr[EMBER_ADDR_BUFLEN];
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "provider '%s' is already registered; use provider_update to change it",
		    addr);
		return EMBER_TOK_PROVIDER_EXISTS;
	}
	if (rc == EMBER_ENOTFOUND) {
		memset(&p, 0, sizeof(p));
		memcpy(p.owner, c->tx->from, 32);
		p.registered_height = c->b->height;
		p.chal_epoch = EMBER_NO_EPOCH;
		p.chal_result = EMBER_CHAL_NONE;
		p.maint_epoch = EMBER_NO_EPOCH;
	}
	/* A retired record comes back as it was: work, uptime, jail, slashing
	 * history and the GPUs of ended-but-unsettled leases stay, so
	 * retiring and re-registering wipes nothing. */
	prov_set_fields(&p, pl);
	p.status = EMBER_PROV_ACTIVE;
	p.updated_height = c->b->height;

	/* Checks are done: from here on only writes. */
	if ((rc = tk_put_provider(c->st, &p)))
		return rc;
	tot->providers_active++;
	return 0;
}

int tk_prov_update(struct tk_tx *c)
{
	const struct ember_tx_provider *pl = &c->tx->u.provider;
	struct ember_provider p;
	uint32_t in_use;
	char addr[EMBER_ADDR_BUFLEN];
	int rc;

	if ((rc = prov_get_active(c, &p)))
		return rc;
	if ((rc = prov_check_class(c, pl)))
		return rc;
	if ((rc = prov_in_use(c, &p, &in_use)))
		return rc;
	if (pl->gpus < in_use) {
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "provider '%s' has %u gpus in open leases, cannot go down to %u; close leases first",
		    addr, in_use, pl->gpus);
		return EMBER_TOK_LEASES_OPEN;
	}
	if (pl->gpu_class != p.gpu_class && in_use > 0) {
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "provider '%s' cannot change gpu class while %u gpus are in open leases",
		    addr, in_use);
		return EMBER_TOK_LEASES_OPEN;
	}
	prov_set_fields(&p, pl);
	p.updated_height = c->b->height;
	return tk_put_provider(c->st, &p);
}

int tk_prov_retire(struct tk_tx *c)
{
	struct tok_totals *tot;
	struct ember_provider p;
	uint32_t in_use;
	int rc;

	if ((rc = prov_get_active(c, &p)))
		return rc;
	if ((rc = tk_totals(c->b, c->t, &tot)))
		return rc;
	if ((rc = prov_in_use(c, &p, &in_use)))
		return rc;
	if (in_use > 0) {
		char addr[EMBER_ADDR_BUFLEN];
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "provider '%s' cannot retire while %u gpus are in open leases; close them first",
		    addr, in_use);
		return EMBER_TOK_LEASES_OPEN;
	}
	if (tot->providers_active == 0)
		return EMBER_STORE_CORRUPT;     /* totals disagree with the record */
	p.status = EMBER_PROV_RETIRED;
	p.updated_height = c->b->height;

	/* Checks are done: from here on only writes. */
	if ((rc = tk_put_provider(c->st, &p)))
		return rc;
	tot->providers_active--;
	return 0;
}

int tk_maintenance(struct tk_tx *c)
{
	uint64_t want = c->tx->u.maint.epoch;
	uint64_t now = tok_epoch_of(c->g, c->b->height);
	struct ember_provider p;
	int rc = tk_get_provider(c->t, c->tx->from, &p);

	if (rc == EMBER_ENOTFOUND) {
		char addr[EMBER_ADDR_BUFLEN];
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "account '%s' is not a registered provider", addr);
		return EMBER_TOK_NO_PROVIDER;
	}
	if (rc)
		return rc;
	if (want <= now) {
		ember_errf(c->why, c->whylen,
		    "maintenance epoch %llu is not in the future; the current epoch is %llu",
		    (unsigned long long)want, (unsigned long long)now);
		return EMBER_TOK_EPOCH;
	}
	/* One declaration is held; a new one replaces it. */
	p.maint_epoch = want;
	return tk_put_provider(c->st, &p);
}

int tk_provider_eligible(struct ember_txn *t, const struct ember_genesis *g,
                         const struct ember_provider *p, uint64_t epoch,
                         int *why_not)
{
	enum ember_token_model model = ember_genesis_model(g);
	const struct ember_gpu_class *cl;
	struct ember_stake s;
	uint64_t need;
	int rc, dummy;

	if (!why_not)
		why_not = &dummy;
	/* One definition of "jailed" for consensus and RPC (market.h). */
	switch (ember_prov_state(p, epoch)) {
	case EMBER_PROV_STATE_ACTIVE:
		break;
	case EMBER_PROV_STATE_JAILED:
		*why_not = EMBER_TOK_JAILED;
		return 0;
	default:
		*why_not = EMBER_TOK_PROVIDER_RETIRED;
		return 0;
	}
	if (model != EMBER_MODEL_SFA && model != EMBER_MODEL_HYBRID)
		return 1;
	/* Register and update only accept known classes, and the genesis
	 * never changes, so a missing class means a bad record. */
	if (!(cl = ember_genesis_class(g, p->gpu_class)))
		return EMBER_STORE_CORRUPT;
	if ((rc = tk_get_stake(t, p->owner, &s)))
		return rc;
	/* A product that overflows is a minimum no stake can meet. */
	if (!ember_mul_u64(cl->min_stake_per_gpu, p->gpus, &need) ||
	    s.amount < need) {
		*why_not = EMBER_TOK_STAKE_LOW;
		return 0;
	}
	return 1;
}
