/*
 * admit.c - tx admission for every source (admit.h).
 *
 * A submitted batch becomes one struct admit_batch that owns its items'
 * encodings and decoded txs (a proof's decoded body is a view into its
 * encoding, so the bytes stay put until the mempool has copied them) and
 * the verify jobs.  Items refused before verification are answered at
 * once and left out of the jobs.
 */
#include "ember/admit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/addr.h"
#include "ember/chain.h"
#include "ember/hash.h"
#include "ember/state.h"
#include "ember/tok.h"
#include "ember/tx.h"

struct admit_item {
	struct ember_tx tx;
	uint8_t *enc;           /* owned */
	size_t len;
	void *user;
};

struct admit_batch {
	struct ember_vbatch vb;     /* vb.jobs[i] is items[i]'s job */
	struct ember_admit *owner;
	struct admit_item *items;
	size_t n;
	int source;
	ember_admit_done_fn done;
	void *ctx;
	struct admit_batch *prev, *next;   /* in owner->inflight */
};

struct ember_admit {
	struct ember_admit_cfg cfg;
	const char *refusal;
	struct ember_admit_stats stats;
	struct admit_batch *inflight;      /* submitted to the pool */
};

int ember_admit_new(struct ember_admit **out, const struct ember_admit_cfg *cfg)
{
	if (!out || !cfg || !cfg->store || !cfg->g || !cfg->mp)
		return EMBER_EINVAL;
	if (!(*out = calloc(1, sizeof(**out))))
		return EMBER_ENOMEM;
	(*out)->cfg = *cfg;
	return 0;
}

static void batch_free(struct admit_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->items[i].enc);
	free(b->items);
	free(b->vb.jobs);
	free(b);
}

void ember_admit_free(struct ember_admit *a)
{
	if (!a)
		return;
	/* The pool was stopped first (its owner's duty): nothing will come
	 * back for these, so answer them now. */
	while (a->inflight) {
		struct admit_batch *b = a->inflight;
		a->inflight = b->next;
		for (size_t i = 0; i < b->vb.n; i++)
			b->done(b->ctx, b->items[i].user, EMBER_EBUSY, b->vb.jobs[i].txid,
			        "node stopping; try again");
		batch_free(b);
	}
	free(a);
}

void ember_admit_set_announce(struct ember_admit *a, ember_admit_announce_fn fn,
                              void *ctx)
{
	a->cfg.announce = fn;
	a->cfg.announce_ctx = ctx;
}

void ember_admit_set_refusal(struct ember_admit *a, const char *why)
{
	a->refusal = why;
}

void ember_admit_stats(const struct ember_admit *a, struct ember_admit_stats *out)
{
	*out = a->stats;
}

static void admit_refuse(struct ember_admit *a, ember_admit_done_fn done, void *ctx,
                   void *user, int code, const uint8_t *txid, const char *why)
{
	a->stats.rejected++;
	done(ctx, user, code, txid, why);
}

/* A store code: the node could not check the tx (not the tx's fault). */
static int admit_store_code(int rc)
{
	return rc <= EMBER_STORE_LMDB && rc > EMBER_STORE_LMDB - 100;
}

/*
 * Checks that need no signature and no state: the kind's size limit (only
 * a proof may exceed EMBER_TX_MAX_SIZE), strict decoding, chain id and fee.
 * Returns 0, or the refusal code with msg filled.
 */
static int admit_stateless(const struct ember_genesis *g, struct admit_item *it,
                           char *msg, size_t msglen)
{
	int proof = it->len >= 2 && it->enc[1] == EMBER_TX_PROOF;
	size_t max = proof ? EMBER_TX_PROOF_MAX_SIZE : EMBER_TX_MAX_SIZE;
	int rc;

	if (it->len > max) {
		snprintf(msg, msglen, "%s of %zu bytes exceeds the limit of %zu",
		         proof ? "proof tx" : "tx", it->len, max);
		return EMBER_TX_TOO_LARGE;
	}
	if ((rc = ember_tx_decode(&it->tx, it->enc, it->len))) {
		snprintf(msg, msglen, "malformed tx: %s", ember_strerror(rc));
		return rc;
	}
	if ((rc = ember_tx_check(&it->tx, g->chain_id, g->min_fee))) {
		if (rc == EMBER_TX_WRONG_CHAIN)
			snprintf(msg, msglen, "tx is for chain '%s'; this node runs '%s'",
			         it->tx.chain_id, g->chain_id);
		else if (rc == EMBER_TX_FEE_LOW)
			snprintf(msg, msglen, "fee %" PRIu64 " is below the minimum %" PRIu64,
			         it->tx.fee, g->min_fee);
		else
			snprintf(msg, msglen, "%s", ember_strerror(rc));
		return rc;
	}
	return 0;
}

int ember_admit_submit(struct ember_admit *a, struct ember_admit_item *in,
                       size_t n, int source, ember_admit_done_fn done, void *ctx)
{
	struct admit_batch *b;
	struct ember_txn *t = NULL;
	char msg[256];
	size_t k = 0;

	if (!n)
		return 0;
	b = calloc(1, sizeof(*b));
	if (b) {
		b->items = calloc(n, sizeof(*b->items));
		b->vb.jobs = calloc(n, sizeof(*b->vb.jobs));
	}
	if (!b || !b->items || !b->vb.jobs) {
		for (size_t i = 0; i < n; i++) {
			free(in[i].enc);
			done(ctx, in[i].user, EMBER_ENOMEM, NULL, "node out of memory; try again");
		}
		if (b) {
			free(b->items);
			free(b->vb.jobs);
			free(b);
		}
		return EMBER_ENOMEM;
	}
	b->owner = a;
	b->source = source;
	b->done = done;
	b->ctx = ctx;
	/* One read txn for the whole batch's "already committed" checks. */
	if (!a->refusal && ember_store_read(a->cfg.store, &t))
		t = NULL;
	for (size_t i = 0; i < n; i++) {
		struct admit_item *it = &b->items[k];
		struct ember_vjob *job = &b->vb.jobs[k];
		struct ember_account pre;
		uint64_t height;
		uint32_t index;
		int rc;

		it->enc = in[i].enc;
		it->len = in[i].len;
		it->user = in[i].user;
		if (a->refusal || !t) {
			done(ctx, it->user, EMBER_EBUSY, NULL,
			     a->refusal ? a->refusal : "node busy; try again");
			free(it->enc);
			continue;
		}
		if ((rc = admit_stateless(a->cfg.g, it, msg, sizeof(msg)))) {
			admit_refuse(a, done, ctx, it->user, rc, NULL, msg);
			free(it->enc);
			continue;
		}
		ember_txid(it->enc, it->len, job->txid);
		if (ember_mempool_get(a->cfg.mp, job->txid)) {
			/* Known and pending: not verified again. */
			done(ctx, it->user, 0, job->txid, "already pending");
			free(it->enc);
			continue;
		}
		/* A committed tx's nonce is below its sender's next nonce:
		 * only then is the txid index asked (a read per run of it,
		 * store_runs.h), so a replay is still refused before its
		 * signature is checked and a new tx costs one account read. */
		if (ember_account_get(t, it->tx.from, &pre) == 0 &&
		    it->tx.nonce < pre.nonce &&
		    ember_chain_get_txloc(t, job->txid, &height, &index) == 0) {
			snprintf(msg, sizeof(msg), "tx already committed in block %" PRIu64, height);
			admit_refuse(a, done, ctx, it->user, EMBER_MP_KNOWN, job->txid, msg);
			free(it->enc);
			continue;
		}
		job->tx = &it->tx;
		job->valid = 0;
		k++;
	}
	ember_txn_abort(t);
	b->n = k;
	b->vb.n = k;
	b->vb.user = b;
	if (!k) {
		batch_free(b);
		return 0;
	}
	b->next = a->inflight;
	if (a->inflight)
		a->inflight->prev = b;
	a->inflight = b;
	if (!a->cfg.vpool || ember_vpool_submit(a->cfg.vpool, &b->vb) != 0) {
		for (size_t i = 0; i < k; i++)
			b->vb.jobs[i].valid = ember_tx_verify(&b->items[i].tx);
		ember_admit_verified(a, &b->vb);
	}
	return 0;
}

/*
 * The token rules' verdict on it against the committed state plus the
 * sender's pending txs before it (tok_dry_run, in an overlay txn), so a tx
 * that would be dropped at block time, paying nothing, is refused here
 * with the reason ("bid above the order's max price", "unstake beyond
 * stake").  Transfers need only the mempool's nonce and balance checks.
 * Returns 0 (go on to the mempool), or the refusal code with msg filled.
 */
static int admit_would_apply(struct ember_admit *a, const struct ember_tx *tx,
                             char *msg, size_t msglen)
{
	const struct ember_mp_entry *const *run;
	const struct ember_tx **pend = NULL;
	size_t np;
	int rc;

	if (tx->kind == EMBER_TX_TRANSFER)
		return 0;
	np = ember_mempool_sender_run(a->cfg.mp, tx->from, tx->nonce, &run);
	if (np && !(pend = malloc(np * sizeof(*pend)))) {
		snprintf(msg, msglen, "node out of memory; try again");
		return EMBER_ENOMEM;
	}
	for (size_t i = 0; i < np; i++)
		pend[i] = &run[i]->tx;
	msg[0] = '\0';
	rc = tok_dry_run(a->cfg.store, a->cfg.g, pend, np, tx, msg, msglen);
	free(pend);
	/* Nonce and balance refusals are the mempool's to word. */
	if (rc == EMBER_TX_NONCE_USED || rc == EMBER_TX_NONCE_GAP ||
	    rc == EMBER_TX_INSUFFICIENT)
		return 0;
	if (rc && admit_store_code(rc))
		snprintf(msg, msglen, "cannot check tx: %s", ember_strerror(rc));
	else if (rc && !msg[0])
		snprintf(msg, msglen, "%s", ember_strerror(rc));
	return rc;
}

int ember_admit_verified(struct ember_admit *a, struct ember_vbatch *vb)
{
	struct admit_batch *b = vb->user;
	struct ember_txn *t = NULL;
	char msg[256];

	if (!b || b->owner != a || &b->vb != vb)
		return 0;
	if (b->prev)
		b->prev->next = b->next;
	else
		a->inflight = b->next;
	if (b->next)
		b->next->prev = b->prev;
	if (ember_store_read(a->cfg.store, &t))
		t = NULL;
	for (size_t i = 0; i < b->n; i++) {
		struct admit_item *it = &b->items[i];
		const uint8_t *txid = b->vb.jobs[i].txid;
		struct ember_account acct;
		int rc;

		if (!t) {
			b->done(b->ctx, it->user, EMBER_EBUSY, txid, "node busy; try again");
		} else if (!b->vb.jobs[i].valid) {
			char addr[EMBER_ADDR_BUFLEN];
			ember_addr_encode(it->tx.from, addr);
			snprintf(msg, sizeof(msg),
			         "bad signature: tx is not signed by account '%s'", addr);
			admit_refuse(a, b->done, b->ctx, it->user, EMBER_TX_BAD_SIG, txid, msg);
		} else if ((rc = ember_account_get(t, it->tx.from, &acct))) {
			snprintf(msg, sizeof(msg), "cannot read account: %s", ember_strerror(rc));
			b->done(b->ctx, it->user, rc, txid, msg);
		} else if ((rc = admit_would_apply(a, &it->tx, msg, sizeof(msg)))) {
			if (admit_store_code(rc) || rc == EMBER_ENOMEM)
				b->done(b->ctx, it->user, rc, txid, msg);
			else
				admit_refuse(a, b->done, b->ctx, it->user, rc, txid, msg);
		} else {
			msg[0] = '\0';
			rc = ember_mempool_add(a->cfg.mp, &it->tx, it->enc, it->len, txid,
			                       &acct, msg, sizeof(msg));
			if (rc == 0 || rc == EMBER_MP_DUP) {
				a->stats.accepted += rc == 0;
				b->done(b->ctx, it->user, 0, txid, "accepted");
				if (rc == 0 && a->cfg.announce)
					a->cfg.announce(a->cfg.announce_ctx, txid, b->source);
			} else {
				admit_refuse(a, b->done, b->ctx, it->user, rc, txid,
				       msg[0] ? msg : ember_strerror(rc));
			}
		}
	}
	ember_txn_abort(t);
	batch_free(b);
	return 1;
}
