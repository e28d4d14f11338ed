/*
 * genesis.c - the genesis document: strict JSON parsing (jansson), the
 * canonical hash, and writing it back.
 *
 * Strictness is the point: a typo in a key, an amount that does not fit, a
 * duplicate account must stop the node with a message naming the subject,
 * never become a default.  Array positions in messages are 0-based, like
 * jq's .allocations[3].
 *
 * Canonical encoding hashed for g->hash (codec.h primitives):
 *   u8 version (1) || varint len || chain_id || u64 genesis_time_ms ||
 *   u64 block_time_ms || u64 min_fee || varint len || token_model ||
 *   varint nalloc || nalloc x (32 pub || u64 amount) ||
 *   varint nval || nval x (32 pub || u64 power)
 * Allocations and validators are hashed in file order.
 */
#include "ember/genesis.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember/addr.h"
#include "ember/codec.h"
#include "ember/hash.h"
#include "ember/key.h"

#define GEN_VERSION 1
#define GEN_BLOCK_TIME_MIN 10
#define GEN_BLOCK_TIME_MAX 600000
#define GEN_FILE_MAX (64u * 1024 * 1024)

static const char *const gen_top_keys[] = {
	"chain_id", "genesis_time_ms", "block_time_ms", "min_fee",
	"token_model", "allocations", "validators", NULL
};
static const char *const gen_alloc_keys[] = { "address", "amount", NULL };
static const char *const gen_val_keys[] = { "pubkey", "power", NULL };
static const char *const gen_models[] = { "bme", "sfa", "hybrid", NULL };

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
	if (g->block_time_ms < GEN_BLOCK_TIME_MIN ||
	    g->block_time_ms > GEN_BLOCK_TIME_MAX)
		return gen_fail(c, "block_time_ms %" PRIu64 " is out of range "
		                   "(%d to %d)", g->block_time_ms,
		                GEN_BLOCK_TIME_MIN, GEN_BLOCK_TIME_MAX);
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
	return gen_parse_vals(c, g, json_object_get(root, "validators"));
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
	uint8_t buf[128];
	uint64_t total = 0;
	size_t clen, tlen;

	if (!g || (g->nalloc && !g->allocs) || (g->nval && !g->vals))
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
	ember_sha256_final(&h, g->hash);
	return 0;
}

/* Build the JSON document; NULL on allocation failure. */
static json_t *gen_to_json(const struct ember_genesis *g)
{
	json_t *root = json_object(), *allocs = json_array(), *vals = json_array();
	char num[24], addr[EMBER_ADDR_BUFLEN], hex[65];
	int bad = !root || !allocs || !vals;

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
	bad |= json_object_set(root, "allocations", allocs);
	bad |= json_object_set(root, "validators", vals);
out:
	json_decref(allocs);
	json_decref(vals);
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

	if (!g || !path || (g->nalloc && !g->allocs) || (g->nval && !g->vals))
		return EMBER_EINVAL;
	/* JSON integers are signed 64-bit in jansson (and the parser). */
	if (g->genesis_time_ms > INT64_MAX || g->block_time_ms > INT64_MAX)
		return EMBER_ERANGE;
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
	g->allocs = NULL;
	g->vals = NULL;
	g->nalloc = 0;
	g->nval = 0;
}
