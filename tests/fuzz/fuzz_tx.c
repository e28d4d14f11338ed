/*
 * fuzz_tx.c - libFuzzer target for ember_tx_decode.
 *
 * Whatever decodes must be canonical: encoding the decoded tx gives back the
 * input byte for byte (so the txid is a function of the tx), and the txid
 * and signing hash are stable across a second decode.  Built with
 * -DEMBER_LIBFUZZER under clang; otherwise main() replays files or
 * directories given on the command line, so gcc builds it too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/tx.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[EMBER_TX_PROOF_MAX_SIZE];
	struct ember_tx tx, again;
	uint8_t id1[32], id2[32], h1[32], h2[32];
	size_t n = 0;

	if (ember_tx_decode(&tx, data, size) != 0)
		return 0;
	FUZZ_CHECK(ember_tx_encoded_size(&tx) == size);
	FUZZ_CHECK(ember_tx_encode(&tx, out, sizeof(out), &n) == 0);
	FUZZ_CHECK(n == size && memcmp(out, data, size) == 0);
	FUZZ_CHECK(ember_chain_id_valid(tx.chain_id, tx.chain_id_len));
	FUZZ_CHECK(strlen(tx.chain_id) == tx.chain_id_len);

	FUZZ_CHECK(ember_tx_decode(&again, out, n) == 0);
	ember_txid(data, size, id1);
	ember_txid(out, n, id2);
	FUZZ_CHECK(memcmp(id1, id2, 32) == 0);
	FUZZ_CHECK(ember_tx_sighash(&tx, h1) == 0);
	FUZZ_CHECK(ember_tx_sighash(&again, h2) == 0);
	FUZZ_CHECK(memcmp(h1, h2, 32) == 0);

	/* Any input that decodes must also survive the other entry points. */
	int rc = ember_tx_check(&tx, "ember", 0);
	(void)rc;
	(void)ember_tx_verify(&tx);
	(void)ember_tx_cost(&tx);
	return 0;
}

#define FUZZ_NAME "fuzz_tx"
#define FUZZ_REPLAY_MAIN
#include "fuzz.h"
