/*
 * node.h - emberd: configuration, devnet set-up, and the main loop that
 * wires store, consensus, mempool, verify pool and RPC together.
 *
 * Data directory layout:
 *   genesis.json          the chain's genesis document
 *   validator_key.json    this node's validator keystore (optional; 0600)
 *   sign_guard            the last signature the validator key made, and its
 *                         block (guard.h); never delete it
 *   ledger/               the LMDB environment; its data.mdb is flock()ed while
 *                         a node runs on it
 *   rpc.cookie            random admin token, rewritten at each start (0600)
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
	size_t rpc_max_conns;         /* 0: the RPC server's default */
	unsigned rpc_request_timeout_ms; /* 0: the RPC server's default */
	unsigned verify_threads;      /* 0: number of online CPUs */
	uint64_t block_time_ms;       /* 0: genesis value */
	size_t max_block_txs;         /* 0: consensus default */
	int quiet;                    /* log only every 100th empty block */
};

/*
 * Create a devnet in datadir if it has no genesis.json yet: a validator key,
 * naccounts funded dev accounts with keystores in dev-keys/, and a genesis
 * with a chain id of its own, "ember-devnet-" and 8 random hex digits.
 * Prints the accounts either way.
 * Returns: 0, EMBER_EIO, EMBER_ENOMEM, key or genesis codes.
 */
EMBER_WUR int ember_devnet_prepare(const char *datadir, unsigned naccounts,
                                   uint64_t block_time_ms);

/* Run until SIGINT/SIGTERM or the RPC "stop".  Returns 0 on a clean stop,
 * else an error code after printing what is wrong. */
EMBER_WUR int ember_node_run(const struct ember_node_cfg *cfg);

#endif
