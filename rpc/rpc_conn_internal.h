/*
 * rpc_conn_internal.h - the JSON-RPC server's connections (rpc/ internal):
 * a cap on how many are open, a deadline to send a whole request, eviction
 * of the longest-waiting one at the cap, and accept errors that neither
 * spin nor flood the log.  rpc_conn.c says how it hooks into evhttp.
 *
 * Everything runs on the server's loop thread.
 */
#ifndef EMBER_RPC_CONN_INTERNAL_H
#define EMBER_RPC_CONN_INTERNAL_H

#include <stddef.h>
#include "ember/rpc.h"

struct bufferevent;
struct evconnlistener;
struct evhttp;
struct evhttp_request;

struct rpc_conns;   /* every open connection of one server */
struct rpc_conn;    /* one of them */

struct rpc_conns_cfg {
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *lev;   /* evhttp's listener for the server */
	size_t max_conns;             /* >= 1 */
	unsigned deadline_ms;         /* > 0 */
	rpc_log_cb log;               /* never NULL */
	void *log_ctx;
};

/* Returns: 0 or EMBER_ENOMEM. */
int rpc_conns_new(struct rpc_conns **out, const struct rpc_conns_cfg *cfg);
/* Forget every connection; call before evhttp_free, which closes them. */
void rpc_conns_free(struct rpc_conns *c);

/*
 * From evhttp's bufferevent callback: a connection was accepted and bev
 * made for it.  Returns: 0, or EMBER_ENOMEM when the connection goes
 * untracked (no deadline, not counted).
 */
int rpc_conns_add(struct rpc_conns *c, struct bufferevent *bev);

/*
 * req was read whole: its connection's deadline stops until the reply is
 * written.  Returns: the connection, valid until it closes (see
 * rpc_conn_watch), or NULL for an untracked one.
 */
struct rpc_conn *rpc_conns_busy(struct rpc_conns *c,
                                struct evhttp_request *req);

/* cb(arg) runs once if conn closes before its reply is written; cb NULL
 * cancels.  evhttp frees the connection's attached request after cb. */
void rpc_conn_watch(struct rpc_conn *conn, void (*cb)(void *), void *arg);

/*
 * cb(arg) runs once, on the loop, as soon as no connection is busy (has
 * a request read and its reply not yet written): at once when none is.
 * A later call replaces a callback not yet run; cb NULL cancels.
 */
void rpc_conns_when_idle(struct rpc_conns *c, void (*cb)(void *), void *arg);

/* Hand freed memory back to the system once conn's reply is written (or
 * conn closes): after a large request or reply. */
void rpc_conn_trim_after(struct rpc_conn *conn);

void rpc_conns_stats(const struct rpc_conns *c, struct rpc_conn_stats *out);

#endif
