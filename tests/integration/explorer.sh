#!/bin/sh
# Integration: the block explorer (share/explorer) on a real emberd --dev,
# in headless Chromium.
#  1. a market: dev1 and dev0 register as providers, dev2 orders, dev1
#     bids, dev2 accepts; dev3 sends to dev2 and stakes.
#  2. serving, while the chain runs on to its first epoch boundary (a
#     closed epoch for the supply chart, the first challenges issued):
#     an installed layout (PREFIX/bin/emberd finds PREFIX/share/explorer by
#     itself): GET / and /explorer send the browser on to /explorer/; each
#     file comes whole with its content type; paths with "..", encoded
#     dots, hidden names, double slashes, missing files and links that
#     lead out of the directory are 404.  With no files found, the
#     built-in page at /.
#  3. tests/explorer/check.mjs drives Debian's chromium with playwright-core
#     over every page: search by txid and by address, figures against the
#     node's RPC answers, the back button, a phone-width viewport without
#     horizontal scroll.  Screenshots are kept in $EXPLORER_SHOTS (default
#     /tmp/ember-explorer-XXXXXX.shots, beside the work directory, which
#     goes) and their paths printed.
# chromium, node and npm come from scripts/deps.sh; playwright-core, at the
# version tests/explorer/package.json pins, is installed into
# tests/explorer/node_modules when it is not there (npm ci).  Without any
# of them the test fails: it never skips.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup explorer
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARE="$ROOT/share/explorer"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
SHOTS=${EXPLORER_SHOTS:-$D.shots}
T0=$(date +%s)
stage() { echo "-- $* ($(( $(date +%s) - T0 )) s)"; }
# Screenshots outlive $D; those of runs more than a day old go.
find /tmp -maxdepth 1 -name 'ember-explorer-*.shots' -mmin +1440 \
	-exec rm -rf {} + 2>/dev/null || true

stage "tools"
[ -x "$CHROMIUM" ] || fail "no chromium at '$CHROMIUM': run scripts/deps.sh (Debian package chromium)"
command -v node >/dev/null || fail "no node: run scripts/deps.sh (Debian package nodejs)"
command -v npm >/dev/null || fail "no npm: run scripts/deps.sh (Debian package npm)"
PW="$ROOT/tests/explorer"
want=$(node -p "require('$PW/package.json').dependencies['playwright-core']")
have=$(node -p "require('$PW/node_modules/playwright-core/package.json').version" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
	echo "installing playwright-core $want into tests/explorer/node_modules"
	npm ci --prefix "$PW" --no-audit --no-fund --loglevel=error ||
		fail "npm ci in tests/explorer failed"
fi

# GET PATH on URL: "CODE CONTENT-TYPE", the body in $D/body.
get() { curl -s --path-as-is -o "$D/body" -w '%{http_code} %{content_type}' "${1%/}$2"; }
expect() {
	_got=$(get "$1" "$2")
	[ "$_got" = "$3" ] || fail "GET $2: got '$_got', want '$3'"
}
HTML="200 text/html; charset=utf-8"
NOTFOUND="404 text/plain; charset=utf-8"

# start_extra NAME EMBERD [VAR=VALUE...]: a dev node of its own (data in
# $D/NAME) run as EMBERD with the environment changed; its URL in $XURL and
# its pid in $XPID (and $PIDS).
start_extra() {
	_name=$1 _bin=$2; shift 2
	for try in 1 2 3 4 5; do
		_port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
		XURL="http://127.0.0.1:$_port/"
		env "$@" "$_bin" --dev --no-p2p --quiet --datadir "$D/$_name" \
			--rpc-listen "127.0.0.1:$_port" >>"$D/$_name.log" 2>&1 &
		XPID=$!
		PIDS="$PIDS $XPID"
		for i in $(seq 1 100); do
			"$BIN/ember-cli" --rpc "$XURL" status >/dev/null 2>&1 && return 0
			kill -0 "$XPID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$XPID" 2>/dev/null || true
	done
	fail "node $_name did not start: $(tail -5 "$D/$_name.log")"
}
stop_extra() { kill "$XPID" 2>/dev/null || true; wait "$XPID" 2>/dev/null || true; }

stage "a market"
EMBER_SHARE_DIR="$SHARE"
export EMBER_SHARE_DIR
start_node --quiet
K="$D/data/dev-keys"
export EMBER_PASSPHRASE=""
A0=$(cli address "$K/dev0.json"); A1=$(cli address "$K/dev1.json")
A2=$(cli address "$K/dev2.json"); A3=$(cli address "$K/dev3.json")
cli provider-register --class h100-80g --gpus 8 --vram 80 --region eu-west \
	--price 2.5 --endpoint https://dev1.example:8443 --from "$K/dev1.json" --wait \
	>/dev/null || fail "provider-register dev1"
cli provider-register --class a100-80g --gpus 4 --vram 80 --region us-east \
	--price 1.5 --endpoint dev0.example:9000 --from "$K/dev0.json" --wait \
	>/dev/null || fail "provider-register dev0"
out=$(cli order --class h100-80g --gpus 2 --max-price 3 --duration 600 --deposit 10 \
	--from "$K/dev2.json" --wait) || fail "order"
ORDER=$(echo "$out" | awk '$1 == "order" {print $2}')
[ -n "$ORDER" ] || fail "order --wait printed no order id: $out"
cli bid "$ORDER" 2.4 --from "$K/dev1.json" --wait >/dev/null || fail "bid"
out=$(cli accept "$ORDER" "$A1" --from "$K/dev2.json" --wait) || fail "accept"
ACCEPT=$(echo "$out" | awk '$1 == "txid" {print $2}')
[ -n "$ACCEPT" ] || fail "accept --wait printed no txid: $out"
cli send "$A2" 5 --from "$K/dev3.json" --wait >/dev/null || fail "send"
cli stake 100 --from "$K/dev3.json" --wait >/dev/null || fail "stake"
# While the chain runs on to its first epoch boundary: the serving.
stage "an installed layout finds PREFIX/share/explorer"
P="$D/prefix"
mkdir -p "$P/bin" "$P/share/explorer/sub" "$P/outside"
cp "$BIN/emberd" "$P/bin/"
cp "$SHARE"/index.html "$SHARE"/app.js "$SHARE"/style.css "$P/share/explorer/"
echo secret >"$P/outside/secret.txt"
echo inner >"$P/share/explorer/sub/index.html"
ln -s ../outside/secret.txt "$P/share/explorer/leak.txt"
ln -s /etc/passwd "$P/share/explorer/passwd.txt"
ln -s ../outside "$P/share/explorer/out"
ln -s app.js "$P/share/explorer/alias.js"
start_extra installed "$P/bin/emberd" -u EMBER_SHARE_DIR
expect "$XURL" / "$HTML"
grep -q "location.replace('/explorer/'" "$D/body" || fail "GET / does not lead to /explorer/: $(cat "$D/body")"
expect "$XURL" /explorer "$HTML"
grep -q "/explorer/" "$D/body" || fail "GET /explorer does not lead to /explorer/"
expect "$XURL" /explorer/ "$HTML"
cmp -s "$D/body" "$SHARE/index.html" || fail "GET /explorer/ is not index.html"
expect "$XURL" /explorer/index.html "$HTML"
expect "$XURL" /explorer/app.js "200 text/javascript; charset=utf-8"
cmp -s "$D/body" "$SHARE/app.js" || fail "GET /explorer/app.js is not app.js"
expect "$XURL" /explorer/style.css "200 text/css; charset=utf-8"
cmp -s "$D/body" "$SHARE/style.css" || fail "GET /explorer/style.css is not style.css"
expect "$XURL" /explorer/sub/ "$HTML"
expect "$XURL" /explorer/alias.js "200 text/javascript; charset=utf-8"
for p in /explorer/nope.js /explorer/../Makefile /explorer/%2e%2e/outside/secret.txt \
	/explorer/%2E%2E/outside/secret.txt /explorer/.hidden /explorer//app.js \
	/explorer/sub /explorer/leak.txt /explorer/passwd.txt /explorer/out/secret.txt \
	/explorer/app.js/ /explorer/a%20b.js; do
	expect "$XURL" "$p" "$NOTFOUND"
done
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "${XURL}explorer/app.js")" = 405 ] ||
	fail "POST /explorer/app.js is not 405"
curl -s -I "${XURL}explorer/app.js" | grep -qi "^content-length: $(wc -c <"$SHARE/app.js" | tr -d ' ')" ||
	fail "HEAD /explorer/app.js: no matching Content-Length"
stop_extra

stage "no explorer files: the built-in page"
start_extra bare "$BIN/emberd" EMBER_SHARE_DIR="$D/nowhere"
expect "$XURL" / "$HTML"
grep -q "Latest blocks" "$D/body" || fail "GET / with no share dir is not the built-in page"
expect "$XURL" /explorer/ "$NOTFOUND"
expect "$XURL" /explorer/app.js "$NOTFOUND"
stop_extra

# Past the first epoch boundary (60 blocks): epoch 0 closed with its
# emission, and epoch 1's challenges issued.
wait_height 61

stage "the explorer in chromium"
mkdir -p "$SHOTS"
EXPLORER_URL="$RPC" CHROMIUM="$CHROMIUM" SHOTS="$SHOTS" TXID="$ACCEPT" \
	TENANT="$A2" STAKER="$A3" PROVIDER="$A1" \
	node "$PW/check.mjs" || fail "the explorer check failed (screenshots in $SHOTS)"
kill -0 "$PID" || fail "node died"
echo "explorer: all checks passed ($(( $(date +%s) - T0 )) s)"
