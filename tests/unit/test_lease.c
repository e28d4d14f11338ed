/* test_lease.c - lease settlement arithmetic (market.h) against an
 * independent reference.
 *
 * The reference never evaluates owed(n) = floor(n num / den).  It walks the
 * lease one block at a time, adding num to a 128-bit remainder and paying
 * the whole tokens that carries past den (the cumulative floor, reached
 * incrementally), and stops at the first block the escrow cannot pay.  The
 * code under test jumps straight to the answer with a closed form and a
 * division, so agreement between the two over many random leases, settled
 * in random steps with top-ups and segment changes in between, is evidence
 * for both the formula and its boundaries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ember/market.h"

typedef unsigned __int128 u128;

#define MS_PER_HOUR 3600000u

/* --- deterministic randomness (splitmix64, fixed seed) ------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* uniform-ish in [lo, hi] */
static uint64_t rnd_in(uint64_t lo, uint64_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

/* --- the reference ---------------------------------------------------------- */

struct ref {
	u128 num, den, rem;
	uint64_t settled, end, escrow, paid;
	uint8_t status, reason;
	uint64_t close_height;
};

/* The segment rate, written out from market.h's definition. */
static void ref_rate(struct ref *r, enum ember_token_model m, uint64_t price,
                     uint32_t gpus, uint64_t bt, uint64_t rate)
{
	if (m == EMBER_MODEL_SFA) {
		r->num = (u128)price * gpus * bt;
		r->den = MS_PER_HOUR;
	} else {
		r->num = (u128)price * gpus * bt * 1000000000u;
		r->den = (u128)MS_PER_HOUR * rate;
	}
	r->rem = 0;     /* a new segment starts its own cumulative floor */
}

/* Bill block after block up to min(h, end); stop at the first unaffordable
 * block (closed as of the block before it). */
static void ref_advance(struct ref *r, uint64_t h)
{
	/* a zero-duration lease has nothing to bill and is done at once */
	if (r->status == EMBER_LEASE_OPEN && r->settled == r->end &&
	    h > r->settled) {
		r->status = EMBER_LEASE_CLOSED;
		r->reason = EMBER_CLOSE_COMPLETED;
		r->close_height = r->end;
	}
	while (r->status == EMBER_LEASE_OPEN && r->settled < h &&
	       r->settled < r->end) {
		u128 acc = r->rem + r->num;
		u128 cost = 0;

		/* whole tokens carried out of the remainder by this block */
		if (acc >= r->den) {
			cost = acc / r->den;
			acc -= cost * r->den;
		}
		if (cost > r->escrow) {
			r->status = EMBER_LEASE_CLOSED;
			r->reason = EMBER_CLOSE_FUNDS;
			r->close_height = r->settled;
			return;
		}
		r->rem = acc;
		r->escrow -= (uint64_t)cost;
		r->paid += (uint64_t)cost;
		r->settled++;
		if (r->settled == r->end) {
			r->status = EMBER_LEASE_CLOSED;
			r->reason = EMBER_CLOSE_COMPLETED;
			r->close_height = r->end;
		}
	}
}

static void check_against(const struct ember_lease *l, const struct ref *r,
                          uint64_t lease_no, int step)
{
	if (l->status != r->status || l->close_reason != r->reason ||
	    l->close_height != r->close_height ||
	    l->settled_height != r->settled || l->escrow != r->escrow ||
	    l->paid_total != r->paid) {
		print_error("lease %llu step %d: got status %u reason %u close %llu settled %llu escrow %llu paid %llu; "
		            "reference status %u reason %u close %llu settled %llu escrow %llu paid %llu\n",
		            (unsigned long long)lease_no, step, l->status,
		            l->close_reason, (unsigned long long)l->close_height,
		            (unsigned long long)l->settled_height,
		            (unsigned long long)l->escrow,
		            (unsigned long long)l->paid_total, r->status, r->reason,
		            (unsigned long long)r->close_height,
		            (unsigned long long)r->settled,
		            (unsigned long long)r->escrow,
		            (unsigned long long)r->paid);
		fail();
	}
}

/* --- lease construction ------------------------------------------------------ */

static const uint64_t block_times[] = { 1, 7, 250, 1000, 2000, 6000, 3600001 };

struct params {
	enum ember_token_model model;
	uint64_t bt;
};

static struct ember_lease new_lease(uint64_t start, uint64_t duration,
                                    uint64_t price, uint32_t gpus,
                                    uint64_t rate, uint64_t escrow)
{
	struct ember_lease l;

	memset(&l, 0, sizeof(l));
	l.id = 1;
	l.order_id = 1;
	l.gpus = gpus;
	l.price_per_gpu_hour = price;
	l.status = EMBER_LEASE_OPEN;
	l.close_reason = EMBER_CLOSE_NONE;
	l.start_height = start;
	l.end_height = start + duration;
	l.settled_height = start;
	l.seg_start = start;
	l.seg_rate_uusd = rate;
	l.escrow = escrow;
	l.deposited_total = escrow;
	return l;
}

/* A random lease whose escrow is, by turns, far too little, exactly what
 * some block costs (runs dry exactly there), one token short of that, or
 * more than the whole duration needs. */
static struct ember_lease random_lease(struct params *p)
{
	uint64_t price, rate, duration, escrow, start, k, cost, full;
	uint32_t gpus;
	struct ember_lease l;

	/* Redraw until the whole duration costs at most 2^61, so escrows and
	 * top-ups built from it stay far from 2^64 (overflow has its own
	 * tests). */
	do {
		rate = 0;
		p->model = (enum ember_token_model)rnd_in(1, 3);
		p->bt = block_times[rnd() % (sizeof(block_times) /
		                             sizeof(block_times[0]))];
		gpus = (uint32_t)rnd_in(1, 64);
		if (p->model == EMBER_MODEL_SFA) {
			/* from fractions of a token per block to millions */
			price = rnd() % 2 ? rnd_in(0, 5000)
			                  : rnd_in(0, 10000000000000ull);
		} else {
			price = rnd_in(1, 100000000);   /* up to $100 per GPU-hour */
			rate = rnd() % 2 ? rnd_in(1, 1000) : rnd_in(1, 1000000000);
		}
		duration = rnd_in(0, 1500);
		start = rnd_in(0, 1000000);
		l = new_lease(start, duration, price, gpus, rate, 0);
	} while (ember_lease_cost(&l, duration, p->model, p->bt, rate, &full) ||
	         full > (1ull << 61));
	k = duration ? rnd_in(0, duration) : 0;
	assert_int_equal(ember_lease_cost(&l, k, p->model, p->bt, rate, &cost), 0);
	switch (rnd() % 5) {
	case 0: escrow = rnd_in(0, 3); break;
	case 1: escrow = cost; break;
	case 2: escrow = cost ? cost - 1 : 0; break;
	case 3: escrow = cost + rnd_in(0, 1000); break;
	default: escrow = cost * 2 + rnd_in(0, 1000000); break;
	}
	l.escrow = escrow;
	l.deposited_total = escrow;
	return l;
}

static struct ref ref_of(const struct ember_lease *l, const struct params *p)
{
	struct ref r;

	memset(&r, 0, sizeof(r));
	ref_rate(&r, p->model, l->price_per_gpu_hour, l->gpus, p->bt,
	         l->seg_rate_uusd);
	r.settled = l->settled_height;
	r.end = l->end_height;
	r.escrow = l->escrow;
	r.status = EMBER_LEASE_OPEN;
	return r;
}

/* seg_paid must always equal owed(settled - seg_start). */
static void check_seg_paid(const struct ember_lease *l, const struct params *p)
{
	uint64_t o;

	assert_int_equal(ember_lease_cost(l, l->settled_height - l->seg_start,
	                                  p->model, p->bt, l->seg_rate_uusd, &o),
	                 0);
	assert_true(o == l->seg_paid);
	/* every token deposited is either still held or was paid */
	assert_true(l->escrow + l->paid_total == l->deposited_total);
}

/* --- tests ------------------------------------------------------------------ */

/* Hand-computed costs: the formula itself, not just agreement. */
static void test_cost_by_hand(void **state)
{
	struct ember_lease l;
	uint64_t c;

	(void)state;
	/* sfa: 3600 base units per GPU-hour, 1 GPU, 1 s blocks = 1 per block */
	l = new_lease(0, 100, 3600, 1, 0, 0);
	assert_int_equal(ember_lease_cost(&l, 1, EMBER_MODEL_SFA, 1000, 0, &c), 0);
	assert_true(c == 1);
	assert_int_equal(ember_lease_cost(&l, 3600, EMBER_MODEL_SFA, 1000, 0, &c), 0);
	assert_true(c == 3600);
	/* 1000 base units per hour at 1 s: 0.2777 per block, floored cumulatively */
	l = new_lease(0, 100, 1000, 1, 0, 0);
	assert_int_equal(ember_lease_cost(&l, 3, EMBER_MODEL_SFA, 1000, 0, &c), 0);
	assert_true(c == 0);
	assert_int_equal(ember_lease_cost(&l, 4, EMBER_MODEL_SFA, 1000, 0, &c), 0);
	assert_true(c == 1);                 /* 4000 / 3600 */
	assert_int_equal(ember_lease_cost(&l, 3600, EMBER_MODEL_SFA, 1000, 0, &c), 0);
	assert_true(c == 1000);
	/* bme: $2 per GPU-hour, 2 GPUs, EMB at $0.50: 8 EMB per hour;
	 * 8e9 / 3600 = 2222222.2 base units per 1 s block */
	l = new_lease(0, 100, 2000000, 2, 500000, 0);
	assert_int_equal(ember_lease_cost(&l, 1, EMBER_MODEL_BME, 1000, 500000, &c), 0);
	assert_true(c == 2222222);
	assert_int_equal(ember_lease_cost(&l, 2, EMBER_MODEL_HYBRID, 1000, 500000, &c), 0);
	assert_true(c == 4444444);
	assert_int_equal(ember_lease_cost(&l, 3600, EMBER_MODEL_BME, 1000, 500000, &c), 0);
	assert_true(c == 8000000000ull);
	/* the rate argument, not the lease's segment rate, is used */
	assert_int_equal(ember_lease_cost(&l, 3600, EMBER_MODEL_BME, 1000, 1000000, &c), 0);
	assert_true(c == 4000000000ull);
	/* an hour that is not a whole number of blocks: 7 ms blocks */
	l = new_lease(0, 100, 3600000, 1, 0, 0);
	assert_int_equal(ember_lease_cost(&l, 1, EMBER_MODEL_SFA, 7, 0, &c), 0);
	assert_true(c == 7);
	assert_int_equal(ember_lease_cost(&l, 0, EMBER_MODEL_SFA, 7, 0, &c), 0);
	assert_true(c == 0);
}

/* covered() agrees with a linear search over owed(n). */
static void test_covered_brute(void **state)
{
	int partial = 0;

	(void)state;
	for (int i = 0; i < 3000; i++) {
		struct params p;
		struct ember_lease l = random_lease(&p);
		uint64_t limit = rnd_in(0, 300), got, want = 0, o;

		l.seg_paid = 0;
		assert_int_equal(ember_lease_covered(&l, limit, p.model, p.bt, &got), 0);
		for (uint64_t n = 1; n <= limit; n++) {
			assert_int_equal(ember_lease_cost(&l, n, p.model, p.bt,
			                                  l.seg_rate_uusd, &o), 0);
			if (o > l.escrow)
				break;
			want = n;
		}
		assert_true(got == want);

		/* part-way through a segment what it already charged counts:
		 * covered() is measured from seg_start against seg_paid + escrow */
		{
			struct ember_lease m;
			uint64_t c2;

			assert_int_equal(ember_lease_settle(&l, l.start_height +
			    rnd_in(1, 50), p.model, p.bt, &m, &c2), 0);
			if (m.status != EMBER_LEASE_OPEN || m.seg_paid == 0)
				continue;
			assert_int_equal(ember_lease_covered(&m, limit, p.model,
			                                     p.bt, &got), 0);
			want = 0;
			for (uint64_t n = 1; n <= limit; n++) {
				assert_int_equal(ember_lease_cost(&m, n, p.model, p.bt,
				                 m.seg_rate_uusd, &o), 0);
				if (o > m.seg_paid + m.escrow)
					break;
				want = n;
			}
			assert_true(got == want);
			partial++;
		}
	}
	/* the part-way case must actually have been exercised */
	assert_true(partial > 100);
}

/* Many random leases, settled at random heights (backwards, repeated,
 * forwards), with top-ups and new segments in between, each step compared
 * with the block-by-block reference. */
static void test_random_vs_reference(void **state)
{
	/* how often each path was taken, so the test cannot pass by never
	 * reaching one */
	int dry = 0, dry_at_once = 0, completed = 0, topups = 0, segments = 0;

	(void)state;
	for (uint64_t i = 0; i < 4000; i++) {
		struct params p;
		struct ember_lease l = random_lease(&p), prev;
		struct ref r = ref_of(&l, &p);
		uint64_t h = l.start_height, charged;

		for (int step = 0; step < 40; step++) {
			uint64_t before = l.paid_total;

			switch (rnd() % 8) {
			case 0: h = h > 3 ? h - rnd_in(0, 3) : h; break;   /* not forward */
			case 1: break;                                      /* repeat */
			default: h += rnd_in(1, l.end_height - l.start_height + 2) / 4 + 1; break;
			}
			prev = l;
			assert_int_equal(ember_lease_settle(&prev, h, p.model, p.bt, &l,
			                                    &charged), 0);
			ref_advance(&r, h);
			check_against(&l, &r, i, step);
			assert_true(charged == l.paid_total - before);
			assert_true(l.close_height <= l.end_height);
			check_seg_paid(&l, &p);
			if (l.status != EMBER_LEASE_OPEN)
				break;
			/* a top-up at the height just settled (what market.c does) */
			if (rnd() % 4 == 0 && h == l.settled_height) {
				uint64_t add = rnd_in(0, 1000000);
				if (l.deposited_total < (1ull << 62))
					add += rnd_in(0, l.deposited_total / 8);
				l.escrow += add;
				l.deposited_total += add;
				r.escrow += add;
				topups++;
			}
			/* an epoch boundary: a new segment at a new price */
			if (rnd() % 4 == 0 && h == l.settled_height &&
			    p.model != EMBER_MODEL_SFA) {
				l.seg_start = l.settled_height;
				l.seg_paid = 0;
				l.seg_rate_uusd = rnd_in(1, 1000000000);
				ref_rate(&r, p.model, l.price_per_gpu_hour, l.gpus,
				         p.bt, l.seg_rate_uusd);
				segments++;
			} else if (rnd() % 4 == 0 && h == l.settled_height) {
				/* sfa boundaries restart the segment at rate 0 */
				l.seg_start = l.settled_height;
				l.seg_paid = 0;
				ref_rate(&r, p.model, l.price_per_gpu_hour, l.gpus,
				         p.bt, l.seg_rate_uusd);
			}
		}
		/* far past the end: every lease is closed, never after end */
		prev = l;
		assert_int_equal(ember_lease_settle(&prev, l.end_height + 10, p.model,
		                                    p.bt, &l, &charged), 0);
		ref_advance(&r, l.end_height + 10);
		check_against(&l, &r, i, 99);
		assert_int_equal(l.status, EMBER_LEASE_CLOSED);
		assert_true(l.close_height <= l.end_height);
		assert_true(l.settled_height == l.close_height);
		if (l.close_reason == EMBER_CLOSE_FUNDS) {
			dry++;
			dry_at_once += l.close_height == l.start_height;
		} else {
			completed++;
		}
	}
	assert_true(dry > 500 && dry_at_once > 100 && completed > 500);
	assert_true(topups > 500 && segments > 500);
}

/* Settling in steps ends exactly where settling once does. */
static void test_steps_equal_once(void **state)
{
	(void)state;
	for (int i = 0; i < 3000; i++) {
		struct params p;
		struct ember_lease l = random_lease(&p), once, stepped = l, tmp;
		uint64_t target = l.start_height + rnd_in(0, l.end_height -
		                                           l.start_height + 5);
		uint64_t h = l.start_height, sum = 0, charged, total;

		assert_int_equal(ember_lease_settle(&l, target, p.model, p.bt,
		                                    &once, &total), 0);
		while (h < target) {
			h += rnd_in(1, 50);
			if (h > target)
				h = target;
			tmp = stepped;
			assert_int_equal(ember_lease_settle(&tmp, h, p.model, p.bt,
			                                    &stepped, &charged), 0);
			sum += charged;
		}
		assert_true(sum == total);
		assert_int_equal(stepped.status, once.status);
		assert_int_equal(stepped.close_reason, once.close_reason);
		assert_true(stepped.close_height == once.close_height);
		assert_true(stepped.settled_height == once.settled_height);
		assert_true(stepped.seg_paid == once.seg_paid);
		assert_true(stepped.escrow == once.escrow);
		assert_true(stepped.paid_total == once.paid_total);
	}
}

/* 1000 base units per block (sfa, 3600 per GPU-hour x 1000 ms / 3600). */
static struct ember_lease thousand_per_block(uint64_t escrow)
{
	return new_lease(100, 20, 3600000, 1, 0, escrow);
}

static void settle_ok(const struct ember_lease *in, uint64_t h,
                      struct ember_lease *out, uint64_t *charged)
{
	assert_int_equal(ember_lease_settle(in, h, EMBER_MODEL_SFA, 1000, out,
	                                    charged), 0);
}

static void test_runs_dry_exactly(void **state)
{
	struct ember_lease l = thousand_per_block(5000), o, o2;
	uint64_t c;

	(void)state;
	/* funds for exactly 5 blocks: settling far ahead closes at 105 */
	settle_ok(&l, 110, &o, &c);
	assert_int_equal(o.status, EMBER_LEASE_CLOSED);
	assert_int_equal(o.close_reason, EMBER_CLOSE_FUNDS);
	assert_true(o.close_height == 105 && o.settled_height == 105);
	assert_true(c == 5000 && o.escrow == 0 && o.paid_total == 5000);

	/* settled exactly to the last paid block: still open, nothing left */
	settle_ok(&l, 105, &o, &c);
	assert_int_equal(o.status, EMBER_LEASE_OPEN);
	assert_true(o.settled_height == 105 && o.escrow == 0 && c == 5000);
	/* the next settle closes it as of 105 and charges nothing */
	settle_ok(&o, 106, &o2, &c);
	assert_int_equal(o2.status, EMBER_LEASE_CLOSED);
	assert_int_equal(o2.close_reason, EMBER_CLOSE_FUNDS);
	assert_true(o2.close_height == 105 && c == 0 && o2.paid_total == 5000);

	/* one token short of the sixth block: refund 999 */
	l = thousand_per_block(5999);
	settle_ok(&l, 200, &o, &c);
	assert_int_equal(o.close_reason, EMBER_CLOSE_FUNDS);
	assert_true(o.close_height == 105 && o.escrow == 999 && c == 5000);
}

static void test_zero_blocks(void **state)
{
	struct ember_lease l = thousand_per_block(999), o;
	uint64_t c = 77;

	(void)state;
	settle_ok(&l, 101, &o, &c);
	assert_int_equal(o.status, EMBER_LEASE_CLOSED);
	assert_int_equal(o.close_reason, EMBER_CLOSE_FUNDS);
	assert_true(o.close_height == 100 && o.settled_height == 100);
	assert_true(c == 0 && o.escrow == 999 && o.paid_total == 0);
	/* same with an empty escrow */
	l = thousand_per_block(0);
	settle_ok(&l, 150, &o, &c);
	assert_int_equal(o.close_reason, EMBER_CLOSE_FUNDS);
	assert_true(o.close_height == 100 && o.escrow == 0 && c == 0);
}

static void test_completes_at_end(void **state)
{
	struct ember_lease l = thousand_per_block(20000), o;
	uint64_t c;

	(void)state;
	/* funds for exactly the duration: completed, not insufficient */
	settle_ok(&l, 120, &o, &c);
	assert_int_equal(o.status, EMBER_LEASE_CLOSED);
	assert_int_equal(o.close_reason, EMBER_CLOSE_COMPLETED);
	assert_true(o.close_height == 120 && o.escrow == 0 && c == 20000);
	/* plenty of funds, settled long after: closes at end, refunds rest */
	l = thousand_per_block(1000000);
	settle_ok(&l, 5000, &o, &c);
	assert_int_equal(o.close_reason, EMBER_CLOSE_COMPLETED);
	assert_true(o.close_height == 120 && o.settled_height == 120);
	assert_true(c == 20000 && o.escrow == 980000);
	/* a zero-duration lease completes at once, charging nothing */
	l = new_lease(100, 0, 3600000, 1, 0, 500);
	settle_ok(&l, 101, &o, &c);
	assert_int_equal(o.close_reason, EMBER_CLOSE_COMPLETED);
	assert_true(o.close_height == 100 && c == 0 && o.escrow == 500);
	/* a free lease (price 0) runs to its end */
	l = new_lease(100, 20, 0, 1, 0, 0);
	settle_ok(&l, 130, &o, &c);
	assert_int_equal(o.close_reason, EMBER_CLOSE_COMPLETED);
	assert_true(o.close_height == 120 && c == 0);
}

static void test_nothing_after_close(void **state)
{
	struct ember_lease l = thousand_per_block(5500), o, o2;
	uint8_t a[EMBER_LEASE_ENC_MAX], b[EMBER_LEASE_ENC_MAX];
	size_t na, nb;
	uint64_t c = 9;

	(void)state;
	settle_ok(&l, 103, &o, &c);
	settle_ok(&o, 110, &o, &c);       /* in place: out may alias in */
	assert_int_equal(o.status, EMBER_LEASE_CLOSED);
	o.escrow += 1000000;              /* even with money it stays closed */
	for (uint64_t h = 0; h < 400; h += 37) {
		settle_ok(&o, h, &o2, &c);
		assert_true(c == 0);
		na = ember_lease_encode(&o, a);
		nb = ember_lease_encode(&o2, b);
		assert_true(na == nb && memcmp(a, b, na) == 0);
	}
	/* an open lease settled at or below settled_height is unchanged too */
	settle_ok(&l, 100, &o2, &c);
	assert_true(c == 0 && o2.settled_height == 100 && o2.escrow == 5500);
	settle_ok(&l, 3, &o2, &c);
	assert_true(c == 0 && o2.settled_height == 100);
}

static void test_rejections(void **state)
{
	struct ember_lease l = thousand_per_block(1000), o;
	uint64_t c;

	(void)state;
	assert_int_equal(ember_lease_settle(&l, 105, EMBER_MODEL_SFA, 0, &o, &c),
	                 EMBER_EINVAL);
	assert_int_equal(ember_lease_settle(&l, 105, (enum ember_token_model)0,
	                                    1000, &o, &c), EMBER_EINVAL);
	/* bme and hybrid without a segment price */
	assert_int_equal(ember_lease_settle(&l, 105, EMBER_MODEL_BME, 1000, &o, &c),
	                 EMBER_EINVAL);
	assert_int_equal(ember_lease_settle(&l, 105, EMBER_MODEL_HYBRID, 1000, &o,
	                                    &c), EMBER_EINVAL);
	assert_int_equal(ember_lease_cost(&l, 1, EMBER_MODEL_BME, 1000, 0, &c),
	                 EMBER_EINVAL);
	assert_int_equal(ember_lease_cost(&l, 1, EMBER_MODEL_SFA, 0, 0, &c),
	                 EMBER_EINVAL);
	assert_int_equal(ember_lease_covered(&l, 1, EMBER_MODEL_HYBRID, 1000, &c),
	                 EMBER_EINVAL);
	/* a record that cannot be ours: settled before its segment start */
	l.seg_start = 101;
	assert_int_equal(ember_lease_settle(&l, 105, EMBER_MODEL_SFA, 1000, &o, &c),
	                 EMBER_EINVAL);
	/* seg_paid above what the settled blocks cost */
	l = thousand_per_block(1000);
	l.settled_height = 101;
	l.seg_paid = 5000;
	assert_int_equal(ember_lease_settle(&l, 105, EMBER_MODEL_SFA, 1000, &o, &c),
	                 EMBER_EINVAL);
}

static void test_overflow(void **state)
{
	struct ember_lease l, o, keep;
	uint64_t c = 5;

	(void)state;
	/* price x gpus x block time past 128 bits */
	l = new_lease(0, 10, UINT64_MAX, UINT32_MAX, 0, 1);
	assert_int_equal(ember_lease_cost(&l, 1, EMBER_MODEL_SFA, UINT64_MAX, 0, &c),
	                 EMBER_TX_OVERFLOW);
	assert_int_equal(ember_lease_settle(&l, 5, EMBER_MODEL_SFA, UINT64_MAX, &o,
	                                    &c), EMBER_TX_OVERFLOW);
	/* ... and with the 10^9 of bme on top */
	l = new_lease(0, 10, UINT64_MAX, UINT32_MAX, 1, 1);
	assert_int_equal(ember_lease_cost(&l, 1, EMBER_MODEL_BME, 1ull << 40, 1, &c),
	                 EMBER_TX_OVERFLOW);
	/* a cost that does not fit u64 */
	l = new_lease(0, 10, UINT64_MAX, 1000, 0, 0);
	assert_int_equal(ember_lease_cost(&l, 3600, EMBER_MODEL_SFA, 1000, 0, &c),
	                 EMBER_TX_OVERFLOW);
	/* n x num past 128 bits */
	assert_int_equal(ember_lease_cost(&l, UINT64_MAX, EMBER_MODEL_SFA,
	                                  UINT64_MAX, 0, &c), EMBER_TX_OVERFLOW);

	/* bme with everything at its maximum: owed(limit) overflows and so
	 * does (funds+1) x den; rejected, and *out left as the input */
	l = new_lease(0, 1ull << 40, UINT64_MAX, UINT32_MAX, UINT64_MAX,
	              UINT64_MAX);
	keep = l;
	assert_int_equal(ember_lease_settle(&l, 1ull << 40, EMBER_MODEL_BME, 2, &o,
	                                    &c), EMBER_TX_OVERFLOW);
	assert_true(c == 0);
	assert_true(o.settled_height == keep.settled_height &&
	            o.escrow == keep.escrow && o.status == keep.status);

	/* seg_paid would pass 2^64: 2^30 per block, 2^34 - 2 blocks already
	 * paid (2^64 - 2^31), escrow for two more; the first fits exactly */
	l = new_lease(0, 1ull << 40, 3600000ull << 30, 1, 0, 1ull << 31);
	l.settled_height = (1ull << 34) - 2;
	l.seg_paid = ((1ull << 34) - 2) << 30;
	assert_int_equal(ember_lease_settle(&l, l.settled_height + 1,
	                                    EMBER_MODEL_SFA, 1, &o, &c), 0);
	assert_true(c == 1ull << 30 && o.seg_paid == UINT64_MAX - ((1ull << 30) - 1));
	assert_int_equal(ember_lease_settle(&o, o.settled_height + 1,
	                                    EMBER_MODEL_SFA, 1, &o, &c),
	                 EMBER_TX_OVERFLOW);
	/* paid_total would pass 2^64 */
	l = thousand_per_block(5000);
	l.paid_total = UINT64_MAX - 10;
	assert_int_equal(ember_lease_settle(&l, 101, EMBER_MODEL_SFA, 1000, &o, &c),
	                 EMBER_TX_OVERFLOW);
}

/* Large but legitimate values must not be rejected: a lease with a far
 * end and a big rate whose owed(end) overflows 128 bits, but whose funds
 * are modest, settles through the division path. */
static void test_large_values_fine(void **state)
{
	struct ember_lease l, o;
	uint64_t c, o1, o2;

	(void)state;
	/* $1 per GPU-hour, 10^4 GPUs, EMB at $0.001: num ~ 2^73, so
	 * owed(2^64) is past 2^128; 2^60 of escrow lasts ~415,000 blocks */
	l = new_lease(10, UINT64_MAX - 10, 1000000, 10000, 1000, 1ull << 60);
	assert_int_equal(ember_lease_settle(&l, UINT64_MAX, EMBER_MODEL_BME, 1000,
	                                    &o, &c), 0);
	assert_int_equal(o.close_reason, EMBER_CLOSE_FUNDS);
	assert_true(o.close_height > 400000 && o.close_height < 420000);
	/* it paid for exactly the blocks it covers */
	assert_int_equal(ember_lease_cost(&l, o.close_height - 10, EMBER_MODEL_BME,
	                                  1000, 1000, &o1), 0);
	assert_int_equal(ember_lease_cost(&l, o.close_height - 9, EMBER_MODEL_BME,
	                                  1000, 1000, &o2), 0);
	assert_true(o1 == c && o1 <= (1ull << 60) && o2 > (1ull << 60));
	assert_true(o.escrow == (1ull << 60) - c);
	/* the same lease in sfa with plenty of funds but a far end stays open */
	l = new_lease(10, UINT64_MAX - 10, 3600, 1, 0, UINT64_MAX);
	assert_int_equal(ember_lease_settle(&l, 1ull << 50, EMBER_MODEL_SFA, 1000,
	                                    &o, &c), 0);
	assert_int_equal(o.status, EMBER_LEASE_OPEN);
	assert_true(c == (1ull << 50) - 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cost_by_hand),
		cmocka_unit_test(test_covered_brute),
		cmocka_unit_test(test_random_vs_reference),
		cmocka_unit_test(test_steps_equal_once),
		cmocka_unit_test(test_runs_dry_exactly),
		cmocka_unit_test(test_zero_blocks),
		cmocka_unit_test(test_completes_at_end),
		cmocka_unit_test(test_nothing_after_close),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_large_values_fine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
