/*
 * rpc_conn.c - the JSON-RPC server's connections (rpc_conn_internal.h).
 *
 * evhttp 2.1 accepts and frees its connections by itself and has no cap,
 * no deadline for a whole request and no say over accept errors: each is
 * added here from outside, with public calls only.
 *
 *  - evhttp's bufferevent callback runs once per accepted connection,
 *    before evhttp has wrapped it: rpc_conns_add records the bufferevent.
 *    One callback later the connection is whole and its evhttp_connection
 *    is the bufferevent's callback argument, which is how evhttp wires its
 *    bufferevents in every 2.x release (checked against
 *    evhttp_connection_get_bufferevent).  Until then a reference keeps the
 *    bufferevent alive, so the look stays safe if evhttp dropped the
 *    connection in between (it does so only when memory runs out).
 *  - the close callback reports every close; a connection we close
 *    ourselves is forgotten first, so each is released exactly once.
 *  - a request read whole stops the deadline (rpc_conns_busy); its reply
 *    written (the request's on-complete callback) restarts it, for the
 *    next request on a kept-alive connection.
 *
 * Connections waiting for a request ("idle", which includes one that is
 * trickling a request in) sit in a list ordered by when they began to
 * wait; at the cap the head of that list is closed.  Busy connections are
 * never closed here: a slow reader of a reply meets evhttp's own timeout.
 * Over the cap with nobody to close, the listener pauses and new clients
 * wait in the kernel's queue until a connection closes or goes idle.
 *
 * Idle callback (rpc_conns_when_idle): run once the busy list is empty,
 * checked wherever a connection leaves it, so a node that stops can let
 * the replies in flight, "stop"'s own among them, reach their clients.
 *
 * Accept errors.  libevent calls a listener's error callback with evhttp's
 * pointer, not ours, and evhttp gives no way back to its owner, so servers
 * are found by listener in a short list (servers may live on several loop
 * threads, hence its lock).  An error pauses the listener for
 * RPC_ACCEPT_PAUSE_MS: on EMFILE the connection stays queued and the
 * socket readable, and without the pause the loop would spin on accept().
 */
#include "rpc_conn_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#define RPC_ACCEPT_PAUSE_MS 100
#define RPC_ACCEPT_LOG_MS 1000   /* at most one accept-error line per period */

struct rpc_conn {
	struct rpc_conns *c;
	struct rpc_conn *prev, *next;      /* in c->idle or c->busy */
	struct bufferevent *bev;           /* referenced until attached */
	struct evhttp_connection *evcon;   /* NULL until attached */
	struct event *ev;                  /* attach, then the deadline */
	int busy;
	int trim;
	void (*watch)(void *);
	void *watch_arg;
};

struct rpc_conn_list {
	struct rpc_conn *head, *tail;
};

struct rpc_conns {
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *lev;
	size_t max, n, nidle;
	struct timeval deadline;
	struct rpc_conn_list idle, busy;   /* idle: longest waiting first */
	rpc_log_cb log;
	void *log_ctx;
	int listening;                     /* as last set by us */
	int paused;                        /* after an accept error */
	struct event *pause_ev;
	uint64_t unlogged;                 /* accept errors not logged yet */
	int last_err;
	uint64_t logged_ms;                /* when the last line went out */
	struct rpc_conn_stats st;
	struct rpc_conns *next_all;        /* in conns_all */
	void (*idle_cb)(void *);           /* once busy is empty; then NULL */
	void *idle_arg;
};

static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rpc_conns *conns_all;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void list_append(struct rpc_conn_list *l, struct rpc_conn *x)
{
	x->next = NULL;
	x->prev = l->tail;
	if (l->tail)
		l->tail->next = x;
	else
		l->head = x;
	l->tail = x;
}

static void list_remove(struct rpc_conn_list *l, struct rpc_conn *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		l->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	else
		l->tail = x->prev;
	x->prev = x->next = NULL;
}

/* Run the idle callback if it is due; it may free c (the server). */
static void idle_check(struct rpc_conns *c)
{
	void (*cb)(void *) = c->idle_cb;

	if (!cb || c->busy.head)
		return;
	c->idle_cb = NULL;
	cb(c->idle_arg);
}

static void trim_now(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/*
 * Listen while not paused by an error and either below the cap or with
 * an idle connection to close for the next one.
 */
static void listener_update(struct rpc_conns *c)
{
	int want = !c->paused && (c->n < c->max || c->nidle > 0);

	if (want == c->listening)
		return;
	if (want)
		evconnlistener_enable(c->lev);
	else
		evconnlistener_disable(c->lev);
	c->listening = want;
}

/* Unlink and free conn (its evhttp_connection is closed or not ours). */
static void conn_release(struct rpc_conn *conn)
{
	struct rpc_conns *c = conn->c;
	void (*watch)(void *) = conn->watch;
	void *watch_arg = conn->watch_arg;

	list_remove(conn->busy ? &c->busy : &c->idle, conn);
	if (!conn->busy)
		c->nidle--;
	c->n--;
	c->st.open = c->n;
	if (conn->bev)
		bufferevent_decref(conn->bev);
	event_free(conn->ev);
	if (conn->trim)
		trim_now();
	free(conn);
	if (watch)
		watch(watch_arg);
}



static void on_close(struct evhttp_connection *evcon, void *arg)
{
	struct rpc_conn *conn = arg;
	struct rpc_conns *c = conn->c;

	evhttp_connection_set_closecb(evcon, NULL, NULL);
	conn_release(conn);
	listener_update(c);
	idle_check(c);
}

/* Close an attached connection ourselves. */
static void conn_close(struct rpc_conn *conn)
{
	struct evhttp_connection *evcon = conn->evcon;

	evhttp_connection_set_closecb(evcon, NULL, NULL);
	conn_release(conn);
	evhttp_connection_free(evcon);
}

/* Over the cap: close idle connections, longest waiting first. */
static void conns_trim(struct rpc_conns *c)
{
	struct rpc_conn *conn = c->idle.head, *next;

	for (; conn && c->n > c->max; conn = next) {
		next = conn->next;
		if (!conn->evcon)
			continue;   /* not attached yet: its turn comes */
		c->st.evicted++;
		conn_close(conn);
	}
}

/* Attach (find the evhttp_connection), or the deadline passed. */
static void on_conn_event(evutil_socket_t fd, short what, void *arg)
{
	struct rpc_conn *conn = arg;
	struct rpc_conns *c = conn->c;
	bufferevent_data_cb rd = NULL;
	void *cbarg = NULL;

	(void)fd;
	(void)what;
	if (conn->evcon) {
		if (!conn->busy) {
			c->st.timed_out++;
			conn_close(conn);
			listener_update(c);
		}
		return;
	}
	bufferevent_getcb(conn->bev, &rd, NULL, NULL, &cbarg);
	if (!rd || !cbarg ||
	    evhttp_connection_get_bufferevent(cbarg) != conn->bev) {
		/* evhttp gave up on it already (memory ran out). */
		conn_release(conn);
		listener_update(c);
		return;
	}
	conn->evcon = cbarg;
	bufferevent_decref(conn->bev);
	conn->bev = NULL;
	evhttp_connection_set_closecb(conn->evcon, on_close, conn);
	evtimer_add(conn->ev, &c->deadline);
	conns_trim(c);
	listener_update(c);
}

int rpc_conns_add(struct rpc_conns *c, struct bufferevent *bev)
{
	struct rpc_conn *conn = calloc(1, sizeof *conn);

	if (!conn || !(conn->ev = event_new(c->base, -1, 0, on_conn_event, conn))) {
		free(conn);
		return EMBER_ENOMEM;
	}
	conn->c = c;
	conn->bev = bev;
	bufferevent_incref(bev);
	list_append(&c->idle, conn);
	c->nidle++;
	c->n++;
	c->st.open = c->n;
	c->st.accepted++;
	/* Stop the listener's accept loop here when over the cap: room is
	 * made once the connection is attached, just below. */
	if (c->n > c->max && c->listening) {
		evconnlistener_disable(c->lev);
		c->listening = 0;
	}
	event_active(conn->ev, EV_TIMEOUT, 0);
	return 0;
}

static struct rpc_conn *conn_find(struct rpc_conns *c,
                                  const struct evhttp_connection *evcon)
{
	struct rpc_conn *conn;

	/* Linear, but over at most max_conns entries and only once per
	 * request: nothing in evhttp maps a connection back to us. */
	for (conn = c->idle.head; conn; conn = conn->next)
		if (conn->evcon == evcon)
			return conn;
	return NULL;
}

static void on_reply_done(struct evhttp_request *req, void *arg)
{
	struct rpc_conn *conn = arg;
	struct rpc_conns *c = conn->c;

	(void)req;
	list_remove(&c->busy, conn);
	conn->busy = 0;
	conn->watch = NULL;
	list_append(&c->idle, conn);
	c->nidle++;
	evtimer_add(conn->ev, &c->deadline);
	if (conn->trim) {
		conn->trim = 0;
		trim_now();
	}
	listener_update(c);
	idle_check(c);
}

struct rpc_conn *rpc_conns_busy(struct rpc_conns *c,
                                struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct rpc_conn *conn = evcon ? conn_find(c, evcon) : NULL;

	if (!conn)
		return NULL;
	evtimer_del(conn->ev);
	list_remove(&c->idle, conn);
	c->nidle--;
	conn->busy = 1;
	list_append(&c->busy, conn);
	evhttp_request_set_on_complete_cb(req, on_reply_done, conn);
	return conn;
}

void rpc_conn_watch(struct rpc_conn *conn, void (*cb)(void *), void *arg)
{
	if (!conn)
		return;
	conn->watch = cb;
	conn->watch_arg = arg;
}

void rpc_conns_when_idle(struct rpc_conns *c, void (*cb)(void *), void *arg)
{
	c->idle_cb = cb;
	c->idle_arg = arg;
	idle_check(c);
}

void rpc_conn_trim_after(struct rpc_conn *conn)
{
	if (conn)
		conn->trim = 1;
	else
		trim_now();
}

static void accept_log(struct rpc_conns *c, uint64_t now)
{
	char msg[256];

	snprintf(msg, sizeof msg, "rpc: cannot accept a connection: %s "
	         "(%" PRIu64 " time%s since the last report); new connections "
	         "pause %d ms after each", strerror(c->last_err), c->unlogged,
	         c->unlogged == 1 ? "" : "s", RPC_ACCEPT_PAUSE_MS);
	c->log(c->log_ctx, msg);
	c->unlogged = 0;
	c->logged_ms = now;
}

/* The pause after an accept error is over; also flushes the log count. */
static void on_pause_end(evutil_socket_t fd, short what, void *arg)
{
	struct rpc_conns *c = arg;
	uint64_t now = mono_ms();

	(void)fd;
	(void)what;
	c->paused = 0;
	listener_update(c);
	if (!c->unlogged)
		return;
	if (now - c->logged_ms >= RPC_ACCEPT_LOG_MS) {
		accept_log(c, now);
	} else {
		uint64_t left = RPC_ACCEPT_LOG_MS - (now - c->logged_ms);
		struct timeval tv = { (time_t)(left / 1000),
		                      (suseconds_t)(left % 1000) * 1000 };
		evtimer_add(c->pause_ev, &tv);
	}
}

static void on_accept_error(struct evconnlistener *lev, void *http)
{
	int err = errno;
	struct rpc_conns *c;
	struct timeval tv = { 0, RPC_ACCEPT_PAUSE_MS * 1000 };
	uint64_t now;

	(void)http;
	pthread_mutex_lock(&conns_lock);
	for (c = conns_all; c && c->lev != lev; c = c->next_all)
		;
	pthread_mutex_unlock(&conns_lock);
	if (!c) {
		/* Not ours (cannot happen): still never spin. */
		evconnlistener_disable(lev);
		return;
	}
	now = mono_ms();
	c->st.accept_errors++;
	c->unlogged++;
	c->last_err = err;
	c->paused = 1;
	listener_update(c);
	evtimer_add(c->pause_ev, &tv);
	if (now - c->logged_ms >= RPC_ACCEPT_LOG_MS)
		accept_log(c, now);
}

int rpc_conns_new(struct rpc_conns **out, const struct rpc_conns_cfg *cfg)
{
	struct rpc_conns *c = calloc(1, sizeof *c);

	*out = NULL;
	if (!c)
		return EMBER_ENOMEM;
	c->base = cfg->base;
	c->http = cfg->http;
	c->lev = cfg->lev;
	c->max = cfg->max_conns;
	c->deadline.tv_sec = (time_t)(cfg->deadline_ms / 1000);
	c->deadline.tv_usec = (suseconds_t)(cfg->deadline_ms % 1000) * 1000;
	c->log = cfg->log;
	c->log_ctx = cfg->log_ctx;
	c->listening = 1;   /* evhttp enables its listener when binding */
	/* The first error is logged at once. */
	c->logged_ms = mono_ms() - RPC_ACCEPT_LOG_MS;
	if (!(c->pause_ev = evtimer_new(c->base, on_pause_end, c))) {
		free(c);
		return EMBER_ENOMEM;
	}
	pthread_mutex_lock(&conns_lock);
	c->next_all = conns_all;
	conns_all = c;
	pthread_mutex_unlock(&conns_lock);
	evconnlistener_set_error_cb(c->lev, on_accept_error);
	*out = c;
	return 0;
}

static void conns_forget(struct rpc_conn_list *l)
{
	struct rpc_conn *conn, *next;

	for (conn = l->head; conn; conn = next) {
		next = conn->next;
		if (conn->evcon)
			evhttp_connection_set_closecb(conn->evcon, NULL, NULL);
		if (conn->bev)
			bufferevent_decref(conn->bev);
		event_free(conn->ev);
		free(conn);
	}
	l->head = l->tail = NULL;
}

void rpc_conns_free(struct rpc_conns *c)
{
	struct rpc_conns **p;

	if (!c)
		return;
	pthread_mutex_lock(&conns_lock);
	for (p = &conns_all; *p && *p != c; p = &(*p)->next_all)
		;
	if (*p)
		*p = c->next_all;
	pthread_mutex_unlock(&conns_lock);
	evconnlistener_set_error_cb(c->lev, NULL);
	conns_forget(&c->idle);
	conns_forget(&c->busy);
	event_free(c->pause_ev);
	free(c);
}

void rpc_conns_stats(const struct rpc_conns *c, struct rpc_conn_stats *out)
{
	*out = c->st;
}
