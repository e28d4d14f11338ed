/*
 * cli_proofs.c - ember-cli's GPU-challenge reads over the node's proof
 * methods (docs/rpc.md, getchallenge and listchallenges): what a provider
 * was asked this epoch (or another), by when, and how it went.  Answering
 * a challenge is ember-prover's job, not this file's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

#define CP_LIMIT_MAX 1000

static json_int_t cp_int(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* An integer field, or "none" when it is null or absent. */
static const char *cp_or_none(json_t *o, const char *k, char buf[24])
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v))
		return "none";
	snprintf(buf, 24, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	return buf;
}

static int show_challenge(struct cli *c, json_t *ch)
{
	char b1[24], b2[24];

	printf("provider   %s\n", cli_str(ch, "provider"));
	printf("epoch      %" JSON_INTEGER_FORMAT " (at block %" JSON_INTEGER_FORMAT
	       ", epoch ends at block %" JSON_INTEGER_FORMAT ")\n", cp_int(ch, "epoch"),
	       cp_int(ch, "height"), cp_int(ch, "epoch_end_height"));
	if (!json_is_true(json_object_get(ch, "challenges_enabled")))
		printf("challenges are off on this chain\n");
	if (!json_is_true(json_object_get(ch, "registered"))) {
		printf("status     not a registered provider\n");
		return 0;
	}
	printf("provider   %s, gpu class %s\n", cli_str(ch, "provider_status"),
	       cp_or_none(ch, "gpu_class", b1));
	if (!json_is_true(json_object_get(ch, "challenged"))) {
		json_t *why = json_object_get(ch, "reason");
		printf("status     not challenged%s%s\n", json_is_string(why) ? ": " : "",
		       json_is_string(why) ? json_string_value(why) : "");
		return 0;
	}
	printf("status     %s", cli_str(ch, "status"));
	if (json_is_integer(json_object_get(ch, "blocks_left")))
		printf(", %" JSON_INTEGER_FORMAT " blocks left", cp_int(ch, "blocks_left"));
	if (json_is_integer(json_object_get(ch, "judged_height")))
		printf(", judged at block %" JSON_INTEGER_FORMAT, cp_int(ch, "judged_height"));
	printf("\n");
	if (json_is_true(json_object_get(ch, "issued"))) {
		printf("issued     block %" JSON_INTEGER_FORMAT ", deadline block %"
		       JSON_INTEGER_FORMAT "\n", cp_int(ch, "issued_height"),
		       cp_int(ch, "deadline_height"));
		printf("task       n=%s, %" JSON_INTEGER_FORMAT " openings, %"
		       JSON_INTEGER_FORMAT " pow bits\n", cp_or_none(ch, "n", b2),
		       cp_int(ch, "openings"), cp_int(ch, "pow_bits"));
		printf("seed       %s\n", cli_str(ch, "seed"));
	} else {
		printf("issued     not yet (from block %" JSON_INTEGER_FORMAT ")\n",
		       cp_int(ch, "issued_height"));
	}
	json_t *proof = json_object_get(ch, "proof");
	if (json_is_object(proof)) {
		char *s = json_dumps(proof, JSON_COMPACT);
		printf("proof      %s\n", s ? s : "?");
		free(s);
	}
	return 0;
}

static int cmd_challenge(struct cli *c, const struct cli_opts *o, char **args)
{
	uint8_t pub[32];
	uint64_t e;

	if (cli_parse_addr(args[0], pub))
		return 1;
	if (!o->epoch)
		return cli_read(c, o, "getchallenge", json_pack("[s]", args[0]),
		                show_challenge);
	if (cli_parse_u64(o->epoch, &e) != 0 || e > INT64_MAX)
		return cli_fail(1, "invalid epoch '%s': expected a whole number", o->epoch);
	return cli_read(c, o, "getchallenge", json_pack("[s, I]", args[0], (json_int_t)e),
	                show_challenge);
}

static int show_challenges(struct cli *c, json_t *res)
{
	json_t *counts = json_object_get(res, "counts"), *list, *ch;
	json_t *next = json_object_get(res, "next");
	char b1[24], b2[24];
	size_t i;

	printf("epoch %" JSON_INTEGER_FORMAT " at block %" JSON_INTEGER_FORMAT "%s: "
	       "%" JSON_INTEGER_FORMAT " challenged, %" JSON_INTEGER_FORMAT " passed, %"
	       JSON_INTEGER_FORMAT " failed, %" JSON_INTEGER_FORMAT " missing, %"
	       JSON_INTEGER_FORMAT " pending\n", cp_int(res, "epoch"), cp_int(res, "height"),
	       json_is_true(json_object_get(res, "challenges_enabled")) ? "" :
	       " (challenges are off)", cp_int(counts, "issued"), cp_int(counts, "passed"),
	       cp_int(counts, "failed"), cp_int(counts, "missing"),
	       cp_int(counts, "pending"));
	if (json_is_true(json_object_get(res, "issued")))
		printf("deadline block %" JSON_INTEGER_FORMAT "\n",
		       cp_int(res, "deadline_height"));
	list = json_object_get(res, "challenges");
	if (json_array_size(list) == 0)
		printf("no challenges\n");
	json_array_foreach(list, i, ch)
		printf("%s  class %-4s n=%-6s %s\n", cli_str(ch, "provider"),
		       cp_or_none(ch, "gpu_class", b1), cp_or_none(ch, "n", b2),
		       cli_str(ch, "status"));
	if (json_is_string(next))
		printf("(more challenges: --after %s)\n", json_string_value(next));
	return 0;
}

static int cmd_challenges(struct cli *c, const struct cli_opts *o, char **args)
{
	json_t *params = json_object();
	uint8_t pub[32];
	uint64_t v;

	if (params == NULL)
		return cli_fail(1, "out of memory");
	if (o->epoch) {
		if (cli_parse_u64(o->epoch, &v) != 0 || v > INT64_MAX) {
			json_decref(params);
			return cli_fail(1, "invalid epoch '%s': expected a whole number",
			                o->epoch);
		}
		json_object_set_new(params, "epoch", json_integer((json_int_t)v));
	}
	if (o->after) {
		if (cli_parse_addr(o->after, pub)) {
			json_decref(params);
			return 1;
		}
		json_object_set_new(params, "after", json_string(o->after));
	}
	if (o->limit) {
		if (cli_parse_u64(o->limit, &v) != 0 || v < 1 || v > CP_LIMIT_MAX) {
			json_decref(params);
			return cli_fail(1, "invalid limit '%s': expected a whole number from "
			                "1 to %d", o->limit, CP_LIMIT_MAX);
		}
		json_object_set_new(params, "limit", json_integer((json_int_t)v));
	}
	return cli_read(c, o, "listchallenges", params, show_challenges);
}

static const struct cli_cmd cp_cmds[] = {
	{ "challenge", cmd_challenge, 1, 1, CLI_O_JSON | CLI_O_EPOCH, 0, CLI_F_RPC,
	  "getchallenge", "challenge ADDRESS [--epoch N] [--json]",
	  "a provider's GPU challenge: task, deadline, status, proof" },
	{ "challenges", cmd_challenges, 0, 0,
	  CLI_O_JSON | CLI_O_EPOCH | CLI_O_AFTER | CLI_O_LIMIT, 0, CLI_F_RPC,
	  "listchallenges",
	  "challenges [--epoch N] [--after ADDRESS] [--limit N] [--json]",
	  "the epoch's challenges: counts, then one line per provider" },
};

const struct cli_cmd *cli_proof_cmds(size_t *n)
{
	*n = sizeof cp_cmds / sizeof cp_cmds[0];
	return cp_cmds;
}
