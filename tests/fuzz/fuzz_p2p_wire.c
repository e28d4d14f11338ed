/*
 * fuzz_p2p_wire.c - libFuzzer target for the P2P message decoders
 * (p2pwire.h).
 *
 * Every input goes to every decoder.  Whatever decodes must be canonical:
 * it is of the decoder's type, within that type's length limits, encodes
 * back to the input byte for byte (into a buffer of exactly its size),
 * decodes again to the same fields, and its views lie inside the input.
 * At most one decoder may accept an input.  Built with -DEMBER_LIBFUZZER
 * under clang; otherwise main() replays files or directories given on the
 * command line, so gcc builds it too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/p2pwire.h"

#include "fuzz.h"

/* A view of n bytes at p lies within data[0, size). */
static int inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	return p >= data && n <= size && (size_t)(p - data) <= size - n;
}

/* The encoder (its result rc, n bytes in out) gave back the input exactly. */
static void same(int rc, const uint8_t *out, size_t n, const uint8_t *data,
                 size_t size)
{
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(n == size && memcmp(out, data, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct p2p_txs tx, tx2;
	struct p2p_status st, st2;
	struct p2p_getblocks gb, gb2;
	struct p2p_block bl, bl2;
	struct p2p_ping pi, pi2;
	uint8_t *out;
	size_t n = 0;
	int ok = 0, rc;

	if (size == 0) {
		FUZZ_CHECK(p2p_status_decode(&st, data, size) == EMBER_P2P_MSG);
		return 0;
	}
	out = malloc(size);
	FUZZ_CHECK(out != NULL);

	if (p2p_status_decode(&st, data, size) == 0) {
		ok++;
		FUZZ_CHECK(data[0] == P2P_MSG_STATUS);
		FUZZ_CHECK(ember_chain_id_valid(st.chain_id, strlen(st.chain_id)));
		rc = p2p_status_encode(&st, out, size, &n);
		same(rc, out, n, data, size);
		FUZZ_CHECK(p2p_status_decode(&st2, out, n) == 0);
		FUZZ_CHECK(memcmp(&st, &st2, sizeof(st)) == 0);
	}
	if (p2p_getblocks_decode(&gb, data, size) == 0) {
		ok++;
		FUZZ_CHECK(data[0] == P2P_MSG_GETBLOCKS);
		FUZZ_CHECK(gb.count >= 1 && gb.count <= P2P_GETBLOCKS_MAX);
		rc = p2p_getblocks_encode(&gb, out, size, &n);
		same(rc, out, n, data, size);
		FUZZ_CHECK(p2p_getblocks_decode(&gb2, out, n) == 0);
		FUZZ_CHECK(gb.from == gb2.from && gb.count == gb2.count);
	}
	if (p2p_block_decode(&bl, data, size) == 0) {
		ok++;
		FUZZ_CHECK(data[0] == P2P_MSG_BLOCK);
		FUZZ_CHECK(inside(bl.blk, bl.blklen, data, size));
		FUZZ_CHECK(inside(bl.cert, bl.certlen, data, size));
		FUZZ_CHECK(p2p_block_encoded_size(&bl) == size);
		rc = p2p_block_encode(&bl, out, size, &n);
		same(rc, out, n, data, size);
		FUZZ_CHECK(p2p_block_decode(&bl2, out, n) == 0);
		FUZZ_CHECK(bl.height == bl2.height && bl.blklen == bl2.blklen &&
		           bl.certlen == bl2.certlen);
		FUZZ_CHECK(bl2.blk - out == bl.blk - data);
		FUZZ_CHECK(bl2.cert - out == bl.cert - data);
	}
	if (p2p_txs_decode(&tx, data, size) == 0) {
		ok++;
		FUZZ_CHECK(data[0] == P2P_MSG_TXS);
		FUZZ_CHECK(tx.n >= 1 && tx.n <= P2P_TXS_MAX);
		for (size_t i = 0; i < tx.n; i++) {
			FUZZ_CHECK(tx.len[i] >= 1 &&
			           tx.len[i] <= EMBER_TX_PROOF_MAX_SIZE);
			FUZZ_CHECK(inside(tx.tx[i], tx.len[i], data, size));
		}
		FUZZ_CHECK(p2p_txs_encoded_size(&tx) == size);
		rc = p2p_txs_encode(&tx, out, size, &n);
		same(rc, out, n, data, size);
		FUZZ_CHECK(p2p_txs_decode(&tx2, out, n) == 0);
		FUZZ_CHECK(tx2.n == tx.n);
		for (size_t i = 0; i < tx.n; i++)
			FUZZ_CHECK(tx2.len[i] == tx.len[i] &&
			           tx2.tx[i] - out == tx.tx[i] - data);
	}
	if (p2p_ping_decode(&pi, data, size) == 0) {
		ok++;
		FUZZ_CHECK(data[0] == P2P_MSG_PING || data[0] == P2P_MSG_PONG);
		rc = p2p_ping_encode(data[0], &pi, out, size, &n);
		same(rc, out, n, data, size);
		FUZZ_CHECK(p2p_ping_decode(&pi2, out, n) == 0);
		FUZZ_CHECK(pi.nonce == pi2.nonce);
	}

	FUZZ_CHECK(ok <= 1);
	if (ok) {
		FUZZ_CHECK(p2p_msg_name(data[0]) != NULL);
		FUZZ_CHECK(size >= p2p_msg_min_len(data[0]));
		FUZZ_CHECK(size <= p2p_msg_max_len(data[0]));
	}
	free(out);
	return 0;
}

#define FUZZ_NAME "fuzz_p2p_wire"
#define FUZZ_REPLAY_MAIN
#include "fuzz.h"
