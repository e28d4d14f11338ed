#!/bin/sh
# Integration: a double-signing validator is caught.  Four validators
# (emberd testnet); validator 3 runs $BIN/tests/emberd-doublesign, a test
# build whose validator signs, past its signing guard, a nil prevote
# beside each prevote for a block (node/node_bft.c, EMBER_TEST_DOUBLE_SIGN).
#  1. the honest three report it: getevidence (and `ember-cli evidence`)
#     on each of them names validator 3, a prevote pair for one height and
#     round, one for a block and one for nil, both signed;
#  2. `ember-cli evidence submit` turns a pair into an `evidence` tx,
#     which slashes validator 3's stake (staked for the test); the same
#     offence sent again is refused ("already punished") and slashes
#     nothing more;
#  3. the chain goes on and nothing forks: a third of the power or less
#     cannot make the honest ones decide two blocks;
#  4. the honest validators' own consensus WALs hold both signed votes
#     (the evidence survives their restart), and lib/votecheck.py, which
#     finds no double sign in an honest network (bft_faults.sh), finds
#     validator 3's.
# Every wait polls a condition with a bound; nothing sleeps and hopes.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
. "$(dirname "$0")/lib/p2pnet.sh"
it_setup bftevidence

[ -x "$BIN/tests/emberd-doublesign" ] || fail "no $BIN/tests/emberd-doublesign (make all builds it)"
BASE=$(free_base 8)
[ -n "$BASE" ] || fail "no free ports"
"$BIN/emberd" testnet --validators 4 --out "$D/tn" --base-port "$BASE" \
	--block-time-ms 200 >"$D/testnet.log" 2>&1 || fail "testnet: $(cat "$D/testnet.log")"
for i in 0 1 2 3; do
	echo "http://127.0.0.1:$((BASE + 2 * i))/" >"$D/v$i.rpc"
done
start_v() {     # start_v I [PROGRAM]
	"${2:-$BIN/emberd}" --datadir "$D/tn/node$1" --quiet >>"$D/v$1.log" 2>&1 &
	echo $! >"$D/v$1.pid"
	PIDS="$PIDS $!"
}
for i in 0 1 2; do start_v $i; done
start_v 3 "$BIN/tests/emberd-doublesign"
for i in 0 1 2 3; do wait_hgt v$i 5 60; done
BAD=$(at v0 validators --json | jq -r '.validators[3].address')
[ -n "$BAD" ] && [ "$BAD" != null ] || fail "no address for validator 3"

echo "-- the honest three report validator 3"
for i in 0 1 2; do
	ok=""
	for k in $(seq 1 300); do
		if at v$i evidence --json >"$D/ev$i.json" 2>/dev/null &&
		   jq -e --arg bad "$BAD" '[.evidence[] | select(.validator == $bad)] | length > 0' \
			"$D/ev$i.json" >/dev/null; then
			ok=1
			break
		fi
		sleep 0.1
	done
	[ -n "$ok" ] || fail "validator $i reports no double sign by validator 3: $(cat "$D/ev$i.json")"
	check '[.evidence[] | select(.validator == "'"$BAD"'")][0] |
		.type == "prevote" and .height > 0 and
		((.a.value == null) != (.b.value == null)) and
		(.a.signature | length) == 128 and (.b.signature | length) == 128' <"$D/ev$i.json" ||
		fail "validator $i's evidence: $(cat "$D/ev$i.json")"
	jq -e '[.evidence[].validator] | all(. == "'"$BAD"'")' "$D/ev$i.json" >/dev/null ||
		fail "validator $i accuses an honest validator: $(cat "$D/ev$i.json")"
done
OUT=$(at v1 evidence)
printf '%s\n' "$OUT" | grep -q "^$BAD signed two prevotes at height" ||
	fail "ember-cli evidence: $OUT"
grep -q "TEST DOUBLE SIGN" "$D/v3.log" || fail "validator 3 did not double sign"

echo "-- the evidence tx slashes validator 3's stake, once"
export EMBER_PASSPHRASE=""
K="$D/tn/dev-keys"
at v0 send "$BAD" 1000 --from "$K/dev0.json" --wait --timeout 60 >/dev/null ||
	fail "funding validator 3"
at v0 stake 500 --from "$D/tn/node3/validator_key.json" --wait --timeout 60 >/dev/null ||
	fail "validator 3 staking"
S0=$(at v0 stake "$BAD" --json | jq -r '.amount | tonumber')
[ "${S0:-0}" -gt 0 ] || fail "validator 3 has no stake: $(at v0 stake "$BAD" --json)"
# It double signs at every height: stopped, its offences stop growing and
# the evidence lists hold still (the other three, 3/4 of the power, go on).
kill -9 "$(cat "$D/v3.pid")"
wait "$(cat "$D/v3.pid")" 2>/dev/null || true
at v1 evidence --json >"$D/ev-before.json"
OUT=$(at v1 evidence submit 0 --from "$K/dev1.json" --wait --timeout 60) ||
	fail "evidence submit: $OUT"
S1=$(at v0 stake "$BAD" --json | jq -r '.amount | tonumber')
[ "$S1" -lt "$S0" ] || fail "validator 3's stake $S0 was not slashed ($S1 after the evidence)"
echo "validator 3's stake slashed from $S0 to $S1 ($(jq -c '.evidence[0] | {height, round, type}' "$D/ev-before.json"))"
at v1 evidence --json | jq -e --slurpfile b "$D/ev-before.json" '.evidence[0] == $b[0].evidence[0]' \
	>/dev/null || fail "validator 1's evidence list moved with validator 3 stopped"
OUT=$(at v1 evidence submit 0 --from "$K/dev2.json" --wait --timeout 60 2>&1) &&
	fail "the same offence was accepted twice: $OUT"
printf '%s' "$OUT" | grep -q "already punished" || fail "second submit: $OUT"
S2=$(at v0 stake "$BAD" --json | jq -r '.amount | tonumber')
[ "$S2" = "$S1" ] || fail "validator 3 was slashed twice for one offence ($S1 then $S2)"

echo "-- no fork"
wait_hgt v0 $(( $(hgt v0) + 3 )) 30
H=$(hgt v0)
for i in 1 2; do wait_hgt v$i "$H" 30; done
for h in $(seq 1 "$H"); do
	want=$(block_hash v0 "$h")
	for i in 1 2; do
		[ "$(block_hash v$i "$h")" = "$want" ] || fail "fork: validator $i, height $h"
	done
done
grep -q "SAFETY FAILURE" "$D"/v*.log && fail "a safety failure was logged"
echo "one chain over $H blocks"

echo "-- the WALs hold it"
for i in 0 1 2; do
	"$BIN/emberd" inspect-wal "$D/tn/node$i/cons.wal" >>"$D/votes.jsonl" 2>>"$D/inspect.err" ||
		fail "inspect-wal node $i: $(cat "$D/inspect.err")"
done
python3 "$(dirname "$0")/lib/votecheck.py" <"$D/votes.jsonl" >"$D/vc.txt" &&
	fail "votecheck.py found no double sign in the WALs: $(cat "$D/vc.txt")"
grep -q "double sign: vote prevote by validator 3 " "$D/vc.txt" || fail "$(cat "$D/vc.txt")"
grep -v "by validator 3 " "$D/vc.txt" | grep -q "double sign" &&
	fail "an honest validator double signed: $(cat "$D/vc.txt")"
echo "$(grep -c 'double sign' "$D/vc.txt") double-signed prevotes of validator 3 in the WALs"
echo "bft_evidence: ok"
