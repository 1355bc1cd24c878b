"""Every call the provider makes to an org goes through ``Transport``: counting, limits, retries.

Accounting: each HTTP request (every try and every query page) counts once in ``usage`` under its
endpoint, named as the emulator's stats name them (``GET query``, ``GET query/{locator}``,
``POST composite/sobjects``, ``POST Soap/m readMetadata``, ``POST Soap/s executeAnonymous`` ...).
A response hook on both HTTP sessions reads ``Sforce-Limit-Info: api-usage=N/M`` (REST) or a SOAP
answer's ``LimitInfoHeader`` (``API REQUESTS`` current/limit) into ``usage.limit_used/limit_max``.

Failures are sorted once, in ``classify``:

- 401 ``INVALID_SESSION_ID`` (REST) or the SOAP fault ``sf:INVALID_SESSION_ID``: obtain a new session
  once and repeat the call once; a second refusal is a ``ProviderError``.
- 403 ``REQUEST_LIMIT_EXCEEDED`` "TotalRequests Limit exceeded.": the daily limit is spent; raise
  ``ApiLimitError`` at once, never retry (every try would spend more of a limit that is already gone).
- 403 "ConcurrentPerOrgLongTxn Limit exceeded.", 503, and a whole request answered ``UNABLE_TO_LOCK_ROW``
  (REST error or SOAP fault: the org rolled it back): the org did not run the request, so repeating it
  is safe for any method: retried with exponential backoff and jitter.
- Other 5xx and dropped connections (``ConnectionError``, ``ChunkedEncodingError``): the request may
  have reached the org and run before the answer was lost. Reads and idempotent writes are retried
  like the above. A write that is not idempotent (``replay_safe=False``: sObject creates and deletes,
  anonymous Apex) is never replayed blindly: the transport raises ``MaybeApplied`` and the caller
  finds out what happened before it sends the rest (grants re-read the assignments of the records it
  sent and create only the missing ones; deletes re-check which ids still exist; Apex reports that the
  script may have run).
- Metadata API ``updateMetadata``/``upsertMetadata`` are idempotent here: the provider always sends the
  complete value list of a picklist and an overlay of layout assignments, so sending the same payload
  twice leaves the org as sending it once. They are ``replay_safe``.
- 400 ``INVALID_QUERY_LOCATOR`` on a later page of a query: the org released the cursor; ``query_all``
  runs the query again from the start, once.
- Anything else becomes a ``ProviderError`` carrying the org, the errorCode and Salesforce's message.

``UNABLE_TO_LOCK_ROW`` inside a collection answer is per record: callers retry just those records,
waiting ``pause(attempt)`` between rounds. The wait function is injectable so tests never sleep.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import requests
import zeep.exceptions
from simple_salesforce.exceptions import SalesforceError
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from providers.base import ApiUsage
from providers.salesforce.session import OrgSession
from reconcile.errors import ApiLimitError, ProviderError, ReconcileError

T = TypeVar("T")

MAX_ATTEMPTS = 5
_LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")
#: SOAP answers carry usage in ``LimitInfoHeader/limitInfo`` (type ``API REQUESTS``) instead.
_SOAP_LIMIT_INFO = re.compile(
    rb"<(?:\w+:)?limitInfo>\s*<(?:\w+:)?current>(\d+)</(?:\w+:)?current>\s*<(?:\w+:)?limit>(\d+)</(?:\w+:)?limit>"
    rb"\s*<(?:\w+:)?type>API REQUESTS</(?:\w+:)?type>"
)
#: Error codes meaning the org rolled the request back (or never started it): repeating it is safe,
#: whether they come as a REST error, a SOAP fault parsed by zeep, or a raw SOAP fault body.
_NOT_RUN_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"})
_EXPIRED_LOCATOR = "INVALID_QUERY_LOCATOR"
REDACTED = "[redacted]"
_BEARER = re.compile(r"\b(Bearer|OAuth)\s+[^\s'\"]+", re.IGNORECASE)
_SESSION_ELEMENT = re.compile(r"(<(?:[\w-]+:)?sessionId>)[^<]*(</(?:[\w-]+:)?sessionId>)", re.IGNORECASE)
_MAYBE_APPLIED_NETWORK = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


@dataclass(frozen=True)
class Failure:
    """A failed call, sorted. ``kind``: session | limit | refused (safe to repeat) | lost (may have
    run) | error (final)."""

    kind: str
    code: str = ""
    message: str = ""
    status: int = 0


class MaybeApplied(Exception):
    """A non-idempotent write failed in a way that does not tell whether the org ran it."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class HttpFailure(Exception):
    """A raw (non simple-salesforce) call answered with an HTTP error status."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body


class _Again(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class Transport:
    """The one place calls go through (see the module docstring for the retry rules)."""

    def __init__(
        self,
        session: OrgSession,
        usage: ApiUsage,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.session = session
        self.usage = usage
        self.sleep = sleep
        self.max_attempts = max_attempts
        self._wait = wait_exponential_jitter(multiplier=0.5, max=20, jitter=0.5)
        session.add_response_hook(self._observe)

    @property
    def org(self) -> str:
        return self.session.org

    def call(self, endpoint: str, fn: Callable[[], T], *, replay_safe: bool = True) -> T:
        """Run ``fn`` (one HTTP request) with accounting, re-auth and retries."""
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            sleep=self.sleep,
            retry=retry_if_exception_type(_Again),
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(endpoint, fn, replay_safe)
        except RetryError as exc:
            failure = exc.last_attempt.exception()
            detail = failure.failure if isinstance(failure, _Again) else Failure("error")
            raise ProviderError(
                f"{endpoint} failed after {self.max_attempts} tries: {detail.message or detail.kind}",
                org=self.org,
                code=detail.code,
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def rest(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        replay_safe: bool | None = None,
    ) -> Any:
        """``{base}/services/data/vXX/{path}``; parsed JSON (None for 204/empty). POST and DELETE are
        not replay-safe unless the caller says so."""
        safe = method not in ("POST", "DELETE") if replay_safe is None else replay_safe
        return self.call(
            f"{method} {path}",
            lambda: self.session.sf.restful(path, params=params, method=method, json=body),
            replay_safe=safe,
        )

    def query_all(self, soql: str, *, tooling: bool = False) -> list[dict[str, Any]]:
        """Every record of a SOQL query (REST or Tooling), following ``nextRecordsUrl``.

        Salesforce releases a query cursor after 15 idle minutes, or when the user opens more than ten:
        a page then answers INVALID_QUERY_LOCATOR. The query is run again from its first page (once;
        a second release is an error), since the records already read may have changed meanwhile."""
        for attempt in (1, 2):
            try:
                return self._pages(soql, tooling)
            except ProviderError as exc:
                if exc.code != _EXPIRED_LOCATOR or attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _pages(self, soql: str, tooling: bool) -> list[dict[str, Any]]:
        endpoint = "GET tooling/query" if tooling else "GET query"

        def first() -> Any:
            if tooling:
                return self.session.sf.toolingexecute("query/", params={"q": soql})
            return self.session.sf.query(soql)

        page = self.call(endpoint, first)
        records: list[dict[str, Any]] = list(page.get("records", []))
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            page = self.call(endpoint + "/{locator}", _next_page(self.session, str(page["nextRecordsUrl"])))
            records.extend(page.get("records", []))
        return records

    def metadata(self, operation: str, *args: Any, replay_safe: bool = True) -> Any:
        """One Metadata API SOAP operation (``readMetadata``, ``updateMetadata`` ...) on the zeep
        service itself, so every SaveResult comes back (simple-salesforce raises on the first failure)."""

        def run() -> Any:
            api = self.session.metadata()
            return getattr(api._service, operation)(*args, _soapheaders=[api._session_header])

        return self.call(f"POST Soap/m {operation}", run, replay_safe=replay_safe)

    def metadata_type(self, name: str) -> Any:
        """The zeep type ``name`` of the Metadata WSDL (``Profile``, ``CustomValue`` ...)."""
        client: Any = self.session.metadata()._client
        return client.get_type(f"ns0:{name}")

    def post_raw(
        self,
        endpoint: str,
        url: str,
        body: Callable[[], bytes],
        headers: dict[str, str],
        *,
        passthrough: tuple[int, ...] = (),
        replay_safe: bool = False,
    ) -> requests.Response:
        """POST ``body()`` on the shared HTTP session (built per try, so a renewed session id is used);
        statuses in ``passthrough`` are returned, not raised."""

        def run() -> requests.Response:
            response = self.session.http.post(url, data=body(), headers=headers)
            if response.status_code >= 300 and response.status_code not in passthrough:
                raise HttpFailure(response.status_code, response.text)
            return response

        return self.call(endpoint, run, replay_safe=replay_safe)

    def pause(self, attempt: int) -> None:
        """Wait before round ``attempt`` (1-based) of a per-record retry."""
        self.sleep(min(0.5 * 2 ** (attempt - 1), 20.0))

    def _attempt(self, endpoint: str, fn: Callable[[], T], replay_safe: bool) -> T:
        try:
            return self._counted(endpoint, fn)
        except (ReconcileError, MaybeApplied):
            raise
        except Exception as exc:
            failure = self._classified(exc)
            if failure.kind != "session":
                self._raise(endpoint, failure, replay_safe)
        self.session.reauthenticate()
        try:
            return self._counted(endpoint, fn)
        except (ReconcileError, MaybeApplied):
            raise
        except Exception as exc:
            failure = self._classified(exc)
            if failure.kind == "session":
                raise ProviderError(
                    "the org refused a new session: " + failure.message, org=self.org, code=failure.code
                ) from None
            self._raise(endpoint, failure, replay_safe)
        raise AssertionError("unreachable")  # pragma: no cover

    def _counted(self, endpoint: str, fn: Callable[[], T]) -> T:
        self.usage.count(endpoint)
        return fn()

    def _classified(self, exc: Exception) -> Failure:
        """``classify(exc)`` with the session's token and any other credential taken out of the message
        (requests, for one, quotes a malformed ``Authorization`` header whole)."""
        failure = classify(exc)
        token = self.session.credentials.access_token
        return replace(failure, message=redact(failure.message, (token, token.strip())))

    def _raise(self, endpoint: str, failure: Failure, replay_safe: bool) -> None:
        """Raise what ``failure`` calls for, never chained to the original exception (whose message may
        hold credentials, and would be printed with ``--debug``)."""
        if failure.kind == "limit":
            code = failure.code or "REQUEST_LIMIT_EXCEEDED"
            raise ApiLimitError(self._limit_message(), org=self.org, code=code) from None
        if failure.kind == "refused" or (failure.kind == "lost" and replay_safe):
            raise _Again(failure) from None
        if failure.kind == "lost":
            raise MaybeApplied(failure) from None
        raise ProviderError(f"{endpoint}: {failure.message}", org=self.org, code=failure.code) from None

    def _limit_message(self) -> str:
        used, limit = self.usage.limit_used, self.usage.limit_max
        numbers = f": used {used} of {limit}" if used is not None and limit is not None else ""
        return f"daily API limit reached{numbers}; the org is stopped, retry after the limit resets"

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        match = _LIMIT_INFO.search(response.headers.get("Sforce-Limit-Info", ""))
        if match:
            self.usage.limit_used, self.usage.limit_max = int(match.group(1)), int(match.group(2))
            return
        if "xml" in response.headers.get("Content-Type", ""):
            soap = _SOAP_LIMIT_INFO.search(response.content[:4096])
            if soap:
                self.usage.limit_used, self.usage.limit_max = int(soap.group(1)), int(soap.group(2))


def _next_page(session: OrgSession, url: str) -> Callable[[], Any]:
    return lambda: session.sf.query_more(url, identifier_is_url=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without credentials: each of ``secrets``, any ``Bearer``/``OAuth`` token and the content of
    any SOAP ``sessionId`` element become ``[redacted]``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _BEARER.sub(rf"\1 {REDACTED}", text)
    return _SESSION_ELEMENT.sub(rf"\1{REDACTED}\2", text)


def classify(exc: BaseException) -> Failure:
    """Sort an exception from simple-salesforce, zeep or requests (see the module docstring)."""
    if isinstance(exc, SalesforceError):
        code, message = _rest_error(exc.content)
        return _by_status(exc.status, code, message)
    if isinstance(exc, HttpFailure):
        code, message = _rest_error(exc.body)
        if not code:
            code, message = _soap_fault(exc.body, message)
        return _by_status(exc.status, code, message)
    if isinstance(exc, zeep.exceptions.Fault):
        return _by_fault(str(exc.code or ""), str(exc.message or ""))
    if isinstance(exc, zeep.exceptions.TransportError):
        content = exc.content.decode("utf-8", "replace") if isinstance(exc.content, bytes) else ""
        code, message = _rest_error(content)
        if not code:
            code, message = _soap_fault(content, message or str(exc.message))
        return _by_status(exc.status_code or 500, code, message)
    if isinstance(exc, requests.exceptions.SSLError):
        return Failure("error", "TLS_ERROR", "the org's TLS certificate is not trusted (set ca_cert?)")
    if isinstance(exc, _MAYBE_APPLIED_NETWORK):
        return Failure("lost", "CONNECTION_DROPPED", f"the connection dropped ({type(exc).__name__})")
    if isinstance(exc, requests.Timeout):
        return Failure("lost", "TIMEOUT", "the request timed out")
    return Failure("error", type(exc).__name__, str(exc))


def _by_status(status: int, code: str, message: str) -> Failure:
    if status == 401 or code == "INVALID_SESSION_ID":
        return Failure("session", "INVALID_SESSION_ID", message, status)
    if code == "REQUEST_LIMIT_EXCEEDED" or (status == 403 and "Limit exceeded" in message):
        kind = "limit" if "TotalRequests" in message else "refused"
        return Failure(kind, code or "REQUEST_LIMIT_EXCEEDED", message, status)
    if status == 503 or code in _NOT_RUN_CODES:
        return Failure("refused", code or "SERVER_UNAVAILABLE", message or f"HTTP {status}", status)
    if status >= 500:
        return Failure("lost", code or f"HTTP_{status}", message or f"HTTP {status}", status)
    return Failure("error", code or f"HTTP_{status}", message or f"HTTP {status}", status)


def _by_fault(code: str, message: str) -> Failure:
    bare = code.split(":", 1)[-1]
    if bare == "INVALID_SESSION_ID":
        return Failure("session", bare, message, 500)
    if bare == "REQUEST_LIMIT_EXCEEDED":
        return Failure("limit" if "TotalRequests" in message else "refused", bare, message, 500)
    if bare in _NOT_RUN_CODES:
        return Failure("refused", bare, message, 500)
    return Failure("error", bare, message, 500)


def _rest_error(content: Any) -> tuple[str, str]:
    """``(errorCode, message)`` of a REST error body ``[{"errorCode","message"}]`` (or text)."""
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            return "", content.strip()[:300]
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        return str(first.get("errorCode") or first.get("statusCode") or ""), str(first.get("message") or "")
    if isinstance(content, dict):
        return str(content.get("errorCode") or content.get("error") or ""), str(content.get("message") or "")
    return "", ""


def _soap_fault(body: str, fallback: str) -> tuple[str, str]:
    """``(faultcode without prefix, faultstring)`` of a SOAP fault body, else ``("", fallback)``."""
    code = re.search(r"<faultcode>(?:[\w-]+:)?([^<]+)</faultcode>", body)
    text = re.search(r"<faultstring>([^<]*)</faultstring>", body)
    if code is None:
        return "", fallback
    return code.group(1), text.group(1) if text else fallback
