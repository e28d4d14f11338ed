/* test_tx.c - transaction wire form, strict decoding, ids, signatures and
 * stateless checks.  The reference encoding is assembled byte by byte from
 * the layout in tx.h; the signing hash and txid are recomputed from those
 * bytes with SHA-256 directly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ember/hash.h"
#include "ember/key.h"
#include "ember/proof.h"
#include "ember/tx.h"

#define CHAIN "ember-test"
#define CHAIN_LEN 10
/* 1 version + 1 kind + 1 idlen + id + 32 from + 8 nonce + 8 fee + 32 to +
 * 8 amount + 64 sig */
#define REF_BODY_LEN (3 + CHAIN_LEN + 32 + 8 + 8 + 32 + 8)
#define REF_LEN (REF_BODY_LEN + 64)
#define OFF_IDLEN 2
#define OFF_ID 3
#define OFF_FROM (OFF_ID + CHAIN_LEN)

static uint8_t ref[REF_LEN];

/* The reference tx: nonce 5, fee 1000, amount 123456789 (0x075bcd15). */
static void build_ref(void)
{
	static const uint8_t nonce[8] = { 0x05, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t fee[8] = { 0xe8, 0x03, 0, 0, 0, 0, 0, 0 };
	static const uint8_t amount[8] = { 0x15, 0xcd, 0x5b, 0x07, 0, 0, 0, 0 };
	uint8_t *p = ref;
	*p++ = 0x01;
	*p++ = 0x01;
	*p++ = CHAIN_LEN;
	memcpy(p, CHAIN, CHAIN_LEN), p += CHAIN_LEN;
	memset(p, 0x44, 32), p += 32;
	memcpy(p, nonce, 8), p += 8;
	memcpy(p, fee, 8), p += 8;
	memset(p, 0x22, 32), p += 32;
	memcpy(p, amount, 8), p += 8;
	memset(p, 0x33, 64), p += 64;
	assert_int_equal(p - ref, REF_LEN);
}

static void ref_tx(struct ember_tx *tx)
{
	uint8_t from[32], to[32];
	memset(from, 0x44, 32);
	memset(to, 0x22, 32);
	assert_int_equal(ember_tx_init_transfer(tx, CHAIN, from, 5, 1000, to,
	                                        123456789), 0);
	memset(tx->sig, 0x33, 64);
}

/* BIP-340 tagged hash written out with plain SHA-256 (static: a proof
 * tx is far larger than a stack frame should be). */
static void tagged(const char *tag, const uint8_t *msg, size_t len,
                   uint8_t out[32])
{
	static uint8_t buf[64 + EMBER_TX_PROOF_MAX_SIZE];
	assert_true(len <= EMBER_TX_PROOF_MAX_SIZE);
	ember_sha256(tag, strlen(tag), buf);
	memcpy(buf + 32, buf, 32);
	memcpy(buf + 64, msg, len);
	ember_sha256(buf, 64 + len, out);
}

static void test_encode_matches_layout(void **state)
{
	struct ember_tx tx;
	uint8_t out[EMBER_TX_MAX_SIZE];
	size_t n = 0;
	(void)state;
	build_ref();
	ref_tx(&tx);
	assert_int_equal(ember_tx_encoded_size(&tx), REF_LEN);
	assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), 0);
	assert_int_equal(n, REF_LEN);
	assert_memory_equal(out, ref, REF_LEN);

	/* Every capacity short of the size fails without claiming a length. */
	for (size_t cap = 0; cap < REF_LEN; cap++) {
		n = 999;
		assert_int_equal(ember_tx_encode(&tx, out, cap, &n), EMBER_ENC_BUFFER);
		assert_int_equal(n, 999);
	}
}

static void test_decode_roundtrip(void **state)
{
	struct ember_tx tx;
	uint8_t out[EMBER_TX_MAX_SIZE], to[32];
	size_t n;
	(void)state;
	build_ref();
	assert_int_equal(ember_tx_decode(&tx, ref, REF_LEN), 0);
	assert_int_equal(tx.version, 1);
	assert_int_equal(tx.kind, EMBER_TX_TRANSFER);
	assert_int_equal(tx.chain_id_len, CHAIN_LEN);
	assert_string_equal(tx.chain_id, CHAIN);
	assert_memory_equal(tx.from, ref + OFF_FROM, 32);
	assert_true(tx.nonce == 5);
	assert_true(tx.fee == 1000);
	memset(to, 0x22, 32);
	assert_memory_equal(tx.u.transfer.to, to, 32);
	assert_true(tx.u.transfer.amount == 123456789);
	assert_memory_equal(tx.sig, ref + REF_BODY_LEN, 64);

	assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), 0);
	assert_int_equal(n, REF_LEN);
	assert_memory_equal(out, ref, REF_LEN);
}

static void test_max_chain_id(void **state)
{
	static const char id32[] = "abcdefghijklmnopqrstuvwxyz-01239";
	uint8_t k[32] = { 0 }, out[EMBER_TX_MAX_SIZE];
	struct ember_tx tx, back;
	size_t n;
	(void)state;
	assert_int_equal(strlen(id32), 32);
	assert_int_equal(ember_tx_init_transfer(&tx, id32, k, UINT64_MAX,
	                                        UINT64_MAX, k, UINT64_MAX), 0);
	assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), 0);
	assert_int_equal(n, 3 + 32 + 32 + 8 + 8 + 32 + 8 + 64);
	assert_int_equal(out[2], 32);
	assert_int_equal(ember_tx_decode(&back, out, n), 0);
	assert_string_equal(back.chain_id, id32);
	assert_true(back.nonce == UINT64_MAX && back.fee == UINT64_MAX &&
	            back.u.transfer.amount == UINT64_MAX);
}

static void test_ids(void **state)
{
	struct ember_tx tx;
	uint8_t h[32], want[32];
	(void)state;
	build_ref();
	ref_tx(&tx);
	assert_int_equal(ember_tx_sighash(&tx, h), 0);
	tagged("ember/tx", ref, REF_BODY_LEN, want);
	assert_memory_equal(h, want, 32);

	/* The signature is not part of the signing hash. */
	memset(tx.sig, 0x99, 64);
	assert_int_equal(ember_tx_sighash(&tx, h), 0);
	assert_memory_equal(h, want, 32);

	ember_txid(ref, REF_LEN, h);
	ember_sha256(ref, REF_LEN, want);
	assert_memory_equal(h, want, 32);
}

static void test_truncated_every_offset(void **state)
{
	struct ember_tx tx;
	(void)state;
	build_ref();
	for (size_t k = 0; k < REF_LEN; k++)
		assert_int_equal(ember_tx_decode(&tx, ref, k), EMBER_ENC_TRUNCATED);
}

static void test_trailing_and_oversize(void **state)
{
	static uint8_t big[EMBER_TX_MAX_SIZE + 2];
	struct ember_tx tx;
	(void)state;
	build_ref();
	memcpy(big, ref, REF_LEN);
	big[REF_LEN] = 0;
	assert_int_equal(ember_tx_decode(&tx, big, REF_LEN + 1), EMBER_ENC_TRAILING);
	assert_int_equal(ember_tx_decode(&tx, big, EMBER_TX_MAX_SIZE), EMBER_ENC_TRAILING);
	assert_int_equal(ember_tx_decode(&tx, big, EMBER_TX_MAX_SIZE + 1), EMBER_ENC_OVERSIZE);
	assert_int_equal(ember_tx_decode(&tx, big, EMBER_TX_MAX_SIZE + 2), EMBER_ENC_OVERSIZE);
}

static void test_version_and_kind(void **state)
{
	static const uint8_t bad[] = { 0x00, 0x11, 0x7f, 0x80, 0xff };
	uint8_t buf[REF_LEN];
	struct ember_tx tx;
	(void)state;
	build_ref();
	for (size_t i = 0; i < sizeof(bad); i++) {
		memcpy(buf, ref, REF_LEN);
		buf[0] = bad[i];
		assert_int_equal(ember_tx_decode(&tx, buf, REF_LEN), EMBER_ENC_VERSION);
		memcpy(buf, ref, REF_LEN);
		buf[1] = bad[i];
		assert_int_equal(ember_tx_decode(&tx, buf, REF_LEN), EMBER_ENC_KIND);
	}
}

/*
 * Replace the one-byte chain id length with `prefix` (varint bytes), keep
 * `idlen` bytes of id (padded with 'a'), then the rest of the reference.
 */
static size_t splice_id(uint8_t *out, const uint8_t *prefix, size_t plen,
                        size_t idlen)
{
	size_t n = 0;
	out[n++] = 0x01;
	out[n++] = 0x01;
	memcpy(out + n, prefix, plen), n += plen;
	for (size_t i = 0; i < idlen; i++)
		out[n++] = i < CHAIN_LEN ? (uint8_t)CHAIN[i] : 'a';
	memcpy(out + n, ref + OFF_FROM, REF_LEN - OFF_FROM);
	return n + REF_LEN - OFF_FROM;
}

static void test_chain_id_length(void **state)
{
	uint8_t buf[EMBER_TX_MAX_SIZE];
	struct ember_tx tx;
	size_t n;
	(void)state;
	build_ref();

	/* The splicer reproduces the reference for the honest prefix. */
	n = splice_id(buf, (const uint8_t[]){ 0x0a }, 1, 10);
	assert_int_equal(n, REF_LEN);
	assert_memory_equal(buf, ref, REF_LEN);

	n = splice_id(buf, (const uint8_t[]){ 0x00 }, 1, 0);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_OVERSIZE);
	n = splice_id(buf, (const uint8_t[]){ 0x21 }, 1, 33);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_OVERSIZE);
	n = splice_id(buf, (const uint8_t[]){ 0x20 }, 1, 32);
	assert_int_equal(ember_tx_decode(&tx, buf, n), 0);
	n = splice_id(buf, (const uint8_t[]){ 0x80, 0x01 }, 2, 128);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_OVERSIZE);
	n = splice_id(buf, (const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, 0);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_OVERSIZE);

	/* 10 spelled in two, three and ten bytes. */
	n = splice_id(buf, (const uint8_t[]){ 0x8a, 0x00 }, 2, 10);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_VARINT);
	n = splice_id(buf, (const uint8_t[]){ 0x8a, 0x80, 0x00 }, 3, 10);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_VARINT);
	n = splice_id(buf, (const uint8_t[]){ 0x8a, 0x80, 0x80, 0x80, 0x80,
	                                      0x80, 0x80, 0x80, 0x80, 0x00 }, 10, 10);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_VARINT);
	/* Longer than 10 bytes / beyond 64 bits. */
	n = splice_id(buf, (const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                      0xff, 0xff, 0xff, 0xff, 0x01 }, 11, 0);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_VARINT);
}

static void test_chain_id_charset(void **state)
{
	static const uint8_t bad[] = { 'A', 'Z', '_', ' ', '.', '/', ':', '`',
	                               '{', 0x00, 0x7f, 0x80, 0xc3, 0xff, '\n' };
	uint8_t buf[REF_LEN];
	struct ember_tx tx;
	(void)state;
	build_ref();
	for (size_t i = 0; i < sizeof(bad); i++) {
		/* First, middle and last position of the id. */
		static const size_t pos[] = { 0, 5, CHAIN_LEN - 1 };
		for (size_t j = 0; j < 3; j++) {
			memcpy(buf, ref, REF_LEN);
			buf[OFF_ID + pos[j]] = bad[i];
			assert_int_equal(ember_tx_decode(&tx, buf, REF_LEN),
			                 EMBER_ENC_CHARSET);
		}
	}
}

static void test_chain_id_valid(void **state)
{
	(void)state;
	assert_int_equal(ember_chain_id_valid("a", 1), 1);
	assert_int_equal(ember_chain_id_valid("-", 1), 1);
	assert_int_equal(ember_chain_id_valid("ember-1", 7), 1);
	assert_int_equal(ember_chain_id_valid("0123456789", 10), 1);
	assert_int_equal(ember_chain_id_valid("", 0), 0);
	assert_int_equal(ember_chain_id_valid("Ember", 5), 0);
	assert_int_equal(ember_chain_id_valid("a b", 3), 0);
	assert_int_equal(ember_chain_id_valid("a_b", 3), 0);
	assert_int_equal(ember_chain_id_valid("ab\0", 3), 0);
	assert_int_equal(ember_chain_id_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32), 1);
	assert_int_equal(ember_chain_id_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 33), 0);
	assert_int_equal(ember_chain_id_valid(NULL, 1), 0);
}

static void test_init_and_encode_misuse(void **state)
{
	uint8_t k[32] = { 0 }, out[EMBER_TX_MAX_SIZE];
	struct ember_tx tx;
	size_t n;
	(void)state;
	assert_int_equal(ember_tx_init_transfer(&tx, "", k, 0, 0, k, 1), EMBER_ENC_OVERSIZE);
	assert_int_equal(ember_tx_init_transfer(&tx, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	                                        k, 0, 0, k, 1), EMBER_ENC_OVERSIZE);
	assert_int_equal(ember_tx_init_transfer(&tx, "Ember", k, 0, 0, k, 1), EMBER_ENC_CHARSET);
	assert_int_equal(ember_tx_init_transfer(&tx, "a.b", k, 0, 0, k, 1), EMBER_ENC_CHARSET);
	assert_int_equal(ember_tx_init_transfer(&tx, NULL, k, 0, 0, k, 1), EMBER_EINVAL);

	/* The encoder refuses structs the decoder would reject. */
	ref_tx(&tx);
	tx.kind = EMBER_TX_KIND_MAX + 1;
	assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), EMBER_EINVAL);
	assert_int_equal(ember_tx_encoded_size(&tx), 0);
	tx.kind = 0;
	assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), EMBER_EINVAL);
	assert_int_equal(ember_tx_encoded_size(&tx), 0);
	ref_tx(&tx);
	tx.version = 2;
	assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), EMBER_EINVAL);
	ref_tx(&tx);
	tx.chain_id_len = 0;
	assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), EMBER_EINVAL);
	ref_tx(&tx);
	tx.chain_id[0] = 'E';
	assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), EMBER_EINVAL);
	assert_int_equal(ember_tx_sighash(&tx, out), EMBER_EINVAL);
	assert_int_equal(ember_tx_verify(&tx), 0);
}

static void make_key(struct ember_keypair *kp, uint8_t fill)
{
	uint8_t sk[32];
	memset(sk, fill, sizeof(sk));
	assert_int_equal(ember_keypair_from_seckey(kp, sk), 0);
}

static void signed_tx(struct ember_tx *tx, const char *chain,
                      const struct ember_keypair *kp)
{
	uint8_t to[32];
	memset(to, 0x22, 32);
	assert_int_equal(ember_tx_init_transfer(tx, chain, kp->pub, 7, 50, to, 1000), 0);
	assert_int_equal(ember_tx_sign(tx, kp), 0);
}

static void test_sign_verify(void **state)
{
	struct ember_keypair kp, other;
	struct ember_tx tx, t2;
	uint8_t h[32], enc[EMBER_TX_MAX_SIZE], body[EMBER_TX_MAX_SIZE];
	size_t n;
	(void)state;
	make_key(&kp, 0x11);
	make_key(&other, 0x12);
	signed_tx(&tx, CHAIN, &kp);
	assert_int_equal(ember_tx_verify(&tx), 1);

	/* The signature is over our independently computed signing hash. */
	assert_int_equal(ember_tx_encode(&tx, enc, sizeof(enc), &n), 0);
	memcpy(body, enc, n - 64);
	tagged("ember/tx", body, n - 64, h);
	assert_int_equal(ember_schnorr_verify(kp.pub, h, 32, enc + n - 64), 1);

	/* Flipping any bit of the body either breaks decoding or the signature;
	 * flipping any bit of the signature breaks it. */
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			uint8_t mod[EMBER_TX_MAX_SIZE];
			memcpy(mod, enc, n);
			mod[i] ^= (uint8_t)(1u << bit);
			if (ember_tx_decode(&t2, mod, n) == 0)
				assert_int_equal(ember_tx_verify(&t2), 0);
		}
	}

	/* Field edits on the struct. */
	t2 = tx, t2.nonce++;
	assert_int_equal(ember_tx_verify(&t2), 0);
	t2 = tx, t2.fee--;
	assert_int_equal(ember_tx_verify(&t2), 0);
	t2 = tx, t2.u.transfer.amount++;
	assert_int_equal(ember_tx_verify(&t2), 0);
	t2 = tx, t2.u.transfer.to[31] ^= 1;
	assert_int_equal(ember_tx_verify(&t2), 0);
	t2 = tx, memcpy(t2.from, other.pub, 32);
	assert_int_equal(ember_tx_verify(&t2), 0);

	/* Only the sender's key signs; a refusal leaves the tx as it was. */
	t2 = tx;
	assert_int_equal(ember_tx_sign(&t2, &other), EMBER_EINVAL);
	assert_memory_equal(t2.sig, tx.sig, 64);
	assert_int_equal(ember_tx_verify(&t2), 1);
}

static void test_no_cross_chain_replay(void **state)
{
	struct ember_keypair kp;
	struct ember_tx tx, moved;
	(void)state;
	make_key(&kp, 0x11);
	signed_tx(&tx, "a", &kp);
	assert_int_equal(ember_tx_verify(&tx), 1);
	assert_int_equal(ember_tx_check(&tx, "a", 1), 0);

	moved = tx;
	moved.chain_id[0] = 'b';
	assert_int_equal(ember_tx_verify(&moved), 0);
	assert_int_equal(ember_tx_check(&tx, "b", 1), EMBER_TX_WRONG_CHAIN);

	/* Same signature, longer id with the same prefix. */
	moved = tx;
	memcpy(moved.chain_id, "ab", 3);
	moved.chain_id_len = 2;
	assert_int_equal(ember_tx_verify(&moved), 0);
}

static void test_check(void **state)
{
	struct ember_tx tx;
	uint8_t k[32] = { 0 };
	(void)state;
	assert_int_equal(ember_tx_init_transfer(&tx, CHAIN, k, 0, 100, k, 5), 0);
	assert_int_equal(ember_tx_check(&tx, CHAIN, 100), 0);
	assert_int_equal(ember_tx_check(&tx, CHAIN, 0), 0);
	assert_int_equal(ember_tx_check(&tx, CHAIN, 101), EMBER_TX_FEE_LOW);
	assert_int_equal(ember_tx_check(&tx, "ember-tes", 1), EMBER_TX_WRONG_CHAIN);
	assert_int_equal(ember_tx_check(&tx, "ember-test2", 1), EMBER_TX_WRONG_CHAIN);
	assert_int_equal(ember_tx_check(&tx, "", 1), EMBER_TX_WRONG_CHAIN);
	assert_int_equal(ember_tx_check(&tx, "EMBER-TEST", 1), EMBER_TX_WRONG_CHAIN);
	/* Wrong chain is reported before a low fee. */
	assert_int_equal(ember_tx_check(&tx, "x", 1000), EMBER_TX_WRONG_CHAIN);
	assert_true(ember_tx_cost(&tx) == 105);

	tx.u.transfer.amount = 0;
	assert_int_equal(ember_tx_check(&tx, CHAIN, 1), EMBER_TX_ZERO_AMOUNT);
	assert_true(ember_tx_cost(&tx) == 100);

	tx.u.transfer.amount = UINT64_MAX - 100;
	assert_int_equal(ember_tx_check(&tx, CHAIN, 1), 0);
	assert_true(ember_tx_cost(&tx) == UINT64_MAX);
	tx.u.transfer.amount = UINT64_MAX - 99;
	assert_int_equal(ember_tx_check(&tx, CHAIN, 1), EMBER_TX_OVERFLOW);
	assert_true(ember_tx_cost(&tx) == 0);
	tx.u.transfer.amount = 1;
	tx.fee = UINT64_MAX;
	assert_int_equal(ember_tx_check(&tx, CHAIN, 1), EMBER_TX_OVERFLOW);
	assert_true(ember_tx_cost(&tx) == 0);
}

/*
 * Every kind.  Each case fills a payload through the struct and, separately,
 * writes the bytes tx.h's "Payload wire forms" says it must encode to, with
 * the test's own little-endian writer.  Values use distinct bytes so a
 * swapped field or a wrong byte order shows.
 */

static uint8_t *put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + n;
}

static uint8_t *put_raw(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

static uint8_t *put_fill(uint8_t *p, uint8_t b, size_t n)
{
	memset(p, b, n);
	return p + n;
}

#define REGION_16 "abcdefghij-01234"
#define ENDPOINT_1 "https://gpu.example:8443/x"

/* 128 bytes running through every allowed endpoint byte, '!' to '~'. */
static void endpoint_128(char out[129])
{
	for (int i = 0; i < 128; i++)
		out[i] = (char)(0x21 + i % 94);
	out[128] = '\0';
}

static void fill_transfer(struct ember_tx *tx)
{
	memset(tx->u.transfer.to, 0x22, 32);
	tx->u.transfer.amount = 0x0102030405060708ULL;
}
static uint8_t *wire_transfer(uint8_t *p)
{
	p = put_fill(p, 0x22, 32);
	return put_raw(p, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
}

static void fill_stake(struct ember_tx *tx)
{
	tx->u.amount.amount = 0x1122334455667788ULL;
}
static uint8_t *wire_stake(uint8_t *p)
{
	return put_raw(p, "\x88\x77\x66\x55\x44\x33\x22\x11", 8);
}

static void fill_unstake(struct ember_tx *tx)
{
	tx->u.amount.amount = 0x8877665544332211ULL;
}
static uint8_t *wire_unstake(uint8_t *p)
{
	return put_raw(p, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
}

static void fill_register(struct ember_tx *tx)
{
	struct ember_tx_provider *pr = &tx->u.provider;
	pr->gpu_class = 0x1234;
	pr->gpus = 0x0a0b;
	pr->vram_gib = 0x11223344;
	pr->price_per_gpu_hour = 0xa1b2c3d4e5ULL;
	assert_int_equal(ember_tx_set_provider_strings(pr, "eu-west-1",
	                                               ENDPOINT_1), 0);
}
static uint8_t *wire_register(uint8_t *p)
{
	p = put_raw(p, "\x34\x12", 2);
	p = put_raw(p, "\x0b\x0a\x00\x00", 4);
	p = put_raw(p, "\x44\x33\x22\x11", 4);
	p = put_raw(p, "\xe5\xd4\xc3\xb2\xa1\x00\x00\x00", 8);
	*p++ = 9;
	p = put_raw(p, "eu-west-1", 9);
	*p++ = 26;
	return put_raw(p, ENDPOINT_1, 26);
}

/* Both strings at their maximum; the endpoint's length takes a 2-byte
 * varint. */
static void fill_update(struct ember_tx *tx)
{
	struct ember_tx_provider *pr = &tx->u.provider;
	char ep[129];
	endpoint_128(ep);
	pr->gpu_class = 0xfffe;
	pr->gpus = EMBER_GPUS_MAX;
	pr->vram_gib = 0xfedcba98;
	pr->price_per_gpu_hour = EMBER_PRICE_MAX;
	assert_int_equal(ember_tx_set_provider_strings(pr, REGION_16, ep), 0);
}
static uint8_t *wire_update(uint8_t *p)
{
	char ep[129];
	endpoint_128(ep);
	p = put_raw(p, "\xfe\xff", 2);
	p = put_raw(p, "\x00\x10\x00\x00", 4);
	p = put_raw(p, "\x98\xba\xdc\xfe", 4);
	/* 10^12 = 0xe8d4a51000 */
	p = put_raw(p, "\x00\x10\xa5\xd4\xe8\x00\x00\x00", 8);
	*p++ = 16;
	p = put_raw(p, REGION_16, 16);
	*p++ = 0x80;
	*p++ = 0x01;
	return put_raw(p, ep, 128);
}

static void fill_empty(struct ember_tx *tx)
{
	(void)tx;
}
static uint8_t *wire_empty(uint8_t *p)
{
	return p;
}

static void fill_order(struct ember_tx *tx)
{
	struct ember_tx_order *o = &tx->u.order;
	o->gpu_class = 0x0102;
	o->gpus = 0x0304;
	o->max_price_per_gpu_hour = 0x0506070809ULL;
	o->duration_blocks = 0x01020304;
	o->deposit = 0x0a0b0c0d0e0f1011ULL;
}
static uint8_t *wire_order(uint8_t *p)
{
	p = put_raw(p, "\x02\x01", 2);
	p = put_raw(p, "\x04\x03\x00\x00", 4);
	p = put_raw(p, "\x09\x08\x07\x06\x05\x00\x00\x00", 8);
	p = put_raw(p, "\x04\x03\x02\x01\x00\x00\x00\x00", 8);
	return put_raw(p, "\x11\x10\x0f\x0e\x0d\x0c\x0b\x0a", 8);
}

static void fill_bid(struct ember_tx *tx)
{
	tx->u.bid.order_id = 0x0102030405060708ULL;
	tx->u.bid.price_per_gpu_hour = 0x0a0b0c0d0eULL;
}
static uint8_t *wire_bid(uint8_t *p)
{
	p = put_raw(p, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
	return put_raw(p, "\x0e\x0d\x0c\x0b\x0a\x00\x00\x00", 8);
}

static void fill_accept(struct ember_tx *tx)
{
	tx->u.accept.order_id = 0x1112131415161718ULL;
	memset(tx->u.accept.provider, 0x55, 32);
}
static uint8_t *wire_accept(uint8_t *p)
{
	p = put_raw(p, "\x18\x17\x16\x15\x14\x13\x12\x11", 8);
	return put_fill(p, 0x55, 32);
}

static void fill_close(struct ember_tx *tx)
{
	tx->u.ref.id = 0x2122232425262728ULL;
}
static uint8_t *wire_close(uint8_t *p)
{
	return put_raw(p, "\x28\x27\x26\x25\x24\x23\x22\x21", 8);
}

static void fill_topup(struct ember_tx *tx)
{
	tx->u.amount.lease_id = 0x3132333435363738ULL;
	tx->u.amount.amount = 0x4142434445464748ULL;
}
static uint8_t *wire_topup(uint8_t *p)
{
	p = put_raw(p, "\x38\x37\x36\x35\x34\x33\x32\x31", 8);
	return put_raw(p, "\x48\x47\x46\x45\x44\x43\x42\x41", 8);
}

static void fill_price(struct ember_tx *tx)
{
	tx->u.price.price_uusd = 0x0000e8d4a50fffULL;
}
static uint8_t *wire_price(uint8_t *p)
{
	return put_raw(p, "\xff\x0f\xa5\xd4\xe8\x00\x00\x00", 8);
}

static void fill_maint(struct ember_tx *tx)
{
	tx->u.maint.epoch = 0x5152535455565758ULL;
}
static uint8_t *wire_maint(uint8_t *p)
{
	return put_raw(p, "\x58\x57\x56\x55\x54\x53\x52\x51", 8);
}

static void fill_evidence(struct ember_tx *tx)
{
	struct ember_tx_evidence *e = &tx->u.evidence;
	memset(e->validator, 0x61, 32);
	e->vote_type = 2;
	e->height = 0x0102030405060708ULL;
	e->round = 0x0a0b0c0d;
	memset(e->hash_a, 0x71, 32);
	e->time_a = 0x1112131415161718ULL;
	memset(e->sig_a, 0x72, 64);
	memset(e->hash_b, 0x73, 32);
	e->time_b = 0x2122232425262728ULL;
	memset(e->sig_b, 0x74, 64);
}
static uint8_t *wire_evidence(uint8_t *p)
{
	p = put_fill(p, 0x61, 32);
	*p++ = 2;
	p = put_raw(p, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
	p = put_raw(p, "\x0d\x0c\x0b\x0a", 4);
	p = put_fill(p, 0x71, 32);
	p = put_raw(p, "\x18\x17\x16\x15\x14\x13\x12\x11", 8);   /* time_a */
	p = put_fill(p, 0x72, 64);
	p = put_fill(p, 0x73, 32);
	p = put_raw(p, "\x28\x27\x26\x25\x24\x23\x22\x21", 8);   /* time_b */
	return put_fill(p, 0x74, 64);
}

/* 300 bytes: the length takes a 2-byte varint (0xac 0x02). */
#define KC_PROOF_LEN 300
static uint8_t kc_proof_body[KC_PROOF_LEN];

static void fill_proof(struct ember_tx *tx)
{
	for (size_t i = 0; i < KC_PROOF_LEN; i++)
		kc_proof_body[i] = (uint8_t)(i * 7 + 3);
	tx->u.proof.epoch = 0x6162636465666768ULL;
	tx->u.proof.body = kc_proof_body;
	tx->u.proof.body_len = KC_PROOF_LEN;
}
static uint8_t *wire_proof(uint8_t *p)
{
	p = put_raw(p, "\x68\x67\x66\x65\x64\x63\x62\x61", 8);
	*p++ = 0xac;
	*p++ = 0x02;
	for (size_t i = 0; i < KC_PROOF_LEN; i++)
		*p++ = (uint8_t)(i * 7 + 3);
	return p;
}

struct kcase {
	uint8_t kind;
	const char *name;
	void (*fill)(struct ember_tx *tx);
	uint8_t *(*wire)(uint8_t *p);
	size_t payload_len;    /* counted by hand from the wire form */
	uint64_t locked;       /* what ember_tx_cost adds to the fee */
};

static const struct kcase kcases[] = {
	{ 1, "transfer", fill_transfer, wire_transfer, 40, 0x0102030405060708ULL },
	{ 2, "stake", fill_stake, wire_stake, 8, 0x1122334455667788ULL },
	{ 3, "unstake", fill_unstake, wire_unstake, 8, 0 },
	{ 4, "provider_register", fill_register, wire_register, 18 + 10 + 27, 0 },
	{ 5, "provider_update", fill_update, wire_update, 18 + 17 + 130, 0 },
	{ 6, "provider_retire", fill_empty, wire_empty, 0, 0 },
	{ 7, "order", fill_order, wire_order, 30, 0x0a0b0c0d0e0f1011ULL },
	{ 8, "bid", fill_bid, wire_bid, 16, 0 },
	{ 9, "accept", fill_accept, wire_accept, 40, 0 },
	{ 10, "close", fill_close, wire_close, 8, 0 },
	{ 11, "topup", fill_topup, wire_topup, 16, 0x4142434445464748ULL },
	{ 12, "claim", fill_empty, wire_empty, 0, 0 },
	{ 13, "price", fill_price, wire_price, 8, 0 },
	{ 14, "maintenance", fill_maint, wire_maint, 8, 0 },
	{ 15, "evidence", fill_evidence, wire_evidence,
	  32 + 1 + 8 + 4 + 2 * (32 + 8 + 64), 0 },
	{ 16, "proof", fill_proof, wire_proof, 8 + 2 + KC_PROOF_LEN, 0 },
};
#define NKCASES (sizeof(kcases) / sizeof(kcases[0]))

#define KC_NONCE 5
#define KC_FEE 1000
#define KC_HEAD_LEN (3 + CHAIN_LEN + 32 + 8 + 8)

static const struct kcase *kcase_of(uint8_t kind)
{
	for (size_t i = 0; i < NKCASES; i++)
		if (kcases[i].kind == kind)
			return &kcases[i];
	fail_msg("no case for kind %u", kind);
	return NULL;
}

static void kc_tx(struct ember_tx *tx, const struct kcase *c,
                  const uint8_t from[32])
{
	/* Dirty first: init must clear every byte it does not set. */
	memset(tx, 0xa5, sizeof(*tx));
	assert_int_equal(ember_tx_init(tx, c->kind, CHAIN, from, KC_NONCE,
	                               KC_FEE), 0);
	c->fill(tx);
	memset(tx->sig, 0x33, 64);
}

/* The expected encoding: header, payload, 64 bytes of 0x33 as the sig. */
static size_t kc_bytes(const struct kcase *c, const uint8_t from[32],
                       uint8_t *out)
{
	uint8_t *p = out;
	*p++ = 0x01;
	*p++ = c->kind;
	*p++ = CHAIN_LEN;
	p = put_raw(p, CHAIN, CHAIN_LEN);
	p = put_raw(p, from, 32);
	p = put_le(p, KC_NONCE, 8);
	p = put_le(p, KC_FEE, 8);
	p = c->wire(p);
	p = put_fill(p, 0x33, 64);
	assert_int_equal(p - out, KC_HEAD_LEN + c->payload_len + 64);
	return (size_t)(p - out);
}

static void assert_same_tx(const struct ember_tx *a, const struct ember_tx *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->chain_id_len, b->chain_id_len);
	assert_string_equal(a->chain_id, b->chain_id);
	assert_memory_equal(a->from, b->from, 32);
	assert_true(a->nonce == b->nonce);
	assert_true(a->fee == b->fee);
	assert_memory_equal(a->sig, b->sig, 64);

	switch (a->kind) {
	case EMBER_TX_TRANSFER:
		assert_memory_equal(a->u.transfer.to, b->u.transfer.to, 32);
		assert_true(a->u.transfer.amount == b->u.transfer.amount);
		break;
	case EMBER_TX_STAKE:
	case EMBER_TX_UNSTAKE:
	case EMBER_TX_TOPUP:
		assert_true(a->u.amount.lease_id == b->u.amount.lease_id);
		assert_true(a->u.amount.amount == b->u.amount.amount);
		break;
	case EMBER_TX_PROV_REGISTER:
	case EMBER_TX_PROV_UPDATE: {
		const struct ember_tx_provider *p = &a->u.provider, *q = &b->u.provider;
		assert_int_equal(p->gpu_class, q->gpu_class);
		assert_int_equal(p->gpus, q->gpus);
		assert_int_equal(p->vram_gib, q->vram_gib);
		assert_true(p->price_per_gpu_hour == q->price_per_gpu_hour);
		assert_int_equal(p->region_len, q->region_len);
		assert_string_equal(p->region, q->region);
		assert_int_equal(strlen(p->region), p->region_len);
		assert_int_equal(p->endpoint_len, q->endpoint_len);
		assert_string_equal(p->endpoint, q->endpoint);
		assert_int_equal(strlen(p->endpoint), p->endpoint_len);
		break;
	}
	case EMBER_TX_ORDER: {
		const struct ember_tx_order *o = &a->u.order, *q = &b->u.order;
		assert_int_equal(o->gpu_class, q->gpu_class);
		assert_int_equal(o->gpus, q->gpus);
		assert_true(o->max_price_per_gpu_hour == q->max_price_per_gpu_hour);
		assert_true(o->duration_blocks == q->duration_blocks);
		assert_true(o->deposit == q->deposit);
		break;
	}
	case EMBER_TX_BID:
		assert_true(a->u.bid.order_id == b->u.bid.order_id);
		assert_true(a->u.bid.price_per_gpu_hour == b->u.bid.price_per_gpu_hour);
		break;
	case EMBER_TX_ACCEPT:
		assert_true(a->u.accept.order_id == b->u.accept.order_id);
		assert_memory_equal(a->u.accept.provider, b->u.accept.provider, 32);
		break;
	case EMBER_TX_CLOSE:
		assert_true(a->u.ref.id == b->u.ref.id);
		break;
	case EMBER_TX_PRICE:
		assert_true(a->u.price.price_uusd == b->u.price.price_uusd);
		break;
	case EMBER_TX_MAINTENANCE:
		assert_true(a->u.maint.epoch == b->u.maint.epoch);
		break;
	case EMBER_TX_EVIDENCE: {
		const struct ember_tx_evidence *e = &a->u.evidence, *f = &b->u.evidence;
		assert_memory_equal(e->validator, f->validator, 32);
		assert_int_equal(e->vote_type, f->vote_type);
		assert_true(e->height == f->height);
		assert_int_equal(e->round, f->round);
		assert_memory_equal(e->hash_a, f->hash_a, 32);
		assert_true(e->time_a == f->time_a);
		assert_memory_equal(e->sig_a, f->sig_a, 64);
		assert_memory_equal(e->hash_b, f->hash_b, 32);
		assert_true(e->time_b == f->time_b);
		assert_memory_equal(e->sig_b, f->sig_b, 64);
		break;
	}
	case EMBER_TX_PROOF:
		assert_true(a->u.proof.epoch == b->u.proof.epoch);
		assert_int_equal(a->u.proof.body_len, b->u.proof.body_len);
		assert_memory_equal(a->u.proof.body, b->u.proof.body,
		                    a->u.proof.body_len);
		break;
	case EMBER_TX_PROV_RETIRE:
	case EMBER_TX_CLAIM:
		break;
	default:
		fail_msg("unexpected kind %u", a->kind);
	}
}

static void test_kinds_encode_layout(void **state)
{
	uint8_t from[32], want[EMBER_TX_MAX_SIZE], out[EMBER_TX_MAX_SIZE];
	uint8_t h[32], hw[32];
	struct ember_tx tx;
	size_t len, n;
	(void)state;
	memset(from, 0x44, 32);
	for (size_t i = 0; i < NKCASES; i++) {
		const struct kcase *c = &kcases[i];
		kc_tx(&tx, c, from);
		len = kc_bytes(c, from, want);
		assert_int_equal(ember_tx_encoded_size(&tx), len);
		assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, want, len);
		assert_int_equal(ember_tx_sighash(&tx, h), 0);
		tagged("ember/tx", want, len - 64, hw);
		assert_memory_equal(h, hw, 32);
		for (size_t cap = 0; cap < len; cap++)
			assert_int_equal(ember_tx_encode(&tx, out, cap, &n),
			                 EMBER_ENC_BUFFER);
	}
}

static void test_kinds_decode_roundtrip(void **state)
{
	uint8_t from[32], want[EMBER_TX_MAX_SIZE], out[EMBER_TX_MAX_SIZE];
	struct ember_tx tx, back;
	size_t len, n;
	(void)state;
	memset(from, 0x44, 32);
	for (size_t i = 0; i < NKCASES; i++) {
		const struct kcase *c = &kcases[i];
		kc_tx(&tx, c, from);
		len = kc_bytes(c, from, want);
		memset(&back, 0xa5, sizeof(back));
		assert_int_equal(ember_tx_decode(&back, want, len), 0);
		assert_same_tx(&back, &tx);
		assert_int_equal(ember_tx_encode(&back, out, sizeof(out), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, want, len);
	}
}

static void test_kinds_sign_verify(void **state)
{
	struct ember_keypair kp;
	uint8_t enc[EMBER_TX_MAX_SIZE], mod[EMBER_TX_MAX_SIZE], h[32];
	struct ember_tx tx, t2;
	size_t n;
	(void)state;
	make_key(&kp, 0x21);
	for (size_t i = 0; i < NKCASES; i++) {
		const struct kcase *c = &kcases[i];
		kc_tx(&tx, c, kp.pub);
		assert_int_equal(ember_tx_sign(&tx, &kp), 0);
		assert_int_equal(ember_tx_verify(&tx), 1);

		assert_int_equal(ember_tx_encode(&tx, enc, sizeof(enc), &n), 0);
		tagged("ember/tx", enc, n - 64, h);
		assert_int_equal(ember_schnorr_verify(kp.pub, h, 32, enc + n - 64), 1);
		assert_int_equal(ember_tx_decode(&t2, enc, n), 0);
		assert_int_equal(ember_tx_verify(&t2), 1);

		/* One bit of every byte, signature included: the result either
		 * fails to decode or fails to verify. */
		for (size_t j = 0; j < n; j++) {
			memcpy(mod, enc, n);
			mod[j] ^= (uint8_t)(1u << (j % 8));
			if (ember_tx_decode(&t2, mod, n) == 0)
				assert_int_equal(ember_tx_verify(&t2), 0);
		}
	}
}

static void test_kinds_truncated_and_trailing(void **state)
{
	uint8_t from[32], buf[EMBER_TX_MAX_SIZE];
	struct ember_tx tx;
	size_t len;
	(void)state;
	memset(from, 0x44, 32);
	for (size_t i = 0; i < NKCASES; i++) {
		len = kc_bytes(&kcases[i], from, buf);
		for (size_t k = 0; k < len; k++)
			assert_int_equal(ember_tx_decode(&tx, buf, k),
			                 EMBER_ENC_TRUNCATED);
		buf[len] = 0x00;
		assert_int_equal(ember_tx_decode(&tx, buf, len + 1),
		                 EMBER_ENC_TRAILING);
		buf[len] = 0xff;
		assert_int_equal(ember_tx_decode(&tx, buf, len + 1),
		                 EMBER_ENC_TRAILING);
	}
}

/*
 * A provider_register with the two string fields spelled out raw: each
 * is its length prefix (varint bytes) then its bytes.
 */
static size_t prov_bytes(uint8_t *out, const uint8_t *rpre, size_t rplen,
                         const char *region, size_t rlen, const uint8_t *epre,
                         size_t eplen, const char *endpoint, size_t elen)
{
	uint8_t from[32], *p = out;
	memset(from, 0x44, 32);
	*p++ = 0x01;
	*p++ = EMBER_TX_PROV_REGISTER;
	*p++ = CHAIN_LEN;
	p = put_raw(p, CHAIN, CHAIN_LEN);
	p = put_raw(p, from, 32);
	p = put_le(p, KC_NONCE, 8);
	p = put_le(p, KC_FEE, 8);
	p = put_le(p, 1, 2);
	p = put_le(p, 8, 4);
	p = put_le(p, 80, 4);
	p = put_le(p, 1000, 8);
	p = put_raw(p, rpre, rplen);
	p = put_raw(p, region, rlen);
	p = put_raw(p, epre, eplen);
	p = put_raw(p, endpoint, elen);
	p = put_fill(p, 0x33, 64);
	return (size_t)(p - out);
}

#define PRE(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

static void test_provider_strings_wire(void **state)
{
	static const uint8_t bad_region[] = { 'A', 'Z', '_', ' ', '.', '/', ':',
	                                      0x00, 0x7f, 0x80, 0xff, '\n' };
	static const uint8_t bad_endpoint[] = { ' ', 0x00, 0x09, 0x0a, 0x1f,
	                                        0x7f, 0x80, 0xc3, 0xff };
	char long_str[200], ep[129];
	uint8_t buf[EMBER_TX_MAX_SIZE];
	struct ember_tx tx;
	size_t n;
	(void)state;
	memset(long_str, 'a', sizeof(long_str));
	endpoint_128(ep);

	n = prov_bytes(buf, PRE(2), "eu", 2, PRE(3), "h:1", 3);
	assert_int_equal(ember_tx_decode(&tx, buf, n), 0);
	assert_string_equal(tx.u.provider.region, "eu");
	assert_string_equal(tx.u.provider.endpoint, "h:1");

	/* Region: length 1..16. */
	n = prov_bytes(buf, PRE(0), "", 0, PRE(3), "h:1", 3);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_OVERSIZE);
	n = prov_bytes(buf, PRE(1), "a", 1, PRE(3), "h:1", 3);
	assert_int_equal(ember_tx_decode(&tx, buf, n), 0);
	n = prov_bytes(buf, PRE(16), long_str, 16, PRE(3), "h:1", 3);
	assert_int_equal(ember_tx_decode(&tx, buf, n), 0);
	n = prov_bytes(buf, PRE(17), long_str, 17, PRE(3), "h:1", 3);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_OVERSIZE);
	n = prov_bytes(buf, PRE(0xff, 0xff, 0x03), "", 0, PRE(3), "h:1", 3);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_OVERSIZE);
	/* 2 spelled in two bytes. */
	n = prov_bytes(buf, PRE(0x82, 0x00), "eu", 2, PRE(3), "h:1", 3);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_VARINT);

	/* Endpoint: length 1..128, 128 needing a 2-byte varint. */
	n = prov_bytes(buf, PRE(2), "eu", 2, PRE(0), "", 0);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_OVERSIZE);
	n = prov_bytes(buf, PRE(2), "eu", 2, PRE(1), "h", 1);
	assert_int_equal(ember_tx_decode(&tx, buf, n), 0);
	n = prov_bytes(buf, PRE(127), ep, 127, PRE(2), "eu", 2);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_OVERSIZE);
	n = prov_bytes(buf, PRE(2), "eu", 2, PRE(127), ep, 127);
	assert_int_equal(ember_tx_decode(&tx, buf, n), 0);
	n = prov_bytes(buf, PRE(2), "eu", 2, PRE(0x80, 0x01), ep, 128);
	assert_int_equal(ember_tx_decode(&tx, buf, n), 0);
	assert_int_equal(tx.u.provider.endpoint_len, 128);
	assert_memory_equal(tx.u.provider.endpoint, ep, 129);
	n = prov_bytes(buf, PRE(2), "eu", 2, PRE(0x81, 0x01), long_str, 129);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_OVERSIZE);
	n = prov_bytes(buf, PRE(2), "eu", 2, PRE(0x83, 0x00), "h:1", 3);
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_VARINT);

	/* Forbidden bytes at the first, a middle and the last position. */
	for (size_t i = 0; i < sizeof(bad_region); i++) {
		for (size_t pos = 0; pos < 3; pos++) {
			char r[3] = { 'e', 'u', '1' };
			r[pos] = (char)bad_region[i];
			n = prov_bytes(buf, PRE(3), r, 3, PRE(3), "h:1", 3);
			assert_int_equal(ember_tx_decode(&tx, buf, n),
			                 EMBER_ENC_CHARSET);
		}
	}
	for (size_t i = 0; i < sizeof(bad_endpoint); i++) {
		for (size_t pos = 0; pos < 3; pos++) {
			char e[3] = { 'h', ':', '1' };
			e[pos] = (char)bad_endpoint[i];
			n = prov_bytes(buf, PRE(2), "eu", 2, PRE(3), e, 3);
			assert_int_equal(ember_tx_decode(&tx, buf, n),
			                 EMBER_ENC_CHARSET);
		}
	}
}

static void test_provider_strings_api(void **state)
{
	char long_str[200], ep[129];
	struct ember_tx_provider p, before;
	struct ember_tx tx;
	uint8_t from[32], out[EMBER_TX_MAX_SIZE];
	size_t n;
	(void)state;
	memset(long_str, 'a', sizeof(long_str));
	long_str[sizeof(long_str) - 1] = '\0';
	endpoint_128(ep);

	assert_int_equal(ember_region_valid("a", 1), 1);
	assert_int_equal(ember_region_valid("us-east-2", 9), 1);
	assert_int_equal(ember_region_valid(REGION_16, 16), 1);
	assert_int_equal(ember_region_valid(long_str, 17), 0);
	assert_int_equal(ember_region_valid("", 0), 0);
	assert_int_equal(ember_region_valid("US", 2), 0);
	assert_int_equal(ember_region_valid("a_b", 3), 0);
	assert_int_equal(ember_region_valid("a\0", 2), 0);
	assert_int_equal(ember_region_valid(NULL, 1), 0);
	assert_int_equal(ember_endpoint_valid("!", 1), 1);
	assert_int_equal(ember_endpoint_valid("~", 1), 1);
	assert_int_equal(ember_endpoint_valid(ep, 128), 1);
	assert_int_equal(ember_endpoint_valid(long_str, 129), 0);
	assert_int_equal(ember_endpoint_valid("", 0), 0);
	assert_int_equal(ember_endpoint_valid("a b", 3), 0);
	assert_int_equal(ember_endpoint_valid("a\x7f", 2), 0);
	assert_int_equal(ember_endpoint_valid("a\x80", 2), 0);
	assert_int_equal(ember_endpoint_valid("a\0", 2), 0);
	assert_int_equal(ember_endpoint_valid(NULL, 1), 0);

	memset(&p, 0, sizeof(p));
	assert_int_equal(ember_tx_set_provider_strings(&p, "eu", "h:1"), 0);
	assert_int_equal(p.region_len, 2);
	assert_string_equal(p.region, "eu");
	assert_int_equal(p.endpoint_len, 3);
	assert_string_equal(p.endpoint, "h:1");
	/* A shorter string leaves no tail of the longer one. */
	assert_int_equal(ember_tx_set_provider_strings(&p, REGION_16, ep), 0);
	assert_int_equal(ember_tx_set_provider_strings(&p, "x", "y"), 0);
	assert_memory_equal(p.region, "x\0\0", 3);
	assert_memory_equal(p.endpoint, "y\0\0", 3);

	/* Each refusal names its rule and leaves p as it was. */
	before = p;
	assert_int_equal(ember_tx_set_provider_strings(&p, "", "h"), EMBER_ENC_OVERSIZE);
	long_str[17] = '\0';
	assert_int_equal(ember_tx_set_provider_strings(&p, long_str, "h"), EMBER_ENC_OVERSIZE);
	long_str[17] = 'a';
	assert_int_equal(ember_tx_set_provider_strings(&p, "EU", "h"), EMBER_ENC_CHARSET);
	assert_int_equal(ember_tx_set_provider_strings(&p, "eu", ""), EMBER_ENC_OVERSIZE);
	long_str[129] = '\0';
	assert_int_equal(ember_tx_set_provider_strings(&p, "eu", long_str), EMBER_ENC_OVERSIZE);
	assert_int_equal(ember_tx_set_provider_strings(&p, "eu", "h 1"), EMBER_ENC_CHARSET);
	assert_int_equal(ember_tx_set_provider_strings(&p, NULL, "h"), EMBER_EINVAL);
	assert_int_equal(ember_tx_set_provider_strings(&p, "eu", NULL), EMBER_EINVAL);
	assert_int_equal(p.region_len, before.region_len);
	assert_memory_equal(p.region, before.region, sizeof(p.region));
	assert_int_equal(p.endpoint_len, before.endpoint_len);
	assert_memory_equal(p.endpoint, before.endpoint, sizeof(p.endpoint));

	/* The encoder refuses strings the decoder would reject. */
	memset(from, 0x44, 32);
	kc_tx(&tx, kcase_of(EMBER_TX_PROV_REGISTER), from);
	tx.u.provider.region_len = 0;
	assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), EMBER_EINVAL);
	assert_int_equal(ember_tx_encoded_size(&tx), 0);
	assert_int_equal(ember_tx_sighash(&tx, out), EMBER_EINVAL);
	kc_tx(&tx, kcase_of(EMBER_TX_PROV_UPDATE), from);
	tx.u.provider.region[3] = 'A';
	assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), EMBER_EINVAL);
	kc_tx(&tx, kcase_of(EMBER_TX_PROV_UPDATE), from);
	tx.u.provider.region_len = EMBER_REGION_MAX + 1;
	assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), EMBER_EINVAL);
	kc_tx(&tx, kcase_of(EMBER_TX_PROV_UPDATE), from);
	tx.u.provider.endpoint[127] = ' ';
	assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), EMBER_EINVAL);
	kc_tx(&tx, kcase_of(EMBER_TX_PROV_UPDATE), from);
	tx.u.provider.endpoint_len = EMBER_ENDPOINT_MAX + 1;
	assert_int_equal(ember_tx_encode(&tx, out, sizeof(out), &n), EMBER_EINVAL);
}

static void test_tx_init(void **state)
{
	static const uint8_t zero[sizeof(((struct ember_tx *)0)->u)];
	uint8_t from[32];
	struct ember_tx tx;
	(void)state;
	memset(from, 0x44, 32);
	for (unsigned k = 1; k <= EMBER_TX_KIND_MAX; k++) {
		memset(&tx, 0xa5, sizeof(tx));
		assert_int_equal(ember_tx_init(&tx, (uint8_t)k, CHAIN, from, 9,
		                               77), 0);
		assert_int_equal(tx.version, 1);
		assert_int_equal(tx.kind, k);
		assert_int_equal(tx.chain_id_len, CHAIN_LEN);
		assert_memory_equal(tx.chain_id, CHAIN, CHAIN_LEN + 1);
		assert_memory_equal(tx.from, from, 32);
		assert_true(tx.nonce == 9 && tx.fee == 77);
		assert_memory_equal(&tx.u, zero, sizeof(zero));
		assert_memory_equal(tx.sig, zero, 64);
	}
	assert_int_equal(ember_tx_init(&tx, 0, CHAIN, from, 0, 0), EMBER_ENC_KIND);
	assert_int_equal(EMBER_TX_KIND_MAX, 16);
	assert_int_equal(ember_tx_init(&tx, 17, CHAIN, from, 0, 0), EMBER_ENC_KIND);
	assert_int_equal(ember_tx_init(&tx, 255, CHAIN, from, 0, 0), EMBER_ENC_KIND);
	assert_int_equal(ember_tx_init(&tx, 2, "", from, 0, 0), EMBER_ENC_OVERSIZE);
	assert_int_equal(ember_tx_init(&tx, 2, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	                               from, 0, 0), EMBER_ENC_OVERSIZE);
	assert_int_equal(ember_tx_init(&tx, 2, "a b", from, 0, 0), EMBER_ENC_CHARSET);
	assert_int_equal(ember_tx_init(NULL, 2, CHAIN, from, 0, 0), EMBER_EINVAL);
	assert_int_equal(ember_tx_init(&tx, 2, NULL, from, 0, 0), EMBER_EINVAL);
	assert_int_equal(ember_tx_init(&tx, 2, CHAIN, NULL, 0, 0), EMBER_EINVAL);
}

static void test_kind_names(void **state)
{
	static const struct {
		uint8_t kind;
		const char *name;
	} names[] = {
		{ 1, "transfer" }, { 2, "stake" }, { 3, "unstake" },
		{ 4, "provider_register" }, { 5, "provider_update" },
		{ 6, "provider_retire" }, { 7, "order" }, { 8, "bid" },
		{ 9, "accept" }, { 10, "close" }, { 11, "topup" },
		{ 12, "claim" }, { 13, "price" }, { 14, "maintenance" },
		{ 15, "evidence" }, { 16, "proof" },
	};
	static const char *const unknown[] = { "", "Transfer", "transfer ",
	                                       "provider", "provider-register",
	                                       "stakes", "x" };
	(void)state;
	assert_int_equal(sizeof(names) / sizeof(names[0]), EMBER_TX_KIND_MAX);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_non_null(ember_tx_kind_name(names[i].kind));
		assert_string_equal(ember_tx_kind_name(names[i].kind), names[i].name);
		assert_int_equal(ember_tx_kind_parse(names[i].name), names[i].kind);
	}
	assert_null(ember_tx_kind_name(0));
	assert_null(ember_tx_kind_name(17));
	assert_null(ember_tx_kind_name(255));
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_int_equal(ember_tx_kind_parse(unknown[i]), 0);
	assert_int_equal(ember_tx_kind_parse(NULL), 0);
}

/* Start from kind's valid case, apply stmt (it sees `t`), expect want. */
#define CHECK_RC(kind, stmt, want)                                         \
	do {                                                               \
		struct ember_tx t;                                         \
		kc_tx(&t, kcase_of(kind), from);                           \
		stmt;                                                      \
		assert_int_equal(ember_tx_check(&t, CHAIN, KC_FEE), (want)); \
	} while (0)

static void test_check_kinds(void **state)
{
	uint8_t from[32];
	(void)state;
	memset(from, 0x44, 32);

	/* Every case passes as built, and fails on chain and fee. */
	for (size_t i = 0; i < NKCASES; i++) {
		uint8_t k = kcases[i].kind;
		CHECK_RC(k, (void)0, 0);
		CHECK_RC(k, t.fee = KC_FEE - 1, EMBER_TX_FEE_LOW);
		CHECK_RC(k, t.chain_id[0] = 'x', EMBER_TX_WRONG_CHAIN);
	}
	CHECK_RC(1, t.kind = 0, EMBER_ENC_KIND);
	CHECK_RC(1, t.kind = 17, EMBER_ENC_KIND);
	CHECK_RC(1, t.kind = 255, EMBER_ENC_KIND);

	/* Zero amounts. */
	CHECK_RC(EMBER_TX_TRANSFER, t.u.transfer.amount = 0, EMBER_TX_ZERO_AMOUNT);
	CHECK_RC(EMBER_TX_STAKE, t.u.amount.amount = 0, EMBER_TX_ZERO_AMOUNT);
	CHECK_RC(EMBER_TX_UNSTAKE, t.u.amount.amount = 0, EMBER_TX_ZERO_AMOUNT);
	CHECK_RC(EMBER_TX_TOPUP, t.u.amount.amount = 0, EMBER_TX_ZERO_AMOUNT);
	CHECK_RC(EMBER_TX_ORDER, t.u.order.deposit = 0, EMBER_TX_ZERO_AMOUNT);
	CHECK_RC(EMBER_TX_STAKE, t.u.amount.amount = 1, 0);

	/* Fee plus the locked amount: UINT64_MAX - KC_FEE is the most. */
	CHECK_RC(EMBER_TX_TRANSFER, t.u.transfer.amount = UINT64_MAX - KC_FEE, 0);
	CHECK_RC(EMBER_TX_TRANSFER, t.u.transfer.amount = UINT64_MAX - KC_FEE + 1,
	         EMBER_TX_OVERFLOW);
	CHECK_RC(EMBER_TX_STAKE, t.u.amount.amount = UINT64_MAX - KC_FEE, 0);
	CHECK_RC(EMBER_TX_STAKE, t.u.amount.amount = UINT64_MAX, EMBER_TX_OVERFLOW);
	CHECK_RC(EMBER_TX_TOPUP, t.u.amount.amount = UINT64_MAX - KC_FEE, 0);
	CHECK_RC(EMBER_TX_TOPUP, t.u.amount.amount = UINT64_MAX, EMBER_TX_OVERFLOW);
	CHECK_RC(EMBER_TX_ORDER, t.u.order.deposit = UINT64_MAX - KC_FEE, 0);
	CHECK_RC(EMBER_TX_ORDER, t.u.order.deposit = UINT64_MAX, EMBER_TX_OVERFLOW);
	/* Unstake locks no balance: nothing to overflow. */
	CHECK_RC(EMBER_TX_UNSTAKE, t.u.amount.amount = UINT64_MAX, 0);
	CHECK_RC(EMBER_TX_CLAIM, t.fee = UINT64_MAX, 0);

	/* Provider fields, for register and update alike. */
	for (uint8_t k = EMBER_TX_PROV_REGISTER; k <= EMBER_TX_PROV_UPDATE; k++) {
		CHECK_RC(k, t.u.provider.gpu_class = 0, EMBER_ERANGE);
		CHECK_RC(k, t.u.provider.gpu_class = 1, 0);
		CHECK_RC(k, t.u.provider.gpus = 0, EMBER_ERANGE);
		CHECK_RC(k, t.u.provider.gpus = 1, 0);
		CHECK_RC(k, t.u.provider.gpus = 4096, 0);
		CHECK_RC(k, t.u.provider.gpus = 4097, EMBER_ERANGE);
		CHECK_RC(k, t.u.provider.vram_gib = 0, EMBER_ERANGE);
		CHECK_RC(k, t.u.provider.vram_gib = 1, 0);
		CHECK_RC(k, t.u.provider.price_per_gpu_hour = 0, EMBER_ERANGE);
		CHECK_RC(k, t.u.provider.price_per_gpu_hour = 1, 0);
		CHECK_RC(k, t.u.provider.price_per_gpu_hour = 1000000000000ULL, 0);
		CHECK_RC(k, t.u.provider.price_per_gpu_hour = 1000000000001ULL,
		         EMBER_ERANGE);
		CHECK_RC(k, t.u.provider.region_len = 0, EMBER_ENC_OVERSIZE);
		CHECK_RC(k, t.u.provider.region[0] = 'A', EMBER_ENC_CHARSET);
		CHECK_RC(k, t.u.provider.endpoint_len = 129, EMBER_ENC_OVERSIZE);
		CHECK_RC(k, t.u.provider.endpoint[0] = ' ', EMBER_ENC_CHARSET);
	}

	/* Order fields. */
	CHECK_RC(EMBER_TX_ORDER, t.u.order.gpu_class = 0, EMBER_ERANGE);
	CHECK_RC(EMBER_TX_ORDER, t.u.order.gpus = 0, EMBER_ERANGE);
	CHECK_RC(EMBER_TX_ORDER, t.u.order.gpus = 4096, 0);
	CHECK_RC(EMBER_TX_ORDER, t.u.order.gpus = 4097, EMBER_ERANGE);
	CHECK_RC(EMBER_TX_ORDER, t.u.order.max_price_per_gpu_hour = 0, EMBER_ERANGE);
	CHECK_RC(EMBER_TX_ORDER, t.u.order.max_price_per_gpu_hour = 1000000000000ULL, 0);
	CHECK_RC(EMBER_TX_ORDER, t.u.order.max_price_per_gpu_hour = 1000000000001ULL,
	         EMBER_ERANGE);
	CHECK_RC(EMBER_TX_ORDER, t.u.order.duration_blocks = 0, EMBER_ERANGE);
	CHECK_RC(EMBER_TX_ORDER, t.u.order.duration_blocks = 1, 0);
	CHECK_RC(EMBER_TX_ORDER, t.u.order.duration_blocks = 100000000, 0);
	CHECK_RC(EMBER_TX_ORDER, t.u.order.duration_blocks = 100000001, EMBER_ERANGE);

	/* Bid, accept, close, topup: ids start at 1. */
	CHECK_RC(EMBER_TX_BID, t.u.bid.order_id = 0, EMBER_ERANGE);
	CHECK_RC(EMBER_TX_BID, t.u.bid.order_id = 1, 0);
	CHECK_RC(EMBER_TX_BID, t.u.bid.price_per_gpu_hour = 0, EMBER_ERANGE);
	CHECK_RC(EMBER_TX_BID, t.u.bid.price_per_gpu_hour = 1, 0);
	CHECK_RC(EMBER_TX_BID, t.u.bid.price_per_gpu_hour = 1000000000000ULL, 0);
	CHECK_RC(EMBER_TX_BID, t.u.bid.price_per_gpu_hour = 1000000000001ULL,
	         EMBER_ERANGE);
	CHECK_RC(EMBER_TX_ACCEPT, t.u.accept.order_id = 0, EMBER_ERANGE);
	CHECK_RC(EMBER_TX_ACCEPT, t.u.accept.order_id = 1, 0);
	CHECK_RC(EMBER_TX_CLOSE, t.u.ref.id = 0, EMBER_ERANGE);
	CHECK_RC(EMBER_TX_CLOSE, t.u.ref.id = 1, 0);
	CHECK_RC(EMBER_TX_TOPUP, t.u.amount.lease_id = 0, EMBER_ERANGE);
	CHECK_RC(EMBER_TX_TOPUP, t.u.amount.lease_id = 1, 0);

	/* Oracle price. */
	CHECK_RC(EMBER_TX_PRICE, t.u.price.price_uusd = 0, EMBER_ERANGE);
	CHECK_RC(EMBER_TX_PRICE, t.u.price.price_uusd = 1, 0);
	CHECK_RC(EMBER_TX_PRICE, t.u.price.price_uusd = 1000000000000ULL, 0);
	CHECK_RC(EMBER_TX_PRICE, t.u.price.price_uusd = 1000000000001ULL, EMBER_ERANGE);

	/* Evidence: a known vote type and two different hashes. */
	CHECK_RC(EMBER_TX_EVIDENCE, t.u.evidence.vote_type = 1, 0);
	CHECK_RC(EMBER_TX_EVIDENCE, t.u.evidence.vote_type = 0, EMBER_TOK_EVIDENCE);
	CHECK_RC(EMBER_TX_EVIDENCE, t.u.evidence.vote_type = 3, EMBER_TOK_EVIDENCE);
	CHECK_RC(EMBER_TX_EVIDENCE, t.u.evidence.vote_type = 255, EMBER_TOK_EVIDENCE);
	CHECK_RC(EMBER_TX_EVIDENCE,
	         memcpy(t.u.evidence.hash_b, t.u.evidence.hash_a, 32),
	         EMBER_TOK_EVIDENCE);
	CHECK_RC(EMBER_TX_EVIDENCE, t.u.evidence.hash_b[31] = 0x71, 0);

	/* Proof: a body of 1..EMBER_PROOF_BODY_MAX bytes that exists; its
	 * content is the verifier's business. */
	CHECK_RC(EMBER_TX_PROOF, t.u.proof.body_len = 1, 0);
	CHECK_RC(EMBER_TX_PROOF, t.u.proof.body_len = 0, EMBER_ERANGE);
	CHECK_RC(EMBER_TX_PROOF, t.u.proof.body = NULL, EMBER_ERANGE);
	CHECK_RC(EMBER_TX_PROOF, t.u.proof.body_len = EMBER_PROOF_BODY_MAX + 1,
	         EMBER_ERANGE);
	CHECK_RC(EMBER_TX_PROOF, t.u.proof.epoch = UINT64_MAX, 0);
	CHECK_RC(EMBER_TX_PROOF, t.fee = UINT64_MAX, 0);

	/* No payload rules beyond the common ones. */
	CHECK_RC(EMBER_TX_MAINTENANCE, t.u.maint.epoch = 0, 0);
	CHECK_RC(EMBER_TX_MAINTENANCE, t.u.maint.epoch = UINT64_MAX, 0);
}

static void test_cost_kinds(void **state)
{
	uint8_t from[32];
	struct ember_tx tx;
	(void)state;
	memset(from, 0x44, 32);
	for (size_t i = 0; i < NKCASES; i++) {
		kc_tx(&tx, &kcases[i], from);
		assert_true(ember_tx_cost(&tx) == KC_FEE + kcases[i].locked);
	}

	/* Only the locked amounts count; unstake's comes out of stake. */
	kc_tx(&tx, kcase_of(EMBER_TX_UNSTAKE), from);
	tx.u.amount.amount = UINT64_MAX;
	assert_true(ember_tx_cost(&tx) == KC_FEE);
	kc_tx(&tx, kcase_of(EMBER_TX_TOPUP), from);
	tx.u.amount.lease_id = UINT64_MAX;
	tx.u.amount.amount = 5;
	assert_true(ember_tx_cost(&tx) == KC_FEE + 5);
	kc_tx(&tx, kcase_of(EMBER_TX_CLAIM), from);
	tx.fee = UINT64_MAX;
	assert_true(ember_tx_cost(&tx) == UINT64_MAX);

	/* Overflow and unknown kinds give 0. */
	kc_tx(&tx, kcase_of(EMBER_TX_STAKE), from);
	tx.u.amount.amount = UINT64_MAX - KC_FEE;
	assert_true(ember_tx_cost(&tx) == UINT64_MAX);
	tx.u.amount.amount++;
	assert_true(ember_tx_cost(&tx) == 0);
	kc_tx(&tx, kcase_of(EMBER_TX_ORDER), from);
	tx.u.order.deposit = UINT64_MAX;
	assert_true(ember_tx_cost(&tx) == 0);
	kc_tx(&tx, kcase_of(EMBER_TX_TOPUP), from);
	tx.u.amount.amount = UINT64_MAX;
	assert_true(ember_tx_cost(&tx) == 0);
	tx.kind = 0;
	assert_true(ember_tx_cost(&tx) == 0);
	tx.kind = 17;
	assert_true(ember_tx_cost(&tx) == 0);
	assert_true(ember_tx_cost(NULL) == 0);
	/* A proof locks nothing: its cost is its fee. */
	kc_tx(&tx, kcase_of(EMBER_TX_PROOF), from);
	tx.fee = UINT64_MAX;
	assert_true(ember_tx_cost(&tx) == UINT64_MAX);
}

/* A proof tx with a body of blen bytes (pattern b), signed with 0x33s. */
static size_t big_proof(uint8_t *out, size_t blen, uint8_t b)
{
	static uint8_t body[EMBER_PROOF_BODY_MAX + 8];
	uint8_t from[32];
	struct ember_tx tx;
	size_t n;
	memset(from, 0x44, 32);
	memset(body, b, sizeof(body));
	assert_int_equal(ember_tx_init(&tx, EMBER_TX_PROOF, CHAIN, from, 1, 2), 0);
	tx.u.proof.epoch = 3;
	tx.u.proof.body = body;
	tx.u.proof.body_len = (uint32_t)blen;
	memset(tx.sig, 0x33, 64);
	assert_int_equal(ember_tx_encode(&tx, out, EMBER_TX_PROOF_MAX_SIZE + 64, &n), 0);
	assert_int_equal(ember_tx_encoded_size(&tx), n);
	return n;
}

/*
 * Only a proof may be larger than EMBER_TX_MAX_SIZE, up to
 * EMBER_TX_PROOF_MAX_SIZE; its body is a view into the decoded bytes, and
 * the signing hash covers the whole body.
 */
static void test_proof_size_and_view(void **state)
{
	static uint8_t buf[EMBER_TX_PROOF_MAX_SIZE + 64];
	static uint8_t copy[EMBER_TX_PROOF_MAX_SIZE + 64];
	struct ember_tx tx, t2;
	uint8_t h[32], hw[32];
	size_t n, head;
	(void)state;

	/* The largest body: 10 + 8 + 3-byte varint around it. */
	n = big_proof(buf, EMBER_PROOF_BODY_MAX, 0x5a);
	head = KC_HEAD_LEN + 8 + 3;
	assert_int_equal(n, head + EMBER_PROOF_BODY_MAX + 64);
	assert_true(n > EMBER_TX_MAX_SIZE && n <= EMBER_TX_PROOF_MAX_SIZE);
	assert_int_equal(ember_tx_decode(&tx, buf, n), 0);
	assert_true(tx.u.proof.epoch == 3);
	assert_int_equal(tx.u.proof.body_len, EMBER_PROOF_BODY_MAX);
	assert_ptr_equal(tx.u.proof.body, buf + head);
	assert_int_equal(ember_tx_sighash(&tx, h), 0);
	tagged("ember/tx", buf, n - 64, hw);
	assert_memory_equal(h, hw, 32);
	assert_int_equal(ember_tx_check(&tx, CHAIN, 2), 0);

	/* The last body byte is signed. */
	t2 = tx;
	memcpy(copy, buf, n);
	copy[n - 65] ^= 1;
	ember_tx_rebind(&t2, copy, n);
	assert_int_equal(ember_tx_sighash(&t2, hw), 0);
	assert_memory_not_equal(h, hw, 32);

	/* Rebind: the view moves to the copy, and the original may go. */
	memcpy(copy, buf, n);
	t2 = tx;
	ember_tx_rebind(&t2, copy, n);
	assert_ptr_equal(t2.u.proof.body, copy + head);
	memset(buf, 0, n);
	assert_int_equal(ember_tx_sighash(&t2, hw), 0);
	assert_memory_equal(h, hw, 32);
	/* An encoding too short to be the tx's leaves no view behind. */
	ember_tx_rebind(&t2, copy, EMBER_PROOF_BODY_MAX + 63);
	assert_null(t2.u.proof.body);
	assert_int_equal(ember_tx_sighash(&t2, hw), EMBER_EINVAL);
	assert_int_equal(ember_tx_check(&t2, CHAIN, 2), EMBER_ERANGE);
	/* Other kinds hold no view: a no-op. */
	ref_tx(&t2);
	ember_tx_rebind(&t2, NULL, 0);
	assert_true(t2.u.transfer.amount == 123456789);

	/* Up to EMBER_TX_PROOF_MAX_SIZE for a proof, not one byte more. */
	n = big_proof(buf, EMBER_PROOF_BODY_MAX, 0x5a);
	buf[n] = 0;
	assert_int_equal(ember_tx_decode(&tx, buf, n + 1), EMBER_ENC_TRAILING);
	assert_int_equal(ember_tx_decode(&tx, buf, EMBER_TX_PROOF_MAX_SIZE),
	                 EMBER_ENC_TRAILING);
	assert_int_equal(ember_tx_decode(&tx, buf, EMBER_TX_PROOF_MAX_SIZE + 1),
	                 EMBER_ENC_OVERSIZE);
	/* The same bytes under another kind or version are just oversize. */
	buf[1] = EMBER_TX_TRANSFER;
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_OVERSIZE);
	buf[1] = EMBER_TX_PROOF;
	buf[0] = 2;
	assert_int_equal(ember_tx_decode(&tx, buf, n), EMBER_ENC_OVERSIZE);
	buf[0] = 1;
	assert_int_equal(ember_tx_decode(&tx, buf, n), 0);
	/* A proof small enough for the common limit is fine too. */
	n = big_proof(buf, 1, 0x01);
	assert_int_equal(ember_tx_decode(&tx, buf, n), 0);
	assert_int_equal(tx.u.proof.body_len, 1);

	/* A body over the limit cannot be built or encoded. */
	assert_int_equal(ember_tx_init(&t2, EMBER_TX_PROOF, CHAIN, buf + 2, 1, 2), 0);
	t2.u.proof.body = copy;
	t2.u.proof.body_len = EMBER_PROOF_BODY_MAX + 1;
	assert_int_equal(ember_tx_encoded_size(&t2), 0);
	assert_int_equal(ember_tx_encode(&t2, buf, sizeof(buf), &n), EMBER_EINVAL);
	assert_int_equal(ember_tx_sighash(&t2, h), EMBER_EINVAL);
	t2.u.proof.body_len = 0;
	assert_int_equal(ember_tx_encoded_size(&t2), 0);
}

/* The body length on the wire: 1..EMBER_PROOF_BODY_MAX, minimal varint,
 * never longer than what follows. */
static void test_proof_length_wire(void **state)
{
	static uint8_t buf[EMBER_TX_PROOF_MAX_SIZE + 64];
	uint8_t from[32], *p;
	struct ember_tx tx;
	size_t off;
	(void)state;
	memset(from, 0x44, 32);

	p = buf;
	*p++ = 0x01;
	*p++ = EMBER_TX_PROOF;
	*p++ = CHAIN_LEN;
	p = put_raw(p, CHAIN, CHAIN_LEN);
	p = put_raw(p, from, 32);
	p = put_le(p, KC_NONCE, 8);
	p = put_le(p, KC_FEE, 8);
	p = put_le(p, 9, 8);
	off = (size_t)(p - buf);

	/* Length 0: oversize, like an empty string. */
	buf[off] = 0x00;
	memset(buf + off + 1, 0x33, 64);
	assert_int_equal(ember_tx_decode(&tx, buf, off + 1 + 64), EMBER_ENC_OVERSIZE);
	/* Length 2 spelled in two bytes. */
	buf[off] = 0x82;
	buf[off + 1] = 0x00;
	memset(buf + off + 2, 0x33, 2 + 64);
	assert_int_equal(ember_tx_decode(&tx, buf, off + 2 + 2 + 64), EMBER_ENC_VARINT);
	/* Length 2 in one byte decodes. */
	buf[off] = 0x02;
	assert_int_equal(ember_tx_decode(&tx, buf, off + 1 + 2 + 64), 0);
	assert_int_equal(tx.u.proof.body_len, 2);
	assert_ptr_equal(tx.u.proof.body, buf + off + 1);
	/* A length past the end is truncated, one past the maximum oversize. */
	buf[off] = 0x7f;
	assert_int_equal(ember_tx_decode(&tx, buf, off + 1 + 2 + 64), EMBER_ENC_TRUNCATED);
	buf[off] = (uint8_t)(0x80 | ((EMBER_PROOF_BODY_MAX + 1) & 0x7f));
	buf[off + 1] = (uint8_t)(0x80 | (((EMBER_PROOF_BODY_MAX + 1) >> 7) & 0x7f));
	buf[off + 2] = (uint8_t)((EMBER_PROOF_BODY_MAX + 1) >> 14);
	memset(buf + off + 3, 0x33, EMBER_PROOF_BODY_MAX + 1 + 64);
	assert_int_equal(ember_tx_decode(&tx, buf, off + 3 + EMBER_PROOF_BODY_MAX + 1 + 64),
	                 EMBER_ENC_OVERSIZE);
	buf[off] = (uint8_t)(0x80 | (EMBER_PROOF_BODY_MAX & 0x7f));
	buf[off + 1] = (uint8_t)(0x80 | ((EMBER_PROOF_BODY_MAX >> 7) & 0x7f));
	buf[off + 2] = (uint8_t)(EMBER_PROOF_BODY_MAX >> 14);
	assert_int_equal(ember_tx_decode(&tx, buf, off + 3 + EMBER_PROOF_BODY_MAX + 64), 0);
	buf[off + 2] = 0xff;
	assert_int_equal(ember_tx_decode(&tx, buf, off + 3 + EMBER_PROOF_BODY_MAX + 64),
	                 EMBER_ENC_OVERSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_matches_layout),
		cmocka_unit_test(test_decode_roundtrip),
		cmocka_unit_test(test_max_chain_id),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_truncated_every_offset),
		cmocka_unit_test(test_trailing_and_oversize),
		cmocka_unit_test(test_version_and_kind),
		cmocka_unit_test(test_chain_id_length),
		cmocka_unit_test(test_chain_id_charset),
		cmocka_unit_test(test_chain_id_valid),
		cmocka_unit_test(test_init_and_encode_misuse),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_no_cross_chain_replay),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_kinds_encode_layout),
		cmocka_unit_test(test_kinds_decode_roundtrip),
		cmocka_unit_test(test_kinds_sign_verify),
		cmocka_unit_test(test_kinds_truncated_and_trailing),
		cmocka_unit_test(test_provider_strings_wire),
		cmocka_unit_test(test_provider_strings_api),
		cmocka_unit_test(test_tx_init),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_check_kinds),
		cmocka_unit_test(test_cost_kinds),
		cmocka_unit_test(test_proof_size_and_view),
		cmocka_unit_test(test_proof_length_wire),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
