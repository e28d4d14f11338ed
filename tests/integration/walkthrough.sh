#!/bin/sh
# Integration: the README's provider walkthrough works as written.
#
# The commands are the README's own: every fenced block whose info string
# is "sh walkthrough" ("```sh walkthrough"), in order, concatenated into
# one shell script, so the README and this test cannot drift apart.  A
# block tagged "sh walkthrough after-first-challenge" runs once the epoch
# boundary that judges the provider's first challenge has been committed
# (the README tells a reader to wait for that block; this script waits for
# it, bounded).
#
# What stands in for the README's setup: `make run` (emberd --dev with its
# data in ./data, 1 s blocks) is replaced by emberd --dev on a free port
# of 127.0.0.1 with its data in $D/data and WALK_BLOCK_MS blocks (set from
# the prover's measured speed, below), and the commands run in $D with
# bin/ a link to $BIN and
# EMBER_RPC naming the node (ember-cli and ember-prover both read it).
# Nothing in the commands is rewritten.  At 500 ms blocks the challenge
# deadline (20 blocks) is 10 s for a proof the CPU prover makes in ~1 s.
#
# Then: the provider's first challenge passed, it was paid (rewards
# credited and claimed), it was neither slashed nor jailed, the epoch
# record says so, and the node logged every boundary with its events
# (node/node.c, log_epoch).  About 65 s.
set -eu
BIN=${BIN:-bin}
README=${README:-$(dirname "$0")/../../README.md}
. "$(dirname "$0")/lib/node.sh"
it_setup walkthrough
# The block time is not a guess about this machine: the prover's own
# selftest times the h100 class (N = 4096) here (the slower of its one-
# and all-thread runs), and blocks are slow enough that the 20-block
# deadline is at least 8 times that (500 ms at least; the 2-core CI
# machine's ~1.6 s gives 641 ms).
if [ -z "${WALK_BLOCK_MS:-}" ]; then
	"$BIN/ember-prover" selftest --n 4096 >"$D/selftest.log" 2>&1 ||
		fail "ember-prover selftest: $(tail -3 "$D/selftest.log")"
	WALK_BLOCK_MS=$(awk '/^cpu \(/ { for (i = 2; i <= NF; i++) if ($(i - 1) == "bytes" && $i > t) t = $i }
		END { ms = int(t * 400) + 1; print (ms > 500 ? ms : 500) }' "$D/selftest.log")
	echo "walkthrough: a proof takes $(awk '/^cpu \(/ { for (i = 2; i <= NF; i++) if ($(i - 1) == "bytes" && $i > t) t = $i } END { print t }' "$D/selftest.log") s here: $WALK_BLOCK_MS ms blocks"
fi

# The walkthrough's shell runs in a session of its own (setsid), so the
# prover it starts in the background is ended with its process group,
# whose id is that shell's pid (it writes it to walk.pgid).
WALK_PGID=""
walk_cleanup() {
	[ -n "$WALK_PGID" ] && kill -TERM "-$WALK_PGID" 2>/dev/null || true
	cleanup
}
trap walk_cleanup EXIT INT TERM

# --- extract ----------------------------------------------------------------
# Each block becomes: its tag's wait (if any), then its lines verbatim.
awk '
	/^```sh walkthrough( |$)/ {
		inb = 1; n++
		tag = $0; sub(/^```sh walkthrough */, "", tag)
		printf "\n# --- README walkthrough block %d%s\n", n, tag == "" ? "" : " (" tag ")"
		if (tag == "after-first-challenge") print "walk_wait_first_challenge"
		else if (tag != "") { print "unknown walkthrough tag: " tag > "/dev/stderr"; exit 2 }
		next
	}
	inb && /^```[ \t]*$/ { inb = 0; next }
	inb { print }
	END { if (inb) { print "unterminated walkthrough block" > "/dev/stderr"; exit 2 } }
' "$README" >"$D/blocks.sh" || fail "cannot extract the walkthrough from $README"
NBLOCKS=$(grep -c '^# --- README walkthrough block' "$D/blocks.sh" || true)
[ "$NBLOCKS" -ge 3 ] || fail "README has $NBLOCKS walkthrough blocks, expected at least 3"
grep -q '^walk_wait_first_challenge$' "$D/blocks.sh" ||
	fail "no 'sh walkthrough after-first-challenge' block in the README"
grep -q 'ember-prover' "$D/blocks.sh" || fail "the walkthrough does not start ember-prover"
echo "walkthrough: $NBLOCKS blocks from $README"

# --- the node ---------------------------------------------------------------
start_node --block-time-ms "$WALK_BLOCK_MS"
ln -s "$(cd "$BIN" && pwd)" "$D/bin"
EB=$(cli params --json | field .epoch_blocks)
DEADLINE=$(cli params --json | field .params.challenge_deadline_blocks)
cli params --json | check '.params.challenges_enabled == true' ||
	fail "the devnet has challenges off; the walkthrough is about them"
P_ADDR=$(cli address "$D/data/dev-keys/dev1.json")

# --- the walkthrough --------------------------------------------------------
# The prelude gives the tagged block its wait: the first challenged epoch
# is the one after the provider registered (a provider registered by block
# e*EB is challenged in e), judged at the end of its last block.
{
	echo "WALK_D='$D' WALK_EB=$EB WALK_MS=$WALK_BLOCK_MS WALK_ADDR=$P_ADDR"
	echo "export EMBER_RPC='$RPC'"
	cat <<'EOF'
set -eu
echo $$ >"$WALK_D/walk.pgid"
walk_height() {
	_h=$("$WALK_D/bin/ember-cli" status --json 2>/dev/null | jq -r .height 2>/dev/null) || true
	case "$_h" in ''|*[!0-9]*) echo 0 ;; *) echo "$_h" ;; esac
}
walk_wait_first_challenge() {
	set +x
	_reg=$("$WALK_D/bin/ember-cli" provider "$WALK_ADDR" --json | jq -r .registered_height)
	_e1=$(( (_reg + WALK_EB - 1) / WALK_EB ))
	_target=$(( (_e1 + 1) * WALK_EB ))
	echo "walkthrough: provider registered at block $_reg; waiting for block $_target, which judges epoch $_e1" >&2
	echo "$_e1" >"$WALK_D/first_epoch"
	# bounded: twice the blocks to go at the block time, plus 20 s
	_left=$(( _target - $(walk_height) ))
	[ "$_left" -gt 0 ] || _left=0
	_tries=$(( (_left * WALK_MS * 2 / 1000 + 20) * 5 ))
	while [ "$(walk_height)" -lt "$_target" ]; do
		_tries=$((_tries - 1))
		[ "$_tries" -gt 0 ] || { echo "walkthrough: the chain did not reach block $_target" >&2; exit 1; }
		sleep 0.2
	done
	set -x
}
set -x
EOF
} >"$D/walk.sh"
cat "$D/blocks.sh" >>"$D/walk.sh"
T0=$(date +%s)
(cd "$D" && exec setsid -w sh "$D/walk.sh") >"$D/walk.out" 2>&1 &
WPID=$!
for i in $(seq 1 50); do [ -s "$D/walk.pgid" ] && break; sleep 0.1; done
WALK_PGID=$(cat "$D/walk.pgid" 2>/dev/null || true)
if ! wait "$WPID"; then
	cat "$D/walk.out" >&2
	[ -f "$D/prover.log" ] && { echo "-- prover.log" >&2; cat "$D/prover.log" >&2; }
	fail "a walkthrough command failed (above)"
fi
echo "walkthrough: the README's commands ran in $(( $(date +%s) - T0 )) s"
sed 's/^/  | /' "$D/walk.out"

# --- checks -----------------------------------------------------------------
E1=$(cat "$D/first_epoch")
END1=$(( (E1 + 1) * EB ))
wfail() {
	echo "-- prover.log" >&2; cat "$D/prover.log" >&2 || true
	fail "$@"
}
kill -0 "$PID" 2>/dev/null || wfail "the node died"
# The prover the walkthrough started is still answering.
[ -n "$WALK_PGID" ] && kill -0 "-$WALK_PGID" 2>/dev/null ||
	wfail "ember-prover is not running after the walkthrough"
grep -q "epoch $E1: passed in block" "$D/prover.log" ||
	wfail "the prover did not pass epoch $E1's challenge"

C=$(cli challenge "$P_ADDR" --epoch "$E1" --json)
echo "$C" | check '.status == "passed"' || wfail "challenge of epoch $E1: $C"
PH=$(echo "$C" | jq -r '.proof.height // empty')
echo "first challenge: epoch $E1, passed (proof in block ${PH:-?}, deadline $DEADLINE blocks)"

PR=$(cli provider "$P_ADDR" --json)
echo "$PR" | check '.status == "active" and .jailed == false and
	.stake.slashed_total == "0" and (.stake.amount | tonumber) > 0 and
	(.stake.rewards_total | tonumber) > 0 and .uptime.last_1.passed >= 1 and
	.uptime.last_1.passed == .uptime.last_1.known' ||
	wfail "provider after epoch $E1 (want active, not jailed, nothing slashed, paid): $PR"
# The claim moved the rewards to the balance: the provider's balance plus
# stake is above the genesis allocation every dev account got (dev3's
# balance: the walkthrough leaves dev3 alone), by more than its fees.
GEN=$(balance "$(cli address "$D/data/dev-keys/dev3.json")")
HAVE=$(( $(balance "$P_ADDR") + $(echo "$PR" | field .stake.amount) ))
[ "$HAVE" -gt "$GEN" ] ||
	wfail "provider's balance + stake $HAVE is not above the genesis $GEN: the claim paid nothing"
echo "provider: active, not jailed, slashed 0, rewards credited $(echo "$PR" | field .stake.rewards_total) base units, balance + stake $HAVE > genesis $GEN"

S=$(cli supply --epoch "$E1" --json)
echo "$S" | check '.requested_epoch.closed and .requested_epoch.providers_rewarded >= 1 and
	.requested_epoch.providers_failed == 0 and .requested_epoch.providers_jailed == 0 and
	.requested_epoch.challenges_passed >= 1 and .requested_epoch.challenges_failed == 0 and
	.requested_epoch.challenges_missing == 0 and .requested_epoch.slashed == "0" and
	(.requested_epoch.minted | tonumber) > 0' ||
	wfail "epoch $E1's record: $(echo "$S" | jq -c .requested_epoch)"

# emberd logs every boundary with its events (node/node.c, log_epoch).
for e in $(seq 0 "$E1"); do
	grep -q "epoch $e ended at block $(( (e + 1) * EB )): minted " "$D/node.log" ||
		wfail "no line for the end of epoch $e in the node's log"
done
grep "epoch $E1 ended at block $END1:" "$D/node.log" |
	grep -q "1 provider paid; challenges 1 passed, 0 failed, 0 missing; slashed 0 EMB, 0 providers jailed" ||
	wfail "epoch $E1's log line: $(grep "epoch $E1 ended" "$D/node.log")"
grep "epoch $E1 ended" "$D/node.log" | sed 's/^/  | /'

# The lease the walkthrough closed paid the provider and gave the rest back.
cli lease 1 --json | check '.status == "closed" and .close_reason == "tenant_closed" and
	(.paid | tonumber) > 0 and .escrow == "0"' || wfail "lease 1: $(cli lease 1 --json)"
echo "walkthrough: all checks passed in $(( $(date +%s) - T0 )) s"
