/*
 * mnemonic.h - BIP-39 mnemonic phrases, and the BIP-32 derivation of
 * Ember account keys from them.  docs/wallet.md has the whole recipe, so
 * that another implementation can reproduce the keys.
 *
 * Phrase.  12, 15, 18, 21 or 24 words of the BIP-39 English list (128 to
 * 256 bits of entropy plus a SHA-256 checksum of ENT/32 bits).  ember-cli
 * makes 24 words from 32 bytes of libsodium's randombytes_buf; the others
 * are accepted so a phrase from another BIP-39 wallet can be imported.
 *
 * ASCII only.  BIP-39 hashes the NFKD form of the phrase and passphrase.
 * Every English word is ASCII, and NFKD leaves ASCII text as it is, so
 * for ASCII input no normalisation is needed; any byte >= 0x80, in the
 * phrase or the passphrase, is refused (EMBER_MN_ASCII) rather than hashed
 * unnormalised into a seed other wallets would not reproduce.
 *
 * Normal form.  Words in lower case, one space between them.  A typed
 * phrase may use any run of spaces, tabs and line breaks between words
 * and any case; the seed is always computed from the normal form.
 *
 * Seed.  PBKDF2-HMAC-SHA512(password = normal form, salt = "mnemonic" ||
 * passphrase, 2048 iterations), 64 bytes (OpenSSL PKCS5_PBKDF2_HMAC).
 *
 * Keys.  BIP-32: master (key, chain code) = HMAC-SHA512(key "Bitcoin
 * seed", seed); then hardened children only, along
 *     m / 44' / 3627' / 0' / 0' / INDEX'
 * (BIP-44 shape; 3627 is Ember's coin type, "EMBR" on a phone keypad, not
 * taken in SLIP-44 when chosen).  The child's 32-byte private key is the
 * BIP-340 secret key of the account (ember_keypair_from_seckey).
 * Public (non-hardened) derivation is not offered: nothing needs it, and a
 * leaked child key plus an xpub would expose the parent.
 *
 * Memory: nothing here allocates.  Intermediate secrets are wiped before
 * return; secrets in the caller's buffers are the caller's to wipe.
 */
#ifndef EMBER_MNEMONIC_H
#define EMBER_MNEMONIC_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "key.h"

#define EMBER_MNEMONIC_LIST_LEN 2048
#define EMBER_MNEMONIC_WORDS 24          /* what ember_mnemonic_generate makes */
#define EMBER_MNEMONIC_ENTROPY_MAX 32
#define EMBER_MNEMONIC_WORD_MAX 8        /* longest English word */
/* 24 words of at most 8 letters, 23 spaces, NUL */
#define EMBER_MNEMONIC_BUFLEN (24 * EMBER_MNEMONIC_WORD_MAX + 23 + 1)
#define EMBER_MNEMONIC_SEED_LEN 64
#define EMBER_MNEMONIC_PASS_MAX 1024     /* passphrase bytes */
#define EMBER_MNEMONIC_COIN_TYPE 3627u
#define EMBER_MNEMONIC_HARDENED 0x80000000u
#define EMBER_MNEMONIC_INDEX_MAX 0x7fffffffu

/* Returns: the BIP-39 English list, EMBER_MNEMONIC_LIST_LEN words in
 * sorted order, static storage (never NULL). */
const char *const *ember_mnemonic_wordlist(void);

/*
 * The phrase for ent (16, 20, 24, 28 or 32 bytes), in normal form.
 * Out: out, NUL-terminated.
 * Returns: 0, or EMBER_EINVAL (NULL, or another length).
 */
EMBER_WUR int ember_mnemonic_from_entropy(const uint8_t *ent, size_t entlen,
                                          char out[EMBER_MNEMONIC_BUFLEN]);

/*
 * A fresh 24-word phrase from 32 bytes of randombytes_buf (wiped after).
 * Returns: 0, EMBER_EINVAL, or EMBER_EINTERNAL (libsodium cannot start).
 */
EMBER_WUR int ember_mnemonic_generate(char out[EMBER_MNEMONIC_BUFLEN]);

/*
 * Check a typed phrase.  Words are looked up first (the first unknown one
 * is named), then counted, then the checksum is checked.
 * In: text, NUL-terminated.
 * Out (each may be NULL): norm the normal form; ent and *entlen the
 * entropy (up to EMBER_MNEMONIC_ENTROPY_MAX bytes); why (cap whylen) a
 * message for a person on failure, e.g. "unknown word 'abandn' (word 3)".
 * Returns: 0, EMBER_MN_ASCII, EMBER_MN_WORD, EMBER_MN_COUNT,
 * EMBER_MN_CHECKSUM, or EMBER_EINVAL (text NULL).
 */
EMBER_WUR int ember_mnemonic_parse(const char *text,
                                   char norm[EMBER_MNEMONIC_BUFLEN],
                                   uint8_t ent[EMBER_MNEMONIC_ENTROPY_MAX],
                                   size_t *entlen, char *why, size_t whylen);

/*
 * The 64-byte BIP-39 seed of a phrase (checked and normalised first, as
 * ember_mnemonic_parse) and passphrase (pass, passlen bytes; NULL with 0
 * is the empty passphrase).
 * Out: seed; why (cap whylen, may be NULL) says what is wrong on failure.
 * Returns: 0, what ember_mnemonic_parse returns, EMBER_MN_ASCII (the
 * passphrase), EMBER_ERANGE (passlen > EMBER_MNEMONIC_PASS_MAX),
 * EMBER_EINTERNAL (OpenSSL failed).
 */
EMBER_WUR int ember_mnemonic_to_seed(const char *phrase, const char *pass,
                                     size_t passlen,
                                     uint8_t seed[EMBER_MNEMONIC_SEED_LEN],
                                     char *why, size_t whylen);

/*
 * BIP-32 master key of a seed of 16 to 64 bytes.
 * Out: key (private key), chain (chain code).
 * Returns: 0, EMBER_EINVAL, EMBER_CRYPTO_SECKEY (the left half is zero or
 * not below the group order: BIP-32 calls such a seed invalid),
 * EMBER_EINTERNAL.
 */
EMBER_WUR int ember_mnemonic_master(const uint8_t *seed, size_t seedlen,
                                    uint8_t key[32], uint8_t chain[32]);

/*
 * One hardened BIP-32 step in place: (key, chain) becomes child index of
 * itself.  index must have EMBER_MNEMONIC_HARDENED set.
 * Returns: 0, EMBER_EINVAL (NULL or not hardened), EMBER_CRYPTO_SECKEY
 * (the child key is invalid, probability about 2^-127: BIP-32 says to use
 * the next index; key and chain are left unchanged), EMBER_EINTERNAL.
 */
EMBER_WUR int ember_mnemonic_child(uint8_t key[32], uint8_t chain[32],
                                   uint32_t index);

/*
 * The account key number index (0 to EMBER_MNEMONIC_INDEX_MAX) of a seed:
 * m/44'/3627'/0'/0'/index'.
 * Out: kp (wipe with ember_keypair_clear).
 * Returns: 0, EMBER_EINVAL, EMBER_ERANGE (index too large),
 * EMBER_CRYPTO_SECKEY (an invalid key on the path: try the next index),
 * EMBER_EINTERNAL.
 */
EMBER_WUR int ember_mnemonic_derive(const uint8_t seed[EMBER_MNEMONIC_SEED_LEN],
                                    uint32_t index, struct ember_keypair *kp);

#endif
