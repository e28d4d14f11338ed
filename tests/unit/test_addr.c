/*
 * test_addr.c - every BIP-350 bech32m string (valid ones round-trip to their
 * lowercase form, invalid ones are rejected), BIP-173 bech32 strings
 * rejected as checksum failures, and Ember addresses: round trip, then each
 * way an address can be wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ember/addr.h"
#include "ember/key.h"

#define VECTORS "tests/vectors/bip350-bech32m.txt"

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* Decode hex into a NUL-terminated string. Returns: 0, or -1. */
static int unhex_str(const char *hex, char *out, size_t cap)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 + 1 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (char)v;
	}
	out[n / 2] = '\0';
	return 0;
}

static void test_bip350_vectors(void **state)
{
	FILE *fp = fopen(VECTORS, "r");
	char line[1024];
	int valid = 0, invalid = 0;

	(void)state;
	assert_non_null(fp);
	while (fgets(line, sizeof line, fp)) {
		char kind[16], hex[512], str[256], hrp[100], again[256], lower[256];
		uint8_t d[100];
		size_t n5 = 0;
		int rc;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%15s %511s", kind, hex), 2);
		assert_int_equal(unhex_str(hex, str, sizeof str), 0);
		rc = ember_bech32m_decode(str, hrp, sizeof hrp, d, sizeof d, &n5);
		if (!strcmp(kind, "valid")) {
			if (rc != 0)
				fail_msg("valid \"%s\" rejected: %d", str, rc);
			assert_int_equal(ember_bech32m_encode(again, sizeof again, hrp,
			                                      d, n5), 0);
			for (size_t i = 0; str[i]; i++)
				lower[i] = (char)tolower((unsigned char)str[i]);
			lower[strlen(str)] = '\0';
			assert_string_equal(again, lower);
			valid++;
		} else {
			assert_string_equal(kind, "invalid");
			if (rc == 0)
				fail_msg("invalid \"%s\" accepted", str);
			invalid++;
		}
	}
	fclose(fp);
	assert_int_equal(valid, 7);
	assert_true(invalid >= 14);
}

/* BIP-173 valid bech32 strings: bech32m must refuse their checksum. */
static void test_bech32_not_m(void **state)
{
	static const char *v[] = {
		"A12UEL5L",
		"a12uel5l",
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
		"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
		"?1ezyfcl",
	};
	char hrp[100];
	uint8_t d[100];
	size_t n5;

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		assert_int_equal(ember_bech32m_decode(v[i], hrp, sizeof hrp, d,
		                                      sizeof d, &n5),
		                 EMBER_ADDR_CHECKSUM);
}

static void test_encode_limits(void **state)
{
	uint8_t d[90] = { 0 };
	char out[128], hrp[90];

	(void)state;
	assert_int_equal(ember_bech32m_encode(out, sizeof out, "", d, 1),
	                 EMBER_ADDR_FORMAT);
	d[0] = 32;
	assert_int_equal(ember_bech32m_encode(out, sizeof out, "a", d, 1),
	                 EMBER_ADDR_FORMAT);
	d[0] = 0;
	/* 1 + 1 + 82 + 6 = 90 fits; one more does not. */
	assert_int_equal(ember_bech32m_encode(out, sizeof out, "a", d, 82), 0);
	assert_int_equal(strlen(out), 90);
	assert_int_equal(ember_bech32m_encode(out, sizeof out, "a", d, 83),
	                 EMBER_ADDR_FORMAT);
	assert_int_equal(ember_bech32m_encode(out, 90, "a", d, 82),
	                 EMBER_ENC_BUFFER);
	memset(hrp, 'h', 84);
	hrp[84] = '\0';
	assert_int_equal(ember_bech32m_encode(out, sizeof out, hrp, d, 0),
	                 EMBER_ADDR_FORMAT);
	assert_int_equal(ember_bech32m_encode(out, sizeof out, "a b", d, 0),
	                 EMBER_ADDR_FORMAT);
}

/* 8-to-5 regrouping done here independently of addr.c. */
static size_t to5(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t k = 0;

	for (size_t bit = 0; bit < n * 8; bit += 5) {
		unsigned v = 0;

		for (size_t j = 0; j < 5; j++) {
			size_t b = bit + j;

			v <<= 1;
			if (b < n * 8)
				v |= (in[b / 8] >> (7 - b % 8)) & 1;
		}
		out[k++] = (uint8_t)v;
	}
	return k;
}

/* The BIP-173 checksum (constant 1), written out from the BIP. */
static void bech32_encode_classic(char *out, const char *hrp,
                                  const uint8_t *d, size_t n)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
	                                 0x3d4233dd, 0x2a1462b3 };
	uint8_t vals[200];
	size_t hl = strlen(hrp), k = 0;
	uint32_t chk = 1;

	for (size_t i = 0; i < hl; i++)
		vals[k++] = (uint8_t)(hrp[i] >> 5);
	vals[k++] = 0;
	for (size_t i = 0; i < hl; i++)
		vals[k++] = (uint8_t)(hrp[i] & 31);
	memcpy(vals + k, d, n);
	k += n;
	memset(vals + k, 0, 6);
	k += 6;
	for (size_t i = 0; i < k; i++) {
		uint32_t top = chk >> 25;

		chk = ((chk & 0x1ffffff) << 5) ^ vals[i];
		for (int j = 0; j < 5; j++)
			if ((top >> j) & 1)
				chk ^= gen[j];
	}
	chk ^= 1;
	sprintf(out, "%s1", hrp);
	k = hl + 1;
	for (size_t i = 0; i < n; i++)
		out[k++] = charset[d[i]];
	for (int i = 0; i < 6; i++)
		out[k++] = charset[(chk >> (5 * (5 - i))) & 31];
	out[k] = '\0';
}

static void test_addr_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < 50; i++) {
		struct ember_keypair kp;
		char a[EMBER_ADDR_BUFLEN], upper[EMBER_ADDR_BUFLEN];
		uint8_t pub[32], d[60];

		assert_int_equal(ember_keypair_generate(&kp), 0);
		ember_addr_encode(kp.pub, a);
		assert_int_equal(strlen(a), EMBER_ADDR_STRLEN);
		assert_memory_equal(a, "ember1", 6);
		assert_int_equal(ember_addr_decode(a, pub), 0);
		assert_memory_equal(pub, kp.pub, 32);

		/* The data part is the key regrouped into 5-bit values. */
		assert_int_equal(to5(kp.pub, 32, d), 52);
		for (size_t j = 0; j < 52; j++)
			assert_int_equal(a[6 + j], charset[d[j]]);

		/* All upper case is the same address (BIP-173). */
		for (size_t j = 0; j <= EMBER_ADDR_STRLEN; j++)
			upper[j] = (char)toupper((unsigned char)a[j]);
		assert_int_equal(ember_addr_decode(upper, pub), 0);
		assert_memory_equal(pub, kp.pub, 32);
		ember_keypair_clear(&kp);
	}
}

static void test_addr_rejects(void **state)
{
	struct ember_keypair kp;
	char a[EMBER_ADDR_BUFLEN], s[128];
	uint8_t pub[32], d[60], zero[32] = { 0 };
	size_t n;

	(void)state;
	assert_int_equal(ember_keypair_generate(&kp), 0);
	ember_addr_encode(kp.pub, a);
	n = to5(kp.pub, 32, d);

	/* Wrong hrp with a correct checksum. */
	assert_int_equal(ember_bech32m_encode(s, sizeof s, "bc", d, n), 0);
	assert_int_equal(ember_addr_decode(s, pub), EMBER_ADDR_HRP);
	assert_int_equal(ember_bech32m_encode(s, sizeof s, "embe", d, n), 0);
	assert_int_equal(ember_addr_decode(s, pub), EMBER_ADDR_HRP);

	/* Every single changed data character breaks the checksum. */
	for (size_t i = 6; i < EMBER_ADDR_STRLEN; i++) {
		strcpy(s, a);
		s[i] = s[i] == 'q' ? 'p' : 'q';
		assert_int_equal(ember_addr_decode(s, pub), EMBER_ADDR_CHECKSUM);
	}

	/* Mixed case. */
	strcpy(s, a);
	s[10] = (char)toupper((unsigned char)s[10]);
	if (s[10] == a[10])  /* a digit: change the hrp instead */
		s[0] = 'E';
	assert_int_equal(ember_addr_decode(s, pub), EMBER_ADDR_FORMAT);

	/* Truncated, and extended. */
	strcpy(s, a);
	s[EMBER_ADDR_STRLEN - 1] = '\0';
	assert_int_not_equal(ember_addr_decode(s, pub), 0);
	strcpy(s, "ember1");
	assert_int_not_equal(ember_addr_decode(s, pub), 0);
	assert_int_not_equal(ember_addr_decode("", pub), 0);
	snprintf(s, sizeof s, "%sq", a);
	assert_int_not_equal(ember_addr_decode(s, pub), 0);

	/* Valid checksums around the wrong amount of data. */
	assert_int_equal(ember_bech32m_encode(s, sizeof s, "ember", d, n - 1), 0);
	assert_int_equal(ember_addr_decode(s, pub), EMBER_ADDR_FORMAT);
	d[n] = 0;
	assert_int_equal(ember_bech32m_encode(s, sizeof s, "ember", d, n + 1), 0);
	assert_int_equal(ember_addr_decode(s, pub), EMBER_ADDR_FORMAT);

	/* Non-zero padding: the last value carries 1 key bit + 4 zero bits. */
	for (unsigned pad = 1; pad < 16; pad++) {
		uint8_t e[60];

		memcpy(e, d, n);
		e[n - 1] = (uint8_t)(e[n - 1] | pad);
		assert_int_equal(ember_bech32m_encode(s, sizeof s, "ember", e, n), 0);
		assert_int_equal(ember_addr_decode(s, pub), EMBER_ADDR_FORMAT);
	}

	/* bech32 (BIP-173) checksum over the very same data. */
	bech32_encode_classic(s, "ember", d, n);
	assert_int_equal(strlen(s), EMBER_ADDR_STRLEN);
	assert_int_equal(ember_addr_decode(s, pub), EMBER_ADDR_CHECKSUM);

	/* Well formed, but x = 0 is not on the curve. */
	ember_addr_encode(zero, s);
	assert_int_equal(ember_addr_decode(s, pub), EMBER_CRYPTO_PUBKEY);

	ember_keypair_clear(&kp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bip350_vectors),
		cmocka_unit_test(test_bech32_not_m),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_addr_round_trip),
		cmocka_unit_test(test_addr_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
