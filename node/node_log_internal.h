/*
 * node_log_internal.h - emberd's log (node/ internal): timestamped lines
 * to stderr, as always, and to a log file (DIR/debug.log by default),
 * filtered by level.  SIGHUP makes the node reopen the file, so a log
 * rotator can move it away and have a new one appear.
 *
 * A struct node_log belongs to the loop thread: the node logs, and
 * reopens on SIGHUP, from there only.
 */
#ifndef EMBER_NODE_LOG_INTERNAL_H
#define EMBER_NODE_LOG_INTERNAL_H

#include <stddef.h>
#include <stdio.h>
#include "ember/node.h"

struct node_log {
	FILE *f;                       /* the log file; NULL: none */
	char path[4096];               /* its path; "" without a file */
	enum ember_log_level level;    /* lines above it are dropped */
};

/*
 * Start logging at level (EMBER_LOG_DEFAULT: info) to stderr and, unless
 * path is NULL, to path opened for appending (created 0600).
 * Returns: 0, EMBER_EINVAL (path too long), EMBER_EIO (errno kept; l
 * then logs to stderr only, so the caller can still say why).
 */
int node_log_open(struct node_log *l, const char *path,
                  enum ember_log_level level);

/*
 * Close the file and open it again by its path (after a rotation moved
 * it).  On failure the log goes on to stderr only, and the next reopen
 * tries again.  Returns: 0, EMBER_EIO (errno kept).
 */
int node_log_reopen(struct node_log *l);

/* Close the file; l logs to stderr only afterwards. */
void node_log_close(struct node_log *l);

/* Returns: 1 when a line at level lv would be written. */
int node_log_enabled(const struct node_log *l, enum ember_log_level lv);

/* One line at level lv, without its newline. */
void node_log_printf(struct node_log *l, enum ember_log_level lv,
                     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
