#!/bin/sh
# Integration: GET /metrics on a real emberd --dev (a fast test chain:
# 20-block epochs, a 10-block challenge deadline, a GPU class the CPU
# prover answers), checked with promtool and against the RPC answers.
#  1. the page is Prometheus text that `promtool check metrics` passes,
#     every sample has its family's HELP and TYPE, every family is listed
#     in docs/metrics.md, and every histogram is well formed (buckets
#     never fall, +Inf equals _count).
#  2. a small market: dev0 stakes and registers 8 h100-80g GPUs (and runs
#     no prover), dev1 registers 2 test-256 GPUs and runs ember-prover,
#     dev2 registers and retires, dev3 orders a test-256 GPU, dev1 bids,
#     dev3 accepts; dev3 stakes and unstakes some.
#  3. once an epoch has judged a pass and a miss, one scrape and the RPC
#     answers at the same height agree: the supply and where it is
#     (getsupply), GPUs registered and leased and providers by class,
#     jailed, retired, open orders and leases (getnetworkstats), dev0's
#     GPUs (getprovider), the height (getstatus), blocks committed (the
#     node started at genesis) and the block histograms' counts.
#  4. the challenge and slash counters equal the sums over the closed
#     epochs of listchallenges' counts and getsupply's epoch records.
#  5. five getsupply calls add exactly five to that method's latency
#     histogram.
#  6. a full node syncs from the validator: each counts the other as its
#     peer (inbound, outbound), the full node counts bytes for the
#     validator's id as getpeers shows it, and its block histograms count
#     every block it took from the peer.
# promtool comes with Debian's prometheus package (scripts/deps.sh): this
# test fails without it.  Every wait polls for the state it needs, at most
# $WAIT seconds; the comparisons retry until the scrape and the answers
# were taken at one height (blocks keep coming meanwhile).
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
. "$(dirname "$0")/lib/p2pnet.sh"
it_setup metrics
DOCS="$(dirname "$0")/../../docs/metrics.md"
E=20        # epoch_blocks
DL=10       # challenge_deadline_blocks
WAIT=${WAIT:-300}

command -v promtool >/dev/null 2>&1 ||
	fail "promtool not found: it comes with Debian's prometheus package (sh scripts/deps.sh installs it)"
[ -f "$DOCS" ] || fail "no $DOCS"

# scrape [FILE]: GET /metrics into FILE (default $D/m), checked for form.
scrape() {
	_f=${1:-$D/m}
	curl -sf -D "$D/hdr" -o "$_f" "${RPC}metrics" || fail "GET /metrics failed"
	grep -qi '^content-type: text/plain; version=0.0.4' "$D/hdr" ||
		fail "/metrics content type: $(grep -i content-type "$D/hdr")"
}
# m KEY [FILE]: the value of sample KEY (name with its labels, as printed).
m() {
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { exit !f }' "${2:-$D/m}" ||
		fail "/metrics has no sample $1"
}
# same WHAT A B: A and B must be equal (as text: amounts exceed shell ints).
same() { [ "$2" = "$3" ] || fail "$1: /metrics says $2, RPC says $3"; }
call() { rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":${2:-[]}}" | field .result; }
wait_for() {
	_what=$1; shift
	_end=$(( $(date +%s) + WAIT ))
	until "$@" >/dev/null 2>&1; do
		kill -0 "$PID" 2>/dev/null || fail "node died waiting for $_what"
		[ "$(date +%s)" -lt "$_end" ] || fail "no $_what after $WAIT s"
		sleep 0.2
	done
}

# lint FILE: promtool, HELP/TYPE of every sample, docs, histogram shape.
lint() {
	promtool check metrics <"$1" >"$D/lint" 2>&1 || fail "promtool check metrics: $(cat "$D/lint")"
	[ ! -s "$D/lint" ] || fail "promtool check metrics said: $(cat "$D/lint")"
	awk '
		/^# HELP / { help[$3] = 1; next }
		/^# TYPE / { type[$3] = $4; next }
		/^#/ || !NF { next }
		{
			n = $1; sub(/\{.*/, "", n); f = n
			if (!(f in type)) {
				sub(/_(bucket|sum|count)$/, "", f)
				if (type[f] != "histogram") { print "no TYPE line for " n; bad = 1; next }
			}
			if (!(f in help)) { print "no HELP line for " f; bad = 1 }
		}
		END { exit bad }' "$1" >"$D/lint" || fail "$(cat "$D/lint")"
	for f in $(awk '/^# TYPE / { print $3 }' "$1"); do
		grep -q "\`$f\`" "$DOCS" || fail "$f is not listed in docs/metrics.md"
	done
	awk '
		/^#/ { next }
		$1 ~ /_bucket\{/ {
			k = $1; sub(/_bucket\{/, "{", k); sub(/,?le="[^"]*"\}$/, "}", k)
			if ((k in last) && $2 + 0 < last[k] + 0) { print "bucket falls: " $0; bad = 1 }
			last[k] = $2
			if ($1 ~ /le="\+Inf"/) inf[k] = $2
			next
		}
		$1 ~ /_count(\{|$)/ { k = $1; sub(/_count/, "", k); if (k !~ /\}$/) k = k "{}"; cnt[k] = $2 }
		END {
			for (k in inf) {
				nh++
				if (cnt[k] != inf[k]) { print "histogram " k ": +Inf " inf[k] ", _count " cnt[k]; bad = 1 }
			}
			if (!nh) { print "no histogram"; bad = 1 }
			exit bad
		}' "$1" >"$D/lint" || fail "$(cat "$D/lint")"
}

echo "-- a fast test chain"
start_node --quiet
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
G="$D/data/genesis.json"
jq --argjson e $E --argjson d $DL '
	.params.epoch_blocks = $e | .params.challenge_deadline_blocks = $d |
	.params.challenges_enabled = 1 | .params.jail_epochs = 100000 |
	.params.proof_openings = 32 | .params.proof_pow_bits = 8 |
	.gpu_classes += [{ "id": 9, "name": "test-256", "vram_gib": 8,
	                   "min_stake_per_gpu": "1000000000", "challenge_n": 256 }]' \
	"$G" >"$G.new" && mv "$G.new" "$G"
# A new chain: its ledger, and the signing guard's record of the old one
# (a block signed there before the kill would be proposed again).
rm -rf "$D/data/ledger" "$D/data/sign_guard"
start_node --quiet
K="$D/data/dev-keys"
export EMBER_PASSPHRASE=""
A0=$(cli address "$K/dev0.json"); A1=$(cli address "$K/dev1.json")
A3=$(cli address "$K/dev3.json")
cli params --json | check ".epoch_blocks == $E" || fail "genesis not rewritten"

echo "-- the page at the start"
scrape
lint "$D/m"
for c in rtx4090-24g a100-80g h100-80g h200-141g test-256; do
	same "GPUs of $c at genesis" "$(m "ember_market_gpus_registered{class=\"$c\"}")" 0
done
same "challenges passed at the start" "$(m 'ember_market_challenges_total{result="passed"}')" 0
m ember_consensus_height >/dev/null
m 'ember_p2p_peers{direction="inbound"}' >/dev/null

echo "-- a small market"
cli stake 100 --from "$K/dev0.json" --wait --timeout "$WAIT" >/dev/null || fail "stake dev0"
cli provider-register --class h100-80g --gpus 8 --vram 80 --region eu-west --price 2.5 \
	--endpoint dev0.example:9000 --from "$K/dev0.json" --wait --timeout "$WAIT" \
	>/dev/null || fail "provider-register dev0"
cli provider-register --class test-256 --gpus 2 --vram 8 --region eu-west --price 1 \
	--endpoint dev1.example:9000 --from "$K/dev1.json" --wait --timeout "$WAIT" \
	>/dev/null || fail "provider-register dev1"
# Not through a function: $! must be ember-prover itself for the cleanup.
"$BIN/ember-prover" --rpc "$RPC" --backend cpu --key "$K/dev1.json" >"$D/prover.log" 2>&1 &
LOAD=$!
cli provider-register --class rtx4090-24g --gpus 1 --vram 24 --region us-east --price 1 \
	--endpoint dev2.example:9000 --from "$K/dev2.json" --wait --timeout "$WAIT" \
	>/dev/null || fail "provider-register dev2"
cli provider-retire --from "$K/dev2.json" --wait --timeout "$WAIT" >/dev/null ||
	fail "provider-retire dev2"
out=$(cli order --class test-256 --gpus 1 --max-price 3 --duration 100000 --deposit 10 \
	--from "$K/dev3.json" --wait --timeout "$WAIT") || fail "order"
ORDER=$(echo "$out" | awk '$1 == "order" {print $2}')
[ -n "$ORDER" ] || fail "order --wait printed no order id: $out"
cli bid "$ORDER" 1 --from "$K/dev1.json" --wait --timeout "$WAIT" >/dev/null || fail "bid"
out=$(cli accept "$ORDER" "$A1" --from "$K/dev3.json" --wait --timeout "$WAIT") || fail "accept"
echo "$out" | grep -q '^lease ' || fail "accept --wait printed no lease: $out"
cli stake 50 --from "$K/dev3.json" --wait --timeout "$WAIT" >/dev/null || fail "stake dev3"
cli unstake 20 --from "$K/dev3.json" --wait --timeout "$WAIT" >/dev/null || fail "unstake dev3"

echo "-- an epoch judges a pass (dev1) and a miss (dev0)"
judged() {
	scrape "$D/w"
	[ "$(m 'ember_market_challenges_total{result="passed"}' "$D/w")" -ge 1 ] &&
	[ "$(m 'ember_market_challenges_total{result="missing"}' "$D/w")" -ge 1 ]
}
wait_for "judged pass and miss in /metrics ($(tail -1 "$D/prover.log" 2>/dev/null))" judged

echo "-- one height: /metrics against getsupply, getnetworkstats, getstatus"
# The answers (one batch) then a scrape, kept when all show one height:
# every figure compared is the ledger's at that height.
for try in $(seq 1 100); do
	rpc '[{"jsonrpc":"2.0","id":1,"method":"getsupply"},
	      {"jsonrpc":"2.0","id":2,"method":"getnetworkstats"},
	      {"jsonrpc":"2.0","id":3,"method":"getstatus"}]' >"$D/batch"
	scrape
	jq '.[] | select(.id == 1) | .result' "$D/batch" >"$D/supply"
	jq '.[] | select(.id == 2) | .result' "$D/batch" >"$D/net"
	jq '.[] | select(.id == 3) | .result' "$D/batch" >"$D/status"
	H=$(m ember_consensus_height)
	[ "$(field .height <"$D/supply")" = "$H" ] &&
	[ "$(field .height <"$D/net")" = "$H" ] &&
	[ "$(field .height <"$D/status")" = "$H" ] && break
	[ "$try" -lt 100 ] || fail "no scrape and RPC answers at one height in 100 tries"
done
echo "compared at height $H (try $try)"
lint "$D/m"
s() { field ".$1" <"$D/supply"; }
same "supply" "$(m ember_token_supply_base_units)" "$(s total)"
same "circulating" "$(m ember_token_circulating_base_units)" "$(s circulating)"
same "genesis" "$(m ember_token_genesis_base_units)" "$(s genesis)"
same "minted" "$(m ember_token_minted_base_units_total)" "$(s minted)"
same "burned" "$(m ember_token_burned_base_units_total)" "$(s burned)"
same "staked" "$(m ember_token_staked_base_units)" "$(s staked)"
same "unbonding" "$(m ember_token_unbonding_base_units)" "$(s unbonding)"
same "escrow" "$(m ember_token_escrow_base_units)" "$(s escrow)"
same "rewards" "$(m ember_token_rewards_base_units)" "$(s rewards)"
same "emission next" "$(m ember_token_emission_next_base_units)" "$(s emission_next)"
same "epoch" "$(m ember_token_epoch)" "$(s epoch)"
same "minted this epoch" "$(m ember_token_epoch_minted_base_units)" "$(s current_epoch.minted)"
same "burned this epoch" "$(m ember_token_epoch_burned_base_units)" "$(s current_epoch.burned)"
[ "$(s burned)" != 0 ] && [ "$(s staked)" != 0 ] && [ "$(s unbonding)" != 0 ] &&
	[ "$(s escrow)" != 0 ] || fail "the market left a figure at zero: $(cat "$D/supply")"
for c in $(jq -r '.classes[].name' "$D/net"); do
	q() { jq -r ".classes[] | select(.name == \"$c\") | .$1" "$D/net"; }
	same "GPUs registered, $c" "$(m "ember_market_gpus_registered{class=\"$c\"}")" "$(q gpus)"
	same "GPUs leased, $c" "$(m "ember_market_gpus_leased{class=\"$c\"}")" "$(q gpus_leased)"
	same "providers, $c" "$(m "ember_market_providers{class=\"$c\"}")" "$(q providers)"
done
n() { field ".totals.$1" <"$D/net"; }
same "providers jailed" "$(m ember_market_providers_jailed)" "$(n providers_jailed)"
same "providers retired" "$(m ember_market_providers_retired)" "$(n providers_retired)"
same "open orders" "$(m ember_market_orders_open)" "$(n open_orders)"
same "open leases" "$(m ember_market_leases_open)" "$(n open_leases)"
same "GPUs leased, test-256" "$(m 'ember_market_gpus_leased{class="test-256"}')" 1
same "providers retired" "$(m ember_market_providers_retired)" 1
same "orders placed" "$(m ember_market_orders_created_total)" 1
same "leases opened" "$(m ember_market_leases_created_total)" 1
same "dev0's GPUs" "$(m 'ember_market_gpus_registered{class="h100-80g"}')" \
	"$(call getprovider "[\"$A0\"]" | field .gpus)"
same "height" "$(m ember_height)" "$(field .height <"$D/status")"
# The node started at genesis: every block since is one it committed,
# and each went through the histograms.
same "blocks committed" "$(m ember_blocks_committed_total)" "$H"
B=$(m ember_blocks_committed_total)
[ "$(m ember_block_execute_seconds_count)" = "$B" ] && [ "$(m ember_block_commit_seconds_count)" = "$B" ] ||
	fail "block histograms count $(m ember_block_execute_seconds_count) and" \
	     "$(m ember_block_commit_seconds_count) blocks of $B committed: is" \
	     "rpc_node_block_committed() called at every commit (node/node.c)?"
same "block intervals" "$(m ember_consensus_block_interval_seconds_count)" "$B"
same "validators" "$(m ember_consensus_validators)" "$(jq '.validators | length' "$G")"
same "voting power" "$(m ember_consensus_validators_power)" "$(jq '[.validators[].power] | add' "$G")"

echo "-- challenges and slashes: the closed epochs' records"
EC=$(m ember_token_epoch)
P=0 F=0 MI=0 SL=0 SU=0 e=0
while [ "$e" -lt "$EC" ]; do
	call listchallenges "[$e]" >"$D/ch"
	P=$((P + $(field .counts.passed <"$D/ch")))
	F=$((F + $(field .counts.failed <"$D/ch")))
	MI=$((MI + $(field .counts.missing <"$D/ch")))
	call getsupply "[$e]" >"$D/ep"
	SL=$((SL + $(field .requested_epoch.providers_failed <"$D/ep")))
	SU=$((SU + $(field .requested_epoch.slashed <"$D/ep")))
	e=$((e + 1))
done
same "challenges passed" "$(m 'ember_market_challenges_total{result="passed"}')" "$P"
same "challenges failed" "$(m 'ember_market_challenges_total{result="failed"}')" "$F"
same "challenges missing" "$(m 'ember_market_challenges_total{result="missing"}')" "$MI"
same "slashes" "$(m ember_market_slashes_total)" "$SL"
same "slashed" "$(m ember_token_slashed_base_units_total)" "$SU"
same "epochs closed" "$(m ember_token_epochs_closed_total)" "$EC"
[ "$SU" -gt 0 ] || fail "dev0 was not slashed"
echo "epochs 0..$((EC - 1)): $P passed, $F failed, $MI missing, $SL slashes, $SU units slashed"

echo "-- RPC latency by method"
scrape "$D/m1"
C0=$(m 'ember_rpc_request_seconds_count{method="getsupply"}' "$D/m1")
for i in 1 2 3 4 5; do call getsupply >/dev/null; done
scrape "$D/m2"
lint "$D/m2"
same "getsupply calls timed" "$(m 'ember_rpc_request_seconds_count{method="getsupply"}' "$D/m2")" \
	$((C0 + 5))

echo "-- P2P: a full node syncs from the validator"
VP=$(p2p_port "$D/node.log")
start_full f --peer "127.0.0.1:$VP"
wait_hgt f "$(height)"
peer_in() { scrape "$D/w"; [ "$(m 'ember_p2p_peers{direction="inbound"}' "$D/w")" = 1 ]; }
wait_for "the full node as the validator's inbound peer" peer_in
curl -sf -o "$D/fm" "$(cat "$D/f.rpc")metrics" || fail "GET /metrics on the full node"
lint "$D/fm"
rpc_at f '{"jsonrpc":"2.0","id":1,"method":"getpeers","params":[]}' | field .result >"$D/fpeers"
VID=$(jq -r '.[0].id' "$D/fpeers")
same "full node's outbound peers" "$(m 'ember_p2p_peers{direction="outbound"}' "$D/fm")" 1
same "full node's inbound peers" "$(m 'ember_p2p_peers{direction="inbound"}' "$D/fm")" 0
[ "$(m "ember_p2p_peer_receive_bytes_total{peer_id=\"$VID\"}" "$D/fm")" -gt 0 ] &&
[ "$(m "ember_p2p_peer_send_bytes_total{peer_id=\"$VID\"}" "$D/fm")" -gt 0 ] ||
	fail "full node: no bytes counted for peer $VID"
same "full node's voting power" "$(m ember_consensus_validator_power "$D/fm")" 0
# Its blocks came from a peer: each one went through the histograms too.
FB=$(m ember_blocks_committed_total "$D/fm")
same "full node's blocks committed" "$FB" "$(m ember_height "$D/fm")"
same "full node's block histogram" "$(m ember_block_execute_seconds_count "$D/fm")" "$FB"

kill -0 "$PID" || fail "node died"
echo "metrics: all checks passed"
