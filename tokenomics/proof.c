/*
 * proof.c - GPU proofs on chain: the proof tx (kind 16) with the verifier
 * in block apply, challenge records, and the epoch's challenge hash.
 *
 * Rules: docs/proofs.md ("The protocol in one page") and proof.h for the
 * challenge; docs/economics.md ("Emission and rewards", step 3) for the
 * judgment, which epoch.c runs at the boundary.
 *
 * State (all through ember_state, so it enters the state root):
 *   EMBER_DB_CHALLENGES  be64 epoch || provider -> challenge record
 *                        u8 version || u8 result || le64 height ||
 *                        le32 n || 20 root          (CHAL_ENC_LEN bytes)
 *   EMBER_DB_PARAMS      "H" || be64 epoch -> 32-byte hash H of block e*E
 * A record is written PASS when a proof applies, and FAIL or MISSING at the
 * epoch's boundary for every challenged provider without a pass.  Keyed by
 * epoch first, so one epoch's records are one key range.
 *
 * H is the parent of the epoch's first block (height e*E+1).  That block
 * records it at its end (tok_block_end), so proof txs inside that very
 * block, which apply before the record exists, read the block's parent
 * instead: the same value, and a handler that refuses writes nothing.
 *
 * Cost: one proof costs the verifier O(k N) (proof.h), about 5 ms at
 * N = 8192; a replay or a late proof is refused on reads alone, before the
 * verifier runs.
 */
#include "tok_int.h"

#include <string.h>

#include "ember/proof.h"

#define CHAL_VERSION 1
#define CHAL_ENC_LEN (1 + 1 + 8 + 4 + EMBER_PROOF_NODE)

/* --- keys and codec ------------------------------------------------------ */

static size_t chal_key(uint8_t out[40], uint64_t epoch, const uint8_t prov[32])
{
	ember_be64_put(out, epoch);
	memcpy(out + 8, prov, 32);
	return 40;
}

static size_t hash_key(uint8_t out[9], uint64_t epoch)
{
	out[0] = 'H';
	ember_be64_put(out + 1, epoch);
	return 9;
}

static void chal_encode(const struct tok_challenge_rec *r,
                        uint8_t out[CHAL_ENC_LEN])
{
	out[0] = CHAL_VERSION;
	out[1] = r->result;
	ember_le64_put(out + 2, r->height);
	out[10] = (uint8_t)r->n;
	out[11] = (uint8_t)(r->n >> 8);
	out[12] = (uint8_t)(r->n >> 16);
	out[13] = (uint8_t)(r->n >> 24);
	memcpy(out + 14, r->root, EMBER_PROOF_NODE);
}

/* Strict: the exact length, a known version and a result a record can
 * hold (NONE is never written), else EMBER_STORE_CORRUPT. */
static int chal_decode(struct tok_challenge_rec *r, const uint8_t *in,
                       size_t len)
{
	if (len != CHAL_ENC_LEN || in[0] != CHAL_VERSION ||
	    in[1] < EMBER_CHAL_PASS || in[1] > EMBER_CHAL_MISSING)
		return EMBER_STORE_CORRUPT;
	r->result = in[1];
	r->height = ember_le64_get(in + 2);
	r->n = (uint32_t)in[10] | (uint32_t)in[11] << 8 |
	       (uint32_t)in[12] << 16 | (uint32_t)in[13] << 24;
	memcpy(r->root, in + 14, EMBER_PROOF_NODE);
	return 0;
}

/* --- readers (tok.h) ----------------------------------------------------- */

int tok_challenge_get(struct ember_txn *t, uint64_t epoch,
                      const uint8_t provider[32],
                      struct tok_challenge_rec *out)
{
	uint8_t key[40];
	const void *v;
	size_t vlen;
	int rc;

	if (!t || !provider || !out)
		return EMBER_EINVAL;
	rc = ember_store_get(t, EMBER_DB_CHALLENGES, key,
	                     chal_key(key, epoch, provider), &v, &vlen);
	if (rc)
		return rc;
	return chal_decode(out, v, vlen);
}

int tok_epoch_hash(struct ember_txn *t, uint64_t epoch, uint8_t out[32])
{
	uint8_t key[9];
	const void *v;
	size_t vlen;
	int rc;

	if (!t || !out)
		return EMBER_EINVAL;
	rc = ember_store_get(t, EMBER_DB_PARAMS, key, hash_key(key, epoch), &v,
	                     &vlen);
	if (rc)
		return rc;
	if (vlen != 32)
		return EMBER_STORE_CORRUPT;
	memcpy(out, v, 32);
	return 0;
}

void tok_block_set_parent(struct tok_block *b, const uint8_t parent[32])
{
	memcpy(b->parent, parent, 32);
}

/* --- writers -------------------------------------------------------------- */

int tk_epoch_hash_record(struct tok_block *b, struct ember_state *st)
{
	uint64_t E = b->g->params.epoch_blocks;
	uint8_t key[9];

	if (E == 0 || b->height == 0 || (b->height - 1) % E != 0)
		return 0;
	return ember_state_put(st, EMBER_DB_PARAMS, key,
	                       hash_key(key, b->epoch), b->parent, 32);
}

int tk_challenge_write(struct ember_state *st, struct ember_provider *p,
                       uint64_t epoch, const struct tok_challenge_rec *rec)
{
	uint8_t key[40], val[CHAL_ENC_LEN];
	int rc;

	chal_encode(rec, val);
	rc = ember_state_put(st, EMBER_DB_CHALLENGES, key,
	                     chal_key(key, epoch, p->owner), val, sizeof(val));
	if (rc)
		return rc;
	p->chal_epoch = epoch;
	p->chal_result = rec->result;
	return 0;
}

/*
 * Tests and drivers record results directly (tokrun.h's hook); the record
 * they write is the one a proof or the judgment would, so the judgment and
 * the RPC reads see no difference.
 */
int tok_challenge_result(struct tok_block *b, struct ember_state *st,
                         const uint8_t provider[32], uint64_t epoch,
                         uint8_t result)
{
	const struct ember_gpu_class *cl;
	struct tok_challenge_rec rec;
	struct ember_provider p;
	int rc;

	if (!st || !provider)
		return EMBER_EINVAL;
	if (result > EMBER_CHAL_MISSING)
		return EMBER_EINVAL;
	rc = tk_get_provider(ember_state_txn(st), provider, &p);
	if (rc == EMBER_ENOTFOUND)
		return EMBER_TOK_NO_PROVIDER;
	if (rc)
		return rc;
	if (result == EMBER_CHAL_NONE) {
		/* NONE is "no result": no record may say otherwise. */
		uint8_t key[40];
		rc = ember_state_del(st, EMBER_DB_CHALLENGES, key,
		                     chal_key(key, epoch, provider));
		if (rc)
			return rc;
		p.chal_epoch = epoch;
		p.chal_result = result;
		return tk_put_provider(st, &p);
	}
	memset(&rec, 0, sizeof(rec));
	rec.result = result;
	rec.height = b ? b->height : 0;
	cl = b ? ember_genesis_class(b->g, p.gpu_class) : NULL;
	rec.n = cl ? cl->challenge_n : 0;
	if ((rc = tk_challenge_write(st, &p, epoch, &rec)))
		return rc;
	return tk_put_provider(st, &p);
}

/* --- the proof tx ----------------------------------------------------------- */

/* The epoch's H: the recorded one, or in the epoch's first block (which
 * records it only at its end) the block's parent.  Returns: 0, 1 when
 * there is none (with why set), store codes. */
static int proof_epoch_hash(struct tk_tx *c, uint64_t e, uint8_t H[32])
{
	uint64_t E = c->g->params.epoch_blocks;
	int rc = tok_epoch_hash(c->t, e, H);

	if (rc != EMBER_ENOTFOUND)
		return rc;
	if (E && (c->b->height - 1) % E == 0) {
		memcpy(H, c->b->parent, 32);
		return 0;
	}
	/* Only a ledger that skipped an epoch's first block could lack it. */
	ember_errf(c->why, c->whylen,
	    "no challenge hash is recorded for epoch %llu", (unsigned long long)e);
	return 1;
}

/* Refuse a proof for epoch e, whose record rec exists: already answered. */
static int proof_refuse_dup(struct tk_tx *c, const char *addr, uint64_t e,
                            const struct tok_challenge_rec *rec)
{
	ember_errf(c->why, c->whylen,
	    "provider '%s' already answered epoch %llu's challenge: %s at height %llu",
	    addr, (unsigned long long)e, ember_chal_result_name(rec->result),
	    (unsigned long long)rec->height);
	return EMBER_PROOF_DUP;
}

/*
 * The order of the checks is part of the rule (docs/economics.md,
 * "Proofs"): what the ledger records about the proof's own epoch comes
 * before anything that depends on the height.  A proof for a challenge
 * that already passed is a replay, refused as EMBER_PROOF_DUP in any later
 * block, deadline or epoch change notwithstanding, so the same tx gets the
 * same answer whenever it is sent; only then the status, the epoch, the
 * registration and the deadline.
 */
int tk_proof(struct tk_tx *c)
{
	const struct ember_params *pp = &c->g->params;
	const struct ember_tx_proof *pr = &c->tx->u.proof;
	const struct ember_gpu_class *cl;
	struct ember_challenge ch;
	struct tok_challenge_rec rec;
	struct ember_provider p;
	char addr[EMBER_ADDR_BUFLEN];
	uint64_t e = c->b->epoch, issued, deadline;
	uint8_t H[32];
	int have_rec, rc;

	if (!pp->challenges_enabled) {
		ember_errf(c->why, c->whylen, "challenges are off on this chain");
		return EMBER_PROOF_NOT_CHALLENGED;
	}
	if ((rc = tk_sender_provider(c, &p)))
		return rc;
	tk_addr(c->tx->from, addr);
	rc = tok_challenge_get(c->t, pr->epoch, c->tx->from, &rec);
	if (rc && rc != EMBER_ENOTFOUND)
		return rc;
	have_rec = rc == 0;
	/* A pass is final: whatever the height, a second proof is a replay. */
	if (have_rec && rec.result == EMBER_CHAL_PASS)
		return proof_refuse_dup(c, addr, pr->epoch, &rec);
	if (p.status != EMBER_PROV_ACTIVE) {
		ember_errf(c->why, c->whylen,
		    "provider '%s' is retired and not challenged; register again to reactivate it",
		    addr);
		return EMBER_TOK_PROVIDER_RETIRED;
	}
	if (pr->epoch != e) {
		ember_errf(c->why, c->whylen,
		    "proof is for epoch %llu, but the current epoch is %llu; "
		    "prove the current epoch's challenge",
		    (unsigned long long)pr->epoch, (unsigned long long)e);
		return EMBER_PROOF_EPOCH;
	}
	/* This epoch's record (pr->epoch == e) is judged before the deadline
	 * too: a result fed through tok_challenge_result stands. */
	if (have_rec)
		return proof_refuse_dup(c, addr, e, &rec);
	/* e = (h-1)/E, so e*E < h and nothing here overflows. */
	issued = e * pp->epoch_blocks;
	if (p.registered_height > issued) {
		ember_errf(c->why, c->whylen,
		    "provider '%s' registered at height %llu, after block %llu that "
		    "issued epoch %llu's challenges; its first challenge is in epoch %llu",
		    addr, (unsigned long long)p.registered_height,
		    (unsigned long long)issued, (unsigned long long)e,
		    (unsigned long long)(e + 1));
		return EMBER_PROOF_NOT_CHALLENGED;
	}
	if (!ember_add_u64(issued, pp->challenge_deadline_blocks, &deadline))
		deadline = UINT64_MAX;
	if (c->b->height > deadline) {
		ember_errf(c->why, c->whylen,
		    "proof for epoch %llu at height %llu is past its deadline, height %llu",
		    (unsigned long long)e, (unsigned long long)c->b->height,
		    (unsigned long long)deadline);
		return EMBER_PROOF_LATE;
	}
	if (!(cl = ember_genesis_class(c->g, p.gpu_class))) {
		ember_errf(c->why, c->whylen,
		    "provider '%s' has gpu class %u, which is not in the genesis",
		    addr, (unsigned)p.gpu_class);
		return EMBER_TOK_CLASS;
	}
	if ((rc = proof_epoch_hash(c, e, H)) == 1)
		return EMBER_PROOF_NOT_CHALLENGED;
	if (rc)
		return rc;

	/* Reads are done; the verifier is pure, and its refusal is ours. */
	ember_challenge_derive(&ch, H, c->tx->from, e, cl->challenge_n);
	rc = ember_proof_verify(&ch, pp->proof_openings, pp->proof_pow_bits,
	                        pr->body, pr->body_len, c->why, c->whylen);
	if (rc)
		return rc;

	/* Checks are done: from here on only writes. */
	memset(&rec, 0, sizeof(rec));
	rec.result = EMBER_CHAL_PASS;
	rec.height = c->b->height;
	rec.n = cl->challenge_n;
	if ((rc = ember_proof_root(pr->body, pr->body_len, rec.root)))
		return rc;      /* cannot happen after a pass; nothing written */
	if ((rc = tk_challenge_write(c->st, &p, e, &rec)))
		return rc;
	return tk_put_provider(c->st, &p);
}
