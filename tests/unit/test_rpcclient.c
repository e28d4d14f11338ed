/*
 * test_rpcclient.c - the blocking JSON-RPC client against a tiny evhttp
 * server run in a thread on 127.0.0.1 (plain libevent, not the node's
 * server), which answers canned responses chosen by the method name; and,
 * for TLS verification and Basic auth end to end, against the node's own
 * JSON-RPC server (rpc.h) serving HTTPS with throwaway certificates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ember/rpc.h"
#include "ember/rpcclient.h"

struct srv {
	struct event_base *base;
	struct evhttp *http;
	pthread_t thread;
	unsigned port;
};

static struct srv g_srv;

static void srv_reply(struct evhttp_request *req, int code, const char *body)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, body, strlen(body));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "application/json");
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Error", b);
	evbuffer_free(b);
}

static void srv_late_cb(evutil_socket_t fd, short what, void *arg)
{
	srv_reply(arg, 200, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"late\"}");
}

/* Canned answers by method; a body that is not a call object is echoed
 * back unchanged (the raw-post round trip). */
static void srv_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char *body = calloc(1, n + 1);
	evbuffer_remove(in, body, n);
	json_t *j = json_loads(body, 0, NULL);
	const char *m = json_string_value(json_object_get(j, "method"));
	char out[512];

	if (m == NULL) {
		srv_reply(req, 200, body);
	} else if (strcmp(m, "echo") == 0) {
		json_t *r = json_pack("{s:s, s:i, s:O}", "jsonrpc", "2.0", "id", 1,
		                      "result", json_object_get(j, "params"));
		char *s = json_dumps(r, JSON_COMPACT);
		srv_reply(req, 200, s);
		free(s);
		json_decref(r);
	} else if (strcmp(m, "whoami") == 0) {
		const char *a = evhttp_find_header(evhttp_request_get_input_headers(req),
		                                   "Authorization");
		snprintf(out, sizeof out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"%s\"}",
		         a ? a : "");
		srv_reply(req, 200, out);
	} else if (strcmp(m, "fail") == 0) {
		srv_reply(req, 200, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32002,"
		          "\"message\":\"nonce 7 already used by account 'ember1x'; next is 9\","
		          "\"data\":{\"code\":-302,\"error\":\"nonce already used\"}}}");
	} else if (strcmp(m, "nullid") == 0) {
		srv_reply(req, 400, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
		          "\"message\":\"invalid request\"}}");
	} else if (strcmp(m, "garbage") == 0) {
		srv_reply(req, 200, "<html>hello</html>");
	} else if (strcmp(m, "http500") == 0) {
		srv_reply(req, 500, "internal server error");
	} else if (strcmp(m, "noresult") == 0) {
		srv_reply(req, 200, "{\"jsonrpc\":\"2.0\",\"id\":1}");
	} else if (strcmp(m, "wrongid") == 0) {
		srv_reply(req, 200, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1}");
	} else if (strcmp(m, "array") == 0) {
		srv_reply(req, 200, "[1,2,3]");
	} else if (strcmp(m, "slow") == 0) {
		struct timeval tv = { 1, 500000 };
		event_base_once(g_srv.base, -1, EV_TIMEOUT, srv_late_cb, req, &tv);
	} else {
		srv_reply(req, 200, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,"
		          "\"message\":\"method not found\"}}");
	}
	json_decref(j);
	free(body);
}

static void *srv_main(void *arg)
{
	event_base_loop(g_srv.base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static unsigned sock_port(evutil_socket_t fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return 0;
	return ntohs(sa.sin_port);
}

static int srv_start(void **state)
{
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() != 0)
		return -1;
	g_srv.base = event_base_new();
	g_srv.http = evhttp_new(g_srv.base);
	evhttp_set_gencb(g_srv.http, srv_cb, NULL);
	struct evhttp_bound_socket *bs =
		evhttp_bind_socket_with_handle(g_srv.http, "127.0.0.1", 0);
	if (bs == NULL)
		return -1;
	g_srv.port = sock_port(evhttp_bound_socket_get_fd(bs));
	return pthread_create(&g_srv.thread, NULL, srv_main, NULL) == 0 ? 0 : -1;
}

static int srv_stop(void **state)
{
	event_base_loopbreak(g_srv.base);
	pthread_join(g_srv.thread, NULL);
	evhttp_free(g_srv.http);
	event_base_free(g_srv.base);
	libevent_global_shutdown();
	return 0;
}

static void client(struct ember_rpc_client *c, unsigned port)
{
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
	assert_int_equal(ember_rpc_client_init(c, url), 0);
}

static void test_url_parse(void **state)
{
	static const struct { const char *url; int ok; const char *host;
	                      unsigned port; int tls; } cases[] = {
		{ "http://127.0.0.1:8645/", 1, "127.0.0.1", 8645, 0 },
		{ "http://127.0.0.1:8645", 1, "127.0.0.1", 8645, 0 },
		{ "https://node.example:443/", 1, "node.example", 443, 1 },
		{ "http://[::1]:8645/", 1, "::1", 8645, 0 },
		{ "http://127.0.0.1/", 0, NULL, 0, 0 },          /* port required */
		{ "http://127.0.0.1:0/", 0, NULL, 0, 0 },
		{ "http://127.0.0.1:65536/", 0, NULL, 0, 0 },
		{ "http://127.0.0.1:99999999999999999999/", 0, NULL, 0, 0 },
		{ "http://127.0.0.1:8645/rpc", 0, NULL, 0, 0 },
		{ "http://127.0.0.1:86x5/", 0, NULL, 0, 0 },
		{ "ftp://127.0.0.1:8645/", 0, NULL, 0, 0 },
		{ "127.0.0.1:8645", 0, NULL, 0, 0 },
		{ "http://:8645/", 0, NULL, 0, 0 },
		{ "http://a b:8645/", 0, NULL, 0, 0 },
		{ "http://[::1:8645/", 0, NULL, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ember_rpc_client c;
		int rc = ember_rpc_client_init(&c, cases[i].url);
		if (!cases[i].ok) {
			assert_int_equal(rc, EMBER_EPARSE);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(c.host, cases[i].host);
		assert_int_equal(c.port, cases[i].port);
		assert_int_equal(c.tls, cases[i].tls);
		assert_null(c.token);
	}
}

static void test_result(void **state)
{
	struct ember_rpc_client c;
	client(&c, g_srv.port);
	json_t *res = NULL;
	char err[256] = "";
	int code = 99;
	int rc = ember_rpc_call(&c, "echo", json_pack("[s, i]", "x", 5), &res,
	                        &code, err, sizeof err);
	assert_int_equal(rc, 0);
	assert_int_equal(code, 0);
	assert_true(json_is_array(res));
	assert_string_equal(json_string_value(json_array_get(res, 0)), "x");
	assert_int_equal(json_integer_value(json_array_get(res, 1)), 5);
	json_decref(res);

	/* NULL params are sent as [] */
	rc = ember_rpc_call(&c, "echo", NULL, &res, NULL, err, sizeof err);
	assert_int_equal(rc, 0);
	assert_true(json_is_array(res));
	assert_int_equal(json_array_size(res), 0);
	json_decref(res);
}

static void test_token(void **state)
{
	struct ember_rpc_client c;
	client(&c, g_srv.port);
	c.token = "s3cret";
	json_t *res = NULL;
	char err[256];
	assert_int_equal(ember_rpc_call(&c, "whoami", NULL, &res, NULL, err,
	                                sizeof err), 0);
	assert_string_equal(json_string_value(res), "Bearer s3cret");
	json_decref(res);
}

/* Basic auth: base64 of "user:pass", and it wins over a token. */
static void test_basic(void **state)
{
	struct ember_rpc_client c;
	client(&c, g_srv.port);
	c.userpass = "__cookie__:abc";
	c.token = "s3cret";
	json_t *res = NULL;
	char err[256];
	assert_int_equal(ember_rpc_call(&c, "whoami", NULL, &res, NULL, err,
	                                sizeof err), 0);
	assert_string_equal(json_string_value(res), "Basic X19jb29raWVfXzphYmM=");
	json_decref(res);

	/* an empty userpass is none: the token goes */
	c.userpass = "";
	assert_int_equal(ember_rpc_call(&c, "whoami", NULL, &res, NULL, err,
	                                sizeof err), 0);
	assert_string_equal(json_string_value(res), "Bearer s3cret");
	json_decref(res);
}

static void test_cookie_read(void **state)
{
	static const struct { const char *text; int rc; const char *want; } cases[] = {
		{ "__cookie__:0123abcd", 0, "__cookie__:0123abcd" },
		{ "__cookie__:0123abcd\n", 0, "__cookie__:0123abcd" },
		{ "alice:pw\r\n", 0, "alice:pw" },
		{ "", EMBER_EPARSE, NULL },
		{ "\n", EMBER_EPARSE, NULL },
		{ "no-colon", EMBER_EPARSE, NULL },
		/* 32 bytes and more do not fit the buffer below */
		{ "__cookie__:0123456789abcdef012345", EMBER_EPARSE, NULL },
	};
	char dir[] = "/tmp/ember-cookie-XXXXXX", path[64], out[32];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/.cookie", dir);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(cases[i].text, f);
		fclose(f);
		assert_int_equal(ember_rpc_cookie_read(path, out, sizeof out), cases[i].rc);
		if (cases[i].want)
			assert_string_equal(out, cases[i].want);
	}
	unlink(path);
	assert_int_equal(ember_rpc_cookie_read(path, out, sizeof out), EMBER_EIO);
	rmdir(dir);
}

static void test_remote_error(void **state)
{
	struct ember_rpc_client c;
	client(&c, g_srv.port);
	json_t *res = NULL;
	char err[256] = "";
	int code = 0;
	int rc = ember_rpc_call(&c, "fail", NULL, &res, &code, err, sizeof err);
	assert_int_equal(rc, EMBER_RPC_REMOTE);
	assert_int_equal(code, -32002);
	assert_null(res);
	assert_string_equal(err, "nonce 7 already used by account 'ember1x'; next is 9");

	rc = ember_rpc_call(&c, "nosuch", NULL, &res, &code, err, sizeof err);
	assert_int_equal(rc, EMBER_RPC_REMOTE);
	assert_int_equal(code, -32601);
	assert_string_equal(err, "method not found");

	/* error with a null id and an HTTP error status still shows the node's words */
	rc = ember_rpc_call(&c, "nullid", NULL, &res, &code, err, sizeof err);
	assert_int_equal(rc, EMBER_RPC_REMOTE);
	assert_int_equal(code, -32600);
	assert_string_equal(err, "invalid request");
}

static void test_malformed(void **state)
{
	static const char *methods[] = { "garbage", "http500", "noresult",
	                                 "wrongid", "array" };
	struct ember_rpc_client c;
	client(&c, g_srv.port);
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		json_t *res = NULL;
		char err[256] = "";
		int rc = ember_rpc_call(&c, methods[i], NULL, &res, NULL, err,
		                        sizeof err);
		assert_int_equal(rc, EMBER_EPARSE);
		assert_null(res);
		assert_non_null(strstr(err, "malformed response from node at '127.0.0.1:"));
	}
}

static void test_transport_refused(void **state)
{
	/* A port that was free a moment ago: bind, note it, close. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	unsigned port = sock_port(fd);
	close(fd);

	struct ember_rpc_client c;
	client(&c, port);
	json_t *res = NULL;
	char err[256] = "", want[128];
	int rc = ember_rpc_call(&c, "echo", NULL, &res, NULL, err, sizeof err);
	assert_int_equal(rc, EMBER_RPC_TRANSPORT);
	assert_null(res);
	snprintf(want, sizeof want,
	         "cannot reach node at '127.0.0.1:%u': connection refused", port);
	assert_string_equal(err, want);

	char *body = NULL;
	rc = ember_rpc_post(&c, "[]", 2, &body, NULL, err, sizeof err);
	assert_int_equal(rc, EMBER_RPC_TRANSPORT);
	assert_null(body);
	assert_string_equal(err, want);
}

static void test_timeout(void **state)
{
	struct ember_rpc_client c;
	client(&c, g_srv.port);
	c.timeout_s = 1;
	json_t *res = NULL;
	char err[256] = "", want[128];
	int rc = ember_rpc_call(&c, "slow", NULL, &res, NULL, err, sizeof err);
	assert_int_equal(rc, EMBER_RPC_TRANSPORT);
	snprintf(want, sizeof want,
	         "cannot reach node at '127.0.0.1:%u': no answer within 1 s",
	         g_srv.port);
	assert_string_equal(err, want);
	/* let the late reply go out so no request is left at teardown */
	usleep(1000 * 1000);
}

static void test_post_raw(void **state)
{
	struct ember_rpc_client c;
	client(&c, g_srv.port);
	const char *batch = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"},"
	                    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"b\"}]";
	char *resp = NULL, err[256];
	size_t len = 0;
	int rc = ember_rpc_post(&c, batch, strlen(batch), &resp, &len, err,
	                        sizeof err);
	assert_int_equal(rc, 0);
	assert_int_equal(len, strlen(batch));
	assert_memory_equal(resp, batch, len);
	assert_int_equal(resp[len], '\0');
	free(resp);

	/* a large body survives the round trip byte for byte */
	size_t big = 3u * 1024 * 1024;
	char *b = malloc(big + 1);
	for (size_t i = 0; i < big; i++)
		b[i] = (char)('a' + i % 26);
	b[big] = '\0';
	rc = ember_rpc_post(&c, b, big, &resp, &len, err, sizeof err);
	assert_int_equal(rc, 0);
	assert_int_equal(len, big);
	assert_memory_equal(resp, b, big);
	free(resp);
	free(b);
}

static void test_misuse(void **state)
{
	struct ember_rpc_client c;
	client(&c, g_srv.port);
	json_t *res;
	char *resp;
	assert_int_equal(ember_rpc_client_init(NULL, "http://a:1/"), EMBER_EINVAL);
	assert_int_equal(ember_rpc_call(&c, NULL, json_array(), &res, NULL, NULL, 0),
	                 EMBER_EINVAL);
	assert_int_equal(ember_rpc_call(&c, "echo", NULL, NULL, NULL, NULL, 0),
	                 EMBER_EINVAL);
	assert_int_equal(ember_rpc_post(&c, NULL, 3, &resp, NULL, NULL, 0),
	                 EMBER_EINVAL);
}

/* ---- TLS against the node's server ---- */

struct tls_srv {
	struct event_base *base;
	struct rpc_server *srv;
	pthread_t thread;
	unsigned port;
};

static void m_secret(struct rpc_call *call, json_t *params, void *ctx)
{
	rpc_result(call, json_string("ok"));
}

static const struct rpc_method tls_table[] = {
	{ "secret", m_secret, 0, 0, RPC_F_AUTH, { NULL }, "needs the cookie" },
};

static void *tls_srv_main(void *arg)
{
	struct tls_srv *t = arg;
	event_base_loop(t->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static void tls_srv_start(struct tls_srv *t, const char *cert, const char *key)
{
	struct rpc_server_cfg cfg = { .listen = "127.0.0.1:0", .auth_token = "tok",
	                              .tls_cert = cert, .tls_key = key };
	t->base = event_base_new();
	assert_non_null(t->base);
	assert_int_equal(rpc_server_new(&t->srv, t->base, &cfg, tls_table, 1, NULL), 0);
	t->port = rpc_server_port(t->srv);
	assert_int_equal(pthread_create(&t->thread, NULL, tls_srv_main, t), 0);
}

static void tls_srv_stop(struct tls_srv *t)
{
	event_base_loopbreak(t->base);
	pthread_join(t->thread, NULL);
	rpc_server_free(t->srv);
	event_base_free(t->base);
}

/* A self-signed P-256 certificate, a CA of its own, for the IP address
 * ip, written to DIR/NAME.pem and DIR/NAME.key. */
static void cert_make(const char *dir, const char *name, const char *ip)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	char path[128], san[64];
	FILE *fp;

	assert_non_null(pkey);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pkey);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)ip, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	snprintf(san, sizeof san, "IP:%s", ip);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);

	snprintf(path, sizeof path, "%s/%s.pem", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(PEM_write_X509(fp, x), 1);
	fclose(fp);
	snprintf(path, sizeof path, "%s/%s.key", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL), 1);
	fclose(fp);
	EVP_PKEY_free(pkey);
	X509_free(x);
}

/* Call "secret" over https on port with the given trust settings.
 * Returns the client's code; err gets its message. */
static int tls_call(unsigned port, const char *ca, int insecure,
                    const char *userpass, char *err, size_t errlen)
{
	struct ember_rpc_client c;
	char url[64];
	json_t *res = NULL;
	int rc;

	snprintf(url, sizeof url, "https://127.0.0.1:%u/", port);
	assert_int_equal(ember_rpc_client_init(&c, url), 0);
	c.ca_file = ca;
	c.insecure = insecure;
	c.userpass = userpass;
	c.timeout_s = 10;
	err[0] = '\0';
	rc = ember_rpc_call(&c, "secret", NULL, &res, NULL, err, errlen);
	if (rc == 0)
		assert_string_equal(json_string_value(res), "ok");
	json_decref(res);
	return rc;
}

static void test_tls_verify(void **state)
{
	char dir[] = "/tmp/ember-rpcc-tls-XXXXXX", cert[96], key[96], other[96],
	     okey[96], err[512];
	char *old = getenv("EMBER_RPC_CA") ? strdup(getenv("EMBER_RPC_CA")) : NULL;
	struct tls_srv t;

	unsetenv("EMBER_RPC_CA");
	assert_non_null(mkdtemp(dir));
	cert_make(dir, "node", "127.0.0.1");
	cert_make(dir, "other", "127.0.0.2");
	snprintf(cert, sizeof cert, "%s/node.pem", dir);
	snprintf(key, sizeof key, "%s/node.key", dir);
	snprintf(other, sizeof other, "%s/other.pem", dir);
	snprintf(okey, sizeof okey, "%s/other.key", dir);
	tls_srv_start(&t, cert, key);

	/* by default the system CAs, which do not know a self-signed node */
	assert_int_equal(tls_call(t.port, NULL, 0, "__cookie__:tok", err, sizeof err),
	                 EMBER_RPC_TRANSPORT);
	assert_non_null(strstr(err, "certificate cannot be verified"));
	assert_non_null(strstr(err, "--rpc-ca"));
	/* its certificate as the CA: verified, and Basic auth gets through */
	assert_int_equal(tls_call(t.port, cert, 0, "__cookie__:tok", err, sizeof err), 0);
	/* ... a wrong cookie is the node's refusal, not a transport error */
	assert_int_equal(tls_call(t.port, cert, 0, "__cookie__:bad", err, sizeof err),
	                 EMBER_RPC_REMOTE);
	/* another CA: refused */
	assert_int_equal(tls_call(t.port, other, 0, "__cookie__:tok", err, sizeof err),
	                 EMBER_RPC_TRANSPORT);
	/* EMBER_RPC_CA stands in for a missing ca_file */
	setenv("EMBER_RPC_CA", cert, 1);
	assert_int_equal(tls_call(t.port, NULL, 0, "__cookie__:tok", err, sizeof err), 0);
	unsetenv("EMBER_RPC_CA");
	/* insecure, asked for: no check */
	assert_int_equal(tls_call(t.port, NULL, 1, "__cookie__:tok", err, sizeof err), 0);
	/* a CA file that cannot be read */
	assert_int_equal(tls_call(t.port, "/nonexistent/ca.pem", 0, NULL, err,
	                          sizeof err), EMBER_RPC_TRANSPORT);
	assert_non_null(strstr(err, "cannot load ca file '/nonexistent/ca.pem'"));
	tls_srv_stop(&t);

	/* a certificate the CA file vouches for, but for another address */
	tls_srv_start(&t, other, okey);
	assert_int_equal(tls_call(t.port, other, 0, "__cookie__:tok", err, sizeof err),
	                 EMBER_RPC_TRANSPORT);
	assert_non_null(strstr(err, "certificate cannot be verified: IP address mismatch"));
	assert_non_null(strstr(err, "a name or address the certificate lists"));
	assert_int_equal(tls_call(t.port, NULL, 1, "__cookie__:tok", err, sizeof err), 0);
	tls_srv_stop(&t);

	unlink(cert);
	unlink(key);
	unlink(other);
	unlink(okey);
	rmdir(dir);
	if (old)
		setenv("EMBER_RPC_CA", old, 1);
	free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_result),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_cookie_read),
		cmocka_unit_test(test_remote_error),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_transport_refused),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_post_raw),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_tls_verify),
	};
	return cmocka_run_group_tests(tests, srv_start, srv_stop);
}
