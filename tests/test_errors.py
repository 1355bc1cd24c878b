"""Messages users read: validation failures of files in plain words, suggestions for near misses."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from reconcile.errors import closest, did_you_mean, plain_validation_problem


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    serial: int
    name: str = ""
    sandbox: bool = False


def _problems(data: object) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        _Doc.model_validate(data)
    return sorted(plain_validation_problem(error) for error in caught.value.errors())


def test_validation_failures_read_in_plain_words_never_pydantic_phrasing() -> None:
    problems = _problems({"serial": "seven", "name": 3, "sandbox": "maybe", "colour": "red"})
    assert problems == [
        "colour is not a field this file may hold",
        "name must be text, got 3",
        "sandbox must be true or false, got 'maybe'",
        "serial must be a whole number, got 'seven'",
    ]
    assert _problems({}) == ["serial is missing"]
    assert _problems([1]) == ["the file must be an object"]
    for problem in problems:
        assert "Input should" not in problem and "Extra inputs" not in problem


def test_suggestions_name_the_closest_choice() -> None:
    assert closest("Sales_op", ["Sales_Ops", "Admin"], ignore_case=True) == "Sales_Ops"
    assert did_you_mean("valeus", ["values", "default"]) == "; did you mean 'values'?"
    assert did_you_mean("zzz", ["values"]) == ""
