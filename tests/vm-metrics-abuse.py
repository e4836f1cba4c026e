#!/usr/bin/env python3
"""Bad clients for devmemtop's /metrics (tests/vm-metrics.sh).

vm-metrics-abuse.py PORT CA_FILE STOP_FILE OUT_JSON

Until STOP_FILE exists, each kind of bad client runs in its own thread
against 127.0.0.1:PORT (a TLS endpoint with basic auth): a request head
over the server's limit, a client that sends nothing, a slowloris that
sends a byte every half second, plain HTTP to the TLS port, TLS garbage,
bursts of many connections, and wrong passwords. Every socket has a
timeout, so no client hangs. OUT_JSON gets, per kind, how each attempt
ended.
"""
import collections
import json
import os
import socket
import ssl
import sys
import threading
import time

PORT, CA, STOP, OUT = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
CTX = ssl.create_default_context(cafile=CA)
results = collections.defaultdict(collections.Counter)
lock = threading.Lock()


def note(kind, what):
    with lock:
        results[kind][what] += 1


def stopping():
    return os.path.exists(STOP)


def plain():
    return socket.create_connection(("127.0.0.1", PORT), timeout=15)


def tls():
    return CTX.wrap_socket(plain(), server_hostname="localhost")


def read_all(s):
    data = b""
    try:
        while len(data) < 1 << 20:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except (OSError, ssl.SSLError):
        pass
    return data


def status(data):
    parts = data.split(b" ", 2)
    return parts[1].decode() if len(parts) > 1 and data.startswith(b"HTTP/") else "none"


def huge_header():
    s = tls()
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    except (OSError, ssl.SSLError):
        pass
    note("huge_header", status(read_all(s)))
    s.close()


def no_request():
    s = plain()
    time.sleep(6)
    note("no_request", "closed" if not read_all(s) else "answered")
    s.close()


def slowloris():
    s = tls()
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"s" * 40
    t0 = time.time()
    try:
        for b in req:
            s.send(bytes([b]))
            time.sleep(0.5)
        what = "never cut"
    except (OSError, ssl.SSLError):
        what = "cut" if time.time() - t0 <= 10 else "cut late"
    note("slowloris", what)
    s.close()


def plain_http():
    s = plain()
    s.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
    data = read_all(s)
    note("plain_http", "told" if b"HTTP request to an HTTPS server" in data else "other")
    s.close()


def garbage():
    s = plain()
    try:
        s.sendall(b"\x16\x03\x01\x02\x00" + os.urandom(512))
    except OSError:
        pass
    data = read_all(s)
    note("tls_garbage", "http" if b"HTTP/" in data else "dropped")
    s.close()


def many():
    socks = []
    for _ in range(40):
        try:
            socks.append(plain())
        except OSError:
            note("many", "connect failed")
    time.sleep(1)
    for s in socks:
        s.close()
    note("many", "burst of 40")


def wrong_password():
    s = tls()
    s.sendall(b"GET /metrics HTTP/1.1\r\nAuthorization: Basic cHJvbTp3cm9uZw==\r\n\r\n")
    note("wrong_password", status(read_all(s)))
    s.close()
    time.sleep(0.5)


def loop(kind, fn):
    while not stopping():
        try:
            fn()
        except (OSError, ssl.SSLError) as e:
            note(kind, "error " + type(e).__name__)
            time.sleep(0.5)
        time.sleep(0.2)


kinds = {"huge_header": huge_header, "no_request": no_request, "slowloris": slowloris,
         "plain_http": plain_http, "tls_garbage": garbage, "many": many,
         "wrong_password": wrong_password}
threads = [threading.Thread(target=loop, args=(k, f), daemon=True) for k, f in kinds.items()]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(OUT, "w") as f:
    json.dump({k: dict(v) for k, v in results.items()}, f, sort_keys=True)
