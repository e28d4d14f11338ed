/*
 * json.c - JSON values shared by the RPC method files (rpcjson.h).
 */
#include "rpcjson.h"

#include <string.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ember/addr.h"
#include "ember/chain.h"
#include "ember/codec.h"
#include "ember/rpc.h"

json_t *rpc_json_hex(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	json_t *j;
	if (!s)
		return NULL;
	ember_hex_encode(p, n, s);
	j = json_string(s);
	free(s);
	return j;
}

json_t *rpc_json_addr(const uint8_t pub[32])
{
	char a[EMBER_ADDR_BUFLEN];
	ember_addr_encode(pub, a);
	return json_string(a);
}

json_t *rpc_json_u64(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	return json_string(b);
}

/* --- params --------------------------------------------------------------- */

int rpc_param_u64(struct rpc_call *call, json_t *params, size_t i,
                  const char *name, uint64_t *out)
{
	json_t *v = json_array_get(params, i);
	const char *s;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 1;
	}
	s = json_string_value(v);
	if (s && s[0] && strlen(s) <= 20 && strspn(s, "0123456789") == strlen(s)) {
		unsigned __int128 acc = 0;
		for (const char *p = s; *p; p++)
			acc = acc * 10 + (unsigned)(*p - '0');
		if (acc <= UINT64_MAX) {
			*out = (uint64_t)acc;
			return 1;
		}
	}
	rpc_error(call, RPC_INVALID_PARAMS,
	          "parameter '%s' must be a whole number (integer or decimal string)",
	          name);
	return -1;
}

int rpc_param_str(struct rpc_call *call, json_t *params, size_t i,
                  const char *name, const char **out)
{
	json_t *v = json_array_get(params, i);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		rpc_error(call, RPC_INVALID_PARAMS, "parameter '%s' must be a string", name);
		return -1;
	}
	*out = json_string_value(v);
	return 1;
}

int rpc_param_addr(struct rpc_call *call, json_t *params, size_t i,
                   const char *name, uint8_t pub[32])
{
	const char *s;
	int got = rpc_param_str(call, params, i, name, &s), rc;

	if (got <= 0)
		return got;
	if ((rc = ember_addr_decode(s, pub))) {
		rpc_error(call, RPC_INVALID_PARAMS, "invalid %s '%.90s': %s", name, s,
		          ember_strerror(rc));
		return -1;
	}
	return 1;
}

/* --- reads ---------------------------------------------------------------- */

int rpc_read_tip(struct rpc_call *call, struct ember_store *store,
                 struct ember_txn **t, struct ember_tip *tip)
{
	int rc;

	if ((rc = ember_store_read(store, t))) {
		rpc_error(call, RPC_INTERNAL_ERROR, "cannot read the ledger: %s",
		          ember_strerror(rc));
		return -1;
	}
	if ((rc = ember_chain_get_tip(*t, tip))) {
		rpc_error(call, RPC_INTERNAL_ERROR, "cannot read the chain tip: %s",
		          ember_strerror(rc));
		ember_txn_abort(*t);
		*t = NULL;
		return -1;
	}
	return 0;
}

void rpc_read_fail(struct rpc_call *call, const char *what, int rc)
{
	if (rc == EMBER_ENOMEM)
		rpc_error(call, RPC_INTERNAL_ERROR, "node out of memory reading %s", what);
	else
		rpc_error(call, RPC_INTERNAL_ERROR, "cannot read %s: %s", what,
		          ember_strerror(rc));
}

void rpc_reply(struct rpc_call *call, json_t *o)
{
	if (!o) {
		rpc_error(call, RPC_INTERNAL_ERROR, "node out of memory building the answer");
		return;
	}
	rpc_result(call, o);
}
