"""The ``flow`` kind: a flow's active version, through the Tooling API's FlowDefinition.

Read: one Tooling query for every declared flow of the org,
``SELECT Id, DeveloperName, NamespacePrefix, ActiveVersion.VersionNumber, LatestVersion.VersionNumber
FROM FlowDefinition WHERE DeveloperName IN (...)`` (split only when the names overflow a request URI).
``DeveloperName`` holds no namespace (``ns__Name`` is matched on ``NamespacePrefix`` too), and
``ActiveVersion`` is null for a flow with no active version. FlowDefinition, its ``ActiveVersion`` and
``LatestVersion`` relationships (type Flow) and its ``Metadata.activeVersionNumber`` are documented in
the Tooling API reference (``tooling_api_objects_flowdefinition.htm``, v34+). Public tools query the id
fields (``SELECT Id, ActiveVersionId, LatestVersionId FROM FlowDefinition WHERE DeveloperName = ...``,
SalesforceLabs/OrgCheck and activation scripts); no public source was found that traverses the
relationships to ``VersionNumber`` in one query, so that this works on a real org is unsettled (the
fallback would be a second query on Flow by those ids).

Preflight: a flow the org does not have, a version number above the latest, and a wanted version whose
Flow ``Status`` is ``Draft`` or ``InvalidDraft`` (Salesforce activates only ``Active``/``Obsolete``
versions) are problems naming the flow. Statuses cost one more Tooling query
(``SELECT DefinitionId, VersionNumber, Status FROM Flow WHERE DefinitionId IN (...)``), made only for
flows whose wanted version is not the one already active.

Write: ``PATCH tooling/sobjects/FlowDefinition/{Id}`` with ``{"Metadata": {"activeVersionNumber": N}}``
(0 deactivates), one request per flow: the Tooling API has no collection update for it. Sending only
``activeVersionNumber`` (no ``masterLabel``/``description``) leaving those as they are is not settled by
any public source; the error code Salesforce returns for a version it will not activate is not public
either (its message is reported as it comes). Activating the version that is already active is harmless,
so the write is replay-safe.

Inventory: every FlowDefinition of the org in one query, by ``ns__Name`` as the org spells it.

Seed (snapshots): every FlowDefinition (label, description, active version) and every Flow version
(number, status, process type), one Tooling query each.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from providers.salesforce.kinds.base import KindContext, suggestion
from providers.salesforce.soql import in_chunks
from reconcile.errors import ApiLimitError, Problem, ProviderError
from reconcile.kinds.flow import Flow, resolve
from reconcile.model import Action, Address, Change, ChangeResult, Resource

FIELDS = "Id, DeveloperName, NamespacePrefix, ActiveVersion.VersionNumber, LatestVersion.VersionNumber"
SEED_DEFINITIONS = (
    "SELECT Id, DeveloperName, NamespacePrefix, MasterLabel, Description, ActiveVersion.VersionNumber "
    "FROM FlowDefinition"
)
SEED_VERSIONS = "SELECT DefinitionId, VersionNumber, Status, ProcessType FROM Flow"
NOT_ACTIVATABLE = ("Draft", "InvalidDraft")
#: Codes that refuse one flow's write; anything else the transport raises concerns the whole org.
RECORD_CODES = ("FIELD_INTEGRITY_EXCEPTION", "NOT_FOUND", "ENTITY_IS_DELETED", "MALFORMED_ID", "INVALID_FIELD")


def split_name(name: str) -> tuple[str | None, str]:
    """``ns__Lead_Routing`` -> ("ns", "Lead_Routing"); ``Lead_Routing`` -> (None, "Lead_Routing")."""
    namespace, sep, rest = name.partition("__")
    if sep and namespace and rest and "__" not in rest:
        return namespace, rest
    return None, name


class FlowHandler:
    """Reads, checks, activates and lists the flows of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        self.flows: dict[str, Flow] = {}  # casefolded ns__Name -> live flow
        self._statuses: dict[str, dict[int, str]] = {}  # definition Id -> version number -> Status

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        names = sorted({split_name(key)[1] for key in keys}, key=str.casefold)
        for soql in in_chunks(
            names, lambda values: f"SELECT {FIELDS} FROM FlowDefinition WHERE DeveloperName IN {values}"
        ):
            self._remember(self.transport.query_all(soql, tooling=True))
        result: dict[Address, Resource] = {}
        for key in keys:
            found = self.flows.get(key.casefold())
            if found is not None:
                result[Address("flow", key)] = found.model_copy(update={"name": key})  # keyed as asked
        return result

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        wanted = [d for d in desired if isinstance(d, Flow)]
        unread = [d.name for d in wanted if d.name.casefold() not in self.flows]
        if unread:
            self.read(unread)
        pending = [(d, self.flows.get(d.name.casefold())) for d in wanted]
        self._read_statuses([live for d, live in pending if live is not None and self._needs_status(d, live)])
        problems: list[Problem] = []
        for item, live in pending:
            problem = self._problem(item, live)
            if problem is not None:
                problems.append(problem)
        return problems

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        return [self._apply(change) for change in changes]

    def inventory(self) -> dict[Address, Resource]:
        self._remember(self.transport.query_all(f"SELECT {FIELDS} FROM FlowDefinition", tooling=True))
        return dict(sorted((flow.address, flow) for flow in self.flows.values()))

    def seed(self) -> dict[str, Any]:
        """The ``flows`` seed section: every flow with its versions (two Tooling queries)."""
        definitions = self.transport.query_all(SEED_DEFINITIONS, tooling=True)
        versions: dict[str, list[dict[str, Any]]] = {}
        for record in self.transport.query_all(SEED_VERSIONS, tooling=True):
            versions.setdefault(str(record["DefinitionId"])[:15], []).append(record)
        flows = []
        for record in definitions:
            rows = sorted(versions.get(str(record["Id"])[:15], []), key=lambda r: int(r["VersionNumber"]))
            entry: dict[str, Any] = {"name": record["DeveloperName"]}
            if record.get("NamespacePrefix"):
                entry["namespace"] = record["NamespacePrefix"]
            if record.get("MasterLabel"):
                entry["label"] = record["MasterLabel"]
            if record.get("Description"):
                entry["description"] = record["Description"]
            if rows and rows[-1].get("ProcessType"):
                entry["process_type"] = rows[-1]["ProcessType"]
            entry["versions"] = [{"number": int(r["VersionNumber"]), "status": r["Status"]} for r in rows]
            entry["active_version"] = _version(record.get("ActiveVersion")) or 0
            flows.append(entry)
        return {"flows": flows}

    def _remember(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            namespace = record.get("NamespacePrefix")
            name = f"{namespace}__{record['DeveloperName']}" if namespace else str(record["DeveloperName"])
            active, latest = _version(record.get("ActiveVersion")), _version(record.get("LatestVersion"))
            self.flows[name.casefold()] = Flow(
                name=name,
                active_version=active if active is not None else "none",
                active=active,
                latest=latest,
                ids={"definition": str(record["Id"])},
            )

    @staticmethod
    def _needs_status(desired: Flow, live: Flow) -> bool:
        target = resolve(desired.active_version, live.latest)
        return target != "none" and target != live.active and live.latest is not None and target <= live.latest

    def _read_statuses(self, flows: list[Flow]) -> None:
        ids = [f.ids["definition"] for f in flows if f.ids["definition"] not in self._statuses]
        render = "SELECT DefinitionId, VersionNumber, Status FROM Flow WHERE DefinitionId IN {}".format
        for soql in in_chunks(ids, render):
            for record in self.transport.query_all(soql, tooling=True):
                by_number = self._statuses.setdefault(str(record["DefinitionId"])[:15], {})
                by_number[int(record["VersionNumber"])] = str(record["Status"])

    def _problem(self, item: Flow, live: Flow | None) -> Problem | None:
        address = str(item.address)
        if live is None:
            hint = suggestion(item.name, [f.name for f in self.flows.values()])
            return Problem(f"no flow {item.name} in the org", hint=hint, address=address)
        target = resolve(item.active_version, live.latest)
        if target == "none" or target == live.active:
            return None
        if live.latest is None or target > live.latest:
            versions = f"its versions are 1 to {live.latest}" if live.latest else "it has no versions"
            return Problem(f"flow {live.name} has no version {target}", hint=versions, address=address)
        status = self._statuses.get(live.ids["definition"][:15], {}).get(target)
        if status in NOT_ACTIVATABLE:
            return Problem(
                f"version {target} of flow {live.name} is a draft ({status}); Salesforce will not activate it",
                hint="activate a saved version, or save this one as a new version first",
                address=address,
            )
        return None

    def _apply(self, change: Change) -> ChangeResult:
        if change.action is Action.FORGET:
            return ChangeResult(address=change.address, ok=True, message="no longer managed; the org is untouched")
        after = change.after
        if change.action is not Action.UPDATE or not isinstance(after, Flow) or after.active_version == "latest":
            message = "a flow cannot be created or deleted here, only its active version set (deploy it first)"
            return _failed(change, "UNSUPPORTED", message)
        definition = after.ids.get("definition", "")
        number = after.active_version if isinstance(after.active_version, int) else 0
        path = f"sobjects/FlowDefinition/{definition}"
        body = {"Metadata": {"activeVersionNumber": number}}
        try:
            self.transport.call(
                "PATCH tooling/sobjects/FlowDefinition/{id}",
                lambda: self.transport.session.sf.toolingexecute(path, method="PATCH", data=body),
            )
        except ApiLimitError:
            raise
        except ProviderError as exc:
            if exc.code not in RECORD_CODES:
                raise
            return _failed(change, exc.code, str(exc))
        live = after.model_copy(update={"active": number or None, "active_version": number or "none"})
        self.flows[live.name.casefold()] = live
        message = f"activated version {number}" if number else "deactivated"
        return ChangeResult(address=change.address, ok=True, message=message, ids=live.ids, resource=live)


def _version(relation: Any) -> int | None:
    """The ``VersionNumber`` of an ``ActiveVersion``/``LatestVersion`` relationship (null when absent)."""
    if not isinstance(relation, dict) or relation.get("VersionNumber") is None:
        return None
    return int(relation["VersionNumber"])


def _failed(change: Change, code: str, message: str) -> ChangeResult:
    return ChangeResult(address=change.address, ok=False, code=code, message=message)
