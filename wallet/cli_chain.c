/*
 * cli_chain.c - ember-cli's accounts, transfers, blocks and transactions,
 * the node and its peers (the admin calls need the node's cookie), and
 * the two generic commands: 'methods' (the node's own method table, its
 * "help" RPC) and 'rpc METHOD [JSON-PARAMS]' for any method at all.
 *
 * Reads print text for people, amounts in EMB with the unit, and the
 * node's JSON answer with --json (see CLI_F_JSON_PIPE in cli.h for the
 * older reads that also print JSON into a pipe).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ember/addr.h"
#include "ember/amount.h"
#include "ember/tx.h"
#include "cli.h"

/* --- accounts and transfers --------------------------------------------- */

static int show_balance(struct cli *c, json_t *res)
{
	uint64_t bal, nonce, pending;
	char amt[EMBER_AMOUNT_BUFLEN];

	if (cli_json_u64(c, res, "balance", &bal) ||
	    cli_json_u64(c, res, "nonce", &nonce) ||
	    cli_json_u64(c, res, "pending", &pending))
		return 1;
	ember_amount_format(bal, amt);
	printf("%s EMB (nonce %" PRIu64 ", %" PRIu64 " pending)\n", amt, nonce, pending);
	return 0;
}

static int cmd_balance(struct cli *c, const struct cli_opts *o, char **args)
{
	uint8_t pub[32];
	if (cli_parse_addr(args[0], pub))
		return 1;
	return cli_read(c, o, "getaccount", json_pack("[s]", args[0]), show_balance);
}

static int cmd_send(struct cli *c, const struct cli_opts *o, char **args)
{
	struct ember_tx tx;

	memset(&tx, 0, sizeof tx);
	tx.kind = EMBER_TX_TRANSFER;
	if (cli_parse_addr(args[0], tx.u.transfer.to) ||
	    cli_parse_tokens("amount", args[1], &tx.u.transfer.amount))
		return 1;
	return cli_submit(c, o, &tx, NULL);
}

/* A transaction signed elsewhere, as hex (gettx shows it as "hex"). */
static int cmd_sendtx(struct cli *c, const struct cli_opts *o, char **args)
{
	size_t n = strlen(args[0]);
	uint64_t wait_s, h;
	json_t *res;
	int status;

	if (n == 0 || n % 2 || strspn(args[0], "0123456789abcdefABCDEF") != n)
		return cli_fail(1, "invalid transaction '%.16s%s': expected the signed "
		                "encoding as hex", args[0], n > 16 ? "..." : "");
	if (cli_wait_seconds(o, &wait_s))
		return 2;
	if (cli_call(c, "sendtx", json_pack("[s]", args[0]), &res, NULL))
		return 1;
	const char *txid = json_string_value(res);
	if (txid == NULL || !cli_is_hex64(txid)) {
		json_decref(res);
		return cli_fail(1, "unexpected answer from node at '%s:%u': sendtx "
		                "gave no txid", c->rpc.host, c->rpc.port);
	}
	if (o->wait) {
		status = cli_wait_commit(c, txid, wait_s, &h);
	} else {
		puts(txid);
		status = 0;
	}
	json_decref(res);
	return status;
}

/* --- blocks and transactions -------------------------------------------- */

/* Wall-clock ms as "2026-12-03 12:33:03 UTC". */
static const char *cc_time(json_int_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms < 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, 32, "%" JSON_INTEGER_FORMAT " ms", ms);
	return buf;
}

static json_int_t cc_int(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* The payload fields of a tx kind that are amounts (EMB) and prices per
 * GPU-hour (the chain's price unit), as docs/rpc.md lists them. */
static int cc_is_amount(const char *k)
{
	return !strcmp(k, "amount") || !strcmp(k, "deposit");
}

static int cc_is_price(const char *k)
{
	return !strcmp(k, "price_per_gpu_hour") || !strcmp(k, "max_price_per_gpu_hour");
}

/* The fields every tx has, shown first and not again with the payload. */
static int cc_common(const char *k)
{
	static const char *const common[] = {
		"txid", "kind", "chain_id", "from", "fee", "nonce", "size", "hex",
		"status", "height", "index", "block_hash", NULL
	};
	for (size_t i = 0; common[i]; i++)
		if (!strcmp(k, common[i]))
			return 1;
	return 0;
}

static int show_tx(struct cli *c, json_t *tx)
{
	char b[CLI_PRICE_BUFLEN], e[CLI_EMB_BUFLEN];
	const char *k;
	json_t *v, *params = NULL;
	int usd = 0, need_unit = 0;

	printf("txid       %s\n", cli_str(tx, "txid"));
	if (json_is_integer(json_object_get(tx, "height")))
		printf("status     committed in block %" JSON_INTEGER_FORMAT " (index %"
		       JSON_INTEGER_FORMAT ", block %s)\n", cc_int(tx, "height"),
		       cc_int(tx, "index"), cli_str(tx, "block_hash"));
	else
		printf("status     %s\n", cli_str(tx, "status"));
	printf("kind       %s\n", cli_str(tx, "kind"));
	printf("from       %s\n", cli_str(tx, "from"));
	printf("fee        %s\n", cli_emb(tx, "fee", e));
	printf("nonce      %" JSON_INTEGER_FORMAT "\n", cc_int(tx, "nonce"));
	printf("chain      %s\n", cli_str(tx, "chain_id"));
	printf("size       %" JSON_INTEGER_FORMAT " bytes\n", cc_int(tx, "size"));

	/* A price is in the chain's unit, which only getparams says; ask
	 * only when the tx carries one. */
	json_object_foreach(tx, k, v)
		need_unit |= cc_is_price(k);
	if (need_unit && cli_call(c, "getparams", NULL, &params, NULL) == 0)
		usd = cli_price_usd(params);
	json_object_foreach(tx, k, v) {
		if (cc_common(k))
			continue;
		if (cc_is_amount(k))
			printf("%-10s %s\n", k, cli_emb(tx, k, e));
		else if (cc_is_price(k) && params)
			printf("%s %s per GPU-hour\n", k, cli_price(cli_u64(tx, k), usd, b));
		else if (!strcmp(k, "price_uusd"))
			printf("price      %s per EMB\n", cli_price(cli_u64(tx, k), 1, b));
		else if (json_is_string(v))
			printf("%-10s %s\n", k, json_string_value(v));
		else if (json_is_integer(v))
			printf("%-10s %" JSON_INTEGER_FORMAT "\n", k, json_integer_value(v));
		else if (json_is_null(v))
			printf("%-10s none\n", k);
		else {
			char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			printf("%-10s %s\n", k, s ? s : "?");
			free(s);
		}
	}
	json_decref(params);
	return 0;
}

static int cmd_tx(struct cli *c, const struct cli_opts *o, char **args)
{
	if (!cli_is_hex64(args[0]))
		return cli_fail(1, "invalid txid '%s': expected 64 hex digits", args[0]);
	return cli_read(c, o, "gettx", json_pack("[s]", args[0]), show_tx);
}

static int show_block(struct cli *c, json_t *b)
{
	char t[32];
	json_t *txids = json_object_get(b, "txids"), *id;
	json_t *cert = json_object_get(b, "cert");
	size_t i;

	printf("block      %" JSON_INTEGER_FORMAT "  %s\n", cc_int(b, "height"),
	       cli_str(b, "hash"));
	printf("parent     %s\n", cli_str(b, "prev_hash"));
	printf("time       %s\n", cc_time(cc_int(b, "time_ms"), t));
	printf("proposer   %s\n", cli_str(b, "proposer"));
	printf("tx root    %s\n", cli_str(b, "tx_root"));
	printf("state root %s\n", cli_str(b, "state_root"));
	printf("size       %" JSON_INTEGER_FORMAT " bytes\n", cc_int(b, "size"));
	if (json_is_object(cert))
		printf("cert       round %" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT
		       " signers\n", cc_int(cert, "round"), cc_int(cert, "signers"));
	printf("txs        %" JSON_INTEGER_FORMAT "\n", cc_int(b, "tx_count"));
	json_array_foreach(txids, i, id)
		printf("  %s\n", json_string_value(id) ? json_string_value(id) : "?");
	return 0;
}

static int cmd_block(struct cli *c, const struct cli_opts *o, char **args)
{
	uint64_t h;
	if (cli_parse_u64(args[0], &h) == 0 && h <= INT64_MAX)
		return cli_read(c, o, "getblock", json_pack("[I]", (json_int_t)h), show_block);
	if (cli_is_hex64(args[0]))
		return cli_read(c, o, "getblock", json_pack("[s]", args[0]), show_block);
	return cli_fail(1, "invalid block '%s': expected a height or a 64-digit "
	                "hex hash", args[0]);
}

/* --- the node ----------------------------------------------------------- */

static int show_status(struct cli *c, json_t *s)
{
	char t[32], e[CLI_EMB_BUFLEN];

	printf("chain      %s (genesis %s)\n", cli_str(s, "chain_id"),
	       cli_str(s, "genesis_hash"));
	printf("height     %" JSON_INTEGER_FORMAT ", tip %s\n", cc_int(s, "height"),
	       cli_str(s, "tip_hash"));
	printf("time       %s, a block every %" JSON_INTEGER_FORMAT " ms\n",
	       cc_time(cc_int(s, "time_ms"), t), cc_int(s, "block_time_ms"));
	printf("state root %s\n", cli_str(s, "state_root"));
	printf("min fee    %s\n", cli_emb(s, "min_fee", e));
	printf("mempool    %" JSON_INTEGER_FORMAT " txs, %" JSON_INTEGER_FORMAT " bytes\n",
	       cc_int(s, "mempool_txs"), cc_int(s, "mempool_bytes"));
	printf("peers      %" JSON_INTEGER_FORMAT "\n", cc_int(s, "peers"));
	if (json_is_true(json_object_get(s, "syncing")))
		printf("syncing    to block %" JSON_INTEGER_FORMAT " at %" JSON_INTEGER_FORMAT
		       " blocks/s\n", cc_int(s, "sync_target"), cc_int(s, "sync_blocks_per_s"));
	else
		printf("syncing    no\n");
	printf("version    %s\n", cli_str(s, "version"));
	return 0;
}

static int cmd_status(struct cli *c, const struct cli_opts *o, char **args)
{
	return cli_read(c, o, "getstatus", NULL, show_status);
}

static int show_peers(struct cli *c, json_t *peers)
{
	json_t *p;
	size_t i;

	if (json_array_size(peers) == 0) {
		printf("no peers\n");
		return 0;
	}
	json_array_foreach(peers, i, p) {
		json_t *ping = json_object_get(p, "ping_ms");
		char ps[32];
		if (json_is_integer(ping))
			snprintf(ps, sizeof ps, "%" JSON_INTEGER_FORMAT " ms",
			         json_integer_value(ping));
		else
			snprintf(ps, sizeof ps, "-");
		printf("%s  %-8s %-21s height %" JSON_INTEGER_FORMAT "  ping %s  in %"
		       JSON_INTEGER_FORMAT " B  out %" JSON_INTEGER_FORMAT " B\n",
		       cli_str(p, "id"), cli_str(p, "direction"), cli_str(p, "address"),
		       cc_int(p, "height"), ps, cc_int(p, "bytes_in"), cc_int(p, "bytes_out"));
	}
	return 0;
}

static int cmd_peers(struct cli *c, const struct cli_opts *o, char **args)
{
	return cli_read(c, o, "getpeers", NULL, show_peers);
}

/* An admin call whose answer is only "done": says so in words, or shows
 * the answer with --json. */
static int cc_admin(struct cli *c, const struct cli_opts *o, const char *method,
                    json_t *params, const char *done)
{
	json_t *res;
	if (cli_call(c, method, params, &res, NULL))
		return 1;
	if (o->json)
		cli_print_json(res);
	else if (json_is_string(res))
		puts(json_string_value(res));
	else
		puts(done);
	json_decref(res);
	return 0;
}

static int cmd_addpeer(struct cli *c, const struct cli_opts *o, char **args)
{
	return cc_admin(c, o, "addpeer", json_pack("[s]", args[0]),
	                "the node dials the peer and keeps it");
}

static int cmd_disconnectpeer(struct cli *c, const struct cli_opts *o, char **args)
{
	return cc_admin(c, o, "disconnectpeer", json_pack("[s]", args[0]),
	                "disconnected");
}

static int cmd_banpeer(struct cli *c, const struct cli_opts *o, char **args)
{
	uint64_t secs;
	if (!args[1])
		return cc_admin(c, o, "banpeer", json_pack("[s]", args[0]), "banned");
	if (cli_parse_u64(args[1], &secs) != 0 || secs > INT64_MAX)
		return cli_fail(2, "invalid seconds '%s': expected a whole number", args[1]);
	return cc_admin(c, o, "banpeer", json_pack("[s, I]", args[0], (json_int_t)secs),
	                "banned");
}

static int show_banned(struct cli *c, json_t *list)
{
	json_t *b;
	size_t i;

	if (json_array_size(list) == 0) {
		printf("no banned peers\n");
		return 0;
	}
	json_array_foreach(list, i, b)
		printf("%s  %" JSON_INTEGER_FORMAT " s left\n", cli_str(b, "peer"),
		       cc_int(b, "seconds_left"));
	return 0;
}

static int cmd_listbanned(struct cli *c, const struct cli_opts *o, char **args)
{
	return cli_read(c, o, "listbanned", NULL, show_banned);
}

static int cmd_stop(struct cli *c, const struct cli_opts *o, char **args)
{
	return cc_admin(c, o, "stop", NULL, "stopping");
}

/* --- the node's method table and raw calls ------------------------------- */

static void method_line(json_t *m)
{
	json_t *names = json_object_get(m, "params"), *n;
	char params[256] = "";
	size_t i, pos = 0;
	json_int_t min = cc_int(m, "min_params");

	json_array_foreach(names, i, n) {
		const char *s = json_string_value(n);
		int w = snprintf(params + pos, sizeof params - pos, "%s%s%s%s",
		                 i ? " " : "", (json_int_t)i >= min ? "[" : "", s ? s : "?",
		                 (json_int_t)i >= min ? "]" : "");
		if (w < 0 || (size_t)w >= sizeof params - pos)
			break;
		pos += (size_t)w;
	}
	printf("%s%s%s\n      %s%s\n", cli_str(m, "name"), pos ? " " : "", params,
	       json_is_true(json_object_get(m, "auth")) ? "(admin) " : "",
	       cli_str(m, "help"));
}

static int show_methods(struct cli *c, json_t *res)
{
	json_t *m;
	size_t i;

	if (json_is_object(res)) {
		method_line(res);
		return 0;
	}
	json_array_foreach(res, i, m)
		method_line(m);
	return 0;
}

static int cmd_methods(struct cli *c, const struct cli_opts *o, char **args)
{
	return cli_read(c, o, "help", args[0] ? json_pack("[s]", args[0]) : NULL,
	                show_methods);
}

static int cmd_rpc(struct cli *c, const struct cli_opts *o, char **args)
{
	json_t *params = NULL;
	json_error_t jerr;

	if (strspn(args[0], "abcdefghijklmnopqrstuvwxyz0123456789_.") != strlen(args[0]) ||
	    args[0][0] == '\0')
		return cli_fail(2, "invalid method name '%s'", args[0]);
	if (args[1]) {
		params = json_loads(args[1], JSON_DECODE_ANY, &jerr);
		if (params == NULL)
			return cli_fail(2, "invalid JSON params '%s': %s at column %d",
			                args[1], jerr.text, jerr.column);
		if (!json_is_array(params) && !json_is_object(params)) {
			json_decref(params);
			return cli_fail(2, "invalid JSON params '%s': expected an array "
			                "(by position) or an object (by name), e.g. '[5]'",
			                args[1]);
		}
	}
	return cli_show(c, args[0], params);
}

/* --- table -------------------------------------------------------------- */

static const struct cli_cmd cc_cmds[] = {
	{ "balance", cmd_balance, 1, 1, CLI_O_JSON, 0, CLI_F_RPC, "getaccount",
	  "balance ADDRESS [--json]",
	  "show an account's balance, nonce and pending transactions" },
	{ "send", cmd_send, 2, 2, CLI_O_TX, CLI_O_FROM, CLI_F_RPC, "sendtx",
	  "send TO AMOUNT --from KEYSTORE [--fee AMOUNT] [--nonce N] [--wait]\n"
	  "          [--timeout S] [--passphrase-file F]",
	  "transfer AMOUNT EMB to TO; prints the txid (--wait: until committed)" },
	{ "sendtx", cmd_sendtx, 1, 1, CLI_O_WAIT | CLI_O_TIMEOUT, 0, CLI_F_RPC, "sendtx",
	  "sendtx HEX [--wait] [--timeout S]",
	  "submit a transaction signed elsewhere; prints the txid" },
	{ "tx", cmd_tx, 1, 1, CLI_O_JSON, 0, CLI_F_RPC | CLI_F_JSON_PIPE, "gettx",
	  "tx TXID [--json]",
	  "show a transaction, committed or pending" },
	{ "block", cmd_block, 1, 1, CLI_O_JSON, 0, CLI_F_RPC | CLI_F_JSON_PIPE,
	  "getblock", "block HEIGHT|HASH [--json]",
	  "show a block" },
	{ "status", cmd_status, 0, 0, CLI_O_JSON, 0, CLI_F_RPC | CLI_F_JSON_PIPE,
	  "getstatus", "status [--json]",
	  "show the node's status (height, peers, syncing)" },
	{ "peers", cmd_peers, 0, 0, CLI_O_JSON, 0, CLI_F_RPC | CLI_F_JSON_PIPE,
	  "getpeers", "peers [--json]",
	  "show the node's connected peers" },
	{ "addpeer", cmd_addpeer, 1, 1, CLI_O_JSON, 0, CLI_F_RPC, "addpeer",
	  "addpeer [ID@]HOST:PORT",
	  "make the node dial a peer and keep it (admin)" },
	{ "disconnectpeer", cmd_disconnectpeer, 1, 1, CLI_O_JSON, 0, CLI_F_RPC,
	  "disconnectpeer", "disconnectpeer ID",
	  "close the node's connection to a peer (admin)" },
	{ "banpeer", cmd_banpeer, 1, 2, CLI_O_JSON, 0, CLI_F_RPC, "banpeer",
	  "banpeer ID|IP [SECONDS]",
	  "discourage a peer, 600 s by default (admin)" },
	{ "listbanned", cmd_listbanned, 0, 0, CLI_O_JSON, 0,
	  CLI_F_RPC | CLI_F_JSON_PIPE, "listbanned", "listbanned [--json]",
	  "show the discouraged peers (admin)" },
	{ "stop", cmd_stop, 0, 0, CLI_O_JSON, 0, CLI_F_RPC, "stop",
	  "stop",
	  "stop the node (admin)" },
	{ "methods", cmd_methods, 0, 1, CLI_O_JSON, 0, CLI_F_RPC, "help",
	  "methods [METHOD] [--json]",
	  "list the node's RPC methods with their parameters, or describe one" },
	{ "rpc", cmd_rpc, 1, 2, 0, 0, CLI_F_RPC, NULL,
	  "rpc METHOD [JSON-PARAMS]",
	  "call any RPC method, params a JSON array or object; prints the result" },
};

const struct cli_cmd *cli_chain_cmds(size_t *n)
{
	*n = sizeof cc_cmds / sizeof cc_cmds[0];
	return cc_cmds;
}
