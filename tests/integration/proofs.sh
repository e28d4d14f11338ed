#!/bin/sh
# Integration: GPU proofs of compute end to end on a real emberd --dev with
# a fast test chain (10-block epochs at 300 ms, a 5-block deadline, 32
# openings, 8 pow bits, a GPU class with N = 256), driven by ember-cli and
# ember-prover.
#  1. ember-prover refuses clearly: bad options, an unreachable node, a
#     wrong passphrase, an account that is not a provider; its selftest
#     passes.
#  2. dev1 and dev2 register as providers of the small class (dev2 stakes
#     first); ember-prover --once answers dev1's first challenge:
#     getchallenge says passed with the proof's block and root, the proof
#     tx is in that block, listchallenges counts it, and after the epoch's
#     judgment getprovider's uptime counts the pass.
#  3. the committed proof tx sent again is refused with a clear error.
#  4. dev2 runs no prover: after its first challenged epoch ends,
#     getchallenge says missing (judged at the epoch's last block), its
#     stake is slashed and it is jailed.
#  5. bad params to getchallenge / listchallenges get -32602.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup proofs
E=10        # epoch_blocks
DL=5        # challenge_deadline_blocks
height() { cli status | field .height; }
wait_height() {
	for i in $(seq 1 300); do
		[ "$(height)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "chain did not reach height $1"
}
chal() {
	if [ $# -gt 1 ]; then
		rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getchallenge\",\"params\":[\"$1\", $2]}"
	else
		rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getchallenge\",\"params\":[\"$1\"]}"
	fi | field .result
}
chals() { rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"listchallenges\",\"params\":$1}" | field .result; }
prover() { "$BIN/ember-prover" --rpc "$RPC" --backend cpu "$@"; }
# refused WHAT STATUS PATTERN CMD...: CMD must exit with STATUS and say
# something matching PATTERN.
refused() {
	_what=$1 _want=$2 _pat=$3; shift 3
	_st=0; "$@" >"$D/out" 2>"$D/err" || _st=$?
	[ "$_st" = "$_want" ] || fail "$_what: exit $_st, expected $_want: $(cat "$D/err")"
	grep -qi -- "$_pat" "$D/err" || fail "$_what: unexpected message: $(cat "$D/err")"
	echo "refused as expected: $(grep -i -- "$_pat" "$D/err" | head -1)"
}

echo "-- a fast test chain"
start_node --quiet
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
G="$D/data/genesis.json"
jq --argjson e $E --argjson d $DL '
	.params.epoch_blocks = $e | .params.challenge_deadline_blocks = $d |
	.params.challenges_enabled = 1 |
	.params.proof_openings = 32 | .params.proof_pow_bits = 8 |
	.gpu_classes += [{ "id": 9, "name": "test-256", "vram_gib": 8,
	                   "min_stake_per_gpu": "1000000000", "challenge_n": 256 }]' \
	"$G" >"$G.new" && mv "$G.new" "$G"
rm -rf "$D/data/ledger"
start_node --quiet --block-time-ms 300
K="$D/data/dev-keys"
export EMBER_PASSPHRASE=""
A1=$(cli address "$K/dev1.json"); A2=$(cli address "$K/dev2.json")
A3=$(cli address "$K/dev3.json")
cli params --json | check ".epoch_blocks == $E and (.gpu_classes[] |
	select(.name == \"test-256\") | .challenge_n == 256)" ||
	fail "genesis not rewritten: $(cli params --json | jq -c .)"

echo "-- ember-prover refusals"
refused "no --key" 2 "needs --key" prover
refused "a bad backend" 2 "invalid backend 'gpu'" prover --key "$K/dev1.json" --backend gpu
refused "a bad option" 2 "unknown option '--frobnicate'" prover --frobnicate
refused "an unreachable node" 1 "cannot reach node" \
	"$BIN/ember-prover" --rpc http://127.0.0.1:1/ --backend cpu --key "$K/dev1.json" --once
echo "not the passphrase" >"$D/wrong"
refused "a wrong passphrase" 1 "wrong passphrase for keystore" \
	prover --key "$K/dev1.json" --passphrase-file "$D/wrong" --once
refused "not a provider" 1 "'$A3' is not a registered provider" \
	prover --key "$K/dev3.json" --once
"$BIN/ember-prover" selftest --n 64 --backend cpu >"$D/selftest" 2>&1 ||
	fail "selftest: $(cat "$D/selftest")"
grep -q "selftest: equal" "$D/selftest" || fail "selftest said: $(cat "$D/selftest")"

echo "-- providers"
cli stake 100 --from "$K/dev2.json" --wait >/dev/null || fail "stake dev2"
cli provider-register --class test-256 --gpus 1 --vram 8 --region eu-west --price 1 \
	--endpoint dev1.example:9000 --from "$K/dev1.json" --wait >/dev/null ||
	fail "provider-register dev1"
cli provider-register --class test-256 --gpus 1 --vram 8 --region eu-west --price 1 \
	--endpoint dev2.example:9000 --from "$K/dev2.json" --wait >/dev/null ||
	fail "provider-register dev2"
C=$(chal "$A1")
echo "$C" | check ".registered and .challenges_enabled and .n == 256 and .openings == 32 and
	.pow_bits == 8 and (.status == \"not_challenged\" or .status == \"pending\") and
	.deadline_height == .issued_height + $DL" || fail "getchallenge after register: $C"

echo "-- dev1 answers its challenge"
# Not through prover(): $! must be ember-prover itself, not a subshell,
# for the cleanup to stop it.
"$BIN/ember-prover" --rpc "$RPC" --backend cpu --key "$K/dev1.json" --once \
	>"$D/prover.log" 2>&1 &
LOAD=$!
ok=0
for i in $(seq 1 400); do
	kill -0 "$LOAD" 2>/dev/null || { ok=1; break; }
	sleep 0.1
done
[ $ok = 1 ] || fail "ember-prover --once still running after 40 s: $(cat "$D/prover.log")"
wait "$LOAD" || fail "ember-prover --once failed: $(cat "$D/prover.log")"
LOAD=""
cat "$D/prover.log"
EP=$(awk '/: passed in block/ {sub(":", "", $3); print $3}' "$D/prover.log")
TX=$(awk '/sent proof tx/ {print $NF}' "$D/prover.log")
[ -n "$EP" ] && [ -n "$TX" ] || fail "prover log lacks the epoch or the txid"
C=$(chal "$A1" "$EP")
echo "$C" | check ".status == \"passed\" and .challenged and .issued and
	(.seed | length) == 64 and (.proof.root | length) == 40 and
	.proof.height > .issued_height and .proof.height <= .deadline_height" ||
	fail "getchallenge $EP after the proof: $C"
PH=$(echo "$C" | field .proof.height)
# Real proofs are far above the 4 KiB of other txs (docs/proofs.md); this
# one is too, so blocks and the mempool carry the proof tx's own limit.
cli tx "$TX" | check ".status == \"committed\" and .height == $PH and .kind == \"proof\" and
	.size > 4096" ||
	fail "proof tx $TX: $(cli tx "$TX")"
chals "[$EP]" | check ".counts.passed >= 1 and
	(.challenges[] | select(.provider == \"$A1\") | .status == \"passed\")" ||
	fail "listchallenges $EP: $(chals "[$EP]")"
chals "{\"epoch\": $EP, \"limit\": 1}" | check '.challenges | length == 1' ||
	fail "listchallenges limit 1"

echo "-- a replayed proof tx"
HEX=$(cli tx "$TX" | field .hex)
rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sendtx\",\"params\":[\"$HEX\"]}" >"$D/replay"
check '.error.code == -32002 and (.error.message | test("already"))' <"$D/replay" ||
	fail "replayed proof tx: $(cat "$D/replay")"
echo "refused as expected: $(field .error.message <"$D/replay")"

echo "-- dev2 misses its challenge"
R2=$(cli provider "$A2" --json | field .registered_height)
F2=$(( (R2 + E - 1) / E ))          # first epoch e with e*E >= R2
END2=$(( (F2 + 1) * E ))            # judged at the end of this block
END1=$(( (EP + 1) * E ))
wait_height $(( (END2 > END1 ? END2 : END1) + 1 ))
C=$(chal "$A2" "$F2")
echo "$C" | check ".challenged and .status == \"missing\" and .judged_height == $END2 and
	.proof == null" || fail "getchallenge dev2 $F2: $C"
chals "[$F2]" | check '.counts.missing >= 1' || fail "listchallenges $F2: $(chals "[$F2]")"
cli stake "$A2" --json | check '(.slashed_total | tonumber) > 0' ||
	fail "dev2 not slashed: $(cli stake "$A2" --json)"
cli provider "$A2" --json | check ".jailed and .jailed_until > $F2" ||
	fail "dev2 not jailed: $(cli provider "$A2" --json)"
echo "dev2: $(echo "$C" | field .status) in epoch $F2 (judged at $END2), slashed" \
	"$(cli stake "$A2" --json | field .slashed_total) units, jailed until epoch" \
	"$(cli provider "$A2" --json | field .jailed_until)"
cli provider "$A1" --json | check '.uptime.last_7.passed >= 1' ||
	fail "dev1's uptime lacks the pass: $(cli provider "$A1" --json | jq -c .uptime)"

echo "-- bad params"
rpc '{"jsonrpc":"2.0","id":1,"method":"getchallenge","params":[]}' |
	check '.error.code == -32602' || fail "getchallenge without an address"
rpc '{"jsonrpc":"2.0","id":1,"method":"getchallenge","params":["ember1xyz"]}' |
	check '.error.code == -32602' || fail "getchallenge bad address"
rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getchallenge\",\"params\":[\"$A1\", \"x\"]}" |
	check '.error.code == -32602 and (.error.message | test("epoch"))' ||
	fail "getchallenge bad epoch"
rpc '{"jsonrpc":"2.0","id":1,"method":"listchallenges","params":{"limit":0}}' |
	check '.error.code == -32602 and (.error.message | test("limit"))' || fail "limit 0"
kill -0 "$PID" || fail "node died"
echo "proofs: all checks passed"
