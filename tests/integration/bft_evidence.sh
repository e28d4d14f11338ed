#!/bin/sh
# Integration: a double-signing validator is caught.  Four validators
# (emberd testnet); validator 3 runs $BIN/tests/emberd-doublesign, a test
# build whose validator signs, past its signing guard, a nil prevote
# beside each prevote for a block (node/node_bft.c, EMBER_TEST_DOUBLE_SIGN).
#  1. the honest three report it: getevidence (and `ember-cli evidence`)
#     on each of them names validator 3, a prevote pair for one height and
#     round, one for a block and one for nil, both signed;
#  2. each honest node sends what it saw as an `evidence` tx from its own
#     account: validator 3's stake (5 EMB, staked for the test) is slashed;
#     the same offence sent again by hand (`ember-cli evidence submit`) is
#     refused ("already punished") and slashes nothing more;
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

echo "-- the honest nodes send it as an evidence tx: validator 3's stake is slashed"
export EMBER_PASSPHRASE=""
K="$D/tn/dev-keys"
# testnet funds each validator's own account (10 EMB): validator 3 stakes
# half, and its next double signs cost it.
at v0 stake 5 --from "$D/tn/node3/validator_key.json" --wait --timeout 60 >/dev/null ||
	fail "validator 3 staking"
stake_of() { at v0 stake "$BAD" --json | jq -r '.amount | tonumber'; }
S0=5000000000
for k in $(seq 1 300); do
	S1=$(stake_of)
	[ "${S1:-$S0}" -lt "$S0" ] && break
	sleep 0.1
done
[ "${S1:-$S0}" -lt "$S0" ] || fail "validator 3's stake was not slashed: $(at v0 stake "$BAD" --json)"
grep -q "sent evidence tx" "$D/v0.log" "$D/v1.log" "$D/v2.log" ||
	fail "no honest node logged sending an evidence tx"
echo "validator 3's stake slashed from $S0 to $S1 by the evidence its peers sent"
# It double signs at every height: stopped, its offences stop (the other
# three, 3/4 of the power, go on) and once the stake holds still for 10
# blocks every evidence tx sent has been decided.
kill -9 "$(cat "$D/v3.pid")"
wait "$(cat "$D/v3.pid")" 2>/dev/null || true
prev=""
stable=0
for k in $(seq 1 300); do
	now="$(stake_of) $(hgt v0)"
	s_now=${now% *}
	if [ "$s_now" = "${prev% *}" ]; then
		[ "${now#* }" -ge "$(( ${prev#* } + 10 ))" ] && { stable=1; break; }
	else
		prev=$now
	fi
	sleep 0.2
done
[ "$stable" = 1 ] || fail "validator 3's stake never held still: $now"
S2=${now% *}
# The newest offence was punished by the honest nodes' own tx: sent again
# by hand, it is refused and slashes nothing more.
OUT=$(at v1 evidence submit 0 --from "$K/dev1.json" --wait --timeout 60 2>&1) &&
	fail "an offence was punished twice: $OUT"
printf '%s' "$OUT" | grep -q "already punished" || fail "evidence submit: $OUT"
[ "$(stake_of)" = "$S2" ] || fail "validator 3 was slashed twice for one offence"
echo "sent again by hand: refused, already punished"

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
