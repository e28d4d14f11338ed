/*
 * rpc_metrics_internal.h - the node's Prometheus page, GET /metrics (rpc/
 * internal; docs/metrics.md lists every series).  methods.c owns one per
 * struct rpc_node and calls these from rpc_node_metrics() and
 * rpc_node_block_committed() (rpcnode.h).
 *
 * Everything runs on the event-loop thread: the block hook, where the
 * execute/commit/interval histograms are fed, and the scrape, which reads
 * the ledger in one LMDB read transaction.  rpc_metrics.c says what each
 * part of a scrape costs.
 */
#ifndef EMBER_RPC_METRICS_INTERNAL_H
#define EMBER_RPC_METRICS_INTERNAL_H

#include "ember/rpcnode.h"

struct evbuffer;
struct rpc_metrics;

/*
 * New, for the node described by cfg (borrowed: it must outlive the
 * result).  The challenge and slash counters count the epochs that close
 * from now on: the first is the one in progress in the ledger now.
 * Returns: 0, EMBER_ENOMEM (EMBER_EINVAL: a bucket table out of order).
 */
int rpc_metrics_new(struct rpc_metrics **out, const struct rpc_node_cfg *cfg);
void rpc_metrics_free(struct rpc_metrics *m);

/* A block was committed: fold its times (cons_stats) into the
 * histograms.  A call for a block already counted does nothing. */
void rpc_metrics_block(struct rpc_metrics *m);

/* The page, in Prometheus' text format 0.0.4, into body; srv (may be
 * NULL) gives the RPC counters.  Returns: an HTTP status, 200. */
int rpc_metrics_write(struct rpc_metrics *m, const struct rpc_server *srv,
                      struct evbuffer *body);

#endif
