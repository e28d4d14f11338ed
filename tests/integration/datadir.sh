#!/bin/sh
# Integration: the data directory under an operator's mistakes and a full
# disk.  Each fault gets a clear refusal; nothing committed is lost.
#  1. a second emberd on the same data directory is refused, even with
#     the old LOCK file deleted; the first keeps producing;
#  2. kill -9, then a restart carries on from the same tip;
#  3. a ledger file truncated to half, or to nothing, is refused with a
#     message (no SIGBUS, no silent new chain);
#  4. the ledger folder deleted while genesis and validator key stay: the
#     signing guard refuses to start a chain its key already signed past;
#  5. with the original ledger back, the node runs on from where it was;
#  5b. the write-ahead log (ledger/ledger.wal, holding the commits since
#     the last flush into LMDB) damaged in a record that is not its last:
#     refused, naming the byte; with the log intact, the node replays it
#     and runs on from the same tip;
#  6. disk full (a small tmpfs, when this runs as root): said once in the
#     log, txs refused with "disk full", and production resumes by itself
#     once space is freed.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup datadir
stop_hard() { kill -9 "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }
# refused_start PATTERN: emberd on $D/data must exit by itself (not by a
# signal, not after running on) with PATTERN in its output.
refused_start() {
	rc=0
	timeout 30 "$BIN/emberd" --datadir "$D/data" --rpc-listen 127.0.0.1:0 \
		>"$D/refused.log" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || fail "emberd started: $(tail -3 "$D/refused.log")"
	[ "$rc" -lt 124 ] || fail "emberd ended with status $rc (a signal or a hang): $(tail -3 "$D/refused.log")"
	grep -q -- "$1" "$D/refused.log" || fail "no '$1' in: $(cat "$D/refused.log")"
	echo "refused as expected: $(grep -- "$1" "$D/refused.log" | head -1 | cut -c1-200)"
}

start_node --quiet
wait_height 3

echo "-- a second node on the same data directory"
rm -f "$D/data/LOCK"
refused_start "in use by another emberd"
H=$(height)
wait_height $((H + 2))

echo "-- kill -9 and restart"
S=$(cli status); H=$(echo "$S" | field .height); TIP=$(echo "$S" | field .tip_hash)
stop_hard
start_node --quiet
got=$(rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblock\",\"params\":[$H]}" | field .result.hash)
[ "$got" = "$TIP" ] || fail "block $H changed across kill -9: $got, was $TIP"
wait_height $((H + 2))
H=$(height)
stop_hard
cp -a "$D/data/ledger" "$D/ledger.orig"
SIZE=$(stat -c %s "$D/data/ledger/data.mdb")

echo "-- ledger truncated to half"
truncate -s $((SIZE / 2)) "$D/data/ledger/data.mdb"
refused_start "truncated"
echo "-- ledger truncated to nothing"
truncate -s 0 "$D/data/ledger/data.mdb"
refused_start "is empty"
echo "-- ledger folder deleted"
rm -rf "$D/data/ledger"
refused_start "already signed block"

echo "-- the ledger restored: the node runs on"
rm -rf "$D/data/ledger"
cp -a "$D/ledger.orig" "$D/data/ledger"
start_node --quiet
wait_height $((H + 2))
S=$(cli status); H=$(echo "$S" | field .height); TIP=$(echo "$S" | field .tip_hash)
wait_height $((H + 2))
stop_hard

echo "-- the write-ahead log damaged"
W="$D/data/ledger/ledger.wal"
WSIZE=$(stat -c %s "$W")
# The first record's length from its header (magic, le32 payload_len):
# the damage must be in a record with another after it, or it would be
# a torn tail, which a crash during an append leaves and open cuts off.
PLEN=$(od -An -t u4 -j 4 -N 4 "$W" | tr -d ' ')
[ "$WSIZE" -gt $((20 + PLEN + 32)) ] ||
	fail "the log holds one record or none ($WSIZE bytes): the kill came right after a flush"
cp -a "$D/data/ledger" "$D/ledger.wal-ok"
printf '\377' | dd of="$W" bs=1 seek=24 count=1 conv=notrunc 2>/dev/null
refused_start "hash mismatch in the record at byte 0"
rm -rf "$D/data/ledger"
cp -a "$D/ledger.wal-ok" "$D/data/ledger"
L0=$(wc -l <"$D/node.log")
start_node --quiet
tail -n +$((L0 + 1)) "$D/node.log" | grep -q "replayed .* commits" ||
	fail "no replay of the log in: $(tail -n +$((L0 + 1)) "$D/node.log" | head -5)"
got=$(rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblock\",\"params\":[$H]}" | field .result.hash)
[ "$got" = "$TIP" ] || fail "block $H changed across the replay: $got, was $TIP"
wait_height $((H + 3))
stop_hard

echo "-- disk full"
mkdir -p "$D/full"
if ! mount -t tmpfs -o size=6m tmpfs "$D/full" 2>/dev/null; then
	echo "disk-full part skipped: cannot mount a tmpfs here (not root)"
	echo "datadir: ok"
	exit 0
fi
MNT="$D/full"
mv "$D/data" "$D/data.1"
mkdir "$D/full/data"
ln -s "$D/full/data" "$D/data"
start_node --quiet
K="$D/data/dev-keys"
export EMBER_PASSPHRASE=""
A1=$(cli address "$K/dev1.json")
wait_height 2
dd if=/dev/zero of="$D/full/filler" bs=64k 2>/dev/null || true
full=0
for i in $(seq 1 300); do
	if grep -q "disk full: " "$D/node.log"; then full=1; break; fi
	cli send "$A1" 0.001 --from "$K/dev0.json" >/dev/null 2>&1 || true
	sleep 0.1
done
[ "$full" -eq 1 ] || fail "the node never saw the disk fill"
kill -0 "$PID" 2>/dev/null || fail "node died on a full disk"
if cli send "$A1" 0.001 --from "$K/dev0.json" >"$D/out" 2>"$D/err"; then
	fail "a tx was accepted on a full disk"
fi
grep -qi "disk full" "$D/err" || fail "refusal does not say disk full: $(cat "$D/err")"
echo "refused as expected: $(cat "$D/err")"
n=$(grep -c "disk full: " "$D/node.log")
[ "$n" -eq 1 ] || fail "disk full logged $n times"
rm -f "$D/full/filler"
for i in $(seq 1 300); do
	grep -q "disk space is back" "$D/node.log" && break
	sleep 0.1
done
grep -q "disk space is back" "$D/node.log" || fail "production did not resume"
out=$(cli send "$A1" 0.001 --from "$K/dev0.json" --wait) || fail "send after space came back: $out"
echo "after space came back: $out"
echo "datadir: ok"
