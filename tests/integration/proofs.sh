#!/bin/sh
# Integration: GPU proofs of compute end to end on a real emberd --dev with
# a fast test chain (10-block epochs at 300 ms, a 5-block deadline, 32
# openings, 8 pow bits, a GPU class with N = 256, a jail longer than any
# run), driven by ember-cli and ember-prover.
#  1. ember-prover refuses clearly: bad options, an unreachable node, a
#     wrong passphrase, an account that is not a provider; its selftest
#     passes.
#  2. dev1 and dev2 register as providers of the small class (dev2 stakes
#     first); ember-prover --once answers one of dev1's challenges:
#     getchallenge says passed with the proof's block and root, the proof
#     tx is in that block, listchallenges counts it, and after the epoch's
#     judgment getprovider's uptime counts the pass.
#  3. the committed proof tx sent again is refused as already done.
#  4. dev2 runs no prover: after its first challenged epoch ends,
#     getchallenge says missing (judged at the epoch's last block), its
#     stake is slashed, and it is jailed: getprovider and listproviders
#     show status "jailed", and the status filter tells jailed from active.
#  5. bad params to getchallenge / listchallenges / listproviders get
#     -32602.
# Nothing here depends on how fast blocks come: every wait polls for the
# state it needs, for at most $WAIT seconds (generous, for loaded
# machines), and every check holds at whatever height it runs.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup proofs
E=10        # epoch_blocks
DL=5        # challenge_deadline_blocks
JAIL=100000 # jail_epochs: once jailed, jailed for the rest of the run
WAIT=${WAIT:-300}   # seconds one wait may take
height() { cli status | field .height; }
# wait_for WHAT CMD...: poll until CMD succeeds, at most $WAIT seconds.
wait_for() {
	_what=$1; shift
	_end=$(( $(date +%s) + WAIT ))
	until "$@" >/dev/null 2>&1; do
		kill -0 "$PID" 2>/dev/null || fail "node died waiting for $_what"
		[ "$(date +%s)" -lt "$_end" ] || fail "no $_what after $WAIT s"
		sleep 0.2
	done
}
reached() { [ "$(height)" -ge "$1" ]; }
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
jq --argjson e $E --argjson d $DL --argjson j $JAIL '
	.params.epoch_blocks = $e | .params.challenge_deadline_blocks = $d |
	.params.challenges_enabled = 1 | .params.jail_epochs = $j |
	.params.proof_openings = 32 | .params.proof_pow_bits = 8 |
	.gpu_classes += [{ "id": 9, "name": "test-256", "vram_gib": 8,
	                   "min_stake_per_gpu": "1000000000", "challenge_n": 256 }]' \
	"$G" >"$G.new" && mv "$G.new" "$G"
rm -rf "$D/data/ledger" "$D/data/sign_guard"
start_node --quiet --block-time-ms 300
K="$D/data/dev-keys"
export EMBER_PASSPHRASE=""
A1=$(cli address "$K/dev1.json"); A2=$(cli address "$K/dev2.json")
A3=$(cli address "$K/dev3.json")
cli params --json | check ".epoch_blocks == $E and .params.jail_epochs == $JAIL and (.gpu_classes[] |
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
cli stake 100 --from "$K/dev2.json" --wait --timeout "$WAIT" >/dev/null ||
	fail "stake dev2"
cli provider-register --class test-256 --gpus 1 --vram 8 --region eu-west --price 1 \
	--endpoint dev1.example:9000 --from "$K/dev1.json" --wait --timeout "$WAIT" \
	>/dev/null || fail "provider-register dev1"
cli provider-register --class test-256 --gpus 1 --vram 8 --region eu-west --price 1 \
	--endpoint dev2.example:9000 --from "$K/dev2.json" --wait --timeout "$WAIT" \
	>/dev/null || fail "provider-register dev2"
# Any status but passed: by now the chain may be in the registration's
# epoch (not challenged), the next one (pending) or past its deadline.
C=$(chal "$A1")
echo "$C" | check ".registered and .challenges_enabled and .n == 256 and .openings == 32 and
	.pow_bits == 8 and (.status == \"not_challenged\" or .status == \"pending\" or
	.status == \"missing\") and .deadline_height == .issued_height + $DL" ||
	fail "getchallenge after register: $C"

echo "-- dev1 answers a challenge"
# --once answers the first challenge it finds pending.  Where the machine
# was slow enough for that challenge's deadline to go by first, it says
# "challenge missing" and exits 1; it then runs again for the next epoch's.
# Not through prover(): $! must be ember-prover itself, not a subshell,
# for the cleanup to stop it.
end=$(( $(date +%s) + WAIT ))
while :; do
	"$BIN/ember-prover" --rpc "$RPC" --backend cpu --key "$K/dev1.json" --once \
		>"$D/prover.log" 2>&1 &
	LOAD=$!
	while kill -0 "$LOAD" 2>/dev/null; do
		[ "$(date +%s)" -lt "$end" ] ||
			fail "ember-prover --once still running after $WAIT s: $(cat "$D/prover.log")"
		sleep 0.1
	done
	st=0; wait "$LOAD" || st=$?
	LOAD=""
	cat "$D/prover.log"
	[ $st = 0 ] && break
	grep -q "challenge missing" "$D/prover.log" ||
		fail "ember-prover --once failed: $(cat "$D/prover.log")"
	[ "$(date +%s)" -lt "$end" ] || fail "no challenge answered in $WAIT s"
	sleep 0.5
done
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
# Refused as already done at any height: the node finds the tx committed,
# and the token rules refuse a second proof for a passed challenge before
# they look at the deadline or the epoch (docs/economics.md, "Proofs"), so
# neither answer depends on how far the chain has moved since.
HEX=$(cli tx "$TX" | field .hex)
rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sendtx\",\"params\":[\"$HEX\"]}" >"$D/replay"
check ".error.code == -32002 and (.error.message |
	test(\"already committed in block $PH|already answered epoch $EP's challenge: pass at height $PH\"))" \
	<"$D/replay" || fail "replayed proof tx: $(cat "$D/replay")"
echo "refused as expected: $(field .error.message <"$D/replay")"

echo "-- dev2 misses its challenge"
R2=$(cli provider "$A2" --json | field .registered_height)
F2=$(( (R2 + E - 1) / E ))          # first epoch e with e*E >= R2
END2=$(( (F2 + 1) * E ))            # judged at the end of this block
END1=$(( (EP + 1) * E ))
UNTIL2=$(( F2 + 1 + JAIL ))
wait_for "judgment of dev2's epoch $F2 (block $END2)" reached "$END2"
C=$(chal "$A2" "$F2")
echo "$C" | check ".challenged and .status == \"missing\" and .judged_height == $END2 and
	.proof == null" || fail "getchallenge dev2 $F2: $C"
chals "[$F2]" | check '.counts.missing >= 1' || fail "listchallenges $F2: $(chals "[$F2]")"
cli stake "$A2" --json | check '(.slashed_total | tonumber) > 0' ||
	fail "dev2 not slashed: $(cli stake "$A2" --json)"

echo "-- dev2 is jailed: out of the market, and shown so"
# Each later epoch it misses too extends the jail, so jailed_until only
# grows from F2 + 1 + JAIL.
P=$(cli provider "$A2" --json)
echo "$P" | check ".status == \"jailed\" and .jailed and .jailed_until >= $UNTIL2 and
	(.eligible | not) and .ineligible_reason == \"jailed until epoch \\(.jailed_until)\"" ||
	fail "dev2 not shown jailed: $P"
provs() {
	rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"listproviders\",\"params\":$1}" |
		field .result
}
# dev1 may be jailed too by now (it proves once only), so only dev2's
# place and every listed status are checked.
# The market's figures count it among the jailed (its price is off offer).
rpc '{"jsonrpc":"2.0","id":1,"method":"getnetworkstats"}' | check ".result.totals.providers_jailed >= 1" ||
	fail "getnetworkstats does not count dev2 as jailed"
provs '{"status": "jailed"}' | check "any(.providers[]; .address == \"$A2\") and
	all(.providers[]; .status == \"jailed\" and .jailed)" ||
	fail "listproviders jailed: $(provs '{"status": "jailed"}')"
provs '{"status": "active"}' | check "(any(.providers[]; .address == \"$A2\") | not) and
	all(.providers[]; .status == \"active\" and (.jailed | not))" ||
	fail "listproviders active: $(provs '{"status": "active"}')"
provs '{}' | check "(.providers[] | select(.address == \"$A2\") | .status) == \"jailed\"" ||
	fail "listproviders: $(provs '{}')"
echo "dev2: $(echo "$C" | field .status) in epoch $F2 (judged at $END2), slashed" \
	"$(cli stake "$A2" --json | field .slashed_total) units, status" \
	"$(echo "$P" | field .status) until epoch $(echo "$P" | field .jailed_until)"

# The pass counts while epoch EP is in the 7-epoch window.
wait_for "judgment of dev1's epoch $EP (block $END1)" reached "$END1"
cli provider "$A1" --json | check ".uptime.epoch >= $EP and
	(.uptime.epoch - $EP >= 7 or .uptime.last_7.passed >= 1)" ||
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
rpc '{"jsonrpc":"2.0","id":1,"method":"listproviders","params":{"status":"asleep"}}' |
	check '.error.code == -32602 and
	(.error.message | test("expected active, jailed or retired"))' ||
	fail "listproviders bad status"
kill -0 "$PID" || fail "node died"
echo "proofs: all checks passed"
