/*
 * rpcjson.h - JSON values the node's RPC methods share (rpc/ internal).
 * Each returns a new reference, or NULL when memory runs out (jansson's
 * setters treat a NULL value as an error, so callers need no extra check).
 */
#ifndef EMBER_RPCJSON_H
#define EMBER_RPCJSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Lowercase hex of n bytes. */
json_t *rpc_json_hex(const uint8_t *p, size_t n);
/* bech32m address of an x-only public key. */
json_t *rpc_json_addr(const uint8_t pub[32]);
/* A u64 as a decimal string: a JSON number cannot carry every u64. */
json_t *rpc_json_u64(uint64_t v);

/*
 * Optional positional params.  Each returns 1 when param i is given, 0 when
 * it is absent or null (by-name calls fill gaps with null), and -1 after
 * answering the call with -32602 and a message naming the param.
 *   u64:  a JSON integer >= 0 or a decimal string (a JSON number cannot
 *         carry every u64)
 *   str:  a string (*out points into params)
 *   addr: a bech32m address
 */
struct rpc_call;
int rpc_param_u64(struct rpc_call *call, json_t *params, size_t i,
                  const char *name, uint64_t *out);
int rpc_param_str(struct rpc_call *call, json_t *params, size_t i,
                  const char *name, const char **out);
int rpc_param_addr(struct rpc_call *call, json_t *params, size_t i,
                   const char *name, uint8_t pub[32]);

/*
 * A read at the tip: begin a read txn on store and read the chain tip.
 * Returns 0, or -1 after answering the call (-32603 naming what failed;
 * no txn is left open).  The caller ends *t with ember_txn_abort().
 */
struct ember_store;
struct ember_txn;
struct ember_tip;
int rpc_read_tip(struct rpc_call *call, struct ember_store *store,
                 struct ember_txn **t, struct ember_tip *tip);
/* Answer -32603 "cannot read <what>: <reason>" (or out of memory). */
void rpc_read_fail(struct rpc_call *call, const char *what, int rc);
/* Answer with o; NULL means memory ran out while building it. */
void rpc_reply(struct rpc_call *call, json_t *o);

#endif
