/*
 * cli_market.c - ember-cli's token-economy commands: staking, provider
 * registration, the GPU market (order, bid, accept, close, top-up), oracle
 * price reports, and the reads over the node's market RPC methods
 * (docs/rpc.md, "Market and token economy").
 *
 * Transactions are built here and handed to cli_submit() (cli_main.c),
 * which fills the common fields, signs, sends and waits, so every kind
 * goes to the node the same way.  What can be checked locally (counts,
 * amounts, addresses, region and endpoint syntax) is checked before any
 * RPC; what depends on the chain (the token model that decides a price's
 * unit, the class table) comes from getparams.
 *
 * Prices per GPU-hour are EMB under the sfa token model and US dollars
 * under bme and hybrid (micro-USD on the wire, docs/economics.md); an
 * oracle report is US dollars per EMB.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ember/addr.h"
#include "ember/amount.h"
#include "ember/codec.h"
#include "ember/tx.h"
#include "cli.h"

#define CM_USD_DECIMALS 6            /* micro-USD */
#define CM_PRICE_BUFLEN 64
#define CM_FIND_PAGE 1000

/* --- reading answers ---------------------------------------------------- */

static const char *cm_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "?";
}

static json_int_t cm_int(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* A u64 field sent as a decimal string (amounts) or an integer; 0 if
 * absent, which only a node speaking another version would do. */
static uint64_t cm_u64(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	uint64_t out = 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return (uint64_t)json_integer_value(v);
	if (json_is_string(v) && cli_parse_u64(json_string_value(v), &out) == 0)
		return out;
	return 0;
}

/* "12.5 EMB" from an amount field. */
static const char *cm_emb(json_t *o, const char *k, char buf[EMBER_AMOUNT_BUFLEN + 4])
{
	char a[EMBER_AMOUNT_BUFLEN];
	ember_amount_format(cm_u64(o, k), a);
	snprintf(buf, EMBER_AMOUNT_BUFLEN + 4, "%s EMB", a);
	return buf;
}

/* v / 10^decimals with trailing zeros dropped, keeping at least `keep`
 * decimals ("2.50" for dollars). */
static void cm_format_fixed(uint64_t v, unsigned decimals, unsigned keep,
                            char *out, size_t cap)
{
	uint64_t scale = 1;
	char frac[24];
	unsigned n = decimals;

	for (unsigned i = 0; i < decimals; i++)
		scale *= 10;
	snprintf(frac, sizeof frac, "%0*" PRIu64, (int)decimals, v % scale);
	while (n > keep && frac[n - 1] == '0')
		n--;
	frac[n] = '\0';
	snprintf(out, cap, "%" PRIu64 "%s%s", v / scale, n ? "." : "", frac);
}

/* A price in the unit the answer names ("price_unit"). */
static const char *cm_price(uint64_t v, int usd, char buf[CM_PRICE_BUFLEN])
{
	char a[48];
	if (usd) {
		cm_format_fixed(v, CM_USD_DECIMALS, 2, a, sizeof a);
		snprintf(buf, CM_PRICE_BUFLEN, "$%s", a);
	} else {
		ember_amount_format(v, a);
		snprintf(buf, CM_PRICE_BUFLEN, "%s EMB", a);
	}
	return buf;
}

static int cm_usd(json_t *answer)
{
	const char *u = json_string_value(json_object_get(answer, "price_unit"));
	return u && strcmp(u, "uusd") == 0;
}

static const char *cm_or_none(json_t *o, const char *k, char *buf, size_t cap)
{
	json_t *v = json_object_get(o, k);
	if (!v || json_is_null(v))
		return "none";
	if (json_is_integer(v))
		snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		snprintf(buf, cap, "%s", json_string_value(v) ? json_string_value(v) : "?");
	return buf;
}

/* What cli.h offers the other command files, so every file shows
 * amounts and prices one way. */
int cli_price_usd(json_t *answer)
{
	return cm_usd(answer);
}

const char *cli_price(uint64_t v, int usd, char buf[CLI_PRICE_BUFLEN])
{
	return cm_price(v, usd, buf);
}

const char *cli_emb(json_t *o, const char *k, char buf[CLI_EMB_BUFLEN])
{
	return cm_emb(o, k, buf);
}

uint64_t cli_u64(json_t *o, const char *k)
{
	return cm_u64(o, k);
}

const char *cli_str(json_t *o, const char *k)
{
	return cm_str(o, k);
}

/* --- parsing what people type ------------------------------------------- */

/* Decimal with at most `decimals` fractional digits, scaled to an integer
 * ("1.25" with 6 -> 1250000).  Returns: 0, EMBER_EPARSE, EMBER_ERANGE. */
static int cm_parse_fixed(const char *s, unsigned decimals, uint64_t *out)
{
	size_t ni = strspn(s, "0123456789"), nf = 0;
	uint64_t v = 0;

	if (ni == 0)
		return EMBER_EPARSE;
	if (s[ni] == '.') {
		nf = strspn(s + ni + 1, "0123456789");
		if (nf == 0 || nf > decimals || s[ni + 1 + nf] != '\0')
			return EMBER_EPARSE;
	} else if (s[ni] != '\0') {
		return EMBER_EPARSE;
	}
	for (size_t i = 0; i < ni; i++)
		if (!ember_mul_u64(v, 10, &v) || !ember_add_u64(v, (uint64_t)(s[i] - '0'), &v))
			return EMBER_ERANGE;
	for (unsigned i = 0; i < decimals; i++) {
		uint64_t d = i < nf ? (uint64_t)(s[ni + 1 + i] - '0') : 0;
		if (!ember_mul_u64(v, 10, &v) || !ember_add_u64(v, d, &v))
			return EMBER_ERANGE;
	}
	*out = v;
	return 0;
}

/* A whole number in [lo, hi]; what names it in the message. */
static int cm_parse_count(const char *what, const char *s, uint64_t lo, uint64_t hi,
                          uint64_t *out)
{
	if (cli_parse_u64(s, out) != 0 || *out < lo || *out > hi)
		return cli_fail(1, "invalid %s '%s': expected a whole number from %" PRIu64
		                " to %" PRIu64, what, s, lo, hi);
	return 0;
}

static int cm_parse_id(const char *what, const char *s, uint64_t *out)
{
	if (cli_parse_u64(s, out) != 0 || *out == 0)
		return cli_fail(1, "invalid %s '%s': expected an id (a whole number from 1)",
		                what, s);
	return 0;
}

/* A price per GPU-hour in the chain's unit (usd: dollars, else EMB). */
static int cm_parse_price(const char *what, const char *s, int usd, uint64_t *out)
{
	char lim[CM_PRICE_BUFLEN];
	int rc;

	if (usd) {
		rc = cm_parse_fixed(s, CM_USD_DECIMALS, out);
		if (rc == EMBER_EPARSE)
			return cli_fail(1, "invalid %s '%s': expected US dollars per GPU-hour "
			                "with at most 6 decimals, e.g. 2.5", what, s);
	} else {
		rc = ember_amount_parse(s, out);
		if (rc == EMBER_EPARSE)
			return cli_fail(1, "invalid %s '%s': expected EMB per GPU-hour with at "
			                "most 9 decimals, e.g. 0.75", what, s);
	}
	if (rc == EMBER_ERANGE || (rc == 0 && *out > EMBER_PRICE_MAX))
		return cli_fail(1, "invalid %s '%s': above the limit of %s per GPU-hour",
		                what, s, cm_price(EMBER_PRICE_MAX, usd, lim));
	if (*out == 0)
		return cli_fail(1, "invalid %s '%s': must be more than zero", what, s);
	return 0;
}

/* --- the chain's parameters --------------------------------------------- */

static int cm_params(struct cli *c, json_t **params)
{
	return cli_call(c, "getparams", NULL, params, NULL);
}

/* Class by id or name from getparams' table; *vram gets its minimum. */
static int cm_class(json_t *params, const char *s, uint16_t *id, uint64_t *vram)
{
	json_t *classes = json_object_get(params, "gpu_classes"), *cl;
	uint64_t want = 0;
	int by_id = cli_parse_u64(s, &want) == 0;
	size_t i;

	json_array_foreach(classes, i, cl) {
		const char *name = json_string_value(json_object_get(cl, "name"));
		json_int_t cid = cm_int(cl, "id");
		if ((by_id && (uint64_t)cid == want) || (!by_id && name && strcmp(name, s) == 0)) {
			*id = (uint16_t)cid;
			*vram = cm_u64(cl, "vram_gib");
			return 0;
		}
	}
	return cli_fail(1, "unknown gpu class '%s'; 'ember-cli params' lists them", s);
}

/* --- staking ------------------------------------------------------------ */

static int cm_amount_tx(struct cli *c, const struct cli_opts *o, uint8_t kind,
                        const char *s)
{
	struct ember_tx tx;
	memset(&tx, 0, sizeof tx);
	tx.kind = kind;
	if (cli_parse_tokens("amount", s, &tx.u.amount.amount))
		return 1;
	return cli_submit(c, o, &tx, NULL);
}

static int cm_show_stake(struct cli *c, const struct cli_opts *o, const char *addr);

/*
 * "stake AMOUNT --from K" bonds; "stake ADDRESS" shows a stake.  The two
 * cannot be confused: an address never parses as an amount.
 */
static int cmd_stake(struct cli *c, const struct cli_opts *o, char **args)
{
	uint64_t v;
	if (ember_amount_parse(args[0], &v) == EMBER_EPARSE) {
		if (o->seen & (CLI_O_TX & ~CLI_O_PASSFILE))
			return cli_fail(2, "'stake ADDRESS' shows a stake and takes no "
			                "transaction options; to bond, 'stake AMOUNT --from K'");
		return cm_show_stake(c, o, args[0]);
	}
	if (o->json)
		return cli_fail(2, "option '--json' applies to 'stake ADDRESS' only");
	if (!o->from)
		return cli_fail(2, "'stake AMOUNT' needs --from KEYSTORE");
	return cm_amount_tx(c, o, EMBER_TX_STAKE, args[0]);
}

static int cmd_unstake(struct cli *c, const struct cli_opts *o, char **args)
{
	return cm_amount_tx(c, o, EMBER_TX_UNSTAKE, args[0]);
}

static int cm_plain_tx(struct cli *c, const struct cli_opts *o, uint8_t kind)
{
	struct ember_tx tx;
	memset(&tx, 0, sizeof tx);
	tx.kind = kind;
	return cli_submit(c, o, &tx, NULL);
}

/*
 * Rewards are credited only at epoch boundaries, so a claim right after
 * staking or registering is refused: say so, with the block to wait for,
 * before the passphrase is asked.  The node would refuse it anyway ("nothing
 * to claim"); this only adds when.  The boundary runs at the end of every
 * block whose height is a multiple of epoch_blocks, so the next one after
 * tip H is the first such block above H.
 */
static int cmd_claim(struct cli *c, const struct cli_opts *o, char **args)
{
	char addr[EMBER_ADDR_BUFLEN];
	uint8_t pub[32];
	json_t *st = NULL, *params = NULL;
	uint64_t rewards, eb, h, next;
	int ret = 1;

	(void)args;
	if (cli_from_address(o, addr, pub) ||
	    cli_call(c, "getstake", json_pack("[s]", addr), &st, NULL) ||
	    cli_json_u64(c, st, "rewards", &rewards))
		goto out;
	if (rewards > 0) {
		ret = cm_plain_tx(c, o, EMBER_TX_CLAIM);
		goto out;
	}
	if (cm_params(c, &params) || cli_json_u64(c, params, "epoch_blocks", &eb) ||
	    cli_json_u64(c, params, "height", &h))
		goto out;
	next = eb ? (h / eb + 1) * eb : 0;
	if (next == 0)
		cli_fail(1, "nothing to claim: account '%s' has no accrued rewards", addr);
	else
		cli_fail(1, "nothing to claim: account '%s' has no accrued rewards; "
		         "rewards accrue at the epoch boundary, the next at block %"
		         PRIu64 " (the chain is at block %" PRIu64 "): claim after it",
		         addr, next, h);
out:
	json_decref(st);
	json_decref(params);
	return ret;
}

/* --- providers ---------------------------------------------------------- */

#define CM_PROV_OPTS (CLI_O_CLASS | CLI_O_GPUS | CLI_O_VRAM | CLI_O_REGION | \
                      CLI_O_PRICE | CLI_O_ENDPOINT)

/*
 * Register, or update: an update replaces every field on chain, so the
 * fields not given are taken from the provider's current record, and
 * "provider-update --price 2" changes only the price.
 */
static int cm_provider_tx(struct cli *c, const struct cli_opts *o, uint8_t kind)
{
	struct ember_tx tx;
	struct ember_tx_provider *p = &tx.u.provider;
	json_t *params = NULL, *cur = NULL;
	char from[EMBER_ADDR_BUFLEN], buf[24];
	uint8_t pub[32];
	uint64_t gpus = 0, vram = 0, min_vram = 0, price = 0;
	const char *region = o->region, *endpoint = o->endpoint, *cls = o->gpu_class;
	int usd, ret = 1;

	memset(&tx, 0, sizeof tx);
	tx.kind = kind;
	if (kind == EMBER_TX_PROV_UPDATE && !(o->seen & CM_PROV_OPTS))
		return cli_fail(2, "'provider-update' needs at least one of --class, "
		                "--gpus, --vram, --region, --price, --endpoint");
	if ((o->gpus && cm_parse_count("gpus", o->gpus, 1, EMBER_GPUS_MAX, &gpus)) ||
	    (o->vram && cm_parse_count("vram", o->vram, 1, UINT32_MAX, &vram)))
		return 1;
	if (region && !ember_region_valid(region, strlen(region)))
		return cli_fail(1, "invalid region '%s': 1 to %d characters of a-z, 0-9 "
		                "and '-'", region, EMBER_REGION_MAX);
	if (endpoint && !ember_endpoint_valid(endpoint, strlen(endpoint)))
		return cli_fail(1, "invalid endpoint '%s': 1 to %d printable characters "
		                "without spaces", endpoint, EMBER_ENDPOINT_MAX);
	if (cli_from_address(o, from, pub) || cm_params(c, &params))
		goto out;
	usd = cm_usd(params);
	if (o->price && cm_parse_price("price", o->price, usd, &price))
		goto out;
	if (kind == EMBER_TX_PROV_UPDATE) {
		if (cli_call(c, "getprovider", json_pack("[s]", from), &cur, NULL))
			goto out;
		if (!o->gpus)
			gpus = cm_u64(cur, "gpus");
		if (!o->vram)
			vram = cm_u64(cur, "vram_gib");
		if (!o->price)
			price = cm_u64(cur, "price_per_gpu_hour");
		if (!region)
			region = cm_str(cur, "region");
		if (!endpoint)
			endpoint = cm_str(cur, "endpoint");
		if (!cls) {
			snprintf(buf, sizeof buf, "%" PRIu64, cm_u64(cur, "gpu_class"));
			cls = buf;
		}
	}
	if (cm_class(params, cls, &p->gpu_class, &min_vram))
		goto out;
	if (vram < min_vram) {
		cli_fail(1, "vram %" PRIu64 " GiB is below the %" PRIu64 " GiB gpu class "
		         "'%s' requires", vram, min_vram, cls);
		goto out;
	}
	p->gpus = (uint32_t)gpus;
	p->vram_gib = (uint32_t)vram;
	p->price_per_gpu_hour = price;
	if (ember_tx_set_provider_strings(p, region, endpoint) != 0) {
		cli_fail(1, "the provider's region '%s' or endpoint '%s' is not valid",
		         region, endpoint);
		goto out;
	}
	ret = cli_submit(c, o, &tx, NULL);
out:
	json_decref(params);
	json_decref(cur);
	return ret;
}

static int cmd_provider_register(struct cli *c, const struct cli_opts *o, char **args)
{
	return cm_provider_tx(c, o, EMBER_TX_PROV_REGISTER);
}

static int cmd_provider_update(struct cli *c, const struct cli_opts *o, char **args)
{
	return cm_provider_tx(c, o, EMBER_TX_PROV_UPDATE);
}

static int cmd_provider_retire(struct cli *c, const struct cli_opts *o, char **args)
{
	return cm_plain_tx(c, o, EMBER_TX_PROV_RETIRE);
}

static int cmd_maintenance(struct cli *c, const struct cli_opts *o, char **args)
{
	struct ember_tx tx;
	memset(&tx, 0, sizeof tx);
	tx.kind = EMBER_TX_MAINTENANCE;
	if (cli_parse_u64(args[0], &tx.u.maint.epoch) != 0)
		return cli_fail(1, "invalid epoch '%s': expected a whole number", args[0]);
	return cli_submit(c, o, &tx, NULL);
}

/* --- the market --------------------------------------------------------- */

/*
 * The id of the order tx created in block height: the tenant's orders are
 * listed in id order, which is creation order, so the walk stops at the
 * first one created later.  0 when none matches (the tx did not apply).
 */
static uint64_t cm_find_order(struct cli *c, const char *tenant, uint64_t height,
                              const struct ember_tx_order *want)
{
	uint64_t after = 0, found = 0;

	for (;;) {
		json_t *res, *orders, *ord;
		size_t i;
		int done = 0;

		if (cli_call(c, "listorders", json_pack("{s:s, s:I, s:i}", "tenant", tenant,
		             "after", (json_int_t)after, "limit", CM_FIND_PAGE), &res, NULL))
			return 0;
		orders = json_object_get(res, "orders");
		json_array_foreach(orders, i, ord) {
			uint64_t h = cm_u64(ord, "created_height");
			if (h > height) {
				done = 1;
				break;
			}
			if (h == height && cm_u64(ord, "gpu_class") == want->gpu_class &&
			    cm_u64(ord, "gpus") == want->gpus &&
			    cm_u64(ord, "deposit") == want->deposit &&
			    cm_u64(ord, "duration_blocks") == want->duration_blocks &&
			    cm_u64(ord, "max_price_per_gpu_hour") == want->max_price_per_gpu_hour)
				found = cm_u64(ord, "id");
		}
		json_t *next = json_object_get(res, "next");
		if (done || !json_is_integer(next)) {
			json_decref(res);
			return found;
		}
		after = (uint64_t)json_integer_value(next);
		json_decref(res);
	}
}

static int cm_show_order(struct cli *c, const struct cli_opts *o, const char *id);

/* "order --class ... --from K" posts an order; "order ID" shows one. */
static int cmd_order(struct cli *c, const struct cli_opts *o, char **args)
{
	static const unsigned need[] = { CLI_O_CLASS, CLI_O_GPUS, CLI_O_MAX_PRICE,
	                                 CLI_O_DURATION, CLI_O_DEPOSIT, CLI_O_FROM };
	static const char *const names[] = { "class", "gpus", "max-price", "duration",
	                                     "deposit", "from" };
	struct ember_tx tx;
	struct ember_tx_order *ord = &tx.u.order;
	json_t *params = NULL;
	char from[EMBER_ADDR_BUFLEN];
	uint8_t pub[32];
	uint64_t gpus, duration, vram, height = 0;
	int ret = 1;

	if (args[0]) {
		if (o->seen & ~(CLI_O_JSON | CLI_O_PASSFILE))
			return cli_fail(2, "'order ID' shows an order and takes only --json");
		return cm_show_order(c, o, args[0]);
	}
	if (o->json)
		return cli_fail(2, "option '--json' applies to 'order ID' only");
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
		if (!(o->seen & need[i]))
			return cli_fail(2, "'order' needs --%s (or an order id to show one)",
			                names[i]);
	memset(&tx, 0, sizeof tx);
	tx.kind = EMBER_TX_ORDER;
	if (cm_parse_count("gpus", o->gpus, 1, EMBER_GPUS_MAX, &gpus) ||
	    cm_parse_count("duration", o->duration, 1, EMBER_DURATION_MAX, &duration) ||
	    cli_parse_tokens("deposit", o->deposit, &ord->deposit))
		return 1;
	if (cli_from_address(o, from, pub) || cm_params(c, &params) ||
	    cm_class(params, o->gpu_class, &ord->gpu_class, &vram) ||
	    cm_parse_price("max-price", o->max_price, cm_usd(params),
	                   &ord->max_price_per_gpu_hour))
		goto out;
	ord->gpus = (uint32_t)gpus;
	ord->duration_blocks = duration;
	ret = cli_submit(c, o, &tx, &height);
	if (ret == 0 && height) {
		uint64_t id = cm_find_order(c, from, height, ord);
		if (id)
			printf("order %" PRIu64 "\n", id);
	}
out:
	json_decref(params);
	return ret;
}

static int cmd_bid(struct cli *c, const struct cli_opts *o, char **args)
{
	struct ember_tx tx;
	json_t *params = NULL;
	int ret = 1;

	memset(&tx, 0, sizeof tx);
	tx.kind = EMBER_TX_BID;
	if (cm_parse_id("order id", args[0], &tx.u.bid.order_id) || cm_params(c, &params))
		goto out;
	if (cm_parse_price("price", args[1], cm_usd(params), &tx.u.bid.price_per_gpu_hour))
		goto out;
	ret = cli_submit(c, o, &tx, NULL);
out:
	json_decref(params);
	return ret;
}

static int cmd_accept(struct cli *c, const struct cli_opts *o, char **args)
{
	struct ember_tx tx;
	uint64_t height = 0;
	json_t *ord;
	int ret;

	memset(&tx, 0, sizeof tx);
	tx.kind = EMBER_TX_ACCEPT;
	if (cm_parse_id("order id", args[0], &tx.u.accept.order_id) ||
	    cli_parse_addr(args[1], tx.u.accept.provider))
		return 1;
	ret = cli_submit(c, o, &tx, &height);
	/* Once committed, the order names the lease it became. */
	if (ret == 0 && height &&
	    cli_call(c, "getorder", json_pack("[I]", (json_int_t)tx.u.accept.order_id),
	             &ord, NULL) == 0) {
		if (json_is_integer(json_object_get(ord, "lease_id")))
			printf("lease %" JSON_INTEGER_FORMAT "\n", cm_int(ord, "lease_id"));
		json_decref(ord);
	}
	return ret;
}

static int cmd_close(struct cli *c, const struct cli_opts *o, char **args)
{
	struct ember_tx tx;
	memset(&tx, 0, sizeof tx);
	tx.kind = EMBER_TX_CLOSE;
	if (cm_parse_id("lease id", args[0], &tx.u.ref.id))
		return 1;
	return cli_submit(c, o, &tx, NULL);
}

static int cmd_topup(struct cli *c, const struct cli_opts *o, char **args)
{
	struct ember_tx tx;
	memset(&tx, 0, sizeof tx);
	tx.kind = EMBER_TX_TOPUP;
	if (cm_parse_id("lease id", args[0], &tx.u.amount.lease_id) ||
	    cli_parse_tokens("amount", args[1], &tx.u.amount.amount))
		return 1;
	return cli_submit(c, o, &tx, NULL);
}

static int cmd_price_report(struct cli *c, const struct cli_opts *o, char **args)
{
	struct ember_tx tx;
	int rc;

	memset(&tx, 0, sizeof tx);
	tx.kind = EMBER_TX_PRICE;
	rc = cm_parse_fixed(args[0], CM_USD_DECIMALS, &tx.u.price.price_uusd);
	if (rc == EMBER_EPARSE)
		return cli_fail(1, "invalid price '%s': expected US dollars per EMB with "
		                "at most 6 decimals, e.g. 1.25", args[0]);
	if (rc == EMBER_ERANGE || tx.u.price.price_uusd > EMBER_PRICE_MAX ||
	    tx.u.price.price_uusd == 0)
		return cli_fail(1, "invalid price '%s': must be more than zero and at "
		                "most 1000000 dollars", args[0]);
	return cli_submit(c, o, &tx, NULL);
}

/* --- reads -------------------------------------------------------------- */

/* Call method; print the answer raw with --json, else with show(). */
static int cm_read(struct cli *c, const struct cli_opts *o, const char *method,
                   json_t *params, void (*show)(json_t *res))
{
	json_t *res;
	if (cli_call(c, method, params, &res, NULL))
		return 1;
	if (cli_want_json(o))
		cli_print_json(res);
	else
		show(res);
	json_decref(res);
	return 0;
}

/* The "next" cursor of a list answer, as the option that fetches it. */
static void cm_next(json_t *res, const char *what)
{
	json_t *next = json_object_get(res, "next");
	if (json_is_string(next))
		printf("(more %s: --after %s)\n", what, json_string_value(next));
	else if (json_is_integer(next))
		printf("(more %s: --after %" JSON_INTEGER_FORMAT ")\n", what,
		       json_integer_value(next));
}

/* Add address s (when given) to params as key; prints what is wrong and
 * returns 1 when it is not an address. */
static int cm_addr_param(json_t *params, const char *key, const char *s)
{
	uint8_t pub[32];

	if (!s)
		return 0;
	if (cli_parse_addr(s, pub))
		return 1;
	json_object_set_new(params, key, json_string(s));
	return 0;
}

/*
 * A list read (listproviders, listorders, listleases): every filter option
 * given goes to the param of its name, and the command's table entry
 * decides which options it accepts, so each list only gets its own.
 * --after is an id, or an address where after_is_id is 0 (providers).
 */
static int cm_list(struct cli *c, const struct cli_opts *o, const char *method,
                   int after_is_id, void (*show)(json_t *res))
{
	json_t *params = json_object();
	uint64_t v;

	if (!params)
		return cli_fail(1, "out of memory");
	if (o->gpu_class)
		json_object_set_new(params, "class", cli_parse_u64(o->gpu_class, &v) == 0 ?
		                    json_integer((json_int_t)v) : json_string(o->gpu_class));
	if (o->region)
		json_object_set_new(params, "region", json_string(o->region));
	if (cm_addr_param(params, "tenant", o->tenant) ||
	    cm_addr_param(params, "provider", o->provider))
		goto bad;
	if (o->status)
		json_object_set_new(params, "status", json_string(o->status));
	if (o->after && !after_is_id) {
		if (cm_addr_param(params, "after", o->after))
			goto bad;
	} else if (o->after) {
		if (cli_parse_u64(o->after, &v) != 0) {
			cli_fail(1, "invalid after '%s': expected an id", o->after);
			goto bad;
		}
		json_object_set_new(params, "after", json_integer((json_int_t)v));
	}
	if (o->limit) {
		if (cm_parse_count("limit", o->limit, 1, 1000, &v))
			goto bad;
		json_object_set_new(params, "limit", json_integer((json_int_t)v));
	}
	return cm_read(c, o, method, params, show);
bad:
	json_decref(params);
	return 1;
}

/* A list answer as one row() line per item of its array `what` (prices in
 * the answer's unit), then the cursor to the next page. */
static void cm_rows(json_t *res, const char *what, void (*row)(json_t *item, int usd))
{
	json_t *list = json_object_get(res, what), *item;
	int usd = cm_usd(res);
	size_t i;

	if (json_array_size(list) == 0) {
		printf("no %s\n", what);
		return;
	}
	json_array_foreach(list, i, item)
		row(item, usd);
	cm_next(res, what);
}

static void show_provider(json_t *p)
{
	char b1[CM_PRICE_BUFLEN], b2[EMBER_AMOUNT_BUFLEN + 4], b3[EMBER_AMOUNT_BUFLEN + 4],
	     b4[EMBER_AMOUNT_BUFLEN + 4], b5[EMBER_AMOUNT_BUFLEN + 4], b6[24];
	json_t *s = json_object_get(p, "stake"), *up = json_object_get(p, "uptime");
	int usd = cm_usd(p);

	printf("provider   %s\n", cm_str(p, "address"));
	if (json_is_true(json_object_get(p, "eligible")))
		printf("status     %s, eligible\n", cm_str(p, "status"));
	else
		printf("status     %s, not eligible: %s\n", cm_str(p, "status"),
		       cm_str(p, "ineligible_reason"));
	printf("gpus       %" JSON_INTEGER_FORMAT " x %s (class %" JSON_INTEGER_FORMAT
	       "), %" JSON_INTEGER_FORMAT " GiB each\n", cm_int(p, "gpus"),
	       cm_str(p, "class_name"), cm_int(p, "gpu_class"), cm_int(p, "vram_gib"));
	printf("in use     %" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT " open leases), %"
	       JSON_INTEGER_FORMAT " free at block %" JSON_INTEGER_FORMAT "\n",
	       cm_int(p, "gpus_in_use"), cm_int(p, "leases_open"), cm_int(p, "gpus_free"),
	       cm_int(p, "height"));
	printf("price      %s per GPU-hour\n", cm_price(cm_u64(p, "price_per_gpu_hour"), usd, b1));
	printf("region     %s\n", cm_str(p, "region"));
	printf("endpoint   %s\n", cm_str(p, "endpoint"));
	if (cm_u64(p, "min_stake"))
		printf("stake      %s bonded (minimum %s), %s unbonding\n",
		       cm_emb(s, "amount", b2), cm_emb(p, "min_stake", b3),
		       cm_emb(s, "unbonding", b4));
	else
		printf("stake      %s bonded (no minimum), %s unbonding\n",
		       cm_emb(s, "amount", b2), cm_emb(s, "unbonding", b4));
	printf("rewards    %s claimable\n", cm_emb(s, "rewards", b5));
	printf("uptime     %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT " last epoch, %"
	       JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT " last 7, %" JSON_INTEGER_FORMAT
	       "/%" JSON_INTEGER_FORMAT " last 30 (passed/known)\n",
	       cm_int(json_object_get(up, "last_1"), "passed"),
	       cm_int(json_object_get(up, "last_1"), "known"),
	       cm_int(json_object_get(up, "last_7"), "passed"),
	       cm_int(json_object_get(up, "last_7"), "known"),
	       cm_int(json_object_get(up, "last_30"), "passed"),
	       cm_int(json_object_get(up, "last_30"), "known"));
	printf("work       %" JSON_INTEGER_FORMAT " GPU-blocks in epoch %s, %"
	       JSON_INTEGER_FORMAT " all time\n", cm_int(p, "work"),
	       cm_or_none(p, "work_epoch", b6, sizeof b6), cm_int(p, "work_total"));
	if (json_is_integer(json_object_get(p, "challenge_epoch")))
		printf("challenge  %s in epoch %" JSON_INTEGER_FORMAT "\n",
		       cm_str(p, "challenge_result"), cm_int(p, "challenge_epoch"));
	if (cm_u64(s, "slashed_total"))
		printf("slashed    %s all time\n", cm_emb(s, "slashed_total", b5));
	if (json_is_true(json_object_get(p, "jailed")))
		printf("jailed     free again in epoch %" JSON_INTEGER_FORMAT " (a missed or "
		       "failed challenge, or a double sign)\n", cm_int(p, "jailed_until"));
	if (json_is_integer(json_object_get(p, "maintenance_epoch")))
		printf("downtime   declared for epoch %" JSON_INTEGER_FORMAT "\n",
		       cm_int(p, "maintenance_epoch"));
	printf("registered at block %" JSON_INTEGER_FORMAT ", updated at block %"
	       JSON_INTEGER_FORMAT "\n", cm_int(p, "registered_height"),
	       cm_int(p, "updated_height"));
}

static int cmd_provider(struct cli *c, const struct cli_opts *o, char **args)
{
	uint8_t pub[32];
	if (cli_parse_addr(args[0], pub))
		return 1;
	return cm_read(c, o, "getprovider", json_pack("[s]", args[0]), show_provider);
}

static void provider_row(json_t *p, int usd)
{
	char b1[CM_PRICE_BUFLEN];

	printf("%s  %-7s %4" JSON_INTEGER_FORMAT " x %-12s %4" JSON_INTEGER_FORMAT
	       " in use  %s/GPU-h  %s\n", cm_str(p, "address"), cm_str(p, "status"),
	       cm_int(p, "gpus"), cm_str(p, "class_name"), cm_int(p, "gpus_in_use"),
	       cm_price(cm_u64(p, "price_per_gpu_hour"), usd, b1), cm_str(p, "region"));
}

static void show_providers(json_t *res)
{
	cm_rows(res, "providers", provider_row);
}

static int cmd_providers(struct cli *c, const struct cli_opts *o, char **args)
{
	return cm_list(c, o, "listproviders", 0, show_providers);
}

static void show_order(json_t *ord)
{
	char b1[CM_PRICE_BUFLEN], b2[EMBER_AMOUNT_BUFLEN + 4], b3[24];
	json_t *bids = json_object_get(ord, "bids"), *b;
	int usd = cm_usd(ord);
	size_t i;

	printf("order      %" JSON_INTEGER_FORMAT " (%s)\n", cm_int(ord, "id"),
	       cm_str(ord, "status"));
	printf("tenant     %s\n", cm_str(ord, "tenant"));
	printf("wants      %" JSON_INTEGER_FORMAT " x %s for %" JSON_INTEGER_FORMAT
	       " blocks at most %s per GPU-hour\n", cm_int(ord, "gpus"),
	       cm_str(ord, "class_name"), cm_int(ord, "duration_blocks"),
	       cm_price(cm_u64(ord, "max_price_per_gpu_hour"), usd, b1));
	printf("deposit    %s\n", cm_emb(ord, "deposit", b2));
	printf("created    block %" JSON_INTEGER_FORMAT ", open until block %"
	       JSON_INTEGER_FORMAT "\n", cm_int(ord, "created_height"),
	       cm_int(ord, "expires_height"));
	printf("lease      %s\n", cm_or_none(ord, "lease_id", b3, sizeof b3));
	if (bids) {
		/* Bids are released when the order is leased or expires. */
		json_int_t placed = cm_int(ord, "bids_placed");
		if (json_array_size(bids) == 0 && placed > 0)
			printf("bids       0 (%" JSON_INTEGER_FORMAT " received, released "
			       "when the order closed)\n", placed);
		else
			printf("bids       %zu\n", json_array_size(bids));
		json_array_foreach(bids, i, b)
			printf("  %s  %s per GPU-hour (block %" JSON_INTEGER_FORMAT ")\n",
			       cm_str(b, "provider"),
			       cm_price(cm_u64(b, "price_per_gpu_hour"), usd, b1),
			       cm_int(b, "height"));
	}
}

static int cm_show_order(struct cli *c, const struct cli_opts *o, const char *id)
{
	uint64_t v;
	if (cm_parse_id("order id", id, &v))
		return 1;
	return cm_read(c, o, "getorder", json_pack("[I]", (json_int_t)v), show_order);
}

static void order_row(json_t *ord, int usd)
{
	char b1[CM_PRICE_BUFLEN], b2[EMBER_AMOUNT_BUFLEN + 4];

	printf("%6" JSON_INTEGER_FORMAT "  %-7s %4" JSON_INTEGER_FORMAT " x %-12s max %s/GPU-h"
	       "  deposit %s  %" JSON_INTEGER_FORMAT " %s  %s\n", cm_int(ord, "id"),
	       cm_str(ord, "status"), cm_int(ord, "gpus"), cm_str(ord, "class_name"),
	       cm_price(cm_u64(ord, "max_price_per_gpu_hour"), usd, b1),
	       cm_emb(ord, "deposit", b2), cm_int(ord, "bid_count"),
	       cm_int(ord, "bid_count") == 1 ? "bid " : "bids", cm_str(ord, "tenant"));
}

static void show_orders(json_t *res)
{
	cm_rows(res, "orders", order_row);
}

static int cmd_orders(struct cli *c, const struct cli_opts *o, char **args)
{
	return cm_list(c, o, "listorders", 1, show_orders);
}

static void show_lease(json_t *l)
{
	char b1[CM_PRICE_BUFLEN], b2[EMBER_AMOUNT_BUFLEN + 4], b3[EMBER_AMOUNT_BUFLEN + 4],
	     b4[EMBER_AMOUNT_BUFLEN + 4];
	json_t *dry = json_object_get(l, "runs_dry_height");
	int usd = cm_usd(l);

	if (json_is_null(json_object_get(l, "close_height")))
		printf("lease      %" JSON_INTEGER_FORMAT " (open)\n", cm_int(l, "id"));
	else
		printf("lease      %" JSON_INTEGER_FORMAT " (closed at block %" JSON_INTEGER_FORMAT
		       ": %s)\n", cm_int(l, "id"), cm_int(l, "close_height"),
		       cm_str(l, "close_reason"));
	printf("order      %" JSON_INTEGER_FORMAT "\n", cm_int(l, "order_id"));
	printf("tenant     %s\n", cm_str(l, "tenant"));
	printf("provider   %s\n", cm_str(l, "provider"));
	printf("gpus       %" JSON_INTEGER_FORMAT " x %s at %s per GPU-hour\n",
	       cm_int(l, "gpus"), cm_str(l, "class_name"),
	       cm_price(cm_u64(l, "price_per_gpu_hour"), usd, b1));
	printf("blocks     %" JSON_INTEGER_FORMAT " to %" JSON_INTEGER_FORMAT
	       ", settled to %" JSON_INTEGER_FORMAT "\n", cm_int(l, "start_height"),
	       cm_int(l, "end_height"), cm_int(l, "settled_height"));
	printf("escrow     %s; paid %s of %s deposited\n", cm_emb(l, "escrow", b2),
	       cm_emb(l, "paid", b3), cm_emb(l, "deposited", b4));
	if (json_is_integer(dry))
		printf("runs dry   at block %" JSON_INTEGER_FORMAT " at the current rate\n",
		       json_integer_value(dry));
	else if (dry)
		printf("runs dry   no: paid to its end\n");
}

static int cmd_lease(struct cli *c, const struct cli_opts *o, char **args)
{
	uint64_t v;
	if (cm_parse_id("lease id", args[0], &v))
		return 1;
	return cm_read(c, o, "getlease", json_pack("[I]", (json_int_t)v), show_lease);
}

static void lease_row(json_t *l, int usd)
{
	char b1[CM_PRICE_BUFLEN], b2[EMBER_AMOUNT_BUFLEN + 4], b3[EMBER_AMOUNT_BUFLEN + 4];

	printf("%6" JSON_INTEGER_FORMAT "  %-6s %4" JSON_INTEGER_FORMAT " x %-12s %s/GPU-h"
	       "  escrow %s  paid %s  %s -> %s\n", cm_int(l, "id"), cm_str(l, "status"),
	       cm_int(l, "gpus"), cm_str(l, "class_name"),
	       cm_price(cm_u64(l, "price_per_gpu_hour"), usd, b1),
	       cm_emb(l, "escrow", b2), cm_emb(l, "paid", b3), cm_str(l, "tenant"),
	       cm_str(l, "provider"));
}

static void show_leases(json_t *res)
{
	cm_rows(res, "leases", lease_row);
}

static int cmd_leases(struct cli *c, const struct cli_opts *o, char **args)
{
	return cm_list(c, o, "listleases", 1, show_leases);
}

static void show_stake(json_t *s)
{
	char b1[EMBER_AMOUNT_BUFLEN + 4], b2[EMBER_AMOUNT_BUFLEN + 4];
	json_t *entries = json_object_get(s, "unbonding_entries"), *e;
	size_t i;

	printf("account    %s\n", cm_str(s, "address"));
	printf("bonded     %s\n", cm_emb(s, "amount", b1));
	printf("unbonding  %s in %zu entries\n", cm_emb(s, "unbonding", b1),
	       json_array_size(entries));
	json_array_foreach(entries, i, e)
		printf("  %s released at block %" JSON_INTEGER_FORMAT "\n",
		       cm_emb(e, "amount", b1), cm_int(e, "release_height"));
	printf("rewards    %s claimable, %s all time\n", cm_emb(s, "rewards", b1),
	       cm_emb(s, "rewards_total", b2));
	printf("slashed    %s all time\n", cm_emb(s, "slashed_total", b1));
}

static int cm_show_stake(struct cli *c, const struct cli_opts *o, const char *addr)
{
	uint8_t pub[32];
	if (cli_parse_addr(addr, pub))
		return 1;
	return cm_read(c, o, "getstake", json_pack("[s]", addr), show_stake);
}

static void show_supply(json_t *s)
{
	char b1[EMBER_AMOUNT_BUFLEN + 4], b2[EMBER_AMOUNT_BUFLEN + 4];
	json_t *cur = json_object_get(s, "current_epoch"), *ep = json_object_get(s, "requested_epoch");

	printf("at block %" JSON_INTEGER_FORMAT ", epoch %" JSON_INTEGER_FORMAT "\n",
	       cm_int(s, "height"), cm_int(s, "epoch"));
	printf("total        %s\n", cm_emb(s, "total", b1));
	printf("circulating  %s\n", cm_emb(s, "circulating", b1));
	printf("staked       %s\n", cm_emb(s, "staked", b1));
	printf("unbonding    %s\n", cm_emb(s, "unbonding", b1));
	printf("escrow       %s\n", cm_emb(s, "escrow", b1));
	printf("rewards      %s\n", cm_emb(s, "rewards", b1));
	printf("minted       %s all time, %s this epoch\n", cm_emb(s, "minted", b1),
	       cm_emb(cur, "minted", b2));
	printf("burned       %s all time, %s this epoch\n", cm_emb(s, "burned", b1),
	       cm_emb(cur, "burned", b2));
	printf("next emission %s\n", cm_emb(s, "emission_next", b1));
	if (ep) {
		printf("epoch %" JSON_INTEGER_FORMAT "%s: minted %s, burned %s\n",
		       cm_int(ep, "epoch"), json_is_true(json_object_get(ep, "closed")) ?
		       "" : " (running)", cm_emb(ep, "minted", b1), cm_emb(ep, "burned", b2));
		if (json_is_true(json_object_get(ep, "closed")))
			printf("  emission %s, work %" JSON_INTEGER_FORMAT " GPU-blocks, %"
			       JSON_INTEGER_FORMAT " providers rewarded, %" JSON_INTEGER_FORMAT
			       " failed, slashed %s\n", cm_emb(ep, "emission", b1),
			       cm_int(ep, "work"), cm_int(ep, "providers_rewarded"),
			       cm_int(ep, "providers_failed"), cm_emb(ep, "slashed", b2));
		if (json_is_true(json_object_get(ep, "closed")))
			printf("  challenges %" JSON_INTEGER_FORMAT " passed, %"
			       JSON_INTEGER_FORMAT " failed, %" JSON_INTEGER_FORMAT
			       " missing; providers jailed %" JSON_INTEGER_FORMAT "\n",
			       cm_int(ep, "challenges_passed"), cm_int(ep, "challenges_failed"),
			       cm_int(ep, "challenges_missing"), cm_int(ep, "providers_jailed"));
	}
}

static int cmd_supply(struct cli *c, const struct cli_opts *o, char **args)
{
	uint64_t e;
	if (!o->epoch)
		return cm_read(c, o, "getsupply", NULL, show_supply);
	if (cli_parse_u64(o->epoch, &e) != 0)
		return cli_fail(1, "invalid epoch '%s': expected a whole number", o->epoch);
	return cm_read(c, o, "getsupply", json_pack("[I]", (json_int_t)e), show_supply);
}

static void show_netstats(json_t *s)
{
	json_t *classes = json_object_get(s, "classes"), *cl, *t = json_object_get(s, "totals");
	char b1[CM_PRICE_BUFLEN], b2[CM_PRICE_BUFLEN], b3[CM_PRICE_BUFLEN];
	int usd = cm_usd(s);
	size_t i;

	printf("at block %" JSON_INTEGER_FORMAT ", epoch %" JSON_INTEGER_FORMAT "\n",
	       cm_int(s, "height"), cm_int(s, "epoch"));
	printf("%-14s %9s %6s %6s %7s  %s\n", "class", "providers", "gpus", "leased",
	       "util %", "ask min / median / max per GPU-hour");
	json_array_foreach(classes, i, cl) {
		json_t *ask = json_object_get(cl, "ask_price");
		printf("%-14s %9" JSON_INTEGER_FORMAT " %6" JSON_INTEGER_FORMAT " %6"
		       JSON_INTEGER_FORMAT " %7s  ", cm_str(cl, "name"), cm_int(cl, "providers"),
		       cm_int(cl, "gpus"), cm_int(cl, "gpus_leased"),
		       cm_str(cl, "utilization_pct"));
		if (json_is_object(ask))
			printf("%s / %s / %s\n", cm_price(cm_u64(ask, "min"), usd, b1),
			       cm_price(cm_u64(ask, "median"), usd, b2),
			       cm_price(cm_u64(ask, "max"), usd, b3));
		else
			printf("-\n");
	}
	printf("%-14s %9" JSON_INTEGER_FORMAT " %6" JSON_INTEGER_FORMAT " %6"
	       JSON_INTEGER_FORMAT " %7s\n", "all", cm_int(t, "providers"), cm_int(t, "gpus"),
	       cm_int(t, "gpus_leased"), cm_str(t, "utilization_pct"));
	printf("%" JSON_INTEGER_FORMAT " open orders, %" JSON_INTEGER_FORMAT
	       " open leases, %" JSON_INTEGER_FORMAT " retired providers\n",
	       cm_int(t, "open_orders"), cm_int(t, "open_leases"),
	       cm_int(t, "providers_retired"));
}

static int cmd_netstats(struct cli *c, const struct cli_opts *o, char **args)
{
	return cm_read(c, o, "getnetworkstats", NULL, show_netstats);
}

static void show_params(json_t *s)
{
	json_t *params = json_object_get(s, "params"), *v, *cl;
	json_t *oracle = json_object_get(s, "oracle");
	char b1[CM_PRICE_BUFLEN], b2[EMBER_AMOUNT_BUFLEN + 4];
	const char *k;
	size_t i;

	printf("chain          %s, token model %s, prices in %s\n", cm_str(s, "chain_id"),
	       cm_str(s, "token_model"), cm_usd(s) ? "US dollars" : "EMB");
	printf("block time     %" JSON_INTEGER_FORMAT " ms, %" JSON_INTEGER_FORMAT
	       " blocks per epoch, min fee %s\n", cm_int(s, "block_time_ms"),
	       cm_int(s, "epoch_blocks"), cm_emb(s, "min_fee", b2));
	printf("now            block %" JSON_INTEGER_FORMAT ", epoch %" JSON_INTEGER_FORMAT "\n",
	       cm_int(s, "height"), cm_int(s, "epoch"));
	printf("oracle         %s per EMB since epoch %" JSON_INTEGER_FORMAT " (%s)\n",
	       cm_price(cm_u64(oracle, "price_uusd"), 1, b1), cm_int(oracle, "epoch"),
	       json_is_true(json_object_get(oracle, "fresh")) ? "fresh" : "stale");
	printf("parameters\n");
	/* Amounts are strings of base units, shown in EMB; *_uusd are
	 * micro-dollars; flags are JSON booleans (not integers: read as one,
	 * challenges_enabled showed 0 on a chain that had them on). */
	json_object_foreach(params, k, v) {
		size_t kl = strlen(k);
		if (kl > 5 && !strcmp(k + kl - 5, "_uusd"))
			printf("  %-24s %s\n", k, cm_price(cm_u64(params, k), 1, b1));
		else if (json_is_string(v))
			printf("  %-24s %s\n", k, cm_emb(params, k, b2));
		else if (json_is_boolean(v))
			printf("  %-24s %s\n", k, json_is_true(v) ? "yes" : "no");
		else
			printf("  %-24s %" JSON_INTEGER_FORMAT "\n", k, json_integer_value(v));
	}
	printf("gpu classes\n");
	json_array_foreach(json_object_get(s, "gpu_classes"), i, cl)
		printf("  %5" JSON_INTEGER_FORMAT "  %-16s %4" JSON_INTEGER_FORMAT
		       " GiB  min stake %s per GPU  challenge N=%" JSON_INTEGER_FORMAT "\n",
		       cm_int(cl, "id"), cm_str(cl, "name"), cm_int(cl, "vram_gib"),
		       cm_emb(cl, "min_stake_per_gpu", b2), cm_int(cl, "challenge_n"));
}

static int cmd_params(struct cli *c, const struct cli_opts *o, char **args)
{
	return cm_read(c, o, "getparams", NULL, show_params);
}

/* --- table -------------------------------------------------------------- */

static const struct cli_cmd cm_cmds[] = {
	{ "stake", cmd_stake, 1, 1, CLI_O_TX | CLI_O_JSON, 0, CLI_F_RPC, "getstake",
	  "stake AMOUNT " CLI_TX_USAGE "\n          stake ADDRESS [--json]",
	  "bond AMOUNT EMB; or show an account's stake, unbonding and rewards" },
	{ "unstake", cmd_unstake, 1, 1, CLI_O_TX, CLI_O_FROM, CLI_F_RPC, "sendtx",
	  "unstake AMOUNT " CLI_TX_USAGE,
	  "start unbonding AMOUNT EMB of stake (released after unbonding_blocks)" },
	{ "claim", cmd_claim, 0, 0, CLI_O_TX, CLI_O_FROM, CLI_F_RPC, "sendtx",
	  "claim " CLI_TX_USAGE,
	  "move accrued rewards to the balance (rewards are credited at each\n"
	  "      epoch boundary, the end of every epoch_blocks-th block)" },
	{ "provider-register", cmd_provider_register, 0, 0, CLI_O_TX | CM_PROV_OPTS,
	  CLI_O_FROM | CM_PROV_OPTS, CLI_F_RPC, "sendtx",
	  "provider-register --class ID|NAME --gpus N --vram GIB --region R\n"
	  "          --price P --endpoint E " CLI_TX_USAGE,
	  "register as a GPU provider (price per GPU-hour)" },
	{ "provider-update", cmd_provider_update, 0, 0, CLI_O_TX | CM_PROV_OPTS,
	  CLI_O_FROM, CLI_F_RPC, "sendtx",
	  "provider-update [--class ID|NAME] [--gpus N] [--vram GIB] [--region R]\n"
	  "          [--price P] [--endpoint E] " CLI_TX_USAGE,
	  "change the provider's listing; fields not given stay as they are" },
	{ "provider-retire", cmd_provider_retire, 0, 0, CLI_O_TX, CLI_O_FROM, CLI_F_RPC,
	  "sendtx",
	  "provider-retire " CLI_TX_USAGE,
	  "stop providing (refused while a lease is open)" },
	{ "maintenance", cmd_maintenance, 1, 1, CLI_O_TX, CLI_O_FROM, CLI_F_RPC, "sendtx",
	  "maintenance EPOCH " CLI_TX_USAGE,
	  "declare downtime in a future epoch (lighter slashing, no jail)" },
	{ "order", cmd_order, 0, 1,
	  CLI_O_TX | CLI_O_JSON | CLI_O_CLASS | CLI_O_GPUS | CLI_O_MAX_PRICE |
	  CLI_O_DURATION | CLI_O_DEPOSIT, 0, CLI_F_RPC, "getorder",
	  "order --class ID|NAME --gpus N --max-price P --duration BLOCKS\n"
	  "          --deposit AMOUNT " CLI_TX_USAGE "\n"
	  "          order ID [--json]",
	  "post an order for --duration blocks at most --max-price per GPU-hour,\n"
	  "      its --deposit (EMB) held in escrow; or show order ID and its bids" },
	{ "bid", cmd_bid, 2, 2, CLI_O_TX, CLI_O_FROM, CLI_F_RPC, "sendtx",
	  "bid ORDER_ID PRICE " CLI_TX_USAGE,
	  "offer to serve an order at PRICE per GPU-hour" },
	{ "accept", cmd_accept, 2, 2, CLI_O_TX, CLI_O_FROM, CLI_F_RPC, "sendtx",
	  "accept ORDER_ID PROVIDER_ADDRESS " CLI_TX_USAGE,
	  "accept a provider's bid on your order (--wait prints the lease id)" },
	{ "close", cmd_close, 1, 1, CLI_O_TX, CLI_O_FROM, CLI_F_RPC, "sendtx",
	  "close LEASE_ID " CLI_TX_USAGE,
	  "end a lease (tenant or provider); the rest of the escrow is refunded" },
	{ "topup", cmd_topup, 2, 2, CLI_O_TX, CLI_O_FROM, CLI_F_RPC, "sendtx",
	  "topup LEASE_ID AMOUNT " CLI_TX_USAGE,
	  "add AMOUNT EMB to an open lease's escrow" },
	{ "price-report", cmd_price_report, 1, 1, CLI_O_TX, CLI_O_FROM, CLI_F_RPC,
	  "sendtx",
	  "price-report USD " CLI_TX_USAGE,
	  "validators: report the EMB price in US dollars, e.g. 1.25" },
	{ "provider", cmd_provider, 1, 1, CLI_O_JSON, 0, CLI_F_RPC, "getprovider",
	  "provider ADDRESS [--json]",
	  "show a provider: listing, stake, eligibility, uptime, free GPUs" },
	{ "providers", cmd_providers, 0, 0,
	  CLI_O_JSON | CLI_O_CLASS | CLI_O_REGION | CLI_O_STATUS | CLI_O_AFTER | CLI_O_LIMIT,
	  0, CLI_F_RPC, "listproviders",
	  "providers [--class ID|NAME] [--region R] [--status active|jailed|retired]\n"
	  "          [--after ADDRESS] [--limit N] [--json]",
	  "list providers" },
	{ "orders", cmd_orders, 0, 0,
	  CLI_O_JSON | CLI_O_TENANT | CLI_O_STATUS | CLI_O_AFTER | CLI_O_LIMIT, 0, CLI_F_RPC,
	  "listorders",
	  "orders [--tenant ADDRESS] [--status open|leased|expired] [--after ID]\n"
	  "          [--limit N] [--json]",
	  "list orders" },
	{ "lease", cmd_lease, 1, 1, CLI_O_JSON, 0, CLI_F_RPC, "getlease",
	  "lease ID [--json]",
	  "show a lease settled to now: escrow, paid, when it runs dry" },
	{ "leases", cmd_leases, 0, 0,
	  CLI_O_JSON | CLI_O_TENANT | CLI_O_PROVIDER | CLI_O_STATUS | CLI_O_AFTER |
	  CLI_O_LIMIT, 0, CLI_F_RPC, "listleases",
	  "leases [--tenant ADDRESS] [--provider ADDRESS] [--status open|closed]\n"
	  "          [--after ID] [--limit N] [--json]",
	  "list leases" },
	{ "supply", cmd_supply, 0, 0, CLI_O_JSON | CLI_O_EPOCH, 0, CLI_F_RPC, "getsupply",
	  "supply [--epoch N] [--json]",
	  "where every token is; minted and burned (in epoch N)" },
	{ "netstats", cmd_netstats, 0, 0, CLI_O_JSON, 0, CLI_F_RPC, "getnetworkstats",
	  "netstats [--json]",
	  "GPUs, utilization and ask prices per GPU class" },
	{ "params", cmd_params, 0, 0, CLI_O_JSON, 0, CLI_F_RPC, "getparams",
	  "params [--json]",
	  "token model, economy parameters, GPU classes, oracle price" },
};

const struct cli_cmd *cli_market_cmds(size_t *n)
{
	*n = sizeof cm_cmds / sizeof cm_cmds[0];
	return cm_cmds;
}
