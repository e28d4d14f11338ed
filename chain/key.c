/*
 * key.c - BIP-340 Schnorr keys over libsecp256k1.
 *
 * Verification and key checks use secp256k1_context_static: since 0.2.0 it
 * can do everything except operations on secrets.  Signing and key
 * derivation use one process-wide context, created on first use and
 * randomized (blinding against side channels) with libsodium's RNG.
 *
 * Every argument the library would reject through its illegal-argument
 * callback (which aborts) is checked here first, so misuse is EMBER_EINVAL
 * or a 0 result rather than a crash.
 */
#include "ember/key.h"

#include <pthread.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <sodium.h>

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static secp256k1_context *key_sign_ctx;  /* NULL if setup failed */

static void key_init(void)
{
	secp256k1_context *ctx;
	uint8_t seed[32];

	/* Idempotent; the randomness below and in signing needs it. */
	if (sodium_init() < 0)
		return;
	secp256k1_selftest();
	ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (!ctx)
		return;
	randombytes_buf(seed, sizeof seed);
	if (!secp256k1_context_randomize(ctx, seed)) {
		secp256k1_context_destroy(ctx);
		ctx = NULL;
	}
	sodium_memzero(seed, sizeof seed);
	key_sign_ctx = ctx;
}

/* Returns: the signing context, or NULL if it could not be set up. */
static secp256k1_context *key_ctx(void)
{
	pthread_once(&key_once, key_init);
	return key_sign_ctx;
}

int ember_keypair_from_seckey(struct ember_keypair *kp, const uint8_t sk[32])
{
	secp256k1_context *ctx = key_ctx();
	secp256k1_keypair pair;
	secp256k1_xonly_pubkey xpk;
	int ok;

	if (!kp || !sk)
		return EMBER_EINVAL;
	if (!ctx)
		return EMBER_EINTERNAL;
	/* keypair_create fails exactly when sk is zero or >= the order. */
	ok = secp256k1_keypair_create(ctx, &pair, sk) &&
	     secp256k1_keypair_xonly_pub(secp256k1_context_static, &xpk, NULL,
	                                 &pair) &&
	     secp256k1_xonly_pubkey_serialize(secp256k1_context_static, kp->pub,
	                                      &xpk);
	sodium_memzero(&pair, sizeof pair);
	if (!ok)
		return EMBER_CRYPTO_SECKEY;
	/* sk may alias kp->seckey; memmove keeps that well defined. */
	memmove(kp->seckey, sk, 32);
	return EMBER_OK;
}

int ember_keypair_generate(struct ember_keypair *kp)
{
	uint8_t sk[32];
	int rc;

	if (!kp)
		return EMBER_EINVAL;
	if (!key_ctx())
		return EMBER_EINTERNAL;
	/* A uniform 256-bit value is out of range with probability ~2^-128. */
	do {
		randombytes_buf(sk, sizeof sk);
		rc = ember_keypair_from_seckey(kp, sk);
	} while (rc == EMBER_CRYPTO_SECKEY);
	sodium_memzero(sk, sizeof sk);
	return rc == EMBER_OK ? EMBER_OK : EMBER_EINTERNAL;
}

void ember_keypair_clear(struct ember_keypair *kp)
{
	if (kp)
		sodium_memzero(kp, sizeof *kp);
}

int ember_schnorr_sign(const struct ember_keypair *kp, const uint8_t *msg,
                       size_t msglen, const uint8_t *aux32, uint8_t sig[64])
{
	secp256k1_context *ctx = key_ctx();
	secp256k1_schnorrsig_extraparams ep = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
	secp256k1_keypair pair;
	uint8_t aux[32];
	int ok;

	if (!kp || !sig || (!msg && msglen))
		return EMBER_EINVAL;
	if (!ctx)
		return EMBER_CRYPTO_SIGN;
	if (aux32)
		memcpy(aux, aux32, 32);
	else
		randombytes_buf(aux, sizeof aux);
	ep.ndata = aux;
	ok = secp256k1_keypair_create(ctx, &pair, kp->seckey) &&
	     secp256k1_schnorrsig_sign_custom(ctx, sig, msg, msglen, &pair, &ep);
	sodium_memzero(&pair, sizeof pair);
	sodium_memzero(aux, sizeof aux);
	return ok ? EMBER_OK : EMBER_CRYPTO_SIGN;
}

int ember_schnorr_verify(const uint8_t pub[32], const uint8_t *msg,
                         size_t msglen, const uint8_t sig[64])
{
	secp256k1_xonly_pubkey xpk;

	if (!pub || !sig || (!msg && msglen))
		return 0;
	if (!secp256k1_xonly_pubkey_parse(secp256k1_context_static, &xpk, pub))
		return 0;
	return secp256k1_schnorrsig_verify(secp256k1_context_static, sig, msg,
	                                   msglen, &xpk);
}

int ember_pubkey_valid(const uint8_t pub[32])
{
	secp256k1_xonly_pubkey xpk;

	if (!pub)
		return 0;
	return secp256k1_xonly_pubkey_parse(secp256k1_context_static, &xpk, pub);
}
