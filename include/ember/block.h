/*
 * block.h - block header, block and commit certificate: canonical encoding
 * and hashes.
 *
 * Header wire form (little-endian):
 *   u8   version          EMBER_BLOCK_VERSION (2)
 *   u64  height           genesis block is 0
 *   u64  time_ms          BFT time, Unix ms: block 1 and the genesis block
 *                         take the genesis time (+ 1 for block 1); every
 *                         later block the stake-weighted median of the
 *                         precommit times in its last commit (consensus
 *                         checks it; no proposer's clock sets it)
 *   32   prev_hash        hash of the header at height-1 (genesis: the
 *                         genesis-document hash)
 *   32   last_commit_hash ember_last_commit_hash of the block's last commit
 *   32   tx_root          RFC 6962 root over the txids
 *   32   state_root       state commitment *after* this block (see state.h)
 *   32   proposer         validator x-only public key
 *   u32  tx_count
 *
 * Block hash = SHA-256(header encoding).
 *
 * Block wire form: header || varint lc_len || last commit (lc_len bytes)
 * || varint ntx || ntx x (varint len || tx bytes).
 *
 * The last commit of block H (CometBFT's LastCommit) is a commit
 * certificate of block H-1, empty in block 1 (and block 0).  Each node may
 * hold a different +2/3 of precommits as block H-1's own certificate; the
 * one block H carries is the canonical one, covered by H's hash, and
 * whatever depends on who voted (block time, later downtime) is computed
 * from it alone.
 *
 * Commit certificate (stored with the block, not covered by its hash; and
 * as the next block's last commit):
 *   u32  round || varint nsig || nsig x (32 validator || u64 time_ms ||
 *   64 sig)
 * each sig a BIP-340 signature over ember_vote_hash(PRECOMMIT, ...,
 * time_ms): the time the validator stamped on its precommit.
 *
 * Version 1 (before the last commit and signed precommit times) is no
 * longer read: decoding it is EMBER_ENC_VERSION.
 */
#ifndef EMBER_BLOCK_H
#define EMBER_BLOCK_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define EMBER_BLOCK_VERSION 2
#define EMBER_HEADER_SIZE (1 + 8 + 8 + 32 + 32 + 32 + 32 + 32 + 4)
#define EMBER_BLOCK_MAX_TXS 100000
#define EMBER_BLOCK_MAX_SIZE (32u * 1024 * 1024)
#define EMBER_CERT_MAX_SIGS 1024
#define EMBER_CERT_SIG_SIZE (32 + 8 + 64)
/* The largest certificate encoding: round, nsig varint, the sigs. */
#define EMBER_CERT_MAX_SIZE (4 + 10 + EMBER_CERT_MAX_SIGS * EMBER_CERT_SIG_SIZE)
#define EMBER_VOTE_TAG "ember/vote"

struct ember_header {
	uint8_t version;
	uint64_t height;
	uint64_t time_ms;
	uint8_t prev_hash[32];
	uint8_t last_commit_hash[32];
	uint8_t tx_root[32];
	uint8_t state_root[32];
	uint8_t proposer[32];
	uint32_t tx_count;
};

/* A decoded block.  txs points into the buffer that was decoded (views, not
 * copies): tx i is txs[i].p, txs[i].len bytes, valid as long as that buffer. */
struct ember_txref {
	const uint8_t *p;
	size_t len;
};

struct ember_cert_sig {
	uint8_t validator[32];
	uint64_t time_ms;            /* the precommit's signed time */
	uint8_t sig[64];
};

struct ember_cert {
	uint32_t round;
	uint32_t nsig;
	struct ember_cert_sig sigs[EMBER_CERT_MAX_SIGS];  /* nsig used */
};

enum ember_vote_type { EMBER_VOTE_PREVOTE = 1, EMBER_VOTE_PRECOMMIT = 2 };

EMBER_WUR int ember_header_encode(const struct ember_header *h,
                                  uint8_t out[EMBER_HEADER_SIZE]);
EMBER_WUR int ember_header_decode(struct ember_header *h, const uint8_t *in,
                                  size_t len);
void ember_header_hash(const struct ember_header *h, uint8_t out[32]);

/*
 * Encode header + last commit (lc, lclen bytes: a certificate encoding, or
 * nothing) + txs (each txs[i] an already-encoded tx) into out.
 * h->last_commit_hash must be ember_last_commit_hash(lc, lclen).
 * Returns: 0, EMBER_EINVAL, EMBER_ENC_BUFFER, EMBER_BLK_TOO_LARGE.
 */
EMBER_WUR int ember_block_encode(const struct ember_header *h,
                                 const uint8_t *lc, size_t lclen,
                                 const struct ember_txref *txs, size_t ntx,
                                 uint8_t *out, size_t cap, size_t *outlen);
/* Bytes ember_block_encode needs. */
size_t ember_block_encoded_size(size_t lclen, const struct ember_txref *txs,
                                size_t ntx);

/*
 * Strict decode.  txs must have room for maxtx entries (at most
 * EMBER_BLOCK_MAX_TXS are ever accepted).  Each tx's bytes are checked for
 * length bounds only (1..EMBER_TX_PROOF_MAX_SIZE, the largest kind); tx
 * decoding, with its per-kind limit, is the caller's.  header.tx_count must
 * equal the count, and header.last_commit_hash the hash of the last
 * commit's bytes (which are not decoded here: consensus checks them
 * against the validator set).  On success *ntx is set, txs[] point into
 * in, and *lc / *lclen (when not NULL) view the last commit's bytes.
 * Returns: 0, EMBER_ENC_*, EMBER_BLK_TOO_LARGE (len, or a count above
 * maxtx), EMBER_BLK_TX_ROOT (count differs from header.tx_count),
 * EMBER_BLK_LAST_COMMIT (the last commit does not hash to the header's).
 */
EMBER_WUR int ember_block_decode(struct ember_header *h, const uint8_t **lc,
                                 size_t *lclen, struct ember_txref *txs,
                                 size_t maxtx, size_t *ntx, const uint8_t *in,
                                 size_t len);

/* The header's last_commit_hash for a last commit of lclen bytes: all
 * zero when there is none (lclen 0), else SHA-256 of the bytes. */
void ember_last_commit_hash(const uint8_t *lc, size_t lclen, uint8_t out[32]);

/* Size of a certificate's encoding. */
size_t ember_cert_encoded_size(const struct ember_cert *c);
EMBER_WUR int ember_cert_encode(const struct ember_cert *c, uint8_t *out,
                                size_t cap, size_t *outlen);
EMBER_WUR int ember_cert_decode(struct ember_cert *c, const uint8_t *in,
                                size_t len);

/*
 * Hash a validator signs for a vote:
 *   tagged_hash("ember/vote", varint len chain_id || chain_id || u8 type ||
 *               u64 height || u32 round || 32 block_hash || u64 time_ms)
 * time_ms is the signer's clock on a precommit (the last commit's times
 * set the next block's time), 0 on a prevote.
 */
void ember_vote_hash(const char *chain_id, uint8_t type, uint64_t height,
                     uint32_t round, const uint8_t block_hash[32],
                     uint64_t time_ms, uint8_t out[32]);

/* RFC 6962 root over txids (leaf data = txid). scratch holds n*32 bytes. */
void ember_tx_root(const uint8_t (*txids)[32], size_t n,
                   uint8_t (*scratch)[32], uint8_t out[32]);

#endif
