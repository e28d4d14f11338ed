/*
 * access.c - reading and writing the market records (tok_int.h).
 *
 * Every write goes through ember_state_put/del, never ember_store_*, so it
 * lands in the block's change set and therefore in the state root; a write
 * that bypassed it would let two nodes agree on a root over different
 * states.  Reads go straight to the txn (they see the block's own writes).
 *
 * get returns EMBER_ENOTFOUND when the record is absent (except the stake,
 * whose absence means "nothing staked") and EMBER_STORE_CORRUPT when the
 * stored bytes do not decode.
 */
#include "tok_int.h"

#include <string.h>

/* One buffer size for every record: the largest bound in market.h.  It is
 * also what keeps tk_put_bid safe while EMBER_BID_ENC_LEN is one byte short
 * of the bid layout (records.c). */
#define REC_BUF EMBER_PROVIDER_ENC_MAX

/* Map a decoder's verdict to the store's: bytes that do not decode are a
 * damaged store, whatever the decoder's own reason. */
static int decoded(int rc)
{
	return rc ? EMBER_STORE_CORRUPT : 0;
}

/* An encoder returns 0 only for a record it refuses (a provider string out
 * of range): a caller bug, so nothing is written. */
static int put_enc(struct ember_state *st, enum ember_db db,
                   const uint8_t *key, size_t klen, const uint8_t *buf,
                   size_t n)
{
	if (n == 0)
		return EMBER_EINVAL;
	return ember_state_put(st, db, key, klen, buf, n);
}

/* Orders and leases are keyed by their id (be64). */
static int get_by_id(struct ember_txn *t, enum ember_db db, uint64_t id,
                     const void **v, size_t *vl)
{
	uint8_t key[8];
	return ember_store_get(t, db, key, ember_key_id(key, id), v, vl);
}

static int put_by_id(struct ember_state *st, enum ember_db db, uint64_t id,
                     const uint8_t *buf, size_t n)
{
	uint8_t key[8];
	return put_enc(st, db, key, ember_key_id(key, id), buf, n);
}

int tk_get_provider(struct ember_txn *t, const uint8_t owner[32],
                    struct ember_provider *p)
{
	const void *v;
	size_t vl;
	int rc = ember_store_get(t, EMBER_DB_PROVIDERS, owner, 32, &v, &vl);

	return rc ? rc : decoded(ember_provider_decode(p, v, vl));
}

int tk_put_provider(struct ember_state *st, const struct ember_provider *p)
{
	uint8_t buf[REC_BUF];
	return put_enc(st, EMBER_DB_PROVIDERS, p->owner, 32, buf,
	               ember_provider_encode(p, buf));
}

int tk_get_stake(struct ember_txn *t, const uint8_t acct[32],
                 struct ember_stake *s)
{
	const void *v;
	size_t vl;
	int rc = ember_store_get(t, EMBER_DB_STAKES, acct, 32, &v, &vl);

	if (rc == EMBER_ENOTFOUND) {
		ember_stake_init(s);
		return 0;
	}
	return rc ? rc : decoded(ember_stake_decode(s, v, vl));
}

static int stake_is_init(const struct ember_stake *s)
{
	struct ember_stake z;

	ember_stake_init(&z);
	return s->amount == z.amount && s->unbonding == z.unbonding &&
	       s->unbonding_entries == z.unbonding_entries &&
	       s->rewards == z.rewards && s->rewards_total == z.rewards_total &&
	       s->slash_epoch == z.slash_epoch &&
	       s->slash_bps_used == z.slash_bps_used &&
	       s->slashed_total == z.slashed_total;
}

/* A stake that reads the same as a missing one is deleted, so accounts
 * that staked and left do not keep a record in state forever; reading it
 * back gives the identical value either way. */
int tk_put_stake(struct ember_state *st, const uint8_t acct[32],
                 const struct ember_stake *s)
{
	uint8_t buf[REC_BUF];

	if (stake_is_init(s))
		return ember_state_del(st, EMBER_DB_STAKES, acct, 32);
	return put_enc(st, EMBER_DB_STAKES, acct, 32, buf,
	               ember_stake_encode(s, buf));
}

int tk_get_order(struct ember_txn *t, uint64_t id, struct ember_order *o)
{
	const void *v;
	size_t vl;
	int rc = get_by_id(t, EMBER_DB_ORDERS, id, &v, &vl);

	return rc ? rc : decoded(ember_order_decode(o, v, vl));
}

int tk_put_order(struct ember_state *st, const struct ember_order *o)
{
	uint8_t buf[REC_BUF];
	return put_by_id(st, EMBER_DB_ORDERS, o->id, buf, ember_order_encode(o, buf));
}

int tk_get_bid(struct ember_txn *t, uint64_t order_id, const uint8_t prov[32],
               struct ember_bid *bid)
{
	uint8_t key[40];
	const void *v;
	size_t vl;
	int rc = ember_store_get(t, EMBER_DB_BIDS, key,
	                         ember_key_bid(key, order_id, prov), &v, &vl);

	return rc ? rc : decoded(ember_bid_decode(bid, v, vl));
}

int tk_put_bid(struct ember_state *st, const struct ember_bid *bid)
{
	uint8_t key[40], buf[REC_BUF];
	return put_enc(st, EMBER_DB_BIDS, key,
	               ember_key_bid(key, bid->order_id, bid->provider), buf,
	               ember_bid_encode(bid, buf));
}

int tk_del_bid(struct ember_state *st, uint64_t order_id, const uint8_t prov[32])
{
	uint8_t key[40];
	return ember_state_del(st, EMBER_DB_BIDS, key,
	                       ember_key_bid(key, order_id, prov));
}

int tk_get_lease(struct ember_txn *t, uint64_t id, struct ember_lease *l)
{
	const void *v;
	size_t vl;
	int rc = get_by_id(t, EMBER_DB_LEASES, id, &v, &vl);

	return rc ? rc : decoded(ember_lease_decode(l, v, vl));
}

int tk_put_lease(struct ember_state *st, const struct ember_lease *l)
{
	uint8_t buf[REC_BUF];
	return put_by_id(st, EMBER_DB_LEASES, l->id, buf, ember_lease_encode(l, buf));
}

int tk_idx_put(struct ember_state *st, const uint8_t *key, size_t klen,
               const void *val, size_t vlen)
{
	return ember_state_put(st, EMBER_DB_INDEX, key, klen, val, vlen);
}

int tk_idx_del(struct ember_state *st, const uint8_t *key, size_t klen)
{
	return ember_state_del(st, EMBER_DB_INDEX, key, klen);
}

void tk_addr(const uint8_t pub[32], char out[EMBER_ADDR_BUFLEN])
{
	ember_addr_encode(pub, out);
}
