/*
 * node.c - emberd's wiring.  One libevent loop thread owns sockets, timers,
 * consensus and the mempool; the verify pool's workers hand finished
 * batches back through an event made active from their thread (libevent
 * is set up for pthreads for exactly this).  Only this thread writes LMDB.
 *
 * Signals arrive as libevent events on the loop: SIGINT, SIGTERM (and the
 * RPC "stop") stop the node once the RPC replies in flight are written,
 * at most NODE_STOP_WAIT_S later; SIGHUP reopens the log file.  The RPC
 * cookie (DIR/.cookie) exists while the node serves RPC: written with a
 * rename once the ledger is ours, removed when the node stops.
 */
#include "ember/node.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ember/addr.h"
#include "ember/admit.h"
#include "ember/codec.h"
#include "ember/cons.h"
#include "ember/genesis.h"
#include "ember/cwal.h"
#include "ember/guard.h"
#include "ember/keystore.h"
#include "ember/mempool.h"
#include "ember/state.h"
#include "ember/p2p.h"
#include "ember/rpc.h"
#include "ember/rpcnode.h"
#include "ember/store.h"
#include "ember/tok.h"
#include "ember/verify.h"
#include "ember/version.h"
#include "node_bft_internal.h"
#include "node_log_internal.h"

#define NODE_STOP_WAIT_S 5            /* longest wait for replies at a stop */
#define NODE_COOKIE_USER "__cookie__" /* bitcoind's user name for the cookie */
#define NODE_FLUSH_AGE_MS 30000       /* store.h: flush commits at most this old */

struct node {
	const struct ember_node_cfg *cfg;
	struct event_base *base;
	struct ember_genesis g;
	struct ember_keypair key;
	int have_key;
	struct ember_store *store;
	struct ember_sigcache *cache;
	struct ember_vpool *vpool;
	struct ember_mempool *mp;
	struct ember_admit *admit;   /* every tx's way into mp */
	struct cons *cons;
	struct cons_guard *guard;    /* validators only */
	struct cons_wal *cwal;       /* validators of a multi-validator chain */
	struct node_bft *bft;        /* validators of this chain only */
	struct ember_keypair node_key;
	struct p2p *p2p;             /* NULL with --no-p2p */
	char peers_file[4096];       /* DIR/peers, for the network */
	struct rpc_node *rpcn;
	struct rpc_server *rpc;
	struct rpc_method *methods;  /* node, market and proof tables; outlives rpc */
	struct event *drain_ev, *sigint_ev, *sigterm_ev, *sighup_ev;
	struct event *stop_ev;       /* bounds the wait for replies at a stop */
	struct node_log log;
	char cookie_path[4096];      /* "" until the cookie is written */
	int stopping;
	int warned_turn;
	int disk_full;               /* the last block failed for want of space */
	int halted;                  /* a safety failure stopped the node */
	uint64_t empty_blocks;
};

#define log_err(n, ...) node_log_printf(&(n)->log, EMBER_LOG_ERROR, __VA_ARGS__)
#define log_warn(n, ...) node_log_printf(&(n)->log, EMBER_LOG_WARN, __VA_ARGS__)
#define log_info(n, ...) node_log_printf(&(n)->log, EMBER_LOG_INFO, __VA_ARGS__)
#define log_debug(n, ...) node_log_printf(&(n)->log, EMBER_LOG_DEBUG, __VA_ARGS__)

/*
 * When block h ended an epoch, one line with what the epoch did (minted,
 * burned, providers paid, challenges, slashes, jails), read back from
 * the epoch's record in the committed state; a warning when a provider
 * failed its challenge or stake was slashed.  Always logged, --quiet or
 * not.
 */
static void log_epoch(struct node *n, uint64_t h)
{
	struct tok_epoch_rec rec;
	struct ember_txn *t;
	char line[TOK_EPOCH_LINE_LEN];
	uint64_t e;
	int rc;

	if (!tok_epoch_ends_at(&n->g, h, &e))
		return;
	if ((rc = ember_store_read(n->store, &t)) == 0) {
		rc = tok_epoch_get(t, e, &rec);
		ember_txn_abort(t);
	}
	if (rc) {
		log_warn(n, "epoch %" PRIu64 " ended at block %" PRIu64 " but its record "
		         "cannot be read: %s", e, h, ember_strerror(rc));
		return;
	}
	tok_epoch_format(&rec, h, line, sizeof(line));
	if (rec.providers_failed || rec.slashed)
		log_warn(n, "%s", line);
	else
		log_info(n, "%s", line);
}

/* The log line of a committed block (with --quiet, empty blocks only
 * every 100 heights), then the epoch's line when it ended one. */
static void log_block(struct node *n, const char *from)
{
	struct ember_tip tip;
	struct cons_stats cs;
	char hex[65];

	cons_tip(n->cons, &tip);
	cons_stats(n->cons, &cs);
	if (!(cs.blocks && n->cfg->quiet && cs.txs == 0 && tip.height % 100 != 0)) {
		ember_hex_encode(tip.hash, 32, hex);
		hex[16] = 0;
		log_info(n, "block %" PRIu64 " %s...%s exec %.1f ms commit %.1f ms mempool %zu",
		      tip.height, hex, from, cs.last_exec_us / 1000.0,
		      cs.last_commit_us / 1000.0, ember_mempool_count(n->mp));
	}
	log_epoch(n, tip.height);
}

/* The network's callbacks: a log line, a block from a peer. */
static void p2p_log(void *ctx, const char *msg)
{
	struct node *n = ctx;
	log_info(n, "%s", msg);
}

/* The RPC server's lines (accept errors) are warnings. */
static void rpc_log(void *ctx, const char *msg)
{
	struct node *n = ctx;
	log_warn(n, "%s", msg);
}

static void p2p_block(void *ctx)
{
	struct node *n = ctx;
	rpc_node_block_committed(n->rpcn);
	log_block(n, " from a peer,");
	if (n->bft)
		node_bft_synced(n->bft);
}

/* Write len bytes to DIR/NAME (for evidence).  Returns 0 or -1. */
static int write_file(const char *dir, const char *name, const uint8_t *b,
                      size_t len)
{
	char path[4096];
	FILE *f;
	int ok;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "wb")))
		return -1;
	ok = fwrite(b, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/*
 * Two certified blocks at one height: more than a third of the stake
 * signed both, which BFT rules out.  Nothing after this can be trusted to
 * be final: keep the peer's block and certificate beside the ledger (ours
 * is in it) as evidence, say so loudly, and stop.
 */
static void p2p_fork(void *ctx, uint64_t height, const uint8_t *blk, size_t blen,
                     const uint8_t *cert, size_t clen)
{
	struct node *n = ctx;
	char name[64], cname[64];
	snprintf(name, sizeof(name), "fork-%" PRIu64 ".block", height);
	snprintf(cname, sizeof(cname), "fork-%" PRIu64 ".cert", height);
	if (write_file(n->cfg->datadir, name, blk, blen) != 0 ||
	    write_file(n->cfg->datadir, cname, cert, clen) != 0)
		log_err(n, "cannot write the fork evidence in %s", n->cfg->datadir);
	log_err(n, "SAFETY FAILURE: a peer holds another block at height %" PRIu64
	      " certified by the validator set; its block and certificate are in "
	      "%s/%s and %s/%s, ours is in the ledger; halting (do not restart "
	      "until the validators have been told)", height, n->cfg->datadir,
	      name, n->cfg->datadir, cname);
	n->halted = 1;
	event_base_loopexit(n->base, NULL);
}

/* getpeers and getstatus, from the network (rpc/ does not include p2p/).
 * max 0: just the count. */
static size_t node_peers(void *ctx, struct rpc_peer *out, size_t max)
{
	struct node *n = ctx;
	struct p2p_peer_info info[256];
	size_t k;
	if (!max)
		return p2p_peer_count(n->p2p);   /* getstatus: the count only */
	k = p2p_peers(n->p2p, info, max < 256 ? max : 256);
	for (size_t i = 0; i < k; i++) {
		memcpy(out[i].id, info[i].id, 32);
		memcpy(out[i].addr, info[i].addr, sizeof(out[i].addr));
		out[i].inbound = info[i].inbound;
		out[i].height = info[i].height;
		out[i].bytes_in = info[i].bytes_in;
		out[i].bytes_out = info[i].bytes_out;
		out[i].connected_ms = info[i].connected_ms;
		out[i].ping_ms = info[i].ping_ms;
	}
	return k;
}

static int node_net_admin(void *ctx, const char *op, json_t *params,
                          json_t **result, char *err, size_t errlen)
{
	struct node *n = ctx;
	const char *arg = json_string_value(json_array_get(params, 0));
	int rc;

	if (!strcmp(op, "listbanned")) {
		struct p2p_ban_info *b = calloc(256, sizeof(*b));
		size_t k;
		if (!b)
			return EMBER_ENOMEM;
		k = p2p_banned(n->p2p, b, 256);
		*result = json_array();
		for (size_t i = 0; i < k; i++)
			json_array_append_new(*result, json_pack("{s:s, s:I}", "peer", b[i].what,
			                      "seconds_left", (json_int_t)b[i].seconds_left));
		free(b);
		return 0;
	}
	if (!arg) {
		ember_errf(err, errlen, "the first parameter must be a string");
		return EMBER_EINVAL;
	}
	if (!strcmp(op, "addpeer"))
		rc = p2p_add_peer(n->p2p, arg, err, errlen);
	else if (!strcmp(op, "disconnectpeer"))
		rc = p2p_disconnect(n->p2p, arg, err, errlen);
	else {
		json_t *secs = json_array_get(params, 1);
		if (secs && (!json_is_integer(secs) || json_integer_value(secs) < 0)) {
			ember_errf(err, errlen, "seconds must be a whole number");
			return EMBER_EINVAL;
		}
		rc = p2p_ban(n->p2p, arg, secs ? (uint64_t)json_integer_value(secs) : 0,
		             err, errlen);
	}
	if (!rc)
		*result = json_true();
	return rc;
}

static int node_syncing(void *ctx, uint64_t *target, uint64_t *blocks_per_s)
{
	struct node *n = ctx;
	*blocks_per_s = p2p_sync_rate(n->p2p);
	return p2p_syncing(n->p2p, target);
}

/* Consensus committed a block of ours (rc 0), or could not. */
static void bft_commit(void *ctx, int rc, const char *why)
{
	struct node *n = ctx;

	if (rc == EMBER_STORE_DISK_FULL) {
		/* Said once; txs are refused until a block commits again.  The
		 * commit is retried after the block time (node_bft.c). */
		if (!n->disk_full)
			log_err(n, "disk full: %s; block production paused and new txs refused "
			      "until space is freed", n->cfg->datadir);
		n->disk_full = 1;
		ember_admit_set_refusal(n->admit, "disk full on the node; try again later");
		return;
	}
	if (rc) {
		const char *gw = cons_guard_why(n->cons);
		log_err(n, "block production failed: %s%s%s%s%s", ember_strerror(rc),
		      why && why[0] ? ": " : "", why ? why : "", gw[0] ? ": " : "", gw);
		return;
	}
	if (n->disk_full) {
		log_info(n, "disk space is back: producing blocks and accepting txs again");
		n->disk_full = 0;
		ember_admit_set_refusal(n->admit, NULL);
	}
	p2p_on_commit(n->p2p);
	rpc_node_block_committed(n->rpcn);
	log_block(n, "");
}

/* getvalidators: where consensus stands (validators only). */
static int node_consensus(void *ctx, struct rpc_consensus *out)
{
	struct node *n = ctx;
	const struct bft_valset *vs;
	struct bft_view v;

	if (!n->bft)
		return -1;
	node_bft_view(n->bft, &v);
	vs = node_bft_valset(n->bft, &out->self);
	out->height = v.height;
	out->round = v.round;
	out->step = (int)v.step;
	out->locked_round = v.locked_round;
	out->proposer = bft_valset_proposer(vs, v.round);
	out->lat_n = node_bft_latency(n->bft, &out->lat_p50_ms, &out->lat_p99_ms);
	out->n = vs->n < 128 ? vs->n : 128;
	for (size_t i = 0; i < out->n; i++) {
		memcpy(out->v[i].pub, vs->v[i].id, 32);
		out->v[i].power = vs->v[i].power;
		out->v[i].priority = vs->v[i].priority;
	}
	{
		/* The set is the genesis set at every height, so a vote's
		 * validator index names the same key at any height. */
		struct bft_vote ev[RPC_EVIDENCE_MAX][2];
		size_t k = node_bft_evidence(n->bft, ev, RPC_EVIDENCE_MAX);
		out->nev = 0;
		for (size_t i = 0; i < k; i++) {
			struct rpc_evidence *e = &out->ev[out->nev];
			if (ev[i][0].validator >= vs->n)
				continue;
			memcpy(e->validator, vs->v[ev[i][0].validator].id, 32);
			for (int j = 0; j < 2; j++) {
				struct rpc_vote *d = j ? &e->b : &e->a;
				const struct bft_vote *v0 = &ev[i][j];
				d->type = v0->type;
				d->nil = v0->nil;
				d->height = v0->height;
				d->round = v0->round;
				memcpy(d->value, v0->value, 32);
				if (v0->nil)
					memset(d->value, 0, 32);
				d->time_ms = v0->time_ms;
				memcpy(d->sig, v0->sig, 64);
			}
			out->nev++;
		}
	}
	return 0;
}

/* Consensus messages between the driver and the network. */
static int net_proposal(void *ctx, const struct bft_proposal *p, const uint8_t *blk,
                        size_t len)
{
	struct node *n = ctx;
	return n->bft ? node_bft_proposal(n->bft, p, blk, len) : EMBER_BFT_OLD;
}

static int net_vote(void *ctx, const struct bft_vote *v)
{
	struct node *n = ctx;
	return n->bft ? node_bft_vote(n->bft, v) : EMBER_BFT_OLD;
}

static void bft_send_proposal(void *ctx, const struct bft_proposal *p,
                              const uint8_t *blk, size_t len)
{
	p2p_send_proposal(ctx, p, blk, len);
}

static void bft_send_vote(void *ctx, const struct bft_vote *v)
{
	p2p_send_vote(ctx, v);
}

/* The verdict of admission on an evidence tx this node sent. */
static void evidence_done(void *ctx, void *user, int code, const uint8_t *txid,
                          const char *why)
{
	struct node *n = ctx;
	char hex[65] = "?";
	(void)user;
	if (txid)
		ember_hex_encode(txid, 32, hex);
	if (code == 0)
		log_info(n, "sent evidence tx %s", hex);
	else
		log_warn(n, "evidence tx %s refused: %s", hex, why);
}

/*
 * A double sign this validator saw (node_bft): send the pair as an
 * `evidence` tx from this validator's own account (it pays the fee), so
 * the next proposer includes it and the signer's stake is slashed.  Every
 * honest validator that saw it sends one; the first committed punishes,
 * the others are refused "already punished".
 */
static void bft_evidence(void *ctx, const struct bft_vote *a, const struct bft_vote *b)
{
	struct node *n = ctx;
	const struct bft_valset *vs;
	struct ember_admit_item item;
	struct ember_tx tx;
	struct ember_tx_evidence *e = &tx.u.evidence;
	struct ember_account acct = { 0 };
	struct ember_txn *t;
	int32_t self;
	size_t len;
	int rc;

	vs = node_bft_valset(n->bft, &self);
	/* Our own two votes (only a faulty build signs them, like the test's
	 * emberd-doublesign, which also hears its twin back from peers) are
	 * not reported from our own account: the others will. */
	if (a->validator >= vs->n || (int32_t)a->validator == self)
		return;
	if (ember_store_read(n->store, &t) == 0) {
		if (ember_account_get(t, n->key.pub, &acct) != 0)
			memset(&acct, 0, sizeof(acct));
		ember_txn_abort(t);
	}
	if ((rc = ember_tx_init(&tx, EMBER_TX_EVIDENCE, n->g.chain_id, n->key.pub,
	                        ember_mempool_next_nonce(n->mp, n->key.pub, acct.nonce),
	                        n->g.min_fee))) {
		log_warn(n, "cannot build an evidence tx: %s", ember_strerror(rc));
		return;
	}
	memcpy(e->validator, vs->v[a->validator].id, 32);
	e->vote_type = a->type;
	e->height = a->height;
	e->round = a->round;
	if (!a->nil)
		memcpy(e->hash_a, a->value, 32);
	e->time_a = a->time_ms;
	memcpy(e->sig_a, a->sig, 64);
	if (!b->nil)
		memcpy(e->hash_b, b->value, 32);
	e->time_b = b->time_ms;
	memcpy(e->sig_b, b->sig, 64);
	len = ember_tx_encoded_size(&tx);
	item.user = NULL;
	item.len = len;
	if (!len || !(item.enc = malloc(len)) ||
	    (rc = ember_tx_sign(&tx, &n->key)) ||
	    (rc = ember_tx_encode(&tx, item.enc, len, &item.len))) {
		log_warn(n, "cannot sign an evidence tx: %s", ember_strerror(len ? rc : EMBER_EINVAL));
		free(len ? item.enc : NULL);
		return;
	}
	/* Admission takes item.enc whatever happens, and answers through
	 * evidence_done (EMBER_ENOMEM included). */
	if (ember_admit_submit(n->admit, &item, 1, EMBER_SRC_RPC, evidence_done, n) != 0)
		return;
}

static void bft_log(void *ctx, int level, const char *msg)
{
	struct node *n = ctx;
	node_log_printf(&n->log, level == 0 ? EMBER_LOG_ERROR : level == 1 ? EMBER_LOG_WARN :
	                level == 2 ? EMBER_LOG_INFO : EMBER_LOG_DEBUG, "%s", msg);
}

/* Loop thread: hand finished verify batches to their owner. */
static void drain_done(void *ctx, struct ember_vbatch *b)
{
	struct node *n = ctx;
	if (!ember_admit_verified(n->admit, b))
		log_warn(n, "dropped a verify batch with no owner");
}

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;
	(void)fd;
	(void)what;
	ember_vpool_drain(n->vpool, drain_done, n);
}

/* Worker thread: wake the loop (event_active is thread-safe once
 * evthread_use_pthreads() has run). */
static void vpool_notify(void *ctx)
{
	struct node *n = ctx;
	event_active(n->drain_ev, EV_READ, 0);
}

/* The replies in flight are out (or the wait ran out): end the loop. */
static void stop_now(void *ctx)
{
	struct node *n = ctx;
	event_base_loopexit(n->base, NULL);
}

static void on_stop_wait(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	stop_now(arg);
}

/*
 * SIGINT, SIGTERM, the RPC "stop": the loop ends once the RPC replies in
 * flight are written (so "stop" gets its answer), or NODE_STOP_WAIT_S
 * later when a client does not read its reply.
 */
static void stop_node(void *ctx)
{
	struct node *n = ctx;
	struct timeval tv = { NODE_STOP_WAIT_S, 0 };

	if (n->stopping)
		return;
	n->stopping = 1;
	log_info(n, "stopping");
	if (n->stop_ev)
		event_add(n->stop_ev, &tv);
	rpc_server_when_idle(n->rpc, stop_now, n);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct node *n = arg;
	(void)what;
	log_info(n, "caught signal %d (%s)", (int)sig, strsignal((int)sig));
	stop_node(arg);
}

/* SIGHUP: a log rotator moved the file away; start a new one. */
static void on_sighup(evutil_socket_t sig, short what, void *arg)
{
	struct node *n = arg;
	(void)sig;
	(void)what;
	if (node_log_reopen(&n->log) != 0)
		log_err(n, "cannot reopen the log file '%s': %s; logging to stderr "
		        "only until the next SIGHUP", n->log.path, strerror(errno));
	else
		log_info(n, "log file reopened (SIGHUP)");
}

/*
 * DIR/.cookie: "__cookie__:" and 64 hex digits of fresh randomness, mode
 * 0600, written to a temporary name and renamed, so a client never reads
 * a half-written cookie.  token gets the hex part (the bearer token and
 * Basic password).  Returns: 0 or EMBER_EIO after logging why.
 */
static int write_cookie(struct node *n, char token[256])
{
	const char *dir = n->cfg->datadir;
	char tmp[4096 + 16], line[sizeof(NODE_COOKIE_USER) + 65];
	uint8_t raw[32];
	size_t len;
	int fd, ok;

	randombytes_buf(raw, sizeof(raw));
	ember_hex_encode(raw, sizeof(raw), token);
	sodium_memzero(raw, sizeof(raw));
	len = (size_t)snprintf(line, sizeof(line), "%s:%s", NODE_COOKIE_USER, token);
	snprintf(n->cookie_path, sizeof(n->cookie_path), "%s/.cookie", dir);
	snprintf(tmp, sizeof(tmp), "%s/.cookie.tmp", dir);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ok = fd >= 0 && write(fd, line, len) == (ssize_t)len;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	sodium_memzero(line, sizeof(line));
	if (!ok || rename(tmp, n->cookie_path) != 0) {
		log_err(n, "cannot write the RPC cookie '%s': %s", n->cookie_path,
		        strerror(errno));
		unlink(tmp);
		n->cookie_path[0] = 0;
		return EMBER_EIO;
	}
	log_debug(n, "RPC cookie written to '%s'", n->cookie_path);
	return 0;
}

/*
 * --rpc-password-file: the password is the file's first line (blanks and
 * the line end dropped) into pw (cap 256).  A file others can read is
 * used, with a warning.  Returns: 0, EMBER_EIO or EMBER_EPARSE after
 * logging why.
 */
static int read_password(struct node *n, const char *path, char pw[256])
{
	struct stat st;
	FILE *f = fopen(path, "r");
	size_t len;

	if (!f) {
		log_err(n, "cannot read the RPC password file '%s': %s", path,
		        strerror(errno));
		return EMBER_EIO;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
		log_warn(n, "permissions %04o for '%s' are too open: the RPC password "
		         "should not be readable by group or others; run 'chmod 600 %s'",
		         (unsigned)(st.st_mode & 07777), path, path);
	if (!fgets(pw, 256, f))
		pw[0] = 0;
	fclose(f);
	len = strcspn(pw, "\r\n");
	pw[len] = 0;
	while (len && (pw[len - 1] == ' ' || pw[len - 1] == '\t'))
		pw[--len] = 0;
	if (len == 0 || len == 255) {
		log_err(n, "the RPC password file '%s' must hold the password on its "
		        "first line, 1 to 254 characters", path);
		sodium_memzero(pw, 256);
		return EMBER_EPARSE;
	}
	return 0;
}

/* At a stop: the cookie goes, so nobody mistakes a stale one for the
 * running node's. */
static void remove_cookie(struct node *n)
{
	if (!n->cookie_path[0])
		return;
	if (unlink(n->cookie_path) != 0 && errno != ENOENT)
		log_warn(n, "cannot remove the RPC cookie '%s': %s", n->cookie_path,
		         strerror(errno));
	n->cookie_path[0] = 0;
}

static int load_key(struct node *n, const char *dir)
{
	char path[4096];
	const char *pass = getenv("EMBER_VALIDATOR_PASSPHRASE");
	struct stat st;
	unsigned mode = 0;
	int rc;
	if (n->cfg->validator_key) {
		/* Asked for by name: it must be there. */
		snprintf(path, sizeof(path), "%s", n->cfg->validator_key);
		if (stat(path, &st) != 0) {
			log_err(n, "cannot open validator key '%s': %s", path, strerror(errno));
			return EMBER_EIO;
		}
	} else {
		snprintf(path, sizeof(path), "%s/validator_key.json", dir);
		if (stat(path, &st) != 0)
			return 0;   /* a full node that does not validate */
	}
	/* A key others can read may have been copied, and a copy can double
	 * sign: refuse it, as ssh refuses such a private key. */
	if (ember_keystore_check_mode(path, &mode) == EMBER_KS_MODE) {
		log_err(n, "permissions %04o for '%s' are too open: a validator key must "
		      "not be accessible by group or others; run 'chmod 600 %s'",
		      mode, path, path);
		return EMBER_KS_MODE;
	}
	rc = ember_keystore_load(path, pass ? pass : "", pass ? strlen(pass) : 0, &n->key);
	if (rc) {
		log_err(n, "cannot open validator key '%s': %s (set EMBER_VALIDATOR_PASSPHRASE)",
		      path, ember_strerror(rc));
		return rc;
	}
	n->have_key = 1;
	return 0;
}

static void node_release(struct node *n)
{
	if (n->sigint_ev)
		event_free(n->sigint_ev);
	if (n->sigterm_ev)
		event_free(n->sigterm_ev);
	if (n->sighup_ev)
		event_free(n->sighup_ev);
	if (n->stop_ev)
		event_free(n->stop_ev);
	/* Consensus, then the network: they hold admission, the executor
	 * and the store. */
	node_bft_free(n->bft);
	p2p_free(n->p2p);
	rpc_server_free(n->rpc);
	free(n->methods);
	/* Workers stop before admission, whose batches they hold, goes away;
	 * admission answers what was still in flight. */
	ember_vpool_free(n->vpool);
	ember_admit_free(n->admit);
	rpc_node_free(n->rpcn);
	if (n->drain_ev)
		event_free(n->drain_ev);
	cons_free(n->cons);
	cons_guard_free(n->guard);
	cons_wal_free(n->cwal);
	ember_mempool_free(n->mp);
	ember_sigcache_free(n->cache);
	ember_store_close(n->store);
	ember_genesis_release(&n->g);
	ember_keypair_clear(&n->key);
	ember_keypair_clear(&n->node_key);
	if (n->base)
		event_base_free(n->base);
	remove_cookie(n);
}

/* The node key, then the network; admission relays what it accepts. */
static int start_p2p(struct node *n, char *err, size_t errlen)
{
	const struct ember_node_cfg *cfg = n->cfg;
	struct p2p_cfg pc;
	char hex[65], deflt[32];
	int created, rc;

	if ((rc = ember_node_key(cfg->datadir, &n->node_key, &created, err, errlen)))
		return rc;
	memset(&pc, 0, sizeof(pc));
	pc.base = n->base;
	pc.g = &n->g;
	pc.store = n->store;
	pc.cons = n->cons;
	pc.admit = n->admit;
	pc.mp = n->mp;
	pc.node_key = &n->node_key;
	snprintf(deflt, sizeof(deflt), "0.0.0.0:%d", P2P_DEFAULT_PORT);
	pc.listen = cfg->p2p_listen ? cfg->p2p_listen : deflt;
	pc.peers = cfg->peers;
	pc.npeers = cfg->npeers;
	snprintf(n->peers_file, sizeof(n->peers_file), "%s/peers", cfg->datadir);
	pc.peers_file = n->peers_file;
	pc.max_peers = cfg->max_peers;
	pc.max_inbound_per_ip = cfg->max_inbound_per_ip;
	pc.log = p2p_log;
	pc.log_ctx = n;
	pc.on_block = p2p_block;
	pc.on_fork = p2p_fork;
	pc.on_block_ctx = n;
	if (n->have_key) {
		/* A validator takes part in consensus over the network. */
		pc.on_proposal = net_proposal;
		pc.on_vote = net_vote;
		pc.bft_ctx = n;
	}
	if ((rc = p2p_new(&n->p2p, &pc, err, errlen)) == EMBER_EIO && !cfg->p2p_listen) {
		/* The default port is taken (another node on this machine):
		 * run without inbound peers rather than not at all. */
		log_warn(n, "%s; running without inbound peers (set --p2p-listen)", err);
		pc.listen = NULL;
		rc = p2p_new(&n->p2p, &pc, err, errlen);
	}
	if (rc)
		return rc;
	ember_admit_set_announce(n->admit, p2p_announce_tx, n->p2p);
	ember_hex_encode(n->node_key.pub, 32, hex);
	log_info(n, "node id %s%s, p2p on port %u, %zu peer%s configured", hex,
	      created ? " (new key in node_key)" : "", (unsigned)p2p_port(n->p2p),
	      cfg->npeers, cfg->npeers == 1 ? "" : "s");
	return 0;
}

int ember_node_run(const struct ember_node_cfg *cfg)
{
	struct node n;
	char path[4096], err[512], token[256], addr[EMBER_ADDR_BUFLEN];
	struct rpc_server_cfg rcfg;
	struct cons_cfg ccfg;
	struct rpc_node_cfg ncfg;
	const struct rpc_method *node_m, *market_m, *proof_m, *hist_m, *bft_m;
	struct ember_tip tip;
	size_t nnode, nmarket, nproof, nhist, nbft;
	unsigned threads;
	uint64_t bt;
	int rc;

	memset(&n, 0, sizeof(n));
	n.cfg = cfg;
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		return EMBER_EINTERNAL;
	if (cfg->log_file && !strcmp(cfg->log_file, "-"))
		path[0] = 0;
	else if (cfg->log_file)
		snprintf(path, sizeof(path), "%s", cfg->log_file);
	else
		snprintf(path, sizeof(path), "%s/debug.log", cfg->datadir);
	if ((rc = node_log_open(&n.log, path[0] ? path : NULL, cfg->log_level))) {
		log_err(&n, "cannot open the log file '%s': %s", path,
		        rc == EMBER_EIO ? strerror(errno) : ember_strerror(rc));
		return rc;
	}
	log_info(&n, "emberd %s starting in '%s'%s%s", EMBER_VERSION, cfg->datadir,
	         n.log.f ? ", log in " : "", n.log.f ? n.log.path : "");

	snprintf(path, sizeof(path), "%s/genesis.json", cfg->datadir);
	if ((rc = ember_genesis_load(&n.g, path, err, sizeof(err)))) {
		if (rc == EMBER_EIO)
			log_err(&n, "no genesis at '%s': start with --dev for a devnet, or copy "
			      "the network's genesis.json there", path);
		else
			log_err(&n, "%s", err);
		goto out;
	}
	if ((rc = load_key(&n, cfg->datadir)))
		goto out;

	snprintf(path, sizeof(path), "%s/ledger", cfg->datadir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		log_err(&n, "cannot create '%s': %s", path, strerror(errno));
		rc = EMBER_EIO;
		goto out;
	}
	if ((rc = ember_store_open(&n.store, path, 0))) {
		if (rc == EMBER_STORE_DAMAGED)
			log_err(&n, "refusing to start: the ledger in '%s' is damaged (see above); "
			      "restore it from a backup, or move it away to sync the chain "
			      "again from genesis", path);
		/* The lock is on the ledger's data file itself: it cannot be
		 * removed without removing the ledger, so no second node gets
		 * in beside us.  Open takes it before replaying the log. */
		else if (rc == EMBER_STORE_LOCKED)
			log_err(&n, "the ledger in '%s' is in use by another emberd", path);
		else
			log_err(&n, "cannot open the ledger in '%s': %s", path, ember_strerror(rc));
		goto out;
	}
	if (cfg->have_dbcache)
		ember_store_set_cache(n.store, (size_t)cfg->dbcache_mib << 20,
		                      NODE_FLUSH_AGE_MS);
	if (n.have_key && (rc = cons_guard_open(&n.guard, cfg->datadir, err, sizeof(err)))) {
		log_err(&n, "refusing to start: %s", err);
		goto out;
	}
	/* A lone validator decides each height in one go: nothing to
	 * resume, so no consensus WAL (and no fsync per vote). */
	if (n.have_key && n.g.nval > 1 &&
	    (rc = cons_wal_open(&n.cwal, cfg->datadir, err, sizeof(err)))) {
		log_err(&n, "refusing to start: %s (move '%s/%s' away to start without "
		        "it: the signing guard still keeps this validator from signing "
		        "twice)", err, cfg->datadir, CONS_WAL_FILE);
		goto out;
	}

	evthread_use_pthreads();
	n.base = event_base_new();
	if (!n.base) {
		rc = EMBER_ENOMEM;
		goto out;
	}
	n.drain_ev = event_new(n.base, -1, 0, on_drain, &n);
	threads = cfg->verify_threads;
	if (!threads) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		threads = c > 0 ? (unsigned)c : 1;
	}
	if (!n.drain_ev || (rc = ember_sigcache_new(&n.cache, 1u << 20)) ||
	    (rc = ember_vpool_new(&n.vpool, threads, n.cache, vpool_notify, &n)) ||
	    (rc = ember_mempool_new(&n.mp, NULL))) {
		log_err(&n, "cannot start: %s", ember_strerror(rc ? rc : EMBER_ENOMEM));
		rc = rc ? rc : EMBER_ENOMEM;
		goto out;
	}

	{
		struct ember_admit_cfg acfg;
		memset(&acfg, 0, sizeof(acfg));
		acfg.store = n.store;
		acfg.g = &n.g;
		acfg.mp = n.mp;
		acfg.vpool = n.vpool;
		if ((rc = ember_admit_new(&n.admit, &acfg)))
			goto out;
	}

	memset(&ccfg, 0, sizeof(ccfg));
	ccfg.g = &n.g;
	ccfg.store = n.store;
	ccfg.mp = n.mp;
	ccfg.cache = n.cache;
	ccfg.vpool = n.vpool;
	ccfg.key = n.have_key ? &n.key : NULL;
	ccfg.guard = n.guard;
	ccfg.max_block_txs = cfg->max_block_txs;
	if ((rc = cons_new(&n.cons, &ccfg, err, sizeof(err)))) {
		log_err(&n, "refusing to start: %s", err);
		goto out;
	}

	memset(&ncfg, 0, sizeof(ncfg));
	ncfg.base = n.base;
	ncfg.store = n.store;
	ncfg.mp = n.mp;
	ncfg.admit = n.admit;
	ncfg.cons = n.cons;
	ncfg.g = &n.g;
	ncfg.stop = stop_node;
	ncfg.stop_ctx = &n;
	ncfg.peers = node_peers;
	ncfg.syncing = node_syncing;
	ncfg.net_admin = cfg->no_p2p ? NULL : node_net_admin;
	ncfg.net_ctx = &n;
	ncfg.consensus = node_consensus;
	ncfg.cons_ctx = &n;
	if ((rc = rpc_node_new(&n.rpcn, &ncfg)))
		goto out;
	/* A fixed login replaces the cookie, as rpcuser/rpcpassword do in
	 * bitcoind. */
	if ((rc = cfg->rpc_password_file
	          ? read_password(&n, cfg->rpc_password_file, token)
	          : write_cookie(&n, token)))
		goto out;
	memset(&rcfg, 0, sizeof(rcfg));
	rcfg.listen = cfg->rpc_listen;
	rcfg.auth_token = token;
	rcfg.auth_user = cfg->rpc_password_file ? cfg->rpc_user : NODE_COOKIE_USER;
	rcfg.log = rpc_log;
	rcfg.log_ctx = &n;
	rcfg.tls_cert = cfg->tls_cert;
	rcfg.tls_key = cfg->tls_key;
	rcfg.max_conns = cfg->rpc_max_conns;
	rcfg.request_timeout_ms = cfg->rpc_request_timeout_ms;
	/* Heavy reads (getnetworkstats is O(state)) run beside the loop. */
	rcfg.readers = 2;
	/* The server takes one table; all five share the rpc_node as ctx. */
	node_m = rpc_node_methods(&nnode);
	market_m = rpc_market_methods(&nmarket);
	proof_m = rpc_proof_methods(&nproof);
	hist_m = rpc_history_methods(&nhist);
	bft_m = rpc_consensus_methods(&nbft);
	if (!(n.methods = malloc((nnode + nmarket + nproof + nhist + nbft) *
	                         sizeof(*n.methods)))) {
		rc = EMBER_ENOMEM;
		goto out;
	}
	memcpy(n.methods, node_m, nnode * sizeof(*n.methods));
	memcpy(n.methods + nnode, market_m, nmarket * sizeof(*n.methods));
	memcpy(n.methods + nnode + nmarket, proof_m, nproof * sizeof(*n.methods));
	memcpy(n.methods + nnode + nmarket + nproof, hist_m, nhist * sizeof(*n.methods));
	memcpy(n.methods + nnode + nmarket + nproof + nhist, bft_m,
	       nbft * sizeof(*n.methods));
	rc = rpc_server_new(&n.rpc, n.base, &rcfg, n.methods,
	                    nnode + nmarket + nproof + nhist + nbft, n.rpcn);
	sodium_memzero(token, sizeof(token));   /* the server keeps a digest */
	if (rc) {
		log_err(&n, "cannot serve RPC on '%s': %s%s%s", cfg->rpc_listen,
		      ember_strerror(rc), errno ? ": " : "", errno ? strerror(errno) : "");
		goto out;
	}
	rpc_node_set_server(n.rpcn, n.rpc);
	if ((rc = rpc_server_route(n.rpc, "/metrics", rpc_node_metrics, n.rpcn)) ||
	    (rc = rpc_server_route(n.rpc, "/", rpc_node_explorer, n.rpcn)))
		goto out;

	if (!cfg->no_p2p && (rc = start_p2p(&n, err, sizeof(err)))) {
		log_err(&n, "%s", err);
		goto out;
	}

	bt = cfg->block_time_ms ? cfg->block_time_ms : n.g.block_time_ms;
	n.sigint_ev = evsignal_new(n.base, SIGINT, on_signal, &n);
	n.sigterm_ev = evsignal_new(n.base, SIGTERM, on_signal, &n);
	n.sighup_ev = evsignal_new(n.base, SIGHUP, on_sighup, &n);
	n.stop_ev = evtimer_new(n.base, on_stop_wait, &n);
	if (!n.sigint_ev || !n.sigterm_ev || !n.sighup_ev || !n.stop_ev) {
		rc = EMBER_ENOMEM;
		goto out;
	}
	if (n.have_key) {
		struct node_bft_cfg bc;
		memset(&bc, 0, sizeof(bc));
		bc.base = n.base;
		bc.cons = n.cons;
		bc.g = &n.g;
		bc.key = &n.key;
		bc.guard = n.guard;
		bc.wal = n.cwal;
		bc.block_time_ms = bt;
		bc.on_commit = bft_commit;
		/* A lone validator decides alone: its blocks go out as
		 * BLOCKs, its proposals and votes would only be noise. */
		if (n.p2p && n.g.nval > 1) {
			bc.send_proposal = bft_send_proposal;
			bc.send_vote = bft_send_vote;
			bc.net_ctx = n.p2p;
		}
		bc.log = bft_log;
		bc.on_evidence = bft_evidence;
		bc.ctx = &n;
		rc = node_bft_new(&n.bft, &bc);
		if (rc == EMBER_EINVAL) {
			log_warn(&n, "the validator key is not in this chain's validator set: "
			         "running as a full node");
			n.bft = NULL;
		} else if (rc) {
			goto out;
		}
		if (n.bft)
			node_bft_start(n.bft);
	}
	event_add(n.sigint_ev, NULL);
	event_add(n.sigterm_ev, NULL);
	event_add(n.sighup_ev, NULL);

	cons_tip(n.cons, &tip);
	ember_hex_encode(tip.hash, 32, path);
	log_info(&n, "chain '%s' at height %" PRIu64 " tip %.16s...", n.g.chain_id, tip.height, path);
	if (n.have_key) {
		ember_addr_encode(n.key.pub, addr);
		log_info(&n, "validator %s, a block every %" PRIu64 " ms, %u verify threads",
		      addr, bt, threads);
	}
	if (cfg->rpc_password_file)
		log_info(&n, "JSON-RPC on %s://%s (port %u), admin login '%s' with the "
		         "password in %s", cfg->tls_cert ? "https" : "http",
		         cfg->rpc_listen, (unsigned)rpc_server_port(n.rpc),
		         cfg->rpc_user, cfg->rpc_password_file);
	else
		log_info(&n, "JSON-RPC on %s://%s (port %u), admin cookie in %s",
		         cfg->tls_cert ? "https" : "http", cfg->rpc_listen,
		         (unsigned)rpc_server_port(n.rpc), n.cookie_path);

	event_base_dispatch(n.base);
	rc = n.halted ? EMBER_STORE_GUARD : 0;
out:
	sodium_memzero(token, sizeof(token));
	node_release(&n);
	if (!rc)
		log_info(&n, "stopped");
	node_log_close(&n.log);
	return rc;
}
