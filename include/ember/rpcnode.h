/*
 * rpcnode.h - the node's JSON-RPC methods (docs/rpc.md) on top of the
 * generic server in rpc.h.
 *
 * sendtx is asynchronous: each call decodes and checks its tx at once, then
 * joins the batch of txs waiting for signature verification; the batch goes
 * to the verify pool when the event loop comes round (so a JSON-RPC batch of
 * 1,000 sendtx calls becomes one verify batch spread over every worker).
 * The owner routes the pool's completed batches back through
 * rpc_node_verified() on the loop thread, where txs enter the mempool and
 * the calls are answered.
 */
#ifndef EMBER_RPCNODE_H
#define EMBER_RPCNODE_H

#include <stddef.h>
#include "error.h"
#include "rpc.h"
#include "cons.h"

struct event_base;

struct rpc_node_cfg {
	struct event_base *base;
	struct ember_store *store;
	struct ember_mempool *mp;
	struct ember_vpool *vpool;
	struct cons *cons;
	const struct ember_genesis *g;
	void (*stop)(void *ctx);       /* admin "stop" method; may be NULL */
	void *stop_ctx;
};

struct rpc_node;

/* Returns: 0 or EMBER_ENOMEM.  Free with rpc_node_free(). */
EMBER_WUR int rpc_node_new(struct rpc_node **out, const struct rpc_node_cfg *cfg);
void rpc_node_free(struct rpc_node *n);

/* The method table; pass n as the server's ctx. */
const struct rpc_method *rpc_node_methods(size_t *count);

/* A verify batch submitted by rpc_node has completed (loop thread).
 * Returns 1 if the batch was rpc_node's (and is now consumed), else 0. */
int rpc_node_verified(struct rpc_node *n, struct ember_vbatch *b);

/* GET /metrics (Prometheus text) and GET / (explorer page) handlers;
 * ctx is the struct rpc_node. */
int rpc_node_metrics(struct evbuffer *body, const char **content_type, void *ctx);
int rpc_node_explorer(struct evbuffer *body, const char **content_type, void *ctx);

/* For method tables in other files: the node's store and genesis. */
struct ember_store *rpc_node_store(struct rpc_node *n);
const struct ember_genesis *rpc_node_genesis(struct rpc_node *n);

/*
 * Token-economy and market reads (rpc/market.c): getprovider,
 * listproviders, getorder, listorders, getlease, listleases, getstake,
 * getsupply, getnetworkstats, getparams.  Same ctx (struct rpc_node) as
 * rpc_node_methods(); the node serves both tables.
 */
const struct rpc_method *rpc_market_methods(size_t *count);

/*
 * GPU-proof challenge reads (rpc/proofs.c): getchallenge, listchallenges.
 * Same ctx (struct rpc_node); the node serves this table too.
 */
const struct rpc_method *rpc_proof_methods(size_t *count);

/* The payload fields of tx (per kind, named as in tx.h) as a new JSON
 * object that gettx merges into its answer; NULL for an unknown kind or
 * when memory runs out (rpc/market.c). */
struct ember_tx;
json_t *rpc_tx_payload_json(const struct ember_tx *tx);

/* While why (a static string) is set, sendtx refuses every tx with
 * RPC_ERR_BUSY and that message (e.g. the disk is full); NULL ends it. */
void rpc_node_set_refusal(struct rpc_node *n, const char *why);
/* Set the server (for /metrics counters). */
void rpc_node_set_server(struct rpc_node *n, struct rpc_server *s);

#endif
