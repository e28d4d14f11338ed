#!/bin/sh
# Integration: bitcoind's daemon conventions on a real emberd --dev.
#  1. --version on emberd, ember-prover and ember-sim.
#  2. DIR/ember.conf is read (its rpc-listen and log-level are used); a bad
#     line stops the node with the file and the line named.
#  3. DIR/.cookie ("__cookie__:" and 64 hex digits, 0600): curl --user with
#     it calls an admin method; a wrong one is refused; the bearer form of
#     the hex part still works.
#  4. JSON-RPC 1.0-style requests (bitcoin-cli's form) get 1.0 answers.
#  5. SIGHUP after the log was moved away: a new debug.log appears and the
#     node keeps answering.
#  6. "stop" answers "Ember stopping"; the node exits 0 and the cookie goes.
#  7. A restart with --rpc-listen and --log-level on the command line: both
#     win over the file; SIGTERM also removes the cookie.
#  8. --rpc-user with --rpc-password-file: that login instead of a cookie.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup daemon
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# post URL JSON [CURL ARGS]: a raw request; prints the body.
post() {
	_url=$1; _body=$2; shift 2
	curl -s -X POST -H 'content-type: application/json' "$@" --data "$_body" "$_url"
}
# up URL PID: wait (20 s at most) until the node answers getstatus at URL;
# 1 if PID exits first or the time runs out.
up() {
	for i in $(seq 1 200); do
		post "$1" '{"jsonrpc":"2.0","id":1,"method":"getstatus"}' 2>/dev/null |
			check '.result.height >= 0' 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# gone PID: wait (30 s at most) for PID to exit; its status in ST.
gone() {
	for i in $(seq 1 300); do
		if ! kill -0 "$1" 2>/dev/null; then
			ST=0; wait "$1" || ST=$?
			return 0
		fi
		sleep 0.1
	done
	fail "emberd (pid $1) still runs 30 s after it was told to stop"
}
# waitfor CMD...: poll CMD (20 s at most) until it succeeds.
waitfor() {
	for i in $(seq 1 200); do "$@" && return 0; sleep 0.1; done
	return 1
}
randport() { echo $(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 )); }

echo "-- --version"
VER=$(sed -n 's/^#define EMBER_VERSION "\(.*\)"$/\1/p' "$ROOT/include/ember/version.h")
[ -n "$VER" ] || fail "no EMBER_VERSION in include/ember/version.h"
for b in emberd ember-prover ember-sim; do
	out=$("$BIN/$b" --version) || fail "$b --version exited $?"
	[ "$out" = "$b $VER" ] || fail "$b --version printed '$out', not '$b $VER'"
done
echo "all say $VER"

echo "-- a bad config file line is an error naming the file and the line"
mkdir -p "$D/data"
printf '# bad\nrpc-listen=127.0.0.1:1\nrpc-lisen=127.0.0.1:2\n' >"$D/bad.conf"
st=0
timeout 30 "$BIN/emberd" --dev --datadir "$D/data" --conf "$D/bad.conf" \
	>"$D/bad.log" 2>&1 || st=$?
[ "$st" = 2 ] || fail "emberd with a bad config exited $st: $(cat "$D/bad.log")"
grep -qF "'$D/bad.conf' line 3: unknown option 'rpc-lisen'" "$D/bad.log" ||
	fail "bad config message: $(cat "$D/bad.log")"
st=0
timeout 30 "$BIN/emberd" --datadir "$D/data" --conf "$D/nonexistent.conf" \
	>"$D/bad.log" 2>&1 || st=$?
[ "$st" = 1 ] && grep -qF "cannot read config file '$D/nonexistent.conf'" "$D/bad.log" ||
	fail "a missing --conf file: status $st: $(cat "$D/bad.log")"
echo "refused as expected: $(head -1 "$D/bad.log")"

echo "-- DIR/ember.conf is used"
started=""
for try in 1 2 3 4 5; do
	CPORT=$(randport)
	cat >"$D/data/ember.conf" <<CONF
# daemon.sh: settings with emberd's long option names
rpc-listen = 127.0.0.1:$CPORT
p2p-listen=127.0.0.1:0
block-time-ms=200
log-level=debug
dev
CONF
	RPC="http://127.0.0.1:$CPORT/"
	"$BIN/emberd" --datadir "$D/data" >"$D/run1.log" 2>&1 &
	PID=$!
	if up "$RPC" "$PID"; then started=1; break; fi
	kill -9 "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
done
[ -n "$started" ] || { cat "$D/run1.log" >&2; fail "node did not start on the conf's port"; }
grep -q "debug: RPC cookie written" "$D/run1.log" ||
	fail "log-level=debug from ember.conf not used: $(cat "$D/run1.log")"
echo "rpc-listen and log-level from ember.conf"

echo "-- the cookie"
CK="$D/data/.cookie"
[ -f "$CK" ] || fail "no $CK while the node runs"
[ "$(stat -c %a "$CK")" = 600 ] || fail "$CK has mode $(stat -c %a "$CK")"
grep -qxE '__cookie__:[0-9a-f]{64}' "$CK" || fail "$CK holds '$(cat "$CK")'"
post "$RPC" '{"jsonrpc":"2.0","id":1,"method":"listbanned"}' --user "$(cat "$CK")" |
	check '.result | type == "array"' || fail "listbanned with the cookie"
post "$RPC" '{"jsonrpc":"2.0","id":1,"method":"listbanned"}' |
	check '.error.code == -32003' || fail "listbanned without auth"
post "$RPC" '{"jsonrpc":"2.0","id":1,"method":"listbanned"}' --user "__cookie__:00" |
	check '.error.code == -32003' || fail "listbanned with a wrong cookie"
post "$RPC" '{"jsonrpc":"2.0","id":1,"method":"listbanned"}' \
	-H "Authorization: Bearer $(cut -d: -f2 "$CK")" |
	check '.result | type == "array"' || fail "listbanned with the bearer token"
echo "Basic auth with the cookie, and the bearer form, unlock admin methods"

echo "-- JSON-RPC 1.0-style requests"
post "$RPC" '{"method":"getstatus","params":[],"id":"daemon"}' |
	check '.id == "daemon" and .error == null and .result.height >= 0 and
	       (has("jsonrpc") | not)' || fail "a 1.0-style getstatus"
post "$RPC" '{"jsonrpc":"1.0","id":"curltest","method":"getblock","params":[0]}' |
	check '.id == "curltest" and .error == null and .result.height == 0' ||
	fail "bitcoin-cli's form (jsonrpc 1.0)"
post "$RPC" '{"method":"nosuch","params":[],"id":3}' |
	check '.id == 3 and .result == null and .error.code == -32601' ||
	fail "a 1.0-style error"
echo "answered in the 1.0 form"

echo "-- SIGHUP reopens the log"
LOG="$D/data/debug.log"
[ -s "$LOG" ] || fail "no $LOG"
grep -q "JSON-RPC on" "$LOG" || fail "$LOG lacks the start lines"
mv "$LOG" "$LOG.1"
kill -HUP "$PID"
waitfor test -s "$LOG" || fail "no new debug.log after SIGHUP"
waitfor grep -q "log file reopened" "$LOG" || fail "new debug.log: $(cat "$LOG")"
kill -0 "$PID" 2>/dev/null || fail "the node died of SIGHUP"
up "$RPC" "$PID" || fail "the node stopped answering after SIGHUP"
grep -q "JSON-RPC on" "$LOG.1" || fail "the moved log lost its lines"
echo "new debug.log after SIGHUP, node still answers"

echo "-- stop"
out=$(post "$RPC" '{"jsonrpc":"2.0","id":1,"method":"stop"}' --user "$(cat "$CK")")
printf '%s' "$out" | check '.result == "Ember stopping"' || fail "stop answered '$out'"
gone "$PID"
[ "$ST" = 0 ] || fail "emberd exited $ST after stop"
[ ! -e "$CK" ] || fail "$CK is still there after a clean stop"
grep -q "stopped" "$LOG" || fail "no 'stopped' in $LOG"
PID=""
echo "answered '$(printf '%s' "$out" | field .result)', exited 0, cookie removed"

echo "-- the command line wins over ember.conf"
started=""
for try in 1 2 3 4 5; do
	PORT=$(randport)
	[ "$PORT" = "$CPORT" ] && continue
	RPC="http://127.0.0.1:$PORT/"
	"$BIN/emberd" --datadir "$D/data" --rpc-listen "127.0.0.1:$PORT" \
		--log-level info --log-file "$D/second.log" >"$D/run2.log" 2>&1 &
	PID=$!
	if up "$RPC" "$PID"; then started=1; break; fi
	kill -9 "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
done
[ -n "$started" ] || { cat "$D/run2.log" >&2; fail "node did not start on --rpc-listen"; }
if post "http://127.0.0.1:$CPORT/" '{"jsonrpc":"2.0","id":1,"method":"getstatus"}' \
	>/dev/null 2>&1; then
	fail "the node also answers on the conf's port $CPORT"
fi
grep -q "debug:" "$D/run2.log" && fail "--log-level info did not win: $(cat "$D/run2.log")"
grep -q "JSON-RPC on http://127.0.0.1:$PORT" "$D/second.log" ||
	fail "--log-file: $(cat "$D/second.log" 2>&1)"
[ -f "$CK" ] || fail "no cookie after the restart"
kill -TERM "$PID"
gone "$PID"
[ "$ST" = 0 ] || fail "emberd exited $ST after SIGTERM"
[ ! -e "$CK" ] || fail "$CK is still there after SIGTERM"
PID=""
echo "--rpc-listen and --log-level won; SIGTERM removed the cookie"

echo "-- a fixed login: --rpc-user and --rpc-password-file"
printf 'correct horse\n' >"$D/rpcpw"
chmod 600 "$D/rpcpw"
"$BIN/emberd" --datadir "$D/data" --rpc-listen "127.0.0.1:$PORT" \
	--rpc-user alice --rpc-password-file "$D/rpcpw" >"$D/run3.log" 2>&1 &
PID=$!
up "$RPC" "$PID" || fail "node did not start with --rpc-user: $(cat "$D/run3.log")"
[ ! -e "$CK" ] || fail "a cookie was written along with a fixed login"
post "$RPC" '{"jsonrpc":"2.0","id":1,"method":"listbanned"}' --user "alice:correct horse" |
	check '.result | type == "array"' || fail "listbanned as alice"
post "$RPC" '{"jsonrpc":"2.0","id":1,"method":"listbanned"}' --user "bob:correct horse" |
	check '.error.code == -32003' || fail "listbanned as bob"
post "$RPC" '{"jsonrpc":"2.0","id":1,"method":"stop"}' --user "alice:correct horse" |
	check '.error == null' || fail "stop as alice"
gone "$PID"
[ "$ST" = 0 ] || fail "emberd exited $ST after stop"
PID=""
echo "alice logs in, bob does not, no cookie"
echo "daemon: ok"
