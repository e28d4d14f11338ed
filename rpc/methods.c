/*
 * methods.c - the node's JSON-RPC methods (docs/rpc.md).  Every handler
 * reads through its own LMDB read transaction, so RPC never waits for the
 * block writer.
 */
#include "ember/rpcnode.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/addr.h"
#include "ember/admit.h"
#include "ember/amount.h"
#include "ember/block.h"
#include "ember/chain.h"
#include "ember/codec.h"
#include "ember/hash.h"
#include "ember/mempool.h"
#include "ember/state.h"
#include "ember/tok.h"
#include "ember/verify.h"
#include "rpc_metrics_internal.h"
#include "rpcjson.h"

#define EMBER_VERSION_STRING "0.1.0"

struct rpc_node {
	struct rpc_node_cfg cfg;
	struct rpc_server *server;
	struct event *flush_ev;
	struct ember_admit_item *acc;  /* sendtx calls waiting for the flush */
	size_t nacc, capacc;
	struct rpc_metrics *metrics;   /* GET /metrics (rpc_metrics.c) */
};

/* --- helpers ----------------------------------------------------------- */

static int parse_hash(json_t *j, uint8_t out[32])
{
	const char *s = json_string_value(j);
	size_t w;
	if (!s || strlen(s) != 64)
		return EMBER_EPARSE;
	return ember_hex_decode(s, 64, out, 32, &w);
}

static int read_txn(struct rpc_call *call, struct rpc_node *n,
                    struct ember_txn **t)
{
	int rc = ember_store_read(n->cfg.store, t);
	if (rc)
		rpc_error(call, RPC_INTERNAL_ERROR, "cannot read the ledger: %s",
		          ember_strerror(rc));
	return rc;
}

/* --- getstatus ---------------------------------------------------------- */

static void m_getstatus(struct rpc_call *call, json_t *params, void *ctx)
{
	struct rpc_node *n = ctx;
	const struct ember_genesis *g = n->cfg.g;
	struct ember_tip tip;
	json_t *o;
	uint64_t target = 0, rate = 0;
	int syncing = 0;
	cons_tip(n->cfg.cons, &tip);
	if (n->cfg.syncing)
		syncing = n->cfg.syncing(n->cfg.net_ctx, &target, &rate);
	o = json_pack("{s:s, s:o, s:I, s:o, s:o, s:I, s:I, s:o, s:I, s:I, s:s}",
		"chain_id", g->chain_id,
		"genesis_hash", rpc_json_hex(g->hash, 32),
		"height", (json_int_t)tip.height,
		"tip_hash", rpc_json_hex(tip.hash, 32),
		"state_root", rpc_json_hex(tip.state_root, 32),
		"time_ms", (json_int_t)tip.time_ms,
		"block_time_ms", (json_int_t)g->block_time_ms,
		"min_fee", rpc_json_u64(g->min_fee),
		"mempool_txs", (json_int_t)ember_mempool_count(n->cfg.mp),
		"mempool_bytes", (json_int_t)ember_mempool_bytes(n->cfg.mp),
		"version", EMBER_VERSION_STRING);
	if (o) {
		json_object_set_new(o, "peers", json_integer(n->cfg.peers ?
			(json_int_t)n->cfg.peers(n->cfg.net_ctx, NULL, 0) : 0));
		json_object_set_new(o, "syncing", json_boolean(syncing));
		json_object_set_new(o, "sync_target", json_integer((json_int_t)
			(syncing ? target : tip.height)));
		json_object_set_new(o, "sync_blocks_per_s", json_integer((json_int_t)
			(syncing ? rate : 0)));
	}
	rpc_result(call, o);
}

/* --- getpeers ------------------------------------------------------------ */

static void m_getpeers(struct rpc_call *call, json_t *params, void *ctx)
{
	struct rpc_node *n = ctx;
	struct rpc_peer *pe;
	json_t *a = json_array();
	size_t k;

	if (!n->cfg.peers) {
		rpc_result(call, a);
		return;
	}
	k = n->cfg.peers(n->cfg.net_ctx, NULL, 0);
	if (k && !(pe = calloc(k, sizeof(*pe)))) {
		json_decref(a);
		rpc_error(call, RPC_ERR_BUSY, "node out of memory; try again");
		return;
	}
	k = k ? n->cfg.peers(n->cfg.net_ctx, pe, k) : 0;
	for (size_t i = 0; i < k; i++) {
		char id[65];
		ember_hex_encode(pe[i].id, 32, id);
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}",
			"id", id, "address", pe[i].addr,
			"direction", pe[i].inbound ? "inbound" : "outbound",
			"height", (json_int_t)pe[i].height,
			"bytes_in", (json_int_t)pe[i].bytes_in,
			"bytes_out", (json_int_t)pe[i].bytes_out,
			"connected_ms", (json_int_t)pe[i].connected_ms);
		/* null until the first PONG */
		json_object_set_new(o, "ping_ms", pe[i].ping_ms < 0 ? json_null()
		                    : json_integer((json_int_t)pe[i].ping_ms));
		json_array_append_new(a, o);
	}
	if (k)
		free(pe);
	rpc_result(call, a);
}

/* --- getblock ----------------------------------------------------------- */

static json_t *block_json(struct ember_txn *t, uint64_t height, int *rc)
{
	const uint8_t *enc, *cenc, *lc = NULL;
	size_t len, clen, ntx, lclen = 0;
	struct ember_header h;
	struct ember_txref *refs;
	struct ember_cert *cert;
	uint8_t hash[32], txid[32];
	json_t *o, *txids;

	if ((*rc = ember_chain_get_block(t, height, &enc, &len)))
		return NULL;
	if ((*rc = ember_header_decode(&h, enc, EMBER_HEADER_SIZE)))
		return NULL;
	refs = malloc(((size_t)h.tx_count + 1) * sizeof(*refs));
	if (!refs) {
		*rc = EMBER_ENOMEM;
		return NULL;
	}
	if ((*rc = ember_block_decode(&h, &lc, &lclen, refs, (size_t)h.tx_count + 1, &ntx,
	                              enc, len))) {
		free(refs);
		*rc = EMBER_STORE_CORRUPT;
		return NULL;
	}
	ember_header_hash(&h, hash);
	txids = json_array();
	for (size_t i = 0; i < ntx; i++) {
		ember_txid(refs[i].p, refs[i].len, txid);
		json_array_append_new(txids, rpc_json_hex(txid, 32));
	}
	free(refs);
	o = json_pack("{s:I, s:o, s:o, s:I, s:o, s:o, s:o, s:I, s:I, s:o}",
		"height", (json_int_t)h.height,
		"hash", rpc_json_hex(hash, 32),
		"prev_hash", rpc_json_hex(h.prev_hash, 32),
		"time_ms", (json_int_t)h.time_ms,
		"tx_root", rpc_json_hex(h.tx_root, 32),
		"state_root", rpc_json_hex(h.state_root, 32),
		"proposer", rpc_json_addr(h.proposer),
		"tx_count", (json_int_t)h.tx_count,
		"size", (json_int_t)len,
		"txids", txids);
	cert = malloc(sizeof(*cert));
	if (cert && ember_chain_get_cert(t, height, &cenc, &clen) == 0 &&
	    ember_cert_decode(cert, cenc, clen) == 0) {
		json_t *signers = json_array();
		for (uint32_t i = 0; i < cert->nsig; i++)
			json_array_append_new(signers, rpc_json_addr(cert->sigs[i].validator));
		json_object_set_new(o, "cert", json_pack("{s:I, s:o}",
			"round", (json_int_t)cert->round, "signers", signers));
	} else {
		json_object_set_new(o, "cert", json_null());
	}
	/* The canonical commit of the parent this block carries: its signers
	 * and their precommit times set this block's time (BFT time). */
	if (cert && lclen && ember_cert_decode(cert, lc, lclen) == 0) {
		json_t *sigs = json_array();
		for (uint32_t i = 0; i < cert->nsig; i++)
			json_array_append_new(sigs, json_pack("{s:o, s:I}",
				"validator", rpc_json_addr(cert->sigs[i].validator),
				"time_ms", (json_int_t)cert->sigs[i].time_ms));
		json_object_set_new(o, "last_commit", json_pack("{s:I, s:o}",
			"round", (json_int_t)cert->round, "precommits", sigs));
	} else {
		json_object_set_new(o, "last_commit", json_null());
	}
	free(cert);
	return o;
}

static void m_getblock(struct rpc_call *call, json_t *params, void *ctx)
{
	struct rpc_node *n = ctx;
	json_t *id = json_array_get(params, 0), *o;
	struct ember_txn *t;
	uint64_t height;
	int rc;

	if (read_txn(call, n, &t))
		return;
	if (json_is_integer(id)) {
		if (json_integer_value(id) < 0) {
			rpc_error(call, RPC_INVALID_PARAMS, "block height must not be negative");
			goto out;
		}
		height = (uint64_t)json_integer_value(id);
	} else {
		uint8_t hash[32];
		if (parse_hash(id, hash)) {
			rpc_error(call, RPC_INVALID_PARAMS,
			          "block id must be a height or a 64-hex-digit hash");
			goto out;
		}
		if (ember_chain_get_height(t, hash, &height)) {
			rpc_error(call, RPC_ERR_NOT_FOUND, "no block with hash '%s'",
			          json_string_value(id));
			goto out;
		}
	}
	o = block_json(t, height, &rc);
	if (!o) {
		if (rc == EMBER_ENOTFOUND)
			rpc_error(call, RPC_ERR_NOT_FOUND, "no block at height %" PRIu64, height);
		else
			rpc_error(call, RPC_INTERNAL_ERROR, "cannot read block %" PRIu64 ": %s",
			          height, ember_strerror(rc));
		goto out;
	}
	rpc_result(call, o);
out:
	ember_txn_abort(t);
}

/* --- gettx -------------------------------------------------------------- */

static json_t *tx_json(const struct ember_tx *tx, const uint8_t *enc, size_t len,
                       const uint8_t txid[32])
{
	json_t *o = json_pack("{s:o, s:s, s:s, s:o, s:o, s:I, s:I, s:o}",
		"txid", rpc_json_hex(txid, 32),
		"kind", ember_tx_kind_name(tx->kind) ? ember_tx_kind_name(tx->kind) : "unknown",
		"chain_id", tx->chain_id,
		"from", rpc_json_addr(tx->from),
		"fee", rpc_json_u64(tx->fee),
		"nonce", (json_int_t)tx->nonce,
		"size", (json_int_t)len,
		"hex", rpc_json_hex(enc, len));
	json_t *pl = o ? rpc_tx_payload_json(tx) : NULL;
	/* The payload's fields sit beside the common ones (transfer: to, amount). */
	if (pl)
		json_object_update(o, pl);
	json_decref(pl);
	return o;
}

static void m_gettx(struct rpc_call *call, json_t *params, void *ctx)
{
	struct rpc_node *n = ctx;
	const struct ember_mp_entry *e;
	struct ember_txn *t;
	struct ember_header h;
	struct ember_txref *refs = NULL;
	struct ember_tx tx;
	const uint8_t *enc;
	size_t len, ntx;
	uint8_t txid[32], bh[32];
	uint64_t height;
	uint32_t index;
	json_t *o;

	if (parse_hash(json_array_get(params, 0), txid)) {
		rpc_error(call, RPC_INVALID_PARAMS, "txid must be 64 hex digits");
		return;
	}
	if (read_txn(call, n, &t))
		return;
	if (ember_chain_get_txloc(t, txid, &height, &index) != 0) {
		e = ember_mempool_get(n->cfg.mp, txid);
		if (!e) {
			rpc_error(call, RPC_ERR_NOT_FOUND, "no transaction with id '%s'",
			          json_string_value(json_array_get(params, 0)));
			goto out;
		}
		o = tx_json(&e->tx, e->enc, e->len, e->txid);
		json_object_set_new(o, "status", json_string("pending"));
		rpc_result(call, o);
		goto out;
	}
	if (ember_chain_get_block(t, height, &enc, &len) ||
	    ember_header_decode(&h, enc, EMBER_HEADER_SIZE) || index >= h.tx_count ||
	    !(refs = malloc(((size_t)h.tx_count + 1) * sizeof(*refs))) ||
	    ember_block_decode(&h, NULL, NULL, refs, (size_t)h.tx_count + 1, &ntx, enc, len) ||
	    ember_tx_decode(&tx, refs[index].p, refs[index].len)) {
		rpc_error(call, RPC_INTERNAL_ERROR, "stored block %" PRIu64 " is unreadable", height);
		goto out;
	}
	ember_header_hash(&h, bh);
	o = tx_json(&tx, refs[index].p, refs[index].len, txid);
	json_object_set_new(o, "status", json_string("committed"));
	json_object_set_new(o, "height", json_integer((json_int_t)height));
	json_object_set_new(o, "index", json_integer(index));
	json_object_set_new(o, "block_hash", rpc_json_hex(bh, 32));
	rpc_result(call, o);
out:
	free(refs);
	ember_txn_abort(t);
}

/* --- getaccount --------------------------------------------------------- */

static void m_getaccount(struct rpc_call *call, json_t *params, void *ctx)
{
	struct rpc_node *n = ctx;
	const char *s = json_string_value(json_array_get(params, 0));
	struct ember_account a;
	struct ember_txn *t;
	uint8_t pub[32];
	uint64_t next;
	int rc;

	if (!s) {
		rpc_error(call, RPC_INVALID_PARAMS, "address must be a string");
		return;
	}
	if ((rc = ember_addr_decode(s, pub))) {
		rpc_error(call, RPC_INVALID_PARAMS, "invalid address '%.90s': %s", s,
		          ember_strerror(rc));
		return;
	}
	if (read_txn(call, n, &t))
		return;
	rc = ember_account_get(t, pub, &a);
	ember_txn_abort(t);
	if (rc) {
		rpc_error(call, RPC_INTERNAL_ERROR, "cannot read account: %s", ember_strerror(rc));
		return;
	}
	next = ember_mempool_next_nonce(n->cfg.mp, pub, a.nonce);
	rpc_result(call, json_pack("{s:o, s:o, s:I, s:I, s:I}",
		"address", rpc_json_addr(pub),
		"balance", rpc_json_u64(a.balance),
		"nonce", (json_int_t)a.nonce,
		"next_nonce", (json_int_t)next,
		"pending", (json_int_t)(next - a.nonce)));
}

/* --- sendtx ------------------------------------------------------------- */

/* The verdict of admission (admit.h) as the JSON-RPC answer. */
static void sendtx_done(void *ctx, void *user, int code, const uint8_t *txid,
                        const char *why)
{
	struct rpc_call *call = user;
	(void)ctx;
	if (code == 0)
		rpc_result(call, rpc_json_hex(txid, 32));
	else if (code == EMBER_EBUSY || code == EMBER_ENOMEM)
		rpc_error(call, RPC_ERR_BUSY, "%s", why);
	else if (code <= EMBER_STORE_LMDB && code > EMBER_STORE_LMDB - 100)
		rpc_error(call, RPC_INTERNAL_ERROR, "%s", why);
	else
		rpc_error_data(call, RPC_ERR_TX_REJECTED,
		               json_pack("{s:i, s:s}", "code", code, "error",
		                         ember_strerror(code)),
		               "%s", why);
}

/*
 * The sendtx calls of one turn of the loop (a whole JSON-RPC batch: an
 * active event runs after the current callback returns) go to admission
 * as one batch, so they become one verify batch over every worker.
 */
static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rpc_node *n = arg;
	struct ember_admit_item *items = n->acc;
	size_t k = n->nacc;

	(void)fd;
	(void)what;
	n->acc = NULL;
	n->nacc = n->capacc = 0;
	if (k && ember_admit_submit(n->cfg.admit, items, k, EMBER_SRC_RPC,
	                            sendtx_done, n) != 0) {
		/* every call has been answered */
	}
	free(items);
}

static void m_sendtx(struct rpc_call *call, json_t *params, void *ctx)
{
	struct rpc_node *n = ctx;
	const char *hex = json_string_value(json_array_get(params, 0));
	uint8_t *buf = NULL;
	size_t hlen, len;

	if (!hex) {
		rpc_error(call, RPC_INVALID_PARAMS, "hex must be a string");
		return;
	}
	hlen = strlen(hex);
	/* The largest kind bounds the allocation; admission checks the
	 * kind's own limit. */
	if (hlen > 2 * EMBER_TX_PROOF_MAX_SIZE) {
		rpc_error_data(call, RPC_ERR_TX_REJECTED,
		               json_pack("{s:i, s:s}", "code", EMBER_TX_TOO_LARGE, "error",
		                         ember_strerror(EMBER_TX_TOO_LARGE)),
		               "tx of %zu bytes exceeds the limit of %d", hlen / 2,
		               EMBER_TX_PROOF_MAX_SIZE);
		return;
	}
	if (hlen % 2 || !(buf = malloc(hlen / 2 + 1)) ||
	    ember_hex_decode(hex, hlen, buf, hlen / 2, &len)) {
		if (!buf && hlen % 2 == 0)
			rpc_error(call, RPC_ERR_BUSY, "node out of memory; try again");
		else
			rpc_error(call, RPC_INVALID_PARAMS, "hex is not an even number of hex digits");
		free(buf);
		return;
	}
	if (n->nacc == n->capacc) {
		size_t cap = n->capacc ? n->capacc * 2 : 256;
		void *np = realloc(n->acc, cap * sizeof(*n->acc));
		if (!np) {
			rpc_error(call, RPC_ERR_BUSY, "node out of memory; try again");
			free(buf);
			return;
		}
		n->acc = np;
		n->capacc = cap;
	}
	n->acc[n->nacc].enc = buf;      /* admission takes it */
	n->acc[n->nacc].len = len;
	n->acc[n->nacc].user = call;
	if (n->nacc++ == 0)
		event_active(n->flush_ev, EV_WRITE, 0);
}

/* --- admin -------------------------------------------------------------- */

/* addpeer, disconnectpeer, banpeer, listbanned: the node's network does
 * the work (rpc/ does not include p2p/). */
static void net_admin(struct rpc_call *call, json_t *params, struct rpc_node *n,
                      const char *op)
{
	json_t *res = NULL;
	char err[256] = "";
	int rc;

	if (!n->cfg.net_admin) {
		rpc_error(call, RPC_INTERNAL_ERROR, "this node runs without a network (--no-p2p)");
		return;
	}
	rc = n->cfg.net_admin(n->cfg.net_ctx, op, params, &res, err, sizeof(err));
	if (rc == EMBER_ENOTFOUND)
		rpc_error(call, RPC_ERR_NOT_FOUND, "%s", err);
	else if (rc)
		rpc_error(call, RPC_INVALID_PARAMS, "%s", err[0] ? err : ember_strerror(rc));
	else
		rpc_result(call, res);
}

static void m_addpeer(struct rpc_call *call, json_t *params, void *ctx)
{
	net_admin(call, params, ctx, "addpeer");
}

static void m_disconnectpeer(struct rpc_call *call, json_t *params, void *ctx)
{
	net_admin(call, params, ctx, "disconnectpeer");
}

static void m_banpeer(struct rpc_call *call, json_t *params, void *ctx)
{
	net_admin(call, params, ctx, "banpeer");
}

static void m_listbanned(struct rpc_call *call, json_t *params, void *ctx)
{
	net_admin(call, params, ctx, "listbanned");
}

static void m_stop(struct rpc_call *call, json_t *params, void *ctx)
{
	struct rpc_node *n = ctx;
	if (!n->cfg.stop) {
		rpc_error(call, RPC_INTERNAL_ERROR, "this node cannot be stopped over RPC");
		return;
	}
	rpc_result(call, json_string("Ember stopping"));
	n->cfg.stop(n->cfg.stop_ctx);
}

static const struct rpc_method node_methods[] = {
	{ "getstatus", m_getstatus, 0, 0, 0, { NULL },
	  "chain id, height, tip hash, state root, mempool size" },
	{ "getblock", m_getblock, 1, 1, RPC_F_READONLY, { "id", NULL },
	  "block header and txids by height or hash" },
	{ "gettx", m_gettx, 1, 1, 0, { "txid", NULL },
	  "a transaction, committed or pending, with its raw hex" },
	{ "getaccount", m_getaccount, 1, 1, 0, { "address", NULL },
	  "balance and nonces of an account" },
	{ "getpeers", m_getpeers, 0, 0, 0, { NULL },
	  "connected peers: node id, address, direction, height, bytes in/out" },
	{ "sendtx", m_sendtx, 1, 1, 0, { "hex", NULL },
	  "submit a signed transaction; returns its txid" },
	{ "addpeer", m_addpeer, 1, 1, RPC_F_AUTH, { "peer", NULL },
	  "dial [ID@]HOST:PORT and keep it as a peer (needs the cookie)" },
	{ "disconnectpeer", m_disconnectpeer, 1, 1, RPC_F_AUTH, { "id", NULL },
	  "close the connection to a node id (needs the cookie)" },
	{ "banpeer", m_banpeer, 1, 2, RPC_F_AUTH, { "peer", "seconds", NULL },
	  "discourage a node id or an IP address (default 600 s; needs the cookie)" },
	{ "listbanned", m_listbanned, 0, 0, RPC_F_AUTH, { NULL },
	  "discouraged node ids and addresses with the seconds left (needs the cookie)" },
	{ "stop", m_stop, 0, 0, RPC_F_AUTH, { NULL },
	  "stop the node (needs the cookie)" },
};

const struct rpc_method *rpc_node_methods(size_t *count)
{
	*count = sizeof(node_methods) / sizeof(node_methods[0]);
	return node_methods;
}

/* --- lifecycle, metrics, explorer --------------------------------------- */

int rpc_node_new(struct rpc_node **out, const struct rpc_node_cfg *cfg)
{
	struct rpc_node *n = calloc(1, sizeof(*n));
	if (!n)
		return EMBER_ENOMEM;
	n->cfg = *cfg;
	/* Low priority is not needed: an active event runs after the current
	 * callback returns, so a whole HTTP batch lands in one flush. */
	n->flush_ev = event_new(cfg->base, -1, 0, flush_cb, n);
	if (!n->flush_ev || rpc_metrics_new(&n->metrics, &n->cfg) != 0) {
		if (n->flush_ev)
			event_free(n->flush_ev);
		free(n);
		return EMBER_ENOMEM;
	}
	*out = n;
	return 0;
}

void rpc_node_free(struct rpc_node *n)
{
	if (!n)
		return;
	/* Calls not yet flushed die with their server (rpc.h). */
	for (size_t i = 0; i < n->nacc; i++)
		free(n->acc[i].enc);
	free(n->acc);
	event_free(n->flush_ev);
	rpc_metrics_free(n->metrics);
	free(n);
}

void rpc_node_set_server(struct rpc_node *n, struct rpc_server *s)
{
	n->server = s;
	/* Beside the "/" page the node routes: without these (no memory)
	 * /explorer/ answers 404 and the node runs on. */
	if (s && rpc_node_explorer_routes(s, n) != 0)
		return;
}

struct ember_store *rpc_node_store(struct rpc_node *n)
{
	return n->cfg.store;
}

const struct ember_genesis *rpc_node_genesis(struct rpc_node *n)
{
	return n->cfg.g;
}

int rpc_node_consensus(struct rpc_node *n, struct rpc_consensus *out)
{
	if (!n->cfg.consensus)
		return -1;
	return n->cfg.consensus(n->cfg.cons_ctx, out);
}

int rpc_node_metrics(struct evbuffer *body, const char **content_type, void *ctx)
{
	struct rpc_node *n = ctx;

	*content_type = "text/plain; version=0.0.4";
	return rpc_metrics_write(n->metrics, n->server, body);
}

void rpc_node_block_committed(struct rpc_node *n)
{
	if (n)
		rpc_metrics_block(n->metrics);
}
