"""An org's data as the emulator holds it in memory, and the org document it is read from.

``OrgData`` is what ``seed.build_tables`` builds from an org document, what ``store.Store`` serves and
what ``file.to_document`` writes back. An org document carries ``schema_version`` ``SCHEMA_VERSION``;
one that cannot be loaded (wrong shape, unknown reference, missing name) raises ``SeedError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]
Table = dict[str, Record]

SCHEMA_VERSION = 1


class SeedError(ValueError):
    """The org document is inconsistent (unknown reference, missing name)."""


@dataclass
class OrgData:
    """Tables keyed by object API name, then by 18-character Id; ``deleted`` maps tombstoned ids to types."""

    org_name: str
    tables: dict[str, Table]
    deleted: dict[str, str] = field(default_factory=dict)

    def add(self, sobject: str, record: Record) -> str:
        """Put ``record`` (which carries its Id) in its table and return the Id."""
        self.tables.setdefault(sobject, {})[record["Id"]] = record
        return str(record["Id"])
