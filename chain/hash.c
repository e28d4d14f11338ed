/*
 * hash.c - SHA-256, BIP-340 tagged hashes and RFC 6962 Merkle trees.
 *
 * SHA-256 goes through OpenSSL's low-level SHA256_* calls, deprecated in 3.0
 * but several times faster than EVP for the 32..200 byte inputs a node hashes
 * all day (EVP fetches and allocates a context per digest).  The caller's
 * struct ember_sha256_ctx is the SHA256_CTX itself, so nothing allocates.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "ember/hash.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(struct ember_sha256_ctx),
               "struct ember_sha256_ctx is too small for SHA256_CTX");
_Static_assert(_Alignof(SHA256_CTX) <= _Alignof(struct ember_sha256_ctx),
               "struct ember_sha256_ctx is under-aligned for SHA256_CTX");

/* The SHA256_* calls cannot fail for in-memory input; their return is 1. */
static SHA256_CTX *hash_ctx(struct ember_sha256_ctx *c)
{
	return (SHA256_CTX *)(void *)c->opaque;
}

void ember_sha256_init(struct ember_sha256_ctx *c)
{
	SHA256_Init(hash_ctx(c));
}

void ember_sha256_update(struct ember_sha256_ctx *c, const void *d, size_t n)
{
	if (n)
		SHA256_Update(hash_ctx(c), d, n);
}

void ember_sha256_final(struct ember_sha256_ctx *c, uint8_t out[32])
{
	SHA256_Final(out, hash_ctx(c));
}

void ember_sha256(const void *data, size_t len, uint8_t out[32])
{
	struct ember_sha256_ctx c;

	ember_sha256_init(&c);
	ember_sha256_update(&c, data, len);
	ember_sha256_final(&c, out);
}

void ember_sha256_2(const void *a, size_t alen, const void *b, size_t blen,
                    uint8_t out[32])
{
	struct ember_sha256_ctx c;

	ember_sha256_init(&c);
	ember_sha256_update(&c, a, alen);
	ember_sha256_update(&c, b, blen);
	ember_sha256_final(&c, out);
}

/*
 * Tags are few and messages short, so the tag digest is recomputed per call
 * rather than cached: a cache would need locking or per-tag globals for a
 * saving of one compression.
 */
void ember_tagged_hash(const char *tag, const void *msg, size_t len,
                       uint8_t out[32])
{
	struct ember_sha256_ctx c;
	uint8_t th[32];

	ember_sha256(tag, strlen(tag), th);
	ember_sha256_init(&c);
	ember_sha256_update(&c, th, sizeof th);
	ember_sha256_update(&c, th, sizeof th);
	ember_sha256_update(&c, msg, len);
	ember_sha256_final(&c, out);
}

void ember_merkle_leaf(const void *data, size_t len, uint8_t out[32])
{
	static const uint8_t prefix = 0x00;

	ember_sha256_2(&prefix, 1, data, len, out);
}

void ember_merkle_node(const uint8_t left[32], const uint8_t right[32],
                       uint8_t out[32])
{
	static const uint8_t prefix = 0x01;
	struct ember_sha256_ctx c;

	ember_sha256_init(&c);
	ember_sha256_update(&c, &prefix, 1);
	ember_sha256_update(&c, left, 32);
	ember_sha256_update(&c, right, 32);
	ember_sha256_final(&c, out);
}

/*
 * One level up: pair neighbours, carry an odd last node up unchanged.
 * Building bottom-up this way gives exactly RFC 6962's MTH, whose split at
 * the largest power of two below n leaves every left subtree complete; the
 * only incomplete subtree on each level is the rightmost, which is what gets
 * promoted.  Returns the new level's size.  out may equal in (each output
 * index i reads only inputs 2i and 2i+1, which are >= i).
 */
static size_t merkle_level(const uint8_t (*in)[32], size_t m,
                           uint8_t (*out)[32])
{
	size_t i;

	for (i = 0; i + 1 < m; i += 2)
		ember_merkle_node(in[i], in[i + 1], out[i / 2]);
	if (m & 1)
		memmove(out[m / 2], in[m - 1], 32);
	return (m + 1) / 2;
}

void ember_merkle_root_inplace(uint8_t (*hashes)[32], size_t n, uint8_t out[32])
{
	if (n == 0) {
		ember_sha256("", 0, out);
		return;
	}
	while (n > 1)
		n = merkle_level((const uint8_t (*)[32])hashes, n, hashes);
	memcpy(out, hashes[0], 32);
}

/*
 * The audit path is the sibling of the tracked node on each level, leaf to
 * root; a promoted node has no sibling and contributes nothing, as in RFC
 * 6962's PATH.  At most one hash per level and size_t has 64 bits, so the
 * proof fits in 64.
 */
int ember_merkle_prove(const uint8_t (*hashes)[32], size_t n, size_t index,
                       uint8_t proof[64][32], size_t *plen)
{
	uint8_t (*lvl)[32];
	size_t m = n, k = 0;

	if (!hashes || !proof || !plen)
		return EMBER_EINVAL;
	if (index >= n)
		return EMBER_ERANGE;
	lvl = malloc(n * sizeof *lvl);
	if (!lvl)
		return EMBER_ENOMEM;
	memcpy(lvl, hashes, n * sizeof *lvl);
	while (m > 1) {
		size_t sib = index ^ 1;

		if (sib < m)
			memcpy(proof[k++], lvl[sib], 32);
		m = merkle_level((const uint8_t (*)[32])lvl, m, lvl);
		index >>= 1;
	}
	free(lvl);
	*plen = k;
	return EMBER_OK;
}

/* RFC 9162 section 2.1.3.2, step for step. */
int ember_merkle_verify(const uint8_t leaf_hash[32], uint64_t index,
                        uint64_t tree_size, const uint8_t (*proof)[32],
                        size_t plen, const uint8_t root[32])
{
	uint64_t fn = index, sn;
	uint8_t r[32];

	if (!leaf_hash || !root || (plen && !proof) || index >= tree_size)
		return 0;
	sn = tree_size - 1;
	memcpy(r, leaf_hash, 32);
	for (size_t i = 0; i < plen; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			ember_merkle_node(proof[i], r, r);
			/* Skip the levels where this node was promoted. */
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			ember_merkle_node(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, 32) == 0;
}
