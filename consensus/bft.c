/*
 * bft.c - Tendermint consensus as a pure state machine (bft.h).
 *
 * "Line N" below is a line of Algorithm 1 in Buchman, Kwon and
 * Milosevic, arXiv:1807.04938.  After every input, eval() runs the
 * upon-rules of the current height until none fires; a rule that fires
 * changes the step (or a one-shot flag) first, so the loop ends.  Our own
 * messages are effects and count only when the caller feeds them back, so
 * the loop never reacts to a message it has not been given.
 *
 * Rounds live in BFT_SLOTS slots indexed by round % BFT_SLOTS: the rounds
 * round_p - BFT_ROUNDS_BEHIND .. round_p + BFT_ROUNDS_AHEAD, sixteen
 * consecutive rounds, so no two of them share a slot.  Everything is
 * preallocated by bft_new; nothing allocates after it.
 */
#include "ember/bft.h"

#include <stdlib.h>
#include <string.h>

#define BFT_SLOTS (BFT_ROUNDS_BEHIND + 1 + BFT_ROUNDS_AHEAD)
#define BFT_VALUES 64               /* values with a verdict, per height */

/* One round's messages. */
struct slot {
	int used;
	uint32_t round;
	int has_prop;
	struct bft_proposal prop;
	uint8_t has[2][BFT_MAX_VALIDATORS];     /* [type - 1][validator] */
	uint8_t equivocated[2][BFT_MAX_VALIDATORS];
	struct bft_vote vote[2][BFT_MAX_VALIDATORS];
	/* one-shot rules of this round */
	int fired34, fired36, fired47;
	int voted[2];                           /* we asked for our vote */
	int proposed;                           /* we asked to propose/build */
	int built;                              /* ... and proposed what was built */
};

enum verdict { V_ASKED = 1, V_VALID = 2, V_INVALID = 3 };

struct value {
	uint8_t id[32];
	enum verdict v;
};

/* A message for a later height, kept until that height starts. */
struct queued {
	int is_vote;
	struct bft_proposal p;
	struct bft_vote v;
};

struct bft {
	struct bft_cfg cfg;
	struct bft_valset vs;
	int32_t self;                           /* at this height */
	int started;
	uint64_t height;
	uint32_t round;
	enum bft_step step;
	int32_t locked_round, valid_round;
	uint8_t locked_value[32], valid_value[32];
	struct slot slots[BFT_SLOTS];
	struct value values[BFT_VALUES];
	size_t nvalues;
	struct queued *queue;                   /* BFT_FUTURE_MAX */
	struct queued *replay;                  /* BFT_FUTURE_MAX, scratch */
	size_t nqueue;
	struct bft_vote cert[BFT_MAX_VALIDATORS];
	/* The highest round each validator sent anything for at this
	 * height, kept even beyond the slots' window (rule_skip_far). */
	uint32_t seen_round[BFT_MAX_VALIDATORS];
	uint8_t seen[BFT_MAX_VALIDATORS];
	/* A lock to restore when restore_height starts (bft_restore_lock). */
	uint64_t restore_height;
	uint32_t restore_round;
	uint8_t restore_value[32];
};

/* ---- the validator set ----------------------------------------------------- */

int bft_valset_init(struct bft_valset *vs, const uint8_t (*ids)[32],
                    const uint64_t *powers, size_t n)
{
	uint64_t total = 0;

	if (!vs || !ids || !powers || n == 0 || n > BFT_MAX_VALIDATORS)
		return EMBER_EINVAL;
	memset(vs, 0, sizeof(*vs));
	for (size_t i = 0; i < n; i++) {
		/* 2^60 keeps every priority sum below 2^63 (CometBFT caps the
		 * total at MaxInt64 / 8 for the same reason). */
		if (powers[i] == 0 || powers[i] >= (1ull << 60) - total)
			return EMBER_EINVAL;
		total += powers[i];
		for (size_t j = 0; j < i; j++)
			if (memcmp(ids[i], ids[j], 32) == 0)
				return EMBER_EINVAL;
		memcpy(vs->v[i].id, ids[i], 32);
		vs->v[i].power = powers[i];
	}
	vs->n = n;
	vs->total = total;
	bft_valset_next(vs);
	return 0;
}

/* a / b rounded toward minus infinity (b > 0). */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* CometBFT's RescalePriorities(2 x total) and shiftByAvgProposerPriority. */
static void valset_normalise(struct bft_valset *vs)
{
	int64_t lo = vs->v[0].priority, hi = lo, sum = 0;
	int64_t window = (int64_t)(2 * vs->total);

	for (size_t i = 1; i < vs->n; i++) {
		if (vs->v[i].priority < lo)
			lo = vs->v[i].priority;
		if (vs->v[i].priority > hi)
			hi = vs->v[i].priority;
	}
	if (hi - lo > window) {
		int64_t ratio = (hi - lo + window - 1) / window;
		for (size_t i = 0; i < vs->n; i++)
			vs->v[i].priority /= ratio;     /* truncates toward zero, as Go */
	}
	for (size_t i = 0; i < vs->n; i++)
		sum += vs->v[i].priority;
	sum = floor_div(sum, (int64_t)vs->n);
	for (size_t i = 0; i < vs->n; i++)
		vs->v[i].priority -= sum;
}

/* One incrementProposerPriority step: returns the index chosen. */
static uint32_t valset_step(struct bft_valset *vs)
{
	uint32_t best = 0;

	for (size_t i = 0; i < vs->n; i++)
		vs->v[i].priority += (int64_t)vs->v[i].power;
	for (size_t i = 1; i < vs->n; i++)
		if (vs->v[i].priority > vs->v[best].priority)
			best = (uint32_t)i;
	vs->v[best].priority -= (int64_t)vs->total;
	vs->proposer = best;
	return best;
}

uint32_t bft_valset_proposer(const struct bft_valset *vs, uint32_t round)
{
	struct bft_valset c;

	if (round == 0)
		return vs->proposer;
	c = *vs;
	valset_normalise(&c);
	for (uint32_t r = 0; r < round; r++)
		valset_step(&c);
	return c.proposer;
}

void bft_valset_next(struct bft_valset *vs)
{
	valset_normalise(vs);
	valset_step(vs);
}

/* ---- small helpers ----------------------------------------------------------- */

static void emit(struct bft_out *out, const struct bft_effect *e)
{
	/* BFT_OUT_MAX is above what one input can produce: eval fires at
	 * most one step change per rule and round. */
	if (out->n < BFT_OUT_MAX)
		out->e[out->n++] = *e;
}

static int quorum(const struct bft *b, uint64_t power)   /* > 2/3 */
{
	return power * 3 > b->vs.total * 2;
}

static int third(const struct bft *b, uint64_t power)    /* > 1/3 */
{
	return power * 3 > b->vs.total;
}

static uint64_t timeout_ms(uint64_t base, uint64_t delta, uint32_t round)
{
	return base + (uint64_t)round * delta;
}

/* The slot of round r, or NULL when r is outside the window; create: a
 * stale slot in its place is cleared for r. */
static struct slot *slot_of(struct bft *b, uint32_t r, int create)
{
	struct slot *s = &b->slots[r % BFT_SLOTS];

	if ((uint64_t)r + BFT_ROUNDS_BEHIND < b->round ||
	    r > (uint64_t)b->round + BFT_ROUNDS_AHEAD)
		return NULL;
	if (s->used && s->round == r)
		return s;
	if (!create)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->used = 1;
	s->round = r;
	return s;
}

static struct value *value_find(struct bft *b, const uint8_t id[32])
{
	for (size_t i = 0; i < b->nvalues; i++)
		if (memcmp(b->values[i].id, id, 32) == 0)
			return &b->values[i];
	return NULL;
}

/* valid(v): 1 valid, 0 invalid or unknown.  Unknown asks the executor,
 * once per value and height. */
static int value_valid(struct bft *b, const uint8_t id[32], struct bft_out *out)
{
	struct value *v = value_find(b, id);
	struct bft_effect e;

	if (v)
		return v->v == V_VALID;
	if (b->nvalues == BFT_VALUES)
		return 0;           /* a flood of proposals: no more asks */
	v = &b->values[b->nvalues++];
	memcpy(v->id, id, 32);
	v->v = V_ASKED;
	memset(&e, 0, sizeof(e));
	e.kind = BFT_E_VALIDATE;
	e.u.ask.height = b->height;
	memcpy(e.u.ask.value, id, 32);
	emit(out, &e);
	return 0;
}

static int value_known(struct bft *b, const uint8_t id[32])
{
	struct value *v = value_find(b, id);
	return v && v->v != V_ASKED;
}

/* Power of votes of type in s for value (nil when value is NULL). */
static uint64_t tally(const struct bft *b, const struct slot *s, int type,
                      const uint8_t *value)
{
	uint64_t p = 0;
	for (size_t i = 0; i < b->vs.n; i++) {
		const struct bft_vote *v = &s->vote[type - 1][i];
		if (!s->has[type - 1][i])
			continue;
		if (value ? (!v->nil && memcmp(v->value, value, 32) == 0) : v->nil)
			p += b->vs.v[i].power;
	}
	return p;
}

static uint64_t tally_any(const struct bft *b, const struct slot *s, int type)
{
	uint64_t p = 0;
	for (size_t i = 0; i < b->vs.n; i++)
		if (s->has[type - 1][i])
			p += b->vs.v[i].power;
	return p;
}

/* Ask for our vote of type in the current round (once). */
static void vote(struct bft *b, int type, const uint8_t *value, struct bft_out *out)
{
	struct slot *s = slot_of(b, b->round, 1);
	struct bft_effect e;

	if (b->self < 0 || s->voted[type - 1])
		return;
	s->voted[type - 1] = 1;
	memset(&e, 0, sizeof(e));
	e.kind = BFT_E_VOTE;
	e.u.vote.type = (uint8_t)type;
	e.u.vote.height = b->height;
	e.u.vote.round = b->round;
	e.u.vote.validator = (uint32_t)b->self;
	if (value)
		memcpy(e.u.vote.value, value, 32);
	else
		e.u.vote.nil = 1;
	emit(out, &e);
}

static void schedule(struct bft *b, enum bft_step step, uint64_t ms,
                     struct bft_out *out)
{
	struct bft_effect e;
	memset(&e, 0, sizeof(e));
	e.kind = BFT_E_TIMEOUT;
	e.u.timeout.step = step;
	e.u.timeout.height = b->height;
	e.u.timeout.round = b->round;
	e.u.timeout.ms = ms;
	emit(out, &e);
}

static void propose(struct bft *b, const uint8_t value[32], int32_t pol,
                    struct bft_out *out)
{
	struct bft_effect e;
	memset(&e, 0, sizeof(e));
	e.kind = BFT_E_PROPOSE;
	e.u.proposal.height = b->height;
	e.u.proposal.round = b->round;
	e.u.proposal.pol_round = pol;
	e.u.proposal.proposer = (uint32_t)b->self;
	memcpy(e.u.proposal.value, value, 32);
	emit(out, &e);
}

/* Lines 10-21: StartRound(round). */
static void start_round(struct bft *b, uint32_t round, struct bft_out *out)
{
	struct slot *s;

	b->round = round;
	b->step = BFT_PROPOSE;
	s = slot_of(b, round, 1);
	if (b->self >= 0 && bft_valset_proposer(&b->vs, round) == (uint32_t)b->self) {
		struct bft_effect e;
		s->proposed = 1;
		if (b->valid_round >= 0) {
			propose(b, b->valid_value, b->valid_round, out);   /* line 15 */
			return;
		}
		memset(&e, 0, sizeof(e));                                  /* line 17 */
		e.kind = BFT_E_BUILD;
		e.u.ask.height = b->height;
		e.u.ask.round = round;
		emit(out, &e);
		return;
	}
	schedule(b, BFT_PROPOSE, timeout_ms(b->cfg.propose_ms,          /* line 21 */
	                                    b->cfg.propose_delta_ms, round), out);
}

/* ---- the upon-rules ------------------------------------------------------------ */

/* Line 49: a proposal for v in some round r and +2/3 precommits for v in
 * r decide v.  Returns 1 when it decided. */
static int rule_decide(struct bft *b, struct bft_out *out)
{
	for (size_t k = 0; k < BFT_SLOTS; k++) {
		struct slot *s = &b->slots[k];
		struct bft_effect e;
		size_t n = 0;

		if (!s->used || !s->has_prop ||
		    !quorum(b, tally(b, s, BFT_VOTE_PRECOMMIT, s->prop.value)) ||
		    !value_valid(b, s->prop.value, out))
			continue;
		for (size_t i = 0; i < b->vs.n; i++) {
			const struct bft_vote *v = &s->vote[BFT_VOTE_PRECOMMIT - 1][i];
			if (s->has[BFT_VOTE_PRECOMMIT - 1][i] && !v->nil &&
			    memcmp(v->value, s->prop.value, 32) == 0)
				b->cert[n++] = *v;
		}
		b->step = BFT_DECIDED;
		memset(&e, 0, sizeof(e));
		e.kind = BFT_E_COMMIT;
		e.u.commit.height = b->height;
		e.u.commit.round = s->round;
		memcpy(e.u.commit.value, s->prop.value, 32);
		e.u.commit.precommits = b->cert;
		e.u.commit.n = n;
		emit(out, &e);
		return 1;
	}
	return 0;
}

/* Line 55: f+1 of the power sent something in a round above ours. */
static int rule_skip(struct bft *b, struct bft_out *out)
{
	uint32_t to = b->round;

	for (size_t k = 0; k < BFT_SLOTS; k++) {
		const struct slot *s = &b->slots[k];
		uint64_t p = 0;
		if (!s->used || s->round <= b->round)
			continue;
		for (size_t i = 0; i < b->vs.n; i++)
			if (s->has[0][i] || s->has[1][i] ||
			    (s->has_prop && s->prop.proposer == i))
				p += b->vs.v[i].power;
		if (third(b, p) && s->round > to)
			to = s->round;
	}
	if (to == b->round || to >= BFT_MAX_ROUNDS)
		return 0;
	start_round(b, to, out);
	return 1;
}

/*
 * Line 55 for rounds beyond the window: a validator that was away (a
 * restart, a partition) finds the others many rounds ahead, and their
 * messages for those rounds are past what the slots keep.  The highest
 * round r such that validators with more than 1/3 of the power sent
 * something for round r or later is one where an honest validator is:
 * go there.  Entering a round signs nothing, so this costs no safety;
 * and at most f of the power is faulty, so faulty ones cannot drag us.
 */
static int rule_skip_far(struct bft *b, struct bft_out *out)
{
	uint32_t best = b->round;

	for (size_t i = 0; i < b->vs.n; i++) {
		uint32_t r = b->seen_round[i];
		uint64_t p = 0;
		if (!b->seen[i] || r <= best)
			continue;
		for (size_t j = 0; j < b->vs.n; j++)
			if (b->seen[j] && b->seen_round[j] >= r)
				p += b->vs.v[j].power;
		if (third(b, p))
			best = r;
	}
	if (best == b->round || best >= BFT_MAX_ROUNDS)
		return 0;
	start_round(b, best, out);
	return 1;
}

/* A signed message of validator i for round r at this height. */
static void saw(struct bft *b, uint32_t i, uint32_t r)
{
	if (!b->seen[i] || r > b->seen_round[i]) {
		b->seen[i] = 1;
		b->seen_round[i] = r;
	}
}

/* The rules of the current round; returns 1 when one fired. */
static int rule_round(struct bft *b, struct bft_out *out)
{
	struct slot *s = slot_of(b, b->round, 1);
	const struct bft_proposal *p = s->has_prop ? &s->prop : NULL;

	if (b->step == BFT_PROPOSE && p && p->pol_round == -1) {
		/* Line 22. */
		int ok;
		if (!value_known(b, p->value)) {
			(void)value_valid(b, p->value, out);   /* ask, then wait */
			goto prevote_rules;
		}
		ok = value_valid(b, p->value, out) &&
		     (b->locked_round == -1 || memcmp(b->locked_value, p->value, 32) == 0);
		vote(b, BFT_VOTE_PREVOTE, ok ? p->value : NULL, out);
		b->step = BFT_PREVOTE;
		return 1;
	}
	if (b->step == BFT_PROPOSE && p && p->pol_round >= 0 &&
	    (uint32_t)p->pol_round < b->round) {
		/* Line 28. */
		struct slot *vr = slot_of(b, (uint32_t)p->pol_round, 0);
		if (vr && quorum(b, tally(b, vr, BFT_VOTE_PREVOTE, p->value))) {
			int ok;
			if (!value_known(b, p->value)) {
				(void)value_valid(b, p->value, out);
				goto prevote_rules;
			}
			ok = value_valid(b, p->value, out) &&
			     (b->locked_round <= p->pol_round ||
			      memcmp(b->locked_value, p->value, 32) == 0);
			vote(b, BFT_VOTE_PREVOTE, ok ? p->value : NULL, out);
			b->step = BFT_PREVOTE;
			return 1;
		}
	}
prevote_rules:
	if (b->step == BFT_PREVOTE && !s->fired34 &&
	    quorum(b, tally_any(b, s, BFT_VOTE_PREVOTE))) {
		/* Line 34. */
		s->fired34 = 1;
		schedule(b, BFT_PREVOTE, timeout_ms(b->cfg.prevote_ms,
		                                    b->cfg.prevote_delta_ms, b->round), out);
		return 1;
	}
	if (p && b->step >= BFT_PREVOTE && b->step != BFT_DECIDED && !s->fired36 &&
	    quorum(b, tally(b, s, BFT_VOTE_PREVOTE, p->value))) {
		/* Line 36. */
		if (!value_known(b, p->value)) {
			(void)value_valid(b, p->value, out);
		} else if (value_valid(b, p->value, out)) {
			s->fired36 = 1;
			/* The lock and the valid value only move up: in a live
			 * run round >= both always holds (they are set at the
			 * current round, and rounds only grow), but a lock
			 * restored after a restart (bft_restore_lock) is from a
			 * round the machine has yet to reach again, and must not
			 * be traded for an older one while the log replays. */
			if (b->step == BFT_PREVOTE) {
				if ((int32_t)b->round >= b->locked_round) {
					memcpy(b->locked_value, p->value, 32);
					b->locked_round = (int32_t)b->round;
				}
				vote(b, BFT_VOTE_PRECOMMIT, p->value, out);
				b->step = BFT_PRECOMMIT;
			}
			if ((int32_t)b->round >= b->valid_round) {
				memcpy(b->valid_value, p->value, 32);
				b->valid_round = (int32_t)b->round;
			}
			return 1;
		}
	}
	if (b->step == BFT_PREVOTE && quorum(b, tally(b, s, BFT_VOTE_PREVOTE, NULL))) {
		/* Line 44. */
		vote(b, BFT_VOTE_PRECOMMIT, NULL, out);
		b->step = BFT_PRECOMMIT;
		return 1;
	}
	if (!s->fired47 && b->step != BFT_DECIDED &&
	    quorum(b, tally_any(b, s, BFT_VOTE_PRECOMMIT))) {
		/* Line 47. */
		s->fired47 = 1;
		schedule(b, BFT_PRECOMMIT, timeout_ms(b->cfg.precommit_ms,
		                                      b->cfg.precommit_delta_ms, b->round), out);
		return 1;
	}
	return 0;
}

static void eval(struct bft *b, struct bft_out *out)
{
	while (b->started && b->step != BFT_DECIDED) {
		if (rule_decide(b, out) || rule_skip(b, out) || rule_skip_far(b, out) ||
		    rule_round(b, out))
			continue;
		break;
	}
}

/* ---- inputs ---------------------------------------------------------------------- */

int bft_new(struct bft **out, const struct bft_cfg *cfg)
{
	struct bft *b;

	if (!out || !cfg)
		return EMBER_EINVAL;
	if (!(b = calloc(1, sizeof(*b))) ||
	    !(b->queue = calloc(BFT_FUTURE_MAX, sizeof(*b->queue))) ||
	    !(b->replay = calloc(BFT_FUTURE_MAX, sizeof(*b->replay)))) {
		if (b)
			free(b->queue);
		free(b);
		return EMBER_ENOMEM;
	}
	b->cfg = *cfg;
	b->self = -1;
	b->locked_round = b->valid_round = -1;
	*out = b;
	return 0;
}

void bft_free(struct bft *b)
{
	if (!b)
		return;
	free(b->queue);
	free(b->replay);
	free(b);
}

/* Keep a message for a later height.  Returns 0 or EMBER_BFT_FUTURE. */
static int enqueue(struct bft *b, const struct bft_proposal *p,
                   const struct bft_vote *v)
{
	struct queued *q;

	if (b->nqueue == BFT_FUTURE_MAX)
		return EMBER_BFT_FUTURE;
	q = &b->queue[b->nqueue++];
	memset(q, 0, sizeof(*q));
	if (v) {
		q->is_vote = 1;
		q->v = *v;
	} else {
		q->p = *p;
	}
	return 0;
}

int bft_start_height(struct bft *b, uint64_t h, const struct bft_valset *vs,
                     int32_t self_at_h, struct bft_out *out)
{
	size_t keep = 0, n;

	if (!b || !vs || !out || vs->n == 0 || vs->n > BFT_MAX_VALIDATORS ||
	    (b->started && h <= b->height) || self_at_h >= (int32_t)vs->n ||
	    self_at_h < -1)
		return EMBER_EINVAL;
	b->vs = *vs;
	b->self = self_at_h < 0 ? -1 : self_at_h;
	b->height = h;
	b->started = 1;
	b->round = 0;
	b->locked_round = b->valid_round = -1;
	memset(b->locked_value, 0, 32);
	memset(b->valid_value, 0, 32);
	if (b->restore_height == h) {
		/* The lock only: the machine starts again at round 0, below
		 * the lock's round, and a valid value of that round would be
		 * re-proposed with a proof-of-lock round that is not below the
		 * proposal's.  (The valid value only speeds liveness.) */
		b->locked_round = (int32_t)b->restore_round;
		memcpy(b->locked_value, b->restore_value, 32);
		b->restore_height = 0;
	}
	memset(b->slots, 0, sizeof(b->slots));
	memset(b->seen, 0, sizeof(b->seen));
	b->nvalues = 0;
	/* The queue, in arrival order: later heights' messages stay, this
	 * height's are replayed (from a copy: replaying never queues this
	 * height again, but keeps the queue consistent), older ones go. */
	n = 0;
	for (size_t i = 0; i < b->nqueue; i++) {
		const struct queued *q = &b->queue[i];
		uint64_t qh = q->is_vote ? q->v.height : q->p.height;
		if (qh == h)
			b->replay[n++] = *q;
		else if (qh > h)
			b->queue[keep++] = *q;
	}
	b->nqueue = keep;
	start_round(b, 0, out);
	for (size_t i = 0; i < n; i++) {
		const struct queued *q = &b->replay[i];
		/* a bad one is refused here as it would have been live */
		int rc = q->is_vote ? bft_on_vote(b, &q->v, out)
		                    : bft_on_proposal(b, &q->p, out);
		(void)rc;
	}
	eval(b, out);
	return 0;
}

int bft_on_proposal(struct bft *b, const struct bft_proposal *p, struct bft_out *out)
{
	struct slot *s;

	if (!b || !p || !out || p->pol_round < -1 ||
	    (p->pol_round >= 0 && (uint32_t)p->pol_round >= p->round))
		return EMBER_EINVAL;
	if (!b->started || p->height > b->height)
		return enqueue(b, p, NULL);
	if (p->height < b->height)
		return EMBER_BFT_OLD;
	if (p->proposer >= b->vs.n)
		return EMBER_BFT_VALIDATOR;
	if (p->round >= BFT_MAX_ROUNDS)
		return EMBER_BFT_FUTURE;
	if (bft_valset_proposer(&b->vs, p->round) != p->proposer)
		return EMBER_BFT_PROPOSER;
	if (p->round > (uint64_t)b->round + BFT_ROUNDS_AHEAD) {
		saw(b, p->proposer, p->round);
		eval(b, out);
		return EMBER_BFT_FUTURE;
	}
	saw(b, p->proposer, p->round);
	if (!(s = slot_of(b, p->round, 1)))
		return EMBER_BFT_OLD;
	if (s->has_prop) {
		if (memcmp(s->prop.value, p->value, 32) == 0 &&
		    s->prop.pol_round == p->pol_round)
			return 0;
		return EMBER_BFT_CONFLICT;
	}
	s->has_prop = 1;
	s->prop = *p;
	eval(b, out);
	return 0;
}

int bft_on_vote(struct bft *b, const struct bft_vote *v, struct bft_out *out)
{
	struct slot *s;
	struct bft_vote *old;
	int t;

	if (!b || !v || !out ||
	    (v->type != BFT_VOTE_PREVOTE && v->type != BFT_VOTE_PRECOMMIT) || v->nil > 1)
		return EMBER_EINVAL;
	if (!b->started || v->height > b->height)
		return enqueue(b, NULL, v);
	if (v->height < b->height)
		return EMBER_BFT_OLD;
	if (v->validator >= b->vs.n)
		return EMBER_BFT_VALIDATOR;
	if (v->round >= BFT_MAX_ROUNDS)
		return EMBER_BFT_FUTURE;
	if (v->round > (uint64_t)b->round + BFT_ROUNDS_AHEAD) {
		/* Not kept, but it says where that validator is. */
		saw(b, v->validator, v->round);
		eval(b, out);
		return EMBER_BFT_FUTURE;
	}
	saw(b, v->validator, v->round);
	if (!(s = slot_of(b, v->round, 1)))
		return EMBER_BFT_OLD;
	t = v->type - 1;
	old = &s->vote[t][v->validator];
	if (s->has[t][v->validator]) {
		struct bft_effect e;
		if (old->nil == v->nil && (v->nil || memcmp(old->value, v->value, 32) == 0))
			return 0;       /* the same vote again */
		if (s->equivocated[t][v->validator])
			return EMBER_BFT_CONFLICT;
		s->equivocated[t][v->validator] = 1;
		memset(&e, 0, sizeof(e));
		e.kind = BFT_E_EVIDENCE;
		e.u.evidence.a = *old;
		e.u.evidence.b = *v;
		emit(out, &e);
		return EMBER_BFT_CONFLICT;
	}
	s->has[t][v->validator] = 1;
	*old = *v;
	if (old->nil)
		memset(old->value, 0, 32);
	eval(b, out);
	return 0;
}

/* The slot of round r when it is held now, else NULL (no side effects). */
static const struct slot *slot_held(const struct bft *b, uint64_t h, uint32_t r)
{
	const struct slot *s = &b->slots[r % BFT_SLOTS];

	if (!b->started || h != b->height || !s->used || s->round != r)
		return NULL;
	return s;
}

int bft_holds_vote(const struct bft *b, const struct bft_vote *v)
{
	const struct slot *s;
	const struct bft_vote *old;
	int t;

	if (!b || !v || (v->type != BFT_VOTE_PREVOTE && v->type != BFT_VOTE_PRECOMMIT) ||
	    v->validator >= b->vs.n || !(s = slot_held(b, v->height, v->round)))
		return 0;
	t = v->type - 1;
	old = &s->vote[t][v->validator];
	return s->has[t][v->validator] && old->nil == v->nil &&
	       (v->nil || memcmp(old->value, v->value, 32) == 0);
}

int bft_holds_proposal(const struct bft *b, const struct bft_proposal *p)
{
	const struct slot *s;

	if (!b || !p || !(s = slot_held(b, p->height, p->round)))
		return 0;
	return s->has_prop && s->prop.pol_round == p->pol_round &&
	       memcmp(s->prop.value, p->value, 32) == 0;
}

int bft_on_timeout(struct bft *b, enum bft_step step, uint64_t height,
                   uint32_t round, struct bft_out *out)
{
	if (!b || !out)
		return EMBER_EINVAL;
	if (!b->started || height != b->height || round != b->round ||
	    b->step == BFT_DECIDED)
		return 0;           /* stale: nothing to do */
	if (step == BFT_PROPOSE && b->step == BFT_PROPOSE) {
		vote(b, BFT_VOTE_PREVOTE, NULL, out);               /* line 57 */
		b->step = BFT_PREVOTE;
	} else if (step == BFT_PREVOTE && b->step == BFT_PREVOTE) {
		vote(b, BFT_VOTE_PRECOMMIT, NULL, out);             /* line 61 */
		b->step = BFT_PRECOMMIT;
	} else if (step == BFT_PRECOMMIT) {
		if (b->round + 1 >= BFT_MAX_ROUNDS)
			return 0;
		start_round(b, b->round + 1, out);                  /* line 65 */
	} else {
		return 0;
	}
	eval(b, out);
	return 0;
}

int bft_on_validated(struct bft *b, uint64_t height, const uint8_t value[32],
                     int valid, struct bft_out *out)
{
	struct value *v;

	if (!b || !value || !out)
		return EMBER_EINVAL;
	if (!b->started || height != b->height)
		return EMBER_BFT_OLD;
	if (!(v = value_find(b, value)))
		return EMBER_EINVAL;        /* never asked */
	v->v = valid ? V_VALID : V_INVALID;
	eval(b, out);
	return 0;
}

int bft_on_built(struct bft *b, uint64_t height, uint32_t round,
                 const uint8_t value[32], struct bft_out *out)
{
	struct value *v;
	struct slot *s;

	if (!b || !value || !out)
		return EMBER_EINVAL;
	if (!b->started || height != b->height || round != b->round ||
	    b->step != BFT_PROPOSE || b->self < 0)
		return EMBER_BFT_OLD;
	s = slot_of(b, round, 1);
	if (!s->proposed || s->built)
		return EMBER_EINVAL;        /* never asked, or answered already */
	s->built = 1;
	if (!(v = value_find(b, value))) {
		if (b->nvalues == BFT_VALUES)
			return EMBER_BFT_FUTURE;
		v = &b->values[b->nvalues++];
		memcpy(v->id, value, 32);
	}
	v->v = V_VALID;
	propose(b, value, -1, out);                                  /* line 19 */
	return 0;
}

int bft_restore_lock(struct bft *b, uint64_t height, uint32_t round,
                     const uint8_t value[32])
{
	if (!b || !value || (b->started && height <= b->height))
		return EMBER_EINVAL;
	b->restore_height = height;
	b->restore_round = round;
	memcpy(b->restore_value, value, 32);
	return 0;
}

void bft_view(const struct bft *b, struct bft_view *out)
{
	memset(out, 0, sizeof(*out));
	out->height = b->height;
	out->round = b->round;
	out->step = b->step;
	out->locked_round = b->locked_round;
	out->valid_round = b->valid_round;
	memcpy(out->locked_value, b->locked_value, 32);
	memcpy(out->valid_value, b->valid_value, 32);
}
