/*
 * test_lastcommit.c - the last commit and BFT time (cons.h, block.h):
 * signed precommit times in certificates, and cons_last_commit, which
 * checks block H's last commit against block H-1 and gives H's time, the
 * stake-weighted median of the precommit times: signers sorted by time,
 * ties by their position in the certificate; walking up and summing the
 * power passed (cum, the current signer included), the first signer with
 * 2 * cum > the signers' total power (a strict majority) gives the time.
 * Single precommit times are not judged; only that median must be after
 * the parent's time.  Expected medians are worked out by hand in the
 * comments ("cum 4 -> 8 <= 9" means 2 * cum = 8 is not more than 9).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ember/block.h"
#include "ember/cons.h"
#include "ember/genesis.h"
#include "ember/key.h"

#define MAXV 4
#define PARENT_H 41               /* block H-1 */
#define PARENT_T 100000           /* its time */

static struct ember_keypair vk[MAXV];
static struct ember_validator vals[MAXV];
static struct ember_genesis gen;
static uint8_t parent_hash[32];
static struct ember_cert scratch;

/* A validator set of n with these powers (keys made once). */
static void set_powers(const uint64_t *power, size_t n)
{
	static int have_keys;
	if (!have_keys) {
		for (int i = 0; i < MAXV; i++)
			assert_int_equal(ember_keypair_generate(&vk[i]), 0);
		have_keys = 1;
	}
	memset(&gen, 0, sizeof(gen));
	strcpy(gen.chain_id, "ember-test");
	gen.genesis_time_ms = 1000;
	for (size_t i = 0; i < n; i++) {
		memcpy(vals[i].pub, vk[i].pub, 32);
		vals[i].power = power[i];
	}
	gen.vals = vals;
	gen.nval = n;
	memset(parent_hash, 0x3c, 32);
}

/* A certificate of (height, hash): validator who[i] precommits at t[i],
 * in that order.  Returns the encoding's length. */
static size_t make_cert(uint64_t height, const uint8_t hash[32], const int *who,
                        const uint64_t *t, size_t n, uint8_t *out, size_t cap)
{
	struct ember_cert *c = calloc(1, sizeof(*c));
	size_t len;
	assert_non_null(c);
	c->round = 0;
	c->nsig = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		memcpy(c->sigs[i].validator, vk[who[i]].pub, 32);
		c->sigs[i].time_ms = t[i];
		assert_int_equal(cons_vote_sign(&vk[who[i]], gen.chain_id, EMBER_VOTE_PRECOMMIT,
		                                height, 0, hash, t[i], c->sigs[i].sig), 0);
	}
	assert_int_equal(ember_cert_encode(c, out, cap, &len), 0);
	free(c);
	return len;
}

/* cons_last_commit of a certificate of the parent by who[] at t[]. */
static int lc_time(const int *who, const uint64_t *t, size_t n, uint64_t *time_ms)
{
	uint8_t lc[4 + 1 + MAXV * EMBER_CERT_SIG_SIZE];
	size_t len = make_cert(PARENT_H, parent_hash, who, t, n, lc, sizeof(lc));
	char why[256];
	return cons_last_commit(&gen, PARENT_H, PARENT_T, parent_hash, lc, len, &scratch,
	                        time_ms, why, sizeof(why));
}

/* ---- precommit times in certificates ------------------------------------ */

static void test_cert_time_signed(void **state)
{
	static const uint64_t power[3] = { 1, 1, 1 };
	static const int who[3] = { 0, 1, 2 };
	static const uint64_t t[3] = { 100001, 100500, 0x0102030405060708ULL };
	uint8_t enc[4 + 1 + 3 * EMBER_CERT_SIG_SIZE], hash[32], sig[64];
	struct ember_cert *c = &scratch;
	size_t len;
	(void)state;
	set_powers(power, 3);
	memset(hash, 0x77, 32);
	len = make_cert(9, hash, who, t, 3, enc, sizeof(enc));
	assert_int_equal(len, 4 + 1 + 3 * (32 + 8 + 64));

	/* Round trip: each sig keeps its time. */
	assert_int_equal(ember_cert_decode(c, enc, len), 0);
	assert_int_equal(c->nsig, 3);
	for (int i = 0; i < 3; i++) {
		assert_memory_equal(c->sigs[i].validator, vk[i].pub, 32);
		assert_true(c->sigs[i].time_ms == t[i]);
		/* The signature covers the time: the same vote with any other
		 * time, or as a prevote, does not verify. */
		assert_int_equal(cons_vote_verify(vk[i].pub, gen.chain_id, EMBER_VOTE_PRECOMMIT,
		                                  9, 0, hash, t[i], c->sigs[i].sig), 0);
		assert_int_equal(cons_vote_verify(vk[i].pub, gen.chain_id, EMBER_VOTE_PRECOMMIT,
		                                  9, 0, hash, t[i] + 1, c->sigs[i].sig),
		                 EMBER_CRYPTO_VERIFY);
		assert_int_equal(cons_vote_verify(vk[i].pub, gen.chain_id, EMBER_VOTE_PRECOMMIT,
		                                  9, 0, hash, 0, c->sigs[i].sig),
		                 EMBER_CRYPTO_VERIFY);
		assert_int_equal(cons_vote_verify(vk[i].pub, gen.chain_id, EMBER_VOTE_PREVOTE,
		                                  9, 0, hash, t[i], c->sigs[i].sig),
		                 EMBER_CRYPTO_VERIFY);
	}
	assert_int_equal(cons_cert_verify(&gen, 9, hash, c), 0);

	/* A prevote signs time 0. */
	assert_int_equal(cons_vote_sign(&vk[0], gen.chain_id, EMBER_VOTE_PREVOTE, 9, 0, hash,
	                                0, sig), 0);
	assert_int_equal(cons_vote_verify(vk[0].pub, gen.chain_id, EMBER_VOTE_PREVOTE, 9, 0,
	                                  hash, 0, sig), 0);
	assert_int_equal(cons_vote_verify(vk[0].pub, gen.chain_id, EMBER_VOTE_PREVOTE, 9, 0,
	                                  hash, 1, sig), EMBER_CRYPTO_VERIFY);

	/* A time edited in the encoding (sig 1's, at 4 + 1 + 104 + 32; the
	 * low byte) still decodes, but the certificate no longer verifies. */
	enc[4 + 1 + EMBER_CERT_SIG_SIZE + 32] ^= 0x01;
	assert_int_equal(ember_cert_decode(c, enc, len), 0);
	assert_true(c->sigs[1].time_ms == (t[1] ^ 0x01));
	assert_int_equal(cons_cert_verify(&gen, 9, hash, c), EMBER_BLK_CERT);
	/* Its field edited the same way. */
	assert_int_equal(ember_cert_decode(c, enc, len), 0);
	c->sigs[1].time_ms = t[1];
	assert_int_equal(cons_cert_verify(&gen, 9, hash, c), 0);
	c->sigs[2].time_ms++;
	assert_int_equal(cons_cert_verify(&gen, 9, hash, c), EMBER_BLK_CERT);
}

/* ---- block 1 ---------------------------------------------------------------- */

static void test_lc_block1(void **state)
{
	static const uint64_t power[1] = { 1 };
	static const int who[1] = { 0 };
	static const uint64_t t[1] = { 5000 };
	uint8_t lc[4 + 1 + EMBER_CERT_SIG_SIZE], g0[32];
	size_t len;
	uint64_t time_ms = 0;
	char why[256] = "";
	(void)state;
	set_powers(power, 1);
	memset(g0, 0x11, 32);
	/* No last commit: the genesis time + 1. */
	assert_int_equal(cons_last_commit(&gen, 0, 1000, g0, NULL, 0, &scratch, &time_ms, why,
	                                  sizeof(why)), 0);
	assert_true(time_ms == 1001);
	assert_int_equal(cons_last_commit(&gen, 0, 1764000000000ULL, g0, NULL, 0, &scratch,
	                                  &time_ms, why, sizeof(why)), 0);
	assert_true(time_ms == 1764000000001ULL);
	/* Any last commit, even a valid certificate of block 0: refused. */
	len = make_cert(0, g0, who, t, 1, lc, sizeof(lc));
	assert_int_equal(cons_last_commit(&gen, 0, 1000, g0, lc, len, &scratch, &time_ms, why,
	                                  sizeof(why)), EMBER_BLK_LAST_COMMIT);
	assert_non_null(strstr(why, "block 1"));
	assert_int_equal(cons_last_commit(&gen, 0, 1000, g0, lc, 1, &scratch, &time_ms, why,
	                                  sizeof(why)), EMBER_BLK_LAST_COMMIT);
}

/* After block 1 a last commit is required, and must be a certificate. */
static void test_lc_missing_or_garbage(void **state)
{
	static const uint64_t power[4] = { 4, 2, 2, 1 };
	static const int who[4] = { 0, 1, 2, 3 };
	static const uint64_t t[4] = { 100001, 100002, 100003, 100004 };
	uint8_t lc[4 + 1 + MAXV * EMBER_CERT_SIG_SIZE + 1];
	size_t len;
	uint64_t time_ms;
	char why[256] = "";
	(void)state;
	set_powers(power, 4);
	assert_int_equal(cons_last_commit(&gen, PARENT_H, PARENT_T, parent_hash, NULL, 0,
	                                  &scratch, &time_ms, why, sizeof(why)),
	                 EMBER_BLK_LAST_COMMIT);
	assert_non_null(strstr(why, "missing"));
	len = make_cert(PARENT_H, parent_hash, who, t, 4, lc, sizeof(lc) - 1);
	/* a trailing byte; one byte short */
	lc[len] = 0;
	assert_int_equal(cons_last_commit(&gen, PARENT_H, PARENT_T, parent_hash, lc, len + 1,
	                                  &scratch, &time_ms, why, sizeof(why)),
	                 EMBER_BLK_LAST_COMMIT);
	assert_int_equal(cons_last_commit(&gen, PARENT_H, PARENT_T, parent_hash, lc, len - 1,
	                                  &scratch, &time_ms, why, sizeof(why)),
	                 EMBER_BLK_LAST_COMMIT);
	assert_non_null(strstr(why, "not a certificate"));
	/* the whole of it is fine: sorted V0 (4) 100001, V1 (2) 100002, ...;
	 * cum 4 -> 8 <= 9; cum 6 -> 12 > 9: V1's 100002 (V0 alone, 4 of 9,
	 * is no majority) */
	assert_int_equal(cons_last_commit(&gen, PARENT_H, PARENT_T, parent_hash, lc, len,
	                                  &scratch, &time_ms, why, sizeof(why)), 0);
	assert_true(time_ms == 100002);
}

/* ---- the weighted median ------------------------------------------------ */

struct mcase {
	const char *what;
	size_t n;
	int who[MAXV];
	uint64_t t[MAXV];
	uint64_t want;
};

/* Powers V0 4, V1 2, V2 2, V3 1: total 9, a certificate needs > 6. */
static const struct mcase weighted[] = {
	/* sorted V3 (1) 110, V1 (2) 120, V0 (4) 150, V2 (2) 200: cum 1 ->
	 * 2 <= 9; cum 3 -> 6 <= 9; cum 7 -> 14 > 9: V0's 150.  V0 alone is
	 * not a majority, but the power before it (3) is under half of 9 and
	 * with it (7) over: the heavy validator's time. */
	{ "heavy validator in the middle", 4, { 0, 1, 2, 3 },
	  { PARENT_T + 150, PARENT_T + 120, PARENT_T + 200, PARENT_T + 110 }, PARENT_T + 150 },
	/* sorted V1 (2) 110, V2 (2) 120, V3 (1) 130, V0 (4) 400: cum 2 ->
	 * 4 <= 9; cum 4 -> 8 <= 9; cum 5 -> 10 > 9: V3's 130.  The heavy
	 * validator, last, does not drag the time to its clock. */
	{ "heavy validator last", 4, { 0, 1, 2, 3 },
	  { PARENT_T + 400, PARENT_T + 110, PARENT_T + 120, PARENT_T + 130 }, PARENT_T + 130 },
	/* sorted V0 (4) 105, V1 (2) 130, V2 (2) 140, V3 (1) 300: cum 4 ->
	 * 8 <= 9 (V0's 4 of 9 is not a majority); cum 6 -> 12 > 9: V1's 130 */
	{ "heavy validator first", 4, { 0, 1, 2, 3 },
	  { PARENT_T + 105, PARENT_T + 130, PARENT_T + 140, PARENT_T + 300 }, PARENT_T + 130 },
	/* V3 absent: the signers' power is 8 (> 6); sorted V1 (2) 110, V2 (2)
	 * 120, V0 (4) 130: cum 2 -> 4 <= 8; cum 4 -> 8 <= 8 (exactly half is
	 * not more); cum 8 -> 16 > 8: V0's 130 */
	{ "V3 absent: half of the signers' power", 3, { 0, 1, 2 },
	  { PARENT_T + 130, PARENT_T + 110, PARENT_T + 120 }, PARENT_T + 130 },
	/* V0 V1 V2 at 200, V3 far ahead (1 of 9, a faulty clock): sorted V0
	 * (4) 200, V1 (2) 200, V2 (2) 200, V3 (1): cum 4 -> 8 <= 9; cum 6 ->
	 * 12 > 9: V1's 200 */
	{ "one light clock far ahead", 4, { 0, 1, 2, 3 },
	  { PARENT_T + 200, PARENT_T + 200, PARENT_T + 200, PARENT_T + 999999 },
	  PARENT_T + 200 },
	/* V3 just after the parent, the others later: sorted V3 (1) 1,
	 * V1 (2) 300, V2 (2) 301, V0 (4) 302: cum 1 -> 2; cum 3 -> 6; cum 5
	 * -> 10 > 9: V2's 301 */
	{ "one light clock far behind", 4, { 0, 1, 2, 3 },
	  { PARENT_T + 302, PARENT_T + 300, PARENT_T + 301, PARENT_T + 1 }, PARENT_T + 301 },
	/* all the same time: that time */
	{ "all equal", 4, { 3, 2, 1, 0 },
	  { PARENT_T + 7, PARENT_T + 7, PARENT_T + 7, PARENT_T + 7 }, PARENT_T + 7 },
};

static void run_cases(const struct mcase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t got = 0;
		int rc = lc_time(cases[i].who, cases[i].t, cases[i].n, &got);
		if (rc != 0 || got != cases[i].want)
			fail_msg("%s: rc %d, time %llu, want %llu", cases[i].what, rc,
			         (unsigned long long)got, (unsigned long long)cases[i].want);
	}
}

static void test_lc_weighted_median(void **state)
{
	static const uint64_t power[4] = { 4, 2, 2, 1 };
	(void)state;
	set_powers(power, 4);
	run_cases(weighted, sizeof(weighted) / sizeof(weighted[0]));
}

static void test_lc_equal_powers(void **state)
{
	static const uint64_t power[4] = { 1, 1, 1, 1 };
	static const struct mcase equal[] = {
		/* total 4: sorted 10, 20, 30, 40: cum 1 -> 2 <= 4; cum 2 -> 4
		 * <= 4; cum 3 -> 6 > 4: 30, the upper of the two middle times */
		{ "four", 4, { 0, 1, 2, 3 },
		  { PARENT_T + 40, PARENT_T + 10, PARENT_T + 30, PARENT_T + 20 }, PARENT_T + 30 },
		/* the same with V2's clock far ahead: 10, 20, 40, far: the
		 * third, 40 */
		{ "four, one far ahead", 4, { 0, 1, 2, 3 },
		  { PARENT_T + 40, PARENT_T + 10, PARENT_T + 9999999, PARENT_T + 20 },
		  PARENT_T + 40 },
		/* ... and far behind: 1, 20, 30, 40: the third, 30 */
		{ "four, one far behind", 4, { 0, 1, 2, 3 },
		  { PARENT_T + 40, PARENT_T + 1, PARENT_T + 30, PARENT_T + 20 }, PARENT_T + 30 },
		/* three of four sign (3 > 8/3): sorted 10, 20, 30: cum 1 -> 2
		 * <= 3; cum 2 -> 4 > 3: 20, the middle one */
		{ "three of four", 3, { 2, 0, 1 },
		  { PARENT_T + 30, PARENT_T + 10, PARENT_T + 20 }, PARENT_T + 20 },
	};
	(void)state;
	set_powers(power, 4);
	run_cases(equal, sizeof(equal) / sizeof(equal[0]));
}

static void test_lc_single_signer(void **state)
{
	static const uint64_t one[1] = { 1 };
	static const uint64_t big[4] = { 10, 1, 1, 1 };
	/* one validator: cum 1 -> 2 > 1: its time */
	static const struct mcase solo[] = {
		{ "sole validator", 1, { 0 }, { PARENT_T + 1 }, PARENT_T + 1 },
		{ "sole validator, later", 1, { 0 }, { PARENT_T + 86400000 },
		  PARENT_T + 86400000 },
	};
	/* V0 holds 10 of 13 (> 2/3) and signs alone: total 10, cum 10 -> 20
	 * > 10: its time */
	static const struct mcase alone[] = {
		{ "one signer of four", 1, { 0 }, { PARENT_T + 33 }, PARENT_T + 33 },
	};
	(void)state;
	set_powers(one, 1);
	run_cases(solo, 2);
	set_powers(big, 4);
	run_cases(alone, 1);
}

/* Every order of the same signatures gives the same time. */
static void test_lc_order_independent(void **state)
{
	static const uint64_t power[4] = { 4, 2, 2, 1 };
	static const int perm[24][4] = {
		{ 0, 1, 2, 3 }, { 0, 1, 3, 2 }, { 0, 2, 1, 3 }, { 0, 2, 3, 1 }, { 0, 3, 1, 2 },
		{ 0, 3, 2, 1 }, { 1, 0, 2, 3 }, { 1, 0, 3, 2 }, { 1, 2, 0, 3 }, { 1, 2, 3, 0 },
		{ 1, 3, 0, 2 }, { 1, 3, 2, 0 }, { 2, 0, 1, 3 }, { 2, 0, 3, 1 }, { 2, 1, 0, 3 },
		{ 2, 1, 3, 0 }, { 2, 3, 0, 1 }, { 2, 3, 1, 0 }, { 3, 0, 1, 2 }, { 3, 0, 2, 1 },
		{ 3, 1, 0, 2 }, { 3, 1, 2, 0 }, { 3, 2, 0, 1 }, { 3, 2, 1, 0 },
	};
	(void)state;
	set_powers(power, 4);
	for (size_t c = 0; c < sizeof(weighted) / sizeof(weighted[0]); c++) {
		const struct mcase *m = &weighted[c];
		for (size_t p = 0; p < 24; p++) {
			struct mcase x = *m;
			size_t k = 0;
			/* m's sigs in the order perm[p] (skipping indexes past n) */
			for (size_t j = 0; j < 4; j++) {
				size_t from = (size_t)perm[p][j];
				if (from >= m->n)
					continue;
				x.who[k] = m->who[from];
				x.t[k] = m->t[from];
				k++;
			}
			assert_int_equal(k, m->n);
			run_cases(&x, 1);
		}
	}
	/* Ties: V1 and V2 (power 2 each) both at 120, V3 (1) at 110, V0 (4)
	 * at 400: cum 1 -> 2 <= 9; the first 120, cum 3 -> 6 <= 9; the
	 * second 120, cum 5 -> 10 > 9: 120 whichever sig comes first. */
	{
		const int who_a[4] = { 1, 2, 3, 0 }, who_b[4] = { 2, 1, 0, 3 };
		const uint64_t t_a[4] = { PARENT_T + 120, PARENT_T + 120, PARENT_T + 110,
		                          PARENT_T + 400 };
		const uint64_t t_b[4] = { PARENT_T + 120, PARENT_T + 120, PARENT_T + 400,
		                          PARENT_T + 110 };
		uint64_t ta = 0, tb = 0, again = 0;
		assert_int_equal(lc_time(who_a, t_a, 4, &ta), 0);
		assert_int_equal(lc_time(who_b, t_b, 4, &tb), 0);
		assert_true(ta == PARENT_T + 120 && tb == ta);
		/* and the same bytes twice give the same time */
		assert_int_equal(lc_time(who_a, t_a, 4, &again), 0);
		assert_true(again == ta);
	}
}

/* ---- refusals --------------------------------------------------------------- */

static void test_lc_refused(void **state)
{
	static const uint64_t power[4] = { 4, 2, 2, 1 };
	static const int all[4] = { 0, 1, 2, 3 };
	uint8_t lc[4 + 1 + MAXV * EMBER_CERT_SIG_SIZE], other[32];
	uint64_t t[4] = { PARENT_T + 10, PARENT_T + 20, PARENT_T + 30, PARENT_T + 40 };
	uint64_t time_ms;
	size_t len;
	char why[256];
	(void)state;
	set_powers(power, 4);

	/* A single precommit stamped at the parent's time, or before it,
	 * from a minority (V3's, power 1 of 9) is not judged: accepted.
	 * Sorted V3 (1) early, V0 (4) +10, V1 (2) +20, V2 (2) +30: cum 1 ->
	 * 2 <= 9; cum 5 -> 10 > 9: V0's +10, however early V3's stamp. */
	{
		const uint64_t early[4] = { PARENT_T, PARENT_T - 1, 0, PARENT_T + 1 };
		for (size_t i = 0; i < 4; i++) {
			t[3] = early[i];
			time_ms = 0;
			assert_int_equal(lc_time(all, t, 4, &time_ms), 0);
			assert_true(time_ms == PARENT_T + 10);
		}
	}
	/* The median itself at the parent's time: V0 (4) and V3 (1) at
	 * PARENT_T; sorted V0 (4) PARENT_T, V3 (1) PARENT_T, V1 +20, V2 +30:
	 * cum 4 -> 8 <= 9; cum 5 -> 10 > 9: PARENT_T, not after it: refused. */
	why[0] = '\0';
	t[0] = PARENT_T;
	t[3] = PARENT_T;
	len = make_cert(PARENT_H, parent_hash, all, t, 4, lc, sizeof(lc));
	assert_int_equal(cons_last_commit(&gen, PARENT_H, PARENT_T, parent_hash, lc, len,
	                                  &scratch, &time_ms, why, sizeof(why)),
	                 EMBER_BLK_LAST_COMMIT);
	assert_non_null(strstr(why, "weighted median"));
	assert_non_null(strstr(why, "not after"));
	t[0] = PARENT_T + 10;
	t[3] = PARENT_T + 40;

	/* A certificate of another block at the parent's height, of the
	 * parent's hash at another height, or another round's signatures
	 * relabelled: refused. */
	memset(other, 0x3d, 32);
	len = make_cert(PARENT_H, other, all, t, 4, lc, sizeof(lc));
	assert_int_equal(cons_last_commit(&gen, PARENT_H, PARENT_T, parent_hash, lc, len,
	                                  &scratch, &time_ms, why, sizeof(why)),
	                 EMBER_BLK_LAST_COMMIT);
	assert_non_null(strstr(why, "+2/3"));
	len = make_cert(PARENT_H + 1, parent_hash, all, t, 4, lc, sizeof(lc));
	assert_int_equal(cons_last_commit(&gen, PARENT_H, PARENT_T, parent_hash, lc, len,
	                                  &scratch, &time_ms, why, sizeof(why)),
	                 EMBER_BLK_LAST_COMMIT);
	len = make_cert(PARENT_H, parent_hash, all, t, 4, lc, sizeof(lc));
	lc[0] = 1;                                 /* round 0 -> 1 */
	assert_int_equal(cons_last_commit(&gen, PARENT_H, PARENT_T, parent_hash, lc, len,
	                                  &scratch, &time_ms, why, sizeof(why)),
	                 EMBER_BLK_LAST_COMMIT);

	/* Lacking +2/3: V1 V2 V3 hold 5 of 9 (15 <= 18); V0 V3 5 of 9; V0 V1
	 * exactly 6 of 9 (18 is not > 18).  V0 V1 V3 (7) is enough. */
	{
		static const int w1[3] = { 1, 2, 3 }, w2[2] = { 0, 3 }, w3[2] = { 0, 1 };
		static const int w4[3] = { 0, 1, 3 };
		assert_int_equal(lc_time(w1, t, 3, &time_ms), EMBER_BLK_LAST_COMMIT);
		assert_int_equal(lc_time(w2, t, 2, &time_ms), EMBER_BLK_LAST_COMMIT);
		assert_int_equal(lc_time(w3, t, 2, &time_ms), EMBER_BLK_LAST_COMMIT);
		/* sorted V0 (4) +10, V1 (2) +20, V3 (1) +30 (the signers' power
		 * is 7): cum 4 -> 8 > 7: V0's +10 */
		assert_int_equal(lc_time(w4, t, 3, &time_ms), 0);
		assert_true(time_ms == PARENT_T + 10);
	}
	/* A signer twice (its power counted once would not be enough:
	 * V1 V1 V2 V3), or a key outside the set: refused. */
	{
		static const int dup[4] = { 1, 1, 2, 3 };
		struct ember_keypair saved = vk[3];
		assert_int_equal(lc_time(dup, t, 4, &time_ms), EMBER_BLK_LAST_COMMIT);
		assert_int_equal(ember_keypair_generate(&vk[3]), 0);
		assert_int_equal(lc_time(all, t, 4, &time_ms), EMBER_BLK_LAST_COMMIT);
		vk[3] = saved;
		assert_int_equal(lc_time(all, t, 4, &time_ms), 0);
	}
	/* An empty certificate (nsig 0) is no last commit. */
	{
		static const uint8_t empty[5] = { 0, 0, 0, 0, 0 };
		assert_int_equal(cons_last_commit(&gen, PARENT_H, PARENT_T, parent_hash, empty,
		                                  sizeof(empty), &scratch, &time_ms, why,
		                                  sizeof(why)), EMBER_BLK_LAST_COMMIT);
	}
}

/* ---- faulty validators (under a third of the power) -------------------- */

/*
 * (a) Powers 4, 2, 2, 1: V3 (1 of 9, faulty) stamps its precommit at the
 * parent's time or before it, the others after.  The certificate is a
 * valid last commit and the time is an honest signer's.  (The old rule
 * refused any certificate holding such a stamp, so an honest node that
 * stored one could never build the next block.)
 */
static void test_lc_faulty_early_minority(void **state)
{
	static const uint64_t power[4] = { 4, 2, 2, 1 };
	static const int who[4] = { 3, 0, 1, 2 };          /* the faulty first */
	/* honest: V0 +300, V1 +100, V2 +200 */
	uint64_t t[4] = { 0, PARENT_T + 300, PARENT_T + 100, PARENT_T + 200 };
	const uint64_t stamp[4] = { PARENT_T, PARENT_T - 100, 0, PARENT_T + 1 };
	uint64_t time_ms;
	(void)state;
	set_powers(power, 4);
	/* sorted V3 (1) early, V1 (2) +100, V2 (2) +200, V0 (4) +300: cum 1
	 * -> 2 <= 9; cum 3 -> 6 <= 9; cum 5 -> 10 > 9: V2's +200. */
	for (size_t i = 0; i < 4; i++) {
		t[0] = stamp[i];
		time_ms = 0;
		if (lc_time(who, t, 4, &time_ms) != 0 || time_ms != PARENT_T + 200)
			fail_msg("V3 at %llu: time %llu, want %llu",
			         (unsigned long long)stamp[i], (unsigned long long)time_ms,
			         (unsigned long long)(PARENT_T + 200));
	}
	/* V3 far in the future instead: sorted V1 (2) +100, V2 (2) +200, V0
	 * (4) +300, V3 (1) far: cum 2 -> 4; cum 4 -> 8 <= 9; cum 8 -> 16 > 9:
	 * V0's +300, an honest clock still. */
	t[0] = UINT64_MAX - 1;
	assert_int_equal(lc_time(who, t, 4, &time_ms), 0);
	assert_true(time_ms == PARENT_T + 300);
	t[0] = UINT64_MAX;
	assert_int_equal(lc_time(who, t, 4, &time_ms), 0);
	assert_true(time_ms == PARENT_T + 300);
}

/*
 * (b) Four validators of power 1; V0 (faulty), V1, V2 sign (3 of 4 > 2/3),
 * V3 is absent.  V0 stamps parent + 1, V1 +500, V2 +501.  Sorted +1,
 * +500, +501 (the signers' power is 3): cum 1 -> 2 <= 3; cum 2 -> 4 > 3:
 * +500, an honest clock.  (The old rule, half = 3 / 2 = 1, stopped at the
 * first: the faulty +1.)  Wherever V0 sits in the certificate.
 */
static void test_lc_faulty_one_of_three(void **state)
{
	static const uint64_t power[4] = { 1, 1, 1, 1 };
	static const int who[3][3] = { { 0, 1, 2 }, { 1, 0, 2 }, { 1, 2, 0 } };
	uint64_t time_ms;
	(void)state;
	set_powers(power, 4);
	for (size_t p = 0; p < 3; p++) {
		uint64_t t[3];
		/* t[i] is who[p][i]'s stamp */
		for (size_t i = 0; i < 3; i++)
			t[i] = who[p][i] == 0 ? PARENT_T + 1
			     : who[p][i] == 1 ? PARENT_T + 500 : PARENT_T + 501;
		time_ms = 0;
		assert_int_equal(lc_time(who[p], t, 3, &time_ms), 0);
		assert_true(time_ms == PARENT_T + 500);
		/* V0 at the parent's time, or at 0: sorted early, +500, +501:
		 * the same walk, +500, and accepted. */
		for (size_t i = 0; i < 3; i++)
			if (who[p][i] == 0)
				t[i] = PARENT_T;
		assert_int_equal(lc_time(who[p], t, 3, &time_ms), 0);
		assert_true(time_ms == PARENT_T + 500);
		for (size_t i = 0; i < 3; i++)
			if (who[p][i] == 0)
				t[i] = 0;
		assert_int_equal(lc_time(who[p], t, 3, &time_ms), 0);
		assert_true(time_ms == PARENT_T + 500);
		/* V0 far in the future: sorted +500, +501, far: cum 1 -> 2 <= 3;
		 * cum 2 -> 4 > 3: +501, not V0's. */
		for (size_t i = 0; i < 3; i++)
			if (who[p][i] == 0)
				t[i] = UINT64_MAX - 1;
		assert_int_equal(lc_time(who[p], t, 3, &time_ms), 0);
		assert_true(time_ms == PARENT_T + 501);
	}
}

/* The median at or before the parent's time: refused, whichever stamps
 * are early; a median after it, however many of the rest are early. */
static void test_lc_median_not_after_parent(void **state)
{
	static const uint64_t p4221[4] = { 4, 2, 2, 1 }, p1111[4] = { 1, 1, 1, 1 };
	static const int all[4] = { 0, 1, 2, 3 }, three[3] = { 0, 1, 2 };
	uint8_t lc[4 + 1 + MAXV * EMBER_CERT_SIG_SIZE];
	uint64_t time_ms;
	size_t len;
	char why[256];
	(void)state;

	set_powers(p4221, 4);
	/* V1 (2) at parent - 100, V0 (4) at the parent's time: 6 of 9 at or
	 * before it.  Sorted V1 (2) P-100, V0 (4) P, V2 (2) +10, V3 (1) +20:
	 * cum 2 -> 4 <= 9; cum 6 -> 12 > 9: P, not after P: refused. */
	{
		const uint64_t t[4] = { PARENT_T, PARENT_T - 100, PARENT_T + 10, PARENT_T + 20 };
		why[0] = '\0';
		len = make_cert(PARENT_H, parent_hash, all, t, 4, lc, sizeof(lc));
		assert_int_equal(cons_last_commit(&gen, PARENT_H, PARENT_T, parent_hash, lc,
		                                  len, &scratch, &time_ms, why, sizeof(why)),
		                 EMBER_BLK_LAST_COMMIT);
		assert_non_null(strstr(why, "weighted median"));
		assert_non_null(strstr(why, "not after"));
	}
	/* Every stamp early: refused. */
	{
		const uint64_t t[4] = { 0, 1, PARENT_T - 1, PARENT_T };
		assert_int_equal(lc_time(all, t, 4, &time_ms), EMBER_BLK_LAST_COMMIT);
	}
	/* V0 (4 of 9) alone at the parent's time is no majority: sorted V0
	 * (4) P, V1 (2) +20, V2 (2) +30, V3 (1) +40: cum 4 -> 8 <= 9; cum 6
	 * -> 12 > 9: +20, accepted. */
	{
		const uint64_t t[4] = { PARENT_T, PARENT_T + 20, PARENT_T + 30, PARENT_T + 40 };
		assert_int_equal(lc_time(all, t, 4, &time_ms), 0);
		assert_true(time_ms == PARENT_T + 20);
	}
	/* The boundary: V0 (4) at P, V3 (1) at P + 1; sorted V0 P, V3 P+1, V1
	 * +20, V2 +30: cum 4 -> 8 <= 9; cum 5 -> 10 > 9: P + 1, accepted. */
	{
		const uint64_t t[4] = { PARENT_T, PARENT_T + 20, PARENT_T + 30, PARENT_T + 1 };
		assert_int_equal(lc_time(all, t, 4, &time_ms), 0);
		assert_true(time_ms == PARENT_T + 1);
	}

	set_powers(p1111, 4);
	/* Three of four sign, two of them early: sorted P-1, P, +500: cum 1
	 * -> 2 <= 3; cum 2 -> 4 > 3: P: refused. */
	{
		const uint64_t t[3] = { PARENT_T, PARENT_T + 500, PARENT_T - 1 };
		assert_int_equal(lc_time(three, t, 3, &time_ms), EMBER_BLK_LAST_COMMIT);
	}
	/* All four sign, exactly half (2 of 4) at P: sorted P, P, +10, +20:
	 * cum 2 -> 4 <= 4 (half is not a majority); cum 3 -> 6 > 4: +10,
	 * accepted. */
	{
		const uint64_t t[4] = { PARENT_T + 20, PARENT_T, PARENT_T + 10, PARENT_T };
		assert_int_equal(lc_time(all, t, 4, &time_ms), 0);
		assert_true(time_ms == PARENT_T + 10);
	}
	/* Three of four at P: sorted P, P, P, +10: cum 3 -> 6 > 4: P: refused. */
	{
		const uint64_t t[4] = { PARENT_T, PARENT_T, PARENT_T + 10, PARENT_T };
		assert_int_equal(lc_time(all, t, 4, &time_ms), EMBER_BLK_LAST_COMMIT);
	}
}

/* Powers whose doubled sums pass 64 bits: V0 V1 V2 2^62 each, V3 2^62 - 1
 * (total 2^64 - 1, the most genesis allows).  All sign, at +10, +20, +30,
 * +40: cum 2^62 -> 2^63 <= 2^64 - 1; cum 2^63 -> 2^64 > 2^64 - 1: V1's +20
 * (in 64-bit arithmetic 2 * 2^63 would wrap to 0). */
static void test_lc_huge_powers(void **state)
{
	static const uint64_t power[4] = { 1ULL << 62, 1ULL << 62, 1ULL << 62,
	                                   (1ULL << 62) - 1 };
	static const int all[4] = { 0, 1, 2, 3 };
	static const uint64_t t[4] = { PARENT_T + 10, PARENT_T + 20, PARENT_T + 30,
	                               PARENT_T + 40 };
	uint64_t time_ms = 0;
	(void)state;
	set_powers(power, 4);
	assert_int_equal(lc_time(all, t, 4, &time_ms), 0);
	assert_true(time_ms == PARENT_T + 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_time_signed),
		cmocka_unit_test(test_lc_block1),
		cmocka_unit_test(test_lc_missing_or_garbage),
		cmocka_unit_test(test_lc_weighted_median),
		cmocka_unit_test(test_lc_equal_powers),
		cmocka_unit_test(test_lc_single_signer),
		cmocka_unit_test(test_lc_order_independent),
		cmocka_unit_test(test_lc_refused),
		cmocka_unit_test(test_lc_faulty_early_minority),
		cmocka_unit_test(test_lc_faulty_one_of_three),
		cmocka_unit_test(test_lc_median_not_after_parent),
		cmocka_unit_test(test_lc_huge_powers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
