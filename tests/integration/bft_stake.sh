#!/bin/sh
# Integration: quorums are by power, not by head count.  Four validators
# (emberd testnet) with the genesis powers edited to 4, 2, 2, 1 (total 9:
# a commit needs more than 6):
#  1. validator 3 (power 1, a quarter of the heads) killed: 8 of 9 go on;
#  2. back, it catches up; then validator 0 (power 4, more than a third
#     of the power but one head of four) killed: the other three, 5 of 9,
#     finalize nothing, and nothing forks;
#  3. validator 0 back: blocks are final again and all four hold one chain.
# Every wait polls a condition with a bound; nothing sleeps and hopes.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
. "$(dirname "$0")/lib/p2pnet.sh"
it_setup bftstake

BASE=$(free_base 8)
[ -n "$BASE" ] || fail "no free ports"
"$BIN/emberd" testnet --validators 4 --out "$D/tn" --base-port "$BASE" \
	--block-time-ms 200 >"$D/testnet.log" 2>&1 || fail "testnet: $(cat "$D/testnet.log")"
# The same genesis everywhere, before any node has started from it.
jq '.validators[0].power = 4 | .validators[1].power = 2 | .validators[2].power = 2 |
	.validators[3].power = 1' "$D/tn/genesis.json" >"$D/genesis.json" || fail "jq"
for i in 0 1 2 3; do
	cp "$D/genesis.json" "$D/tn/node$i/genesis.json"
	echo "http://127.0.0.1:$((BASE + 2 * i))/" >"$D/v$i.rpc"
done
stop_v() {
	kill -9 "$(cat "$D/v$1.pid")"
	wait "$(cat "$D/v$1.pid")" 2>/dev/null || true
}
same_chain() {      # same_chain H NODES...: they hold the same block at 1..H
	h_max=$1
	shift
	first=$1
	for h in $(seq 1 "$h_max"); do
		want=$(block_hash "v$first" "$h")
		for i in "$@"; do
			[ "$(block_hash "v$i" "$h")" = "$want" ] || fail "fork: validator $i, height $h"
		done
	done
}
# Halted: no height of NODES moves for 2 s (10 block times).
wait_halt() {
	prev=""
	stable=0
	for k in $(seq 1 300); do
		now=""
		for i in "$@"; do now="$now $(hgt "v$i")"; done
		[ "$now" = "$prev" ] && stable=$((stable + 1)) || stable=0
		[ "$stable" -ge 10 ] && return 0
		prev=$now
		sleep 0.2
	done
	fail "validators $* kept finalizing without +2/3 of the power: $now"
}
for i in 0 1 2 3; do start_v $i; done
for i in 0 1 2 3; do wait_hgt v$i 5 60; done
at v0 validators --json | check '[.validators[].power] == [4, 2, 2, 1] and
	.consensus.self == 0' || fail "getvalidators: $(at v0 validators --json)"
at v1 commit 3 --json | check '.power_total == 9 and .power_signed >= 7' ||
	fail "block 3's certificate: $(at v1 commit 3 --json)"

echo "-- validator 3 (power 1 of 9) killed: the rest go on"
stop_v 3
H=$(hgt v0)
for i in 0 1 2; do wait_hgt v$i $((H + 5)) 30; done
start_v 3
H=$(hgt v0)
wait_hgt v3 "$H" 60
echo "went on to $H without it; it caught up"

echo "-- validator 0 (power 4 of 9, one head of four) killed: a halt, no fork"
stop_v 0
wait_halt 1 2 3
HALT=$(for i in 1 2 3; do hgt v$i; done | sort -n | tail -1)
same_chain "$(for i in 1 2 3; do hgt v$i; done | sort -n | head -1)" 1 2 3
echo "halted at $HALT with 5 of 9 (three of four validators)"

echo "-- validator 0 back: blocks are final again"
start_v 0
for i in 0 1 2 3; do wait_hgt v$i $((HALT + 3)) 60; done
same_chain $((HALT + 3)) 0 1 2 3
grep -q "SAFETY FAILURE" "$D"/v*.log && fail "a safety failure was logged"
echo "bft_stake: ok"
