/*
 * rpcclient.c - blocking JSON-RPC 2.0 client (see rpcclient.h).
 *
 * Every exchange builds a private event_base, one evhttp connection and one
 * request, runs the base until the request finishes, and tears it all down:
 * no state survives a call, so calls are thread-safe and never share a
 * half-broken connection.  Host names are resolved with the blocking
 * resolver (no evdns base), which is fine for a one-shot client.
 *
 * A response body is bounded (WALLET_RPC_MAX_BODY) so a hostile endpoint
 * cannot make us buffer without limit.
 */
#include "ember/rpcclient.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#define WALLET_RPC_MAX_BODY (256u * 1024 * 1024)
#define WALLET_RPC_DEFAULT_TIMEOUT 30

/* Outcome of one exchange, filled by the request callbacks. */
struct wallet_rpc_xfer {
	struct event_base *base;
	int status;                  /* HTTP status; 0 when no response came */
	int reqerr;                  /* enum evhttp_request_error, or -1 */
	int connected;               /* the TCP (and TLS) connection was made */
	char *body;                  /* malloc'd, NUL-terminated */
	size_t bodylen;
	int nomem;
};

int ember_rpc_client_init(struct ember_rpc_client *c, const char *url)
{
	if (c == NULL || url == NULL)
		return EMBER_EINVAL;
	memset(c, 0, sizeof *c);
	const char *p;
	if (strncmp(url, "http://", 7) == 0) {
		p = url + 7;
	} else if (strncmp(url, "https://", 8) == 0) {
		p = url + 8;
		c->tls = 1;
	} else {
		return EMBER_EPARSE;
	}

	/* host: a name, an IPv4 literal, or a bracketed IPv6 literal */
	const char *h = p, *hend;
	if (*p == '[') {
		h = p + 1;
		hend = strchr(h, ']');
		if (hend == NULL)
			return EMBER_EPARSE;
		p = hend + 1;
	} else {
		hend = p;
		while (*hend && *hend != ':' && *hend != '/')
			hend++;
		p = hend;
	}
	size_t hlen = (size_t)(hend - h);
	if (hlen == 0 || hlen >= sizeof c->host)
		return EMBER_EPARSE;
	for (size_t i = 0; i < hlen; i++)
		if (!isalnum((unsigned char)h[i]) && !strchr(".-_:", h[i]))
			return EMBER_EPARSE;
	memcpy(c->host, h, hlen);
	c->host[hlen] = '\0';

	if (*p++ != ':' || !isdigit((unsigned char)*p))
		return EMBER_EPARSE;
	unsigned long port = 0;
	while (isdigit((unsigned char)*p) && port <= 65535)
		port = port * 10 + (unsigned long)(*p++ - '0');
	if (port == 0 || port > 65535)
		return EMBER_EPARSE;
	c->port = (unsigned)port;
	/* The node serves JSON-RPC at "/" only; anything else is a typo. */
	if (!(*p == '\0' || (p[0] == '/' && p[1] == '\0')))
		return EMBER_EPARSE;
	return 0;
}

static void wallet_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void wallet_errf(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * libevent 2.1 reports a failed connect only by calling the request
 * callback with no response: the error callback does not run and the
 * socket, with its SO_ERROR, is already closed.  So the reason is
 * reconstructed afterwards from what is still known (resolver error, TLS
 * error queue, timeout, whether we ever connected) and, failing that, by
 * one short blocking connect that reports its errno.
 */
static void wallet_rpc_error_cb(enum evhttp_request_error e, void *arg)
{
	struct wallet_rpc_xfer *x = arg;
	x->reqerr = (int)e;
}

static void wallet_rpc_close_cb(struct evhttp_connection *evcon, void *arg)
{
	struct wallet_rpc_xfer *x = arg;
	x->connected = 1;
}

static void wallet_rpc_done_cb(struct evhttp_request *req, void *arg)
{
	struct wallet_rpc_xfer *x = arg;
	event_base_loopbreak(x->base);
	if (req == NULL || evhttp_request_get_response_code(req) == 0)
		return;
	x->connected = 1;
	x->status = evhttp_request_get_response_code(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	x->body = malloc(n + 1);
	if (x->body == NULL) {
		x->nomem = 1;
		return;
	}
	evbuffer_remove(in, x->body, n);
	x->body[n] = '\0';
	x->bodylen = n;
}

/* errno of a fresh connect to host:port (0 if it connects), waiting at
 * most ms; the diagnosis path only. */
static int wallet_rpc_probe(const char *host, unsigned port, int ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%u", port);
	if (getaddrinfo(host, portstr, &hints, &ai) != 0 || ai == NULL)
		return EHOSTUNREACH;
	int e = 0;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                ai->ai_protocol);
	if (fd < 0) {
		e = errno;
	} else if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		e = errno;
		if (e == EINPROGRESS) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			socklen_t len = sizeof e;
			if (poll(&pfd, 1, ms) != 1)
				e = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
				e = errno;
		}
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return e;
}

/* Why an exchange got no response, lowercase, without the subject.  bev is
 * still alive (owned by the connection). */
static void wallet_rpc_reason(const struct wallet_rpc_xfer *x,
                              const struct ember_rpc_client *c,
                              struct bufferevent *bev, double elapsed,
                              char *buf, size_t len)
{
	int timeout = c->timeout_s > 0 ? c->timeout_s : WALLET_RPC_DEFAULT_TIMEOUT;
	int dns = bufferevent_socket_get_dns_error(bev);
	unsigned long ssl = c->tls ? bufferevent_get_openssl_error(bev) : 0;
	int e;

	if (dns == EVUTIL_EAI_NONAME) {
		snprintf(buf, len, "unknown host name");
	} else if (dns) {
		snprintf(buf, len, "cannot resolve host name: %s",
		         evutil_gai_strerror(dns));
	} else if (ssl && ERR_GET_REASON(ssl) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
		SSL *s = bufferevent_openssl_get_ssl(bev);
		long vr = s ? SSL_get_verify_result(s) : X509_V_OK;
		int name = vr == X509_V_ERR_HOSTNAME_MISMATCH ||
		           vr == X509_V_ERR_IP_ADDRESS_MISMATCH;
		snprintf(buf, len, "tls: the node's certificate cannot be verified: %s "
		         "(%s, or skip the check with --insecure)",
		         vr != X509_V_OK ? X509_verify_cert_error_string(vr)
		                         : "certificate verify failed",
		         name ? "use a URL with a name or address the certificate "
		                "lists" : "for a node with a self-signed certificate "
		                "give it with --rpc-ca FILE");
	} else if (ssl) {
		const char *r = ERR_reason_error_string(ssl);
		snprintf(buf, len, "tls handshake failed: %s", r ? r : "unknown reason");
	} else if (x->reqerr == EVREQ_HTTP_TIMEOUT || elapsed >= timeout) {
		snprintf(buf, len, "no answer within %d s", timeout);
	} else if (x->reqerr == EVREQ_HTTP_DATA_TOO_LONG) {
		snprintf(buf, len, "response larger than %u bytes",
		         WALLET_RPC_MAX_BODY);
	} else if (x->connected) {
		snprintf(buf, len, "connection closed without a response%s",
		         c->tls ? " (is the node serving https?)" : "");
	} else if ((e = wallet_rpc_probe(c->host, c->port,
	                                 timeout < 5 ? timeout * 1000 : 5000)) != 0) {
		snprintf(buf, len, "%s", strerror(e));
	} else {
		snprintf(buf, len, "connection failed");
	}
	if (buf[0])
		buf[0] = (char)tolower((unsigned char)buf[0]);
}

/* "HOST:PORT" as a person would type it (IPv6 literals bracketed). */
static void wallet_rpc_hostport(const struct ember_rpc_client *c, char *buf,
                                size_t len)
{
	snprintf(buf, len, strchr(c->host, ':') ? "[%s]:%u" : "%s:%u",
	         c->host, c->port);
}

/* The CA bundle that verifies the node: ca_file, else EMBER_RPC_CA, else
 * NULL for the system's.  Borrowed from c or the environment. */
static const char *wallet_rpc_ca(const struct ember_rpc_client *c)
{
	const char *ca = c->ca_file;
	if (ca == NULL || *ca == '\0')
		ca = getenv("EMBER_RPC_CA");
	return ca && *ca ? ca : NULL;
}

/*
 * TLS context for one call.  The server certificate is verified, and its
 * name or IP address matched against the host we dialled, unless the
 * caller asked for insecure: credentials go out with the first request,
 * so a node we cannot authenticate must not get them.
 */
static SSL *wallet_rpc_ssl(const struct ember_rpc_client *c, SSL_CTX **ctxp,
                           char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	if (ctx == NULL)
		goto fail;
	const char *ca = wallet_rpc_ca(c);
	if (!c->insecure) {
		if (ca && SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			wallet_errf(err, errlen, "cannot load ca file '%s': %s", ca,
			            ERR_reason_error_string(ERR_get_error()));
			ERR_clear_error();
			SSL_CTX_free(ctx);
			return NULL;
		}
		if (!ca && SSL_CTX_set_default_verify_paths(ctx) != 1)
			goto fail;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	ssl = SSL_new(ctx);
	if (ssl == NULL)
		goto fail;
	/* SNI is for names only (RFC 6066); an IP literal is matched as such. */
	int is_ip = strchr(c->host, ':') != NULL ||
	            strspn(c->host, "0123456789.") == strlen(c->host);
	if (!is_ip)
		SSL_set_tlsext_host_name(ssl, c->host);
	if (!c->insecure) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
		if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, c->host) != 1
		          : SSL_set1_host(ssl, c->host) != 1)
			goto fail;
	}
	*ctxp = ctx;
	return ssl;
fail:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	wallet_errf(err, errlen, "cannot set up tls: %s",
	            ERR_reason_error_string(ERR_get_error()));
	return NULL;
}

/*
 * The Authorization header value for c into *out (malloc'd, caller frees
 * after wiping: it carries the secret), or *out NULL when c has no
 * credentials.  Basic auth (RFC 7617) wins over a bearer token.
 * Returns: 0 or EMBER_ENOMEM.
 */
static int wallet_rpc_auth(const struct ember_rpc_client *c, char **out,
                           size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (c->userpass && *c->userpass) {
		size_t n = strlen(c->userpass);
		size_t b64 = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
		if ((*out = malloc(6 + b64)) == NULL)
			return EMBER_ENOMEM;
		memcpy(*out, "Basic ", 6);
		sodium_bin2base64(*out + 6, b64, (const unsigned char *)c->userpass, n,
		                  sodium_base64_VARIANT_ORIGINAL);
		*outlen = 6 + b64;
	} else if (c->token && *c->token) {
		size_t n = strlen(c->token);
		if ((*out = malloc(7 + n + 1)) == NULL)
			return EMBER_ENOMEM;
		memcpy(*out, "Bearer ", 7);
		memcpy(*out + 7, c->token, n + 1);
		*outlen = 7 + n + 1;
	}
	return 0;
}

/*
 * One POST exchange.  On success x->body holds the response of any HTTP
 * status; transport failures are EMBER_RPC_TRANSPORT with err filled.
 */
static int wallet_rpc_exchange(const struct ember_rpc_client *c,
                               const char *body, size_t len,
                               struct wallet_rpc_xfer *x,
                               char *err, size_t errlen)
{
	memset(x, 0, sizeof *x);
	x->reqerr = -1;
	int rc = EMBER_ENOMEM;
	SSL_CTX *ctx = NULL;
	struct bufferevent *bev = NULL;
	struct evhttp_connection *evcon = NULL;
	char hostport[300];
	wallet_rpc_hostport(c, hostport, sizeof hostport);

	x->base = event_base_new();
	if (x->base == NULL)
		goto out;
	if (c->tls) {
		SSL *ssl = wallet_rpc_ssl(c, &ctx, err, errlen);
		if (ssl == NULL) {
			rc = EMBER_RPC_TRANSPORT;
			goto out;
		}
		bev = bufferevent_openssl_socket_new(x->base, -1, ssl,
			BUFFEREVENT_SSL_CONNECTING,
			BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (bev == NULL) {
			SSL_free(ssl);
			goto out;
		}
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else {
		bev = bufferevent_socket_new(x->base, -1, BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL)
			goto out;
	}
	/* The connection owns the bufferevent from here on. */
	evcon = evhttp_connection_base_bufferevent_new(x->base, NULL, bev,
	                                               c->host, (ev_uint16_t)c->port);
	if (evcon == NULL) {
		bufferevent_free(bev);
		bev = NULL;
		goto out;
	}
	evhttp_connection_set_closecb(evcon, wallet_rpc_close_cb, x);
	evhttp_connection_set_timeout(evcon, c->timeout_s > 0 ? c->timeout_s
	                                     : WALLET_RPC_DEFAULT_TIMEOUT);
	evhttp_connection_set_max_body_size(evcon, WALLET_RPC_MAX_BODY);

	struct evhttp_request *req = evhttp_request_new(wallet_rpc_done_cb, x);
	if (req == NULL)
		goto out;
	evhttp_request_set_error_cb(req, wallet_rpc_error_cb);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char *auth;
	size_t authlen;
	evhttp_add_header(h, "Host", hostport);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Connection", "close");
	if (wallet_rpc_auth(c, &auth, &authlen) != 0) {
		evhttp_request_free(req);
		goto out;
	}
	if (auth) {
		evhttp_add_header(h, "Authorization", auth);
		sodium_memzero(auth, authlen);
		free(auth);
	}
	if (evbuffer_add(evhttp_request_get_output_buffer(req), body, len) != 0) {
		evhttp_request_free(req);
		goto out;
	}
	/* On failure evhttp_make_request frees req itself. */
	if (evhttp_make_request(evcon, req, EVHTTP_REQ_POST, "/") != 0) {
		wallet_errf(err, errlen, "cannot reach node at '%s': request failed",
		            hostport);
		rc = EMBER_RPC_TRANSPORT;
		goto out;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	event_base_dispatch(x->base);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	if (x->nomem) {
		rc = EMBER_ENOMEM;
	} else if (x->status == 0) {
		char why[256];
		double elapsed = (double)(t1.tv_sec - t0.tv_sec) +
		                 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		wallet_rpc_reason(x, c, bev, elapsed, why, sizeof why);
		wallet_errf(err, errlen, "cannot reach node at '%s': %s", hostport, why);
		rc = EMBER_RPC_TRANSPORT;
	} else {
		rc = 0;
	}
out:
	if (evcon)
		evhttp_connection_free(evcon);
	if (x->base)
		event_base_free(x->base);
	SSL_CTX_free(ctx);
	x->base = NULL;
	if (rc != 0) {
		free(x->body);
		x->body = NULL;
		if (rc == EMBER_ENOMEM)
			wallet_errf(err, errlen, "out of memory");
	}
	return rc;
}

int ember_rpc_post(const struct ember_rpc_client *c, const char *body,
                   size_t len, char **resp, size_t *resplen,
                   char *err, size_t errlen)
{
	if (c == NULL || (body == NULL && len) || resp == NULL)
		return EMBER_EINVAL;
	struct wallet_rpc_xfer x;
	int rc = wallet_rpc_exchange(c, body ? body : "", len, &x, err, errlen);
	if (rc != 0)
		return rc;
	*resp = x.body;
	if (resplen)
		*resplen = x.bodylen;
	return 0;
}

int ember_rpc_call(const struct ember_rpc_client *c, const char *method,
                   json_t *params, json_t **result, int *remote_code,
                   char *err, size_t errlen)
{
	if (remote_code)
		*remote_code = 0;
	if (c == NULL || method == NULL || result == NULL) {
		json_decref(params);
		return EMBER_EINVAL;
	}
	*result = NULL;
	if (params == NULL)
		params = json_array();
	json_t *env = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0",
	                        "id", 1, "method", method, "params", params);
	char *body = env ? json_dumps(env, JSON_COMPACT) : NULL;
	json_decref(env);
	if (body == NULL) {
		wallet_errf(err, errlen, "out of memory");
		return EMBER_ENOMEM;
	}

	struct wallet_rpc_xfer x;
	int rc = wallet_rpc_exchange(c, body, strlen(body), &x, err, errlen);
	free(body);
	if (rc != 0)
		return rc;

	json_error_t jerr;
	json_t *resp = json_loadb(x.body, x.bodylen, 0, &jerr);
	free(x.body);
	json_t *jres = json_object_get(resp, "result");
	json_t *jerror = json_object_get(resp, "error");
	json_t *jid = json_object_get(resp, "id");

	int has_error = jerror != NULL && !json_is_null(jerror);
	/* An error may carry a null id (the node could not read ours); a
	 * result must answer our id. */
	if (resp == NULL || !json_is_object(resp) ||
	    (!has_error && (jres == NULL || !json_is_integer(jid) ||
	                    json_integer_value(jid) != 1))) {
		/* A non-JSON answer is usually the wrong port or a proxy page. */
		char hostport[300];
		wallet_rpc_hostport(c, hostport, sizeof hostport);
		wallet_errf(err, errlen, "malformed response from node at '%s' "
		            "(http %d)", hostport, x.status);
		rc = EMBER_EPARSE;
	} else if (has_error) {
		json_t *jcode = json_object_get(jerror, "code");
		const char *msg = json_string_value(json_object_get(jerror, "message"));
		if (remote_code && json_is_integer(jcode))
			*remote_code = (int)json_integer_value(jcode);
		wallet_errf(err, errlen, "%s", msg ? msg : "node returned an error");
		rc = EMBER_RPC_REMOTE;
	} else {
		*result = json_incref(jres);
	}
	json_decref(resp);
	return rc;
}

int ember_rpc_cookie_read(const char *path, char *out, size_t outlen)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return EMBER_EIO;
	n = fread(out, 1, outlen, f);
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		errno = e;
		return EMBER_EIO;
	}
	fclose(f);
	if (n == outlen)
		return EMBER_EPARSE;    /* no room for the NUL: too long */
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	if (n == 0 || !strchr(out, ':'))
		return EMBER_EPARSE;
	return 0;
}
