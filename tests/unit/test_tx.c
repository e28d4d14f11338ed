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

/* BIP-340 tagged hash written out with plain SHA-256. */
static void tagged(const char *tag, const uint8_t *msg, size_t len,
                   uint8_t out[32])
{
	uint8_t buf[64 + EMBER_TX_MAX_SIZE];
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
	static const uint8_t bad[] = { 0x00, 0x02, 0x7f, 0x80, 0xff };
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
	tx.kind = 2;
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
