"""Renderers: golden files, wording, deletes repeated, Markdown size cap, JSON shape, determinism."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import TYPE_CHECKING

from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.kinds.picklist_values import Picklist, PicklistValue
from reconcile.model import Action, Change, ValueChange, canonical_json, sha256_hex
from reconcile.plan import OrgPlan, Plan
from reconcile.render.json import plan_to_data, render_plan_json
from reconcile.render.markdown import render_plan_markdown
from reconcile.render.text import change_detail_lines, plan_total_line, render_plan_text
from tests.plans import empty_plan, large_plan, sample_plan

if TYPE_CHECKING:
    from tests.conftest import Golden

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_text_matches_golden(golden: Golden) -> None:
    golden.check("plan.txt", render_plan_text(sample_plan()))


def test_markdown_matches_golden(golden: Golden) -> None:
    golden.check("plan.md", render_plan_markdown(sample_plan()))


def test_json_matches_golden(golden: Golden) -> None:
    golden.check("plan.json", render_plan_json(sample_plan()))


def test_text_puts_summary_table_before_changes() -> None:
    text = render_plan_text(sample_plan())
    table = text.index("+ create")
    first_change = text.index("+ picklist:gvs:Regions")
    assert table < first_change
    assert re.search(r"^uat\s+00D7Q000001AbCdUAK\s+yes\s+2\s+2\s+1\s+1\s+1\s+12\s+0$", text, re.M)
    assert re.search(r"^prod\s+00D5g000004XyZaEAK\s+no\s+2\s+0\s+0\s+0\s+0\s+4\s+1$", text, re.M)


def test_text_lists_every_delete_again_at_the_end() -> None:
    text = render_plan_text(large_plan(8, deletes=3))
    tail = text[text.index("Deletes in this plan:") :]
    for index in range(3):
        assert f"  - uat::permission_set_grant:Sales_Ops/user{index:05d}@acme.com" in tail
    assert "user00003" not in tail
    assert tail.rstrip().splitlines()[-1].startswith("Plan: 5 to create, 0 to update, 3 to delete")


def test_text_omits_deletes_section_without_deletes() -> None:
    assert "Deletes in this plan:" not in render_plan_text(empty_plan())


def test_no_change_wording() -> None:
    plan = empty_plan()
    assert plan_total_line(plan) == "No changes. Your orgs match the configuration."
    text = render_plan_text(plan)
    assert text.rstrip().splitlines()[-1] == "No changes. Your orgs match the configuration."
    markdown = render_plan_markdown(plan)
    assert "No changes. Your orgs match the configuration." in markdown
    assert "<details>" not in markdown


def test_total_line_counts_every_action_and_org() -> None:
    assert plan_total_line(sample_plan()) == (
        "Plan: 4 to create, 2 to update, 1 to delete, 1 to forget, 1 to run, across 2 orgs."
    )
    assert plan_total_line(large_plan(2, deletes=1)).endswith("across 1 org.")


def test_text_shows_errors_and_warnings_per_org() -> None:
    text = render_plan_text(sample_plan())
    prod = text[text.index("prod (Acme") : text.index("uat (Acme UAT")]
    assert "error: picklist:Account.Tier__c: field Account.Tier__c does not exist" in prod
    assert "warning:" not in prod
    assert "prod has errors and must not be applied" in text


def test_text_colour_is_opt_in() -> None:
    plain = render_plan_text(sample_plan())
    coloured = render_plan_text(sample_plan(), color=True)
    assert "\x1b[" not in plain
    assert "\x1b[31m" in coloured  # deletes and errors in red
    assert ANSI.sub("", coloured) == plain


def test_text_is_stable_and_respects_width() -> None:
    plan = sample_plan()
    assert render_plan_text(plan) == render_plan_text(plan)
    table_lines = [line for line in render_plan_text(plan, width=120).splitlines() if line.startswith("──")]
    assert table_lines and all(len(line) <= 120 for line in table_lines)


def test_picklist_value_detail_lines() -> None:
    change = Change(
        address=Picklist(target="Account.Tier__c").address,
        action=Action.UPDATE,
        details=(
            ValueChange(value="Bronze", change="add"),
            ValueChange(value="Gold", change="relabel", before="Gold", after="Gold tier"),
            ValueChange(value="Copper", change="deactivate"),
            ValueChange(value="Tin", change="reactivate"),
            ValueChange(value="Gold", change="default", before="Silver"),
            ValueChange(value="Silver", change="undefault"),
        ),
    )
    assert change_detail_lines(change) == [
        ("+", "value Bronze"),
        ("~", 'value Gold: label "Gold" -> "Gold tier"'),
        ("-", "value Copper (deactivate)"),
        ("+", "value Tin (reactivate)"),
        ("~", "default: Silver -> Gold"),
        ("~", "value Silver: no longer the default"),
    ]


def test_grant_expiry_detail() -> None:
    before = PermissionSetGrant(permission_set="Sales_Ops", username="a@acme.com")
    after = before.model_copy(update={"expires": date(2026, 1, 31)})
    update = Change(address=before.address, action=Action.UPDATE, before=before, after=after)
    assert change_detail_lines(update) == [("~", "expires: never -> 2026-01-31")]


def test_markdown_truncates_details_but_keeps_summary_and_deletes() -> None:
    plan = large_plan(5000, deletes=4)
    markdown = render_plan_markdown(plan, artifact_hint="the `plan` build artifact")
    assert len(markdown) < 65536
    assert "| uat | 4996 | 0 | 4 | 0 | 0 | 0 | 0 |" in markdown
    assert "### Deletes (4)" in markdown
    deletes = markdown[markdown.index("### Deletes") : markdown.index("<details>")]
    for index in range(4):
        assert f"uat::permission_set_grant:Sales_Ops/user{index:05d}@acme.com" in deletes
    shown = len(re.findall(r"^[+-] permission_set_grant:", markdown, re.M))
    assert 0 < shown < 5000
    note = markdown.rstrip().splitlines()[-1]
    assert note == f"… {5000 - shown} more changes not shown; see the full plan in the `plan` build artifact"
    assert markdown.count("```diff") == markdown.count("</details>") == 1


def test_markdown_truncation_default_hint_and_exact_cap() -> None:
    plan = large_plan(300, deletes=0)
    markdown = render_plan_markdown(plan, max_chars=4000)
    assert len(markdown) <= 4000
    assert markdown.rstrip().endswith("see the full plan in the saved plan file")
    assert render_plan_markdown(plan, max_chars=10**6).count("+ permission_set_grant:") == 300


def test_markdown_keeps_problems_outside_collapsed_sections() -> None:
    markdown = render_plan_markdown(sample_plan())
    first_details = markdown.index("<details>")
    assert markdown.index("### Errors") < first_details
    assert markdown.index("### Warnings") < first_details
    assert markdown.index("### Deletes (1)") < first_details
    assert "<summary>uat — 7 changes</summary>" in markdown
    assert "<summary>prod — 2 changes</summary>" in markdown


def _diff_lines(markdown: str) -> list[str]:
    return [line for block in re.findall(r"```diff\n(.*?)\n```", markdown, re.S) for line in block.splitlines()]


def test_markdown_diff_blocks_use_the_symbols_github_colours() -> None:
    markdown = render_plan_markdown(sample_plan())
    lines = _diff_lines(markdown)
    # GitHub colours + and > green, - red, ! orange, # grey; a line starting with a space is plain
    assert lines and all(line[0] in "+-!# " for line in lines), lines
    assert "! picklist:Account.Tier__c  (picklist values differ)" in lines
    assert '!     value Gold: label "Gold" -> "Gold tier"' in lines
    assert "!     default: Silver -> Gold" in lines
    assert any(line.startswith("# layout_assignment:Sales Manager/Account  (no longer in") for line in lines)
    assert "! apex:backfill-tiers  (never run in this org)" in lines
    assert any(line.startswith("- permission_set_grant:Sales_Ops/carol@acme.com.uat  (") for line in lines)
    legend = next(line for line in markdown.splitlines() if line.startswith("Legend:"))
    for said in ("`+` create", "`!` update", "`-` delete", "`#` forget", "`!` run", "GitHub colours"):
        assert said in legend
    assert markdown.index(legend) < markdown.index("<details>")


def test_text_keeps_its_own_symbols() -> None:
    text = render_plan_text(sample_plan())
    for line in (
        "  ~ picklist:Account.Tier__c  (picklist values differ)",
        "      ~ default: Silver -> Gold",
        "  / layout_assignment:Sales Manager/Account  (",
        "  > apex:backfill-tiers  (never run in this org)",
    ):
        assert line in text
    assert not re.search(r"^ *[!#] ", text, re.M)


def test_a_plan_without_changes_prints_no_legend() -> None:
    assert "Legend" not in render_plan_markdown(empty_plan())


def test_markdown_escapes_text_outside_code() -> None:
    org = OrgPlan(org="dev", errors=("bad <script> | *value*",))
    plan = sample_plan().model_copy(update={"orgs": (org,)})
    markdown = render_plan_markdown(plan)
    assert r"bad \<script\> \| \*value\*" in markdown
    assert "<script>" not in markdown


def test_markdown_fence_survives_backticks_in_reasons() -> None:
    grant = PermissionSetGrant(permission_set="X", username="u@acme.com")
    change = Change(address=grant.address, action=Action.CREATE, after=grant, reason="see ```docs```")
    plan = sample_plan().model_copy(update={"orgs": (OrgPlan(org="dev", changes=(change,)),)})
    markdown = render_plan_markdown(plan)
    assert "````diff\n" in markdown
    assert "\n````\n" in markdown


def test_json_has_every_key() -> None:
    data = plan_to_data(sample_plan())
    top = {"format_version", "created_at", "config_digest", "state_lineage", "state_serial", "orgs"}
    assert top <= set(data)
    assert data["created_at"] == "2025-03-14T09:30:05.123456+00:00"
    uat = data["orgs"][1]
    assert uat["org"] == "uat" and uat["org_id"] == "00D7Q000001AbCdUAK" and uat["is_sandbox"] is True
    assert uat["summary"] == {
        "create": 2, "update": 2, "delete": 1, "forget": 1, "run": 1, "unchanged": 12, "changes": 7,
    }  # fmt: skip
    keys = {"address", "action", "symbol", "reason", "before", "after", "details", "fingerprint"}
    for change in uat["changes"]:
        assert set(change) == keys | {"depends_on"}
    picklist, *_, apex = uat["changes"]
    assert picklist["address"] == "picklist:Account.Tier__c" and picklist["symbol"] == "~"
    bronze = {"value": "Bronze", "change": "add", "before": None, "after": "Bronze tier"}
    assert picklist["details"][0] == bronze
    assert picklist["fingerprint"] != "absent"
    assert apex["action"] == "run" and apex["depends_on"] == ["picklist:Account.Tier__c"]
    assert apex["before"] is None and apex["after"]["kind"] == "apex"


def test_json_checksum_covers_the_rest() -> None:
    data = plan_to_data(sample_plan())
    checksum = data.pop("checksum")
    assert checksum == sha256_hex(canonical_json(data))
    other = plan_to_data(sample_plan().model_copy(update={"state_serial": 8}))
    assert other["checksum"] != checksum


def test_json_is_deterministic_and_parses() -> None:
    first = render_plan_json(sample_plan())
    assert first == render_plan_json(sample_plan())
    assert json.loads(first) == plan_to_data(sample_plan())
    assert first.endswith("}\n")


def test_markdown_is_stable() -> None:
    assert render_plan_markdown(sample_plan()) == render_plan_markdown(sample_plan())


def test_picklist_create_lists_its_values() -> None:
    regions = Picklist(target="gvs:Regions", values=(PicklistValue(name="EMEA", label="Europe"),))
    change = Change(address=regions.address, action=Action.CREATE, after=regions)
    assert change_detail_lines(change) == [("+", 'value EMEA (label "Europe")')]
    empty = Plan.model_validate(
        {"created_at": "2025-01-01T00:00:00Z", "config_digest": "d", "state_lineage": "l", "state_serial": 0}
    )
    assert plan_total_line(empty) == "Nothing was planned: no org is selected."


def test_the_closing_line_says_what_no_changes_means() -> None:
    from reconcile.plan import OrgPlan

    def plan_of(*orgs: OrgPlan) -> Plan:
        return Plan.model_validate(
            {
                "created_at": "2025-01-01T00:00:00Z",
                "config_digest": "d",
                "state_lineage": "l",
                "state_serial": 0,
                "orgs": orgs,
            }
        )

    fine = OrgPlan(org="dev", org_id="00D1", is_sandbox=True)
    broken = OrgPlan(org="prod", errors=("org prod: cannot log in",))
    assert plan_total_line(plan_of(fine)) == "No changes. Your orgs match the configuration."
    assert plan_total_line(plan_of(fine, broken)) == (
        "No changes in the 1 org that could be planned; 1 org could not be planned (prod)."
    )
    assert plan_total_line(plan_of(broken)) == "Nothing was checked: 1 org could not be planned (prod)."


def test_an_org_that_could_not_be_read_is_shown_as_unknown_and_protected_orgs_are_marked() -> None:
    from reconcile.plan import OrgPlan
    from reconcile.render.markdown import render_plan_markdown
    from reconcile.render.text import render_plan_text

    broken = OrgPlan(org="prod", errors=("org prod: cannot log in",), protected=True)
    plan = Plan.model_validate(
        {
            "created_at": "2025-01-01T00:00:00Z",
            "config_digest": "d",
            "state_lineage": "l",
            "state_serial": 0,
            "orgs": [broken],
        }
    )
    text = render_plan_text(plan)
    assert "prod (identity unknown, protected: applied only when named with --org)" in text
    assert "production" not in text
    assert "| prod (protected) |" in render_plan_markdown(plan)
    assert json.loads(render_plan_json(plan))["orgs"][0]["is_sandbox"] is None


def test_a_plan_made_before_any_state_says_so() -> None:
    from reconcile.render.text import render_plan_text

    plan = sample_plan().model_copy(update={"state_lineage": "", "state_serial": 0})
    header = render_plan_text(plan).splitlines()[1]
    assert header.endswith("no state yet")


LONG_ORG_NAMES = ("customer-success-production-emea", "customer-success-sandbox-full-copy-apac")


def test_outside_a_terminal_the_summary_table_prints_whole_at_any_width() -> None:
    plan = sample_plan()
    plan = plan.model_copy(
        update={
            "orgs": tuple(
                org.model_copy(update={"org": name}) for org, name in zip(plan.orgs, LONG_ORG_NAMES, strict=True)
            )
        }
    )
    text = render_plan_text(plan, width=80)
    assert "…" not in text
    header = next(line for line in text.splitlines() if line.startswith("org "))
    assert header.split() == [
        "org",
        "org",
        "id",
        "sandbox",
        "+",
        "create",
        "~",
        "update",
        "-",
        "delete",
        "forget",
        ">",
        "run",
        "unchanged",
        "errors",
    ]
    for name in LONG_ORG_NAMES:
        assert re.search(rf"^{name} +00D", text, re.M), name
    fitted = render_plan_text(plan, width=80, terminal=True)
    lines = fitted.splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line.startswith("org")) :]
    table = table[: next(i for i, line in enumerate(table) if line.startswith("total")) + 1]
    assert len(table) > 4 and all(len(line) <= 80 for line in table)
