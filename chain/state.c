/*
 * state.c - consensus writes with a change set, accounts, and the chained
 * change-set state root (see state.h for the definition).
 *
 * Each put/del records (db, key, sequence number, leaf hash).  The leaf hash
 * is computed at write time, so values need not be copied; the sequence
 * number makes "last write per key wins" a plain sort key, so the result
 * does not depend on qsort's (lack of) stability.  The buffers grow
 * geometrically and are reused across blocks: no allocation per write once
 * a block of this size has been seen.
 */
#include "ember/state.h"

#include <stdlib.h>
#include <string.h>

#include "ember/codec.h"
#include "ember/hash.h"

struct state_change {
	uint64_t seq;                       /* write order within the block */
	uint8_t leaf[32];                   /* ember_merkle_leaf of the leaf data */
	uint8_t db;
	uint8_t klen;
	uint8_t key[EMBER_STATE_KEY_MAX];
};

struct ember_state {
	struct ember_txn *txn;              /* not owned */
	struct state_change *ch;            /* owned, cap entries */
	size_t n, cap;
	uint64_t seq;
	uint8_t (*hashes)[32];              /* owned, hcap entries; root scratch */
	size_t hcap;
};

int ember_state_new(struct ember_state **out)
{
	if (!out)
		return EMBER_EINVAL;
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : EMBER_ENOMEM;
}

void ember_state_free(struct ember_state *st)
{
	if (!st)
		return;
	free(st->ch);
	free(st->hashes);
	free(st);
}

void ember_state_begin(struct ember_state *st, struct ember_txn *t)
{
	st->txn = t;
	st->n = 0;
	st->seq = 0;
}

struct ember_txn *ember_state_txn(struct ember_state *st)
{
	return st->txn;
}

size_t ember_state_nchanges(const struct ember_state *st)
{
	return st->n;
}

/* Make room for one more change before touching the store, so a failed
 * allocation never leaves a store write unrecorded. */
static int state_reserve(struct ember_state *st)
{
	struct state_change *p;
	size_t ncap;

	if (st->n < st->cap)
		return 0;
	ncap = st->cap ? st->cap * 2 : 1024;
	if (ncap > SIZE_MAX / sizeof(*p))
		return EMBER_ENOMEM;
	p = realloc(st->ch, ncap * sizeof(*p));
	if (!p)
		return EMBER_ENOMEM;
	st->ch = p;
	st->cap = ncap;
	return 0;
}

/* Append a change whose leaf data is db || klen || key || present || val. */
static void state_record(struct ember_state *st, enum ember_db db,
                         const void *key, size_t klen, int present,
                         const void *val, size_t vlen)
{
	struct state_change *c = &st->ch[st->n++];
	struct ember_sha256_ctx h;
	uint8_t pre[3] = { 0x00, (uint8_t)db, (uint8_t)klen };  /* RFC 6962 leaf */
	uint8_t p = present ? 1 : 0;

	c->seq = st->seq++;
	c->db = (uint8_t)db;
	c->klen = (uint8_t)klen;
	memcpy(c->key, key, klen);
	ember_sha256_init(&h);
	ember_sha256_update(&h, pre, sizeof(pre));
	ember_sha256_update(&h, key, klen);
	ember_sha256_update(&h, &p, 1);
	if (present && vlen)
		ember_sha256_update(&h, val, vlen);
	ember_sha256_final(&h, c->leaf);
}

static int state_args_ok(const struct ember_state *st, enum ember_db db,
                         const void *key, size_t klen)
{
	return st && st->txn && (unsigned)db < EMBER_DB_COUNT && key &&
	       klen > 0 && klen <= EMBER_STATE_KEY_MAX;
}

int ember_state_put(struct ember_state *st, enum ember_db db, const void *key,
                    size_t klen, const void *val, size_t vlen)
{
	int rc;

	if (!state_args_ok(st, db, key, klen) || (!val && vlen))
		return EMBER_EINVAL;
	if ((rc = state_reserve(st)) != 0)
		return rc;
	if ((rc = ember_store_put(st->txn, db, key, klen, val, vlen)) != 0)
		return rc;
	state_record(st, db, key, klen, 1, val, vlen);
	return 0;
}

int ember_state_del(struct ember_state *st, enum ember_db db, const void *key,
                    size_t klen)
{
	int rc;

	if (!state_args_ok(st, db, key, klen))
		return EMBER_EINVAL;
	if ((rc = state_reserve(st)) != 0)
		return rc;
	if ((rc = ember_store_del(st->txn, db, key, klen)) != 0)
		return rc;
	state_record(st, db, key, klen, 0, NULL, 0);
	return 0;
}

/* Order by (db, key) with LMDB's byte order (a prefix sorts first); equal
 * keys by write order, so the last write of a key is the last of its run. */
static int state_key_cmp(const struct state_change *a,
                         const struct state_change *b)
{
	size_t m = a->klen < b->klen ? a->klen : b->klen;
	int c;

	if (a->db != b->db)
		return a->db < b->db ? -1 : 1;
	if ((c = memcmp(a->key, b->key, m)) != 0)
		return c;
	return (int)a->klen - (int)b->klen;
}

static int state_change_cmp(const void *pa, const void *pb)
{
	const struct state_change *a = pa, *b = pb;
	int c = state_key_cmp(a, b);

	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int ember_state_root(struct ember_state *st, const uint8_t parent[32],
                     uint8_t out[32])
{
	uint8_t change_root[32], buf[1 + 32 + 32];
	size_t i, m = 0;

	if (!st || !parent || !out)
		return EMBER_EINVAL;
	if (st->n > st->hcap) {
		uint8_t (*p)[32] = realloc(st->hashes, st->cap * 32);
		if (!p)
			return EMBER_ENOMEM;
		st->hashes = p;
		st->hcap = st->cap;
	}
	if (st->n)
		qsort(st->ch, st->n, sizeof(*st->ch), state_change_cmp);
	/* Keep the last entry of each run of equal keys, compacting in place
	 * (seq survives, so later writes and a second call still order right). */
	for (i = 0; i < st->n; i++) {
		if (i + 1 < st->n && state_key_cmp(&st->ch[i], &st->ch[i + 1]) == 0)
			continue;
		st->ch[m++] = st->ch[i];
	}
	st->n = m;
	for (i = 0; i < m; i++)
		memcpy(st->hashes[i], st->ch[i].leaf, 32);
	ember_merkle_root_inplace(st->hashes, m, change_root);

	buf[0] = 0x02;
	memcpy(buf + 1, parent, 32);
	memcpy(buf + 33, change_root, 32);
	ember_sha256(buf, sizeof(buf), out);
	return 0;
}

int ember_account_get(struct ember_txn *t, const uint8_t pub[32],
                      struct ember_account *out)
{
	const void *v;
	size_t vlen;
	int rc;

	if (!t || !pub || !out)
		return EMBER_EINVAL;
	rc = ember_store_get(t, EMBER_DB_ACCOUNTS, pub, 32, &v, &vlen);
	if (rc == EMBER_ENOTFOUND) {
		out->balance = 0;
		out->nonce = 0;
		return 0;
	}
	if (rc != 0)
		return rc;
	if (vlen != EMBER_ACCOUNT_ENC_LEN)
		return EMBER_STORE_CORRUPT;
	out->balance = ember_le64_get(v);
	out->nonce = ember_le64_get((const uint8_t *)v + 8);
	return 0;
}

int ember_account_put(struct ember_state *st, const uint8_t pub[32],
                      const struct ember_account *a)
{
	uint8_t v[EMBER_ACCOUNT_ENC_LEN];

	if (!pub || !a)
		return EMBER_EINVAL;
	ember_le64_put(v, a->balance);
	ember_le64_put(v + 8, a->nonce);
	return ember_state_put(st, EMBER_DB_ACCOUNTS, pub, 32, v, sizeof(v));
}
