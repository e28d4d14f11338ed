/*
 * test_sha256_dev.c - the GPU prover's SHA-256 (sha256_dev.h), compiled
 * here for the host, against OpenSSL (hash.h): FIPS 180-4 examples, every
 * length across the padding boundaries, the proof's leaf, node and
 * grinding-hash layouts written out from proof.h's definitions, and the
 * leading-zero count.  The same code runs on the device, where the CUDA
 * prover's CPU == GPU selftest checks it again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ember/hash.h"
#include "ember/proof.h"
#include "ember/sha256_dev.h"
#include "testutil.h"

/* Deterministic filler bytes (xorshift64). */
static void fill(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 32);
	}
}

static void check_vector(const char *msg, const char *hex)
{
	uint8_t got[32], want[32];

	assert_int_equal(test_unhex(hex, want, sizeof want), 32);
	sd_sha256((const uint8_t *)msg, strlen(msg), got);
	assert_memory_equal(got, want, 32);
}

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional"). */
static void test_known_answers(void **state)
{
	(void)state;
	check_vector("abc",
	             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_vector("",
	             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_vector("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_vector("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	             "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* Every length 0 .. 1100 (the 55/56/64 padding edges of many blocks),
 * then some long ones, against OpenSSL. */
static void test_lengths(void **state)
{
	static const size_t longs[] = { 4095, 4096, 4097, 65536 + 55, 1000003 };
	uint8_t *buf = malloc(1000003);
	uint8_t got[32], want[32];

	(void)state;
	assert_non_null(buf);
	for (size_t len = 0; len <= 1100; len++) {
		fill(buf, len, len);
		sd_sha256(buf, len, got);
		ember_sha256(buf, len, want);
		assert_memory_equal(got, want, 32);
	}
	for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++) {
		fill(buf, longs[i], longs[i]);
		sd_sha256(buf, longs[i], got);
		ember_sha256(buf, longs[i], want);
		assert_memory_equal(got, want, 32);
	}
	free(buf);
}

/* A midstate carried over whole blocks, then finished. */
static void test_midstate(void **state)
{
	uint8_t buf[300], got[32], want[32];

	(void)state;
	fill(buf, sizeof buf, 7);
	for (size_t pre = 0; pre <= 256; pre += 64) {
		for (size_t len = pre; len <= sizeof buf; len += 13) {
			uint32_t st[8];

			sd_sha256_init(st);
			sd_sha256_blocks(st, buf, pre);
			sd_sha256_finish(st, buf + pre, len - pre, len);
			sd_sha256_out(st, got, 32);
			ember_sha256(buf, len, want);
			assert_memory_equal(got, want, 32);
		}
	}
}

static void test_proof_leaf_node(void **state)
{
	uint8_t leaf[EMBER_PROOF_LEAF], l[EMBER_PROOF_NODE], r[EMBER_PROOF_NODE];
	uint8_t got[EMBER_PROOF_NODE], want[32], m[1 + 2 * EMBER_PROOF_NODE];

	(void)state;
	for (uint64_t s = 0; s < 64; s++) {
		fill(leaf, sizeof leaf, s);
		m[0] = 0x00;
		memcpy(m + 1, leaf, sizeof leaf);
		ember_sha256(m, 1 + sizeof leaf, want);
		sd_proof_leaf(leaf, got);
		assert_memory_equal(got, want, EMBER_PROOF_NODE);

		fill(l, sizeof l, 1000 + s);
		fill(r, sizeof r, 2000 + s);
		m[0] = 0x01;
		memcpy(m + 1, l, sizeof l);
		memcpy(m + 1 + sizeof l, r, sizeof r);
		ember_sha256(m, sizeof m, want);
		sd_proof_node(l, r, got);
		assert_memory_equal(got, want, EMBER_PROOF_NODE);
	}
}

/* t = tagged_hash(EMBER_PROOF_POW_TAG, seed || root || le64 nonce). */
static void test_proof_pow(void **state)
{
	static const uint64_t nonces[] = {
		0, 1, 255, 256, 0xffffffffull, 0x100000000ull,
		0x0123456789abcdefull, UINT64_MAX - 1, UINT64_MAX,
	};
	struct sd_tagged60 p;
	uint8_t msg[60], got[32], want[32];

	(void)state;
	fill(msg, 52, 99);
	sd_tagged60_init(&p, (const uint8_t *)EMBER_PROOF_POW_TAG,
	                 strlen(EMBER_PROOF_POW_TAG), msg);
	for (size_t i = 0; i < sizeof nonces / sizeof nonces[0] + 1000; i++) {
		uint64_t n = i < sizeof nonces / sizeof nonces[0] ? nonces[i] :
		             (uint64_t)i * 0x9e3779b97f4a7c15ull;
		uint32_t st[8];

		for (int b = 0; b < 8; b++)
			msg[52 + b] = (uint8_t)(n >> (8 * b));
		ember_tagged_hash(EMBER_PROOF_POW_TAG, msg, sizeof msg, want);
		sd_tagged60_state(&p, n, st);
		sd_sha256_out(st, got, 32);
		assert_memory_equal(got, want, 32);
	}
}

/* Bit 7 of t[0] first, against a bit-by-bit count of the bytes. */
static void test_lead_zeros(void **state)
{
	(void)state;
	for (unsigned z = 0; z <= 256; z++) {
		uint32_t st[8] = { 0 };
		uint8_t t[32];
		unsigned ref = 0;

		if (z < 256)
			st[z / 32] = 0x80000000u >> (z % 32) | (z % 3 ? 1u : 0u);
		if (z < 224)
			st[7] = 0xdeadbeefu;
		sd_sha256_out(st, t, 32);
		while (ref < 256 && !(t[ref / 8] & (0x80 >> (ref % 8))))
			ref++;
		assert_int_equal(ref, z);
		assert_int_equal(sd_lead_zeros(st), z);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_midstate),
		cmocka_unit_test(test_proof_leaf_node),
		cmocka_unit_test(test_proof_pow),
		cmocka_unit_test(test_lead_zeros),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
