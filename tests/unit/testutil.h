/*
 * testutil.h - small helpers shared by the unit tests.
 *
 * test_unhex decodes published vectors with sscanf, deliberately not with
 * ember_hex_decode: a vector must not pass through the code under test on
 * its way in.
 */
#ifndef EMBER_TESTUTIL_H
#define EMBER_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember/state.h"
#include "ember/store.h"

/* Returns: decoded byte count, or -1 on a bad digit, odd length or overflow. */
static inline int test_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

/* Fresh directory /tmp/ember-test-TAG-XXXXXX in buf (cap >= 64).
 * Returns: 0, or -1 when it cannot be made. */
static inline int test_tmpdir(char *buf, size_t cap, const char *tag)
{
	if (snprintf(buf, cap, "/tmp/ember-test-%s-XXXXXX", tag) >= (int)cap)
		return -1;
	return mkdtemp(buf) ? 0 : -1;
}

/* Remove a directory that holds a ledger: LMDB's two files and the
 * store's write-ahead log (chain/store_wal.h's ledger.wal). */
static inline void test_rm_store_dir(const char *dir)
{
	static const char *const names[] = { "data.mdb", "lock.mdb", "ledger.wal" };
	char p[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/*
 * A throwaway ledger for cmocka fixtures: an LMDB store in a fresh temp
 * dir and, with_state, a state context with a write txn begun in it.
 * test_ledger_setup/_teardown have cmocka's setup/teardown shape once the
 * tag and with_state are bound by a one-line wrapper.
 */
struct test_ledger {
	char dir[64];
	struct ember_store *s;
	struct ember_state *st;         /* with_state only */
	struct ember_txn *t;            /* open write txn, begun in st */
};

static inline int test_ledger_teardown(void **state)
{
	struct test_ledger *l = *state;

	if (!l)
		return 0;
	ember_txn_abort(l->t);
	ember_state_free(l->st);
	ember_store_close(l->s);
	if (l->dir[0])
		test_rm_store_dir(l->dir);
	free(l);
	*state = NULL;
	return 0;
}

static inline int test_ledger_setup(void **state, const char *tag, int with_state)
{
	struct test_ledger *l = calloc(1, sizeof(*l));

	*state = l;
	if (!l)
		return -1;
	if (test_tmpdir(l->dir, sizeof(l->dir), tag) != 0) {
		l->dir[0] = '\0';
		test_ledger_teardown(state);
		return -1;
	}
	if (ember_store_open(&l->s, l->dir, 0) != 0 ||
	    (with_state && (ember_state_new(&l->st) != 0 ||
	                    ember_store_write(l->s, &l->t) != 0))) {
		test_ledger_teardown(state);
		return -1;
	}
	if (with_state)
		ember_state_begin(l->st, l->t);
	return 0;
}

/* Throw the open block away and begin an empty one.  Returns 0 or -1. */
static inline int test_ledger_fresh(struct test_ledger *l)
{
	ember_txn_abort(l->t);
	l->t = NULL;
	if (ember_store_write(l->s, &l->t) != 0)
		return -1;
	ember_state_begin(l->st, l->t);
	return 0;
}

#endif
