# p2pnet.sh - helpers for scripts that run networks of emberd processes,
# sourced after node.sh (it uses $D, $BIN, $PIDS, fail, field, num):
#
#   p2p_port LOG            the port a node said it listens on for peers
#   rpc_port LOG            the RPC port it said it serves on (--rpc-listen HOST:0)
#   start_full NAME ARGS    a full node of the chain in $GENESIS (default
#                           $D/data/genesis.json), data in $D/NAME, log in
#                           $D/NAME.log, RPC URL in $D/NAME.rpc, pid in
#                           $D/NAME.pid (and $PIDS), plus ARGS
#   at NAME ARGS            ember-cli against node NAME
#   hgt NAME                node NAME's tip height
#   rpc_at NAME JSON        a raw JSON-RPC request to node NAME
#   block_hash NAME H       the hash of block H on node NAME
#   block_root NAME H       its state root
#   wait_hgt NAME H [S]     wait (S seconds, default 60) until NAME is at H
#   free_base N             an even port B with B .. B+N-1 all free now

# logged_port LOG WHAT SED: the last port SED finds in LOG, waiting for
# the node to log it (the kernel picks a free one when the node listens
# on port 0: no port is guessed and raced for).
logged_port() {
	for i in $(seq 1 100); do
		p=$(sed -n "$3" "$1" | tail -1)
		[ -n "$p" ] && [ "$p" != 0 ] && { echo "$p"; return 0; }
		sleep 0.1
	done
	fail "no $2 port in $1"
}
rpc_port() { logged_port "$1" RPC 's/.*JSON-RPC on .*(port \([0-9][0-9]*\)).*/\1/p'; }
p2p_port() { logged_port "$1" p2p 's/.*p2p on port \([0-9][0-9]*\).*/\1/p'; }

start_full() {
	name=$1; shift
	for try in 1 2 3 4 5; do
		port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
		"$BIN/emberd" --genesis "${GENESIS:-$D/data/genesis.json}" --datadir "$D/$name" \
			--rpc-listen "127.0.0.1:$port" --p2p-listen 127.0.0.1:0 --quiet "$@" \
			>>"$D/$name.log" 2>&1 &
		pid=$!
		for i in $(seq 1 100); do
			if "$BIN/ember-cli" --rpc "http://127.0.0.1:$port/" status >/dev/null 2>&1; then
				echo "http://127.0.0.1:$port/" >"$D/$name.rpc"
				echo "$pid" >"$D/$name.pid"
				PIDS="$PIDS $pid"
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	done
	tail -20 "$D/$name.log" >&2
	fail "full node $name did not start"
}

# start_v I [PROGRAM]: validator I of the testnet in $D/tn (emberd testnet),
# logging to $D/vI.log, its pid in $D/vI.pid and in PIDS (killed at exit).
start_v() {
	"${2:-$BIN/emberd}" --datadir "$D/tn/node$1" --quiet >>"$D/v$1.log" 2>&1 &
	echo $! >"$D/v$1.pid"
	PIDS="$PIDS $!"
}
at() { n=$1; shift; "$BIN/ember-cli" --rpc "$(cat "$D/$n.rpc")" "$@"; }
hgt() { at "$1" status | field .height; }
rpc_at() { curl -s -X POST -H 'content-type: application/json' --data "$2" "$(cat "$D/$1.rpc")"; }
block_hash() { rpc_at "$1" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblock\",\"params\":[$2]}" | field .result.hash; }
block_root() { rpc_at "$1" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblock\",\"params\":[$2]}" | field .result.state_root; }
wait_hgt() {
	for i in $(seq 1 $(( ${3:-60} * 10 ))); do
		[ "$(num "$(hgt "$1" 2>/dev/null)")" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "$1 did not reach height $2: at $(hgt "$1" 2>/dev/null || echo '?')"
}

free_base() {
	python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(50):
    b = random.randrange(20000, 60000 - n, 2)
    socks = []
    try:
        for p in range(b, b + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(b); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
}
