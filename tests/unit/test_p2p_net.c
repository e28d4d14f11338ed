/*
 * test_p2p_net.c - a hostile peer against a real emberd.
 *
 * The group starts `emberd --dev` (a validator at 100 ms blocks) from
 * $BIN (tests/run.sh exports it; default "bin") in a fresh directory and
 * reads its ports and node id from its log and its chain from
 * DIR/genesis.json.  Each case then opens a fresh TCP connection and
 * speaks the real protocol (p2psec.h handshake and frames, p2pwire.h
 * messages) with a node key of its own, misbehaves in one way, and checks
 * what the node did: closed the connection, said why in its log, and is
 * still alive and answering RPC.
 *
 *   garbage before the handshake; a STATUS of another chain id, and of
 *   another genesis; a node id other than the one dialled (the client's
 *   own check); a frame header over P2P_FRAME_MAX; a malformed BLOCK, and
 *   BLOCKs at tip + 1 with a garbage and with a forged certificate, each
 *   followed by a refused reconnect with the same key and an accepted one
 *   with another; 2,000 duplicate TXS of one valid tx (admitted once, the
 *   flooder dropped); a peer announcing
 *   a height a million blocks ahead that never serves it, against a full
 *   node that must still catch up with the validator.
 *
 * Every wait polls a condition with a bound (WAIT_MS); nothing sleeps and
 * hopes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "ember/addr.h"
#include "ember/block.h"
#include "ember/codec.h"
#include "ember/cons.h"
#include "ember/genesis.h"
#include "ember/key.h"
#include "ember/keystore.h"
#include "ember/p2p.h"
#include "ember/p2psec.h"
#include "ember/p2pwire.h"
#include "ember/rpcclient.h"
#include "ember/tx.h"

#include "testutil.h"

#define WAIT_MS 20000          /* the bound on every wait */
#define STALL_WAIT_MS 30000    /* P2P_STALL_MS and a catch-up after it */
#define FLOOD 2000

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- an emberd process ------------------------------------------------ */

struct tnode {
	pid_t pid;
	char dir[64];             /* mkdtemp: data in DIR/data, log in DIR/node.log */
	char data[96];
	char logpath[96];
	uint16_t p2p_port, rpc_port;
	uint8_t id[32];
};

/* Print the log's last lines (to see why a check failed). */
static void log_tail(const struct tnode *n)
{
	char line[1024], ring[24][1024];
	size_t k = 0;
	FILE *f = fopen(n->logpath, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		snprintf(ring[k++ % 24], sizeof(ring[0]), "%s", line);
	fclose(f);
	fprintf(stderr, "--- %s (last lines)\n", n->logpath);
	for (size_t i = k > 24 ? k - 24 : 0; i < k; i++)
		fputs(ring[i % 24], stderr);
}

/* 1 when a line of the log holds a and (when not NULL) b. */
static int log_has(const struct tnode *n, const char *a, const char *b)
{
	char line[1024];
	int hit = 0;
	FILE *f = fopen(n->logpath, "r");

	if (!f)
		return 0;
	while (!hit && fgets(line, sizeof(line), f))
		hit = strstr(line, a) && (!b || strstr(line, b));
	fclose(f);
	return hit;
}

/* Wait for such a line; fail the test with the log's tail if none comes. */
static void log_expect(const struct tnode *n, const char *a, const char *b)
{
	uint64_t end = now_ms() + WAIT_MS;

	while (!log_has(n, a, b)) {
		if (now_ms() > end) {
			log_tail(n);
			fail_msg("no line with '%s'%s%s%s in %s", a, b ? " and '" : "",
			         b ? b : "", b ? "'" : "", n->logpath);
		}
		poll(NULL, 0, 20);
	}
}

static int tnode_running(const struct tnode *n)
{
	int st;
	return n->pid > 0 && waitpid(n->pid, &st, WNOHANG) == 0;
}

static int rpc_client(const struct tnode *n, struct ember_rpc_client *c)
{
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)n->rpc_port);
	if (ember_rpc_client_init(c, url) != 0)
		return -1;
	c->timeout_s = 5;
	return 0;
}

/* One call; NULL (and the reason on stderr) when it fails. */
static json_t *rpc(const struct tnode *n, const char *method, json_t *params)
{
	struct ember_rpc_client c;
	json_t *res = NULL;
	char err[256];

	if (rpc_client(n, &c) != 0) {
		json_decref(params);
		return NULL;
	}
	if (ember_rpc_call(&c, method, params, &res, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "rpc %s on port %u: %s\n", method, (unsigned)n->rpc_port, err);
		return NULL;
	}
	return res;
}

static uint64_t json_u64(const json_t *v)
{
	if (json_is_string(v))
		return strtoull(json_string_value(v), NULL, 10);
	return (uint64_t)json_integer_value(v);
}

/* The tip height over RPC, or -1 when the node does not answer. */
static int64_t rpc_height(const struct tnode *n)
{
	json_t *st = rpc(n, "getstatus", NULL);
	int64_t h = -1;

	if (st && json_is_integer(json_object_get(st, "height")))
		h = (int64_t)json_integer_value(json_object_get(st, "height"));
	json_decref(st);
	return h;
}

/* After every case: the process runs and answers getstatus. */
static void assert_node_ok(const struct tnode *n)
{
	if (!tnode_running(n)) {
		log_tail(n);
		fail_msg("emberd (pid %d) is gone", (int)n->pid);
	}
	if (rpc_height(n) < 0) {
		log_tail(n);
		fail_msg("emberd (pid %d) does not answer getstatus", (int)n->pid);
	}
}

/* Read "node id HEX..., p2p on port N" and "JSON-RPC on ... (port N)". */
static int tnode_read_log(struct tnode *n)
{
	char line[1024], hex[65];
	unsigned port;
	const char *s;
	size_t w;
	int have = 0;
	FILE *f = fopen(n->logpath, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if ((s = strstr(line, "node id ")) && sscanf(s, "node id %64[0-9a-f]", hex) == 1 &&
		    ember_hex_decode(hex, 64, n->id, 32, &w) == 0 && w == 32 &&
		    (s = strstr(s, "p2p on port ")) && sscanf(s, "p2p on port %u", &port) == 1 &&
		    port && port < 65536) {
			n->p2p_port = (uint16_t)port;
			have |= 1;
		}
		if (strstr(line, "JSON-RPC on ") && (s = strstr(line, "(port ")) &&
		    sscanf(s, "(port %u)", &port) == 1 && port && port < 65536) {
			n->rpc_port = (uint16_t)port;
			have |= 2;
		}
	}
	fclose(f);
	return have == 3;
}

/*
 * Start emberd with its data in a fresh directory, both listeners on port
 * 0 of 127.0.0.1 (the ports are read back from the log, so no free port
 * has to be guessed), and args after them; wait until it answers RPC.
 */
static void tnode_start(struct tnode *n, const char *const *args, size_t nargs)
{
	const char *bin = getenv("BIN");
	char exe[512];
	const char *argv[32];
	size_t k = 0;
	uint64_t end;
	pid_t parent;

	memset(n, 0, sizeof(*n));
	assert_int_equal(test_tmpdir(n->dir, sizeof(n->dir), "p2pnet"), 0);
	snprintf(n->data, sizeof(n->data), "%s/data", n->dir);
	snprintf(n->logpath, sizeof(n->logpath), "%s/node.log", n->dir);
	snprintf(exe, sizeof(exe), "%s/emberd", bin && *bin ? bin : "bin");
	assert_true(access(exe, X_OK) == 0);
	argv[k++] = exe;
	argv[k++] = "--datadir";
	argv[k++] = n->data;
	argv[k++] = "--rpc-listen";
	argv[k++] = "127.0.0.1:0";
	argv[k++] = "--p2p-listen";
	argv[k++] = "127.0.0.1:0";
	assert_true(nargs + k < sizeof(argv) / sizeof(argv[0]));
	for (size_t i = 0; i < nargs; i++)
		argv[k++] = args[i];
	argv[k] = NULL;

	parent = getpid();
	n->pid = fork();
	assert_true(n->pid >= 0);
	if (n->pid == 0) {
		/* Dies with the test, even one that crashes before teardown. */
		int fd = open(n->logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent ||
		    fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		close(fd);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	end = now_ms() + WAIT_MS;
	while (!tnode_read_log(n) || rpc_height(n) < 0) {
		if (!tnode_running(n) || now_ms() > end) {
			log_tail(n);
			fail_msg("emberd in %s did not start", n->dir);
		}
		poll(NULL, 0, 50);
	}
}

static void tnode_stop(struct tnode *n)
{
	char cmd[128];

	if (n->pid > 0) {
		kill(n->pid, SIGKILL);
		waitpid(n->pid, NULL, 0);
		n->pid = 0;
	}
	if (n->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", n->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", n->dir);
		n->dir[0] = 0;
	}
}

/* ---- sockets ------------------------------------------------------------ */

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* "(127.0.0.1:PORT)": how the node's log names this end of fd. */
static void local_addr(int fd, char *out, size_t cap)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(out, cap, "(127.0.0.1:%u)", (unsigned)ntohs(sa.sin_port));
}

static int send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Returns: 0 (len bytes read), 1 (the peer closed or reset), -1 (nothing
 * by the deadline). */
static int recv_exact(int fd, void *buf, size_t len, uint64_t deadline)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pf = { fd, POLLIN, 0 };
		uint64_t now = now_ms();
		ssize_t r;

		if (now >= deadline)
			return -1;
		if (poll(&pf, 1, (int)(deadline - now)) <= 0)
			continue;
		r = recv(fd, p, len, 0);
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
			return 1;
		if (r > 0) {
			p += r;
			len -= (size_t)r;
		}
	}
	return 0;
}

/* 1 when the peer closes fd within ms (whatever it still sends is read
 * and dropped), 0 when it keeps it open. */
static int wait_closed(int fd, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	uint8_t junk[4096];

	for (;;) {
		int rc = recv_exact(fd, junk, 1, end);
		if (rc)
			return rc == 1;
	}
}

/* ---- a peer speaking the protocol -------------------------------------- */

struct conn {
	int fd;
	struct p2p_sec *sec;
	char addr[32];            /* "(127.0.0.1:PORT)" as in the node's log */
	uint8_t *msg;             /* the last message received */
	size_t msglen, msgcap;
	int have_status;          /* the node's latest STATUS: */
	struct p2p_status st;
};

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	p2p_sec_free(c->sec);
	free(c->msg);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/*
 * Connect and run the handshake as initiator with key, pinning expect_id
 * when not NULL.  Returns: 0 (open), what p2p_sec said, or -1 (the node
 * closed, or said nothing within the bound).
 */
static int conn_open(struct conn *c, uint16_t port, const struct ember_keypair *key,
                     const uint8_t *expect_id)
{
	uint8_t h0[P2P_HELLO0_LEN], peer_h0[P2P_HELLO0_LEN];
	uint8_t auth[P2P_AUTH_FRAME_LEN], peer_auth[P2P_AUTH_FRAME_LEN];
	uint64_t end = now_ms() + WAIT_MS;
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	assert_int_equal(p2p_sec_new(&c->sec, 1, key, expect_id), 0);
	c->fd = tcp_connect(port);
	assert_true(c->fd >= 0);
	local_addr(c->fd, c->addr, sizeof(c->addr));
	p2p_sec_hello0(c->sec, h0);
	if (send_all(c->fd, h0, sizeof(h0)) || recv_exact(c->fd, peer_h0, sizeof(peer_h0), end))
		return -1;
	if ((rc = p2p_sec_on_hello0(c->sec, peer_h0, auth)))
		return rc;
	if (send_all(c->fd, auth, sizeof(auth)) ||
	    recv_exact(c->fd, peer_auth, sizeof(peer_auth), end))
		return -1;
	return p2p_sec_on_auth(c->sec, peer_auth);
}

static int conn_send(struct conn *c, const uint8_t *msg, size_t len)
{
	size_t cap = 4 + len + P2P_TAG_LEN, n;
	uint8_t *frame = malloc(cap);
	int rc;

	assert_non_null(frame);
	assert_int_equal(p2p_sec_seal(c->sec, msg, len, frame, cap, &n), 0);
	rc = send_all(c->fd, frame, n);
	free(frame);
	return rc;
}

/*
 * The next message into c->msg (a STATUS also into c->st).
 * Returns: 0, 1 (closed), -1 (none within ms).
 */
static int conn_recv(struct conn *c, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	uint8_t hdr[4];
	size_t body;
	int rc;

	if ((rc = recv_exact(c->fd, hdr, 4, end)))
		return rc;
	body = p2p_sec_frame_len(hdr);
	assert_true(body >= P2P_TAG_LEN);
	if (4 + body > c->msgcap) {
		assert_non_null(c->msg = realloc(c->msg, 4 + body));
		c->msgcap = 4 + body;
	}
	memcpy(c->msg, hdr, 4);
	/* a frame that has begun arrives whole; the bound is generous */
	if (recv_exact(c->fd, c->msg + 4, body, now_ms() + WAIT_MS))
		return 1;
	assert_int_equal(p2p_sec_unseal(c->sec, c->msg, 4 + body, c->msg + 4, body,
	                                &c->msglen), 0);
	memmove(c->msg, c->msg + 4, c->msglen);
	assert_true(c->msglen > 0);
	if (c->msg[0] == P2P_MSG_STATUS) {
		assert_int_equal(p2p_status_decode(&c->st, c->msg, c->msglen), 0);
		c->have_status = 1;
	}
	return 0;
}

/* Read until a message of type comes.  Returns: 0, 1 (closed), -1. */
static int conn_wait_type(struct conn *c, uint8_t type, unsigned ms)
{
	uint64_t end = now_ms() + ms;

	for (;;) {
		uint64_t now = now_ms();
		int rc;
		if (now >= end)
			return -1;
		if ((rc = conn_recv(c, (unsigned)(end - now))))
			return rc;
		if (c->msg[0] == type)
			return 0;
	}
}

struct fx {
	struct tnode v;           /* the validator */
	struct ember_genesis g;
	char gpath[128];
	struct tnode f;           /* the full node of the stall case */
	struct conn hostile;      /* kept open across that case */
	struct relay *relay;
};

static struct fx fx;

static void status_of(struct p2p_status *st, const char *chain_id,
                      const uint8_t genesis_hash[32], uint64_t height)
{
	memset(st, 0, sizeof(*st));
	st->version = P2P_VERSION;
	snprintf(st->chain_id, sizeof(st->chain_id), "%s", chain_id);
	memcpy(st->genesis_hash, genesis_hash, 32);
	st->height = height;
}

static int send_status(struct conn *c, const struct p2p_status *st)
{
	uint8_t buf[256];
	size_t n;

	assert_int_equal(p2p_status_encode(st, buf, sizeof(buf), &n), 0);
	return conn_send(c, buf, n);
}

/* A peer through the handshake and STATUS both ways (ours at height 0,
 * so the node never asks us for blocks). */
static void conn_ready(struct conn *c, uint16_t port, const struct ember_keypair *key)
{
	struct p2p_status st;

	assert_int_equal(conn_open(c, port, key, NULL), 0);
	assert_int_equal(conn_wait_type(c, P2P_MSG_STATUS, WAIT_MS), 0);
	status_of(&st, fx.g.chain_id, fx.g.hash, 0);
	assert_int_equal(send_status(c, &st), 0);
}

/* PING, and its PONG back: the node read everything sent before it and
 * still talks to us.  Returns 0, or 1 when the node closed. */
static int conn_ping(struct conn *c, uint64_t nonce)
{
	struct p2p_ping pg = { nonce }, back;
	uint8_t buf[16];
	size_t n;
	uint64_t end = now_ms() + WAIT_MS;

	assert_int_equal(p2p_ping_encode(P2P_MSG_PING, &pg, buf, sizeof(buf), &n), 0);
	if (conn_send(c, buf, n))
		return 1;
	for (;;) {
		uint64_t now = now_ms();
		int rc = conn_wait_type(c, P2P_MSG_PONG, (unsigned)(end > now ? end - now : 0));
		if (rc == 1)
			return 1;
		assert_int_equal(rc, 0);
		assert_int_equal(p2p_ping_decode(&back, c->msg, c->msglen), 0);
		if (back.nonce == nonce)
			return 0;
	}
}

static void fresh_key(struct ember_keypair *kp)
{
	assert_int_equal(ember_keypair_generate(kp), 0);
}

/* "p2p: dropping peer 0123abcd01234567 (" : how the log names a peer by
 * the first 16 hex digits of its id. */
static void short_id(const struct ember_keypair *kp, char out[17])
{
	char hex[65];
	ember_hex_encode(kp->pub, 32, hex);
	memcpy(out, hex, 16);
	out[16] = 0;
}

/* ---- group set-up ------------------------------------------------------- */

static int group_setup(void **state)
{
	static const char *const args[] = { "--dev", "--block-time-ms", "100" };
	char err[256];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		return -1;
	fx.hostile.fd = -1;
	tnode_start(&fx.v, args, sizeof(args) / sizeof(args[0]));
	snprintf(fx.gpath, sizeof(fx.gpath), "%s/genesis.json", fx.v.data);
	if (ember_genesis_load(&fx.g, fx.gpath, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", fx.gpath, err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tnode_stop(&fx.v);
	ember_genesis_release(&fx.g);
	return 0;
}

/* ---- before the handshake ------------------------------------------------ */

/* Random bytes where HELLO0 belongs: the node closes and says why. */
static void test_garbage_before_handshake(void **state)
{
	uint8_t junk[64];
	char addr[32];
	int fd = tcp_connect(fx.v.p2p_port);

	(void)state;
	assert_true(fd >= 0);
	local_addr(fd, addr, sizeof(addr));
	randombytes_buf(junk, sizeof(junk));
	junk[0] = 'X';                       /* never the magic "EMB1" */
	assert_int_equal(send_all(fd, junk, sizeof(junk)), 0);
	assert_true(wait_closed(fd, WAIT_MS));
	close(fd);
	log_expect(&fx.v, addr, "handshake failed: not an ember node");
	assert_node_ok(&fx.v);
}

/* Pinning an id is the dialler's check: another id fails on our side
 * with EMBER_P2P_PEER_ID; the node's own id opens. */
static void test_dialled_id_mismatch(void **state)
{
	struct ember_keypair kp;
	struct conn c;
	uint8_t wrong[32];

	(void)state;
	fresh_key(&kp);
	memcpy(wrong, fx.v.id, 32);
	wrong[31] ^= 1;
	assert_int_equal(conn_open(&c, fx.v.p2p_port, &kp, wrong), EMBER_P2P_PEER_ID);
	assert_false(p2p_sec_open(c.sec));
	conn_close(&c);

	assert_int_equal(conn_open(&c, fx.v.p2p_port, &kp, fx.v.id), 0);
	assert_int_equal(conn_wait_type(&c, P2P_MSG_STATUS, WAIT_MS), 0);
	conn_close(&c);
	assert_node_ok(&fx.v);
}

/* ---- STATUS of another network ------------------------------------------ */

static void status_refused(const struct p2p_status *st, const char *why1,
                           const char *why2)
{
	struct ember_keypair kp;
	struct conn c;

	fresh_key(&kp);
	assert_int_equal(conn_open(&c, fx.v.p2p_port, &kp, NULL), 0);
	assert_int_equal(conn_wait_type(&c, P2P_MSG_STATUS, WAIT_MS), 0);
	assert_int_equal(send_status(&c, st), 0);
	assert_true(wait_closed(c.fd, WAIT_MS));
	log_expect(&fx.v, c.addr, why1);
	log_expect(&fx.v, c.addr, why2);
	conn_close(&c);
	assert_node_ok(&fx.v);
}

static void test_status_wrong_chain(void **state)
{
	struct p2p_status st;

	(void)state;
	status_of(&st, "ember-hostile", fx.g.hash, 0);
	status_refused(&st, "it runs chain 'ember-hostile'", "this node runs");
}

static void test_status_wrong_genesis(void **state)
{
	struct p2p_status st;
	uint8_t gh[32];
	char hex[65], want[64], chain[64];

	(void)state;
	memcpy(gh, fx.g.hash, 32);
	gh[0] ^= 0xff;
	status_of(&st, fx.g.chain_id, gh, 0);
	ember_hex_encode(gh, 32, hex);
	snprintf(want, sizeof(want), "(genesis %.16s...)", hex);
	snprintf(chain, sizeof(chain), "it runs chain '%s'", fx.g.chain_id);
	status_refused(&st, chain, want);
}

/* ---- frames --------------------------------------------------------------- */

/* A frame header over the limit: closed before a byte of its body. */
static void test_oversize_frame(void **state)
{
	struct ember_keypair kp;
	struct conn c;
	uint8_t hdr[4];
	char why[96];
	uint32_t n = (uint32_t)P2P_FRAME_MAX + 1;

	(void)state;
	fresh_key(&kp);
	conn_ready(&c, fx.v.p2p_port, &kp);
	hdr[0] = (uint8_t)n;
	hdr[1] = (uint8_t)(n >> 8);
	hdr[2] = (uint8_t)(n >> 16);
	hdr[3] = (uint8_t)(n >> 24);
	assert_int_equal(send_all(c.fd, hdr, sizeof(hdr)), 0);
	assert_true(wait_closed(c.fd, WAIT_MS));
	snprintf(why, sizeof(why), "frame of %" PRIu32 " bytes is outside the limits", n);
	log_expect(&fx.v, c.addr, why);
	conn_close(&c);
	assert_node_ok(&fx.v);
}

/* ---- bad blocks and discouragement ---------------------------------------- */

/*
 * After the node dropped key's connection for misbehaving: the same key is
 * refused at once (no STATUS, "discouraged" in the log), another key still
 * gets through to a working connection.
 */
static void expect_discouraged(const struct ember_keypair *bad)
{
	struct ember_keypair other;
	struct conn c;
	char sid[17], line[64];
	int rc;

	rc = conn_open(&c, fx.v.p2p_port, bad, NULL);
	assert_true(rc == 0 || rc == -1);
	if (rc == 0) {
		rc = conn_wait_type(&c, P2P_MSG_STATUS, WAIT_MS);
		assert_int_equal(rc, 1);     /* closed, never a STATUS */
	}
	snprintf(line, sizeof(line), "%s: discouraged", c.addr);
	log_expect(&fx.v, "closing peer", line);
	conn_close(&c);

	fresh_key(&other);
	conn_ready(&c, fx.v.p2p_port, &other);
	assert_int_equal(conn_ping(&c, 7), 0);
	short_id(&other, sid);
	snprintf(line, sizeof(line), "connected inbound peer %s", sid);
	log_expect(&fx.v, line, c.addr);
	conn_close(&c);
}

/* The drop line of key's connection c, with why in it. */
static void expect_dropped(const struct conn *c, const struct ember_keypair *kp,
                           const char *why)
{
	char sid[17], line[96];

	short_id(kp, sid);
	snprintf(line, sizeof(line), "dropping peer %s %s", sid, c->addr);
	log_expect(&fx.v, line, why);
	log_expect(&fx.v, line, "discouraged for 10 minutes");
}

static void test_malformed_block(void **state)
{
	struct ember_keypair kp;
	struct conn c;
	uint8_t m[64];
	size_t n = 0;

	(void)state;
	fresh_key(&kp);
	conn_ready(&c, fx.v.p2p_port, &kp);
	/* BLOCK: le64 height || varint 40 || only 10 of those bytes (and no
	 * certificate): within the type's length limits, not decodable */
	m[n++] = P2P_MSG_BLOCK;
	ember_le64_put(m + n, c.st.height + 1);
	n += 8;
	m[n++] = 40;
	memset(m + n, 0xab, 10);
	n += 10;
	assert_true(n >= p2p_msg_min_len(P2P_MSG_BLOCK));
	assert_int_equal(conn_send(&c, m, n), 0);
	assert_true(wait_closed(c.fd, WAIT_MS));
	expect_dropped(&c, &kp, "malformed block message");
	conn_close(&c);
	assert_node_ok(&fx.v);
	expect_discouraged(&kp);
	assert_node_ok(&fx.v);
}

enum bad_cert { CERT_GARBAGE, CERT_FORGED };

/*
 * A block at height h over prev whose header is what the node expects
 * (height, prev hash, the proposer whose turn it is) and whose
 * certificate is not valid: 40 random bytes, or a well-formed certificate
 * whose one precommit, in the validator's name, is signed by kp.
 * Returns the BLOCK message (malloc'd) and its length in *len.
 */
static uint8_t *bad_block_msg(uint64_t h, const uint8_t prev[32], enum bad_cert kind,
                              const struct ember_keypair *kp, size_t *len)
{
	struct ember_header hd;
	struct ember_cert *cert = calloc(1, sizeof(*cert));
	uint8_t blk[EMBER_HEADER_SIZE + 8], cbuf[256], hash[32], vh[32], *m;
	size_t blen, clen;
	struct p2p_block b;
	const uint8_t *proposer = cons_proposer(&fx.g, h, 0);

	assert_non_null(cert);
	assert_non_null(proposer);
	memset(&hd, 0, sizeof(hd));
	hd.version = EMBER_BLOCK_VERSION;
	hd.height = h;
	hd.time_ms = (uint64_t)time(NULL) * 1000;
	memcpy(hd.prev_hash, prev, 32);
	memcpy(hd.proposer, proposer, 32);
	/* No last commit (the certificate is refused before it is looked at):
	 * last_commit_hash stays all zero, the hash of none. */
	assert_int_equal(ember_block_encode(&hd, NULL, 0, NULL, 0, blk, sizeof(blk), &blen), 0);
	if (kind == CERT_GARBAGE) {
		randombytes_buf(cbuf, 40);
		clen = 40;
	} else {
		ember_header_hash(&hd, hash);
		ember_vote_hash(fx.g.chain_id, EMBER_VOTE_PRECOMMIT, h, 0, hash,
		                hd.time_ms + 1, vh);
		cert->round = 0;
		cert->nsig = 1;
		memcpy(cert->sigs[0].validator, fx.g.vals[0].pub, 32);
		cert->sigs[0].time_ms = hd.time_ms + 1;
		assert_int_equal(ember_schnorr_sign(kp, vh, 32, NULL, cert->sigs[0].sig), 0);
		assert_int_equal(ember_cert_encode(cert, cbuf, sizeof(cbuf), &clen), 0);
	}
	free(cert);
	memset(&b, 0, sizeof(b));
	b.height = h;
	b.blk = blk;
	b.blklen = blen;
	b.cert = cbuf;
	b.certlen = clen;
	assert_non_null(m = malloc(p2p_block_encoded_size(&b)));
	assert_int_equal(p2p_block_encode(&b, m, p2p_block_encoded_size(&b), len), 0);
	return m;
}

/*
 * The node makes a block every 100 ms, so tip + 1 may be taken by its own
 * block before ours arrives (then ours is merely late and ignored): send
 * one for every tip its STATUS announces until the node drops us.
 */
static void bad_block_case(enum bad_cert kind, const char *why)
{
	struct ember_keypair kp;
	struct conn c;
	uint64_t end, sent_for = UINT64_MAX;

	fresh_key(&kp);
	conn_ready(&c, fx.v.p2p_port, &kp);
	end = now_ms() + WAIT_MS;
	for (;;) {
		int rc;
		if (c.st.height != sent_for) {
			size_t len;
			uint8_t *m = bad_block_msg(c.st.height + 1, c.st.tip_hash, kind, &kp, &len);
			rc = conn_send(&c, m, len);
			free(m);
			if (rc)
				break;       /* closed under us */
			sent_for = c.st.height;
		}
		if (now_ms() > end) {
			log_tail(&fx.v);
			fail_msg("the node kept a peer that sent a block with a bad certificate");
		}
		if (conn_recv(&c, 200) == 1)
			break;
	}
	expect_dropped(&c, &kp, why);
	conn_close(&c);
	assert_node_ok(&fx.v);
	expect_discouraged(&kp);
	assert_node_ok(&fx.v);
}

static void test_block_garbage_cert(void **state)
{
	(void)state;
	bad_block_case(CERT_GARBAGE, "bad commit certificate encoding");
}

static void test_block_forged_cert(void **state)
{
	(void)state;
	bad_block_case(CERT_FORGED, "lacks +2/3 valid precommits");
}

/* ---- a flood of one tx ---------------------------------------------------- */

static json_t *account(const char *addr)
{
	return rpc(&fx.v, "getaccount", json_pack("[s]", addr));
}

static void test_duplicate_txs_flood(void **state)
{
	struct ember_keypair kp, from;
	struct conn c;
	struct ember_tx tx;
	struct p2p_txs *t = calloc(1, sizeof(*t));
	char path[160], from_addr[EMBER_ADDR_BUFLEN], to_addr[EMBER_ADDR_BUFLEN];
	char txhex[65], sid[17], line[64];
	uint8_t to[32], enc[EMBER_TX_MAX_SIZE], txid[32], msg[EMBER_TX_MAX_SIZE + 16];
	uint8_t *flood, *p;
	size_t elen, mlen, flen;
	uint64_t nonce0, bal0, amount = 12345, end, h_commit = 0;
	json_t *a, *r;

	(void)state;
	assert_non_null(t);
	snprintf(path, sizeof(path), "%s/dev-keys/dev0.json", fx.v.data);
	assert_int_equal(ember_keystore_load(path, "", 0, &from), 0);
	snprintf(path, sizeof(path), "%s/dev-keys/dev1.json", fx.v.data);
	assert_int_equal(ember_keystore_address(path, to_addr), 0);
	assert_int_equal(ember_addr_decode(to_addr, to), 0);
	ember_addr_encode(from.pub, from_addr);

	assert_non_null(a = account(from_addr));
	nonce0 = json_u64(json_object_get(a, "next_nonce"));
	json_decref(a);
	assert_non_null(a = account(to_addr));
	bal0 = json_u64(json_object_get(a, "balance"));
	json_decref(a);

	assert_int_equal(ember_tx_init_transfer(&tx, fx.g.chain_id, from.pub, nonce0,
	                                        fx.g.min_fee, to, amount), 0);
	assert_int_equal(ember_tx_sign(&tx, &from), 0);
	ember_keypair_clear(&from);
	assert_int_equal(ember_tx_encode(&tx, enc, sizeof(enc), &elen), 0);
	ember_txid(enc, elen, txid);
	ember_hex_encode(txid, 32, txhex);
	t->n = 1;
	t->tx[0] = enc;
	t->len[0] = elen;
	assert_int_equal(p2p_txs_encode(t, msg, sizeof(msg), &mlen), 0);
	free(t);

	fresh_key(&kp);
	conn_ready(&c, fx.v.p2p_port, &kp);
	flen = 4 + mlen + P2P_TAG_LEN;
	assert_non_null(flood = malloc(FLOOD * flen));
	for (p = flood; p < flood + FLOOD * flen; p += flen) {
		size_t n;
		assert_int_equal(p2p_sec_seal(c.sec, msg, mlen, p, flen, &n), 0);
		assert_int_equal(n, flen);
	}
	/* The node may hang up before all are sent: that is the point. */
	(void)send_all(c.fd, flood, FLOOD * flen);
	free(flood);
	/* The first copy is admitted; a peer that keeps resending a tx it
	 * already sent is dropped and discouraged, and the node stays up. */
	assert_true(wait_closed(c.fd, WAIT_MS));
	short_id(&kp, sid);
	log_expect(&fx.v, sid, "repeats txs it already sent");
	conn_close(&c);
	assert_node_ok(&fx.v);

	end = now_ms() + WAIT_MS;
	while (!h_commit) {
		r = rpc(&fx.v, "gettx", json_pack("[s]", txhex));
		if (r && json_is_string(json_object_get(r, "status")) &&
		    strcmp(json_string_value(json_object_get(r, "status")), "committed") == 0)
			h_commit = json_u64(json_object_get(r, "height"));
		json_decref(r);
		if (!h_commit && now_ms() > end) {
			log_tail(&fx.v);
			fail_msg("tx %s was never committed", txhex);
		}
		if (!h_commit)
			poll(NULL, 0, 50);
	}
	/* a few blocks later it is still one transfer: the sender's nonce
	 * moved by one, the receiver got the amount once */
	end = now_ms() + WAIT_MS;
	while (rpc_height(&fx.v) < (int64_t)(h_commit + 5)) {
		assert_true(now_ms() < end);
		poll(NULL, 0, 50);
	}
	assert_non_null(a = account(from_addr));
	assert_int_equal(json_u64(json_object_get(a, "nonce")), nonce0 + 1);
	assert_int_equal(json_u64(json_object_get(a, "pending")), 0);
	json_decref(a);
	assert_non_null(a = account(to_addr));
	assert_int_equal(json_u64(json_object_get(a, "balance")), bal0 + amount);
	json_decref(a);
	assert_non_null(r = rpc(&fx.v, "gettx", json_pack("[s]", txhex)));
	assert_int_equal(json_u64(json_object_get(r, "height")), h_commit);
	json_decref(r);

	/* The flooder's key is refused now; the node serves others. */
	conn_open(&c, fx.v.p2p_port, &kp, NULL);
	assert_true(wait_closed(c.fd, WAIT_MS));
	conn_close(&c);
	(void)line;
	assert_node_ok(&fx.v);
}

/* ---- a peer that announces what it never serves --------------------------- */

/*
 * A gate in front of the validator's p2p port: the full node dials it at
 * start, and the connection waits in the listen backlog until
 * relay_start; from then on a thread forwards bytes both ways (one pair at
 * a time, a new one accepted when the last closes).  This is what lets
 * the hostile peer hold the full node's only sync request before the
 * validator is reachable, without any guessing about who is first.
 */
struct relay {
	int lfd, a, b;
	int stop[2];
	uint16_t port, target;
	pthread_t th;
	int started;
};

static struct relay *relay_new(uint16_t target)
{
	struct relay *r = calloc(1, sizeof(*r));
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	assert_non_null(r);
	r->a = r->b = -1;
	r->target = target;
	assert_int_equal(pipe2(r->stop, O_CLOEXEC), 0);
	r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(r->lfd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(r->lfd, 8), 0);
	assert_int_equal(getsockname(r->lfd, (struct sockaddr *)&sa, &sl), 0);
	r->port = ntohs(sa.sin_port);
	return r;
}

static void relay_pair_close(struct relay *r)
{
	if (r->a >= 0)
		close(r->a);
	if (r->b >= 0)
		close(r->b);
	r->a = r->b = -1;
}

/* Copy what is readable on from to to.  Returns 0, or -1 when either end
 * is done. */
static int relay_copy(int from, int to)
{
	uint8_t buf[65536];
	ssize_t n = recv(from, buf, sizeof(buf), 0);

	if (n <= 0)
		return n < 0 && errno == EINTR ? 0 : -1;
	return send_all(to, buf, (size_t)n);
}

static void *relay_main(void *arg)
{
	struct relay *r = arg;

	for (;;) {
		struct pollfd pf[3] = { { r->stop[0], POLLIN, 0 } };
		nfds_t n = 1;

		if (r->a < 0) {
			pf[n++] = (struct pollfd){ r->lfd, POLLIN, 0 };
		} else {
			pf[n++] = (struct pollfd){ r->a, POLLIN, 0 };
			pf[n++] = (struct pollfd){ r->b, POLLIN, 0 };
		}
		if (poll(pf, n, -1) < 0)
			continue;
		if (pf[0].revents)
			break;
		if (r->a < 0) {
			if (pf[1].revents) {
				r->a = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC);
				if (r->a >= 0 && (r->b = tcp_connect(r->target)) < 0)
					relay_pair_close(r);
			}
			continue;
		}
		if ((pf[1].revents && relay_copy(r->a, r->b)) ||
		    (pf[2].revents && relay_copy(r->b, r->a)))
			relay_pair_close(r);
	}
	relay_pair_close(r);
	return NULL;
}

static void relay_start(struct relay *r)
{
	assert_int_equal(pthread_create(&r->th, NULL, relay_main, r), 0);
	r->started = 1;
}

static void relay_free(struct relay *r)
{
	if (!r)
		return;
	if (r->started) {
		if (write(r->stop[1], "x", 1) != 1)
			fprintf(stderr, "cannot stop the relay\n");
		pthread_join(r->th, NULL);
	}
	relay_pair_close(r);
	close(r->lfd);
	close(r->stop[0]);
	close(r->stop[1]);
	free(r);
}

static int stall_teardown(void **state)
{
	(void)state;
	conn_close(&fx.hostile);
	relay_free(fx.relay);
	fx.relay = NULL;
	tnode_stop(&fx.f);
	return 0;
}

/*
 * A full node whose one configured peer is the validator (through the
 * relay).  The hostile peer connects first, says it is a million blocks
 * ahead and takes the full node's sync request; only then does the
 * validator become reachable.  The hostile peer answers nothing, stays
 * connected and reads nothing: the full node must give up on it after
 * P2P_STALL_MS, sync from the validator and then follow it.
 */
/* ---- rates and eviction ------------------------------------------------- */

/* 1,000 PINGs at once, far over the table's 10 a second with a burst of
 * 20: the node drops and discourages the sender, and keeps serving. */
static void test_ping_flood(void **state)
{
	struct ember_keypair kp;
	struct conn c;
	uint8_t buf[16];
	size_t n;
	int closed = 0;

	(void)state;
	fresh_key(&kp);
	conn_ready(&c, fx.v.p2p_port, &kp);
	for (uint64_t i = 0; i < 1000 && !closed; i++) {
		struct p2p_ping pg = { i };
		assert_int_equal(p2p_ping_encode(P2P_MSG_PING, &pg, buf, sizeof(buf), &n), 0);
		closed = conn_send(&c, buf, n) != 0;
	}
	assert_true(wait_closed(c.fd, WAIT_MS));
	expect_dropped(&c, &kp, "floods ping messages");
	conn_close(&c);
	assert_node_ok(&fx.v);
	expect_discouraged(&kp);
}

/* Wait for the node's PING on c and answer it. */
static void conn_answer_ping(struct conn *c)
{
	struct p2p_ping pg;
	uint8_t buf[16];
	size_t n;

	assert_int_equal(conn_wait_type(c, P2P_MSG_PING, WAIT_MS), 0);
	assert_int_equal(p2p_ping_decode(&pg, c->msg, c->msglen), 0);
	assert_int_equal(p2p_ping_encode(P2P_MSG_PONG, &pg, buf, sizeof(buf), &n), 0);
	assert_int_equal(conn_send(c, buf, n), 0);
}

/* Until the node's getpeers shows a ping for the peer at addr (as in
 * struct conn: "(host:port)"). */
static void wait_ping_shown(const struct tnode *nd, const char *addr)
{
	uint64_t end = now_ms() + WAIT_MS;

	for (;;) {
		json_t *a = rpc(nd, "getpeers", json_array()), *pe;
		size_t i;
		int shown = 0;
		assert_non_null(a);
		json_array_foreach(a, i, pe) {
			const char *at = json_string_value(json_object_get(pe, "address"));
			if (at && strncmp(at, addr + 1, strlen(at)) == 0 && addr[strlen(at) + 1] == ')' &&
			    json_is_integer(json_object_get(pe, "ping_ms")))
				shown = 1;
		}
		json_decref(a);
		if (shown)
			return;
		assert_true(now_ms() < end);
		poll(NULL, 0, 50);
	}
}

/*
 * A node with 3 peer slots, all inbound: A (answers the node's PING, so
 * it has a ping and is protected), B then C (never answer).  D knocks:
 * the older half of the unprotected (B) is kept, C goes, D is in.
 */
static void test_eviction(void **state)
{
	static const char *const args[] = { "--genesis", fx.gpath, "--max-peers", "3" };
	struct ember_keypair ka, kb, kc, kd;
	struct conn a, b, c, d;
	struct tnode e;
	char line[96];

	(void)state;
	tnode_start(&e, args, sizeof(args) / sizeof(args[0]));
	fresh_key(&ka);
	fresh_key(&kb);
	fresh_key(&kc);
	fresh_key(&kd);
	conn_ready(&a, e.p2p_port, &ka);
	conn_answer_ping(&a);
	wait_ping_shown(&e, a.addr);
	conn_ready(&b, e.p2p_port, &kb);
	conn_ready(&c, e.p2p_port, &kc);
	conn_ready(&d, e.p2p_port, &kd);
	assert_true(wait_closed(c.fd, WAIT_MS));
	snprintf(line, sizeof(line), "%s: evicted for a new inbound peer", c.addr);
	log_expect(&e, "closing peer", line);
	assert_int_equal(conn_ping(&a, 1), 0);
	assert_int_equal(conn_ping(&b, 2), 0);
	assert_int_equal(conn_ping(&d, 3), 0);
	conn_close(&a);
	conn_close(&b);
	conn_close(&c);
	conn_close(&d);
	assert_node_ok(&e);
	tnode_stop(&e);
}

static void test_fake_height_stall(void **state)
{
	struct ember_keypair kp;
	struct p2p_status st;
	struct p2p_getblocks gb;
	const char *args[6];
	char peer[32], sid[17], line[64];
	int64_t vh, fh = -1;
	uint64_t end;

	(void)state;
	fx.relay = relay_new(fx.v.p2p_port);
	snprintf(peer, sizeof(peer), "127.0.0.1:%u", (unsigned)fx.relay->port);
	args[0] = "--genesis";
	args[1] = fx.gpath;
	args[2] = "--peer";
	args[3] = peer;
	tnode_start(&fx.f, args, 4);

	/* the validator a few blocks on, so the full node needs them */
	end = now_ms() + WAIT_MS;
	while ((vh = rpc_height(&fx.v)) < 3) {
		assert_true(now_ms() < end);
		poll(NULL, 0, 50);
	}
	fresh_key(&kp);
	assert_int_equal(conn_open(&fx.hostile, fx.f.p2p_port, &kp, NULL), 0);
	assert_int_equal(conn_wait_type(&fx.hostile, P2P_MSG_STATUS, WAIT_MS), 0);
	assert_int_equal(fx.hostile.st.height, 0);
	status_of(&st, fx.g.chain_id, fx.g.hash, (uint64_t)vh + 1000000);
	assert_int_equal(send_status(&fx.hostile, &st), 0);
	assert_int_equal(conn_wait_type(&fx.hostile, P2P_MSG_GETBLOCKS, WAIT_MS), 0);
	assert_int_equal(p2p_getblocks_decode(&gb, fx.hostile.msg, fx.hostile.msglen), 0);
	assert_int_equal(gb.from, fx.hostile.st.height + 1);

	relay_start(fx.relay);
	end = now_ms() + STALL_WAIT_MS;
	for (;;) {
		vh = rpc_height(&fx.v);
		fh = rpc_height(&fx.f);
		assert_true(vh > 0);
		if (fh >= vh)
			break;
		if (now_ms() > end) {
			log_tail(&fx.f);
			fail_msg("the full node is at %" PRId64 ", the validator at %" PRId64,
			         fh, vh);
		}
		poll(NULL, 0, 100);
	}
	short_id(&kp, sid);
	snprintf(line, sizeof(line), "sync from peer %s", sid);
	log_expect(&fx.f, line, "made no progress");
	/* and it keeps following */
	end = now_ms() + WAIT_MS;
	vh += 10;
	while ((fh = rpc_height(&fx.f)) < vh) {
		if (now_ms() > end) {
			log_tail(&fx.f);
			fail_msg("the full node stopped at %" PRId64 " (want %" PRId64 ")", fh, vh);
		}
		poll(NULL, 0, 50);
	}
	assert_node_ok(&fx.f);
	assert_node_ok(&fx.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_garbage_before_handshake),
		cmocka_unit_test(test_dialled_id_mismatch),
		cmocka_unit_test(test_status_wrong_chain),
		cmocka_unit_test(test_status_wrong_genesis),
		cmocka_unit_test(test_oversize_frame),
		cmocka_unit_test(test_malformed_block),
		cmocka_unit_test(test_block_garbage_cert),
		cmocka_unit_test(test_block_forged_cert),
		cmocka_unit_test(test_duplicate_txs_flood),
		cmocka_unit_test(test_ping_flood),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test_teardown(test_fake_height_stall, stall_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
