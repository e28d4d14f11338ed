/* test_cwal.c - cwal.h: the record format byte for byte, round trips of
 * every kind, replay after the last height mark only, torn tails cut at
 * every byte, damage named by its offset, rotation, refused appends that
 * write nothing, a full disk, stopping callbacks, read_file, and the
 * JSON dump of node/cwal_dump.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "ember/codec.h"
#include "ember/cwal.h"
#include "ember/error.h"
#include "ember/hash.h"
#include "../../node/cwal_dump_internal.h"

#define ROTATE_ENV "EMBER_CWAL_ROTATE_BYTES"
#define HEIGHT_LEN (8 + 10 + 32)
#define VOTE_LEN (8 + 10 + 114 + 32)
#define TIMEOUT_LEN (8 + 10 + 5 + 32)
#define PROP_LEN(n) (8 + 10 + 112 + (n) + 32)

struct fix {
	char dir[64];
	char path[128];         /* dir/cons.wal */
	char old[128];          /* dir/cons.wal.1 */
	char log[128];          /* where stderr goes while it is captured */
	int saved_stderr;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f || test_tmpdir(f->dir, sizeof(f->dir), "cwal") != 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, CONS_WAL_FILE);
	snprintf(f->old, sizeof(f->old), "%s/%s", f->dir, CONS_WAL_OLD);
	snprintf(f->log, sizeof(f->log), "%s/stderr.txt", f->dir);
	f->saved_stderr = -1;
	unsetenv(ROTATE_ENV);
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	if (!f)
		return 0;
	if (f->saved_stderr >= 0) {
		dup2(f->saved_stderr, 2);
		close(f->saved_stderr);
	}
	unsetenv(ROTATE_ENV);
	if (f->dir[0]) {
		unlink(f->path);
		unlink(f->old);
		unlink(f->log);
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

/* Torn tails are logged; the loops below would fill the test output. */
static void stderr_capture(struct fix *f)
{
	int fd = open(f->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	fflush(stderr);
	f->saved_stderr = dup(2);
	assert_true(f->saved_stderr >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

static void stderr_restore(struct fix *f)
{
	fflush(stderr);
	assert_int_equal(dup2(f->saved_stderr, 2), 2);
	close(f->saved_stderr);
	f->saved_stderr = -1;
}

/* The whole file, NUL-terminated; *len gets its size.  Caller frees. */
static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	p = malloc(*len + 1);
	assert_non_null(p);
	assert_int_equal(pread(fd, p, *len, 0), (ssize_t)*len);
	p[*len] = '\0';
	close(fd);
	return p;
}

static void spill(const char *path, const uint8_t *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	close(fd);
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

/* ---- records used by the tests ---- */

static uint8_t blk_small[100];
static uint8_t blk_big[1 << 20];        /* 1 MiB: more than a read window */

static void pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

static int group_setup(void **state)
{
	(void)state;
	pattern(blk_small, sizeof(blk_small), 3);
	pattern(blk_big, sizeof(blk_big), 5);
	return 0;
}

static struct cons_wal_rec r_height(uint64_t h)
{
	struct cons_wal_rec r = { .kind = CONS_WAL_HEIGHT, .height = h };
	return r;
}

static struct cons_wal_rec r_prop(uint64_t h, uint32_t round, int32_t pol,
                                  const uint8_t *blk, size_t n, uint8_t own)
{
	struct cons_wal_rec r = { .kind = CONS_WAL_PROPOSAL, .own = own,
	                          .height = h };

	r.u.prop.p.height = h;
	r.u.prop.p.round = round;
	r.u.prop.p.pol_round = pol;
	pattern(r.u.prop.p.value, 32, round + 11);
	r.u.prop.p.proposer = round % 4;
	pattern(r.u.prop.p.sig, 64, round + 13);
	r.u.prop.blk = blk;
	r.u.prop.blklen = n;
	return r;
}

static struct cons_wal_rec r_vote(uint64_t h, uint8_t type, uint8_t nil,
                                  uint32_t round, uint32_t validator,
                                  uint64_t time_ms, uint8_t own)
{
	struct cons_wal_rec r = { .kind = CONS_WAL_VOTE, .own = own, .height = h };

	r.u.vote.type = type;
	r.u.vote.nil = nil;
	r.u.vote.height = h;
	r.u.vote.round = round;
	if (!nil)
		pattern(r.u.vote.value, 32, round + 17);
	r.u.vote.validator = validator;
	r.u.vote.time_ms = time_ms;
	pattern(r.u.vote.sig, 64, validator + 19);
	return r;
}

static struct cons_wal_rec r_timeout(uint64_t h, uint8_t step, uint32_t round)
{
	struct cons_wal_rec r = { .kind = CONS_WAL_TIMEOUT, .height = h };

	r.u.timeout.step = step;
	r.u.timeout.round = round;
	return r;
}

/* Every field of got equals want's (the block byte for byte). */
static void rec_check(const struct cons_wal_rec *got,
                      const struct cons_wal_rec *want)
{
	assert_int_equal(got->kind, want->kind);
	assert_int_equal(got->own, want->own);
	assert_int_equal(got->height, want->height);
	switch (want->kind) {
	case CONS_WAL_PROPOSAL: {
		const struct bft_proposal *a = &got->u.prop.p, *b = &want->u.prop.p;

		assert_int_equal(a->height, b->height);
		assert_int_equal(a->round, b->round);
		assert_int_equal(a->pol_round, b->pol_round);
		assert_memory_equal(a->value, b->value, 32);
		assert_int_equal(a->proposer, b->proposer);
		assert_memory_equal(a->sig, b->sig, 64);
		assert_int_equal(got->u.prop.blklen, want->u.prop.blklen);
		assert_non_null(got->u.prop.blk);
		if (want->u.prop.blklen)
			assert_memory_equal(got->u.prop.blk, want->u.prop.blk,
			                    want->u.prop.blklen);
		break;
	}
	case CONS_WAL_VOTE: {
		const struct bft_vote *a = &got->u.vote, *b = &want->u.vote;

		assert_int_equal(a->type, b->type);
		assert_int_equal(a->nil, b->nil);
		assert_int_equal(a->height, b->height);
		assert_int_equal(a->round, b->round);
		assert_memory_equal(a->value, b->value, 32);
		assert_int_equal(a->validator, b->validator);
		assert_int_equal(a->time_ms, b->time_ms);
		assert_memory_equal(a->sig, b->sig, 64);
		break;
	}
	case CONS_WAL_TIMEOUT:
		assert_int_equal(got->u.timeout.step, want->u.timeout.step);
		assert_int_equal(got->u.timeout.round, want->u.timeout.round);
		break;
	default:
		break;
	}
}

/* What cb expects, in order; after stop_after records it returns stop_rc. */
struct want {
	const struct cons_wal_rec *r;
	size_t n, got;
	size_t stop_after;
	int stop_rc;
};

static int check_cb(void *ctx, const struct cons_wal_rec *r)
{
	struct want *w = ctx;

	assert_true(w->got < w->n);
	rec_check(r, &w->r[w->got]);
	w->got++;
	return w->stop_after && w->got == w->stop_after ? w->stop_rc : 0;
}

static struct cons_wal *wal_open(const struct fix *f)
{
	struct cons_wal *w = NULL;
	char err[512] = "";

	if (cons_wal_open(&w, f->dir, err, sizeof(err)) != 0)
		fail_msg("cons_wal_open: %s", err);
	assert_non_null(w);
	return w;
}

static void app(struct cons_wal *w, struct cons_wal_rec r, int sync)
{
	assert_int_equal(cons_wal_append(w, &r, sync), 0);
}

/* replay(h) hands over exactly want[0..n). */
static void expect_replay(struct cons_wal *w, uint64_t h,
                          const struct cons_wal_rec *want, size_t n)
{
	struct want c = { .r = want, .n = n };
	uint64_t size = cons_wal_size(w);

	assert_int_equal(cons_wal_replay(w, h, check_cb, &c), 0);
	assert_int_equal(c.got, n);
	assert_int_equal(cons_wal_size(w), size);
}

/* read_file(path) hands over exactly want[0..n), nothing torn. */
static void expect_read(const char *path, const struct cons_wal_rec *want,
                        size_t n)
{
	struct want c = { .r = want, .n = n };
	char err[512] = "";

	assert_int_equal(cons_wal_read_file(path, check_cb, &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(c.got, n);
}

/*
 * The standard log: heights 1 and 2, every kind.  std_log writes it and
 * sizes[i] gets the file size after the first i records.
 */
#define STD_N 9
#define STD_H2 4                /* index of the height 2 mark */
static struct cons_wal_rec std_rec(size_t i)
{
	struct cons_wal_rec r[STD_N] = {
		r_height(1),
		r_vote(1, BFT_VOTE_PREVOTE, 0, 0, 1, 0, 0),
		r_timeout(1, BFT_PROPOSE, 0),
		r_vote(1, BFT_VOTE_PRECOMMIT, 0, 0, 2, 1700000000123ull, 1),
		r_height(2),
		r_prop(2, 1, -1, blk_small, sizeof(blk_small), 1),
		r_vote(2, BFT_VOTE_PREVOTE, 1, 1, 3, 0, 0),
		r_vote(2, BFT_VOTE_PRECOMMIT, 0, 1, 0, 1700000000999ull, 1),
		r_timeout(2, BFT_PRECOMMIT, 1),
	};
	return r[i];
}

static void std_log(const struct fix *f, uint64_t sizes[STD_N + 1])
{
	struct cons_wal *w = wal_open(f);

	sizes[0] = 0;
	for (size_t i = 0; i < STD_N; i++) {
		app(w, std_rec(i), (int)(i % 2));
		sizes[i + 1] = cons_wal_size(w);
		assert_int_equal(file_size(f->path), sizes[i + 1]);
	}
	cons_wal_free(w);
}

/* Records want[i] = std_rec(first + i), i < n. */
static void std_range(struct cons_wal_rec *want, size_t first, size_t n)
{
	for (size_t i = 0; i < n; i++)
		want[i] = std_rec(first + i);
}

/* Open expecting damage; err gets the message, which names the file. */
static void open_damaged(const struct fix *f, char *err, size_t errlen)
{
	struct cons_wal *w = (void *)1;

	err[0] = '\0';
	assert_int_equal(cons_wal_open(&w, f->dir, err, errlen),
	                 EMBER_STORE_DAMAGED);
	assert_null(w);
	assert_non_null(strstr(err, f->path));
}

/* ---- tests ---- */

/* A new log: the file, mode 0600, empty, nothing to replay. */
static void test_create(void **state)
{
	struct fix *f = *state;
	struct cons_wal *w = wal_open(f);
	struct stat st;

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(cons_wal_size(w), 0);
	expect_replay(w, 0, NULL, 0);
	expect_replay(w, 1, NULL, 0);
	cons_wal_free(w);
	w = wal_open(f);
	assert_int_equal(cons_wal_size(w), 0);
	cons_wal_free(w);
	expect_read(f->path, NULL, 0);
}

/* The bytes on disk are exactly the record layout of cwal.h. */
static void test_format(void **state)
{
	struct fix *f = *state;
	struct cons_wal *w = wal_open(f);
	struct cons_wal_rec h = r_height(0x0102030405060708ull), p, v, t;
	uint8_t want[1024], *b = want, *rec, *file, blk[3] = { 'x', 'y', 'z' };
	size_t len;

	h.own = 1;
	p = r_prop(7, 3, -1, blk, 3, 0);
	memset(p.u.prop.p.value, 0xaa, 32);
	p.u.prop.p.proposer = 0x01020304;
	memset(p.u.prop.p.sig, 0xbb, 64);
	v = r_vote(7, BFT_VOTE_PRECOMMIT, 0, 0x11223344, 9, 0x0102030405060708ull, 1);
	memset(v.u.vote.value, 0xcc, 32);
	memset(v.u.vote.sig, 0xdd, 64);
	t = r_timeout(7, BFT_PREVOTE, 5);
	app(w, h, 1);
	app(w, p, 0);
	app(w, v, 0);
	app(w, t, 1);
	cons_wal_free(w);

#define PUT(...) do { const uint8_t x_[] = { __VA_ARGS__ }; \
		memcpy(b, x_, sizeof(x_)); b += sizeof(x_); } while (0)
#define FILL(c, n) do { memset(b, c, n); b += n; } while (0)
#define SEAL() do { ember_sha256(rec, (size_t)(b - rec), b); b += 32; } while (0)
	rec = b;
	PUT('E', 'C', 'W', 'L', 10, 0, 0, 0, 1, 1, 8, 7, 6, 5, 4, 3, 2, 1);
	SEAL();
	rec = b;
	PUT('E', 'C', 'W', 'L', 125, 0, 0, 0, 2, 0, 7, 0, 0, 0, 0, 0, 0, 0,
	    3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff);
	FILL(0xaa, 32);
	PUT(4, 3, 2, 1);
	FILL(0xbb, 64);
	PUT(3, 0, 0, 0, 'x', 'y', 'z');
	SEAL();
	rec = b;
	PUT('E', 'C', 'W', 'L', 124, 0, 0, 0, 3, 1, 7, 0, 0, 0, 0, 0, 0, 0,
	    2, 0, 0x44, 0x33, 0x22, 0x11);
	FILL(0xcc, 32);
	PUT(9, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1);
	FILL(0xdd, 64);
	SEAL();
	rec = b;
	PUT('E', 'C', 'W', 'L', 15, 0, 0, 0, 4, 0, 7, 0, 0, 0, 0, 0, 0, 0,
	    1, 5, 0, 0, 0);
	SEAL();
#undef PUT
#undef FILL
#undef SEAL
	file = slurp(f->path, &len);
	assert_int_equal(len, (size_t)(b - want));
	assert_int_equal(len, HEIGHT_LEN + PROP_LEN(3) + VOTE_LEN + TIMEOUT_LEN);
	assert_memory_equal(file, want, len);
	free(file);
}

/* Every kind and field survives append, free, open and replay: negative
 * and positive pol_round, nil votes, a 0-byte and a 1 MiB block, every
 * timeout step, the widest integers. */
static void test_round_trip(void **state)
{
	struct fix *f = *state;
	struct cons_wal_rec recs[] = {
		r_height(UINT64_MAX - 1),
		r_prop(UINT64_MAX - 1, 0, -1, NULL, 0, 1),
		r_prop(UINT64_MAX - 1, 5, 4, blk_big, sizeof(blk_big), 0),
		r_prop(UINT64_MAX - 1, UINT32_MAX, INT32_MIN, blk_small, 1, 0),
		r_prop(UINT64_MAX - 1, 7, INT32_MAX, blk_small, sizeof(blk_small), 1),
		r_vote(UINT64_MAX - 1, BFT_VOTE_PREVOTE, 1, 0, 0, 0, 0),
		r_vote(UINT64_MAX - 1, BFT_VOTE_PRECOMMIT, 1, 3, 1, 12, 1),
		r_vote(UINT64_MAX - 1, BFT_VOTE_PREVOTE, 0, UINT32_MAX, UINT32_MAX,
		       UINT64_MAX, 1),
		r_vote(UINT64_MAX - 1, BFT_VOTE_PRECOMMIT, 0, 2, 7, 1700000000000ull, 0),
		r_timeout(UINT64_MAX - 1, BFT_PROPOSE, 0),
		r_timeout(UINT64_MAX - 1, BFT_PREVOTE, 9),
		r_timeout(UINT64_MAX - 1, BFT_PRECOMMIT, UINT32_MAX),
	};
	size_t n = sizeof(recs) / sizeof(recs[0]);
	struct cons_wal *w = wal_open(f);
	uint64_t size;

	for (size_t i = 0; i < n; i++)
		app(w, recs[i], (int)(i % 2));
	size = cons_wal_size(w);
	assert_int_equal(size, file_size(f->path));
	assert_int_equal(size, HEIGHT_LEN + PROP_LEN(0) + PROP_LEN(sizeof(blk_big)) +
	                 PROP_LEN(1) + PROP_LEN(sizeof(blk_small)) + 4 * VOTE_LEN +
	                 3 * TIMEOUT_LEN);
	expect_replay(w, UINT64_MAX - 1, recs + 1, n - 1);   /* before closing */
	cons_wal_free(w);
	w = wal_open(f);
	assert_int_equal(cons_wal_size(w), size);
	expect_replay(w, UINT64_MAX - 1, recs + 1, n - 1);
	expect_replay(w, UINT64_MAX - 1, recs + 1, n - 1);   /* again */
	expect_replay(w, UINT64_MAX, NULL, 0);
	cons_wal_free(w);
	expect_read(f->path, recs, n);
}

/* Replay hands over what follows the last height mark, only when the
 * height asked for is that mark's, in memory and after a reopen. */
static void test_replay_last_height(void **state)
{
	struct fix *f = *state;
	struct cons_wal_rec want[STD_N];
	uint64_t sizes[STD_N + 1];
	struct cons_wal *w = wal_open(f);

	/* no mark yet: records alone replay for no height */
	app(w, r_vote(1, BFT_VOTE_PREVOTE, 0, 0, 1, 0, 0), 0);
	expect_replay(w, 1, NULL, 0);
	expect_replay(w, 0, NULL, 0);
	cons_wal_free(w);
	w = wal_open(f);
	expect_replay(w, 1, NULL, 0);
	cons_wal_free(w);
	unlink(f->path);

	std_log(f, sizes);
	w = wal_open(f);
	std_range(want, STD_H2 + 1, STD_N - STD_H2 - 1);
	expect_replay(w, 2, want, STD_N - STD_H2 - 1);
	expect_replay(w, 1, NULL, 0);
	expect_replay(w, 3, NULL, 0);
	/* appends after the mark are replayed too; a new mark starts afresh */
	app(w, r_timeout(2, BFT_PROPOSE, 2), 0);
	want[STD_N - STD_H2 - 1] = r_timeout(2, BFT_PROPOSE, 2);
	expect_replay(w, 2, want, STD_N - STD_H2);
	app(w, r_height(3), 1);
	expect_replay(w, 3, NULL, 0);
	expect_replay(w, 2, NULL, 0);
	app(w, r_vote(3, BFT_VOTE_PREVOTE, 1, 0, 2, 0, 1), 1);
	want[0] = r_vote(3, BFT_VOTE_PREVOTE, 1, 0, 2, 0, 1);
	expect_replay(w, 3, want, 1);
	cons_wal_free(w);
	w = wal_open(f);
	expect_replay(w, 3, want, 1);
	expect_replay(w, 2, NULL, 0);
	cons_wal_free(w);
}

/* Thousands of small records, more than one read window, around a
 * record bigger than one: open and replay read them all. */
static void test_many_records(void **state)
{
	struct fix *f = *state;
	enum { N = 9000 };
	struct cons_wal_rec *want = calloc(N, sizeof(*want));
	struct cons_wal *w = wal_open(f);

	assert_non_null(want);
	app(w, r_height(4), 0);
	for (size_t i = 0; i < N; i++) {
		if (i == N / 2)
			want[i] = r_prop(4, (uint32_t)i, 0, blk_big, sizeof(blk_big), 0);
		else
			want[i] = r_vote(4, (uint8_t)(1 + i % 2), (uint8_t)(i % 3 == 0),
			                 (uint32_t)i, (uint32_t)(i * 7), i, (uint8_t)(i % 2));
		app(w, want[i], 0);
	}
	cons_wal_free(w);
	w = wal_open(f);
	expect_replay(w, 4, want, N);
	cons_wal_free(w);
	free(want);
}

/*
 * Cut the file at every byte inside the last record: the earlier records
 * survive, the file is cut to them (saying so), read_file reports the
 * torn record, and appends go on from there.  Done twice: with a timeout
 * last, and with a height mark last, which must not count as the mark.
 */
static void test_torn_every_offset(void **state)
{
	struct fix *f = *state;
	struct cons_wal_rec want[STD_N + 1];
	uint64_t sizes[STD_N + 2];
	uint8_t *orig, *now, *log;
	size_t len, nowlen, loglen;
	struct cons_wal *w;
	char err[512], cut[64];

	std_log(f, sizes);
	w = wal_open(f);
	app(w, r_height(3), 0);
	sizes[STD_N + 1] = cons_wal_size(w);
	cons_wal_free(w);
	orig = slurp(f->path, &len);
	stderr_capture(f);
	for (size_t last = STD_N - 1; last <= STD_N; last++) {
		for (uint64_t c = sizes[last]; c < sizes[last + 1]; c++) {
			struct want rc = { .r = want, .n = last };

			spill(f->path, orig, (size_t)c);
			std_range(want, 0, last);
			err[0] = '\0';
			assert_int_equal(cons_wal_read_file(f->path, check_cb, &rc, err,
			                                    sizeof(err)), 0);
			assert_int_equal(rc.got, last);
			if (c > sizes[last]) {
				assert_non_null(strstr(err, "torn"));
				assert_non_null(strstr(err, f->path));
			}

			w = wal_open(f);
			assert_int_equal(cons_wal_size(w), sizes[last]);
			assert_int_equal(file_size(f->path), sizes[last]);
			std_range(want, STD_H2 + 1, last - STD_H2 - 1);
			expect_replay(w, 2, want, last - STD_H2 - 1);
			expect_replay(w, 3, NULL, 0);
			/* the log goes on where the good records end */
			if (last == STD_N - 1)
				app(w, std_rec(STD_N - 1), 1);
			app(w, r_height(3), 0);
			assert_int_equal(cons_wal_size(w), sizes[STD_N + 1]);
			cons_wal_free(w);
			now = slurp(f->path, &nowlen);
			assert_int_equal(nowlen, len);
			assert_memory_equal(now, orig, len);
			free(now);
		}
	}
	stderr_restore(f);
	/* the last cut said how many bytes it took */
	log = slurp(f->log, &loglen);
	snprintf(cut, sizeof(cut), "cut %" PRIu64 " bytes",
	         sizes[STD_N + 1] - 1 - sizes[STD_N]);
	assert_non_null(strstr((char *)log, cut));
	free(log);
	free(orig);
}

/* A whole last record broken anywhere - magic, length, body, hash - has
 * nothing valid after it: torn, cut off. */
static void test_torn_bad_last(void **state)
{
	struct fix *f = *state;
	struct cons_wal_rec want[STD_N];
	uint64_t sizes[STD_N + 1];
	uint8_t *orig;
	size_t len;
	struct cons_wal *w;

	std_log(f, sizes);
	orig = slurp(f->path, &len);
	std_range(want, STD_H2 + 1, STD_N - STD_H2 - 2);
	stderr_capture(f);
	for (uint64_t i = sizes[STD_N - 1]; i < sizes[STD_N]; i++) {
		orig[i] ^= 0x20;
		spill(f->path, orig, len);
		orig[i] ^= 0x20;
		w = wal_open(f);
		assert_int_equal(file_size(f->path), sizes[STD_N - 1]);
		expect_replay(w, 2, want, STD_N - STD_H2 - 2);
		cons_wal_free(w);
	}
	stderr_restore(f);
	free(orig);
}

/* An extent allocated but never written reads back as zeros: torn. */
static void test_torn_zeros(void **state)
{
	struct fix *f = *state;
	uint64_t sizes[STD_N + 1];
	uint8_t *orig, *log;
	size_t len, loglen;
	struct cons_wal *w;

	std_log(f, sizes);
	orig = slurp(f->path, &len);
	orig = realloc(orig, len + 4096);
	assert_non_null(orig);
	memset(orig + len, 0, 4096);
	spill(f->path, orig, len + 4096);
	stderr_capture(f);
	w = wal_open(f);
	stderr_restore(f);
	assert_int_equal(cons_wal_size(w), len);
	assert_int_equal(file_size(f->path), len);
	cons_wal_free(w);
	log = slurp(f->log, &loglen);
	assert_non_null(strstr((char *)log, "cut 4096 bytes"));
	free(log);
	free(orig);
}

/* A flipped byte anywhere in a record with whole records after it is
 * damage: open and read_file refuse, naming the file and the record's
 * offset, and the file is left as it was. */
static void test_damage_middle(void **state)
{
	struct fix *f = *state;
	struct cons_wal_rec want[STD_N];
	uint64_t sizes[STD_N + 1];
	const size_t bad = STD_H2 + 1;  /* the proposal */
	uint8_t *orig, *now;
	size_t len, nowlen;
	char err[512], at[64];

	std_log(f, sizes);
	orig = slurp(f->path, &len);
	std_range(want, 0, bad);
	snprintf(at, sizeof(at), "at byte %" PRIu64 " of", sizes[bad]);
	for (uint64_t i = sizes[bad]; i < sizes[bad + 1]; i++) {
		struct want rc = { .r = want, .n = bad };

		orig[i] ^= 0x01;
		spill(f->path, orig, len);
		orig[i] ^= 0x01;
		open_damaged(f, err, sizeof(err));
		assert_non_null(strstr(err, at));
		now = slurp(f->path, &nowlen);
		assert_int_equal(nowlen, len);
		free(now);

		err[0] = '\0';
		assert_int_equal(cons_wal_read_file(f->path, check_cb, &rc, err,
		                                    sizeof(err)), EMBER_STORE_DAMAGED);
		assert_int_equal(rc.got, bad);
		assert_non_null(strstr(err, at));
	}
	/* one damaged field, said in the message */
	orig[sizes[1]] = 'X';
	spill(f->path, orig, len);
	open_damaged(f, err, sizeof(err));
	assert_non_null(strstr(err, "bad magic"));
	free(orig);
}

/* Damage in a record of about a megabyte: the whole record after it is
 * found wherever it starts, its magic across read windows included. */
static void test_damage_big(void **state)
{
	struct fix *f = *state;
	char err[512], at[64];

	snprintf(at, sizeof(at), "at byte %u of", HEIGHT_LEN);
	for (size_t k = 0; k < 5; k++) {
		struct cons_wal *w;
		size_t n = sizeof(blk_big) - PROP_LEN(0) - k;

		unlink(f->path);
		w = wal_open(f);
		app(w, r_height(6), 0);
		app(w, r_prop(6, 0, -1, blk_big, n, 0), 0);
		app(w, r_vote(6, BFT_VOTE_PREVOTE, 0, 0, 1, 0, 0), 0);
		cons_wal_free(w);
		/* a byte of the block, far from either end of the record */
		{
			int fd = open(f->path, O_RDWR);
			uint8_t b;

			assert_true(fd >= 0);
			assert_int_equal(pread(fd, &b, 1, HEIGHT_LEN + 4000), 1);
			b ^= 0x80;
			assert_int_equal(pwrite(fd, &b, 1, HEIGHT_LEN + 4000), 1);
			close(fd);
		}
		open_damaged(f, err, sizeof(err));
		assert_non_null(strstr(err, "hash mismatch"));
		assert_non_null(strstr(err, at));
	}
}

/* Rotation at a height start once the file holds the threshold
 * (EMBER_CWAL_ROTATE_BYTES here): cons.wal.1 gets the older records,
 * replay works on the new file, a second rotation replaces cons.wal.1. */
static void test_rotation(void **state)
{
	struct fix *f = *state;
	struct cons_wal_rec h1[6], h2[6];
	struct cons_wal *w;
	struct stat st;

	assert_int_equal(setenv(ROTATE_ENV, "600", 1), 0);
	w = wal_open(f);
	h1[0] = r_height(1);
	h2[0] = r_height(2);
	for (size_t i = 1; i < 6; i++) {
		h1[i] = r_vote(1, BFT_VOTE_PREVOTE, 0, 0, (uint32_t)i, 0, 0);
		h2[i] = r_vote(2, BFT_VOTE_PRECOMMIT, 0, 1, (uint32_t)i, i, 1);
	}
	app(w, h1[0], 1);
	for (size_t i = 1; i < 5; i++)
		app(w, h1[i], 0);       /* past 600: only a height mark rotates */
	assert_true(cons_wal_size(w) >= 600);
	assert_int_equal(stat(f->old, &st), -1);
	app(w, h1[5], 0);
	assert_int_equal(stat(f->old, &st), -1);

	app(w, h2[0], 1);
	assert_int_equal(stat(f->old, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(cons_wal_size(w), HEIGHT_LEN);
	assert_int_equal(file_size(f->path), HEIGHT_LEN);
	expect_read(f->old, h1, 6);
	expect_replay(w, 2, NULL, 0);
	expect_replay(w, 1, NULL, 0);
	for (size_t i = 1; i < 6; i++)
		app(w, h2[i], 0);
	expect_replay(w, 2, h2 + 1, 5);
	cons_wal_free(w);
	w = wal_open(f);
	expect_replay(w, 2, h2 + 1, 5);
	expect_replay(w, 1, NULL, 0);

	/* the second rotation replaces cons.wal.1 */
	app(w, r_height(3), 0);
	expect_read(f->old, h2, 6);
	expect_replay(w, 3, NULL, 0);
	cons_wal_free(w);
	assert_int_equal(file_size(f->path), HEIGHT_LEN);
}

/* Below the threshold, or with a threshold that is not a number (the
 * default then), a height mark does not rotate. */
static void test_no_rotation(void **state)
{
	struct fix *f = *state;
	uint64_t sizes[STD_N + 1];
	struct cons_wal *w;
	struct stat st;
	uint8_t *log;
	size_t loglen;

	assert_int_equal(setenv(ROTATE_ENV, "100000", 1), 0);
	std_log(f, sizes);
	assert_int_equal(stat(f->old, &st), -1);
	assert_int_equal(setenv(ROTATE_ENV, "12abc", 1), 0);
	stderr_capture(f);
	w = wal_open(f);
	stderr_restore(f);
	app(w, r_height(3), 0);
	assert_int_equal(stat(f->old, &st), -1);
	assert_int_equal(cons_wal_size(w), sizes[STD_N] + HEIGHT_LEN);
	cons_wal_free(w);
	log = slurp(f->log, &loglen);
	assert_non_null(strstr((char *)log, ROTATE_ENV));
	free(log);
}

/* Refused appends write nothing and change nothing. */
static void test_einval(void **state)
{
	struct fix *f = *state;
	struct cons_wal *w = wal_open(f);
	struct cons_wal_rec bad[12], last, ok = r_height(5);
	size_t n = 0;
	uint64_t size;

	app(w, ok, 1);
	size = cons_wal_size(w);
	bad[n] = r_height(5);
	bad[n++].kind = 0;
	bad[n] = r_height(5);
	bad[n++].kind = 5;
	bad[n] = r_prop(5, 0, -1, NULL, 0, 1);
	bad[n++].u.prop.p.height = 6;
	bad[n++] = r_prop(5, 0, -1, blk_big, CONS_WAL_BLOCK_MAX + 1ull, 1);
	bad[n++] = r_prop(5, 0, -1, NULL, 1, 1);
	bad[n] = r_vote(5, BFT_VOTE_PREVOTE, 0, 0, 0, 0, 0);
	bad[n++].u.vote.height = 4;
	bad[n++] = r_vote(5, 0, 0, 0, 0, 0, 0);
	bad[n++] = r_vote(5, 3, 1, 0, 0, 0, 0);
	bad[n++] = r_timeout(5, BFT_DECIDED, 0);
	bad[n++] = r_timeout(5, 200, 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(cons_wal_append(w, &bad[i], 1), EMBER_EINVAL);
		assert_int_equal(cons_wal_size(w), size);
		assert_int_equal(file_size(f->path), size);
	}
	assert_int_equal(cons_wal_append(NULL, &ok, 1), EMBER_EINVAL);
	assert_int_equal(cons_wal_append(w, NULL, 1), EMBER_EINVAL);
	assert_int_equal(cons_wal_replay(w, 5, NULL, NULL), EMBER_EINVAL);
	assert_int_equal(file_size(f->path), size);
	/* the log goes on, its mark where it was */
	last = r_timeout(5, BFT_PREVOTE, 0);
	app(w, last, 0);
	expect_replay(w, 5, &last, 1);
	cons_wal_free(w);
	w = wal_open(f);
	expect_replay(w, 5, &last, 1);
	cons_wal_free(w);
}

/* A write that runs into the file size limit fails part way: no bytes
 * stay behind, and the same record goes in once there is room. */
static void test_disk_full(void **state)
{
	struct fix *f = *state;
	struct cons_wal *w = wal_open(f);
	struct cons_wal_rec v = r_vote(8, BFT_VOTE_PRECOMMIT, 0, 0, 1, 5, 1);
	struct cons_wal_rec p = r_prop(8, 0, -1, blk_small, sizeof(blk_small), 1);
	struct rlimit old, lim;
	void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
	uint64_t size;
	int rc1, rc2;

	app(w, r_height(8), 1);
	size = cons_wal_size(w);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)size + 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc1 = cons_wal_append(w, &v, 1);
	rc2 = cons_wal_append(w, &p, 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_int_equal(rc1, EMBER_STORE_DISK_FULL);
	assert_int_equal(rc2, EMBER_STORE_DISK_FULL);
	assert_int_equal(cons_wal_size(w), size);
	assert_int_equal(file_size(f->path), size);
	app(w, v, 1);
	cons_wal_free(w);
	w = wal_open(f);
	expect_replay(w, 8, &v, 1);
	cons_wal_free(w);
}

/* read_file walks a whole file, marks included, across heights. */
static void test_read_file(void **state)
{
	struct fix *f = *state;
	struct cons_wal_rec want[STD_N];
	uint64_t sizes[STD_N + 1];
	char err[512] = "";
	struct want c = { .r = want, .n = STD_N };

	std_log(f, sizes);
	std_range(want, 0, STD_N);
	expect_read(f->path, want, STD_N);
	/* read_file changes nothing, even with a torn tail */
	assert_int_equal(truncate(f->path, (off_t)sizes[STD_N] - 1), 0);
	assert_int_equal(cons_wal_read_file(f->path, check_cb, &c, err,
	                                    sizeof(err)), 0);
	assert_int_equal(c.got, STD_N - 1);
	assert_non_null(strstr(err, "torn"));
	assert_int_equal(file_size(f->path), sizes[STD_N] - 1);
	/* a missing file */
	err[0] = '\0';
	c.got = 0;
	assert_int_equal(cons_wal_read_file(f->old, check_cb, &c, err,
	                                    sizeof(err)), EMBER_EIO);
	assert_non_null(strstr(err, f->old));
	assert_int_equal(c.got, 0);
}

/* A callback's non-zero return stops the walk and is returned. */
static void test_cb_stops(void **state)
{
	struct fix *f = *state;
	struct cons_wal_rec want[STD_N];
	uint64_t sizes[STD_N + 1];
	struct want c = { .r = want, .n = STD_N, .stop_after = 2, .stop_rc = 7 };
	struct cons_wal *w;
	char err[512] = "";

	std_log(f, sizes);
	std_range(want, STD_H2 + 1, STD_N - STD_H2 - 1);
	w = wal_open(f);
	assert_int_equal(cons_wal_replay(w, 2, check_cb, &c), 7);
	assert_int_equal(c.got, 2);
	assert_int_equal(cons_wal_size(w), sizes[STD_N]);
	c = (struct want){ .r = want, .n = STD_N, .stop_after = 1,
	                   .stop_rc = EMBER_EIO };
	assert_int_equal(cons_wal_replay(w, 2, check_cb, &c), EMBER_EIO);
	assert_int_equal(c.got, 1);
	cons_wal_free(w);

	std_range(want, 0, STD_N);
	c = (struct want){ .r = want, .n = STD_N, .stop_after = 3, .stop_rc = -42 };
	assert_int_equal(cons_wal_read_file(f->path, check_cb, &c, err,
	                                    sizeof(err)), -42);
	assert_int_equal(c.got, 3);
}

static void test_open_missing_dir(void **state)
{
	struct cons_wal *w = (void *)1;
	char err[256] = "";

	(void)state;
	assert_int_equal(cons_wal_open(&w, "/nonexistent/ember-cwal", err,
	                               sizeof(err)), EMBER_EIO);
	assert_null(w);
	assert_non_null(strstr(err, "/nonexistent/ember-cwal/" CONS_WAL_FILE));
}

/* ---- node_cwal_dump ---- */

static json_t *dump_line(char **cursor)
{
	char *nl = strchr(*cursor, '\n');
	json_t *j;
	json_error_t e;

	assert_non_null(nl);
	*nl = '\0';
	j = json_loads(*cursor, 0, &e);
	if (!j)
		fail_msg("line '%s': %s", *cursor, e.text);
	*cursor = nl + 1;
	return j;
}

static void assert_json_str(json_t *o, const char *key, const char *want)
{
	json_t *v = json_object_get(o, key);

	assert_true(json_is_string(v));
	assert_string_equal(json_string_value(v), want);
}

static void assert_json_int(json_t *o, const char *key, json_int_t want)
{
	json_t *v = json_object_get(o, key);

	assert_true(json_is_integer(v));
	assert_int_equal(json_integer_value(v), want);
}

static void test_dump(void **state)
{
	struct fix *f = *state;
	uint64_t sizes[STD_N + 1];
	char *text = NULL, *cur, hex[129], err[512] = "";
	size_t textlen = 0;
	FILE *out = open_memstream(&text, &textlen);
	struct cons_wal_rec r;
	json_t *j;

	std_log(f, sizes);
	assert_non_null(out);
	assert_int_equal(node_cwal_dump(f->path, out, err, sizeof(err)), 0);
	fclose(out);
	assert_string_equal(err, "");
	cur = text;

	j = dump_line(&cur);                                    /* height 1 */
	assert_int_equal(json_object_size(j), 3);
	assert_json_str(j, "kind", "height");
	assert_true(json_is_false(json_object_get(j, "own")));
	assert_json_int(j, "height", 1);
	json_decref(j);

	j = dump_line(&cur);                                    /* prevote */
	r = std_rec(1);
	assert_json_str(j, "kind", "vote");
	assert_json_str(j, "type", "prevote");
	assert_true(json_is_false(json_object_get(j, "nil")));
	ember_hex_encode(r.u.vote.value, 32, hex);
	assert_json_str(j, "value", hex);
	ember_hex_encode(r.u.vote.sig, 64, hex);
	assert_json_str(j, "sig", hex);
	assert_json_int(j, "validator", 1);
	json_decref(j);

	j = dump_line(&cur);                                    /* timeout */
	assert_json_str(j, "kind", "timeout");
	assert_json_str(j, "step", "propose");
	assert_json_int(j, "round", 0);
	json_decref(j);

	j = dump_line(&cur);                                    /* precommit */
	assert_json_str(j, "type", "precommit");
	assert_true(json_is_true(json_object_get(j, "own")));
	assert_json_int(j, "time_ms", 1700000000123ll);
	json_decref(j);

	json_decref(dump_line(&cur));                           /* height 2 */

	j = dump_line(&cur);                                    /* proposal */
	r = std_rec(STD_H2 + 1);
	assert_int_equal(json_object_size(j), 9);
	assert_json_str(j, "kind", "proposal");
	assert_true(json_is_true(json_object_get(j, "own")));
	assert_json_int(j, "height", 2);
	assert_json_int(j, "round", 1);
	assert_json_int(j, "pol_round", -1);
	ember_hex_encode(r.u.prop.p.value, 32, hex);
	assert_json_str(j, "value", hex);
	assert_json_int(j, "proposer", r.u.prop.p.proposer);
	ember_hex_encode(r.u.prop.p.sig, 64, hex);
	assert_int_equal(strlen(hex), 128);
	assert_json_str(j, "sig", hex);
	assert_json_int(j, "block_len", sizeof(blk_small));
	json_decref(j);

	j = dump_line(&cur);                                    /* nil prevote */
	assert_int_equal(json_object_size(j), 10);
	assert_true(json_is_true(json_object_get(j, "nil")));
	assert_true(json_is_null(json_object_get(j, "value")));
	json_decref(j);

	json_decref(dump_line(&cur));                           /* precommit */
	j = dump_line(&cur);                                    /* timeout */
	assert_json_str(j, "step", "precommit");
	assert_json_int(j, "round", 1);
	json_decref(j);
	assert_string_equal(cur, "");                           /* no more */
	free(text);

	/* a torn last record: the rest is dumped and err says why */
	assert_int_equal(truncate(f->path, (off_t)sizes[STD_N] - 3), 0);
	text = NULL;
	out = open_memstream(&text, &textlen);
	assert_non_null(out);
	assert_int_equal(node_cwal_dump(f->path, out, err, sizeof(err)), 0);
	fclose(out);
	assert_non_null(strstr(err, "torn"));
	cur = text;
	for (size_t i = 0; i < STD_N - 1; i++)
		json_decref(dump_line(&cur));
	assert_string_equal(cur, "");
	free(text);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create),
		T(test_format),
		T(test_round_trip),
		T(test_replay_last_height),
		T(test_many_records),
		T(test_torn_every_offset),
		T(test_torn_bad_last),
		T(test_torn_zeros),
		T(test_damage_middle),
		T(test_damage_big),
		T(test_rotation),
		T(test_no_rotation),
		T(test_einval),
		T(test_disk_full),
		T(test_read_file),
		T(test_cb_stops),
		T(test_dump),
		cmocka_unit_test(test_open_missing_dir),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
