/*
 * bft.h - Tendermint consensus as a pure state machine.
 *
 * The algorithm is Algorithm 1 of Buchman, Kwon and Milosevic, "The
 * latest gossip on BFT consensus" (arXiv:1807.04938); the line numbers in
 * consensus/bft.c refer to it.  Malachite's core is the model for the
 * shape: inputs in, effects out, nothing else.
 *
 * Inputs: start a height; a proposal; a vote; a timeout that fired; the
 * executor's verdict on a proposed value; a value the executor built for
 * our own proposal.  Outputs: effects appended to the caller's struct
 * bft_out - sign and broadcast a proposal or a vote, schedule a timeout,
 * ask the executor to build or to validate a value, commit a decided value
 * with its precommits, report evidence.  No sockets, clock, threads, LMDB
 * or allocation after bft_new happen in here, so a test drives it with a
 * scripted sequence of inputs and checks the effects; the node owns timers
 * and the network, and its executor executes blocks.
 *
 * A value is a block id (its 32-byte header hash).  A vote's value is that
 * id, or nil.
 *
 * Signatures are the caller's: it verifies a proposal's or vote's
 * signature against the validator set before calling in, and maps the
 * signer to its index in the set.  The machine checks everything else:
 * height, round range, that the proposal came from that round's proposer,
 * duplicates, and two different votes by one validator for one (height,
 * round, type) - equivocation, reported once as BFT_E_EVIDENCE.
 *
 * Our own messages: for BFT_E_PROPOSE and BFT_E_VOTE the caller signs
 * (stamping precommits with its clock), makes the vote durable in its
 * signing guard, broadcasts it, and gives it back with bft_on_proposal /
 * bft_on_vote like any other message; the machine counts it then.  The
 * machine never asks twice for a vote of one (height, round, type).
 *
 * Determinism: no floating point, no clock, no unordered iteration; the
 * same inputs in the same order give the same effects.
 *
 * Ownership: struct bft and everything it points into belong to the
 * caller's thread.  Pointers inside an effect (the commit's precommits)
 * stay valid until the next call into the machine.
 */
#ifndef EMBER_BFT_H
#define EMBER_BFT_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define BFT_MAX_VALIDATORS 128      /* = EMBER_GEN_MAX_VALIDATORS */
#define BFT_ROUNDS_AHEAD 8          /* messages up to round + this are kept */
#define BFT_ROUNDS_BEHIND 7         /* ... and down to round - this; older
                                     * rounds are forgotten (EMBER_BFT_OLD):
                                     * a proof of lock or a commit from
                                     * further back is not acted on, which
                                     * costs liveness in that round only */
#define BFT_MAX_ROUNDS 1024         /* no round at or above this is entered */
#define BFT_FUTURE_MAX 1024         /* messages for later heights, queued */
#define BFT_OUT_MAX 32              /* effects one input can produce */

/* ---- the validator set and proposer selection ---------------------------- */

struct bft_validator {
	uint8_t id[32];             /* BIP-340 x-only public key */
	uint64_t power;             /* > 0 */
	int64_t priority;           /* CometBFT's proposer priority */
};

struct bft_valset {
	size_t n;                   /* 1 .. BFT_MAX_VALIDATORS */
	uint64_t total;             /* sum of power; < 2^60 */
	uint32_t proposer;          /* round 0's: the one the last increment
	                             * chose (CometBFT's vals.Proposer) */
	struct bft_validator v[BFT_MAX_VALIDATORS];
};

/*
 * A set from ids and powers (in the order given; the index is the
 * validator's number everywhere below), priorities as CometBFT starts
 * them: all zero, then one increment, so height 1's round-0 proposer is
 * the first of the highest power.
 * Returns: 0, EMBER_EINVAL (n out of range, a zero power, a duplicate id,
 * total too large).
 */
EMBER_WUR int bft_valset_init(struct bft_valset *vs, const uint8_t (*ids)[32],
                              const uint64_t *powers, size_t n);

/*
 * The proposer of round `round` of the height vs is set for: vs->proposer
 * for round 0, else that of a copy after IncrementProposerPriority(round)
 * as CometBFT does it: once, rescale the priorities so that max - min <=
 * 2 x total (dividing each by ceil((max - min) / (2 x total)), truncating
 * toward zero) and subtract their average (rounded toward minus
 * infinity); then `round` times, add every power to its priority, pick
 * the highest (ties: the lower index) and take the total off it.
 * O(n x (round + 1)).
 */
uint32_t bft_valset_proposer(const struct bft_valset *vs, uint32_t round);

/* vs becomes the set of the next height: IncrementProposerPriority(1). */
void bft_valset_next(struct bft_valset *vs);

/* ---- messages ------------------------------------------------------------ */

enum bft_step { BFT_PROPOSE = 0, BFT_PREVOTE = 1, BFT_PRECOMMIT = 2, BFT_DECIDED = 3 };
enum bft_vote_type { BFT_VOTE_PREVOTE = 1, BFT_VOTE_PRECOMMIT = 2 };

struct bft_proposal {
	uint64_t height;
	uint32_t round;
	int32_t pol_round;          /* -1, or the round of its proof of lock */
	uint8_t value[32];
	uint32_t proposer;          /* validator index (signature checked) */
	uint8_t sig[64];            /* carried, not checked here */
};

struct bft_vote {
	uint8_t type;               /* enum bft_vote_type */
	uint8_t nil;                /* 1: a vote for nil (value ignored) */
	uint64_t height;
	uint32_t round;
	uint8_t value[32];
	uint32_t validator;         /* validator index (signature checked) */
	uint64_t time_ms;           /* precommits: the signer's clock */
	uint8_t sig[64];            /* carried, not checked here */
};

/* ---- effects --------------------------------------------------------------- */

enum bft_effect_kind {
	BFT_E_BUILD = 1,    /* we propose (height, round) and hold no valid
	                     * value: build a block, answer bft_on_built */
	BFT_E_PROPOSE,      /* sign and broadcast .proposal (proposer and
	                     * sig to fill), then bft_on_proposal it */
	BFT_E_VOTE,         /* sign and broadcast .vote (validator, time_ms,
	                     * sig to fill), then bft_on_vote it */
	BFT_E_TIMEOUT,      /* schedule .timeout; when it fires, call
	                     * bft_on_timeout with its step, height, round */
	BFT_E_VALIDATE,     /* execute the block .value names (its bytes
	                     * come with the proposal over the network) and
	                     * answer bft_on_validated; asked once per value */
	BFT_E_COMMIT,       /* .commit: the value is decided; commit it with
	                     * these precommits as its certificate, then
	                     * start the next height */
	BFT_E_EVIDENCE      /* .evidence: two votes of one validator for one
	                     * (height, round, type) with different values */
};

struct bft_effect {
	enum bft_effect_kind kind;
	union {
		struct bft_proposal proposal;
		struct bft_vote vote;
		struct {
			enum bft_step step;     /* PROPOSE, PREVOTE or PRECOMMIT */
			uint64_t height;
			uint32_t round;
			uint64_t ms;            /* from now */
		} timeout;
		struct {
			uint64_t height;
			uint32_t round;         /* BUILD: the round to propose in */
			uint8_t value[32];      /* VALIDATE: the value */
		} ask;
		struct {
			uint64_t height;
			uint32_t round;         /* the round the value was decided in */
			uint8_t value[32];
			const struct bft_vote *precommits; /* for value, that round */
			size_t n;
		} commit;
		struct {
			struct bft_vote a, b;
		} evidence;
	} u;
};

struct bft_out {
	size_t n;
	struct bft_effect e[BFT_OUT_MAX];
};

/* ---- the machine ------------------------------------------------------------ */

struct bft_cfg {
	int32_t self;               /* our validator index; -1: not a validator
	                             * (follows, never votes or proposes) */
	/* Timeouts, CometBFT's defaults scaled to the block time: round r
	 * waits base + r x delta. */
	uint64_t propose_ms, propose_delta_ms;
	uint64_t prevote_ms, prevote_delta_ms;
	uint64_t precommit_ms, precommit_delta_ms;
};

struct bft;

/* Returns: 0, EMBER_ENOMEM, EMBER_EINVAL. */
EMBER_WUR int bft_new(struct bft **out, const struct bft_cfg *cfg);
void bft_free(struct bft *b);

/*
 * Begin height h with validator set vs (copied) at round 0, then feed in
 * the messages queued for h.  h must be above the last height started.
 * self_at_h is our index in vs, or -1 when this node is no validator at
 * h (the set may change between heights); anything below -1 is
 * EMBER_EINVAL.  Line 55's f+1 counts every signed message of a round:
 * prevotes, precommits and the proposal.
 * Returns: 0, EMBER_EINVAL.
 */
EMBER_WUR int bft_start_height(struct bft *b, uint64_t h, const struct bft_valset *vs,
                               int32_t self_at_h, struct bft_out *out);

/*
 * Inputs.  Each returns 0 when the input was taken (counted, queued for a
 * later height, or a harmless repeat) and changes nothing else on error:
 *   EMBER_BFT_OLD        for a height below the current one, or a round
 *                        too far behind to matter (nothing to do)
 *   EMBER_BFT_FUTURE     queue full, or round beyond round + ROUNDS_AHEAD
 *   EMBER_BFT_VALIDATOR  index out of the set
 *   EMBER_BFT_PROPOSER   a proposal not from that round's proposer
 *   EMBER_BFT_CONFLICT   a second, different vote of one validator for
 *                        one (height, round, type) - the first such one
 *                        emits BFT_E_EVIDENCE with both, later ones emit
 *                        nothing; neither is counted - or a second,
 *                        different proposal
 *   EMBER_EINVAL         malformed (bad type, pol_round >= round, ...)
 */
EMBER_WUR int bft_on_proposal(struct bft *b, const struct bft_proposal *p,
                              struct bft_out *out);
EMBER_WUR int bft_on_vote(struct bft *b, const struct bft_vote *v,
                          struct bft_out *out);
EMBER_WUR int bft_on_timeout(struct bft *b, enum bft_step step, uint64_t height,
                             uint32_t round, struct bft_out *out);
/* The executor's verdict on value (asked by BFT_E_VALIDATE). */
EMBER_WUR int bft_on_validated(struct bft *b, uint64_t height,
                               const uint8_t value[32], int valid,
                               struct bft_out *out);
/* The block built for our proposal at (height, round) (BFT_E_BUILD);
 * it counts as valid. */
EMBER_WUR int bft_on_built(struct bft *b, uint64_t height, uint32_t round,
                           const uint8_t value[32], struct bft_out *out);

/*
 * After a restart: this validator had precommitted value in round
 * `round` of height h (its signing guard says so), so it was locked on it
 * then (line 36: a precommit for v sets the lock).  Call before
 * bft_start_height(h): the lock is set when h starts, before anything is
 * decided, so the restarted machine keeps the lock it had instead of
 * prevoting another value in a later round.
 * Returns: 0, EMBER_EINVAL (NULL, or h not above the height started).
 */
EMBER_WUR int bft_restore_lock(struct bft *b, uint64_t height, uint32_t round,
                               const uint8_t value[32]);

/*
 * Whether the machine holds this very message already: the same vote
 * (nil or value) of that validator for that (height, round, type), or
 * that round's proposal of the same value and pol_round.  0 for a new
 * message, and for one of another height or of a round it keeps no
 * longer.  Lets the caller skip logging a repeat (peers send their
 * messages again every so often).  No side effects.
 */
int bft_holds_vote(const struct bft *b, const struct bft_vote *v);
int bft_holds_proposal(const struct bft *b, const struct bft_proposal *p);

/* Where the machine stands (for logs, RPC and tests). */
struct bft_view {
	uint64_t height;
	uint32_t round;
	enum bft_step step;
	int32_t locked_round, valid_round;    /* -1: none */
	uint8_t locked_value[32], valid_value[32];
};
void bft_view(const struct bft *b, struct bft_view *out);

#endif
