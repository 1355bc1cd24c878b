"""Configuration values typed by a field's describe type, for kinds that write field values.

``typed(value, field_type)`` is the value to send for a field of that REST describe type (``boolean``,
``double``, ``int``, ``currency``, ``percent``, ``date``, ``datetime``, and the text types), or raises
``ValueError`` with a sentence saying what the field takes. A string for a number or boolean field is
accepted when it reads as one (a ``${var.NAME}`` value is always a string); a number is never accepted
for a text field, so a typo'd field type shows in preflight rather than as a silent conversion.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

NUMBER_TYPES = frozenset({"double", "int", "currency", "percent", "long"})
TEXT_TYPES = frozenset(
    {"string", "textarea", "email", "url", "phone", "picklist", "multipicklist", "encryptedstring", "id", "reference"}
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def typed(value: Any, field_type: str) -> Any:
    if isinstance(value, date):
        value = value.isoformat()
    if field_type == "boolean":
        return _boolean(value)
    if field_type in NUMBER_TYPES:
        return _number(value, field_type)
    if field_type == "date":
        return _matching(value, _DATE, "a date (YYYY-MM-DD)")
    if field_type == "datetime":
        return _matching(value, _DATETIME, "a date and time (YYYY-MM-DDThh:mm:ssZ)")
    if field_type in TEXT_TYPES:
        if not isinstance(value, str):
            raise ValueError(f"takes text, not {_shown(value)}; quote it")
        return value
    raise ValueError(f"is a {field_type} field, which this tool does not write")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"takes true or false, not {_shown(value)}")


def _number(value: Any, field_type: str) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"takes a number, not {_shown(value)}")
    if isinstance(value, int | float):
        number: int | float = value
    else:
        try:
            number = float(str(value))
        except ValueError:
            raise ValueError(f"takes a number, not {_shown(value)}") from None
    if field_type == "int" and float(number) != int(number):
        raise ValueError(f"takes a whole number, not {_shown(value)}")
    return int(number) if field_type == "int" else number


def _matching(value: Any, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"takes {what}, not {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    return repr(value).lower() if isinstance(value, bool) else repr(value)
