/*
 * history.c - history.h: the account history index, written with each
 * block and read a page at a time.
 *
 * A block's entries are collected first (every tx decoded, the accounts,
 * txids and senders copied out), then sorted by key and put.  Collecting
 * before the first put matters when the block's bytes come from the store
 * (the rebuild): LMDB's values are valid only until the next write in the
 * same txn.
 */
#include "ember/history.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/chain.h"
#include "ember/codec.h"
#include "ember/tx.h"

#define HIST_VAL_MAX (1 + 1 + 32 + 32)
/* A rebuild commits after this many entries, so one txn stays far below
 * LMDB's dirty-page limit whatever the ledger's size. */
#define HIST_SYNC_BATCH 200000

static const char hist_meta_key[] = "history";
#define HIST_META_KEY hist_meta_key, (sizeof(hist_meta_key) - 1)

/* One (account, tx) pair of a block, before it is put. */
struct hist_item {
	uint8_t account[32];
	uint32_t index;
	uint8_t role;
	uint8_t kind;
};

const char *ember_hist_role_name(uint8_t role)
{
	switch (role) {
	case EMBER_HIST_SENDER: return "sender";
	case EMBER_HIST_RECIPIENT: return "recipient";
	case EMBER_HIST_PARTY: return "party";
	default: return NULL;
	}
}

void ember_hist_key(uint8_t out[EMBER_HIST_KEY_LEN], const uint8_t account[32],
                    uint64_t height, uint32_t index)
{
	memcpy(out, account, 32);
	ember_be64_put(out + 32, height);
	ember_be32_put(out + 40, index);
}

/* --- cursor --------------------------------------------------------------- */

void ember_hist_cursor_format(const struct ember_hist_pos *pos,
                              char out[EMBER_HIST_CURSOR_BUFLEN])
{
	snprintf(out, EMBER_HIST_CURSOR_BUFLEN, "%" PRIu64 ":%" PRIu32,
	         pos->height, pos->index);
}

/* Canonical decimal (no leading zeros but "0") up to max, ending at *end. */
static int hist_parse_dec(const char *s, const char **end, uint64_t max,
                          uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return EMBER_EPARSE;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return EMBER_EPARSE;
		v = v * 10 + d;
	}
	*end = p;
	*out = v;
	return 0;
}

int ember_hist_cursor_parse(const char *s, struct ember_hist_pos *pos)
{
	uint64_t h, i;
	const char *p;

	if (!s || !pos)
		return EMBER_EINVAL;
	if (hist_parse_dec(s, &p, UINT64_MAX, &h) || *p != ':' ||
	    hist_parse_dec(p + 1, &p, UINT32_MAX, &i) || *p != '\0')
		return EMBER_EPARSE;
	pos->height = h;
	pos->index = (uint32_t)i;
	return 0;
}

/* --- writing ---------------------------------------------------------------- */

int ember_history_height(struct ember_txn *t, uint64_t *height)
{
	const void *v;
	size_t vlen;
	int rc;

	if (!t || !height)
		return EMBER_EINVAL;
	if ((rc = ember_store_get(t, EMBER_DB_META, HIST_META_KEY, &v, &vlen)))
		return rc;
	if (vlen != 8)
		return EMBER_STORE_CORRUPT;
	*height = ember_le64_get(v);
	return 0;
}

static int hist_set_height(struct ember_txn *t, uint64_t height)
{
	uint8_t v[8];
	ember_le64_put(v, height);
	return ember_store_put(t, EMBER_DB_META, HIST_META_KEY, v, sizeof(v));
}

static int hist_item_cmp(const void *a, const void *b)
{
	const struct hist_item *x = a, *y = b;
	int c = memcmp(x->account, y->account, 32);
	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The account other than the sender that tx names, and its role; 0 when
 * it names none. */
static uint8_t hist_counterparty(const struct ember_tx *tx, const uint8_t **acct)
{
	switch (tx->kind) {
	case EMBER_TX_TRANSFER:
		*acct = tx->u.transfer.to;
		return EMBER_HIST_RECIPIENT;
	case EMBER_TX_ACCEPT:
		*acct = tx->u.accept.provider;
		return EMBER_HIST_PARTY;
	case EMBER_TX_EVIDENCE:
		*acct = tx->u.evidence.validator;
		return EMBER_HIST_PARTY;
	default:
		return 0;
	}
}

/*
 * Index one block: decode and collect, sort, put.  txs may point into t's
 * map (the rebuild): nothing of it is read after the first put.
 * *nput (may be NULL) is increased by the entries put.
 */
static int hist_index_block(struct ember_txn *t, uint64_t height,
                            const struct ember_txref *txs,
                            const uint8_t (*txids)[32], size_t ntx,
                            uint64_t *nput)
{
	struct hist_item *items;
	uint8_t (*senders)[32];
	size_t n = 0;
	int rc = 0;

	if (ntx == 0)
		return 0;
	if (ntx > UINT32_MAX || ntx > SIZE_MAX / (2 * sizeof(*items) + 32))
		return EMBER_EINVAL;
	/* One block: its items (at most two per tx), then each tx's sender. */
	items = malloc(ntx * (2 * sizeof(*items) + 32));
	if (!items)
		return EMBER_ENOMEM;
	senders = (uint8_t (*)[32])(items + 2 * ntx);
	for (size_t i = 0; i < ntx; i++) {
		struct ember_tx tx;
		const uint8_t *other = NULL;
		uint8_t role;

		if (ember_tx_decode(&tx, txs[i].p, txs[i].len)) {
			fprintf(stderr, "history: tx %zu of block %" PRIu64 " does not "
			        "decode\n", i, height);
			rc = EMBER_STORE_CORRUPT;
			goto out;
		}
		memcpy(senders[i], tx.from, 32);
		memcpy(items[n].account, tx.from, 32);
		items[n].index = (uint32_t)i;
		items[n].role = EMBER_HIST_SENDER;
		items[n].kind = tx.kind;
		n++;
		role = hist_counterparty(&tx, &other);
		if (role && memcmp(other, tx.from, 32) != 0) {
			memcpy(items[n].account, other, 32);
			items[n].index = (uint32_t)i;
			items[n].role = role;
			items[n].kind = tx.kind;
			n++;
		}
	}
	/* Sorted, a block's puts go through the tree in order: each page on
	 * the way is found once, not once per entry. */
	qsort(items, n, sizeof(*items), hist_item_cmp);
	for (size_t k = 0; k < n; k++) {
		const struct hist_item *it = &items[k];
		uint8_t key[EMBER_HIST_KEY_LEN], val[HIST_VAL_MAX];
		size_t vlen = 34;

		ember_hist_key(key, it->account, height, it->index);
		val[0] = it->role;
		val[1] = it->kind;
		memcpy(val + 2, txids[it->index], 32);
		if (it->role != EMBER_HIST_SENDER) {
			memcpy(val + 34, senders[it->index], 32);
			vlen = 66;
		}
		if ((rc = ember_store_put(t, EMBER_DB_HISTORY, key, sizeof(key), val,
		                          vlen)))
			goto out;
	}
	if (nput)
		*nput += n;
out:
	free(items);
	return rc;
}

/* Growing buffers for indexing stored blocks. */
struct hist_bufs {
	struct ember_txref *refs;
	uint8_t (*txids)[32];
	size_t cap;
};

static int hist_bufs_grow(struct hist_bufs *b, size_t cap)
{
	void *p;

	if (!(p = realloc(b->refs, cap * sizeof(*b->refs))))
		return EMBER_ENOMEM;
	b->refs = p;
	if (!(p = realloc(b->txids, cap * sizeof(*b->txids))))
		return EMBER_ENOMEM;
	b->txids = p;
	b->cap = cap;
	return 0;
}

static void hist_bufs_free(struct hist_bufs *b)
{
	free(b->refs);
	free(b->txids);
}

/*
 * Index stored blocks from..to in t, stopping after the block that takes
 * the count of entries past limit (0: no limit).  *last gets the last
 * height indexed (from - 1 when none; from is then > 0).
 */
static int hist_index_stored(struct ember_txn *t, uint64_t from, uint64_t to,
                             uint64_t limit, uint64_t *last, uint64_t *nblocks,
                             uint64_t *nentries)
{
	struct hist_bufs b = { NULL, NULL, 0 };
	uint64_t start = nentries ? *nentries : 0, got = 0;
	int rc = 0;

	*last = from - 1;
	for (uint64_t h = from; h <= to; h++) {
		struct ember_header hdr;
		const uint8_t *enc;
		size_t len, ntx;

		if ((rc = ember_chain_get_block(t, h, &enc, &len))) {
			fprintf(stderr, "history: block %" PRIu64 " is not stored: %s\n",
			        h, ember_strerror(rc));
			rc = rc == EMBER_ENOTFOUND ? EMBER_STORE_CORRUPT : rc;
			break;
		}
		if (len < EMBER_HEADER_SIZE ||
		    ember_header_decode(&hdr, enc, EMBER_HEADER_SIZE) ||
		    hdr.tx_count > EMBER_BLOCK_MAX_TXS) {
			rc = EMBER_STORE_CORRUPT;
			break;
		}
		if ((size_t)hdr.tx_count + 1 > b.cap &&
		    (rc = hist_bufs_grow(&b, (size_t)hdr.tx_count + 1)))
			break;
		if (ember_block_decode(&hdr, NULL, NULL, b.refs, b.cap, &ntx, enc, len)) {
			fprintf(stderr, "history: stored block %" PRIu64 " does not "
			        "decode\n", h);
			rc = EMBER_STORE_CORRUPT;
			break;
		}
		for (size_t i = 0; i < ntx; i++)
			ember_txid(b.refs[i].p, b.refs[i].len, b.txids[i]);
		if ((rc = hist_index_block(t, h, b.refs,
		                           (const uint8_t (*)[32])b.txids, ntx, &got)))
			break;
		*last = h;
		if (nblocks)
			(*nblocks)++;
		if (limit && got >= limit)
			break;
	}
	if (nentries)
		*nentries = start + got;
	hist_bufs_free(&b);
	return rc;
}

int ember_history_put_block(struct ember_txn *t, uint64_t height,
                            const struct ember_txref *txs,
                            const uint8_t (*txids)[32], size_t ntx)
{
	uint64_t done = 0, last;
	int rc, have;

	if (!t || (ntx && (!txs || !txids)))
		return EMBER_EINVAL;
	rc = ember_history_height(t, &done);
	if (rc && rc != EMBER_ENOTFOUND)
		return rc;
	have = rc == 0;
	/* Blocks stored without the index (the start-up rebuild did not run
	 * on this store) are indexed first: the index never has a hole. */
	if ((have ? done + 1 : 0) < height &&
	    (rc = hist_index_stored(t, have ? done + 1 : 0, height - 1, 0, &last,
	                            NULL, NULL)))
		return rc;
	if ((rc = hist_index_block(t, height, txs, txids, ntx, NULL)))
		return rc;
	/* A block indexed again (puts are idempotent) never lowers the mark. */
	if (have && done > height)
		return 0;
	return hist_set_height(t, height);
}

int ember_history_sync(struct ember_store *s, uint64_t *blocks,
                       uint64_t *entries)
{
	uint64_t nblocks = 0, nentries = 0, first = 0, upto = 0;
	int logged = 0, rc;

	if (!s)
		return EMBER_EINVAL;
	for (;;) {
		struct ember_txn *t;
		struct ember_tip tip;
		uint64_t done = 0, from, last, nb = 0, ne = 0;

		if ((rc = ember_store_write(s, &t)))
			break;
		if ((rc = ember_chain_get_tip(t, &tip))) {
			ember_txn_abort(t);
			if (rc == EMBER_ENOTFOUND)
				rc = 0;         /* an empty store: nothing to index */
			break;
		}
		rc = ember_history_height(t, &done);
		if (rc && rc != EMBER_ENOTFOUND) {
			ember_txn_abort(t);
			break;
		}
		from = rc == 0 ? done + 1 : 0;
		if (from > tip.height) {
			ember_txn_abort(t);
			rc = 0;
			break;
		}
		if (!logged && tip.height > 0) {
			fprintf(stderr, "history: indexing account history of blocks %"
			        PRIu64 "..%" PRIu64 " (the ledger has none for them yet)\n",
			        from, tip.height);
			first = from;
			logged = 1;
		}
		rc = hist_index_stored(t, from, tip.height, HIST_SYNC_BATCH, &last,
		                       &nb, &ne);
		if (!rc)
			rc = hist_set_height(t, last);
		if (rc) {
			ember_txn_abort(t);
		} else {
			rc = ember_txn_commit(t);
		}
		if (rc == EMBER_STORE_MAP_FULL) {
			/* The batch is lost with its txn: grow and do it again. */
			if ((rc = ember_store_grow(s)))
				break;
			continue;
		}
		if (rc)
			break;
		nblocks += nb;
		nentries += ne;
		upto = last;
	}
	if (logged && nblocks)
		fprintf(stderr, "history: indexed blocks %" PRIu64 "..%" PRIu64
		        ": %" PRIu64 " blocks, %" PRIu64 " entries%s\n", first, upto,
		        nblocks, nentries, rc ? " before an error" : "");
	if (blocks)
		*blocks = nblocks;
	if (entries)
		*entries = nentries;
	return rc;
}

/* --- reading ---------------------------------------------------------------- */

struct hist_walk {
	const uint8_t *account;
	const uint8_t *skip;            /* the cursor's own key, or NULL */
	struct ember_hist_entry *out;
	size_t max, n;
	int more;
	int rc;
};

static int hist_walk_cb(void *ctx, const void *key, size_t klen,
                        const void *val, size_t vlen)
{
	struct hist_walk *w = ctx;
	const uint8_t *k = key, *v = val;
	struct ember_hist_entry *e;

	if (klen != EMBER_HIST_KEY_LEN || memcmp(k, w->account, 32) != 0)
		return 1;               /* past the account's entries */
	if (w->skip && memcmp(k, w->skip, EMBER_HIST_KEY_LEN) == 0)
		return 0;               /* the cursor is exclusive */
	if (w->n == w->max) {
		w->more = 1;
		return 1;
	}
	if (!(vlen == 34 && v[0] == EMBER_HIST_SENDER) &&
	    !(vlen == 66 && (v[0] == EMBER_HIST_RECIPIENT || v[0] == EMBER_HIST_PARTY))) {
		w->rc = EMBER_STORE_CORRUPT;
		return EMBER_STORE_CORRUPT;
	}
	e = &w->out[w->n++];
	e->height = ember_be64_get(k + 32);
	e->index = ember_be32_get(k + 40);
	e->role = v[0];
	e->kind = v[1];
	memcpy(e->txid, v + 2, 32);
	memcpy(e->from, vlen == 66 ? v + 34 : w->account, 32);
	return 0;
}

int ember_history_page(struct ember_txn *t, const uint8_t account[32],
                       const struct ember_hist_pos *before,
                       struct ember_hist_entry *out, size_t max, size_t *n,
                       int *more)
{
	uint8_t start[EMBER_HIST_KEY_LEN];
	struct hist_walk w;
	int rc;

	if (!t || !account || !out || !max || !n || !more)
		return EMBER_EINVAL;
	*n = 0;
	*more = 0;
	if (before) {
		ember_hist_key(start, account, before->height, before->index);
	} else {
		memcpy(start, account, 32);
		memset(start + 32, 0xff, EMBER_HIST_KEY_LEN - 32);
	}
	memset(&w, 0, sizeof(w));
	w.account = account;
	w.skip = before ? start : NULL;
	w.out = out;
	w.max = max;
	rc = ember_store_iter_rev(t, EMBER_DB_HISTORY, start, sizeof(start),
	                          hist_walk_cb, &w);
	if (rc)
		return rc;
	*n = w.n;
	*more = w.more;
	return 0;
}
