/*
 * emberd_main.c - command line of the Ember validator / full node.
 *
 * Settings come from the config file (DIR/ember.conf, or --conf FILE)
 * and then the command line, each through apply_opt, so the command
 * line wins: a later value replaces an earlier one, and --peer on the
 * command line replaces the file's peer lines rather than adding to them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "ember/node.h"
#include "ember/version.h"
#include "cwal_dump_internal.h"
#include "node_conf_internal.h"

/* File descriptors kept for the node's own files beside RPC connections. */
#define FD_RESERVE 64

static void usage(FILE *f)
{
	fprintf(f,
"usage: emberd [options]\n"
"       emberd testnet --validators N --out DIR   (a ready-to-run N-validator network)\n"
"       emberd inspect-wal FILE   (a consensus WAL, DIR/cons.wal, as JSON lines)\n"
"\n"
"  --dev                  run a single-validator devnet (created on first start)\n"
"  --datadir DIR          data directory (default ./data)\n"
"  --rpc-listen HOST:PORT JSON-RPC address (default 127.0.0.1:8645)\n"
"  --rpc-tls-cert FILE    serve RPC over HTTPS with this PEM certificate\n"
"  --rpc-tls-key FILE     ... and this PEM private key\n"
"  --rpc-max-conns N      open RPC connections at most (default 512, or a\n"
"                         quarter of the open file limit when less); at the\n"
"                         cap the one waiting longest for a request is closed\n"
"  --rpc-user USER        with --rpc-password-file: a fixed login for the\n"
"                         admin methods instead of the cookie\n"
"  --rpc-password-file F  the password, on the first line of F\n"
"  --rpc-request-timeout S seconds a client has to send a whole request,\n"
"                         counted from connecting or the previous reply\n"
"                         (default 5)\n"
"  --block-time-ms N      block interval (default: the genesis value)\n"
"  --verify-threads N     signature workers (default: online CPUs)\n"
"  --max-block-txs N      cap on txs per block (default 50000)\n"
"  --dbcache MIB          memory for recent commits before they are written\n"
"                         into the ledger's B-tree in one batch (default 256;\n"
"                         0: write every block through)\n"
"  --dev-accounts N       funded accounts in a new devnet (default 4)\n"
"  --quiet                log empty blocks only every 100 heights\n"
"  --genesis FILE         the network's genesis (copied to DIR/genesis.json on\n"
"                         first start; later it must be the same file)\n"
"  --validator-key FILE   validate with this keystore (default\n"
"                         DIR/validator_key.json when present; without a key\n"
"                         the node is a full node)\n"
"  --p2p-listen HOST:PORT accept peers here (default 0.0.0.0:8646; if that\n"
"                         port is taken the node runs without inbound peers)\n"
"  --peer [ID@]HOST:PORT  a peer to keep connected to, redialled with backoff\n"
"                         (repeatable; ID, 64 hex digits, pins its node id)\n"
"  --max-peers N          connections in all (default 64)\n"
"  --max-inbound-per-ip N inbound connections from one address (default 8)\n"
"  --no-p2p               no network: a node on its own\n"
"  --conf FILE            settings, one 'name=value' a line with the names\n"
"                         above (default DIR/ember.conf when it exists);\n"
"                         the command line wins over the file\n"
"  --log-file FILE        where the log goes besides stderr (default\n"
"                         DIR/debug.log; '-': stderr only); SIGHUP reopens it\n"
"  --log-level LEVEL      error, warn, info (default) or debug\n"
"  --version              print the version and exit\n"
"  --help                 this text\n"
"\n"
"Admin RPC methods (stop, addpeer, ...) need the cookie the node writes\n"
"to DIR/.cookie at start (and removes at a clean stop), sent as HTTP\n"
"Basic auth: curl --user \"$(cat DIR/.cookie)\" ...; or, with --rpc-user,\n"
"that user and the password from --rpc-password-file.\n"
"\n"
"The validator key is read from --validator-key FILE, else from\n"
"DIR/validator_key.json, with the passphrase\n"
"in EMBER_VALIDATOR_PASSPHRASE (empty when unset).  The open file limit's\n"
"soft value is raised to the hard one at start.\n");
}

/*
 * Raise the open file limit's soft value to the hard one, as bitcoind
 * does: the default 1024 is what a burst of RPC clients exhausts.
 * Returns: the soft limit now in force (RLIM_INFINITY: none).
 */
static rlim_t raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return RLIM_INFINITY;
	if (rl.rlim_cur != rl.rlim_max) {
		rlim_t want = rl.rlim_max;
		struct rlimit nl = rl;

		/* Linux refuses an infinite file limit; 2^20 is its default
		 * ceiling (fs.nr_open). */
		if (want == RLIM_INFINITY)
			want = (rlim_t)1 << 20;
		nl.rlim_cur = want;
		if (want > rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &nl) == 0)
			rl.rlim_cur = want;
		else if (want > rl.rlim_cur)
			fprintf(stderr, "emberd: cannot raise the open file limit from "
			        "%llu to %llu: %s\n", (unsigned long long)rl.rlim_cur,
			        (unsigned long long)want, strerror(errno));
	}
	return rl.rlim_cur;
}

/* Options as getopt_long and the config file know them. */
enum {
	O_DEV = 'd', O_DATADIR = 'D', O_RPC_LISTEN = 'r', O_TLS_CERT = 'C',
	O_TLS_KEY = 'K', O_RPC_MAX_CONNS = 'M', O_RPC_TIMEOUT = 'T',
	O_BLOCK_TIME = 'b', O_VERIFY_THREADS = 'v', O_MAX_BLOCK_TXS = 'm',
	O_DEV_ACCOUNTS = 'a', O_QUIET = 'q', O_GENESIS = 'G', O_P2P_LISTEN = 'L',
	O_PEER = 'P', O_MAX_PEERS = 'X', O_MAX_INBOUND = 'I', O_NO_P2P = 'N',
	O_HELP = 'h', O_CONF = 256, O_LOG_FILE, O_LOG_LEVEL, O_VERSION,
	O_RPC_USER, O_RPC_PASSWORD_FILE, O_VALIDATOR_KEY, O_DBCACHE
};

static const struct option opts[] = {
	{ "dev", no_argument, NULL, O_DEV },
	{ "datadir", required_argument, NULL, O_DATADIR },
	{ "rpc-listen", required_argument, NULL, O_RPC_LISTEN },
	{ "rpc-tls-cert", required_argument, NULL, O_TLS_CERT },
	{ "rpc-tls-key", required_argument, NULL, O_TLS_KEY },
	{ "rpc-max-conns", required_argument, NULL, O_RPC_MAX_CONNS },
	{ "rpc-request-timeout", required_argument, NULL, O_RPC_TIMEOUT },
	{ "rpc-user", required_argument, NULL, O_RPC_USER },
	{ "rpc-password-file", required_argument, NULL, O_RPC_PASSWORD_FILE },
	{ "block-time-ms", required_argument, NULL, O_BLOCK_TIME },
	{ "dbcache", required_argument, NULL, O_DBCACHE },
	{ "verify-threads", required_argument, NULL, O_VERIFY_THREADS },
	{ "max-block-txs", required_argument, NULL, O_MAX_BLOCK_TXS },
	{ "dev-accounts", required_argument, NULL, O_DEV_ACCOUNTS },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "genesis", required_argument, NULL, O_GENESIS },
	{ "validator-key", required_argument, NULL, O_VALIDATOR_KEY },
	{ "p2p-listen", required_argument, NULL, O_P2P_LISTEN },
	{ "peer", required_argument, NULL, O_PEER },
	{ "max-peers", required_argument, NULL, O_MAX_PEERS },
	{ "max-inbound-per-ip", required_argument, NULL, O_MAX_INBOUND },
	{ "no-p2p", no_argument, NULL, O_NO_P2P },
	{ "conf", required_argument, NULL, O_CONF },
	{ "log-file", required_argument, NULL, O_LOG_FILE },
	{ "log-level", required_argument, NULL, O_LOG_LEVEL },
	{ "version", no_argument, NULL, O_VERSION },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 }
};

/* Names the config file may repeat. */
static const char *const conf_repeatable[] = { "peer", NULL };

#define MAX_PEER_OPTS 64

/* Everything the options set, before the node runs. */
struct args {
	struct ember_node_cfg cfg;
	const char *peers[MAX_PEER_OPTS];
	const char *genesis;
	unsigned long long dev_accounts;
	int dev;
	int cli_peers;       /* a --peer came from the command line */
};

/* where: how the option is named in messages ("--max-peers", or
 * "'max-peers' in 'FILE' line N"). */
static int parse_num(const char *where, const char *s, unsigned long long min,
                     unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || *out < min || *out > max) {
		fprintf(stderr, "emberd: invalid value '%s' for %s: expected a whole "
		        "number from %llu to %llu\n", s, where, min, max);
		return -1;
	}
	return 0;
}

/*
 * One setting, from the command line (cli 1) or the config file.  val is
 * the option's argument, "1" or "0" for a flag from the file (from the
 * command line a flag is on); it must outlive the node (argv, or the
 * conf's buffer).  Returns: 0, or 2 (the exit status) after a message.
 */
static int apply_opt(struct args *a, int code, const char *val, int cli,
                     const char *where)
{
	struct ember_node_cfg *cfg = &a->cfg;
	int on = !val || strcmp(val, "0") != 0;
	unsigned long long v;

	switch (code) {
	case O_DEV: a->dev = on; break;
	case O_DATADIR: cfg->datadir = val; break;
	case O_RPC_LISTEN: cfg->rpc_listen = val; break;
	case O_TLS_CERT: cfg->tls_cert = val; break;
	case O_TLS_KEY: cfg->tls_key = val; break;
	case O_RPC_MAX_CONNS:
		if (parse_num(where, val, 1, 1000000, &v))
			return 2;
		cfg->rpc_max_conns = (size_t)v;
		break;
	case O_RPC_TIMEOUT:
		if (parse_num(where, val, 1, 3600, &v))
			return 2;
		cfg->rpc_request_timeout_ms = (unsigned)v * 1000;
		break;
	case O_QUIET: cfg->quiet = on; break;
	case O_GENESIS: a->genesis = val; break;
	case O_VALIDATOR_KEY: cfg->validator_key = val; break;
	case O_P2P_LISTEN: cfg->p2p_listen = val; break;
	case O_NO_P2P: cfg->no_p2p = on; break;
	case O_PEER:
		/* The command line's peers replace the file's. */
		if (cli && !a->cli_peers) {
			a->cli_peers = 1;
			cfg->npeers = 0;
		}
		if (cfg->npeers == MAX_PEER_OPTS) {
			fprintf(stderr, "emberd: at most %d peers can be configured "
			        "(%s)\n", MAX_PEER_OPTS, where);
			return 2;
		}
		a->peers[cfg->npeers++] = val;
		cfg->peers = a->peers;
		break;
	case O_MAX_PEERS:
		if (parse_num(where, val, 1, 4096, &v))
			return 2;
		cfg->max_peers = (size_t)v;
		break;
	case O_MAX_INBOUND:
		if (parse_num(where, val, 1, 4096, &v))
			return 2;
		cfg->max_inbound_per_ip = (size_t)v;
		break;
	case O_BLOCK_TIME:
		if (parse_num(where, val, 10, 600000, &v))
			return 2;
		cfg->block_time_ms = v;
		break;
	case O_DBCACHE:
		if (parse_num(where, val, 0, 1u << 20, &v))
			return 2;
		cfg->dbcache_mib = v;
		cfg->have_dbcache = 1;
		break;
	case O_VERIFY_THREADS:
		if (parse_num(where, val, 1, 256, &v))
			return 2;
		cfg->verify_threads = (unsigned)v;
		break;
	case O_MAX_BLOCK_TXS:
		if (parse_num(where, val, 1, 100000, &v))
			return 2;
		cfg->max_block_txs = (size_t)v;
		break;
	case O_DEV_ACCOUNTS:
		if (parse_num(where, val, 1, 10000, &a->dev_accounts))
			return 2;
		break;
	case O_RPC_USER:
		if (strchr(val, ':')) {
			fprintf(stderr, "emberd: invalid value '%s' for %s: a user name "
			        "cannot hold ':'\n", val, where);
			return 2;
		}
		cfg->rpc_user = val;
		break;
	case O_RPC_PASSWORD_FILE: cfg->rpc_password_file = val; break;
	case O_LOG_FILE: cfg->log_file = val; break;
	case O_LOG_LEVEL:
		if (ember_log_level_parse(val, &cfg->log_level) != 0) {
			fprintf(stderr, "emberd: invalid value '%s' for %s: expected "
			        "error, warn, info or debug\n", val, where);
			return 2;
		}
		break;
	default:
		return 2;
	}
	return 0;
}

/*
 * The config file: --conf FILE (it must exist), else DIR/ember.conf when
 * there is one.  Its settings go into a before the command line's.
 * Returns: 0, or the exit status after a message.
 */
static int read_conf(struct args *a, struct node_conf *conf,
                     const char *conf_cli, const char *datadir_cli)
{
	char path[4096], err[512], where[4200];
	const char *file = conf_cli;
	int rc;

	if (!file) {
		snprintf(path, sizeof(path), "%s/ember.conf",
		         datadir_cli ? datadir_cli : a->cfg.datadir);
		file = path;
	}
	rc = node_conf_load(conf, file, opts, conf_repeatable, err, sizeof(err));
	if (rc == EMBER_EIO && errno == ENOENT && !conf_cli)
		return 0;
	if (rc) {
		fprintf(stderr, "emberd: %s\n", rc == EMBER_ENOMEM ? "out of memory" : err);
		return rc == EMBER_EPARSE ? 2 : 1;
	}
	for (size_t i = 0; i < conf->n; i++) {
		const struct node_conf_entry *e = &conf->e[i];
		int code = e->opt->val;

		snprintf(where, sizeof(where), "'%s' in '%s' line %u", e->opt->name,
		         file, e->line);
		if (code == O_CONF || code == O_HELP || code == O_VERSION ||
		    (code == O_DATADIR && !conf_cli)) {
			fprintf(stderr, "emberd: '%s' line %u: '%s' cannot be set in %s\n",
			        file, e->line, e->opt->name, code == O_DATADIR ?
			        "the data directory's own ember.conf; use --datadir, or "
			        "a file given with --conf" : "a config file");
			return 2;
		}
		if ((rc = apply_opt(a, code, e->value, 0, where)))
			return rc;
	}
	return 0;
}

/* emberd testnet --validators N --out DIR [--accounts N]
 *                [--base-port P] [--block-time-ms N] */
static int testnet_main(int argc, char **argv)
{
	static const struct option topts[] = {
		{ "validators", required_argument, NULL, 'v' },
		{ "out", required_argument, NULL, 'o' },
		{ "accounts", required_argument, NULL, 'a' },
		{ "base-port", required_argument, NULL, 'p' },
		{ "block-time-ms", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *out = NULL;
	unsigned long nval = 0, nacc = 4, base = 26650, bt = 1000;
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", topts, NULL)) != -1) {
		unsigned long *dst = c == 'v' ? &nval : c == 'a' ? &nacc :
		                     c == 'p' ? &base : c == 'b' ? &bt : NULL;
		if (c == 'o') {
			out = optarg;
		} else if (dst) {
			errno = 0;
			*dst = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || *dst > 1000000) {
				fprintf(stderr, "emberd testnet: bad number '%s'\n", optarg);
				return 2;
			}
		} else {
			fprintf(c == 'h' ? stdout : stderr,
			        "usage: emberd testnet --validators N --out DIR [--accounts N (4)]\n"
			        "                      [--base-port P (26650)] [--block-time-ms N (1000)]\n"
			        "Writes DIR/genesis.json, funded accounts in DIR/dev-keys and\n"
			        "DIR/nodeI (key, genesis, ember.conf): start each validator with\n"
			        "'emberd --datadir DIR/nodeI'.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!out || !nval || optind < argc) {
		fprintf(stderr, "emberd testnet: --validators N and --out DIR are needed\n");
		return 2;
	}
	return ember_testnet_create(out, (unsigned)nval, (unsigned)nacc, bt,
	                            (unsigned)base) ? 1 : 0;
}

/* emberd inspect-wal FILE: every record of a consensus WAL, one JSON
 * object a line (node/cwal_dump.c), for people and for the tests that
 * check no validator ever signed two different votes. */
static int inspect_wal_main(int argc, char **argv)
{
	char err[512] = "";
	int rc;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: emberd inspect-wal FILE   (e.g. DATADIR/cons.wal)\n");
		return 2;
	}
	rc = node_cwal_dump(argv[1], stdout, err, sizeof(err));
	if (err[0])
		fprintf(stderr, "emberd inspect-wal: %s\n", err);
	if (rc) {
		if (!err[0])
			fprintf(stderr, "emberd inspect-wal: '%s': %s\n", argv[1],
			        ember_strerror(rc));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "testnet") == 0)
		return testnet_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "inspect-wal") == 0)
		return inspect_wal_main(argc - 1, argv + 1);
	static struct args a;
	struct ember_node_cfg *cfg = &a.cfg;
	struct node_conf conf;
	const char *conf_cli = NULL, *datadir_cli = NULL;
	char err[512], where[64];
	rlim_t nofile;
	int c, rc;

	memset(&conf, 0, sizeof(conf));
	cfg->datadir = "./data";
	cfg->rpc_listen = "127.0.0.1:8645";
	a.dev_accounts = 4;
	/* First pass: what decides which config file to read, and the
	 * options that only print. */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_HELP: usage(stdout); return 0;
		case O_VERSION: printf("emberd %s\n", EMBER_VERSION); return 0;
		case O_CONF: conf_cli = optarg; break;
		case O_DATADIR: datadir_cli = optarg; break;
		case '?': usage(stderr); return 2;
		default: break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "emberd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if ((rc = read_conf(&a, &conf, conf_cli, datadir_cli)))
		goto out;
	/* Second pass: the command line over the file. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const struct option *o;

		if (c == O_CONF)
			continue;
		for (o = opts; o->name && o->val != c; o++)
			;
		snprintf(where, sizeof(where), "--%s", o->name ? o->name : "?");
		if ((rc = apply_opt(&a, c, optarg, 1, where)))
			goto out;
	}
	rc = 2;
	if (!!cfg->tls_cert != !!cfg->tls_key) {
		fprintf(stderr, "emberd: --rpc-tls-cert and --rpc-tls-key go together\n");
		goto out;
	}
	if (!!cfg->rpc_user != !!cfg->rpc_password_file) {
		fprintf(stderr, "emberd: --rpc-user and --rpc-password-file go together\n");
		goto out;
	}
	nofile = raise_nofile();
	if (cfg->rpc_max_conns && nofile != RLIM_INFINITY &&
	    cfg->rpc_max_conns > (nofile > FD_RESERVE ? nofile - FD_RESERVE : 0)) {
		fprintf(stderr, "emberd: --rpc-max-conns %zu leaves too few of the %llu "
		        "open files allowed for the node itself; lower it, or raise "
		        "the limit with 'ulimit -n'\n", cfg->rpc_max_conns,
		        (unsigned long long)nofile);
		goto out;
	}
	if (a.dev && a.genesis) {
		fprintf(stderr, "emberd: --dev makes its own genesis; --genesis is for "
		        "joining a network\n");
		goto out;
	}
	rc = 1;
	if (mkdir(cfg->datadir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "emberd: cannot create data directory '%s': %s\n",
		        cfg->datadir, strerror(errno));
		goto out;
	}
	if (a.genesis && ember_genesis_import(cfg->datadir, a.genesis, err,
	                                      sizeof(err)) != 0) {
		fprintf(stderr, "emberd: %s\n", err);
		goto out;
	}
	if (a.dev && ember_devnet_prepare(cfg->datadir, (unsigned)a.dev_accounts,
	                                  cfg->block_time_ms) != 0)
		goto out;
	rc = ember_node_run(cfg) ? 1 : 0;
out:
	node_conf_release(&conf);
	return rc;
}
