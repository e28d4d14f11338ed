/*
 * ember_prover_main.c - ember-prover: answers a provider's GPU challenges
 * (docs/proofs.md) from the node's getchallenge, with the CPU or the CUDA
 * back end (proof.h), and checks that the two back ends agree.
 *
 *   ember-prover --key KEYSTORE [--rpc URL] [--backend cpu|cuda|auto]
 *                [--threads N] [--once] [--passphrase-file F] [--quiet]
 *                [--rpc-cookie FILE] [--rpc-ca FILE] [--insecure]
 *   ember-prover selftest [--n N] [--backend cpu|cuda|auto] [--threads N]
 *
 * The loop: once a block time it asks getchallenge for the key's address
 * (the epoch of the next block).  A pending, issued challenge this process
 * has not answered yet is proven (ember_prove), sent as a proof tx (nonce
 * from getaccount, fee the chain's min_fee) and followed with getchallenge
 * until it reads passed, or missing when the deadline went by (or the chain
 * stops making blocks: PV_STALL_BLOCKS block times at one height).  --once
 * answers one challenge (waiting for the first one when the provider
 * registered after the current epoch's were issued) and exits 0 on a pass.
 *
 * The key is decrypted once at start (a wrong passphrase is an error
 * there, not an epoch later) and kept in locked memory while the prover
 * runs, since it signs a proof every epoch.  The node's seed is checked
 * against our own derivation from the epoch hash before any work, so a
 * node speaking another challenge rule is caught before the proof is.
 *
 * Exit status: 0 ok, 1 the operation failed, 2 the command line is wrong.
 * Messages are "ember-prover: <what is wrong>", lowercase, subject quoted.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "ember/addr.h"
#include "ember/codec.h"
#include "ember/hash.h"
#include "ember/key.h"
#include "ember/keystore.h"
#include "ember/proof.h"
#include "ember/rpcclient.h"
#include "ember/tx.h"
#include "ember/version.h"

#define PV_DEFAULT_RPC "http://127.0.0.1:8645/"
#define PV_PASS_MAX 1024
#define PV_POLL_MIN_MS 100
#define PV_POLL_MAX_MS 5000
#define PV_NONE UINT64_MAX
#define PV_STALL_BLOCKS 30
#define PV_STALL_MIN_S 10.0
/* selftest: a fixed challenge, the default openings, a light grind */
#define PV_SELFTEST_N 256
#define PV_SELFTEST_K 400
#define PV_SELFTEST_POW 12

struct pv {
	struct ember_rpc_client rpc;
	char userpass[256];             /* --rpc-cookie's "user:pass"; rpc points here */
	const char *rpc_url;
	const char *key_path, *passfile;
	const char *backend_arg;        /* as typed: cpu, cuda, auto */
	enum ember_backend be;
	unsigned threads;               /* 0: every online CPU */
	int once, quiet, tty;
	int have_key;
	struct ember_keypair kp;        /* locked memory while have_key */
	char addr[EMBER_ADDR_BUFLEN];
	char chain_id[EMBER_CHAIN_ID_MAX + 1];
	uint64_t min_fee, block_time_ms;
};

/* --- messages ----------------------------------------------------------- */

static int pv_fail(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void pv_log(const struct pv *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int pv_fail(int status, const char *fmt, ...)
{
	va_list ap;

	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);    /* over a progress line */
	fputs("ember-prover: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* A plain line on stderr, unless --quiet. */
static void pv_log(const struct pv *p, const char *fmt, ...)
{
	va_list ap;

	if (p->quiet)
		return;
	if (p->tty)
		fputs("\r\033[K", stderr);      /* over a progress line */
	fputs("ember-prover: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *pv_errno_str(int e)
{
	static char buf[128];

	snprintf(buf, sizeof buf, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

static double pv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pv_sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static uint64_t pv_poll_ms(const struct pv *p)
{
	uint64_t ms = p->block_time_ms;

	return ms < PV_POLL_MIN_MS ? PV_POLL_MIN_MS : ms > PV_POLL_MAX_MS ?
	       PV_POLL_MAX_MS : ms;
}

static const char *pv_backend_name(enum ember_backend be)
{
	return be == EMBER_BACKEND_CUDA ? "cuda" : "cpu";
}

static unsigned pv_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

/* Strict unsigned decimal: digits only, fits in u64.  0 or -1. */
static int pv_parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;

	if (s[0] == '\0' || strlen(s) > 20 || strspn(s, "0123456789") != strlen(s))
		return -1;
	errno = 0;
	v = strtoull(s, NULL, 10);
	if (errno == ERANGE)
		return -1;
	*out = v;
	return 0;
}

/*
 * --backend: cpu, cuda (must be usable) or auto (cuda when usable, else
 * cpu).  Says which and why.  Returns 0 or an exit status.
 */
static int pv_pick_backend(struct pv *p)
{
	char why[256] = "";
	int cuda = ember_prover_cuda_available(why, sizeof why);

	if (!strcmp(p->backend_arg, "cpu")) {
		p->be = EMBER_BACKEND_CPU;
	} else if (!strcmp(p->backend_arg, "cuda")) {
		if (!cuda)
			return pv_fail(1, "cuda back end unavailable: %s; use --backend cpu",
			               why[0] ? why : "no device");
		p->be = EMBER_BACKEND_CUDA;
	} else if (!strcmp(p->backend_arg, "auto")) {
		p->be = cuda ? EMBER_BACKEND_CUDA : EMBER_BACKEND_CPU;
		if (!cuda)
			pv_log(p, "using the cpu back end (no cuda: %s)",
			       why[0] ? why : "no device");
	} else {
		return pv_fail(2, "invalid backend '%s': expected cpu, cuda or auto",
		               p->backend_arg);
	}
	if (p->be == EMBER_BACKEND_CUDA)
		pv_log(p, "using the cuda back end");
	else
		pv_log(p, "cpu back end on %u threads",
		       p->threads ? p->threads : pv_online_cpus());
	return 0;
}

/* --- proving with a progress line --------------------------------------- */

struct pv_progress {
	enum ember_backend be;
	char what[48];                  /* "epoch 3", "selftest" */
	uint32_t n;
	double t0;
	atomic_int done;
};

static void *pv_progress_main(void *arg)
{
	struct pv_progress *g = arg;

	while (!atomic_load(&g->done)) {
		fprintf(stderr, "\r\033[K%s  N=%u  %s  proving  %.1f s", g->what, g->n,
		        pv_backend_name(g->be), pv_now() - g->t0);
		fflush(stderr);
		for (int i = 0; i < 5 && !atomic_load(&g->done); i++)
			pv_sleep_ms(50);
	}
	fputs("\r\033[K", stderr);
	fflush(stderr);
	return NULL;
}

/*
 * ember_prove on p's back end, with a live line (epoch, N, elapsed) on a
 * terminal.  proof.h reports the phases' times when the proof is done
 * (gemm, tree, pow, open), which the caller prints.
 */
static int pv_prove(const struct pv *p, const char *what, enum ember_backend be,
                    unsigned threads, const struct ember_challenge *c, uint32_t k,
                    uint32_t pow_bits, uint8_t **body, size_t *len,
                    struct ember_prove_stats *st)
{
	struct pv_progress g = { .be = be, .n = c->n };
	pthread_t th;
	int live = p->tty && !p->quiet, rc;

	snprintf(g.what, sizeof g.what, "%s", what);
	g.t0 = pv_now();
	atomic_init(&g.done, 0);
	if (live && pthread_create(&th, NULL, pv_progress_main, &g) != 0)
		live = 0;
	rc = ember_prove(be, c, k, pow_bits, threads, 0, 0, body, len, st);
	if (live) {
		atomic_store(&g.done, 1);
		pthread_join(th, NULL);
	}
	return rc;
}

static void pv_stats_line(char *buf, size_t len, const struct ember_prove_stats *st)
{
	snprintf(buf, len, "%.3f s (gemm %.3f s, tree %.3f s, pow %.3f s in %" PRIu64
	         " tries, open %.3f s)", st->total_s, st->gemm_s, st->tree_s,
	         st->pow_s, st->pow_tries, st->open_s);
}

/* --- the key ------------------------------------------------------------ */

/* A passphrase: --passphrase-file (first line), else $EMBER_PASSPHRASE,
 * else the terminal with echo off.  Returns 0 or an exit status. */
static int pv_get_pass(const char *file, char *buf, size_t *len)
{
	const char *env;
	int fd, tty;
	size_t n = 0;

	if (file) {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
			return pv_fail(1, "cannot read passphrase file '%s': %s", file,
			               pv_errno_str(errno));
		while (n < PV_PASS_MAX) {
			ssize_t r = read(fd, buf + n, PV_PASS_MAX - n);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				int e = errno;
				close(fd);
				return pv_fail(1, "cannot read passphrase file '%s': %s", file,
				               pv_errno_str(e));
			}
			if (r == 0 || memchr(buf + n, '\n', (size_t)r)) {
				n += (size_t)r;
				break;
			}
			n += (size_t)r;
		}
		close(fd);
		char *nl = memchr(buf, '\n', n);
		if (!nl && n == PV_PASS_MAX)
			return pv_fail(1, "passphrase in '%s' is longer than %d bytes", file,
			               PV_PASS_MAX);
		if (nl)
			n = (size_t)(nl - buf);
		if (n > 0 && buf[n - 1] == '\r')
			n--;
		*len = n;
		return 0;
	}
	if ((env = getenv("EMBER_PASSPHRASE"))) {
		if ((n = strlen(env)) > PV_PASS_MAX)
			return pv_fail(1, "passphrase in EMBER_PASSPHRASE is longer than %d "
			               "bytes", PV_PASS_MAX);
		memcpy(buf, env, n);
		*len = n;
		return 0;
	}
	if ((tty = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return pv_fail(1, "cannot ask for a passphrase: no terminal; use "
		               "--passphrase-file or EMBER_PASSPHRASE");
	struct termios old, quiet;
	int have = tcgetattr(tty, &old) == 0, rc = 0;
	if (write(tty, "passphrase: ", 12) < 0)
		rc = -1;
	if (have) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tcsetattr(tty, TCSAFLUSH, &quiet);
	}
	for (;;) {
		char ch;
		ssize_t r = read(tty, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n' || ch == '\r')
			break;
		if (n == PV_PASS_MAX)
			rc = -2;
		else
			buf[n++] = ch;
	}
	if (have)
		tcsetattr(tty, TCSAFLUSH, &old);
	if (write(tty, "\n", 1) < 0)
		rc = rc ? rc : -1;
	close(tty);
	if (rc == -2)
		return pv_fail(1, "passphrase is longer than %d bytes", PV_PASS_MAX);
	if (rc)
		return pv_fail(1, "cannot ask for a passphrase: %s", pv_errno_str(errno));
	*len = n;
	return 0;
}

/* Read the keystore's address and decrypt its key into p->kp. */
static int pv_load_key(struct pv *p)
{
	char pass[PV_PASS_MAX + 1];
	size_t plen = 0;
	int rc, e, st;

	if ((rc = ember_keystore_address(p->key_path, p->addr))) {
		if (rc == EMBER_EIO)
			return pv_fail(1, "cannot read keystore '%s': %s", p->key_path,
			               pv_errno_str(errno));
		return pv_fail(1, "malformed keystore '%s': not an ember key file or an "
		               "unsupported version", p->key_path);
	}
	{
		/* Warn as ssh does (and as ember-cli does), then go on: the
		 * passphrase still guards the key. */
		unsigned mode = 0;
		if (ember_keystore_check_mode(p->key_path, &mode) == EMBER_KS_MODE)
			fprintf(stderr, "ember-prover: warning: permissions %04o for '%s' "
			        "are too open: a keystore should not be accessible by "
			        "group or others; run 'chmod 600 %s'\n", mode,
			        p->key_path, p->key_path);
	}
	sodium_mlock(pass, sizeof pass);
	if ((st = pv_get_pass(p->passfile, pass, &plen))) {
		sodium_munlock(pass, sizeof pass);
		return st;
	}
	sodium_mlock(&p->kp, sizeof p->kp);
	rc = ember_keystore_load(p->key_path, pass, plen, &p->kp);
	e = errno;
	sodium_munlock(pass, sizeof pass);         /* zeroes, then unlocks */
	if (rc) {
		sodium_munlock(&p->kp, sizeof p->kp);
		switch (rc) {
		case EMBER_KS_PASSPHRASE:
			return pv_fail(1, "wrong passphrase for keystore '%s' (or the file "
			               "was altered)", p->key_path);
		case EMBER_EIO:
			return pv_fail(1, "cannot read keystore '%s': %s", p->key_path,
			               pv_errno_str(e));
		default:
			return pv_fail(1, "cannot open keystore '%s': %s", p->key_path,
			               ember_strerror(rc));
		}
	}
	p->have_key = 1;
	return 0;
}

static void pv_drop_key(struct pv *p)
{
	/* The cookie grants admin rights on the node: wiped with the key. */
	sodium_memzero(p->userpass, sizeof p->userpass);
	if (!p->have_key)
		return;
	ember_keypair_clear(&p->kp);
	sodium_munlock(&p->kp, sizeof p->kp);
	p->have_key = 0;
}

/* --- the node ----------------------------------------------------------- */

/* Returns 0, EMBER_RPC_TRANSPORT or EMBER_RPC_REMOTE with err set. */
static int pv_call(const struct pv *p, const char *method, json_t *params,
                   json_t **res, int *code, char *err, size_t errlen)
{
	int c = 0;
	int rc = ember_rpc_call(&p->rpc, method, params, res, &c, err, errlen);

	if (code)
		*code = c;
	return rc;
}

static int pv_json_u64(json_t *o, const char *field, uint64_t *out)
{
	json_t *v = json_object_get(o, field);

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && pv_parse_u64(json_string_value(v), out) == 0)
		return 0;
	return -1;
}

static int pv_bad_answer(const struct pv *p, const char *method, const char *field)
{
	return pv_fail(1, "unexpected answer from node at '%s:%u': %s without '%s'",
	               p->rpc.host, p->rpc.port, method, field);
}

/* getstatus: chain id, min fee, block time. */
static int pv_status(struct pv *p)
{
	char err[512];
	json_t *res = NULL;
	const char *id;
	int rc;

	if ((rc = pv_call(p, "getstatus", NULL, &res, NULL, err, sizeof err))) {
		if (rc == EMBER_RPC_TRANSPORT)
			return pv_fail(1, "%s; is emberd running there? (--rpc URL or "
			               "EMBER_RPC)", err);
		return pv_fail(1, "%s", err);
	}
	id = json_string_value(json_object_get(res, "chain_id"));
	if (!id || !ember_chain_id_valid(id, strlen(id))) {
		json_decref(res);
		return pv_bad_answer(p, "getstatus", "chain_id");
	}
	snprintf(p->chain_id, sizeof p->chain_id, "%s", id);
	if (pv_json_u64(res, "min_fee", &p->min_fee) ||
	    pv_json_u64(res, "block_time_ms", &p->block_time_ms)) {
		json_decref(res);
		return pv_bad_answer(p, "getstatus", "min_fee");
	}
	json_decref(res);
	return 0;
}

/* One getchallenge answer, parsed. */
struct pv_chal {
	json_t *res;                    /* owned; the strings point into it */
	uint64_t height, epoch, issued_height, deadline_height, end_height;
	uint64_t n, k, pow_bits;
	int registered, enabled, issued, active;
	const char *status, *reason, *seed_hex, *hash_hex;
	uint64_t proof_height;          /* when passed */
	const char *root_hex;
};

static void pv_chal_release(struct pv_chal *c)
{
	json_decref(c->res);
	c->res = NULL;
}

/*
 * getchallenge for our address (epoch PV_NONE: the next block's).
 * Returns 0, EMBER_RPC_TRANSPORT (err set; worth a retry), or 1 after
 * printing what is wrong.
 */
static int pv_challenge(const struct pv *p, uint64_t epoch, struct pv_chal *c,
                        char *err, size_t errlen)
{
	json_t *params, *v;
	const char *ps;
	int rc;

	memset(c, 0, sizeof *c);
	params = epoch == PV_NONE ? json_pack("[s]", p->addr)
	                          : json_pack("[s, I]", p->addr, (json_int_t)epoch);
	if ((rc = pv_call(p, "getchallenge", params, &c->res, NULL, err, errlen))) {
		if (rc == EMBER_RPC_TRANSPORT)
			return rc;
		return pv_fail(1, "%s", err);
	}
	if (pv_json_u64(c->res, "height", &c->height) ||
	    pv_json_u64(c->res, "epoch", &c->epoch) ||
	    pv_json_u64(c->res, "issued_height", &c->issued_height) ||
	    pv_json_u64(c->res, "deadline_height", &c->deadline_height) ||
	    pv_json_u64(c->res, "epoch_end_height", &c->end_height) ||
	    pv_json_u64(c->res, "openings", &c->k) ||
	    pv_json_u64(c->res, "pow_bits", &c->pow_bits) ||
	    !(c->status = json_string_value(json_object_get(c->res, "status")))) {
		pv_chal_release(c);
		return pv_bad_answer(p, "getchallenge", "epoch, heights or status");
	}
	if (pv_json_u64(c->res, "n", &c->n))
		c->n = 0;
	c->registered = json_is_true(json_object_get(c->res, "registered"));
	c->enabled = json_is_true(json_object_get(c->res, "challenges_enabled"));
	c->issued = json_is_true(json_object_get(c->res, "issued"));
	ps = json_string_value(json_object_get(c->res, "provider_status"));
	c->active = ps && !strcmp(ps, "active");
	c->reason = json_string_value(json_object_get(c->res, "reason"));
	c->seed_hex = json_string_value(json_object_get(c->res, "seed"));
	c->hash_hex = json_string_value(json_object_get(c->res, "epoch_hash"));
	v = json_object_get(c->res, "proof");
	if (json_is_object(v)) {
		if (pv_json_u64(v, "height", &c->proof_height))
			c->proof_height = 0;
		c->root_hex = json_string_value(json_object_get(v, "root"));
	}
	return 0;
}

static int pv_hex32(const char *s, uint8_t out[32])
{
	size_t w;

	return s && strlen(s) == 64 && ember_hex_decode(s, 64, out, 32, &w) == 0 &&
	       w == 32 ? 0 : -1;
}

/*
 * Sign and send the proof tx; *txid (65 bytes) gets its id.  The signed
 * tx is sent again, unchanged, while the node cannot be reached (for at
 * most budget_s): a resubmitted pending tx is answered with its id, so a
 * lost answer costs nothing, and a fresh nonce would make a second proof
 * tx for the same challenge.
 * Returns 0, or 1 after printing why (a refusal verbatim).
 */
static int pv_send(const struct pv *p, uint64_t epoch, const uint8_t *body,
                   size_t len, double budget_s, char txid[65])
{
	struct ember_tx tx;
	json_t *acct = NULL, *res = NULL;
	uint64_t nonce;
	uint8_t *enc = NULL;
	char *hex = NULL, err[1024];
	size_t size, elen = 0;
	const char *id;
	double until = pv_now() + budget_s;
	int rc, ret = 1;

	while ((rc = pv_call(p, "getaccount", json_pack("[s]", p->addr), &acct, NULL,
	                     err, sizeof err)) == EMBER_RPC_TRANSPORT &&
	       pv_now() < until)
		pv_sleep_ms(pv_poll_ms(p));
	if (rc) {
		pv_fail(1, "epoch %" PRIu64 ": cannot read the account's nonce: %s",
		        epoch, err);
		return 1;
	}
	if (pv_json_u64(acct, "next_nonce", &nonce)) {
		json_decref(acct);
		return pv_bad_answer(p, "getaccount", "next_nonce");
	}
	json_decref(acct);
	if ((rc = ember_tx_init(&tx, EMBER_TX_PROOF, p->chain_id, p->kp.pub, nonce,
	                        p->min_fee))) {
		pv_fail(1, "cannot build the proof tx: %s", ember_strerror(rc));
		return 1;
	}
	tx.u.proof.epoch = epoch;
	tx.u.proof.body = body;
	tx.u.proof.body_len = (uint32_t)len;
	if ((rc = ember_tx_check(&tx, p->chain_id, p->min_fee))) {
		pv_fail(1, "invalid proof tx: %s", ember_strerror(rc));
		return 1;
	}
	if ((rc = ember_tx_sign(&tx, &p->kp))) {
		pv_fail(1, "cannot sign the proof tx: %s", ember_strerror(rc));
		return 1;
	}
	size = ember_tx_encoded_size(&tx);
	if (size == 0 || size > EMBER_TX_PROOF_MAX_SIZE) {
		pv_fail(1, "proof tx of %zu bytes exceeds the limit of %d", size,
		        EMBER_TX_PROOF_MAX_SIZE);
		return 1;
	}
	enc = malloc(size);
	hex = malloc(2 * size + 1);
	if (!enc || !hex) {
		pv_fail(1, "out of memory");
		goto out;
	}
	if ((rc = ember_tx_encode(&tx, enc, size, &elen))) {
		pv_fail(1, "cannot encode the proof tx: %s", ember_strerror(rc));
		goto out;
	}
	ember_hex_encode(enc, elen, hex);
	while ((rc = pv_call(p, "sendtx", json_pack("[s]", hex), &res, NULL, err,
	                     sizeof err)) == EMBER_RPC_TRANSPORT && pv_now() < until) {
		pv_log(p, "epoch %" PRIu64 ": %s; sending again", epoch, err);
		pv_sleep_ms(pv_poll_ms(p));
	}
	if (rc) {
		if (rc == EMBER_RPC_REMOTE)
			pv_fail(1, "epoch %" PRIu64 ": the node refused the proof: %s",
			        epoch, err);
		else
			pv_fail(1, "epoch %" PRIu64 ": cannot send the proof: %s", epoch, err);
		goto out;
	}
	id = json_string_value(res);
	if (!id || strlen(id) != 64) {
		pv_fail(1, "unexpected answer from node at '%s:%u': sendtx gave no txid",
		        p->rpc.host, p->rpc.port);
		goto out;
	}
	memcpy(txid, id, 65);
	ret = 0;
out:
	json_decref(res);
	free(enc);
	free(hex);
	return ret;
}

/*
 * Answer c (pending and issued): prove, send, follow until passed or the
 * deadline goes by.  Returns 0 passed, 1 not (said why).
 */
static int pv_answer(struct pv *p, const struct pv_chal *c)
{
	struct ember_challenge ch;
	struct ember_prove_stats st;
	uint8_t hash[32], seed[32], *body = NULL;
	char txid[65], err[512], line[256];
	size_t len = 0;
	int rc;

	if (pv_hex32(c->hash_hex, hash) || pv_hex32(c->seed_hex, seed) || c->n == 0 ||
	    c->n > UINT32_MAX || c->k == 0 || c->k > UINT32_MAX || c->pow_bits > 64)
		return pv_bad_answer(p, "getchallenge", "epoch_hash, seed, n or openings");
	ember_challenge_derive(&ch, hash, p->kp.pub, c->epoch, (uint32_t)c->n);
	if (memcmp(ch.seed, seed, 32) != 0)
		return pv_fail(1, "epoch %" PRIu64 ": the node's seed '%s' is not the "
		               "challenge this prover derives; are the node and "
		               "ember-prover the same version?", c->epoch, c->seed_hex);
	pv_log(p, "epoch %" PRIu64 ": challenge N=%" PRIu64 ", %" PRIu64 " openings, "
	       "%" PRIu64 " pow bits, due by block %" PRIu64 " (now %" PRIu64 ")",
	       c->epoch, c->n, c->k, c->pow_bits, c->deadline_height, c->height);
	memset(&st, 0, sizeof st);
	snprintf(line, sizeof line, "epoch %" PRIu64, c->epoch);
	rc = pv_prove(p, line, p->be, p->threads, &ch, (uint32_t)c->k,
	              (uint32_t)c->pow_bits, &body, &len, &st);
	if (rc)
		return pv_fail(1, "epoch %" PRIu64 ": cannot compute the proof: %s",
		               c->epoch, ember_strerror(rc));
	pv_stats_line(line, sizeof line, &st);
	pv_log(p, "epoch %" PRIu64 ": proof of %zu bytes on %s in %s", c->epoch, len,
	       pv_backend_name(p->be), line);
	/* Worth sending until the deadline block (by the clock: the node
	 * may be what is unreachable). */
	rc = pv_send(p, c->epoch, body, len, (double)(c->deadline_height > c->height ?
	             c->deadline_height - c->height : 1) * (double)p->block_time_ms /
	             1000.0, txid);
	free(body);
	if (rc)
		return 1;
	pv_log(p, "epoch %" PRIu64 ": sent proof tx %s", c->epoch, txid);

	/*
	 * Follow the challenge until it is settled one way or the other.  A
	 * chain that stops making blocks settles nothing, so that is a
	 * failure too, after PV_STALL_BLOCKS block times (at least
	 * PV_STALL_MIN_S) at one height.
	 */
	uint64_t last_h = c->height;
	double last_t = pv_now(), stall = (double)PV_STALL_BLOCKS *
	                (double)p->block_time_ms / 1000.0;
	if (stall < PV_STALL_MIN_S)
		stall = PV_STALL_MIN_S;
	for (int down = 0;;) {
		struct pv_chal now;
		pv_sleep_ms(pv_poll_ms(p) / 2);
		rc = pv_challenge(p, c->epoch, &now, err, sizeof err);
		if (rc == EMBER_RPC_TRANSPORT) {
			if (!down++)
				pv_log(p, "%s; retrying", err);
			continue;
		}
		if (rc)
			return 1;
		down = 0;
		if (now.height != last_h) {
			last_h = now.height;
			last_t = pv_now();
		} else if (pv_now() - last_t > stall) {
			pv_fail(1, "epoch %" PRIu64 ": the chain has stayed at height %" PRIu64
			        " for %.0f s with proof tx %s pending; check the node's log",
			        c->epoch, now.height, pv_now() - last_t, txid);
			pv_chal_release(&now);
			return 1;
		}
		if (!strcmp(now.status, "passed")) {
			if (p->tty)
				fputs("\r\033[K", stderr);
			fprintf(stderr, "ember-prover: epoch %" PRIu64 ": passed in block "
			        "%" PRIu64 " (root %s, tx %s)\n", c->epoch, now.proof_height,
			        now.root_hex ? now.root_hex : "?", txid);
			pv_chal_release(&now);
			return 0;
		}
		if (strcmp(now.status, "pending") != 0) {
			pv_fail(1, "epoch %" PRIu64 ": challenge %s: proof tx %s was not "
			        "committed by the deadline block %" PRIu64 "; see "
			        "'ember-cli tx %s'", c->epoch, now.status, txid,
			        c->deadline_height, txid);
			pv_chal_release(&now);
			return 1;
		}
		pv_chal_release(&now);
	}
}

/* --- the loop ----------------------------------------------------------- */

static int pv_run(struct pv *p)
{
	uint64_t answered = PV_NONE, noted = PV_NONE, waiting = PV_NONE;
	char err[512];
	int rc, down = 0;

	if ((rc = pv_status(p)))
		return rc;
	for (;;) {
		struct pv_chal c;

		rc = pv_challenge(p, PV_NONE, &c, err, sizeof err);
		if (rc == EMBER_RPC_TRANSPORT) {
			if (p->once)
				return pv_fail(1, "%s", err);
			if (!down)
				pv_log(p, "%s; retrying every block", err);
			down = 1;
			pv_sleep_ms(pv_poll_ms(p));
			continue;
		}
		if (rc)
			return 1;
		if (down)
			pv_log(p, "node at '%s:%u' answers again", p->rpc.host, p->rpc.port);
		down = 0;
		if (!c.registered) {
			pv_chal_release(&c);
			return pv_fail(1, "account '%s' is not a registered provider; register "
			               "it first ('ember-cli provider-register --from %s ...')",
			               p->addr, p->key_path);
		}
		if (!c.enabled) {
			pv_chal_release(&c);
			return pv_fail(1, "challenges are disabled on chain '%s' "
			               "(genesis params.challenges_enabled); nothing to prove",
			               p->chain_id);
		}
		if (!strcmp(c.status, "pending") && c.issued && c.epoch != answered) {
			rc = pv_answer(p, &c);
			answered = c.epoch;
			pv_chal_release(&c);
			if (p->once)
				return rc;
			continue;
		}
		if (!strcmp(c.status, "passed") && c.epoch != answered) {
			if (p->once) {
				fprintf(stderr, "ember-prover: epoch %" PRIu64 ": already passed in "
				        "block %" PRIu64 "\n", c.epoch, c.proof_height);
				pv_chal_release(&c);
				return 0;
			}
			if (noted != c.epoch)
				pv_log(p, "epoch %" PRIu64 ": already passed in block %" PRIu64,
				       c.epoch, c.proof_height);
			noted = c.epoch;
		} else if (!strcmp(c.status, "missing") || !strcmp(c.status, "failed")) {
			if (p->once) {
				pv_fail(1, "epoch %" PRIu64 ": challenge %s (its deadline was block "
				        "%" PRIu64 "; the chain is at %" PRIu64 ")", c.epoch,
				        c.status, c.deadline_height, c.height);
				pv_chal_release(&c);
				return 1;
			}
			if (noted != c.epoch && c.epoch != answered)
				pv_log(p, "epoch %" PRIu64 ": challenge %s; waiting for the next",
				       c.epoch, c.status);
			noted = c.epoch;
		} else if (!strcmp(c.status, "not_challenged")) {
			if (!c.active) {
				pv_fail(1, "account '%s' is not challenged: %s", p->addr,
				        c.reason ? c.reason : "not an active provider");
				pv_chal_release(&c);
				return 1;
			}
			/* Registered after this epoch's challenges went out: the
			 * next epoch's is the first. */
			if (waiting != c.epoch)
				pv_log(p, "epoch %" PRIu64 ": not challenged (%s); the first "
				       "challenge comes with block %" PRIu64, c.epoch,
				       c.reason ? c.reason : "?", c.end_height);
			waiting = c.epoch;
		}
		if (p->tty && !p->quiet)
			fprintf(stderr, "\r\033[Kepoch %" PRIu64 "  %s  height %" PRIu64
			        "  waiting", c.epoch, c.status, c.height);
		pv_chal_release(&c);
		pv_sleep_ms(pv_poll_ms(p));
	}
}

/* --- selftest ----------------------------------------------------------- */

/* Hex of the root inside body (41 bytes). */
static void pv_root_hex(const uint8_t *body, size_t len, char out[41])
{
	uint8_t root[EMBER_PROOF_NODE];

	if (ember_proof_root(body, len, root) != 0)
		snprintf(out, 41, "?");
	else
		ember_hex_encode(root, sizeof root, out);
}

struct pv_side {
	const char *label;
	enum ember_backend be;
	unsigned threads;
	uint8_t *body;
	size_t len;
	struct ember_prove_stats st;
};

static int pv_selftest_run(const struct pv *p, const struct ember_challenge *c,
                           struct pv_side *s)
{
	char line[256], root[41], why[256] = "";
	int rc;

	memset(&s->st, 0, sizeof s->st);
	rc = pv_prove(p, "selftest", s->be, s->threads, c, PV_SELFTEST_K, PV_SELFTEST_POW,
	              &s->body, &s->len, &s->st);
	if (rc)
		return pv_fail(1, "selftest: %s: cannot compute the proof: %s", s->label,
		               ember_strerror(rc));
	pv_stats_line(line, sizeof line, &s->st);
	pv_root_hex(s->body, s->len, root);
	printf("%-16s root %s  %zu bytes  %s\n", s->label, root, s->len, line);
	rc = ember_proof_verify(c, PV_SELFTEST_K, PV_SELFTEST_POW, s->body, s->len, why,
	                        sizeof why);
	if (rc)
		return pv_fail(1, "selftest: %s: its proof does not verify: %s", s->label,
		               why[0] ? why : ember_strerror(rc));
	return 0;
}

/*
 * The same fixed challenge on two provers: CPU and CUDA, or (without
 * CUDA, or with --backend cpu) the CPU on one thread and on several.
 * Exit 0 iff both proofs verify and are byte for byte the same.
 */
static int pv_selftest(struct pv *p, uint32_t n)
{
	struct ember_challenge c;
	struct pv_side a = { 0 }, b = { 0 };
	uint8_t hash[32], prov[32];
	char why[256] = "", la[64], lb[64];
	int cuda, rc = 1;

	ember_sha256("ember-prover selftest epoch hash", 32, hash);
	ember_sha256("ember-prover selftest provider..", 32, prov);
	ember_challenge_derive(&c, hash, prov, 1, n);
	cuda = ember_prover_cuda_available(why, sizeof why);
	a.be = EMBER_BACKEND_CPU;
	if (!strcmp(p->backend_arg, "cuda") && !cuda)
		return pv_fail(1, "selftest: cuda back end unavailable: %s",
		               why[0] ? why : "no device");
	if (cuda && strcmp(p->backend_arg, "cpu") != 0) {
		a.threads = p->threads;
		b.be = EMBER_BACKEND_CUDA;
		snprintf(la, sizeof la, "cpu (%u threads)",
		         a.threads ? a.threads : pv_online_cpus());
		snprintf(lb, sizeof lb, "cuda");
	} else {
		if (!cuda && strcmp(p->backend_arg, "cpu") != 0)
			printf("no cuda back end (%s): comparing the cpu back end on 1 "
			       "thread and on several instead\n", why[0] ? why : "no device");
		a.threads = 1;
		b.be = EMBER_BACKEND_CPU;
		b.threads = p->threads > 1 ? p->threads :
		            pv_online_cpus() > 1 ? pv_online_cpus() : 2;
		snprintf(la, sizeof la, "cpu (1 thread)");
		snprintf(lb, sizeof lb, "cpu (%u threads)", b.threads);
	}
	a.label = la;
	b.label = lb;
	printf("selftest: N=%u, %d openings, %d pow bits\n", n, PV_SELFTEST_K,
	       PV_SELFTEST_POW);
	if (pv_selftest_run(p, &c, &a) || pv_selftest_run(p, &c, &b))
		goto out;
	if (a.len != b.len || memcmp(a.body, b.body, a.len) != 0) {
		size_t i = 0;
		while (i < a.len && i < b.len && a.body[i] == b.body[i])
			i++;
		pv_fail(1, "selftest: %s and %s differ (%zu and %zu bytes, first "
		        "difference at byte %zu)", la, lb, a.len, b.len, i);
		goto out;
	}
	if (b.be == EMBER_BACKEND_CUDA && b.st.total_s > 0)
		printf("selftest: equal; cuda %.1fx the cpu\n", a.st.total_s / b.st.total_s);
	else
		printf("selftest: equal\n");
	rc = 0;
out:
	free(a.body);
	free(b.body);
	return rc;
}

/* --- command line ------------------------------------------------------- */

static void pv_usage(FILE *f)
{
	fputs("usage: ember-prover --key KEYSTORE [--rpc URL] [--backend cpu|cuda|auto]\n"
	      "                    [--threads N] [--once] [--passphrase-file F] [--quiet]\n"
	      "                    [--rpc-cookie FILE] [--rpc-ca FILE] [--insecure]\n"
	      "       ember-prover selftest [--n N] [--backend cpu|cuda|auto] [--threads N]\n"
	      "       ember-prover --version\n"
	      "\n"
	      "Answers the GPU challenges of the provider whose key is KEYSTORE: every\n"
	      "epoch it computes the proof and sends it to the node (default\n"
	      "" PV_DEFAULT_RPC ", or EMBER_RPC).  --once answers one challenge and\n"
	      "exits 0 if it passed.  The passphrase comes from --passphrase-file,\n"
	      "EMBER_PASSPHRASE or the terminal.  selftest proves a fixed challenge on\n"
	      "the cpu and the cuda back end (or the cpu twice) and compares them.\n"
	      "\n"
	      "The prover needs no admin rights; --rpc-cookie FILE (the node's\n"
	      "DIR/.cookie) sends its credentials as HTTP Basic auth all the same, for\n"
	      "a node behind a proxy that asks for them (EMBER_RPC_TOKEN: a bearer\n"
	      "token).  Over https the node's certificate is checked against the system\n"
	      "CAs, or --rpc-ca FILE (EMBER_RPC_CA) for a self-signed node; --insecure\n"
	      "skips the check.\n", f);
}

int main(int argc, char **argv)
{
	enum { O_RPC = 1, O_KEY, O_BACKEND, O_THREADS, O_ONCE, O_PASSFILE, O_QUIET,
	       O_N, O_HELP, O_VERSION, O_COOKIE, O_CA, O_INSECURE };
	static const struct option opts[] = {
		{ "rpc", required_argument, NULL, O_RPC },
		{ "key", required_argument, NULL, O_KEY },
		{ "backend", required_argument, NULL, O_BACKEND },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "once", no_argument, NULL, O_ONCE },
		{ "passphrase-file", required_argument, NULL, O_PASSFILE },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "n", required_argument, NULL, O_N },
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION },
		{ "rpc-cookie", required_argument, NULL, O_COOKIE },
		{ "rpc-ca", required_argument, NULL, O_CA },
		{ "insecure", no_argument, NULL, O_INSECURE },
		{ NULL, 0, NULL, 0 }
	};
	struct pv p;
	const char *n_arg = NULL, *tok, *cookie = NULL, *ca = NULL;
	int selftest = 0, insecure = 0, ch, rc;
	uint64_t v;

	memset(&p, 0, sizeof p);
	p.rpc_url = getenv("EMBER_RPC");
	if (!p.rpc_url || !*p.rpc_url)
		p.rpc_url = PV_DEFAULT_RPC;
	p.backend_arg = "auto";
	p.tty = isatty(STDERR_FILENO);
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		return pv_fail(1, "cannot initialise libsodium");
	if (argc > 1 && !strcmp(argv[1], "selftest")) {
		selftest = 1;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case O_RPC: p.rpc_url = optarg; break;
		case O_KEY: p.key_path = optarg; break;
		case O_BACKEND: p.backend_arg = optarg; break;
		case O_THREADS:
			if (pv_parse_u64(optarg, &v) || v < 1 || v > 4096)
				return pv_fail(2, "invalid threads '%s': expected 1 to 4096", optarg);
			p.threads = (unsigned)v;
			break;
		case O_ONCE: p.once = 1; break;
		case O_PASSFILE: p.passfile = optarg; break;
		case O_QUIET: p.quiet = 1; break;
		case O_N: n_arg = optarg; break;
		case O_COOKIE: cookie = optarg; break;
		case O_CA: ca = optarg; break;
		case O_INSECURE: insecure = 1; break;
		case O_VERSION:
			printf("ember-prover %s\n", EMBER_VERSION);
			return 0;
		case 'h':
		case O_HELP:
			pv_usage(stdout);
			return 0;
		case ':':
			pv_fail(2, "option '%s' needs a value", argv[optind - 1]);
			pv_usage(stderr);
			return 2;
		default:
			pv_fail(2, "unknown option '%s'", argv[optind - 1]);
			pv_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		pv_fail(2, "unexpected argument '%s'", argv[optind]);
		pv_usage(stderr);
		return 2;
	}
	if (strcmp(p.backend_arg, "cpu") && strcmp(p.backend_arg, "cuda") &&
	    strcmp(p.backend_arg, "auto"))
		return pv_fail(2, "invalid backend '%s': expected cpu, cuda or auto",
		               p.backend_arg);

	if (selftest) {
		uint64_t n = PV_SELFTEST_N;
		if (p.key_path || p.once || p.passfile || cookie || ca || insecure)
			return pv_fail(2, "selftest takes --n, --backend and --threads only");
		if (n_arg && (pv_parse_u64(n_arg, &n) || n < EMBER_PROOF_N_MIN ||
		              n > EMBER_PROOF_N_MAX || (n & (n - 1)) != 0))
			return pv_fail(2, "invalid n '%s': expected a power of two from %d "
			               "to %d", n_arg, EMBER_PROOF_N_MIN, EMBER_PROOF_N_MAX);
		p.tty = p.tty && !p.quiet;
		return pv_selftest(&p, (uint32_t)n);
	}
	if (n_arg)
		return pv_fail(2, "--n is a selftest option");
	if (!p.key_path) {
		pv_fail(2, "a prover needs --key KEYSTORE (the provider's key file)");
		pv_usage(stderr);
		return 2;
	}
	if (ember_rpc_client_init(&p.rpc, p.rpc_url) != 0)
		return pv_fail(2, "invalid rpc url '%s': expected http://HOST:PORT/ or "
		               "https://HOST:PORT/", p.rpc_url);
	if (ca && insecure)
		return pv_fail(2, "--rpc-ca and --insecure contradict each other");
	p.rpc.ca_file = ca;
	p.rpc.insecure = insecure;
	tok = getenv("EMBER_RPC_TOKEN");
	p.rpc.token = tok && *tok ? tok : NULL;
	if (cookie) {
		if ((rc = ember_rpc_cookie_read(cookie, p.userpass, sizeof p.userpass))) {
			sodium_memzero(p.userpass, sizeof p.userpass);
			return pv_fail(1, "cannot read the rpc cookie '%s': %s", cookie,
			               rc == EMBER_EIO ? pv_errno_str(errno)
			                               : "expected one line USER:PASS");
		}
		p.rpc.userpass = p.userpass;
	}
	if ((rc = pv_load_key(&p))) {
		pv_drop_key(&p);
		return rc;
	}
	if ((rc = pv_pick_backend(&p))) {
		pv_drop_key(&p);
		return rc;
	}
	pv_log(&p, "provider %s, node %s", p.addr, p.rpc_url);
	rc = pv_run(&p);
	pv_drop_key(&p);
	return rc;
}
