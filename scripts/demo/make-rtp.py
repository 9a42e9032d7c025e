#!/usr/bin/env python3
"""Write the demo's media: a length-prefixed RTP file (docs/traffic.md "The RTP
file format": per packet, its length in 2 bytes big-endian, then the RTP
packet) of N packets whose payloads are short lines of text, for
`bmscd ctl stream --file`. The UEs write what they decrypt in the same
format, so their output must equal this file byte for byte.

    make-rtp.py OUT N"""
import struct
import sys


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    ssrc, seq0, ts0 = 0x4D424D53, 4242, 160000  # "MBMS"
    with open(out, "wb") as f:
        for i in range(n):
            payload = ("mbmssec demo: news-video packet %d of %d\n" % (i + 1, n)).encode()
            marker = 0x80 if i % 50 == 0 else 0
            hdr = struct.pack("!BBHII", 0x80, marker | 96, (seq0 + i) & 0xFFFF,
                              (ts0 + 160 * i) & 0xFFFFFFFF, ssrc)
            pkt = hdr + payload
            f.write(struct.pack("!H", len(pkt)) + pkt)


if __name__ == "__main__":
    main()
