/*
 * test_challenge.c - GPU proofs on chain (tokenomics/proof.c and the
 * judgment in epoch.c) against docs/proofs.md, with the real CPU prover
 * (proof.h) on a small class: N = 64, K openings, BITS pow bits, epochs of
 * EB blocks and proofs due DL blocks into the epoch.
 *
 * Every block goes to two ledgers driven by tok_runner (tokharness.h), so
 * the state root is shown identical on a replay block by block, and each
 * gets tok_audit() and the independent recount.  Refusals are probes:
 * refused with their exact code and shown to change nothing in the very
 * block they happen in.
 *
 * The runner has no block hashes: the hash H that seeds epoch e's
 * challenges is the state root after block e*EB (tokrun.h), which the
 * epoch's first block records (tok_epoch_hash).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ember/proof.h"
#include "tokharness.h"

#define NACC 8
#define EB 8                    /* epoch_blocks */
#define DL 4                    /* challenge_deadline_blocks */
#define K 24                    /* proof_openings */
#define BITS 4                  /* proof_pow_bits */
#define STAKE ((uint64_t)1000 * EMBER_COIN)
#define MAXBODY 64

#define A(i) (f->h[0]->acc[(i)].pub)

struct fx {
	struct th *h[2];                /* the ledger and its replay */
	uint8_t *body[MAXBODY];         /* proof bodies (txs hold views) */
	size_t nbody;
};

static struct th *ledger(int enabled)
{
	struct th *h = th_new("bme", NACC);
	struct ember_params *p = &h->g.params;

	p->epoch_blocks = EB;
	p->challenges_enabled = (uint32_t)enabled;
	p->challenge_deadline_blocks = DL;
	p->proof_openings = K;
	p->proof_pow_bits = BITS;
	assert_int_equal(h->g.classes[0].challenge_n, 64);
	th_open(h);
	return h;
}

static struct fx *mk(void **state, int enabled)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	*state = f;
	f->h[0] = ledger(enabled);
	f->h[1] = ledger(enabled);
	return f;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	th_free(f->h[0]);
	th_free(f->h[1]);
	for (size_t i = 0; i < f->nbody; i++)
		free(f->body[i]);
	free(f);
	return 0;
}

/* --- blocks on both ledgers ------------------------------------------------ */

/* One block on both ledgers (txs may be NULL); the results and the state
 * roots must agree.  Results stay in f->h[0]->rc / why. */
static void blk(struct fx *f, const struct ember_tx *txs, size_t n)
{
	struct ember_tx a[TH_MAXTX], b[TH_MAXTX];
	uint8_t ra[32], rb[32];

	assert_true(n <= TH_MAXTX);
	if (n) {
		memcpy(a, txs, n * sizeof(*txs));
		memcpy(b, txs, n * sizeof(*txs));
	}
	th_block(f->h[0], n ? a : NULL, n);
	th_block(f->h[1], n ? b : NULL, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(f->h[0]->rc[i], f->h[1]->rc[i]);
	for (size_t i = 0; i < f->h[0]->nprobe; i++)
		assert_int_equal(f->h[0]->probe[i].rc, f->h[1]->probe[i].rc);
	tok_runner_root(f->h[0]->r, ra);
	tok_runner_root(f->h[1]->r, rb);
	if (memcmp(ra, rb, 32) != 0)
		fail_msg("height %llu: state roots differ on the replay",
		         (unsigned long long)th_height(f->h[0]));
}

/* A block in which every tx applies. */
static void ok(struct fx *f, const struct ember_tx *txs, size_t n)
{
	blk(f, txs, n);
	for (size_t i = 0; i < n; i++)
		if (f->h[0]->rc[i] != 0)
			fail_msg("height %llu: %s tx %zu refused: %d (%s) %s",
			         (unsigned long long)th_height(f->h[0]),
			         ember_tx_kind_name(txs[i].kind), i, f->h[0]->rc[i],
			         ember_strerror(f->h[0]->rc[i]), f->h[0]->why[i]);
}

static void ok1(struct fx *f, struct ember_tx tx)
{
	ok(f, &tx, 1);
}

/* Queue a refusal probe on both ledgers for the next block. */
static void probe(struct fx *f, struct ember_tx tx, int want)
{
	th_probe(f->h[0], tx, want);
	th_probe(f->h[1], tx, want);
}

/* Empty blocks until the next block applied is `next`. */
static void at(struct fx *f, uint64_t next)
{
	assert_true(th_height(f->h[0]) < next);
	while (th_height(f->h[0]) + 1 < next)
		blk(f, NULL, 0);
}

static uint64_t height(struct fx *f)
{
	return th_height(f->h[0]);
}

/* --- proofs ------------------------------------------------------------------ */

/* H of epoch e as the chain will use it: recorded once the epoch's first
 * block exists, and before it the state root after block e*EB. */
static void epoch_hash(struct fx *f, uint64_t e, uint8_t H[32])
{
	struct ember_txn *t;

	if (height(f) >= e * EB + 1) {
		t = th_read(f->h[0]);
		assert_int_equal(tok_epoch_hash(t, e, H), 0);
		ember_txn_abort(t);
		return;
	}
	assert_int_equal(height(f), e * EB);
	tok_runner_root(f->h[0]->r, H);
}

static void challenge(struct fx *f, const uint8_t prov[32], uint64_t e,
                      struct ember_challenge *c)
{
	uint8_t H[32];

	epoch_hash(f, e, H);
	ember_challenge_derive(c, H, prov, e, 64);
}

/* A proof tx from `from` for epoch e, answering the challenge of
 * `for_whom` (the sender's own, normally); corrupt_ppm > 0 makes a
 * cheating prover.  The body lives in f until the teardown. */
static struct ember_tx proof_tx(struct fx *f, const uint8_t from[32],
                                const uint8_t for_whom[32], uint64_t e,
                                uint32_t corrupt_ppm)
{
	struct ember_challenge c;
	struct ember_tx tx;
	uint8_t *body = NULL;
	size_t len = 0;

	challenge(f, for_whom, e, &c);
	assert_int_equal(ember_prove(EMBER_BACKEND_CPU, &c, K, BITS, 1,
	                             corrupt_ppm, 7, &body, &len, NULL), 0);
	assert_true(f->nbody < MAXBODY);
	f->body[f->nbody++] = body;
	tx = th_tx(f->h[0], EMBER_TX_PROOF, from);
	tx.u.proof.epoch = e;
	tx.u.proof.body = body;
	tx.u.proof.body_len = (uint32_t)len;
	assert_int_equal(ember_tx_check(&tx, f->h[0]->g.chain_id, TH_FEE), 0);
	return tx;
}

/* A copy of tx's body with byte i flipped (or cut to len when len > 0). */
static struct ember_tx mangle(struct fx *f, struct ember_tx tx, size_t i,
                              size_t len)
{
	uint8_t *b = malloc(tx.u.proof.body_len);

	assert_non_null(b);
	memcpy(b, tx.u.proof.body, tx.u.proof.body_len);
	if (len)
		tx.u.proof.body_len = (uint32_t)len;
	else
		b[i] ^= 0x01;
	assert_true(f->nbody < MAXBODY);
	f->body[f->nbody++] = b;
	tx.u.proof.body = b;
	return tx;
}

/* What the verifier says about tx against its sender's own challenge. */
static int verdict(struct fx *f, const struct ember_tx *tx)
{
	struct ember_challenge c;

	challenge(f, tx->from, tx->u.proof.epoch, &c);
	return ember_proof_verify(&c, K, BITS, tx->u.proof.body,
	                          tx->u.proof.body_len, NULL, 0);
}

/* --- reading ------------------------------------------------------------------ */

/* The challenge record, or result 0xff when there is none. */
static struct tok_challenge_rec rec_of(struct fx *f, uint64_t e,
                                       const uint8_t prov[32])
{
	struct tok_challenge_rec r;
	struct ember_txn *t = th_read(f->h[0]);
	int rc = tok_challenge_get(t, e, prov, &r);

	ember_txn_abort(t);
	if (rc == EMBER_ENOTFOUND) {
		memset(&r, 0, sizeof(r));
		r.result = 0xff;
		return r;
	}
	assert_int_equal(rc, 0);
	return r;
}

static struct ember_provider prov_of(struct fx *f, const uint8_t pub[32])
{
	return th_prov_of(f->h[0], pub);
}

static uint64_t stake_of(struct fx *f, const uint8_t pub[32])
{
	return th_stake_of(f->h[0], pub).amount;
}

static const char *last_why(struct fx *f, size_t probe_i)
{
	return f->h[0]->probe[probe_i].why;
}

/* Register class-A providers first..last and bond STAKE each (one block). */
static void providers(struct fx *f, int first, int last)
{
	struct ember_tx txs[2 * NACC];
	size_t n = 0;

	for (int i = first; i <= last; i++) {
		txs[n++] = th_register(f->h[0], A(i), TH_CLASS_A, 1);
		txs[n++] = th_stake(f->h[0], A(i), STAKE);
	}
	ok(f, txs, n);
}

/* --- tests ------------------------------------------------------------------ */

/*
 * The whole life of a challenge.  Accounts: 0 proves, 1 stays silent, 2
 * declared maintenance for epoch 1, 3 registers during epoch 1, 4 retires,
 * 5 is no provider.
 */
static void test_challenge_epochs(void **state)
{
	struct fx *f = mk(state, 1);
	struct ember_tx p0, tx, bad;
	struct tok_challenge_rec r;
	struct ember_provider p;
	struct tok_epoch_rec er;
	struct ember_txn *t;
	uint8_t H[32], H1[32], root[EMBER_PROOF_NODE];

	/* Epoch 0: registered in block 1, after block 0 issued epoch 0's
	 * challenges, so nobody is challenged in epoch 0. */
	providers(f, 0, 2);
	ok1(f, th_maint(f->h[0], A(2), 1));
	ok1(f, th_register(f->h[0], A(4), TH_CLASS_A, 1));
	ok1(f, th_tx(f->h[0], EMBER_TX_PROV_RETIRE, A(4)));
	/* block 1 recorded epoch 0's H: the genesis state's root */
	t = th_read(f->h[0]);
	assert_int_equal(tok_epoch_hash(t, 0, H), 0);
	ember_txn_abort(t);
	tx = proof_tx(f, A(0), A(0), 0, 0);
	probe(f, tx, EMBER_PROOF_NOT_CHALLENGED);
	blk(f, NULL, 0);
	assert_non_null(strstr(last_why(f, 0), "its first challenge is in epoch 1"));
	at(f, EB + 1);
	assert_int_equal(rec_of(f, 0, A(0)).result, 0xff);
	assert_int_equal(rec_of(f, 0, A(1)).result, 0xff);
	p = prov_of(f, A(1));
	assert_int_equal(p.uptime_known, 0);    /* epoch 0 was not judged */
	assert_int_equal(p.jailed_until, 0);
	assert_true(stake_of(f, A(1)) == STAKE);

	/* Epoch 1, block 9 (its first): H is not stored yet, so the proof
	 * reads the block's parent; the block records H at its end. */
	epoch_hash(f, 1, H1);
	p0 = proof_tx(f, A(0), A(0), 1, 0);
	assert_int_equal(verdict(f, &p0), 0);
	ok(f, (struct ember_tx[]){ p0, th_register(f->h[0], A(3), TH_CLASS_A, 1),
	                           th_stake(f->h[0], A(3), STAKE) }, 3);
	t = th_read(f->h[0]);
	assert_int_equal(tok_epoch_hash(t, 1, H), 0);
	ember_txn_abort(t);
	assert_memory_equal(H, H1, 32);
	r = rec_of(f, 1, A(0));
	assert_int_equal(r.result, EMBER_CHAL_PASS);
	assert_int_equal(r.height, EB + 1);
	assert_int_equal(r.n, 64);
	assert_int_equal(ember_proof_root(p0.u.proof.body, p0.u.proof.body_len,
	                                  root), 0);
	assert_memory_equal(r.root, root, EMBER_PROOF_NODE);
	p = prov_of(f, A(0));
	assert_int_equal(p.chal_epoch, 1);
	assert_int_equal(p.chal_result, EMBER_CHAL_PASS);

	/* Block 10: every refusal, each with its own code, changing nothing. */
	probe(f, p0, EMBER_PROOF_DUP);                          /* replay */
	probe(f, proof_tx(f, A(1), A(1), 0, 0), EMBER_PROOF_EPOCH);
	tx = proof_tx(f, A(1), A(0), 1, 0);     /* 0's challenge, 1 sends */
	probe(f, tx, verdict(f, &tx));
	assert_int_not_equal(verdict(f, &tx), 0);
	tx = proof_tx(f, A(1), A(1), 1, 0);
	bad = mangle(f, tx, tx.u.proof.body_len - 1, 0);  /* a multiproof node */
	assert_int_equal(verdict(f, &bad), EMBER_PROOF_ROOT);
	probe(f, bad, EMBER_PROOF_ROOT);
	bad = mangle(f, tx, 0, tx.u.proof.body_len - 1);  /* one byte short */
	assert_int_equal(verdict(f, &bad), EMBER_PROOF_FORMAT);
	probe(f, bad, EMBER_PROOF_FORMAT);
	tx = proof_tx(f, A(1), A(1), 1, 300000);                /* a cheater */
	assert_int_equal(verdict(f, &tx), EMBER_PROOF_ENTRY);
	probe(f, tx, EMBER_PROOF_ENTRY);
	probe(f, proof_tx(f, A(3), A(3), 1, 0), EMBER_PROOF_NOT_CHALLENGED);
	probe(f, proof_tx(f, A(4), A(4), 1, 0), EMBER_TOK_PROVIDER_RETIRED);
	probe(f, proof_tx(f, A(5), A(5), 1, 0), EMBER_TOK_NO_PROVIDER);
	blk(f, NULL, 0);
	assert_non_null(strstr(last_why(f, 0), "already answered epoch 1's challenge: pass at height 9"));
	assert_non_null(strstr(last_why(f, 1), "proof is for epoch 0, but the current epoch is 1"));
	assert_non_null(strstr(last_why(f, 6), "registered at height 9, after block 8"));
	assert_non_null(strstr(last_why(f, 7), "is retired"));
	assert_non_null(strstr(last_why(f, 8), "is not a registered provider"));

	/* Past the deadline (block e*EB + DL): an honest proof is late. */
	tx = proof_tx(f, A(1), A(1), 1, 0);
	assert_int_equal(verdict(f, &tx), 0);
	at(f, EB + DL + 1);
	probe(f, tx, EMBER_PROOF_LATE);
	blk(f, NULL, 0);
	assert_non_null(strstr(last_why(f, 0), "proof for epoch 1 at height 13 is past its deadline, height 12"));

	/* The boundary (block 16) judges epoch 1. */
	at(f, 2 * EB);
	blk(f, NULL, 0);
	/* 0 passed: uptime 1, nothing taken */
	p = prov_of(f, A(0));
	assert_int_equal(p.uptime_epoch, 1);
	assert_int_equal(p.uptime_known, 1);
	assert_int_equal(p.uptime_bits & 1, 1);
	assert_int_equal(p.jailed_until, 0);
	assert_true(stake_of(f, A(0)) == STAKE);
	assert_int_equal(rec_of(f, 1, A(0)).result, EMBER_CHAL_PASS);
	/* 1 sent nothing that applied: missing, slashed and jailed */
	r = rec_of(f, 1, A(1));
	assert_int_equal(r.result, EMBER_CHAL_MISSING);
	assert_int_equal(r.height, 2 * EB);
	assert_int_equal(r.n, 64);
	p = prov_of(f, A(1));
	assert_int_equal(p.chal_epoch, 1);
	assert_int_equal(p.chal_result, EMBER_CHAL_MISSING);
	assert_int_equal(p.uptime_known, 1);
	assert_int_equal(p.uptime_bits & 1, 0);
	assert_int_equal(p.jailed_until, 1 + 1 + f->h[0]->g.params.jail_epochs);
	assert_true(stake_of(f, A(1)) ==
	            STAKE - STAKE / 10000 * f->h[0]->g.params.slash_fault_bps);
	/* 2 declared maintenance: missing, the lighter slash, not jailed */
	assert_int_equal(rec_of(f, 1, A(2)).result, EMBER_CHAL_MISSING);
	p = prov_of(f, A(2));
	assert_int_equal(p.jailed_until, 0);
	assert_int_equal(p.uptime_bits & 1, 0);
	assert_true(stake_of(f, A(2)) ==
	            STAKE - STAKE / 10000 * f->h[0]->g.params.slash_declared_bps);
	/* 3 registered during epoch 1: not challenged, not judged */
	assert_int_equal(rec_of(f, 1, A(3)).result, 0xff);
	p = prov_of(f, A(3));
	assert_int_equal(p.uptime_known, 0);
	assert_true(stake_of(f, A(3)) == STAKE);
	/* 4 is retired: never challenged */
	assert_int_equal(rec_of(f, 1, A(4)).result, 0xff);
	er = th_epoch_rec(f->h[0], 1);
	assert_int_equal(er.providers_failed, 2);
	/* 0 passed, 1 and 2 missing, 3 not challenged; only 1 jailed */
	assert_int_equal(er.chal_passed, 1);
	assert_int_equal(er.chal_failed, 0);
	assert_int_equal(er.chal_missing, 2);
	assert_int_equal(er.providers_jailed, 1);
	assert_true(er.slashed ==
	            STAKE / 10000 * (f->h[0]->g.params.slash_fault_bps +
	                             f->h[0]->g.params.slash_declared_bps));

	/* Epoch 2: 3 is challenged now and proves in the first block; 2
	 * recovers at the deadline block itself; 0 and 1 stay silent (1 is
	 * jailed, and a jailed provider is still challenged). */
	ok1(f, proof_tx(f, A(3), A(3), 2, 0));
	assert_int_equal(rec_of(f, 2, A(3)).result, EMBER_CHAL_PASS);
	at(f, 2 * EB + DL);
	ok1(f, proof_tx(f, A(2), A(2), 2, 0));
	assert_int_equal(rec_of(f, 2, A(2)).result, EMBER_CHAL_PASS);
	assert_int_equal(rec_of(f, 2, A(2)).height, 2 * EB + DL);
	at(f, 3 * EB);
	blk(f, NULL, 0);
	p = prov_of(f, A(2));
	assert_int_equal(p.uptime_known, 2);
	assert_int_equal(p.uptime_bits & 3, 1);         /* epoch 2 pass, 1 miss */
	assert_int_equal(p.jailed_until, 0);
	p = prov_of(f, A(3));
	assert_int_equal(p.uptime_known, 1);
	assert_int_equal(p.uptime_bits & 1, 1);
	p = prov_of(f, A(0));
	assert_int_equal(p.uptime_bits & 3, 2);         /* epoch 2 miss, 1 pass */
	assert_int_equal(rec_of(f, 2, A(0)).result, EMBER_CHAL_MISSING);
	p = prov_of(f, A(1));
	assert_int_equal(rec_of(f, 2, A(1)).result, EMBER_CHAL_MISSING);
	assert_int_equal(p.jailed_until, 2 + 1 + f->h[0]->g.params.jail_epochs);
	er = th_epoch_rec(f->h[0], 2);
	assert_int_equal(er.providers_failed, 2);
	assert_int_equal(er.chal_passed, 2);
	assert_int_equal(er.chal_missing, 2);
	assert_int_equal(er.providers_jailed, 2);   /* 1 again, and 0 */
}

/* A proof tx answers the challenge of whoever sends it: the seed binds
 * the provider, so the same body sent by another provider is refused,
 * and a valid proof is refused for good once its epoch has been judged. */
static void test_challenge_binding(void **state)
{
	struct fx *f = mk(state, 1);
	struct ember_tx p0, p1;

	providers(f, 0, 1);
	at(f, EB + 1);
	p0 = proof_tx(f, A(0), A(0), 1, 0);
	p1 = p0;
	memcpy(p1.from, A(1), 32);
	assert_int_not_equal(verdict(f, &p1), 0);
	probe(f, p1, verdict(f, &p1));
	ok1(f, p0);
	at(f, 2 * EB + 1);
	probe(f, p0, EMBER_PROOF_DUP);   /* a replay, whatever the epoch */
	blk(f, NULL, 0);
	assert_int_equal(rec_of(f, 1, A(0)).result, EMBER_CHAL_PASS);
	assert_int_equal(rec_of(f, 1, A(1)).result, EMBER_CHAL_MISSING);
}

/* With challenges off nothing is challenged: a proof is refused and a
 * silent provider passes, as before GPU proofs. */
static void test_challenge_disabled(void **state)
{
	struct fx *f = mk(state, 0);
	struct ember_tx tx;
	struct ember_provider p;

	providers(f, 0, 0);
	at(f, EB + 1);
	tx = proof_tx(f, A(0), A(0), 1, 0);
	probe(f, tx, EMBER_PROOF_NOT_CHALLENGED);
	blk(f, NULL, 0);
	assert_string_equal(last_why(f, 0), "challenges are off on this chain");
	at(f, 2 * EB);
	blk(f, NULL, 0);
	assert_int_equal(rec_of(f, 1, A(0)).result, 0xff);
	p = prov_of(f, A(0));
	assert_int_equal(p.uptime_bits & 1, 1);
	assert_int_equal(p.jailed_until, 0);
	assert_true(stake_of(f, A(0)) == STAKE);
	assert_int_equal(th_epoch_rec(f->h[0], 1).providers_failed, 0);
	assert_int_equal(th_epoch_rec(f->h[0], 1).chal_passed, 0);
	assert_int_equal(th_epoch_rec(f->h[0], 1).chal_missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_challenge_epochs, teardown),
		cmocka_unit_test_teardown(test_challenge_binding, teardown),
		cmocka_unit_test_teardown(test_challenge_disabled, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
