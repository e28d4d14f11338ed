/*
 * p2pwire.h - the messages Ember nodes exchange inside the encrypted
 * channel (p2psec.h): one canonical binary form each, strict decoding, no
 * I/O.  Consensus messages (proposal, vote) join this table with the BFT
 * work; a type this version does not know is ignored, not fatal, so a
 * newer peer can talk to an older one.
 *
 * A message is  u8 type || body;  integers little-endian, byte strings
 * with a varint length (codec.h's minimal varints).  Bodies:
 *
 *   STATUS    le16 version || varint n || chain id (n bytes, [a-z0-9-]) ||
 *             32 genesis hash || le64 height || 32 tip hash ||
 *             le16 listen port (0: does not listen)
 *             first message on a connection, then again whenever the tip
 *             moves (so peers know how far this node is)
 *   GETBLOCKS le64 from || le32 count (1 .. P2P_GETBLOCKS_MAX)
 *   BLOCK     le64 height || varint n || block (n bytes) ||
 *             varint m || commit certificate (m bytes)
 *             one committed block, in answer to GETBLOCKS or pushed to
 *             peers as soon as it is committed
 *   TXS       varint k (1 .. P2P_TXS_MAX) || k x (varint n || tx bytes)
 *   PING      le64 nonce
 *   PONG      le64 nonce
 *   PROPOSAL  le64 height || le32 round || le32 (pol_round + 1) ||
 *             le32 proposer (validator index) || 32 block id ||
 *             64 signature || varint n || block (n bytes)
 *             a BFT proposal with the block it names (bft.h)
 *   VOTE      u8 vote type (1 prevote, 2 precommit) || u8 nil (0/1) ||
 *             le64 height || le32 round || 32 block id (zero for nil) ||
 *             le32 validator index || le64 time ms || 64 signature
 *
 * Decoded byte strings are views into the input (valid while it is).
 */
#ifndef EMBER_P2PWIRE_H
#define EMBER_P2PWIRE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "tx.h"
#include "bft.h"

enum p2p_msg_type {
	P2P_MSG_STATUS = 1,
	P2P_MSG_GETBLOCKS = 2,
	P2P_MSG_BLOCK = 3,
	P2P_MSG_TXS = 4,
	P2P_MSG_PING = 5,
	P2P_MSG_PONG = 6,
	P2P_MSG_PROPOSAL = 7,
	P2P_MSG_VOTE = 8,
	P2P_MSG_TYPE_COUNT          /* one past the last known type */
};

#define P2P_GETBLOCKS_MAX 128
#define P2P_TXS_MAX 1024

struct p2p_status {
	uint16_t version;
	char chain_id[EMBER_CHAIN_ID_MAX + 1];
	uint8_t genesis_hash[32];
	uint64_t height;
	uint8_t tip_hash[32];
	uint16_t listen_port;
};

struct p2p_getblocks {
	uint64_t from;
	uint32_t count;
};

struct p2p_block {
	uint64_t height;
	const uint8_t *blk;     /* view */
	size_t blklen;
	const uint8_t *cert;    /* view */
	size_t certlen;
};

struct p2p_txs {
	size_t n;
	const uint8_t *tx[P2P_TXS_MAX];   /* views */
	size_t len[P2P_TXS_MAX];
};

struct p2p_ping {
	uint64_t nonce;
};

/* Length limits of a type's whole message (type byte included), checked
 * before decoding; 0 for an unknown type. */
size_t p2p_msg_min_len(uint8_t type);
size_t p2p_msg_max_len(uint8_t type);
/* "status", "getblocks", ...; NULL for an unknown type. */
const char *p2p_msg_name(uint8_t type);

/*
 * Encoders: write the whole message (type byte first) into out (cap
 * bytes); *outlen gets its length.  Returns: 0, EMBER_ENC_BUFFER (cap too
 * small), EMBER_EINVAL (a field out of range).
 */
EMBER_WUR int p2p_status_encode(const struct p2p_status *m, uint8_t *out,
                                size_t cap, size_t *outlen);
EMBER_WUR int p2p_getblocks_encode(const struct p2p_getblocks *m, uint8_t *out,
                                   size_t cap, size_t *outlen);
EMBER_WUR int p2p_block_encode(const struct p2p_block *m, uint8_t *out,
                               size_t cap, size_t *outlen);
EMBER_WUR int p2p_txs_encode(const struct p2p_txs *m, uint8_t *out, size_t cap,
                             size_t *outlen);
EMBER_WUR int p2p_ping_encode(uint8_t type, const struct p2p_ping *m,
                              uint8_t *out, size_t cap, size_t *outlen);
/* Size p2p_block_encode / p2p_txs_encode will need. */
size_t p2p_block_encoded_size(const struct p2p_block *m);
size_t p2p_txs_encoded_size(const struct p2p_txs *m);

/*
 * Decoders: in is the whole message, type byte first (the type must be
 * the decoder's).  Strict: exact lengths, minimal varints, no trailing
 * bytes, fields in range (a chain id of [a-z0-9-], GETBLOCKS count
 * 1..P2P_GETBLOCKS_MAX, TXS k 1..P2P_TXS_MAX and each tx non-empty and at
 * most EMBER_TX_PROOF_MAX_SIZE bytes).
 * Returns: 0, EMBER_P2P_MSG, EMBER_EINVAL (misuse: NULL).
 */
EMBER_WUR int p2p_status_decode(struct p2p_status *m, const uint8_t *in,
                                size_t len);
EMBER_WUR int p2p_getblocks_decode(struct p2p_getblocks *m, const uint8_t *in,
                                   size_t len);
EMBER_WUR int p2p_block_decode(struct p2p_block *m, const uint8_t *in,
                               size_t len);
EMBER_WUR int p2p_txs_decode(struct p2p_txs *m, const uint8_t *in, size_t len);
EMBER_WUR int p2p_ping_decode(struct p2p_ping *m, const uint8_t *in,
                              size_t len);

/* PROPOSAL: the proposal and a view of its block's bytes. */
struct p2p_proposal {
	struct bft_proposal p;
	const uint8_t *blk;
	size_t blklen;
};
size_t p2p_proposal_encoded_size(const struct p2p_proposal *m);
EMBER_WUR int p2p_proposal_encode(const struct p2p_proposal *m, uint8_t *out,
                                  size_t cap, size_t *outlen);
EMBER_WUR int p2p_proposal_decode(struct p2p_proposal *m, const uint8_t *in,
                                  size_t len);
#define P2P_VOTE_LEN (1 + 1 + 1 + 8 + 4 + 32 + 4 + 8 + 64)
EMBER_WUR int p2p_vote_encode(const struct bft_vote *v, uint8_t out[P2P_VOTE_LEN]);
/* Refuses a type other than prevote/precommit, nil not 0/1, and a nil vote
 * with a nonzero block id (one vote, one encoding). */
EMBER_WUR int p2p_vote_decode(struct bft_vote *v, const uint8_t *in, size_t len);

#endif
