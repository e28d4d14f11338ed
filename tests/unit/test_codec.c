/* test_codec.c - varints, fixed-width integers, reader/writer bounds, hex.
 * Expected bytes are written out by hand from the LEB128 / little-endian
 * definitions, never produced by the code under test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ember/codec.h"

struct varint_case {
	uint64_t v;
	size_t n;
	uint8_t b[10];
};

static const struct varint_case varint_cases[] = {
	{ 0, 1, { 0x00 } },
	{ 1, 1, { 0x01 } },
	{ 127, 1, { 0x7f } },
	{ 128, 2, { 0x80, 0x01 } },
	{ 300, 2, { 0xac, 0x02 } },
	{ 16383, 2, { 0xff, 0x7f } },
	{ 16384, 3, { 0x80, 0x80, 0x01 } },
	{ 0xffffffffULL, 5, { 0xff, 0xff, 0xff, 0xff, 0x0f } },
	{ 1ULL << 63, 10, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 } },
	{ UINT64_MAX, 10, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 } },
};

static void test_varint_encode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(varint_cases) / sizeof(varint_cases[0]); i++) {
		const struct varint_case *c = &varint_cases[i];
		uint8_t buf[16];
		struct ember_wbuf w;
		memset(buf, 0xee, sizeof(buf));
		ember_wbuf_init(&w, buf, sizeof(buf));
		ember_put_varint(&w, c->v);
		assert_int_equal(w.err, 0);
		assert_int_equal(w.len, c->n);
		assert_memory_equal(buf, c->b, c->n);
		assert_int_equal(buf[c->n], 0xee);
		assert_int_equal(ember_varint_size(c->v), c->n);
	}
}

static void test_varint_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(varint_cases) / sizeof(varint_cases[0]); i++) {
		const struct varint_case *c = &varint_cases[i];
		struct ember_rbuf r;
		uint64_t v = 12345;
		ember_rbuf_init(&r, c->b, c->n);
		assert_int_equal(ember_get_varint(&r, &v), 0);
		assert_true(v == c->v);
		assert_int_equal(ember_rbuf_done(&r), 0);

		/* Every strict prefix is truncated, and nothing moves. */
		for (size_t k = 0; k < c->n; k++) {
			v = 12345;
			ember_rbuf_init(&r, c->b, k);
			assert_int_equal(ember_get_varint(&r, &v), EMBER_ENC_TRUNCATED);
			assert_true(v == 12345);
			assert_int_equal(r.off, 0);
		}
	}
}

struct bad_varint {
	size_t n;
	uint8_t b[12];
	int err;
};

static const struct bad_varint bad_varints[] = {
	/* 0 and 1 spelled with a redundant zero group */
	{ 2, { 0x80, 0x00 }, EMBER_ENC_VARINT },
	{ 2, { 0x81, 0x00 }, EMBER_ENC_VARINT },
	{ 3, { 0x80, 0x80, 0x00 }, EMBER_ENC_VARINT },
	{ 3, { 0xff, 0x80, 0x00 }, EMBER_ENC_VARINT },
	/* 10th byte with bits above 2^63 */
	{ 10, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 }, EMBER_ENC_VARINT },
	{ 10, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f }, EMBER_ENC_VARINT },
	/* 10th byte wanting an 11th */
	{ 11, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00 }, EMBER_ENC_VARINT },
	{ 11, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, EMBER_ENC_VARINT },
	/* 10-byte spelling of zero: non-minimal at the last byte */
	{ 10, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, EMBER_ENC_VARINT },
	/* input ends inside the varint */
	{ 0, { 0 }, EMBER_ENC_TRUNCATED },
	{ 1, { 0x80 }, EMBER_ENC_TRUNCATED },
	{ 2, { 0xff, 0xff }, EMBER_ENC_TRUNCATED },
};

static void test_varint_reject(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_varints) / sizeof(bad_varints[0]); i++) {
		const struct bad_varint *c = &bad_varints[i];
		struct ember_rbuf r;
		uint64_t v = 777;
		ember_rbuf_init(&r, c->b, c->n);
		assert_int_equal(ember_get_varint(&r, &v), c->err);
		assert_true(v == 777);
		assert_int_equal(r.off, 0);
	}
}

static void test_fixed_width(void **state)
{
	static const uint8_t want[] = {
		0xab,
		0x04, 0x03, 0x02, 0x01,
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		'h', 'i',
	};
	uint8_t buf[sizeof(want)];
	struct ember_wbuf w;
	struct ember_rbuf r;
	uint8_t u8 = 0;
	uint32_t u32 = 0;
	uint64_t u64 = 0;
	char s[2];
	const uint8_t *view;
	(void)state;

	ember_wbuf_init(&w, buf, sizeof(buf));
	ember_put_u8(&w, 0xab);
	ember_put_u32(&w, 0x01020304);
	ember_put_u64(&w, 0x0102030405060708ULL);
	ember_put_bytes(&w, "hi", 2);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	ember_rbuf_init(&r, want, sizeof(want));
	assert_int_equal(ember_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 0xab);
	assert_int_equal(ember_get_u32(&r, &u32), 0);
	assert_int_equal(u32, 0x01020304);
	assert_int_equal(ember_rbuf_done(&r), EMBER_ENC_TRAILING);
	assert_int_equal(ember_get_u64(&r, &u64), 0);
	assert_true(u64 == 0x0102030405060708ULL);
	assert_int_equal(ember_get_view(&r, &view, 1), 0);
	assert_ptr_equal(view, want + 13);
	assert_int_equal(ember_get_bytes(&r, s, 2), EMBER_ENC_TRUNCATED);
	assert_int_equal(ember_get_bytes(&r, s, 1), 0);
	assert_int_equal(s[0], 'i');
	assert_int_equal(ember_rbuf_done(&r), 0);
	assert_int_equal(ember_get_u8(&r, &u8), EMBER_ENC_TRUNCATED);
	assert_int_equal(ember_get_view(&r, &view, 0), 0);

	uint8_t le[8], be[8];
	static const uint8_t le_want[8] = { 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
	static const uint8_t be_want[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	ember_le64_put(le, 0x0102030405060708ULL);
	ember_be64_put(be, 0x0102030405060708ULL);
	assert_memory_equal(le, le_want, 8);
	assert_memory_equal(be, be_want, 8);
	assert_true(ember_le64_get(le_want) == 0x0102030405060708ULL);
	assert_true(ember_be64_get(be_want) == 0x0102030405060708ULL);
}

/* Short reads of fixed-width fields fail at every length and change nothing. */
static void test_fixed_truncated(void **state)
{
	static const uint8_t in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	(void)state;
	for (size_t k = 0; k < 8; k++) {
		struct ember_rbuf r;
		uint64_t u64 = 99;
		uint32_t u32 = 99;
		ember_rbuf_init(&r, in, k);
		assert_int_equal(ember_get_u64(&r, &u64), EMBER_ENC_TRUNCATED);
		assert_true(u64 == 99);
		if (k < 4) {
			assert_int_equal(ember_get_u32(&r, &u32), EMBER_ENC_TRUNCATED);
			assert_true(u32 == 99);
		}
		assert_int_equal(r.off, 0);
	}
}

static void test_writer_bounds(void **state)
{
	uint8_t buf[8];
	struct ember_wbuf w;
	(void)state;

	/* Counting writer. */
	ember_wbuf_init(&w, NULL, 0);
	ember_put_u64(&w, 1);
	ember_put_varint(&w, 300);
	ember_put_bytes(&w, "abc", 3);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, 8 + 2 + 3);

	/* Too small: the error latches, nothing is written past cap, and len
	 * still reports the size needed. */
	memset(buf, 0xee, sizeof(buf));
	ember_wbuf_init(&w, buf, 5);
	ember_put_u32(&w, 0x11223344);
	ember_put_u32(&w, 0x55667788);
	ember_put_u8(&w, 0x99);
	assert_int_equal(w.err, EMBER_ENC_BUFFER);
	assert_int_equal(w.len, 9);
	assert_int_equal(buf[0], 0x44);
	assert_int_equal(buf[4], 0xee);
	assert_int_equal(buf[5], 0xee);

	/* Exactly full is fine. */
	ember_wbuf_init(&w, buf, 8);
	ember_put_u64(&w, 0);
	assert_int_equal(w.err, 0);
	ember_put_u8(&w, 0);
	assert_int_equal(w.err, EMBER_ENC_BUFFER);
}

static void test_hex(void **state)
{
	static const uint8_t bin[] = { 0x00, 0xff, 0x10, 0xab, 0x9c };
	char hex[2 * sizeof(bin) + 1];
	uint8_t out[8];
	size_t n = 0;
	(void)state;

	ember_hex_encode(bin, sizeof(bin), hex);
	assert_string_equal(hex, "00ff10ab9c");
	ember_hex_encode(bin, 0, hex);
	assert_string_equal(hex, "");

	assert_int_equal(ember_hex_decode("00FF10aB9c", 10, out, sizeof(out), &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, bin, 5);
	assert_int_equal(ember_hex_decode("", 0, out, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ember_hex_decode("0a", 2, out, 1, NULL), 0);
	assert_int_equal(out[0], 0x0a);

	static const char *bad[] = { "0", "abc", "0g", "g0", " 0a", "0a ", "0x0a", "-1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 0x5a, sizeof(out));
		n = 42;
		assert_int_equal(ember_hex_decode(bad[i], strlen(bad[i]), out,
		                                  sizeof(out), &n), EMBER_EPARSE);
		/* out is unspecified on failure (single-pass decode); the
		 * count must not claim success. */
		assert_int_equal(n, 42);
	}
	/* An embedded NUL inside hexlen is a bad character, not an end. */
	assert_int_equal(ember_hex_decode("0a\0b", 4, out, sizeof(out), &n), EMBER_EPARSE);
	/* Does not fit. */
	assert_int_equal(ember_hex_decode("0a0b0c", 6, out, 2, &n), EMBER_EPARSE);
}

static void test_checked_math(void **state)
{
	uint64_t r = 7;
	(void)state;
	assert_int_equal(ember_add_u64(UINT64_MAX - 1, 1, &r), 1);
	assert_true(r == UINT64_MAX);
	r = 7;
	assert_int_equal(ember_add_u64(UINT64_MAX, 1, &r), 0);
	assert_true(r == 7);
	assert_int_equal(ember_sub_u64(3, 4, &r), 0);
	assert_true(r == 7);
	assert_int_equal(ember_sub_u64(4, 4, &r), 1);
	assert_true(r == 0);
	assert_int_equal(ember_mul_u64(1ULL << 32, 1ULL << 31, &r), 1);
	assert_true(r == 1ULL << 63);
	assert_int_equal(ember_mul_u64(1ULL << 32, 1ULL << 32, &r), 0);
	assert_true(r == 1ULL << 63);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint_encode),
		cmocka_unit_test(test_varint_decode),
		cmocka_unit_test(test_varint_reject),
		cmocka_unit_test(test_fixed_width),
		cmocka_unit_test(test_fixed_truncated),
		cmocka_unit_test(test_writer_bounds),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_checked_math),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
