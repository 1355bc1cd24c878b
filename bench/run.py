"""Benchmark entry point: ``python bench/run.py [--quick] [--latency-ms 50] [--orgs 25] [--json PATH]``.

Runs, in one process: scenario (a) on one emulated org, scenario (b) on ``--orgs`` orgs at once, the
per-record baseline script on a slice of (a), and scenario (c), the engine alone at growing sizes. Prints
a table per scenario, the lower bounds and the targets, and writes everything as JSON. ``--quick`` is a
smaller smoke run (about a minute); its figures are not comparable with the default run's.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report
from bench.baseline import BaselineResult, run_baseline
from bench.engine import EngineRun, run_size
from bench.scenarios import DEFAULT_PARALLELISM, ScenarioResult, run_scenario
from bench.seeding import Size

FULL = Size(grants=2000, fields=100, layouts=200)
QUICK = Size(grants=400, fields=20, layouts=40)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Measure plan and apply against emulated orgs.")
    parser.add_argument("--quick", action="store_true", help="a smaller run of about a minute")
    parser.add_argument("--latency-ms", type=int, default=50, help="latency the emulator adds to every request")
    parser.add_argument("--orgs", type=int, default=None, help="orgs in scenario (b) (default 25; quick 4)")
    parser.add_argument("--parallelism", type=int, default=DEFAULT_PARALLELISM, help="orgs planned/applied at once")
    parser.add_argument("--json", type=Path, default=Path("bench/results/latest.json"), help="where to write results")
    parser.add_argument("--baseline-fraction", type=float, default=None, help="slice of (a) the baseline runs")
    parser.add_argument(
        "--engine-sizes", default=None, help="comma-separated sizes for scenario (c) (default 1000,10000,100000)"
    )
    parser.add_argument(
        "--engine-apply-limit",
        type=int,
        default=100_000,
        help="largest size whose apply and re-plan scenario (c) runs",
    )
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: a, b, baseline, c")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    size = QUICK if args.quick else FULL
    orgs = args.orgs if args.orgs is not None else (4 if args.quick else 25)
    fraction = args.baseline_fraction if args.baseline_fraction is not None else (0.1 if args.quick else 0.05)
    default_sizes = "1000,10000" if args.quick else "1000,10000,100000"
    sizes = [int(n) for n in (args.engine_sizes or default_sizes).split(",") if n]
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    single = fleet = None
    baseline: BaselineResult | None = None
    engine: list[EngineRun] = []
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sf-bench-") as temp:
        work = Path(temp)
        if "a" not in skip:
            single = run_scenario(size, 1, args.latency_ms, work / "a", args.parallelism)
            lines += [*report.scenario_lines("Scenario (a)", single, None), ""]
        if "b" not in skip:
            fleet = run_scenario(size, orgs, args.latency_ms, work / "b", args.parallelism)
            lines += [*report.scenario_lines("Scenario (b)", fleet, single), ""]
        if "baseline" not in skip:
            baseline = run_baseline(size, fraction, args.latency_ms, work / "baseline")
            lines += [*report.baseline_lines(baseline, single), ""]
    if "c" not in skip:
        engine_cpu_started = time.process_time()
        engine = [run_size(n, apply_limit=args.engine_apply_limit) for n in sizes]
        engine_cpu = time.process_time() - engine_cpu_started
        lines += [*report.engine_lines(engine), f"  process CPU for scenario (c): {engine_cpu:.1f} s", ""]
    found = report.targets(single, fleet, baseline, engine)
    total_cpu, total_wall = time.process_time() - started_cpu, time.perf_counter() - started_wall
    lines += report.target_lines(found)
    lines.append(f"Whole run: {total_wall:.0f} s wall, {total_cpu:.0f} s process CPU")
    print("\n".join(lines))
    document = _document(args, size, orgs, single, fleet, baseline, engine, found, total_cpu, total_wall)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"JSON written to {args.json}")
    return 0


def _document(
    args: argparse.Namespace,
    size: Size,
    orgs: int,
    single: ScenarioResult | None,
    fleet: ScenarioResult | None,
    baseline: BaselineResult | None,
    engine: list[EngineRun],
    found: list[report.Target],
    total_cpu: float,
    total_wall: float,
) -> dict[str, Any]:
    return {
        "command": " ".join(["python", "bench/run.py", *sys.argv[1:]]),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": _cpus()},
        "quick": args.quick,
        "latency_ms": args.latency_ms,
        "size": {"grants": size.grants, "fields": size.fields, "layouts": size.layouts, "orgs_b": orgs},
        "scenario_a": _with_bounds(single),
        "scenario_b": _with_bounds(fleet),
        "baseline": baseline.as_json() if baseline else None,
        "scenario_c": [run.as_json() for run in engine],
        "targets": [t.as_json() for t in found],
        "process_cpu_seconds": round(total_cpu, 2),
        "wall_seconds": round(total_wall, 2),
    }


def _with_bounds(result: ScenarioResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {**result.as_json(), "bounds": report.step_bounds(result)}


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 0)


if __name__ == "__main__":
    raise SystemExit(main())
