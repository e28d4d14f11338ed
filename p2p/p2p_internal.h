/*
 * p2p_internal.h - what the files of p2p/ share: the node's P2P context,
 * a peer, and the few helpers every part uses.  Not a public header.
 *
 * Ownership: struct p2p owns its peers (a list), dials, bans and the
 * future-block buffer; a peer owns its bufferevent, cipher state and
 * buffers.  Everything runs on the node's event loop thread.
 */
#ifndef EMBER_P2P_INTERNAL_H
#define EMBER_P2P_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ember/cons.h"
#include "ember/p2p.h"
#include "ember/p2pwire.h"

#define P2P_TICK_MS 500
#define P2P_HANDSHAKE_MS 10000
#define P2P_OUT_MAX (64u * 1024 * 1024)   /* a slower peer is dropped */
#define P2P_FUTURE_MAX 256                /* blocks ahead of tip + 1 kept; also
                                           * the sync window */
#define P2P_FUTURE_BYTES (64u * 1024 * 1024) /* ... and their bytes at most */
#define P2P_SLICE 32                      /* blocks per sync request */
#define P2P_SLICES_PER_PEER 4             /* requests in flight to one peer */
#define P2P_SLICES 64                     /* requests in flight in all */
#define P2P_STALLS_MAX 2                  /* stalled requests before a drop */
#define P2P_REPEATS_MAX 256               /* txs a peer resent us, before a drop */
#define P2P_KNOWN_SLOTS 16384             /* per-peer txid set */
#define P2P_BANS 128
#define P2P_PING_MS 10000                 /* how often a peer is pinged */
#define P2P_STATUS_MS 50                  /* STATUS at most this often */
#define P2P_PING_TIMEOUT_MS 60000         /* no PONG by then: it goes */
#define P2P_BACKOFF_MAX_MS 30000
#define P2P_LEARNED_MAX 64                /* peers remembered in peers_file */
#define P2P_LEARNED_FAILS 8               /* failed dials before one is forgotten */

enum peer_state { PS_HELLO, PS_AUTH, PS_STATUS, PS_READY };

struct dial;

struct peer {
	struct p2p *p;
	struct peer *next;
	struct bufferevent *bev;
	struct p2p_sec *sec;
	struct dial *dial;             /* the --peer it came from (outbound) */
	enum peer_state state;
	int inbound, closing;
	uint64_t serial;               /* names the peer in async callbacks */
	uint8_t id[32];
	char addr[64], ip[48];
	int loopback;
	uint64_t height;
	uint64_t bytes_in, bytes_out, connected_ms, started_mono;
	uint64_t stalled_until;        /* not chosen for sync before this */
	unsigned inflight;             /* sync requests it has not finished */
	uint64_t sync_ms;              /* its last sync progress (or request) */
	unsigned stalls;               /* sync requests it left unanswered */
	unsigned repeats;              /* txs it sent us again */
	/* Per message type: token buckets (milli-messages) and when they
	 * were last filled (p2p_net.c's table gives rates and bursts). */
	uint64_t bucket[P2P_MSG_TYPE_COUNT], bucket_ms[P2P_MSG_TYPE_COUNT];
	uint64_t ping_nonce, ping_sent_ms; /* the PING awaiting its PONG */
	uint64_t ping_at;              /* when the last PING went */
	uint64_t ping_ms;              /* last round trip; UINT64_MAX: none */
	uint64_t last_block_ms, last_tx_ms; /* it gave us something new */
	uint8_t *msg;                  /* unsealed message buffer */
	size_t msgcap;
	uint64_t *known;               /* txid prefixes, open addressing */
	size_t nknown;
};

struct dial {
	char text[160];                /* as configured, for the log */
	struct sockaddr_storage ss;
	int sslen;
	int has_id;
	uint8_t id[32];
	int learned;                   /* from a connection, not --peer */
	unsigned fails;                /* dials in a row that did not get ready */
	int dead;                      /* learned, and failed too often: skipped */
	struct peer *conn;
	uint64_t next_try;             /* monotonic ms */
	unsigned backoff;
};

struct future {
	uint64_t height;
	uint64_t from;                 /* serial of the peer that sent it */
	uint8_t *blk, *cert;
	size_t blen, clen;
};

/* One GETBLOCKS in flight: heights from..end (inclusive) asked of the
 * peer named by serial. */
struct slice {
	uint64_t from, end, serial;
	int used;
};

struct ban {
	int by_id;
	uint8_t id[32];
	char ip[48];
	uint64_t until;
};

struct p2p {
	struct p2p_cfg cfg;
	struct evconnlistener *lev;
	uint16_t port;
	struct peer *peers;
	size_t npeers;
	uint64_t next_serial;
	struct dial *dials;            /* fixed at start: peers point in */
	size_t ndials, dialcap;
	struct event *tick_ev, *relay_ev, *reap_ev, *status_ev;
	uint8_t (*relay)[32];          /* txids accepted since the last flush */
	size_t nrelay, caprelay;
	struct slice slices[P2P_SLICES]; /* sync requests in flight */
	uint64_t log_at, log_height;   /* the last sync progress line */
	uint64_t rate;                 /* blocks/s over the last interval */
	struct future fut[P2P_FUTURE_MAX];
	size_t fut_bytes;
	struct ban bans[P2P_BANS];
	uint8_t *out;                  /* sealing scratch */
	size_t outcap;
};

/* Monotonic milliseconds. */
uint64_t p2p_mono_ms(void);
/* One line to the node's log. */
void p2p_log(struct p2p *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "0123abcd...": the first 16 hex digits of a node id, for logs. */
const char *p2p_short_id(const uint8_t id[32], char buf[17]);
/* The committed tip. */
struct ember_tip p2p_tip(struct p2p *p);
/* Close a peer with a reason; bad: it misbehaved (discouraged).  The peer
 * is freed later by the reaper; callers check ->closing. */
void p2p_peer_drop(struct peer *pe, int bad, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Seal and queue one message.  Returns 0, or -1 when the peer was dropped. */
int p2p_peer_send(struct peer *pe, const uint8_t *msg, size_t len);

/* --- sync (p2p_sync.c) ---
 * A node behind keeps a window of GETBLOCKS requests (P2P_SLICE blocks
 * each, up to P2P_SLICES_PER_PEER per peer) in flight over every peer
 * ahead of it, for the heights tip + 1 .. tip + P2P_FUTURE_MAX that are
 * neither buffered nor asked for; blocks go through the same
 * check-then-execute path as gossip. */

/* Ask for what is missing, as far as peers and the window allow. */
void p2p_sync_pump(struct p2p *p);
/* A BLOCK at height h arrived from pe: progress on its requests. */
void p2p_sync_got(struct p2p *p, struct peer *pe, uint64_t h);
/* pe is gone or stalled: its requests go back to the pool. */
void p2p_sync_release(struct p2p *p, struct peer *pe);
/* Each tick: a peer whose requests made no progress for P2P_STALL_MS is
 * passed over for a while, and dropped after P2P_STALLS_MAX stalls
 * (a peer announcing heights it never serves must not stall sync). */
void p2p_sync_tick(struct p2p *p, uint64_t now);

#endif
