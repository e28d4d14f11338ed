/*
 * test_hash.c - SHA-256 known answers (FIPS 180-2 examples), incremental and
 * two-buffer forms against one-shot, and the BIP-340 tagged hash against its
 * definition written out with the raw API.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ember/hash.h"

static void hex32(const char *hex, uint8_t out[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void check_sha(const char *msg, const char *want_hex)
{
	uint8_t got[32], want[32];

	hex32(want_hex, want);
	ember_sha256(msg, strlen(msg), got);
	assert_memory_equal(got, want, 32);
}

static void test_known_answers(void **state)
{
	(void)state;
	check_sha("abc",
	          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_sha("",
	          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* One million 'a' exercises many blocks and the length encoding. */
static void test_million_a(void **state)
{
	struct ember_sha256_ctx c;
	uint8_t chunk[1000], got[32], want[32];

	(void)state;
	memset(chunk, 'a', sizeof chunk);
	ember_sha256_init(&c);
	for (int i = 0; i < 1000; i++)
		ember_sha256_update(&c, chunk, sizeof chunk);
	ember_sha256_final(&c, got);
	hex32("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	      want);
	assert_memory_equal(got, want, 32);
}

static void test_incremental(void **state)
{
	uint8_t buf[300], one[32], inc[32];

	(void)state;
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	/* Every split point, including empty pieces, gives the same digest. */
	for (size_t len = 0; len <= sizeof buf; len += 37) {
		ember_sha256(buf, len, one);
		for (size_t cut = 0; cut <= len; cut++) {
			struct ember_sha256_ctx c;

			ember_sha256_init(&c);
			ember_sha256_update(&c, buf, cut);
			ember_sha256_update(&c, NULL, 0);
			ember_sha256_update(&c, buf + cut, len - cut);
			ember_sha256_final(&c, inc);
			assert_memory_equal(one, inc, 32);

			ember_sha256_2(buf, cut, buf + cut, len - cut, inc);
			assert_memory_equal(one, inc, 32);
		}
	}
}

static void test_tagged(void **state)
{
	static const char *tags[] = { "BIP0340/challenge", "", "ember/tx" };
	const char msg[] = "a message to tag";

	(void)state;
	for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++) {
		uint8_t th[32], pre[64 + sizeof msg], want[32], got[32];

		ember_sha256(tags[t], strlen(tags[t]), th);
		memcpy(pre, th, 32);
		memcpy(pre + 32, th, 32);
		memcpy(pre + 64, msg, sizeof msg);
		ember_sha256(pre, sizeof pre, want);
		ember_tagged_hash(tags[t], msg, sizeof msg, got);
		assert_memory_equal(got, want, 32);
	}
}

/* The BIP-340 challenge tag's digest as published in the BIP's reference. */
static void test_tag_digest(void **state)
{
	uint8_t th[32], want[32];

	(void)state;
	ember_sha256("BIP0340/challenge", 17, th);
	hex32("7bb52d7a9fef58323eb1bf7a407db382d2f3f2d81bb1224f49fe518f6d48d37c",
	      want);
	assert_memory_equal(th, want, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_tagged),
		cmocka_unit_test(test_tag_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
