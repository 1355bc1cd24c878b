"""Random configurations through ``reconcile validate``: exit 0 or 1, never a traceback, no file written.

Documents are generated as dicts shaped roughly like a configuration (known sections and keys with
plausible and implausible values, plus unknown keys), written with tomli-w, and optionally damaged by
random byte edits (flips, insertions, deletions, truncation), so both the schema checks and the TOML
and UTF-8 decoding paths are exercised.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.cli import invoke
from tests.support.scenario import snapshot

WORDS = [
    "dev",
    "uat",
    "prod",
    "sandbox",
    "Account.Tier__c",
    "Case.Severity__c",
    "Regions",
    "Industry",
    "Sales_Ops",
    "Sales_Bundle",
    "Sales User",
    "Account Layout",
    "Account",
    "Enterprise",
    "alice@acme.com",
    "bob",
    "orgs/dev.json",
    "scripts/hello.apex",
    "../../etc/passwd",
    "/etc/passwd",
    "picklist:Account.Tier__c",
    "apex:hello",
    "permission_set_grant:Sales_Ops",
    "${var.x}",
    "${nope}",
    "once",
    "always",
    "on_change",
    "exact",
    "additive",
    "access_token",
    "password",
    "SF_TOKEN",
    "https://127.0.0.1:8443",
    "62.0",
    "",
    " ",
    "\u00e9t\u00e9",
    "a\\b",
]
ORG_KEYS = [
    "emulator",
    "sf_alias",
    "instance_url",
    "auth",
    "username_suffix",
    "tags",
    "protected",
    "ca_cert",
    "api_version",
    "login_url",
    "vars",
    "token",
    "password",
    "nonsense",
]
ENTRY_KEYS = [
    "field",
    "global_value_set",
    "standard_value_set",
    "values",
    "default",
    "mode",
    "sorted",
    "profile",
    "profiles",
    "object",
    "record_type",
    "layout",
    "permission_set",
    "permission_set_group",
    "users",
    "exclusive",
    "expires",
    "name",
    "file",
    "run",
    "after",
    "orgs",
    "tags",
    "secret",
    "x",
]
SECTIONS = ["picklist", "layout_assignment", "permission_set_grant", "apex", "picklists", "grant"]

scalars = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=12),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(ENTRY_KEYS + ORG_KEYS), st.text(max_size=6)), inner, max_size=3),
    ),
    max_leaves=8,
)
org = st.dictionaries(st.sampled_from(ORG_KEYS), values, max_size=4)
entry = st.dictionaries(st.sampled_from(ENTRY_KEYS), values, max_size=6)
documents = st.fixed_dictionaries(
    {},
    optional={
        "version": st.one_of(st.just(1), scalars),
        "state": st.dictionaries(st.sampled_from(["path", "backend", "dsn_env", "x"]), values, max_size=2),
        "orgs": st.one_of(st.dictionaries(st.sampled_from(WORDS), org, max_size=3), values),
        **{section: st.one_of(st.lists(entry, max_size=3), values) for section in SECTIONS},
    },
)


@st.composite
def damaged(draw: st.DrawFn, raw: bytes) -> bytes:
    """``raw`` with a few random byte edits."""
    data = bytearray(raw)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=8))]
        else:
            del data[at:]
    return bytes(data)


def to_toml(document: dict[str, Any]) -> bytes | None:
    """``document`` as TOML, or None when TOML cannot express it (tomli-w refuses)."""
    try:
        return tomli_w.dumps(document).encode("utf-8")
    except (TypeError, ValueError):
        return None


def check_validate(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "orgs").mkdir()
        (root / "orgs" / "dev.json").write_text('{"schema_version": 1}', encoding="utf-8")
        (root / "scripts").mkdir()
        (root / "scripts" / "hello.apex").write_text("System.debug('hello');\n", encoding="utf-8")
        (root / "reconcile.toml").write_bytes(raw)
        before = snapshot(root)
        result = invoke("validate", "-c", str(root))
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output
        if result.exit_code == 1:
            assert result.output.count("Error:") == 1, result.output
        assert snapshot(root) == before


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@FUZZ
@given(documents)
def test_random_documents(document: dict[str, Any]) -> None:
    raw = to_toml(document)
    if raw is not None:
        check_validate(raw)


@FUZZ
@given(documents, st.data())
def test_random_documents_with_damaged_bytes(document: dict[str, Any], data: st.DataObject) -> None:
    raw = to_toml(document) or b'version = 1\n[orgs.dev]\nemulator = "orgs/dev.json"\n'
    check_validate(data.draw(damaged(raw)))


def test_a_valid_document_passes() -> None:
    """The harness itself: a good configuration validates with exit 0."""
    document = {
        "version": 1,
        "orgs": {"dev": {"emulator": "orgs/dev.json"}},
        "apex": [{"name": "hello", "file": "scripts/hello.apex", "run": "once"}],
        "permission_set_grant": [
            {
                "permission_set": "Sales_Ops",
                "users": ["alice@acme.com"],
                "expires": datetime(2030, 1, 1, tzinfo=UTC).date(),
            }
        ],
    }
    raw = to_toml(document)
    assert raw is not None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "orgs").mkdir()
        (root / "orgs" / "dev.json").write_text('{"schema_version": 1}', encoding="utf-8")
        (root / "scripts").mkdir()
        (root / "scripts" / "hello.apex").write_text("System.debug('hello');\n", encoding="utf-8")
        (root / "reconcile.toml").write_bytes(raw)
        result = invoke("validate", "-c", str(root))
        assert result.exit_code == 0, result.output
