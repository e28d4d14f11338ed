/*
 * guard.c - the signing guard file (guard.h): load and check, the signing
 * rules, and the durable write (tmp file, fsync, rename, fsync directory).
 */
#include "ember/guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ember/codec.h"
#include "ember/fsio.h"
#include "ember/hash.h"

#define GUARD_MAGIC "EMBGUARD"
#define GUARD_VERSION 1
#define GUARD_HEAD 61                       /* bytes before the block */
#define GUARD_MAX_BLOCK (64u * 1024 * 1024)

struct cons_guard {
	char path[4096], tmp[4096], dir[4096];
	int have;
	struct cons_guard_rec last;
	uint8_t *blk;                           /* owned; blklen bytes */
	size_t blklen;
};

/* Decode a whole guard file.  Returns 0 or EMBER_STORE_DAMAGED. */
static int guard_decode(struct cons_guard *g, const uint8_t *b, size_t n)
{
	uint8_t sum[32];
	uint32_t blen;

	if (n < GUARD_HEAD + 32 || memcmp(b, GUARD_MAGIC, 8) != 0 ||
	    ember_le32_get(b + 8) != GUARD_VERSION)
		return EMBER_STORE_DAMAGED;
	blen = ember_le32_get(b + 57);
	if (blen > GUARD_MAX_BLOCK || n != (size_t)GUARD_HEAD + blen + 32)
		return EMBER_STORE_DAMAGED;
	ember_sha256(b, GUARD_HEAD + blen, sum);
	if (memcmp(sum, b + GUARD_HEAD + blen, 32) != 0)
		return EMBER_STORE_DAMAGED;
	g->last.height = ember_le64_get(b + 12);
	g->last.round = ember_le32_get(b + 20);
	g->last.step = b[24];
	memcpy(g->last.block_id, b + 25, 32);
	if (blen && !(g->blk = malloc(blen)))
		return EMBER_ENOMEM;
	if (blen)       /* a record without a block (a nil vote) keeps none */
		memcpy(g->blk, b + GUARD_HEAD, blen);
	g->blklen = blen;
	g->have = 1;
	return 0;
}

int cons_guard_open(struct cons_guard **out, const char *dir, char *err,
                    size_t errlen)
{
	struct cons_guard *g;
	struct stat st;
	uint8_t *buf = NULL;
	FILE *f;
	int rc = 0;

	if (!out || !dir)
		return EMBER_EINVAL;
	if (!(g = calloc(1, sizeof(*g))))
		return EMBER_ENOMEM;
	snprintf(g->dir, sizeof(g->dir), "%s", dir);
	snprintf(g->path, sizeof(g->path), "%s/" CONS_GUARD_FILE, dir);
	snprintf(g->tmp, sizeof(g->tmp), "%s/" CONS_GUARD_FILE ".tmp", dir);
	if (!(f = fopen(g->path, "rb"))) {
		if (errno == ENOENT) {
			*out = g;       /* nothing signed yet */
			return 0;
		}
		ember_errf(err, errlen, "cannot read signing guard '%s': %s", g->path,
		           strerror(errno));
		free(g);
		return EMBER_EIO;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0 ||
	    (size_t)st.st_size > GUARD_HEAD + GUARD_MAX_BLOCK + 32) {
		rc = EMBER_STORE_DAMAGED;
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		rc = EMBER_ENOMEM;
	} else if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		rc = EMBER_EIO;
	} else {
		rc = guard_decode(g, buf, (size_t)st.st_size);
	}
	fclose(f);
	free(buf);
	if (rc) {
		if (rc == EMBER_STORE_DAMAGED)
			ember_errf(err, errlen, "signing guard '%s' is damaged: it no longer "
			           "says what this key signed; restore it from a backup (or, "
			           "if this key has never signed on any chain, remove it)",
			           g->path);
		else
			ember_errf(err, errlen, "cannot read signing guard '%s': %s",
			           g->path, ember_strerror(rc));
		cons_guard_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

void cons_guard_free(struct cons_guard *g)
{
	if (!g)
		return;
	free(g->blk);
	free(g);
}

int cons_guard_last(const struct cons_guard *g, struct cons_guard_rec *out)
{
	if (!g || !g->have)
		return 0;
	*out = g->last;
	return 1;
}

const uint8_t *cons_guard_block(const struct cons_guard *g, size_t *len)
{
	*len = g && g->have ? g->blklen : 0;
	return *len ? g->blk : NULL;
}

/* The durable replace: tmp, fsync, rename, fsync dir.  Returns 0 or -1. */
static int guard_write(struct cons_guard *g, const uint8_t *buf, size_t n)
{
	int fd = open(g->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (ember_write_all(fd, buf, n) != 0 || fsync(fd) != 0) {
		close(fd);
		unlink(g->tmp);
		return -1;
	}
	if (close(fd) != 0 || rename(g->tmp, g->path) != 0)
		return -1;
	return ember_fsync_dir(g->dir);
}

/* Order of (height, round): <0, 0, >0. */
static int hr_cmp(const struct cons_guard_rec *a, const struct cons_guard_rec *b)
{
	if (a->height != b->height)
		return a->height < b->height ? -1 : 1;
	if (a->round != b->round)
		return a->round < b->round ? -1 : 1;
	return 0;
}

int cons_guard_sign(struct cons_guard *g, const struct cons_guard_rec *r,
                    const uint8_t *blk, size_t blklen, char *why, size_t whylen)
{
	uint8_t *buf, *copy = NULL;
	size_t n;
	int c;

	if (!g || !r || (blklen && !blk) || blklen > GUARD_MAX_BLOCK)
		return EMBER_EINVAL;
	if (g->have) {
		c = hr_cmp(r, &g->last);
		if (c == 0 && memcmp(r->block_id, g->last.block_id, 32) == 0 &&
		    r->step <= g->last.step)
			return 0;       /* already covered: the same block again */
		if (c < 0 || (c == 0 && r->step <= g->last.step)) {
			ember_errf(why, whylen, "refusing to sign height %llu round %u step %u: "
			           "this key already signed height %llu round %u step %u "
			           "for another block",
			           (unsigned long long)r->height, r->round, r->step,
			           (unsigned long long)g->last.height, g->last.round,
			           g->last.step);
			return EMBER_STORE_GUARD;
		}
	}
	n = GUARD_HEAD + blklen + 32;
	if (!(buf = malloc(n)) || (blklen && !(copy = malloc(blklen)))) {
		free(buf);
		return EMBER_ENOMEM;
	}
	memcpy(buf, GUARD_MAGIC, 8);
	ember_le32_put(buf + 8, GUARD_VERSION);
	ember_le64_put(buf + 12, r->height);
	ember_le32_put(buf + 20, r->round);
	buf[24] = r->step;
	memcpy(buf + 25, r->block_id, 32);
	ember_le32_put(buf + 57, (uint32_t)blklen);
	if (blklen)
		memcpy(buf + GUARD_HEAD, blk, blklen);
	ember_sha256(buf, GUARD_HEAD + blklen, buf + GUARD_HEAD + blklen);
	if (guard_write(g, buf, n) != 0) {
		int full = errno == ENOSPC || errno == EDQUOT;
		ember_errf(why, whylen, "cannot make signing guard '%s' durable: %s",
		           g->path, strerror(errno));
		free(buf);
		free(copy);
		return full ? EMBER_STORE_DISK_FULL : EMBER_EIO;
	}
	free(buf);
	if (blklen)
		memcpy(copy, blk, blklen);
	free(g->blk);
	g->blk = copy;
	g->blklen = blklen;
	g->last = *r;
	g->have = 1;
	return 0;
}
