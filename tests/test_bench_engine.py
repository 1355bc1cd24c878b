"""The engine benchmark's workload stays runnable and converges (its CPU figures are the benchmark's
business; this checks what is deterministic: changes planned, applied, and a clean re-plan)."""

from __future__ import annotations

from bench.engine import run_size


def test_the_engine_benchmark_plans_applies_and_converges() -> None:
    run = run_size(60)
    assert run.changes > 0
    assert run.applied == run.changes
    assert run.replan_changes == 0
