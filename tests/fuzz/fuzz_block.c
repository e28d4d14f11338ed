/*
 * fuzz_block.c - libFuzzer target for the block and certificate decoders.
 *
 * The same input is tried as a block and as a commit certificate (and a
 * decoded block's last commit as a certificate).  Whatever decodes must be
 * canonical: re-encoding gives back the input byte for byte, the header hash
 * is SHA-256 of the first EMBER_HEADER_SIZE input bytes, a second decode
 * gives the same hash, and the last commit hashes to the header's
 * last_commit_hash.  Txs inside a decoded block are run
 * through the tx decoder too.  Built with -DEMBER_LIBFUZZER under clang;
 * otherwise main() replays files or directories given on the command line
 * (the first 1 MiB of each).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/block.h"
#include "ember/hash.h"
#include "ember/tx.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_cert(const uint8_t *data, size_t size);

static void fuzz_block(const uint8_t *data, size_t size)
{
	static struct ember_txref txs[EMBER_BLOCK_MAX_TXS];
	struct ember_header h, h2;
	uint8_t hash1[32], hash2[32];
	const uint8_t *lc = NULL;
	size_t ntx = 0, n = 0, lclen = 0;
	uint8_t *out;

	if (ember_block_decode(&h, &lc, &lclen, txs, EMBER_BLOCK_MAX_TXS, &ntx, data,
	                       size) != 0)
		return;
	FUZZ_CHECK(ntx == h.tx_count);
	/* The last commit is a view into the input that hashes to the
	 * header's last_commit_hash (all zero when there is none). */
	FUZZ_CHECK(lclen <= EMBER_CERT_MAX_SIZE);
	FUZZ_CHECK(lclen == 0 || (lc >= data + EMBER_HEADER_SIZE && lc + lclen <= data + size));
	ember_last_commit_hash(lc, lclen, hash1);
	FUZZ_CHECK(memcmp(hash1, h.last_commit_hash, 32) == 0);
	FUZZ_CHECK(ember_block_encoded_size(lclen, txs, ntx) == size);
	out = malloc(size);
	FUZZ_CHECK(out != NULL);
	FUZZ_CHECK(ember_block_encode(&h, lc, lclen, txs, ntx, out, size, &n) == 0);
	FUZZ_CHECK(n == size && memcmp(out, data, size) == 0);

	ember_header_hash(&h, hash1);
	ember_sha256(data, EMBER_HEADER_SIZE, hash2);
	FUZZ_CHECK(memcmp(hash1, hash2, 32) == 0);
	FUZZ_CHECK(ember_header_decode(&h2, out, EMBER_HEADER_SIZE) == 0);
	ember_header_hash(&h2, hash2);
	FUZZ_CHECK(memcmp(hash1, hash2, 32) == 0);
	free(out);

	for (size_t i = 0; i < ntx; i++) {
		static uint8_t txbuf[EMBER_TX_MAX_SIZE];
		struct ember_tx tx;
		FUZZ_CHECK(txs[i].p >= data && txs[i].p + txs[i].len <= data + size);
		if (ember_tx_decode(&tx, txs[i].p, txs[i].len) != 0)
			continue;
		FUZZ_CHECK(ember_tx_encode(&tx, txbuf, sizeof(txbuf), &n) == 0);
		FUZZ_CHECK(n == txs[i].len && memcmp(txbuf, txs[i].p, n) == 0);
	}
	/* The last commit's bytes, where they are a certificate, too. */
	if (lclen)
		fuzz_cert(lc, lclen);
}

static void fuzz_cert(const uint8_t *data, size_t size)
{
	static struct ember_cert c;
	static uint8_t out[EMBER_CERT_MAX_SIZE];
	size_t n = 0;

	if (ember_cert_decode(&c, data, size) != 0)
		return;
	FUZZ_CHECK(c.nsig <= EMBER_CERT_MAX_SIGS);
	FUZZ_CHECK(ember_cert_encoded_size(&c) == size);
	FUZZ_CHECK(ember_cert_encode(&c, out, sizeof(out), &n) == 0);
	FUZZ_CHECK(n == size && memcmp(out, data, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_block(data, size);
	fuzz_cert(data, size);
	return 0;
}

#define FUZZ_NAME "fuzz_block"
#define FUZZ_REPLAY_MAIN
#include "fuzz.h"
