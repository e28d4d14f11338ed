#!/bin/sh
# Integration: downtime is counted from the blocks' last commits and
# costs a down validator, not an up one.  Four validators (emberd
# testnet), epochs of 20 blocks; validators 0 and 3 stake 5 EMB each from
# their own accounts.
#  1. all up: nobody is missing from more than 80% of the epoch's last
#     commits so far (a precommit that comes after the first +2/3 still
#     joins the next block's last commit), as getvalidators'
#     missed_this_epoch shows;
#  2. validator 3 killed: its count grows by one a block; at the end of
#     the first epoch it missed more than 80% of, its stake is slashed
#     slash_downtime_bps (0.1%: 5 EMB -> 4.995 EMB), while validator 0,
#     up all along, keeps its 5 EMB;
#  3. back, it catches up, and an epoch it was up for all along costs it
#     nothing more.
# Every wait polls a condition with a bound; nothing sleeps and hopes.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
. "$(dirname "$0")/lib/p2pnet.sh"
it_setup bftdowntime

BASE=$(free_base 8)
[ -n "$BASE" ] || fail "no free ports"
"$BIN/emberd" testnet --validators 4 --out "$D/tn" --base-port "$BASE" \
	--block-time-ms 200 >"$D/testnet.log" 2>&1 || fail "testnet: $(cat "$D/testnet.log")"
# Slashed past 80% missed, not the default half: a validator that is down
# misses all of them, and four validators sharing 2 cores with the test
# leave an up one margin, however slow its precommits come.
jq '.params.epoch_blocks = 20 | .params.challenge_deadline_blocks = 10 |
	.params.downtime_missed_bps = 8000' \
	"$D/tn/genesis.json" >"$D/genesis.json" || fail "jq"
for i in 0 1 2 3; do
	cp "$D/genesis.json" "$D/tn/node$i/genesis.json"
	echo "http://127.0.0.1:$((BASE + 2 * i))/" >"$D/v$i.rpc"
done
vals() { at v0 validators --json; }
epoch() { vals | jq -r '.epoch'; }
stake_of() { at v0 stake "$1" --json | jq -r '.amount | tonumber'; }
# wait_epoch E: until the chain is in epoch E or later
wait_epoch() {
	for k in $(seq 1 600); do
		[ "$(epoch 2>/dev/null || echo 0)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "epoch $1 never came (now $(epoch))"
}
for i in 0 1 2 3; do start_v $i; done
for i in 0 1 2 3; do wait_hgt v$i 3 60; done
A0=$(vals | jq -r '.validators[0].address')
A3=$(vals | jq -r '.validators[3].address')
export EMBER_PASSPHRASE=""
for i in 0 3; do
	at v0 stake 5 --from "$D/tn/node$i/validator_key.json" --wait --timeout 60 >/dev/null ||
		fail "validator $i staking"
done
[ "$(stake_of "$A3")" = 5000000000 ] && [ "$(stake_of "$A0")" = 5000000000 ] ||
	fail "stakes: $(stake_of "$A0") $(stake_of "$A3")"

echo "-- all up: few missed precommits"
E=$(epoch)
wait_epoch $((E + 1))
wait_hgt v0 $(( ($(hgt v0) / 20) * 20 + 15 )) 30
vals >"$D/vals-up.json"
# The blocks of this epoch so far (each carries a last commit): an up
# validator is missing from no more than 80% of them, the share past
# which it would be slashed (how many it misses depends on the load).
DONE=$(( $(jq -r '.consensus.height' "$D/vals-up.json") - 1 - 20 * $(jq -r '.epoch' "$D/vals-up.json") ))
jq -e --argjson done "$DONE" '[.validators[].missed_this_epoch] | all(. * 10 <= $done * 8)' \
	"$D/vals-up.json" >/dev/null ||
	fail "validators up all along missed more than 80% of $DONE last commits: $(jq -c '[.validators[].missed_this_epoch]' "$D/vals-up.json")"
echo "missed so far this epoch, of $DONE: $(jq -c '[.validators[].missed_this_epoch]' "$D/vals-up.json")"

echo "-- validator 3 down: slashed for downtime at an epoch's end"
kill -9 "$(cat "$D/v3.pid")"
wait "$(cat "$D/v3.pid")" 2>/dev/null || true
K=$(epoch)
H=$(hgt v0)
wait_hgt v0 $((H + 5)) 30
M=$(vals | jq -r '.validators[3].missed_this_epoch')
[ "$(epoch)" != "$K" ] || [ "$M" -ge 5 ] || fail "validator 3, down, missed only $M"
for k in $(seq 1 600); do
	S3=$(stake_of "$A3")
	[ "$S3" -lt 5000000000 ] && break
	sleep 0.1
done
[ "$S3" = 4995000000 ] || fail "validator 3's stake after downtime: $S3 (want 4995000000)"
[ "$(stake_of "$A0")" = 5000000000 ] || fail "validator 0, up all along, was slashed: $(stake_of "$A0")"
echo "validator 3 slashed 0.1% for downtime (5 -> 4.995 EMB); validator 0 kept 5 EMB"

echo "-- back up: no more slashes"
start_v 3
wait_hgt v3 "$(hgt v0)" 60
B=$(epoch)
wait_epoch $((B + 1))
S_a=$(stake_of "$A3")
wait_epoch $((B + 2))
S_b=$(stake_of "$A3")
[ "$S_a" = "$S_b" ] || fail "validator 3, up for all of epoch $((B + 1)), was slashed again: $S_a -> $S_b"
[ "$(stake_of "$A0")" = 5000000000 ] || fail "validator 0 was slashed: $(stake_of "$A0")"
grep -q "SAFETY FAILURE" "$D"/v*.log && fail "a safety failure was logged"
echo "bft_downtime: ok"
