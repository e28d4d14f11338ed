/*
 * downtime.c - validators' missed precommits, counted from the blocks'
 * last commits (block.h), and the downtime penalty at an epoch's end
 * (tok.h: tok_block_set_last_commit; docs/economics.md, "Downtime").
 *
 * Each node may hold a different +2/3 of precommits as a block's own
 * certificate, so who "voted" is read only from the canonical copy the
 * next block carries: the same on every node, so the counts and the
 * slash are state like any other.  A count is kept only for a validator
 * that missed at least one block of the epoch ('M' be64 epoch validator
 * -> le64 count in EMBER_DB_INDEX): a chain whose validators all sign
 * writes nothing here.
 */
#include "tok_int.h"

#include <string.h>

#include "ember/codec.h"
#include "ember/market.h"
#include "ember/state.h"

void tok_block_set_last_commit(struct tok_block *b, const uint8_t (*signers)[32],
                               size_t n)
{
	b->signers = signers;
	b->nsigners = n;
	b->have_last_commit = 1;
}

int tok_validator_missed(struct ember_txn *t, uint64_t epoch,
                         const uint8_t validator[32], uint64_t *out)
{
	uint8_t key[EMBER_IDX_KEY_MAX];
	size_t klen = ember_idx_id_pub(key, EMBER_IDX_MISSED, epoch, validator);
	const void *v;
	size_t vlen;
	int rc = ember_store_get(t, EMBER_DB_INDEX, key, klen, &v, &vlen);

	*out = 0;
	if (rc == EMBER_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (vlen != 8)
		return EMBER_STORE_CORRUPT;
	*out = ember_le64_get(v);
	return 0;
}

static int signed_it(const struct tok_block *b, const uint8_t val[32])
{
	for (size_t i = 0; i < b->nsigners; i++)
		if (memcmp(b->signers[i], val, 32) == 0)
			return 1;
	return 0;
}

int tk_downtime_block(struct tok_block *b, struct ember_state *st)
{
	const struct ember_genesis *g = b->g;
	struct ember_txn *t = ember_state_txn(st);

	if (!b->have_last_commit)
		return 0;
	for (size_t i = 0; i < g->nval; i++) {
		uint8_t key[EMBER_IDX_KEY_MAX], v[8];
		size_t klen;
		uint64_t n;
		int rc;

		if (signed_it(b, g->vals[i].pub))
			continue;
		if ((rc = tok_validator_missed(t, b->epoch, g->vals[i].pub, &n)))
			return rc;
		klen = ember_idx_id_pub(key, EMBER_IDX_MISSED, b->epoch, g->vals[i].pub);
		ember_le64_put(v, n + 1);
		if ((rc = tk_idx_put(st, key, klen, v, sizeof(v))))
			return rc;
	}
	return 0;
}

int tk_downtime_epoch(struct tok_block *b, struct ember_state *st, uint64_t e)
{
	const struct ember_genesis *g = b->g;
	const struct ember_params *pp = &g->params;
	struct ember_txn *t = ember_state_txn(st);
	/* Blocks of e that carry a last commit: all of them, but block 1. */
	uint64_t counted = pp->epoch_blocks - (e == 0 ? 1 : 0);

	for (size_t i = 0; i < g->nval; i++) {
		uint8_t key[EMBER_IDX_KEY_MAX];
		size_t klen;
		uint64_t n, taken = 0;
		int rc;

		if ((rc = tok_validator_missed(t, e, g->vals[i].pub, &n)))
			return rc;
		if (!n)
			continue;
		/* More than the allowed share, in integers: n / counted >
		 * missed_bps / 10000. */
		if ((unsigned __int128)n * 10000 >
		    (unsigned __int128)pp->downtime_missed_bps * counted) {
			/* Within the per-epoch cap it shares with the other
			 * faults; the epoch record's "slashed" counts it. */
			if ((rc = tk_slash(b, st, g->vals[i].pub, pp->slash_downtime_bps, e,
			                   &taken)))
				return rc;
		}
		klen = ember_idx_id_pub(key, EMBER_IDX_MISSED, e, g->vals[i].pub);
		if ((rc = tk_idx_del(st, key, klen)))
			return rc;
	}
	return 0;
}
