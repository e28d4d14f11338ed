/*
 * genesis.h - the genesis document.
 *
 * JSON file (genesis.json in the data directory):
 * {
 *   "chain_id": "ember-devnet",
 *   "genesis_time_ms": 1764000000000,
 *   "block_time_ms": 1000,
 *   "min_fee": "1000",                      base units, as a decimal string
 *   "token_model": "bme",                   bme | sfa | hybrid
 *   "allocations": [ { "address": "ember1...", "amount": "1000000000000" } ],
 *   "validators":  [ { "pubkey": "<64 hex>", "power": 10 } ],
 *   "params": { "epoch_blocks": 60, ... },          optional, see below
 *   "gpu_classes": [ { "id": 1, "name": "h100-80g", "vram_gib": 80,
 *                      "min_stake_per_gpu": "100000000000",
 *                      "challenge_n": 4096 } ]      optional
 * }
 * "params" may name any subset of struct ember_params' fields (same names;
 * u64 amounts as decimal strings, the rest as JSON integers); a missing
 * field takes the default from ember_params_default().  A missing
 * "gpu_classes" takes the default table (ember_gpu_classes_default()).
 * Amounts are decimal strings of base units because JSON numbers cannot hold
 * every u64.  Unknown keys are rejected (a typo must not silently become a
 * default).  Duplicate allocation addresses and validators are rejected.
 *
 * The genesis hash is SHA-256 over a canonical binary encoding of the parsed
 * document (not the JSON text), so whitespace and key order do not matter.
 *
 * Horizon rule.  Every number a genesis gives is bounded so that the chain
 * it starts carries its numbers in their types for 100 years (100 x 365.25
 * days) of blocks, and a value outside its range is refused with the
 * field's name, its value and the range: 'genesis: params: field
 * "emission_initial" is 18446744073709551615; allowed 0..N (supply plus
 * 100 years of emission must fit in 64 bits)'.  In particular:
 *  - genesis_time_ms is 2020-01-01..2200-01-01 UTC (Unix ms), so the last
 *    block time of the horizon is still a signed 64-bit number (RPC, JSON);
 *    block_time_ms is 10 ms..10 minutes.
 *  - emission: with N = ceil(100 years / (block_time_ms x epoch_blocks))
 *    epochs and decay d bps, tokenomics mints at most emission_initial x F
 *    over the horizon, F = N if d is 0, else min(N, ceil(10000 / d)) (the
 *    geometric sum).  total supply + emission_initial x F <= 2^64 - 1, so
 *    supply + minted never overflows; with zero decay that is N epochs of
 *    the full emission.
 *  - min_fee is at most the largest allocation (someone can pay a fee).
 *  - bps fields are 0..10000; counts and sizes are within what the code
 *    allocates (EMBER_GEN_MAX_* below, the params' ranges in genesis.c);
 *    oracle_initial_uusd is within a price report's range (EMBER_PRICE_MAX);
 *    a class's min_stake_per_gpu x EMBER_GPUS_MAX fits in 64 bits.
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

#define EMBER_GEN_MAX_CLASSES 64
#define EMBER_CLASS_NAME_MAX 31         /* [a-z0-9-] */

/*
 * A GPU class: a model a provider may claim.  It fixes the SFA stake a GPU
 * needs and the size of the provider's compute challenge (the GPU-proof
 * issue).
 */
struct ember_gpu_class {
	uint16_t id;                        /* 1..65535, unique */
	char name[EMBER_CLASS_NAME_MAX + 1];
	uint32_t vram_gib;                  /* minimum VRAM a provider must claim */
	uint64_t min_stake_per_gpu;         /* base units (SFA, hybrid) */
	uint32_t challenge_n;               /* matrix size N, a power of two */
};

/*
 * Token-economy parameters.  All integer; bps = basis points (1/10,000).
 * Times are in blocks or epochs, never wall-clock.
 */
struct ember_params {
	uint64_t epoch_blocks;              /* blocks per epoch, >= 1 */
	uint64_t unbonding_blocks;          /* unstake -> balance delay */
	uint64_t order_ttl_blocks;          /* an open order expires after this */
	uint32_t max_bids_per_order;        /* 1..256 */
	uint32_t max_unbonding_entries;     /* per account, 1..256 */
	uint32_t protocol_fee_bps;          /* SFA: burned share of a payment */
	uint64_t emission_initial;          /* base units minted in epoch 0 */
	uint32_t emission_decay_bps;        /* per-epoch decay of the emission */
	uint32_t hybrid_work_share_bps;     /* hybrid: emission to the work pool */
	uint64_t oracle_initial_uusd;       /* micro-USD per EMB until the first
	                                     * reports; 0 = no price at genesis */
	uint32_t oracle_max_age_epochs;     /* older than this -> stale */
	uint32_t slash_fault_bps;           /* failed or missed challenge */
	uint32_t slash_declared_bps;        /* missed during declared maintenance */
	uint32_t slash_double_sign_bps;
	uint32_t slash_downtime_bps;        /* a validator that missed more than
	                                     * downtime_missed_bps of an epoch's
	                                     * last commits */
	uint32_t downtime_missed_bps;
	uint32_t slash_cap_bps;             /* most slashed from one offender in
	                                     * one epoch, of its stake+unbonding */
	uint32_t jail_epochs;               /* jail after an undeclared fault */
	/* GPU proofs (docs/proofs.md) */
	uint32_t challenges_enabled;        /* 0: no challenges, every provider
	                                     * passes (the pre-proof behaviour) */
	uint64_t challenge_deadline_blocks; /* proof due by epoch start + this;
	                                     * < epoch_blocks */
	uint32_t proof_openings;            /* Fiat-Shamir openings per proof */
	uint32_t proof_pow_bits;            /* grinding cost, leading zero bits */
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
	struct ember_params params;
	size_t nclass;
	struct ember_gpu_class *classes;     /* owned, sorted by id (hashed in
	                                      * stored order: keep it sorted) */
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
/* Write g as JSON (pretty, keys in the order above).
 * Returns: 0, EMBER_EINVAL (NULL, or a struct load would refuse),
 * EMBER_ERANGE, EMBER_ENOMEM, EMBER_EIO. */
EMBER_WUR int ember_genesis_save(const struct ember_genesis *g,
                                 const char *path);
/* Recompute g->hash and g->total_supply from the fields.
 * Returns: 0 or EMBER_TX_OVERFLOW if allocations overflow u64. */
EMBER_WUR int ember_genesis_finish(struct ember_genesis *g);
void ember_genesis_release(struct ember_genesis *g);

/* Defaults used when "params" or one of its fields is absent. */
void ember_params_default(struct ember_params *p);
/* The default GPU class table (static storage); *n gets its length. */
const struct ember_gpu_class *ember_gpu_classes_default(size_t *n);
/* Copy the default class table into g->classes (owned; any previous table
 * is freed, so g must be zeroed or loaded first).
 * Returns: 0 or EMBER_ENOMEM. */
EMBER_WUR int ember_genesis_default_classes(struct ember_genesis *g);
/* Look up a class by id; NULL if the genesis has none with that id. */
const struct ember_gpu_class *ember_genesis_class(const struct ember_genesis *g,
                                                  uint16_t id);

/* Token model as an enum (parsed from g->token_model). */
enum ember_token_model { EMBER_MODEL_NONE = 0,  /* unknown string */
                         EMBER_MODEL_BME = 1, EMBER_MODEL_SFA = 2,
                         EMBER_MODEL_HYBRID = 3 };
enum ember_token_model ember_genesis_model(const struct ember_genesis *g);

#endif
