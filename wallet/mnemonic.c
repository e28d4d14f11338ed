/*
 * mnemonic.c - BIP-39 phrases and hardened BIP-32 derivation (see
 * mnemonic.h for the contract, docs/wallet.md for the recipe).
 *
 * Bits are handled as BIP-39 writes them: the entropy, then the first
 * ENT/32 bits of its SHA-256, read as big-endian 11-bit word indices.  At
 * most 256 + 8 bits, so one 33-byte buffer holds every phrase.
 *
 * The word list (mnemonic_words.c) is sorted, so a word is found by
 * binary search; BIP-39 also makes every word unique in its first four
 * letters, which gives a typo a "did you mean" for free.
 *
 * Secrets (entropy, normal form, salt with the passphrase, HMAC output,
 * keys on the path) live on the stack and are wiped before every return.
 */
#include "ember/mnemonic.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <secp256k1.h>
#include <sodium.h>

#define MN_SALT_PREFIX "mnemonic"
#define MN_PBKDF2_ROUNDS 2048
#define MN_BITS_MAX (8 * EMBER_MNEMONIC_ENTROPY_MAX + EMBER_MNEMONIC_ENTROPY_MAX / 4)
#define MN_SHOWN 24                      /* bytes of a bad word quoted back */

static int mn_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	       ch == '\v' || ch == '\f';
}

/* Bit i (0 = most significant of byte 0) of buf. */
static unsigned mn_bit(const uint8_t *buf, size_t i)
{
	return (buf[i / 8] >> (7 - i % 8)) & 1u;
}

static void mn_set_bit(uint8_t *buf, size_t i)
{
	buf[i / 8] |= (uint8_t)(0x80u >> (i % 8));
}

/* Index of word (len bytes, lowercase) in the list, or -1. */
static int mn_lookup(const char *word, size_t len)
{
	const char *const *list = ember_mnemonic_wordlist();
	int lo = 0, hi = EMBER_MNEMONIC_LIST_LEN - 1;

	if (len == 0 || len > EMBER_MNEMONIC_WORD_MAX)
		return -1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		int c = strncmp(word, list[mid], len);
		if (c == 0 && list[mid][len] != '\0')
			c = -1;               /* word is a proper prefix of list[mid] */
		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

/* The word whose first four letters word starts with, or NULL. */
static const char *mn_suggest(const char *word, size_t len)
{
	const char *const *list = ember_mnemonic_wordlist();

	if (len < 4)
		return NULL;
	for (int i = 0; i < EMBER_MNEMONIC_LIST_LEN; i++)
		if (strncmp(list[i], word, 4) == 0)
			return list[i];
	return NULL;
}

int ember_mnemonic_from_entropy(const uint8_t *ent, size_t entlen,
                                char out[EMBER_MNEMONIC_BUFLEN])
{
	const char *const *list = ember_mnemonic_wordlist();
	uint8_t buf[EMBER_MNEMONIC_ENTROPY_MAX + 1], hash[SHA256_DIGEST_LENGTH];
	size_t nbits, pos = 0;

	if (ent == NULL || out == NULL || entlen < 16 ||
	    entlen > EMBER_MNEMONIC_ENTROPY_MAX || entlen % 4 != 0)
		return EMBER_EINVAL;
	SHA256(ent, entlen, hash);
	memcpy(buf, ent, entlen);
	buf[entlen] = hash[0];        /* only its first entlen/4 bits are read */
	nbits = 8 * entlen + entlen / 4;
	for (size_t w = 0; w < nbits / 11; w++) {
		unsigned idx = 0;
		for (size_t b = 0; b < 11; b++)
			idx = (idx << 1) | mn_bit(buf, 11 * w + b);
		size_t n = strlen(list[idx]);
		if (w > 0)
			out[pos++] = ' ';
		memcpy(out + pos, list[idx], n);
		pos += n;
	}
	out[pos] = '\0';
	sodium_memzero(buf, sizeof buf);
	sodium_memzero(hash, sizeof hash);
	return 0;
}

int ember_mnemonic_generate(char out[EMBER_MNEMONIC_BUFLEN])
{
	uint8_t ent[EMBER_MNEMONIC_ENTROPY_MAX];
	int rc;

	if (out == NULL)
		return EMBER_EINVAL;
	if (sodium_init() < 0)
		return EMBER_EINTERNAL;
	randombytes_buf(ent, sizeof ent);
	rc = ember_mnemonic_from_entropy(ent, sizeof ent, out);
	sodium_memzero(ent, sizeof ent);
	return rc;
}

/*
 * The parse proper; the caller wipes idx.  Words are looked up as they
 * are met, so the first unknown one is named even when the count is off
 * too; the count comes next, then the checksum.
 */
static int mn_parse(const char *text, uint16_t idx[EMBER_MNEMONIC_WORDS],
                    size_t *nwords, char *why, size_t whylen)
{
	size_t n = 0;

	for (size_t i = 0; text[i]; i++)
		if ((unsigned char)text[i] >= 0x80) {
			ember_errf(why, whylen, "non-ASCII character at byte %zu: only "
			           "the English word list is supported", i + 1);
			return EMBER_MN_ASCII;
		}
	for (const char *p = text;;) {
		char word[EMBER_MNEMONIC_WORD_MAX + 1];
		size_t len;
		int found;

		while (mn_is_space(*p))
			p++;
		if (*p == '\0')
			break;
		for (len = 0; p[len] && !mn_is_space(p[len]); len++)
			if (len < EMBER_MNEMONIC_WORD_MAX)
				word[len] = (char)((p[len] >= 'A' && p[len] <= 'Z') ?
				                   p[len] - 'A' + 'a' : p[len]);
		found = mn_lookup(word, len);
		if (found < 0) {
			/* Quote what was typed, clipped, printable only. */
			char shown[MN_SHOWN + 1];
			size_t k, m = len < MN_SHOWN ? len : MN_SHOWN;
			for (k = 0; k < m; k++)
				shown[k] = (p[k] >= 0x20 && p[k] < 0x7f) ? p[k] : '?';
			shown[k] = '\0';
			const char *hint = mn_suggest(word, len < EMBER_MNEMONIC_WORD_MAX ?
			                              len : EMBER_MNEMONIC_WORD_MAX);
			if (hint)
				ember_errf(why, whylen, "unknown word '%s%s' (word %zu); did "
				           "you mean '%s'?", shown, len > m ? "..." : "",
				           n + 1, hint);
			else
				ember_errf(why, whylen, "unknown word '%s%s' (word %zu): not "
				           "in the BIP-39 English list", shown,
				           len > m ? "..." : "", n + 1);
			sodium_memzero(word, sizeof word);
			return EMBER_MN_WORD;
		}
		sodium_memzero(word, sizeof word);
		if (n < EMBER_MNEMONIC_WORDS)
			idx[n] = (uint16_t)found;
		n++;
		p += len;
	}
	if (n < 12 || n > EMBER_MNEMONIC_WORDS || n % 3 != 0) {
		ember_errf(why, whylen, "%zu word%s; a phrase has 12, 15, 18, 21 or "
		           "24 words", n, n == 1 ? "" : "s");
		return EMBER_MN_COUNT;
	}
	*nwords = n;
	return 0;
}

int ember_mnemonic_parse(const char *text, char norm[EMBER_MNEMONIC_BUFLEN],
                         uint8_t ent[EMBER_MNEMONIC_ENTROPY_MAX],
                         size_t *entlen, char *why, size_t whylen)
{
	uint16_t idx[EMBER_MNEMONIC_WORDS];
	uint8_t buf[MN_BITS_MAX / 8 + 1], hash[SHA256_DIGEST_LENGTH];
	size_t n = 0, nbits, ent_bytes, cs_bits;
	int rc;

	if (text == NULL)
		return EMBER_EINVAL;
	memset(buf, 0, sizeof buf);
	rc = mn_parse(text, idx, &n, why, whylen);
	if (rc != 0)
		goto out;
	nbits = 11 * n;
	cs_bits = nbits / 33;
	ent_bytes = (nbits - cs_bits) / 8;
	for (size_t w = 0; w < n; w++)
		for (size_t b = 0; b < 11; b++)
			if (idx[w] & (1u << (10 - b)))
				mn_set_bit(buf, 11 * w + b);
	SHA256(buf, ent_bytes, hash);
	/* buf[ent_bytes] holds the checksum bits at its top, zeros below. */
	if ((hash[0] >> (8 - cs_bits)) != (buf[ent_bytes] >> (8 - cs_bits))) {
		ember_errf(why, whylen, "checksum mismatch: a word is wrong or the "
		           "words are out of order");
		rc = EMBER_MN_CHECKSUM;
		goto out;
	}
	if (ent) {
		memcpy(ent, buf, ent_bytes);
		if (entlen)
			*entlen = ent_bytes;
	}
	if (norm) {
		const char *const *list = ember_mnemonic_wordlist();
		size_t pos = 0;
		for (size_t w = 0; w < n; w++) {
			size_t len = strlen(list[idx[w]]);
			if (w > 0)
				norm[pos++] = ' ';
			memcpy(norm + pos, list[idx[w]], len);
			pos += len;
		}
		norm[pos] = '\0';
	}
out:
	sodium_memzero(idx, sizeof idx);
	sodium_memzero(buf, sizeof buf);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

int ember_mnemonic_to_seed(const char *phrase, const char *pass, size_t passlen,
                           uint8_t seed[EMBER_MNEMONIC_SEED_LEN],
                           char *why, size_t whylen)
{
	char norm[EMBER_MNEMONIC_BUFLEN];
	uint8_t salt[sizeof MN_SALT_PREFIX - 1 + EMBER_MNEMONIC_PASS_MAX];
	size_t pre = sizeof MN_SALT_PREFIX - 1;
	int rc;

	if (phrase == NULL || seed == NULL || (pass == NULL && passlen != 0))
		return EMBER_EINVAL;
	if (passlen > EMBER_MNEMONIC_PASS_MAX) {
		ember_errf(why, whylen, "passphrase is longer than %d bytes",
		           EMBER_MNEMONIC_PASS_MAX);
		return EMBER_ERANGE;
	}
	for (size_t i = 0; i < passlen; i++)
		if ((unsigned char)pass[i] >= 0x80) {
			ember_errf(why, whylen, "passphrase has a non-ASCII character at "
			           "byte %zu: only ASCII passphrases are supported", i + 1);
			return EMBER_MN_ASCII;
		}
	rc = ember_mnemonic_parse(phrase, norm, NULL, NULL, why, whylen);
	if (rc == 0) {
		memcpy(salt, MN_SALT_PREFIX, pre);
		if (passlen)
			memcpy(salt + pre, pass, passlen);
		if (PKCS5_PBKDF2_HMAC(norm, (int)strlen(norm), salt, (int)(pre + passlen),
		                      MN_PBKDF2_ROUNDS, EVP_sha512(),
		                      EMBER_MNEMONIC_SEED_LEN, seed) != 1)
			rc = EMBER_EINTERNAL;
	}
	sodium_memzero(norm, sizeof norm);
	sodium_memzero(salt, sizeof salt);
	return rc;
}

/* I = HMAC-SHA512(key, data); 0 or EMBER_EINTERNAL. */
static int mn_hmac512(const void *key, size_t keylen, const uint8_t *data,
                      size_t len, uint8_t out[64])
{
	unsigned outlen = 0;

	if (HMAC(EVP_sha512(), key, (int)keylen, data, len, out, &outlen) == NULL ||
	    outlen != 64)
		return EMBER_EINTERNAL;
	return 0;
}

int ember_mnemonic_master(const uint8_t *seed, size_t seedlen, uint8_t key[32],
                          uint8_t chain[32])
{
	static const char bip32_key[] = "Bitcoin seed";
	uint8_t I[64];
	int rc;

	if (seed == NULL || key == NULL || chain == NULL || seedlen < 16 ||
	    seedlen > 64)
		return EMBER_EINVAL;
	rc = mn_hmac512(bip32_key, sizeof bip32_key - 1, seed, seedlen, I);
	if (rc == 0 && !secp256k1_ec_seckey_verify(secp256k1_context_static, I))
		rc = EMBER_CRYPTO_SECKEY;
	if (rc == 0) {
		memcpy(key, I, 32);
		memcpy(chain, I + 32, 32);
	}
	sodium_memzero(I, sizeof I);
	return rc;
}

int ember_mnemonic_child(uint8_t key[32], uint8_t chain[32], uint32_t index)
{
	uint8_t data[1 + 32 + 4], I[64], child[32];
	int rc;

	if (key == NULL || chain == NULL || !(index & EMBER_MNEMONIC_HARDENED))
		return EMBER_EINVAL;
	/* Hardened: 0x00 || ser256(k_par) || ser32(i). */
	data[0] = 0;
	memcpy(data + 1, key, 32);
	data[33] = (uint8_t)(index >> 24);
	data[34] = (uint8_t)(index >> 16);
	data[35] = (uint8_t)(index >> 8);
	data[36] = (uint8_t)index;
	rc = mn_hmac512(chain, 32, data, sizeof data, I);
	if (rc == 0) {
		/* k_i = parse256(I_L) + k_par mod n; the library refuses
		 * I_L >= n and a zero sum, the two cases BIP-32 calls invalid. */
		memcpy(child, key, 32);
		if (!secp256k1_ec_seckey_tweak_add(secp256k1_context_static, child, I))
			rc = EMBER_CRYPTO_SECKEY;
	}
	if (rc == 0) {
		memcpy(key, child, 32);
		memcpy(chain, I + 32, 32);
	}
	sodium_memzero(data, sizeof data);
	sodium_memzero(I, sizeof I);
	sodium_memzero(child, sizeof child);
	return rc;
}

int ember_mnemonic_derive(const uint8_t seed[EMBER_MNEMONIC_SEED_LEN],
                          uint32_t index, struct ember_keypair *kp)
{
	const uint32_t path[] = {
		44 | EMBER_MNEMONIC_HARDENED,
		EMBER_MNEMONIC_COIN_TYPE | EMBER_MNEMONIC_HARDENED,
		0 | EMBER_MNEMONIC_HARDENED,
		0 | EMBER_MNEMONIC_HARDENED,
		index | EMBER_MNEMONIC_HARDENED,
	};
	uint8_t key[32], chain[32];
	int rc;

	if (seed == NULL || kp == NULL)
		return EMBER_EINVAL;
	if (index > EMBER_MNEMONIC_INDEX_MAX)
		return EMBER_ERANGE;
	rc = ember_mnemonic_master(seed, EMBER_MNEMONIC_SEED_LEN, key, chain);
	for (size_t i = 0; rc == 0 && i < sizeof path / sizeof path[0]; i++)
		rc = ember_mnemonic_child(key, chain, path[i]);
	if (rc == 0)
		rc = ember_keypair_from_seckey(kp, key);
	sodium_memzero(key, sizeof key);
	sodium_memzero(chain, sizeof chain);
	return rc;
}
