#!/usr/bin/env python3
"""netproxy.py - TCP forwarders whose links a test can cut and heal.

    netproxy.py CTLDIR LISTEN_PORT:TARGET_PORT ...

Listens on 127.0.0.1:LISTEN_PORT and forwards each connection to
127.0.0.1:TARGET_PORT.  While a file CTLDIR/cut-LISTEN_PORT exists, that
link is cut: its connections are closed and new ones are refused (accepted
and closed at once), as a partition would.  Writes CTLDIR/ready once every
port listens.  Runs until killed.  Used by tests/integration/bft_faults.sh;
no root and no network namespace needed.
"""
import os
import socket
import sys
import threading
import time

CTL = sys.argv[1]
links = [tuple(int(x) for x in a.split(":")) for a in sys.argv[2:]]
conns = {}          # listen port -> set of sockets
lock = threading.Lock()


def cut(port):
    return os.path.exists(os.path.join(CTL, "cut-%d" % port))


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(ls, lport, tport):
    while True:
        c, _ = ls.accept()
        if cut(lport):
            c.close()
            continue
        try:
            t = socket.create_connection(("127.0.0.1", tport))
        except OSError:
            c.close()
            continue
        for s in (c, t):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with lock:
            conns.setdefault(lport, set()).update((c, t))
        threading.Thread(target=pump, args=(c, t), daemon=True).start()
        threading.Thread(target=pump, args=(t, c), daemon=True).start()


def watch():
    while True:
        time.sleep(0.05)
        with lock:
            for lport, socks in conns.items():
                if cut(lport):
                    for s in socks:
                        try:
                            s.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                        s.close()
                    socks.clear()


# Every port listens before "ready" is written (bound here, served below).
listeners = []
for lp, tp in links:
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", lp))
    ls.listen(16)
    listeners.append((ls, lp, tp))
for ls, lp, tp in listeners:
    threading.Thread(target=serve, args=(ls, lp, tp), daemon=True).start()
threading.Thread(target=watch, daemon=True).start()
open(os.path.join(CTL, "ready"), "w").close()
while True:
    time.sleep(3600)
