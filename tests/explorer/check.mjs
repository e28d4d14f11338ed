// check.mjs - drives Debian's chromium (playwright-core) over the explorer
// that emberd serves, and checks what it shows against the node's own RPC
// answers.  Run by tests/integration/explorer.sh, which starts the node and
// a market; the environment names what to look at:
//   EXPLORER_URL  the node (http://127.0.0.1:PORT/): RPC and pages
//   CHROMIUM      the browser binary      SHOTS  where screenshots go
//   TXID          a committed tx (the accept)
//   TENANT        an account to search (dev2)
//   STAKER        an account with stake (dev3)
//   PROVIDER      a registered provider (dev1)
// Every wait is for a condition, bounded by a timeout; figures that move
// with the chain (the height) must lie between two RPC reads taken before
// and after the page read them.  Exits 1 at the first failed check, with a
// screenshot of the page as it was.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

function env(k) {
	const v = process.env[k];
	if (!v) throw new Error(`${k} is not set`);
	return v;
}

const BASE = env("EXPLORER_URL").replace(/\/?$/, "/");
const SHOTS = env("SHOTS");
const TXID = env("TXID");
const TENANT = env("TENANT");
const STAKER = env("STAKER");
const PROVIDER = env("PROVIDER");
const WAIT_MS = 15000;

mkdirSync(SHOTS, { recursive: true });

async function rpc(method, params = []) {
	const r = await fetch(BASE, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
	});
	const j = await r.json();
	if (j.error) throw new Error(`${method}: ${j.error.message}`);
	return j.result;
}

// As the explorer writes base units: "1,234.5 EMB", every digit kept.
function embText(units) {
	const v = BigInt(units);
	let s = (v / 1000000000n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	const frac = v % 1000000000n;
	if (frac) s += "." + frac.toString().padStart(9, "0").replace(/0+$/, "");
	return s + " EMB";
}

function assert(cond, msg) {
	if (!cond) throw new Error(msg);
}

const T0 = Date.now();
function ok(msg) {
	console.log(`ok: ${msg} (${((Date.now() - T0) / 1000).toFixed(1)} s)`);
}

const shots = [];
async function shot(page, name) {
	const path = join(SHOTS, `${name}.png`);
	await page.screenshot({ path, fullPage: true });
	shots.push(path);
}

// Wait until #main shows route (a location.hash) read to the end, and
// that it is no error page (unless wantError).
async function ready(page, route, wantError = false) {
	await page.waitForFunction(
		(r) => {
			const m = document.getElementById("main");
			return m && m.dataset.state !== "loading" && m.dataset.route === r && location.hash === r;
		},
		route,
		{ timeout: WAIT_MS },
	);
	const state = await page.getAttribute("#main", "data-state");
	if (wantError) assert(state === "error", `${route || "home"} should be an error page, is ${state}`);
	else assert(state === "ready", `${route || "home"} shows an error: ${(await page.textContent("#main")).trim()}`);
}

async function text(page, sel) {
	const el = await page.waitForSelector(sel, { state: "attached", timeout: WAIT_MS });
	return (await el.textContent()).trim();
}

async function search(page, q, route) {
	await page.fill("#q", q);
	await page.press("#q", "Enter");
	await ready(page, route);
}

async function clickTo(page, sel, route) {
	await page.click(sel);
	await ready(page, route);
}

async function noHorizontalScroll(page, what) {
	const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
	assert(sw <= iw, `${what} scrolls sideways at ${iw} px: content is ${sw} px wide`);
	ok(`${what}: no horizontal scroll at ${iw} px`);
}

const errors = [];
function watch(page) {
	page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
	page.on("console", (m) => {
		if (m.type() === "error") errors.push(`console: ${m.text()}`);
	});
}

const browser = await chromium.launch({
	executablePath: env("CHROMIUM"),
	headless: true,
	args: [
		"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-quic",
	],
	timeout: 30000,
});
ok(`chromium started`);
let page;
let status = 0;
try {
	const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
	page = await desk.newPage();
	watch(page);

	// Home: "/" leads to /explorer/; the height lies between two reads.
	const h0 = (await rpc("getstatus")).height;
	await page.goto(BASE, { timeout: WAIT_MS });
	await page.waitForURL(/\/explorer\/$/, { timeout: WAIT_MS });
	await ready(page, "");
	const h1 = (await rpc("getstatus")).height;
	const shown = Number(await text(page, "#stat-height .v"));
	assert(shown >= h0 && shown <= h1, `home height ${shown} is not within the node's ${h0}..${h1}`);
	ok(`home: height ${shown} (node ${h0}..${h1})`);
	const ns = await rpc("getnetworkstats");
	assert(Number(await text(page, "#stat-gpus")) === ns.totals.gpus, `home GPUs != ${ns.totals.gpus}`);
	assert(Number(await text(page, "#stat-gpus-leased")) === ns.totals.gpus_leased, `home GPUs leased != ${ns.totals.gpus_leased}`);
	ok(`home: GPUs ${ns.totals.gpus_leased} leased of ${ns.totals.gpus}`);
	const sup0 = await rpc("getsupply", [0]);
	const minted0 = sup0.requested_epoch.minted;
	const title0 = await text(page, '#supply-chart g[data-epoch="0"] title');
	assert(title0.includes(`minted ${embText(minted0)}`), `supply chart epoch 0 says '${title0}', node minted ${minted0}`);
	assert((await page.$$("#supply-chart rect.minted")).length >= 2, "supply chart has fewer than 2 epochs");
	ok(`home: supply chart, epoch 0 minted ${embText(minted0)}`);
	assert((await page.$$("table.latest-blocks tbody tr")).length > 0, "no latest blocks");
	const latestTx = await page.$(`table.latest-txs a[href="#/tx/${TXID}"]`);
	const txHeight = (await rpc("gettx", [TXID])).height;
	if (h1 - txHeight < 20) assert(latestTx, `latest transactions lack ${TXID}`);
	await shot(page, "home");

	// Blocks, two pages.
	await clickTo(page, 'nav a[data-nav="blocks"]', "#/blocks");
	assert((await page.$$("tbody tr")).length === 25, "the first page of blocks has not 25 rows");
	const hb = (await rpc("getstatus")).height;
	await clickTo(page, 'a[rel="next"]', "#/blocks?page=2");
	const ha = (await rpc("getstatus")).height;
	const first2 = Number(await text(page, "tbody tr td a.block-link"));
	assert(first2 >= hb - 25 && first2 <= ha - 25, `page 2 starts at block ${first2}, not within ${hb - 25}..${ha - 25}`);
	ok(`blocks: page 2 starts at ${first2} (tip ${hb}..${ha} less 25)`);
	await shot(page, "blocks");

	// Search a txid; its block; back; back again.
	const tx = await rpc("gettx", [TXID]);
	await search(page, TXID, `#/tx/${TXID}`);
	assert((await text(page, "#tx-id")) === TXID, "tx page shows another txid");
	assert((await text(page, "#tx-kind")) === tx.kind, `tx kind is not '${tx.kind}'`);
	assert((await text(page, "#tx-from")) === tx.from, "tx from is not the sender");
	ok(`search txid: ${tx.kind} from ${tx.from}`);
	await shot(page, "tx");
	await clickTo(page, "#tx-block a.block-link", `#/block/${tx.height}`);
	assert(Number(await text(page, "#block-height")) === tx.height, `block page is not block ${tx.height}`);
	assert(await page.$(`a[href="#/tx/${TXID}"]`), "the block does not list the tx");
	const bh = await rpc("getblock", [tx.height]);
	assert((await text(page, "#block-hash")) === bh.hash, "block hash differs from the node's");
	ok(`block ${tx.height}: hash and txs`);
	await shot(page, "block");
	await page.goBack();
	await ready(page, `#/tx/${TXID}`);
	assert((await text(page, "#tx-id")) === TXID, "back: not the tx page");
	await page.goBack();
	await ready(page, "#/blocks?page=2");
	await page.goForward();
	await ready(page, `#/tx/${TXID}`);
	ok("back and forward: tx, blocks page 2, tx");

	// Search an address: balance and history.
	await search(page, TENANT, `#/account/${TENANT}`);
	const acct = await rpc("getaccount", [TENANT]);
	assert((await page.getAttribute("#acct-balance", "data-units")) === acct.balance, "balance units differ");
	assert((await text(page, "#acct-balance")) === embText(acct.balance), `balance shown is not ${embText(acct.balance)}`);
	ok(`search address: balance ${embText(acct.balance)}`);
	if (await page.$("#history-na")) {
		assert((await text(page, "#history-na")) === "history not available on this node", "history notice");
		ok("account history: not available on this node (shown as such)");
	} else {
		const herr = await page.$("#history-error");
		assert(!herr, `history: ${herr && (await herr.textContent())}`);
		assert(await page.$(`table.history a[href="#/tx/${TXID}"]`), "history lacks the accept tx");
		ok("account history lists the accept tx");
	}
	assert(await page.$(`a[href="#/lease/1"]`), "the tenant's page lacks its lease");
	await shot(page, "account");

	// A staker, as a node without getaccounthistory would show it: the
	// calls are renamed on their way, so the node answers -32601.
	await page.route(BASE, (route) => route.continue({
		postData: (route.request().postData() || "").replace(/"getaccounthistory"/g, '"getaccounthistory_absent"'),
	}));
	await page.goto(`${BASE}explorer/#/account/${STAKER}`);
	await ready(page, `#/account/${STAKER}`);
	const stake = await rpc("getstake", [STAKER]);
	assert((await page.getAttribute("#acct-stake", "data-units")) === stake.amount, "stake differs");
	assert((await text(page, "#history-na")) === "history not available on this node", "no notice without getaccounthistory");
	const sbal = (await rpc("getaccount", [STAKER])).balance;
	assert((await page.getAttribute("#acct-balance", "data-units")) === sbal, "staker balance differs");
	ok(`staker: ${embText(stake.amount)} staked; without getaccounthistory: "history not available on this node"`);
	await shot(page, "account-no-history");
	await page.unrouteAll();
	await page.goto(`${BASE}explorer/#/account/${PROVIDER}`);
	await ready(page, `#/account/${PROVIDER}`);
	const prov = await rpc("getprovider", [PROVIDER]);
	assert(Number(await text(page, "#acct-gpus")) === prov.gpus, `provider account GPUs != ${prov.gpus}`);
	ok(`provider account: ${prov.gpus} GPUs`);

	// Providers: a provider's GPUs, by model and by region, a filter.
	await clickTo(page, 'nav a[data-nav="providers"]', "#/providers");
	const row = `table.providers tr[data-addr="${PROVIDER}"]`;
	assert(Number(await text(page, `${row} .prov-gpus`)) === prov.gpus, `providers: GPUs of ${PROVIDER} != ${prov.gpus}`);
	ok(`providers: ${PROVIDER} has ${prov.gpus} GPUs`);
	const cls = ns.classes.find((c) => c.name === prov.class_name);
	const modelRow = (await page.$$eval("table.by-model tbody tr", (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent.trim()))))
		.find((cells) => cells[0] === prov.class_name);
	assert(modelRow && Number(modelRow[3]) === cls.gpus && Number(modelRow[4]) === cls.gpus_leased,
		`by model ${prov.class_name}: ${modelRow} vs ${cls.gpus} GPUs, ${cls.gpus_leased} leased`);
	assert(modelRow[5].startsWith(cls.utilization_pct + "%"), `utilization ${modelRow[5]} != ${cls.utilization_pct}`);
	const regionRow = (await page.$$eval("table.by-region tbody tr", (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent.trim()))))
		.find((cells) => cells[0] === prov.region);
	assert(regionRow && Number(regionRow[2]) >= prov.gpus, `by region ${prov.region}: ${regionRow}`);
	ok(`providers: ${prov.class_name} ${cls.gpus} GPUs ${cls.utilization_pct}%, region ${prov.region}`);
	await shot(page, "providers");
	await clickTo(page, `table.by-region a[href="#/providers?region=${prov.region}"]`, `#/providers?region=${prov.region}`);
	const inRegion = (await rpc("listproviders", { region: prov.region })).providers.length;
	assert((await page.$$("table.providers tbody tr")).length === inRegion, `region filter shows not ${inRegion} rows`);
	ok(`providers in ${prov.region}: ${inRegion}`);

	// Leases, a lease, its order.
	await clickTo(page, 'nav a[data-nav="leases"]', "#/leases");
	const leases = (await rpc("listleases")).leases;
	assert((await page.$$("table.leases tbody tr")).length === leases.length, "leases: row count");
	await shot(page, "leases");
	await clickTo(page, 'table.leases a[href="#/lease/1"]', "#/lease/1");
	await shot(page, "lease");
	await clickTo(page, 'main a[href="#/order/1"]', "#/order/1");
	await clickTo(page, 'nav a[data-nav="orders"]', "#/orders");
	ok(`leases (${leases.length}), lease 1, order 1, orders`);

	// Challenges: counts between two reads.
	const c0 = (await rpc("listchallenges")).counts;
	await clickTo(page, 'nav a[data-nav="challenges"]', "#/challenges");
	const c1 = (await rpc("listchallenges")).counts;
	for (const k of ["issued", "passed", "failed", "missing", "pending"]) {
		const v = Number(await text(page, `#ch-${k}`));
		assert(v === c0[k] || v === c1[k], `challenges ${k}: shown ${v}, node ${c0[k]} then ${c1[k]}`);
	}
	ok(`challenges: issued ${c1.issued}, passed ${c1.passed}, failed ${c1.failed}, missing ${c1.missing}, pending ${c1.pending}`);
	await shot(page, "challenges");

	// What is not there.
	await page.goto(`${BASE}explorer/#/block/99999999`);
	await ready(page, "#/block/99999999", true);
	assert((await text(page, "#page-error")).includes("no block"), "unknown block message");
	await search(page, "nothing-like-an-id", "#/search?q=nothing-like-an-id");
	assert(await page.$("#search-none"), "search for nonsense says nothing found");
	await search(page, String(tx.height), `#/block/${tx.height}`);
	await search(page, bh.hash, `#/block/${bh.hash}`);
	assert(Number(await text(page, "#block-height")) === tx.height, "block by hash");
	ok("not found pages; search by height and by block hash");

	// A phone.
	const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
	page = await phone.newPage();
	watch(page);
	await page.goto(`${BASE}explorer/`);
	await ready(page, "");
	await noHorizontalScroll(page, "home");
	await shot(page, "phone-home");
	for (const [route, name] of [[`#/tx/${TXID}`, "tx"], [`#/account/${TENANT}`, "account"], ["#/providers", "providers"], ["#/leases", "leases"]]) {
		await page.goto(`${BASE}explorer/${route}`);
		await ready(page, route);
		await noHorizontalScroll(page, name);
	}
	await shot(page, "phone-leases");

	assert(errors.length === 0, `the pages logged errors:\n  ${errors.join("\n  ")}`);
	ok("no script or console errors");
} catch (e) {
	status = 1;
	console.error(`FAIL: ${e.message}`);
	if (page) await shot(page, "failure").catch(() => {});
	if (errors.length) console.error(`page errors:\n  ${errors.join("\n  ")}`);
} finally {
	await browser.close();
}
for (const s of shots) console.log(`screenshot: ${s}`);
process.exit(status);
