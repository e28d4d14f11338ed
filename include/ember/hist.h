/*
 * hist.h - a histogram of durations with fixed buckets, in the shape
 * Prometheus exposes: cumulative "le" buckets (each counts observations
 * <= its bound), an implicit +Inf bucket, a sum and a count.
 *
 * Durations are whole microseconds: the caller reads the clock and passes
 * the difference; nothing here reads a clock, allocates or does I/O, so an
 * observation costs a few compares.  A struct ember_hist is plain data
 * (no pointers): copy it to take a snapshot.  Not thread-safe: one owner
 * observes and reads (in emberd, the event-loop thread).
 */
#ifndef EMBER_HIST_H
#define EMBER_HIST_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define EMBER_HIST_MAX 16              /* finite bounds at most */

struct ember_hist {
	size_t nb;                         /* finite bounds in use */
	uint64_t le_us[EMBER_HIST_MAX];    /* upper bounds, strictly ascending */
	uint64_t bucket[EMBER_HIST_MAX + 1]; /* per bucket, not cumulative;
	                                    * [nb] is the +Inf bucket */
	uint64_t count;                    /* observations */
	uint64_t sum_us;                   /* their sum; saturates at UINT64_MAX */
};

/*
 * Empty histogram with the nb bounds in le_us (copied).
 * Returns: 0, EMBER_EINVAL (h or le_us NULL, nb 0 or > EMBER_HIST_MAX,
 * bounds not strictly ascending).
 */
EMBER_WUR int ember_hist_init(struct ember_hist *h, const uint64_t *le_us,
                              size_t nb);

/* Count one duration of us microseconds in the first bucket whose bound
 * is >= us (the +Inf bucket past the last bound). */
void ember_hist_observe(struct ember_hist *h, uint64_t us);

/*
 * Observations <= bound i (Prometheus' cumulative bucket); i >= nb gives
 * the +Inf bucket, which equals count.
 */
uint64_t ember_hist_cumulative(const struct ember_hist *h, size_t i);

#endif
