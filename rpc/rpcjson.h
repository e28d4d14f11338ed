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

#endif
