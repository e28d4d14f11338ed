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
 *   .cookie               RPC credentials "__cookie__:" and 64 random hex
 *                         digits (0600), bitcoind's form: written at each
 *                         start, removed at a clean stop; HTTP Basic auth
 *                         with it (or a bearer token of the hex) unlocks the
 *                         admin methods
 *   ember.conf            optional settings, "name=value" lines with
 *                         emberd's long option names (emberd --help)
 *   debug.log             the log, also on stderr (--log-file; SIGHUP
 *                         reopens it)
 *   node_key              the P2P identity: 64 hex digits of a BIP-340 secret
 *                         key (0600), made on first start
 *   peers                 peers to redial after a restart (ID@HOST:PORT lines)
 *   fork-H.block, .cert   evidence of a safety failure at height H (a peer's
 *                         certified block where ours differs); the node halts
 *   dev-keys/devN.json    --dev only: funded accounts, empty passphrase
 */
#ifndef EMBER_NODE_H
#define EMBER_NODE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "key.h"

/* Log levels, each including the ones before it. */
enum ember_log_level {
	EMBER_LOG_DEFAULT = 0,        /* info */
	EMBER_LOG_ERROR,
	EMBER_LOG_WARN,
	EMBER_LOG_INFO,
	EMBER_LOG_DEBUG
};

/* "error", "warn" (or "warning"), "info", "debug", in any case.
 * Returns: 0, EMBER_EPARSE, EMBER_EINVAL (NULL). */
EMBER_WUR int ember_log_level_parse(const char *name, enum ember_log_level *out);

struct ember_node_cfg {
	const char *datadir;          /* must exist */
	const char *rpc_listen;       /* "127.0.0.1:8645" */
	const char *tls_cert, *tls_key;
	size_t rpc_max_conns;         /* 0: the RPC server's default */
	unsigned rpc_request_timeout_ms; /* 0: the RPC server's default */
	unsigned verify_threads;      /* 0: number of online CPUs */
	uint64_t block_time_ms;       /* 0: genesis value */
	size_t max_block_txs;         /* 0: consensus default */
	uint64_t dbcache_mib;         /* with have_dbcache: the store's cache */
	int have_dbcache;             /* 0: the store's default (store.h) */
	int quiet;                    /* log only every 100th empty block */
	int no_p2p;                   /* no network at all */
	const char *p2p_listen;       /* NULL: 0.0.0.0:8646 (P2P_DEFAULT_PORT) */
	const char *const *peers;     /* --peer "[ID@]HOST:PORT", npeers */
	size_t npeers;
	size_t max_peers;             /* 0: the network's default */
	size_t max_inbound_per_ip;    /* 0: the network's default */
	const char *rpc_user;         /* with rpc_password_file: a fixed RPC */
	const char *rpc_password_file;/* login instead of the cookie; NULL: cookie */
	const char *log_file;         /* NULL: DIR/debug.log; "-": no file */
	const char *validator_key;    /* NULL: DIR/validator_key.json */
	enum ember_log_level log_level;
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

/*
 * `emberd testnet`: a genesis with nval equal validators and naccounts
 * funded dev accounts in out, and out/nodeI data directories ready to
 * start (key, genesis, ember.conf with ports base_port + 2I (RPC) and
 * + 2I + 1 (P2P) on 127.0.0.1 and every other node as a peer).
 * Returns: 0, EMBER_EINVAL (bad counts/ports, out already holds a
 * testnet), EMBER_EIO, EMBER_ENOMEM, key or genesis codes.
 */
EMBER_WUR int ember_testnet_create(const char *out, unsigned nval, unsigned naccounts,
                                   uint64_t block_time_ms, unsigned base_port);

/*
 * The node's P2P key from DIR/node_key, made on first start (*created 1).
 * Refused when the file is open to group or others.  err gets a message.
 * Returns: 0, EMBER_EIO, EMBER_EINTERNAL, EMBER_KS_MODE, EMBER_KS_FORMAT.
 */
EMBER_WUR int ember_node_key(const char *dir, struct ember_keypair *out,
                             int *created, char *err, size_t errlen);

/*
 * --genesis FILE: copy it to DIR/genesis.json when that does not exist;
 * when it does, it must be byte for byte the same (else
 * EMBER_STORE_GENESIS).  Returns: 0, EMBER_EIO, EMBER_ENOMEM,
 * EMBER_STORE_GENESIS.
 */
EMBER_WUR int ember_genesis_import(const char *datadir, const char *file,
                                   char *err, size_t errlen);

/*
 * Run until SIGINT/SIGTERM or the RPC "stop" (replies being written are
 * flushed first, so "stop" gets its answer); SIGHUP reopens the log file.
 * Returns 0 on a clean stop, else an error code after printing what is
 * wrong.
 */
EMBER_WUR int ember_node_run(const struct ember_node_cfg *cfg);

#endif
