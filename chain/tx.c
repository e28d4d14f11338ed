/*
 * tx.c - transaction encoding, ids, signing and stateless checks (see tx.h).
 *
 * The encoder refuses any struct the decoder would reject, so every byte
 * string this node emits decodes back to the same struct, and the decoder
 * accepts exactly one byte string per tx; together they make the txid a
 * function of the tx's meaning.
 */
#include "ember/tx.h"

#include <string.h>

#include "ember/codec.h"
#include "ember/hash.h"

int ember_chain_id_valid(const char *s, size_t len)
{
	if (!s || len == 0 || len > EMBER_CHAIN_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

int ember_tx_init_transfer(struct ember_tx *tx, const char *chain_id,
                           const uint8_t from[32], uint64_t nonce,
                           uint64_t fee, const uint8_t to[32],
                           uint64_t amount)
{
	if (!tx || !chain_id || !from || !to)
		return EMBER_EINVAL;
	/* strnlen bounds the scan: chain_id may be untrusted text. */
	size_t len = strnlen(chain_id, EMBER_CHAIN_ID_MAX + 1);
	if (len == 0 || len > EMBER_CHAIN_ID_MAX)
		return EMBER_ENC_OVERSIZE;
	if (!ember_chain_id_valid(chain_id, len))
		return EMBER_ENC_CHARSET;

	memset(tx, 0, sizeof(*tx));
	tx->version = EMBER_TX_VERSION;
	tx->kind = EMBER_TX_TRANSFER;
	tx->chain_id_len = (uint8_t)len;
	memcpy(tx->chain_id, chain_id, len);
	memcpy(tx->from, from, 32);
	tx->nonce = nonce;
	tx->fee = fee;
	memcpy(tx->u.transfer.to, to, 32);
	tx->u.transfer.amount = amount;
	return 0;
}

/* 1 if the struct has a form the decoder accepts (the signature aside). */
static int tx_encodable(const struct ember_tx *tx)
{
	return tx->version == EMBER_TX_VERSION &&
	       tx->kind == EMBER_TX_TRANSFER &&
	       ember_chain_id_valid(tx->chain_id, tx->chain_id_len);
}

/* Everything but the signature: the signed body. */
static void tx_put_body(struct ember_wbuf *w, const struct ember_tx *tx)
{
	ember_put_u8(w, tx->version);
	ember_put_u8(w, tx->kind);
	ember_put_varint(w, tx->chain_id_len);
	ember_put_bytes(w, tx->chain_id, tx->chain_id_len);
	ember_put_bytes(w, tx->from, 32);
	ember_put_u64(w, tx->nonce);
	ember_put_u64(w, tx->fee);
	switch (tx->kind) {
	case EMBER_TX_TRANSFER:
		ember_put_bytes(w, tx->u.transfer.to, 32);
		ember_put_u64(w, tx->u.transfer.amount);
		break;
	}
}

size_t ember_tx_encoded_size(const struct ember_tx *tx)
{
	struct ember_wbuf w;
	if (!tx || !tx_encodable(tx))
		return 0;
	ember_wbuf_init(&w, NULL, 0);
	tx_put_body(&w, tx);
	return w.len + EMBER_SIG_LEN;
}

int ember_tx_encode(const struct ember_tx *tx, uint8_t *out, size_t cap,
                    size_t *outlen)
{
	struct ember_wbuf w;
	if (!tx || !out || !outlen || !tx_encodable(tx))
		return EMBER_EINVAL;
	ember_wbuf_init(&w, out, cap);
	tx_put_body(&w, tx);
	ember_put_bytes(&w, tx->sig, EMBER_SIG_LEN);
	if (w.err)
		return w.err;
	*outlen = w.len;
	return 0;
}

int ember_tx_decode(struct ember_tx *tx, const uint8_t *in, size_t len)
{
	struct ember_rbuf r;
	uint64_t idlen;
	int rc;

	if (!tx || (!in && len))
		return EMBER_EINVAL;
	if (len > EMBER_TX_MAX_SIZE)
		return EMBER_ENC_OVERSIZE;
	memset(tx, 0, sizeof(*tx));
	ember_rbuf_init(&r, in, len);

	if ((rc = ember_get_u8(&r, &tx->version)))
		return rc;
	if (tx->version != EMBER_TX_VERSION)
		return EMBER_ENC_VERSION;
	if ((rc = ember_get_u8(&r, &tx->kind)))
		return rc;
	if (tx->kind != EMBER_TX_TRANSFER)
		return EMBER_ENC_KIND;
	if ((rc = ember_get_varint(&r, &idlen)))
		return rc;
	if (idlen == 0 || idlen > EMBER_CHAIN_ID_MAX)
		return EMBER_ENC_OVERSIZE;
	tx->chain_id_len = (uint8_t)idlen;
	if ((rc = ember_get_bytes(&r, tx->chain_id, tx->chain_id_len)))
		return rc;
	if (!ember_chain_id_valid(tx->chain_id, tx->chain_id_len))
		return EMBER_ENC_CHARSET;
	if ((rc = ember_get_bytes(&r, tx->from, 32)) ||
	    (rc = ember_get_u64(&r, &tx->nonce)) ||
	    (rc = ember_get_u64(&r, &tx->fee)) ||
	    (rc = ember_get_bytes(&r, tx->u.transfer.to, 32)) ||
	    (rc = ember_get_u64(&r, &tx->u.transfer.amount)) ||
	    (rc = ember_get_bytes(&r, tx->sig, EMBER_SIG_LEN)))
		return rc;
	return ember_rbuf_done(&r);
}

int ember_tx_sighash(const struct ember_tx *tx, uint8_t out[32])
{
	uint8_t body[EMBER_TX_MAX_SIZE];
	struct ember_wbuf w;
	if (!tx || !out || !tx_encodable(tx))
		return EMBER_EINVAL;
	ember_wbuf_init(&w, body, sizeof(body));
	tx_put_body(&w, tx);
	if (w.err)
		return EMBER_EINVAL;
	ember_tagged_hash(EMBER_TX_SIGHASH_TAG, body, w.len, out);
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

int ember_tx_check(const struct ember_tx *tx, const char *chain_id,
                   uint64_t min_fee)
{
	uint64_t sum;
	if (!tx || !chain_id)
		return EMBER_EINVAL;
	/* chain_id_len, not the NUL copy, is what was encoded and signed. */
	if (strnlen(chain_id, EMBER_CHAIN_ID_MAX + 1) != tx->chain_id_len ||
	    memcmp(tx->chain_id, chain_id, tx->chain_id_len) != 0)
		return EMBER_TX_WRONG_CHAIN;
	if (tx->fee < min_fee)
		return EMBER_TX_FEE_LOW;
	switch (tx->kind) {
	case EMBER_TX_TRANSFER:
		if (tx->u.transfer.amount == 0)
			return EMBER_TX_ZERO_AMOUNT;
		if (!ember_add_u64(tx->u.transfer.amount, tx->fee, &sum))
			return EMBER_TX_OVERFLOW;
		return 0;
	default:
		return EMBER_ENC_KIND;
	}
}

/*
 * 0 doubles as "cannot say" for an unknown kind, like overflow: a caller
 * that skipped ember_tx_check() must not read it as a free tx, and
 * ember_tx_check() rejects both cases first.
 */
uint64_t ember_tx_cost(const struct ember_tx *tx)
{
	uint64_t sum;
	if (!tx)
		return 0;
	switch (tx->kind) {
	case EMBER_TX_TRANSFER:
		if (!ember_add_u64(tx->u.transfer.amount, tx->fee, &sum))
			return 0;
		return sum;
	default:
		return 0;
	}
}
