#!/usr/bin/env python3
"""Print the events of one or more daemon traces (docs/trace.md), merged and
sorted by time, one per line as tab-separated fields, for scripts/demo.sh:

    t_ms  from  to  proto  msg  status  msk_id  btid  mtk_id  note

t_ms is milliseconds since the epoch; an absent field is "-". Lines that are
not trace events are skipped (mbmssec trace reports them); a missing file
counts as empty (a daemon that has not written yet)."""
import datetime
import json
import signal
import sys


def events(paths):
    out = []
    for fi, path in enumerate(paths):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
        except FileNotFoundError:
            continue
        for li, line in enumerate(lines):
            try:
                ev = json.loads(line)
                t = datetime.datetime.strptime(ev["t"], "%Y-%m-%dT%H:%M:%S.%fZ")
            except (ValueError, KeyError, TypeError):
                continue
            t = t.replace(tzinfo=datetime.timezone.utc)
            ms = int(t.timestamp() * 1000 + 0.5)
            out.append((ms, fi, li, ev))
    out.sort(key=lambda e: (e[0], e[1], e[2]))
    return out


def field(ev, name):
    v = ev.get(name)
    if v is None:
        return "-"
    return str(v).replace("\t", " ").replace("\n", " ")


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # a reader that stops early
    for ms, _, _, ev in events(sys.argv[1:]):
        print("\t".join([str(ms)] + [field(ev, k) for k in
                                     ("from", "to", "proto", "msg", "status", "msk_id", "btid",
                                               "mtk_id", "note")]))


if __name__ == "__main__":
    main()
