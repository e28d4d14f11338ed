/* test_amount.c - EMB amount text: accepted forms, rejected forms with
 * their error code, the u64 edge, and formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>


#include "ember/amount.h"

struct amount_case {
	const char *text;
	int err;
	uint64_t v;
};

static const struct amount_case parse_cases[] = {
	{ "0", 0, 0 },
	{ "12", 0, 12000000000ULL },
	{ "0.5", 0, 500000000ULL },
	{ "1.000000001", 0, 1000000001ULL },
	{ "0.000000001", 0, 1 },
	{ "1.50", 0, 1500000000ULL },
	{ "1.000000000", 0, 1000000000ULL },
	{ "007", 0, 7000000000ULL },
	{ "0.0", 0, 0 },
	{ "18446744073", 0, 18446744073000000000ULL },
	{ "18446744073.709551615", 0, UINT64_MAX },

	{ "18446744073.709551616", EMBER_ERANGE, 0 },
	{ "18446744074", EMBER_ERANGE, 0 },
	{ "99999999999999999999", EMBER_ERANGE, 0 },
	{ "999999999999999999999999999999", EMBER_ERANGE, 0 },

	{ "", EMBER_EPARSE, 0 },
	{ ".", EMBER_EPARSE, 0 },
	{ "1.", EMBER_EPARSE, 0 },
	{ ".5", EMBER_EPARSE, 0 },
	{ "-1", EMBER_EPARSE, 0 },
	{ "+1", EMBER_EPARSE, 0 },
	{ " 1", EMBER_EPARSE, 0 },
	{ "1 ", EMBER_EPARSE, 0 },
	{ "1e9", EMBER_EPARSE, 0 },
	{ "1E9", EMBER_EPARSE, 0 },
	{ "0x10", EMBER_EPARSE, 0 },
	{ "1.0000000001", EMBER_EPARSE, 0 },
	{ "0.0000000000", EMBER_EPARSE, 0 },
	{ "1..0", EMBER_EPARSE, 0 },
	{ "1.2.3", EMBER_EPARSE, 0 },
	{ "1,5", EMBER_EPARSE, 0 },
	{ "1_000", EMBER_EPARSE, 0 },
	{ "1.5x", EMBER_EPARSE, 0 },
	{ "inf", EMBER_EPARSE, 0 },
	{ "\n1", EMBER_EPARSE, 0 },
	/* Syntax is judged before range. */
	{ "99999999999999999999x", EMBER_EPARSE, 0 },
	{ "99999999999999999999.0000000001", EMBER_EPARSE, 0 },
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct amount_case *c = &parse_cases[i];
		uint64_t v = 424242;
		int rc = ember_amount_parse(c->text, &v);
		if (rc != c->err)
			fail_msg("\"%s\": got %d, want %d", c->text, rc, c->err);
		if (c->err == 0 && v != c->v)
			fail_msg("\"%s\": got %llu, want %llu", c->text,
			         (unsigned long long)v, (unsigned long long)c->v);
		if (c->err != 0 && v != 424242)
			fail_msg("\"%s\": output written on error", c->text);
	}
	uint64_t v;
	assert_int_equal(ember_amount_parse(NULL, &v), EMBER_EINVAL);
	assert_int_equal(ember_amount_parse("1", NULL), EMBER_EINVAL);
}

struct format_case {
	uint64_t v;
	const char *text;
};

static const struct format_case format_cases[] = {
	{ 0, "0" },
	{ 1, "0.000000001" },
	{ 10, "0.00000001" },
	{ 500000000ULL, "0.5" },
	{ 1000000000ULL, "1" },
	{ 1000000001ULL, "1.000000001" },
	{ 12345000000ULL, "12.345" },
	{ 120000000000ULL, "120" },
	{ UINT64_MAX, "18446744073.709551615" },
};

static void test_format(void **state)
{
	char buf[EMBER_AMOUNT_BUFLEN];
	(void)state;
	for (size_t i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		ember_amount_format(format_cases[i].v, buf);
		assert_string_equal(buf, format_cases[i].text);
	}
}

/* Format then parse returns the value, across scales and digit patterns. */
static void test_roundtrip(void **state)
{
	char buf[EMBER_AMOUNT_BUFLEN];
	(void)state;
	uint64_t v = 1;
	for (int i = 0; i < 2000; i++) {
		uint64_t back = 0;
		ember_amount_format(v, buf);
		assert_int_equal(ember_amount_parse(buf, &back), 0);
		assert_true(back == v);
		v = v * 6364136223846793005ULL + 1442695040888963407ULL;
		v >>= (unsigned)(i % 64);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
