/*
 * node_bft.c - BFT consensus in the node: timers, signing behind the
 * guard, the network hand-off, and the executor (node_bft_internal.h).
 *
 * Effects from the state machine are handled in order; a handler that
 * feeds something back (our own proposal or vote, a verdict, a built
 * block) handles the effects that produces before returning, so a lone
 * validator goes from BUILD to COMMIT in one run.  At the end of the
 * outermost run the executor's pending execution is released: nothing
 * holds an LMDB write transaction while the loop waits.
 */
#include "node_bft_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "ember/block.h"
#include "ember/hash.h"

#define NB_BLOCKS 16                /* proposals' blocks kept */
#define NB_REGOSSIP_MS 1000
#define NB_LAT 100                  /* commits the latency figures cover */
#define NB_COMMIT_WAIT_DIV 5        /* after a commit, a fifth of a block time */
#define NB_COMMIT_WAIT_MIN_MS 10    /* ... and at least this, for late precommits */

struct nb_block {
	uint64_t height;                /* 0: free */
	uint64_t at_ms;                 /* when it came (or was built), mono */
	uint8_t hash[32];
	uint8_t *bytes;
	size_t len;
};

struct nb_timer {
	struct node_bft *nb;
	struct event *ev;
	enum bft_step step;
	uint64_t height;
	uint32_t round;
};

struct node_bft {
	struct node_bft_cfg cfg;
	struct bft *sm;
	struct bft_valset vs;           /* of vs_height */
	uint64_t vs_height;
	uint64_t height;                /* being decided; 0: not started */
	uint64_t started_ms;            /* when it started (monotonic) */
	int32_t self;
	struct nb_block blocks[NB_BLOCKS];
	struct nb_timer timers[3];      /* one per step: a newer one replaces */
	struct event *next_ev;          /* start the next height */
	/* A decided block whose commit failed (a full disk): retried on
	 * next_ev, never decided again. */
	uint8_t *retry_blk;
	size_t retry_len, retry_clen;
	/* An effect that failed for want of disk (a build, or a signature
	 * the guard could not make durable): run again on next_ev. */
	int have_redo;
	struct bft_effect redo;
	/* Our latest signed messages of this height, sent again every
	 * NB_REGOSSIP_MS: a peer that (re)connected after we sent them
	 * would otherwise never get them (each peer's known set keeps the
	 * others from getting them twice). */
	struct event *gossip_ev;
	int have_prop, have_vote[2];
	struct bft_proposal last_prop;
	struct bft_vote last_vote[2];
	/* Proposal-to-commit times of the last NB_LAT commits (ms). */
	uint32_t lat[NB_LAT];
	size_t nlat, latpos;
	int depth;                      /* nested runs */
	uint8_t *certbuf;
	int replaying;                  /* feeding the WAL back in */
	int wal_warned;                 /* said once that appends fail */
	/* The last NODE_BFT_EVIDENCE double signs seen, a ring. */
	struct bft_vote ev[NODE_BFT_EVIDENCE][2];
	size_t nev, evpos;
};

static void nb_log(struct node_bft *nb, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void nb_log(struct node_bft *nb, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!nb->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nb->cfg.log(nb->cfg.ctx, level, msg);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- blocks of proposals ---------------------------------------------------- */

static struct nb_block *block_find(struct node_bft *nb, const uint8_t hash[32])
{
	for (size_t i = 0; i < NB_BLOCKS; i++)
		if (nb->blocks[i].height && memcmp(nb->blocks[i].hash, hash, 32) == 0)
			return &nb->blocks[i];
	return NULL;
}

static void block_drop(struct nb_block *b)
{
	free(b->bytes);
	memset(b, 0, sizeof(*b));
}

/* Keep a copy of blk (hash, at height); an old or far one makes room. */
static int block_keep(struct node_bft *nb, uint64_t height, const uint8_t hash[32],
                      const uint8_t *blk, size_t len)
{
	struct nb_block *b = block_find(nb, hash), *victim = NULL;

	if (b)
		return 0;
	for (size_t i = 0; i < NB_BLOCKS && !victim; i++)
		if (!nb->blocks[i].height)
			victim = &nb->blocks[i];
	for (size_t i = 0; i < NB_BLOCKS && !victim; i++)
		if (nb->blocks[i].height < nb->height || nb->blocks[i].height > nb->height)
			victim = &nb->blocks[i];
	if (!victim)
		return EMBER_BFT_FUTURE;   /* 16 proposals for this height: enough */
	block_drop(victim);
	if (!(victim->bytes = malloc(len ? len : 1)))
		return EMBER_ENOMEM;
	memcpy(victim->bytes, blk, len);
	victim->len = len;
	victim->height = height;
	victim->at_ms = mono_ms();
	memcpy(victim->hash, hash, 32);
	return 0;
}

/* ---- the consensus WAL ----------------------------------------------------------- */

/*
 * Log r: what we sign always (sync: before it leaves the process, which
 * makes everything logged before it durable too), what we are fed only
 * when it is new (not while the log is being replayed).  A failure is
 * said once and consensus goes on: the signing guard, not the log, keeps
 * this validator from signing twice; a restart then begins the height
 * again with the guard's lock instead of resuming it.
 */
static void wal_log(struct node_bft *nb, const struct cons_wal_rec *r)
{
	int rc;

	if (!nb->cfg.wal || (nb->replaying && !r->own))
		return;
	if ((rc = cons_wal_append(nb->cfg.wal, r, r->own)) && !nb->wal_warned) {
		nb_log(nb, 0, "bft: cannot append to the consensus WAL: %s (going on; "
		       "a restart would begin the height again)", ember_strerror(rc));
		nb->wal_warned = 1;
	}
}

static void wal_proposal(struct node_bft *nb, const struct bft_proposal *p,
                         const uint8_t *blk, size_t len, int own)
{
	struct cons_wal_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = CONS_WAL_PROPOSAL;
	r.own = (uint8_t)own;
	r.height = p->height;
	r.u.prop.p = *p;
	r.u.prop.blk = blk;
	r.u.prop.blklen = len;
	wal_log(nb, &r);
}

static void wal_vote(struct node_bft *nb, const struct bft_vote *v, int own)
{
	struct cons_wal_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = CONS_WAL_VOTE;
	r.own = (uint8_t)own;
	r.height = v->height;
	r.u.vote = *v;
	wal_log(nb, &r);
}

/* ---- the state machine's effects ---------------------------------------------- */

static void run(struct node_bft *nb, struct bft_out *out);

static void feed_rc(struct node_bft *nb, int rc, const char *what)
{
	if (rc && rc != EMBER_BFT_OLD)
		nb_log(nb, 3, "bft: %s refused: %s", what, ember_strerror(rc));
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct nb_timer *t = arg;
	struct bft_out out = { 0 };
	(void)fd;
	(void)what;
	if (t->height == t->nb->height) {
		struct cons_wal_rec r;
		memset(&r, 0, sizeof(r));
		r.kind = CONS_WAL_TIMEOUT;
		r.height = t->height;
		r.u.timeout.step = (uint8_t)t->step;
		r.u.timeout.round = t->round;
		wal_log(t->nb, &r);
	}
	feed_rc(t->nb, bft_on_timeout(t->nb->sm, t->step, t->height, t->round, &out),
	        "timeout");
	run(t->nb, &out);
}

static void schedule_next(struct node_bft *nb, uint64_t ms);

/* e failed with rc for a reason that passes (a full disk, an I/O error):
 * say so through on_commit and run it again after the block time. */
static void redo_later(struct node_bft *nb, const struct bft_effect *e, int rc,
                       const char *why)
{
	if (nb->cfg.on_commit)
		nb->cfg.on_commit(nb->cfg.ctx, rc, why);
	nb->redo = *e;
	nb->have_redo = 1;
	schedule_next(nb, nb->cfg.block_time_ms);
}

static int guard(struct node_bft *nb, const struct bft_effect *e, uint64_t h,
                 uint32_t r, uint8_t step, const uint8_t *value)
{
	struct cons_guard_rec rec;
	struct nb_block *b = value ? block_find(nb, value) : NULL;
	char why[256] = "";
	int rc;

	if (!nb->cfg.guard)
		return 0;
	memset(&rec, 0, sizeof(rec));
	rec.height = h;
	rec.round = r;
	rec.step = step;
	if (value)
		memcpy(rec.block_id, value, 32);
	/* The block goes with the record: a lone validator killed after
	 * signing re-proposes that same block at restart (do_build). */
	rc = cons_guard_sign(nb->cfg.guard, &rec, b ? b->bytes : NULL, b ? b->len : 0,
	                     why, sizeof(why));
	if (rc == EMBER_STORE_GUARD)
		nb_log(nb, 3, "bft: not signing at height %llu round %u: %s",
		       (unsigned long long)h, r, why);
	else if (rc)
		redo_later(nb, e, rc, why);
	return rc;
}

static void do_build(struct node_bft *nb, const struct bft_effect *e)
{
	uint64_t h = e->u.ask.height;
	uint32_t r = e->u.ask.round;
	struct cons_guard_rec rec;
	struct bft_out out = { 0 };
	const uint8_t *blk;
	size_t len;
	uint8_t hash[32];
	int rc;

	/* Signed before for this height (and killed before the commit):
	 * propose that block again, never a second one. */
	if (nb->cfg.guard && cons_guard_last(nb->cfg.guard, &rec) && rec.height == h &&
	    (blk = cons_guard_block(nb->cfg.guard, &len)) && len >= EMBER_HEADER_SIZE) {
		struct ember_header hd;
		if (ember_header_decode(&hd, blk, EMBER_HEADER_SIZE) == 0 && hd.height == h) {
			ember_header_hash(&hd, hash);
			if (block_keep(nb, h, hash, blk, len) == 0) {
				nb_log(nb, 2, "bft: proposing again block %llu signed before a restart",
				       (unsigned long long)h);
				feed_rc(nb, bft_on_built(nb->sm, h, r, hash, &out), "built block");
				run(nb, &out);
				return;
			}
		}
	}
	if ((rc = cons_build(nb->cfg.cons, wall_ms(), &blk, &len, hash))) {
		redo_later(nb, e, rc, "cannot build a block");
		return;
	}
	if ((rc = block_keep(nb, h, hash, blk, len))) {
		nb_log(nb, 0, "bft: cannot keep the block built: %s", ember_strerror(rc));
		return;
	}
	feed_rc(nb, bft_on_built(nb->sm, h, r, hash, &out), "built block");
	run(nb, &out);
}

static void do_propose(struct node_bft *nb, struct bft_effect *e)
{
	struct bft_proposal *p = &e->u.proposal;
	struct nb_block *b = block_find(nb, p->value);
	struct bft_out out = { 0 };

	uint64_t own = nb->self >= 0 ? nb->vs.v[nb->self].power : 0;
	/* A lone validator (+2/3 of the power alone) goes on to prevote and
	 * precommit this same block at once, with nothing that could make it
	 * precommit anything else at this round: one guard record, at the
	 * precommit step, covers all three signatures (one write, not three). */
	uint8_t step = own * 3 > nb->vs.total * 2 ? EMBER_VOTE_PRECOMMIT : 0;

	if (!b || guard(nb, e, p->height, p->round, step, p->value) != 0)
		return;
	if (cons_proposal_sign(nb->cfg.key, nb->cfg.g->chain_id, p->height, p->round,
	                       p->pol_round, p->value, p->sig) != 0)
		return;
	wal_proposal(nb, p, b->bytes, b->len, 1);
	if (nb->cfg.send_proposal)
		nb->cfg.send_proposal(nb->cfg.net_ctx, p, b->bytes, b->len);
	nb->last_prop = *p;
	nb->have_prop = 1;
	feed_rc(nb, bft_on_proposal(nb->sm, p, &out), "own proposal");
	run(nb, &out);
}

static void do_vote(struct node_bft *nb, struct bft_effect *e)
{
	static const uint8_t zero[32];
	struct bft_vote *v = &e->u.vote;
	struct bft_out out = { 0 };

	if (guard(nb, e, v->height, v->round, v->type, v->nil ? NULL : v->value) != 0)
		return;
	/* A precommit signs our clock, but after its block's time: the next
	 * block's time is the weighted median of these (cons_last_commit). */
	v->time_ms = 0;
	if (v->type == BFT_VOTE_PRECOMMIT) {
		struct nb_block *b = v->nil ? NULL : block_find(nb, v->value);
		struct ember_header hd;
		v->time_ms = wall_ms();
		if (b && b->len >= EMBER_HEADER_SIZE &&
		    ember_header_decode(&hd, b->bytes, EMBER_HEADER_SIZE) == 0 &&
		    v->time_ms <= hd.time_ms)
			v->time_ms = hd.time_ms + 1;
	}
	if (cons_vote_sign(nb->cfg.key, nb->cfg.g->chain_id, v->type, v->height,
	                   v->round, v->nil ? zero : v->value, v->time_ms, v->sig) != 0)
		return;
	wal_vote(nb, v, 1);
	if (nb->cfg.send_vote)
		nb->cfg.send_vote(nb->cfg.net_ctx, v);
#ifdef EMBER_TEST_DOUBLE_SIGN
	/* The faulty validator of tests/integration/bft_evidence.sh (a test
	 * binary only, see the Makefile): beside a prevote for a block, a nil
	 * prevote for the same height and round, signed past the guard and
	 * sent to every peer, who must report the pair as evidence. */
	if (v->type == BFT_VOTE_PREVOTE && !v->nil && nb->cfg.send_vote) {
		struct bft_vote twin = *v;
		twin.nil = 1;
		memset(twin.value, 0, 32);
		if (cons_vote_sign(nb->cfg.key, nb->cfg.g->chain_id, twin.type, twin.height,
		                   twin.round, zero, twin.time_ms, twin.sig) == 0) {
			nb_log(nb, 1, "bft: TEST DOUBLE SIGN: a nil prevote too at height %llu "
			       "round %u", (unsigned long long)twin.height, twin.round);
			nb->cfg.send_vote(nb->cfg.net_ctx, &twin);
		}
	}
#endif
	nb->last_vote[v->type - 1] = *v;
	nb->have_vote[v->type - 1] = 1;
	feed_rc(nb, bft_on_vote(nb->sm, v, &out), "own vote");
	run(nb, &out);
}

static void do_validate(struct node_bft *nb, uint64_t h, const uint8_t value[32])
{
	struct nb_block *b = block_find(nb, value);
	struct bft_out out = { 0 };
	char why[256] = "";
	int rc = b ? cons_validate(nb->cfg.cons, b->bytes, b->len, why, sizeof(why))
	           : EMBER_ENOTFOUND;

	if (rc)
		nb_log(nb, 1, "bft: proposed block %llu is invalid: %s",
		       (unsigned long long)h, why[0] ? why : ember_strerror(rc));
	feed_rc(nb, bft_on_validated(nb->sm, h, value, rc == 0, &out), "verdict");
	run(nb, &out);
}

static void schedule_next(struct node_bft *nb, uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000) };
	evtimer_add(nb->next_ev, &tv);
}

static void do_commit(struct node_bft *nb, const struct bft_effect *e)
{
	struct nb_block *b = block_find(nb, e->u.commit.value);
	struct ember_cert *ce = calloc(1, sizeof(*ce));
	char why[256] = "";
	size_t clen = 0;
	int rc;

	if (!ce)
		return;
	ce->round = e->u.commit.round;
	for (size_t i = 0; i < e->u.commit.n && ce->nsig < EMBER_CERT_MAX_SIGS; i++) {
		const struct bft_vote *v = &e->u.commit.precommits[i];
		memcpy(ce->sigs[ce->nsig].validator, nb->vs.v[v->validator].id, 32);
		ce->sigs[ce->nsig].time_ms = v->time_ms;
		memcpy(ce->sigs[ce->nsig].sig, v->sig, 64);
		ce->nsig++;
	}
	rc = b ? ember_cert_encode(ce, nb->certbuf, EMBER_CERT_MAX_SIZE, &clen)
	       : EMBER_ENOTFOUND;
	free(ce);
	if (!rc)
		rc = cons_commit(nb->cfg.cons, b->bytes, b->len, nb->certbuf, clen, why,
		                 sizeof(why));
	if (!rc && b) {
		uint64_t ms = mono_ms() - b->at_ms;
		nb->lat[nb->latpos] = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
		nb->latpos = (nb->latpos + 1) % NB_LAT;
		if (nb->nlat < NB_LAT)
			nb->nlat++;
	}
	if (nb->cfg.on_commit)
		nb->cfg.on_commit(nb->cfg.ctx, rc, why);
	if (rc && b && clen && (nb->retry_blk = malloc(b->len))) {
		memcpy(nb->retry_blk, b->bytes, b->len);
		nb->retry_len = b->len;
		nb->retry_clen = clen;     /* the certificate stays in certbuf */
	}
	/* The next height a block time after this one started, so blocks
	 * keep the genesis cadence; after a failure, the commit is tried
	 * again then.  But never at once: the precommits that came after the
	 * first +2/3 join the certificate the next block carries as its last
	 * commit (node_bft_vote), and a validator whose precommit is always a
	 * little late must not be counted as down (CometBFT's commit
	 * timeout). */
	{
		uint64_t spent = mono_ms() - nb->started_ms, bt = nb->cfg.block_time_ms;
		uint64_t wait = spent < bt ? bt - spent : 0, min = bt / NB_COMMIT_WAIT_DIV;
		if (min < NB_COMMIT_WAIT_MIN_MS)
			min = NB_COMMIT_WAIT_MIN_MS;
		if (nb->vs.n < 2)
			min = 0;        /* a lone validator's precommit is never late */
		schedule_next(nb, wait > min ? wait : min);
	}
}

/* Try the failed commit again.  Returns 1 while it still fails. */
static int retry_commit(struct node_bft *nb)
{
	char why[256] = "";
	int rc;

	if (!nb->retry_blk)
		return 0;
	rc = cons_commit(nb->cfg.cons, nb->retry_blk, nb->retry_len, nb->certbuf,
	                 nb->retry_clen, why, sizeof(why));
	if (rc == EMBER_BLK_HEIGHT || rc == EMBER_BLK_PREV)
		rc = 0;         /* a peer's copy of it came in meanwhile */
	if (nb->cfg.on_commit && rc)
		nb->cfg.on_commit(nb->cfg.ctx, rc, why);
	if (rc) {
		schedule_next(nb, nb->cfg.block_time_ms);
		return 1;
	}
	if (nb->cfg.on_commit)
		nb->cfg.on_commit(nb->cfg.ctx, 0, "");
	free(nb->retry_blk);
	nb->retry_blk = NULL;
	return 0;
}

static void run(struct node_bft *nb, struct bft_out *out)
{
	static const char *const kinds[] = { "?", "build", "propose", "vote", "timeout",
	                                     "validate", "commit", "evidence" };
	nb->depth++;
	for (size_t i = 0; i < out->n; i++) {
		struct bft_effect *e = &out->e[i];
		struct bft_view v;
		bft_view(nb->sm, &v);
		nb_log(nb, 3, "bft: at %llu/%u step %d: %s%s%s", (unsigned long long)v.height,
		       v.round, (int)v.step, kinds[e->kind <= BFT_E_EVIDENCE ? e->kind : 0],
		       e->kind == BFT_E_VOTE ? (e->u.vote.type == BFT_VOTE_PREVOTE ?
		       " prevote" : " precommit") : "",
		       e->kind == BFT_E_VOTE && e->u.vote.nil ? " nil" : "");
		switch (e->kind) {
		case BFT_E_BUILD:
			do_build(nb, e);
			break;
		case BFT_E_PROPOSE:
			do_propose(nb, e);
			break;
		case BFT_E_VOTE:
			do_vote(nb, e);
			break;
		case BFT_E_VALIDATE:
			do_validate(nb, e->u.ask.height, e->u.ask.value);
			break;
		case BFT_E_TIMEOUT: {
			struct nb_timer *t = &nb->timers[e->u.timeout.step];
			uint64_t ms = e->u.timeout.ms;
			struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000) };
			t->step = e->u.timeout.step;
			t->height = e->u.timeout.height;
			t->round = e->u.timeout.round;
			evtimer_add(t->ev, &tv);
			break;
		}
		case BFT_E_COMMIT:
			do_commit(nb, e);
			break;
		case BFT_E_EVIDENCE:
			nb->ev[nb->evpos][0] = e->u.evidence.a;
			nb->ev[nb->evpos][1] = e->u.evidence.b;
			nb->evpos = (nb->evpos + 1) % NODE_BFT_EVIDENCE;
			if (nb->nev < NODE_BFT_EVIDENCE)
				nb->nev++;
			nb_log(nb, 1, "bft: validator %u signed two different %s at height %llu "
			       "round %u (evidence: getevidence, and the consensus WAL)",
			       e->u.evidence.a.validator,
			       e->u.evidence.a.type == BFT_VOTE_PREVOTE ? "prevotes" : "precommits",
			       (unsigned long long)e->u.evidence.a.height, e->u.evidence.a.round);
			if (!nb->replaying && nb->cfg.on_evidence)
				nb->cfg.on_evidence(nb->cfg.ctx, &e->u.evidence.a, &e->u.evidence.b);
			break;
		}
	}
	if (--nb->depth == 0)
		cons_release_pending(nb->cfg.cons);
}

/* ---- heights --------------------------------------------------------------------- */

/* The set of height h: genesis priorities advanced h - 1 times. */
static int valset_at(struct node_bft *nb, uint64_t h)
{
	const struct ember_genesis *g = nb->cfg.g;

	if (!nb->vs_height || h < nb->vs_height) {
		uint8_t (*ids)[32] = calloc(g->nval ? g->nval : 1, 32);
		uint64_t *pw = calloc(g->nval ? g->nval : 1, sizeof(*pw));
		int rc = ids && pw ? 0 : EMBER_ENOMEM;
		for (size_t i = 0; !rc && i < g->nval; i++) {
			memcpy(ids[i], g->vals[i].pub, 32);
			pw[i] = g->vals[i].power;
		}
		if (!rc)
			rc = bft_valset_init(&nb->vs, (const uint8_t (*)[32])ids, pw, g->nval);
		free(ids);
		free(pw);
		if (rc)
			return rc;
		nb->vs_height = 1;
	}
	while (nb->vs_height < h) {
		bft_valset_next(&nb->vs);
		nb->vs_height++;
	}
	return 0;
}

/* What start_next learns from the log of height h before it starts it. */
struct wal_scan {
	size_t nrec;                    /* records of h after its marker */
	int have_lock;                  /* our latest non-nil precommit of h */
	uint32_t lock_round;
	uint8_t lock_value[32];
};

static int wal_lock_cb(void *ctx, const struct cons_wal_rec *r)
{
	struct wal_scan *w = ctx;
	const struct bft_vote *v = &r->u.vote;

	w->nrec++;
	if (r->kind == CONS_WAL_VOTE && r->own && v->type == BFT_VOTE_PRECOMMIT && !v->nil &&
	    (!w->have_lock || v->round >= w->lock_round)) {
		w->have_lock = 1;
		w->lock_round = v->round;
		memcpy(w->lock_value, v->value, 32);
	}
	return 0;
}

/* Feed one logged message back in (start_next, after a restart). */
static int wal_replay_cb(void *ctx, const struct cons_wal_rec *r)
{
	struct node_bft *nb = ctx;
	struct bft_out out = { 0 };

	if (nb->height != r->height)
		return 0;       /* decided meanwhile; the rest is moot */
	switch (r->kind) {
	case CONS_WAL_PROPOSAL: {
		const struct bft_proposal *p = &r->u.prop.p;
		if (block_keep(nb, r->height, p->value, r->u.prop.blk, r->u.prop.blklen) != 0)
			return 0;
		if (r->own) {
			nb->last_prop = *p;
			nb->have_prop = 1;
			if (nb->cfg.send_proposal)
				nb->cfg.send_proposal(nb->cfg.net_ctx, p, r->u.prop.blk,
				                      r->u.prop.blklen);
		}
		feed_rc(nb, bft_on_proposal(nb->sm, p, &out), "logged proposal");
		break;
	}
	case CONS_WAL_VOTE: {
		const struct bft_vote *v = &r->u.vote;
		if (r->own && (v->type == BFT_VOTE_PREVOTE || v->type == BFT_VOTE_PRECOMMIT)) {
			nb->last_vote[v->type - 1] = *v;
			nb->have_vote[v->type - 1] = 1;
			if (nb->cfg.send_vote)
				nb->cfg.send_vote(nb->cfg.net_ctx, v);
		}
		feed_rc(nb, bft_on_vote(nb->sm, v, &out), "logged vote");
		break;
	}
	case CONS_WAL_TIMEOUT:
		feed_rc(nb, bft_on_timeout(nb->sm, (enum bft_step)r->u.timeout.step, r->height,
		                           r->u.timeout.round, &out), "logged timeout");
		break;
	default:
		return 0;
	}
	run(nb, &out);
	return 0;
}

static void start_next(struct node_bft *nb)
{
	struct ember_tip tip;
	struct bft_out out = { 0 };
	struct wal_scan wl;
	uint64_t h;
	int rc;

	cons_tip(nb->cfg.cons, &tip);
	h = tip.height + 1;
	if (valset_at(nb, h) != 0)
		return;
	for (size_t i = 0; i < NB_BLOCKS; i++)
		if (nb->blocks[i].height && nb->blocks[i].height < h)
			block_drop(&nb->blocks[i]);
	nb->self = -1;
	for (size_t i = 0; i < nb->vs.n; i++)
		if (memcmp(nb->vs.v[i].id, nb->cfg.key->pub, 32) == 0)
			nb->self = (int32_t)i;
	if (h <= nb->height)
		return;     /* cannot restart a height in this machine */
	nb->height = h;
	nb->started_ms = mono_ms();
	nb->have_prop = nb->have_vote[0] = nb->have_vote[1] = 0;
	memset(&wl, 0, sizeof(wl));
	if (nb->cfg.wal && (rc = cons_wal_replay(nb->cfg.wal, h, wal_lock_cb, &wl)))
		nb_log(nb, 0, "bft: cannot read the consensus WAL: %s (beginning height "
		       "%llu again)", ember_strerror(rc), (unsigned long long)h);
	{
		/* Restarted after precommitting a block of this height: that
		 * precommit was a lock (line 36 locks exactly when it
		 * precommits a value); keep it.  The latest such precommit is
		 * the lock: the guard's last record when it is one, else the
		 * log's latest of ours. */
		static const uint8_t zero[32];
		struct cons_guard_rec rec;
		if (nb->cfg.guard && cons_guard_last(nb->cfg.guard, &rec) && rec.height == h &&
		    rec.step == EMBER_VOTE_PRECOMMIT && memcmp(rec.block_id, zero, 32) != 0 &&
		    (!wl.have_lock || rec.round >= wl.lock_round)) {
			wl.have_lock = 1;
			wl.lock_round = rec.round;
			memcpy(wl.lock_value, rec.block_id, 32);
		}
		if (wl.have_lock && bft_restore_lock(nb->sm, h, wl.lock_round, wl.lock_value) == 0)
			nb_log(nb, 2, "bft: height %llu: locked again on the block precommitted "
			       "in round %u before the restart", (unsigned long long)h,
			       wl.lock_round);
	}
	if (!wl.nrec) {
		/* A new height: its marker goes first, so every record of it
		 * follows (replay reads from the last marker). */
		struct cons_wal_rec r;
		memset(&r, 0, sizeof(r));
		r.kind = CONS_WAL_HEIGHT;
		r.height = h;
		wal_log(nb, &r);
	}
	feed_rc(nb, bft_start_height(nb->sm, h, &nb->vs, nb->self, &out), "height start");
	run(nb, &out);
	if (wl.nrec && nb->height == h) {
		/* Killed in the middle of this height: feed the machine what it
		 * had been fed, in order.  It is deterministic, so it ends in the
		 * round, step, lock and valid value it had; what it asks us to
		 * sign again the guard allows only where it is the same. */
		struct bft_view v;
		nb->replaying = 1;
		rc = cons_wal_replay(nb->cfg.wal, h, wal_replay_cb, nb);
		nb->replaying = 0;
		bft_view(nb->sm, &v);
		nb_log(nb, 2, "bft: height %llu resumed from the consensus WAL: %zu "
		       "message%s replayed%s, now round %u step %d", (unsigned long long)h,
		       wl.nrec, wl.nrec == 1 ? "" : "s", rc ? " (the rest unreadable)" : "",
		       v.round, (int)v.step);
	}
}

static void on_gossip(evutil_socket_t fd, short what, void *arg)
{
	struct node_bft *nb = arg;
	(void)fd;
	(void)what;
	if (nb->have_prop && nb->last_prop.height == nb->height && nb->cfg.send_proposal) {
		struct nb_block *b = block_find(nb, nb->last_prop.value);
		if (b)
			nb->cfg.send_proposal(nb->cfg.net_ctx, &nb->last_prop, b->bytes, b->len);
	}
	for (int t = 0; t < 2; t++)
		if (nb->have_vote[t] && nb->last_vote[t].height == nb->height && nb->cfg.send_vote)
			nb->cfg.send_vote(nb->cfg.net_ctx, &nb->last_vote[t]);
}

static void on_next(evutil_socket_t fd, short what, void *arg)
{
	struct node_bft *nb = arg;
	(void)fd;
	(void)what;
	if (retry_commit(nb))
		return;
	if (nb->have_redo) {
		struct bft_out out = { 0 };
		out.e[0] = nb->redo;
		out.n = 1;
		nb->have_redo = 0;
		run(nb, &out);
		return;
	}
	start_next(nb);
}

/* ---- the API ------------------------------------------------------------------------ */

int node_bft_new(struct node_bft **out, const struct node_bft_cfg *cfg)
{
	struct node_bft *nb;
	struct bft_cfg bc;
	uint64_t bt = cfg->block_time_ms ? cfg->block_time_ms : 1000;
	int found = 0;

	for (size_t i = 0; i < cfg->g->nval; i++)
		found |= memcmp(cfg->g->vals[i].pub, cfg->key->pub, 32) == 0;
	if (!found)
		return EMBER_EINVAL;
	if (!(nb = calloc(1, sizeof(*nb))))
		return EMBER_ENOMEM;
	nb->cfg = *cfg;
	nb->cfg.block_time_ms = bt;
	/* CometBFT's 3 s / 1 s / 1 s, +0.5 s a round, for a 1 s block time;
	 * scaled to ours, never under 100 ms (loopback round trips). */
	memset(&bc, 0, sizeof(bc));
	bc.self = -1;
	bc.propose_ms = 3 * bt > 100 ? 3 * bt : 100;
	bc.prevote_ms = bt > 100 ? bt : 100;
	bc.precommit_ms = bc.prevote_ms;
	bc.propose_delta_ms = bc.prevote_delta_ms = bc.precommit_delta_ms =
		bt / 2 > 50 ? bt / 2 : 50;
	if (bft_new(&nb->sm, &bc) != 0 ||
	    !(nb->certbuf = malloc(EMBER_CERT_MAX_SIZE)) ||
	    !(nb->next_ev = evtimer_new(cfg->base, on_next, nb)) ||
	    !(nb->gossip_ev = event_new(cfg->base, -1, EV_PERSIST, on_gossip, nb)))
		goto fail;
	{
		struct timeval tv = { NB_REGOSSIP_MS / 1000, (NB_REGOSSIP_MS % 1000) * 1000 };
		if (cfg->send_vote)
			event_add(nb->gossip_ev, &tv);
	}
	for (size_t i = 0; i < 3; i++) {
		nb->timers[i].nb = nb;
		if (!(nb->timers[i].ev = evtimer_new(cfg->base, on_timer, &nb->timers[i])))
			goto fail;
	}
	{
		/* The set is known from now: peers' messages that come before
		 * our first height starts are checked and queued. */
		struct ember_tip tip;
		cons_tip(cfg->cons, &tip);
		if (valset_at(nb, tip.height + 1) != 0)
			goto fail;
	}
	*out = nb;
	return 0;
fail:
	node_bft_free(nb);
	return EMBER_ENOMEM;
}

void node_bft_free(struct node_bft *nb)
{
	if (!nb)
		return;
	for (size_t i = 0; i < 3; i++)
		if (nb->timers[i].ev)
			event_free(nb->timers[i].ev);
	if (nb->next_ev)
		event_free(nb->next_ev);
	if (nb->gossip_ev)
		event_free(nb->gossip_ev);
	for (size_t i = 0; i < NB_BLOCKS; i++)
		block_drop(&nb->blocks[i]);
	bft_free(nb->sm);
	free(nb->certbuf);
	free(nb->retry_blk);
	free(nb);
}

void node_bft_start(struct node_bft *nb)
{
	schedule_next(nb, nb->cfg.block_time_ms);
}

void node_bft_synced(struct node_bft *nb)
{
	struct ember_tip tip;
	cons_tip(nb->cfg.cons, &tip);
	if (tip.height + 1 > nb->height) {
		evtimer_del(nb->next_ev);
		start_next(nb);
	}
}

int node_bft_proposal(struct node_bft *nb, const struct bft_proposal *p,
                      const uint8_t *blk, size_t len)
{
	struct ember_header hd;
	struct bft_out out = { 0 };
	uint8_t hash[32];
	int rc;

	if (p->proposer >= nb->vs.n || len < EMBER_HEADER_SIZE ||
	    ember_header_decode(&hd, blk, EMBER_HEADER_SIZE) != 0)
		return EMBER_EINVAL;
	ember_header_hash(&hd, hash);
	if (memcmp(hash, p->value, 32) != 0 || hd.height != p->height)
		return EMBER_EINVAL;
	if (p->height < nb->height)
		return EMBER_BFT_OLD;
	/* The set is the genesis set at every height: index -> key holds. */
	if ((rc = cons_proposal_verify(nb->vs.v[p->proposer].id, nb->cfg.g->chain_id,
	                               p->height, p->round, p->pol_round, p->value, p->sig)))
		return rc;
	if ((rc = block_keep(nb, p->height, p->value, blk, len)))
		return rc;
	if (p->height == nb->height && !bft_holds_proposal(nb->sm, p))
		wal_proposal(nb, p, blk, len, 0);
	rc = bft_on_proposal(nb->sm, p, &out);
	run(nb, &out);
	return rc;
}

int node_bft_vote(struct node_bft *nb, const struct bft_vote *v)
{
	static const uint8_t zero[32];
	struct bft_out out = { 0 };
	int rc;

	if (v->validator >= nb->vs.n || (v->type != BFT_VOTE_PREVOTE &&
	                                 v->type != BFT_VOTE_PRECOMMIT))
		return EMBER_EINVAL;
	if (v->type == BFT_VOTE_PRECOMMIT && !v->nil) {
		/* A precommit for the block just committed, late for its
		 * certificate: it joins the certificate the next block carries
		 * as its last commit, so its signer counts as up (cons.h). */
		struct ember_tip tip;
		cons_tip(nb->cfg.cons, &tip);
		if (v->height == tip.height && memcmp(v->value, tip.hash, 32) == 0 &&
		    cons_add_tip_precommit(nb->cfg.cons, v->round, nb->vs.v[v->validator].id,
		                           v->time_ms, v->sig) == 0 && v->height < nb->height)
			return 0;
	}
	if (v->height < nb->height)
		return EMBER_BFT_OLD;
	if ((rc = cons_vote_verify(nb->vs.v[v->validator].id, nb->cfg.g->chain_id, v->type,
	                           v->height, v->round, v->nil ? zero : v->value,
	                           v->time_ms, v->sig)))
		return rc;
	if (v->height == nb->height && !bft_holds_vote(nb->sm, v))
		wal_vote(nb, v, 0);
	rc = bft_on_vote(nb->sm, v, &out);
	run(nb, &out);
	return rc;
}

size_t node_bft_evidence(const struct node_bft *nb, struct bft_vote (*out)[2],
                         size_t max)
{
	size_t n = nb->nev < max ? nb->nev : max;

	for (size_t i = 0; i < n; i++) {
		size_t k = (nb->evpos + NODE_BFT_EVIDENCE - 1 - i) % NODE_BFT_EVIDENCE;
		out[i][0] = nb->ev[k][0];
		out[i][1] = nb->ev[k][1];
	}
	return n;
}

void node_bft_view(const struct node_bft *nb, struct bft_view *out)
{
	bft_view(nb->sm, out);
}

const struct bft_valset *node_bft_valset(const struct node_bft *nb, int32_t *self)
{
	*self = nb->self;
	return &nb->vs;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

size_t node_bft_latency(const struct node_bft *nb, uint32_t *p50, uint32_t *p99)
{
	uint32_t v[NB_LAT];

	if (!nb->nlat)
		return 0;
	memcpy(v, nb->lat, nb->nlat * sizeof(v[0]));
	qsort(v, nb->nlat, sizeof(v[0]), cmp_u32);
	*p50 = v[(nb->nlat + 1) / 2 - 1];
	*p99 = v[(99 * nb->nlat + 99) / 100 - 1];
	return nb->nlat;
}
