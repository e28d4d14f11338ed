/* test_store_wal.c - store_wal.h: the record format, round trips, skipping
 * flushed records, torn tails cut at every byte, damage, seq rules, reset,
 * a full disk and a failing replay callback. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "ember/error.h"
#include "ember/hash.h"
#include "../../chain/store_wal.h"

#define WAL_HDR 20
#define WAL_HASH 32

struct fix {
	char dir[64];
	char path[128];         /* dir/ledger.wal */
	char log[128];          /* where stderr goes while it is captured */
	char dir2[64];          /* a second log, for tests that splice two */
	int saved_stderr;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f || test_tmpdir(f->dir, sizeof(f->dir), "wal") != 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, STORE_WAL_FILE);
	snprintf(f->log, sizeof(f->log), "%s/stderr.txt", f->dir);
	f->saved_stderr = -1;
	return 0;
}

static void rm_log_dir(const char *dir)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/%s", dir, STORE_WAL_FILE);
	unlink(p);
	snprintf(p, sizeof(p), "%s/stderr.txt", dir);
	unlink(p);
	rmdir(dir);
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
	if (f->dir[0])
		rm_log_dir(f->dir);
	if (f->dir2[0])
		rm_log_dir(f->dir2);
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

/* The whole file; *len gets its size.  Caller frees. */
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

struct rec {
	uint64_t seq;
	size_t n;
	const struct store_wal_ent *ents;
};

static uint8_t longkey[65535];
static uint8_t bigval[3 << 19];         /* 1.5 MiB: more than a read buffer */

#define PUT(db, k, v) { db, 1, sizeof(k) - 1, sizeof(v) - 1, \
	                (const uint8_t *)(k), (const uint8_t *)(v) }
#define DEL(db, k) { db, 0, sizeof(k) - 1, 0, (const uint8_t *)(k), NULL }

static const struct store_wal_ent ents_a[] = {
	PUT(5, "alice", "100"),
	DEL(5, "bob"),
	PUT(0, "meta", ""),             /* an empty value is not a deletion */
};
static const struct store_wal_ent ents_d[] = {
	PUT(3, "", "empty key"),
	DEL(255, "x"),
};
static struct store_wal_ent ents_c[2];  /* long key, big value: group_setup */

static const struct store_wal_ent small1[] = { PUT(1, "k1", "v1") };
static const struct store_wal_ent small2[] = { PUT(2, "k2", "value2"),
	                                       DEL(2, "gone") };
static const struct store_wal_ent small3[] = { PUT(1, "k3", "v3"),
	                                       PUT(4, "key four", "4444"),
	                                       DEL(1, "k1") };

static int group_setup(void **state)
{
	for (size_t i = 0; i < sizeof(longkey); i++)
		longkey[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(bigval); i++)
		bigval[i] = (uint8_t)(i * 13 + 5);
	ents_c[0] = (struct store_wal_ent){ 9, 1, sizeof(longkey), sizeof(bigval),
	                                    longkey, bigval };
	ents_c[1] = (struct store_wal_ent){ 9, 0, sizeof(longkey), 0,
	                                    longkey, NULL };
	return 0;
}

/* seq 1..5 with every kind of entry; rec_small: 1..3, a few bytes each. */
static struct rec rec_all(uint64_t i)
{
	struct rec r[] = {
		{ 1, 3, ents_a }, { 2, 0, NULL }, { 3, 2, ents_c },
		{ 4, 2, ents_d }, { 5, 1, small1 },
	};
	return r[i];
}

static struct rec rec_small(uint64_t seq)
{
	struct rec r[] = { { 1, 1, small1 }, { 2, 2, small2 }, { 3, 3, small3 } };
	struct rec x = r[(seq - 1) % 3];

	x.seq = seq;
	return x;
}

/* ---- replay checking ---- */

/* What cb expects next, and a seq to fail at (0: none). */
struct want {
	struct rec r[8];
	size_t n, got;
	uint64_t fail_at;
};

static int check_cb(void *ctx, uint64_t seq, const struct store_wal_ent *e,
                    size_t n)
{
	struct want *w = ctx;
	const struct rec *r;

	assert_true(w->got < w->n);
	r = &w->r[w->got++];
	assert_int_equal(seq, r->seq);
	assert_int_equal(n, r->n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(e[i].db, r->ents[i].db);
		assert_int_equal(e[i].present, r->ents[i].present);
		assert_int_equal(e[i].klen, r->ents[i].klen);
		assert_int_equal(e[i].vlen, r->ents[i].vlen);
		if (e[i].klen)
			assert_memory_equal(e[i].key, r->ents[i].key, e[i].klen);
		if (e[i].vlen)
			assert_memory_equal(e[i].val, r->ents[i].val, e[i].vlen);
		if (!e[i].present)
			assert_null(e[i].val);
	}
	return seq == w->fail_at ? -42 : 0;
}

static void append(struct store_wal *w, struct rec r)
{
	assert_int_equal(store_wal_append(w, r.seq, r.ents, r.n), 0);
}

/* Open with flushed; expects the small records first..last replayed. */
static struct store_wal *open_small(const struct fix *f, uint64_t flushed,
                                    uint64_t first, uint64_t last)
{
	struct store_wal *w;
	struct want want = { .n = 0 };
	uint64_t got_last;
	char err[256] = "";

	for (uint64_t s = first; s && s <= last; s++)
		want.r[want.n++] = rec_small(s);
	assert_int_equal(store_wal_open(&w, f->dir, flushed, check_cb, &want,
	                                &got_last, err, sizeof(err)), 0);
	assert_int_equal(want.got, want.n);
	assert_int_equal(got_last, want.n ? last : flushed);
	return w;
}

/* Open expecting damage; returns the message. */
static void open_damaged(const struct fix *f, uint64_t flushed, char *err,
                         size_t errlen)
{
	struct store_wal *w = (void *)1;
	uint64_t last = 77;

	err[0] = '\0';
	assert_int_equal(store_wal_open(&w, f->dir, flushed, NULL, NULL, &last,
	                                err, errlen), EMBER_STORE_DAMAGED);
	assert_null(w);
	assert_int_equal(last, 77);
	assert_non_null(strstr(err, f->path));
}

/* A log of the small records 1..n; *sizes gets the length after each. */
static void write_small(const struct fix *f, uint64_t n, uint64_t *sizes)
{
	struct store_wal *w = open_small(f, 0, 0, 0);

	for (uint64_t s = 1; s <= n; s++) {
		append(w, rec_small(s));
		sizes[s] = store_wal_size(w);
		assert_int_equal(file_size(f->path), sizes[s]);
	}
	sizes[0] = 0;
	store_wal_close(w);
}

/* ---- tests ---- */

static void test_create(void **state)
{
	struct fix *f = *state;
	struct store_wal *w = open_small(f, 41, 0, 0);
	struct stat st;

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(store_wal_size(w), 0);
	/* the next seq is flushed + 1 */
	assert_int_equal(store_wal_append(w, 41, small1, 1), EMBER_EINVAL);
	assert_int_equal(store_wal_append(w, 42, small1, 1), 0);
	store_wal_close(w);
}

/* The bytes on disk are exactly the record layout of store_wal.h. */
static void test_format(void **state)
{
	struct fix *f = *state;
	static const struct store_wal_ent e[] = { PUT(7, "k", "vv"),
	                                          DEL(8, "dk") };
	static const uint8_t body[] = {
		'E', 'W', 'A', 'L', 21, 0, 0, 0,
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		2, 0, 0, 0,
		7, 1, 1, 0, 2, 0, 0, 0, 'k', 'v', 'v',
		8, 0, 2, 0, 0, 0, 0, 0, 'd', 'k',
	};
	uint8_t md[32], *file;
	struct store_wal *w = open_small(f, 0x0102030405060707ull, 0, 0);
	size_t len;

	assert_int_equal(store_wal_append(w, 0x0102030405060708ull, e, 2), 0);
	assert_int_equal(store_wal_size(w), sizeof(body) + 32);
	store_wal_close(w);
	file = slurp(f->path, &len);
	ember_sha256(body, sizeof(body), md);
	assert_int_equal(len, sizeof(body) + 32);
	assert_memory_equal(file, body, sizeof(body));
	assert_memory_equal(file + sizeof(body), md, 32);
	free(file);
}

static void test_round_trip(void **state)
{
	struct fix *f = *state;
	struct want want = { .n = 5 };
	struct store_wal *w;
	uint64_t last;
	char err[256];

	assert_int_equal(store_wal_open(&w, f->dir, 0, NULL, NULL, &last, err,
	                                sizeof(err)), 0);
	assert_int_equal(last, 0);
	for (size_t i = 0; i < 5; i++) {
		want.r[i] = rec_all(i);
		append(w, want.r[i]);
	}
	assert_int_equal(store_wal_size(w), file_size(f->path));
	store_wal_close(w);

	assert_int_equal(store_wal_open(&w, f->dir, 0, check_cb, &want, &last,
	                                err, sizeof(err)), 0);
	assert_int_equal(want.got, 5);
	assert_int_equal(last, 5);
	store_wal_close(w);
}

static void test_skip_flushed(void **state)
{
	struct fix *f = *state;
	uint64_t sizes[6];
	struct store_wal *w;

	write_small(f, 5, sizes);
	store_wal_close(open_small(f, 3, 4, 5));

	w = open_small(f, 5, 0, 0);     /* all flushed, nothing replayed */
	assert_int_equal(store_wal_size(w), sizes[5]);
	append(w, rec_small(6));
	store_wal_close(w);
	store_wal_close(open_small(f, 4, 5, 6));

	/* Every record below flushed: all in LMDB, so the log is emptied and
	 * flushed + 1 can follow. */
	stderr_capture(f);
	w = open_small(f, 7, 0, 0);
	stderr_restore(f);
	assert_int_equal(store_wal_size(w), 0);
	assert_int_equal(file_size(f->path), 0);
	append(w, rec_small(8));
	store_wal_close(w);
	store_wal_close(open_small(f, 7, 8, 8));
}

static void test_reopen_continues(void **state)
{
	struct fix *f = *state;
	uint64_t sizes[3];
	struct store_wal *w;

	write_small(f, 2, sizes);
	w = open_small(f, 0, 1, 2);
	assert_int_equal(store_wal_size(w), sizes[2]);
	assert_int_equal(store_wal_append(w, 2, small1, 1), EMBER_EINVAL);
	append(w, rec_small(3));
	store_wal_close(w);
	store_wal_close(open_small(f, 0, 1, 3));
}

/*
 * Cut the file at every byte inside the last record: the earlier records
 * replay, the file is cut to them, and the log goes on from there.
 */
static void test_torn_every_offset(void **state)
{
	struct fix *f = *state;
	uint64_t sizes[4];
	uint8_t *orig, *now;
	size_t len, nowlen;
	struct store_wal *w;

	write_small(f, 3, sizes);
	orig = slurp(f->path, &len);
	stderr_capture(f);
	for (uint64_t cut = sizes[2]; cut < sizes[3]; cut++) {
		spill(f->path, orig, (size_t)cut);
		w = open_small(f, 0, 1, 2);
		assert_int_equal(store_wal_size(w), sizes[2]);
		assert_int_equal(file_size(f->path), sizes[2]);
		append(w, rec_small(3));
		store_wal_close(w);
		store_wal_close(open_small(f, 0, 1, 3));
		now = slurp(f->path, &nowlen);
		assert_int_equal(nowlen, len);
		assert_memory_equal(now, orig, len);
		free(now);
	}
	stderr_restore(f);
	free(orig);
}

/* A whole last record that fails its hash or parse is torn too, however
 * it fails (except in payload_len, which would move its end). */
static void test_torn_bad_last(void **state)
{
	struct fix *f = *state;
	uint64_t sizes[4];
	uint8_t *orig;
	size_t len;
	struct store_wal *w;

	write_small(f, 3, sizes);
	orig = slurp(f->path, &len);
	stderr_capture(f);
	for (uint64_t i = sizes[2]; i < sizes[3]; i++) {
		if (i - sizes[2] >= 4 && i - sizes[2] < 8)
			continue;
		orig[i] ^= 0x01;
		spill(f->path, orig, len);
		orig[i] ^= 0x01;
		w = open_small(f, 0, 1, 2);
		assert_int_equal(file_size(f->path), sizes[2]);
		store_wal_close(w);
	}
	/* an absurd payload_len at the end */
	memcpy(orig + sizes[2] + 4, "\xff\xff\xff\xff", 4);
	spill(f->path, orig, len);
	store_wal_close(open_small(f, 0, 1, 2));
	assert_int_equal(file_size(f->path), sizes[2]);
	stderr_restore(f);
	free(orig);
}

/* An extent allocated but never written reads back as zeros. */
static void test_torn_zeros(void **state)
{
	struct fix *f = *state;
	uint64_t sizes[4];
	uint8_t *orig, *log;
	size_t len, loglen;
	char want[64];

	write_small(f, 3, sizes);
	orig = slurp(f->path, &len);
	memset(orig + sizes[2], 0, len - sizes[2]);
	spill(f->path, orig, len);
	stderr_capture(f);
	store_wal_close(open_small(f, 0, 1, 2));
	stderr_restore(f);
	assert_int_equal(file_size(f->path), sizes[2]);
	/* the log says how many bytes were cut */
	log = slurp(f->log, &loglen);
	log[loglen] = '\0';
	snprintf(want, sizeof(want), "cut %" PRIu64 " bytes", sizes[3] - sizes[2]);
	assert_non_null(strstr((char *)log, want));
	free(log);
	free(orig);
}

/* A flipped byte in a record with more after it is damage, named by its
 * offset, and the file is left as it was. */
static void test_damage_middle(void **state)
{
	struct fix *f = *state;
	uint64_t sizes[4];
	uint8_t *orig, *now;
	size_t len, nowlen;
	char err[512], at[64];

	write_small(f, 3, sizes);
	orig = slurp(f->path, &len);
	snprintf(at, sizeof(at), "at byte %" PRIu64 " of", sizes[1]);
	for (uint64_t i = sizes[1]; i < sizes[2]; i++) {
		/* payload_len's high bytes could move the end past EOF, where
		 * a bad record is indistinguishable from a torn one */
		if (i - sizes[1] >= 5 && i - sizes[1] < 8)
			continue;
		orig[i] ^= 0x01;
		spill(f->path, orig, len);
		open_damaged(f, 0, err, sizeof(err));
		assert_non_null(strstr(err, at));
		if (i == sizes[1])
			assert_non_null(strstr(err, "bad magic"));
		if (i == sizes[1] + WAL_HDR)
			assert_non_null(strstr(err, "hash mismatch"));
		now = slurp(f->path, &nowlen);
		assert_int_equal(nowlen, len);
		assert_memory_equal(now, orig, len);
		free(now);
		orig[i] ^= 0x01;
	}
	free(orig);
}

/* A record hashed right around a payload that does not parse. */
static size_t make_record(uint8_t *out, uint64_t seq, uint32_t count,
                          const uint8_t *payload, size_t plen)
{
	memcpy(out, "EWAL", 4);
	out[4] = (uint8_t)plen;
	memset(out + 5, 0, 3);
	for (int i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)(seq >> (8 * i));
	out[16] = (uint8_t)count;
	memset(out + 17, 0, 3);
	memcpy(out + WAL_HDR, payload, plen);
	ember_sha256(out, WAL_HDR + plen, out + WAL_HDR + plen);
	return WAL_HDR + plen + WAL_HASH;
}

/* Payloads that hash right but do not parse: damage in the middle of the
 * file, a torn tail at its end. */
static void test_bad_payload(void **state)
{
	static const struct {
		uint32_t count;
		size_t plen;
		uint8_t p[24];
		const char *why;
	} cases[] = {
		{ 1, 11, { 1, 1, 1, 0, 1, 0, 0, 0, 'k', 'v', 0xee },
		  "1 bytes after the last entry" },
		{ 1, 10, { 1, 2, 1, 0, 1, 0, 0, 0, 'k', 'v' },
		  "entry 0 has present flag 2" },
		{ 1, 10, { 1, 0, 1, 0, 1, 0, 0, 0, 'k', 'v' },
		  "deletion in entry 0 has a value" },
		{ 1, 9, { 1, 1, 10, 0, 0, 0, 0, 0, 'k' },
		  "entry 0 overruns payload" },
		{ 5, 10, { 1, 1, 1, 0, 1, 0, 0, 0, 'k', 'v' },
		  "count 5 overruns payload" },
		{ 2, 16, { 1, 1, 8, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 },
		  "entry 1 overruns payload" },
		{ 0, 0, { 0 }, NULL },  /* the control: a good empty record */
	};
	struct fix *f = *state;
	uint64_t sizes[4];
	uint8_t *orig, *file, rec[128];
	size_t len, rlen;
	char err[512], at[64];

	write_small(f, 3, sizes);
	orig = slurp(f->path, &len);
	file = malloc(len + sizeof(rec));
	assert_non_null(file);
	snprintf(at, sizeof(at), "at byte %" PRIu64 " of", sizes[1]);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rlen = make_record(rec, 2, cases[i].count, cases[i].p,
		                   cases[i].plen);
		/* 1, bad 2, 3 */
		memcpy(file, orig, sizes[1]);
		memcpy(file + sizes[1], rec, rlen);
		memcpy(file + sizes[1] + rlen, orig + sizes[2], len - sizes[2]);
		spill(f->path, file, sizes[1] + rlen + len - sizes[2]);
		if (!cases[i].why) {    /* the builder itself is right */
			struct store_wal *w;
			uint64_t last;

			assert_int_equal(store_wal_open(&w, f->dir, 0, NULL, NULL,
			                                &last, err, sizeof(err)), 0);
			assert_int_equal(last, 3);
			store_wal_close(w);
			continue;
		}
		open_damaged(f, 0, err, sizeof(err));
		assert_non_null(strstr(err, cases[i].why));
		assert_non_null(strstr(err, at));
		/* 1, bad 2 */
		spill(f->path, file, sizes[1] + rlen);
		stderr_capture(f);
		store_wal_close(open_small(f, 0, 1, 1));
		stderr_restore(f);
		assert_int_equal(file_size(f->path), sizes[1]);
	}
	free(file);
	free(orig);
}

static void test_gap(void **state)
{
	struct fix *f = *state;
	struct store_wal *w = open_small(f, 4, 0, 0);
	char err[512];

	append(w, rec_small(5));
	append(w, rec_small(6));
	store_wal_close(w);
	open_damaged(f, 3, err, sizeof(err));
	assert_non_null(strstr(err, "gap"));
	assert_non_null(strstr(err, "at byte 0 of"));
	store_wal_close(open_small(f, 4, 5, 6));
}

/* Records 1, 2 then 4 in one file: whole records, out of order. */
static void test_seq_out_of_order_in_file(void **state)
{
	struct fix *f = *state;
	struct fix g;
	uint64_t sizes[3];
	uint8_t *a, *b, *both;
	size_t alen, blen;
	struct store_wal *w;
	char err[512], at[64];

	write_small(f, 2, sizes);
	assert_int_equal(test_tmpdir(f->dir2, sizeof(f->dir2), "wal2"), 0);
	memset(&g, 0, sizeof(g));
	memcpy(g.dir, f->dir2, sizeof(g.dir));
	w = open_small(&g, 3, 0, 0);
	append(w, rec_small(4));
	store_wal_close(w);
	snprintf(g.path, sizeof(g.path), "%s/%s", g.dir, STORE_WAL_FILE);

	a = slurp(f->path, &alen);
	b = slurp(g.path, &blen);
	both = malloc(alen + blen);
	assert_non_null(both);
	memcpy(both, a, alen);
	memcpy(both + alen, b, blen);
	spill(f->path, both, alen + blen);
	open_damaged(f, 0, err, sizeof(err));
	assert_non_null(strstr(err, "does not follow"));
	snprintf(at, sizeof(at), "at byte %zu of", alen);
	assert_non_null(strstr(err, at));
	free(a);
	free(b);
	free(both);
}

static void test_append_misuse(void **state)
{
	struct fix *f = *state;
	struct store_wal *w = open_small(f, 0, 0, 0);
	static const struct store_wal_ent del_val[] = {
		{ 1, 0, 1, 1, (const uint8_t *)"k", (const uint8_t *)"v" } };
	static const struct store_wal_ent no_key[] = {
		{ 1, 1, 1, 1, NULL, (const uint8_t *)"v" } };
	uint8_t *before, *after;
	size_t blen, alen;

	append(w, rec_small(1));
	before = slurp(f->path, &blen);
	assert_int_equal(store_wal_append(w, 3, small1, 1), EMBER_EINVAL);
	assert_int_equal(store_wal_append(w, 1, small1, 1), EMBER_EINVAL);
	assert_int_equal(store_wal_append(w, 0, small1, 1), EMBER_EINVAL);
	assert_int_equal(store_wal_append(w, 2, del_val, 1), EMBER_EINVAL);
	assert_int_equal(store_wal_append(w, 2, no_key, 1), EMBER_EINVAL);
	assert_int_equal(store_wal_append(w, 2, NULL, 1), EMBER_EINVAL);
	assert_int_equal(store_wal_size(w), blen);
	after = slurp(f->path, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	append(w, rec_small(2));
	store_wal_close(w);
	store_wal_close(open_small(f, 0, 1, 2));
	free(before);
	free(after);
}

static void test_reset(void **state)
{
	struct fix *f = *state;
	struct store_wal *w = open_small(f, 0, 0, 0);
	char err[512];

	for (uint64_t s = 1; s <= 3; s++)
		append(w, rec_small(s));
	assert_int_equal(store_wal_reset(w, 10), 0);
	assert_int_equal(store_wal_size(w), 0);
	assert_int_equal(file_size(f->path), 0);
	assert_int_equal(store_wal_append(w, 4, small1, 1), EMBER_EINVAL);
	assert_int_equal(store_wal_append(w, 9, small1, 1), EMBER_EINVAL);
	append(w, rec_small(10));
	append(w, rec_small(11));
	store_wal_close(w);
	store_wal_close(open_small(f, 9, 10, 11));
	open_damaged(f, 3, err, sizeof(err));   /* 4..9 missing */
}

/* A write that runs into the file size limit fails part way; the record
 * must leave no bytes behind, and the same seq goes in once there is room. */
static void test_disk_full(void **state)
{
	struct fix *f = *state;
	struct store_wal *w = open_small(f, 0, 0, 0);
	struct rlimit old, lim;
	void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
	uint64_t size;
	int rc;

	append(w, rec_small(1));
	size = store_wal_size(w);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)size + 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = store_wal_append(w, 2, small2, 2);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_int_equal(rc, EMBER_STORE_DISK_FULL);
	assert_int_equal(store_wal_size(w), size);
	assert_int_equal(file_size(f->path), size);
	append(w, rec_small(2));
	store_wal_close(w);
	store_wal_close(open_small(f, 0, 1, 2));
}

/* A callback's error stops open before the torn tail behind it is cut. */
static void test_cb_error(void **state)
{
	struct fix *f = *state;
	uint64_t sizes[4], last = 77;
	struct want want = { .n = 3, .fail_at = 2 };
	struct store_wal *w = (void *)1;
	char err[256];

	write_small(f, 3, sizes);
	assert_int_equal(truncate(f->path, (off_t)sizes[3] - 1), 0);
	for (uint64_t s = 1; s <= 3; s++)
		want.r[s - 1] = rec_small(s);
	assert_int_equal(store_wal_open(&w, f->dir, 0, check_cb, &want, &last,
	                                err, sizeof(err)), -42);
	assert_null(w);
	assert_int_equal(want.got, 2);
	assert_int_equal(last, 77);
	assert_int_equal(file_size(f->path), sizes[3] - 1);
}

static void test_open_missing_dir(void **state)
{
	struct store_wal *w = (void *)1;
	uint64_t last;
	char err[256] = "";

	(void)state;
	assert_int_equal(store_wal_open(&w, "/nonexistent/ember-wal", 0, NULL,
	                                NULL, &last, err, sizeof(err)), EMBER_EIO);
	assert_null(w);
	assert_non_null(strstr(err, "/nonexistent/ember-wal/" STORE_WAL_FILE));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create),
		T(test_format),
		T(test_round_trip),
		T(test_skip_flushed),
		T(test_reopen_continues),
		T(test_torn_every_offset),
		T(test_torn_bad_last),
		T(test_torn_zeros),
		T(test_damage_middle),
		T(test_bad_payload),
		T(test_gap),
		T(test_seq_out_of_order_in_file),
		T(test_append_misuse),
		T(test_reset),
		T(test_disk_full),
		T(test_cb_error),
		cmocka_unit_test(test_open_missing_dir),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
