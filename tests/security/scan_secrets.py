#!/usr/bin/env python3
"""No key in any log: the secrets scan of the security and fault tests.

    scan_secrets.py DIR [--secret TEXT]... [--key-hex HEX]...

Collects every secret the daemons of a test held, from the files under DIR
(recursively):
  * SQLite databases (*.db): every BLOB of 8 bytes or more (K, OPc, Ks,
    XRES, CK, IK, MUK, MSK, ...) and every text column made only of hex
    digits (32 or more);
  * mbms-ue key stores (*.state in the text format): every hex field of 28
    digits or more (Ks, MUKs, MSKs, MTKs, salts);
  * configurations (*.ini): k, op, opc, and every `secret` value;
  * what the caller adds (--secret: a password or shared secret as text,
    --key-hex: key bytes).
Then searches every other file (logs, traces, JSON, SVG, stdout captures)
for each key -- and each half of a 32-byte key (Ks = CK || IK) -- in
lower-case hex, upper-case hex and base64 (padded and not),
and each text secret as it is. Key files (*.db, *.db-wal, *.db-shm,
*.state, *.sqn, *.jsonl traces) must be mode 0600.
Prints a summary line; exit 1 on any finding.
"""
import base64
import os
import re
import sqlite3
import stat
import sys

KEY_FILES = re.compile(r"\.(db|db-wal|db-shm|state|sqn)$")
SKIP_SCAN = re.compile(r"\.(db|db-wal|db-shm|state|sqn|ini|tmp)$")
HEX_RE = re.compile(r"^[0-9a-fA-F]{28,}$")
RUN_RE = re.compile(r"[0-9A-Za-z+/=]{10,}")
# Not secret: RAND travels in the clear (the B-TID is base64(RAND)@host).
PUBLIC_COLUMNS = {"rand", "nonce", "btid", "impi", "service_id"}


def from_db(path, keys):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            cur = con.execute('SELECT * FROM "%s"' % t.replace('"', '""'))
            cols = [c[0].lower() for c in cur.description]
            for row in cur:
                for col, v in zip(cols, row):
                    if col in PUBLIC_COLUMNS or col.startswith("addr"):
                        continue
                    if isinstance(v, bytes) and len(v) >= 8:
                        keys.add(bytes(v))
                    elif isinstance(v, str) and len(v) >= 32 and HEX_RE.match(v):
                        keys.add(bytes.fromhex(v) if len(v) % 2 == 0 else v.encode())
        con.close()
    except sqlite3.Error as e:
        print("scan_secrets: %s: %s (skipped)" % (path, e), file=sys.stderr)


def from_state(path, keys):
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"mbms-ue-state"):
        return
    for tok in data.decode("ascii", "replace").split():
        if HEX_RE.match(tok) and len(tok) % 2 == 0:
            keys.add(bytes.fromhex(tok))


def from_ini(path, keys, texts):
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"\s*(k|op|opc|secret)\s*=\s*(.*?)\s*$", line)
            if not m:
                continue
            v = m.group(2)
            if len(v) >= 2 and v[0] == v[-1] == '"':
                v = v[1:-1]
            if m.group(1) == "secret":
                if len(v) >= 6:
                    texts.add(v)
            elif HEX_RE.match(v) or re.match(r"^[0-9a-fA-F]{32}$", v):
                keys.add(bytes.fromhex(v))


def forms(key):
    h = key.hex()
    b64 = base64.b64encode(key).decode()
    return {h, h.upper(), b64, b64.rstrip("=")}


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    root = args.pop(0)
    keys, texts = set(), set()
    while args:
        opt = args.pop(0)
        val = args.pop(0)
        if opt == "--secret":
            texts.add(val)
        elif opt == "--key-hex":
            keys.add(bytes.fromhex(val))
    files = []
    for d, _, names in os.walk(root):
        for n in names:
            files.append(os.path.join(d, n))
    bad = 0
    for p in files:
        if p.endswith(".db"):
            from_db(p, keys)
        elif p.endswith(".state"):
            from_state(p, keys)
        elif p.endswith(".ini"):
            from_ini(p, keys, texts)
        if (KEY_FILES.search(p) or p.endswith(".jsonl")) and os.path.exists(p):
            mode = stat.S_IMODE(os.stat(p).st_mode)
            if mode & 0o077:
                print("scan_secrets: %s has mode %o (not 0600)" % (p, mode))
                bad += 1
    # Ks = CK || IK: each half is a key too (and so is any 32-byte key's).
    keys |= {k[:16] for k in keys if len(k) == 32} | {k[16:] for k in keys if len(k) == 32}
    # Short or trivial values would match by chance; keys are random bytes.
    keys = {k for k in keys if len(k) >= 8 and len(set(k)) > 2}
    # Keys are found inside runs of hex / base64 characters: every window of
    # a key's encoded length in every run is looked up in a set (linear in
    # the size of the logs, whatever the number of keys: 10,000 UEs).
    by_len = {}
    for k in keys:
        for f in forms(k):
            by_len.setdefault(len(f), set()).add(f)
    scanned = 0
    for p in files:
        if SKIP_SCAN.search(p) or not os.path.isfile(p):
            continue
        with open(p, "rb") as f:
            text = f.read().decode("latin-1")
        scanned += 1
        found = set()
        for m in RUN_RE.finditer(text):
            run = m.group(0)
            for n, needles in by_len.items():
                for i in range(len(run) - n + 1):
                    if run[i:i + n] in needles:
                        found.add(run[i:i + n])
        found |= {t for t in texts if t and t in text}
        for n in sorted(found):
            print("scan_secrets: a secret (%s...) appears in %s" % (n[:6], p))
            bad += 1
    print("secrets scan: %d key(s) and %d text secret(s) searched in %d file(s): %s"
          % (len(keys), len(texts), scanned, "CLEAN" if bad == 0 else "%d finding(s)" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
