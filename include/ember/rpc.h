/*
 * rpc.h - JSON-RPC 2.0 server over HTTP (libevent evhttp), generic layer;
 * it answers JSON-RPC 1.0-style calls (no "jsonrpc" member, or "1.0") in
 * their own form, as bitcoind does, so clients written for it work.
 *
 * Methods are a table of struct rpc_method.  The generic layer parses the
 * body, handles batches (a JSON array of calls), checks the method exists,
 * converts by-name params (an object) to positional using the method's
 * param names, checks arity and flags (auth), and only then runs the
 * handler.  Errors follow the spec:
 *   -32700 parse error, -32600 invalid request, -32601 method not found,
 *   -32602 invalid params, -32603 internal error,
 * and application errors use codes from RPC_ERR_* below with a message that
 * says what is wrong.  Notifications (no "id") run but get no response;
 * a 1.0-style call is always answered, with "result" and "error" both
 * present and one of them null.
 *
 * Auth (RPC_F_AUTH methods): "Authorization: Basic base64(USER:TOKEN)"
 * (bitcoind's cookie form, USER "__cookie__" by default) or
 * "Authorization: Bearer TOKEN"; compared in constant time.
 *
 * Handlers may answer later (asynchronously), on the loop thread: a handler
 * must eventually call exactly one of rpc_result() / rpc_error() for its
 * call; the HTTP reply goes out when every call of the request has answered.
 * If the client disconnects first, answers are still accepted and dropped.
 *
 * Other HTTP routes: GET handlers registered with rpc_server_route() (the
 * node serves /metrics and / with them).  Everything runs on the event_base
 * passed in; the server is not thread-safe.
 *
 * TLS: when cert and key paths are given, the listener speaks HTTPS
 * (libevent_openssl bufferevents).
 *
 * Limits:
 *  - open connections (max_conns): at the cap the connection that has
 *    waited longest for a request is closed to make room for a new one;
 *    with none waiting, new clients wait in the kernel's queue.
 *  - a deadline (request_timeout_ms) to send a whole request, head and
 *    body, counted from the accept or from the previous reply: a client
 *    that trickles bytes loses the connection all the same.
 *  - body size (max_body, HTTP 413), batch length (max_batch, counted
 *    before the body is parsed), reply size (max_reply, below).
 *  - a request with two Content-Length headers, or with Transfer-Encoding
 *    along with Content-Length, repeated, or other than "chunked", gets
 *    HTTP 400 and the connection closes (RFC 9112 6.1, 6.3): where its body
 *    ends is ambiguous.
 * Failed accepts (out of file descriptors, say) pause the listener briefly
 * and are logged at most once a second, with a count.
 *
 * Reply size: answers are counted as they arrive, in whatever order
 * asynchronous handlers give them.  An answer that would take the reply
 * past max_reply is replaced by RPC_ERR_TOO_LARGE (its side effects, if
 * any, stand), and from then on the calls not yet run are not run but get
 * the same error.  The reply may thus pass max_reply by those short error
 * objects only.
 */
#ifndef EMBER_RPC_H
#define EMBER_RPC_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "error.h"

struct event_base;
struct evbuffer;

#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603
/* application errors */
#define RPC_ERR_NOT_FOUND -32001     /* block, tx or account not found */
#define RPC_ERR_TX_REJECTED -32002   /* tx refused; message says why */
#define RPC_ERR_UNAUTHORIZED -32003
#define RPC_ERR_BUSY -32004          /* node overloaded, try again */
#define RPC_ERR_TOO_LARGE -32005     /* the reply would pass max_reply */

#define RPC_MAX_PARAMS 8
#define RPC_MAX_BODY (64u * 1024 * 1024)
#define RPC_MAX_BATCH 20000
#define RPC_MAX_REPLY (16u * 1024 * 1024)
#define RPC_MAX_CONNS 512            /* and at most a quarter of RLIMIT_NOFILE */
#define RPC_REQUEST_TIMEOUT_MS 5000

enum rpc_flags {
	/* Reads state only, and only through its own LMDB read txns and
	 * immutable data (the genesis): with readers configured it runs on a
	 * reader thread, never on the loop.  A method that reads loop-owned
	 * state (mempool, consensus) must not carry it. */
	RPC_F_READONLY = 1 << 0,
	RPC_F_AUTH = 1 << 1        /* needs the cookie / configured token */
};

struct rpc_call;   /* one call within a request; opaque */

/* params: a JSON array (never NULL; positional, length within the method's
 * arity), borrowed for the duration of the handler call only (incref to
 * keep).  ctx is the server's ctx. */
typedef void (*rpc_handler)(struct rpc_call *call, json_t *params, void *ctx);

struct rpc_method {
	const char *name;
	rpc_handler fn;
	int min_params;
	int max_params;
	unsigned flags;
	const char *param_names[RPC_MAX_PARAMS];   /* for by-name params; NULL-terminated */
	const char *help;                           /* one line, for "help" */
};

/* Answer a call.  result is stolen (json_decref'd by the server). */
void rpc_result(struct rpc_call *call, json_t *result);
/* Answer with an error; message is printf-formatted. */
void rpc_error(struct rpc_call *call, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with a "data" member (stolen). */
void rpc_error_data(struct rpc_call *call, int code, json_t *data,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

struct rpc_server;

/* One line to log, without its newline; ctx is rpc_server_cfg.log_ctx. */
typedef void (*rpc_log_cb)(void *ctx, const char *msg);

struct rpc_server_cfg {
	const char *listen;          /* "HOST:PORT"; port 0 picks a free one */
	const char *auth_token;      /* the secret: the Basic password, or the
	                              * bearer token; NULL: RPC_F_AUTH methods
	                              * always refused */
	const char *auth_user;       /* Basic auth's user; NULL: "__cookie__" */
	const char *tls_cert;        /* PEM paths; both NULL for plain HTTP */
	const char *tls_key;
	size_t max_body;             /* 0: RPC_MAX_BODY */
	size_t max_batch;            /* 0: RPC_MAX_BATCH */
	size_t max_reply;            /* bytes; 0: RPC_MAX_REPLY */
	size_t max_conns;            /* 0: RPC_MAX_CONNS, or RLIMIT_NOFILE / 4
	                              * when that is less (read at creation) */
	unsigned request_timeout_ms; /* 0: RPC_REQUEST_TIMEOUT_MS */
	unsigned readers;            /* threads for RPC_F_READONLY methods;
	                              * 0: every method runs on the loop */
	rpc_log_cb log;              /* NULL: stderr, with a UTC timestamp */
	void *log_ctx;
};

/*
 * Create and bind.  table (n entries) must outlive the server.  A built-in
 * "help" method lists the table.  Returns: 0, EMBER_EIO (bind failed; errno
 * set), EMBER_EINVAL (bad listen string), EMBER_ENOMEM, EMBER_EINTERNAL (TLS).
 */
EMBER_WUR int rpc_server_new(struct rpc_server **out, struct event_base *base,
                             const struct rpc_server_cfg *cfg,
                             const struct rpc_method *table, size_t n,
                             void *ctx);
void rpc_server_free(struct rpc_server *s);
/*
 * cb(ctx) runs once, on the loop, when no request is being answered (read
 * whole, its reply not yet written out): at once when none is.  For a
 * clean stop that lets replies in flight, the "stop" call's own
 * included, reach their clients before the loop ends; the caller bounds
 * the wait (a client that never reads meets evhttp's timeout only).  A
 * later call replaces a callback not yet run; cb NULL cancels.
 */
void rpc_server_when_idle(struct rpc_server *s, void (*cb)(void *), void *ctx);

/* Port actually bound. */
uint16_t rpc_server_port(const struct rpc_server *s);

/* GET route: cb fills body and sets *content_type (static string); returns
 * an HTTP status (200, 404, ...). */
typedef int (*rpc_route_cb)(struct evbuffer *body, const char **content_type,
                            void *ctx);
EMBER_WUR int rpc_server_route(struct rpc_server *s, const char *path,
                               rpc_route_cb cb, void *ctx);
/*
 * GET route for every path that starts with prefix ("/files/": it ends in
 * '/' and is not "/"), unless an exact route matches.  cb gets rest, the
 * path after the prefix ("" for the prefix itself), exactly as the client
 * sent it: not percent-decoded, nor checked for "..".  Of two trees the
 * longer prefix wins.  Returns: 0, EMBER_EINVAL, EMBER_EEXIST (a route with
 * that path), EMBER_ENOMEM.
 */
typedef int (*rpc_tree_cb)(const char *rest, struct evbuffer *body,
                           const char **content_type, void *ctx);
EMBER_WUR int rpc_server_route_tree(struct rpc_server *s, const char *prefix,
                                    rpc_tree_cb cb, void *ctx);

/* Counters for /metrics. */
struct rpc_stats {
	uint64_t requests, calls, errors;
};
void rpc_server_stats(const struct rpc_server *s, struct rpc_stats *out);

/*
 * Latency of method i (0 .. n-1: the table's, n: the built-in "help"):
 * every dispatched call timed from dispatch to answer, a read-only
 * method's wait for a reader included (server.c says which calls count).
 * Returns: 1 with *name (the table's string) and *h (valid until the loop
 * runs again) set, 0 when i is past the last method.  Loop thread.
 */
struct ember_hist;
int rpc_server_latency(const struct rpc_server *s, size_t i, const char **name,
                       const struct ember_hist **h);

/* Connection counters: open now, and since the start. */
struct rpc_conn_stats {
	uint64_t open;
	uint64_t accepted;
	uint64_t timed_out;       /* no whole request before the deadline */
	uint64_t evicted;         /* closed at the cap to make room */
	uint64_t accept_errors;   /* failed accept() calls */
};
void rpc_server_conn_stats(const struct rpc_server *s,
                           struct rpc_conn_stats *out);

#endif
