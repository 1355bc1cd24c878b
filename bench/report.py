"""The benchmark's results as a printed table and a JSON document, with the targets checked.

Ratios: ``calls / lower bound`` and ``wall / lower bound`` per step; ``baseline / ours`` for the
per-record script (how many times fewer calls, how many times faster); ``25 orgs / 1 org`` for wall time;
and for the engine, the CPU growth from 10k to 100k resources against what n log n predicts.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from bench import bounds
from bench.baseline import BaselineResult
from bench.engine import EngineRun, growth
from bench.scenarios import FROM_NOTHING, ScenarioResult

CALLS_TARGET = 1.2
PARALLEL_TARGET = 1.5
BASELINE_TARGET = 50.0


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    met: bool

    def as_json(self) -> dict[str, Any]:
        return {"target": self.name, "measured": self.measured, "met": self.met}


def step_bounds(result: ScenarioResult) -> dict[str, dict[str, float]]:
    """Per step: lower-bound calls per org, lower-bound wall seconds, and our ratios to both."""
    out: dict[str, dict[str, float]] = {}
    for name, (work, applies) in bounds.scenario_workloads(result.size, result.drift).items():
        step = result.step(name)
        calls = bounds.step_calls(work, apply=applies)
        wall = bounds.wall_seconds(calls, result.latency_ms, result.orgs, result.parallelism)
        ours = sum(step.calls.values())
        out[name] = {
            "lower_bound_calls": calls,
            "calls_ratio": ours / calls,
            "lower_bound_wall_seconds": wall,
            "wall_ratio": step.seconds / wall if wall else 0.0,
        }
    return out


def targets(
    single: ScenarioResult | None,
    fleet: ScenarioResult | None,
    baseline: BaselineResult | None,
    engine: list[EngineRun],
) -> list[Target]:
    found: list[Target] = []
    if single is not None:
        ratios = {name: b["calls_ratio"] for name, b in step_bounds(single).items()}
        worst = max(ratios.values())
        shown = ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items())
        found.append(Target(f"API calls within {CALLS_TARGET}x of the lower bound", shown, worst <= CALLS_TARGET))
    if single is not None and fleet is not None:
        one, many = single.step(FROM_NOTHING).seconds, fleet.step(FROM_NOTHING).seconds
        measured = f"{fleet.orgs} orgs {many:.1f} s vs 1 org {one:.1f} s = {many / one:.1f}x ({FROM_NOTHING})"
        found.append(
            Target(
                f"{fleet.orgs} orgs' wall time within {PARALLEL_TARGET}x of one org's",
                measured,
                many / one <= PARALLEL_TARGET,
            )
        )
    if single is not None and baseline is not None:
        ours = sum(single.step(FROM_NOTHING).calls.values())
        factor = baseline.calls / ours
        measured = f"{baseline.calls} vs {ours} calls = {factor:.0f}x fewer"
        found.append(
            Target(
                f"at least {BASELINE_TARGET:.0f}x fewer calls than the per-record script",
                measured,
                factor >= BASELINE_TARGET,
            )
        )
    sized = {run.resources: run for run in engine}
    if 10_000 in sized and 100_000 in sized:
        ratio = growth(sized[10_000], sized[100_000], "plan")
        if ratio is not None:
            measured = (
                f"plan CPU x{ratio['measured_without_gc']:.1f} without garbage collection, x{ratio['measured']:.1f}"
                f" with it, for 10x resources; n log n predicts x{ratio['n_log_n']:.1f}"
            )
            name = "engine CPU (plan, garbage collection excluded) grows no worse than n log n (10k -> 100k)"
            found.append(Target(name, measured, ratio["measured_without_gc"] <= ratio["n_log_n"]))
    apply_sizes = sorted(n for n, run in sized.items() if "apply" in run.cpu)
    if len(apply_sizes) >= 2:
        small, large = sized[apply_sizes[-2]], sized[apply_sizes[-1]]
        ratio = growth(small, large, "apply")
        if ratio is not None:
            measured = (
                f"apply CPU x{ratio['measured']:.1f} from {small.resources} to {large.resources}; "
                f"n log n predicts x{ratio['n_log_n']:.1f}, n^2 x{ratio['quadratic']:.0f}"
            )
            found.append(
                Target(
                    "engine CPU (apply) grows no worse than n log n", measured, ratio["measured"] <= ratio["n_log_n"]
                )
            )
    return found


def _calls(counter: Any) -> str:
    return ", ".join(f"{key} {count}" for key, count in sorted(counter.items())) or "-"


def scenario_lines(title: str, result: ScenarioResult, one_org: ScenarioResult | None) -> list[str]:
    limits = step_bounds(result)
    lines = [
        f"{title}: {result.orgs} org(s), {result.size.label}; latency {result.latency_ms} ms, "
        f"parallelism {result.parallelism}",
        f"  {'step':<20}{'changes':>8}{'calls':>7}{'bound':>7}{'ratio':>7}{'wall s':>9}{'bound s':>9}"
        f"{'ratio':>7}{'cpu s':>8}{'emu s':>7}{'state s':>9}" + ("  vs 1 org" if one_org else ""),
    ]
    for step in result.steps:
        bound = limits[step.name]
        vs_one = ""
        if one_org is not None:
            vs_one = f"  {step.seconds / max(one_org.step(step.name).seconds, 1e-9):.1f}x"
        lines.append(
            f"  {step.name:<20}{step.changes:>8}{sum(step.calls.values()):>7}{bound['lower_bound_calls']:>7.0f}"
            f"{bound['calls_ratio']:>7.2f}{step.seconds:>9.1f}{bound['lower_bound_wall_seconds']:>9.1f}"
            f"{bound['wall_ratio']:>7.1f}{step.process_cpu:>8.1f}{step.emulator_cpu:>7.1f}{step.state_seconds:>9.1f}"
            + vs_one
        )
    for step in result.steps:
        lines.append(f"  {step.name}: plan [{_calls(step.plan_calls)}]; apply [{_calls(step.apply_calls)}]")
        if step.errors:
            lines.append(f"    errors: {'; '.join(step.errors[:3])}")
    lines.append(
        f"  process CPU {result.process_cpu:.1f} s (emulated orgs' request threads {result.emulator_cpu:.1f} s)"
    )
    return lines


def baseline_lines(baseline: BaselineResult, single: ScenarioResult | None) -> list[str]:
    how = f"run on {baseline.fraction:.0%} of each kind, extrapolated linearly" if baseline.extrapolated else "full run"
    lines = [f"Baseline (per-record simple-salesforce script, scenario (a) from nothing; {how}):"]
    for name, part in baseline.parts.items():
        lines.append(
            f"  {name:<10} {part.records}/{part.full_records} records run: {_calls(part.calls + part.lookup_calls)}"
            f" -> full {part.calls_full} calls, {part.seconds_full:.1f} s"
        )
    lines.append(f"  total (full size): {baseline.calls} calls, {baseline.seconds:.1f} s")
    if single is not None:
        ours = single.step(FROM_NOTHING)
        calls = sum(ours.calls.values())
        lines.append(
            f"  ours: {calls} calls, {ours.seconds:.1f} s -> {baseline.calls / calls:.0f}x fewer calls, "
            f"{baseline.seconds / max(ours.seconds, 1e-9):.0f}x less wall time"
        )
    return lines


def engine_lines(runs: list[EngineRun]) -> list[str]:
    lines = [
        "Scenario (c): engine only (in-memory org), process CPU seconds (of which garbage collection)",
        f"  {'resources':>10}{'plan':>16}{'apply':>18}{'replan':>16}",
    ]
    for run in runs:
        cells = []
        for step, width in (("plan", 16), ("apply", 18), ("replan", 16)):
            cell = f"{run.cpu[step]:.2f} ({run.gc[step]:.2f})" if step in run.cpu else "skipped"
            cells.append(f"{cell:>{width}}")
        lines.append(f"  {run.resources:>10}" + "".join(cells))
    for run in runs:
        for step, reason in run.skipped.items():
            lines.append(f"  {run.resources} {step}: skipped ({reason})")
    for small, large in itertools.pairwise(runs):
        for step in ("plan", "apply", "replan"):
            ratio = growth(small, large, step)
            if ratio is not None:
                lines.append(
                    f"  {step} {small.resources} -> {large.resources}: x{ratio['measured']:.1f} "
                    f"(x{ratio['measured_without_gc']:.1f} without GC); n x{ratio['linear']:.1f}, "
                    f"n log n x{ratio['n_log_n']:.1f}, n^2 x{ratio['quadratic']:.0f}"
                )
    return lines


def target_lines(found: list[Target]) -> list[str]:
    return ["Targets:"] + [f"  [{'met' if t.met else 'NOT MET'}] {t.name}: {t.measured}" for t in found]
