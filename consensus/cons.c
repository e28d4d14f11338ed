/*
 * cons.c - propose -> execute -> vote -> commit (see cons.h).
 *
 * Buffers for a block (txids, tx refs, decoded txs, verify jobs, the block
 * encoding) belong to struct cons and grow to the largest block seen; a
 * block does not allocate per transaction.
 */
#include "ember/cons.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ember/addr.h"
#include "ember/codec.h"
#include "ember/hash.h"
#include "ember/history.h"
#include "ember/state.h"
#include "ember/tok.h"

#define DEFAULT_MAX_TXS 50000
#define DEFAULT_MAX_BYTES (16u * 1024 * 1024)
#define CONS_SELECT_WINDOW 4    /* candidates per block slot, at most */

struct cons {
	struct cons_cfg cfg;
	struct ember_state *st;
	struct ember_tip tip;
	struct cons_stats stats;

	/* the block being executed */
	struct ember_header hdr;
	uint8_t hash[32];
	size_t ntx;
	size_t cap;                        /* capacity of the arrays below */
	uint8_t (*txids)[32];
	uint8_t (*scratch)[32];
	struct ember_txref *refs;
	struct ember_tx *txs;
	struct ember_vjob *jobs;
	const struct ember_mp_entry **cands;
	uint8_t *blk;                      /* encoding of the block */
	size_t blklen, blkcap;
	uint8_t (*senders)[32];            /* sender of each tx in the block */
	uint8_t (*dropped)[32];            /* proposer: candidates that failed */
	size_t ndropped;

	/* cons_build's execution, kept for a commit of that same block in
	 * the same loop turn (cons_release_pending ends it). */
	struct ember_txn *pending;
	uint64_t pending_exec_us;

	struct ember_cert cert;
	uint8_t *certbuf;
	size_t certlen;
	char guard_why[256];               /* the guard's last refusal */

	/* The tip's certificate as stored with it: the last commit of the
	 * block we build next (empty at tip 0). */
	uint8_t *tipcert;
	size_t tipcertlen;
	struct ember_cert lcert;           /* a last commit, decoded */
	uint8_t lc_signers[EMBER_GEN_MAX_VALIDATORS][32];  /* its signers */
	size_t lc_n;
	uint64_t lc_time;                  /* the block's time it gives */
	uint64_t vote_now_ms;              /* the clock for our precommit */
};

/* Monotonic microseconds, for statistics only (never for state). */
static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int grow_arrays(struct cons *c, size_t n)
{
	size_t cap = c->cap ? c->cap : 1024;
	void *p;
	if (n <= c->cap)
		return 0;
	while (cap < n)
		cap *= 2;
#define GROW(field)                                                    \
	do {                                                           \
		p = realloc(c->field, cap * sizeof(*c->field));        \
		if (!p)                                                \
			return EMBER_ENOMEM;                           \
		c->field = p;                                          \
	} while (0)
	GROW(txids);
	GROW(scratch);
	GROW(refs);
	GROW(txs);
	GROW(jobs);
	GROW(cands);
	GROW(dropped);
	GROW(senders);
#undef GROW
	c->cap = cap;
	return 0;
}

static int grow_blk(struct cons *c, size_t n)
{
	uint8_t *p;
	if (n <= c->blkcap)
		return 0;
	p = realloc(c->blk, n);
	if (!p)
		return EMBER_ENOMEM;
	c->blk = p;
	c->blkcap = n;
	return 0;
}

/* The map filled during a block: the txn is already aborted; grow. */
static int grow_map(struct cons *c)
{
	int rc = ember_store_grow(c->cfg.store);
	if (!rc)
		c->stats.map_grows++;
	return rc;
}

static int load_tip(struct cons *c)
{
	struct ember_txn *t;
	const uint8_t *ce;
	size_t len;
	int rc = ember_store_read(c->cfg.store, &t);
	if (rc)
		return rc;
	rc = ember_chain_get_tip(t, &c->tip);
	c->tipcertlen = 0;
	if (!rc && c->tip.height > 0) {
		rc = ember_chain_get_cert(t, c->tip.height, &ce, &len);
		if (!rc && len > EMBER_CERT_MAX_SIZE)
			rc = EMBER_STORE_CORRUPT;
		if (!rc) {
			memcpy(c->tipcert, ce, len);
			c->tipcertlen = len;
		}
	}
	ember_txn_abort(t);
	return rc;
}

/*
 * Is the stored tip whole?  Its block must be there, hash to the tip's
 * hash, and link to its parent (block 0 to the genesis hash).  A ledger
 * damaged under LMDB's feet (a file restored from another node's copy, a
 * half-copied directory) is refused here rather than built upon.
 */
static int check_tip(struct cons *c, char *err, size_t errlen)
{
	struct ember_txn *t;
	struct ember_header h, ph;
	const uint8_t *enc;
	uint8_t hash[32];
	size_t len;
	int rc;

	if ((rc = ember_store_read(c->cfg.store, &t)))
		return rc;
	rc = ember_chain_get_block(t, c->tip.height, &enc, &len);
	if (!rc && len >= 1 && enc[0] < EMBER_BLOCK_VERSION) {
		ember_errf(err, errlen, "the ledger was written by an older Ember (block "
		    "format %u; this one reads format %u, which adds the last commit and "
		    "BFT time): move the ledger directory away and sync again, or start a "
		    "new devnet", enc[0], EMBER_BLOCK_VERSION);
		ember_txn_abort(t);
		return EMBER_STORE_DAMAGED;
	}
	if (!rc && len >= EMBER_HEADER_SIZE)
		rc = ember_header_decode(&h, enc, EMBER_HEADER_SIZE);
	else if (!rc)
		rc = EMBER_STORE_CORRUPT;
	if (rc) {
		ember_errf(err, errlen, "the ledger's tip block %llu is missing or unreadable (%s)",
		    (unsigned long long)c->tip.height, ember_strerror(rc));
		goto damaged;
	}
	ember_header_hash(&h, hash);
	if (h.height != c->tip.height || memcmp(hash, c->tip.hash, 32) != 0) {
		ember_errf(err, errlen, "the ledger's tip block %llu does not hash to the "
		    "recorded tip", (unsigned long long)c->tip.height);
		goto damaged;
	}
	if (h.height == 0) {
		if (memcmp(h.prev_hash, c->cfg.g->hash, 32) != 0) {
			ember_errf(err, errlen, "the ledger's block 0 is not this genesis's");
			goto damaged;
		}
	} else if (ember_chain_get_block(t, h.height - 1, &enc, &len) ||
	           len < EMBER_HEADER_SIZE ||
	           ember_header_decode(&ph, enc, EMBER_HEADER_SIZE) ||
	           (ember_header_hash(&ph, hash), memcmp(hash, h.prev_hash, 32) != 0)) {
		ember_errf(err, errlen, "the ledger's tip block %llu does not link to block %llu",
		    (unsigned long long)h.height, (unsigned long long)h.height - 1);
		goto damaged;
	}
	ember_txn_abort(t);
	return 0;
damaged:
	ember_txn_abort(t);
	return EMBER_STORE_DAMAGED;
}

/*
 * Genesis: allocations into state, block 0 with prev_hash = genesis hash,
 * no txs, no certificate (the genesis document is its own authority).
 */
static int init_genesis(struct cons *c)
{
	const struct ember_genesis *g = c->cfg.g;
	struct ember_txn *t;
	uint8_t zero[32] = { 0 };
	uint8_t enc[EMBER_HEADER_SIZE + 2];
	size_t len;
	int rc;

	for (;;) {
		if ((rc = ember_store_write(c->cfg.store, &t)))
			return rc;
		ember_state_begin(c->st, t);
		memset(&c->hdr, 0, sizeof(c->hdr));
		c->hdr.version = EMBER_BLOCK_VERSION;
		c->hdr.height = 0;
		c->hdr.time_ms = g->genesis_time_ms;
		memcpy(c->hdr.prev_hash, g->hash, 32);
		ember_tx_root(NULL, 0, NULL, c->hdr.tx_root);
		rc = tok_genesis(c->st, g);
		if (!rc)
			rc = ember_state_root(c->st, zero, c->hdr.state_root);
		if (!rc)
			rc = ember_block_encode(&c->hdr, NULL, 0, NULL, 0, enc, sizeof(enc), &len);
		if (!rc) {
			ember_header_hash(&c->hdr, c->hash);
			rc = ember_chain_put_block(t, &c->hdr, c->hash, enc, len, NULL,
			                           0, NULL, 0);
		}
		if (!rc)
			rc = ember_chain_put_genesis(t, g->hash, g->chain_id);
		if (rc) {
			ember_txn_abort(t);
		} else {
			rc = ember_txn_commit(t);
		}
		if (rc != EMBER_STORE_MAP_FULL || (rc = grow_map(c)))
			return rc;
	}
}

int cons_new(struct cons **out, const struct cons_cfg *cfg, char *err,
             size_t errlen)
{
	struct cons *c = calloc(1, sizeof(*c));
	struct ember_txn *t = NULL;
	struct cons_guard_rec rec;
	uint8_t gh[32];
	int rc;

	if (!c)
		return EMBER_ENOMEM;
	c->cfg = *cfg;
	if (!c->cfg.max_block_txs || c->cfg.max_block_txs > EMBER_BLOCK_MAX_TXS)
		c->cfg.max_block_txs = DEFAULT_MAX_TXS;
	if (!c->cfg.max_block_bytes || c->cfg.max_block_bytes > EMBER_BLOCK_MAX_SIZE / 2)
		c->cfg.max_block_bytes = DEFAULT_MAX_BYTES;
	c->certbuf = malloc(EMBER_CERT_MAX_SIZE);
	c->tipcert = malloc(EMBER_CERT_MAX_SIZE);
	if (!c->certbuf || !c->tipcert || (rc = ember_state_new(&c->st)) || (rc = grow_arrays(c, 1024))) {
		rc = EMBER_ENOMEM;
		goto fail;
	}
	if ((rc = ember_store_read(c->cfg.store, &t)))
		goto fail;
	rc = ember_chain_get_genesis(t, gh);
	ember_txn_abort(t);
	/* An empty ledger under a key that signed past block 1: refused
	 * before anything is written (the guard check below says why). */
	if (rc == EMBER_ENOTFOUND && cfg->guard &&
	    cons_guard_last(cfg->guard, &rec) && rec.height > 1)
		goto behind;
	if (rc == EMBER_ENOTFOUND) {
		if ((rc = init_genesis(c))) {
			ember_errf(err, errlen, "cannot write the genesis state: %s",
			    ember_strerror(rc));
			goto fail;
		}
	} else if (rc) {
		ember_errf(err, errlen, "cannot read the ledger: %s", ember_strerror(rc));
		goto fail;
	} else if (memcmp(gh, cfg->g->hash, 32) != 0) {
		ember_errf(err, errlen, "ledger was made from another genesis than chain '%s'; "
		    "use another --datadir or the ledger's genesis.json", cfg->g->chain_id);
		rc = EMBER_STORE_GENESIS;
		goto fail;
	}
	if ((rc = load_tip(c))) {
		ember_errf(err, errlen, "cannot read the chain tip: %s", ember_strerror(rc));
		goto fail;
	}
	if ((rc = check_tip(c, err, errlen)))
		goto fail;
	/* A ledger from before the account history index gets it now. */
	if ((rc = ember_history_sync(c->cfg.store, NULL, NULL))) {
		ember_errf(err, errlen, "cannot index account history: %s",
		    ember_strerror(rc));
		goto fail;
	}
	if (cfg->guard && cons_guard_last(cfg->guard, &rec) &&
	    rec.height > c->tip.height + 1) {
behind:
		ember_errf(err, errlen, "the ledger ends at block %llu but this validator "
		    "already signed block %llu: committed blocks were lost, and signing "
		    "again could sign a different block at a signed height; restore the "
		    "ledger from a backup",
		    (unsigned long long)c->tip.height, (unsigned long long)rec.height);
		rc = EMBER_STORE_GUARD;
		goto fail;
	}
	*out = c;
	return 0;
fail:
	cons_free(c);
	return rc;
}

void cons_free(struct cons *c)
{
	if (!c)
		return;
	cons_release_pending(c);
	ember_state_free(c->st);
	free(c->txids);
	free(c->scratch);
	free(c->refs);
	free(c->txs);
	free(c->jobs);
	free(c->cands);
	free(c->dropped);
	free(c->senders);
	free(c->blk);
	free(c->certbuf);
	free(c->tipcert);
	free(c);
}

void cons_tip(const struct cons *c, struct ember_tip *out)
{
	*out = c->tip;
}

void cons_stats(const struct cons *c, struct cons_stats *out)
{
	*out = c->stats;
}

static int sig_ok(struct cons *c, const struct ember_tx *tx,
                  const uint8_t txid[32])
{
	if (c->cfg.cache && ember_sigcache_has(c->cfg.cache, txid))
		return 1;
	if (!ember_tx_verify(tx))
		return 0;
	if (c->cfg.cache)
		ember_sigcache_add(c->cfg.cache, txid);
	return 1;
}

/* Check last commit lc of the block after our tip: c->lc_time gets the
 * block's time, c->lc_signers who signed it (for downtime, tok.h). */
static int last_commit(struct cons *c, const uint8_t *lc, size_t lclen, char *why,
                       size_t whylen)
{
	int rc = cons_last_commit(c->cfg.g, c->tip.height, c->tip.time_ms, c->tip.hash,
	                          lc, lclen, &c->lcert, &c->lc_time, why, whylen);
	c->lc_n = 0;
	if (rc || !lclen)
		return rc;
	/* cons_cert_verify held it to distinct validators of the set. */
	for (uint32_t i = 0; i < c->lcert.nsig && i < EMBER_GEN_MAX_VALIDATORS; i++)
		memcpy(c->lc_signers[c->lc_n++], c->lcert.sigs[i].validator, 32);
	return 0;
}

/* Header fields every new block shares, then the roots and the encoding.
 * The last commit is the tip's certificate (last_commit() ran on it); the
 * time is its median. */
static int finish_block(struct cons *c, const uint8_t proposer[32])
{
	size_t need;
	int rc;

	c->hdr.version = EMBER_BLOCK_VERSION;
	c->hdr.height = c->tip.height + 1;
	c->hdr.time_ms = c->lc_time;
	ember_last_commit_hash(c->tipcert, c->tipcertlen, c->hdr.last_commit_hash);
	memcpy(c->hdr.prev_hash, c->tip.hash, 32);
	memcpy(c->hdr.proposer, proposer, 32);
	c->hdr.tx_count = (uint32_t)c->ntx;
	ember_tx_root((const uint8_t (*)[32])c->txids, c->ntx, c->scratch,
	              c->hdr.tx_root);
	if ((rc = ember_state_root(c->st, c->tip.state_root, c->hdr.state_root)))
		return rc;
	need = ember_block_encoded_size(c->tipcertlen, c->refs, c->ntx);
	if ((rc = grow_blk(c, need)))
		return rc;
	rc = ember_block_encode(&c->hdr, c->tipcert, c->tipcertlen, c->refs, c->ntx,
	                        c->blk, c->blkcap, &c->blklen);
	if (rc)
		return rc;
	ember_header_hash(&c->hdr, c->hash);
	return 0;
}

/*
 * Proposer execution: run the candidates in order, skipping (and noting)
 * any that fail, until the block holds max_block_txs txs or the next would
 * pass max_block_bytes; the write txn stays open in *tp on success.  A
 * candidate that fails takes no room: the selection window is wider than
 * the block (cons_produce), so txs that pay nothing cannot crowd out
 * those that pay.  Candidates
 * are mempool entries, whose proof bodies point into the entry's own copy
 * of the encoding (the mempool rebinds them), valid until after commit.
 */
static int exec_propose(struct cons *c, size_t ncand, struct ember_txn **tp)
{
	struct tok_block tb;
	struct ember_txn *t;
	char why[256];
	int rc;

	if ((rc = last_commit(c, c->tipcert, c->tipcertlen, why, sizeof(why)))) {
		fprintf(stderr, "cons: the tip's own certificate cannot be the next "
		        "block's last commit: %s\n", why);
		return rc;
	}
	if ((rc = ember_store_write(c->cfg.store, &t)))
		return rc;
	ember_state_begin(c->st, t);
	tok_block_begin(&tb, c->cfg.g, c->cfg.key->pub, c->tip.height + 1);
	/* The parent seeds the epoch's GPU challenges (tok.h). */
	tok_block_set_parent(&tb, c->tip.hash);
	if (c->tipcertlen)
		tok_block_set_last_commit(&tb, (const uint8_t (*)[32])c->lc_signers, c->lc_n);
	c->ntx = 0;
	c->ndropped = 0;
	for (size_t i = 0, bytes = 0; i < ncand; i++) {
		const struct ember_mp_entry *e = c->cands[i];
		if (c->ntx == c->cfg.max_block_txs ||
		    e->len > c->cfg.max_block_bytes - bytes)
			break;      /* the block is full; the rest stay pending */
		if (!sig_ok(c, &e->tx, e->txid)) {
			memcpy(c->dropped[c->ndropped++], e->txid, 32);
			continue;
		}
		rc = tok_apply_tx(&tb, c->st, &e->tx, NULL, 0);
		if (rc == EMBER_STORE_MAP_FULL || rc == EMBER_STORE_LMDB ||
		    rc == EMBER_STORE_CORRUPT || rc == EMBER_ENOMEM)
			goto fail;
		if (rc) {
			memcpy(c->dropped[c->ndropped++], e->txid, 32);
			continue;
		}
		memcpy(c->txids[c->ntx], e->txid, 32);
		memcpy(c->senders[c->ntx], e->tx.from, 32);
		c->refs[c->ntx].p = e->enc;
		c->refs[c->ntx].len = e->len;
		c->ntx++;
		bytes += e->len;
	}
	if ((rc = tok_block_end(&tb, c->st)))
		goto fail;
	if ((rc = finish_block(c, c->cfg.key->pub)))
		goto fail;
	*tp = t;
	return 0;
fail:
	ember_txn_abort(t);
	return rc;
}

/* Does h come right after our tip (height and parent)? */
static int extends_tip(const struct cons *c, const struct ember_header *h,
                       char *why, size_t whylen)
{
	if (h->height != c->tip.height + 1) {
		ember_errf(why, whylen, "block height %llu is not tip %llu + 1",
		    (unsigned long long)h->height, (unsigned long long)c->tip.height);
		return EMBER_BLK_HEIGHT;
	}
	if (memcmp(h->prev_hash, c->tip.hash, 32) != 0) {
		ember_errf(why, whylen, "block %llu does not extend the tip",
		    (unsigned long long)h->height);
		return EMBER_BLK_PREV;
	}
	return 0;
}

/*
 * Strict execution of a block made elsewhere (or of our own block again
 * after the map grew).  in must stay valid until commit: refs point into
 * it, and so do the bodies of decoded proof txs in c->txs (tx.h), which
 * are read only here, before this returns.
 */
static int exec_strict(struct cons *c, const uint8_t *in, size_t len,
                       struct ember_txn **tp, char *why, size_t whylen)
{
	struct ember_header h;
	struct tok_block tb;
	struct ember_txn *t = NULL;
	uint8_t state_root[32];
	const uint8_t *lc;
	size_t n, nj = 0, lclen;
	int rc;

	if (len > EMBER_BLOCK_MAX_SIZE) {
		ember_errf(why, whylen, "block of %zu bytes exceeds the limit", len);
		return EMBER_BLK_TOO_LARGE;
	}
	/* A header alone tells how many refs the block holds. */
	if (len < EMBER_HEADER_SIZE) {
		ember_errf(why, whylen, "block shorter than a header");
		return EMBER_ENC_TRUNCATED;
	}
	if ((rc = ember_header_decode(&h, in, EMBER_HEADER_SIZE))) {
		ember_errf(why, whylen, "bad block header: %s", ember_strerror(rc));
		return rc;
	}
	if (h.tx_count > EMBER_BLOCK_MAX_TXS) {
		ember_errf(why, whylen, "block claims %u txs", h.tx_count);
		return EMBER_BLK_TOO_LARGE;
	}
	if ((rc = grow_arrays(c, h.tx_count + 1)))
		return rc;
	if ((rc = ember_block_decode(&h, &lc, &lclen, c->refs, c->cap, &n, in, len))) {
		ember_errf(why, whylen, "bad block encoding: %s", ember_strerror(rc));
		return rc;
	}
	if ((rc = extends_tip(c, &h, why, whylen)))
		return rc;
	/* The last commit certifies our tip, and sets the block's time. */
	if ((rc = last_commit(c, lc, lclen, why, whylen)))
		return rc;
	if (h.time_ms != c->lc_time) {
		ember_errf(why, whylen, "block time %llu is not %llu, the weighted median of "
		    "its last commit's precommit times", (unsigned long long)h.time_ms,
		    (unsigned long long)c->lc_time);
		return EMBER_BLK_TIME;
	}
	/* Decode every tx, check it statelessly, collect signature jobs. */
	for (size_t i = 0; i < n; i++) {
		struct ember_tx *tx = &c->txs[i];
		if ((rc = ember_tx_decode(tx, c->refs[i].p, c->refs[i].len))) {
			ember_errf(why, whylen, "tx %zu: %s", i, ember_strerror(rc));
			return EMBER_BLK_BAD_TX;
		}
		if ((rc = ember_tx_check(tx, c->cfg.g->chain_id, c->cfg.g->min_fee))) {
			ember_errf(why, whylen, "tx %zu: %s", i, ember_strerror(rc));
			return EMBER_BLK_BAD_TX;
		}
		ember_txid(c->refs[i].p, c->refs[i].len, c->txids[i]);
		memcpy(c->senders[i], tx->from, 32);
		if (c->cfg.cache && ember_sigcache_has(c->cfg.cache, c->txids[i]))
			continue;
		c->jobs[nj].tx = tx;
		memcpy(c->jobs[nj].txid, c->txids[i], 32);
		c->jobs[nj].valid = 0;
		nj++;
	}
	if (nj) {
		struct ember_vbatch b = { .jobs = c->jobs, .n = nj };
		if (c->cfg.vpool) {
			ember_vpool_run(c->cfg.vpool, &b);
		} else {
			for (size_t j = 0; j < nj; j++) {
				c->jobs[j].valid = ember_tx_verify(c->jobs[j].tx);
				if (c->jobs[j].valid && c->cfg.cache)
					ember_sigcache_add(c->cfg.cache, c->jobs[j].txid);
			}
		}
		for (size_t j = 0; j < nj; j++)
			if (!c->jobs[j].valid) {
				char hex[65];
				ember_hex_encode(c->jobs[j].txid, 32, hex);
				ember_errf(why, whylen, "tx '%s': bad signature", hex);
				return EMBER_BLK_BAD_TX;
			}
	}
	c->ntx = n;
	ember_tx_root((const uint8_t (*)[32])c->txids, n, c->scratch, state_root);
	if (memcmp(state_root, h.tx_root, 32) != 0) {
		ember_errf(why, whylen, "tx root does not match the block's txs");
		return EMBER_BLK_TX_ROOT;
	}

	if ((rc = ember_store_write(c->cfg.store, &t)))
		return rc;
	ember_state_begin(c->st, t);
	tok_block_begin(&tb, c->cfg.g, h.proposer, h.height);
	/* prev_hash equals the tip's hash (checked above): the same parent
	 * the proposer recorded. */
	tok_block_set_parent(&tb, h.prev_hash);
	if (lclen)
		tok_block_set_last_commit(&tb, (const uint8_t (*)[32])c->lc_signers, c->lc_n);
	for (size_t i = 0; i < n; i++) {
		char reason[200];
		rc = tok_apply_tx(&tb, c->st, &c->txs[i], reason, sizeof(reason));
		if (rc == EMBER_STORE_MAP_FULL || rc == EMBER_STORE_LMDB ||
		    rc == EMBER_STORE_CORRUPT || rc == EMBER_ENOMEM)
			goto fail;
		if (rc) {
			ember_errf(why, whylen, "tx %zu: %s", i, reason);
			rc = EMBER_BLK_BAD_TX;
			goto fail;
		}
	}
	if ((rc = tok_block_end(&tb, c->st)))
		goto fail;
	if ((rc = ember_state_root(c->st, c->tip.state_root, state_root)))
		goto fail;
	if (memcmp(state_root, h.state_root, 32) != 0) {
		ember_errf(why, whylen, "state root after block %llu does not match its header",
		    (unsigned long long)h.height);
		rc = EMBER_BLK_STATE_ROOT;
		goto fail;
	}
	c->hdr = h;
	ember_header_hash(&h, c->hash);
	*tp = t;
	return 0;
fail:
	ember_txn_abort(t);
	return rc;
}

/* Store the executed block with its certificate and commit. */
static int commit_txn(struct cons *c, struct ember_txn *t, const uint8_t *blk,
                      size_t blklen)
{
	int rc = ember_chain_put_block(t, &c->hdr, c->hash, blk, blklen,
	                               (const uint8_t (*)[32])c->txids, c->ntx,
	                               c->certbuf, c->certlen);
	if (!rc)
		rc = ember_history_put_block(t, c->hdr.height, c->refs,
		                             (const uint8_t (*)[32])c->txids, c->ntx);
	if (rc) {
		ember_txn_abort(t);
		return rc;
	}
	return ember_txn_commit(t);
}

/* After a commit: new tip, stats, and the mempool catches up. */
static void after_commit(struct cons *c, uint64_t exec_us, uint64_t commit_us)
{
	c->tip.height = c->hdr.height;
	memcpy(c->tip.hash, c->hash, 32);
	memcpy(c->tip.state_root, c->hdr.state_root, 32);
	memcpy(c->tipcert, c->certbuf, c->certlen);
	c->tipcertlen = c->certlen;
	c->tip.time_ms = c->hdr.time_ms;
	c->stats.blocks++;
	c->stats.txs += c->ntx;
	c->stats.last_exec_us = exec_us;
	c->stats.last_commit_us = commit_us;

	if (!c->cfg.mp)
		return;
	/* Senders were copied at execution: the block's tx bytes may live in
	 * mempool entries that the updates below free. */
	for (size_t i = 0; i < c->ndropped; i++)
		if (ember_mempool_remove(c->cfg.mp, c->dropped[i]) != 0)
			continue;   /* already gone with an earlier nonce */
	c->stats.dropped += c->ndropped;
	c->ndropped = 0;
	if (c->ntx) {
		struct ember_txn *t;
		if (ember_store_read(c->cfg.store, &t))
			return;
		for (size_t i = 0; i < c->ntx; i++) {
			struct ember_account a;
			if (i > 0 && memcmp(c->senders[i], c->senders[i - 1], 32) == 0)
				continue;
			if (ember_account_get(t, c->senders[i], &a))
				continue;
			ember_mempool_update_sender(c->cfg.mp, c->senders[i], &a);
		}
		ember_txn_abort(t);
	}
}

/*
 * Commit our own executed block; if the map fills on the way, grow it and
 * execute the block again strictly from its own bytes (a copy: strict
 * execution reads its input while the buffers are reused).
 */
static int commit_own(struct cons *c, struct ember_txn *t)
{
	int rc = commit_txn(c, t, c->blk, c->blklen);
	while (rc == EMBER_STORE_MAP_FULL) {
		uint8_t *copy;
		char why[256];
		if ((rc = grow_map(c)))
			return rc;
		copy = malloc(c->blklen);
		if (!copy)
			return EMBER_ENOMEM;
		memcpy(copy, c->blk, c->blklen);
		rc = exec_strict(c, copy, c->blklen, &t, why, sizeof(why));
		if (!rc)
			rc = commit_txn(c, t, copy, c->blklen);
		free(copy);
	}
	return rc;
}

/*
 * Vote for the executed block c->hdr / c->hash / c->blk as this validator
 * and fill the certificate.  The signing guard makes the vote durable
 * first.  Our prevote and precommit are signed exactly as they would be
 * sent to peers; with one validator our own precommit is the quorum.  One
 * guard record (the precommit) covers both: they are for the same block
 * at the same (height, round).
 */
static int vote_own(struct cons *c)
{
	const struct ember_genesis *g = c->cfg.g;
	struct cons_guard_rec rec;
	uint8_t sig[64];
	uint64_t ptime;
	int rc;

	if (c->cfg.guard) {
		rec.height = c->hdr.height;
		rec.round = 0;
		rec.step = EMBER_VOTE_PRECOMMIT;
		memcpy(rec.block_id, c->hash, 32);
		if ((rc = cons_guard_sign(c->cfg.guard, &rec, c->blk, c->blklen,
		                          c->guard_why, sizeof(c->guard_why))))
			return rc;
	}
	/* The precommit's time: our clock, but after the block's own time,
	 * which the next block's time (its median) must pass. */
	ptime = c->vote_now_ms > c->hdr.time_ms ? c->vote_now_ms : c->hdr.time_ms + 1;
	if ((rc = cons_vote_sign(c->cfg.key, g->chain_id, EMBER_VOTE_PREVOTE,
	                         c->hdr.height, 0, c->hash, 0, sig)) ||
	    (rc = cons_vote_sign(c->cfg.key, g->chain_id, EMBER_VOTE_PRECOMMIT,
	                         c->hdr.height, 0, c->hash, ptime, sig)))
		return rc;
	c->cert.round = 0;
	c->cert.nsig = 1;
	memcpy(c->cert.sigs[0].validator, c->cfg.key->pub, 32);
	c->cert.sigs[0].time_ms = ptime;
	memcpy(c->cert.sigs[0].sig, sig, 64);
	/* Not enough power on our own: multi-validator rounds wait for P2P
	 * votes (later issue); nothing is committed. */
	if ((rc = cons_cert_verify(g, c->hdr.height, c->hash, &c->cert)))
		return rc;
	return ember_cert_encode(&c->cert, c->certbuf,
	                         EMBER_CERT_MAX_SIZE, &c->certlen);
}

/*
 * Commit the block the signing guard holds: this validator signed it for
 * height tip + 1 and stopped (or failed, e.g. on a full disk) before its
 * commit.  Building another block there would be refused by the guard; the
 * signed one is executed strictly from its bytes and committed.
 */
static int commit_signed(struct cons *c)
{
	struct cons_guard_rec rec;
	struct ember_txn *t = NULL;
	const uint8_t *b;
	uint8_t *copy;
	size_t len;
	int rc;

	cons_guard_last(c->cfg.guard, &rec);
	if (!(b = cons_guard_block(c->cfg.guard, &len))) {
		ember_errf(c->guard_why, sizeof(c->guard_why), "the signing guard records "
		    "block %llu but does not hold it", (unsigned long long)rec.height);
		return EMBER_STORE_GUARD;
	}
	if (!(copy = malloc(len)))
		return EMBER_ENOMEM;
	memcpy(copy, b, len);
	for (;;) {
		rc = exec_strict(c, copy, len, &t, c->guard_why, sizeof(c->guard_why));
		if (rc == EMBER_STORE_MAP_FULL && !(rc = grow_map(c)))
			continue;
		if (rc)
			break;
		if (memcmp(c->hash, rec.block_id, 32) != 0) {
			ember_errf(c->guard_why, sizeof(c->guard_why), "the block the signing "
			    "guard holds does not hash to the block id it signed");
			ember_txn_abort(t);
			rc = EMBER_STORE_GUARD;
			break;
		}
		if ((rc = vote_own(c))) {
			ember_txn_abort(t);
			break;
		}
		rc = commit_txn(c, t, copy, len);
		if (rc == EMBER_STORE_MAP_FULL && !(rc = grow_map(c)))
			continue;
		break;
	}
	free(copy);
	if (!rc) {
		c->ndropped = 0;
		after_commit(c, 0, 0);
	}
	return rc;
}

const char *cons_guard_why(const struct cons *c)
{
	return c->guard_why;
}

/* The mempool's best candidates into c->cands: a window wider than the
 * block, so the ones that fail at execution are replaced by the next
 * (exec_propose). */
static int select_cands(struct cons *c, size_t *ncand)
{
	size_t want;
	int rc;

	*ncand = 0;
	if (!c->cfg.mp)
		return 0;
	want = ember_mempool_count(c->cfg.mp);
	if (want > CONS_SELECT_WINDOW * c->cfg.max_block_txs)
		want = CONS_SELECT_WINDOW * c->cfg.max_block_txs;
	if ((rc = grow_arrays(c, want + 1)))
		return rc;
	return ember_mempool_select(c->cfg.mp, want,
	                            CONS_SELECT_WINDOW * c->cfg.max_block_bytes,
	                            c->cands, ncand);
}

int cons_produce(struct cons *c, uint64_t now_ms, int *committed)
{
	const struct ember_genesis *g = c->cfg.g;
	const uint8_t *proposer, *blk;
	struct ember_txn *t;
	struct cons_guard_rec rec;
	uint8_t hash[32];
	uint64_t t1;
	size_t len;
	int rc;

	cons_release_pending(c);
	*committed = 0;
	if (!c->cfg.key)
		return EMBER_EINVAL;
	c->vote_now_ms = now_ms;
	proposer = cons_proposer(g, c->tip.height + 1, 0);
	if (!proposer || memcmp(proposer, c->cfg.key->pub, 32) != 0)
		return EMBER_BLK_PROPOSER;
	if (c->cfg.guard && cons_guard_last(c->cfg.guard, &rec) &&
	    rec.height == c->tip.height + 1) {
		if ((rc = commit_signed(c)))
			return rc;
		*committed = 1;
		return 0;
	}
	/* The executor's build; its execution is taken over here. */
	if ((rc = cons_build(c, now_ms, &blk, &len, hash)))
		return rc;
	t = c->pending;
	c->pending = NULL;
	t1 = now_us();
	if ((rc = vote_own(c))) {
		ember_txn_abort(t);
		return rc;
	}
	if ((rc = commit_own(c, t)))
		return rc;
	after_commit(c, c->pending_exec_us, now_us() - t1);
	*committed = 1;
	return 0;
}

/*
 * The part of authentication that does not depend on our tip: the
 * certificate (decoded into ce) holds +2/3 of the validator set's
 * precommits for the header's hash, from the proposer whose turn it was.
 * hash (may be NULL) gets the header's hash.
 */
static int certified(const struct ember_genesis *g, const struct ember_header *h,
                     const uint8_t *cert, size_t certlen, struct ember_cert *ce,
                     uint8_t *hash, char *why, size_t whylen)
{
	const uint8_t *proposer;
	uint8_t hh[32];
	int rc;

	if (certlen > EMBER_CERT_MAX_SIZE) {
		ember_errf(why, whylen, "commit certificate of %zu bytes is too large", certlen);
		return EMBER_ENC_OVERSIZE;
	}
	if ((rc = ember_cert_decode(ce, cert, certlen))) {
		ember_errf(why, whylen, "bad commit certificate encoding: %s", ember_strerror(rc));
		return rc;
	}
	/* The header names who built the block; under BFT a later round's
	 * proposer may re-propose it (the valid value), so the builder need
	 * not be the proposer of the certificate's round - but it must be a
	 * validator. */
	proposer = NULL;
	for (size_t i = 0; i < g->nval; i++)
		if (memcmp(g->vals[i].pub, h->proposer, 32) == 0)
			proposer = g->vals[i].pub;
	if (!proposer) {
		ember_errf(why, whylen, "block %llu was built by a key that is not a validator",
		    (unsigned long long)h->height);
		return EMBER_BLK_PROPOSER;
	}
	ember_header_hash(h, hh);
	if ((rc = cons_cert_verify(g, h->height, hh, ce))) {
		ember_errf(why, whylen, "commit certificate for block %llu lacks +2/3 valid precommits",
		    (unsigned long long)h->height);
		return rc;
	}
	if (hash)
		memcpy(hash, hh, 32);
	return 0;
}

/*
 * Authenticate a block from elsewhere before any of it runs: its header
 * extends our tip (height, parent, time), and its certificate holds +2/3
 * of the validator set's precommits for the header's hash, from the
 * proposer whose turn it was.  Only the header is decoded and hashed here:
 * a forged block costs the receiver one header hash and the certificate's
 * signatures, never a tx decode, a tx signature or an LMDB write.  On
 * success c->cert holds the decoded certificate.
 */
static int authenticate(struct cons *c, const uint8_t *blk, size_t len,
                        const uint8_t *cert, size_t certlen, char *why,
                        size_t whylen)
{
	struct ember_header h;
	int rc;

	if (len < EMBER_HEADER_SIZE || len > EMBER_BLOCK_MAX_SIZE) {
		ember_errf(why, whylen, "block of %zu bytes is %s", len,
		    len < EMBER_HEADER_SIZE ? "shorter than a header" : "over the limit");
		return len < EMBER_HEADER_SIZE ? EMBER_ENC_TRUNCATED : EMBER_BLK_TOO_LARGE;
	}
	if ((rc = ember_header_decode(&h, blk, EMBER_HEADER_SIZE))) {
		ember_errf(why, whylen, "bad block header: %s", ember_strerror(rc));
		return rc;
	}
	if ((rc = extends_tip(c, &h, why, whylen)))
		return rc;
	return certified(c->cfg.g, &h, cert, certlen, &c->cert, NULL, why, whylen);
}

int cons_block_certified(const struct ember_genesis *g, const uint8_t *blk,
                         size_t len, const uint8_t *cert, size_t certlen,
                         uint64_t *height, uint8_t hash[32])
{
	struct ember_header h;
	struct ember_cert *ce;
	int rc;

	if (!g || !blk || len < EMBER_HEADER_SIZE || len > EMBER_BLOCK_MAX_SIZE)
		return EMBER_EINVAL;
	if ((rc = ember_header_decode(&h, blk, EMBER_HEADER_SIZE)))
		return rc;
	if (!(ce = malloc(sizeof(*ce))))
		return EMBER_ENOMEM;
	rc = certified(g, &h, cert, certlen, ce, hash, NULL, 0);
	free(ce);
	if (!rc && height)
		*height = h.height;
	return rc;
}

int cons_apply_block(struct cons *c, const uint8_t *blk, size_t len,
                     const uint8_t *cert, size_t certlen, char *why,
                     size_t whylen)
{
	return cons_apply_block_then(c, blk, len, cert, certlen, NULL, NULL, why,
	                             whylen);
}

int cons_apply_block_then(struct cons *c, const uint8_t *blk, size_t len,
                          const uint8_t *cert, size_t certlen,
                          cons_checked_fn checked, void *ctx, char *why,
                          size_t whylen)
{
	struct ember_txn *t = NULL;
	uint64_t t0 = now_us(), t1;
	int rc;

	cons_release_pending(c);
	/* Check, then execute: nothing of an unauthenticated block runs. */
	if ((rc = authenticate(c, blk, len, cert, certlen, why, whylen)))
		return rc;
	if (checked)
		checked(ctx);
	while ((rc = exec_strict(c, blk, len, &t, why, whylen)) == EMBER_STORE_MAP_FULL)
		if ((rc = grow_map(c)))
			return rc;
	if (rc)
		return rc;
	memcpy(c->certbuf, cert, certlen);
	c->certlen = certlen;
	t1 = now_us();
	rc = commit_txn(c, t, blk, len);
	while (rc == EMBER_STORE_MAP_FULL) {
		if ((rc = grow_map(c)))
			return rc;
		if ((rc = exec_strict(c, blk, len, &t, why, whylen)))
			return rc;
		rc = commit_txn(c, t, blk, len);
	}
	if (rc)
		return rc;
	c->ndropped = 0;
	after_commit(c, t1 - t0, now_us() - t1);
	return 0;
}

int cons_add_tip_precommit(struct cons *c, uint32_t round, const uint8_t validator[32],
                           uint64_t time_ms, const uint8_t sig[64])
{
	const struct ember_genesis *g = c->cfg.g;
	struct ember_cert *ce;
	size_t len;
	int found = 0, rc;

	if (c->tip.height == 0 || !c->tipcertlen)
		return EMBER_BLK_HEIGHT;
	for (size_t i = 0; i < g->nval; i++)
		found |= memcmp(g->vals[i].pub, validator, 32) == 0;
	if (!found)
		return EMBER_BLK_CERT;
	if (!(ce = malloc(sizeof(*ce))))
		return EMBER_ENOMEM;
	if (ember_cert_decode(ce, c->tipcert, c->tipcertlen) != 0) {
		rc = EMBER_STORE_CORRUPT;
		goto out;
	}
	if (ce->round != round) {
		rc = EMBER_BLK_HEIGHT;
		goto out;
	}
	rc = 0;
	for (uint32_t i = 0; i < ce->nsig; i++)
		if (memcmp(ce->sigs[i].validator, validator, 32) == 0)
			goto out;
	if (ce->nsig >= EMBER_CERT_MAX_SIGS ||
	    cons_vote_verify(validator, g->chain_id, EMBER_VOTE_PRECOMMIT, c->tip.height,
	                     round, c->tip.hash, time_ms, sig) != 0) {
		rc = EMBER_BLK_CERT;
		goto out;
	}
	memcpy(ce->sigs[ce->nsig].validator, validator, 32);
	ce->sigs[ce->nsig].time_ms = time_ms;
	memcpy(ce->sigs[ce->nsig].sig, sig, 64);
	ce->nsig++;
	if ((rc = ember_cert_encode(ce, c->tipcert, EMBER_CERT_MAX_SIZE, &len)) == 0)
		c->tipcertlen = len;
out:
	free(ce);
	return rc;
}

/* ---- the executor of BFT (bft.h): build, validate, commit ----------------- */

void cons_release_pending(struct cons *c)
{
	if (c->pending) {
		ember_txn_abort(c->pending);
		c->pending = NULL;
	}
}

int cons_build(struct cons *c, uint64_t now_ms, const uint8_t **blk, size_t *len,
               uint8_t hash[32])
{
	struct ember_txn *t = NULL;
	uint64_t t0;
	size_t ncand;
	int rc;

	cons_release_pending(c);
	if (!c->cfg.key)
		return EMBER_EINVAL;
	c->vote_now_ms = now_ms;
	t0 = now_us();
	if ((rc = select_cands(c, &ncand)))
		return rc;
	while ((rc = exec_propose(c, ncand, &t)) == EMBER_STORE_MAP_FULL)
		if ((rc = grow_map(c)))
			return rc;
	if (rc)
		return rc;
	c->pending = t;
	c->pending_exec_us = now_us() - t0;
	*blk = c->blk;
	*len = c->blklen;
	memcpy(hash, c->hash, 32);
	return 0;
}

int cons_validate(struct cons *c, const uint8_t *blk, size_t len, char *why,
                  size_t whylen)
{
	struct ember_txn *t = NULL;
	int rc;

	cons_release_pending(c);
	while ((rc = exec_strict(c, blk, len, &t, why, whylen)) == EMBER_STORE_MAP_FULL)
		if ((rc = grow_map(c)))
			return rc;
	if (!rc)
		ember_txn_abort(t);     /* valid; the commit executes it again */
	return rc;
}

int cons_commit(struct cons *c, const uint8_t *blk, size_t len,
                const uint8_t *cert, size_t certlen, char *why, size_t whylen)
{
	struct ember_header h;
	uint8_t hh[32];
	uint64_t t1;
	int rc;

	/* The block we built this turn: its execution is still open. */
	if (c->pending && len == c->blklen && len >= EMBER_HEADER_SIZE &&
	    ember_header_decode(&h, blk, EMBER_HEADER_SIZE) == 0) {
		ember_header_hash(&h, hh);
		if (memcmp(hh, c->hash, 32) == 0 && memcmp(blk, c->blk, len) == 0) {
			struct ember_txn *t = c->pending;
			if (certlen > EMBER_CERT_MAX_SIZE ||
			    (rc = ember_cert_decode(&c->cert, cert, certlen)) ||
			    (rc = cons_cert_verify(c->cfg.g, h.height, hh, &c->cert))) {
				ember_errf(why, whylen, "commit certificate for block %llu "
				    "lacks +2/3 valid precommits", (unsigned long long)h.height);
				cons_release_pending(c);
				return EMBER_BLK_CERT;
			}
			c->pending = NULL;
			memcpy(c->certbuf, cert, certlen);
			c->certlen = certlen;
			t1 = now_us();
			if ((rc = commit_own(c, t)))
				return rc;
			after_commit(c, c->pending_exec_us, now_us() - t1);
			return 0;
		}
	}
	return cons_apply_block(c, blk, len, cert, certlen, why, whylen);
}
