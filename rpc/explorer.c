/*
 * explorer.c - the block explorer over HTTP GET.
 *
 * The explorer is static files (share/explorer: index.html, app.js,
 * style.css) that read everything through the public JSON-RPC, so anyone
 * can host the same files in front of any node and the node needs no
 * server-side code for it.  emberd serves them under /explorer/ from its
 * share directory, which is looked up at each request (no state: the files
 * may be edited or installed while the node runs):
 *
 *   1. $EMBER_SHARE_DIR when it is set and not empty, alone;
 *   2. else BINDIR/../share/explorer, BINDIR the directory of the running
 *      binary (/proc/self/exe): bin/ of the source tree, or PREFIX/bin of
 *      an installed emberd (PREFIX/share/explorer).
 *
 * GET / (and /explorer) sends the browser on to /explorer/, keeping the
 * #/route, when that directory has an index.html, and serves the small
 * built-in page below, which needs no files, when it has not.
 *
 * Only regular files inside the directory are served: a request path is
 * made of plain names (letters, digits, '.', '-', '_'; none starting with
 * '.', so no "..", no hidden files, no percent escapes), and the file it
 * names must resolve, symbolic links followed, to a path still inside the
 * directory.  Anything else is 404.
 */
#include "ember/rpcnode.h"

#include <event2/buffer.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXPLORER_MAX_FILE (8u << 20)   /* larger files are not served */
#define EXPLORER_SUBDIR "/../share/explorer"

static const char explorer_html[] =
"<!doctype html><html><head><meta charset=utf-8><title>Ember explorer</title>\n"
"<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
"table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;"
"border-bottom:1px solid #ddd}code{font-size:12px}h1{color:#c4451c}</style>\n"
"</head><body><h1>Ember</h1><div id=status>loading</div>\n"
"<h2>Latest blocks</h2><table id=blocks><tr><th>height<th>hash<th>txs<th>time</table>\n"
"<script>\n"
"async function rpc(m,p){const r=await fetch('/',{method:'POST',"
"headers:{'content-type':'application/json'},body:JSON.stringify("
"{jsonrpc:'2.0',id:1,method:m,params:p||[]})});const j=await r.json();"
"if(j.error)throw new Error(j.error.message);return j.result}\n"
"function esc(s){return String(s).replace(/[&<>\"]/g,c=>'&#'+c.charCodeAt(0)+';')}\n"
"async function tick(){try{const s=await rpc('getstatus');"
"document.getElementById('status').innerHTML='chain <b>'+esc(s.chain_id)+'</b> height <b>'"
"+s.height+'</b> mempool '+s.mempool_txs+' txs<br>tip <code>'+esc(s.tip_hash)+'</code><br>state root <code>'"
"+esc(s.state_root)+'</code>';let rows='<tr><th>height<th>hash<th>txs<th>time';"
"for(let h=s.height;h>=0&&h>s.height-10;h--){const b=await rpc('getblock',[h]);"
"rows+='<tr><td>'+b.height+'<td><code>'+esc(b.hash)+'</code><td>'+b.tx_count+'<td>'"
"+new Date(b.time_ms).toISOString()}document.getElementById('blocks').innerHTML=rows}"
"catch(e){document.getElementById('status').textContent='error: '+e.message}}\n"
"tick();setInterval(tick,2000);\n"
"</script></body></html>\n";

/* GET / when the share directory has the explorer: on to /explorer/. */
static const char explorer_redirect[] =
"<!doctype html><html><head><meta charset=utf-8><title>Ember explorer</title>\n"
"<meta http-equiv=refresh content=\"0;url=/explorer/\">\n"
"<script>location.replace('/explorer/'+location.hash)</script>\n"
"</head><body><a href=\"/explorer/\">Ember explorer</a></body></html>\n";

static const struct {
	const char *ext;
	const char *type;
} explorer_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".map", "application/json" },
};

/*
 * The share directory, resolved (realpath), into out (PATH_MAX bytes).
 * Returns: 0, or -1 when it cannot be found or is not a directory.
 */
static int explorer_dir(char *out)
{
	const char *env = getenv("EMBER_SHARE_DIR");
	char buf[PATH_MAX + sizeof EXPLORER_SUBDIR];
	struct stat st;

	if (env && *env) {
		if (strlen(env) >= sizeof buf)
			return -1;
		strcpy(buf, env);
	} else {
		ssize_t n = readlink("/proc/self/exe", buf, PATH_MAX - 1);
		char *slash;

		if (n <= 0)
			return -1;
		buf[n] = '\0';
		if (!(slash = strrchr(buf, '/')))
			return -1;
		strcpy(slash, EXPLORER_SUBDIR);
	}
	if (!realpath(buf, out) || stat(out, &st) != 0 || !S_ISDIR(st.st_mode))
		return -1;
	return 0;
}

/*
 * Returns: 1 when rest is a path we serve: names of [A-Za-z0-9._-], none
 * empty or starting with '.', joined by single '/'; 0 otherwise.
 */
static int explorer_path_ok(const char *rest)
{
	const char *p;
	int start = 1;

	if (!*rest)
		return 0;
	for (p = rest; *p; p++) {
		char c = *p;

		if (c == '/') {
			if (start)
				return 0;
			start = 1;
			continue;
		}
		if (start && c == '.')
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
			return 0;
		start = 0;
	}
	return !start;
}

static const char *explorer_type(const char *name)
{
	size_t n = strlen(name), i;

	for (i = 0; i < sizeof explorer_types / sizeof explorer_types[0]; i++) {
		size_t e = strlen(explorer_types[i].ext);

		if (n > e && strcmp(name + n - e, explorer_types[i].ext) == 0)
			return explorer_types[i].type;
	}
	return "application/octet-stream";
}

/*
 * Append the file rel (checked by explorer_path_ok) of the directory dir
 * (resolved) to body.  Returns: 200, or 404 when it is missing, is not a
 * regular file, lies outside dir once links are followed, is too large or
 * cannot be read whole.
 */
static int explorer_send(struct evbuffer *body, const char *dir,
                         const char *rel)
{
	char path[PATH_MAX], real[PATH_MAX];
	size_t dlen = strlen(dir), got = 0;
	struct stat st;
	int fd, n;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) >= sizeof path ||
	    !realpath(path, real) || strncmp(real, dir, dlen) != 0 ||
	    real[dlen] != '/')
		return 404;
	if ((fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 404;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (unsigned long long)st.st_size > EXPLORER_MAX_FILE) {
		close(fd);
		return 404;
	}
	while (got < (size_t)st.st_size &&
	       (n = evbuffer_read(body, fd, (int)((size_t)st.st_size - got))) > 0)
		got += (size_t)n;
	close(fd);
	if (got != (size_t)st.st_size) {
		evbuffer_drain(body, evbuffer_get_length(body));
		return 404;
	}
	return 200;
}

static int explorer_not_found(struct evbuffer *body, const char **content_type)
{
	*content_type = "text/plain; charset=utf-8";
	evbuffer_add_printf(body, "404 Not Found\n");
	return 404;
}

int rpc_node_explorer(struct evbuffer *body, const char **content_type, void *ctx)
{
	char dir[PATH_MAX], index[PATH_MAX + 16];
	struct stat st;

	(void)ctx;
	*content_type = "text/html; charset=utf-8";
	if (explorer_dir(dir) == 0 &&
	    (size_t)snprintf(index, sizeof index, "%s/index.html", dir) < sizeof index &&
	    stat(index, &st) == 0 && S_ISREG(st.st_mode)) {
		evbuffer_add(body, explorer_redirect, sizeof(explorer_redirect) - 1);
		return 200;
	}
	evbuffer_add(body, explorer_html, sizeof(explorer_html) - 1);
	return 200;
}

int rpc_node_explorer_file(const char *rest, struct evbuffer *body,
                           const char **content_type, void *ctx)
{
	char dir[PATH_MAX], rel[PATH_MAX];
	size_t len = strlen(rest);
	int code;

	(void)ctx;
	/* "" and "sub/" are their index.html. */
	if ((size_t)snprintf(rel, sizeof rel, "%s%s", rest,
	                     !len || rest[len - 1] == '/' ? "index.html" : "") >= sizeof rel ||
	    !explorer_path_ok(rel) || explorer_dir(dir) != 0)
		return explorer_not_found(body, content_type);
	if ((code = explorer_send(body, dir, rel)) != 200)
		return explorer_not_found(body, content_type);
	*content_type = explorer_type(rel);
	return code;
}

int rpc_node_explorer_routes(struct rpc_server *s, struct rpc_node *n)
{
	int rc = rpc_server_route_tree(s, "/explorer/", rpc_node_explorer_file, n);

	/* "/explorer" without its slash is the same as "/". */
	return rc ? rc : rpc_server_route(s, "/explorer", rpc_node_explorer, n);
}
