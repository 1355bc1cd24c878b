"""``custom_setting``: field values of one custom setting row (hierarchy level or list row).

Address: ``custom_setting:Integration_Settings__c/org`` for a hierarchy setting's organization default,
``.../profile:Sales User`` and ``.../user:alice@acme.com`` (with the org's ``username_suffix``) for its
other levels, ``custom_setting:Country_Codes__c/US`` for a list setting's row named ``US``. TOML::

    [[custom_setting]]
    object = "Integration_Settings__c"
    level = "org"                       # or name = "US" for a list setting
    values = { Endpoint__c = "${var.erp_url}", Timeout__c = 30 }

Only the declared fields are compared and written; the row's other fields are left as they are. Values
are TOML strings, numbers, booleans or dates; the provider types them by the field's describe and
reports a wrong type or an unknown field in preflight. ``${var.NAME}`` works in every string value.

Ownership:
- missing row: create; a declared field that differs: update (declared fields only);
- leaving the configuration: a row this tool created (state records ``created``) is deleted; a row it
  only updated is forgotten (the org keeps its values); one already gone is forgotten.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, StrictBool, StrictFloat, StrictInt, StrictStr

from reconcile.config.schema import PLACEHOLDER, Entry, Finding, NonEmpty, one_of
from reconcile.kinds.base import DetailLine, Expansion, Exported, PlanContext, ResourceKind, Skipped, strip_suffix
from reconcile.model import Action, Address, Change, Resource
from state.base import StateEntry

OBJECT_PATTERN = re.compile(r"^([A-Za-z][A-Za-z0-9]*__)?[A-Za-z][A-Za-z0-9_]*__c$")
FIELD_PATTERN = re.compile(r"^([A-Za-z][A-Za-z0-9]*__)?[A-Za-z][A-Za-z0-9_]*__c$")
LEVEL_PATTERN = re.compile(r"^(org|profile:.+|user:.+)$")
USER = "user:"

#: A value as TOML gives it (a date is sent as ``YYYY-MM-DD``).
SettingValue = StrictBool | StrictInt | StrictFloat | StrictStr | date


def _object(value: str) -> str:
    if PLACEHOLDER not in value and not OBJECT_PATTERN.match(value):
        raise ValueError(f"{value!r} must be a custom setting object's API name, e.g. Integration_Settings__c")
    return value


def _level(value: str) -> str:
    if PLACEHOLDER not in value and not LEVEL_PATTERN.match(value):
        raise ValueError(f'{value!r} must be "org", "profile:Profile Name" or "user:username"')
    return value


SettingObject = Annotated[str, AfterValidator(_object), StrictStr]
Level = Annotated[str, AfterValidator(_level), StrictStr]


class CustomSettingEntry(Entry):
    """``[[custom_setting]]``: field values of one hierarchy level or list row of a custom setting."""

    DESCRIPTION = (
        "Field values of a custom setting: a hierarchy setting's level (`level`) or a list setting's row "
        "(`name`). Only the fields in `values` are compared and written. A row this tool created is deleted "
        "when its entry leaves the configuration; one it only updated is left as it is."
    )
    KEY_DOCS = {
        "object": "The custom setting object's API name, e.g. `Integration_Settings__c`.",
        "level": 'For a hierarchy setting: `"org"` (the organization default), `"profile:Profile Name"` or '
        '`"user:username"` (the org\'s `username_suffix` is appended).',
        "name": "For a list setting: the row's `Name`.",
        "values": 'Field API names and their values, e.g. `{ Endpoint__c = "${var.erp_url}", Timeout__c = 30 }`: '
        "text, numbers, booleans or dates, as the field's type wants.",
    }
    EXAMPLES = {
        "object": "Integration_Settings__c",
        "level": "org",
        "name": "US",
        "values": {"Endpoint__c": "https://erp.example.com", "Timeout__c": 30},
    }
    CONSTRAINTS = {"object": {"pattern": OBJECT_PATTERN.pattern}, "level": {"pattern": LEVEL_PATTERN.pattern}}

    object: SettingObject
    level: Level | None = None
    name: NonEmpty | None = None
    values: dict[str, SettingValue]

    def findings(self) -> list[Finding]:
        found = one_of(self, ("level", "name"))
        if not self.values:
            found.append((("values",), "declares no field", 'add at least one field, e.g. { Endpoint__c = "..." }'))
        for field in self.values:
            if not FIELD_PATTERN.match(field):
                found.append(
                    (("values", field), f"{field!r} is not a custom field's API name", "custom fields end in __c")
                )
        return found


class CustomSetting(Resource):
    """One custom setting row: ``row`` is the level (``org``, ``profile:X``, ``user:x``) of a hierarchy
    setting or the ``Name`` of a list setting's row. ``values``: the declared fields (desired) or every
    custom field (live). ``ids``: ``record``, the row's id."""

    kind: Literal["custom_setting"] = "custom_setting"
    object: str
    row: str
    hierarchy: bool = True
    values: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.object}/{self.row}"


def split_key(key: str) -> tuple[str, str]:
    """``Integration_Settings__c/profile:Sales User`` -> ``("Integration_Settings__c", "profile:Sales User")``."""
    object_name, _, row = key.partition("/")
    return object_name, row


def same_value(declared: Any, live: Any) -> bool:
    """Whether a declared value equals the live one as Salesforce stores it (``30`` is ``30.0``, ``"30"``
    from a variable is ``30.0`` in a number field, a date is its ISO text)."""
    if isinstance(declared, date):
        declared = declared.isoformat()
    if isinstance(live, bool) or isinstance(declared, bool):
        return str(declared).lower() == str(live).lower()
    if isinstance(live, int | float) and isinstance(declared, str):
        try:
            return float(declared) == float(live)
        except ValueError:
            return False
    return bool(declared == live)


def shown(value: Any) -> str:
    """A field value as a plan shows it (``true``, ``30``, ``(empty)``)."""
    if value is None:
        return "(empty)"
    return str(value).lower() if isinstance(value, bool) else str(value)


def typed_values(values: Mapping[str, Any], org: Expansion) -> dict[str, Any]:
    """Declared field values for one org: ``${var.NAME}`` substituted in text, dates as ``YYYY-MM-DD``."""
    substituted = {field: org.sub(v) if isinstance(v, str) else v for field, v in values.items()}
    return {field: v.isoformat() if isinstance(v, date) else v for field, v in substituted.items()}


class CustomSettingKind(ResourceKind[CustomSettingEntry, CustomSetting]):
    name = "custom_setting"
    entry = CustomSettingEntry
    resource = CustomSetting
    noun = "custom settings"

    def expand(self, entry: CustomSettingEntry, org: Expansion) -> list[CustomSetting]:
        row = org.sub(entry.level) if entry.level is not None else org.sub(entry.name or "")
        if entry.level is not None and row.startswith(USER):
            row += org.org.username_suffix
        values = typed_values(entry.values, org)
        return [CustomSetting(object=org.sub(entry.object), row=row, hierarchy=entry.level is not None, values=values)]

    def plan(
        self, desired: CustomSetting, live: CustomSetting | None, entry: StateEntry | None, context: PlanContext
    ) -> Change | None:
        if live is None:
            return Change(address=desired.address, action=Action.CREATE, after=desired, reason="missing row")
        declared = {field: live.values.get(field) for field in desired.values}
        differing = [f for f, v in desired.values.items() if not same_value(v, declared[f])]
        if not differing:
            return None
        before = live.model_copy(update={"values": declared})
        after = desired.model_copy(update={"ids": live.ids})
        reason = "differs: " + ", ".join(differing)
        return Change(address=desired.address, action=Action.UPDATE, before=before, after=after, reason=reason)

    def plan_removal(self, address: Address, live: CustomSetting | None, entry: StateEntry) -> Change:
        if live is None:
            return Change(address=address, action=Action.FORGET, reason="no longer in the org")
        declared = {field: live.values.get(field) for field in entry.attributes.get("values", {})}
        before = live.model_copy(update={"values": declared})
        if not entry.attributes.get("created"):
            reason = "no longer declared: the row keeps its values (this tool did not create it)"
            return Change(address=address, action=Action.FORGET, before=before, reason=reason)
        return Change(address=address, action=Action.DELETE, before=before, reason="no longer declared: delete the row")

    def state_attributes(self, change: Change, previous: StateEntry | None) -> dict[str, Any]:
        created = change.action is Action.CREATE or bool(previous is not None and previous.attributes.get("created"))
        return {**super().state_attributes(change, previous), "created": created}

    def detail_lines(self, change: Change) -> list[DetailLine]:
        before = change.before if isinstance(change.before, CustomSetting) else None
        after = change.after if isinstance(change.after, CustomSetting) else None
        if before is not None and after is not None:
            return [
                ("~", f"{field}: {shown(before.values.get(field))} -> {shown(value)}")
                for field, value in after.values.items()
                if not same_value(value, before.values.get(field))
            ]
        row = after or before
        if row is None:
            return []
        symbol = "+" if after is not None else ("-" if change.action is Action.DELETE else " ")
        return [(symbol, f"{field}: {shown(value)}") for field, value in row.values.items()]

    def comparable(self, resource: CustomSetting) -> Any:
        return {field: shown(value) for field, value in resource.values.items()}

    def canonical_key(self, key: str, suffix: str) -> str:
        object_name, row = split_key(key)
        if not row.startswith(USER):
            return key
        username = row.removeprefix(USER)
        return f"{object_name}/{USER}{strip_suffix(username, suffix) or username}"

    def org_key(self, key: str, suffix: str) -> str:
        return f"{key}{suffix}" if split_key(key)[1].startswith(USER) else key

    def as_target(self, source: CustomSetting, target: CustomSetting | None, key: str, suffix: str) -> CustomSetting:
        row = split_key(self.org_key(key, suffix))[1]
        return source.model_copy(update={"ids": target.ids if target is not None else {}, "row": row})

    def compare(
        self, source: CustomSetting, target: CustomSetting, after: CustomSetting, names: tuple[str, str]
    ) -> Change | None:
        fields = sorted(set(source.values) | set(target.values))
        differing = [f for f in fields if not same_value(source.values.get(f), target.values.get(f))]
        if not differing:
            return None
        reason = "; ".join(
            f"{f} {shown(source.values.get(f))} in {names[0]}, {shown(target.values.get(f))} in {names[1]}"
            for f in differing
        )
        return Change(address=target.address, action=Action.UPDATE, before=target, after=after, reason=reason)

    def export(self, resources: Sequence[CustomSetting], org: str, suffix: str) -> Exported:
        """One entry per row (every non-empty custom field), sorted by object and row."""
        entries: list[dict[str, Any]] = []
        skipped: list[Skipped] = []
        for setting in sorted(resources, key=lambda s: (s.object.casefold(), s.row.casefold())):
            values = _exported_values(setting.values)
            row = setting.row
            if setting.hierarchy and row.startswith(USER):
                username = strip_suffix(row.removeprefix(USER), suffix)
                if username is None:
                    skipped.append(Skipped(setting.address, f"the username does not end in {suffix}"))
                    continue
                row = USER + username
            if not values:
                skipped.append(Skipped(setting.address, "the row has no field value to declare"))
                continue
            where = {"level": row} if setting.hierarchy else {"name": row}
            entries.append({"object": setting.object, **where, "values": values, "orgs": [org]})
        return entries, skipped


def _exported_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {field: value for field, value in sorted(values.items()) if value is not None}
