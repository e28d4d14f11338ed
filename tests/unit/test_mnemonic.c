/*
 * test_mnemonic.c - BIP-39 phrases and the BIP-32 derivation of account
 * keys (mnemonic.h), against published vectors:
 *   - the embedded English list equals tests/vectors/bip39-english.txt
 *     word for word and hashes to the published SHA-256;
 *   - every "english" vector of tests/vectors/bip39-vectors.json (trezor
 *     python-mnemonic): entropy -> phrase, phrase -> entropy, phrase +
 *     "TREZOR" -> seed, seed -> BIP-32 master key and chain code (from the
 *     vector's xprv, base58check-decoded here, not by the code under test);
 *   - hardened BIP-32 children from BIP-32's own test vectors 1, 3 and 4
 *     (bitcoin/bips bip-0032.mediawiki), the only ones whose paths are
 *     hardened all the way down;
 * then each way a typed phrase can be wrong, API misuse, and one pinned
 * key of Ember's own path (our output, marked as such: it fails if the
 * path or coin type ever changes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "ember/addr.h"
#include "ember/mnemonic.h"
#include "testutil.h"

#define WORDS_FILE "tests/vectors/bip39-english.txt"
#define VECTORS "tests/vectors/bip39-vectors.json"
/* Ember's key 0 of "abandon x11 about", no passphrase: computed by this
 * implementation and checked once by an independent script (Python
 * hashlib/hmac and textbook secp256k1 arithmetic), NOT a published
 * vector.  docs/wallet.md quotes it. */
#define ABOUT_SECKEY0 "de8a40239335fe8fc9a58ffc10678ac2b36558702e260ad551f555781eb0d69a"
#define ABOUT_ADDR0 "ember1qjcgx58f23vuqqq0jtz9t3whjadmycpaua7fu6fkmgmsmlw2lvcq20wfzd"
/* bitcoin/bips bip-0039/bip-0039-wordlists.md: sha256 of english.txt */
#define WORDS_SHA256 "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"

/* --- base58check, written here so a vector never passes through the code
 * under test on its way in --------------------------------------------- */

/* Returns: decoded length (checksum checked and dropped), or -1. */
static int b58check_decode(const char *s, uint8_t *out, size_t cap)
{
	static const char alpha[] =
		"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	uint8_t num[128], h1[32], h2[32];
	size_t len = 0, zeros = 0;

	memset(num, 0, sizeof num);
	for (; s[zeros] == '1'; zeros++)
		;
	for (const char *p = s; *p; p++) {
		const char *at = strchr(alpha, *p);
		if (at == NULL || *p == '\0')
			return -1;
		unsigned carry = (unsigned)(at - alpha);
		for (size_t i = 0; i < len; i++) {       /* num = num * 58 + carry */
			carry += 58u * num[sizeof num - 1 - i];
			num[sizeof num - 1 - i] = (uint8_t)carry;
			carry >>= 8;
		}
		for (; carry; carry >>= 8) {
			if (len == sizeof num)
				return -1;
			num[sizeof num - 1 - len++] = (uint8_t)carry;
		}
	}
	size_t total = zeros + len;
	if (total < 4 || total - 4 > cap)
		return -1;
	uint8_t full[160];
	memset(full, 0, zeros);
	memcpy(full + zeros, num + sizeof num - len, len);
	SHA256(full, total - 4, h1);
	SHA256(h1, 32, h2);
	if (memcmp(h2, full + total - 4, 4) != 0)
		return -1;
	memcpy(out, full, total - 4);
	return (int)(total - 4);
}

/* An xprv's chain code and private key (BIP-32 serialisation: version 4,
 * depth 1, fingerprint 4, child 4, chain code 32, 0x00 || key 33). */
static void xprv_decode(const char *xprv, uint8_t chain[32], uint8_t key[32])
{
	uint8_t raw[78];

	if (b58check_decode(xprv, raw, sizeof raw) != 78)
		fail_msg("xprv '%s' does not decode", xprv);
	assert_memory_equal(raw, "\x04\x88\xad\xe4", 4);
	assert_int_equal(raw[45], 0x00);
	memcpy(chain, raw + 13, 32);
	memcpy(key, raw + 46, 32);
}

/* --- the word list ------------------------------------------------------ */

static void test_wordlist(void **state)
{
	const char *const *w = ember_mnemonic_wordlist();
	FILE *fp = fopen(WORDS_FILE, "r");
	static char joined[16384];
	char line[64], hex[65];
	uint8_t md[32];
	size_t pos = 0;
	int i = 0;

	(void)state;
	assert_non_null(fp);
	while (fgets(line, sizeof line, fp)) {
		line[strcspn(line, "\n")] = '\0';
		assert_true(i < EMBER_MNEMONIC_LIST_LEN);
		assert_string_equal(w[i], line);
		i++;
	}
	fclose(fp);
	assert_int_equal(i, EMBER_MNEMONIC_LIST_LEN);

	/* The table itself, as the published file is laid out. */
	for (i = 0; i < EMBER_MNEMONIC_LIST_LEN; i++) {
		size_t n = strlen(w[i]);
		assert_true(pos + n + 1 <= sizeof joined);
		memcpy(joined + pos, w[i], n);
		joined[pos + n] = '\n';
		pos += n + 1;
	}
	SHA256((const uint8_t *)joined, pos, md);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(hex, WORDS_SHA256);

	/* What the lookup relies on: sorted, short, unique in four letters. */
	for (i = 0; i < EMBER_MNEMONIC_LIST_LEN; i++) {
		assert_true(strlen(w[i]) >= 3 && strlen(w[i]) <= EMBER_MNEMONIC_WORD_MAX);
		if (i > 0) {
			assert_true(strcmp(w[i - 1], w[i]) < 0);
			assert_true(strncmp(w[i - 1], w[i], 4) != 0);
		}
	}
}

/* --- the published BIP-39 vectors -------------------------------------- */

static void test_bip39_vectors(void **state)
{
	json_error_t jerr;
	json_t *root = json_load_file(VECTORS, 0, &jerr), *v;
	size_t i;

	(void)state;
	if (root == NULL)
		fail_msg("%s: %s", VECTORS, jerr.text);
	json_t *english = json_object_get(root, "english");
	assert_int_equal(json_array_size(english), 24);
	json_array_foreach(english, i, v) {
		const char *ent_hex = json_string_value(json_array_get(v, 0));
		const char *phrase = json_string_value(json_array_get(v, 1));
		const char *seed_hex = json_string_value(json_array_get(v, 2));
		const char *xprv = json_string_value(json_array_get(v, 3));
		uint8_t ent[32], ent2[32], seed[64], want_seed[64], key[32], chain[32],
		        want_key[32], want_chain[32];
		char out[EMBER_MNEMONIC_BUFLEN], norm[EMBER_MNEMONIC_BUFLEN], why[128];
		size_t entlen2 = 0;
		int entlen;

		assert_non_null(ent_hex);
		assert_non_null(phrase);
		assert_non_null(seed_hex);
		assert_non_null(xprv);
		entlen = test_unhex(ent_hex, ent, sizeof ent);
		assert_true(entlen >= 16);
		assert_int_equal(test_unhex(seed_hex, want_seed, sizeof want_seed), 64);

		assert_int_equal(ember_mnemonic_from_entropy(ent, (size_t)entlen, out), 0);
		assert_string_equal(out, phrase);

		if (ember_mnemonic_parse(phrase, norm, ent2, &entlen2, why, sizeof why))
			fail_msg("vector %zu refused: %s", i, why);
		assert_int_equal(entlen2, (size_t)entlen);
		assert_memory_equal(ent2, ent, (size_t)entlen);
		assert_string_equal(norm, phrase);

		assert_int_equal(ember_mnemonic_to_seed(phrase, "TREZOR", 6, seed,
		                                        why, sizeof why), 0);
		assert_memory_equal(seed, want_seed, 64);

		xprv_decode(xprv, want_chain, want_key);
		assert_int_equal(ember_mnemonic_master(seed, 64, key, chain), 0);
		assert_memory_equal(key, want_key, 32);
		assert_memory_equal(chain, want_chain, 32);
	}
	json_decref(root);
}

/* --- BIP-32 hardened children ------------------------------------------ */

static void test_bip32_hardened(void **state)
{
	/* bitcoin/bips bip-0032.mediawiki, "Test Vectors": every chain there
	 * that is hardened at each step. */
	static const struct {
		const char *seed;
		uint32_t path[2];
		size_t depth;
		const char *xprv;
	} cases[] = {
		{ "000102030405060708090a0b0c0d0e0f", { 0 }, 0,    /* TV1 m */
		  "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvN"
		  "KmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi" },
		{ "000102030405060708090a0b0c0d0e0f", { 0 }, 1,    /* TV1 m/0H */
		  "xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5"
		  "hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7" },
		{ "4b381541583be4423346c643850da4b320e46a87ae3d2a4e6da11eba819cd4ac"
		  "ba45d239319ac14f863b8d5ab5a0d0c64d2e8a1e7d1457df2e5a3c51c73235be",
		  { 0 }, 1,                                        /* TV3 m/0H */
		  "xprv9uPDJpEQgRQfDcW7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPr"
		  "S7AANYqdq6vcBcBUdJCVVFceUvJFjaPdGZ2y9WACViL4L" },
		{ "3ddd5602285899a946114506157c7997e5444528f3003f6134712147db19b678",
		  { 0, 1 }, 2,                                     /* TV4 m/0H/1H */
		  "xprv9xJocDuwtYCMNAo3Zw76WENQeAS6WGXQ55RCy7tDJ8oALr4FWkuVoHJeHVAcAq"
		  "iZLE7Je3vZJHxspZdFHfnBEjHqU5hG1Jaj32dVoS6XLT1" },
	};

	(void)state;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		uint8_t seed[64], key[32], chain[32], want_key[32], want_chain[32];
		int n = test_unhex(cases[c].seed, seed, sizeof seed);

		assert_true(n > 0);
		assert_int_equal(ember_mnemonic_master(seed, (size_t)n, key, chain), 0);
		for (size_t d = 0; d < cases[c].depth; d++)
			assert_int_equal(ember_mnemonic_child(key, chain, cases[c].path[d] |
			                                      EMBER_MNEMONIC_HARDENED), 0);
		xprv_decode(cases[c].xprv, want_chain, want_key);
		assert_memory_equal(key, want_key, 32);
		assert_memory_equal(chain, want_chain, 32);
	}
}

/* --- Ember's path ------------------------------------------------------- */

static void test_derive_path(void **state)
{
	static const char phrase[] = "abandon abandon abandon abandon abandon "
		"abandon abandon abandon abandon abandon abandon about";
	uint8_t seed[64], key[32], chain[32];
	struct ember_keypair kp, kp1, manual;
	char addr[EMBER_ADDR_BUFLEN];

	(void)state;
	assert_int_equal(ember_mnemonic_to_seed(phrase, NULL, 0, seed, NULL, 0), 0);
	assert_int_equal(ember_mnemonic_derive(seed, 0, &kp), 0);

	/* The same key step by step: m/44'/3627'/0'/0'/0'. */
	assert_int_equal(ember_mnemonic_master(seed, 64, key, chain), 0);
	const uint32_t path[] = { 44, 3627, 0, 0, 0 };
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(ember_mnemonic_child(key, chain, path[i] |
		                                      EMBER_MNEMONIC_HARDENED), 0);
	assert_int_equal(ember_keypair_from_seckey(&manual, key), 0);
	assert_memory_equal(manual.seckey, kp.seckey, 32);
	assert_memory_equal(manual.pub, kp.pub, 32);

	/* Another index, another key. */
	assert_int_equal(ember_mnemonic_derive(seed, 1, &kp1), 0);
	assert_memory_not_equal(kp1.seckey, kp.seckey, 32);

	/* The pin (see ABOUT_SECKEY0): fails if the path or coin type moves. */
	uint8_t want[32];
	assert_int_equal(test_unhex(ABOUT_SECKEY0, want, sizeof want), 32);
	assert_memory_equal(kp.seckey, want, 32);
	ember_addr_encode(kp.pub, addr);
	assert_string_equal(addr, ABOUT_ADDR0);

	ember_keypair_clear(&kp);
	ember_keypair_clear(&kp1);
	ember_keypair_clear(&manual);
}

/* --- what a person can get wrong ---------------------------------------- */

static void test_typed_phrases(void **state)
{
	static const char about[] = "abandon abandon abandon abandon abandon "
		"abandon abandon abandon abandon abandon abandon about";
	static const struct {
		const char *text;
		int rc;
		const char *why;          /* a fragment the message must hold */
	} cases[] = {
		/* the checksum of 12 x abandon is "about", not "abandon" */
		{ "abandon abandon abandon abandon abandon abandon abandon abandon "
		  "abandon abandon abandon abandon", EMBER_MN_CHECKSUM, "checksum mismatch" },
		/* two words swapped */
		{ "legal winner thank year wave sausage worth useful legal winner "
		  "year thank", EMBER_MN_CHECKSUM, "checksum" },
		{ "abandon abandon abandn abandon abandon abandon abandon abandon "
		  "abandon abandon abandon about", EMBER_MN_WORD,
		  "unknown word 'abandn' (word 3)" },
		{ "abandon abandon abandn abandon", EMBER_MN_WORD, "word 3" },
		{ "abandon abandon abandom abandon abandon abandon abandon abandon "
		  "abandon abandon abandon about", EMBER_MN_WORD, "did you mean 'abandon'" },
		{ "abandon abandon abandon abandon abandon abandon abandon abandon "
		  "abandon abandon abandon bitcoin", EMBER_MN_WORD, "'bitcoin'" },
		{ "abandon, abandon abandon abandon abandon abandon abandon abandon "
		  "abandon abandon abandon about", EMBER_MN_WORD, "'abandon,' (word 1)" },
		{ "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo "
		  "zoo zoo zoo zoo zoo zoo", EMBER_MN_COUNT, "23 words" },
		{ "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo "
		  "zoo zoo zoo zoo zoo zoo zoo zoo", EMBER_MN_COUNT, "25 words" },
		{ "abandon abandon abandon abandon abandon abandon abandon abandon "
		  "abandon abandon about", EMBER_MN_COUNT, "11 words" },
		{ "", EMBER_MN_COUNT, "0 words" },
		{ " \t\n ", EMBER_MN_COUNT, "0 words" },
		{ "abandon abandon abandon abandon abandon abandon abandon abandon "
		  "abandon abandon abandon ab\xc3\xb3ut", EMBER_MN_ASCII, "non-ASCII" },
		/* normal forms of the vector are accepted */
		{ "  ABANDON abandon\tabandon abandon\nabandon abandon abandon "
		  "abandon  abandon abandon Abandon about\n", 0, NULL },
	};
	char why[160], norm[EMBER_MNEMONIC_BUFLEN];
	uint8_t seed[64], want[64];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		why[0] = '\0';
		int rc = ember_mnemonic_parse(cases[i].text, norm, NULL, NULL, why,
		                              sizeof why);
		if (rc != cases[i].rc)
			fail_msg("case %zu: got %d (%s), want %d", i, rc, why, cases[i].rc);
		if (cases[i].why && strstr(why, cases[i].why) == NULL)
			fail_msg("case %zu: message '%s' lacks '%s'", i, why, cases[i].why);
		if (rc == 0)
			assert_string_equal(norm, about);
		/* the seed refuses what the parse refuses, with the same code */
		rc = ember_mnemonic_to_seed(cases[i].text, "", 0, seed, NULL, 0);
		assert_int_equal(rc, cases[i].rc);
	}
	/* a normalised phrase has the seed of its normal form */
	assert_int_equal(ember_mnemonic_to_seed(about, "TREZOR", 6, want, NULL, 0), 0);
	assert_int_equal(ember_mnemonic_to_seed(cases[sizeof cases / sizeof cases[0] - 1].text,
	                                        "TREZOR", 6, seed, NULL, 0), 0);
	assert_memory_equal(seed, want, 64);
	/* the passphrase changes the seed */
	assert_int_equal(ember_mnemonic_to_seed(about, "TREZOr", 6, seed, NULL, 0), 0);
	assert_memory_not_equal(seed, want, 64);
}

static void test_passphrases(void **state)
{
	static const char about[] = "abandon abandon abandon abandon abandon "
		"abandon abandon abandon abandon abandon abandon about";
	static char big[EMBER_MNEMONIC_PASS_MAX + 1];
	uint8_t seed[64];
	char why[160];

	(void)state;
	assert_int_equal(ember_mnemonic_to_seed(about, "caf\xc3\xa9", 5, seed,
	                                        why, sizeof why), EMBER_MN_ASCII);
	assert_non_null(strstr(why, "passphrase has a non-ASCII character at byte 4"));
	memset(big, 'a', sizeof big);
	assert_int_equal(ember_mnemonic_to_seed(about, big, EMBER_MNEMONIC_PASS_MAX,
	                                        seed, NULL, 0), 0);
	assert_int_equal(ember_mnemonic_to_seed(about, big, sizeof big, seed,
	                                        why, sizeof why), EMBER_ERANGE);
}

static void test_generate(void **state)
{
	char a[EMBER_MNEMONIC_BUFLEN], b[EMBER_MNEMONIC_BUFLEN];
	uint8_t ent[32];
	size_t entlen = 0, words = 1;

	(void)state;
	assert_int_equal(ember_mnemonic_generate(a), 0);
	assert_int_equal(ember_mnemonic_generate(b), 0);
	assert_string_not_equal(a, b);
	for (const char *p = a; *p; p++)
		words += *p == ' ';
	assert_int_equal(words, EMBER_MNEMONIC_WORDS);
	assert_int_equal(ember_mnemonic_parse(a, NULL, ent, &entlen, NULL, 0), 0);
	assert_int_equal(entlen, 32);
}

static void test_misuse(void **state)
{
	uint8_t ent[32] = { 0 }, seed[64] = { 1 }, key[32] = { 1 }, chain[32] = { 0 };
	char out[EMBER_MNEMONIC_BUFLEN];
	struct ember_keypair kp;

	(void)state;
	assert_int_equal(ember_mnemonic_from_entropy(ent, 15, out), EMBER_EINVAL);
	assert_int_equal(ember_mnemonic_from_entropy(ent, 18, out), EMBER_EINVAL);
	assert_int_equal(ember_mnemonic_from_entropy(ent, 36, out), EMBER_EINVAL);
	assert_int_equal(ember_mnemonic_from_entropy(NULL, 16, out), EMBER_EINVAL);
	assert_int_equal(ember_mnemonic_generate(NULL), EMBER_EINVAL);
	assert_int_equal(ember_mnemonic_parse(NULL, NULL, NULL, NULL, NULL, 0),
	                 EMBER_EINVAL);
	assert_int_equal(ember_mnemonic_to_seed(NULL, "", 0, seed, NULL, 0), EMBER_EINVAL);
	assert_int_equal(ember_mnemonic_master(seed, 15, key, chain), EMBER_EINVAL);
	assert_int_equal(ember_mnemonic_master(seed, 65, key, chain), EMBER_EINVAL);
	/* hardened only: a normal index is misuse, not a key */
	assert_int_equal(ember_mnemonic_child(key, chain, 0), EMBER_EINVAL);
	assert_int_equal(ember_mnemonic_derive(seed, EMBER_MNEMONIC_INDEX_MAX + 1u, &kp),
	                 EMBER_ERANGE);
	assert_int_equal(ember_mnemonic_derive(seed, EMBER_MNEMONIC_INDEX_MAX, &kp), 0);
	ember_keypair_clear(&kp);
	/* a parent key of zero is not a key: refused, not derived from */
	memset(key, 0, sizeof key);
	assert_int_equal(ember_mnemonic_child(key, chain, EMBER_MNEMONIC_HARDENED),
	                 EMBER_CRYPTO_SECKEY);
	/* every code has its own message */
	assert_string_not_equal(ember_strerror(EMBER_MN_WORD), "unknown error");
	assert_string_not_equal(ember_strerror(EMBER_MN_COUNT), "unknown error");
	assert_string_not_equal(ember_strerror(EMBER_MN_CHECKSUM), "unknown error");
	assert_string_not_equal(ember_strerror(EMBER_MN_ASCII), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wordlist),
		cmocka_unit_test(test_bip39_vectors),
		cmocka_unit_test(test_bip32_hardened),
		cmocka_unit_test(test_derive_path),
		cmocka_unit_test(test_typed_phrases),
		cmocka_unit_test(test_passphrases),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_misuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
