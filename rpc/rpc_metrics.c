/*
 * rpc_metrics.c - GET /metrics: the node, consensus, P2P, RPC, token
 * economy and GPU market in Prometheus' text format 0.0.4
 * (rpc_metrics_internal.h; docs/metrics.md lists every series).
 *
 * Names follow CometBFT's: ember_<subsystem>_<name>_<unit>, counters end
 * in _total, units are base units (seconds, bytes, the token's base
 * units), and every family has its HELP and TYPE lines, even one with no
 * sample yet.  Values are printed exactly (decimal u64; seconds with six
 * decimals), though Prometheus keeps them as doubles: a token amount past
 * 2^53 base units (9 million EMB) is stored rounded.
 *
 * What a scrape costs.  It runs on the event loop, between blocks, so it
 * must stay small:
 *  - O(1): consensus, mempool, admission and server counters; the tip and
 *    the token totals (tok_totals: one LMDB get, what getsupply reads).
 *  - O(methods called) histograms and O(peers) per-peer counters (the
 *    network lists at most 256).
 *  - O(providers): GPUs by class, providers jailed and retired come from a
 *    walk of the provider table, getnetworkstats' walk without its lease
 *    walk.  It runs at most once per committed height: scrapes at the
 *    same height share its result.  ember_metrics_scan_seconds says what
 *    the last one took.
 *  - O(challenges of the epochs closed since the last scrape): each closed
 *    epoch is one get of its record and a walk of its challenge records,
 *    a read-only share of the work the node did at that epoch's boundary.
 *    At most MX_FOLD_MAX epochs a scrape; a node scraped seldom catches
 *    up over the next scrapes.
 * All ledger reads share one LMDB read transaction, so every token and
 * market figure belongs to one height.
 *
 * GPUs leased and open leases are the ones open in state.  Leases settle
 * lazily (market.h): one whose escrow ran dry counts until something
 * settles it, at the latest the next epoch boundary, where getnetworkstats
 * shows it settled already (it walks every open lease to do so).
 *
 * Challenges and slashes are counted when an epoch closes (its judgment,
 * tokenomics/epoch.c), from the epoch's records, for the epochs that close
 * while this node runs: counters that start at zero, as Prometheus
 * expects of counters.  The token and market totals are the ledger's, the
 * same whenever the node started.
 */
#include "rpc_metrics_internal.h"

#include <event2/buffer.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ember/chain.h"
#include "ember/codec.h"
#include "ember/genesis.h"
#include "ember/hist.h"
#include "ember/market.h"
#include "ember/mempool.h"
#include "ember/store.h"
#include "ember/tok.h"
#include "ember/version.h"

#define MX_FOLD_MAX 64              /* closed epochs counted per scrape */
#define MX_PEERS_MAX 256

/* Block execute and commit times, 500 us to 10 s. */
static const uint64_t block_le_us[] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000
};
/* Block intervals (header times), 50 ms to 60 s. */
static const uint64_t interval_le_us[] = {
	50000, 100000, 250000, 500000, 1000000, 2000000, 5000000, 10000000,
	30000000, 60000000
};

struct mx_class {
	uint64_t providers, gpus, leased;
};

struct rpc_metrics {
	const struct rpc_node_cfg *cfg;     /* the node's; outlives this */

	/* Fed by rpc_metrics_block. */
	uint64_t seen_blocks;               /* cons_stats.blocks counted */
	uint64_t last_time_ms;              /* header time of the last block */
	struct ember_hist exec, commit, interval;

	/* The provider walk, kept for the height it was made at. */
	int have_scan;
	uint64_t scan_height;
	struct mx_class *cls;               /* one per genesis class */
	uint64_t jailed, retired;
	uint64_t scan_us;

	/* Epochs closed while the node runs, counted up to next_epoch. */
	int have_base;
	uint64_t next_epoch;
	uint64_t chal_passed, chal_failed, chal_missing;
	uint64_t slashes, slashed, epochs;

	uint64_t read_errors;
};

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* --- lifecycle and the block hook ---------------------------------------- */

int rpc_metrics_new(struct rpc_metrics **out, const struct rpc_node_cfg *cfg)
{
	struct rpc_metrics *m = calloc(1, sizeof *m);
	struct cons_stats cs;
	struct ember_tip tip;
	struct tok_totals tot;
	struct ember_txn *t;

	if (!m || !(m->cls = calloc(cfg->g->nclass + 1, sizeof *m->cls))) {
		free(m);
		return EMBER_ENOMEM;
	}
	m->cfg = cfg;
	if (ember_hist_init(&m->exec, block_le_us,
	                    sizeof block_le_us / sizeof block_le_us[0]) ||
	    ember_hist_init(&m->commit, block_le_us,
	                    sizeof block_le_us / sizeof block_le_us[0]) ||
	    ember_hist_init(&m->interval, interval_le_us,
	                    sizeof interval_le_us / sizeof interval_le_us[0])) {
		rpc_metrics_free(m);
		return EMBER_EINVAL;
	}
	if (cfg->cons) {
		cons_stats(cfg->cons, &cs);
		cons_tip(cfg->cons, &tip);
		m->seen_blocks = cs.blocks;
		m->last_time_ms = tip.time_ms;
	}
	/* The epoch in progress now is the first counted; unreadable here,
	 * it is taken at the first scrape. */
	if (cfg->store && ember_store_read(cfg->store, &t) == 0) {
		if (tok_totals_get(t, &tot) == 0) {
			m->next_epoch = tot.epoch;
			m->have_base = 1;
		}
		ember_txn_abort(t);
	}
	*out = m;
	return 0;
}

void rpc_metrics_free(struct rpc_metrics *m)
{
	if (!m)
		return;
	free(m->cls);
	free(m);
}

void rpc_metrics_block(struct rpc_metrics *m)
{
	struct cons_stats cs;
	struct ember_tip tip;

	if (!m || !m->cfg->cons)
		return;
	cons_stats(m->cfg->cons, &cs);
	if (cs.blocks == m->seen_blocks)
		return;
	m->seen_blocks = cs.blocks;
	ember_hist_observe(&m->exec, cs.last_exec_us);
	ember_hist_observe(&m->commit, cs.last_commit_us);
	cons_tip(m->cfg->cons, &tip);
	if (m->last_time_ms && tip.time_ms >= m->last_time_ms)
		ember_hist_observe(&m->interval, (tip.time_ms - m->last_time_ms) * 1000u);
	m->last_time_ms = tip.time_ms;
}

/* --- the text format ------------------------------------------------------ */

static void fam(struct evbuffer *b, const char *name, const char *type,
                const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void val(struct evbuffer *b, const char *name, uint64_t v)
{
	evbuffer_add_printf(b, "%s %" PRIu64 "\n", name, v);
}

/* A family of one sample without labels. */
static void one(struct evbuffer *b, const char *name, const char *type,
                const char *help, uint64_t v)
{
	fam(b, name, type, help);
	val(b, name, v);
}

/* A label value, escaped as the format wants (\\, \", \n). */
static void esc(struct evbuffer *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

/* name{label="value"} v */
static void lval(struct evbuffer *b, const char *name, const char *label,
                 const char *value, uint64_t v)
{
	evbuffer_add_printf(b, "%s{%s=\"", name, label);
	esc(b, value);
	evbuffer_add_printf(b, "\"} %" PRIu64 "\n", v);
}

/* Microseconds as seconds, shortest exact form: "0.0001", "2.5", "10". */
static const char *secs(char out[32], uint64_t us)
{
	int n = snprintf(out, 32, "%" PRIu64 ".%06" PRIu64, us / 1000000u,
	                 us % 1000000u);
	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
	return out;
}

/* A family of one sample in seconds. */
static void one_secs(struct evbuffer *b, const char *name, const char *help,
                     uint64_t us)
{
	char s[32];

	fam(b, name, "gauge", help);
	evbuffer_add_printf(b, "%s %s\n", name, secs(s, us));
}

/* The samples of one histogram: name_bucket{[label="value",]le=...},
 * name_sum and name_count.  label NULL: none. */
static void hist(struct evbuffer *b, const char *name, const char *label,
                 const char *value, const struct ember_hist *h)
{
	char s[32];

	for (size_t i = 0; i <= h->nb; i++) {
		evbuffer_add_printf(b, "%s_bucket{", name);
		if (label) {
			evbuffer_add_printf(b, "%s=\"", label);
			esc(b, value);
			evbuffer_add(b, "\",", 2);
		}
		evbuffer_add_printf(b, "le=\"%s\"} %" PRIu64 "\n",
		                    i < h->nb ? secs(s, h->le_us[i]) : "+Inf",
		                    ember_hist_cumulative(h, i));
	}
	evbuffer_add_printf(b, "%s_sum", name);
	if (label) {
		evbuffer_add_printf(b, "{%s=\"", label);
		esc(b, value);
		evbuffer_add(b, "\"}", 2);
	}
	evbuffer_add_printf(b, " %s\n%s_count", secs(s, h->sum_us), name);
	if (label) {
		evbuffer_add_printf(b, "{%s=\"", label);
		esc(b, value);
		evbuffer_add(b, "\"}", 2);
	}
	evbuffer_add_printf(b, " %" PRIu64 "\n", h->count);
}

/* --- ledger reads ---------------------------------------------------------- */

struct mx_scan {
	struct rpc_metrics *m;
	const struct ember_genesis *g;
	uint64_t tx_epoch;
};

static int scan_cb(void *ctx, const void *key, size_t klen, const void *val_,
                   size_t vlen)
{
	struct mx_scan *S = ctx;
	struct rpc_metrics *m = S->m;
	struct ember_provider p;
	size_t c;
	int rc;

	(void)key;
	(void)klen;
	if ((rc = ember_provider_decode(&p, val_, vlen)))
		return rc;
	if (p.status != EMBER_PROV_ACTIVE) {
		m->retired++;
		return 0;
	}
	/* As getnetworkstats: a jailed provider's GPUs still count. */
	if (ember_prov_state(&p, S->tx_epoch) == EMBER_PROV_STATE_JAILED)
		m->jailed++;
	for (c = 0; c < S->g->nclass && S->g->classes[c].id != p.gpu_class; c++)
		;
	if (c == S->g->nclass)
		return 0;
	m->cls[c].providers++;
	m->cls[c].gpus += p.gpus;
	m->cls[c].leased += p.gpus_leased;
	return 0;
}

/* The provider walk, unless the last one was made at this height. */
static int scan(struct rpc_metrics *m, struct ember_txn *t,
                const struct ember_tip *tip)
{
	const struct ember_genesis *g = m->cfg->g;
	struct mx_scan S = { m, g, tok_epoch_of(g, tip->height + 1) };
	uint64_t t0;
	int rc;

	if (m->have_scan && m->scan_height == tip->height)
		return 0;
	m->have_scan = 0;
	memset(m->cls, 0, g->nclass * sizeof *m->cls);
	m->jailed = m->retired = 0;
	t0 = mono_us();
	if ((rc = ember_store_iter(t, EMBER_DB_PROVIDERS, NULL, 0, scan_cb, &S)))
		return rc;
	m->scan_us = mono_us() - t0;
	m->scan_height = tip->height;
	m->have_scan = 1;
	return 0;
}

struct mx_chal {
	struct ember_txn *t;
	uint64_t epoch;
	uint8_t prefix[8];
	uint64_t passed, failed, missing;
};

/* One challenge record of the epoch (key be64 epoch || provider, tok.h),
 * read back through tok_challenge_get, which knows the value's form. */
static int chal_cb(void *ctx, const void *key, size_t klen, const void *val_,
                   size_t vlen)
{
	struct mx_chal *C = ctx;
	struct tok_challenge_rec rec;
	int rc;

	(void)val_;
	(void)vlen;
	if (klen != 40 || memcmp(key, C->prefix, 8) != 0)
		return 1;
	if ((rc = tok_challenge_get(C->t, C->epoch, (const uint8_t *)key + 8, &rec)))
		return rc;
	if (rec.result == EMBER_CHAL_PASS)
		C->passed++;
	else if (rec.result == EMBER_CHAL_FAIL)
		C->failed++;
	else if (rec.result == EMBER_CHAL_MISSING)
		C->missing++;
	return 0;
}

/* Count the epochs closed since the last scrape (at most MX_FOLD_MAX).
 * An epoch is counted whole or not at all. */
static int fold(struct rpc_metrics *m, struct ember_txn *t,
                const struct tok_totals *tot)
{
	if (!m->have_base) {
		m->next_epoch = tot->epoch;
		m->have_base = 1;
	}
	for (size_t n = 0; m->next_epoch < tot->epoch && n < MX_FOLD_MAX; n++) {
		struct mx_chal C;
		struct tok_epoch_rec er;
		int rc;

		memset(&C, 0, sizeof C);
		C.t = t;
		C.epoch = m->next_epoch;
		ember_be64_put(C.prefix, C.epoch);
		if ((rc = tok_epoch_get(t, C.epoch, &er)) ||
		    (rc = ember_store_iter(t, EMBER_DB_CHALLENGES, C.prefix,
		                           sizeof C.prefix, chal_cb, &C)))
			return rc;
		m->chal_passed = add_sat(m->chal_passed, C.passed);
		m->chal_failed = add_sat(m->chal_failed, C.failed);
		m->chal_missing = add_sat(m->chal_missing, C.missing);
		m->slashes = add_sat(m->slashes, er.providers_failed);
		m->slashed = add_sat(m->slashed, er.slashed);
		m->epochs++;
		m->next_epoch++;
	}
	return 0;
}

/* --- the page -------------------------------------------------------------- */

static void write_node(struct rpc_metrics *m, struct evbuffer *b)
{
	const struct rpc_node_cfg *cfg = m->cfg;
	struct ember_tip tip;
	struct cons_stats cs;
	struct ember_admit_stats as = { 0, 0 };
	struct ember_store_stats ss;

	cons_tip(cfg->cons, &tip);
	cons_stats(cfg->cons, &cs);
	if (cfg->admit)
		ember_admit_stats(cfg->admit, &as);

	fam(b, "ember_build_info", "gauge", "Always 1; the labels name the release and the chain.");
	evbuffer_add_printf(b, "ember_build_info{version=\"%s\",chain_id=\"", EMBER_VERSION);
	esc(b, cfg->g->chain_id);
	evbuffer_add(b, "\"} 1\n", 5);

	one(b, "ember_height", "gauge", "Height of the committed tip (as ember_consensus_height).",
	    tip.height);
	one(b, "ember_blocks_committed_total", "counter", "Blocks committed since start.", cs.blocks);
	one(b, "ember_txs_committed_total", "counter", "Transactions committed since start.", cs.txs);
	one(b, "ember_txs_dropped_total", "counter", "Mempool txs that failed execution.", cs.dropped);
	ember_store_stats(cfg->store, &ss);
	one(b, "ember_store_map_grows_total", "counter", "LMDB map growths.", ss.map_grows);
	one(b, "ember_store_pending_commits", "gauge",
	    "Commits in the write-ahead log not yet flushed into LMDB.", ss.pending_commits);
	one(b, "ember_store_pending_bytes", "gauge",
	    "Memory held by commits not yet flushed (flushed at ember_store_cache_bytes).",
	    ss.pending_bytes);
	one(b, "ember_store_cache_bytes", "gauge", "The flush threshold (--dbcache).",
	    ss.cache_bytes);
	one(b, "ember_store_wal_bytes", "gauge", "Size of the write-ahead log.", ss.wal_bytes);
	one(b, "ember_store_flushes_total", "counter", "Flushes of pending commits into LMDB.",
	    ss.flushes);
	one_secs(b, "ember_store_last_flush_seconds", "Duration of the last flush.",
	         ss.last_flush_ms * 1000);

	fam(b, "ember_block_execute_seconds", "histogram",
	    "Execution time of each block committed since start.");
	hist(b, "ember_block_execute_seconds", NULL, NULL, &m->exec);
	fam(b, "ember_block_commit_seconds", "histogram",
	    "Store and fsync time of each block committed since start.");
	hist(b, "ember_block_commit_seconds", NULL, NULL, &m->commit);
	one_secs(b, "ember_block_last_execute_seconds", "Execution time of the last block.",
	         cs.last_exec_us);
	one_secs(b, "ember_block_last_commit_seconds", "Store and fsync time of the last block.",
	         cs.last_commit_us);

	one(b, "ember_mempool_txs", "gauge", "Pending transactions.",
	    cfg->mp ? ember_mempool_count(cfg->mp) : 0);
	one(b, "ember_mempool_bytes", "gauge", "Bytes of pending transactions.",
	    cfg->mp ? ember_mempool_bytes(cfg->mp) : 0);
	one(b, "ember_txs_accepted_total", "counter", "Transactions admitted to the mempool.",
	    as.accepted);
	one(b, "ember_txs_rejected_total", "counter", "Transactions refused at admission.",
	    as.rejected);
}

static void write_consensus(struct rpc_metrics *m, struct evbuffer *b)
{
	const struct rpc_node_cfg *cfg = m->cfg;
	const struct ember_genesis *g = cfg->g;
	struct rpc_consensus *cs = NULL;
	struct ember_tip tip;
	uint64_t nval = g->nval, power = 0, ours = 0;
	int have = 0;
	char s[32];

	cons_tip(cfg->cons, &tip);
	if (cfg->consensus && (cs = calloc(1, sizeof *cs)))
		have = cfg->consensus(cfg->cons_ctx, cs) == 0;
	if (have) {
		nval = cs->n;
		for (size_t i = 0; i < cs->n; i++)
			power = add_sat(power, cs->v[i].power);
		if (cs->self >= 0 && (size_t)cs->self < cs->n)
			ours = cs->v[cs->self].power;
	} else {
		for (size_t i = 0; i < g->nval; i++)
			power = add_sat(power, g->vals[i].power);
	}

	one(b, "ember_consensus_height", "gauge", "Height of the committed tip.", tip.height);
	fam(b, "ember_consensus_round", "gauge",
	    "Round being decided at the next height (validators only).");
	if (have)
		val(b, "ember_consensus_round", cs->round);
	one(b, "ember_consensus_validators", "gauge", "Validators in the set.", nval);
	one(b, "ember_consensus_validators_power", "gauge", "Voting power of the whole set.", power);
	one(b, "ember_consensus_validator_power", "gauge",
	    "This node's voting power (0: not a validator).", ours);
	fam(b, "ember_consensus_latest_block_timestamp_seconds", "gauge",
	    "Header time of the committed tip, Unix seconds.");
	evbuffer_add_printf(b, "ember_consensus_latest_block_timestamp_seconds %s\n",
	                    secs(s, tip.time_ms * 1000u));
	fam(b, "ember_consensus_block_interval_seconds", "histogram",
	    "Time between the headers of consecutive blocks committed since start.");
	hist(b, "ember_consensus_block_interval_seconds", NULL, NULL, &m->interval);
	free(cs);
}

static void write_p2p(struct rpc_metrics *m, struct evbuffer *b)
{
	const struct rpc_node_cfg *cfg = m->cfg;
	struct rpc_peer *pe = NULL;
	uint64_t in = 0, out = 0, target = 0, rate = 0;
	size_t k = 0;
	int syncing = 0;
	char id[65];

	if (cfg->peers) {
		k = cfg->peers(cfg->net_ctx, NULL, 0);
		if (k > MX_PEERS_MAX)
			k = MX_PEERS_MAX;
		if (k && !(pe = calloc(k, sizeof *pe)))
			k = 0;
		k = k ? cfg->peers(cfg->net_ctx, pe, k) : 0;
	}
	if (cfg->syncing)
		syncing = cfg->syncing(cfg->net_ctx, &target, &rate) != 0;
	for (size_t i = 0; i < k; i++) {
		if (pe[i].inbound)
			in++;
		else
			out++;
	}
	fam(b, "ember_p2p_peers", "gauge", "Connected peers, by who dialled.");
	lval(b, "ember_p2p_peers", "direction", "inbound", in);
	lval(b, "ember_p2p_peers", "direction", "outbound", out);
	fam(b, "ember_p2p_peer_receive_bytes_total", "counter",
	    "Bytes received from each connected peer since it connected.");
	for (size_t i = 0; i < k; i++) {
		ember_hex_encode(pe[i].id, 32, id);
		lval(b, "ember_p2p_peer_receive_bytes_total", "peer_id", id, pe[i].bytes_in);
	}
	fam(b, "ember_p2p_peer_send_bytes_total", "counter",
	    "Bytes sent to each connected peer since it connected.");
	for (size_t i = 0; i < k; i++) {
		ember_hex_encode(pe[i].id, 32, id);
		lval(b, "ember_p2p_peer_send_bytes_total", "peer_id", id, pe[i].bytes_out);
	}
	one(b, "ember_p2p_syncing", "gauge", "1 while catching up with a peer that is ahead.",
	    (uint64_t)syncing);
	fam(b, "ember_p2p_sync_target_height", "gauge",
	    "Height of the peer caught up with (while syncing).");
	if (syncing)
		val(b, "ember_p2p_sync_target_height", target);
	free(pe);
}

static void write_rpc(const struct rpc_server *srv, struct evbuffer *b)
{
	struct rpc_stats rs = { 0, 0, 0 };
	struct rpc_conn_stats c;
	const struct ember_hist *h;
	const char *name;

	rpc_server_stats(srv, &rs);
	rpc_server_conn_stats(srv, &c);
	one(b, "ember_rpc_requests_total", "counter", "HTTP JSON-RPC requests.", rs.requests);
	one(b, "ember_rpc_calls_total", "counter", "JSON-RPC calls (batch members count).",
	    rs.calls);
	one(b, "ember_rpc_errors_total", "counter", "JSON-RPC calls answered with an error.",
	    rs.errors);
	fam(b, "ember_rpc_request_seconds", "histogram",
	    "Time from dispatch to answer of each JSON-RPC call, by method (methods called "
	    "since start).");
	for (size_t i = 0; rpc_server_latency(srv, i, &name, &h); i++)
		if (h->count)
			hist(b, "ember_rpc_request_seconds", "method", name, h);
	one(b, "ember_rpc_connections_open", "gauge", "Open RPC connections.", c.open);
	one(b, "ember_rpc_connections_accepted_total", "counter", "RPC connections accepted.",
	    c.accepted);
	one(b, "ember_rpc_connections_timed_out_total", "counter",
	    "RPC connections closed for not sending a whole request in time.", c.timed_out);
	one(b, "ember_rpc_connections_evicted_total", "counter",
	    "RPC connections closed at the cap to make room.", c.evicted);
	one(b, "ember_rpc_accept_errors_total", "counter", "Failed accept() calls.",
	    c.accept_errors);
}

static void write_token(const struct tok_totals *tot, struct evbuffer *b)
{
	uint64_t circ = tot->supply;
	char s[32];

	one(b, "ember_token_supply_base_units", "gauge",
	    "Total supply: genesis + minted - burned.", tot->supply);
	/* As getsupply: what is not held elsewhere; left out when the
	 * totals disagree (getsupply then answers an internal error). */
	fam(b, "ember_token_circulating_base_units", "gauge",
	    "Supply in balances: total less escrow, staked, unbonding and unclaimed rewards.");
	if (ember_sub_u64(circ, tot->escrow, &circ) && ember_sub_u64(circ, tot->staked, &circ) &&
	    ember_sub_u64(circ, tot->unbonding, &circ) &&
	    ember_sub_u64(circ, tot->rewards, &circ))
		val(b, "ember_token_circulating_base_units", circ);
	one(b, "ember_token_genesis_base_units", "gauge", "Genesis allocations.", tot->genesis);
	one(b, "ember_token_minted_base_units_total", "counter", "Minted since genesis.",
	    tot->minted);
	one(b, "ember_token_burned_base_units_total", "counter", "Burned since genesis.",
	    tot->burned);
	one(b, "ember_token_staked_base_units", "gauge", "Bonded stake.", tot->staked);
	one(b, "ember_token_unbonding_base_units", "gauge", "Stake unbonding.", tot->unbonding);
	one(b, "ember_token_escrow_base_units", "gauge", "Held in escrow by orders and leases.",
	    tot->escrow);
	one(b, "ember_token_rewards_base_units", "gauge", "Rewards credited and not yet claimed.",
	    tot->rewards);
	one(b, "ember_token_emission_next_base_units", "gauge",
	    "Emission scheduled for the next epoch boundary.", tot->emission_next);
	one(b, "ember_token_epoch", "gauge", "The epoch in progress.", tot->epoch);
	one(b, "ember_token_epoch_minted_base_units", "gauge", "Minted in the epoch in progress.",
	    tot->minted_epoch);
	one(b, "ember_token_epoch_burned_base_units", "gauge", "Burned in the epoch in progress.",
	    tot->burned_epoch);
	one(b, "ember_token_epoch_slashed_base_units", "gauge",
	    "Burned by slashing in the epoch in progress.", tot->slashed_epoch);
	fam(b, "ember_token_oracle_price_usd", "gauge",
	    "Oracle price of one EMB in US dollars (when one is set).");
	if (tot->oracle_uusd)
		evbuffer_add_printf(b, "ember_token_oracle_price_usd %s\n",
		                    secs(s, tot->oracle_uusd));
}

static void write_market(const struct rpc_metrics *m, const struct tok_totals *tot,
                         struct evbuffer *b)
{
	const struct ember_genesis *g = m->cfg->g;

	fam(b, "ember_market_providers", "gauge", "Active providers (jailed ones too), by GPU class.");
	for (size_t c = 0; c < g->nclass; c++)
		lval(b, "ember_market_providers", "class", g->classes[c].name, m->cls[c].providers);
	one(b, "ember_market_providers_jailed", "gauge", "Active providers in jail.", m->jailed);
	one(b, "ember_market_providers_retired", "gauge", "Retired providers.", m->retired);
	fam(b, "ember_market_gpus_registered", "gauge", "GPUs of active providers, by class.");
	for (size_t c = 0; c < g->nclass; c++)
		lval(b, "ember_market_gpus_registered", "class", g->classes[c].name, m->cls[c].gpus);
	fam(b, "ember_market_gpus_leased", "gauge", "GPUs held by leases open in state, by class.");
	for (size_t c = 0; c < g->nclass; c++)
		lval(b, "ember_market_gpus_leased", "class", g->classes[c].name, m->cls[c].leased);
	one(b, "ember_market_orders_open", "gauge", "Open orders.", tot->open_orders);
	one(b, "ember_market_leases_open", "gauge", "Leases open in state.", tot->open_leases);
	one(b, "ember_market_orders_created_total", "counter", "Orders placed since genesis.",
	    tot->next_order_id ? tot->next_order_id - 1 : 0);
	one(b, "ember_market_leases_created_total", "counter", "Leases opened since genesis.",
	    tot->next_lease_id ? tot->next_lease_id - 1 : 0);

	fam(b, "ember_market_challenges_total", "counter",
	    "GPU challenges judged in the epochs closed since start, by result.");
	lval(b, "ember_market_challenges_total", "result", "passed", m->chal_passed);
	lval(b, "ember_market_challenges_total", "result", "failed", m->chal_failed);
	lval(b, "ember_market_challenges_total", "result", "missing", m->chal_missing);
	one(b, "ember_market_slashes_total", "counter",
	    "Providers slashed for a failed or missing challenge, in the epochs closed since start.",
	    m->slashes);
	one(b, "ember_token_slashed_base_units_total", "counter",
	    "Burned by slashing in the epochs closed since start.", m->slashed);
	one(b, "ember_token_epochs_closed_total", "counter", "Epochs closed since start.",
	    m->epochs);
	one_secs(b, "ember_metrics_scan_seconds", "Time of the last walk of the provider table.",
	         m->scan_us);
}

int rpc_metrics_write(struct rpc_metrics *m, const struct rpc_server *srv,
                      struct evbuffer *body)
{
	struct ember_txn *t = NULL;
	struct ember_tip tip;
	struct tok_totals tot;
	int rc;

	write_node(m, body);
	write_consensus(m, body);
	write_p2p(m, body);
	write_rpc(srv, body);
	/* One read transaction for everything from the ledger. */
	if (!(rc = ember_store_read(m->cfg->store, &t)) &&
	    !(rc = ember_chain_get_tip(t, &tip)) && !(rc = tok_totals_get(t, &tot)) &&
	    !(rc = scan(m, t, &tip)))
		rc = fold(m, t, &tot);
	if (t)
		ember_txn_abort(t);
	if (rc)
		m->read_errors++;
	else {
		write_token(&tot, body);
		write_market(m, &tot, body);
	}
	one(body, "ember_metrics_read_errors_total", "counter",
	    "Scrapes whose ledger read failed (their token and market series are left out).",
	    m->read_errors);
	return 200;
}
