#!/usr/bin/env python3
"""Drive the bad-input table (tests/security/bad_inputs.tsv) against REAL
running daemons, one line per row; exit 1 on any mismatch.

    badinputs.py run        (environment from test_sec_bad_inputs.sh)
    badinputs.py markdown   (the table as docs/security.md shows it)

Each row of the TSV has an implementation here (@row("<id>")) that sends the
hostile input and returns what it observed, in the TSV's "expected" words:
"HTTP 413", "HTTP 200 item 404", "closed", "drop:<reason>" (read from the
UE's debug log line for that datagram, after checking that nothing was
installed and the UE is alive), "refused" / "accepted" (bmscd's udp_guard
counters), "rate-limited" (floods: see flood()). A row without an
implementation, or an implementation without a row, is a failure.
"""
import base64
import hashlib
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TSV = os.path.join(HERE, "bad_inputs.tsv")
NS = "urn:3gpp:mbms:keymanagement:2026"
SVC = "urn:example:mbms:news"
KD = bytes.fromhex("00f110")
KG = 0x0102
UA_MBMS = bytes.fromhex("0100000001")


def load_rows():
    rows = []
    with open(TSV, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if cols[0] == "id":
                continue
            if len(cols) != 4:
                raise SystemExit("bad_inputs.tsv: not 4 columns: %r" % line)
            rows.append(cols)
    return rows


def markdown():
    out = ["| # | id | target | hostile input | expected answer |",
           "|---|---|---|---|---|"]
    for i, (rid, target, inp, exp) in enumerate(load_rows(), 1):
        out.append("| %d | `%s` | %s | %s | %s |" % (i, rid, target, inp.replace("|", "\\|"), exp))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- environment

E = os.environ.get
FQDN = E("FQDN", "")
REALM = "3GPP-bootstrapping@" + FQDN
ROWS = {}


def row(rid):
    def deco(fn):
        ROWS[rid] = fn
        return fn
    return deco


def md5(s):
    if isinstance(s, str):
        s = s.encode()
    return hashlib.md5(s).hexdigest()


# ---------------------------------------------------------------- HTTP

def http_raw(port, data, timeout=15.0, chunks=None):
    """Send raw bytes (or a list of chunks), read the answer; (status,
    headers dict lower-case, body). status 0 when the server closed without
    answering."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            for c in (chunks if chunks is not None else [data]):
                s.sendall(c)
        except OSError:
            pass  # the server may answer and close before taking it all
        buf = b""
        while True:
            try:
                d = s.recv(65536)
            except (socket.timeout, OSError):
                break
            if not d:
                break
            buf += d
            head, sep, rest = buf.partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                if m and len(rest) >= int(m.group(1)):
                    break
    finally:
        s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d+)", lines[0]) if lines and lines[0] else None
    if not m:
        return 0, {}, b""
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return int(m.group(1)), hdrs, body


def request(method, target, headers=(), body=b"", port=None, host="127.0.0.1"):
    port = port or int(E("KM_PORT"))
    req = "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n" % (method, target, host)
    for k, v in headers:
        req += "%s: %s\r\n" % (k, v)
    if body is not None:
        req += "Content-Length: %d\r\n" % len(body)
    req = req.encode("latin-1") + b"\r\n" + (body or b"")
    return http_raw(port, req)


CT_REG = "application/mbms-register+xml"
CT_MSK = "application/mbms-msk+xml"


def reg_body(svc=SVC, extra=""):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<mbmsUserServiceRegistration xmlns="%s">'
            '<serviceId>%s</serviceId>%s</mbmsUserServiceRegistration>' % (NS, svc, extra)).encode()


def msk_body(kd_b64="APEQ", ids=("AQIAAA==",)):
    items = "".join("<MSKID>%s</MSKID>" % i for i in ids)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<mbmsMSKRequest xmlns="%s"><keyDomainID>%s'
            '</keyDomainID>%s</mbmsMSKRequest>' % (NS, kd_b64, items)).encode()


def uri_of(rt):
    return "/keymanagement?requesttype=" + rt


def fresh_nonce(rt="register", port=None):
    st, h, _ = request("POST", uri_of(rt), [("Content-Type", CT_REG)], reg_body(), port=port)
    m = re.search(r'nonce="([^"]+)"', h.get("www-authenticate", ""))
    if st != 401 or not m:
        raise RuntimeError("no challenge from port %s: %s %s" % (port, st, h))
    return m.group(1)


def authz(method, uri, body, nonce, nc="00000001", qop="auth-int", realm=None, pw=None,
          user=None, cnonce="0a4f2c9e81d3b775", sign_uri=None):
    realm = realm or REALM
    pw = pw if pw is not None else E("PW2")
    user = user or E("BTID2")
    ha1 = md5("%s:%s:%s" % (user, realm, pw))
    su = sign_uri or uri
    ha2 = md5("%s:%s:%s" % (method, su, md5(body))) if qop == "auth-int" else md5("%s:%s" % (method, su))
    resp = md5("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, qop, ha2))
    parts = ['username="%s"' % user, 'realm="%s"' % realm, 'nonce="%s"' % nonce, 'uri="%s"' % su,
             'response="%s"' % resp, "algorithm=MD5", "qop=%s" % qop, "nc=%s" % nc]
    if cnonce is not None:
        parts.append('cnonce="%s"' % cnonce)
    return "Digest " + ", ".join(parts)


def signed(rt, body, ct=CT_REG, extra=(), tamper=False, **kw):
    """A POST signed as UE2 with a nonce of its own; returns the answer."""
    nonce = kw.pop("nonce", None) or fresh_nonce(rt)
    a = authz("POST", uri_of(rt), body, nonce, **kw)
    if tamper:
        body = body[:len(body) // 2] + bytes([body[len(body) // 2] ^ 1]) + body[len(body) // 2 + 1:]
    hdrs = [("Authorization", a)] + list(extra)
    if ct is not None:
        hdrs.append(("Content-Type", ct))
    return request("POST", uri_of(rt), hdrs, body)


def answer(resp):
    st, _, body = resp
    if st != 200:
        return "HTTP %d" % st
    codes = re.findall(rb"<status>(\d+)</status>", body)
    return "HTTP 200 item " + ",".join(c.decode() for c in codes)


# ---------------------------------------------------------------- bmscd/km rows

@row("km-control-register")
def _():
    return answer(signed("register", reg_body()))


@row("km-body-64k-plus-1")
def _():
    pad = "<!--" + "x" * (64 * 1024) + "-->"
    body = reg_body()
    body = body.replace(b"?>\n", b"?>\n" + pad.encode(), 1)[: 64 * 1024 + 1]
    return answer(signed("register", body))


@row("km-body-1m")
def _():
    return answer(request("POST", uri_of("register"), [("Content-Type", CT_REG)],
                          b"<" * (1024 * 1024)))


@row("km-body-chunked-100k")
def _():
    head = ("POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: %s\r\n"
            "Transfer-Encoding: chunked\r\n\r\n" % (uri_of("register"), CT_REG)).encode()
    chunk = b"x" * 4096
    chunks = [head] + [b"1000\r\n" + chunk + b"\r\n"] * 25 + [b"0\r\n\r\n"]
    return answer(http_raw(int(E("KM_PORT")), None, chunks=chunks))


@row("km-header-64k")
def _():
    return answer(request("GET", "/announcement/x", [("X-Big", "a" * 65536)], None))


@row("km-headers-2000")
def _():
    return answer(request("GET", "/announcement/x", [("X-H%d" % i, "v") for i in range(2000)], None))


@row("km-authz-9k")
def _():
    a = 'Digest username="%s", realm="%s", opaque="%s"' % (E("BTID2"), REALM, "o" * 9300)
    return answer(request("POST", uri_of("register"), [("Authorization", a), ("Content-Type", CT_REG)],
                          reg_body()))


@row("km-xml-doctype")
def _():
    b = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e "urn:example:mbms:news">]>\n'
         '<mbmsUserServiceRegistration xmlns="%s"><serviceId>&e;</serviceId>'
         '</mbmsUserServiceRegistration>' % NS).encode()
    return answer(signed("register", b))


@row("km-xml-billion-laughs")
def _():
    ents = '<!ENTITY l0 "lol">' + "".join('<!ENTITY l%d "%s">' % (i, ("&l%d;" % (i - 1)) * 10)
                                           for i in range(1, 10))
    b = ('<?xml version="1.0"?>\n<!DOCTYPE r [%s]>\n<mbmsUserServiceRegistration xmlns="%s">'
         '<serviceId>&l9;</serviceId></mbmsUserServiceRegistration>' % (ents, NS)).encode()
    t0 = time.time()
    r = answer(signed("register", b))
    if time.time() - t0 > 5:
        return r + " (slow: %.1fs)" % (time.time() - t0)
    return r


@row("km-xml-xxe")
def _():
    b = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
         '<mbmsUserServiceRegistration xmlns="%s"><serviceId>&x;</serviceId>'
         '</mbmsUserServiceRegistration>' % NS).encode()
    return answer(signed("register", b))


@row("km-xml-no-namespace")
def _():
    return answer(signed("register", reg_body().replace((' xmlns="%s"' % NS).encode(), b"")))


@row("km-xml-unknown-element")
def _():
    return answer(signed("register", reg_body(extra="<admin>true</admin>")))


@row("km-xml-bad-utf8")
def _():
    return answer(signed("register", reg_body(svc="urn:example:\xff\xfe").replace(
        "urn:example:\xff\xfe".encode(), b"urn:example:\xff\xfe")))


@row("km-xml-65-items")
def _():
    return answer(signed("msk-request", msk_body(ids=["AQIAAA=="] * 65), ct=CT_MSK))


@row("km-media-text-plain")
def _():
    return answer(signed("register", reg_body(), ct="text/plain"))


@row("km-media-mismatch")
def _():
    return answer(signed("register", reg_body(), ct=CT_MSK))


@row("km-media-missing")
def _():
    return answer(signed("register", reg_body(), ct=None))


@row("km-b64-keydomain")
def _():
    return answer(signed("msk-request", msk_body(kd_b64="!!!!"), ct=CT_MSK))


@row("km-b64-mskid")
def _():
    return answer(signed("msk-request", msk_body(ids=["AQI*AA=="]), ct=CT_MSK))


@row("km-len-keydomain")
def _():
    return answer(signed("msk-request", msk_body(kd_b64="APEQAA=="), ct=CT_MSK))


@row("km-len-mskid")
def _():
    return answer(signed("msk-request", msk_body(ids=["AQIA"]), ct=CT_MSK))


@row("km-unknown-keydomain")
def _():
    return answer(signed("msk-request", msk_body(kd_b64=base64.b64encode(bytes.fromhex("00f120")).decode()),
                         ct=CT_MSK))


@row("km-unknown-keygroup")
def _():
    return answer(signed("msk-request", msk_body(ids=[base64.b64encode(bytes.fromhex("77770000")).decode()]),
                         ct=CT_MSK))


@row("km-unknown-keynumber")
def _():
    return answer(signed("msk-request", msk_body(ids=[base64.b64encode(bytes.fromhex("0102fffe")).decode()]),
                         ct=CT_MSK))


@row("km-ue-port-range")
def _():
    return answer(signed("register", reg_body(), extra=[("X-MBMS-UE-Port", "99999")]))


@row("km-ue-port-text")
def _():
    return answer(signed("register", reg_body(), extra=[("X-MBMS-UE-Port", "43x")]))


@row("km-requesttype-unknown")
def _():
    return answer(request("POST", uri_of("drop-tables"), [("Content-Type", CT_REG)], reg_body()))


@row("km-method-put")
def _():
    return answer(request("PUT", uri_of("register"), [("Content-Type", CT_REG)], reg_body()))


@row("km-path-traversal")
def _():
    return answer(request("GET", "/announcement/..%2F..%2Fetc%2Fpasswd", [], None))


# ---------------------------------------------------------------- Digest rows

@row("dg-no-authorization")
def _():
    return answer(request("POST", uri_of("register"), [("Content-Type", CT_REG)], reg_body()))


@row("dg-replay-same-nc")
def _():
    nonce = fresh_nonce()
    a = authz("POST", uri_of("register"), reg_body(), nonce, nc="00000001")
    first = request("POST", uri_of("register"), [("Authorization", a), ("Content-Type", CT_REG)], reg_body())
    if first[0] != 200:
        return "first not 200: " + answer(first)
    return answer(request("POST", uri_of("register"), [("Authorization", a), ("Content-Type", CT_REG)],
                          reg_body()))


@row("dg-nc-lower")
def _():
    nonce = fresh_nonce()
    first = signed("register", reg_body(), nonce=nonce, nc="00000005")
    if first[0] != 200:
        return "first not 200: " + answer(first)
    return answer(signed("register", reg_body(), nonce=nonce, nc="00000004"))


@row("dg-nonce-other-server")
def _():
    nonce = fresh_nonce(port=int(E("KM2_PORT")))
    return answer(signed("register", reg_body(), nonce=nonce))


@row("dg-nonce-forged")
def _():
    nonce = base64.b64encode(struct.pack(">Q", int(time.time())) + os.urandom(24)).decode()
    return answer(signed("register", reg_body(), nonce=nonce))


@row("dg-realm-mismatch")
def _():
    return answer(signed("register", reg_body(), realm="3GPP-bootstrapping@evil.example.org"))


@row("dg-uri-mismatch")
def _():
    nonce = fresh_nonce("msk-request")
    a = authz("POST", uri_of("msk-request"), msk_body(), nonce, sign_uri=uri_of("register"))
    return answer(request("POST", uri_of("msk-request"), [("Authorization", a), ("Content-Type", CT_MSK)],
                          msk_body()))


@row("dg-auth-int-modified")
def _():
    return answer(signed("register", reg_body(), tamper=True))


@row("dg-qop-auth")
def _():
    return answer(signed("register", reg_body(), qop="auth"))


@row("dg-wrong-password")
def _():
    return answer(signed("register", reg_body(), pw=base64.b64encode(os.urandom(32)).decode()))


@row("dg-unknown-btid")
def _():
    return answer(signed("register", reg_body(), user="AAAAAAAAAAAAAAAAAAAAAA==@" + E("BSF_HOST")))


@row("dg-basic-scheme")
def _():
    cred = base64.b64encode(("%s:%s" % (E("BTID2"), E("PW2"))).encode()).decode()
    return answer(request("POST", uri_of("register"), [("Authorization", "Basic " + cred),
                                                        ("Content-Type", CT_REG)], reg_body()))


@row("dg-no-cnonce")
def _():
    return answer(signed("register", reg_body(), cnonce=None))


# ---------------------------------------------------------------- slow clients

def slow(port, head, body=None, step=2.0, limit=45.0):
    """Trickle head (then body) one byte per step; 'closed' when the server
    drops us between 25 and `limit` seconds, else what happened."""
    t0 = time.time()
    s = socket.create_connection(("127.0.0.1", port), timeout=limit + 5)
    data = list(head) if body is None else None
    try:
        if body is not None:
            s.sendall(head)
            data = list(body)
        s.settimeout(step)
        while time.time() - t0 < limit:
            if data:
                try:
                    s.send(bytes([data.pop(0)]))
                except OSError:
                    break
            try:
                d = s.recv(4096)
                if not d:
                    break
                if d.startswith(b"HTTP/"):
                    # an answer before the request is complete is a close too
                    s.settimeout(1)
            except socket.timeout:
                continue
            except OSError:
                break
    finally:
        s.close()
    t = time.time() - t0
    if t >= limit:
        return "still open after %.0fs" % t
    if t < 25:
        return "closed early (%.0fs)" % t
    return "closed"


SLOW_RESULTS = {}


def start_slow():
    km, ub = int(E("KM_PORT")), int(E("UB_PORT"))
    body = reg_body()
    jobs = {
        "km-slow-headers": lambda: slow(km, ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                                             "X-Pad: %s\r\n" % (uri_of("register"), CT_REG, "p" * 64)).encode()),
        "km-slow-body": lambda: slow(km, ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                                          "Content-Length: %d\r\n\r\n" % (uri_of("register"), CT_REG,
                                                                        len(body))).encode(), body),
        "km-idle": lambda: slow(km, b"", step=2.0),
        "ub-slow-headers": lambda: slow(ub, ("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: a 3gpp-gba\r\n"
                                             "X-Pad: %s\r\n" % ("p" * 64)).encode()),
    }
    threads = []
    for rid, fn in jobs.items():
        def run(rid=rid, fn=fn):
            try:
                SLOW_RESULTS[rid] = fn()
            except Exception as e:  # noqa: BLE001 - reported as the row's answer
                SLOW_RESULTS[rid] = "error: %s" % e
        t = threading.Thread(target=run, daemon=True)
        t.start()
        threads.append(t)
    return threads


for _rid in ("km-slow-headers", "km-slow-body", "km-idle", "ub-slow-headers"):
    ROWS[_rid] = (lambda rid: (lambda: SLOW_RESULTS.get(rid, "no result")))(_rid)


# ---------------------------------------------------------------- bsfd rows

UB_UA = "badinputs/0.1 3gpp-gba"


def ub(headers):
    return answer(request("GET", "/", headers, None, port=int(E("UB_PORT")), host=E("BSF_HOST")))


def ub_first(impi, ua=UB_UA):
    return [("User-Agent", ua), ("Authorization", 'Digest username="%s", realm="%s", nonce="", uri="/", '
                                  'response=""' % (impi, E("BSF_HOST")))]


def ub_answer(impi, nonce, realm=None):
    return [("User-Agent", UB_UA),
            ("Authorization", 'Digest username="%s", realm="%s", nonce="%s", uri="/", response="%s", '
             'algorithm=AKAv1-MD5, qop=auth-int, nc=00000001, cnonce="abcdef0123456789"'
             % (impi, realm or E("BSF_HOST"), nonce, "0" * 32))]


@row("ub-no-authorization")
def _():
    return ub([("User-Agent", UB_UA)])


@row("ub-no-3gpp-gba")
def _():
    return ub(ub_first(E("IMPI3"), ua="curl/7.88"))


@row("ub-unknown-impi")
def _():
    return ub(ub_first("999999999999999@ims.example.org"))


@row("ub-nonce-bad-base64")
def _():
    return ub(ub_answer(E("IMPI3"), "!!!!" * 11))


@row("ub-nonce-short")
def _():
    return ub(ub_answer(E("IMPI3"), base64.b64encode(os.urandom(16)).decode()))


@row("ub-nonce-unknown")
def _():
    return ub(ub_answer(E("IMPI3"), base64.b64encode(os.urandom(32)).decode()))


@row("ub-realm-mismatch")
def _():
    st, h, _ = request("GET", "/", ub_first(E("IMPI3")), None, port=int(E("UB_PORT")))
    m = re.search(r'nonce="([^"]+)"', h.get("www-authenticate", ""))
    if st != 401 or not m:
        return "no challenge: HTTP %d" % st
    return ub(ub_answer(E("IMPI3"), m.group(1), realm="other.example.org"))


@row("ub-body-64k-plus-1")
def _():
    return answer(request("GET", "/", ub_first(E("IMPI3")), b"x" * (64 * 1024 + 1), port=int(E("UB_PORT"))))


@row("ub-header-64k")
def _():
    return ub([("User-Agent", UB_UA), ("X-Big", "b" * 65536)])


def zn(btid, naf_fqdn=None, secret=None, auth=True, naf_hex=None):
    naf = naf_hex or ((naf_fqdn or FQDN).encode() + UA_MBMS).hex()
    target = "/zn/v1/bootstrap?btid=%s&naf_id=%s" % (urllib.parse.quote(btid, safe=""), naf)
    hdrs = []
    if auth:
        cred = base64.b64encode(("%s:%s" % (FQDN, secret if secret is not None else E("ZN_SECRET"))).encode())
        hdrs.append(("Authorization", "Basic " + cred.decode()))
    return answer(request("GET", target, hdrs, None, port=int(E("ZN_PORT"))))


@row("zn-no-auth")
def _():
    return zn(E("BTID2"), auth=False)


@row("zn-wrong-secret")
def _():
    return zn(E("BTID2"), secret="not-the-secret")


@row("zn-other-naf")
def _():
    return zn(E("BTID2"), naf_fqdn="other-naf.example.org")


@row("zn-naf-id-not-hex")
def _():
    return zn(E("BTID2"), naf_hex="zz" + (FQDN.encode() + UA_MBMS).hex())


@row("zn-unknown-btid")
def _():
    return zn("AAAAAAAAAAAAAAAAAAAAAA==@" + E("BSF_HOST"))


# ---------------------------------------------------------------- MIKEY

def hdr(data_type, next_pt, csb, v=False):
    return bytes([1, data_type, next_pt, 0x80 if v else 0]) + struct.pack(">I", csb) + bytes([0, 1])


def p_ext(nxt, kid_type, kid):
    data = bytes([kid_type]) + struct.pack(">H", len(kid)) + kid
    return bytes([nxt, 2]) + struct.pack(">H", len(data)) + data


def p_t(nxt, ctr):
    return bytes([nxt, 2]) + struct.pack(">I", ctr)


def p_rand(nxt, r):
    return bytes([nxt, len(r)]) + r


def p_id(nxt, s):
    return bytes([nxt, 1]) + struct.pack(">H", len(s)) + s


def p_kemac(plain):
    return bytes([0, 1]) + struct.pack(">H", len(plain)) + plain + bytes([1]) + bytes(20)


def msk_message(msk_id, ctr, msk, idi, idr, kd=KD, vf=1, vt=100, v=True):
    key = bytes([0, 0x02]) + struct.pack(">H", 16) + msk + bytes([2]) + struct.pack(">H", vf) + \
        bytes([2]) + struct.pack(">H", vt)
    return (hdr(0, 21, msk_id, v) + p_ext(5, 1, kd + struct.pack(">I", msk_id)) + p_t(11, ctr) +
            p_rand(6, os.urandom(16)) + p_id(6, idi) + p_id(1, idr) + p_kemac(key))


def mtk_message(msk_id, mtk_id, ctr, kd=KD):
    spi = struct.pack(">IH", msk_id, mtk_id)
    key = bytes([0, 0x31]) + struct.pack(">H", 16) + os.urandom(16) + struct.pack(">H", 14) + \
        os.urandom(14) + bytes([6]) + spi
    return (hdr(0, 21, msk_id) + p_ext(5, 2, kd + spi) + p_t(11, ctr) + p_rand(1, os.urandom(16)) +
            p_kemac(key))


def seal(key, msg, mode="seal"):
    out = subprocess.run([E("SEAL"), mode, "--key", key.hex(), msg.hex()], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("sec_mikey_seal: " + out.stderr.strip())
    return bytes.fromhex(out.stdout.strip())


def flip_mac(msg):
    return msg[:-1] + bytes([msg[-1] ^ 0x01])


class UEState:
    """What the UE's key store says (mbms-ue keeps it current on disk)."""

    def __init__(self):
        with open(E("UE_STATE")) as f:
            text = f.read()
        self.muk = self.idr = None
        self.muk_counter = 0
        self.msks = []
        for ln in text.splitlines():
            t = ln.split(" ")
            if t[0] == "muk" and t[2] == "cur":
                self.idr = t[3].encode()
                self.muk_counter = 0 if t[4] == "-" else int(t[4])
                self.muk = bytes.fromhex(t[5])
            elif t[0] == "msk":
                self.msks.append({"id": int(t[2], 16), "vf": int(t[3]), "vt": int(t[4]),
                                  "counter": 0 if t[6] == "-" else int(t[6]),
                                  "mtk": None if t[7] == "-" else int(t[7]), "key": bytes.fromhex(t[8])})
        self.msks.sort(key=lambda m: m["id"])

    def summary(self):
        return [(m["id"], m["counter"], m["mtk"]) for m in self.msks], self.muk_counter


UE_SOCK = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
UE_SOCK.bind(("127.0.0.1", 0))


def ue_send(port_kind, msg, expect_change=False):
    """Send a datagram to the UE, return 'drop:<reason>' or 'accepted' from
    its log line for it; checks that a drop changed nothing."""
    before = UEState().summary()
    log = E("UE_LOG")
    off = os.path.getsize(log)
    port = int(E("UE_MIKEY_PORT") if port_kind == "MIKEY" else E("UE_MTK_PORT"))
    UE_SOCK.sendto(msg, ("127.0.0.1", port))
    pat = re.compile(r"%s datagram of %d bytes: (\S+)" % (port_kind, len(msg)))
    reason = None
    for _ in range(100):
        with open(log, encoding="utf-8", errors="replace") as f:
            f.seek(off)
            m = pat.search(f.read())
        if m:
            reason = m.group(1)
            break
        time.sleep(0.05)
    if not reason:
        return "no log line for the datagram"
    if subprocess.run(["kill", "-0", E("UE_PID")]).returncode != 0:
        return "the UE died"
    if reason == "accepted":
        # the UE logs the acceptance, then writes its key store: wait for the
        # store, or the next row's "before" may still be the old one
        for _ in range(40):
            if UEState().summary() != before:
                break
            time.sleep(0.05)
        return "accepted"
    time.sleep(0.05)
    after = UEState().summary()
    if after != before:
        return "drop:%s BUT the key store changed %s -> %s" % (reason, before, after)
    return "drop:" + reason


def cur_msk(st):
    mine = [m for m in st.msks if (m["id"] >> 16) == KG]
    return mine[-1]


@row("ue-empty")
def _():
    return ue_send("MIKEY", b"")


@row("ue-garbage")
def _():
    return ue_send("MIKEY", b"\xab" + os.urandom(1199))


def valid_msk_plain(st, ctr=None, **kw):
    m = cur_msk(st)
    args = dict(msk_id=m["id"], ctr=st.muk_counter + 1 if ctr is None else ctr, msk=m["key"],
                idi=FQDN.encode(), idr=st.idr, vf=m["vf"], vt=m["vt"])
    args.update(kw)
    return msk_message(**args)


@row("ue-truncated")
def _():
    return ue_send("MIKEY", valid_msk_plain(UEState())[:40])


@row("ue-length-lie")
def _():
    st = UEState()
    m = bytearray(valid_msk_plain(st))
    at = m.find(st.idr)
    struct.pack_into(">H", m, at - 2, 0x4000)
    return ue_send("MIKEY", bytes(m))


@row("ue-unknown-payload")
def _():
    st = UEState()
    m = bytearray(valid_msk_plain(st))
    # the RAND payload's "next" (byte 0 of RAND) says ID (6): make it 99
    rand_at = m.find(bytes([6, 16]))
    m[rand_at] = 99
    return ue_send("MIKEY", bytes(m))


@row("ue-trailing-bytes")
def _():
    st = UEState()
    return ue_send("MIKEY", seal(st.muk, valid_msk_plain(st, ctr=st.muk_counter + 100)) + b"\0\0\0")


@row("ue-bad-mac")
def _():
    st = UEState()
    return ue_send("MIKEY", flip_mac(seal(st.muk, valid_msk_plain(st, ctr=st.muk_counter + 100))))


@row("ue-replayed-counter")
def _():
    st = UEState()
    if not st.muk_counter:
        return "setup: the UE has accepted no counter yet"
    return ue_send("MIKEY", seal(st.muk, valid_msk_plain(st, ctr=st.muk_counter)))


@row("ue-wrong-idr")
def _():
    st = UEState()
    return ue_send("MIKEY", seal(st.muk, valid_msk_plain(st, ctr=st.muk_counter + 100,
                                                          idr=b"AAAAAAAAAAAAAAAAAAAAAA==@" + E("BSF_HOST").encode())))


@row("ue-wrong-idi")
def _():
    st = UEState()
    return ue_send("MIKEY", seal(st.muk, valid_msk_plain(st, ctr=st.muk_counter + 100,
                                                          idi=b"bmsc.evil.example.org")))


@row("ue-key-number-0")
def _():
    st = UEState()
    return ue_send("MIKEY", seal(st.muk, valid_msk_plain(st, ctr=st.muk_counter + 100, msk_id=KG << 16)))


@row("ue-unknown-key-domain")
def _():
    st = UEState()
    return ue_send("MIKEY", seal(st.muk, valid_msk_plain(st, ctr=st.muk_counter + 100,
                                                          kd=bytes.fromhex("00f120"))))


@row("ue-verification-msg")
def _():
    st = UEState()
    m = seal(st.muk, valid_msk_plain(st, ctr=st.muk_counter + 100))
    return ue_send("MIKEY", seal(st.muk, m, mode="ack"))


@row("ue-mtk-on-mikey-port")
def _():
    st = UEState()
    m = cur_msk(st)
    return ue_send("MIKEY", seal(m["key"], mtk_message(m["id"], 40, m["counter"] + 900)))


MTK_BASE = {}


def mtk_base():
    """MTK ID and per-MSK counter of the control row, above what the UE holds."""
    if not MTK_BASE:
        m = cur_msk(UEState())
        MTK_BASE["ctr"] = m["counter"] + 1000
        MTK_BASE["id"] = (m["mtk"] or 0) + 10
    return MTK_BASE


def mtk_row(dmtk, dctr, msk_id=None, flip=False, mtk_id=None):
    b = mtk_base()
    m = cur_msk(UEState())
    mid = mtk_id if mtk_id is not None else b["id"] + dmtk
    msg = seal(m["key"], mtk_message(msk_id if msk_id is not None else m["id"], mid, b["ctr"] + dctr))
    return ue_send("MTK", flip_mac(msg) if flip else msg)


@row("mtk-control")
def _():
    return mtk_row(0, 0)


@row("mtk-not-newer")
def _():
    return mtk_row(0, 1)


@row("mtk-out-of-range")
def _():
    return mtk_row(0, 2, mtk_id=cur_msk(UEState())["vt"] + 1)


@row("mtk-key-number-0")
def _():
    return mtk_row(1, 3, msk_id=KG << 16)


@row("mtk-bad-mac")
def _():
    return mtk_row(2, 4, flip=True)


@row("mtk-replayed-counter")
def _():
    return mtk_row(3, 0)


# ---------------------------------------------------------------- bmscd/mikey

def bm_status():
    with urllib.request.urlopen("http://%s/status" % E("ADMIN"), timeout=10) as r:
        return json.load(r)


def guard():
    return bm_status()["udp_guard"]


BM_SOCK = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
BM_SOCK.bind(("127.0.0.1", 0))


def bm_send(msg, sock=None):
    g0 = guard()
    (sock or BM_SOCK).sendto(msg, ("127.0.0.1", int(E("BM_MIKEY_PORT"))))
    def settled(g):  # every datagram read has been counted as what it became
        return g["accepted"] + g["refused"] + g["dropped_unread"]
    for _ in range(100):
        g1 = guard()
        if g1["received"] > g0["received"] and settled(g1) > settled(g0):
            break
        time.sleep(0.05)
    else:
        return "not received"
    if subprocess.run(["kill", "-0", E("BM_PID")]).returncode != 0:
        return "bmscd died"
    if g1["accepted"] > g0["accepted"]:
        return "accepted"
    if g1["refused"] > g0["refused"]:
        return "refused"
    return "dropped unread"


@row("bm-garbage")
def _():
    return bm_send(os.urandom(512))


@row("bm-empty")
def _():
    return bm_send(b"")


@row("bm-msk-message")
def _():
    st = UEState()
    return bm_send(valid_msk_plain(st))


ACK = {}


def ack_setup():
    """UE2, played here: register and ask for the current MSK with our own
    UDP port, take the push, build its verification message."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = str(sock.getsockname()[1])
    r = signed("register", reg_body(), extra=[("X-MBMS-UE-Port", port)])
    if r[0] != 200:
        raise RuntimeError("UE2 register: " + answer(r))
    r = signed("msk-request", msk_body(), ct=CT_MSK, extra=[("X-MBMS-UE-Port", port)])
    if answer(r) != "HTTP 200 item 200":
        raise RuntimeError("UE2 MSK request: " + answer(r))
    sock.settimeout(10)
    push, src = sock.recvfrom(4096)
    muk = base64.b64decode(E("PW2"))
    ACK["ack"] = seal(muk, push, mode="ack")
    ACK["sock"] = sock


@row("bm-ack-truncated")
def _():
    if "ack" not in ACK:
        ack_setup()
    return bm_send(ACK["ack"][:12], ACK["sock"])


@row("bm-ack-forged-mac")
def _():
    return bm_send(flip_mac(ACK["ack"]), ACK["sock"])


@row("bm-ack-control")
def _():
    return bm_send(ACK["ack"], ACK["sock"])


@row("bm-ack-replay")
def _():
    return bm_send(ACK["ack"], ACK["sock"])


# ---------------------------------------------------------------- floods

def rss_kb(pid):
    with open("/proc/%s/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return 0


RSS_SLACK_KB = int(E("RSS_SLACK_KB", "4096"))
FLOOD_N = int(E("FLOOD_N", "100000"))


def blast(dst, payloads, socks=1, n=FLOOD_N, seconds=30.0):
    ss = []
    for _ in range(socks):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        ss.append(s)
    t0 = time.time()
    sent = 0
    per = n // socks
    for s in ss:
        for i in range(per):
            try:
                s.sendto(payloads[i % len(payloads)], dst)
                sent += 1
            except BlockingIOError:
                time.sleep(0.0005)
            if time.time() - t0 > seconds:
                break
    for s in ss:
        s.close()
    return sent, time.time() - t0


def responsive():
    t0 = time.time()
    st = urllib.request.urlopen("http://127.0.0.1:%s/announcement/%s" % (E("KM_PORT"), urllib.parse.quote(SVC, safe="")),
                                timeout=5).status
    bm_status()
    return st == 200 and time.time() - t0 < 2.0


def flood_bmscd(socks, n):
    pid = E("BM_PID")
    rss0, g0 = rss_kb(pid), guard()
    payloads = [os.urandom(random.randint(20, 300)) for _ in range(64)]
    sent, secs = blast(("127.0.0.1", int(E("BM_MIKEY_PORT"))), payloads, socks, n)
    time.sleep(1.0)
    g1 = guard()
    rss1 = rss_kb(pid)
    got = g1["received"] - g0["received"]
    processed = (g1["accepted"] + g1["refused"]) - (g0["accepted"] + g0["refused"])
    unread = g1["dropped_unread"] - g0["dropped_unread"]
    allowance = socks * (64 + 20 * (secs + 2)) + 10
    facts = "sent %d in %.1fs, bmscd read %d: %d parsed (allowance %d), %d dropped unread, RSS %+d KiB" % (
        sent, secs, got, processed, allowance, unread, rss1 - rss0)
    print("#   " + facts)
    STATS.setdefault("floods", []).append(facts)
    STATS["flood_datagrams"] = STATS.get("flood_datagrams", 0) + sent
    if subprocess.run(["kill", "-0", pid]).returncode != 0:
        return "bmscd died"
    if processed > allowance or unread + processed != got or unread == 0:
        return "not rate-limited: " + facts
    if rss1 - rss0 > RSS_SLACK_KB:
        return "RSS grew: " + facts
    if not responsive():
        return "not responsive after the flood"
    return "rate-limited"


@row("flood-bmscd")
def _():
    return flood_bmscd(1, FLOOD_N)


@row("flood-many-sources")
def _():
    return flood_bmscd(64, FLOOD_N * 64 // 100)


def flood_ue(port_kind):
    pid = E("UE_PID")
    log = E("UE_LOG")
    rss0, size0 = rss_kb(pid), os.path.getsize(log)
    st = UEState()
    before = st.summary()
    if port_kind == "MTK":
        m = cur_msk(st)
        base = seal(m["key"], mtk_message(m["id"], 7, m["counter"] + 5000))
        payloads = [flip_mac(base[:-2] + os.urandom(2)) for _ in range(64)]
        port = int(E("UE_MTK_PORT"))
    else:
        payloads = [b"\x01" + os.urandom(random.randint(20, 300)) for _ in range(64)]
        port = int(E("UE_MIKEY_PORT"))
    sent, secs = blast(("127.0.0.1", port), payloads, 1, FLOOD_N)
    time.sleep(1.0)
    rss1, grown = rss_kb(pid), os.path.getsize(log) - size0
    with open(log, encoding="utf-8", errors="replace") as f:
        f.seek(size0)
        tail = f.read()
    lines = len(re.findall(r"%s datagram of" % port_kind, tail))
    facts = "sent %d in %.1fs, the UE parsed %d (log +%d KiB), RSS %+d KiB" % (
        sent, secs, lines, grown // 1024, rss1 - rss0)
    print("#   " + facts)
    STATS.setdefault("floods", []).append(facts)
    STATS["flood_datagrams"] = STATS.get("flood_datagrams", 0) + sent
    if subprocess.run(["kill", "-0", pid]).returncode != 0:
        return "the UE died"
    with open(log, encoding="utf-8", errors="replace") as f:
        whole = f.read()
    # the report itself comes at most once per 10 s
    if "dropped unread" not in whole:
        return "no rate-limit report in the UE log: " + facts
    if lines > 64 + 20 * (secs + 2) + 10:
        return "not rate-limited: " + facts
    if rss1 - rss0 > RSS_SLACK_KB:
        return "RSS grew: " + facts
    if UEState().summary() != before:
        return "the key store changed during the flood"
    return "rate-limited"


@row("flood-ue-mikey")
def _():
    return flood_ue("MIKEY")


@row("flood-ue-mtk")
def _():
    return flood_ue("MTK")


# ---------------------------------------------------------------- main

STATS = {}


def run():
    rows = load_rows()
    ids = [r[0] for r in rows]
    missing = [i for i in ids if i not in ROWS]
    extra = [i for i in ROWS if i not in ids]
    bad = 0
    if missing or extra:
        print("FAIL: rows without implementation %s, implementations without row %s" % (missing, extra))
        bad += 1
    slow_threads = start_slow()
    t0 = time.time()
    slow_ids = {"km-slow-headers", "km-slow-body", "km-idle", "ub-slow-headers"}
    for rid, target, inp, exp in rows:
        if rid in slow_ids or rid not in ROWS:
            continue
        try:
            got = ROWS[rid]()
        except Exception as e:  # noqa: BLE001 - a crash of a row is its answer
            got = "error: %s: %s" % (type(e).__name__, e)
        ok = got == exp
        bad += 0 if ok else 1
        print("%s %-24s %-12s expected %-22s got %s" % ("ok  " if ok else "FAIL", rid, target, exp, got))
        sys.stdout.flush()
    for t in slow_threads:
        t.join(timeout=max(1, 60 - (time.time() - t0)))
    for rid, target, inp, exp in rows:
        if rid not in slow_ids:
            continue
        got = ROWS[rid]()
        ok = got == exp
        bad += 0 if ok else 1
        print("%s %-24s %-12s expected %-22s got %s" % ("ok  " if ok else "FAIL", rid, target, exp, got))
    print("bad-input table: %d rows, %d as expected, %d mismatches; %d flood datagrams" % (
        len(rows), len(rows) - bad, bad, STATS.get("flood_datagrams", 0)))
    with open(E("STATS_OUT", "/dev/null"), "w") as f:
        json.dump({"rows": len(rows), "mismatches": bad,
                   "flood_datagrams": STATS.get("flood_datagrams", 0),
                   "floods": STATS.get("floods", [])}, f)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "markdown":
        sys.stdout.write(markdown())
        sys.exit(0)
    sys.exit(run())
