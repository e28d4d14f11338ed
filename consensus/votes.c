/*
 * votes.c - validator set arithmetic, proposer selection, vote signatures
 * and commit-certificate checks.  Pure functions of the genesis validator
 * set (a dynamic set arrives with staking in a later issue).
 */
#include "ember/cons.h"

#include <string.h>

#include "ember/codec.h"
#include "ember/hash.h"

static uint64_t total_power(const struct ember_genesis *g)
{
	uint64_t t = 0;
	for (size_t i = 0; i < g->nval; i++)
		t += g->vals[i].power;   /* genesis.c bounds powers; no overflow */
	return t;
}

static int val_index(const struct ember_genesis *g, const uint8_t pub[32])
{
	for (size_t i = 0; i < g->nval; i++)
		if (memcmp(g->vals[i].pub, pub, 32) == 0)
			return (int)i;
	return -1;
}

const uint8_t *cons_proposer(const struct ember_genesis *g, uint64_t height,
                             uint32_t round)
{
	uint64_t total = total_power(g), slot;
	if (g->nval == 0 || total == 0)
		return NULL;
	slot = (height + round) % total;
	for (size_t i = 0; i < g->nval; i++) {
		if (slot < g->vals[i].power)
			return g->vals[i].pub;
		slot -= g->vals[i].power;
	}
	return g->vals[g->nval - 1].pub;
}

int cons_vote_sign(const struct ember_keypair *key, const char *chain_id,
                   uint8_t type, uint64_t height, uint32_t round,
                   const uint8_t hash[32], uint8_t sig[64])
{
	uint8_t vh[32];
	ember_vote_hash(chain_id, type, height, round, hash, vh);
	return ember_schnorr_sign(key, vh, sizeof(vh), NULL, sig);
}

int cons_cert_verify(const struct ember_genesis *g, uint64_t height,
                     const uint8_t hash[32], const struct ember_cert *cert)
{
	uint8_t seen[EMBER_GEN_MAX_VALIDATORS] = { 0 };
	uint8_t vh[32];
	uint64_t power = 0, total = total_power(g);

	if (cert->nsig == 0 || cert->nsig > g->nval)
		return EMBER_BLK_CERT;
	ember_vote_hash(g->chain_id, EMBER_VOTE_PRECOMMIT, height, cert->round,
	                hash, vh);
	for (uint32_t i = 0; i < cert->nsig; i++) {
		int v = val_index(g, cert->sigs[i].validator);
		if (v < 0 || seen[v])
			return EMBER_BLK_CERT;
		seen[v] = 1;
		if (!ember_schnorr_verify(cert->sigs[i].validator, vh, sizeof(vh),
		                          cert->sigs[i].sig))
			return EMBER_BLK_CERT;
		power += g->vals[v].power;
	}
	/* Strictly more than two thirds, in integers; genesis bounds the total
	 * to 64 bits, so the products need 66: use 128. */
	return (unsigned __int128)power * 3 > (unsigned __int128)total * 2 ? 0
	                                                                : EMBER_BLK_CERT;
}

int cons_vote_verify(const uint8_t pub[32], const char *chain_id, uint8_t type,
                     uint64_t height, uint32_t round, const uint8_t hash[32],
                     const uint8_t sig[64])
{
	uint8_t vh[32];
	ember_vote_hash(chain_id, type, height, round, hash, vh);
	return ember_schnorr_verify(pub, vh, sizeof(vh), sig) ? 0 : EMBER_CRYPTO_VERIFY;
}

/* tagged_hash("ember/proposal", varint len chain_id || chain_id || u64
 * height || u32 round || u32 (pol_round + 1) || 32 block id). */
static void proposal_hash(const char *chain_id, uint64_t height, uint32_t round,
                          int32_t pol_round, const uint8_t value[32], uint8_t out[32])
{
	uint8_t buf[10 + 255 + 8 + 4 + 4 + 32];
	struct ember_wbuf w;
	size_t idlen = strlen(chain_id);

	if (idlen > 255)
		idlen = 255;
	ember_wbuf_init(&w, buf, sizeof(buf));
	ember_put_varint(&w, idlen);
	ember_put_bytes(&w, chain_id, idlen);
	ember_put_u64(&w, height);
	ember_put_u32(&w, round);
	ember_put_u32(&w, (uint32_t)(pol_round + 1));
	ember_put_bytes(&w, value, 32);
	ember_tagged_hash("ember/proposal", buf, w.len, out);
}

int cons_proposal_sign(const struct ember_keypair *key, const char *chain_id,
                       uint64_t height, uint32_t round, int32_t pol_round,
                       const uint8_t value[32], uint8_t sig[64])
{
	uint8_t ph[32];
	proposal_hash(chain_id, height, round, pol_round, value, ph);
	return ember_schnorr_sign(key, ph, sizeof(ph), NULL, sig);
}

int cons_proposal_verify(const uint8_t pub[32], const char *chain_id,
                         uint64_t height, uint32_t round, int32_t pol_round,
                         const uint8_t value[32], const uint8_t sig[64])
{
	uint8_t ph[32];
	proposal_hash(chain_id, height, round, pol_round, value, ph);
	return ember_schnorr_verify(pub, ph, sizeof(ph), sig) ? 0 : EMBER_CRYPTO_VERIFY;
}
