#!/bin/sh
# Integration: txs that would pay nothing are refused at the door.
#  1. an attacker with a tx pending floods unstakes beyond its stake: each
#     is refused at admission with the reason (the token rules run against
#     the committed state plus its pending txs), none reaches the mempool;
#  2. an honest transfer sent right after lands within one block, though
#     blocks hold only 4 txs;
#  3. the attacker paid the fee of every one of its txs that reached a
#     block, and nothing for the rest.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup flood
nonce() { cli balance --json "$1" | field .nonce; }

start_node --quiet --max-block-txs 4
K="$D/data/dev-keys"
export EMBER_PASSPHRASE=""
A1=$(cli address "$K/dev1.json"); A2=$(cli address "$K/dev2.json")
A3=$(cli address "$K/dev3.json")
FEE=$(cli status | field .min_fee)
# ten times the minimum fee, in EMB as ember-cli takes amounts (1 EMB = 1e9)
FEE10=$(awk "BEGIN { printf \"%.9f\", $FEE * 10 / 1e9 }")
COIN=1000000000

cli stake 1 --from "$K/dev1.json" --wait >/dev/null || fail "stake"
B0=$(balance "$A1"); N0=$(nonce "$A1")
# A pending tx first: the check used to be skipped for a sender with one.
cli send "$A3" 1 --from "$K/dev1.json" --fee "$FEE10" >/dev/null || fail "send"

echo "-- 30 unstakes beyond the stake, fee x10"
admitted=0
for i in $(seq 1 30); do
	if cli unstake 1000 --from "$K/dev1.json" --fee "$FEE10" \
		--nonce $((N0 + i)) >"$D/out" 2>"$D/err"; then
		admitted=$((admitted + 1))
	elif [ "$i" -eq 1 ]; then
		grep -qi "stake" "$D/err" || fail "unexpected refusal: $(cat "$D/err")"
		echo "refused as expected: $(cat "$D/err")"
	fi
done
[ "$admitted" -eq 0 ] || fail "$admitted failing unstakes were admitted"
kill -0 "$PID" 2>/dev/null || fail "node died"

echo "-- an honest transfer lands within one block"
# The height is read once the tx is admitted (sendtx answered): every
# block started after that can hold it, so it lands in the next block, or
# the one after when a block was already being built.  No clock involved.
TX=$(cli send "$A3" 2 --from "$K/dev2.json") || fail "honest send: $TX"
H=$(height)
for i in $(seq 1 300); do
	AT=$(rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"gettx\",\"params\":[\"$TX\"]}" |
		field 'if .result.status == "committed" then .result.height else empty end')
	[ -n "$AT" ] && break
	sleep 0.1
done
[ -n "$AT" ] || fail "honest tx $TX never committed"
[ "$AT" -le $((H + 2)) ] || fail "honest tx admitted by height $H landed in block $AT"
echo "admitted by height $H, committed in block $AT"

echo "-- the attacker paid for every tx that reached a block"
for i in $(seq 1 100); do
	[ "$(cli status | field .mempool_txs)" -eq 0 ] && break
	sleep 0.1
done
N1=$(nonce "$A1"); B1=$(balance "$A1")
[ "$N1" -eq $((N0 + 1)) ] || fail "attacker nonce $N0 -> $N1: expected one tx in a block"
[ $((B0 - B1)) -eq $((COIN + FEE * 10)) ] ||
	fail "attacker balance $B0 -> $B1: expected 1 EMB sent plus one fee of $((FEE * 10))"
echo "attacker: 1 tx committed, paid 1 EMB sent plus one fee of $((FEE * 10)) base units"
echo "flood: ok"
