/*
 * lease.c - lease settlement arithmetic (market.h's top comment).  Pure:
 * no state, no clock, integers only.
 *
 * Within a segment the cost of the first n blocks is
 *
 *   owed(n) = floor(n * num / den)
 *
 * with num and den from the model (rate_parts).  Every product is formed in
 * unsigned __int128 with an overflow check, and a result that does not fit
 * where it must be stored is EMBER_TX_OVERFLOW, never a wrapped value: a
 * wrapped charge would silently move tokens.  The limits lie far beyond
 * any real lease (num passes 2^128 only when price x gpus x block_time_ms
 * x 10^9 does), and accept runs a new lease to its end once, so a lease
 * whose cost cannot be represented is refused before it is written.
 */
#include "tok_int.h"

typedef unsigned __int128 u128;

#define MS_PER_HOUR 3600000u
#define BASE_PER_EMB 1000000000u

/* num and den of the segment rate; see market.h.
 * Returns: 0, EMBER_EINVAL (block time 0, unknown model, zero oracle rate
 * under bme/hybrid), EMBER_TX_OVERFLOW (num does not fit 128 bits). */
static int rate_parts(const struct ember_lease *l, enum ember_token_model model,
                      uint64_t block_time_ms, uint64_t rate_uusd, u128 *num,
                      u128 *den)
{
	u128 n;

	if (block_time_ms == 0)
		return EMBER_EINVAL;
	/* price x gpus x block_time: at most 2^64 x 2^32 x 2^64 > 2^128, so
	 * even the first product is checked. */
	if (__builtin_mul_overflow((u128)l->price_per_gpu_hour, (u128)l->gpus, &n) ||
	    __builtin_mul_overflow(n, (u128)block_time_ms, &n))
		return EMBER_TX_OVERFLOW;
	switch (model) {
	case EMBER_MODEL_SFA:
		*num = n;
		*den = MS_PER_HOUR;
		return 0;
	case EMBER_MODEL_BME:
	case EMBER_MODEL_HYBRID:
		/* The oracle price divides: without one the cost is undefined,
		 * and no lease of ours is written with a zero segment rate. */
		if (rate_uusd == 0)
			return EMBER_EINVAL;
		if (__builtin_mul_overflow(n, (u128)BASE_PER_EMB, &n))
			return EMBER_TX_OVERFLOW;
		*num = n;
		*den = (u128)MS_PER_HOUR * rate_uusd;   /* < 2^86 */
		return 0;
	case EMBER_MODEL_NONE:
		break;
	}
	return EMBER_EINVAL;   /* also values outside the enum */
}

/* owed(n) in 128 bits.  Returns: 0, EMBER_TX_OVERFLOW (n x num > 2^128). */
static int owed(u128 num, u128 den, uint64_t n, u128 *out)
{
	u128 p;

	if (__builtin_mul_overflow((u128)n, num, &p))
		return EMBER_TX_OVERFLOW;
	*out = p / den;
	return 0;
}

/*
 * The largest n <= limit with owed(n) <= funds.  owed(limit) is tried
 * first because the common case (the lease can pay up to limit) then needs
 * no division by num and no (funds+1) x den product.  Otherwise
 *
 *   floor(n num / den) <= A  <=>  n num < (A+1) den  <=>  n <= ((A+1) den - 1) / num
 *
 * and that n is < limit (owed(limit) > A), so it fits u64.  An owed(limit)
 * that overflows 128 bits certainly exceeds A (< 2^65), so it is no error.
 */
static int covered(u128 num, u128 den, u128 funds, uint64_t limit,
                   uint64_t *out)
{
	u128 o, x;

	if (num == 0 || (owed(num, den, limit, &o) == 0 && o <= funds)) {
		*out = limit;
		return 0;
	}
	if (__builtin_mul_overflow(funds + 1, den, &x))
		return EMBER_TX_OVERFLOW;
	*out = (uint64_t)((x - 1) / num);
	return 0;
}

int ember_lease_cost(const struct ember_lease *l, uint64_t n,
                     enum ember_token_model model, uint64_t block_time_ms,
                     uint64_t rate_uusd, uint64_t *out)
{
	u128 num, den, o;
	int rc;

	if ((rc = rate_parts(l, model, block_time_ms, rate_uusd, &num, &den)) ||
	    (rc = owed(num, den, n, &o)))
		return rc;
	if (o > UINT64_MAX)
		return EMBER_TX_OVERFLOW;
	*out = (uint64_t)o;
	return 0;
}

int ember_lease_covered(const struct ember_lease *l, uint64_t limit,
                        enum ember_token_model model, uint64_t block_time_ms,
                        uint64_t *out)
{
	u128 num, den;
	int rc;

	if ((rc = rate_parts(l, model, block_time_ms, l->seg_rate_uusd, &num,
	                     &den)))
		return rc;
	/* seg_paid is what this segment has already charged and escrow what
	 * it may still charge: together they are what owed() may reach. */
	return covered(num, den, (u128)l->seg_paid + l->escrow, limit, out);
}

/*
 * Blocks settled_height+1 .. min(h, end, dry) are billed, where dry is the
 * last block the funds cover (seg_start + covered).  Billing to end closes
 * the lease COMPLETED at end; running dry before min(h, end) closes it
 * FUNDS at dry, which equals settled_height when not even the next block is
 * affordable.  Running dry exactly at h (with h < end) leaves it open: the
 * lease has paid for every block so far, and the next settle closes it at
 * that same block, so settling in steps or at once ends identically.
 *
 * On a close, out->escrow is the refund: this function does not zero it,
 * because the caller must move exactly that amount to the tenant (and then
 * zeroes it when it writes the refund).  On an error *out is a copy of *l
 * and *charged is 0, so a caller that only displays the lease may show it.
 */
int ember_lease_settle(const struct ember_lease *l, uint64_t h,
                       enum ember_token_model model, uint64_t block_time_ms,
                       struct ember_lease *out, uint64_t *charged)
{
	struct ember_lease x = *l;
	uint64_t target, billed, ncov;
	u128 num, den, funds, paid;
	uint64_t charge;
	int rc;

	*out = *l;
	*charged = 0;
	if (block_time_ms == 0 || (model != EMBER_MODEL_SFA &&
	    model != EMBER_MODEL_BME && model != EMBER_MODEL_HYBRID))
		return EMBER_EINVAL;
	if (l->status != EMBER_LEASE_OPEN || h <= l->settled_height)
		return 0;
	/* An open lease of ours has seg_start <= settled_height < end_height,
	 * except a zero-duration one (end == start == settled). */
	if (l->settled_height < l->seg_start || l->end_height < l->settled_height)
		return EMBER_EINVAL;
	if (l->end_height == l->settled_height) {
		x.status = EMBER_LEASE_CLOSED;
		x.close_reason = EMBER_CLOSE_COMPLETED;
		x.close_height = l->end_height;
		*out = x;
		return 0;
	}
	if ((rc = rate_parts(l, model, block_time_ms, l->seg_rate_uusd, &num,
	                     &den)))
		return rc;

	/* What our writes maintain: seg_paid == owed(settled - seg_start).
	 * It is what makes "charge owed(n) - seg_paid" bill each block once,
	 * so a record without it is refused rather than billed wrongly. */
	if ((rc = owed(num, den, l->settled_height - l->seg_start, &paid)))
		return rc;
	if (paid != l->seg_paid)
		return EMBER_EINVAL;

	target = h < l->end_height ? h : l->end_height;
	funds = (u128)l->seg_paid + l->escrow;
	/* >= settled_height - seg_start, since owed() of that is seg_paid */
	if ((rc = covered(num, den, funds, target - l->seg_start, &ncov)))
		return rc;
	billed = l->seg_start + ncov;   /* settled_height .. target */
	if ((rc = owed(num, den, ncov, &paid)))
		return rc;
	if (paid > UINT64_MAX)
		return EMBER_TX_OVERFLOW;
	charge = (uint64_t)(paid - l->seg_paid);   /* <= escrow */
	if (!ember_add_u64(x.paid_total, charge, &x.paid_total))
		return EMBER_TX_OVERFLOW;
	x.seg_paid = (uint64_t)paid;
	x.escrow -= charge;
	x.settled_height = billed;
	if (billed == l->end_height) {
		x.status = EMBER_LEASE_CLOSED;
		x.close_reason = EMBER_CLOSE_COMPLETED;
		x.close_height = billed;
	} else if (billed < target) {
		x.status = EMBER_LEASE_CLOSED;
		x.close_reason = EMBER_CLOSE_FUNDS;
		x.close_height = billed;
	}
	*out = x;
	*charged = charge;
	return 0;
}
