/*
 * hist.c - fixed-bucket duration histograms (hist.h).
 *
 * Buckets are kept per bucket, not cumulative, so an observation touches
 * one counter; the cumulative form Prometheus wants is summed when read,
 * which happens once per scrape over at most EMBER_HIST_MAX + 1 counters.
 * The bounds are few, so the search is linear.
 */
#include "ember/hist.h"

#include <string.h>

int ember_hist_init(struct ember_hist *h, const uint64_t *le_us, size_t nb)
{
	if (!h || !le_us || nb == 0 || nb > EMBER_HIST_MAX)
		return EMBER_EINVAL;
	for (size_t i = 1; i < nb; i++)
		if (le_us[i] <= le_us[i - 1])
			return EMBER_EINVAL;
	memset(h, 0, sizeof *h);
	memcpy(h->le_us, le_us, nb * sizeof *le_us);
	h->nb = nb;
	return 0;
}

void ember_hist_observe(struct ember_hist *h, uint64_t us)
{
	size_t i = 0;

	while (i < h->nb && us > h->le_us[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum_us = us > UINT64_MAX - h->sum_us ? UINT64_MAX : h->sum_us + us;
}

uint64_t ember_hist_cumulative(const struct ember_hist *h, size_t i)
{
	uint64_t n = 0;

	if (i >= h->nb)
		return h->count;
	for (size_t k = 0; k <= i; k++)
		n += h->bucket[k];
	return n;
}
