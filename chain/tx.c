/*
 * tx.c - transaction encoding, ids, signing and stateless checks (see tx.h).
 *
 * The encoder refuses any struct the decoder would reject, so every byte
 * string this node emits decodes back to the same struct, and the decoder
 * accepts exactly one byte string per tx; together they make the txid a
 * function of the tx's meaning.
 *
 * The codec is structural only: it enforces the wire form and the string
 * rules (a malformed string cannot even be stored), while value ranges,
 * zero amounts and evidence sanity are ember_tx_check()'s, so a tx with a
 * bad value still decodes and gets a precise refusal rather than "malformed".
 */
#include "ember/tx.h"

#include <string.h>

#include "ember/block.h"
#include "ember/codec.h"
#include "ember/hash.h"
#include "ember/key.h"
#include "ember/proof.h"

/* Indexed by kind; the names are the CLI's and RPC's spelling. */
static const char *const tx_kind_names[EMBER_TX_KIND_MAX + 1] = {
	[EMBER_TX_TRANSFER] = "transfer",
	[EMBER_TX_STAKE] = "stake",
	[EMBER_TX_UNSTAKE] = "unstake",
	[EMBER_TX_PROV_REGISTER] = "provider_register",
	[EMBER_TX_PROV_UPDATE] = "provider_update",
	[EMBER_TX_PROV_RETIRE] = "provider_retire",
	[EMBER_TX_ORDER] = "order",
	[EMBER_TX_BID] = "bid",
	[EMBER_TX_ACCEPT] = "accept",
	[EMBER_TX_CLOSE] = "close",
	[EMBER_TX_TOPUP] = "topup",
	[EMBER_TX_CLAIM] = "claim",
	[EMBER_TX_PRICE] = "price",
	[EMBER_TX_MAINTENANCE] = "maintenance",
	[EMBER_TX_EVIDENCE] = "evidence",
	[EMBER_TX_PROOF] = "proof",
};

static int tx_kind_known(uint8_t kind)
{
	return kind >= 1 && kind <= EMBER_TX_KIND_MAX;
}

const char *ember_tx_kind_name(uint8_t kind)
{
	return tx_kind_known(kind) ? tx_kind_names[kind] : NULL;
}

uint8_t ember_tx_kind_parse(const char *name)
{
	if (!name)
		return 0;
	for (uint8_t k = 1; k <= EMBER_TX_KIND_MAX; k++)
		if (strcmp(name, tx_kind_names[k]) == 0)
			return k;
	return 0;
}

/* 1..max characters of [a-z0-9-]: chain ids and regions. */
static int slug_valid(const char *s, size_t len, size_t max)
{
	if (!s || len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

int ember_chain_id_valid(const char *s, size_t len)
{
	return slug_valid(s, len, EMBER_CHAIN_ID_MAX);
}

int ember_region_valid(const char *s, size_t len)
{
	return slug_valid(s, len, EMBER_REGION_MAX);
}

/* Printable and space-free, so an endpoint can be shown, logged and split
 * on whitespace without quoting or escaping. */
int ember_endpoint_valid(const char *s, size_t len)
{
	if (!s || len == 0 || len > EMBER_ENDPOINT_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x21 || c > 0x7e)
			return 0;
	}
	return 1;
}

/*
 * The string fields share one rule shape: a length in 1..max, then bytes
 * that pass valid().  The length is told apart from the charset so callers
 * can say which one a person got wrong.
 */
typedef int (*tx_str_valid_fn)(const char *s, size_t len);

static int tx_str_rc(const char *s, size_t len, size_t max,
                     tx_str_valid_fn valid)
{
	if (len == 0 || len > max)
		return EMBER_ENC_OVERSIZE;
	return valid(s, len) ? 0 : EMBER_ENC_CHARSET;
}

/* Copy a caller's NUL-terminated string into a field of capacity max + 1.
 * strnlen bounds the scan: the text may be untrusted.  dst is untouched
 * on failure. */
static int tx_str_set(char *dst, uint8_t *dstlen, const char *src, size_t max,
                      tx_str_valid_fn valid)
{
	size_t len = strnlen(src, max + 1);
	int rc = tx_str_rc(src, len, max, valid);
	if (rc)
		return rc;
	memset(dst, 0, max + 1);
	memcpy(dst, src, len);
	*dstlen = (uint8_t)len;
	return 0;
}

/* dst must be zeroed (capacity max + 1), so the copy ends up NUL-terminated. */
static int tx_str_get(struct ember_rbuf *r, char *dst, uint8_t *dstlen,
                      size_t max, tx_str_valid_fn valid)
{
	uint64_t n;
	int rc;
	if ((rc = ember_get_varint(r, &n)))
		return rc;
	/* Length before bytes: a huge length is oversize, not truncated. */
	if (n == 0 || n > max)
		return EMBER_ENC_OVERSIZE;
	if ((rc = ember_get_bytes(r, dst, (size_t)n)))
		return rc;
	if (!valid(dst, (size_t)n))
		return EMBER_ENC_CHARSET;
	*dstlen = (uint8_t)n;
	return 0;
}

static void tx_str_put(struct ember_wbuf *w, const char *s, uint8_t len)
{
	ember_put_varint(w, len);
	ember_put_bytes(w, s, len);
}

static void tx_put_u16(struct ember_wbuf *w, uint16_t v)
{
	ember_put_u8(w, (uint8_t)v);
	ember_put_u8(w, (uint8_t)(v >> 8));
}

static int tx_get_u16(struct ember_rbuf *r, uint16_t *out)
{
	uint8_t b[2];
	int rc = ember_get_bytes(r, b, 2);
	if (rc)
		return rc;
	*out = (uint16_t)(b[0] | (b[1] << 8));
	return 0;
}

static int tx_provider_strings_rc(const struct ember_tx_provider *p)
{
	int rc = tx_str_rc(p->region, p->region_len, EMBER_REGION_MAX,
	                   ember_region_valid);
	if (rc)
		return rc;
	return tx_str_rc(p->endpoint, p->endpoint_len, EMBER_ENDPOINT_MAX,
	                 ember_endpoint_valid);
}

int ember_tx_set_provider_strings(struct ember_tx_provider *p,
                                  const char *region, const char *endpoint)
{
	char rbuf[EMBER_REGION_MAX + 1], ebuf[EMBER_ENDPOINT_MAX + 1];
	uint8_t rlen, elen;
	int rc;
	if (!p || !region || !endpoint)
		return EMBER_EINVAL;
	/* Both are checked before either is stored: a refusal changes nothing. */
	if ((rc = tx_str_set(rbuf, &rlen, region, EMBER_REGION_MAX,
	                     ember_region_valid)) ||
	    (rc = tx_str_set(ebuf, &elen, endpoint, EMBER_ENDPOINT_MAX,
	                     ember_endpoint_valid)))
		return rc;
	memcpy(p->region, rbuf, sizeof(rbuf));
	p->region_len = rlen;
	memcpy(p->endpoint, ebuf, sizeof(ebuf));
	p->endpoint_len = elen;
	return 0;
}

int ember_tx_init(struct ember_tx *tx, uint8_t kind, const char *chain_id,
                  const uint8_t from[32], uint64_t nonce, uint64_t fee)
{
	char id[EMBER_CHAIN_ID_MAX + 1];
	uint8_t idlen;
	int rc;
	if (!tx || !chain_id || !from)
		return EMBER_EINVAL;
	if (!tx_kind_known(kind))
		return EMBER_ENC_KIND;
	if ((rc = tx_str_set(id, &idlen, chain_id, EMBER_CHAIN_ID_MAX,
	                     ember_chain_id_valid)))
		return rc;

	memset(tx, 0, sizeof(*tx));
	tx->version = EMBER_TX_VERSION;
	tx->kind = kind;
	tx->chain_id_len = idlen;
	memcpy(tx->chain_id, id, sizeof(id));
	memcpy(tx->from, from, 32);
	tx->nonce = nonce;
	tx->fee = fee;
	return 0;
}

int ember_tx_init_transfer(struct ember_tx *tx, const char *chain_id,
                           const uint8_t from[32], uint64_t nonce,
                           uint64_t fee, const uint8_t to[32],
                           uint64_t amount)
{
	int rc;
	if (!to)
		return EMBER_EINVAL;
	if ((rc = ember_tx_init(tx, EMBER_TX_TRANSFER, chain_id, from, nonce,
	                        fee)))
		return rc;
	memcpy(tx->u.transfer.to, to, 32);
	tx->u.transfer.amount = amount;
	return 0;
}

/* A proof body is 1..EMBER_PROOF_BODY_MAX bytes that exist: the decoder
 * never yields anything else, and a struct built in memory is held to the
 * same rule before it is encoded, hashed or applied. */
static int tx_proof_body_ok(const struct ember_tx_proof *p)
{
	return p->body && p->body_len >= 1 && p->body_len <= EMBER_PROOF_BODY_MAX;
}

/* 1 if the struct has a form the decoder accepts (the signature aside). */
static int tx_encodable(const struct ember_tx *tx)
{
	if (tx->version != EMBER_TX_VERSION || !tx_kind_known(tx->kind) ||
	    !ember_chain_id_valid(tx->chain_id, tx->chain_id_len))
		return 0;
	if (tx->kind == EMBER_TX_PROV_REGISTER || tx->kind == EMBER_TX_PROV_UPDATE)
		return tx_provider_strings_rc(&tx->u.provider) == 0;
	if (tx->kind == EMBER_TX_PROOF)
		return tx_proof_body_ok(&tx->u.proof);
	return 1;
}

/* The payload per kind, exactly as "Payload wire forms" in tx.h lays it
 * out; tx_get_payload() below must mirror it field for field.  A proof's
 * body is the last field before the signature; with_body 0 leaves it out
 * so the signing hash can take it straight from its view (a proof is up to
 * 128 KiB and must not be copied onto the stack). */
static void tx_put_payload(struct ember_wbuf *w, const struct ember_tx *tx,
                           int with_body)
{
	const struct ember_tx_provider *p = &tx->u.provider;
	const struct ember_tx_order *o = &tx->u.order;
	const struct ember_tx_evidence *e = &tx->u.evidence;

	switch (tx->kind) {
	case EMBER_TX_TRANSFER:
		ember_put_bytes(w, tx->u.transfer.to, 32);
		ember_put_u64(w, tx->u.transfer.amount);
		break;
	case EMBER_TX_STAKE:
	case EMBER_TX_UNSTAKE:
		ember_put_u64(w, tx->u.amount.amount);
		break;
	case EMBER_TX_TOPUP:
		ember_put_u64(w, tx->u.amount.lease_id);
		ember_put_u64(w, tx->u.amount.amount);
		break;
	case EMBER_TX_PROV_REGISTER:
	case EMBER_TX_PROV_UPDATE:
		tx_put_u16(w, p->gpu_class);
		ember_put_u32(w, p->gpus);
		ember_put_u32(w, p->vram_gib);
		ember_put_u64(w, p->price_per_gpu_hour);
		tx_str_put(w, p->region, p->region_len);
		tx_str_put(w, p->endpoint, p->endpoint_len);
		break;
	case EMBER_TX_PROV_RETIRE:
	case EMBER_TX_CLAIM:
		break;
	case EMBER_TX_ORDER:
		tx_put_u16(w, o->gpu_class);
		ember_put_u32(w, o->gpus);
		ember_put_u64(w, o->max_price_per_gpu_hour);
		ember_put_u64(w, o->duration_blocks);
		ember_put_u64(w, o->deposit);
		break;
	case EMBER_TX_BID:
		ember_put_u64(w, tx->u.bid.order_id);
		ember_put_u64(w, tx->u.bid.price_per_gpu_hour);
		break;
	case EMBER_TX_ACCEPT:
		ember_put_u64(w, tx->u.accept.order_id);
		ember_put_bytes(w, tx->u.accept.provider, 32);
		break;
	case EMBER_TX_CLOSE:
		ember_put_u64(w, tx->u.ref.id);
		break;
	case EMBER_TX_PRICE:
		ember_put_u64(w, tx->u.price.price_uusd);
		break;
	case EMBER_TX_MAINTENANCE:
		ember_put_u64(w, tx->u.maint.epoch);
		break;
	case EMBER_TX_EVIDENCE:
		ember_put_bytes(w, e->validator, 32);
		ember_put_u8(w, e->vote_type);
		ember_put_u64(w, e->height);
		ember_put_u32(w, e->round);
		ember_put_bytes(w, e->hash_a, 32);
		ember_put_u64(w, e->time_a);
		ember_put_bytes(w, e->sig_a, 64);
		ember_put_bytes(w, e->hash_b, 32);
		ember_put_u64(w, e->time_b);
		ember_put_bytes(w, e->sig_b, 64);
		break;
	case EMBER_TX_PROOF:
		ember_put_u64(w, tx->u.proof.epoch);
		ember_put_varint(w, tx->u.proof.body_len);
		if (with_body)
			ember_put_bytes(w, tx->u.proof.body, tx->u.proof.body_len);
		break;
	}
}

/* Everything but the signature: the signed body (see tx_put_payload for
 * with_body). */
static void tx_put_body(struct ember_wbuf *w, const struct ember_tx *tx,
                        int with_body)
{
	ember_put_u8(w, tx->version);
	ember_put_u8(w, tx->kind);
	tx_str_put(w, tx->chain_id, tx->chain_id_len);
	ember_put_bytes(w, tx->from, 32);
	ember_put_u64(w, tx->nonce);
	ember_put_u64(w, tx->fee);
	tx_put_payload(w, tx, with_body);
}

size_t ember_tx_encoded_size(const struct ember_tx *tx)
{
	struct ember_wbuf w;
	if (!tx || !tx_encodable(tx))
		return 0;
	ember_wbuf_init(&w, NULL, 0);
	tx_put_body(&w, tx, 1);
	return w.len + EMBER_SIG_LEN;
}

int ember_tx_encode(const struct ember_tx *tx, uint8_t *out, size_t cap,
                    size_t *outlen)
{
	struct ember_wbuf w;
	if (!tx || !out || !outlen || !tx_encodable(tx))
		return EMBER_EINVAL;
	ember_wbuf_init(&w, out, cap);
	tx_put_body(&w, tx, 1);
	ember_put_bytes(&w, tx->sig, EMBER_SIG_LEN);
	if (w.err)
		return w.err;
	*outlen = w.len;
	return 0;
}

/* tx->u must be zeroed: the string copies rely on it for their NUL. */
static int tx_get_payload(struct ember_rbuf *r, struct ember_tx *tx)
{
	struct ember_tx_provider *p = &tx->u.provider;
	struct ember_tx_order *o = &tx->u.order;
	struct ember_tx_evidence *e = &tx->u.evidence;
	int rc;

	switch (tx->kind) {
	case EMBER_TX_TRANSFER:
		if ((rc = ember_get_bytes(r, tx->u.transfer.to, 32)) ||
		    (rc = ember_get_u64(r, &tx->u.transfer.amount)))
			return rc;
		return 0;
	case EMBER_TX_STAKE:
	case EMBER_TX_UNSTAKE:
		return ember_get_u64(r, &tx->u.amount.amount);
	case EMBER_TX_TOPUP:
		if ((rc = ember_get_u64(r, &tx->u.amount.lease_id)) ||
		    (rc = ember_get_u64(r, &tx->u.amount.amount)))
			return rc;
		return 0;
	case EMBER_TX_PROV_REGISTER:
	case EMBER_TX_PROV_UPDATE:
		if ((rc = tx_get_u16(r, &p->gpu_class)) ||
		    (rc = ember_get_u32(r, &p->gpus)) ||
		    (rc = ember_get_u32(r, &p->vram_gib)) ||
		    (rc = ember_get_u64(r, &p->price_per_gpu_hour)) ||
		    (rc = tx_str_get(r, p->region, &p->region_len,
		                     EMBER_REGION_MAX, ember_region_valid)) ||
		    (rc = tx_str_get(r, p->endpoint, &p->endpoint_len,
		                     EMBER_ENDPOINT_MAX, ember_endpoint_valid)))
			return rc;
		return 0;
	case EMBER_TX_PROV_RETIRE:
	case EMBER_TX_CLAIM:
		return 0;
	case EMBER_TX_ORDER:
		if ((rc = tx_get_u16(r, &o->gpu_class)) ||
		    (rc = ember_get_u32(r, &o->gpus)) ||
		    (rc = ember_get_u64(r, &o->max_price_per_gpu_hour)) ||
		    (rc = ember_get_u64(r, &o->duration_blocks)) ||
		    (rc = ember_get_u64(r, &o->deposit)))
			return rc;
		return 0;
	case EMBER_TX_BID:
		if ((rc = ember_get_u64(r, &tx->u.bid.order_id)) ||
		    (rc = ember_get_u64(r, &tx->u.bid.price_per_gpu_hour)))
			return rc;
		return 0;
	case EMBER_TX_ACCEPT:
		if ((rc = ember_get_u64(r, &tx->u.accept.order_id)) ||
		    (rc = ember_get_bytes(r, tx->u.accept.provider, 32)))
			return rc;
		return 0;
	case EMBER_TX_CLOSE:
		return ember_get_u64(r, &tx->u.ref.id);
	case EMBER_TX_PRICE:
		return ember_get_u64(r, &tx->u.price.price_uusd);
	case EMBER_TX_MAINTENANCE:
		return ember_get_u64(r, &tx->u.maint.epoch);
	case EMBER_TX_EVIDENCE:
		if ((rc = ember_get_bytes(r, e->validator, 32)) ||
		    (rc = ember_get_u8(r, &e->vote_type)) ||
		    (rc = ember_get_u64(r, &e->height)) ||
		    (rc = ember_get_u32(r, &e->round)) ||
		    (rc = ember_get_bytes(r, e->hash_a, 32)) ||
		    (rc = ember_get_u64(r, &e->time_a)) ||
		    (rc = ember_get_bytes(r, e->sig_a, 64)) ||
		    (rc = ember_get_bytes(r, e->hash_b, 32)) ||
		    (rc = ember_get_u64(r, &e->time_b)) ||
		    (rc = ember_get_bytes(r, e->sig_b, 64)))
			return rc;
		return 0;
	case EMBER_TX_PROOF: {
		uint64_t n;
		if ((rc = ember_get_u64(r, &tx->u.proof.epoch)) ||
		    (rc = ember_get_varint(r, &n)))
			return rc;
		/* Length before bytes, as for strings: a huge length is
		 * oversize, not truncated.  The body is a view into the
		 * input (tx.h), not a copy. */
		if (n == 0 || n > EMBER_PROOF_BODY_MAX)
			return EMBER_ENC_OVERSIZE;
		tx->u.proof.body_len = (uint32_t)n;
		return ember_get_view(r, &tx->u.proof.body, (size_t)n);
	}
	default:
		return EMBER_ENC_KIND;
	}
}

int ember_tx_decode(struct ember_tx *tx, const uint8_t *in, size_t len)
{
	struct ember_rbuf r;
	int rc;

	if (!tx || (!in && len))
		return EMBER_EINVAL;
	/* Only a proof may exceed EMBER_TX_MAX_SIZE, so the kind byte is
	 * read before the size is judged; a wrong version or kind at that
	 * size is still oversize first. */
	if (len > EMBER_TX_MAX_SIZE &&
	    (len > EMBER_TX_PROOF_MAX_SIZE || in[0] != EMBER_TX_VERSION ||
	     in[1] != EMBER_TX_PROOF))
		return EMBER_ENC_OVERSIZE;
	memset(tx, 0, sizeof(*tx));
	ember_rbuf_init(&r, in, len);

	if ((rc = ember_get_u8(&r, &tx->version)))
		return rc;
	if (tx->version != EMBER_TX_VERSION)
		return EMBER_ENC_VERSION;
	if ((rc = ember_get_u8(&r, &tx->kind)))
		return rc;
	if (!tx_kind_known(tx->kind))
		return EMBER_ENC_KIND;
	if ((rc = tx_str_get(&r, tx->chain_id, &tx->chain_id_len,
	                     EMBER_CHAIN_ID_MAX, ember_chain_id_valid)) ||
	    (rc = ember_get_bytes(&r, tx->from, 32)) ||
	    (rc = ember_get_u64(&r, &tx->nonce)) ||
	    (rc = ember_get_u64(&r, &tx->fee)) ||
	    (rc = tx_get_payload(&r, tx)) ||
	    (rc = ember_get_bytes(&r, tx->sig, EMBER_SIG_LEN)))
		return rc;
	return ember_rbuf_done(&r);
}

void ember_tx_rebind(struct ember_tx *tx, const uint8_t *enc, size_t len)
{
	size_t need;
	if (!tx || tx->kind != EMBER_TX_PROOF)
		return;
	/* The body ends where the signature begins, so its offset follows
	 * from the length alone.  An encoding too short to hold it cannot be
	 * the one the tx came from: leave no dangling view behind (a NULL
	 * body fails every later encode, hash and check). */
	need = (size_t)tx->u.proof.body_len + EMBER_SIG_LEN;
	if (!enc || len < need) {
		tx->u.proof.body = NULL;
		return;
	}
	tx->u.proof.body = enc + (len - need);
}

/*
 * Tagged hash built incrementally (the construction of ember_tagged_hash):
 * everything but a proof's body goes through a buffer that every other
 * kind fits in whole, and the body is hashed in place from its view.
 */
int ember_tx_sighash(const struct ember_tx *tx, uint8_t out[32])
{
	uint8_t head[EMBER_TX_MAX_SIZE], tag[32];
	struct ember_sha256_ctx c;
	struct ember_wbuf w;
	if (!tx || !out || !tx_encodable(tx))
		return EMBER_EINVAL;
	ember_wbuf_init(&w, head, sizeof(head));
	tx_put_body(&w, tx, 0);
	if (w.err)
		return EMBER_EINVAL;
	ember_sha256(EMBER_TX_SIGHASH_TAG, strlen(EMBER_TX_SIGHASH_TAG), tag);
	ember_sha256_init(&c);
	ember_sha256_update(&c, tag, sizeof(tag));
	ember_sha256_update(&c, tag, sizeof(tag));
	ember_sha256_update(&c, head, w.len);
	if (tx->kind == EMBER_TX_PROOF)
		ember_sha256_update(&c, tx->u.proof.body, tx->u.proof.body_len);
	ember_sha256_final(&c, out);
	return 0;
}

void ember_txid(const uint8_t *enc, size_t len, uint8_t out[32])
{
	ember_sha256(enc, len, out);
}

int ember_tx_sign(struct ember_tx *tx, const struct ember_keypair *kp)
{
	uint8_t h[32], sig[EMBER_SIG_LEN];
	int rc;
	if (!tx || !kp || memcmp(kp->pub, tx->from, 32) != 0)
		return EMBER_EINVAL;
	if ((rc = ember_tx_sighash(tx, h)))
		return rc;
	/* Sign into a temporary so a failure leaves the old signature. */
	if ((rc = ember_schnorr_sign(kp, h, sizeof(h), NULL, sig)))
		return rc;
	memcpy(tx->sig, sig, EMBER_SIG_LEN);
	return 0;
}

int ember_tx_verify(const struct ember_tx *tx)
{
	uint8_t h[32];
	if (!tx || ember_tx_sighash(tx, h) != 0)
		return 0;
	return ember_schnorr_verify(tx->from, h, sizeof(h), tx->sig);
}

/*
 * The tokens a tx takes out of the sender's balance besides the fee.
 * Unstake is 0: it moves bonded stake, which the fee cannot touch.
 * Returns: 1, or 0 for an unknown kind.
 */
static int tx_locked(const struct ember_tx *tx, uint64_t *out)
{
	switch (tx->kind) {
	case EMBER_TX_TRANSFER:
		*out = tx->u.transfer.amount;
		return 1;
	case EMBER_TX_STAKE:
	case EMBER_TX_TOPUP:
		*out = tx->u.amount.amount;
		return 1;
	case EMBER_TX_ORDER:
		*out = tx->u.order.deposit;
		return 1;
	default:
		*out = 0;
		return tx_kind_known(tx->kind);
	}
}

static int tx_in_range(uint64_t v, uint64_t max)
{
	return v >= 1 && v <= max;
}

/* The rules on the payload's values, per kind; see ember_tx_check(). */
static int tx_check_payload(const struct ember_tx *tx)
{
	const struct ember_tx_provider *p = &tx->u.provider;
	const struct ember_tx_order *o = &tx->u.order;
	const struct ember_tx_evidence *e = &tx->u.evidence;
	int rc;

	switch (tx->kind) {
	case EMBER_TX_TRANSFER:
		return tx->u.transfer.amount ? 0 : EMBER_TX_ZERO_AMOUNT;
	case EMBER_TX_STAKE:
	case EMBER_TX_UNSTAKE:
		return tx->u.amount.amount ? 0 : EMBER_TX_ZERO_AMOUNT;
	case EMBER_TX_TOPUP:
		/* Ids are handed out from 1, so 0 can only be a mistake. */
		if (tx->u.amount.lease_id == 0)
			return EMBER_ERANGE;
		return tx->u.amount.amount ? 0 : EMBER_TX_ZERO_AMOUNT;
	case EMBER_TX_PROV_REGISTER:
	case EMBER_TX_PROV_UPDATE:
		/* A struct built in memory never went through the decoder;
		 * hold it to the same string rules before it reaches state. */
		if ((rc = tx_provider_strings_rc(p)))
			return rc;
		if (p->gpu_class == 0 || p->vram_gib == 0 ||
		    !tx_in_range(p->gpus, EMBER_GPUS_MAX) ||
		    !tx_in_range(p->price_per_gpu_hour, EMBER_PRICE_MAX))
			return EMBER_ERANGE;
		return 0;
	case EMBER_TX_ORDER:
		if (o->deposit == 0)
			return EMBER_TX_ZERO_AMOUNT;
		if (o->gpu_class == 0 ||
		    !tx_in_range(o->gpus, EMBER_GPUS_MAX) ||
		    !tx_in_range(o->max_price_per_gpu_hour, EMBER_PRICE_MAX) ||
		    !tx_in_range(o->duration_blocks, EMBER_DURATION_MAX))
			return EMBER_ERANGE;
		return 0;
	case EMBER_TX_BID:
		if (tx->u.bid.order_id == 0 ||
		    !tx_in_range(tx->u.bid.price_per_gpu_hour, EMBER_PRICE_MAX))
			return EMBER_ERANGE;
		return 0;
	case EMBER_TX_ACCEPT:
		return tx->u.accept.order_id ? 0 : EMBER_ERANGE;
	case EMBER_TX_CLOSE:
		return tx->u.ref.id ? 0 : EMBER_ERANGE;
	case EMBER_TX_PRICE:
		return tx_in_range(tx->u.price.price_uusd, EMBER_PRICE_MAX) ?
		       0 : EMBER_ERANGE;
	case EMBER_TX_EVIDENCE:
		/* Equal hashes are one vote signed twice, not a double sign;
		 * the signatures themselves are checked against state. */
		if (e->vote_type != EMBER_VOTE_PREVOTE &&
		    e->vote_type != EMBER_VOTE_PRECOMMIT)
			return EMBER_TOK_EVIDENCE;
		if (memcmp(e->hash_a, e->hash_b, 32) == 0)
			return EMBER_TOK_EVIDENCE;
		return 0;
	case EMBER_TX_PROOF:
		/* Whether the body proves anything is the verifier's, at
		 * apply time against the challenge; here only its size. */
		return tx_proof_body_ok(&tx->u.proof) ? 0 : EMBER_ERANGE;
	case EMBER_TX_PROV_RETIRE:
	case EMBER_TX_CLAIM:
	case EMBER_TX_MAINTENANCE:
		/* Whether there is anything to retire or claim, and whether
		 * the epoch is in the future, depends on state. */
		return 0;
	default:
		return EMBER_ENC_KIND;
	}
}

int ember_tx_check(const struct ember_tx *tx, const char *chain_id,
                   uint64_t min_fee)
{
	uint64_t locked, sum;
	int rc;
	if (!tx || !chain_id)
		return EMBER_EINVAL;
	/* chain_id_len, not the NUL copy, is what was encoded and signed. */
	if (strnlen(chain_id, EMBER_CHAIN_ID_MAX + 1) != tx->chain_id_len ||
	    memcmp(tx->chain_id, chain_id, tx->chain_id_len) != 0)
		return EMBER_TX_WRONG_CHAIN;
	if (tx->fee < min_fee)
		return EMBER_TX_FEE_LOW;
	if ((rc = tx_check_payload(tx)))
		return rc;
	if (!tx_locked(tx, &locked))
		return EMBER_ENC_KIND;
	if (!ember_add_u64(tx->fee, locked, &sum))
		return EMBER_TX_OVERFLOW;
	return 0;
}

/*
 * 0 doubles as "cannot say" for an unknown kind, like overflow: a caller
 * that skipped ember_tx_check() must not read it as a free tx, and
 * ember_tx_check() rejects both cases first.
 */
uint64_t ember_tx_cost(const struct ember_tx *tx)
{
	uint64_t locked, sum;
	if (!tx || !tx_locked(tx, &locked))
		return 0;
	if (!ember_add_u64(tx->fee, locked, &sum))
		return 0;
	return sum;
}
