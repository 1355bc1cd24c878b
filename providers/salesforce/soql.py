"""SOQL text the provider sends: quoting and ``IN (...)`` lists split to fit a request URI.

A query travels in the URI (``GET .../query/?q=...``) and Salesforce refuses a request whose URI and
headers exceed 16,384 bytes (414/431). ``in_chunks`` therefore splits a value list so that every
rendered, URL-encoded query stays under ``URI_BUDGET`` bytes, which leaves room for the instance URL,
the path and the headers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from urllib.parse import quote_plus

#: Bytes an encoded query string may take; the rest of the 16,384 go to the URL and the headers.
URI_BUDGET = 14_000


def quote(value: str) -> str:
    """A SOQL string literal: ``O'Brien`` -> ``'O\\'Brien'``."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def in_list(values: Iterable[str]) -> str:
    """``('a','b')`` for a SOQL ``IN`` clause (callers never pass an empty list)."""
    return "(" + ",".join(quote(v) for v in values) + ")"


def in_chunks(values: Sequence[str], render: Callable[[str], str], budget: int = URI_BUDGET) -> Iterator[str]:
    """Yield queries ``render(in_list(chunk))`` covering every value, each at most ``budget`` bytes
    once URL-encoded. Duplicates (case-insensitive) are sent once; no values -> no queries."""
    unique = list({v.casefold(): v for v in values}.values())
    fixed = len(quote_plus(render("()")))
    chunk: list[str] = []
    size = fixed
    for value in unique:
        cost = len(quote_plus(quote(value) + ","))
        if chunk and size + cost > budget:
            yield render(in_list(chunk))
            chunk, size = [], fixed
        chunk.append(value)
        size += cost
    if chunk:
        yield render(in_list(chunk))
