/*
 * p2p_net.c - peers, the handshake on the wire, message dispatch, catch-up
 * sync and gossip (p2p.h).
 *
 * A connection goes HELLO0 -> AUTH -> STATUS -> ready.  Bytes are read
 * from a bufferevent whose high watermark is one whole frame, so a peer
 * can make us buffer at most one frame; a frame's length is checked before
 * any of its body is waited for.  Messages are dispatched through one
 * table (type, handler, whether STATUS must have come first); lengths are
 * checked against p2pwire.h's limits before a decoder runs.
 *
 * Sync (p2p_sync.c) keeps a window of GETBLOCKS requests in flight over
 * the peers ahead of us; a block at tip + 1 goes straight to
 * cons_apply_block, one above it waits in a bounded buffer (the window).
 * The 500 ms tick redials, times out handshakes and stalled requests, and
 * expires discouragement.
 */
#include "ember/p2p.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <sodium.h>

#include "ember/block.h"
#include "ember/chain.h"
#include "ember/codec.h"
#include "ember/hash.h"
#include "ember/p2psec.h"
#include "ember/p2pwire.h"
#include "ember/tx.h"

#include "p2p_internal.h"

/* --- small helpers ------------------------------------------------------ */

uint64_t p2p_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void p2p_log(struct p2p *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->cfg.log)
		p->cfg.log(p->cfg.log_ctx, msg);
}

/* "0123abcd..." : the first 16 hex digits of a node id, for logs. */
const char *p2p_short_id(const uint8_t id[32], char buf[17])
{
	char full[65];
	ember_hex_encode(id, 32, full);
	memcpy(buf, full, 16);
	buf[16] = 0;
	return buf;
}

struct ember_tip p2p_tip(struct p2p *p)
{
	struct ember_tip t;
	cons_tip(p->cfg.cons, &t);
	return t;
}

static void sock_text(const struct sockaddr *sa, char *addr, size_t alen,
                      char *ip, size_t iplen, int *loopback)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	*loopback = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		*loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		*loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
	}
	snprintf(ip, iplen, "%s", host);
	snprintf(addr, alen, "%s:%u", host, port);
}

/* --- discouragement ----------------------------------------------------- */

/* Returns the slot to (re)use: a free one, else the one ending first. */
static struct ban *ban_slot(struct p2p *p)
{
	uint64_t now = p2p_mono_ms();
	size_t k = 0;
	for (size_t i = 0; i < P2P_BANS; i++) {
		if (p->bans[i].until <= now)
			return &p->bans[i];
		if (p->bans[i].until < p->bans[k].until)
			k = i;
	}
	return &p->bans[k];
}

/*
 * Discourage a peer: its node id once it proved one, and its address
 * unless that is loopback (every local process shares it).  Returns 0 if
 * nothing could be held against it (a loopback peer that failed before
 * proving an id).
 */
static int discourage(struct p2p *p, const struct peer *pe)
{
	uint64_t until = p2p_mono_ms() + P2P_DISCOURAGE_MS;
	struct ban *b;
	int n = 0;

	if (pe->state >= PS_STATUS) {
		b = ban_slot(p);
		memset(b, 0, sizeof(*b));
		b->by_id = 1;
		memcpy(b->id, pe->id, 32);
		b->until = until;
		n++;
	}
	if (!pe->loopback && pe->ip[0]) {
		b = ban_slot(p);
		memset(b, 0, sizeof(*b));
		snprintf(b->ip, sizeof(b->ip), "%s", pe->ip);
		b->until = until;
		n++;
	}
	return n;
}

static int banned_ip(struct p2p *p, const char *ip)
{
	uint64_t now = p2p_mono_ms();
	for (size_t i = 0; i < P2P_BANS; i++)
		if (p->bans[i].until > now && !p->bans[i].by_id &&
		    strcmp(p->bans[i].ip, ip) == 0)
			return 1;
	return 0;
}

static int banned_id(struct p2p *p, const uint8_t id[32])
{
	uint64_t now = p2p_mono_ms();
	for (size_t i = 0; i < P2P_BANS; i++)
		if (p->bans[i].until > now && p->bans[i].by_id &&
		    memcmp(p->bans[i].id, id, 32) == 0)
			return 1;
	return 0;
}

/* --- peers -------------------------------------------------------------- */

static void peer_free(struct peer *pe)
{
	struct p2p *p = pe->p;
	struct peer **pp;

	for (pp = &p->peers; *pp; pp = &(*pp)->next)
		if (*pp == pe) {
			*pp = pe->next;
			p->npeers--;
			break;
		}
	p2p_sync_release(p, pe);
	if (pe->dial) {
		/* A learned address that keeps failing is forgotten (it may
		 * have been a passing or a lying peer). */
		if (pe->state != PS_READY && ++pe->dial->fails >= P2P_LEARNED_FAILS &&
		    pe->dial->learned)
			pe->dial->dead = 1;
		pe->dial->conn = NULL;
		pe->dial->next_try = p2p_mono_ms() + pe->dial->backoff;
		pe->dial->backoff = pe->dial->backoff * 2 > P2P_BACKOFF_MAX_MS
		                    ? P2P_BACKOFF_MAX_MS : pe->dial->backoff * 2;
	}
	if (pe->bev)
		bufferevent_free(pe->bev);
	p2p_sec_free(pe->sec);
	free(pe->msg);
	free(pe->known);
	free(pe);
}

/*
 * Close with a reason in the log; bad: the peer misbehaved.  The peer is
 * only marked here and freed by the reaper once the loop is back, so a
 * handler that drops a peer (its own, or another while pushing to all)
 * never leaves a caller holding freed memory: callers check ->closing.
 */
void p2p_peer_drop(struct peer *pe, int bad, const char *fmt, ...)
{
	struct p2p *p = pe->p;
	char why[256], sid[17];
	va_list ap;

	if (pe->closing)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (bad && !discourage(p, pe))
		bad = 0;        /* nothing to hold it to: just closed */
	p2p_log(p, "p2p: %s peer %s (%s): %s%s", bad ? "dropping" : "closing",
	     pe->state >= PS_STATUS ? p2p_short_id(pe->id, sid) : "?", pe->addr, why,
	     bad ? "; discouraged for 10 minutes" : "");
	pe->closing = 1;
	p2p_sync_release(p, pe);
	if (pe->bev)
		bufferevent_disable(pe->bev, EV_READ | EV_WRITE);
	event_active(p->reap_ev, EV_WRITE, 0);
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct p2p *p = arg;
	struct peer *pe, *next;
	(void)fd;
	(void)what;
	for (pe = p->peers; pe; pe = next) {
		next = pe->next;
		if (pe->closing)
			peer_free(pe);
	}
}

static int known_has(struct peer *pe, const uint8_t txid[32], int add)
{
	uint64_t k = ember_le64_get(txid) | 1;     /* 0 marks a free slot */
	size_t i;

	if (!pe->known) {
		if (!add || !(pe->known = calloc(P2P_KNOWN_SLOTS, sizeof(uint64_t))))
			return 0;
	}
	for (i = (size_t)(k % P2P_KNOWN_SLOTS);; i = (i + 1) % P2P_KNOWN_SLOTS) {
		if (pe->known[i] == k)
			return 1;
		if (!pe->known[i])
			break;
	}
	if (add) {
		/* Half full: forget everything (a peer may then get a tx
		 * twice, which admission answers cheaply). */
		if (pe->nknown >= P2P_KNOWN_SLOTS / 2) {
			memset(pe->known, 0, P2P_KNOWN_SLOTS * sizeof(uint64_t));
			pe->nknown = 0;
			i = (size_t)(k % P2P_KNOWN_SLOTS);
		}
		pe->known[i] = k;
		pe->nknown++;
	}
	return 0;
}

/* Seal and queue one message.  Returns 0, or -1 when the peer was
 * dropped (it must not be touched after). */
int p2p_peer_send(struct peer *pe, const uint8_t *msg, size_t len)
{
	struct p2p *p = pe->p;
	size_t need = 4 + len + P2P_TAG_LEN, n;

	if (pe->closing)
		return -1;
	if (need > p->outcap) {
		uint8_t *np = realloc(p->out, need);
		if (!np) {
			p2p_peer_drop(pe, 0, "out of memory");
			return -1;
		}
		p->out = np;
		p->outcap = need;
	}
	if (p2p_sec_seal(pe->sec, msg, len, p->out, p->outcap, &n) != 0 ||
	    bufferevent_write(pe->bev, p->out, n) != 0) {
		p2p_peer_drop(pe, 0, "cannot send");
		return -1;
	}
	pe->bytes_out += n;
	if (evbuffer_get_length(bufferevent_get_output(pe->bev)) > P2P_OUT_MAX) {
		p2p_peer_drop(pe, 0, "does not read what it is sent");
		return -1;
	}
	return 0;
}

static int send_status(struct peer *pe)
{
	struct p2p *p = pe->p;
	struct ember_tip t = p2p_tip(p);
	struct p2p_status st;
	uint8_t buf[128];
	size_t n;

	memset(&st, 0, sizeof(st));
	st.version = P2P_VERSION;
	snprintf(st.chain_id, sizeof(st.chain_id), "%s", p->cfg.g->chain_id);
	memcpy(st.genesis_hash, p->cfg.g->hash, 32);
	st.height = t.height;
	memcpy(st.tip_hash, t.hash, 32);
	st.listen_port = p->port;
	if (p2p_status_encode(&st, buf, sizeof(buf), &n) != 0)
		return 0;
	return p2p_peer_send(pe, buf, n);
}

/* Encode the committed block at height h as a BLOCK message (malloc'd). */
static uint8_t *block_msg(struct p2p *p, uint64_t h, size_t *len)
{
	struct ember_txn *t;
	struct p2p_block b;
	uint8_t *m = NULL;
	size_t cap;

	if (ember_store_read(p->cfg.store, &t))
		return NULL;
	memset(&b, 0, sizeof(b));
	b.height = h;
	if (ember_chain_get_block(t, h, &b.blk, &b.blklen) == 0) {
		if (ember_chain_get_cert(t, h, &b.cert, &b.certlen) != 0) {
			b.cert = NULL;
			b.certlen = 0;
		}
		cap = p2p_block_encoded_size(&b);
		if ((m = malloc(cap)) && p2p_block_encode(&b, m, cap, len) != 0) {
			free(m);
			m = NULL;
		}
	}
	ember_txn_abort(t);
	return m;
}

/* --- blocks ------------------------------------------------------------- */

/* Our STATUS goes to every ready peer at most every P2P_STATUS_MS while
 * blocks are applied, not once per block: a node catching up applies
 * thousands a second, and a peer must never see a flood from it even
 * when its own loop stalls and reads a backlog at once. */
static void on_status(evutil_socket_t fd, short what, void *arg)
{
	struct p2p *p = arg;
	struct peer *pe, *next;
	(void)fd;
	(void)what;

	for (pe = p->peers; pe; pe = next) {
		next = pe->next;
		if (pe->state == PS_READY && !pe->closing)
			send_status(pe);
	}
}

/* Push the block at height h (just committed) to every ready peer that
 * is not known to have it, except from (may be NULL); our status follows
 * (on_status). */
static void push_block(struct p2p *p, uint64_t h, struct peer *from)
{
	struct peer *pe, *next;
	uint8_t *m = NULL;
	size_t len;

	if (!evtimer_pending(p->status_ev, NULL)) {
		struct timeval tv = { 0, P2P_STATUS_MS * 1000 };
		evtimer_add(p->status_ev, &tv);
	}
	for (pe = p->peers; pe; pe = next) {
		next = pe->next;
		if (pe == from || pe->state != PS_READY || pe->closing || pe->height >= h)
			continue;
		/* Read from the store only when some peer needs it. */
		if (!m && !(m = block_msg(p, h, &len)))
			return;
		p2p_peer_send(pe, m, len);
	}
	free(m);
}

static int apply_block(struct p2p *p, struct peer *from, const uint8_t *blk,
                       size_t blen, const uint8_t *cert, size_t clen,
                       uint64_t h, const uint8_t *msg, size_t msglen);

static struct peer *peer_by_serial(struct p2p *p, uint64_t serial)
{
	for (struct peer *pe = p->peers; pe; pe = pe->next)
		if (pe->serial == serial && !pe->closing)
			return pe;
	return NULL;
}

static void future_free(struct p2p *p, struct future *f)
{
	p->fut_bytes -= f->blen + f->clen;
	free(f->blk);
	free(f->cert);
	memset(f, 0, sizeof(*f));
}

/* Apply buffered blocks that now extend the tip; one that is refused
 * drops its sender, if still connected. */
static void drain_future(struct p2p *p)
{
	for (int again = 1; again;) {
		struct ember_tip t = p2p_tip(p);
		again = 0;
		for (size_t i = 0; i < P2P_FUTURE_MAX; i++) {
			struct future *f = &p->fut[i];
			if (!f->blk || f->height > t.height + 1)
				continue;
			if (f->height == t.height + 1 &&
			    apply_block(p, peer_by_serial(p, f->from), f->blk, f->blen,
			                f->cert, f->clen, f->height, NULL, 0) == 0)
				again = 1;
			future_free(p, f);
			if (again)
				break;
		}
	}
}

/*
 * Apply one block at tip + 1; msg (may be NULL) is the BLOCK message it
 * came in, relayed as soon as the block is authenticated.  Returns 0, or
 * the refusal; from (may be NULL) is dropped and discouraged when the
 * block is bad (not merely late: another peer may have given us that
 * height first).
 */
/* A block being applied, for the relay hook. */
struct relay_ctx {
	struct p2p *p;
	struct peer *from;
	const uint8_t *msg;
	size_t len;
	uint64_t height;
};

/*
 * Hand what is queued for pe to the kernel now.  The loop thread is about
 * to execute a block (tens of ms) and a socket bufferevent writes only
 * from its own callback on a later turn of the loop; it keeps the front of
 * its output frozen except there, hence the thaw.  What the socket does
 * not take now is written by the bufferevent as usual.
 */
static void peer_push_now(struct peer *pe)
{
	struct evbuffer *out = bufferevent_get_output(pe->bev);

	evbuffer_unfreeze(out, 1);
	evbuffer_write(out, bufferevent_getfd(pe->bev));
	evbuffer_freeze(out, 1);
}

/*
 * cons_apply_block's hook: the block is authenticated (it extends our tip
 * and the validator set certified it) and not yet executed.  Forward the
 * message as received to every peer not known to have it: propagation to
 * the far end of a line of nodes then costs about one hop's time, not one
 * execution per hop.  (A certified block that fails to execute would mean
 * the validators signed an invalid block; peers judge it the same way.)
 */
static void relay_checked(void *arg)
{
	struct relay_ctx *r = arg;
	struct peer *pe, *next;

	for (pe = r->p->peers; pe; pe = next) {
		next = pe->next;
		if (pe == r->from || pe->state != PS_READY || pe->closing ||
		    pe->height >= r->height)
			continue;
		if (p2p_peer_send(pe, r->msg, r->len) == 0) {
			pe->height = r->height;     /* it has it now */
			peer_push_now(pe);
		}
	}
}

static int apply_block(struct p2p *p, struct peer *from, const uint8_t *blk,
                       size_t blen, const uint8_t *cert, size_t clen,
                       uint64_t h, const uint8_t *msg, size_t msglen)
{
	struct relay_ctx rc_ctx = { p, from, msg, msglen, h };
	char why[256] = "";
	uint8_t hash[32];
	uint64_t ch;
	int rc = cons_apply_block_then(p->cfg.cons, blk, blen, cert, clen,
	                               msg ? relay_checked : NULL, &rc_ctx, why,
	                               sizeof(why));

	/* A certified block at tip + 1 on another parent: the validator set
	 * certified a chain that is not ours, a safety failure too. */
	if (rc == EMBER_BLK_PREV && p->cfg.on_fork &&
	    cons_block_certified(p->cfg.g, blk, blen, cert, clen, &ch, hash) == 0) {
		p->cfg.on_fork(p->cfg.on_block_ctx, h, blk, blen, cert, clen);
		return rc;
	}
	if (rc == EMBER_BLK_HEIGHT || rc == EMBER_BLK_PREV)
		return rc;
	if (rc) {
		if (from)
			p2p_peer_drop(from, 1, "block %llu refused: %s",
			          (unsigned long long)h, why[0] ? why : ember_strerror(rc));
		else
			p2p_log(p, "p2p: buffered block %llu refused: %s",
			     (unsigned long long)h, why[0] ? why : ember_strerror(rc));
		return rc;
	}
	if (from && from->height < h)
		from->height = h;
	if (from)
		from->last_block_ms = p2p_mono_ms();
	if (p->cfg.on_block)
		p->cfg.on_block(p->cfg.on_block_ctx);
	push_block(p, h, from);
	return 0;
}

/* --- message handlers --------------------------------------------------- */

static int parse_peer(const char *s, struct dial *d);

/*
 * The peers to redial after a restart: every dial target that proved its
 * id, as "ID@HOST:PORT" lines, written whole (tmp file, rename) so a
 * crash leaves the old list or the new one.
 */
static void peers_save(struct p2p *p)
{
	char tmp[4200], hex[65];
	FILE *f;

	if (!p->cfg.peers_file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", p->cfg.peers_file);
	if (!(f = fopen(tmp, "w")))
		return;
	for (size_t i = 0; i < p->ndials; i++) {
		const struct dial *d = &p->dials[i];
		const char *hp = strchr(d->text, '@');
		if (!d->has_id || d->dead)
			continue;
		ember_hex_encode(d->id, 32, hex);
		fprintf(f, "%s@%s\n", hex, hp ? hp + 1 : d->text);
	}
	if (fclose(f) != 0 || rename(tmp, p->cfg.peers_file) != 0)
		unlink(tmp);
}

/*
 * A peer past STATUS: pin the id of the --peer it came from, or learn an
 * inbound peer's listening address (its address with the port its STATUS
 * named), so both are redialled after a restart.
 */
static void peers_learn(struct p2p *p, struct peer *pe, uint16_t listen_port)
{
	char hex[65], text[160];
	struct dial *d;

	if (pe->dial) {
		if (pe->dial->has_id)
			return;
		memcpy(pe->dial->id, pe->id, 32);
		pe->dial->has_id = 1;
		peers_save(p);
		return;
	}
	if (!listen_port)
		return;
	for (size_t i = 0; i < p->ndials; i++)
		if (p->dials[i].has_id && memcmp(p->dials[i].id, pe->id, 32) == 0)
			return;
	d = NULL;
	if (p->ndials < p->dialcap)
		d = &p->dials[p->ndials];
	else
		for (size_t i = 0; i < p->ndials && !d; i++)
			if (p->dials[i].dead && !p->dials[i].conn)
				d = &p->dials[i];
	if (!d)
		return;
	ember_hex_encode(pe->id, 32, hex);
	snprintf(text, sizeof(text), "%s@%s%s%s:%u", hex, strchr(pe->ip, ':') ? "[" : "",
	         pe->ip, strchr(pe->ip, ':') ? "]" : "", (unsigned)listen_port);
	if (parse_peer(text, d) != 0) {
		memset(d, 0, sizeof(*d));
		return;
	}
	d->learned = 1;
	d->backoff = 1000;
	/* Connected already (inbound): no dial while that lasts. */
	d->next_try = p2p_mono_ms() + P2P_BACKOFF_MAX_MS;
	if (d == &p->dials[p->ndials])
		p->ndials++;
	peers_save(p);
}

static int h_status(struct peer *pe, const uint8_t *m, size_t len)
{
	struct p2p *p = pe->p;
	struct p2p_status st;
	char gh[65], sid[17];

	if (p2p_status_decode(&st, m, len) != 0) {
		p2p_peer_drop(pe, 1, "malformed status");
		return -1;
	}
	if (strcmp(st.chain_id, p->cfg.g->chain_id) != 0 ||
	    memcmp(st.genesis_hash, p->cfg.g->hash, 32) != 0) {
		ember_hex_encode(st.genesis_hash, 32, gh);
		gh[16] = 0;
		p2p_peer_drop(pe, 0, "it runs chain '%s' (genesis %s...), this node runs '%s'",
		          st.chain_id, gh, p->cfg.g->chain_id);
		return -1;
	}
	if (pe->state == PS_STATUS) {
		pe->state = PS_READY;
		p2p_log(p, "p2p: connected %s peer %s (%s) at height %llu",
		     pe->inbound ? "inbound" : "outbound", p2p_short_id(pe->id, sid),
		     pe->addr, (unsigned long long)st.height);
		if (pe->dial) {
			pe->dial->backoff = 1000;
			pe->dial->fails = 0;
		}
		peers_learn(p, pe, st.listen_port);
	}
	pe->height = st.height;
	p2p_sync_pump(p);
	return 0;
}

static int h_getblocks(struct peer *pe, const uint8_t *m, size_t len)
{
	struct p2p *p = pe->p;
	struct ember_tip t = p2p_tip(p);
	struct p2p_getblocks gb;

	if (p2p_getblocks_decode(&gb, m, len) != 0) {
		p2p_peer_drop(pe, 1, "malformed getblocks");
		return -1;
	}
	for (uint64_t h = gb.from; h < gb.from + gb.count && h <= t.height; h++) {
		size_t n;
		uint8_t *b = block_msg(p, h, &n);
		int rc;
		if (!b)
			break;
		rc = p2p_peer_send(pe, b, n);
		free(b);
		if (rc)
			return -1;
	}
	return 0;
}

/*
 * A block at a height we already hold: the same one (nothing to do), a
 * forgery (the peer is dropped), or another block the validator set
 * certified at that height, which BFT says cannot happen: a safety
 * failure, handed to the node with the evidence.
 */
static int check_fork(struct peer *pe, const struct p2p_block *b)
{
	struct p2p *p = pe->p;
	struct ember_header h;
	struct ember_txn *t;
	const uint8_t *ours;
	uint8_t theirs[32], mine[32];
	uint64_t height;
	size_t olen;
	int rc;

	if (b->blklen < EMBER_HEADER_SIZE ||
	    ember_header_decode(&h, b->blk, EMBER_HEADER_SIZE) != 0 ||
	    h.height != b->height) {
		p2p_peer_drop(pe, 1, "block %llu does not decode as that height",
		          (unsigned long long)b->height);
		return -1;
	}
	ember_header_hash(&h, theirs);
	if (ember_store_read(p->cfg.store, &t))
		return 0;
	rc = ember_chain_get_block(t, b->height, &ours, &olen);
	if (!rc && olen >= EMBER_HEADER_SIZE &&
	    ember_header_decode(&h, ours, EMBER_HEADER_SIZE) == 0)
		ember_header_hash(&h, mine);
	else
		rc = -1;
	ember_txn_abort(t);
	if (rc || memcmp(mine, theirs, 32) == 0)
		return 0;
	if (cons_block_certified(p->cfg.g, b->blk, b->blklen, b->cert, b->certlen,
	                         &height, theirs) != 0) {
		p2p_peer_drop(pe, 1, "sent a block %llu that is not ours and not certified",
		          (unsigned long long)b->height);
		return -1;
	}
	if (p->cfg.on_fork)
		p->cfg.on_fork(p->cfg.on_block_ctx, b->height, b->blk, b->blklen,
		               b->cert, b->certlen);
	return 0;
}

static int h_block(struct peer *pe, const uint8_t *m, size_t len)
{
	struct p2p *p = pe->p;
	struct ember_tip t = p2p_tip(p);
	struct p2p_block b;
	struct future *slot = NULL;

	if (p2p_block_decode(&b, m, len) != 0) {
		p2p_peer_drop(pe, 1, "malformed block message");
		return -1;
	}
	if (b.height > pe->height)
		pe->height = b.height;
	p2p_sync_got(p, pe, b.height);
	if (b.height <= t.height)
		return check_fork(pe, &b);
	if (b.height == t.height + 1) {
		int rc = apply_block(p, pe, b.blk, b.blklen, b.cert, b.certlen,
		                     b.height, m, len);
		if (rc && rc != EMBER_BLK_HEIGHT && rc != EMBER_BLK_PREV)
			return -1;  /* pe was dropped */
		drain_future(p);
		p2p_sync_pump(p);
		return 0;
	}
	/* Ahead of tip + 1: keep it until the gap is filled, if it is near
	 * (within the buffer's reach) and there is room (count and bytes),
	 * with its sender, who answers for it when it is applied. */
	if (b.height > t.height + P2P_FUTURE_MAX ||
	    b.blklen + b.certlen > P2P_FUTURE_BYTES - p->fut_bytes) {
		p2p_sync_pump(p);
		return 0;
	}
	for (size_t i = 0; i < P2P_FUTURE_MAX; i++) {
		if (p->fut[i].blk && p->fut[i].height == b.height)
			return 0;
		if (!p->fut[i].blk && !slot)
			slot = &p->fut[i];
	}
	if (slot && (slot->blk = malloc(b.blklen)) &&
	    (!b.certlen || (slot->cert = malloc(b.certlen)))) {
		memcpy(slot->blk, b.blk, b.blklen);
		if (b.certlen)
			memcpy(slot->cert, b.cert, b.certlen);
		slot->blen = b.blklen;
		slot->clen = b.certlen;
		slot->height = b.height;
		slot->from = pe->serial;
		p->fut_bytes += b.blklen + b.certlen;
	} else if (slot) {
		free(slot->blk);
		memset(slot, 0, sizeof(*slot));
	}
	p2p_sync_pump(p);
	return 0;
}

/* Admission's verdict on a peer's tx: a bad signature or a tx that does
 * not decode is the peer's fault. */
static void tx_done(void *ctx, void *user, int code, const uint8_t *txid,
                    const char *why)
{
	struct p2p *p = ctx;
	uint64_t serial = (uint64_t)(uintptr_t)user;
	(void)txid;
	if (code != EMBER_TX_BAD_SIG && !(code <= EMBER_ENC_TRUNCATED && code > EMBER_ENC_TRUNCATED - 100))
		return;
	for (struct peer *pe = p->peers; pe; pe = pe->next)
		if (pe->serial == serial && !pe->closing) {
			p2p_peer_drop(pe, 1, "sent an invalid tx: %s", why);
			return;
		}
}

static int h_txs(struct peer *pe, const uint8_t *m, size_t len)
{
	struct p2p *p = pe->p;
	struct ember_admit_item *items;
	struct p2p_txs *t = malloc(sizeof(*t));
	size_t k = 0;

	if (!t)
		return 0;
	if (p2p_txs_decode(t, m, len) != 0) {
		free(t);
		p2p_peer_drop(pe, 1, "malformed txs message");
		return -1;
	}
	if (!(items = calloc(t->n, sizeof(*items)))) {
		free(t);
		return 0;
	}
	for (size_t i = 0; i < t->n; i++) {
		uint8_t txid[32];
		ember_txid(t->tx[i], t->len[i], txid);
		/* An honest peer sends a tx once (both sides keep known sets);
		 * one that floods the same txs again goes. */
		if (known_has(pe, txid, 0) && ++pe->repeats > P2P_REPEATS_MAX) {
			for (size_t j = 0; j < k; j++)
				free(items[j].enc);
			free(items);
			free(t);
			p2p_peer_drop(pe, 1, "repeats txs it already sent (%u times)", pe->repeats);
			return -1;
		}
		known_has(pe, txid, 1);
		if (ember_mempool_get(p->cfg.mp, txid))
			continue;           /* known here too: no second verify */
		if (!(items[k].enc = malloc(t->len[i])))
			break;
		memcpy(items[k].enc, t->tx[i], t->len[i]);
		items[k].len = t->len[i];
		items[k].user = (void *)(uintptr_t)pe->serial;
		k++;
		pe->last_tx_ms = p2p_mono_ms();
	}
	free(t);
	if (k && ember_admit_submit(p->cfg.admit, items, k, EMBER_SRC_P2P, tx_done, p)) {
		/* answered EMBER_ENOMEM: nothing to do */
	}
	free(items);
	return 0;
}

static int h_ping(struct peer *pe, const uint8_t *m, size_t len)
{
	struct p2p_ping pg;
	uint8_t buf[16];
	size_t n;
	if (p2p_ping_decode(&pg, m, len) != 0) {
		p2p_peer_drop(pe, 1, "malformed ping");
		return -1;
	}
	if (m[0] == P2P_MSG_PONG) {
		/* The answer to our PING: its round trip.  Others are ignored. */
		if (pe->ping_sent_ms && pg.nonce == pe->ping_nonce) {
			pe->ping_ms = p2p_mono_ms() - pe->ping_sent_ms;
			pe->ping_sent_ms = 0;
		}
		return 0;
	}
	if (p2p_ping_encode(P2P_MSG_PONG, &pg, buf, sizeof(buf), &n) != 0)
		return 0;
	return p2p_peer_send(pe, buf, n);
}

/* Each tick: a ready peer is pinged every P2P_PING_MS (its round trip is
 * shown and protects it from eviction); one that leaves a PING
 * unanswered for P2P_PING_TIMEOUT_MS is gone. */
static void ping_tick(struct p2p *p, uint64_t now)
{
	struct peer *pe, *next;

	for (pe = p->peers; pe; pe = next) {
		struct p2p_ping pg;
		uint8_t buf[16];
		size_t n;

		next = pe->next;
		if (pe->closing || pe->state != PS_READY)
			continue;
		if (pe->ping_sent_ms) {
			if (now - pe->ping_sent_ms > P2P_PING_TIMEOUT_MS)
				p2p_peer_drop(pe, 0, "did not answer a ping in %d s",
				              P2P_PING_TIMEOUT_MS / 1000);
			continue;
		}
		if (pe->ping_ms != UINT64_MAX && now - pe->ping_at < P2P_PING_MS)
			continue;
		randombytes_buf(&pg.nonce, sizeof(pg.nonce));
		if (p2p_ping_encode(P2P_MSG_PING, &pg, buf, sizeof(buf), &n) != 0 ||
		    p2p_peer_send(pe, buf, n) != 0)
			continue;
		pe->ping_nonce = pg.nonce;
		pe->ping_sent_ms = now ? now : 1;
		pe->ping_at = now;
	}
}

/* --- consensus messages ------------------------------------------------- */

/* The first 32 bytes of SHA-256(msg): a consensus message's name in the
 * per-peer known sets (shared with txids: a collision costs one relay). */
static void msg_id(const uint8_t *m, size_t len, uint8_t id[32])
{
	ember_sha256(m, len, id);
}

/* Send msg (named id, msg_id) to every ready peer but from that is not
 * known to have it. */
static void gossip(struct p2p *p, struct peer *from, const uint8_t *m, size_t len,
                   const uint8_t id[32])
{
	struct peer *pe, *next;

	for (pe = p->peers; pe; pe = next) {
		next = pe->next;
		if (pe == from || pe->state != PS_READY || pe->closing || known_has(pe, id, 0))
			continue;
		known_has(pe, id, 1);
		if (p2p_peer_send(pe, m, len) == 0)
			peer_push_now(pe);
	}
}

/* What the node said about a peer's consensus message (id: msg_id). */
static int bft_verdict(struct peer *pe, int rc, const char *what, const uint8_t *m,
                       size_t len, const uint8_t id[32])
{
	if (rc == 0) {
		gossip(pe->p, pe, m, len, id);
		return 0;
	}
	if (rc == EMBER_BFT_OLD || rc == EMBER_BFT_FUTURE || rc == EMBER_BFT_CONFLICT)
		return 0;
	p2p_peer_drop(pe, 1, "sent a bad %s: %s", what, ember_strerror(rc));
	return -1;
}

static int h_proposal(struct peer *pe, const uint8_t *m, size_t len)
{
	struct p2p *p = pe->p;
	struct p2p_proposal pr;
	uint8_t id[32];

	if (p2p_proposal_decode(&pr, m, len) != 0) {
		p2p_peer_drop(pe, 1, "malformed proposal");
		return -1;
	}
	msg_id(m, len, id);
	known_has(pe, id, 1);
	if (!p->cfg.on_proposal)
		return 0;
	return bft_verdict(pe, p->cfg.on_proposal(p->cfg.bft_ctx, &pr.p, pr.blk, pr.blklen),
	                   "proposal", m, len, id);
}

static int h_vote(struct peer *pe, const uint8_t *m, size_t len)
{
	struct p2p *p = pe->p;
	struct bft_vote v;
	uint8_t id[32];

	if (p2p_vote_decode(&v, m, len) != 0) {
		p2p_peer_drop(pe, 1, "malformed vote");
		return -1;
	}
	msg_id(m, len, id);
	known_has(pe, id, 1);
	if (!p->cfg.on_vote)
		return 0;
	return bft_verdict(pe, p->cfg.on_vote(p->cfg.bft_ctx, &v), "vote", m, len, id);
}

void p2p_send_proposal(struct p2p *p, const struct bft_proposal *pr,
                       const uint8_t *blk, size_t len)
{
	struct p2p_proposal m = { *pr, blk, len };
	size_t cap, n;
	uint8_t *buf;

	if (!p || !(cap = p2p_proposal_encoded_size(&m)) || !(buf = malloc(cap)))
		return;
	if (p2p_proposal_encode(&m, buf, cap, &n) == 0) {
		uint8_t id[32];
		msg_id(buf, n, id);
		gossip(p, NULL, buf, n, id);
	}
	free(buf);
}

void p2p_send_vote(struct p2p *p, const struct bft_vote *v)
{
	uint8_t buf[P2P_VOTE_LEN];

	uint8_t id[32];

	if (p && p2p_vote_encode(v, buf) == 0) {
		msg_id(buf, sizeof(buf), id);
		gossip(p, NULL, buf, sizeof(buf), id);
	}
}

/*
 * The message table: the generic layer checks the lengths, that STATUS
 * came first, and the type's rate (a token bucket per peer: rate per
 * second, burst) before a handler runs.  A handler returns -1 when it
 * dropped the peer.  Rates are far above what an honest peer sends and
 * exist to bound what a flood costs us, with bursts that cover a peer
 * whose loop stalled for seconds and reads a backlog at once: a node
 * sends STATUS at most every P2P_STATUS_MS, GETBLOCKS up to
 * P2P_SLICES_PER_PEER at a time as slices finish, TXS in relay batches,
 * a proposal per round and a few votes per validator and round (plus a
 * re-send a second); BLOCK is bounded by what sync asks and by validity
 * (a bad one drops the peer); PING every P2P_PING_MS.
 */
static const struct p2p_handler {
	uint8_t type;
	int (*fn)(struct peer *pe, const uint8_t *m, size_t len);
	int needs_status;
	uint32_t rate, burst;       /* messages per second; 0: no limit */
} p2p_handlers[] = {
	{ P2P_MSG_STATUS, h_status, 0, 1000, 2000 },
	{ P2P_MSG_GETBLOCKS, h_getblocks, 1, 1000, 2000 },
	{ P2P_MSG_BLOCK, h_block, 1, 0, 0 },
	{ P2P_MSG_TXS, h_txs, 1, 1000, 2000 },
	{ P2P_MSG_PING, h_ping, 0, 10, 20 },
	{ P2P_MSG_PONG, h_ping, 0, 10, 20 },
	{ P2P_MSG_PROPOSAL, h_proposal, 1, 1000, 2000 },
	{ P2P_MSG_VOTE, h_vote, 1, 10000, 20000 },
};

/* Take one message's token from pe's bucket for type.  Returns 0, or -1
 * when the peer sends that type faster than the table allows. */
static int rate_take(struct peer *pe, const struct p2p_handler *h)
{
	uint64_t now = p2p_mono_ms(), cap = (uint64_t)h->burst * 1000;
	uint64_t *b = &pe->bucket[h->type], *at = &pe->bucket_ms[h->type];

	if (!h->rate)
		return 0;
	if (!*at)
		*b = cap;                       /* a new peer starts full */
	else
		*b += (now - *at) * h->rate;    /* ms x msgs/s = milli-msgs */
	if (*b > cap)
		*b = cap;
	*at = now ? now : 1;
	if (*b < 1000)
		return -1;
	*b -= 1000;
	return 0;
}

static int dispatch(struct peer *pe, const uint8_t *m, size_t len)
{
	const struct p2p_handler *h = NULL;

	if (len == 0) {
		p2p_peer_drop(pe, 1, "empty message");
		return -1;
	}
	for (size_t i = 0; i < sizeof(p2p_handlers) / sizeof(p2p_handlers[0]); i++)
		if (p2p_handlers[i].type == m[0])
			h = &p2p_handlers[i];
	if (!h)
		return 0;           /* a newer peer's type: ignored */
	if (len < p2p_msg_min_len(m[0]) || len > p2p_msg_max_len(m[0])) {
		p2p_peer_drop(pe, 1, "%s message of %zu bytes is outside its limits",
		          p2p_msg_name(m[0]), len);
		return -1;
	}
	if (h->needs_status && pe->state != PS_READY) {
		p2p_peer_drop(pe, 1, "%s before status", p2p_msg_name(m[0]));
		return -1;
	}
	if (rate_take(pe, h) != 0) {
		p2p_peer_drop(pe, 1, "floods %s messages (over %u a second)",
		              p2p_msg_name(m[0]), h->rate);
		return -1;
	}
	return h->fn(pe, m, len);
}

/* --- the connection ----------------------------------------------------- */

static void on_read(struct bufferevent *bev, void *arg)
{
	struct peer *pe = arg;
	struct p2p *p = pe->p;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		size_t have = evbuffer_get_length(in);
		uint8_t hdr[4], *frame;
		size_t body, mlen;

		if (pe->closing)
			return;
		if (pe->state == PS_HELLO) {
			uint8_t h0[P2P_HELLO0_LEN], auth[P2P_AUTH_FRAME_LEN];
			if (have < P2P_HELLO0_LEN)
				return;
			evbuffer_remove(in, h0, sizeof(h0));
			pe->bytes_in += sizeof(h0);
			if (p2p_sec_on_hello0(pe->sec, h0, auth) != 0) {
				p2p_peer_drop(pe, 1, "handshake failed: not an ember node, or another version");
				return;
			}
			bufferevent_write(bev, auth, sizeof(auth));
			pe->bytes_out += sizeof(auth);
			pe->state = PS_AUTH;
			continue;
		}
		if (pe->state == PS_AUTH) {
			uint8_t auth[P2P_AUTH_FRAME_LEN];
			char sid[17];
			int rc;
			if (have < P2P_AUTH_FRAME_LEN)
				return;
			evbuffer_remove(in, auth, sizeof(auth));
			pe->bytes_in += sizeof(auth);
			if ((rc = p2p_sec_on_auth(pe->sec, auth)) != 0) {
				p2p_peer_drop(pe, rc != EMBER_P2P_PEER_ID, "handshake failed: %s",
				          rc == EMBER_P2P_PEER_ID ? "not the node id that was dialled"
				                                  : "bad authentication");
				return;
			}
			p2p_sec_peer_id(pe->sec, pe->id);
			pe->state = PS_STATUS;
			if (memcmp(pe->id, p->cfg.node_key->pub, 32) == 0) {
				p2p_peer_drop(pe, 0, "that is this node");
				return;
			}
			if (banned_id(p, pe->id)) {
				p2p_peer_drop(pe, 0, "discouraged");
				return;
			}
			for (struct peer *o = p->peers; o; o = o->next)
				if (o != pe && !o->closing && o->state >= PS_STATUS &&
				    memcmp(o->id, pe->id, 32) == 0) {
					p2p_peer_drop(pe, 0, "already connected to %s", p2p_short_id(pe->id, sid));
					return;
				}
			if (send_status(pe) != 0)
				return;
			continue;
		}
		if (have < 4)
			return;
		evbuffer_copyout(in, hdr, 4);
		if (!(body = p2p_sec_frame_len(hdr))) {
			p2p_peer_drop(pe, 1, "frame of %u bytes is outside the limits",
			          (unsigned)hdr[0] | (unsigned)hdr[1] << 8 |
			          (unsigned)hdr[2] << 16 | (unsigned)hdr[3] << 24);
			return;
		}
		if (have < 4 + body)
			return;
		if (body - P2P_TAG_LEN > pe->msgcap) {
			uint8_t *nm = realloc(pe->msg, body);
			if (!nm) {
				p2p_peer_drop(pe, 0, "out of memory");
				return;
			}
			pe->msg = nm;
			pe->msgcap = body;
		}
		frame = evbuffer_pullup(in, (ev_ssize_t)(4 + body));
		if (!frame || p2p_sec_unseal(pe->sec, frame, 4 + body, pe->msg,
		                             pe->msgcap, &mlen) != 0) {
			p2p_peer_drop(pe, 1, "a frame does not authenticate");
			return;
		}
		evbuffer_drain(in, 4 + body);
		pe->bytes_in += 4 + body;
		dispatch(pe, pe->msg, mlen);   /* may drop pe: checked above */
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct peer *pe = arg;
	uint8_t h0[P2P_HELLO0_LEN];
	(void)bev;

	if (pe->closing)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		p2p_sec_hello0(pe->sec, h0);
		bufferevent_write(pe->bev, h0, sizeof(h0));
		pe->bytes_out += sizeof(h0);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		p2p_peer_drop(pe, 0, "%s", (what & BEV_EVENT_EOF) ? "connection closed"
		          : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static struct peer *peer_new(struct p2p *p, struct bufferevent *bev, int inbound,
                             const uint8_t *expect_id)
{
	struct peer *pe = calloc(1, sizeof(*pe));
	if (!pe || p2p_sec_new(&pe->sec, !inbound, p->cfg.node_key, expect_id) != 0) {
		free(pe);
		bufferevent_free(bev);
		return NULL;
	}
	pe->p = p;
	pe->bev = bev;
	pe->inbound = inbound;
	pe->serial = ++p->next_serial;
	pe->connected_ms = wall_ms();
	pe->started_mono = p2p_mono_ms();
	pe->ping_ms = UINT64_MAX;
	pe->next = p->peers;
	p->peers = pe;
	p->npeers++;
	/* Never buffer more than one whole frame from a peer. */
	bufferevent_setwatermark(bev, EV_READ, 0, 4 + P2P_FRAME_MAX);
	bufferevent_setcb(bev, on_read, NULL, on_event, pe);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return pe;
}

/* Dials an operator asked for (--peer, addpeer): their slots are kept. */
static size_t configured_dials(const struct p2p *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->ndials; i++)
		n += !p->dials[i].learned;
	return n;
}

/* --- eviction ------------------------------------------------------------ */

/* Each protection sorts the candidates so the ones to keep come first;
 * ties go to the older connection (lower serial), so the order is total. */
static int by_ping(const void *a, const void *b)
{
	const struct peer *x = *(struct peer *const *)a, *y = *(struct peer *const *)b;
	int d = (x->ping_ms > y->ping_ms) - (x->ping_ms < y->ping_ms);
	return d ? d : (x->serial > y->serial) - (x->serial < y->serial);
}
static int by_tx(const void *a, const void *b)
{
	const struct peer *x = *(struct peer *const *)a, *y = *(struct peer *const *)b;
	int d = (x->last_tx_ms < y->last_tx_ms) - (x->last_tx_ms > y->last_tx_ms);
	return d ? d : (x->serial > y->serial) - (x->serial < y->serial);
}
static int by_block(const void *a, const void *b)
{
	const struct peer *x = *(struct peer *const *)a, *y = *(struct peer *const *)b;
	int d = (x->last_block_ms < y->last_block_ms) - (x->last_block_ms > y->last_block_ms);
	return d ? d : (x->serial > y->serial) - (x->serial < y->serial);
}
/* Age by serial, not by clock: two connections in one millisecond still
 * have an order. */
static int by_age(const void *a, const void *b)
{
	const struct peer *x = *(struct peer *const *)a, *y = *(struct peer *const *)b;
	return (x->serial > y->serial) - (x->serial < y->serial);
}

/* Sort c[0..*n) with cmp and drop from it the first k that qualify
 * (those that have the measure at all). */
static void protect(struct peer **c, size_t *n, int (*cmp)(const void *, const void *),
                    size_t k, int (*has)(const struct peer *))
{
	size_t kept = 0;
	qsort(c, *n, sizeof(*c), cmp);
	while (kept < k && kept < *n && has(c[kept]))
		kept++;
	memmove(c, c + kept, (*n - kept) * sizeof(*c));
	*n -= kept;
}
static int has_ping(const struct peer *pe) { return pe->ping_ms != UINT64_MAX; }
static int has_tx(const struct peer *pe) { return pe->last_tx_ms != 0; }
static int has_block(const struct peer *pe) { return pe->last_block_ms != 0; }
static int has_any(const struct peer *pe) { (void)pe; return 1; }

/*
 * The inbound slots are full and a newcomer knocks: as Bitcoin Core's
 * SelectNodeToEvict does, keep the inbound peers that are hard for an
 * attacker to imitate — the 4 with the lowest ping, the 4 that last gave
 * us new txs, the 4 that last gave us new blocks, then the older half of
 * the rest — and from what is left evict the youngest connection of the
 * address with the most connections.  Returns the peer to drop, or NULL
 * (nobody is evictable: the newcomer is refused).
 */
static struct peer *evict_candidate(struct p2p *p)
{
	struct peer **c, *pe, *victim = NULL;
	size_t n = 0, best = 0;

	if (!(c = calloc(p->npeers ? p->npeers : 1, sizeof(*c))))
		return NULL;
	for (pe = p->peers; pe; pe = pe->next)
		if (pe->inbound && !pe->closing)
			c[n++] = pe;
	protect(c, &n, by_ping, 4, has_ping);
	protect(c, &n, by_tx, 4, has_tx);
	protect(c, &n, by_block, 4, has_block);
	protect(c, &n, by_age, n / 2, has_any);
	for (size_t i = 0; i < n; i++) {
		size_t same = 0;
		struct peer *young = NULL;
		for (size_t j = 0; j < n; j++)
			if (strcmp(c[j]->ip, c[i]->ip) == 0) {
				same++;
				if (!young || c[j]->serial > young->serial)
					young = c[j];
			}
		if (same > best) {
			best = same;
			victim = young;
		}
	}
	free(c);
	return victim;
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *arg)
{
	struct p2p *p = arg;
	struct bufferevent *bev;
	struct peer *pe;
	char addr[64], ip[48];
	size_t same_ip = 0, inbound = 0;
	int loop, one = 1;
	uint8_t h0[P2P_HELLO0_LEN];
	(void)lev;
	(void)salen;

	sock_text(sa, addr, sizeof(addr), ip, sizeof(ip), &loop);
	for (struct peer *o = p->peers; o; o = o->next) {
		inbound += o->inbound;
		same_ip += o->inbound && strcmp(o->ip, ip) == 0;
	}
	/* Inbound connections never take the slots of the configured peers,
	 * so a flood of them cannot cut the node off from its own. */
	if ((!loop && banned_ip(p, ip)) || same_ip >= p->cfg.max_inbound_per_ip) {
		evutil_closesocket(fd);
		return;
	}
	if (p->npeers >= p->cfg.max_peers ||
	    inbound + configured_dials(p) >= p->cfg.max_peers) {
		struct peer *victim = inbound ? evict_candidate(p) : NULL;
		if (!victim) {
			evutil_closesocket(fd);
			return;
		}
		p2p_peer_drop(victim, 0, "evicted for a new inbound peer");
	}
	/* Messages are whole frames written at once: no Nagle delay on the
	 * last segment of a block (Bitcoin Core does the same). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!(bev = bufferevent_socket_new(p->cfg.base, fd, BEV_OPT_CLOSE_ON_FREE)))
		return;
	if (!(pe = peer_new(p, bev, 1, NULL)))
		return;
	snprintf(pe->addr, sizeof(pe->addr), "%s", addr);
	snprintf(pe->ip, sizeof(pe->ip), "%s", ip);
	pe->loopback = loop;
	p2p_sec_hello0(pe->sec, h0);
	bufferevent_write(bev, h0, sizeof(h0));
	pe->bytes_out += sizeof(h0);
}

static void dial(struct p2p *p, struct dial *d)
{
	struct bufferevent *bev;
	struct peer *pe;
	int loop, one = 1;

	d->next_try = p2p_mono_ms() + d->backoff;
	if (!(bev = bufferevent_socket_new(p->cfg.base, -1, BEV_OPT_CLOSE_ON_FREE)))
		return;
	if (!(pe = peer_new(p, bev, 0, d->has_id ? d->id : NULL)))
		return;
	pe->dial = d;
	d->conn = pe;
	sock_text((struct sockaddr *)&d->ss, pe->addr, sizeof(pe->addr), pe->ip,
	          sizeof(pe->ip), &loop);
	pe->loopback = loop;
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&d->ss, d->sslen) != 0) {
		p2p_peer_drop(pe, 0, "cannot connect");
		return;
	}
	setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Is the peer d names connected already (e.g. it dialled us)? */
static int connected_id(struct p2p *p, const struct dial *d)
{
	if (!d->has_id)
		return 0;
	for (struct peer *pe = p->peers; pe; pe = pe->next)
		if (!pe->closing && pe->state >= PS_STATUS && memcmp(pe->id, d->id, 32) == 0)
			return 1;
	return 0;
}

/* Every few seconds while a peer is ahead: where sync stands. */
static void sync_log(struct p2p *p, uint64_t now)
{
	struct ember_tip t = p2p_tip(p);
	uint64_t target;

	if (!p2p_syncing(p, &target)) {
		p->log_at = 0;
		p->rate = 0;
		return;
	}
	if (!p->log_at) {
		p->log_at = now;
		p->log_height = t.height;
		return;
	}
	if (now - p->log_at < 5000)
		return;
	p->rate = (t.height - p->log_height) * 1000 / (now - p->log_at);
	p2p_log(p, "p2p: syncing: height %llu of %llu, %llu blocks/s",
	     (unsigned long long)t.height, (unsigned long long)target,
	     (unsigned long long)p->rate);
	p->log_at = now;
	p->log_height = t.height;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct p2p *p = arg;
	uint64_t now = p2p_mono_ms();
	struct peer *pe, *next;
	(void)fd;
	(void)what;

	for (pe = p->peers; pe; pe = next) {
		next = pe->next;
		if (!pe->closing && pe->state < PS_READY &&
		    now - pe->started_mono > P2P_HANDSHAKE_MS)
			p2p_peer_drop(pe, 0, "handshake timed out");
	}
	p2p_sync_tick(p, now);
	ping_tick(p, now);
	sync_log(p, now);
	for (size_t i = 0; i < p->ndials; i++)
		if (!p->dials[i].conn && !p->dials[i].dead && now >= p->dials[i].next_try &&
		    p->npeers < p->cfg.max_peers && !connected_id(p, &p->dials[i]))
			dial(p, &p->dials[i]);
	p2p_sync_pump(p);
}

/* --- relay -------------------------------------------------------------- */

void p2p_announce_tx(void *arg, const uint8_t txid[32], int source)
{
	struct p2p *p = arg;
	(void)source;
	if (p->nrelay == p->caprelay) {
		size_t cap = p->caprelay ? p->caprelay * 2 : 256;
		void *np = realloc(p->relay, cap * 32);
		if (!np)
			return;
		p->relay = np;
		p->caprelay = cap;
	}
	memcpy(p->relay[p->nrelay++], txid, 32);
	if (p->nrelay == 1)
		event_active(p->relay_ev, EV_WRITE, 0);
}

/* One TXS message per peer with the turn's txs it is not known to have. */
static void on_relay(evutil_socket_t fd, short what, void *arg)
{
	struct p2p *p = arg;
	struct p2p_txs *t = malloc(sizeof(*t));
	struct peer *pe, *next;
	(void)fd;
	(void)what;

	if (!t)
		goto out;
	for (pe = p->peers; pe; pe = next) {
		size_t i = 0;
		next = pe->next;
		if (pe->state != PS_READY || pe->closing)
			continue;
		while (i < p->nrelay) {
			size_t bytes = 16, cap, n;
			uint8_t *m;
			t->n = 0;
			for (; i < p->nrelay && t->n < P2P_TXS_MAX; i++) {
				const struct ember_mp_entry *e = ember_mempool_get(p->cfg.mp, p->relay[i]);
				if (!e || known_has(pe, p->relay[i], 0))
					continue;
				if (bytes + e->len + 10 > p2p_msg_max_len(P2P_MSG_TXS))
					break;
				known_has(pe, p->relay[i], 1);
				t->tx[t->n] = e->enc;
				t->len[t->n++] = e->len;
				bytes += e->len + 10;
			}
			if (!t->n)
				break;
			cap = p2p_txs_encoded_size(t);
			if (!(m = malloc(cap)))
				break;
			if (p2p_txs_encode(t, m, cap, &n) == 0 && p2p_peer_send(pe, m, n) != 0) {
				free(m);
				break;  /* dropped */
			}
			free(m);
		}
	}
	free(t);
out:
	p->nrelay = 0;
}

/* --- lifecycle ---------------------------------------------------------- */

/* A numeric "HOST:PORT" (IPv6 as "[::1]:PORT"), port 0 allowed (libevent's
 * parser refuses it; 0 asks the kernel for a free port).  Returns 0 or -1. */
static int parse_numeric(const char *s, struct sockaddr_storage *ss, int *sl)
{
	const char *colon = strrchr(s, ':');
	char tmp[160];
	unsigned long port;
	char *end;

	if (!colon || strlen(s) >= sizeof(tmp))
		return -1;
	port = strtoul(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port > 65535)
		return -1;
	snprintf(tmp, sizeof(tmp), "%.*s:1", (int)(colon - s), s);
	*sl = (int)sizeof(*ss);
	if (evutil_parse_sockaddr_port(tmp, (struct sockaddr *)ss, sl) != 0)
		return -1;
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	return 0;
}

/* "[ID@]HOST:PORT" -> d.  Returns 0 or -1. */
static int parse_peer(const char *s, struct dial *d)
{
	const char *at = strchr(s, '@'), *hp = at ? at + 1 : s;
	char host[128];
	const char *colon = strrchr(hp, ':');
	struct addrinfo hints, *res = NULL;
	size_t w;

	memset(d, 0, sizeof(*d));
	snprintf(d->text, sizeof(d->text), "%s", s);
	if (at) {
		if (at - s != 64 || ember_hex_decode(s, 64, d->id, 32, &w) != 0 || w != 32)
			return -1;
		d->has_id = 1;
	}
	if (parse_numeric(hp, &d->ss, &d->sslen) == 0)
		return 0;
	if (!colon || (size_t)(colon - hp) >= sizeof(host))
		return -1;
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res)
		return -1;
	memcpy(&d->ss, res->ai_addr, res->ai_addrlen);
	d->sslen = (int)res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* The peers learned before a restart (peers_save), after the --peer ones;
 * a line naming a configured peer's address again is skipped. */
static void peers_load(struct p2p *p)
{
	char line[256];
	FILE *f;

	if (!p->cfg.peers_file || !(f = fopen(p->cfg.peers_file, "r")))
		return;
	while (fgets(line, sizeof(line), f) && p->ndials < p->dialcap) {
		struct dial *d = &p->dials[p->ndials];
		const char *hp;
		int dup = 0;
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || parse_peer(line, d) != 0)
			continue;
		hp = strchr(line, '@') ? strchr(line, '@') + 1 : line;
		for (size_t i = 0; i < p->ndials && !dup; i++) {
			const char *o = strchr(p->dials[i].text, '@');
			dup = strcmp(o ? o + 1 : p->dials[i].text, hp) == 0;
			if (dup && !p->dials[i].has_id && d->has_id) {
				memcpy(p->dials[i].id, d->id, 32);
				p->dials[i].has_id = 1;
			}
		}
		if (dup)
			continue;
		d->learned = 1;
		d->backoff = 1000;
		p->ndials++;
	}
	fclose(f);
}

int p2p_new(struct p2p **out, const struct p2p_cfg *cfg, char *err, size_t errlen)
{
	struct p2p *p;
	struct timeval tv = { 0, P2P_TICK_MS * 1000 };
	int rc = EMBER_ENOMEM;

	if (!out || !cfg || !cfg->base || !cfg->g || !cfg->store || !cfg->cons ||
	    !cfg->admit || !cfg->mp || !cfg->node_key)
		return EMBER_EINVAL;
	if (!(p = calloc(1, sizeof(*p))))
		return EMBER_ENOMEM;
	p->cfg = *cfg;
	if (!p->cfg.max_peers)
		p->cfg.max_peers = 64;
	if (!p->cfg.max_inbound_per_ip)
		p->cfg.max_inbound_per_ip = 8;
	p->dialcap = cfg->npeers + P2P_LEARNED_MAX;
	if (!(p->dials = calloc(p->dialcap, sizeof(*p->dials))))
		goto fail;
	for (size_t i = 0; i < cfg->npeers; i++) {
		if (parse_peer(cfg->peers[i], &p->dials[i]) != 0) {
			ember_errf(err, errlen, "invalid peer '%s': expected [NODEID@]HOST:PORT "
			           "with a 64-hex-digit node id", cfg->peers[i]);
			rc = EMBER_EINVAL;
			goto fail;
		}
		p->dials[i].backoff = 1000;
		p->ndials++;
	}
	peers_load(p);
	if (cfg->listen) {
		struct sockaddr_storage ss;
		int sl = (int)sizeof(ss);
		socklen_t bl = sizeof(ss);
		if (parse_numeric(cfg->listen, &ss, &sl) != 0) {
			ember_errf(err, errlen, "invalid p2p address '%s': expected HOST:PORT",
			           cfg->listen);
			rc = EMBER_EINVAL;
			goto fail;
		}
		p->lev = evconnlistener_new_bind(cfg->base, on_accept, p,
		                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
		                                 64, (struct sockaddr *)&ss, sl);
		if (!p->lev) {
			ember_errf(err, errlen, "cannot listen for peers on '%s': %s",
			           cfg->listen, strerror(errno));
			rc = EMBER_EIO;
			goto fail;
		}
		if (getsockname(evconnlistener_get_fd(p->lev), (struct sockaddr *)&ss, &bl) == 0)
			p->port = ntohs(ss.ss_family == AF_INET6
			                ? ((struct sockaddr_in6 *)&ss)->sin6_port
			                : ((struct sockaddr_in *)&ss)->sin_port);
	}
	if (!(p->tick_ev = event_new(cfg->base, -1, EV_PERSIST, on_tick, p)) ||
	    !(p->relay_ev = event_new(cfg->base, -1, 0, on_relay, p)) ||
	    !(p->status_ev = event_new(cfg->base, -1, 0, on_status, p)) ||
	    !(p->reap_ev = event_new(cfg->base, -1, 0, on_reap, p)))
		goto fail;
	event_add(p->tick_ev, &tv);
	for (size_t i = 0; i < p->ndials; i++)
		dial(p, &p->dials[i]);
	*out = p;
	return 0;
fail:
	p2p_free(p);
	return rc;
}

void p2p_free(struct p2p *p)
{
	if (!p)
		return;
	while (p->peers)
		peer_free(p->peers);
	if (p->lev)
		evconnlistener_free(p->lev);
	if (p->tick_ev)
		event_free(p->tick_ev);
	if (p->relay_ev)
		event_free(p->relay_ev);
	if (p->status_ev)
		event_free(p->status_ev);
	if (p->reap_ev)
		event_free(p->reap_ev);
	for (size_t i = 0; i < P2P_FUTURE_MAX; i++) {
		free(p->fut[i].blk);
		free(p->fut[i].cert);
	}
	free(p->dials);
	free(p->relay);
	free(p->out);
	free(p);
}

uint16_t p2p_port(const struct p2p *p)
{
	return p ? p->port : 0;
}

void p2p_on_commit(struct p2p *p)
{
	if (p)
		push_block(p, p2p_tip(p).height, NULL);
}

size_t p2p_peer_count(const struct p2p *p)
{
	size_t n = 0;
	if (!p)
		return 0;
	for (const struct peer *pe = p->peers; pe; pe = pe->next)
		n += pe->state == PS_READY && !pe->closing;
	return n;
}

size_t p2p_peers(const struct p2p *p, struct p2p_peer_info *out, size_t max)
{
	size_t n = 0;
	if (!p)
		return 0;
	for (const struct peer *pe = p->peers; pe && n < max; pe = pe->next) {
		if (pe->state != PS_READY || pe->closing)
			continue;
		memcpy(out[n].id, pe->id, 32);
		snprintf(out[n].addr, sizeof(out[n].addr), "%s", pe->addr);
		out[n].inbound = pe->inbound;
		out[n].height = pe->height;
		out[n].bytes_in = pe->bytes_in;
		out[n].bytes_out = pe->bytes_out;
		out[n].connected_ms = pe->connected_ms;
		out[n].ping_ms = pe->ping_ms == UINT64_MAX ? -1 : (int64_t)pe->ping_ms;
		n++;
	}
	return n;
}

int p2p_syncing(const struct p2p *p, uint64_t *target)
{
	struct ember_tip t;
	uint64_t best = 0;
	if (!p)
		return 0;
	cons_tip(p->cfg.cons, &t);
	for (const struct peer *pe = p->peers; pe; pe = pe->next)
		if (pe->state == PS_READY && !pe->closing && pe->height > best &&
		    pe->stalled_until <= p2p_mono_ms())
			best = pe->height;
	if (target)
		*target = best > t.height ? best : t.height;
	return best > t.height;
}

/* --- admin ---------------------------------------------------------------- */

int p2p_add_peer(struct p2p *p, const char *peer, char *err, size_t errlen)
{
	struct dial *d;

	if (!p || !peer)
		return EMBER_EINVAL;
	if (p->ndials >= p->dialcap) {
		ember_errf(err, errlen, "no room for another peer (%zu kept)", p->ndials);
		return EMBER_P2P_LIMIT;
	}
	d = &p->dials[p->ndials];
	if (parse_peer(peer, d) != 0) {
		memset(d, 0, sizeof(*d));
		ember_errf(err, errlen, "invalid peer '%.80s': expected [NODEID@]HOST:PORT", peer);
		return EMBER_EINVAL;
	}
	d->backoff = 1000;
	p->ndials++;
	if (!connected_id(p, d))
		dial(p, d);
	peers_save(p);
	return 0;
}

static int parse_id(const char *hex, uint8_t id[32])
{
	size_t w;
	return hex && strlen(hex) == 64 && ember_hex_decode(hex, 64, id, 32, &w) == 0 &&
	       w == 32 ? 0 : -1;
}

int p2p_disconnect(struct p2p *p, const char *id_hex, char *err, size_t errlen)
{
	uint8_t id[32];
	int n = 0;

	if (!p || parse_id(id_hex, id) != 0) {
		ember_errf(err, errlen, "invalid node id '%.80s': expected 64 hex digits",
		           id_hex ? id_hex : "");
		return EMBER_EINVAL;
	}
	for (struct peer *pe = p->peers; pe; pe = pe->next)
		if (!pe->closing && pe->state >= PS_STATUS && memcmp(pe->id, id, 32) == 0) {
			p2p_peer_drop(pe, 0, "disconnected by the operator");
			n++;
		}
	if (!n) {
		ember_errf(err, errlen, "no peer with node id '%s' is connected", id_hex);
		return EMBER_ENOTFOUND;
	}
	return 0;
}

int p2p_ban(struct p2p *p, const char *what, uint64_t secs, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct ban *b;
	uint8_t id[32];
	char ipbuf[64];
	int sl = (int)sizeof(ss), by_id;

	if (!p || !what)
		return EMBER_EINVAL;
	by_id = parse_id(what, id) == 0;
	snprintf(ipbuf, sizeof(ipbuf), "%s:1", what);
	if (!by_id && (strlen(what) >= sizeof(b->ip) ||
	               evutil_parse_sockaddr_port(ipbuf, (struct sockaddr *)&ss, &sl) != 0)) {
		ember_errf(err, errlen, "'%.80s' is neither a node id (64 hex digits) nor an "
		           "IP address", what);
		return EMBER_EINVAL;
	}
	if (secs > 365ULL * 24 * 3600) {
		ember_errf(err, errlen, "ban of %llu s is longer than a year",
		           (unsigned long long)secs);
		return EMBER_EINVAL;
	}
	b = ban_slot(p);
	memset(b, 0, sizeof(*b));
	b->until = p2p_mono_ms() + (secs ? secs * 1000 : P2P_DISCOURAGE_MS);
	if (by_id) {
		b->by_id = 1;
		memcpy(b->id, id, 32);
	} else {
		snprintf(b->ip, sizeof(b->ip), "%s", what);
	}
	for (struct peer *pe = p->peers; pe; pe = pe->next)
		if (!pe->closing && ((by_id && pe->state >= PS_STATUS &&
		                      memcmp(pe->id, id, 32) == 0) ||
		                     (!by_id && strcmp(pe->ip, what) == 0)))
			p2p_peer_drop(pe, 0, "banned by the operator");
	return 0;
}

size_t p2p_banned(const struct p2p *p, struct p2p_ban_info *out, size_t max)
{
	uint64_t now = p2p_mono_ms();
	size_t n = 0;
	if (!p)
		return 0;
	for (size_t i = 0; i < P2P_BANS && n < max; i++) {
		const struct ban *b = &p->bans[i];
		if (b->until <= now)
			continue;
		if (b->by_id)
			ember_hex_encode(b->id, 32, out[n].what);
		else
			snprintf(out[n].what, sizeof(out[n].what), "%s", b->ip);
		out[n].seconds_left = (b->until - now + 999) / 1000;
		n++;
	}
	return n;
}

uint64_t p2p_sync_rate(const struct p2p *p)
{
	return p ? p->rate : 0;
}
