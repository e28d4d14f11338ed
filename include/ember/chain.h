/*
 * chain.h - the stored chain: blocks, certificates, indexes and the tip,
 * on top of store.h.  Formats only; executing blocks is consensus/ and
 * tokenomics/ work.
 *
 * Meta keys (EMBER_DB_META):
 *   "tip"      le64 height || 32 hash || 32 state_root || le64 time_ms
 *   "genesis"  32-byte genesis document hash
 *   "chain_id" the chain id string
 *   "history"  le64 height of the last block in the account history index
 *              (history.h)
 */
#ifndef EMBER_CHAIN_H
#define EMBER_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "store.h"
#include "block.h"

struct ember_tip {
	uint64_t height;
	uint8_t hash[32];
	uint8_t state_root[32];
	uint64_t time_ms;
};

/* Returns: 0, EMBER_ENOTFOUND (empty store), EMBER_STORE_CORRUPT, LMDB codes. */
EMBER_WUR int ember_chain_get_tip(struct ember_txn *t, struct ember_tip *out);

/*
 * Store a committed block in write txn t: the block bytes, its certificate
 * (may be NULL/0 for genesis), hash -> height, every txid -> (height, index),
 * and the new tip.  h must be the decoded header of enc.
 * Refuses a height at or below a stored one (heights are appended) and a
 * block hash already stored.
 * Returns: 0, EMBER_STORE_EXISTS, EMBER_STORE_MAP_FULL, EMBER_STORE_LMDB,
 * EMBER_STORE_DISK_FULL.
 */
EMBER_WUR int ember_chain_put_block(struct ember_txn *t,
                                    const struct ember_header *h,
                                    const uint8_t hash[32], const uint8_t *enc,
                                    size_t len, const uint8_t (*txids)[32],
                                    size_t ntx, const uint8_t *cert,
                                    size_t certlen);

/* Block bytes at height (valid until t ends). Returns: 0, EMBER_ENOTFOUND. */
EMBER_WUR int ember_chain_get_block(struct ember_txn *t, uint64_t height,
                                    const uint8_t **enc, size_t *len);
EMBER_WUR int ember_chain_get_cert(struct ember_txn *t, uint64_t height,
                                   const uint8_t **enc, size_t *len);
EMBER_WUR int ember_chain_get_height(struct ember_txn *t, const uint8_t hash[32],
                                     uint64_t *height);
EMBER_WUR int ember_chain_get_txloc(struct ember_txn *t, const uint8_t txid[32],
                                    uint64_t *height, uint32_t *index);

/* Genesis hash and chain id recorded at init.  Returns 0 / EMBER_ENOTFOUND. */
EMBER_WUR int ember_chain_get_genesis(struct ember_txn *t, uint8_t hash[32]);
EMBER_WUR int ember_chain_put_genesis(struct ember_txn *t, const uint8_t hash[32],
                                      const char *chain_id);

#endif
