/*
 * bench_prop.c - block propagation to the 3rd hop (issue 10, "Speed"):
 * how long a 1,000-transfer block takes from the validator to a full node
 * three hops away, with real emberd processes on 127.0.0.1.
 *
 * The benchmark plays the validator.  It holds the only validator key of
 * a genesis of its own and produces every block in process, before any
 * node starts, through cons_produce (select, execute, vote, certificate,
 * commit) into a ledger of its own; each block and its certificate are
 * read back from that store and encoded as the BLOCK message a node would
 * push.  Then, over the real protocol (p2psec.h handshake and frames,
 * p2pwire.h messages, a blocking client below), each block goes out and
 * the clock runs until it comes back:
 *
 *  1. one hop: full node B alone, two connections from here (each with a
 *     node key of its own, announcing height 0): BLOCK h is sent on the
 *     first and timed until B relays it on the second.  That is one
 *     check-and-relay plus two transmissions: the raw cost of a hop.
 *  2. the 3rd hop: full nodes C (--peer B) and D (--peer C) join, a line
 *     validator -> B -> C -> D, and a connection to D is opened: BLOCK h
 *     is sent to B and timed until D relays it here, i.e. validator -> B
 *     -> C -> D plus D -> benchmark (one transmission more than the 3rd
 *     hop itself, and D's own check before it relays).
 *
 * Each node relays a block as soon as its certificate checks out, before
 * executing it (p2p_net.c, relay_checked), so what is timed is network,
 * framing and the certificate check, not execution.  After each block,
 * outside the timed window, every node must have applied it (B and D:
 * their STATUS at that height, sent after the commit; C: getstatus over
 * RPC) before the next is sent, so every block reaches idle nodes at
 * tip + 1.
 *
 * Asserted: every block arrives within PROP_WAIT_S, byte for byte as
 * sent; B, C and D end at the benchmark's own tip hash.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ember/chain.h"
#include "ember/codec.h"
#include "ember/cons.h"
#include "ember/mempool.h"
#include "ember/p2psec.h"
#include "ember/p2pwire.h"
#include "ember/state.h"
#include "ember/store.h"
#include "ember/verify.h"

#define PROP_ACCTS 1000
#define PROP_BLOCK_TXS 1000       /* the target's block */
#define PROP_BLOCKS 200           /* 3-hop samples */
#define PROP_BLOCKS_QUICK 60
#define PROP_HOP1 100             /* one-hop samples */
#define PROP_HOP1_QUICK 20
#define PROP_WAIT_S 30            /* the bound on every wait */
#define PROP_TARGET_MS 5.0        /* p50 to the 3rd hop */
#define PROP_NODES 3              /* B, C, D */

struct prop_run;

/* One connection to a node, blocking, speaking the real protocol. */
struct prop_conn {
	int fd;
	struct p2p_sec *sec;
	const char *name;             /* "B", "D": for messages */
	struct prop_run *r;           /* answers GETBLOCKS from r's blocks */
	uint8_t *buf;                 /* one frame; its message at buf + 4 */
	size_t cap, msglen;
	uint8_t *out;                 /* sealing scratch */
	size_t outcap;
	uint64_t status_height;       /* the node's latest STATUS */
};

struct prop_run {
	const struct ember_genesis *g;
	struct bench_node nd[PROP_NODES];
	struct ember_rpc_client rpc[PROP_NODES];
	unsigned p2p[PROP_NODES];
	char emberd[PATH_MAX];
	char vdir[512];               /* genesis.json and the validator's ledger */
	int have_vdir;
	char gpath[600];
	uint8_t **msg;                /* BLOCK messages by height, 1..nblk */
	size_t *mlen;
	uint64_t nblk;
	uint8_t tip[32];              /* the validator's tip at nblk */
};

static const char *const prop_names[PROP_NODES] = { "B", "C", "D" };

/* --- blocks, produced in process ---------------------------------------- */

/* Admit txs [from, to) of l (signatures marked verified; as the node
 * would on arrival) with each sender's committed account. */
static int prop_admit(struct ember_store *st, struct ember_sigcache *cache,
                      struct ember_mempool *mp, const struct bench_load *l,
                      size_t from, size_t to)
{
	struct ember_txn *t;
	char why[256];
	int rc;

	if ((rc = ember_store_read(st, &t)))
		return bench_fail("cannot read the validator's ledger: %s",
		                  ember_strerror(rc));
	for (size_t i = from; i < to; i++) {
		struct ember_account a;
		if ((rc = ember_account_get(t, l->txs[i].from, &a))) {
			ember_txn_abort(t);
			return bench_fail("cannot read an account: %s", ember_strerror(rc));
		}
		ember_sigcache_add(cache, l->txid[i]);
		why[0] = 0;
		if ((rc = ember_mempool_add(mp, &l->txs[i], l->enc[i], l->enclen[i],
		                            l->txid[i], &a, why, sizeof(why)))) {
			ember_txn_abort(t);
			return bench_fail("the mempool refused transfer %zu: %s", i,
			                  why[0] ? why : ember_strerror(rc));
		}
	}
	ember_txn_abort(t);
	return 0;
}

/* Block h and its certificate from st as a BLOCK message into r. */
static int prop_block_msg(struct prop_run *r, struct ember_store *st, uint64_t h)
{
	struct ember_txn *t;
	struct p2p_block b;
	size_t cap;
	int rc;

	if ((rc = ember_store_read(st, &t)))
		return bench_fail("cannot read the validator's ledger: %s",
		                  ember_strerror(rc));
	memset(&b, 0, sizeof(b));
	b.height = h;
	if ((rc = ember_chain_get_block(t, h, &b.blk, &b.blklen)) ||
	    (rc = ember_chain_get_cert(t, h, &b.cert, &b.certlen))) {
		ember_txn_abort(t);
		return bench_fail("cannot read block %llu back: %s",
		                  (unsigned long long)h, ember_strerror(rc));
	}
	cap = p2p_block_encoded_size(&b);
	if (!(r->msg[h] = malloc(cap))) {
		ember_txn_abort(t);
		return bench_fail("out of memory for block %llu", (unsigned long long)h);
	}
	rc = p2p_block_encode(&b, r->msg[h], cap, &r->mlen[h]);
	ember_txn_abort(t);
	if (rc)
		return bench_fail("cannot encode block %llu: %s", (unsigned long long)h,
		                  ember_strerror(rc));
	return 0;
}

/*
 * Blocks 1..r->nblk of PROP_BLOCK_TXS transfers each, block h holding
 * nonce round h - 1 of l, produced as the validator val through
 * cons_produce into a ledger under r->vdir, and kept as BLOCK messages.
 * *blkbytes gets the largest BLOCK message's size.
 */
static int prop_produce(struct prop_run *r, const struct ember_keypair *val,
                        const struct bench_load *l, size_t *blkbytes)
{
	struct ember_store *st = NULL;
	struct ember_sigcache *cache = NULL;
	struct ember_mempool *mp = NULL;
	struct ember_mempool_cfg mpcfg;
	struct cons *cons = NULL;
	struct cons_cfg cfg;
	struct ember_tip tip;
	char ledger[600], err[256];
	int rc;

	*blkbytes = 0;
	snprintf(ledger, sizeof(ledger), "%s/ledger", r->vdir);
	if (mkdir(ledger, 0700) != 0)
		return bench_fail("cannot create '%s': %s", ledger, strerror(errno));
	memset(&mpcfg, 0, sizeof(mpcfg));
	mpcfg.max_txs = 2 * PROP_BLOCK_TXS;
	mpcfg.max_bytes = 64u << 20;
	mpcfg.max_per_sender = 16;
	if ((rc = ember_store_open(&st, ledger, 0)) ||
	    (rc = ember_sigcache_new(&cache, 4 * PROP_BLOCK_TXS)) ||
	    (rc = ember_mempool_new(&mp, &mpcfg))) {
		rc = bench_fail("cannot set up the validator's ledger in '%s': %s",
		                ledger, ember_strerror(rc));
		goto out;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.g = r->g;
	cfg.store = st;
	cfg.mp = mp;
	cfg.cache = cache;
	cfg.key = val;
	cfg.max_block_txs = PROP_BLOCK_TXS;
	err[0] = 0;
	if ((rc = cons_new(&cons, &cfg, err, sizeof(err)))) {
		rc = bench_fail("cannot start consensus: %s", err[0] ? err : ember_strerror(rc));
		goto out;
	}
	for (uint64_t h = 1; h <= r->nblk; h++) {
		struct cons_stats before, after;
		int committed = 0;

		if ((rc = prop_admit(st, cache, mp, l, (size_t)(h - 1) * l->naccts,
		                     (size_t)h * l->naccts)))
			goto out;
		cons_stats(cons, &before);
		if ((rc = cons_produce(cons, bench_wall_ms(), &committed))) {
			rc = bench_fail("block production failed at height %llu: %s",
			                (unsigned long long)h, ember_strerror(rc));
			goto out;
		}
		cons_stats(cons, &after);
		if (!committed || after.txs - before.txs != PROP_BLOCK_TXS) {
			rc = bench_fail("block %llu holds %llu txs, not %d",
			                (unsigned long long)h,
			                (unsigned long long)(after.txs - before.txs),
			                PROP_BLOCK_TXS);
			goto out;
		}
		if ((rc = prop_block_msg(r, st, h)))
			goto out;
		if (r->mlen[h] > *blkbytes)
			*blkbytes = r->mlen[h];
	}
	cons_tip(cons, &tip);
	memcpy(r->tip, tip.hash, 32);
	rc = 0;
out:
	cons_free(cons);
	ember_mempool_free(mp);
	ember_sigcache_free(cache);
	ember_store_close(st);
	return rc ? -1 : 0;
}

/* --- a peer speaking the protocol ---------------------------------------- */

static int prop_send_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Returns: 0 (len bytes read), 1 (closed or reset), -1 (not by deadline,
 * a bench_now() time). */
static int prop_recv_exact(int fd, uint8_t *p, size_t len, double deadline)
{
	while (len) {
		struct pollfd pf = { fd, POLLIN, 0 };
		double left = deadline - bench_now();
		ssize_t n;

		if (left <= 0)
			return -1;
		if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		n = recv(fd, p, len, 0);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return 1;
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

static void prop_conn_close(struct prop_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	p2p_sec_free(c->sec);
	free(c->buf);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int prop_conn_send(struct prop_conn *c, const uint8_t *msg, size_t len)
{
	size_t need = 4 + len + P2P_TAG_LEN, n;
	int rc;

	if (need > c->outcap) {
		uint8_t *np = realloc(c->out, need);
		if (!np)
			return bench_fail("out of memory for a frame to %s", c->name);
		c->out = np;
		c->outcap = need;
	}
	if ((rc = p2p_sec_seal(c->sec, msg, len, c->out, c->outcap, &n)))
		return bench_fail("cannot seal a frame to %s: %s", c->name,
		                  ember_strerror(rc));
	if (prop_send_all(c->fd, c->out, n))
		return bench_fail("node %s closed the connection: %s", c->name,
		                  strerror(errno));
	return 0;
}

/* The message now at c->buf + 4, c->msglen bytes. */
static const uint8_t *prop_msg(const struct prop_conn *c)
{
	return c->buf + 4;
}

/* Answer what a peer must answer: PING, and GETBLOCKS from the blocks
 * held here (a node only asks a peer that is ahead; this one announces
 * height 0, so it is not expected). */
static int prop_conn_answer(struct prop_conn *c)
{
	const uint8_t *m = prop_msg(c);
	uint8_t buf[32];
	size_t n;

	if (m[0] == P2P_MSG_PING) {
		struct p2p_ping pg;
		if (p2p_ping_decode(&pg, m, c->msglen) ||
		    p2p_ping_encode(P2P_MSG_PONG, &pg, buf, sizeof(buf), &n))
			return bench_fail("node %s sent a malformed ping", c->name);
		return prop_conn_send(c, buf, n);
	}
	if (m[0] == P2P_MSG_GETBLOCKS) {
		struct p2p_getblocks gb;
		if (p2p_getblocks_decode(&gb, m, c->msglen))
			return bench_fail("node %s sent a malformed getblocks", c->name);
		for (uint64_t h = gb.from; h < gb.from + gb.count && h <= c->r->nblk; h++)
			if (h >= 1 && prop_conn_send(c, c->r->msg[h], c->r->mlen[h]))
				return -1;
	}
	if (m[0] == P2P_MSG_STATUS) {
		struct p2p_status st;
		if (p2p_status_decode(&st, m, c->msglen))
			return bench_fail("node %s sent a malformed status", c->name);
		c->status_height = st.height;
	}
	return 0;
}

/*
 * The next message into c (prop_msg), after answering it where a peer
 * must.  Returns: 0, 1 (printed: closed, malformed), -1 (none by
 * deadline; not printed).
 */
static int prop_conn_recv(struct prop_conn *c, double deadline)
{
	uint8_t hdr[4];
	size_t body;
	int rc;

	if ((rc = prop_recv_exact(c->fd, hdr, 4, deadline)) == -1)
		return -1;
	if (rc) {
		bench_fail("node %s closed the connection", c->name);
		return 1;
	}
	if (!(body = p2p_sec_frame_len(hdr))) {
		bench_fail("node %s sent a frame outside the limits", c->name);
		return 1;
	}
	if (4 + body > c->cap) {
		uint8_t *np = realloc(c->buf, 4 + body);
		if (!np) {
			bench_fail("out of memory for a frame from %s", c->name);
			return 1;
		}
		c->buf = np;
		c->cap = 4 + body;
	}
	memcpy(c->buf, hdr, 4);
	/* A frame that has begun arrives whole; the bound is generous. */
	if (prop_recv_exact(c->fd, c->buf + 4, body, bench_now() + PROP_WAIT_S)) {
		bench_fail("node %s stopped within a frame", c->name);
		return 1;
	}
	if ((rc = p2p_sec_unseal(c->sec, c->buf, 4 + body, c->buf + 4, body,
	                         &c->msglen)) || c->msglen == 0) {
		bench_fail("a frame from node %s does not open: %s", c->name,
		           rc ? ember_strerror(rc) : "empty message");
		return 1;
	}
	return prop_conn_answer(c) ? 1 : 0;
}

/* Read and answer whatever has already arrived.  Returns 0 or -1. */
static int prop_conn_drain(struct prop_conn *c)
{
	for (;;) {
		struct pollfd pf = { c->fd, POLLIN, 0 };
		if (poll(&pf, 1, 0) <= 0)
			return 0;
		if (prop_conn_recv(c, bench_now() + PROP_WAIT_S))
			return -1;
	}
}

/* Until node c's STATUS says height h or more.  Returns 0 or -1. */
static int prop_conn_wait_status(struct prop_conn *c, uint64_t h)
{
	double end = bench_now() + PROP_WAIT_S;
	int rc;

	while (c->status_height < h)
		if ((rc = prop_conn_recv(c, end)))
			return rc == 1 ? -1 : bench_fail("node %s did not reach height "
			        "%llu within %d s (its status says %llu)", c->name,
			        (unsigned long long)h, PROP_WAIT_S,
			        (unsigned long long)c->status_height);
	return 0;
}

/*
 * Connect to 127.0.0.1:port as a peer with key: the handshake as
 * initiator, the node's STATUS, ours (height 0, no listening port, so the
 * node neither asks us for blocks nor remembers us), and a PING answered,
 * so the node has taken us as ready before anything is timed.
 * Returns 0 or -1 (printed).
 */
static int prop_conn_open(struct prop_conn *c, struct prop_run *r, const char *name,
                          unsigned port, const struct ember_keypair *key)
{
	uint8_t h0[P2P_HELLO0_LEN], peer_h0[P2P_HELLO0_LEN];
	uint8_t auth[P2P_AUTH_FRAME_LEN], peer_auth[P2P_AUTH_FRAME_LEN];
	uint8_t buf[256];
	double end = bench_now() + PROP_WAIT_S;
	struct sockaddr_in sa;
	struct p2p_status st;
	struct p2p_ping pg = { 0x70726f70 }, back;
	int one = 1, rc;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->name = name;
	c->r = r;
	if ((rc = p2p_sec_new(&c->sec, 1, key, NULL)))
		return bench_fail("cannot set up a connection: %s", ember_strerror(rc));
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return bench_fail("cannot open a socket: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return bench_fail("cannot connect to node %s on 127.0.0.1:%u: %s", name,
		                  port, strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	p2p_sec_hello0(c->sec, h0);
	if (prop_send_all(c->fd, h0, sizeof(h0)) ||
	    prop_recv_exact(c->fd, peer_h0, sizeof(peer_h0), end) ||
	    p2p_sec_on_hello0(c->sec, peer_h0, auth) ||
	    prop_send_all(c->fd, auth, sizeof(auth)) ||
	    prop_recv_exact(c->fd, peer_auth, sizeof(peer_auth), end) ||
	    p2p_sec_on_auth(c->sec, peer_auth))
		return bench_fail("handshake with node %s on 127.0.0.1:%u failed", name,
		                  port);
	do {
		if ((rc = prop_conn_recv(c, end)))
			return rc == 1 ? -1 : bench_fail("node %s sent no status", name);
	} while (prop_msg(c)[0] != P2P_MSG_STATUS);

	memset(&st, 0, sizeof(st));
	st.version = P2P_VERSION;
	snprintf(st.chain_id, sizeof(st.chain_id), "%s", r->g->chain_id);
	memcpy(st.genesis_hash, r->g->hash, 32);
	if ((rc = p2p_status_encode(&st, buf, sizeof(buf), &n)) ||
	    prop_conn_send(c, buf, n))
		return rc ? bench_fail("cannot encode a status: %s", ember_strerror(rc)) : -1;
	if ((rc = p2p_ping_encode(P2P_MSG_PING, &pg, buf, sizeof(buf), &n)) ||
	    prop_conn_send(c, buf, n))
		return rc ? bench_fail("cannot encode a ping: %s", ember_strerror(rc)) : -1;
	for (;;) {
		if ((rc = prop_conn_recv(c, end)))
			return rc == 1 ? -1 : bench_fail("node %s does not answer a ping", name);
		if (prop_msg(c)[0] == P2P_MSG_PONG &&
		    p2p_ping_decode(&back, prop_msg(c), c->msglen) == 0 &&
		    back.nonce == pg.nonce)
			return 0;
	}
}

/*
 * Send BLOCK h on in and time it until it arrives on out: *ms gets the
 * time from before sealing to after the frame is opened here.  The
 * message must come back byte for byte.  Returns 0 or -1 (printed).
 */
static int prop_one(struct prop_run *r, struct prop_conn *in, struct prop_conn *out,
                    uint64_t h, double *ms)
{
	double t0, end;
	int rc;

	if (prop_conn_drain(in) || prop_conn_drain(out))
		return -1;
	t0 = bench_now();
	if (prop_conn_send(in, r->msg[h], r->mlen[h]))
		return -1;
	end = t0 + PROP_WAIT_S;
	for (;;) {
		struct p2p_block b;
		if ((rc = prop_conn_recv(out, end)))
			return rc == 1 ? -1 : bench_fail("block %llu sent to node %s did not "
			        "arrive from node %s within %d s", (unsigned long long)h,
			        in->name, out->name, PROP_WAIT_S);
		if (prop_msg(out)[0] != P2P_MSG_BLOCK)
			continue;
		*ms = (bench_now() - t0) * 1e3;
		if (p2p_block_decode(&b, prop_msg(out), out->msglen))
			return bench_fail("node %s relayed a malformed block", out->name);
		if (b.height < h)
			continue;
		if (b.height != h || out->msglen != r->mlen[h] ||
		    memcmp(prop_msg(out), r->msg[h], r->mlen[h]) != 0)
			return bench_fail("node %s relayed block %llu, not block %llu as sent",
			                  out->name, (unsigned long long)b.height,
			                  (unsigned long long)h);
		return 0;
	}
}

/* --- the nodes ------------------------------------------------------------ */

/* Full node i (B, C, D) with --genesis, listening on an ephemeral P2P
 * port, dialling the previous one (none for B). */
static int prop_node_start(struct prop_run *r, int i)
{
	char url[64], peer[64];
	char listen[] = "127.0.0.1:0";
	const char *extra[] = { "--genesis", r->gpath, "--p2p-listen", listen,
	                        "--peer", peer, NULL };
	unsigned port;
	uint64_t h0;
	int rc;

	if (i == 0)
		extra[4] = NULL;
	else
		snprintf(peer, sizeof(peer), "127.0.0.1:%u", r->p2p[i - 1]);
	if ((rc = bench_tmpdir(r->nd[i].dir, sizeof(r->nd[i].dir), "prop-node")))
		return rc;
	r->nd[i].have_dir = 1;
	if ((rc = bench_free_port(&port)))
		return rc;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	if (ember_rpc_client_init(&r->rpc[i], url))
		return bench_fail("bad node url '%s'", url);
	r->rpc[i].timeout_s = 10;
	if ((rc = bench_node_spawn(&r->nd[i], r->emberd, port, extra)) ||
	    (rc = bench_node_wait_ready(&r->nd[i], &r->rpc[i], r->g, &h0)) ||
	    (rc = bench_node_p2p_port(&r->nd[i], &r->p2p[i])))
		return rc;
	printf("  node %s (pid %d): RPC 127.0.0.1:%u, P2P 127.0.0.1:%u%s%s\n",
	       prop_names[i], (int)r->nd[i].pid, port, r->p2p[i],
	       i ? ", --peer " : "", i ? prop_names[i - 1] : "");
	return 0;
}

/* Node i's getstatus height, peer count and tip hash.  Returns 0 or -1. */
static int prop_node_status(struct prop_run *r, int i, uint64_t *h,
                            uint64_t *peers, char hash[65])
{
	char err[512];
	uint64_t mp;
	json_t *st;
	const char *s;

	if (bench_status(&r->rpc[i], h, &mp, &st, err, sizeof(err))) {
		bench_node_log_tail(&r->nd[i]);
		return bench_fail("getstatus on node %s failed: %s", prop_names[i], err);
	}
	*peers = (uint64_t)json_integer_value(json_object_get(st, "peers"));
	s = json_string_value(json_object_get(st, "tip_hash"));
	snprintf(hash, 65, "%s", s ? s : "");
	json_decref(st);
	return 0;
}

/* Until node i is at height h or more with peers connected or more.
 * Returns 0 or -1 (printed). */
static int prop_node_wait(struct prop_run *r, int i, uint64_t h, uint64_t peers)
{
	double end = bench_now() + PROP_WAIT_S;
	uint64_t nh = 0, np = 0;
	char hash[65];

	for (;;) {
		if (prop_node_status(r, i, &nh, &np, hash))
			return -1;
		if (nh >= h && np >= peers)
			return 0;
		if (bench_now() > end) {
			bench_node_log_tail(&r->nd[i]);
			return bench_fail("node %s is at height %llu with %llu peers after "
			                  "%d s; waiting for %llu with %llu", prop_names[i],
			                  (unsigned long long)nh, (unsigned long long)np,
			                  PROP_WAIT_S, (unsigned long long)h,
			                  (unsigned long long)peers);
		}
		usleep(2000);
	}
}

/* --- figures -------------------------------------------------------------- */

static int prop_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct prop_fig {
	double p50, p99, max, mean, min;
};

/* Nearest-rank percentiles of v[0..n) (sorted in place). */
static void prop_figures(double *v, size_t n, struct prop_fig *f)
{
	double sum = 0;

	qsort(v, n, sizeof(*v), prop_cmp);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	f->p50 = v[(n + 1) / 2 - 1];
	f->p99 = v[(99 * n + 99) / 100 - 1];
	f->max = v[n - 1];
	f->min = v[0];
	f->mean = sum / (double)n;
}

static void prop_print(const char *what, size_t n, const struct prop_fig *f)
{
	printf("  %s, %zu blocks: p50 %.2f ms  p99 %.2f ms  max %.2f ms  mean %.2f ms  "
	       "(min %.2f)\n", what, n, f->p50, f->p99, f->max, f->mean, f->min);
}

/* --- the benchmark -------------------------------------------------------- */

int bench_prop(struct bench_ctx *bc)
{
	uint64_t k = bc->opt->quick ? PROP_BLOCKS_QUICK : PROP_BLOCKS;
	uint64_t k1 = bc->opt->quick ? PROP_HOP1_QUICK : PROP_HOP1;
	struct prop_run r;
	struct prop_conn in, out, far;
	struct ember_keypair val, kin, kout, kfar;
	struct ember_genesis g;
	struct bench_load l;
	struct prop_fig f1, f3;
	double *hop1 = NULL, *hop3 = NULL, t0, exec_ms, commit_ms, max_ms;
	char want[65], hash[65];
	size_t blkbytes;
	uint64_t h, peers;
	unsigned blocks;
	int rc = 0, stop_rc = 0;

	memset(&r, 0, sizeof(r));
	memset(&g, 0, sizeof(g));
	memset(&l, 0, sizeof(l));
	memset(&val, 0, sizeof(val));
	memset(&kin, 0, sizeof(kin));
	memset(&kout, 0, sizeof(kout));
	memset(&kfar, 0, sizeof(kfar));
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	memset(&far, 0, sizeof(far));
	in.fd = out.fd = far.fd = -1;
	r.g = &g;
	r.nblk = k1 + k;
	printf("== prop: block propagation over P2P, %d-transfer blocks (bin/emberd x 3 "
	       "full nodes in a line, the benchmark as validator)\n", PROP_BLOCK_TXS);
	if ((rc = bench_find_emberd(bc->opt->argv0, r.emberd, sizeof(r.emberd))))
		goto out;

	/* Untimed: keys, genesis, every block produced and certified here. */
	t0 = bench_now();
	hop1 = calloc(k1, sizeof(*hop1));
	hop3 = calloc(k, sizeof(*hop3));
	r.msg = calloc(r.nblk + 1, sizeof(*r.msg));
	r.mlen = calloc(r.nblk + 1, sizeof(*r.mlen));
	if (!hop1 || !hop3 || !r.msg || !r.mlen) {
		rc = bench_fail("out of memory");
		goto out;
	}
	if ((rc = bench_load_new(&l, PROP_ACCTS, (size_t)r.nblk * PROP_BLOCK_TXS,
	                         bc->opt->ncpu)))
		goto out;
	if ((rc = ember_keypair_generate(&val)) || (rc = ember_keypair_generate(&kin)) ||
	    (rc = ember_keypair_generate(&kout)) || (rc = ember_keypair_generate(&kfar))) {
		rc = bench_fail("cannot generate a key: %s", ember_strerror(rc));
		goto out;
	}
	if ((rc = bench_genesis(&g, &l, val.pub, bench_wall_ms(), 1000)) ||
	    (rc = bench_tmpdir(r.vdir, sizeof(r.vdir), "prop-val")))
		goto out;
	r.have_vdir = 1;
	snprintf(r.gpath, sizeof(r.gpath), "%s/genesis.json", r.vdir);
	if ((rc = ember_genesis_save(&g, r.gpath))) {
		rc = bench_fail("cannot write '%s': %s", r.gpath, ember_strerror(rc));
		goto out;
	}
	if ((rc = prop_produce(&r, &val, &l, &blkbytes)))
		goto out;
	bench_load_release(&l);
	printf("  %d accounts; %llu blocks of %d transfers signed, produced and "
	       "certified in process through cons_produce in %.2f s (not timed); "
	       "BLOCK message up to %zu bytes\n", PROP_ACCTS,
	       (unsigned long long)r.nblk, PROP_BLOCK_TXS, bench_now() - t0, blkbytes);

	/* 1. One hop: B alone, blocks 1..k1 in on one connection, out on the
	 * other. */
	if ((rc = prop_node_start(&r, 0)) ||
	    (rc = prop_conn_open(&in, &r, "B", r.p2p[0], &kin)) ||
	    (rc = prop_conn_open(&out, &r, "B", r.p2p[0], &kout)))
		goto out;
	for (h = 1; h <= k1; h++)
		if ((rc = prop_one(&r, &in, &out, h, &hop1[h - 1])) ||
		    (rc = prop_conn_wait_status(&in, h)))
			goto out;
	prop_conn_close(&out);

	/* 2. C and D join and catch up over GETBLOCKS; then the 3rd hop. */
	if ((rc = prop_node_start(&r, 1)) || (rc = prop_node_start(&r, 2)) ||
	    (rc = prop_node_wait(&r, 1, k1, 2)) || (rc = prop_node_wait(&r, 2, k1, 1)) ||
	    (rc = prop_conn_open(&far, &r, "D", r.p2p[2], &kfar)))
		goto out;
	for (h = k1 + 1; h <= r.nblk; h++)
		if ((rc = prop_one(&r, &in, &far, h, &hop3[h - k1 - 1])) ||
		    (rc = prop_conn_wait_status(&in, h)) ||
		    (rc = prop_conn_wait_status(&far, h)) ||
		    (rc = prop_node_wait(&r, 1, h, 0)))
			goto out;

	/* Every node at the validator's tip. */
	ember_hex_encode(r.tip, 32, want);
	for (int i = 0; i < PROP_NODES; i++) {
		if ((rc = prop_node_status(&r, i, &h, &peers, hash)))
			goto out;
		if (h != r.nblk || strcmp(hash, want) != 0) {
			rc = bench_fail("node %s ends at height %llu, tip %.16s..., not at "
			                "%llu, %.16s...", prop_names[i], (unsigned long long)h,
			                hash, (unsigned long long)r.nblk, want);
			goto out;
		}
	}

	prop_figures(hop1, k1, &f1);
	prop_figures(hop3, k, &f3);
	prop_print("one hop: validator -> B -> validator (B alone)", k1, &f1);
	prop_print("3rd hop: validator -> B -> C -> D -> validator", k, &f3);
	printf("  = three relays (check the certificate, forward before executing) "
	       "and four transmissions, the last D -> benchmark; from before the "
	       "validator seals to after it opens the frame\n");
	printf("  each hop past the first adds about %.2f ms at p50 ((3rd hop - one "
	       "hop) / 2)\n", (f3.p50 - f1.p50) / 2);
	bench_node_blocklog(&r.nd[2], k1, r.nblk, &blocks, &exec_ms, &commit_ms, &max_ms);
	if (blocks)
		printf("  D executes after relaying (outside the figure): %.2f ms + commit "
		       "%.2f ms per block on average, slowest %.2f ms (%u blocks)\n",
		       exec_ms / blocks, commit_ms / blocks, max_ms, blocks);
	printf("  checked: every block came back byte for byte; B, C and D at height "
	       "%llu, tip %.16s... (the validator's)\n", (unsigned long long)r.nblk,
	       want);
	printf("  ratio 3rd hop: p50 %.2f ms of the target %.1f ms = %.2f\n", f3.p50,
	       PROP_TARGET_MS, f3.p50 / PROP_TARGET_MS);
	bc->res->have_prop = 1;
	bc->res->prop_p50 = f3.p50;
	bc->res->prop_p99 = f3.p99;
	bc->res->prop_hop1_p50 = f1.p50;
out:
	prop_conn_close(&in);
	prop_conn_close(&out);
	prop_conn_close(&far);
	for (int i = PROP_NODES - 1; i >= 0; i--)
		if (bench_node_stop(&r.nd[i]) && !stop_rc)
			stop_rc = -1;
	if (stop_rc && !rc)
		rc = stop_rc;
	for (int i = 0; i < PROP_NODES; i++) {
		if (r.nd[i].have_dir && rc == 0)
			bench_rmtree(r.nd[i].dir);
		else if (r.nd[i].have_dir)
			fprintf(stderr, "ember-bench: kept '%s' for inspection\n", r.nd[i].dir);
	}
	if (r.have_vdir)
		bench_rmtree(r.vdir);
	if (r.msg)
		for (uint64_t i = 0; i <= r.nblk; i++)
			free(r.msg[i]);
	free(r.msg);
	free(r.mlen);
	free(hop1);
	free(hop3);
	ember_genesis_release(&g);
	ember_keypair_clear(&val);
	ember_keypair_clear(&kin);
	ember_keypair_clear(&kout);
	ember_keypair_clear(&kfar);
	bench_load_release(&l);
	return rc ? -1 : 0;
}
