from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from reconcile.config.loader import Config, load_config, select_orgs
from reconcile.config.schema import AccessTokenAuth, ClientCredentialsAuth, JwtAuth, PasswordAuth
from reconcile.config.source import SourceIndex
from reconcile.errors import ConfigError, Location, Problem
from reconcile.kinds.apex import ApexEntry
from reconcile.kinds.layout_assignment import LayoutAssignmentEntry
from reconcile.kinds.permission_set_grant import PermissionSetGrantEntry
from reconcile.kinds.picklist import PicklistEntry
from tests.support.corpus import BAD_CONFIGS, BrokenConfig, broken_configs

CONFIGS = Path(__file__).parent / "configs"
TOML = "reconcile.toml"


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def write(directory: Path, text: str, name: str = TOML) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    target.write_text(text, encoding="utf-8")
    return target


@pytest.mark.parametrize("case", [case for case in broken_configs() if case.problem], ids=lambda case: case.name)
def test_each_broken_scenario_names_its_position(case: BrokenConfig) -> None:
    assert case.problem is not None
    problems = problems_of(case.directory)

    assert len(problems) == 1, problems
    problem = problems[0]
    location, message = case.problem.located_in(case.directory)
    assert str(problem.location) == location
    assert message in problem.message
    assert case.problem.hint in problem.hint


def test_the_error_text_lists_file_line_col_message_and_hint() -> None:
    directory = BAD_CONFIGS / "unknown-key-in-entry"
    with pytest.raises(ConfigError) as caught:
        load_config(directory)

    text = str(caught.value)
    assert text.startswith("1 problem in the configuration:")
    assert f"{directory / TOML}:12:1: unknown key 'valuse'" in text
    assert "(allowed keys:" in text


def test_a_literal_secret_is_never_repeated() -> None:
    for folder in ("literal-password", "env-name-holds-secret"):
        with pytest.raises(ConfigError) as caught:
            load_config(BAD_CONFIGS / folder)
        assert "hunter2" not in str(caught.value)
        assert "FakeToken" not in str(caught.value)


def test_every_mistake_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    write(
        tmp_path,
        """\
[orgs.dev]
sf_alias = "acme-dev"
protected = "yes"

[[picklist]]
field = "Account.Tier__c"
values = ["Gold"]
mode = "exakt"

[[permission_set_grant]]
permission_set = "Sales_Ops"
usres = ["alice@acme.com"]
""",
    )
    problems = problems_of(tmp_path)

    assert [(p.location.line if p.location else 0) for p in problems] == [3, 8, 12]
    assert "`protected`: expected true or false, got a string" in problems[0].message
    assert "did you mean 'exact'?" in problems[1].message
    assert "unknown key 'usres' in [[permission_set_grant]] #1; did you mean 'users'?" in problems[2].message


def test_problems_from_several_files_are_collected_in_file_order(tmp_path: Path) -> None:
    write(tmp_path, '[orgs.dev]\nsf_alias = "acme-dev"\nsf_aliass = "x"\n', "a.toml")
    write(tmp_path, '[[apex]]\nname = "bad name"\nfile = "x.apex"\n', "b.toml")

    problems = problems_of(tmp_path)

    assert [str(p.location) for p in problems] == [f"{tmp_path / 'a.toml'}:3:1", f"{tmp_path / 'b.toml'}:2:1"]


def test_non_utf8_bytes_are_reported_with_their_line(tmp_path: Path) -> None:
    (tmp_path / TOML).write_bytes(b'[orgs.dev]\nsf_alias = "acme"\n# caf\xe9\n')

    [problem] = problems_of(tmp_path)

    assert str(problem.location) == f"{tmp_path / TOML}:3:6"
    assert "not valid UTF-8 (byte 0xe9 at offset 34)" in problem.message
    assert "UTF-8" in problem.hint


def test_a_syntax_error_at_the_end_of_the_document_points_at_the_end(tmp_path: Path) -> None:
    write(tmp_path, '[orgs.dev]\nsf_alias = "acme')

    [problem] = problems_of(tmp_path)

    assert str(problem.location) == f"{tmp_path / TOML}:2:17"
    assert "unterminated string" in problem.message


def test_an_apex_script_over_the_execute_anonymous_limit_is_refused(tmp_path: Path) -> None:
    write(tmp_path, '[orgs.dev]\nsf_alias = "acme"\n\n[[apex]]\nname = "big"\nfile = "big.apex"\n')
    (tmp_path / "big.apex").write_text("x" * 32_001, encoding="utf-8")

    [problem] = problems_of(tmp_path)

    assert str(problem.location) == f"{tmp_path / TOML}:6:1"
    assert "32,001 characters; executeAnonymous accepts at most 32,000" in problem.message


def test_an_apex_script_at_the_limit_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, '[orgs.dev]\nsf_alias = "acme"\n\n[[apex]]\nname = "big"\nfile = "big.apex"\n')
    (tmp_path / "big.apex").write_text("x" * 32_000, encoding="utf-8")

    [entry] = load_config(tmp_path).entries

    assert isinstance(entry, ApexEntry)
    assert len(entry.body) == 32_000


def test_an_absolute_apex_path_outside_the_directory_escapes(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.apex"
    outside.write_text("System.debug(1);", encoding="utf-8")
    write(tmp_path / "cfg", f'[orgs.dev]\nsf_alias = "acme"\n\n[[apex]]\nname = "x"\nfile = "{outside}"\n')

    [problem] = problems_of(tmp_path / "cfg")

    assert "path escapes the configuration directory" in problem.message


def test_a_missing_path_and_an_empty_directory_are_errors(tmp_path: Path) -> None:
    [missing] = problems_of(tmp_path / "nope")
    [empty] = problems_of(tmp_path)

    assert missing.message == "configuration not found"
    assert empty.message == "no *.toml files in this directory"


def test_no_orgs_is_an_error(tmp_path: Path) -> None:
    [problem] = problems_of(BAD_CONFIGS / "no-orgs")

    assert problem.message == "no orgs declared"
    assert "[orgs.dev]" in problem.hint


def test_a_reference_to_an_invalid_entry_is_not_also_reported_as_dangling(tmp_path: Path) -> None:
    write(
        tmp_path,
        """\
[orgs.dev]
sf_alias = "acme-dev"

[[picklist]]
field = "Account.Tier__c"
values = "Gold"

[[permission_set_grant]]
permission_set = "Sales_Ops"
users = ["alice@acme.com"]
after = ["picklist:Account.Tier__c"]
""",
    )
    [problem] = problems_of(tmp_path)

    assert "`values`" in problem.message


@pytest.fixture(scope="module")
def every_key() -> Config:
    return load_config(CONFIGS / "every-key")


def test_the_good_config_loads_every_top_level_setting(every_key: Config) -> None:
    root = (CONFIGS / "every-key").resolve()
    assert every_key.root == root
    assert every_key.files == (root / TOML,)
    assert every_key.version == 1
    assert every_key.state.backend == "postgres"
    assert every_key.state.dsn_env == "TEAM_STATE_DSN"
    assert every_key.state.path == "var/state.json"
    assert every_key.state_path == root / "var" / "state.json"
    assert sorted(every_key.orgs) == ["ci", "dev", "perf", "prod", "qa", "uat"]


def test_the_good_config_loads_every_org_setting(every_key: Config) -> None:
    root = every_key.root
    dev, uat, prod = every_key.orgs["dev"], every_key.orgs["uat"], every_key.orgs["prod"]
    assert (dev.name, dev.source, dev.emulator, dev.auth) == ("dev", "emulator", root / "orgs/dev.json", None)
    assert dev.vars == {"region": "EMEA", "admin": "dev-admin@acme.com"}
    assert dev.location == Location(str(CONFIGS / "every-key" / TOML), 9, 1)
    assert (uat.source, uat.sf_alias, uat.username_suffix, uat.tags) == (
        "sf_alias",
        "acme-uat",
        ".uat",
        ("sandbox", "eu"),
    )
    assert (uat.api_version, uat.vars["region"], uat.protected) == ("61.0", "AMER", False)
    assert (prod.source, prod.instance_url, prod.protected) == ("instance_url", "https://acme.my.salesforce.com", True)
    assert (prod.login_url, prod.ca_cert, prod.api_version) == (
        "https://test.salesforce.com",
        root / "certs/ca.pem",
        "62.0",
    )
    assert prod.auth == JwtAuth(
        method="jwt", username="deploy@acme.com", client_id_env="SF_CLIENT_ID", key_file=root / "certs/jwt.key"
    )


def test_the_good_config_loads_every_auth_method(every_key: Config) -> None:
    assert every_key.orgs["ci"].auth == AccessTokenAuth(method="access_token", token_env="SF_ACCESS_TOKEN")
    assert every_key.orgs["qa"].auth == PasswordAuth(
        method="password", username="qa@acme.com", password_env="SF_PASSWORD", security_token_env="SF_SECURITY_TOKEN"
    )
    assert every_key.orgs["perf"].auth == ClientCredentialsAuth(
        method="client_credentials", client_id_env="SF_CLIENT_ID", client_secret_env="SF_CLIENT_SECRET"
    )


def test_the_good_config_loads_every_entry_key(every_key: Config) -> None:
    tier, regions, industry = every_key.entries_of(PicklistEntry)
    assert isinstance(tier, PicklistEntry) and isinstance(regions, PicklistEntry)
    assert isinstance(industry, PicklistEntry)
    assert (tier.target, tier.default, tier.sorted, tier.mode) == ("Account.Tier__c", "Silver", True, "exact")
    assert tier.values[2].model_dump() == {"name": "Bronze", "label": "Bronze tier", "default": False, "active": False}
    assert (regions.target, industry.target, industry.orgs) == ("gvs:Regions", "svs:Industry", ("dev",))
    layout, admin_layout = every_key.entries_of(LayoutAssignmentEntry)
    assert isinstance(layout, LayoutAssignmentEntry) and isinstance(admin_layout, LayoutAssignmentEntry)
    assert (layout.profile_names, layout.record_type, layout.after) == (
        ("Sales User", "Sales Manager"),
        "Enterprise",
        ("picklist:Account.Tier__c",),
    )
    assert (admin_layout.profile_names, admin_layout.tags) == (("System Administrator",), ("eu",))
    grant, group = every_key.entries_of(PermissionSetGrantEntry)
    assert isinstance(grant, PermissionSetGrantEntry) and isinstance(group, PermissionSetGrantEntry)
    assert (grant.assignable, grant.exclusive, grant.expires) == ("Sales_Ops", True, date(2099, 6, 30))
    assert (group.assignable, group.users) == ("group:Sales_Bundle", ("${var.admin}",))
    assert group.tags == ("sandbox",)


def test_the_good_config_loads_apex_scripts(every_key: Config) -> None:
    backfill, hello = every_key.entries_of(ApexEntry)
    assert isinstance(backfill, ApexEntry) and isinstance(hello, ApexEntry)
    assert (backfill.name, backfill.file, backfill.run) == (
        "backfill-tiers",
        "scripts/backfill_tiers.apex",
        "on_change",
    )
    assert backfill.before == ("permission_set_grant:Sales_Ops/alice@acme.com",)
    assert backfill.body == "Account a = new Account(Name = 'x');\n"
    assert len(backfill.sha256) == 64
    assert (hello.run, hello.location.line) == ("always", 96)
    assert every_key.entries[0].title == "[[picklist]] #1"


def test_a_directory_is_merged_in_file_name_order() -> None:
    config = load_config(CONFIGS / "split-directory")

    assert [path.name for path in config.files] == ["10-orgs.toml", "20-picklists.toml", "30-grants.toml"]
    assert sorted(config.orgs) == ["dev", "uat"]
    assert (config.state.path, config.state.backend) == ("state/reconcile.json", "local")
    assert [(Path(e.location.file).name, e.location.line) for e in config.entries] == [
        ("20-picklists.toml", 5),
        ("30-grants.toml", 4),
        ("30-grants.toml", 9),
    ]


def test_a_state_key_set_in_two_files_names_both(tmp_path: Path) -> None:
    write(tmp_path, '[state]\npath = "a.json"\n[orgs.dev]\nsf_alias = "x"\n', "a.toml")
    write(tmp_path, '\n[state]\npath = "b.json"\n', "b.toml")

    [problem] = problems_of(tmp_path)

    assert str(problem.location) == f"{tmp_path / 'b.toml'}:3:1"
    assert f"`state.path` is set twice; first at {tmp_path / 'a.toml'}:2:1" in problem.message


def test_the_digest_covers_toml_and_apex_files(tmp_path: Path) -> None:
    write(tmp_path, '[orgs.dev]\nsf_alias = "x"\n\n[[apex]]\nname = "a"\nfile = "a.apex"\n')
    script = tmp_path / "a.apex"
    script.write_text("System.debug(1);", encoding="utf-8")
    first = load_config(tmp_path).digest

    script.write_text("System.debug(2);", encoding="utf-8")
    second = load_config(tmp_path).digest
    write(tmp_path, "# unrelated\n", "z.toml")
    third = load_config(tmp_path).digest

    assert len({first, second, third}) == 3
    assert load_config(tmp_path).digest == third


def test_defaults_apply_when_keys_are_omitted(tmp_path: Path) -> None:
    write(tmp_path, '[orgs.dev]\nsf_alias = "x"\n\n[[permission_set_grant]]\npermission_set = "P"\nusers = ["a@b.c"]\n')
    config = load_config(tmp_path)
    org = config.orgs["dev"]
    [grant] = config.entries

    assert config.state_path == tmp_path.resolve() / ".reconcile" / "state.json"
    assert (config.state.backend, config.state.dsn_env) == ("local", "RECONCILE_STATE_DSN")
    assert (org.username_suffix, org.tags, org.protected, org.api_version) == ("", (), False, "62.0")
    assert (org.login_url, org.vars, org.ca_cert) == ("https://login.salesforce.com", {}, None)
    assert isinstance(grant, PermissionSetGrantEntry)
    assert (grant.exclusive, grant.expires, grant.orgs, grant.tags, grant.after) == (False, None, (), (), ())


def test_select_orgs_defaults_to_every_org_and_skips_protected_ones_for_apply(every_key: Config) -> None:
    assert select_orgs(every_key, [], [], for_apply=False) == ["ci", "dev", "perf", "prod", "qa", "uat"]
    assert select_orgs(every_key, [], [], for_apply=True) == ["ci", "dev", "perf", "qa", "uat"]


def test_select_orgs_by_name_and_tag(every_key: Config) -> None:
    assert select_orgs(every_key, ["prod"], [], for_apply=True) == ["prod"]
    assert select_orgs(every_key, ["dev"], ["sandbox"], for_apply=False) == ["ci", "dev", "uat"]
    assert select_orgs(every_key, [], ["eu"], for_apply=True) == ["uat"]


def test_select_orgs_rejects_unknown_names_and_tags_with_suggestions(every_key: Config) -> None:
    with pytest.raises(ConfigError) as caught:
        select_orgs(every_key, ["prdo"], ["sandbx"], for_apply=False)

    messages = [problem.message for problem in caught.value.problems]
    assert messages == [
        "unknown org 'prdo'; did you mean 'prod'?",
        "no org has the tag 'sandbx'; did you mean 'sandbox'?",
    ]


def test_the_index_finds_keys_in_headers_inline_tables_and_multiline_values() -> None:
    text = '''\
title = """a [fake] header
[[picklist]]"""  # comment [x]
orgs.ci.sf_alias = "z"
[orgs.dev]
vars = { "quoted key" = 'x', other = "y" }

[[picklist]]
values = [
  "a", # first
  { name = "b" },
]
[[picklist]]
  "field" = 'Account.X__c'
'''
    index = SourceIndex.scan(text)

    def at(*path: str | int) -> tuple[int, int]:
        location = index.locate("f", path)
        return location.line, location.col

    assert tomllib.loads(text)["orgs"]["ci"]["sf_alias"] == "z"
    assert at("orgs", "ci", "sf_alias") == (3, 9)
    assert at("orgs", "dev") == (4, 1)
    assert at("orgs", "dev", "vars", "quoted key") == (5, 10)
    assert at("orgs", "dev", "vars", "other") == (5, 30)
    assert at("picklist", 0) == (7, 1)
    assert at("picklist", 0, "values", 1) == (10, 3)
    assert at("picklist", 0, "values", 1, "name") == (10, 5)
    assert at("picklist", 1, "field") == (13, 3)
    assert at("picklist", 1, "missing") == (12, 1)
    assert index.locate("f", ("nowhere",)) == Location("f")


def test_a_file_that_does_not_parse_hides_no_other_problem_and_adds_none(tmp_path: Path) -> None:
    write(tmp_path, '[orgs.dev]\nsf_alias = "acme\n', "a.toml")
    write(
        tmp_path,
        '[[picklist]]\nfield = "Account.Tier__c"\nvalues = ["Gold"]\norgs = ["dev"]\ntags = ["eu"]\n'
        'after = ["apex:missing"]\n\n[[apex]]\nname = "x"\nfile = "x.apex"\nrun = "never"\n',
        "b.toml",
    )

    problems = problems_of(tmp_path)

    assert [str(p.location) for p in problems] == [f"{tmp_path / 'a.toml'}:2:17", f"{tmp_path / 'b.toml'}:11:1"]


def test_the_config_is_frozen(every_key: Config) -> None:
    with pytest.raises(ValueError, match="frozen"):
        every_key.orgs["dev"].protected = True


def test_an_expiry_date_in_the_past_is_not_a_configuration_error(tmp_path: Path) -> None:
    # Every dated grant's date passes one day; the planner handles it ("expired"), the config stays valid.
    (tmp_path / "orgs").mkdir()
    (tmp_path / "orgs" / "dev.json").write_text("{}\n")
    (tmp_path / "reconcile.toml").write_text(
        'version = 1\n[orgs.dev]\nemulator = "orgs/dev.json"\n\n[[permission_set_grant]]\n'
        'permission_set = "Sales_Ops"\nusers = ["alice@acme.com"]\nexpires = 2001-01-31\n'
    )
    config = load_config(tmp_path)
    assert config is not None


def test_an_address_declared_twice_is_reported_with_an_unknown_org_in_the_same_run(tmp_path: Path) -> None:
    (tmp_path / "orgs").mkdir()
    (tmp_path / "orgs" / "dev.json").write_text("{}\n")
    grant = '\n[[permission_set_grant]]\npermission_set = "Sales_Ops"\nusers = ["alice@acme.com"]\n'
    (tmp_path / "reconcile.toml").write_text(
        'version = 1\n[orgs.dev]\nemulator = "orgs/dev.json"\n' + grant + grant + 'orgs = ["dev", "prd"]\n'
    )
    messages = [problem.message for problem in problems_of(tmp_path)]
    assert any("declared twice" in message for message in messages), messages
    assert any("unknown org 'prd'" in message for message in messages), messages
