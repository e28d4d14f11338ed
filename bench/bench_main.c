/*
 * bench_main.c - ember-bench [NAME...] [--quick] [--full] [--txs N]
 *
 * Measures, in one run, (a) raw BIP-340 verifications per second per core,
 * (b) signed transfers per second end to end through a real emberd over
 * JSON-RPC, and (c) the block apply rate with signatures already verified,
 * and reports (b) as a ratio of (a) x online CPUs; then the market's two
 * cost promises (bench_market.c): a block's cost independent of the open
 * leases, and the epoch boundary's cost per provider; and the GPU proof's
 * verifier against its prover (bench_proof.c); and the apply rate as the
 * ledger grows in accounts and history (bench_state.c).  Benchmarks are a
 * table; NAME picks some (default: all), and they always run in table
 * order so the verify bound exists before tps needs it.
 */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct bench_def {
	const char *name;
	bench_fn fn;
	const char *help;
};

static const struct bench_def bench_table[] = {
	{ "verify", bench_verify,
	  "(a) BIP-340 verifies/s: one thread, and every online CPU" },
	{ "apply", bench_apply,
	  "(c) block apply rate in process, signatures pre-verified" },
	{ "tps", bench_tps,
	  "(b) pre-signed transfers/s end to end through emberd over JSON-RPC" },
	{ "market", bench_market,
	  "1,000-transfer block with 10 vs 100,000 open leases (lazy settlement)" },
	{ "epoch", bench_epoch,
	  "epoch-boundary block with 10,000 providers and 5,000 open leases" },
	{ "proof", bench_proof,
	  "GPU proof: verifier time and work against the prover's, per class" },
	{ "sync", bench_sync,
	  "full node catch-up over P2P vs in-process apply; tps relayed over P2P" },
	{ "prop", bench_prop,
	  "1,000-tx block propagation to the 3rd hop over P2P (p50, p99)" },
	{ "bft", bench_bft,
	  "4 validators over P2P: proposal to commit (idle, 1,000 tx/s), tx/s" },
	{ "state", bench_state,
	  "apply rate with 2,000 to 1,000,000 accounts, and after 1,000,000 txs" },
};
#define BENCH_N (sizeof(bench_table) / sizeof(bench_table[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: ember-bench [NAME...] [--quick] [--full] [--txs N]\n\n");
	for (size_t i = 0; i < BENCH_N; i++)
		fprintf(f, "  %-8s %s\n", bench_table[i].name, bench_table[i].help);
	fprintf(f,
"\n"
"  --quick    shorter measurements and smaller workloads (8,000 txs;\n"
"             market 20,000 leases, epoch 2,000 providers; proof: 5\n"
"             verify runs, an 8 s proving budget, N=512 baseline; state\n"
"             up to 100,000 accounts, 200,000 txs of history, a 24 MiB\n"
"             cache cycle instead of 256 MiB, one repetition)\n"
"  --full     state: 10,000,000 accounts too (several minutes more)\n"
"  --txs N    transfers for apply and tps (default 40,000); for sync the\n"
"             transfers committed before the full node starts (default\n"
"             20,000, --quick 4,000), plus half as many again twice\n"
"  --help     this text\n"
"\n"
"  prop: 300 blocks of 1,000 transfers (--quick 80): 100 (20) timed over\n"
"  one hop, 200 (60) to the 3rd hop; --txs does not apply\n"
"With no NAME every benchmark runs.  tps and sync start bin/emberd found\n"
"next to this program.  Exit status 0 unless something broke.\n");
}

/* The state rows as ratios of the base row, 10,000-tx blocks first. */
static void summary_state(const struct bench_results *r)
{
	const struct bench_state_row *base = &r->state_rows[0];

	printf("  state:        apply rate, of the %zu-account rate (10,000-tx / "
	       "1,000-tx blocks):", base->accts);
	for (size_t i = 1; i < r->state_nrows; i++) {
		const struct bench_state_row *x = &r->state_rows[i];
		const char *target = x->history ? " (target 0.8)"
		                   : x->accts == 1000000 ? " (target 0.7)"
		                   : x->accts == 10000000 ? " (target 0.5)" : "";
		printf("%s%zu accounts", i == 1 ? " " : "; ", x->accts);
		if (x->history)
			printf(" after %llu txs", (unsigned long long)x->history);
		printf(" %.2f / %.2f%s", x->tps[1] / base->tps[1],
		       x->tps[0] / base->tps[0], target);
	}
	printf("; base %.0f / %.0f tx/s\n", base->tps[1], base->tps[0]);
}

static void summary(const struct bench_opts *o, const struct bench_results *r,
                    const int *sel, const int *failed)
{
	printf("== summary (%u online CPUs%s)\n", o->ncpu, o->quick ? ", --quick" : "");
	if (r->have_verify && !failed[0] && r->verify_all > 0)
		printf("  verify (a):   %.0f verifies/s per core, %u cores -> bound %.0f/s  "
		       "(all cores measured %.0f/s; tx verify %.0f/s per core)\n",
		       r->verify_core, o->ncpu, r->verify_core * o->ncpu, r->verify_all,
		       r->txverify_core);
	else if (r->have_verify && !failed[0])
		printf("  verify (a):   %.0f verifies/s per core, %u cores -> bound %.0f/s\n",
		       r->verify_core, o->ncpu, r->verify_core * o->ncpu);
	else
		printf("  verify (a):   %s\n", sel[0] ? "failed" : "not run");

	if (r->have_tps && !failed[2] && r->have_verify)
		printf("  tps (b):      %.0f tx/s end to end over RPC  = %.2f of the verify "
		       "bound (target 0.75)  [%zu txs in %.2f s]\n", r->tps,
		       r->tps / (r->verify_core * o->ncpu), r->tps_txs, r->tps_secs);
	else if (r->have_tps && !failed[2])
		printf("  tps (b):      %.0f tx/s end to end over RPC  [%zu txs in %.2f s]\n",
		       r->tps, r->tps_txs, r->tps_secs);
	else
		printf("  tps (b):      %s\n", sel[2] ? "failed" : "not run");

	if (r->have_apply && !failed[1])
		printf("  apply (c):    %.0f tx/s with signatures pre-verified  (%.1f ms per "
		       "block of up to %zu; one 1000-tx block %.1f ms)\n", r->apply_tps,
		       r->apply_ms_block, r->apply_block_txs, r->apply_1k_ms);
	else
		printf("  apply (c):    %s\n", sel[1] ? "failed" : "not run");

	if (r->have_market && !failed[3]) {
		printf("  market:       1000-transfer block %.2f ms with 10 open leases, %.2f ms "
		       "with %zu  = %+.1f%% (target < 10%%)\n", r->market_few_ms,
		       r->market_many_ms, r->market_leases,
		       (r->market_many_ms / r->market_few_ms - 1) * 100);
		if (r->have_market_tmpfs)
			printf("                on tmpfs (execution alone): %.2f ms vs %.2f ms "
			       "= %+.1f%%\n", r->market_few_tmpfs_ms, r->market_many_tmpfs_ms,
			       (r->market_many_tmpfs_ms / r->market_few_tmpfs_ms - 1) * 100);
	} else {
		printf("  market:       %s\n", sel[3] ? "failed" : "not run");
	}
	if (r->have_epoch && !failed[4])
		printf("  epoch:        boundary block %.1f ms with %zu providers, %zu leases "
		       "= %.1f us per provider over an empty block (%.2f ms)\n",
		       r->epoch_ms, r->epoch_providers, r->epoch_leases,
		       (r->epoch_ms - r->epoch_base_ms) * 1e3 / (double)r->epoch_providers,
		       r->epoch_base_ms);
	else
		printf("  epoch:        %s\n", sel[4] ? "failed" : "not run");
	if (r->have_proof && !failed[5]) {
		printf("  proof:        N=%u: verifier/prover ops %.1e (target <= 1e-5); "
		       "verify %.2f ms per proof on one core%s (target <= 5 ms); body "
		       "%zu B of 131072\n", r->proof_n, r->proof_ratio, r->proof_verify_ms,
		       r->proof_verify_forged ? " (made-up body, no proof built)" : "",
		       r->proof_body);
		printf("                CPU prover %.1f GOPS on %u threads at N=%u; at "
		       "N=%u one thread %.1f GOPS vs a plain loop %.1f GOPS (%.1fx)\n",
		       r->proof_gops, r->proof_threads, r->proof_gops_n, r->proof_base_n,
		       r->proof_gops_1, r->proof_naive_gops,
		       r->proof_gops_1 / r->proof_naive_gops);
		if (r->proof_cuda_tops > 0)
			printf("                CUDA prover %.1f TOPS at N=%u\n",
			       r->proof_cuda_tops, r->proof_n);
	} else {
		printf("  proof:        %s\n", sel[5] ? "failed" : "not run");
	}
	if (r->have_sync && !failed[6]) {
		printf("  sync:         full node catch-up %.0f tx/s (%.0f blocks/s) = %.2f "
		       "of in-process cons_apply_block %.0f tx/s (target 0.8)\n",
		       r->sync_tps, r->sync_blocks_s, r->sync_tps / r->sync_replay_tps,
		       r->sync_replay_tps);
		printf("                tps sent to the full node, relayed over P2P %.0f "
		       "tx/s = %.2f of the verify bound (target 0.75); to the validator "
		       "%.0f tx/s = %.2f\n", r->sync_p2p_tps,
		       r->sync_p2p_tps / (r->verify_core * o->ncpu), r->sync_rpc_tps,
		       r->sync_rpc_tps / (r->verify_core * o->ncpu));
	} else {
		printf("  sync:         %s\n", sel[6] ? "failed" : "not run");
	}
	if (r->have_prop)
		printf("  prop:         3rd hop p50 %.2f ms p99 %.2f ms (target p50 <= 5 ms); "
		       "one hop p50 %.2f ms\n", r->prop_p50, r->prop_p99, r->prop_hop1_p50);
	else
		printf("  prop:         %s\n", sel[7] ? "failed" : "not run");
	if (r->have_bft) {
		printf("  bft:          4 validators: proposal to commit p50 %.0f ms p99 %.0f ms "
		       "idle, p50 %.0f ms p99 %.0f ms at 1,000 tx/s (target p50 <= 50 ms); "
		       "%.0f tx/s", r->bft_p50_ms, r->bft_p99_ms, r->bft_load_p50_ms,
		       r->bft_load_p99_ms, r->bft_tps);
		if (r->have_tps)
			printf(" = %.2f of a quarter of one validator's (target 0.8)",
			       r->bft_tps / (r->tps / 4));
		if (r->bft_cpu_per_tx > 0 && r->tps_cpu_per_tx > 0)
			printf("; CPU per tx per validator %.2f x one validator's",
			       r->bft_cpu_per_tx / r->tps_cpu_per_tx);
		printf("\n");
	} else {
		printf("  bft:          %s\n", sel[8] ? "failed" : "not run");
	}
	if (r->have_state && !failed[9])
		summary_state(r);
	else
		printf("  state:        %s\n", sel[9] ? "failed" : "not run");
	for (size_t i = 0; i < BENCH_N; i++)
		if (failed[i])
			printf("  FAILED: %s (see the message above)\n", bench_table[i].name);
}

int main(int argc, char **argv)
{
	struct bench_opts opt;
	struct bench_results res;
	struct bench_ctx bc;
	int sel[BENCH_N], failed[BENCH_N], any = 0, nfail = 0;

	memset(&opt, 0, sizeof(opt));
	memset(&res, 0, sizeof(res));
	memset(sel, 0, sizeof(sel));
	memset(failed, 0, sizeof(failed));
	opt.argv0 = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t k;
		if (strcmp(a, "--quick") == 0) {
			opt.quick = 1;
		} else if (strcmp(a, "--full") == 0) {
			opt.full = 1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--txs") == 0) {
			char *end;
			unsigned long long v;
			if (i + 1 >= argc) {
				fprintf(stderr, "ember-bench: --txs needs a number\n");
				return 2;
			}
			errno = 0;
			v = strtoull(argv[++i], &end, 10);
			if (errno || *end || end == argv[i] || argv[i][0] == '-' ||
			    v < 2 || v > 1000000) {
				fprintf(stderr, "ember-bench: invalid value '%s' for --txs "
				        "(2 to 1000000)\n", argv[i]);
				return 2;
			}
			opt.txs = (size_t)v;
		} else if (a[0] == '-') {
			fprintf(stderr, "ember-bench: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		} else {
			for (k = 0; k < BENCH_N; k++)
				if (strcmp(a, bench_table[k].name) == 0)
					break;
			if (k == BENCH_N) {
				fprintf(stderr, "ember-bench: unknown benchmark '%s'; "
				        "try 'ember-bench --help'\n", a);
				return 2;
			}
			sel[k] = any = 1;
		}
	}
	if (!any)
		for (size_t k = 0; k < BENCH_N; k++)
			sel[k] = 1;

	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0) {
		fprintf(stderr, "ember-bench: libsodium failed to initialise\n");
		return 1;
	}
	opt.ncpu = bench_ncpu();
	bc.opt = &opt;
	bc.res = &res;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ember-bench: %u online CPUs%s\n", opt.ncpu,
	       opt.quick ? ", quick mode" : "");

	for (size_t k = 0; k < BENCH_N; k++) {
		if (!sel[k])
			continue;
		if (bench_table[k].fn == bench_tps && !res.have_verify) {
			printf("== verify bound for tps (verify benchmark not selected)\n");
			if (bench_verify_bound(&bc, opt.quick ? 0.5 : 2.0) != 0) {
				failed[k] = 1;
				nfail++;
				continue;
			}
		}
		if (bench_table[k].fn(&bc) != 0) {
			failed[k] = 1;
			nfail++;
		}
		printf("\n");
	}
	summary(&opt, &res, sel, failed);
	return nfail ? 1 : 0;
}
