/*
 * app.js - the Ember explorer.  Every figure on every page comes from the
 * node's public JSON-RPC (docs/rpc.md), read in the browser: no server
 * code, no build step, no library.  Pages have their own URLs
 * (#/block/12, #/tx/<txid>, #/account/<address>, ...) so they can be
 * linked and the back button works.
 *
 * Each page is an async function from its route to HTML text; the router
 * shows the answer of the latest navigation only.  While a page is being
 * read #main has data-state="loading"; then "ready" (or "error"), with
 * data-page naming the page and data-route the hash it shows.
 */

/* --- JSON-RPC -------------------------------------------------------- */

const RPC_URL = (() => {
	const q = new URLSearchParams(location.search).get("rpc");
	const meta = document.querySelector('meta[name="ember-rpc"]');
	return new URL(q || (meta && meta.content) || "/", location.href).href;
})();

const E_NOT_FOUND = -32001;
const E_NO_METHOD = -32601;

class RpcError extends Error {
	constructor(code, message) {
		super(message);
		this.code = code;
	}
}

let rpcSeq = 0;

async function post(body) {
	let r;
	try {
		r = await fetch(RPC_URL, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify(body),
		});
	} catch (e) {
		throw new RpcError(0, `cannot reach the node at '${RPC_URL}': ${e.message}`);
	}
	let j;
	try {
		j = await r.json();
	} catch (e) {
		throw new RpcError(0, `the node at '${RPC_URL}' answered HTTP ${r.status}, not JSON-RPC`);
	}
	return j;
}

function rpcError(e) {
	return new RpcError(e.code, e.message);
}

async function rpc(method, params = []) {
	const j = await post({ jsonrpc: "2.0", id: ++rpcSeq, method, params });
	if (j.error) throw rpcError(j.error);
	return j.result;
}

/* One request for many calls ([method, params] each); the answers in the
 * same order, each {result} or {error}. */
async function batch(calls) {
	if (!calls.length) return [];
	const body = calls.map(([method, params]) =>
		({ jsonrpc: "2.0", id: ++rpcSeq, method, params: params === undefined ? [] : params }));
	const j = await post(body);
	if (!Array.isArray(j)) throw rpcError(j.error || { code: 0, message: "the node did not answer the batch" });
	const byId = new Map(j.map((a) => [a.id, a]));
	return body.map((c) => {
		const a = byId.get(c.id);
		if (!a) return { error: new RpcError(0, "no answer") };
		return a.error ? { error: rpcError(a.error) } : { result: a.result };
	});
}

function must(a) {
	if (a.error) throw a.error;
	return a.result;
}

/* Chain constants that do not move (classes, price unit, epoch length). */
let paramsPromise = null;
function params() {
	if (!paramsPromise) {
		paramsPromise = rpc("getparams").catch((e) => {
			paramsPromise = null;
			throw e;
		});
	}
	return paramsPromise;
}

async function classNames() {
	const p = await params();
	const m = new Map();
	for (const c of p.gpu_classes) m.set(c.id, c.name);
	return m;
}

/* --- HTML ------------------------------------------------------------ */

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);

class Raw {
	constructor(s) {
		this.s = s;
	}
	toString() {
		return this.s;
	}
}
const raw = (s) => new Raw(s);

function show(v) {
	if (v instanceof Raw) return v.s;
	if (Array.isArray(v)) return v.map(show).join("");
	if (v === null || v === undefined || v === false) return "";
	return esc(v);
}

/* Tagged template: values are escaped unless they are html`` or raw(). */
function html(strings, ...vals) {
	let out = strings[0];
	for (let i = 0; i < vals.length; i++) out += show(vals[i]) + strings[i + 1];
	return raw(out);
}

/* --- formats --------------------------------------------------------- */

const UNIT = 1000000000n;

const group = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

function big(s) {
	try {
		return BigInt(s);
	} catch (e) {
		return null;
	}
}

/* Base units (decimal string) as EMB: "1,234.5 EMB", every digit kept. */
function embText(units, unit = true) {
	let v = big(units);
	if (v === null) return String(units);
	const neg = v < 0n;
	if (neg) v = -v;
	let s = group((v / UNIT).toString());
	const frac = v % UNIT;
	if (frac) s += "." + frac.toString().padStart(9, "0").replace(/0+$/, "");
	return (neg ? "-" : "") + s + (unit ? " EMB" : "");
}

function emb(units) {
	return html`<span class="amount" title="${units} base units">${embText(units)}</span>`;
}

const embNumber = (units) => Number(big(units) || 0n) / 1e9;

/* A price per GPU-hour in the chain's price_unit. */
function price(p, unit) {
	if (p === null || p === undefined) return "–";
	if (unit === "uusd") {
		const v = big(p);
		if (v === null) return String(p);
		let s = group((v / 1000000n).toString());
		const frac = (v % 1000000n).toString().padStart(6, "0").replace(/0+$/, "").padEnd(2, "0");
		return `$${s}.${frac}/GPU·h`;
	}
	return `${embText(p)}/GPU·h`;
}

const num = (n) => (n === null || n === undefined ? "–" : group(String(n)));

function utc(ms) {
	if (!ms && ms !== 0) return "–";
	return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

function ago(ms) {
	const s = Math.round((Date.now() - ms) / 1000);
	if (s < 0) return "just now";
	if (s < 60) return `${s}s ago`;
	if (s < 3600) return `${Math.floor(s / 60)}m ago`;
	if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
	return `${Math.floor(s / 86400)}d ago`;
}

function when(ms) {
	return html`<span title="${utc(ms)}">${ago(ms)}</span>`;
}

function short(s, head = 10, tail = 6) {
	s = String(s);
	return s.length > head + tail + 1 ? s.slice(0, head) + "…" + s.slice(-tail) : s;
}

function pct(s) {
	const v = Math.max(0, Math.min(100, parseFloat(s) || 0));
	return html`${s}%<div class="bar"><span style="width:${v.toFixed(2)}%"></span></div>`;
}

const STATUS_CLASS = {
	active: "ok", open: "ok", passed: "ok", pass: "ok", committed: "ok", leased: "info",
	pending: "warn", jailed: "bad", failed: "bad", fail: "bad", missing: "bad",
	retired: "", closed: "", expired: "", none: "", not_challenged: "",
};

function badge(s) {
	return html`<span class="badge ${STATUS_CLASS[s] || ""}">${String(s).replace(/_/g, " ")}</span>`;
}

/* --- links: every id is one ----------------------------------------- */

function blockLink(h, text) {
	if (h === null || h === undefined) return "–";
	return html`<a href="#/block/${h}" class="block-link">${text === undefined ? h : text}</a>`;
}

/* A height that may lie ahead of tip: a link once the block exists. */
function heightRef(h, tip) {
	return h !== null && h !== undefined && h > tip ? html`<span title="a future block">${h}</span>` : blockLink(h);
}

function blockHashLink(hash, full = false) {
	if (!hash) return "–";
	return html`<a href="#/block/${hash}" class="mono" title="${hash}">${full ? hash : short(hash)}</a>`;
}

function txLink(txid, full = false) {
	return html`<a href="#/tx/${txid}" class="mono tx-link" title="${txid}">${full ? txid : short(txid)}</a>`;
}

function addrLink(a, full = false) {
	if (!a) return "–";
	return html`<a href="#/account/${a}" class="mono addr-link" data-addr="${a}" title="${a}">${full ? a : short(a, 12, 6)}</a>`;
}

const leaseLink = (id) => (id === null || id === undefined ? "–" : html`<a href="#/lease/${id}">lease ${id}</a>`);
const orderLink = (id) => (id === null || id === undefined ? "–" : html`<a href="#/order/${id}">order ${id}</a>`);
const epochLink = (e) => (e === null || e === undefined ? "–" : html`<a href="#/challenges?epoch=${e}">${e}</a>`);

/* --- building blocks ------------------------------------------------- */

function card(key, value, sub, id) {
	const long = show(value).replace(/<[^>]*>/g, "").length > 15;
	return html`<div class="card"${id ? raw(` id="${esc(id)}"`) : ""}><div class="k">${key}</div><div class="v${long ? " long" : ""}">${value}</div>${
		sub ? html`<div class="s">${sub}</div>` : ""}</div>`;
}

/* cols: [[title, className?]]; rows: arrays of cells (html or text). */
function table(cols, rows, empty = "none", cls = "") {
	if (!rows.length) return html`<p class="muted">${empty}</p>`;
	const head = cols.map(([t, c]) => html`<th class="${c || ""}">${t}</th>`);
	const body = rows.map((r) => {
		const attrs = r.attrs ? raw(" " + r.attrs) : "";
		return html`<tr${attrs}>${r.map((v, i) => html`<td class="${cols[i][1] || ""}">${v}</td>`)}</tr>`;
	});
	return html`<div class="scroll"><table class="${cls}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function kv(pairs) {
	const rows = pairs.filter((p) => p).map(([k, v, id]) =>
		html`<tr><th>${k}</th><td${id ? raw(` id="${esc(id)}"`) : ""}>${v}</td></tr>`);
	return html`<div class="scroll"><table class="kv"><tbody>${rows}</tbody></table></div>`;
}

function range(from, to) {
	const out = [];
	for (let i = from; i <= to; i++) out.push(i);
	return out;
}

function qs(obj) {
	const p = new URLSearchParams();
	for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined && v !== "") p.set(k, v);
	const s = p.toString();
	return s ? "?" + s : "";
}

/* Optional params by name, leaving out the unset ones. */
function named(obj) {
	const o = {};
	for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined && v !== "") o[k] = v;
	return o;
}

class NotFound extends Error {}

function notFound(what, e) {
	if (e && e.code === E_NOT_FOUND) return new NotFound(`no ${what} on this chain`);
	return e;
}

/* --- home ------------------------------------------------------------ */

const HOME_BLOCKS = 20;
const HOME_TXS = 10;
const CHART_EPOCHS = 24;

async function pageHome() {
	const [st, sup, ns] = (await batch([["getstatus"], ["getsupply"], ["getnetworkstats"]])).map(must);
	const p = await params();
	const tip = st.height;
	const heights = range(Math.max(0, tip - HOME_BLOCKS + 1), tip).reverse();
	const blocks = (await batch(heights.map((h) => ["getblock", [h]]))).filter((a) => !a.error).map((a) => a.result);

	/* Rate over the recent blocks: txs after the oldest one, over the
	 * time from it to the newest. */
	let txs = 0;
	for (const b of blocks.slice(0, -1)) txs += b.tx_count;
	const span = blocks.length > 1 ? blocks[0].time_ms - blocks[blocks.length - 1].time_ms : 0;
	const tps = span > 0 ? (txs * 1000) / span : 0;
	const avgBlock = blocks.length > 1 ? span / (blocks.length - 1) : 0;

	/* Latest transactions: from the recent blocks, then further back. */
	const latest = [];
	let scanned = blocks.length;
	const take = (bs) => {
		for (const b of bs) for (const id of b.txids) if (latest.length < HOME_TXS) latest.push({ id, height: b.height, time: b.time_ms });
	};
	take(blocks);
	const oldest = blocks.length ? blocks[blocks.length - 1].height : 0;
	if (latest.length < HOME_TXS && oldest > 0) {
		const more = range(Math.max(0, oldest - 80), oldest - 1).reverse();
		scanned += more.length;
		take((await batch(more.map((h) => ["getblock", [h]]))).filter((a) => !a.error).map((a) => a.result));
	}

	/* Per-epoch minted and burned: the closed epochs, then the running one. */
	const firstEpoch = Math.max(0, sup.epoch - CHART_EPOCHS + 1);
	const closedCalls = range(firstEpoch, sup.epoch - 1).map((e) => ["getsupply", [e]]);
	const [txAns, closedAns] = await Promise.all([
		batch(latest.map((t) => ["gettx", [t.id]])),
		batch(closedCalls),
	]);
	const epochs = closedAns.filter((a) => !a.error).map((a) => a.result.requested_epoch);
	epochs.push(sup.current_epoch);

	const t = ns.totals;
	const cards = html`<div class="cards">
		${card("Height", blockLink(tip), html`<span id="stat-tip">${when(st.time_ms)}</span>`, "stat-height")}
		${card("Block time", avgBlock ? `${(avgBlock / 1000).toFixed(2)} s` : "–", `target ${(st.block_time_ms / 1000).toFixed(2)} s`, "stat-blocktime")}
		${card("Txs / s", tps.toFixed(2), `over the last ${blocks.length} blocks`, "stat-tps")}
		${card("Supply", embText(sup.total), html`circulating ${embText(sup.circulating)}`, "stat-supply")}
		${card("Minted", embText(sup.minted), html`next epoch ${embText(sup.emission_next)}`, "stat-minted")}
		${card("Burned", embText(sup.burned), `all time`, "stat-burned")}
		${card("GPUs", html`<span id="stat-gpus-leased">${num(t.gpus_leased)}</span> / <span id="stat-gpus">${num(t.gpus)}</span>`, `leased / registered · ${t.utilization_pct}%`, "stat-gpu")}
		${card("Providers", html`<a href="#/providers">${num(t.providers)}</a>`, `${t.providers_jailed} jailed · ${t.providers_retired} retired`, "stat-providers")}
		${card("Leases", html`<a href="#/leases?status=open">${num(t.open_leases)}</a>`, html`open · <a href="#/orders?status=open">${num(t.open_orders)} open orders</a>`, "stat-leases")}
		${card("Mempool", num(st.mempool_txs), `${num(st.mempool_bytes)} bytes`, "stat-mempool")}
		${card("Staked", embText(sup.staked), `in escrow ${embText(sup.escrow)}`, "stat-staked")}
		${card("Epoch", epochLink(sup.epoch), `${p.epoch_blocks} blocks each · ${p.token_model}`, "stat-epoch")}
	</div>`;

	const blockRows = blocks.map((b) => {
		const r = [blockLink(b.height), blockHashLink(b.hash), when(b.time_ms), num(b.tx_count), addrLink(b.proposer)];
		r.attrs = `data-height="${b.height}"`;
		return r;
	});
	const txRows = latest.map((x, i) => {
		const tx = txAns[i] && txAns[i].result;
		return [txLink(x.id), tx ? badge(tx.kind) : "", blockLink(x.height), tx ? addrLink(tx.from) : "", when(x.time)];
	});

	return html`<h1>Ember <span class="sub mono">${st.chain_id}</span></h1>
	${cards}
	<h2>Minted and burned per epoch</h2>
	<div class="panel">${supplyChart(epochs)}</div>
	<div class="cols">
		<section><h2>Latest blocks <a class="sub" href="#/blocks">all</a></h2>
		${table([["height"], ["hash"], ["time"], ["txs", "num"], ["proposer", "opt"]], blockRows, "no blocks yet", "latest-blocks")}</section>
		<section><h2>Latest transactions</h2>
		${table([["txid"], ["kind"], ["block"], ["from", "opt"], ["time"]], txRows, `no transactions in the last ${scanned} blocks`, "latest-txs")}</section>
	</div>`;
}

/* Grouped bars in inline SVG: minted and burned of each epoch, the running
 * epoch paler.  Amounts are drawn as floats of EMB; titles keep exact text. */
function supplyChart(rows) {
	/* Drawn for the width it will have, so its text stays legible. */
	const main = document.getElementById("main");
	const W = Math.round(Math.max(300, Math.min(760, (main ? main.clientWidth : 760) - 30)));
	const H = W < 500 ? 200 : 230, L = 56, R = 8, T = 12, B = 30;
	const max = Math.max(0, ...rows.flatMap((r) => [embNumber(r.minted), embNumber(r.burned)]));
	const top = niceCeil(max);
	const y = (v) => T + (H - T - B) * (1 - v / top);
	const slot = (W - L - R) / Math.max(1, rows.length);
	const bw = Math.max(2, Math.min(26, slot * 0.36));
	const parts = [];
	for (let i = 0; i <= 4; i++) {
		const v = (top * i) / 4;
		parts.push(`<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}"/>`);
		parts.push(`<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${esc(compact(v))}</text>`);
	}
	const every = Math.ceil(rows.length / Math.max(4, Math.floor(W / 60)));
	/* A non-zero amount stays visible however small next to the rest. */
	const h = (v) => (v > 0 ? Math.max(2, y(0) - y(v)) : 0);
	rows.forEach((r, i) => {
		const cx = L + slot * i + slot / 2;
		const run = r.closed ? "" : " running";
		const m = embNumber(r.minted), b = embNumber(r.burned);
		const title = `epoch ${r.epoch}${r.closed ? "" : " (running)"}: minted ${embText(r.minted)}, burned ${embText(r.burned)}`;
		parts.push(`<g data-epoch="${r.epoch}"><title>${esc(title)}</title>` +
			`<rect class="minted${run}" x="${cx - bw - 1}" y="${y(0) - h(m)}" width="${bw}" height="${h(m)}"/>` +
			`<rect class="burned${run}" x="${cx + 1}" y="${y(0) - h(b)}" width="${bw}" height="${h(b)}"/></g>`);
		if (i % every === 0) parts.push(`<text x="${cx}" y="${H - B + 16}" text-anchor="middle">${r.epoch}</text>`);
	});
	parts.push(`<text x="${(L + W - R) / 2}" y="${H - 2}" text-anchor="middle">epoch</text>`);
	const svg = `<svg class="chart" id="supply-chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="EMB minted and burned per epoch">${parts.join("")}</svg>`;
	return html`${raw(svg)}<div class="legend"><span><i style="background:var(--minted)"></i>minted</span><span><i style="background:var(--burned)"></i>burned</span><span>EMB; the last epoch is still running</span></div>`;
}

function niceCeil(v) {
	if (!(v > 0)) return 1;
	const p = Math.pow(10, Math.floor(Math.log10(v)));
	for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
	return 10 * p;
}

function compact(v) {
	if (v === 0) return "0";
	for (const [d, s] of [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]]) if (v >= d) return +(v / d).toFixed(2) + s;
	return String(+v.toFixed(3));
}

/* --- blocks ---------------------------------------------------------- */

const PER_PAGE = 25;

async function pageBlocks({ query }) {
	const page = Math.max(1, parseInt(query.get("page") || "1", 10) || 1);
	const st = await rpc("getstatus");
	const top = st.height - (page - 1) * PER_PAGE;
	const last = Math.ceil((st.height + 1) / PER_PAGE);
	if (top < 0) throw new NotFound(`no page ${page}: the chain has ${last} pages of ${PER_PAGE} blocks`);
	const hs = range(Math.max(0, top - PER_PAGE + 1), top).reverse();
	const blocks = (await batch(hs.map((h) => ["getblock", [h]]))).map(must);
	const rows = blocks.map((b) => [blockLink(b.height), blockHashLink(b.hash), html`${utc(b.time_ms)}`, num(b.tx_count), num(b.size), addrLink(b.proposer)]);
	return html`<h1>Blocks <span class="sub">page ${page} of ${last}</span></h1>
	${pager(page > 1 ? `#/blocks${qs({ page: page - 1 })}` : null, page < last ? `#/blocks${qs({ page: page + 1 })}` : null, "newer", "older")}
	${table([["height"], ["hash"], ["time"], ["txs", "num"], ["size", "num opt"], ["proposer", "opt"]], rows)}
	${pager(page > 1 ? `#/blocks${qs({ page: page - 1 })}` : null, page < last ? `#/blocks${qs({ page: page + 1 })}` : null, "newer", "older")}`;
}

function pager(prev, next, prevText = "previous", nextText = "next") {
	if (!prev && !next) return "";
	return html`<div class="pager">${prev ? html`<a href="${prev}" rel="prev">← ${prevText}</a>` : ""}${
		next ? html`<a href="${next}" rel="next">${nextText} →</a>` : ""}</div>`;
}

async function pageBlock({ m }) {
	const id = m[1];
	let arg;
	if (/^\d+$/.test(id)) arg = Number(id);
	else if (/^[0-9a-fA-F]{64}$/.test(id)) arg = id.toLowerCase();
	else throw new NotFound(`'${id}' is neither a height nor a block hash`);
	let b;
	try {
		b = await rpc("getblock", [arg]);
	} catch (e) {
		throw notFound(`block '${id}'`, e);
	}
	const st = await rpc("getstatus");
	const shown = b.txids.slice(0, 200);
	const txs = await batch(shown.map((t) => ["gettx", [t]]));
	const rows = shown.map((t, i) => {
		const tx = txs[i].result;
		return [num(i), txLink(t), tx ? badge(tx.kind) : "", tx ? addrLink(tx.from) : "", tx ? emb(tx.fee) : ""];
	});
	const cert = b.cert;
	const signers = cert ? (Array.isArray(cert.signers) ? cert.signers : null) : null;
	return html`<h1>Block <span id="block-height">${b.height}</span></h1>
	${pager(b.height > 0 ? `#/block/${b.height - 1}` : null, b.height < st.height ? `#/block/${b.height + 1}` : null, `block ${b.height - 1}`, `block ${b.height + 1}`)}
	${kv([
		["height", blockLink(b.height)],
		["hash", html`<span class="mono" id="block-hash">${b.hash}</span>`],
		["previous", b.height > 0 ? blockHashLink(b.prev_hash, true) : html`<span class="mono">${b.prev_hash}</span> <span class="muted">(genesis)</span>`],
		["time", html`${utc(b.time_ms)} · ${when(b.time_ms)}`],
		["proposer", addrLink(b.proposer, true)],
		["transactions", num(b.tx_count)],
		["size", `${num(b.size)} bytes`],
		["tx root", html`<span class="mono">${b.tx_root}</span>`],
		["state root", html`<span class="mono">${b.state_root}</span>`],
		["certificate", cert ? html`round ${cert.round} · ${signers ? signers.length : cert.signers} signer(s) ${
			signers ? signers.map((s) => html`<div>${addrLink(s, true)}</div>`) : ""}` : "none"],
		["confirmations", num(st.height - b.height)],
	])}
	<h2>Transactions</h2>
	${table([["#", "num"], ["txid"], ["kind"], ["from", "opt"], ["fee", "num opt"]], rows, "no transactions in this block")}
	${b.txids.length > shown.length ? html`<p class="muted">and ${b.txids.length - shown.length} more: ${b.txids.slice(200).map((t) => html`${txLink(t)} `)}</p>` : ""}`;
}

/* --- transactions ---------------------------------------------------- */

const TX_COMMON = new Set(["txid", "status", "height", "index", "block_hash", "kind", "chain_id", "from", "fee", "nonce", "size", "hex"]);
const ADDR_FIELDS = new Set(["to", "provider", "validator", "tenant"]);
const AMOUNT_FIELDS = new Set(["amount", "deposit", "fee"]);
const PRICE_FIELDS = new Set(["price_per_gpu_hour", "max_price_per_gpu_hour"]);
const HEIGHT_FIELDS = new Set(["height"]);

async function pageTx({ m }) {
	const txid = m[1].toLowerCase();
	let tx;
	try {
		tx = await rpc("gettx", [txid]);
	} catch (e) {
		throw notFound(`transaction '${txid}'`, e);
	}
	const p = await params();
	let block = null;
	if (tx.status === "committed") block = await rpc("getblock", [tx.height]).catch(() => null);
	const payload = [];
	for (const [k, v] of Object.entries(tx)) {
		if (TX_COMMON.has(k)) continue;
		let shown;
		if (ADDR_FIELDS.has(k)) shown = addrLink(v, true);
		else if (AMOUNT_FIELDS.has(k)) shown = emb(v);
		else if (PRICE_FIELDS.has(k)) shown = price(v, p.price_unit);
		else if (k === "order_id") shown = orderLink(v);
		else if (k === "lease_id") shown = leaseLink(v);
		else if (k === "epoch") shown = epochLink(v);
		else if (k === "gpu_class") shown = `${v} (${(await classNames()).get(v) || "unknown"})`;
		else if (HEIGHT_FIELDS.has(k)) shown = blockLink(v);
		else if (k === "price_uusd") shown = `$${(Number(v) / 1e6).toFixed(6).replace(/0{1,4}$/, "")} per EMB`;
		else if (typeof v === "string" && /^[0-9a-f]{40,}$/.test(v)) shown = html`<span class="mono">${v}</span>`;
		else shown = typeof v === "object" ? JSON.stringify(v) : String(v);
		payload.push([k.replace(/_/g, " "), shown]);
	}
	return html`<h1>Transaction <span class="sub">${badge(tx.kind)} ${badge(tx.status)}</span></h1>
	${kv([
		["txid", html`<span class="mono" id="tx-id">${tx.txid}</span>`],
		["status", badge(tx.status)],
		tx.status === "committed" ? ["block", html`${blockLink(tx.height)} · ${blockHashLink(tx.block_hash)}`, "tx-block"] : null,
		tx.status === "committed" ? ["position", `#${tx.index} in the block`] : null,
		block ? ["time", html`${utc(block.time_ms)} · ${when(block.time_ms)}`] : null,
		["kind", html`<span id="tx-kind">${tx.kind}</span>`],
		["from", addrLink(tx.from, true), "tx-from"],
		["fee", emb(tx.fee)],
		["nonce", num(tx.nonce)],
		["size", `${num(tx.size)} bytes`],
		["chain", html`<span class="mono">${tx.chain_id}</span>`],
	])}
	<h2>Payload</h2>
	${payload.length ? kv(payload) : html`<p class="muted">none for this kind</p>`}
	<details><summary>raw transaction (${num(tx.hex.length / 2)} bytes)</summary><pre class="hex">${tx.hex}</pre></details>`;
}

/* --- accounts -------------------------------------------------------- */

const HISTORY_LIMIT = 25;

async function pageAccount({ m, query }) {
	const addr = m[1].toLowerCase();
	/* getaccounthistory's cursor is opaque ("HEIGHT:INDEX"): the URL
	 * carries it as the node gave it. */
	const cursor = query.get("cursor") || null;
	const [acct, stake, prov, hist, asTenant, asProvider, orders] = await batch([
		["getaccount", [addr]],
		["getstake", [addr]],
		["getprovider", [addr]],
		["getaccounthistory", [addr, cursor, HISTORY_LIMIT]],
		["listleases", { tenant: addr, limit: 50 }],
		["listleases", { provider: addr, limit: 50 }],
		["listorders", { tenant: addr, limit: 50 }],
	]);
	const a = must(acct);
	const p = await params();
	const s = stake.result;
	const pv = prov.result;

	let history;
	if (hist.error && hist.error.code === E_NO_METHOD) {
		history = html`<p class="notice" id="history-na">history not available on this node</p>`;
	} else if (hist.error) {
		history = html`<p class="error" id="history-error">history: ${hist.error.message}</p>`;
	} else {
		const h = hist.result;
		const rows = h.txs.map((t) => [txLink(t.txid), blockLink(t.height), t.time_ms ? when(t.time_ms) : "–", badge(t.kind), t.role, addrLink(t.from)]);
		const next = h.next === null || h.next === undefined ? null : `#/account/${addr}${qs({ cursor: String(h.next) })}`;
		history = html`${table([["txid"], ["block"], ["time"], ["kind"], ["role"], ["from", "opt"]], rows, "no transactions yet", "history")}
		${pager(cursor !== null ? `#/account/${addr}` : null, next, "newest", "older")}`;
	}

	const leaseRows = (list) => list.map((l) => [leaseLink(l.id), badge(l.status), addrLink(l.tenant === addr ? l.provider : l.tenant), l.class_name, num(l.gpus), price(l.price_per_gpu_hour, p.price_unit), emb(l.paid)]);
	const provider = pv ? html`<h2>Provider</h2>
	<div class="cards">
		${card("Status", badge(pv.status), pv.eligible ? "eligible" : pv.ineligible_reason)}
		${card("GPUs", html`<span id="acct-gpus">${num(pv.gpus)}</span>`, `${pv.class_name} · ${pv.vram_gib} GiB`)}
		${card("In use", num(pv.gpus_in_use), `${num(pv.leases_open)} open leases`)}
		${card("Region", html`<a href="#/providers${qs({ region: pv.region })}">${pv.region}</a>`)}
		${card("Asking", price(pv.price_per_gpu_hour, p.price_unit))}
		${card("Last challenge", badge(pv.challenge_result), pv.challenge_epoch === null ? "none yet" : html`epoch ${epochLink(pv.challenge_epoch)}`)}
	</div>
	${kv([
		["endpoint", html`<span class="mono">${pv.endpoint}</span>`],
		["registered", html`block ${blockLink(pv.registered_height)}, updated in ${blockLink(pv.updated_height)}`],
		["work", `${num(pv.work)} GPU-blocks in epoch ${pv.work_epoch}, ${num(pv.work_total)} all time`],
		["minimum stake", emb(pv.min_stake)],
		["uptime", pv.uptime ? `${pv.uptime.last_30.passed} of ${pv.uptime.last_30.known} challenges passed (last 30 epochs)` : "no challenge judged yet"],
	])}` : "";

	return html`<h1>Account</h1>
	<p class="mono" id="acct-addr">${a.address}</p>
	<div class="cards">
		${card("Balance", html`<span id="acct-balance" data-units="${a.balance}">${embText(a.balance)}</span>`)}
		${card("Nonce", num(a.nonce), a.pending ? `${a.pending} pending` : "none pending")}
		${s ? card("Staked", html`<span id="acct-stake" data-units="${s.amount}">${embText(s.amount)}</span>`, s.unbonding !== "0" ? html`unbonding ${embText(s.unbonding)}` : "") : ""}
		${s ? card("Rewards", embText(s.rewards), html`all time ${embText(s.rewards_total)}`) : ""}
		${s && s.slashed_total !== "0" ? card("Slashed", embText(s.slashed_total)) : ""}
	</div>
	${s && s.unbonding_entries && s.unbonding_entries.length ? html`<h2>Unbonding</h2>${table([["released after block"], ["amount", "num"]],
		s.unbonding_entries.map((u) => [heightRef(u.release_height, s.height), emb(u.amount)]))}` : ""}
	${provider}
	<h2>History</h2>
	${history}
	${asTenant.result && asTenant.result.leases.length ? html`<h2>Leases as tenant</h2>${table([["lease"], ["status"], ["provider"], ["model", "opt"], ["GPUs", "num"], ["price", "num opt"], ["paid", "num"]], leaseRows(asTenant.result.leases))}` : ""}
	${asProvider.result && asProvider.result.leases.length ? html`<h2>Leases as provider</h2>${table([["lease"], ["status"], ["tenant"], ["model", "opt"], ["GPUs", "num"], ["price", "num opt"], ["paid", "num"]], leaseRows(asProvider.result.leases))}` : ""}
	${orders.result && orders.result.orders.length ? html`<h2>Orders</h2>${table([["order"], ["status"], ["model"], ["GPUs", "num"], ["max price", "num opt"], ["lease"]],
		orders.result.orders.map((o) => [orderLink(o.id), badge(o.status), o.class_name, num(o.gpus), price(o.max_price_per_gpu_hour, p.price_unit), leaseLink(o.lease_id)]))}` : ""}`;
}

/* --- providers ------------------------------------------------------- */

const MAX_PROVIDER_PAGES = 10;

async function pageProviders({ query }) {
	const filter = named({ class: query.get("class"), region: query.get("region"), status: query.get("status") });
	const [ns, p] = await Promise.all([rpc("getnetworkstats"), params()]);
	const providers = [];
	let after = null;
	for (let i = 0; i < MAX_PROVIDER_PAGES; i++) {
		const r = await rpc("listproviders", named({ ...filter, after, limit: 1000 }));
		providers.push(...r.providers);
		if (r.next === null) break;
		after = r.next;
	}
	const t = ns.totals;
	const classRows = ns.classes.map((c) => [
		html`<a href="#/providers${qs({ class: c.name })}">${c.name}</a>`, `${c.vram_gib} GiB`, num(c.providers), num(c.gpus), num(c.gpus_leased),
		pct(c.utilization_pct), c.ask_price ? price(c.ask_price.min, p.price_unit) : "–",
		c.ask_price ? price(c.ask_price.median, p.price_unit) : "–", c.ask_price ? price(c.ask_price.max, p.price_unit) : "–",
	]);

	/* Regions are not on the chain's list of anything: counted here from
	 * the providers that are not retired. */
	const regions = new Map();
	for (const pr of providers) {
		if (pr.status === "retired") continue;
		const r = regions.get(pr.region) || { providers: 0, gpus: 0, used: 0, min: null, models: new Set() };
		r.providers++;
		r.gpus += pr.gpus;
		r.used += pr.gpus_in_use;
		r.models.add(pr.class_name);
		const ask = big(pr.price_per_gpu_hour);
		if (pr.status === "active" && ask !== null && (r.min === null || ask < r.min)) r.min = ask;
		regions.set(pr.region, r);
	}
	const regionRows = [...regions.entries()].sort((x, y) => y[1].gpus - x[1].gpus || (x[0] < y[0] ? -1 : 1)).map(([name, r]) => [
		html`<a href="#/providers${qs({ region: name })}">${name}</a>`, num(r.providers), num(r.gpus), num(r.used),
		pct(r.gpus ? ((Math.floor((r.used * 10000) / r.gpus)) / 100).toFixed(2) : "0.00"),
		[...r.models].sort().join(", "), r.min === null ? "–" : price(r.min.toString(), p.price_unit),
	]);

	const rows = providers.map((pr) => {
		const r = [addrLink(pr.address), badge(pr.status), html`<a href="#/providers${qs({ class: pr.class_name })}">${pr.class_name}</a>`,
			html`<span class="prov-gpus">${num(pr.gpus)}</span>`, num(pr.gpus_in_use), html`<a href="#/providers${qs({ region: pr.region })}">${pr.region}</a>`,
			price(pr.price_per_gpu_hour, p.price_unit), badge(pr.challenge_result), blockLink(pr.registered_height)];
		r.attrs = `data-addr="${esc(pr.address)}"`;
		return r;
	});
	const filtered = Object.keys(filter).length;
	return html`<h1>Providers</h1>
	<div class="cards">
		${card("Providers", num(t.providers), `${t.providers_jailed} jailed · ${t.providers_retired} retired`)}
		${card("GPUs", html`<span id="prov-total-gpus">${num(t.gpus)}</span>`, "registered, active")}
		${card("Leased", num(t.gpus_leased), `${t.utilization_pct}% utilization`)}
		${card("Open leases", html`<a href="#/leases?status=open">${num(t.open_leases)}</a>`, html`<a href="#/orders?status=open">${num(t.open_orders)} open orders</a>`)}
	</div>
	<h2>GPUs by model</h2>
	${table([["model"], ["VRAM", "opt"], ["providers", "num"], ["GPUs", "num"], ["leased", "num"], ["utilization"], ["lowest ask", "num"], ["median ask", "num opt"], ["highest ask", "num opt"]], classRows, "no GPU classes", "by-model")}
	<h2>GPUs by region</h2>
	${table([["region"], ["providers", "num"], ["GPUs", "num"], ["leased", "num"], ["utilization"], ["models", "opt"], ["lowest ask", "num opt"]], regionRows, "no providers", "by-region")}
	<h2>${filtered ? html`Providers: ${Object.entries(filter).map(([k, v]) => `${k} ${v}`).join(", ")} <a class="sub" href="#/providers">show all</a>` : "All providers"}</h2>
	${table([["address"], ["status"], ["model"], ["GPUs", "num"], ["in use", "num"], ["region"], ["asking", "num opt"], ["challenge", "opt"], ["since", "opt"]], rows, "no providers", "providers")}
	${after !== null && providers.length >= MAX_PROVIDER_PAGES * 1000 ? html`<p class="muted">the first ${num(providers.length)} providers are shown</p>` : ""}`;
}

/* --- leases and orders ----------------------------------------------- */

const LIST_LIMIT = 50;

function tabs(base, key, current, values) {
	return html`<div class="tabs">${values.map(([v, label]) =>
		html`<a href="${base}${qs(v ? { [key]: v } : {})}" class="${(current || "") === v ? "active" : ""}">${label}</a>`)}</div>`;
}

async function pageLeases({ query }) {
	const status = query.get("status") || "";
	const after = query.get("after");
	const [r, p] = await Promise.all([
		rpc("listleases", named({ status, after: after === null ? null : Number(after), limit: LIST_LIMIT })),
		params(),
	]);
	const rows = r.leases.map((l) => [leaseLink(l.id), badge(l.status), addrLink(l.tenant), addrLink(l.provider), l.class_name, num(l.gpus),
		price(l.price_per_gpu_hour, p.price_unit), emb(l.paid), emb(l.escrow), html`${blockLink(l.start_height)}–${blockLink(l.end_height)}`]);
	return html`<h1>Leases</h1>
	${tabs("#/leases", "status", status, [["", "all"], ["open", "open"], ["closed", "closed"]])}
	${table([["lease"], ["status"], ["tenant"], ["provider", "opt"], ["model", "opt"], ["GPUs", "num"], ["price", "num opt"], ["paid", "num"], ["escrow", "num opt"], ["blocks", "opt"]], rows, "no leases", "leases")}
	${pager(after !== null ? `#/leases${qs({ status })}` : null, r.next !== null ? `#/leases${qs({ status, after: r.next })}` : null, "first", "next")}`;
}

async function pageLease({ m }) {
	let l;
	try {
		l = await rpc("getlease", [Number(m[1])]);
	} catch (e) {
		throw notFound(`lease ${m[1]}`, e);
	}
	return html`<h1>Lease ${l.id} <span class="sub">${badge(l.status)}</span></h1>
	${kv([
		["order", orderLink(l.order_id)],
		["tenant", addrLink(l.tenant, true)],
		["provider", addrLink(l.provider, true)],
		["GPUs", `${num(l.gpus)} × ${l.class_name}`],
		["price", price(l.price_per_gpu_hour, l.price_unit)],
		["status", html`${badge(l.status)}${l.close_reason ? html` ${l.close_reason.replace(/_/g, " ")}` : ""}`],
		["blocks", html`accepted in ${blockLink(l.start_height)}, billed up to ${heightRef(l.end_height, l.height)}`],
		l.close_height !== null ? ["closed", html`last billed block ${blockLink(l.close_height)}`] : null,
		["settled to", blockLink(l.settled_height)],
		["deposited", emb(l.deposited)],
		["paid", emb(l.paid)],
		["escrow", emb(l.escrow)],
		l.runs_dry_height !== null ? ["runs dry", html`after block ${heightRef(l.runs_dry_height, l.height)}`] : null,
		["current segment", html`from block ${blockLink(l.segment.start_height)}, paid ${emb(l.segment.paid)}`],
	])}`;
}

async function pageOrders({ query }) {
	const status = query.get("status") || "";
	const after = query.get("after");
	const [r, p] = await Promise.all([
		rpc("listorders", named({ status, after: after === null ? null : Number(after), limit: LIST_LIMIT })),
		params(),
	]);
	const rows = r.orders.map((o) => [orderLink(o.id), badge(o.status), addrLink(o.tenant), o.class_name, num(o.gpus),
		price(o.max_price_per_gpu_hour, p.price_unit), num(o.bid_count), leaseLink(o.lease_id), blockLink(o.created_height)]);
	return html`<h1>Orders</h1>
	${tabs("#/orders", "status", status, [["", "all"], ["open", "open"], ["leased", "leased"], ["expired", "expired"]])}
	${table([["order"], ["status"], ["tenant"], ["model", "opt"], ["GPUs", "num"], ["max price", "num opt"], ["bids", "num opt"], ["lease"], ["created", "opt"]], rows, "no orders", "orders")}
	${pager(after !== null ? `#/orders${qs({ status })}` : null, r.next !== null ? `#/orders${qs({ status, after: r.next })}` : null, "first", "next")}`;
}

async function pageOrder({ m }) {
	let o;
	try {
		o = await rpc("getorder", [Number(m[1])]);
	} catch (e) {
		throw notFound(`order ${m[1]}`, e);
	}
	const bids = o.bids.map((b) => [addrLink(b.provider), price(b.price_per_gpu_hour, o.price_unit), blockLink(b.height)]);
	return html`<h1>Order ${o.id} <span class="sub">${badge(o.status)}</span></h1>
	${kv([
		["tenant", addrLink(o.tenant, true)],
		["wants", `${num(o.gpus)} × ${o.class_name} for ${num(o.duration_blocks)} blocks`],
		["max price", price(o.max_price_per_gpu_hour, o.price_unit)],
		["deposit", emb(o.deposit)],
		["open", html`from block ${blockLink(o.created_height)} while below ${heightRef(o.expires_height, o.height)}`],
		["bids", num(o.bid_count)],
		["lease", leaseLink(o.lease_id)],
	])}
	<h2>Pending bids</h2>
	${table([["provider"], ["price", "num"], ["block"]], bids, o.status === "open" ? "no bids yet" : "bids are released once an order is leased or expired")}`;
}

/* --- challenges ------------------------------------------------------ */

const CHALLENGE_EPOCHS = 12;

async function pageChallenges({ query }) {
	const want = query.get("epoch");
	const r = await rpc("listchallenges", named({ epoch: want === null ? null : Number(want), limit: 1000 }));
	const names = await classNames();
	const e = r.epoch;
	const cur = want === null ? e : (await rpc("listchallenges", { limit: 1 })).epoch;
	const hist = range(Math.max(0, cur - CHALLENGE_EPOCHS + 1), cur).reverse();
	const hs = await batch(hist.map((x) => ["listchallenges", { epoch: x, limit: 1 }]));
	const histRows = hist.map((x, i) => {
		const h = hs[i].result;
		if (!h) return [epochLink(x), "–", "–", "–", "–", "–", ""];
		const c = h.counts;
		return [epochLink(x), num(c.issued), num(c.passed), num(c.failed), num(c.missing), num(c.pending), h.closed ? "judged" : h.issued ? "running" : "not issued"];
	});
	const rows = r.challenges.map((c) => [addrLink(c.provider), names.get(c.gpu_class) || c.gpu_class, num(c.n), badge(c.status),
		c.proof ? html`${blockLink(c.proof.height)} <span class="mono opt" title="${c.proof.root}">${short(c.proof.root, 8, 4)}</span>` : "–",
		c.judged_height === null ? "–" : blockLink(c.judged_height)]);
	const c = r.counts;
	return html`<h1>GPU challenges <span class="sub">epoch ${e}</span></h1>
	${pager(e > 0 ? `#/challenges${qs({ epoch: e - 1 })}` : null, e < cur ? `#/challenges${qs({ epoch: e + 1 })}` : null, `epoch ${e - 1}`, `epoch ${e + 1}`)}
	${r.challenges_enabled ? "" : html`<p class="notice">challenges are disabled on this chain</p>`}
	<div class="cards" id="challenge-counts">
		${card("Issued", html`<span id="ch-issued">${num(c.issued)}</span>`, r.issued ? html`in block ${blockLink(r.issued_height)}` : html`at block ${heightRef(r.issued_height, r.height)}`)}
		${card("Passed", html`<span id="ch-passed">${num(c.passed)}</span>`)}
		${card("Failed", html`<span id="ch-failed">${num(c.failed)}</span>`)}
		${card("Missing", html`<span id="ch-missing">${num(c.missing)}</span>`)}
		${card("Pending", html`<span id="ch-pending">${num(c.pending)}</span>`, html`proofs due by block ${heightRef(r.deadline_height, r.height)}`)}
		${card("Epoch", r.closed ? "judged" : "running", html`ends at block ${heightRef(r.epoch_end_height, r.height)}`)}
	</div>
	<h2>Providers challenged in epoch ${e}</h2>
	${table([["provider"], ["model"], ["n", "num opt"], ["status"], ["proof"], ["judged", "opt"]], rows, r.issued ? "no provider was challenged" : "not issued yet", "challenges")}
	${r.next !== null ? html`<p class="muted">the first ${num(r.challenges.length)} are shown</p>` : ""}
	<h2>Recent epochs</h2>
	${table([["epoch"], ["issued", "num"], ["passed", "num"], ["failed", "num"], ["missing", "num"], ["pending", "num"], ["state"]], histRows, "none", "challenge-epochs")}`;
}

/* --- search ---------------------------------------------------------- */

const ADDR_RE = /^ember1[02-9ac-hj-np-z]{20,}$/;

/* The route a query leads to, or null. */
async function resolve(q) {
	q = q.trim();
	const lower = q.toLowerCase();
	if (/^\d+$/.test(q)) return `/block/${Number(q)}`;
	const hex = lower.replace(/^0x/, "");
	if (/^[0-9a-f]{64}$/.test(hex)) {
		const [b, t] = await batch([["getblock", [hex]], ["gettx", [hex]]]);
		if (b.result) return `/block/${hex}`;
		if (t.result) return `/tx/${hex}`;
		return null;
	}
	if (ADDR_RE.test(lower)) return `/account/${lower}`;
	let m;
	if ((m = lower.match(/^(lease|order)\s*#?\s*(\d+)$/))) return `/${m[1]}/${m[2]}`;
	return null;
}

async function pageSearch({ query }) {
	const q = (query.get("q") || "").trim();
	const to = q ? await resolve(q) : null;
	if (to) {
		/* The search itself is no page to come back to. */
		location.replace("#" + to);
		return null;
	}
	return html`<h1>Search</h1>
	<p class="notice" id="search-none">nothing found for '${q}': enter a block height, a block hash, a txid (64 hex digits) or an address (ember1...)</p>`;
}

/* --- router ---------------------------------------------------------- */

const ROUTES = [
	[/^\/$/, "home", pageHome],
	[/^\/blocks$/, "blocks", pageBlocks],
	[/^\/block\/([^/]+)$/, "block", pageBlock],
	[/^\/tx\/([0-9a-fA-F]{64})$/, "tx", pageTx],
	[/^\/account\/([^/]+)$/, "account", pageAccount],
	[/^\/providers$/, "providers", pageProviders],
	[/^\/leases$/, "leases", pageLeases],
	[/^\/lease\/(\d+)$/, "lease", pageLease],
	[/^\/orders$/, "orders", pageOrders],
	[/^\/order\/(\d+)$/, "order", pageOrder],
	[/^\/challenges$/, "challenges", pageChallenges],
	[/^\/search$/, "search", pageSearch],
];

const NAV_OF = { block: "blocks", tx: "blocks", account: "", lease: "leases", order: "orders" };

const REFRESH_MS = 5000;
let navSeq = 0;
let refreshTimer = null;

function parseHash() {
	let h = location.hash.replace(/^#/, "") || "/";
	const i = h.indexOf("?");
	let path = i < 0 ? h : h.slice(0, i);
	try {
		path = decodeURIComponent(path);
	} catch (e) {
		/* keep it as it came */
	}
	return { path: path || "/", query: new URLSearchParams(i < 0 ? "" : h.slice(i + 1)) };
}

async function render(quiet) {
	const seq = ++navSeq;
	clearTimeout(refreshTimer);
	refreshTimer = null;
	const main = document.getElementById("main");
	const { path, query } = parseHash();
	const routeText = location.hash;
	let name = "notfound", fn = null, m = null;
	for (const [re, n, f] of ROUTES) {
		if ((m = path.match(re))) {
			name = n;
			fn = f;
			break;
		}
	}
	for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.nav === (NAV_OF[name] ?? name));
	if (!quiet) main.dataset.state = "loading";
	let out, state = "ready";
	try {
		if (!fn) throw new NotFound(`no page '${path}' here`);
		out = await fn({ m, query });
	} catch (e) {
		state = "error";
		out = html`<h1>${e instanceof NotFound ? "Not found" : "Error"}</h1><p class="error" id="page-error">${e.message}</p>`;
	}
	if (seq !== navSeq) return;           /* a later navigation won */
	if (out === null) return;             /* the page moved on (search) */
	if (quiet && state !== "ready") {
		/* keep the last good figures; try again later */
	} else {
		main.innerHTML = out.toString();
		main.dataset.page = name;
		main.dataset.route = routeText;
		main.dataset.state = state;
		if (!quiet) window.scrollTo(0, 0);
		document.title = `${main.querySelector("h1") ? main.querySelector("h1").textContent.replace(/\s+/g, " ").trim() : "Ember"} · Ember explorer`;
	}
	if (name === "home")
		refreshTimer = setTimeout(() => {
			if (document.visibilityState === "visible") render(true);
			else refreshTimer = setTimeout(() => render(true), REFRESH_MS);
		}, REFRESH_MS);
}

async function footer() {
	const f = document.getElementById("foot");
	try {
		const st = await rpc("getstatus");
		f.innerHTML = html`node <span class="mono">${RPC_URL}</span> · chain <span class="mono">${st.chain_id}</span> · version ${st.version} · every figure read through the node's public JSON-RPC`.toString();
	} catch (e) {
		f.textContent = `node ${RPC_URL}: ${e.message}`;
	}
}

document.getElementById("search").addEventListener("submit", (ev) => {
	ev.preventDefault();
	const input = document.getElementById("q");
	const q = input.value.trim();
	if (!q) return;
	input.value = "";
	input.blur();
	location.hash = `#/search${qs({ q })}`;
});

window.addEventListener("hashchange", () => render(false));
render(false);
footer();
