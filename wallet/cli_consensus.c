/*
 * cli_consensus.c - ember-cli's view of BFT consensus: the validator set
 * (getvalidators) and a block's commit certificate (getcommit).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

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

static int cmd_evidence(struct cli *c, const struct cli_opts *o, char **args)
{
	(void)args;
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
	{ "evidence", cmd_evidence, 0, 0, CLI_O_JSON, 0, CLI_F_RPC, "getevidence",
	  "evidence [--json]",
	  "the double signs the node saw: two signed votes of one validator for one "
	  "height, round and type" },
};

const struct cli_cmd *cli_consensus_cmds(size_t *n)
{
	*n = sizeof cc_cmds / sizeof cc_cmds[0];
	return cc_cmds;
}
