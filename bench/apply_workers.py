"""``reconcile apply`` from nothing on N orgs served from another process, in one process and spread
over worker processes (``--workers K``), as a user runs it: the real command in a child process.

    python bench/apply_workers.py --orgs 200 --workers 1,2
    python bench/apply_workers.py --orgs 1000 --workers 1,2 --parallelism 64 --size 20,2,4

For each K the same fleet is served fresh (its orgs as seeded), then ``reconcile apply --auto-approve
--workers K`` runs once. Printed per K: wall seconds of the command, the CPU of the command and its
workers (user + system, from the child's resource usage), the emulator process's CPU, API calls per org
as the emulator counted them (and whether every org made the same), and whether a plan afterwards shows
no changes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.remote import RemoteFleet, children_cpu  # noqa: E402
from bench.seeding import Size  # noqa: E402

CLI = [sys.executable, "-c", "from reconcile.cli import main; main()"]


def run(count: int, workers: int, size: Size, latency_ms: int, parallelism: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="sf-apply-workers-") as temp:
        fleet = RemoteFleet(size, count, latency_ms, Path(temp))
        config = fleet.start()
        try:
            fleet.reset()
            emulator_before = fleet.emulator_cpu.seconds
            cpu_before = children_cpu()
            started = time.perf_counter()
            args = ["apply", "--auto-approve", "--workers", str(workers), "--parallelism", str(parallelism)]
            done = subprocess.run([*CLI, *args, "-c", str(config)], capture_output=True, text=True, check=False)
            wall = time.perf_counter() - started
            cpu = children_cpu() - cpu_before
            emulator = fleet.emulator_cpu.seconds - emulator_before
            calls = [sum(counted.values()) for counted in fleet.requests().values()]
            check = subprocess.run([*CLI, "plan", "--detailed-exitcode", "-c", str(config)], capture_output=True)
        finally:
            fleet.stop()
    if done.returncode != 0:
        raise SystemExit(f"apply --workers {workers} failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr}")
    return {
        "workers": workers,
        "wall": round(wall, 2),
        "cpu": round(cpu, 2),
        "emulator_cpu": round(emulator, 2),
        "calls_per_org": calls[0],
        "same_calls": len(set(calls)) == 1,
        "in_sync_after": check.returncode == 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--size", default="20,2,4", help="grants,fields,layouts of each org")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--parallelism", type=int, default=16)
    args = parser.parse_args(argv)
    grants, fields, layouts = (int(part) for part in args.size.split(","))
    size = Size(grants, fields, layouts)
    print(f"{args.orgs} orgs of {args.size}, {args.latency_ms} ms latency, parallelism {args.parallelism}")
    print(f"{'workers':>7} {'wall s':>8} {'cpu s':>8} {'emu cpu s':>10} {'calls/org':>10} {'same':>5} {'in sync':>8}")
    for workers in (int(part) for part in args.workers.split(",")):
        row = run(args.orgs, workers, size, args.latency_ms, args.parallelism)
        print(
            f"{row['workers']:>7} {row['wall']:>8} {row['cpu']:>8} {row['emulator_cpu']:>10} "
            f"{row['calls_per_org']:>10} {'yes' if row['same_calls'] else 'no':>5} "
            f"{'yes' if row['in_sync_after'] else 'NO':>8}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
