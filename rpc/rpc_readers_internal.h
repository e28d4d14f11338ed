/*
 * rpc_readers_internal.h - the JSON-RPC server's reader pool (rpc/
 * internal): read-only methods (RPC_F_READONLY) run on a few threads of
 * their own, each in its own LMDB read transactions, so an O(state) read
 * such as getnetworkstats never stalls the loop that serves blocks, peers
 * and every other client.
 *
 * A job is (handler, call, a private copy of its params).  The handler
 * runs on a reader thread and answers with rpc_result()/rpc_error() as
 * usual; while it runs, those calls only record the answer in the job
 * (rpc_readers_capture), because the server is the loop's.  Finished jobs
 * go back to the loop through an eventfd, where the recorded answers are
 * delivered.  The queue is bounded: past it, submit says busy.
 */
#ifndef EMBER_RPC_READERS_INTERNAL_H
#define EMBER_RPC_READERS_INTERNAL_H

#include <stddef.h>
#include <jansson.h>
#include "ember/rpc.h"

struct event_base;
struct rpc_readers;

/* Deliver a recorded answer on the loop thread: resp is the response
 * member ("result" value or "error" object, stolen); is_error says which;
 * resp NULL: the handler never answered. */
typedef void (*rpc_readers_deliver_fn)(struct rpc_call *call, json_t *resp,
                                       int is_error);

/* Returns: 0, EMBER_ENOMEM, EMBER_EIO (eventfd or threads). */
int rpc_readers_new(struct rpc_readers **out, struct event_base *base,
                    unsigned nthreads, size_t max_queue,
                    rpc_readers_deliver_fn deliver);
/* Stop and join the threads, then deliver every finished job and answer
 * the unstarted ones as not run (resp NULL).  Loop thread. */
void rpc_readers_free(struct rpc_readers *r);

/* Queue fn(call, params, ctx) for a reader; params is stolen.
 * Returns: 0, EMBER_EBUSY (queue full: answer the call busy). */
int rpc_readers_submit(struct rpc_readers *r, rpc_handler fn,
                       struct rpc_call *call, json_t *params, void *ctx);

/*
 * Called by rpc_result/rpc_error first: on a reader thread running call's
 * job, record resp (stolen) and return 1; anywhere else return 0 (answer
 * normally).
 */
int rpc_readers_capture(struct rpc_call *call, json_t *resp, int is_error);

#endif
