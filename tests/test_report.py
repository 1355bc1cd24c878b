"""Change reports: the HTML and Markdown forms of a run, and ``reconcile report`` on real runs."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from reconcile.history import Run, build_run
from reconcile.render.report import render_report_html, render_report_markdown, report_title
from tests.test_cli_apex import COMPILE_ERROR, GOOD, RUNTIME_ERROR, make_project

HOSTILE = "<script>alert('x')</script> | & \"quoted\""


def sample_records() -> list[dict[str, Any]]:
    def rec(kind: str, **fields: Any) -> dict[str, Any]:
        return {"run_id": "abc123def456", "type": kind, "at": "2030-01-01T10:00:00+00:00", **fields}

    script = {"file": "scripts/x.apex", "sha256": "f" * 64, "run": "always", "chars": 20, "body": HOSTILE}
    return [
        rec(
            "run_start",
            operation="apply",
            user="ada",
            host="ci",
            orgs=["dev", "uat"],
            plan_file="",
            changes={
                "dev": [
                    {"address": "apex:x", "action": "run", "reason": "run = always", "script": script},
                    {
                        "address": "apex:y",
                        "action": "run",
                        "reason": "never ran",
                        "script": {**script, "file": "scripts/y.apex", "body": "System.debug('y');"},
                    },
                ],
                "uat": [{"address": "picklist:Account.Tier__c", "action": "update", "reason": "1 value added"}],
            },
        ),
        rec(
            "result",
            org="dev",
            address="apex:x",
            action="run",
            ok=False,
            message=HOSTILE,
            seconds=0.2,
            apex={
                "compiled": True,
                "success": False,
                "line": 2,
                "column": 1,
                "exception_message": HOSTILE,
                "exception_stack_trace": "AnonymousBlock: line 2, column 1",
                "debug_log": f"log {HOSTILE}",
            },
        ),
        rec("skipped", org="dev", address="apex:y", action="run", ok=False, message="upstream failed: apex:x"),
        rec("result", org="uat", address="picklist:Account.Tier__c", action="update", ok=True, message="saved"),
        rec(
            "run_end",
            ok=False,
            orgs={
                "dev": {"applied": 0, "failed": 1, "skipped": 1, "api_calls": 1, "seconds": 0.3, "error": ""},
                "uat": {"applied": 1, "failed": 0, "skipped": 0, "api_calls": 3, "seconds": 0.5, "error": ""},
            },
        ),
    ]


def _run() -> Run:
    return build_run("abc123def456", sample_records())


class _Collector(HTMLParser):
    """Tags, attributes, the title and the text of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_title:
            self.title += data


def _parse(document: str) -> _Collector:
    collector = _Collector()
    collector.feed(document)
    return collector


def test_html_is_self_contained_and_escapes_everything() -> None:
    document = render_report_html(_run())
    parsed = _parse(document)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert not any(name in ("src", "href") for name, _ in parsed.attrs)
    assert "<script>" not in document and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in document
    assert HOSTILE in "".join(parsed.text)  # the text survives, as text
    assert parsed.title == report_title(_run()) == "Change report: apply run abc123def456"


def test_html_has_a_badge_per_org_a_table_per_org_and_collapsed_logs() -> None:
    document = render_report_html(_run())
    parsed = _parse(document)
    badges = re.findall(r'<h2>(\w+) <span class="badge (\w+)">', document)
    assert badges == [("dev", "failed"), ("uat", "ok")]
    assert parsed.tags.count("table") == 3  # the summary, then one per org
    assert re.search(r"<details><summary>Debug log \(1 line\)</summary><pre>log &lt;script&gt;", document)
    assert "<details><summary>Script source (1 line)</summary>" in document
    assert "No debug log: the script did not run (skipped)." in document
    assert "AnonymousBlock: line 2, column 1" in document and "<dd>2:1</dd>" in document
    assert "<dd>ada@ci</dd>" in document and "<dd>2030-01-01T10:00:00+00:00</dd>" in document


def test_markdown_has_headings_tables_and_escaped_cells() -> None:
    text = render_report_markdown(_run())
    assert text.startswith("# Change report: apply run abc123def456\n")
    assert "## dev: FAILED" in text and "## uat: OK" in text
    assert "| dev | **FAILED** | 0 | 1 | 1 | 1 | 0.3s |" in text
    assert "| update | `picklist:Account.Tier__c` | **ok** | saved |" in text
    row = next(line for line in text.splitlines() if line.startswith("| run | `apex:x`"))
    assert "&lt;script&gt;" in row and "\\|" in row and row.count(" | ") == 3  # the pipe in the message is escaped
    assert "- **Line:column:** 2:1" in text
    assert "<details><summary>Debug log (1 line)</summary>\n\n```text\nlog <script>" in text


def test_report_command_writes_the_latest_run_or_the_one_asked_for(tmp_path: Path) -> None:
    project = make_project(
        tmp_path,
        ["dev", "uat"],
        [
            {"name": "broken", "file": "scripts/broken.apex", "run": "always", "orgs": ["dev"]},
            {"name": "after-broken", "file": "scripts/good.apex", "after": ["apex:broken"], "orgs": ["dev"]},
            {"name": "hello", "file": "scripts/good.apex", "orgs": ["uat"]},
        ],
    )
    project.write_script("broken.apex", COMPILE_ERROR)
    project.write_script("good.apex", GOOD)
    assert project.apply().exit_code == 1
    adhoc = project.write_script("adhoc.apex", RUNTIME_ERROR)
    assert project.invoke("apex", "run", str(adhoc), "--tag", "fleet", "--auto-approve").exit_code == 1
    apply_id, apex_id = [r["run_id"] for r in project.records() if r["type"] == "run_start"]

    latest = project.invoke("report", "--format", "markdown")
    assert latest.exit_code == 0, latest.output
    assert f"# Change report: apex run {apex_id}" in latest.output
    assert latest.output.count("TierException: no tier for &lt;Globex&gt; &amp; co") >= 2  # one per org

    out = tmp_path / "apply.html"
    written = project.invoke("report", "--run", apply_id, "--format", "html", "--out", str(out))
    assert written.exit_code == 0, written.output
    assert f"report of run {apply_id} to {out}" in written.output
    document = out.read_text(encoding="utf-8")
    assert re.findall(r'<h2>(\w+) <span class="badge (\w+)">', document) == [("dev", "failed"), ("uat", "ok")]
    assert "compile error at line 3, column 26: Missing &#x27;}&#x27; at &#x27;&lt;EOF&gt;&#x27;" in document
    assert "upstream failed: apex:broken" in document
    assert "USER_DEBUG|[1]|DEBUG|tiers backfilled" in document  # uat's hello log


def test_report_needs_a_format_and_a_known_run(tmp_path: Path) -> None:
    project = make_project(tmp_path, ["dev"])
    assert project.invoke("report").exit_code == 1  # a usage error, like every other error
    empty = project.invoke("report", "--format", "html")
    assert empty.exit_code == 1 and "the history is empty" in empty.output
