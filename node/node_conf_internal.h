/*
 * node_conf_internal.h - emberd's config file (node/ internal).
 *
 * DIR/ember.conf, or the file --conf names, holds settings with the long
 * option names of the command line, one per line, bitcoind's bitcoin.conf
 * in spirit:
 *
 *   # comment (a whole line; '#' inside a value is part of it)
 *   rpc-listen = 127.0.0.1:8645
 *   peer=ID@10.0.0.2:8646        (repeatable names may come again)
 *   quiet                         (a flag: alone, or =1 / =0)
 *
 * Blank lines are skipped and blanks around the name and the value
 * dropped.  An unknown name, a line without '=', a missing value, a flag
 * with another value than 1 or 0 and a second line for a name that is not
 * repeatable are errors naming the file and the line.  What the settings
 * mean, and that the command line wins over them, is emberd_main.c's.
 */
#ifndef EMBER_NODE_CONF_INTERNAL_H
#define EMBER_NODE_CONF_INTERNAL_H

#include <getopt.h>
#include <stddef.h>
#include "ember/error.h"

#define NODE_CONF_MAX_BYTES (1u << 20)   /* larger files are refused */

struct node_conf_entry {
	const struct option *opt;   /* its entry in the table given */
	const char *value;          /* "1" or "0" for a flag; in the buffer */
	unsigned line;              /* 1-based */
};

struct node_conf {
	char *buf;                      /* the text, cut into values; owned */
	struct node_conf_entry *e;      /* in file order; owned */
	size_t n;
};

/*
 * Parse len bytes of text read from path (named in messages only) against
 * opts, a getopt_long table ending with a zero entry: an option with
 * no_argument is a flag, any other needs a value.  Names listed in
 * repeatable (NULL-terminated; may be NULL) may appear more than once.
 * On success c holds the entries, valid until node_conf_release; opts
 * must outlive them.  err (cap errlen) gets "'PATH' line N: what is wrong".
 * Returns: 0, EMBER_EPARSE, EMBER_ENOMEM, EMBER_EINVAL (NULL arguments).
 */
EMBER_WUR int node_conf_parse(struct node_conf *c, const char *path,
                              const char *text, size_t len,
                              const struct option *opts,
                              const char *const *repeatable,
                              char *err, size_t errlen);

/*
 * Read path and parse it as node_conf_parse does.  Returns its codes, and
 * EMBER_EIO when the file cannot be read (errno kept: ENOENT for a file
 * that is not there) or is larger than NODE_CONF_MAX_BYTES.
 */
EMBER_WUR int node_conf_load(struct node_conf *c, const char *path,
                             const struct option *opts,
                             const char *const *repeatable,
                             char *err, size_t errlen);

/* Free what c holds; c is empty afterwards (releasing twice is fine). */
void node_conf_release(struct node_conf *c);

#endif
