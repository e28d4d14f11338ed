#!/bin/sh
# Integration: the JSON-RPC server against a hostile client, on a real
# emberd with a hard open file limit of 256 and at most 8 RPC connections.
#  1. 600 idle connections, more than the node has file descriptors, with
#     a 60 s deadline for a request: a new client is still answered within
#     20 s (so not by waiting for the deadline: the longest-waiting idle
#     connection makes room), the node's log stays small (no flood of
#     accept errors), and the node lives on.
#  2. with a 2 s deadline, a client that sends a byte every 0.2 s loses its
#     connection all the same.
# Every wait is a poll with a generous bound, never a fixed sleep.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup rpclimits

# emberd under "ulimit -n 256", which sets the hard limit too: emberd
# raises its soft limit to the hard one, so only a hard limit sticks.
REAL=$(cd "$BIN" && pwd)
mkdir "$D/bin"
printf '#!/bin/sh\nulimit -n 256 || exit 1\nexec "%s/emberd" "$@"\n' "$REAL" >"$D/bin/emberd"
chmod +x "$D/bin/emberd"
ln -s "$REAL/ember-cli" "$D/bin/ember-cli"
BIN="$D/bin"

echo "-- 600 idle connections, then a client"
start_node --rpc-max-conns 8 --rpc-request-timeout 60
[ "$(awk '/^Max open files/ {print $5}' "/proc/$PID/limits")" = 256 ] ||
	fail "node's hard open file limit is not 256"
LOG0=$(wc -c <"$D/node.log")
python3 - "$PORT" <<'EOF' || fail "flood (see above)"
import resource, select, socket, sys, time

port = int(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = 1024 if hard == resource.RLIM_INFINITY else min(hard, 1024)
if soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

# Non-blocking connects, given up to 5 s to complete.  Some the kernel
# calls complete may never reach the node (its accept queue overflowed):
# they only add to the load.
flood = []
for _ in range(600):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    flood.append(s)
pending, up = set(flood), 0
end = time.monotonic() + 5
while pending and time.monotonic() < end:
    _, w, _ = select.select([], list(pending)[:500], [], 0.2)
    for s in w:
        pending.discard(s)
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            up += 1
print("flood: %d of 600 connections made" % up)
if up < 300:
    fail("only %d flood connections made" % up)

# A new client, with the flood still open, is answered: retried for up to
# 20 s, as a client would.
body = b'{"jsonrpc":"2.0","id":7,"method":"getstatus"}'
req = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
       b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
       % len(body)) + body
start = time.monotonic()
answer = b""
while time.monotonic() - start < 20 and b'"id":7' not in answer:
    answer = b""
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.settimeout(5)
        c.sendall(req)
        while True:
            got = c.recv(65536)
            if not got:
                break
            answer += got
        c.close()
    except OSError:
        time.sleep(0.1)
if not answer.startswith(b"HTTP/1.1 200") or b'"id":7' not in answer:
    fail("no answer within 20 s with 600 idle connections open: %r" % answer[:200])
print("client answered after %.2f s" % (time.monotonic() - start))
closed = 0
for s in flood:
    try:
        closed += s.recv(1) == b""
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
    s.close()
print("flood: %d connections closed by the node" % closed)
EOF
kill -0 "$PID" 2>/dev/null || fail "node died"
cli status | check '.height >= 0' || fail "status after the flood"
GREW=$(( $(wc -c <"$D/node.log") - LOG0 ))
echo "node log grew $GREW bytes"
[ "$GREW" -lt 65536 ] || fail "node log grew $GREW bytes during the flood"
if grep -qi "error from accept" "$D/node.log"; then fail "libevent's accept errors in the log"; fi
kill "$PID"
wait "$PID" 2>/dev/null || true

echo "-- a byte every 0.2 s, with a 2 s deadline"
start_node --rpc-max-conns 8 --rpc-request-timeout 2
python3 - "$PORT" <<'EOF' || fail "slow client (see above)"
import select, socket, sys, time

port = int(sys.argv[1])
head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n" + b"x" * 100
s = socket.create_connection(("127.0.0.1", port), timeout=5)
start, i, cut = time.monotonic(), 0, False
while time.monotonic() - start < 15 and not cut:
    try:
        s.send(head[i % len(head):i % len(head) + 1])
        i += 1
        r, _, _ = select.select([s], [], [], 0.2)
        if r and s.recv(4096) == b"":
            cut = True
    except OSError:
        cut = True
s.close()
if not cut:
    print("FAIL: a client sending a byte every 0.2 s kept its connection "
          "for 15 s", file=sys.stderr)
    sys.exit(1)
print("slow client cut off after %.2f s, %d bytes sent" % (time.monotonic() - start, i))
EOF
kill -0 "$PID" 2>/dev/null || fail "node died"
cli status | check '.height >= 0' || fail "status after the slow client"
echo "rpc limits ok"
