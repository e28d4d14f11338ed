/*
 * rpc_history.c - account history over JSON-RPC (docs/rpc.md,
 * getaccounthistory): the committed txs that name an account, newest
 * first, a page at a time, from the index kept at block commit
 * (history.h).  The table is
 *     const struct rpc_method *rpc_history_methods(size_t *count);
 * (rpcnode.h), served by the node next to the others with the same ctx
 * (struct rpc_node).
 *
 * A page is read in one LMDB read transaction.  The cursor ("next") is
 * the position "HEIGHT:INDEX" of the last tx given; the next page starts
 * strictly below it, so a page never repeats a tx even while blocks
 * commit (new txs land above the first page, never inside a walk).
 */
#include "ember/rpcnode.h"

#include <inttypes.h>
#include <stdlib.h>

#include "ember/block.h"
#include "ember/chain.h"
#include "ember/history.h"
#include "ember/tx.h"
#include "rpcjson.h"

#define HI_LIMIT_DEFAULT 50
#define HI_LIMIT_MAX 500

/* One tx of the page as JSON; time_ms is its block's. */
static json_t *hi_entry_json(const struct ember_hist_entry *e, uint64_t time_ms)
{
	const char *kind = ember_tx_kind_name(e->kind);
	const char *role = ember_hist_role_name(e->role);

	return json_pack("{s:o, s:I, s:I, s:I, s:s, s:o, s:s}",
		"txid", rpc_json_hex(e->txid, 32),
		"height", (json_int_t)e->height,
		"index", (json_int_t)e->index,
		"time_ms", (json_int_t)time_ms,
		"kind", kind ? kind : "unknown",
		"from", rpc_json_addr(e->from),
		"role", role ? role : "unknown");
}

/* The page as the answer's "txs"; NULL after answering the call. */
static json_t *hi_page_json(struct rpc_call *call, struct ember_txn *t,
                            const struct ember_hist_entry *es, size_t n)
{
	json_t *txs = json_array();
	uint64_t bh = 0, time_ms = 0;
	int have = 0;

	if (!txs) {
		rpc_reply(call, NULL);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!have || es[i].height != bh) {
			struct ember_header h;
			const uint8_t *enc;
			size_t len;
			int rc = ember_chain_get_block(t, es[i].height, &enc, &len);
			if (!rc && (len < EMBER_HEADER_SIZE ||
			            ember_header_decode(&h, enc, EMBER_HEADER_SIZE)))
				rc = EMBER_STORE_CORRUPT;
			if (rc) {
				json_decref(txs);
				rpc_error(call, RPC_INTERNAL_ERROR, "cannot read block %" PRIu64
				          " of the account's history: %s", es[i].height,
				          ember_strerror(rc));
				return NULL;
			}
			bh = es[i].height;
			time_ms = h.time_ms;
			have = 1;
		}
		if (json_array_append_new(txs, hi_entry_json(&es[i], time_ms))) {
			json_decref(txs);
			rpc_reply(call, NULL);
			return NULL;
		}
	}
	return txs;
}

static void m_getaccounthistory(struct rpc_call *call, json_t *params, void *ctx)
{
	struct ember_store *store = rpc_node_store(ctx);
	struct ember_hist_entry *es = NULL;
	struct ember_hist_pos before;
	struct ember_txn *t = NULL;
	const char *cursor = NULL;
	uint64_t limit = HI_LIMIT_DEFAULT;
	uint8_t pub[32];
	size_t n;
	json_t *txs, *next;
	int got, more, rc;

	if ((got = rpc_param_addr(call, params, 0, "address", pub)) <= 0) {
		if (got == 0)
			rpc_error(call, RPC_INVALID_PARAMS, "parameter 'address' is required");
		return;
	}
	if ((got = rpc_param_str(call, params, 1, "cursor", &cursor)) < 0)
		return;
	if (got && ember_hist_cursor_parse(cursor, &before)) {
		rpc_error(call, RPC_INVALID_PARAMS, "invalid cursor '%.40s': expected "
		          "HEIGHT:INDEX, the 'next' of a previous page", cursor);
		return;
	}
	if (rpc_param_u64(call, params, 2, "limit", &limit) < 0)
		return;
	if (limit < 1 || limit > HI_LIMIT_MAX) {
		rpc_error(call, RPC_INVALID_PARAMS,
		          "parameter 'limit' must be 1 to %d, got %" PRIu64, HI_LIMIT_MAX,
		          limit);
		return;
	}
	if (!(es = malloc((size_t)limit * sizeof(*es)))) {
		rpc_error(call, RPC_ERR_BUSY, "node out of memory; try again");
		return;
	}
	if ((rc = ember_store_read(store, &t))) {
		rpc_read_fail(call, "the ledger", rc);
		goto out;
	}
	if ((rc = ember_history_page(t, pub, got ? &before : NULL, es, (size_t)limit,
	                             &n, &more))) {
		rpc_read_fail(call, "the account's history", rc);
		goto out;
	}
	if (!(txs = hi_page_json(call, t, es, n)))
		goto out;
	if (more) {
		char c[EMBER_HIST_CURSOR_BUFLEN];
		struct ember_hist_pos last = { es[n - 1].height, es[n - 1].index };
		ember_hist_cursor_format(&last, c);
		next = json_string(c);
	} else {
		next = json_null();
	}
	rpc_reply(call, json_pack("{s:o, s:o, s:o}", "address", rpc_json_addr(pub),
	                          "txs", txs, "next", next));
out:
	ember_txn_abort(t);
	free(es);
}

static const struct rpc_method history_methods[] = {
	{ "getaccounthistory", m_getaccounthistory, 1, 3, RPC_F_READONLY,
	  { "address", "cursor", "limit", NULL },
	  "the committed txs that name an account (sender, recipient or other"
	  " party), newest first; paged with cursor" },
};

const struct rpc_method *rpc_history_methods(size_t *count)
{
	*count = sizeof history_methods / sizeof history_methods[0];
	return history_methods;
}
