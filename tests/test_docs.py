"""The documentation: the generated reference is current, the CLI is documented, docs name only what exists."""

from __future__ import annotations

import re
import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest
import typer.main

from reconcile import __version__
from reconcile.cli import app
from reconcile.config.json_schema import config_schema, examples, models
from scripts.docs_reference import BEGIN, END, REFRESH, main, render_reference, splice, stale_files, toml_value
from tests.support.cli import invoke

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
OWN_DOCS = [
    "configuration.md",
    "getting-started.md",
    "ownership.md",
    "authentication.md",
    "ci.md",
    "troubleshooting.md",
    "verification.md",
    "history.md",
]
OWN_PAGES = [DOCS / name for name in OWN_DOCS] + [ROOT / "examples" / "github-actions" / "README.md"]
ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def command_paths() -> dict[str, str]:
    """Every command and subcommand as ``"state list"`` -> its help text."""
    found: dict[str, str] = {}

    def walk(group: object, prefix: str) -> None:
        for name, command in getattr(group, "commands", {}).items():
            path = f"{prefix} {name}".strip()
            found[path] = (command.help or "").strip()
            walk(command, path)

    walk(typer.main.get_command(app), "")
    return found


def test_the_configuration_reference_is_current() -> None:
    stale = stale_files(DOCS)
    assert not stale, f"out of date: {', '.join(map(str, stale))}; refresh with `{REFRESH}` and review the diff"


def test_the_reference_lists_every_key_of_every_table() -> None:
    reference = render_reference(config_schema())
    for name, model in models().items():
        for key in model.user_keys():
            assert f"| `{key}` |" in reference, f"{name}.{key} is missing from the reference"
    for heading in (
        "### `version`",
        "### `[state]`",
        "### `[orgs.NAME]`",
        "#### `auth`",
        "### `[[picklist]]`",
        "### `[[layout_assignment]]`",
        "### `[[permission_set_grant]]`",
        "### `[[apex]]`",
    ):
        assert heading in reference


@pytest.mark.parametrize("name", sorted(examples()))
def test_every_example_is_toml_that_reads_back_as_the_example(name: str) -> None:
    properties = config_schema()["$defs"][name]["properties"]
    for key, value in examples()[name].items():
        is_date = properties[key].get("format") == "date"
        parsed = tomllib.loads(f"{key} = {toml_value(value, date=is_date)}")[key]
        assert parsed == (date.fromisoformat(value) if is_date else value), f"{name}.{key}"


def test_toml_value_quotes_what_needs_quoting() -> None:
    assert toml_value({"a b": 'say "hi"', "ok": [1, True]}) == '{ "a b" = "say \\"hi\\"", ok = [1, true] }'
    assert tomllib.loads("x = " + toml_value({"a b": 'say "hi"'}))["x"] == {"a b": 'say "hi"'}
    with pytest.raises(TypeError):
        toml_value(object())


def test_splice_replaces_only_the_generated_part() -> None:
    document = f"intro\n{BEGIN}\nold\n{END}\noutro\n"
    assert splice(document, "new\n") == f"intro\n{BEGIN}\nnew\n{END}\noutro\n"
    with pytest.raises(ValueError, match="markers"):
        splice("no markers here\n", "new\n")


def test_check_mode_finds_and_refresh_fixes_a_stale_reference(tmp_path: Path) -> None:
    shutil.copy(DOCS / "configuration.md", tmp_path / "configuration.md")
    shutil.copy(DOCS / "reconcile.schema.json", tmp_path / "reconcile.schema.json")
    assert main(["--docs", str(tmp_path), "--check"]) == 0
    text = (tmp_path / "configuration.md").read_text(encoding="utf-8")
    (tmp_path / "configuration.md").write_text(text.replace("| `mode` |", "| `moed` |"), encoding="utf-8")
    (tmp_path / "reconcile.schema.json").unlink()
    assert main(["--docs", str(tmp_path), "--check"]) == 1
    assert main(["--docs", str(tmp_path)]) == 0
    assert (tmp_path / "configuration.md").read_text(encoding="utf-8") == text
    assert main(["--docs", str(tmp_path), "--check"]) == 0


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0, result.output
    assert result.output == f"reconcile {__version__}\n"


def test_show_completion_prints_a_script(monkeypatch: pytest.MonkeyPatch) -> None:
    # The shell is named, so the test does not depend on the shell this suite happens to run under.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    result = invoke("--show-completion", "bash")
    assert result.exit_code == 0, result.output
    assert "_RECONCILE_COMPLETE=complete_bash" in result.output


def test_install_completion_writes_into_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    result = invoke("--install-completion", "bash", env={"HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "_RECONCILE_COMPLETE" in (tmp_path / ".bash_completions" / "reconcile.sh").read_text(encoding="utf-8")
    assert "reconcile.sh" in (tmp_path / ".bashrc").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("words", "expected"),
    [("reconcile pl", "plan"), ("reconcile plan --fo", "--format"), ("reconcile state u", "unlock")],
)
def test_completion_completes_commands_and_options(words: str, expected: str) -> None:
    env = {"_RECONCILE_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
    result = invoke(env=env)
    assert result.exit_code == 0, result.output
    assert expected in result.output.split()


def test_every_command_in_help_has_a_help_text_and_is_documented() -> None:
    result = invoke("--help", env=ENV)
    assert result.exit_code == 0, result.output
    commands = command_paths()
    top = [path for path in commands if " " not in path]
    assert {"validate", "plan", "show", "apply", "schema", "state"} <= set(top)
    documented = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    for path, help_text in commands.items():
        assert help_text, f"`reconcile {path}` has no help text"
        if " " not in path:
            assert re.search(rf"│ {path}\s", result.output), f"`reconcile {path}` is not in reconcile --help"
        assert f"`reconcile {path}" in documented, f"`reconcile {path}` is not in docs/getting-started.md"


def _code(text: str) -> str:
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    return "\n".join(blocks + spans)


@pytest.mark.parametrize("page", OWN_PAGES, ids=lambda path: path.name)
def test_docs_name_only_commands_and_options_that_exist(page: Path) -> None:
    commands = command_paths()
    root = typer.main.get_command(app)
    for line in _code(page.read_text(encoding="utf-8")).splitlines():
        for match in re.finditer(r"(?:^|[\s$(])reconcile ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)(.*)", line):
            words = match.group(1).split()
            path = " ".join(words) if " ".join(words) in commands else words[0]
            assert path in commands, f"{page.name}: `reconcile {match.group(1)}` is not a command"
            command = root
            for word in path.split():
                command = command.commands[word]  # type: ignore[attr-defined]
            options = {opt for param in command.params for opt in param.opts}
            for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", match.group(2)):
                assert option in options | {"--help"}, f"{page.name}: `reconcile {path}` has no {option}"


@pytest.mark.parametrize("page", OWN_PAGES, ids=lambda path: path.name)
def test_relative_links_resolve(page: Path) -> None:
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
