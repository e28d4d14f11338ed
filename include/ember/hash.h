/*
 * hash.h - SHA-256 (OpenSSL), BIP-340 style tagged hashes, and RFC 6962
 * Merkle trees.
 *
 * Merkle trees follow RFC 6962 exactly: leaf hash = SHA-256(0x00 || data),
 * node hash = SHA-256(0x01 || left || right), the empty tree's root is
 * SHA-256(""), and a tree of n leaves splits at the largest power of two
 * below n.  Block tx roots are the MTH over the txids as leaf *data*
 * (so each leaf hash is SHA-256(0x00 || txid)).
 *
 * Thread-safe; no allocation except where noted.
 */
#ifndef EMBER_HASH_H
#define EMBER_HASH_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define EMBER_HASH_LEN 32

void ember_sha256(const void *data, size_t len, uint8_t out[32]);
/* SHA-256 over the concatenation of two buffers (no copy). */
void ember_sha256_2(const void *a, size_t alen, const void *b, size_t blen,
                    uint8_t out[32]);

/* Incremental hashing; the context is a plain struct on the caller's stack. */
struct ember_sha256_ctx {
	uint64_t opaque[14];  /* large enough for OpenSSL's SHA256_CTX */
};
void ember_sha256_init(struct ember_sha256_ctx *c);
void ember_sha256_update(struct ember_sha256_ctx *c, const void *d, size_t n);
void ember_sha256_final(struct ember_sha256_ctx *c, uint8_t out[32]);

/* BIP-340 tagged hash: SHA-256(SHA-256(tag) || SHA-256(tag) || msg). */
void ember_tagged_hash(const char *tag, const void *msg, size_t len,
                       uint8_t out[32]);

/* RFC 6962 leaf hash of arbitrary data. */
void ember_merkle_leaf(const void *data, size_t len, uint8_t out[32]);
/* RFC 6962 interior node. */
void ember_merkle_node(const uint8_t left[32], const uint8_t right[32],
                       uint8_t out[32]);

/*
 * Root of the tree whose leaf *hashes* are hashes[0..n).  Works in place:
 * hashes is overwritten (used as scratch).  n == 0 gives SHA-256("").
 */
void ember_merkle_root_inplace(uint8_t (*hashes)[32], size_t n, uint8_t out[32]);

/*
 * Inclusion proof for leaf index of a tree whose leaf hashes are
 * hashes[0..n) (not modified).  Writes at most 64 hashes to proof and their
 * count to *plen.  Allocates O(n) scratch internally.
 * Returns: 0, EMBER_ERANGE if index >= n, EMBER_ENOMEM.
 */
EMBER_WUR int ember_merkle_prove(const uint8_t (*hashes)[32], size_t n,
                                 size_t index, uint8_t proof[64][32],
                                 size_t *plen);

/*
 * Verify an RFC 6962 inclusion proof (RFC 9162 section 2.1.3.2 algorithm).
 * Returns: 1 if leaf_hash at index in a tree of tree_size leaves with the
 * given proof yields root, 0 otherwise (including index >= tree_size and
 * a proof of the wrong length).
 */
int ember_merkle_verify(const uint8_t leaf_hash[32], uint64_t index,
                        uint64_t tree_size, const uint8_t (*proof)[32],
                        size_t plen, const uint8_t root[32]);

#endif
