/*
 * cli.h - ember-cli internals shared by its files.  Not a public header.
 *
 *   cli_main.c    global options, the dispatcher, messages and parsing,
 *                 talking to the node, and the one path every signed
 *                 transaction takes (cli_submit)
 *   cli_keys.c    passphrases, key files, BIP-39 mnemonics
 *   cli_chain.c   accounts, transfers, blocks, txs, the node and its
 *                 peers, and the raw 'rpc' and 'methods' commands
 *   cli_market.c  staking, providers, the market, the oracle, and the
 *                 token-economy reads
 *   cli_proofs.c  GPU challenges
 *   cli_history.c an account's transactions (getaccounthistory)
 *   cli_consensus.c the validator set and commit certificates
 *
 * A command is a table entry (struct cli_cmd); the dispatcher parses the
 * options the entry accepts, checks required options and the argument
 * count, and only then runs the handler.  Each entry names the RPC method
 * it is built on, so 'ember-cli --list-rpc-methods' can be compared with
 * the node's own table (tests/integration/cli.sh) and no method goes
 * without a command.  Handlers return an exit status: 0 ok, 1 the
 * operation failed, 2 the command line is wrong.
 */
#ifndef EMBER_WALLET_CLI_H
#define EMBER_WALLET_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "ember/addr.h"
#include "ember/amount.h"
#include "ember/rpcclient.h"
#include "ember/tx.h"

#define CLI_PASS_MAX 1024            /* bytes of passphrase, NUL excluded */
#define CLI_COOKIE_MAX 256
#define CLI_PRICE_BUFLEN 64
#define CLI_EMB_BUFLEN (EMBER_AMOUNT_BUFLEN + 4)   /* "12.5 EMB" */

struct cli {
	struct ember_rpc_client rpc;
	const char *rpc_url;
	const char *cookie_file;     /* --rpc-cookie, or <datadir>/.cookie */
	char cookie_path[4096];      /* storage for the datadir form */
	char cookie[CLI_COOKIE_MAX]; /* "__cookie__:HEX"; rpc.userpass points here */
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
	CLI_O_LIMIT = 1u << 22,
	CLI_O_MNEMONIC = 1u << 23,
	CLI_O_INDEX = 1u << 24,
	CLI_O_MNPASSFILE = 1u << 25,
	CLI_O_CURSOR = 1u << 26
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
	const char *index, *mnpassfile, *cursor;
	int json, wait, mnemonic;
};

enum cli_flags {
	CLI_F_RPC = 1 << 0,         /* talks to the node: --rpc must parse */
	/*
	 * Prints JSON, as --json does, when stdout is not a terminal: status,
	 * tx, block, peers and listbanned printed only JSON before --json
	 * existed, and scripts read them so.  People at a terminal get text
	 * with amounts in EMB.
	 */
	CLI_F_JSON_PIPE = 1 << 1
};

struct cli_cmd {
	const char *name;
	int (*fn)(struct cli *c, const struct cli_opts *o, char **args);
	int min_args, max_args;
	unsigned opts;              /* enum cli_opt accepted */
	unsigned required;          /* enum cli_opt that must be given */
	unsigned flags;             /* enum cli_flags */
	const char *rpc;            /* the node's method it is built on; NULL:
	                             * local, or any method ('rpc') */
	const char *usage;
	const char *help;
};

/* Each file's commands (static storage); *n gets the count. */
const struct cli_cmd *cli_key_cmds(size_t *n);
const struct cli_cmd *cli_chain_cmds(size_t *n);
const struct cli_cmd *cli_market_cmds(size_t *n);
const struct cli_cmd *cli_proof_cmds(size_t *n);
const struct cli_cmd *cli_history_cmds(size_t *n);
const struct cli_cmd *cli_consensus_cmds(size_t *n);

/* --- cli_main.c --------------------------------------------------------- */

/* Print "ember-cli: ..." to stderr; returns status, for "return cli_fail()". */
int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* strerror(e) with a lowercase first letter (static buffer). */
const char *cli_errno_str(int e);

/* Local parsing; each prints what is wrong and returns 1, or returns 0. */
int cli_parse_addr(const char *s, uint8_t pub[32]);
int cli_parse_amount(const char *what, const char *s, uint64_t *out);
/* An amount of EMB that must be more than zero. */
int cli_parse_tokens(const char *what, const char *s, uint64_t *out);
/* Strict unsigned decimal, no message: 0 or -1. */
int cli_parse_u64(const char *s, uint64_t *out);
/* 1 when s is 64 hex digits. */
int cli_is_hex64(const char *s);

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
/* Does this run print JSON: --json, or a CLI_F_JSON_PIPE command whose
 * stdout is not a terminal. */
int cli_want_json(const struct cli_opts *o);
/*
 * Call method; print the answer raw when cli_want_json(o), else with
 * show(c, answer) (which may call the node again and returns an exit
 * status).  Returns: an exit status.
 */
int cli_read(struct cli *c, const struct cli_opts *o, const char *method,
             json_t *params, int (*show)(struct cli *c, json_t *res));

/* Poll gettx until txid is committed (printing "txid X committed in block
 * H") or timeout_s pass; *height gets the block.  Returns: exit status. */
int cli_wait_commit(struct cli *c, const char *txid, uint64_t timeout_s,
                    uint64_t *height);
/* --timeout as seconds (default 60); prints and returns 2 when bad. */
int cli_wait_seconds(const struct cli_opts *o, uint64_t *secs);

/*
 * Sign tx with the key in o->from and send it: the caller has set
 * tx->kind and the payload (tx->u); the common fields (chain id, sender,
 * nonce from --nonce or the node, fee from --fee or the chain's minimum)
 * are filled here, the tx is checked locally (ember_tx_check) before the
 * passphrase is asked, and the txid is printed: alone, or with --wait
 * once, in the line "txid X committed in block H".  With --wait, the
 * block's height goes to *height (may be NULL).
 * Returns: 0 or an exit status (the failure printed).
 */
int cli_submit(struct cli *c, const struct cli_opts *o, struct ember_tx *tx,
               uint64_t *height);

/* --- cli_keys.c --------------------------------------------------------- */

/* A passphrase in locked memory; cli_pass_release() wipes it. */
struct cli_pass {
	char buf[CLI_PASS_MAX + 1];
	size_t len;
};

void cli_pass_init(struct cli_pass *p);
void cli_pass_release(struct cli_pass *p);
/*
 * Passphrase from file (first line), else $EMBER_PASSPHRASE, else the
 * terminal, prompt first (twice when confirm is set).
 * Returns: 0 or an exit status (the failure printed).
 */
int cli_get_pass(struct cli_pass *p, const char *file, int confirm);
/* Print why keystore path did not open; returns 1. */
int cli_keystore_fail(const char *path, int rc, int saved_errno);

/* The address in keystore o->from (read without the passphrase); prints
 * what is wrong and returns 1, or returns 0. */
int cli_from_address(const struct cli_opts *o, char addr[EMBER_ADDR_BUFLEN],
                     uint8_t pub[32]);

/* --- cli_market.c ------------------------------------------------------- */

/* Does an answer give prices in US dollars ("price_unit": "uusd")? */
int cli_price_usd(json_t *answer);
/* A price per GPU-hour as "$2.50" (usd) or "2.5 EMB"; returns buf. */
const char *cli_price(uint64_t v, int usd, char buf[CLI_PRICE_BUFLEN]);
/* Field k of o (an amount: decimal string or integer) as "12.5 EMB";
 * returns buf. */
const char *cli_emb(json_t *o, const char *k, char buf[CLI_EMB_BUFLEN]);
/* Field k of o as a u64 (decimal string or integer); 0 when absent. */
uint64_t cli_u64(json_t *o, const char *k);
/* Field k of o as a string; "?" when absent. */
const char *cli_str(json_t *o, const char *k);

#endif
