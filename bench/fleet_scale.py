"""Fleet benchmark: ``python bench/fleet_scale.py [--quick] [--orgs 1,25,100,1000] [--latency-ms 100]``.

For each fleet size N, a fresh child process (so its CPU time and peak memory are its own) starts N
emulated orgs in *another* process (``bench.remote.RemoteFleet``: ``reconcile emulator serve --fleet``,
each request delayed by ``--latency-ms``) and runs the steps of scenario (a) through the real engine and
provider as one command each: apply from nothing, plan in sync, apply after 5% drift. For every step it
records wall time, the tool's CPU time (the child's process CPU: the orgs are served elsewhere), CPU per
org, the emulators' CPU, API calls per org (and whether every org made the same), state backend time and
writes, and the peak RSS during the step (Linux: the high-water mark is reset before each step). Per N:
peak RSS of the tool's process and its RSS once every step is done. Next to them, in the
same run, the per-record script baseline on one org of the same size (``bench.baseline``, 100% of it).

``--quick`` is a smoke run (N = 1, 5, 10 on small orgs, under a minute). Results go to ``--json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.seeding import Size

FLEET = Size(grants=20, fields=2, layouts=4)
QUICK = Size(grants=10, fields=2, layouts=4)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Plan and apply N emulated orgs served from another process.")
    parser.add_argument("--quick", action="store_true", help="a smoke run: N = 1, 5, 10 on small orgs")
    parser.add_argument("--orgs", default=None, help="comma-separated fleet sizes (default 1,25,100,1000)")
    parser.add_argument("--latency-ms", type=int, default=100, help="latency added to every request")
    parser.add_argument("--parallelism", type=int, default=16, help="orgs planned/applied at once (the CLI's)")
    parser.add_argument("--size", default=None, help="grants,fields,layouts of each org (default 20,2,4; quick 10,2,4)")
    parser.add_argument("--steps", default="all", help="'all', or 'sync' (apply from nothing + plan in sync)")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the per-record script")
    parser.add_argument("--json", type=Path, default=Path("bench/results/fleet.json"), help="where to write results")
    parser.add_argument(
        "--workers", type=int, default=0, help="also plan in sync in this many worker processes (0: not)"
    )
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # the child: one fleet size
    return parser.parse_args(argv)


def _size(args: argparse.Namespace) -> Size:
    if args.size:
        grants, fields, layouts = (int(part) for part in args.size.split(","))
        return Size(grants=grants, fields=fields, layouts=layouts)
    return QUICK if args.quick else FLEET


def plan_in_workers_step(fleet: Any, config: Path, workers: int, parallelism: int) -> dict[str, Any]:
    """``plan in sync`` as ``reconcile plan --workers N`` runs it (with N = 1 too: one worker process):
    the tool's CPU is this process's and its workers' (reaped when the pool closes); calls per org as
    each org's emulator counted them; peak RSS the largest of a worker's."""
    from bench.remote import children_cpu
    from reconcile.fleet.workers import can_fork, run_in_workers, share
    from reconcile.workspace import Workspace

    fleet.reset()
    cpu = time.process_time() + children_cpu()
    started = time.perf_counter()
    forked = can_fork()
    with Workspace.open(config) as workspace:  # as the command does before it spreads the orgs
        per_worker = share(parallelism, workers)
        done = run_in_workers(config, fleet.names, MeasuredPlan(per_worker), workers=workers, workspace=workspace)
    wall = time.perf_counter() - started
    plan = done[0][0].model_copy(update={"orgs": tuple(org for part, _ in done for org in part.orgs)})
    spent = time.process_time() + children_cpu() - cpu
    counted = list(fleet.requests().values())
    return {
        "name": f"plan in sync, {workers} workers" + (" (forked)" if forked else " (spawned)"),
        "orgs": fleet.count,
        "changes_per_org": max(len(org.changes) for org in plan.orgs),
        "calls_per_org": {"total": sum(counted[0].values()), "emulator_counted": dict(sorted(counted[0].items()))},
        "same_calls_in_every_org": all(c == counted[0] for c in counted),
        "wall_seconds": {"plan": round(wall, 3), "apply": 0.0},
        "process_cpu_seconds": round(spent, 3),
        "cpu_per_org_seconds": round(spent / fleet.count, 4),
        "emulator_cpu_seconds": 0.0,
        "state_backend_seconds": 0.0,
        "state_writes": 0,
        "errors": [f"{org.org}: {error}" for org in plan.orgs for error in org.errors],
        "peak_rss_mib": max(peak for _, peak in done),
    }


class MeasuredPlan:
    """In a worker: the chunk's plan as ``plan --workers`` makes it, and the worker's peak RSS (its own
    high-water mark: a spawned process's rusage would count the parent it was forked from)."""

    def __init__(self, parallelism: int) -> None:
        self.parallelism = parallelism

    def __call__(self, workspace: Any, chunk: list[str]) -> tuple[Any, float]:
        from reconcile.fleet.workers import _PlanTask

        return _PlanTask([], self.parallelism, False)(workspace, chunk), _peak_rss_mib()


def run_one(count: int, size: Size, latency_ms: int, parallelism: int, steps: str, workers: int = 0) -> dict[str, Any]:
    """The steps on a fleet of ``count`` orgs, in this process (see the module docstring)."""
    from bench.remote import RemoteFleet
    from bench.scenarios import DRIFTED, FROM_NOTHING, IN_SYNC, run_step

    with tempfile.TemporaryDirectory(prefix="sf-fleet-bench-") as temp:
        fleet = RemoteFleet(size, count, latency_ms, Path(temp))
        spread: list[dict[str, Any]] = []
        started = time.perf_counter()
        config = fleet.start()
        start_seconds = time.perf_counter() - started
        peaks: list[float] = []
        try:
            _reset_peak_rss()
            done = [run_step(fleet, config, FROM_NOTHING, apply=True, parallelism=parallelism)]
            peaks.append(_peak_rss_mib())
            _reset_peak_rss()
            done.append(run_step(fleet, config, IN_SYNC, apply=False, parallelism=parallelism))
            peaks.append(_peak_rss_mib())
            if workers >= 1:
                spread.append(plan_in_workers_step(fleet, config, workers, parallelism))
            if steps == "all":
                fleet.drift()
                _reset_peak_rss()
                done.append(run_step(fleet, config, DRIFTED, apply=True, parallelism=parallelism))
                peaks.append(_peak_rss_mib())
        finally:
            fleet.stop()
    return {
        "orgs": count,
        "fleet_start_seconds": round(start_seconds, 2),
        "steps": [
            *(
                {**step.as_json(), "cpu_per_org_seconds": round(step.process_cpu / count, 4), "peak_rss_mib": peak}
                for step, peak in zip(done, peaks, strict=True)
            ),
            *spread,
        ],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_after_mib": _rss_now_mib(),
    }


def _reset_peak_rss() -> None:
    """Reset this process's RSS high-water mark (Linux), so ``_peak_rss_mib`` is one step's peak."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _rss_now_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _child(args: argparse.Namespace, count: int) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--one", str(count)]
    command += ["--latency-ms", str(args.latency_ms), "--parallelism", str(args.parallelism), "--steps", args.steps]
    command += ["--workers", str(args.workers)]
    size = _size(args)
    command += ["--size", f"{size.grants},{size.fields},{size.layouts}"]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"fleet of {count} failed:\n{finished.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def _lines(results: list[dict[str, Any]], baseline: Any) -> list[str]:
    lines = [
        f"{'orgs':>5} {'step':<20} {'wall s':>8} {'tool cpu s':>10} {'cpu/org':>8} {'emu cpu s':>9} "
        f"{'calls/org':>9} {'same':>5} {'state s':>8} {'writes':>6} {'peak MiB':>8}"
    ]
    for result in results:
        for step in result["steps"]:
            wall = step["wall_seconds"]["plan"] + step["wall_seconds"]["apply"]
            lines.append(
                f"{result['orgs']:>5} {step['name']:<20} {wall:>8.2f} {step['process_cpu_seconds']:>10.2f} "
                f"{step['cpu_per_org_seconds']:>8.3f} {step['emulator_cpu_seconds']:>9.2f} "
                f"{step['calls_per_org']['total']:>9} {'yes' if step['same_calls_in_every_org'] else 'NO':>5} "
                f"{step['state_backend_seconds']:>8.2f} {step['state_writes']:>6} "
                f"{step.get('peak_rss_mib', 0.0):>8.1f}"
            )
        rss = f"peak RSS {result['peak_rss_mib']} MiB, RSS after the steps {result['rss_after_mib']} MiB"
        lines.append(f"{'':>5} {rss}")
        lines += [f"{'':>5} ERROR {error}" for step in result["steps"] for error in step["errors"][:3]]
    if baseline is not None:
        lines.append(
            f"baseline (per-record script, one org): {baseline.calls} calls, {baseline.seconds:.1f} s "
            f"(extrapolated from {baseline.fraction:.0%})"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.one is not None:
        result = run_one(args.one, _size(args), args.latency_ms, args.parallelism, args.steps, args.workers)
        print(json.dumps(result))
        return 0
    counts = [int(n) for n in (args.orgs or ("1,5,10" if args.quick else "1,25,100,1000")).split(",") if n]
    results = []
    for count in counts:
        results.append(_child(args, count))
        print("\n".join(_lines(results[-1:], None)), flush=True)
    baseline = None
    if not args.skip_baseline:
        from bench.baseline import run_baseline

        with tempfile.TemporaryDirectory(prefix="sf-fleet-baseline-") as temp:
            baseline = run_baseline(_size(args), 1.0, args.latency_ms, Path(temp))
    print("\n".join(_lines(results, baseline)))
    document = {
        "command": " ".join(["python", "bench/fleet_scale.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "latency_ms": args.latency_ms,
        "parallelism": args.parallelism,
        "size": vars(_size(args)),
        "fleets": results,
        "baseline": baseline.as_json() if baseline is not None else None,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
