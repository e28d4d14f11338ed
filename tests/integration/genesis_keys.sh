#!/bin/sh
# Integration: what a genesis and a key file must be before emberd runs,
# on real emberd --dev nodes on 127.0.0.1.
#  1. two devnets get two chain ids, "ember-devnet-" and 8 random hex
#     digits; a transfer signed for the first is refused by the second as
#     a tx for another chain.
#  2. a genesis past the horizon rule (genesis.h) stops emberd with the
#     field, its value and its range: emission_initial 2^64 - 1 (the chain
#     that halted at its first epoch) and genesis_time_ms 2^63 - 1 (the one
#     RPC showed with negative times).
#  3. a validator key open to group or others stops emberd with the file
#     and the fix, chmod 600; after chmod 600 it starts and makes blocks.
#     ember-cli warns about such a keystore, and still signs with it.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup genesis-keys

# start_node keeps one node in $PID; the first one is kept here, and the
# exit trap stops both.
PID1=""
cleanup_both() {
	[ -n "$PID1" ] && kill -9 "$PID1" 2>/dev/null || true
	cleanup
}
trap cleanup_both EXIT INT TERM
cli1() { "$BIN/ember-cli" --rpc "$RPC1" "$@"; }
stop_node() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }
# refused_start NAME: emberd on $D/data2 must exit non-zero (bounded by
# timeout, so a node that starts after all fails instead of hanging);
# its output goes to $D/NAME.log.
refused_start() {
	_st=0
	timeout 30 "$BIN/emberd" --dev --datadir "$D/data2" \
		--rpc-listen "127.0.0.1:$PORT" --block-time-ms 200 \
		>"$D/$1.log" 2>&1 || _st=$?
	[ "$_st" = 124 ] && fail "$1: emberd started and ran: $(tail -3 "$D/$1.log")"
	[ "$_st" != 0 ] || fail "$1: emberd exited 0: $(cat "$D/$1.log")"
}
# has NAME TEXT: $D/NAME.log says TEXT (fixed string).
has() {
	grep -qF -- "$2" "$D/$1.log" || fail "$1: no \"$2\" in: $(cat "$D/$1.log")"
}

echo "-- two devnets, two chain ids"
export EMBER_PASSPHRASE=""
start_node --quiet
PID1=$PID RPC1=$RPC PID=""
start_node --quiet --datadir "$D/data2"
C1=$(cli1 status | field .chain_id)
C2=$(cli status | field .chain_id)
for c in "$C1" "$C2"; do
	echo "$c" | grep -Eq '^ember-devnet-[0-9a-f]{8}$' ||
		fail "devnet chain id '$c' is not ember-devnet-<8 hex>"
	grep -qF "created devnet '$c'" "$D/node.log" || fail "no log line for '$c'"
done
[ "$C1" != "$C2" ] || fail "two devnets share the chain id '$C1'"
echo "chain ids: $C1 $C2"

K1="$D/data/dev-keys"
A1=$(cli address "$K1/dev1.json")
out=$(cli1 send "$A1" 1 --from "$K1/dev0.json" --wait) || fail "send on $C1"
TXID=$(echo "$out" | awk '/committed in block/ {print $2}')
[ -n "$TXID" ] || fail "send on $C1 printed '$out'"
HEX=$(cli1 tx "$TXID" | field .hex)
rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sendtx\",\"params\":[\"$HEX\"]}" >"$D/replay.json"
check ".error.message == \"tx is for chain '$C1'; this node runs '$C2'\"" <"$D/replay.json" ||
	fail "replay on $C2: $(cat "$D/replay.json")"
rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"gettx\",\"params\":[\"$TXID\"]}" |
	check '.error != null' || fail "$C2 knows tx $TXID"
echo "refused as expected: $(field .error.message <"$D/replay.json")"

echo "-- ember-cli warns about an open keystore, and signs"
chmod 0644 "$K1/dev2.json"
cli1 send "$A1" 1 --from "$K1/dev2.json" >/dev/null 2>"$D/warn.log" ||
	fail "send from an open keystore: $(cat "$D/warn.log")"
has warn "ember-cli: warning: permissions 0644 for '$K1/dev2.json' are too open"
has warn "run 'chmod 600 $K1/dev2.json'"
chmod 0600 "$K1/dev2.json"
cli1 send "$A1" 1 --from "$K1/dev2.json" >/dev/null 2>"$D/nowarn.log" ||
	fail "send from dev2: $(cat "$D/nowarn.log")"
[ ! -s "$D/nowarn.log" ] || fail "warning after chmod 600: $(cat "$D/nowarn.log")"
echo "warned as expected: $(head -1 "$D/warn.log")"

echo "-- a genesis past the horizon does not start"
stop_node
G="$D/data2/genesis.json"
cp "$G" "$D/genesis.good"
sed 's/"emission_initial": "[0-9]*"/"emission_initial": "18446744073709551615"/' \
	"$D/genesis.good" >"$G"
refused_start emission
has emission "genesis: params: field \"emission_initial\" is 18446744073709551615; allowed 0.."
has emission "(supply plus 100 years of emission must fit in 64 bits)"
sed 's/"genesis_time_ms": [0-9]*/"genesis_time_ms": 9223372036854775807/' \
	"$D/genesis.good" >"$G"
refused_start gtime
has gtime "genesis: field \"genesis_time_ms\" is 9223372036854775807; allowed 1577836800000..7258118400000"
cp "$D/genesis.good" "$G"
echo "refused as expected: $(grep -o 'genesis: .*' "$D/emission.log" | head -1)"

echo "-- a validator key open to others does not start"
VK="$D/data2/validator_key.json"
chmod 0644 "$VK"
refused_start vkey
has vkey "permissions 0644 for '$VK' are too open"
has vkey "run 'chmod 600 $VK'"
echo "refused as expected: $(grep -o 'permissions .*' "$D/vkey.log" | head -1)"
chmod 0600 "$VK"
start_node --quiet --datadir "$D/data2"
[ "$(cli status | field .chain_id)" = "$C2" ] || fail "node 2 came back on another chain"
H0=$(cli status | field .height)
for i in $(seq 1 100); do
	[ "$(cli status | field .height)" -gt "$H0" ] && break
	sleep 0.1
done
[ "$(cli status | field .height)" -gt "$H0" ] || fail "no block after chmod 600"
echo "genesis_keys: all checks passed"
