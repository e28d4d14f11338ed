#!/bin/sh
# Integration: a real emberd --dev on 127.0.0.1, driven by ember-cli.
#  1. 200 transfers from two dev accounts; balances checked to the unit.
#  2. bad input (malformed tx hex, bad JSON, unknown method, bad address)
#     gets a clear error and the node keeps running.
#  3. kill -9 under load; on restart the block at the last height seen
#     before the kill has the same hash and state root, and the chain
#     moves on; the supply is intact.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup it

start_node
K="$D/data/dev-keys"
A0=$(cli address "$K/dev0.json"); A1=$(cli address "$K/dev1.json")
A2=$(cli address "$K/dev2.json"); A3=$(cli address "$K/dev3.json")
FEE=$(cli status | field .min_fee)
START=$(balance "$A1")
[ "$START" = "1000000000000000" ] || fail "dev account balance $START"

echo "-- 200 transfers"
export EMBER_PASSPHRASE=""
i=0
while [ $i -lt 100 ]; do
	cli send "$A1" 0.5 --from "$K/dev0.json" >/dev/null || fail "send $i from dev0"
	cli send "$A3" 0.25 --from "$K/dev2.json" >/dev/null || fail "send $i from dev2"
	i=$((i + 1))
done
out=$(cli send "$A1" 1 --from "$K/dev0.json" --wait) || fail "send --wait"
echo "$out" | grep -q "committed in block" || fail "send --wait printed '$out'"
TXID=$(echo "$out" | awk '/committed in block/ {print $2}')
cli tx "$TXID" | check '.status == "committed" and .kind == "transfer"' || fail "tx $TXID"
H=$(cli tx "$TXID" | field .height)
cli block "$H" | check ".txids | index(\"$TXID\") != null" || fail "block $H lacks $TXID"
# Wait until dev2's 100 txs are in too.
for i in $(seq 1 100); do
	[ "$(cli balance --json "$A2" | field .nonce)" = "100" ] && break; sleep 0.1
done
b0=$(balance "$A0"); b1=$(balance "$A1"); b2=$(balance "$A2"); b3=$(balance "$A3")
[ "$b1" = $((START + 100 * 500000000 + 1000000000)) ] || fail "dev1 balance $b1"
[ "$b0" = $((START - 100 * 500000000 - 1000000000 - 101 * FEE)) ] || fail "dev0 balance $b0"
[ "$b3" = $((START + 100 * 250000000)) ] || fail "dev3 balance $b3"
[ "$b2" = $((START - 100 * 250000000 - 100 * FEE)) ] || fail "dev2 balance $b2"
echo "balances ok: $b0 $b1 $b2 $b3"

echo "-- bad input"
rpc '{"jsonrpc":"2.0","id":1,"method":"sendtx","params":["zz"]}' | check '.error.code == -32602' || fail "bad hex"
rpc '{"jsonrpc":"2.0","id":1,"method":"sendtx","params":["0101"]}' | check '.error.code == -32002 and (.error.message | test("malformed tx"))' || fail "malformed tx"
rpc '{"jsonrpc":"2.0","id":1,"method":"getblock"' | check '.error.code == -32700' || fail "parse error"
rpc '{"jsonrpc":"2.0","id":1,"method":"nosuch"}' | check '.error.code == -32601' || fail "unknown method"
rpc '{"jsonrpc":"2.0","id":1,"method":"getaccount","params":["ember1xyz"]}' | check '.error.code == -32602' || fail "bad address"
rpc '{"jsonrpc":"2.0","id":1,"method":"stop"}' | check '.error.code == -32003' || fail "stop without cookie"
# Replaying a committed tx is refused with its own message.
HEX=$(cli tx "$TXID" | field .hex)
rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sendtx\",\"params\":[\"$HEX\"]}" | check '.error.message | test("already committed")' || fail "replay"
if cli send "$A1" 99999999 --from "$K/dev0.json" 2>"$D/err"; then fail "overdraft accepted"; fi
grep -q "insufficient funds" "$D/err" || fail "overdraft message: $(cat "$D/err")"
kill -0 "$PID" || fail "node died on bad input"
curl -s "${RPC}metrics" | grep -q '^ember_height ' || fail "metrics"

echo "-- kill -9 under load"
( j=0; while [ $j -lt 400 ]; do cli send "$A0" 0.001 --from "$K/dev1.json" >/dev/null 2>&1 || true; j=$((j+1)); done ) &
LOAD=$!
sleep 3    # how long the load runs before the kill (no result depends on it)
S=$(cli status)
kill -9 "$PID"; wait "$PID" 2>/dev/null || true; PID=""
kill "$LOAD" 2>/dev/null || true; wait "$LOAD" 2>/dev/null || true; LOAD=""
H=$(echo "$S" | field .height); HASH=$(echo "$S" | field .tip_hash); ROOT=$(echo "$S" | field .state_root)
start_node
B=$(cli block "$H")
[ "$(echo "$B" | field .hash)" = "$HASH" ] || fail "block $H hash changed after kill -9"
[ "$(echo "$B" | field .state_root)" = "$ROOT" ] || fail "block $H state root changed after kill -9"
H2=$(cli status | field .height)
[ "$H2" -ge "$H" ] || fail "height went back from $H to $H2"
wait_height $((H2 + 1))     # bounded: fails as "chain did not reach height"
H3=$(cli status | field .height)
[ "$H3" -gt "$H2" ] || fail "chain stuck at $H2 after restart"
V=$(cli block 1 | field .proposer)
TOTAL=0
for a in "$A0" "$A1" "$A2" "$A3" "$V"; do TOTAL=$((TOTAL + $(balance "$a"))); done
[ "$TOTAL" = $((4 * START)) ] || fail "supply $TOTAL != $((4 * START))"
echo "restart ok: block $H intact, height $H2 -> $H3, supply $TOTAL"
echo "devnet: all checks passed"
