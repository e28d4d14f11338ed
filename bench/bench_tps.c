/*
 * bench_tps.c - (b): signed transfers per second end to end, with real
 * processes.  A fresh single-validator chain in a temp directory, bin/emberd
 * started on a free port, pre-signed transfers sent as JSON-RPC batches of
 * sendtx calls, and the clock stopped when every one is committed in a
 * block.  The result is compared with the raw verify bound of (a).
 *
 * Ordering: the node refuses nonce gaps at the door, and verify batches may
 * complete in any order, so each client thread owns a disjoint half of the
 * senders and each of its batches holds at most one tx per sender (nonce
 * round k of its senders); a thread sends round k+1 only after round k was
 * answered, i.e. admitted.  Request bodies are built before the clock
 * starts: during timing the client only moves bytes and reads the answers.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
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
#include "ember/rpcclient.h"

#define TPS_ACCTS 2000
#define TPS_TXS 40000
#define TPS_TXS_QUICK 8000
#define TPS_BATCH 1000            /* sendtx calls per JSON-RPC batch */
#ifndef TPS_CLIENTS
#define TPS_CLIENTS 2             /* client threads = batches in flight */
#endif
#define TPS_BLOCK_MS 200
#define TPS_START_S 60            /* node start-up limit */
#define TPS_STALL_S 60            /* no progress for this long: give up */

struct tps_batch {
	char *body;
	size_t len;
	size_t n;                     /* calls in it */
};

struct tps_client {
	const struct ember_rpc_client *rpc;
	const struct bench_load *l;   /* the id of a sendtx call is its tx index */
	struct tps_batch *b;
	size_t nb;
	/* results */
	size_t ok, errors;
	char first_err[320];
	int transport;                /* a post failed; first_err says why */
	double done;                  /* bench_now() when the last answer came */
	double rtt_max, rtt_sum;
	int started;
};

struct tps_node {
	pid_t pid;
	char dir[512];
	char log[600];
	int have_dir;
};

/* --- setup --------------------------------------------------------------- */

/* bin/emberd next to this program (argv[0], or /proc/self/exe). */
static int tps_find_emberd(const char *argv0, char *out, size_t cap)
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

static int tps_free_port(unsigned *port)
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
struct tps_buf {
	char *p;
	size_t len, cap;
};

static int tps_buf_reserve(struct tps_buf *b, size_t more)
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

/* Client t sends senders [lo, hi): round k, TPS_BATCH senders at a time. */
static int tps_build(struct tps_client *c, const struct bench_load *l,
                     size_t lo, size_t hi)
{
	size_t rounds = (l->ntx + l->naccts - 1) / l->naccts;
	size_t per = (hi - lo + TPS_BATCH - 1) / TPS_BATCH;

	c->b = calloc(rounds * per + 1, sizeof(*c->b));
	if (!c->b)
		return -1;
	for (size_t k = 0; k < rounds; k++) {
		for (size_t s0 = lo; s0 < hi; s0 += TPS_BATCH) {
			struct tps_buf buf = { 0 };
			size_t n = 0;
			for (size_t s = s0; s < hi && s < s0 + TPS_BATCH; s++) {
				size_t i = k * l->naccts + s;
				if (i >= l->ntx)
					break;
				if (tps_buf_reserve(&buf, 2 * l->enclen[i] + 96)) {
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
			if (tps_buf_reserve(&buf, 1)) {
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

static int tps_write_datadir(const char *dir, const struct ember_genesis *g,
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

static void tps_log_tail(const struct tps_node *nd)
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

static int tps_spawn(struct tps_node *nd, const char *emberd, unsigned port)
{
	char listen[64];
	char *args[8];
	int logfd, nullfd;

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	snprintf(nd->log, sizeof(nd->log), "%s/node.log", nd->dir);
	args[0] = (char *)"emberd";
	args[1] = (char *)"--datadir";
	args[2] = nd->dir;
	args[3] = (char *)"--rpc-listen";
	args[4] = listen;
	args[5] = (char *)"--quiet";
	args[6] = (char *)"--no-p2p";   /* RPC alone is measured here */
	args[7] = NULL;
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
static int tps_stop(struct tps_node *nd)
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
static double tps_cpu(pid_t pid, pid_t tid)
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

static double tps_self_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

/* getstatus; *height and *mempool get their values. Returns 0 or an ember
 * code, err filled. */
static int tps_status(const struct ember_rpc_client *rpc, uint64_t *height,
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
static int tps_wait_ready(struct tps_node *nd, const struct ember_rpc_client *rpc,
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
			tps_log_tail(nd);
			return bench_fail("emberd exited during start-up (%s %d)",
			                  WIFEXITED(status) ? "status" : "signal",
			                  WIFEXITED(status) ? WEXITSTATUS(status)
			                                    : WTERMSIG(status));
		}
		if (tps_status(rpc, h0, &mp, &st, err, sizeof(err)) == 0) {
			const char *gh = json_string_value(json_object_get(st, "genesis_hash"));
			int same = gh && strcmp(gh, want) == 0;
			json_decref(st);
			if (!same)
				return bench_fail("the node on %s:%u runs another chain "
				                  "(genesis %.16s...)", rpc->host, rpc->port,
				                  gh ? gh : "?");
			return 0;
		}
		if (bench_now() - t0 > TPS_START_S) {
			tps_log_tail(nd);
			return bench_fail("emberd did not answer getstatus within %d s: %s",
			                  TPS_START_S, err);
		}
		usleep(50000);
	}
}

/* --- clients ------------------------------------------------------------- */

/* Count ok/error answers of one batch response. */
static void tps_tally(struct tps_client *c, const struct tps_batch *b,
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

static void *tps_client_thread(void *arg)
{
	struct tps_client *c = arg;
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
		tps_tally(c, &c->b[i], resp, rlen);
		free(resp);
	}
	c->done = bench_now();
	return NULL;
}

/* After the run (untimed): every sender's committed nonce is its tx count.
 * Returns the number of senders that differ, or -1 on a transport error. */
static long tps_check_nonces(const struct ember_rpc_client *rpc,
                             const struct bench_load *l, char *first,
                             size_t firstcap)
{
	struct tps_buf buf = { 0 };
	char addr[EMBER_ADDR_BUFLEN], err[256];
	char *resp = NULL;
	size_t rlen, i;
	json_t *arr, *v;
	long bad = 0;
	int rc;

	for (size_t s = 0; s < l->naccts; s++) {
		if (tps_buf_reserve(&buf, 160)) {
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
static void tps_node_log(const struct tps_node *nd, uint64_t h0, uint64_t h1,
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
		if (!p || sscanf(p, "emberd: block %llu %*s exec %lf ms commit %lf ms",
		                 &h, &ex, &cm) != 3)
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

/* --- the benchmark ------------------------------------------------------- */

int bench_tps(struct bench_ctx *bc)
{
	struct bench_results *res = bc->res;
	size_t ntx = bc->opt->txs ? bc->opt->txs : bc->opt->quick ? TPS_TXS_QUICK : TPS_TXS;
	size_t naccts = ntx < TPS_ACCTS ? (ntx < 2 ? 2 : ntx) : TPS_ACCTS;
	unsigned ncpu = bc->opt->ncpu;
	struct tps_client cl[TPS_CLIENTS];
	pthread_t th[TPS_CLIENTS];
	struct ember_rpc_client rpc, rpc_poll;
	struct tps_node nd;
	struct bench_load l;
	struct ember_genesis g;
	struct ember_keypair val;
	char emberd[PATH_MAX], url[64], err[512], first[256];
	double t0, t1, tend, cpu_n0, cpu_n1, cpu_m0, cpu_m1, cpu_c0, cpu_c1;
	double ingest = 0, exec_ms, commit_ms, max_ms, last_change;
	double rtt_sum = 0, rtt_max = 0;
	uint64_t h0 = 0, h1 = 0, mp = 0, last_h = 0, last_mp = 0;
	size_t ok = 0, errors = 0, nbatches = 0;
	unsigned port = 0, blocks;
	long bad;
	int rc = 0, stop_rc;

	memset(cl, 0, sizeof(cl));
	memset(&nd, 0, sizeof(nd));
	memset(&l, 0, sizeof(l));
	memset(&g, 0, sizeof(g));
	memset(&val, 0, sizeof(val));
	printf("== tps: signed transfers end to end over JSON-RPC (bin/emberd, one "
	       "validator, %d ms blocks)\n", TPS_BLOCK_MS);
	printf("  %zu accounts, %zu pre-signed transfers, batches of up to %d sendtx "
	       "calls, %d client threads (%d batches in flight)\n", naccts, ntx,
	       TPS_BATCH, TPS_CLIENTS, TPS_CLIENTS);
	if ((rc = tps_find_emberd(bc->opt->argv0, emberd, sizeof(emberd))))
		goto out;

	t0 = bench_now();
	if ((rc = bench_load_new(&l, naccts, ntx, ncpu)))
		goto out;
	if ((rc = ember_keypair_generate(&val))) {
		rc = bench_fail("cannot generate a key: %s", ember_strerror(rc));
		goto out;
	}
	if ((rc = bench_genesis(&g, &l, val.pub, bench_wall_ms(), TPS_BLOCK_MS)))
		goto out;
	if ((rc = bench_tmpdir(nd.dir, sizeof(nd.dir), "tps")))
		goto out;
	nd.have_dir = 1;
	if ((rc = tps_write_datadir(nd.dir, &g, &val)))
		goto out;
	t1 = bench_now();
	for (int c = 0; c < TPS_CLIENTS; c++) {
		if (tps_build(&cl[c], &l, naccts * (size_t)c / TPS_CLIENTS,
		              naccts * (size_t)(c + 1) / TPS_CLIENTS)) {
			rc = bench_fail("out of memory for request bodies");
			goto out;
		}
		nbatches += cl[c].nb;
	}
	printf("  pre-signed and set up in %.2f s, %zu request bodies built in %.2f s "
	       "(none of it timed)\n", t1 - t0, nbatches, bench_now() - t1);

	if ((rc = tps_free_port(&port)))
		goto out;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	if (ember_rpc_client_init(&rpc, url) || ember_rpc_client_init(&rpc_poll, url)) {
		rc = bench_fail("bad node url '%s'", url);
		goto out;
	}
	rpc.timeout_s = 300;
	rpc_poll.timeout_s = 5;
	t0 = bench_now();
	if ((rc = tps_spawn(&nd, emberd, port)))
		goto out;
	if ((rc = tps_wait_ready(&nd, &rpc_poll, &g, &h0)))
		goto out;
	printf("  emberd (pid %d) answering on 127.0.0.1:%u after %.2f s, height %llu\n",
	       (int)nd.pid, port, bench_now() - t0, (unsigned long long)h0);

	/* Timed from here to the commit of the last tx. */
	cpu_n0 = tps_cpu(nd.pid, 0);
	cpu_m0 = tps_cpu(nd.pid, nd.pid);
	cpu_c0 = tps_self_cpu();
	t0 = bench_now();
	for (int c = 0; c < TPS_CLIENTS; c++) {
		cl[c].rpc = &rpc;
		cl[c].l = &l;
		cl[c].started = pthread_create(&th[c], NULL, tps_client_thread, &cl[c]) == 0;
		if (!cl[c].started)
			tps_client_thread(&cl[c]);
	}
	for (int c = 0; c < TPS_CLIENTS; c++) {
		if (cl[c].started)
			pthread_join(th[c], NULL);
		ok += cl[c].ok;
		errors += cl[c].errors;
		if (cl[c].done - t0 > ingest)
			ingest = cl[c].done - t0;
	}
	last_change = bench_now();
	for (;;) {
		if ((rc = tps_status(&rpc_poll, &h1, &mp, NULL, err, sizeof(err)))) {
			tps_log_tail(&nd);
			rc = bench_fail("getstatus failed while waiting for commits: %s", err);
			goto out;
		}
		if (mp == 0)
			break;
		if (h1 != last_h || mp != last_mp) {
			last_h = h1;
			last_mp = mp;
			last_change = bench_now();
		} else if (bench_now() - last_change > TPS_STALL_S) {
			tps_log_tail(&nd);
			rc = bench_fail("no block for %d s with %llu txs pending", TPS_STALL_S,
			                (unsigned long long)mp);
			goto out;
		}
		usleep(2000);
	}
	tend = bench_now();
	cpu_n1 = tps_cpu(nd.pid, 0);
	cpu_m1 = tps_cpu(nd.pid, nd.pid);
	cpu_c1 = tps_self_cpu();

	res->tps_secs = tend - t0;
	res->tps_txs = ok;
	res->tps = (double)ok / res->tps_secs;
	res->have_tps = 1;
	for (int c = 0; c < TPS_CLIENTS; c++) {
		rtt_sum += cl[c].rtt_sum;
		if (cl[c].rtt_max > rtt_max)
			rtt_max = cl[c].rtt_max;
	}
	printf("  all %zu sendtx calls answered after %.3f s (admission %.0f tx/s); "
	       "batch round trip mean %.0f ms, max %.0f ms\n", ok + errors, ingest,
	       (double)(ok + errors) / ingest,
	       1e3 * rtt_sum / (double)(nbatches ? nbatches : 1), 1e3 * rtt_max);
	printf("  sendtx answers: %zu txids, %zu errors\n", ok, errors);
	for (int c = 0; c < TPS_CLIENTS; c++)
		if (cl[c].first_err[0]) {
			printf("  first error (client %d): %s\n", c, cl[c].first_err);
			break;
		}
	if (h1 > h0)
		printf("  all committed after %.3f s, heights %llu..%llu: %.0f tx/s end to "
		       "end\n", res->tps_secs, (unsigned long long)h0 + 1,
		       (unsigned long long)h1, res->tps);
	tps_node_log(&nd, h0, h1, &blocks, &exec_ms, &commit_ms, &max_ms);
	if (blocks)
		printf("  node's block log: %u blocks with txs, execute %.0f ms + commit "
		       "%.0f ms in all (slowest block %.0f ms)\n", blocks, exec_ms,
		       commit_ms, max_ms);
	if (cpu_n0 >= 0 && cpu_n1 >= 0 && cpu_m0 >= 0 && cpu_m1 >= 0)
		printf("  CPU while timed (%.2f s wall x %u CPUs = %.2f CPU-s): node loop "
		       "thread %.2f s, other node threads (verify) %.2f s, this client "
		       "%.2f s\n", res->tps_secs, ncpu, res->tps_secs * ncpu,
		       cpu_m1 - cpu_m0, (cpu_n1 - cpu_n0) - (cpu_m1 - cpu_m0),
		       cpu_c1 - cpu_c0);
	printf("  note: the client signs nothing while timed (pre-signed, bodies "
	       "pre-built), but its HTTP and JSON work shares the %u CPUs with the "
	       "node\n", ncpu);

	first[0] = 0;
	bad = tps_check_nonces(&rpc_poll, &l, first, sizeof(first));
	if (bad < 0) {
		rc = -1;
	} else if (bad > 0) {
		rc = bench_fail("%ld of %zu senders did not reach their nonce; %s", bad,
		                naccts, first);
	} else {
		printf("  checked over RPC: every sender's committed nonce equals its "
		       "tx count\n");
	}
	if (!rc && errors)
		rc = bench_fail("%zu sendtx calls did not return a txid", errors);
	if (!rc && bc->res->have_verify)
		printf("  ratio: %.0f / (%.0f x %u) = %.2f of the raw verify bound "
		       "(target 0.75)\n", res->tps, bc->res->verify_core, ncpu,
		       res->tps / (bc->res->verify_core * ncpu));
out:
	stop_rc = tps_stop(&nd);
	if (stop_rc && !rc) {
		tps_log_tail(&nd);
		rc = stop_rc;
	}
	for (int c = 0; c < TPS_CLIENTS; c++) {
		for (size_t i = 0; i < cl[c].nb; i++)
			free(cl[c].b[i].body);
		free(cl[c].b);
	}
	if (nd.have_dir && rc == 0)
		bench_rmtree(nd.dir);
	else if (nd.have_dir)
		fprintf(stderr, "ember-bench: kept '%s' for inspection\n", nd.dir);
	ember_genesis_release(&g);
	ember_keypair_clear(&val);
	bench_load_release(&l);
	return rc ? -1 : 0;
}
