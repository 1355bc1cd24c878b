"""The ``[state]`` table of a configuration: where the state lives and which backend keeps it (DESIGN.md §8).

``StateSettings`` is validated by the configuration loader like every other table: frozen, unknown keys
refused, ``user_keys()`` the keys TOML may set and ``INTERNAL`` the keys the loader fills in
(``state_path``). ``state.factory`` turns it into a backend and a journal. It lives here, with the state,
so that state/ needs nothing of the configuration package; its value checks say word for word what the
configuration's own checks of the same kinds of value say.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Strict

BackendName = Literal["local", "postgres"]

_VISIBLE = re.compile(r"\S")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _non_empty(value: str) -> str:
    if not _VISIBLE.search(value):
        raise ValueError("must not be empty")
    return value


def _env_name(value: str) -> str:
    # an environment variable name may hold a pasted secret by mistake: never repeat the value
    if not _ENV_NAME.search(value):
        raise ValueError("must name an environment variable (letters, digits and '_', e.g. SF_TOKEN)")
    return value


NonEmpty = Annotated[str, Strict(), AfterValidator(_non_empty)]
EnvName = Annotated[str, Strict(), AfterValidator(_env_name)]


class StateSettings(BaseModel):
    """``[state]``: where state lives. ``state_path`` is ``path`` resolved against the config directory;
    with ``backend = "postgres"`` the connection string comes from the variable named by ``dsn_env``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    INTERNAL: ClassVar[frozenset[str]] = frozenset({"state_path"})

    path: NonEmpty = ".reconcile/state.json"
    backend: BackendName = "local"
    dsn_env: EnvName = "RECONCILE_STATE_DSN"
    state_path: Path = Path(".reconcile/state.json")

    @classmethod
    def user_keys(cls) -> list[str]:
        """The keys a TOML ``[state]`` table may set."""
        return sorted(key for key in cls.model_fields if key not in cls.INTERNAL)
