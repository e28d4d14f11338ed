/*
 * records.c - the market records' canonical encodings, the index and
 * primary key builders, the JSON names of their enums, and a provider's
 * market state at an epoch (active, retired or jailed; market.h).
 *
 * Layouts (version byte 1, then the struct's fields in declaration order,
 * integers little-endian at their declared width, strings as u8 len ||
 * bytes):
 *
 *   provider   143 fixed + region (1..16) + endpoint (1..128): 145 .. 287
 *   stake      57
 *   order      100
 *   bid        57
 *   lease      177
 *
 * (REC_* below are the exact figures; the static asserts and the test
 * suite check them against market.h's EMBER_*_ENC_* bounds.)
 *
 * Decoders are strict because these bytes only ever come from our own
 * writes: anything else means the store is damaged, so every failure is
 * EMBER_STORE_CORRUPT and the output is left untouched.
 */
#include "tok_int.h"

#include <string.h>

#include "ember/codec.h"

#define REC_VERSION 1

/* Sizes of the encodings (strings at their maxima for the provider). */
#define REC_PROVIDER_FIXED (1 + 32 + 1 + 2 + 4 + 4 + 8 + 1 + 1 + 4 + 4 + \
                            8 * 6 + 1 + 8 + 4 + 4 + 8 + 8)
#define REC_PROVIDER_MAX (REC_PROVIDER_FIXED + EMBER_REGION_MAX + \
                          EMBER_ENDPOINT_MAX)
#define REC_STAKE_LEN (1 + 8 + 8 + 4 + 8 + 8 + 8 + 4 + 8)
#define REC_ORDER_LEN (1 + 8 + 32 + 1 + 2 + 4 + 8 * 5 + 4 + 8)
#define REC_BID_LEN (1 + 8 + 32 + 8 + 8)
#define REC_LEASE_LEN (1 + 8 + 8 + 32 + 32 + 2 + 4 + 8 + 1 + 1 + 8 * 10)

/* The bounds market.h promises callers.  EMBER_BID_ENC_LEN (56) is one
 * byte short of the bid layout (57: the version byte), see the report to
 * the header's owner; tk_put_bid sizes its buffer from the encoder, not
 * from that constant, so nothing in tokenomics/ overflows meanwhile. */
_Static_assert(REC_PROVIDER_MAX <= EMBER_PROVIDER_ENC_MAX,
               "provider encoding exceeds EMBER_PROVIDER_ENC_MAX");
_Static_assert(REC_STAKE_LEN <= EMBER_STAKE_ENC_LEN,
               "stake encoding exceeds EMBER_STAKE_ENC_LEN");
_Static_assert(REC_ORDER_LEN <= EMBER_ORDER_ENC_MAX,
               "order encoding exceeds EMBER_ORDER_ENC_MAX");
_Static_assert(REC_LEASE_LEN <= EMBER_LEASE_ENC_MAX,
               "lease encoding exceeds EMBER_LEASE_ENC_MAX");
_Static_assert(1 + 32 + 8 <= EMBER_IDX_KEY_MAX, "index key too long");

/* --- small codec helpers ----------------------------------------------- */

static void put_u16(struct ember_wbuf *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	ember_put_bytes(w, b, 2);
}

static int get_u16(struct ember_rbuf *r, uint16_t *out)
{
	uint8_t b[2];
	int rc = ember_get_bytes(r, b, 2);
	if (rc == 0)
		*out = (uint16_t)(b[0] | (uint16_t)b[1] << 8);
	return rc;
}

static void put_str(struct ember_wbuf *w, const char *s, uint8_t len)
{
	ember_put_u8(w, len);
	ember_put_bytes(w, s, len);
}

/* A stored string: 1..max bytes with no NUL inside, since the struct keeps
 * it NUL-terminated and a NUL would make len and strlen disagree. */
static int get_str(struct ember_rbuf *r, char *out, uint8_t *len, size_t max)
{
	uint8_t n;
	if (ember_get_u8(r, &n) || n == 0 || n > max ||
	    ember_get_bytes(r, out, n) || memchr(out, 0, n))
		return -1;
	out[n] = 0;
	*len = n;
	return 0;
}

/* Every get below is chained with ||, so the first short read wins. */
#define RD8(x) ember_get_u8(&r, &(x))
#define RD16(x) get_u16(&r, &(x))
#define RD32(x) ember_get_u32(&r, &(x))
#define RD64(x) ember_get_u64(&r, &(x))

static int version_ok(struct ember_rbuf *r)
{
	uint8_t v;
	return ember_get_u8(r, &v) == 0 && v == REC_VERSION;
}

/* --- provider ----------------------------------------------------------- */

/* Returns 0 (nothing written) for a record whose string lengths are out of
 * range: such a record cannot have passed tx validation, and writing it
 * would put a record in state that no decoder accepts. */
size_t ember_provider_encode(const struct ember_provider *p, uint8_t *out)
{
	struct ember_wbuf w;

	if (p->region_len == 0 || p->region_len > EMBER_REGION_MAX ||
	    p->endpoint_len == 0 || p->endpoint_len > EMBER_ENDPOINT_MAX)
		return 0;
	ember_wbuf_init(&w, out, REC_PROVIDER_MAX);
	ember_put_u8(&w, REC_VERSION);
	ember_put_bytes(&w, p->owner, 32);
	ember_put_u8(&w, p->status);
	put_u16(&w, p->gpu_class);
	ember_put_u32(&w, p->gpus);
	ember_put_u32(&w, p->vram_gib);
	ember_put_u64(&w, p->price_per_gpu_hour);
	put_str(&w, p->region, p->region_len);
	put_str(&w, p->endpoint, p->endpoint_len);
	ember_put_u32(&w, p->gpus_leased);
	ember_put_u32(&w, p->open_leases);
	ember_put_u64(&w, p->registered_height);
	ember_put_u64(&w, p->updated_height);
	ember_put_u64(&w, p->work_epoch);
	ember_put_u64(&w, p->work);
	ember_put_u64(&w, p->work_total);
	ember_put_u64(&w, p->chal_epoch);
	ember_put_u8(&w, p->chal_result);
	ember_put_u64(&w, p->uptime_epoch);
	ember_put_u32(&w, p->uptime_bits);
	ember_put_u32(&w, p->uptime_known);
	ember_put_u64(&w, p->maint_epoch);
	ember_put_u64(&w, p->jailed_until);
	return w.err ? 0 : w.len;
}

int ember_provider_decode(struct ember_provider *p, const uint8_t *in,
                          size_t len)
{
	struct ember_provider x;
	struct ember_rbuf r;

	memset(&x, 0, sizeof(x));
	ember_rbuf_init(&r, in, len);
	if (!version_ok(&r) || ember_get_bytes(&r, x.owner, 32) ||
	    RD8(x.status) || RD16(x.gpu_class) || RD32(x.gpus) ||
	    RD32(x.vram_gib) || RD64(x.price_per_gpu_hour) ||
	    get_str(&r, x.region, &x.region_len, EMBER_REGION_MAX) ||
	    get_str(&r, x.endpoint, &x.endpoint_len, EMBER_ENDPOINT_MAX) ||
	    RD32(x.gpus_leased) || RD32(x.open_leases) ||
	    RD64(x.registered_height) || RD64(x.updated_height) ||
	    RD64(x.work_epoch) || RD64(x.work) || RD64(x.work_total) ||
	    RD64(x.chal_epoch) || RD8(x.chal_result) || RD64(x.uptime_epoch) ||
	    RD32(x.uptime_bits) || RD32(x.uptime_known) ||
	    RD64(x.maint_epoch) || RD64(x.jailed_until) ||
	    ember_rbuf_done(&r))
		return EMBER_STORE_CORRUPT;
	if (x.status != EMBER_PROV_ACTIVE && x.status != EMBER_PROV_RETIRED)
		return EMBER_STORE_CORRUPT;
	if (x.chal_result > EMBER_CHAL_MISSING)
		return EMBER_STORE_CORRUPT;
	*p = x;
	return 0;
}

/* --- stake -------------------------------------------------------------- */

void ember_stake_init(struct ember_stake *s)
{
	memset(s, 0, sizeof(*s));
	s->slash_epoch = EMBER_NO_EPOCH;
}

size_t ember_stake_encode(const struct ember_stake *s, uint8_t *out)
{
	struct ember_wbuf w;

	ember_wbuf_init(&w, out, REC_STAKE_LEN);
	ember_put_u8(&w, REC_VERSION);
	ember_put_u64(&w, s->amount);
	ember_put_u64(&w, s->unbonding);
	ember_put_u32(&w, s->unbonding_entries);
	ember_put_u64(&w, s->rewards);
	ember_put_u64(&w, s->rewards_total);
	ember_put_u64(&w, s->slash_epoch);
	ember_put_u32(&w, s->slash_bps_used);
	ember_put_u64(&w, s->slashed_total);
	return w.err ? 0 : w.len;
}

int ember_stake_decode(struct ember_stake *s, const uint8_t *in, size_t len)
{
	struct ember_stake x;
	struct ember_rbuf r;

	memset(&x, 0, sizeof(x));
	ember_rbuf_init(&r, in, len);
	if (!version_ok(&r) || RD64(x.amount) || RD64(x.unbonding) ||
	    RD32(x.unbonding_entries) || RD64(x.rewards) ||
	    RD64(x.rewards_total) || RD64(x.slash_epoch) ||
	    RD32(x.slash_bps_used) || RD64(x.slashed_total) ||
	    ember_rbuf_done(&r))
		return EMBER_STORE_CORRUPT;
	*s = x;
	return 0;
}

/* --- order -------------------------------------------------------------- */

size_t ember_order_encode(const struct ember_order *o, uint8_t *out)
{
	struct ember_wbuf w;

	ember_wbuf_init(&w, out, REC_ORDER_LEN);
	ember_put_u8(&w, REC_VERSION);
	ember_put_u64(&w, o->id);
	ember_put_bytes(&w, o->tenant, 32);
	ember_put_u8(&w, o->status);
	put_u16(&w, o->gpu_class);
	ember_put_u32(&w, o->gpus);
	ember_put_u64(&w, o->max_price_per_gpu_hour);
	ember_put_u64(&w, o->duration_blocks);
	ember_put_u64(&w, o->deposit);
	ember_put_u64(&w, o->created_height);
	ember_put_u64(&w, o->expires_height);
	ember_put_u32(&w, o->nbids);
	ember_put_u64(&w, o->lease_id);
	return w.err ? 0 : w.len;
}

int ember_order_decode(struct ember_order *o, const uint8_t *in, size_t len)
{
	struct ember_order x;
	struct ember_rbuf r;

	memset(&x, 0, sizeof(x));
	ember_rbuf_init(&r, in, len);
	if (!version_ok(&r) || RD64(x.id) || ember_get_bytes(&r, x.tenant, 32) ||
	    RD8(x.status) || RD16(x.gpu_class) || RD32(x.gpus) ||
	    RD64(x.max_price_per_gpu_hour) || RD64(x.duration_blocks) ||
	    RD64(x.deposit) || RD64(x.created_height) ||
	    RD64(x.expires_height) || RD32(x.nbids) || RD64(x.lease_id) ||
	    ember_rbuf_done(&r))
		return EMBER_STORE_CORRUPT;
	if (x.status < EMBER_ORDER_OPEN || x.status > EMBER_ORDER_EXPIRED)
		return EMBER_STORE_CORRUPT;
	*o = x;
	return 0;
}

/* --- bid ---------------------------------------------------------------- */

size_t ember_bid_encode(const struct ember_bid *b, uint8_t *out)
{
	struct ember_wbuf w;

	ember_wbuf_init(&w, out, REC_BID_LEN);
	ember_put_u8(&w, REC_VERSION);
	ember_put_u64(&w, b->order_id);
	ember_put_bytes(&w, b->provider, 32);
	ember_put_u64(&w, b->price_per_gpu_hour);
	ember_put_u64(&w, b->height);
	return w.err ? 0 : w.len;
}

int ember_bid_decode(struct ember_bid *b, const uint8_t *in, size_t len)
{
	struct ember_bid x;
	struct ember_rbuf r;

	memset(&x, 0, sizeof(x));
	ember_rbuf_init(&r, in, len);
	if (!version_ok(&r) || RD64(x.order_id) ||
	    ember_get_bytes(&r, x.provider, 32) ||
	    RD64(x.price_per_gpu_hour) || RD64(x.height) ||
	    ember_rbuf_done(&r))
		return EMBER_STORE_CORRUPT;
	*b = x;
	return 0;
}

/* --- lease -------------------------------------------------------------- */

size_t ember_lease_encode(const struct ember_lease *l, uint8_t *out)
{
	struct ember_wbuf w;

	ember_wbuf_init(&w, out, REC_LEASE_LEN);
	ember_put_u8(&w, REC_VERSION);
	ember_put_u64(&w, l->id);
	ember_put_u64(&w, l->order_id);
	ember_put_bytes(&w, l->tenant, 32);
	ember_put_bytes(&w, l->provider, 32);
	put_u16(&w, l->gpu_class);
	ember_put_u32(&w, l->gpus);
	ember_put_u64(&w, l->price_per_gpu_hour);
	ember_put_u8(&w, l->status);
	ember_put_u8(&w, l->close_reason);
	ember_put_u64(&w, l->start_height);
	ember_put_u64(&w, l->end_height);
	ember_put_u64(&w, l->close_height);
	ember_put_u64(&w, l->settled_height);
	ember_put_u64(&w, l->seg_start);
	ember_put_u64(&w, l->seg_rate_uusd);
	ember_put_u64(&w, l->seg_paid);
	ember_put_u64(&w, l->escrow);
	ember_put_u64(&w, l->paid_total);
	ember_put_u64(&w, l->deposited_total);
	return w.err ? 0 : w.len;
}

int ember_lease_decode(struct ember_lease *l, const uint8_t *in, size_t len)
{
	struct ember_lease x;
	struct ember_rbuf r;

	memset(&x, 0, sizeof(x));
	ember_rbuf_init(&r, in, len);
	if (!version_ok(&r) || RD64(x.id) || RD64(x.order_id) ||
	    ember_get_bytes(&r, x.tenant, 32) ||
	    ember_get_bytes(&r, x.provider, 32) || RD16(x.gpu_class) ||
	    RD32(x.gpus) || RD64(x.price_per_gpu_hour) || RD8(x.status) ||
	    RD8(x.close_reason) || RD64(x.start_height) ||
	    RD64(x.end_height) || RD64(x.close_height) ||
	    RD64(x.settled_height) || RD64(x.seg_start) ||
	    RD64(x.seg_rate_uusd) || RD64(x.seg_paid) || RD64(x.escrow) ||
	    RD64(x.paid_total) || RD64(x.deposited_total) ||
	    ember_rbuf_done(&r))
		return EMBER_STORE_CORRUPT;
	if (x.status != EMBER_LEASE_OPEN && x.status != EMBER_LEASE_CLOSED)
		return EMBER_STORE_CORRUPT;
	if (x.close_reason > EMBER_CLOSE_COMPLETED)
		return EMBER_STORE_CORRUPT;
	*l = x;
	return 0;
}

#undef RD8
#undef RD16
#undef RD32
#undef RD64

/* --- keys ----------------------------------------------------------------
 *
 * ids and heights are big-endian so LMDB's memcmp order is numeric order,
 * which is what makes "every open lease" or "orders expiring by h" a range
 * scan from a start key. */

size_t ember_idx_id(uint8_t *out, uint8_t prefix, uint64_t id)
{
	out[0] = prefix;
	ember_be64_put(out + 1, id);
	return 9;
}

size_t ember_idx_pub_id(uint8_t *out, uint8_t prefix, const uint8_t pub[32],
                        uint64_t id)
{
	out[0] = prefix;
	memcpy(out + 1, pub, 32);
	ember_be64_put(out + 33, id);
	return 41;
}

size_t ember_idx_id_id(uint8_t *out, uint8_t prefix, uint64_t a, uint64_t b)
{
	out[0] = prefix;
	ember_be64_put(out + 1, a);
	ember_be64_put(out + 9, b);
	return 17;
}

size_t ember_idx_id_pub(uint8_t *out, uint8_t prefix, uint64_t id,
                        const uint8_t pub[32])
{
	out[0] = prefix;
	ember_be64_put(out + 1, id);
	memcpy(out + 9, pub, 32);
	return 41;
}

size_t ember_key_id(uint8_t out[8], uint64_t id)
{
	ember_be64_put(out, id);
	return 8;
}

size_t ember_key_bid(uint8_t out[40], uint64_t order_id, const uint8_t prov[32])
{
	ember_be64_put(out, order_id);
	memcpy(out + 8, prov, 32);
	return 40;
}

size_t ember_key_unbond(uint8_t out[40], const uint8_t acct[32], uint64_t release)
{
	memcpy(out, acct, 32);
	ember_be64_put(out + 32, release);
	return 40;
}

size_t ember_key_epoch(uint8_t out[9], uint64_t epoch)
{
	out[0] = 'E';
	ember_be64_put(out + 1, epoch);
	return 9;
}

/* --- names ----------------------------------------------------------------
 *
 * One table per enum, indexed by value; a NULL slot is a value the enum
 * does not have.  Parse walks the same table, so name and parse cannot
 * disagree. */

static const char *const prov_status_names[] = {
	NULL, "active", "retired"
};
/* ember_prov_state: the stored statuses, then the derived one. */
static const char *const prov_state_names[] = {
	NULL, "active", "retired", "jailed"
};
static const char *const order_status_names[] = {
	NULL, "open", "leased", "expired"
};
static const char *const lease_status_names[] = {
	NULL, "open", "closed"
};
static const char *const close_reason_names[] = {
	"none", "tenant_closed", "provider_closed", "insufficient_funds",
	"completed"
};
static const char *const chal_result_names[] = {
	"none", "pass", "fail", "missing"
};

#define NAMES_LEN(t) (sizeof(t) / sizeof((t)[0]))

static const char *name_of(const char *const *t, size_t n, uint8_t v)
{
	return v < n ? t[v] : NULL;
}

static uint8_t parse_of(const char *const *t, size_t n, const char *s)
{
	if (!s)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (t[i] && strcmp(t[i], s) == 0)
			return (uint8_t)i;
	return 0;
}

const char *ember_prov_status_name(uint8_t s)
{
	return name_of(prov_status_names, NAMES_LEN(prov_status_names), s);
}

const char *ember_prov_state_name(uint8_t s)
{
	return name_of(prov_state_names, NAMES_LEN(prov_state_names), s);
}

const char *ember_order_status_name(uint8_t s)
{
	return name_of(order_status_names, NAMES_LEN(order_status_names), s);
}

const char *ember_lease_status_name(uint8_t s)
{
	return name_of(lease_status_names, NAMES_LEN(lease_status_names), s);
}

const char *ember_close_reason_name(uint8_t r)
{
	return name_of(close_reason_names, NAMES_LEN(close_reason_names), r);
}

const char *ember_chal_result_name(uint8_t r)
{
	return name_of(chal_result_names, NAMES_LEN(chal_result_names), r);
}

uint8_t ember_prov_status_parse(const char *s)
{
	return parse_of(prov_status_names, NAMES_LEN(prov_status_names), s);
}

uint8_t ember_prov_state_parse(const char *s)
{
	return parse_of(prov_state_names, NAMES_LEN(prov_state_names), s);
}

uint8_t ember_order_status_parse(const char *s)
{
	return parse_of(order_status_names, NAMES_LEN(order_status_names), s);
}

uint8_t ember_lease_status_parse(const char *s)
{
	return parse_of(lease_status_names, NAMES_LEN(lease_status_names), s);
}

/* --- derived state ------------------------------------------------------ */

uint8_t ember_prov_state(const struct ember_provider *p, uint64_t epoch)
{
	if (p->status == EMBER_PROV_RETIRED)
		return EMBER_PROV_STATE_RETIRED;
	if (p->status != EMBER_PROV_ACTIVE)
		return 0;
	return epoch < p->jailed_until ? EMBER_PROV_STATE_JAILED
	                               : EMBER_PROV_STATE_ACTIVE;
}
