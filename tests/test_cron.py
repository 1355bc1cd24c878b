"""Salesforce cron expressions: what ``reconcile.kinds.cron.problems`` accepts and why it refuses."""

from __future__ import annotations

import pytest

from reconcile.kinds.cron import problems


@pytest.mark.parametrize(
    "expression",
    [
        "0 0 2 * * ?",
        "0 0 2 ? * MON-FRI",
        "0 30 8 ? * 2#3 2030",
        "0 0 */4 * * ?",
        "0 0 1 L * ?",
        "0 0 1 15W * ?",
        "0 0 1 LW JAN,JUL ?",
        "0 0 1 ? * 6L",
        "0 0 1,13 1-15 * ? 2026-2030",
    ],
)
def test_valid_expressions(expression: str) -> None:
    assert problems(expression) == []


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("0 0 2 * *", "has 5 fields; Salesforce takes 6 or 7"),
        ("0 0 2 * * * 2030 x", "has 8 fields"),
        ("0 0 2 * * *", "use ? in exactly one of day of month and day of week"),
        ("0 0 2 ? * ?", "use ? in exactly one of day of month and day of week"),
        ("0 0 24 * * ?", "hours value '24' is not in 0-23"),
        ("60 0 2 * * ?", "seconds value '60' is not in 0-59"),
        ("0 */5 2 * * ?", "minutes must be a number 0-59, not '*/5'"),
        ("0 0 2 32 * ?", "day of month value '32' is not in 1-31"),
        ("0 0 2 * FOO ?", "month value 'FOO' is not in 1-12 or JAN-DEC"),
        ("0 0 2 ? * 8", "day of week value '8' is not in 1-7 or SUN-SAT"),
        ("0 0 2 * * ? 1969", "year value '1969' is not in 1970-2099"),
        ("0 0 ? * * ?", "hours does not accept ?"),
        ("0 0 2/0 * * ?", "hours step '2/0' is not valid"),
    ],
)
def test_invalid_expressions_say_why(expression: str, problem: str) -> None:
    assert any(problem in found for found in problems(expression)), problems(expression)
