"""Measure how long each notebook takes per profile, and write the README's run-time table.

    python scripts/time_notebooks.py                          # every notebook, quick and standard
    python scripts/time_notebooks.py --profiles standard --notebooks 02 08 --threads 1
    python scripts/time_notebooks.py --render-only            # rewrite the README table from the JSON

Each notebook runs alone, top to bottom, in a fresh kernel (`jupyter nbconvert --execute`, kernel start
included), with INR_PROFILE set and the torch thread count fixed by OMP_NUM_THREADS. A notebook whose
run fails is recorded as failed, never with a time. Results are kept per (notebook, profile) in
`notebooks/times.json` with the date, machine and thread count of their own run, so a table that mixes
runs says which number came from when. The README shows the table between the two marker lines below;
title cells of notebooks point to it instead of stating times (tests/test_notebooks.py checks that).
The 1-minute load average before and after each run is recorded: a run on a machine that other jobs
share is marked as such, since it is slower than on an idle one.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
RESULTS = NOTEBOOKS / "times.json"
README = ROOT / "README.md"
START, END = "<!-- run-times:start (scripts/time_notebooks.py writes this table) -->", "<!-- run-times:end -->"
PROFILES = ("quick", "standard", "full")


def machine() -> str:
    """'2-core x86_64 CPU (model), torch 2.13.0' or the GPU's name: what a reader needs to compare."""
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}"
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor()
    return f"{os.cpu_count()}-core {platform.machine()} CPU ({model}), no GPU, torch {torch.__version__}"


def run_one(path: pathlib.Path, profile: str, threads: int, timeout: int) -> dict:
    env = dict(os.environ, INR_PROFILE=profile, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env.pop("INR_NBVAL", None)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
               f"--ExecutePreprocessor.timeout={timeout}", "--output-dir", tmp, str(path)]
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=NOTEBOOKS, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        load = max(load, os.getloadavg()[0])
    entry = {"date": datetime.date.today().isoformat(), "machine": machine(), "threads": threads,
             "load": round(load, 1), "status": "passed" if proc.returncode == 0 else "failed"}
    if proc.returncode == 0:
        entry["seconds"] = round(seconds, 1)
    else:
        entry["error"] = proc.stderr.strip().splitlines()[-1][:300] if proc.stderr.strip() else "unknown error"
    return entry


def load() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {}


def render(results: dict) -> str:
    """The markdown table: one row per notebook, one column per profile, footnotes for each run setting."""
    notes, rows = [], []
    for nb in sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        cells = []
        for profile in PROFILES:
            e = results.get(nb, {}).get(profile)
            if e is None:
                cells.append("not measured")
                continue
            setting = f"{e['date']}, {e['machine']}, {e['threads']} torch thread(s)"
            if e.get("load", 0) > (os.cpu_count() or 1) + 0.5:  # other jobs held the cores: slower than idle
                setting += f", machine shared with other jobs (load average up to {e['load']:.0f})"
            if setting not in notes:
                notes.append(setting)
            mark = "¹²³⁴⁵⁶⁷⁸⁹"[notes.index(setting)] if notes.index(setting) < 9 else f"[{notes.index(setting) + 1}]"
            cells.append(f"{e['seconds']:.0f} s{mark}" if e["status"] == "passed" else f"failed{mark}")
        rows.append(f"| [`{nb}`](notebooks/{nb}.ipynb) | " + " | ".join(cells) + " |")
    head = ["| notebook | quick | standard | full |", "|---|---|---|---|"]
    foot = [f"{'¹²³⁴⁵⁶⁷⁸⁹'[i] if i < 9 else f'[{i + 1}]'} {n}." for i, n in enumerate(notes)]
    text = ("Wall-clock seconds for the whole notebook (fresh kernel, kernel start included, one notebook at a "
            "time), written by `make times` (`scripts/time_notebooks.py`); each number is marked with the run "
            "it comes from:")
    return "\n".join([text, "", *head, *rows, ""]) + "\n" + "  \n".join(foot)


def write_readme(table: str) -> None:
    text = README.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"README.md lacks the marker lines {START!r} / {END!r}; add them where the table goes")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{table}\n{END}{tail}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profiles", nargs="+", default=["quick", "standard"], choices=PROFILES)
    ap.add_argument("--notebooks", nargs="+", default=None, help="numbers or stems, e.g. 02 08 (default: all)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads (OMP_NUM_THREADS)")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds a cell may take before the run fails")
    ap.add_argument("--render-only", action="store_true", help="only rewrite the README table from the JSON")
    args = ap.parse_args(argv)
    results = load()
    if not args.render_only:
        paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
        if args.notebooks:
            paths = [p for p in paths if any(p.stem.startswith(n) for n in args.notebooks)]
            if not paths:
                raise SystemExit(f"no notebook matches {args.notebooks}; use numbers such as 02 or stems")
        for profile in args.profiles:
            for path in paths:
                entry = run_one(path, profile, args.threads, args.timeout)
                results.setdefault(path.stem, {})[profile] = entry
                RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")  # keep what is done
                shown = f"{entry['seconds']:.0f} s" if entry["status"] == "passed" else f"FAILED: {entry['error']}"
                print(f"{path.stem:32s} {profile:9s} {shown}", flush=True)
    write_readme(render(results))
    failed = [f"{nb} {p}" for nb, d in results.items() for p, e in d.items() if e["status"] != "passed"]
    if failed:
        print("failed runs (kept in the table as failed): " + ", ".join(failed))
    return 1 if failed and not args.render_only else 0


if __name__ == "__main__":
    sys.exit(main())
