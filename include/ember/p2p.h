/*
 * p2p.h - the network of Ember nodes: libevent connections over the
 * encrypted channel of p2psec.h carrying the messages of p2pwire.h.
 *
 * What it does:
 *   - listens (optional) and dials the configured peers and those it
 *     learned (kept in peers_file across restarts), redialling them with
 *     backoff while they are away; one connection per peer id, never
 *     to itself; inbound connections capped in all and per IP
 *   - STATUS first: a peer on another chain id or genesis is refused with
 *     the reason logged on both sides
 *   - catch-up: a node behind a peer asks it for blocks in order
 *     (GETBLOCKS, up to P2P_GETBLOCKS_MAX at a time) and applies each
 *     through cons_apply_block, which authenticates a block (header,
 *     proposer, certificate against the validator set) before anything of
 *     it runs; a request that makes no progress for P2P_STALL_MS moves to
 *     another peer
 *   - gossip: a committed block is pushed to every peer not known to have
 *     it; a tx accepted by admission is relayed to every peer not known to
 *     have it (a per-peer known set), peers' txs go through admission like
 *     RPC's
 *   - two certified blocks at one height (ours committed, a peer's with a
 *     valid certificate) are a safety failure: on_fork, and the node halts
 *   - misbehaviour (a frame that does not open, a malformed message, a
 *     block that fails authentication or execution, a failed handshake)
 *     closes the connection and discourages the node id and (unless it is
 *     loopback, shared by every local process) the address for a while
 *
 * Everything runs on the node's loop thread.  p2p/ never includes rpc/.
 */
#ifndef EMBER_P2P_H
#define EMBER_P2P_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "admit.h"
#include "cons.h"
#include "genesis.h"
#include "bft.h"
#include "key.h"
#include "mempool.h"
#include "store.h"

#define P2P_DEFAULT_PORT 8646
#define P2P_STALL_MS 10000            /* a sync request without progress */
#define P2P_DISCOURAGE_MS (10 * 60 * 1000)

struct event_base;

struct p2p_cfg {
	struct event_base *base;
	const struct ember_genesis *g;
	struct ember_store *store;          /* serves blocks (read txns) */
	struct cons *cons;                  /* tip; applies peers' blocks */
	struct ember_admit *admit;          /* peers' txs */
	struct ember_mempool *mp;           /* relayed txs' bytes */
	const struct ember_keypair *node_key;
	const char *listen;                 /* "HOST:PORT"; NULL: no inbound */
	const char *const *peers;           /* "[ID@]HOST:PORT", npeers */
	size_t npeers;
	/* Where the peers to redial after a restart are kept ("ID@HOST:PORT"
	 * lines: the --peer ones once they proved their id, and inbound
	 * peers' listening addresses); NULL: nowhere. */
	const char *peers_file;
	size_t max_peers;                   /* 0: 64 */
	size_t max_inbound_per_ip;          /* 0: 8 */
	/* A line for the node's log (printf-style, no newline). */
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;
	/* A block from a peer was committed (the node logs it, ...). */
	void (*on_block)(void *ctx);
	/* Safety failure: a peer sent a block the validator set certified at
	 * a height where we committed another.  The node keeps it as
	 * evidence and halts.  Same ctx as on_block. */
	void (*on_fork)(void *ctx, uint64_t height, const uint8_t *blk,
	                size_t blen, const uint8_t *cert, size_t clen);
	void *on_block_ctx;
	/* BFT consensus messages from a peer (signature not yet checked):
	 * return 0 when taken (the message is then relayed to the other
	 * peers), EMBER_BFT_OLD / _FUTURE / _CONFLICT when not worth relaying,
	 * anything else when the message is bad (the peer is dropped).  NULL:
	 * this node ignores consensus messages (a full node). */
	int (*on_proposal)(void *ctx, const struct bft_proposal *p,
	                   const uint8_t *blk, size_t len);
	int (*on_vote)(void *ctx, const struct bft_vote *v);
	void *bft_ctx;
};

struct p2p;

/* Binds (when listen is set) and starts dialling.  err gets a message.
 * Returns: 0, EMBER_EINVAL (a bad address), EMBER_EIO (cannot bind),
 * EMBER_ENOMEM. */
EMBER_WUR int p2p_new(struct p2p **out, const struct p2p_cfg *cfg, char *err,
                      size_t errlen);
void p2p_free(struct p2p *p);

/* The port listened on (0: none). */
uint16_t p2p_port(const struct p2p *p);

/* The node committed a block of its own: push it and the new status. */
void p2p_on_commit(struct p2p *p);
/* Our own proposal (with its block) and vote: to every ready peer. */
void p2p_send_proposal(struct p2p *p, const struct bft_proposal *pr,
                       const uint8_t *blk, size_t len);
void p2p_send_vote(struct p2p *p, const struct bft_vote *v);
/* Admission accepted a tx (admit.h's announce): relay it. */
void p2p_announce_tx(void *p2p, const uint8_t txid[32], int source);

struct p2p_peer_info {
	uint8_t id[32];
	char addr[64];                      /* "host:port" */
	int inbound;
	uint64_t height;                    /* as the peer last said */
	uint64_t bytes_in, bytes_out;
	uint64_t connected_ms;              /* wall clock, for people */
	int64_t ping_ms;                    /* last PING round trip; -1: none yet */
};
/* Connected peers (past the handshake and status). */
size_t p2p_peer_count(const struct p2p *p);
/* Up to max connected peers into out.  Returns how many. */
size_t p2p_peers(const struct p2p *p, struct p2p_peer_info *out, size_t max);

/*
 * Admin (the node's RPC): dial "[ID@]HOST:PORT" now and keep it like a
 * --peer (for this run); close the connection to node id (64 hex digits);
 * discourage a node id or an address for secs seconds (0: the default 10
 * minutes), closing what matches.  err gets a message.
 * Returns: 0, EMBER_EINVAL (bad argument), EMBER_ENOTFOUND (no such peer),
 * EMBER_P2P_LIMIT (no room for another peer).
 */
EMBER_WUR int p2p_add_peer(struct p2p *p, const char *peer, char *err, size_t errlen);
EMBER_WUR int p2p_disconnect(struct p2p *p, const char *id_hex, char *err, size_t errlen);
EMBER_WUR int p2p_ban(struct p2p *p, const char *id_or_ip, uint64_t secs, char *err,
                      size_t errlen);

struct p2p_ban_info {
	char what[72];                      /* node id (hex) or address */
	uint64_t seconds_left;
};
/* Up to max live bans into out.  Returns how many. */
size_t p2p_banned(const struct p2p *p, struct p2p_ban_info *out, size_t max);

/* 1 while a peer is known to be ahead of our tip; *target its height. */
int p2p_syncing(const struct p2p *p, uint64_t *target);
/* Blocks applied per second over the last few seconds of catch-up (0 when
 * not syncing). */
uint64_t p2p_sync_rate(const struct p2p *p);

#endif
