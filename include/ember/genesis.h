/*
 * genesis.h - the genesis document.
 *
 * JSON file (genesis.json in the data directory):
 * {
 *   "chain_id": "ember-devnet",
 *   "genesis_time_ms": 1764000000000,
 *   "block_time_ms": 1000,
 *   "min_fee": "1000",                      base units, as a decimal string
 *   "token_model": "bme",                   bme | sfa | hybrid (later issues)
 *   "allocations": [ { "address": "ember1...", "amount": "1000000000000" } ],
 *   "validators":  [ { "pubkey": "<64 hex>", "power": 10 } ]
 * }
 * Amounts are decimal strings of base units because JSON numbers cannot hold
 * every u64.  Unknown keys are rejected (a typo must not silently become a
 * default).  Duplicate allocation addresses and validators are rejected.
 *
 * The genesis hash is SHA-256 over a canonical binary encoding of the parsed
 * document (not the JSON text), so whitespace and key order do not matter.
 */
#ifndef EMBER_GENESIS_H
#define EMBER_GENESIS_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "tx.h"

#define EMBER_GEN_MAX_ALLOC 100000
#define EMBER_GEN_MAX_VALIDATORS 128

struct ember_alloc {
	uint8_t pub[32];
	uint64_t amount;
};

struct ember_validator {
	uint8_t pub[32];
	uint64_t power;
};

struct ember_genesis {
	char chain_id[EMBER_CHAIN_ID_MAX + 1];
	uint64_t genesis_time_ms;
	uint64_t block_time_ms;
	uint64_t min_fee;
	char token_model[16];
	size_t nalloc;
	struct ember_alloc *allocs;          /* owned */
	size_t nval;
	struct ember_validator *vals;        /* owned */
	uint64_t total_supply;               /* sum of allocations, checked */
	uint8_t hash[32];                    /* canonical hash, set by load */
};

/*
 * Parse and validate.  On error, err (cap errlen) gets a message such as
 * "allocation 3: address 'ember1xx' has a bad checksum".
 * Returns: 0, EMBER_GEN_FORMAT, EMBER_EIO, EMBER_ENOMEM.  On success the
 * caller owns *g and frees it with ember_genesis_release().
 */
EMBER_WUR int ember_genesis_load(struct ember_genesis *g, const char *path,
                                 char *err, size_t errlen);
EMBER_WUR int ember_genesis_parse(struct ember_genesis *g, const char *json,
                                  size_t len, char *err, size_t errlen);
/* Write g as JSON (pretty, keys in the order above). */
EMBER_WUR int ember_genesis_save(const struct ember_genesis *g,
                                 const char *path);
/* Recompute g->hash and g->total_supply from the fields.
 * Returns: 0 or EMBER_TX_OVERFLOW if allocations overflow u64. */
EMBER_WUR int ember_genesis_finish(struct ember_genesis *g);
void ember_genesis_release(struct ember_genesis *g);

#endif
