#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets added for docs/security.md:
fuzz_ue_rx, fuzz_ue_http, fuzz_ue_state, fuzz_bmsc_http, fuzz_gba_client.

    python3 tests/fuzz/make_seeds.py        (from the source tree; idempotent)

Seeds are built from what is already in the tree (the fuzz_mikey corpus,
which holds the vector messages of tests/vectors/independent_cases.json,
and the XML bodies of the fuzz_kmxml corpus), framed the way each target
reads its input (see the comment at the top of each tests/fuzz/fuzz_*.c).
Files named regress_* are crash reproducers and are never rewritten here.
"""
import base64
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def out(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def rec_rx(flags, msg):
    return bytes([flags]) + struct.pack(">H", len(msg)) + msg


def mikey_kind(msg):
    """'mtk', 'verification' or 'muk' from the HDR and the Key ID type."""
    if len(msg) > 1 and msg[1] == 1:
        return "verification"
    # EXT(Key ID) follows the 10-byte HDR: next, type 2, len(2), key ID type
    if len(msg) > 14 and msg[14] == 2:
        return "mtk"
    return "muk"


def ue_rx():
    src = os.path.join(CORPUS, "fuzz_mikey")
    msgs = {}
    for name in sorted(os.listdir(src)):
        if name.endswith(".bin"):
            with open(os.path.join(src, name), "rb") as f:
                msgs[name[:-4]] = f.read()
    for name, m in msgs.items():
        port = 1 if mikey_kind(m) == "mtk" else 0
        reseal = 2 if name.startswith("plain_") else 0
        out("fuzz_ue_rx", name, rec_rx(port | reseal, m))
        out("fuzz_ue_rx", name + "_twice", rec_rx(port | reseal | 4, m))
    # sequences: the MSK push, then MTK messages under it, later in time
    if "plain_msk_message_v1" in msgs and "plain_mtk_message_1" in msgs:
        seq = rec_rx(2, msgs["plain_msk_message_v1"])
        seq += rec_rx(0x10 | 1 | 2, msgs["plain_mtk_message_1"])
        if "plain_mtk_message_2" in msgs:
            seq += rec_rx(0x10 | 1 | 2 | 4, msgs["plain_mtk_message_2"])
        out("fuzz_ue_rx", "seq_msk_then_mtks", seq)
    if "msk_message_v1" in msgs:
        out("fuzz_ue_rx", "seq_replay_after_time",
            rec_rx(0, msgs["msk_message_v1"]) + rec_rx(0x70, msgs["msk_message_v1"]))


FQDN = "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org"
NS = "urn:3gpp:mbms:keymanagement:2026"


def rec_http(flags, status, ctype, www, ai, body):
    payload = b"\0".join([ctype.encode(), www.encode(), ai.encode()]) + b"\0" + body
    return bytes([flags]) + struct.pack(">HH", status, len(payload)) + payload


def ue_http():
    nonce = base64.b64encode(bytes(range(32))).decode()
    chal = ('Digest realm="3GPP-bootstrapping@%s", nonce="%s", algorithm=MD5, '
            'qop="auth-int"' % (FQDN, nonce))
    reg = ('<?xml version="1.0" encoding="UTF-8"?>\n<mbmsRegistrationResponse xmlns="%s">'
           '<serviceResult><serviceId>urn:example:mbms:news</serviceId><status>200</status>'
           '</serviceResult></mbmsRegistrationResponse>' % NS).encode()
    msk = ('<?xml version="1.0" encoding="UTF-8"?>\n<mbmsMSKResponse xmlns="%s"><MSKResult>'
           '<keyDomainID>APEQ</keyDomainID><MSKID>AQIAAA==</MSKID><status>%d</status>'
           '</MSKResult></mbmsMSKResponse>')
    ct_reg = "application/mbms-register-response+xml"
    ct_msk = "application/mbms-msk-response+xml"
    ok = rec_http(0, 401, "", chal, "", b"") + rec_http(1, 200, ct_reg, "", "", reg)
    out("fuzz_ue_http", "register_ok", ok)
    for st in (200, 403, 404, 503, 400, 500):
        out("fuzz_ue_http", "msk_item_%d" % st,
            ok + rec_http(1, 200, ct_msk, "", "", (msk % (NS, st)).encode()))
    out("fuzz_ue_http", "stale_nonce",
        rec_http(0, 401, "", chal + ", stale=true", "", b"") + rec_http(0, 401, "", chal, "", b""))
    out("fuzz_ue_http", "unsigned_200", rec_http(0, 401, "", chal, "", b"") +
        rec_http(0, 200, ct_reg, "", 'rspauth="00000000000000000000000000000000"', reg))
    out("fuzz_ue_http", "failures", rec_http(2, 0, "", "", "", b"") +
        rec_http(0x30, 503, "", "", "", b"") + rec_http(0x70, 500, "", "", "", b""))
    out("fuzz_ue_http", "other_realm",
        rec_http(0, 401, "", chal.replace("3GPP-bootstrapping@", "evil@"), "", b""))


def ue_state():
    golden = ("mbms-ue-state 1\n"
              "bootstrap gRE0fvgzT8TRMTt3OEPC4w==@bsf.mnc001.mcc001.pub.3gppnetwork.org "
              "1900000000 1799990000 " + "4e" * 32 + "\n"
              "keyseq 3 2\n"
              "bmsc " + FQDN + " 8080\n"
              "muk " + FQDN + " cur gRE0fvgzT8TRMTt3OEPC4w==@bsf.mnc001.mcc001.pub.3gppnetwork.org "
              "7 " + "fc" * 32 + "\n"
              "muk " + FQDN + " prev b2xkYnRpZG9sZGJ0aWQ9PQ==@bsf.mnc001.mcc001.pub.3gppnetwork.org "
              "- " + "aa" * 32 + "\n"
              "msk 00f110 01020001 1 255 1 12 4 " + "4b" * 16 + "\n"
              "msk 00f110 01020002 1 100 2 - - " + "4c" * 16 + "\n"
              "mtk 00f110 01020001 4 2 " + "11" * 16 + " " + "22" * 14 + "\n"
              "mtk 00f110 01020001 3 1 " + "33" * 16 + " " + "44" * 14 + "\n"
              "service urn:example:mbms:news active 1\n"
              "service urn:example:mbms:sport left 0 left the service: status 403\n"
              "end\n")
    out("fuzz_ue_state", "full", golden.encode())
    out("fuzz_ue_state", "empty", b"mbms-ue-state 1\nkeyseq 0 0\nend\n")
    out("fuzz_ue_state", "truncated", golden[: len(golden) // 2].encode())
    out("fuzz_ue_state", "crlf", golden.replace("\n", "\r\n").encode())
    out("fuzz_ue_state", "after_end", (golden + "msk 00f110 01020003 1 1 3 - - " +
                                       "00" * 16 + "\n").encode())


SVC = "urn:example:mbms:news"


def rec_bmsc(flags, method, path, rt, ct, authz, port, body):
    parts = [method, path, rt, ct, authz, port]
    payload = b"\0".join(p.encode() for p in parts) + b"\0" + body
    return bytes([flags]) + struct.pack(">H", len(payload)) + payload


def bmsc_http():
    reg = ('<?xml version="1.0" encoding="UTF-8"?>\n<mbmsUserServiceRegistration xmlns="%s">'
           '<serviceId>%s</serviceId></mbmsUserServiceRegistration>' % (NS, SVC)).encode()
    dereg = reg.replace(b"mbmsUserServiceRegistration", b"mbmsUserServiceDeregistration")
    mskreq = ('<?xml version="1.0" encoding="UTF-8"?>\n<mbmsMSKRequest xmlns="%s">'
              '<keyDomainID>APEQ</keyDomainID><MSKID>AQIAAA==</MSKID></mbmsMSKRequest>'
              % NS).encode()
    ct_reg, ct_dereg = "application/mbms-register+xml", "application/mbms-deregister+xml"
    ct_msk = "application/mbms-msk+xml"
    r = rec_bmsc(1, "POST", "/keymanagement", "register", ct_reg, "", "43590", reg)
    m = rec_bmsc(1, "POST", "/keymanagement", "msk-request", ct_msk, "", "43590", mskreq)
    out("fuzz_bmsc_http", "register", r)
    out("fuzz_bmsc_http", "register_msk_ack", r + m + rec_bmsc(1 | 8 | 16, "POST", "/keymanagement",
                                                                  "msk-request", ct_msk, "",
                                                                  "43590", mskreq))
    out("fuzz_bmsc_http", "register_msk_retransmit",
        r + m + rec_bmsc(0x20 | 1, "POST", "/keymanagement", "deregister", ct_dereg, "", "",
                         dereg))
    out("fuzz_bmsc_http", "zn_unknown", rec_bmsc(1 | 4, "POST", "/keymanagement", "register",
                                                  ct_reg, "", "", reg))
    out("fuzz_bmsc_http", "zn_down", rec_bmsc(1 | 6, "POST", "/keymanagement", "register",
                                               ct_reg, "", "", reg))
    out("fuzz_bmsc_http", "announcement",
        rec_bmsc(0, "GET", "/announcement/urn%3Aexample%3Ambms%3Anews", "", "", "", "", b""))
    out("fuzz_bmsc_http", "wrong_media", rec_bmsc(1, "POST", "/keymanagement", "register",
                                                   "text/plain", "", "", reg))
    out("fuzz_bmsc_http", "doctype", rec_bmsc(1, "POST", "/keymanagement", "register", ct_reg,
                                               "", "", b'<!DOCTYPE x [<!ENTITY a "b">]>' + reg))
    out("fuzz_bmsc_http", "bad_authz", rec_bmsc(0, "POST", "/keymanagement", "register", ct_reg,
                                                 'Digest username="x", realm="y", nonce="z", '
                                                 'uri="/keymanagement?requesttype=register", '
                                                 'response="00", qop=auth-int, nc=00000001, '
                                                 'cnonce="c"', "", reg))


def gba_client():
    rand = bytes(range(0x40, 0x50))
    sqn = struct.pack(">Q", 0x20)[2:]
    btid = base64.b64encode(rand).decode() + "@bsf.mnc001.mcc001.pub.3gppnetwork.org"
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<BootstrappingInfo xmlns="uri:3gpp-gba">'
            '<btid>%s</btid><lifetime>2030-01-01T00:00:00Z</lifetime></BootstrappingInfo>'
            % btid).encode()
    out("fuzz_gba_client", "ok_no_rspauth", bytes([3]) + rand + sqn + b"\0" + body)
    out("fuzz_gba_client", "ok_bad_rspauth", bytes([1]) + rand + sqn +
        b'rspauth="0123456789abcdef0123456789abcdef", cnonce="0a4f2c9e81d3b775", nc=00000001, '
        b'qop=auth-int\0' + body)
    out("fuzz_gba_client", "resync", bytes([1 | 2 | 4]) + rand + sqn + b"\0" + body)
    nonce = base64.b64encode(rand + bytes(16)).decode()
    out("fuzz_gba_client", "given_challenge", bytes([2]) + rand + sqn +
        ('Digest realm="bsf.mnc001.mcc001.pub.3gppnetwork.org", nonce="%s", '
         'algorithm=AKAv1-MD5, qop="auth-int"' % nonce).encode() + b"\0\0" + body)


def main():
    ue_rx()
    ue_http()
    ue_state()
    bmsc_http()
    gba_client()
    return 0


if __name__ == "__main__":
    sys.exit(main())
