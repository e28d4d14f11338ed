/*
 * genesis.c - the genesis document: strict JSON parsing (jansson), the
 * canonical hash, and writing it back.
 *
 * Strictness is the point: a typo in a key, an amount that does not fit, a
 * duplicate account must stop the node with a message naming the subject,
 * never become a default.  Array positions in messages are 0-based, like
 * jq's .allocations[3].
 *
 * Canonical encoding hashed for g->hash (codec.h primitives, little-endian
 * fixed widths):
 *   u8 version (2) || varint len || chain_id || u64 genesis_time_ms ||
 *   u64 block_time_ms || u64 min_fee || varint len || token_model ||
 *   varint nalloc || nalloc x (32 pub || u64 amount) ||
 *   varint nval || nval x (32 pub || u64 power) ||
 *   params: every field of struct ember_params in declaration order, u64
 *     fields as u64 and u32 fields as u32 (the gen_params table below) ||
 *   varint nclass || nclass x (u32 id || varint len || name ||
 *     u32 vram_gib || u64 min_stake_per_gpu || u32 challenge_n)
 * Allocations and validators are hashed in file order; classes in id order
 * (the order they are stored in), so reordering the class table in the file
 * does not change the chain.  Version 1 had no params or classes.
 */
#include "ember/genesis.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember/addr.h"
#include "ember/amount.h"
#include "ember/codec.h"
#include "ember/hash.h"
#include "ember/key.h"

#define GEN_VERSION 2
#define GEN_FILE_MAX (64u * 1024 * 1024)

/*
 * The horizon of genesis.h: every bound below keeps the chain's numbers
 * inside their types for 100 Julian years of blocks.  Times are Unix ms.
 */
#define GEN_HORIZON_MS 3155760000000ULL         /* 100 x 365.25 days */
#define GEN_TIME_MIN_MS 1577836800000ULL        /* 2020-01-01T00:00:00Z */
#define GEN_TIME_MAX_MS 7258118400000ULL        /* 2200-01-01T00:00:00Z */
#define GEN_BLOCK_TIME_MIN 10
#define GEN_BLOCK_TIME_MAX 600000               /* 10 minutes */
#define GEN_EPOCH_BLOCKS_MAX 1000000
#define GEN_BPS_ONE 10000
/* A provider may claim up to EMBER_GPUS_MAX GPUs; its SFA minimum is
 * min_stake_per_gpu times that, and must be a u64 amount. */
#define GEN_CLASS_STAKE_MAX (UINT64_MAX / EMBER_GPUS_MAX)
#define GEN_STR_(x) #x
#define GEN_STR(x) GEN_STR_(x)

/* Block times (JSON, RPC) are signed 64-bit: the last block of the horizon
 * must still be one. */
_Static_assert(GEN_TIME_MAX_MS + GEN_HORIZON_MS <= (uint64_t)INT64_MAX,
               "the horizon's last block time must fit in int64");
/* gen_horizon_epochs() multiplies these two. */
_Static_assert((uint64_t)GEN_BLOCK_TIME_MAX * GEN_EPOCH_BLOCKS_MAX <
               UINT64_MAX / 2, "epoch length in ms must fit in u64");

static const char *const gen_top_keys[] = {
	"chain_id", "genesis_time_ms", "block_time_ms", "min_fee",
	"token_model", "allocations", "validators", "params", "gpu_classes", NULL
};
static const char *const gen_alloc_keys[] = { "address", "amount", NULL };
static const char *const gen_val_keys[] = { "pubkey", "power", NULL };
static const char *const gen_class_keys[] = {
	"id", "name", "vram_gib", "min_stake_per_gpu", "challenge_n", NULL
};
/* Index + 1 is the enum ember_token_model value. */
static const char *const gen_models[] = { "bme", "sfa", "hybrid", NULL };

/*
 * struct ember_params as data: the JSON name, where the field lives, how it
 * is encoded, and the range a genesis may give it.  Parsing, validation,
 * the hash and save all walk this one table, so the four cannot disagree;
 * a new field needs one line here, and its place here is its place in the
 * hash.  GEN_P32/GEN_P64 refuse to compile if the width does not match the
 * struct, since the accessors copy exactly that many bytes.
 */
enum gen_ptype {
	GEN_P_U32,      /* JSON integer */
	GEN_P_U64,      /* JSON integer */
	GEN_P_AMOUNT    /* u64 as a decimal string, like every amount */
};

struct gen_param {
	const char *name;
	size_t off;
	enum gen_ptype type;
	uint64_t min, max;
};

#define GEN_WIDTH_IS(f, n) \
	(0 * sizeof(char[sizeof(((struct ember_params *)0)->f) == (n) ? 1 : -1]))
#define GEN_P32(f, lo, hi) \
	{ #f, offsetof(struct ember_params, f) + GEN_WIDTH_IS(f, 4), \
	  GEN_P_U32, (lo), (hi) }
#define GEN_P64(f, t, lo, hi) \
	{ #f, offsetof(struct ember_params, f) + GEN_WIDTH_IS(f, 8), \
	  (t), (lo), (hi) }
#define GEN_BPS(f) GEN_P32(f, 0, GEN_BPS_ONE)

/*
 * emission_initial's real bound depends on the supply, the block time and
 * the decay (gen_check_doc); the table only says it is a u64.
 * oracle_initial_uusd takes the range of a validator's price report (0:
 * no price at genesis).  challenge_deadline_blocks must also be below
 * epoch_blocks (gen_check_params), so its top is one below epoch_blocks'.
 */
static const struct gen_param gen_params[] = {
	/* >= 2: a challenge's deadline (>= 1 block) falls inside its epoch */
	GEN_P64(epoch_blocks, GEN_P_U64, 2, GEN_EPOCH_BLOCKS_MAX),
	GEN_P64(unbonding_blocks, GEN_P_U64, 1, 100000000),
	GEN_P64(order_ttl_blocks, GEN_P_U64, 1, 100000000),
	GEN_P32(max_bids_per_order, 1, 256),
	GEN_P32(max_unbonding_entries, 1, 256),
	GEN_BPS(protocol_fee_bps),
	GEN_P64(emission_initial, GEN_P_AMOUNT, 0, UINT64_MAX),
	GEN_BPS(emission_decay_bps),
	GEN_BPS(hybrid_work_share_bps),
	GEN_P64(oracle_initial_uusd, GEN_P_AMOUNT, 0, EMBER_PRICE_MAX),
	GEN_P32(oracle_max_age_epochs, 1, UINT32_MAX),
	GEN_BPS(slash_fault_bps),
	GEN_BPS(slash_declared_bps),
	GEN_BPS(slash_double_sign_bps),
	GEN_BPS(slash_downtime_bps),
	GEN_BPS(downtime_missed_bps),
	GEN_BPS(slash_cap_bps),
	GEN_P32(jail_epochs, 0, 100000),
	GEN_P32(challenges_enabled, 0, 1),
	GEN_P64(challenge_deadline_blocks, GEN_P_U64, 1,
	        GEN_EPOCH_BLOCKS_MAX - 1),
	GEN_P32(proof_openings, 16, 4096),
	GEN_P32(proof_pow_bits, 0, 40),
};
#define GEN_NPARAMS (sizeof(gen_params) / sizeof(gen_params[0]))

#define GEN_CLASS_CHALLENGE_MIN 64
#define GEN_CLASS_CHALLENGE_MAX 8192

/* The table a genesis without "gpu_classes" gets.  Sorted by id, as
 * g->classes must be. */
static const struct ember_gpu_class gen_default_classes[] = {
	{ 1, "rtx4090-24g", 24, 50 * EMBER_COIN, 2048 },
	{ 2, "a100-80g", 80, 200 * EMBER_COIN, 4096 },
	{ 3, "h100-80g", 80, 300 * EMBER_COIN, 4096 },
	{ 4, "h200-141g", 141, 400 * EMBER_COIN, 8192 },
};

/* Where a message goes, and which part of the document it is about. */
struct gen_ctx {
	char *err;
	size_t errlen;
	char where[48];      /* "" or "allocation 3: " */
};

/* Writes "genesis: <where><message>" and returns EMBER_GEN_FORMAT. */
static int gen_fail(struct gen_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int gen_fail(struct gen_ctx *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		snprintf(c->err, c->errlen, "genesis: %s%s", c->where, msg);
	}
	return EMBER_GEN_FORMAT;
}

/*
 * The one message for a number outside its range: the field, its value and
 * the range, and why the range is what it is (why may be NULL).
 */
static int gen_range(struct gen_ctx *c, const char *name, uint64_t v,
                     uint64_t lo, uint64_t hi, const char *why)
{
	if (v >= lo && v <= hi)
		return 0;
	return gen_fail(c, "field \"%s\" is %" PRIu64 "; allowed %" PRIu64 "..%"
	                   PRIu64 "%s%s%s", name, v, lo, hi, why ? " (" : "",
	                why ? why : "", why ? ")" : "");
}

/* Render untrusted text for quoting in a message: printable ASCII only,
 * at most 70 characters. out must hold 80 bytes. */
static const char *gen_quote(char out[80], const char *s, size_t len)
{
	size_t i, n = len > 70 ? 70 : len;

	for (i = 0; i < n; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (n < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

static int gen_in_list(const char *const *list, const char *s, size_t len)
{
	for (; *list; list++)
		if (strlen(*list) == len && memcmp(*list, s, len) == 0)
			return 1;
	return 0;
}

static int gen_check_keys(struct gen_ctx *c, json_t *obj,
                          const char *const *allowed)
{
	const char *k;
	json_t *v;
	char q[80];

	json_object_foreach(obj, k, v) {
		if (!gen_in_list(allowed, k, strlen(k)))
			return gen_fail(c, "unknown key '%s'",
			                gen_quote(q, k, strlen(k)));
	}
	return 0;
}

static int gen_get_str(struct gen_ctx *c, json_t *obj, const char *key,
                       const char **s, size_t *len)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return gen_fail(c, "missing '%s'", key);
	if (!json_is_string(v))
		return gen_fail(c, "'%s' must be a string", key);
	*s = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

static int gen_get_uint(struct gen_ctx *c, json_t *obj, const char *key,
                        uint64_t *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return gen_fail(c, "missing '%s'", key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return gen_fail(c, "'%s' must be a non-negative integer", key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/*
 * Strict decimal u64: digits only (no sign, spaces, point or exponent), no
 * leading zero except "0" itself.  Returns 0, EMBER_EPARSE, or EMBER_ERANGE
 * (well-formed but above UINT64_MAX).
 */
static int gen_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	int range = 0;

	if (len == 0 || (len > 1 && s[0] == '0'))
		return EMBER_EPARSE;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return EMBER_EPARSE;
		if (!ember_mul_u64(v, 10, &v) ||
		    !ember_add_u64(v, (uint64_t)(s[i] - '0'), &v))
			range = 1;      /* keep scanning: a later 'x' is EPARSE */
	}
	if (range)
		return EMBER_ERANGE;
	*out = v;
	return 0;
}

static int gen_get_amount(struct gen_ctx *c, json_t *obj, const char *key,
                          uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	size_t len;
	char q[80];
	int rc;

	if (!v)
		return gen_fail(c, "missing '%s'", key);
	if (json_is_number(v))
		return gen_fail(c, "'%s' must be a decimal string of base units, "
		                   "not a number", key);
	if (!json_is_string(v))
		return gen_fail(c, "'%s' must be a decimal string of base units",
		                key);
	s = json_string_value(v);
	len = json_string_length(v);
	rc = gen_parse_u64(s, len, out);
	if (rc == EMBER_ERANGE)
		return gen_fail(c, "%s '%s' does not fit in 64 bits", key,
		                gen_quote(q, s, len));
	if (rc != 0)
		return gen_fail(c, "%s '%s' is not a decimal number of base units",
		                key, gen_quote(q, s, len));
	return 0;
}

/*
 * Find a repeated public key among n records of the given stride whose
 * first 32 bytes are the key.  *dup gets the smallest index that repeats an
 * earlier one.  Returns: 1 (found), 0 (none), EMBER_ENOMEM.
 */
struct gen_keyidx {
	uint8_t pub[32];
	size_t idx;
};

static int gen_keyidx_cmp(const void *pa, const void *pb)
{
	const struct gen_keyidx *a = pa, *b = pb;
	int c = memcmp(a->pub, b->pub, 32);

	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int gen_find_dup(const void *base, size_t stride, size_t n, size_t *dup)
{
	struct gen_keyidx *k;
	int found = 0;

	if (n < 2)
		return 0;
	k = malloc(n * sizeof(*k));
	if (!k)
		return EMBER_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		memcpy(k[i].pub, (const uint8_t *)base + i * stride, 32);
		k[i].idx = i;
	}
	qsort(k, n, sizeof(*k), gen_keyidx_cmp);
	for (size_t i = 1; i < n; i++) {
		if (memcmp(k[i].pub, k[i - 1].pub, 32) == 0 &&
		    (!found || k[i].idx < *dup)) {
			*dup = k[i].idx;
			found = 1;
		}
	}
	free(k);
	return found;
}

static const char *gen_addr_problem(int rc)
{
	switch (rc) {
	case EMBER_ADDR_CHECKSUM: return "has a bad checksum";
	case EMBER_ADDR_HRP: return "is not an ember address";
	case EMBER_CRYPTO_PUBKEY: return "is not a valid public key";
	default: return "is malformed";
	}
}

static int gen_parse_allocs(struct gen_ctx *c, struct ember_genesis *g,
                            json_t *arr)
{
	uint64_t total = 0;
	size_t i, dup;
	json_t *e;
	char q[80];
	int rc;

	if (!json_is_array(arr))
		return gen_fail(c, "'allocations' must be an array");
	if (json_array_size(arr) > EMBER_GEN_MAX_ALLOC)
		return gen_fail(c, "too many allocations (%zu, at most %d)",
		                json_array_size(arr), EMBER_GEN_MAX_ALLOC);
	g->allocs = calloc(json_array_size(arr) + 1, sizeof(*g->allocs));
	if (!g->allocs)
		return EMBER_ENOMEM;
	json_array_foreach(arr, i, e) {
		struct ember_alloc *a = &g->allocs[i];
		const char *s;
		size_t len;

		snprintf(c->where, sizeof(c->where), "allocation %zu: ", i);
		if (!json_is_object(e))
			return gen_fail(c, "must be an object");
		if ((rc = gen_check_keys(c, e, gen_alloc_keys)) != 0 ||
		    (rc = gen_get_str(c, e, "address", &s, &len)) != 0)
			return rc;
		rc = strlen(s) == len ? ember_addr_decode(s, a->pub)
		                      : EMBER_ADDR_FORMAT;
		if (rc != 0)
			return gen_fail(c, "address '%s' %s", gen_quote(q, s, len),
			                gen_addr_problem(rc));
		if ((rc = gen_get_amount(c, e, "amount", &a->amount)) != 0)
			return rc;
		if (!ember_add_u64(total, a->amount, &total))
			return gen_fail(c, "total supply exceeds 64 bits");
		g->nalloc = i + 1;
	}
	c->where[0] = '\0';
	rc = gen_find_dup(g->allocs, sizeof(*g->allocs), g->nalloc, &dup);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		char addr[EMBER_ADDR_BUFLEN];
		ember_addr_encode(g->allocs[dup].pub, addr);
		return gen_fail(c, "allocation %zu: duplicate address '%s'", dup,
		                addr);
	}
	return 0;
}

static int gen_parse_vals(struct gen_ctx *c, struct ember_genesis *g,
                          json_t *arr)
{
	uint64_t power = 0;
	size_t i, dup;
	json_t *e;
	char q[80];
	int rc;

	if (!json_is_array(arr))
		return gen_fail(c, "'validators' must be an array");
	if (json_array_size(arr) == 0)
		return gen_fail(c, "no validators");
	if (json_array_size(arr) > EMBER_GEN_MAX_VALIDATORS)
		return gen_fail(c, "too many validators (%zu, at most %d)",
		                json_array_size(arr), EMBER_GEN_MAX_VALIDATORS);
	g->vals = calloc(json_array_size(arr), sizeof(*g->vals));
	if (!g->vals)
		return EMBER_ENOMEM;
	json_array_foreach(arr, i, e) {
		struct ember_validator *v = &g->vals[i];
		const char *s;
		size_t len;

		snprintf(c->where, sizeof(c->where), "validator %zu: ", i);
		if (!json_is_object(e))
			return gen_fail(c, "must be an object");
		if ((rc = gen_check_keys(c, e, gen_val_keys)) != 0 ||
		    (rc = gen_get_str(c, e, "pubkey", &s, &len)) != 0)
			return rc;
		if (len != 64 || ember_hex_decode(s, len, v->pub, 32, NULL) != 0)
			return gen_fail(c, "pubkey '%s' is not 64 hex characters",
			                gen_quote(q, s, len));
		if (!ember_pubkey_valid(v->pub))
			return gen_fail(c, "pubkey '%s' is not a valid public key",
			                gen_quote(q, s, len));
		if ((rc = gen_get_uint(c, e, "power", &v->power)) != 0)
			return rc;
		if (!ember_add_u64(power, v->power, &power))
			return gen_fail(c, "total power exceeds 64 bits");
		g->nval = i + 1;
	}
	c->where[0] = '\0';
	if (power == 0)
		return gen_fail(c, "validators: total power must be positive");
	rc = gen_find_dup(g->vals, sizeof(*g->vals), g->nval, &dup);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		char hex[65];
		ember_hex_encode(g->vals[dup].pub, 32, hex);
		return gen_fail(c, "validator %zu: duplicate pubkey '%s'", dup, hex);
	}
	return 0;
}

static uint64_t gen_param_get(const struct ember_params *p,
                              const struct gen_param *d)
{
	const unsigned char *b = (const unsigned char *)p + d->off;
	uint32_t v32;
	uint64_t v64;

	if (d->type == GEN_P_U32) {
		memcpy(&v32, b, sizeof(v32));
		return v32;
	}
	memcpy(&v64, b, sizeof(v64));
	return v64;
}

/* v must already be within d's range, so a u32 field cannot truncate. */
static void gen_param_set(struct ember_params *p, const struct gen_param *d,
                          uint64_t v)
{
	unsigned char *b = (unsigned char *)p + d->off;
	uint32_t v32 = (uint32_t)v;

	if (d->type == GEN_P_U32)
		memcpy(b, &v32, sizeof(v32));
	else
		memcpy(b, &v, sizeof(v));
}

static int gen_param_range(struct gen_ctx *c, const struct gen_param *d,
                           uint64_t v)
{
	return gen_range(c, d->name, v, d->min, d->max, NULL);
}

/* Every range, then the rules that tie fields together. */
static int gen_check_params(struct gen_ctx *c, const struct ember_params *p)
{
	int rc;

	snprintf(c->where, sizeof(c->where), "params: ");
	for (size_t i = 0; i < GEN_NPARAMS; i++)
		if ((rc = gen_param_range(c, &gen_params[i],
		                          gen_param_get(p, &gen_params[i]))) != 0)
			return rc;
	/* Declaring maintenance must never cost more than not declaring it. */
	if (p->slash_declared_bps > p->slash_fault_bps)
		return gen_fail(c, "slash_declared_bps %" PRIu32 " must not exceed "
		                   "slash_fault_bps %" PRIu32,
		                p->slash_declared_bps, p->slash_fault_bps);
	/* A proof must be due inside the epoch that issued its challenge, so
	 * the epoch boundary can judge every challenge of the epoch. */
	if (p->challenge_deadline_blocks >= p->epoch_blocks)
		return gen_fail(c, "challenge_deadline_blocks %" PRIu64 " must be "
		                   "below epoch_blocks %" PRIu64,
		                p->challenge_deadline_blocks, p->epoch_blocks);
	c->where[0] = '\0';
	return 0;
}

/* Epochs in the horizon, rounded up (at least 6: an epoch is at most
 * GEN_BLOCK_TIME_MAX x GEN_EPOCH_BLOCKS_MAX ms). */
static uint64_t gen_horizon_epochs(uint64_t block_time_ms,
                                   uint64_t epoch_blocks)
{
	uint64_t epoch_ms = block_time_ms * epoch_blocks;

	return (GEN_HORIZON_MS + epoch_ms - 1) / epoch_ms;
}

/*
 * The most the emission over the horizon can be, as a multiple of
 * emission_initial.  tokenomics/epoch.c emits e_0 = emission_initial and
 * e_{k+1} = floor(e_k * (10000 - d) / 10000), and mints at most e_k in
 * epoch k, so over N epochs it mints at most e_0 * N, and with a decay
 * d > 0 also at most e_0 * 10000 / d (the geometric sum; the floor only
 * lowers it).  The factor is the smaller, with 10000 / d rounded up.
 */
static uint64_t gen_emission_factor(uint64_t block_time_ms,
                                    const struct ember_params *p)
{
	uint64_t n = gen_horizon_epochs(block_time_ms, p->epoch_blocks);
	uint64_t d = p->emission_decay_bps;

	if (d > 0 && (GEN_BPS_ONE + d - 1) / d < n)
		n = (GEN_BPS_ONE + d - 1) / d;
	return n;
}

/*
 * The document's bounds that tie fields together, on top of each field's
 * own range: times, min_fee against the allocations, every param, and the
 * emission against the supply.  Parse and save both end here.  Ranges
 * must already hold for block_time_ms before the emission can be judged,
 * hence the order.
 */
static int gen_check_doc(struct gen_ctx *c, const struct ember_genesis *g)
{
	uint64_t supply = 0, largest = 0, cap;
	int rc;

	c->where[0] = '\0';
	if ((rc = gen_range(c, "genesis_time_ms", g->genesis_time_ms,
	                    GEN_TIME_MIN_MS, GEN_TIME_MAX_MS,
	                    "2020-01-01 to 2200-01-01 UTC")) != 0 ||
	    (rc = gen_range(c, "block_time_ms", g->block_time_ms,
	                    GEN_BLOCK_TIME_MIN, GEN_BLOCK_TIME_MAX,
	                    "10 ms to 10 minutes")) != 0)
		return rc;
	for (size_t i = 0; i < g->nalloc; i++) {
		if (!ember_add_u64(supply, g->allocs[i].amount, &supply))
			return gen_fail(c, "total supply exceeds 64 bits");
		if (g->allocs[i].amount > largest)
			largest = g->allocs[i].amount;
	}
	/* Every transaction pays min_fee from a balance: with none that
	 * large, no transaction could ever be made. */
	if ((rc = gen_range(c, "min_fee", g->min_fee, 0, largest,
	                    "the largest allocation must pay one fee")) != 0)
		return rc;
	if ((rc = gen_check_params(c, &g->params)) != 0)
		return rc;
	/* supply + minted is the most that ever exists (tok_mint adds with a
	 * check and aborts the block on overflow: the chain would halt). */
	cap = (UINT64_MAX - supply) /
	      gen_emission_factor(g->block_time_ms, &g->params);
	snprintf(c->where, sizeof(c->where), "params: ");
	if ((rc = gen_range(c, "emission_initial", g->params.emission_initial, 0,
	                    cap, "supply plus 100 years of emission must fit in "
	                         "64 bits")) != 0)
		return rc;
	c->where[0] = '\0';
	return 0;
}

/* Overrides the defaults already in g->params with the fields obj names. */
static int gen_parse_params(struct gen_ctx *c, struct ember_genesis *g,
                            json_t *obj)
{
	const char *k;
	json_t *v;
	char q[80];
	int rc;

	if (!json_is_object(obj))
		return gen_fail(c, "'params' must be an object");
	snprintf(c->where, sizeof(c->where), "params: ");
	json_object_foreach(obj, k, v) {
		size_t i;

		for (i = 0; i < GEN_NPARAMS; i++)
			if (strcmp(k, gen_params[i].name) == 0)
				break;
		if (i == GEN_NPARAMS)
			return gen_fail(c, "unknown key '%s'",
			                gen_quote(q, k, strlen(k)));
	}
	for (size_t i = 0; i < GEN_NPARAMS; i++) {
		const struct gen_param *d = &gen_params[i];
		uint64_t val;

		if (!json_object_get(obj, d->name))
			continue;
		rc = d->type == GEN_P_AMOUNT ? gen_get_amount(c, obj, d->name, &val)
		                             : gen_get_uint(c, obj, d->name, &val);
		if (rc != 0 || (rc = gen_param_range(c, d, val)) != 0)
			return rc;
		gen_param_set(&g->params, d, val);
	}
	c->where[0] = '\0';
	return 0;      /* the rules between fields: gen_check_doc */
}

/* Class names go into messages, URLs and CLI arguments: keep them plain. */
static int gen_class_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > EMBER_CLASS_NAME_MAX || strlen(s) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-'))
			return 0;
	return 1;
}

/* challenge_n is the GPU proof's matrix size N: a power of two (the
 * commitment is a complete binary tree over N*N/8 leaves, docs/proofs.md),
 * at least 64, and at most 8192, the largest whose proof (400 openings)
 * stays under 128 KiB. */
static int gen_class_challenge_ok(uint64_t n)
{
	return n >= GEN_CLASS_CHALLENGE_MIN && n <= GEN_CLASS_CHALLENGE_MAX &&
	       (n & (n - 1)) == 0;
}

static int gen_class_cmp(const void *pa, const void *pb)
{
	const struct ember_gpu_class *a = pa, *b = pb;

	return (a->id > b->id) - (a->id < b->id);
}

static int gen_parse_classes(struct gen_ctx *c, struct ember_genesis *g,
                             json_t *arr)
{
	size_t i;
	json_t *e;
	char q[80];
	int rc;

	if (!json_is_array(arr))
		return gen_fail(c, "'gpu_classes' must be an array");
	if (json_array_size(arr) == 0)
		return gen_fail(c, "'gpu_classes' is empty (list at least one class, "
		                   "or leave the key out for the default table)");
	if (json_array_size(arr) > EMBER_GEN_MAX_CLASSES)
		return gen_fail(c, "too many gpu classes (%zu, at most %d)",
		                json_array_size(arr), EMBER_GEN_MAX_CLASSES);
	g->classes = calloc(json_array_size(arr), sizeof(*g->classes));
	if (!g->classes)
		return EMBER_ENOMEM;
	json_array_foreach(arr, i, e) {
		struct ember_gpu_class *cl = &g->classes[i];
		uint64_t id, vram, chal;
		const char *s;
		size_t len;

		snprintf(c->where, sizeof(c->where), "gpu class %zu: ", i);
		if (!json_is_object(e))
			return gen_fail(c, "must be an object");
		if ((rc = gen_check_keys(c, e, gen_class_keys)) != 0 ||
		    (rc = gen_get_uint(c, e, "id", &id)) != 0)
			return rc;
		if ((rc = gen_range(c, "id", id, 1, UINT16_MAX, NULL)) != 0)
			return rc;
		cl->id = (uint16_t)id;
		if ((rc = gen_get_str(c, e, "name", &s, &len)) != 0)
			return rc;
		if (!gen_class_name_ok(s, len))
			return gen_fail(c, "name '%s' is invalid (use 1 to %d of a-z, "
			                   "0-9 and '-')", gen_quote(q, s, len),
			                EMBER_CLASS_NAME_MAX);
		memcpy(cl->name, s, len);
		cl->name[len] = '\0';
		if ((rc = gen_get_uint(c, e, "vram_gib", &vram)) != 0)
			return rc;
		if ((rc = gen_range(c, "vram_gib", vram, 1, UINT32_MAX, NULL)) != 0)
			return rc;
		cl->vram_gib = (uint32_t)vram;
		if ((rc = gen_get_amount(c, e, "min_stake_per_gpu",
		                         &cl->min_stake_per_gpu)) != 0 ||
		    (rc = gen_range(c, "min_stake_per_gpu", cl->min_stake_per_gpu,
		                    0, GEN_CLASS_STAKE_MAX, "the stake of "
		                    GEN_STR(EMBER_GPUS_MAX) " GPUs must fit in "
		                    "64 bits")) != 0 ||
		    (rc = gen_get_uint(c, e, "challenge_n", &chal)) != 0)
			return rc;
		if (!gen_class_challenge_ok(chal))
			return gen_fail(c, "field \"challenge_n\" is %" PRIu64 "; "
			                   "allowed a power of two in %d..%d", chal,
			                GEN_CLASS_CHALLENGE_MIN,
			                GEN_CLASS_CHALLENGE_MAX);
		cl->challenge_n = (uint32_t)chal;
		for (size_t j = 0; j < i; j++) {
			if (g->classes[j].id == cl->id)
				return gen_fail(c, "duplicate id %" PRIu16, cl->id);
			if (strcmp(g->classes[j].name, cl->name) == 0)
				return gen_fail(c, "duplicate name '%s'", cl->name);
		}
		g->nclass = i + 1;
	}
	c->where[0] = '\0';
	qsort(g->classes, g->nclass, sizeof(*g->classes), gen_class_cmp);
	return 0;
}

/*
 * The checks parse makes, on a struct built in memory, so that save never
 * writes a document that load would refuse or hash differently (load sorts
 * classes; a struct must already hold them sorted).  Returns 1 (valid) or 0.
 */
static int gen_struct_ok(const struct ember_genesis *g)
{
	struct gen_ctx c = { NULL, 0, "" };

	if (gen_check_doc(&c, g) != 0 || g->nclass == 0 ||
	    g->nclass > EMBER_GEN_MAX_CLASSES)
		return 0;
	for (size_t i = 0; i < g->nclass; i++) {
		const struct ember_gpu_class *cl = &g->classes[i];

		if (cl->id == 0 || (i > 0 && cl->id <= g->classes[i - 1].id) ||
		    !gen_class_name_ok(cl->name, strnlen(cl->name,
		                                         sizeof(cl->name))) ||
		    cl->vram_gib == 0 ||
		    cl->min_stake_per_gpu > GEN_CLASS_STAKE_MAX ||
		    !gen_class_challenge_ok(cl->challenge_n))
			return 0;
		for (size_t j = 0; j < i; j++)
			if (strcmp(g->classes[j].name, cl->name) == 0)
				return 0;
	}
	return 1;
}

static int gen_parse_root(struct gen_ctx *c, struct ember_genesis *g,
                          json_t *root)
{
	const char *s;
	size_t len;
	char q[80];
	int rc;

	if (!json_is_object(root))
		return gen_fail(c, "the document must be a JSON object");
	if ((rc = gen_check_keys(c, root, gen_top_keys)) != 0)
		return rc;

	if ((rc = gen_get_str(c, root, "chain_id", &s, &len)) != 0)
		return rc;
	if (strlen(s) != len || !ember_chain_id_valid(s, len))
		return gen_fail(c, "chain id '%s' is invalid (use 1 to %d of "
		                   "a-z, 0-9 and '-')",
		                gen_quote(q, s, len), EMBER_CHAIN_ID_MAX);
	memcpy(g->chain_id, s, len);
	g->chain_id[len] = '\0';

	if ((rc = gen_get_uint(c, root, "genesis_time_ms",
	                       &g->genesis_time_ms)) != 0 ||
	    (rc = gen_get_uint(c, root, "block_time_ms", &g->block_time_ms)) != 0)
		return rc;
	if ((rc = gen_get_amount(c, root, "min_fee", &g->min_fee)) != 0)
		return rc;

	if ((rc = gen_get_str(c, root, "token_model", &s, &len)) != 0)
		return rc;
	if (len >= sizeof(g->token_model) || !gen_in_list(gen_models, s, len))
		return gen_fail(c, "token model '%s' is unknown (use bme, sfa or "
		                   "hybrid)", gen_quote(q, s, len));
	memcpy(g->token_model, s, len);
	g->token_model[len] = '\0';

	if (!json_object_get(root, "allocations"))
		return gen_fail(c, "missing 'allocations'");
	if ((rc = gen_parse_allocs(c, g, json_object_get(root, "allocations"))))
		return rc;
	if (!json_object_get(root, "validators"))
		return gen_fail(c, "missing 'validators'");
	if ((rc = gen_parse_vals(c, g, json_object_get(root, "validators"))))
		return rc;

	ember_params_default(&g->params);
	if (json_object_get(root, "params") &&
	    (rc = gen_parse_params(c, g, json_object_get(root, "params"))))
		return rc;
	if ((rc = gen_check_doc(c, g)) != 0)
		return rc;
	if (!json_object_get(root, "gpu_classes"))
		return ember_genesis_default_classes(g);
	return gen_parse_classes(c, g, json_object_get(root, "gpu_classes"));
}

int ember_genesis_parse(struct ember_genesis *g, const char *json, size_t len,
                        char *err, size_t errlen)
{
	struct gen_ctx c = { err, errlen, "" };
	json_error_t jerr;
	json_t *root;
	int rc;

	if (!g || !json)
		return EMBER_EINVAL;
	memset(g, 0, sizeof(*g));
	if (err && errlen)
		err[0] = '\0';
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return gen_fail(&c, "line %d column %d: %s", jerr.line,
		                jerr.column, jerr.text);
	rc = gen_parse_root(&c, g, root);
	json_decref(root);
	if (rc == 0 && ember_genesis_finish(g) != 0)   /* checked above */
		rc = gen_fail(&c, "total supply exceeds 64 bits");
	if (rc != 0)
		ember_genesis_release(g);
	return rc;
}

int ember_genesis_load(struct ember_genesis *g, const char *path, char *err,
                       size_t errlen)
{
	FILE *f;
	char *buf = NULL, *p;
	size_t n = 0, cap = 0;
	int rc, eno = 0;

	if (!g || !path)
		return EMBER_EINVAL;
	memset(g, 0, sizeof(*g));
	if (!(f = fopen(path, "rb"))) {
		eno = errno;
		goto io_fail;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= GEN_FILE_MAX) {
				eno = EFBIG;
				break;
			}
			cap = cap ? cap * 2 : 64 * 1024;
			if (!(p = realloc(buf, cap))) {
				fclose(f);
				free(buf);
				return EMBER_ENOMEM;
			}
			buf = p;
		}
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap) {
			if (ferror(f))
				eno = errno ? errno : EIO;
			break;
		}
	}
	fclose(f);
	if (eno)
		goto io_fail;
	rc = ember_genesis_parse(g, buf ? buf : "", n, err, errlen);
	free(buf);
	return rc;

io_fail:
	free(buf);
	if (err && errlen)
		snprintf(err, errlen, "genesis: cannot read '%s': %s", path,
		         strerror(eno));
	return EMBER_EIO;
}

int ember_genesis_finish(struct ember_genesis *g)
{
	struct ember_sha256_ctx h;
	struct ember_wbuf w;
	uint8_t buf[256];
	uint64_t total = 0;
	size_t clen, tlen;

	if (!g || (g->nalloc && !g->allocs) || (g->nval && !g->vals) ||
	    (g->nclass && !g->classes))
		return EMBER_EINVAL;
	for (size_t i = 0; i < g->nalloc; i++)
		if (!ember_add_u64(total, g->allocs[i].amount, &total))
			return EMBER_TX_OVERFLOW;
	g->total_supply = total;

	clen = strnlen(g->chain_id, EMBER_CHAIN_ID_MAX);
	tlen = strnlen(g->token_model, sizeof(g->token_model) - 1);
	ember_sha256_init(&h);
	ember_wbuf_init(&w, buf, sizeof(buf));
	ember_put_u8(&w, GEN_VERSION);
	ember_put_varint(&w, clen);
	ember_put_bytes(&w, g->chain_id, clen);
	ember_put_u64(&w, g->genesis_time_ms);
	ember_put_u64(&w, g->block_time_ms);
	ember_put_u64(&w, g->min_fee);
	ember_put_varint(&w, tlen);
	ember_put_bytes(&w, g->token_model, tlen);
	ember_put_varint(&w, g->nalloc);
	ember_sha256_update(&h, buf, w.len);    /* <= 84 bytes: always fits */
	for (size_t i = 0; i < g->nalloc; i++) {
		ember_wbuf_init(&w, buf, sizeof(buf));
		ember_put_bytes(&w, g->allocs[i].pub, 32);
		ember_put_u64(&w, g->allocs[i].amount);
		ember_sha256_update(&h, buf, w.len);
	}
	ember_wbuf_init(&w, buf, sizeof(buf));
	ember_put_varint(&w, g->nval);
	ember_sha256_update(&h, buf, w.len);
	for (size_t i = 0; i < g->nval; i++) {
		ember_wbuf_init(&w, buf, sizeof(buf));
		ember_put_bytes(&w, g->vals[i].pub, 32);
		ember_put_u64(&w, g->vals[i].power);
		ember_sha256_update(&h, buf, w.len);
	}
	ember_wbuf_init(&w, buf, sizeof(buf));
	for (size_t i = 0; i < GEN_NPARAMS; i++) {
		uint64_t v = gen_param_get(&g->params, &gen_params[i]);

		if (gen_params[i].type == GEN_P_U32)
			ember_put_u32(&w, (uint32_t)v);
		else
			ember_put_u64(&w, v);
	}
	ember_put_varint(&w, g->nclass);
	/* 113 bytes with today's params: a param that did not fit would
	 * silently drop out of the hash, so refuse instead. */
	if (w.err)
		return EMBER_EINTERNAL;
	ember_sha256_update(&h, buf, w.len);
	for (size_t i = 0; i < g->nclass; i++) {
		const struct ember_gpu_class *cl = &g->classes[i];
		size_t nlen = strnlen(cl->name, sizeof(cl->name) - 1);

		ember_wbuf_init(&w, buf, sizeof(buf));
		ember_put_u32(&w, cl->id);
		ember_put_varint(&w, nlen);
		ember_put_bytes(&w, cl->name, nlen);
		ember_put_u32(&w, cl->vram_gib);
		ember_put_u64(&w, cl->min_stake_per_gpu);
		ember_put_u32(&w, cl->challenge_n);
		ember_sha256_update(&h, buf, w.len);    /* <= 52 bytes */
	}
	ember_sha256_final(&h, g->hash);
	return 0;
}

/* Build the JSON document; NULL on allocation failure. */
static json_t *gen_to_json(const struct ember_genesis *g)
{
	json_t *root = json_object(), *allocs = json_array(), *vals = json_array();
	json_t *params = json_object(), *classes = json_array();
	char num[24], addr[EMBER_ADDR_BUFLEN], hex[65];
	int bad = !root || !allocs || !vals || !params || !classes;

	if (bad)
		goto out;
	snprintf(num, sizeof(num), "%" PRIu64, g->min_fee);
	bad |= json_object_set_new(root, "chain_id", json_string(g->chain_id));
	bad |= json_object_set_new(root, "genesis_time_ms",
	                           json_integer((json_int_t)g->genesis_time_ms));
	bad |= json_object_set_new(root, "block_time_ms",
	                           json_integer((json_int_t)g->block_time_ms));
	bad |= json_object_set_new(root, "min_fee", json_string(num));
	bad |= json_object_set_new(root, "token_model",
	                           json_string(g->token_model));
	for (size_t i = 0; i < g->nalloc && !bad; i++) {
		ember_addr_encode(g->allocs[i].pub, addr);
		snprintf(num, sizeof(num), "%" PRIu64, g->allocs[i].amount);
		bad |= json_array_append_new(allocs,
		                             json_pack("{s:s, s:s}", "address", addr,
		                                       "amount", num));
	}
	for (size_t i = 0; i < g->nval && !bad; i++) {
		ember_hex_encode(g->vals[i].pub, 32, hex);
		bad |= json_array_append_new(vals,
		                             json_pack("{s:s, s:I}", "pubkey", hex,
		                                       "power",
		                                       (json_int_t)g->vals[i].power));
	}
	/* Every param explicit: the file then says what the chain runs with,
	 * and a later change of a default cannot change this chain. */
	for (size_t i = 0; i < GEN_NPARAMS && !bad; i++) {
		const struct gen_param *d = &gen_params[i];
		uint64_t v = gen_param_get(&g->params, d);

		snprintf(num, sizeof(num), "%" PRIu64, v);
		bad |= json_object_set_new(params, d->name,
		                           d->type == GEN_P_AMOUNT
		                           ? json_string(num)
		                           : json_integer((json_int_t)v));
	}
	for (size_t i = 0; i < g->nclass && !bad; i++) {
		const struct ember_gpu_class *cl = &g->classes[i];

		snprintf(num, sizeof(num), "%" PRIu64, cl->min_stake_per_gpu);
		bad |= json_array_append_new(classes,
		        json_pack("{s:I, s:s, s:I, s:s, s:I}",
		                  "id", (json_int_t)cl->id, "name", cl->name,
		                  "vram_gib", (json_int_t)cl->vram_gib,
		                  "min_stake_per_gpu", num,
		                  "challenge_n", (json_int_t)cl->challenge_n));
	}
	bad |= json_object_set(root, "allocations", allocs);
	bad |= json_object_set(root, "validators", vals);
	bad |= json_object_set(root, "params", params);
	bad |= json_object_set(root, "gpu_classes", classes);
out:
	json_decref(allocs);
	json_decref(vals);
	json_decref(params);
	json_decref(classes);
	if (bad) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int ember_genesis_save(const struct ember_genesis *g, const char *path)
{
	json_t *root;
	char *tmp;
	FILE *f;
	int rc = 0;

	if (!g || !path || (g->nalloc && !g->allocs) || (g->nval && !g->vals) ||
	    (g->nclass && !g->classes))
		return EMBER_EINVAL;
	/* A document load would refuse is the caller's bug, caught here rather
	 * than when a node first starts on it.  Params in range also fit in
	 * JSON integers. */
	if (!gen_struct_ok(g))
		return EMBER_EINVAL;
	/* JSON integers are signed 64-bit in jansson (and the parser); the
	 * times' ranges already keep them there. */
	for (size_t i = 0; i < g->nval; i++)
		if (g->vals[i].power > INT64_MAX)
			return EMBER_ERANGE;
	if (!(root = gen_to_json(g)))
		return EMBER_ENOMEM;
	tmp = malloc(strlen(path) + 5);
	if (!tmp) {
		json_decref(root);
		return EMBER_ENOMEM;
	}
	strcpy(tmp, path);
	strcat(tmp, ".tmp");

	/* Write beside and rename, so a crash never leaves half a genesis. */
	f = fopen(tmp, "wb");
	if (!f || json_dumpf(root, f, JSON_INDENT(2)) != 0 || fputc('\n', f) == EOF ||
	    fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = EMBER_EIO;
	if (f && fclose(f) != 0)
		rc = EMBER_EIO;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = EMBER_EIO;
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	json_decref(root);
	return rc;
}

void ember_genesis_release(struct ember_genesis *g)
{
	if (!g)
		return;
	free(g->allocs);
	free(g->vals);
	free(g->classes);
	g->allocs = NULL;
	g->vals = NULL;
	g->classes = NULL;
	g->nalloc = 0;
	g->nval = 0;
	g->nclass = 0;
}

void ember_params_default(struct ember_params *p)
{
	if (!p)
		return;
	memset(p, 0, sizeof(*p));
	p->epoch_blocks = 600;
	p->unbonding_blocks = 1200;
	p->order_ttl_blocks = 600;
	p->max_bids_per_order = 16;
	p->max_unbonding_entries = 16;
	p->protocol_fee_bps = 500;
	p->emission_initial = 1000 * EMBER_COIN;
	p->emission_decay_bps = 10;
	p->hybrid_work_share_bps = 5000;
	p->oracle_initial_uusd = 1000000;       /* 1 USD per EMB */
	p->oracle_max_age_epochs = 2;
	p->slash_fault_bps = 100;
	p->slash_declared_bps = 10;
	p->slash_double_sign_bps = 500;
	/* Downtime costs less than a fault: missing more than half of an
	 * epoch's precommits (by the blocks' last commits) burns 0.1%. */
	p->slash_downtime_bps = 10;
	p->downtime_missed_bps = 5000;
	p->slash_cap_bps = 1000;
	p->jail_epochs = 2;
	/* GPU proofs: docs/proofs.md derives 400 openings and 24 bits */
	p->challenges_enabled = 1;
	p->challenge_deadline_blocks = 20;
	p->proof_openings = 400;
	p->proof_pow_bits = 24;
}

const struct ember_gpu_class *ember_gpu_classes_default(size_t *n)
{
	if (n)
		*n = sizeof(gen_default_classes) / sizeof(gen_default_classes[0]);
	return gen_default_classes;
}

int ember_genesis_default_classes(struct ember_genesis *g)
{
	struct ember_gpu_class *c;
	size_t n;

	if (!g)
		return EMBER_EINVAL;
	ember_gpu_classes_default(&n);
	if (!(c = malloc(sizeof(gen_default_classes))))
		return EMBER_ENOMEM;
	memcpy(c, gen_default_classes, sizeof(gen_default_classes));
	free(g->classes);
	g->classes = c;
	g->nclass = n;
	return 0;
}

const struct ember_gpu_class *ember_genesis_class(const struct ember_genesis *g,
                                                  uint16_t id)
{
	size_t lo = 0, hi;

	if (!g || !g->classes)
		return NULL;
	hi = g->nclass;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->classes[mid].id == id)
			return &g->classes[mid];
		if (g->classes[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* 0 (no model) for a struct whose token_model parse would have refused. */
enum ember_token_model ember_genesis_model(const struct ember_genesis *g)
{
	if (!g)
		return 0;
	for (size_t i = 0; gen_models[i]; i++)
		if (strncmp(g->token_model, gen_models[i],
		            sizeof(g->token_model)) == 0)
			return (enum ember_token_model)(i + 1);
	return 0;
}
