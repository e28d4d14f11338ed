/*
 * test_key.c - the 19 published BIP-340 vectors (sign where a secret key is
 * given, verify always), a sign/verify round trip with fresh keys, and
 * misuse: secret keys of zero and >= the group order, NULL arguments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "ember/key.h"

#define VECTORS "tests/vectors/bip340-test-vectors.csv"


/* Split line at commas in place; empty fields stay empty strings. */
static int split_csv(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		line = strchr(line, ',');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

static void test_bip340_vectors(void **state)
{
	FILE *fp = fopen(VECTORS, "r");
	char line[1024];
	int rows = 0, signed_rows = 0;

	(void)state;
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof line, fp));  /* header */
	while (fgets(line, sizeof line, fp)) {
		char *f[8];
		uint8_t sk[32], pub[32], aux[32], msg[256], sig[64], out[64];
		int msglen, want;

		assert_int_equal(split_csv(line, f, 8), 8);
		assert_int_equal(test_unhex(f[2], pub, 32), 32);
		assert_int_equal(test_unhex(f[5], sig, 64), 64);
		msglen = test_unhex(f[4], msg, sizeof msg);
		assert_true(msglen >= 0);
		assert_true(!strcmp(f[6], "TRUE") || !strcmp(f[6], "FALSE"));
		want = !strcmp(f[6], "TRUE");

		if (f[1][0]) {
			struct ember_keypair kp;

			assert_int_equal(test_unhex(f[1], sk, 32), 32);
			assert_int_equal(test_unhex(f[3], aux, 32), 32);
			assert_int_equal(ember_keypair_from_seckey(&kp, sk), 0);
			assert_memory_equal(kp.pub, pub, 32);
			assert_int_equal(ember_schnorr_sign(&kp, msglen ? msg : NULL,
			                                    (size_t)msglen, aux, out), 0);
			assert_memory_equal(out, sig, 64);
			ember_keypair_clear(&kp);
			signed_rows++;
		}
		if (ember_schnorr_verify(pub, msglen ? msg : NULL, (size_t)msglen,
		                         sig) != want)
			fail_msg("vector %s: verify != %s", f[0], f[6]);
		rows++;
	}
	fclose(fp);
	assert_int_equal(rows, 19);
	assert_int_equal(signed_rows, 8);
}

static void test_round_trip(void **state)
{
	uint8_t msg[100], sig[64];

	(void)state;
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)i;
	for (int k = 0; k < 8; k++) {
		struct ember_keypair kp, again;
		const uint8_t zero[32] = { 0 };

		assert_int_equal(ember_keypair_generate(&kp), 0);
		assert_true(ember_pubkey_valid(kp.pub));
		assert_int_equal(ember_keypair_from_seckey(&again, kp.seckey), 0);
		assert_memory_equal(again.pub, kp.pub, 32);

		assert_int_equal(ember_schnorr_sign(&kp, msg, sizeof msg, NULL, sig), 0);
		assert_int_equal(ember_schnorr_verify(kp.pub, msg, sizeof msg, sig), 1);
		/* Any changed bit of message, signature or key must fail. */
		msg[k] ^= 1;
		assert_int_equal(ember_schnorr_verify(kp.pub, msg, sizeof msg, sig), 0);
		msg[k] ^= 1;
		sig[k * 8] ^= 0x80;
		assert_int_equal(ember_schnorr_verify(kp.pub, msg, sizeof msg, sig), 0);
		sig[k * 8] ^= 0x80;
		assert_int_equal(ember_schnorr_verify(kp.pub, msg, sizeof msg - 1, sig), 0);

		ember_keypair_clear(&kp);
		assert_memory_equal(kp.seckey, zero, 32);
		/* A wiped key must not sign. */
		assert_int_not_equal(ember_schnorr_sign(&kp, msg, sizeof msg, NULL, sig), 0);
		ember_keypair_clear(&again);
	}
}

static void test_bad_seckeys(void **state)
{
	/* The secp256k1 group order n, and neighbours. */
	static const char *bad[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364142",
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
	};
	static const char *good[] = {
		"0000000000000000000000000000000000000000000000000000000000000001",
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140",
	};
	struct ember_keypair kp;
	uint8_t sk[32];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(test_unhex(bad[i], sk, 32), 32);
		assert_int_equal(ember_keypair_from_seckey(&kp, sk),
		                 EMBER_CRYPTO_SECKEY);
	}
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(test_unhex(good[i], sk, 32), 32);
		assert_int_equal(ember_keypair_from_seckey(&kp, sk), 0);
		assert_true(ember_pubkey_valid(kp.pub));
		ember_keypair_clear(&kp);
	}
}

static void test_misuse(void **state)
{
	struct ember_keypair kp;
	uint8_t sig[64] = { 0 }, pub[32];

	(void)state;
	assert_int_equal(ember_keypair_generate(&kp), 0);
	assert_int_not_equal(ember_keypair_from_seckey(NULL, kp.seckey), 0);
	assert_int_not_equal(ember_keypair_from_seckey(&kp, NULL), 0);
	assert_int_not_equal(ember_keypair_generate(NULL), 0);
	assert_int_not_equal(ember_schnorr_sign(NULL, NULL, 0, NULL, sig), 0);
	assert_int_not_equal(ember_schnorr_sign(&kp, NULL, 5, NULL, sig), 0);
	assert_int_not_equal(ember_schnorr_sign(&kp, NULL, 0, NULL, NULL), 0);
	assert_int_equal(ember_schnorr_verify(NULL, NULL, 0, sig), 0);
	assert_int_equal(ember_schnorr_verify(kp.pub, NULL, 0, NULL), 0);
	assert_int_equal(ember_schnorr_verify(kp.pub, NULL, 3, sig), 0);
	assert_int_equal(ember_pubkey_valid(NULL), 0);
	ember_keypair_clear(NULL);

	/* BIP-340 vector 5's public key is not an x coordinate on the curve. */
	assert_int_equal(test_unhex("EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34",
	                       pub, 32), 32);
	assert_int_equal(ember_pubkey_valid(pub), 0);
	memset(pub, 0, sizeof pub);
	assert_int_equal(ember_pubkey_valid(pub), 0);
	ember_keypair_clear(&kp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bip340_vectors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_seckeys),
		cmocka_unit_test(test_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
