/*
 * rpc_readers.c - the reader pool of the JSON-RPC server
 * (rpc_readers_internal.h).
 *
 * One mutex guards both queues (jobs to run, jobs done); readers wait on a
 * condition variable; the loop is woken by an eventfd, so this works
 * whether or not libevent was set up for threads.  Each reader thread
 * marks the job it runs in a thread-local, which is how rpc_result and
 * rpc_error know to record instead of answer.
 */
#include "rpc_readers_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

struct reader_job {
	struct reader_job *next;
	rpc_handler fn;
	struct rpc_call *call;
	json_t *params;         /* owned: a private copy */
	void *ctx;
	json_t *resp;           /* the recorded answer (owned until delivered) */
	int is_error;
	int answered;
};

struct rpc_readers {
	rpc_readers_deliver_fn deliver;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct reader_job *queue, **queue_tail;    /* jobs waiting for a reader */
	struct reader_job *done, **done_tail;      /* jobs run, for the loop */
	size_t queued, max_queue;
	int stopping;
	pthread_t *threads;
	unsigned nthreads;
	int efd;
	struct event *ev;
};

static _Thread_local struct reader_job *tl_job;

int rpc_readers_capture(struct rpc_call *call, json_t *resp, int is_error)
{
	struct reader_job *j = tl_job;
	if (!j || j->call != call)
		return 0;
	if (j->answered) {
		json_decref(resp);      /* answering twice: a handler bug */
		return 1;
	}
	j->resp = resp;
	j->is_error = is_error;
	j->answered = 1;
	return 1;
}

static void *reader_main(void *arg)
{
	struct rpc_readers *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct reader_job *j;
		uint64_t one = 1;
		int wake;

		while (!r->queue && !r->stopping)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stopping)
			break;
		j = r->queue;
		if (!(r->queue = j->next))
			r->queue_tail = &r->queue;
		pthread_mutex_unlock(&r->mu);

		tl_job = j;
		j->fn(j->call, j->params, j->ctx);
		tl_job = NULL;

		pthread_mutex_lock(&r->mu);
		j->next = NULL;
		wake = !r->done;
		*r->done_tail = j;
		r->done_tail = &j->next;
		if (wake && write(r->efd, &one, sizeof one) < 0) {
			/* the counter is already set: the loop will look */
		}
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static void job_deliver(struct rpc_readers *r, struct reader_job *j)
{
	r->deliver(j->call, j->resp, j->answered ? j->is_error : 0);
	json_decref(j->params);
	free(j);
}

/* Loop thread: hand every finished job's answer to the server. */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct rpc_readers *r = arg;
	struct reader_job *j, *next;
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof n) < 0) {
		/* EAGAIN: someone drained it; the list decides */
	}
	pthread_mutex_lock(&r->mu);
	j = r->done;
	r->done = NULL;
	r->done_tail = &r->done;
	pthread_mutex_unlock(&r->mu);
	for (; j; j = next) {
		next = j->next;
		r->queued--;
		job_deliver(r, j);
	}
}

int rpc_readers_new(struct rpc_readers **out, struct event_base *base,
                    unsigned nthreads, size_t max_queue,
                    rpc_readers_deliver_fn deliver)
{
	struct rpc_readers *r;

	if (!out || !base || !nthreads || !deliver)
		return EMBER_EINVAL;
	if (!(r = calloc(1, sizeof(*r))))
		return EMBER_ENOMEM;
	r->deliver = deliver;
	r->max_queue = max_queue ? max_queue : 4096;
	r->queue_tail = &r->queue;
	r->done_tail = &r->done;
	r->efd = -1;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if ((r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		rpc_readers_free(r);
		return EMBER_EIO;
	}
	if (!(r->ev = event_new(base, r->efd, EV_READ | EV_PERSIST, on_wake, r)) ||
	    event_add(r->ev, NULL) != 0 ||
	    !(r->threads = calloc(nthreads, sizeof(*r->threads)))) {
		rpc_readers_free(r);
		return EMBER_ENOMEM;
	}
	for (unsigned i = 0; i < nthreads; i++) {
		if (pthread_create(&r->threads[i], NULL, reader_main, r) != 0) {
			rpc_readers_free(r);
			return EMBER_EIO;
		}
		r->nthreads++;
	}
	*out = r;
	return 0;
}

void rpc_readers_free(struct rpc_readers *r)
{
	struct reader_job *j, *next;

	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	for (unsigned i = 0; i < r->nthreads; i++)
		pthread_join(r->threads[i], NULL);
	/* Finished jobs get their answers; unstarted ones are answered as
	 * not run (resp NULL, is_error 1). */
	for (j = r->done; j; j = next) {
		next = j->next;
		job_deliver(r, j);
	}
	for (j = r->queue; j; j = next) {
		next = j->next;
		j->resp = NULL;
		j->answered = 1;
		j->is_error = 1;
		job_deliver(r, j);
	}
	if (r->ev)
		event_free(r->ev);
	if (r->efd >= 0)
		close(r->efd);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r->threads);
	free(r);
}

int rpc_readers_submit(struct rpc_readers *r, rpc_handler fn,
                       struct rpc_call *call, json_t *params, void *ctx)
{
	struct reader_job *j;

	if (r->queued >= r->max_queue || !(j = calloc(1, sizeof(*j)))) {
		json_decref(params);
		return EMBER_EBUSY;
	}
	j->fn = fn;
	j->call = call;
	j->params = params;
	j->ctx = ctx;
	r->queued++;            /* loop-only counter: submit and deliver */
	pthread_mutex_lock(&r->mu);
	*r->queue_tail = j;
	r->queue_tail = &j->next;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return 0;
}
