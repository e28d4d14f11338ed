/*
 * audit.c - read helpers for the token state (tok_*_get, tok_lease_view,
 * the closed epoch's log line) and the supply audit (tok_audit,
 * tok_check_supply).
 *
 * The audit is the independent check on tokenomics/: the handlers keep
 * running sums in struct tok_totals so that reading them is O(1), and the
 * audit throws those sums away and recomputes every one from the records
 * themselves.  It sums in 128 bits, so a corrupted record with a huge value
 * shows up as a mismatch instead of wrapping into agreement.
 */
#include "tok_int.h"

#include <stdio.h>
#include <string.h>

#include "ember/amount.h"

typedef unsigned __int128 u128;

static const char totals_key[] = "totals";

/* --- reads ---------------------------------------------------------------- */

int tok_totals_get(struct ember_txn *t, struct tok_totals *out)
{
	const void *v;
	size_t vl;
	int rc = ember_store_get(t, EMBER_DB_META, totals_key,
	                         sizeof(totals_key) - 1, &v, &vl);

	if (rc)
		return rc;
	return tk_totals_decode(out, v, vl) ? EMBER_STORE_CORRUPT : 0;
}

int tok_epoch_get(struct ember_txn *t, uint64_t epoch,
                  struct tok_epoch_rec *out)
{
	uint8_t key[9];
	const void *v;
	size_t vl;
	int rc = ember_store_get(t, EMBER_DB_PARAMS, key,
	                         ember_key_epoch(key, epoch), &v, &vl);

	if (rc)
		return rc;
	return tk_epoch_decode(out, v, vl) ? EMBER_STORE_CORRUPT : 0;
}

int tok_epoch_ends_at(const struct ember_genesis *g, uint64_t h, uint64_t *epoch)
{
	uint64_t eb = g->params.epoch_blocks;

	/* The condition tok_block_end runs the boundary on. */
	if (eb == 0 || h == 0 || h % eb != 0)
		return 0;
	*epoch = tok_epoch_of(g, h);
	return 1;
}

void tok_epoch_format(const struct tok_epoch_rec *r, uint64_t end_height,
                      char *out, size_t len)
{
	char minted[EMBER_AMOUNT_BUFLEN], burned[EMBER_AMOUNT_BUFLEN],
	     slashed[EMBER_AMOUNT_BUFLEN];

	if (len == 0)
		return;
	ember_amount_format(r->minted, minted);
	ember_amount_format(r->burned, burned);
	ember_amount_format(r->slashed, slashed);
	snprintf(out, len, "epoch %llu ended at block %llu: minted %s EMB, burned "
	         "%s EMB, %u provider%s paid; challenges %u passed, %u failed, "
	         "%u missing; slashed %s EMB, %u provider%s jailed",
	         (unsigned long long)r->epoch, (unsigned long long)end_height,
	         minted, burned, r->providers_rewarded,
	         r->providers_rewarded == 1 ? "" : "s", r->chal_passed,
	         r->chal_failed, r->chal_missing, slashed, r->providers_jailed,
	         r->providers_jailed == 1 ? "" : "s");
}

int tok_supply(struct ember_txn *t, uint64_t *out)
{
	struct tok_totals x;
	int rc = tok_totals_get(t, &x);

	if (rc == 0)
		*out = x.supply;
	return rc;
}

/* Settled in memory only: an explorer sees what the chain will charge at h
 * without anything being written.  Settlement errors (a lease that cannot
 * be settled) pass through unchanged. */
int tok_lease_view(struct ember_txn *t, const struct ember_genesis *g,
                   uint64_t id, uint64_t h, struct ember_lease *out)
{
	struct ember_lease l;
	uint64_t charged;
	int rc = tk_get_lease(t, id, &l);

	if (rc == EMBER_ENOTFOUND)
		return EMBER_TOK_NO_LEASE;
	if (rc)
		return rc;
	if (l.status != EMBER_LEASE_OPEN) {
		*out = l;
		return 0;
	}
	return ember_lease_settle(&l, h, ember_genesis_model(g), g->block_time_ms,
	                          out, &charged);
}

int tok_provider_get(struct ember_txn *t, const uint8_t owner[32],
                     struct ember_provider *out)
{
	int rc = tk_get_provider(t, owner, out);
	return rc == EMBER_ENOTFOUND ? EMBER_TOK_NO_PROVIDER : rc;
}

int tok_stake_get(struct ember_txn *t, const uint8_t acct[32],
                  struct ember_stake *out)
{
	return tk_get_stake(t, acct, out);
}

int tok_order_get(struct ember_txn *t, uint64_t id, struct ember_order *out)
{
	int rc = tk_get_order(t, id, out);
	return rc == EMBER_ENOTFOUND ? EMBER_TOK_NO_ORDER : rc;
}

/* --- audit ---------------------------------------------------------------- */

/* What the records hold, summed. */
struct audit_sums {
	u128 balances;
	u128 order_escrow, lease_escrow;
	u128 staked, stake_unbonding, rewards;
	u128 unbonding;                 /* the unbonding entries themselves */
	uint64_t open_orders, open_leases, providers_active;
	char *why;                      /* for records that do not decode */
	size_t whylen;
};

static int audit_accounts(void *ctx, const void *key, size_t klen,
                          const void *val, size_t vlen)
{
	struct audit_sums *a = ctx;

	if (klen != 32 || vlen != EMBER_ACCOUNT_ENC_LEN) {
		ember_errf(a->why, a->whylen,
		    "an account record is malformed (%zu-byte key, %zu-byte value)",
		    klen, vlen);
		return EMBER_STORE_CORRUPT;
	}
	a->balances += ember_le64_get(val);
	return 0;
}

static int audit_orders(void *ctx, const void *key, size_t klen,
                        const void *val, size_t vlen)
{
	struct audit_sums *a = ctx;
	struct ember_order o;

	if (ember_order_decode(&o, val, vlen)) {
		ember_errf(a->why, a->whylen, "an order record does not decode");
		return EMBER_STORE_CORRUPT;
	}
	if (o.status == EMBER_ORDER_OPEN) {
		a->order_escrow += o.deposit;
		a->open_orders++;
	}
	return 0;
}

static int audit_leases(void *ctx, const void *key, size_t klen,
                        const void *val, size_t vlen)
{
	struct audit_sums *a = ctx;
	struct ember_lease l;

	if (ember_lease_decode(&l, val, vlen)) {
		ember_errf(a->why, a->whylen, "a lease record does not decode");
		return EMBER_STORE_CORRUPT;
	}
	if (l.status == EMBER_LEASE_OPEN) {
		a->lease_escrow += l.escrow;
		a->open_leases++;
	}
	return 0;
}

static int audit_stakes(void *ctx, const void *key, size_t klen,
                        const void *val, size_t vlen)
{
	struct audit_sums *a = ctx;
	struct ember_stake s;

	if (ember_stake_decode(&s, val, vlen)) {
		ember_errf(a->why, a->whylen, "a stake record does not decode");
		return EMBER_STORE_CORRUPT;
	}
	a->staked += s.amount;
	a->stake_unbonding += s.unbonding;
	a->rewards += s.rewards;
	return 0;
}

static int audit_unbonding(void *ctx, const void *key, size_t klen,
                           const void *val, size_t vlen)
{
	struct audit_sums *a = ctx;

	if (vlen != 8) {
		ember_errf(a->why, a->whylen, "an unbonding entry has %zu bytes", vlen);
		return EMBER_STORE_CORRUPT;
	}
	a->unbonding += ember_le64_get(val);
	return 0;
}

static int audit_providers(void *ctx, const void *key, size_t klen,
                           const void *val, size_t vlen)
{
	struct audit_sums *a = ctx;
	struct ember_provider p;

	if (ember_provider_decode(&p, val, vlen)) {
		ember_errf(a->why, a->whylen, "a provider record does not decode");
		return EMBER_STORE_CORRUPT;
	}
	if (p.status == EMBER_PROV_ACTIVE)
		a->providers_active++;
	return 0;
}

/* Decimal for a 128-bit value (u64 printf cannot show a sum that overflowed,
 * and that is exactly the case worth reporting).  out holds 40 digits. */
static const char *fmt_u128(u128 v, char out[40])
{
	char *p = out + 39;

	*p = 0;
	do {
		*--p = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	return p;
}

/* One comparison: records vs totals.  Returns 1 when they agree. */
static int agree(const char *what, u128 records, uint64_t totals, char *why,
                 size_t whylen)
{
	char b[40];

	if (records == totals)
		return 1;
	ember_errf(why, whylen, "%s: records hold %s, totals say %llu", what,
	           fmt_u128(records, b), (unsigned long long)totals);
	return 0;
}

/*
 * Recompute and compare.  Returns: 0 and *ok = 1 (all agree) or 0 (a
 * mismatch, why set); or a negative code for a store error or a record
 * that does not decode (why set for the latter).
 */
static int audit_run(struct ember_txn *t, char *why, size_t whylen, int *ok,
                     u128 *balances)
{
	static const struct {
		enum ember_db db;
		ember_store_iter_cb cb;
	} walks[] = {
		{ EMBER_DB_ACCOUNTS, audit_accounts },
		{ EMBER_DB_ORDERS, audit_orders },
		{ EMBER_DB_LEASES, audit_leases },
		{ EMBER_DB_STAKES, audit_stakes },
		{ EMBER_DB_UNBONDING, audit_unbonding },
		{ EMBER_DB_PROVIDERS, audit_providers },
	};
	struct audit_sums a;
	struct tok_totals x;
	char b1[40], b2[40];
	u128 escrow, held, issued;
	int rc;

	memset(&a, 0, sizeof(a));
	a.why = why;
	a.whylen = whylen;
	*ok = 0;
	if ((rc = tok_totals_get(t, &x))) {
		if (rc == EMBER_ENOTFOUND)
			ember_errf(why, whylen, "no totals recorded: the ledger has no genesis");
		return rc;
	}
	for (size_t i = 0; i < sizeof(walks) / sizeof(walks[0]); i++)
		if ((rc = ember_store_iter(t, walks[i].db, NULL, 0, walks[i].cb,
		                           &a)))
			return rc;
	*balances = a.balances;

	escrow = a.order_escrow + a.lease_escrow;
	if (!agree("escrow", escrow, x.escrow, why, whylen) ||
	    !agree("staked", a.staked, x.staked, why, whylen) ||
	    !agree("unbonding", a.stake_unbonding, x.unbonding, why, whylen) ||
	    !agree("rewards", a.rewards, x.rewards, why, whylen) ||
	    !agree("open_orders", a.open_orders, x.open_orders, why, whylen) ||
	    !agree("open_leases", a.open_leases, x.open_leases, why, whylen) ||
	    !agree("providers_active", a.providers_active, x.providers_active,
	           why, whylen))
		return 0;
	if (a.unbonding != a.stake_unbonding) {
		ember_errf(why, whylen,
		    "unbonding: entries hold %s, stake records say %s",
		    fmt_u128(a.unbonding, b1), fmt_u128(a.stake_unbonding, b2));
		return 0;
	}
	/* supply == genesis + minted - burned, compared without subtracting
	 * so a burned count above genesis + minted cannot wrap. */
	issued = (u128)x.genesis + x.minted;
	if ((u128)x.supply + x.burned != issued) {
		ember_errf(why, whylen,
		    "supply: totals say %llu, genesis + minted - burned is %llu + %llu - %llu",
		    (unsigned long long)x.supply, (unsigned long long)x.genesis,
		    (unsigned long long)x.minted, (unsigned long long)x.burned);
		return 0;
	}
	held = a.balances + escrow + a.staked + a.stake_unbonding + a.rewards;
	if (held != x.supply) {
		ember_errf(why, whylen,
		    "supply: totals say %llu, balances + escrow + staked + unbonding + rewards hold %s",
		    (unsigned long long)x.supply, fmt_u128(held, b1));
		return 0;
	}
	*ok = 1;
	return 0;
}

int tok_audit(struct ember_txn *t, char *why, size_t whylen)
{
	u128 balances;
	int ok, rc = audit_run(t, why, whylen, &ok, &balances);

	if (rc)
		return rc;
	return ok ? 0 : EMBER_STORE_CORRUPT;
}

int tok_check_supply(struct ember_txn *t, uint64_t *sum)
{
	u128 balances = 0;
	int ok, rc = audit_run(t, NULL, 0, &ok, &balances);

	if (rc)
		return rc;
	/* balances past 2^64 already fail the audit (ok == 0); the clamp only
	 * keeps *sum from showing a wrapped, plausible-looking total */
	*sum = balances > UINT64_MAX ? UINT64_MAX : (uint64_t)balances;
	return ok;
}
