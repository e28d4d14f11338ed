/*
 * rpcclient.h - a small blocking JSON-RPC 2.0 client (libevent evhttp),
 * used by ember-cli, the benchmark and tests.  Each call runs its own
 * short-lived event_base, so it is safe from any thread that does not
 * already run one.
 *
 * URL form: http://HOST:PORT/ or https://HOST:PORT/ (TLS via
 * libevent_openssl; the node's certificate is not verified unless
 * EMBER_RPC_CA names a CA file).  The cookie/token, when given, is sent as
 * "Authorization: Bearer TOKEN".
 */
#ifndef EMBER_RPCCLIENT_H
#define EMBER_RPCCLIENT_H

#include <stddef.h>
#include <jansson.h>
#include "error.h"

struct ember_rpc_client {
	char host[256];
	unsigned port;
	int tls;
	const char *token;       /* may be NULL; not owned */
	int timeout_s;           /* 0: 30 */
};

/* Returns: 0 or EMBER_EPARSE for a bad URL. */
EMBER_WUR int ember_rpc_client_init(struct ember_rpc_client *c, const char *url);

/*
 * Call method with params (stolen; NULL means []).  On success *result gets a
 * new reference to the "result" member.  On failure err (cap errlen) gets a
 * message: the node's error message for EMBER_RPC_REMOTE (its code in
 * *remote_code when not NULL), or "cannot reach node at 'HOST:PORT': ..." for
 * EMBER_RPC_TRANSPORT.
 */
EMBER_WUR int ember_rpc_call(const struct ember_rpc_client *c, const char *method,
                             json_t *params, json_t **result, int *remote_code,
                             char *err, size_t errlen);

/* POST a raw body, return the raw response body (malloc'd, caller frees).
 * Used for batches.  Returns: 0, EMBER_RPC_TRANSPORT, EMBER_ENOMEM. */
EMBER_WUR int ember_rpc_post(const struct ember_rpc_client *c, const char *body,
                             size_t len, char **resp, size_t *resplen,
                             char *err, size_t errlen);

#endif
