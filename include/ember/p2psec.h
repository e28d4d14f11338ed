/*
 * p2psec.h - the encrypted, authenticated channel between two Ember nodes:
 * the handshake and the frames after it.  Pure: bytes in, bytes out; no
 * sockets, no clock (the caller owns both, p2p/p2p_net.c).  The anchors are
 * CometBFT's SecretConnection and BIP324.
 *
 * Identity.  A node is its node key, a BIP-340 keypair (key.h) kept in
 * DIR/node_key; its id is the 32-byte x-only public key, shown as hex.
 *
 * Handshake (initiator I, responder R; both send at once, no round trip
 * is waited for before sending the first message):
 *
 *   1. each side sends HELLO0 = "EMB1" || le16 version (1) ||
 *      32 ephemeral X25519 public key          (38 bytes, clear)
 *   2. session keys: libsodium crypto_kx, I as client and R as server
 *      (BLAKE2b over the X25519 shared point and both ephemeral keys), so
 *      I's tx key is R's rx key and the other way round
 *      transcript th = SHA-256("ember/p2p/v1" || I's HELLO0 || R's HELLO0)
 *   3. each side sends, as its first sealed frame, AUTH = 32 node id ||
 *      64 BIP-340 signature over SHA-256("ember/p2p/auth" || th || role)
 *      with role 'I' or 'R'; the receiver checks it, and the initiator
 *      checks the id against the one it dialled when it pinned one
 *
 * A man in the middle cannot make both transcripts equal, so cannot
 * produce either signature; an ephemeral key per connection gives forward
 * secrecy.
 *
 * Frames (after the handshake, both ways):
 *
 *   le32 n || ciphertext of n bytes (n = message length + 16)
 *
 * The ciphertext is crypto_aead_chacha20poly1305_ietf over the message
 * with the 4 length bytes as associated data and a 96-bit nonce that is
 * the little-endian count of frames sent in that direction (0, 1, ...),
 * so a dropped, replayed or reordered frame fails to open.  n is checked
 * against P2P_FRAME_MAX before a byte of the body is buffered.
 *
 * A failed handshake step or a frame that does not open leaves the channel
 * dead (keys wiped, every later call refused): a connection never
 * recovers from one.  Misuse (NULL, out of order, a buffer too small) is
 * EMBER_EINVAL and changes nothing.
 *
 * Not thread-safe; one struct p2p_sec per connection.
 */
#ifndef EMBER_P2PSEC_H
#define EMBER_P2PSEC_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "block.h"
#include "key.h"

#define P2P_VERSION 2   /* 2: block format 2 (last commit, BFT time) */
#define P2P_HELLO0_LEN 38
#define P2P_AUTH_LEN 96
#define P2P_TAG_LEN 16
/* The largest message: one block at its limit, its certificate and a
 * little framing. */
#define P2P_MSG_MAX (EMBER_BLOCK_MAX_SIZE + 8 + 10 + EMBER_CERT_MAX_SIGS * 96 + 64)
#define P2P_FRAME_MAX (P2P_MSG_MAX + P2P_TAG_LEN)

struct p2p_sec;

/*
 * A channel for one connection.  key is this node's key (copied).
 * expect_id: the id the initiator dialled (NULL: any; the responder
 * passes NULL).  Returns: 0, EMBER_ENOMEM, EMBER_EINTERNAL (randomness).
 */
EMBER_WUR int p2p_sec_new(struct p2p_sec **out, int initiator,
                          const struct ember_keypair *key,
                          const uint8_t *expect_id);
void p2p_sec_free(struct p2p_sec *s);   /* wipes the keys */

/* This side's HELLO0 (P2P_HELLO0_LEN bytes), to send first. */
void p2p_sec_hello0(const struct p2p_sec *s, uint8_t out[P2P_HELLO0_LEN]);

/*
 * Feed the peer's HELLO0.  On success out gets this side's AUTH frame
 * (4 + P2P_AUTH_LEN + P2P_TAG_LEN bytes) to send.
 * Returns: 0, EMBER_P2P_HANDSHAKE (bad magic or version, or a weak key).
 */
#define P2P_AUTH_FRAME_LEN (4 + P2P_AUTH_LEN + P2P_TAG_LEN)
EMBER_WUR int p2p_sec_on_hello0(struct p2p_sec *s,
                                const uint8_t in[P2P_HELLO0_LEN],
                                uint8_t out[P2P_AUTH_FRAME_LEN]);

/*
 * Feed the peer's AUTH frame (P2P_AUTH_FRAME_LEN bytes).  On success the
 * channel is open and p2p_sec_peer_id() tells who is on the other end.
 * Returns: 0, EMBER_P2P_HANDSHAKE (does not open, bad signature),
 * EMBER_P2P_PEER_ID (not the id the initiator dialled).
 */
EMBER_WUR int p2p_sec_on_auth(struct p2p_sec *s,
                              const uint8_t in[P2P_AUTH_FRAME_LEN]);

/* 1 once p2p_sec_on_auth succeeded. */
int p2p_sec_open(const struct p2p_sec *s);
/* The authenticated peer id (valid once open). */
void p2p_sec_peer_id(const struct p2p_sec *s, uint8_t id[32]);

/*
 * Length of the frame body announced by a 4-byte header, or 0 if it is
 * over P2P_FRAME_MAX or under P2P_TAG_LEN (the connection must close).
 */
size_t p2p_sec_frame_len(const uint8_t hdr[4]);

/*
 * Seal msg (len <= P2P_MSG_MAX) into out: 4 + len + P2P_TAG_LEN bytes.
 * Returns: 0, EMBER_EINVAL (not open, too long, cap too small).
 */
EMBER_WUR int p2p_sec_seal(struct p2p_sec *s, const uint8_t *msg, size_t len,
                           uint8_t *out, size_t cap, size_t *outlen);

/*
 * Open one whole frame (header and body, flen = 4 + body) into msg (cap
 * >= body - P2P_TAG_LEN); *msglen gets its length.  msg may equal
 * frame + 4 (in place).
 * Returns: 0, EMBER_P2P_FRAME (does not authenticate: tampered, replayed,
 * out of order), EMBER_EINVAL.
 */
EMBER_WUR int p2p_sec_unseal(struct p2p_sec *s, const uint8_t *frame,
                             size_t flen, uint8_t *msg, size_t cap,
                             size_t *msglen);

#endif
