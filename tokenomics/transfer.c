/*
 * transfer.c - tok_apply_tx dispatch and the common prologue (nonce, fee,
 * locked amount), transfers, genesis, block end, and the running totals.
 * See tok.h for the contract (check first, then write) and tok_int.h for
 * how the other files of tokenomics/ share the work.
 */
#include "tok_int.h"

#include <stdio.h>
#include <string.h>

#include "ember/addr.h"
#include "ember/amount.h"
#include "ember/codec.h"
#include "ember/store.h"

static const char totals_key[] = "totals";

/* --- totals and epoch records ------------------------------------------ */

#define TOTALS_VERSION 1
#define EPOCH_VERSION 2

void tk_totals_encode(const struct tok_totals *x, uint8_t out[TOK_TOTALS_ENC_LEN])
{
	const uint64_t v[20] = {
		x->supply, x->genesis, x->minted, x->burned, x->escrow,
		x->staked, x->unbonding, x->rewards, x->epoch, x->minted_epoch,
		x->burned_epoch, x->slashed_epoch, x->emission_next, x->open_orders, x->open_leases,
		x->providers_active, x->next_order_id, x->next_lease_id,
		x->oracle_uusd, x->oracle_epoch
	};
	out[0] = TOTALS_VERSION;
	for (size_t i = 0; i < 20; i++)
		ember_le64_put(out + 1 + 8 * i, v[i]);
}

int tk_totals_decode(struct tok_totals *x, const uint8_t *in, size_t len)
{
	uint64_t *const f[20] = {
		&x->supply, &x->genesis, &x->minted, &x->burned, &x->escrow,
		&x->staked, &x->unbonding, &x->rewards, &x->epoch, &x->minted_epoch,
		&x->burned_epoch, &x->slashed_epoch, &x->emission_next, &x->open_orders, &x->open_leases,
		&x->providers_active, &x->next_order_id, &x->next_lease_id,
		&x->oracle_uusd, &x->oracle_epoch
	};
	if (len != TOK_TOTALS_ENC_LEN || in[0] != TOTALS_VERSION)
		return EMBER_STORE_CORRUPT;
	for (size_t i = 0; i < 20; i++)
		*f[i] = ember_le64_get(in + 1 + 8 * i);
	return 0;
}

/* Version 2 appends the challenge counts to version 1's fields
 * (tok.h); the u32s are little-endian. */
#define EPOCH_V1_LEN (1 + 9 * 8 + 3 * 4)
#define EPOCH_NU32 7

void tk_epoch_encode(const struct tok_epoch_rec *x, uint8_t out[TOK_EPOCH_ENC_LEN])
{
	const uint64_t v[9] = {
		x->epoch, x->minted, x->burned, x->emission, x->oracle_uusd,
		x->work, x->slashed, x->supply, x->staked
	};
	const uint32_t w[EPOCH_NU32] = {
		x->nreports, x->providers_rewarded, x->providers_failed,
		x->chal_passed, x->chal_failed, x->chal_missing, x->providers_jailed
	};
	out[0] = EPOCH_VERSION;
	for (size_t i = 0; i < 9; i++)
		ember_le64_put(out + 1 + 8 * i, v[i]);
	for (size_t i = 0; i < EPOCH_NU32; i++)
		ember_le32_put(out + 1 + 8 * 9 + 4 * i, w[i]);
}

int tk_epoch_decode(struct tok_epoch_rec *x, const uint8_t *in, size_t len)
{
	struct tok_epoch_rec r;
	uint64_t *const v[9] = {
		&r.epoch, &r.minted, &r.burned, &r.emission, &r.oracle_uusd,
		&r.work, &r.slashed, &r.supply, &r.staked
	};
	uint32_t *const w[EPOCH_NU32] = {
		&r.nreports, &r.providers_rewarded, &r.providers_failed,
		&r.chal_passed, &r.chal_failed, &r.chal_missing, &r.providers_jailed
	};
	size_t nw;

	if (len == TOK_EPOCH_ENC_LEN && in[0] == EPOCH_VERSION)
		nw = EPOCH_NU32;
	else if (len == EPOCH_V1_LEN && in[0] == 1)
		nw = 3;
	else
		return EMBER_STORE_CORRUPT;
	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < 9; i++)
		*v[i] = ember_le64_get(in + 1 + 8 * i);
	for (size_t i = 0; i < nw; i++)
		*w[i] = ember_le32_get(in + 1 + 8 * 9 + 4 * i);
	*x = r;
	return 0;
}

int tk_totals(struct tok_block *b, struct ember_txn *t, struct tok_totals **out)
{
	if (!b->have_totals) {
		int rc = tok_totals_get(t, &b->totals);
		if (rc == EMBER_ENOTFOUND)
			rc = EMBER_STORE_CORRUPT;   /* every ledger has genesis totals */
		if (rc)
			return rc;
		b->have_totals = 1;
	}
	*out = &b->totals;
	return 0;
}

static int put_totals(struct ember_state *st, const struct tok_totals *x)
{
	uint8_t buf[TOK_TOTALS_ENC_LEN];
	tk_totals_encode(x, buf);
	return ember_state_put(st, EMBER_DB_META, totals_key,
	                       sizeof(totals_key) - 1, buf, sizeof(buf));
}

int tk_burn(struct tok_totals *x, uint64_t amount)
{
	/* supply counts every token, so a burn larger than it is a bug */
	if (amount > x->supply)
		return EMBER_TX_OVERFLOW;
	if (!ember_add_u64(x->burned, amount, &x->burned) ||
	    !ember_add_u64(x->burned_epoch, amount, &x->burned_epoch))
		return EMBER_TX_OVERFLOW;
	x->supply -= amount;
	return 0;
}

int tk_mint(struct tok_totals *x, uint64_t amount)
{
	if (!ember_add_u64(x->supply, amount, &x->supply) ||
	    !ember_add_u64(x->minted, amount, &x->minted) ||
	    !ember_add_u64(x->minted_epoch, amount, &x->minted_epoch))
		return EMBER_TX_OVERFLOW;
	return 0;
}

int tk_credit(struct tk_tx *c, struct ember_state *st, const uint8_t pub[32],
              uint64_t amount)
{
	struct ember_account a;
	int rc;
	if (amount == 0)
		return 0;
	if (c && memcmp(pub, c->tx->from, 32) == 0)
		return ember_add_u64(c->from.balance, amount, &c->from.balance)
		       ? 0 : EMBER_TX_OVERFLOW;
	if ((rc = ember_account_get(ember_state_txn(st), pub, &a)))
		return rc;
	if (!ember_add_u64(a.balance, amount, &a.balance))
		return EMBER_TX_OVERFLOW;
	return ember_account_put(st, pub, &a);
}

uint64_t tok_epoch_of(const struct ember_genesis *g, uint64_t h)
{
	uint64_t e = g->params.epoch_blocks;
	if (h == 0 || e == 0)
		return 0;
	return (h - 1) / e;
}

int tok_oracle_fresh(const struct tok_totals *tot, const struct ember_genesis *g,
                     uint64_t epoch)
{
	/* oracle_epoch is never ahead of the chain; treat it as stale if so */
	if (tot->oracle_uusd == 0 || epoch < tot->oracle_epoch)
		return 0;
	return epoch - tot->oracle_epoch < g->params.oracle_max_age_epochs;
}

int tok_genesis(struct ember_state *st, const struct ember_genesis *g)
{
	struct tok_totals x;
	uint64_t total = 0;
	for (size_t i = 0; i < g->nalloc; i++) {
		struct ember_account a = { g->allocs[i].amount, 0 };
		int rc;
		if (!ember_add_u64(total, a.balance, &total))
			return EMBER_TX_OVERFLOW;
		rc = ember_account_put(st, g->allocs[i].pub, &a);
		if (rc)
			return rc;
	}
	memset(&x, 0, sizeof(x));
	x.supply = total;
	x.genesis = total;
	x.emission_next = g->params.emission_initial;
	x.next_order_id = 1;
	x.next_lease_id = 1;
	x.oracle_uusd = g->params.oracle_initial_uusd;
	x.oracle_epoch = 0;
	return put_totals(st, &x);
}

void tok_block_begin(struct tok_block *b, const struct ember_genesis *g,
                     const uint8_t proposer[32], uint64_t height)
{
	memset(b, 0, sizeof(*b));
	b->g = g;
	memcpy(b->proposer, proposer, 32);
	b->height = height;
	b->epoch = tok_epoch_of(g, height);
}

/* Nonce check shared by every kind; fills why. */
static int check_nonce(const struct ember_tx *tx, const struct ember_account *from,
                       char *why, size_t whylen)
{
	char addr[EMBER_ADDR_BUFLEN];
	if (tx->nonce == from->nonce)
		return 0;
	ember_addr_encode(tx->from, addr);
	if (tx->nonce < from->nonce) {
		ember_errf(why, whylen, "nonce %llu already used by account '%s'; next is %llu",
		    (unsigned long long)tx->nonce, addr,
		    (unsigned long long)from->nonce);
		return EMBER_TX_NONCE_USED;
	}
	ember_errf(why, whylen, "nonce %llu leaves a gap for account '%s'; next is %llu",
	    (unsigned long long)tx->nonce, addr,
	    (unsigned long long)from->nonce);
	return EMBER_TX_NONCE_GAP;
}

static int refuse_funds(const uint8_t pub[32], uint64_t have, uint64_t need,
                        char *why, size_t whylen)
{
	char addr[EMBER_ADDR_BUFLEN], h[EMBER_AMOUNT_BUFLEN], n[EMBER_AMOUNT_BUFLEN];
	ember_addr_encode(pub, addr);
	ember_amount_format(have, h);
	ember_amount_format(need, n);
	ember_errf(why, whylen, "insufficient funds: account '%s' has %s EMB, needs %s EMB",
	    addr, h, n);
	return EMBER_TX_INSUFFICIENT;
}

/* --- transfers ---------------------------------------------------------- */

static int apply_transfer(struct tok_block *b, struct ember_state *st,
                          const struct ember_tx *tx, char *why, size_t whylen)
{
	struct ember_txn *t = ember_state_txn(st);
	const struct ember_tx_transfer *tr = &tx->u.transfer;
	struct ember_account from, to;
	char addr[EMBER_ADDR_BUFLEN];
	uint64_t cost, fees;
	int self = memcmp(tx->from, tr->to, 32) == 0;
	int rc;

	if ((rc = ember_account_get(t, tx->from, &from)))
		return rc;
	if ((rc = check_nonce(tx, &from, why, whylen)))
		return rc;
	if (!ember_add_u64(tr->amount, tx->fee, &cost)) {
		ember_errf(why, whylen, "amount plus fee overflows");
		return EMBER_TX_OVERFLOW;
	}
	if (from.balance < cost)
		return refuse_funds(tx->from, from.balance, cost, why, whylen);
	if (!ember_add_u64(b->fees, tx->fee, &fees)) {
		ember_errf(why, whylen, "block fees overflow");
		return EMBER_TX_OVERFLOW;
	}
	if (self) {
		from.balance -= tx->fee;
	} else {
		if ((rc = ember_account_get(t, tr->to, &to)))
			return rc;
		if (!ember_add_u64(to.balance, tr->amount, &to.balance)) {
			ember_addr_encode(tr->to, addr);
			ember_errf(why, whylen, "balance of account '%s' would overflow", addr);
			return EMBER_TX_OVERFLOW;
		}
		from.balance -= cost;
	}
	/* Checks are done: from here on only writes. */
	from.nonce++;
	if ((rc = ember_account_put(st, tx->from, &from)))
		return rc;
	if (!self && (rc = ember_account_put(st, tr->to, &to)))
		return rc;
	b->fees = fees;
	return 0;
}

/* --- every other kind ---------------------------------------------------- */

typedef int (*tk_handler)(struct tk_tx *c);

static const tk_handler handlers[EMBER_TX_KIND_MAX + 1] = {
	[EMBER_TX_STAKE] = tk_stake,
	[EMBER_TX_UNSTAKE] = tk_unstake,
	[EMBER_TX_PROV_REGISTER] = tk_prov_register,
	[EMBER_TX_PROV_UPDATE] = tk_prov_update,
	[EMBER_TX_PROV_RETIRE] = tk_prov_retire,
	[EMBER_TX_ORDER] = tk_order,
	[EMBER_TX_BID] = tk_bid,
	[EMBER_TX_ACCEPT] = tk_accept,
	[EMBER_TX_CLOSE] = tk_close,
	[EMBER_TX_TOPUP] = tk_topup,
	[EMBER_TX_CLAIM] = tk_claim,
	[EMBER_TX_PRICE] = tk_price,
	[EMBER_TX_MAINTENANCE] = tk_maintenance,
	[EMBER_TX_EVIDENCE] = tk_evidence,
	[EMBER_TX_PROOF] = tk_proof,
};

/*
 * Prologue, handler, epilogue.  The prologue takes fee and locked amount
 * off an in-memory copy of the sender's account; the handler checks, then
 * writes its records (crediting the sender only through c->from); the
 * epilogue writes the sender once.  The block's fee total and the cached
 * totals are touched only after the handler succeeded, so a refusal leaves
 * everything as it was.
 */
static int apply_other(struct tok_block *b, struct ember_state *st,
                       const struct ember_tx *tx, char *why, size_t whylen)
{
	struct tk_tx c;
	struct tok_totals saved;
	uint64_t cost, fees;
	int rc;

	memset(&c, 0, sizeof(c));
	c.b = b;
	c.st = st;
	c.t = ember_state_txn(st);
	c.g = b->g;
	c.tx = tx;
	c.model = ember_genesis_model(b->g);
	c.why = why;
	c.whylen = whylen;

	if ((rc = ember_account_get(c.t, tx->from, &c.from)))
		return rc;
	if ((rc = check_nonce(tx, &c.from, why, whylen)))
		return rc;
	if ((cost = ember_tx_cost(tx)) == 0) {
		ember_errf(why, whylen, "fee plus amount overflows");
		return EMBER_TX_OVERFLOW;
	}
	if (c.from.balance < cost)
		return refuse_funds(tx->from, c.from.balance, cost, why, whylen);
	if (!ember_add_u64(b->fees, tx->fee, &fees)) {
		ember_errf(why, whylen, "block fees overflow");
		return EMBER_TX_OVERFLOW;
	}
	c.from.balance -= cost;
	c.from.nonce++;

	/* Handlers change the cached totals only in their write phase; keep
	 * a copy anyway so a store error half way cannot leave them off. */
	{
		struct tok_totals *tot;
		if ((rc = tk_totals(b, c.t, &tot)))
			return rc;
		saved = *tot;
	}
	rc = handlers[tx->kind](&c);
	if (rc == 0)
		rc = ember_account_put(st, tx->from, &c.from);
	if (rc) {
		b->totals = saved;
		return rc;
	}
	b->fees = fees;
	return 0;
}

int tok_apply_tx(struct tok_block *b, struct ember_state *st,
                 const struct ember_tx *tx, char *why, size_t whylen)
{
	int rc;
	if (tx->kind == EMBER_TX_TRANSFER)
		rc = apply_transfer(b, st, tx, why, whylen);
	else if (tx->kind <= EMBER_TX_KIND_MAX && handlers[tx->kind])
		rc = apply_other(b, st, tx, why, whylen);
	else {
		ember_errf(why, whylen, "unknown transaction kind %u", tx->kind);
		return EMBER_ENC_KIND;
	}
	if (rc == 0)
		b->applied++;
	return rc;
}

static int credit_fees(struct tok_block *b, struct ember_state *st)
{
	struct ember_account p;
	int rc;
	if (b->fees == 0)
		return 0;
	if ((rc = ember_account_get(ember_state_txn(st), b->proposer, &p)))
		return rc;
	/* Cannot overflow while supply fits in u64, but never assume. */
	if (!ember_add_u64(p.balance, b->fees, &p.balance))
		return EMBER_TX_OVERFLOW;
	return ember_account_put(st, b->proposer, &p);
}

int tok_block_end(struct tok_block *b, struct ember_state *st)
{
	uint64_t h = b->height, eb = b->g->params.epoch_blocks;
	int rc;

	/* Before the epoch's work below: with epoch_blocks 1 a block both
	 * opens and closes its epoch, and the record must exist either way.
	 * Proof txs of this block read the parent directly (proof.c). */
	if ((rc = tk_epoch_hash_record(b, st)))
		return rc;
	if ((rc = credit_fees(b, st)))
		return rc;
	/* Before the epoch's end: a block's last commit counts in its epoch. */
	if ((rc = tk_downtime_block(b, st)))
		return rc;
	/* The queues are keyed by height, so these touch only what is due. */
	if ((rc = tk_expire_orders(b, st, h)) ||
	    (rc = tk_release_unbonding(b, st, h)))
		return rc;
	if (eb && h > 0 && h % eb == 0 && (rc = tk_epoch_end(b, st, h)))
		return rc;
	if (b->have_totals && (rc = put_totals(st, &b->totals)))
		return rc;
	return 0;
}
