"""Replays recorded Salesforce traffic against the emulator and compares the shape of every answer.

Recordings: the CumulusCI VCR cassettes in tests/fixtures/recorded/cumulusci (see its README). Each cassette is
replayed in order against a fresh emulator seeded from tests/emulator_seeds/fidelity*.json; `vxx.0`
becomes v62.0, the host the emulator's, and ids from earlier answers are mapped to the emulator's ids.
For each interaction the status code, the content type, the keys of JSON bodies (recursively: records
have exactly the recorded keys for the same query) and the JSON type of each value must match. A
null matches any type (nullability depends on the data), and list elements are compared with the
recorded element at the same index (or the last one). Error bodies must carry the recorded errorCode
and message. What the emulator does not implement is listed in EXCLUSIONS with the answer it gives
instead, which is checked too: nothing is skipped silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from providers.emulator.embedded import EmulatorHandle, start_emulator
from tests.support.emulator import trusted_session

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "recorded"
CASSETTES = FIXTURES / "cumulusci"
SEEDS = Path(__file__).parent / "emulator_seeds"
RECORDED_HOST = "https://orgname.my.salesforce.com"
RECORDED_ORG_ID = "00D0xORGID00000000"


@dataclass(frozen=True)
class Exclusion:
    """Recorded interactions the emulator does not reproduce. `pattern` is searched in
    "METHOD path?query" (or "include:<file>" for an unvendored include); `answer` is the emulator's
    (status, errorCode) for it, None when nothing can be sent."""

    pattern: str
    reason: str
    answer: tuple[int, str] | None

    def matches(self, key: str) -> bool:
        return re.search(self.pattern, key) is not None


_APEX_TEST_OBJECTS = "ApexCodeCoverageAggregate|ApexOrgWideCoverage|InstalledSubscriberPackage|SubscriberPackageVersion"
EXCLUSIONS = [
    Exclusion(r"^include:GET_sobjects_\w+_describe\.yaml$",
              "describe recordings are not among the recorded fixtures (only the Organization GET is)", None),
    Exclusion(r"^GET /services/data/v62\.0/limits/recordCount\?", "limits/recordCount is not implemented",
              (404, "NOT_FOUND")),
    Exclusion(r"^GET /services/data/v62\.0/query/\?q=.*TYPEOF", "TYPEOF (polymorphic SOQL) is not supported",
              (400, "MALFORMED_QUERY")),
    Exclusion(r"^POST /services/async/", "Bulk API 1.0 is not implemented", (404, "NOT_FOUND")),
    Exclusion(r"^PATCH /services/data/v62\.0/composite/sobjects/\w+/\w+$",
              "upsert by external id (sObject Collections) is not implemented", (404, "NOT_FOUND")),
    Exclusion(rf"^GET /services/data/v62\.0/tooling/query/\?q=.*FROM(\+|%20)({_APEX_TEST_OBJECTS})\b",
              "Apex coverage and package objects are not in the emulator", (400, "INVALID_TYPE")),
    Exclusion(r"^GET /services/data/v62\.0/tooling/query/\?q=.*FROM\+ApexTestResults%29",
              "the ApexTestResultLimits of a test result (child relationship ApexTestResults) are not in the emulator",
              (400, "INVALID_TYPE")),
]  # fmt: skip
SUBSET_KEYS = {"GET /services/data/v62.0/sobjects/Organization/": "the emulator's Organization has 7 of its fields"}
SEED_FOR = {"TestUpsert": "fidelity_upsert.json", "ManualEditTestApexIntegrationTests": "fidelity_apex_tests.json"}
"""The upsert seed holds the Account the excluded external-id upsert would have created."""
NEWER_LIMITS = {"DailyBulkV2QueryJobs": "a real limit added to /limits after the fixture was captured"}
FAULTS_FOR = {"ManualEdit_TestCountSObjects": [{"action": "500_empty", "path": "/composite"}]}
"""The hand-edited 500 recording is reproduced with a fault rule."""

# --- the YAML subset of VCR cassettes ----------------------------------------------------------------

_DQ_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "/": "/", " ": " ", "0": "\0"}


class CassetteYaml:
    """Block mappings and sequences, plain and quoted (multi-line) scalars, comments and
    `&anchor`/`*alias` on whole nodes: what VCR writes. Quoted scalars fold as YAML folds them."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.row = 0
        self.anchors: dict[str, Any] = {}

    def load(self) -> Any:
        self.skip_blank()
        return self.block(self.indent())

    def indent(self) -> int:
        return len(self.lines[self.row]) - len(self.lines[self.row].lstrip(" "))

    def skip_blank(self) -> None:
        while self.row < len(self.lines):
            stripped = self.lines[self.row].strip()
            if stripped and not stripped.startswith("#"):
                return
            self.row += 1

    def at(self, indent: int) -> bool:
        self.skip_blank()
        return self.row < len(self.lines) and self.indent() == indent

    def block(self, indent: int) -> Any:
        return self.sequence(indent) if self.lines[self.row][indent:].startswith("-") else self.mapping(indent)

    def sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        while self.at(indent) and self.lines[self.row][indent:].startswith("-"):
            rest = self.lines[self.row][indent + 1 :].lstrip(" ")
            column = len(self.lines[self.row]) - len(rest)
            if rest and not rest.startswith(("&", "*")) and ":" in rest:  # "- key: value" opens a mapping
                self.lines[self.row] = " " * column + rest
                items.append(self.mapping(column))
            else:
                self.row += 1
                items.append(self.node(rest, indent))
        return items

    def mapping(self, indent: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while self.at(indent) and not self.lines[self.row][indent:].startswith("-"):
            key, _, rest = self.lines[self.row][indent:].partition(":")
            self.row += 1
            result[key.strip()] = self.node(rest.strip(), indent)
        return result

    def node(self, text: str, indent: int) -> Any:
        anchor, value = None, None  # type: tuple[str | None, Any]
        if text.startswith("&"):
            anchor, _, text = text.partition(" ")
        text = re.split(r"\s+#", text.strip(), maxsplit=1)[0] if not text.startswith(("'", '"')) else text
        if text.startswith("*"):
            return self.anchors[text[1:]]
        if text.startswith(("'", '"')):
            value = self.quoted(text)
        elif text and not text.startswith("#"):
            value = {"null": None, "~": None, "true": True, "false": False}.get(text, text)
            value = int(text) if re.fullmatch(r"-?\d+", text) else value
        else:
            value = self.nested(indent)
        if anchor is not None:
            self.anchors[anchor[1:]] = value
        return value

    def nested(self, indent: int) -> Any:
        self.skip_blank()
        if self.row >= len(self.lines):
            return None
        inner, content = self.indent(), self.lines[self.row].lstrip(" ")
        if inner > indent and content.startswith(("'", '"')):
            self.row += 1
            return self.quoted(content)
        return self.block(inner) if inner > indent or (inner == indent and content[:1] == "-") else None

    def quoted(self, text: str) -> str:
        quote, pieces, current = text[0], [], text[1:]
        while (end := _closing(current, quote)) < 0:
            pieces.append(current)
            current = self.lines[self.row].lstrip(" ")
            self.row += 1
        pieces.append(current[:end])
        if quote == "'":
            return " ".join(piece.strip(" ") for piece in pieces).replace("''", "'")
        joined = ""
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            escaped_break = not last and (len(piece) - len(piece.rstrip("\\"))) % 2 == 1
            joined += piece if last else piece[:-1] if escaped_break else piece.rstrip(" ") + " "
        return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", _unescape, joined)


def _closing(text: str, quote: str) -> int:
    index = 0
    while index < len(text):
        doubled = quote == "'" and text[index : index + 2] == "''"
        if (quote == '"' and text[index] == "\\") or doubled:
            index += 2
        elif text[index] == quote:
            return index
        else:
            index += 1
    return -1


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    return chr(int(code[1:], 16)) if len(code) == 5 else _DQ_ESCAPES.get(code, code)


# --- cassettes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interaction:
    """One recorded exchange; `key` is "METHOD path?query" with the version set to 62.0."""

    key: str
    request: dict[str, Any]
    response: dict[str, Any]


def interactions(cassette: Path) -> list[Interaction | str]:
    """The cassette's interactions in order, includes resolved; an unvendored include stays as
    "include:<file>"."""
    entries = CassetteYaml(cassette.read_text(encoding="utf-8")).load()["interactions"]
    found: list[Interaction | str] = []
    for entry in entries:
        if "include_file" in entry:
            included = CASSETTES / entry["include_file"]
            if not included.exists():
                found.append(f"include:{entry['include_file']}")
                continue
            entry = CassetteYaml(included.read_text(encoding="utf-8")).load()
        path = _local(entry["request"]["uri"])
        found.append(Interaction(f"{entry['request']['method']} {path}", entry["request"], entry["response"]))
    return found


def _local(text: str) -> str:
    return text.replace(RECORDED_HOST, "").replace("/vxx.0/", "/v62.0/")


def exclusion_for(key: str) -> Exclusion | None:
    return next((rule for rule in EXCLUSIONS if rule.matches(key)), None)


def _content_type(response: dict[str, Any]) -> str:
    headers = response["headers"].get("Response-Headers", response["headers"])
    return str(headers["Content-Type"][0]).replace(" ", "").lower()


# --- comparing shapes ----------------------------------------------------------------------------------


_TYPE_NAMES = {dict: "object", list: "array", bool: "bool", int: "int", float: "float", str: "str"}


def _type(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), "null")


def shape_problems(recorded: Any, actual: Any, where: str, *, subset: bool = False) -> list[str]:
    """Differences in keys and value types between a recorded and an actual JSON value."""
    if recorded is None or actual is None:
        return []
    if _type(recorded) != _type(actual):
        return [f"{where}: {_type(actual)} instead of {_type(recorded)}"]
    if isinstance(recorded, list):
        if not recorded:
            return []
        pairs = [(recorded[min(i, len(recorded) - 1)], item) for i, item in enumerate(actual)]
        return [p for i, (r, a) in enumerate(pairs) for p in shape_problems(r, a, f"{where}[{i}]")]
    if not isinstance(recorded, dict):
        return []
    problems = _key_problems(set(recorded), set(actual), where, subset)
    for key in sorted(set(recorded) & set(actual)):
        problems += shape_problems(recorded[key], actual[key], f"{where}.{key}", subset=subset and key != "attributes")
    if {"errorCode", "message"} <= set(recorded):
        texts = [(recorded[key], actual.get(key)) for key in ("errorCode", "message")]
        problems += [f"{where}: {got!r} instead of {wanted!r}" for wanted, got in texts if wanted != got]
    return problems


def _key_problems(recorded: set[str], actual: set[str], where: str, subset: bool) -> list[str]:
    extra, missing = sorted(actual - recorded), sorted(recorded - actual) if not subset else []
    return [f"{where}: unexpected keys {extra}"] * bool(extra) + [f"{where}: missing keys {missing}"] * bool(missing)


def learn_ids(recorded: Any, actual: Any, ids: dict[str, str]) -> None:
    """Map ids in a recorded answer to the ids at the same place in the emulator's answer."""
    if isinstance(recorded, list) and isinstance(actual, list):
        for old, new in zip(recorded, actual, strict=False):
            learn_ids(old, new, ids)
    elif isinstance(recorded, dict) and isinstance(actual, dict):
        for key in set(recorded) & set(actual):
            old, new = recorded[key], actual[key]
            if key in ("id", "Id") and isinstance(old, str) and isinstance(new, str):
                ids[old] = new
            learn_ids(old, new, ids)


# --- replay --------------------------------------------------------------------------------------------


class Replay:
    """Sends recorded requests to one emulator, translating host, version and ids."""

    def __init__(self, handle: EmulatorHandle) -> None:
        self.handle = handle
        self.session = trusted_session(handle, bearer=True)
        self.ids = {RECORDED_ORG_ID: handle.org_id}

    def translate(self, text: str) -> str:
        for old, new in self.ids.items():
            text = text.replace(old, new)
        return _local(text)

    def send(self, interaction: Interaction) -> Any:
        body = interaction.request.get("body")
        data = self.translate(body).encode() if isinstance(body, str) else None
        kind = "application/xml" if data and data.startswith(b"<") else "application/json"
        path = self.translate(interaction.request["uri"])
        headers = {"Content-Type": kind, "X-PrettyPrint": "1"}
        url = self.handle.instance_url + path
        return self.session.request(interaction.request["method"], url, data=data, headers=headers)

    def check(self, interaction: Interaction) -> list[str]:
        """Problems in the emulator's answer to a replayed interaction."""
        answer, recorded = self.send(interaction), interaction.response
        where = interaction.key
        if answer.status_code != recorded["status"]["code"]:
            return [f"{where}: status {answer.status_code} instead of {recorded['status']['code']}"]
        problems = []
        actual_type = answer.headers.get("Content-Type", "").replace(" ", "").lower()
        if recorded["body"]["string"] and actual_type != _content_type(recorded):
            problems.append(f"{where}: content type {actual_type} instead of {_content_type(recorded)}")
        if not recorded["body"]["string"]:
            return problems + ([f"{where}: body {answer.text!r} instead of none"] if answer.content else [])
        expected, actual = json.loads(recorded["body"]["string"]), answer.json()
        subset = any(where.startswith(prefix) for prefix in SUBSET_KEYS)
        learn_ids(expected, actual, self.ids)
        return problems + shape_problems(expected, actual, where, subset=subset)

    def check_excluded(self, interaction: Interaction, rule: Exclusion) -> list[str]:
        """The emulator answers an excluded interaction the way Salesforce answers what it lacks."""
        assert rule.answer is not None
        answer = self.send(interaction)
        body = answer.json()
        got = (answer.status_code, body[0]["errorCode"] if isinstance(body, list) and body else None)
        return [] if got == rule.answer else [f"{interaction.key}: {got} instead of {rule.answer} ({rule.reason})"]


def _cassettes() -> list[Path]:
    return sorted(path for path in CASSETTES.glob("*.yaml") if "interactions" in path.read_text(encoding="utf-8"))


def _start(cassette: Path, tmp_path: Path) -> EmulatorHandle:
    seed = next((SEEDS / name for prefix, name in SEED_FOR.items() if cassette.name.startswith(prefix)), None)
    faults = next((rules for prefix, rules in FAULTS_FOR.items() if cassette.name.startswith(prefix)), None)
    return start_emulator(tmp_path / "org.json", seed=seed or SEEDS / "fidelity.json", faults=faults)


@pytest.mark.parametrize("cassette", _cassettes(), ids=lambda path: path.name.split(".")[0])
def test_replay_matches_recorded_shapes(cassette: Path, tmp_path: Path) -> None:
    problems: list[str] = []
    with _start(cassette, tmp_path) as handle:
        replay = Replay(handle)
        for item in interactions(cassette):
            key = item if isinstance(item, str) else item.key
            rule = exclusion_for(key)
            if isinstance(item, str):
                problems += [] if rule is not None else [f"{item}: include missing and not excluded"]
            elif rule is not None:
                problems += replay.check_excluded(item, rule)
            else:
                problems += replay.check(item)
    assert not problems, "\n".join(problems)


def test_every_cassette_replays_something_and_every_exclusion_is_used() -> None:
    items = [item for cassette in _cassettes() for item in interactions(cassette)]
    keys = [item if isinstance(item, str) else item.key for item in items]
    replayed = [key for key in keys if exclusion_for(key) is None]
    assert len(_cassettes()) == 8
    assert len(replayed) == 35, "a cassette changed: review EXCLUSIONS"
    for rule in EXCLUSIONS:
        assert any(rule.matches(key) for key in keys), f"exclusion {rule.pattern!r} matches nothing"
    for prefix in SUBSET_KEYS:
        assert any(key.startswith(prefix) for key in replayed), f"{prefix!r} matches nothing"


# --- simple-salesforce fixtures: limits and SOAP faults -------------------------------------------------


def test_limits_have_the_recorded_types(tmp_path: Path) -> None:
    recorded = json.loads((FIXTURES / "simple-salesforce" / "organization_limits_response.json").read_text())
    with start_emulator(tmp_path / "org.json", seed=SEEDS / "fidelity.json") as handle:
        limits = trusted_session(handle, bearer=True).get(f"{handle.instance_url}/services/data/v62.0/limits/")
    assert limits.status_code == 200
    emitted = limits.json()
    assert "DailyApiRequests" in emitted
    for name, value in emitted.items():
        assert name in recorded or name in NEWER_LIMITS, f"{name} is not a Salesforce limit"
        assert shape_problems(recorded.get(name, {"Max": 1, "Remaining": 1}), value, name) == []
        assert set(value) == {"Max", "Remaining"} and {type(v) for v in value.values()} == {int}


def test_invalid_session_fault_matches_the_recorded_fault(tmp_path: Path) -> None:
    recorded = etree.fromstring((CASSETTES / "test_profiles.RESPONSE_FAULT.xml").read_bytes())
    envelope = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:m="http://soap.sforce.com/2006/04/metadata"><soapenv:Header><m:SessionHeader><m:sessionId>bad'
        "</m:sessionId></m:SessionHeader></soapenv:Header><soapenv:Body><m:readMetadata><m:type>Profile</m:type>"
        "<m:fullNames>Admin</m:fullNames></m:readMetadata></soapenv:Body></soapenv:Envelope>"
    )
    with start_emulator(tmp_path / "org.json", seed=SEEDS / "fidelity.json") as handle:
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
        url = f"{handle.instance_url}/services/Soap/m/62.0"
        answer = trusted_session(handle).post(url, data=envelope, headers=headers)
    assert answer.status_code == 500
    assert answer.headers["Content-Type"].startswith("text/xml")
    fault = etree.fromstring(answer.content)
    for part in ("faultcode", "faultstring"):
        assert fault.findtext(f".//{part}") == recorded.findtext(f".//{part}")
    assert etree.QName(fault).localname == etree.QName(recorded).localname == "Envelope"


def test_shape_comparison_reports_keys_types_and_error_text() -> None:
    recorded = {"records": [{"attributes": {"type": "A"}, "Id": "1", "N": None}], "totalSize": 1}
    same = {
        "records": [
            {"attributes": {"type": "A"}, "Id": "2", "N": 5},
            {"attributes": {"type": "A"}, "Id": "3", "N": None},
        ],
        "totalSize": 2,
    }
    assert shape_problems(recorded, same, "q") == []
    changed = {"records": [{"attributes": {"type": "A"}, "Id": 2, "X": 1}], "totalSize": "1"}
    assert shape_problems(recorded, changed, "q") == [
        "q.records[0]: unexpected keys ['X']",
        "q.records[0]: missing keys ['N']",
        "q.records[0].Id: int instead of str",
        "q.totalSize: str instead of int",
    ]
    assert shape_problems({"a": 1, "b": 2}, {"a": 3}, "r", subset=True) == []
    error = [{"errorCode": "NOT_FOUND", "message": "gone"}]
    assert shape_problems(error, [{"errorCode": "NOT_FOUND", "message": "lost"}], "e") == [
        "e[0]: 'lost' instead of 'gone'"
    ]


def test_cassette_loader_resolves_anchors_and_folds_quoted_scalars() -> None:
    text = (
        "version: 1 # a comment\n"
        "items:\n"
        "- &first\n"
        "  name: 'it''s\n"
        "    folded'\n"
        "- *first\n"
        '- text: "a\\\n'
        '    \\ b\\n"\n'
        "  count: 3\n"
        "  empty: null\n"
    )
    assert CassetteYaml(text).load() == {
        "version": 1,
        "items": [{"name": "it's folded"}, {"name": "it's folded"}, {"text": "a b\n", "count": 3, "empty": None}],
    }
