/*
 * explorer.c - the built-in explorer page at GET /.  A static page that
 * reads everything through the same public JSON-RPC an external explorer
 * uses, so it needs no server-side code of its own.
 */
#include "ember/rpcnode.h"

#include <event2/buffer.h>

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

int rpc_node_explorer(struct evbuffer *body, const char **content_type, void *ctx)
{
	(void)ctx;
	*content_type = "text/html; charset=utf-8";
	evbuffer_add(body, explorer_html, sizeof(explorer_html) - 1);
	return 200;
}
