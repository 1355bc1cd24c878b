"""Salesforce cron expressions (``System.schedule``): what makes one invalid, said in words.

An expression is 6 or 7 fields separated by blanks: seconds, minutes, hours, day of month, month, day of
week and an optional year (the Apex Developer Guide's "Using the System.schedule Method" table):

=============  ==============================  ===========================
field          values                          special characters
=============  ==============================  ===========================
seconds        0-59                            none
minutes        0-59                            none
hours          0-23                            ``, - * /``
day of month   1-31                            ``, - * ? / L W``
month          1-12 or JAN-DEC                 ``, - * /``
day of week    1-7 or SUN-SAT                  ``, - * ? / L #``
year           1970-2099                       ``, - * /``
=============  ==============================  ===========================

``?`` ("no specific value") must be the whole of exactly one of day of month and day of week. Names
compare case-insensitively. ``problems(expression)`` lists every reason the expression is invalid (empty
when Salesforce would accept it, as far as this table tells); it never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    special: str
    names: tuple[str, ...] = ()

    def number(self, text: str) -> int | None:
        upper = text.upper()
        if upper in self.names:
            return self.names.index(upper) + self.low
        return int(text) if text.isdigit() else None


_FIELDS = (
    _Field("seconds", 0, 59, ""),
    _Field("minutes", 0, 59, ""),
    _Field("hours", 0, 23, ",-*/"),
    _Field("day of month", 1, 31, ",-*?/LW"),
    _Field("month", 1, 12, ",-*/", _MONTHS),
    _Field("day of week", 1, 7, ",-*?/L#", _DAYS),
    _Field("year", 1970, 2099, ",-*/"),
)
_SPECIAL_SUFFIX = re.compile(r"^(?P<value>[A-Za-z0-9]+)(?P<suffix>W|L|#[1-5])$")


def problems(expression: str) -> list[str]:
    """Why ``expression`` is not a valid Salesforce cron expression (empty when it is)."""
    fields = expression.split()
    if len(fields) not in (6, 7):
        return [
            f"has {len(fields)} fields; Salesforce takes 6 or 7: seconds minutes hours day-of-month month "
            "day-of-week [year]"
        ]
    found = [problem for spec, text in zip(_FIELDS, fields, strict=False) for problem in _field_problems(spec, text)]
    question_marks = [
        spec.name for spec, text in zip(_FIELDS[3:6:2], (fields[3], fields[5]), strict=True) if text == "?"
    ]
    if len(question_marks) != 1:
        found.append("use ? in exactly one of day of month and day of week")
    return found


def _field_problems(spec: _Field, text: str) -> list[str]:
    if text == "?":
        return [] if "?" in spec.special else [f"{spec.name} does not accept ?"]
    if not spec.special and not text.isdigit():
        return [f"{spec.name} must be a number {spec.low}-{spec.high}, not {text!r}"]
    if "," in text and "," not in spec.special:
        return [f"{spec.name} does not accept ','"]
    return [problem for item in text.split(",") for problem in _item_problems(spec, item)]


def _item_problems(spec: _Field, item: str) -> list[str]:
    base, _, step = item.partition("/")
    found: list[str] = []
    if step and ("/" not in spec.special or not step.isdigit() or int(step) < 1):
        found.append(f"{spec.name} step {item!r} is not valid")
    if base == "*":
        return found if "*" in spec.special else [*found, f"{spec.name} does not accept *"]
    if base.upper() == "L" and "L" in spec.special:
        return found
    if base.upper() == "LW" and "W" in spec.special:
        return found
    suffixed = _SPECIAL_SUFFIX.match(base)
    if suffixed is not None and suffixed["suffix"][0].upper() in spec.special:
        base = suffixed["value"]
    low_text, dash, high_text = base.partition("-")
    if dash and "-" not in spec.special:
        return [*found, f"{spec.name} does not accept ranges"]
    for value in (low_text, high_text) if dash else (low_text,):
        number = spec.number(value)
        if number is None or not spec.low <= number <= spec.high:
            allowed = f"{spec.low}-{spec.high}" + (f" or {spec.names[0]}-{spec.names[-1]}" if spec.names else "")
            found.append(f"{spec.name} value {value!r} is not in {allowed}")
    return found
