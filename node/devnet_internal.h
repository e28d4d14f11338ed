/*
 * devnet_internal.h - what devnet.c (`--dev`) and testnet.c (`emberd
 * testnet`) share: a dev genesis and funded dev accounts.  Internal to
 * node/.
 */
#ifndef EMBER_DEVNET_INTERNAL_H
#define EMBER_DEVNET_INTERNAL_H

#include "ember/genesis.h"

/* g gets a dev chain's settings: chain id prefix + 8 random hex digits,
 * short epochs, room for naccounts allocations and nval validators (none
 * filled).  Returns: 0, EMBER_EINTERNAL, EMBER_ENOMEM. */
int ember_dev_genesis(struct ember_genesis *g, const char *prefix, unsigned naccounts,
                      unsigned nval, uint64_t block_time_ms);
/* naccounts keystores (empty passphrase) in DIR/dev-keys/devN.json, each
 * funded in g.  Returns: 0, EMBER_EIO, key codes. */
int ember_dev_accounts(const char *dir, struct ember_genesis *g, unsigned naccounts);

#endif
