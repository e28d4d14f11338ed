/*
 * runner.c - drive tok.h over a real LMDB ledger without consensus
 * (tokrun.h), and the sendtx dry run (tok_dry_run).
 */
#include "ember/tokrun.h"

#include <stdlib.h>
#include <string.h>

#include "ember/chain.h"
#include "ember/state.h"
#include "ember/store.h"
#include "ember/tok.h"

struct tok_runner {
	const struct ember_genesis *g;     /* not owned */
	struct ember_store *store;         /* owned */
	struct ember_state *st;            /* owned */
	uint64_t height;
	uint8_t root[32];
	uint8_t proposer[32];
	tok_runner_hook hook;
	void *hook_ctx;
};

static int is_fatal(int rc)
{
	return rc == EMBER_STORE_MAP_FULL || rc == EMBER_STORE_LMDB ||
	       rc == EMBER_STORE_CORRUPT || rc == EMBER_ENOMEM;
}

/* Run fn inside one write transaction, growing the map and redoing the
 * whole transaction on EMBER_STORE_MAP_FULL (store.h's protocol). */
typedef int (*txn_body)(struct tok_runner *r, struct ember_txn *t, void *arg);

static int with_write(struct tok_runner *r, txn_body fn, void *arg)
{
	for (;;) {
		struct ember_txn *t;
		int rc = ember_store_write(r->store, &t);
		if (rc)
			return rc;
		ember_state_begin(r->st, t);
		rc = fn(r, t, arg);
		if (rc == 0)
			rc = ember_txn_commit(t);
		else
			ember_txn_abort(t);
		if (rc != EMBER_STORE_MAP_FULL)
			return rc;
		if ((rc = ember_store_grow(r->store)))
			return rc;
	}
}

static int genesis_body(struct tok_runner *r, struct ember_txn *t, void *arg)
{
	static const uint8_t zero[32];
	int rc;
	(void)t;
	(void)arg;
	if ((rc = tok_genesis(r->st, r->g)))
		return rc;
	return ember_state_root(r->st, zero, r->root);
}

int tok_runner_open(struct tok_runner **out, const char *dir,
                    const struct ember_genesis *g, size_t mapsize)
{
	struct tok_runner *r;
	int rc;

	if (!out || !dir || !g)
		return EMBER_EINVAL;
	if (!(r = calloc(1, sizeof(*r))))
		return EMBER_ENOMEM;
	r->g = g;
	/* Fees go to the first validator, as a proposer would take them. */
	if (g->nval)
		memcpy(r->proposer, g->vals[0].pub, 32);
	if ((rc = ember_store_open(&r->store, dir, mapsize)) ||
	    (rc = ember_state_new(&r->st)) ||
	    (rc = with_write(r, genesis_body, NULL))) {
		tok_runner_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void tok_runner_close(struct tok_runner *r)
{
	if (!r)
		return;
	ember_state_free(r->st);
	ember_store_close(r->store);
	free(r);
}

struct block_arg {
	const struct ember_tx *txs;
	size_t n;
	int *rcs;
	char (*whys)[EMBER_TOK_WHY_LEN];
	uint8_t root[32];
};

static int block_body(struct tok_runner *r, struct ember_txn *t, void *arg)
{
	struct block_arg *a = arg;
	struct tok_block b;
	int rc;
	(void)t;

	tok_block_begin(&b, r->g, r->proposer, r->height + 1);
	/* No blocks, so no block hashes: the previous state root stands in
	 * for the parent's hash (tokrun.h). */
	tok_block_set_parent(&b, r->root);
	for (size_t i = 0; i < a->n; i++) {
		char *why = a->whys ? a->whys[i] : NULL;
		if (why)
			why[0] = '\0';
		rc = tok_apply_tx(&b, r->st, &a->txs[i], why,
		                  why ? EMBER_TOK_WHY_LEN : 0);
		if (a->rcs)
			a->rcs[i] = rc;
		if (is_fatal(rc))
			return rc;
	}
	if (r->hook && (rc = r->hook(r->hook_ctx, &b, r->st)))
		return rc;
	if ((rc = tok_block_end(&b, r->st)))
		return rc;
	return ember_state_root(r->st, r->root, a->root);
}

int tok_runner_block(struct tok_runner *r, const struct ember_tx *txs, size_t n,
                     int *rcs, char (*whys)[EMBER_TOK_WHY_LEN])
{
	struct block_arg a = { txs, n, rcs, whys, { 0 } };
	int rc;
	if (!r || (n && !txs))
		return EMBER_EINVAL;
	if ((rc = with_write(r, block_body, &a)))
		return rc;
	memcpy(r->root, a.root, 32);
	r->height++;
	return 0;
}

void tok_runner_set_hook(struct tok_runner *r, tok_runner_hook fn, void *ctx)
{
	r->hook = fn;
	r->hook_ctx = ctx;
}

uint64_t tok_runner_height(const struct tok_runner *r)
{
	return r->height;
}

uint64_t tok_runner_nonce(struct tok_runner *r, const uint8_t pub[32])
{
	struct ember_txn *t;
	struct ember_account a;
	uint64_t n = 0;
	if (ember_store_read(r->store, &t))
		return 0;
	if (ember_account_get(t, pub, &a) == 0)
		n = a.nonce;
	ember_txn_abort(t);
	return n;
}

struct ember_store *tok_runner_store(struct tok_runner *r)
{
	return r->store;
}

void tok_runner_root(const struct tok_runner *r, uint8_t out[32])
{
	memcpy(out, r->root, 32);
}

/* --- admission dry run ------------------------------------------------- */

/*
 * Applies each tx with its nonce rewritten to the sender's next one, so a
 * pending tx that no longer applies does not make every later one fail on
 * its nonce (nonces are the mempool's business, not this check's).
 */
static int dry_apply(struct tok_block *b, struct ember_state *st,
                     const struct ember_tx *tx, char *why, size_t whylen)
{
	struct ember_account a;
	struct ember_tx copy;
	int rc;

	if ((rc = ember_account_get(ember_state_txn(st), tx->from, &a)))
		return rc;
	copy = *tx;
	copy.nonce = a.nonce;
	return tok_apply_tx(b, st, &copy, why, whylen);
}

int tok_dry_run(struct ember_store *s, const struct ember_genesis *g,
                const struct ember_tx *const *pending, size_t npending,
                const struct ember_tx *tx, char *why, size_t whylen)
{
	struct ember_state *st;
	struct ember_txn *t;
	struct ember_tip tip;
	struct tok_block b;
	static const uint8_t nobody[32];
	int rc;

	if (!s || !g || !tx || (npending && !pending))
		return EMBER_EINVAL;
	if ((rc = ember_state_new(&st)))
		return rc;
	/* An overlay: writes stay in memory, LMDB's write lock is never
	 * taken, and ending the txn drops everything (store.h). */
	if ((rc = ember_store_overlay(s, &t))) {
		ember_state_free(st);
		return rc;
	}
	ember_state_begin(st, t);
	if ((rc = ember_chain_get_tip(t, &tip)))
		goto out;
	tok_block_begin(&b, g, nobody, tip.height + 1);
	/* A proof in the epoch's first block reads its challenge hash from
	 * the parent (proof.c), which here is the tip. */
	tok_block_set_parent(&b, tip.hash);
	for (size_t i = 0; i < npending; i++) {
		/* A pending tx that would now fail is dropped at block time:
		 * its effects are simply absent here too. */
		rc = dry_apply(&b, st, pending[i], NULL, 0);
		if (is_fatal(rc))
			goto out;
	}
	rc = dry_apply(&b, st, tx, why, whylen);
out:
	ember_txn_abort(t);
	ember_state_free(st);
	return rc;
}
