# node.sh - what the integration scripts share, sourced by each of them
# (tests/run.sh runs tests/integration/*.sh only, so this is no test):
#
#   it_setup NAME        a fresh work directory $D (/tmp/ember-NAME-XXXXXX),
#                        removed on exit together with the node ($PID), a
#                        background job the script keeps in $LOAD, more
#                        processes in $PIDS, and a mount point in $MNT
#   start_node [ARGS]    emberd --dev on a free port of 127.0.0.1 with its
#                        data in $D/data and its output in $D/node.log, plus
#                        ARGS; sets PORT, RPC and PID once it answers
#   fail MSG             print MSG and the node log's tail, exit 1
#   cli ARGS             ember-cli against the node
#   rpc JSON             a raw JSON-RPC request to the node
#   field FILTER         jq -r FILTER on stdin
#   check FILTER         stdin must be JSON for which FILTER is true
#   balance ADDRESS      an account's balance in base units
#   height               the node's tip height
#   wait_height H        wait (30 s at most) until the tip reaches H
#   num X                X if it is a whole number, else 0
#
# The scripts run with "set -eu" and BIN naming the binaries' directory.

cleanup() {
	[ -n "${LOAD:-}" ] && kill "$LOAD" 2>/dev/null || true
	for p in ${PID:-} ${PIDS:-}; do kill -9 "$p" 2>/dev/null || true; done
	# reaped before the unmount, which a live process would make busy
	for p in ${PID:-} ${PIDS:-}; do wait "$p" 2>/dev/null || true; done
	[ -n "${MNT:-}" ] && umount "$MNT" 2>/dev/null || true
	rm -rf "$D"
}

it_setup() {
	D=$(mktemp -d "/tmp/ember-$1-XXXXXX")
	PID=""
	LOAD=""
	PIDS=""
	MNT=""
	trap cleanup EXIT INT TERM
}

fail() { echo "FAIL: $*" >&2; [ -f "$D/node.log" ] && tail -20 "$D/node.log" >&2; exit 1; }

start_node() {
	for try in 1 2 3 4 5; do
		PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
		RPC="http://127.0.0.1:$PORT/"
		"$BIN/emberd" --dev --datadir "$D/data" --rpc-listen "127.0.0.1:$PORT" \
			--p2p-listen 127.0.0.1:0 --block-time-ms 200 "$@" >>"$D/node.log" 2>&1 &
		PID=$!
		for i in $(seq 1 100); do
			if "$BIN/ember-cli" --rpc "$RPC" status >/dev/null 2>&1; then return 0; fi
			kill -0 "$PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	done
	fail "node did not start"
}

cli() { "$BIN/ember-cli" --rpc "$RPC" "$@"; }
rpc() { curl -s -X POST -H 'content-type: application/json' --data "$1" "$RPC"; }
field() { jq -r "$1"; }
# jq 1.6 exits 0 on empty input, which would make a check vacuous: hence
# the test for non-empty input first.
check() { _in=$(cat); [ -n "$_in" ] && printf '%s' "$_in" | jq -e "$1" >/dev/null; }
balance() { cli balance --json "$1" | field .balance; }
height() { cli status | field .height; }
# num X: X if it is a whole number, else 0 (a node not answering yet).
num() { case "$1" in ''|*[!0-9]*) echo 0 ;; *) echo "$1" ;; esac; }
wait_height() {
	for i in $(seq 1 300); do
		[ "$(num "$(height 2>/dev/null)")" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "chain did not reach height $1"
}
