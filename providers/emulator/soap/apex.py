"""The Apex SOAP endpoint (``/services/Soap/s/{version}[/{orgId}]``): ``executeAnonymous`` with the log
inline, as ``sf apex run`` calls it (wire reference Part 3 §12).

Contract:

- Dispatch is on the Body's first child; only ``executeAnonymous`` in the apex namespace is offered,
  anything else gets the Axis "No operation available" fault.
- The code in ``apexcode`` goes through ``providers.emulator.apex.analyze`` (checked and scanned, never
  run; ``System.schedule`` / ``System.abortJob`` change the org, see ``apex_jobs.py``) with the
  endpoint's API version; the result's fields are text and the empty ones are ``xsi:nil``.
  The response carries ``Header/DebuggingInfo/debugLog`` only when the request sent a ``DebuggingHeader``.
- A compile error or an uncaught exception is a normal HTTP 200 answer, never a fault.
- The server checks the session before calling ``handle_apex_soap``.
"""

from __future__ import annotations

from ..apex import ApexOutcome
from ..apex_jobs import run_anonymous
from ..org.store import Store
from .envelope import APEX_NS, SoapFault, envelope, fault_response, parse_envelope, unknown_operation
from .xml import child, child_text, namespace_of, text_el, text_or_nil_el


def handle_apex_soap(store: Store, body: bytes, api_version: str) -> tuple[int, bytes]:
    """Answer one Apex SOAP request: (HTTP status, response XML). Never raises for bad input."""
    try:
        request = parse_envelope(body)
        if request.operation_name != "executeAnonymous" or namespace_of(request.operation) != APEX_NS:
            raise unknown_operation(request.operation)
        wants_log = request.header is not None and child(request.header, "DebuggingHeader") is not None
        outcome = run_anonymous(store, child_text(request.operation, "apexcode") or "", api_version=api_version)
        return 200, _response(outcome, wants_log=wants_log)
    except SoapFault as fault:
        return fault_response(fault.code, fault.message, sf_ns=APEX_NS)


def _response(outcome: ApexOutcome, *, wants_log: bool) -> bytes:
    header = ""
    if wants_log:
        header = f"<DebuggingInfo>{text_el('debugLog', outcome.debug_log or '')}</DebuggingInfo>"
    result = (
        text_el("column", outcome.column)
        + text_or_nil_el("compileProblem", outcome.compile_problem or None)
        + text_el("compiled", bool(outcome.compiled))
        + text_or_nil_el("exceptionMessage", outcome.exception_message or None)
        + text_or_nil_el("exceptionStackTrace", outcome.exception_stack_trace or None)
        + text_el("line", outcome.line)
        + text_el("success", bool(outcome.success))
    )
    body = f"<executeAnonymousResponse><result>{result}</result></executeAnonymousResponse>"
    return envelope(body, default_ns=APEX_NS, header_xml=header)
