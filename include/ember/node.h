/*
 * node.h - emberd: configuration, devnet set-up, and the main loop that
 * wires store, consensus, mempool, verify pool and RPC together.
 *
 * Data directory layout:
 *   genesis.json          the chain's genesis document
 *   validator_key.json    this node's validator keystore (optional)
 *   ledger/               the LMDB environment
 *   rpc.cookie            random admin token, rewritten at each start (0600)
 *   LOCK                  flock()ed while a node runs on this directory
 *   dev-keys/devN.json    --dev only: funded accounts, empty passphrase
 */
#ifndef EMBER_NODE_H
#define EMBER_NODE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

struct ember_node_cfg {
	const char *datadir;          /* must exist */
	const char *rpc_listen;       /* "127.0.0.1:8645" */
	const char *tls_cert, *tls_key;
	unsigned verify_threads;      /* 0: number of online CPUs */
	uint64_t block_time_ms;       /* 0: genesis value */
	size_t max_block_txs;         /* 0: consensus default */
	int quiet;                    /* log only every 100th empty block */
};

/*
 * Create a devnet in datadir if it has no genesis.json yet: a validator key,
 * naccounts funded dev accounts with keystores in dev-keys/, and a genesis
 * with chain id "ember-devnet".  Prints the accounts either way.
 * Returns: 0, EMBER_EIO, EMBER_ENOMEM, key or genesis codes.
 */
EMBER_WUR int ember_devnet_prepare(const char *datadir, unsigned naccounts,
                                   uint64_t block_time_ms);

/* Run until SIGINT/SIGTERM or the RPC "stop".  Returns 0 on a clean stop,
 * else an error code after printing what is wrong. */
EMBER_WUR int ember_node_run(const struct ember_node_cfg *cfg);

#endif
