/*
 * test_mempool.c - admission rules with their messages, replacement,
 * limits and eviction, block selection order, pruning after a block, and a
 * randomized run against a plain reference model.  Every tx is a real
 * signed transfer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/addr.h"
#include "ember/amount.h"
#include "ember/key.h"
#include "ember/mempool.h"
#include "ember/tx.h"

#define CHAIN "ember-test"

struct ttx {
	struct ember_tx tx;
	uint8_t enc[256];
	size_t len;
	uint8_t txid[32];
};

static const uint8_t to_key[32] = { 7 };

static void mk(struct ttx *t, const struct ember_keypair *kp, uint64_t nonce,
               uint64_t fee, uint64_t amount)
{
	assert_int_equal(ember_tx_init_transfer(&t->tx, CHAIN, kp->pub, nonce,
	                                        fee, to_key, amount), 0);
	assert_int_equal(ember_tx_sign(&t->tx, kp), 0);
	assert_int_equal(ember_tx_encode(&t->tx, t->enc, sizeof t->enc, &t->len),
	                 0);
	ember_txid(t->enc, t->len, t->txid);
}

static int add(struct ember_mempool *mp, const struct ttx *t, uint64_t balance,
               uint64_t nonce, char *why, size_t whylen)
{
	struct ember_account a = { balance, nonce };

	return ember_mempool_add(mp, &t->tx, t->enc, t->len, t->txid, &a, why,
	                         whylen);
}

static void keygen(struct ember_keypair *kp)
{
	assert_int_equal(ember_keypair_generate(kp), 0);
}

static struct ember_mempool *pool(size_t max_txs, size_t max_bytes,
                                  size_t per_sender)
{
	struct ember_mempool_cfg cfg = { max_txs, max_bytes, per_sender };
	struct ember_mempool *mp;

	assert_int_equal(ember_mempool_new(&mp, &cfg), 0);
	return mp;
}

#define BIG (1000 * EMBER_COIN)

static void test_dup(void **state)
{
	struct ember_mempool *mp = pool(0, 0, 0);
	struct ember_keypair kp;
	struct ttx t;
	char why[256];

	(void)state;
	keygen(&kp);
	mk(&t, &kp, 0, 10, 100);
	assert_int_equal(add(mp, &t, BIG, 0, why, sizeof why), 0);
	assert_int_equal(add(mp, &t, BIG, 0, why, sizeof why), EMBER_MP_DUP);
	assert_non_null(strstr(why, "already pending"));
	assert_int_equal(ember_mempool_count(mp), 1);
	assert_int_equal(ember_mempool_bytes(mp), t.len);
	assert_non_null(ember_mempool_get(mp, t.txid));
	assert_memory_equal(ember_mempool_get(mp, t.txid)->enc, t.enc, t.len);
	ember_mempool_free(mp);
}

static void test_nonce_used_and_gap(void **state)
{
	struct ember_mempool *mp = pool(0, 0, 0);
	struct ember_keypair kp;
	struct ttx t;
	char why[256], addr[EMBER_ADDR_BUFLEN], want[400];

	(void)state;
	keygen(&kp);
	ember_addr_encode(kp.pub, addr);

	mk(&t, &kp, 7, 10, 100);
	assert_int_equal(add(mp, &t, BIG, 9, why, sizeof why),
	                 EMBER_TX_NONCE_USED);
	snprintf(want, sizeof want,
	         "nonce 7 already used by account '%s'; next is 9", addr);
	assert_string_equal(why, want);

	mk(&t, &kp, 12, 10, 100);
	assert_int_equal(add(mp, &t, BIG, 9, why, sizeof why),
	                 EMBER_TX_NONCE_GAP);
	snprintf(want, sizeof want,
	         "nonce 12 leaves a gap for account '%s'; next is 9", addr);
	assert_string_equal(why, want);
	assert_int_equal(ember_mempool_count(mp), 0);

	/* with 9 and 10 pending, "next" counts them */
	mk(&t, &kp, 9, 10, 100);
	assert_int_equal(add(mp, &t, BIG, 9, why, sizeof why), 0);
	mk(&t, &kp, 10, 10, 100);
	assert_int_equal(add(mp, &t, BIG, 9, NULL, 0), 0);
	mk(&t, &kp, 8, 10, 100);
	assert_int_equal(add(mp, &t, BIG, 9, why, sizeof why),
	                 EMBER_TX_NONCE_USED);
	assert_non_null(strstr(why, "next is 11"));
	assert_non_null(strstr(why, addr));
	mk(&t, &kp, 12, 10, 100);
	assert_int_equal(add(mp, &t, BIG, 9, why, sizeof why),
	                 EMBER_TX_NONCE_GAP);
	assert_non_null(strstr(why, "next is 11"));
	assert_int_equal(ember_mempool_next_nonce(mp, kp.pub, 9), 11);
	assert_int_equal(ember_mempool_count(mp), 2);
	assert_int_equal(ember_mempool_pending_cost(mp, kp.pub), 220);
	ember_mempool_free(mp);
}

static void test_insufficient(void **state)
{
	struct ember_mempool *mp = pool(0, 0, 0);
	struct ember_keypair kp;
	struct ttx t;
	char why[256], addr[EMBER_ADDR_BUFLEN], want[400];
	uint64_t bal = EMBER_COIN + EMBER_COIN / 2;   /* 1.5 EMB */

	(void)state;
	keygen(&kp);
	ember_addr_encode(kp.pub, addr);

	/* single: 2 EMB + 0.000001 EMB fee */
	mk(&t, &kp, 0, 1000, 2 * EMBER_COIN);
	assert_int_equal(add(mp, &t, bal, 0, why, sizeof why),
	                 EMBER_TX_INSUFFICIENT);
	snprintf(want, sizeof want,
	         "insufficient funds: account '%s' has 1.5 EMB, pending txs "
	         "need 2.000001 EMB", addr);
	assert_string_equal(why, want);

	/* cumulative: 1 EMB fits, another 0.5 EMB + fees does not */
	mk(&t, &kp, 0, 1000, EMBER_COIN);
	assert_int_equal(add(mp, &t, bal, 0, why, sizeof why), 0);
	mk(&t, &kp, 1, 1000, EMBER_COIN / 2);
	assert_int_equal(add(mp, &t, bal, 0, why, sizeof why),
	                 EMBER_TX_INSUFFICIENT);
	assert_non_null(strstr(why, "has 1.5 EMB, pending txs need 1.500002 EMB"));
	assert_non_null(strstr(why, addr));
	assert_int_equal(ember_mempool_count(mp), 1);
	assert_int_equal(ember_mempool_pending_cost(mp, kp.pub), EMBER_COIN + 1000);

	/* exactly the balance is fine */
	mk(&t, &kp, 1, 1000, EMBER_COIN / 2 - 2000);
	assert_int_equal(add(mp, &t, bal, 0, why, sizeof why), 0);
	assert_int_equal(ember_mempool_pending_cost(mp, kp.pub), bal);
	ember_mempool_free(mp);
}

static void test_replace(void **state)
{
	struct ember_mempool *mp = pool(0, 0, 0);
	struct ember_keypair kp;
	struct ttx a, b, cheap, ok, pricey;
	char why[256];

	(void)state;
	keygen(&kp);
	mk(&a, &kp, 0, 1000, 100);
	mk(&b, &kp, 1, 1000, 100);
	assert_int_equal(add(mp, &a, 5000, 0, why, sizeof why), 0);
	assert_int_equal(add(mp, &b, 5000, 0, why, sizeof why), 0);

	mk(&cheap, &kp, 0, 1099, 100);
	assert_int_equal(add(mp, &cheap, 5000, 0, why, sizeof why),
	                 EMBER_MP_REPLACE_FEE);
	assert_non_null(strstr(why, "nonce 0"));
	assert_non_null(strstr(why, "at least 0.0000011 EMB"));
	assert_non_null(ember_mempool_get(mp, a.txid));
	assert_null(ember_mempool_get(mp, cheap.txid));

	/* 10% more but the run would cost more than the balance */
	mk(&pricey, &kp, 0, 1100, 3000);
	assert_int_equal(add(mp, &pricey, 5000, 0, why, sizeof why),
	                 EMBER_TX_INSUFFICIENT);

	mk(&ok, &kp, 0, 1100, 100);
	assert_int_equal(add(mp, &ok, 5000, 0, why, sizeof why), 0);
	assert_null(ember_mempool_get(mp, a.txid));
	assert_non_null(ember_mempool_get(mp, ok.txid));
	assert_non_null(ember_mempool_get(mp, b.txid));
	assert_int_equal(ember_mempool_count(mp), 2);
	assert_int_equal(ember_mempool_bytes(mp), ok.len + b.len);
	assert_int_equal(ember_mempool_pending_cost(mp, kp.pub), 1200 + 1100);
	assert_int_equal(ember_mempool_next_nonce(mp, kp.pub, 0), 2);
	ember_mempool_free(mp);
}

static void test_sender_limit(void **state)
{
	struct ember_mempool *mp = pool(0, 0, 3);
	struct ember_keypair kp;
	struct ttx t;
	char why[256];

	(void)state;
	keygen(&kp);
	for (uint64_t i = 0; i < 3; i++) {
		mk(&t, &kp, i, 10, 100);
		assert_int_equal(add(mp, &t, BIG, 0, why, sizeof why), 0);
	}
	mk(&t, &kp, 3, 10, 100);
	assert_int_equal(add(mp, &t, BIG, 0, why, sizeof why),
	                 EMBER_MP_SENDER_LIMIT);
	assert_non_null(strstr(why, "3 pending"));
	/* a replacement does not grow the run */
	mk(&t, &kp, 2, 20, 100);
	assert_int_equal(add(mp, &t, BIG, 0, why, sizeof why), 0);
	assert_int_equal(ember_mempool_count(mp), 3);
	ember_mempool_free(mp);
}

static void test_full_evicts_cheapest_tail(void **state)
{
	struct ember_mempool *mp = pool(3, 0, 0);
	struct ember_keypair A, B, C, D;
	struct ttx a0, a1, b0, c0, d0, a2;
	char why[256];

	(void)state;
	keygen(&A), keygen(&B), keygen(&C), keygen(&D);
	mk(&a0, &A, 0, 50, 100);    /* A's head is cheapest, but a middle... */
	mk(&a1, &A, 1, 100, 100);   /* ...the tail is what may go */
	mk(&b0, &B, 0, 200, 100);
	assert_int_equal(add(mp, &a0, BIG, 0, why, sizeof why), 0);
	assert_int_equal(add(mp, &a1, BIG, 0, why, sizeof why), 0);
	assert_int_equal(add(mp, &b0, BIG, 0, why, sizeof why), 0);

	/* not strictly more than the cheapest tail (100) */
	mk(&d0, &D, 0, 100, 100);
	assert_int_equal(add(mp, &d0, BIG, 0, why, sizeof why), EMBER_MP_FULL);
	assert_non_null(strstr(why, "full"));
	assert_int_equal(ember_mempool_count(mp), 3);

	mk(&c0, &C, 0, 150, 100);
	assert_int_equal(add(mp, &c0, BIG, 0, why, sizeof why), 0);
	assert_null(ember_mempool_get(mp, a1.txid));
	assert_non_null(ember_mempool_get(mp, a0.txid));
	assert_int_equal(ember_mempool_next_nonce(mp, A.pub, 0), 1);
	assert_int_equal(ember_mempool_pending_cost(mp, A.pub), 150);
	assert_int_equal(ember_mempool_count(mp), 3);

	/* A's own head is the cheapest tail now, but A may not evict itself:
	 * the next cheapest other tail is C's 150 */
	mk(&a2, &A, 1, 160, 100);
	assert_int_equal(add(mp, &a2, BIG, 0, why, sizeof why), 0);
	assert_null(ember_mempool_get(mp, c0.txid));
	assert_int_equal(ember_mempool_next_nonce(mp, C.pub, 0), 0);
	assert_int_equal(ember_mempool_count(mp), 3);
	ember_mempool_free(mp);

	/* byte limit: room for two txs */
	mp = pool(0, 2 * a0.len + a0.len / 2, 0);
	assert_int_equal(add(mp, &a0, BIG, 0, why, sizeof why), 0);
	assert_int_equal(add(mp, &b0, BIG, 0, why, sizeof why), 0);
	assert_int_equal(add(mp, &d0, BIG, 0, why, sizeof why), 0);  /* 100 > 50 */
	assert_null(ember_mempool_get(mp, a0.txid));
	assert_int_equal(ember_mempool_bytes(mp), 2 * a0.len);
	assert_int_equal(ember_mempool_next_nonce(mp, A.pub, 0), 0);
	assert_int_equal(add(mp, &a0, BIG, 0, why, sizeof why), EMBER_MP_FULL);
	ember_mempool_free(mp);
}

static void test_select_order(void **state)
{
	struct ember_mempool *mp = pool(0, 0, 0);
	struct ember_keypair A, B, C, D;
	struct ttx a0, a1, b0, c0, c1, d0;
	const struct ember_mp_entry *out[16];
	size_t n;

	(void)state;
	keygen(&A), keygen(&B), keygen(&C), keygen(&D);
	mk(&a0, &A, 0, 10, 100);
	mk(&a1, &A, 1, 50, 100);    /* pays most, but only after a0 */
	mk(&b0, &B, 0, 30, 100);
	mk(&c0, &C, 0, 20, 100);
	mk(&c1, &C, 1, 20, 100);
	mk(&d0, &D, 0, 20, 100);    /* same fee as c0, arrives later */
	assert_int_equal(add(mp, &a0, BIG, 0, NULL, 0), 0);
	assert_int_equal(add(mp, &a1, BIG, 0, NULL, 0), 0);
	assert_int_equal(add(mp, &b0, BIG, 0, NULL, 0), 0);
	assert_int_equal(add(mp, &c0, BIG, 0, NULL, 0), 0);
	assert_int_equal(add(mp, &c1, BIG, 0, NULL, 0), 0);
	assert_int_equal(add(mp, &d0, BIG, 0, NULL, 0), 0);

	assert_int_equal(ember_mempool_select(mp, 16, SIZE_MAX, out, &n), 0);
	assert_int_equal(n, 6);
	const struct ttx *want[] = { &b0, &c0, &c1, &d0, &a0, &a1 };
	for (size_t i = 0; i < 6; i++)
		assert_memory_equal(out[i]->txid, want[i]->txid, 32);
	assert_int_equal(ember_mempool_count(mp), 6);   /* select keeps them */

	assert_int_equal(ember_mempool_select(mp, 2, SIZE_MAX, out, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(out[1]->txid, c0.txid, 32);

	assert_int_equal(ember_mempool_select(mp, 16, 3 * a0.len - 1, out, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ember_mempool_select(mp, 16, 0, out, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ember_mempool_select(mp, 0, SIZE_MAX, NULL, &n), 0);
	assert_int_equal(n, 0);
	ember_mempool_free(mp);
}

static void test_update_sender(void **state)
{
	struct ember_mempool *mp = pool(0, 0, 0);
	struct ember_keypair A, B;
	struct ttx t[5], b0;
	struct ember_account acct;

	(void)state;
	keygen(&A), keygen(&B);
	for (uint64_t i = 0; i < 5; i++) {
		mk(&t[i], &A, i, 10, 100);
		assert_int_equal(add(mp, &t[i], BIG, 0, NULL, 0), 0);
	}
	mk(&b0, &B, 0, 10, 100);
	assert_int_equal(add(mp, &b0, BIG, 0, NULL, 0), 0);
	assert_int_equal(ember_mempool_pending_cost(mp, A.pub), 550);

	/* 0 and 1 committed; 250 covers two more of 110 */
	acct = (struct ember_account){ 250, 2 };
	ember_mempool_update_sender(mp, A.pub, &acct);
	assert_null(ember_mempool_get(mp, t[0].txid));
	assert_null(ember_mempool_get(mp, t[1].txid));
	assert_non_null(ember_mempool_get(mp, t[2].txid));
	assert_non_null(ember_mempool_get(mp, t[3].txid));
	assert_null(ember_mempool_get(mp, t[4].txid));
	assert_int_equal(ember_mempool_count(mp), 3);
	assert_int_equal(ember_mempool_bytes(mp), 3 * b0.len);
	assert_int_equal(ember_mempool_next_nonce(mp, A.pub, 2), 4);
	assert_int_equal(ember_mempool_pending_cost(mp, A.pub), 220);

	/* everything committed */
	acct = (struct ember_account){ BIG, 10 };
	ember_mempool_update_sender(mp, A.pub, &acct);
	assert_int_equal(ember_mempool_count(mp), 1);
	assert_int_equal(ember_mempool_next_nonce(mp, A.pub, 10), 10);
	assert_int_equal(ember_mempool_pending_cost(mp, A.pub), 0);
	ember_mempool_update_sender(mp, A.pub, &acct);  /* unknown: no-op */
	assert_non_null(ember_mempool_get(mp, b0.txid));

	/* a committed nonce below the run leaves a gap: nothing executes */
	mk(&t[0], &A, 10, 10, 100);
	assert_int_equal(add(mp, &t[0], BIG, 10, NULL, 0), 0);
	acct = (struct ember_account){ BIG, 9 };
	ember_mempool_update_sender(mp, A.pub, &acct);
	assert_null(ember_mempool_get(mp, t[0].txid));
	assert_int_equal(ember_mempool_count(mp), 1);
	ember_mempool_free(mp);
}

static void test_remove(void **state)
{
	struct ember_mempool *mp = pool(0, 0, 0);
	struct ember_keypair A;
	struct ttx t[4];

	(void)state;
	keygen(&A);
	for (uint64_t i = 0; i < 4; i++) {
		mk(&t[i], &A, i, 10, 100);
		assert_int_equal(add(mp, &t[i], BIG, 0, NULL, 0), 0);
	}
	assert_int_equal(ember_mempool_remove(mp, t[1].txid), 0);
	assert_int_equal(ember_mempool_count(mp), 1);
	assert_int_equal(ember_mempool_bytes(mp), t[0].len);
	assert_int_equal(ember_mempool_next_nonce(mp, A.pub, 0), 1);
	assert_int_equal(ember_mempool_pending_cost(mp, A.pub), 110);
	assert_null(ember_mempool_get(mp, t[3].txid));
	assert_int_equal(ember_mempool_remove(mp, t[2].txid), EMBER_ENOTFOUND);
	assert_int_equal(ember_mempool_remove(mp, t[0].txid), 0);
	assert_int_equal(ember_mempool_count(mp), 0);
	assert_int_equal(ember_mempool_bytes(mp), 0);
	/* the sender is gone; its nonces start over at the committed one */
	assert_int_equal(add(mp, &t[0], BIG, 0, NULL, 0), 0);
	ember_mempool_free(mp);
}

static void test_misuse(void **state)
{
	struct ember_mempool *mp = pool(0, 0, 0);
	struct ember_account a = { 1, 0 };
	struct ttx t;
	struct ember_keypair kp;
	size_t n;

	(void)state;
	keygen(&kp);
	mk(&t, &kp, 0, 1, 1);
	assert_int_equal(ember_mempool_add(mp, &t.tx, t.enc, t.len, t.txid, NULL,
	                                   NULL, 0), EMBER_EINVAL);
	assert_int_equal(ember_mempool_add(mp, &t.tx, NULL, t.len, t.txid, &a,
	                                   NULL, 0), EMBER_EINVAL);
	assert_int_equal(ember_mempool_select(mp, 1, 1, NULL, &n), EMBER_EINVAL);
	assert_int_equal(ember_mempool_new(NULL, NULL), EMBER_EINVAL);
	ember_mempool_free(NULL);
	ember_mempool_free(mp);
}

/* ---- randomized against a reference model */

#define R_SENDERS 8
#define R_RUN 12
#define R_MAXTXS 24

struct mtx {
	uint64_t nonce, fee, cost, seq;
	uint8_t txid[32];
};

struct msender {
	struct ember_keypair kp;
	struct ember_account acct;
	struct mtx run[R_RUN + 1];
	size_t n;
};

static struct msender ms[R_SENDERS];
static uint64_t mseq;
static int mevicted;

static uint64_t rnd(uint64_t n)
{
	return (uint64_t)rand() % n;
}

static size_t model_count(void)
{
	size_t c = 0;

	for (int i = 0; i < R_SENDERS; i++)
		c += ms[i].n;
	return c;
}

static void model_sync(struct msender *s)
{
	size_t used = 0;
	uint64_t sum = 0;
	size_t keep = 0;

	if (s->n == 0)
		return;
	if (s->acct.nonce < s->run[0].nonce)
		used = s->n;
	else if (s->acct.nonce - s->run[0].nonce >= s->n)
		used = s->n;
	else
		used = s->acct.nonce - s->run[0].nonce;
	memmove(s->run, s->run + used, (s->n - used) * sizeof(s->run[0]));
	s->n -= used;
	while (keep < s->n && sum + s->run[keep].cost <= s->acct.balance)
		sum += s->run[keep++].cost;
	s->n = keep;
}

static uint64_t model_cost(const struct msender *s)
{
	uint64_t c = 0;

	for (size_t i = 0; i < s->n; i++)
		c += s->run[i].cost;
	return c;
}

/* Cheapest tail among other senders: fee asc, then newest. */
static struct msender *model_victim(const struct msender *self)
{
	struct msender *v = NULL;

	for (int i = 0; i < R_SENDERS; i++) {
		struct msender *s = &ms[i];
		const struct mtx *t, *vt;

		if (s == self || s->n == 0)
			continue;
		t = &s->run[s->n - 1];
		vt = v ? &v->run[v->n - 1] : NULL;
		if (!v || t->fee < vt->fee || (t->fee == vt->fee && t->seq > vt->seq))
			v = s;
	}
	return v;
}

static int model_add(struct msender *s, const struct ttx *t)
{
	uint64_t nonce = t->tx.nonce, fee = t->tx.fee;
	uint64_t cost = ember_tx_cost(&t->tx), next, need;
	size_t idx = 0;
	int repl;

	if (s->n && (s->run[0].nonce != s->acct.nonce ||
	             model_cost(s) > s->acct.balance))
		model_sync(s);
	next = s->acct.nonce + s->n;
	if (nonce < s->acct.nonce)
		return EMBER_TX_NONCE_USED;
	if (nonce > next)
		return EMBER_TX_NONCE_GAP;
	repl = nonce < next;
	need = model_cost(s) + cost;
	if (repl) {
		idx = nonce - s->acct.nonce;
		if (fee * 10 < s->run[idx].fee * 11)
			return EMBER_MP_REPLACE_FEE;
		need -= s->run[idx].cost;
	} else if (s->n >= R_RUN) {
		return EMBER_MP_SENDER_LIMIT;
	}
	if (need > s->acct.balance)
		return EMBER_TX_INSUFFICIENT;
	while (!repl && model_count() + 1 > R_MAXTXS) {
		struct msender *v = model_victim(s);

		if (!v || v->run[v->n - 1].fee >= fee)
			return EMBER_MP_FULL;
		v->n--;
		mevicted++;
	}
	if (!repl)
		idx = s->n++;
	s->run[idx] = (struct mtx){ nonce, fee, cost, mseq++, { 0 } };
	memcpy(s->run[idx].txid, t->txid, 32);
	return 0;
}

static void model_check(struct ember_mempool *mp)
{
	const struct ember_mp_entry *out[R_MAXTXS];
	size_t n, pos[R_SENDERS] = { 0 }, k = 0;

	assert_int_equal(ember_mempool_count(mp), model_count());
	for (int i = 0; i < R_SENDERS; i++) {
		struct msender *s = &ms[i];
		uint64_t first = s->n ? s->run[0].nonce : s->acct.nonce;
		uint64_t end = first + s->n;

		assert_int_equal(ember_mempool_next_nonce(mp, s->kp.pub, s->acct.nonce),
		                 end > s->acct.nonce ? end : s->acct.nonce);
		assert_int_equal(ember_mempool_pending_cost(mp, s->kp.pub),
		                 model_cost(s));
		for (size_t j = 0; j < s->n; j++)
			assert_non_null(ember_mempool_get(mp, s->run[j].txid));
	}

	/* selection: repeatedly the best head (fee desc, arrival asc) */
	size_t max = 1 + rnd(R_MAXTXS);
	assert_int_equal(ember_mempool_select(mp, max, SIZE_MAX, out, &n), 0);
	for (;;) {
		int best = -1;

		for (int i = 0; i < R_SENDERS; i++) {
			const struct mtx *h, *b;

			if (pos[i] >= ms[i].n)
				continue;
			h = &ms[i].run[pos[i]];
			b = best >= 0 ? &ms[best].run[pos[best]] : NULL;
			if (!b || h->fee > b->fee || (h->fee == b->fee && h->seq < b->seq))
				best = i;
		}
		if (best < 0 || k == max)
			break;
		assert_true(k < n);
		assert_memory_equal(out[k]->txid, ms[best].run[pos[best]].txid, 32);
		pos[best]++;
		k++;
	}
	assert_int_equal(k, n);
}

static void test_randomized(void **state)
{
	struct ember_mempool *mp = pool(R_MAXTXS, 0, R_RUN);
	static const int codes[] = {
		0, EMBER_TX_NONCE_USED, EMBER_TX_NONCE_GAP, EMBER_TX_INSUFFICIENT,
		EMBER_MP_REPLACE_FEE, EMBER_MP_SENDER_LIMIT, EMBER_MP_FULL,
	};
	int seen[7] = { 0 };

	(void)state;
	srand(12345);
	mseq = 0;
	mevicted = 0;
	for (int i = 0; i < R_SENDERS; i++) {
		keygen(&ms[i].kp);
		/* two rich senders reach the per-sender limit */
		ms[i].acct = (struct ember_account){
			i < 2 ? 1000000 : 500 + rnd(3000), rnd(3) };
		ms[i].n = 0;
	}
	for (int op = 0; op < 10000; op++) {
		struct msender *s = &ms[rnd(R_SENDERS)];
		uint64_t r = rnd(100);

		if (r < 75) {
			struct ttx t;
			uint64_t nonce = s->acct.nonce + s->n;   /* mostly next */
			uint64_t pick = rnd(10);
			int want, got;

			if (pick < 2)
				nonce = s->acct.nonce + rnd(s->n + 1);  /* replace */
			else if (pick < 3)
				nonce = s->acct.nonce + rnd(s->n + 3);
			else if (pick < 4 && s->acct.nonce > 0)
				nonce = s->acct.nonce - 1;
			mk(&t, &s->kp, nonce, 1 + rnd(100), 1 + rnd(400));
			want = model_add(s, &t);
			got = add(mp, &t, s->acct.balance, s->acct.nonce, NULL, 0);
			assert_int_equal(got, want);
			for (int c = 0; c < 7; c++)
				seen[c] += codes[c] == want;
		} else if (r < 87) {
			/* a block moves s's nonce (maybe past its whole run) and
			 * its balance either way */
			s->acct.nonce += rnd(s->n + 2);
			if (rnd(2))
				s->acct.balance += rnd(500);
			else
				s->acct.balance -= rnd(s->acct.balance / 2 + 1);
			/* sometimes the pool hears of it only at the next add */
			if (rnd(4)) {
				model_sync(s);
				ember_mempool_update_sender(mp, s->kp.pub, &s->acct);
			}
		} else if (r < 95) {
			if (s->n) {
				size_t j = rnd(s->n);

				assert_int_equal(ember_mempool_remove(mp, s->run[j].txid), 0);
				s->n = j;
			}
		}
		/* bookkeeping after every op; the stale senders match too since
		 * both sides keep them until told */
		model_check(mp);
	}
	/* every outcome was exercised, evictions included */
	print_message("evicted: %d\n", mevicted);
	assert_true(mevicted > 0);
	for (int c = 0; c < 7; c++) {
		print_message("code %d: %d\n", codes[c], seen[c]);
		assert_true(seen[c] > 0);
	}
	ember_mempool_free(mp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_nonce_used_and_gap),
		cmocka_unit_test(test_insufficient),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_sender_limit),
		cmocka_unit_test(test_full_evicts_cheapest_tail),
		cmocka_unit_test(test_select_order),
		cmocka_unit_test(test_update_sender),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_randomized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
