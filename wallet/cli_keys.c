/*
 * cli_keys.c - ember-cli's keys: passphrases (file, environment, or the
 * terminal with echo off), key files (keystore.h), and BIP-39 mnemonics
 * (mnemonic.h; docs/wallet.md has the derivation).
 *
 *   keygen --out F [--mnemonic [--index N] [--mnemonic-passphrase-file P]]
 *   import --mnemonic --out F [--index N] [--mnemonic-passphrase-file P]
 *   export KEYSTORE
 *   address KEYSTORE
 *
 * Two passphrases, never confused: --passphrase-file (or
 * $EMBER_PASSPHRASE, or the prompt) encrypts the key file, as for every
 * other command; --mnemonic-passphrase-file is BIP-39's optional
 * passphrase, part of the key itself (a different one gives a different
 * account), empty when not given.
 *
 * Secrets (passphrases, the phrase, the seed, the key) live in locked
 * memory where they can and are wiped before every return.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "ember/addr.h"
#include "ember/codec.h"
#include "ember/key.h"
#include "ember/keystore.h"
#include "ember/mnemonic.h"
#include "cli.h"

/* --- passphrases -------------------------------------------------------- */

void cli_pass_init(struct cli_pass *p)
{
	memset(p, 0, sizeof *p);
	sodium_mlock(p, sizeof *p);
}

void cli_pass_release(struct cli_pass *p)
{
	sodium_munlock(p, sizeof *p);     /* zeroes, then unlocks */
}

/*
 * Up to CLI_PASS_MAX bytes of fd into p, until end of file (all_lines) or
 * the first line break; the line ending is dropped.  what names the
 * source in messages.  Returns: 0 or an exit status.
 */
static int cli_pass_from_fd(struct cli_pass *p, int fd, const char *what,
                            int all_lines)
{
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, p->buf + len, CLI_PASS_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cli_fail(1, "cannot read %s: %s", what, cli_errno_str(errno));
		len += (size_t)n;
		if (n == 0 || len == CLI_PASS_MAX ||
		    (!all_lines && memchr(p->buf, '\n', len)))
			break;
	}
	char *nl = all_lines ? NULL : memchr(p->buf, '\n', len);
	if (nl == NULL && len == CLI_PASS_MAX)
		return cli_fail(1, "%s is longer than %d bytes", what, CLI_PASS_MAX);
	if (nl)
		len = (size_t)(nl - p->buf);
	if (!all_lines && len > 0 && p->buf[len - 1] == '\r')
		len--;
	sodium_memzero(p->buf + len, sizeof p->buf - len);
	p->len = len;
	return 0;
}

/* First line of path, without its line ending. */
static int cli_pass_from_file(struct cli_pass *p, const char *path)
{
	char what[4200];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(what, sizeof what, "passphrase file '%s'", path);
	if (fd < 0)
		return cli_fail(1, "cannot read %s: %s", what, cli_errno_str(errno));
	int rc = cli_pass_from_fd(p, fd, what, 0);
	close(fd);
	return rc;
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

/* Read one line from the terminal with echo off: 0, -1 (I/O), -2 (too
 * long). */
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
 * One secret line from the terminal, prompt first, again for confirm
 * when it is not NULL; what names it in messages.  Returns: 0 or an exit
 * status.
 */
static int cli_prompt(struct cli_pass *p, const char *prompt, const char *confirm,
                      const char *what, const char *hint)
{
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (tty < 0)
		return cli_fail(1, "cannot ask for the %s: no terminal; %s", what, hint);
	int rc = cli_pass_prompt_once(p, tty, prompt);
	if (rc == 0 && confirm) {
		struct cli_pass again;
		cli_pass_init(&again);
		rc = cli_pass_prompt_once(&again, tty, confirm);
		if (rc == 0 && (again.len != p->len ||
		                sodium_memcmp(again.buf, p->buf, p->len) != 0))
			rc = -3;
		cli_pass_release(&again);
	}
	int e = errno;
	close(tty);
	if (rc == -2)
		return cli_fail(1, "%s is longer than %d bytes", what, CLI_PASS_MAX);
	if (rc == -3)
		return cli_fail(1, "the two %ss do not match", what);
	if (rc != 0)
		return cli_fail(1, "cannot ask for the %s: %s", what, cli_errno_str(e));
	return 0;
}

int cli_get_pass(struct cli_pass *p, const char *file, int confirm)
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
	return cli_prompt(p, "passphrase: ", confirm ? "repeat passphrase: " : NULL,
	                  "passphrase", "use --passphrase-file or EMBER_PASSPHRASE");
}

int cli_keystore_fail(const char *path, int rc, int saved_errno)
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

/* --- writing a key ------------------------------------------------------ */

static int cli_refuse_existing(const char *out)
{
	if (access(out, F_OK) == 0)
		return cli_fail(1, "keystore '%s' already exists; choose another "
		                "--out or move it away", out);
	return 0;
}

/* Encrypt kp into out under pass; prints the failure.  Returns: 0 or 1. */
static int cli_save_key(const char *out, const struct ember_keypair *kp,
                        const struct cli_pass *pass)
{
	int rc = ember_keystore_save(out, kp, pass->buf, pass->len);
	int e = errno;
	if (rc == EMBER_EEXIST)
		return cli_fail(1, "keystore '%s' already exists; choose another "
		                "--out or move it away", out);
	if (rc == EMBER_EIO)
		return cli_fail(1, "cannot write keystore '%s': %s", out, cli_errno_str(e));
	if (rc != 0)
		return cli_fail(1, "cannot write keystore '%s': %s", out,
		                ember_strerror(rc));
	return 0;
}

/* --index N, 0 when not given; prints and returns 2 when bad. */
static int cli_parse_index(const struct cli_opts *o, uint32_t *index)
{
	uint64_t v = 0;
	*index = 0;
	if (o->index && (cli_parse_u64(o->index, &v) != 0 ||
	                 v > EMBER_MNEMONIC_INDEX_MAX))
		return cli_fail(2, "invalid index '%s': expected a whole number from 0 "
		                "to %u", o->index, EMBER_MNEMONIC_INDEX_MAX);
	*index = (uint32_t)v;
	return 0;
}

/*
 * The key at index of phrase under the BIP-39 passphrase from
 * --mnemonic-passphrase-file (empty without one).  Prints the failure.
 * Returns: 0 or an exit status.
 */
static int cli_mnemonic_key(const struct cli_opts *o, const char *phrase,
                            uint32_t index, struct ember_keypair *kp)
{
	struct cli_pass bip39;
	uint8_t seed[EMBER_MNEMONIC_SEED_LEN];
	char why[256];
	int rc, status = 0;

	cli_pass_init(&bip39);
	if (o->mnpassfile && cli_pass_from_file(&bip39, o->mnpassfile) != 0) {
		cli_pass_release(&bip39);
		return 1;
	}
	sodium_mlock(seed, sizeof seed);
	why[0] = '\0';
	rc = ember_mnemonic_to_seed(phrase, bip39.buf, bip39.len, seed, why, sizeof why);
	cli_pass_release(&bip39);
	if (rc == 0)
		rc = ember_mnemonic_derive(seed, index, kp);
	sodium_munlock(seed, sizeof seed);
	if (rc == EMBER_CRYPTO_SECKEY)
		status = cli_fail(1, "index %" PRIu32 " gives no valid key (it "
		                  "happens once in 2^127 indices); use --index %" PRIu32,
		                  index, index + 1);
	else if (rc != 0 && why[0])
		status = cli_fail(1, "invalid mnemonic: %s", why);
	else if (rc != 0)
		status = cli_fail(1, "cannot derive the key: %s", ember_strerror(rc));
	return status;
}

/* --- commands ----------------------------------------------------------- */

static int cmd_keygen(struct cli *c, const struct cli_opts *o, char **args)
{
	struct ember_keypair kp;
	struct cli_pass pass;
	char addr[EMBER_ADDR_BUFLEN], phrase[EMBER_MNEMONIC_BUFLEN];
	uint32_t index = 0;
	int status, rc;

	if (!o->mnemonic && (o->seen & (CLI_O_INDEX | CLI_O_MNPASSFILE)))
		return cli_fail(2, "--index and --mnemonic-passphrase-file need --mnemonic");
	if (cli_parse_index(o, &index))
		return 2;
	/* Refuse early, before a passphrase is typed for nothing. */
	if (cli_refuse_existing(o->out))
		return 1;
	cli_pass_init(&pass);
	status = cli_get_pass(&pass, o->passfile, 1);
	if (status != 0) {
		cli_pass_release(&pass);
		return status;
	}
	sodium_mlock(&kp, sizeof kp);
	sodium_mlock(phrase, sizeof phrase);
	if (o->mnemonic) {
		rc = ember_mnemonic_generate(phrase);
		status = rc ? cli_fail(1, "cannot make a mnemonic: %s", ember_strerror(rc))
		            : cli_mnemonic_key(o, phrase, index, &kp);
	} else {
		rc = ember_keypair_generate(&kp);
		status = rc ? cli_fail(1, "cannot create key: %s", ember_strerror(rc)) : 0;
	}
	if (status == 0)
		status = cli_save_key(o->out, &kp, &pass);
	if (status == 0) {
		ember_addr_encode(kp.pub, addr);
		/* The words go out once, after the key file is safely written,
		 * on stdout; the instructions on stderr. */
		if (o->mnemonic) {
			cli_fail(0, "write these %d words down, in order, and keep them "
			         "offline: they restore this key ('ember-cli import "
			         "--mnemonic'%s) and are not shown again",
			         EMBER_MNEMONIC_WORDS, o->mnpassfile ?
			         ", with the same mnemonic passphrase" : "");
			puts(phrase);
		}
		puts(addr);
	}
	ember_keypair_clear(&kp);
	sodium_munlock(&kp, sizeof kp);
	sodium_munlock(phrase, sizeof phrase);
	cli_pass_release(&pass);
	return status;
}

static int cmd_import(struct cli *c, const struct cli_opts *o, char **args)
{
	struct ember_keypair kp;
	struct cli_pass words, pass;
	char addr[EMBER_ADDR_BUFLEN], why[256];
	uint32_t index;
	int status, rc;

	if (cli_parse_index(o, &index))
		return 2;
	if (cli_refuse_existing(o->out))
		return 1;

	/* The words: from stdin when it is not a terminal (a file or a
	 * pipe), else asked for with echo off, as a passphrase is. */
	cli_pass_init(&words);
	if (!isatty(STDIN_FILENO))
		status = cli_pass_from_fd(&words, STDIN_FILENO, "the mnemonic on stdin", 1);
	else
		status = cli_prompt(&words, "mnemonic (the words, separated by spaces): ",
		                    NULL, "mnemonic", "pipe the words to stdin");
	/* Check the words before any passphrase is asked: a typo is named
	 * and costs nothing. */
	why[0] = '\0';
	if (status == 0 &&
	    (rc = ember_mnemonic_parse(words.buf, NULL, NULL, NULL, why, sizeof why)) != 0)
		status = cli_fail(1, "invalid mnemonic: %s", why[0] ? why : ember_strerror(rc));
	sodium_mlock(&kp, sizeof kp);
	if (status == 0)
		status = cli_mnemonic_key(o, words.buf, index, &kp);
	cli_pass_release(&words);

	cli_pass_init(&pass);
	if (status == 0)
		status = cli_get_pass(&pass, o->passfile, 1);
	if (status == 0)
		status = cli_save_key(o->out, &kp, &pass);
	if (status == 0) {
		ember_addr_encode(kp.pub, addr);
		puts(addr);
	}
	cli_pass_release(&pass);
	ember_keypair_clear(&kp);
	sodium_munlock(&kp, sizeof kp);
	return status;
}

static int cmd_export(struct cli *c, const struct cli_opts *o, char **args)
{
	struct ember_keypair kp;
	struct cli_pass pass;
	char addr[EMBER_ADDR_BUFLEN], hex[2 * EMBER_SECKEY_LEN + 1];
	int rc, e, status;

	/* The address first: a wrong path fails before the passphrase. */
	if ((rc = ember_keystore_address(args[0], addr)) != 0)
		return cli_keystore_fail(args[0], rc, errno);
	cli_pass_init(&pass);
	if ((status = cli_get_pass(&pass, o->passfile, 0)) != 0) {
		cli_pass_release(&pass);
		return status;
	}
	sodium_mlock(&kp, sizeof kp);
	rc = ember_keystore_load(args[0], pass.buf, pass.len, &kp);
	e = errno;
	cli_pass_release(&pass);
	if (rc != 0) {
		status = cli_keystore_fail(args[0], rc, e);
	} else {
		cli_fail(0, "warning: this is the secret key of '%s': whoever sees it "
		         "can spend everything in the account; do not paste it into a "
		         "chat, a ticket or a shell history", addr);
		sodium_mlock(hex, sizeof hex);
		ember_hex_encode(kp.seckey, EMBER_SECKEY_LEN, hex);
		puts(hex);
		fflush(stdout);
		sodium_munlock(hex, sizeof hex);
	}
	ember_keypair_clear(&kp);
	sodium_munlock(&kp, sizeof kp);
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

/* --- table -------------------------------------------------------------- */

#define CK_MN_OPTS (CLI_O_MNEMONIC | CLI_O_INDEX | CLI_O_MNPASSFILE)

static const struct cli_cmd ck_cmds[] = {
	{ "keygen", cmd_keygen, 0, 0, CLI_O_OUT | CLI_O_PASSFILE | CK_MN_OPTS,
	  CLI_O_OUT, 0, NULL,
	  "keygen --out FILE [--passphrase-file F]\n"
	  "          [--mnemonic [--index N] [--mnemonic-passphrase-file F]]",
	  "create a key, store it encrypted in FILE, print its address; with\n"
	  "      --mnemonic, from 24 new BIP-39 words, printed once" },
	{ "import", cmd_import, 0, 0, CLI_O_OUT | CLI_O_PASSFILE | CK_MN_OPTS,
	  CLI_O_OUT | CLI_O_MNEMONIC, 0, NULL,
	  "import --mnemonic --out FILE [--index N] [--passphrase-file F]\n"
	  "          [--mnemonic-passphrase-file F]",
	  "restore key N (default 0) of a BIP-39 phrase read from stdin or the\n"
	  "      terminal into FILE" },
	{ "export", cmd_export, 1, 1, CLI_O_PASSFILE, 0, 0, NULL,
	  "export KEYSTORE [--passphrase-file F]",
	  "print the secret key (hex) of a keystore; keep it secret" },
	{ "address", cmd_address, 1, 1, 0, 0, 0, NULL,
	  "address KEYSTORE",
	  "print the address of a keystore (no passphrase needed)" },
};

const struct cli_cmd *cli_key_cmds(size_t *n)
{
	*n = sizeof ck_cmds / sizeof ck_cmds[0];
	return ck_cmds;
}
