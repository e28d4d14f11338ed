/*
 * store_overlay.c - the in-memory write layer of overlay transactions
 * (store_internal.h).  A sorted array of entries: lookups and positioning
 * are binary searches, an insert moves the tail.  An overlay holds what
 * one dry run writes (a handful of keys per tx), so the quadratic worst
 * case of inserting into an array never matters; each write's key and
 * value live in one allocation kept until the overlay is freed.
 */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

#include "ember/error.h"

struct store_overlay {
	struct store_ov_entry *e;   /* sorted by (db, key) */
	size_t n, cap;
	void **blobs;               /* every key+value copy ever made */
	size_t nblobs, capblobs;
};

int store_key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	size_t m = alen < blen ? alen : blen;
	int c = m ? memcmp(a, b, m) : 0;
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int ov_cmp(const struct store_ov_entry *e, uint8_t db, const void *key,
                  size_t klen)
{
	if (e->db != db)
		return e->db < db ? -1 : 1;
	return store_key_cmp(e->key, e->klen, key, klen);
}

/* Index of the first entry not below (db, key). */
static size_t ov_find(const struct store_overlay *ov, uint8_t db,
                      const void *key, size_t klen)
{
	size_t lo = 0, hi = ov->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ov_cmp(&ov->e[mid], db, key, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First index of db's run (or of the first entry of a later db). */
static size_t ov_db_start(const struct store_overlay *ov, uint8_t db)
{
	size_t lo = 0, hi = ov->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ov->e[mid].db < db)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct store_overlay *store_ov_new(void)
{
	return calloc(1, sizeof(struct store_overlay));
}

void store_ov_free(struct store_overlay *ov)
{
	if (!ov)
		return;
	for (size_t i = 0; i < ov->nblobs; i++)
		free(ov->blobs[i]);
	free(ov->blobs);
	free(ov->e);
	free(ov);
}

static int ov_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *np;
	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / size || !(np = realloc(*p, ncap * size)))
		return EMBER_ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

int store_ov_set(struct store_overlay *ov, uint8_t db, const void *key,
                 size_t klen, int present, const void *val, size_t vlen)
{
	struct store_ov_entry *e;
	uint8_t *blob;
	size_t i;
	void *p;

	if (klen == 0 || klen > UINT16_MAX || (present && vlen && !val))
		return EMBER_EINVAL;
	if (!present)
		vlen = 0;
	/* Room first, so a failure leaves the overlay as it was. */
	p = ov->e;
	if (ov_grow(&p, &ov->cap, ov->n + 1, sizeof(*ov->e)))
		return EMBER_ENOMEM;
	ov->e = p;
	p = ov->blobs;
	if (ov_grow(&p, &ov->capblobs, ov->nblobs + 1, sizeof(*ov->blobs)))
		return EMBER_ENOMEM;
	ov->blobs = p;
	if (!(blob = malloc(klen + vlen + 1)))
		return EMBER_ENOMEM;
	ov->blobs[ov->nblobs++] = blob;
	memcpy(blob, key, klen);
	if (vlen)
		memcpy(blob + klen, val, vlen);

	i = ov_find(ov, db, key, klen);
	if (i == ov->n || ov_cmp(&ov->e[i], db, key, klen) != 0) {
		memmove(&ov->e[i + 1], &ov->e[i], (ov->n - i) * sizeof(*ov->e));
		ov->n++;
	}
	e = &ov->e[i];
	e->db = db;
	e->present = present ? 1 : 0;
	e->klen = (uint16_t)klen;
	e->key = blob;
	e->val = present ? blob + klen : NULL;
	e->vlen = vlen;
	return 0;
}

const struct store_ov_entry *store_ov_get(const struct store_overlay *ov,
                                          uint8_t db, const void *key,
                                          size_t klen)
{
	size_t i = ov_find(ov, db, key, klen);
	if (i < ov->n && ov_cmp(&ov->e[i], db, key, klen) == 0)
		return &ov->e[i];
	return NULL;
}

size_t store_ov_count(const struct store_overlay *ov)
{
	return ov->n;
}

const struct store_ov_entry *store_ov_at(const struct store_overlay *ov,
                                         size_t i)
{
	return i < ov->n ? &ov->e[i] : NULL;
}

size_t store_ov_lower(const struct store_overlay *ov, uint8_t db,
                      const void *key, size_t klen, size_t *hi)
{
	*hi = ov_db_start(ov, (uint8_t)(db + 1));
	if (db == UINT8_MAX)
		*hi = ov->n;
	return key ? ov_find(ov, db, key, klen) : ov_db_start(ov, db);
}

size_t store_ov_upper(const struct store_overlay *ov, uint8_t db,
                      const void *key, size_t klen, size_t *lo)
{
	size_t i, end;
	*lo = ov_db_start(ov, db);
	end = db == UINT8_MAX ? ov->n : ov_db_start(ov, (uint8_t)(db + 1));
	if (!key)
		return end;
	i = ov_find(ov, db, key, klen);
	/* i is the first entry >= key: include it when it equals key. */
	if (i < end && ov_cmp(&ov->e[i], db, key, klen) == 0)
		i++;
	return i;
}
