/*
 * tx.h - transactions: canonical encoding, ids, signing payload, stateless
 * checks.
 *
 * Wire form (all integers little-endian; varints minimal LEB128):
 *
 *   u8      version            must be EMBER_TX_VERSION
 *   u8      kind               enum ember_tx_kind
 *   varint  chain_id length    1..EMBER_CHAIN_ID_MAX
 *   bytes   chain_id           [a-z0-9-] only
 *   32      from               sender's x-only public key
 *   u64     nonce              sender's next nonce
 *   u64     fee                base units, paid to the block proposer
 *   ...     payload            per kind (see "Payload wire forms")
 *   64      sig                BIP-340 signature of the signing hash
 *
 * Signing hash = tagged_hash("ember/tx", encoding without the trailing sig).
 * The body carries the chain id, so a signature never replays on another
 * chain and a wrong chain is reported as such, not as a bad signature.
 * txid = SHA-256(full encoding, signature included); BIP-340 signatures are
 * not malleable by third parties, so the txid is stable.
 *
 * Encoding and decoding do not allocate.
 */
#ifndef EMBER_TX_H
#define EMBER_TX_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "key.h"

#define EMBER_TX_VERSION 1
#define EMBER_CHAIN_ID_MAX 32
#define EMBER_TX_MAX_SIZE 4096          /* bytes; decoders reject larger */
#define EMBER_TX_SIGHASH_TAG "ember/tx"

enum ember_tx_kind {
	EMBER_TX_TRANSFER = 1,
	EMBER_TX_STAKE = 2,            /* amount: balance -> stake */
	EMBER_TX_UNSTAKE = 3,          /* amount: stake -> unbonding queue */
	EMBER_TX_PROV_REGISTER = 4,    /* provider payload */
	EMBER_TX_PROV_UPDATE = 5,      /* provider payload (all fields replaced) */
	EMBER_TX_PROV_RETIRE = 6,      /* no payload */
	EMBER_TX_ORDER = 7,            /* tenant: order payload, deposit to escrow */
	EMBER_TX_BID = 8,              /* provider: order id, price */
	EMBER_TX_ACCEPT = 9,           /* tenant: order id, provider -> lease */
	EMBER_TX_CLOSE = 10,           /* tenant or provider: lease id */
	EMBER_TX_TOPUP = 11,           /* tenant: lease id, amount to escrow */
	EMBER_TX_CLAIM = 12,           /* no payload: rewards -> balance */
	EMBER_TX_PRICE = 13,           /* validator: token price, micro-USD/EMB */
	EMBER_TX_MAINTENANCE = 14,     /* provider: declare downtime for an epoch */
	EMBER_TX_EVIDENCE = 15,        /* anyone: two conflicting signed votes */
	EMBER_TX_PROOF = 16,           /* provider: answer to its GPU challenge */
	EMBER_TX_KIND_MAX = 16
};

#define EMBER_REGION_MAX 16            /* [a-z0-9-], 1..16 chars */
#define EMBER_ENDPOINT_MAX 128         /* printable ASCII, no spaces, 1..128 */
#define EMBER_GPUS_MAX 4096            /* per provider and per order */
#define EMBER_PRICE_MAX 1000000000000ULL  /* per GPU-hour, either unit */
#define EMBER_DURATION_MAX 100000000ULL   /* blocks */

struct ember_tx_transfer {
	uint8_t to[32];
	uint64_t amount;
};

/* stake, unstake, topup (lease_id used by topup only) */
struct ember_tx_amount {
	uint64_t lease_id;
	uint64_t amount;
};

/*
 * Provider register/update.  price_per_gpu_hour is in base units of EMB
 * for sfa and in micro-USD for bme and hybrid (the token model decides;
 * see market.h).  Strings are length-prefixed on the wire, NUL-terminated
 * here.
 */
struct ember_tx_provider {
	uint16_t gpu_class;            /* id in the genesis GPU class table */
	uint32_t gpus;                 /* 1..EMBER_GPUS_MAX */
	uint32_t vram_gib;             /* per GPU; >= the class's vram_gib */
	uint64_t price_per_gpu_hour;   /* 1..EMBER_PRICE_MAX */
	uint8_t region_len;
	char region[EMBER_REGION_MAX + 1];
	uint8_t endpoint_len;
	char endpoint[EMBER_ENDPOINT_MAX + 1];
};

struct ember_tx_order {
	uint16_t gpu_class;
	uint32_t gpus;                 /* 1..EMBER_GPUS_MAX */
	uint64_t max_price_per_gpu_hour;  /* 1..EMBER_PRICE_MAX */
	uint64_t duration_blocks;      /* 1..EMBER_DURATION_MAX */
	uint64_t deposit;              /* EMB base units into escrow, > 0 */
};

struct ember_tx_bid {
	uint64_t order_id;
	uint64_t price_per_gpu_hour;   /* 1..EMBER_PRICE_MAX */
};

struct ember_tx_accept {
	uint64_t order_id;
	uint8_t provider[32];
};

/* close: lease id */
struct ember_tx_ref {
	uint64_t id;
};

struct ember_tx_price {
	uint64_t price_uusd;           /* micro-USD per 1 EMB, 1..EMBER_PRICE_MAX */
};

struct ember_tx_maintenance {
	uint64_t epoch;                /* must be a future epoch */
};

/* Double-sign evidence: one validator signed two different block hashes
 * for the same (type, height, round). */
struct ember_tx_evidence {
	uint8_t validator[32];
	uint8_t vote_type;             /* EMBER_VOTE_PREVOTE / _PRECOMMIT */
	uint64_t height;
	uint32_t round;
	uint8_t hash_a[32];
	uint64_t time_a;               /* the time each vote signed (a */
	uint8_t sig_a[64];             /* precommit's clock; 0 on a prevote) */
	uint8_t hash_b[32];
	uint64_t time_b;
	uint8_t sig_b[64];
};

/* Proof of compute (proof.h).  body is a view into the buffer the tx was
 * decoded from (it is up to ~128 KiB, too big to copy into every struct):
 * whoever copies the encoding elsewhere calls ember_tx_rebind(). */
struct ember_tx_proof {
	uint64_t epoch;
	const uint8_t *body;
	uint32_t body_len;             /* 1..EMBER_PROOF_BODY_MAX */
};

/* Encoded size limit for a proof tx (other kinds: EMBER_TX_MAX_SIZE). */
#define EMBER_TX_PROOF_MAX_SIZE (128 * 1024)

struct ember_tx {
	uint8_t version;
	uint8_t kind;
	uint8_t chain_id_len;
	char chain_id[EMBER_CHAIN_ID_MAX + 1];  /* NUL-terminated copy */
	uint8_t from[32];
	uint64_t nonce;
	uint64_t fee;
	union {
		struct ember_tx_transfer transfer;
		struct ember_tx_amount amount;       /* stake, unstake, topup */
		struct ember_tx_provider provider;   /* register, update */
		struct ember_tx_order order;
		struct ember_tx_bid bid;
		struct ember_tx_accept accept;
		struct ember_tx_ref ref;             /* close */
		struct ember_tx_price price;
		struct ember_tx_maintenance maint;
		struct ember_tx_evidence evidence;
		struct ember_tx_proof proof;
	} u;
	uint8_t sig[64];
};

/*
 * Payload wire forms (after fee, before sig):
 *   transfer      32 to || u64 amount
 *   stake/unstake u64 amount
 *   topup         u64 lease_id || u64 amount
 *   register/update u16 class || u32 gpus || u32 vram_gib || u64 price ||
 *                 varint len || region || varint len || endpoint
 *   retire, claim (empty)
 *   order         u16 class || u32 gpus || u64 max_price || u64 duration ||
 *                 u64 deposit
 *   bid           u64 order_id || u64 price
 *   accept        u64 order_id || 32 provider
 *   close         u64 lease_id
 *   price         u64 price_uusd
 *   maintenance   u64 epoch
 *   evidence      32 validator || u8 type || u64 height || u32 round ||
 *                 32 hash_a || u64 time_a || 64 sig_a ||
 *                 32 hash_b || u64 time_b || 64 sig_b
 *   proof         u64 epoch || varint len || body (proof.h)
 * (u16 is little-endian, 2 bytes.)
 */

/* Point a proof tx's body at the same bytes inside enc, a copy of the
 * encoding it was decoded from (no-op for other kinds). */
void ember_tx_rebind(struct ember_tx *tx, const uint8_t *enc, size_t len);

/* Short lowercase name of a kind ("transfer", "stake", "provider_register",
 * ...), or NULL for an unknown kind; and the reverse (0 if unknown). */
const char *ember_tx_kind_name(uint8_t kind);
uint8_t ember_tx_kind_parse(const char *name);

/*
 * Fill the common fields of an unsigned tx of any kind (payload and sig
 * zeroed; the caller fills tx->u).  Returns: 0, EMBER_ENC_CHARSET,
 * EMBER_ENC_OVERSIZE, EMBER_ENC_KIND.
 */
EMBER_WUR int ember_tx_init(struct ember_tx *tx, uint8_t kind,
                            const char *chain_id, const uint8_t from[32],
                            uint64_t nonce, uint64_t fee);

/* Set a provider payload's strings (copies, sets the lengths).
 * Returns: 0, EMBER_ENC_OVERSIZE, EMBER_ENC_CHARSET. */
EMBER_WUR int ember_tx_set_provider_strings(struct ember_tx_provider *p,
                                            const char *region,
                                            const char *endpoint);
/* Returns: 1 if s is a valid region / endpoint, else 0. */
int ember_region_valid(const char *s, size_t len);
int ember_endpoint_valid(const char *s, size_t len);

/*
 * Fill a transfer (unsigned: sig zeroed).  chain_id must pass
 * ember_chain_id_valid().  Returns: 0 or EMBER_ENC_CHARSET/EMBER_ENC_OVERSIZE.
 */
EMBER_WUR int ember_tx_init_transfer(struct ember_tx *tx, const char *chain_id,
                                     const uint8_t from[32], uint64_t nonce,
                                     uint64_t fee, const uint8_t to[32],
                                     uint64_t amount);

/* Returns: 1 if s is 1..EMBER_CHAIN_ID_MAX chars of [a-z0-9-], else 0. */
int ember_chain_id_valid(const char *s, size_t len);

/*
 * Encode tx (with signature) into out.  *outlen gets the size.
 * Returns: 0, EMBER_ENC_BUFFER (cap too small), EMBER_EINVAL (bad kind).
 */
EMBER_WUR int ember_tx_encode(const struct ember_tx *tx, uint8_t *out,
                              size_t cap, size_t *outlen);
/* Size of the encoding (0 for an unknown kind). */
size_t ember_tx_encoded_size(const struct ember_tx *tx);

/*
 * Strict decode of exactly len bytes.  Rejects: len > EMBER_TX_MAX_SIZE
 * (EMBER_TX_PROOF_MAX_SIZE for a proof tx; a proof body is a view into in),
 * wrong version, unknown kind, chain id empty/too long/bad charset,
 * non-minimal varints, truncation, trailing bytes.
 * Returns: 0 or an EMBER_ENC_* code; *tx is unspecified on failure.
 */
EMBER_WUR int ember_tx_decode(struct ember_tx *tx, const uint8_t *in,
                              size_t len);

/* Signing hash (tagged "ember/tx" over the encoding minus the signature). */
EMBER_WUR int ember_tx_sighash(const struct ember_tx *tx, uint8_t out[32]);
/* txid = SHA-256 of the full encoding. */
void ember_txid(const uint8_t *enc, size_t len, uint8_t out[32]);

/* Sign in place with kp (kp->pub must equal tx->from).
 * Returns: 0, EMBER_EINVAL (key is not the sender), EMBER_CRYPTO_SIGN. */
EMBER_WUR int ember_tx_sign(struct ember_tx *tx,
                            const struct ember_keypair *kp);
/* Returns: 1 if the signature is valid for tx->from, else 0. */
int ember_tx_verify(const struct ember_tx *tx);

/*
 * Stateless checks that need no state and no signature verify: chain id
 * equals chain_id, fee >= min_fee, amounts (transfer, stake, unstake,
 * topup, order deposit) > 0, fee + amount does not overflow, counts and
 * prices within their ranges (EMBER_ERANGE), provider strings valid (a
 * struct built in memory never met the decoder), evidence vote type is 1 or
 * 2 and its hashes differ (EMBER_TOK_EVIDENCE).  Returns: 0,
 * EMBER_TX_WRONG_CHAIN, EMBER_TX_FEE_LOW, EMBER_TX_ZERO_AMOUNT,
 * EMBER_TX_OVERFLOW, EMBER_ERANGE, EMBER_ENC_OVERSIZE, EMBER_ENC_CHARSET,
 * EMBER_TOK_EVIDENCE, EMBER_ENC_KIND.
 */
EMBER_WUR int ember_tx_check(const struct ember_tx *tx, const char *chain_id,
                             uint64_t min_fee);

/* Total debited from the sender's balance (fee plus transfer amount, stake
 * amount, order deposit or topup amount); 0 on overflow or unknown kind. */
uint64_t ember_tx_cost(const struct ember_tx *tx);

#endif
