/*
 * cli_consensus.c - ember-cli's view of BFT consensus: the validator set
 * (getvalidators), a block's commit certificate (getcommit), and the
 * double signs a validator saw (getevidence), which `evidence submit`
 * turns into an `evidence` tx.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "ember/addr.h"
#include "ember/block.h"
#include "ember/codec.h"
#include "ember/tx.h"

static int show_validators(struct cli *c, json_t *res)
{
	json_t *vals = json_object_get(res, "validators"), *v;
	json_t *cs = json_object_get(res, "consensus");
	size_t i;

	if (!json_is_array(vals))
		return cli_fail(1, "unexpected answer from node at '%s:%u': no validators",
		                c->rpc.host, c->rpc.port);
	if (json_is_object(cs))
		printf("deciding height %" JSON_INTEGER_FORMAT " round %" JSON_INTEGER_FORMAT
		       " (%s)%s\n", json_integer_value(json_object_get(cs, "height")),
		       json_integer_value(json_object_get(cs, "round")), cli_str(cs, "step"),
		       json_integer_value(json_object_get(cs, "locked_round")) >= 0
		       ? ", locked" : "");
	else
		printf("this node takes no part in consensus (the genesis set):\n");
	json_array_foreach(vals, i, v) {
		json_t *prio = json_object_get(v, "proposer_priority");
		printf("%3zu  %s  power %-6" JSON_INTEGER_FORMAT, i, cli_str(v, "address"),
		       json_integer_value(json_object_get(v, "power")));
		if (json_is_integer(prio))
			printf("  priority %-8" JSON_INTEGER_FORMAT "%s", json_integer_value(prio),
			       json_is_true(json_object_get(v, "proposer")) ? "  proposer" : "");
		printf("\n");
	}
	return 0;
}

static int cmd_validators(struct cli *c, const struct cli_opts *o, char **args)
{
	(void)args;
	return cli_read(c, o, "getvalidators", json_array(), show_validators);
}

static int show_commit(struct cli *c, json_t *res)
{
	json_t *signers = json_object_get(res, "signers"), *s;
	size_t i;

	if (!json_is_array(signers))
		return cli_fail(1, "unexpected answer from node at '%s:%u': no signers",
		                c->rpc.host, c->rpc.port);
	printf("block %" JSON_INTEGER_FORMAT " %s decided in round %" JSON_INTEGER_FORMAT
	       ", power %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT " signed\n",
	       json_integer_value(json_object_get(res, "height")), cli_str(res, "hash"),
	       json_integer_value(json_object_get(res, "round")),
	       json_integer_value(json_object_get(res, "power_signed")),
	       json_integer_value(json_object_get(res, "power_total")));
	json_array_foreach(signers, i, s)
		printf("  %s  power %" JSON_INTEGER_FORMAT "\n", cli_str(s, "address"),
		       json_integer_value(json_object_get(s, "power")));
	return 0;
}

static int cmd_commit(struct cli *c, const struct cli_opts *o, char **args)
{
	uint64_t h;

	if (cli_parse_u64(args[0], &h) != 0)
		return cli_fail(2, "invalid height '%s': expected a whole number", args[0]);
	return cli_read(c, o, "getcommit", json_pack("[I]", (json_int_t)h), show_commit);
}

static int show_evidence(struct cli *c, json_t *res)
{
	json_t *list = json_object_get(res, "evidence"), *e;
	size_t i;

	if (!json_is_array(list))
		return cli_fail(1, "unexpected answer from node at '%s:%u': no evidence",
		                c->rpc.host, c->rpc.port);
	if (!json_array_size(list))
		printf("no double sign seen\n");
	json_array_foreach(list, i, e) {
		json_t *a = json_object_get(e, "a"), *b = json_object_get(e, "b");
		const char *va = json_string_value(json_object_get(a, "value"));
		const char *vb = json_string_value(json_object_get(b, "value"));
		printf("%s signed two %ss at height %" JSON_INTEGER_FORMAT " round %"
		       JSON_INTEGER_FORMAT ": %s and %s\n", cli_str(e, "validator"),
		       cli_str(e, "type"), json_integer_value(json_object_get(e, "height")),
		       json_integer_value(json_object_get(e, "round")), va ? va : "nil",
		       vb ? vb : "nil");
	}
	return 0;
}

/* One vote of a getevidence pair into the tx's (hash, time, sig). */
static int ev_vote(json_t *v, uint8_t hash[32], uint64_t *time_ms, uint8_t sig[64])
{
	json_t *val = json_object_get(v, "value"), *t = json_object_get(v, "time_ms");
	const char *sg = json_string_value(json_object_get(v, "signature"));
	size_t n;

	memset(hash, 0, 32);      /* nil: the all-zero hash it signed */
	if (json_is_string(val) &&
	    (strlen(json_string_value(val)) != 64 ||
	     ember_hex_decode(json_string_value(val), 64, hash, 32, &n) || n != 32))
		return -1;
	if (json_is_string(t)) {
		if (cli_parse_u64(json_string_value(t), time_ms))
			return -1;
	} else if (json_is_integer(t) && json_integer_value(t) >= 0) {
		*time_ms = (uint64_t)json_integer_value(t);
	} else {
		return -1;
	}
	if (!sg || strlen(sg) != 128 || ember_hex_decode(sg, 128, sig, 64, &n) || n != 64)
		return -1;
	return 0;
}

/* evidence submit N --from K: the node's Nth double sign as an evidence
 * tx, signed by K (any funded account). */
static int ev_submit(struct cli *c, const struct cli_opts *o, const char *which)
{
	struct ember_tx tx;
	struct ember_tx_evidence *e = &tx.u.evidence;
	json_t *res = NULL, *ev;
	uint64_t idx, height, round;
	const char *type, *addr;
	int rc;

	if (cli_parse_u64(which, &idx) != 0)
		return cli_fail(2, "invalid evidence number '%s': expected 0, 1, ... "
		                "(the order of 'ember-cli evidence')", which);
	if (!o->from)
		return cli_fail(2, "'evidence submit' needs --from KEYSTORE (the account "
		                "that pays the fee)");
	if ((rc = cli_call(c, "getevidence", json_array(), &res, NULL)))
		return rc;
	ev = json_array_get(json_object_get(res, "evidence"), (size_t)idx);
	memset(&tx, 0, sizeof tx);
	tx.kind = EMBER_TX_EVIDENCE;
	type = json_string_value(json_object_get(ev, "type"));
	addr = json_string_value(json_object_get(ev, "validator"));
	if (!ev || !type || !addr || ember_addr_decode(addr, e->validator) ||
	    cli_json_u64(c, ev, "height", &height) || cli_json_u64(c, ev, "round", &round) ||
	    round > UINT32_MAX ||
	    ev_vote(json_object_get(ev, "a"), e->hash_a, &e->time_a, e->sig_a) ||
	    ev_vote(json_object_get(ev, "b"), e->hash_b, &e->time_b, e->sig_b)) {
		json_decref(res);
		return cli_fail(1, ev ? "the node's evidence %s does not parse"
		                      : "the node has no evidence number %s", which);
	}
	e->vote_type = strcmp(type, "prevote") == 0 ? EMBER_VOTE_PREVOTE : EMBER_VOTE_PRECOMMIT;
	e->height = height;
	e->round = (uint32_t)round;
	json_decref(res);
	return cli_submit(c, o, &tx, NULL);
}

static int cmd_evidence(struct cli *c, const struct cli_opts *o, char **args)
{
	if (args[0]) {
		if (strcmp(args[0], "submit") != 0 || !args[1])
			return cli_fail(2, "usage: ember-cli evidence [--json], or "
			                "ember-cli evidence submit N --from KEYSTORE");
		return ev_submit(c, o, args[1]);
	}
	if (o->from)
		return cli_fail(2, "'evidence' lists; to send one, 'evidence submit N --from K'");
	return cli_read(c, o, "getevidence", json_array(), show_evidence);
}

static const struct cli_cmd cc_cmds[] = {
	{ "validators", cmd_validators, 0, 0, CLI_O_JSON, 0, CLI_F_RPC, "getvalidators",
	  "validators [--json]",
	  "the validator set: power, proposer priority, and the height and round "
	  "being decided" },
	{ "commit", cmd_commit, 1, 1, CLI_O_JSON, 0, CLI_F_RPC, "getcommit",
	  "commit HEIGHT [--json]",
	  "the commit certificate of a block: its round and who signed it" },
	{ "evidence", cmd_evidence, 0, 2, CLI_O_JSON | CLI_O_TX, 0, CLI_F_RPC, "getevidence",
	  "evidence [--json]\n          evidence submit N " CLI_TX_USAGE,
	  "the double signs the node saw: two signed votes of one validator for one "
	  "height, round and type; 'submit N' sends the Nth as an evidence tx, "
	  "which slashes the signer's stake" },
};

const struct cli_cmd *cli_consensus_cmds(size_t *n)
{
	*n = sizeof cc_cmds / sizeof cc_cmds[0];
	return cc_cmds;
}
