/*
 * key.h - secp256k1 BIP-340 Schnorr keys and signatures (libsecp256k1).
 *
 * An account is its 32-byte x-only public key.  Verification uses the
 * library's static context; signing uses one process-wide randomized context
 * created on first use (thread-safe).  Secret keys are wiped by
 * ember_keypair_clear().
 */
#ifndef EMBER_KEY_H
#define EMBER_KEY_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define EMBER_PUBKEY_LEN 32
#define EMBER_SECKEY_LEN 32
#define EMBER_SIG_LEN 64

struct ember_keypair {
	uint8_t seckey[32];
	uint8_t pub[32];      /* x-only public key */
};

/* Returns: 0, or EMBER_CRYPTO_SECKEY if sk is zero or >= the group order. */
EMBER_WUR int ember_keypair_from_seckey(struct ember_keypair *kp,
                                        const uint8_t sk[32]);
/* Fresh key from libsodium's randombytes. Returns: 0 or EMBER_EINTERNAL. */
EMBER_WUR int ember_keypair_generate(struct ember_keypair *kp);
/* Wipe the secret (sodium_memzero). */
void ember_keypair_clear(struct ember_keypair *kp);

/*
 * BIP-340 sign msg (any length, BIP-340 variable-length rules).  aux32 may be
 * NULL (then 32 fresh random bytes are used) or 32 bytes of auxiliary
 * randomness (tests pass the vector's aux_rand).
 * Returns: 0 or EMBER_CRYPTO_SIGN.
 */
EMBER_WUR int ember_schnorr_sign(const struct ember_keypair *kp,
                                 const uint8_t *msg, size_t msglen,
                                 const uint8_t *aux32, uint8_t sig[64]);

/* Returns: 1 if sig is a valid BIP-340 signature of msg by pub, else 0
 * (including when pub is not a valid x-only key). */
int ember_schnorr_verify(const uint8_t pub[32], const uint8_t *msg,
                         size_t msglen, const uint8_t sig[64]);

/* Returns: 1 if pub is a valid x-only public key, else 0. */
int ember_pubkey_valid(const uint8_t pub[32]);

#endif
