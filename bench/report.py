#!/usr/bin/env python3
"""Renders BENCHMARKS.md from the figures the benchmarks wrote (bench/README.md has the format).

Usage: bench/report.py [--figures DIR] [--out FILE] [--root DIR]

Reads every DIR/*.jsonl (one JSON object per line, format version 1: kinds run, note, figure,
text), adds the machine, versions and date, and writes one Markdown report in a stable layout:
the run, issue 12's targets (before / after / target / met), issue 12's change-to-served table
with the measured rows under its "before" rows, then one section per benchmark. Prints the report
too. Standard library only.
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

FORMAT_VERSION = 1

# Benchmarks in report order; any other benchmark follows, alphabetically.
ORDER = ["convergence", "convergence-3-envoys", "scale", "scale-scoped", "delta", "webhook", "check", "check-jetstream",
         "transcoder", "rest", "library-auth", "queued", "envoy_memory"]

# Issue 12's figures: (figure id, labels to match, aggregate over matches, what it is, before).
# The target comes from the figure itself (the benchmark knows it); "not measured" when no
# benchmark of this run wrote the figure.
ISSUE_ROWS = [
    ("convergence.served_ms.p99", {"books": "10000", "envoys": "1"}, "max",
     "one book's change → served by Envoy, p99 (10,000 books, 1 Envoy)", "1,964 ms (p90, 10,100 books)"),
    ("convergence.served_ms.p99", {"books": "10000", "envoys": "3"}, "max",
     "one book's change → served by every Envoy, p99 (10,000 books, 3 Envoys)", "—"),
    ("convergence.bytes_per_change_pct", {"books": "10000"}, "max",
     "bytes sent to each Envoy per change, % of the whole route configuration before (15.7 MB)",
     "100 % (15.7 MB)"),
    ("delta.bytes_per_change_pct", {"books": "10000"}, "max",
     "bytes on the ADS stream per single-book change, delta + scoped routes, % of state-of-the-world + one route "
     "configuration (make bench-ads, worst change kind)", "100 % (15.9 MB for a route change)"),
    ("convergence.envoy_rss_mib", {"books": "10000"}, "max",
     "Envoy memory (RSS) at 10,000 books, in the convergence run (only the books its load and probes call loaded)",
     "916 MB"),
    ("envoy_memory.rss_mib", {"books": "10000", "run": "delta_scoped", "books_hit": "10000", "held_books_limit": "2000"},
     "max", "Envoy memory (RSS) at 10,000 books after one webhook to every book (the steady state of a gateway whose "
     "books all receive webhooks), under the xds-server's default --held-books-limit 2000 (each Envoy holds at most "
     "2,000 books' on-demand route configurations and clusters; make bench-envoy-memory)", "916 MB"),
    ("envoy_memory.rss_mib", {"books": "10000", "run": "delta_scoped", "books_hit": "10000"}, "max",
     "the same with the bound off (--held-books-limit 0: Envoy keeps every book it loaded on demand)", "916 MB"),
    ("convergence.xds_heap_mib", {"books": "10000"}, "max",
     "xds-server heap (used after GC) at 10,000 books", "—"),
    ("convergence.non2xx", {"books": "10000"}, "max",
     "non-2xx on unchanged routes while books are added, changed, removed", "—"),
    ("scale.one_change.total_ms.p99", {"books": "10000", "layout": "scoped"}, "max",
     "translation (and versions) of one change, p99 (scoped route layout, the default; the single layout in its own section)",
     "≈ 97 ms (p50)"),
    ("webhook.ext_authz_ratio_pct", {}, "min",
     "webhooks through Envoy with ext_authz, % of the throughput without it", "30 % (703 vs 2,310 req/s)"),
    ("check.checks_per_s", {}, "min",
     "Check API, checks/s (1 KiB body; the slowest scheme)", "1.9k–7.6k"),
    ("check.p99_ms", {}, "max",
     "Check API p99 (the slowest scheme)", "—"),
    ("rest.transcoder_ratio_pct", {"baseline": "grpc_via_envoy"}, "min",
     "REST GetBook through the transcoder, % of gRPC GetBook through the same Envoy (jwt_authn, Lua guard, mutual TLS "
     "upstream: a gRPC client's path; the difference is the transcoder's own cost)", "—"),
    ("rest.transcoder_ratio_pct", {"baseline": "grpc_direct"}, "min",
     "REST GetBook through the transcoder, % of direct gRPC to the library (no Envoy)", "32–40 %"),
]

# Issue 12's measured table: books, p50, p90, Envoy RSS (before).
CONVERGENCE_BEFORE = [
    ("100", "158 ms", "181 ms", "—"),
    ("2,100", "706 ms", "753 ms", "258 MB"),
    ("10,100", "1,649 ms", "1,964 ms", "916 MB"),
]


def read_figures(directory):
    """{benchmark: {"title", "started", "notes", "figures", "texts"}} from DIR/*.jsonl."""
    runs = {}
    for path in sorted(Path(directory).glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{number}: not JSON: {e}")
            if entry.get("v") != FORMAT_VERSION:
                raise SystemExit(f"{path}:{number}: format version {entry.get('v')!r}, this report reads {FORMAT_VERSION}")
            name = entry.get("benchmark")
            run = runs.setdefault(name, {"title": name, "started": None, "notes": [], "figures": [], "texts": []})
            kind = entry.get("kind")
            if kind == "run":
                run["title"], run["started"] = entry["title"], entry.get("started")
            elif kind == "note":
                run["notes"].append(entry["text"])
            elif kind == "figure":
                run["figures"].append(entry)
            elif kind == "text":
                run["texts"].append(entry["text"])
            else:
                raise SystemExit(f"{path}:{number}: unknown kind {kind!r}")
    return runs


def command_output(args):
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout + out.stderr).strip()
    return text if out.returncode == 0 and text else None


def first_line(text):
    return text.splitlines()[0].strip() if text else "unknown"


def envoy_binary(root):
    env = os.environ.get("ENVOY_BIN")
    if env:
        return env
    for candidate in [root / ".venv" / "bin" / "envoy"]:
        if candidate.exists():
            return str(candidate)
    return "envoy"


def machine(root):
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    os_name = platform.system()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    load = "unknown"
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        pass
    envoy = command_output([envoy_binary(root), "--version"])
    envoy_version = "unknown"
    if envoy:
        match = re.search(r"version: \S+/(\d+\.\d+\.\d+)", envoy)
        envoy_version = match.group(1) if match else first_line(envoy)
    commit = command_output(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"]) or "unknown"
    dirty = command_output(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"])
    return [
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("commit", commit + (" (with uncommitted changes)" if dirty else "")),
        ("CPU", f"{cpu}, {os.cpu_count()} logical cores"),
        ("memory", memory),
        ("OS", f"{os_name}, kernel {platform.release()}"),
        ("load average (1/5/15 min, at report time)", load),
        ("Java", first_line(command_output(["java", "-version"]))),
        ("Envoy", envoy_version),
    ]


def fmt(value):
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.3g}" if abs(value) >= 0.001 else f"{value:.2e}"


def met(figure):
    target = figure.get("target")
    if not target:
        return "—"
    v, t = figure["value"], target["value"]
    ok = {"<": v < t, "<=": v <= t, ">": v > t, ">=": v >= t, "==": v == t}[target["op"]]
    return "yes" if ok else "**no**"


def target_text(figure):
    target = figure.get("target")
    if not target:
        return "—"
    op = {"<=": "≤", ">=": "≥"}.get(target["op"], target["op"])
    return f"{op} {fmt(target['value'])} {figure['unit']}".strip()


def labels_text(figure):
    labels = figure.get("labels") or {}
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def matching(runs, figure_id, labels):
    found = []
    for run in runs.values():
        for figure in run["figures"]:
            if figure["id"] != figure_id:
                continue
            have = figure.get("labels") or {}
            if all(have.get(k) == v for k, v in labels.items()):
                found.append(figure)
    return found


def issue_table(runs):
    lines = ["| figure | before (issue 12) | after (this run) | target | met |", "|---|---|---|---|---|"]
    for figure_id, labels, aggregate, what, before in ISSUE_ROWS:
        found = matching(runs, figure_id, labels)
        if not found:
            lines.append(f"| {what} | {before} | not measured | — | — |")
            continue
        pick = (max if aggregate == "max" else min)(found, key=lambda f: f["value"])
        where = labels_text(pick)
        after = f"{fmt(pick['value'])} {pick['unit']}".strip() + (f" ({where})" if where else "")
        lines.append(f"| {what} | {before} | {after} | {target_text(pick)} | {met(pick)} |")
    return lines


def convergence_table(runs):
    lines = ["| books | Envoys | xDS | change → served p50 | p90 | p99 | Envoy RSS | when |",
             "|---|---|---|---|---|---|---|---|"]
    for books, p50, p90, rss in CONVERGENCE_BEFORE:
        lines.append(f"| {books} | 1 | SotW | {p50} | {p90} | — | {rss} | before (issue 12) |")
    groups = {}
    for figure in matching(runs, "convergence.served_ms.p50", {}):
        labels = figure.get("labels") or {}
        key = (int(labels.get("books", "0")), int(labels.get("envoys", "0")), labels.get("mode", "sotw"))
        groups[key] = labels
    for (books, envoys, mode), labels in sorted(groups.items()):
        def value(figure_id, unit_suffix=" ms"):
            found = matching(runs, figure_id, labels)
            return f"{fmt(found[0]['value'])}{unit_suffix}" if found else "—"
        rss = value("convergence.envoy_rss_mib", " MiB")
        xds = {"sotw": "SotW", "delta": "delta"}.get(mode, mode)  # e.g. scoped+delta, single+sotw
        lines.append(f"| {books:,} | {envoys} | {xds} | "
                     f"{value('convergence.served_ms.p50')} | {value('convergence.served_ms.p90')} | "
                     f"{value('convergence.served_ms.p99')} | {rss} | after (this run) |")
    return lines


def benchmark_section(name, run):
    lines = [f"## {run['title']}", "", f"`{name}`" + (f", started {run['started']}" if run["started"] else ""), ""]
    for note in run["notes"]:
        lines.append(f"- {note}")
    if run["notes"]:
        lines.append("")
    if run["figures"]:
        lines += ["| figure | labels | value | target | met |", "|---|---|---|---|---|"]
        for figure in run["figures"]:
            lines.append(f"| {figure['label']} (`{figure['id']}`) | {labels_text(figure) or '—'} | "
                         f"{fmt(figure['value'])} {figure['unit']} | {target_text(figure)} | {met(figure)} |")
        lines.append("")
    for text in run["texts"]:
        lines += ["```", text.rstrip("\n"), "```", ""]
    return lines


def report(runs, root, notes=()):
    lines = ["# Benchmarks", "",
             "Written by `make bench` (`bench/report.py` from the figures each benchmark records; format in",
             "[bench/README.md](bench/README.md)). Benchmarks print figures; no test asserts a time. Run on the",
             "machine below (lines under its table say so when a benchmark ran again on its own) — on a shared",
             "2-core machine, treat differences of a few per cent as noise.", "",
             "## The run", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in machine(root)]
    if notes:
        lines.append("")
        lines += [f"- {note}" for note in notes]
    lines += ["", "## Issue 12: before, after, target", ""] + issue_table(runs)
    lines += ["", "## One book's change → served by Envoy (issue 12's table)", "",
              "The issue's rows were measured through `make run` (one github webhook per book, each new book's",
              "path polled until it stops answering 404); the rows after them by `make bench-convergence`.", ""]
    lines += convergence_table(runs)
    lines.append("")
    ordered = [n for n in ORDER if n in runs] + sorted(n for n in runs if n not in ORDER)
    for name in ordered:
        lines += benchmark_section(name, runs[name])
    if not runs:
        lines += ["No benchmark recorded figures (is BDK_BENCH_DIR set?).", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the project checkout (default: .)")
    parser.add_argument("--figures", default=None, help="directory of *.jsonl figures (default: ROOT/target/bench)")
    parser.add_argument("--out", default=None, help="report file (default: ROOT/BENCHMARKS.md; '-' prints only)")
    parser.add_argument("--note", action="append", default=[],
                        help="a line under the run's table, e.g. which benchmarks ran on which commit (repeatable)")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    figures = Path(args.figures) if args.figures else root / "target" / "bench"
    text = report(read_figures(figures) if figures.is_dir() else {}, root, args.note)
    if args.out != "-":
        out = Path(args.out) if args.out else root / "BENCHMARKS.md"
        out.write_text(text, encoding="utf-8")
        print(f"bench/report.py: wrote {out}", file=sys.stderr)
    print(text)


if __name__ == "__main__":
    main()
