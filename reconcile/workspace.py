"""A workspace: one loaded config, its state backend, and connections to the orgs it names.

This is the wiring every command shares (load config → select orgs → expand → connect → plan). It
does no printing. Connections are opened lazily and closed by ``close()`` (an emulated org's server
stops with it), or one org at a time by ``release(org)``: a plan made with ``release=True`` opens each
org's connection when that org's turn comes and releases it as soon as that org is planned, so nothing
is held per org once it is done (a fleet's memory does not grow with the number of orgs).

It is the composition root: the one place that knows both the real provider and the emulator. An org
configured with ``emulator = "seed.json"`` gets the embedded emulator started here, on its live file
(``emulator_data_path``), and the Salesforce provider connected to it with the token it issues.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from providers.base import ApexResult, ApiUsage, OrgIdentity, Provider
from reconcile import kinds
from reconcile.checks.manual import pending_steps
from reconcile.config.desired import DesiredOrg
from reconcile.config.expand import expand, resolve_targets
from reconcile.config.loader import Config, OrgConfig, load_config, select_orgs
from reconcile.errors import Problem, ProviderError, ReconcileError
from reconcile.fleet.sharding import shard_orgs
from reconcile.model import Address, Change, ChangeResult, Kind, Resource
from reconcile.plan import Plan
from reconcile.planner import build_plan, prior_entries
from state.base import StateBackend, read_orgs
from state.factory import backend_for

if TYPE_CHECKING:
    from providers.salesforce import OrgConnection


class UnavailableProvider:
    """Stands in for an org that could not be connected: every call raises the connection error, so
    the planner records it as that org's error and the other orgs go on."""

    supports: frozenset[Kind] = frozenset()

    def __init__(self, error: ReconcileError) -> None:
        self.error = error
        self.usage = ApiUsage()

    def identity(self) -> OrgIdentity:
        raise self.error

    def read(self, kind: Kind, keys: Collection[str]) -> dict[Address, Resource]:
        raise self.error

    def preflight(self, kind: Kind, desired: Sequence[Resource]) -> list[Problem]:
        raise self.error

    def apply(self, kind: Kind, changes: Sequence[Change]) -> list[ChangeResult]:
        raise self.error

    def run_apex(self, script: str) -> ApexResult:
        raise self.error

    def close(self) -> None:
        return None


def mark_replacements(desired: dict[str, DesiredOrg], replace: Sequence[str]) -> dict[str, DesiredOrg]:
    """``desired`` with the ``--replace`` addresses marked in each org that declares them."""
    wanted: set[Address] = set()
    for text in replace:
        try:
            address = Address.parse(text)
        except ValueError as exc:
            raise ReconcileError(f"--replace {text}: {exc}") from None
        if not kinds.of(address).replaceable:
            able = ", ".join(kind.noun or kind.name for kind in kinds.all_kinds() if kind.replaceable)
            raise ReconcileError(f"--replace {text}: only {able} can be replaced (run again on purpose)")
        if not any(address in org.resources for org in desired.values()):
            raise ReconcileError(f"--replace {text}: no selected org declares it (see `reconcile validate`)")
        wanted.add(address)
    if not wanted:
        return desired
    return {name: replace_in(org, wanted) for name, org in desired.items()}


def replace_in(org: DesiredOrg, wanted: set[Address]) -> DesiredOrg:
    return replace(org, replace=frozenset(address for address in wanted if address in org.resources))


def emulator_data_path(config: Config, org: str) -> Path:
    """Where an emulated org's live file is kept, never the tracked seed: beside a local state file, or,
    with a shared state backend, under ``.reconcile/emulator/<workspace>/`` in the config directory (a
    workspace name is not a path; each workspace gets its own emulated orgs)."""
    if config.state.backend == "local":
        return config.state_path.parent / "emulator" / f"{org}.json"
    workspace = re.sub(r"[^A-Za-z0-9_.-]+", "_", config.state.path).strip("._") or "default"
    return config.root / ".reconcile" / "emulator" / workspace / f"{org}.json"


def connection_for(config: Config, org: OrgConfig) -> OrgConnection:
    """The provider-level connection settings of an org (names of secrets only, never values)."""
    from providers.salesforce import OrgConnection

    auth: dict[str, str] = {}
    method: str | None = None
    if org.auth is not None:
        data = org.auth.model_dump(exclude_none=True)
        method = str(data.pop("method"))
        auth = {key: str(value) for key, value in data.items()}
    return OrgConnection(
        name=org.name,
        api_version=org.api_version,
        sf_alias=org.sf_alias,
        instance_url=org.instance_url,
        auth_method=method,
        auth=auth,
        ca_cert=(config.root / org.ca_cert) if org.ca_cert else None,
        login_url=org.login_url,
    )


def connect_org(config: Config, org: OrgConfig, *, sleep: Callable[[float], None] = time.sleep) -> Provider:
    """The provider of ``org``; an emulated org is started first. ``sleep`` is the backoff wait."""
    from providers.salesforce import connect

    conn = connection_for(config, org)
    if org.emulator:
        seed = config.root / org.emulator
        return connect_emulated(conn, seed=seed, data=emulator_data_path(config, org.name), sleep=sleep)
    provider: Provider = connect(conn, sleep=sleep)
    return provider


def connect_emulated(
    conn: OrgConnection, *, seed: Path, data: Path, sleep: Callable[[float], None] = time.sleep
) -> Provider:
    """Start the embedded emulator on ``data`` (made from ``seed`` on first use) and connect the provider
    to it with the token it issues; closing the provider stops the emulator."""
    from providers.emulator.embedded import start_emulator
    from providers.salesforce import Credentials, connect

    try:
        handle = start_emulator(data, seed=seed)
    except (OSError, ValueError) as exc:  # ValueError: not JSON, or not an org file (SeedError)
        source = data if data.exists() else seed
        raise ProviderError(f"cannot start the emulated org from {source}: {exc}", org=conn.name) from None
    credentials = Credentials(handle.instance_url, handle.access_token, handle.api_version)
    try:
        provider: Provider = connect(
            replace(conn, ca_cert=handle.ca_cert), sleep=sleep, credentials=credentials, on_close=handle.stop
        )
    except BaseException:
        handle.stop()
        raise
    return provider


V = TypeVar("V")


class OnLookup(Mapping[str, V]):
    """``orgs`` (in their order) mapped to ``look_up(org)``, computed at each look-up, nothing kept here."""

    def __init__(self, orgs: Iterable[str], look_up: Callable[[str], V]) -> None:
        self.orgs = tuple(dict.fromkeys(orgs))
        self.look_up = look_up

    def __getitem__(self, name: str) -> V:
        if name not in self.orgs:
            raise KeyError(name)
        return self.look_up(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.orgs)

    def __len__(self) -> int:
        return len(self.orgs)


class Expanding(OnLookup[DesiredOrg]):
    """The desired state of ``orgs``, each expanded when it is looked up (``expand``) and not kept here,
    so a plan holds the expansion of the orgs it is planning, not of the whole fleet."""

    def __init__(self, config: Config, orgs: Sequence[str]) -> None:
        super().__init__(orgs, lambda name: expand(config, name))


class OnDemand(OnLookup[Provider]):
    """The providers of ``orgs`` in ``workspace`` (sorted), each connected when it is first looked up (from
    the thread that plans that org), not all up front."""

    def __init__(self, workspace: Workspace, orgs: Sequence[str]) -> None:
        super().__init__(sorted(orgs), workspace.provider)


@dataclass
class Workspace:
    """A loaded configuration with its state backend and (lazily) its org connections."""

    config: Config
    backend: StateBackend
    providers: dict[str, Provider] = field(default_factory=dict)
    on_release: Callable[[str, Provider], None] | None = None  # sees a provider just before it is closed

    @classmethod
    def open(cls, path: Path, *, orgs: Collection[str] | None = None) -> Workspace:
        """The workspace of the configuration at ``path``; with ``orgs``, one that expands (and so can
        check and plan) only those orgs (``load_config``)."""
        config = load_config(path, orgs=orgs)
        return cls(config=config, backend=backend_for(config.state, config.root))

    def select(
        self, orgs: Sequence[str], tags: Sequence[str], *, for_apply: bool, shard: str | None = None
    ) -> list[str]:
        """The selected org names, sorted; with ``shard`` ("K/N") only those in shard K of N."""
        names = select_orgs(self.config, list(orgs), list(tags), for_apply=for_apply)
        return shard_orgs(names, shard) if shard else names

    def desired(self, orgs: Sequence[str]) -> dict[str, DesiredOrg]:
        """Each org's desired state. Loading the configuration (``Workspace.open``) already refused one
        with a dependency cycle in any org, so the expansions are not checked for cycles again."""
        return {name: expand(self.config, name) for name in orgs}

    def connect(self, orgs: Sequence[str], parallelism: int = 8) -> Mapping[str, Provider]:
        """The provider of each org in ``orgs``, connecting those not connected yet, in parallel.

        An org that cannot be connected (its login fails, its key file is unreadable, its emulated org
        cannot start: any ``ProviderError``) gets an ``UnavailableProvider``, so planning and applying
        record the error as that org's and go on with the others. Anything else raised while connecting
        is a bug and propagates, after every org that did connect is kept for ``close()``."""
        missing = [name for name in orgs if name not in self.providers]
        if missing:
            with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(missing)))) as pool:
                futures = {name: pool.submit(self._open_one, name) for name in missing}
            self.providers.update({name: f.result() for name, f in futures.items() if f.exception() is None})
            for future in futures.values():
                if future.exception() is not None:
                    future.result()  # raises it
        return {name: self.providers[name] for name in orgs}

    def _open_one(self, name: str) -> Provider:
        try:
            return connect_org(self.config, self.config.orgs[name])
        except ProviderError as exc:
            return UnavailableProvider(exc)

    def prepare_connections(self, orgs: Collection[str]) -> None:
        """Import and set up, once in this process, what connecting ``orgs`` will need (the provider, the
        parsed Metadata WSDL, the emulator for emulated orgs), so processes forked from it start with it."""
        from providers.salesforce import prepare

        prepare()
        if any(self.config.orgs[name].emulator for name in orgs if name in self.config.orgs):
            import providers.emulator.embedded  # noqa: F401

    def provider(self, name: str) -> Provider:
        """The provider of org ``name``, connected now if it is not yet (failures as in ``connect``)."""
        found = self.providers.get(name)
        if found is None:
            found = self.providers[name] = self._open_one(name)
        return found

    def release(self, name: str) -> None:
        """Close org ``name``'s provider and forget it (its session, client and caches go with it); a
        later ``connect`` opens a new one. Nothing happens for an org not connected."""
        provider = self.providers.pop(name, None)
        if provider is None:
            return
        try:
            if self.on_release is not None:
                self.on_release(name, provider)
        finally:
            provider.close()

    @contextmanager
    def releasing(self, keep: Callable[[str], bool] = lambda org: False) -> Iterator[Callable[[str], None]]:
        """A callback that releases an org (``release``) unless ``keep(org)``, on a thread of its own (an
        apply's ``org_done`` event is handled under its event lock, and closing an emulated org stops a
        server); every release asked for is done when the block ends."""
        with ThreadPoolExecutor(max_workers=4) as pool:

            def release_later(org: str) -> None:
                if not keep(org):
                    pool.submit(self.release, org)

            yield release_later

    def plan(
        self,
        orgs: Sequence[str],
        *,
        targets: Sequence[str | Address] = (),
        parallelism: int = 8,
        allow_org_change: bool = False,
        replace: Sequence[str] = (),
        release: bool = False,
    ) -> Plan:
        """Plan ``orgs``; ``targets`` (``--target``) are read like ``after`` references and one that names
        nothing in these orgs is a ``ConfigError`` before any org is contacted; so is a ``replace``
        (``--replace``) address that is not a replaceable resource declared for one of them. With
        ``release``, each org is connected when its turn comes and released once it is planned (for a
        command that needs no org after its plan); without, the connections stay for what follows."""
        # --target and --replace are read against every org's resources at once; otherwise each org is
        # expanded when its turn comes and let go once planned
        eager = bool(targets or replace)
        desired: Mapping[str, DesiredOrg] = (
            mark_replacements(self.desired(orgs), replace) if eager else Expanding(self.config, orgs)
        )
        state = read_orgs(self.backend, orgs)  # a plan reads the state of its own orgs, never writes it
        chosen = None
        if targets:
            managed = {org: prior_entries(state.orgs[org]).keys() for org in orgs if org in state.orgs}
            chosen = resolve_targets(self.config, desired, managed, [str(target) for target in targets])
        providers: Mapping[str, Provider] = OnDemand(self, orgs) if release else self.connect(orgs, parallelism)
        plan = build_plan(
            config_digest=self.config.digest,
            desired=desired,
            state=state,
            providers=providers,
            targets=chosen,
            parallelism=parallelism,
            allow_org_change=allow_org_change,
            on_org_done=self.release if release else None,
        )
        marked = tuple(
            org.model_copy(
                update={
                    "protected": self.config.orgs[org.org].protected,
                    "manual_steps": pending_steps(self.config, org.org, state.orgs.get(org.org)),
                }
            )
            for org in plan.orgs
        )
        return plan.model_copy(update={"orgs": marked})

    def close(self) -> None:
        for name in list(self.providers):
            self.release(name)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
