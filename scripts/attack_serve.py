#!/usr/bin/env python3
"""Adversarial runs against `skynet-cluster serve` (127.0.0.1 only; not part of CI).

Each attack starts a fresh `serve` child, attacks it from raw sockets, measures the
server's peak RSS (VmHWM) and whether a well-behaved client (from 127.0.0.2) is still
answered, then kills the child. One JSON object per attack on stdout.

    python3 scripts/attack_serve.py [--bin target/release/skynet-cluster] [ATTACK...]

Attacks: big_flood get_flood idle_conns slow_close inflight_1mib unfinished_12x60
junk_log unknown_table.
"""

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

NAME_REQUEST, NAME_MULTI_REQUEST, PART, LAST_PART = 0x80, 0x81, 0x02, 0x03


def seri_int(n):
    """skynet.pack of one integer (lua-seri)."""
    if n == 0:
        return bytes([2])
    if 0 <= n < 0x100:
        return bytes([2 | (1 << 3), n])
    if 0 <= n < 0x10000:
        return bytes([2 | (2 << 3)]) + struct.pack("<H", n)
    if -0x80000000 <= n < 0x80000000:
        return bytes([2 | (4 << 3)]) + struct.pack("<i", n)
    return bytes([2 | (6 << 3)]) + struct.pack("<q", n)


def seri_str(b):
    if len(b) < 32:
        return bytes([4 | (len(b) << 3)]) + b
    if len(b) < 0x10000:
        return bytes([5 | (2 << 3)]) + struct.pack("<H", len(b)) + b
    return bytes([5 | (4 << 3)]) + struct.pack("<I", len(b)) + b


def frames(name, session, payload):
    """A request to @name, split as the reference splits (32 KiB parts from 32768 B)."""
    n = name.encode()
    if len(payload) < 32768:
        body = bytes([NAME_REQUEST, len(n)]) + n + struct.pack("<I", session) + payload
        return struct.pack(">H", len(body)) + body
    out = bytearray()
    head = bytes([NAME_MULTI_REQUEST, len(n)]) + n + struct.pack("<II", session, len(payload))
    out += struct.pack(">H", len(head)) + head
    parts = [payload[i:i + 32768] for i in range(0, len(payload), 32768)]
    for i, p in enumerate(parts):
        body = bytes([LAST_PART if i == len(parts) - 1 else PART]) + struct.pack("<I", session) + p
        out += struct.pack(">H", len(body)) + body
    return bytes(out)


def last_frame_start(buf):
    at = last = 0
    while at + 2 <= len(buf):
        last = at
        at += 2 + struct.unpack(">H", buf[at:at + 2])[0]
    return last


class Serve:
    def __init__(self, binary, extra=(), log="warn"):
        self.p = subprocess.Popen(
            [binary, "serve", "--name", "rs", "--listen", "127.0.0.1:0", "--threads", "2", "--log", log, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.p.stdout.readline().decode().strip()
        host, port = line.removeprefix("listening on ").rsplit(":", 1)
        self.addr = (host, int(port))
        self.log_bytes = 0
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        while True:
            chunk = self.p.stderr.read1(65536)
            if not chunk:
                return
            self.log_bytes += len(chunk)

    def peak_mib(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
        return -1

    def close(self):
        self.p.kill()
        self.p.wait()


def connect(addr, source="127.0.0.1"):
    s = socket.socket()
    s.bind((source, 0))
    s.connect(addr)
    return s


def probe(addr, source="127.0.0.2", timeout=5.0):
    """Seconds for a call to @echo from `source` to be answered, or None."""
    t0 = time.time()
    try:
        s = connect(addr, source)
        s.settimeout(timeout)
        s.sendall(frames("echo", 1, seri_str(b"hi")))
        head = s.recv(2)
        s.close()
        return round(time.time() - t0, 3) if len(head) == 2 else None
    except OSError:
        return None


def big_flood(srv):
    s = connect(srv.addr)
    s.sendall(b"".join(frames("big", i + 1, seri_int(64 << 20)) for i in range(24)))
    time.sleep(6)
    return {"probe_s": probe(srv.addr), "sent_bytes": 24 * len(frames("big", 1, seri_int(64 << 20)))}, [s]


def get_flood(srv):
    setter = connect(srv.addr)
    setter.sendall(frames("sdb", 1, seri_str(b"SET") + seri_str(b"k") + seri_str(b"v" * (8 << 20))))
    setter.recv(64)
    s = connect(srv.addr)
    s.sendall(b"".join(frames("sdb", i + 1, seri_str(b"GET") + seri_str(b"k")) for i in range(60)))
    time.sleep(6)
    return {"probe_s": probe(srv.addr)}, [s, setter]


def idle_conns(srv):
    keep = []
    for _ in range(4200):
        try:
            keep.append(connect(srv.addr))
        except OSError:
            break
    time.sleep(1)
    return {"opened": len(keep), "probe_other_address_s": probe(srv.addr)}, keep


def slow_close(srv):
    payload = seri_int(6000) + seri_str(b"x")
    for _ in range(4100):
        try:
            s = connect(srv.addr)
            s.sendall(frames("slow", 1, payload))
            s.close()
        except OSError:
            pass
    t0 = time.time()
    served = None
    while time.time() - t0 < 10 and served is None:
        served = probe(srv.addr, source="127.0.0.1", timeout=1)
    return {"probe_same_address_s": served, "waited_s": round(time.time() - t0, 3)}, []


def inflight_1mib(srv):
    s = connect(srv.addr)
    big = seri_int(6000) + seri_str(b"y" * (1 << 20))
    def send():
        try:
            for i in range(150):
                s.sendall(frames("slow", i + 1, big))
        except OSError:
            pass
    threading.Thread(target=send, daemon=True).start()
    time.sleep(6)
    return {"probe_s": probe(srv.addr)}, [s]


def unfinished_12x60(srv):
    socks = []
    payload = b"z" * (1 << 20)
    one = frames("echo", 1, payload)
    cut = last_frame_start(one)
    def send(s, c):
        try:
            for m in range(60):
                f = frames("echo", c * 100 + m + 1, payload)
                s.sendall(f[:cut])
        except OSError:
            pass
    for c in range(12):
        s = connect(srv.addr)
        s.settimeout(20)
        socks.append(s)
        threading.Thread(target=send, args=(s, c), daemon=True).start()
    time.sleep(8)
    return {"probe_s": probe(srv.addr)}, socks


def junk_log(srv):
    s = connect(srv.addr)
    s.sendall(b"\0" * (1 << 20))
    time.sleep(2)
    s.close()
    time.sleep(1)
    return {"probe_s": probe(srv.addr), "log_bytes": srv.log_bytes}, []


def unknown_table(srv):
    # sdb with a first argument that is a table of 2M integers (a ~16 MB message).
    n = 2_000_000
    table = bytes([6 | (31 << 3)]) + seri_int(n) + b"".join(seri_int(i) for i in range(n)) + bytes([0])
    s = connect(srv.addr)
    s.sendall(frames("sdb", 1, table))
    s.settimeout(20)
    try:
        s.recv(2)
    except OSError:
        pass
    return {"probe_s": probe(srv.addr), "message_bytes": len(table)}, [s]


ATTACKS = {f.__name__: f for f in [big_flood, get_flood, idle_conns, slow_close, inflight_1mib,
                                   unfinished_12x60, junk_log, unknown_table]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/skynet-cluster")
    ap.add_argument("--label", default="")
    ap.add_argument("attacks", nargs="*")
    a = ap.parse_args()
    for name in a.attacks or list(ATTACKS):
        srv = Serve(a.bin)
        t0 = time.time()
        try:
            result, keep = ATTACKS[name](srv)
            result.update({"attack": name, "label": a.label, "peak_rss_mib": srv.peak_mib(),
                           "seconds": round(time.time() - t0, 1)})
            for s in keep:
                s.close()
        finally:
            srv.close()
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
