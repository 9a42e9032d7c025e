#!/usr/bin/env python3
"""Network helper of tests/integration/test_traffic.sh (not a product tool).

serve: one process, three roles on 127.0.0.1 until SIGTERM:
  * proxy: SRTP datagrams arriving on --proxy are forwarded to --forward (UE1);
    every --every-th packet (k % every == every // 2) is first sent as a
    tampered copy (one payload byte flipped: must fail authentication) and,
    after the genuine one, once more unchanged (a replay: must be refused);
  * tap: datagrams on --tap-srtp are kept as length-prefixed records in
    --srtp-out, datagrams on --tap-mtk as hex lines in --mtk-out;
  * on SIGTERM: a JSON summary in --summary.
replay: send records of a length-prefixed file to a port (--first N or
  --last N records).
rtpl: tools for length-prefixed RTP files: `make` writes a source file and
  prints the SHA-256 of its concatenated payloads; `payloads` prints the
  SHA-256 of a file's payloads; `indices` prints the packet indices (first 4
  payload bytes) of a file, one per line.
"""
import argparse
import hashlib
import json
import random
import selectors
import signal
import socket
import struct
import sys


def records(data):
    off = 0
    while off < len(data):
        (n,) = struct.unpack(">H", data[off:off + 2])
        yield data[off + 2:off + 2 + n]
        off += 2 + n


def payload(pkt):
    cc = pkt[0] & 0x0F
    n = 12 + 4 * cc
    if pkt[0] & 0x10:
        (words,) = struct.unpack(">H", pkt[n + 2:n + 4])
        n += 4 + 4 * words
    end = len(pkt) - (pkt[-1] if pkt[0] & 0x20 else 0)
    return pkt[n:end]


def serve(a):
    sel = selectors.DefaultSelector()
    socks = {}
    for role, port in (("proxy", a.proxy), ("srtp", a.tap_srtp), ("mtk", a.tap_mtk)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        s.bind(("127.0.0.1", port))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, role)
        socks[role] = s
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fwd = ("127.0.0.1", a.forward)
    st = {"forwarded": 0, "tampered": 0, "replayed": 0, "tapped_srtp": 0, "tapped_mtk": 0}
    srtp_out = open(a.srtp_out, "wb")
    mtk_out = open(a.mtk_out, "w")
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print("ready", flush=True)
    while not stop:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            while True:
                try:
                    d = s.recv(4096)
                except BlockingIOError:
                    break
                if key.data == "proxy":
                    k = st["forwarded"]
                    dup = k % a.every == a.every // 2
                    if dup:
                        t = bytearray(d)
                        t[12 + 5] ^= 0x80  # inside the encrypted payload
                        out.sendto(bytes(t), fwd)
                        st["tampered"] += 1
                    out.sendto(d, fwd)
                    st["forwarded"] += 1
                    if dup:
                        out.sendto(d, fwd)
                        st["replayed"] += 1
                elif key.data == "srtp":
                    srtp_out.write(struct.pack(">H", len(d)) + d)
                    st["tapped_srtp"] += 1
                else:
                    mtk_out.write(d.hex() + "\n")
                    st["tapped_mtk"] += 1
    srtp_out.close()
    mtk_out.close()
    with open(a.summary, "w") as f:
        json.dump(st, f)


def replay(a):
    recs = list(records(open(a.file, "rb").read()))
    pick = recs[:a.first] if a.first else recs[-a.last:]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for r in pick:
        s.sendto(r, ("127.0.0.1", a.port))
    print(len(pick))


def rtpl(a):
    if a.op == "make":
        rnd = random.Random(a.seed)
        out = bytearray()
        h = hashlib.sha256()
        for i in range(a.count):
            seq = (a.seq0 + i) & 0xFFFF
            marker = 0x80 if i % 100 == 0 else 0
            hdr = struct.pack(">BBHII", 0x80, marker | 96, seq, (7 + 160 * i) & 0xFFFFFFFF,
                              0x4D424D53)
            body = struct.pack(">I", i) + bytes(rnd.getrandbits(8) for _ in range(rnd.randint(16, 300)))
            pkt = hdr + body
            out += struct.pack(">H", len(pkt)) + pkt
            h.update(body)
        open(a.file, "wb").write(out)
        print(h.hexdigest())
    elif a.op == "payloads":
        h = hashlib.sha256()
        for r in records(open(a.file, "rb").read()):
            h.update(payload(r))
        print(h.hexdigest())
    else:
        for r in records(open(a.file, "rb").read()):
            print(struct.unpack(">I", payload(r)[:4])[0])


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    for n in ("proxy", "forward", "tap-srtp", "tap-mtk", "every"):
        s.add_argument("--" + n, type=int, required=True)
    for n in ("srtp-out", "mtk-out", "summary"):
        s.add_argument("--" + n, required=True)
    r = sub.add_parser("replay")
    r.add_argument("--file", required=True)
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--first", type=int, default=0)
    r.add_argument("--last", type=int, default=0)
    f = sub.add_parser("rtpl")
    f.add_argument("op", choices=("make", "payloads", "indices"))
    f.add_argument("file")
    f.add_argument("--count", type=int, default=10000)
    f.add_argument("--seq0", type=int, default=64000)
    f.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    {"serve": serve, "replay": replay, "rtpl": rtpl}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
