/*
 * json.c - JSON values shared by the RPC method files (rpcjson.h).
 */
#include "rpcjson.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ember/addr.h"
#include "ember/codec.h"

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
