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
 *   ...     payload            per kind (transfer: 32 to, u64 amount)
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
	EMBER_TX_TRANSFER = 1
	/* later issues: stake, unstake, provider_*, order, bid, accept, ... */
};

struct ember_tx_transfer {
	uint8_t to[32];
	uint64_t amount;
};

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
	} u;
	uint8_t sig[64];
};

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
 * Strict decode of exactly len bytes.  Rejects: len > EMBER_TX_MAX_SIZE,
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
 * equals chain_id, fee >= min_fee, transfer amount > 0, fee + amount does
 * not overflow.  Returns: 0, EMBER_TX_WRONG_CHAIN, EMBER_TX_FEE_LOW,
 * EMBER_TX_ZERO_AMOUNT, EMBER_TX_OVERFLOW.
 */
EMBER_WUR int ember_tx_check(const struct ember_tx *tx, const char *chain_id,
                             uint64_t min_fee);

/* Total debited from the sender (amount + fee); 0 on overflow. */
uint64_t ember_tx_cost(const struct ember_tx *tx);

#endif
