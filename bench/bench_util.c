/*
 * bench_util.c - the shared workload (keys, pre-signed transfers, genesis),
 * small helpers for ember-bench, and what the benchmarks that run real
 * emberd processes share: spawning and stopping a node, polling it, and
 * JSON-RPC client threads that push pre-built sendtx batches.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ember/addr.h"
#include "ember/codec.h"
#include "ember/keystore.h"

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t bench_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned bench_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* splitmix64: enough to spread recipients; not for secrets. */
uint64_t bench_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int bench_fail(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("ember-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

int bench_tmpdir(char *out, size_t cap, const char *tag)
{
	const char *base = getenv("TMPDIR");
	int n;
	if (!base || !*base)
		base = "/tmp";
	n = snprintf(out, cap, "%s/ember-bench-%s-XXXXXX", base, tag);
	if (n < 0 || (size_t)n >= cap)
		return bench_fail("temp directory name under '%s' is too long", base);
	if (!mkdtemp(out))
		return bench_fail("cannot create a temp directory under '%s': %s",
		                  base, strerror(errno));
	return 0;
}

static int bench_rm_one(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0 && errno != ENOENT) {
		bench_fail("cannot remove '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int bench_rmtree(const char *dir)
{
	return nftw(dir, bench_rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* --- workload ------------------------------------------------------------ */

struct bench_sign_job {
	struct bench_load *l;
	size_t from, to;          /* tx index range */
	uint64_t seed;
	int rc;                   /* ember error code of the first failure */
	size_t bad;               /* index that failed */
	int started;              /* runs on its own thread */
};

static void *bench_sign_thread(void *arg)
{
	struct bench_sign_job *j = arg;
	struct bench_load *l = j->l;
	uint64_t rng = j->seed;

	for (size_t i = j->from; i < j->to; i++) {
		size_t s = i % l->naccts, r;
		uint64_t nonce = i / l->naccts;
		struct ember_tx *tx = &l->txs[i];
		int rc;

		r = (size_t)(bench_rand(&rng) % (l->naccts - 1));
		if (r >= s)
			r++;
		rc = ember_tx_init_transfer(tx, BENCH_CHAIN_ID, l->keys[s].pub, nonce,
		                            BENCH_FEE, l->keys[r].pub,
		                            1000 + bench_rand(&rng) % 1000);
		if (!rc)
			rc = ember_tx_sign(tx, &l->keys[s]);
		if (!rc)
			rc = ember_tx_encode(tx, l->enc[i], BENCH_ENC_MAX, &l->enclen[i]);
		if (rc) {
			j->rc = rc;
			j->bad = i;
			return NULL;
		}
		ember_txid(l->enc[i], l->enclen[i], l->txid[i]);
	}
	return NULL;
}

int bench_load_new(struct bench_load *l, size_t naccts, size_t ntx,
                   unsigned nthreads)
{
	struct bench_sign_job *jobs;
	pthread_t *th;
	uint64_t seed;
	int rc = 0;

	memset(l, 0, sizeof(*l));
	if (naccts < 2)
		return bench_fail("a workload needs at least 2 accounts, not %zu", naccts);
	l->naccts = naccts;
	l->ntx = ntx;
	l->keys = calloc(naccts, sizeof(*l->keys));
	l->txs = calloc(ntx ? ntx : 1, sizeof(*l->txs));
	l->enc = calloc(ntx ? ntx : 1, sizeof(*l->enc));
	l->enclen = calloc(ntx ? ntx : 1, sizeof(*l->enclen));
	l->txid = calloc(ntx ? ntx : 1, sizeof(*l->txid));
	if (!l->keys || !l->txs || !l->enc || !l->enclen || !l->txid)
		return bench_fail("out of memory for %zu transfers", ntx);
	for (size_t i = 0; i < naccts; i++)
		if ((rc = ember_keypair_generate(&l->keys[i])))
			return bench_fail("cannot generate a key: %s", ember_strerror(rc));

	if (nthreads < 1)
		nthreads = 1;
	jobs = calloc(nthreads, sizeof(*jobs));
	th = calloc(nthreads, sizeof(*th));
	if (!jobs || !th) {
		free(jobs);
		free(th);
		return bench_fail("out of memory");
	}
	seed = bench_wall_ms();
	for (unsigned t = 0; t < nthreads; t++) {
		jobs[t].l = l;
		jobs[t].from = ntx * t / nthreads;
		jobs[t].to = ntx * (t + 1) / nthreads;
		jobs[t].seed = seed + t * 0x1000193ULL;
		jobs[t].started = pthread_create(&th[t], NULL, bench_sign_thread,
		                                 &jobs[t]) == 0;
		if (!jobs[t].started)
			bench_sign_thread(&jobs[t]);   /* no thread: sign here */
	}
	for (unsigned t = 0; t < nthreads; t++) {
		if (jobs[t].started)
			pthread_join(th[t], NULL);
		if (jobs[t].rc && !rc) {
			rc = bench_fail("cannot sign transfer %zu: %s", jobs[t].bad,
			                ember_strerror(jobs[t].rc));
		}
	}
	free(jobs);
	free(th);
	return rc ? -1 : 0;
}

void bench_load_release(struct bench_load *l)
{
	if (l->keys)
		for (size_t i = 0; i < l->naccts; i++)
			ember_keypair_clear(&l->keys[i]);
	free(l->keys);
	free(l->txs);
	free(l->enc);
	free(l->enclen);
	free(l->txid);
	memset(l, 0, sizeof(*l));
}

size_t bench_load_count(const struct bench_load *l, size_t s)
{
	return l->ntx / l->naccts + (s < l->ntx % l->naccts ? 1 : 0);
}

int bench_genesis(struct ember_genesis *g, const struct bench_load *l,
                  const uint8_t val[32], uint64_t genesis_time_ms,
                  uint64_t block_time_ms)
{
	int rc;

	memset(g, 0, sizeof(*g));
	snprintf(g->chain_id, sizeof(g->chain_id), "%s", BENCH_CHAIN_ID);
	snprintf(g->token_model, sizeof(g->token_model), "bme");
	g->genesis_time_ms = genesis_time_ms;
	g->block_time_ms = block_time_ms;
	g->min_fee = BENCH_MIN_FEE;
	ember_params_default(&g->params);
	g->allocs = calloc(l->naccts, sizeof(*g->allocs));
	g->vals = calloc(1, sizeof(*g->vals));
	if (!g->allocs || !g->vals || ember_genesis_default_classes(g) != 0) {
		ember_genesis_release(g);
		return bench_fail("out of memory for the genesis");
	}
	for (size_t i = 0; i < l->naccts; i++) {
		memcpy(g->allocs[i].pub, l->keys[i].pub, 32);
		g->allocs[i].amount = BENCH_BALANCE;
	}
	g->nalloc = l->naccts;
	memcpy(g->vals[0].pub, val, 32);
	g->vals[0].power = 10;
	g->nval = 1;
	if ((rc = ember_genesis_finish(g))) {
		ember_genesis_release(g);
		return bench_fail("cannot finish the genesis: %s", ember_strerror(rc));
	}
	return 0;
}

/* --- emberd processes and RPC clients ----------------------------------- */

/* bin/emberd next to this program (argv[0], or /proc/self/exe). */
int bench_find_emberd(const char *argv0, char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *slash;

	if (n > 0) {
		self[n] = 0;
	} else if (argv0 && strchr(argv0, '/')) {
		snprintf(self, sizeof(self), "%s", argv0);
	} else {
		return bench_fail("cannot tell where ember-bench lives; run it by path");
	}
	slash = strrchr(self, '/');
	if ((size_t)snprintf(out, cap, "%.*s/emberd", (int)(slash - self), self) >= cap)
		return bench_fail("path of emberd is too long");
	if (access(out, X_OK) != 0)
		return bench_fail("cannot run '%s': %s; build it with 'make bin/emberd'",
		                  out, strerror(errno));
	return 0;
}

int bench_free_port(unsigned *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return bench_fail("cannot open a socket: %s", strerror(errno));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
		close(fd);
		return bench_fail("cannot find a free port on 127.0.0.1: %s",
		                  strerror(errno));
	}
	close(fd);
	*port = ntohs(a.sin_port);
	return 0;
}

/* One growable text buffer for request bodies. */
struct bench_buf {
	char *p;
	size_t len, cap;
};

static int bench_buf_reserve(struct bench_buf *b, size_t more)
{
	if (b->len + more + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;
		while (cap < b->len + more + 1)
			cap *= 2;
		if (!(np = realloc(b->p, cap)))
			return -1;
		b->p = np;
		b->cap = cap;
	}
	return 0;
}

/* Client c sends senders [lo, hi): round k, batch senders at a time. */
int bench_client_build(struct bench_client *c, const struct bench_load *l,
                       size_t lo, size_t hi, size_t batch)
{
	size_t rounds = (l->ntx + l->naccts - 1) / l->naccts;
	size_t per = (hi - lo + batch - 1) / batch;

	c->b = calloc(rounds * per + 1, sizeof(*c->b));
	if (!c->b)
		return -1;
	for (size_t k = 0; k < rounds; k++) {
		for (size_t s0 = lo; s0 < hi; s0 += batch) {
			struct bench_buf buf = { 0 };
			size_t n = 0;
			for (size_t s = s0; s < hi && s < s0 + batch; s++) {
				size_t i = k * l->naccts + s;
				if (i >= l->ntx)
					break;
				if (bench_buf_reserve(&buf, 2 * l->enclen[i] + 96)) {
					free(buf.p);
					return -1;
				}
				buf.len += (size_t)sprintf(buf.p + buf.len,
				        "%s{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"sendtx\","
				        "\"params\":[\"", n ? "," : "[", i);
				ember_hex_encode(l->enc[i], l->enclen[i], buf.p + buf.len);
				buf.len += 2 * l->enclen[i];
				buf.len += (size_t)sprintf(buf.p + buf.len, "\"]}");
				n++;
			}
			if (!n) {
				free(buf.p);
				continue;
			}
			if (bench_buf_reserve(&buf, 1)) {
				free(buf.p);
				return -1;
			}
			buf.p[buf.len++] = ']';
			buf.p[buf.len] = 0;
			c->b[c->nb].body = buf.p;
			c->b[c->nb].len = buf.len;
			c->b[c->nb].n = n;
			c->nb++;
		}
	}
	return 0;
}

int bench_write_datadir(const char *dir, const struct ember_genesis *g,
                             const struct ember_keypair *val)
{
	char path[600];
	int rc;

	snprintf(path, sizeof(path), "%s/validator_key.json", dir);
	if ((rc = ember_keystore_save(path, val, "", 0)))
		return bench_fail("cannot write '%s': %s", path, ember_strerror(rc));
	snprintf(path, sizeof(path), "%s/genesis.json", dir);
	if ((rc = ember_genesis_save(g, path)))
		return bench_fail("cannot write '%s': %s", path, ember_strerror(rc));
	return 0;
}

/* --- the node process ---------------------------------------------------- */

void bench_node_log_tail(const struct bench_node *nd)
{
	char buf[4096];
	FILE *f = fopen(nd->log, "r");
	long sz;
	size_t n;

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, sz > (long)sizeof(buf) - 1 ? sz - (long)sizeof(buf) + 1 : 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	fprintf(stderr, "---- last lines of %s ----\n%s----\n", nd->log, buf);
}

int bench_node_spawn(struct bench_node *nd, const char *emberd, unsigned port,
                     const char *const *extra)
{
	char listen[64];
	char *args[6 + BENCH_SPAWN_EXTRA + 1];
	size_t na = 0;
	int logfd, nullfd;

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	snprintf(nd->log, sizeof(nd->log), "%s/node.log", nd->dir);
	args[na++] = (char *)"emberd";
	args[na++] = (char *)"--datadir";
	args[na++] = nd->dir;
	args[na++] = (char *)"--rpc-listen";
	args[na++] = listen;
	args[na++] = (char *)"--quiet";
	for (size_t i = 0; extra && extra[i]; i++) {
		if (i == BENCH_SPAWN_EXTRA)
			return bench_fail("too many emberd arguments");
		args[na++] = (char *)extra[i];
	}
	args[na] = NULL;
	logfd = open(nd->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd < 0 || nullfd < 0) {
		if (logfd >= 0)
			close(logfd);
		if (nullfd >= 0)
			close(nullfd);
		return bench_fail("cannot open '%s': %s", nd->log, strerror(errno));
	}
	/* The validator key is saved with an empty passphrase. */
	unsetenv("EMBER_VALIDATOR_PASSPHRASE");
	fflush(stdout);
	fflush(stderr);
	nd->pid = fork();
	if (nd->pid < 0) {
		close(logfd);
		close(nullfd);
		return bench_fail("cannot fork: %s", strerror(errno));
	}
	if (nd->pid == 0) {
		/* Only async-signal-safe calls from here on. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(nullfd, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		execv(emberd, args);
		_exit(127);
	}
	close(logfd);
	close(nullfd);
	return 0;
}

/* SIGTERM, then wait (SIGKILL after 20 s).  Returns 0 on a clean exit. */
int bench_node_stop(struct bench_node *nd)
{
	int st = 0;
	double t0 = bench_now();

	if (nd->pid <= 0)
		return 0;
	kill(nd->pid, SIGTERM);
	for (;;) {
		pid_t r = waitpid(nd->pid, &st, WNOHANG);
		if (r == nd->pid)
			break;
		if (r < 0 && errno != EINTR) {
			nd->pid = 0;
			return bench_fail("cannot wait for emberd: %s", strerror(errno));
		}
		if (bench_now() - t0 > 20) {
			kill(nd->pid, SIGKILL);
			waitpid(nd->pid, &st, 0);
			nd->pid = 0;
			return bench_fail("emberd did not stop within 20 s of SIGTERM; killed");
		}
		usleep(10000);
	}
	nd->pid = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		return bench_fail("emberd exited with status %d on SIGTERM",
		                  WEXITSTATUS(st));
	return bench_fail("emberd died of signal %d on SIGTERM", WTERMSIG(st));
}

/* CPU seconds (user + system) of /proc/PID/stat or /proc/PID/task/TID/stat. */
double bench_proc_cpu(pid_t pid, pid_t tid)
{
	char path[96], buf[1024], *p;
	unsigned long long ut = 0, stime = 0;
	size_t n;
	FILE *f;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* Fields after the command name, which ends at the last ')': state is
	 * field 3, utime 14, stime 15. */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	           &ut, &stime) != 2)
		return -1;
	return (double)(ut + stime) / (double)sysconf(_SC_CLK_TCK);
}

double bench_self_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

/* getstatus; *height and *mempool get their values. Returns 0 or an ember
 * code, err filled. */
int bench_status(const struct ember_rpc_client *rpc, uint64_t *height,
                      uint64_t *mempool, json_t **out, char *err, size_t errlen)
{
	json_t *res = NULL;
	int rc = ember_rpc_call(rpc, "getstatus", NULL, &res, NULL, err, errlen);
	if (rc)
		return rc;
	if (!json_is_integer(json_object_get(res, "height")) ||
	    !json_is_integer(json_object_get(res, "mempool_txs"))) {
		snprintf(err, errlen, "getstatus answer lacks height or mempool_txs");
		json_decref(res);
		return EMBER_EPARSE;
	}
	*height = (uint64_t)json_integer_value(json_object_get(res, "height"));
	*mempool = (uint64_t)json_integer_value(json_object_get(res, "mempool_txs"));
	if (out)
		*out = res;
	else
		json_decref(res);
	return 0;
}

/* Wait until the node answers getstatus for our genesis. */
int bench_node_wait_ready(struct bench_node *nd, const struct ember_rpc_client *rpc,
                          const struct ember_genesis *g, uint64_t *h0)
{
	char want[65], err[512] = "";
	double t0 = bench_now();
	uint64_t mp;
	json_t *st;
	int status;

	ember_hex_encode(g->hash, 32, want);
	for (;;) {
		if (waitpid(nd->pid, &status, WNOHANG) == nd->pid) {
			nd->pid = 0;
			bench_node_log_tail(nd);
			return bench_fail("emberd exited during start-up (%s %d)",
			                  WIFEXITED(status) ? "status" : "signal",
			                  WIFEXITED(status) ? WEXITSTATUS(status)
			                                    : WTERMSIG(status));
		}
		if (bench_status(rpc, h0, &mp, &st, err, sizeof(err)) == 0) {
			const char *gh = json_string_value(json_object_get(st, "genesis_hash"));
			int same = gh && strcmp(gh, want) == 0;
			json_decref(st);
			if (!same)
				return bench_fail("the node on %s:%u runs another chain "
				                  "(genesis %.16s...)", rpc->host, rpc->port,
				                  gh ? gh : "?");
			return 0;
		}
		if (bench_now() - t0 > BENCH_START_S) {
			bench_node_log_tail(nd);
			return bench_fail("emberd did not answer getstatus within %d s: %s",
			                  BENCH_START_S, err);
		}
		usleep(50000);
	}
}

/* --- clients ------------------------------------------------------------- */

/* Count ok/error answers of one batch response. */
static void bench_client_tally(struct bench_client *c, const struct bench_batch *b,
                      const char *resp, size_t len)
{
	json_error_t jerr;
	json_t *arr = json_loadb(resp, len, 0, &jerr), *v;
	size_t i, ok = 0;

	if (!json_is_array(arr)) {
		json_t *e = json_object_get(arr, "error");
		const char *m = json_string_value(json_object_get(e, "message"));
		c->errors += b->n;
		if (!c->first_err[0])
			snprintf(c->first_err, sizeof(c->first_err), "batch refused: %s",
			         m ? m : arr ? "answer is not a JSON-RPC batch" : jerr.text);
		json_decref(arr);
		return;
	}
	json_array_foreach(arr, i, v) {
		const char *r = json_string_value(json_object_get(v, "result"));
		json_int_t id = json_integer_value(json_object_get(v, "id"));
		uint8_t txid[32];
		size_t n = 0;
		if (r && id >= 0 && (size_t)id < c->l->ntx &&
		    ember_hex_decode(r, strlen(r), txid, sizeof(txid), &n) == 0 &&
		    n == 32 && memcmp(txid, c->l->txid[id], 32) == 0) {
			ok++;
			continue;
		}
		if (!c->first_err[0] && r) {
			snprintf(c->first_err, sizeof(c->first_err), "id %lld: answer '%.64s' "
			         "is not the txid", (long long)id, r);
		} else if (!c->first_err[0]) {
			json_t *e = json_object_get(v, "error");
			const char *m = json_string_value(json_object_get(e, "message"));
			const char *why = json_string_value(json_object_get(
			        json_object_get(e, "data"), "error"));
			snprintf(c->first_err, sizeof(c->first_err), "id %lld: %s%s%s%s",
			         (long long)id, m ? m : "answer without a txid",
			         why ? " (" : "", why ? why : "", why ? ")" : "");
		}
	}
	c->ok += ok;
	/* Missing answers count as errors too. */
	c->errors += b->n > ok ? b->n - ok : 0;
	json_decref(arr);
}

void *bench_client_thread(void *arg)
{
	struct bench_client *c = arg;
	char err[256];

	for (size_t i = 0; i < c->nb; i++) {
		char *resp = NULL;
		size_t rlen = 0;
		double t0 = bench_now(), dt;
		int rc = ember_rpc_post(c->rpc, c->b[i].body, c->b[i].len, &resp, &rlen,
		                        err, sizeof(err));
		dt = bench_now() - t0;
		if (rc) {
			c->transport = 1;
			snprintf(c->first_err, sizeof(c->first_err), "batch %zu: %s", i, err);
			for (size_t j = i; j < c->nb; j++)
				c->errors += c->b[j].n;
			free(resp);
			break;
		}
		c->rtt_sum += dt;
		if (dt > c->rtt_max)
			c->rtt_max = dt;
		bench_client_tally(c, &c->b[i], resp, rlen);
		free(resp);
	}
	c->done = bench_now();
	return NULL;
}

/* After the run (untimed): every sender's committed nonce is its tx count.
 * Returns the number of senders that differ, or -1 on a transport error. */
long bench_check_nonces(const struct ember_rpc_client *rpc,
                             const struct bench_load *l, char *first,
                             size_t firstcap)
{
	struct bench_buf buf = { 0 };
	char addr[EMBER_ADDR_BUFLEN], err[256];
	char *resp = NULL;
	size_t rlen, i;
	json_t *arr, *v;
	long bad = 0;
	int rc;

	for (size_t s = 0; s < l->naccts; s++) {
		if (bench_buf_reserve(&buf, 160)) {
			free(buf.p);
			return bench_fail("out of memory");
		}
		ember_addr_encode(l->keys[s].pub, addr);
		buf.len += (size_t)sprintf(buf.p + buf.len,
		        "%s{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"getaccount\","
		        "\"params\":[\"%s\"]}", s ? "," : "[", s, addr);
	}
	buf.p[buf.len++] = ']';
	rc = ember_rpc_post(rpc, buf.p, buf.len, &resp, &rlen, err, sizeof(err));
	free(buf.p);
	if (rc)
		return bench_fail("getaccount batch failed: %s", err);
	arr = json_loadb(resp, rlen, 0, NULL);
	free(resp);
	if (!json_is_array(arr) || json_array_size(arr) != l->naccts) {
		json_decref(arr);
		return bench_fail("getaccount batch: unexpected answer");
	}
	json_array_foreach(arr, i, v) {
		json_int_t id = json_integer_value(json_object_get(v, "id"));
		json_t *n = json_object_get(json_object_get(v, "result"), "nonce");
		size_t want = id >= 0 && (size_t)id < l->naccts ?
		              bench_load_count(l, (size_t)id) : 0;
		if (!json_is_integer(n) || (uint64_t)json_integer_value(n) != want) {
			if (!bad)
				snprintf(first, firstcap, "account %lld has nonce %lld, expected %zu",
				         (long long)id, json_is_integer(n) ?
				         (long long)json_integer_value(n) : -1LL, want);
			bad++;
		}
	}
	json_decref(arr);
	return bad;
}

/* Sum the node's own per-block timings for heights in (h0, h1]. */
void bench_node_blocklog(const struct bench_node *nd, uint64_t h0, uint64_t h1,
                         unsigned *blocks, double *exec_ms, double *commit_ms,
                         double *max_ms)
{
	char line[512];
	FILE *f = fopen(nd->log, "r");

	*blocks = 0;
	*exec_ms = *commit_ms = *max_ms = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "emberd: block ");
		unsigned long long h;
		double ex, cm;
		/* A block made here, or one applied from a peer. */
		if (!p || (sscanf(p, "emberd: block %llu %*s exec %lf ms commit %lf ms",
		                  &h, &ex, &cm) != 3 &&
		           sscanf(p, "emberd: block %llu %*s from a peer, exec %lf ms "
		                  "commit %lf ms", &h, &ex, &cm) != 3))
			continue;
		if (h <= h0 || h > h1)
			continue;
		(*blocks)++;
		*exec_ms += ex;
		*commit_ms += cm;
		if (ex + cm > *max_ms)
			*max_ms = ex + cm;
	}
	fclose(f);
}

/* "p2p on port N" from the node's log, waiting for the line to appear. */
int bench_node_p2p_port(const struct bench_node *nd, unsigned *port)
{
	double t0 = bench_now();
	char line[512];

	for (;;) {
		FILE *f = fopen(nd->log, "r");
		while (f && fgets(line, sizeof(line), f)) {
			const char *p = strstr(line, "p2p on port ");
			if (p && sscanf(p, "p2p on port %u", port) == 1 && *port) {
				fclose(f);
				return 0;
			}
		}
		if (f)
			fclose(f);
		if (bench_now() - t0 > BENCH_START_S) {
			bench_node_log_tail(nd);
			return bench_fail("no 'p2p on port' line in '%s'", nd->log);
		}
		usleep(20000);
	}
}

const char *bench_num(uint64_t v, char buf[32])
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v), o = 0;

	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}
