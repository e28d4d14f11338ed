/*
 * test_p2p_sec.c - the encrypted channel (p2psec.h): two channels in
 * memory open and exchange frames both ways; the handshake and frames
 * are rebuilt here from the header's text with libsodium and the key
 * helpers, so the format is checked, not only that the code agrees with
 * itself; then every way a peer or a man in the middle can fail the
 * handshake or a frame, each with its exact code, and misuse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <sodium.h>

#include "ember/hash.h"
#include "ember/p2psec.h"

static struct ember_keypair g_ki, g_kr, g_km;   /* initiator, responder, mitm */

static void key_of(struct ember_keypair *kp, uint8_t b)
{
	uint8_t sk[32];

	memset(sk, b, sizeof sk);
	assert_int_equal(ember_keypair_from_seckey(kp, sk), 0);
}

static int setup_keys(void **state)
{
	(void)state;
	key_of(&g_ki, 0x11);
	key_of(&g_kr, 0x22);
	key_of(&g_km, 0x33);
	return sodium_init() < 0 ? -1 : 0;
}

struct pair {
	struct p2p_sec *i, *r;
	uint8_t ai[P2P_AUTH_FRAME_LEN], ar[P2P_AUTH_FRAME_LEN];  /* sent by i, r */
};

static void pair_new(struct pair *p, const uint8_t *expect,
                     const struct ember_keypair *kr)
{
	memset(p, 0, sizeof *p);
	assert_int_equal(p2p_sec_new(&p->i, 1, &g_ki, expect), 0);
	assert_int_equal(p2p_sec_new(&p->r, 0, kr ? kr : &g_kr, NULL), 0);
}

static void pair_hello(struct pair *p)
{
	uint8_t hi[P2P_HELLO0_LEN], hr[P2P_HELLO0_LEN];

	p2p_sec_hello0(p->i, hi);
	p2p_sec_hello0(p->r, hr);
	assert_int_equal(p2p_sec_on_hello0(p->i, hr, p->ai), 0);
	assert_int_equal(p2p_sec_on_hello0(p->r, hi, p->ar), 0);
}

static void pair_open(struct pair *p)
{
	pair_new(p, NULL, NULL);
	pair_hello(p);
	assert_false(p2p_sec_open(p->i));
	assert_int_equal(p2p_sec_on_auth(p->i, p->ar), 0);
	assert_int_equal(p2p_sec_on_auth(p->r, p->ai), 0);
	assert_true(p2p_sec_open(p->i));
	assert_true(p2p_sec_open(p->r));
}

static void pair_free(struct pair *p)
{
	p2p_sec_free(p->i);
	p2p_sec_free(p->r);
}

#define BUF_MAX 8192
static uint8_t g_msg[BUF_MAX], g_frame[BUF_MAX + 4 + P2P_TAG_LEN],
	g_out[BUF_MAX];

/* Seals n bytes of g_msg from s into g_frame; returns the frame length. */
static size_t seal(struct p2p_sec *s, size_t n)
{
	size_t flen = 0;

	assert_int_equal(p2p_sec_seal(s, g_msg, n, g_frame, sizeof g_frame, &flen), 0);
	assert_int_equal(flen, 4 + n + P2P_TAG_LEN);
	assert_int_equal(p2p_sec_frame_len(g_frame), n + P2P_TAG_LEN);
	return flen;
}

static void test_open_and_exchange(void **state)
{
	struct pair p;
	uint8_t id[32];
	(void)state;

	pair_open(&p);
	p2p_sec_peer_id(p.i, id);
	assert_memory_equal(id, g_kr.pub, 32);
	p2p_sec_peer_id(p.r, id);
	assert_memory_equal(id, g_ki.pub, 32);

	/* Lengths from empty to a few KiB, both ways, unevenly interleaved,
	 * every other one opened in place. */
	for (size_t k = 0; k < 300; k++) {
		struct p2p_sec *from = k % 3 ? p.i : p.r, *to = k % 3 ? p.r : p.i;
		size_t n = k == 0 ? 0 : (k * 977) % BUF_MAX, flen, mlen = 1;

		randombytes_buf(g_msg, n);
		flen = seal(from, n);
		if (k % 2) {
			assert_int_equal(p2p_sec_unseal(to, g_frame, flen, g_frame + 4,
			                                n, &mlen), 0);
			assert_memory_equal(g_frame + 4, g_msg, n);
		} else {
			assert_int_equal(p2p_sec_unseal(to, g_frame, flen, g_out,
			                                sizeof g_out, &mlen), 0);
			assert_memory_equal(g_out, g_msg, n);
		}
		assert_int_equal(mlen, n);
	}
	pair_free(&p);
}

/* --- the handshake rebuilt from the header, by a peer M ------------------- */

/* One side of a connection done with raw libsodium, as the header says. */
struct leg {
	uint8_t sk[32], hello[P2P_HELLO0_LEN], rx[32], tx[32];
	uint64_t nrx, ntx;
};

static void leg_new(struct leg *l)
{
	memcpy(l->hello, "EMB1\x02\x00", 6);
	assert_int_equal(crypto_kx_keypair(l->hello + 6, l->sk), 0);
	l->nrx = l->ntx = 0;
}

/* Session keys with the peer whose HELLO0 is peer; server: we are R. */
static void leg_keys(struct leg *l, const uint8_t *peer, int server)
{
	if (server)
		assert_int_equal(crypto_kx_server_session_keys(l->rx, l->tx, l->hello + 6,
		                                               l->sk, peer + 6), 0);
	else
		assert_int_equal(crypto_kx_client_session_keys(l->rx, l->tx, l->hello + 6,
		                                               l->sk, peer + 6), 0);
}

static void nonce_of(uint8_t n[12], uint64_t c)
{
	memset(n, 0, 12);
	for (int i = 0; i < 8; i++)
		n[i] = (uint8_t)(c >> (8 * i));
}

static size_t leg_seal(struct leg *l, const uint8_t *m, size_t n, uint8_t *out)
{
	uint8_t nonce[12];
	size_t b = n + P2P_TAG_LEN;

	out[0] = (uint8_t)b, out[1] = (uint8_t)(b >> 8);
	out[2] = (uint8_t)(b >> 16), out[3] = (uint8_t)(b >> 24);
	nonce_of(nonce, l->ntx++);
	crypto_aead_chacha20poly1305_ietf_encrypt(out + 4, NULL, m, n, out, 4,
	                                          NULL, nonce, l->tx);
	return 4 + b;
}

/* Returns: 0, or -1 if the frame does not open. */
static int leg_open(struct leg *l, const uint8_t *f, size_t flen, uint8_t *m)
{
	uint8_t nonce[12];

	nonce_of(nonce, l->nrx);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(m, NULL, NULL, f + 4, flen - 4,
	                                              f, 4, nonce, l->rx) != 0)
		return -1;
	l->nrx++;
	return 0;
}

static void transcript(const uint8_t *ih, const uint8_t *rh, uint8_t th[32])
{
	uint8_t buf[12 + 2 * P2P_HELLO0_LEN];

	memcpy(buf, "ember/p2p/v1", 12);
	memcpy(buf + 12, ih, P2P_HELLO0_LEN);
	memcpy(buf + 12 + P2P_HELLO0_LEN, rh, P2P_HELLO0_LEN);
	ember_sha256(buf, sizeof buf, th);
}

static void auth_digest(const uint8_t th[32], uint8_t role, uint8_t d[32])
{
	uint8_t buf[14 + 32 + 1];

	memcpy(buf, "ember/p2p/auth", 14);
	memcpy(buf + 14, th, 32);
	buf[46] = role;
	ember_sha256(buf, sizeof buf, d);
}

/*
 * The initiator against a responder M built from the header alone: what
 * the initiator sends opens and verifies as the header says, and M's AUTH
 * is accepted only when M signs the right transcript in the right role.
 * After that, frames go both ways with nonces 1, 2, ...
 */
enum { M_OK, M_ROLE, M_SWAPPED, M_OTHER_KEY };

static void spec_case(int how)
{
	struct p2p_sec *i;
	struct leg m;
	uint8_t hi[P2P_HELLO0_LEN], ai[P2P_AUTH_FRAME_LEN], am[P2P_AUTH_FRAME_LEN];
	uint8_t plain[P2P_AUTH_LEN], th[32], d[32], id[32], f[64], out[64];
	size_t flen, mlen;

	assert_int_equal(p2p_sec_new(&i, 1, &g_ki, NULL), 0);
	p2p_sec_hello0(i, hi);
	assert_memory_equal(hi, "EMB1\x02\x00", 6);
	leg_new(&m);
	leg_keys(&m, hi, 1);
	assert_int_equal(p2p_sec_on_hello0(i, m.hello, ai), 0);

	assert_int_equal(ai[0] | ai[1] << 8 | ai[2] << 16 | ai[3] << 24,
	                 P2P_AUTH_LEN + P2P_TAG_LEN);
	assert_int_equal(leg_open(&m, ai, sizeof ai, plain), 0);
	assert_memory_equal(plain, g_ki.pub, 32);
	transcript(hi, m.hello, th);
	auth_digest(th, 'I', d);
	assert_true(ember_schnorr_verify(g_ki.pub, d, 32, plain + 32));

	if (how == M_SWAPPED)
		transcript(m.hello, hi, th);
	auth_digest(th, how == M_ROLE ? 'I' : 'R', d);
	memcpy(plain, g_km.pub, 32);
	assert_int_equal(ember_schnorr_sign(how == M_OTHER_KEY ? &g_kr : &g_km,
	                                    d, 32, NULL, plain + 32), 0);
	assert_int_equal(leg_seal(&m, plain, sizeof plain, am), sizeof am);
	if (how != M_OK) {
		assert_int_equal(p2p_sec_on_auth(i, am), EMBER_P2P_HANDSHAKE);
		assert_false(p2p_sec_open(i));
		p2p_sec_free(i);
		return;
	}
	assert_int_equal(p2p_sec_on_auth(i, am), 0);
	p2p_sec_peer_id(i, id);
	assert_memory_equal(id, g_km.pub, 32);

	assert_int_equal(p2p_sec_seal(i, (const uint8_t *)"ping", 4, f, sizeof f,
	                              &flen), 0);
	assert_int_equal(leg_open(&m, f, flen, out), 0);
	assert_memory_equal(out, "ping", 4);
	flen = leg_seal(&m, (const uint8_t *)"pong!", 5, f);
	assert_int_equal(p2p_sec_unseal(i, f, flen, out, sizeof out, &mlen), 0);
	assert_int_equal(mlen, 5);
	assert_memory_equal(out, "pong!", 5);
	p2p_sec_free(i);
}

static void test_spec(void **state)
{
	(void)state;
	spec_case(M_OK);
	spec_case(M_ROLE);
	spec_case(M_SWAPPED);
	spec_case(M_OTHER_KEY);
}

/*
 * M relays the two HELLO0s with an ephemeral key of his own toward each
 * side, and forwards each AUTH re-sealed under the keys he shares with the
 * other.  He can open both AUTHs, but their signatures cover transcripts
 * with his keys in them, which the other side does not have: both fail.
 */
static void test_mitm(void **state)
{
	struct pair p;
	struct leg mi, mr;   /* M as responder toward I, as initiator toward R */
	uint8_t hi[P2P_HELLO0_LEN], hr[P2P_HELLO0_LEN], plain[P2P_AUTH_LEN];
	uint8_t ai[P2P_AUTH_FRAME_LEN], ar[P2P_AUTH_FRAME_LEN];
	(void)state;

	pair_new(&p, NULL, NULL);
	p2p_sec_hello0(p.i, hi);
	p2p_sec_hello0(p.r, hr);
	leg_new(&mi);
	leg_new(&mr);
	leg_keys(&mi, hi, 1);
	leg_keys(&mr, hr, 0);
	assert_int_equal(p2p_sec_on_hello0(p.i, mi.hello, p.ai), 0);
	assert_int_equal(p2p_sec_on_hello0(p.r, mr.hello, p.ar), 0);

	assert_int_equal(leg_open(&mi, p.ai, sizeof p.ai, plain), 0);
	assert_int_equal(leg_seal(&mr, plain, sizeof plain, ai), sizeof ai);
	assert_int_equal(leg_open(&mr, p.ar, sizeof p.ar, plain), 0);
	assert_int_equal(leg_seal(&mi, plain, sizeof plain, ar), sizeof ar);

	assert_int_equal(p2p_sec_on_auth(p.r, ai), EMBER_P2P_HANDSHAKE);
	assert_int_equal(p2p_sec_on_auth(p.i, ar), EMBER_P2P_HANDSHAKE);
	assert_false(p2p_sec_open(p.i));
	assert_false(p2p_sec_open(p.r));
	pair_free(&p);
}

/* --- HELLO0 and AUTH failures ------------------------------------------- */

static void test_bad_hello(void **state)
{
	static const struct { size_t at; uint8_t val; } cases[] = {
		{ 0, 'e' }, { 3, '2' },          /* magic */
		/* version 0, 1 (before block format 2), 3, 258 */
		{ 4, 0 }, { 4, 1 }, { 4, 3 }, { 5, 1 },
	};
	uint8_t hi[P2P_HELLO0_LEN], out[P2P_AUTH_FRAME_LEN];
	(void)state;

	for (size_t k = 0; k <= sizeof cases / sizeof cases[0] + 1; k++) {
		struct pair p;

		pair_new(&p, NULL, NULL);
		p2p_sec_hello0(p.i, hi);
		if (k < sizeof cases / sizeof cases[0])
			hi[cases[k].at] = cases[k].val;
		else if (k == sizeof cases / sizeof cases[0])
			memset(hi + 6, 0, 32);              /* a weak (zero) point */
		else
			p2p_sec_hello0(p.r, hi);            /* its own, reflected */
		assert_int_equal(p2p_sec_on_hello0(p.r, hi, out), EMBER_P2P_HANDSHAKE);
		/* The channel is dead: it takes nothing more. */
		p2p_sec_hello0(p.i, hi);
		assert_int_equal(p2p_sec_on_hello0(p.r, hi, out), EMBER_EINVAL);
		assert_int_equal(p2p_sec_on_auth(p.r, out), EMBER_EINVAL);
		assert_false(p2p_sec_open(p.r));
		pair_free(&p);
	}
}

/* Every single-bit change of an AUTH frame, header included, fails. */
static void test_auth_bitflip(void **state)
{
	(void)state;
	for (size_t bit = 0; bit < 8 * P2P_AUTH_FRAME_LEN; bit++) {
		struct pair p;

		pair_new(&p, NULL, NULL);
		pair_hello(&p);
		p.ai[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(p2p_sec_on_auth(p.r, p.ai), EMBER_P2P_HANDSHAKE);
		assert_false(p2p_sec_open(p.r));
		assert_int_equal(p2p_sec_on_auth(p.i, p.ar), 0);
		pair_free(&p);
	}
}

/* The initiator pinned R's id but reached M, a real node that signs
 * correctly: PEER_ID, not HANDSHAKE.  M, who pins nothing, accepts I. */
static void test_pinned_id(void **state)
{
	struct pair p;
	(void)state;

	pair_new(&p, g_kr.pub, &g_km);
	pair_hello(&p);
	assert_int_equal(p2p_sec_on_auth(p.i, p.ar), EMBER_P2P_PEER_ID);
	assert_false(p2p_sec_open(p.i));
	assert_int_equal(p2p_sec_on_auth(p.r, p.ai), 0);
	pair_free(&p);

	pair_new(&p, g_kr.pub, NULL);
	pair_hello(&p);
	assert_int_equal(p2p_sec_on_auth(p.i, p.ar), 0);
	pair_free(&p);
}

/* Two diallers (both initiators) derive crossed keys and cannot open. */
static void test_two_initiators(void **state)
{
	struct p2p_sec *a, *b;
	uint8_t ha[P2P_HELLO0_LEN], hb[P2P_HELLO0_LEN];
	uint8_t aa[P2P_AUTH_FRAME_LEN], ab[P2P_AUTH_FRAME_LEN];
	(void)state;

	assert_int_equal(p2p_sec_new(&a, 1, &g_ki, NULL), 0);
	assert_int_equal(p2p_sec_new(&b, 1, &g_kr, NULL), 0);
	p2p_sec_hello0(a, ha);
	p2p_sec_hello0(b, hb);
	assert_int_equal(p2p_sec_on_hello0(a, hb, aa), 0);
	assert_int_equal(p2p_sec_on_hello0(b, ha, ab), 0);
	assert_int_equal(p2p_sec_on_auth(a, ab), EMBER_P2P_HANDSHAKE);
	assert_int_equal(p2p_sec_on_auth(b, aa), EMBER_P2P_HANDSHAKE);
	p2p_sec_free(a);
	p2p_sec_free(b);
}

/* --- frame failures ------------------------------------------------------ */

/* A frame that fails kills the channel: the good one after it is refused. */
static void expect_dead(struct p2p_sec *from, struct p2p_sec *to)
{
	size_t flen = seal(from, 3), mlen;

	assert_int_equal(p2p_sec_unseal(to, g_frame, flen, g_out, sizeof g_out,
	                                &mlen), EMBER_EINVAL);
	assert_false(p2p_sec_open(to));
	assert_int_equal(p2p_sec_seal(to, g_msg, 1, g_frame, sizeof g_frame,
	                              &flen), EMBER_EINVAL);
}

static void test_replay(void **state)
{
	struct pair p;
	uint8_t f0[64];
	size_t flen, mlen;
	(void)state;

	pair_open(&p);
	flen = seal(p.i, 10);
	memcpy(f0, g_frame, flen);
	assert_int_equal(p2p_sec_unseal(p.r, f0, flen, g_out, sizeof g_out, &mlen), 0);
	assert_int_equal(p2p_sec_unseal(p.r, f0, flen, g_out, sizeof g_out, &mlen),
	                 EMBER_P2P_FRAME);
	expect_dead(p.i, p.r);
	pair_free(&p);

	/* The AUTH frame (nonce 0) replayed as the first data frame. */
	pair_open(&p);
	assert_int_equal(p2p_sec_unseal(p.r, p.ai, sizeof p.ai, g_out, sizeof g_out,
	                                &mlen), EMBER_P2P_FRAME);
	pair_free(&p);
}

static void test_reorder_and_drop(void **state)
{
	struct pair p;
	uint8_t f0[64], f1[64];
	size_t l0, l1, mlen;
	(void)state;

	pair_open(&p);
	l0 = seal(p.r, 5);
	memcpy(f0, g_frame, l0);
	l1 = seal(p.r, 6);
	memcpy(f1, g_frame, l1);
	assert_int_equal(p2p_sec_unseal(p.i, f1, l1, g_out, sizeof g_out, &mlen),
	                 EMBER_P2P_FRAME);
	assert_int_equal(p2p_sec_unseal(p.i, f0, l0, g_out, sizeof g_out, &mlen),
	                 EMBER_EINVAL);
	pair_free(&p);

	/* Frames from the other direction do not open either (own keys). */
	pair_open(&p);
	l0 = seal(p.i, 5);
	assert_int_equal(p2p_sec_unseal(p.i, g_frame, l0, g_out, sizeof g_out,
	                                &mlen), EMBER_P2P_FRAME);
	pair_free(&p);
}

/* Every single-bit change of a small frame fails, header included; and
 * a header that claims one byte less or more, with the bytes to match. */
static void test_tamper(void **state)
{
	struct pair p;
	size_t flen, mlen;
	(void)state;

	for (size_t bit = 0; bit < 8 * (4 + 4 + P2P_TAG_LEN); bit++) {
		pair_open(&p);
		flen = seal(p.i, 4);
		g_frame[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(p2p_sec_unseal(p.r, g_frame, flen, g_out, sizeof g_out,
		                                &mlen), EMBER_P2P_FRAME);
		expect_dead(p.i, p.r);
		pair_free(&p);
	}
	for (int d = -1; d <= 1; d += 2) {
		pair_open(&p);
		flen = seal(p.i, 40);
		g_frame[0] = (uint8_t)(g_frame[0] + d);
		assert_int_equal(p2p_sec_unseal(p.r, g_frame, flen + d, g_out,
		                                sizeof g_out, &mlen), EMBER_P2P_FRAME);
		pair_free(&p);
	}
}

static void put_le32(uint8_t *h, uint32_t v)
{
	h[0] = (uint8_t)v, h[1] = (uint8_t)(v >> 8);
	h[2] = (uint8_t)(v >> 16), h[3] = (uint8_t)(v >> 24);
}

static void test_frame_len(void **state)
{
	static const struct { uint32_t n; size_t want; } cases[] = {
		{ 0, 0 }, { 1, 0 }, { P2P_TAG_LEN - 1, 0 },
		{ P2P_TAG_LEN, P2P_TAG_LEN }, { 1000, 1000 },
		{ P2P_FRAME_MAX, P2P_FRAME_MAX }, { P2P_FRAME_MAX + 1, 0 },
		{ 0x80000000u, 0 }, { 0xffffffffu, 0 },
	};
	uint8_t h[4];
	(void)state;

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		put_le32(h, cases[k].n);
		assert_int_equal(p2p_sec_frame_len(h), cases[k].want);
	}
}

/* A header within the frame bounds but not matching the bytes given. */
static void test_frame_header_mismatch(void **state)
{
	struct pair p;
	size_t flen, mlen;
	(void)state;

	pair_open(&p);
	flen = seal(p.i, 8);
	put_le32(g_frame, P2P_FRAME_MAX + 1);
	assert_int_equal(p2p_sec_unseal(p.r, g_frame, flen, g_out, sizeof g_out,
	                                &mlen), EMBER_P2P_FRAME);
	pair_free(&p);
}

/* --- misuse -------------------------------------------------------------- */

static void test_not_open(void **state)
{
	struct pair p;
	size_t n, mlen;
	uint8_t f[4 + P2P_TAG_LEN] = { P2P_TAG_LEN };
	(void)state;

	pair_new(&p, NULL, NULL);
	assert_int_equal(p2p_sec_seal(p.i, g_msg, 1, g_frame, sizeof g_frame, &n),
	                 EMBER_EINVAL);
	assert_int_equal(p2p_sec_unseal(p.i, f, sizeof f, g_out, sizeof g_out, &mlen),
	                 EMBER_EINVAL);
	assert_int_equal(p2p_sec_on_auth(p.i, p.ar), EMBER_EINVAL);
	pair_hello(&p);
	assert_int_equal(p2p_sec_seal(p.i, g_msg, 1, g_frame, sizeof g_frame, &n),
	                 EMBER_EINVAL);
	assert_int_equal(p2p_sec_on_hello0(p.i, g_msg, p.ai), EMBER_EINVAL);
	/* Refused calls changed nothing: the handshake still completes. */
	assert_int_equal(p2p_sec_on_auth(p.i, p.ar), 0);
	assert_int_equal(p2p_sec_on_auth(p.r, p.ai), 0);
	pair_free(&p);
}

static void test_misuse(void **state)
{
	struct pair p;
	struct p2p_sec *s = (struct p2p_sec *)&p;
	size_t n, mlen, flen;
	(void)state;

	assert_int_equal(p2p_sec_new(&s, 1, NULL, NULL), EMBER_EINVAL);
	assert_null(s);
	assert_int_equal(p2p_sec_new(NULL, 1, &g_ki, NULL), EMBER_EINVAL);
	assert_false(p2p_sec_open(NULL));
	p2p_sec_free(NULL);

	pair_open(&p);
	assert_int_equal(p2p_sec_seal(p.i, g_msg, 10, g_frame, 4 + 10 + P2P_TAG_LEN - 1,
	                              &n), EMBER_EINVAL);
	assert_int_equal(p2p_sec_seal(p.i, g_msg, (size_t)P2P_MSG_MAX + 1, g_frame,
	                              SIZE_MAX, &n), EMBER_EINVAL);
	assert_int_equal(p2p_sec_seal(p.i, NULL, 1, g_frame, sizeof g_frame, &n),
	                 EMBER_EINVAL);
	assert_int_equal(p2p_sec_seal(NULL, g_msg, 1, g_frame, sizeof g_frame, &n),
	                 EMBER_EINVAL);
	assert_int_equal(p2p_sec_seal(p.i, NULL, 0, g_frame, sizeof g_frame, &n), 0);
	assert_int_equal(p2p_sec_unseal(p.r, g_frame, n, g_out, 0, &mlen), 0);
	assert_int_equal(mlen, 0);

	/* A refused seal or unseal uses no nonce: the stream goes on. */
	flen = seal(p.i, 10);
	assert_int_equal(p2p_sec_unseal(p.r, g_frame, flen, g_out, 9, &mlen),
	                 EMBER_EINVAL);
	assert_int_equal(p2p_sec_unseal(p.r, g_frame, 3, g_out, sizeof g_out, &mlen),
	                 EMBER_EINVAL);
	assert_int_equal(p2p_sec_unseal(p.r, g_frame, flen, g_out, 10, &mlen), 0);
	assert_int_equal(mlen, 10);
	pair_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_and_exchange),
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_mitm),
		cmocka_unit_test(test_bad_hello),
		cmocka_unit_test(test_auth_bitflip),
		cmocka_unit_test(test_pinned_id),
		cmocka_unit_test(test_two_initiators),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_reorder_and_drop),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_frame_len),
		cmocka_unit_test(test_frame_header_mismatch),
		cmocka_unit_test(test_not_open),
		cmocka_unit_test(test_misuse),
	};
	return cmocka_run_group_tests(tests, setup_keys, NULL);
}
