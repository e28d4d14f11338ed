/*
 * cli_history.c - ember-cli's account history over the node's
 * getaccounthistory (docs/rpc.md): the committed txs that name an
 * address, newest first, one page per call; the next page is asked for
 * with the cursor the last one ends with.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ember/history.h"
#include "cli.h"

#define CH_LIMIT_MAX 500

static int show_history(struct cli *c, json_t *res)
{
	json_t *txs = json_object_get(res, "txs"), *tx;
	json_t *next = json_object_get(res, "next");
	size_t i;

	if (!json_is_array(txs))
		return cli_fail(1, "unexpected answer from node at '%s:%u': "
		                "getaccounthistory gave no txs", c->rpc.host, c->rpc.port);
	if (json_array_size(txs) == 0)
		printf("no transactions\n");
	json_array_foreach(txs, i, tx) {
		const char *role = cli_str(tx, "role");
		printf("%8" JSON_INTEGER_FORMAT "  %s  %-17s ",
		       json_integer_value(json_object_get(tx, "height")),
		       cli_str(tx, "txid"), cli_str(tx, "kind"));
		if (strcmp(role, "sender") == 0)
			printf("%s\n", role);
		else
			printf("%-9s  from %s\n", role, cli_str(tx, "from"));
	}
	if (json_is_string(next))
		printf("(more: --cursor %s)\n", json_string_value(next));
	return 0;
}

static int cmd_history(struct cli *c, const struct cli_opts *o, char **args)
{
	struct ember_hist_pos pos;
	json_t *params;
	uint8_t pub[32];
	uint64_t v = 0;

	if (cli_parse_addr(args[0], pub))
		return 1;
	if (o->cursor && ember_hist_cursor_parse(o->cursor, &pos) != 0)
		return cli_fail(1, "invalid cursor '%s': expected HEIGHT:INDEX as "
		                "printed after '--cursor' by the previous page", o->cursor);
	if (o->limit && (cli_parse_u64(o->limit, &v) != 0 || v < 1 || v > CH_LIMIT_MAX))
		return cli_fail(1, "invalid limit '%s': expected a whole number from "
		                "1 to %d", o->limit, CH_LIMIT_MAX);
	if (!(params = json_pack("{s:s}", "address", args[0])))
		return cli_fail(1, "out of memory");
	if (o->cursor)
		json_object_set_new(params, "cursor", json_string(o->cursor));
	if (o->limit)
		json_object_set_new(params, "limit", json_integer((json_int_t)v));
	return cli_read(c, o, "getaccounthistory", params, show_history);
}

static const struct cli_cmd ch_cmds[] = {
	{ "history", cmd_history, 1, 1, CLI_O_JSON | CLI_O_LIMIT | CLI_O_CURSOR, 0,
	  CLI_F_RPC, "getaccounthistory",
	  "history ADDRESS [--limit N] [--cursor C] [--json]",
	  "an account's transactions, newest first: height, txid, kind, role;"
	  " 50 a page (--limit up to 500), --cursor for the next" },
};

const struct cli_cmd *cli_history_cmds(size_t *n)
{
	*n = sizeof ch_cmds / sizeof ch_cmds[0];
	return ch_cmds;
}
