/*
 * testnet.c - `emberd testnet --validators N --out DIR`: a genesis with N
 * validators of equal power and N ready-to-start data directories
 * (CometBFT's `testnet` command is the model):
 *
 *   DIR/genesis.json, DIR/dev-keys/devK.json    the chain and its funded accounts
 *   DIR/nodeI/genesis.json                      the same genesis
 *   DIR/nodeI/validator_key.json                validator I (empty passphrase)
 *   DIR/nodeI/ember.conf                        rpc-listen 127.0.0.1:BASE+2I,
 *                                               p2p-listen 127.0.0.1:BASE+2I+1,
 *                                               a peer line for every other node
 *
 * so `emberd --datadir DIR/nodeI` starts validator I.
 */
#include "ember/node.h"
#include "devnet_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ember/amount.h"
#include "ember/key.h"
#include "ember/keystore.h"

/* Each validator's own account: enough for the fees of the evidence txs
 * its node sends when it sees a double sign. */
#define TESTNET_VALIDATOR_FUNDS (10ULL * EMBER_COIN)

static int mkdir_new(const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "emberd: cannot create '%s': %s\n", path, strerror(errno));
		return EMBER_EIO;
	}
	return 0;
}

static int write_conf(const char *dir, unsigned i, unsigned n, unsigned base)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ember.conf", dir);
	if (!(f = fopen(path, "w"))) {
		fprintf(stderr, "emberd: cannot write '%s': %s\n", path, strerror(errno));
		return EMBER_EIO;
	}
	fprintf(f, "# validator %u of %u (emberd testnet)\n", i, n);
	fprintf(f, "rpc-listen=127.0.0.1:%u\n", base + 2 * i);
	fprintf(f, "p2p-listen=127.0.0.1:%u\n", base + 2 * i + 1);
	for (unsigned j = 0; j < n; j++)
		if (j != i)
			fprintf(f, "peer=127.0.0.1:%u\n", base + 2 * j + 1);
	return fclose(f) == 0 ? 0 : EMBER_EIO;
}

int ember_testnet_create(const char *out, unsigned nval, unsigned naccounts,
                         uint64_t block_time_ms, unsigned base_port)
{
	struct ember_genesis g;
	char path[4200], dir[4096];
	int rc;

	if (nval < 1 || nval > EMBER_GEN_MAX_VALIDATORS || base_port < 1024 ||
	    base_port + 2 * nval > 65535) {
		fprintf(stderr, "emberd: testnet needs 1 to %d validators and a base port "
		        "from 1024 with room for 2 ports each\n", EMBER_GEN_MAX_VALIDATORS);
		return EMBER_EINVAL;
	}
	snprintf(path, sizeof(path), "%s/genesis.json", out);
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "emberd: '%s' exists: a testnet is already there\n", path);
		return EMBER_EINVAL;
	}
	if ((rc = mkdir_new(out)))
		return rc;
	if ((rc = ember_dev_genesis(&g, "ember-testnet-", naccounts, nval, block_time_ms)))
		return rc;
	if ((rc = ember_dev_accounts(out, &g, naccounts)))
		goto done;
	{
		/* Room for one allocation per validator: a little to pay the fee
		 * of the evidence txs its node sends (node.c). */
		struct ember_alloc *a = realloc(g.allocs, (g.nalloc + nval) * sizeof(*a));
		if (!a) {
			rc = EMBER_ENOMEM;
			goto done;
		}
		g.allocs = a;
	}
	for (unsigned i = 0; i < nval; i++) {
		struct ember_keypair kp;
		snprintf(dir, sizeof(dir), "%s/node%u", out, i);
		if ((rc = mkdir_new(dir)))
			goto done;
		snprintf(path, sizeof(path), "%s/validator_key.json", dir);
		if ((rc = ember_keypair_generate(&kp)) ||
		    (rc = ember_keystore_save(path, &kp, "", 0))) {
			fprintf(stderr, "emberd: cannot write '%s': %s\n", path, ember_strerror(rc));
			ember_keypair_clear(&kp);
			goto done;
		}
		memcpy(g.vals[i].pub, kp.pub, 32);
		g.vals[i].power = 10;
		g.nval++;
		memcpy(g.allocs[g.nalloc].pub, kp.pub, 32);
		g.allocs[g.nalloc].amount = TESTNET_VALIDATOR_FUNDS;
		g.nalloc++;
		ember_keypair_clear(&kp);
		if ((rc = write_conf(dir, i, nval, base_port)))
			goto done;
	}
	if ((rc = ember_genesis_finish(&g)))
		goto done;
	snprintf(path, sizeof(path), "%s/genesis.json", out);
	if ((rc = ember_genesis_save(&g, path)))
		goto done;
	for (unsigned i = 0; i < nval; i++) {
		snprintf(path, sizeof(path), "%s/node%u/genesis.json", out, i);
		if ((rc = ember_genesis_save(&g, path)))
			goto done;
	}
	fprintf(stderr, "emberd: testnet '%s' with %u validators in '%s': start each with "
	        "'emberd --datadir %s/nodeI' (RPC on 127.0.0.1:%u + 2I)\n", g.chain_id, nval,
	        out, out, base_port);
done:
	if (rc)
		fprintf(stderr, "emberd: testnet not made: %s\n", ember_strerror(rc));
	ember_genesis_release(&g);
	return rc;
}
