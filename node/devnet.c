/*
 * devnet.c - `emberd --dev` set-up: like a local Ethereum dev node, a fresh
 * data directory gets a validator key, a few funded accounts whose keystores
 * (empty passphrase) are written to dev-keys/, and a genesis naming them.
 *
 * Each devnet gets its own chain id, "ember-devnet-" and 8 random hex
 * digits: the signing payload covers the chain id, so a transaction signed
 * for one devnet is refused as wrong-chain by every other.
 */
#include "ember/node.h"
#include "devnet_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ember/addr.h"
#include "ember/amount.h"
#include "ember/codec.h"
#include "ember/genesis.h"
#include "ember/key.h"
#include "ember/keystore.h"

#define DEV_BALANCE (1000000ULL * EMBER_COIN)
#define DEV_MIN_FEE 1000ULL
#define DEV_CHAIN_ID_PREFIX "ember-devnet-"
#define DEV_CHAIN_ID_RANDOM 4      /* bytes, printed as 8 hex digits */

_Static_assert(sizeof(DEV_CHAIN_ID_PREFIX) - 1 + 2 * DEV_CHAIN_ID_RANDOM <=
               EMBER_CHAIN_ID_MAX, "a devnet chain id must fit");

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static void print_accounts(const char *datadir, unsigned n)
{
	char path[4096], addr[EMBER_ADDR_BUFLEN];
	fprintf(stderr, "emberd: dev accounts (keystores have an empty passphrase):\n");
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/dev-keys/dev%u.json", datadir, i);
		if (ember_keystore_address(path, addr) != 0)
			break;
		fprintf(stderr, "  %s  %s\n", addr, path);
	}
}

int ember_dev_genesis(struct ember_genesis *g, const char *prefix, unsigned naccounts,
                      unsigned nval, uint64_t block_time_ms)
{
	uint8_t rnd[DEV_CHAIN_ID_RANDOM];
	char hex[2 * DEV_CHAIN_ID_RANDOM + 1];

	if (sodium_init() < 0)
		return EMBER_EINTERNAL;
	randombytes_buf(rnd, sizeof(rnd));
	ember_hex_encode(rnd, sizeof(rnd), hex);
	memset(g, 0, sizeof(*g));
	snprintf(g->chain_id, sizeof(g->chain_id), "%s%s", prefix, hex);
	snprintf(g->token_model, sizeof(g->token_model), "bme");
	g->genesis_time_ms = (uint64_t)time(NULL) * 1000;
	g->block_time_ms = block_time_ms ? block_time_ms : 1000;
	g->min_fee = DEV_MIN_FEE;
	/* Short epochs, unbonding and order lifetimes so the whole economy can
	 * be watched within minutes on a 1 s block. */
	ember_params_default(&g->params);
	g->params.epoch_blocks = 60;
	g->params.unbonding_blocks = 120;
	g->params.order_ttl_blocks = 300;
	/* Dev validators do not run a price feed, so the genesis price must
	 * stay usable; real networks keep the default. */
	g->params.oracle_max_age_epochs = 1000000;
	/* Challenges on, answered by `ember-prover --backend cpu` on a dev
	 * machine: a light grinding cost (docs/proofs.md explains what a
	 * real network's 24 bits buy). */
	g->params.proof_pow_bits = 16;
	g->allocs = calloc(naccounts ? naccounts : 1, sizeof(*g->allocs));
	g->vals = calloc(nval ? nval : 1, sizeof(*g->vals));
	if (!g->allocs || !g->vals || ember_genesis_default_classes(g) != 0) {
		ember_genesis_release(g);
		return EMBER_ENOMEM;
	}
	return 0;
}

int ember_dev_accounts(const char *dir, struct ember_genesis *g, unsigned naccounts)
{
	struct ember_keypair kp;
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/dev-keys", dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "emberd: cannot create '%s': %s\n", path, strerror(errno));
		return EMBER_EIO;
	}
	for (unsigned i = 0; i < naccounts; i++) {
		snprintf(path, sizeof(path), "%s/dev-keys/dev%u.json", dir, i);
		if ((rc = ember_keypair_generate(&kp)) ||
		    (rc = ember_keystore_save(path, &kp, "", 0))) {
			fprintf(stderr, "emberd: cannot write dev key '%s': %s\n", path,
			        ember_strerror(rc));
			ember_keypair_clear(&kp);
			return rc;
		}
		memcpy(g->allocs[g->nalloc].pub, kp.pub, 32);
		g->allocs[g->nalloc].amount = DEV_BALANCE;
		g->nalloc++;
		ember_keypair_clear(&kp);
	}
	return 0;
}

int ember_devnet_prepare(const char *datadir, unsigned naccounts,
                         uint64_t block_time_ms)
{
	struct ember_genesis g;
	struct ember_keypair kp;
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/genesis.json", datadir);
	if (exists(path)) {
		print_accounts(datadir, 64);
		return 0;
	}
	if ((rc = ember_dev_genesis(&g, DEV_CHAIN_ID_PREFIX, naccounts, 1, block_time_ms))) {
		fprintf(stderr, "emberd: cannot make a genesis: %s\n", ember_strerror(rc));
		return rc;
	}
	if ((rc = ember_dev_accounts(datadir, &g, naccounts))) {
		ember_genesis_release(&g);
		return rc;
	}

	snprintf(path, sizeof(path), "%s/validator_key.json", datadir);
	if (exists(path)) {
		const char *pass = getenv("EMBER_VALIDATOR_PASSPHRASE");
		rc = ember_keystore_load(path, pass ? pass : "", pass ? strlen(pass) : 0, &kp);
	} else {
		rc = ember_keypair_generate(&kp);
		if (!rc)
			rc = ember_keystore_save(path, &kp, "", 0);
	}
	if (rc) {
		fprintf(stderr, "emberd: cannot set up validator key '%s': %s\n", path,
		        ember_strerror(rc));
		ember_genesis_release(&g);
		return rc;
	}
	memcpy(g.vals[0].pub, kp.pub, 32);
	g.vals[0].power = 10;
	g.nval = 1;
	ember_keypair_clear(&kp);

	snprintf(path, sizeof(path), "%s/genesis.json", datadir);
	if ((rc = ember_genesis_finish(&g)) || (rc = ember_genesis_save(&g, path))) {
		fprintf(stderr, "emberd: cannot write '%s': %s\n", path, ember_strerror(rc));
		ember_genesis_release(&g);
		return rc;
	}
	fprintf(stderr, "emberd: created devnet '%s' in '%s'\n", g.chain_id, datadir);
	ember_genesis_release(&g);
	print_accounts(datadir, naccounts);
	return 0;
}
