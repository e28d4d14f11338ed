/*
 * emberd_main.c - command line of the Ember validator / full node.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "ember/node.h"

/* File descriptors kept for the node's own files beside RPC connections. */
#define FD_RESERVE 64

static void usage(FILE *f)
{
	fprintf(f,
"usage: emberd [options]\n"
"\n"
"  --dev                  run a single-validator devnet (created on first start)\n"
"  --datadir DIR          data directory (default ./data)\n"
"  --rpc-listen HOST:PORT JSON-RPC address (default 127.0.0.1:8645)\n"
"  --rpc-tls-cert FILE    serve RPC over HTTPS with this PEM certificate\n"
"  --rpc-tls-key FILE     ... and this PEM private key\n"
"  --rpc-max-conns N      open RPC connections at most (default 512, or a\n"
"                         quarter of the open file limit when less); at the\n"
"                         cap the one waiting longest for a request is closed\n"
"  --rpc-request-timeout S seconds a client has to send a whole request,\n"
"                         counted from connecting or the previous reply\n"
"                         (default 5)\n"
"  --block-time-ms N      block interval (default: the genesis value)\n"
"  --verify-threads N     signature workers (default: online CPUs)\n"
"  --max-block-txs N      cap on txs per block (default 50000)\n"
"  --dev-accounts N       funded accounts in a new devnet (default 4)\n"
"  --quiet                log empty blocks only every 100 heights\n"
"  --genesis FILE         the network's genesis (copied to DIR/genesis.json on\n"
"                         first start; later it must be the same file)\n"
"  --p2p-listen HOST:PORT accept peers here (default 0.0.0.0:8646; if that\n"
"                         port is taken the node runs without inbound peers)\n"
"  --peer [ID@]HOST:PORT  a peer to keep connected to, redialled with backoff\n"
"                         (repeatable; ID, 64 hex digits, pins its node id)\n"
"  --max-peers N          connections in all (default 64)\n"
"  --max-inbound-per-ip N inbound connections from one address (default 8)\n"
"  --no-p2p               no network: a node on its own\n"
"  --help                 this text\n"
"\n"
"The validator key is read from DIR/validator_key.json with the passphrase\n"
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

static int parse_num(const char *opt, const char *s, unsigned long long max,
                     unsigned long long *out)
{
	char *end;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || *out > max) {
		fprintf(stderr, "emberd: invalid value '%s' for %s\n", s, opt);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", no_argument, NULL, 'd' },
		{ "datadir", required_argument, NULL, 'D' },
		{ "rpc-listen", required_argument, NULL, 'r' },
		{ "rpc-tls-cert", required_argument, NULL, 'C' },
		{ "rpc-tls-key", required_argument, NULL, 'K' },
		{ "rpc-max-conns", required_argument, NULL, 'M' },
		{ "rpc-request-timeout", required_argument, NULL, 'T' },
		{ "block-time-ms", required_argument, NULL, 'b' },
		{ "verify-threads", required_argument, NULL, 'v' },
		{ "max-block-txs", required_argument, NULL, 'm' },
		{ "dev-accounts", required_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "genesis", required_argument, NULL, 'G' },
		{ "p2p-listen", required_argument, NULL, 'L' },
		{ "peer", required_argument, NULL, 'P' },
		{ "max-peers", required_argument, NULL, 'X' },
		{ "max-inbound-per-ip", required_argument, NULL, 'I' },
		{ "no-p2p", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ember_node_cfg cfg;
	static const char *peers[64];
	const char *genesis = NULL;
	char err[512];
	unsigned long long v, dev_accounts = 4;
	rlim_t nofile;
	int dev = 0, c, rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.datadir = "./data";
	cfg.rpc_listen = "127.0.0.1:8645";
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dev = 1; break;
		case 'D': cfg.datadir = optarg; break;
		case 'r': cfg.rpc_listen = optarg; break;
		case 'C': cfg.tls_cert = optarg; break;
		case 'K': cfg.tls_key = optarg; break;
		case 'M':
			if (parse_num("--rpc-max-conns", optarg, 1000000, &v) || v == 0)
				return 2;
			cfg.rpc_max_conns = (size_t)v;
			break;
		case 'T':
			if (parse_num("--rpc-request-timeout", optarg, 3600, &v) || v == 0)
				return 2;
			cfg.rpc_request_timeout_ms = (unsigned)v * 1000;
			break;
		case 'q': cfg.quiet = 1; break;
		case 'G': genesis = optarg; break;
		case 'L': cfg.p2p_listen = optarg; break;
		case 'N': cfg.no_p2p = 1; break;
		case 'P':
			if (cfg.npeers == sizeof(peers) / sizeof(peers[0])) {
				fprintf(stderr, "emberd: at most %zu --peer options\n",
				        sizeof(peers) / sizeof(peers[0]));
				return 2;
			}
			peers[cfg.npeers++] = optarg;
			cfg.peers = peers;
			break;
		case 'X':
			if (parse_num("--max-peers", optarg, 4096, &v) || v == 0)
				return 2;
			cfg.max_peers = (size_t)v;
			break;
		case 'I':
			if (parse_num("--max-inbound-per-ip", optarg, 4096, &v) || v == 0)
				return 2;
			cfg.max_inbound_per_ip = (size_t)v;
			break;
		case 'b':
			if (parse_num("--block-time-ms", optarg, 600000, &v) || v < 10)
				return 2;
			cfg.block_time_ms = v;
			break;
		case 'v':
			if (parse_num("--verify-threads", optarg, 256, &v) || v == 0)
				return 2;
			cfg.verify_threads = (unsigned)v;
			break;
		case 'm':
			if (parse_num("--max-block-txs", optarg, 100000, &v) || v == 0)
				return 2;
			cfg.max_block_txs = (size_t)v;
			break;
		case 'a':
			if (parse_num("--dev-accounts", optarg, 10000, &dev_accounts) ||
			    dev_accounts == 0)
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "emberd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!!cfg.tls_cert != !!cfg.tls_key) {
		fprintf(stderr, "emberd: --rpc-tls-cert and --rpc-tls-key go together\n");
		return 2;
	}
	nofile = raise_nofile();
	if (cfg.rpc_max_conns && nofile != RLIM_INFINITY &&
	    cfg.rpc_max_conns > (nofile > FD_RESERVE ? nofile - FD_RESERVE : 0)) {
		fprintf(stderr, "emberd: --rpc-max-conns %zu leaves too few of the %llu "
		        "open files allowed for the node itself; lower it, or raise "
		        "the limit with 'ulimit -n'\n", cfg.rpc_max_conns,
		        (unsigned long long)nofile);
		return 2;
	}
	if (mkdir(cfg.datadir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "emberd: cannot create data directory '%s': %s\n",
		        cfg.datadir, strerror(errno));
		return 1;
	}
	if (dev && genesis) {
		fprintf(stderr, "emberd: --dev makes its own genesis; --genesis is for "
		        "joining a network\n");
		return 2;
	}
	if (genesis && ember_genesis_import(cfg.datadir, genesis, err, sizeof(err)) != 0) {
		fprintf(stderr, "emberd: %s\n", err);
		return 1;
	}
	if (dev && (rc = ember_devnet_prepare(cfg.datadir, (unsigned)dev_accounts,
	                                      cfg.block_time_ms)) != 0)
		return 1;
	rc = ember_node_run(&cfg);
	return rc ? 1 : 0;
}
