/*
 * cli_main.c - ember-cli: global options, the dispatcher, what every
 * command shares (messages, parsing, calls to the node's JSON-RPC API,
 * docs/rpc.md), and the one path every signed transaction takes
 * (cli_submit).  The commands are tables in cli_keys.c, cli_chain.c,
 * cli_market.c and cli_proofs.c (see cli.h).
 *
 *   ember-cli [GLOBAL OPTIONS] COMMAND [ARGS] [OPTIONS]
 *
 * The dispatcher checks the positional-argument count after the command's
 * own options are parsed, so handlers only see well-formed argument
 * vectors.  Exit status: 0 ok, 1 the operation failed, 2 the command line
 * is wrong.
 *
 * Everything a person reads on failure is "ember-cli: <what is wrong>" with
 * the subject quoted, lowercase, no full stop.  Input is checked locally
 * before the node is asked, so a typo in an address never costs a round trip
 * and never shows up as a node error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "ember/addr.h"
#include "ember/amount.h"
#include "ember/codec.h"
#include "ember/key.h"
#include "ember/keystore.h"
#include "ember/rpcclient.h"
#include "ember/tx.h"
#include "ember/version.h"
#include "cli.h"

#define CLI_DEFAULT_RPC "http://127.0.0.1:8645/"
#define CLI_POLL_MS 200
#define CLI_WAIT_DEFAULT_S 60

/* --- messages ----------------------------------------------------------- */

int cli_fail(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("ember-cli: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

const char *cli_errno_str(int e)
{
	static char buf[128];
	snprintf(buf, sizeof buf, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

static const char *cli_addr_reason(int rc)
{
	switch (rc) {
	case EMBER_ADDR_CHECKSUM: return "checksum mismatch";
	case EMBER_ADDR_FORMAT: return "bad character, mixed case or wrong length";
	case EMBER_ADDR_HRP: return "not an ember address (expected 'ember1...')";
	case EMBER_CRYPTO_PUBKEY: return "not a valid public key";
	default: return ember_strerror(rc);
	}
}

int cli_parse_addr(const char *s, uint8_t pub[32])
{
	int rc = ember_addr_decode(s, pub);
	if (rc != 0)
		return cli_fail(1, "invalid address '%s': %s", s, cli_addr_reason(rc));
	return 0;
}

int cli_parse_amount(const char *what, const char *s, uint64_t *out)
{
	int rc = ember_amount_parse(s, out);
	if (rc == EMBER_ERANGE)
		return cli_fail(1, "invalid %s '%s': too large", what, s);
	if (rc != 0)
		return cli_fail(1, "invalid %s '%s': expected EMB as a decimal number "
		                "with at most 9 decimals, e.g. 12.5", what, s);
	return 0;
}

int cli_parse_tokens(const char *what, const char *s, uint64_t *out)
{
	if (cli_parse_amount(what, s, out))
		return 1;
	if (*out == 0)
		return cli_fail(1, "invalid %s '%s': must be more than zero", what, s);
	return 0;
}

/* Strict unsigned decimal: digits only, no sign or spaces, fits in u64. */
int cli_parse_u64(const char *s, uint64_t *out)
{
	if (s[0] == '\0' || strspn(s, "0123456789") != strlen(s) || strlen(s) > 20)
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, NULL, 10);
	if (errno == ERANGE)
		return -1;
	*out = v;
	return 0;
}

int cli_is_hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdefABCDEF") == 64;
}

/* --- talking to the node ------------------------------------------------ */

int cli_call(struct cli *c, const char *method, json_t *params,
             json_t **result, int *remote_code)
{
	char err[512];
	int rc = ember_rpc_call(&c->rpc, method, params, result, remote_code,
	                        err, sizeof err);
	if (rc != 0)
		return cli_fail(1, "%s", err);
	return 0;
}

int cli_json_u64(const struct cli *c, json_t *o, const char *field,
                 uint64_t *out)
{
	json_t *v = json_object_get(o, field);
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && cli_parse_u64(json_string_value(v), out) == 0)
		return 0;
	return cli_fail(1, "unexpected answer from node at '%s:%u': '%s' missing "
	                "or not a number", c->rpc.host, c->rpc.port, field);
}

int cli_print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
	if (s == NULL)
		return cli_fail(1, "out of memory");
	puts(s);
	free(s);
	return 0;
}

int cli_show(struct cli *c, const char *method, json_t *params)
{
	json_t *res;
	if (cli_call(c, method, params, &res, NULL))
		return 1;
	int status = cli_print_json(res);
	json_decref(res);
	return status;
}

/* The running command's flags, for cli_want_json; set once by main. */
static unsigned cli_cmd_flags;

int cli_want_json(const struct cli_opts *o)
{
	if (o->json)
		return 1;
	return (cli_cmd_flags & CLI_F_JSON_PIPE) && !isatty(STDOUT_FILENO);
}

int cli_read(struct cli *c, const struct cli_opts *o, const char *method,
             json_t *params, int (*show)(struct cli *c, json_t *res))
{
	json_t *res;
	int status;

	if (cli_call(c, method, params, &res, NULL))
		return 1;
	status = cli_want_json(o) ? cli_print_json(res) : show(c, res);
	json_decref(res);
	return status;
}

static double cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_wait_seconds(const struct cli_opts *o, uint64_t *secs)
{
	*secs = CLI_WAIT_DEFAULT_S;
	if (o->timeout && (cli_parse_u64(o->timeout, secs) != 0 || *secs == 0 ||
	                   *secs > 86400))
		return cli_fail(2, "invalid timeout '%s': expected seconds, 1 to 86400",
		                o->timeout);
	return 0;
}

int cli_wait_commit(struct cli *c, const char *txid, uint64_t timeout_s,
                    uint64_t *height)
{
	double deadline = cli_now() + (double)timeout_s;
	for (;;) {
		json_t *res = NULL;
		int code = 0;
		char err[512];
		int rc = ember_rpc_call(&c->rpc, "gettx", json_pack("[s]", txid),
		                        &res, &code, err, sizeof err);
		/* "not found" right after sendtx is a race with the pool, not
		 * an answer; anything else the node says is final.  The txid is
		 * in every message: with --wait it is printed nowhere else. */
		if (rc != 0 && !(rc == EMBER_RPC_REMOTE && code == -32001))
			return cli_fail(1, "txid %s sent, but waiting for it failed: %s",
			                txid, err);
		if (rc == 0) {
			const char *st = json_string_value(json_object_get(res, "status"));
			json_t *h = json_object_get(res, "height");
			if (st && strcmp(st, "committed") == 0 && json_is_integer(h)) {
				printf("txid %s committed in block %" JSON_INTEGER_FORMAT "\n",
				       txid, json_integer_value(h));
				*height = (uint64_t)json_integer_value(h);
				json_decref(res);
				return 0;
			}
			json_decref(res);
		}
		if (cli_now() + CLI_POLL_MS / 1000.0 > deadline)
			return cli_fail(1, "txid %s not committed after %" PRIu64 " s; "
			                "check later with 'ember-cli tx %s'",
			                txid, timeout_s, txid);
		struct timespec ts = { 0, CLI_POLL_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
}

int cli_submit(struct cli *c, const struct cli_opts *o, struct ember_tx *tx,
               uint64_t *height)
{
	uint8_t from[32];
	uint64_t fee = 0, nonce = 0, min_fee, wait_s, h = 0;
	char from_addr[EMBER_ADDR_BUFLEN], fee_s[EMBER_AMOUNT_BUFLEN],
	     min_s[EMBER_AMOUNT_BUFLEN];
	json_t *status = NULL, *acct = NULL, *res = NULL;
	int rc, ret = 1;

	/* Everything local first: a typo costs no passphrase and no RPC. */
	if (!o->from)
		return cli_fail(2, "a transaction needs --from KEYSTORE");
	if (o->fee && cli_parse_amount("fee", o->fee, &fee))
		return 1;
	if (o->nonce && cli_parse_u64(o->nonce, &nonce) != 0)
		return cli_fail(2, "invalid nonce '%s': expected a whole number", o->nonce);
	if (cli_wait_seconds(o, &wait_s))
		return 2;
	if (cli_from_address(o, from_addr, from))
		return 1;

	if (cli_call(c, "getstatus", NULL, &status, NULL))
		goto out;
	const char *chain_id = json_string_value(json_object_get(status, "chain_id"));
	if (chain_id == NULL || !ember_chain_id_valid(chain_id, strlen(chain_id))) {
		cli_fail(1, "unexpected answer from node at '%s:%u': bad 'chain_id'",
		         c->rpc.host, c->rpc.port);
		goto out;
	}
	if (cli_json_u64(c, status, "min_fee", &min_fee))
		goto out;
	if (!o->fee)
		fee = min_fee;
	if (fee < min_fee) {
		ember_amount_format(fee, fee_s);
		ember_amount_format(min_fee, min_s);
		cli_fail(1, "fee %s EMB is below the node's minimum of %s EMB",
		         fee_s, min_s);
		goto out;
	}
	if (!o->nonce) {
		if (cli_call(c, "getaccount", json_pack("[s]", from_addr), &acct, NULL) ||
		    cli_json_u64(c, acct, "next_nonce", &nonce))
			goto out;
	}

	/* The payload the command built survives ember_tx_init, which
	 * zeroes it along with the signature. */
	struct ember_tx built = *tx;
	if ((rc = ember_tx_init(tx, built.kind, chain_id, from, nonce, fee))) {
		cli_fail(1, "cannot build transaction: %s", ember_strerror(rc));
		goto out;
	}
	tx->u = built.u;
	if ((rc = ember_tx_check(tx, chain_id, min_fee)) != 0) {
		if (rc == EMBER_TX_OVERFLOW)
			cli_fail(1, "invalid %s: amount plus fee overflows",
			         ember_tx_kind_name(tx->kind));
		else
			cli_fail(1, "invalid %s: %s", ember_tx_kind_name(tx->kind),
			         ember_strerror(rc));
		goto out;
	}

	/* Sign; the secret lives only between load and clear. */
	struct ember_keypair kp;
	struct cli_pass pass;
	uint8_t enc[EMBER_TX_MAX_SIZE];
	char hex[2 * EMBER_TX_MAX_SIZE + 1];
	size_t len = 0;
	unsigned mode = 0;

	/* Warn as ssh does, before the passphrase is asked, but go on: the
	 * passphrase still guards the key (emberd refuses such a validator
	 * key outright). */
	if (ember_keystore_check_mode(o->from, &mode) == EMBER_KS_MODE)
		cli_fail(0, "warning: permissions %04o for '%s' are too open: a "
		         "keystore should not be accessible by group or others; "
		         "run 'chmod 600 %s'", mode, o->from, o->from);

	cli_pass_init(&pass);
	if (cli_get_pass(&pass, o->passfile, 0) != 0) {
		cli_pass_release(&pass);
		goto out;
	}
	sodium_mlock(&kp, sizeof kp);
	rc = ember_keystore_load(o->from, pass.buf, pass.len, &kp);
	int e = errno;
	cli_pass_release(&pass);
	if (rc != 0) {
		sodium_munlock(&kp, sizeof kp);
		cli_keystore_fail(o->from, rc, e);
		goto out;
	}
	rc = ember_tx_sign(tx, &kp);
	ember_keypair_clear(&kp);
	sodium_munlock(&kp, sizeof kp);
	if (rc == 0)
		rc = ember_tx_encode(tx, enc, sizeof enc, &len);
	if (rc != 0) {
		cli_fail(1, "cannot sign transaction: %s", ember_strerror(rc));
		goto out;
	}
	ember_hex_encode(enc, len, hex);

	if (cli_call(c, "sendtx", json_pack("[s]", hex), &res, NULL))
		goto out;
	const char *txid = json_string_value(res);
	if (txid == NULL || !cli_is_hex64(txid)) {
		cli_fail(1, "unexpected answer from node at '%s:%u': sendtx gave no txid",
		         c->rpc.host, c->rpc.port);
		goto out;
	}
	/* With --wait the txid is printed once, in the commit line (or in
	 * the failure), not also alone before it. */
	if (o->wait) {
		ret = cli_wait_commit(c, txid, wait_s, &h);
	} else {
		puts(txid);
		ret = 0;
	}
	fflush(stdout);
	if (height)
		*height = h;
out:
	json_decref(status);
	json_decref(acct);
	json_decref(res);
	return ret;
}

/* --- command options ---------------------------------------------------- */

/* getopt_long's val is the enum cli_opt bit (cli.h), so one table serves
 * every command and the dispatcher checks each against the command's mask. */
static const struct option cli_cmd_longopts[] = {
	{ "out", required_argument, NULL, CLI_O_OUT },
	{ "passphrase-file", required_argument, NULL, CLI_O_PASSFILE },
	{ "json", no_argument, NULL, CLI_O_JSON },
	{ "from", required_argument, NULL, CLI_O_FROM },
	{ "fee", required_argument, NULL, CLI_O_FEE },
	{ "nonce", required_argument, NULL, CLI_O_NONCE },
	{ "wait", no_argument, NULL, CLI_O_WAIT },
	{ "timeout", required_argument, NULL, CLI_O_TIMEOUT },
	{ "class", required_argument, NULL, CLI_O_CLASS },
	{ "gpus", required_argument, NULL, CLI_O_GPUS },
	{ "vram", required_argument, NULL, CLI_O_VRAM },
	{ "region", required_argument, NULL, CLI_O_REGION },
	{ "price", required_argument, NULL, CLI_O_PRICE },
	{ "endpoint", required_argument, NULL, CLI_O_ENDPOINT },
	{ "max-price", required_argument, NULL, CLI_O_MAX_PRICE },
	{ "duration", required_argument, NULL, CLI_O_DURATION },
	{ "deposit", required_argument, NULL, CLI_O_DEPOSIT },
	{ "tenant", required_argument, NULL, CLI_O_TENANT },
	{ "provider", required_argument, NULL, CLI_O_PROVIDER },
	{ "status", required_argument, NULL, CLI_O_STATUS },
	{ "epoch", required_argument, NULL, CLI_O_EPOCH },
	{ "after", required_argument, NULL, CLI_O_AFTER },
	{ "limit", required_argument, NULL, CLI_O_LIMIT },
	{ "mnemonic", no_argument, NULL, CLI_O_MNEMONIC },
	{ "index", required_argument, NULL, CLI_O_INDEX },
	{ "mnemonic-passphrase-file", required_argument, NULL, CLI_O_MNPASSFILE },
	{ "cursor", required_argument, NULL, CLI_O_CURSOR },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static const char *cli_opt_name(unsigned bit)
{
	for (const struct option *lo = cli_cmd_longopts; lo->name; lo++)
		if ((unsigned)lo->val == bit)
			return lo->name;
	return "?";
}

/* Parse the command's options into o; returns 0, -1 (help was printed),
 * or an exit status. */
static int cli_parse_cmd_opts(const struct cli_cmd *cmd, int argc, char **argv,
                              struct cli_opts *o)
{
	int ch;
	memset(o, 0, sizeof *o);
	opterr = 0;
	optind = 0;     /* GNU: full re-initialisation; argv[0] is the command */
	while ((ch = getopt_long(argc, argv, ":h", cli_cmd_longopts, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: ember-cli %s\n  %s\n", cmd->usage, cmd->help);
			return -1;
		}
		if (ch == '?' || ch == ':') {
			const char *bad = argv[optind - 1];
			cli_fail(2, ch == ':' ? "option '%s' needs a value"
			                      : "unknown option '%s'", bad);
			fprintf(stderr, "usage: ember-cli %s\n", cmd->usage);
			return 2;
		}
		if (!(cmd->opts & (unsigned)ch)) {
			cli_fail(2, "option '--%s' does not apply to '%s'",
			         cli_opt_name((unsigned)ch), cmd->name);
			fprintf(stderr, "usage: ember-cli %s\n", cmd->usage);
			return 2;
		}
		o->seen |= (unsigned)ch;
		switch (ch) {
		case CLI_O_OUT: o->out = optarg; break;
		case CLI_O_PASSFILE: o->passfile = optarg; break;
		case CLI_O_JSON: o->json = 1; break;
		case CLI_O_FROM: o->from = optarg; break;
		case CLI_O_FEE: o->fee = optarg; break;
		case CLI_O_NONCE: o->nonce = optarg; break;
		case CLI_O_WAIT: o->wait = 1; break;
		case CLI_O_TIMEOUT: o->timeout = optarg; break;
		case CLI_O_CLASS: o->gpu_class = optarg; break;
		case CLI_O_GPUS: o->gpus = optarg; break;
		case CLI_O_VRAM: o->vram = optarg; break;
		case CLI_O_REGION: o->region = optarg; break;
		case CLI_O_PRICE: o->price = optarg; break;
		case CLI_O_ENDPOINT: o->endpoint = optarg; break;
		case CLI_O_MAX_PRICE: o->max_price = optarg; break;
		case CLI_O_DURATION: o->duration = optarg; break;
		case CLI_O_DEPOSIT: o->deposit = optarg; break;
		case CLI_O_TENANT: o->tenant = optarg; break;
		case CLI_O_PROVIDER: o->provider = optarg; break;
		case CLI_O_STATUS: o->status = optarg; break;
		case CLI_O_EPOCH: o->epoch = optarg; break;
		case CLI_O_AFTER: o->after = optarg; break;
		case CLI_O_LIMIT: o->limit = optarg; break;
		case CLI_O_MNEMONIC: o->mnemonic = 1; break;
		case CLI_O_INDEX: o->index = optarg; break;
		case CLI_O_MNPASSFILE: o->mnpassfile = optarg; break;
		case CLI_O_CURSOR: o->cursor = optarg; break;
		}
	}
	unsigned missing = cmd->required & ~o->seen;
	if (missing) {
		cli_fail(2, "'%s' needs --%s", cmd->name,
		         cli_opt_name(missing & -missing));
		fprintf(stderr, "usage: ember-cli %s\n", cmd->usage);
		return 2;
	}
	int nargs = argc - optind;
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		if (cmd->max_args == 0)
			cli_fail(2, "'%s' takes no arguments, got %d", cmd->name, nargs);
		else if (cmd->min_args == cmd->max_args)
			cli_fail(2, "'%s' takes %d argument%s, got %d", cmd->name,
			         cmd->max_args, cmd->max_args == 1 ? "" : "s", nargs);
		else
			cli_fail(2, "'%s' takes %d to %d arguments, got %d", cmd->name,
			         cmd->min_args, cmd->max_args, nargs);
		fprintf(stderr, "usage: ember-cli %s\n", cmd->usage);
		return 2;
	}
	return 0;
}

/* --- dispatch ----------------------------------------------------------- */

/* The command tables, in the order --help shows them. */
static const struct {
	const struct cli_cmd *(*get)(size_t *n);
	const char *title;
} cli_tables[] = {
	{ cli_key_cmds, "keys" },
	{ cli_chain_cmds, "accounts, blocks, the node" },
	{ cli_market_cmds, "staking, providers, market and oracle" },
	{ cli_proof_cmds, "GPU challenges" },
	{ cli_history_cmds, "account history" },
	{ cli_consensus_cmds, "consensus" },
};
#define CLI_NTABLES (sizeof cli_tables / sizeof cli_tables[0])

static const struct cli_cmd *cli_find(const char *name)
{
	for (size_t t = 0; t < CLI_NTABLES; t++) {
		size_t n;
		const struct cli_cmd *cmds = cli_tables[t].get(&n);
		for (size_t i = 0; i < n; i++)
			if (strcmp(cmds[i].name, name) == 0)
				return &cmds[i];
	}
	return NULL;
}

static void cli_usage(FILE *f)
{
	fprintf(f,
"usage: ember-cli [GLOBAL OPTIONS] COMMAND [ARGS] [OPTIONS]\n"
"\n"
"  --rpc URL          node JSON-RPC endpoint, http(s)://HOST:PORT/\n"
"                     (default: $EMBER_RPC or " CLI_DEFAULT_RPC ")\n"
"  --datadir DIR      the node's data directory: log in with DIR/.cookie\n"
"  --rpc-cookie FILE  log in with this cookie file (wins over --datadir)\n"
"  --rpc-ca FILE      verify an https node against this CA (PEM) instead of\n"
"                     the system CAs (default: $EMBER_RPC_CA)\n"
"  --insecure         do not verify an https node's certificate\n"
"  --version          print the version\n"
"  --help             show this help; 'ember-cli help COMMAND' shows one\n");
	for (size_t t = 0; t < CLI_NTABLES; t++) {
		size_t n;
		const struct cli_cmd *cmds = cli_tables[t].get(&n);
		fprintf(f, "\n%s:\n", cli_tables[t].title);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "  %s\n      %s\n", cmds[i].usage, cmds[i].help);
	}
	fprintf(f,
"\n"
"Transactions take --from KEYSTORE [--fee AMOUNT] [--nonce N] [--wait]\n"
"[--timeout S] [--passphrase-file F]; reads take --json for the raw answer\n"
"(status, tx, block, peers and listbanned also print it when stdout is not\n"
"a terminal).  Amounts are in EMB (up to 9 decimals).  Prices are per\n"
"GPU-hour: EMB under the sfa token model, US dollars (up to 6 decimals)\n"
"under bme and hybrid.  The passphrase comes from --passphrase-file (first\n"
"line), else $EMBER_PASSPHRASE, else the terminal.  Admin calls need the\n"
"node's cookie (--datadir or --rpc-cookie); $EMBER_RPC_TOKEN is still sent\n"
"as a bearer token.\n");
}

/* The RPC methods the commands are built on, one a line, each once: what
 * tests/integration/cli.sh compares with the node's 'help'. */
static int cli_list_rpc_methods(void)
{
	const char *seen[256];
	size_t nseen = 0;

	for (size_t t = 0; t < CLI_NTABLES; t++) {
		size_t n;
		const struct cli_cmd *cmds = cli_tables[t].get(&n);
		for (size_t i = 0; i < n; i++) {
			size_t k;
			if (cmds[i].rpc == NULL)
				continue;
			for (k = 0; k < nseen && strcmp(seen[k], cmds[i].rpc) != 0; k++)
				;
			if (k == nseen && nseen < sizeof seen / sizeof seen[0]) {
				seen[nseen++] = cmds[i].rpc;
				puts(cmds[i].rpc);
			}
		}
	}
	return 0;
}

/* Fill the client's credentials and TLS settings from the global options. */
static int cli_setup_rpc(struct cli *c, const char *ca, int insecure)
{
	if (ember_rpc_client_init(&c->rpc, c->rpc_url) != 0)
		return cli_fail(2, "invalid rpc url '%s': expected http://HOST:PORT/ "
		                "or https://HOST:PORT/", c->rpc_url);
	const char *tok = getenv("EMBER_RPC_TOKEN");
	c->rpc.token = (tok && *tok) ? tok : NULL;
	c->rpc.ca_file = ca;
	c->rpc.insecure = insecure;
	if (c->cookie_file) {
		int rc = ember_rpc_cookie_read(c->cookie_file, c->cookie, sizeof c->cookie);
		if (rc == EMBER_EIO)
			return cli_fail(1, "cannot read rpc cookie '%s': %s; is emberd "
			                "running with that data directory?", c->cookie_file,
			                cli_errno_str(errno));
		if (rc != 0)
			return cli_fail(1, "malformed rpc cookie '%s': expected one line "
			                "'__cookie__:HEX'", c->cookie_file);
		c->rpc.userpass = c->cookie;
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum { G_RPC = 1, G_HELP, G_VERSION, G_DATADIR, G_COOKIE, G_CA, G_INSECURE,
	       G_LIST };
	static const struct option global_opts[] = {
		{ "rpc", required_argument, NULL, G_RPC },
		{ "datadir", required_argument, NULL, G_DATADIR },
		{ "rpc-cookie", required_argument, NULL, G_COOKIE },
		{ "rpc-ca", required_argument, NULL, G_CA },
		{ "insecure", no_argument, NULL, G_INSECURE },
		{ "version", no_argument, NULL, G_VERSION },
		{ "help", no_argument, NULL, G_HELP },
		/* hidden: for tests/integration/cli.sh */
		{ "list-rpc-methods", no_argument, NULL, G_LIST },
		{ NULL, 0, NULL, 0 }
	};
	static struct cli c;              /* holds the cookie: keep it off the stack */
	const char *datadir = NULL, *ca = NULL;
	int ch, insecure = 0, status;

	signal(SIGPIPE, SIG_IGN);   /* a closed socket is an error, not a death */
	if (sodium_init() < 0)
		return cli_fail(1, "cannot initialise libsodium");
	c.rpc_url = getenv("EMBER_RPC");
	if (c.rpc_url == NULL || *c.rpc_url == '\0')
		c.rpc_url = CLI_DEFAULT_RPC;

	/* "+": stop at the command; its options are its own. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", global_opts, NULL)) != -1) {
		switch (ch) {
		case G_RPC: c.rpc_url = optarg; break;
		case G_DATADIR: datadir = optarg; break;
		case G_COOKIE: c.cookie_file = optarg; break;
		case G_CA: ca = optarg; break;
		case G_INSECURE: insecure = 1; break;
		case G_LIST: return cli_list_rpc_methods();
		case G_VERSION:
			printf("ember-cli %s\n", EMBER_VERSION);
			return 0;
		case 'h':
		case G_HELP:
			cli_usage(stdout);
			return 0;
		case ':':
			cli_fail(2, "option '%s' needs a value", argv[optind - 1]);
			fprintf(stderr, "see 'ember-cli --help'\n");
			return 2;
		default:
			cli_fail(2, "unknown option '%s'", argv[optind - 1]);
			fprintf(stderr, "see 'ember-cli --help'\n");
			return 2;
		}
	}
	if (ca && insecure)
		return cli_fail(2, "--rpc-ca and --insecure contradict each other; "
		                "give one");
	if (!c.cookie_file && datadir) {
		if ((size_t)snprintf(c.cookie_path, sizeof c.cookie_path, "%s/.cookie",
		                     datadir) >= sizeof c.cookie_path)
			return cli_fail(2, "data directory '%s' is too long", datadir);
		c.cookie_file = c.cookie_path;
	}
	if (optind >= argc) {
		cli_usage(stderr);
		return 2;
	}
	const char *name = argv[optind];
	if (strcmp(name, "help") == 0) {
		if (optind + 1 >= argc) {
			cli_usage(stdout);
			return 0;
		}
		if (optind + 2 < argc)
			return cli_fail(2, "'help' takes one command name, got %d",
			                argc - optind - 1);
		const struct cli_cmd *h = cli_find(argv[optind + 1]);
		if (h == NULL)
			return cli_fail(2, "unknown command '%s'; see 'ember-cli --help'",
			                argv[optind + 1]);
		printf("usage: ember-cli %s\n  %s\n", h->usage, h->help);
		if (h->rpc)
			printf("  (RPC method: %s)\n", h->rpc);
		return 0;
	}
	const struct cli_cmd *cmd = cli_find(name);
	if (cmd == NULL)
		return cli_fail(2, "unknown command '%s'; see 'ember-cli --help'", name);

	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	struct cli_opts o;
	int rc = cli_parse_cmd_opts(cmd, sub_argc, sub_argv, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;

	cli_cmd_flags = cmd->flags;
	if ((cmd->flags & CLI_F_RPC) && (rc = cli_setup_rpc(&c, ca, insecure)) != 0)
		return rc;
	status = cmd->fn(&c, &o, sub_argv + optind);
	sodium_memzero(c.cookie, sizeof c.cookie);
	return status;
}
