"""Salesforce's picklist caps (1,000 values, inactive ones included; 255 characters a name or label) in
the configuration, in the provider's preflight and in the emulator's Metadata API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconcile.config.loader import load_config
from reconcile.errors import ConfigError
from reconcile.kinds.picklist_values import Picklist, PicklistValue
from reconcile.model import Action, Address, Change
from tests.support.emulator import EmulatedOrg, provider_seed

PICK = "picklist"


def _config(tmp_path: Path, values: list[str]) -> list[str]:
    (tmp_path / "orgs").mkdir(exist_ok=True)
    (tmp_path / "orgs" / "dev.json").write_text("{}\n")
    listed = ", ".join(f'"{v}"' for v in values)
    (tmp_path / "reconcile.toml").write_text(
        f'version = 1\n[orgs.dev]\nemulator = "orgs/dev.json"\n\n[[picklist]]\nglobal_value_set = "Big"\n'
        f"values = [{listed}]\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    return [p.message for p in caught.value.problems]


def test_the_configuration_refuses_more_than_a_thousand_values(tmp_path: Path) -> None:
    messages = _config(tmp_path, [f"V{n}" for n in range(1001)])
    assert messages == ["[[picklist]] #1: 1001 values: Salesforce allows 1000 in a picklist, inactive ones included"]


def test_the_configuration_refuses_a_value_over_255_characters(tmp_path: Path) -> None:
    [message] = _config(tmp_path, ["Short", "L" * 256])
    assert "longer than 255 characters" in message


def test_values_kept_inactive_count_towards_the_cap(emulated: Callable[..., EmulatedOrg]) -> None:
    seed = provider_seed()
    seed["global_value_sets"].append({"name": "Big", "values": [f"Old{n}" for n in range(600)]})
    org = emulated(seed)
    wanted = Picklist(target="gvs:Big", values=tuple(PicklistValue(name=f"New{n}") for n in range(500)))
    [problem] = org.provider.preflight(PICK, [wanted])
    assert problem.message.startswith("the picklist would hold 1100 values (500 declared, 600 kept as inactive)")
    # Sent anyway, the org refuses it and keeps its values.
    change = Change(address=Address(PICK, "gvs:Big"), action=Action.UPDATE, after=wanted)
    [result] = org.provider.apply(PICK, [change])
    assert not result.ok and "at most 1000 values" in result.message
    read = org.provider.read(PICK, ["gvs:Big"])[change.address]
    assert isinstance(read, Picklist) and len(read.values) == 600
