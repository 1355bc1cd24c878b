"""The provider against the stricter transport rules of the emulator: query cursors Salesforce releases,
requests that never answer, sessions that expire when idle."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from providers.emulator.embedded import start_emulator
from providers.salesforce import connect
from reconcile.errors import ProviderError
from tests.support.emulator import TOKEN_ENV, EmulatedOrg, connection_for, provider_seed


class SteppedClock:
    """An emulator clock that jumps ``step`` seconds on the calls listed in ``jumps`` (1-based)."""

    def __init__(self, jumps: set[int], step: float) -> None:
        self.calls = 0
        self.now = 0.0
        self.jumps = jumps
        self.step = step

    def __call__(self) -> float:
        self.calls += 1
        if self.calls in self.jumps:
            self.now += self.step
        return self.now


def big_seed(users: int) -> dict[str, object]:
    seed = provider_seed()
    profile = seed["profiles"][0]["name"]
    seed["users"] += [{"username": f"u{n:04d}@acme.com", "profile": profile} for n in range(users)]
    return seed


def test_a_released_query_cursor_makes_the_provider_run_the_query_again(
    emulated: Callable[..., EmulatedOrg],
) -> None:
    org = emulated(big_seed(2500))
    # Each request reads the clock for its session, then for its cursor (opened by call 2, fetched by
    # call 4): the first fetch of the next page finds the cursor 16 minutes idle.
    org.handle.context.clock = SteppedClock({4}, 16 * 60)
    records = org.provider.transport.query_all("SELECT Id, Username FROM User")
    assert len({r["Id"] for r in records}) == len(records) > 2500
    assert org.requests() == {"GET query": 2, "GET query/{locator}": 2}


def test_a_cursor_released_twice_is_an_error(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(big_seed(2500))
    org.handle.context.clock = SteppedClock({4, 8}, 16 * 60)
    with pytest.raises(ProviderError) as caught:
        org.provider.transport.query_all("SELECT Id, Username FROM User")
    assert caught.value.code == "INVALID_QUERY_LOCATOR"


def test_every_request_has_a_read_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(provider_seed()), encoding="utf-8")
    handle = start_emulator(tmp_path / "org.json", seed=seed, latency_ms=1500)
    monkeypatch.setenv(TOKEN_ENV, handle.access_token)
    sleeps: list[float] = []
    provider = connect(dataclasses.replace(connection_for(handle), timeouts=(5.0, 0.3)), sleep=sleeps.append)
    try:
        with pytest.raises(ProviderError) as caught:
            provider.transport.query_all("SELECT Id FROM User")
        assert caught.value.code == "TIMEOUT"
        assert "timed out" in str(caught.value)
    finally:
        provider.close()
        handle.stop()


def test_an_idle_session_expires_and_the_provider_says_so(emulated: Callable[..., EmulatedOrg]) -> None:
    seed = provider_seed()
    seed["organization"]["session_timeout_minutes"] = 15
    org = emulated(seed)
    clock = SteppedClock(set(), 0)
    org.handle.context.clock = clock
    assert org.provider.transport.query_all("SELECT Id FROM User WHERE IsActive = false")
    clock.now += 14 * 60  # used within the timeout: the idle time starts again
    org.provider.transport.query_all("SELECT Id FROM User WHERE IsActive = false")
    clock.now += 16 * 60
    with pytest.raises(ProviderError) as caught:
        org.provider.transport.query_all("SELECT Id FROM User WHERE IsActive = false")
    assert caught.value.code == "INVALID_SESSION_ID"
    assert "refused a new session" in str(caught.value)
    # The provider asked once more after renewing its session, and no further.
    assert org.requests()["GET query"] == 4


def test_soap_answers_report_api_usage_in_their_limit_info_header(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    usage = org.provider.usage
    assert usage.limit_used is None
    org.provider.transport.metadata("readMetadata", "Profile", ["Admin"])
    stats = org.handle.stats()
    assert (usage.limit_used, usage.limit_max) == (stats["api_calls_used"], stats["daily_api_limit"])
