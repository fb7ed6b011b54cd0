"""Run every benchmark, print one table, write bench/RESULTS.md.

    python -m bench                      # all (what `make bench` runs)
    python -m bench --only metric hf     # a subset, by module suffix (writes out/bench/, not RESULTS.md)

Each benchmark module runs in its own interpreter: peak-RSS figures stay clean, a
crash in one does not lose the others, and TensorFlow (TFDS benchmark) never shares a
process with torch's triton.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from .common import REPO_ROOT

MODULES = ["streaming", "metric", "hf", "3d_storage", "tfds", "loading", "loading_tfds", "training", "training_3d", "audit"]
LIBRARIES = ["numpy", "datasets", "pyarrow", "tensorflow-datasets", "tensorflow-cpu", "torch", "timm", "transformers", "evaluate", "medmnist"]

_CHILD = """
import json, sys
from bench.bench_{name} import run
rows = run()
json.dump([r.as_dict() for r in rows], open(sys.argv[1], "w"))
"""


def machine_description() -> dict:
    mem_gib = None
    try:
        with open("/proc/meminfo") as f:
            mem_gib = round(int(f.readline().split()[1]) / 1024**2, 1)
    except OSError:
        pass
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    versions = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": versions,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def run_module(name: str) -> tuple[list[dict], str | None]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = tmp.name
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD.format(name=name), out], cwd=REPO_ROOT, capture_output=True, text=True
    )
    if proc.returncode != 0:
        return [], proc.stderr[-2000:]
    rows = json.loads(Path(out).read_text())
    os.unlink(out)
    return rows, None


def fmt(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.4g}"


def render(rows: list[dict], machine: dict, failures: dict[str, str], command: str) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Regenerate with `{command}` (from the repository root). Every row compares our figure with a baseline measured",
        "in the same run on the same machine; the ratio is oriented so that > 1 means ours is better (faster, or less",
        "memory). Absolute numbers depend on the machine, ratios much less.",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB RAM, Python {machine['python']},",
        f"{machine['platform']}; run {machine['date']}.",
        "",
        "Libraries: " + ", ".join(f"{k} {v}" for k, v in machine["libraries"].items()) + ".",
        "",
        "| benchmark | case | ours | baseline | unit | ratio | data | notes |",
        "|---|---|---:|---:|---|---:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['benchmark']} | {r['case']} | {fmt(r['ours'])} | {fmt(r['baseline'])} ({r['baseline_name']}) | "
            f"{r['unit']} | **{r['ratio']:.2f}x** | {r['data']} | {r['notes']} |"
        )
    if failures:
        lines += ["", "## Benchmarks that failed in this run", ""]
        lines += [f"- `{name}`: {err.strip().splitlines()[-1] if err.strip() else 'no output'}" for name, err in failures.items()]
    return "\n".join(lines) + "\n"


def default_output(only: list[str] | None) -> Path:
    """The committed table is the full run's; a partial run gets its own file next to the JSON."""
    if not only:
        return REPO_ROOT / "bench" / "RESULTS.md"
    return REPO_ROOT / "out" / "bench" / f"RESULTS-{'-'.join(only)}.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=MODULES, help="run only these benchmarks")
    parser.add_argument(
        "--output",
        help="where to write the table (default: bench/RESULTS.md for a full run; out/bench/RESULTS-<names>.md "
        "with --only, so a partial run never replaces the committed full table)",
    )
    parser.add_argument("--json", default=str(REPO_ROOT / "out" / "bench" / "results.json"))
    args = parser.parse_args(argv)
    names = args.only or MODULES
    machine = machine_description()
    rows: list[dict] = []
    failures: dict[str, str] = {}
    for name in names:
        print(f"== bench_{name}", flush=True)
        got, err = run_module(name)
        if err is not None:
            failures[name] = err
            print(f"   FAILED:\n{err}", flush=True)
        for r in got:
            print(f"   {r['case']}: ours {fmt(r['ours'])} vs {r['baseline_name']} {fmt(r['baseline'])} {r['unit']} -> {r['ratio']:.2f}x", flush=True)
        rows += got
    command = "make bench" if not args.only else f"python -m bench --only {' '.join(names)}"
    output = Path(args.output) if args.output else default_output(args.only)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(rows, machine, failures, command))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"machine": machine, "rows": rows, "failures": failures}, indent=2))
    print(f"wrote {output}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
