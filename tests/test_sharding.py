from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.errors import ReconcileError
from reconcile.fleet.sharding import parse_shard, shard_of, shard_orgs

ORGS = [f"org-{index:02d}" for index in range(40)]


@pytest.mark.parametrize(("text", "expected"), [("1/1", (1, 1)), ("2/4", (2, 4)), (" 4 / 4 ", (4, 4))])
def test_parse_shard_accepts_k_of_n(text: str, expected: tuple[int, int]) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must look like K/N"),
        ("2", "must look like K/N"),
        ("a/b", "must look like K/N"),
        ("-1/4", "must look like K/N"),
        ("1.5/4", "must look like K/N"),
        ("0/4", "between 1 and 4"),
        ("5/4", "between 1 and 4"),
        ("1/0", "at least 1"),
    ],
)
def test_parse_shard_explains_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ReconcileError, match=message) as error:
        parse_shard(text)
    assert repr(text) in str(error.value)


def test_the_assignment_is_a_fixed_function_of_the_name() -> None:
    # pinned: a release that changed the split would move orgs between running fleet shards
    assert [shard_of(name, 4) for name in ("dev", "uat", "prod")] == [4, 4, 4]
    assert [shard_of(name, 7) for name in ("dev", "uat", "prod")] == [6, 3, 4]
    assert shard_orgs(["prod", "uat", "dev"], "1/1") == ["prod", "uat", "dev"]


def test_shards_partition_the_fleet_and_keep_the_given_order() -> None:
    shards = [shard_orgs(ORGS, f"{k}/4") for k in range(1, 5)]
    assert sorted(org for shard in shards for org in shard) == ORGS
    assert all(shard == sorted(shard) for shard in shards)
    assert all(shards), "40 orgs over 4 shards leave no shard empty"


def test_an_org_keeps_its_shard_whatever_else_the_list_holds() -> None:
    assert shard_orgs(["org-07"], "3/4") == (["org-07"] if "org-07" in shard_orgs(ORGS, "3/4") else [])
    assert shard_orgs(list(reversed(ORGS)), "2/4") == list(reversed(shard_orgs(ORGS, "2/4")))


@given(st.lists(st.text(min_size=1), unique=True, max_size=30), st.integers(min_value=1, max_value=9))
def test_every_org_is_in_exactly_one_shard(orgs: list[str], count: int) -> None:
    owners = {org: [k for k in range(1, count + 1) if org in shard_orgs(orgs, f"{k}/{count}")] for org in orgs}
    assert all(len(shards) == 1 and shards[0] == shard_of(org, count) for org, shards in owners.items())
