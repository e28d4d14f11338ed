/*
 * rpcnode.h - the node's JSON-RPC methods (docs/rpc.md) on top of the
 * generic server in rpc.h.
 *
 * sendtx is a thin caller of admission (admit.h): each call's hex is
 * decoded and joins the turn's batch, which goes to ember_admit_submit when
 * the event loop comes round (so a JSON-RPC batch of 1,000 sendtx calls is
 * one admission batch and one verify batch spread over every worker); each
 * call is answered with admission's verdict.
 */
#ifndef EMBER_RPCNODE_H
#define EMBER_RPCNODE_H

#include <stddef.h>
#include "error.h"
#include "rpc.h"
#include "admit.h"
#include "cons.h"

struct event_base;

/* A connected peer, as getpeers shows it (filled by the node from the
 * network, which rpc/ does not include). */
struct rpc_peer {
	uint8_t id[32];
	char addr[64];
	int inbound;
	uint64_t height, bytes_in, bytes_out, connected_ms;
	int64_t ping_ms;             /* -1: not measured yet */
};

/* Where BFT consensus stands on this node (getvalidators). */
struct rpc_validator {
	uint8_t pub[32];
	uint64_t power;
	int64_t priority;             /* CometBFT's proposer priority */
};
/* A vote as signed (getevidence). */
struct rpc_vote {
	uint8_t type;                 /* 1 prevote, 2 precommit */
	uint8_t nil;
	uint64_t height;
	uint32_t round;
	uint8_t value[32];            /* zero when nil */
	uint64_t time_ms;             /* what it signed (0 on a prevote) */
	uint8_t sig[64];
};
/* Two different votes of one validator for one (height, round, type):
 * a double sign this node saw. */
struct rpc_evidence {
	uint8_t validator[32];
	struct rpc_vote a, b;
};
#define RPC_EVIDENCE_MAX 16

struct rpc_consensus {
	uint64_t height;              /* being decided */
	uint32_t round;
	int step;                     /* bft.h's enum bft_step */
	int32_t locked_round;         /* -1: not locked */
	uint32_t proposer;            /* index of this round's proposer */
	int32_t self;                 /* our index; -1: not a validator */
	/* proposal (arrival) to commit, last `lat_n` commits here */
	uint32_t lat_p50_ms, lat_p99_ms;
	size_t lat_n;
	size_t n;
	struct rpc_validator v[128];
	/* The double signs this node saw since it started, newest first. */
	size_t nev;
	struct rpc_evidence ev[RPC_EVIDENCE_MAX];
};

struct rpc_node_cfg {
	struct event_base *base;
	struct ember_store *store;
	struct ember_mempool *mp;
	struct ember_admit *admit;     /* sendtx's path to the mempool */
	struct cons *cons;
	const struct ember_genesis *g;
	void (*stop)(void *ctx);       /* admin "stop" method; may be NULL */
	void *stop_ctx;
	/* The network (NULL: none): connected peers, and whether a peer is
	 * ahead (*target its height, *blocks_per_s the recent catch-up rate). */
	size_t (*peers)(void *ctx, struct rpc_peer *out, size_t max);
	int (*syncing)(void *ctx, uint64_t *target, uint64_t *blocks_per_s);
	/* Admin calls on the network: op is "addpeer", "disconnectpeer",
	 * "banpeer" or "listbanned" with the call's params; *result (new
	 * reference) on success, err filled on failure.  Returns 0 or the
	 * refusal code. */
	int (*net_admin)(void *ctx, const char *op, json_t *params, json_t **result,
	                 char *err, size_t errlen);
	void *net_ctx;
	/* Consensus (NULL, or returning nonzero: this node does not take
	 * part; getvalidators then lists the genesis set). */
	int (*consensus)(void *ctx, struct rpc_consensus *out);
	void *cons_ctx;
};

struct rpc_node;

/* Returns: 0 or EMBER_ENOMEM.  Free with rpc_node_free(). */
EMBER_WUR int rpc_node_new(struct rpc_node **out, const struct rpc_node_cfg *cfg);
void rpc_node_free(struct rpc_node *n);

/* The method table; pass n as the server's ctx. */
const struct rpc_method *rpc_node_methods(size_t *count);

/* GET /metrics (Prometheus text; docs/metrics.md lists the series,
 * rpc/rpc_metrics.c says what a scrape costs) and GET / (explorer page)
 * handlers; ctx is the struct rpc_node.  GET / sends the browser to
 * /explorer/ when the share directory has the explorer's files, else it
 * is a small built-in page (rpc/explorer.c says where the directory is
 * looked for). */
int rpc_node_metrics(struct evbuffer *body, const char **content_type, void *ctx);
/* The node committed a block (its own or a peer's): /metrics folds the
 * block's execute and commit times (cons_stats) and its interval into
 * its histograms.  Call once per commit, on the loop; a second call for
 * the same block, or n NULL, does nothing. */
void rpc_node_block_committed(struct rpc_node *n);
int rpc_node_explorer(struct evbuffer *body, const char **content_type, void *ctx);
/* GET /explorer/REST: the file REST of the share directory (index.html
 * for "" and names ending in '/'), 404 for anything else (rpc_tree_cb). */
int rpc_node_explorer_file(const char *rest, struct evbuffer *body,
                           const char **content_type, void *ctx);
/* Route /explorer/ on s to rpc_node_explorer_file and /explorer to
 * rpc_node_explorer; rpc_node_set_server does it.  Returns: 0,
 * EMBER_EEXIST or EMBER_ENOMEM. */
EMBER_WUR int rpc_node_explorer_routes(struct rpc_server *s, struct rpc_node *n);

/* Set the server: for /metrics counters, and it routes /explorer/. */
void rpc_node_set_server(struct rpc_node *n, struct rpc_server *s);

/* For method tables in other files: the node's store and genesis. */
struct ember_store *rpc_node_store(struct rpc_node *n);
/* The consensus callback's answer: 0, or nonzero when there is none. */
int rpc_node_consensus(struct rpc_node *n, struct rpc_consensus *out);
/*
 * Consensus over JSON-RPC (rpc/rpc_consensus.c): getvalidators (the set,
 * powers, proposer priorities, and the height/round/step being decided)
 * and getcommit (a block's commit certificate: round and signers).
 */
const struct rpc_method *rpc_consensus_methods(size_t *count);
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

/*
 * Account history (rpc/rpc_history.c): getaccounthistory, from the index
 * kept at block commit (history.h).  Same ctx (struct rpc_node); the node
 * serves this table too.
 */
const struct rpc_method *rpc_history_methods(size_t *count);

/* The payload fields of tx (per kind, named as in tx.h) as a new JSON
 * object that gettx merges into its answer; NULL for an unknown kind or
 * when memory runs out (rpc/market.c). */
struct ember_tx;
json_t *rpc_tx_payload_json(const struct ember_tx *tx);

#endif
