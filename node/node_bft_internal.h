/*
 * node_bft_internal.h - the node's side of BFT consensus: it owns the timers, the
 * signing (behind the signing guard) and the hand-off to the network, and
 * runs consensus/bft.c's state machine with cons.h's executor (build,
 * validate, commit).  Internal to node/.
 *
 * One driver per validator node; `emberd --dev` is the same code with one
 * validator and no network.  Heights follow the ledger: after a commit
 * (ours, or a block a peer gave us) the next height starts, ours after the
 * block time (CometBFT's timeout_commit).
 *
 * The validator set is the genesis set (changes come with staking), its
 * proposer priorities advanced one increment per height from height 1.
 *
 * Owned by the loop thread.  No LMDB write transaction is open when a
 * call returns (cons_release_pending at the end of every run).
 */
#ifndef EMBER_NODE_BFT_INTERNAL_H
#define EMBER_NODE_BFT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ember/bft.h"
#include "ember/cons.h"
#include "ember/cwal.h"
#include "ember/genesis.h"
#include "ember/guard.h"
#include "ember/key.h"

struct event_base;

struct node_bft_cfg {
	struct event_base *base;
	struct cons *cons;
	const struct ember_genesis *g;
	const struct ember_keypair *key;   /* a validator's key */
	struct cons_guard *guard;          /* may be NULL (tests) */
	/* The consensus WAL (cwal.h), not owned; NULL: none (a lone
	 * validator, which decides a height in one go).  Every input is
	 * logged before the machine gets it, what we sign with an fdatasync
	 * before it is sent, and a height the log holds is replayed when it
	 * starts again after a restart. */
	struct cons_wal *wal;
	uint64_t block_time_ms;
	/* The network; NULL: a lone validator.  The block comes with the
	 * proposal (the receiver validates it before it prevotes). */
	void (*send_proposal)(void *ctx, const struct bft_proposal *p,
	                      const uint8_t *blk, size_t len);
	void (*send_vote)(void *ctx, const struct bft_vote *v);
	void *net_ctx;
	/* After each commit attempt of ours: rc 0 (committed) or why not. */
	void (*on_commit)(void *ctx, int rc, const char *why);
	/* A double sign seen live (not while the WAL replays): two signed
	 * votes of validator a->validator (an index in the set of a's
	 * height) for one height, round and type.  May be NULL. */
	void (*on_evidence)(void *ctx, const struct bft_vote *a, const struct bft_vote *b);
	/* A line for the log: level 0 error, 1 warn, 2 info, 3 debug. */
	void (*log)(void *ctx, int level, const char *msg);
	void *ctx;
};

struct node_bft;

/* Returns: 0, EMBER_EINVAL (the key is not a genesis validator),
 * EMBER_ENOMEM. */
int node_bft_new(struct node_bft **out, const struct node_bft_cfg *cfg);
void node_bft_free(struct node_bft *nb);

/* Start deciding the height after the ledger's tip, a block time from
 * now. */
void node_bft_start(struct node_bft *nb);

/* The ledger moved without us (a peer's block was applied): go to the
 * next height now. */
void node_bft_synced(struct node_bft *nb);

/*
 * From the network: a proposal with its block, a vote.  Signatures are
 * checked here against the validator set; a block must hash to the
 * proposal's value.  Returns: 0 (taken, or harmless), or why it was
 * refused (EMBER_CRYPTO_VERIFY, EMBER_BFT_*, EMBER_EINVAL) - the peer
 * that sent a refused one misbehaved unless the code is EMBER_BFT_OLD.
 */
int node_bft_proposal(struct node_bft *nb, const struct bft_proposal *p,
                      const uint8_t *blk, size_t len);
int node_bft_vote(struct node_bft *nb, const struct bft_vote *v);

/* The double signs this node saw (the machine's BFT_E_EVIDENCE: two
 * different signed votes of one validator for one height, round and
 * type), newest first, at most max of the last NODE_BFT_EVIDENCE; each
 * pair's validator is an index in the set of its height.  The votes are
 * also in the consensus WAL.  Returns how many were copied. */
#define NODE_BFT_EVIDENCE 16
size_t node_bft_evidence(const struct node_bft *nb, struct bft_vote (*out)[2],
                         size_t max);

/* Where consensus stands (for getstatus and logs). */
void node_bft_view(const struct node_bft *nb, struct bft_view *out);
/* The validator set of the height being decided; *self our index in it
 * (-1: none).  Valid until the next height starts. */
const struct bft_valset *node_bft_valset(const struct node_bft *nb, int32_t *self);
/* Time from a block's proposal reaching us (or our building it) to its
 * commit here, over the last 100 commits: p50 and p99 in ms.  Returns
 * how many commits that covers (0: none yet). */
size_t node_bft_latency(const struct node_bft *nb, uint32_t *p50, uint32_t *p99);

#endif
