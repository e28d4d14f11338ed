/*
 * p2p_sec.c - the encrypted, authenticated channel (see p2psec.h).
 *
 * A channel moves one way through HELLO -> AUTH -> OPEN, or to DEAD on
 * the first thing that fails: a bad hello, a bad AUTH, or a frame that
 * does not open.  DEAD is sticky and its keys are wiped, so a caller that
 * forgets to close the connection still cannot read or write another
 * byte on it.  Calls out of order are misuse (EMBER_EINVAL) and leave the
 * channel as it was.
 *
 * Secrets are dropped as soon as they have done their job: the ephemeral
 * X25519 key and the copy of the node key go once this side's AUTH is
 * signed, leaving only the two session keys, which p2p_sec_free wipes.
 */
#include "ember/p2psec.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ember/codec.h"
#include "ember/hash.h"

_Static_assert(P2P_FRAME_MAX <= UINT32_MAX, "frame length is a le32");
_Static_assert(crypto_kx_PUBLICKEYBYTES == 32 && crypto_kx_SECRETKEYBYTES == 32 &&
               crypto_kx_SESSIONKEYBYTES ==
               crypto_aead_chacha20poly1305_ietf_KEYBYTES,
               "kx keys are the AEAD's keys");
_Static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == P2P_TAG_LEN,
               "tag length");
_Static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12, "96-bit nonce");

#define P2P_MAGIC "EMB1"
#define P2P_TH_TAG "ember/p2p/v1"
#define P2P_AUTH_TAG "ember/p2p/auth"

enum p2p_sec_state { SEC_HELLO, SEC_AUTH, SEC_OPEN, SEC_DEAD };

struct p2p_sec {
	enum p2p_sec_state state;
	int initiator;
	int pinned;                      /* expect_id was given */
	struct ember_keypair key;        /* wiped after signing AUTH */
	uint8_t eph_sk[32];              /* wiped after the key exchange */
	uint8_t hello[P2P_HELLO0_LEN];   /* ours; the public key is inside */
	uint8_t expect[32];
	uint8_t peer[32];
	uint8_t th[32];
	uint8_t rx[32], tx[32];
	uint64_t nrx, ntx;               /* frames opened / sealed so far */
};

static void sec_le32_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t sec_le32_get(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void sec_nonce(uint8_t n[12], uint64_t count)
{
	memset(n, 0, 12);
	ember_le64_put(n, count);
}

/* Wipes every secret; the channel can do nothing more but be freed. */
static int sec_kill(struct p2p_sec *s, int rc)
{
	ember_keypair_clear(&s->key);
	sodium_memzero(s->eph_sk, sizeof s->eph_sk);
	sodium_memzero(s->rx, sizeof s->rx);
	sodium_memzero(s->tx, sizeof s->tx);
	s->state = SEC_DEAD;
	return rc;
}

/* The digest a side with this role signs: binding the role stops a peer
 * from reflecting our own AUTH back at us. */
static void sec_auth_digest(const uint8_t th[32], uint8_t role, uint8_t out[32])
{
	struct ember_sha256_ctx c;

	ember_sha256_init(&c);
	ember_sha256_update(&c, P2P_AUTH_TAG, strlen(P2P_AUTH_TAG));
	ember_sha256_update(&c, th, 32);
	ember_sha256_update(&c, &role, 1);
	ember_sha256_final(&c, out);
}

/* Seals len bytes at msg into out (4 + len + tag) with the next tx nonce. */
static void sec_seal_raw(struct p2p_sec *s, const uint8_t *msg, size_t len,
                         uint8_t *out)
{
	static const uint8_t empty[1];
	uint8_t nonce[12];

	sec_le32_put(out, (uint32_t)(len + P2P_TAG_LEN));
	sec_nonce(nonce, s->ntx++);
	crypto_aead_chacha20poly1305_ietf_encrypt(out + 4, NULL, msg ? msg : empty,
	                                          len, out, 4, NULL, nonce, s->tx);
}

/* Opens frame (flen >= 4 bytes) into msg with the next rx nonce.
 * Returns: 0 or EMBER_P2P_FRAME, without touching state on failure. */
static int sec_open_raw(struct p2p_sec *s, const uint8_t *frame, size_t flen,
                        uint8_t *msg)
{
	uint8_t nonce[12];

	sec_nonce(nonce, s->nrx);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(msg, NULL, NULL, frame + 4,
	                                              flen - 4, frame, 4, nonce,
	                                              s->rx) != 0)
		return EMBER_P2P_FRAME;
	s->nrx++;
	return 0;
}

int p2p_sec_new(struct p2p_sec **out, int initiator,
                const struct ember_keypair *key, const uint8_t *expect_id)
{
	struct p2p_sec *s;

	if (out)
		*out = NULL;
	if (!out || !key)
		return EMBER_EINVAL;
	/* Idempotent; crypto_kx_keypair's randomness needs it. */
	if (sodium_init() < 0)
		return EMBER_EINTERNAL;
	if (!(s = calloc(1, sizeof *s)))
		return EMBER_ENOMEM;
	s->state = SEC_HELLO;
	s->initiator = !!initiator;
	s->key = *key;
	/* Pinning is honoured on either side, though only a dialler has an
	 * id to pin. */
	if (expect_id) {
		s->pinned = 1;
		memcpy(s->expect, expect_id, 32);
	}
	memcpy(s->hello, P2P_MAGIC, 4);
	ember_le16_put(s->hello + 4, P2P_VERSION);
	if (crypto_kx_keypair(s->hello + 6, s->eph_sk) != 0) {
		p2p_sec_free(s);
		return EMBER_EINTERNAL;
	}
	*out = s;
	return 0;
}

void p2p_sec_free(struct p2p_sec *s)
{
	if (!s)
		return;
	sodium_memzero(s, sizeof *s);
	free(s);
}

void p2p_sec_hello0(const struct p2p_sec *s, uint8_t out[P2P_HELLO0_LEN])
{
	memcpy(out, s->hello, P2P_HELLO0_LEN);
}

int p2p_sec_on_hello0(struct p2p_sec *s, const uint8_t in[P2P_HELLO0_LEN],
                      uint8_t out[P2P_AUTH_FRAME_LEN])
{
	struct ember_sha256_ctx c;
	uint8_t auth[P2P_AUTH_LEN], digest[32];
	int rc;

	if (!s || !in || !out || s->state != SEC_HELLO)
		return EMBER_EINVAL;
	if (memcmp(in, P2P_MAGIC, 4) != 0 ||
	    ember_le16_get(in + 4) != P2P_VERSION ||
	    /* our own hello reflected back: nobody else holds our eph key */
	    memcmp(in + 6, s->hello + 6, 32) == 0)
		return sec_kill(s, EMBER_P2P_HANDSHAKE);
	/* crypto_kx fails on a small-order (weak) point. */
	rc = s->initiator
	     ? crypto_kx_client_session_keys(s->rx, s->tx, s->hello + 6,
	                                     s->eph_sk, in + 6)
	     : crypto_kx_server_session_keys(s->rx, s->tx, s->hello + 6,
	                                     s->eph_sk, in + 6);
	sodium_memzero(s->eph_sk, sizeof s->eph_sk);
	if (rc != 0)
		return sec_kill(s, EMBER_P2P_HANDSHAKE);

	ember_sha256_init(&c);
	ember_sha256_update(&c, P2P_TH_TAG, strlen(P2P_TH_TAG));
	ember_sha256_update(&c, s->initiator ? s->hello : in, P2P_HELLO0_LEN);
	ember_sha256_update(&c, s->initiator ? in : s->hello, P2P_HELLO0_LEN);
	ember_sha256_final(&c, s->th);

	sec_auth_digest(s->th, s->initiator ? 'I' : 'R', digest);
	memcpy(auth, s->key.pub, 32);
	rc = ember_schnorr_sign(&s->key, digest, 32, NULL, auth + 32);
	ember_keypair_clear(&s->key);
	if (rc != 0)
		return sec_kill(s, EMBER_EINTERNAL);
	sec_seal_raw(s, auth, sizeof auth, out);
	s->state = SEC_AUTH;
	return 0;
}

int p2p_sec_on_auth(struct p2p_sec *s, const uint8_t in[P2P_AUTH_FRAME_LEN])
{
	uint8_t auth[P2P_AUTH_LEN], digest[32];

	if (!s || !in || s->state != SEC_AUTH)
		return EMBER_EINVAL;
	/* The length header is the associated data, so one that is not
	 * P2P_AUTH_LEN + P2P_TAG_LEN already fails to open. */
	if (sec_open_raw(s, in, P2P_AUTH_FRAME_LEN, auth) != 0)
		return sec_kill(s, EMBER_P2P_HANDSHAKE);
	sec_auth_digest(s->th, s->initiator ? 'R' : 'I', digest);
	/* Verify before comparing ids, so EMBER_P2P_PEER_ID always names a
	 * node that proved who it is (a stale pin, not an attack). */
	if (!ember_schnorr_verify(auth, digest, 32, auth + 32))
		return sec_kill(s, EMBER_P2P_HANDSHAKE);
	if (s->pinned && memcmp(auth, s->expect, 32) != 0)
		return sec_kill(s, EMBER_P2P_PEER_ID);
	memcpy(s->peer, auth, 32);
	s->state = SEC_OPEN;
	return 0;
}

int p2p_sec_open(const struct p2p_sec *s)
{
	return s && s->state == SEC_OPEN;
}

void p2p_sec_peer_id(const struct p2p_sec *s, uint8_t id[32])
{
	memcpy(id, s->peer, 32);
}

size_t p2p_sec_frame_len(const uint8_t hdr[4])
{
	uint32_t n = sec_le32_get(hdr);

	return n < P2P_TAG_LEN || n > P2P_FRAME_MAX ? 0 : n;
}

int p2p_sec_seal(struct p2p_sec *s, const uint8_t *msg, size_t len,
                 uint8_t *out, size_t cap, size_t *outlen)
{
	if (!s || (!msg && len) || !out || !outlen || s->state != SEC_OPEN ||
	    len > P2P_MSG_MAX || cap < 4 + len + P2P_TAG_LEN ||
	    s->ntx == UINT64_MAX)
		return EMBER_EINVAL;
	sec_seal_raw(s, msg, len, out);
	*outlen = 4 + len + P2P_TAG_LEN;
	return 0;
}

int p2p_sec_unseal(struct p2p_sec *s, const uint8_t *frame, size_t flen,
                   uint8_t *msg, size_t cap, size_t *msglen)
{
	size_t body;

	if (!s || !frame || !msg || !msglen || s->state != SEC_OPEN || flen < 4)
		return EMBER_EINVAL;
	/* A header that disagrees with the bytes given, or is out of bounds,
	 * came from the peer: it is bad input, not misuse. */
	body = p2p_sec_frame_len(frame);
	if (!body || body != flen - 4)
		return sec_kill(s, EMBER_P2P_FRAME);
	if (cap < body - P2P_TAG_LEN)
		return EMBER_EINVAL;
	if (sec_open_raw(s, frame, flen, msg) != 0)
		return sec_kill(s, EMBER_P2P_FRAME);
	*msglen = body - P2P_TAG_LEN;
	return 0;
}
