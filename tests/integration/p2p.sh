#!/bin/sh
# Integration: a network of real emberd processes on 127.0.0.1.
#  1. a validator and two full nodes in a line (V - F1 - F2) converge on the
#     same blocks and state roots;
#  2. a tx sent to the far end (F2) is relayed to the validator, included,
#     and seen committed on every node; a stake sent to F2 with --wait lands;
#  3. a node started late catches up from height 0, then follows; admin
#     calls (cookie only) ban its validator and add f1, and it follows
#     through f1;
#  4. a full node killed with kill -9 restarts without --peer, redials the
#     peers it kept in DIR/peers, and catches up;
#  5. a node of another chain is refused, with the reason in both logs;
#  6. a node 2,000 blocks behind catches up (a validator at 10 ms blocks);
#  7. a validator that signs two chains (its data directory copied and both
#     copies run apart), a full node peering both: the first node to hold
#     two certified blocks at one height (the full node, or a copy the
#     other chain was relayed to) keeps the evidence and halts with
#     SAFETY FAILURE.
# Every wait polls a condition with a bound; nothing sleeps and hopes.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
. "$(dirname "$0")/lib/p2pnet.sh"
it_setup p2p

txstatus() { rpc_at "$1" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"gettx\",\"params\":[\"$2\"]}" | field .result.status; }
# wait_same NODE H: NODE has block H with the validator's hash.
wait_same() {
	want=$(block_hash v "$2")
	[ -n "$want" ] && [ "$want" != null ] || fail "the validator has no block $2"
	for i in $(seq 1 600); do
		[ "$(block_hash "$1" "$2" 2>/dev/null)" = "$want" ] && return 0
		sleep 0.1
	done
	fail "$1 did not reach the validator's block $2 ($want); at $(hgt "$1")"
}

start_node --quiet --p2p-listen 127.0.0.1:0
echo "$RPC" >"$D/v.rpc"
VP=$(p2p_port "$D/node.log")
K="$D/data/dev-keys"
export EMBER_PASSPHRASE=""
A1=$(cli address "$K/dev1.json"); A3=$(cli address "$K/dev3.json")
wait_height 5

echo "-- a line: V - F1 - F2"
start_full f1 --peer "127.0.0.1:$VP"
F1P=$(p2p_port "$D/f1.log")
start_full f2 --peer "127.0.0.1:$F1P"
H=$(height)
wait_same f1 "$H"
wait_same f2 "$H"
at f2 status | check '.peers >= 1' || fail "f2 has no peer: $(at f2 status)"
at f1 peers | check 'length == 2 and any(.[]; .direction == "inbound") and
	any(.[]; .direction == "outbound") and all(.[]; .id | test("^[0-9a-f]{64}$"))' ||
	fail "f1 peers: $(at f1 peers)"
for n in f1 f2; do
	[ "$(block_root "$n" "$H")" = "$(block_root v "$H")" ] || fail "$n state root differs at $H"
done
echo "f1 and f2 hold the validator's block $H and state root"

echo "-- a tx sent to the far end lands"
B3=$(balance "$A3")
TX=$(at f2 send "$A3" 2 --from "$K/dev0.json") || fail "send to f2"
for i in $(seq 1 300); do
	[ "$(txstatus v "$TX")" = committed ] && break
	sleep 0.1
done
[ "$(txstatus v "$TX")" = committed ] || fail "tx $TX never reached the validator's blocks"
TH=$(rpc_at v "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"gettx\",\"params\":[\"$TX\"]}" | field .result.height)
wait_same f2 "$TH"
[ "$(txstatus f2 "$TX")" = committed ] || fail "f2 does not see $TX committed"
[ "$(balance "$A3")" -eq $((B3 + 2000000000)) ] || fail "dev3 was not paid"
out=$(at f2 stake 1 --from "$K/dev1.json" --wait) || fail "stake through f2: $out"
echo "$out" | grep -q "committed in block" || fail "stake through f2: $out"
echo "tx $TX committed in block $TH; a stake through f2: $out"

echo "-- the market through the far end: register, order, bid, accept"
at f2 provider-register --class h100-80g --gpus 8 --vram 80 --region eu-west \
	--price 2.5 --endpoint https://dev1.example:8443 --from "$K/dev1.json" --wait \
	>/dev/null || fail "provider-register through f2"
out=$(at f2 order --class h100-80g --gpus 2 --max-price 3 --duration 600 --deposit 10 \
	--from "$K/dev2.json" --wait) || fail "order through f2: $out"
ORDER=$(echo "$out" | awk '$1 == "order" {print $2}')
[ -n "$ORDER" ] || fail "order --wait printed no order id: $out"
at f2 bid "$ORDER" 2.4 --from "$K/dev1.json" --wait >/dev/null || fail "bid through f2"
out=$(at f2 accept "$ORDER" "$A1" --from "$K/dev2.json" --wait) || fail "accept through f2: $out"
LEASE=$(echo "$out" | awk '$1 == "lease" {print $2}')
[ -n "$LEASE" ] || fail "accept --wait printed no lease id: $out"
cli lease "$LEASE" --json | check ".status == \"open\" and .provider == \"$A1\" and .gpus == 2" ||
	fail "the validator does not show lease $LEASE: $(cli lease "$LEASE" --json)"
at f2 lease "$LEASE" --json | check '.status == "open"' || fail "f2 does not show lease $LEASE"
echo "order $ORDER leased as lease $LEASE, seen on the validator and f2"

echo "-- a node started late catches up, then follows"
start_full f3 --peer "127.0.0.1:$VP"
H=$(height)
wait_same f3 "$H"
wait_height $((H + 3))
wait_same f3 $((H + 3))
echo "f3 caught up to $H and follows"

echo "-- admin calls on f3: ban the validator, add f1 instead"
admin() {   # admin NODE METHOD PARAMS: a call with the node's cookie
	curl -s -X POST -H 'content-type: application/json' \
		--user "$(cat "$D/$1/.cookie")" \
		--data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}" "$(cat "$D/$1.rpc")"
}
VID=$(sed -n 's/.*node id \([0-9a-f]\{64\}\).*/\1/p' "$D/node.log" | head -1)
F1ID=$(sed -n 's/.*node id \([0-9a-f]\{64\}\).*/\1/p' "$D/f1.log" | head -1)
rpc_at f3 '{"jsonrpc":"2.0","id":1,"method":"banpeer","params":["'"$VID"'"]}' |
	check '.error.code == -32003' || fail "banpeer without the cookie was not refused"
admin f3 disconnectpeer "[\"$(printf '%064d' 0)\"]" | check '.error.code == -32001' ||
	fail "disconnecting an unknown peer"
admin f3 banpeer "[\"$VID\", 120]" | check '.result == true' || fail "banpeer"
EMBER_RPC_TOKEN=$(cut -d: -f2 "$D/f3/.cookie") at f3 listbanned |
	check "any(.[]; .peer == \"$VID\" and .seconds_left > 0)" ||
	fail "listbanned: $(admin f3 listbanned '[]')"
for i in $(seq 1 100); do
	at f3 peers | check "all(.[]; .id != \"$VID\")" && break
	sleep 0.1
done
at f3 peers | check "all(.[]; .id != \"$VID\")" || fail "f3 still connected to the banned validator"
admin f3 addpeer "[\"$F1ID@127.0.0.1:$F1P\"]" | check '.result == true' || fail "addpeer"
for i in $(seq 1 100); do
	at f3 peers | check "any(.[]; .id == \"$F1ID\")" && break
	sleep 0.1
done
at f3 peers | check "any(.[]; .id == \"$F1ID\")" || fail "f3 did not connect to f1: $(at f3 peers)"
H=$(height)
wait_same f3 "$H"
echo "f3 dropped the banned validator, follows through f1 at $H"

echo "-- kill -9 of f1: it restarts, reconnects, catches up (and f2 with it)"
kill -9 "$(cat "$D/f1.pid")"
wait "$(cat "$D/f1.pid")" 2>/dev/null || true
H=$(height)
wait_height $((H + 5))
# No --peer this time: f1 redials the peers it kept in DIR/peers (the
# validator, its id pinned once it proved it).
VID=$(sed -n 's/.*node id \([0-9a-f]\{64\}\).*/\1/p' "$D/node.log" | head -1)
grep -q "^$VID@127.0.0.1:$VP\$" "$D/f1/peers" || fail "f1 did not keep the validator in its peers file: $(cat "$D/f1/peers")"
"$BIN/emberd" --datadir "$D/f1" --rpc-listen "$(sed 's|http://||; s|/$||' "$D/f1.rpc")" \
	--p2p-listen "127.0.0.1:$F1P" --quiet >>"$D/f1.log" 2>&1 &
PIDS="$PIDS $!"
H=$(height)
wait_same f1 "$H"
wait_same f2 "$H"
echo "f1 back at $H, f2 too"

echo "-- a node of another chain is refused"
mkdir -p "$D/w"
"$BIN/emberd" --dev --datadir "$D/w" --rpc-listen 127.0.0.1:0 --no-p2p \
	--block-time-ms 200 >/dev/null 2>&1 &
WPID=$!
PIDS="$PIDS $WPID"
for i in $(seq 1 100); do [ -f "$D/w/genesis.json" ] && break; sleep 0.1; done
kill -9 "$WPID" 2>/dev/null || true
wait "$WPID" 2>/dev/null || true
"$BIN/emberd" --datadir "$D/w" --rpc-listen 127.0.0.1:0 --p2p-listen 127.0.0.1:0 \
	--peer "127.0.0.1:$VP" --quiet >>"$D/w.log" 2>&1 &
PIDS="$PIDS $!"
for i in $(seq 1 300); do
	grep -q "it runs chain" "$D/w.log" && grep -q "it runs chain" "$D/node.log" && break
	sleep 0.1
done
grep -q "it runs chain '$(cli status | field .chain_id)'" "$D/w.log" ||
	fail "the other chain's node does not say why: $(tail -5 "$D/w.log")"
grep -q "it runs chain 'ember-devnet-" "$D/node.log" ||
	fail "the validator does not say why it refused"
echo "refused both ways: $(grep -m1 'it runs chain' "$D/node.log" | cut -c1-160)"
echo "-- a node 2,000 blocks behind catches up"
kill -9 $PIDS 2>/dev/null || true
mkdir -p "$D/fast"
"$BIN/emberd" --dev --datadir "$D/fast" --rpc-listen 127.0.0.1:0 \
	--p2p-listen 127.0.0.1:0 --block-time-ms 10 --quiet >>"$D/fast.log" 2>&1 &
FASTPID=$!
PIDS="$PIDS $FASTPID"
echo "http://127.0.0.1:$(rpc_port "$D/fast.log")/" >"$D/fast.rpc"
FASTP=$(p2p_port "$D/fast.log")
for i in $(seq 1 1200); do
	[ "$(num "$(hgt fast 2>/dev/null)")" -ge 2000 ] && break
	sleep 0.1
done
[ "$(num "$(hgt fast)")" -ge 2000 ] || fail "the fast validator did not reach 2000 blocks"
cp "$D/fast/genesis.json" "$D/fast-genesis.json"
T0=$(date +%s%N)
"$BIN/emberd" --genesis "$D/fast-genesis.json" --datadir "$D/late" \
	--rpc-listen 127.0.0.1:0 --p2p-listen 127.0.0.1:0 \
	--peer "127.0.0.1:$FASTP" --quiet >>"$D/late.log" 2>&1 &
LATEPID=$!
PIDS="$PIDS $LATEPID"
echo "http://127.0.0.1:$(rpc_port "$D/late.log")/" >"$D/late.rpc"
for i in $(seq 1 1200); do
	[ "$(num "$(hgt late 2>/dev/null)")" -ge 2000 ] && break
	sleep 0.1
done
[ "$(num "$(hgt late)")" -ge 2000 ] || fail "the late node did not catch up 2000 blocks: at $(hgt late)"
T1=$(date +%s%N)
[ "$(block_hash late 2000)" = "$(block_hash fast 2000)" ] || fail "block 2000 differs"
echo "caught up 2000 blocks in $(( (T1 - T0) / 1000000 )) ms"

echo "-- a validator on two chains: the network halts"
kill -9 "$FASTPID" "$LATEPID" 2>/dev/null || true
wait "$FASTPID" 2>/dev/null || true
wait "$LATEPID" 2>/dev/null || true
cp -a "$D/fast" "$D/twin"
rm -f "$D/twin/.cookie" "$D/twin/node_key"   # same validator key, its own node id
"$BIN/emberd" --datadir "$D/fast" --rpc-listen 127.0.0.1:0 \
	--p2p-listen 127.0.0.1:0 --block-time-ms 50 --quiet >>"$D/fast2.log" 2>&1 &
APID=$!
PIDS="$PIDS $APID"
"$BIN/emberd" --datadir "$D/twin" --rpc-listen 127.0.0.1:0 \
	--p2p-listen 127.0.0.1:0 --block-time-ms 50 --quiet >>"$D/twin.log" 2>&1 &
BPID=$!
PIDS="$PIDS $BPID"
AP=$(p2p_port "$D/fast2.log"); BP=$(p2p_port "$D/twin.log")
"$BIN/emberd" --datadir "$D/late" --rpc-listen 127.0.0.1:0 \
	--p2p-listen 127.0.0.1:0 --peer "127.0.0.1:$AP" --peer "127.0.0.1:$BP" \
	--quiet >>"$D/late2.log" 2>&1 &
LPID=$!
PIDS="$PIDS $LPID"
# Whichever node first holds two certified blocks at one height halts:
# the full node, or a validator that the full node relayed the other
# chain to.  Wait for one to, then check it kept the evidence and exited.
who=""
for i in $(seq 1 300); do
	for n in late2:late:$LPID fast2:fast:$APID twin:twin:$BPID; do
		log=${n%%:*}; rest=${n#*:}; dir=${rest%%:*}; pid=${rest#*:}
		if grep -q "SAFETY FAILURE" "$D/$log.log"; then who="$log $dir $pid"; break 2; fi
	done
	sleep 0.1
done
[ -n "$who" ] || fail "no node halted on two chains: $(tail -5 "$D/late2.log")"
set -- $who
for i in $(seq 1 100); do kill -0 "$3" 2>/dev/null || break; sleep 0.1; done
kill -0 "$3" 2>/dev/null && fail "the node that saw the fork ($2) did not stop"
ls "$D/$2"/fork-*.block "$D/$2"/fork-*.cert >/dev/null 2>&1 || fail "no fork evidence in $D/$2"
echo "$2 halted: $(grep -m1 'SAFETY FAILURE' "$D/$1.log" | cut -c1-150)"
echo "p2p: ok"
