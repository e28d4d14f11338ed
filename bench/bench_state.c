/*
 * bench_state.c - state at scale: the block apply rate of (c) against the
 * number of accounts in the ledger, and against the history behind it.
 *
 * Rows: N existing accounts (2,000, 100,000, 1,000,000; 10,000,000 with
 * --full), and one more: 2,000 accounts with 1,000,000 transfers already
 * applied (--quick: fewer).  Per repetition a row times blocks of 1,000
 * random transfers among its N accounts, then blocks of 10,000, each
 * part on a fresh LMDB ledger in a temp directory on disk (the 100,000s
 * of txs one part applies would otherwise be history under the next);
 * the history row builds its history once per repetition, so its second
 * part starts with the first part's txs more than the label, never fewer.
 * A rate is the median repetition, and is reported as a ratio of the
 * 2,000-account rate of the same block size in the same run.
 *
 * What a part times is one cycle of the store's write-back cache at the
 * node's default size (256 MiB; --quick 24 MiB), which is what a node
 * pays per block at steady state: starting with nothing pending (a
 * flush), the blocks until a commit's own flush has written them all
 * into LMDB, that flush included.  Per block, cons_produce() is timed
 * (select, execute, state root, vote, commit to the write-ahead log with
 * fdatasync, and in the last block the flush), with signatures already in
 * the sigcache, as in bench_apply.  Before each block the mempool is
 * topped up, untimed, to two blocks' worth (a pool at steady state, not
 * the whole workload: selection walks every sender in the pool, which
 * would otherwise grow with N for reasons that are not the state's).  A
 * warm-up part and a warm-up block per part, not counted, keep first-touch
 * costs (page faults, buffers growing) out of the base row.  MiB per block
 * is what the process wrote to files over the cycle (wchar, st_wchar());
 * the repetition lines add what reached the ledger's disk (everyone's).
 *
 * Accounts are written straight into the accounts table, 100,000 per
 * write transaction, in key order; they are not in the genesis (it caps
 * allocations at 100,000), so the ledger's supply total leaves them out,
 * which no part of block production reads.  Their keys are not public
 * keys: execution, the mempool and the block and history encodings take
 * `from` as 32 opaque bytes, and a sigcache hit skips the only code that
 * parses it (the signature check).  So a key is a 4-byte prefix spaced
 * evenly over the key space (index order is key order: no sort, no key
 * table for 10,000,000 accounts) and 28 bytes from a seeded generator,
 * and each tx carries an all-zero signature.  A tx that reached
 * verification would fail and be dropped; a dropped tx fails the run.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>

#include "ember/cons.h"
#include "ember/mempool.h"
#include "ember/state.h"
#include "ember/store.h"
#include "ember/verify.h"

#define ST_T0 1764000000000ULL
#define ST_BATCH 100000            /* accounts per setup write txn */
#define ST_POOL_BLOCKS 2           /* pool depth before each block */
#define ST_SEED 0x5eed5eed5eedULL
#define ST_KEY_SEED 0x6b65797365656400ULL
#define ST_TMPFS_MAGIC 0x01021994
#define ST_HIST_BLOCK 10000        /* block size of the history build */
#define ST_REPS_MAX 3

struct st_size {
	size_t txs;                    /* per block */
	size_t blocks;                 /* at most, if the cache never fills */
};

struct st_mode {
	size_t accts[BENCH_STATE_ROWS];  /* 0-terminated; the first is the base */
	struct st_size size[2];
	size_t reps;
	uint64_t history;              /* txs before the history row's timing */
	size_t cache_mib;              /* the store's cache: one timed cycle */
};

/* The normal modes time one whole cycle of the node's default cache
 * (256 MiB, store.h); --quick a small one. */
static const struct st_mode st_normal = {
	{ 2000, 100000, 1000000, 0 }, { { 1000, 3000 }, { 10000, 300 } }, 3, 1000000,
	256,
};
static const struct st_mode st_full = {
	{ 2000, 100000, 1000000, 10000000, 0 }, { { 1000, 3000 }, { 10000, 300 } }, 3,
	1000000, 256,
};
static const struct st_mode st_quick = {
	{ 2000, 100000, 0 }, { { 1000, 400 }, { 10000, 40 } }, 1, 200000, 24,
};

struct st_env {
	char dir[512];
	int have_dir;
	size_t naccts;
	struct ember_genesis g;
	struct ember_keypair val;
	struct ember_store *store;
	struct ember_sigcache *cache;
	struct ember_mempool *mp;
	struct cons *cons;
	uint64_t now_ms;
	uint64_t rng;
	size_t cache_bytes;            /* the store's cache for a part */
};

/* One timed part: blocks of one size. */
struct st_part {
	double secs;
	uint64_t txs, blocks;
	double flush_secs;             /* of secs: the cycle's flush */
	double exec_secs;              /* of secs: execution (cons stats) */
	uint64_t bytes, dev_bytes;     /* written by this process; to the disk */
	int have_bytes, have_dev;
};

static void st_env_release(struct st_env *e)
{
	cons_free(e->cons);
	ember_mempool_free(e->mp);
	ember_sigcache_free(e->cache);
	ember_store_close(e->store);
	ember_genesis_release(&e->g);
	ember_keypair_clear(&e->val);
	if (e->have_dir)
		bench_rmtree(e->dir);
	memset(e, 0, sizeof(*e));
}

/* Account i of n: a prefix increasing with i, then generator bytes. */
static void st_key(uint8_t out[32], uint64_t i, uint64_t n)
{
	uint32_t pre = (uint32_t)((i << 32) / n);
	uint64_t s = ST_KEY_SEED ^ (i * 0x9e3779b97f4a7c15ULL);

	out[0] = (uint8_t)(pre >> 24);
	out[1] = (uint8_t)(pre >> 16);
	out[2] = (uint8_t)(pre >> 8);
	out[3] = (uint8_t)pre;
	for (int k = 0; k < 4; k++) {
		uint64_t r = bench_rand(&s);
		memcpy(out + 4 + 8 * k, &r, k < 3 ? 8 : 4);
	}
}

/*
 * Bytes this process has handed to write(2) and friends (wchar of
 * /proc/self/io): the pages and logs the store writes.  Not write_bytes:
 * on kernels with large page-cache folios (6.x, ext4), a 4 KiB pwrite
 * into a file that is also mmapped (LMDB reads through its map) charges
 * the whole folio when it is dirtied - 84 MiB charged for 1,000 random
 * 4 KiB writes, 4 MiB of which reached the device, on the machine this
 * was written on.  Returns 1 with *out set, or 0 if it cannot be read.
 */
static int st_wchar(uint64_t *out)
{
	char line[128];
	FILE *f = fopen("/proc/self/io", "r");
	unsigned long long v;
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "wchar: %llu", &v) == 1) {
			*out = v;
			found = 1;
		}
	fclose(f);
	return found;
}

/*
 * Bytes written to the block device that holds dir (sectors written,
 * /sys/dev/block/MAJ:MIN/stat): what reached the disk, file system
 * journal included, from every process on the machine.  Returns 1 with
 * *out set, or 0 if unknown.
 */
static int st_dev_written(const char *dir, uint64_t *out)
{
	char path[64];
	struct stat sb;
	unsigned long long f[7];
	FILE *fp;
	int n;

	if (stat(dir, &sb) != 0)
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/stat", major(sb.st_dev),
	         minor(sb.st_dev));
	if (!(fp = fopen(path, "r")))
		return 0;
	n = fscanf(fp, "%llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2],
	           &f[3], &f[4], &f[5], &f[6]);
	fclose(fp);
	if (n != 7)
		return 0;
	*out = f[6] * 512;
	return 1;
}

/*
 * A temp directory on the machine's disk: under $TMPDIR, else /tmp unless
 * /tmp is a tmpfs (the figures would then be memory's), else /var/tmp.
 */
static int st_tmpdir(char *out, size_t cap)
{
	const char *base = getenv("TMPDIR");
	struct statfs fs;
	int n;

	if (!base || !*base)
		base = statfs("/tmp", &fs) == 0 && fs.f_type == ST_TMPFS_MAGIC
		       ? "/var/tmp" : "/tmp";
	n = snprintf(out, cap, "%s/ember-bench-state-XXXXXX", base);
	if (n < 0 || (size_t)n >= cap)
		return bench_fail("temp directory name under '%s' is too long", base);
	if (!mkdtemp(out))
		return bench_fail("cannot create a temp directory under '%s': %s", base,
		                  strerror(errno));
	return 0;
}

/*
 * Write what the store holds back (its write-back cache) into the ledger
 * now: once after setup, so that setup's writes are not paid for in the
 * first timed blocks, and at the end of every timed part, timed, so that
 * a cache larger than the part cannot hide the work of its blocks.
 */
static int st_flush(struct st_env *e)
{
	int rc = ember_store_flush(e->store);
	if (rc)
		return bench_fail("cannot flush the ledger: %s", ember_strerror(rc));
	return 0;
}

/* Consensus producing blocks of at most block_txs (the pool is empty). */
static int st_cons(struct st_env *e, size_t block_txs)
{
	struct cons_cfg cfg;
	char err[256];
	int rc;

	cons_free(e->cons);
	e->cons = NULL;
	memset(&cfg, 0, sizeof(cfg));
	cfg.g = &e->g;
	cfg.store = e->store;
	cfg.mp = e->mp;
	cfg.cache = e->cache;
	cfg.key = &e->val;
	cfg.max_block_txs = block_txs;
	err[0] = 0;
	if ((rc = cons_new(&e->cons, &cfg, err, sizeof(err))))
		return bench_fail("cannot start consensus: %s",
		                  err[0] ? err : ember_strerror(rc));
	return 0;
}

/* naccts accounts with BENCH_BALANCE each, in key order, ST_BATCH a txn. */
static int st_write_accounts(struct st_env *e)
{
	struct ember_state *st = NULL;
	struct ember_account a = { BENCH_BALANCE, 0 };
	uint8_t key[32];
	size_t i = 0;
	int rc;

	if ((rc = ember_state_new(&st)))
		return bench_fail("cannot write accounts: %s", ember_strerror(rc));
	while (i < e->naccts) {
		size_t end = e->naccts - i > ST_BATCH ? i + ST_BATCH : e->naccts, k;
		struct ember_txn *t;

		if ((rc = ember_store_write(e->store, &t)))
			break;
		ember_state_begin(st, t);
		for (k = i; k < end && !rc; k++) {
			st_key(key, k, e->naccts);
			rc = ember_account_put(st, key, &a);
		}
		if (rc) {
			ember_txn_abort(t);
		} else {
			rc = ember_txn_commit(t);
			if (!rc)
				i = end;
		}
		if (rc == EMBER_STORE_MAP_FULL)
			rc = ember_store_grow(e->store);
		if (rc)
			break;
	}
	ember_state_free(st);
	if (rc)
		return bench_fail("cannot write accounts: %s", ember_strerror(rc));
	return 0;
}

/* Fresh ledger in a new temp directory, naccts accounts written. */
static int st_env_open(struct st_env *e, size_t naccts, uint64_t seed)
{
	struct ember_mempool_cfg mpcfg;
	int rc;

	memset(e, 0, sizeof(*e));
	e->naccts = naccts;
	e->rng = seed;
	e->now_ms = ST_T0;
	if ((rc = ember_keypair_generate(&e->val)))
		return bench_fail("cannot generate a key: %s", ember_strerror(rc));
	/* The validator is the one genesis allocation (min_fee must not exceed
	 * the largest); the N accounts are written after genesis. */
	snprintf(e->g.chain_id, sizeof(e->g.chain_id), "%s", BENCH_CHAIN_ID);
	snprintf(e->g.token_model, sizeof(e->g.token_model), "bme");
	e->g.genesis_time_ms = ST_T0;
	e->g.block_time_ms = 1000;
	e->g.min_fee = BENCH_MIN_FEE;
	ember_params_default(&e->g.params);
	e->g.allocs = calloc(1, sizeof(*e->g.allocs));
	e->g.vals = calloc(1, sizeof(*e->g.vals));
	if (!e->g.allocs || !e->g.vals || ember_genesis_default_classes(&e->g) != 0)
		return bench_fail("out of memory for the genesis");
	memcpy(e->g.allocs[0].pub, e->val.pub, 32);
	e->g.allocs[0].amount = BENCH_BALANCE;
	e->g.nalloc = 1;
	memcpy(e->g.vals[0].pub, e->val.pub, 32);
	e->g.vals[0].power = 10;
	e->g.nval = 1;
	if ((rc = ember_genesis_finish(&e->g)))
		return bench_fail("cannot finish the genesis: %s", ember_strerror(rc));

	memset(&mpcfg, 0, sizeof(mpcfg));
	mpcfg.max_txs = (ST_POOL_BLOCKS + 1) * ST_HIST_BLOCK;
	mpcfg.max_bytes = mpcfg.max_txs * 1024;
	mpcfg.max_per_sender = 1024;
	if ((rc = st_tmpdir(e->dir, sizeof(e->dir))))
		return rc;
	e->have_dir = 1;
	if ((rc = ember_store_open(&e->store, e->dir, 0)) ||
	    (rc = ember_sigcache_new(&e->cache, 4 * mpcfg.max_txs)) ||
	    (rc = ember_mempool_new(&e->mp, &mpcfg)))
		return bench_fail("cannot set up the ledger in '%s': %s", e->dir,
		                  ember_strerror(rc));
	if ((rc = st_cons(e, ST_HIST_BLOCK)))      /* executes the genesis */
		return rc;
	return st_write_accounts(e);
}

/*
 * Admit n new random transfers: sender and recipient uniform among the
 * accounts (never the same), the sender's next nonce counting its pending
 * txs, its committed account read from the ledger as a node's admission
 * does.  The signature is marked verified in the sigcache.
 */
static int st_admit(struct st_env *e, size_t n)
{
	struct ember_txn *t;
	struct ember_tx tx;
	uint8_t from[32], to[32], enc[BENCH_ENC_MAX], txid[32];
	char why[256];
	size_t len;
	int rc;

	if ((rc = ember_store_read(e->store, &t)))
		return bench_fail("cannot read the ledger: %s", ember_strerror(rc));
	for (size_t i = 0; i < n; i++) {
		struct ember_account a;
		uint64_t s = bench_rand(&e->rng) % e->naccts;
		uint64_t r = bench_rand(&e->rng) % (e->naccts - 1);
		uint64_t amount = 1 + bench_rand(&e->rng) % 1000;

		if (r >= s)
			r++;
		st_key(from, s, e->naccts);
		st_key(to, r, e->naccts);
		if ((rc = ember_account_get(t, from, &a))) {
			rc = bench_fail("cannot read account: %s", ember_strerror(rc));
			break;
		}
		if ((rc = ember_tx_init_transfer(&tx, BENCH_CHAIN_ID, from,
		                                 ember_mempool_next_nonce(e->mp, from, a.nonce),
		                                 BENCH_FEE, to, amount)) ||
		    (rc = ember_tx_encode(&tx, enc, sizeof(enc), &len))) {
			rc = bench_fail("cannot build a transfer: %s", ember_strerror(rc));
			break;
		}
		ember_txid(enc, len, txid);
		ember_sigcache_add(e->cache, txid);
		why[0] = 0;
		if ((rc = ember_mempool_add(e->mp, &tx, enc, len, txid, &a, why,
		                            sizeof(why)))) {
			rc = bench_fail("mempool refused a transfer: %s",
			                why[0] ? why : ember_strerror(rc));
			break;
		}
	}
	ember_txn_abort(t);
	return rc ? -1 : 0;
}

/*
 * One cycle of the store's cache, timed: starting with nothing pending
 * (a flush), blocks of exactly txs transfers until a commit's automatic
 * flush has written them all into LMDB (or, if the cache never fills,
 * nblocks blocks and a flush).  cons_produce is timed, with the flush
 * inside it; the bytes written are read around the whole cycle
 * (admission, between blocks, writes nothing).  A cycle is what a node
 * pays per block at steady state: the blocks' own commits and their
 * share of one flush, no more and no less.
 */
static int st_part(struct st_env *e, size_t txs, size_t nblocks, struct st_part *p)
{
	struct ember_store_stats s0, s1;
	uint64_t w0 = 0, w1 = 0, d0 = 0, d1 = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = st_cons(e, txs)))
		return rc;
	ember_store_set_cache(e->store, e->cache_bytes, 0);
	/* One block first, not timed: a fresh consensus context and mempool
	 * grow their buffers to the block size on the first block, which is
	 * not the state's cost (and the history row's second part would
	 * otherwise skip it, reusing its context). */
	{
		int committed = 0;
		if ((rc = st_admit(e, txs)))
			return rc;
		e->now_ms += 1000;
		if ((rc = cons_produce(e->cons, e->now_ms, &committed)) || !committed)
			return bench_fail("warm-up block failed: %s",
			                  rc ? ember_strerror(rc) : "nothing committed");
		if ((rc = st_flush(e)))
			return rc;
	}
	ember_store_stats(e->store, &s0);
	p->have_bytes = st_wchar(&w0);
	p->have_dev = st_dev_written(e->dir, &d0);
	for (size_t b = 0; b < nblocks; b++) {
		struct cons_stats before, after;
		size_t want = ST_POOL_BLOCKS * txs, have = ember_mempool_count(e->mp);
		int committed = 0;
		double t0, t1;

		if (have < want && (rc = st_admit(e, want - have)))
			return rc;
		cons_stats(e->cons, &before);
		e->now_ms += 1000;
		t0 = bench_now();
		rc = cons_produce(e->cons, e->now_ms, &committed);
		t1 = bench_now();
		if (rc)
			return bench_fail("block production failed: %s", ember_strerror(rc));
		cons_stats(e->cons, &after);
		if (!committed || after.dropped != before.dropped ||
		    after.txs - before.txs != txs)
			return bench_fail("a block committed %llu of %zu transfers (%llu "
			                  "dropped)", (unsigned long long)(after.txs - before.txs),
			                  txs, (unsigned long long)(after.dropped - before.dropped));
		p->secs += t1 - t0;
		p->exec_secs += (double)after.last_exec_us / 1e6;
		p->txs += txs;
		p->blocks++;
		ember_store_stats(e->store, &s1);
		if (s1.flushes > s0.flushes) {
			p->flush_secs = (double)s1.last_flush_ms / 1e3;
			break;
		}
	}
	if (p->flush_secs == 0) {
		double t0 = bench_now();
		if ((rc = st_flush(e)))
			return rc;
		p->flush_secs = bench_now() - t0;
		p->secs += p->flush_secs;
	}
	p->have_bytes = p->have_bytes && st_wchar(&w1) && w1 >= w0;
	p->bytes = p->have_bytes ? w1 - w0 : 0;
	p->have_dev = p->have_dev && st_dev_written(e->dir, &d1) && d1 >= d0;
	p->dev_bytes = p->have_dev ? d1 - d0 : 0;
	return 0;
}

static int st_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Build history on e: hist txs in blocks of ST_HIST_BLOCK, untimed. */
static int st_history(struct st_env *e, uint64_t hist)
{
	while (hist > 0) {
		size_t blocks = hist / ST_HIST_BLOCK, txs = ST_HIST_BLOCK;
		struct st_part p;

		if (blocks == 0) {
			blocks = 1;
			txs = (size_t)hist;
		}
		if (st_part(e, txs, blocks, &p))
			return -1;
		hist -= p.txs;
	}
	return 0;
}

/*
 * One row: reps x (each block size in turn).  Every part of an account
 * row starts on a fresh ledger, so the history the earlier parts leave
 * behind (100,000s of txs) does not weigh on the later ones; the history
 * row builds its history once per repetition, and its second part starts
 * on the first's (a little more history than the label, never less).
 * r gets the median rate per size, the mean MiB per block and the mean
 * setup per ledger.
 */
static int st_row(const struct st_mode *m, struct bench_state_row *r, int hist)
{
	double rate[2][ST_REPS_MAX], setup = 0;
	uint64_t bytes[2] = { 0, 0 }, blocks[2] = { 0, 0 };
	unsigned nsetup = 0;
	int have_bytes = 1, rc = 0;
	struct st_env e;
	char a[32], b[32], c[32];

	memset(&e, 0, sizeof(e));
	for (size_t rep = 0; rep < m->reps && !rc; rep++) {
		printf("    rep %zu:", rep + 1);
		for (int k = 0; k < 2 && !rc; k++) {
			struct st_part p;

			if (k == 0 || !hist) {
				double t0 = bench_now();
				st_env_release(&e);
				if ((rc = st_env_open(&e, r->accts, ST_SEED + rep)) ||
				    (hist && (rc = st_history(&e, r->history))) ||
				    (rc = st_flush(&e)))
					break;
				setup += bench_now() - t0;
				nsetup++;
			}
			e.cache_bytes = m->cache_mib << 20;
			if ((rc = st_part(&e, m->size[k].txs, m->size[k].blocks, &p)))
				break;
			rate[k][rep] = (double)p.txs / p.secs;
			bytes[k] += p.bytes;
			blocks[k] += p.blocks;
			have_bytes &= p.have_bytes;
			printf("  %s x %s-tx blocks %s tx/s", bench_num(p.blocks, c),
			       bench_num(m->size[k].txs, a),
			       bench_num((uint64_t)(rate[k][rep] + 0.5), b));
			if (p.have_bytes)
				printf(" %.2f MiB/block", (double)p.bytes / p.blocks / 1048576.0);
			if (p.have_dev)
				printf(" (disk %.2f)", (double)p.dev_bytes / p.blocks / 1048576.0);
			printf(" exec %.1f us/tx", p.exec_secs * 1e6 / (double)p.txs);
			if (p.flush_secs >= 0.0005)
				printf(" flush %.0f ms", p.flush_secs * 1e3);
			printf(k == 0 ? ";" : "\n");
		}
	}
	if (!rc)
		printf("    setup %.1f s per ledger, not timed (%u ledger%s, the last in "
		       "'%s')\n", setup / nsetup, nsetup, nsetup == 1 ? "" : "s", e.dir);
	st_env_release(&e);
	if (rc)
		return -1;
	for (int k = 0; k < 2; k++) {
		qsort(rate[k], m->reps, sizeof(double), st_cmp_double);
		r->tps[k] = rate[k][m->reps / 2];
		r->mib[k] = have_bytes ? (double)bytes[k] / (double)blocks[k] / 1048576.0 : -1;
	}
	r->setup_s = setup / nsetup;
	return 0;
}

static void st_print_row(const struct bench_state_row *r,
                         const struct bench_state_row *base, const char *target)
{
	char a[32], b[32], c[32];

	printf("  %-10s %10s %7.1f s", bench_num(r->accts, a), bench_num(r->history, b),
	       r->setup_s);
	for (int k = 0; k < 2; k++) {
		printf("  %10s  %4.2f", bench_num((uint64_t)(r->tps[k] + 0.5), c),
		       r->tps[k] / base->tps[k]);
		if (r->mib[k] >= 0)
			printf("  %6.2f", r->mib[k]);
		else
			printf("  %6s", "n/a");
	}
	printf("  %s\n", target);
}

int bench_state(struct bench_ctx *bc)
{
	const struct st_mode *m = bc->opt->quick ? &st_quick
	                          : bc->opt->full ? &st_full : &st_normal;
	struct bench_results *res = bc->res;
	struct bench_state_row rows[BENCH_STATE_ROWS];
	size_t nrows = 0, nacct = 0;
	char a[32], b[32], c[32], d[32];

	memset(rows, 0, sizeof(rows));
	printf("== state: apply rate against the number of accounts (in process, "
	       "signatures pre-verified, LMDB in a temp dir on disk)\n");
	printf("  random transfers among N existing accounts; timed per repetition, "
	       "each on a fresh ledger: one cycle of a %zu MiB cache (blocks of %s, "
	       "then of %s txs, from an empty cache until the store's own flush has "
	       "written them, flush included); median of %zu repetition%s\n",
	       m->cache_mib, bench_num(m->size[0].txs, b), bench_num(m->size[1].txs, d),
	       m->reps, m->reps == 1 ? "" : "s");
	(void)c;

	/* A warm-up part, not counted: the first blocks of a process pay
	 * for first-touch page faults in the allocator and a cold page cache,
	 * which would make the base row (and so every ratio) look better
	 * than it is. */
	{
		struct st_env e;
		struct st_part p;
		int rc;
		memset(&e, 0, sizeof(e));
		rc = st_env_open(&e, m->accts[0], ST_SEED - 1);
		e.cache_bytes = m->cache_mib << 20;
		if (!rc)
			rc = st_part(&e, m->size[1].txs, m->size[1].blocks, &p);
		st_env_release(&e);
		if (rc)
			return -1;
		printf("  warm-up: %s blocks of %s txs, not counted\n",
		       bench_num(p.blocks, a), bench_num(m->size[1].txs, b));
	}

	/* The account rows, then the history row: the base's N again with
	 * m->history txs applied first. */
	while (m->accts[nacct])
		nacct++;
	for (size_t i = 0; i <= nacct; i++) {
		struct bench_state_row *r = &rows[i];
		int hist = i == nacct;

		r->accts = hist ? m->accts[0] : m->accts[i];
		r->history = hist ? m->history : 0;
		if (hist)
			printf("  %s accounts after %s txs:\n", bench_num(r->accts, a),
			       bench_num(r->history, b));
		else
			printf("  %s accounts:\n", bench_num(r->accts, a));
		if (st_row(m, r, hist))
			return -1;
		nrows++;
	}

	printf("  %-10s %10s %9s  %10s  %4s  %6s  %10s  %4s  %6s\n", "accounts",
	       "history", "setup", "tx/s 1k", "rat", "MiB/bl", "tx/s 10k", "rat",
	       "MiB/bl");
	for (size_t i = 0; i < nrows; i++) {
		const char *target = "";
		if (rows[i].history)
			target = "(target >= 0.8)";
		else if (rows[i].accts == 1000000)
			target = "(target >= 0.7)";
		else if (rows[i].accts == 10000000)
			target = "(target >= 0.5)";
		st_print_row(&rows[i], &rows[0], target);
	}
	printf("  (rat: of the %s-account rate of the same block size; MiB/bl: "
	       "written to files per block by this process)\n", bench_num(rows[0].accts, a));
	memcpy(res->state_rows, rows, sizeof(rows));
	res->state_nrows = nrows;
	res->have_state = 1;
	return 0;
}
