#!/bin/sh
# Integration: the GPU market end to end on a real emberd --dev (token
# model bme, prices in US dollars), driven by ember-cli.
#  1. dev1 registers as a provider, dev2 orders, dev1 bids, dev2 accepts;
#     as blocks pass the lease pays (paid > 0, escrow falling); dev2
#     closes it and gets the rest of the escrow back, to the unit.
#  2. staking, unbonding, an oracle report and, after the first epoch
#     boundary, dev1 claims the work rewards its lease earned.
#  3. refusals: a bid above the max price, an accept and a close by a
#     stranger, a second claim; each a clear error, the node staying up.
#  4. the supply: total == circulating + escrow + staked + unbonding +
#     rewards == genesis + minted - burned, and circulating is the sum of
#     every balance.
# The dev chain has 60-block epochs; at 200 ms a block this takes ~20 s.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup market
# Epoch of block h (epoch e is blocks e*E+1 .. (e+1)*E) and its last block.
epoch_of() { if [ "$1" -eq 0 ]; then echo 0; else echo $(( ($1 - 1) / EPOCH_BLOCKS )); fi; }
epoch_end() { echo $(( ($1 + 1) * EPOCH_BLOCKS )); }
committed_at() { awk '/committed in block/ {print $NF}'; }
# refused WHAT PATTERN CMD...: CMD must fail with a message matching
# PATTERN, and the node must still answer.
refused() {
	_what=$1 _pat=$2; shift 2
	if "$@" >"$D/out" 2>"$D/err"; then fail "$_what was accepted: $(cat "$D/out")"; fi
	grep -qi -- "$_pat" "$D/err" || fail "$_what: unexpected message: $(cat "$D/err")"
	echo "refused as expected: $(cat "$D/err")"
	kill -0 "$PID" 2>/dev/null || fail "node died after $_what"
	cli status >/dev/null || fail "node stopped answering after $_what"
}

start_node --quiet
K="$D/data/dev-keys"
export EMBER_PASSPHRASE=""
A0=$(cli address "$K/dev0.json"); A1=$(cli address "$K/dev1.json")
A2=$(cli address "$K/dev2.json"); A3=$(cli address "$K/dev3.json")
V=$(cli address "$D/data/validator_key.json")
FEE=$(cli status | field .min_fee)
START=$(balance "$A2")
P=$(cli params --json)
echo "$P" | check '.token_model == "bme" and .price_unit == "uusd" and .oracle.fresh' ||
	fail "params: $P"
EPOCH_BLOCKS=$(echo "$P" | field .epoch_blocks)
cli params | grep -q "h100-80g" || fail "params lacks the class table"

echo "-- provider"
cli provider-register --class h100-80g --gpus 8 --vram 80 --region eu-west \
	--price 2.5 --endpoint https://dev1.example:8443 --from "$K/dev1.json" --wait \
	>/dev/null || fail "provider-register"
cli provider "$A1" --json | check '.status == "active" and .eligible and .gpus == 8 and
	.gpus_free == 8 and .price_per_gpu_hour == "2500000" and .region == "eu-west"' ||
	fail "getprovider after register: $(cli provider "$A1" --json)"
cli providers --class 3 --json | check ".providers | length == 1 and
	.[0].address == \"$A1\"" || fail "listproviders"
cli providers --class rtx4090-24g --json | check '.providers == [] and .next == null' ||
	fail "listproviders by another class"
# A second provider, for paging: one per page, the cursor leads to the other.
cli provider-register --class a100-80g --gpus 4 --vram 80 --region us-east \
	--price 1.5 --endpoint dev0.example:9000 --from "$K/dev0.json" --wait \
	>/dev/null || fail "provider-register dev0"
P1=$(cli providers --limit 1 --json)
NEXT=$(echo "$P1" | field .next)
echo "$P1" | check ".providers | length == 1 and .[0].address == \"$NEXT\"" ||
	fail "listproviders page 1: $P1"
cli providers --limit 1 --after "$NEXT" --json | check ".providers | length == 1 and
	.[0].address != \"$NEXT\" and (.[0].address == \"$A0\" or .[0].address == \"$A1\")" ||
	fail "listproviders page 2"
cli providers --limit 1 --after "$NEXT" --json | check '.next == null' || fail "last page"
cli providers --region us-east --json | check ".providers | length == 1 and
	.[0].address == \"$A0\"" || fail "listproviders by region"
cli provider-update --price 2.4 --from "$K/dev1.json" --wait >/dev/null || fail "provider-update"
cli provider "$A1" --json | check '.price_per_gpu_hour == "2400000" and .gpus == 8 and
	.endpoint == "https://dev1.example:8443"' || fail "provider-update kept the other fields"

echo "-- order, bid, accept"
out=$(cli order --class h100-80g --gpus 2 --max-price 3 --duration 600 --deposit 10 \
	--from "$K/dev2.json" --wait) || fail "order"
ORDER=$(echo "$out" | awk '$1 == "order" {print $2}')
[ -n "$ORDER" ] || fail "order --wait printed no order id: $out"
cli order "$ORDER" --json | check ".status == \"open\" and .tenant == \"$A2\" and
	.deposit == \"10000000000\" and .bids == []" || fail "getorder $ORDER"
cli orders --tenant "$A2" --json | check ".orders[-1].id == $ORDER" || fail "listorders"
refused "bid above the max price" "max price" \
	cli bid "$ORDER" 3.5 --from "$K/dev1.json"
cli bid "$ORDER" 2.4 --from "$K/dev1.json" --wait >/dev/null || fail "bid"
cli order "$ORDER" --json | check ".bid_count == 1 and .bids[0].provider == \"$A1\" and
	.bids[0].price_per_gpu_hour == \"2400000\"" || fail "getorder lists the bid"
# listorders counts the bids getorder lists (and 'orders' prints that)
cli orders --tenant "$A2" --json | check ".orders[-1].bid_count == 1 and
	.orders[-1].bids_placed == 1" || fail "listorders bid count: $(cli orders --json)"
cli orders --tenant "$A2" | grep -Eq "^ +$ORDER +open .* 1 bid " ||
	fail "orders does not show 1 bid: $(cli orders --tenant "$A2")"
refused "accept by a stranger" "not the tenant" \
	cli accept "$ORDER" "$A1" --from "$K/dev3.json"
out=$(cli accept "$ORDER" "$A1" --from "$K/dev2.json" --wait) || fail "accept"
LEASE=$(echo "$out" | awk '$1 == "lease" {print $2}')
[ -n "$LEASE" ] || fail "accept --wait printed no lease id: $out"
cli order "$ORDER" --json | check ".status == \"leased\" and .lease_id == $LEASE and
	.bids == [] and .bid_count == 0 and .bids_placed == 1" || fail "order after accept"
# The accepted order's bids are released: the list agrees with the order.
cli orders --tenant "$A2" --json | check ".orders[-1].id == $ORDER and
	.orders[-1].bid_count == 0 and .orders[-1].bids_placed == 1" ||
	fail "listorders after accept: $(cli orders --json)"
cli orders --tenant "$A2" | grep -Eq "^ +$ORDER +leased .* 0 bids " ||
	fail "orders after accept: $(cli orders --tenant "$A2")"
cli order "$ORDER" | grep -q "^bids       0 (1 received, released when the order closed)" ||
	fail "order after accept, readable: $(cli order "$ORDER")"

echo "-- the lease pays"
START_H=$(cli lease "$LEASE" --json | field .start_height)
wait_height $((START_H + 10))
L1=$(cli lease "$LEASE" --json)
echo "$L1" | check '.status == "open" and (.paid | tonumber) > 0 and .close_reason == null and
	.runs_dry_height == null' || fail "lease after 10 blocks: $L1"
wait_height $(( $(echo "$L1" | field .height) + 5 ))
L2=$(cli lease "$LEASE" --json)
[ "$(echo "$L2" | field .escrow)" -lt "$(echo "$L1" | field .escrow)" ] ||
	fail "escrow did not fall: $(echo "$L1" | field .escrow) -> $(echo "$L2" | field .escrow)"
[ $(( $(echo "$L2" | field .escrow) + $(echo "$L2" | field .paid) )) = 10000000000 ] ||
	fail "escrow + paid != deposit: $L2"
cli leases --tenant "$A2" --status open --json | check ".leases | length == 1 and
	.[0].id == $LEASE" || fail "listleases by tenant"
cli leases --provider "$A1" --json | check ".leases[0].provider == \"$A1\"" ||
	fail "listleases by provider"
cli leases --status closed --json | check '.leases == []' || fail "listleases closed"
cli provider "$A1" --json | check '.gpus_in_use == 2 and .gpus_free == 6 and .leases_open == 1' ||
	fail "provider GPUs in use"
cli netstats --json | check '.classes[] | select(.name == "h100-80g") |
	.providers == 1 and .gpus == 8 and .gpus_leased == 2 and .utilization_pct == "25.00" and
	.ask_price.median == "2400000"' || fail "netstats: $(cli netstats --json)"
cli lease "$LEASE" | grep -q "paid" || fail "lease, readable"
refused "close by a stranger" "neither the tenant nor the provider" \
	cli close "$LEASE" --from "$K/dev3.json"

echo "-- staking and the oracle"
cli stake 100 --from "$K/dev3.json" --wait >/dev/null || fail "stake"
cli unstake 40 --from "$K/dev3.json" --wait >/dev/null || fail "unstake"
cli stake "$A3" --json | check '.amount == "60000000000" and .unbonding == "40000000000" and
	(.unbonding_entries | length) == 1 and .unbonding_entries[0].amount == "40000000000"' ||
	fail "getstake: $(cli stake "$A3" --json)"
PH=$(cli price-report 1.25 --from "$D/data/validator_key.json" --wait | committed_at) ||
	fail "price-report by the validator"
[ -n "$PH" ] || fail "price-report --wait printed no block"
refused "price report by a non-validator" "validator" \
	cli price-report 1.25 --from "$K/dev0.json"

echo "-- rewards after the epoch boundary"
# The lease earns work from its first billed block; the report counts at
# the end of its epoch.  Normally both are epoch 0.
WE=$(epoch_of $((START_H + 1))); RE=$(epoch_of "$PH")
wait_height $(( $(epoch_end "$WE") + 1 ))
cli stake "$A1" --json | check '(.rewards | tonumber) > 0' ||
	fail "no work rewards for dev1 after epoch $WE: $(cli stake "$A1" --json)"
cli supply --epoch "$WE" --json | check '.requested_epoch.closed and
	(.requested_epoch.minted | tonumber) > 0 and .requested_epoch.work > 0' ||
	fail "supply --epoch $WE: $(cli supply --epoch "$WE" --json)"
wait_height $(( $(epoch_end "$RE") + 1 ))
cli params --json | check ".oracle.price_uusd == \"1250000\" and .oracle.epoch == $((RE + 1))" ||
	fail "oracle after the boundary: $(cli params --json | jq -c .oracle)"
cli claim --from "$K/dev1.json" --wait >/dev/null || fail "claim"
refused "a second claim" "nothing to claim" cli claim --from "$K/dev1.json"
# ... which says when rewards come: the next boundary after the tip.
cli claim --from "$K/dev1.json" 2>&1 >/dev/null |
	grep -Eq "rewards accrue at the epoch boundary, the next at block [0-9]+ \(the chain is at block [0-9]+\)" ||
	fail "claim does not name the next boundary: $(cli claim --from "$K/dev1.json" 2>&1)"
NB=$(cli claim --from "$K/dev1.json" 2>&1 | sed -n 's/.*the next at block \([0-9]*\) (the chain is at block \([0-9]*\)).*/\1 \2/p')
set -- $NB
[ $(( $1 % EPOCH_BLOCKS )) = 0 ] && [ "$1" -gt "$2" ] && [ $(( $1 - $2 )) -le "$EPOCH_BLOCKS" ] ||
	fail "claim names block $1 at height $2 (epochs of $EPOCH_BLOCKS blocks)"

echo "-- close"
cli close "$LEASE" --from "$K/dev2.json" --wait >/dev/null || fail "close"
L3=$(cli lease "$LEASE" --json)
echo "$L3" | check '.status == "closed" and .close_reason == "tenant_closed" and
	.escrow == "0"' || fail "lease after close: $L3"
PAID=$(echo "$L3" | field .paid)
# dev2 paid three fees (order, accept, close) and the lease; the refused
# nothing.  Everything else came back from escrow.
[ "$(balance "$A2")" = $((START - 3 * FEE - PAID)) ] ||
	fail "dev2 balance $(balance "$A2") != $START - 3 * $FEE - $PAID"
refused "closing a closed lease" "closed at height" cli close "$LEASE" --from "$K/dev2.json"
refused "topping up a closed lease" "never reopens" \
	cli topup "$LEASE" 1 --from "$K/dev2.json"
cli provider "$A1" --json | check '.gpus_free == 8' || fail "GPUs not released"

echo "-- supply"
t() { echo "$S" | field ".$1"; }
# Balances are read one by one while blocks go on (an unbonding release
# could land in between): take a sum bracketed by two equal supplies.
for try in 1 2 3 4 5; do
	S0=$(cli supply --json | field .circulating)
	SUM=0
	for a in "$A0" "$A1" "$A2" "$A3" "$V"; do SUM=$((SUM + $(balance "$a"))); done
	S=$(cli supply --json)
	[ "$S0" = "$(t circulating)" ] && break
done
[ "$SUM" = "$(t circulating)" ] ||
	fail "balances sum to $SUM, circulating is $(t circulating)"
[ "$(t total)" = $(( $(t circulating) + $(t escrow) + $(t staked) + $(t unbonding) + $(t rewards) )) ] ||
	fail "total != circulating + escrow + staked + unbonding + rewards: $S"
[ "$(t total)" = $(( $(t genesis) + $(t minted) - $(t burned) )) ] ||
	fail "total != genesis + minted - burned: $S"
[ "$(t escrow)" = 0 ] || fail "escrow left after every lease closed: $(t escrow)"
[ "$(t staked)" = 60000000000 ] || fail "staked $(t staked)"

echo "-- bad params"
rpc '{"jsonrpc":"2.0","id":1,"method":"getlease","params":["x"]}' |
	check '.error.code == -32602 and (.error.message | test("id"))' || fail "getlease bad id"
rpc '{"jsonrpc":"2.0","id":1,"method":"getlease","params":[999]}' |
	check '.error.code == -32001' || fail "getlease unknown id"
rpc '{"jsonrpc":"2.0","id":1,"method":"listproviders","params":{"limit":0}}' |
	check '.error.code == -32602 and (.error.message | test("limit"))' || fail "limit 0"
rpc '{"jsonrpc":"2.0","id":1,"method":"listleases","params":{"status":"maybe"}}' |
	check '.error.code == -32602 and (.error.message | test("status"))' || fail "bad status"
rpc '{"jsonrpc":"2.0","id":1,"method":"getprovider","params":["ember1xyz"]}' |
	check '.error.code == -32602' || fail "bad address"
rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getprovider\",\"params\":[\"$A3\"]}" |
	check '.error.code == -32001' || fail "not a provider"
kill -0 "$PID" || fail "node died"
echo "market: all checks passed"
