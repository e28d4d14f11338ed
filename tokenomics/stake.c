/*
 * stake.c - bonded stake, the unbonding queue, the slashing primitive,
 * reward accrual and claims, and double-sign evidence.
 *
 * Rules: docs/economics.md, "Staking" and "Slashing".  Contract (tok_int.h):
 * handlers check everything first and write only once nothing can refuse,
 * so every refusal below returns before the first put.
 *
 * Unbonding is stored twice: EMBER_DB_UNBONDING (account || be64 release ->
 * le64 amount) answers "this account's entries in release order", which
 * slashing needs, and the 'U' index (be64 release || account) answers
 * "entries due by height h", which block end needs in O(due).  Both are
 * written and deleted together.
 */
#include "tok_int.h"

#include <string.h>

#include "ember/amount.h"
#include "ember/block.h"
#include "ember/key.h"

/* Entries handled per pass when walking the unbonding queue.  A pass
 * collects, then writes (an LMDB cursor must not see its own deletes), then
 * the walk restarts from the front, where the handled entries are gone.
 * Bounded on the stack so consensus code does not allocate. */
#define STAKE_BATCH 32

#define BPS_ONE 10000u

static uint64_t stake_epoch(const struct tk_tx *c)
{
	return tok_epoch_of(c->g, c->b->height);
}

static int unbond_get(struct ember_txn *t, const uint8_t acct[32],
                      uint64_t release, uint64_t *amount)
{
	uint8_t key[40];
	const void *v;
	size_t vlen;
	int rc = ember_store_get(t, EMBER_DB_UNBONDING, key,
	                         ember_key_unbond(key, acct, release), &v, &vlen);
	if (rc)
		return rc;
	if (vlen != 8)
		return EMBER_STORE_CORRUPT;
	*amount = ember_le64_get(v);
	return 0;
}

/* Write an entry and its 'U' index (the index is idempotent to rewrite). */
static int unbond_put(struct ember_state *st, const uint8_t acct[32],
                      uint64_t release, uint64_t amount)
{
	uint8_t key[40], idx[EMBER_IDX_KEY_MAX], val[8];
	int rc;
	ember_le64_put(val, amount);
	rc = ember_state_put(st, EMBER_DB_UNBONDING, key,
	                     ember_key_unbond(key, acct, release), val, sizeof(val));
	if (rc)
		return rc;
	return tk_idx_put(st, idx, ember_idx_id_pub(idx, EMBER_IDX_UNBOND, release,
	                                            acct), NULL, 0);
}

static int unbond_del(struct ember_state *st, const uint8_t acct[32],
                      uint64_t release)
{
	uint8_t key[40], idx[EMBER_IDX_KEY_MAX];
	int rc = ember_state_del(st, EMBER_DB_UNBONDING, key,
	                         ember_key_unbond(key, acct, release));
	if (rc)
		return rc;
	return tk_idx_del(st, idx, ember_idx_id_pub(idx, EMBER_IDX_UNBOND, release,
	                                            acct));
}

int tk_stake(struct tk_tx *c)
{
	uint64_t amount = c->tx->u.amount.amount;
	struct tok_totals *tot;
	struct ember_stake s;
	uint64_t staked, tot_staked;
	int rc;

	if ((rc = tk_totals(c->b, c->t, &tot)))
		return rc;
	if ((rc = tk_get_stake(c->t, c->tx->from, &s)))
		return rc;
	if (!ember_add_u64(s.amount, amount, &staked) ||
	    !ember_add_u64(tot->staked, amount, &tot_staked)) {
		ember_errf(c->why, c->whylen, "stake would overflow");
		return EMBER_TX_OVERFLOW;
	}
	s.amount = staked;
	if ((rc = tk_put_stake(c->st, c->tx->from, &s)))
		return rc;
	tot->staked = tot_staked;
	return 0;
}

int tk_unstake(struct tk_tx *c)
{
	const struct ember_params *pp = &c->g->params;
	uint64_t amount = c->tx->u.amount.amount;
	struct tok_totals *tot;
	struct ember_stake s;
	uint64_t release, entry = 0, tot_unb;
	char addr[EMBER_ADDR_BUFLEN];
	int merge, rc;

	if ((rc = tk_totals(c->b, c->t, &tot)))
		return rc;
	if ((rc = tk_get_stake(c->t, c->tx->from, &s)))
		return rc;
	if (s.amount < amount) {
		char have[EMBER_AMOUNT_BUFLEN], want[EMBER_AMOUNT_BUFLEN];
		tk_addr(c->tx->from, addr);
		ember_amount_format(s.amount, have);
		ember_amount_format(amount, want);
		ember_errf(c->why, c->whylen,
		    "stake too low: account '%s' has %s EMB bonded, cannot unstake %s EMB",
		    addr, have, want);
		return EMBER_TOK_STAKE_LOW;
	}
	if (!ember_add_u64(c->b->height, pp->unbonding_blocks, &release)) {
		ember_errf(c->why, c->whylen, "unbonding release height overflows");
		return EMBER_TX_OVERFLOW;
	}
	rc = unbond_get(c->t, c->tx->from, release, &entry);
	if (rc && rc != EMBER_ENOTFOUND)
		return rc;
	merge = rc == 0;
	if (!merge && s.unbonding_entries >= pp->max_unbonding_entries) {
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "too many unbonding entries: account '%s' has %u pending, the most allowed; unstake again after one is released",
		    addr, s.unbonding_entries);
		return EMBER_TOK_UNBONDING_LIMIT;
	}
	if (!ember_add_u64(entry, amount, &entry) ||
	    !ember_add_u64(s.unbonding, amount, &s.unbonding) ||
	    !ember_add_u64(tot->unbonding, amount, &tot_unb)) {
		ember_errf(c->why, c->whylen, "unbonding amount would overflow");
		return EMBER_TX_OVERFLOW;
	}
	if (tot->staked < amount)
		return EMBER_STORE_CORRUPT;     /* totals disagree with the record */

	/* Checks are done: from here on only writes. */
	s.amount -= amount;
	if (!merge)
		s.unbonding_entries++;
	if ((rc = unbond_put(c->st, c->tx->from, release, entry)))
		return rc;
	if ((rc = tk_put_stake(c->st, c->tx->from, &s)))
		return rc;
	tot->staked -= amount;
	tot->unbonding = tot_unb;
	return 0;
}

int tk_claim(struct tk_tx *c)
{
	struct tok_totals *tot;
	struct ember_stake s;
	uint64_t r;
	int rc;

	if ((rc = tk_totals(c->b, c->t, &tot)))
		return rc;
	if ((rc = tk_get_stake(c->t, c->tx->from, &s)))
		return rc;
	if (s.rewards == 0) {
		char addr[EMBER_ADDR_BUFLEN];
		tk_addr(c->tx->from, addr);
		ember_errf(c->why, c->whylen,
		    "nothing to claim: account '%s' has no accrued rewards", addr);
		return EMBER_TOK_NOTHING_TO_CLAIM;
	}
	if (tot->rewards < s.rewards)
		return EMBER_STORE_CORRUPT;
	r = s.rewards;
	/* For the sender tk_credit only adjusts c->from in memory, so if it
	 * refuses (overflow) nothing has been written yet. */
	if ((rc = tk_credit(c, c->st, c->tx->from, r))) {
		if (rc == EMBER_TX_OVERFLOW)
			ember_errf(c->why, c->whylen, "balance would overflow");
		return rc;
	}
	s.rewards = 0;
	if ((rc = tk_put_stake(c->st, c->tx->from, &s)))
		return rc;
	tot->rewards -= r;
	return 0;
}

/* 'D' validator || be64 height || u8 type || le32 round (market.h). */
static size_t double_sign_key(uint8_t *out, const struct ember_tx_evidence *ev)
{
	out[0] = EMBER_IDX_DOUBLE_SIGN;
	memcpy(out + 1, ev->validator, 32);
	ember_be64_put(out + 33, ev->height);
	out[41] = ev->vote_type;
	ember_le32_put(out + 42, ev->round);
	return 46;
}

static int is_validator(const struct ember_genesis *g, const uint8_t pub[32])
{
	for (size_t i = 0; i < g->nval; i++)
		if (memcmp(g->vals[i].pub, pub, 32) == 0)
			return 1;
	return 0;
}

static int vote_sig_ok(const struct ember_genesis *g,
                       const struct ember_tx_evidence *ev,
                       const uint8_t hash[32], uint64_t time_ms,
                       const uint8_t sig[64])
{
	uint8_t msg[32];
	ember_vote_hash(g->chain_id, ev->vote_type, ev->height, ev->round, hash,
	                time_ms, msg);
	return ember_schnorr_verify(ev->validator, msg, sizeof(msg), sig);
}

int tk_evidence(struct tk_tx *c)
{
	const struct ember_tx_evidence *ev = &c->tx->u.evidence;
	uint8_t key[EMBER_IDX_KEY_MAX];
	size_t klen = double_sign_key(key, ev);
	char addr[EMBER_ADDR_BUFLEN];
	struct ember_provider p;
	uint64_t epoch = stake_epoch(c), taken, until;
	const void *v;
	size_t vlen;
	int is_prov, rc;

	tk_addr(ev->validator, addr);
	if (!is_validator(c->g, ev->validator)) {
		ember_errf(c->why, c->whylen,
		    "evidence names '%s', which is not a genesis validator", addr);
		return EMBER_TOK_EVIDENCE;
	}
	/* Honest software signs only these two types, so a signature over any
	 * other type proves nothing about consensus. */
	if (ev->vote_type != EMBER_VOTE_PREVOTE &&
	    ev->vote_type != EMBER_VOTE_PRECOMMIT) {
		ember_errf(c->why, c->whylen, "evidence has unknown vote type %u",
		    ev->vote_type);
		return EMBER_TOK_EVIDENCE;
	}
	if (memcmp(ev->hash_a, ev->hash_b, 32) == 0) {
		ember_errf(c->why, c->whylen,
		    "evidence against '%s' votes for the same block twice, which is no double sign",
		    addr);
		return EMBER_TOK_EVIDENCE;
	}
	if (!vote_sig_ok(c->g, ev, ev->hash_a, ev->time_a, ev->sig_a) ||
	    !vote_sig_ok(c->g, ev, ev->hash_b, ev->time_b, ev->sig_b)) {
		ember_errf(c->why, c->whylen,
		    "evidence against '%s' has a signature that does not verify for height %llu round %u",
		    addr, (unsigned long long)ev->height, ev->round);
		return EMBER_TOK_EVIDENCE;
	}
	rc = ember_store_get(c->t, EMBER_DB_INDEX, key, klen, &v, &vlen);
	if (rc == 0) {
		ember_errf(c->why, c->whylen,
		    "double sign by '%s' at height %llu round %u was already punished",
		    addr, (unsigned long long)ev->height, ev->round);
		return EMBER_TOK_EVIDENCE_DUP;
	}
	if (rc != EMBER_ENOTFOUND)
		return rc;
	rc = tk_get_provider(c->t, ev->validator, &p);
	if (rc && rc != EMBER_ENOTFOUND)
		return rc;
	is_prov = rc == 0;

	/* Checks are done: from here on only writes. */
	if ((rc = tk_slash(c->b, c->st, ev->validator,
	                   c->g->params.slash_double_sign_bps, epoch, &taken)))
		return rc;
	if ((rc = tk_idx_put(c->st, key, klen, NULL, 0)))
		return rc;
	if (is_prov) {
		if (!ember_add_u64(epoch, 1 + (uint64_t)c->g->params.jail_epochs,
		                   &until))
			until = UINT64_MAX;
		if (p.jailed_until < until) {
			p.jailed_until = until;
			if ((rc = tk_put_provider(c->st, &p)))
				return rc;
		}
	}
	return 0;
}

/* --- unbonding release (block end) -------------------------------------- */

struct due {
	uint64_t release;
	uint8_t acct[32];
};

struct due_walk {
	uint64_t h;
	size_t n;
	struct due e[STAKE_BATCH];
};

static int due_cb(void *ctx, const void *key, size_t klen, const void *val,
                  size_t vlen)
{
	struct due_walk *w = ctx;
	const uint8_t *k = key;
	uint64_t release;
	(void)val;
	(void)vlen;
	if (klen == 0 || k[0] != EMBER_IDX_UNBOND)
		return 1;
	if (klen != 1 + 8 + 32)
		return EMBER_STORE_CORRUPT;
	release = ember_be64_get(k + 1);
	if (release > w->h)
		return 1;
	w->e[w->n].release = release;
	memcpy(w->e[w->n].acct, k + 9, 32);
	return ++w->n == STAKE_BATCH;
}

static int release_one(struct ember_state *st, struct tok_totals *tot,
                       const struct due *d)
{
	struct ember_txn *t = ember_state_txn(st);
	struct ember_stake s;
	uint64_t amount;
	int rc;

	if ((rc = unbond_get(t, d->acct, d->release, &amount)))
		return rc == EMBER_ENOTFOUND ? EMBER_STORE_CORRUPT : rc;
	if ((rc = tk_get_stake(t, d->acct, &s)))
		return rc;
	if (s.unbonding < amount || s.unbonding_entries == 0 ||
	    tot->unbonding < amount)
		return EMBER_STORE_CORRUPT;
	if ((rc = tk_credit(NULL, st, d->acct, amount)))
		return rc;
	if ((rc = unbond_del(st, d->acct, d->release)))
		return rc;
	s.unbonding -= amount;
	s.unbonding_entries--;
	if ((rc = tk_put_stake(st, d->acct, &s)))
		return rc;
	tot->unbonding -= amount;
	return 0;
}

int tk_release_unbonding(struct tok_block *b, struct ember_state *st, uint64_t h)
{
	const uint8_t start = EMBER_IDX_UNBOND;
	struct tok_totals *tot;
	struct due_walk w;
	int rc;

	if ((rc = tk_totals(b, ember_state_txn(st), &tot)))
		return rc;
	do {
		w.h = h;
		w.n = 0;
		rc = ember_store_iter(ember_state_txn(st), EMBER_DB_INDEX, &start, 1,
		                      due_cb, &w);
		if (rc)
			return rc;
		for (size_t i = 0; i < w.n; i++)
			if ((rc = release_one(st, tot, &w.e[i])))
				return rc;
	} while (w.n == STAKE_BATCH);
	return 0;
}

/* --- slashing ----------------------------------------------------------- */

struct unb_entry {
	uint64_t release;
	uint64_t amount;
};

struct unb_walk {
	const uint8_t *acct;
	uint64_t need;           /* still to find */
	size_t n;
	struct unb_entry e[STAKE_BATCH];
};

static int unb_cb(void *ctx, const void *key, size_t klen, const void *val,
                  size_t vlen)
{
	struct unb_walk *w = ctx;
	uint64_t amount;
	if (klen != 40 || memcmp(key, w->acct, 32) != 0)
		return 1;
	if (vlen != 8)
		return EMBER_STORE_CORRUPT;
	amount = ember_le64_get(val);
	w->e[w->n].release = ember_be64_get((const uint8_t *)key + 32);
	w->e[w->n].amount = amount;
	w->n++;
	w->need = amount >= w->need ? 0 : w->need - amount;
	return w->need == 0 || w->n == STAKE_BATCH;
}

/* Take `need` from acct's unbonding entries, earliest release first (key
 * order), updating *s; entries emptied are deleted with their index. */
static int slash_unbonding(struct ember_state *st, const uint8_t acct[32],
                           struct ember_stake *s, uint64_t need)
{
	struct unb_walk w;
	int rc;

	while (need > 0) {
		w.acct = acct;
		w.need = need;
		w.n = 0;
		rc = ember_store_iter(ember_state_txn(st), EMBER_DB_UNBONDING, acct,
		                      32, unb_cb, &w);
		if (rc)
			return rc;
		if (w.n == 0)
			return EMBER_STORE_CORRUPT;   /* s->unbonding overstated */
		/* Every entry but possibly the last is emptied, so the next
		 * pass, from the front again, starts where this one ended. */
		for (size_t i = 0; i < w.n; i++) {
			struct unb_entry *e = &w.e[i];
			uint64_t cut = e->amount < need ? e->amount : need;
			if (cut == e->amount) {
				if (s->unbonding_entries == 0)
					return EMBER_STORE_CORRUPT;
				rc = unbond_del(st, acct, e->release);
				s->unbonding_entries--;
			} else {
				rc = unbond_put(st, acct, e->release, e->amount - cut);
			}
			if (rc)
				return rc;
			need -= cut;
		}
	}
	return 0;
}

int tk_slash(struct tok_block *b, struct ember_state *st, const uint8_t acct[32],
             uint32_t bps, uint64_t epoch, uint64_t *taken)
{
	const struct ember_params *pp = &b->g->params;
	struct ember_txn *t = ember_state_txn(st);
	struct tok_totals *tot;
	struct ember_stake s;
	uint32_t used, room;
	uint64_t amount, from_stake, from_unb;
	unsigned __int128 base;
	int rc;

	*taken = 0;
	if ((rc = tk_totals(b, t, &tot)))
		return rc;
	if ((rc = tk_get_stake(t, acct, &s)))
		return rc;
	used = s.slash_epoch == epoch ? s.slash_bps_used : 0;
	room = pp->slash_cap_bps > used ? pp->slash_cap_bps - used : 0;
	if (bps > room)
		bps = room;
	if (bps > BPS_ONE)
		bps = BPS_ONE;
	base = (unsigned __int128)s.amount + s.unbonding;
	/* <= base <= supply, so it fits in u64. */
	amount = (uint64_t)(base * bps / BPS_ONE);
	if (amount == 0)
		return 0;       /* nothing to take: leave the record (and cap) as is */

	from_stake = amount < s.amount ? amount : s.amount;
	from_unb = amount - from_stake;
	if (tot->staked < from_stake || tot->unbonding < from_unb ||
	    s.unbonding < from_unb)
		return EMBER_STORE_CORRUPT;
	if ((rc = slash_unbonding(st, acct, &s, from_unb)))
		return rc;
	s.amount -= from_stake;
	s.unbonding -= from_unb;
	s.slash_epoch = epoch;
	s.slash_bps_used = used + bps;
	if (!ember_add_u64(s.slashed_total, amount, &s.slashed_total))
		s.slashed_total = UINT64_MAX;   /* a statistic: saturate */
	if ((rc = tk_put_stake(st, acct, &s)))
		return rc;
	if ((rc = tk_burn(tot, amount)))
		return rc;
	if (!ember_add_u64(tot->slashed_epoch, amount, &tot->slashed_epoch))
		tot->slashed_epoch = UINT64_MAX;   /* a statistic: saturate */
	tot->staked -= from_stake;
	tot->unbonding -= from_unb;
	*taken = amount;
	return 0;
}

int tk_reward(struct tok_block *b, struct ember_state *st, const uint8_t acct[32],
              uint64_t amount)
{
	struct ember_txn *t = ember_state_txn(st);
	struct tok_totals *tot;
	struct ember_stake s;
	uint64_t tot_rewards;
	int rc;

	if (amount == 0)
		return 0;
	if ((rc = tk_totals(b, t, &tot)))
		return rc;
	if ((rc = tk_get_stake(t, acct, &s)))
		return rc;
	if (!ember_add_u64(s.rewards, amount, &s.rewards) ||
	    !ember_add_u64(s.rewards_total, amount, &s.rewards_total) ||
	    !ember_add_u64(tot->rewards, amount, &tot_rewards))
		return EMBER_TX_OVERFLOW;
	if ((rc = tk_put_stake(st, acct, &s)))
		return rc;
	tot->rewards = tot_rewards;
	return 0;
}
