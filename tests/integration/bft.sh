#!/bin/sh
# Integration: four validators of equal power (emberd testnet) reach BFT
# consensus over P2P on 127.0.0.1.
#  1. all four finalize blocks and hold the same chain, each block with a
#     commit certificate of +2/3 of the power (getcommit), and
#     getvalidators names the set and one proposer; a transfer sent to one
#     of them is included and seen on all;
#  2. one killed with kill -9: the other three go on;
#  3. a second one killed: nothing is finalized without +2/3, and nothing
#     forks (the two left agree on every height they hold);
#  4. one back: progress resumes (3 of 4), and the fourth back catches up
#     and holds the same blocks.
# Every wait polls a condition with a bound; nothing sleeps and hopes.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
. "$(dirname "$0")/lib/p2pnet.sh"
it_setup bft

# A base port with 8 free ports above it.
BASE=$(free_base 8)
[ -n "$BASE" ] || fail "no free ports"
"$BIN/emberd" testnet --validators 4 --out "$D/tn" --base-port "$BASE" \
	--block-time-ms 200 >"$D/testnet.log" 2>&1 || fail "testnet: $(cat "$D/testnet.log")"
for i in 0 1 2 3; do
	echo "http://127.0.0.1:$((BASE + 2 * i))/" >"$D/v$i.rpc"
	[ -f "$D/tn/node$i/ember.conf" ] || fail "no ember.conf for node $i"
done
for i in 0 1 2 3; do start_v $i; done
for i in 0 1 2 3; do wait_hgt v$i 10 60; done
H=$(hgt v0)
for i in 1 2 3; do wait_hgt v$i "$H" 30; done
want=$(block_hash v0 "$H")
for i in 1 2 3; do
	[ "$(block_hash v$i "$H")" = "$want" ] || fail "validator $i holds another block $H"
done
echo "4 validators agree on block $H"
at v1 commit "$H" --json | check '.power_signed * 3 > .power_total * 2 and
	(.signers | length) >= 3 and .hash == "'"$want"'"' ||
	fail "block $H's commit certificate: $(at v1 commit "$H" --json)"
at v0 validators --json | check '(.validators | length) == 4 and
	.consensus.height > '"$H"' and ([.validators[] | select(.proposer)] | length) == 1' ||
	fail "getvalidators: $(at v0 validators --json)"

export EMBER_PASSPHRASE=""
K="$D/tn/dev-keys"
TO=$("$BIN/ember-cli" address "$K/dev1.json")
OUT=$(at v2 send "$TO" 3 --from "$K/dev0.json" --wait --timeout 60) ||
	fail "transfer via validator 2: $OUT"
TXH=$(printf '%s' "$OUT" | sed -n 's/.*committed in block \([0-9]*\).*/\1/p')
[ -n "$TXH" ] || fail "no block in '$OUT'"
for i in 0 1 3; do wait_hgt v$i "$TXH" 30; done
for i in 0 1 3; do
	[ "$(block_hash v$i "$TXH")" = "$(block_hash v2 "$TXH")" ] || fail "block $TXH differs on $i"
done
echo "transfer in block $TXH on all four"

echo "-- one of four killed"
kill -9 "$(cat "$D/v3.pid")"
H=$(hgt v0)
for i in 0 1 2; do wait_hgt v$i $((H + 10)) 60; done
echo "three went on to $((H + 10))"

echo "-- two of four killed: no progress, no fork"
kill -9 "$(cat "$D/v2.pid")"
# Once both survivors stand still at the same height, that is the halt.
last=""
for i in $(seq 1 300); do
	a=$(hgt v0); b=$(hgt v1)
	[ "$a" = "$b" ] && [ "$a" = "$last" ] && break
	last=$a
	sleep 0.2
done
[ "$(hgt v0)" = "$(hgt v1)" ] || fail "the two left are at different heights"
HALT=$(hgt v0)
for h in $(seq $((HALT - 5)) "$HALT"); do
	[ "$(block_hash v0 "$h")" = "$(block_hash v1 "$h")" ] || fail "fork at $h"
done
echo "halted at $HALT, same blocks"

echo "-- one back: progress; the other back: catches up"
start_v 2
for i in 0 1 2; do wait_hgt v$i $((HALT + 5)) 90; done
# node 3 comes back with its key given by name, moved out of its datadir
mv "$D/tn/node3/validator_key.json" "$D/v3key.json"
"$BIN/emberd" --datadir "$D/tn/node3" --validator-key "$D/v3key.json" --quiet \
	>>"$D/v3.log" 2>&1 &
PIDS="$PIDS $!"
H=$(hgt v0)
wait_hgt v3 "$H" 90
for i in 1 2 3; do
	wait_hgt v$i "$H" 30
	[ "$(block_hash v$i "$H")" = "$(block_hash v0 "$H")" ] || fail "validator $i: block $H differs"
	[ "$(block_root v$i "$H")" = "$(block_root v0 "$H")" ] || fail "validator $i: state root $H differs"
done
grep -q "SAFETY FAILURE" "$D"/v*.log && fail "a safety failure was logged"
echo "bft: ok"
