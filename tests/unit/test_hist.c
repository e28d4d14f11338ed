/* test_hist.c - fixed-bucket histograms: which bucket a value lands in
 * (bounds are inclusive, as Prometheus' "le"), cumulative counts, the
 * +Inf bucket, the saturating sum, and init's misuse cases. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ember/hist.h"

static const uint64_t bounds[] = { 10, 100, 1000 };
#define NB (sizeof bounds / sizeof bounds[0])

struct place_case {
	uint64_t us;
	size_t bucket;          /* NB: the +Inf bucket */
};

static const struct place_case place_cases[] = {
	{ 0, 0 },
	{ 1, 0 },
	{ 10, 0 },              /* on the bound: that bucket */
	{ 11, 1 },
	{ 100, 1 },
	{ 101, 2 },
	{ 1000, 2 },
	{ 1001, NB },
	{ UINT64_MAX, NB },
};

static void test_place(void **state)
{
	struct ember_hist h;
	(void)state;
	for (size_t i = 0; i < sizeof place_cases / sizeof place_cases[0]; i++) {
		const struct place_case *c = &place_cases[i];
		assert_int_equal(ember_hist_init(&h, bounds, NB), 0);
		ember_hist_observe(&h, c->us);
		for (size_t b = 0; b <= NB; b++)
			if (h.bucket[b] != (b == c->bucket))
				fail_msg("%llu us: bucket %zu holds %llu, want it in %zu",
				         (unsigned long long)c->us, b,
				         (unsigned long long)h.bucket[b], c->bucket);
		assert_int_equal(h.count, 1);
		assert_true(h.sum_us == c->us);
	}
}

static void test_cumulative(void **state)
{
	static const uint64_t obs[] = { 5, 10, 50, 50, 500, 5000, 7 };
	static const uint64_t want[NB + 1] = { 3, 5, 6, 7 };
	struct ember_hist h;
	(void)state;

	assert_int_equal(ember_hist_init(&h, bounds, NB), 0);
	for (size_t i = 0; i <= NB; i++)
		assert_int_equal(ember_hist_cumulative(&h, i), 0);
	for (size_t i = 0; i < sizeof obs / sizeof obs[0]; i++)
		ember_hist_observe(&h, obs[i]);
	for (size_t i = 0; i <= NB; i++)
		assert_int_equal(ember_hist_cumulative(&h, i), want[i]);
	/* Past the last bound is the +Inf bucket, equal to the count. */
	assert_int_equal(ember_hist_cumulative(&h, NB + 5), h.count);
	assert_int_equal(h.count, 7);
	assert_int_equal(h.sum_us, 5622);
}

static void test_sum_saturates(void **state)
{
	struct ember_hist h;
	(void)state;
	assert_int_equal(ember_hist_init(&h, bounds, NB), 0);
	ember_hist_observe(&h, UINT64_MAX - 1);
	ember_hist_observe(&h, 2);
	assert_true(h.sum_us == UINT64_MAX);
	ember_hist_observe(&h, 1);
	assert_true(h.sum_us == UINT64_MAX);
	assert_int_equal(h.count, 3);
}

static void test_init_misuse(void **state)
{
	static const uint64_t equal[] = { 10, 10 };
	static const uint64_t down[] = { 10, 5 };
	uint64_t many[EMBER_HIST_MAX + 1];
	struct ember_hist h;
	(void)state;

	for (size_t i = 0; i < EMBER_HIST_MAX + 1; i++)
		many[i] = i + 1;
	assert_int_equal(ember_hist_init(NULL, bounds, NB), EMBER_EINVAL);
	assert_int_equal(ember_hist_init(&h, NULL, NB), EMBER_EINVAL);
	assert_int_equal(ember_hist_init(&h, bounds, 0), EMBER_EINVAL);
	assert_int_equal(ember_hist_init(&h, many, EMBER_HIST_MAX + 1), EMBER_EINVAL);
	assert_int_equal(ember_hist_init(&h, equal, 2), EMBER_EINVAL);
	assert_int_equal(ember_hist_init(&h, down, 2), EMBER_EINVAL);
	/* The most bounds allowed, and a single one. */
	assert_int_equal(ember_hist_init(&h, many, EMBER_HIST_MAX), 0);
	ember_hist_observe(&h, EMBER_HIST_MAX + 1);
	assert_int_equal(h.bucket[EMBER_HIST_MAX], 1);
	assert_int_equal(ember_hist_init(&h, bounds, 1), 0);
	ember_hist_observe(&h, 11);
	assert_int_equal(ember_hist_cumulative(&h, 0), 0);
	assert_int_equal(ember_hist_cumulative(&h, 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_place),
		cmocka_unit_test(test_cumulative),
		cmocka_unit_test(test_sum_saturates),
		cmocka_unit_test(test_init_misuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
