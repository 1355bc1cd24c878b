from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reconcile.config.desired import DesiredOrg
from reconcile.config.expand import expand, resolve_targets
from reconcile.config.loader import Config, load_config
from reconcile.errors import ConfigError, Location
from reconcile.kinds.apex import ApexScript
from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.kinds.picklist_values import Picklist, PicklistValue
from reconcile.model import Address, sha256_hex

CONFIGS = Path(__file__).parent / "configs"


def addr(text: str) -> Address:
    return Address.parse(text)


def keys(desired: DesiredOrg) -> list[str]:
    return [str(address) for address in desired.resources]


def load_text(tmp_path: Path, text: str) -> Config:
    (tmp_path / "reconcile.toml").write_text(text, encoding="utf-8")
    return load_config(tmp_path)


@pytest.fixture(scope="module")
def every_key() -> Config:
    return load_config(CONFIGS / "every-key")


def test_resources_are_fanned_out_in_declaration_order(every_key: Config) -> None:
    uat = expand(every_key, "uat")

    assert keys(uat) == [
        "picklist:Account.Tier__c",
        "picklist:gvs:Regions",
        "layout_assignment:Sales User/Account/Enterprise",
        "layout_assignment:Sales Manager/Account/Enterprise",
        "layout_assignment:System Administrator/Account",
        "permission_set_grant:Sales_Ops/alice@acme.com.uat",
        "permission_set_grant:Sales_Ops/bob@acme.com.uat",
        "permission_set_grant:group:Sales_Bundle/admin@acme.com.uat",
        "apex:backfill-tiers",
        "apex:hello",
    ]
    assert uat.org == "uat"


def test_entries_apply_only_to_their_orgs_and_tags(every_key: Config) -> None:
    dev, prod, ci = (expand(every_key, name) for name in ("dev", "prod", "ci"))

    assert "picklist:svs:Industry" in keys(dev)
    assert "picklist:svs:Industry" not in keys(prod)
    assert "apex:backfill-tiers" in keys(prod) and "apex:backfill-tiers" not in keys(dev)
    assert "layout_assignment:System Administrator/Account" not in keys(ci)
    assert "permission_set_grant:group:Sales_Bundle/ci@acme.com" in keys(ci)
    assert not any(key.startswith("permission_set_grant:group:") for key in keys(dev))


def test_grants_carry_the_org_suffix_and_expiry(every_key: Config) -> None:
    uat, prod = expand(every_key, "uat"), expand(every_key, "prod")

    grant = uat.resources[addr("permission_set_grant:Sales_Ops/alice@acme.com.uat")]
    assert grant == PermissionSetGrant(
        permission_set="Sales_Ops", username="alice@acme.com.uat", expires=date(2099, 6, 30)
    )
    assert addr("permission_set_grant:Sales_Ops/alice@acme.com") in prod.resources


def test_picklists_keep_value_order_labels_defaults_and_modes(every_key: Config) -> None:
    uat = expand(every_key, "uat")

    assert uat.resources[addr("picklist:Account.Tier__c")] == Picklist(
        target="Account.Tier__c",
        values=(
            PicklistValue(name="Gold", label="Gold"),
            PicklistValue(name="Silver", label="Silver", default=True),
            PicklistValue(name="Bronze", label="Bronze tier", active=False),
        ),
        sorted=True,
        mode="exact",
    )
    regions = uat.resources[addr("picklist:gvs:Regions")]
    assert isinstance(regions, Picklist)
    assert (regions.sorted, regions.mode, regions.default_value) == (None, "additive", "Other")
    assert [value.name for value in regions.values] == ["AMER", "Other"]


def test_variables_are_substituted_per_org(every_key: Config) -> None:
    names = {}
    for org in ("dev", "prod"):
        regions = expand(every_key, org).resources[addr("picklist:gvs:Regions")]
        assert isinstance(regions, Picklist)
        names[org] = [value.name for value in regions.values]

    assert names == {"dev": ["EMEA", "Other"], "prod": ["APAC", "Other"]}


def test_layout_assignments_are_one_per_profile(every_key: Config) -> None:
    layout = expand(every_key, "dev").resources[addr("layout_assignment:Sales Manager/Account/Enterprise")]

    assert layout == LayoutAssignment(
        profile="Sales Manager", object="Account", record_type="Enterprise", layout="Account Enterprise Layout"
    )


def test_apex_scripts_carry_file_hash_policy_and_body(every_key: Config) -> None:
    script = expand(every_key, "uat").resources[addr("apex:backfill-tiers")]
    body = (CONFIGS / "every-key" / "scripts" / "backfill_tiers.apex").read_text(encoding="utf-8")

    assert script == ApexScript(
        name="backfill-tiers", file="scripts/backfill_tiers.apex", sha256=sha256_hex(body), run="on_change", body=body
    )


def test_after_and_before_become_edges(every_key: Config) -> None:
    uat = expand(every_key, "uat")
    tier = addr("picklist:Account.Tier__c")
    alice, bob = (addr(f"permission_set_grant:Sales_Ops/{user}@acme.com.uat") for user in ("alice", "bob"))
    bundle = addr("permission_set_grant:group:Sales_Bundle/admin@acme.com.uat")
    backfill = addr("apex:backfill-tiers")

    assert uat.edges == {
        (tier, addr("layout_assignment:Sales User/Account/Enterprise")),
        (tier, addr("layout_assignment:Sales Manager/Account/Enterprise")),
        (alice, bundle),
        (bob, bundle),
        (tier, backfill),
        (backfill, alice),
    }


def test_references_missing_from_an_org_are_dropped(every_key: Config) -> None:
    dev = expand(every_key, "dev")

    tier = addr("picklist:Account.Tier__c")
    assert dev.edges == {
        (tier, addr("layout_assignment:Sales User/Account/Enterprise")),
        (tier, addr("layout_assignment:Sales Manager/Account/Enterprise")),
    }


def test_locations_and_exclusive_assignables(every_key: Config) -> None:
    uat = expand(every_key, "uat")
    shown = str(CONFIGS / "every-key" / "reconcile.toml")

    assert uat.locations[addr("permission_set_grant:Sales_Ops/bob@acme.com.uat")] == Location(shown, 76, 1)
    assert uat.locations[addr("apex:hello")] == Location(shown, 96, 1)
    assert set(uat.locations) == set(uat.resources)
    assert uat.exclusive == {Address("permission_set_grant", "Sales_Ops")}


def test_an_assignable_reference_never_orders_a_grant_after_itself(tmp_path: Path) -> None:
    config = load_text(
        tmp_path,
        """\
[orgs.dev]
sf_alias = "acme-dev"

[[permission_set_grant]]
permission_set_group = "Bundle"
users = ["bob@acme.com"]
exclusive = true

[[permission_set_grant]]
permission_set_group = "Bundle"
users = ["alice@acme.com"]
after = ["permission_set_grant:group:Bundle"]
""",
    )
    dev = expand(config, "dev")
    alice, bob = (addr(f"permission_set_grant:group:Bundle/{user}@acme.com") for user in ("alice", "bob"))

    assert dev.edges == {(bob, alice)}
    assert dev.exclusive == {Address("permission_set_grant", "group:Bundle")}


def test_the_same_address_for_disjoint_orgs_is_allowed(tmp_path: Path) -> None:
    config = load_text(
        tmp_path,
        """\
[orgs.dev]
sf_alias = "acme-dev"

[orgs.prod]
sf_alias = "acme-prod"

[[layout_assignment]]
profile = "Sales User"
object = "Account"
layout = "Dev Layout"
orgs = ["dev"]

[[layout_assignment]]
profile = "Sales User"
object = "Account"
layout = "Prod Layout"
orgs = ["prod"]
""",
    )
    layouts = {}
    for org in ("dev", "prod"):
        layout = expand(config, org).resources[addr("layout_assignment:Sales User/Account")]
        assert isinstance(layout, LayoutAssignment)
        layouts[org] = layout.layout

    assert layouts == {"dev": "Dev Layout", "prod": "Prod Layout"}


def test_a_reference_valid_in_one_org_only_is_accepted(tmp_path: Path) -> None:
    config = load_text(
        tmp_path,
        """\
[orgs.dev]
sf_alias = "acme-dev"

[orgs.uat]
sf_alias = "acme-uat"

[[picklist]]
field = "Account.Tier__c"
values = ["Gold"]
orgs = ["uat"]

[[permission_set_grant]]
permission_set = "Sales_Ops"
users = ["alice@acme.com"]
after = ["picklist:Account.Tier__c"]
""",
    )

    assert expand(config, "dev").edges == frozenset()
    assert len(expand(config, "uat").edges) == 1


def test_a_malformed_placeholder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_text(
            tmp_path,
            """\
[orgs.dev]
sf_alias = "acme-dev"

[[layout_assignment]]
profile = "${region}"
object = "Account"
layout = "Account Layout"
""",
        )
    [problem] = caught.value.problems

    assert problem.message == "[[layout_assignment]] #1: malformed placeholder `${region}`"
    assert str(problem.location) == f"{tmp_path / 'reconcile.toml'}:4:1"


def test_an_unknown_variable_names_every_org_missing_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_text(
            tmp_path,
            """\
[orgs.dev]
sf_alias = "acme-dev"

[orgs.uat]
sf_alias = "acme-uat"

[[permission_set_grant]]
permission_set = "Sales_Ops"
users = ["${var.admin}"]
""",
        )
    [problem] = caught.value.problems

    assert "unknown variable `${var.admin}` for orgs dev, uat" in problem.message
    assert "[orgs.dev.vars], [orgs.uat.vars]" in problem.hint


def test_expanding_an_unknown_org_suggests_a_name(every_key: Config) -> None:
    with pytest.raises(ConfigError) as caught:
        expand(every_key, "prdo")

    assert caught.value.problems[0].message == "unknown org 'prdo'; did you mean 'prod'?"


# -- --target ----------------------------------------------------------------------------------------

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"


def _quickstart_targets(*texts: str, managed: dict[str, set[Address]] | None = None) -> dict[str, frozenset[Address]]:
    config = load_config(QUICKSTART)
    desired = {org: expand(config, org) for org in ("dev", "uat")}
    return resolve_targets(config, desired, managed or {}, list(texts))


def test_a_target_is_read_like_an_after_reference_in_each_org() -> None:
    chosen = _quickstart_targets(
        "permission_set_grant:Sales_Ops/alice@acme.com", "permission_set_grant:group:Sales_Bundle"
    )
    assert chosen["dev"] == {
        Address("permission_set_grant", "Sales_Ops/alice@acme.com"),
        Address("permission_set_grant", "group:Sales_Bundle/alice@acme.com"),
        Address("permission_set_grant", "group:Sales_Bundle/dave@acme.com"),
    }
    assert Address("permission_set_grant", "Sales_Ops/alice@acme.com.uat") in chosen["uat"]  # the org's suffix


def test_a_target_that_names_nothing_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(ConfigError) as caught:
        _quickstart_targets("picklist:Account.Tire__c")
    assert "--target picklist:Account.Tire__c names nothing in the selected orgs (dev, uat)" in str(caught.value)
    assert "did you mean 'picklist:Account.Tier__c'?" in str(caught.value)


def test_a_target_managed_only_in_state_and_an_exclusive_member_are_accepted() -> None:
    removed = Address("layout_assignment", "Admin/Account")
    chosen = _quickstart_targets(
        str(removed), "permission_set_grant:Sales_Ops/carol@acme.com.uat", managed={"uat": {removed}}
    )
    assert chosen["uat"] == {removed, Address("permission_set_grant", "Sales_Ops/carol@acme.com.uat")}
    assert chosen["dev"] == {Address("permission_set_grant", "Sales_Ops/carol@acme.com.uat")}


def test_a_malformed_target_is_an_error() -> None:
    with pytest.raises(ConfigError, match="--target nonsense: not an address"):
        _quickstart_targets("nonsense")


def test_the_checked_expansions_are_kept_up_to_a_bound_and_handed_out_once(
    every_key: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = load_config(CONFIGS / "every-key")
    names = sorted(fresh.orgs)
    kept = dict(fresh._expanded)
    assert sorted(kept) == names, "a small configuration keeps every org's expansion"
    first = expand(fresh, names[0])
    assert first is kept[names[0]][2], "the first expand hands out the checked expansion"
    again = expand(fresh, names[0])
    assert again is not first and again == first, "later ones expand again, to the same resources"

    sizes = [len(expand(every_key, name).resources) for name in names]
    monkeypatch.setattr("reconcile.config.expand.KEEP_RESOURCES", sizes[0])
    bounded = load_config(CONFIGS / "every-key")
    assert sorted(bounded._expanded) == names[:1], "beyond the bound, orgs are expanded when planned"
    assert all(expand(bounded, name) == expand(every_key, name) for name in names)


def test_a_plan_expands_each_org_when_its_turn_comes() -> None:
    from reconcile.workspace import Expanding

    config = load_config(CONFIGS / "every-key")
    first, second = sorted(config.orgs)[:2]
    lazy = Expanding(config, [second, first])
    assert list(lazy) == [second, first] and len(lazy) == 2
    assert lazy[first] == expand(load_config(CONFIGS / "every-key"), first)
    assert first not in config._expanded, "nothing is kept once handed out"
    assert lazy[first] == lazy[first] and lazy[first] is not lazy[first], "each look-up expands again"
    with pytest.raises(KeyError):
        lazy["no-such-org"]
