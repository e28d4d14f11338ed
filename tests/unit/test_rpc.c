/*
 * test_rpc.c - the generic JSON-RPC server over real HTTP on 127.0.0.1.
 *
 * The server runs on its own event_base in a thread; tests talk to it with a
 * small blocking socket client (full control over the bytes sent, and over
 * hanging up early) and, for TLS, with libevent's own HTTPS client.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ember/rpc.h"

#define TOKEN "s3cret-token"
#define MAX_BODY 4096
#define MAX_BATCH 8

/* Handler context: the loop the async handler schedules on, and counters
 * the test thread reads while the loop thread writes. */
struct tctx {
	struct event_base *base;
	atomic_int later_started, later_done, big_runs;
};

struct later {
	struct rpc_call *call;
	struct event *ev;
	struct tctx *t;
};

static void m_echo(struct rpc_call *call, json_t *params, void *ctx)
{
	(void)ctx;
	rpc_result(call, json_incref(params));
}

static void m_add(struct rpc_call *call, json_t *params, void *ctx)
{
	json_t *a = json_array_get(params, 0), *b = json_array_get(params, 1);

	(void)ctx;
	if (!json_is_integer(a) || !json_is_integer(b)) {
		rpc_error_data(call, RPC_INVALID_PARAMS, json_string("ints"),
		               "parameters must be integers");
		return;
	}
	rpc_result(call, json_integer(json_integer_value(a) +
	                              json_integer_value(b)));
}

static void later_fire(evutil_socket_t fd, short what, void *arg)
{
	struct later *l = arg;

	(void)fd;
	(void)what;
	rpc_result(l->call, json_string("late"));
	atomic_fetch_add(&l->t->later_done, 1);
	event_free(l->ev);
	free(l);
}

/* Answers from a 10 ms timer, like a handler waiting on the chain. */
static void m_later(struct rpc_call *call, json_t *params, void *ctx)
{
	struct tctx *t = ctx;
	struct later *l = malloc(sizeof *l);
	struct timeval tv = { 0, 10000 };

	(void)params;
	assert_non_null(l);
	l->call = call;
	l->t = t;
	l->ev = evtimer_new(t->base, later_fire, l);
	assert_non_null(l->ev);
	evtimer_add(l->ev, &tv);
	atomic_fetch_add(&t->later_started, 1);
}

/* A 100-character string, counting its runs. */
static void m_big(struct rpc_call *call, json_t *params, void *ctx)
{
	struct tctx *t = ctx;
	char s[101];

	(void)params;
	memset(s, 'b', 100);
	s[100] = '\0';
	atomic_fetch_add(&t->big_runs, 1);
	rpc_result(call, json_string(s));
}

static void m_secret(struct rpc_call *call, json_t *params, void *ctx)
{
	(void)params;
	(void)ctx;
	rpc_result(call, json_string("ok"));
}

static const struct rpc_method table[] = {
	{ "echo", m_echo, 0, 8, RPC_F_READONLY, { NULL }, "return the params" },
	{ "add", m_add, 2, 2, RPC_F_READONLY, { "a", "b", NULL }, "a + b" },
	{ "later", m_later, 0, 0, RPC_F_READONLY, { NULL }, "answer in 10 ms" },
	{ "secret", m_secret, 0, 0, RPC_F_AUTH, { NULL }, "needs the token" },
	{ "big", m_big, 0, 0, RPC_F_READONLY, { NULL }, "100 bytes" },
};

static int route_metrics(struct evbuffer *body, const char **type, void *ctx)
{
	(void)ctx;
	evbuffer_add_printf(body, "rpc_up 1\n");
	*type = "text/plain; version=0.0.4";
	return 200;
}

/* ---- server fixture: base + server + loop thread ---- */

struct fx {
	struct tctx t;
	struct rpc_server *srv;
	pthread_t th;
	uint16_t port;
};

static void *loop_main(void *arg)
{
	struct fx *f = arg;

	event_base_dispatch(f->t.base);
	return NULL;
}

static int route_page(struct evbuffer *body, const char **type, void *ctx)
{
	(void)ctx;
	evbuffer_add_printf(body, "<html>explorer</html>");
	*type = "text/html; charset=utf-8";
	return 200;
}

/* root: also serve a GET page at "/", as the node does. */
static int fx_start_root(struct fx *f, const struct rpc_server_cfg *cfg,
                         int root)
{
	int rc;

	memset(f, 0, sizeof *f);
	f->t.base = event_base_new();
	assert_non_null(f->t.base);
	rc = rpc_server_new(&f->srv, f->t.base, cfg, table,
	                    sizeof table / sizeof table[0], &f->t);
	if (rc != 0) {
		event_base_free(f->t.base);
		return rc;
	}
	assert_int_equal(rpc_server_route(f->srv, "/metrics", route_metrics, NULL), 0);
	if (root)
		assert_int_equal(rpc_server_route(f->srv, "/", route_page, NULL), 0);
	f->port = rpc_server_port(f->srv);
	assert_true(f->port != 0);
	assert_int_equal(pthread_create(&f->th, NULL, loop_main, f), 0);
	return 0;
}

static int fx_start(struct fx *f, const struct rpc_server_cfg *cfg)
{
	return fx_start_root(f, cfg, 0);
}

/* Stop the loop; the server stays readable (stats) until fx_free. */
static void fx_stop(struct fx *f)
{
	event_base_loopbreak(f->t.base);
	pthread_join(f->th, NULL);
}

static void fx_free(struct fx *f)
{
	rpc_server_free(f->srv);
	event_base_free(f->t.base);
}

static const struct rpc_server_cfg base_cfg = {
	.listen = "127.0.0.1:0", .auth_token = TOKEN,
	.max_body = MAX_BODY, .max_batch = MAX_BATCH
};

static struct fx g;   /* the shared plain-HTTP server */

/* ---- a blocking HTTP/1.1 client over a plain socket ---- */

struct resp {
	int status;
	char *head;    /* status line and headers, NUL-terminated */
	char *body;    /* NUL-terminated */
	size_t len;
};

static void resp_free(struct resp *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof *r);
}

static int connect_local(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		assert_true(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

/* Send raw bytes, read until the server closes, split the answer. */
static void http_raw(uint16_t port, const char *req, size_t reqlen,
                     struct resp *r)
{
	int fd = connect_local(port);
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), *sep;
	ssize_t got;

	send_all(fd, req, reqlen);
	for (;;) {
		if (len + 1 >= cap)
			buf = realloc(buf, cap *= 2);
		got = recv(fd, buf + len, cap - len - 1, 0);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	buf[len] = '\0';
	memset(r, 0, sizeof *r);
	sep = strstr(buf, "\r\n\r\n");
	assert_non_null(sep);
	r->head = strndup(buf, (size_t)(sep - buf));
	r->len = len - (size_t)(sep + 4 - buf);
	r->body = strndup(sep + 4, r->len);
	assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &r->status), 1);
	free(buf);
}

/* Returns: a malloc'd HTTP/1.1 request; extra is more header lines. */
static char *fmt_req(const char *method, const char *path, const char *extra,
                     const char *body, int keepalive, size_t *len)
{
	char *req;
	size_t blen = body ? strlen(body) : 0;
	int n;

	n = asprintf(&req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s"
	             "Content-Length: %zu\r\n\r\n%s", method, path,
	             keepalive ? "" : "Connection: close\r\n", extra ? extra : "",
	             blen, body ? body : "");
	assert_true(n > 0);
	*len = (size_t)n;
	return req;
}

static void http_req(uint16_t port, const char *method, const char *path,
                     const char *extra, const char *body, struct resp *r)
{
	size_t len;
	char *req = fmt_req(method, path, extra, body, 0, &len);

	http_raw(port, req, len, r);
	free(req);
}

/* Returns: the value of header name in r (static copy), or NULL. */
static const char *header(const struct resp *r, const char *name)
{
	static char val[256];
	const char *p = r->head;
	size_t nl = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *e = strstr(v, "\r\n");
			while (*v == ' ')
				v++;
			snprintf(val, sizeof val, "%.*s",
			         (int)(e ? (size_t)(e - v) : strlen(v)), v);
			return val;
		}
	}
	return NULL;
}

/* POST body to / and return the parsed JSON answer (status 200). */
static json_t *rpc_tok(uint16_t port, const char *body, const char *token)
{
	struct resp r;
	json_error_t e;
	json_t *j;
	char extra[256];

	snprintf(extra, sizeof extra, "Content-Type: application/json\r\n"
	         "%s%s%s", token ? "Authorization: Bearer " : "",
	         token ? token : "", token ? "\r\n" : "");
	http_req(port, "POST", "/", extra, body, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "Content-Type"), "application/json");
	j = json_loads(r.body, 0, &e);
	if (!j)
		fail_msg("bad JSON answer '%s': %s", r.body, e.text);
	resp_free(&r);
	return j;
}

static json_t *rpc(const char *body)
{
	return rpc_tok(g.port, body, NULL);
}

/* Check a single error response: code, id (NULL: json null), message. */
static void check_error(json_t *resp, int code, json_t *id, const char *msg)
{
	json_t *err = json_object_get(resp, "error");

	assert_true(json_is_object(resp));
	assert_string_equal(json_string_value(json_object_get(resp, "jsonrpc")), "2.0");
	assert_null(json_object_get(resp, "result"));
	assert_non_null(err);
	assert_int_equal(json_integer_value(json_object_get(err, "code")), code);
	if (id)
		assert_true(json_equal(json_object_get(resp, "id"), id));
	else
		assert_true(json_is_null(json_object_get(resp, "id")));
	if (msg)
		assert_string_equal(json_string_value(json_object_get(err, "message")), msg);
}

static void rpc_expect_error(const char *body, int code, json_t *id,
                             const char *msg)
{
	json_t *resp = rpc(body);

	check_error(resp, code, id, msg);
	json_decref(resp);
	json_decref(id);
}

/* ---- tests ---- */

static void test_single(void **state)
{
	json_t *resp = rpc("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\","
	                   "\"params\":[1,\"x\",{\"k\":null}]}");
	json_t *want = json_loads("[1,\"x\",{\"k\":null}]", 0, NULL);

	(void)state;
	assert_string_equal(json_string_value(json_object_get(resp, "jsonrpc")), "2.0");
	assert_int_equal(json_integer_value(json_object_get(resp, "id")), 1);
	assert_true(json_equal(json_object_get(resp, "result"), want));
	assert_null(json_object_get(resp, "error"));
	json_decref(want);
	json_decref(resp);

	/* no params at all is an empty array; string ids come back as is */
	resp = rpc("{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"echo\"}");
	assert_string_equal(json_string_value(json_object_get(resp, "id")), "abc");
	assert_int_equal(json_array_size(json_object_get(resp, "result")), 0);
	json_decref(resp);

	/* the async handler answers after the dispatcher has returned */
	resp = rpc("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"later\"}");
	assert_true(json_is_null(json_object_get(resp, "id")));
	assert_string_equal(json_string_value(json_object_get(resp, "result")), "late");
	json_decref(resp);
}

static void test_batch_order(void **state)
{
	json_t *resp, *e;

	(void)state;
	resp = rpc("["
	           "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"later\"},"
	           "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"add\",\"params\":[1,2]},"
	           "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[9]},"
	           "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nope\"},"
	           "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"later\"},"
	           "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"add\",\"params\":{\"b\":6,\"a\":5}},"
	           "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"add\",\"params\":[1,\"x\"]}"
	           "]");
	assert_true(json_is_array(resp));
	assert_int_equal(json_array_size(resp), 6);   /* the notification has none */

	e = json_array_get(resp, 0);
	assert_string_equal(json_string_value(json_object_get(e, "id")), "a");
	assert_string_equal(json_string_value(json_object_get(e, "result")), "late");
	e = json_array_get(resp, 1);
	assert_int_equal(json_integer_value(json_object_get(e, "id")), 2);
	assert_int_equal(json_integer_value(json_object_get(e, "result")), 3);
	e = json_integer(3);
	check_error(json_array_get(resp, 2), RPC_METHOD_NOT_FOUND, e,
	            "method 'nope' not found");
	json_decref(e);
	e = json_array_get(resp, 3);
	assert_int_equal(json_integer_value(json_object_get(e, "id")), 4);
	assert_string_equal(json_string_value(json_object_get(e, "result")), "late");
	e = json_array_get(resp, 4);
	assert_int_equal(json_integer_value(json_object_get(e, "id")), 5);
	assert_int_equal(json_integer_value(json_object_get(e, "result")), 11);
	e = json_array_get(resp, 5);
	assert_int_equal(json_integer_value(json_object_get(e, "id")), 6);
	e = json_object_get(e, "error");
	assert_int_equal(json_integer_value(json_object_get(e, "code")), RPC_INVALID_PARAMS);
	assert_string_equal(json_string_value(json_object_get(e, "data")), "ints");
	json_decref(resp);
}

static void test_notifications(void **state)
{
	static const char *bodies[] = {
		"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1]}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"later\"}",
		/* a failing notification is still silent */
		"{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}",
		"[{\"jsonrpc\":\"2.0\",\"method\":\"echo\"},"
		" {\"jsonrpc\":\"2.0\",\"method\":\"later\"},"
		" {\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1]}]",
	};
	struct resp r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		http_req(g.port, "POST", "/", NULL, bodies[i], &r);
		assert_int_equal(r.status, 204);
		assert_int_equal(r.len, 0);
		resp_free(&r);
	}
}

static void test_parse_error(void **state)
{
	static const char *bodies[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"",
		"",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"echo\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"} trailing",
		"\x01\x02\xff not json",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		json_t *resp = rpc(bodies[i]);
		const char *msg;

		check_error(resp, RPC_PARSE_ERROR, NULL, NULL);
		msg = json_string_value(json_object_get(json_object_get(resp, "error"), "message"));
		assert_non_null(msg);
		for (; *msg; msg++)   /* client bytes come back cleaned */
			assert_true(*msg >= 0x20 && *msg < 0x7f);
		json_decref(resp);
	}
}

static void test_invalid_request(void **state)
{
	static const struct {
		const char *body;
		int id;           /* -1: null id expected */
		const char *msg;
	} cases[] = {
		{ "{\"jsonrpc\":\"3.0\",\"id\":1,\"method\":\"echo\"}", 1,
		  "'jsonrpc' must be \"2.0\" (or \"1.0\" or absent for a JSON-RPC 1.0 call)" },
		{ "{\"jsonrpc\":\"\",\"id\":1,\"method\":\"echo\"}", 1, NULL },
		{ "{\"jsonrpc\":2.0,\"id\":1,\"method\":\"echo\"}", 1, NULL },
		{ "{\"jsonrpc\":null,\"id\":1,\"method\":\"echo\"}", 1, NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", 1, "'method' must be a string" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1}", 1, NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"echo\"}", -1, NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"echo\"}", -1, NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":\"x\"}", 1, NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":null}", 1, NULL },
		/* no id, but invalid: still answered, with a null id */
		{ "{\"jsonrpc\":\"2.0\",\"method\":7}", -1, NULL },
		{ "[]", -1, "empty batch" },
		{ "[1,2,3,4,5,6,7,8,9]", -1, "batch exceeds the limit of 8 calls" },
		{ "5", -1, NULL },
		{ "\"x\"", -1, NULL },
	};
	size_t i;
	json_t *resp;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		rpc_expect_error(cases[i].body, RPC_INVALID_REQUEST,
		                 cases[i].id < 0 ? NULL : json_integer(cases[i].id),
		                 cases[i].msg);

	/* in a batch, each bad element gets its own error */
	resp = rpc("[1,{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"echo\"},\"x\"]");
	assert_int_equal(json_array_size(resp), 3);
	check_error(json_array_get(resp, 0), RPC_INVALID_REQUEST, NULL, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(resp, 1), "id")), 7);
	check_error(json_array_get(resp, 2), RPC_INVALID_REQUEST, NULL, NULL);
	json_decref(resp);
}

/* A JSON-RPC 1.0 answer: "result" and "error" both there, one null, no
 * "jsonrpc"; id as given (NULL: json null).  Returns the error (borrowed)
 * or NULL. */
static json_t *check_v1(json_t *resp, json_t *id, int is_error)
{
	json_t *res = json_object_get(resp, "result");
	json_t *err = json_object_get(resp, "error");

	assert_true(json_is_object(resp));
	assert_null(json_object_get(resp, "jsonrpc"));
	assert_int_equal(json_object_size(resp), 3);
	assert_non_null(res);
	assert_non_null(err);
	if (id)
		assert_true(json_equal(json_object_get(resp, "id"), id));
	else
		assert_true(json_is_null(json_object_get(resp, "id")));
	if (is_error) {
		assert_true(json_is_null(res));
		assert_true(json_is_object(err));
		return err;
	}
	assert_true(json_is_null(err));
	return NULL;
}

/* bitcoind's request form: no "jsonrpc" (or "1.0"), answered in kind. */
static void test_v1(void **state)
{
	json_t *resp, *err, *id;

	(void)state;
	id = json_integer(7);
	resp = rpc("{\"method\":\"add\",\"params\":[1,2],\"id\":7}");
	check_v1(resp, id, 0);
	assert_int_equal(json_integer_value(json_object_get(resp, "result")), 3);
	json_decref(resp);
	json_decref(id);

	/* the "1.0" some old documents put in requests means the same */
	id = json_string("curltest");
	resp = rpc("{\"jsonrpc\":\"1.0\",\"id\":\"curltest\",\"method\":\"echo\","
	           "\"params\":[\"x\"]}");
	check_v1(resp, id, 0);
	assert_string_equal(json_string_value(json_array_get(
	                    json_object_get(resp, "result"), 0)), "x");
	json_decref(resp);

	/* errors: the same form, the result null */
	resp = rpc("{\"method\":\"nope\",\"params\":[],\"id\":\"curltest\"}");
	err = check_v1(resp, id, 1);
	assert_int_equal(json_integer_value(json_object_get(err, "code")),
	                 RPC_METHOD_NOT_FOUND);
	assert_string_equal(json_string_value(json_object_get(err, "message")),
	                    "method 'nope' not found");
	json_decref(resp);
	resp = rpc("{\"method\":\"add\",\"params\":[1],\"id\":\"curltest\"}");
	err = check_v1(resp, id, 1);
	assert_int_equal(json_integer_value(json_object_get(err, "code")),
	                 RPC_INVALID_PARAMS);
	json_decref(resp);
	resp = rpc("{\"method\":\"secret\",\"id\":\"curltest\"}");
	err = check_v1(resp, id, 1);
	assert_int_equal(json_integer_value(json_object_get(err, "code")),
	                 RPC_ERR_UNAUTHORIZED);
	json_decref(resp);
	json_decref(id);

	/* an invalid id is refused, in the form asked for */
	resp = rpc("{\"method\":\"echo\",\"id\":{}}");
	err = check_v1(resp, NULL, 1);
	assert_int_equal(json_integer_value(json_object_get(err, "code")),
	                 RPC_INVALID_REQUEST);
	json_decref(resp);

	/* 1.0 has no notifications: without an id the call is answered */
	resp = rpc("{\"method\":\"echo\",\"params\":[1]}");
	check_v1(resp, NULL, 0);
	json_decref(resp);

	/* an async handler answers in the form of its call */
	resp = rpc("{\"method\":\"later\",\"params\":[],\"id\":1}");
	id = json_integer(1);
	check_v1(resp, id, 0);
	assert_string_equal(json_string_value(json_object_get(resp, "result")), "late");
	json_decref(resp);

	/* a batch answers each call in its own form */
	resp = rpc("[{\"method\":\"add\",\"params\":[1,2],\"id\":1},"
	           "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[2,2],\"id\":2},"
	           "{\"method\":\"later\",\"id\":1}]");
	assert_int_equal(json_array_size(resp), 3);
	check_v1(json_array_get(resp, 0), id, 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(resp, 0),
	                 "result")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(resp, 1),
	                    "jsonrpc")), "2.0");
	assert_null(json_object_get(json_array_get(resp, 1), "error"));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(resp, 1),
	                 "result")), 4);
	check_v1(json_array_get(resp, 2), id, 0);
	json_decref(resp);
	json_decref(id);
}

static void test_method_not_found(void **state)
{
	char body[512], name[200];
	json_t *resp;
	const char *msg;

	(void)state;
	rpc_expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope\"}",
	                 RPC_METHOD_NOT_FOUND, json_integer(1),
	                 "method 'nope' not found");

	/* a long name with control characters is cut and cleaned */
	memset(name, 'm', sizeof name);
	memcpy(name, "\\u0007\\n\\u001b", 14);
	name[sizeof name - 1] = '\0';
	snprintf(body, sizeof body,
	         "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\"}", name);
	resp = rpc(body);
	check_error(resp, RPC_METHOD_NOT_FOUND, json_object_get(resp, "id"), NULL);
	assert_int_equal(json_integer_value(json_object_get(resp, "id")), 1);
	msg = json_string_value(json_object_get(json_object_get(resp, "error"), "message"));
	assert_true(strncmp(msg, "method '???mmm", 14) == 0);
	assert_non_null(strstr(msg, "...' not found"));
	assert_true(strlen(msg) < 100);
	json_decref(resp);
}

static void test_params(void **state)
{
	json_t *resp;

	(void)state;
	rpc_expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[1]}",
	                 RPC_INVALID_PARAMS, json_integer(1),
	                 "method 'add' takes 2 parameters, got 1");
	rpc_expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[1,2,3]}",
	                 RPC_INVALID_PARAMS, json_integer(1),
	                 "method 'add' takes 2 parameters, got 3");
	rpc_expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"later\",\"params\":[1]}",
	                 RPC_INVALID_PARAMS, json_integer(1),
	                 "method 'later' takes 0 parameters, got 1");
	rpc_expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"help\",\"params\":[1,2]}",
	                 RPC_INVALID_PARAMS, json_integer(1),
	                 "method 'help' takes 0 to 1 parameters, got 2");
	rpc_expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"a\":1}}",
	                 RPC_INVALID_PARAMS, json_integer(1),
	                 "missing parameter 'b'");
	rpc_expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\","
	                 "\"params\":{\"a\":1,\"b\":2,\"c\\u0000x\":3}}",
	                 RPC_PARSE_ERROR, NULL, NULL);
	rpc_expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\","
	                 "\"params\":{\"a\":1,\"b\":2,\"c\\n\":3}}",
	                 RPC_INVALID_PARAMS, json_integer(1),
	                 "unknown parameter 'c?'");
	rpc_expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"x\":1}}",
	                 RPC_INVALID_PARAMS, json_integer(1),
	                 "unknown parameter 'x'");

	resp = rpc("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"b\":40,\"a\":2}}");
	assert_int_equal(json_integer_value(json_object_get(resp, "result")), 42);
	json_decref(resp);
	resp = rpc("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{}}");
	assert_int_equal(json_array_size(json_object_get(resp, "result")), 0);
	json_decref(resp);
}

/* "Authorization: SCHEME base64(userpass)\r\n" into hdr. */
static void basic_header(char *hdr, size_t cap, const char *scheme,
                         const char *userpass)
{
	unsigned char b64[400];
	size_t n = strlen(userpass);

	assert_true(4 * ((n + 2) / 3) < sizeof b64);
	EVP_EncodeBlock(b64, (const unsigned char *)userpass, (int)n);
	snprintf(hdr, cap, "Authorization: %s %s\r\n", scheme, (char *)b64);
}

static const struct {
	const char *scheme, *userpass;
	int ok;
} basic_cases[] = {
	{ "Basic", "__cookie__:" TOKEN, 1 },
	{ "basic", "__cookie__:" TOKEN, 1 },          /* the scheme in any case */
	{ "Basic", "__cookie__:" TOKEN "x", 0 },      /* a longer password */
	{ "Basic", "__cookie__:s3cret-toke", 0 },     /* a shorter one */
	{ "Basic", "__cookie__:", 0 },
	{ "Basic", "__cookie_:" TOKEN, 0 },           /* another user */
	{ "Basic", ":" TOKEN, 0 },
	{ "Basic", TOKEN, 0 },                        /* no ':' at all */
	{ "Basic", "__cookie__:" TOKEN ":", 0 },      /* the password has the ':' */
	{ "Bearer", "__cookie__:" TOKEN, 0 },         /* base64 is no token */
};

static void test_auth(void **state)
{
	const char *call = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"secret\"}";
	struct rpc_server_cfg cfg = base_cfg;
	struct fx f;
	json_t *resp;
	struct resp r;

	(void)state;
	resp = rpc_tok(g.port, call, NULL);
	check_error(resp, RPC_ERR_UNAUTHORIZED, json_object_get(resp, "id"), NULL);
	json_decref(resp);
	resp = rpc_tok(g.port, call, "wrong");
	check_error(resp, RPC_ERR_UNAUTHORIZED, json_object_get(resp, "id"), NULL);
	json_decref(resp);
	resp = rpc_tok(g.port, call, TOKEN "x");
	check_error(resp, RPC_ERR_UNAUTHORIZED, json_object_get(resp, "id"), NULL);
	json_decref(resp);
	resp = rpc_tok(g.port, call, TOKEN);
	assert_string_equal(json_string_value(json_object_get(resp, "result")), "ok");
	json_decref(resp);

	/* the scheme is case-insensitive; a token is no Basic credential */
	http_req(g.port, "POST", "/", "Authorization: bearer " TOKEN "\r\n", call, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"ok\""));
	resp_free(&r);
	http_req(g.port, "POST", "/", "Authorization: Basic " TOKEN "\r\n", call, &r);
	assert_non_null(strstr(r.body, "-32003"));
	resp_free(&r);

	/* HTTP Basic with the cookie's user, bitcoind's form */
	for (size_t i = 0; i < sizeof basic_cases / sizeof basic_cases[0]; i++) {
		char hdr[512];

		basic_header(hdr, sizeof hdr, basic_cases[i].scheme,
		             basic_cases[i].userpass);
		http_req(g.port, "POST", "/", hdr, call, &r);
		assert_int_equal(r.status, 200);
		if (basic_cases[i].ok != (strstr(r.body, "\"ok\"") != NULL))
			fail_msg("case %zu (%s %s): %s", i, basic_cases[i].scheme,
			         basic_cases[i].userpass, r.body);
		resp_free(&r);
	}
	/* not base64 at all */
	http_req(g.port, "POST", "/", "Authorization: Basic %%%\r\n", call, &r);
	assert_non_null(strstr(r.body, "-32003"));
	resp_free(&r);

	/* without a configured token, auth methods are always refused */
	cfg.auth_token = NULL;
	assert_int_equal(fx_start(&f, &cfg), 0);
	resp = rpc_tok(f.port, call, TOKEN);
	check_error(resp, RPC_ERR_UNAUTHORIZED, json_object_get(resp, "id"), NULL);
	json_decref(resp);
	resp = rpc_tok(f.port, call, "");
	check_error(resp, RPC_ERR_UNAUTHORIZED, json_object_get(resp, "id"), NULL);
	json_decref(resp);
	fx_stop(&f);
	fx_free(&f);

	/* a configured user replaces "__cookie__" */
	cfg.auth_token = TOKEN;
	cfg.auth_user = "alice";
	assert_int_equal(fx_start(&f, &cfg), 0);
	{
		static const struct { const char *userpass; int ok; } cases[] = {
			{ "alice:" TOKEN, 1 },
			{ "__cookie__:" TOKEN, 0 },
			{ "alice:" TOKEN "x", 0 },
			{ "alic:" TOKEN, 0 },
		};
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			char hdr[512];

			basic_header(hdr, sizeof hdr, "Basic", cases[i].userpass);
			http_req(f.port, "POST", "/", hdr, call, &r);
			assert_int_equal(cases[i].ok, strstr(r.body, "\"ok\"") != NULL);
			resp_free(&r);
		}
	}
	/* the bearer form takes the password alone */
	resp = rpc_tok(f.port, call, TOKEN);
	assert_string_equal(json_string_value(json_object_get(resp, "result")), "ok");
	json_decref(resp);
	fx_stop(&f);
	fx_free(&f);
}

static void test_help(void **state)
{
	json_t *resp, *list, *e;
	size_t i;
	int seen = 0;

	(void)state;
	resp = rpc("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"help\"}");
	list = json_object_get(resp, "result");
	assert_int_equal(json_array_size(list), 6);
	json_array_foreach(list, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		if (strcmp(name, "add") == 0) {
			assert_string_equal(json_string_value(json_object_get(e, "help")), "a + b");
			assert_int_equal(json_array_size(json_object_get(e, "params")), 2);
			seen++;
		}
		if (strcmp(name, "secret") == 0) {
			assert_true(json_is_true(json_object_get(e, "auth")));
			seen++;
		}
	}
	assert_int_equal(seen, 2);
	json_decref(resp);

	resp = rpc("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"help\",\"params\":{\"method\":\"echo\"}}");
	e = json_object_get(resp, "result");
	assert_string_equal(json_string_value(json_object_get(e, "help")), "return the params");
	json_decref(resp);
	rpc_expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"help\",\"params\":[\"zz\"]}",
	                 RPC_ERR_NOT_FOUND, json_integer(1), "method 'zz' not found");
}

static void test_http_routes(void **state)
{
	struct resp r;

	(void)state;
	http_req(g.port, "GET", "/metrics", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "rpc_up 1\n");
	assert_string_equal(header(&r, "Content-Type"), "text/plain; version=0.0.4");
	resp_free(&r);
	http_req(g.port, "GET", "/metrics?x=1", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	http_req(g.port, "GET", "/nope", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	http_req(g.port, "POST", "/nope", NULL, "{}", &r);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	http_req(g.port, "GET", "/", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(header(&r, "Allow"), "POST");
	resp_free(&r);
	http_req(g.port, "PUT", "/metrics", NULL, "{}", &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(header(&r, "Allow"), "GET, HEAD");
	resp_free(&r);
	http_req(g.port, "DELETE", "/", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	resp_free(&r);
	/* a wrong content type is accepted */
	http_req(g.port, "POST", "/", "Content-Type: text/plain\r\n",
	         "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"result\":[]"));
	resp_free(&r);
}

/* With a page at "/", GET / serves it and POST / is still JSON-RPC. */
static void test_root_route(void **state)
{
	struct fx f;
	struct resp r;
	json_t *j;

	(void)state;
	assert_int_equal(fx_start_root(&f, &base_cfg, 1), 0);
	http_req(f.port, "GET", "/", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "<html>explorer</html>");
	assert_string_equal(header(&r, "Content-Type"), "text/html; charset=utf-8");
	resp_free(&r);
	http_req(f.port, "HEAD", "/", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, 0);
	assert_string_equal(header(&r, "Content-Length"), "21");
	resp_free(&r);
	http_req(f.port, "PUT", "/", NULL, "{}", &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(header(&r, "Allow"), "GET, HEAD, POST");
	resp_free(&r);
	j = rpc_tok(f.port, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[3,4]}", NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "result")), 7);
	json_decref(j);
	fx_stop(&f);
	fx_free(&f);
}

static void test_body_limit(void **state)
{
	char *body = malloc(MAX_BODY + 2);
	struct resp r;

	(void)state;
	memset(body, ' ', MAX_BODY + 1);
	body[MAX_BODY + 1] = '\0';
	body[0] = '[';
	body[MAX_BODY] = ']';
	http_req(g.port, "POST", "/", NULL, body, &r);
	assert_int_equal(r.status, 413);
	resp_free(&r);
	free(body);
}

static const char later_call[] =
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"later\"}";

/* The client hangs up before the async answer: the server must drop the
 * answer, free everything, and keep serving. */
static void test_client_gone(void **state)
{
	size_t len;
	char *req = fmt_req("POST", "/", NULL, later_call, 1, &len);
	int before = atomic_load(&g.t.later_done), fd, i;
	struct timespec ms = { 0, 1000000 };
	json_t *resp;

	(void)state;
	fd = connect_local(g.port);
	send_all(fd, req, len);
	free(req);
	for (i = 0; i < 2000 && atomic_load(&g.t.later_started) <= before; i++)
		nanosleep(&ms, NULL);
	close(fd);
	for (i = 0; i < 2000 && atomic_load(&g.t.later_done) <= before; i++)
		nanosleep(&ms, NULL);
	assert_true(atomic_load(&g.t.later_done) > before);
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);

	resp = rpc("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"add\",\"params\":[2,2]}");
	assert_int_equal(json_integer_value(json_object_get(resp, "result")), 4);
	json_decref(resp);
}

/* A kept-alive connection and what has been read from it so far. */
struct kconn {
	int fd;
	size_t len;
	char buf[8192];
};

/* Read exactly one response (Content-Length framed) off c, keeping any
 * bytes of the next one.  Returns: the parsed JSON body. */
static json_t *read_one(struct kconn *c)
{
	char *sep, *cl;
	size_t want = 0, hlen;
	ssize_t got;
	json_t *j;

	for (;;) {
		c->buf[c->len] = '\0';
		sep = strstr(c->buf, "\r\n\r\n");
		if (sep) {
			hlen = (size_t)(sep + 4 - c->buf);
			cl = strcasestr(c->buf, "\r\nContent-Length:");
			assert_true(cl && cl < sep);
			want = hlen + strtoul(cl + 17, NULL, 10);
			if (c->len >= want)
				break;
		}
		assert_true(c->len < sizeof c->buf - 1);
		got = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);
		assert_true(got > 0);
		c->len += (size_t)got;
	}
	assert_int_equal(strncmp(c->buf, "HTTP/1.1 200", 12), 0);
	j = json_loadb(c->buf + hlen, want - hlen, 0, NULL);
	assert_non_null(j);
	memmove(c->buf, c->buf + want, c->len - want);
	c->len -= want;
	return j;
}

/* Keep-alive and pipelining: a second request sent while the first waits
 * on its async answer is served after it, in order, on the same
 * connection; closing that connection later must not reach a freed
 * request. */
static void test_keepalive(void **state)
{
	size_t l1, l2;
	char *r1 = fmt_req("POST", "/", NULL, later_call, 1, &l1);
	char *r2 = fmt_req("POST", "/", NULL,
	                   "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"add\",\"params\":[1,1]}",
	                   1, &l2);
	static struct kconn c;
	json_t *j;

	(void)state;
	c.fd = connect_local(g.port);
	c.len = 0;
	send_all(c.fd, r1, l1);
	send_all(c.fd, r2, l2);
	j = read_one(&c);
	assert_string_equal(json_string_value(json_object_get(j, "result")), "late");
	json_decref(j);
	j = read_one(&c);
	assert_int_equal(json_integer_value(json_object_get(j, "result")), 2);
	json_decref(j);
	send_all(c.fd, r1, l1);
	j = read_one(&c);
	assert_string_equal(json_string_value(json_object_get(j, "result")), "late");
	json_decref(j);
	assert_int_equal(c.len, 0);
	close(c.fd);
	free(r1);
	free(r2);

	j = rpc("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"echo\"}");
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 3);
	json_decref(j);
}

/* The server is freed while a call is pending: the late answer is dropped
 * (the loop runs on this thread here). */
static void test_free_pending(void **state)
{
	size_t len;
	char *req = fmt_req("POST", "/", NULL, later_call, 1, &len);
	struct tctx t = { 0 };
	struct rpc_server *s;
	int fd;

	(void)state;
	t.base = event_base_new();
	assert_int_equal(rpc_server_new(&s, t.base, &base_cfg, table, 4, &t), 0);
	fd = connect_local(rpc_server_port(s));
	send_all(fd, req, len);
	free(req);
	while (atomic_load(&t.later_started) == 0)
		event_base_loop(t.base, EVLOOP_ONCE);
	rpc_server_free(s);
	while (atomic_load(&t.later_done) == 0)
		event_base_loop(t.base, EVLOOP_ONCE);
	close(fd);
	event_base_free(t.base);
}

/* Returns: 1 once "later" has answered done times and, its reply out,
 * the server has closed the connection ("Connection: close"). */
static int conns_closed(struct rpc_server *s, struct tctx *t, int done)
{
	struct rpc_conn_stats cs;

	rpc_server_conn_stats(s, &cs);
	return atomic_load(&t->later_done) == done && cs.open == 0;
}

static void set_flag(void *arg)
{
	(*(int *)arg)++;
}

/* rpc_server_when_idle: at once with nothing in flight, else once the
 * reply in flight is written; cancelled by a NULL callback.  One thread:
 * the loop runs here, a turn at a time. */
static void test_when_idle(void **state)
{
	size_t len;
	char *req = fmt_req("POST", "/", NULL, later_call, 0, &len), buf[512];
	struct tctx t = { 0 };
	struct rpc_server *s;
	ssize_t got;
	size_t have = 0;
	int fd, idle = 0;

	(void)state;
	t.base = event_base_new();
	assert_int_equal(rpc_server_new(&s, t.base, &base_cfg, table, 4, &t), 0);
	rpc_server_when_idle(s, set_flag, &idle);
	assert_int_equal(idle, 1);

	idle = 0;
	fd = connect_local(rpc_server_port(s));
	send_all(fd, req, len);
	while (atomic_load(&t.later_started) == 0)
		event_base_loop(t.base, EVLOOP_ONCE);
	rpc_server_when_idle(s, set_flag, &idle);
	assert_int_equal(idle, 0);   /* "later" has not answered */
	while (!idle && !conns_closed(s, &t, 1))
		event_base_loop(t.base, EVLOOP_ONCE);
	assert_int_equal(idle, 1);
	assert_int_equal(atomic_load(&t.later_done), 1);
	/* the reply is out by now, whole, with no more turns of the loop */
	while (have < sizeof buf - 1 &&
	       (got = recv(fd, buf + have, sizeof buf - 1 - have, 0)) > 0)
		have += (size_t)got;
	buf[have] = '\0';
	assert_non_null(strstr(buf, "\"result\":\"late\""));
	close(fd);

	/* cancelled: not run when the reply goes out */
	idle = 0;
	fd = connect_local(rpc_server_port(s));
	send_all(fd, req, len);
	while (atomic_load(&t.later_started) == 1)
		event_base_loop(t.base, EVLOOP_ONCE);
	rpc_server_when_idle(s, set_flag, &idle);
	rpc_server_when_idle(s, NULL, NULL);
	while (!conns_closed(s, &t, 2))
		event_base_loop(t.base, EVLOOP_ONCE);
	assert_int_equal(idle, 0);
	close(fd);
	free(req);
	rpc_server_free(s);
	event_base_free(t.base);
}

static void test_bad_config(void **state)
{
	static const char *bad[] = {
		"nonsense", "127.0.0.1:", ":80", "127.0.0.1:65536", "127.0.0.1:8x",
		"[::1:80", "[]:80",
	};
	struct rpc_server_cfg cfg = base_cfg;
	struct event_base *base = event_base_new();
	struct rpc_server *s = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cfg.listen = bad[i];
		assert_int_equal(rpc_server_new(&s, base, &cfg, table, 4, NULL), EMBER_EINVAL);
		assert_null(s);
	}
	/* the port is taken */
	cfg.listen = "127.0.0.1:0";
	assert_int_equal(rpc_server_new(&s, base, &cfg, table, 4, NULL), 0);
	{
		char l[64];
		struct rpc_server *s2 = NULL;
		snprintf(l, sizeof l, "127.0.0.1:%u", rpc_server_port(s));
		cfg.listen = l;
		assert_int_equal(rpc_server_new(&s2, base, &cfg, table, 4, NULL), EMBER_EIO);
		assert_null(s2);
	}
	assert_int_equal(rpc_server_route(s, "metrics", route_metrics, NULL), EMBER_EINVAL);
	assert_int_equal(rpc_server_route(s, "/m", route_metrics, NULL), 0);
	assert_int_equal(rpc_server_route(s, "/m", route_metrics, NULL), EMBER_EEXIST);
	rpc_server_free(s);

	cfg.listen = "127.0.0.1:0";
	cfg.tls_cert = "/nonexistent/cert.pem";
	assert_int_equal(rpc_server_new(&s, base, &cfg, table, 4, NULL), EMBER_EINVAL);
	cfg.tls_key = "/nonexistent/key.pem";
	assert_int_equal(rpc_server_new(&s, base, &cfg, table, 4, NULL), EMBER_EINTERNAL);
	event_base_free(base);
}

static void test_stats(void **state)
{
	struct fx f;
	struct rpc_stats st;
	json_t *resp;

	(void)state;
	assert_int_equal(fx_start(&f, &base_cfg), 0);
	resp = rpc_tok(f.port, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"},"
	               "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}]", NULL);
	json_decref(resp);
	resp = rpc_tok(f.port, "{bad", NULL);
	json_decref(resp);
	fx_stop(&f);
	rpc_server_stats(f.srv, &st);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.calls, 2);
	assert_int_equal(st.errors, 2);
	fx_free(&f);
}

/* ---- limits: batch pre-count, reply size, framing, connections ---- */

static void test_batch_precount(void **state)
{
	struct rpc_server_cfg cfg = base_cfg;
	struct fx f;
	json_t *resp;
	char *body;
	size_t i, n = 2u * 1024 * 1024;

	(void)state;
	/* Refused before parsing: the bad tail is never looked at. */
	rpc_expect_error("[1,2,3,4,5,6,7,8,9, not json at all", RPC_INVALID_REQUEST,
	                 NULL, "batch exceeds the limit of 8 calls");
	rpc_expect_error("  \r\n[{},{},{},{},{},{},{},{},{}]", RPC_INVALID_REQUEST,
	                 NULL, "batch exceeds the limit of 8 calls");

	/* Commas, brackets and escaped quotes inside strings, and nested
	 * values, are not calls: four elements, each answered. */
	resp = rpc("[\"a,b,c,d,e,f,g,h,i,j\", \"\\\",\\\",\\\",\\\",\\\",\\\",\\\",\\\",\\\\\","
	           " {\"k\":[1,2,3,4,5,6,7,8,9,10],\"s\":\"]]}}\"},"
	           " [1,2,3,4,5,6,7,8,9,[10,11]]]");
	assert_true(json_is_array(resp));
	assert_int_equal(json_array_size(resp), 4);
	for (i = 0; i < 4; i++) {
		json_t *e = json_array_get(resp, i);

		/* the object, without "jsonrpc", is a 1.0 call missing its method */
		if (i == 2)
			assert_int_equal(json_integer_value(json_object_get(
			                 check_v1(e, NULL, 1), "code")), RPC_INVALID_REQUEST);
		else
			check_error(e, RPC_INVALID_REQUEST, NULL, NULL);
	}
	json_decref(resp);

	/* Exactly the limit is fine. */
	resp = rpc("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"},"
	           "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\"},"
	           "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"echo\"},"
	           "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"echo\"},"
	           "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"echo\"},"
	           "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"echo\"},"
	           "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"echo\"},"
	           "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"echo\"}]");
	assert_int_equal(json_array_size(resp), 8);
	json_decref(resp);

	/* A 6 MB body of "{}," is refused after its ninth element. */
	cfg.max_body = 8u * 1024 * 1024;
	assert_int_equal(fx_start(&f, &cfg), 0);
	body = malloc(3 * n + 5);
	assert_non_null(body);
	body[0] = '[';
	for (i = 0; i < n; i++)
		memcpy(body + 1 + 3 * i, "{},", 3);
	memcpy(body + 1 + 3 * n, "{}]", 4);
	resp = rpc_tok(f.port, body, NULL);
	check_error(resp, RPC_INVALID_REQUEST, NULL,
	            "batch exceeds the limit of 8 calls");
	json_decref(resp);
	free(body);
	fx_stop(&f);
	fx_free(&f);
}

#define BIG_CALL(id) "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"big\"}"
#define LATER_CALL(id) "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"later\"}"

/* Count the results and the RPC_ERR_TOO_LARGE errors in a batch answer. */
static void count_answers(json_t *resp, size_t *results, size_t *too_large)
{
	size_t i;
	json_t *e;

	*results = *too_large = 0;
	json_array_foreach(resp, i, e) {
		json_t *err = json_object_get(e, "error");

		if (json_object_get(e, "result")) {
			(*results)++;
		} else {
			assert_int_equal(json_integer_value(json_object_get(err, "code")),
			                 RPC_ERR_TOO_LARGE);
			assert_non_null(strstr(json_string_value(json_object_get(err, "message")),
			                       "response too large"));
			assert_true(json_is_integer(json_object_get(e, "id")));
			(*too_large)++;
		}
	}
}

static void test_reply_cap(void **state)
{
	struct rpc_server_cfg cfg = base_cfg;
	struct fx f;
	json_t *resp, *e;
	size_t results, too_large, i;
	int started;

	(void)state;
	/* An answer to "big" is about 140 bytes: two fit in 350. */
	cfg.max_reply = 350;
	assert_int_equal(fx_start(&f, &cfg), 0);
	resp = rpc_tok(f.port, "[" BIG_CALL(1) "," BIG_CALL(2) "," BIG_CALL(3) ","
	               BIG_CALL(4) "," BIG_CALL(5) "," BIG_CALL(6) ","
	               "{\"jsonrpc\":\"2.0\",\"method\":\"big\"}," BIG_CALL(8) "]",
	               NULL);
	assert_int_equal(json_array_size(resp), 7);
	for (i = 0; i < 7; i++) {
		e = json_array_get(resp, i);
		assert_int_equal(json_integer_value(json_object_get(e, "id")),
		                 i < 6 ? (json_int_t)i + 1 : 8);
		if (i < 2)
			assert_int_equal(strlen(json_string_value(json_object_get(e, "result"))), 100);
		else
			check_error(e, RPC_ERR_TOO_LARGE, json_object_get(e, "id"), NULL);
	}
	/* the third ran and did not fit; the rest never ran */
	assert_int_equal(atomic_load(&f.t.big_runs), 3);
	json_decref(resp);

	/* Asynchronous answers are counted as they arrive: all eight run
	 * (nothing had answered while dispatching), two answers fit. */
	started = atomic_load(&f.t.later_started);
	resp = rpc_tok(f.port, "[" LATER_CALL(1) "," LATER_CALL(2) "," LATER_CALL(3) ","
	               LATER_CALL(4) "," LATER_CALL(5) "," LATER_CALL(6) ","
	               LATER_CALL(7) "," LATER_CALL(8) "]", NULL);
	assert_int_equal(json_array_size(resp), 8);
	count_answers(resp, &results, &too_large);
	assert_int_equal(atomic_load(&f.t.later_started) - started, 8);
	json_decref(resp);
	/* {"jsonrpc":"2.0","id":N,"result":"late"} is 40 bytes: 8 fit in 350 */
	assert_int_equal(results, 8);
	assert_int_equal(too_large, 0);
	fx_stop(&f);
	fx_free(&f);

	cfg.max_reply = 100;
	assert_int_equal(fx_start(&f, &cfg), 0);
	resp = rpc_tok(f.port, "[" LATER_CALL(1) "," LATER_CALL(2) "," LATER_CALL(3) ","
	               LATER_CALL(4) "," LATER_CALL(5) "," LATER_CALL(6) ","
	               LATER_CALL(7) "," LATER_CALL(8) "]", NULL);
	count_answers(resp, &results, &too_large);
	assert_int_equal(results, 2);
	assert_int_equal(too_large, 6);
	json_decref(resp);

	/* A single call too large for the cap gets the error itself. */
	resp = rpc_tok(f.port, BIG_CALL(9), NULL);
	check_error(resp, RPC_ERR_TOO_LARGE, json_object_get(resp, "id"), NULL);
	assert_int_equal(json_integer_value(json_object_get(resp, "id")), 9);
	json_decref(resp);
	fx_stop(&f);
	fx_free(&f);
}

/* Send raw bytes on a kept-alive connection and read until the server
 * closes it (recv times out after 5 s on a server that does not). */
static void http_raw_keepalive(const char *req, struct resp *r)
{
	http_raw(g.port, req, strlen(req), r);
}

static void test_framing(void **state)
{
	static const char *bad[] = {
		/* two Content-Length, equal or not */
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
		"Content-Length: 2\r\n\r\n{}",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
		"Content-Length: 40\r\n\r\n{}",
		"GET /metrics HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\n"
		"Content-Length: 0\r\n\r\n",
		/* Transfer-Encoding with Content-Length, or not just chunked */
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n"
		"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
		"Content-Length: 2\r\n\r\n{}",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
		"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
	};
	struct resp r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		http_raw_keepalive(bad[i], &r);
		assert_int_equal(r.status, 400);
		assert_string_equal(header(&r, "Connection"), "close");
		resp_free(&r);
	}
	/* a lone chunked body is fine */
	http_raw_keepalive("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	                   "Transfer-Encoding: chunked\r\n\r\n"
	                   "2a\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"pa\r\n"
	                   "14\r\nrams\":[20,22]}      \r\n0\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"result\":42"));
	resp_free(&r);
}

static void conn_stats(struct fx *f, struct rpc_conn_stats *st)
{
	/* The loop thread writes these; a torn read only delays a poll. */
	rpc_server_conn_stats(f->srv, st);
}

/* Poll (every 10 ms, for up to 10 s) until cond holds. */
#define WAIT_FOR(cond) do { \
	int w_; \
	for (w_ = 0; w_ < 1000 && !(cond); w_++) \
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL); \
} while (0)

/* Returns: 1 when the server has closed fd (EOF or reset), 0 when data
 * came instead; fails after 5 s (the socket's receive timeout). */
static int closed_by_server(int fd)
{
	char c;
	ssize_t got = recv(fd, &c, 1, 0);

	if (got < 0)
		assert_true(errno == ECONNRESET);
	return got <= 0;
}

/* Idle connections past the cap are closed, the longest waiting first,
 * and a new client gets in. */
static void test_conn_cap(void **state)
{
	struct rpc_server_cfg cfg = base_cfg;
	struct rpc_conn_stats st;
	struct fx f;
	json_t *resp;
	int fds[10];
	size_t i;

	(void)state;
	cfg.max_conns = 4;
	cfg.request_timeout_ms = 60000;
	assert_int_equal(fx_start(&f, &cfg), 0);
	for (i = 0; i < 10; i++) {
		fds[i] = connect_local(f.port);
		/* one at a time, so that "longest waiting" is well defined */
		WAIT_FOR((conn_stats(&f, &st), st.accepted == i + 1 && st.open <= 4));
		assert_int_equal(st.accepted, i + 1);
	}
	assert_int_equal(st.open, 4);
	assert_int_equal(st.evicted, 6);
	for (i = 0; i < 6; i++)
		assert_true(closed_by_server(fds[i]));

	resp = rpc_tok(f.port, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\","
	               "\"params\":[1,2]}", NULL);
	assert_int_equal(json_integer_value(json_object_get(resp, "result")), 3);
	json_decref(resp);
	assert_true(closed_by_server(fds[6]));   /* made room for that one */

	for (i = 0; i < 10; i++)
		close(fds[i]);
	WAIT_FOR((conn_stats(&f, &st), st.open == 0));
	assert_int_equal(st.open, 0);
	assert_int_equal(st.timed_out, 0);
	fx_stop(&f);
	fx_free(&f);
}

/* A client that trickles a request in loses the connection at the
 * deadline, however often it sends a byte. */
static void test_request_deadline(void **state)
{
	static const char head[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
	struct rpc_server_cfg cfg = base_cfg;
	struct rpc_conn_stats st;
	struct fx f;
	struct pollfd p;
	json_t *resp;
	size_t sent = 0;
	int fd, closed = 0, i;

	(void)state;
	cfg.request_timeout_ms = 300;
	assert_int_equal(fx_start(&f, &cfg), 0);
	fd = connect_local(f.port);
	/* a byte every 20 ms, for up to 10 s */
	for (i = 0; i < 500 && !closed; i++) {
		char c = sent < sizeof head - 1 ? head[sent] : 'X';

		if (send(fd, &c, 1, MSG_NOSIGNAL) != 1) {
			closed = 1;
			break;
		}
		sent++;
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 20) == 1)
			closed = closed_by_server(fd);
	}
	close(fd);
	assert_true(closed);
	conn_stats(&f, &st);
	assert_int_equal(st.timed_out, 1);

	/* A whole request in time is served, kept-alive connection or not. */
	resp = rpc_tok(f.port, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}", NULL);
	assert_int_equal(json_integer_value(json_object_get(resp, "id")), 1);
	json_decref(resp);
	fx_stop(&f);
	fx_free(&f);
}

struct logs {
	atomic_int lines, emfile, reported;
};

static void count_log(void *ctx, const char *msg)
{
	struct logs *l = ctx;
	const char *n = strstr(msg, " (");

	atomic_fetch_add(&l->lines, 1);
	if (strstr(msg, "rpc: cannot accept a connection: Too many open files"))
		atomic_fetch_add(&l->emfile, 1);
	if (n)   /* "(N times since the last report)" */
		atomic_fetch_add(&l->reported, atoi(n + 2));
}

/* ---- the reader pool: read-only methods off the loop thread ---- */

/* Which thread ran me: true when not the loop thread of my server
 * (ctx is the fx's tctx, the first member of struct fx). */
static void m_where(struct rpc_call *call, json_t *params, void *ctx)
{
	struct fx *f = ctx;
	(void)params;
	rpc_result(call, json_boolean(!pthread_equal(pthread_self(), f->th)));
}

static const struct rpc_method reader_table[] = {
	{ "where", m_where, 0, 0, RPC_F_READONLY, { NULL }, "off the loop?" },
	{ "loopwhere", m_where, 0, 0, 0, { NULL }, "off the loop? (never)" },
	{ "add", m_add, 2, 2, RPC_F_READONLY, { "a", "b", NULL }, "a + b" },
	{ "echo", m_echo, 0, 8, RPC_F_READONLY, { NULL }, "return the params" },
};

/*
 * With readers configured, RPC_F_READONLY methods run on a reader thread
 * and the rest on the loop; answers (results, errors with data) come back
 * in batch order, and a notification still gets none.
 */
static void test_readers(void **state)
{
	struct rpc_server_cfg cfg = base_cfg;
	struct fx f;
	json_t *resp, *e;

	(void)state;
	cfg.readers = 2;
	memset(&f, 0, sizeof f);
	assert_non_null(f.t.base = event_base_new());
	assert_int_equal(rpc_server_new(&f.srv, f.t.base, &cfg, reader_table,
	                                sizeof reader_table / sizeof reader_table[0],
	                                &f.t), 0);
	f.port = rpc_server_port(f.srv);
	assert_int_equal(pthread_create(&f.th, NULL, loop_main, &f), 0);
	for (int round = 0; round < 20; round++) {
		resp = rpc_tok(f.port, "["
		    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"where\"},"
		    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"loopwhere\"},"
		    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"add\",\"params\":[1,\"x\"]},"
		    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[9]},"
		    "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"add\",\"params\":{\"b\":6,\"a\":5}}"
		    "]", NULL);
		assert_int_equal(json_array_size(resp), 4);
		e = json_array_get(resp, 0);
		assert_int_equal(json_integer_value(json_object_get(e, "id")), 1);
		assert_true(json_is_true(json_object_get(e, "result")));
		e = json_array_get(resp, 1);
		assert_int_equal(json_integer_value(json_object_get(e, "id")), 2);
		assert_true(json_is_false(json_object_get(e, "result")));
		e = json_array_get(resp, 2);
		assert_int_equal(json_integer_value(json_object_get(e, "id")), 3);
		e = json_object_get(e, "error");
		assert_int_equal(json_integer_value(json_object_get(e, "code")), RPC_INVALID_PARAMS);
		assert_string_equal(json_string_value(json_object_get(e, "data")), "ints");
		e = json_array_get(resp, 3);
		assert_int_equal(json_integer_value(json_object_get(e, "id")), 5);
		assert_int_equal(json_integer_value(json_object_get(e, "result")), 11);
		json_decref(resp);
	}
	fx_stop(&f);
	fx_free(&f);
}

/* Out of file descriptors: accept() fails, and the server must neither
 * spin on it nor log every failure, and must accept again once it can. */
static void test_accept_errors(void **state)
{
	static const char req[] = "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		"Content-Length: 40\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"echo\"}";
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct rpc_server_cfg cfg = base_cfg;
	struct rpc_conn_stats st;
	struct logs logs = { 0 };
	struct rlimit old, low;
	struct timeval tv = { 5, 0 };
	struct fx f;
	struct resp r;
	uint64_t errors_1s;
	int lines_1s, fd, lowest, connected;

	(void)state;
	cfg.request_timeout_ms = 60000;
	cfg.log = count_log;
	cfg.log_ctx = &logs;
	assert_int_equal(fx_start(&f, &cfg), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	sa.sin_port = htons(f.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	/* No descriptor left below the limit: the server cannot accept. */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	lowest = dup(0);
	assert_true(lowest >= 0);
	close(lowest);
	low = old;
	low.rlim_cur = (rlim_t)lowest;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	connected = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	WAIT_FOR((conn_stats(&f, &st), st.accept_errors > 0 || !connected));
	/* A second in which the connection keeps failing to be accepted. */
	nanosleep(&(struct timespec){ 1, 0 }, NULL);
	conn_stats(&f, &st);
	errors_1s = st.accept_errors;
	lines_1s = atomic_load(&logs.lines);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);

	assert_true(connected);
	assert_true(errors_1s > 0);
	/* paused 100 ms after each failure: no spinning (which would be
	 * thousands), and at most one line a second */
	assert_true(errors_1s <= 40);
	assert_true(lines_1s >= 1 && lines_1s <= 3);
	assert_true(atomic_load(&logs.emfile) >= 1);

	/* The pause ends and the waiting connection is served. */
	send_all(fd, req, sizeof req - 1);
	{
		char buf[1024];
		size_t len = 0;
		ssize_t got;

		while ((got = recv(fd, buf + len, sizeof buf - 1 - len, 0)) > 0)
			len += (size_t)got;
		buf[len] = '\0';
		memset(&r, 0, sizeof r);
		assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &r.status), 1);
		assert_int_equal(r.status, 200);
		assert_non_null(strstr(buf, "\"id\":5"));
	}
	close(fd);
	/* Every failure is reported, the last ones within a second. */
	conn_stats(&f, &st);
	WAIT_FOR((uint64_t)atomic_load(&logs.reported) == st.accept_errors);
	assert_int_equal(atomic_load(&logs.reported), st.accept_errors);
	fx_stop(&f);
	fx_free(&f);
}

/* ---- TLS ---- */

struct tls_files {
	char dir[64], cert[96], key[96];
	X509 *x509;
};

/* A throwaway self-signed P-256 certificate for 127.0.0.1. */
static void tls_files_make(struct tls_files *tf)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	FILE *fp;

	assert_non_null(pkey);
	assert_non_null(x);
	strcpy(tf->dir, "/tmp/ember-rpc-tls-XXXXXX");
	assert_non_null(mkdtemp(tf->dir));
	snprintf(tf->cert, sizeof tf->cert, "%s/cert.pem", tf->dir);
	snprintf(tf->key, sizeof tf->key, "%s/key.pem", tf->dir);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                           (const unsigned char *)"127.0.0.1", -1, -1, 0);
	X509_set_issuer_name(x, name);
	assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);

	fp = fopen(tf->cert, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_X509(fp, x), 1);
	fclose(fp);
	fp = fopen(tf->key, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL), 1);
	fclose(fp);
	EVP_PKEY_free(pkey);
	tf->x509 = x;
}

static void tls_files_remove(struct tls_files *tf)
{
	unlink(tf->cert);
	unlink(tf->key);
	rmdir(tf->dir);
	X509_free(tf->x509);
}

struct https_result {
	struct event_base *base;
	int status;
	char body[1024];
};

static void https_done(struct evhttp_request *req, void *arg)
{
	struct https_result *res = arg;

	if (req) {
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(in);

		res->status = evhttp_request_get_response_code(req);
		if (n >= sizeof res->body)
			n = sizeof res->body - 1;
		evbuffer_remove(in, res->body, n);
		res->body[n] = '\0';
	}
	event_base_loopbreak(res->base);
}

static void test_tls(void **state)
{
	static const char body[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[20,22]}";
	struct tls_files tf;
	struct rpc_server_cfg cfg = base_cfg;
	struct fx f;
	struct https_result res = { 0 };
	SSL_CTX *cctx;
	SSL *ssl;
	X509 *peer;
	struct bufferevent *bev;
	struct evhttp_connection *conn;
	struct evhttp_request *req;
	json_t *j;

	(void)state;
	tls_files_make(&tf);
	cfg.tls_cert = tf.cert;
	cfg.tls_key = tf.key;
	assert_int_equal(fx_start(&f, &cfg), 0);

	res.base = event_base_new();
	cctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(cctx);
	ssl = SSL_new(cctx);
	bev = bufferevent_openssl_socket_new(res.base, -1, ssl,
	                                     BUFFEREVENT_SSL_CONNECTING,
	                                     BEV_OPT_CLOSE_ON_FREE |
	                                     BEV_OPT_DEFER_CALLBACKS);
	assert_non_null(bev);
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	conn = evhttp_connection_base_bufferevent_new(res.base, NULL, bev,
	                                              "127.0.0.1", f.port);
	assert_non_null(conn);
	evhttp_connection_set_timeout(conn, 5);
	req = evhttp_request_new(https_done, &res);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "application/json");
	evbuffer_add(evhttp_request_get_output_buffer(req), body, sizeof body - 1);
	assert_int_equal(evhttp_make_request(conn, req, EVHTTP_REQ_POST, "/"), 0);
	event_base_dispatch(res.base);

	assert_int_equal(res.status, 200);
	j = json_loads(res.body, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "result")), 42);
	json_decref(j);
	/* the server presented our certificate, over TLS 1.2 or later */
	peer = SSL_get1_peer_certificate(ssl);
	assert_non_null(peer);
	assert_int_equal(X509_cmp(peer, tf.x509), 0);
	assert_true(SSL_version(ssl) >= TLS1_2_VERSION);
	X509_free(peer);

	evhttp_connection_free(conn);
	SSL_CTX_free(cctx);
	event_base_free(res.base);
	fx_stop(&f);
	fx_free(&f);
	tls_files_remove(&tf);
}

static int group_setup(void **state)
{
	(void)state;
	return fx_start(&g, &base_cfg);
}

static int group_teardown(void **state)
{
	(void)state;
	fx_stop(&g);
	fx_free(&g);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_batch_order),
		cmocka_unit_test(test_notifications),
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test(test_invalid_request),
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_method_not_found),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_http_routes),
		cmocka_unit_test(test_root_route),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_client_gone),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_free_pending),
		cmocka_unit_test(test_when_idle),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_batch_precount),
		cmocka_unit_test(test_reply_cap),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_conn_cap),
		cmocka_unit_test(test_request_deadline),
		cmocka_unit_test(test_accept_errors),
		cmocka_unit_test(test_readers),
		cmocka_unit_test(test_tls),
	};
	int rc;

	/* A reply written to a client that hung up must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	libevent_global_shutdown();
	return rc;
}
