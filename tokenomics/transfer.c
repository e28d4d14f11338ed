/*
 * transfer.c - genesis allocation, transfers, fee collection, and the
 * supply record.  See tok.h for the contract (check first, then write).
 */
#include "ember/tok.h"

#include <stdio.h>
#include <string.h>

#include "ember/addr.h"
#include "ember/amount.h"
#include "ember/codec.h"
#include "ember/store.h"

static const char supply_key[] = "supply";

static int put_supply(struct ember_state *st, uint64_t v)
{
	uint8_t buf[8];
	ember_le64_put(buf, v);
	return ember_state_put(st, EMBER_DB_META, supply_key,
	                       sizeof(supply_key) - 1, buf, sizeof(buf));
}

int tok_supply(struct ember_txn *t, uint64_t *out)
{
	const void *v;
	size_t vlen;
	int rc = ember_store_get(t, EMBER_DB_META, supply_key,
	                         sizeof(supply_key) - 1, &v, &vlen);
	if (rc)
		return rc;
	if (vlen != 8)
		return EMBER_STORE_CORRUPT;
	*out = ember_le64_get(v);
	return 0;
}

int tok_genesis(struct ember_state *st, const struct ember_genesis *g)
{
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
	return put_supply(st, total);
}

void tok_block_begin(struct tok_block *b, const struct ember_genesis *g,
                     const uint8_t proposer[32], uint64_t height)
{
	memset(b, 0, sizeof(*b));
	b->g = g;
	memcpy(b->proposer, proposer, 32);
	b->height = height;
}

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
	if (tx->nonce != from.nonce) {
		ember_addr_encode(tx->from, addr);
		if (tx->nonce < from.nonce) {
			ember_errf(why, whylen, "nonce %llu already used by account '%s'; next is %llu",
			    (unsigned long long)tx->nonce, addr,
			    (unsigned long long)from.nonce);
			return EMBER_TX_NONCE_USED;
		}
		ember_errf(why, whylen, "nonce %llu leaves a gap for account '%s'; next is %llu",
		    (unsigned long long)tx->nonce, addr,
		    (unsigned long long)from.nonce);
		return EMBER_TX_NONCE_GAP;
	}
	if (!ember_add_u64(tr->amount, tx->fee, &cost)) {
		ember_errf(why, whylen, "amount plus fee overflows");
		return EMBER_TX_OVERFLOW;
	}
	if (from.balance < cost) {
		char have[EMBER_AMOUNT_BUFLEN], need[EMBER_AMOUNT_BUFLEN];
		ember_addr_encode(tx->from, addr);
		ember_amount_format(from.balance, have);
		ember_amount_format(cost, need);
		ember_errf(why, whylen, "insufficient funds: account '%s' has %s EMB, needs %s EMB",
		    addr, have, need);
		return EMBER_TX_INSUFFICIENT;
	}
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

int tok_apply_tx(struct tok_block *b, struct ember_state *st,
                 const struct ember_tx *tx, char *why, size_t whylen)
{
	int rc;
	switch (tx->kind) {
	case EMBER_TX_TRANSFER:
		rc = apply_transfer(b, st, tx, why, whylen);
		break;
	default:
		ember_errf(why, whylen, "unknown transaction kind %u", tx->kind);
		return EMBER_ENC_KIND;
	}
	if (rc == 0)
		b->applied++;
	return rc;
}

int tok_block_end(struct tok_block *b, struct ember_state *st)
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

struct sum_ctx {
	uint64_t sum;
	int overflow;
};

static int sum_cb(void *ctx, const void *key, size_t klen, const void *val,
                  size_t vlen)
{
	struct sum_ctx *s = ctx;
	(void)key;
	(void)klen;
	if (vlen != EMBER_ACCOUNT_ENC_LEN)
		return EMBER_STORE_CORRUPT;
	if (!ember_add_u64(s->sum, ember_le64_get(val), &s->sum))
		s->overflow = 1;
	return 0;
}

int tok_check_supply(struct ember_txn *t, uint64_t *sum)
{
	struct sum_ctx s = { 0, 0 };
	uint64_t supply;
	int rc = ember_store_iter(t, EMBER_DB_ACCOUNTS, NULL, 0, sum_cb, &s);
	if (rc)
		return rc;
	if ((rc = tok_supply(t, &supply)))
		return rc;
	if (sum)
		*sum = s.sum;
	return !s.overflow && s.sum == supply;
}
