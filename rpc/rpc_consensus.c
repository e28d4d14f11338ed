/*
 * rpc_consensus.c - BFT consensus over JSON-RPC (docs/rpc.md):
 *
 *   getvalidators        the validator set with powers and proposer
 *                        priorities, the proposer of the round being
 *                        decided, and where this node's consensus stands
 *                        (height, round, step, lock); a node that takes
 *                        no part lists the genesis set with "consensus":
 *                        null
 *   getcommit HEIGHT     the commit certificate stored with block HEIGHT:
 *                        its round and every signer with its power
 *   getevidence          the double signs this node saw since it started
 *                        (two different signed votes of one validator for
 *                        one height, round and type), newest first, with
 *                        both votes' values, times and signatures: what an
 *                        `evidence` tx carries
 *
 * The table is served by the node beside the others, ctx the struct
 * rpc_node (rpcnode.h).
 */
#include "ember/rpcnode.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ember/block.h"
#include "ember/chain.h"
#include "ember/genesis.h"
#include "ember/tok.h"
#include "rpcjson.h"

static const char *const step_names[] = { "propose", "prevote", "precommit", "decided" };

static void m_getvalidators(struct rpc_call *call, json_t *params, void *ctx)
{
	struct rpc_node *n = ctx;
	const struct ember_genesis *g = rpc_node_genesis(n);
	struct rpc_consensus *cs = calloc(1, sizeof(*cs));
	json_t *vals = json_array(), *res;
	struct ember_txn *t = NULL;
	uint64_t epoch = 0;
	int have, have_missed = 0;
	(void)params;

	if (!cs || !vals) {
		free(cs);
		json_decref(vals);
		rpc_error(call, RPC_INTERNAL_ERROR, "node out of memory");
		return;
	}
	have = rpc_node_consensus(n, cs) == 0;
	if (!have) {
		cs->n = g->nval;
		for (size_t i = 0; i < g->nval && i < 128; i++) {
			memcpy(cs->v[i].pub, g->vals[i].pub, 32);
			cs->v[i].power = g->vals[i].power;
		}
	}
	/* Downtime so far: the current epoch's last commits each validator
	 * is missing from (tok.h). */
	if (ember_store_read(rpc_node_store(n), &t) == 0) {
		struct ember_tip tip;
		if (ember_chain_get_tip(t, &tip) == 0) {
			epoch = tok_epoch_of(g, tip.height + 1);
			have_missed = 1;
		}
	}
	for (size_t i = 0; i < cs->n; i++) {
		json_t *o = json_pack("{s:o, s:I}", "address", rpc_json_addr(cs->v[i].pub),
		                      "power", (json_int_t)cs->v[i].power);
		uint64_t missed;
		if (have_missed && tok_validator_missed(t, epoch, cs->v[i].pub, &missed) == 0)
			json_object_set_new(o, "missed_this_epoch", json_integer((json_int_t)missed));
		if (have) {
			json_object_set_new(o, "proposer_priority", json_integer(cs->v[i].priority));
			json_object_set_new(o, "proposer", json_boolean(i == cs->proposer));
		}
		json_array_append_new(vals, o);
	}
	ember_txn_abort(t);
	res = json_pack("{s:o}", "validators", vals);
	if (have_missed)
		json_object_set_new(res, "epoch", json_integer((json_int_t)epoch));
	if (have)
		json_object_set_new(res, "consensus", json_pack(
			"{s:I, s:I, s:s, s:I, s:o}",
			"height", (json_int_t)cs->height, "round", (json_int_t)cs->round,
			"step", cs->step >= 0 && cs->step < 4 ? step_names[cs->step] : "?",
			"locked_round", (json_int_t)cs->locked_round,
			"self", cs->self >= 0 ? json_integer(cs->self) : json_null()));
	if (have && cs->lat_n)
		json_object_set_new(json_object_get(res, "consensus"), "commit_latency_ms",
			json_pack("{s:I, s:I, s:I}", "p50", (json_int_t)cs->lat_p50_ms,
			          "p99", (json_int_t)cs->lat_p99_ms, "blocks", (json_int_t)cs->lat_n));
	else
		json_object_set_new(res, "consensus", json_null());
	free(cs);
	rpc_result(call, res);
}

static void m_getcommit(struct rpc_call *call, json_t *params, void *ctx)
{
	struct rpc_node *n = ctx;
	const struct ember_genesis *g = rpc_node_genesis(n);
	struct ember_cert *ce = NULL;
	struct ember_header h;
	struct ember_txn *t = NULL;
	const uint8_t *blk, *cert;
	size_t blen, clen;
	uint64_t height, signed_power = 0, total = 0;
	uint8_t hash[32];
	json_t *signers;
	int rc;

	if (rpc_param_u64(call, params, 0, "height", &height) <= 0)
		return;
	if ((rc = ember_store_read(rpc_node_store(n), &t))) {
		rpc_error(call, RPC_INTERNAL_ERROR, "cannot read the ledger: %s", ember_strerror(rc));
		return;
	}
	if (ember_chain_get_block(t, height, &blk, &blen) != 0) {
		rpc_error(call, RPC_ERR_NOT_FOUND, "no block at height %" PRIu64, height);
		goto out;
	}
	if (height == 0 || ember_chain_get_cert(t, height, &cert, &clen) != 0) {
		rpc_error(call, RPC_ERR_NOT_FOUND, "block %" PRIu64 " has no commit certificate%s",
		          height, height == 0 ? " (the genesis block is not voted on)" : "");
		goto out;
	}
	if (!(ce = malloc(sizeof(*ce))) || ember_cert_decode(ce, cert, clen) != 0 ||
	    blen < EMBER_HEADER_SIZE || ember_header_decode(&h, blk, EMBER_HEADER_SIZE) != 0) {
		rpc_error(call, RPC_INTERNAL_ERROR, "block %" PRIu64 " or its certificate "
		          "does not decode", height);
		goto out;
	}
	ember_header_hash(&h, hash);
	signers = json_array();
	for (size_t i = 0; i < g->nval; i++)
		total += g->vals[i].power;
	for (uint32_t i = 0; i < ce->nsig; i++) {
		uint64_t power = 0;
		for (size_t j = 0; j < g->nval; j++)
			if (memcmp(g->vals[j].pub, ce->sigs[i].validator, 32) == 0)
				power = g->vals[j].power;
		signed_power += power;
		json_array_append_new(signers, json_pack("{s:o, s:I, s:o}",
			"address", rpc_json_addr(ce->sigs[i].validator), "power", (json_int_t)power,
			"signature", rpc_json_hex(ce->sigs[i].sig, 64)));
	}
	rpc_result(call, json_pack("{s:I, s:o, s:I, s:o, s:I, s:I}",
		"height", (json_int_t)height, "hash", rpc_json_hex(hash, 32),
		"round", (json_int_t)ce->round, "signers", signers,
		"power_signed", (json_int_t)signed_power, "power_total", (json_int_t)total));
out:
	free(ce);
	ember_txn_abort(t);
}

static json_t *vote_json(const struct rpc_vote *v)
{
	return json_pack("{s:o, s:o, s:o}",
		"value", v->nil ? json_null() : rpc_json_hex(v->value, 32),
		"time_ms", rpc_json_u64(v->time_ms),
		"signature", rpc_json_hex(v->sig, 64));
}

/* getevidence: the double signs this node saw, each two signed votes
 * that together prove it (the fields of an `evidence` tx). */
static void m_getevidence(struct rpc_call *call, json_t *params, void *ctx)
{
	struct rpc_node *n = ctx;
	struct rpc_consensus *cs = calloc(1, sizeof(*cs));
	json_t *list = json_array();
	(void)params;

	if (!cs || !list) {
		free(cs);
		json_decref(list);
		rpc_error(call, RPC_INTERNAL_ERROR, "node out of memory");
		return;
	}
	if (rpc_node_consensus(n, cs) == 0)
		for (size_t i = 0; i < cs->nev; i++) {
			const struct rpc_evidence *e = &cs->ev[i];
			json_array_append_new(list, json_pack("{s:o, s:s, s:I, s:I, s:o, s:o}",
				"validator", rpc_json_addr(e->validator),
				"type", e->a.type == 1 ? "prevote" : "precommit",
				"height", (json_int_t)e->a.height, "round", (json_int_t)e->a.round,
				"a", vote_json(&e->a), "b", vote_json(&e->b)));
		}
	free(cs);
	rpc_result(call, json_pack("{s:o}", "evidence", list));
}

static const struct rpc_method cs_methods[] = {
	{ "getvalidators", m_getvalidators, 0, 0, 0, { NULL },
	  "the validator set, proposer priorities, and where consensus stands" },
	{ "getcommit", m_getcommit, 1, 1, RPC_F_READONLY, { "height", NULL },
	  "the commit certificate of block HEIGHT: round, signers and their power" },
	{ "getevidence", m_getevidence, 0, 0, 0, { NULL },
	  "the double signs this validator saw: two signed votes of one validator "
	  "for one height, round and type" },
};

const struct rpc_method *rpc_consensus_methods(size_t *count)
{
	*count = sizeof(cs_methods) / sizeof(cs_methods[0]);
	return cs_methods;
}
