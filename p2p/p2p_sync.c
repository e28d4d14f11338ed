/*
 * p2p_sync.c - catch-up: a window of block requests over several peers
 * (p2p_internal.h).
 *
 * Bitcoin Core keeps up to 16 blocks in flight per peer over a 1,024-block
 * window; CometBFT's blocksync keeps a pool of requesters.  Here the
 * window is the future-block buffer: heights tip + 1 .. tip +
 * P2P_FUTURE_MAX that are neither buffered nor already asked for are cut
 * into slices of P2P_SLICE and asked of the ready peers that have them,
 * the least-loaded first, at most P2P_SLICES_PER_PEER each.  A peer
 * serves a GETBLOCKS in order, so a slice is done when its last height
 * arrives (or the tip passes it).
 *
 * Why no block can wedge the window: tip + 1 is always applied at once,
 * never buffered.  A block above it that finds the buffer full (by count
 * or bytes) is simply not kept; its slice completes anyway, the height is
 * then neither buffered nor asked for, and it is asked for again when the
 * tip has moved up.  Nobody is blamed for the buffer being full.
 *
 * Stalls are judged per peer, not per slice: a peer's later slices wait
 * behind its earlier ones on one TCP stream, so what counts is that
 * blocks keep coming from it while it owes us some.
 */
#include <stdio.h>
#include <string.h>

#include "ember/p2pwire.h"

#include "p2p_internal.h"

/* Slices whose every height is at or below the tip are done, whoever
 * filled them. */
static void sync_retire(struct p2p *p, uint64_t tip)
{
	for (size_t i = 0; i < P2P_SLICES; i++) {
		struct slice *s = &p->slices[i];
		if (!s->used || s->end > tip)
			continue;
		for (struct peer *pe = p->peers; pe; pe = pe->next)
			if (pe->serial == s->serial && pe->inflight)
				pe->inflight--;
		s->used = 0;
	}
}

/* The ready peer to ask for height h: has it, is not passed over, has
 * room; the least loaded, then the furthest ahead. */
static struct peer *sync_pick(struct p2p *p, uint64_t h, uint64_t now)
{
	struct peer *best = NULL;

	for (struct peer *pe = p->peers; pe; pe = pe->next) {
		if (pe->state != PS_READY || pe->closing || pe->height < h ||
		    pe->stalled_until > now || pe->inflight >= P2P_SLICES_PER_PEER)
			continue;
		if (!best || pe->inflight < best->inflight ||
		    (pe->inflight == best->inflight && pe->height > best->height))
			best = pe;
	}
	return best;
}

static struct slice *slice_free(struct p2p *p)
{
	for (size_t i = 0; i < P2P_SLICES; i++)
		if (!p->slices[i].used)
			return &p->slices[i];
	return NULL;
}

void p2p_sync_pump(struct p2p *p)
{
	struct ember_tip t = p2p_tip(p);
	uint8_t want[P2P_FUTURE_MAX];
	uint64_t top = t.height, now = p2p_mono_ms();
	size_t n, i;

	sync_retire(p, t.height);
	for (struct peer *pe = p->peers; pe; pe = pe->next)
		if (pe->state == PS_READY && !pe->closing && pe->height > top)
			top = pe->height;
	if (top <= t.height)
		return;
	n = top - t.height > P2P_FUTURE_MAX ? P2P_FUTURE_MAX
	                                    : (size_t)(top - t.height);
	/* want[i]: height tip + 1 + i is neither buffered nor asked for. */
	memset(want, 1, n);
	for (i = 0; i < P2P_FUTURE_MAX; i++) {
		const struct future *f = &p->fut[i];
		if (f->blk && f->height > t.height && f->height - t.height <= n)
			want[f->height - t.height - 1] = 0;
	}
	for (i = 0; i < P2P_SLICES; i++) {
		const struct slice *s = &p->slices[i];
		if (!s->used)
			continue;
		for (uint64_t h = s->from > t.height ? s->from : t.height + 1;
		     h <= s->end && h - t.height <= n; h++)
			want[h - t.height - 1] = 0;
	}
	for (i = 0; i < n;) {
		uint64_t from = t.height + 1 + i;
		struct p2p_getblocks gb;
		struct slice *s;
		struct peer *pe;
		uint8_t buf[32];
		size_t k = 0, len;

		if (!want[i]) {
			i++;
			continue;
		}
		/* Peers are asked in height order: nobody has this one, so
		 * nobody has any above it either. */
		if (!(pe = sync_pick(p, from, now)) || !(s = slice_free(p)))
			break;
		while (i + k < n && want[i + k] && k < P2P_SLICE &&
		       from + k <= pe->height)
			k++;
		gb.from = from;
		gb.count = (uint32_t)k;
		if (p2p_getblocks_encode(&gb, buf, sizeof(buf), &len) != 0)
			break;
		if (p2p_peer_send(pe, buf, len) != 0)
			continue;   /* dropped, its slices released: pick again */
		s->used = 1;
		s->from = from;
		s->end = from + k - 1;
		s->serial = pe->serial;
		if (pe->inflight++ == 0)
			pe->sync_ms = now;
		i += k;
	}
}

void p2p_sync_got(struct p2p *p, struct peer *pe, uint64_t h)
{
	for (size_t i = 0; i < P2P_SLICES; i++) {
		struct slice *s = &p->slices[i];
		if (!s->used || s->serial != pe->serial || h < s->from || h > s->end)
			continue;
		pe->sync_ms = p2p_mono_ms();
		if (h == s->end) {
			s->used = 0;
			if (pe->inflight)
				pe->inflight--;
		}
	}
}

void p2p_sync_release(struct p2p *p, struct peer *pe)
{
	for (size_t i = 0; i < P2P_SLICES; i++)
		if (p->slices[i].used && p->slices[i].serial == pe->serial)
			p->slices[i].used = 0;
	pe->inflight = 0;
}

void p2p_sync_tick(struct p2p *p, uint64_t now)
{
	struct peer *pe, *next;
	char sid[17];

	for (pe = p->peers; pe; pe = next) {
		next = pe->next;
		if (pe->closing || !pe->inflight || now - pe->sync_ms <= P2P_STALL_MS)
			continue;
		p2p_log(p, "p2p: sync from peer %s (%s) made no progress for %d s; "
		        "asking another", p2p_short_id(pe->id, sid), pe->addr,
		        P2P_STALL_MS / 1000);
		pe->stalled_until = now + 3 * P2P_STALL_MS;
		p2p_sync_release(p, pe);
		/* Announcing heights it never serves, again: it goes. */
		if (++pe->stalls >= P2P_STALLS_MAX)
			p2p_peer_drop(pe, 1, "announced height %llu and served nothing, %u times",
			              (unsigned long long)pe->height, pe->stalls);
	}
}
