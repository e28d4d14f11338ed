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

/* Remove a directory that holds an LMDB environment (its two files). */
static inline void test_rm_store_dir(const char *dir)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	unlink(p);
	rmdir(dir);
}

#endif
