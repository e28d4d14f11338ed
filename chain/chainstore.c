/*
 * chainstore.c - chain.h: blocks, certificates, indexes and the tip on top
 * of store.h.  Heights are big-endian keys so LMDB iterates blocks in order.
 */
#include "ember/chain.h"

#include <string.h>

#include "ember/codec.h"

#define CHAIN_TIP_LEN (8 + 32 + 32 + 8)
#define CHAIN_TXLOC_LEN (8 + 4)

static const char chain_key_tip[] = "tip";
static const char chain_key_genesis[] = "genesis";
static const char chain_key_chain_id[] = "chain_id";

/* Meta keys are the strings without their NUL. */
#define META_KEY(k) (k), (sizeof(k) - 1)

int ember_chain_get_tip(struct ember_txn *t, struct ember_tip *out)
{
	const void *pv;
	const uint8_t *v;
	size_t vlen;
	int rc;

	if (!t || !out)
		return EMBER_EINVAL;
	rc = ember_store_get(t, EMBER_DB_META, META_KEY(chain_key_tip),
	                     &pv, &vlen);
	if (rc != 0)
		return rc;
	v = pv;
	if (vlen != CHAIN_TIP_LEN)
		return EMBER_STORE_CORRUPT;
	out->height = ember_le64_get(v);
	memcpy(out->hash, v + 8, 32);
	memcpy(out->state_root, v + 40, 32);
	out->time_ms = ember_le64_get(v + 72);
	return 0;
}

int ember_chain_put_block(struct ember_txn *t, const struct ember_header *h,
                          const uint8_t hash[32], const uint8_t *enc,
                          size_t len, const uint8_t (*txids)[32], size_t ntx,
                          const uint8_t *cert, size_t certlen)
{
	uint8_t hkey[8], loc[CHAIN_TXLOC_LEN], tip[CHAIN_TIP_LEN];
	int rc;

	if (!t || !h || !hash || !enc || (ntx && !txids) || ntx > UINT32_MAX ||
	    (certlen && !cert))
		return EMBER_EINVAL;
	ember_be64_put(hkey, h->height);

	/* A stored height is never overwritten: a second writer on the same
	 * ledger, or a bug, gets EMBER_STORE_EXISTS instead of replacing a
	 * committed block.  Heights only grow, so blocks and certificates are
	 * appends (above every stored key), which the store's sorted flush
	 * writes onto sequential pages. */
	if ((rc = ember_store_append(t, EMBER_DB_BLOCKS, hkey, 8, enc, len)) != 0)
		return rc;
	if (certlen &&
	    (rc = ember_store_append(t, EMBER_DB_CERTS, hkey, 8, cert, certlen)) != 0)
		return rc;
	if ((rc = ember_store_put_new(t, EMBER_DB_BLOCK_INDEX, hash, 32, hkey, 8)) != 0)
		return rc;
	memcpy(loc, hkey, 8);
	for (size_t i = 0; i < ntx; i++) {
		ember_le32_put(loc + 8, (uint32_t)i);
		rc = ember_store_put(t, EMBER_DB_TX_INDEX, txids[i], 32, loc,
		                     sizeof(loc));
		if (rc != 0)
			return rc;
	}
	ember_le64_put(tip, h->height);
	memcpy(tip + 8, hash, 32);
	memcpy(tip + 40, h->state_root, 32);
	ember_le64_put(tip + 72, h->time_ms);
	return ember_store_put(t, EMBER_DB_META, META_KEY(chain_key_tip), tip,
	                       sizeof(tip));
}

/* Shared lookup of a be64-height-keyed database. */
static int chain_get_by_height(struct ember_txn *t, enum ember_db db,
                               uint64_t height, const uint8_t **enc,
                               size_t *len)
{
	uint8_t hkey[8];
	const void *pv;
	int rc;

	if (!t || !enc || !len)
		return EMBER_EINVAL;
	ember_be64_put(hkey, height);
	if ((rc = ember_store_get(t, db, hkey, 8, &pv, len)) == 0)
		*enc = pv;
	return rc;
}

int ember_chain_get_block(struct ember_txn *t, uint64_t height,
                          const uint8_t **enc, size_t *len)
{
	return chain_get_by_height(t, EMBER_DB_BLOCKS, height, enc, len);
}

int ember_chain_get_cert(struct ember_txn *t, uint64_t height,
                         const uint8_t **enc, size_t *len)
{
	return chain_get_by_height(t, EMBER_DB_CERTS, height, enc, len);
}

int ember_chain_get_height(struct ember_txn *t, const uint8_t hash[32],
                           uint64_t *height)
{
	const void *pv;
	const uint8_t *v;
	size_t vlen;
	int rc;

	if (!t || !hash || !height)
		return EMBER_EINVAL;
	rc = ember_store_get(t, EMBER_DB_BLOCK_INDEX, hash, 32,
	                     &pv, &vlen);
	if (rc != 0)
		return rc;
	v = pv;
	if (vlen != 8)
		return EMBER_STORE_CORRUPT;
	*height = ember_be64_get(v);
	return 0;
}

int ember_chain_get_txloc(struct ember_txn *t, const uint8_t txid[32],
                          uint64_t *height, uint32_t *index)
{
	const void *pv;
	const uint8_t *v;
	size_t vlen;
	int rc;

	if (!t || !txid || !height || !index)
		return EMBER_EINVAL;
	rc = ember_store_get(t, EMBER_DB_TX_INDEX, txid, 32, &pv, &vlen);
	if (rc != 0)
		return rc;
	v = pv;
	if (vlen != CHAIN_TXLOC_LEN)
		return EMBER_STORE_CORRUPT;
	*height = ember_be64_get(v);
	*index = ember_le32_get(v + 8);
	return 0;
}

int ember_chain_get_genesis(struct ember_txn *t, uint8_t hash[32])
{
	const void *v;
	size_t vlen;
	int rc;

	if (!t || !hash)
		return EMBER_EINVAL;
	rc = ember_store_get(t, EMBER_DB_META, META_KEY(chain_key_genesis), &v,
	                     &vlen);
	if (rc != 0)
		return rc;
	if (vlen != 32)
		return EMBER_STORE_CORRUPT;
	memcpy(hash, v, 32);
	return 0;
}

int ember_chain_put_genesis(struct ember_txn *t, const uint8_t hash[32],
                            const char *chain_id)
{
	int rc;

	if (!t || !hash || !chain_id || !*chain_id)
		return EMBER_EINVAL;
	rc = ember_store_put(t, EMBER_DB_META, META_KEY(chain_key_genesis), hash,
	                     32);
	if (rc != 0)
		return rc;
	return ember_store_put(t, EMBER_DB_META, META_KEY(chain_key_chain_id),
	                       chain_id, strlen(chain_id));
}
