/*
 * cli_main.c - ember-cli: keys, balances and transfers against a node's
 * JSON-RPC API (docs/rpc.md), the dispatcher, and the one path every
 * signed transaction takes (cli_submit); the market and token-economy
 * commands are in cli_market.c.
 *
 *   ember-cli [--rpc URL] COMMAND [ARGS] [OPTIONS]
 *
 * Commands are tables (name, handler, arity, usage), one here and one in
 * cli_market.c; the dispatcher checks the positional-argument count after
 * the command's own options are parsed, so handlers only see well-formed
 * argument vectors.  Exit status: 0 ok, 1 the operation failed, 2 the
 * command line is wrong.
 *
 * Everything a person reads on failure is "ember-cli: <what is wrong>" with
 * the subject quoted, lowercase, no full stop.  Input is checked locally
 * before the node is asked, so a typo in an address never costs a round trip
 * and never shows up as a node error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
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
#include "cli.h"

#define CLI_DEFAULT_RPC "http://127.0.0.1:8645/"
#define CLI_PASS_MAX 1024            /* bytes of passphrase, NUL excluded */
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

/* strerror() with a lowercase first letter, for the house message style. */
static const char *cli_errno_str(int e)
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

static int cli_is_hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdefABCDEF") == 64;
}

static int cli_keystore_fail(const char *path, int rc, int saved_errno)
{
	switch (rc) {
	case EMBER_EIO:
		return cli_fail(1, "cannot read keystore '%s': %s", path,
		                cli_errno_str(saved_errno));
	case EMBER_KS_FORMAT:
		return cli_fail(1, "malformed keystore '%s': not an ember key file "
		                "or an unsupported version", path);
	case EMBER_KS_PASSPHRASE:
		return cli_fail(1, "wrong passphrase for keystore '%s' "
		                "(or the file was altered)", path);
	default:
		return cli_fail(1, "cannot open keystore '%s': %s", path,
		                ember_strerror(rc));
	}
}

/* --- passphrases -------------------------------------------------------- */

/* A passphrase in locked memory; cli_pass_release() wipes it. */
struct cli_pass {
	char buf[CLI_PASS_MAX + 1];
	size_t len;
};

static void cli_pass_init(struct cli_pass *p)
{
	memset(p, 0, sizeof *p);
	sodium_mlock(p, sizeof *p);
}

static void cli_pass_release(struct cli_pass *p)
{
	sodium_munlock(p, sizeof *p);     /* zeroes, then unlocks */
}

/* First line of path, without its line ending. */
static int cli_pass_from_file(struct cli_pass *p, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(1, "cannot read passphrase file '%s': %s", path,
		                cli_errno_str(errno));
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, p->buf + len, CLI_PASS_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return cli_fail(1, "cannot read passphrase file '%s': %s",
			                path, cli_errno_str(e));
		}
		len += (size_t)n;
		if (n == 0 || memchr(p->buf, '\n', len) || len == CLI_PASS_MAX)
			break;
	}
	close(fd);
	char *nl = memchr(p->buf, '\n', len);
	if (nl == NULL && len == CLI_PASS_MAX)
		return cli_fail(1, "passphrase in '%s' is longer than %d bytes",
		                path, CLI_PASS_MAX);
	if (nl)
		len = (size_t)(nl - p->buf);
	if (len > 0 && p->buf[len - 1] == '\r')
		len--;
	sodium_memzero(p->buf + len, sizeof p->buf - len);
	p->len = len;
	return 0;
}

/* Terminal state to put back if a signal ends us while echo is off; the
 * one piece of process-wide state, as signal handlers need it. */
static struct {
	volatile sig_atomic_t active;
	int fd;
	struct termios saved;
} cli_tty;

static void cli_tty_signal(int sig)
{
	if (cli_tty.active)
		tcsetattr(cli_tty.fd, TCSAFLUSH, &cli_tty.saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Read one line from the terminal with echo off. */
static int cli_pass_prompt_once(struct cli_pass *p, int tty, const char *prompt)
{
	struct termios old, quiet;
	int have_termios = tcgetattr(tty, &old) == 0;
	if (write(tty, prompt, strlen(prompt)) < 0)
		return -1;
	if (have_termios) {
		cli_tty.fd = tty;
		cli_tty.saved = old;
		cli_tty.active = 1;
		signal(SIGINT, cli_tty_signal);
		signal(SIGTERM, cli_tty_signal);
		signal(SIGHUP, cli_tty_signal);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tcsetattr(tty, TCSAFLUSH, &quiet);
	}
	size_t len = 0;
	int rc = 0;
	for (;;) {
		char ch;
		ssize_t n = read(tty, &ch, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || ch == '\n' || ch == '\r')
			break;
		if (len == CLI_PASS_MAX) {
			rc = -2;
			continue;        /* drain the rest of the line */
		}
		p->buf[len++] = ch;
	}
	if (have_termios) {
		tcsetattr(tty, TCSAFLUSH, &old);
		cli_tty.active = 0;
	}
	if (write(tty, "\n", 1) < 0)
		rc = -1;
	p->len = len;
	return rc;
}

/*
 * Passphrase from --passphrase-file, else $EMBER_PASSPHRASE, else the
 * terminal (twice when confirm is set).  Returns 0 or an exit status.
 */
static int cli_get_pass(struct cli_pass *p, const char *file, int confirm)
{
	if (file)
		return cli_pass_from_file(p, file);
	const char *env = getenv("EMBER_PASSPHRASE");
	if (env) {
		size_t n = strlen(env);
		if (n > CLI_PASS_MAX)
			return cli_fail(1, "passphrase in EMBER_PASSPHRASE is longer "
			                "than %d bytes", CLI_PASS_MAX);
		memcpy(p->buf, env, n);
		p->len = n;
		return 0;
	}
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (tty < 0)
		return cli_fail(1, "cannot ask for a passphrase: no terminal; use "
		                "--passphrase-file or EMBER_PASSPHRASE");
	int rc = cli_pass_prompt_once(p, tty, "passphrase: ");
	if (rc == 0 && confirm) {
		struct cli_pass again;
		cli_pass_init(&again);
		rc = cli_pass_prompt_once(&again, tty, "repeat passphrase: ");
		if (rc == 0 && (again.len != p->len ||
		                sodium_memcmp(again.buf, p->buf, p->len) != 0))
			rc = -3;
		cli_pass_release(&again);
	}
	close(tty);
	if (rc == -2)
		return cli_fail(1, "passphrase is longer than %d bytes", CLI_PASS_MAX);
	if (rc == -3)
		return cli_fail(1, "passphrases do not match");
	if (rc != 0)
		return cli_fail(1, "cannot ask for a passphrase: %s",
		                cli_errno_str(errno));
	return 0;
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
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* --- commands ----------------------------------------------------------- */

static int cmd_keygen(struct cli *c, const struct cli_opts *o, char **args)
{
	struct ember_keypair kp;
	struct cli_pass pass;
	char addr[EMBER_ADDR_BUFLEN];
	int status;

	/* Refuse early, before a passphrase is typed for nothing. */
	if (access(o->out, F_OK) == 0)
		return cli_fail(1, "keystore '%s' already exists; choose another "
		                "--out or move it away", o->out);
	cli_pass_init(&pass);
	status = cli_get_pass(&pass, o->passfile, 1);
	if (status == 0) {
		sodium_mlock(&kp, sizeof kp);
		int rc = ember_keypair_generate(&kp);
		if (rc == 0)
			rc = ember_keystore_save(o->out, &kp, pass.buf, pass.len);
		int e = errno;
		ember_addr_encode(kp.pub, addr);
		ember_keypair_clear(&kp);
		sodium_munlock(&kp, sizeof kp);
		if (rc == EMBER_EEXIST)
			status = cli_fail(1, "keystore '%s' already exists; choose "
			                  "another --out or move it away", o->out);
		else if (rc == EMBER_EIO)
			status = cli_fail(1, "cannot write keystore '%s': %s", o->out,
			                  cli_errno_str(e));
		else if (rc != 0)
			status = cli_fail(1, "cannot create key: %s", ember_strerror(rc));
		else
			puts(addr);
	}
	cli_pass_release(&pass);
	return status;
}

static int cmd_address(struct cli *c, const struct cli_opts *o, char **args)
{
	char addr[EMBER_ADDR_BUFLEN];
	int rc = ember_keystore_address(args[0], addr);
	if (rc != 0)
		return cli_keystore_fail(args[0], rc, errno);
	puts(addr);
	return 0;
}

static int cmd_balance(struct cli *c, const struct cli_opts *o, char **args)
{
	uint8_t pub[32];
	json_t *res;
	uint64_t bal, nonce, pending;
	char amt[EMBER_AMOUNT_BUFLEN];

	if (cli_parse_addr(args[0], pub) || cli_call(c, "getaccount",
	                                             json_pack("[s]", args[0]), &res, NULL))
		return 1;
	int status = 0;
	if (o->json) {
		status = cli_print_json(res);
	} else if (cli_json_u64(c, res, "balance", &bal) ||
	           cli_json_u64(c, res, "nonce", &nonce) ||
	           cli_json_u64(c, res, "pending", &pending)) {
		status = 1;
	} else {
		ember_amount_format(bal, amt);
		printf("%s EMB (nonce %" PRIu64 ", %" PRIu64 " pending)\n",
		       amt, nonce, pending);
	}
	json_decref(res);
	return status;
}

static double cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Poll gettx until the tx is committed or timeout_s pass; *height gets
 * the block. */
static int cli_wait_commit(struct cli *c, const char *txid, uint64_t timeout_s,
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
		 * an answer; anything else the node says is final. */
		if (rc != 0 && !(rc == EMBER_RPC_REMOTE && code == -32001))
			return cli_fail(1, "%s", err);
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
			return cli_fail(1, "txid '%s' not committed after %" PRIu64 " s; "
			                "check later with 'ember-cli tx %s'",
			                txid, timeout_s, txid);
		struct timespec ts = { 0, CLI_POLL_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
}

int cli_from_address(const struct cli_opts *o, char addr[EMBER_ADDR_BUFLEN],
                     uint8_t pub[32])
{
	int rc = ember_keystore_address(o->from, addr);
	if (rc != 0)
		return cli_keystore_fail(o->from, rc, errno);
	if (ember_addr_decode(addr, pub) != 0)
		return cli_keystore_fail(o->from, EMBER_KS_FORMAT, 0);
	return 0;
}

int cli_submit(struct cli *c, const struct cli_opts *o, struct ember_tx *tx,
               uint64_t *height)
{
	uint8_t from[32];
	uint64_t fee = 0, nonce = 0, min_fee, wait_s = CLI_WAIT_DEFAULT_S, h = 0;
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
	if (o->timeout && (cli_parse_u64(o->timeout, &wait_s) != 0 || wait_s == 0 ||
	                   wait_s > 86400))
		return cli_fail(2, "invalid timeout '%s': expected seconds, 1 to 86400",
		                o->timeout);
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
	puts(txid);
	fflush(stdout);
	ret = o->wait ? cli_wait_commit(c, txid, wait_s, &h) : 0;
	if (height)
		*height = h;
out:
	json_decref(status);
	json_decref(acct);
	json_decref(res);
	return ret;
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

int cli_show(struct cli *c, const char *method, json_t *params)
{
	json_t *res;
	if (cli_call(c, method, params, &res, NULL))
		return 1;
	int status = cli_print_json(res);
	json_decref(res);
	return status;
}

static int cmd_tx(struct cli *c, const struct cli_opts *o, char **args)
{
	if (!cli_is_hex64(args[0]))
		return cli_fail(1, "invalid txid '%s': expected 64 hex digits", args[0]);
	return cli_show(c, "gettx", json_pack("[s]", args[0]));
}

static int cmd_block(struct cli *c, const struct cli_opts *o, char **args)
{
	uint64_t h;
	if (cli_parse_u64(args[0], &h) == 0 && h <= INT64_MAX)
		return cli_show(c, "getblock", json_pack("[I]", (json_int_t)h));
	if (cli_is_hex64(args[0]))
		return cli_show(c, "getblock", json_pack("[s]", args[0]));
	return cli_fail(1, "invalid block '%s': expected a height or a 64-digit "
	                "hex hash", args[0]);
}

static int cmd_status(struct cli *c, const struct cli_opts *o, char **args)
{
	return cli_show(c, "getstatus", NULL);
}

static int cmd_peers(struct cli *c, const struct cli_opts *o, char **args)
{
	return cli_show(c, "getpeers", NULL);
}

/* The network's admin calls: they need the node's cookie in
 * $EMBER_RPC_TOKEN. */
static int cmd_addpeer(struct cli *c, const struct cli_opts *o, char **args)
{
	return cli_show(c, "addpeer", json_pack("[s]", args[0]));
}

static int cmd_disconnectpeer(struct cli *c, const struct cli_opts *o, char **args)
{
	return cli_show(c, "disconnectpeer", json_pack("[s]", args[0]));
}

static int cmd_banpeer(struct cli *c, const struct cli_opts *o, char **args)
{
	uint64_t secs;
	if (!args[1])
		return cli_show(c, "banpeer", json_pack("[s]", args[0]));
	if (cli_parse_u64(args[1], &secs) != 0 || secs > INT64_MAX)
		return cli_fail(2, "invalid seconds '%s': expected a whole number", args[1]);
	return cli_show(c, "banpeer", json_pack("[s, I]", args[0], (json_int_t)secs));
}

static int cmd_listbanned(struct cli *c, const struct cli_opts *o, char **args)
{
	return cli_show(c, "listbanned", NULL);
}

/* --- dispatch ----------------------------------------------------------- */

static const struct cli_cmd cli_cmds[] = {
	{ "keygen", cmd_keygen, 0, 0, CLI_O_OUT | CLI_O_PASSFILE, CLI_O_OUT, 0,
	  "keygen --out FILE [--passphrase-file F]",
	  "create a key, store it encrypted in FILE, print its address" },
	{ "address", cmd_address, 1, 1, 0, 0, 0,
	  "address KEYSTORE",
	  "print the address of a keystore (no passphrase needed)" },
	{ "balance", cmd_balance, 1, 1, CLI_O_JSON, 0, CLI_F_RPC,
	  "balance ADDRESS [--json]",
	  "show an account's balance, nonce and pending transactions" },
	{ "send", cmd_send, 2, 2, CLI_O_TX, CLI_O_FROM, CLI_F_RPC,
	  "send TO AMOUNT --from KEYSTORE [--fee AMOUNT] [--nonce N] [--wait]\n"
	  "          [--timeout S] [--passphrase-file F]",
	  "transfer AMOUNT EMB to TO; prints the txid (--wait: until committed)" },
	{ "tx", cmd_tx, 1, 1, 0, 0, CLI_F_RPC, "tx TXID",
	  "show a transaction" },
	{ "block", cmd_block, 1, 1, 0, 0, CLI_F_RPC, "block HEIGHT|HASH",
	  "show a block" },
	{ "status", cmd_status, 0, 0, 0, 0, CLI_F_RPC, "status",
	  "show the node's status (height, peers, syncing)" },
	{ "peers", cmd_peers, 0, 0, 0, 0, CLI_F_RPC, "peers",
	  "show the node's connected peers" },
	{ "addpeer", cmd_addpeer, 1, 1, 0, 0, CLI_F_RPC, "addpeer [ID@]HOST:PORT",
	  "make the node dial a peer and keep it (needs $EMBER_RPC_TOKEN)" },
	{ "disconnectpeer", cmd_disconnectpeer, 1, 1, 0, 0, CLI_F_RPC, "disconnectpeer ID",
	  "close the node's connection to a peer (needs $EMBER_RPC_TOKEN)" },
	{ "banpeer", cmd_banpeer, 1, 2, 0, 0, CLI_F_RPC, "banpeer ID|IP [SECONDS]",
	  "discourage a peer, 600 s by default (needs $EMBER_RPC_TOKEN)" },
	{ "listbanned", cmd_listbanned, 0, 0, 0, 0, CLI_F_RPC, "listbanned",
	  "show the discouraged peers (needs $EMBER_RPC_TOKEN)" },
};

static const char *cli_opt_name(unsigned bit)
{
	for (const struct option *lo = cli_cmd_longopts; lo->name; lo++)
		if ((unsigned)lo->val == bit)
			return lo->name;
	return "?";
}

static void cli_usage(FILE *f)
{
	fprintf(f,
"usage: ember-cli [--rpc URL] COMMAND [ARGS]\n"
"\n"
"  --rpc URL   node JSON-RPC endpoint, http(s)://HOST:PORT/\n"
"              (default: $EMBER_RPC or " CLI_DEFAULT_RPC ")\n"
"  --help      show this help\n"
"\n"
"commands:\n");
	for (size_t i = 0; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++)
		fprintf(f, "  %s\n      %s\n", cli_cmds[i].usage, cli_cmds[i].help);
	size_t nm;
	const struct cli_cmd *market = cli_market_cmds(&nm);
	fprintf(f, "\nstaking, providers, market and oracle:\n");
	for (size_t i = 0; i < nm; i++)
		fprintf(f, "  %s\n      %s\n", market[i].usage, market[i].help);
	fprintf(f,
"\n"
"Transactions take --from KEYSTORE [--fee AMOUNT] [--nonce N] [--wait]\n"
"[--timeout S] [--passphrase-file F]; reads take --json for the raw answer.\n"
"Amounts are in EMB (up to 9 decimals).  Prices are per GPU-hour: EMB\n"
"under the sfa token model, US dollars (up to 6 decimals) under bme and\n"
"hybrid.  The passphrase comes from --passphrase-file (first line), else\n"
"$EMBER_PASSPHRASE, else the terminal.\n"
"$EMBER_RPC_TOKEN is sent as a bearer token; $EMBER_RPC_CA turns on TLS\n"
"certificate checks against that CA file.\n");
}

static int cli_cmd_usage(const struct cli_cmd *cmd)
{
	fprintf(stderr, "usage: ember-cli %s\n", cmd->usage);
	return 2;
}

/* Parse the command's options into o; returns 0 or an exit status. */
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
			return cli_cmd_usage(cmd);
		}
		if (!(cmd->opts & (unsigned)ch)) {
			cli_fail(2, "option '--%s' does not apply to '%s'",
			         cli_opt_name((unsigned)ch), cmd->name);
			return cli_cmd_usage(cmd);
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
		}
	}
	unsigned missing = cmd->required & ~o->seen;
	if (missing) {
		cli_fail(2, "'%s' needs --%s", cmd->name,
		         cli_opt_name(missing & -missing));
		return cli_cmd_usage(cmd);
	}
	int nargs = argc - optind;
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		if (cmd->max_args == 0)
			cli_fail(2, "'%s' takes no arguments, got %d", cmd->name, nargs);
		else
			cli_fail(2, "'%s' takes %d argument%s, got %d", cmd->name,
			         cmd->max_args, cmd->max_args == 1 ? "" : "s", nargs);
		return cli_cmd_usage(cmd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option global_opts[] = {
		{ "rpc", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli c = { .rpc_url = getenv("EMBER_RPC") };
	int ch;

	signal(SIGPIPE, SIG_IGN);   /* a closed socket is an error, not a death */
	if (sodium_init() < 0)
		return cli_fail(1, "cannot initialise libsodium");
	if (c.rpc_url == NULL || *c.rpc_url == '\0')
		c.rpc_url = CLI_DEFAULT_RPC;

	/* "+": stop at the command; its options are its own. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", global_opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			c.rpc_url = optarg;
			break;
		case 'h':
			cli_usage(stdout);
			return 0;
		case ':':
			cli_fail(2, "option '%s' needs a value", argv[optind - 1]);
			cli_usage(stderr);
			return 2;
		default:
			cli_fail(2, "unknown option '%s'", argv[optind - 1]);
			cli_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		cli_usage(stderr);
		return 2;
	}
	const char *name = argv[optind];
	if (strcmp(name, "help") == 0) {
		cli_usage(stdout);
		return 0;
	}
	const struct cli_cmd *cmd = NULL, *market;
	size_t nmarket;
	for (size_t i = 0; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++)
		if (strcmp(cli_cmds[i].name, name) == 0)
			cmd = &cli_cmds[i];
	market = cli_market_cmds(&nmarket);
	for (size_t i = 0; !cmd && i < nmarket; i++)
		if (strcmp(market[i].name, name) == 0)
			cmd = &market[i];
	if (cmd == NULL) {
		cli_fail(2, "unknown command '%s'; see 'ember-cli --help'", name);
		return 2;
	}

	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	struct cli_opts o;
	int rc = cli_parse_cmd_opts(cmd, sub_argc, sub_argv, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;

	if (cmd->flags & CLI_F_RPC) {
		if (ember_rpc_client_init(&c.rpc, c.rpc_url) != 0)
			return cli_fail(2, "invalid rpc url '%s': expected "
			                "http://HOST:PORT/ or https://HOST:PORT/",
			                c.rpc_url);
		const char *tok = getenv("EMBER_RPC_TOKEN");
		c.rpc.token = (tok && *tok) ? tok : NULL;
	}
	return cmd->fn(&c, &o, sub_argv + optind);
}
