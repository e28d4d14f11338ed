/*
 * block.c - header, block and commit certificate encoding; block, vote and
 * tx-root hashes (see block.h).
 *
 * As in tx.c, encoders refuse what decoders reject, and decoders accept one
 * byte string per value.  Limits are checked as soon as the field that
 * carries them is read, before any further input is trusted, so a hostile
 * count or length costs nothing.
 */
#include "ember/block.h"

#include <string.h>

#include "ember/codec.h"
#include "ember/hash.h"
#include "ember/tx.h"

static void header_put(struct ember_wbuf *w, const struct ember_header *h)
{
	ember_put_u8(w, h->version);
	ember_put_u64(w, h->height);
	ember_put_u64(w, h->time_ms);
	ember_put_bytes(w, h->prev_hash, 32);
	ember_put_bytes(w, h->last_commit_hash, 32);
	ember_put_bytes(w, h->tx_root, 32);
	ember_put_bytes(w, h->state_root, 32);
	ember_put_bytes(w, h->proposer, 32);
	ember_put_u32(w, h->tx_count);
}

/* Reads a header from r without demanding that r ends after it. */
static int header_get(struct ember_rbuf *r, struct ember_header *h)
{
	int rc;
	memset(h, 0, sizeof(*h));
	if ((rc = ember_get_u8(r, &h->version)))
		return rc;
	if (h->version != EMBER_BLOCK_VERSION)
		return EMBER_ENC_VERSION;
	if ((rc = ember_get_u64(r, &h->height)) ||
	    (rc = ember_get_u64(r, &h->time_ms)) ||
	    (rc = ember_get_bytes(r, h->prev_hash, 32)) ||
	    (rc = ember_get_bytes(r, h->last_commit_hash, 32)) ||
	    (rc = ember_get_bytes(r, h->tx_root, 32)) ||
	    (rc = ember_get_bytes(r, h->state_root, 32)) ||
	    (rc = ember_get_bytes(r, h->proposer, 32)) ||
	    (rc = ember_get_u32(r, &h->tx_count)))
		return rc;
	return 0;
}

int ember_header_encode(const struct ember_header *h,
                        uint8_t out[EMBER_HEADER_SIZE])
{
	struct ember_wbuf w;
	if (!h || !out || h->version != EMBER_BLOCK_VERSION)
		return EMBER_EINVAL;
	ember_wbuf_init(&w, out, EMBER_HEADER_SIZE);
	header_put(&w, h);
	return w.err;
}

int ember_header_decode(struct ember_header *h, const uint8_t *in, size_t len)
{
	struct ember_rbuf r;
	int rc;
	if (!h || (!in && len))
		return EMBER_EINVAL;
	ember_rbuf_init(&r, in, len);
	if ((rc = header_get(&r, h)))
		return rc;
	return ember_rbuf_done(&r);
}

/* Hashes the fields as they are, even a bad version: a hash cannot fail. */
void ember_header_hash(const struct ember_header *h, uint8_t out[32])
{
	uint8_t buf[EMBER_HEADER_SIZE];
	struct ember_wbuf w;
	ember_wbuf_init(&w, buf, sizeof(buf));
	header_put(&w, h);
	ember_sha256(buf, sizeof(buf), out);
}

void ember_last_commit_hash(const uint8_t *lc, size_t lclen, uint8_t out[32])
{
	if (!lclen) {
		memset(out, 0, 32);
		return;
	}
	ember_sha256(lc, lclen, out);
}

size_t ember_block_encoded_size(size_t lclen, const struct ember_txref *txs,
                                size_t ntx)
{
	size_t n = EMBER_HEADER_SIZE + ember_varint_size(lclen) + lclen +
	           ember_varint_size(ntx);
	for (size_t i = 0; i < ntx; i++)
		n += ember_varint_size(txs[i].len) + txs[i].len;
	return n;
}

int ember_block_encode(const struct ember_header *h, const uint8_t *lc,
                       size_t lclen, const struct ember_txref *txs, size_t ntx,
                       uint8_t *out, size_t cap, size_t *outlen)
{
	struct ember_wbuf w;
	uint8_t lh[32];

	if (!h || (!lc && lclen) || (!txs && ntx) || !out || !outlen ||
	    h->version != EMBER_BLOCK_VERSION || h->tx_count != ntx ||
	    lclen > EMBER_CERT_MAX_SIZE)
		return EMBER_EINVAL;
	ember_last_commit_hash(lc, lclen, lh);
	if (memcmp(lh, h->last_commit_hash, 32) != 0)
		return EMBER_EINVAL;
	if (ntx > EMBER_BLOCK_MAX_TXS)
		return EMBER_BLK_TOO_LARGE;
	for (size_t i = 0; i < ntx; i++)
		if (!txs[i].p || txs[i].len == 0 || txs[i].len > EMBER_TX_PROOF_MAX_SIZE)
			return EMBER_EINVAL;
	/* Bounded by MAX_TXS * (PROOF_MAX_SIZE + 3) above, so this cannot wrap
	 * a 64-bit size_t.  Only proof txs may be that long; ember_tx_decode
	 * holds every other kind to EMBER_TX_MAX_SIZE. */
	if (ember_block_encoded_size(lclen, txs, ntx) > EMBER_BLOCK_MAX_SIZE)
		return EMBER_BLK_TOO_LARGE;

	ember_wbuf_init(&w, out, cap);
	header_put(&w, h);
	ember_put_varint(&w, lclen);
	if (lclen)
		ember_put_bytes(&w, lc, lclen);
	ember_put_varint(&w, ntx);
	for (size_t i = 0; i < ntx; i++) {
		ember_put_varint(&w, txs[i].len);
		ember_put_bytes(&w, txs[i].p, txs[i].len);
	}
	if (w.err)
		return w.err;
	*outlen = w.len;
	return 0;
}

int ember_block_decode(struct ember_header *h, const uint8_t **lc,
                       size_t *lclen, struct ember_txref *txs, size_t maxtx,
                       size_t *ntx, const uint8_t *in, size_t len)
{
	struct ember_rbuf r;
	uint64_t n, txlen, lcn;
	const uint8_t *lcp = NULL;
	uint8_t lh[32];
	int rc;

	if (!h || (!txs && maxtx) || !ntx || (!in && len))
		return EMBER_EINVAL;
	if (len > EMBER_BLOCK_MAX_SIZE)
		return EMBER_BLK_TOO_LARGE;
	ember_rbuf_init(&r, in, len);
	if ((rc = header_get(&r, h)))
		return rc;
	if ((rc = ember_get_varint(&r, &lcn)))
		return rc;
	if (lcn > EMBER_CERT_MAX_SIZE)
		return EMBER_ENC_OVERSIZE;
	if (lcn && (rc = ember_get_view(&r, &lcp, (size_t)lcn)))
		return rc;
	/* The header commits to the last commit; other bytes there are not
	 * the block the header describes. */
	ember_last_commit_hash(lcp, (size_t)lcn, lh);
	if (memcmp(lh, h->last_commit_hash, 32) != 0)
		return EMBER_BLK_LAST_COMMIT;
	if ((rc = ember_get_varint(&r, &n)))
		return rc;
	if (n > EMBER_BLOCK_MAX_TXS || n > maxtx)
		return EMBER_BLK_TOO_LARGE;
	/* The header commits to the count; a body that disagrees is not the
	 * block the header describes. */
	if (n != h->tx_count)
		return EMBER_BLK_TX_ROOT;
	for (size_t i = 0; i < n; i++) {
		if ((rc = ember_get_varint(&r, &txlen)))
			return rc;
		if (txlen == 0 || txlen > EMBER_TX_PROOF_MAX_SIZE)
			return EMBER_ENC_OVERSIZE;
		txs[i].len = (size_t)txlen;
		if ((rc = ember_get_view(&r, &txs[i].p, txs[i].len)))
			return rc;
	}
	if ((rc = ember_rbuf_done(&r)))
		return rc;
	*ntx = (size_t)n;
	if (lc)
		*lc = lcp;
	if (lclen)
		*lclen = (size_t)lcn;
	return 0;
}

size_t ember_cert_encoded_size(const struct ember_cert *c)
{
	return 4 + ember_varint_size(c->nsig) + (size_t)c->nsig * EMBER_CERT_SIG_SIZE;
}

int ember_cert_encode(const struct ember_cert *c, uint8_t *out, size_t cap,
                      size_t *outlen)
{
	struct ember_wbuf w;
	if (!c || !out || !outlen || c->nsig > EMBER_CERT_MAX_SIGS)
		return EMBER_EINVAL;
	ember_wbuf_init(&w, out, cap);
	ember_put_u32(&w, c->round);
	ember_put_varint(&w, c->nsig);
	for (uint32_t i = 0; i < c->nsig; i++) {
		ember_put_bytes(&w, c->sigs[i].validator, 32);
		ember_put_u64(&w, c->sigs[i].time_ms);
		ember_put_bytes(&w, c->sigs[i].sig, EMBER_SIG_LEN);
	}
	if (w.err)
		return w.err;
	*outlen = w.len;
	return 0;
}

/*
 * Order and uniqueness of signers are not checked here: the certificate is
 * outside the block hash, and whether its signers are distinct validators
 * holding +2/3 is for consensus to judge against the validator set.
 */
int ember_cert_decode(struct ember_cert *c, const uint8_t *in, size_t len)
{
	struct ember_rbuf r;
	uint64_t n;
	int rc;
	if (!c || (!in && len))
		return EMBER_EINVAL;
	ember_rbuf_init(&r, in, len);
	if ((rc = ember_get_u32(&r, &c->round)) ||
	    (rc = ember_get_varint(&r, &n)))
		return rc;
	if (n > EMBER_CERT_MAX_SIGS)
		return EMBER_ENC_OVERSIZE;
	c->nsig = (uint32_t)n;
	for (uint32_t i = 0; i < c->nsig; i++)
		if ((rc = ember_get_bytes(&r, c->sigs[i].validator, 32)) ||
		    (rc = ember_get_u64(&r, &c->sigs[i].time_ms)) ||
		    (rc = ember_get_bytes(&r, c->sigs[i].sig, EMBER_SIG_LEN)))
			return rc;
	return ember_rbuf_done(&r);
}

/*
 * Tagged hash built incrementally (same construction as ember_tagged_hash)
 * so the chain id needs no bounded copy and the function cannot fail.
 */
void ember_vote_hash(const char *chain_id, uint8_t type, uint64_t height,
                     uint32_t round, const uint8_t block_hash[32],
                     uint64_t time_ms, uint8_t out[32])
{
	uint8_t tag[32], fixed[10 + 1 + 8 + 4];
	struct ember_sha256_ctx c;
	struct ember_wbuf w;
	size_t idlen = strlen(chain_id);

	ember_sha256(EMBER_VOTE_TAG, strlen(EMBER_VOTE_TAG), tag);
	ember_sha256_init(&c);
	ember_sha256_update(&c, tag, 32);
	ember_sha256_update(&c, tag, 32);
	ember_wbuf_init(&w, fixed, sizeof(fixed));
	ember_put_varint(&w, idlen);
	ember_sha256_update(&c, fixed, w.len);
	ember_sha256_update(&c, chain_id, idlen);
	ember_wbuf_init(&w, fixed, sizeof(fixed));
	ember_put_u8(&w, type);
	ember_put_u64(&w, height);
	ember_put_u32(&w, round);
	ember_sha256_update(&c, fixed, w.len);
	ember_sha256_update(&c, block_hash, 32);
	ember_wbuf_init(&w, fixed, sizeof(fixed));
	ember_put_u64(&w, time_ms);
	ember_sha256_update(&c, fixed, w.len);
	ember_sha256_final(&c, out);
}

void ember_tx_root(const uint8_t (*txids)[32], size_t n,
                   uint8_t (*scratch)[32], uint8_t out[32])
{
	for (size_t i = 0; i < n; i++)
		ember_merkle_leaf(txids[i], 32, scratch[i]);
	ember_merkle_root_inplace(scratch, n, out);
}
