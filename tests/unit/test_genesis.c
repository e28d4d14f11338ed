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

	/* edges that are allowed: max u64 amount, empty allocations, upper
	 * case hex, block time bounds, other token models */
	d.allocs = "[{\"address\": \"@A1\", \"amount\": \"18446744073709551615\"}]";
	d.btime = "10";
	d.model = "\"hybrid\"";
	assert_int_equal(parse_doc(&d, &g, err, sizeof(err)), 0);
	assert_int_equal(g.total_supply, UINT64_MAX);
	ember_genesis_release(&g);
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
		{ { .btime = "9" }, "block_time_ms 9 is out of range", NULL },
		{ { .btime = "600001" }, "block_time_ms 600001 is out of range", NULL },
		{ { .btime = "1000.0" }, "'block_time_ms' must be a non-negative integer", NULL },
		{ { .gtime = "\"1764000000000\"" }, "'genesis_time_ms' must be", NULL },
		{ { .gtime = "-1" }, "'genesis_time_ms' must be", NULL },
		{ { .model = "\"pow\"" }, "token model 'pow' is unknown", NULL },
		{ { .vals = "" }, "missing 'validators'", NULL },
		{ { .chain_id = "" }, "missing 'chain_id'", NULL },
		{ { .extra = ",\n  \"min_fee\": \"5\"" }, "duplicate", NULL },
		{ { .extra = "\n} trailing" }, "genesis: line", NULL },
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
		cmocka_unit_test(test_message_sanitized),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
