/* test_genesis.c - genesis.h: strict parsing, messages that name their
 * subject, the canonical hash, and save/load round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember/addr.h"
#include "ember/codec.h"
#include "ember/genesis.h"
#include "ember/key.h"

/* Addresses and validator keys made from secret keys 1..3 at start-up. */
static char addr1[EMBER_ADDR_BUFLEN], addr2[EMBER_ADDR_BUFLEN];
static char addr_badsum[EMBER_ADDR_BUFLEN];
static char val1[65], val2[65];
static uint8_t pub1[32], pub2[32], pub3[32];

static int group_setup(void **state)
{
	uint8_t sk[32] = { 0 };
	struct ember_keypair kp;
	uint8_t *pubs[3] = { pub1, pub2, pub3 };

	(void)state;
	for (int i = 0; i < 3; i++) {
		sk[31] = (uint8_t)(i + 1);
		if (ember_keypair_from_seckey(&kp, sk) != 0)
			return -1;
		memcpy(pubs[i], kp.pub, 32);
		ember_keypair_clear(&kp);
	}
	ember_addr_encode(pub1, addr1);
	ember_addr_encode(pub2, addr2);
	ember_hex_encode(pub2, 32, val1);
	ember_hex_encode(pub3, 32, val2);
	/* change the last checksum character to another valid one */
	strcpy(addr_badsum, addr1);
	addr_badsum[EMBER_ADDR_STRLEN - 1] =
		addr_badsum[EMBER_ADDR_STRLEN - 1] == 'q' ? 'p' : 'q';
	return 0;
}

/*
 * A document from raw JSON fragments; NULL takes the default, "" leaves the
 * key out.  Fragments may use @A1 @A2 @BAD (addresses) and @V1 @V2
 * (validator hex keys), replaced at build time.
 */
struct doc {
	const char *chain_id, *gtime, *btime, *min_fee, *model, *allocs, *vals;
	const char *extra;     /* appended inside the top object */
};

#define DEF_ALLOCS "[{\"address\": \"@A1\", \"amount\": \"1000\"}, " \
                   "{\"address\": \"@A2\", \"amount\": \"2000\"}]"
#define DEF_VALS "[{\"pubkey\": \"@V1\", \"power\": 10}]"

/* .extra fragments for the optional "params" and "gpu_classes". */
#define PARAMS(body) ",\n  \"params\": {" body "}"
#define CLASSES(body) ",\n  \"gpu_classes\": [" body "]"
#define CLS(id, name, vram, stake, n) \
	"{\"id\": " #id ", \"name\": \"" name "\", \"vram_gib\": " #vram \
	", \"min_stake_per_gpu\": \"" #stake "\", \"challenge_n\": " #n "}"
#define CLS1 CLS(1, "a", 1, 1, 64)

static void subst(char *out, size_t cap, const char *in)
{
	size_t n = 0;

	while (*in && n + 70 < cap) {
		const char *rep = NULL;
		if (strncmp(in, "@A1", 3) == 0)
			rep = addr1;
		else if (strncmp(in, "@A2", 3) == 0)
			rep = addr2;
		else if (strncmp(in, "@V1", 3) == 0)
			rep = val1;
		else if (strncmp(in, "@V2", 3) == 0)
			rep = val2;
		if (rep) {
			in += 3;
		} else if (strncmp(in, "@BAD", 4) == 0) {
			rep = addr_badsum;
			in += 4;
		}
		if (rep) {
			n += (size_t)snprintf(out + n, cap - n, "%s", rep);
		} else {
			out[n++] = *in++;
		}
	}
	assert_true(n + 70 < cap);
	out[n] = '\0';
}

static void build(char *out, size_t cap, const struct doc *d)
{
	const char *keys[7] = { "chain_id", "genesis_time_ms", "block_time_ms",
	                        "min_fee", "token_model", "allocations",
	                        "validators" };
	const char *vals[7] = { d->chain_id, d->gtime, d->btime, d->min_fee,
	                        d->model, d->allocs, d->vals };
	const char *defs[7] = { "\"ember-devnet\"", "1764000000000", "1000",
	                        "\"1000\"", "\"bme\"", DEF_ALLOCS, DEF_VALS };
	char raw[8192];
	size_t n = 0;
	int first = 1;

	n += (size_t)snprintf(raw + n, sizeof(raw) - n, "{");
	for (int i = 0; i < 7; i++) {
		const char *v = vals[i] ? vals[i] : defs[i];
		if (!*v)
			continue;
		n += (size_t)snprintf(raw + n, sizeof(raw) - n, "%s\n  \"%s\": %s",
		                      first ? "" : ",", keys[i], v);
		first = 0;
	}
	snprintf(raw + n, sizeof(raw) - n, "%s\n}\n", d->extra ? d->extra : "");
	subst(out, cap, raw);
}

static int parse_doc(const struct doc *d, struct ember_genesis *g, char *err,
                     size_t errlen)
{
	char json[16384];

	build(json, sizeof(json), d);
	return ember_genesis_parse(g, json, strlen(json), err, errlen);
}

static void test_valid(void **state)
{
	struct doc d = { 0 };
	struct ember_genesis g;
	char err[256];

	(void)state;
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	assert_string_equal(g.chain_id, "ember-devnet");
	assert_int_equal(g.genesis_time_ms, 1764000000000ULL);
	assert_int_equal(g.block_time_ms, 1000);
	assert_int_equal(g.min_fee, 1000);
	assert_string_equal(g.token_model, "bme");
	assert_int_equal(g.nalloc, 2);
	assert_memory_equal(g.allocs[0].pub, pub1, 32);
	assert_int_equal(g.allocs[0].amount, 1000);
	assert_memory_equal(g.allocs[1].pub, pub2, 32);
	assert_int_equal(g.allocs[1].amount, 2000);
	assert_int_equal(g.total_supply, 3000);
	assert_int_equal(g.nval, 1);
	assert_memory_equal(g.vals[0].pub, pub2, 32);
	assert_int_equal(g.vals[0].power, 10);
	ember_genesis_release(&g);
	ember_genesis_release(&g);   /* idempotent */

	/* edges that are allowed: max u64 amount (with no emission to add
	 * to it), empty allocations, upper case hex, block time bounds, other
	 * token models */
	d.allocs = "[{\"address\": \"@A1\", \"amount\": \"18446744073709551615\"}]";
	d.btime = "10";
	d.model = "\"hybrid\"";
	d.extra = PARAMS("\"emission_initial\": \"0\"");
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	assert_int_equal(g.total_supply, UINT64_MAX);
	ember_genesis_release(&g);
	d.extra = NULL;
	d.allocs = "[]";
	d.btime = "600000";
	d.min_fee = "\"0\"";
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	assert_int_equal(g.nalloc, 0);
	assert_int_equal(g.total_supply, 0);
	ember_genesis_release(&g);
}

static void test_save_load_roundtrip(void **state)
{
	struct doc d = { .vals = "[{\"pubkey\": \"@V1\", \"power\": 10}, "
	                         "{\"pubkey\": \"@V2\", \"power\": 3}]",
	                 .model = "\"sfa\"" };
	struct ember_genesis g, g2;
	char dir[] = "/tmp/ember-test-genesis-XXXXXX", path[128], err[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/genesis.json", dir);
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	assert_int_equal(ember_genesis_save(&g, path), 0);
	assert_int_equal(ember_genesis_load(&g2, path, err, sizeof(err)), 0);
	assert_memory_equal(g2.hash, g.hash, 32);
	assert_string_equal(g2.chain_id, g.chain_id);
	assert_int_equal(g2.genesis_time_ms, g.genesis_time_ms);
	assert_int_equal(g2.block_time_ms, g.block_time_ms);
	assert_int_equal(g2.min_fee, g.min_fee);
	assert_string_equal(g2.token_model, g.token_model);
	assert_int_equal(g2.nalloc, g.nalloc);
	assert_memory_equal(g2.allocs, g.allocs, g.nalloc * sizeof(*g.allocs));
	assert_int_equal(g2.nval, g.nval);
	assert_memory_equal(g2.vals, g.vals, g.nval * sizeof(*g.vals));
	assert_int_equal(g2.total_supply, g.total_supply);
	ember_genesis_release(&g2);
	ember_genesis_release(&g);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);

	/* a missing file is an I/O error naming the path */
	assert_int_equal(ember_genesis_load(&g2, path, err, sizeof(err)),
	                 EMBER_EIO);
	assert_non_null(strstr(err, path));
	rmdir(dir);
}

/* Whitespace and key order do not change the hash. */
static void test_hash_text_independent(void **state)
{
	struct doc d = { 0 };
	struct ember_genesis g, g2;
	char json[4096], raw[4096], err[256];

	(void)state;
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	snprintf(raw, sizeof(raw),
	         "{\"validators\":[{\"power\":10,\"pubkey\":\"@V1\"}],"
	         "\"token_model\":\"bme\",\"allocations\":[{\"amount\":\"1000\","
	         "\"address\":\"@A1\"},{\"amount\":\"2000\",\"address\":\"@A2\"}],"
	         "\"min_fee\":\"1000\",\"block_time_ms\":1000,"
	         "\t\"genesis_time_ms\" :\n1764000000000 , \"chain_id\":\"ember-devnet\"}");
	subst(json, sizeof(json), raw);
	assert_int_equal(ember_genesis_parse(&g2, json, strlen(json), err,
	                                     sizeof(err)), 0);
	assert_memory_equal(g.hash, g2.hash, 32);
	ember_genesis_release(&g2);
	ember_genesis_release(&g);
}

/* Every field is covered by the hash. */
static void test_hash_covers_fields(void **state)
{
	const struct doc docs[] = {
		{ 0 },
		{ .chain_id = "\"ember-devnet2\"" },
		{ .gtime = "1764000000001" },
		{ .btime = "1001" },
		{ .min_fee = "\"1001\"" },
		{ .model = "\"sfa\"" },
		{ .allocs = "[{\"address\": \"@A1\", \"amount\": \"1001\"}, "
		            "{\"address\": \"@A2\", \"amount\": \"2000\"}]" },
		{ .allocs = "[{\"address\": \"@A2\", \"amount\": \"2000\"}, "
		            "{\"address\": \"@A1\", \"amount\": \"1000\"}]" },
		{ .allocs = "[{\"address\": \"@A1\", \"amount\": \"1000\"}]" },
		{ .vals = "[{\"pubkey\": \"@V1\", \"power\": 11}]" },
		{ .vals = "[{\"pubkey\": \"@V2\", \"power\": 10}]" },
		{ .vals = "[{\"pubkey\": \"@V1\", \"power\": 10}, "
		          "{\"pubkey\": \"@V2\", \"power\": 0}]" },
	};
	enum { N = sizeof(docs) / sizeof(docs[0]) };
	uint8_t h[N][32];
	struct ember_genesis g;
	char err[256];

	(void)state;
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(parse_doc(&docs[i], &g, err, sizeof(err)), 0);
		memcpy(h[i], g.hash, 32);
		ember_genesis_release(&g);
	}
	for (size_t i = 1; i < N; i++)
		for (size_t j = 0; j < i; j++)
			assert_memory_not_equal(h[i], h[j], 32);

	/* finish recomputes the hash from the struct, and checks the sum */
	assert_int_equal(parse_doc(&docs[0], &g, err, sizeof(err)), 0);
	g.min_fee = 1001;
	assert_int_equal(ember_genesis_finish(&g), 0);
	assert_memory_equal(g.hash, h[4], 32);
	g.allocs[0].amount = UINT64_MAX;
	assert_int_equal(ember_genesis_finish(&g), EMBER_TX_OVERFLOW);
	ember_genesis_release(&g);
}

/* The values docs/economics.md is written against; a change here is a
 * change to every network that leaves "params" out. */
static void check_default_params(const struct ember_params *p)
{
	assert_int_equal(p->epoch_blocks, 600);
	assert_int_equal(p->unbonding_blocks, 1200);
	assert_int_equal(p->order_ttl_blocks, 600);
	assert_int_equal(p->max_bids_per_order, 16);
	assert_int_equal(p->max_unbonding_entries, 16);
	assert_int_equal(p->protocol_fee_bps, 500);
	assert_int_equal(p->emission_initial, 1000ULL * 1000000000ULL);
	assert_int_equal(p->emission_decay_bps, 10);
	assert_int_equal(p->hybrid_work_share_bps, 5000);
	assert_int_equal(p->oracle_initial_uusd, 1000000);
	assert_int_equal(p->oracle_max_age_epochs, 2);
	assert_int_equal(p->slash_fault_bps, 100);
	assert_int_equal(p->slash_declared_bps, 10);
	assert_int_equal(p->slash_double_sign_bps, 500);
	assert_int_equal(p->slash_cap_bps, 1000);
	assert_int_equal(p->jail_epochs, 2);
	/* docs/proofs.md derives these */
	assert_int_equal(p->challenges_enabled, 1);
	assert_int_equal(p->challenge_deadline_blocks, 20);
	assert_int_equal(p->proof_openings, 400);
	assert_int_equal(p->proof_pow_bits, 24);
}

static void check_default_classes(const struct ember_gpu_class *c, size_t n)
{
	static const struct ember_gpu_class want[] = {
		{ 1, "rtx4090-24g", 24, 50000000000ULL, 2048 },
		{ 2, "a100-80g", 80, 200000000000ULL, 4096 },
		{ 3, "h100-80g", 80, 300000000000ULL, 4096 },
		{ 4, "h200-141g", 141, 400000000000ULL, 8192 },
	};

	assert_int_equal(n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(c[i].id, want[i].id);
		assert_string_equal(c[i].name, want[i].name);
		assert_int_equal(c[i].vram_gib, want[i].vram_gib);
		assert_int_equal(c[i].min_stake_per_gpu, want[i].min_stake_per_gpu);
		assert_int_equal(c[i].challenge_n, want[i].challenge_n);
	}
}

static void test_defaults(void **state)
{
	struct ember_params p;
	const struct ember_gpu_class *dc;
	struct doc d = { 0 };
	struct ember_genesis g;
	char err[256];
	size_t n = 0;

	(void)state;
	memset(&p, 0xa5, sizeof(p));
	ember_params_default(&p);
	check_default_params(&p);
	dc = ember_gpu_classes_default(&n);
	check_default_classes(dc, n);

	/* absent "params" and "gpu_classes" take the defaults, as an owned
	 * copy of the table */
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	check_default_params(&g.params);
	check_default_classes(g.classes, g.nclass);
	assert_ptr_not_equal(g.classes, dc);
	ember_genesis_release(&g);
	assert_null(g.classes);
	assert_int_equal(g.nclass, 0);

	/* an empty "params" is all defaults too */
	d.extra = PARAMS("");
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	check_default_params(&g.params);
	ember_genesis_release(&g);
}

static void test_params_partial(void **state)
{
	struct doc d = { .extra = PARAMS("\"epoch_blocks\": 60, "
	                                 "\"emission_initial\": \"5\", "
	                                 "\"slash_cap_bps\": 2500, "
	                                 "\"oracle_initial_uusd\": \"0\"") };
	struct ember_params want;
	struct ember_genesis g;
	char err[256];

	(void)state;
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	ember_params_default(&want);
	want.epoch_blocks = 60;
	want.emission_initial = 5;
	want.slash_cap_bps = 2500;
	want.oracle_initial_uusd = 0;
	assert_memory_equal(&g.params, &want, sizeof(want));
	ember_genesis_release(&g);

	/* the edges of every range are allowed together; emission_initial's
	 * top for this document is (2^64 - 1 - 3000) / 3156, 3156 being the
	 * 10^9 ms epochs in 100 years at zero decay */
	d.extra = PARAMS("\"epoch_blocks\": 1000000, \"unbonding_blocks\": 1, "
	                 "\"order_ttl_blocks\": 100000000, "
	                 "\"max_bids_per_order\": 256, "
	                 "\"max_unbonding_entries\": 1, "
	                 "\"protocol_fee_bps\": 10000, "
	                 "\"emission_initial\": \"5844975942240034\", "
	                 "\"emission_decay_bps\": 0, "
	                 "\"hybrid_work_share_bps\": 10000, "
	                 "\"oracle_max_age_epochs\": 4294967295, "
	                 "\"slash_fault_bps\": 10000, "
	                 "\"slash_declared_bps\": 10000, "
	                 "\"slash_double_sign_bps\": 0, "
	                 "\"slash_cap_bps\": 10000, \"jail_epochs\": 100000, "
	                 "\"challenges_enabled\": 0, "
	                 "\"challenge_deadline_blocks\": 999999, "
	                 "\"proof_openings\": 4096, \"proof_pow_bits\": 40");
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	assert_int_equal(g.params.epoch_blocks, 1000000);
	assert_int_equal(g.params.challenges_enabled, 0);
	assert_int_equal(g.params.challenge_deadline_blocks, 999999);
	assert_int_equal(g.params.proof_openings, 4096);
	assert_int_equal(g.params.proof_pow_bits, 40);
	assert_int_equal(g.params.max_bids_per_order, 256);
	assert_int_equal(g.params.emission_initial, 5844975942240034ULL);
	assert_int_equal(g.params.oracle_max_age_epochs, UINT32_MAX);
	assert_int_equal(g.params.slash_declared_bps, 10000);
	assert_int_equal(g.params.jail_epochs, 100000);
	ember_genesis_release(&g);

	/* the low edges of the proof params; the deadline just below a
	 * two-block epoch */
	d.extra = PARAMS("\"epoch_blocks\": 2, \"challenges_enabled\": 1, "
	                 "\"challenge_deadline_blocks\": 1, "
	                 "\"proof_openings\": 16, \"proof_pow_bits\": 0");
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	assert_int_equal(g.params.challenges_enabled, 1);
	assert_int_equal(g.params.challenge_deadline_blocks, 1);
	assert_int_equal(g.params.proof_openings, 16);
	assert_int_equal(g.params.proof_pow_bits, 0);
	ember_genesis_release(&g);
}

static void test_classes(void **state)
{
	struct doc d = { .extra = CLASSES(
		CLS(300, "h100-80g", 80, 100000000000, 8192) ", "
		CLS(7, "abcdefghijklmnopqrstuvwxyz-1234", 1, 0, 64) ", "
		CLS(65535, "x", 4294967295, 4503599627370495, 128)) };
	struct ember_genesis g;
	char err[256], big[8192];
	size_t n;

	(void)state;
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	assert_int_equal(g.nclass, 3);
	/* stored sorted by id, whatever the file order */
	assert_int_equal(g.classes[0].id, 7);
	assert_string_equal(g.classes[0].name, "abcdefghijklmnopqrstuvwxyz-1234");
	assert_int_equal(g.classes[0].vram_gib, 1);
	assert_int_equal(g.classes[0].min_stake_per_gpu, 0);
	assert_int_equal(g.classes[0].challenge_n, 64);
	assert_int_equal(g.classes[1].id, 300);
	assert_string_equal(g.classes[1].name, "h100-80g");
	assert_int_equal(g.classes[1].vram_gib, 80);
	assert_int_equal(g.classes[1].min_stake_per_gpu, 100000000000ULL);
	assert_int_equal(g.classes[1].challenge_n, 8192);
	assert_int_equal(g.classes[2].id, 65535);
	assert_int_equal(g.classes[2].vram_gib, UINT32_MAX);
	assert_int_equal(g.classes[2].min_stake_per_gpu, 4503599627370495ULL);

	/* lookup: every id hits its own record, others miss */
	for (size_t i = 0; i < g.nclass; i++)
		assert_ptr_equal(ember_genesis_class(&g, g.classes[i].id),
		                 &g.classes[i]);
	assert_null(ember_genesis_class(&g, 0));
	assert_null(ember_genesis_class(&g, 1));
	assert_null(ember_genesis_class(&g, 8));
	assert_null(ember_genesis_class(&g, 299));
	assert_null(ember_genesis_class(&g, 65534));
	assert_null(ember_genesis_class(NULL, 7));
	ember_genesis_release(&g);
	assert_null(ember_genesis_class(&g, 7));

	/* the default table through lookup */
	d.extra = NULL;
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	assert_string_equal(ember_genesis_class(&g, 3)->name, "h100-80g");
	assert_string_equal(ember_genesis_class(&g, 4)->name, "h200-141g");
	assert_null(ember_genesis_class(&g, 5));
	ember_genesis_release(&g);

	/* EMBER_GEN_MAX_CLASSES classes, then one more */
	for (int count = EMBER_GEN_MAX_CLASSES; count <= EMBER_GEN_MAX_CLASSES + 1;
	     count++) {
		size_t len = (size_t)snprintf(big, sizeof(big),
		                              ",\n  \"gpu_classes\": [");
		for (int i = 1; i <= count; i++)
			len += (size_t)snprintf(big + len, sizeof(big) - len,
			        "%s{\"id\": %d, \"name\": \"c%d\", \"vram_gib\": 1, "
			        "\"min_stake_per_gpu\": \"1\", \"challenge_n\": 64}",
			        i > 1 ? ", " : "", i, i);
		snprintf(big + len, sizeof(big) - len, "]");
		d.extra = big;
		n = (size_t)parse_doc(&d, &g, err, sizeof(err));
		if (count == EMBER_GEN_MAX_CLASSES) {
			assert_int_equal(n, 0);
			assert_int_equal(g.nclass, EMBER_GEN_MAX_CLASSES);
			ember_genesis_release(&g);
		} else {
			assert_int_equal((int)n, EMBER_GEN_FORMAT);
			assert_non_null(strstr(err, "too many gpu classes (65, at most 64)"));
			assert_null(g.classes);
		}
	}
}

static void test_model(void **state)
{
	const struct { const char *name; enum ember_token_model m; } cases[] = {
		{ "\"bme\"", EMBER_MODEL_BME },
		{ "\"sfa\"", EMBER_MODEL_SFA },
		{ "\"hybrid\"", EMBER_MODEL_HYBRID },
	};
	struct ember_genesis g;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct doc d = { .model = cases[i].name };
		assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
		assert_int_equal(ember_genesis_model(&g), cases[i].m);
		ember_genesis_release(&g);
	}
	/* a struct built by hand with no valid model has none */
	memset(&g, 0, sizeof(g));
	strcpy(g.token_model, "bm");
	assert_int_equal(ember_genesis_model(&g), 0);
	strcpy(g.token_model, "bmex");
	assert_int_equal(ember_genesis_model(&g), 0);
}

/* Every param and every class field is covered by the hash; defaults
 * written out explicitly, and class order in the file, are not. */
static void test_hash_covers_params_classes(void **state)
{
	static const char *const extras[] = {
		"",
		PARAMS("\"epoch_blocks\": 601"),
		PARAMS("\"unbonding_blocks\": 1201"),
		PARAMS("\"order_ttl_blocks\": 601"),
		PARAMS("\"max_bids_per_order\": 17"),
		PARAMS("\"max_unbonding_entries\": 17"),
		PARAMS("\"protocol_fee_bps\": 501"),
		PARAMS("\"emission_initial\": \"1000000000001\""),
		PARAMS("\"emission_decay_bps\": 11"),
		PARAMS("\"hybrid_work_share_bps\": 5001"),
		PARAMS("\"oracle_initial_uusd\": \"1000001\""),
		PARAMS("\"oracle_max_age_epochs\": 3"),
		PARAMS("\"slash_fault_bps\": 101"),
		PARAMS("\"slash_declared_bps\": 11"),
		PARAMS("\"slash_double_sign_bps\": 501"),
		PARAMS("\"slash_cap_bps\": 1001"),
		PARAMS("\"jail_epochs\": 3"),
		PARAMS("\"challenges_enabled\": 0"),
		PARAMS("\"challenge_deadline_blocks\": 21"),
		PARAMS("\"proof_openings\": 401"),
		PARAMS("\"proof_pow_bits\": 25"),
		CLASSES(CLS1),
		CLASSES(CLS(2, "a", 1, 1, 64)),
		CLASSES(CLS(1, "b", 1, 1, 64)),
		CLASSES(CLS(1, "a", 2, 1, 64)),
		CLASSES(CLS(1, "a", 1, 2, 64)),
		CLASSES(CLS(1, "a", 1, 1, 128)),
		CLASSES(CLS(1, "a", 1, 1, 64) ", " CLS(2, "b", 1, 1, 64)),
		/* a name that is a prefix and the rest moved to the next field
		 * would collide without the length prefix */
		CLASSES(CLS(1, "ab", 1, 1, 64)),
	};
	enum { N = sizeof(extras) / sizeof(extras[0]) };
	uint8_t h[N][32];
	struct ember_genesis g;
	char err[256];

	(void)state;
	for (size_t i = 0; i < N; i++) {
		struct doc d = { .extra = extras[i] };
		if (parse_doc(&d, &g, err, sizeof(err)) != 0)
			fail_msg("case %zu: %s", i, err);
		memcpy(h[i], g.hash, 32);
		ember_genesis_release(&g);
	}
	for (size_t i = 1; i < N; i++)
		for (size_t j = 0; j < i; j++)
			if (memcmp(h[i], h[j], 32) == 0)
				fail_msg("cases %zu and %zu hash alike", j, i);

	/* the defaults spelled out hash like the defaults left out */
	{
		struct doc d = { .extra =
			PARAMS("\"epoch_blocks\": 600, \"unbonding_blocks\": 1200, "
			       "\"order_ttl_blocks\": 600, \"max_bids_per_order\": 16, "
			       "\"max_unbonding_entries\": 16, "
			       "\"protocol_fee_bps\": 500, "
			       "\"emission_initial\": \"1000000000000\", "
			       "\"emission_decay_bps\": 10, "
			       "\"hybrid_work_share_bps\": 5000, "
			       "\"oracle_initial_uusd\": \"1000000\", "
			       "\"oracle_max_age_epochs\": 2, \"slash_fault_bps\": 100, "
			       "\"slash_declared_bps\": 10, "
			       "\"slash_double_sign_bps\": 500, \"slash_cap_bps\": 1000, "
			       "\"jail_epochs\": 2, \"challenges_enabled\": 1, "
			       "\"challenge_deadline_blocks\": 20, "
			       "\"proof_openings\": 400, \"proof_pow_bits\": 24")
			CLASSES(CLS(4, "h200-141g", 141, 400000000000, 8192) ", "
			        CLS(2, "a100-80g", 80, 200000000000, 4096) ", "
			        CLS(1, "rtx4090-24g", 24, 50000000000, 2048) ", "
			        CLS(3, "h100-80g", 80, 300000000000, 4096)) };
		assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
		assert_memory_equal(g.hash, h[0], 32);
		ember_genesis_release(&g);
	}

	/* finish hashes the struct's params and classes */
	{
		struct doc d = { 0 };
		assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
		g.params.epoch_blocks = 601;
		assert_int_equal(ember_genesis_finish(&g), 0);
		assert_memory_equal(g.hash, h[1], 32);
		g.params.epoch_blocks = 600;
		g.classes[3].challenge_n = 4096;
		assert_int_equal(ember_genesis_finish(&g), 0);
		assert_memory_not_equal(g.hash, h[0], 32);
		g.classes[3].challenge_n = 8192;
		assert_int_equal(ember_genesis_finish(&g), 0);
		assert_memory_equal(g.hash, h[0], 32);
		ember_genesis_release(&g);
	}
}

static void save_load(const struct ember_genesis *g, struct ember_genesis *g2)
{
	char dir[] = "/tmp/ember-test-genesis-XXXXXX", path[128], err[256];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/genesis.json", dir);
	assert_int_equal(ember_genesis_save(g, path), 0);
	if (ember_genesis_load(g2, path, err, sizeof(err)) != 0)
		fail_msg("load: %s", err);
	unlink(path);
	rmdir(dir);
}

static void test_save_load_params_classes(void **state)
{
	struct doc d = { .extra =
		PARAMS("\"epoch_blocks\": 7, \"emission_initial\": \"18446744073709548\", "
		       "\"oracle_max_age_epochs\": 4294967295, "
		       "\"slash_declared_bps\": 0, \"jail_epochs\": 0, "
		       "\"challenges_enabled\": 0, \"challenge_deadline_blocks\": 6, "
		       "\"proof_openings\": 4096, \"proof_pow_bits\": 40")
		CLASSES(CLS(9, "z9", 3, 77, 256) ", " CLS(2, "b-2", 5, 0, 64)) };
	struct ember_genesis g, g2;
	char err[256];

	(void)state;
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	save_load(&g, &g2);
	assert_memory_equal(g2.hash, g.hash, 32);
	assert_memory_equal(&g2.params, &g.params, sizeof(g.params));
	assert_int_equal(g2.nclass, 2);
	assert_memory_equal(g2.classes, g.classes, 2 * sizeof(*g.classes));
	ember_genesis_release(&g2);
	ember_genesis_release(&g);

	/* a genesis built by hand the way devnet and the benches build one */
	memset(&g, 0, sizeof(g));
	strcpy(g.chain_id, "ember-hand");
	strcpy(g.token_model, "hybrid");
	g.genesis_time_ms = 1764000000000ULL;
	g.block_time_ms = 1000;
	g.vals = calloc(1, sizeof(*g.vals));
	assert_non_null(g.vals);
	memcpy(g.vals[0].pub, pub1, 32);
	g.vals[0].power = 1;
	g.nval = 1;
	ember_params_default(&g.params);
	g.params.oracle_max_age_epochs = 1000000;
	assert_int_equal(ember_genesis_default_classes(&g), 0);
	assert_int_equal(ember_genesis_default_classes(&g), 0);  /* replaces */
	check_default_classes(g.classes, g.nclass);
	assert_int_equal(ember_genesis_finish(&g), 0);
	save_load(&g, &g2);
	assert_memory_equal(g2.hash, g.hash, 32);
	assert_int_equal(g2.params.oracle_max_age_epochs, 1000000);
	ember_genesis_release(&g2);
	ember_genesis_release(&g);
}

/* save refuses what load would refuse, instead of writing it. */
static void test_save_refuses_invalid(void **state)
{
	struct doc d = { 0 };
	struct ember_genesis g;
	struct ember_gpu_class tmp;
	char err[256];

	(void)state;
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	g.params.epoch_blocks = 0;
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.params.epoch_blocks = 600;
	g.params.slash_declared_bps = 101;
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.params.slash_declared_bps = 10;
	tmp = g.classes[0];                  /* unsorted */
	g.classes[0] = g.classes[1];
	g.classes[1] = tmp;
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.classes[1] = g.classes[0];
	g.classes[0] = tmp;
	strcpy(g.classes[1].name, "Bad");
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	strcpy(g.classes[1].name, "rtx4090-24g");    /* duplicate name */
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	strcpy(g.classes[1].name, "a100-80g");
	g.classes[1].challenge_n = 100;
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.classes[1].challenge_n = 16384;   /* a power of two, too big */
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.classes[1].challenge_n = 4096;
	g.params.challenge_deadline_blocks = 600;   /* not below epoch_blocks */
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.params.challenge_deadline_blocks = 20;
	/* the horizon rule holds for a struct as for a file */
	g.genesis_time_ms = 1577836799999ULL;          /* before 2020 */
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.genesis_time_ms = 7258118400001ULL;          /* after 2200 */
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.genesis_time_ms = 1764000000000ULL;
	g.block_time_ms = 9;
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.block_time_ms = 1000;
	g.min_fee = 2001;                               /* above every balance */
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.min_fee = 1000;
	g.params.emission_initial = 18446744073709549ULL;
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.params.emission_initial = 18446744073709548ULL;
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EIO);                     /* the edge is fine */
	g.params.emission_initial = 1000ULL * 1000000000ULL;
	g.allocs[0].amount = UINT64_MAX;                /* sum overflows */
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.allocs[0].amount = 1000;
	g.classes[1].min_stake_per_gpu = 4503599627370496ULL;
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.classes[1].min_stake_per_gpu = 200000000000ULL;
	g.nclass = 0;
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EINVAL);
	g.nclass = 4;
	/* valid again: now the only problem is the path */
	assert_int_equal(ember_genesis_save(&g, "/nonexistent/g.json"),
	                 EMBER_EIO);
	ember_genesis_release(&g);
}

struct reject {
	struct doc d;
	const char *want;    /* substring of the message */
	const char *want2;   /* second substring, or NULL */
};

static void test_rejections(void **state)
{
	const struct reject cases[] = {
		{ { .extra = ",\n  \"chain_idd\": \"x\"" }, "unknown key 'chain_idd'", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": \"1\", \"memo\": \"x\"}]" },
		  "allocation 0: unknown key 'memo'", NULL },
		{ { .vals = "[{\"pubkey\": \"@V1\", \"power\": 1, \"name\": \"x\"}]" },
		  "validator 0: unknown key 'name'", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": \"1\"}, "
		              "{\"address\": \"@BAD\", \"amount\": \"1\"}]" },
		  "allocation 1: address 'ember1", "has a bad checksum" },
		{ { .allocs = "[{\"address\": \"bc1qxyz\", \"amount\": \"1\"}]" },
		  "allocation 0: address 'bc1qxyz'", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": \"18446744073709551616\"}]" },
		  "allocation 0: amount '18446744073709551616' does not fit", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": \"99999999999999999999999\"}]" },
		  "allocation 0: amount '99999999999999999999999' does not fit", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": \"18446744073709551615\"}, "
		              "{\"address\": \"@A2\", \"amount\": \"1\"}]" },
		  "allocation 1: total supply", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": \"1\"}, "
		              "{\"address\": \"@A2\", \"amount\": \"1\"}, "
		              "{\"address\": \"@A1\", \"amount\": \"2\"}]" },
		  "allocation 2: duplicate address 'ember1", NULL },
		{ { .vals = "[{\"pubkey\": \"@V1\", \"power\": 1}, "
		            "{\"pubkey\": \"@V1\", \"power\": 2}]" },
		  "validator 1: duplicate pubkey", NULL },
		{ { .vals = "[]" }, "no validators", NULL },
		{ { .vals = "[{\"pubkey\": \"@V1\", \"power\": 0}]" },
		  "total power must be positive", NULL },
		{ { .vals = "[{\"pubkey\": \"@V1\", \"power\": -1}]" },
		  "validator 0: 'power' must be a non-negative integer", NULL },
		{ { .vals = "[{\"pubkey\": \"@V1\", \"power\": \"10\"}]" },
		  "validator 0: 'power'", NULL },
		{ { .vals = "[{\"pubkey\": \"abcd\", \"power\": 1}]" },
		  "validator 0: pubkey 'abcd' is not 64 hex", NULL },
		{ { .vals = "[{\"pubkey\": \"ffffffffffffffffffffffffffffffffffff"
		            "ffffffffffffffffffffffffffff\", \"power\": 1}]" },
		  "validator 0: pubkey 'ffff", "not a valid public key" },
		{ { .chain_id = "\"Ember_Devnet\"" }, "chain id 'Ember_Devnet'", NULL },
		{ { .chain_id = "\"\"" }, "chain id ''", NULL },
		{ { .chain_id = "\"a-very-long-chain-id-over-32-chars\"" },
		  "chain id 'a-very-long", NULL },
		{ { .chain_id = "7" }, "'chain_id' must be a string", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": \"-5\"}]" },
		  "allocation 0: amount '-5'", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": \"1.5\"}]" },
		  "allocation 0: amount '1.5'", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": \"1e3\"}]" },
		  "allocation 0: amount '1e3'", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": \"01\"}]" },
		  "allocation 0: amount '01'", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": \"+1\"}]" },
		  "allocation 0: amount '+1'", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": \" 1\"}]" },
		  "allocation 0: amount ' 1'", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": \"\"}]" },
		  "allocation 0: amount ''", NULL },
		{ { .allocs = "[{\"address\": \"@A1\", \"amount\": 1000}]" },
		  "allocation 0: 'amount' must be a decimal string", "not a number" },
		{ { .allocs = "[{\"address\": \"@A1\"}]" },
		  "allocation 0: missing 'amount'", NULL },
		{ { .allocs = "[\"@A1\"]" }, "allocation 0: must be an object", NULL },
		{ { .allocs = "{}" }, "'allocations' must be an array", NULL },
		{ { .min_fee = "1000" }, "'min_fee' must be a decimal string", NULL },
		{ { .btime = "1000.0" }, "'block_time_ms' must be a non-negative integer", NULL },
		{ { .gtime = "\"1764000000000\"" }, "'genesis_time_ms' must be", NULL },
		{ { .gtime = "-1" }, "'genesis_time_ms' must be", NULL },
		{ { .model = "\"pow\"" }, "token model 'pow' is unknown", NULL },
		{ { .vals = "" }, "missing 'validators'", NULL },
		{ { .chain_id = "" }, "missing 'chain_id'", NULL },
		{ { .extra = ",\n  \"min_fee\": \"5\"" }, "duplicate", NULL },
		{ { .extra = "\n} trailing" }, "genesis: line", NULL },

		/* params: the rules between fields (each field's own range is in
		 * test_bounds) */
		{ { .extra = PARAMS("\"slash_declared_bps\": 101") },
		  "params: slash_declared_bps 101 must not exceed slash_fault_bps 100",
		  NULL },
		{ { .extra = PARAMS("\"slash_fault_bps\": 5") },
		  "params: slash_declared_bps 10 must not exceed slash_fault_bps 5",
		  NULL },
		/* a u32 field is range-checked before it is stored, not after
		 * it wrapped to 1 */
		{ { .extra = PARAMS("\"max_bids_per_order\": 4294967297") },
		  "params: field \"max_bids_per_order\" is 4294967297; "
		  "allowed 1..256", NULL },
		/* a proof is due inside the epoch that issued its challenge */
		{ { .extra = PARAMS("\"challenge_deadline_blocks\": 600") },
		  "params: challenge_deadline_blocks 600 must be below epoch_blocks 600",
		  NULL },
		{ { .extra = PARAMS("\"epoch_blocks\": 20") },
		  "params: challenge_deadline_blocks 20 must be below epoch_blocks 20",
		  NULL },
		{ { .extra = PARAMS("\"epoch_blocks\": 5, "
		                    "\"challenge_deadline_blocks\": 9") },
		  "params: challenge_deadline_blocks 9 must be below epoch_blocks 5",
		  NULL },
		/* types: amounts are strings, the rest integers */
		{ { .extra = PARAMS("\"emission_initial\": 5") },
		  "params: 'emission_initial' must be a decimal string", NULL },
		{ { .extra = PARAMS("\"oracle_initial_uusd\": \"-1\"") },
		  "params: oracle_initial_uusd '-1' is not a decimal", NULL },
		{ { .extra = PARAMS("\"oracle_initial_uusd\": \"18446744073709551616\"") },
		  "params: oracle_initial_uusd '18446744073709551616' does not fit",
		  NULL },
		{ { .extra = PARAMS("\"epoch_blocks\": \"60\"") },
		  "params: 'epoch_blocks' must be a non-negative integer", NULL },
		{ { .extra = PARAMS("\"jail_epochs\": -1") },
		  "params: 'jail_epochs' must be a non-negative integer", NULL },
		{ { .extra = PARAMS("\"slash_cap_bps\": 1.5") },
		  "params: 'slash_cap_bps' must be a non-negative integer", NULL },
		{ { .extra = PARAMS("\"epoch_blocks\": 60, \"epoch_block\": 60") },
		  "params: unknown key 'epoch_block'", NULL },
		{ { .extra = PARAMS("\"EPOCH_BLOCKS\": 60") },
		  "params: unknown key 'EPOCH_BLOCKS'", NULL },
		{ { .extra = ",\n  \"params\": [60]" }, "'params' must be an object",
		  NULL },

		/* gpu_classes */
		{ { .extra = ",\n  \"gpu_classes\": {}" },
		  "'gpu_classes' must be an array", NULL },
		{ { .extra = CLASSES("") }, "'gpu_classes' is empty", NULL },
		{ { .extra = CLASSES("1") }, "gpu class 0: must be an object", NULL },
		{ { .extra = CLASSES(CLS1 ", 7") }, "gpu class 1: must be an object",
		  NULL },
		{ { .extra = CLASSES("{\"name\": \"a\", \"vram_gib\": 1, "
		                     "\"min_stake_per_gpu\": \"1\", \"challenge_n\": 64}") },
		  "gpu class 0: missing 'id'", NULL },
		{ { .extra = CLASSES("{\"id\": 1, \"vram_gib\": 1, "
		                     "\"min_stake_per_gpu\": \"1\", \"challenge_n\": 64}") },
		  "gpu class 0: missing 'name'", NULL },
		{ { .extra = CLASSES("{\"id\": 1, \"name\": \"a\", "
		                     "\"min_stake_per_gpu\": \"1\", \"challenge_n\": 64}") },
		  "gpu class 0: missing 'vram_gib'", NULL },
		{ { .extra = CLASSES("{\"id\": 1, \"name\": \"a\", \"vram_gib\": 1, "
		                     "\"challenge_n\": 64}") },
		  "gpu class 0: missing 'min_stake_per_gpu'", NULL },
		{ { .extra = CLASSES("{\"id\": 1, \"name\": \"a\", \"vram_gib\": 1, "
		                     "\"min_stake_per_gpu\": \"1\"}") },
		  "gpu class 0: missing 'challenge_n'", NULL },
		{ { .extra = CLASSES("{\"id\": 1, \"name\": \"a\", \"vram_gib\": 1, "
		                     "\"min_stake_per_gpu\": \"1\", \"challenge_n\": 64, "
		                     "\"gpus\": 8}") },
		  "gpu class 0: unknown key 'gpus'", NULL },
		{ { .extra = CLASSES(CLS(-1, "a", 1, 1, 64)) },
		  "gpu class 0: 'id' must be a non-negative integer", NULL },
		{ { .extra = CLASSES(CLS(1, "", 1, 1, 64)) },
		  "gpu class 0: name '' is invalid", NULL },
		{ { .extra = CLASSES(CLS(1, "H100", 1, 1, 64)) },
		  "gpu class 0: name 'H100' is invalid", NULL },
		{ { .extra = CLASSES(CLS(1, "h100_80g", 1, 1, 64)) },
		  "gpu class 0: name 'h100_80g' is invalid", NULL },
		{ { .extra = CLASSES(CLS(1, "h100 80g", 1, 1, 64)) },
		  "gpu class 0: name 'h100 80g' is invalid", NULL },
		{ { .extra = CLASSES(CLS(1, "a\\u0007b", 1, 1, 64)) },
		  "gpu class 0: name 'a?b' is invalid", NULL },
		{ { .extra = CLASSES(CLS(1, "abcdefghijklmnopqrstuvwxyz-1234-", 1, 1,
		                         64)) },
		  "gpu class 0: name 'abcdefghijklmnopqrstuvwxyz-1234-' is invalid",
		  NULL },
		{ { .extra = CLASSES("{\"id\": 1, \"name\": 4090, \"vram_gib\": 1, "
		                     "\"min_stake_per_gpu\": \"1\", \"challenge_n\": 64}") },
		  "gpu class 0: 'name' must be a string", NULL },
		{ { .extra = CLASSES("{\"id\": 1, \"name\": \"a\", \"vram_gib\": 1, "
		                     "\"min_stake_per_gpu\": 5, \"challenge_n\": 64}") },
		  "gpu class 0: 'min_stake_per_gpu' must be a decimal string", NULL },
		{ { .extra = CLASSES(CLS(1, "a", 1, 1x, 64)) },
		  "gpu class 0: min_stake_per_gpu '1x'", NULL },
		/* challenge_n: a power of two (the commitment is a complete
		 * tree), 64..8192 (a proof stays under 128 KiB) */
		{ { .extra = CLASSES(CLS(1, "a", 1, 1, 0)) },
		  "gpu class 0: field \"challenge_n\" is 0; "
		  "allowed a power of two in 64..8192", NULL },
		{ { .extra = CLASSES(CLS(1, "a", 1, 1, 32)) },
		  "gpu class 0: field \"challenge_n\" is 32; "
		  "allowed a power of two in 64..8192", NULL },
		{ { .extra = CLASSES(CLS(1, "a", 1, 1, 100)) },
		  "gpu class 0: field \"challenge_n\" is 100; "
		  "allowed a power of two in 64..8192", NULL },
		{ { .extra = CLASSES(CLS(1, "a", 1, 1, 192)) },
		  "gpu class 0: field \"challenge_n\" is 192; "
		  "allowed a power of two in 64..8192", NULL },
		{ { .extra = CLASSES(CLS(1, "a", 1, 1, 8256)) },
		  "gpu class 0: field \"challenge_n\" is 8256; "
		  "allowed a power of two in 64..8192", NULL },
		{ { .extra = CLASSES(CLS(1, "a", 1, 1, 16384)) },
		  "gpu class 0: field \"challenge_n\" is 16384; "
		  "allowed a power of two in 64..8192", NULL },
		{ { .extra = CLASSES(CLS(1, "a", 1, 1, 65536)) },
		  "gpu class 0: field \"challenge_n\" is 65536; "
		  "allowed a power of two in 64..8192", NULL },
		{ { .extra = CLASSES(CLS(1, "a", 1, 1, 4294967360)) },
		  "gpu class 0: field \"challenge_n\" is 4294967360; "
		  "allowed a power of two in 64..8192", NULL },
		{ { .extra = CLASSES(CLS(1, "a", 1, 1, 4294967296)) },
		  "gpu class 0: field \"challenge_n\" is 4294967296; "
		  "allowed a power of two in 64..8192", NULL },
		{ { .extra = CLASSES(CLS(3, "a", 1, 1, 64) ", " CLS(1, "b", 1, 1, 64)
		                     ", " CLS(3, "c", 1, 1, 64)) },
		  "gpu class 2: duplicate id 3", NULL },
		{ { .extra = CLASSES(CLS(3, "a", 1, 1, 64) ", " CLS(1, "a", 1, 1, 64)) },
		  "gpu class 1: duplicate name 'a'", NULL },
	};
	struct ember_genesis g;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		err[0] = '\0';
		rc = parse_doc(&cases[i].d, &g, err, sizeof(err));
		if (rc != EMBER_GEN_FORMAT || !strstr(err, cases[i].want) ||
		    (cases[i].want2 && !strstr(err, cases[i].want2)) ||
		    strncmp(err, "genesis: ", 9) != 0)
			fail_msg("case %zu: rc %d, message \"%s\", wanted \"%s\"", i,
			         rc, err, cases[i].want);
		/* nothing is left owned after a failure */
		assert_null(g.allocs);
		assert_null(g.vals);
		assert_null(g.classes);
	}
	/* not JSON at all, and a top level that is not an object */
	assert_int_equal(ember_genesis_parse(&g, "nope", 4, err, sizeof(err)),
	                 EMBER_GEN_FORMAT);
	assert_int_equal(ember_genesis_parse(&g, "[]", 2, err, sizeof(err)),
	                 EMBER_GEN_FORMAT);
	assert_non_null(strstr(err, "object"));
	/* err may be NULL */
	assert_int_equal(ember_genesis_parse(&g, "[]", 2, NULL, 0),
	                 EMBER_GEN_FORMAT);
}

/*
 * The horizon rule of genesis.h, field by field: the value at the edge of
 * its range is accepted, one past it is refused with a message naming the
 * field, the value and the range.  Tops first, then bottoms where they are
 * above 0.  The default document has allocations 1000 and 2000, 1 s
 * blocks, 600-block epochs and a 10 bps decay.
 */
struct bound {
	struct doc ok, bad;
	const char *want;     /* the whole message for bad */
};

#define ALLOC_MAX "[{\"address\": \"@A1\", \"amount\": \"18446744073709551615\"}]"
/* A param at its edge (ok) and past it (bad); more: other params both
 * documents need, ending in ", ". */
#define P_EDGE(more, name, edge, past, lo, hi, why) \
	{ { .extra = PARAMS(more "\"" name "\": " edge) }, \
	  { .extra = PARAMS(more "\"" name "\": " past) }, \
	  "genesis: params: field \"" name "\" is " past "; allowed " lo ".." \
	  hi why }
#define P_TOP(name, max, past) P_EDGE("", name, max, past, "0", max, "")
#define P_RANGE_TOP(name, lo, max, past) P_EDGE("", name, max, past, lo, max, "")
#define P_RANGE_BOTTOM(name, min, below, hi) \
	P_EDGE("", name, min, below, min, hi, "")
/* An amount param: a string in the document, a number in the message. */
#define P_AMOUNT_EDGE(name, edge, past, lo, hi) \
	{ { .extra = PARAMS("\"" name "\": \"" edge "\"") }, \
	  { .extra = PARAMS("\"" name "\": \"" past "\"") }, \
	  "genesis: params: field \"" name "\" is " past "; allowed " lo ".." hi }
#define C_EDGE(name, okcls, badcls, past, lo, hi, why) \
	{ { .extra = CLASSES(okcls) }, { .extra = CLASSES(badcls) }, \
	  "genesis: gpu class 0: field \"" name "\" is " past "; allowed " lo \
	  ".." hi why }
#define EMISSION_WHY " (supply plus 100 years of emission must fit in 64 bits)"

static void test_bounds(void **state)
{
	const struct bound cases[] = {
		/* genesis_time_ms: 2020-01-01 .. 2200-01-01 UTC; the issue's
		 * 2^63 - 1 showed as a negative time over RPC */
		{ { .gtime = "7258118400000" }, { .gtime = "7258118400001" },
		  "genesis: field \"genesis_time_ms\" is 7258118400001; allowed "
		  "1577836800000..7258118400000 (2020-01-01 to 2200-01-01 UTC)" },
		{ { .gtime = "1577836800000" }, { .gtime = "1577836799999" },
		  "genesis: field \"genesis_time_ms\" is 1577836799999; allowed "
		  "1577836800000..7258118400000 (2020-01-01 to 2200-01-01 UTC)" },
		{ { 0 }, { .gtime = "9223372036854775807" },
		  "genesis: field \"genesis_time_ms\" is 9223372036854775807; "
		  "allowed 1577836800000..7258118400000 (2020-01-01 to 2200-01-01 "
		  "UTC)" },
		/* block_time_ms: 10 ms .. 10 minutes */
		{ { .btime = "600000" }, { .btime = "600001" },
		  "genesis: field \"block_time_ms\" is 600001; allowed 10..600000 "
		  "(10 ms to 10 minutes)" },
		{ { .btime = "10" }, { .btime = "9" },
		  "genesis: field \"block_time_ms\" is 9; allowed 10..600000 "
		  "(10 ms to 10 minutes)" },
		/* min_fee: the largest allocation pays one fee */
		{ { .min_fee = "\"2000\"" }, { .min_fee = "\"2001\"" },
		  "genesis: field \"min_fee\" is 2001; allowed 0..2000 (the largest "
		  "allocation must pay one fee)" },
		{ { .allocs = "[]", .min_fee = "\"0\"" },
		  { .allocs = "[]", .min_fee = "\"1\"" },
		  "genesis: field \"min_fee\" is 1; allowed 0..0 (the largest "
		  "allocation must pay one fee)" },

		/* emission_initial: supply + F x emission_initial <= 2^64 - 1.
		 * 10 bps decay: F = ceil(10000 / 10) = 1000 (below the 5259600
		 * epochs of 100 years), top (2^64 - 1 - 3000) / 1000 */
		{ { .extra = PARAMS("\"emission_initial\": \"18446744073709548\"") },
		  { .extra = PARAMS("\"emission_initial\": \"18446744073709549\"") },
		  "genesis: params: field \"emission_initial\" is 18446744073709549; "
		  "allowed 0..18446744073709548" EMISSION_WHY },
		/* the chain that halted at its first epoch boundary */
		{ { 0 }, { .extra = PARAMS("\"emission_initial\": "
		                           "\"18446744073709551615\"") },
		  "genesis: params: field \"emission_initial\" is "
		  "18446744073709551615; allowed 0..18446744073709548" EMISSION_WHY },
		/* zero decay: F = every epoch of 100 years, 5259600 */
		{ { .extra = PARAMS("\"emission_decay_bps\": 0, "
		                    "\"emission_initial\": \"3507252276543\"") },
		  { .extra = PARAMS("\"emission_decay_bps\": 0, "
		                    "\"emission_initial\": \"3507252276544\"") },
		  "genesis: params: field \"emission_initial\" is 3507252276544; "
		  "allowed 0..3507252276543" EMISSION_WHY },
		/* zero decay, 10 ms blocks, 2-block epochs: 157788000000 epochs */
		{ { .btime = "10",
		    .extra = PARAMS("\"emission_decay_bps\": 0, \"epoch_blocks\": 2, "
		                    "\"challenge_deadline_blocks\": 1, "
		                    "\"emission_initial\": \"116908409\"") },
		  { .btime = "10",
		    .extra = PARAMS("\"emission_decay_bps\": 0, \"epoch_blocks\": 2, "
		                    "\"challenge_deadline_blocks\": 1, "
		                    "\"emission_initial\": \"116908410\"") },
		  "genesis: params: field \"emission_initial\" is 116908410; "
		  "allowed 0..116908409" EMISSION_WHY },
		/* a supply of 2^64 - 1 leaves no room for any emission */
		{ { .allocs = ALLOC_MAX,
		    .extra = PARAMS("\"emission_initial\": \"0\"") },
		  { .allocs = ALLOC_MAX },
		  "genesis: params: field \"emission_initial\" is 1000000000000; "
		  "allowed 0..0" EMISSION_WHY },

		/* every other param */
		P_RANGE_TOP("epoch_blocks", "2", "1000000", "1000001"),
		P_EDGE("\"challenge_deadline_blocks\": 1, ", "epoch_blocks", "2",
		       "1", "2", "1000000", ""),
		P_RANGE_TOP("unbonding_blocks", "1", "100000000", "100000001"),
		P_RANGE_BOTTOM("unbonding_blocks", "1", "0", "100000000"),
		P_RANGE_TOP("order_ttl_blocks", "1", "100000000", "100000001"),
		P_RANGE_BOTTOM("order_ttl_blocks", "1", "0", "100000000"),
		P_RANGE_TOP("max_bids_per_order", "1", "256", "257"),
		P_RANGE_BOTTOM("max_bids_per_order", "1", "0", "256"),
		P_RANGE_TOP("max_unbonding_entries", "1", "256", "257"),
		P_RANGE_BOTTOM("max_unbonding_entries", "1", "0", "256"),
		P_TOP("protocol_fee_bps", "10000", "10001"),
		P_TOP("emission_decay_bps", "10000", "10001"),
		P_TOP("hybrid_work_share_bps", "10000", "10001"),
		/* a price report's range, EMBER_PRICE_MAX */
		P_AMOUNT_EDGE("oracle_initial_uusd", "1000000000000",
		              "1000000000001", "0", "1000000000000"),
		P_RANGE_TOP("oracle_max_age_epochs", "1", "4294967295", "4294967296"),
		P_RANGE_BOTTOM("oracle_max_age_epochs", "1", "0", "4294967295"),
		P_EDGE("\"slash_declared_bps\": 0, ", "slash_fault_bps", "10000",
		       "10001", "0", "10000", ""),
		P_EDGE("\"slash_fault_bps\": 10000, ", "slash_declared_bps", "10000",
		       "10001", "0", "10000", ""),
		P_TOP("slash_double_sign_bps", "10000", "10001"),
		P_TOP("slash_cap_bps", "10000", "10001"),
		P_TOP("jail_epochs", "100000", "100001"),
		P_TOP("challenges_enabled", "1", "2"),
		P_EDGE("\"epoch_blocks\": 1000000, ", "challenge_deadline_blocks",
		       "999999", "1000000", "1", "999999", ""),
		P_RANGE_BOTTOM("challenge_deadline_blocks", "1", "0", "999999"),
		P_RANGE_TOP("proof_openings", "16", "4096", "4097"),
		P_RANGE_BOTTOM("proof_openings", "16", "15", "4096"),
		P_TOP("proof_pow_bits", "40", "41"),

		/* GPU classes */
		C_EDGE("id", CLS(65535, "a", 1, 1, 64), CLS(65536, "a", 1, 1, 64),
		       "65536", "1", "65535", ""),
		C_EDGE("id", CLS(1, "a", 1, 1, 64), CLS(0, "a", 1, 1, 64),
		       "0", "1", "65535", ""),
		C_EDGE("vram_gib", CLS(1, "a", 4294967295, 1, 64),
		       CLS(1, "a", 4294967296, 1, 64), "4294967296", "1",
		       "4294967295", ""),
		C_EDGE("vram_gib", CLS(1, "a", 1, 1, 64), CLS(1, "a", 0, 1, 64),
		       "0", "1", "4294967295", ""),
		/* (2^64 - 1) / EMBER_GPUS_MAX: a provider's whole minimum is
		 * a u64 amount */
		C_EDGE("min_stake_per_gpu", CLS(1, "a", 1, 4503599627370495, 64),
		       CLS(1, "a", 1, 4503599627370496, 64), "4503599627370496",
		       "0", "4503599627370495",
		       " (the stake of 4096 GPUs must fit in 64 bits)"),
		{ { .extra = CLASSES(CLS(1, "a", 1, 1, 8192)) },
		  { .extra = CLASSES(CLS(1, "a", 1, 1, 16384)) },
		  "genesis: gpu class 0: field \"challenge_n\" is 16384; allowed a "
		  "power of two in 64..8192" },
		{ { .extra = CLASSES(CLS(1, "a", 1, 1, 64)) },
		  { .extra = CLASSES(CLS(1, "a", 1, 1, 32)) },
		  "genesis: gpu class 0: field \"challenge_n\" is 32; allowed a "
		  "power of two in 64..8192" },
	};
	struct ember_genesis g;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		err[0] = '\0';
		if ((rc = parse_doc(&cases[i].ok, &g, err, sizeof(err))) != 0)
			fail_msg("case %zu: the edge is refused: %s", i, err);
		ember_genesis_release(&g);
		rc = parse_doc(&cases[i].bad, &g, err, sizeof(err));
		if (rc != EMBER_GEN_FORMAT || strcmp(err, cases[i].want) != 0)
			fail_msg("case %zu: rc %d, message\n  \"%s\", wanted\n  \"%s\"",
			         i, rc, err, cases[i].want);
		assert_null(g.allocs);
		assert_null(g.vals);
		assert_null(g.classes);
	}
}

/* The i-th valid x-only key found by counting x = 1, 2, ... (about half
 * of all x are on the curve); found once, kept for the process. */
static const uint8_t *count_key(size_t i)
{
	static uint8_t (*keys)[32];
	static size_t n;
	enum { KEYS = EMBER_GEN_MAX_ALLOC + EMBER_GEN_MAX_VALIDATORS + 2 };
	uint32_t x = 0;

	assert_true(i < KEYS);
	if (!keys) {
		keys = calloc(KEYS, 32);
		assert_non_null(keys);
		for (n = 0; n < KEYS; n++) {
			do {
				x++;
				keys[n][28] = (uint8_t)(x >> 24);
				keys[n][29] = (uint8_t)(x >> 16);
				keys[n][30] = (uint8_t)(x >> 8);
				keys[n][31] = (uint8_t)x;
			} while (!ember_pubkey_valid(keys[n]));
		}
	}
	return keys[i];
}

/* A document with n allocations or n validators, each a distinct valid
 * key.  Returns a malloc'd string. */
static char *big_doc(size_t nalloc, size_t nval)
{
	size_t cap = 256 + (nalloc + nval + 1) * 128, len = 0;
	char *out = malloc(cap);
	const uint8_t *pub;

	assert_non_null(out);
	len += (size_t)snprintf(out + len, cap - len,
	        "{\"chain_id\": \"c\", \"genesis_time_ms\": 1764000000000, "
	        "\"block_time_ms\": 1000, \"min_fee\": \"1000\", "
	        "\"token_model\": \"bme\", \"allocations\": [");
	for (size_t i = 0; i < nalloc + nval; i++) {
		char addr[EMBER_ADDR_BUFLEN], hex[65];

		pub = count_key(i);
		if (i < nalloc) {
			ember_addr_encode(pub, addr);
			len += (size_t)snprintf(out + len, cap - len,
			        "%s{\"address\": \"%s\", \"amount\": \"1000\"}",
			        i ? ", " : "", addr);
		} else {
			if (i == nalloc)
				len += (size_t)snprintf(out + len, cap - len,
				                        "], \"validators\": [");
			ember_hex_encode(pub, 32, hex);
			len += (size_t)snprintf(out + len, cap - len,
			        "%s{\"pubkey\": \"%s\", \"power\": 1}",
			        i > nalloc ? ", " : "", hex);
		}
	}
	if (nval == 0)   /* one validator, not counted */
		len += (size_t)snprintf(out + len, cap - len,
		        "], \"validators\": [{\"pubkey\": \"%s\", \"power\": 1}",
		        val1);
	len += (size_t)snprintf(out + len, cap - len, "]}");
	assert_true(len < cap);
	return out;
}

/* Counts: EMBER_GEN_MAX_ALLOC allocations and EMBER_GEN_MAX_VALIDATORS
 * validators are accepted, one more is refused.  (Classes: test_classes.) */
static void test_count_bounds(void **state)
{
	static const struct {
		size_t nalloc, nval;
		const char *want;   /* NULL: accepted */
	} cases[] = {
		{ EMBER_GEN_MAX_ALLOC, 0, NULL },
		{ EMBER_GEN_MAX_ALLOC + 1, 0,
		  "genesis: too many allocations (100001, at most 100000)" },
		{ 1, EMBER_GEN_MAX_VALIDATORS, NULL },
		{ 1, EMBER_GEN_MAX_VALIDATORS + 1,
		  "genesis: too many validators (129, at most 128)" },
	};
	struct ember_genesis g;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *json = big_doc(cases[i].nalloc, cases[i].nval);
		int rc = ember_genesis_parse(&g, json, strlen(json), err,
		                             sizeof(err));

		free(json);
		if (!cases[i].want) {
			if (rc != 0)
				fail_msg("case %zu: %s", i, err);
			assert_int_equal(g.nalloc, cases[i].nalloc);
			assert_int_equal(g.nval, cases[i].nval ? cases[i].nval : 1);
			ember_genesis_release(&g);
		} else if (rc != EMBER_GEN_FORMAT ||
		           strcmp(err, cases[i].want) != 0) {
			fail_msg("case %zu: rc %d, message \"%s\"", i, rc, err);
		}
	}
}

/* Untrusted text in messages is made printable and cut short. */
static void test_message_sanitized(void **state)
{
	struct doc d = { .chain_id = "\"bad\\nid\\u0007" 
	                             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	                             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"" };
	struct ember_genesis g;
	char err[256];

	(void)state;
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), EMBER_GEN_FORMAT);
	assert_non_null(strstr(err, "chain id 'bad?id?"));
	assert_non_null(strstr(err, "...'"));
	assert_null(strchr(err, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_save_load_roundtrip),
		cmocka_unit_test(test_hash_text_independent),
		cmocka_unit_test(test_hash_covers_fields),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_count_bounds),
		cmocka_unit_test(test_message_sanitized),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_params_partial),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_hash_covers_params_classes),
		cmocka_unit_test(test_save_load_params_classes),
		cmocka_unit_test(test_save_refuses_invalid),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
