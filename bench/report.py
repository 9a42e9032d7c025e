#!/usr/bin/env python3
"""Turn the JSON lines of the figure providers into bench/results.json and
docs/benchmarks.md (called by bench/run.sh).

usage: report.py RAW.jsonl RESULTS.json BENCHMARKS.md [SECONDS]

Records (one JSON object per line):
  machine  what ran it (bench/run.sh)
  figure   id, title, unit, ours_name, baseline_name, ours_ns, baseline_ns,
           ratio, ratio_meaning, target_op ("<=" or ">="), target, met,
           reps, *_runs, layout; or status "not run" with a reason
  info     group, name, ns, note: split timings and side measurements
  measure  group, name, value, unit, [target_op, target], note: a value with
           its own target (memory of the daemons, figure 6)
  error    a provider that failed
A figure whose target is an absolute value of "ours" (figure 4: seconds)
carries target_kind "absolute", target_unit, ours_value, and may give
ours_text / baseline_text for the tables and details (a list of lines).
The hand-written part of docs/benchmarks.md (method, optimisation log) is
bench/notes.md, appended as it is.
"""
import json
import os
import sys


def load(path):
    recs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict) or "kind" not in rec:
                    rec = {"kind": "error", "provider": "?",
                           "log": "line %d is not a record: %s" % (n, line[:200])}
                recs.append(rec)
            except json.JSONDecodeError as e:
                recs.append({"kind": "error", "provider": "?",
                             "log": "line %d is not JSON (%s): %s" % (n, e, line[:200])})
    return recs


def per_s(ns):
    v = 1e9 / ns
    if v >= 1e6:
        return "%.2fM/s" % (v / 1e6)
    return "%.0fk/s" % (v / 1e3)


def time_str(ns):
    if ns >= 1e9:
        return "%.2f s" % (ns / 1e9)
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    return "%.2f µs" % (ns / 1000) if ns >= 1000 else "%.0f ns" % ns


def met_of(fig):
    if fig.get("status") == "not run" or fig.get("target") is None:
        return None
    if fig.get("target_kind") == "absolute":
        v, t = fig["ours_value"], fig["target"]
        return v <= t if fig["target_op"] == "<=" else v >= t
    r, t = fig["ratio"], fig["target"]
    return r <= t if fig["target_op"] == "<=" else r >= t


README_BEGIN = "<!-- bench-table: written by make bench (bench/report.py) from bench/results.json -->"
README_END = "<!-- /bench-table -->"


def readme_rows(result):
    """The README's performance table, from results.json only."""
    def fig(i):
        return next((f for f in result["figures"] if f["id"] == i), None)

    def meas(prefix):
        return next((m for m in result["measures"] if m["name"].startswith(prefix)), None)

    def met(ok, op, target, unit=""):
        sign = "≤" if op == "<=" else "≥"
        return "%s %g%s %s" % (sign, target, unit, "met" if ok else "**not met**")

    rows = ["| figure | ours | baseline | ratio | target |", "|---|---|---|---|---|"]
    for i, base in ((1, "crypto floor"), (2, "crypto floor"), (3, "gstmikey")):
        f = fig(i)
        if not f or f.get("status") == "not run":
            continue
        rows.append("| %s | %s | %s %s | %.2f× | %s |" % (
            f["title"], f.get("ours_text") or per_s(f["ours_ns"]), base,
            f.get("baseline_text") or per_s(f["baseline_ns"]), f["ratio"],
            met(f["met"], f["target_op"], f["target"], "×")))
    f = fig(4)
    if f and f.get("status") != "not run":
        rows.append("| %s | %s | sendmmsg alone %s | %.1f× | %s |" % (
            f["title"], f["ours_text"], f["baseline_text"], f["ratio"],
            met(f["met"], f["target_op"], f["target"], " s")))
    f = fig(5)
    if f and f.get("status") != "not run":
        rows.append("| %s | %s | plain libmicrohttpd %s | %.2f | %s |" % (
            f["title"], f["ours_text"], f["baseline_text"], f["ratio"],
            met(f["met"], f["target_op"], f["target"])))
    for prefix in ("bmscd with", "mbms-ue holding", "mbms-ue-http", "bsfd idle", "bmscd idle"):
        m = meas(prefix)
        if not m:
            continue
        tgt = met(m["met"], m["target_op"], m["target"], " " + m["unit"]) if "target" in m \
            else "(transient, no target)"
        rows.append("| memory: %s | %.1f %s | | | %s |" % (m["name"], m["value"], m["unit"], tgt))
    f = fig(7)
    if f and f.get("status") != "not run":
        rows.append("| %s | %s | plain server %s | %.3f | (no target) |" % (
            f["title"], f["ours_text"], f["baseline_text"], f["ratio"]))
    return rows


def readme_block(result):
    m = result.get("machine", {})
    return [README_BEGIN,
            "Measured %s on %s (%s cores), load average %s at the start; %s." % (
                m.get("date", "?"), m.get("cpu", "?"), m.get("cores", "?"),
                m.get("loadavg_start", "?"), "medians of repeated rounds"),
            ""] + readme_rows(result) + [README_END]


def readme_apply(text, block):
    """text with the generated block in place of the old one, or None without markers."""
    a, b = text.find(README_BEGIN), text.find(README_END)
    if a < 0 or b < a:
        return None
    return text[:a] + "\n".join(block) + text[b + len(README_END):]


def readme_write(path, result):
    with open(path) as f:
        text = f.read()
    new = readme_apply(text, readme_block(result))
    if new is None:
        print("%s: no bench-table markers, table not written" % path, file=sys.stderr)
    elif new != text:
        with open(path, "w") as f:
            f.write(new)


def main():
    if sys.argv[1:2] == ["--readme-check"]:
        # test_readme.sh: the README's table is the one results.json gives
        with open(sys.argv[2]) as f:
            result = json.load(f)
        with open(sys.argv[3]) as f:
            text = f.read()
        want = readme_apply(text, readme_block(result))
        if want is None or want != text:
            print("README.md: the performance table differs from bench/results.json "
                  "(run make bench, or python3 bench/report.py --readme-write)", file=sys.stderr)
            sys.exit(1)
        return
    if sys.argv[1:2] == ["--readme-write"]:
        with open(sys.argv[2]) as f:
            result = json.load(f)
        readme_write(sys.argv[3], result)
        return
    raw, out_json, out_md = sys.argv[1:4]
    seconds = int(sys.argv[4]) if len(sys.argv) > 4 else None
    recs = load(raw)
    machine = next((r for r in recs if r["kind"] == "machine"), {})
    figures = sorted((r for r in recs if r["kind"] == "figure"), key=lambda r: r["id"])
    infos = [r for r in recs if r["kind"] == "info"]
    measures = [r for r in recs if r["kind"] == "measure"]
    for m in measures:
        if "target" in m:
            m["met"] = m["value"] <= m["target"] if m["target_op"] == "<=" else m["value"] >= m["target"]
    errors = [r for r in recs if r["kind"] == "error"]
    for f in figures:
        f["met"] = met_of(f)
        f.pop("kind", None)
    machine = {k: v for k, v in machine.items() if k != "kind"}
    for r in recs:
        if r.get("kind") == "load":
            machine["loadavg_end"] = r["loadavg_end"]

    result = {
        "generated_by": "make bench (bench/run.sh)",
        "machine": machine,
        "duration_s": seconds,
        "figures": figures,
        "info": [{k: v for k, v in r.items() if k != "kind"} for r in infos],
        "measures": [{k: v for k, v in r.items() if k != "kind"} for r in measures],
        "errors": errors,
    }
    with open(out_json, "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
        f.write("\n")
    readme = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")
    if os.path.exists(readme):
        readme_write(readme, json.loads(json.dumps(result)))

    mach_short = "%s, %s cores, %s" % (machine.get("cpu", "?"), machine.get("cores", "?"),
                                        machine.get("openssl", "?"))
    L = []
    L.append("# Benchmarks")
    L.append("")
    L.append("Generated by `make bench` (bench/run.sh, bench/report.py) on %s%s; do not edit: the "
             "method and the optimisation log come from bench/notes.md. Raw numbers: "
             "bench/results.json." % (machine.get("date", "?"),
                                      " in %d s" % seconds if seconds is not None else ""))
    L.append("")
    L.append("Ratios are measured in the same run. Figures 1-3: ours and the baseline are "
             "timed in %s rounds of about %.2g s per side, each round interleaving the two in 8 "
             "alternating slices, on one CPU. Figures 4-7 run the real daemons and "
             "mbms-loadgen, baseline and ours alternating round by round (see the method "
             "below). Each figure shows the median of the per-round ratios and the median "
             "times. Absolute times drift by 1.5x hour to hour on these VMs and other jobs "
             "share them (load average in the machine table): compare ratios."
             % (machine.get("reps", "?"), machine.get("seconds_per_run", 0)))
    L.append("")
    L.append("| figure | ours | baseline | ratio | target | met? | machine |")
    L.append("|---|---|---|---|---|---|---|")
    for f in figures:
        if f.get("status") == "not run":
            L.append("| %d. %s | not run | not run | - | %s %g | not run: %s | %s |" % (
                f["id"], f["title"], "≤" if f["target_op"] == "<=" else "≥", f["target"],
                f.get("reason", "?"), mach_short))
            continue
        op = "≤" if f["target_op"] == "<=" else "≥"
        ours = f.get("ours_text") or "%s (%s)" % (per_s(f["ours_ns"]), time_str(f["ours_ns"]))
        base = f.get("baseline_text") or "%s (%s)" % (per_s(f["baseline_ns"]),
                                                     time_str(f["baseline_ns"]))
        if f.get("target") is None:
            tgt = "none"
        elif f.get("target_kind") == "absolute":
            tgt = "%s %g %s" % (op, f["target"], f.get("target_unit", ""))
        else:
            tgt = "%s %g×" % (op, f["target"])
        met = "-" if f["met"] is None else ("yes" if f["met"] else "**no**")
        L.append("| %d. %s | %s | %s | %.3g× | %s | %s | %s |" % (
            f["id"], f["title"], ours, base, f["ratio"], tgt, met, mach_short))
    L.append("")
    if errors:
        L.append("**Providers that failed:** " + ", ".join(e.get("provider", "?") for e in errors)
                 + " (see bench/results.json).")
        L.append("")

    L.append("## Machine")
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    for key, label in (("cpu", "CPU (/proc/cpuinfo)"), ("cores", "cores (nproc)"),
                       ("online_cpus", "online CPUs"), ("pinned", "pinned with"),
                       ("openssl", "OpenSSL"), ("gstreamer_sdp", "GStreamer libgstsdp"),
                       ("compiler", "compiler"), ("build", "build"), ("kernel", "kernel"),
                       ("date", "date (UTC)"),
                       ("loadavg_start", "load average at the start (1, 5, 15 min)"),
                       ("loadavg_end", "load average at the end")):
        L.append("| %s | %s |" % (label, machine.get(key, "?")))
    L.append("")

    L.append("## Figures in detail")
    L.append("")
    for f in figures:
        L.append("### Figure %d: %s" % (f["id"], f["title"]))
        L.append("")
        if f.get("status") == "not run":
            L.append("Not run: %s." % f.get("reason", "?"))
            L.append("")
            continue
        L.append("- ours: %s" % f["ours_name"])
        L.append("- baseline: %s" % f["baseline_name"])
        if f.get("layout"):
            L.append("- message: %s" % f["layout"])
        if f.get("target") is None:
            L.append("- ratio = %s: **%.4g** (no target: reported)" % (f["ratio_meaning"],
                                                                      f["ratio"]))
        elif f.get("target_kind") == "absolute":
            L.append("- ours: **%g %s** (target %s %g %s: %s); ratio = %s: %.3f" % (
                f["ours_value"], f.get("target_unit", ""), f["target_op"], f["target"],
                f.get("target_unit", ""), "met" if f["met"] else "NOT met",
                f["ratio_meaning"], f["ratio"]))
        else:
            L.append("- ratio = %s: **%.3f** (target %s %g: %s)" % (
                f["ratio_meaning"], f["ratio"], f["target_op"], f["target"],
                "met" if f["met"] else "NOT met"))
        if f.get("ours_text"):
            L.append("- %s rounds; ours %s, baseline %s (medians)" % (
                f.get("reps", "?"), f["ours_text"], f.get("baseline_text", "?")))
        else:
            L.append("- %s rounds of %s iterations per side; ours %s, baseline %s (medians)" % (
                f.get("reps", "?"), f.get("iters_per_run", "?"), time_str(f["ours_ns"]),
                time_str(f["baseline_ns"])))
        for line in f.get("details", []):
            L.append("- " + line)
        if f.get("ratio_runs"):
            L.append("- per-round ratios: " + ", ".join("%.4g" % r for r in f["ratio_runs"]))
        L.append("")

    groups = {}
    for r in infos:
        groups.setdefault(r["group"], []).append(r)
    titles = {
        "split": "Split timings of ours (where figure 1's time goes)",
        "codec": "Codec side measurements (figure 3's message)",
        "hmac_method": "HMAC-SHA-1 with a reused key: OpenSSL 3 methods compared",
        "fanout": "Rotation fan-out side measurements (figure 4)",
        "msk_requests": "MSK request side measurements (figure 5)",
        "bootstrap": "GBA bootstrap side measurements (figure 7)",
    }
    for g, rows in groups.items():
        L.append("## " + titles.get(g, g))
        L.append("")
        L.append("| what | time per operation | note |")
        L.append("|---|---|---|")
        for r in rows:
            L.append("| %s | %s | %s |" % (r["name"], time_str(r["ns"]), r.get("note", "")))
        L.append("")

    mgroups = {}
    for m in measures:
        mgroups.setdefault(m["group"], []).append(m)
    mtitles = {"memory": "Memory (figure 6): resident set of the running daemons (VmRSS)"}
    for g, rows in mgroups.items():
        L.append("## " + mtitles.get(g, g))
        L.append("")
        L.append("| what | value | target | met? | note |")
        L.append("|---|---|---|---|---|")
        for m in rows:
            tgt = "%s %g %s" % ("≤" if m.get("target_op") == "<=" else "≥", m["target"],
                                m["unit"]) if "target" in m else "-"
            met = "-" if "target" not in m else ("yes" if m["met"] else "**no**")
            L.append("| %s | %.1f %s | %s | %s | %s |" % (m["name"], m["value"], m["unit"], tgt,
                                                         met, m.get("note", "")))
        L.append("")

    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            L.append(f.read().rstrip())
            L.append("")

    os.makedirs(os.path.dirname(out_md) or ".", exist_ok=True)
    with open(out_md, "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    main()
