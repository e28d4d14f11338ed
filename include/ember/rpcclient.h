/*
 * rpcclient.h - a small blocking JSON-RPC 2.0 client (libevent evhttp),
 * used by ember-cli, the benchmark and tests.  Each call runs its own
 * short-lived event_base, so it is safe from any thread that does not
 * already run one.
 *
 * URL form: http://HOST:PORT/ or https://HOST:PORT/ (TLS via
 * libevent_openssl).  Credentials, when given, go as HTTP Basic auth
 * ("user:pass", bitcoind's cookie form "__cookie__:HEX") or, for older
 * callers, as "Authorization: Bearer TOKEN".
 *
 * TLS: the server certificate is verified against ca_file when set, else
 * against the system CAs; insecure = 1 turns verification off and must be
 * asked for explicitly.
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
	const char *token;       /* Bearer token; may be NULL; not owned */
	const char *userpass;    /* "user:pass" for Basic auth; wins over
	                          * token; may be NULL; not owned */
	const char *ca_file;     /* PEM CA bundle; NULL: system CAs */
	int insecure;            /* 1: do not verify the server cert */
	int timeout_s;           /* 0: 30 */
};

/*
 * Read a bitcoind-style cookie file ("__cookie__:HEX", one line) into out
 * (cap outlen, NUL-terminated, trailing newline dropped).
 * Returns: 0, EMBER_EIO (errno kept) when it cannot be read, EMBER_EPARSE
 * when it is empty, has no ':' or does not fit.
 */
EMBER_WUR int ember_rpc_cookie_read(const char *path, char *out, size_t outlen);

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
