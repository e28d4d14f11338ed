#!/bin/sh
# Integration: four validators (emberd testnet) under faults, every link
# between two of them through a TCP proxy the test can cut
# (lib/netproxy.py: no root needed).
#  1. partition 2|2 (validators 0,1 | 2,3): neither side holds +2/3, so
#     nothing is finalized and nothing forks; healed, blocks are final
#     again within 10 s and all four hold the same chain;
#  1b. validators 2 and 3 frozen (SIGSTOP), validator 0 killed -9 in the
#     height that stalls: it resumes that height from its consensus WAL,
#     no earlier in it than it was; thawed, all go on with one chain;
#  2. 20 rounds, each a transfer committed, then kill -9 of a random
#     validator at a random moment and its restart: no fork (every node
#     holds the same block at every height), no SAFETY FAILURE, every
#     committed transfer is still committed on all four, and no validator
#     ever signed two different votes or proposals for one (height, round,
#     type): every signed message that left a validator is in its own
#     consensus WAL (logged and fsynced before it is sent) and the ones it
#     received are in the others', so lib/votecheck.py reads them all
#     (`emberd inspect-wal`).
# Every wait polls a condition with a bound; nothing sleeps and hopes.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
. "$(dirname "$0")/lib/p2pnet.sh"
it_setup bftfaults

# 8 ports for the nodes (RPC, P2P) and 16 for the proxies, all free now.
BASE=$(free_base 24)
[ -n "$BASE" ] || fail "no free ports"
PX=$((BASE + 8))       # proxy for the link i -> j: PX + 4 i + j
"$BIN/emberd" testnet --validators 4 --out "$D/tn" --base-port "$BASE" \
	--block-time-ms 200 >"$D/testnet.log" 2>&1 || fail "testnet: $(cat "$D/testnet.log")"
MAP=""
for i in 0 1 2 3; do
	conf="$D/tn/node$i/ember.conf"
	grep -v '^peer=' "$conf" >"$conf.new"
	for j in 0 1 2 3; do
		[ "$i" = "$j" ] && continue
		echo "peer=127.0.0.1:$((PX + 4 * i + j))" >>"$conf.new"
		MAP="$MAP $((PX + 4 * i + j)):$((BASE + 2 * j + 1))"
	done
	mv "$conf.new" "$conf"
	echo "http://127.0.0.1:$((BASE + 2 * i))/" >"$D/v$i.rpc"
done
mkdir -p "$D/ctl"
python3 "$(dirname "$0")/lib/netproxy.py" "$D/ctl" $MAP >"$D/proxy.log" 2>&1 &
PIDS="$PIDS $!"
for i in $(seq 1 100); do [ -f "$D/ctl/ready" ] && break; sleep 0.1; done
[ -f "$D/ctl/ready" ] || fail "proxy did not start: $(cat "$D/proxy.log")"

same_chain() {      # same_chain H: all four hold the same block at 1..H
	for h in $(seq 1 "$1"); do
		want=$(block_hash v0 "$h")
		for i in 1 2 3; do
			[ "$(block_hash v$i "$h")" = "$want" ] || fail "fork: validator $i, height $h"
		done
	done
}
for i in 0 1 2 3; do start_v $i; done
for i in 0 1 2 3; do wait_hgt v$i 5 60; done

echo "-- partition 0,1 | 2,3"
for i in 0 1; do for j in 2 3; do
	touch "$D/ctl/cut-$((PX + 4 * i + j))" "$D/ctl/cut-$((PX + 4 * j + i))"
done; done
# Once no validator moves for 2 s (10 block times), that is the halt.
prev=""
for k in $(seq 1 200); do
	now="$(hgt v0) $(hgt v1) $(hgt v2) $(hgt v3)"
	[ "$now" = "$prev" ] && stable=$((stable + 1)) || stable=0
	[ "${stable:-0}" -ge 10 ] && break
	prev=$now
	sleep 0.2
done
[ "${stable:-0}" -ge 10 ] || fail "the partitioned network kept finalizing: $now"
HALT=$(for i in 0 1 2 3; do hgt v$i; done | sort -n | tail -1)
echo "halted (heights $now)"
rm -f "$D"/ctl/cut-*
T0=$(date +%s)
for i in 0 1 2 3; do wait_hgt v$i $((HALT + 3)) 10; done
echo "healed: blocks final again within $(( $(date +%s) - T0 )) s"
same_chain "$((HALT + 3))"

echo "-- 2 and 3 frozen; 0 killed in the stalled height, resumed from its WAL"
# SIGSTOP keeps their connections open (a closed one would be redialled
# at the address it announced, around the proxies), so 0 and 1 stall in
# the next height: each has proposed or prevoted there, neither sees +2/3
# of anything, so both wait in round 0's prevote step.  Killed there,
# validator 0 resumes the height from its consensus WAL, and the log line
# says where replay left it: no earlier than where it was (started afresh
# it would be back at round 0's propose step, waiting for a proposal).
kill -STOP "$(cat "$D/v2.pid")" "$(cat "$D/v3.pid")"
cstate() {
	rpc_at "$1" '{"jsonrpc":"2.0","id":1,"method":"getvalidators","params":[]}' |
		jq -r '"\(.result.consensus.height // -1) \(.result.consensus.round // -1) \(.result.consensus.step // "?")"'
}
for k in $(seq 1 100); do
	set -- $(cstate v0)
	[ "$3" = prevote ] && [ "$(hgt v0)" = "$(hgt v1)" ] && [ "$1" = "$(( $(hgt v0) + 1 ))" ] && break
	sleep 0.1
done
[ "$3" = prevote ] || fail "validator 0 is not waiting in a prevote step: $*"
STALL=$1
R0=$2
kill -9 "$(cat "$D/v0.pid")"
wait "$(cat "$D/v0.pid")" 2>/dev/null || true
start_v 0
RES="height $STALL resumed from the consensus WAL"
for k in $(seq 1 300); do
	grep -q "$RES" "$D/v0.log" && break
	sleep 0.1
done
LINE=$(grep "$RES" "$D/v0.log" | tail -1)
[ -n "$LINE" ] || fail "validator 0 did not resume height $STALL from its WAL: $(tail -5 "$D/v0.log")"
R1=$(printf '%s' "$LINE" | sed -n 's/.*now round \([0-9]*\) step \([0-9]*\).*/\1/p')
S1=$(printf '%s' "$LINE" | sed -n 's/.*now round \([0-9]*\) step \([0-9]*\).*/\2/p')
[ -n "$R1" ] && [ "$R1" -ge "$R0" ] && [ "$S1" -ge 1 ] ||
	fail "validator 0 resumed in round ${R1:-?} step ${S1:-?}, behind round $R0's prevote step: $LINE"
echo "validator 0 killed in round $R0 (prevote) of height $STALL, resumed in round $R1 step $S1"
kill -CONT "$(cat "$D/v2.pid")" "$(cat "$D/v3.pid")"
for i in 0 1 2 3; do wait_hgt v$i $((STALL + 2)) 30; done
same_chain "$((STALL + 2))"

echo "-- 20 rounds of kill -9 under transfers"
export EMBER_PASSPHRASE=""
K="$D/tn/dev-keys"
TO=$("$BIN/ember-cli" address "$K/dev1.json")
SENT=0
for round in $(seq 1 20); do
	# a transfer committed before each kill must stay committed
	OUT=$(at v$((round % 2)) send "$TO" 1 --from "$K/dev$((2 * (round % 2))).json" \
		--wait --timeout 60) || fail "transfer in round $round: $OUT"
	TXID=$(printf '%s' "$OUT" | sed -n 's/.*txid \([0-9a-f]*\).*/\1/p')
	[ -n "$TXID" ] && echo "$TXID" >>"$D/txids"
	SENT=$((SENT + 1))
	victim=$(( $(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 4 ))
	# a random moment within the next block time
	python3 -c "import random, time; time.sleep(random.random() * 0.2)"
	kill -9 "$(cat "$D/v$victim.pid")" 2>/dev/null || true
	wait "$(cat "$D/v$victim.pid")" 2>/dev/null || true
	start_v "$victim"
	H=$(hgt v$(( (victim + 1) % 4 )))
	for i in 0 1 2 3; do wait_hgt v$i $((H + 1)) 60; done
done
H=$(for i in 0 1 2 3; do hgt v$i; done | sort -n | head -1)
same_chain "$H"
grep -q "SAFETY FAILURE" "$D"/v*.log && fail "a safety failure was logged"
[ "$(wc -l <"$D/txids")" -eq 20 ] || fail "not every transfer printed its txid"
while read -r txid; do
	for i in 0 1 2 3; do
		st=$(rpc_at v$i "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"gettx\",\"params\":[\"$txid\"]}" |
			jq -r .result.status)
		[ "$st" = committed ] || fail "tx $txid is '$st' on validator $i"
	done
done <"$D/txids"
echo "no fork over $H blocks; $SENT transfers committed and kept"

# The checker finds a double sign when there is one ...
printf '%s\n' \
	'{"kind":"vote","own":true,"height":7,"type":"prevote","nil":false,"round":1,"value":"aa","validator":2}' \
	'{"kind":"vote","own":false,"height":7,"type":"prevote","nil":true,"round":1,"value":null,"validator":2}' |
	python3 "$(dirname "$0")/lib/votecheck.py" >"$D/vc-self.txt" &&
	fail "votecheck.py missed a double sign: $(cat "$D/vc-self.txt")"
grep -q "double sign: vote prevote by validator 2 at height 7 round 1" "$D/vc-self.txt" ||
	fail "votecheck.py: $(cat "$D/vc-self.txt")"
# ... and none in what the four validators signed and received.
for i in 0 1 2 3; do
	for f in "$D/tn/node$i/cons.wal.1" "$D/tn/node$i/cons.wal"; do
		[ -f "$f" ] || continue
		"$BIN/emberd" inspect-wal "$f" >>"$D/votes.jsonl" 2>>"$D/inspect.err" ||
			fail "inspect-wal $f: $(cat "$D/inspect.err")"
	done
done
OWN=$(grep -c '"own":true' "$D/votes.jsonl" || true)
[ "${OWN:-0}" -gt 100 ] || fail "the WALs hold only ${OWN:-0} signed messages of the validators' own"
python3 "$(dirname "$0")/lib/votecheck.py" <"$D/votes.jsonl" >"$D/vc.txt" ||
	fail "$(cat "$D/vc.txt")"
echo "$(cat "$D/vc.txt") (WALs of all four)"
echo "heights resumed from a WAL after a kill: $(grep -h -c 'resumed from the consensus WAL' "$D"/v*.log | awk '{s += $1} END {print s + 0}')"
echo "bft_faults: ok"
