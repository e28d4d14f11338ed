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
                   const uint8_t hash[32], uint64_t time_ms, uint8_t sig[64])
{
	uint8_t vh[32];
	ember_vote_hash(chain_id, type, height, round, hash, time_ms, vh);
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
	for (uint32_t i = 0; i < cert->nsig; i++) {
		int v = val_index(g, cert->sigs[i].validator);
		if (v < 0 || seen[v])
			return EMBER_BLK_CERT;
		seen[v] = 1;
		/* Each precommit signs its own time. */
		ember_vote_hash(g->chain_id, EMBER_VOTE_PRECOMMIT, height, cert->round,
		                hash, cert->sigs[i].time_ms, vh);
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
                     uint64_t time_ms, const uint8_t sig[64])
{
	uint8_t vh[32];
	ember_vote_hash(chain_id, type, height, round, hash, time_ms, vh);
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

/* ---- the last commit and BFT time ----------------------------------------- */

int cons_last_commit(const struct ember_genesis *g, uint64_t parent_height,
                     uint64_t parent_time_ms, const uint8_t parent_hash[32],
                     const uint8_t *lc, size_t lclen, struct ember_cert *scratch,
                     uint64_t *time_ms, char *why, size_t whylen)
{
	uint32_t order[EMBER_GEN_MAX_VALIDATORS];
	uint64_t power[EMBER_GEN_MAX_VALIDATORS];
	uint64_t total = 0, cum = 0;
	struct ember_cert *ce = scratch;
	uint32_t n;

	if (parent_height == 0) {
		/* Block 1: nothing was precommitted before it. */
		if (lclen) {
			ember_errf(why, whylen, "block 1 carries a last commit");
			return EMBER_BLK_LAST_COMMIT;
		}
		*time_ms = parent_time_ms + 1;
		return 0;
	}
	if (!lclen || lclen > EMBER_CERT_MAX_SIZE || ember_cert_decode(ce, lc, lclen)) {
		ember_errf(why, whylen, "block %llu's last commit is %s",
		    (unsigned long long)parent_height + 1,
		    lclen ? "not a certificate encoding" : "missing");
		return EMBER_BLK_LAST_COMMIT;
	}
	if (cons_cert_verify(g, parent_height, parent_hash, ce)) {
		ember_errf(why, whylen, "block %llu's last commit lacks +2/3 valid precommits "
		    "for block %llu", (unsigned long long)parent_height + 1,
		    (unsigned long long)parent_height);
		return EMBER_BLK_LAST_COMMIT;
	}
	/* cons_cert_verify checked: distinct validators of the set, so at
	 * most nval signers, each with a power.  A single precommit's time
	 * is not judged: only the median is, so a faulty signer's stamp
	 * cannot make an honest certificate unusable as a last commit. */
	n = ce->nsig;
	for (uint32_t i = 0; i < n; i++) {
		int v = val_index(g, ce->sigs[i].validator);
		power[i] = g->vals[v].power;
		total += power[i];
		order[i] = i;
	}
	/* By time, then by position (a total order: no qsort instability). */
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0; j--) {
			uint64_t a = ce->sigs[order[j - 1]].time_ms, b = ce->sigs[order[j]].time_ms;
			uint32_t t;
			if (a < b || (a == b && order[j - 1] < order[j]))
				break;
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	/* The weighted median: the time at which the signers passed (this
	 * one included) hold more than half of the signers' power.  The
	 * signers hold more than 2/3 of all power and the faulty less than
	 * 1/3, so the honest signers hold more than half of the signers'
	 * power: however early or late the faulty stamp, the median is an
	 * honest signer's time, or lies between two.  (CometBFT's rule stops
	 * at half, rounded down, which lets one faulty signer of three equal
	 * ones set the time.) */
	*time_ms = ce->sigs[order[n - 1]].time_ms;
	for (uint32_t i = 0; i < n; i++) {
		cum += power[order[i]];
		if ((unsigned __int128)cum * 2 > total) {
			*time_ms = ce->sigs[order[i]].time_ms;
			break;
		}
	}
	if (*time_ms <= parent_time_ms) {
		ember_errf(why, whylen, "block %llu's time, the weighted median %llu of its "
		    "last commit's precommit times, is not after block %llu's time %llu",
		    (unsigned long long)parent_height + 1, (unsigned long long)*time_ms,
		    (unsigned long long)parent_height, (unsigned long long)parent_time_ms);
		return EMBER_BLK_LAST_COMMIT;
	}
	return 0;
}
