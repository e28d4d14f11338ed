/*
 * store_wal.c - the ledger's write-ahead log (store_wal.h).
 *
 * Open reads the file once, front to back, through a large stdio buffer;
 * each record is read whole into one buffer owned by the log (grown to the
 * largest record seen) and checked there: magic, hash, entry layout, seq
 * order.  Whether a bad record is a torn tail or damage depends only on
 * where it ends: the append a crash interrupted is the last thing in the
 * file, so a bad record with more bytes after it was written whole and
 * broken later.  Append builds its record in the same buffer and writes
 * it with pwrite at the end the log keeps track of, so a failed append is
 * cut back to exactly that length.
 */
#include "store_wal.h"

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
#include "ember/error.h"
#include "ember/hash.h"

#define WAL_MAGIC "EWAL"
#define WAL_HDR 20              /* magic, payload_len, seq, count */
#define WAL_ENT_HDR 8           /* db, present, klen, vlen */
#define WAL_HASH 32
/* No commit comes near this.  A larger payload_len is a broken header, and
 * the cap keeps a broken header from asking for gigabytes of memory. */
#define WAL_MAX_PAYLOAD ((uint32_t)1 << 30)
#define WAL_READ_BUF ((size_t)1 << 20)

struct store_wal {
	int fd;
	char *path;
	uint64_t size;          /* bytes in the file: where the next record goes */
	uint64_t next;          /* seq the next append must carry */
	uint8_t *buf;           /* one record, being read or appended */
	size_t cap;
	struct store_wal_ent *ents;     /* the entries of a record read */
	size_t entcap;
};

/* One record as wal_read_record found it. */
struct wal_rec {
	uint64_t len;           /* bytes its header claims (the rest, if cut) */
	uint64_t seq;
	size_t n;               /* entries, in w->ents */
	char why[96];           /* a bad record: what is wrong */
};

static int wal_reserve(struct store_wal *w, size_t n)
{
	uint8_t *p;
	size_t cap = w->cap ? w->cap : 4096;

	if (n <= w->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if (!(p = realloc(w->buf, cap)))
		return EMBER_ENOMEM;
	w->buf = p;
	w->cap = cap;
	return 0;
}

static int wal_reserve_ents(struct store_wal *w, size_t n)
{
	struct store_wal_ent *p;

	if (n <= w->entcap)
		return 0;
	if (!(p = realloc(w->ents, n * sizeof(*p))))
		return EMBER_ENOMEM;
	w->ents = p;
	w->entcap = n;
	return 0;
}

/* The disk being full is the operator's to fix; anything else is I/O. */
static int wal_errno_code(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EFBIG ? EMBER_STORE_DISK_FULL
	                                               : EMBER_EIO;
}

/* Cut the file to len and make the new length durable.  w->size follows
 * the cut even when the fsync then fails, so an append never leaves a
 * hole.  Returns 0 or -1 (errno set). */
static int wal_truncate(struct store_wal *w, uint64_t len)
{
	if (ftruncate(w->fd, (off_t)len) != 0)
		return -1;
	w->size = len;
	return fsync(w->fd);
}

/* Returns: 0, or EMBER_EIO (err says why) when the file ends early or the
 * read fails: open measured the file first, so it cannot end early. */
static int wal_fread(struct store_wal *w, FILE *f, void *p, size_t n,
                     char *err, size_t errlen)
{
	if (n && fread(p, 1, n, f) != n) {
		ember_errf(err, errlen, "cannot read '%s': %s", w->path,
		           ferror(f) ? strerror(errno) : "file shrank while read");
		return EMBER_EIO;
	}
	return 0;
}

static int wal_bad(struct wal_rec *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Returns 1: the value wal_read_record gives for a bad record. */
static int wal_bad(struct wal_rec *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return 1;
}

/*
 * Split the verified payload in w->buf into w->ents.
 * Returns: 0; 1 (bad: r->why); EMBER_ENOMEM.
 */
static int wal_parse(struct store_wal *w, struct wal_rec *r, uint32_t plen)
{
	const uint8_t *p = w->buf + WAL_HDR, *end = p + plen;
	uint32_t count = ember_le32_get(w->buf + 16);

	/* Each entry takes at least its header: this bounds the array. */
	if (count > plen / WAL_ENT_HDR)
		return wal_bad(r, "count %" PRIu32 " overruns payload", count);
	if (wal_reserve_ents(w, count) != 0)
		return EMBER_ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		struct store_wal_ent *e = &w->ents[i];

		if ((size_t)(end - p) < WAL_ENT_HDR)
			return wal_bad(r, "entry %" PRIu32 " overruns payload", i);
		e->db = p[0];
		e->present = p[1];
		e->klen = ember_le16_get(p + 2);
		e->vlen = ember_le32_get(p + 4);
		p += WAL_ENT_HDR;
		if (e->present > 1)
			return wal_bad(r, "entry %" PRIu32 " has present flag %u", i,
			               e->present);
		if (!e->present && e->vlen)
			return wal_bad(r, "deletion in entry %" PRIu32 " has a value", i);
		if ((uint64_t)(end - p) < (uint64_t)e->klen + e->vlen)
			return wal_bad(r, "entry %" PRIu32 " overruns payload", i);
		e->key = p;
		e->val = e->present ? p + e->klen : NULL;
		p += e->klen + (size_t)e->vlen;
	}
	if (p != end)
		return wal_bad(r, "%zu bytes after the last entry", (size_t)(end - p));
	r->n = count;
	return 0;
}

/*
 * Read and check the record at the stream's position, with left bytes of
 * file from there.  r->len always gets the record's extent as its header
 * claims it (all of left when the header itself is cut), which is what
 * tells a torn tail from damage.
 * Returns: 0 (good: entries in w->ents); 1 (bad: r->why); EMBER_EIO;
 * EMBER_ENOMEM.
 */
static int wal_read_record(struct store_wal *w, FILE *f, uint64_t left,
                           struct wal_rec *r, char *err, size_t errlen)
{
	uint8_t md[WAL_HASH];
	uint32_t plen;
	int rc;

	if (left < WAL_HDR) {
		r->len = left;
		return wal_bad(r, "incomplete header");
	}
	if ((rc = wal_reserve(w, WAL_HDR)) != 0 ||
	    (rc = wal_fread(w, f, w->buf, WAL_HDR, err, errlen)) != 0)
		return rc;
	plen = ember_le32_get(w->buf + 4);
	r->len = (uint64_t)WAL_HDR + plen + WAL_HASH;
	r->seq = ember_le64_get(w->buf + 8);
	if (memcmp(w->buf, WAL_MAGIC, 4) != 0)
		return wal_bad(r, "bad magic");
	if (r->len > left)
		return wal_bad(r, "record overruns the end of the file");
	if (plen > WAL_MAX_PAYLOAD)
		return wal_bad(r, "payload_len %" PRIu32 " too large", plen);
	if ((rc = wal_reserve(w, (size_t)r->len)) != 0 ||
	    (rc = wal_fread(w, f, w->buf + WAL_HDR, (size_t)r->len - WAL_HDR,
	                    err, errlen)) != 0)
		return rc;
	ember_sha256(w->buf, WAL_HDR + (size_t)plen, md);
	if (memcmp(md, w->buf + WAL_HDR + plen, WAL_HASH) != 0)
		return wal_bad(r, "hash mismatch");
	return wal_parse(w, r, plen);
}

/*
 * Is every byte from off to the end zero?  A power cut can leave the last
 * append's extent allocated but never written, which reads back as zeros
 * that parse as a short bad record followed by more zeros; no acknowledged
 * record is all zeros, so such a tail is torn, not damage.
 * Returns: 1, 0, or EMBER_EIO.
 */
static int wal_zero_tail(struct store_wal *w, uint64_t off, uint64_t size)
{
	uint8_t chunk[4096];

	while (off < size) {
		size_t n = size - off < sizeof(chunk) ? (size_t)(size - off)
		                                      : sizeof(chunk);
		ssize_t k = pread(w->fd, chunk, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;    /* the file shrank under us */
			return EMBER_EIO;
		}
		for (ssize_t i = 0; i < k; i++)
			if (chunk[i])
				return 0;
		off += (uint64_t)k;
	}
	return 1;
}

/*
 * Does a whole, verifying record start anywhere in (off, size)?  A record
 * whose header claims more bytes than the file has is a torn append only
 * if nothing acknowledged follows it; a length field damaged in the
 * middle of the log claims too much too, and then whole records follow.
 * Only this error path pays for the scan.  Returns 1, 0, or EMBER_EIO /
 * EMBER_ENOMEM.
 */
static int wal_valid_after(struct store_wal *w, uint64_t off, uint64_t size)
{
	uint64_t n = size - off;
	uint8_t *buf, md[WAL_HASH];
	int found = 0;

	if (n > SIZE_MAX || !(buf = malloc((size_t)n)))
		return EMBER_ENOMEM;
	for (uint64_t got = 0; got < n;) {
		ssize_t k = pread(w->fd, buf + got, (size_t)(n - got), (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			free(buf);
			return EMBER_EIO;
		}
		got += (uint64_t)k;
	}
	for (uint64_t p = 1; p + WAL_HDR + WAL_HASH <= n && !found; p++) {
		uint64_t plen;
		if (memcmp(buf + p, WAL_MAGIC, 4) != 0)
			continue;
		plen = ember_le32_get(buf + p + 4);
		if (plen > WAL_MAX_PAYLOAD || p + WAL_HDR + plen + WAL_HASH > n)
			continue;
		ember_sha256(buf + p, WAL_HDR + (size_t)plen, md);
		found = memcmp(md, buf + p + WAL_HDR + plen, WAL_HASH) == 0;
	}
	free(buf);
	return found;
}

/*
 * A bad record at off: a torn tail when it reaches the end of the file
 * and no whole record follows it (cut off, logged); damage otherwise.
 * Returns: 0 (cut); EMBER_STORE_DAMAGED; EMBER_EIO.
 */
static int wal_bad_record(struct store_wal *w, uint64_t off, uint64_t size,
                          const struct wal_rec *r, char *err, size_t errlen)
{
	int torn = r->len >= size - off;

	if (torn && (torn = wal_valid_after(w, off, size)) >= 0)
		torn = !torn;
	if (torn < 0) {
		ember_errf(err, errlen, "cannot read '%s': %s", w->path,
		           strerror(errno));
		return EMBER_EIO;
	}
	if (!torn && r->len < size - off && (torn = wal_zero_tail(w, off, size)) < 0) {
		ember_errf(err, errlen, "cannot read '%s': %s", w->path,
		           strerror(errno));
		return EMBER_EIO;
	}
	if (!torn) {
		ember_errf(err, errlen, "%s in the record at byte %" PRIu64 " of '%s'",
		           r->why, off, w->path);
		return EMBER_STORE_DAMAGED;
	}
	if (wal_truncate(w, off) != 0) {
		ember_errf(err, errlen, "cannot cut the torn tail off '%s': %s",
		           w->path, strerror(errno));
		return EMBER_EIO;
	}
	fprintf(stderr, "store: cut %" PRIu64 " bytes of a torn record (%s) off "
	        "the end of '%s' at byte %" PRIu64 "\n", size - off, r->why,
	        w->path, off);
	return 0;
}

/*
 * Check seq against the record before it (prev; none when !have).  The
 * first record may be any already flushed one or the first unflushed one.
 * Returns: 0, or EMBER_STORE_DAMAGED (err says why).
 */
static int wal_check_seq(const struct store_wal *w, uint64_t off, uint64_t seq,
                         int have, uint64_t prev, uint64_t flushed,
                         char *err, size_t errlen)
{
	if (have && seq != prev + 1) {
		ember_errf(err, errlen, "seq %" PRIu64 " does not follow seq %" PRIu64
		           " in the record at byte %" PRIu64 " of '%s'",
		           seq, prev, off, w->path);
		return EMBER_STORE_DAMAGED;
	}
	if (!have && seq > flushed + 1) {
		ember_errf(err, errlen, "seq %" PRIu64 " leaves a gap after flushed "
		           "seq %" PRIu64 " in the record at byte %" PRIu64 " of '%s'",
		           seq, flushed, off, w->path);
		return EMBER_STORE_DAMAGED;
	}
	return 0;
}

/*
 * Walk the file from f's start: check every record, hand those above
 * flushed to cb, cut a torn tail.  Leaves w->size at the end of the last
 * whole record and *last at the last seq replayed (flushed if none).
 */
static int wal_replay(struct store_wal *w, FILE *f, uint64_t size,
                      uint64_t flushed, store_wal_replay_cb cb, void *ctx,
                      uint64_t *last, char *err, size_t errlen)
{
	struct wal_rec r;
	uint64_t off = 0, prev = 0;
	int have = 0, rc;

	*last = flushed;
	w->size = size;
	while (off < size) {
		rc = wal_read_record(w, f, size - off, &r, err, errlen);
		if (rc == 1)
			return wal_bad_record(w, off, size, &r, err, errlen);
		if (rc < 0)
			return rc;
		if ((rc = wal_check_seq(w, off, r.seq, have, prev, flushed,
		                        err, errlen)) != 0)
			return rc;
		if (r.seq > flushed) {
			if (cb && (rc = cb(ctx, r.seq, w->ents, r.n)) < 0)
				return rc;
			*last = r.seq;
		}
		prev = r.seq;
		have = 1;
		off += r.len;
	}
	/*
	 * Every record is at or below flushed, the last one below it: all are
	 * in LMDB already, and the next append (flushed + 1) would not follow
	 * the last record.  Emptying the log is what reset would have done.
	 */
	if (have && prev < flushed) {
		if (wal_truncate(w, 0) != 0) {
			ember_errf(err, errlen, "cannot empty '%s': %s", w->path,
			           strerror(errno));
			return EMBER_EIO;
		}
		fprintf(stderr, "store: emptied '%s': its last seq %" PRIu64
		        " is below flushed seq %" PRIu64 "\n", w->path, prev, flushed);
	}
	return 0;
}

/* Replay the file through a stream of its own (a dup of fd), so the
 * sequential read is buffered in large chunks. */
static int wal_load(struct store_wal *w, uint64_t flushed,
                    store_wal_replay_cb cb, void *ctx, uint64_t *last,
                    char *err, size_t errlen)
{
	struct stat st;
	FILE *f;
	int fd2, rc;

	if (fstat(w->fd, &st) != 0 ||
	    (fd2 = fcntl(w->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		ember_errf(err, errlen, "cannot read '%s': %s", w->path,
		           strerror(errno));
		return EMBER_EIO;
	}
	if (!(f = fdopen(fd2, "rb"))) {
		close(fd2);
		return EMBER_ENOMEM;
	}
	setvbuf(f, NULL, _IOFBF, WAL_READ_BUF);
	rc = wal_replay(w, f, (uint64_t)st.st_size, flushed, cb, ctx, last,
	                err, errlen);
	fclose(f);
	return rc;
}

/* Open w->path, creating it if missing; a new name is made durable with
 * an fsync of dir.  Returns: 0, EMBER_EIO. */
static int wal_open_file(struct store_wal *w, const char *dir, char *err,
                         size_t errlen)
{
	w->fd = open(w->path, O_RDWR | O_CLOEXEC);
	if (w->fd >= 0)
		return 0;
	if (errno == ENOENT &&
	    (w->fd = open(w->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) >= 0 &&
	    ember_fsync_dir(dir) == 0)
		return 0;
	ember_errf(err, errlen, "cannot open '%s': %s", w->path, strerror(errno));
	return EMBER_EIO;
}

int store_wal_open(struct store_wal **out, const char *dir,
                   uint64_t flushed_seq, store_wal_replay_cb cb, void *ctx,
                   uint64_t *last_seq, char *err, size_t errlen)
{
	struct store_wal *w;
	size_t plen;
	uint64_t last;
	int rc;

	if (!out || !dir || !last_seq)
		return EMBER_EINVAL;
	*out = NULL;
	if (!(w = calloc(1, sizeof(*w))))
		return EMBER_ENOMEM;
	w->fd = -1;
	plen = strlen(dir) + sizeof("/" STORE_WAL_FILE);
	if (!(w->path = malloc(plen))) {
		rc = EMBER_ENOMEM;
		goto fail;
	}
	snprintf(w->path, plen, "%s/%s", dir, STORE_WAL_FILE);
	if ((rc = wal_open_file(w, dir, err, errlen)) != 0 ||
	    (rc = wal_load(w, flushed_seq, cb, ctx, &last, err, errlen)) != 0)
		goto fail;
	w->next = last + 1;
	*last_seq = last;
	*out = w;
	return 0;
fail:
	store_wal_close(w);
	return rc;
}

/*
 * Build the record for (seq, ents) in w->buf; *len gets its size.
 * Returns: 0, EMBER_EINVAL (an entry that cannot be stored), EMBER_ENOMEM.
 */
static int wal_encode(struct store_wal *w, uint64_t seq,
                      const struct store_wal_ent *ents, size_t n, size_t *len)
{
	uint64_t plen = 0;
	uint8_t *p;
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct store_wal_ent *e = &ents[i];

		if ((e->klen && !e->key) || (e->vlen && !e->val) ||
		    (!e->present && e->vlen))
			return EMBER_EINVAL;
		plen += WAL_ENT_HDR + (uint64_t)e->klen + e->vlen;
		if (plen > WAL_MAX_PAYLOAD)     /* also keeps n within le32 */
			return EMBER_EINVAL;
	}
	*len = WAL_HDR + (size_t)plen + WAL_HASH;
	if ((rc = wal_reserve(w, *len)) != 0)
		return rc;
	p = w->buf;
	memcpy(p, WAL_MAGIC, 4);
	ember_le32_put(p + 4, (uint32_t)plen);
	ember_le64_put(p + 8, seq);
	ember_le32_put(p + 16, (uint32_t)n);
	p += WAL_HDR;
	for (size_t i = 0; i < n; i++) {
		const struct store_wal_ent *e = &ents[i];

		p[0] = e->db;
		p[1] = e->present ? 1 : 0;
		ember_le16_put(p + 2, e->klen);
		ember_le32_put(p + 4, e->vlen);
		p += WAL_ENT_HDR;
		if (e->klen)
			memcpy(p, e->key, e->klen);
		p += e->klen;
		if (e->vlen)
			memcpy(p, e->val, e->vlen);
		p += e->vlen;
	}
	ember_sha256(w->buf, WAL_HDR + (size_t)plen, p);
	return 0;
}


int store_wal_append(struct store_wal *w, uint64_t seq,
                     const struct store_wal_ent *ents, size_t n)
{
	size_t len;
	int rc, e;

	if (!w || (n && !ents) || seq != w->next)
		return EMBER_EINVAL;
	if ((rc = wal_encode(w, seq, ents, n, &len)) != 0)
		return rc;
	if (ember_pwrite_all(w->fd, w->buf, len, w->size) == 0 &&
	    fdatasync(w->fd) == 0) {
		w->size += len;
		w->next = seq + 1;
		return 0;
	}
	/* Nothing of a failed append may stay behind to be replayed as an
	 * acknowledged commit; the cut is best effort, errno is the write's. */
	e = errno;
	if (ftruncate(w->fd, (off_t)w->size) == 0)
		(void)fdatasync(w->fd);
	rc = wal_errno_code(e);
	if (rc == EMBER_EIO)
		fprintf(stderr, "store: cannot append to '%s': %s\n", w->path,
		        strerror(e));
	return rc;
}

int store_wal_reset(struct store_wal *w, uint64_t next_seq)
{
	if (!w)
		return EMBER_EINVAL;
	if (wal_truncate(w, 0) != 0) {
		fprintf(stderr, "store: cannot empty '%s': %s\n", w->path,
		        strerror(errno));
		return EMBER_EIO;
	}
	w->next = next_seq;
	return 0;
}

uint64_t store_wal_size(const struct store_wal *w)
{
	return w ? w->size : 0;
}

void store_wal_close(struct store_wal *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w->buf);
	free(w->ents);
	free(w);
}
