/*
 * test_bft.c - bft.h: the Tendermint state machine, driven by scripted
 * inputs and judged by its effects alone.
 *
 * The expected results come from the header and from Algorithm 1 of
 * Buchman, Kwon and Milosevic, arXiv:1807.04938 (line numbers below are
 * that listing's), never from consensus/bft.c.  The thresholds are the
 * paper's in voting power: 2f+1 means more than 2/3 of the total, f+1
 * more than 1/3.  With four validators of power 1 that is 3 and 2.
 *
 * One machine is under test; the other validators exist only as the votes
 * and proposals the test hands it.  Our own proposal or vote comes out as
 * an effect and counts only once fed back (h_own_proposal, h_own_vote),
 * as the header's contract says.  Signatures are the caller's job per the
 * header, so no case here checks them.
 *
 * Proposers with four equal powers, from the hand computation in
 * test_valset: height h, round r is led by validator (h - 1 + r) mod 4.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/bft.h"
#include "ember/error.h"

#define NIL 0           /* a value byte of 0 stands for a nil vote */
#define V 0xA1          /* three distinct values, each 32 copies of a byte */
#define W 0xB2
#define X 0xC3

/* Timeouts: every base and delta distinct, so a wrong pick shows. */
#define PROPOSE_MS 1000
#define PROPOSE_DELTA 100
#define PREVOTE_MS 2000
#define PREVOTE_DELTA 200
#define PRECOMMIT_MS 3000
#define PRECOMMIT_DELTA 300

#define LOG_MAX 1024
#define LOG_PC 8        /* precommits of a commit kept in the log */

/* One effect as it came out, with the commit's precommits copied (their
 * pointer is valid only until the next call). */
struct logent {
	int rc;                         /* the call's return code */
	struct bft_effect e;
	struct bft_vote pc[LOG_PC];
};

struct h {
	struct bft *b;
	struct bft_cfg cfg;
	struct bft_valset vs;           /* the set of the current height */
	uint64_t height;
	int32_t self;                   /* our index at this height, or -1 */
	struct bft_out out;             /* the last call's effects */
	struct logent *log;             /* every call's effects, in order */
	size_t nlog;
};

/* ---- values, messages ---------------------------------------------------- */

static void fill(uint8_t v[32], int val)
{
	memset(v, val, 32);
}

static int is_val(const uint8_t v[32], int val)
{
	for (int i = 0; i < 32; i++)
		if (v[i] != (uint8_t)val)
			return 0;
	return 1;
}

static struct bft_vote mkvote(int type, uint64_t height, uint32_t round, int val,
                              uint32_t validator)
{
	struct bft_vote v;

	memset(&v, 0, sizeof(v));
	v.type = (uint8_t)type;
	v.nil = val == NIL;
	v.height = height;
	v.round = round;
	if (val != NIL)
		fill(v.value, val);
	v.validator = validator;
	v.time_ms = type == BFT_VOTE_PRECOMMIT ? 5000 + validator : 0;
	memset(v.sig, 0x40 + (int)validator, sizeof(v.sig));
	return v;
}

static struct bft_proposal mkprop(uint64_t height, uint32_t round, int32_t pol,
                                  int val, uint32_t proposer)
{
	struct bft_proposal p;

	memset(&p, 0, sizeof(p));
	p.height = height;
	p.round = round;
	p.pol_round = pol;
	fill(p.value, val);
	p.proposer = proposer;
	memset(p.sig, 0x70 + (int)proposer, sizeof(p.sig));
	return p;
}

/* ---- looking at effects -------------------------------------------------- */

static size_t count(const struct bft_out *o, enum bft_effect_kind k)
{
	size_t c = 0;

	for (size_t i = 0; i < o->n && i < BFT_OUT_MAX; i++)
		c += o->e[i].kind == k;
	return c;
}

static const struct bft_effect *find(const struct bft_out *o, enum bft_effect_kind k)
{
	for (size_t i = 0; i < o->n && i < BFT_OUT_MAX; i++)
		if (o->e[i].kind == k)
			return &o->e[i];
	return NULL;
}

static const struct bft_effect *find_vote(const struct bft_out *o, int type)
{
	for (size_t i = 0; i < o->n && i < BFT_OUT_MAX; i++)
		if (o->e[i].kind == BFT_E_VOTE && o->e[i].u.vote.type == type)
			return &o->e[i];
	return NULL;
}

static const struct bft_effect *find_timeout(const struct bft_out *o, enum bft_step s)
{
	for (size_t i = 0; i < o->n && i < BFT_OUT_MAX; i++)
		if (o->e[i].kind == BFT_E_TIMEOUT && o->e[i].u.timeout.step == s)
			return &o->e[i];
	return NULL;
}

/* 1 when e is a vote of that type, height, round and value (NIL: nil). */
static int vote_is(const struct bft_effect *e, int type, uint64_t height,
                   uint32_t round, int val)
{
	const struct bft_vote *v;

	if (!e || e->kind != BFT_E_VOTE)
		return 0;
	v = &e->u.vote;
	if (v->type != type || v->height != height || v->round != round)
		return 0;
	if (val == NIL)
		return v->nil == 1;
	return v->nil == 0 && is_val(v->value, val);
}

static int timeout_is(const struct bft_effect *e, enum bft_step s, uint64_t height,
                      uint32_t round, uint64_t ms)
{
	return e && e->kind == BFT_E_TIMEOUT && e->u.timeout.step == s &&
	       e->u.timeout.height == height && e->u.timeout.round == round &&
	       e->u.timeout.ms == ms;
}

static const char *kind_name(enum bft_effect_kind k)
{
	switch (k) {
	case BFT_E_BUILD: return "BUILD";
	case BFT_E_PROPOSE: return "PROPOSE";
	case BFT_E_VOTE: return "VOTE";
	case BFT_E_TIMEOUT: return "TIMEOUT";
	case BFT_E_VALIDATE: return "VALIDATE";
	case BFT_E_COMMIT: return "COMMIT";
	case BFT_E_EVIDENCE: return "EVIDENCE";
	}
	return "?";
}

/* For a failing check: what the last call did and where the machine is. */
static void dump(const struct h *h)
{
	struct bft_view vw;

	bft_view(h->b, &vw);
	print_message("  view: height %llu round %u step %d locked %d/%02x valid %d/%02x\n",
	              (unsigned long long)vw.height, vw.round, (int)vw.step,
	              vw.locked_round, vw.locked_value[0], vw.valid_round,
	              vw.valid_value[0]);
	print_message("  last call: %zu effect(s)\n", h->out.n);
	for (size_t i = 0; i < h->out.n && i < BFT_OUT_MAX; i++) {
		const struct bft_effect *e = &h->out.e[i];

		print_message("    %s", kind_name(e->kind));
		switch (e->kind) {
		case BFT_E_VOTE:
			print_message(" type %u h %llu r %u %s%02x", e->u.vote.type,
			              (unsigned long long)e->u.vote.height, e->u.vote.round,
			              e->u.vote.nil ? "nil " : "", e->u.vote.value[0]);
			break;
		case BFT_E_PROPOSE:
			print_message(" h %llu r %u pol %d %02x",
			              (unsigned long long)e->u.proposal.height,
			              e->u.proposal.round, e->u.proposal.pol_round,
			              e->u.proposal.value[0]);
			break;
		case BFT_E_TIMEOUT:
			print_message(" step %d h %llu r %u ms %llu", (int)e->u.timeout.step,
			              (unsigned long long)e->u.timeout.height,
			              e->u.timeout.round, (unsigned long long)e->u.timeout.ms);
			break;
		case BFT_E_BUILD:
		case BFT_E_VALIDATE:
			print_message(" h %llu r %u %02x", (unsigned long long)e->u.ask.height,
			              e->u.ask.round, e->u.ask.value[0]);
			break;
		case BFT_E_COMMIT:
			print_message(" h %llu r %u %02x n %zu",
			              (unsigned long long)e->u.commit.height,
			              e->u.commit.round, e->u.commit.value[0], e->u.commit.n);
			break;
		case BFT_E_EVIDENCE:
			print_message(" validator %u/%u", e->u.evidence.a.validator,
			              e->u.evidence.b.validator);
			break;
		}
		print_message("\n");
	}
}

/* A check that shows the last call's effects and the view when it fails. */
#define EXPECT(cond, h) do { \
	if (!(cond)) { \
		dump(h); \
		fail_msg("%s:%d: expected %s", __FILE__, __LINE__, #cond); \
	} \
} while (0)

/* No effect of kind k in the last call. */
#define EXPECT_NONE(h, k) EXPECT(count(&(h)->out, (k)) == 0, h)

/* ---- the harness ----------------------------------------------------------- */

static void ids_make(uint8_t (*ids)[32], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(ids[i], 0, 32);
		ids[i][0] = 0xE0;
		ids[i][30] = (uint8_t)(i >> 8);
		ids[i][31] = (uint8_t)i;
	}
}

static int setup(void **state)
{
	struct h *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	h->log = calloc(LOG_MAX, sizeof(*h->log));
	if (!h->log) {
		free(h);
		return -1;
	}
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct h *h = *state;

	if (h) {
		bft_free(h->b);
		free(h->log);
		free(h);
	}
	return 0;
}

static void cfg_default(struct bft_cfg *c, int32_t self)
{
	memset(c, 0, sizeof(*c));
	c->self = self;
	c->propose_ms = PROPOSE_MS;
	c->propose_delta_ms = PROPOSE_DELTA;
	c->prevote_ms = PREVOTE_MS;
	c->prevote_delta_ms = PREVOTE_DELTA;
	c->precommit_ms = PRECOMMIT_MS;
	c->precommit_delta_ms = PRECOMMIT_DELTA;
}

/* A machine for validator self of n (powers NULL: all 1), at no height. */
static void h_open(struct h *h, int32_t self, size_t n, const uint64_t *powers)
{
	uint8_t ids[BFT_MAX_VALIDATORS][32];
	uint64_t ones[BFT_MAX_VALIDATORS];

	for (size_t i = 0; i < n; i++)
		ones[i] = 1;
	ids_make(ids, n);
	assert_int_equal(bft_valset_init(&h->vs, (const uint8_t (*)[32])ids,
	                                 powers ? powers : ones, n), 0);
	cfg_default(&h->cfg, self);
	assert_int_equal(bft_new(&h->b, &h->cfg), 0);
	h->self = self;
	h->height = 0;
}

static void log_out(struct h *h, int rc)
{
	if (h->out.n == 0 && h->nlog < LOG_MAX) {
		/* a call with no effect still leaves its rc in the log */
		memset(&h->log[h->nlog], 0, sizeof(h->log[0]));
		h->log[h->nlog].rc = rc;
		h->log[h->nlog++].e.kind = 0;
	}
	for (size_t i = 0; i < h->out.n && i < BFT_OUT_MAX && h->nlog < LOG_MAX; i++) {
		struct logent *l = &h->log[h->nlog++];

		memset(l, 0, sizeof(*l));
		l->rc = rc;
		l->e = h->out.e[i];
		if (l->e.kind == BFT_E_COMMIT) {
			for (size_t j = 0; j < l->e.u.commit.n && j < LOG_PC; j++)
				l->pc[j] = l->e.u.commit.precommits[j];
			l->e.u.commit.precommits = NULL;
		}
	}
}

/* Each input wrapper clears out, calls in, logs, and returns the code. */
static int h_start_rc(struct h *h, uint64_t height)
{
	int rc;

	memset(&h->out, 0, sizeof(h->out));
	rc = bft_start_height(h->b, height, &h->vs, h->self, &h->out);
	if (rc == 0)
		h->height = height;
	log_out(h, rc);
	return rc;
}

/* Start `height` with the set advanced one increment per height from the
 * set h_open made (which is height 1's). */
static void h_start(struct h *h, uint64_t height)
{
	uint64_t from = h->height ? h->height : 1;

	for (uint64_t i = from; i < height; i++)
		bft_valset_next(&h->vs);
	assert_int_equal(h_start_rc(h, height), 0);
}

static int h_voteh(struct h *h, int type, uint64_t height, uint32_t round, int val,
                   uint32_t validator)
{
	struct bft_vote v = mkvote(type, height, round, val, validator);
	int rc;

	memset(&h->out, 0, sizeof(h->out));
	rc = bft_on_vote(h->b, &v, &h->out);
	log_out(h, rc);
	return rc;
}

static int h_prevote(struct h *h, uint32_t round, int val, uint32_t validator)
{
	return h_voteh(h, BFT_VOTE_PREVOTE, h->height, round, val, validator);
}

static int h_precommit(struct h *h, uint32_t round, int val, uint32_t validator)
{
	return h_voteh(h, BFT_VOTE_PRECOMMIT, h->height, round, val, validator);
}

static int h_proph(struct h *h, uint64_t height, uint32_t round, int32_t pol, int val,
                   uint32_t proposer)
{
	struct bft_proposal p = mkprop(height, round, pol, val, proposer);
	int rc;

	memset(&h->out, 0, sizeof(h->out));
	rc = bft_on_proposal(h->b, &p, &h->out);
	log_out(h, rc);
	return rc;
}

static int h_prop(struct h *h, uint32_t round, int32_t pol, int val, uint32_t proposer)
{
	return h_proph(h, h->height, round, pol, val, proposer);
}

static int h_timeout(struct h *h, enum bft_step s, uint32_t round)
{
	int rc;

	memset(&h->out, 0, sizeof(h->out));
	rc = bft_on_timeout(h->b, s, h->height, round, &h->out);
	log_out(h, rc);
	return rc;
}

static int h_validated(struct h *h, uint64_t height, int val, int valid)
{
	uint8_t v[32];
	int rc;

	fill(v, val);
	memset(&h->out, 0, sizeof(h->out));
	rc = bft_on_validated(h->b, height, v, valid, &h->out);
	log_out(h, rc);
	return rc;
}

static int h_built(struct h *h, uint32_t round, int val)
{
	uint8_t v[32];
	int rc;

	fill(v, val);
	memset(&h->out, 0, sizeof(h->out));
	rc = bft_on_built(h->b, h->height, round, v, &h->out);
	log_out(h, rc);
	return rc;
}

/* Sign (as the caller would) and feed back the vote of type in the last
 * call's effects; the caller has checked it is there. */
static int h_own_vote(struct h *h, int type)
{
	const struct bft_effect *e = find_vote(&h->out, type);
	struct bft_vote v;
	int rc;

	assert_non_null(e);
	v = e->u.vote;
	v.validator = (uint32_t)h->self;
	v.time_ms = type == BFT_VOTE_PRECOMMIT ? 5000 + (uint64_t)h->self : 0;
	memset(v.sig, 0x40 + h->self, sizeof(v.sig));
	memset(&h->out, 0, sizeof(h->out));
	rc = bft_on_vote(h->b, &v, &h->out);
	log_out(h, rc);
	return rc;
}

static int h_own_proposal(struct h *h)
{
	const struct bft_effect *e = find(&h->out, BFT_E_PROPOSE);
	struct bft_proposal p;
	int rc;

	assert_non_null(e);
	p = e->u.proposal;
	p.proposer = (uint32_t)h->self;
	memset(p.sig, 0x70 + h->self, sizeof(p.sig));
	memset(&h->out, 0, sizeof(h->out));
	rc = bft_on_proposal(h->b, &p, &h->out);
	log_out(h, rc);
	return rc;
}

/*
 * Our prevote after a proposal: the machine may prevote at once (it knows
 * the value's verdict, or needs none to say nil) or ask BFT_E_VALIDATE
 * first, in which case the verdict `valid` is given.  Returns the prevote
 * effect of the last call, or NULL.
 */
static const struct bft_effect *h_prevote_after_proposal(struct h *h, int valid)
{
	const struct bft_effect *e = find_vote(&h->out, BFT_VOTE_PREVOTE);
	const struct bft_effect *ask;
	int val;

	if (e)
		return e;
	ask = find(&h->out, BFT_E_VALIDATE);
	if (!ask)
		return NULL;
	val = ask->u.ask.value[0];
	assert_int_equal(h_validated(h, ask->u.ask.height, val, valid), 0);
	return find_vote(&h->out, BFT_VOTE_PREVOTE);
}

static void h_view(const struct h *h, struct bft_view *vw)
{
	memset(vw, 0, sizeof(*vw));
	bft_view(h->b, vw);
}

static int view_equal(const struct bft_view *a, const struct bft_view *b)
{
	return a->height == b->height && a->round == b->round && a->step == b->step &&
	       a->locked_round == b->locked_round && a->valid_round == b->valid_round &&
	       (a->locked_round < 0 || !memcmp(a->locked_value, b->locked_value, 32)) &&
	       (a->valid_round < 0 || !memcmp(a->valid_value, b->valid_value, 32));
}

/* 1 when the last call committed (height, round, val) with at least a
 * quorum of distinct, matching precommits (power 1 each: >= need). */
static int commit_ok(const struct h *h, uint64_t height, uint32_t round, int val,
                     size_t need)
{
	const struct bft_effect *e = find(&h->out, BFT_E_COMMIT);
	uint8_t seen[BFT_MAX_VALIDATORS] = { 0 };

	if (!e || e->u.commit.height != height || e->u.commit.round != round ||
	    !is_val(e->u.commit.value, val) || e->u.commit.n < need ||
	    !e->u.commit.precommits)
		return 0;
	for (size_t i = 0; i < e->u.commit.n; i++) {
		const struct bft_vote *p = &e->u.commit.precommits[i];

		if (p->type != BFT_VOTE_PRECOMMIT || p->nil || p->height != height ||
		    p->round != round || !is_val(p->value, val) ||
		    p->validator >= h->vs.n || seen[p->validator])
			return 0;
		seen[p->validator] = 1;
	}
	return 1;
}

/* 1 when the last call's commit certificate holds a precommit of validator. */
static int commit_has(const struct h *h, uint32_t validator)
{
	const struct bft_effect *e = find(&h->out, BFT_E_COMMIT);

	for (size_t i = 0; e && i < e->u.commit.n; i++)
		if (e->u.commit.precommits[i].validator == validator)
			return 1;
	return 0;
}

/* ---- 1. the validator set --------------------------------------------------- */

/*
 * CometBFT's IncrementProposerPriority, by hand.  One increment: centre
 * the priorities on their average (no-op below: the sum stays 0, since
 * every increment adds `total` and takes `total` off one), rescale when
 * the spread exceeds 2 x total (never here: the spread stays <= total),
 * add each power, pick the highest (ties: lower index), subtract total.
 *
 * Powers {1, 2, 3}, total 6, start (0, 0, 0):
 *   height 1: +p (1, 2, 3)  -> #2, then (1, 2, -3)
 *   height 2: +p (2, 4, 0)  -> #1, then (2, -2, 0)
 *   height 3: +p (3, 0, 3)  -> #0 (tie with #2, lower index), (-3, 0, 3)
 *   height 4: +p (-2, 2, 6) -> #2, then (-2, 2, 0)
 *   height 5: +p (-1, 4, 3) -> #1, then (-1, -2, 3)
 *   height 6: +p (0, 0, 6)  -> #2, then (0, 0, 0): the start again.
 * So the period is 6: 2 1 0 2 1 2, each index as often as its power, and
 * 600 heights give exactly 100 / 200 / 300.
 *
 * Four powers of 1, total 4:
 *   (1,1,1,1) -> #0 (-3,1,1,1); (-2,2,2,2) -> #1 (-2,-2,2,2);
 *   (-1,-1,3,3) -> #2 (-1,-1,-1,3); (0,0,0,4) -> #3 (0,0,0,0).
 * So 0 1 2 3 0 1 ...
 *
 * Powers {1, 3, 2, 3}: (1, 3, 2, 3) -> #1 (tie with #3, lower index).
 *
 * Round r of a height is r further increments of a copy, so round r of
 * height h has the proposer of round 0 of height h + r.
 */
static void test_valset(void **state)
{
	uint8_t ids[BFT_MAX_VALIDATORS + 1][32];
	uint64_t pw[BFT_MAX_VALIDATORS + 1];
	struct bft_valset vs, copy;
	static const uint32_t seq123[6] = { 2, 1, 0, 2, 1, 2 };
	unsigned freq[3] = { 0, 0, 0 };

	(void)state;
	ids_make(ids, BFT_MAX_VALIDATORS + 1);
	for (size_t i = 0; i <= BFT_MAX_VALIDATORS; i++)
		pw[i] = 1;

	/* refusals */
	assert_int_equal(bft_valset_init(&vs, (const uint8_t (*)[32])ids, pw, 0),
	                 EMBER_EINVAL);
	assert_int_equal(bft_valset_init(&vs, (const uint8_t (*)[32])ids, pw,
	                                 BFT_MAX_VALIDATORS + 1), EMBER_EINVAL);
	assert_int_equal(bft_valset_init(&vs, (const uint8_t (*)[32])ids, pw,
	                                 BFT_MAX_VALIDATORS), 0);
	pw[2] = 0;
	assert_int_equal(bft_valset_init(&vs, (const uint8_t (*)[32])ids, pw, 4),
	                 EMBER_EINVAL);
	pw[2] = 1;
	memcpy(ids[3], ids[1], 32);
	assert_int_equal(bft_valset_init(&vs, (const uint8_t (*)[32])ids, pw, 4),
	                 EMBER_EINVAL);
	ids_make(ids, 4);
	pw[0] = pw[1] = 1ULL << 59;     /* total 2^60: too large */
	assert_int_equal(bft_valset_init(&vs, (const uint8_t (*)[32])ids, pw, 2),
	                 EMBER_EINVAL);
	pw[0] = pw[1] = 1;

	/* four equal powers: over heights and over rounds, 0 1 2 3 0 ... */
	assert_int_equal(bft_valset_init(&vs, (const uint8_t (*)[32])ids, pw, 4), 0);
	assert_int_equal(vs.n, 4);
	assert_int_equal(vs.total, 4);
	copy = vs;
	for (uint32_t r = 0; r < 12; r++)
		assert_int_equal(bft_valset_proposer(&vs, r), r % 4);
	assert_memory_equal(&vs, &copy, sizeof(vs));    /* proposer() is const */
	for (uint32_t hgt = 1; hgt <= 12; hgt++) {
		assert_int_equal(bft_valset_proposer(&vs, 0), (hgt - 1) % 4);
		assert_int_equal(bft_valset_proposer(&vs, 3), (hgt + 2) % 4);
		bft_valset_next(&vs);
	}

	/* powers {1, 2, 3}: the exact sequence, then the frequencies */
	pw[0] = 1, pw[1] = 2, pw[2] = 3;
	assert_int_equal(bft_valset_init(&vs, (const uint8_t (*)[32])ids, pw, 3), 0);
	assert_int_equal(vs.total, 6);
	/* the stored priorities are CometBFT's, after height 1's increment */
	assert_int_equal(vs.v[0].priority, 1);
	assert_int_equal(vs.v[1].priority, 2);
	assert_int_equal(vs.v[2].priority, -3);
	copy = vs;
	bft_valset_next(&copy);
	assert_int_equal(copy.v[0].priority, 2);
	assert_int_equal(copy.v[1].priority, -2);
	assert_int_equal(copy.v[2].priority, 0);
	for (uint32_t r = 0; r < 12; r++)
		assert_int_equal(bft_valset_proposer(&vs, r), seq123[r % 6]);
	for (unsigned hgt = 0; hgt < 600; hgt++) {
		uint32_t p = bft_valset_proposer(&vs, 0);

		if (hgt < 12)
			assert_int_equal(p, seq123[hgt % 6]);
		assert_true(p < 3);
		freq[p]++;
		/* round r here is round 0 of r heights on */
		if (hgt < 12)
			for (uint32_t r = 0; r < 6; r++)
				assert_int_equal(bft_valset_proposer(&vs, r),
				                 seq123[(hgt + r) % 6]);
		bft_valset_next(&vs);
	}
	assert_int_equal(freq[0], 100);
	assert_int_equal(freq[1], 200);
	assert_int_equal(freq[2], 300);

	/* the first of the highest power leads height 1 */
	pw[0] = 1, pw[1] = 3, pw[2] = 2, pw[3] = 3;
	assert_int_equal(bft_valset_init(&vs, (const uint8_t (*)[32])ids, pw, 4), 0);
	assert_int_equal(bft_valset_proposer(&vs, 0), 1);

	/* one validator leads every round */
	assert_int_equal(bft_valset_init(&vs, (const uint8_t (*)[32])ids, pw, 1), 0);
	for (uint32_t r = 0; r < 5; r++)
		assert_int_equal(bft_valset_proposer(&vs, r), 0);
}

/*
 * Centring and rescaling, on priorities set by hand (a set carried over
 * from storage, say).  CometBFT's IncrementProposerPriority(1):
 * RescalePriorities(2 x total) divides every priority by
 * ceil(diff / (2 x total)) with Go's '/' (truncation toward zero) when the
 * max-min spread exceeds 2 x total; shiftByAvgProposerPriority takes off
 * the average computed with big.Int.Div (Euclidean: the floor, for a
 * positive divisor); then one increment.
 *
 * Powers {1, 2, 3}, total 6, window 12, priorities (-25, 4, 9):
 *   spread 34 > 12, ratio (34 + 11) / 12 = 3:  (-8, 1, 3)   [-25/3 = -8]
 *   sum -4, floor(-4 / 3) = -2:                (-6, 3, 5)
 *   + powers (-5, 5, 8) -> #2, minus 6:        (-5, 5, 2)
 * (floor in the rescale would give (-6, 5, 2); truncation in the average
 * would give (-6, 4, 1).)
 *
 * Powers {1, 2, 3}, priorities (4, -40, 30) (extremes not at the ends):
 *   spread 70, ratio (70 + 11) / 12 = 6:       (0, -6, 5)    [-40/6 = -6]
 *   sum -1, floor(-1 / 3) = -1:                (1, -5, 6)
 *   + powers (2, -3, 9) -> #2, minus 6:        (2, -3, 3)
 *
 * Powers {1, 1, 1}, total 3, window 6, no rescale below:
 *   (-1, 0, 0): sum -1, floor -1: (0, 1, 1); + (1, 2, 2) -> #1 (tie,
 *     lower index), minus 3: (1, -1, 2)
 *   (2, 0, 0): sum 2, floor 0: (2, 0, 0); + (3, 1, 1) -> #0: (0, 1, 1)
 *   (-3, 0, 0): sum -3, exactly -1: (-2, 1, 1); + (-1, 2, 2) -> #1:
 *     (-1, -1, 2)
 */
static void test_valset_priorities(void **state)
{
	uint8_t ids[3][32];
	uint64_t pw[3] = { 1, 2, 3 };
	struct bft_valset vs;

	(void)state;
	ids_make(ids, 3);
	assert_int_equal(bft_valset_init(&vs, (const uint8_t (*)[32])ids, pw, 3), 0);
	vs.v[0].priority = -25;
	vs.v[1].priority = 4;
	vs.v[2].priority = 9;
	assert_int_equal(bft_valset_proposer(&vs, 1), 2);
	bft_valset_next(&vs);
	assert_int_equal(vs.v[0].priority, -5);
	assert_int_equal(vs.v[1].priority, 5);
	assert_int_equal(vs.v[2].priority, 2);

	vs.v[0].priority = 4;
	vs.v[1].priority = -40;
	vs.v[2].priority = 30;
	bft_valset_next(&vs);
	assert_int_equal(vs.v[0].priority, 2);
	assert_int_equal(vs.v[1].priority, -3);
	assert_int_equal(vs.v[2].priority, 3);

	pw[0] = pw[1] = pw[2] = 1;
	for (int c = 0; c < 3; c++) {
		static const int64_t in[3][3] = { { -1, 0, 0 }, { 2, 0, 0 }, { -3, 0, 0 } };
		static const int64_t want[3][3] = { { 1, -1, 2 }, { 0, 1, 1 }, { -1, -1, 2 } };
		static const uint32_t pick[3] = { 1, 0, 1 };

		assert_int_equal(bft_valset_init(&vs, (const uint8_t (*)[32])ids, pw, 3), 0);
		for (int i = 0; i < 3; i++)
			vs.v[i].priority = in[c][i];
		assert_int_equal(bft_valset_proposer(&vs, 1), pick[c]);
		bft_valset_next(&vs);
		for (int i = 0; i < 3; i++)
			assert_int_equal(vs.v[i].priority, want[c][i]);
	}
}

/* ---- 2, 3. the happy paths ---------------------------------------------------- */

/* Validator 0 leads height 1, round 0 (lines 14-19, 22-24, 36-43, 49). */
static void test_happy_proposer(void **state)
{
	struct h *h = *state;
	const struct bft_effect *e;
	struct bft_view vw;
	int rc;

	h_open(h, 0, 4, NULL);
	h_start(h, 1);
	e = find(&h->out, BFT_E_BUILD);
	EXPECT(e && e->u.ask.height == 1 && e->u.ask.round == 0, h);
	EXPECT_NONE(h, BFT_E_PROPOSE);
	EXPECT_NONE(h, BFT_E_VOTE);
	h_view(h, &vw);
	EXPECT(vw.height == 1 && vw.round == 0 && vw.step == BFT_PROPOSE &&
	       vw.locked_round == -1 && vw.valid_round == -1, h);

	/* a block for another round or height is not our proposal */
	rc = h_built(h, 1, W);
	EXPECT_NONE(h, BFT_E_PROPOSE);
	memset(&h->out, 0, sizeof(h->out));
	{
		uint8_t w[32];

		fill(w, W);
		rc = bft_on_built(h->b, 2, 0, w, &h->out);
	}
	EXPECT_NONE(h, BFT_E_PROPOSE);
	(void)rc;

	assert_int_equal(h_built(h, 0, V), 0);
	e = find(&h->out, BFT_E_PROPOSE);
	EXPECT(e && e->u.proposal.height == 1 && e->u.proposal.round == 0 &&
	       e->u.proposal.pol_round == -1 && is_val(e->u.proposal.value, V), h);
	EXPECT_NONE(h, BFT_E_VOTE);     /* not counted until fed back */
	{
		struct bft_out first = h->out;

		/* one proposal per round: a second block is not proposed */
		rc = h_built(h, 0, W);
		EXPECT_NONE(h, BFT_E_PROPOSE);
		h->out = first;
	}

	/* our own built value counts as valid: no VALIDATE, a prevote at once */
	assert_int_equal(h_own_proposal(h), 0);
	EXPECT_NONE(h, BFT_E_VALIDATE);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PREVOTE), BFT_VOTE_PREVOTE, 1, 0, V), h);
	EXPECT(count(&h->out, BFT_E_VOTE) == 1, h);

	/* two others first: with our prevote not fed back that is 2 of 4 */
	struct bft_out mine = h->out;
	assert_int_equal(h_prevote(h, 0, V, 1), 0);
	EXPECT_NONE(h, BFT_E_VOTE);
	assert_int_equal(h_prevote(h, 0, V, 2), 0);
	EXPECT_NONE(h, BFT_E_VOTE);
	h->out = mine;
	assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PRECOMMIT), BFT_VOTE_PRECOMMIT, 1, 0, V), h);
	h_view(h, &vw);
	EXPECT(vw.step == BFT_PRECOMMIT && vw.locked_round == 0 &&
	       is_val(vw.locked_value, V) && vw.valid_round == 0 &&
	       is_val(vw.valid_value, V), h);

	mine = h->out;
	/* line 36 fires "for the first time" only: a fourth prevote, nothing */
	assert_int_equal(h_prevote(h, 0, V, 3), 0);
	EXPECT_NONE(h, BFT_E_VOTE);
	assert_int_equal(h_precommit(h, 0, V, 1), 0);
	EXPECT_NONE(h, BFT_E_COMMIT);
	assert_int_equal(h_precommit(h, 0, V, 2), 0);
	EXPECT_NONE(h, BFT_E_COMMIT);
	h->out = mine;
	assert_int_equal(h_own_vote(h, BFT_VOTE_PRECOMMIT), 0);
	EXPECT(count(&h->out, BFT_E_COMMIT) == 1 && commit_ok(h, 1, 0, V, 3), h);
	h_view(h, &vw);
	EXPECT(vw.step == BFT_DECIDED, h);

	/* a fourth precommit decides nothing twice */
	assert_int_equal(h_precommit(h, 0, V, 3), 0);
	EXPECT_NONE(h, BFT_E_COMMIT);
	EXPECT_NONE(h, BFT_E_VOTE);

	/* line 53: the next height starts clean; validator 1 leads it */
	h_start(h, 2);
	h_view(h, &vw);
	EXPECT(vw.height == 2 && vw.round == 0 && vw.step == BFT_PROPOSE &&
	       vw.locked_round == -1 && vw.valid_round == -1, h);
	EXPECT_NONE(h, BFT_E_BUILD);
	EXPECT(timeout_is(find_timeout(&h->out, BFT_PROPOSE), BFT_PROPOSE, 2, 0,
	                  PROPOSE_MS), h);
}

/* Validator 1 follows validator 0 at height 1 (lines 21, 22-27). */
static void test_happy_follower(void **state)
{
	struct h *h = *state;
	const struct bft_effect *e;
	int rc;

	h_open(h, 1, 4, NULL);
	h_start(h, 1);
	EXPECT_NONE(h, BFT_E_BUILD);
	EXPECT_NONE(h, BFT_E_PROPOSE);
	EXPECT(timeout_is(find_timeout(&h->out, BFT_PROPOSE), BFT_PROPOSE, 1, 0,
	                  PROPOSE_MS), h);

	/* a block we were not asked to build is not proposed */
	rc = h_built(h, 0, W);
	EXPECT_NONE(h, BFT_E_PROPOSE);

	assert_int_equal(h_prop(h, 0, -1, V, 0), 0);
	e = find(&h->out, BFT_E_VALIDATE);
	EXPECT(e && e->u.ask.height == 1 && is_val(e->u.ask.value, V), h);
	EXPECT_NONE(h, BFT_E_VOTE);     /* no prevote before the verdict */

	/* verdicts for another height or another value decide nothing */
	rc = h_validated(h, 2, V, 1);
	EXPECT_NONE(h, BFT_E_VOTE);
	rc = h_validated(h, 1, W, 1);
	EXPECT_NONE(h, BFT_E_VOTE);
	(void)rc;

	assert_int_equal(h_validated(h, 1, V, 1), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PREVOTE), BFT_VOTE_PREVOTE, 1, 0, V), h);
	EXPECT(count(&h->out, BFT_E_VOTE) == 1, h);
	EXPECT_NONE(h, BFT_E_VALIDATE);

	/* the propose timeout, late: no second prevote (line 58) */
	assert_int_equal(h_timeout(h, BFT_PROPOSE, 0), 0);
	EXPECT_NONE(h, BFT_E_VOTE);
}

static void test_follower_invalid(void **state)
{
	struct h *h = *state;
	struct bft_view vw;

	h_open(h, 1, 4, NULL);
	h_start(h, 1);
	assert_int_equal(h_prop(h, 0, -1, V, 0), 0);
	EXPECT(find(&h->out, BFT_E_VALIDATE) != NULL, h);
	EXPECT_NONE(h, BFT_E_VOTE);
	assert_int_equal(h_validated(h, 1, V, 0), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PREVOTE), BFT_VOTE_PREVOTE, 1, 0, NIL), h);
	EXPECT(count(&h->out, BFT_E_VOTE) == 1, h);

	/* line 36 needs valid(v): a quorum for the invalid value locks nothing */
	assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
	assert_int_equal(h_prevote(h, 0, V, 0), 0);
	assert_int_equal(h_prevote(h, 0, V, 2), 0);
	assert_int_equal(h_prevote(h, 0, V, 3), 0);
	EXPECT(find_vote(&h->out, BFT_VOTE_PRECOMMIT) == NULL, h);
	h_view(h, &vw);
	EXPECT(vw.locked_round == -1 && vw.valid_round == -1, h);
	/* nor does a precommit quorum decide it (line 50) */
	assert_int_equal(h_precommit(h, 0, V, 0), 0);
	assert_int_equal(h_precommit(h, 0, V, 2), 0);
	assert_int_equal(h_precommit(h, 0, V, 3), 0);
	EXPECT_NONE(h, BFT_E_COMMIT);
}

/* ---- 4. the three timeouts ------------------------------------------------------ */

static void test_timeouts(void **state)
{
	struct h *h = *state;
	struct bft_view vw;
	const struct bft_effect *e;

	h_open(h, 1, 4, NULL);
	h_start(h, 1);

	/* line 57: no proposal in time -> prevote nil */
	assert_int_equal(h_timeout(h, BFT_PROPOSE, 0), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PREVOTE), BFT_VOTE_PREVOTE, 1, 0, NIL), h);
	h_view(h, &vw);
	EXPECT(vw.step == BFT_PREVOTE, h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
	EXPECT_NONE(h, BFT_E_TIMEOUT);

	/* line 34: 2f+1 prevotes of mixed values -> the prevote timeout;
	 * neither line 36 (no proposal, 2 for V) nor line 44 (1 nil) */
	assert_int_equal(h_prevote(h, 0, V, 0), 0);
	EXPECT_NONE(h, BFT_E_TIMEOUT);
	assert_int_equal(h_prevote(h, 0, V, 2), 0);
	EXPECT(timeout_is(find_timeout(&h->out, BFT_PREVOTE), BFT_PREVOTE, 1, 0,
	                  PREVOTE_MS), h);
	EXPECT_NONE(h, BFT_E_VOTE);
	/* "for the first time": a fourth prevote schedules nothing again */
	assert_int_equal(h_prevote(h, 0, W, 3), 0);
	EXPECT(find_timeout(&h->out, BFT_PREVOTE) == NULL, h);

	/* line 61: prevote timeout -> precommit nil */
	assert_int_equal(h_timeout(h, BFT_PREVOTE, 0), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PRECOMMIT), BFT_VOTE_PRECOMMIT, 1, 0, NIL), h);
	h_view(h, &vw);
	EXPECT(vw.step == BFT_PRECOMMIT, h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PRECOMMIT), 0);

	/* line 47: 2f+1 precommits of any value -> the precommit timeout */
	assert_int_equal(h_precommit(h, 0, V, 0), 0);
	EXPECT(find_timeout(&h->out, BFT_PRECOMMIT) == NULL, h);
	assert_int_equal(h_precommit(h, 0, NIL, 2), 0);
	EXPECT(timeout_is(find_timeout(&h->out, BFT_PRECOMMIT), BFT_PRECOMMIT, 1, 0,
	                  PRECOMMIT_MS), h);
	EXPECT_NONE(h, BFT_E_COMMIT);

	/* line 65: precommit timeout -> round 1, whose proposer (1) is us */
	assert_int_equal(h_timeout(h, BFT_PRECOMMIT, 0), 0);
	h_view(h, &vw);
	EXPECT(vw.height == 1 && vw.round == 1 && vw.step == BFT_PROPOSE, h);
	e = find(&h->out, BFT_E_BUILD);
	EXPECT(e && e->u.ask.height == 1 && e->u.ask.round == 1, h);

	/* timeouts of another height do nothing */
	memset(&h->out, 0, sizeof(h->out));
	{
		int rc = bft_on_timeout(h->b, BFT_PRECOMMIT, 2, 1, &h->out);

		(void)rc;
	}
	EXPECT(h->out.n == 0, h);
	h_view(h, &vw);
	EXPECT(vw.height == 1 && vw.round == 1, h);

	/* timeouts of a round gone by do nothing (lines 58, 62, 66); taken
	 * as a harmless repeat (0) or refused as EMBER_BFT_OLD */
	for (int st = BFT_PROPOSE; st <= BFT_PRECOMMIT; st++) {
		int rc = h_timeout(h, (enum bft_step)st, 0);

		EXPECT(rc == 0 || rc == EMBER_BFT_OLD, h);
		EXPECT(h->out.n == 0, h);
	}
	h_view(h, &vw);
	EXPECT(vw.round == 1 && vw.step == BFT_PROPOSE, h);
}

/* ---- 5, 6. locking and unlocking ----------------------------------------------- */

/*
 * Validator 3 at height 1: prevotes V, sees a prevote quorum for V with
 * the proposal (line 36: lock V at round 0, precommit V), then round 0
 * ends on the precommit timeout (validators 0 and 1 precommit nil).
 */
static void lock_v_round0(struct h *h)
{
	struct bft_view vw;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	assert_int_equal(h_prop(h, 0, -1, V, 0), 0);
	EXPECT(vote_is(h_prevote_after_proposal(h, 1), BFT_VOTE_PREVOTE, 1, 0, V), h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
	assert_int_equal(h_prevote(h, 0, V, 0), 0);
	assert_int_equal(h_prevote(h, 0, V, 1), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PRECOMMIT), BFT_VOTE_PRECOMMIT, 1, 0, V), h);
	h_view(h, &vw);
	EXPECT(vw.locked_round == 0 && is_val(vw.locked_value, V), h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PRECOMMIT), 0);
	assert_int_equal(h_precommit(h, 0, NIL, 0), 0);
	assert_int_equal(h_precommit(h, 0, NIL, 1), 0);
	EXPECT(find_timeout(&h->out, BFT_PRECOMMIT) != NULL, h);
	EXPECT_NONE(h, BFT_E_COMMIT);
	assert_int_equal(h_timeout(h, BFT_PRECOMMIT, 0), 0);
	h_view(h, &vw);
	EXPECT(vw.round == 1 && vw.step == BFT_PROPOSE && vw.locked_round == 0 &&
	       is_val(vw.locked_value, V), h);
	/* round 1 is validator 1's */
	EXPECT(timeout_is(find_timeout(&h->out, BFT_PROPOSE), BFT_PROPOSE, 1, 1,
	                  PROPOSE_MS + PROPOSE_DELTA), h);
}

/* Lines 22-26: locked on V, a fresh proposal (pol -1) for W gets nil,
 * whatever its verdict. */
static void test_lock_refuses_other(void **state)
{
	struct h *h = *state;
	struct bft_view vw;

	lock_v_round0(h);
	assert_int_equal(h_prop(h, 1, -1, W, 1), 0);
	EXPECT(vote_is(h_prevote_after_proposal(h, 1), BFT_VOTE_PREVOTE, 1, 1, NIL), h);
	h_view(h, &vw);
	EXPECT(vw.locked_round == 0 && is_val(vw.locked_value, V), h);
}

/* Lines 22-24: locked on V, a proposal for V in round 1 gets V, and V's
 * verdict is not asked again ("asked once per value"). */
static void test_lock_accepts_locked(void **state)
{
	struct h *h = *state;

	lock_v_round0(h);
	assert_int_equal(h_prop(h, 1, -1, V, 1), 0);
	EXPECT_NONE(h, BFT_E_VALIDATE);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PREVOTE), BFT_VOTE_PREVOTE, 1, 1, V), h);
}

/*
 * After lock_v_round0: round 1 has no proposal; validator 3 prevotes nil,
 * sees prevotes for W from `wvoters` (without W's proposal nothing locks),
 * precommits nil on the prevote timeout and ends the round on the
 * precommit timeout.  Leaves the machine at round 2, locked on V at 0.
 */
static void round1_prevotes_for_w(struct h *h, const uint32_t *wvoters, size_t nw)
{
	struct bft_view vw;

	assert_int_equal(h_timeout(h, BFT_PROPOSE, 1), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PREVOTE), BFT_VOTE_PREVOTE, 1, 1, NIL), h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
	for (size_t i = 0; i < nw; i++)
		assert_int_equal(h_prevote(h, 1, W, wvoters[i]), 0);
	EXPECT_NONE(h, BFT_E_VOTE);
	assert_int_equal(h_timeout(h, BFT_PREVOTE, 1), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PRECOMMIT), BFT_VOTE_PRECOMMIT, 1, 1, NIL), h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PRECOMMIT), 0);
	assert_int_equal(h_precommit(h, 1, NIL, 0), 0);
	assert_int_equal(h_precommit(h, 1, NIL, 1), 0);
	EXPECT(find_timeout(&h->out, BFT_PRECOMMIT) != NULL, h);
	assert_int_equal(h_timeout(h, BFT_PRECOMMIT, 1), 0);
	h_view(h, &vw);
	EXPECT(vw.round == 2 && vw.step == BFT_PROPOSE && vw.locked_round == 0 &&
	       is_val(vw.locked_value, V), h);
}

/* Line 28-30: locked on V at round 0; round 2's proposal for W carries
 * pol_round 1, and there were 2f+1 prevotes for W in round 1; locked
 * round 0 <= 1, so prevote W. */
static void test_unlock_by_pol(void **state)
{
	struct h *h = *state;
	static const uint32_t wv[3] = { 0, 1, 2 };

	lock_v_round0(h);
	round1_prevotes_for_w(h, wv, 3);
	assert_int_equal(h_prop(h, 2, 1, W, 2), 0);
	EXPECT(vote_is(h_prevote_after_proposal(h, 1), BFT_VOTE_PREVOTE, 1, 2, W), h);
}

/* Line 28 is an "upon" over a proposal and a vote set: the last of the
 * 2f+1 round-1 prevotes for W may come after round 2's proposal.  Until
 * it does, the proposal alone (pol 1, locked on V) earns no prevote. */
static void test_unlock_pol_completes_late(void **state)
{
	struct h *h = *state;
	static const uint32_t wv[2] = { 0, 1 };
	const struct bft_effect *e;

	lock_v_round0(h);
	round1_prevotes_for_w(h, wv, 2);
	assert_int_equal(h_prop(h, 2, 1, W, 2), 0);
	e = h_prevote_after_proposal(h, 1);
	EXPECT(e == NULL, h);
	/* the verdict may be asked now or was asked with the proposal */
	assert_int_equal(h_prevote(h, 1, W, 2), 0);
	EXPECT(vote_is(h_prevote_after_proposal(h, 1), BFT_VOTE_PREVOTE, 1, 2, W), h);
}

/* Line 29: a POL older than our lock does not unlock: locked on V at
 * round 1, a proposal for W with pol_round 0 gets nil. */
static void test_pol_older_than_lock(void **state)
{
	struct h *h = *state;
	struct bft_view vw;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	/* round 0: W proposed and 2f+1 prevotes for W, but we time out first */
	assert_int_equal(h_timeout(h, BFT_PROPOSE, 0), 0);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
	assert_int_equal(h_prevote(h, 0, W, 0), 0);
	assert_int_equal(h_prevote(h, 0, W, 1), 0);
	assert_int_equal(h_prevote(h, 0, W, 2), 0);
	assert_int_equal(h_timeout(h, BFT_PREVOTE, 0), 0);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PRECOMMIT), 0);
	assert_int_equal(h_precommit(h, 0, NIL, 0), 0);
	assert_int_equal(h_precommit(h, 0, NIL, 1), 0);
	assert_int_equal(h_timeout(h, BFT_PRECOMMIT, 0), 0);
	/* round 1 (validator 1's): V, and a quorum for it: lock V at 1 */
	assert_int_equal(h_prop(h, 1, -1, V, 1), 0);
	EXPECT(vote_is(h_prevote_after_proposal(h, 1), BFT_VOTE_PREVOTE, 1, 1, V), h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
	assert_int_equal(h_prevote(h, 1, V, 0), 0);
	assert_int_equal(h_prevote(h, 1, V, 1), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PRECOMMIT), BFT_VOTE_PRECOMMIT, 1, 1, V), h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PRECOMMIT), 0);
	assert_int_equal(h_precommit(h, 1, NIL, 0), 0);
	assert_int_equal(h_precommit(h, 1, NIL, 1), 0);
	assert_int_equal(h_timeout(h, BFT_PRECOMMIT, 1), 0);
	h_view(h, &vw);
	EXPECT(vw.round == 2 && vw.locked_round == 1 && is_val(vw.locked_value, V), h);
	/* round 2 (validator 2's): W with its round-0 POL */
	assert_int_equal(h_prop(h, 2, 0, W, 2), 0);
	EXPECT(vote_is(h_prevote_after_proposal(h, 1), BFT_VOTE_PREVOTE, 1, 2, NIL), h);
}

/* ---- 7. the valid value ------------------------------------------------------- */

/* Lines 36-43 then 14-16: validator 1 locks V in round 0 (valid V at 0);
 * leading round 1 it proposes V with pol_round 0 and asks no BUILD. */
static void test_valid_value_reproposed(void **state)
{
	struct h *h = *state;
	struct bft_view vw;
	const struct bft_effect *e;

	h_open(h, 1, 4, NULL);
	h_start(h, 1);
	assert_int_equal(h_prop(h, 0, -1, V, 0), 0);
	EXPECT(vote_is(h_prevote_after_proposal(h, 1), BFT_VOTE_PREVOTE, 1, 0, V), h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
	assert_int_equal(h_prevote(h, 0, V, 0), 0);
	assert_int_equal(h_prevote(h, 0, V, 2), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PRECOMMIT), BFT_VOTE_PRECOMMIT, 1, 0, V), h);
	h_view(h, &vw);
	EXPECT(vw.valid_round == 0 && is_val(vw.valid_value, V), h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PRECOMMIT), 0);
	assert_int_equal(h_precommit(h, 0, NIL, 0), 0);
	assert_int_equal(h_precommit(h, 0, NIL, 2), 0);
	assert_int_equal(h_timeout(h, BFT_PRECOMMIT, 0), 0);

	EXPECT_NONE(h, BFT_E_BUILD);
	e = find(&h->out, BFT_E_PROPOSE);
	EXPECT(e && e->u.proposal.height == 1 && e->u.proposal.round == 1 &&
	       e->u.proposal.pol_round == 0 && is_val(e->u.proposal.value, V), h);
	/* fed back: line 28 with the round-0 quorum, lock 0 <= 0 -> prevote V */
	assert_int_equal(h_own_proposal(h), 0);
	EXPECT_NONE(h, BFT_E_VALIDATE);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PREVOTE), BFT_VOTE_PREVOTE, 1, 1, V), h);
}

/* Lines 36, 42-43 at step precommit: the quorum for V and V's proposal
 * arrive after we precommitted nil; valid becomes V at 0, nothing locks,
 * and our round-1 proposal is V with pol_round 0. */
static void test_valid_value_without_lock(void **state)
{
	struct h *h = *state;
	struct bft_view vw;
	const struct bft_effect *e;

	h_open(h, 1, 4, NULL);
	h_start(h, 1);
	assert_int_equal(h_timeout(h, BFT_PROPOSE, 0), 0);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
	assert_int_equal(h_prevote(h, 0, V, 0), 0);
	assert_int_equal(h_prevote(h, 0, V, 2), 0);
	assert_int_equal(h_timeout(h, BFT_PREVOTE, 0), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PRECOMMIT), BFT_VOTE_PRECOMMIT, 1, 0, NIL), h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PRECOMMIT), 0);
	assert_int_equal(h_prevote(h, 0, V, 3), 0);
	/* the late proposal still needs the verdict, at step precommit */
	assert_int_equal(h_prop(h, 0, -1, V, 0), 0);
	EXPECT_NONE(h, BFT_E_VOTE);
	e = find(&h->out, BFT_E_VALIDATE);
	EXPECT(e && is_val(e->u.ask.value, V), h);
	assert_int_equal(h_validated(h, 1, V, 1), 0);
	EXPECT_NONE(h, BFT_E_VOTE);
	h_view(h, &vw);
	EXPECT(vw.step == BFT_PRECOMMIT && vw.locked_round == -1 &&
	       vw.valid_round == 0 && is_val(vw.valid_value, V), h);

	assert_int_equal(h_precommit(h, 0, NIL, 0), 0);
	assert_int_equal(h_precommit(h, 0, NIL, 2), 0);
	assert_int_equal(h_timeout(h, BFT_PRECOMMIT, 0), 0);
	EXPECT_NONE(h, BFT_E_BUILD);
	e = find(&h->out, BFT_E_PROPOSE);
	EXPECT(e && e->u.proposal.round == 1 && e->u.proposal.pol_round == 0 &&
	       is_val(e->u.proposal.value, V), h);
	assert_int_equal(h_own_proposal(h), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PREVOTE), BFT_VOTE_PREVOTE, 1, 1, V), h);
}

/* ---- 8. round skip --------------------------------------------------------------- */

/* Line 55: f+1 (> 1/3 of the power) of messages of a later round. */
static void test_round_skip(void **state)
{
	struct h *h = *state;
	struct bft_view vw;
	int rc;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	assert_int_equal(h_prevote(h, 2, NIL, 0), 0);
	h_view(h, &vw);
	EXPECT(vw.round == 0, h);
	/* a second message of the same validator is still power 1 */
	assert_int_equal(h_precommit(h, 2, NIL, 0), 0);
	h_view(h, &vw);
	EXPECT(vw.round == 0, h);
	EXPECT_NONE(h, BFT_E_TIMEOUT);
	assert_int_equal(h_prevote(h, 2, W, 1), 0);
	h_view(h, &vw);
	EXPECT(vw.round == 2 && vw.step == BFT_PROPOSE, h);
	EXPECT(timeout_is(find_timeout(&h->out, BFT_PROPOSE), BFT_PROPOSE, 1, 2,
	                  PROPOSE_MS + 2 * PROPOSE_DELTA), h);
	/* no way back: messages of round 1 (kept or OLD) do not move the round */
	rc = h_prevote(h, 1, NIL, 0);
	EXPECT(rc == 0 || rc == EMBER_BFT_OLD, h);
	rc = h_prevote(h, 1, NIL, 1);
	EXPECT(rc == 0 || rc == EMBER_BFT_OLD, h);
	h_view(h, &vw);
	EXPECT(vw.round == 2, h);
}

/*
 * A validator back from a restart finds the others far ahead, beyond the
 * rounds the slots keep: f+1 of the power seen at round 20 or later moves
 * it to 20 (bft.c's rule_skip_far); one sender alone does not, and the
 * lowest round that f+1 have reached is where it goes.
 */
static void test_round_skip_far(void **state)
{
	struct h *h = *state;
	struct bft_view vw;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	assert_int_equal(h_prevote(h, 30, NIL, 0), EMBER_BFT_FUTURE);
	h_view(h, &vw);
	EXPECT(vw.round == 0, h);
	assert_int_equal(h_precommit(h, 20, NIL, 1), EMBER_BFT_FUTURE);
	h_view(h, &vw);
	EXPECT(vw.round == 20 && vw.step == BFT_PROPOSE, h);
	EXPECT(timeout_is(find_timeout(&h->out, BFT_PROPOSE), BFT_PROPOSE, 1, 20,
	                  PROPOSE_MS + 20 * PROPOSE_DELTA), h);
}

/* Line 55 counts every kind of vote: precommits alone also do it. */
static void test_round_skip_precommits(void **state)
{
	struct h *h = *state;
	struct bft_view vw;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	assert_int_equal(h_precommit(h, 3, NIL, 1), 0);
	h_view(h, &vw);
	EXPECT(vw.round == 0, h);
	assert_int_equal(h_precommit(h, 3, W, 2), 0);
	h_view(h, &vw);
	EXPECT(vw.round == 3 && vw.step == BFT_PROPOSE, h);
	/* round 3 is ours */
	EXPECT(find(&h->out, BFT_E_BUILD) != NULL, h);
}

/* Line 55 by power: {3, 1, 1, 1}, total 6; validators 1 and 2 are exactly
 * 1/3 (not more), validator 0 alone is more. */
static void test_round_skip_by_power(void **state)
{
	struct h *h = *state;
	struct bft_view vw;
	static const uint64_t pw[4] = { 3, 1, 1, 1 };

	h_open(h, 3, 4, pw);
	h_start(h, 1);
	assert_int_equal(h_prevote(h, 1, NIL, 1), 0);
	assert_int_equal(h_prevote(h, 1, NIL, 2), 0);
	h_view(h, &vw);
	EXPECT(vw.round == 0, h);
	assert_int_equal(h_prevote(h, 1, NIL, 0), 0);
	h_view(h, &vw);
	EXPECT(vw.round == 1, h);
}

/* 2f+1 by power: {3, 1, 1, 1}; 3 + 1 = 4 is exactly 2/3 of 6, not more
 * (line 47 does not fire); 5 is. */
static void test_quorum_by_power(void **state)
{
	struct h *h = *state;
	static const uint64_t pw[4] = { 3, 1, 1, 1 };

	h_open(h, 3, 4, pw);
	h_start(h, 1);
	assert_int_equal(h_precommit(h, 0, NIL, 0), 0);
	assert_int_equal(h_precommit(h, 0, NIL, 1), 0);
	EXPECT(find_timeout(&h->out, BFT_PRECOMMIT) == NULL, h);
	assert_int_equal(h_precommit(h, 0, NIL, 2), 0);
	EXPECT(timeout_is(find_timeout(&h->out, BFT_PRECOMMIT), BFT_PRECOMMIT, 1, 0,
	                  PRECOMMIT_MS), h);
}

/* ---- 9. commit from any round ----------------------------------------------------- */

/* Line 49 for a later round: at round 0, step propose, round 1's proposal
 * and 2f+1 precommits for it arrive; the value is decided in round 1.
 * (The first two precommits also move us to round 1 by line 55.) */
static void test_commit_later_round(void **state)
{
	struct h *h = *state;
	size_t mark, committed = 0;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	mark = h->nlog;
	assert_int_equal(h_prop(h, 1, -1, V, 1), 0);
	assert_int_equal(h_precommit(h, 1, V, 0), 0);
	assert_int_equal(h_precommit(h, 1, V, 1), 0);
	assert_int_equal(h_precommit(h, 1, V, 2), 0);
	/* answer the verdict wherever it was asked */
	for (size_t i = mark; i < h->nlog; i++)
		if (h->log[i].e.kind == BFT_E_VALIDATE) {
			EXPECT(is_val(h->log[i].e.u.ask.value, V), h);
			assert_int_equal(h_validated(h, 1, V, 1), 0);
			break;
		}
	for (size_t i = mark; i < h->nlog; i++)
		if (h->log[i].e.kind == BFT_E_COMMIT) {
			const struct bft_effect *e = &h->log[i].e;

			committed++;
			EXPECT(e->u.commit.height == 1 && e->u.commit.round == 1 &&
			       is_val(e->u.commit.value, V) && e->u.commit.n >= 3, h);
			for (size_t j = 0; j < e->u.commit.n && j < LOG_PC; j++)
				EXPECT(h->log[i].pc[j].round == 1 &&
				       is_val(h->log[i].pc[j].value, V), h);
		}
	EXPECT(committed == 1, h);
}

/* Line 49 for an earlier round: we prevoted V in round 0, moved to round 1
 * (line 55), and only then see round 0's precommits for V. */
static void test_commit_earlier_round(void **state)
{
	struct h *h = *state;
	struct bft_view vw;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	assert_int_equal(h_prop(h, 0, -1, V, 0), 0);
	EXPECT(vote_is(h_prevote_after_proposal(h, 1), BFT_VOTE_PREVOTE, 1, 0, V), h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
	assert_int_equal(h_prevote(h, 1, NIL, 0), 0);
	assert_int_equal(h_prevote(h, 1, NIL, 1), 0);
	h_view(h, &vw);
	EXPECT(vw.round == 1 && vw.step == BFT_PROPOSE, h);
	assert_int_equal(h_precommit(h, 0, V, 0), 0);
	assert_int_equal(h_precommit(h, 0, V, 1), 0);
	EXPECT_NONE(h, BFT_E_COMMIT);
	assert_int_equal(h_precommit(h, 0, V, 2), 0);
	EXPECT(commit_ok(h, 1, 0, V, 3), h);
}

/* Line 49 needs the proposal: 2f+1 precommits for V alone decide
 * nothing; V's proposal (and its verdict) then does. */
static void test_commit_waits_for_proposal(void **state)
{
	struct h *h = *state;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	assert_int_equal(h_precommit(h, 0, V, 0), 0);
	assert_int_equal(h_precommit(h, 0, V, 1), 0);
	assert_int_equal(h_precommit(h, 0, V, 2), 0);
	EXPECT_NONE(h, BFT_E_COMMIT);
	assert_int_equal(h_prop(h, 0, -1, V, 0), 0);
	if (!find(&h->out, BFT_E_COMMIT)) {
		EXPECT(find(&h->out, BFT_E_VALIDATE) != NULL, h);
		assert_int_equal(h_validated(h, 1, V, 1), 0);
	}
	EXPECT(commit_ok(h, 1, 0, V, 3), h);
}

/* A proposal for round 1 that comes during round 0 is kept; entering
 * round 1 (by the precommit timeout) acts on it at once (line 22). */
static void test_early_proposal_next_round(void **state)
{
	struct h *h = *state;
	struct bft_view vw;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	assert_int_equal(h_prop(h, 1, -1, V, 1), 0);
	EXPECT_NONE(h, BFT_E_VOTE);
	assert_int_equal(h_timeout(h, BFT_PROPOSE, 0), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PREVOTE), BFT_VOTE_PREVOTE, 1, 0, NIL), h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
	assert_int_equal(h_prevote(h, 0, NIL, 0), 0);
	assert_int_equal(h_prevote(h, 0, NIL, 1), 0);
	/* line 44: 2f+1 nil prevotes -> precommit nil */
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PRECOMMIT), BFT_VOTE_PRECOMMIT, 1, 0, NIL), h);
	assert_int_equal(h_own_vote(h, BFT_VOTE_PRECOMMIT), 0);
	assert_int_equal(h_precommit(h, 0, NIL, 0), 0);
	assert_int_equal(h_precommit(h, 0, NIL, 1), 0);
	assert_int_equal(h_timeout(h, BFT_PRECOMMIT, 0), 0);
	h_view(h, &vw);
	EXPECT(vw.round == 1, h);
	EXPECT(vote_is(h_prevote_after_proposal(h, 1), BFT_VOTE_PREVOTE, 1, 1, V), h);
}

/* BFT_MAX_ROUNDS: rounds skip up by BFT_ROUNDS_AHEAD at a time (line
 * 55), but round BFT_MAX_ROUNDS is never entered, by skip or timeout. */
static void test_max_rounds(void **state)
{
	struct h *h = *state;
	struct bft_view vw;
	uint32_t r = 0;
	int rc;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	while (r + BFT_ROUNDS_AHEAD < BFT_MAX_ROUNDS) {
		r += BFT_ROUNDS_AHEAD;
		assert_int_equal(h_prevote(h, r, NIL, 0), 0);
		assert_int_equal(h_prevote(h, r, NIL, 1), 0);
		EXPECT(h->out.n <= BFT_OUT_MAX, h);
		h_view(h, &vw);
		EXPECT(vw.round == r, h);
	}
	assert_int_equal(h_prevote(h, BFT_MAX_ROUNDS - 1, NIL, 0), 0);
	assert_int_equal(h_prevote(h, BFT_MAX_ROUNDS - 1, NIL, 1), 0);
	h_view(h, &vw);
	EXPECT(vw.round == BFT_MAX_ROUNDS - 1, h);
	rc = h_prevote(h, BFT_MAX_ROUNDS, NIL, 0);
	EXPECT(rc == 0 || rc == EMBER_BFT_FUTURE, h);
	rc = h_prevote(h, BFT_MAX_ROUNDS, NIL, 1);
	EXPECT(rc == 0 || rc == EMBER_BFT_FUTURE, h);
	h_view(h, &vw);
	EXPECT(vw.round == BFT_MAX_ROUNDS - 1, h);
	/* the last round's precommit timeout leads nowhere */
	assert_int_equal(h_precommit(h, BFT_MAX_ROUNDS - 1, NIL, 0), 0);
	assert_int_equal(h_precommit(h, BFT_MAX_ROUNDS - 1, NIL, 1), 0);
	assert_int_equal(h_precommit(h, BFT_MAX_ROUNDS - 1, NIL, 2), 0);
	rc = h_timeout(h, BFT_PRECOMMIT, BFT_MAX_ROUNDS - 1);
	h_view(h, &vw);
	EXPECT(vw.round == BFT_MAX_ROUNDS - 1, h);
	EXPECT(find_timeout(&h->out, BFT_PROPOSE) == NULL, h);
	EXPECT_NONE(h, BFT_E_BUILD);
	EXPECT_NONE(h, BFT_E_VOTE);
}

/* ---- 10. repeats and refusals -------------------------------------------------- */

static void test_inputs_refused(void **state)
{
	struct h *h = *state;
	struct bft_view before, after;
	struct bft_vote v;
	int rc;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);

	/* a repeat is taken (0) and does nothing; it is not counted twice */
	assert_int_equal(h_precommit(h, 0, V, 0), 0);
	h_view(h, &before);
	assert_int_equal(h_precommit(h, 0, V, 0), 0);
	EXPECT(h->out.n == 0, h);
	assert_int_equal(h_precommit(h, 0, V, 0), 0);
	EXPECT(h->out.n == 0, h);
	h_view(h, &after);
	EXPECT(view_equal(&before, &after), h);
	assert_int_equal(h_precommit(h, 0, NIL, 1), 0);
	EXPECT(find_timeout(&h->out, BFT_PRECOMMIT) == NULL, h);   /* 2, not 4 */
	assert_int_equal(h_precommit(h, 0, NIL, 2), 0);
	EXPECT(find_timeout(&h->out, BFT_PRECOMMIT) != NULL, h);   /* 3 */

	h_view(h, &before);
	/* index out of the set */
	assert_int_equal(h_prevote(h, 0, V, 4), EMBER_BFT_VALIDATOR);
	EXPECT(h->out.n == 0, h);
	assert_int_equal(h_prevote(h, 0, V, 1000), EMBER_BFT_VALIDATOR);
	EXPECT(h->out.n == 0, h);
	/* too far ahead; up to round + BFT_ROUNDS_AHEAD is kept.  (All from
	 * #0: a message beyond the window is not kept but still says where
	 * its sender is, and two senders - 1/2 of the power - would move
	 * the machine there, bft.c's rule_skip_far.) */
	assert_int_equal(h_prevote(h, BFT_ROUNDS_AHEAD + 1, V, 0), EMBER_BFT_FUTURE);
	EXPECT(h->out.n == 0, h);
	assert_int_equal(h_prevote(h, BFT_MAX_ROUNDS + 5, V, 1), EMBER_BFT_FUTURE);
	/* (from #0, round 8's proposer: its proposal below adds no sender,
	 * so line 55 stays quiet whether or not proposals count) */
	assert_int_equal(h_prevote(h, BFT_ROUNDS_AHEAD, V, 0), 0);
	/* malformed */
	v = mkvote(BFT_VOTE_PREVOTE, 1, 0, V, 1);
	v.type = 7;
	memset(&h->out, 0, sizeof(h->out));
	rc = bft_on_vote(h->b, &v, &h->out);
	assert_int_equal(rc, EMBER_EINVAL);
	EXPECT(h->out.n == 0, h);
	assert_int_equal(h_prop(h, 0, -1, V, 4), EMBER_BFT_VALIDATOR);
	EXPECT(h->out.n == 0, h);
	/* proposals too: round + BFT_ROUNDS_AHEAD is kept, beyond is not
	 * (proposers: round 8 and round 12 are #0) */
	assert_int_equal(h_prop(h, BFT_ROUNDS_AHEAD + 4, -1, V,
	                        (BFT_ROUNDS_AHEAD + 4) % 4), EMBER_BFT_FUTURE);
	EXPECT(h->out.n == 0, h);
	assert_int_equal(h_prop(h, BFT_ROUNDS_AHEAD, -1, V, BFT_ROUNDS_AHEAD % 4), 0);
	EXPECT_NONE(h, BFT_E_VOTE);
	assert_int_equal(h_prop(h, 0, 0, V, 0), EMBER_EINVAL);      /* pol >= round */
	assert_int_equal(h_prop(h, 1, 3, V, 1), EMBER_EINVAL);
	assert_int_equal(h_prop(h, 1, -2, V, 1), EMBER_EINVAL);
	EXPECT(h->out.n == 0, h);
	h_view(h, &after);
	EXPECT(view_equal(&before, &after), h);

	/* heights: our index must be in the set; no going back */
	bft_valset_next(&h->vs);
	memset(&h->out, 0, sizeof(h->out));
	assert_int_equal(bft_start_height(h->b, 2, &h->vs, 4, &h->out), EMBER_EINVAL);
	h_view(h, &after);
	EXPECT(after.height == 1, h);
	assert_int_equal(h_start_rc(h, 2), 0);
	assert_int_equal(h_start_rc(h, 2), EMBER_EINVAL);
	assert_int_equal(h_start_rc(h, 1), EMBER_EINVAL);
	h_view(h, &before);
	EXPECT(before.height == 2, h);
	assert_int_equal(h_voteh(h, BFT_VOTE_PREVOTE, 1, 0, V, 1), EMBER_BFT_OLD);
	EXPECT(h->out.n == 0, h);
	assert_int_equal(h_voteh(h, BFT_VOTE_PRECOMMIT, 1, 0, V, 1), EMBER_BFT_OLD);
	assert_int_equal(h_proph(h, 1, 0, -1, V, 0), EMBER_BFT_OLD);
	EXPECT(h->out.n == 0, h);
	h_view(h, &after);
	EXPECT(view_equal(&before, &after), h);
}

/* ---- 11. equivocation ------------------------------------------------------------ */

static int evidence_is(const struct bft_effect *e, int type, uint64_t height,
                       uint32_t round, uint32_t validator, int va, int vb)
{
	const struct bft_vote *a, *b;

	if (!e || e->kind != BFT_E_EVIDENCE)
		return 0;
	a = &e->u.evidence.a;
	b = &e->u.evidence.b;
	if (a->type != type || b->type != type || a->height != height ||
	    b->height != height || a->round != round || b->round != round ||
	    a->validator != validator || b->validator != validator)
		return 0;
	/* the two votes, in either order */
	return (is_val(a->value, va) && is_val(b->value, vb)) ||
	       (is_val(a->value, vb) && is_val(b->value, va));
}

/* Evidence once, with both votes; the second vote does not count toward
 * "2f+1 of any value" (line 47). */
static void test_equivocation_evidence(void **state)
{
	struct h *h = *state;
	int rc;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	assert_int_equal(h_precommit(h, 0, V, 0), 0);
	EXPECT_NONE(h, BFT_E_EVIDENCE);
	rc = h_precommit(h, 0, W, 0);
	EXPECT(rc == 0 || rc == EMBER_BFT_CONFLICT, h);
	EXPECT(count(&h->out, BFT_E_EVIDENCE) == 1, h);
	EXPECT(evidence_is(find(&h->out, BFT_E_EVIDENCE), BFT_VOTE_PRECOMMIT, 1, 0, 0, V, W), h);
	/* again, and a third value: no second report */
	rc = h_precommit(h, 0, W, 0);
	EXPECT(rc == 0 || rc == EMBER_BFT_CONFLICT, h);
	EXPECT(h->out.n == 0, h);
	assert_int_equal(h_precommit(h, 0, X, 0), EMBER_BFT_CONFLICT);
	EXPECT(h->out.n == 0, h);
	/* the first vote stands: a repeat of it is harmless */
	assert_int_equal(h_precommit(h, 0, V, 0), 0);
	EXPECT(h->out.n == 0, h);
	/* 0 (twice) + 1 is two validators: no precommit timeout yet */
	assert_int_equal(h_precommit(h, 0, V, 1), 0);
	EXPECT(find_timeout(&h->out, BFT_PRECOMMIT) == NULL, h);
	assert_int_equal(h_precommit(h, 0, NIL, 2), 0);
	EXPECT(find_timeout(&h->out, BFT_PRECOMMIT) != NULL, h);

	/* other rounds are other votes: no evidence */
	assert_int_equal(h_precommit(h, 1, W, 0), 0);
	EXPECT_NONE(h, BFT_E_EVIDENCE);

	/* prevotes are a separate type: the same validator may prevote W */
	assert_int_equal(h_prevote(h, 0, W, 0), 0);
	EXPECT_NONE(h, BFT_E_EVIDENCE);
	rc = h_prevote(h, 0, NIL, 0);
	EXPECT(rc == 0 || rc == EMBER_BFT_CONFLICT, h);
	EXPECT(count(&h->out, BFT_E_EVIDENCE) == 1, h);
}

/* Counting validator 0's second precommit (V after W) would make three
 * for V with the proposal - a commit.  It must not; a third honest one
 * then commits, without validator 0 in the certificate. */
static void test_equivocation_no_quorum(void **state)
{
	struct h *h = *state;
	int rc;

	h_open(h, -1, 4, NULL);
	h_start(h, 1);
	assert_int_equal(h_prop(h, 0, -1, V, 0), 0);
	EXPECT(find(&h->out, BFT_E_VALIDATE) != NULL, h);
	assert_int_equal(h_validated(h, 1, V, 1), 0);
	assert_int_equal(h_precommit(h, 0, W, 0), 0);
	rc = h_precommit(h, 0, V, 0);
	EXPECT(rc == 0 || rc == EMBER_BFT_CONFLICT, h);
	EXPECT(count(&h->out, BFT_E_EVIDENCE) == 1, h);
	assert_int_equal(h_precommit(h, 0, V, 1), 0);
	EXPECT_NONE(h, BFT_E_COMMIT);
	assert_int_equal(h_precommit(h, 0, V, 2), 0);
	EXPECT_NONE(h, BFT_E_COMMIT);
	assert_int_equal(h_precommit(h, 0, V, 3), 0);
	EXPECT(commit_ok(h, 1, 0, V, 3), h);
	EXPECT(!commit_has(h, 0), h);
}

/* ---- 12. messages for the next height -------------------------------------------- */

static void test_future_height_queue(void **state)
{
	struct h *h = *state;
	struct bft_valset vs2;
	const struct bft_effect *e;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	vs2 = h->vs;
	bft_valset_next(&vs2);
	assert_int_equal(bft_valset_proposer(&vs2, 0), 1);

	/* height 2 while at 1: taken, queued, no effect */
	assert_int_equal(h_proph(h, 2, 0, -1, W, 1), 0);
	EXPECT(h->out.n == 0, h);
	assert_int_equal(h_voteh(h, BFT_VOTE_PREVOTE, 2, 0, W, 0), 0);
	EXPECT(h->out.n == 0, h);
	assert_int_equal(h_voteh(h, BFT_VOTE_PREVOTE, 2, 0, W, 1), 0);
	EXPECT(h->out.n == 0, h);

	h_start(h, 2);
	e = find(&h->out, BFT_E_VALIDATE);
	EXPECT(e && e->u.ask.height == 2 && is_val(e->u.ask.value, W), h);
	assert_int_equal(h_validated(h, 2, W, 1), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PREVOTE), BFT_VOTE_PREVOTE, 2, 0, W), h);
	/* the two queued prevotes count: ours makes 2f+1 (line 36) */
	assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PRECOMMIT), BFT_VOTE_PRECOMMIT, 2, 0, W), h);
}

/* A message two heights ahead outlives the start of the height between. */
static void test_future_two_heights(void **state)
{
	struct h *h = *state;
	struct bft_valset vs3 = { 0 };
	const struct bft_effect *e;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	/* height 3's round 0 is validator 2's */
	assert_int_equal(h_proph(h, 3, 0, -1, X, 2), 0);
	EXPECT(h->out.n == 0, h);
	assert_int_equal(h_voteh(h, BFT_VOTE_PRECOMMIT, 3, 0, X, 0), 0);
	h_start(h, 2);
	EXPECT_NONE(h, BFT_E_VALIDATE);
	vs3 = h->vs;
	bft_valset_next(&vs3);
	assert_int_equal(bft_valset_proposer(&vs3, 0), 2);
	h_start(h, 3);
	e = find(&h->out, BFT_E_VALIDATE);
	EXPECT(e && e->u.ask.height == 3 && is_val(e->u.ask.value, X), h);
	assert_int_equal(h_validated(h, 3, X, 1), 0);
	EXPECT(vote_is(find_vote(&h->out, BFT_VOTE_PREVOTE), BFT_VOTE_PREVOTE, 3, 0, X), h);
	/* the queued precommit counts too: two more decide X */
	assert_int_equal(h_precommit(h, 0, X, 1), 0);
	EXPECT_NONE(h, BFT_E_COMMIT);
	assert_int_equal(h_precommit(h, 0, X, 2), 0);
	EXPECT(commit_ok(h, 3, 0, X, 3), h);
}

/* BFT_FUTURE_MAX messages for later heights are queued and the next is
 * refused; at the next height they all go in, no input giving more than
 * BFT_OUT_MAX effects, and the queue has room again. */
static void test_future_queue_full(void **state)
{
	struct h *h = *state;
	size_t k = 0;
	int rc;

	h_open(h, 3, BFT_MAX_VALIDATORS, NULL);
	h_start(h, 1);
	for (uint32_t r = 0; r <= BFT_ROUNDS_AHEAD && k < BFT_FUTURE_MAX; r++)
		for (int t = BFT_VOTE_PREVOTE; t <= BFT_VOTE_PRECOMMIT && k < BFT_FUTURE_MAX; t++)
			for (uint32_t i = 0; i < BFT_MAX_VALIDATORS && k < BFT_FUTURE_MAX; i++, k++) {
				rc = h_voteh(h, t, 2, r, NIL, i);
				if (rc != 0)
					fail_msg("queued message %zu refused: %d", k, rc);
			}
	assert_int_equal(k, BFT_FUTURE_MAX);
	assert_int_equal(h_voteh(h, BFT_VOTE_PRECOMMIT, 2, BFT_ROUNDS_AHEAD, NIL, 127),
	                 EMBER_BFT_FUTURE);
	EXPECT(h->out.n == 0, h);
	h_start(h, 2);
	EXPECT(h->out.n <= BFT_OUT_MAX, h);
	/* the drained queue has its whole room again, for height 3 */
	k = 0;
	for (uint32_t r = 0; r <= BFT_ROUNDS_AHEAD && k < BFT_FUTURE_MAX; r++)
		for (int t = BFT_VOTE_PREVOTE; t <= BFT_VOTE_PRECOMMIT && k < BFT_FUTURE_MAX; t++)
			for (uint32_t i = 0; i < BFT_MAX_VALIDATORS && k < BFT_FUTURE_MAX; i++, k++) {
				rc = h_voteh(h, t, 3, r, NIL, i);
				if (rc != 0)
					fail_msg("height 3 message %zu refused: %d", k, rc);
			}
}

/* ---- 13. a node that is no validator ---------------------------------------------- */

#define EXPECT_SILENT(h) do { \
	EXPECT_NONE(h, BFT_E_BUILD); \
	EXPECT_NONE(h, BFT_E_PROPOSE); \
	EXPECT_NONE(h, BFT_E_VOTE); \
} while (0)

static void test_non_validator(void **state)
{
	struct h *h = *state;
	struct bft_view vw;

	h_open(h, -1, 4, NULL);
	h_start(h, 1);
	EXPECT_SILENT(h);
	assert_int_equal(h_prop(h, 0, -1, V, 0), 0);
	EXPECT_SILENT(h);
	EXPECT(find(&h->out, BFT_E_VALIDATE) != NULL, h);
	assert_int_equal(h_validated(h, 1, V, 1), 0);
	EXPECT_SILENT(h);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(h_prevote(h, 0, V, i), 0);
		EXPECT_SILENT(h);
	}
	assert_int_equal(h_timeout(h, BFT_PREVOTE, 0), 0);
	EXPECT_SILENT(h);
	assert_int_equal(h_precommit(h, 0, V, 0), 0);
	assert_int_equal(h_precommit(h, 0, V, 1), 0);
	EXPECT_NONE(h, BFT_E_COMMIT);
	assert_int_equal(h_precommit(h, 0, V, 2), 0);
	EXPECT_SILENT(h);
	EXPECT(commit_ok(h, 1, 0, V, 3), h);

	/* height 2, nobody proposes: rounds still turn, silently */
	h_start(h, 2);
	EXPECT_SILENT(h);
	assert_int_equal(h_timeout(h, BFT_PROPOSE, 0), 0);
	EXPECT_SILENT(h);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(h_prevote(h, 0, NIL, i), 0);
		EXPECT_SILENT(h);
	}
	assert_int_equal(h_timeout(h, BFT_PREVOTE, 0), 0);
	EXPECT_SILENT(h);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(h_precommit(h, 0, NIL, i), 0);
		EXPECT_SILENT(h);
	}
	assert_int_equal(h_timeout(h, BFT_PRECOMMIT, 0), 0);
	EXPECT_SILENT(h);
	h_view(h, &vw);
	EXPECT(vw.height == 2 && vw.round == 1, h);
}

/* cfg.self is 0, but not a validator at height 1 (self_at_h -1): index 0
 * leads round 0, yet nothing is built or voted. */
static void test_not_validator_at_height(void **state)
{
	struct h *h = *state;

	h_open(h, 0, 4, NULL);
	h->self = -1;
	h_start(h, 1);
	EXPECT_SILENT(h);
	assert_int_equal(h_prop(h, 0, -1, V, 0), 0);
	EXPECT_SILENT(h);
	if (find(&h->out, BFT_E_VALIDATE)) {
		assert_int_equal(h_validated(h, 1, V, 1), 0);
		EXPECT_SILENT(h);
	}
	assert_int_equal(h_timeout(h, BFT_PROPOSE, 0), 0);
	EXPECT_SILENT(h);
}

/* ---- 14. the proposer check ----------------------------------------------------- */

static void test_wrong_proposer(void **state)
{
	struct h *h = *state;
	struct bft_view before, after;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	h_view(h, &before);
	assert_int_equal(h_prop(h, 0, -1, V, 1), EMBER_BFT_PROPOSER);
	EXPECT(h->out.n == 0, h);
	assert_int_equal(h_prop(h, 0, -1, V, 3), EMBER_BFT_PROPOSER);
	EXPECT(h->out.n == 0, h);
	assert_int_equal(h_prop(h, 1, -1, V, 0), EMBER_BFT_PROPOSER);   /* round 1: #1 */
	EXPECT(h->out.n == 0, h);
	assert_int_equal(h_prop(h, 2, -1, V, 0), EMBER_BFT_PROPOSER);   /* round 2: #2 */
	EXPECT(h->out.n == 0, h);
	h_view(h, &after);
	EXPECT(view_equal(&before, &after), h);
	/* the real one is still taken: the impostors were not "a proposal" */
	assert_int_equal(h_prop(h, 0, -1, V, 0), 0);
	EXPECT(find(&h->out, BFT_E_VALIDATE) != NULL, h);
	/* the same proposal again: a harmless repeat, not asked again */
	assert_int_equal(h_prop(h, 0, -1, V, 0), 0);
	EXPECT(h->out.n == 0, h);
	/* a second, different proposal for the round */
	assert_int_equal(h_prop(h, 0, -1, W, 0), EMBER_BFT_CONFLICT);
	EXPECT(h->out.n == 0, h);
	/* in a later round, a different pol_round makes it different too */
	assert_int_equal(h_prop(h, 1, -1, V, 1), 0);
	assert_int_equal(h_prop(h, 1, 0, V, 1), EMBER_BFT_CONFLICT);
	EXPECT(h->out.n == 0, h);
}

/* ---- 15. determinism ----------------------------------------------------------- */

/* Answer every BUILD, VALIDATE, PROPOSE and VOTE of the last call the way
 * a host would (built value: height-based; every verdict valid), and the
 * effects those answers produce, until none is left. */
static void h_auto(struct h *h)
{
	struct bft_effect pending[256];
	size_t n = 0, i = 0;

	for (size_t k = 0; k < h->out.n && n < 256; k++)
		pending[n++] = h->out.e[k];
	while (i < n) {
		struct bft_effect e = pending[i++];
		int rc;

		switch (e.kind) {
		case BFT_E_BUILD:
			rc = h_built(h, e.u.ask.round, 0x10 + (int)(e.u.ask.height & 0x0f));
			break;
		case BFT_E_VALIDATE:
			rc = h_validated(h, e.u.ask.height, e.u.ask.value[0], 1);
			break;
		case BFT_E_PROPOSE:
			memset(&h->out, 0, sizeof(h->out));
			h->out.n = 1;
			h->out.e[0] = e;
			rc = h_own_proposal(h);
			break;
		case BFT_E_VOTE:
			memset(&h->out, 0, sizeof(h->out));
			h->out.n = 1;
			h->out.e[0] = e;
			rc = h_own_vote(h, e.u.vote.type);
			break;
		default:
			continue;
		}
		(void)rc;
		for (size_t k = 0; k < h->out.n && n < 256; k++)
			pending[n++] = h->out.e[k];
	}
}

/* A fixed, busy script: two heights, nil rounds, equivocation, a round
 * skip, a future-height message, stale timeouts. */
static void det_script(struct h *h)
{
	int rc = 0;

	h_open(h, 0, 4, NULL);
	h_start(h, 1);
	h_auto(h);
	rc |= h_prevote(h, 0, W, 1);
	rc |= h_prevote(h, 0, V, 1);           /* equivocation */
	h_auto(h);
	rc |= h_prevote(h, 0, NIL, 2);
	h_auto(h);
	rc |= h_timeout(h, BFT_PREVOTE, 0);
	h_auto(h);
	rc |= h_precommit(h, 0, NIL, 1);
	rc |= h_precommit(h, 0, NIL, 2);
	h_auto(h);
	rc |= h_timeout(h, BFT_PRECOMMIT, 0);
	h_auto(h);
	rc |= h_prop(h, 1, -1, W, 1);
	h_auto(h);
	rc |= h_voteh(h, BFT_VOTE_PREVOTE, 2, 0, X, 3);   /* queued */
	rc |= h_prevote(h, 1, W, 1);
	rc |= h_prevote(h, 1, W, 2);
	h_auto(h);
	rc |= h_precommit(h, 1, W, 1);
	rc |= h_precommit(h, 1, W, 3);
	h_auto(h);
	rc |= h_timeout(h, BFT_PROPOSE, 0);
	h_start(h, 2);
	h_auto(h);
	rc |= h_prevote(h, 3, NIL, 2);
	rc |= h_precommit(h, 3, NIL, 3);
	h_auto(h);
	rc |= h_prop(h, 3, -1, X, 2);
	h_auto(h);
	rc |= h_precommit(h, 3, X, 1);
	h_auto(h);
	(void)rc;
}

static int effect_equal(const struct logent *x, const struct logent *y)
{
	const struct bft_effect *a = &x->e, *b = &y->e;

	if (x->rc != y->rc || a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case BFT_E_BUILD:
	case BFT_E_VALIDATE:
		return a->u.ask.height == b->u.ask.height && a->u.ask.round == b->u.ask.round &&
		       (a->kind == BFT_E_BUILD ||
		        !memcmp(a->u.ask.value, b->u.ask.value, 32));
	case BFT_E_PROPOSE:
		return a->u.proposal.height == b->u.proposal.height &&
		       a->u.proposal.round == b->u.proposal.round &&
		       a->u.proposal.pol_round == b->u.proposal.pol_round &&
		       !memcmp(a->u.proposal.value, b->u.proposal.value, 32);
	case BFT_E_VOTE:
		return a->u.vote.type == b->u.vote.type && a->u.vote.nil == b->u.vote.nil &&
		       a->u.vote.height == b->u.vote.height &&
		       a->u.vote.round == b->u.vote.round &&
		       !memcmp(a->u.vote.value, b->u.vote.value, 32);
	case BFT_E_TIMEOUT:
		return a->u.timeout.step == b->u.timeout.step &&
		       a->u.timeout.height == b->u.timeout.height &&
		       a->u.timeout.round == b->u.timeout.round &&
		       a->u.timeout.ms == b->u.timeout.ms;
	case BFT_E_COMMIT:
		if (a->u.commit.height != b->u.commit.height ||
		    a->u.commit.round != b->u.commit.round || a->u.commit.n != b->u.commit.n ||
		    memcmp(a->u.commit.value, b->u.commit.value, 32))
			return 0;
		for (size_t j = 0; j < a->u.commit.n && j < LOG_PC; j++) {
			const struct bft_vote *p = &x->pc[j], *q = &y->pc[j];

			if (p->type != q->type || p->nil != q->nil || p->height != q->height ||
			    p->round != q->round || p->validator != q->validator ||
			    p->time_ms != q->time_ms || memcmp(p->value, q->value, 32) ||
			    memcmp(p->sig, q->sig, 64))
				return 0;
		}
		return 1;
	case BFT_E_EVIDENCE:
		return !memcmp(a->u.evidence.a.value, b->u.evidence.a.value, 32) &&
		       !memcmp(a->u.evidence.b.value, b->u.evidence.b.value, 32) &&
		       a->u.evidence.a.validator == b->u.evidence.a.validator &&
		       a->u.evidence.b.validator == b->u.evidence.b.validator &&
		       a->u.evidence.a.round == b->u.evidence.a.round &&
		       a->u.evidence.a.type == b->u.evidence.a.type;
	}
	return 1;       /* kind 0: a call without effects, rc compared */
}

/*
 * A validator restarted after precommitting V in round 2 keeps that lock
 * (bft_restore_lock before the height starts): in round 0 of the new
 * machine a proposal of W gets a nil prevote, one of V a prevote for V.
 */
static void test_restore_lock(void **state)
{
	struct h *h = *state;
	struct bft_view vw;
	const struct bft_effect *e;
	uint8_t v[32];

	h_open(h, 3, 4, NULL);
	fill(v, V);
	assert_int_equal(bft_restore_lock(h->b, 1, 2, v), 0);
	h_start(h, 1);
	h_view(h, &vw);
	EXPECT(vw.locked_round == 2 && memcmp(vw.locked_value, v, 32) == 0 &&
	       vw.valid_round == -1, h);
	assert_int_equal(h_prop(h, 0, -1, W, 0), 0);
	assert_int_equal(h_validated(h, 1, W, 1), 0);
	e = find_vote(&h->out, BFT_VOTE_PREVOTE);
	EXPECT(e && e->u.vote.nil, h);
	/* a lock can only be restored for a height not yet started */
	assert_int_equal(bft_restore_lock(h->b, 1, 0, v), EMBER_EINVAL);
}

/*
 * A restored lock is not traded for an older one while the WAL replays:
 * restarted with the lock (V, round 2), the machine re-enters round 0,
 * where the log holds a proposal of W and three prevotes for W (line 36
 * fires there).  It precommits W again (the signing guard, not the
 * machine, refuses that signature, being below its last record), and
 * W becomes its valid value of round 0 (none was restored), but its lock
 * stays round 2's V.  Without the check on line 36 the lock would fall
 * back to (W, 0), and a later round's proposal of W with pol_round 0
 * would get its prevote.
 */
static void test_restore_lock_replay(void **state)
{
	struct h *h = *state;
	struct bft_view vw;
	uint8_t v[32];

	h_open(h, 3, 4, NULL);
	fill(v, V);
	assert_int_equal(bft_restore_lock(h->b, 1, 2, v), 0);
	h_start(h, 1);
	assert_int_equal(h_prop(h, 0, -1, W, 0), 0);
	assert_int_equal(h_validated(h, 1, W, 1), 0);
	assert_non_null(find_vote(&h->out, BFT_VOTE_PREVOTE));
	assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(h_prevote(h, 0, W, i), 0);
	h_view(h, &vw);
	EXPECT(vw.step == BFT_PRECOMMIT, h);
	EXPECT(vw.locked_round == 2 && memcmp(vw.locked_value, v, 32) == 0, h);
	EXPECT(vw.valid_round == 0 && vw.valid_value[0] == W, h);
}

/* bft_holds_*: a message the machine counted is held; a different value,
 * nil instead of a value, another validator, round or height is not. */
static void test_holds(void **state)
{
	struct h *h = *state;
	struct bft_vote v;
	struct bft_proposal p;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	v = mkvote(BFT_VOTE_PREVOTE, 1, 0, W, 1);
	assert_int_equal(bft_holds_vote(h->b, &v), 0);
	assert_int_equal(h_prevote(h, 0, W, 1), 0);
	assert_int_equal(bft_holds_vote(h->b, &v), 1);
	v = mkvote(BFT_VOTE_PREVOTE, 1, 0, V, 1);
	assert_int_equal(bft_holds_vote(h->b, &v), 0);
	v = mkvote(BFT_VOTE_PREVOTE, 1, 0, W, 1);
	v.nil = 1;
	assert_int_equal(bft_holds_vote(h->b, &v), 0);
	v = mkvote(BFT_VOTE_PRECOMMIT, 1, 0, W, 1);
	assert_int_equal(bft_holds_vote(h->b, &v), 0);
	v = mkvote(BFT_VOTE_PREVOTE, 1, 0, W, 2);
	assert_int_equal(bft_holds_vote(h->b, &v), 0);
	v = mkvote(BFT_VOTE_PREVOTE, 1, 1, W, 1);
	assert_int_equal(bft_holds_vote(h->b, &v), 0);
	v = mkvote(BFT_VOTE_PREVOTE, 2, 0, W, 1);
	assert_int_equal(bft_holds_vote(h->b, &v), 0);
	p = mkprop(1, 0, -1, W, 0);
	assert_int_equal(bft_holds_proposal(h->b, &p), 0);
	assert_int_equal(h_prop(h, 0, -1, W, 0), 0);
	assert_int_equal(bft_holds_proposal(h->b, &p), 1);
	p = mkprop(1, 0, -1, V, 0);
	assert_int_equal(bft_holds_proposal(h->b, &p), 0);
	p = mkprop(2, 0, -1, W, 0);
	assert_int_equal(bft_holds_proposal(h->b, &p), 0);
}

static void test_determinism(void **state)
{
	struct h *a = *state, *b = NULL;
	size_t commits = 0;

	assert_int_equal(setup((void **)&b), 0);
	det_script(a);
	det_script(b);
	assert_true(a->nlog > 20);
	assert_int_equal(a->nlog, b->nlog);
	for (size_t i = 0; i < a->nlog; i++) {
		if (!effect_equal(&a->log[i], &b->log[i])) {
			int ka = (int)a->log[i].e.kind, kb = (int)b->log[i].e.kind;

			teardown((void **)&b);
			fail_msg("effect %zu differs (kind %d vs %d)", i, ka, kb);
		}
		commits += a->log[i].e.kind == BFT_E_COMMIT;
	}
	teardown((void **)&b);
	assert_true(commits >= 1);
}

/* ---- 16. timeouts grow with the round ----------------------------------------- */

static void test_timeouts_grow(void **state)
{
	struct h *h = *state;

	h_open(h, 3, 4, NULL);
	h_start(h, 1);
	for (uint32_t r = 0; r < 3; r++) {
		EXPECT(timeout_is(find_timeout(&h->out, BFT_PROPOSE), BFT_PROPOSE, 1, r,
		                  PROPOSE_MS + r * PROPOSE_DELTA), h);
		assert_int_equal(h_timeout(h, BFT_PROPOSE, r), 0);
		assert_int_equal(h_own_vote(h, BFT_VOTE_PREVOTE), 0);
		assert_int_equal(h_prevote(h, r, V, 0), 0);
		assert_int_equal(h_prevote(h, r, W, 1), 0);
		EXPECT(timeout_is(find_timeout(&h->out, BFT_PREVOTE), BFT_PREVOTE, 1, r,
		                  PREVOTE_MS + r * PREVOTE_DELTA), h);
		assert_int_equal(h_timeout(h, BFT_PREVOTE, r), 0);
		assert_int_equal(h_own_vote(h, BFT_VOTE_PRECOMMIT), 0);
		assert_int_equal(h_precommit(h, r, V, 0), 0);
		assert_int_equal(h_precommit(h, r, W, 1), 0);
		EXPECT(timeout_is(find_timeout(&h->out, BFT_PRECOMMIT), BFT_PRECOMMIT, 1, r,
		                  PRECOMMIT_MS + r * PRECOMMIT_DELTA), h);
		assert_int_equal(h_timeout(h, BFT_PRECOMMIT, r), 0);
	}
	/* round 3 is ours: a BUILD (a propose timeout may come or not) */
	EXPECT(find(&h->out, BFT_E_BUILD) != NULL &&
	       find(&h->out, BFT_E_BUILD)->u.ask.round == 3, h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valset),
		cmocka_unit_test(test_valset_priorities),
		cmocka_unit_test_setup_teardown(test_happy_proposer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_happy_follower, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follower_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_refuses_other, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_accepts_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlock_by_pol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlock_pol_completes_late, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_older_than_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_valid_value_reproposed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_valid_value_without_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_skip_far, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_lock_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_skip_precommits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_skip_by_power, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quorum_by_power, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_later_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_earlier_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_waits_for_proposal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_early_proposal_next_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inputs_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_equivocation_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_equivocation_no_quorum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_future_height_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_future_two_heights, setup, teardown),
		cmocka_unit_test_setup_teardown(test_future_queue_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_validator, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_validator_at_height, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_proposer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_determinism, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeouts_grow, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
