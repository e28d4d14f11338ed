#!/bin/sh
# Integration: catch-up sync over several peers at once.
#  1. a validator at 10 ms blocks runs to 1,200 blocks; full node A
#     catches up from it;
#  2. full node B, peering both the validator and A, catches up with a
#     window of requests in flight over both: each of the two must have
#     served B at least a quarter of what B received (one peer alone
#     cannot hold the whole window: P2P_SLICES_PER_PEER);
#  3. full node C starts syncing from A and the validator, A is killed
#     with kill -9 while C is behind: C still catches up, from the
#     validator, and ends on the same blocks.
# Every wait polls a condition with a bound; nothing sleeps and hopes.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
. "$(dirname "$0")/lib/p2pnet.sh"
it_setup p2psync

TARGET=1200
start_node --quiet --block-time-ms 10
echo "$RPC" >"$D/v.rpc"
VP=$(p2p_port "$D/node.log")
wait_hgt v "$TARGET" 120
echo "-- validator at $(hgt v)"

start_full a --peer "127.0.0.1:$VP"
wait_hgt a "$TARGET"
AP=$(p2p_port "$D/a.log")
[ "$(block_hash a "$TARGET")" = "$(block_hash v "$TARGET")" ] || fail "a: block $TARGET differs"
echo "a caught up"

echo "-- b syncs from the validator and a at once"
start_full b --peer "127.0.0.1:$VP" --peer "127.0.0.1:$AP"
wait_hgt b "$TARGET"
[ "$(block_hash b "$TARGET")" = "$(block_hash v "$TARGET")" ] || fail "b: block $TARGET differs"
PEERS=$(rpc_at b '{"jsonrpc":"2.0","id":1,"method":"getpeers","params":[]}')
FROMV=$(printf '%s' "$PEERS" | jq "[.result[] | select(.address == \"127.0.0.1:$VP\") | .bytes_in] | add // 0")
FROMA=$(printf '%s' "$PEERS" | jq "[.result[] | select(.address == \"127.0.0.1:$AP\") | .bytes_in] | add // 0")
ALL=$((FROMV + FROMA))
echo "b received $FROMV bytes from the validator, $FROMA from a"
[ "$ALL" -gt 0 ] || fail "b shows no bytes from its peers: $PEERS"
[ $((FROMV * 4)) -ge "$ALL" ] || fail "the validator served b less than a quarter"
[ $((FROMA * 4)) -ge "$ALL" ] || fail "a served b less than a quarter"

echo "-- c loses a peer (kill -9) while it syncs"
H=$(hgt v)
start_full c --peer "127.0.0.1:$AP" --peer "127.0.0.1:$VP"
kill -9 "$(cat "$D/a.pid")"
wait_hgt c "$H"
[ "$(block_hash c "$H")" = "$(block_hash v "$H")" ] || fail "c: block $H differs"
[ "$(block_root c "$H")" = "$(block_root v "$H")" ] || fail "c: state root at $H differs"
echo "c caught up to $H without a"
echo "p2p_sync: ok"
