/* test_records.c - the market records (market.h): canonical encodings and
 * their strict decoders, key builders, enum names; the record access layer
 * (tokenomics/access.c) and the supply audit (tokenomics/audit.c) on a real
 * LMDB ledger.
 *
 * Expected bytes are written out by hand from market.h's layout rules
 * (version 1, fields in struct order, little-endian, strings u8 len ||
 * bytes; big-endian ids in keys), never produced by the code under test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "ember/addr.h"
#include "ember/codec.h"
#include "ember/market.h"
#include "ember/state.h"
#include "ember/store.h"
#include "ember/tok.h"
#include "../../tokenomics/tok_int.h"

#define BUF 1024

/* --- record builders ---------------------------------------------------- */

static void fill_str(char *s, uint8_t *len, size_t n, char base)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)(base + i % 26);
	s[n] = 0;
	*len = (uint8_t)n;
}

/* Every integer at its maximum (or its largest valid enum), strings full. */
static struct ember_provider max_provider(void)
{
	struct ember_provider p;

	memset(&p, 0, sizeof(p));
	memset(p.owner, 0xff, 32);
	p.status = EMBER_PROV_RETIRED;
	p.gpu_class = UINT16_MAX;
	p.gpus = UINT32_MAX;
	p.vram_gib = UINT32_MAX;
	p.price_per_gpu_hour = UINT64_MAX;
	fill_str(p.region, &p.region_len, EMBER_REGION_MAX, 'a');
	fill_str(p.endpoint, &p.endpoint_len, EMBER_ENDPOINT_MAX, 'A');
	p.gpus_leased = UINT32_MAX;
	p.open_leases = UINT32_MAX;
	p.registered_height = UINT64_MAX;
	p.updated_height = UINT64_MAX;
	p.work_epoch = UINT64_MAX;
	p.work = UINT64_MAX;
	p.work_total = UINT64_MAX;
	p.chal_epoch = UINT64_MAX;
	p.chal_result = EMBER_CHAL_MISSING;
	p.uptime_epoch = UINT64_MAX;
	p.uptime_bits = UINT32_MAX;
	p.uptime_known = UINT32_MAX;
	p.maint_epoch = UINT64_MAX;
	p.jailed_until = UINT64_MAX;
	return p;
}

/* Distinct small values, so a field swap shows. */
static struct ember_provider small_provider(void)
{
	struct ember_provider p;

	memset(&p, 0, sizeof(p));
	memset(p.owner, 0x11, 32);
	p.status = EMBER_PROV_ACTIVE;
	p.gpu_class = 2;
	p.gpus = 4;
	p.vram_gib = 80;
	p.price_per_gpu_hour = 0x10;
	strcpy(p.region, "eu");
	p.region_len = 2;
	strcpy(p.endpoint, "h:1");
	p.endpoint_len = 3;
	p.gpus_leased = 1;
	p.open_leases = 1;
	p.registered_height = 5;
	p.updated_height = 6;
	p.work_epoch = 7;
	p.work = 8;
	p.work_total = 9;
	p.chal_epoch = EMBER_NO_EPOCH;
	p.chal_result = EMBER_CHAL_PASS;
	p.uptime_epoch = 10;
	p.uptime_bits = 15;
	p.uptime_known = 4;
	p.maint_epoch = EMBER_NO_EPOCH;
	p.jailed_until = 0;
	return p;
}

static struct ember_stake max_stake(void)
{
	struct ember_stake s;

	s.amount = UINT64_MAX;
	s.unbonding = UINT64_MAX;
	s.unbonding_entries = UINT32_MAX;
	s.rewards = UINT64_MAX;
	s.rewards_total = UINT64_MAX;
	s.slash_epoch = UINT64_MAX;
	s.slash_bps_used = UINT32_MAX;
	s.slashed_total = UINT64_MAX;
	return s;
}

static struct ember_order max_order(void)
{
	struct ember_order o;

	memset(&o, 0, sizeof(o));
	o.id = UINT64_MAX;
	memset(o.tenant, 0xfe, 32);
	o.status = EMBER_ORDER_EXPIRED;
	o.gpu_class = UINT16_MAX;
	o.gpus = UINT32_MAX;
	o.max_price_per_gpu_hour = UINT64_MAX;
	o.duration_blocks = UINT64_MAX;
	o.deposit = UINT64_MAX;
	o.created_height = UINT64_MAX;
	o.expires_height = UINT64_MAX;
	o.nbids = UINT32_MAX;
	o.lease_id = UINT64_MAX;
	return o;
}

static struct ember_bid max_bid(void)
{
	struct ember_bid b;

	b.order_id = UINT64_MAX;
	memset(b.provider, 0xfd, 32);
	b.price_per_gpu_hour = UINT64_MAX;
	b.height = UINT64_MAX;
	return b;
}

static struct ember_lease max_lease(void)
{
	struct ember_lease l;

	memset(&l, 0, sizeof(l));
	l.id = UINT64_MAX;
	l.order_id = UINT64_MAX;
	memset(l.tenant, 0xfc, 32);
	memset(l.provider, 0xfb, 32);
	l.gpu_class = UINT16_MAX;
	l.gpus = UINT32_MAX;
	l.price_per_gpu_hour = UINT64_MAX;
	l.status = EMBER_LEASE_CLOSED;
	l.close_reason = EMBER_CLOSE_COMPLETED;
	l.start_height = UINT64_MAX;
	l.end_height = UINT64_MAX;
	l.close_height = UINT64_MAX;
	l.settled_height = UINT64_MAX;
	l.seg_start = UINT64_MAX;
	l.seg_rate_uusd = UINT64_MAX;
	l.seg_paid = UINT64_MAX;
	l.escrow = UINT64_MAX;
	l.paid_total = UINT64_MAX;
	l.deposited_total = UINT64_MAX;
	return l;
}

/* Counting from 1 field by field, so a swapped pair of fields shows. */
static struct ember_lease counting_lease(void)
{
	struct ember_lease l;

	memset(&l, 0, sizeof(l));
	l.id = 1;
	l.order_id = 2;
	memset(l.tenant, 3, 32);
	memset(l.provider, 4, 32);
	l.gpu_class = 5;
	l.gpus = 6;
	l.price_per_gpu_hour = 7;
	l.status = EMBER_LEASE_OPEN;
	l.close_reason = EMBER_CLOSE_NONE;
	l.start_height = 8;
	l.end_height = 9;
	l.close_height = 10;
	l.settled_height = 11;
	l.seg_start = 12;
	l.seg_rate_uusd = 13;
	l.seg_paid = 14;
	l.escrow = 15;
	l.paid_total = 16;
	l.deposited_total = 17;
	return l;
}

/* --- field-by-field comparisons (struct padding is not compared) --------- */

static void assert_provider_eq(const struct ember_provider *a,
                               const struct ember_provider *b)
{
	assert_memory_equal(a->owner, b->owner, 32);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->gpu_class, b->gpu_class);
	assert_int_equal(a->gpus, b->gpus);
	assert_int_equal(a->vram_gib, b->vram_gib);
	assert_true(a->price_per_gpu_hour == b->price_per_gpu_hour);
	assert_int_equal(a->region_len, b->region_len);
	assert_string_equal(a->region, b->region);
	assert_int_equal(a->endpoint_len, b->endpoint_len);
	assert_string_equal(a->endpoint, b->endpoint);
	assert_int_equal(a->gpus_leased, b->gpus_leased);
	assert_int_equal(a->open_leases, b->open_leases);
	assert_true(a->registered_height == b->registered_height);
	assert_true(a->updated_height == b->updated_height);
	assert_true(a->work_epoch == b->work_epoch);
	assert_true(a->work == b->work);
	assert_true(a->work_total == b->work_total);
	assert_true(a->chal_epoch == b->chal_epoch);
	assert_int_equal(a->chal_result, b->chal_result);
	assert_true(a->uptime_epoch == b->uptime_epoch);
	assert_int_equal(a->uptime_bits, b->uptime_bits);
	assert_int_equal(a->uptime_known, b->uptime_known);
	assert_true(a->maint_epoch == b->maint_epoch);
	assert_true(a->jailed_until == b->jailed_until);
}

static void assert_stake_eq(const struct ember_stake *a,
                            const struct ember_stake *b)
{
	assert_true(a->amount == b->amount);
	assert_true(a->unbonding == b->unbonding);
	assert_int_equal(a->unbonding_entries, b->unbonding_entries);
	assert_true(a->rewards == b->rewards);
	assert_true(a->rewards_total == b->rewards_total);
	assert_true(a->slash_epoch == b->slash_epoch);
	assert_int_equal(a->slash_bps_used, b->slash_bps_used);
	assert_true(a->slashed_total == b->slashed_total);
}

static void assert_order_eq(const struct ember_order *a,
                            const struct ember_order *b)
{
	assert_true(a->id == b->id);
	assert_memory_equal(a->tenant, b->tenant, 32);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->gpu_class, b->gpu_class);
	assert_int_equal(a->gpus, b->gpus);
	assert_true(a->max_price_per_gpu_hour == b->max_price_per_gpu_hour);
	assert_true(a->duration_blocks == b->duration_blocks);
	assert_true(a->deposit == b->deposit);
	assert_true(a->created_height == b->created_height);
	assert_true(a->expires_height == b->expires_height);
	assert_int_equal(a->nbids, b->nbids);
	assert_true(a->lease_id == b->lease_id);
}

static void assert_bid_eq(const struct ember_bid *a, const struct ember_bid *b)
{
	assert_true(a->order_id == b->order_id);
	assert_memory_equal(a->provider, b->provider, 32);
	assert_true(a->price_per_gpu_hour == b->price_per_gpu_hour);
	assert_true(a->height == b->height);
}

static void assert_lease_eq(const struct ember_lease *a,
                            const struct ember_lease *b)
{
	assert_true(a->id == b->id);
	assert_true(a->order_id == b->order_id);
	assert_memory_equal(a->tenant, b->tenant, 32);
	assert_memory_equal(a->provider, b->provider, 32);
	assert_int_equal(a->gpu_class, b->gpu_class);
	assert_int_equal(a->gpus, b->gpus);
	assert_true(a->price_per_gpu_hour == b->price_per_gpu_hour);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->close_reason, b->close_reason);
	assert_true(a->start_height == b->start_height);
	assert_true(a->end_height == b->end_height);
	assert_true(a->close_height == b->close_height);
	assert_true(a->settled_height == b->settled_height);
	assert_true(a->seg_start == b->seg_start);
	assert_true(a->seg_rate_uusd == b->seg_rate_uusd);
	assert_true(a->seg_paid == b->seg_paid);
	assert_true(a->escrow == b->escrow);
	assert_true(a->paid_total == b->paid_total);
	assert_true(a->deposited_total == b->deposited_total);
}

/* --- one generic driver over the five record kinds ----------------------- */

enum kind { K_PROVIDER, K_STAKE, K_ORDER, K_BID, K_LEASE, K_COUNT };

union rec {
	struct ember_provider p;
	struct ember_stake s;
	struct ember_order o;
	struct ember_bid b;
	struct ember_lease l;
};

static size_t enc(enum kind k, const union rec *r, uint8_t *out)
{
	switch (k) {
	case K_PROVIDER: return ember_provider_encode(&r->p, out);
	case K_STAKE: return ember_stake_encode(&r->s, out);
	case K_ORDER: return ember_order_encode(&r->o, out);
	case K_BID: return ember_bid_encode(&r->b, out);
	case K_LEASE: return ember_lease_encode(&r->l, out);
	default: return 0;
	}
}

static int dec(enum kind k, union rec *r, const uint8_t *in, size_t len)
{
	switch (k) {
	case K_PROVIDER: return ember_provider_decode(&r->p, in, len);
	case K_STAKE: return ember_stake_decode(&r->s, in, len);
	case K_ORDER: return ember_order_decode(&r->o, in, len);
	case K_BID: return ember_bid_decode(&r->b, in, len);
	case K_LEASE: return ember_lease_decode(&r->l, in, len);
	default: return -1;
	}
}

static void rec_eq(enum kind k, const union rec *a, const union rec *b)
{
	switch (k) {
	case K_PROVIDER: assert_provider_eq(&a->p, &b->p); break;
	case K_STAKE: assert_stake_eq(&a->s, &b->s); break;
	case K_ORDER: assert_order_eq(&a->o, &b->o); break;
	case K_BID: assert_bid_eq(&a->b, &b->b); break;
	case K_LEASE: assert_lease_eq(&a->l, &b->l); break;
	default: fail();
	}
}

static union rec max_rec(enum kind k)
{
	union rec r;

	memset(&r, 0, sizeof(r));
	switch (k) {
	case K_PROVIDER: r.p = max_provider(); break;
	case K_STAKE: r.s = max_stake(); break;
	case K_ORDER: r.o = max_order(); break;
	case K_BID: r.b = max_bid(); break;
	case K_LEASE: r.l = max_lease(); break;
	default: fail();
	}
	return r;
}

/* The exact encoded size of the max-size record of each kind. */
static const size_t max_len[K_COUNT] = { 287, 57, 100, 57, 177 };

/* Encode r into a canary-filled buffer; the encoder must write exactly the
 * length it returns and nothing past it. */
static size_t enc_checked(enum kind k, const union rec *r, uint8_t *buf)
{
	size_t n;

	memset(buf, 0xee, BUF);
	n = enc(k, r, buf);
	assert_true(n > 0 && n < BUF);
	for (size_t i = n; i < BUF; i++)
		assert_int_equal(buf[i], 0xee);
	return n;
}

static void round_trip(enum kind k, const union rec *r)
{
	uint8_t buf[BUF], buf2[BUF];
	union rec back;
	size_t n, n2;

	n = enc_checked(k, r, buf);
	memset(&back, 0x5a, sizeof(back));
	assert_int_equal(dec(k, &back, buf, n), 0);
	rec_eq(k, r, &back);
	/* and the decoded record encodes to the very same bytes */
	n2 = enc_checked(k, &back, buf2);
	assert_int_equal(n, n2);
	assert_memory_equal(buf, buf2, n);
}

/* --- codecs -------------------------------------------------------------- */

static void test_round_trip_extremes(void **state)
{
	(void)state;
	for (int k = 0; k < K_COUNT; k++) {
		union rec r = max_rec((enum kind)k), z;
		uint8_t buf[BUF];

		round_trip((enum kind)k, &r);
		assert_int_equal(enc_checked((enum kind)k, &r, buf), max_len[k]);
		/* all-zero records (with the smallest valid enums and strings) */
		memset(&z, 0, sizeof(z));
		switch (k) {
		case K_PROVIDER:
			z.p.status = EMBER_PROV_ACTIVE;
			strcpy(z.p.region, "x");
			z.p.region_len = 1;
			strcpy(z.p.endpoint, "y");
			z.p.endpoint_len = 1;
			break;
		case K_ORDER: z.o.status = EMBER_ORDER_OPEN; break;
		case K_LEASE: z.l.status = EMBER_LEASE_OPEN; break;
		default: break;
		}
		round_trip((enum kind)k, &z);
	}
	{
		union rec r;

		memset(&r, 0, sizeof(r));
		r.p = small_provider();
		round_trip(K_PROVIDER, &r);
		r.l = counting_lease();
		round_trip(K_LEASE, &r);
	}
}

/* Every enum value that is in range decodes. */
static void test_enum_values(void **state)
{
	union rec r, back;
	uint8_t buf[BUF];
	size_t n;

	(void)state;
	r.p = max_provider();
	for (uint8_t s = EMBER_PROV_ACTIVE; s <= EMBER_PROV_RETIRED; s++)
		for (uint8_t c = EMBER_CHAL_NONE; c <= EMBER_CHAL_MISSING; c++) {
			r.p.status = s;
			r.p.chal_result = c;
			n = enc(K_PROVIDER, &r, buf);
			assert_int_equal(dec(K_PROVIDER, &back, buf, n), 0);
			assert_int_equal(back.p.status, s);
			assert_int_equal(back.p.chal_result, c);
		}
	r.o = max_order();
	for (uint8_t s = EMBER_ORDER_OPEN; s <= EMBER_ORDER_EXPIRED; s++) {
		r.o.status = s;
		n = enc(K_ORDER, &r, buf);
		assert_int_equal(dec(K_ORDER, &back, buf, n), 0);
		assert_int_equal(back.o.status, s);
	}
	r.l = max_lease();
	for (uint8_t s = EMBER_LEASE_OPEN; s <= EMBER_LEASE_CLOSED; s++)
		for (uint8_t c = EMBER_CLOSE_NONE; c <= EMBER_CLOSE_COMPLETED; c++) {
			r.l.status = s;
			r.l.close_reason = c;
			n = enc(K_LEASE, &r, buf);
			assert_int_equal(dec(K_LEASE, &back, buf, n), 0);
			assert_int_equal(back.l.status, s);
			assert_int_equal(back.l.close_reason, c);
		}
}

/* The layout itself, from market.h's rules. */
static void test_known_bytes(void **state)
{
	uint8_t want[BUF], got[BUF];
	union rec r;
	int wn;

	(void)state;
	r.s.amount = 1;
	r.s.unbonding = 2;
	r.s.unbonding_entries = 3;
	r.s.rewards = 4;
	r.s.rewards_total = 5;
	r.s.slash_epoch = 6;
	r.s.slash_bps_used = 7;
	r.s.slashed_total = 0x0102030405060708ull;
	wn = test_unhex("01"
	                "0100000000000000" "0200000000000000" "03000000"
	                "0400000000000000" "0500000000000000" "0600000000000000"
	                "07000000" "0807060504030201", want, sizeof(want));
	assert_int_equal(enc_checked(K_STAKE, &r, got), wn);
	assert_memory_equal(got, want, wn);

	r.b.order_id = 0x0102030405060708ull;
	memset(r.b.provider, 0xaa, 32);
	r.b.price_per_gpu_hour = 0x1112131415161718ull;
	r.b.height = 0x2122232425262728ull;
	wn = test_unhex("01" "0807060504030201"
	                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                "1817161514131211" "2827262524232221", want, sizeof(want));
	assert_int_equal(enc_checked(K_BID, &r, got), wn);
	assert_memory_equal(got, want, wn);

	r.p = small_provider();
	wn = test_unhex("01"
	                "1111111111111111111111111111111111111111111111111111111111111111"
	                "01" "0200" "04000000" "50000000" "1000000000000000"
	                "02" "6575" "03" "683a31"
	                "01000000" "01000000"
	                "0500000000000000" "0600000000000000" "0700000000000000"
	                "0800000000000000" "0900000000000000" "ffffffffffffffff"
	                "01" "0a00000000000000" "0f000000" "04000000"
	                "ffffffffffffffff" "0000000000000000", want, sizeof(want));
	assert_int_equal(enc_checked(K_PROVIDER, &r, got), wn);
	assert_memory_equal(got, want, wn);

	memset(&r, 0, sizeof(r));
	r.o.id = 9;
	memset(r.o.tenant, 0x22, 32);
	r.o.status = EMBER_ORDER_LEASED;
	r.o.gpu_class = 0x0102;
	r.o.gpus = 3;
	r.o.max_price_per_gpu_hour = 4;
	r.o.duration_blocks = 5;
	r.o.deposit = 6;
	r.o.created_height = 7;
	r.o.expires_height = 8;
	r.o.nbids = 10;
	r.o.lease_id = 11;
	wn = test_unhex("01" "0900000000000000"
	                "2222222222222222222222222222222222222222222222222222222222222222"
	                "02" "0201" "03000000" "0400000000000000" "0500000000000000"
	                "0600000000000000" "0700000000000000" "0800000000000000"
	                "0a000000" "0b00000000000000", want, sizeof(want));
	assert_int_equal(enc_checked(K_ORDER, &r, got), wn);
	assert_memory_equal(got, want, wn);

	r.l = counting_lease();
	wn = test_unhex("01" "0100000000000000" "0200000000000000"
	                "0303030303030303030303030303030303030303030303030303030303030303"
	                "0404040404040404040404040404040404040404040404040404040404040404"
	                "0500" "06000000" "0700000000000000" "01" "00"
	                "0800000000000000" "0900000000000000" "0a00000000000000"
	                "0b00000000000000" "0c00000000000000" "0d00000000000000"
	                "0e00000000000000" "0f00000000000000" "1000000000000000"
	                "1100000000000000", want, sizeof(want));
	assert_int_equal(enc_checked(K_LEASE, &r, got), wn);
	assert_memory_equal(got, want, wn);
}

/* The encodings fit the bounds market.h gives callers for their buffers. */
static void test_sizes_fit_header(void **state)
{
	static const size_t bound[K_COUNT] = {
		EMBER_PROVIDER_ENC_MAX, EMBER_STAKE_ENC_LEN, EMBER_ORDER_ENC_MAX,
		EMBER_BID_ENC_LEN, EMBER_LEASE_ENC_MAX
	};
	static const char *const names[K_COUNT] = {
		"provider", "stake", "order", "bid", "lease"
	};
	int bad = 0;

	(void)state;
	for (int k = 0; k < K_COUNT; k++) {
		union rec r = max_rec((enum kind)k);
		uint8_t buf[BUF];
		size_t n = enc_checked((enum kind)k, &r, buf);

		if (n > bound[k]) {
			print_error("%s encodes to %zu bytes, market.h bound is %zu\n",
			            names[k], n, bound[k]);
			bad = 1;
		}
	}
	assert_false(bad);
}

static void test_decode_truncated_and_trailing(void **state)
{
	(void)state;
	for (int k = 0; k < K_COUNT; k++) {
		union rec r = max_rec((enum kind)k), back;
		uint8_t buf[BUF];
		size_t n = enc_checked((enum kind)k, &r, buf);

		for (size_t cut = 0; cut < n; cut++)
			assert_int_equal(dec((enum kind)k, &back, buf, cut),
			                 EMBER_STORE_CORRUPT);
		buf[n] = 0;
		assert_int_equal(dec((enum kind)k, &back, buf, n + 1),
		                 EMBER_STORE_CORRUPT);
		/* the provider's length depends on its strings: every shorter
		 * record is cut somewhere, as above; this is the minimum one */
		if (k == K_PROVIDER) {
			union rec s;

			memset(&s, 0, sizeof(s));
			s.p = small_provider();
			n = enc_checked(K_PROVIDER, &s, buf);
			for (size_t cut = 0; cut < n; cut++)
				assert_int_equal(dec(K_PROVIDER, &back, buf, cut),
				                 EMBER_STORE_CORRUPT);
		}
	}
}

static void test_decode_bad_version(void **state)
{
	(void)state;
	for (int k = 0; k < K_COUNT; k++) {
		union rec r = max_rec((enum kind)k), back;
		uint8_t buf[BUF];
		size_t n = enc_checked((enum kind)k, &r, buf);

		assert_int_equal(buf[0], 1);
		for (int v = 0; v < 256; v++) {
			buf[0] = (uint8_t)v;
			assert_int_equal(dec((enum kind)k, &back, buf, n),
			                 v == 1 ? 0 : EMBER_STORE_CORRUPT);
		}
	}
}

/* Decode buf with byte off set to v; expect rc. */
static void poke(enum kind k, const uint8_t *buf, size_t n, size_t off,
                 uint8_t v, int rc)
{
	uint8_t b[BUF];
	union rec back;

	memcpy(b, buf, n);
	b[off] = v;
	assert_int_equal(dec(k, &back, b, n), rc);
}

static void test_decode_bad_enum(void **state)
{
	union rec r;
	uint8_t buf[BUF];
	size_t n, chal;

	(void)state;
	/* provider: status at 1 + 32; chal_result after the strings */
	r.p = max_provider();
	n = enc_checked(K_PROVIDER, &r, buf);
	chal = 1 + 32 + 1 + 2 + 4 + 4 + 8 + 1 + 16 + 1 + 128 + 4 + 4 + 6 * 8;
	assert_int_equal(buf[chal], EMBER_CHAL_MISSING);
	poke(K_PROVIDER, buf, n, 33, 0, EMBER_STORE_CORRUPT);
	poke(K_PROVIDER, buf, n, 33, 3, EMBER_STORE_CORRUPT);
	poke(K_PROVIDER, buf, n, 33, 255, EMBER_STORE_CORRUPT);
	poke(K_PROVIDER, buf, n, 33, 1, 0);
	poke(K_PROVIDER, buf, n, chal, 4, EMBER_STORE_CORRUPT);
	poke(K_PROVIDER, buf, n, chal, 255, EMBER_STORE_CORRUPT);
	poke(K_PROVIDER, buf, n, chal, 0, 0);

	/* order: status at 1 + 8 + 32 */
	r.o = max_order();
	n = enc_checked(K_ORDER, &r, buf);
	poke(K_ORDER, buf, n, 41, 0, EMBER_STORE_CORRUPT);
	poke(K_ORDER, buf, n, 41, 4, EMBER_STORE_CORRUPT);
	poke(K_ORDER, buf, n, 41, 255, EMBER_STORE_CORRUPT);
	poke(K_ORDER, buf, n, 41, 1, 0);

	/* lease: status at 95, close_reason at 96 */
	r.l = max_lease();
	n = enc_checked(K_LEASE, &r, buf);
	assert_int_equal(buf[95], EMBER_LEASE_CLOSED);
	assert_int_equal(buf[96], EMBER_CLOSE_COMPLETED);
	poke(K_LEASE, buf, n, 95, 0, EMBER_STORE_CORRUPT);
	poke(K_LEASE, buf, n, 95, 3, EMBER_STORE_CORRUPT);
	poke(K_LEASE, buf, n, 95, 1, 0);
	poke(K_LEASE, buf, n, 96, 5, EMBER_STORE_CORRUPT);
	poke(K_LEASE, buf, n, 96, 255, EMBER_STORE_CORRUPT);
	poke(K_LEASE, buf, n, 96, 0, 0);
}

/* Rebuild a provider encoding with one string's length byte set to len and
 * its bytes made len long (filled with fill), everything else intact, so a
 * rejection can only be about that string. */
static size_t provider_with(const uint8_t *buf, size_t n, int endpoint,
                            size_t len, char fill, uint8_t *out)
{
	size_t at = 52;                 /* region's length byte */
	size_t old;

	if (endpoint)
		at += 1 + buf[at];
	old = buf[at];
	memcpy(out, buf, at);
	out[at] = (uint8_t)len;
	memset(out + at + 1, fill, len);
	memcpy(out + at + 1 + len, buf + at + 1 + old, n - at - 1 - old);
	return n - old + len;
}

static void test_decode_bad_strings(void **state)
{
	union rec r, back;
	uint8_t buf[BUF], b[BUF];
	size_t n, m;

	(void)state;
	r.p = small_provider();
	n = enc_checked(K_PROVIDER, &r, buf);

	/* controls: same construction, valid lengths, decodes */
	m = provider_with(buf, n, 0, EMBER_REGION_MAX, 'r', b);
	assert_int_equal(dec(K_PROVIDER, &back, b, m), 0);
	assert_int_equal(back.p.region_len, EMBER_REGION_MAX);
	assert_true(strlen(back.p.region) == EMBER_REGION_MAX);
	assert_string_equal(back.p.endpoint, "h:1");
	m = provider_with(buf, n, 1, EMBER_ENDPOINT_MAX, 'e', b);
	assert_int_equal(dec(K_PROVIDER, &back, b, m), 0);
	assert_int_equal(back.p.endpoint_len, EMBER_ENDPOINT_MAX);
	assert_string_equal(back.p.region, "eu");

	/* too long, empty */
	m = provider_with(buf, n, 0, EMBER_REGION_MAX + 1, 'r', b);
	assert_int_equal(dec(K_PROVIDER, &back, b, m), EMBER_STORE_CORRUPT);
	m = provider_with(buf, n, 0, 0, 'r', b);
	assert_int_equal(dec(K_PROVIDER, &back, b, m), EMBER_STORE_CORRUPT);
	m = provider_with(buf, n, 1, EMBER_ENDPOINT_MAX + 1, 'e', b);
	assert_int_equal(dec(K_PROVIDER, &back, b, m), EMBER_STORE_CORRUPT);
	m = provider_with(buf, n, 1, 255, 'e', b);
	assert_int_equal(dec(K_PROVIDER, &back, b, m), EMBER_STORE_CORRUPT);
	m = provider_with(buf, n, 1, 0, 'e', b);
	assert_int_equal(dec(K_PROVIDER, &back, b, m), EMBER_STORE_CORRUPT);
	/* a NUL inside a string */
	m = provider_with(buf, n, 0, 3, 0, b);
	assert_int_equal(dec(K_PROVIDER, &back, b, m), EMBER_STORE_CORRUPT);
	poke(K_PROVIDER, buf, n, 53, 0, EMBER_STORE_CORRUPT);

	/* the encoder refuses what the decoder would refuse */
	r.p.region_len = 0;
	assert_int_equal(ember_provider_encode(&r.p, b), 0);
	r.p.region_len = EMBER_REGION_MAX + 1;
	assert_int_equal(ember_provider_encode(&r.p, b), 0);
	r.p = small_provider();
	r.p.endpoint_len = 0;
	assert_int_equal(ember_provider_encode(&r.p, b), 0);
	r.p.endpoint_len = EMBER_ENDPOINT_MAX + 1;
	assert_int_equal(ember_provider_encode(&r.p, b), 0);
}

static void test_stake_init(void **state)
{
	struct ember_stake s;

	(void)state;
	memset(&s, 0x77, sizeof(s));
	ember_stake_init(&s);
	assert_true(s.amount == 0 && s.unbonding == 0 && s.rewards == 0 &&
	            s.rewards_total == 0 && s.slashed_total == 0);
	assert_int_equal(s.unbonding_entries, 0);
	assert_int_equal(s.slash_bps_used, 0);
	assert_true(s.slash_epoch == EMBER_NO_EPOCH);
}

/* --- keys ---------------------------------------------------------------- */

static void assert_hex(const uint8_t *got, size_t n, const char *hex)
{
	uint8_t want[128];
	int wn = test_unhex(hex, want, sizeof(want));

	assert_int_equal((int)n, wn);
	assert_memory_equal(got, want, n);
}

#define P32_22 "2222222222222222222222222222222222222222222222222222222222222222"
#define P32_33 "3333333333333333333333333333333333333333333333333333333333333333"

static void test_key_bytes(void **state)
{
	uint8_t k[EMBER_IDX_KEY_MAX], pub[32], pub3[32];

	(void)state;
	memset(pub, 0x22, 32);
	memset(pub3, 0x33, 32);
	assert_hex(k, ember_idx_id(k, EMBER_IDX_LEASE_OPEN, 0x0102030405060708ull),
	           "4c" "0102030405060708");
	assert_hex(k, ember_idx_id(k, EMBER_IDX_ORDER_OPEN, 1), "4f" "0000000000000001");
	assert_hex(k, ember_idx_pub_id(k, EMBER_IDX_PROV_OPEN, pub, 5),
	           "50" P32_22 "0000000000000005");
	assert_hex(k, ember_idx_pub_id(k, EMBER_IDX_PROV_LEASE, pub, 6),
	           "70" P32_22 "0000000000000006");
	assert_hex(k, ember_idx_pub_id(k, EMBER_IDX_TENANT_LEASE, pub3, 256),
	           "74" P32_33 "0000000000000100");
	assert_hex(k, ember_idx_pub_id(k, EMBER_IDX_TENANT_ORDER, pub3, 7),
	           "6f" P32_33 "0000000000000007");
	assert_hex(k, ember_idx_id_id(k, EMBER_IDX_ORDER_EXPIRY, 7, 0x0a0b),
	           "58" "0000000000000007" "0000000000000a0b");
	assert_hex(k, ember_idx_id_pub(k, EMBER_IDX_UNBOND, 300, pub),
	           "55" "000000000000012c" P32_22);
	assert_hex(k, ember_idx_id_pub(k, EMBER_IDX_REPORT, UINT64_MAX, pub3),
	           "52" "ffffffffffffffff" P32_33);
	assert_hex(k, ember_key_id(k, 0x0a0b), "0000000000000a0b");
	assert_hex(k, ember_key_bid(k, 3, pub), "0000000000000003" P32_22);
	assert_hex(k, ember_key_unbond(k, pub3, 0x100), P32_33 "0000000000000100");
	assert_hex(k, ember_key_epoch(k, 1), "45" "0000000000000001");
	/* the prefixes are the documented characters */
	assert_int_equal(EMBER_IDX_LEASE_OPEN, 'L');
	assert_int_equal(EMBER_IDX_PROV_OPEN, 'P');
	assert_int_equal(EMBER_IDX_PROV_LEASE, 'p');
	assert_int_equal(EMBER_IDX_TENANT_LEASE, 't');
	assert_int_equal(EMBER_IDX_ORDER_OPEN, 'O');
	assert_int_equal(EMBER_IDX_TENANT_ORDER, 'o');
	assert_int_equal(EMBER_IDX_ORDER_EXPIRY, 'X');
	assert_int_equal(EMBER_IDX_UNBOND, 'U');
	assert_int_equal(EMBER_IDX_REPORT, 'R');
	assert_int_equal(EMBER_IDX_DOUBLE_SIGN, 'D');
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* memcmp order of two keys (equal length) equals numeric order of (a1, a2)
 * vs (b1, b2), compared lexicographically. */
static void check_order(uint64_t a1, uint64_t a2, uint64_t b1, uint64_t b2)
{
	uint8_t ka[EMBER_IDX_KEY_MAX], kb[EMBER_IDX_KEY_MAX], pub[32];
	int want1 = cmp_u64(a1, b1);
	int want2 = want1 ? want1 : cmp_u64(a2, b2);
	size_t n;

	memset(pub, 0x42, 32);
	n = ember_key_id(ka, a1);
	ember_key_id(kb, b1);
	assert_int_equal(sign(memcmp(ka, kb, n)), want1);
	n = ember_idx_id(ka, 'L', a1);
	ember_idx_id(kb, 'L', b1);
	assert_int_equal(sign(memcmp(ka, kb, n)), want1);
	n = ember_idx_pub_id(ka, 'P', pub, a1);
	ember_idx_pub_id(kb, 'P', pub, b1);
	assert_int_equal(sign(memcmp(ka, kb, n)), want1);
	n = ember_idx_id_id(ka, 'X', a1, a2);
	ember_idx_id_id(kb, 'X', b1, b2);
	assert_int_equal(sign(memcmp(ka, kb, n)), want2);
	n = ember_idx_id_pub(ka, 'U', a1, pub);
	ember_idx_id_pub(kb, 'U', b1, pub);
	assert_int_equal(sign(memcmp(ka, kb, n)), want1);
	n = ember_key_bid(ka, a1, pub);
	ember_key_bid(kb, b1, pub);
	assert_int_equal(sign(memcmp(ka, kb, n)), want1);
	n = ember_key_unbond(ka, pub, a1);
	ember_key_unbond(kb, pub, b1);
	assert_int_equal(sign(memcmp(ka, kb, n)), want1);
	n = ember_key_epoch(ka, a1);
	ember_key_epoch(kb, b1);
	assert_int_equal(sign(memcmp(ka, kb, n)), want1);
}

static void test_key_order(void **state)
{
	static const uint64_t edges[][2] = {
		{ 255, 256 }, { 0, 1 }, { 1, 0x100 }, { 0xffff, 0x10000 },
		{ UINT32_MAX, 1ull << 32 }, { (1ull << 56) - 1, 1ull << 56 },
		{ 0x00ff000000000000ull, 0x0100000000000000ull },
		{ UINT64_MAX - 1, UINT64_MAX }, { 0, UINT64_MAX }, { 7, 7 },
	};
	uint64_t x = 0x243f6a8885a308d3ull;

	(void)state;
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		check_order(edges[i][0], 5, edges[i][1], 3);
		check_order(edges[i][1], 3, edges[i][0], 5);
		check_order(9, edges[i][0], 9, edges[i][1]);
	}
	for (int i = 0; i < 20000; i++) {
		uint64_t v[4];

		for (int j = 0; j < 4; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* mix small and large values so the low bytes decide often */
			v[j] = (i & 1) ? x : x % 1000;
		}
		check_order(v[0], v[1], v[2], v[3]);
		check_order(v[0], v[1], v[0], v[3]);
	}
}

/* --- names --------------------------------------------------------------- */

struct name_case {
	uint8_t v;
	const char *name;
};

static void test_names(void **state)
{
	static const struct name_case prov[] = {
		{ EMBER_PROV_ACTIVE, "active" }, { EMBER_PROV_RETIRED, "retired" },
	};
	static const struct name_case order[] = {
		{ EMBER_ORDER_OPEN, "open" }, { EMBER_ORDER_LEASED, "leased" },
		{ EMBER_ORDER_EXPIRED, "expired" },
	};
	static const struct name_case lease[] = {
		{ EMBER_LEASE_OPEN, "open" }, { EMBER_LEASE_CLOSED, "closed" },
	};
	static const struct name_case reason[] = {
		{ EMBER_CLOSE_NONE, "none" }, { EMBER_CLOSE_TENANT, "tenant_closed" },
		{ EMBER_CLOSE_PROVIDER, "provider_closed" },
		{ EMBER_CLOSE_FUNDS, "insufficient_funds" },
		{ EMBER_CLOSE_COMPLETED, "completed" },
	};
	static const struct name_case chal[] = {
		{ EMBER_CHAL_NONE, "none" }, { EMBER_CHAL_PASS, "pass" },
		{ EMBER_CHAL_FAIL, "fail" }, { EMBER_CHAL_MISSING, "missing" },
	};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(ember_prov_status_name(prov[i].v), prov[i].name);
		assert_int_equal(ember_prov_status_parse(prov[i].name), prov[i].v);
		assert_string_equal(ember_lease_status_name(lease[i].v), lease[i].name);
		assert_int_equal(ember_lease_status_parse(lease[i].name), lease[i].v);
	}
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(ember_order_status_name(order[i].v), order[i].name);
		assert_int_equal(ember_order_status_parse(order[i].name), order[i].v);
	}
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(ember_close_reason_name(reason[i].v),
		                    reason[i].name);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(ember_chal_result_name(chal[i].v), chal[i].name);

	/* out of range: NULL; unknown text: 0 */
	assert_null(ember_prov_status_name(0));
	assert_null(ember_prov_status_name(3));
	assert_null(ember_prov_status_name(255));
	assert_null(ember_order_status_name(0));
	assert_null(ember_order_status_name(4));
	assert_null(ember_lease_status_name(0));
	assert_null(ember_lease_status_name(3));
	assert_null(ember_close_reason_name(5));
	assert_null(ember_close_reason_name(255));
	assert_null(ember_chal_result_name(4));
	assert_int_equal(ember_prov_status_parse("Active"), 0);
	assert_int_equal(ember_prov_status_parse("open"), 0);
	assert_int_equal(ember_prov_status_parse(""), 0);
	assert_int_equal(ember_prov_status_parse(NULL), 0);
	assert_int_equal(ember_order_status_parse("closed"), 0);
	assert_int_equal(ember_order_status_parse("open "), 0);
	assert_int_equal(ember_lease_status_parse("leased"), 0);
	assert_int_equal(ember_lease_status_parse(NULL), 0);
}

/* --- access and audit on a real ledger ----------------------------------- */

static int setup(void **state)
{
	return test_ledger_setup(state, "records", 1);
}

static int teardown(void **state)
{
	return test_ledger_teardown(state);
}

/* Throw the block away and start an empty one. */
static void fresh(struct test_ledger *f)
{
	assert_int_equal(test_ledger_fresh(f), 0);
}

static void test_access(void **state)
{
	struct test_ledger *f = *state;
	struct ember_provider p = small_provider(), pb;
	struct ember_stake s, sb;
	struct ember_order o = max_order(), ob;
	struct ember_bid b = max_bid(), bb;
	struct ember_lease l = counting_lease(), lb;
	uint8_t key[40], acct[32];
	const void *v;
	size_t vl, nch;
	char a1[EMBER_ADDR_BUFLEN], a2[EMBER_ADDR_BUFLEN];

	memset(acct, 0x99, 32);
	assert_int_equal(tk_get_provider(f->t, p.owner, &pb), EMBER_ENOTFOUND);
	assert_int_equal(tok_provider_get(f->t, p.owner, &pb), EMBER_TOK_NO_PROVIDER);
	assert_int_equal(tk_get_order(f->t, o.id, &ob), EMBER_ENOTFOUND);
	assert_int_equal(tok_order_get(f->t, o.id, &ob), EMBER_TOK_NO_ORDER);
	assert_int_equal(tk_get_bid(f->t, b.order_id, b.provider, &bb), EMBER_ENOTFOUND);
	assert_int_equal(tk_get_lease(f->t, l.id, &lb), EMBER_ENOTFOUND);

	/* a missing stake reads as ember_stake_init() */
	memset(&s, 0x77, sizeof(s));
	assert_int_equal(tk_get_stake(f->t, acct, &s), 0);
	ember_stake_init(&sb);
	assert_stake_eq(&s, &sb);
	assert_int_equal(tok_stake_get(f->t, acct, &s), 0);
	assert_stake_eq(&s, &sb);

	nch = ember_state_nchanges(f->st);
	assert_int_equal(tk_put_provider(f->st, &p), 0);
	assert_int_equal(tk_put_order(f->st, &o), 0);
	assert_int_equal(tk_put_bid(f->st, &b), 0);
	assert_int_equal(tk_put_lease(f->st, &l), 0);
	/* every write is in the change set (so in the state root) */
	assert_int_equal(ember_state_nchanges(f->st), nch + 4);

	assert_int_equal(tk_get_provider(f->t, p.owner, &pb), 0);
	assert_provider_eq(&p, &pb);
	assert_int_equal(tok_provider_get(f->t, p.owner, &pb), 0);
	assert_int_equal(tk_get_order(f->t, o.id, &ob), 0);
	assert_order_eq(&o, &ob);
	assert_int_equal(tok_order_get(f->t, o.id, &ob), 0);
	assert_int_equal(tk_get_bid(f->t, b.order_id, b.provider, &bb), 0);
	assert_bid_eq(&b, &bb);
	assert_int_equal(tk_get_lease(f->t, l.id, &lb), 0);
	assert_lease_eq(&l, &lb);
	/* stored under the documented primary keys */
	assert_int_equal(ember_store_get(f->t, EMBER_DB_LEASES, key,
	                                 ember_key_id(key, l.id), &v, &vl), 0);
	assert_int_equal(ember_store_get(f->t, EMBER_DB_BIDS, key,
	                                 ember_key_bid(key, b.order_id, b.provider),
	                                 &v, &vl), 0);
	assert_int_equal(vl, 57);

	assert_int_equal(tk_del_bid(f->st, b.order_id, b.provider), 0);
	assert_int_equal(tk_get_bid(f->t, b.order_id, b.provider, &bb), EMBER_ENOTFOUND);

	/* stake: written while it holds anything, deleted when it is init */
	s = sb;
	s.amount = 5;
	assert_int_equal(tk_put_stake(f->st, acct, &s), 0);
	assert_int_equal(ember_store_get(f->t, EMBER_DB_STAKES, acct, 32, &v, &vl), 0);
	assert_int_equal(tk_get_stake(f->t, acct, &sb), 0);
	assert_stake_eq(&s, &sb);
	s.amount = 0;
	s.slash_epoch = 3;       /* not init: the slash record must stay */
	assert_int_equal(tk_put_stake(f->st, acct, &s), 0);
	assert_int_equal(ember_store_get(f->t, EMBER_DB_STAKES, acct, 32, &v, &vl), 0);
	ember_stake_init(&s);
	nch = ember_state_nchanges(f->st);
	assert_int_equal(tk_put_stake(f->st, acct, &s), 0);
	assert_int_equal(ember_store_get(f->t, EMBER_DB_STAKES, acct, 32, &v, &vl),
	                 EMBER_ENOTFOUND);
	assert_int_equal(ember_state_nchanges(f->st), nch + 1);
	/* deleting a missing stake is fine too */
	assert_int_equal(tk_put_stake(f->st, acct, &s), 0);

	/* index entries: empty value by default, or the given one */
	{
		uint8_t k[EMBER_IDX_KEY_MAX], val[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
		size_t kl = ember_idx_id(k, EMBER_IDX_LEASE_OPEN, 42);

		assert_int_equal(tk_idx_put(f->st, k, kl, NULL, 0), 0);
		assert_int_equal(ember_store_get(f->t, EMBER_DB_INDEX, k, kl, &v, &vl), 0);
		assert_int_equal(vl, 0);
		assert_int_equal(tk_idx_put(f->st, k, kl, val, sizeof(val)), 0);
		assert_int_equal(ember_store_get(f->t, EMBER_DB_INDEX, k, kl, &v, &vl), 0);
		assert_int_equal(vl, 8);
		assert_memory_equal(v, val, 8);
		assert_int_equal(tk_idx_del(f->st, k, kl), 0);
		assert_int_equal(ember_store_get(f->t, EMBER_DB_INDEX, k, kl, &v, &vl),
		                 EMBER_ENOTFOUND);
	}

	/* stored bytes that do not decode */
	assert_int_equal(ember_state_put(f->st, EMBER_DB_LEASES, key,
	                                 ember_key_id(key, 77), "\x01\x02", 2), 0);
	assert_int_equal(tk_get_lease(f->t, 77, &lb), EMBER_STORE_CORRUPT);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_STAKES, acct, 32, "\x01", 1), 0);
	assert_int_equal(tk_get_stake(f->t, acct, &sb), EMBER_STORE_CORRUPT);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_PROVIDERS, acct, 32, "", 0), 0);
	assert_int_equal(tok_provider_get(f->t, acct, &pb), EMBER_STORE_CORRUPT);

	tk_addr(acct, a1);
	ember_addr_encode(acct, a2);
	assert_string_equal(a1, a2);
}

/* A small ledger where every sum agrees:
 *   genesis 1000 + minted 500 - burned 200 = supply 1300
 *   = balances 700 + escrow (order 100 + lease 150) + staked 200
 *     + unbonding 50 + rewards 100 */
static const uint8_t au_acct[32] = { 0xa1 };
static const uint8_t au_prov[32] = { 0xb2 };

static struct tok_totals au_totals(void)
{
	struct tok_totals x;

	memset(&x, 0, sizeof(x));
	x.genesis = 1000;
	x.minted = 500;
	x.burned = 200;
	x.supply = 1300;
	x.escrow = 250;
	x.staked = 200;
	x.unbonding = 50;
	x.rewards = 100;
	x.open_orders = 1;
	x.open_leases = 1;
	x.providers_active = 1;
	x.next_order_id = 3;
	x.next_lease_id = 3;
	return x;
}

static void au_put_totals(struct test_ledger *f, const struct tok_totals *x)
{
	uint8_t buf[TOK_TOTALS_ENC_LEN];

	tk_totals_encode(x, buf);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_META, "totals", 6, buf,
	                                 sizeof(buf)), 0);
}

static void au_build(struct test_ledger *f)
{
	struct tok_totals x = au_totals();
	struct ember_account a = { 700, 4 };
	struct ember_order o;
	struct ember_lease l;
	struct ember_stake s;
	struct ember_provider p;
	uint8_t key[40], val[8];

	fresh(f);
	au_put_totals(f, &x);
	assert_int_equal(ember_account_put(f->st, au_acct, &a), 0);
	/* an open order counts; a leased one (its deposit moved) does not */
	memset(&o, 0, sizeof(o));
	o.id = 1;
	o.status = EMBER_ORDER_OPEN;
	o.deposit = 100;
	assert_int_equal(tk_put_order(f->st, &o), 0);
	o.id = 2;
	o.status = EMBER_ORDER_LEASED;
	o.deposit = 999;
	assert_int_equal(tk_put_order(f->st, &o), 0);
	/* an open lease counts; a closed one does not */
	l = counting_lease();
	l.id = 1;
	l.escrow = 150;
	assert_int_equal(tk_put_lease(f->st, &l), 0);
	l.id = 2;
	l.status = EMBER_LEASE_CLOSED;
	l.close_reason = EMBER_CLOSE_COMPLETED;
	l.escrow = 0;
	assert_int_equal(tk_put_lease(f->st, &l), 0);
	ember_stake_init(&s);
	s.amount = 200;
	s.unbonding = 50;
	s.unbonding_entries = 2;
	s.rewards = 100;
	assert_int_equal(tk_put_stake(f->st, au_acct, &s), 0);
	ember_le64_put(val, 20);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_UNBONDING, key,
	                                 ember_key_unbond(key, au_acct, 10), val, 8), 0);
	ember_le64_put(val, 30);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_UNBONDING, key,
	                                 ember_key_unbond(key, au_acct, 11), val, 8), 0);
	p = small_provider();
	memcpy(p.owner, au_prov, 32);
	assert_int_equal(tk_put_provider(f->st, &p), 0);
	p.owner[0] ^= 1;
	p.status = EMBER_PROV_RETIRED;
	assert_int_equal(tk_put_provider(f->st, &p), 0);
}

static void au_expect(struct test_ledger *f, const char *why_has)
{
	char why[256] = "";
	uint64_t sum = 12345;

	assert_int_equal(tok_audit(f->t, why, sizeof(why)), EMBER_STORE_CORRUPT);
	if (!strstr(why, why_has)) {
		print_error("why is \"%s\", expected it to contain \"%s\"\n", why,
		            why_has);
		fail();
	}
	assert_int_equal(tok_check_supply(f->t, &sum), 0);
}

static void test_audit(void **state)
{
	struct test_ledger *f = *state;
	struct tok_totals x, y;
	struct ember_lease l;
	struct ember_account a;
	struct ember_stake s;
	char why[256] = "";
	uint64_t sum = 0, supply = 0;
	uint8_t key[40], val[8];

	/* no genesis yet */
	assert_int_equal(tok_totals_get(f->t, &x), EMBER_ENOTFOUND);
	assert_int_equal(tok_supply(f->t, &supply), EMBER_ENOTFOUND);
	assert_int_equal(tok_audit(f->t, why, sizeof(why)), EMBER_ENOTFOUND);
	assert_true(tok_check_supply(f->t, &sum) < 0);

	au_build(f);
	assert_int_equal(tok_audit(f->t, why, sizeof(why)), 0);
	assert_int_equal(tok_check_supply(f->t, &sum), 1);
	assert_true(sum == 700);
	assert_int_equal(tok_supply(f->t, &supply), 0);
	assert_true(supply == 1300);
	assert_int_equal(tok_totals_get(f->t, &y), 0);
	x = au_totals();
	assert_true(y.escrow == x.escrow && y.next_lease_id == x.next_lease_id);

	/* each sum, broken in turn */
	au_build(f);
	assert_int_equal(tk_get_lease(f->t, 1, &l), 0);
	l.escrow = 160;
	assert_int_equal(tk_put_lease(f->st, &l), 0);
	au_expect(f, "escrow: records hold 260, totals say 250");

	au_build(f);
	x = au_totals();
	x.staked = 201;
	au_put_totals(f, &x);
	au_expect(f, "staked: records hold 200, totals say 201");

	au_build(f);
	x = au_totals();
	x.rewards = 99;
	au_put_totals(f, &x);
	au_expect(f, "rewards: records hold 100, totals say 99");

	au_build(f);
	x = au_totals();
	x.unbonding = 51;
	au_put_totals(f, &x);
	au_expect(f, "unbonding: records hold 50, totals say 51");

	au_build(f);
	ember_le64_put(val, 29);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_UNBONDING, key,
	                                 ember_key_unbond(key, au_acct, 11), val, 8), 0);
	au_expect(f, "unbonding: entries hold 49, stake records say 50");

	au_build(f);
	x = au_totals();
	x.open_orders = 2;
	au_put_totals(f, &x);
	au_expect(f, "open_orders: records hold 1, totals say 2");

	au_build(f);
	x = au_totals();
	x.open_leases = 0;
	au_put_totals(f, &x);
	au_expect(f, "open_leases: records hold 1, totals say 0");

	au_build(f);
	x = au_totals();
	x.providers_active = 2;
	au_put_totals(f, &x);
	au_expect(f, "providers_active: records hold 1, totals say 2");

	au_build(f);
	x = au_totals();
	x.burned = 201;
	au_put_totals(f, &x);
	au_expect(f, "supply: totals say 1300, genesis + minted - burned");

	au_build(f);
	a.balance = 701;
	a.nonce = 4;
	assert_int_equal(ember_account_put(f->st, au_acct, &a), 0);
	au_expect(f, "supply: totals say 1300, balances + escrow + staked + unbonding + rewards hold 1301");

	/* sums are not allowed to wrap into agreement: two stakes of 2^64 - 1
	 * sum to 2^65 - 2, which a u64 sum would see as 2^64 - 2 */
	au_build(f);
	ember_stake_init(&s);
	s.amount = UINT64_MAX;
	assert_int_equal(tk_put_stake(f->st, au_acct, &s), 0);
	assert_int_equal(tk_put_stake(f->st, au_prov, &s), 0);
	x = au_totals();
	x.staked = UINT64_MAX - 1;
	x.unbonding = 0;
	x.rewards = 0;
	au_put_totals(f, &x);
	au_expect(f, "staked: records hold 36893488147419103230, totals say 18446744073709551614");

	/* a record that does not decode is a store error, not a mismatch */
	au_build(f);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_ORDERS, key,
	                                 ember_key_id(key, 9), "\x01", 1), 0);
	assert_int_equal(tok_audit(f->t, why, sizeof(why)), EMBER_STORE_CORRUPT);
	assert_non_null(strstr(why, "order"));
	assert_true(tok_check_supply(f->t, &sum) < 0);
	au_build(f);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_ACCOUNTS, au_prov, 32,
	                                 "\x01\x02", 2), 0);
	assert_int_equal(tok_audit(f->t, why, sizeof(why)), EMBER_STORE_CORRUPT);
	assert_true(tok_check_supply(f->t, &sum) < 0);
	au_build(f);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_META, "totals", 6, "\x01", 1), 0);
	assert_int_equal(tok_totals_get(f->t, &y), EMBER_STORE_CORRUPT);
	assert_int_equal(tok_audit(f->t, why, sizeof(why)), EMBER_STORE_CORRUPT);
}

static void test_epoch_get(void **state)
{
	struct test_ledger *f = *state;
	struct tok_epoch_rec e, back;
	uint8_t key[9], buf[TOK_EPOCH_ENC_LEN];

	memset(&e, 0, sizeof(e));
	e.epoch = 7;
	e.minted = 11;
	e.supply = 13;
	e.nreports = 3;
	assert_int_equal(tok_epoch_get(f->t, 7, &back), EMBER_ENOTFOUND);
	tk_epoch_encode(&e, buf);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_PARAMS, key,
	                                 ember_key_epoch(key, 7), buf, sizeof(buf)), 0);
	assert_int_equal(tok_epoch_get(f->t, 7, &back), 0);
	assert_true(back.epoch == 7 && back.minted == 11 && back.supply == 13);
	assert_int_equal(back.nreports, 3);
	assert_int_equal(tok_epoch_get(f->t, 8, &back), EMBER_ENOTFOUND);
	assert_int_equal(ember_state_put(f->st, EMBER_DB_PARAMS, key,
	                                 ember_key_epoch(key, 8), buf, 3), 0);
	assert_int_equal(tok_epoch_get(f->t, 8, &back), EMBER_STORE_CORRUPT);
}

/* Version 2 carries the challenge counts; a version 1 record (85 bytes,
 * without them) still reads, with the counts zero; anything else is
 * corrupt. */
static void test_epoch_versions(void **state)
{
	struct tok_epoch_rec e, back;
	uint8_t buf[TOK_EPOCH_ENC_LEN];
	const size_t v1 = 1 + 9 * 8 + 3 * 4;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.epoch = 3;
	e.staked = 99;
	e.nreports = 1;
	e.providers_rewarded = 2;
	e.providers_failed = 3;
	e.chal_passed = 4;
	e.chal_failed = 1;
	e.chal_missing = 2;
	e.providers_jailed = 0x01020304;
	tk_epoch_encode(&e, buf);
	assert_int_equal(buf[0], 2);
	assert_int_equal(tk_epoch_decode(&back, buf, sizeof(buf)), 0);
	assert_memory_equal(&back, &e, sizeof(e));

	buf[0] = 1;
	assert_int_equal(tk_epoch_decode(&back, buf, sizeof(buf)), EMBER_STORE_CORRUPT);
	assert_int_equal(tk_epoch_decode(&back, buf, v1), 0);
	assert_true(back.epoch == 3 && back.staked == 99);
	assert_int_equal(back.providers_failed, 3);
	assert_int_equal(back.chal_passed, 0);
	assert_int_equal(back.chal_missing, 0);
	assert_int_equal(back.providers_jailed, 0);
	buf[0] = 2;
	assert_int_equal(tk_epoch_decode(&back, buf, v1), EMBER_STORE_CORRUPT);
	assert_int_equal(tk_epoch_decode(&back, buf, sizeof(buf) - 1), EMBER_STORE_CORRUPT);
}

/* The boundary runs at the end of every block that is a multiple of
 * epoch_blocks; the line names the epoch and what it did. */
static void test_epoch_line(void **state)
{
	struct ember_genesis g;
	struct tok_epoch_rec e;
	char line[TOK_EPOCH_LINE_LEN], tiny[8];
	uint64_t ep = 77;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.params.epoch_blocks = 60;
	assert_int_equal(tok_epoch_ends_at(&g, 0, &ep), 0);
	assert_int_equal(tok_epoch_ends_at(&g, 59, &ep), 0);
	assert_int_equal(tok_epoch_ends_at(&g, 61, &ep), 0);
	assert_int_equal(ep, 77);
	assert_int_equal(tok_epoch_ends_at(&g, 60, &ep), 1);
	assert_int_equal(ep, 0);
	assert_int_equal(tok_epoch_ends_at(&g, 120, &ep), 1);
	assert_int_equal(ep, 1);
	g.params.epoch_blocks = 0;
	assert_int_equal(tok_epoch_ends_at(&g, 120, &ep), 0);

	memset(&e, 0, sizeof(e));
	e.epoch = 1;
	e.minted = 999000000000ULL;
	e.burned = 960000000ULL;
	e.providers_rewarded = 1;
	e.chal_passed = 1;
	tok_epoch_format(&e, 120, line, sizeof(line));
	assert_string_equal(line, "epoch 1 ended at block 120: minted 999 EMB, burned "
	                    "0.96 EMB, 1 provider paid; challenges 1 passed, 0 failed, "
	                    "0 missing; slashed 0 EMB, 0 providers jailed");
	e.providers_rewarded = 0;
	e.chal_failed = 1;
	e.chal_missing = 2;
	e.slashed = 5000000000ULL;
	e.providers_jailed = 1;
	tok_epoch_format(&e, 120, line, sizeof(line));
	assert_non_null(strstr(line, " 0 providers paid; challenges 1 passed, 1 failed, "
	                       "2 missing; slashed 5 EMB, 1 provider jailed"));
	/* the worst case fits */
	memset(&e, 0xff, sizeof(e));
	tok_epoch_format(&e, UINT64_MAX, line, sizeof(line));
	assert_true(strlen(line) < sizeof(line) - 1);
	tok_epoch_format(&e, 1, tiny, sizeof(tiny));
	assert_string_equal(tiny, "epoch 1");
}

/* tok_lease_view settles an open lease in memory and shows a closed one as
 * stored; nothing is written either way. */
static void test_lease_view(void **state)
{
	struct test_ledger *f = *state;
	struct ember_genesis g;
	struct ember_lease l, v, stored;
	size_t nch;

	memset(&g, 0, sizeof(g));
	strcpy(g.token_model, "sfa");
	g.block_time_ms = 1000;
	assert_int_equal(tok_lease_view(f->t, &g, 5, 200, &v), EMBER_TOK_NO_LEASE);

	/* 1000 base units per block (3.6e6 per GPU-hour, 1 GPU, 1 s blocks) */
	memset(&l, 0, sizeof(l));
	l.id = 5;
	l.gpus = 1;
	l.price_per_gpu_hour = 3600000;
	l.status = EMBER_LEASE_OPEN;
	l.start_height = l.settled_height = l.seg_start = 100;
	l.end_height = 120;
	l.escrow = l.deposited_total = 5500;
	assert_int_equal(tk_put_lease(f->st, &l), 0);
	nch = ember_state_nchanges(f->st);

	assert_int_equal(tok_lease_view(f->t, &g, 5, 103, &v), 0);
	assert_int_equal(v.status, EMBER_LEASE_OPEN);
	assert_true(v.settled_height == 103 && v.escrow == 2500 && v.paid_total == 3000);
	assert_int_equal(tok_lease_view(f->t, &g, 5, 200, &v), 0);
	assert_int_equal(v.status, EMBER_LEASE_CLOSED);
	assert_int_equal(v.close_reason, EMBER_CLOSE_FUNDS);
	assert_true(v.close_height == 105 && v.escrow == 500);
	/* nothing written */
	assert_int_equal(ember_state_nchanges(f->st), nch);
	assert_int_equal(tk_get_lease(f->t, 5, &stored), 0);
	assert_lease_eq(&stored, &l);

	/* a closed lease is shown as stored */
	l.status = EMBER_LEASE_CLOSED;
	l.close_reason = EMBER_CLOSE_TENANT;
	l.close_height = 101;
	l.escrow = 0;
	assert_int_equal(tk_put_lease(f->st, &l), 0);
	assert_int_equal(tok_lease_view(f->t, &g, 5, 200, &v), 0);
	assert_lease_eq(&v, &l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_extremes),
		cmocka_unit_test(test_enum_values),
		cmocka_unit_test(test_known_bytes),
		cmocka_unit_test(test_sizes_fit_header),
		cmocka_unit_test(test_decode_truncated_and_trailing),
		cmocka_unit_test(test_decode_bad_version),
		cmocka_unit_test(test_decode_bad_enum),
		cmocka_unit_test(test_decode_bad_strings),
		cmocka_unit_test(test_stake_init),
		cmocka_unit_test(test_key_bytes),
		cmocka_unit_test(test_key_order),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epoch_get, setup, teardown),
		cmocka_unit_test(test_epoch_versions),
		cmocka_unit_test(test_epoch_line),
		cmocka_unit_test_setup_teardown(test_lease_view, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
