"""``manual_step``: a step a person does in an org (``[[manual_step]]``, see ``reconcile/checks/entry.py``).

Address: ``manual_step:reauthenticate-erp``. A manual step declares no resource to converge: ``expand``
returns none, so no plan ever changes an org for it. Its confirmation (``reconcile confirm``) is the state
entry at its address, with the sha256 of the instructions it confirmed, who confirmed it and when;
``reconcile/checks/manual.py`` computes what is pending from the entries and those state entries. Being
neither read from the org nor planned, a state entry of a step removed from the configuration stays until
``reconcile state rm`` removes it.
"""

from __future__ import annotations

from typing import Literal

from reconcile.checks.entry import ManualStepEntry
from reconcile.kinds.base import Expansion, ResourceKind
from reconcile.model import Address, Resource


class ManualStep(Resource):
    """A confirmed manual step as state records it (``attributes`` are the confirmation)."""

    kind: Literal["manual_step"] = "manual_step"
    name: str
    instructions_sha256: str = ""
    confirmed_by: str = ""
    confirmed_at: str = ""
    note: str = ""

    @property
    def key(self) -> str:
        return self.name


class ManualStepKind(ResourceKind[ManualStepEntry, ManualStep]):
    name = "manual_step"
    entry = ManualStepEntry
    resource = ManualStep
    read_from_org = False
    batched = False
    noun = "manual steps"

    def expand(self, entry: ManualStepEntry, org: Expansion) -> list[ManualStep]:
        return []

    def names(self, entry: ManualStepEntry) -> list[Address]:
        return [Address(self.name, entry.name)]
