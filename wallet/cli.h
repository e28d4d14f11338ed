/*
 * cli.h - ember-cli internals shared by cli_main.c (dispatch, keys,
 * transfers, chain reads, and the one path every transaction takes to the
 * node) and cli_market.c (staking, provider, market and oracle commands
 * and the token-economy reads).  Not a public header.
 *
 * A command is a table entry (struct cli_cmd); the dispatcher parses the
 * options the entry accepts, checks required options and the argument
 * count, and only then runs the handler.  Handlers return an exit status:
 * 0 ok, 1 the operation failed, 2 the command line is wrong.
 */
#ifndef EMBER_WALLET_CLI_H
#define EMBER_WALLET_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "ember/addr.h"
#include "ember/rpcclient.h"
#include "ember/tx.h"

struct cli {
	struct ember_rpc_client rpc;
	const char *rpc_url;
};

/* Every command option, parsed by the dispatcher; a command's table entry
 * says which of them it accepts (and which it requires). */
enum cli_opt {
	CLI_O_OUT = 1u << 0,
	CLI_O_PASSFILE = 1u << 1,
	CLI_O_JSON = 1u << 2,
	CLI_O_FROM = 1u << 3,
	CLI_O_FEE = 1u << 4,
	CLI_O_NONCE = 1u << 5,
	CLI_O_WAIT = 1u << 6,
	CLI_O_TIMEOUT = 1u << 7,
	CLI_O_CLASS = 1u << 8,
	CLI_O_GPUS = 1u << 9,
	CLI_O_VRAM = 1u << 10,
	CLI_O_REGION = 1u << 11,
	CLI_O_PRICE = 1u << 12,
	CLI_O_ENDPOINT = 1u << 13,
	CLI_O_MAX_PRICE = 1u << 14,
	CLI_O_DURATION = 1u << 15,
	CLI_O_DEPOSIT = 1u << 16,
	CLI_O_TENANT = 1u << 17,
	CLI_O_PROVIDER = 1u << 18,
	CLI_O_STATUS = 1u << 19,
	CLI_O_EPOCH = 1u << 20,
	CLI_O_AFTER = 1u << 21,
	CLI_O_LIMIT = 1u << 22
};

/* What every signed transaction accepts. */
#define CLI_O_TX (CLI_O_FROM | CLI_O_FEE | CLI_O_NONCE | CLI_O_WAIT | \
                  CLI_O_TIMEOUT | CLI_O_PASSFILE)
#define CLI_TX_USAGE "--from KEYSTORE [--fee AMOUNT] [--nonce N] [--wait]"

/* Option values as typed (NULL when not given); handlers parse them. */
struct cli_opts {
	unsigned seen;               /* enum cli_opt bits given */
	const char *out, *passfile, *from, *fee, *nonce, *timeout;
	const char *gpu_class, *gpus, *vram, *region, *price, *endpoint;
	const char *max_price, *duration, *deposit;
	const char *tenant, *provider, *status, *epoch, *after, *limit;
	int json, wait;
};

enum cli_flags {
	CLI_F_RPC = 1 << 0          /* talks to the node: --rpc must parse */
};

struct cli_cmd {
	const char *name;
	int (*fn)(struct cli *c, const struct cli_opts *o, char **args);
	int min_args, max_args;
	unsigned opts;              /* enum cli_opt accepted */
	unsigned required;          /* enum cli_opt that must be given */
	unsigned flags;
	const char *usage;
	const char *help;
};

/* cli_market.c's commands (static storage); *n gets the count. */
const struct cli_cmd *cli_market_cmds(size_t *n);

/* --- cli_main.c --------------------------------------------------------- */

/* Print "ember-cli: ..." to stderr; returns status, for "return cli_fail()". */
int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Local parsing; each prints what is wrong and returns 1, or returns 0. */
int cli_parse_addr(const char *s, uint8_t pub[32]);
int cli_parse_amount(const char *what, const char *s, uint64_t *out);
/* An amount of EMB that must be more than zero. */
int cli_parse_tokens(const char *what, const char *s, uint64_t *out);
/* Strict unsigned decimal, no message: 0 or -1. */
int cli_parse_u64(const char *s, uint64_t *out);

/* Call method (params stolen; NULL means []); prints the failure and
 * returns 1, or returns 0 with *result set (caller decrefs). */
int cli_call(struct cli *c, const char *method, json_t *params, json_t **result,
             int *remote_code);
/* A u64 the node sends as a decimal string or a JSON integer; prints and
 * returns 1 when field is missing or not a number. */
int cli_json_u64(const struct cli *c, json_t *o, const char *field, uint64_t *out);
int cli_print_json(json_t *v);
/* Call method and print the answer as JSON. */
int cli_show(struct cli *c, const char *method, json_t *params);

/* The address in keystore o->from (read without the passphrase); prints
 * what is wrong and returns 1, or returns 0. */
int cli_from_address(const struct cli_opts *o, char addr[EMBER_ADDR_BUFLEN],
                     uint8_t pub[32]);

/*
 * Sign tx with the key in o->from and send it: the caller has set
 * tx->kind and the payload (tx->u); the common fields (chain id, sender,
 * nonce from --nonce or the node, fee from --fee or the chain's minimum)
 * are filled here, the tx is checked locally (ember_tx_check) before the
 * passphrase is asked, and the txid is printed.  With --wait, waits for
 * the commit and stores its height in *height (may be NULL).
 * Returns: 0 or an exit status (the failure printed).
 */
int cli_submit(struct cli *c, const struct cli_opts *o, struct ember_tx *tx,
               uint64_t *height);

#endif
