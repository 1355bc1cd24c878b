"""The configuration: TOML files → one frozen, fully validated ``Config``.

``load_config`` reads one file or a directory of ``*.toml`` files (merged in name order), checks every
key, type, reference and per-org expansion, and raises one ``ConfigError`` listing every problem with
``file:line:col``. Decisions beyond DESIGN.md §5:

- Paths in the config (``emulator``, ``ca_cert``, ``key_file``, ``[state] path``) are relative to the
  configuration directory (the directory given, or the file's parent) and are resolved to absolute
  paths here. ``[[apex]] file`` must stay inside that directory and is kept relative (posix form).
- ``${var.NAME}`` placeholders may appear in the names an entry declares (targets, values, profiles,
  users, references); pattern checks skip strings holding a placeholder and expansion substitutes them.
- ``select_orgs`` with ``for_apply`` never picks a ``protected`` org through a tag or the default
  selection: only naming it with ``--org`` does.
- Cross-entry references are checked only when every entry is individually valid, so a typo in one
  entry does not also surface as dangling references to it.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from reconcile import kinds
from reconcile.config.expand import check_expansion
from reconcile.config.files import ConfigFiles
from reconcile.config.messages import describe_validation_error, dotted, type_name
from reconcile.config.schema import AUTH_METHODS, Config, Entry, OrgConfig, SchemaModel
from reconcile.config.secrets import is_secret_name, secret_message
from reconcile.config.source import KeyPath, SourceFile, discover, read_source
from reconcile.errors import ConfigError, Location, Problem, did_you_mean
from state.settings import StateSettings

__all__ = ["Config", "OrgConfig", "StateSettings", "load_config", "select_orgs"]


def _sections() -> dict[str, str]:
    """Every top-level key and how it is written: the fixed tables, then a ``[[kind]]`` per kind."""
    return {
        "version": "version",
        "state": "[state]",
        "orgs": "[orgs.NAME]",
        **{name: f"[[{name}]]" for name in kinds.names()},
    }


M = TypeVar("M", bound=SchemaModel | StateSettings)
Locator = Callable[[KeyPath], Location]


def load_config(path: str | Path, *, orgs: Collection[str] | None = None) -> Config:
    """Load and validate the configuration at ``path``; raise ``ConfigError`` with every problem.

    With ``orgs``, only those orgs are expanded to check them (a worker process planning a share of a
    fleet whose whole configuration its parent has already loaded): what expansion finds in the other
    orgs is not looked for, nor ``after`` references that no org satisfies (those need every org)."""
    root, files = discover(Path(path))
    loader = _Loader(root.resolve())
    for file in files:
        source = read_source(file)
        if isinstance(source, Problem):
            loader.problems.append(source)
            loader.unreadable += 1
        else:
            loader.collect(source)
    config = loader.build(orgs)
    if loader.problems:
        raise ConfigError(sorted(loader.problems, key=_position))
    return config


def select_orgs(config: Config, names: Sequence[str], tags: Sequence[str], *, for_apply: bool) -> list[str]:
    """The org names chosen by ``--org``/``--tag``, sorted. No selection means every org; for apply,
    every org that is not ``protected`` (a protected org is applied only when named)."""
    known_tags = sorted({tag for org in config.orgs.values() for tag in org.tags})
    org_hint = "orgs: " + ", ".join(sorted(config.orgs))
    tag_hint = "tags: " + (", ".join(known_tags) or "(none)")
    problems = [
        Problem(f"unknown org '{name}'" + did_you_mean(name, config.orgs), hint=org_hint)
        for name in names
        if name not in config.orgs
    ]
    problems += [
        Problem(f"no org has the tag '{tag}'" + did_you_mean(tag, known_tags), hint=tag_hint)
        for tag in tags
        if tag not in known_tags
    ]
    if problems:
        raise ConfigError(problems)

    def eligible(org: OrgConfig) -> bool:
        return not (for_apply and org.protected)

    if not names and not tags:
        return sorted(name for name, org in config.orgs.items() if eligible(org))
    tagged = {name for name, org in config.orgs.items() if set(org.tags) & set(tags) and eligible(org)}
    return sorted(set(names) | tagged)


class _Loader:
    """Collects the raw sections of every file, validates them, and accumulates problems."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.connection_problems: list[Problem] = []
        self.sources: list[SourceFile] = []
        self.state_raw: dict[str, tuple[Any, SourceFile]] = {}
        self.org_raw: dict[str, tuple[dict[str, Any], SourceFile]] = {}
        self.entry_raw: list[tuple[str, int, dict[str, Any], SourceFile]] = []
        self.digest_parts: list[tuple[str, bytes]] = []
        self.files = ConfigFiles(root, self.problems, self.digest_parts)
        self.unreadable = 0

    def collect(self, source: SourceFile) -> None:
        self.sources.append(source)
        self.digest_parts.append((self.files.relative(source.path), source.raw))
        for key, value in source.data.items():
            if key == "version":
                self._version(source, value)
            elif key == "state":
                self._state(source, value)
            elif key == "orgs":
                self._orgs(source, value)
            elif key in kinds.names():
                self._entries(source, key, value)
            else:
                self._unknown_section(source, key, value)

    def _version(self, source: SourceFile, value: Any) -> None:
        if type(value) is not int or value != 1:
            self.problems.append(
                source.problem(("version",), f"unsupported config version {value!r}", "this release reads version = 1")
            )

    def _state(self, source: SourceFile, value: Any) -> None:
        if not isinstance(value, dict):
            message = f"[state]: expected a table, got {type_name(value)}"
            self.problems.append(source.problem(("state",), message))
            return
        for key, item in value.items():
            if key in self.state_raw:
                first = self.state_raw[key][1].at(("state", key))
                message = f"`state.{key}` is set twice; first at {first}"
                self.problems.append(source.problem(("state", key), message, "keep one of them"))
            else:
                self.state_raw[key] = (item, source)

    def _orgs(self, source: SourceFile, value: Any) -> None:
        if not isinstance(value, dict):
            self.problems.append(source.problem(("orgs",), "`orgs` must hold [orgs.NAME] tables"))
            return
        for name, table in value.items():
            where = ("orgs", name)
            if not OrgConfig.valid_name(name):
                self.problems.append(
                    source.problem(where, f"invalid org name '{name}'", "use only letters, digits, '-' and '_'")
                )
            elif not isinstance(table, dict):
                message = f"[orgs.{name}]: expected a table, got {type_name(table)}"
                self.problems.append(source.problem(where, message))
            elif name in self.org_raw:
                first = self.org_raw[name][1].at(where)
                self.problems.append(
                    source.problem(
                        where,
                        f"org '{name}' is declared twice: at {first} and at {source.at(where)}",
                        "declare each org once, in one file",
                    )
                )
            else:
                self.org_raw[name] = (table, source)

    def _entries(self, source: SourceFile, section: str, value: Any) -> None:
        message = f"`{section}` entries must be [[{section}]] tables"
        if not isinstance(value, list):
            self.problems.append(source.problem((section,), message))
            return
        for index, item in enumerate(value):
            if isinstance(item, dict):
                self.entry_raw.append((section, index, item, source))
            else:
                self.problems.append(source.problem((section, index), message))

    def _unknown_section(self, source: SourceFile, key: str, value: Any) -> None:
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            shown = f"[[{key}]]"
        elif isinstance(value, dict):
            shown = f"[{key}]"
        else:
            shown = f"key '{key}'"
        sections = _sections()
        close = did_you_mean(shown, list(sections.values()), quote=False)
        self.problems.append(
            source.problem((key,), f"unknown section {shown}{close}", "sections: " + ", ".join(sections.values()))
        )

    def build(self, only: Collection[str] | None = None) -> Config:
        state = self._build_state()
        orgs = {
            name: org
            for name, (raw, source) in sorted(self.org_raw.items())
            if (org := self._build_org(name, raw, source)) is not None
        }
        complete = len(orgs) == len(self.org_raw) and not self.unreadable
        if not self.org_raw and self.sources and not self.unreadable:
            hint = 'add one, e.g. [orgs.dev] with emulator = "orgs/dev.json"'
            self.problems.append(self.sources[0].problem((), "no orgs declared", hint))
        entries = self._build_entries()
        complete = complete and len(entries) == len(self.entry_raw)
        config = Config(
            files=tuple(source.path.resolve() for source in self.sources),
            root=self.root,
            digest=self._digest(),
            state=state,
            orgs=orgs,
            entries=entries,
            connection_problems=tuple(self.connection_problems),
        )
        if only is None:
            self.problems += check_expansion(config, check_references=complete)
        else:
            self.problems += check_expansion(config, check_references=False, orgs=only)
        return config

    def _build_entries(self) -> tuple[Entry, ...]:
        """Valid entries in declaration order: files by name, then line."""
        org_tags = {
            name: [tag for tag in raw.get("tags", []) if isinstance(tag, str)]
            if isinstance(raw.get("tags"), list)
            else []
            for name, (raw, _) in self.org_raw.items()
        }
        entries = [
            entry
            for section, index, raw, source in self.entry_raw
            if (entry := self._build_entry(section, index, raw, source, org_tags)) is not None
        ]
        files = [source.shown for source in self.sources]
        return tuple(sorted(entries, key=lambda entry: (files.index(entry.location.file), entry.location.line)))

    def _digest(self) -> str:
        digest = hashlib.sha256()
        for name, data in sorted(self.digest_parts):
            digest.update(f"{name}\0{len(data)}\0".encode())
            digest.update(data)
        return digest.hexdigest()

    def _validate(self, model: type[M], data: dict[str, Any], at: Locator, label: str, **internal: Any) -> M | None:
        """Validate ``data`` (user keys) plus ``internal`` (loader-filled) keys as ``model``."""
        allowed = model.user_keys()
        silenced = set(internal)
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                silenced.update(close)  # a misspelt key is not also a missing one
                hint = "allowed keys: " + ", ".join(allowed)
                self.problems.append(
                    Problem(f"unknown key '{key}' in {label}" + did_you_mean(key, close), at((key,)), hint)
                )
        known = {key: value for key, value in data.items() if key in allowed}
        try:
            return cast(M, model.model_validate({**known, **internal}))  # mypy loses M through a union bound
        except ValidationError as error:
            for detail in _root_causes(error.errors()):
                path, message, hint = describe_validation_error(detail, model)
                if path and path[0] not in silenced:
                    self.problems.append(Problem(f"{label}: {message}", at(path), hint))
            return None

    def _build_state(self) -> StateSettings:
        data = {key: value for key, (value, _) in self.state_raw.items()}

        def at(path: KeyPath) -> Location:
            origin = self.state_raw.get(str(path[0])) if path else None
            source = origin[1] if origin else self.sources[0]
            return source.at(("state", *path))

        path = data.get("path")
        target = self.root / path if isinstance(path, str) else self.root / StateSettings().path
        settings = self._validate(StateSettings, data, at, "[state]", state_path=target)
        return settings or StateSettings(state_path=target)

    def _build_org(self, name: str, raw: dict[str, Any], source: SourceFile) -> OrgConfig | None:
        base = ("orgs", name)

        def at(path: KeyPath) -> Location:
            return source.at((*base, *path))

        data = self._strip_secrets(raw, at, f"[orgs.{name}]", ())
        auth = None
        if "auth" in data:
            auth = self._build_auth(data.pop("auth"), lambda path: at(("auth", *path)), name)
        org = self._validate(OrgConfig, data, at, f"[orgs.{name}]", name=name, location=source.at(base), auth=auth)
        if org is None or ("auth" in raw and auth is None):
            return None
        findings = org.findings(self.root, has_auth="auth" in raw)
        label = f"[orgs.{name}]"
        self.problems += [Problem(f"{label}: {message}", at(path), hint) for path, message, hint in findings]
        self.connection_problems += [
            Problem(f"{label}: {message}", at(path), hint) for path, message, hint in org.connection_findings(self.root)
        ]
        return org.resolved(self.root) if not findings else None

    def _build_auth(self, raw: Any, at: Locator, org: str) -> SchemaModel | None:
        label = f"auth of [orgs.{org}]"
        methods = ", ".join(AUTH_METHODS)
        method = raw.get("method") if isinstance(raw, dict) else None
        if not isinstance(raw, dict):
            hint = f'write auth = {{ method = "...", ... }} with a method of {methods}'
            self.problems.append(Problem(f"{label}: expected a table, got {type_name(raw)}", at(()), hint))
        elif not isinstance(method, str) or method not in AUTH_METHODS:
            what = "needs a `method`" if method is None else f"has an unknown method {method!r}"
            close = did_you_mean(method, AUTH_METHODS) if isinstance(method, str) else ""
            self.problems.append(Problem(f"{label} {what}{close}", at(("method",)), f"methods: {methods}"))
        else:
            return self._validate(AUTH_METHODS[method], raw, at, label)
        return None

    def _strip_secrets(self, table: dict[str, Any], at: Locator, label: str, path: KeyPath) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for key, value in table.items():
            if isinstance(value, dict):
                kept[key] = self._strip_secrets(value, at, label, (*path, key))
            elif is_secret_name(key):
                self.problems.append(
                    Problem(secret_message(key), at((*path, key)), f"remove `{dotted((*path, key))}` from {label}")
                )
            else:
                kept[key] = value
        return kept

    def _build_entry(
        self, section: str, index: int, raw: dict[str, Any], source: SourceFile, org_tags: Mapping[str, Collection[str]]
    ) -> Entry | None:
        base = (section, index)

        def at(path: KeyPath) -> Location:
            return source.at((*base, *path))

        title = f"[[{section}]] #{index + 1}"
        model = kinds.get(section).entry
        entry = self._validate(model, raw, at, title, location=source.at(base), title=title)
        if entry is None:
            return None
        findings = entry.findings()
        # an unknown org or tag is reported, but the entry is kept (it applies to no such org), so what only
        # expansion sees (an address declared twice) is reported in the same run: every mistake at once
        targets = entry.target_findings(org_tags) if not self.unreadable else []
        self.problems += [Problem(f"{title}: {message}", at(path), hint) for path, message, hint in findings + targets]
        return entry.load_files(self.files.for_entry(at)) if not findings else None


def _root_causes(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """The errors minus a list's "too short" when an item of that same list is what failed (pydantic
    counts only the valid items, so ``users = ["alice"]`` would also read as an empty list)."""
    failed_items = {tuple(e["loc"][:-1]) for e in errors if e["type"] != "too_short" and len(e["loc"]) > 1}
    return [e for e in errors if e["type"] != "too_short" or tuple(e["loc"]) not in failed_items]


def _position(problem: Problem) -> tuple[str, int, int]:
    where = problem.location
    return (where.file, where.line, where.col) if where else ("", 0, 0)
