/*
 * test_gpukernel.c - the GPU proof's kernel math (gpukernel.h) against
 * outside references: the ChaCha20 block function against RFC 8439
 * section 2.3.2's published vector, both element streams against
 * libsodium's crypto_stream_chacha20_ietf (first blocks and blocks at
 * large counters, many seeds), ek_elem against ek_gen, and ek_dot against
 * a 64-bit sum on random vectors and on the int8 extremes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <sodium.h>

#include "testutil.h"
#include "ember/gpukernel.h"
#include "ember/hash.h"

/* A seed per index, derived so that failures reproduce. */
static void seed_for(uint32_t i, uint8_t seed[32])
{
	uint8_t le[4] = { (uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16),
	                  (uint8_t)(i >> 24) };

	ember_sha256(le, sizeof le, seed);
}

/* RFC 8439 2.3.2: key 00:01:..:1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00,
 * block count 1; "ChaCha state at the end of the ChaCha20 operation" and
 * its serialisation. */
static void test_rfc8439_block(void **state)
{
	static const uint32_t want[16] = {
		0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3,
		0xc7f4d1c7, 0x0368c033, 0x9aaa2204, 0x4e6cd4c3,
		0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9,
		0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2,
	};
	static const char *serialised =
		"10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
		"d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e";
	uint8_t seed[32], bytes[64];
	const uint32_t nonce[3] = { 0x09000000, 0x4a000000, 0x00000000 };
	uint32_t key[8], out[16];

	(void)state;
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	ek_key(seed, key);
	assert_int_equal(key[0], 0x03020100);
	assert_int_equal(key[7], 0x1f1e1d1c);
	ek_chacha20_block(key, 1, nonce, out);
	for (int i = 0; i < 16; i++)
		assert_int_equal(out[i], want[i]);
	assert_int_equal(test_unhex(serialised, bytes, sizeof bytes), 64);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(bytes[4 * i], out[i] & 0xff);
		assert_int_equal(bytes[4 * i + 3], out[i] >> 24);
	}
}

/* libsodium's keystream for stream `stream` from block `blk`. */
static void sodium_stream(const uint8_t seed[32], uint32_t stream, uint32_t blk,
                          uint8_t *out, size_t n)
{
	uint8_t nonce[12] = { 0 };

	memset(out, 0, n);
	nonce[0] = (uint8_t)stream;
	nonce[1] = (uint8_t)(stream >> 8);
	nonce[2] = (uint8_t)(stream >> 16);
	nonce[3] = (uint8_t)(stream >> 24);
	assert_int_equal(crypto_stream_chacha20_ietf_xor_ic(out, out, n, nonce,
	                                                    blk, seed), 0);
}

static void test_streams_match_libsodium(void **state)
{
	/* Block counters: the start, a row boundary at N = 8192 (128 blocks
	 * a row), 2^20, the last block of B at N = 8192 (2^20 blocks) and at
	 * N_MAX (2^26), and the top of the 32-bit counter. */
	static const uint32_t blocks[] = {
		0, 1, 2, 127, 128, 1000, (1u << 20) - 4, 1u << 20,
		(1u << 26) - 4, 0xfffffffcu,
	};
	static const uint32_t streams[] = { EK_STREAM_A, EK_STREAM_B };
	enum { NB = 4, LEN = NB * EK_BLOCK };

	(void)state;
	for (uint32_t s = 0; s < 64; s++) {
		uint8_t seed[32];
		uint32_t key[8];

		seed_for(s, seed);
		ek_key(seed, key);
		for (size_t st = 0; st < 2; st++)
			for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++) {
				uint8_t want[LEN];
				int8_t got[LEN];

				sodium_stream(seed, streams[st], blocks[b], want, LEN);
				ek_gen(key, streams[st], (uint64_t)blocks[b] * EK_BLOCK,
				       LEN, got);
				if (memcmp(want, got, LEN) != 0)
					fail_msg("seed %u stream %c block %u: keystream differs "
					         "from libsodium", s, (char)streams[st],
					         blocks[b]);
			}
	}
}

/* The two streams differ from each other (the nonce takes effect). */
static void test_streams_differ(void **state)
{
	uint8_t seed[32];
	uint32_t key[8];
	int8_t a[EK_BLOCK], b[EK_BLOCK];

	(void)state;
	seed_for(7, seed);
	ek_key(seed, key);
	ek_gen_block(key, EK_STREAM_A, 0, a);
	ek_gen_block(key, EK_STREAM_B, 0, b);
	assert_memory_not_equal(a, b, EK_BLOCK);
}

static void test_elem_matches_gen(void **state)
{
	enum { LEN = 4096 };
	static const uint64_t far[] = {
		(1ull << 26) * EK_BLOCK - 1, (1ull << 20) * EK_BLOCK + 17,
		8191ull * 8192 + 8191,
	};
	uint8_t seed[32];
	uint32_t key[8];
	int8_t buf[LEN];

	(void)state;
	seed_for(3, seed);
	ek_key(seed, key);
	ek_gen(key, EK_STREAM_B, 0, LEN, buf);
	for (uint64_t e = 0; e < LEN; e++)
		assert_int_equal(ek_elem(key, EK_STREAM_B, e), buf[e]);
	ek_gen(key, EK_STREAM_A, 128 * EK_BLOCK, LEN, buf);
	for (uint64_t e = 0; e < LEN; e++)
		assert_int_equal(ek_elem(key, EK_STREAM_A, 128 * EK_BLOCK + e), buf[e]);
	for (size_t i = 0; i < sizeof far / sizeof *far; i++) {
		int8_t blk[EK_BLOCK];

		ek_gen_block(key, EK_STREAM_A, (uint32_t)(far[i] / EK_BLOCK), blk);
		assert_int_equal(ek_elem(key, EK_STREAM_A, far[i]),
		                 blk[far[i] % EK_BLOCK]);
	}
}

static int64_t ref_dot(const int8_t *a, const int8_t *b, uint32_t n)
{
	int64_t s = 0;

	for (uint32_t k = 0; k < n; k++)
		s += (int64_t)a[k] * b[k];
	return s;
}

static void test_dot(void **state)
{
	enum { MAXN = 65536 };
	static const uint32_t lens[] = { 0, 1, 63, 64, 1000, 8192, MAXN };
	static const int8_t ext[] = { -128, 127, 0, -1, 1 };
	int8_t *a = malloc(MAXN), *b = malloc(MAXN);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (size_t l = 0; l < sizeof lens / sizeof *lens; l++) {
		uint32_t n = lens[l];

		for (int rep = 0; rep < 4; rep++) {
			randombytes_buf(a, n);
			randombytes_buf(b, n);
			assert_true(ek_dot(a, b, n) == ref_dot(a, b, n));
		}
		for (size_t x = 0; x < sizeof ext; x++)
			for (size_t y = 0; y < sizeof ext; y++) {
				memset(a, (uint8_t)ext[x], n);
				memset(b, (uint8_t)ext[y], n);
				assert_true(ek_dot(a, b, n) == ref_dot(a, b, n));
			}
	}
	/* The largest |C|: N_MAX products of -128 * -128 is exactly 2^30. */
	memset(a, 0x80, MAXN);
	memset(b, 0x80, MAXN);
	assert_int_equal(ek_dot(a, b, MAXN), 1 << 30);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8439_block),
		cmocka_unit_test(test_streams_match_libsodium),
		cmocka_unit_test(test_streams_differ),
		cmocka_unit_test(test_elem_matches_gen),
		cmocka_unit_test(test_dot),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
