/*
 * bench_tps.c - (b): signed transfers per second end to end, with real
 * processes.  A fresh single-validator chain in a temp directory, bin/emberd
 * started on a free port, pre-signed transfers sent as JSON-RPC batches of
 * sendtx calls, and the clock stopped when every one is committed in a
 * block.  The result is compared with the raw verify bound of (a).
 *
 * Ordering: the node refuses nonce gaps at the door, and verify batches may
 * complete in any order, so each client thread owns a disjoint half of the
 * senders and each of its batches holds at most one tx per sender (nonce
 * round k of its senders); a thread sends round k+1 only after round k was
 * answered, i.e. admitted.  Request bodies are built before the clock
 * starts: during timing the client only moves bytes and reads the answers.
 */
#include "bench.h"

#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember/rpcclient.h"

#define TPS_ACCTS 2000
#define TPS_TXS 40000
#define TPS_TXS_QUICK 8000
#define TPS_BATCH 1000            /* sendtx calls per JSON-RPC batch */
#ifndef TPS_CLIENTS
#define TPS_CLIENTS 2             /* client threads = batches in flight */
#endif
#define TPS_BLOCK_MS 200
#define TPS_STALL_S 60            /* no progress for this long: give up */

/* --- the benchmark ------------------------------------------------------- */

int bench_tps(struct bench_ctx *bc)
{
	struct bench_results *res = bc->res;
	size_t ntx = bc->opt->txs ? bc->opt->txs : bc->opt->quick ? TPS_TXS_QUICK : TPS_TXS;
	size_t naccts = ntx < TPS_ACCTS ? (ntx < 2 ? 2 : ntx) : TPS_ACCTS;
	unsigned ncpu = bc->opt->ncpu;
	struct bench_client cl[TPS_CLIENTS];
	pthread_t th[TPS_CLIENTS];
	struct ember_rpc_client rpc, rpc_poll;
	struct bench_node nd;
	struct bench_load l;
	struct ember_genesis g;
	struct ember_keypair val;
	char emberd[PATH_MAX], url[64], err[512], first[256];
	double t0, t1, tend, cpu_n0, cpu_n1, cpu_m0, cpu_m1, cpu_c0, cpu_c1;
	double ingest = 0, exec_ms, commit_ms, max_ms, last_change;
	double rtt_sum = 0, rtt_max = 0;
	uint64_t h0 = 0, h1 = 0, mp = 0, last_h = 0, last_mp = 0;
	size_t ok = 0, errors = 0, nbatches = 0;
	unsigned port = 0, blocks;
	long bad;
	int rc = 0, stop_rc;
	/* RPC alone is measured here */
	static const char *const tps_extra[] = { "--no-p2p", NULL };

	memset(cl, 0, sizeof(cl));
	memset(&nd, 0, sizeof(nd));
	memset(&l, 0, sizeof(l));
	memset(&g, 0, sizeof(g));
	memset(&val, 0, sizeof(val));
	printf("== tps: signed transfers end to end over JSON-RPC (bin/emberd, one "
	       "validator, %d ms blocks)\n", TPS_BLOCK_MS);
	printf("  %zu accounts, %zu pre-signed transfers, batches of up to %d sendtx "
	       "calls, %d client threads (%d batches in flight)\n", naccts, ntx,
	       TPS_BATCH, TPS_CLIENTS, TPS_CLIENTS);
	if ((rc = bench_find_emberd(bc->opt->argv0, emberd, sizeof(emberd))))
		goto out;

	t0 = bench_now();
	if ((rc = bench_load_new(&l, naccts, ntx, ncpu)))
		goto out;
	if ((rc = ember_keypair_generate(&val))) {
		rc = bench_fail("cannot generate a key: %s", ember_strerror(rc));
		goto out;
	}
	if ((rc = bench_genesis(&g, &l, val.pub, bench_wall_ms(), TPS_BLOCK_MS)))
		goto out;
	if ((rc = bench_tmpdir(nd.dir, sizeof(nd.dir), "tps")))
		goto out;
	nd.have_dir = 1;
	if ((rc = bench_write_datadir(nd.dir, &g, &val)))
		goto out;
	t1 = bench_now();
	for (int c = 0; c < TPS_CLIENTS; c++) {
		if (bench_client_build(&cl[c], &l, naccts * (size_t)c / TPS_CLIENTS,
		              naccts * (size_t)(c + 1) / TPS_CLIENTS, TPS_BATCH)) {
			rc = bench_fail("out of memory for request bodies");
			goto out;
		}
		nbatches += cl[c].nb;
	}
	printf("  pre-signed and set up in %.2f s, %zu request bodies built in %.2f s "
	       "(none of it timed)\n", t1 - t0, nbatches, bench_now() - t1);

	if ((rc = bench_free_port(&port)))
		goto out;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	if (ember_rpc_client_init(&rpc, url) || ember_rpc_client_init(&rpc_poll, url)) {
		rc = bench_fail("bad node url '%s'", url);
		goto out;
	}
	rpc.timeout_s = 300;
	rpc_poll.timeout_s = 5;
	t0 = bench_now();
	if ((rc = bench_node_spawn(&nd, emberd, port, tps_extra)))
		goto out;
	if ((rc = bench_node_wait_ready(&nd, &rpc_poll, &g, &h0)))
		goto out;
	printf("  emberd (pid %d) answering on 127.0.0.1:%u after %.2f s, height %llu\n",
	       (int)nd.pid, port, bench_now() - t0, (unsigned long long)h0);

	/* Timed from here to the commit of the last tx. */
	cpu_n0 = bench_proc_cpu(nd.pid, 0);
	cpu_m0 = bench_proc_cpu(nd.pid, nd.pid);
	cpu_c0 = bench_self_cpu();
	t0 = bench_now();
	for (int c = 0; c < TPS_CLIENTS; c++) {
		cl[c].rpc = &rpc;
		cl[c].l = &l;
		cl[c].started = pthread_create(&th[c], NULL, bench_client_thread, &cl[c]) == 0;
		if (!cl[c].started)
			bench_client_thread(&cl[c]);
	}
	for (int c = 0; c < TPS_CLIENTS; c++) {
		if (cl[c].started)
			pthread_join(th[c], NULL);
		ok += cl[c].ok;
		errors += cl[c].errors;
		if (cl[c].done - t0 > ingest)
			ingest = cl[c].done - t0;
	}
	last_change = bench_now();
	for (;;) {
		if ((rc = bench_status(&rpc_poll, &h1, &mp, NULL, err, sizeof(err)))) {
			bench_node_log_tail(&nd);
			rc = bench_fail("getstatus failed while waiting for commits: %s", err);
			goto out;
		}
		if (mp == 0)
			break;
		if (h1 != last_h || mp != last_mp) {
			last_h = h1;
			last_mp = mp;
			last_change = bench_now();
		} else if (bench_now() - last_change > TPS_STALL_S) {
			bench_node_log_tail(&nd);
			rc = bench_fail("no block for %d s with %llu txs pending", TPS_STALL_S,
			                (unsigned long long)mp);
			goto out;
		}
		usleep(2000);
	}
	tend = bench_now();
	cpu_n1 = bench_proc_cpu(nd.pid, 0);
	cpu_m1 = bench_proc_cpu(nd.pid, nd.pid);
	cpu_c1 = bench_self_cpu();

	res->tps_secs = tend - t0;
	res->tps_txs = ok;
	res->tps = (double)ok / res->tps_secs;
	res->have_tps = 1;
	for (int c = 0; c < TPS_CLIENTS; c++) {
		rtt_sum += cl[c].rtt_sum;
		if (cl[c].rtt_max > rtt_max)
			rtt_max = cl[c].rtt_max;
	}
	printf("  all %zu sendtx calls answered after %.3f s (admission %.0f tx/s); "
	       "batch round trip mean %.0f ms, max %.0f ms\n", ok + errors, ingest,
	       (double)(ok + errors) / ingest,
	       1e3 * rtt_sum / (double)(nbatches ? nbatches : 1), 1e3 * rtt_max);
	printf("  sendtx answers: %zu txids, %zu errors\n", ok, errors);
	for (int c = 0; c < TPS_CLIENTS; c++)
		if (cl[c].first_err[0]) {
			printf("  first error (client %d): %s\n", c, cl[c].first_err);
			break;
		}
	if (h1 > h0)
		printf("  all committed after %.3f s, heights %llu..%llu: %.0f tx/s end to "
		       "end\n", res->tps_secs, (unsigned long long)h0 + 1,
		       (unsigned long long)h1, res->tps);
	bench_node_blocklog(&nd, h0, h1, &blocks, &exec_ms, &commit_ms, &max_ms);
	if (blocks)
		printf("  node's block log: %u blocks with txs, execute %.0f ms + commit "
		       "%.0f ms in all (slowest block %.0f ms)\n", blocks, exec_ms,
		       commit_ms, max_ms);
	if (cpu_n0 >= 0 && cpu_n1 >= 0 && ok)
		res->tps_cpu_per_tx = (cpu_n1 - cpu_n0) / (double)ok;
	if (cpu_n0 >= 0 && cpu_n1 >= 0 && cpu_m0 >= 0 && cpu_m1 >= 0)
		printf("  CPU while timed (%.2f s wall x %u CPUs = %.2f CPU-s): node loop "
		       "thread %.2f s, other node threads (verify) %.2f s, this client "
		       "%.2f s\n", res->tps_secs, ncpu, res->tps_secs * ncpu,
		       cpu_m1 - cpu_m0, (cpu_n1 - cpu_n0) - (cpu_m1 - cpu_m0),
		       cpu_c1 - cpu_c0);
	printf("  note: the client signs nothing while timed (pre-signed, bodies "
	       "pre-built), but its HTTP and JSON work shares the %u CPUs with the "
	       "node\n", ncpu);

	first[0] = 0;
	bad = bench_check_nonces(&rpc_poll, &l, first, sizeof(first));
	if (bad < 0) {
		rc = -1;
	} else if (bad > 0) {
		rc = bench_fail("%ld of %zu senders did not reach their nonce; %s", bad,
		                naccts, first);
	} else {
		printf("  checked over RPC: every sender's committed nonce equals its "
		       "tx count\n");
	}
	if (!rc && errors)
		rc = bench_fail("%zu sendtx calls did not return a txid", errors);
	if (!rc && bc->res->have_verify)
		printf("  ratio: %.0f / (%.0f x %u) = %.2f of the raw verify bound "
		       "(target 0.75)\n", res->tps, bc->res->verify_core, ncpu,
		       res->tps / (bc->res->verify_core * ncpu));
out:
	stop_rc = bench_node_stop(&nd);
	if (stop_rc && !rc) {
		bench_node_log_tail(&nd);
		rc = stop_rc;
	}
	for (int c = 0; c < TPS_CLIENTS; c++) {
		for (size_t i = 0; i < cl[c].nb; i++)
			free(cl[c].b[i].body);
		free(cl[c].b);
	}
	if (nd.have_dir && rc == 0)
		bench_rmtree(nd.dir);
	else if (nd.have_dir)
		fprintf(stderr, "ember-bench: kept '%s' for inspection\n", nd.dir);
	ember_genesis_release(&g);
	ember_keypair_clear(&val);
	bench_load_release(&l);
	return rc ? -1 : 0;
}
