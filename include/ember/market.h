/*
 * market.h - the GPU market's records as stored in consensus state, their
 * canonical encodings, the secondary-index keys, and the pure lease
 * settlement arithmetic.  Shared by tokenomics/ (writes), rpc/ (reads),
 * ember-sim and the tests.  No state access here: these are values.
 *
 * Units.  Token amounts are base units (1 EMB = 10^9).  A price per
 * GPU-hour is in base units for the sfa model and in micro-USD for bme and
 * hybrid (the tenant pays in USD terms; the tokens for it are burned).  An
 * oracle price is micro-USD per 1 EMB.  Time is in blocks; an hour is
 * 3,600,000 / block_time_ms blocks, which need not be whole, so the
 * arithmetic below never rounds an hour.
 *
 * Lease settlement (DESIGN.md, "Tokenomics").  A lease accepted in block
 * `start` is billed for blocks start+1 .. min(end, dry, close).  Billing is
 * split into segments: a segment starts at acceptance and at every epoch
 * boundary (where the oracle price may change), and within a segment the
 * rate is constant, so what n blocks of the segment cost is exact:
 *
 *   owed(n) = floor(n * num / den)      tokens for the first n blocks
 *   sfa:       num = price * gpus * block_time_ms,
 *              den = 3,600,000
 *   bme/hybrid num = price_uusd * gpus * block_time_ms * 10^9,
 *              den = 3,600,000 * oracle_uusd
 *
 * (128-bit intermediates; every factor is range-checked so nothing
 * overflows.)  Settling to height h charges owed(h - seg_start) - seg_paid.
 * The escrow runs dry at the last block b of the segment with
 * owed(b - seg_start) <= seg_paid + escrow; the lease is closed as of that
 * block with reason insufficient_funds, and the remainder (less than one
 * block's cost) goes back to the tenant.  Nothing is ever charged after
 * close_height, and a closed lease never reopens.
 */
#ifndef EMBER_MARKET_H
#define EMBER_MARKET_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "genesis.h"
#include "tx.h"

enum ember_prov_status { EMBER_PROV_ACTIVE = 1, EMBER_PROV_RETIRED = 2 };
enum ember_order_status { EMBER_ORDER_OPEN = 1, EMBER_ORDER_LEASED = 2,
                          EMBER_ORDER_EXPIRED = 3 };
enum ember_lease_status { EMBER_LEASE_OPEN = 1, EMBER_LEASE_CLOSED = 2 };
enum ember_close_reason {
	EMBER_CLOSE_NONE = 0,
	EMBER_CLOSE_TENANT = 1,        /* "tenant_closed" */
	EMBER_CLOSE_PROVIDER = 2,      /* "provider_closed" */
	EMBER_CLOSE_FUNDS = 3,         /* "insufficient_funds" */
	EMBER_CLOSE_COMPLETED = 4      /* "completed": duration reached */
};
/* A provider's challenge result for an epoch (tokenomics/proof.c and the
 * epoch judgment; with challenges_enabled = 0 nothing is recorded and NONE
 * counts as a pass). */
enum ember_chal_result { EMBER_CHAL_NONE = 0, EMBER_CHAL_PASS = 1,
                         EMBER_CHAL_FAIL = 2, EMBER_CHAL_MISSING = 3 };

#define EMBER_NO_EPOCH UINT64_MAX

/* EMBER_DB_PROVIDERS: owner pubkey -> provider */
struct ember_provider {
	uint8_t owner[32];
	uint8_t status;                 /* enum ember_prov_status */
	uint16_t gpu_class;
	uint32_t gpus;
	uint32_t vram_gib;
	uint64_t price_per_gpu_hour;    /* asking price (listing only) */
	uint8_t region_len;
	char region[EMBER_REGION_MAX + 1];
	uint8_t endpoint_len;
	char endpoint[EMBER_ENDPOINT_MAX + 1];
	uint32_t gpus_leased;           /* reserved by physically open leases */
	uint32_t open_leases;
	uint64_t registered_height;
	uint64_t updated_height;
	uint64_t work_epoch;            /* the epoch `work` counts for */
	uint64_t work;                  /* GPU-blocks settled in work_epoch */
	uint64_t work_total;            /* GPU-blocks, all time */
	uint64_t chal_epoch;            /* epoch of chal_result, or NO_EPOCH */
	uint8_t chal_result;            /* enum ember_chal_result */
	uint64_t uptime_epoch;          /* last epoch folded into uptime_bits */
	uint32_t uptime_bits;           /* bit i: passed in uptime_epoch - i */
	uint32_t uptime_known;          /* how many low bits are meaningful */
	uint64_t maint_epoch;           /* declared maintenance, or NO_EPOCH */
	uint64_t jailed_until;          /* jailed while epoch < this */
};

/* EMBER_DB_STAKES: account pubkey -> stake, unbonding and rewards */
struct ember_stake {
	uint64_t amount;                /* bonded */
	uint64_t unbonding;             /* sum of the account's unbonding entries */
	uint32_t unbonding_entries;
	uint64_t rewards;               /* accrued, claimable */
	uint64_t rewards_total;         /* credited, all time */
	uint64_t slash_epoch;           /* epoch of slash_bps_used, or NO_EPOCH */
	uint32_t slash_bps_used;        /* penalty taken in slash_epoch */
	uint64_t slashed_total;
};

/* EMBER_DB_ORDERS: be64 id -> order */
struct ember_order {
	uint64_t id;
	uint8_t tenant[32];
	uint8_t status;                 /* enum ember_order_status */
	uint16_t gpu_class;
	uint32_t gpus;
	uint64_t max_price_per_gpu_hour;
	uint64_t duration_blocks;
	uint64_t deposit;               /* escrow held while the order is open */
	uint64_t created_height;
	uint64_t expires_height;        /* open while height < expires_height */
	uint32_t nbids;
	uint64_t lease_id;              /* set when leased, else 0 */
};

/* EMBER_DB_BIDS: be64 order id || provider -> bid */
struct ember_bid {
	uint64_t order_id;
	uint8_t provider[32];
	uint64_t price_per_gpu_hour;
	uint64_t height;
};

/* EMBER_DB_LEASES: be64 id -> lease */
struct ember_lease {
	uint64_t id;
	uint64_t order_id;
	uint8_t tenant[32];
	uint8_t provider[32];
	uint16_t gpu_class;
	uint32_t gpus;
	uint64_t price_per_gpu_hour;    /* the accepted bid's price */
	uint8_t status;                 /* enum ember_lease_status */
	uint8_t close_reason;           /* enum ember_close_reason */
	uint64_t start_height;          /* accepted in this block; billed after */
	uint64_t end_height;            /* start + duration: completed here */
	uint64_t close_height;          /* 0 while open */
	uint64_t settled_height;        /* charged up to and including this */
	uint64_t seg_start;             /* current segment's first height - 1 */
	uint64_t seg_rate_uusd;         /* oracle price of the segment (bme,
	                                 * hybrid); 0 for sfa */
	uint64_t seg_paid;              /* charged within the segment */
	uint64_t escrow;                /* tokens still held */
	uint64_t paid_total;            /* tokens charged in all */
	uint64_t deposited_total;       /* deposit plus top-ups */
};

/* Encoded sizes are bounded by these (strings at their maxima). */
#define EMBER_PROVIDER_ENC_MAX 320
#define EMBER_STAKE_ENC_LEN 57
#define EMBER_ORDER_ENC_MAX 128
#define EMBER_BID_ENC_LEN 57
#define EMBER_LEASE_ENC_MAX 256

/*
 * Canonical encodings (fixed little-endian fields in struct order, strings
 * as u8 len || bytes, a leading u8 version = 1).  Decoders are strict (no
 * trailing bytes, enums in range) and return EMBER_STORE_CORRUPT on
 * anything else, since these bytes only ever come from our own writes.
 * encode returns the length written (cap must be >= the _MAX/_LEN above).
 */
size_t ember_provider_encode(const struct ember_provider *p, uint8_t *out);
EMBER_WUR int ember_provider_decode(struct ember_provider *p, const uint8_t *in,
                                    size_t len);
size_t ember_stake_encode(const struct ember_stake *s, uint8_t *out);
EMBER_WUR int ember_stake_decode(struct ember_stake *s, const uint8_t *in,
                                 size_t len);
size_t ember_order_encode(const struct ember_order *o, uint8_t *out);
EMBER_WUR int ember_order_decode(struct ember_order *o, const uint8_t *in,
                                 size_t len);
size_t ember_bid_encode(const struct ember_bid *b, uint8_t *out);
EMBER_WUR int ember_bid_decode(struct ember_bid *b, const uint8_t *in,
                               size_t len);
size_t ember_lease_encode(const struct ember_lease *l, uint8_t *out);
EMBER_WUR int ember_lease_decode(struct ember_lease *l, const uint8_t *in,
                                 size_t len);

/* A zeroed stake with slash_epoch = NO_EPOCH (what a missing record reads as). */
void ember_stake_init(struct ember_stake *s);

/*
 * EMBER_DB_INDEX keys.  Each starts with a prefix byte; values are empty
 * unless noted.  ids and heights are big-endian so key order is numeric.
 *   'L' be64 lease            every open lease (epoch-boundary settlement)
 *   'P' owner be64 lease      open leases of a provider (capacity)
 *   'p' owner be64 lease      all leases of a provider (listing)
 *   't' tenant be64 lease     all leases of a tenant (listing)
 *   'O' be64 order            open orders
 *   'o' tenant be64 order     all orders of a tenant (listing)
 *   'X' be64 expiry be64 order   open-order expiry queue
 *   'U' be64 release account     unbonding release queue
 *   'R' be64 epoch validator     price report; value le64 price_uusd
 *   'D' validator be64 height u8 type le32 round   punished double sign
 *   'M' be64 epoch validator     last commits of the epoch the validator
 *                                is missing from; value le64 count
 * Builders write the key into out (>= EMBER_IDX_KEY_MAX) and return its
 * length.
 */
#define EMBER_IDX_KEY_MAX 80
#define EMBER_IDX_LEASE_OPEN 'L'
#define EMBER_IDX_PROV_OPEN 'P'
#define EMBER_IDX_PROV_LEASE 'p'
#define EMBER_IDX_TENANT_LEASE 't'
#define EMBER_IDX_ORDER_OPEN 'O'
#define EMBER_IDX_TENANT_ORDER 'o'
#define EMBER_IDX_ORDER_EXPIRY 'X'
#define EMBER_IDX_UNBOND 'U'
#define EMBER_IDX_REPORT 'R'
#define EMBER_IDX_DOUBLE_SIGN 'D'
#define EMBER_IDX_MISSED 'M'
size_t ember_idx_id(uint8_t *out, uint8_t prefix, uint64_t id);
size_t ember_idx_pub_id(uint8_t *out, uint8_t prefix, const uint8_t pub[32],
                        uint64_t id);
size_t ember_idx_id_id(uint8_t *out, uint8_t prefix, uint64_t a, uint64_t b);
size_t ember_idx_id_pub(uint8_t *out, uint8_t prefix, uint64_t id,
                        const uint8_t pub[32]);
/* Primary keys: be64 id (orders, leases), be64 order || provider (bids),
 * account || be64 release (unbonding), "E" || be64 epoch (epoch records). */
size_t ember_key_id(uint8_t out[8], uint64_t id);
size_t ember_key_bid(uint8_t out[40], uint64_t order_id, const uint8_t prov[32]);
size_t ember_key_unbond(uint8_t out[40], const uint8_t acct[32], uint64_t release);
size_t ember_key_epoch(uint8_t out[9], uint64_t epoch);

/* Names for JSON ("active", "open", "leased", "insufficient_funds", ...);
 * NULL for an out-of-range value.  _parse: 0 if unknown. */
const char *ember_prov_status_name(uint8_t s);
const char *ember_order_status_name(uint8_t s);
const char *ember_lease_status_name(uint8_t s);
const char *ember_close_reason_name(uint8_t r);
const char *ember_chal_result_name(uint8_t r);
uint8_t ember_prov_status_parse(const char *s);
uint8_t ember_order_status_parse(const char *s);
uint8_t ember_lease_status_parse(const char *s);

/*
 * A provider's market state at an epoch, what RPC shows as its "status"
 * and filters on: the stored status, except that an active provider with
 * epoch < jailed_until is jailed.  A jailed provider is out of the market
 * (docs/economics.md, "Jail"): its bids are refused, its earlier bids
 * cannot be accepted, and it earns no emission, until the jail ends.
 * Jailed is derived, never stored, so it ends with the epoch without a
 * write; a retired provider shows retired whatever its jail.  Consensus
 * (tk_provider_eligible) and RPC both decide jail here.
 * Returns: enum ember_prov_state; 0 for a status out of range.
 */
enum ember_prov_state { EMBER_PROV_STATE_ACTIVE = 1,
                        EMBER_PROV_STATE_RETIRED = 2,
                        EMBER_PROV_STATE_JAILED = 3 };
uint8_t ember_prov_state(const struct ember_provider *p, uint64_t epoch);
/* "active", "retired", "jailed"; NULL out of range.  _parse: 0 if unknown. */
const char *ember_prov_state_name(uint8_t s);
uint8_t ember_prov_state_parse(const char *s);

/*
 * Settle lease l (copied to *out) to height h with the lease's current
 * segment rate: charges what blocks settled_height+1 .. min(h, end,
 * run-dry) cost, closing it (reason completed or insufficient_funds,
 * close_height the last billed block) when it reaches its end or runs dry.
 * An already-closed lease, or h <= settled_height, comes back unchanged.
 * Pure and deterministic; tokenomics/ writes the result, RPC shows it.
 * *charged gets the tokens charged by this step (0 if none); on a close the
 * refund owed to the tenant is out->escrow (the caller moves it).
 * block_time_ms is the genesis block time.
 * Returns: 0, EMBER_EINVAL (l not from our writes: a zero segment rate
 * under bme/hybrid), EMBER_TX_OVERFLOW.
 */
EMBER_WUR int ember_lease_settle(const struct ember_lease *l, uint64_t h,
                                 enum ember_token_model model,
                                 uint64_t block_time_ms,
                                 struct ember_lease *out, uint64_t *charged);

/*
 * Tokens n blocks of a lease cost at a segment rate (see above).
 * Returns: 0, EMBER_TX_OVERFLOW, EMBER_EINVAL.
 */
EMBER_WUR int ember_lease_cost(const struct ember_lease *l, uint64_t n,
                               enum ember_token_model model,
                               uint64_t block_time_ms, uint64_t rate_uusd,
                               uint64_t *out);

/*
 * Blocks of the current segment the lease's funds cover from seg_start,
 * i.e. the largest n with owed(n) <= seg_paid + escrow, capped at limit.
 * Returns: 0, EMBER_EINVAL, EMBER_TX_OVERFLOW.
 */
EMBER_WUR int ember_lease_covered(const struct ember_lease *l, uint64_t limit,
                                  enum ember_token_model model,
                                  uint64_t block_time_ms, uint64_t *out);

#endif
