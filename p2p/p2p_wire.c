/*
 * p2p_wire.c - the messages inside the encrypted channel (see p2pwire.h).
 *
 * One table holds each known type's name and length limits; every decoder
 * checks the whole length against it before reading a field, so a peer
 * cannot make a decoder walk a buffer larger than its type allows.  Every
 * malformed input is EMBER_P2P_MSG, whatever the codec said, so a caller
 * has one code to drop the peer on; NULL pointers are misuse (EMBER_EINVAL).
 * Encoders refuse (EMBER_EINVAL) anything the decoders would refuse, so
 * what this node sends always decodes on the other side.
 *
 * On a decoder's failure *m is unspecified.
 */
#include "ember/p2pwire.h"

#include <string.h>

#include "ember/block.h"
#include "ember/codec.h"
#include "ember/p2psec.h"

/* The chain id's length is one varint byte; STATUS's limits rely on it. */
_Static_assert(EMBER_CHAIN_ID_MAX < 128, "chain id length is one varint byte");

/* type || le16 version || varint n || n || 32 || le64 || 32 || le16 */
#define P2P_STATUS_FIXED (1 + 2 + 1 + 32 + 8 + 32 + 2)
#define P2P_GETBLOCKS_LEN (1 + 8 + 4)
#define P2P_PING_LEN (1 + 8)
/* type || le64 height || varint 0 || varint 0: an empty block and cert;
 * whether those are acceptable is the chain's call, not the wire's. */
#define P2P_BLOCK_MIN (1 + 8 + 1 + 1)
/* type || varint 1 || varint 1 || one tx byte */
#define P2P_TXS_MIN (1 + 1 + 1 + 1)

/*
 * TXS is sized for gossip, not for the largest frame: room for
 * P2P_TXS_MAX ordinary txs at EMBER_TX_MAX_SIZE, each behind a length
 * varint of at most 3 bytes, after the type byte and a count varint of at
 * most 3 bytes (about 4 MiB).  A proof tx may be up to
 * EMBER_TX_PROOF_MAX_SIZE (128 KiB, a 3-byte varint), so the same budget
 * carries 32 proofs at their limit; a sender with more splits them over
 * several messages.  This keeps what one TXS can make a peer buffer and
 * check an eighth of a full block, and always within P2P_MSG_MAX.
 */
#define P2P_TXS_MSG_MAX (1 + 3 + (size_t)P2P_TXS_MAX * (3 + EMBER_TX_MAX_SIZE))
_Static_assert(P2P_TXS_MSG_MAX <= P2P_MSG_MAX, "TXS must fit in a frame");
_Static_assert(P2P_TXS_MSG_MAX >=
               1 + 3 + 32 * (3 + (size_t)EMBER_TX_PROOF_MAX_SIZE),
               "TXS must carry a few proofs");

#define P2P_PROPOSAL_FIXED (1 + 8 + 4 + 4 + 4 + 32 + 64)
#define P2P_PROPOSAL_MIN (P2P_PROPOSAL_FIXED + 1 + EMBER_HEADER_SIZE)

struct p2p_msg_def {
	const char *name;
	size_t min_len;         /* whole message, type byte included */
	size_t max_len;
};

static const struct p2p_msg_def p2p_msgs[P2P_MSG_TYPE_COUNT] = {
	[P2P_MSG_STATUS] = { "status", P2P_STATUS_FIXED + 1,
	                     P2P_STATUS_FIXED + EMBER_CHAIN_ID_MAX },
	[P2P_MSG_GETBLOCKS] = { "getblocks", P2P_GETBLOCKS_LEN, P2P_GETBLOCKS_LEN },
	[P2P_MSG_BLOCK] = { "block", P2P_BLOCK_MIN, P2P_MSG_MAX },
	[P2P_MSG_TXS] = { "txs", P2P_TXS_MIN, P2P_TXS_MSG_MAX },
	[P2P_MSG_PING] = { "ping", P2P_PING_LEN, P2P_PING_LEN },
	[P2P_MSG_PONG] = { "pong", P2P_PING_LEN, P2P_PING_LEN },
	[P2P_MSG_PROPOSAL] = { "proposal", P2P_PROPOSAL_MIN, P2P_MSG_MAX },
	[P2P_MSG_VOTE] = { "vote", P2P_VOTE_LEN, P2P_VOTE_LEN },
};

/* NULL for an unknown type. */
static const struct p2p_msg_def *p2p_msg_def(uint8_t type)
{
	if (type >= P2P_MSG_TYPE_COUNT || !p2p_msgs[type].name)
		return NULL;
	return &p2p_msgs[type];
}

size_t p2p_msg_min_len(uint8_t type)
{
	const struct p2p_msg_def *d = p2p_msg_def(type);
	return d ? d->min_len : 0;
}

size_t p2p_msg_max_len(uint8_t type)
{
	const struct p2p_msg_def *d = p2p_msg_def(type);
	return d ? d->max_len : 0;
}

const char *p2p_msg_name(uint8_t type)
{
	const struct p2p_msg_def *d = p2p_msg_def(type);
	return d ? d->name : NULL;
}

/* ---- shared pieces ---- */

static void p2p_put_u16(struct ember_wbuf *w, uint16_t v)
{
	uint8_t b[2];
	ember_le16_put(b, v);
	ember_put_bytes(w, b, 2);
}

static int p2p_get_u16(struct ember_rbuf *r, uint16_t *out)
{
	const uint8_t *b;
	if (ember_get_view(r, &b, 2))
		return EMBER_P2P_MSG;
	*out = ember_le16_get(b);
	return 0;
}

/* varint n (at most max) || n bytes, as a view into the input. */
static int p2p_get_str(struct ember_rbuf *r, size_t max, const uint8_t **p,
                       size_t *n)
{
	uint64_t v;
	if (ember_get_varint(r, &v) || v > max || ember_get_view(r, p, (size_t)v))
		return EMBER_P2P_MSG;
	*n = (size_t)v;
	return 0;
}

static void p2p_put_str(struct ember_wbuf *w, const uint8_t *p, size_t n)
{
	ember_put_varint(w, n);
	ember_put_bytes(w, p, n);
}

/*
 * Length and type checks every decoder starts with; on success r reads
 * the body (after the type byte).  ping_ok: the ping decoder takes PONG
 * too, since both share one body and the caller has the type byte.
 */
static int p2p_open(struct ember_rbuf *r, uint8_t type, int ping_ok,
                    const void *m, const uint8_t *in, size_t len)
{
	if (!m || (!in && len))
		return EMBER_EINVAL;
	if (len < 1)
		return EMBER_P2P_MSG;
	if (in[0] != type && !(ping_ok && in[0] == P2P_MSG_PONG))
		return EMBER_P2P_MSG;
	if (len < p2p_msg_min_len(in[0]) || len > p2p_msg_max_len(in[0]))
		return EMBER_P2P_MSG;
	ember_rbuf_init(r, in + 1, len - 1);
	return 0;
}

static int p2p_done(const struct ember_rbuf *r)
{
	return ember_rbuf_done(r) ? EMBER_P2P_MSG : 0;
}

static int p2p_finish(const struct ember_wbuf *w, size_t *outlen)
{
	if (w->err)
		return w->err;
	*outlen = w->len;
	return 0;
}

/* ---- STATUS ---- */

/* Length of m's chain id, or 0 when it is not NUL-terminated in its array
 * or not a valid chain id. */
static size_t p2p_status_idlen(const struct p2p_status *m)
{
	const char *nul = memchr(m->chain_id, 0, sizeof(m->chain_id));
	size_t n;
	if (!nul)
		return 0;
	n = (size_t)(nul - m->chain_id);
	return ember_chain_id_valid(m->chain_id, n) ? n : 0;
}

int p2p_status_encode(const struct p2p_status *m, uint8_t *out, size_t cap,
                      size_t *outlen)
{
	struct ember_wbuf w;
	size_t n;

	if (!m || !out || !outlen || !(n = p2p_status_idlen(m)))
		return EMBER_EINVAL;
	ember_wbuf_init(&w, out, cap);
	ember_put_u8(&w, P2P_MSG_STATUS);
	p2p_put_u16(&w, m->version);
	p2p_put_str(&w, (const uint8_t *)m->chain_id, n);
	ember_put_bytes(&w, m->genesis_hash, 32);
	ember_put_u64(&w, m->height);
	ember_put_bytes(&w, m->tip_hash, 32);
	p2p_put_u16(&w, m->listen_port);
	return p2p_finish(&w, outlen);
}

int p2p_status_decode(struct p2p_status *m, const uint8_t *in, size_t len)
{
	struct ember_rbuf r;
	const uint8_t *id;
	size_t n;
	int rc;

	if ((rc = p2p_open(&r, P2P_MSG_STATUS, 0, m, in, len)))
		return rc;
	memset(m, 0, sizeof(*m));
	if (p2p_get_u16(&r, &m->version) ||
	    p2p_get_str(&r, EMBER_CHAIN_ID_MAX, &id, &n) ||
	    !ember_chain_id_valid((const char *)id, n))
		return EMBER_P2P_MSG;
	memcpy(m->chain_id, id, n);
	m->chain_id[n] = '\0';
	if (ember_get_bytes(&r, m->genesis_hash, 32) ||
	    ember_get_u64(&r, &m->height) ||
	    ember_get_bytes(&r, m->tip_hash, 32) ||
	    p2p_get_u16(&r, &m->listen_port))
		return EMBER_P2P_MSG;
	return p2p_done(&r);
}

/* ---- GETBLOCKS ---- */

int p2p_getblocks_encode(const struct p2p_getblocks *m, uint8_t *out,
                         size_t cap, size_t *outlen)
{
	struct ember_wbuf w;

	if (!m || !out || !outlen || m->count < 1 ||
	    m->count > P2P_GETBLOCKS_MAX)
		return EMBER_EINVAL;
	ember_wbuf_init(&w, out, cap);
	ember_put_u8(&w, P2P_MSG_GETBLOCKS);
	ember_put_u64(&w, m->from);
	ember_put_u32(&w, m->count);
	return p2p_finish(&w, outlen);
}

int p2p_getblocks_decode(struct p2p_getblocks *m, const uint8_t *in,
                         size_t len)
{
	struct ember_rbuf r;
	int rc;

	if ((rc = p2p_open(&r, P2P_MSG_GETBLOCKS, 0, m, in, len)))
		return rc;
	if (ember_get_u64(&r, &m->from) || ember_get_u32(&r, &m->count) ||
	    m->count < 1 || m->count > P2P_GETBLOCKS_MAX)
		return EMBER_P2P_MSG;
	return p2p_done(&r);
}

/* ---- BLOCK ---- */

/* The message's size, or 0 when the encoder must refuse m. */
static size_t p2p_block_size(const struct p2p_block *m)
{
	size_t n;

	if (!m || (!m->blk && m->blklen) || (!m->cert && m->certlen) ||
	    m->blklen > P2P_MSG_MAX || m->certlen > P2P_MSG_MAX)
		return 0;
	n = 1 + 8 + ember_varint_size(m->blklen) + m->blklen +
	    ember_varint_size(m->certlen) + m->certlen;
	return n <= P2P_MSG_MAX ? n : 0;
}

size_t p2p_block_encoded_size(const struct p2p_block *m)
{
	return p2p_block_size(m);
}

int p2p_block_encode(const struct p2p_block *m, uint8_t *out, size_t cap,
                     size_t *outlen)
{
	struct ember_wbuf w;

	if (!out || !outlen || !p2p_block_size(m))
		return EMBER_EINVAL;
	ember_wbuf_init(&w, out, cap);
	ember_put_u8(&w, P2P_MSG_BLOCK);
	ember_put_u64(&w, m->height);
	p2p_put_str(&w, m->blk, m->blklen);
	p2p_put_str(&w, m->cert, m->certlen);
	return p2p_finish(&w, outlen);
}

int p2p_block_decode(struct p2p_block *m, const uint8_t *in, size_t len)
{
	struct ember_rbuf r;
	int rc;

	if ((rc = p2p_open(&r, P2P_MSG_BLOCK, 0, m, in, len)))
		return rc;
	if (ember_get_u64(&r, &m->height) ||
	    p2p_get_str(&r, P2P_MSG_MAX, &m->blk, &m->blklen) ||
	    p2p_get_str(&r, P2P_MSG_MAX, &m->cert, &m->certlen))
		return EMBER_P2P_MSG;
	return p2p_done(&r);
}

/* ---- TXS ---- */

/* The message's size, or 0 when the encoder must refuse m. */
static size_t p2p_txs_size(const struct p2p_txs *m)
{
	size_t n;

	if (!m || m->n < 1 || m->n > P2P_TXS_MAX)
		return 0;
	n = 1 + ember_varint_size(m->n);
	for (size_t i = 0; i < m->n; i++) {
		if (!m->tx[i] || m->len[i] < 1 ||
		    m->len[i] > EMBER_TX_PROOF_MAX_SIZE)
			return 0;
		/* n was at most P2P_TXS_MSG_MAX and len[i] is bounded, so
		 * the sum cannot wrap */
		n += ember_varint_size(m->len[i]) + m->len[i];
		if (n > P2P_TXS_MSG_MAX)
			return 0;
	}
	return n;
}

size_t p2p_txs_encoded_size(const struct p2p_txs *m)
{
	return p2p_txs_size(m);
}

int p2p_txs_encode(const struct p2p_txs *m, uint8_t *out, size_t cap,
                   size_t *outlen)
{
	struct ember_wbuf w;

	if (!out || !outlen || !p2p_txs_size(m))
		return EMBER_EINVAL;
	ember_wbuf_init(&w, out, cap);
	ember_put_u8(&w, P2P_MSG_TXS);
	ember_put_varint(&w, m->n);
	for (size_t i = 0; i < m->n; i++)
		p2p_put_str(&w, m->tx[i], m->len[i]);
	return p2p_finish(&w, outlen);
}

int p2p_txs_decode(struct p2p_txs *m, const uint8_t *in, size_t len)
{
	struct ember_rbuf r;
	uint64_t k;
	int rc;

	if ((rc = p2p_open(&r, P2P_MSG_TXS, 0, m, in, len)))
		return rc;
	if (ember_get_varint(&r, &k) || k < 1 || k > P2P_TXS_MAX)
		return EMBER_P2P_MSG;
	m->n = (size_t)k;
	for (size_t i = 0; i < m->n; i++) {
		if (p2p_get_str(&r, EMBER_TX_PROOF_MAX_SIZE, &m->tx[i],
		                &m->len[i]) ||
		    m->len[i] < 1)
			return EMBER_P2P_MSG;
	}
	return p2p_done(&r);
}

/* ---- PING / PONG ---- */

int p2p_ping_encode(uint8_t type, const struct p2p_ping *m, uint8_t *out,
                    size_t cap, size_t *outlen)
{
	struct ember_wbuf w;

	if (!m || !out || !outlen ||
	    (type != P2P_MSG_PING && type != P2P_MSG_PONG))
		return EMBER_EINVAL;
	ember_wbuf_init(&w, out, cap);
	ember_put_u8(&w, type);
	ember_put_u64(&w, m->nonce);
	return p2p_finish(&w, outlen);
}

int p2p_ping_decode(struct p2p_ping *m, const uint8_t *in, size_t len)
{
	struct ember_rbuf r;
	int rc;

	if ((rc = p2p_open(&r, P2P_MSG_PING, 1, m, in, len)))
		return rc;
	if (ember_get_u64(&r, &m->nonce))
		return EMBER_P2P_MSG;
	return p2p_done(&r);
}

/* ---- PROPOSAL ---- */

size_t p2p_proposal_encoded_size(const struct p2p_proposal *m)
{
	if (!m || !m->blk || m->blklen < EMBER_HEADER_SIZE ||
	    m->blklen > P2P_MSG_MAX - P2P_PROPOSAL_FIXED - 10 || m->p.pol_round < -1)
		return 0;
	return P2P_PROPOSAL_FIXED + ember_varint_size(m->blklen) + m->blklen;
}

int p2p_proposal_encode(const struct p2p_proposal *m, uint8_t *out, size_t cap,
                        size_t *outlen)
{
	struct ember_wbuf w;

	if (!out || !outlen || !p2p_proposal_encoded_size(m))
		return EMBER_EINVAL;
	ember_wbuf_init(&w, out, cap);
	ember_put_u8(&w, P2P_MSG_PROPOSAL);
	ember_put_u64(&w, m->p.height);
	ember_put_u32(&w, m->p.round);
	ember_put_u32(&w, (uint32_t)(m->p.pol_round + 1));
	ember_put_u32(&w, m->p.proposer);
	ember_put_bytes(&w, m->p.value, 32);
	ember_put_bytes(&w, m->p.sig, 64);
	p2p_put_str(&w, m->blk, m->blklen);
	return p2p_finish(&w, outlen);
}

int p2p_proposal_decode(struct p2p_proposal *m, const uint8_t *in, size_t len)
{
	struct ember_rbuf r;
	const uint8_t *v, *sig;
	uint32_t pol;
	int rc;

	if ((rc = p2p_open(&r, P2P_MSG_PROPOSAL, 0, m, in, len)))
		return rc;
	memset(&m->p, 0, sizeof(m->p));
	if (ember_get_u64(&r, &m->p.height) || ember_get_u32(&r, &m->p.round) ||
	    ember_get_u32(&r, &pol) || ember_get_u32(&r, &m->p.proposer) ||
	    ember_get_view(&r, &v, 32) || ember_get_view(&r, &sig, 64) ||
	    p2p_get_str(&r, P2P_MSG_MAX, &m->blk, &m->blklen))
		return EMBER_P2P_MSG;
	/* pol_round is -1 .. round - 1 */
	if (pol > m->p.round || m->blklen < EMBER_HEADER_SIZE)
		return EMBER_P2P_MSG;
	m->p.pol_round = (int32_t)pol - 1;
	memcpy(m->p.value, v, 32);
	memcpy(m->p.sig, sig, 64);
	return p2p_done(&r);
}

/* ---- VOTE ---- */

int p2p_vote_encode(const struct bft_vote *v, uint8_t out[P2P_VOTE_LEN])
{
	static const uint8_t zero[32];
	struct ember_wbuf w;
	size_t n;

	if (!v || !out || (v->type != BFT_VOTE_PREVOTE && v->type != BFT_VOTE_PRECOMMIT) ||
	    v->nil > 1)
		return EMBER_EINVAL;
	ember_wbuf_init(&w, out, P2P_VOTE_LEN);
	ember_put_u8(&w, P2P_MSG_VOTE);
	ember_put_u8(&w, v->type);
	ember_put_u8(&w, v->nil);
	ember_put_u64(&w, v->height);
	ember_put_u32(&w, v->round);
	ember_put_bytes(&w, v->nil ? zero : v->value, 32);
	ember_put_u32(&w, v->validator);
	ember_put_u64(&w, v->time_ms);
	ember_put_bytes(&w, v->sig, 64);
	return p2p_finish(&w, &n);
}

int p2p_vote_decode(struct bft_vote *v, const uint8_t *in, size_t len)
{
	static const uint8_t zero[32];
	struct ember_rbuf r;
	const uint8_t *val, *sig;
	int rc;

	if ((rc = p2p_open(&r, P2P_MSG_VOTE, 0, v, in, len)))
		return rc;
	memset(v, 0, sizeof(*v));
	if (ember_get_u8(&r, &v->type) || ember_get_u8(&r, &v->nil) ||
	    ember_get_u64(&r, &v->height) || ember_get_u32(&r, &v->round) ||
	    ember_get_view(&r, &val, 32) || ember_get_u32(&r, &v->validator) ||
	    ember_get_u64(&r, &v->time_ms) || ember_get_view(&r, &sig, 64))
		return EMBER_P2P_MSG;
	if ((v->type != BFT_VOTE_PREVOTE && v->type != BFT_VOTE_PRECOMMIT) || v->nil > 1 ||
	    (v->nil && memcmp(val, zero, 32) != 0))
		return EMBER_P2P_MSG;
	memcpy(v->value, val, 32);
	memcpy(v->sig, sig, 64);
	return p2p_done(&r);
}
