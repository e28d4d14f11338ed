/*
 * cwal.c - the consensus write-ahead log (cwal.h).
 *
 * Every walk over a log file - open's check, replay, read_file - reads
 * records through one window of file bytes (struct cwal_rd) filled with
 * pread a megabyte at a time, or a whole record at a time when one is
 * larger, so a record and the block inside it are one pointer into that
 * window while a callback runs.  Whether a bad record is a torn tail or
 * damage depends only on what follows it: the append a crash interrupted
 * is the last thing in the file, so a bad record followed by a whole,
 * verifying record was written whole and broken later.  Append builds its
 * record in a buffer of the log's own and writes it with pwrite at the
 * end the log keeps track of, so a failed append is cut back to exactly
 * that length.
 *
 * EMBER_CWAL_ROTATE_BYTES: when this environment variable holds a
 * decimal number of bytes (1 or more) at cons_wal_open, that log rotates
 * at that size instead of CONS_WAL_ROTATE.  It exists so tests can make
 * rotation happen without writing 64 MiB; a node has no reason to set it.
 */
#include "ember/cwal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ember/codec.h"
#include "ember/fsio.h"
#include "ember/hash.h"

#define CWAL_MAGIC "ECWL"
#define CWAL_HDR 8              /* magic, payload_len */
#define CWAL_HASH 32
#define CWAL_PAY_HDR 10         /* kind, own, height */
#define CWAL_PROP_BODY 112      /* a proposal's body before its block */
#define CWAL_VOTE_BODY 114
#define CWAL_TIMEOUT_BODY 5
/* The largest payload a valid record can have; a larger payload_len is a
 * broken header, and the cap keeps one from asking for gigabytes. */
#define CWAL_MAX_PAYLOAD \
	((uint64_t)CWAL_PAY_HDR + CWAL_PROP_BODY + CONS_WAL_BLOCK_MAX)
#define CWAL_CHUNK ((size_t)1 << 20)
#define CWAL_ROTATE_ENV "EMBER_CWAL_ROTATE_BYTES"

struct cons_wal {
	int fd;
	char *dir, *path, *old;         /* DIR, DIR/cons.wal, DIR/cons.wal.1 */
	uint64_t size;                  /* bytes in the file: the next append's offset */
	uint64_t rotate;                /* rotate at a height start from this size */
	int have_mark;                  /* a CONS_WAL_HEIGHT record is in the file */
	uint64_t mark_off, mark_height; /* the last one: its offset and height */
	uint8_t *buf;                   /* the record being appended */
	size_t cap;
};

/* A read-only walk over one file: buf holds its bytes [boff, boff + blen). */
struct cwal_rd {
	int fd;
	const char *path;
	uint64_t size;                  /* bytes of the file the walk covers */
	uint64_t at;                    /* offset of the record handed out last */
	uint8_t *buf;
	size_t cap, blen;
	uint64_t boff;
};

/* One record as cwal_rd_record found it. */
struct cwal_got {
	uint64_t len;           /* bytes its header claims (the rest, if cut) */
	struct cons_wal_rec rec;
	char why[96];           /* a bad record: what is wrong */
};

static int cwal_grow(uint8_t **buf, size_t *cap, size_t n)
{
	uint8_t *p;
	size_t c = *cap ? *cap : 4096;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	if (n > CWAL_CHUNK)
		c = n;          /* a big block: no room to spare for the next */
	if (!(p = realloc(*buf, c)))
		return EMBER_ENOMEM;
	*buf = p;
	*cap = c;
	return 0;
}

/* The disk being full is the operator's to fix; anything else is I/O. */
static int cwal_errno_code(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EFBIG ? EMBER_STORE_DISK_FULL
	                                               : EMBER_EIO;
}

/* pol_round's le32 back to int32 without an implementation-defined cast. */
static int32_t cwal_i32(uint32_t v)
{
	return v <= INT32_MAX ? (int32_t)v : -(int32_t)(~v) - 1;
}

/*
 * Point *out at the file's bytes [off, off + n), which the caller knows
 * lie within rd->size.  They stay valid until the next fetch.
 * Returns: 0; EMBER_EIO (errno set; EIO when the file shrank);
 * EMBER_ENOMEM.
 */
static int cwal_fetch(struct cwal_rd *rd, uint64_t off, size_t n,
                      const uint8_t **out)
{
	size_t want, got = 0;

	if (off >= rd->boff && off - rd->boff <= rd->blen &&
	    n <= rd->blen - (size_t)(off - rd->boff)) {
		*out = rd->buf + (off - rd->boff);
		return 0;
	}
	want = n > CWAL_CHUNK ? n : CWAL_CHUNK;
	if (want > rd->size - off)
		want = (size_t)(rd->size - off);
	rd->blen = 0;
	if (cwal_grow(&rd->buf, &rd->cap, want) != 0)
		return EMBER_ENOMEM;
	while (got < want) {
		ssize_t k = pread(rd->fd, rd->buf + got, want - got,
		                  (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return EMBER_EIO;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	if (got < n) {
		errno = EIO;            /* the file shrank under us */
		return EMBER_EIO;
	}
	rd->boff = off;
	rd->blen = got;
	*out = rd->buf;
	return 0;
}

static int cwal_bad(struct cwal_got *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Returns 1: the value cwal_rd_record gives for a bad record. */
static int cwal_bad(struct cwal_got *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->why, sizeof(g->why), fmt, ap);
	va_end(ap);
	return 1;
}

/*
 * Split a verified payload into g->rec; a block points into p.
 * Returns: 0, or 1 (bad: g->why).
 */
static int cwal_decode(const uint8_t *p, uint32_t plen, struct cwal_got *g)
{
	struct cons_wal_rec *r = &g->rec;
	const uint8_t *b = p + CWAL_PAY_HDR;
	size_t blen;

	memset(r, 0, sizeof(*r));
	if (plen < CWAL_PAY_HDR)
		return cwal_bad(g, "payload of %" PRIu32 " bytes is too short", plen);
	blen = plen - CWAL_PAY_HDR;
	r->kind = p[0];
	r->own = p[1];
	r->height = ember_le64_get(p + 2);
	if (r->own > 1)
		return cwal_bad(g, "own flag %u", r->own);
	switch (r->kind) {
	case CONS_WAL_HEIGHT:
		if (blen != 0)
			return cwal_bad(g, "height record with a %zu-byte body", blen);
		return 0;
	case CONS_WAL_PROPOSAL: {
		struct bft_proposal *q = &r->u.prop.p;
		uint32_t n;

		if (blen < CWAL_PROP_BODY)
			return cwal_bad(g, "proposal body of %zu bytes is too short", blen);
		n = ember_le32_get(b + 108);
		if (n > CONS_WAL_BLOCK_MAX || blen != CWAL_PROP_BODY + (size_t)n)
			return cwal_bad(g, "block length %" PRIu32 " disagrees with "
			                "the payload", n);
		q->height = r->height;
		q->round = ember_le32_get(b);
		q->pol_round = cwal_i32(ember_le32_get(b + 4));
		memcpy(q->value, b + 8, 32);
		q->proposer = ember_le32_get(b + 40);
		memcpy(q->sig, b + 44, 64);
		r->u.prop.blk = b + CWAL_PROP_BODY;     /* valid even when n is 0 */
		r->u.prop.blklen = n;
		return 0;
	}
	case CONS_WAL_VOTE: {
		struct bft_vote *v = &r->u.vote;

		if (blen != CWAL_VOTE_BODY)
			return cwal_bad(g, "vote body of %zu bytes", blen);
		v->type = b[0];
		v->nil = b[1];
		if (v->type != BFT_VOTE_PREVOTE && v->type != BFT_VOTE_PRECOMMIT)
			return cwal_bad(g, "vote type %u", v->type);
		if (v->nil > 1)
			return cwal_bad(g, "vote nil flag %u", v->nil);
		v->height = r->height;
		v->round = ember_le32_get(b + 2);
		memcpy(v->value, b + 6, 32);
		v->validator = ember_le32_get(b + 38);
		v->time_ms = ember_le64_get(b + 42);
		memcpy(v->sig, b + 50, 64);
		return 0;
	}
	case CONS_WAL_TIMEOUT:
		if (blen != CWAL_TIMEOUT_BODY)
			return cwal_bad(g, "timeout body of %zu bytes", blen);
		r->u.timeout.step = b[0];
		r->u.timeout.round = ember_le32_get(b + 1);
		if (r->u.timeout.step > BFT_PRECOMMIT)
			return cwal_bad(g, "timeout step %u", r->u.timeout.step);
		return 0;
	default:
		return cwal_bad(g, "unknown kind %u", r->kind);
	}
}

/*
 * Read and check the record at off.  g->len always gets the record's
 * extent as its header claims it (all the rest of the file when the
 * header itself is cut).
 * Returns: 0 (good: g->rec); 1 (bad: g->why); EMBER_EIO (errno set);
 * EMBER_ENOMEM.
 */
static int cwal_rd_record(struct cwal_rd *rd, uint64_t off, struct cwal_got *g)
{
	uint64_t left = rd->size - off;
	const uint8_t *p;
	uint8_t md[CWAL_HASH];
	uint32_t plen;
	int rc;

	if (left < CWAL_HDR) {
		g->len = left;
		return cwal_bad(g, "incomplete header");
	}
	if ((rc = cwal_fetch(rd, off, CWAL_HDR, &p)) != 0)
		return rc;
	plen = ember_le32_get(p + 4);
	g->len = (uint64_t)CWAL_HDR + plen + CWAL_HASH;
	if (memcmp(p, CWAL_MAGIC, 4) != 0)
		return cwal_bad(g, "bad magic");
	if (g->len > left)
		return cwal_bad(g, "record of %" PRIu64 " bytes overruns the end of "
		                "the file", g->len);
	if (plen > CWAL_MAX_PAYLOAD)
		return cwal_bad(g, "payload_len %" PRIu32 " too large", plen);
	if ((rc = cwal_fetch(rd, off, (size_t)g->len, &p)) != 0)
		return rc;
	ember_sha256(p, CWAL_HDR + (size_t)plen, md);
	if (memcmp(md, p + CWAL_HDR + plen, CWAL_HASH) != 0)
		return cwal_bad(g, "hash mismatch");
	return cwal_decode(p + CWAL_HDR, plen, g);
}

/*
 * Does a whole, valid record start anywhere in (off, rd->size)?  That is
 * what tells damage from a torn tail: a length field damaged in the
 * middle of the log can claim any extent, even past the end, but whole
 * records follow it; nothing acknowledged follows a torn append.  Only
 * this error path pays for the scan.
 * Returns: 1, 0, EMBER_EIO (errno set), EMBER_ENOMEM.
 */
static int cwal_valid_after(struct cwal_rd *rd, uint64_t off)
{
	struct cwal_got g;
	uint64_t pos = off + 1;

	while (pos + CWAL_HDR + CWAL_PAY_HDR + CWAL_HASH <= rd->size) {
		size_t n = rd->size - pos < CWAL_CHUNK ? (size_t)(rd->size - pos)
		                                       : CWAL_CHUNK;
		const uint8_t *p, *hit;
		int rc;

		if ((rc = cwal_fetch(rd, pos, n, &p)) != 0)
			return rc;
		if (!(hit = memmem(p, n, CWAL_MAGIC, 4))) {
			pos += n - 3;   /* a magic may straddle the chunks */
			continue;
		}
		pos += (uint64_t)(hit - p);
		if ((rc = cwal_rd_record(rd, pos, &g)) <= 0)
			return rc == 0 ? 1 : rc;
		pos++;
	}
	return 0;
}

/* Message for a failed read of rd's file (errno from the failure). */
static int cwal_read_err(const struct cwal_rd *rd, int rc, char *err,
                         size_t errlen)
{
	if (rc == EMBER_EIO)
		ember_errf(err, errlen, "cannot read '%s': %s", rd->path,
		           strerror(errno));
	else
		ember_errf(err, errlen, "cannot read '%s': %s", rd->path,
		           ember_strerror(rc));
	return rc;
}

/*
 * Walk rd from off to its end, handing each good record to fn (rd->at
 * its offset).  A bad record ends the walk: damage when a valid record
 * follows it, else a torn tail, left for the caller in *stop and g.
 * Returns: 0 (*stop: rd->size, or a torn tail's offset with g->why);
 * EMBER_STORE_DAMAGED, EMBER_EIO, EMBER_ENOMEM (err says why); fn's
 * non-zero return.
 */
static int cwal_walk(struct cwal_rd *rd, uint64_t off, cons_wal_cb fn,
                     void *ctx, uint64_t *stop, struct cwal_got *g,
                     char *err, size_t errlen)
{
	int rc;

	while (off < rd->size) {
		rc = cwal_rd_record(rd, off, g);
		if (rc < 0)
			return cwal_read_err(rd, rc, err, errlen);
		if (rc == 1) {
			if ((rc = cwal_valid_after(rd, off)) < 0)
				return cwal_read_err(rd, rc, err, errlen);
			if (rc == 1) {
				ember_errf(err, errlen, "%s in the record at byte %" PRIu64
				           " of '%s', with whole records after it",
				           g->why, off, rd->path);
				return EMBER_STORE_DAMAGED;
			}
			*stop = off;
			return 0;
		}
		rd->at = off;
		if (fn && (rc = fn(ctx, &g->rec)) != 0)
			return rc;
		off += g->len;
	}
	*stop = off;
	return 0;
}

/* open's walk: remember where the last CONS_WAL_HEIGHT record is. */
struct cwal_mark_ctx {
	struct cons_wal *w;
	const struct cwal_rd *rd;
};

static int cwal_mark_cb(void *ctx, const struct cons_wal_rec *r)
{
	struct cwal_mark_ctx *m = ctx;

	if (r->kind == CONS_WAL_HEIGHT) {
		m->w->have_mark = 1;
		m->w->mark_off = m->rd->at;
		m->w->mark_height = r->height;
	}
	return 0;
}

/* Create path, which must not exist (0600), and fsync dir.  Returns the
 * descriptor, or -1 (errno set; nothing left open). */
static int cwal_create(const char *path, const char *dir)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600), e;

	if (fd < 0)
		return -1;
	if (ember_fsync_dir(dir) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The rotation size: CONS_WAL_ROTATE unless the environment says else. */
static uint64_t cwal_rotate_size(void)
{
	const char *s = getenv(CWAL_ROTATE_ENV);
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return CONS_WAL_ROTATE;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || errno || *end || v == 0) {
		fprintf(stderr, "cons wal: ignoring " CWAL_ROTATE_ENV "='%s': not a "
		        "positive decimal number of bytes\n", s);
		return CONS_WAL_ROTATE;
	}
	return v;
}

static char *cwal_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Check the whole file, cut a torn tail, find the last height mark. */
static int cwal_load(struct cons_wal *w, char *err, size_t errlen)
{
	struct cwal_rd rd = { .fd = w->fd, .path = w->path };
	struct cwal_mark_ctx m = { w, &rd };
	struct cwal_got g;
	struct stat st;
	uint64_t stop;
	int rc;

	if (fstat(w->fd, &st) != 0) {
		ember_errf(err, errlen, "cannot read '%s': %s", w->path,
		           strerror(errno));
		return EMBER_EIO;
	}
	rd.size = (uint64_t)st.st_size;
	rc = cwal_walk(&rd, 0, cwal_mark_cb, &m, &stop, &g, err, errlen);
	free(rd.buf);
	if (rc)
		return rc;
	w->size = stop;
	if (stop == rd.size)
		return 0;
	if (ftruncate(w->fd, (off_t)stop) != 0 || fsync(w->fd) != 0) {
		ember_errf(err, errlen, "cannot cut the torn tail off '%s': %s",
		           w->path, strerror(errno));
		return EMBER_EIO;
	}
	fprintf(stderr, "cons wal: cut %" PRIu64 " bytes of a torn record (%s) "
	        "off the end of '%s' at byte %" PRIu64 "\n", rd.size - stop,
	        g.why, w->path, stop);
	return 0;
}

int cons_wal_open(struct cons_wal **out, const char *dir, char *err,
                  size_t errlen)
{
	struct cons_wal *w;
	int rc;

	if (!out || !dir)
		return EMBER_EINVAL;
	*out = NULL;
	if (!(w = calloc(1, sizeof(*w))))
		return EMBER_ENOMEM;
	w->fd = -1;
	w->rotate = cwal_rotate_size();
	if (!(w->dir = strdup(dir)) ||
	    !(w->path = cwal_join(dir, CONS_WAL_FILE)) ||
	    !(w->old = cwal_join(dir, CONS_WAL_OLD))) {
		rc = EMBER_ENOMEM;
		goto fail;
	}
	w->fd = open(w->path, O_RDWR | O_CLOEXEC);
	if (w->fd < 0 && errno == ENOENT)
		w->fd = cwal_create(w->path, dir);
	if (w->fd < 0) {
		ember_errf(err, errlen, "cannot open '%s': %s", w->path,
		           strerror(errno));
		rc = EMBER_EIO;
		goto fail;
	}
	if ((rc = cwal_load(w, err, errlen)) != 0)
		goto fail;
	*out = w;
	return 0;
fail:
	cons_wal_free(w);
	return rc;
}

void cons_wal_free(struct cons_wal *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->dir);
	free(w->path);
	free(w->old);
	free(w->buf);
	free(w);
}

/* replay's walk: everything after the mark, which it skips. */
struct cwal_replay_ctx {
	const struct cwal_rd *rd;
	uint64_t mark_off;
	cons_wal_cb cb;
	void *ctx;
	int stopped;            /* cb returned non-zero */
};

static int cwal_replay_cb(void *ctx, const struct cons_wal_rec *r)
{
	struct cwal_replay_ctx *c = ctx;
	int rc;

	if (c->rd->at == c->mark_off)
		return 0;
	if ((rc = c->cb(c->ctx, r)) != 0)
		c->stopped = 1;
	return rc;
}

int cons_wal_replay(struct cons_wal *w, uint64_t h, cons_wal_cb cb, void *ctx)
{
	struct cwal_rd rd;
	struct cwal_replay_ctx c;
	struct cwal_got g;
	uint64_t stop = 0;
	char err[512] = "";
	int rc;

	if (!w || !cb)
		return EMBER_EINVAL;
	if (!w->have_mark || w->mark_height != h)
		return 0;
	rd = (struct cwal_rd){ .fd = w->fd, .path = w->path, .size = w->size };
	c = (struct cwal_replay_ctx){ &rd, w->mark_off, cb, ctx, 0 };
	rc = cwal_walk(&rd, w->mark_off, cwal_replay_cb, &c, &stop, &g, err,
	               sizeof(err));
	free(rd.buf);
	if (c.stopped)
		return rc;
	/* open checked these bytes and only whole appends came after it: a
	 * bad record now means the file was changed under the node.  The
	 * walk ends where the file ended when it began (rd.size): the
	 * callbacks may append (a node signs again what the replay asks). */
	if (rc == 0 && stop != rd.size) {
		snprintf(err, sizeof(err), "%s in the record at byte %" PRIu64
		         " of '%s'", g.why, stop, w->path);
		rc = EMBER_STORE_DAMAGED;
	}
	if (rc == EMBER_STORE_DAMAGED) {
		fprintf(stderr, "cons wal: cannot replay: %s; the file changed "
		        "after it was opened\n", err);
		return EMBER_EIO;
	}
	if (rc)
		fprintf(stderr, "cons wal: cannot replay: %s\n", err);
	return rc;
}

/* Bytes r's record takes, or 0 when r cannot be stored. */
static size_t cwal_rec_len(const struct cons_wal_rec *r)
{
	size_t body;

	switch (r->kind) {
	case CONS_WAL_HEIGHT:
		body = 0;
		break;
	case CONS_WAL_PROPOSAL:
		if (r->u.prop.p.height != r->height ||
		    r->u.prop.blklen > CONS_WAL_BLOCK_MAX ||
		    (r->u.prop.blklen && !r->u.prop.blk))
			return 0;
		body = CWAL_PROP_BODY + r->u.prop.blklen;
		break;
	case CONS_WAL_VOTE:
		if (r->u.vote.height != r->height ||
		    (r->u.vote.type != BFT_VOTE_PREVOTE &&
		     r->u.vote.type != BFT_VOTE_PRECOMMIT))
			return 0;
		body = CWAL_VOTE_BODY;
		break;
	case CONS_WAL_TIMEOUT:
		if (r->u.timeout.step > BFT_PRECOMMIT)
			return 0;
		body = CWAL_TIMEOUT_BODY;
		break;
	default:
		return 0;
	}
	return CWAL_HDR + CWAL_PAY_HDR + body + CWAL_HASH;
}

/* Build r's record (len bytes, from cwal_rec_len) in w->buf.
 * Returns: 0, EMBER_ENOMEM. */
static int cwal_encode(struct cons_wal *w, const struct cons_wal_rec *r,
                       size_t len)
{
	size_t plen = len - CWAL_HDR - CWAL_HASH;
	uint8_t *p, *b;

	if (cwal_grow(&w->buf, &w->cap, len) != 0)
		return EMBER_ENOMEM;
	p = w->buf;
	memcpy(p, CWAL_MAGIC, 4);
	ember_le32_put(p + 4, (uint32_t)plen);
	p[8] = r->kind;
	p[9] = r->own ? 1 : 0;
	ember_le64_put(p + 10, r->height);
	b = p + CWAL_HDR + CWAL_PAY_HDR;
	switch (r->kind) {
	case CONS_WAL_PROPOSAL: {
		const struct bft_proposal *q = &r->u.prop.p;

		ember_le32_put(b, q->round);
		ember_le32_put(b + 4, (uint32_t)q->pol_round);
		memcpy(b + 8, q->value, 32);
		ember_le32_put(b + 40, q->proposer);
		memcpy(b + 44, q->sig, 64);
		ember_le32_put(b + 108, (uint32_t)r->u.prop.blklen);
		if (r->u.prop.blklen)
			memcpy(b + CWAL_PROP_BODY, r->u.prop.blk, r->u.prop.blklen);
		break;
	}
	case CONS_WAL_VOTE: {
		const struct bft_vote *v = &r->u.vote;

		b[0] = v->type;
		b[1] = v->nil ? 1 : 0;
		ember_le32_put(b + 2, v->round);
		memcpy(b + 6, v->value, 32);
		ember_le32_put(b + 38, v->validator);
		ember_le64_put(b + 42, v->time_ms);
		memcpy(b + 50, v->sig, 64);
		break;
	}
	case CONS_WAL_TIMEOUT:
		b[0] = r->u.timeout.step;
		ember_le32_put(b + 1, r->u.timeout.round);
		break;
	default:
		break;
	}
	ember_sha256(w->buf, CWAL_HDR + plen, w->buf + CWAL_HDR + plen);
	return 0;
}

/*
 * DIR/cons.wal -> DIR/cons.wal.1 and a new, empty DIR/cons.wal.  When the
 * new file cannot be made the old one is moved back, so appends go on
 * where they were.  Returns: 0, or -1 (errno set).
 */
static int cwal_rotate(struct cons_wal *w)
{
	int fd, e;

	if (rename(w->path, w->old) != 0)
		return -1;
	if ((fd = open(w->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		e = errno;
		if (rename(w->old, w->path) != 0)
			fprintf(stderr, "cons wal: cannot move '%s' back to '%s': %s\n",
			        w->old, w->path, strerror(errno));
		errno = e;
		return -1;
	}
	close(w->fd);
	w->fd = fd;
	w->size = 0;
	w->have_mark = 0;
	/* From here the new file is the log, durable name or not: a failed
	 * directory fsync fails this append, and the next one goes on. */
	return ember_fsync_dir(w->dir);
}


int cons_wal_append(struct cons_wal *w, const struct cons_wal_rec *r, int sync)
{
	size_t len;
	int rc, e;

	if (!w || !r || !(len = cwal_rec_len(r)))
		return EMBER_EINVAL;
	if ((rc = cwal_encode(w, r, len)) != 0)
		return rc;
	if (r->kind == CONS_WAL_HEIGHT && w->size >= w->rotate &&
	    cwal_rotate(w) != 0) {
		e = errno;
		fprintf(stderr, "cons wal: cannot rotate '%s' to '%s': %s\n",
		        w->path, w->old, strerror(e));
		return cwal_errno_code(e);
	}
	if (ember_pwrite_all(w->fd, w->buf, len, w->size) == 0 &&
	    (!sync || fdatasync(w->fd) == 0)) {
		if (r->kind == CONS_WAL_HEIGHT) {
			w->have_mark = 1;
			w->mark_off = w->size;
			w->mark_height = r->height;
		}
		w->size += len;
		return 0;
	}
	/* Nothing of a failed append may stay behind to be replayed; the cut
	 * is best effort, errno is the write's.  Should it fail, the next
	 * append still writes at w->size, over what is left. */
	e = errno;
	if (ftruncate(w->fd, (off_t)w->size) == 0)
		(void)fdatasync(w->fd);
	rc = cwal_errno_code(e);
	if (rc == EMBER_EIO)
		fprintf(stderr, "cons wal: cannot append to '%s': %s\n", w->path,
		        strerror(e));
	return rc;
}

uint64_t cons_wal_size(const struct cons_wal *w)
{
	return w ? w->size : 0;
}

int cons_wal_read_file(const char *path, cons_wal_cb cb, void *ctx, char *err,
                       size_t errlen)
{
	struct cwal_rd rd = { .path = path };
	struct cwal_got g;
	struct stat st;
	uint64_t stop;
	int rc;

	if (!path || !cb)
		return EMBER_EINVAL;
	if ((rd.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(rd.fd, &st) != 0) {
		ember_errf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		if (rd.fd >= 0)
			close(rd.fd);
		return EMBER_EIO;
	}
	rd.size = (uint64_t)st.st_size;
	rc = cwal_walk(&rd, 0, cb, ctx, &stop, &g, err, errlen);
	if (rc == 0 && stop != rd.size)
		ember_errf(err, errlen, "torn record at byte %" PRIu64 " of '%s' "
		           "(%" PRIu64 " bytes to the end): %s", stop, path,
		           rd.size - stop, g.why);
	free(rd.buf);
	close(rd.fd);
	return rc;
}
