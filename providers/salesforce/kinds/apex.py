"""The ``apex`` kind: one-off anonymous Apex scripts, run through the provider's ``run_apex``.

An org holds no record of the scripts run in it (the state file does), so there is nothing to read,
check or list: ``read`` and ``inventory`` answer ``{}``, ``preflight`` no problems. ``apply`` runs each
change's script in order through ``context.run_apex`` (``providers.salesforce.anonymous_apex``: Apex
SOAP ``executeAnonymous``). A compile error or a runtime exception is a failed result for that script;
an answer lost in transit raises ``ProviderError``, since the script may have run and is never sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from providers.base import ApexResult
from providers.salesforce.kinds.base import KindContext
from reconcile.errors import Problem
from reconcile.kinds.apex import ApexScript
from reconcile.model import Address, Change, ChangeResult, Resource


class ApexHandler:
    """Runs ``apex`` resources of one org (an org holds none to read or list)."""

    def __init__(self, context: KindContext) -> None:
        self.run_apex: Callable[[str], ApexResult] = context.run_apex

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        return {}

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        return []

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        return [self._run(change) for change in changes]

    def inventory(self) -> dict[Address, Resource]:
        return {}

    def _run(self, change: Change) -> ChangeResult:
        script = change.after
        if not isinstance(script, ApexScript) or not script.body:
            return ChangeResult(address=change.address, ok=False, code="NO_SCRIPT", message="no script body")
        outcome = self.run_apex(script.body)
        return ChangeResult(
            address=change.address,
            ok=outcome.compiled and outcome.success,
            code="" if outcome.success else ("COMPILE_ERROR" if not outcome.compiled else "APEX_EXCEPTION"),
            message=outcome.message,
            resource=script,
        )
