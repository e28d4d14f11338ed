/*
 * server.c - the generic JSON-RPC 2.0 layer over libevent's evhttp (rpc.h).
 *
 * One HTTP request becomes one struct rpc_req holding a struct rpc_call per
 * call of the batch.  Calls are validated and dispatched in order; the reply
 * goes out when the request's pending count reaches zero, which happens
 * inside the dispatch loop when every handler answers at once, or later
 * from whatever event an asynchronous handler waits on.  Response slots
 * stay in batch order whatever order the answers arrive in.
 *
 * Each answer is serialized as it arrives and kept as text: the reply is
 * those texts joined, its size is known before it is built (max_reply),
 * and a batch holds no tree of its answers.
 *
 * Lifetime of the evhttp_request.  libevent 2.1 stops reading a connection
 * once a request body is complete and starts again only after the reply, so
 * a client that leaves while a call is pending is noticed when the reply is
 * written, and libevent then frees connection and request itself.  The only
 * way a pending evhttp_request is freed behind our back is its connection
 * being freed (evhttp_free in rpc_server_free, or a libevent that watches
 * for EOF); the connection layer (rpc_conn.c) reports that while a request
 * is pending, which clears rq->http so later answers are dropped and the
 * rpc_req is freed with the last one.  Writing to a vanished client can
 * raise SIGPIPE: the process must ignore it.  A handler must not free the
 * server it runs under (defer that to the loop).
 *
 * Counters: requests are JSON-RPC POSTs (GET routes are not counted), calls
 * the call objects in them, errors every error answer including the
 * request-level ones (parse error, bad batch) and those of notifications.
 *
 * Latency: each call whose handler is dispatched is timed from the
 * dispatch to its answer, on the loop's monotonic clock, into its
 * method's histogram (hist.h); a read-only method's time includes its wait
 * in the readers' queue and the trip back to the loop, which is what a
 * client sees.  Calls refused before dispatch (bad form, unknown method,
 * auth, arity, a full reply) are not timed.  Both ends run on the loop, so
 * the histograms need no lock.
 *
 * Every byte a client sent that is echoed in an error message passes
 * through clean(), so the wire only ever carries printable ASCII from us.
 *
 * JSON-RPC 1.0, as bitcoind speaks it: a call without "jsonrpc" (or with
 * "1.0") is answered in that form, {"result":..,"error":..,"id":..} with
 * one of the two null, and always, since 1.0 has no notifications.
 * Request-level errors (the body is not JSON at all) go out in 2.0 form:
 * there is no call to say which form was wanted, and both forms carry
 * "error".
 *
 * Auth: HTTP Basic with the configured user and token (bitcoind's cookie,
 * which curl --user and bitcoind client libraries send), or a bearer
 * token.  Both sides are compared as SHA-256 digests with sodium_memcmp,
 * so neither content nor length leaks through timing.
 */
#include "ember/rpc.h"
#include "ember/hist.h"
#include "rpc_conn_internal.h"
#include "rpc_readers_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <sodium.h>

#define RPC_TIMEOUT_S 30               /* a reply not read in this long is dropped */
#define RPC_MAX_HEADERS (16u * 1024)
#define RPC_NAME_SHOWN 64              /* longest client name echoed back */
#define RPC_NAME_BUF (RPC_NAME_SHOWN + 4)
#define RPC_MSG_MAX 512                /* longest error message */
#define RPC_TRIM_AFTER (1u << 20)      /* body or reply size that frees memory back */
#define RPC_AUTH_MAX 1024              /* longest decoded Basic credentials */
#define RPC_COOKIE_USER "__cookie__"   /* bitcoind's user name for the cookie */
#define TOO_LARGE_FMT "response too large: the replies to this request " \
	"pass %zu bytes; send fewer calls per batch"

struct rpc_route {
	struct rpc_route *next;
	rpc_route_cb cb;
	rpc_tree_cb tree;  /* set instead of cb: path is a prefix */
	void *ctx;
	char path[];
};

struct rpc_call {
	struct rpc_req *rq;
	json_t *id;        /* owned; json null until a valid id is seen */
	char *text;        /* owned serialized response once answered; NULL
	                    * for a notification or when memory ran out */
	size_t len;
	int notify;        /* valid 2.0 call without "id": answer is dropped */
	int v1;            /* JSON-RPC 1.0 style: answer in that form */
	int answered;
	int refused;       /* not run: the reply was full already */
	const struct rpc_method *m;   /* set when the handler is dispatched */
	uint64_t t0_us;    /* ... at this monotonic time */
};

struct rpc_req {
	struct rpc_server *srv;        /* NULL once the server is freed */
	struct evhttp_request *http;   /* NULL once the connection is gone */
	struct rpc_conn *conn;         /* NULL once gone, or untracked */
	int closecb;                   /* untracked: our close callback is set */
	struct rpc_req *prev, *next;   /* in srv->pending */
	size_t ncalls;
	size_t pending;                /* unanswered calls, +1 while dispatching */
	size_t max_reply;
	size_t reply_bytes;            /* of the answers kept, <= max_reply */
	int too_large;                 /* an answer passed max_reply */
	int batch;
	int auth;                      /* -1: not checked yet, else 0/1 */
	struct rpc_call calls[];
};

struct rpc_server {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	SSL_CTX *ssl;
	const struct rpc_method *table;
	size_t n;
	void *ctx;
	int has_token;
	unsigned char token_hash[SHA256_DIGEST_LENGTH];
	unsigned char user_hash[SHA256_DIGEST_LENGTH];   /* Basic auth's user */
	size_t max_body, max_batch, max_reply;
	uint16_t port;
	struct rpc_stats stats;
	struct rpc_route *routes;
	struct rpc_req *pending;       /* requests with unanswered calls */
	struct rpc_conns *conns;
	struct rpc_readers *readers;   /* NULL: read methods run on the loop */
	struct ember_hist *lat;        /* per method, n + 1 ("help" last) */
};

/* Buckets of the per-method latency, 100 us to 10 s. */
static const uint64_t lat_le_us[] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 5000000, 10000000
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void call_timed(struct rpc_server *s, const struct rpc_call *c);

/*
 * Copy at most max bytes of src into dst (cap > max + 3), replacing every
 * byte that is not printable ASCII with '?' and marking a cut with "...".
 */
static void clean(char *dst, size_t cap, const char *src, size_t max)
{
	size_t i = 0;

	if (max > cap - 4)
		max = cap - 4;
	for (; src[i] && i < max; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	if (src[i]) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}

static json_t *error_obj(int code, json_t *data, const char *fmt, va_list ap)
{
	char raw[RPC_MSG_MAX], msg[RPC_MSG_MAX];
	json_t *err;

	vsnprintf(raw, sizeof raw, fmt, ap);
	clean(msg, sizeof msg, raw, sizeof msg);
	err = json_pack("{s:i, s:s}", "code", code, "message", msg);
	if (err && data)
		json_object_set(err, "data", data);
	json_decref(data);
	return err;
}

/*
 * A new response object for id (borrowed) with value (stolen) under key
 * ("result" or "error"); v1: in JSON-RPC 1.0 form, where the other key is
 * there too, null.  Returns: the object, or NULL (no memory).
 */
static json_t *response_new(json_t *id, const char *key, json_t *value, int v1)
{
	if (!value)
		return NULL;
	if (v1)
		return json_pack("{s:o, s:o, s:O}", "result",
		                 key[0] == 'r' ? value : json_null(), "error",
		                 key[0] == 'e' ? value : json_null(), "id", id);
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, key,
	                 value);
}

static int dump_to_evbuffer(const char *chunk, size_t len, void *buf)
{
	return evbuffer_add(buf, chunk, len);
}

static void send_json(struct evhttp_request *req, json_t *out)
{
	struct evbuffer *buf = evbuffer_new();

	if (!buf || json_dump_callback(out, dump_to_evbuffer, buf,
	                               JSON_COMPACT) != 0) {
		evbuffer_free(buf);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "application/json");
	evhttp_send_reply(req, HTTP_OK, "OK", buf);
	evbuffer_free(buf);
}

/* A request-level error: the body was unusable, so there are no calls. */
static void send_request_error(struct rpc_server *s, struct evhttp_request *req,
                               int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void send_request_error(struct rpc_server *s, struct evhttp_request *req,
                               int code, const char *fmt, ...)
{
	va_list ap;
	json_t *out;

	va_start(ap, fmt);
	out = response_new(json_null(), "error", error_obj(code, NULL, fmt, ap), 0);
	va_end(ap);
	s->stats.errors++;
	if (!out) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	send_json(req, out);
	json_decref(out);
}

static void req_unlink(struct rpc_req *rq)
{
	if (!rq->srv)
		return;
	if (rq->prev)
		rq->prev->next = rq->next;
	else
		rq->srv->pending = rq->next;
	if (rq->next)
		rq->next->prev = rq->prev;
}

static void text_free(const void *data, size_t len, void *extra)
{
	(void)len;
	(void)extra;
	free((void *)data);
}

/*
 * The reply body into buf: the answers' texts in call order, in an array
 * for a batch; the texts move into buf.  Returns: the number of answers,
 * or -1 when one is missing (memory ran out while answering).
 */
static long reply_build(struct rpc_req *rq, struct evbuffer *buf)
{
	long n = 0;
	size_t i;

	if (rq->batch && evbuffer_add(buf, "[", 1) != 0)
		return -1;
	for (i = 0; i < rq->ncalls; i++) {
		struct rpc_call *c = &rq->calls[i];

		if (c->notify)
			continue;
		if (!c->text || (n > 0 && evbuffer_add(buf, ",", 1) != 0) ||
		    evbuffer_add_reference(buf, c->text, c->len, text_free,
		                           NULL) != 0)
			return -1;
		c->text = NULL;
		n++;
	}
	if (rq->batch && evbuffer_add(buf, "]", 1) != 0)
		return -1;
	return n;
}

/* Every call has answered: reply (if the client is still there), free rq. */
static void req_finish(struct rpc_req *rq)
{
	struct evhttp_request *req = rq->http;
	size_t i;

	rpc_conn_watch(rq->conn, NULL, NULL);
	if (req && rq->closecb) {
		struct evhttp_connection *evcon = evhttp_request_get_connection(req);

		if (evcon)
			evhttp_connection_set_closecb(evcon, NULL, NULL);
	}
	if (req) {
		struct evbuffer *buf = evbuffer_new();
		long n = buf ? reply_build(rq, buf) : -1;

		/* Only notifications: HTTP 204 and no body. */
		if (n < 0) {
			evhttp_send_error(req, HTTP_INTERNAL, NULL);
		} else if (n == 0) {
			evhttp_send_reply(req, HTTP_NOCONTENT, "No Content", NULL);
		} else {
			evhttp_add_header(evhttp_request_get_output_headers(req),
			                  "Content-Type", "application/json");
			evhttp_send_reply(req, HTTP_OK, "OK", buf);
		}
		evbuffer_free(buf);
		if (rq->reply_bytes >= RPC_TRIM_AFTER)
			rpc_conn_trim_after(rq->conn);
	}
	req_unlink(rq);
	for (i = 0; i < rq->ncalls; i++) {
		json_decref(rq->calls[i].id);
		free(rq->calls[i].text);
	}
	free(rq);
}

static json_t *error_obj_f(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static json_t *error_obj_f(int code, const char *fmt, ...)
{
	va_list ap;
	json_t *err;

	va_start(ap, fmt);
	err = error_obj(code, NULL, fmt, ap);
	va_end(ap);
	return err;
}

/*
 * Keep c's answer as text.  One that would take the reply past max_reply
 * gives way to RPC_ERR_TOO_LARGE, and the calls not yet run will not run
 * but get that error too; those errors are not counted (they are short,
 * and they must get through).
 * Returns: 1 when the answer was replaced by that error.
 */
static int call_keep(struct rpc_call *c, json_t *resp)
{
	struct rpc_req *rq = c->rq;
	int replaced = 0;

	c->text = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
	json_decref(resp);
	if (!c->text)
		return 0;
	c->len = strlen(c->text);
	if (c->refused)
		return 0;
	if (c->len > rq->max_reply - rq->reply_bytes) {
		free(c->text);
		rq->too_large = replaced = 1;
		resp = response_new(c->id, "error", error_obj_f(RPC_ERR_TOO_LARGE,
		                    TOO_LARGE_FMT, rq->max_reply), c->v1);
		c->text = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
		c->len = c->text ? strlen(c->text) : 0;
		json_decref(resp);
	} else {
		rq->reply_bytes += c->len;
	}
	return replaced;
}

/* resp: stolen (NULL when the answer is dropped or memory ran out). */
static void call_done(struct rpc_call *c, json_t *resp, int is_error)
{
	struct rpc_req *rq = c->rq;

	c->answered = 1;
	call_timed(rq->srv, c);
	if (c->notify)
		json_decref(resp);
	else if (call_keep(c, resp))
		is_error = 1;
	if (is_error && rq->srv)
		rq->srv->stats.errors++;
	if (--rq->pending == 0)
		req_finish(rq);
}

/* Answering twice is a handler bug: abort in debug builds, ignore otherwise. */
static int answered_twice(const struct rpc_call *call)
{
	assert(!call->answered && "rpc call answered twice");
	return call->answered;
}

void rpc_result(struct rpc_call *call, json_t *result)
{
	/* On a reader thread the answer is only recorded (rpc_readers.c). */
	if (rpc_readers_capture(call, result ? result : json_null(), 0))
		return;
	if (answered_twice(call)) {
		json_decref(result);
		return;
	}
	if (!result)
		result = json_null();
	if (call->notify) {
		json_decref(result);
		call_done(call, NULL, 0);
		return;
	}
	call_done(call, response_new(call->id, "result", result, call->v1), 0);
}

/* Answer call with the error object err (stolen). */
static void call_error_obj(struct rpc_call *call, json_t *err)
{
	if (answered_twice(call)) {
		json_decref(err);
		return;
	}
	if (call->notify) {
		json_decref(err);
		call_done(call, NULL, 1);
		return;
	}
	call_done(call, response_new(call->id, "error", err, call->v1), 1);
}

static void call_error_v(struct rpc_call *call, int code, json_t *data,
                         const char *fmt, va_list ap)
{
	json_t *err = error_obj(code, data, fmt, ap);

	/* On a reader thread the answer is only recorded (rpc_readers.c). */
	if (rpc_readers_capture(call, err, 1))
		return;
	call_error_obj(call, err);
}

/* Loop thread: the answer a reader recorded for call (rpc_readers.c). */
static void reader_deliver(struct rpc_call *call, json_t *resp, int is_error)
{
	if (!resp)
		rpc_error(call, RPC_INTERNAL_ERROR, "%s", is_error ?
		          "method not run: the server is stopping" :
		          "method did not answer");
	else if (is_error)
		call_error_obj(call, resp);
	else
		rpc_result(call, resp);
}

void rpc_error(struct rpc_call *call, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	call_error_v(call, code, NULL, fmt, ap);
	va_end(ap);
}

void rpc_error_data(struct rpc_call *call, int code, json_t *data,
                    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	call_error_v(call, code, data, fmt, ap);
	va_end(ap);
}

/* The built-in "help": every method with its parameters, or just one. */
static void help_fn(struct rpc_call *call, json_t *params, void *ctx);

static const struct rpc_method help_method = {
	"help", help_fn, 0, 1, RPC_F_READONLY, { "method", NULL },
	"list the methods, or describe one"
};

/* A dispatched call has answered: time it into its method's histogram. */
static void call_timed(struct rpc_server *s, const struct rpc_call *c)
{
	size_t i;

	if (!s || !c->m || !s->lat)
		return;
	i = c->m == &help_method ? s->n : (size_t)(c->m - s->table);
	if (i <= s->n)
		ember_hist_observe(&s->lat[i], mono_us() - c->t0_us);
}

static json_t *help_entry(const struct rpc_method *m)
{
	json_t *names = json_array();
	int i;

	for (i = 0; i < RPC_MAX_PARAMS && m->param_names[i]; i++)
		json_array_append_new(names, json_string(m->param_names[i]));
	return json_pack("{s:s, s:o, s:i, s:i, s:b, s:s}", "name", m->name,
	                 "params", names, "min_params", m->min_params,
	                 "max_params", m->max_params, "auth",
	                 !!(m->flags & RPC_F_AUTH), "help", m->help ? m->help : "");
}

static void help_fn(struct rpc_call *call, json_t *params, void *ctx)
{
	const struct rpc_server *s = call->rq->srv;
	json_t *want = json_array_get(params, 0), *out;
	char name[RPC_NAME_BUF];
	size_t i;

	(void)ctx;
	if (want && !json_is_string(want)) {
		rpc_error(call, RPC_INVALID_PARAMS,
		          "parameter 'method' must be a string");
		return;
	}
	if (want) {
		for (i = 0; i < s->n; i++)
			if (strcmp(s->table[i].name, json_string_value(want)) == 0) {
				rpc_result(call, help_entry(&s->table[i]));
				return;
			}
		clean(name, sizeof name, json_string_value(want), RPC_NAME_SHOWN);
		rpc_error(call, RPC_ERR_NOT_FOUND, "method '%s' not found", name);
		return;
	}
	out = json_array();
	for (i = 0; out && i < s->n; i++)
		json_array_append_new(out, help_entry(&s->table[i]));
	json_array_append_new(out, help_entry(&help_method));
	rpc_result(call, out);
}

static const struct rpc_method *method_find(const struct rpc_server *s,
                                            const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->table[i].name, name) == 0)
			return &s->table[i];
	return strcmp(name, "help") == 0 ? &help_method : NULL;
}

/* Returns: 1 when len bytes at p hash to want (constant time in p). */
static int digest_equal(const void *p, size_t len,
                        const unsigned char want[SHA256_DIGEST_LENGTH])
{
	unsigned char got[SHA256_DIGEST_LENGTH];
	int eq;

	SHA256(p, len, got);
	eq = sodium_memcmp(got, want, sizeof got) == 0;
	sodium_memzero(got, sizeof got);
	return eq;
}

/* Returns: 1 when the base64 credentials b64 are "USER:TOKEN". */
static int basic_ok(const struct rpc_server *s, const char *b64)
{
	unsigned char raw[RPC_AUTH_MAX];
	const unsigned char *colon;
	size_t len;
	int user, pass;

	/* Trailing blanks are allowed (ignore " "), as in a hand-typed header. */
	if (sodium_base642bin(raw, sizeof raw, b64, strlen(b64), " ", &len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		return 0;
	if (!(colon = memchr(raw, ':', len))) {
		sodium_memzero(raw, sizeof raw);
		return 0;
	}
	/* Both compared whatever the first gives, so timing tells nothing
	 * about which one was wrong. */
	user = digest_equal(raw, (size_t)(colon - raw), s->user_hash);
	pass = digest_equal(colon + 1, len - (size_t)(colon + 1 - raw),
	                    s->token_hash);
	sodium_memzero(raw, sizeof raw);
	return user & pass;
}

/*
 * Returns: 1 when the request carries the configured credentials, as
 * "Authorization: Basic base64(USER:TOKEN)" or "Authorization: Bearer
 * TOKEN" (the scheme in any case).
 */
static int req_authorized(struct rpc_req *rq)
{
	const struct rpc_server *s = rq->srv;
	const char *h;

	if (rq->auth >= 0)
		return rq->auth;
	rq->auth = 0;
	h = evhttp_find_header(evhttp_request_get_input_headers(rq->http),
	                       "Authorization");
	if (!s->has_token || !h)
		return 0;
	if (strncasecmp(h, "Basic ", 6) == 0) {
		for (h += 6; *h == ' '; h++)
			;
		rq->auth = basic_ok(s, h);
	} else if (strncasecmp(h, "Bearer ", 7) == 0) {
		for (h += 7; *h == ' '; h++)
			;
		rq->auth = digest_equal(h, strlen(h), s->token_hash);
	}
	return rq->auth;
}

/*
 * By-name params to positional, following m->param_names.  Gaps before the
 * last given name are filled with null.  Returns: a new array, or NULL with
 * the reason in err.
 */
static json_t *params_by_name(const struct rpc_method *m, json_t *obj,
                              char *err, size_t errlen)
{
	const char *key;
	json_t *v, *arr;
	int i, n = 0, last = -1;
	char name[RPC_NAME_BUF];

	while (n < RPC_MAX_PARAMS && m->param_names[n])
		n++;
	json_object_foreach(obj, key, v) {
		for (i = 0; i < n && strcmp(m->param_names[i], key) != 0; i++)
			;
		if (i == n) {
			clean(name, sizeof name, key, RPC_NAME_SHOWN);
			snprintf(err, errlen, "unknown parameter '%s'", name);
			return NULL;
		}
		if (i > last)
			last = i;
	}
	for (i = 0; i < m->min_params && i < n; i++)
		if (!json_object_get(obj, m->param_names[i])) {
			snprintf(err, errlen, "missing parameter '%s'",
			         m->param_names[i]);
			return NULL;
		}
	if (!(arr = json_array())) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i <= last; i++) {
		v = json_object_get(obj, m->param_names[i]);
		json_array_append(arr, v ? v : json_null());
	}
	return arr;
}

static void arity_error(struct rpc_call *c, const struct rpc_method *m,
                        size_t got)
{
	if (m->min_params == m->max_params)
		rpc_error(c, RPC_INVALID_PARAMS,
		          "method '%s' takes %d parameter%s, got %zu", m->name,
		          m->max_params, m->max_params == 1 ? "" : "s", got);
	else
		rpc_error(c, RPC_INVALID_PARAMS,
		          "method '%s' takes %d to %d parameters, got %zu",
		          m->name, m->min_params, m->max_params, got);
}

/* Validate one call and run it.  Every path answers c exactly once. */
static void call_run(struct rpc_call *c, json_t *obj)
{
	struct rpc_server *s = c->rq->srv;
	const struct rpc_method *m;
	json_t *id, *ver, *method, *params, *args;
	char name[RPC_NAME_BUF], err[RPC_MSG_MAX];
	size_t got;

	s->stats.calls++;
	if (!json_is_object(obj)) {
		rpc_error(c, RPC_INVALID_REQUEST, "call is not a JSON object");
		return;
	}
	/* The form first, so that every answer, errors too, comes in the
	 * form the client asked for. */
	ver = json_object_get(obj, "jsonrpc");
	c->v1 = !ver || (json_is_string(ver) &&
	                 strcmp(json_string_value(ver), "1.0") == 0);
	id = json_object_get(obj, "id");
	if (id && !json_is_string(id) && !json_is_number(id) && !json_is_null(id)) {
		rpc_error(c, RPC_INVALID_REQUEST,
		          "'id' must be a string, a number or null");
		return;
	}
	if (id)
		c->id = json_incref(id);
	if (!c->v1 && (!json_is_string(ver) ||
	               strcmp(json_string_value(ver), "2.0") != 0)) {
		rpc_error(c, RPC_INVALID_REQUEST, "'jsonrpc' must be \"2.0\" (or "
		          "\"1.0\" or absent for a JSON-RPC 1.0 call)");
		return;
	}
	method = json_object_get(obj, "method");
	if (!json_is_string(method)) {
		rpc_error(c, RPC_INVALID_REQUEST, "'method' must be a string");
		return;
	}
	params = json_object_get(obj, "params");
	if (params && !json_is_array(params) && !json_is_object(params)) {
		rpc_error(c, RPC_INVALID_REQUEST,
		          "'params' must be an array or an object");
		return;
	}
	c->notify = !id && !c->v1;

	clean(name, sizeof name, json_string_value(method), RPC_NAME_SHOWN);
	if (!(m = method_find(s, json_string_value(method)))) {
		rpc_error(c, RPC_METHOD_NOT_FOUND, "method '%s' not found", name);
		return;
	}
	if ((m->flags & RPC_F_AUTH) && !req_authorized(c->rq)) {
		rpc_error(c, RPC_ERR_UNAUTHORIZED,
		          "method '%s' needs authorization: send HTTP Basic auth "
		          "with the node's cookie, as curl --user \"$(cat "
		          "DATADIR/.cookie)\" does, or with its --rpc-user login",
		          m->name);
		return;
	}
	if (!params)
		args = json_array();
	else if (json_is_object(params))
		args = params_by_name(m, params, err, sizeof err);
	else
		args = json_incref(params);
	if (!args) {
		rpc_error(c, RPC_INVALID_PARAMS, "%s", err);
		return;
	}
	got = json_array_size(args);
	if (got < (size_t)m->min_params || got > (size_t)m->max_params) {
		arity_error(c, m, got);
	} else if (c->rq->too_large) {
		/* Earlier answers filled the reply: this call does not run. */
		c->refused = 1;
		rpc_error(c, RPC_ERR_TOO_LARGE, TOO_LARGE_FMT, c->rq->max_reply);
	} else if ((m->flags & RPC_F_READONLY) && s->readers) {
		/* Off the loop: the reader gets a private copy of its params,
		 * since the request's JSON stays the loop's. */
		json_t *copy = json_deep_copy(args);
		c->m = m;
		c->t0_us = mono_us();
		if (!copy || rpc_readers_submit(s->readers, m->fn, c, copy, s->ctx))
			rpc_error(c, RPC_ERR_BUSY, "too many reads in flight; try again");
	} else {
		c->m = m;
		c->t0_us = mono_us();
		m->fn(c, args, s->ctx);
	}
	json_decref(args);
}

/* The client's connection is being freed with calls still pending. */
static void on_conn_gone(void *arg)
{
	struct rpc_req *rq = arg;

	rq->conn = NULL;
	/* A request still attached is freed along with the connection.  One
	 * libevent has detached first (its EOF path) stays ours: replying to
	 * it later is what frees it, so keep it. */
	if (rq->http && evhttp_request_get_connection(rq->http))
		rq->http = NULL;
}

/* The same for a connection the connection layer could not track (memory
 * ran out when it opened). */
static void on_untracked_close(struct evhttp_connection *evcon, void *arg)
{
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	on_conn_gone(arg);
}

/*
 * The number of elements of the JSON array that p (n bytes) starts with,
 * counted without parsing and only up to max + 1: strings (with their
 * escapes) and nested values are skipped, commas at the top level
 * counted.  0 when p does not start with '[' or the array is empty.
 * Exact for valid JSON; for invalid JSON a guess that the parser's error
 * then overrides.
 */
static size_t batch_count(const char *p, size_t n, size_t max)
{
	size_t i = 0, commas = 0, depth = 0;
	int in_str = 0, seen = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' ||
	                 p[i] == '\r'))
		i++;
	if (i == n || p[i] != '[')
		return 0;
	for (i++; i < n; i++) {
		char ch = p[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
			continue;
		}
		switch (ch) {
		case ' ': case '\t': case '\n': case '\r':
			continue;
		case '"':
			in_str = 1;
			break;
		case '[': case '{':
			depth++;
			break;
		case ']': case '}':
			if (depth == 0)
				return seen ? commas + 1 : 0;
			depth--;
			break;
		case ',':
			if (depth == 0 && ++commas >= max)
				return max + 1;
			break;
		}
		seen = 1;
	}
	return seen ? commas + 1 : 0;
}

/*
 * Parse the body of req.  Returns: 0 with *root (owned), *n calls and
 * *batch set, or -1 after answering the request with an error.
 */
static int req_parse(struct rpc_server *s, struct evhttp_request *req,
                     json_t **root, size_t *n, int *batch)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *body;
	json_error_t jerr;

	*root = NULL;
	*n = 1;
	*batch = 0;
	if (len == 0) {
		send_request_error(s, req, RPC_PARSE_ERROR,
		                   "parse error: empty request body");
		return -1;
	}
	if (!(body = (const char *)evbuffer_pullup(in, -1))) {
		evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
		return -1;
	}
	/* Refuse an oversize batch before parsing it: a body of "{}," costs
	 * the parser about 200 bytes of memory per 3 bytes of input. */
	if (batch_count(body, len, s->max_batch) > s->max_batch) {
		send_request_error(s, req, RPC_INVALID_REQUEST,
		                   "batch exceeds the limit of %zu calls",
		                   s->max_batch);
		return -1;
	}
	*root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	                   &jerr);
	if (!*root) {
		send_request_error(s, req, RPC_PARSE_ERROR,
		                   "parse error at line %d column %d: %s",
		                   jerr.line, jerr.column, jerr.text);
		return -1;
	}
	if (json_is_array(*root)) {
		*batch = 1;
		*n = json_array_size(*root);
		if (*n == 0)
			send_request_error(s, req, RPC_INVALID_REQUEST,
			                   "empty batch");
		else if (*n > s->max_batch)   /* batch_count let it by */
			send_request_error(s, req, RPC_INVALID_REQUEST,
			                   "batch exceeds the limit of %zu calls",
			                   s->max_batch);
		else
			return 0;
	} else if (json_is_object(*root)) {
		return 0;
	} else {
		send_request_error(s, req, RPC_INVALID_REQUEST,
		                   "request must be a JSON object or array");
	}
	json_decref(*root);
	*root = NULL;
	return -1;
}

static void rpc_serve(struct rpc_server *s, struct evhttp_request *req,
                      struct rpc_conn *conn)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in), n, i;
	json_t *root;
	struct rpc_req *rq;
	int batch, rc;

	s->stats.requests++;
	rc = req_parse(s, req, &root, &n, &batch);
	/* The body is not needed past here; evhttp would keep it until the
	 * reply is written. */
	evbuffer_drain(in, len);
	if (len >= RPC_TRIM_AFTER)
		rpc_conn_trim_after(conn);
	if (rc != 0)
		return;
	if (!(rq = calloc(1, sizeof *rq + n * sizeof rq->calls[0]))) {
		json_decref(root);
		evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
		return;
	}
	rq->srv = s;
	rq->http = req;
	rq->conn = conn;
	rq->ncalls = n;
	rq->batch = batch;
	rq->auth = -1;
	rq->max_reply = s->max_reply;
	rq->pending = n + 1;   /* no reply before the whole batch is dispatched */
	rq->next = s->pending;
	if (s->pending)
		s->pending->prev = rq;
	s->pending = rq;
	for (i = 0; i < n; i++) {
		rq->calls[i].rq = rq;
		rq->calls[i].id = json_null();
	}
	for (i = 0; i < n; i++)
		call_run(&rq->calls[i], batch ? json_array_get(root, i) : root);
	json_decref(root);
	if (--rq->pending == 0) {
		req_finish(rq);
		return;
	}
	if (conn) {
		rpc_conn_watch(conn, on_conn_gone, rq);
	} else {
		rq->closecb = 1;
		evhttp_connection_set_closecb(evhttp_request_get_connection(req),
		                              on_untracked_close, rq);
	}
}

static void route_serve(struct rpc_route *r, struct evhttp_request *req,
                        const char *path)
{
	struct evbuffer *body = evbuffer_new();
	const char *type = "text/plain; charset=utf-8";
	int code;

	if (!body) {
		evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
		return;
	}
	if (r->tree)
		code = r->tree(path + strlen(r->path), body, &type, r->ctx);
	else
		code = r->cb(body, &type, r->ctx);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", type);
	/* libevent 2.1 would send the body after a HEAD: send its length. */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		char len[24];

		snprintf(len, sizeof len, "%zu", evbuffer_get_length(body));
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Content-Length", len);
		evbuffer_drain(body, evbuffer_get_length(body));
	}
	evhttp_send_reply(req, code, NULL, body);
	evbuffer_free(body);
}

/* A short plain-text answer; evhttp_send_error would drop our headers. */
static void send_status(struct evhttp_request *req, int code,
                        const char *reason, const char *allow)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *body = evbuffer_new();

	if (!body) {
		evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
		return;
	}
	evbuffer_add_printf(body, "%d %s\n", code, reason);
	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	if (allow)
		evhttp_add_header(h, "Allow", allow);
	evhttp_send_reply(req, code, reason, body);
	evbuffer_free(body);
}

/* The route for path: an exact one, else the tree with the longest prefix. */
static struct rpc_route *route_find(const struct rpc_server *s, const char *path)
{
	struct rpc_route *r, *best = NULL;
	size_t len, best_len = 0;

	for (r = s->routes; r; r = r->next) {
		if (!r->tree) {
			if (strcmp(r->path, path) == 0)
				return r;
		} else if ((len = strlen(r->path)) > best_len &&
		           strncmp(r->path, path, len) == 0) {
			best = r;
			best_len = len;
		}
	}
	return best;
}

/*
 * Returns: 1 when where req's body ends is in doubt (RFC 9112 6.1, 6.3):
 * two Content-Length headers, or Transfer-Encoding along with
 * Content-Length, repeated, or other than a lone "chunked".  evhttp 2.1
 * reads the first Content-Length and "chunked" only; a proxy in front of
 * us may read another, and what one takes for the next request the other
 * takes for this body.
 */
static int framing_ambiguous(struct evhttp_request *req)
{
	const struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const struct evkeyval *kv;
	const char *te = NULL;
	int ncl = 0, nte = 0;

	for (kv = h->tqh_first; kv; kv = kv->next.tqe_next) {
		if (strcasecmp(kv->key, "Content-Length") == 0) {
			ncl++;
		} else if (strcasecmp(kv->key, "Transfer-Encoding") == 0) {
			nte++;
			te = kv->value;
		}
	}
	return ncl > 1 ||
	       (nte && (ncl || nte > 1 || strcasecmp(te, "chunked") != 0));
}

/* Everything arrives here: POST / is JSON-RPC, GET/HEAD go to routes. */
static void on_http(struct evhttp_request *req, void *arg)
{
	struct rpc_server *s = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct rpc_conn *conn = rpc_conns_busy(s->conns, req);
	struct rpc_route *r;
	int root;

	if (framing_ambiguous(req)) {
		/* Whatever follows on the connection cannot be trusted. */
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Connection", "close");
		send_status(req, HTTP_BADREQUEST, "Bad Request", NULL);
		return;
	}
	if (!path) {
		send_status(req, HTTP_NOTFOUND, "Not Found", NULL);
		return;
	}
	if (!*path)
		path = "/";
	root = strcmp(path, "/") == 0;
	r = route_find(s, path);
	if (root && cmd == EVHTTP_REQ_POST) {
		rpc_serve(s, req, conn);
	} else if (r && (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD)) {
		route_serve(r, req, path);
	} else if (r || root) {
		send_status(req, 405, "Method Not Allowed",
		            !r ? "POST" : root ? "GET, HEAD, POST" : "GET, HEAD");
	} else {
		send_status(req, HTTP_NOTFOUND, "Not Found", NULL);
	}
}

static struct bufferevent *tls_bev_new(struct rpc_server *s,
                                       struct event_base *base)
{
	struct bufferevent *bev;
	SSL *ssl = SSL_new(s->ssl);

	if (!ssl)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	                                     BUFFEREVENT_SSL_ACCEPTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (bev)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	else
		SSL_free(ssl);
	return bev;
}

/* Each accepted connection passes here first (evhttp_set_bevcb). */
static struct bufferevent *on_new_conn(struct event_base *base, void *arg)
{
	struct rpc_server *s = arg;
	struct bufferevent *bev;

	/* On NULL evhttp falls back to a plain bufferevent of its own, which
	 * goes untracked, and which a TLS client cannot talk to: only when
	 * memory runs out. */
	if (s->ssl)
		bev = tls_bev_new(s, base);
	else
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev && s->conns)
		(void)rpc_conns_add(s->conns, bev);
	return bev;
}

static void log_stderr(void *ctx, const char *msg)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	(void)ctx;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s\n", ts, msg);
}

/* RPC_MAX_CONNS, or a quarter of the file descriptors when that is less. */
static size_t default_max_conns(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur / 4 >= RPC_MAX_CONNS)
		return RPC_MAX_CONNS;
	return rl.rlim_cur >= 4 ? (size_t)(rl.rlim_cur / 4) : 1;
}

static int tls_setup(struct rpc_server *s, const char *cert, const char *key)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());

	if (!c || !SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) ||
	    SSL_CTX_use_certificate_chain_file(c, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(c) != 1) {
		SSL_CTX_free(c);
		ERR_clear_error();
		return EMBER_EINTERNAL;
	}
	SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION |
	                       SSL_OP_CIPHER_SERVER_PREFERENCE);
	s->ssl = c;
	return 0;
}

/* "HOST:PORT" or "[V6HOST]:PORT".  Returns: 0 or EMBER_EINVAL. */
static int parse_listen(const char *listen, char *host, size_t cap,
                        uint16_t *port)
{
	const char *colon = listen ? strrchr(listen, ':') : NULL;
	const char *h = listen, *p;
	size_t hlen;
	unsigned long v = 0;

	if (!colon || colon == listen || !colon[1])
		return EMBER_EINVAL;
	hlen = (size_t)(colon - listen);
	if (h[0] == '[') {
		if (hlen < 3 || h[hlen - 1] != ']')
			return EMBER_EINVAL;
		h++;
		hlen -= 2;
	}
	if (hlen >= cap)
		return EMBER_EINVAL;
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || (v = v * 10 + (unsigned)(*p - '0')) > 65535)
			return EMBER_EINVAL;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)v;
	return 0;
}

int rpc_server_new(struct rpc_server **out, struct event_base *base,
                   const struct rpc_server_cfg *cfg,
                   const struct rpc_method *table, size_t n, void *ctx)
{
	struct rpc_server *s;
	char host[256];
	uint16_t port;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	struct rpc_conns_cfg ccfg;
	int rc, err;

	if (!out || !base || !cfg || (!table && n))
		return EMBER_EINVAL;
	*out = NULL;
	if (parse_listen(cfg->listen, host, sizeof host, &port) != 0 ||
	    !cfg->tls_cert != !cfg->tls_key)
		return EMBER_EINVAL;
	if (!(s = calloc(1, sizeof *s)))
		return EMBER_ENOMEM;
	s->base = base;
	s->table = table;
	s->n = n;
	s->ctx = ctx;
	s->max_body = cfg->max_body ? cfg->max_body : RPC_MAX_BODY;
	s->max_batch = cfg->max_batch ? cfg->max_batch : RPC_MAX_BATCH;
	s->max_reply = cfg->max_reply ? cfg->max_reply : RPC_MAX_REPLY;
	if (cfg->auth_token) {
		const char *user = cfg->auth_user ? cfg->auth_user : RPC_COOKIE_USER;

		s->has_token = 1;
		SHA256((const unsigned char *)cfg->auth_token,
		       strlen(cfg->auth_token), s->token_hash);
		SHA256((const unsigned char *)user, strlen(user), s->user_hash);
	}
	if (cfg->tls_cert && (rc = tls_setup(s, cfg->tls_cert, cfg->tls_key)) != 0)
		goto fail;
	rc = EMBER_ENOMEM;
	if (!(s->lat = calloc(n + 1, sizeof *s->lat)))
		goto fail;
	for (size_t i = 0; i <= n; i++)
		if (ember_hist_init(&s->lat[i], lat_le_us,
		                    sizeof lat_le_us / sizeof lat_le_us[0]) != 0)
			goto fail;
	if (!(s->http = evhttp_new(base)))
		goto fail;
	evhttp_set_max_body_size(s->http, (ev_ssize_t)s->max_body);
	evhttp_set_max_headers_size(s->http, RPC_MAX_HEADERS);
	evhttp_set_timeout(s->http, RPC_TIMEOUT_S);
	/* Accept every common method so that ours get a 405, not a 501. */
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	                           EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	                           EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
	                           EVHTTP_REQ_PATCH);
	evhttp_set_gencb(s->http, on_http, s);
	evhttp_set_bevcb(s->http, on_new_conn, s);
	if (!(s->sock = evhttp_bind_socket_with_handle(s->http, host, port))) {
		rc = EMBER_EIO;
		goto fail;
	}
	if (getsockname(evhttp_bound_socket_get_fd(s->sock),
	                (struct sockaddr *)&ss, &sl) != 0) {
		rc = EMBER_EIO;
		goto fail;
	}
	memset(&ccfg, 0, sizeof ccfg);
	ccfg.base = base;
	ccfg.http = s->http;
	ccfg.lev = evhttp_bound_socket_get_listener(s->sock);
	ccfg.max_conns = cfg->max_conns ? cfg->max_conns : default_max_conns();
	ccfg.deadline_ms = cfg->request_timeout_ms ? cfg->request_timeout_ms
	                                           : RPC_REQUEST_TIMEOUT_MS;
	ccfg.log = cfg->log ? cfg->log : log_stderr;
	ccfg.log_ctx = cfg->log_ctx;
	if ((rc = rpc_conns_new(&s->conns, &ccfg)) != 0)
		goto fail;
	if (cfg->readers &&
	    (rc = rpc_readers_new(&s->readers, base, cfg->readers, 0,
	                          reader_deliver)) != 0)
		goto fail;
	s->port = ntohs(ss.ss_family == AF_INET6
	                ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                : ((struct sockaddr_in *)&ss)->sin_port);
	*out = s;
	return 0;
fail:
	err = errno;   /* keep bind's errno for the caller's message */
	rpc_server_free(s);
	errno = err;
	return rc;
}

void rpc_server_free(struct rpc_server *s)
{
	struct rpc_req *rq, *next;
	struct rpc_route *r, *rn;

	if (!s)
		return;
	/* Pending requests outlive the server: their late answers are
	 * dropped and the last one frees them.  evhttp_free frees the
	 * evhttp_requests and closes the connections, so forget them
	 * first. */
	for (rq = s->pending; rq; rq = next) {
		next = rq->next;
		if (rq->http && rq->closecb) {
			struct evhttp_connection *evcon =
				evhttp_request_get_connection(rq->http);
			if (evcon)
				evhttp_connection_set_closecb(evcon, NULL, NULL);
		}
		rq->http = NULL;
		rq->conn = NULL;
		rq->srv = NULL;
		rq->prev = rq->next = NULL;
	}
	/* Readers stop; their answers go to requests that no longer have
	 * a server, which drop them and free themselves. */
	rpc_readers_free(s->readers);
	rpc_conns_free(s->conns);
	if (s->http)
		evhttp_free(s->http);
	SSL_CTX_free(s->ssl);
	for (r = s->routes; r; r = rn) {
		rn = r->next;
		free(r);
	}
	free(s->lat);
	free(s);
}

void rpc_server_when_idle(struct rpc_server *s, void (*cb)(void *), void *ctx)
{
	if (!s || !s->conns) {
		if (cb)
			cb(ctx);
		return;
	}
	rpc_conns_when_idle(s->conns, cb, ctx);
}

uint16_t rpc_server_port(const struct rpc_server *s)
{
	return s ? s->port : 0;
}

static int route_add(struct rpc_server *s, const char *path, rpc_route_cb cb,
                     rpc_tree_cb tree, void *ctx)
{
	struct rpc_route *r;
	size_t len;

	for (r = s->routes; r; r = r->next)
		if (strcmp(r->path, path) == 0)
			return EMBER_EEXIST;
	len = strlen(path);
	if (!(r = malloc(sizeof *r + len + 1)))
		return EMBER_ENOMEM;
	memcpy(r->path, path, len + 1);
	r->cb = cb;
	r->tree = tree;
	r->ctx = ctx;
	r->next = s->routes;
	s->routes = r;
	return 0;
}

int rpc_server_route(struct rpc_server *s, const char *path, rpc_route_cb cb,
                     void *ctx)
{
	if (!s || !path || path[0] != '/' || !cb)
		return EMBER_EINVAL;
	return route_add(s, path, cb, NULL, ctx);
}

int rpc_server_route_tree(struct rpc_server *s, const char *prefix,
                          rpc_tree_cb cb, void *ctx)
{
	size_t len = prefix ? strlen(prefix) : 0;

	if (!s || len < 2 || prefix[0] != '/' || prefix[len - 1] != '/' || !cb)
		return EMBER_EINVAL;
	return route_add(s, prefix, NULL, cb, ctx);
}

void rpc_server_stats(const struct rpc_server *s, struct rpc_stats *out)
{
	if (!out)
		return;
	if (!s) {
		memset(out, 0, sizeof *out);
		return;
	}
	*out = s->stats;
}

int rpc_server_latency(const struct rpc_server *s, size_t i, const char **name,
                       const struct ember_hist **h)
{
	if (!s || !s->lat || i > s->n)
		return 0;
	*name = i == s->n ? help_method.name : s->table[i].name;
	*h = &s->lat[i];
	return 1;
}

void rpc_server_conn_stats(const struct rpc_server *s,
                           struct rpc_conn_stats *out)
{
	if (!out)
		return;
	if (!s || !s->conns) {
		memset(out, 0, sizeof *out);
		return;
	}
	rpc_conns_stats(s->conns, out);
}
